# "make demo" (tests/demo.sh) runs green and tells what happened: each
# sample declaration is signed, verified by smartsign-sign and by OpenSSL,
# the altered one is caught, and the PIN never shows.
# rig: --no-card
. "$(dirname "$0")/../lib.sh"

out=$WORK/demo.out
check_out "the demo runs to the end (exit 0)" "$out" sh "$TOP/tests/demo.sh"
for f in declaration.xml import-solar-modules.xml export-coffee.xml \
    transit-auto-parts.xml; do
	check_grep "$f signed" "^signed: $f -> $f.p7s" "$out"
	check_grep "$f verified by smartsign-sign" "^verified: $f " "$out"
	check_grep "$f verified by OpenSSL" "$f: CMS Verification successful" "$out"
	check_grep "$f in the summary" "^   $f +CN=Dana Whitfield" "$out"
done
n=$(grep -c 'signed .*: verified$' "$out")
[ "$n" -eq 4 ] && ok "the summary says verified four times" ||
    not_ok "the summary says verified $n times, want 4"
check_grep "one PIN entry for the batch" "3 files signed with one PIN entry" "$out"
check_grep "the signer is the demo broker" "CN=Dana Whitfield, O=Harbor Line Customs Brokers, C=NL" "$out"
check_grep "the altered declaration is a bad signature" "altered.xml: BAD SIGNATURE" "$out"
check_grep "it says what pcscd sees" "Smartsign Virtual" "$out"
if grep -q -- "$SMARTSIGN_PIN" "$out"; then
	not_ok "the PIN appears in the demo's output"
else
	ok "the PIN appears nowhere in the demo's output"
fi
done_testing
