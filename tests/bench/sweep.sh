#!/bin/sh
# Bulk renewal benchmark: acme-sweep renewing $BENCH_CERTS (400) due
# certificates in one `acme-sweep --once -j N` run, for each N in
# $BENCH_JOBS ("16 64"), next to lego issuing as many certificates with
# $BENCH_LEGO_P (64) parallel processes, on the same local Pebble in the
# same run.
#
# Pebble runs with PEBBLE_VA_NOSLEEP=1 PEBBLE_VA_ALWAYS_VALID=1 and
# PEBBLE_WFE_NONCEREJECT=0 (as tests/bench/run.sh), through
# tests/lib/pebble.sh.  Pebble never calls back, but acme-sweep's
# http-01 self-check always runs before it answers a challenge, so the
# panel runs as in production and in tests/sweep: behind lighttpd
# (tests/lib/web.sh), which answers the self-check on the http-01 port
# from the panel's database.  No billing hook (renewals are free), no
# deploy or notify hook.
#
# Setup, not timed: a fresh panel config and database, one account,
# $BENCH_CERTS auto orders through the API, untimed sweeps (-j 32) until
# every one has its certificate.  Before each timed run every current
# certificate is made due the way tests/sweep/lib.sh's make_due does it
# (not_before 70 days ago, not_after in 20 days).
#
# lego runs last.  On a 2-CPU machine, Debian 12's Pebble stopped
# answering (every request timing out, for minutes, even a later
# account registration) during 400 lego runs 64 at a time, whether lego
# ran first or after the sweeps; a lego batch that did not issue every
# certificate gets no ratio.  The cause, from a goroutine dump of the
# hung Pebble (2.4.0): MemoryStore.FindValidAuthorization (authorization
# reuse, in newOrder) holds the store's read lock while it takes each
# authorization's lock, and a concurrent newOrder holds the lock of the
# authorization it is creating while it waits for the store's write lock
# (AddChallenge): a deadlock, after which every request that needs the
# store waits forever.  It needs two newOrders at once, so any client
# fast enough can meet it, acme-sweep too (more often the more orders
# Pebble holds and the more run at once); a sweep run it hits ends with
# CA timeouts in its audit log, and this script says so.
#
# Timed: /usr/bin/time -f '%e %U %S %M' around one acme-sweep run (its
# own CPU and peak RSS) and around the whole lego batch (xargs -P:
# CPU of all lego processes, peak RSS of the largest single one).  Each
# lego process registers its own account (fresh --path), as lego does.
# Renewed = certificates made due that are now 'replaced' and have a
# valid renewal order.
#
# Target (the issue): acme-sweep >= 100 certificates/s.
# Exit status: 0 when it measured (every sweep run renewed all the due
# certificates), 1 otherwise.  Whether the target is met is reported.
# Environment: ACME_BUILD (build/rel), BENCH_CERTS (400), BENCH_JOBS
# ("16 64"), BENCH_LEGO_P (64; 0 skips lego), BENCH_KEEP (1: keep the work
# directory), BENCH_HOLD (1: after the setup, write $D/env (CONF, DB,
# SWEEP and the CA's variables, for ". $D/env") and keep Pebble and
# lighttpd running, nothing timed, until $D/stop exists: for profiling
# one sweep at a time; "make_due" in $D/env makes every current
# certificate due again).
# Traffic goes to 127.0.0.1 only; every process started is stopped by pid.
set -u

cd "$(dirname "$0")/../.." || exit 1
export LC_ALL=C
ACME_BUILD=${ACME_BUILD:-build/rel}
export ACME_BUILD
CERTS=${BENCH_CERTS:-400}
JOBS=${BENCH_JOBS:-16 64}
LEGO_P=${BENCH_LEGO_P:-64}
timebin=/usr/bin/time

for p in pebble pebble-challtestsrv lighttpd sqlite3 curl openssl python3; do
	command -v $p >/dev/null 2>&1 ||
	    { echo "sweep.sh: $p not found (make deps)" >&2; exit 1; }
done
[ -x $timebin ] || { echo "sweep.sh: GNU time missing" >&2; exit 1; }
for b in bin/acme-sweep bin/acme-admin acme.fcgi; do
	[ -x "$ACME_BUILD/$b" ] ||
	    { echo "sweep.sh: $ACME_BUILD/$b missing (make MODE=rel all)" >&2; exit 1; }
done

. tests/lib/pebble.sh
. tests/lib/web.sh
. tests/sweep/lib.sh		# api, q, account, order (no sw_init)

D=$(mktemp -d "${TMPDIR:-/tmp}/acme-sweep-bench.XXXXXX") || exit 1
lego_pid=
cleanup() {
	rc=$?
	[ -n "$lego_pid" ] && kill "$lego_pid" 2>/dev/null
	panel_stop
	pebble_stop 0
	if [ "${BENCH_KEEP:-}" = 1 ]; then
		echo "kept $D" >&2
	else
		rm -rf "$D"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

say() { echo "# $*" >&2; }

pebble_start own-http01 dir="$D/pebble" PEBBLE_VA_NOSLEEP=1 \
    PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_WFE_NONCEREJECT=0 ||
    { echo "sweep.sh: pebble did not start" >&2; exit 1; }
panel_start dir="$D/panel" ||
    { echo "sweep.sh: the panel did not start" >&2; exit 1; }
CONF=$PANEL_CONF
DB=$PANEL_DB
SWEEP=$ACME_BUILD/bin/acme-sweep

# --- Setup (not timed) ------------------------------------------------
say "Pebble $ACME_TEST_DIR; setting up $CERTS certificates"
ACCT=$(account local-test-ca)
[ -n "$ACCT" ] || { echo "sweep.sh: no account: $(cat "$D/api.out")" >&2; exit 1; }
i=1
while [ $i -le "$CERTS" ]; do
	[ -n "$(order "$ACCT" "s$i.bench.test" http-01)" ] ||
	    { echo "sweep.sh: order $i failed: $(cat "$D/api.out")" >&2; exit 1; }
	i=$((i + 1))
done
end=$(($(date +%s) + 600))
while [ "$(q "SELECT count(*) FROM certificates WHERE status = 'valid'")" -lt "$CERTS" ]; do
	[ "$(date +%s)" -lt "$end" ] ||
	    { echo "sweep.sh: initial issuance incomplete" >&2; exit 1; }
	"$SWEEP" -c "$CONF" --once -j 32 2>>"$D/setup.log"
done
say "$CERTS certificates issued"

if [ "${BENCH_HOLD:-}" = 1 ]; then
	cat >"$D/env" <<-EOF
	CONF=$CONF
	DB=$DB
	SWEEP=$SWEEP
	ACME_TEST_DIR=$ACME_TEST_DIR
	ACME_TEST_CA=$ACME_TEST_CA
	ACME_TEST_HTTP01_PORT=$ACME_TEST_HTTP01_PORT
	export CONF DB SWEEP ACME_TEST_DIR ACME_TEST_CA ACME_TEST_HTTP01_PORT
	make_due() {
		_now=\$(date +%s)
		sqlite3 "\$DB" "UPDATE certificates SET
		    not_before = \$((_now - 70 * 86400)),
		    not_after = \$((_now + 20 * 86400)) WHERE status = 'valid'"
	}
	EOF
	say "holding: . $D/env; touch $D/stop to end"
	while [ ! -e "$D/stop" ]; do
		sleep 1
	done
	exit 0
fi

# --- acme-sweep (timed) -----------------------------------------------
measured=1
for j in $JOBS; do
	# Make every current certificate due (tests/sweep/lib.sh make_due).
	now=$(date +%s)
	ids=$(q "SELECT group_concat(id) FROM certificates WHERE status = 'valid'")
	q "UPDATE certificates SET not_before = $((now - 70 * 86400)),
	    not_after = $((now + 20 * 86400)) WHERE id IN ($ids)"
	due=$(q "SELECT count(*) FROM certificates WHERE id IN ($ids)")
	sync
	$timebin -f '%e %U %S %M' -o "$D/sweep-$j.time" \
	    "$SWEEP" -c "$CONF" --once -j "$j" 2>"$D/sweep-$j.log"
	src=$?
	renewed=$(q "SELECT count(*) FROM certificates c WHERE c.id IN ($ids)
	    AND c.status = 'replaced' AND EXISTS (SELECT 1 FROM orders o
	    WHERE o.renews = c.id AND o.status = 'valid')")
	say "acme-sweep -j $j: exit $src, $renewed of $due renewed;" \
	    "wall user sys KiB: $(tail -n 1 "$D/sweep-$j.time")"
	if [ "$renewed" != "$due" ]; then
		measured=0
		sed -n 1,20p "$D/sweep-$j.log" | sed 's/^/#   /' >&2
		[ "$(q "SELECT count(*) FROM audit_log WHERE actor = 'acme-sweep'
		    AND detail LIKE '%timed out%'")" -gt 0 ] &&
		    say "the CA timed out: Pebble's lock bug (see the header)?"
	fi
	echo "acme-sweep-j$j $renewed $(tail -n 1 "$D/sweep-$j.time")" >>"$D/results"
done

# --- lego (timed) -----------------------------------------------------
if [ "$LEGO_P" = 0 ]; then
	say "BENCH_LEGO_P=0: no lego comparison"
elif command -v lego >/dev/null 2>&1; then
	python3 -c '
import socket, sys
ss = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    ss.append(s)
print("\n".join("%d %d" % (i + 1, s.getsockname()[1]) for i, s in enumerate(ss)))
' "$CERTS" >"$D/lego.ports" || exit 1
	mkdir -p "$D/lego"
	cat >"$D/lego.sh" <<-'EOF'
	#!/bin/sh
	# lego.sh INDEX PORT: one certificate in a fresh directory.
	exec lego --server "$LEGO_DIR" --email x@y.test --accept-tos \
	    --path "$LEGO_WORK/$1" --domains "l$1.bench.test" \
	    --http --http.port "127.0.0.1:$2" run >"$LEGO_WORK/$1.log" 2>&1
	EOF
	chmod 0755 "$D/lego.sh"
	LEGO_CA_CERTIFICATES=$ACME_TEST_CA LEGO_DIR=$ACME_TEST_DIR \
	LEGO_WORK=$D/lego $timebin -f '%e %U %S %M' -o "$D/lego.time" \
	    xargs -P "$LEGO_P" -n 2 "$D/lego.sh" <"$D/lego.ports" &
	lego_pid=$!
	wait "$lego_pid"
	lego_pid=
	lego_ok=$(ls "$D"/lego/*/certificates/l*.bench.test.crt 2>/dev/null | wc -l)
	say "lego -P $LEGO_P: $lego_ok of $CERTS issued;" \
	    "wall user sys KiB: $(tail -n 1 "$D/lego.time")"
	echo "lego-P$LEGO_P $lego_ok $(tail -n 1 "$D/lego.time")" >>"$D/results"
else
	say "lego not installed: no comparison"
fi

# --- Table ------------------------------------------------------------
echo
echo "Bulk renewal, $CERTS due certificates, Pebble (VA_NOSLEEP, VA_ALWAYS_VALID), $(nproc) CPUs"
awk -v n="$CERTS" '
{ name[NR] = $1; ok[NR] = $2; wall[NR] = $3; cpu[NR] = $4 + $5; rss[NR] = $6
  if ($1 ~ /^lego/) lego = NR }
END {
	printf "%-15s | %12s | %6s | %7s | %11s | %12s | %s\n", "client",
	    "certificates", "wall s", "certs/s", "CPU ms/cert", "peak RSS MiB",
	    "ratio vs lego"
	print "----------------+--------------+--------+---------+-------------+--------------+--------------"
	best = 0
	for (i = 1; i <= NR; i++) {
		rate[i] = wall[i] > 0 ? ok[i] / wall[i] : 0
		if (name[i] !~ /^lego/ && ok[i] == n && rate[i] > best) best = rate[i]
	}
	for (i = 1; i <= NR; i++) {
		# No ratio against an incomplete lego batch.
		r = "-"
		if (lego && ok[lego] == n && rate[lego] > 0)
			r = sprintf("%.2fx", rate[i] / rate[lego])
		printf "%-15s | %5d of %-3d | %6.2f | %7.1f | %11.2f | %12.1f | %s\n",
		    name[i], ok[i], n, wall[i], rate[i],
		    cpu[i] * 1000 / n, rss[i] / 1024, r
	}
	if (lego && ok[lego] < n)
		printf "\nlego issued %d of %d (Pebble stopped answering it): no ratio\n", ok[lego], n
	printf "\ntarget >= 100 certs/s: %s (best acme-sweep: %.1f certs/s)\n",
	    (best >= 100 ? "met" : "missed"), best
}' "$D/results"
[ "$measured" = 1 ]
