#!/bin/sh
# tests/demo.sh - what "make demo" shows: a customs broker signs
# declarations with the PIV card in her reader, and the customs side
# verifies them.  Runs inside "tests/rig --no-card": a private pcscd whose
# reader starts empty; the demo makes the broker's card (an emulated PIV
# card, issued by the rig's test CA) and inserts it.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SMARTSIGN_BUILD:-$TOP/build}
S=$BUILD/smartsign-sign
EMU=$BUILD/smartsign-emu
DEMO=${SMARTSIGN_RIG_DIR:?run me through tests/rig --no-card}/demo
CA=$SMARTSIGN_CA
FILES="declaration.xml import-solar-modules.xml export-coffee.xml transit-auto-parts.xml"
FAILED=0
EMU_PID=""
trap '[ -n "$EMU_PID" ] && kill "$EMU_PID" 2>/dev/null' EXIT

if [ -t 1 ]; then B=$(printf '\033[1m') N=$(printf '\033[0m'); else B="" N=""; fi
say() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
note() { printf '   %s\n' "$@"; }
show() { printf '%s$ %s%s\n' "$B" "$*" "$N"; }
failed() { FAILED=1; printf '   !! %s\n' "$*"; }
counter() { awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' "$SMARTSIGN_EMU_COUNTERS"; }

mkdir -p "$DEMO" && cd "$DEMO" || exit 1
for f in $FILES; do cp "$TOP/examples/$f" .; done

say "1. The broker's smart card"
note "Dana Whitfield works for Harbor Line Customs Brokers.  Her PIV card" \
    "holds her signing key (slot 9C, ECDSA P-256) and a certificate issued by" \
    "the customs service's CA (here: the rig's test CA).  The card is" \
    "emulated: smartsign-emu plays it behind pcscd's vpcd reader driver."
"$EMU" create broker.card --ca-cert "$CA" --ca-key "$SMARTSIGN_CA_KEY" \
    --name "Dana Whitfield" --org "Harbor Line Customs Brokers" \
    --country NL --force >create.log 2>&1 || { cat create.log; exit 1; }
"$EMU" run --quiet --counters "$SMARTSIGN_EMU_COUNTERS" \
    "broker.card@$SMARTSIGN_EMU_PORT" 2>emu.log &
EMU_PID=$!
for _ in $(seq 100); do
	opensc-tool -l 2>/dev/null | grep -F "$SMARTSIGN_READER" | grep -q ' Yes ' && break
	sleep 0.1
done
note "She inserts it into the reader."

say "2. What pcscd sees"
show opensc-tool -l
opensc-tool -l
show opensc-tool -r "'$SMARTSIGN_READER'" -a
opensc-tool -r "$SMARTSIGN_READER" -a

say "3. She signs a declaration"
note "examples/declaration.xml is an import declaration (sample data)." \
    "smartsign-sign reaches the card only through smartsign's PKCS#11" \
    "module; it writes declaration.xml.p7s, a detached CMS signature."
show smartsign-sign sign declaration.xml
# The demo feeds the PIN through file descriptor 3 so it runs unattended.
# A real user types it at smartsign-sign's no-echo prompt, or on the
# reader's PIN pad; the PIN is never a command-line argument.
v0=$(counter verify)
"$S" sign --pin-fd 3 declaration.xml 3<<EOF || failed "signing declaration.xml failed"
$SMARTSIGN_PIN
EOF
note "(PIN typed once; the card checked it $(($(counter verify) - v0)) times:" \
    " once to log in, once more right before the 9C signature)"

say "4. Three more declarations, one PIN entry"
show smartsign-sign sign import-solar-modules.xml export-coffee.xml transit-auto-parts.xml
v0=$(counter verify)
"$S" sign --pin-fd 3 import-solar-modules.xml export-coffee.xml \
    transit-auto-parts.xml 3<<EOF || failed "signing the batch failed"
$SMARTSIGN_PIN
EOF
note "(PIN typed once for the batch; the 9C key wants it before every" \
    " signature, so smartsign-sign held it in locked memory and the card" \
    " checked it $(($(counter verify) - v0)) times; it is wiped now)"

say "5. The customs side verifies them (chain to the customs CA)"
note "Digest, signature, certificate chain to the CA, validity at the" \
    "signing time, key usage:"
for f in $FILES; do
	show smartsign-sign verify --ca customs-ca.pem "$f"
	"$S" verify --ca "$CA" "$f" || failed "$f did not verify"
done

say "6. OpenSSL, which nobody here wrote, accepts the same files"
for f in $FILES; do
	show openssl cms -verify -binary -inform DER -in "$f.p7s" -content "$f" -CAfile customs-ca.pem
	if openssl cms -verify -binary -inform DER -in "$f.p7s" -content "$f" \
	    -CAfile "$CA" -out /dev/null 2>openssl.log; then
		note "$f: $(cat openssl.log)"
	else
		cat openssl.log
		failed "openssl rejected $f"
	fi
done

say "7. A declaration changed after signing is caught"
sed 's/<Quantity unit="p\/st">480</<Quantity unit="p\/st">48</' declaration.xml >altered.xml
note "altered.xml: declaration.xml with 480 laptops turned into 48."
show smartsign-sign verify --ca customs-ca.pem altered.xml declaration.xml.p7s
"$S" verify --ca "$CA" altered.xml declaration.xml.p7s 2>&1
rc=$?
note "exit status $rc (3 = bad signature)"
[ "$rc" -eq 3 ] || failed "the altered declaration was not reported as a bad signature"

say "Who signed what, and when"
for f in $FILES; do
	out=$("$S" verify --ca "$CA" "$f" 2>&1)
	rc=$?
	who=$(printf '%s\n' "$out" | sed -n 's/^ *signer: *//p')
	when=$(printf '%s\n' "$out" | sed -n 's/^ *signed at: *//p')
	st=verified
	[ "$rc" -eq 0 ] || st="NOT verified (exit $rc)"
	printf '   %-26s %s\n   %-26s signed %s: %s\n' "$f" "$who" "" "$when" "$st"
done
if [ "$FAILED" -ne 0 ]; then
	say "Something above failed."
	exit 1
fi
say "All four declarations signed with one card, verified by smartsign and OpenSSL."
