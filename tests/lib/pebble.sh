# tests/lib/pebble.sh: a local ACME CA for tests and the demo.
#
# Sourced (". tests/lib/pebble.sh") from the repository root by the test
# scripts (tests/*/*.t) and by tests/lib/demo.sh.  Starts Debian's pebble
# with pebble-challtestsrv as its DNS server (every name resolves to
# 127.0.0.1, no AAAA) and, unless told otherwise, as its http-01 responder.
# Everything listens on 127.0.0.1 only.
#
#   pebble_start [option...]	start both; returns non-zero on failure
#   pebble_stop [status]	stop what pebble_start started; with a
#				non-zero status, show the logs' tails first
#   pebble_traps		trap EXIT/HUP/INT/TERM so that pebble_stop
#				always runs and the exit status is kept
#
# Options of pebble_start:
#   eab			externalAccountBindingRequired, with one MAC key whose
#			kid and base64url key are exported as ACME_TEST_EAB_KID
#			and ACME_TEST_EAB_HMAC
#   own-http01		challtestsrv does not listen on the http-01 port: the
#			caller serves ACME_TEST_HTTP01_PORT (lighttpd in the
#			panel's tests)
#   dir=PATH		keep config, TLS certificates and logs in PATH (made if
#			missing, kept by pebble_stop, certificates reused while
#			valid); default: a fresh scratch directory under
#			tests/out/ (or $TMPDIR), removed by pebble_stop unless
#			ACME_TEST_KEEP=1 or the status given to it is non-zero
#   acme-port=N mgmt-port=N http01-port=N tls-port=N chall-port=N dns-port=N
#			fixed ports; the others are picked free (tests/lib/freeport)
#   PEBBLE_NAME=VALUE	passed to pebble's environment, e.g.
#			PEBBLE_WFE_NONCEREJECT=30 PEBBLE_VA_SLEEPTIME=1
#			PEBBLE_AUTHZREUSE=100 PEBBLE_ALTERNATE_ROOTS=2
#			PEBBLE_CHAIN_LENGTH=2.  PEBBLE_* variables already in the
#			environment pass through too.  Without PEBBLE_VA_NOSLEEP or
#			PEBBLE_VA_SLEEPTIME, PEBBLE_VA_NOSLEEP=1 is set (pebble
#			would otherwise sleep up to 15 s before each validation).
#
# Exported on success:
#   ACME_TEST_DIR		directory URL, https://127.0.0.1:P/dir
#   ACME_TEST_CA		PEM file of the CA that signed Pebble's HTTPS cert
#   ACME_TEST_CHALL		challtestsrv management, http://127.0.0.1:P
#   ACME_TEST_PEBBLE_MGMT	Pebble management, https://127.0.0.1:P (/roots/0,
#				/intermediates/0, /cert-status-by-serial/S)
#   ACME_TEST_HTTP01_PORT	port Pebble's validator calls for http-01
#   ACME_TEST_TLSALPN01_PORT	port it calls for tls-alpn-01 (nobody serves it)
#   ACME_TEST_DNS		challtestsrv DNS, 127.0.0.1:P (UDP and TCP)
#   ACME_TEST_WORK		the state directory; tests may write files there
#
# Processes are recorded by pid, killed by pid; a small watchdog kills them
# too if the calling shell dies without running pebble_stop.

ACME_ROOT=${ACME_ROOT:-$(pwd)}
_pb_pebble_pid=
_pb_chall_pid=
_pb_watch_pid=
_pb_dir=''
_pb_scratch=0

# _pb_log MESSAGE: to stderr, where prove shows it.
_pb_log() {
	echo "pebble.sh: $*" >&2
}

# _pb_alive PID: 0 while PID runs (a zombie counts as dead).
_pb_alive() {
	kill -0 "$1" 2>/dev/null || return 1
	if [ -r "/proc/$1/stat" ]; then
		case $(cat "/proc/$1/stat" 2>/dev/null) in
		*") Z "*|*") X "*) return 1 ;;
		esac
	fi
	return 0
}

# _pb_kill PID: TERM, up to 5 s, then KILL; reaps it.
_pb_kill() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null || true
	_pb_n=0
	while _pb_alive "$1" && [ "$_pb_n" -lt 50 ]; do
		sleep 0.1
		_pb_n=$((_pb_n + 1))
	done
	if _pb_alive "$1"; then
		_pb_log "pid $1 ignored TERM; killing"
		kill -KILL "$1" 2>/dev/null || true
	fi
	wait "$1" 2>/dev/null || true
}

# _pb_certs DIR: a throwaway CA and a leaf for localhost, 127.0.0.1, ::1.
# Kept when DIR already holds a pair valid for at least another day.
_pb_certs() {
	if [ -s "$1/ca.pem" ] && [ -s "$1/cert.pem" ] && [ -s "$1/key.pem" ] &&
	    openssl x509 -checkend 86400 -noout -in "$1/cert.pem" \
	    >/dev/null 2>&1 &&
	    openssl verify -CAfile "$1/ca.pem" "$1/cert.pem" >/dev/null 2>&1
	then
		return 0
	fi
	(
		umask 077
		cd "$1" || exit 1
		rm -f ca.pem ca.key cert.pem key.pem leaf.csr leaf.ext
		openssl req -x509 -new -newkey ec \
		    -pkeyopt ec_paramgen_curve:P-256 -nodes \
		    -keyout ca.key -out ca.pem -days 825 \
		    -subj "/CN=libacme test CA (not for production) $(date +%s)" \
		    -addext "basicConstraints=critical,CA:TRUE" \
		    -addext "keyUsage=critical,keyCertSign,cRLSign" \
		    -addext "subjectKeyIdentifier=hash" || exit 1
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout key.pem -out leaf.csr \
		    -subj "/CN=localhost" || exit 1
		cat >leaf.ext <<-'EOF'
		basicConstraints=critical,CA:FALSE
		keyUsage=critical,digitalSignature
		extendedKeyUsage=serverAuth
		subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
		subjectKeyIdentifier=hash
		authorityKeyIdentifier=keyid
		EOF
		openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key \
		    -set_serial "0x$(openssl rand -hex 16)" -days 825 \
		    -extfile leaf.ext -out cert.pem || exit 1
		rm -f leaf.csr leaf.ext
		chmod 0644 ca.pem cert.pem
	) >"$1/openssl.log" 2>&1 || {
		_pb_log "could not make TLS certificates:"
		sed 's/^/    /' "$1/openssl.log" >&2
		return 1
	}
}

# _pb_wait_http URL CAFILE: 0 once URL answers (any HTTP status), at most
# 20 s, while the pids in $_pb_wait_pids live.
_pb_wait_http() {
	_pb_n=0
	while [ "$_pb_n" -lt 200 ]; do
		for _pb_p in $_pb_wait_pids; do
			_pb_alive "$_pb_p" || return 1
		done
		if [ -n "$2" ]; then
			_pb_code=$(curl -s -o /dev/null -w '%{http_code}' \
			    --noproxy '*' --max-time 2 --cacert "$2" "$1" \
			    2>/dev/null) || true
		else
			_pb_code=$(curl -s -o /dev/null -w '%{http_code}' \
			    --noproxy '*' --max-time 2 "$1" 2>/dev/null) || true
		fi
		case $_pb_code in
		[1-5][0-9][0-9]) return 0 ;;
		esac
		sleep 0.1
		_pb_n=$((_pb_n + 1))
	done
	_pb_log "no answer from $1 within 20 s"
	return 1
}

# _pb_tail: the end of both logs, on stderr.
_pb_tail() {
	for _pb_f in challtestsrv.log pebble.log; do
		[ -s "$_pb_dir/$_pb_f" ] || continue
		echo "--- last lines of $_pb_dir/$_pb_f" >&2
		tail -n 25 "$_pb_dir/$_pb_f" | sed 's/^/    /' >&2
	done
}

pebble_start() {
	if [ -n "$_pb_pebble_pid$_pb_chall_pid" ]; then
		_pb_log "already started; call pebble_stop first"
		return 1
	fi
	for _pb_b in pebble pebble-challtestsrv openssl curl perl; do
		command -v "$_pb_b" >/dev/null 2>&1 || {
			_pb_log "$_pb_b not installed (make deps)"
			return 1
		}
	done
	_pb_eab=0
	_pb_own=0
	_pb_dir=''
	_pb_env=''
	_pb_fixed=''
	_pb_ap='' _pb_mp='' _pb_hp='' _pb_tp='' _pb_cp='' _pb_dp=''
	for _pb_a in "$@"; do
		case $_pb_a in
		eab) _pb_eab=1 ;;
		own-http01) _pb_own=1 ;;
		dir=?*) _pb_dir=${_pb_a#dir=} ;;
		acme-port=*) _pb_ap=${_pb_a#*=} ;;
		mgmt-port=*) _pb_mp=${_pb_a#*=} ;;
		http01-port=*) _pb_hp=${_pb_a#*=} ;;
		tls-port=*) _pb_tp=${_pb_a#*=} ;;
		chall-port=*) _pb_cp=${_pb_a#*=} ;;
		dns-port=*) _pb_dp=${_pb_a#*=} ;;
		PEBBLE_*=*)
			# Values are numbers or short words: keep them to
			# characters that need no quoting.
			case ${_pb_a#*=} in
			*[!A-Za-z0-9_.:-]*)
				_pb_log "bad value in $_pb_a"
				return 1 ;;
			esac
			_pb_env="$_pb_env $_pb_a" ;;
		*)
			_pb_log "unknown option '$_pb_a'"
			return 1 ;;
		esac
		case $_pb_a in
		*-port=*)
			case ${_pb_a#*=} in
			''|*[!0-9]*)
				_pb_log "bad port in $_pb_a"
				return 1 ;;
			esac
			_pb_fixed="$_pb_fixed ${_pb_a#*=}" ;;
		esac
	done
	case " $_pb_env " in
	*" PEBBLE_VA_NOSLEEP="*|*" PEBBLE_VA_SLEEPTIME="*) ;;
	*)
		if [ -z "${PEBBLE_VA_NOSLEEP:-}${PEBBLE_VA_SLEEPTIME:-}" ]; then
			_pb_env="$_pb_env PEBBLE_VA_NOSLEEP=1"
		fi ;;
	esac

	if [ -n "$_pb_dir" ]; then
		_pb_scratch=0
		mkdir -p "$_pb_dir" || return 1
		_pb_dir=$(cd "$_pb_dir" && pwd) || return 1
	else
		_pb_scratch=1
		_pb_base=$ACME_ROOT/tests/out
		mkdir -p "$_pb_base" 2>/dev/null || _pb_base=${TMPDIR:-/tmp}
		_pb_dir=$(mktemp -d "$_pb_base/pebble.XXXXXX") || return 1
	fi
	case $_pb_dir in
	*[\"\\]*)
		_pb_log "state directory '$_pb_dir' holds \" or \\"
		return 1 ;;
	esac
	_pb_certs "$_pb_dir" || return 1

	if [ -n "$_pb_fixed" ]; then
		# shellcheck disable=SC2086
		_pb_busy=$("$ACME_ROOT/tests/lib/freeport" -c $_pb_fixed) || {
			_pb_log "port(s) in use:" $_pb_busy
			return 1
		}
	fi

	# Ports picked free can be taken by someone else before we bind
	# them: try again with new ones, three times.
	_pb_try=1
	while :; do
		if _pb_launch; then
			break
		fi
		_pb_tail
		_pb_kill "$_pb_pebble_pid"
		_pb_kill "$_pb_chall_pid"
		_pb_pebble_pid='' _pb_chall_pid=''
		if [ "$_pb_try" -ge 3 ] || [ -n "$_pb_fixed" ]; then
			_pb_log "could not start Pebble (logs in $_pb_dir)"
			return 1
		fi
		_pb_try=$((_pb_try + 1))
		_pb_log "start failed; trying again with other ports"
	done

	# Kill both if the shell that started them dies without pebble_stop.
	perl -e '
		$0 = "pebble.sh watchdog";
		my ($parent, @pids) = @ARGV;
		sleep 1 while kill 0, $parent;
		kill "TERM", @pids;
		sleep 3;
		kill "KILL", @pids;
	' "$$" "$_pb_chall_pid" "$_pb_pebble_pid" </dev/null >/dev/null 2>&1 &
	_pb_watch_pid=$!

	ACME_TEST_DIR=https://127.0.0.1:$_pb_ap/dir
	ACME_TEST_CA=$_pb_dir/ca.pem
	ACME_TEST_CHALL=http://127.0.0.1:$_pb_cp
	ACME_TEST_PEBBLE_MGMT=https://127.0.0.1:$_pb_mp
	ACME_TEST_HTTP01_PORT=$_pb_hp
	ACME_TEST_TLSALPN01_PORT=$_pb_tp
	ACME_TEST_DNS=127.0.0.1:$_pb_dp
	ACME_TEST_WORK=$_pb_dir
	export ACME_TEST_DIR ACME_TEST_CA ACME_TEST_CHALL ACME_TEST_PEBBLE_MGMT \
	    ACME_TEST_HTTP01_PORT ACME_TEST_TLSALPN01_PORT ACME_TEST_DNS \
	    ACME_TEST_WORK
	if [ "$_pb_eab" = 1 ]; then
		export ACME_TEST_EAB_KID ACME_TEST_EAB_HMAC
	else
		unset ACME_TEST_EAB_KID ACME_TEST_EAB_HMAC
	fi
	return 0
}

# _pb_launch: picks ports, writes the config, starts challtestsrv then
# pebble, waits until both answer.
_pb_launch() {
	_pb_ports=$("$ACME_ROOT/tests/lib/freeport" 6) || return 1
	# shellcheck disable=SC2086
	set -- $_pb_ports
	[ -n "$_pb_fixed" ] || _pb_ap='' _pb_mp='' _pb_hp='' _pb_tp='' _pb_cp='' _pb_dp=''
	_pb_ap=${_pb_ap:-$1} _pb_mp=${_pb_mp:-$2} _pb_hp=${_pb_hp:-$3}
	_pb_tp=${_pb_tp:-$4} _pb_cp=${_pb_cp:-$5} _pb_dp=${_pb_dp:-$6}

	_pb_eabjson=''
	if [ "$_pb_eab" = 1 ]; then
		ACME_TEST_EAB_KID=kid-libacme
		ACME_TEST_EAB_HMAC=$(openssl rand 32 | openssl base64 -A |
		    tr '+/' '-_' | tr -d '=')
		_pb_eabjson=$(printf ',\n    "externalAccountMACKeys": { "%s": "%s" }' \
		    "$ACME_TEST_EAB_KID" "$ACME_TEST_EAB_HMAC")
	fi
	_pb_eabreq=false
	[ "$_pb_eab" = 1 ] && _pb_eabreq=true
	cat >"$_pb_dir/pebble.json" <<-EOF
	{
	  "pebble": {
	    "listenAddress": "127.0.0.1:$_pb_ap",
	    "managementListenAddress": "127.0.0.1:$_pb_mp",
	    "certificate": "$_pb_dir/cert.pem",
	    "privateKey": "$_pb_dir/key.pem",
	    "httpPort": $_pb_hp,
	    "tlsPort": $_pb_tp,
	    "ocspResponderURL": "",
	    "externalAccountBindingRequired": $_pb_eabreq$_pb_eabjson
	  }
	}
	EOF
	chmod 0600 "$_pb_dir/pebble.json"

	_pb_h01=127.0.0.1:$_pb_hp
	[ "$_pb_own" = 1 ] && _pb_h01=
	pebble-challtestsrv -management "127.0.0.1:$_pb_cp" \
	    -dns01 "127.0.0.1:$_pb_dp" -http01 "$_pb_h01" -https01 "" \
	    -tlsalpn01 "" -defaultIPv4 127.0.0.1 -defaultIPv6 "" \
	    </dev/null >"$_pb_dir/challtestsrv.log" 2>&1 &
	_pb_chall_pid=$!
	_pb_wait_pids=$_pb_chall_pid
	_pb_wait_http "http://127.0.0.1:$_pb_cp/" "" || return 1
	if [ "$_pb_own" = 0 ]; then
		_pb_wait_http \
		    "http://127.0.0.1:$_pb_hp/.well-known/acme-challenge/x" "" ||
		    return 1
	fi

	# shellcheck disable=SC2086
	env $_pb_env pebble -config "$_pb_dir/pebble.json" \
	    -dnsserver "127.0.0.1:$_pb_dp" -strict=false \
	    </dev/null >"$_pb_dir/pebble.log" 2>&1 &
	_pb_pebble_pid=$!
	_pb_wait_pids="$_pb_chall_pid $_pb_pebble_pid"
	_pb_wait_http "https://127.0.0.1:$_pb_ap/dir" "$_pb_dir/ca.pem" ||
	    return 1
	_pb_wait_http "https://127.0.0.1:$_pb_mp/roots/0" "$_pb_dir/ca.pem" ||
	    return 1
	# The directory must be JSON naming newAccount, not just any answer.
	curl -fsS --noproxy '*' --max-time 5 --cacert "$_pb_dir/ca.pem" \
	    "https://127.0.0.1:$_pb_ap/dir" 2>&1 | grep -q '"newAccount"' || {
		_pb_log "https://127.0.0.1:$_pb_ap/dir is not an ACME directory"
		return 1
	}
	return 0
}

pebble_stop() {
	_pb_rc=${1:-0}
	# The watchdog holds no state: KILL it (a TERM sent while it is still
	# between fork and exec would be lost).
	if [ -n "$_pb_watch_pid" ]; then
		kill -KILL "$_pb_watch_pid" 2>/dev/null || true
		wait "$_pb_watch_pid" 2>/dev/null || true
	fi
	_pb_kill "$_pb_pebble_pid"
	_pb_kill "$_pb_chall_pid"
	_pb_watch_pid='' _pb_pebble_pid='' _pb_chall_pid=''
	[ -n "$_pb_dir" ] || return 0
	if [ "$_pb_rc" != 0 ]; then
		_pb_tail
	fi
	if [ "$_pb_scratch" = 1 ]; then
		if [ "$_pb_rc" = 0 ] && [ "${ACME_TEST_KEEP:-0}" != 1 ]; then
			rm -rf "$_pb_dir"
		else
			_pb_log "kept $_pb_dir"
		fi
	fi
	_pb_dir=''
	return 0
}

pebble_traps() {
	trap 'pebble_stop $?' EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# pebble_tap NAME [pebble_start option...]
#	What a tests/integ/NAME.t does: skip (TAP) when pebble is not
#	installed, bail out when $ACME_BUILD/tests/integ/NAME (ACME_BUILD
#	defaults to build/asan) is not built, start Pebble with the options,
#	run the program (its TAP on stdout), stop Pebble whatever happens.
#	Exits with the program's status.
pebble_tap() {
	_pb_prog=${ACME_BUILD:-build/asan}/tests/integ/$1
	shift
	if ! command -v pebble >/dev/null 2>&1 ||
	    ! command -v pebble-challtestsrv >/dev/null 2>&1; then
		echo "1..0 # SKIP pebble is not installed (make deps)"
		exit 0
	fi
	if [ ! -x "$_pb_prog" ]; then
		echo "Bail out! $_pb_prog is not built (make MODE=asan tests)"
		exit 1
	fi
	pebble_traps
	if ! pebble_start "$@"; then
		echo "Bail out! Pebble did not start"
		exit 1
	fi
	"$_pb_prog"
}
