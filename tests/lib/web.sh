# tests/lib/web.sh: the panel behind a real lighttpd, for tests and the
# demo.  Sourced from the repository root after tests/lib/pebble.sh and a
# successful pebble_start (own-http01): lighttpd serves the panel on a
# free port and the http-01 answers on ACME_TEST_HTTP01_PORT, the port
# Pebble's validator calls.
#
#   panel_start [dir=PATH] [port=N] [auth=remote_user]
#   panel_stop
#
# Exported: PANEL_URL (http://127.0.0.1:P), PANEL_CONF, PANEL_DB,
# PANEL_WORK, PANEL_ADMIN_PASSWORD, PANEL_ADMIN_TOKEN, ADMIN (acme-admin
# command with -c).

ACME_BUILD=${ACME_BUILD:-build/asan}	# the demo sets build/rel first
_pw_pid=

panel_start() {
	_pw_dir= _pw_port= _pw_auth=builtin
	for _pw_o in "$@"; do
		case $_pw_o in
		dir=*) _pw_dir=${_pw_o#dir=} ;;
		port=*) _pw_port=${_pw_o#port=} ;;
		auth=*) _pw_auth=${_pw_o#auth=} ;;
		*) echo "web.sh: unknown option $_pw_o" >&2; return 1 ;;
		esac
	done
	[ -n "$_pw_dir" ] || _pw_dir=$(mktemp -d "${ACME_TEST_WORK:-/tmp}/panel.XXXXXX")
	mkdir -p "$_pw_dir/www" "$_pw_dir/run"
	chmod 0700 "$_pw_dir"
	[ -n "$_pw_port" ] || _pw_port=$(tests/lib/freeport 1)
	PANEL_WORK=$(cd "$_pw_dir" && pwd)
	PANEL_CONF=$PANEL_WORK/acme-panel.conf
	PANEL_DB=$PANEL_WORK/acme.db
	PANEL_URL=http://127.0.0.1:$_pw_port
	_pw_dns=${ACME_TEST_DNS:-}
	cat > "$PANEL_CONF" <<EOC
# written by tests/lib/web.sh
database = $PANEL_DB
kek_file = $PANEL_WORK/kek
templates = $ACME_ROOT/templates
auth = $_pw_auth
remote_user_create = yes
local_ca_url = $ACME_TEST_DIR
ca_file = $ACME_TEST_CA
http01_port = $ACME_TEST_HTTP01_PORT
selfcheck_ip = 127.0.0.1
selfcheck_dns = $_pw_dns
scrypt_lock = $PANEL_WORK/scrypt.lock
EOC
	ADMIN="$ACME_BUILD/bin/acme-admin -c $PANEL_CONF"
	PANEL_ADMIN_PASSWORD=${ACME_ADMIN_PASSWORD:-admin-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')}
	# A kept database (the demo's var/) already has its admin: set the
	# password again so the one printed is the one that works.
	if ! printf '%s\n' "$PANEL_ADMIN_PASSWORD" |
	    $ADMIN user add admin --admin --password-stdin >/dev/null 2>&1; then
		printf '%s\n' "$PANEL_ADMIN_PASSWORD" |
		    $ADMIN user passwd admin --password-stdin >/dev/null || return 1
	fi
	if [ -n "${ACME_ADMIN_TOKEN:-}" ]; then
		# Already stored from an earlier start is fine too.
		printf '%s\n' "$ACME_ADMIN_TOKEN" |
		    $ADMIN token create admin preset --token-stdin 2>/dev/null ||
		    echo "web.sh: ACME_ADMIN_TOKEN not stored now (kept from" \
		    "an earlier start, or not of the form acme_ + 43" \
		    "base64url characters)" >&2
		PANEL_ADMIN_TOKEN=$ACME_ADMIN_TOKEN
	else
		PANEL_ADMIN_TOKEN=$($ADMIN token create admin tests 2>/dev/null) ||
		    return 1
	fi
	cat > "$PANEL_WORK/lighttpd.conf" <<EOC
server.document-root = "$PANEL_WORK/www"
server.bind = "127.0.0.1"
server.port = $_pw_port
\$SERVER["socket"] == "127.0.0.1:$ACME_TEST_HTTP01_PORT" { }
server.errorlog = "$PANEL_WORK/lighttpd.error.log"
server.pid-file = "$PANEL_WORK/run/lighttpd.pid"
server.modules += ( "mod_access" )
var.acme_fcgi = "$ACME_ROOT/$ACME_BUILD/acme.fcgi"
var.acme_conf = "$PANEL_CONF"
var.acme_socket = "$PANEL_WORK/run/acme.sock"
include "$ACME_ROOT/etc/lighttpd.conf"
EOC
	# ASan's leak report at exit would go to lighttpd's log; keep it.
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
	    lighttpd -D -f "$PANEL_WORK/lighttpd.conf" \
	    > "$PANEL_WORK/lighttpd.out" 2>&1 &
	_pw_pid=$!
	_pw_n=0
	while ! curl -fsS -o /dev/null "$PANEL_URL/acme/login" 2>/dev/null; do
		_pw_n=$((_pw_n + 1))
		if [ "$_pw_n" -gt 100 ] || ! kill -0 "$_pw_pid" 2>/dev/null; then
			echo "web.sh: lighttpd did not come up" >&2
			cat "$PANEL_WORK/lighttpd.out" "$PANEL_WORK/lighttpd.error.log" >&2 2>/dev/null
			return 1
		fi
		sleep 0.1
	done
	export PANEL_URL PANEL_CONF PANEL_DB PANEL_WORK PANEL_ADMIN_PASSWORD \
	    PANEL_ADMIN_TOKEN ADMIN
}

panel_stop() {
	[ -n "$_pw_pid" ] || return 0
	# lighttpd's FastCGI children, by pid, in case one outlives it (a
	# backend respawned while the server was being stopped).
	_pw_kids=$(pgrep -P "$_pw_pid" 2>/dev/null || true)
	kill -TERM "$_pw_pid" 2>/dev/null || true
	# lighttpd stops its FastCGI children before it exits; give it up to
	# 5 s (wait alone returns at once inside a signal trap under dash).
	_pw_n=0
	while kill -0 "$_pw_pid" 2>/dev/null && [ "$_pw_n" -lt 50 ]; do
		sleep 0.1
		_pw_n=$((_pw_n + 1))
	done
	kill -KILL "$_pw_pid" 2>/dev/null || true
	wait "$_pw_pid" 2>/dev/null || true
	# A backend lighttpd respawned while stopping is no child any more;
	# it is ours when its environment names our config.
	for _pw_k in $(pgrep -x acme.fcgi 2>/dev/null || true); do
		if { tr '\0' '\n' < "/proc/$_pw_k/environ"; } 2>/dev/null |
		    grep -qx "ACME_PANEL_CONF=$PANEL_CONF"; then
			_pw_kids="$_pw_kids $_pw_k"
		fi
	done
	for _pw_k in $_pw_kids; do
		kill -TERM "$_pw_k" 2>/dev/null || true
	done
	_pw_pid=
}
