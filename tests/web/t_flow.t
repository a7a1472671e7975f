#!/bin/sh
# The whole flow through real lighttpd + Pebble (API and forms).
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/pebble.sh
. tests/lib/web.sh
pebble_traps
trap 'rc=$?; panel_stop; pebble_stop $rc' EXIT
pebble_start own-http01 PEBBLE_VA_SLEEPTIME=1 PEBBLE_WFE_NONCEREJECT=30 ||
    { echo "Bail out! pebble did not start"; exit 1; }
panel_start || { echo "Bail out! panel did not start"; exit 1; }
python3 tests/web/flow.py
