# The card pulled out in the middle of a signature, at every APDU of the
# flow: C_Initialize, C_OpenSession, C_Login, find the private key,
# C_SignInit (then, for 9C, the context-specific C_Login), C_Sign.  The
# flow's APDUs are counted first (the emulator's counters), then for each
# N the emulator drops the card at its Nth APDU (--pull-after N: the APDU
# is never answered).  Asserted for each N, in one client process
# (tests/tools/p11-faults):
#   - the call that meets the removal returns, within FAULT_BOUND_MS, the
#     PKCS#11 code for it: CKR_TOKEN_NOT_PRESENT from C_OpenSession (a
#     slot call; the module's convention for a card gone before or during
#     a token call), CKR_DEVICE_REMOVED from the session calls (PKCS#11,
#     session calls: "removed during the execution of the function");
#   - no signature is written; the session is closed afterwards
#     (C_GetSessionInfo: CKR_SESSION_HANDLE_INVALID);
#   - while the card is out: no CKF_TOKEN_PRESENT, C_GetTokenInfo
#     CKR_TOKEN_NOT_PRESENT;
#   - after re-insertion (SIGUSR2) the same process, with no C_Finalize or
#     C_Initialize, sees the token, opens a session, finds no private key
#     before C_Login, logs in and signs; openssl verifies the signature
#     against the card's certificate.
# rig: --no-card
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tools/faults-lib.sh"
BOUND=${FAULT_BOUND_MS:-5000}
faults_begin 700

# expected code of the call that meets the removal
want_rv() {
	case "$1" in
	C_OpenSession) echo CKR_TOKEN_NOT_PRESENT ;;
	*) echo CKR_DEVICE_REMOVED ;;
	esac
}

verify() {	# sig pubkey
	openssl dgst -sha256 -verify "$2" -signature "$1" data >/dev/null 2>&1
}

# a whole flow, no fault: its APDU count, and the certificates
count_flow() {	# id kind
	emu_start || return 1
	tool_start
	ask init
	ask flow 0 "$1" "$2" data "sig0.$1"; a=$A
	tool_stop
	case "$a" in ok*) ;; *) echo "# flow $1 $2: $a"; return 1 ;; esac
	COUNT=$(emu_apdus)
	card_pub "$1" "pub$1.pem"
	emu_stop
	verify "sig0.$1" "pub$1.pem"
}

# one N: the failing call, then the recovery in the same process
fault_run() {	# id kind n count
	id=$1 kind=$2 n=$3 tag="$2 flow, card pulled at APDU $3/$4"
	emu_start --pull-after "$n" ||
	    { not_ok "$tag: card inserted"; return; }
	tool_start
	ask init
	ask flow 0 "$id" "$kind" data "sig.$kind.$n"; r=$A
	# shellcheck disable=SC2086
	set -- $r
	# r = "fail CALL RV MS"
	call=${2:-?} rv=${3:-?} ms=${4:-?}
	want=$(want_rv "$call")
	if [ "$1" = fail ] && [ "$rv" = "$want" ] && within "$ms" "$BOUND"; then
		ok "$tag: $call $rv in $ms ms"
	else
		not_ok "$tag: got '$r', want '$want' within $BOUND ms"
	fi
	RESULTS="$RESULTS $kind/$n:$call:$ms"
	[ -n "$ms" ] && within "$ms" 100000 && [ "$ms" -gt "$WORST" ] &&
	    WORST=$ms
	ask session; s=$A
	[ ! -e "sig.$kind.$n" ] && [ "${s%% *}" = CKR_SESSION_HANDLE_INVALID ] &&
	    ok "$tag: no signature, session closed (${s%% *})" ||
	    not_ok "$tag: signature file or session left (session: $s)"
	card_out
	ask present 0; p=$A
	ask token 0; t=$A
	[ "${p##* }" = 0 ] && [ "${t%% *}" = CKR_TOKEN_NOT_PRESENT ] &&
	    ok "$tag: while out: no token (${t%% *})" ||
	    not_ok "$tag: while out: present '$p', token '$t'"
	kill -USR2 "$EMU_PID"
	card_settled
	ask present 0; p=$A
	ask token 0; t=$A
	ask open 0; o=$A
	ask find "$id"; f=$A
	ask login; l=$A
	ask find "$id"; f2=$A
	ask signinit "$kind"; i=$A
	c="CKR_OK"
	if [ "$kind" = ecctx ]; then ask ctxlogin; c=$A; fi
	ask sign data "rsig.$kind.$n"; g=$A
	if [ "${p##* }" = 1 ] && [ "${t%% *}" = CKR_OK ] &&
	    [ "${o%% *}" = CKR_OK ] && [ "$f" != "${f% 0}" ] &&
	    [ "${f%% *}" = CKR_OK ] && [ "${l%% *}" = CKR_OK ] &&
	    [ "$f2" != "${f2% 1}" ] && [ "${i%% *}" = CKR_OK ] &&
	    [ "${c%% *}" = CKR_OK ] && [ "${g%% *}" = CKR_OK ] &&
	    verify "rsig.$kind.$n" "pub$id.pem"; then
		ok "$tag: re-inserted, the same process signs (verified)"
	else
		not_ok "$tag: after re-insertion: present '$p' token '$t'" \
		    "open '$o' find-before-login '$f' login '$l' find '$f2'" \
		    "signinit '$i' ctxlogin '$c' sign '$g'"
	fi
	tool_stop || not_ok "$tag: the client exited with an error"
	emu_stop
}

RESULTS="" WORST=0
for flow in "01 rsa" "02 ecctx"; do
	# shellcheck disable=SC2086
	set -- $flow
	id=$1 kind=$2
	if ! count_flow "$id" "$kind"; then
		not_ok "$kind flow (key $id) signs without faults"
		continue
	fi
	ok "$kind flow (key $id) signs without faults: $COUNT APDUs"
	total=$COUNT
	for n in $(seq "$total"); do
		fault_run "$id" "$kind" "$n" "$total"
	done
done
echo "# per N (flow/N:call:ms):$RESULTS"
echo "# slowest failing call: $WORST ms (bound $BOUND ms)"
done_testing
