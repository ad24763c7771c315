# smartsign-diag against emulated cards through the real pcscd + vpcd:
# every subcommand, human and JSON output, with assertions on content.
# Card 1: the standard test card (PIN 123456).  Card 2: certificates that
# expired 9 days ago, and a PIN of its own (58Qz3k) that appears nowhere
# else, so that a leak of it into any output can be grepped for.
# rig: --card "" --card "--cert-days 1 --cert-start-days -10 --pin 58Qz3k"
. "$(dirname "$0")/../lib.sh"

D=$BUILD/smartsign-diag
R1=$SMARTSIGN_READER
R2=$SMARTSIGN_READER_2
PIN2=58Qz3k
PIN2_HEX=3538517A336B
PIN1_HEX=313233343536
printf '%s\n' "$SMARTSIGN_PIN" >"$WORK/pin1"
printf '%s\n' "$PIN2" >"$WORK/pin2"
printf '654321\n' >"$WORK/badpin"

# json FILE PYTHON-EXPRESSION: pass when the expression over d (the parsed
# document) is true
json() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$1" "$2"
}

# check_json NAME FILE EXPR
check_json() {
	if json "$2" "$3" 2>"$WORK/json.err"; then
		ok "$1"
	else
		not_ok "$1 (false: $3)"
		sed 's/^/#   /' "$2" | head -n 40
		sed 's/^/#   /' "$WORK/json.err"
	fi
}

# check_rc NAME WANT CMD...: pass when CMD exits with status WANT
check_rc() {
	name=$1 want=$2; shift 2
	"$@" >"$WORK/rc.out" 2>&1
	rc=$?
	if [ "$rc" -eq "$want" ]; then
		ok "$name"
	else
		not_ok "$name (exit $rc, want $want)"
		sed 's/^/#   /' "$WORK/rc.out" | tail -n 20
	fi
}

# no_pin NAME FILE: neither PIN, in ASCII or hex, anywhere in FILE
no_pin() {
	if grep -Eiq "$SMARTSIGN_PIN|$PIN1_HEX|$PIN2|$PIN2_HEX" "$2"; then
		not_ok "$1 (a PIN is in $(basename "$2"))"
		grep -Ein "$SMARTSIGN_PIN|$PIN1_HEX|$PIN2|$PIN2_HEX" "$2" |
		    head -n 5 | sed 's/^/#   /'
	else
		ok "$1"
	fi
}

# The card's ATR as another program (OpenSC) reads it.
ATR=$(opensc-tool --reader "$R1" --atr 2>/dev/null | tr -d ':' |
    tr 'a-f' 'A-F' | tr -d '\n')
ATR_SP=$(printf '%s' "$ATR" | sed 's/../& /g; s/ $//')
[ -n "$ATR" ] && ok "opensc-tool reads the ATR ($ATR)" ||
    not_ok "opensc-tool reads the ATR"

# ---- readers
check_out "readers" "$WORK/readers.txt" "$D" readers
check_grep "readers: reader 1 by name" "name: +$R1\$" "$WORK/readers.txt"
check_grep "readers: reader 2 by name" "name: +$R2\$" "$WORK/readers.txt"
check_grep "readers: the card's ATR" "atr: +$ATR_SP\$" "$WORK/readers.txt"
check_grep "readers: card present, protocol T=1" "protocol: +T=1" \
    "$WORK/readers.txt"
check_out "readers --json" "$WORK/readers.json" "$D" readers --json
check_json "readers --json: both readers, card, ATR, protocol, not in use" \
    "$WORK/readers.json" "
[r['name'] for r in d['readers']][:1] == ['$R1'] and
'$R2' in [r['name'] for r in d['readers']] and
d['readers'][0]['card'] is True and d['readers'][0]['atr'] == '$ATR' and
d['readers'][0]['protocol'] == 'T=1' and
d['readers'][0]['in_use'] is False and d['readers'][0]['exclusive'] is False"
check_out "readers --reader R2 --json" "$WORK/readers2.json" \
    "$D" readers --reader "$R2" --json
check_json "readers --reader: only that reader" "$WORK/readers2.json" \
    "[r['name'] for r in d['readers']] == ['$R2']"
check_rc "readers --reader unknown: exit 4" 4 "$D" readers --reader nosuch

# ---- atr
check_out "atr from the reader" "$WORK/atr.txt" "$D" atr --reader "$R1"
check_grep "atr: TCK correct" "^tck: +8A correct" "$WORK/atr.txt"
check_grep "atr: TD1 announces T=0" "TD1 +80 +protocol T=0" "$WORK/atr.txt"
check_grep "atr: card capabilities object" "73 C021C0 +card capabilities" \
    "$WORK/atr.txt"
check_out "atr --json" "$WORK/atr.json" "$D" atr --json --reader "$R1"
check_json "atr --json: fields" "$WORK/atr.json" "
d['atr'] == '$ATR' and d['well_formed'] and d['protocols'] == 'T=0 T=1' and
d['historical_bytes']['text'].endswith('SSIGNPIV') and d['errors'] == [] and
[b['byte'] for b in d['interface_bytes']] == ['TD1', 'TD2']"
check_out "atr of a YubiKey 5 NFC (hex)" "$WORK/atr-yk.json" "$D" atr --json \
    3B FD 13 00 00 81 31 FE 15 80 73 C0 21 C0 57 59 75 62 69 4B 65 79 40
check_json "atr: named from pcsc-tools' list, T=1 parameters" \
    "$WORK/atr-yk.json" "
'Yubico YubiKey 5 NFC (PKI)' in d['card_names'] and
d['t1'] == 'IFSC=254 BWI=1 CWI=5 LRC' and d['fi_di'] == 'Fi=372 Di=4'"
check_rc "atr: malformed ATR (bad TCK) exits 1" 1 "$D" atr 3B810100FF
check_grep "atr: malformed ATR says why" "TCK wrong" "$WORK/rc.out"
check_rc "atr: truncated ATR exits 1" 1 "$D" atr 3B FA 18 00
check_grep "atr: truncated ATR says why" "truncated" "$WORK/rc.out"
check_rc "atr: not hex exits 2" 2 "$D" atr 3B:ZZ

# ---- features
check_out "features" "$WORK/features.txt" "$D" features --reader "$R1"
check_grep "features: no PIN pad on vpcd" "pinpad verify: +no" \
    "$WORK/features.txt"
check_out "features --json" "$WORK/features.json" "$D" features --json
check_json "features --json: no PIN pad" "$WORK/features.json" \
    "d['reader'] == '$R1' and d['pinpad_verify'] is False and \
d['pinpad_modify'] is False"

# ---- card
check_out "card" "$WORK/card.txt" "$D" card --reader "$R1"
check_grep "card: PIV applet" "^applet: +PIV" "$WORK/card.txt"
check_grep "card: PIN tries 3" "tries left: +3" "$WORK/card.txt"
check_grep "card: 9A is RSA-2048" "key type: +RSA-2048" "$WORK/card.txt"
check_grep "card: 9C is P-256" "key type: +ECC P-256" "$WORK/card.txt"
check_grep "card: certificate subject" \
    "subject: +C=US, O=Example Customs Brokerage, CN=Test Broker" \
    "$WORK/card.txt"
check_grep "card: YubiKey version" "version: +5\\.4\\.3" "$WORK/card.txt"
check_out "card --json" "$WORK/card.json" "$D" card --json --reader "$R1"
check_json "card --json: applet, CHUID, PIN and PUK tries" "$WORK/card.json" "
d['applet'] == 'PIV' and d['atr'] == '$ATR' and
d['pin']['tries_left'] == 3 and d['puk']['tries_left'] == 3 and
len(d['chuid']['guid']) == 36 and d['yubikey']['version'] == '5.4.3'"
check_json "card --json: each key's type" "$WORK/card.json" "
{k['slot']: k['key_type'] for k in d['keys']} == {'9A': 'RSA-2048',
'9C': 'ECC P-256', '9D': 'RSA-2048', '9E': 'ECC P-256'}"
check_json "card --json: subjects, issuer, valid" "$WORK/card.json" "
all(k['certificate']['subject'] ==
'C=US, O=Example Customs Brokerage, CN=Test Broker' and
k['certificate']['issuer'].endswith('CN=Smartsign Test CA') and
k['certificate']['status'] == 'valid' and k['certificate']['days_left'] > 30
for k in d['keys'])"
check_json "card --json: 9C always needs the PIN" "$WORK/card.json" \
    "[k['pin_policy'] for k in d['keys'] if k['slot'] == '9C'] == ['always']"
check_out "card --pem" "$WORK/card-pem.txt" "$D" card --pem --reader "$R1"
check_grep "card --pem: certificates in PEM" "BEGIN CERTIFICATE" \
    "$WORK/card-pem.txt"
# read-only: no VERIFY with data, no PUK, nothing written, no key used
if grep -E ' > cmd (0020..81|002000[0-9A-F]{3}[1-9A-F]|0024|002C|00DB|0047|00FE|00FF|00FA|00FB|0087)' \
    "$SMARTSIGN_EMU_TRACE" >"$WORK/bad-apdus"; then
	not_ok "card sends only read-only commands"
	sed 's/^/#   /' "$WORK/bad-apdus" | head
else
	ok "card sends only read-only commands (no PIN/PUK data, no writes)"
fi
[ "$(counter verify_fail)" = 0 ] && [ "$(counter keyops)" = 0 ] &&
    ok "card cost no PIN try and no key operation" ||
    not_ok "card cost a PIN try or a key operation"

# the expired card
check_rc "card with an expired certificate: exit 1" 1 \
    "$D" card --reader "$R2"
check_grep "card: expired certificate flagged" "EXPIRED on" "$WORK/rc.out"
"$D" card --json --reader "$R2" >"$WORK/card2.json"
check_json "card --json: every certificate expired, days_left < 0" \
    "$WORK/card2.json" "
all(k['certificate']['status'] == 'expired' and
k['certificate']['days_left'] < 0 for k in d['keys']) and
any('EXPIRED' in w for w in d['warnings'])"

# ---- watch: the card pulled and put back
"$D" watch --json --count 2 --timeout 30 >"$WORK/watch.json" 2>&1 &
wpid=$!
for _ in $(seq 100); do
	grep -q '"present"' "$WORK/watch.json" 2>/dev/null && break
	sleep 0.05
done
kill -USR1 "$SMARTSIGN_EMU_PID"
sleep 1.5
# with the card out
"$D" readers --json --reader "$R1" >"$WORK/readers-empty.json"
check_json "readers: the pulled card is seen as gone" \
    "$WORK/readers-empty.json" "
d['readers'][0]['card'] is False and d['readers'][0]['state'] == 'empty'"
check_out "features of the empty reader (direct connection)" \
    "$WORK/features-empty.txt" "$D" features --reader "$R1"
check_rc "card with no card in the reader: exit 5" 5 "$D" card --reader "$R1"
kill -USR2 "$SMARTSIGN_EMU_PID"
wait "$wpid"
wrc=$?
[ "$wrc" -eq 0 ] && ok "watch --count 2 ends after two events" ||
    not_ok "watch --count 2 (exit $wrc)"
if python3 - "$WORK/watch.json" "$R1" <<'EOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
mine = [e['event'] for e in ev if e['reader'] == sys.argv[2]]
assert mine[0] == 'present', mine
assert mine[1:] == ['card-removed', 'card-inserted'], mine
assert all(e['time'][:2] == '20' for e in ev)
EOF
then
	ok "watch: present, card-removed, card-inserted (with timestamps)"
else
	not_ok "watch events"
	sed 's/^/#   /' "$WORK/watch.json"
fi
for _ in $(seq 100); do
	opensc-tool -l 2>/dev/null | grep -F "$R1" | grep -q '^[0-9]* *Yes' &&
	    break
	sleep 0.05
done
check_rc "watch --count 5 --timeout 1: too few events, exit 1" 1 \
    "$D" watch --count 5 --timeout 1
check_grep "watch human: the state at the start" "present +$R1" \
    "$WORK/rc.out"

# ---- selftest through the module
check_out "selftest --pin-fd" "$WORK/st.txt" \
    "$D" selftest --reader "$R1" --pin-fd 3 3<"$WORK/pin1"
check_grep "selftest: PASS" "^result: +PASS" "$WORK/st.txt"
check_grep "selftest: RSA key signed with PSS" \
    "sign, key 01, CKM_SHA256_RSA_PKCS_PSS .* ok" "$WORK/st.txt"
check_grep "selftest: 9C with its context login" \
    "sign, key 02, CKM_ECDSA \\(\\+ context login\\) .* ok" "$WORK/st.txt"
no_pin "selftest output has no PIN" "$WORK/st.txt"
check_out "selftest --json" "$WORK/st.json" \
    "$D" selftest --json --reader "$R1" --pin-fd 3 3<"$WORK/pin1"
check_json "selftest --json: every signing key signed and verified" \
    "$WORK/st.json" "
d['result'] == 'PASS' and all(s['ok'] for s in d['steps']) and
{k['id']: k['result'] for k in d['keys']} == {'01': 'signed and verified',
'02': 'signed and verified', '04': 'signed and verified',
'03': 'skipped: not a signing key (decrypt or key agreement only)'} and
[k['type'] for k in d['keys']] == ['RSA', 'EC', 'RSA', 'EC']"
# in use: a self-test waiting for its PIN holds the card through the module
mkfifo "$WORK/pinfifo"
"$D" selftest --reader "$R1" --pin-fd 3 3<>"$WORK/pinfifo" \
    >"$WORK/st-fifo.txt" 2>&1 &
spid=$!
for _ in $(seq 100); do
	grep -q "C_OpenSession" "$WORK/st-fifo.txt" 2>/dev/null && break
	sleep 0.05
done
"$D" readers --json --reader "$R1" >"$WORK/readers-inuse.json"
check_json "readers: in use while another process holds the card" \
    "$WORK/readers-inuse.json" "d['readers'][0]['in_use'] is True"
printf '%s\n' "$SMARTSIGN_PIN" >"$WORK/pinfifo"
wait "$spid"
src=$?
[ "$src" -eq 0 ] && ok "selftest: the PIN from a pipe" ||
    not_ok "selftest: the PIN from a pipe (exit $src)"
# the terminal prompt: no echo (the PIN typed must not come back)
if python3 - "$D" "$R1" "$SMARTSIGN_PIN" >"$WORK/tty.out" 2>&1 <<'EOF'
import os, pty, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], 'selftest', '--reader', sys.argv[2]])
out = b''
deadline = time.time() + 20
while b'PIN for' not in out and time.time() < deadline:
    out += os.read(fd, 4096)
time.sleep(0.2)
os.write(fd, sys.argv[3].encode() + b'\n')
while True:
    try:
        b = os.read(fd, 4096)
    except OSError:
        break
    if not b:
        break
    out += b
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors='replace'))
assert os.WEXITSTATUS(st) == 0, st
assert sys.argv[3].encode() not in out
assert b'PASS' in out
EOF
then
	ok "selftest: PIN asked on the terminal without echo"
else
	not_ok "selftest: PIN asked on the terminal without echo"
	sed 's/^/#   /' "$WORK/tty.out" | tail -n 20
fi
check_rc "selftest with a wrong PIN: exit 8" 8 \
    "$D" selftest --reader "$R2" --pin-fd 3 3<"$WORK/badpin"
check_grep "selftest: wrong PIN said" "wrong PIN" "$WORK/rc.out"
check_out "selftest on the expired card (signing still works)" \
    "$WORK/st2.txt" "$D" selftest --reader "$R2" --pin-fd 3 3<"$WORK/pin2"
no_pin "selftest output has no PIN (card 2)" "$WORK/st2.txt"
check_rc "selftest: a PIN on the command line is refused" 2 \
    "$D" selftest 123456
check_rc "selftest: --pin-fd of a closed descriptor" 2 \
    "$D" selftest --pin-fd 9

# ---- trace
mkdir -p "$WORK/tmp"
check_out "trace --pin-fd" "$WORK/trace.txt" env TMPDIR="$WORK/tmp" \
    "$D" trace --reader "$R2" --pin-fd 3 3<"$WORK/pin2"
check_grep "trace: SELECT of the PIV applet" "> 00A4040009A000000308" \
    "$WORK/trace.txt"
check_grep "trace: VERIFY header, data left out" \
    "> 0020008008 \\[data redacted\\]" "$WORK/trace.txt"
check_grep "trace: responses with timing" "< [0-9A-F]*9000 \\(success, [0-9]+ us\\)" \
    "$WORK/trace.txt"
check_grep "trace: GENERAL AUTHENTICATE (one extended APDU or chained)" "> [01]087[0-9A-F]{2}9[AC]" "$WORK/trace.txt"
no_pin "trace has no PIN (ASCII or hex)" "$WORK/trace.txt"
[ -z "$(ls -A "$WORK/tmp")" ] && ok "trace removed its log directory" ||
    not_ok "trace left $(ls "$WORK/tmp") behind"
check_out "trace --json" "$WORK/trace.json" \
    "$D" trace --json --reader "$R1" --pin-fd 3 3<"$WORK/pin1"
check_json "trace --json: APDUs under the login step" "$WORK/trace.json" "
any(l.startswith('> 0020008008') for s in d['steps']
if s['step'] == 'C_Login (user)' for l in s['apdus'])"
no_pin "trace --json has no PIN" "$WORK/trace.json"

# ---- report
cd "$WORK" || exit 1
check_out "report with the self-test" "$WORK/report.log" \
    "$D" report -o "$WORK/report.txt" --reader "$R2" --selftest \
    --pin-fd 3 3<"$WORK/pin2"
check_grep "report: doctor section" "^installation \\(doctor\\):" \
    "$WORK/report.txt"
check_grep "report: readers and card" "applet: +PIV" "$WORK/report.txt"
check_grep "report: certificates" "BEGIN CERTIFICATE" "$WORK/report.txt"
check_grep "report: expired certificate" "EXPIRED" "$WORK/report.txt"
check_grep "report: self-test passed" "result: +PASS" "$WORK/report.txt"
no_pin "report has no PIN (ASCII or hex)" "$WORK/report.txt"
[ "$(stat -c %a "$WORK/report.txt")" = 600 ] && ok "report is mode 0600" ||
    not_ok "report mode $(stat -c %a "$WORK/report.txt")"
check_rc "report refuses to overwrite" 9 "$D" report -o "$WORK/report.txt"
check_out "report --json" "$WORK/report.log" \
    "$D" report --json -o "$WORK/report.json"
check_json "report --json: every section" "$WORK/report.json" "
set(['system', 'doctor', 'readers', 'details']) <= set(d) and
d['details'][0]['card']['applet'] == 'PIV'"
no_pin "report --json has no PIN" "$WORK/report.json"

# ---- usage
check_rc "no command: exit 2" 2 "$D"
check_rc "unknown command: exit 2" 2 "$D" frobnicate
for c in readers atr features card watch selftest trace doctor report; do
	check_rc "$c --help" 0 "$D" "$c" --help
done
check_grep "help lists the exit codes" "Exit status" "$WORK/rc.out"

done_testing
