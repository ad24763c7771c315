# python3-pykcs11 (PyKCS11 1.5) drives smartsign-pkcs11.so:
# tests/tools/p11dump.py loads the module, logs in and asks every object for
# every CKA_* type PyKCS11 knows, one at a time and all at once, without an
# exception (only CKR_ATTRIBUTE_TYPE_INVALID / CKR_ATTRIBUTE_SENSITIVE are
# tolerated, per attribute).  The dump must show exactly the card's
# objects (certificate, public and private key for IDs 01..04; private keys
# only after login) with the right values: key types, CKA_MODULUS_BITS 2048,
# modulus and EC point equal to the certificates', CKA_ALWAYS_AUTHENTICATE
# only on 02, CKA_SENSITIVE true, CKA_EXTRACTABLE false, private parts
# CKR_ATTRIBUTE_SENSITIVE, certificate values equal to what OpenSC's own
# module reads from the card.  PyKCS11 then signs with 9A (PKCS#1, PSS), 9C
# (ECDSA after a context-specific C_Login) and 9E; openssl verifies.
# rig:
. "$(dirname "$0")/../lib.sh"

MOD=$BUILD/smartsign-pkcs11.so
OSC=/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so
PY=/usr/bin/python3	# Debian's python3 has PyKCS11; a pyenv one may not
DUMP=$TOP/tests/tools/p11dump.py
cd "$WORK" || exit 1

check_out "p11dump without login" dump0.txt $PY "$DUMP" "$MOD"
check_out "p11dump with login: every attribute of every object" dump.txt \
    $PY "$DUMP" "$MOD" "$SMARTSIGN_PIN"
check_grep "without login: 9 objects (certificates, public keys, 9E private key)" "^objects 9\$" dump0.txt
grep "^priv " dump0.txt | grep -qv "^priv 04 " &&
    not_ok "without login: no private key but 04 (9E, PIN policy never) is visible" ||
    ok "without login: no private key but 04 (9E, PIN policy never) is visible"
grep -q "^priv 04 CKA_PRIVATE False" dump0.txt &&
    ok "without login: priv 04 CKA_PRIVATE = False" ||
    not_ok "without login: priv 04 CKA_PRIVATE = False"
check_grep "with login: 12 objects" "^objects 12\$" dump.txt
grep -q "bulk-" dump.txt && { not_ok "the all-at-once call agrees with the single calls";
    grep "bulk-" dump.txt | sed 's/^/#   /'; } ||
    ok "the all-at-once call agrees with the single calls"
attr() { awk -v t="$1 $2" -v a="$3" '$1 " " $2 == t && $3 == a { $1 = $2 = $3 = ""; sub(/^ +/, ""); print }' dump.txt; }
expect() {	# class id attribute value
	got=$(attr "$1" "$2" "$3")
	[ "$got" = "$4" ] && ok "$1 $2 $3 = $4" ||
	    not_ok "$1 $2 $3 = $4 (got '$got')"
}
for id in 01 02 03 04; do
	expect cert $id CKA_CLASS "1 CKO_CERTIFICATE"
	expect pub $id CKA_CLASS "2 CKO_PUBLIC_KEY"
	expect priv $id CKA_CLASS "3 CKO_PRIVATE_KEY"
	expect cert $id CKA_CERTIFICATE_TYPE "0 CKC_X_509"
	expect cert $id CKA_PRIVATE False
	expect pub $id CKA_PRIVATE False
	# 9E (PIN policy "never") is usable without login: not private
	if [ $id = 04 ]; then expect priv $id CKA_PRIVATE False
	else expect priv $id CKA_PRIVATE True; fi
	expect priv $id CKA_TOKEN True
	expect priv $id CKA_SENSITIVE True
	expect priv $id CKA_ALWAYS_SENSITIVE True
	expect priv $id CKA_EXTRACTABLE False
	expect priv $id CKA_NEVER_EXTRACTABLE True
	expect priv $id CKA_MODIFIABLE False
done
for id in 01 03; do
	expect priv $id CKA_KEY_TYPE "0 CKK_RSA"
	expect pub $id CKA_KEY_TYPE "0 CKK_RSA"
	expect priv $id CKA_MODULUS_BITS 2048
	expect pub $id CKA_MODULUS_BITS 2048
	expect pub $id CKA_PUBLIC_EXPONENT 010001
	expect priv $id CKA_PRIVATE_EXPONENT "!CKR_ATTRIBUTE_SENSITIVE"
	expect priv $id CKA_PRIME_1 "!CKR_ATTRIBUTE_SENSITIVE"
done
for id in 02 04; do
	expect priv $id CKA_KEY_TYPE "3 CKK_EC"
	expect pub $id CKA_KEY_TYPE "3 CKK_EC"
	expect priv $id CKA_EC_PARAMS 06082a8648ce3d030107
	expect pub $id CKA_EC_PARAMS 06082a8648ce3d030107
	expect priv $id CKA_VALUE "!CKR_ATTRIBUTE_SENSITIVE"
done
expect priv 02 CKA_ALWAYS_AUTHENTICATE True
for id in 01 03 04; do expect priv $id CKA_ALWAYS_AUTHENTICATE False; done
expect priv 01 CKA_SIGN True
expect priv 02 CKA_SIGN True
expect priv 04 CKA_SIGN True
expect priv 03 CKA_SIGN False
expect priv 03 CKA_DECRYPT True
expect cert 01 CKA_LABEL "'X.509 Certificate for PIV Authentication'"
expect priv 01 CKA_LABEL "'PIV AUTH key'"
expect priv 02 CKA_LABEL "'SIGN key'"
expect cert 04 CKA_LABEL "'X.509 Certificate for Card Authentication'"

# values against the card as OpenSC's module reads it
for id in 01 02 03 04; do
	pkcs11-tool --module "$OSC" --read-object --type cert --id $id \
	    -o osc$id.der >/dev/null 2>&1
	openssl x509 -inform DER -in osc$id.der -pubkey -noout > pub$id.pem 2>/dev/null
	expect cert $id CKA_VALUE "$(xxd -p osc$id.der | tr -d '\n')"
	subj=$(attr cert $id CKA_SUBJECT)
	case "$(xxd -p osc$id.der | tr -d '\n')" in
	*"$subj"*) [ -n "$subj" ] && ok "cert $id CKA_SUBJECT is the certificate's subject" ||
	    not_ok "cert $id CKA_SUBJECT is empty" ;;
	*) not_ok "cert $id CKA_SUBJECT '$subj' is not in the certificate" ;;
	esac
	expect priv $id CKA_SUBJECT "$subj"
	spki=$(openssl pkey -pubin -in pub$id.pem -outform DER | xxd -p | tr -d '\n')
	expect pub $id CKA_PUBLIC_KEY_INFO "$spki"
done
for id in 01 03; do
	m=$(openssl x509 -inform DER -in osc$id.der -noout -modulus | sed 's/^Modulus=//' | tr A-F a-f)
	expect pub $id CKA_MODULUS "$m"
	expect priv $id CKA_MODULUS "$m"
done
for id in 02 04; do
	pt=$(openssl pkey -pubin -in pub$id.pem -outform DER | tail -c 65 | xxd -p | tr -d '\n')
	expect pub $id CKA_EC_POINT "0441$pt"
done

# ---- signing through PyKCS11 ----------------------------------------------------
head -c 2000 /dev/urandom > data
cat > sign.py <<'EOF'
import sys
import PyKCS11
from PyKCS11 import LowLevel

def der_ecdsa(raw):
    """r||s (PKCS#11) to the DER SEQUENCE openssl expects."""
    def integer(b):
        b = b.lstrip(b"\0") or b"\0"
        if b[0] & 0x80:
            b = b"\0" + b
        return b"\x02" + bytes([len(b)]) + b
    h = len(raw) // 2
    body = integer(raw[:h]) + integer(raw[h:])
    return b"\x30" + bytes([len(body)]) + body

def sign(s, key, data, mech, ctx_pin=None):
    """C_SignInit, C_Login(CKU_CONTEXT_SPECIFIC) when asked, C_Sign."""
    rv = s.lib.C_SignInit(s.session, mech.to_native(), key)
    if rv != PyKCS11.CKR_OK:
        raise PyKCS11.PyKCS11Error(rv)
    if ctx_pin is not None:
        s.login(ctx_pin, PyKCS11.CKU_CONTEXT_SPECIFIC)
    sig, d = PyKCS11.ckbytelist(), PyKCS11.ckbytelist(data)
    for _ in range(2):	# size, then signature
        rv = s.lib.C_Sign(s.session, d, sig)
        if rv != PyKCS11.CKR_OK:
            raise PyKCS11.PyKCS11Error(rv)
    return bytes(sig)

lib = PyKCS11.PyKCS11Lib()
lib.load(sys.argv[1])
pin = sys.argv[2]
s = lib.openSession(lib.getSlotList(tokenPresent=True)[0], PyKCS11.CKF_SERIAL_SESSION)
s.login(pin)
def key(i):
    return s.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_PRIVATE_KEY),
                          (PyKCS11.CKA_ID, [i])])[0]
data = open("data", "rb").read()
M = PyKCS11.Mechanism
out = {
    "01.pkcs1": sign(s, key(1), data, M(PyKCS11.CKM_SHA256_RSA_PKCS)),
    "01.pss": sign(s, key(1), data, PyKCS11.RSA_PSS_Mechanism(
        PyKCS11.CKM_SHA256_RSA_PKCS_PSS, PyKCS11.CKM_SHA256,
        PyKCS11.CKG_MGF1_SHA256, 32)),
    "02.ecdsa": der_ecdsa(sign(s, key(2), data, M(PyKCS11.CKM_ECDSA_SHA256), pin)),
    "04.ecdsa": der_ecdsa(sign(s, key(4), data, M(PyKCS11.CKM_ECDSA_SHA256))),
}
try:	# 9C without the context-specific login must be refused
    sign(s, key(2), data, M(PyKCS11.CKM_ECDSA_SHA256))
    print("9C signed without context login")
except PyKCS11.PyKCS11Error as e:
    print("9C without context login: %s" % PyKCS11.CKR[e.value])
for k, v in out.items():
    open("sig." + k, "wb").write(v)
    print("signed", k, len(v))
s.logout()
s.closeSession()
EOF
check_out "PyKCS11 signs with 9A, 9C (context login) and 9E" sign.txt \
    $PY sign.py "$MOD" "$SMARTSIGN_PIN"
check "9A SHA256-RSA-PKCS (PyKCS11) verifies with openssl" \
    openssl dgst -sha256 -verify pub01.pem -signature sig.01.pkcs1 data
check "9A SHA256-RSA-PKCS-PSS (PyKCS11) verifies with openssl" \
    openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 \
    -sigopt rsa_mgf1_md:sha256 -verify pub01.pem -signature sig.01.pss data
check "9C ECDSA-SHA256 (PyKCS11, context login) verifies with openssl" \
    openssl dgst -sha256 -verify pub02.pem -signature sig.02.ecdsa data
check "9E ECDSA-SHA256 (PyKCS11) verifies with openssl" \
    openssl dgst -sha256 -verify pub04.pem -signature sig.04.ecdsa data
check_grep "9C without the context-specific login: CKR_USER_NOT_LOGGED_IN" \
    "^9C without context login: CKR_USER_NOT_LOGGED_IN\$" sign.txt
done_testing
