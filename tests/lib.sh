# tests/lib.sh - helpers for integration tests (sourced).  Each check prints
# one TAP line, "ok N - name" or "not ok N - name"; tests/run counts them.
# Tests run inside tests/rig, which exports SMARTSIGN_* (see tests/rig --help).

T_N=0
T_FAILED=0
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${SMARTSIGN_BUILD:-${BUILD:-$TOP/build}}
export TOP BUILD
WORK=${SMARTSIGN_RIG_DIR:-$(mktemp -d)}/t.$$
mkdir -p "$WORK"

ok() {
	T_N=$((T_N + 1)); echo "ok $T_N - $*"
}

not_ok() {
	T_N=$((T_N + 1)); T_FAILED=$((T_FAILED + 1)); echo "not ok $T_N - $*"
}

skip() {
	T_N=$((T_N + 1)); echo "ok $T_N - $1 # SKIP $2"
}

# check NAME CMD...: run CMD, log its output, pass when it exits 0
check() {
	name=$1; shift
	log="$WORK/check.$((T_N + 1)).log"
	if "$@" >"$log" 2>&1; then
		ok "$name"
	else
		rc=$?
		not_ok "$name (exit $rc)"
		sed 's/^/#   /' "$log" | tail -n 30
	fi
}

# check_fail NAME CMD...: pass when CMD exits non-zero
check_fail() {
	name=$1; shift
	log="$WORK/check.$((T_N + 1)).log"
	if "$@" >"$log" 2>&1; then
		not_ok "$name (unexpectedly succeeded)"
		sed 's/^/#   /' "$log" | tail -n 30
	else
		ok "$name"
	fi
}

# check_grep NAME PATTERN FILE: pass when FILE matches the extended regex
check_grep() {
	if grep -Eq -- "$2" "$3"; then
		ok "$1"
	else
		not_ok "$1 (no /$2/ in $(basename "$3"))"
		sed 's/^/#   /' "$3" | tail -n 30
	fi
}

# counter NAME: the emulator's current value of a counter (0 if absent)
counter() {
	awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' \
	    "${2:-$SMARTSIGN_EMU_COUNTERS}"
}

done_testing() {
	echo "1..$T_N"
	[ "$T_FAILED" -eq 0 ]
}

# check_out NAME FILE CMD...: like check, keeping CMD's output in FILE
check_out() {
	name=$1 out=$2; shift 2
	if "$@" >"$out" 2>&1; then
		ok "$name"
	else
		not_ok "$name (exit $?)"
		sed 's/^/#   /' "$out" | tail -n 30
	fi
}
