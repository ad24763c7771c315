# A slow card (emulator --apdu-delay FAULT_DELAY_MS, default 1500) under
# one client process (tests/tools/p11-faults), short APDUs
# (SMARTSIGN_APDU=short) so that an RSA-2048 C_Sign takes several APDUs.
# Asserted:
#   - no busy waiting: over a whole slow C_Sign the client's CPU time
#     (getrusage) and pcscd's (/proc/PID/stat) stay under FAULT_CPU_MS
#     (default 300 ms, for several seconds of waiting);
#   - C_Finalize from another thread while a slow C_Sign is in flight
#     returns CKR_OK within one APDU delay + FAULT_SLACK_MS (default
#     1500), not after the whole operation; the C_Sign returns
#     CKR_CRYPTOKI_NOT_INITIALIZED just as fast; the process goes on
#     (C_Initialize again, the token is there);
#   - C_Finalize wakes a thread blocked in C_WaitForSlotEvent, which
#     returns CKR_CRYPTOKI_NOT_INITIALIZED, promptly.
# With SMARTSIGN_BUILD pointing at an ASan build the client and module run
# under AddressSanitizer (the test fails on any report: exit status).
# rig: --no-card
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tools/faults-lib.sh"
DELAY=${FAULT_DELAY_MS:-1500}
SLACK=${FAULT_SLACK_MS:-1500}
CPU_MAX=${FAULT_CPU_MS:-300}
export SMARTSIGN_APDU=short
faults_begin 500

emu_start --apdu-delay "$DELAY" || { not_ok "slow card inserted"; done_testing; exit 1; }
tool_start
ask init
ask open 0; o=$A
ask login; l=$A
ask find 01; f=$A
ask signinit rsa; i=$A
[ "$(first "$o")" = CKR_OK ] && [ "$(first "$l")" = CKR_OK ] &&
    [ "$f" != "${f% 1}" ] && [ "$(first "$i")" = CKR_OK ] &&
    ok "slow card: session, login, key, C_SignInit" ||
    not_ok "slow card: open '$o' login '$l' find '$f' signinit '$i'"

# --- CPU over one slow signature ------------------------------------------
ask cpu; c0=$A
p0=$(proc_cpu_ms "$SMARTSIGN_PCSCD_PID")
a0=$(emu_apdus)
ask sign data sig1; g=$A
ask cpu; c1=$A
p1=$(proc_cpu_ms "$SMARTSIGN_PCSCD_PID")
SIGN_APDUS=$(($(emu_apdus) - a0))
set -- $c0; u0=$2 s0=$3
set -- $c1; cl=$(($2 + $3 - u0 - s0))
pc=$((p1 - p0)) sms=$(set -- $g; echo "$2")
[ "$(first "$g")" = CKR_OK ] &&
    ok "slow C_Sign: CKR_OK in $sms ms, $SIGN_APDUS APDUs of $DELAY ms" ||
    not_ok "slow C_Sign: '$g'"
echo "# CPU over the slow C_Sign ($sms ms): client $cl ms, pcscd $pc ms"
within "$cl" "$CPU_MAX" && ok "no busy loop in the client: $cl ms CPU" ||
    not_ok "client CPU $cl ms over a $sms ms C_Sign (max $CPU_MAX)"
within "$pc" "$CPU_MAX" && ok "no busy loop in pcscd: $pc ms CPU" ||
    not_ok "pcscd CPU $pc ms over a $sms ms C_Sign (max $CPU_MAX)"

# --- C_Finalize while a slow C_Sign is in flight ------------------------
ask signinit rsa; i=$A
[ "$(first "$i")" = CKR_OK ] || not_ok "C_SignInit for the race: '$i'"
bound=$((DELAY + SLACK))
ask race data $((DELAY / 3)); r=$A
# r = "fin RV MS sign RV AFTER"
set -- $r
if [ "${2:-}" = CKR_OK ] && within "${3:-x}" "$bound"; then
	ok "C_Finalize during a slow C_Sign: CKR_OK in $3 ms (bound $bound, whole C_Sign $sms ms)"
else
	not_ok "C_Finalize during a slow C_Sign: '$r' (bound $bound ms)"
fi
if [ "${5:-}" = CKR_CRYPTOKI_NOT_INITIALIZED ] && within "${6:-x}" "$bound"; then
	ok "... the in-flight C_Sign: $5 after $6 ms"
else
	not_ok "... the in-flight C_Sign: '$r'"
fi
[ "$SIGN_APDUS" -ge 2 ] ||
    echo "# C_Sign took $SIGN_APDUS APDU: the bound shows nothing (extended APDUs?)"
ask init; n=$A
ask present 0; p=$A
[ "$(first "$n")" = CKR_OK ] && [ "${p##* }" = 1 ] &&
    ok "C_Initialize again: the token is there" ||
    not_ok "after the race: C_Initialize '$n', slot '$p'"

# --- C_Finalize wakes C_WaitForSlotEvent ----------------------------------
ask wake 300; w=$A
set -- $w
[ "${2:-}" = CKR_OK ] && [ "${5:-}" = CKR_CRYPTOKI_NOT_INITIALIZED ] &&
    within "${6:-x}" 2000 &&
    ok "C_Finalize wakes a blocked C_WaitForSlotEvent: $5 after $6 ms" ||
    not_ok "C_Finalize and C_WaitForSlotEvent: '$w'"
ask init
check "the client exits cleanly" tool_stop
grep -q "ERROR: AddressSanitizer\|runtime error" tool.err 2>/dev/null &&
    { not_ok "sanitizer report"; sed 's/^/# /' tool.err | head -30; }
done_testing
