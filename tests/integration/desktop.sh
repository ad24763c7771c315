# A broker signs a customs declaration with the card through
# smartsign-pkcs11.so from the usual desktop tools, and every signature is
# checked by the other tools, not only by the one that made it:
#   CMS, 9C (Digital Signature key, CKA_ALWAYS_AUTHENTICATE), made by
#     OpenSSL (pkcs11 engine: openssl cms -sign), NSS (cmsutil -S, token
#     and nickname found with certutil -L -h all) and GnuTLS (certtool
#     --p7-detached-sign); each one verified by openssl cms -verify
#     -CAfile test CA (the signer is the card's 9C certificate), by NSS
#     (cmsutil -D: GoodSignature, the test CA trusted in the database) and
#     by GnuTLS (certtool --p7-verify with the test CA); a changed
#     declaration fails all three; NSS without the test CA reports the
#     signer untrusted.
#   jar, 9E (Card Authentication: keyUsage digitalSignature, no EKU), made
#     by jarsigner through SunPKCS11 (name, library, slotListIndex = 0);
#     jarsigner -verify -strict -keystore truststore.jks (the test CA
#     imported with keytool -importcert) validates the signer's chain:
#     exit status 32 only (32 = "signer not an entry of that keystore",
#     true of any truststore that holds only the CA; 4 would be a chain
#     that does not validate), and without the truststore the chain is
#     refused (4); openssl cms -verify -CAfile checks META-INF/*.EC over the
#     .SF file.  9A's certificate (EKU clientAuth) is rightly refused for
#     code signing (8).
#   TLS 1.2 client authentication with 9A by openssl s_client (pkcs11
#     engine) to openssl s_server accepting only PKCS#1 v1.5 client
#     signatures; the server's log shows the broker certificate.
# Also covered elsewhere, not repeated here: p11tool --test-sign on every
# key and gnutls-cli client authentication (p11-gnutls.sh), openssl dgst /
# cms with 9A, 9E and s_client over TLS 1.3 (p11-openssl.sh), jarsigner
# with 9A and keytool (p11-java.sh), cmsutil with 9C and tstclnt
# (p11-nss.sh).
# libp11 0.4.12 with OpenSSL 3.0 asks for the 9C context-specific login on
# the terminal (the -passin PIN does not reach its UI method), so the
# OpenSSL signature is made under script(1) with the PIN typed there.
# rig:
. "$(dirname "$0")/../lib.sh"

MOD=$BUILD/smartsign-pkcs11.so
ENGINE=/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so
cd "$WORK" || exit 1
export NSS_DEFAULT_DB_TYPE=sql
SRV=""
trap '[ -n "$SRV" ] && kill $SRV 2>/dev/null; wait 2>/dev/null' EXIT
check_eq() {	# name want got
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got '$3', want '$2')"; fi
}

cat > declaration.xml <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<declaration type="import" procedure="4000">
  <declarant>Example Customs Brokerage</declarant>
  <representative>Test Broker</representative>
  <item hs="8471300000" origin="US" value="12500.00" currency="USD"/>
</declaration>
EOF
for id in 01 02 04; do
	pkcs11-tool --module "$MOD" --read-object --type cert --id $id \
	    -o cert$id.der >/dev/null 2>&1
	openssl x509 -inform DER -in cert$id.der -out cert$id.pem 2>/dev/null
	check "card certificate $id chains to the test CA" \
	    openssl verify -CAfile "$SMARTSIGN_CA" cert$id.pem
done

# ---- NSS database: our module, the test CA -----------------------------------
DB=sql:$WORK/db
mkdir db untrusted
printf '%s\n' "$SMARTSIGN_PIN" > pinfile
check "NSS database with our module (FRIENDLY) and the test CA" sh -c "
    certutil -N -d '$DB' --empty-password &&
    modutil -dbdir '$DB' -add smartsign -libfile '$MOD' -mechanisms FRIENDLY -force &&
    certutil -A -d '$DB' -n 'Smartsign Test CA' -t CT,C,C -i '$SMARTSIGN_CA'"
check "NSS database without the test CA" sh -c "
    certutil -N -d sql:untrusted --empty-password &&
    modutil -dbdir sql:untrusted -add smartsign -libfile '$MOD' -mechanisms FRIENDLY -force"
check_out "certutil -L -h all" L.txt certutil -L -d "$DB" -h all
NICK02=$(sed -n 's/^\(PIV Card #[0-9A-F]*:X\.509 Certificate for Digital Signature\) .*/\1/p' L.txt | head -n 1)
[ -n "$NICK02" ] && ok "9C certificate's nickname: '$NICK02'" ||
    not_ok "9C certificate listed as TOKEN:X.509 Certificate for Digital Signature (see L.txt)"

# ---- three CMS signers ------------------------------------------------------------
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
typed_pin() {	# command...: run on a terminal, the PIN typed at its prompt
	c=""
	for a in "$@"; do c="$c '$a'"; done
	(sleep 1; printf '%s\n' "$SMARTSIGN_PIN") | timeout 60 script -qec "$c" /dev/null
}
two_verifies() {	# name before: the signer logged in, then again for 9C
	d=$(($(counter verify) - $2))
	[ "$d" -eq 2 ] && ok "$1: login + context-specific login (2 VERIFYs)" ||
	    not_ok "$1: login + context-specific login (saw $d VERIFYs, want 2)"
}

v=$(counter verify)
check "OpenSSL: cms -sign with 9C (pkcs11 engine, PIN typed)" typed_pin \
    env OPENSSL_CONF="$WORK/openssl.cnf" openssl cms -sign -engine pkcs11 \
    -keyform engine -inkey "pkcs11:id=%02;type=private" -passin "pass:$SMARTSIGN_PIN" \
    -signer cert02.pem -md sha256 -in declaration.xml -binary -outform DER \
    -out by-openssl.p7s
two_verifies "OpenSSL" "$v"

v=$(counter verify)
check "NSS: cmsutil -S with 9C" cmsutil -S -T -G -N "$NICK02" -f pinfile -H SHA256 \
    -i declaration.xml -o by-nss.p7s -d "$DB"
two_verifies "NSS" "$v"

v=$(counter verify)
check "GnuTLS: certtool --p7-detached-sign with 9C" env GNUTLS_PIN="$SMARTSIGN_PIN" \
    certtool --provider "$MOD" --p7-detached-sign --hash SHA256 \
    --load-privkey "pkcs11:id=%02;type=private" --load-certificate cert02.pem \
    --infile declaration.xml --outder --outfile by-gnutls.p7s
two_verifies "GnuTLS" "$v"

# ---- every signature, every verifier --------------------------------------------
v_openssl() {	# p7s signer-out
	openssl cms -verify -inform DER -in "$1" -content declaration.xml -binary \
	    -CAfile "$SMARTSIGN_CA" -signer "$2" -out /dev/null
}
v_nss() {	# p7s db: cmsutil -D's report of signer 0
	cmsutil -D -n -h 2 -i "$1" -c declaration.xml -d "$2" 2>&1 |
	    sed -n 's/.*signer0\.status=\([A-Za-z]*\).*/\1/p'
}
v_gnutls() {	# p7s
	certtool --p7-verify --inder --infile "$1" --load-data declaration.xml \
	    --load-ca-certificate "$SMARTSIGN_CA"
}
for s in openssl nss gnutls; do
	f=by-$s.p7s
	check "$s's signature: openssl cms -verify -CAfile test CA" v_openssl $f signer.$s.pem
	check "$s's signature: the signer is the card's 9C certificate" cmp signer.$s.pem cert02.pem
	check_eq "$s's signature: cmsutil -D reports GoodSignature" GoodSignature "$(v_nss $f "$DB")"
	check "$s's signature: certtool --p7-verify with the test CA" v_gnutls $f
done
check_eq "cmsutil -D without the test CA: signer not trusted" SigningCertNotTrusted \
    "$(v_nss by-gnutls.p7s sql:untrusted)"
cp declaration.xml declaration.orig
sed -i 's/12500.00/125000.00/' declaration.xml
check_fail "changed declaration: openssl cms -verify fails" v_openssl by-nss.p7s x.pem
check_eq "changed declaration: cmsutil -D reports DigestMismatch" DigestMismatch \
    "$(v_nss by-openssl.p7s "$DB")"
check_fail "changed declaration: certtool --p7-verify fails" v_gnutls by-openssl.p7s
mv declaration.orig declaration.xml

# ---- Java: jarsigner ---------------------------------------------------------------
printf 'name = smartsign\nlibrary = %s\nslotListIndex = 0\n' "$MOD" > p11.cfg
KS="-keystore NONE -storetype PKCS11 -providerClass sun.security.pkcs11.SunPKCS11 -providerArg $WORK/p11.cfg"
check "keytool -importcert: test CA into truststore.jks" keytool -importcert -noprompt \
    -alias smartsign-test-ca -file "$SMARTSIGN_CA" -keystore truststore.jks \
    -storetype JKS -storepass changeit
mkdir -p jar && cp declaration.xml jar/
jar cf decl.jar -C jar declaration.xml && cp decl.jar decl-9a.jar
# shellcheck disable=SC2086
check "jarsigner signs with 9E (SHA256withECDSA)" jarsigner $KS \
    -storepass "$SMARTSIGN_PIN" -sigalg SHA256withECDSA -digestalg SHA-256 \
    -sigfile BROKER decl.jar "X.509 Certificate for Card Authentication"
jstrict() {	# out jar [options]: jarsigner -verify -strict, exit status in out.rc
	o=$1; shift
	jarsigner -verify -strict -verbose -certs "$@" > "$o" 2>&1
	echo $? > "$o.rc"
}
jstrict js-trust.txt decl.jar -keystore truststore.jks -storepass changeit
check_eq "jarsigner -verify -strict with the truststore: chain validated (exit 32 only)" \
    32 "$(cat js-trust.txt.rc)"
check_grep "jarsigner: jar verified" "^jar verified" js-trust.txt
grep -q "certificate chain is invalid" js-trust.txt &&
    not_ok "jarsigner with the truststore reports no invalid chain" ||
    ok "jarsigner with the truststore reports no invalid chain"
jstrict js-none.txt decl.jar
check_eq "jarsigner -verify -strict without it: chain not validated (exit 4)" \
    4 "$(cat js-none.txt.rc)"
check_grep "jarsigner says why" "certificate chain is invalid" js-none.txt
mkdir -p x && (cd x && unzip -q -o ../decl.jar 'META-INF/*')
check "openssl cms -verify -CAfile: META-INF/BROKER.EC over BROKER.SF" \
    openssl cms -verify -inform DER -in x/META-INF/BROKER.EC -content x/META-INF/BROKER.SF \
    -binary -CAfile "$SMARTSIGN_CA" -certsout x/signer.pem -out /dev/null
check "the jar's signer is the card's 9E certificate" cmp x/signer.pem cert04.pem
# shellcheck disable=SC2086
check "jarsigner signs with 9A (SHA256withRSA)" jarsigner $KS \
    -storepass "$SMARTSIGN_PIN" -sigalg SHA256withRSA -digestalg SHA-256 \
    decl-9a.jar "X.509 Certificate for PIV Authentication"
jstrict js-9a.txt decl-9a.jar -keystore truststore.jks -storepass changeit
check_eq "jarsigner -strict refuses 9A's clientAuth certificate for code (exit 8+32)" \
    40 "$(cat js-9a.txt.rc)"
check_grep "jarsigner says why" "ExtendedKeyUsage extension doesn't allow code signing" js-9a.txt

# ---- TLS 1.2 client authentication: openssl s_client with the engine ----------------
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout srv.key -subj /CN=127.0.0.1 -out srv.csr >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1\n' > srv.ext
openssl x509 -req -in srv.csr -CA "$SMARTSIGN_CA" -CAkey "$SMARTSIGN_CA_KEY" \
    -CAserial srv.srl -CAcreateserial -days 2 -extfile srv.ext -out srv.pem >/dev/null 2>&1
openssl s_server -accept 127.0.0.1:4433 -cert srv.pem -key srv.key -tls1_2 \
    -CAfile "$SMARTSIGN_CA" -Verify 1 -verify_return_error -www \
    -client_sigalgs RSA+SHA256:RSA+SHA384:RSA+SHA512 > srv.log 2>&1 &
SRV=$!
for _ in $(seq 100); do ss -ltn | grep -q '127.0.0.1:4433 ' && break; sleep 0.05; done
printf 'GET / HTTP/1.0\r\n\r\n' > get
k=$(counter keyops)
check_out "s_client TLS 1.2 client auth with 9A (pkcs11 engine)" tls12.txt \
    timeout 30 env OPENSSL_CONF="$WORK/openssl.cnf" openssl s_client \
    -connect 127.0.0.1:4433 -tls1_2 -engine pkcs11 -keyform engine \
    -key "pkcs11:id=%01;type=private" -pass "pass:$SMARTSIGN_PIN" -cert cert01.pem \
    -CAfile "$SMARTSIGN_CA" -verify_return_error -ign_eof < get
check_grep "s_server's log shows the broker certificate" \
    "^depth=0 C = US, O = Example Customs Brokerage, CN = Test Broker" srv.log
check_grep "s_server verified a PKCS#1 v1.5 CertificateVerify" "^Peer signature type: RSA$" tls12.txt
check_grep "over TLS 1.2" "Protocol *: TLSv1\.2" tls12.txt
[ $(($(counter keyops) - k)) -ge 1 ] && ok "the handshake signed on the card" ||
    not_ok "the handshake signed on the card (no keyop)"
done_testing
