# GnuTLS 3.7 (p11tool, certtool, gnutls-cli) drives smartsign-pkcs11.so:
# p11tool lists the token, the four certificates and (after login) the four
# private keys with their flags; --test-sign signs with every signing key
# (9A RSA, 9C EC with its context-specific login, 9E EC), with RSA-PSS and
# with SHA-384; 9D (decrypt-only by design, see pkcs11/piv_objects.c) is
# refused.  GnuTLS verifies --test-sign itself, so every key also signs
# something openssl checks: a certtool PKCS#10 request (openssl req -verify,
# and its key is the card certificate's key), and a TLS client
# authentication to openssl s_server (the server verifies the
# CertificateVerify signature with the card's certificate): TLS 1.3 with
# RSA-PSS, TLS 1.2 with PKCS#1 v1.5, ECDSA with 9C and 9E.
# rig:
. "$(dirname "$0")/../lib.sh"

MOD=$BUILD/smartsign-pkcs11.so
export GNUTLS_PIN=$SMARTSIGN_PIN
p11t() { p11tool --provider "$MOD" "$@"; }
URI_PRIV() { echo "pkcs11:id=%$1;type=private"; }
cd "$WORK" || exit 1

# ---- listing ---------------------------------------------------------------
check_out "p11tool --list-tokens" tokens.txt p11t --list-tokens
check_grep "token URL names model PIV II" "URL: pkcs11:model=PIV%20II;.*serial=[0-9A-F]{16};token=PIV%20Card%20%23" tokens.txt
check_grep "token requires login" "Flags: .*Requires login" tokens.txt

check_out "p11tool --list-all-certs" certs.txt p11t --list-all-certs
for id in 01 02 03 04; do
	check_grep "certificate $id listed" "URL: pkcs11:.*;id=%$id;.*type=cert" certs.txt
done
check_grep "9A certificate is RSA-2048" "Type: X.509 Certificate \(RSA-2048\)" certs.txt
check_grep "9C certificate is P-256" "Type: X.509 Certificate \(EC/ECDSA-SECP256R1\)" certs.txt

check_out "p11tool --login --list-all-privkeys" keys.txt p11t --login --list-all-privkeys
for id in 01 02 03 04; do
	check_grep "private key $id listed" "URL: pkcs11:.*;id=%$id;.*type=private" keys.txt
done
# flags per key: "ID flags"
awk '/^\tFlags:/ { f = $0 } /^\tID:/ { print $2, f }' keys.txt > keyflags.txt
check_grep "02 (9C) key has CKA_ALWAYS_AUTH" "^02 .*CKA_ALWAYS_AUTH" keyflags.txt
check_grep "01 key is private, sensitive, never extractable" \
    "^01 .*CKA_PRIVATE.*CKA_NEVER_EXTRACTABLE.*CKA_SENSITIVE" keyflags.txt
grep -q "^01 .*CKA_ALWAYS_AUTH" keyflags.txt &&
    not_ok "01 (9A) key is not always-authenticate" || ok "01 (9A) key is not always-authenticate"

# certificates from the card, for openssl
for id in 01 02 03 04; do
	p11t --export "pkcs11:id=%$id;type=cert" > cert$id.pem 2>/dev/null
	openssl x509 -in cert$id.pem -pubkey -noout > pub$id.pem 2>/dev/null
	check "certificate $id (p11tool --export) chains to the test CA" \
	    openssl verify -CAfile "$SMARTSIGN_CA" cert$id.pem
done

# ---- p11tool --test-sign ----------------------------------------------------
test_sign() {	# id label expected-algorithm [p11tool options]
	id=$1 what=$2 alg=$3; shift 3
	out=ts.$id.$(echo "$*" | tr -c 'A-Za-z0-9' _).txt
	check_out "p11tool --test-sign $id ($what)" $out \
	    p11t --login --test-sign "$@" "$(URI_PRIV $id)"
	check_grep "$id ($what) signs with $alg" "Signing using $alg\.\.\. ok" $out
	check_grep "$id ($what) verifies against the token's public key" \
	    "Verifying against public key in the token\.\.\. ok" $out
}
test_sign 01 "9A RSA" RSA-SHA256
test_sign 01 "9A RSA, SHA-384" RSA-SHA384 --hash SHA384
test_sign 01 "9A RSA-PSS" RSA-PSS-SHA256 --sign-params RSA-PSS
test_sign 01 "9A RSA-PSS, SHA-384" RSA-PSS-SHA384 --sign-params RSA-PSS --hash SHA384
v0=$(counter verify)
test_sign 02 "9C EC" ECDSA-SHA256
v1=$(counter verify)
[ $((v1 - v0)) -ge 2 ] && ok "9C --test-sign did a context-specific login ($((v1 - v0)) VERIFYs)" ||
    not_ok "9C --test-sign did a context-specific login (saw $((v1 - v0)) VERIFYs)"
test_sign 02 "9C EC, SHA-384" ECDSA-SHA384 --hash SHA384
test_sign 04 "9E EC" ECDSA-SHA256
test_sign 04 "9E EC, SHA-512" ECDSA-SHA512 --hash SHA512
check_fail "p11tool --test-sign 03 (9D, decrypt-only) is refused" \
    p11t --login --test-sign "$(URI_PRIV 03)"

# ---- certtool: requests signed on the card, verified by openssl -------------
printf 'cn = "smartsign gnutls test"\n' > req.tmpl
csr() {	# id tag expected-openssl-sigalg [certtool options]
	id=$1 tag=$2 alg=$3; shift 3
	check "certtool request signed by $id ($tag)" certtool --provider "$MOD" \
	    --generate-request --load-privkey "$(URI_PRIV $id)" --template req.tmpl \
	    --outfile req.$id.$tag.pem "$@"
	check "openssl verifies request $id ($tag)" \
	    openssl req -in req.$id.$tag.pem -verify -noout
	openssl req -in req.$id.$tag.pem -pubkey -noout > reqpub.$id.$tag.pem 2>/dev/null
	check "request $id ($tag) carries the card certificate's key" \
	    cmp reqpub.$id.$tag.pem pub$id.pem
	openssl req -in req.$id.$tag.pem -noout -text > req.$id.$tag.txt 2>&1
	check_grep "request $id ($tag) is signed with $alg" "Signature Algorithm: $alg" \
	    req.$id.$tag.txt
}
csr 01 sha256 sha256WithRSAEncryption
csr 01 sha384 sha384WithRSAEncryption --hash SHA384
csr 02 sha256 ecdsa-with-SHA256
csr 02 sha384 ecdsa-with-SHA384 --hash SHA384
csr 04 sha256 ecdsa-with-SHA256

# ---- TLS client authentication to openssl s_server ---------------------------
# (the server's own key is P-256: the client's signature algorithms must keep
# ECDSA-SHA256 for it)
SRVSIG="+SIGN-ECDSA-SHA256:+SIGN-ECDSA-SECP256R1-SHA256"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout srv.key -subj /CN=127.0.0.1 -out srv.csr >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1\n' > srv.ext
openssl x509 -req -in srv.csr -CA "$SMARTSIGN_CA" -CAkey "$SMARTSIGN_CA_KEY" \
    -CAserial srv.srl -CAcreateserial -days 2 -extfile srv.ext -out srv.pem >/dev/null 2>&1
# strict server: the client certificate must chain to the test CA
openssl s_server -accept 127.0.0.1:4433 -cert srv.pem -key srv.key \
    -CAfile "$SMARTSIGN_CA" -Verify 1 -verify_return_error -www > srv1.log 2>&1 &
SRV1=$!
# the 9C certificate's extended key usage does not allow TLS client
# authentication, so 9C connects to a server that logs that chain error and
# goes on; the CertificateVerify signature is still checked (a bad one ends
# the handshake with decrypt_error)
openssl s_server -accept 127.0.0.1:4434 -cert srv.pem -key srv.key \
    -CAfile "$SMARTSIGN_CA" -Verify 1 -www > srv2.log 2>&1 &
SRV2=$!
trap 'kill $SRV1 $SRV2 2>/dev/null; wait $SRV1 $SRV2 2>/dev/null' EXIT
for _ in $(seq 100); do
	ss -ltn | grep -q ':4434 ' && ss -ltn | grep -q ':4433 ' && break
	sleep 0.05
done

tls() {	# id port priority tag expected-peer-signature-type
	id=$1 port=$2 prio=$3 tag=$4 want=$5
	printf 'GET / HTTP/1.0\r\n\r\n' > http.req
	f=tls.$id.$port.$tag.txt
	check_out "gnutls-cli client auth with $id ($tag)" $f \
	    timeout 30 gnutls-cli --priority "$prio" --provider "$MOD" \
	    --x509certfile "pkcs11:id=%$id;type=cert" \
	    --x509keyfile "$(URI_PRIV $id)" --x509cafile "$SMARTSIGN_CA" \
	    -p "$port" 127.0.0.1 < http.req
	# -www: the server's page reports what it verified
	check_grep "s_server verified a $want CertificateVerify from $id ($tag)" \
	    "^Peer signature type: $want\$" $f
	check_grep "s_server saw the card's certificate from $id ($tag)" \
	    "Subject: .*CN *= *Test Broker" $f
}
tls 01 4433 "NORMAL" tls13 RSA-PSS
tls 01 4433 "NORMAL:-VERS-TLS1.3:-SIGN-ALL:+SIGN-RSA-SHA256:$SRVSIG" tls12-pkcs1 RSA
tls 01 4433 "NORMAL:-VERS-TLS1.3:-SIGN-ALL:+SIGN-RSA-PSS-RSAE-SHA384:$SRVSIG" tls12-pss384 RSA-PSS
check_grep "s_server saw SHA-384 in 01's PSS signature (tls12-pss384)" \
    "^Peer signing digest: SHA384" tls.01.4433.tls12-pss384.txt
v0=$(counter verify)
tls 02 4434 "NORMAL" tls13 ECDSA
v1=$(counter verify)
[ $((v1 - v0)) -ge 2 ] && ok "9C TLS signature did a context-specific login ($((v1 - v0)) VERIFYs)" ||
    not_ok "9C TLS signature did a context-specific login (saw $((v1 - v0)) VERIFYs)"
check_grep "s_server logged the 9C certificate's purpose (EKU) and went on" \
    "unsuitable certificate purpose" srv2.log
tls 04 4433 "NORMAL" tls13 ECDSA
tls 04 4433 "NORMAL:-VERS-TLS1.3" tls12 ECDSA
done_testing
