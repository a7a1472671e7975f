#!/bin/sh
# TAP: a short fuzz run, 5 seconds per libFuzzer target (tests/fuzz/run.sh),
# one test per target, so that a crash shows in prove's summary.
# FUZZ_SHORT_SECONDS overrides the 5 seconds.  "make fuzz" runs longer.
cd "$(dirname "$0")/../.." || { echo "Bail out! cannot cd"; exit 1; }

targets=
for f in tests/fuzz/fuzz_*.c; do
	[ -e "$f" ] && targets="$targets $(basename "$f" .c)"
done
if [ -z "$targets" ]; then
	echo "1..0 # SKIP no fuzz targets"
	exit 0
fi
if ! command -v "${FUZZ_CC:-clang}" >/dev/null 2>&1; then
	echo "1..0 # SKIP clang not installed (make deps)"
	exit 0
fi

err=$(mktemp) || { echo "Bail out! mktemp"; exit 1; }
trap 'rm -f "$err"' EXIT
out=$(FUZZ_TARGETS="$targets" sh tests/fuzz/run.sh "${FUZZ_SHORT_SECONDS:-5}" \
    2>"$err")
rc=$?

set -- $targets
echo "1..$#"
i=0
for t in $targets; do
	i=$((i + 1))
	line=$(printf '%s\n' "$out" | grep "^$t: " | tail -n 1)
	case $line in
	"$t: ok"*)
		echo "ok $i - $t${line#"$t: ok"}"
		;;
	"")
		echo "not ok $i - $t: no result (run.sh exit $rc)"
		;;
	*)
		echo "not ok $i - $line"
		;;
	esac
done
if [ -s "$err" ]; then
	# What run.sh said (build errors, sanitizer reports): on stderr so
	# prove shows it, each line as a TAP comment.
	sed 's/^/# /' "$err" >&2
fi
exit 0
