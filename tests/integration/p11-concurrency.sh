# Concurrency and sharing (issue #8), through the real stack (libpcsclite,
# pcscd, vpcd, the emulator); every signature is verified with libcrypto
# against the certificate read from the card, and every run is guarded by
# `timeout` (a deadlock fails the check, nothing else here is timed).
# 1. smartsign-bench: 8 threads x 200 9A signatures (a session each) and
#    4 processes x 50, all verified; then 9A (RSA) and 9C (ECDSA, context
#    login each signature) at once: 2 + 2 processes, and one process with
#    4 + 4 threads (tests/tools/p11-hammer), where context logins must
#    take turns.
# 2. Nothing comes between our VERIFY and our 9C GENERAL AUTHENTICATE:
#    A signs with 9C while B (9A signatures, 2 threads), C (a cold module
#    reading token info and every object, again and again) and D (raw
#    PC/SC: SELECT and GET DATA, with and without a transaction) use the
#    card.  The emulator's APDU trace of that window must show every
#    9C GA (its chained chunks included) right after a PIN VERIFY, no PIN
#    VERIFY followed by anything else, and the others' APDUs between A's
#    signatures many times (or the check would prove nothing).  The same
#    checker must catch a slipped APDU and a second VERIFY planted in a
#    copy of the trace.
# 3. Another application resets the card (pcsc-apdu -R) between our
#    C_Login and C_Sign: C_Sign gets CKR_USER_NOT_LOGGED_IN, no VERIFY is
#    replayed and no GENERAL AUTHENTICATE is sent; the session is back in
#    the public state (PKCS#11: without a login every session is a
#    public session), a new C_Login works and the next signature
#    verifies.  Same for 9C, where the context login notices the reset;
#    and a reset tried while a context login holds the card waits until
#    the signature is made.
# rig:
. "$(dirname "$0")/../lib.sh"

MOD=$BUILD/smartsign-pkcs11.so
BENCH=$BUILD/smartsign-bench
HAM=$BUILD/tests/p11-hammer
APDU=$BUILD/tests/pcsc-apdu
TRACE=$SMARTSIGN_EMU_TRACE
GUARD=240		# seconds: the deadlock guard of every run (tests/run: 600)
cd "$WORK" || exit 1

for t in "$BENCH" "$HAM" "$APDU"; do
	[ -x "$t" ] || { not_ok "$t built"; done_testing; exit 1; }
done

wait_for() {	# file: up to 60 s
	i=0
	while [ ! -e "$1" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i + 1)); done
	[ -e "$1" ]
}
lines() { wc -l < "$TRACE"; }
val() {		# key file: the number after key in the file's first such line
	awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' "$2"
}
total() {	# key file...: the sum of key over the files' "total" lines
	k=$1; shift
	cat "$@" | awk -v k="$k" '$1 == "total" { for (i = 1; i < NF; i++) if ($i == k) s += $(i + 1) } END { print s + 0 }'
}

# The trace checker.  Trace lines: "MS card1 > cmd HEX", "... < rsp HEX",
# "... > ctl 04 get-atr" (pcscd's polling, not an APDU: skipped).  A PIN
# VERIFY is INS 20 P2 80 with data (redacted); a 9C GA is INS 87 P2 9C,
# CLA 10 for a chunk that more follow; a GET RESPONSE right after it is
# part of it.  Counts: pairs (9C GA right after a PIN VERIFY), slipped
# (a 9C GA after anything else, or a chain broken), orphans (a PIN VERIFY
# followed by anything but a 9C GA), gaps (from one 9C signature to the
# next VERIFY), interleaved (gaps with another command in them) and
# doubled (two PIN VERIFYs, or two 9C GAs, with none of the other kind
# between them, whatever else came between).
cat > trace.awk <<'EOF'
function kind(hex,	cla, ins, p2) {
	cla = substr(hex, 1, 2); ins = substr(hex, 3, 2); p2 = substr(hex, 7, 2)
	if (ins == "20" && p2 == "80" && length(hex) > 10) return "pinv"
	if (ins == "87" && p2 == "9C") return cla == "10" ? "chunk" : "ga"
	if (ins == "C0" && (prev == "ga" || prev == "getresp")) return "getresp"
	return "other"
}
function slip() { slipped++; if (!first) first = NR }
$3 != ">" || ($4 == "ctl" && $5 == "04") { next }
{
	k = $4 == "cmd" ? kind($5) : "other"
	if (k == "ga" || k == "chunk") {
		if (prev == "pinv") pairs++
		else if (prev != "chunk") slip()
	} else if (prev == "chunk")
		slip()
	if (k == "pinv" || k == "ga") {
		if (k == last) doubled++
		last = k
	}
	if (prev == "pinv" && k != "ga" && k != "chunk") {
		orphans++; if (!ofirst) ofirst = NR
	}
	if (k == "other" && signed) seen = 1
	if (k == "pinv") {
		if (signed) { gaps++; if (seen) interleaved++ }
		signed = seen = 0
	}
	if (k == "ga") signed = 1
	prev = k
}
END {
	if (prev == "pinv") orphans++
	printf "pairs %d slipped %d orphans %d gaps %d interleaved %d doubled %d first_slip %d first_orphan %d\n",
	    pairs, slipped, orphans, gaps, interleaved, doubled, first, ofirst
}
EOF
analyse() { awk -f trace.awk "$1"; }

# --- 1. threads and processes ----------------------------------------------
check_out "bench: 8 threads x 200 and 4 processes x 50 9A signatures" \
    bench.md timeout $GUARD "$BENCH" --module smartsign="$MOD" \
    --flows threads,procs --runs 1 --sig-runs 1 --threads 8 \
    --thread-sigs 200 --procs 4 --proc-sigs 50 --rtt 20 --keyop-n 5 \
    --timeout $GUARD --quiet --raw b.tsv
field() {	# flow n: 6 ok, 10 keyops, 11 signatures, 12 verified
	awk -F'\t' -v f="$1" -v n="$2" '$1 == "run" && $3 == f { print $n }' b.tsv
}
for fw in "threads 1600" "procs 200"; do
	set -- $fw
	s=$(field "$1" 11) v=$(field "$1" 12) k=$(field "$1" 10)
	[ "$(field "$1" 6)" = 1 ] && [ "$s" = "$2" ] && [ "$v" = "$2" ] &&
	    [ "$k" = "$2" ] &&
	    ok "bench $1: $v of $2 signatures verified, $k private-key operations" ||
	    not_ok "bench $1: ok=$(field "$1" 6) signed=$s verified=$v keyops=$k, want $2"
done

# 9A and 9C at once: 2 + 2 processes, all started together
n=50
rm -f go
for p in rsa1 rsa2 ec1 ec2; do
	timeout $GUARD "$HAM" -n $n -p 10 -r "$p.ready" -g go "$MOD" "${p%[0-9]}" \
	    > "$p.out" 2>&1 &
	eval "pid_$p=\$!"
done
for p in rsa1 rsa2 ec1 ec2; do wait_for "$p.ready"; done
from=$(lines)
touch go
for p in rsa1 rsa2 ec1 ec2; do
	eval "wait \$pid_$p"
	rc=$?
	[ "$rc" -eq 0 ] && [ "$(total verified "$p.out")" -eq $n ] &&
	    ok "mixed: process $p: $n signatures verified, no error" ||
	    { not_ok "mixed: $p (exit $rc)"; sed 's/^/#   /' "$p.out"; }
done
tail -n +$((from + 1)) "$TRACE" > mixed.trace
analyse mixed.trace > mixed.res
echo "# mixed processes trace: $(cat mixed.res)"
ec=$(total signed ec1.out ec2.out)
[ "$(val pairs mixed.res)" -eq "$ec" ] && [ "$(val slipped mixed.res)" -eq 0 ] &&
    [ "$(val orphans mixed.res)" -eq 0 ] &&
    ok "mixed: each of the $ec 9C signatures right after its VERIFY" ||
    not_ok "mixed: 9C signatures $ec, trace: $(cat mixed.res)"

# threads of one process: 4 sign with 9A, 4 with 9C.  They share one
# PC/SC handle, so the others' APDUs may come between a VERIFY and its GA
# (the card keeps the key's login through them), but a second context
# login must wait for the first one's signature: VERIFY and 9C GA
# alternate.
rm -f go
timeout $GUARD "$HAM" -t 8 -n $n -r mix.ready -g go "$MOD" mix > mix.out 2>&1 &
M=$!
wait_for mix.ready
from=$(lines)
touch go
wait $M
rc=$?
[ "$rc" -eq 0 ] && [ "$(total verified mix.out)" -eq $((8 * n)) ] &&
    ok "threads: 4 x 9A and 4 x 9C in one process, $n signatures each, all verified" ||
    { not_ok "threads: 9A and 9C (exit $rc)"; sed 's/^/#   /' mix.out; }
tail -n +$((from + 1)) "$TRACE" > threads.trace
analyse threads.trace > threads.res
echo "# mixed threads trace: $(cat threads.res)"
[ "$(val pairs threads.res)" -gt 0 ] && [ "$(val doubled threads.res)" -eq 0 ] &&
    ok "threads: one context login at a time (VERIFY and 9C GA alternate)" ||
    not_ok "threads: context logins overlapped: $(cat threads.res)"

# --- 2. nothing between our VERIFY and our 9C signature ---------------------
A_N=100
rm -f go stop
timeout $GUARD "$HAM" -n $A_N -p 20 -r a.ready -g go "$MOD" ec > a.out 2>&1 &
A=$!
timeout $GUARD "$HAM" -t 2 -n 1000000 -u stop -r b.ready -g go "$MOD" rsa \
    > b.out 2>&1 &
B=$!
timeout $GUARD "$HAM" -n 1000000 -u stop -r c.ready -g go "$MOD" noise \
    > c.out 2>&1 &
C=$!
(	# D: raw PC/SC, in a transaction and (-n) without
	wait_for go
	while [ ! -e stop ]; do
		"$APDU" "$SMARTSIGN_READER" 00A4040009A0000003080000100000 \
		    00CB3FFF055C035FC102 >> d.out 2>&1 || echo FAIL >> d.fail
		"$APDU" -n "$SMARTSIGN_READER" 00A4040009A0000003080000100000 \
		    >> d.out 2>&1 || echo FAIL-n >> d.fail
		echo round >> d.rounds
	done
) &
D=$!
for p in a b c; do wait_for "$p.ready"; done
from=$(lines)
touch go
wait $A
arc=$?
touch stop
wait $B; brc=$?
wait $C; crc=$?
wait $D
tail -n +$((from + 1)) "$TRACE" > race.trace
analyse race.trace > race.res

[ "$arc" -eq 0 ] && [ "$(total verified a.out)" -eq $A_N ] &&
    ok "A: $A_N 9C signatures (context login each) verified" ||
    { not_ok "A: 9C signatures (exit $arc)"; sed 's/^/#   /' a.out; }
bs=$(total signed b.out)
[ "$brc" -eq 0 ] && [ "$bs" -gt 0 ] && [ "$bs" = "$(total verified b.out)" ] &&
    ok "B: $bs 9A signatures from 2 threads meanwhile, all verified" ||
    { not_ok "B: 9A signatures (exit $brc)"; sed 's/^/#   /' b.out; }
[ "$crc" -eq 0 ] && [ "$(val done c.out)" -gt 0 ] &&
    ok "C: $(val done c.out) cold rounds of token info and object reads, no error" ||
    { not_ok "C: noise (exit $crc)"; sed 's/^/#   /' c.out; }
dr=$(wc -l < d.rounds 2>/dev/null || echo 0)
dt=$(cat d.fail 2>/dev/null | grep -c '^FAIL$')
[ "$dr" -gt 0 ] && [ "${dt:-0}" -eq 0 ] &&
    ok "D: $dr rounds of raw SELECT / GET DATA, every transaction answered" ||
    not_ok "D: raw PC/SC rounds $dr, $dt failed"
echo "# D: $(cat d.fail 2>/dev/null | grep -c 'FAIL-n') of $dr commands without a transaction refused (sharing violation: allowed)"
echo "# race trace: $(wc -l < race.trace) lines; $(cat race.res)"

pairs=$(val pairs race.res)
[ "$pairs" -eq $A_N ] && [ "$(val slipped race.res)" -eq 0 ] &&
    ok "every one of A's $A_N 9C GAs came right after its PIN VERIFY" ||
    not_ok "9C GA after something else than the VERIFY: $(cat race.res)"
[ "$(val orphans race.res)" -eq 0 ] &&
    ok "every PIN VERIFY was followed by its 9C GA, nothing else" ||
    not_ok "PIN VERIFY followed by something else: $(cat race.res)"
gaps=$(val gaps race.res) il=$(val interleaved race.res)
[ "$il" -ge $((A_N / 10)) ] &&
    ok "the others' APDUs came between A's signatures $il times of $gaps" ||
    not_ok "too little contention to prove anything: $il of $gaps gaps interleaved"

# the checker catches a slipped APDU and a foreign VERIFY (planted)
ga9a=$(grep -m1 -E '> cmd 0087..9A' race.trace)
for plant in "slip:$ga9a" "verify:"; do
	what=${plant%%:*} line=${plant#*:}
	awk -v line="$line" -v what="$what" '
	    !done && cmd ~ /> cmd 0020008008/ && $0 ~ /> cmd 0087..9C/ {
		print (what == "slip" ? line : cmd); done = 1 }
	    / > cmd / { cmd = $0 }
	    { print }' race.trace > "planted.$what"
	analyse "planted.$what" > "planted.$what.res"
done
# (relative to the real trace, so that they hold on a bad one too)
rs=$(val slipped race.res) ro=$(val orphans race.res)
[ -n "$ga9a" ] && [ "$(val slipped planted.slip.res)" -eq $((rs + 1)) ] &&
    [ "$(val orphans planted.slip.res)" -eq $((ro + 1)) ] &&
    ok "self-check: a 9A GA planted between a VERIFY and its 9C GA is caught" ||
    not_ok "self-check slip: $(cat planted.slip.res)"
[ "$(val orphans planted.verify.res)" -eq $((ro + 1)) ] &&
    ok "self-check: a second VERIFY planted before a 9C GA is caught" ||
    not_ok "self-check verify: $(cat planted.verify.res)"

# --- 3. another application resets the card -------------------------------
mkfifo cmd
"$HAM" "$MOD" script < cmd > script.out 2>&1 &
S=$!
exec 3> cmd
answer() {	# line N of the answers (TIMEOUT after 30 s)
	i=0
	while [ "$(wc -l < script.out)" -lt "$1" ]; do
		i=$((i + 1))
		[ $i -gt 600 ] && { echo TIMEOUT; return; }
		sleep 0.05
	done
	sed -n "${1}p" script.out
}
NR=1
[ "$(answer 1)" = ready ] || { not_ok "script client starts"; cat script.out; }
ask() {		# command: its answer in $got
	echo "$1" >&3
	NR=$((NR + 1))
	got=$(answer $NR)
}
expect() {	# name want command
	ask "$3"
	[ "$got" = "$2" ] && ok "$1" || not_ok "$1 (got '$got', want '$2')"
}
snap() { v0=$(counter verify) g0=$(counter ins_87) k0=$(counter keyops) r0=$(counter resets); }
unchanged() {	# name: no VERIFY, no GENERAL AUTHENTICATE since snap
	[ "$(counter verify)" = "$v0" ] && [ "$(counter ins_87)" = "$g0" ] &&
	    [ "$(counter keyops)" = "$k0" ] &&
	    ok "$1: no VERIFY replayed, no GENERAL AUTHENTICATE sent" ||
	    not_ok "$1: verify $v0 -> $(counter verify), GA $g0 -> $(counter ins_87), keyops $k0 -> $(counter keyops)"
}
reset_card() {	# name
	if "$APDU" -R "$SMARTSIGN_READER" > reset.out 2>&1 &&
	    [ "$(counter resets)" -gt "$r0" ]; then
		ok "$1 (emulator resets $r0 -> $(counter resets))"
	else
		not_ok "$1"; sed 's/^/#   /' reset.out
	fi
}

expect "9A: C_Login" ok login
expect "9A: C_SignInit" ok "init 01"
expect "9A: the signature verifies" verified sign
snap
reset_card "B resets the card (SCardReconnect, SCARD_RESET_CARD)"
expect "9A: C_SignInit after the reset (no card I/O)" ok "init 01"
expect "9A: C_Sign after the reset: CKR_USER_NOT_LOGGED_IN" \
    CKR_USER_NOT_LOGGED_IN sign
unchanged "9A after the reset"
expect "9A: the session is a public session again" \
    "state CKS_RO_PUBLIC_SESSION" state
expect "9A: C_Login again (not CKR_USER_ALREADY_LOGGED_IN)" ok login
expect "9A: logged in again" "state CKS_RO_USER_FUNCTIONS" state
expect "9A: C_SignInit" ok "init 01"
expect "9A: the next signature verifies" verified sign

expect "9C: C_SignInit" ok "init 02"
snap
reset_card "B resets the card again"
expect "9C: C_Login(CKU_CONTEXT_SPECIFIC) after the reset: CKR_USER_NOT_LOGGED_IN" \
    CKR_USER_NOT_LOGGED_IN ctx
expect "9C: C_Sign without the context login: CKR_USER_NOT_LOGGED_IN" \
    CKR_USER_NOT_LOGGED_IN sign
unchanged "9C after the reset"
expect "9C: the session is a public session again" \
    "state CKS_RO_PUBLIC_SESSION" state
expect "9C: C_Login again" ok login
expect "9C: C_SignInit" ok "init 02"
expect "9C: context login" ok ctx

# A reset tried now waits in pcscd until the signature is made: the
# context login holds the card.  (Only the order is checked: the reset
# is still waiting when C_Sign is called, after a second's head start.)
snap
"$APDU" -R "$SMARTSIGN_READER" > reset2.out 2>&1 &
R=$!
sleep 1
kill -0 $R 2>/dev/null && [ "$(counter resets)" = "$r0" ] &&
    ok "a reset tried during a held context login waits" ||
    not_ok "the reset did not wait for the held context login"
expect "9C: the signature verifies (the reset did not come between)" \
    verified sign
wait $R
grep -qx reset reset2.out && [ "$(counter resets)" -gt "$r0" ] &&
    ok "the waiting reset went through after the signature" ||
    { not_ok "the waiting reset"; sed 's/^/#   /' reset2.out; }
# the module notices it at its next card I/O
expect "9A: C_SignInit after that reset" ok "init 01"
expect "9A: C_Sign after that reset: CKR_USER_NOT_LOGGED_IN" \
    CKR_USER_NOT_LOGGED_IN sign
expect "after that reset the session is public" \
    "state CKS_RO_PUBLIC_SESSION" state
ask quit
exec 3>&-
wait $S

if grep -q -- "$SMARTSIGN_PIN" ./*.out ./*.res 2>/dev/null; then
	not_ok "the PIN appears in an output"
else
	ok "the PIN appears in no output"
fi
done_testing
