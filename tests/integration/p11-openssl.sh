# OpenSSL 3.0 with libp11's pkcs11 engine (libengine-pkcs11-openssl 0.4.12)
# drives smartsign-pkcs11.so, named by an OPENSSL_CONF engine section:
# openssl dgst signs with 9A (PKCS#1 v1.5 SHA-256/384/512, PSS with the
# default and with a digest-length salt) and 9E (ECDSA), openssl req makes
# a request signed on the card, openssl cms signs with 9A (PKCS#1 and PSS),
# 9E and 9C, s_client authenticates to s_server with the card's 9A key.
# Every signature is verified by openssl against the certificate read from
# the card (dgst -verify, req -verify, cms -verify -CAfile test CA).
#
# 9C (CKA_ALWAYS_AUTHENTICATE): libp11 0.4.12 does the context-specific
# login through the application's UI method, and with OpenSSL 3.0's apps
# the -passin password does not reach it (the apps' UI data lives only
# while the key is loaded), so libp11 asks "Enter PKCS#11 key PIN for SIGN
# key:" on the terminal and fails without one.  The 9C cases therefore run
# under script(1) with the PIN typed at that prompt, as a user would; 9E
# (same key type, no context login) covers the non-interactive ECDSA path.
# rig:
. "$(dirname "$0")/../lib.sh"

MOD=$BUILD/smartsign-pkcs11.so
ENGINE=/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so
PASS=pass:$SMARTSIGN_PIN
cd "$WORK" || exit 1
cat > openssl.cnf <<EOF
openssl_conf = openssl_init
[openssl_init]
engines = engine_section
[engine_section]
pkcs11 = pkcs11_section
[pkcs11_section]
engine_id = pkcs11
dynamic_path = $ENGINE
MODULE_PATH = $MOD
init = 0
EOF
export OPENSSL_CONF=$WORK/openssl.cnf
key() { echo "pkcs11:id=%$1;type=private"; }
esign() {	# id out [dgst options]: openssl dgst -sign with the card key
	id=$1 o=$2; shift 2
	openssl dgst -engine pkcs11 -keyform engine -sign "$(key $id)" \
	    -passin "$PASS" -out "$o" "$@" data
}
# run a command on a terminal and type the PIN at libp11's prompt
typed_pin() {
	c=""
	for a in "$@"; do c="$c '$a'"; done
	(sleep 1; printf '%s\n' "$SMARTSIGN_PIN") | timeout 60 script -qec "$c" /dev/null
}

check_out "openssl engine -t pkcs11 loads with our module" engine.txt \
    openssl engine -t -c pkcs11
check_grep "the engine is available" "\[ available \]" engine.txt

# certificates from the card (pkcs11-tool reads them: no engine involved)
for id in 01 02 03 04; do
	pkcs11-tool --module "$MOD" --read-object --type cert --id $id \
	    -o cert$id.der >/dev/null 2>&1
	openssl x509 -inform DER -in cert$id.der -out cert$id.pem 2>/dev/null
	openssl x509 -in cert$id.pem -pubkey -noout > pub$id.pem 2>/dev/null
	check "certificate $id chains to the test CA" \
	    openssl verify -CAfile "$SMARTSIGN_CA" cert$id.pem
done
head -c 3000 /dev/urandom > data

# ---- openssl dgst -------------------------------------------------------------
for h in sha256 sha384 sha512; do
	check "9A dgst -$h -sign (PKCS#1 v1.5)" esign 01 s01.$h -$h
	check "9A $h signature verifies against the card certificate" \
	    openssl dgst -$h -verify pub01.pem -signature s01.$h data
done
check "9A dgst -sha256 -sign, PSS (default salt)" esign 01 s01.pss -sha256 \
    -sigopt rsa_padding_mode:pss
check "9A PSS signature verifies (salt auto-detected)" \
    openssl dgst -sha256 -verify pub01.pem -sigopt rsa_padding_mode:pss \
    -signature s01.pss data
check "9A dgst -sha384 -sign, PSS, salt = digest length" esign 01 s01.pss48 \
    -sha384 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest
check "9A PSS (salt 48) verifies with salt length 48" \
    openssl dgst -sha384 -verify pub01.pem -sigopt rsa_padding_mode:pss \
    -sigopt rsa_pss_saltlen:48 -signature s01.pss48 data
for h in sha256 sha384; do
	check "9E dgst -$h -sign (ECDSA)" esign 04 s04.$h -$h
	check "9E $h signature verifies against the card certificate" \
	    openssl dgst -$h -verify pub04.pem -signature s04.$h data
done
v0=$(counter verify)
check "9C dgst -sha256 -sign (ECDSA, PIN typed at libp11's prompt)" \
    typed_pin openssl dgst -engine pkcs11 -keyform engine -sign "$(key 02)" \
    -passin "$PASS" -sha256 -out s02.sha256 data
v1=$(counter verify)
check "9C signature verifies against the card certificate" \
    openssl dgst -sha256 -verify pub02.pem -signature s02.sha256 data
[ $((v1 - v0)) -eq 2 ] && ok "9C signature did login + context-specific login (2 VERIFYs)" ||
    not_ok "9C signature did login + context-specific login (saw $((v1 - v0)) VERIFYs, want 2)"

# ---- openssl req: a request signed on the card ----------------------------------
check "openssl req -new with the 9A key" openssl req -new -engine pkcs11 \
    -keyform engine -key "$(key 01)" -passin "$PASS" -subj "/CN=engine test" \
    -sha256 -out req01.pem
check "openssl req -verify accepts it" openssl req -in req01.pem -verify -noout
openssl req -in req01.pem -pubkey -noout > reqpub01.pem 2>/dev/null
check "the request carries the card certificate's key" cmp reqpub01.pem pub01.pem

# ---- openssl cms ----------------------------------------------------------------
cms_sign() {	# id out [cms options]
	id=$1 o=$2; shift 2
	openssl cms -sign -engine pkcs11 -keyform engine -inkey "$(key $id)" \
	    -passin "$PASS" -signer cert$id.pem -in data -binary -outform DER \
	    -out "$o" "$@"
}
cms_verify() {	# file [cms options]
	f=$1; shift
	openssl cms -verify -inform DER -in "$f" -content data -binary \
	    -CAfile "$SMARTSIGN_CA" -out /dev/null "$@"
}
check "cms -sign with 9E (ECDSA)" cms_sign 04 d04.p7s
check "cms -verify -CAfile test CA accepts the 9E signature" cms_verify d04.p7s
check "cms -sign with 9C (ECDSA, e-mail protection certificate, PIN typed)" \
    typed_pin openssl cms -sign -engine pkcs11 -keyform engine -inkey "$(key 02)" \
    -passin "$PASS" -signer cert02.pem -in data -binary -outform DER -out d02.p7s
check "cms -verify -CAfile test CA accepts the 9C signature" cms_verify d02.p7s
# 9A's certificate is for TLS client authentication only (EKU clientAuth):
# cms -verify rightly refuses it for S/MIME unless told any purpose will do
check "cms -sign with 9A (PKCS#1 v1.5)" cms_sign 01 d01.p7s
check "cms -verify accepts the 9A signature (-purpose any)" cms_verify d01.p7s -purpose any
check_fail "cms -verify refuses 9A's clientAuth certificate for S/MIME" cms_verify d01.p7s
check "cms -sign with 9A, RSA-PSS" cms_sign 01 d01pss.p7s -keyopt rsa_padding_mode:pss
check "cms -verify accepts the 9A PSS signature (-purpose any)" \
    cms_verify d01pss.p7s -purpose any
openssl cms -cmsout -print -inform DER -in d01pss.p7s > d01pss.txt 2>&1
check_grep "the 9A CMS signature is RSASSA-PSS" "rsassaPss|RSASSA-PSS" d01pss.txt
# a tampered content must not verify
cp data data.orig; printf 'x' >> data
check_fail "cms -verify rejects the 9E signature over changed content" cms_verify d04.p7s
mv data.orig data

# ---- TLS: s_client with the card's 9A key, s_server checks it --------------------
# the server side uses the system configuration, not the engine one
plain() { OPENSSL_CONF=/usr/lib/ssl/openssl.cnf "$@"; }
plain openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout srv.key -subj /CN=127.0.0.1 -out srv.csr >/dev/null 2>&1
plain openssl x509 -req -in srv.csr -CA "$SMARTSIGN_CA" -CAkey "$SMARTSIGN_CA_KEY" \
    -CAserial srv.srl -CAcreateserial -days 2 -out srv.pem >/dev/null 2>&1
OPENSSL_CONF=/usr/lib/ssl/openssl.cnf openssl s_server -accept 127.0.0.1:4433 -cert srv.pem -key srv.key \
    -CAfile "$SMARTSIGN_CA" -Verify 1 -verify_return_error -www > srv.log 2>&1 &
SRV=$!
trap 'kill $SRV 2>/dev/null; wait $SRV 2>/dev/null' EXIT
for _ in $(seq 100); do ss -ltn | grep -q ':4433 ' && break; sleep 0.05; done
printf 'GET / HTTP/1.0\r\n\r\n' > http.req
check_out "s_client authenticates with the 9A key (TLS 1.3)" tls.txt \
    timeout 30 openssl s_client -connect 127.0.0.1:4433 -tls1_3 -engine pkcs11 \
    -keyform engine -key "$(key 01)" -pass "$PASS" -cert cert01.pem \
    -CAfile "$SMARTSIGN_CA" -verify_return_error -ign_eof < http.req
check_grep "s_server verified the card's RSA-PSS CertificateVerify" \
    "^Peer signature type: RSA-PSS" tls.txt
check_grep "s_server saw the card's certificate" "Subject: .*CN *= *Test Broker" tls.txt
done_testing
