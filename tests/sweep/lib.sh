# tests/sweep/lib.sh: what the acme-sweep tests share.  Sourced from the
# repository root by tests/sweep/*.t (after tests/lib/pebble.sh and
# tests/lib/web.sh when they use Pebble and lighttpd).
#
#   sw_init NAME		skip unless built; scratch dir $D; TAP counters
#   ok RC DESC [DIAG]	one TAP line (RC 0 = pass); is GOT WANT DESC
#   sw_done		the plan and the exit status
#   sw_conf BASE [key = value]...	$SCONF: BASE's lines plus these
#   sweep [args]		runs acme-sweep -c $SCONF (stderr to $D/sweep.log)
#   q SQL			sqlite3 on $DB, one value per line
#   api METHOD PATH [JSON]	the panel's JSON API with the admin token,
#				through lighttpd ($PANEL_URL) or, without
#				it, acme.fcgi as plain CGI; body in $D/api.out,
#				status in $api_status
#   jget FIELD		FIELD of the JSON on stdin
#   hostile_start		the hostile CA (tests/hostile/server.py) with
#				tests/sweep/scenarios.json; $HOSTILE=https://..
#   h01_start		the http-01 bridge (h01.py) for $CONF; $H01_PORT
#   plain_panel		config + database + admin token without lighttpd

ACME_ROOT=${ACME_ROOT:-$(pwd)}
B=${ACME_BUILD:-build/asan}
case $B in
/*) ;;
*) B=$ACME_ROOT/$B ;;
esac
SWEEP=${ACME_SWEEP:-$B/bin/acme-sweep}
FCGI=$B/acme.fcgi
ADMIN_BIN=$B/bin/acme-admin
: "${ASAN_OPTIONS:=detect_leaks=1:abort_on_error=1}"
: "${UBSAN_OPTIONS:=print_stacktrace=1:halt_on_error=1}"
export ASAN_OPTIONS UBSAN_OPTIONS
HOOKS=$ACME_ROOT/tests/sweep/hooks
n=0
failed=0
_sw_pids=

sw_init() {
	for _b in "$SWEEP" "$FCGI" "$ADMIN_BIN"; do
		if [ ! -x "$_b" ]; then
			echo "1..0 # SKIP $_b is not built"
			exit 0
		fi
	done
	for _t in sqlite3 python3 openssl curl; do
		if ! command -v "$_t" >/dev/null 2>&1; then
			echo "1..0 # SKIP $_t is not installed"
			exit 0
		fi
	done
	# A signal ends the script through its EXIT trap (cleanup).
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 141' PIPE
	trap 'exit 143' TERM
	D=$ACME_ROOT/tests/out/sweep-$1
	rm -rf "$D"
	mkdir -p "$D" || exit 1
	chmod 0700 "$D"
	export ACME_HOOK_TEST_DIR="$D"
}

ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
		[ -n "${3:-}" ] && printf '%s\n' "$3" | head -40 | sed 's/^/#   /'
	fi
}

is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3" "got '$1', want '$2'"
	fi
}

# ASan or UBSan reports in the sweep's log fail the test.
sw_sanitizers() {
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
	    "$D/sweep.log" 2>/dev/null; then
		ok 1 "no sanitizer report in the sweeps' stderr" \
		    "$(grep -E -A12 'Sanitizer|runtime error' "$D/sweep.log" | head -40)"
	else
		ok 0 "no sanitizer report in the sweeps' stderr"
	fi
}

sw_done() {
	sw_sanitizers
	echo "1..$n"
	if [ "$failed" -gt 0 ]; then
		echo "# $failed failed; kept $D" >&2
		[ -s "$D/sweep.log" ] && tail -n 30 "$D/sweep.log" | sed 's/^/# /'
		exit 1
	fi
	[ "${ACME_TEST_KEEP:-0}" = 1 ] || rm -rf "$D"
	exit 0
}

sw_conf() {
	SCONF=$D/sweep.conf
	cat "$1" >"$SCONF.tmp"
	shift
	for _l in "$@"; do
		printf '%s\n' "$_l" >>"$SCONF.tmp"
	done
	mv "$SCONF.tmp" "$SCONF"
}

sweep() {
	env ACME_HOOK_TEST_DIR="$D" ${SWEEP_ENV:-} "$SWEEP" -c "$SCONF" "$@" \
	    2>>"$D/sweep.log"
}

q() {
	sqlite3 -batch -noheader -cmd '.timeout 10000' "$DB" "$1"
}

jget() {
	python3 -c 'import json, sys
try:
    v = json.load(sys.stdin)
    for k in sys.argv[1].split("."):
        v = v[int(k)] if isinstance(v, list) else v[k]
    print(v if v is not None else "")
except Exception:
    print("")' "$1"
}

api() {
	printf '%s' "${3:-}" >"$D/api.in"
	if [ -n "${PANEL_URL:-}" ]; then
		api_status=$(curl -s -o "$D/api.out" -w '%{http_code}' \
		    --noproxy '*' --max-time 120 -X "$1" \
		    -H "Authorization: Bearer $PANEL_ADMIN_TOKEN" \
		    -H 'Accept: application/json' \
		    -H 'Content-Type: application/json' \
		    ${3:+--data-binary @"$D/api.in"} "$PANEL_URL$2")
		return 0
	fi
	env -i PATH="$PATH" ACME_PANEL_CONF="$CONF" \
	    ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" \
	    GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 \
	    SERVER_NAME=localhost SERVER_PORT=80 REMOTE_ADDR=127.0.0.1 \
	    REQUEST_METHOD="$1" REQUEST_URI="$2" SCRIPT_NAME="" \
	    HTTP_AUTHORIZATION="Bearer $PANEL_ADMIN_TOKEN" \
	    HTTP_ACCEPT=application/json CONTENT_TYPE=application/json \
	    CONTENT_LENGTH="$(wc -c <"$D/api.in" | tr -d ' ')" \
	    "$FCGI" <"$D/api.in" >"$D/api.raw" 2>>"$D/cgi.err"
	api_status=$(sed -n '1,/^\r*$/s/^Status: \([0-9]*\).*/\1/p' \
	    "$D/api.raw" | head -n 1)
	sed '1,/^\r*$/d' "$D/api.raw" >"$D/api.out"
}

# A config and database with an admin and a token, no web server.
plain_panel() {
	CONF=$D/acme-panel.conf
	DB=$D/acme.db
	cat >"$CONF" <<-EOF
	database = $DB
	kek_file = $D/kek
	templates = $ACME_ROOT/templates
	scrypt_lock = $D/scrypt.lock
	EOF
	for _l in "$@"; do
		printf '%s\n' "$_l" >>"$CONF"
	done
	printf 'admin-password-for-tests-42\n' | "$ADMIN_BIN" -c "$CONF" \
	    user add admin --admin --password-stdin >/dev/null || return 1
	PANEL_ADMIN_TOKEN=$("$ADMIN_BIN" -c "$CONF" token create admin tests \
	    2>/dev/null) || return 1
	PANEL_URL=
}

# sw_alive PID: 0 while PID runs (a zombie, not yet reaped, is dead).
sw_alive() {
	kill -0 "$1" 2>/dev/null || return 1
	case $(cat "/proc/$1/stat" 2>/dev/null) in
	'') return 1 ;;
	*") Z "*|*") X "*) return 1 ;;
	esac
	return 0
}

# Remembers a background pid to kill at exit.
sw_bg() {
	_sw_pids="$_sw_pids $1"
}

sw_cleanup() {
	for _p in $_sw_pids; do
		kill "$_p" 2>/dev/null
	done
	for _p in $_sw_pids; do
		wait "$_p" 2>/dev/null
	done
	_sw_pids=
}

# Waits up to $2 tenths of a second for file $1 to exist.
sw_wait_file() {
	_i=0
	while [ ! -s "$1" ] && [ "$_i" -lt "$2" ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ -s "$1" ]
}

hostile_start() {
	(
		set -e
		cd "$D"
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout ca.key -out ca.pem -days 30 \
		    -subj "/CN=acme-sweep hostile test CA" \
		    -addext "basicConstraints=critical,CA:TRUE" \
		    -addext "keyUsage=critical,keyCertSign,cRLSign" \
		    -addext "subjectKeyIdentifier=hash"
		printf '%s\n' '[srv]' 'basicConstraints = critical,CA:FALSE' \
		    'keyUsage = critical,digitalSignature' \
		    'extendedKeyUsage = serverAuth' \
		    'subjectAltName = IP:127.0.0.1,DNS:localhost,DNS:sweep.example' \
		    'subjectKeyIdentifier = hash' \
		    'authorityKeyIdentifier = keyid' >ext.cnf
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout srv.key -out srv.csr -subj "/CN=127.0.0.1"
		openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key \
		    -CAserial ca.srl -CAcreateserial -days 90 \
		    -extfile ext.cnf -extensions srv -out srv.pem
		cat srv.pem ca.pem >chain.pem
	) >"$D/openssl.log" 2>&1 || return 1
	python3 "$ACME_ROOT/tests/hostile/server.py" --cert "$D/srv.pem" \
	    --key "$D/srv.key" --chain "$D/chain.pem" \
	    --scenarios "$ACME_ROOT/tests/sweep/scenarios.json" \
	    --port-file "$D/hostile.port" >"$D/hostile.log" 2>&1 &
	sw_bg $!
	sw_wait_file "$D/hostile.port" 100 || return 1
	HOSTILE=https://127.0.0.1:$(cat "$D/hostile.port")
}

h01_start() {
	python3 "$ACME_ROOT/tests/sweep/h01.py" "$FCGI" "$CONF" \
	    "$D/h01.port" >"$D/h01.log" 2>&1 &
	sw_bg $!
	sw_wait_file "$D/h01.port" 100 || return 1
	H01_PORT=$(cat "$D/h01.port")
}

# hostile_count SEG ENDPOINT: requests the hostile CA saw.
hostile_count() {
	curl -s --cacert "$D/ca.pem" --noproxy '*' \
	    "$HOSTILE/ctl/count?s=$1&e=$2"
}

# account SERVER: registers an account through the API; prints its id.
account() {
	api POST /acme/accounts "{\"acme_server\":\"$1\",\"email\":\"owner@example.com\",\"key_type\":\"ec-256\",\"tos_agreed\":true}"
	jget id <"$D/api.out"
}

# order ACCOUNT DOMAINS TYPE: places an auto order; prints its id.
order() {
	api POST /acme/orders "{\"account_id\":$1,\"domains\":\"$2\",\"key_type\":\"ec-256\",\"challenge_type\":\"$3\",\"auto\":true,\"auto_renew\":true}"
	jget id <"$D/api.out"
}

# mkcert ACCOUNT DOMAIN NOT_BEFORE NOT_AFTER [ARI_ID]: a valid certificate
# (the hostile CA's chain) of a valid auto-renew order, as if issued
# before; prints the certificate's id.
mkcert() {
	_now=$(date +%s)
	q "INSERT INTO orders (owner, account_id, order_url, status, domains,
	    key_type, challenge_type, auto, auto_renew, created, updated)
	    VALUES (1, $1, 'https://old.invalid/order/$2/$_now/$$-$n', 'valid',
	    json_array('$2'), 'ec-256', 'http-01', 1, 1, $_now, $_now);
	  INSERT INTO certificates (order_id, owner, account_id, serial,
	    not_before, not_after, domains, chain_pem, ari_id, created, updated)
	    VALUES (last_insert_rowid(), 1, $1, '0a', $3, $4, json_array('$2'),
	    CAST(readfile('$D/chain.pem') AS TEXT), ${5:+'}${5:-NULL}${5:+'}, $_now, $_now);
	  SELECT last_insert_rowid();"
}

# sweeps_until SQL SECONDS: runs sweeps until SQL prints 1; 0 on success.
sweeps_until() {
	_end=$(($(date +%s) + $2))
	while [ "$(date +%s)" -lt "$_end" ]; do
		sweep "${SWEEP_ARGS:---once}"
		[ "$(q "$1")" = 1 ] && return 0
		sleep 0.5
	done
	return 1
}

# hostile_setup: the hostile CA, the http-01 bridge, a panel config and
# database that trust it, and $SCONF with the test hooks.
hostile_setup() {
	hostile_start || return 1
	CONF=$D/acme-panel.conf
	h01_start || return 1
	plain_panel "allow_private_ca = yes" "ca_file = $D/ca.pem" \
	    "selfcheck_ip = 127.0.0.1" "http01_port = $H01_PORT" \
	    "ca_timeout = 10" || return 1
	sw_conf "$CONF" "billing_hook = $HOOKS/billing" \
	    "deploy_hook = $HOOKS/deploy" "notify_hook = $HOOKS/notify" \
	    "lease_seconds = 90" "$@"
}

# issue_due COUNT PREFIX: COUNT certificates from Pebble (orders through
# the API, sweeps to carry them), then made due (make_due).  Sets $ACCT
# and $CERTS (ids, space separated).
issue_due() {
	ACCT=$(account local-test-ca)
	[ -n "$ACCT" ] || return 1
	_i=1
	while [ "$_i" -le "$1" ]; do
		[ -n "$(order "$ACCT" "$2$_i.sweep.test" http-01)" ] || return 1
		_i=$((_i + 1))
	done
	SWEEP_ARGS="-j4" sweeps_until "SELECT count(*) = $1 FROM certificates" 120 ||
	    return 1
	CERTS=$(q "SELECT id FROM certificates ORDER BY id" | tr '\n' ' ')
	make_due $CERTS
	: >"$D/deploy.log"
}

# make_due ID...: the stored dates of these certificates become those of
# a 90-day certificate 70 days old (Pebble's own last five years).
# not_due ID...: those of one 10 days old.
make_due() {
	_now=$(date +%s)
	for _c in "$@"; do
		q "UPDATE certificates SET not_before = $((_now - 70 * 86400)),
		    not_after = $((_now + 20 * 86400)) WHERE id = $_c"
	done
}
not_due() {
	_now=$(date +%s)
	for _c in "$@"; do
		q "UPDATE certificates SET not_before = $((_now - 10 * 86400)),
		    not_after = $((_now + 80 * 86400)) WHERE id = $_c"
	done
}

# renewal_report: for each certificate in $CERTS, how many renewal
# orders (any status) and certificates it got, and how many distinct
# keys were charged for it; one "cert:orders:valid:certs:charged" line each.
renewal_report() {
	for _c in $CERTS; do
		printf '%s:%s:%s:%s:%s\n' "$_c" \
		    "$(q "SELECT count(*) FROM orders WHERE renews = $_c")" \
		    "$(q "SELECT count(*) FROM orders WHERE renews = $_c AND status = 'valid'")" \
		    "$(q "SELECT count(*) FROM certificates WHERE order_id IN (SELECT id FROM orders WHERE renews = $_c)")" \
		    "$(awk -v c="$_c" '$1 == "charge" && $3 == c { print $2 }' \
		    "$D/billing.ledger" 2>/dev/null | sort -u | wc -l | tr -d ' ')"
	done
}
