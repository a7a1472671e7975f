#!/bin/sh
# Accounts against Pebble: registration, onlyReturnExisting, contacts,
# key rollover, deactivation (tests/integ/t_account.c), with 30% of nonces
# rejected and validation sleeps of up to a second.
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/pebble.sh
pebble_tap t_account PEBBLE_WFE_NONCEREJECT=30 PEBBLE_VA_SLEEPTIME=2
