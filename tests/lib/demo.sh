#!/bin/sh
# The demo behind `make run`.
#
# A local test CA: Debian's pebble with pebble-challtestsrv as its DNS
# (every name resolves to 127.0.0.1); its TLS certificates, config and
# logs under var/ca/ (the HTTPS trust anchor var/ca/ca.pem survives
# restarts; Pebble's own issuing roots do not).  The panel: lighttpd with
# acme.fcgi on 127.0.0.1:$ACME_PANEL_PORT and on the port Pebble's
# validator calls for http-01, the database and key-encryption key under
# var/panel/.  acme-sweep every few seconds, when it is built.  Prints
# the URL and the admin sign-in, then waits; Ctrl-C (or TERM) stops
# everything it started.  Everything listens on 127.0.0.1.
#
# ACME_ADMIN_PASSWORD and ACME_ADMIN_TOKEN, when set, become the admin's
# password and an API token.
#
# Ports (environment, defaults):
#   ACME_PANEL_PORT=8080	the panel (lighttpd + acme.fcgi; later stage)
#   ACME_CA_PORT=14000		Pebble's ACME directory, https://127.0.0.1:P/dir
#   ACME_CA_MGMT_PORT=15000	Pebble's management (/roots/0, ...)
#   ACME_HTTP01_PORT=5002	the port Pebble's validator calls for http-01
#   ACME_TLSALPN01_PORT=5001	the port it calls for tls-alpn-01
#   ACME_CHALL_PORT=8055	pebble-challtestsrv's management API
#   ACME_DNS_PORT=8053		pebble-challtestsrv's DNS (UDP and TCP)
# Other settings:
#   ACME_VAR=var		state directory (the CA's under $ACME_VAR/ca)
#   PEBBLE_*			passed to pebble (e.g. PEBBLE_WFE_NONCEREJECT=0);
#				PEBBLE_VA_NOSLEEP=1 unless a sleep is asked for
set -eu
cd "$(dirname "$0")/../.."
ACME_BUILD=${ACME_BUILD:-build/rel}	# what "make run" built
. tests/lib/pebble.sh
. tests/lib/web.sh

ACME_PANEL_PORT=${ACME_PANEL_PORT:-8080}
ACME_CA_PORT=${ACME_CA_PORT:-14000}
ACME_CA_MGMT_PORT=${ACME_CA_MGMT_PORT:-15000}
ACME_HTTP01_PORT=${ACME_HTTP01_PORT:-5002}
ACME_TLSALPN01_PORT=${ACME_TLSALPN01_PORT:-5001}
ACME_CHALL_PORT=${ACME_CHALL_PORT:-8055}
ACME_DNS_PORT=${ACME_DNS_PORT:-8053}
ACME_VAR=${ACME_VAR:-var}
state=$ACME_VAR/ca

# Refuse a busy or twice-used port by the name of its variable.
busy=
seen=' '
for v in ACME_CA_PORT ACME_CA_MGMT_PORT ACME_HTTP01_PORT \
    ACME_TLSALPN01_PORT ACME_CHALL_PORT ACME_DNS_PORT ACME_PANEL_PORT; do
	p=''
	eval "p=\$$v"
	case $p in
	''|*[!0-9]*)
		echo "demo: $v=$p is not a port number" >&2
		exit 1 ;;
	esac
	case $seen in
	*" $p "*)
		echo "demo: $v=$p is already used by another setting" >&2
		exit 1 ;;
	esac
	seen="$seen$p "
	# Each port must be free on 127.0.0.1.
	if ! tests/lib/freeport -c "$p" >/dev/null; then
		busy="$busy $v=$p"
	fi
done
if [ -n "$busy" ]; then
	echo "demo: in use on 127.0.0.1:$busy" >&2
	echo "demo: set those variables to free ports (see tests/lib/demo.sh)" >&2
	exit 1
fi

mkdir -p "$state"
chmod 0700 "$ACME_VAR" "$state" 2>/dev/null || true

stopping=0
# shellcheck disable=SC2317  # called from the EXIT trap
stop() {
	[ "$stopping" = 1 ] && return 0
	stopping=1
	echo
	echo "demo: stopping the panel, the sweep and the local test CA"
	# Ctrl-C reaches the sweep loop too; it may be gone already.
	if [ -n "${sweep_pid:-}" ]; then
		kill "$sweep_pid" 2>/dev/null || true
	fi
	panel_stop
	case ${1:-0} in
	129|130|143) pebble_stop 0 ;;	# asked to stop: no log tails
	*) pebble_stop "${1:-0}" ;;
	esac
}
trap 'stop $?' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

sweep_pid=
if ! pebble_start dir="$state" own-http01 \
    acme-port="$ACME_CA_PORT" mgmt-port="$ACME_CA_MGMT_PORT" \
    http01-port="$ACME_HTTP01_PORT" tls-port="$ACME_TLSALPN01_PORT" \
    chall-port="$ACME_CHALL_PORT" dns-port="$ACME_DNS_PORT"; then
	echo "demo: the local test CA did not start; logs in $state/" >&2
	exit 1
fi

# For the later stages and for the curious: what a shell needs to talk to
# this CA (". var/ca/env").
{
	echo "# Written by tests/lib/demo.sh; valid while it runs."
	for v in ACME_TEST_DIR ACME_TEST_CA ACME_TEST_CHALL \
	    ACME_TEST_PEBBLE_MGMT ACME_TEST_HTTP01_PORT ACME_TEST_DNS; do
		eval "echo \"$v='\$$v'; export $v\""
	done
} >"$state/env"

if ! panel_start dir="$ACME_VAR/panel" port="$ACME_PANEL_PORT"; then
	echo "demo: the panel did not start; logs in $ACME_VAR/panel/" >&2
	exit 1
fi

# dns-01 orders: the sweep publishes TXT records in challtestsrv.
echo "dns_hook = $ACME_ROOT/etc/hooks/dns-challtestsrv" >>"$PANEL_CONF"
ACME_HOOK_CHALLTESTSRV=$ACME_TEST_CHALL
export ACME_HOOK_CHALLTESTSRV

# The cron job, every few seconds instead of every few minutes.
if [ -x "$ACME_BUILD/bin/acme-sweep" ]; then
	(
		while :; do
			"$ACME_BUILD/bin/acme-sweep" -c "$PANEL_CONF" --once \
			    >>"$ACME_VAR/panel/sweep.log" 2>&1
			sleep 5
		done
	) &
	sweep_pid=$!
	sweep_line="every 5 s, log in $ACME_VAR/panel/sweep.log"
else
	sweep_line="not built yet"
fi

cat <<EOF

acme-panel demo (test certificates from a local CA only)

  open               $PANEL_URL/acme
  sign in            admin / $PANEL_ADMIN_PASSWORD
  API token          $PANEL_ADMIN_TOKEN
                     curl -H 'Accept: application/json' \\
                          -H 'Authorization: Bearer $PANEL_ADMIN_TOKEN' $PANEL_URL/acme

  try                add a CA account with "Local test CA", then order any
                     names (every name resolves to this machine here) and
                     answer http-01: this panel serves the answers itself

  local test CA      $ACME_TEST_DIR   (Pebble; roots at
                     $ACME_TEST_PEBBLE_MGMT/roots/0)
  http-01 port       127.0.0.1:$ACME_TEST_HTTP01_PORT (lighttpd + acme.fcgi)
  DNS                $ACME_TEST_DNS (challtestsrv; TXT via $ACME_TEST_CHALL)
  acme-sweep         $sweep_line
  state and logs     $ACME_VAR/ (config: $PANEL_CONF)

Ctrl-C stops everything.
EOF

# In the foreground until a signal, or until one of them dies.
while _pb_alive "$_pb_pebble_pid" && _pb_alive "$_pb_chall_pid"; do
	sleep 1
done
echo "demo: pebble or pebble-challtestsrv exited; see $state/*.log" >&2
exit 1
