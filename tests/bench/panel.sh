#!/bin/sh
# Panel benchmark: acme.fcgi's busiest pages behind lighttpd, next to a
# hello-world libfcgi responder (tests/bench/hello.c) behind the same
# lighttpd in the same run.
#
# The database is made fresh by the real schema (acme-admin migrate),
# then tests/bench/seed fills it in one transaction: 1,000 users, 10,000
# CA accounts, 100,000 orders (domains JSON, mixed statuses, a
# certificate for each valid order) and 1,000,000 audit rows whose hash
# chain is valid (acme-admin audit verify passes).  The admin and its API
# token are added after the seed, with acme-admin, so their audit rows
# chain on.  A plain user's token (user0001) is made too.
#
# wrk (-t$BENCH_THREADS -c$BENCH_CONNS -d$BENCH_SECONDS, default
# -t2 -c16 -d6s, --latency) runs against each URL in turn after a short
# warm-up, each between two runs of hello, whose mean is its baseline
# (the machine's speed drifts over the minutes of a run, and hello's rate
# alone varies by 10-20% from one run to the next, more when the
# hypervisor lends this machine's time to others: "steal").  The whole
# list runs $BENCH_ROUNDS times (3) and the table gives each figure's
# median over the rounds, with the lowest and highest ratio.  For each
# run the script also reads the CPU time the FastCGI processes had
# (/proc/PID/schedstat) and the machine's steal time (/proc/stat): CPU a
# request is steadier than a rate on a shared machine.
# Pages are asked as a browser asks (Accept: text/html) and, unless
# BENCH_JSON=0, as the API (Accept: application/json).  Every request
# carries "Authorization: Bearer TOKEN".  wrk's timeout is raised to
# $BENCH_TIMEOUT s (30) so that a slow page shows its latency instead of
# timeouts.  hello gets as many processes as etc/lighttpd.conf gives the
# panel.  After the runs the script reads VmRSS, VmHWM, RssAnon, RssFile
# and the private pages (smaps_rollup) of each acme.fcgi from /proc, and
# whether libcurl is mapped (it is loaded on a CA call only).
#
# The table: req/s and the 50th and 99th percentile latencies from wrk,
# hello's rate around it (the mean of the runs just before and after),
# the ratio to it and its range over the rounds, the CPU of a request in
# acme.fcgi ("us/req") and in hello ("hel us"), the steal during the
# page's runs, "alone" (ms, the best of five single curl requests: the
# service time without queueing) and the verdict on the medians.
#
# Targets (the issue): each page >= 0.5x hello's req/s and p99 <= 10 ms;
# acme.fcgi resident memory <= 8 MB (8 MiB, VmHWM).  The script reports;
# it exits 0 whether the targets are met or not, 1 only when it could
# not measure (a tool or program missing, a page not answering 200).
#
# Environment: ACME_BUILD (build/rel), BENCH_SECONDS (6), BENCH_ROUNDS (3), BENCH_THREADS
# (2), BENCH_CONNS (16), BENCH_TIMEOUT (30), BENCH_JSON (1), BENCH_USER (1: also the pages
# of a plain user), BENCH_KEEP (1: keep the work directory and print
# it), BENCH_DB (a seeded database to copy instead of seeding; it must
# hold the admin user and tokens are then made again).
#
# Traffic goes to 127.0.0.1 only; the port is picked free at start;
# everything started here is stopped by its process id.
set -u

cd "$(dirname "$0")/../.." || exit 1
export LC_ALL=C
root=$(pwd)
build=${ACME_BUILD:-build/rel}
secs=${BENCH_SECONDS:-6}
threads=${BENCH_THREADS:-2}
conns=${BENCH_CONNS:-16}
wtimeout=${BENCH_TIMEOUT:-30}
rounds=${BENCH_ROUNDS:-3}
bdir=$build/tests/bench

for p in lighttpd wrk curl openssl cc pkg-config; do
	command -v $p >/dev/null 2>&1 ||
	    { echo "panel.sh: $p not found (make deps)" >&2; exit 1; }
done
for f in "$build/acme.fcgi" "$build/bin/acme-admin"; do
	[ -x "$f" ] || { echo "panel.sh: $f missing (make)" >&2; exit 1; }
done

# The seed and hello programs: built here, with the project's warnings.
cflags="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -D_GNU_SOURCE
    -Wall -Wextra -Werror -Wpedantic -Wshadow -Wpointer-arith -Wcast-qual
    -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wformat-security
    -Wvla -Wundef -Wwrite-strings -Wold-style-definition
    -Wnull-dereference -Wimplicit-fallthrough -O2 -g"
mkdir -p "$bdir"
# build NAME PKGS: cc tests/bench/NAME.c when the binary is older.
build() {
	if [ ! -x "$bdir/$1" ] || [ "tests/bench/$1.c" -nt "$bdir/$1" ]; then
		# shellcheck disable=SC2046,SC2086
		cc $cflags $(pkg-config --cflags $2) -o "$bdir/$1" \
		    "tests/bench/$1.c" $(pkg-config --libs $2) || return 1
	fi
}
build seed "sqlite3 libcrypto" && build hello fcgi ||
    { echo "panel.sh: building seed or hello failed" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/acme-panel-bench.XXXXXX") || exit 1
chmod 0700 "$tmp"
mkdir -p "$tmp/www" "$tmp/run"
lt_pid=
stop_lighttpd() {
	[ -n "$lt_pid" ] || return 0
	# lighttpd stops its FastCGI children before it exits.
	kill -TERM "$lt_pid" 2>/dev/null
	n=0
	while kill -0 "$lt_pid" 2>/dev/null && [ $n -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	kill -KILL "$lt_pid" 2>/dev/null
	wait "$lt_pid" 2>/dev/null
	# Children left behind (lighttpd killed hard): ours, by pid.
	for c in $fcgi_pids; do
		kill -TERM "$c" 2>/dev/null
	done
	lt_pid=
}
fcgi_pids=
cleanup() {
	stop_lighttpd
	if [ "${BENCH_KEEP:-}" = 1 ]; then
		echo "# kept $tmp" >&2
		return
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

conf=$tmp/acme-panel.conf
db=$tmp/acme.db
cat >"$conf" <<EOF
# written by tests/bench/panel.sh
database = $db
kek_file = $tmp/kek
templates = $root/templates
auth = builtin
scrypt_lock = $tmp/scrypt.lock
EOF
admin="$build/bin/acme-admin -c $conf"

# --- The database ------------------------------------------------------
t0=$(date +%s.%N)
if [ -n "${BENCH_DB:-}" ]; then
	cp "$BENCH_DB" "$db" || exit 1
	$admin migrate >/dev/null || exit 1
else
	$admin migrate >"$tmp/migrate.log" 2>&1 ||
	    { cat "$tmp/migrate.log" >&2; exit 1; }
	# A real certificate chain (leaf and issuer) for chain_pem.
	{
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout "$tmp/ca.key" -out "$tmp/ca.pem" -days 90 \
		    -subj "/CN=Bench Issuing CA" &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout "$tmp/leaf.key" -out "$tmp/leaf.csr" \
		    -subj "/CN=site1.example.com" &&
		printf 'subjectAltName=DNS:site1.example.com,DNS:www.site1.example.com\n' \
		    >"$tmp/leaf.ext" &&
		openssl x509 -req -in "$tmp/leaf.csr" -CA "$tmp/ca.pem" \
		    -CAkey "$tmp/ca.key" -CAcreateserial -days 90 \
		    -extfile "$tmp/leaf.ext" -out "$tmp/leaf.pem" &&
		cat "$tmp/leaf.pem" "$tmp/ca.pem" >"$tmp/chain.pem"
	} >"$tmp/openssl.log" 2>&1 ||
	    { cat "$tmp/openssl.log" >&2; exit 1; }
	"$bdir/seed" "$db" "$tmp/chain.pem" ||
	    { echo "panel.sh: seed failed" >&2; exit 1; }
	pw=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
	printf '%s\n' "$pw" |
	    $admin user add admin --admin --password-stdin >/dev/null ||
	    exit 1
fi
tok_admin=$($admin token create admin bench 2>/dev/null) ||
    { echo "panel.sh: token create admin failed" >&2; exit 1; }
tok_user=
if [ "${BENCH_USER:-1}" = 1 ]; then
	tok_user=$($admin token create user0001 bench 2>/dev/null) ||
	    { echo "panel.sh: token create user0001 failed" >&2; exit 1; }
fi
t1=$(date +%s.%N)
set -- $(sqlite3 "$db" "SELECT (SELECT count(*) FROM accounts) || ' ' ||
    (SELECT count(*) FROM orders) || ' ' ||
    (SELECT count(*) FROM certificates) || ' ' ||
    (SELECT count(*) FROM audit_log)" 2>/dev/null) 2>/dev/null
echo "# database: $(du -m "$db" | cut -f1) MB, ${1:-?} accounts," \
    "${2:-?} orders, ${3:-?} certificates, ${4:-?} audit rows;" \
    "made in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s" >&2

# --- lighttpd: the panel's own include, and /hello beside it ------------
# Copies of the two programs: the memory lines find the processes by
# their executable, which a rebuild of $build during the run would
# replace under them.
cp "$build/acme.fcgi" "$tmp/acme.fcgi" && cp "$bdir/hello" "$tmp/hello" ||
    exit 1
port=$(tests/lib/freeport 1) || exit 1
# hello gets as many processes as the panel's pool (etc/lighttpd.conf).
procs=$(awk -F'=>' '/"max-procs"/ { gsub(/[^0-9]/, "", $2); print $2; exit }' \
    etc/lighttpd.conf)
procs=${procs:-2}
cat >"$tmp/lighttpd.conf" <<EOF
server.document-root = "$tmp/www"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$tmp/lighttpd.error.log"
server.pid-file = "$tmp/run/lighttpd.pid"
server.modules += ( "mod_access" )
var.acme_fcgi = "$tmp/acme.fcgi"
var.acme_conf = "$conf"
var.acme_socket = "$tmp/run/acme.sock"
include "$root/etc/lighttpd.conf"

# The baseline: the same pool shape as the panel ($procs processes).
\$HTTP["url"] =~ "^/hello(/|\$)" {
	fastcgi.server = (
		"/hello" => ((
			"socket"      => "$tmp/run/hello.sock",
			"bin-path"    => "$tmp/hello",
			"check-local" => "disable",
			"max-procs"   => $procs,
		)),
	)
}
EOF
lighttpd -D -f "$tmp/lighttpd.conf" >"$tmp/lighttpd.out" 2>&1 &
lt_pid=$!
base=http://127.0.0.1:$port
n=0
until curl -fsS -o /dev/null "$base/acme/login" 2>/dev/null &&
    curl -fsS -o /dev/null "$base/hello" 2>/dev/null; do
	n=$((n + 1))
	if [ $n -gt 100 ] || ! kill -0 "$lt_pid" 2>/dev/null; then
		cat "$tmp/lighttpd.out" "$tmp/lighttpd.error.log" >&2 2>/dev/null
		echo "panel.sh: lighttpd did not come up" >&2
		exit 1
	fi
	sleep 0.1
done

# children EXE: the pids of lighttpd's children running EXE.
children() {
	for d in /proc/[0-9]*; do
		[ -r "$d/stat" ] || continue
		pp=$(awk '{ sub(/^.*\) /, ""); print $2 }' "$d/stat" 2>/dev/null)
		[ "$pp" = "$lt_pid" ] || continue
		[ "$(readlink "$d/exe" 2>/dev/null)" = "$1" ] && echo "${d#/proc/}"
	done
}
acme_exe=$(readlink -f "$tmp/acme.fcgi")
hello_exe=$(readlink -f "$tmp/hello")
acme_pids=$(children "$acme_exe" | tr '\n' ' ')
hello_pids=$(children "$hello_exe" | tr '\n' ' ')
fcgi_pids="$acme_pids $hello_pids"

# --- The runs -------------------------------------------------------------
# run NAME PATH TOKEN ACCEPT: checks one request, warms up, runs wrk;
# leaves wrk's output in $tmp/NAME.wrk.
run() {
	hdr=
	[ -n "$3" ] && hdr="Authorization: Bearer $3"
	code=$(curl -s -o "$tmp/$1.body" -w '%{http_code} %{time_total}' \
	    ${hdr:+-H "$hdr"} -H "Accept: $4" "$base$2")
	case $code in
	200\ *) ;;
	*)
		echo "panel.sh: $2 ($4) answered ${code%% *}:" >&2
		head -c 600 "$tmp/$1.body" >&2
		echo >&2
		return 1
		;;
	esac
	# The service time of one request alone: the best of five.
	i=0
	while [ $i -lt 5 ]; do
		curl -s -o /dev/null -w '%{time_total}\n' ${hdr:+-H "$hdr"} \
		    -H "Accept: $4" "$base$2"
		i=$((i + 1))
	done | sort -n | awk 'NR == 1 { printf "%.2f\n", $1 * 1000 }' \
	    >"$tmp/$1.one"
	# shellcheck disable=SC2086
	wrk -t"$threads" -c"$conns" -d2s ${hdr:+-H "$hdr"} -H "Accept: $4" \
	    "$base$2" >/dev/null 2>&1
	case $2 in
	/hello) pids=$hello_pids ;;
	*) pids=$acme_pids ;;
	esac
	c0=$(cpu_ns $pids)
	s0=$(steal)
	# shellcheck disable=SC2086
	wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout "${wtimeout}s" \
	    --latency ${hdr:+-H "$hdr"} -H "Accept: $4" "$base$2" \
	    >"$tmp/$1.wrk" 2>&1
	echo "$(($(cpu_ns $pids) - c0)) $s0 $(steal)" >"$tmp/$1.cpu"
}

# cpu_ns PID...: the CPU time the processes have had, in ns (schedstat:
# exact, unlike the tick-sampled times of /proc/PID/stat).
cpu_ns() {
	for p in "$@"; do
		cut -d' ' -f1 "/proc/$p/schedstat" 2>/dev/null || echo 0
	done | awk '{ t += $1 } END { printf "%.0f\n", t }'
}

# steal: "STEAL ALL" jiffies of the whole machine so far (/proc/stat):
# the time the hypervisor gave other guests while this one wanted to run.
steal() {
	awk '/^cpu / { a = 0; for (i = 2; i <= NF; i++) a += $i
	    print $9 "," a; exit }' /proc/stat
}

# One line "rps p50ms p99ms errors" from a wrk output; "-" for the
# latencies when no request completed (wrk then prints zeros).
parse() {
	awk '
	function ms(v) {
		if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
		if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
		if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
		return v + 0
	}
	/^Requests\/sec:/ { rps = $2 }
	$1 == "50%" { p50 = ms($2) }
	$1 == "99%" { p99 = ms($2) }
	/Non-2xx or 3xx responses:/ { err += $NF }
	/Socket errors:/ {
		for (i = 3; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) err += $i + 0
	}
	END {
		if (p99 == "" || p99 + 0 == 0) p50 = p99 = "-"
		printf "%s %s %s %d\n", rps == "" ? "-" : rps, p50, p99, err
	}' "$1"
}

# name path token accept: the pages, in the order they run.  Each runs
# right after a run of hello of its own ("hello.NAME"), and its ratio is
# to the mean of that run and the next one ("hello.NEXT", or "hello.end"
# after the last page): the machine's speed drifts during a run of
# several minutes (hello has been seen at 13.5k req/s first and 9.4k
# last, and from 8.8k to 16.0k between neighbouring runs).
set -- \
    "dashboard|/acme|$tok_admin|text/html" \
    "orders|/acme/orders|$tok_admin|text/html" \
    "audit|/acme/audit|$tok_admin|text/html"
if [ "${BENCH_JSON:-1}" = 1 ]; then
	set -- "$@" \
	    "dashboard.json|/acme|$tok_admin|application/json" \
	    "orders.json|/acme/orders|$tok_admin|application/json" \
	    "audit.json|/acme/audit|$tok_admin|application/json"
fi
if [ -n "$tok_user" ]; then
	set -- "$@" \
	    "user.dashboard|/acme|$tok_user|text/html" \
	    "user.orders|/acme/orders|$tok_user|text/html" \
	    "user.audit|/acme/audit|$tok_user|text/html"
fi

echo "# lighttpd $base: wrk -t$threads -c$conns -d${secs}s --latency" \
    "(after -d2s warm-up), $rounds rounds, $(nproc) CPUs," \
    "load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
specs=$(printf '%s\n' "$@")
names=
failed=
r=1
while [ $r -le "$rounds" ]; do
	prev=
	while IFS='|' read -r name path tok accept; do
		[ -n "$name" ] || continue
		if ! run "hello.$name.r$r" /hello "" text/html; then
			failed=1
			continue
		fi
		echo "# round $r/$rounds, $name: GET $path (Accept: $accept)" >&2
		if ! run "$name.r$r" "$path" "$tok" "$accept"; then
			failed=1
			continue
		fi
		[ $r -eq 1 ] && names="$names $name"
		prev=$name
	done <<EOF
$specs
EOF
	# The hello run after the last page: each page's baseline is the
	# mean of the hello runs just before and just after it.
	[ -n "$prev" ] && run "hello.end.r$r" /hello "" text/html
	r=$((r + 1))
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# Memory, after every run: each acme.fcgi (and hello) process, as
# "x VmRSS VmHWM RssAnon RssFile USS CURL", sizes in KiB (USS: the
# private pages, Private_Clean + Private_Dirty of smaps_rollup; CURL: 1
# when libcurl is mapped, which libacme does on a process's first CA call).
mem() {
	for p in $(children "$1"); do
		awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 }
		    /^RssAnon:/ { a = $2 } /^RssFile:/ { f = $2 }
		    END { printf "%d %d %d %d ", r, h, a, f }' "/proc/$p/status"
		awk '/^Private_(Clean|Dirty):/ { u += $2 }
		    END { printf "%d ", u }' "/proc/$p/smaps_rollup" 2>/dev/null ||
		    printf '0 '
		if grep -q '/libcurl[^/]*$' "/proc/$p/maps" 2>/dev/null; then
			echo 1
		else
			echo 0
		fi
	done | sed "s/^/x /"
}
acme_mem=$(mem "$acme_exe")
hello_mem=$(mem "$hello_exe")
stop_lighttpd

# --- The table ------------------------------------------------------------
# med FORMAT: the median of the numbers on stdin in FORMAT, "-" for none.
med() {
	grep -v '^-$' | sort -n | awk -v f="$1\n" '{ v[NR] = $1 }
	    END { if (NR == 0) print "-"
		else if (NR % 2) printf f, v[(NR + 1) / 2]
		else printf f, (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# usreq NAME: acme.fcgi's (or hello's) CPU a request in that run, in µs.
usreq() {
	req=$(awk '/requests in/ { print $1 }' "$tmp/$1.wrk" 2>/dev/null)
	read -r ns _ _ <"$tmp/$1.cpu" 2>/dev/null || ns=
	awk -v n="${ns:-}" -v q="${req:-0}" 'BEGIN {
	    if (n == "" || q + 0 == 0) print "-"; else printf "%.0f\n", n / q / 1000 }'
}
# stealpct NAME: the share of the machine's time stolen during that run.
stealpct() {
	read -r _ a b <"$tmp/$1.cpu" 2>/dev/null || { echo -; return; }
	awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, ","); split(b, y, ",")
	    t = y[2] - x[2]; if (t <= 0) print "-"
	    else printf "%.0f\n", 100 * (y[1] - x[1]) / t }'
}
printf '\n%-15s | %8s | %8s | %5s | %9s | %6s | %6s | %6s | %6s | %5s | %6s | %s\n' \
    page "req/s" "hello" "ratio" "range" "p50 ms" "p99 ms" "us/req" \
    "hel us" "steal" "alone" "target met"
printf '%s\n' "----------------+----------+----------+-------+-----------+--------+--------+--------+--------+-------+--------+-----------"
hsum=0 hn=0
for name in $names; do
	# The page after this one, whose hello run closes this one's.
	next=$(echo "$names" | awk -v n="$name" '{ for (i = 1; i <= NF; i++)
	    if ($i == n) { print i < NF ? $(i + 1) : "end"; exit } }')
	: >"$tmp/$name.rows"
	r=1
	while [ $r -le "$rounds" ]; do
		set -- $(parse "$tmp/$name.r$r.wrk" 2>/dev/null || echo "- - - 0")
		rps=$1 p50=$2 p99=$3 err=$4
		# The hello runs around the page: before it, and before
		# the next page (or the round's last run).
		hb=$(parse "$tmp/hello.$name.r$r.wrk" 2>/dev/null | cut -d' ' -f1)
		ha=$(parse "$tmp/hello.$next.r$r.wrk" 2>/dev/null | cut -d' ' -f1)
		hello_rps=$(awk -v a="${hb:--}" -v b="${ha:--}" 'BEGIN {
			if (a == "-" && b == "-") print "-"
			else if (a == "-") print b; else if (b == "-") print a
			else printf "%.2f\n", (a + b) / 2 }')
		ratio=$(awk -v r="$rps" -v h="$hello_rps" 'BEGIN {
			if (r == "-" || h == "-" || h + 0 == 0) print "-"
			else printf "%.2f\n", r / h }')
		hus=$(usreq "hello.$name.r$r")
		echo "$rps $hello_rps $ratio $p50 $p99 $(usreq "$name.r$r") $hus" \
		    "$(stealpct "$name.r$r") $err" >>"$tmp/$name.rows"
		r=$((r + 1))
	done
	col() { awk -v c="$1" '{ print $c }' "$tmp/$name.rows" | med "$2"; }
	rps=$(col 1 %.0f) hello_rps=$(col 2 %.0f) ratio=$(col 3 %.2f)
	p50=$(col 4 %.2f) p99=$(col 5 %.2f) us=$(col 6 %.0f) hus=$(col 7 %.0f)
	st=$(col 8 %.0f)
	err=$(awk '{ e += $9 } END { print e + 0 }' "$tmp/$name.rows")
	range=$(awk '$3 != "-" { if (lo == "" || $3 < lo) lo = $3
	    if (hi == "" || $3 > hi) hi = $3 }
	    END { print lo == "" ? "-" : lo "-" hi }' "$tmp/$name.rows")
	one=$(cat "$tmp/$name.r1.one" 2>/dev/null || echo -)
	verdict=$(awk -v ratio="$ratio" -v p="$p99" -v e="$err" 'BEGIN {
		if (ratio == "-") { print "MISSED(no-data)"; exit }
		v = ""
		if (ratio + 0 < 0.5) v = v "ratio<0.5,"
		if (p == "-" || p + 0 > 10) v = v "p99>10ms,"
		if (e > 0) v = v "errors,"
		sub(/,$/, "", v)
		print v == "" ? "yes" : "NO(" v ")" }')
	[ "$err" -gt 0 ] && verdict="$verdict [$err non-2xx/socket errors]"
	printf '%-15s | %8s | %8s | %5s | %9s | %6s | %6s | %6s | %6s | %4s%% | %6s | %s\n' \
	    "$name" "$rps" "$hello_rps" "$ratio" "$range" "$p50" "$p99" \
	    "$us" "$hus" "$st" "$one" "$verdict"
	case $hello_rps in
	-) ;;
	*) hsum=$(awk -v a="$hsum" -v b="$hello_rps" 'BEGIN { print a + b }')
	   hn=$((hn + 1)) ;;
	esac
done
echo "Each figure is the median of $rounds rounds (range: the lowest and highest" \
    "ratio); us/req and hel us: CPU of acme.fcgi's and hello's processes a request;" \
    "steal: the machine's time taken by the hypervisor during the page's runs."
echo "hello (the hello-world FastCGI, runs just before and after each page): mean" \
    "$(awk -v a="$hsum" -v n="$hn" 'BEGIN { if (n) printf "%.0f", a / n;
    else print "-" }') req/s (of the pages' medians); load before/after: see above," \
    "$load_after"

# The memory lines: the acme.fcgi process with the largest VmHWM, with
# its own VmRSS, RssAnon, RssFile and USS (now; VmHWM is the peak).
printf '%s\n' "$acme_mem" | awk -v lim=8192 -v hm="$hello_mem" '
	function mib(k) { return sprintf("%.1f", k / 1024) }
	NF == 7 {
		n++
		curl += $7
		if ($3 > hwm) {
			hwm = $3; rss = $2; anon = $4; file = $5; uss = $6
		}
	}
	END {
		if (n == 0) { print "acme.fcgi RSS: no process found"; exit }
		printf "acme.fcgi memory (largest of %d processes, MiB): VmRSS %s," \
		    " VmHWM %s (RssAnon %s + RssFile %s; private USS %s);" \
		    " target VmHWM <= 8 MiB: %s\n", n, mib(rss), mib(hwm),
		    mib(anon), mib(file), mib(uss),
		    hwm <= lim ? "met" : "MISSED"
		if (curl == 0)
			print "libcurl is mapped in none of them: libacme loads" \
			    " it on a process'"'"'s first CA call, and pages make none"
		else
			printf "libcurl is mapped in %d of them (a CA call" \
			    " loaded it)\n", curl
		split(hm, h, " ")
		if (h[3] != "")
			printf "hello for scale (MiB): VmRSS %s, VmHWM %s, USS %s\n",
			    mib(h[2]), mib(h[3]), mib(h[6])
	}'
[ -z "$failed" ] || echo "some pages did not answer 200: see above" >&2
[ -z "$failed" ]
