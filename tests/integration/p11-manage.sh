# Card management through smartsign-pkcs11.so with OpenSC's pkcs11-tool,
# through the real stack (pcscd + vpcd + emulated card): PIN change,
# PIN unblock with the PUK (--unlock-pin, and --init-pin with the SO
# logged in with the PUK), PUK change, the SO login with the management
# key, key generation of every type in several key references
# (rsa:2048/3072/4096, EC:secp256r1/secp384r1), certificates issued for
# the generated keys by the test CA and written back (--write-object),
# deleted (--delete-object); signatures with the generated keys verified
# with openssl against those certificates; then yubico-piv-tool and
# OpenSC's own module still read the card.  The emulator's counters show
# that no VERIFY is sent that pkcs11-tool did not ask for.
# Conventions: README "Card management through PKCS#11".
# rig: --card "" --card "--mgmt-alg aes256 --mgmt-key 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
. "$(dirname "$0")/../lib.sh"

MOD=$BUILD/smartsign-pkcs11.so
OSC=/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so
PIN=$SMARTSIGN_PIN
PUK=$SMARTSIGN_PUK
KEY=$SMARTSIGN_MGMT_KEY
p11() { pkcs11-tool --module "$MOD" "$@"; }
so() { p11 --login --login-type so --so-pin "$KEY" "$@"; }
cd "$WORK" || exit 1

# ---- PIN and PUK ---------------------------------------------------------
v0=$(counter verify)
check "--change-pin, logged in with the old PIN" \
    p11 --change-pin --pin "$PIN" --new-pin 24681357
[ $(($(counter verify) - v0)) -eq 1 ] &&
    ok "--change-pin: one VERIFY (pkcs11-tool's login), none of ours" ||
    not_ok "--change-pin sent $(($(counter verify) - v0)) VERIFYs"
check "the new PIN logs in" p11 --login --pin 24681357 --list-objects
check_fail "the old PIN does not" p11 --login --pin "$PIN" --list-objects
check "--change-pin back, not logged in (old PIN as C_SetPIN's old)" \
    p11 --change-pin --so-pin 24681357 --new-pin "$PIN"
check "the PIN logs in again" p11 --login --pin "$PIN" --list-objects

for i in 1 2 3; do p11 --login --pin 000000 --list-objects >/dev/null 2>&1; done
p11 -T > locked.txt 2>&1
check_grep "three wrong PINs: the token says the PIN is locked" \
    "user PIN locked" locked.txt
check_fail "a blocked PIN does not log in" p11 --login --pin "$PIN" -O
v0=$(counter verify) r0=$(counter ins_2C)
check "--unlock-pin --puk --new-pin" \
    p11 --unlock-pin --puk "$PUK" --new-pin 13572468
[ "$(counter verify)" -eq "$v0" ] && [ $(($(counter ins_2C) - r0)) -eq 1 ] &&
    ok "--unlock-pin: one RESET RETRY COUNTER, no VERIFY" ||
    not_ok "--unlock-pin: $(($(counter verify) - v0)) VERIFY, $(($(counter ins_2C) - r0)) 2C"
p11 -T > unlocked.txt 2>&1
check_fail "the PIN is no longer locked" grep -q "user PIN locked" unlocked.txt
check "the new PIN logs in" p11 --login --pin 13572468 -O
check_fail "--unlock-pin with a wrong PUK fails" \
    p11 --unlock-pin --puk 99999999 --new-pin "$PIN"

v0=$(counter verify)
check "--init-pin with the SO logged in with the PUK" \
    p11 --login --init-pin --so-pin "$PUK" --new-pin "$PIN"
[ "$(counter verify)" -eq "$v0" ] && ok "--init-pin: no VERIFY" ||
    not_ok "--init-pin sent $(($(counter verify) - v0)) VERIFYs"
check "the PIN set by --init-pin logs in" p11 --login --pin "$PIN" -O
check_fail "--init-pin with the management key alone is refused" \
    so --init-pin --new-pin 11111111
check "--change-pin with the SO (PUK) changes the PUK" \
    p11 --login --login-type so --so-pin "$PUK" --change-pin \
    --new-pin 87654321
check "the new PUK unblocks (--init-pin)" \
    p11 --login --init-pin --so-pin 87654321 --new-pin "$PIN"
check "and changes back" p11 --login --login-type so --so-pin 87654321 \
    --change-pin --new-pin "$PUK"

# ---- the management key ----------------------------------------------------
check "SO login with the management key" so --session-rw --list-objects
check_fail "SO login with a wrong management key is refused" \
    p11 --login --login-type so --session-rw \
    --so-pin 0102030405060708010203040506070801020304050607FF -O
check_fail "SO login in a read-only session is refused" so --list-objects
check_fail "key generation without the SO is refused" \
    p11 --login --pin "$PIN" --keypairgen --key-type EC:secp256r1 --id 01
check_fail "key generation in a read-only session is refused" \
    p11 --keypairgen --key-type EC:secp256r1 --id 01

# the second card's management key is AES-256 (the algorithm from its length)
AES=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
check "SO login with an AES-256 management key (card 2)" \
    p11 --slot-index 1 --login --login-type so --so-pin "$AES" \
    --session-rw -O
check_fail "the AES-256 key is wrong for card 1 (3DES)" \
    p11 --slot-index 0 --login --login-type so --so-pin "$AES" \
    --session-rw -O
check "card 2 generates a P-256 key in 9A" p11 --slot-index 1 \
    --login --login-type so --so-pin "$AES" --keypairgen \
    --key-type EC:secp256r1 --id 01

# key import is a YubiKey extension: refused on this card, nothing sent
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out imp.key \
    2>/dev/null
i0=$(counter ins_FE)
check_fail "--write-object --type privkey is refused (not a YubiKey)" \
    so --write-object imp.key --type privkey --id 03
[ "$(counter ins_FE)" -eq "$i0" ] && ok "no IMPORT KEY sent" ||
    not_ok "IMPORT KEY sent to a card that is not a YubiKey"

# ---- generate, certify, write, sign ------------------------------------------
# ID:type - the key reference: 01 9A, 02 9C, 03 9D, 04 9E, 05 82
KEYS="01:rsa:2048 02:EC:secp256r1 03:EC:secp384r1 04:rsa:4096 05:rsa:3072"
SPKI_P256=3059301306072a8648ce3d020106082a8648ce3d030107034200
SPKI_P384=3076301006072a8648ce3d020106052b81040022036200

# The public key pkcs11-tool printed after --keypairgen, as PEM: on a card
# without GET METADATA only the generating process knows it until its
# certificate is written, and pkcs11-tool 0.23 cannot export a P-384 key.
ec_pem() {	# output-file spki-prefix pem
	pt=$(sed -n 's/^ *EC_POINT: *04[0-9a-f][0-9a-f]//p' "$1" | head -n 1)
	printf '%s%s' "$2" "$pt" | xxd -r -p |
	    openssl pkey -pubin -inform DER -out "$3"
}

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out req.key 2>/dev/null
v0=$(counter verify)
for k in $KEYS; do
	id=${k%%:*} type=${k#*:}
	case $type in
	rsa*)	check_out "--keypairgen $type in ID $id" gen$id.txt \
		    so --keypairgen --key-type "$type" --id "$id" \
		    --read-object --type pubkey -o pub$id.der
		openssl pkey -pubin -inform DER -in pub$id.der -out pub$id.pem \
		    2>/dev/null ;;
	*)	check_out "--keypairgen $type in ID $id" gen$id.txt \
		    so --keypairgen --key-type "$type" --id "$id"
		spki=$SPKI_P256; [ "$type" = EC:secp384r1 ] && spki=$SPKI_P384
		ec_pem gen$id.txt "$spki" pub$id.pem ;;
	esac
	openssl req -new -key req.key -subj "/CN=smartsign key $id" \
	    -out req$id.csr 2>/dev/null
	openssl x509 -req -in req$id.csr -CA "$SMARTSIGN_CA" \
	    -CAkey "$SMARTSIGN_CA_KEY" -CAcreateserial -force_pubkey pub$id.pem \
	    -days 30 -outform DER -out cert$id.der 2>/dev/null
	check "--write-object the CA's certificate for ID $id" \
	    so --write-object cert$id.der --type cert --id "$id"
done
[ "$(counter verify)" -eq "$v0" ] &&
    ok "generation and writes as SO: no VERIFY" ||
    not_ok "generation and writes sent $(($(counter verify) - v0)) VERIFYs"
p11 -O > objects.txt 2>&1
for k in $KEYS; do
	id=${k%%:*}
	p11 --read-object --type cert --id "$id" -o back$id.der >/dev/null 2>&1
	check "certificate $id reads back as written (a new process)" \
	    cmp cert$id.der back$id.der
	openssl x509 -inform DER -in back$id.der -out cert$id.pem 2>/dev/null
	check "certificate $id chains to the test CA" \
	    openssl verify -CAfile "$SMARTSIGN_CA" cert$id.pem
	openssl x509 -in cert$id.pem -noout -pubkey > cpub$id.pem
	check "certificate $id certifies the generated key" \
	    cmp cpub$id.pem pub$id.pem
done
check_grep "-O shows the 4096-bit key" "RSA 4096 bits" objects.txt
check_grep "-O shows the 3072-bit key" "RSA 3072 bits" objects.txt
check_grep "-O shows a P-384 key" "EC_POINT 384 bits" objects.txt

head -c 2000 /dev/urandom > data
for k in 01:SHA256-RSA-PKCS 04:SHA256-RSA-PKCS 02:ECDSA-SHA256; do
	id=${k%%:*} m=${k#*:}
	check "the generated key $id signs ($m)" p11 --sign --id "$id" -m "$m" \
	    --signature-format openssl -p "$PIN" -i data -o sig$id
	check "the signature of $id verifies against its certificate" \
	    openssl dgst -sha256 -verify cpub$id.pem -signature sig$id data
done

# ---- delete ---------------------------------------------------------------
check "--delete-object --type cert --id 05" \
    so --delete-object --type cert --id 05
p11 -O > deleted.txt 2>&1
check_fail "the deleted certificate is gone (a new process)" \
    p11 --read-object --type cert --id 05 -o gone.der
check "the other certificates stay" \
    p11 --read-object --type cert --id 04 -o still.der
check_fail "deleting a certificate needs the SO" \
    p11 --login --pin "$PIN" --delete-object --type cert --id 04

# ---- other clients read what the module wrote -----------------------------
check_out "yubico-piv-tool -a status reads the card" ys.txt \
    yubico-piv-tool -r "$SMARTSIGN_READER" -a status
check_grep "yubico-piv-tool sees the 9A certificate" \
    "Subject DN:.*CN=smartsign key 01" ys.txt
check_grep "yubico-piv-tool sees the 9E certificate" \
    "Subject DN:.*CN=smartsign key 04" ys.txt
check_out "OpenSC's module lists the objects" osc.txt \
    pkcs11-tool --module "$OSC" -O
check_grep "OpenSC sees the generated RSA-4096 key" "RSA 4096 bits" osc.txt
check_grep "OpenSC sees the certificate 01" "CN=smartsign key 01" osc.txt
pkcs11-tool --module "$OSC" --read-object --type cert --id 02 \
    -o osc02.der >/dev/null 2>&1
check "OpenSC reads back certificate 02" cmp cert02.der osc02.der
check "OpenSC signs with the generated 9A key" pkcs11-tool --module "$OSC" \
    --sign --id 01 -m SHA256-RSA-PKCS -p "$PIN" -i data -o osig01
check "OpenSC's signature verifies too" \
    openssl dgst -sha256 -verify cpub01.pem -signature osig01 data
done_testing
