# tests/tools/faults-lib.sh - emulators, pcscd and one long-lived
# tests/tools/p11-faults client for the fault tests
# (tests/integration/p11-faults*.sh; sourced after tests/lib.sh, in $WORK,
# inside "tests/rig --no-card").
#
#   emu_start [OPTS...]    smartsign-emu run OPTS on the rig's card file and
#                          port ($EMU_PID); waits until the card is settled
#   emu_stop               SIGTERM, until pcscd sees the reader empty
#   card_settled           pcscd reports the card present 6 times in a row
#                          (~1.2 s): vpcd shows a new card once before it
#                          powers it, then flips to absent and back
#   card_out               until pcscd reports the reader empty
#   tool_start             the client ($TPID), its input on fd 3
#   tool_stop              quit, wait; fails if it did not exit 0
#   ask CMD...             send one command; its answer line in $A
#                          (TIMEOUT after FAULT_ASK_S seconds)
#   within MS BOUND        MS is a number no larger than BOUND
#   pcscd_start            a pcscd of our own on the rig's conf dir (or
#                          $1), $PCSCD_PID; killed by faults_cleanup
#   pcscd_gone PID         until that pcscd is gone (or a zombie)
#   proc_cpu_ms PID        utime + stime of a process (ms), /proc/PID/stat
#   card_pub ID OUT        the public key of the certificate with CKA_ID ID,
#                          read through OpenSC (independent of our module,
#                          and loadable when ours is an ASan build)
#   faults_begin BYTES     cd $WORK, faults_cleanup as the EXIT trap, stop
#                          the test unless the client is built; BYTES
#                          random bytes in ./data (what the tests sign)
#   first ANSWER           an answer's first word (the CKR_* name)
#   faults_cleanup         (EXIT trap) the client, emulator, our pcscd
EMU=$BUILD/smartsign-emu
MOD=$BUILD/smartsign-pkcs11.so
TOOL=$BUILD/tests/p11-faults
R=$SMARTSIGN_READER
FAULT_ASK_S=${FAULT_ASK_S:-60}
EMU_PID="" TPID="" PCSCD_PID="" NR=0 EMU_N=0 A="" TOOL_WRAP=""

reader_state() {	# Yes|No: pcscd's view of the first reader
	opensc-tool -l 2>/dev/null | grep -F "$R" | grep -q "^[0-9]* *$1 "
}

card_settled() {
	_k=0
	for _ in $(seq 150); do
		if reader_state Yes; then
			_k=$((_k + 1))
			[ "$_k" -ge 6 ] && return 0
		else
			_k=0
		fi
		sleep 0.2
	done
	return 1
}

card_out() {
	for _ in $(seq 200); do
		reader_state No && return 0
		sleep 0.05
	done
	return 1
}

emu_start() {
	emu_stop
	EMU_N=$((EMU_N + 1))
	"$EMU" run --quiet --counters "$WORK/counters.$EMU_N" \
	    --trace "$WORK/trace.$EMU_N" "$@" \
	    "$SMARTSIGN_CARD@$SMARTSIGN_EMU_PORT" >/dev/null \
	    2>>"$WORK/emu.log" &
	EMU_PID=$!
	card_settled
}

emu_stop() {
	[ -n "$EMU_PID" ] || return 0
	kill -TERM "$EMU_PID" 2>/dev/null
	wait "$EMU_PID" 2>/dev/null
	EMU_PID=""
	card_out
}

emu_apdus() {	# APDUs the current emulator answered or dropped so far
	awk '$1 == "apdus" { print $2 }' "$WORK/counters.$EMU_N"
}

tool_start() {
	rm -f "$WORK/in" "$WORK/out"
	mkfifo "$WORK/in"
	SMARTSIGN_DEBUG=${FAULT_DEBUG:-} $TOOL_WRAP "$TOOL" "$MOD" <"$WORK/in" \
	    >"$WORK/out" 2>>"$WORK/tool.err" &
	TPID=$!
	exec 3>"$WORK/in"
	NR=0
}

tool_stop() {
	[ -n "$TPID" ] || return 0
	echo quit >&3
	exec 3>&-
	wait "$TPID"
	_rc=$?
	TPID=""
	return $_rc
}

ask() {
	echo "$*" >&3
	NR=$((NR + 1))
	_i=0
	A=TIMEOUT
	while [ "$(wc -l <"$WORK/out")" -lt "$NR" ]; do
		_i=$((_i + 1))
		[ "$_i" -gt $((FAULT_ASK_S * 20)) ] && return
		sleep 0.05
	done
	A=$(sed -n "${NR}p" "$WORK/out")
}

within() {
	case "$1" in ''|*[!0-9]*) return 1 ;; esac
	[ "$1" -le "$2" ]
}

pcscd_start() {
	pcscd -f -c "${1:-$SMARTSIGN_PCSCD_CONF}" </dev/null \
	    >>"$WORK/pcscd.log" 2>&1 &
	PCSCD_PID=$!
}

pcscd_gone() {	# pid: gone or a zombie
	for _ in $(seq 100); do
		[ -r "/proc/$1/stat" ] || return 0
		[ "$(sed 's/.*) //' "/proc/$1/stat" | cut -c1)" = Z ] && return 0
		sleep 0.05
	done
	return 1
}

proc_cpu_ms() {	# utime + stime (fields 14, 15 after the comm field)
	sed 's/.*) //' "/proc/$1/stat" |
	    awk -v hz="$(getconf CLK_TCK)" '{ print int(($12 + $13) * 1000 / hz) }'
}

OPENSC=/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so
card_pub() {
	pkcs11-tool --module "$OPENSC" --read-object --type cert --id "$1" \
	    -o "$WORK/cert$1.der" >/dev/null 2>&1 &&
	openssl x509 -inform DER -in "$WORK/cert$1.der" -pubkey -noout >"$2"
}

faults_begin() {
	cd "$WORK" || exit 1
	trap faults_cleanup EXIT
	[ -x "$TOOL" ] || { not_ok "$TOOL built"; done_testing; exit 1; }
	head -c "$1" /dev/urandom >data
}

first() { echo "${1%% *}"; }

faults_cleanup() {
	for _p in $TPID $EMU_PID $PCSCD_PID; do
		kill "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
	done
	return 0
}
