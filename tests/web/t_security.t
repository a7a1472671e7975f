#!/bin/sh
# The panel's defences tried from outside through real lighttpd + Pebble,
# with tests/hostile/server.py as a hostile CA: tests/web/security.py.
#
# ACME_BUILD (default build/asan) names the build to test.
set -eu
cd "$(dirname "$0")/../.."
ACME_ROOT=$(pwd)
export ACME_ROOT
B=${ACME_BUILD:-build/asan}

for t in lighttpd python3 curl; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "1..0 # SKIP $t is not installed (make deps)"
		exit 0
	fi
done
if ! command -v pebble >/dev/null 2>&1; then
	echo "1..0 # SKIP pebble is not installed (make deps)"
	exit 0
fi
if [ ! -x "$B/acme.fcgi" ] || [ ! -x "$B/bin/acme-admin" ]; then
	echo "Bail out! $B/acme.fcgi or acme-admin is not built (make MODE=asan tests)"
	exit 1
fi

. tests/lib/pebble.sh
. tests/lib/web.sh
lpid=
hpid=
stop_mine() {
	for p in $lpid $hpid; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	lpid= hpid=
}
pebble_traps
trap 'rc=$?; stop_mine; panel_stop; pebble_stop $rc' EXIT
pebble_start own-http01 PEBBLE_VA_NOSLEEP=1 >/dev/null ||
    { echo "Bail out! pebble did not start"; exit 1; }
W=$ACME_TEST_WORK
panel_start >"$W/panel_start.out" 2>&1 || {
	echo "Bail out! panel did not start"
	sed 's/^/# /' "$W/panel_start.out"
	exit 1
}

# The hostile CA listens on 127.0.0.1 under Pebble's own TLS certificate
# (the panel trusts ca_file for it): the panel must be allowed to reach a
# private address, which it reads once at start -- so restart lighttpd
# (and with it the acme.fcgi processes) on the same configuration.
echo "allow_private_ca = yes" >>"$PANEL_CONF"
panel_stop
lighttpd -D -f "$PANEL_WORK/lighttpd.conf" >"$PANEL_WORK/lighttpd.out" 2>&1 &
lpid=$!
i=0
while ! curl -fsS -o /dev/null --noproxy '*' "$PANEL_URL/acme/login" 2>/dev/null
do
	i=$((i + 1))
	if [ "$i" -gt 100 ] || ! kill -0 "$lpid" 2>/dev/null; then
		echo "Bail out! lighttpd did not come back"
		cat "$PANEL_WORK/lighttpd.out" "$PANEL_WORK/lighttpd.error.log" |
		    sed 's/^/# /'
		exit 1
	fi
	sleep 0.1
done

cat >"$W/scenarios.json" <<'JSON'
{
  "sec-order-problem": {"newOrder": {"status": 400, "problem": {
    "type": "urn:ietf:params:acme:error:rejectedIdentifier",
    "detail": "<img src=x onerror=alert(2)> is not allowed"}}},
  "sec-order-subproblem": {"newOrder": {"status": 400, "problem": {
    "type": "urn:ietf:params:acme:error:compound",
    "detail": "several problems \"><b>bold</b>",
    "subproblems": [{"type": "urn:ietf:params:acme:error:caa",
      "detail": "<svg onload=alert(3)>",
      "identifier": {"type": "dns", "value": "hostile.example.test"}}]}}},
  "sec-authz-ident": {"vars": {"ident_type": "dns",
    "ident_value": "<svg onload=alert(4)>"}}
}
JSON
python3 tests/hostile/server.py --cert "$W/cert.pem" --key "$W/key.pem" \
    --chain "$W/cert.pem" --port-file "$W/hostile.port" \
    --scenarios "$W/scenarios.json" >"$W/hostile.log" 2>&1 &
hpid=$!
i=0
while [ ! -s "$W/hostile.port" ]; do
	i=$((i + 1))
	if [ "$i" -gt 100 ] || ! kill -0 "$hpid" 2>/dev/null; then
		echo "Bail out! tests/hostile/server.py did not start"
		sed 's/^/# /' "$W/hostile.log"
		exit 1
	fi
	sleep 0.1
done
HOSTILE_BASE=https://127.0.0.1:$(cat "$W/hostile.port")

SEC_PASSWORD=sec-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
for u in a b c; do
	printf '%s\n' "$SEC_PASSWORD" |
	    $ADMIN user add "$u" --password-stdin >/dev/null 2>>"$W/admin.err" ||
	    { echo "Bail out! acme-admin user add $u failed"; exit 1; }
done
SEC_A_TOKEN=$($ADMIN token create a sec 2>>"$W/admin.err")
SEC_B_TOKEN=$($ADMIN token create b sec 2>>"$W/admin.err")
export HOSTILE_BASE SEC_PASSWORD SEC_A_TOKEN SEC_B_TOKEN

rc=0
python3 tests/web/security.py || rc=$?
if grep -q -e 'Sanitizer' -e 'runtime error' "$PANEL_WORK/lighttpd.error.log" \
    "$PANEL_WORK/lighttpd.out" 2>/dev/null; then
	echo "# sanitizer reports in lighttpd's logs:"
	grep -h -e 'Sanitizer' -e 'runtime error' -A5 \
	    "$PANEL_WORK/lighttpd.error.log" "$PANEL_WORK/lighttpd.out" |
	    head -40 | sed 's/^/# /'
	rc=1
fi
grep 'client bug' "$W/hostile.log" | head -5 | sed 's/^/# hostile CA: /' || true
exit "$rc"
