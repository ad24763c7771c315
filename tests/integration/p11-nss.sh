# NSS 3.87 tools drive smartsign-pkcs11.so: modutil adds it to a fresh SQL
# database (-mechanisms FRIENDLY: certificates readable without login, as
# Firefox and Chromium use it), certutil -L lists the card's four
# certificates as user certificates, certutil -K lists its four keys after
# login with a PIN file, certutil -V validates them against the test CA.
# NSS then signs: cmsutil with the 9C key (e-mail protection certificate,
# CKA_ALWAYS_AUTHENTICATE: NSS logs in again before C_Sign) and tstclnt
# authenticates to openssl s_server with the 9A key (TLS 1.3 RSA-PSS, and
# TLS 1.2 PKCS#1 v1.5).  openssl verifies every signature against the
# card's certificate (cms -verify -CAfile, s_server -Verify).
# Note: all four PIV certificates share one subject, so NSS resolves a
# nickname to "the subject's certificate valid for the usage": asking
# cmsutil to sign with the 9A nickname picks 9E or 9C (9A's certificate is
# for TLS client authentication only); the test checks that a card key signed.
# rig:
. "$(dirname "$0")/../lib.sh"

MOD=$BUILD/smartsign-pkcs11.so
export NSS_DEFAULT_DB_TYPE=sql
cd "$WORK" || exit 1
DB=sql:$WORK/db
mkdir db
printf '%s\n' "$SMARTSIGN_PIN" > pinfile

check "certutil -N creates an empty database" certutil -N -d "$DB" --empty-password
check "modutil -add smartsign (FRIENDLY)" modutil -dbdir "$DB" -add smartsign \
    -libfile "$MOD" -mechanisms FRIENDLY -force
check_out "modutil -list" modlist.txt modutil -dbdir "$DB" -list
check_grep "modutil lists our module" "library name: $MOD" modlist.txt
check_grep "modutil sees the card's token" "token: PIV Card #[0-9A-F]{16}" modlist.txt
check_grep "modutil sees the reader as a slot" "slot: $SMARTSIGN_READER" modlist.txt
TOKEN=$(sed -n 's/^[[:space:]]*token: \(PIV Card #[0-9A-F]*\)$/\1/p' modlist.txt | head -n 1)

# ---- certificates and keys ------------------------------------------------------
check_out "certutil -L -h all" L.txt certutil -L -d "$DB" -h all
for c in "PIV Authentication" "Digital Signature" "Key Management" "Card Authentication"; do
	check_grep "certutil -L lists $c as a user certificate" \
	    "^$TOKEN:X.509 Certificate for $c +u,u,u\$" L.txt
done
n=$(grep -c "^$TOKEN:" L.txt)
[ "$n" -eq 4 ] && ok "exactly four certificates on the token" ||
    not_ok "exactly four certificates on the token (saw $n)"

check_out "certutil -K -h all -f pinfile" K.txt certutil -K -d "$DB" -h all -f pinfile
check_grep "key 01 (rsa, PIV AUTH key)" "^< ?[0-9]+> rsa +01 +PIV AUTH key\$" K.txt
check_grep "key 02 (ec, SIGN key)" "^< ?[0-9]+> ec +02 +SIGN key\$" K.txt
check_grep "key 03 (rsa, KEY MAN key)" "^< ?[0-9]+> rsa +03 +KEY MAN key\$" K.txt
check_grep "key 04 (ec, CARD AUTH key)" "^< ?[0-9]+> ec +04 +CARD AUTH key\$" K.txt
check_fail "certutil -K with a wrong PIN fails" sh -c \
    "printf '000000\n' > badpin; certutil -K -d '$DB' -h '$TOKEN' -f badpin"

# the test CA, trusted; the card's certificates validate against it
check "certutil -A adds the test CA" certutil -A -d "$DB" -n testca -t CT,C,C \
    -i "$SMARTSIGN_CA"
check_out "certutil -V: 9A valid for TLS client authentication" V01.txt \
    certutil -V -d "$DB" -u C -n "$TOKEN:X.509 Certificate for PIV Authentication"
check_out "certutil -V: 9C valid for e-mail signing" V02.txt \
    certutil -V -d "$DB" -u S -n "$TOKEN:X.509 Certificate for Digital Signature"
# the card's certificates by CKA_ID, for openssl (NSS exports by nickname,
# and a nickname stands for the whole subject, see above)
for id in 01 02 03 04; do
	pkcs11-tool --module "$MOD" --read-object --type cert --id $id \
	    -o cert$id.der >/dev/null 2>&1
	openssl x509 -inform DER -in cert$id.der -out cert$id.pem 2>/dev/null
	check "certificate $id chains to the test CA (openssl)" \
	    openssl verify -CAfile "$SMARTSIGN_CA" cert$id.pem
done

# ---- CMS signatures with cmsutil --------------------------------------------------
# -G adds signed attributes; without them NSS writes ECDSA signatures as raw
# r||s even for its own software keys, which no verifier accepts
head -c 5000 /dev/urandom > data
cms() {	# nickname-suffix out
	cmsutil -S -T -G -N "$TOKEN:X.509 Certificate for $1" -f pinfile -H SHA256 \
	    -i data -o "$2" -d "$DB"
}
cms_verify() {	# file signer-out
	openssl cms -verify -inform DER -in "$1" -content data -binary \
	    -CAfile "$SMARTSIGN_CA" -signer "$2" -out /dev/null
}
v0=$(counter verify)
check "cmsutil signs with 9C (Digital Signature)" cms "Digital Signature" d02.p7s
v1=$(counter verify)
check "openssl cms -verify -CAfile test CA accepts the 9C signature" \
    cms_verify d02.p7s signer02.pem
check "the CMS signer is the card's 9C certificate" cmp signer02.pem cert02.pem
[ $((v1 - v0)) -eq 2 ] && ok "NSS did login + context-specific login for 9C (2 VERIFYs)" ||
    not_ok "NSS did login + context-specific login for 9C (saw $((v1 - v0)) VERIFYs, want 2)"

check "cmsutil signs with the 9A nickname" cms "PIV Authentication" d01.p7s
check "openssl cms -verify -CAfile test CA accepts it" cms_verify d01.p7s signer01.pem
# which of the subject's e-mail-capable certificates NSS picks is its own
# choice (9E or 9C, seen both ways); it must be one of the card's
check "the signer is one of the card's e-mail-capable certificates (9C or 9E)" \
    sh -c 'cmp -s signer01.pem cert04.pem || cmp -s signer01.pem cert02.pem'

# ---- TLS client authentication with tstclnt ----------------------------------------
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout srv.key -subj /CN=127.0.0.1 -out srv.csr >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1\n' > srv.ext
openssl x509 -req -in srv.csr -CA "$SMARTSIGN_CA" -CAkey "$SMARTSIGN_CA_KEY" \
    -CAserial srv.srl -CAcreateserial -days 2 -extfile srv.ext -out srv.pem >/dev/null 2>&1
openssl s_server -accept 127.0.0.1:4433 -cert srv.pem -key srv.key \
    -CAfile "$SMARTSIGN_CA" -Verify 1 -verify_return_error -www > srv1.log 2>&1 &
SRV1=$!
# this one only accepts PKCS#1 v1.5 client signatures (TLS 1.2)
openssl s_server -accept 127.0.0.1:4434 -cert srv.pem -key srv.key \
    -CAfile "$SMARTSIGN_CA" -Verify 1 -verify_return_error -www \
    -client_sigalgs RSA+SHA256 > srv2.log 2>&1 &
SRV2=$!
trap 'kill $SRV1 $SRV2 2>/dev/null; wait $SRV1 $SRV2 2>/dev/null' EXIT
for _ in $(seq 100); do
	ss -ltn | grep -q ':4433 ' && ss -ltn | grep -q ':4434 ' && break
	sleep 0.05
done
printf 'GET / HTTP/1.0\r\n\r\n' > http.req
check_out "tstclnt TLS 1.3 client auth with 9A" tls13.txt timeout 30 tstclnt \
    -h 127.0.0.1 -p 4433 -d "$DB" -V tls1.3:tls1.3 \
    -n "$TOKEN:X.509 Certificate for PIV Authentication" -w "$SMARTSIGN_PIN" < http.req
check_grep "s_server verified 9A's RSA-PSS CertificateVerify (TLS 1.3)" \
    "^Peer signature type: RSA-PSS" tls13.txt
check_grep "s_server saw TLS 1.3" "Protocol *: TLSv1.3" tls13.txt
check_out "tstclnt TLS 1.2 client auth with 9A, PKCS#1 v1.5" tls12.txt timeout 30 tstclnt \
    -h 127.0.0.1 -p 4434 -d "$DB" -V tls1.2:tls1.2 \
    -n "$TOKEN:X.509 Certificate for PIV Authentication" -w "$SMARTSIGN_PIN" < http.req
check_grep "s_server verified 9A's PKCS#1 v1.5 CertificateVerify (TLS 1.2)" \
    "^Peer signature type: RSA\$" tls12.txt
check_grep "s_server saw TLS 1.2" "Protocol *: TLSv1.2" tls12.txt
done_testing
