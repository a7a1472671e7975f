#!/bin/sh
# Every nonce rejected: the client gives up with ACME_ERR_NONCE within
# seconds (tests/integ/t_nonce.c).
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/pebble.sh
pebble_tap t_nonce PEBBLE_WFE_NONCEREJECT=100
