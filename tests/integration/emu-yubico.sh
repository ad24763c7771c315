# Yubico's tools accept the emulated card: yubico-piv-tool status,
# verify-pin, change-pin, unblock-pin, generate (RSA-2048 and P-256),
# import-certificate, test-signature; ykcs11 lists objects and signs.
# Three wrong PINs block the PIN, both OpenSC and Yubico report it, the PUK
# unblocks it.  Signatures are verified with openssl.
# rig: --reader "Yubico Smartsign Virtual"
. "$(dirname "$0")/../lib.sh"

R=$SMARTSIGN_READER
YKCS11=/usr/lib/x86_64-linux-gnu/libykcs11.so
OSC=/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so
ypt() { yubico-piv-tool -r "$R" "$@"; }
cd "$WORK" || exit 1

check_out "yubico-piv-tool status" status.txt ypt -a status
check_grep "status shows the 9A certificate" "Slot 9a" status.txt
check_grep "status shows PIN tries" "PIN tries left:[[:space:]]*3" status.txt
check "verify-pin with the right PIN" ypt -a verify-pin -P "$SMARTSIGN_PIN"
check_fail "verify-pin with a wrong PIN fails" ypt -a verify-pin -P 999999
check "change-pin" ypt -a change-pin -P "$SMARTSIGN_PIN" -N 24681357
check "verify-pin with the new PIN" ypt -a verify-pin -P 24681357
check "change-pin back" ypt -a change-pin -P 24681357 -N "$SMARTSIGN_PIN"

# block the PIN with three wrong tries, both peers see it blocked
for i in 1 2 3; do ypt -a verify-pin -P 000000 >/dev/null 2>&1; done
ypt -a status > blocked.txt 2>&1
check_grep "yubico-piv-tool reports 0 PIN tries" "PIN tries left:[[:space:]]*0" blocked.txt
check_fail "right PIN refused while blocked" ypt -a verify-pin -P "$SMARTSIGN_PIN"
pkcs11-tool --module "$OSC" -T > tok.txt 2>&1
check_grep "OpenSC reports the PIN locked" "PIN locked|locked" tok.txt
check "unblock-pin with the PUK" ypt -a unblock-pin -P "$SMARTSIGN_PUK" -N "$SMARTSIGN_PIN"
check "PIN works again after unblock" ypt -a verify-pin -P "$SMARTSIGN_PIN"

# generate + certificate + test signature, RSA-2048 and P-256
gen_and_certify() {	# slot alg
	ypt -k"$SMARTSIGN_MGMT_KEY" -a generate -s "$1" -A "$2" -o pub$1.pem &&
	openssl req -new -newkey rsa:2048 -nodes -keyout tmp.key -subj "/CN=gen $1" \
	    -out tmp.csr 2>/dev/null &&
	openssl x509 -req -in tmp.csr -CA "$SMARTSIGN_CA" -CAkey "$SMARTSIGN_CA_KEY" \
	    -CAcreateserial -force_pubkey pub$1.pem -days 30 -out cert$1.pem 2>/dev/null &&
	ypt -k"$SMARTSIGN_MGMT_KEY" -a import-certificate -s "$1" -i cert$1.pem
}
check "generate RSA-2048 in 9a and import its certificate" gen_and_certify 9a RSA2048
check "test-signature with the generated RSA key" \
    ypt -a verify-pin -P "$SMARTSIGN_PIN" -a test-signature -s 9a -i cert9a.pem
check "generate P-256 in 9e and import its certificate" gen_and_certify 9e ECCP256
check "test-signature with the generated EC key" \
    ypt -a verify-pin -P "$SMARTSIGN_PIN" -a test-signature -s 9e -i cert9e.pem
check_fail "generate without the management key is refused" \
    ypt -k 000000000000000000000000000000000000000000000000 -a generate -s 9d -A RSA2048

# ykcs11 through pkcs11-tool
check_out "ykcs11 lists the objects" yk.txt pkcs11-tool --module "$YKCS11" -O
check_grep "ykcs11 sees the 9A certificate" "X.509 cert for PIV Authentication|PIV Authentication" yk.txt
head -c 300 /dev/urandom > data
check "ykcs11 signs with 9A (SHA256-RSA-PKCS)" pkcs11-tool --module "$YKCS11" \
    --sign --id 01 -m SHA256-RSA-PKCS -p "$SMARTSIGN_PIN" -i data -o sig
openssl x509 -in cert9a.pem -pubkey -noout > p9a.pem
check "ykcs11 signature verifies with openssl" \
    openssl dgst -sha256 -verify p9a.pem -signature sig data
done_testing
