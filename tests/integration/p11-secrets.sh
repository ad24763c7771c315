# Secrets never leak and PINs are never replayed: every flow runs with the
# module's debug log (SMARTSIGN_DEBUG) and the emulator's APDU trace on, and
# neither they nor any client output contain the PIN or PUK, in ASCII or hex.
# VERIFY is sent exactly once per C_Login and once per 9C signature, never
# otherwise; a wrong PIN is never retried.
# rig: --card "--pin 73914682 --puk 50288431"
. "$(dirname "$0")/../lib.sh"

MOD=$BUILD/smartsign-pkcs11.so
PIN=73914682 PUK=50288431
export SMARTSIGN_DEBUG="$WORK/debug.log"
p11() { pkcs11-tool --module "$MOD" "$@"; }
cd "$WORK" || exit 1
head -c 200 /dev/urandom > data

v() { counter verify; }
vf() { counter verify_fail; }

# flows, each with the VERIFYs it may send
v0=$(v)
check_out "list slots, token, objects (no login)" out1.txt sh -c \
    "pkcs11-tool --module '$MOD' -L && pkcs11-tool --module '$MOD' -T && pkcs11-tool --module '$MOD' -O"
[ "$(v)" -eq "$v0" ] && ok "no VERIFY without C_Login" || not_ok "VERIFY sent without C_Login ($(v) vs $v0)"

v0=$(v)
check_out "login and list private objects" out2.txt p11 --login --pin "$PIN" -O
[ $(($(v) - v0)) -eq 1 ] && ok "exactly one VERIFY for one C_Login" ||
    not_ok "one C_Login sent $(($(v) - v0)) VERIFYs"

v0=$(v)
check_out "9A signature" out3.txt p11 --sign --id 01 -m SHA256-RSA-PKCS \
    --pin "$PIN" -i data -o sig1
[ $(($(v) - v0)) -eq 1 ] && ok "9A signature: one VERIFY (the login)" ||
    not_ok "9A signature sent $(($(v) - v0)) VERIFYs"

v0=$(v)
check_out "9C signature (context-specific login)" out4.txt p11 --sign --id 02 \
    -m ECDSA-SHA256 --pin "$PIN" -i data -o sig2
[ $(($(v) - v0)) -eq 2 ] && ok "9C signature: two VERIFYs (login + context login)" ||
    not_ok "9C signature sent $(($(v) - v0)) VERIFYs"

v0=$(v) f0=$(vf)
check_fail "wrong PIN is refused" p11 --login --pin 11112222 -O
[ $(($(v) - v0)) -eq 1 ] && [ $(($(vf) - f0)) -eq 1 ] &&
    ok "wrong PIN sent exactly once, never retried" ||
    not_ok "wrong PIN: $(($(v) - v0)) VERIFYs, $(($(vf) - f0)) failures"
p11 -T > tok.txt 2>&1
check_grep "token reports the lowered PIN count" "count low|COUNT_LOW|user PIN count low" tok.txt
check_out "right PIN resets the count" out5.txt p11 --login --pin "$PIN" -O

check_out "pkcs11-tool --test" out6.txt p11 --test --login --pin "$PIN"

# the evidence must exist for the test to mean anything
[ -s "$SMARTSIGN_DEBUG" ] && ok "debug log written ($(wc -l < "$SMARTSIGN_DEBUG") lines)" ||
    not_ok "debug log missing"
check_grep "debug log carries the APDU trace" "00 ?20 ?00 ?80|002000 ?80|VERIFY|0020" "$SMARTSIGN_DEBUG"
[ -s "$SMARTSIGN_EMU_TRACE" ] && ok "emulator trace written" || not_ok "emulator trace missing"

hexof() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
leaks=0
for secret in "$PIN" "$PUK"; do
	h=$(hexof "$secret")
	H=$(printf '%s' "$h" | tr a-f A-F)
	spaced=$(printf '%s' "$H" | sed 's/../& /g; s/ $//')
	colon=$(printf '%s' "$h" | sed 's/../&:/g; s/:$//')
	for f in "$SMARTSIGN_DEBUG" "$SMARTSIGN_EMU_TRACE" "$WORK"/out*.txt "$WORK"/check.*.log tok.txt; do
		[ -f "$f" ] || continue
		if grep -Fqi -e "$secret" -e "$h" -e "$spaced" -e "$colon" "$f"; then
			leaks=$((leaks + 1))
			echo "# secret found in $(basename "$f")"
		fi
	done
done
[ "$leaks" -eq 0 ] && ok "PIN and PUK appear in no log, trace or output" ||
    not_ok "PIN or PUK found $leaks times"
# the debug log never follows a symlink (someone could point it at a file
# the user can write, to collect what the module logs)
: > "$WORK/victim"
ln -sf "$WORK/victim" "$WORK/debug-link"
SMARTSIGN_DEBUG="$WORK/debug-link" pkcs11-tool --module "$MOD" -L >/dev/null 2>&1
[ -L "$WORK/debug-link" ] && [ ! -s "$WORK/victim" ] &&
    ok "debug log path that is a symlink is not followed" ||
    not_ok "debug log written through a symlink"
SMARTSIGN_DEBUG="$WORK/debug-new" pkcs11-tool --module "$MOD" -L >/dev/null 2>&1
[ "$(stat -c %a "$WORK/debug-new" 2>/dev/null)" = 600 ] &&
    ok "debug log created 0600" || not_ok "debug log mode $(stat -c %a "$WORK/debug-new" 2>&1)"
done_testing
