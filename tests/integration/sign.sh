# smartsign-sign through the real stack: our PKCS#11 module (and OpenSC's),
# pcscd, vpcd, the emulated card.  One file and a batch of four with one
# PIN (the emulator counts one VERIFY for the login plus one per 9C
# signature, none failed, none retried), RSA 9A PKCS#1 and PSS, ECDSA 9C,
# every signature checked by our verify AND openssl cms -verify; our verify
# accepts openssl cms -sign output; each verify exit code provoked; a
# wrong PIN stops at once; the PIN appears in no output.
# rig: --card "--variant mixed"
. "$(dirname "$0")/../lib.sh"

S=$BUILD/smartsign-sign
OSC=/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so
CA=$SMARTSIGN_CA
cd "$WORK" || exit 1
printf '%s\n' "$SMARTSIGN_PIN" >pin
printf '%s\n' 999999 >badpin
EMU2=""
trap '[ -n "$EMU2" ] && kill "$EMU2" 2>/dev/null' EXIT

for n in 1 2 3 4 5; do
	printf '<declaration n="%s"><value currency="EUR">%s00.00</value></declaration>\n' \
	    "$n" "$n" >decl$n.xml
done

# sign_ OUT ARGS...: sign with the PIN on fd 3, output in OUT
sign_() { out=$1; shift; check_out "$name" "$out" "$S" sign --pin-fd 3 "$@" 3<pin; }
# osslv FILE SIG [ARGS...]: openssl's verdict
osslv() {
	f=$1 s=$2; shift 2
	openssl cms -verify -binary -inform DER -in "$s" -content "$f" \
	    -CAfile "$CA" -out /dev/null "$@"
}
# rc_is NAME WANT CMD...: pass when CMD exits with WANT
rc_is() {
	name=$1 want=$2; shift 2
	"$@" >"rc.$T_N.out" 2>&1
	rc=$?
	if [ "$rc" -eq "$want" ]; then ok "$name"; else
		not_ok "$name (exit $rc, want $want)"
		sed 's/^/#   /' "rc.$T_N.out" | tail -n 20
	fi
}

# ---- one file, 9C (ECDSA, the default key) ---------------------------------
v0=$(counter verify) f0=$(counter verify_fail)
name="9C: sign one file (default key, PIN on fd 3)"
sign_ one.out decl1.xml
v1=$(counter verify)
[ $((v1 - v0)) -eq 2 ] && ok "one 9C signature: 2 VERIFYs (login + context)" ||
    not_ok "one 9C signature: $((v1 - v0)) VERIFYs, want 2"
check_grep "header names the 9C key and ECDSA" "9C \(id 02\).*ECDSA with SHA256" one.out
check "9C: our verify" "$S" verify --ca "$CA" decl1.xml
check "9C: openssl cms -verify" osslv decl1.xml decl1.xml.p7s
check "9C: openssl cms -verify -cades (ESS signing-certificate-v2)" \
    osslv decl1.xml decl1.xml.p7s -cades
openssl cms -cmsout -print -inform DER -in decl1.xml.p7s >print.out 2>&1
for a in contentType signingTime messageDigest signingCertificateV2; do
	check_grep "signed attribute $a present" "$a" print.out
done

# ---- a batch of four with one PIN entry --------------------------------------
v0=$(counter verify) k0=$(counter keyops)
name="9C: sign a batch of 4 with one PIN"
sign_ batch.out decl2.xml decl3.xml decl4.xml decl5.xml
v1=$(counter verify) k1=$(counter keyops)
[ $((v1 - v0)) -eq 5 ] && ok "batch of 4: 5 VERIFYs (1 login + 1 per signature)" ||
    not_ok "batch of 4: $((v1 - v0)) VERIFYs, want 5"
[ $((k1 - k0)) -eq 4 ] && ok "batch of 4: 4 private-key operations" ||
    not_ok "batch of 4: $((k1 - k0)) key operations, want 4"
[ "$(counter verify_fail)" -eq "$f0" ] && ok "no VERIFY failed" ||
    not_ok "$(( $(counter verify_fail) - f0 )) VERIFYs failed"
check_grep "batch: one PIN entry reported" "4 files signed with one PIN entry" batch.out
for n in 2 3 4 5; do
	check "batch file $n: our verify" "$S" verify -q --ca "$CA" decl$n.xml
	check "batch file $n: openssl cms -verify" osslv decl$n.xml decl$n.xml.p7s
done
check_fail "existing .p7s is not replaced without --force" \
    "$S" sign --pin-fd 3 decl1.xml 3<pin

# ---- RSA 9A: PKCS#1 v1.5 and PSS; ECDSA with SHA-384 ------------------------
# 9A's certificate has EKU clientAuth only: openssl cms -verify's default
# purpose (S/MIME signing) refuses it, hence -purpose any.
name="9A: RSA PKCS#1 v1.5"
sign_ a.out --key 9a -o decl1.9a.p7s decl1.xml
check_grep "9A header says RSA PKCS#1" "RSA PKCS#1 v1.5 with SHA256" a.out
check "9A PKCS#1: our verify" "$S" verify --ca "$CA" decl1.xml decl1.9a.p7s
check "9A PKCS#1: openssl cms -verify" osslv decl1.xml decl1.9a.p7s -purpose any
name="9A: RSA-PSS"
sign_ pss.out --key 'pkcs11:id=%01;type=private' --pss -o decl1.pss.p7s decl1.xml
check "9A PSS: our verify" "$S" verify --ca "$CA" decl1.xml decl1.pss.p7s
check "9A PSS: openssl cms -verify" osslv decl1.xml decl1.pss.p7s -purpose any
openssl cms -cmsout -print -inform DER -in decl1.pss.p7s >pss.print 2>&1
check_grep "9A PSS: signature algorithm is rsassaPss" "rsassaPss" pss.print
name="9C: ECDSA with SHA-384"
sign_ ec384.out --digest sha384 -o decl1.384.p7s decl1.xml
check "9C SHA-384: our verify" "$S" verify --ca "$CA" decl1.xml decl1.384.p7s
check "9C SHA-384: openssl cms -verify" osslv decl1.xml decl1.384.p7s
rc_is "--pss with the EC key is a usage error (2)" 2 \
    "$S" sign --pss --pin-fd 3 -o x.p7s decl1.xml 3<pin

# ---- the PIN typed at the terminal prompt (a pty), echo off -------------------
# pty_run CMD...: run CMD on a pseudo-terminal, type the PIN when it asks
pty_run() {
	python3 - "$@" <<'PY'
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out, sent, end = b"", False, time.time() + 120
while time.time() < end:
    if not select.select([fd], [], [], 0.5)[0]:
        continue
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
    if not sent and b"PIN for" in out:
        os.write(fd, (os.environ["SMARTSIGN_PIN"] + "\n").encode())
        sent = True
st = os.waitpid(pid, 0)[1]
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(st))
PY
}
v0=$(counter verify)
check_out "PIN typed at the no-echo prompt (pty)" tty.out pty_run "$S" sign \
    -o decl1.tty.p7s decl1.xml
check_grep "the prompt names the token" 'PIN for "' tty.out
check "prompt signature verifies" "$S" verify -q --ca "$CA" decl1.xml decl1.tty.p7s
[ $(($(counter verify) - v0)) -eq 2 ] && ok "prompt: 2 VERIFYs for one 9C signature" ||
    not_ok "prompt: $(($(counter verify) - v0)) VERIFYs"

# ---- key selection by URI ----------------------------------------------------
label=$(sed -n 's/.*on token "\([^"]*\)".*/\1/p' one.out | head -n 1)
enc=$(printf '%s' "$label" | sed 's/%/%25/g; s/ /%20/g; s/#/%23/g')
name="URI with token label, id and type"
sign_ uri.out --key "pkcs11:token=$enc;id=%02;type=private" -o decl1.uri.p7s decl1.xml
check "URI signature verifies" "$S" verify -q --ca "$CA" decl1.xml decl1.uri.p7s
rc_is "URI naming another token: error (1)" 1 \
    "$S" sign --pin-fd 3 --key "pkcs11:token=No%20Such;id=%02" -o y.p7s decl1.xml 3<pin
rc_is "URI with an unknown attribute: usage error (2)" 2 \
    "$S" sign --pin-fd 3 --key "pkcs11:id=%02;colour=red" decl1.xml 3<pin
rc_is "URI with pin-value: usage error (2)" 2 \
    "$S" sign --key "pkcs11:id=%02?pin-value=$SMARTSIGN_PIN" decl1.xml
check_grep "pin-value refusal explains why" "PIN never goes on the command line" "rc.$((T_N - 1)).out"

# ---- openssl cms -sign output, made with a software key of the test CA --------
openssl ecparam -name prime256v1 -genkey -noout -out sw.key 2>/dev/null
openssl req -new -key sw.key -subj "/CN=Software Broker/O=Sample" -out sw.csr 2>/dev/null
printf 'keyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=emailProtection\n' >sw.ext
openssl x509 -req -in sw.csr -CA "$CA" -CAkey "$SMARTSIGN_CA_KEY" \
    -CAcreateserial -days 30 -extfile sw.ext -out sw.pem 2>/dev/null
check "openssl cms -sign with a software key" openssl cms -sign -binary \
    -outform DER -in decl1.xml -signer sw.pem -inkey sw.key -out decl1.sw.p7s
check_out "our verify accepts openssl cms -sign output" sw.out \
    "$S" verify --ca "$CA" decl1.xml decl1.sw.p7s
check_grep "it names the software signer" "CN=Software Broker" sw.out

# ---- --chain, --cert, and a certificate that is not the key's ----------------
name="--chain adds the CA certificate"
sign_ chain.out --chain "$CA" -o decl1.chain.p7s decl1.xml
n=$(openssl pkcs7 -inform DER -in decl1.chain.p7s -print_certs 2>/dev/null | grep -c '^subject')
[ "$n" -eq 2 ] && ok "--chain: the .p7s holds 2 certificates" || not_ok "--chain: $n certificates"
check "--chain: verifies" "$S" verify -q --ca "$CA" decl1.xml decl1.chain.p7s
openssl pkcs7 -inform DER -in decl1.xml.p7s -print_certs -out c9c.pem 2>/dev/null
name="--cert with the key's own certificate"
sign_ cert.out --cert c9c.pem -o decl1.cert.p7s decl1.xml
check "--cert: verifies" "$S" verify -q --ca "$CA" decl1.xml decl1.cert.p7s
rc_is "--cert with another key's certificate: error (1), caught before writing" 1 \
    "$S" sign --pin-fd 3 --cert sw.pem -o decl1.wrong.p7s decl1.xml 3<pin
check_grep "the self-check says why" "does not verify with its certificate" "rc.$((T_N - 1)).out"
[ ! -e decl1.wrong.p7s ] && ok "no .p7s written for the wrong certificate" ||
    not_ok "a .p7s was written for the wrong certificate"

# ---- each verify exit code ---------------------------------------------------
sed 's/100.00/900.00/' decl1.xml >tampered.xml
rc_is "tampered content: bad signature (3)" 3 \
    "$S" verify --ca "$CA" tampered.xml decl1.xml.p7s
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout other.key -subj "/CN=Other CA" -days 30 -out other.pem 2>/dev/null
rc_is "another CA: untrusted (4)" 4 "$S" verify --ca other.pem decl1.xml
head -c 600 /dev/urandom >garbage.p7s
rc_is "garbage: malformed (6)" 6 "$S" verify --ca "$CA" decl1.xml garbage.p7s
head -c 300 decl1.xml.p7s >trunc.p7s
rc_is "truncated .p7s: malformed (6)" 6 "$S" verify --ca "$CA" decl1.xml trunc.p7s
: >empty.p7s
rc_is "empty .p7s: malformed (6)" 6 "$S" verify --ca "$CA" decl1.xml empty.p7s
rc_is "verify without --ca: usage (2)" 2 "$S" verify decl1.xml

# ---- a wrong PIN stops at once -----------------------------------------------
f0=$(counter verify_fail) k0=$(counter keyops)
rc_is "wrong PIN: exit 7" 7 "$S" sign --pin-fd 3 -o w1.p7s decl1.xml 3<badpin
f1=$(counter verify_fail) k1=$(counter keyops)
[ $((f1 - f0)) -eq 1 ] && ok "wrong PIN tried exactly once" ||
    not_ok "wrong PIN tried $((f1 - f0)) times"
[ "$k1" -eq "$k0" ] && [ ! -e w1.p7s ] && ok "nothing signed with a wrong PIN" ||
    not_ok "something was signed with a wrong PIN"
name="the right PIN works again (tries reset)"
sign_ again.out -o w2.p7s decl1.xml

# ---- OpenSC's module ----------------------------------------------------------
name="--module OpenSC: 9A signs"
sign_ osc.out --module "$OSC" --key 9a -o decl1.osc.p7s decl1.xml
check "OpenSC 9A: our verify" "$S" verify --ca "$CA" decl1.xml decl1.osc.p7s
check "OpenSC 9A: openssl cms -verify" osslv decl1.xml decl1.osc.p7s -purpose any

# ---- expired certificates: swap in a card whose certificates expired ----------
"$BUILD/smartsign-emu" create expired.card --ca-cert "$CA" \
    --ca-key "$SMARTSIGN_CA_KEY" --cert-start-days -800 --cert-days 730 \
    >create.out 2>&1
card_in() { opensc-tool -l 2>/dev/null | grep -F "$SMARTSIGN_READER" | grep -q ' Yes '; }
kill "$SMARTSIGN_EMU_PID" 2>/dev/null
for _ in $(seq 100); do card_in || break; sleep 0.1; done
"$BUILD/smartsign-emu" run --quiet expired.card@"$SMARTSIGN_EMU_PORT" 2>emu2.log &
EMU2=$!
for _ in $(seq 100); do card_in && break; sleep 0.1; done
name="expired card: sign (with a warning)"
sign_ exp.out -o decl1.exp.p7s decl1.xml
check_grep "expired card: the signer is warned" "certificate has expired" exp.out
rc_is "expired certificate: expired (5)" 5 \
    "$S" verify --ca "$CA" decl1.xml decl1.exp.p7s
check_grep "expired: the message gives the dates" "had expired at the signing time" "rc.$((T_N - 1)).out"

# ---- the PIN appears in no output --------------------------------------------
if cat ./*.out check.*.log rc.*.out 2>/dev/null | grep -q -- "$SMARTSIGN_PIN"; then
	not_ok "the PIN appears in an output"
else
	ok "the PIN appears in no output"
fi
done_testing
