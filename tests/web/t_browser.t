#!/bin/sh
# The whole flow clicked through in headless chromium (python3-selenium,
# chromium-driver) against real lighttpd + Pebble: tests/web/browser.py.
# Screenshots of every page go to tests/out/screenshots/.
#
# ACME_BUILD (default build/asan) names the build to test.
set -eu
cd "$(dirname "$0")/../.."
ACME_ROOT=$(pwd)
export ACME_ROOT

CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser ||
    echo /usr/bin/chromium)}
CHROMEDRIVER=${CHROMEDRIVER:-$(command -v chromedriver ||
    echo /usr/bin/chromedriver)}
if [ ! -x "$CHROMIUM" ] || [ ! -x "$CHROMEDRIVER" ]; then
	echo "1..0 # SKIP chromium or chromedriver is not installed (make deps)"
	exit 0
fi
export CHROMIUM CHROMEDRIVER
# python3-selenium is Debian's: the first python3 that imports it.
PY=
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import selenium' >/dev/null 2>&1; then
		PY=$p
		break
	fi
done
if [ -z "$PY" ]; then
	echo "Bail out! python3-selenium is not installed (make deps)"
	exit 1
fi
if ! command -v pebble >/dev/null 2>&1; then
	echo "1..0 # SKIP pebble is not installed (make deps)"
	exit 0
fi
B=${ACME_BUILD:-build/asan}
if [ ! -x "$B/acme.fcgi" ] || [ ! -x "$B/bin/acme-admin" ]; then
	echo "Bail out! $B/acme.fcgi or acme-admin is not built (make MODE=asan tests)"
	exit 1
fi

. tests/lib/pebble.sh
. tests/lib/web.sh
pebble_traps
trap 'rc=$?; panel_stop; pebble_stop $rc' EXIT
pebble_start own-http01 PEBBLE_VA_NOSLEEP=1 >/dev/null ||
    { echo "Bail out! pebble did not start"; exit 1; }
panel_start 2>"$ACME_TEST_WORK/panel_start.err" >/dev/null || {
	echo "Bail out! panel did not start"
	sed 's/^/# /' "$ACME_TEST_WORK/panel_start.err"
	exit 1
}
mkdir -p tests/out/screenshots
"$PY" tests/web/browser.py
