#!/bin/sh
# Builds the libFuzzer drivers in tests/fuzz and runs each for a bounded
# time.  Usage: sh tests/fuzz/run.sh [SECONDS]   (default 60)
#
# Every lib/acme/*.c is compiled with clang, -fsanitize=fuzzer-no-link,
# address and undefined, into build/fuzz/obj and linked into each target
# (through an archive, so a target pulls in only what it calls).  Each
# target starts from tests/fuzz/corpus/<target>/ (the seeds in git) and
# keeps what it finds in build/fuzz/corpus/<target>/ (not in git);
# crashing inputs land in build/fuzz/crashes/.
#
# Prints one line per target on stdout:
#   fuzz_order: ok execs=123456 cov=456 corpus=78 seconds=20
#   fuzz_order: CRASH ... artifact=build/fuzz/crashes/fuzz_order-crash-...
# with the sanitizer's report on stderr; exits 1 when any target failed
# to build or crashed, 0 otherwise.
#
# Environment: FUZZ_TARGETS (names, default every tests/fuzz/fuzz_*.c),
# FUZZ_OUT (default build/fuzz), FUZZ_CC (default clang).
set -u

secs=${1:-60}
case $secs in
''|*[!0-9]*) echo "usage: sh tests/fuzz/run.sh [SECONDS]" >&2; exit 2 ;;
esac

cd "$(dirname "$0")/../.." || exit 1
self=tests/fuzz/run.sh
out=${FUZZ_OUT:-build/fuzz}
cc=${FUZZ_CC:-clang}
targets=${FUZZ_TARGETS:-$(for f in tests/fuzz/fuzz_*.c; do
	[ -e "$f" ] && basename "$f" .c; done)}
[ -n "$targets" ] || { echo "run.sh: no fuzz targets" >&2; exit 1; }

if ! command -v "$cc" >/dev/null 2>&1; then
	echo "run.sh: $cc not found (make deps)" >&2
	exit 1
fi
# libcurl for its headers only: libacme loads it at run time (curlfn.c).
pkgs="libcurl openssl jansson"
if ! pkg_cflags=$(pkg-config --cflags $pkgs) ||
   ! pkg_libs=$(pkg-config --libs openssl jansson); then
	echo "run.sh: pkg-config: $pkgs missing (make deps)" >&2
	exit 1
fi

cstd="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -D_GNU_SOURCE"
san="-fsanitize=address,undefined -fno-sanitize-recover=all"
cflags="$cstd -g -O1 -fno-omit-frame-pointer $san -Wall -Wextra
	-Ilib/acme -Ilib/panel -Itests/lib $pkg_cflags"
ncpu=$(nproc 2>/dev/null || echo 2)

mkdir -p "$out/obj" "$out/corpus" "$out/crashes" || exit 1

# newer SRC OBJ: true when OBJ must be rebuilt (SRC, a header, or this
# script changed since).
newer() {
	[ -e "$2" ] || return 0
	[ "$1" -nt "$2" ] && return 0
	[ "$self" -nt "$2" ] && return 0
	for h in lib/acme/*.h; do
		[ "$h" -nt "$2" ] && return 0
	done
	return 1
}

# compile SRC OBJ EXTRA-FLAGS: compiles in the background; the pid goes
# into $pids.  Output goes to OBJ.log.
pids=
compile() {
	# shellcheck disable=SC2086
	$cc $cflags $3 -c -o "$2" "$1" >"$2.log" 2>&1 &
	pids="$pids $!"
	if [ "$(echo $pids | wc -w)" -ge "$ncpu" ]; then
		reap || buildfail=1
	fi
}

# reap: waits for the compiles started so far; false if any failed.
reap() {
	r=0
	for p in $pids; do
		wait "$p" || r=1
	done
	pids=
	return $r
}

# The library, instrumented for coverage: lib/acme/*.c into one archive.
buildfail=0
libobjs=
for src in lib/acme/*.c; do
	[ -e "$src" ] || continue
	obj=$out/obj/lib_$(basename "$src" .c).o
	libobjs="$libobjs $obj"
	if newer "$src" "$obj"; then
		rm -f "$obj"
		compile "$src" "$obj" "-fsanitize=fuzzer-no-link"
	fi
done
reap || buildfail=1
for obj in $libobjs; do
	if [ ! -e "$obj" ]; then
		echo "run.sh: compiling $obj failed:" >&2
		sed -n 1,30p "$obj.log" >&2
		buildfail=1
	fi
done
lib=$out/libacme-fuzz.a
if [ $buildfail -eq 0 ]; then
	rm -f "$lib"
	# shellcheck disable=SC2086
	ar rcs "$lib" $libobjs || buildfail=1
fi

# The drivers, each linked with the archive.
for t in $targets; do
	src=tests/fuzz/$t.c
	obj=$out/obj/$t.o
	if [ ! -e "$src" ]; then
		echo "run.sh: no $src" >&2
		buildfail=1
		continue
	fi
	if newer "$src" "$obj"; then
		rm -f "$obj"
		compile "$src" "$obj" "-fsanitize=fuzzer-no-link -Werror"
	fi
done
reap || true

fail=0
for t in $targets; do
	obj=$out/obj/$t.o
	bin=$out/$t
	if [ $buildfail -ne 0 ] || [ ! -e "$obj" ]; then
		[ -e "$obj.log" ] && sed -n 1,30p "$obj.log" >&2
		echo "$t: BUILD FAILED"
		fail=1
		continue
	fi
	# shellcheck disable=SC2086
	if ! $cc -fsanitize=fuzzer $san -o "$bin" "$obj" "$lib" $pkg_libs \
	    >"$bin.link.log" 2>&1; then
		sed -n 1,30p "$bin.link.log" >&2
		echo "$t: BUILD FAILED (link)"
		fail=1
		continue
	fi

	seeds=tests/fuzz/corpus/$t
	corpus=$out/corpus/$t
	mkdir -p "$corpus"
	case $t in
	fuzz_b64url)	dict= ;;
	fuzz_chain)	dict=-dict=tests/fuzz/pem.dict ;;
	*)		dict=-dict=tests/fuzz/json.dict ;;
	esac
	log=$out/$t.log
	rm -f "$out/crashes/$t-"*
	# The seeds directory is listed second: new inputs go to the first.
	# shellcheck disable=SC2086
	ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1:symbolize=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
	    -print_final_stats=1 -artifact_prefix="$out/crashes/$t-" \
	    $dict "$corpus" $([ -d "$seeds" ] && echo "$seeds") \
	    >"$log" 2>&1
	rc=$?

	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
	    tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | sed 's/cov: //')
	ncorp=$(find "$corpus" -type f | wc -l)
	artifact=$(ls "$out/crashes/$t-"* 2>/dev/null | head -n 1)
	if [ $rc -eq 0 ] && [ -z "$artifact" ]; then
		echo "$t: ok execs=${execs:-?} cov=${cov:-?}" \
		    "corpus=$ncorp seconds=$secs"
	else
		echo "$t: CRASH exit=$rc execs=${execs:-?}" \
		    "artifact=${artifact:-none} log=$log"
		# The sanitizer's report, without libFuzzer's chatter.
		sed -n '/^==[0-9]*==ERROR\|runtime error\|^SUMMARY\|^ *#[0-9]* 0x/p' \
		    "$log" | sed -n 1,40p >&2
		fail=1
	fi
done
exit $fail
