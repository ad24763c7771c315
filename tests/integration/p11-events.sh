# C_WaitForSlotEvent and card removal through pcscd: one long-lived process
# (tests/tools/p11-events, driven line by line through a FIFO) reports
# events while the test pulls the card (kill -USR1 of the emulator),
# re-inserts it (kill -USR2) and brings a card into the second reader;
# blocking and non-blocking waits; the pulled card's session is closed
# (CKR_DEVICE_REMOVED, then CKR_SESSION_HANDLE_INVALID) and after
# re-insertion the same process logs in and signs again (verified with
# openssl); C_Finalize from another thread wakes a blocked waiter; slot
# IDs stay.  vpcd's two readers exist from pcscd's start, so a reader
# being plugged in is covered by the unit test (test-p11-events) only.
# rig: --card "" --card ""
. "$(dirname "$0")/../lib.sh"

MOD=$BUILD/smartsign-pkcs11.so
TOOL=$BUILD/tests/p11-events
PIN=$SMARTSIGN_PIN
cd "$WORK" || exit 1

[ -x "$TOOL" ] || { not_ok "$TOOL built"; done_testing; exit 1; }

# until pcscd reports the card in the reader as present (Yes) or not (No)
card_state() {	# reader Yes|No
	for _ in $(seq 100); do
		opensc-tool -l 2>/dev/null | grep -F "$1" |
		    grep -q "^[0-9]* *$2" && return 0
		sleep 0.05
	done
	return 1
}

pull() {	# emulator pid, reader
	kill -USR1 "$1" && card_state "$2" No
}

push() {
	kill -USR2 "$1" && card_state "$2" Yes
}

send() { echo "$*" >&3; }
answer() {	# answer line N (TIMEOUT after 15 s)
	i=0
	while [ "$(wc -l <out)" -lt "$1" ]; do
		i=$((i + 1))
		[ "$i" -gt 300 ] && { echo TIMEOUT; return; }
		sleep 0.05
	done
	sed -n "${1}p" out
}
expect() {	# name want command...
	name=$1 want=$2
	shift 2
	send "$@"
	NR=$((NR + 1))
	got=$(answer $NR)
	[ "$got" = "$want" ] && ok "$name" ||
	    not_ok "$name (got '$got', want '$want')"
}
# a blocking wait: it must not answer until ACTION, then answer WANT
expect_wait() {	# name want action...
	name=$1 want=$2
	shift 2
	send wait
	sleep 0.5
	NR=$((NR + 1))
	if [ "$(wc -l <out)" -ge "$NR" ]; then
		not_ok "$name (answered before the event: $(answer $NR))"
		return
	fi
	"$@"
	got=$(answer $NR)
	[ "$got" = "$want" ] && ok "$name" ||
	    not_ok "$name (got '$got', want '$want')"
}
verify_sig() {	# sig, cert id file
	openssl dgst -sha256 -verify "$2" -signature "$1" data
}

# the card of the second reader starts out
check "card 2 pulled before the start" pull "$SMARTSIGN_EMU_PID_2" \
    "$SMARTSIGN_READER_2"
pkcs11-tool --module "$MOD" --slot 0 --read-object --type cert --id 01 \
    -o cert1.der >/dev/null 2>&1
openssl x509 -inform DER -in cert1.der -pubkey -noout >pub1.pem
head -c 500 /dev/urandom >data

# the tool, its input kept open on fd 3
mkfifo in
SMARTSIGN_DEBUG=$WORK/debug.log "$TOOL" "$MOD" <in >out 2>err &
TPID=$!
exec 3>in
NR=0

expect "no event at the start" "none" poll
expect "two slots, a token in the first" "slots 0:1 1:0" slots
expect "login on slot 0" "CKR_OK" login 0 "$PIN"
expect "9A signs" "CKR_OK" sign 01 data sig1
check "... and openssl verifies it" verify_sig sig1 pub1.pem

# non-blocking: removal
check "card 1 pulled" pull "$SMARTSIGN_EMU_PID" "$SMARTSIGN_READER"
expect "CKF_DONT_BLOCK reports the removal" "event 0" poll
expect "... once" "none" poll
expect "the pulled card's session: CKR_DEVICE_REMOVED" "CKR_DEVICE_REMOVED" \
    session
expect "... then CKR_SESSION_HANDLE_INVALID" "CKR_SESSION_HANDLE_INVALID" \
    session
expect "no token in slot 0" "slots 0:0 1:0" slots

# blocking: insertion, the same process signs again
expect_wait "a blocked wait returns on insertion" "event 0" \
    push "$SMARTSIGN_EMU_PID" "$SMARTSIGN_READER"
expect "login after re-insertion" "CKR_OK" login 0 "$PIN"
expect "the same process signs again" "CKR_OK" sign 01 data sig2
check "... and openssl verifies it" verify_sig sig2 pub1.pem

# blocking: removal and insertion once more
expect_wait "a blocked wait returns on removal" "event 0" \
    pull "$SMARTSIGN_EMU_PID" "$SMARTSIGN_READER"
expect "the session went with the card" "CKR_DEVICE_REMOVED" session
expect_wait "... and on insertion" "event 0" \
    push "$SMARTSIGN_EMU_PID" "$SMARTSIGN_READER"

# a card in the second reader
expect_wait "a card in reader 2 is an event of slot 1" "event 1" \
    push "$SMARTSIGN_EMU_PID_2" "$SMARTSIGN_READER_2"
expect "both slots have a token" "slots 0:1 1:1" slots
pkcs11-tool --module "$MOD" --slot 1 --read-object --type cert --id 01 \
    -o cert2.der >/dev/null 2>&1
openssl x509 -inform DER -in cert2.der -pubkey -noout >pub2.pem
expect "login on slot 1" "CKR_OK" login 1 "$PIN"
expect "card 2 signs" "CKR_OK" sign 01 data sig3
check "... and openssl verifies it with card 2's key" verify_sig sig3 pub2.pem
expect "nothing else happened" "none" poll

# two events in two slots: one answer each
pull "$SMARTSIGN_EMU_PID" "$SMARTSIGN_READER"
pull "$SMARTSIGN_EMU_PID_2" "$SMARTSIGN_READER_2"
expect "two removals: slot 0 first" "event 0" poll
expect "... then slot 1" "event 1" poll
expect "... and no more" "none" poll
push "$SMARTSIGN_EMU_PID" "$SMARTSIGN_READER"
expect "re-inserted" "event 0" poll

# C_Finalize wakes a waiter blocked in another thread
expect "C_Finalize wakes a blocked waiter" \
    "woken rv CKR_CRYPTOKI_NOT_INITIALIZED" finalize-wake
expect "after C_Initialize again: no stale event" "none" poll
expect "the slot IDs stayed" "slots 0:1 1:0" slots
expect "login once more" "CKR_OK" login 0 "$PIN"
expect "and sign" "CKR_OK" sign 01 data sig4
check "... verified" verify_sig sig4 pub1.pem

expect "quit" "bye" quit
exec 3>&-
wait "$TPID"
check "the tool exited cleanly" test $? -eq 0
[ -s err ] && sed 's/^/# stderr: /' err
[ "$T_FAILED" -gt 0 ] && grep -a "event\|C_Initialize\|C_Finalize" debug.log |
    head -40 | sed 's/^/# module: /'
done_testing
