#!/bin/sh
# Revocation by account key and by certificate key, reasons, twice
# (tests/integ/t_revoke.c), with 30% of nonces rejected.
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/pebble.sh
pebble_tap t_revoke PEBBLE_WFE_NONCEREJECT=30 PEBBLE_VA_SLEEPTIME=2
