# Decryption, key agreement and EdDSA through smartsign-pkcs11.so and pcscd,
# driven by pkcs11-tool (and PyKCS11 for X25519, which pkcs11-tool 0.23
# cannot read a peer key for): RSA-PKCS, RSA-X-509 and RSA-PKCS-OAEP with
# every hash / MGF1 pair on 9D, ciphertexts from openssl pkeyutl against
# the certificate's key; a bad ciphertext refused with
# CKR_ENCRYPTED_DATA_INVALID; ECDH on P-256 and P-384 (raw point and
# --derive-pass-der, both mechanisms) and X25519 compared with
# openssl pkeyutl -derive; Ed25519 signatures verified with openssl.
# rig: --card "--key 9a=ed25519 --key 82=p256 --key 83=p384 --key 84=x25519"
. "$(dirname "$0")/../lib.sh"

MOD=$BUILD/smartsign-pkcs11.so
PY=/usr/bin/python3	# Debian's python3 has PyKCS11
PIN=$SMARTSIGN_PIN
p11() { pkcs11-tool --module "$MOD" "$@"; }
cd "$WORK" || exit 1

check_out "pkcs11-tool lists the mechanisms" M.txt p11 -M
check_grep "RSA-PKCS offers decryption" "^ *RSA-PKCS,.*decrypt" M.txt
check_grep "RSA-PKCS-OAEP offered for decryption" \
    "^ *RSA-PKCS-OAEP,.*hw, decrypt" M.txt
check_grep "ECDH1-DERIVE offered" "^ *ECDH1-DERIVE,.*hw, derive" M.txt
check_grep "ECDH1-COFACTOR-DERIVE offered" \
    "^ *ECDH1-COFACTOR-DERIVE,.*derive" M.txt
check_grep "EDDSA offered" "^ *EDDSA,.*sign" M.txt

# the keys, from the certificates on the card
for id in 01 03 05 06 07; do
	p11 --read-object --type cert --id $id -o cert$id.der >/dev/null 2>&1
	openssl x509 -inform DER -in cert$id.der -out cert$id.pem 2>/dev/null
	openssl x509 -in cert$id.pem -pubkey -noout >pub$id.pem 2>/dev/null
	check "certificate $id chains to the test CA" \
	    openssl verify -CAfile "$SMARTSIGN_CA" cert$id.pem
done
check_out "pkcs11-tool -O lists Ed25519 and X25519 keys" O.txt \
    p11 -O -l -p "$PIN"
check_grep "Ed25519 key as EC_EDWARDS" "Private Key Object; EC_EDWARDS" O.txt
check_grep "X25519 key as EC_MONTGOMERY" "Private Key Object; EC_MONTGOMERY" \
    O.txt
check_grep "CKA_EC_PARAMS: PrintableString \"edwards25519\"" \
    "EC_PARAMS: +130c656477617264733235353139" O.txt

# ---- RSA decryption (9D) ----
k0=$(counter keyops)
head -c 100 /dev/urandom >secret
openssl pkeyutl -encrypt -pubin -inkey pub03.pem -in secret -out pkcs.enc
check "RSA-PKCS decryption" p11 --decrypt --id 03 -m RSA-PKCS -p "$PIN" \
    -i pkcs.enc -o pkcs.dec
check "RSA-PKCS gives back the plaintext" cmp secret pkcs.dec

{ printf '\000'; head -c 255 /dev/urandom; } >block
openssl pkeyutl -encrypt -pubin -inkey pub03.pem \
    -pkeyopt rsa_padding_mode:none -in block -out raw.enc
check "RSA-X-509 decryption" p11 --decrypt --id 03 -m RSA-X-509 -p "$PIN" \
    -i raw.enc -o raw.dec
check "RSA-X-509 gives back the whole block" cmp block raw.dec

# openssl and pkcs11-tool spell the hashes differently
p11hash() {
	case $1 in sha1) echo SHA-1 ;; *) echo "$1" | tr a-z A-Z ;; esac
}
oaep_case() {	# hash mgf-hash
	rm -f oaep.enc oaep.dec
	openssl pkeyutl -encrypt -pubin -inkey pub03.pem \
	    -pkeyopt rsa_padding_mode:oaep -pkeyopt "rsa_oaep_md:$1" \
	    -pkeyopt "rsa_mgf1_md:$2" -in secret32 -out oaep.enc &&
	p11 --decrypt --id 03 -m RSA-PKCS-OAEP \
	    --hash-algorithm "$(p11hash "$1")" \
	    --mgf "MGF1-$(echo "$2" | tr a-z A-Z)" -p "$PIN" -i oaep.enc \
	    -o oaep.dec && cmp secret32 oaep.dec
}
head -c 32 /dev/urandom >secret32
for h in sha1 sha224 sha256 sha384 sha512; do
	for g in sha1 sha224 sha256 sha384 sha512; do
		check "RSA-PKCS-OAEP hash $h, MGF1-$g" oaep_case $h $g
	done
done

# with the debug log on, neither the plaintext nor the raw block is logged
hexof() { od -An -tx1 "$1" | tr -d ' \n' | tr a-f A-F | cut -c1-32; }
check "RSA-PKCS decryption with SMARTSIGN_DEBUG" env \
    SMARTSIGN_DEBUG="$WORK/debug.log" pkcs11-tool --module "$MOD" \
    --decrypt --id 03 -m RSA-PKCS -p "$PIN" -i pkcs.enc -o pkcs.dec2
check_grep "... the APDUs are in the log" "C_Decrypt" "$WORK/debug.log"
grep -qi "$(hexof secret)" debug.log && not_ok "... the plaintext is not" ||
    ok "... the plaintext is not"

# a ciphertext that does not decrypt to PKCS#1 v1.5 padding
{ printf '\000'; head -c 255 /dev/urandom; } >junk
check_fail "a ciphertext with bad padding is refused" p11 --decrypt --id 03 \
    -m RSA-PKCS -p "$PIN" -i junk -o junk.dec
check_grep "... with CKR_ENCRYPTED_DATA_INVALID" "CKR_ENCRYPTED_DATA_INVALID" \
    "$WORK/check.$T_N.log"
# 29 decryptions; pkcs11-tool tries the bad one twice (C_Decrypt, then
# C_DecryptUpdate/Final)
k1=$(counter keyops)
[ $((k1 - k0)) -eq 30 ] && ok "one card operation per decryption (30)" ||
    not_ok "one card operation per decryption (saw $((k1 - k0)), want 30)"

# ---- ECDH (P-256 in 82, P-384 in 83) ----
ecdh_case() {	# id curve mech [--derive-pass-der]
	rm -f peer.key peer.der shared.bin ref.bin
	openssl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:$2" \
	    -out peer.key &&
	openssl pkey -in peer.key -pubout -outform DER -out peer.der &&
	p11 --derive --id "$1" -m "$3" ${4:-} -i peer.der -o shared.bin \
	    -p "$PIN" &&
	openssl pkeyutl -derive -inkey peer.key -peerkey "pub$1.pem" \
	    -out ref.bin && cmp shared.bin ref.bin
}
for c in "05 P-256" "06 P-384"; do
	set -- $c
	check "ECDH1-DERIVE on $2 matches openssl" ecdh_case $1 $2 ECDH1-DERIVE
	check "ECDH1-DERIVE on $2, DER-wrapped point" ecdh_case $1 $2 \
	    ECDH1-DERIVE --derive-pass-der
	check "ECDH1-COFACTOR-DERIVE on $2 matches openssl" ecdh_case $1 $2 \
	    ECDH1-COFACTOR-DERIVE
done
check "ECDH with SMARTSIGN_DEBUG" env SMARTSIGN_DEBUG="$WORK/debug2.log" \
    pkcs11-tool --module "$MOD" --derive --id 06 -m ECDH1-DERIVE \
    -i peer.der -o shared2.bin -p "$PIN"
check "... the same secret" cmp shared2.bin ref.bin
grep -qi "$(hexof shared2.bin)" debug2.log &&
    not_ok "... the shared secret is not in the log" ||
    ok "... the shared secret is not in the log"
check_fail "RSA key refused for ECDH" p11 --derive --id 03 -m ECDH1-DERIVE \
    -i peer.der -o shared.bin -p "$PIN"

# ---- X25519 (84) with PyKCS11 ----
cat >x25519.py <<'EOF'
import sys
import PyKCS11 as P
lib = P.PyKCS11Lib()
lib.load(sys.argv[1])
s = lib.openSession(lib.getSlotList(tokenPresent=True)[0])
s.login(sys.argv[2])
key = s.findObjects([(P.CKA_CLASS, P.CKO_PRIVATE_KEY), (P.CKA_ID, (7,))])[0]
peer = open(sys.argv[3], "rb").read()[-32:]  # the SPKI ends with u
tpl = [(P.CKA_CLASS, P.CKO_SECRET_KEY), (P.CKA_KEY_TYPE, P.CKK_GENERIC_SECRET),
       (P.CKA_TOKEN, False), (P.CKA_SENSITIVE, False),
       (P.CKA_EXTRACTABLE, True)]
k = s.deriveKey(key, tpl, P.ECDH1_DERIVE_Mechanism(bytes(peer)))
val = s.getAttributeValue(k, [P.CKA_VALUE])[0]
open(sys.argv[4], "wb").write(bytes(val))
s.destroyObject(k)
s.logout()
EOF
x25519_case() {
	rm -f xpeer.key xpeer.der xshared.bin xref.bin
	openssl genpkey -algorithm X25519 -out xpeer.key &&
	openssl pkey -in xpeer.key -pubout -outform DER -out xpeer.der &&
	$PY x25519.py "$MOD" "$PIN" xpeer.der xshared.bin &&
	openssl pkeyutl -derive -inkey xpeer.key -peerkey pub07.pem \
	    -out xref.bin && cmp xshared.bin xref.bin
}
check "X25519 key agreement matches openssl" x25519_case

# ---- Ed25519 (9A) ----
eddsa_case() {	# bytes
	rm -f msg sig.ed
	head -c "$1" /dev/urandom >msg &&
	p11 --sign --id 01 -m EDDSA -p "$PIN" -i msg -o sig.ed &&
	[ "$(wc -c <sig.ed)" -eq 64 ] &&
	openssl pkeyutl -verify -pubin -inkey pub01.pem -rawin -in msg \
	    -sigfile sig.ed
}
for n in 1 64 1000; do
	check "EDDSA signature of $n bytes verifies with openssl" eddsa_case $n
done
done_testing
