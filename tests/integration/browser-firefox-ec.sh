# Firefox ESR (headless) authenticates with an all-P-256 card's 9A key
# (ECDSA) through smartsign-pkcs11.so, and asks for the PIN by itself when
# the TLS server requests a client certificate: unlike browser-firefox.sh
# nothing logs in beforehand.  tests/tools/firefox-login.js (mode
# "prompter") only replaces the @mozilla.org/prompter;1 factory with one
# answering the password prompt, as a user typing the PIN would.
# Servers: TLS 1.3, and TLS 1.2 with ECDSA+SHA256 client signatures only.
# Checked: the broker certificate in the servers' logs, the ECDSA signature
# type on the page Firefox received, one prompt (raised by the first
# handshake, naming the token) and one VERIFY for the session, keyops on
# the card, C_Login -> CKR_OK in the module's log of the Firefox process.
# rig: --card "--variant ec"
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tools/firefox-lib.sh"

MOD=$BUILD/smartsign-pkcs11.so
cd "$WORK" || exit 1
trap browser_cleanup EXIT
export NSS_DEFAULT_DB_TYPE=sql
P=$WORK/profile

check "test server certificate (CN/SAN 127.0.0.1, test CA)" tls_server_cert
check "s_server TLS 1.3 on 127.0.0.1:4431" tls_server srv13 4431 -tls1_3
check "s_server TLS 1.2, ECDSA+SHA256 client signatures only, on 127.0.0.1:4432" \
    tls_server srv12 4432 -tls1_2 -client_sigalgs ECDSA+SHA256
check "fresh Firefox profile with the module (modutil) and the test CA" \
    ff_profile "$P" "$MOD"
check_out "certutil -L -h all lists the card's certificates" L.txt \
    certutil -L -d "sql:$P" -h all -f /dev/null
TOKEN=$(sed -n 's/^\(PIV Card #[0-9A-F]*\):X\.509 Certificate for PIV Authentication .*/\1/p' L.txt | head -n 1)
[ -n "$TOKEN" ] && ok "the 9A certificate is on token '$TOKEN'" ||
    not_ok "the 9A certificate is on a PIV token (see L.txt)"
pkcs11-tool --module "$MOD" --read-object --type cert --id 01 -o cert01.der >/dev/null 2>&1
openssl x509 -inform DER -in cert01.der -noout -text > cert01.txt 2>&1
check_grep "the card's 9A certificate is P-256" "ASN1 OID: prime256v1" cert01.txt

v0=$(counter verify) k0=$(counter keyops) f0=$(counter verify_fail)
t0=$(date +%s)
check "Firefox starts headless with Marionette" ff_start "$P"
FFPID=$FF_PID
check_out "chrome JS: prompter replaced (no login)" prompter.json \
    mn chrome "$TOOLS/firefox-login.js" "$MOD" "$SMARTSIGN_PIN" prompter
check_eq "Firefox sees the token, not logged in, no prompt yet" \
    "[\"$TOKEN\", false, 0]" \
    "$(jsv prompter.json '[r["tokens"][0]["name"], r["tokens"][0]["loggedIn"], r["asked"]]')"
check_eq "no VERIFY before the first handshake" 0 $(($(counter verify) - v0))

check "Firefox loads https://127.0.0.1:4431/ (TLS 1.3)" ff_page tls13 https://127.0.0.1:4431/
check_grep "s_server (TLS 1.3) verified the broker certificate" \
    "^depth=0 C = US, O = Example Customs Brokerage, CN = Test Broker" srv13.log
check_grep "page: the session is TLS 1.3" "Protocol *: TLSv1\.3" page.tls13.html
check_grep "page: Firefox signed with ECDSA" "^Peer signature type: ECDSA$" page.tls13.html
check_out "chrome JS: prompter state after the handshake" state1.json \
    mn chrome "$TOOLS/firefox-state.js" "$TOKEN"
check_eq "the handshake made Firefox ask for the PIN once" 1 "$(jsv state1.json 'r["asked"]')"
check_grep "the prompt names the token" "authenticate to .*$TOKEN" state1.json
v1=$(counter verify) k1=$(counter keyops)
check_eq "Firefox's login sent one VERIFY to the card" 1 $((v1 - v0))
[ $((k1 - k0)) -ge 1 ] && ok "the TLS 1.3 handshake signed on the card ($((k1 - k0)) keyops)" ||
    not_ok "the TLS 1.3 handshake signed on the card (keyops $k0 -> $k1)"

check "Firefox loads https://127.0.0.1:4432/ (TLS 1.2)" ff_page tls12 https://127.0.0.1:4432/
check_grep "s_server (TLS 1.2) verified the broker certificate" \
    "^depth=0 C = US, O = Example Customs Brokerage, CN = Test Broker" srv12.log
check_grep "page: the session is TLS 1.2" "Protocol *: TLSv1\.2" page.tls12.html
check_grep "page: Firefox signed with ECDSA (SHA-256)" "^Peer signature type: ECDSA$" page.tls12.html
k2=$(counter keyops)
[ $((k2 - k1)) -ge 1 ] && ok "the TLS 1.2 handshake signed on the card ($((k2 - k1)) keyops)" ||
    not_ok "the TLS 1.2 handshake signed on the card (keyops $k1 -> $k2)"

check_out "chrome JS: prompter state at the end" state2.json \
    mn chrome "$TOOLS/firefox-state.js" "$TOKEN"
check_eq "still one PIN prompt" 1 "$(jsv state2.json 'r["asked"]')"
check_eq "one VERIFY for the session, none failed" "1 0" \
    "$(($(counter verify) - v0)) $(($(counter verify_fail) - f0))"
check "Firefox quits" ff_stop
check_eq "no Firefox process left" "" "$(ff_left)"
echo "# Firefox run: $(($(date +%s) - t0)) s"
check_grep "C_Login -> CKR_OK in Firefox's process" \
    "^smartsign\[$FFPID\]: C_Login -> CKR_OK" ff-p11.log
done_testing
