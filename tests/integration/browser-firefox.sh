# Firefox ESR (headless) authenticates to a TLS server with the card's 9A
# key (RSA-2048, "PIV Authentication", EKU clientAuth) through
# smartsign-pkcs11.so, and Firefox itself logs in with the PIN.
#
# A fresh profile gets the module with modutil (as "Security Devices ->
# Load" would), the test CA as a trusted root and "Select Automatically" for
# client certificates.  Firefox runs headless with Marionette; our client
# (tests/tools/marionette.py) runs chrome-context JavaScript
# (tests/tools/firefox-login.js) that replaces the @mozilla.org/prompter;1
# factory with one answering the password prompt, and calls the token's
# login(false): PSM asks that prompter and passes the PIN to our C_Login.
# Then Firefox loads pages from two local openssl s_server instances that
# require a client certificate chaining to the test CA:
#   TLS 1.2, client signature algorithms RSA+SHA* only: PKCS#1 v1.5
#   TLS 1.3: RSA-PSS
# Checked: the servers verified the broker certificate (their logs and the
# -www page Firefox received), the signature type, one PIN prompt and one
# VERIFY for the whole session, the keyops on the card, and C_Login ->
# CKR_OK in the module's debug log of the Firefox process.  The EC card is
# covered by browser-firefox-ec.sh, the PIN prompt raised by a handshake
# (no explicit login) there as well.
# rig:
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tools/firefox-lib.sh"

MOD=$BUILD/smartsign-pkcs11.so
cd "$WORK" || exit 1
trap browser_cleanup EXIT
export NSS_DEFAULT_DB_TYPE=sql
P=$WORK/profile

check "test server certificate (CN/SAN 127.0.0.1, test CA)" tls_server_cert
check "s_server TLS 1.2, PKCS#1 v1.5 client signatures only, on 127.0.0.1:4431" \
    tls_server srv12 4431 -tls1_2 -client_sigalgs RSA+SHA256:RSA+SHA384:RSA+SHA512
check "s_server TLS 1.3 on 127.0.0.1:4432" tls_server srv13 4432 -tls1_3

check "fresh Firefox profile with the module (modutil) and the test CA" \
    ff_profile "$P" "$MOD"
# the token and the broker certificate's nickname, as NSS names them
check_out "certutil -L -h all lists the card's certificates" L.txt \
    certutil -L -d "sql:$P" -h all -f /dev/null
TOKEN=$(sed -n 's/^\(PIV Card #[0-9A-F]*\):X\.509 Certificate for PIV Authentication .*/\1/p' L.txt | head -n 1)
[ -n "$TOKEN" ] && ok "the 9A certificate is on token '$TOKEN'" ||
    not_ok "the 9A certificate is on a PIV token (see L.txt)"

v0=$(counter verify) k0=$(counter keyops) f0=$(counter verify_fail)
t0=$(date +%s)
check "Firefox starts headless with Marionette" ff_start "$P"
FFPID=$FF_PID

# ---- the PIN: Firefox's own login, answered by the replaced prompter -------
check_out "chrome JS: prompter replaced, token login(false)" login.json \
    mn chrome "$TOOLS/firefox-login.js" "$MOD" "$SMARTSIGN_PIN" login
check_eq "Firefox loaded the module as 'smartsign'" smartsign \
    "$(jsv login.json 'r["module"]')"
check_eq "Firefox sees one token, named as certutil does" "[\"$TOKEN\"]" \
    "$(jsv login.json '[t["name"] for t in r["tokens"]]')"
check_eq "the token needs a password and was not logged in" "[true, false]" \
    "$(jsv login.json '[r["tokens"][0]["hasPassword"], r["tokens"][0]["loggedInBefore"]]')"
check_eq "Firefox asked the prompter once for the PIN" 1 "$(jsv login.json 'r["asked"]')"
check_grep "the prompt names the token" "authenticate to .*$TOKEN" login.json
check_eq "the token is logged in" true "$(jsv login.json 'r["tokens"][0]["loggedIn"]')"
v1=$(counter verify)
check_eq "Firefox's login sent one VERIFY to the card" 1 $((v1 - v0))

# ---- TLS client authentication ---------------------------------------------
check "Firefox loads https://127.0.0.1:4431/ (TLS 1.2)" ff_page tls12 https://127.0.0.1:4431/
check_grep "s_server (TLS 1.2) verified the broker certificate" \
    "^depth=0 C = US, O = Example Customs Brokerage, CN = Test Broker" srv12.log
check_grep "page: the session is TLS 1.2" "Protocol *: TLSv1\.2" page.tls12.html
check_grep "page: Firefox signed with RSA PKCS#1 v1.5" "^Peer signature type: RSA$" page.tls12.html
k1=$(counter keyops)
[ $((k1 - k0)) -ge 1 ] && ok "the TLS 1.2 handshake signed on the card ($((k1 - k0)) keyops)" ||
    not_ok "the TLS 1.2 handshake signed on the card (keyops $k0 -> $k1)"

check "Firefox loads https://127.0.0.1:4432/ (TLS 1.3)" ff_page tls13 https://127.0.0.1:4432/
check_grep "s_server (TLS 1.3) verified the broker certificate" \
    "^depth=0 C = US, O = Example Customs Brokerage, CN = Test Broker" srv13.log
check_grep "page: the session is TLS 1.3" "Protocol *: TLSv1\.3" page.tls13.html
check_grep "page: Firefox signed with RSA-PSS" "^Peer signature type: RSA-PSS$" page.tls13.html
k2=$(counter keyops)
[ $((k2 - k1)) -ge 1 ] && ok "the TLS 1.3 handshake signed on the card ($((k2 - k1)) keyops)" ||
    not_ok "the TLS 1.3 handshake signed on the card (keyops $k1 -> $k2)"

# ---- one login for the session ---------------------------------------------
check_out "chrome JS: prompter and certificate database state" state.json \
    mn chrome "$TOOLS/firefox-state.js" "$TOKEN"
check_eq "no further PIN prompt during the handshakes" 1 "$(jsv state.json 'r["asked"]')"
check_eq "Firefox's certificate database lists the card's 4 certificates" 4 \
    "$(jsv state.json 'len(r["certs"])')"
check_grep "they are the broker's" "CN=Test Broker,O=Example Customs Brokerage,C=US" state.json
v2=$(counter verify) f2=$(counter verify_fail)
check_eq "one VERIFY for the whole browser session" 1 $((v2 - v0))
check_eq "no failed VERIFY" 0 $((f2 - f0))
check "Firefox quits" ff_stop
check_eq "no Firefox process left" "" "$(ff_left)"
echo "# Firefox run: $(($(date +%s) - t0)) s"

# the module's own log, written inside the Firefox process
check_grep "C_Login -> CKR_OK in Firefox's process" \
    "^smartsign\[$FFPID\]: C_Login -> CKR_OK" ff-p11.log
n=$(grep -c "^smartsign\[$FFPID\]: C_Sign -> CKR_OK" ff-p11.log)
[ "$n" -ge 2 ] && ok "Firefox's process made $n C_Sign calls" ||
    not_ok "Firefox's process made 2 or more C_Sign calls (saw $n)"
done_testing
