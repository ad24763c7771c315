# Chromium (headless) with smartsign-pkcs11.so in its NSS database
# ($HOME/.pki/nssdb, HOME a temporary directory) and the
# AutoSelectCertificateForUrls policy.
#
# What this proves.  Headless Chromium has no way to take a PIN: when NSS
# needs a login it asks Chromium's password dialog, which nobody can answer
# headless, and vpcd (the rig's reader driver) has no PIN pad.  The card's
# 9E key needs no PIN (PIV PIN policy "never"): the module shows it and
# signs with it without C_Login.  All four PIV certificates share subject
# and issuer, so the policy's filter matches them all and Chromium picks by
# its own order: 9E's, and that is what the test asserts.  So:
#   control: the same headless harness (policy, trust, NSS database with
#     our module loaded) completes TLS client authentication with a
#     software key in the NSS database;
#   card: Chromium loads our module, reads the broker's certificates from
#     the card, gets the server's CertificateRequest, selects the card's
#     certificate by policy, and completes TLS client authentication with
#     the card's 9E key: C_Sign through the module, one private-key
#     operation on the card, no C_Login and no VERIFY, the server verifies
#     the broker certificate against the test CA and serves the page.
# Logging in with the PIN from a browser is tested with Firefox
# (browser-firefox*.sh), whose prompt a script can answer.
# The module is added with -mechanisms FRIENDLY (certificates readable
# without login, as NSS's tools need): without it Chromium's certificate
# search itself needs the PIN and stops before reading any certificate.
# pkcs11-spy (opensc-pkcs11) sits between NSS and the module to log the
# templates; it only passes the calls through.
# rig:
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tools/firefox-lib.sh"

MOD=$BUILD/smartsign-pkcs11.so
SPY=/usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so
CHROMIUM=/usr/lib/chromium/chromium
CHR_GRACE=${CHR_GRACE:-5}
cd "$WORK" || exit 1
trap browser_cleanup EXIT
export NSS_DEFAULT_DB_TYPE=sql
H=$WORK/home DB=sql:$WORK/home/.pki/nssdb
mkdir -p "$H/.pki/nssdb"

# ---- NSS database ------------------------------------------------------------
check "certutil -N: NSS database at \$HOME/.pki/nssdb" certutil -N -d "$DB" --empty-password
check "modutil -add: our module (through pkcs11-spy), FRIENDLY" env PKCS11SPY="$MOD" \
    PKCS11SPY_OUTPUT=/dev/null modutil -dbdir "$DB" -add smartsign -libfile "$SPY" \
    -mechanisms FRIENDLY -force
check "certutil -A: the test CA trusted" certutil -A -d "$DB" -n "Smartsign Test CA" \
    -t CT,C,C -i "$SMARTSIGN_CA"
# a software client certificate for the control run
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ctl.key \
    -subj "/O=Smartsign Test/CN=Software Control" -out ctl.csr >/dev/null 2>&1
printf 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n' > ctl.ext
openssl x509 -req -in ctl.csr -CA "$SMARTSIGN_CA" -CAkey "$SMARTSIGN_CA_KEY" \
    -CAserial ctl.srl -CAcreateserial -days 2 -extfile ctl.ext -out ctl.pem >/dev/null 2>&1
openssl pkcs12 -export -in ctl.pem -inkey ctl.key -name "Software Control" \
    -passout pass: -out ctl.p12 >/dev/null 2>&1
check "pk12util: software control certificate and key in the database" \
    pk12util -i ctl.p12 -d "$DB" -W "" -K ""
check_out "certutil -L -h all" L.txt env PKCS11SPY="$MOD" PKCS11SPY_OUTPUT=/dev/null \
    certutil -L -d "$DB" -h all
TOKEN=$(sed -n 's/^\(PIV Card #[0-9A-F]*\):X\.509 Certificate for PIV Authentication .*/\1/p' L.txt | head -n 1)
[ -n "$TOKEN" ] && ok "Chromium's database shows the card's 9A certificate on '$TOKEN'" ||
    not_ok "Chromium's database shows the card's 9A certificate (see L.txt)"
check_grep "and the software control certificate" "^Software Control +u,u,u" L.txt
pkcs11-tool --module "$MOD" --read-object --type cert --id 01 -o cert01.der >/dev/null 2>&1
CERT01=$(od -An -v -tx1 cert01.der | tr -d ' \n')

# ---- servers and the policy ----------------------------------------------------
check "test server certificate (CN/SAN 127.0.0.1, test CA)" tls_server_cert
check "s_server (control) on 127.0.0.1:4431" tls_server ctl 4431
check "s_server (card) on 127.0.0.1:4432" tls_server card 4432
# the policy directory is Chromium's system one: a tmpfs over /etc/chromium,
# in the rig's private mount namespace, keeps it away from the system
policy() {
	mount -t tmpfs -o mode=0755 tmpfs /etc/chromium &&
	mkdir -p /etc/chromium/policies/managed &&
	cat > /etc/chromium/policies/managed/smartsign-test.json <<'EOF'
{"AutoSelectCertificateForUrls": [
 "{\"pattern\":\"https://127.0.0.1:4431\",\"filter\":{\"SUBJECT\":{\"CN\":\"Software Control\"}}}",
 "{\"pattern\":\"https://127.0.0.1:4432\",\"filter\":{\"SUBJECT\":{\"CN\":\"Test Broker\"},\"ISSUER\":{\"CN\":\"Smartsign Test CA\"}}}"
]}
EOF
}
check "AutoSelectCertificateForUrls policy (private /etc/chromium)" policy

chromium_run() {	# tag url seconds [condition]: --dump-dom into dom.TAG.html
	# Runs until Chromium exits, or until the condition command succeeds
	# (then $CHR_GRACE seconds more, to see what follows), or for at most
	# the given seconds; kills what is left.  rc.TAG: Chromium's exit
	# status, or "killed".
	HOME=$H SMARTSIGN_DEBUG=$WORK/p11.$1.log PKCS11SPY=$MOD \
	    PKCS11SPY_OUTPUT=$WORK/spy.$1.log \
	    setsid timeout -k 5 "$3" "$CHROMIUM" --headless --no-sandbox \
	    --disable-gpu --disable-quic --no-first-run --disable-background-networking \
	    --disable-component-update --disable-sync --disable-extensions \
	    --user-data-dir="$WORK/ud.$1" --log-net-log="$WORK/netlog.$1.json" \
	    --dump-dom "$2" > "dom.$1.html" 2> "chromium.$1.err" &
	_pid=$!
	FF_PGIDS="$FF_PGIDS $_pid"
	_end=$(($(date +%s) + $3))
	while ! gone "$_pid" && [ "$(date +%s)" -lt "$_end" ]; do
		if [ $# -ge 4 ] && $4; then
			sleep "$CHR_GRACE"
			break
		fi
		sleep 0.2
	done
	if gone "$_pid"; then
		wait "$_pid"
		echo $? > "rc.$1"
	else
		echo killed > "rc.$1"
	fi
	kill_group "$_pid"
	wait "$_pid" 2>/dev/null
}
# netlog TAG: the net log's event names, one a line (a killed Chromium leaves
# the JSON unterminated)
netlog() {
	python3 - "netlog.$1.json" <<'PY'
import json, sys
s = open(sys.argv[1]).read().rstrip()
for tail in ("", "]}", "}]}"):
    try:
        j = json.loads((s.rstrip(",") + tail) if tail else s)
        break
    except ValueError:
        j = None
if j is None:
    sys.exit(1)
names = {v: k for k, v in j["constants"]["logEventTypes"].items()}
for e in j["events"]:
    p = e.get("params") or {}
    print(names.get(e["type"], e["type"]), p.get("net_error", ""))
PY
}

# ---- control: a software key ----------------------------------------------------
t0=$(date +%s)
chromium_run ctl https://127.0.0.1:4431/ 90
echo "# control run: $(($(date +%s) - t0)) s"
check_eq "control: Chromium exits 0 after dumping the page" 0 "$(cat rc.ctl)"
check_grep "control: s_server verified the software certificate" \
    "^depth=0 O = Smartsign Test, CN = Software Control" ctl.log
check_grep "control: Chromium got the page over TLS 1.3" "Protocol *: TLSv1\.3" dom.ctl.html
check_grep "control: Chromium loaded our module (C_Initialize)" \
    "^smartsign\[[0-9]+\]: C_Initialize -> CKR_OK" p11.ctl.log

# ---- the card ---------------------------------------------------------------------
v0=$(counter verify) k0=$(counter keyops)
t0=$(date +%s)
chromium_run card https://127.0.0.1:4432/ 60
echo "# card run: $(($(date +%s) - t0)) s, Chromium: $(cat rc.card)"
python3 "$TOOLS/p11spy.py" spy.card.log > calls.card.txt 2>&1
netlog card > net.card.txt 2>&1
check_grep "card: Chromium loaded our module (C_Initialize in its process)" \
    "^smartsign\[[0-9]+\]: C_Initialize -> CKR_OK" p11.card.log
check_grep "card: Chromium read the broker's 9A certificate through the module" \
    "^C_GetAttributeValue CKR_[A-Z_]+ .*out CKA_VALUE=$CERT01( |\$)" calls.card.txt
check_grep "card: the server's CertificateRequest reached Chromium (net log)" \
    "^SSL_CLIENT_CERT_REQUESTED" net.card.txt
check_grep "card: Chromium handed the request to certificate selection (net log)" \
    "^URL_REQUEST_DELEGATE_CERTIFICATE_REQUESTED" net.card.txt
# the four PIV certificates share subject and issuer, so the policy's filter
# matches them all and Chromium picks by its own order (9E's, the newest, on
# the standard card): any of the card's key IDs will do
check_grep "card: the policy's choice led Chromium to ask for that key (private key search)" \
    "^C_FindObjectsInit CKR_OK .*in CKA_ID=0[1-4] .*in CKA_CLASS=CKO_PRIVATE_KEY|^C_FindObjectsInit CKR_OK .*in CKA_CLASS=CKO_PRIVATE_KEY .*in CKA_ID=0[1-4]" \
    calls.card.txt
echo "# Chromium looked for the private key of: $(sed -n \
    's/^C_FindObjectsInit CKR_OK .*in CKA_ID=\(0[1-4]\) .*CKO_PRIVATE_KEY.*/\1/p' calls.card.txt | sort -u | tr '\n' ' ')"
grep -Eq "^C_FindObjectsInit CKR_OK .*CKA_ID=04" calls.card.txt &&
    ok "card: Chromium chose the 9E key (no PIN needed)" ||
    not_ok "card: Chromium chose the 9E key (no PIN needed)"
grep -q "C_Login" calls.card.txt p11.card.log &&
    not_ok "card: no C_Login (9E needs no PIN)" || ok "card: no C_Login (9E needs no PIN)"
check_grep "card: Chromium signed through the module (C_Sign)" "^C_Sign(Init)? CKR_OK" calls.card.txt
check_eq "card: one private-key operation on the card, no VERIFY" "0 1" \
    "$(($(counter verify) - v0)) $(($(counter keyops) - k0))"
check_grep "card: s_server verified the broker certificate from the card" \
    "^depth=0 .*CN = Test Broker" card.log
check_grep "card: Chromium got the page over TLS with client authentication" \
    "Protocol *:" dom.card.html
check_eq "no Chromium process left" "" "$(ff_left; ps -eo args= | grep -F -- "$WORK/ud." | grep -v grep)"
done_testing
