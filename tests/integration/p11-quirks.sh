# Cards that do not behave like our emulator's default: the emulator's
# --quirk options, each in an emulator of its own on the rig's card, with
# smartsign-pkcs11.so driven by python3-PyKCS11 (a fresh process per step).
# - plain card (no quirk): RSA-2048 signatures with 9A take 1 APDU each
#   (one extended GENERAL AUTHENTICATE), 9C signatures 2 (VERIFY + GA);
# - short-only (the ATR announces extended APDUs, the card answers 6700 to
#   them): 9A and 9C signatures verify, and the module falls back once per
#   process: exactly one APDU more than the same process with
#   SMARTSIGN_APDU=short, one GET DATA more, the same GENERAL
#   AUTHENTICATEs (so not one refused extended APDU per signature);
# - le-exact (6Cxx for an inexact short Le): signatures verify, with the
#   module's default and with SMARTSIGN_APDU=short;
# - odd-6a80 (GENERAL AUTHENTICATE data ending in an odd byte answers
#   6A80): C_Sign returns CKR_DATA_INVALID for 9A and for 9C (the card
#   rejects the data to be signed: PKCS#11's "plaintext input data ...
#   invalid"), the next signature in the same session without the fault
#   works and verifies, the emulator keeps running.
# Every signature made is verified with openssl against the card's
# certificate (read with OpenSC from a card without quirks).
# rig: --no-card
. "$(dirname "$0")/../lib.sh"

MOD=$BUILD/smartsign-pkcs11.so
OSC=/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so
PY=/usr/bin/python3	# Debian's python3 has PyKCS11
EMU=$BUILD/smartsign-emu
READER=$SMARTSIGN_READER
cd "$WORK" || exit 1

EMU_PID=""
trap '[ -n "$EMU_PID" ] && kill "$EMU_PID" 2>/dev/null' EXIT

card_state() {	# Yes / No: is a card in our reader?
	opensc-tool -l 2>/dev/null | grep -F "$READER" | awk '{ print $2 }'
}
wait_state() {
	for _ in $(seq 200); do
		[ "$(card_state)" = "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
emu_start() {	# name [run options...]: counters in cnt.NAME
	ename=$1; shift
	rm -f "cnt.$ename"
	"$EMU" run --quiet --counters "$WORK/cnt.$ename" "$@" \
	    "$SMARTSIGN_CARD@$SMARTSIGN_EMU_PORT" 2>"emu.$ename.log" &
	EMU_PID=$!
	wait_state Yes || echo "# no card after starting the $ename emulator"
}
emu_stop() {
	if kill -0 "$EMU_PID" 2>/dev/null; then
		ok "the $ename emulator is still running"
	else
		not_ok "the $ename emulator is still running"
	fi
	kill "$EMU_PID" 2>/dev/null
	wait "$EMU_PID" 2>/dev/null
	EMU_PID=""
	wait_state No || echo "# the card did not go away"
}

cat > sign.py <<'PYEOF'
# sign.py MODULE PIN COUNTERS MODE: one process, counts from COUNTERS
#   plain: 3 signatures with 9A (CKM_SHA256_RSA_PKCS), 2 with 9C
#          (CKM_ECDSA_SHA256); prints "9a N" / "9c N" APDUs per signature
#   odd:   9A and 9C first with data whose SHA-256 ends in an odd byte,
#          then with data whose SHA-256 ends in an even byte; prints the
#          CKR_* of each attempt
import hashlib, sys
import PyKCS11
from PyKCS11.LowLevel import CKF_SERIAL_SESSION, CKF_RW_SESSION

mod, pin, counters, mode = sys.argv[1:5]

def apdus():
    for line in open(counters):
        k, v = line.split()
        if k == "apdus":
            return int(v)
    return 0

def data_with(parity, tag):
    i = 0
    while True:
        d = b"quirk test %s %d" % (tag.encode(), i)
        if hashlib.sha256(d).digest()[-1] % 2 == parity:
            return d
        i += 1

lib = PyKCS11.PyKCS11Lib()
lib.load(mod)
slot = lib.getSlotList(tokenPresent=True)[0]
s = lib.openSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION)
s.login(pin)

def key(kid):
    return s.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_PRIVATE_KEY),
                          (PyKCS11.CKA_ID, (kid,))])[0]

k9a, k9c = key(1), key(2)
rsa = PyKCS11.Mechanism(PyKCS11.CKM_SHA256_RSA_PKCS, None)
ec = PyKCS11.Mechanism(PyKCS11.CKM_ECDSA_SHA256, None)

def sign(k, m, data, ctx_pin=None):
    # 9C (CKA_ALWAYS_AUTHENTICATE): C_SignInit, C_Login(CONTEXT_SPECIFIC),
    # C_Sign twice (length, then the signature)
    rv = s.lib.C_SignInit(s.session, m.to_native(), k)
    if rv != PyKCS11.CKR_OK:
        raise PyKCS11.PyKCS11Error(rv)
    if ctx_pin is not None:
        s.login(ctx_pin, PyKCS11.CKU_CONTEXT_SPECIFIC)
    sig, d = PyKCS11.ckbytelist(), PyKCS11.ckbytelist(data)
    for _ in range(2):
        rv = s.lib.C_Sign(s.session, d, sig)
        if rv != PyKCS11.CKR_OK:
            raise PyKCS11.PyKCS11Error(rv)
    return bytes(sig)

def sign9c(data):
    return sign(k9c, ec, data, pin)

def attempt(name, fn):
    try:
        return "CKR_OK", fn()
    except PyKCS11.PyKCS11Error as e:
        return PyKCS11.CKR[e.value], None

if mode == "plain":
    for i in range(3):
        d = data_with(i % 2, "9a%d" % i)
        a0 = apdus()
        sig = sign(k9a, rsa, d)
        print("9a %d" % (apdus() - a0))
        open("data.9a.%d" % i, "wb").write(d)
        open("sig.9a.%d" % i, "wb").write(sig)
    for i in range(2):
        d = data_with(i % 2, "9c%d" % i)
        a0 = apdus()
        sig = sign9c(d)
        print("9c %d" % (apdus() - a0))
        open("data.9c.%d" % i, "wb").write(d)
        open("sig.9c.%d" % i, "wb").write(sig)
elif mode == "odd":
    for parity in (1, 0):
        d = data_with(parity, "odd9a")
        rv, sig = attempt("9a", lambda: sign(k9a, rsa, d))
        print("9a parity %d %s" % (parity, rv))
        if sig:
            open("data.odd9a", "wb").write(d)
            open("sig.odd9a", "wb").write(sig)
        d = data_with(parity, "odd9c")
        rv, sig = attempt("9c", lambda: sign9c(d))
        print("9c parity %d %s" % (parity, rv))
        if sig:
            open("data.odd9c", "wb").write(d)
            open("sig.odd9c", "wb").write(sig)
s.logout()
s.closeSession()
PYEOF
cat > der.py <<'PYEOF'
import sys
raw = open(sys.argv[1], "rb").read()
def integer(b):
    b = b.lstrip(b"\0") or b"\0"
    return b"\x02" + bytes([len(b) + (b[0] >> 7)]) + (b"\0" if b[0] & 0x80 else b"") + b
h = len(raw) // 2
body = integer(raw[:h]) + integer(raw[h:])
sys.stdout.buffer.write(b"\x30" + bytes([len(body)]) + body)
PYEOF

verify_plain() {	# label
	for i in 0 1 2; do
		check "$1: 9A signature $i verifies with openssl" \
		    openssl dgst -sha256 -verify pub01.pem -signature sig.9a.$i data.9a.$i
	done
	for i in 0 1; do
		$PY der.py sig.9c.$i > sig.9c.$i.der
		check "$1: 9C signature $i verifies with openssl" \
		    openssl dgst -sha256 -verify pub02.pem -signature sig.9c.$i.der data.9c.$i
	done
	rm -f sig.9a.* sig.9c.*
}
run_plain() {	# label counters [env...]: sign.py plain into plain.LABEL
	label=$1 cnt=$2; shift 2
	check_out "$label: 3 9A and 2 9C signatures" "plain.$label" \
	    env "$@" $PY sign.py "$MOD" "$SMARTSIGN_PIN" "$cnt" plain
}

# ---- plain card: the certificates, 1 APDU per RSA-2048 signature ------------
emu_start plain
for id in 01 02; do
	pkcs11-tool --module "$OSC" --read-object --type cert --id $id \
	    -o cert$id.der >/dev/null 2>&1
	openssl x509 -inform DER -in cert$id.der -pubkey -noout > pub$id.pem 2>/dev/null
done
check_grep "the 9A certificate read with OpenSC" "BEGIN PUBLIC KEY" pub01.pem
run_plain plain "$WORK/cnt.plain"
n9a=$(awk '$1 == "9a" && $2 == 1 { n++ } END { print n + 0 }' plain.plain)
n9c=$(awk '$1 == "9c" && $2 == 2 { n++ } END { print n + 0 }' plain.plain)
[ "$n9a" -eq 3 ] && ok "plain card: 1 APDU per RSA-2048 signature with 9A" ||
    not_ok "plain card: 1 APDU per RSA-2048 signature with 9A (got $(awk '$1 == "9a" { printf "%s ", $2 }' plain.plain))"
[ "$n9c" -eq 2 ] && ok "plain card: 2 APDUs per 9C signature (VERIFY + GA)" ||
    not_ok "plain card: 2 APDUs per 9C signature (got $(awk '$1 == "9c" { printf "%s ", $2 }' plain.plain))"
verify_plain "plain"
emu_stop

# ---- short-only: one fallback per process --------------------------------------
emu_start short-only --quirk short-only
c=$WORK/cnt.short-only
a0=$(counter apdus "$c"); g0=$(counter ins_CB "$c"); ga0=$(counter ins_87 "$c")
run_plain short-only-forced "$c" SMARTSIGN_APDU=short
a1=$(counter apdus "$c"); g1=$(counter ins_CB "$c"); ga1=$(counter ins_87 "$c")
verify_plain "short-only, SMARTSIGN_APDU=short"
run_plain short-only-default "$c"
a2=$(counter apdus "$c"); g2=$(counter ins_CB "$c"); ga2=$(counter ins_87 "$c")
verify_plain "short-only, default (falls back)"
short=$((a1 - a0)) dflt=$((a2 - a1))
echo "# short-only card: $short APDUs with SMARTSIGN_APDU=short, $dflt with the default"
[ "$dflt" -eq $((short + 1)) ] &&
    ok "short-only: the default costs exactly one APDU more (one refused extended APDU)" ||
    not_ok "short-only: the default costs exactly one APDU more ($dflt vs $short)"
[ $((g2 - g1)) -eq $((g1 - g0 + 1)) ] &&
    ok "short-only: the refused one was the first object read (one GET DATA more)" ||
    not_ok "short-only: one GET DATA more ($((g2 - g1)) vs $((g1 - g0)))"
[ $((ga2 - ga1)) -eq $((ga1 - ga0)) ] && [ $((ga1 - ga0)) -eq 8 ] &&
    ok "short-only: GENERAL AUTHENTICATEs as short (3 x 2 chained + 2), none refused" ||
    not_ok "short-only: GENERAL AUTHENTICATEs $((ga2 - ga1)) vs $((ga1 - ga0)) (want 8 each)"
emu_stop

# ---- le-exact: 6Cxx ---------------------------------------------------------------
emu_start le-exact --quirk le-exact
c=$WORK/cnt.le-exact
s0=$(counter ins_A4 "$c")
run_plain le-exact "$c"
s1=$(counter ins_A4 "$c")
verify_plain "le-exact, default"
[ $((s1 - s0)) -ge 2 ] && ok "le-exact: SELECT answered 6Cxx and was sent again" ||
    not_ok "le-exact: SELECT sent $((s1 - s0)) times (want 2: 6Cxx, then the exact Le)"
run_plain le-exact-short "$c" SMARTSIGN_APDU=short
verify_plain "le-exact, SMARTSIGN_APDU=short"
emu_stop

# ---- odd-6a80: the card rejects the data ------------------------------------------
emu_start odd-6a80 --quirk odd-6a80
check_out "odd-6a80: signatures with rejected and accepted data" odd.txt \
    $PY sign.py "$MOD" "$SMARTSIGN_PIN" "$WORK/cnt.odd-6a80" odd
check_grep "odd-6a80: 9A, data the card rejects: CKR_DATA_INVALID" "^9a parity 1 CKR_DATA_INVALID$" odd.txt
check_grep "odd-6a80: 9C, data the card rejects: CKR_DATA_INVALID" "^9c parity 1 CKR_DATA_INVALID$" odd.txt
check_grep "odd-6a80: the next 9A signature works" "^9a parity 0 CKR_OK$" odd.txt
check_grep "odd-6a80: the next 9C signature works" "^9c parity 0 CKR_OK$" odd.txt
check "odd-6a80: the 9A signature verifies with openssl" \
    openssl dgst -sha256 -verify pub01.pem -signature sig.odd9a data.odd9a
$PY der.py sig.odd9c > sig.odd9c.der 2>/dev/null
check "odd-6a80: the 9C signature verifies with openssl" \
    openssl dgst -sha256 -verify pub02.pem -signature sig.odd9c.der data.odd9c
emu_stop
done_testing
