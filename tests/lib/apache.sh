# tests/lib/apache.sh: the panel behind a real Apache httpd 2.4, through
# the shipped etc/apache.conf (mod_proxy_fcgi) and acme.fcgi started by
# spawn-fcgi on a Unix socket.  Sourced from the repository root after
# tests/lib/pebble.sh and a successful pebble_start.
#
#   apache_start [auth=remote_user] [http01]
#					start spawn-fcgi + apache2; non-zero
#					on failure (the reason on stderr).
#					http01: Apache also listens on
#					ACME_TEST_HTTP01_PORT, the port Pebble
#					(started with own-http01) validates on
#   apache_stop [status]		stop both, by pid; the scratch
#					directory is removed when status is 0
#					(or absent) and ACME_TEST_KEEP is not 1
#
# Exported: APACHE_URL (http://127.0.0.1:P), APACHE_WORK, APACHE_CONF
# (httpd.conf), APACHE_PANEL_CONF, APACHE_DB, APACHE_ADMIN_PASSWORD,
# APACHE_ADMIN_TOKEN, APACHE_ADMIN (acme-admin with -c); with
# auth=remote_user also APACHE_BASIC_USER and APACHE_BASIC_PASSWORD, an
# htpasswd user Apache signs in (AuthType Basic, as in etc/apache.conf).
#
# Apache refuses to serve as root: started by root, its workers run as
# nobody:nogroup, and the socket is handed to nobody (spawn-fcgi -U).
# The FastCGI processes (four, as etc/apache.conf advises) keep the
# caller's uid: they own the database.

ACME_BUILD=${ACME_BUILD:-build/asan}
_ap_httpd_pid=
_ap_fcgi_pid=

# _ap_alive PID: 0 while PID runs and is not a zombie.
_ap_alive() {
	kill -0 "$1" 2>/dev/null || return 1
	case $(cat "/proc/$1/stat" 2>/dev/null) in
	*") Z "*|*") X "*) return 1 ;;
	esac
	return 0
}

# _ap_kill PID: TERM, up to 5 s, then KILL; reaps it.
_ap_kill() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null || true
	_ap_n=0
	while _ap_alive "$1" && [ "$_ap_n" -lt 50 ]; do
		sleep 0.1
		_ap_n=$((_ap_n + 1))
	done
	_ap_alive "$1" && kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null || true
}

# apache_modules: where this system keeps Apache's modules.
apache_modules() {
	for _ap_m in /usr/lib/apache2/modules /usr/lib64/httpd/modules \
	    /usr/libexec/apache2 /usr/lib/httpd/modules; do
		if [ -f "$_ap_m/mod_proxy_fcgi.so" ]; then
			echo "$_ap_m"
			return 0
		fi
	done
	return 1
}

apache_start() {
	_ap_auth=builtin _ap_h01=0
	for _ap_o in "$@"; do
		case $_ap_o in
		auth=*) _ap_auth=${_ap_o#auth=} ;;
		http01) _ap_h01=1 ;;
		*) echo "apache.sh: unknown option $_ap_o" >&2; return 1 ;;
		esac
	done
	_ap_httpd=$(command -v apache2 || command -v httpd) || {
		echo "apache.sh: apache2 is not installed" >&2
		return 1
	}
	_ap_mods=$(apache_modules) || {
		echo "apache.sh: no mod_proxy_fcgi.so found" >&2
		return 1
	}
	# Not under ACME_TEST_WORK: Pebble's directory is 0700.
	mkdir -p "$ACME_ROOT/tests/out" || return 1
	APACHE_WORK=$(mktemp -d "$ACME_ROOT/tests/out/apache.XXXXXX") ||
	    return 1
	APACHE_WORK=$(cd "$APACHE_WORK" && pwd)
	mkdir -p "$APACHE_WORK/run" "$APACHE_WORK/www" "$APACHE_WORK/panel" ||
	    return 1
	# Apache's workers (nobody) must reach the socket: every directory
	# above it needs o+x, the socket directory too.
	chmod 0711 "$APACHE_WORK" "$APACHE_WORK/run"
	chmod 0755 "$APACHE_WORK/www"
	chmod 0700 "$APACHE_WORK/panel"
	_ap_port=$("$ACME_ROOT/tests/lib/freeport" 1) || return 1
	APACHE_URL=http://127.0.0.1:$_ap_port
	APACHE_PANEL_CONF=$APACHE_WORK/panel/acme-panel.conf
	APACHE_DB=$APACHE_WORK/panel/acme.db
	APACHE_CONF=$APACHE_WORK/httpd.conf
	_ap_sock=$APACHE_WORK/run/acme.sock
	cat >"$APACHE_PANEL_CONF" <<-EOC
	# written by tests/lib/apache.sh
	database = $APACHE_DB
	kek_file = $APACHE_WORK/panel/kek
	templates = $ACME_ROOT/templates
	auth = $_ap_auth
	remote_user_create = yes
	local_ca_url = $ACME_TEST_DIR
	ca_file = $ACME_TEST_CA
	scrypt_lock = $APACHE_WORK/panel/scrypt.lock
	http01_port = $ACME_TEST_HTTP01_PORT
	selfcheck_ip = 127.0.0.1
	selfcheck_dns = $ACME_TEST_DNS
	EOC
	APACHE_ADMIN="$ACME_BUILD/bin/acme-admin -c $APACHE_PANEL_CONF"
	APACHE_ADMIN_PASSWORD=admin-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
	printf '%s\n' "$APACHE_ADMIN_PASSWORD" |
	    $APACHE_ADMIN user add admin --admin --password-stdin \
	    >/dev/null || return 1
	APACHE_ADMIN_TOKEN=$($APACHE_ADMIN token create admin tests \
	    2>"$APACHE_WORK/admin.err") ||
	    return 1

	_ap_user= _ap_sockown=
	if [ "$(id -u)" = 0 ]; then
		_ap_grp=nogroup
		getent group nogroup >/dev/null 2>&1 || _ap_grp=nobody
		_ap_user="User nobody
Group $_ap_grp"
		_ap_sockown="-U nobody"
	fi
	# As etc/apache.conf says: several processes (-F), their pids one a
	# line in the -P file, stopped by pid.  spawn-fcgi itself exits.
	# shellcheck disable=SC2086
	if ! ACME_PANEL_CONF=$APACHE_PANEL_CONF \
	    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
	    spawn-fcgi -s "$_ap_sock" -M 0600 $_ap_sockown -F 4 \
	    -P "$APACHE_WORK/run/fcgi.pid" \
	    -- "$ACME_ROOT/$ACME_BUILD/acme.fcgi" \
	    </dev/null >"$APACHE_WORK/fcgi.log" 2>&1; then
		echo "apache.sh: spawn-fcgi failed" >&2
		cat "$APACHE_WORK/fcgi.log" >&2
		return 1
	fi
	_ap_fcgi_pid=$(cat "$APACHE_WORK/run/fcgi.pid")
	if [ ! -S "$_ap_sock" ] || [ -z "$_ap_fcgi_pid" ]; then
		echo "apache.sh: spawn-fcgi did not create $_ap_sock" >&2
		cat "$APACHE_WORK/fcgi.log" >&2
		return 1
	fi

	# Only what a minimal server needs; etc/apache.conf loads the proxy
	# modules itself when they are missing.
	cat >"$APACHE_CONF" <<-EOC
	# written by tests/lib/apache.sh
	ServerRoot "$APACHE_WORK"
	ServerName 127.0.0.1
	Listen 127.0.0.1:$_ap_port
	$( [ "$_ap_h01" = 1 ] && echo "Listen 127.0.0.1:$ACME_TEST_HTTP01_PORT" )
	LoadModule mpm_event_module $_ap_mods/mod_mpm_event.so
	LoadModule authz_core_module $_ap_mods/mod_authz_core.so
	$( [ "$_ap_auth" = remote_user ] && printf '%s\n' \
	    "LoadModule authn_core_module $_ap_mods/mod_authn_core.so" \
	    "LoadModule authn_file_module $_ap_mods/mod_authn_file.so" \
	    "LoadModule auth_basic_module $_ap_mods/mod_auth_basic.so" \
	    "LoadModule authz_user_module $_ap_mods/mod_authz_user.so" )
	$_ap_user
	PidFile "$APACHE_WORK/run/httpd.pid"
	DefaultRuntimeDir "$APACHE_WORK/run"
	ErrorLog "$APACHE_WORK/error.log"
	LogLevel warn
	LogFormat "%h %u \"%r\" %>s %b" short
	CustomLog "$APACHE_WORK/access.log" short
	DocumentRoot "$APACHE_WORK/www"
	<Directory />
	    Require all denied
	</Directory>
	StartServers 1
	ServerLimit 1
	ThreadsPerChild 8
	MaxRequestWorkers 8
	Timeout 60

	Define ACME_SOCKET $_ap_sock
	Define ACME_APACHE_MODULES $_ap_mods
	Include "$ACME_ROOT/etc/apache.conf"
	EOC
	if [ "$_ap_auth" = remote_user ]; then
		APACHE_BASIC_USER=alice
		APACHE_BASIC_PASSWORD=basic-$(od -An -N6 -tx1 /dev/urandom |
		    tr -d ' \n')
		htpasswd -bcB "$APACHE_WORK/htpasswd" "$APACHE_BASIC_USER" \
		    "$APACHE_BASIC_PASSWORD" >/dev/null 2>&1 || {
			echo "apache.sh: htpasswd failed" >&2
			return 1
		}
		chmod 0644 "$APACHE_WORK/htpasswd"
		export APACHE_BASIC_USER APACHE_BASIC_PASSWORD
		# The snippet's commented example, made real in a second
		# <Location> that Apache merges after the snippet's.
		cat >>"$APACHE_CONF" <<-EOC
		<LocationMatch "^/acme(/|$)">
		    AuthType Basic
		    AuthName "Certificates"
		    AuthBasicProvider file
		    AuthUserFile "$APACHE_WORK/htpasswd"
		    Require valid-user
		</LocationMatch>
		EOC
	fi

	if ! "$_ap_httpd" -f "$APACHE_CONF" -t >"$APACHE_WORK/configtest.log" \
	    2>&1; then
		echo "apache.sh: apache2 -t failed:" >&2
		cat "$APACHE_WORK/configtest.log" >&2
		return 1
	fi
	"$_ap_httpd" -f "$APACHE_CONF" -DFOREGROUND \
	    </dev/null >"$APACHE_WORK/httpd.out" 2>&1 &
	_ap_httpd_pid=$!
	_ap_n=0
	while :; do
		_ap_code=$(curl -s -o /dev/null -w '%{http_code}' --noproxy '*' \
		    --max-time 2 "$APACHE_URL/.well-known/acme-challenge/x" \
		    2>/dev/null) || true
		case $_ap_code in
		[1-5][0-9][0-9]) break ;;
		esac
		_ap_n=$((_ap_n + 1))
		if [ "$_ap_n" -gt 100 ] || ! _ap_alive "$_ap_httpd_pid"; then
			echo "apache.sh: apache2 did not come up" >&2
			cat "$APACHE_WORK/httpd.out" "$APACHE_WORK/error.log" \
			    >&2 2>/dev/null
			return 1
		fi
		sleep 0.1
	done
	export APACHE_URL APACHE_WORK APACHE_CONF APACHE_PANEL_CONF APACHE_DB \
	    APACHE_ADMIN_PASSWORD APACHE_ADMIN_TOKEN APACHE_ADMIN
}

apache_stop() {
	_ap_kill "$_ap_httpd_pid"
	for _ap_p in $_ap_fcgi_pid; do
		_ap_kill "$_ap_p"
	done
	_ap_httpd_pid= _ap_fcgi_pid=
	[ -n "${APACHE_WORK:-}" ] && [ -d "$APACHE_WORK" ] || return 0
	if [ "${1:-0}" = 0 ] && [ "${ACME_TEST_KEEP:-0}" != 1 ]; then
		rm -rf "$APACHE_WORK"
	else
		echo "apache.sh: kept $APACHE_WORK" >&2
	fi
	APACHE_WORK=
}
