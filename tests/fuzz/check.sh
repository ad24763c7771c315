#!/bin/sh
# tests/fuzz/check.sh NAME - the fuzz target NAME (fuzz-atr, ...) in the
# test run (tests/run), as TAP:
#   1. the committed corpus tests/fuzz/corpus/NAME/ through the sanitizer
#      build's plain program, build/asan/NAME (tests/fuzz/main.c);
#   2. the libFuzzer build, build/fuzz/NAME, briefly from that corpus
#      (FUZZ_CHECK_RUNS executions or FUZZ_CHECK_SECS seconds, whichever
#      comes first), new inputs into a scratch directory; what it finds
#      stays in build/test-logs/NAME-crash-* (README.md "Fuzzing").
# A missing binary is a failure: make check builds both (clang is one of
# the packages tools/deps.sh installs).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
NAME=$1
CORPUS=tests/fuzz/corpus/$NAME
RUNS=${FUZZ_CHECK_RUNS:-20000}
SECS=${FUZZ_CHECK_SECS:-6}
SAN="detect_leaks=1:abort_on_error=1"
echo "1..2"

n=$(find "$CORPUS" -type f | wc -l)
if [ ! -x "build/asan/$NAME" ]; then
	echo "not ok 1 - $NAME: build/asan/$NAME missing (make check builds it)"
elif ASAN_OPTIONS=$SAN UBSAN_OPTIONS=print_stacktrace=1 \
    "build/asan/$NAME" "$CORPUS"; then
	echo "ok 1 - $NAME: $n inputs replayed"
else
	echo "not ok 1 - $NAME: replaying $CORPUS failed (log above)"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/smartsign-$NAME.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
mkdir -p build/test-logs
if [ ! -x "build/fuzz/$NAME" ]; then
	echo "not ok 2 - $NAME: build/fuzz/$NAME missing (needs clang and" \
	    "libclang-rt-14-dev: tools/deps.sh)"
elif "build/fuzz/$NAME" -runs="$RUNS" -max_total_time="$SECS" \
    -timeout=20 -print_final_stats=1 \
    -artifact_prefix="$TOP/build/test-logs/$NAME-" \
    "$work" "$CORPUS" >"$work/log" 2>&1; then
	stats=$(grep -E '^#[0-9]+.*(DONE|INITED)' "$work/log" | tail -n 1 |
	    sed -n 's/^#\([0-9]*\).*cov: \([0-9]*\) ft: \([0-9]*\).*/\1 runs, cov \2, ft \3/p')
	echo "ok 2 - $NAME: libFuzzer ${stats:-ran}"
else
	sed 's/^/# /' "$work/log" | tail -n 60
	echo "not ok 2 - $NAME: libFuzzer found a failure (log above; input" \
	    "in build/test-logs/$NAME-*)"
fi
