# smartsign-bench runs every flow against smartsign-pkcs11.so on the
# emulated card at full speed (1 run, a few signatures), every signature
# verifies, and the module stays within its APDU budget (the emulated card
# takes extended APDUs): cold flow <= 4 (SELECT, the 9A certificate in one
# GET DATA, VERIFY, one GENERAL AUTHENTICATE), every further 9A signature
# 1, every 9C signature (with its VERIFY) 2.  Counts only, never times.  The full comparison with OpenSC and
# ykcs11 is "make bench" (README.md "Benchmark").
# rig: --reader "Yubico Smartsign Virtual"
. "$(dirname "$0")/../lib.sh"

BENCH=$BUILD/smartsign-bench
MODULE=$BUILD/smartsign-pkcs11.so
SIGS=5 THREADS=2 TSIGS=2 PROCS=2 PSIGS=2
cd "$WORK" || exit 1

check "smartsign-bench --help" "$BENCH" --help
check_out "bench runs every flow with smartsign" out.md "$BENCH" \
    --module smartsign="$MODULE" --runs 1 --sig-runs 1 --sigs $SIGS \
    --threads $THREADS --thread-sigs $TSIGS --procs $PROCS \
    --proc-sigs $PSIGS --rtt 20 --keyop-n 5 --raw b.tsv

# field of the run line of a flow: 6 ok, 8 APDUs, 11 sigs, 12 verified
field() {
	awk -F'\t' -v f="$1" -v n="$2" '$1 == "run" && $3 == f { print $n }' b.tsv
}

for f in cold browser rsa ec threads procs; do
	if [ "$(field $f 6)" = 1 ]; then
		ok "$f flow completes"
	else
		not_ok "$f flow completes"
		grep -P "^run\t[^\t]*\t$f\t" b.tsv | sed 's/^/#   /'
	fi
done

for f in cold rsa ec threads procs; do
	s=$(field $f 11) v=$(field $f 12)
	[ -n "$s" ] && [ "$s" -gt 0 ] && [ "$s" = "$v" ] &&
	    ok "$f: all $s signatures verify" ||
	    not_ok "$f: signatures verify ($v of $s)"
done

budget() {	# flow max what
	n=$(field "$1" 8)
	[ -n "$n" ] && [ "$n" -le "$2" ] && ok "$1: $n APDUs <= $2 ($3)" ||
	    not_ok "$1: ${n:-?} APDUs > $2 ($3)"
}
budget cold 4 "init, login, one 9A signature, finalize"
budget rsa $((1 * SIGS)) "1 per further 9A signature"
budget ec $((2 * SIGS)) "2 per 9C signature with its VERIFY"
budget threads $((1 * THREADS * TSIGS)) "1 per 9A signature, threads"
budget procs $((1 * PROCS * PSIGS)) "1 per 9A signature, processes"

check_grep "the browser flow gets every certificate" \
    "^\| browser \| smartsign \|.*\| ok" out.md
check_grep "the report has the floor rows" "\*floor\*" out.md
if grep -q -- "$SMARTSIGN_PIN" out.md b.tsv; then
	not_ok "the PIN appears in the output"
else
	ok "the PIN does not appear in the output"
fi
done_testing
