#!/bin/sh
# External Account Binding against a Pebble that requires it
# (tests/integ/t_eab.c), with 30% of nonces rejected.
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/pebble.sh
pebble_tap t_eab eab PEBBLE_WFE_NONCEREJECT=30 PEBBLE_VA_SLEEPTIME=2
