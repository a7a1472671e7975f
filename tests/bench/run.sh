#!/bin/sh
# Issuance benchmark: libacme (tests/bench/acme_issue) next to uacme, lego
# and certbot, all against one local Pebble started here.
#
# Each client, in each of $BENCH_RUNS rounds (default 5, clients taking
# turns), registers a new account (fresh temporary directory, fresh EC
# P-256 keys) and issues one certificate for a.bench.test and
# b.bench.test.  Pebble runs with PEBBLE_VA_NOSLEEP=1 and
# PEBBLE_VA_ALWAYS_VALID=1 (nothing is validated, so no challenge is
# served), and PEBBLE_WFE_NONCEREJECT=0 unless $BENCH_NONCEREJECT says
# otherwise, so that random badNonce retries do not blur the comparison.
# GNU time measures every run; the table gives the median wall time, the
# median CPU time (user + system), the largest peak RSS and the ratios
# to libacme.  Target: libacme <= 0.10 s wall, CPU no higher than lego.
#
# uacme (libcurl-gnutls) has no CA option and reads the system store,
# so the script re-runs itself in a private mount namespace (unshare -m)
# where /etc/ssl/certs holds only the test CA; the host is not touched.
# Without unshare uacme is reported as skipped.
#
# Traffic goes to 127.0.0.1 only; every port is picked free at start.
# Exit status: 0 when libacme issued in every run, 1 otherwise.
set -u

cd "$(dirname "$0")/../.." || exit 1
self=tests/bench/run.sh

if [ -z "${BENCH_NS:-}" ] && command -v unshare >/dev/null 2>&1; then
	if [ "$(id -u)" -eq 0 ]; then
		ns="-m"
	else
		ns="-r -m"
	fi
	# shellcheck disable=SC2086
	if unshare $ns true 2>/dev/null; then
		BENCH_NS=1 exec unshare $ns sh "$self" "$@"
	fi
fi

export LC_ALL=C
runs=${BENCH_RUNS:-5}
build=${ACME_BUILD:-build/rel}
acme_issue=$build/tests/bench/acme_issue
names="a.bench.test b.bench.test"
timebin=/usr/bin/time

for p in pebble openssl curl python3; do
	command -v $p >/dev/null 2>&1 ||
	    { echo "run.sh: $p not found (make deps)" >&2; exit 1; }
done
[ -x $timebin ] || { echo "run.sh: GNU time missing (apt-get install time)" >&2; exit 1; }
[ -x "$acme_issue" ] ||
    { echo "run.sh: $acme_issue missing (make bench builds it)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/acme-bench.XXXXXX") || exit 1
pebble_pid=
cleanup() {
	if [ -n "$pebble_pid" ]; then
		kill "$pebble_pid" 2>/dev/null
		wait "$pebble_pid" 2>/dev/null
	fi
	[ "${BENCH_KEEP:-}" = 1 ] && echo "kept $tmp" >&2 && return
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# Free loopback ports: Pebble's ACME and validation ports, and the
# ports lego's and certbot's standalone servers bind (never called).
set -- $(python3 -c '
import socket
ss = []
for _ in range(5):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    ss.append(s)
print(" ".join(str(s.getsockname()[1]) for s in ss))
')
[ $# -eq 5 ] || { echo "run.sh: no free ports" >&2; exit 1; }
acme_port=$1 http_port=$2 tls_port=$3 lego_port=$4 certbot_port=$5

# A test CA and a certificate for 127.0.0.1 for Pebble's listener.
ca=$tmp/ca.pem
{
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout "$tmp/ca.key" -out "$ca" -days 2 \
	    -subj "/CN=libacme bench test CA" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" &&
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout "$tmp/srv.key" -out "$tmp/srv.csr" \
	    -subj "/CN=127.0.0.1" &&
	printf '%s\n' "subjectAltName=IP:127.0.0.1" \
	    "basicConstraints=critical,CA:FALSE" \
	    "keyUsage=critical,digitalSignature" \
	    "extendedKeyUsage=serverAuth" >"$tmp/srv.ext" &&
	openssl x509 -req -in "$tmp/srv.csr" -CA "$ca" -CAkey "$tmp/ca.key" \
	    -CAcreateserial -out "$tmp/srv.pem" -days 2 \
	    -extfile "$tmp/srv.ext"
} >"$tmp/openssl.log" 2>&1 ||
    { cat "$tmp/openssl.log" >&2; echo "run.sh: openssl failed" >&2; exit 1; }

cat >"$tmp/pebble.json" <<EOF
{
  "pebble": {
    "listenAddress": "127.0.0.1:$acme_port",
    "managementListenAddress": "",
    "certificate": "$tmp/srv.pem",
    "privateKey": "$tmp/srv.key",
    "httpPort": $http_port,
    "tlsPort": $tls_port,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": false
  }
}
EOF

PEBBLE_VA_NOSLEEP=1 PEBBLE_VA_ALWAYS_VALID=1 \
PEBBLE_WFE_NONCEREJECT=${BENCH_NONCEREJECT:-0} \
    pebble -config "$tmp/pebble.json" -strict=false >"$tmp/pebble.log" 2>&1 &
pebble_pid=$!
dir=https://127.0.0.1:$acme_port/dir
i=0
until curl -fs --cacert "$ca" -o /dev/null "$dir"; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$pebble_pid" 2>/dev/null; then
		cat "$tmp/pebble.log" >&2
		echo "run.sh: pebble did not start" >&2
		exit 1
	fi
	sleep 0.1
done

# uacme trusts only the system store: give it the test CA in this
# private mount namespace.
uacme_ok=
if [ -n "${BENCH_NS:-}" ] && command -v uacme >/dev/null 2>&1; then
	mkdir -p "$tmp/trust"
	cp "$ca" "$tmp/trust/ca-certificates.crt"
	cp "$ca" "$tmp/trust/bench-ca.pem"
	hash=$(openssl x509 -noout -subject_hash -in "$ca")
	ln -s bench-ca.pem "$tmp/trust/$hash.0"
	mount --bind "$tmp/trust" /etc/ssl/certs 2>"$tmp/mount.log" &&
	    uacme_ok=1
fi
printf '#!/bin/sh\nexit 0\n' >"$tmp/hook.sh"
chmod 0755 "$tmp/hook.sh"

# run_client NAME ROUND: one timed issuance in a fresh directory; the
# "wall user sys maxrss-KiB" line goes to $tmp/NAME.times.  Returns
# non-zero when the client failed or its certificate lacks a name.
run_client() {
	who=$1
	w=$tmp/run-$1-$2
	mkdir -p "$w"
	case $1 in
	libacme)
		cert=$w/chain.pem
		set -- "$acme_issue" -d "$dir" -C "$ca" -o "$cert" $names
		;;
	uacme)
		cert=$w/a.bench.test/cert.pem
		set -- sh -c 'uacme -a "$1" -c "$2" -t EC -y -h "$3" new &&
		    uacme -a "$1" -c "$2" -t EC -o -h "$3" issue $4' \
		    uacme "$dir" "$w" "$tmp/hook.sh" "$names"
		;;
	lego)
		cert=$w/certificates/a.bench.test.crt
		set -- env LEGO_CA_CERTIFICATES="$ca" lego --server "$dir" \
		    --email x@y.test --accept-tos --path "$w" \
		    --domains a.bench.test --domains b.bench.test \
		    --http --http.port "127.0.0.1:$lego_port" run
		;;
	certbot)
		cert=$w/etc/live/a.bench.test/cert.pem
		set -- env REQUESTS_CA_BUNDLE="$ca" certbot certonly \
		    --server "$dir" --config-dir "$w/etc" \
		    --work-dir "$w/work" --logs-dir "$w/logs" \
		    --register-unsafely-without-email --agree-tos \
		    --non-interactive --standalone \
		    --http-01-address 127.0.0.1 \
		    --http-01-port "$certbot_port" \
		    -d a.bench.test -d b.bench.test
		;;
	esac
	log=$w.log
	if ! $timebin -f '%e %U %S %M' -o "$w.time" "$@" >"$log" 2>&1; then
		return 1
	fi
	san=$(openssl x509 -noout -ext subjectAltName -in "$cert" 2>/dev/null)
	for n in $names; do
		case $san in
		*"DNS:$n"*) ;;
		*) echo "$n missing from $cert" >>"$log"; return 1 ;;
		esac
	done
	tail -n 1 "$w.time" >>"$tmp/$who.times"
	return 0
}

clients=libacme
for c in uacme lego certbot; do
	if ! command -v $c >/dev/null 2>&1; then
		eval "skip_$c='not installed'"
	elif [ $c = uacme ] && [ -z "$uacme_ok" ]; then
		eval "skip_$c='cannot trust the test CA (no unshare)'"
	else
		clients="$clients $c"
	fi
done

echo "# Pebble $dir, $runs runs each, names: $names" >&2
round=1
while [ $round -le "$runs" ]; do
	for c in $clients; do
		if run_client "$c" "$round"; then
			echo "# round $round $c: wall user sys KiB:" \
			    "$(tail -n 1 "$tmp/run-$c-$round.time")" >&2
		else
			echo "# round $round $c: FAILED" >&2
			sed -n 1,20p "$tmp/run-$c-$round.log" | sed 's/^/#   /' >&2
			eval "failed_$c=1"
		fi
	done
	round=$((round + 1))
done

# stats FILE: "median-wall median-cpu max-rss-MiB n" of a times file.
stats() {
	awk '
	{ wall[NR] = $1; cpu[NR] = $2 + $3; if ($4 > rss) rss = $4 }
	function median(a, n,    i, j, t) {
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	END {
		if (NR == 0) { print "- - - 0"; exit }
		printf "%.3f %.3f %.1f %d\n", median(wall, NR), median(cpu, NR),
		    rss / 1024, NR
	}' "$1"
}

# ratio A B: A / B to two places, "-" when either is missing or B is 0.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "-" || b + 0 == 0) print "-";
		else printf "%.2f\n", a / b }'
}

base_wall= base_cpu=
printf '\n%-8s | %13s | %16s | %12s | %10s | %9s | %s\n' client \
    "median wall s" "median CPU s" "peak RSS MiB" "wall ratio" \
    "CPU ratio" "runs ok"
printf '%s\n' "---------+---------------+------------------+--------------+------------+-----------+--------"
for c in libacme uacme lego certbot; do
	eval "skip=\${skip_$c:-}"
	if [ -n "$skip" ]; then
		printf '%-8s | skipped: %s\n' "$c" "$skip"
		continue
	fi
	touch "$tmp/$c.times"
	set -- $(stats "$tmp/$c.times")
	wall=$1 cpu=$2 rss=$3 n=$4
	if [ "$c" = libacme ]; then
		base_wall=$wall base_cpu=$cpu
	fi
	eval "wall_$c=$wall cpu_$c=$cpu"
	printf '%-8s | %13s | %16s | %12s | %10s | %9s | %d/%d\n' "$c" \
	    "$wall" "$cpu" "$rss" "$(ratio "$wall" "$base_wall")" \
	    "$(ratio "$cpu" "$base_cpu")" "$n" "$runs"
done

# The issue's targets.
verdict() {
	awk -v w="$1" -v c="$2" -v l="$3" 'BEGIN {
		if (w == "-") { print "libacme: no successful run"; exit }
		printf "target wall <= 0.10 s: %s (%.3f s)\n",
		    w + 0 <= 0.10 ? "met" : "MISSED", w
		if (l == "" || l == "-")
			print "target CPU <= lego: not measured"
		else
			printf "target CPU <= lego: %s (%.3f s vs %.3f s)\n",
			    c + 0 <= l + 0 ? "met" : "MISSED", c, l
	}'
}
echo
verdict "${wall_libacme:--}" "${cpu_libacme:--}" "${cpu_lego:-}"

[ -z "${failed_libacme:-}" ]
