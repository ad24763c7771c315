# pcscd killed (kill -9) and restarted, and the reader gone (pcscd
# restarted with a configuration without the vpcd reader), under one
# client process (tests/tools/p11-faults) that is never finalized.  The
# emulator reconnects to the new pcscd by itself.  Asserted:
#   - quick restart (no call while pcscd was down): the first call after
#     pcscd is back, C_GetTokenInfo, succeeds; the old session is closed
#     (CKR_SESSION_HANDLE_INVALID: a restarted pcscd cannot vouch that the
#     card in the reader is the one the session was opened on, and the
#     card was reset anyway); a new session sees no private key before
#     C_Login, then logs in and signs (verified with openssl);
#   - pcscd down: every call returns within FAULT_DOWN_MS: the old
#     session's C_Sign CKR_DEVICE_REMOVED, then CKR_SESSION_HANDLE_INVALID,
#     no CKF_TOKEN_PRESENT, C_GetTokenInfo and C_OpenSession
#     CKR_TOKEN_NOT_PRESENT; after the restart the same process signs;
#   - reader gone: its slot stays in C_GetSlotList(FALSE) without a token
#     (C_GetTokenInfo CKR_TOKEN_NOT_PRESENT, the session closed), and the
#     token comes back with the reader.
# rig: --no-card
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tools/faults-lib.sh"
DOWN_BOUND=${FAULT_DOWN_MS:-2000}
faults_begin 500
RIG_PCSCD=$SMARTSIGN_PCSCD_PID

verify() { openssl dgst -sha256 -verify pub.pem -signature "$1" data >/dev/null 2>&1; }
ms_of() { set -- $1; echo "${2:-x}"; }

kill_pcscd() {	# the rig's, or ours
	if [ -n "$PCSCD_PID" ]; then
		kill -KILL "$PCSCD_PID" && wait "$PCSCD_PID" 2>/dev/null
		PCSCD_PID=""
		return 0
	fi
	kill -KILL "$RIG_PCSCD" && pcscd_gone "$RIG_PCSCD"
}

# open, log in and sign; sets SIG_OK
session_signs() {	# tag sigfile
	ask open 0; o=$A
	ask find 01; f0=$A
	ask login; l=$A
	ask find 01; f=$A
	ask signinit rsa; i=$A
	ask sign data "$2"; g=$A
	if [ "$(first "$o")" = CKR_OK ] && [ "$f0" != "${f0% 0}" ] &&
	    [ "$(first "$l")" = CKR_OK ] && [ "$f" != "${f% 1}" ] &&
	    [ "$(first "$i")" = CKR_OK ] && [ "$(first "$g")" = CKR_OK ] &&
	    verify "$2"; then
		ok "$1: new session, no key before C_Login, signs (verified)"
	else
		not_ok "$1: open '$o' find-before-login '$f0' login '$l'" \
		    "find '$f' signinit '$i' sign '$g'"
	fi
}

emu_start || { not_ok "card inserted"; done_testing; exit 1; }
card_pub 01 pub.pem
tool_start
ask init
session_signs "before any fault" s0

# --- 1. quick restart: nothing called while pcscd is down ---------------
check "pcscd killed (kill -9)" kill_pcscd
pcscd_start
card_settled
ask token 0; t=$A
[ "$(first "$t")" = CKR_OK ] &&
    ok "pcscd restarted: the first call, C_GetTokenInfo, succeeds ($(ms_of "$t") ms)" ||
    not_ok "pcscd restarted: C_GetTokenInfo '$t'"
ask session; s=$A
[ "$(first "$s")" = CKR_SESSION_HANDLE_INVALID ] &&
    ok "... the old session is closed (CKR_SESSION_HANDLE_INVALID)" ||
    not_ok "... the old session: '$s'"
session_signs "after the restart" s1

# --- 2. pcscd down for a while -------------------------------------------
ask signinit rsa; i=$A
check "pcscd killed again" kill_pcscd
worst=0
expect_down() {	# name want cmd...
	name=$1 want=$2; shift 2
	ask "$@"
	got=$(first "$A") ms=$(ms_of "$A")
	within "$ms" "$worst" || worst=$ms
	if [ "$got" = "$want" ] && within "$ms" "$DOWN_BOUND"; then
		ok "pcscd down: $name: $got in $ms ms"
	else
		not_ok "pcscd down: $name: got '$A', want $want within $DOWN_BOUND ms"
	fi
}
[ "$(first "$i")" = CKR_OK ] || not_ok "C_SignInit before the kill: '$i'"
expect_down "C_Sign on the old session" CKR_DEVICE_REMOVED sign data s2
expect_down "... then" CKR_SESSION_HANDLE_INVALID session
ask present 0
[ "${A##* }" = 0 ] && ok "pcscd down: no CKF_TOKEN_PRESENT ($(ms_of "$A") ms)" ||
    not_ok "pcscd down: C_GetSlotInfo '$A'"
expect_down "C_GetTokenInfo" CKR_TOKEN_NOT_PRESENT token 0
expect_down "C_OpenSession" CKR_TOKEN_NOT_PRESENT open 0
[ -e s2 ] && not_ok "a signature was written while pcscd was down"
sleep 2
expect_down "2 s later, C_GetTokenInfo" CKR_TOKEN_NOT_PRESENT token 0
echo "# slowest call while pcscd was down: $worst ms"
pcscd_start
card_settled
ask token 0; t=$A
[ "$(first "$t")" = CKR_OK ] && ok "pcscd back: C_GetTokenInfo CKR_OK" ||
    not_ok "pcscd back: C_GetTokenInfo '$t'"
session_signs "pcscd back" s3

# --- 3. the reader disappears, and comes back -----------------------------
mkdir -p noreader
check "pcscd stopped" kill_pcscd
pcscd_start "$WORK/noreader"
sleep 1
ask present 0; p=$A
ask token 0; t=$A
ask session; s=$A
[ "$(first "$p")" = CKR_OK ] && [ "${p##* }" = 0 ] &&
    [ "$(first "$t")" = CKR_TOKEN_NOT_PRESENT ] &&
    [ "$(first "$s")" = CKR_SESSION_HANDLE_INVALID ] &&
    ok "reader gone: its slot has no token (CKR_TOKEN_NOT_PRESENT), session closed" ||
    not_ok "reader gone: slot info '$p', token '$t', session '$s'"
check "pcscd stopped" kill_pcscd
pcscd_start
card_settled
ask present 0; p=$A
ask token 0; t=$A
[ "${p##* }" = 1 ] && [ "$(first "$t")" = CKR_OK ] &&
    ok "reader back: the token is back in slot 0" ||
    not_ok "reader back: slot info '$p', token '$t'"
session_signs "reader back" s4

check "the client exits cleanly" tool_stop
done_testing
