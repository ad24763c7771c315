# OpenSC (opensc-pkcs11.so, pkcs11-tool, piv-tool) accepts the emulated card:
# lists it, signs with 9A (RSA PKCS#1 and PSS) and 9C (ECDSA with the
# context-specific login), decrypts with 9D, authenticates with the
# management key.  Every signature is verified with openssl against the
# certificate read from the card.
# rig: --card "--variant mixed"
. "$(dirname "$0")/../lib.sh"

OSC=/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so
p11() { pkcs11-tool --module "$OSC" "$@"; }
cd "$WORK" || exit 1

check_out "pkcs11-tool -L lists the token" L.txt p11 -L
check_grep "OpenSC binds its PIV driver to the card" "piv_II|PIV" L.txt
check_out "pkcs11-tool -O lists the objects" O.txt p11 -O
for id in 01 02 03 04; do
	check_grep "certificate with ID $id listed" "ID: +$id" O.txt
done
check_grep "9A RSA-2048 public key listed" "RSA 2048 bits" O.txt
check_grep "EC key listed" "EC_POINT|EC ?[0-9]+ bits|ECDSA|EC 256" O.txt

# certificates from the card, checked against the test CA
for id in 01 02 03 04; do
	p11 --read-object --type cert --id $id -o cert$id.der >/dev/null 2>&1
	openssl x509 -inform DER -in cert$id.der -out cert$id.pem 2>/dev/null
	openssl x509 -in cert$id.pem -pubkey -noout > pub$id.pem 2>/dev/null
	check "certificate $id chains to the test CA" \
	    openssl verify -CAfile "$SMARTSIGN_CA" cert$id.pem
done

head -c 1000 /dev/urandom > data
check "9A SHA256-RSA-PKCS signature" p11 --sign --id 01 -m SHA256-RSA-PKCS \
    -p "$SMARTSIGN_PIN" -i data -o sig.rsa
check "9A PKCS#1 signature verifies with openssl" \
    openssl dgst -sha256 -verify pub01.pem -signature sig.rsa data

check "9A SHA256-RSA-PKCS-PSS signature" p11 --sign --id 01 \
    -m SHA256-RSA-PKCS-PSS --mgf MGF1-SHA256 --salt-len 32 \
    -p "$SMARTSIGN_PIN" -i data -o sig.pss
check "9A PSS signature verifies with openssl" \
    openssl dgst -sha256 -sigopt rsa_padding_mode:pss \
    -sigopt rsa_pss_saltlen:32 -verify pub01.pem -signature sig.pss data

v0=$(counter verify)
check "9C ECDSA-SHA256 signature (context-specific login)" p11 --sign \
    --id 02 -m ECDSA-SHA256 --signature-format openssl \
    -p "$SMARTSIGN_PIN" -i data -o sig.ec
check "9C ECDSA signature verifies with openssl" \
    openssl dgst -sha256 -verify pub02.pem -signature sig.ec data
v1=$(counter verify)
[ $((v1 - v0)) -ge 2 ] && ok "9C signature needed a second VERIFY ($((v1 - v0)) VERIFYs)" ||
    not_ok "9C signature needed a second VERIFY (saw $((v1 - v0)))"

head -c 100 /dev/urandom > secret
openssl pkeyutl -encrypt -pubin -inkey pub03.pem -in secret -out secret.enc
check "9D RSA-PKCS decryption" p11 --decrypt --id 03 -m RSA-PKCS \
    -p "$SMARTSIGN_PIN" -i secret.enc -o secret.dec
check "9D decryption gives back the plaintext" cmp secret secret.dec

printf '%s' "$SMARTSIGN_MGMT_KEY" | sed 's/../&:/g; s/:$//' > mgmt.key
check "piv-tool -A M:9B:03 authenticates with the management key" \
    env PIV_EXT_AUTH_KEY="$WORK/mgmt.key" piv-tool -r "$SMARTSIGN_READER" -A M:9B:03
printf '%s' "0102030405060708010203040506070801020304050607FF" | sed 's/../&:/g; s/:$//' > bad.key
check_fail "piv-tool with a wrong management key is refused" \
    env PIV_EXT_AUTH_KEY="$WORK/bad.key" piv-tool -r "$SMARTSIGN_READER" -A M:9B:03

k=$(counter keyops)
[ "$k" -ge 4 ] && ok "emulator counted $k private-key operations" || not_ok "keyops counter is $k"
done_testing
