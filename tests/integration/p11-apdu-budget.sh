# APDU budget of smartsign-pkcs11.so, in counts (what a user feels on a real
# card: several ms per APDU), from the emulator's "apdus" counter:
# - a cold signing flow in a fresh process (C_Initialize .. C_Finalize, one
#   CKM_SHA256_RSA_PKCS signature with 9A) sends at most 6 APDUs, driven
#   exactly by tests/tools/p11budget.py and, as users run it, by
#   pkcs11-tool --sign (which makes a few more calls);
# - each further 9A signature in the same session costs 1 APDU (one
#   extended GENERAL AUTHENTICATE: the emulated card takes extended APDUs),
#   each 9C signature at most 2 including its context-specific VERIFY;
# - reading every certificate twice in one process costs what reading
#   them once costs (the second pass is served from the cache).
# The same cold flow runs with OpenSC's PIV module for comparison (printed
# as "# smartsign N APDUs, OpenSC M APDUs"; ours must not cost more).
# Every signature made is verified with openssl against the card's
# certificate.
# rig:
. "$(dirname "$0")/../lib.sh"

MOD=$BUILD/smartsign-pkcs11.so
OSC=/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so
PY=/usr/bin/python3	# Debian's python3 has PyKCS11
BUDGET=$TOP/tests/tools/p11budget.py
N=5
cd "$WORK" || exit 1

# the card's certificates, read once with OpenSC (before any counting)
for id in 01 02; do
	pkcs11-tool --module "$OSC" --read-object --type cert --id $id \
	    -o cert$id.der >/dev/null 2>&1
	openssl x509 -inform DER -in cert$id.der -pubkey -noout > pub$id.pem 2>/dev/null
done
# r||s (PKCS#11 ECDSA) to DER for openssl
cat > der.py <<'EOF'
import sys
raw = open(sys.argv[1], "rb").read()
def integer(b):
    b = b.lstrip(b"\0") or b"\0"
    return b"\x02" + bytes([len(b) + (b[0] >> 7)]) + (b"\0" if b[0] & 0x80 else b"") + b
h = len(raw) // 2
body = integer(raw[:h]) + integer(raw[h:])
sys.stdout.buffer.write(b"\x30" + bytes([len(body)]) + body)
EOF
apdus() { counter apdus; }

# ---- cold flow ---------------------------------------------------------------------
check_out "minimal cold flow (p11budget.py cold)" cold.txt $PY "$BUDGET" cold "$MOD" "$SMARTSIGN_PIN"
cold=$(sed -n 's/^cold //p' cold.txt)
[ -n "$cold" ] && [ "$cold" -le 6 ] && ok "cold flow: $cold APDUs (at most 6)" ||
    not_ok "cold flow: '$cold' APDUs (at most 6)"
check "the cold flow's signature verifies with openssl" \
    openssl dgst -sha256 -verify pub01.pem -signature sig.cold data.cold
echo "# a private-key search before C_Login finds $(sed -n 's/^keys-before-login //p' cold.txt) key(s) (CKA_PRIVATE objects appear after login)"

head -c 100 /dev/urandom > data
a0=$(apdus)
check "pkcs11-tool --sign --id 01 -m SHA256-RSA-PKCS (cold)" pkcs11-tool \
    --module "$MOD" --sign --id 01 -m SHA256-RSA-PKCS -p "$SMARTSIGN_PIN" \
    -i data -o sig.tool
a1=$(apdus)
tool=$((a1 - a0))
[ "$tool" -le 6 ] && ok "pkcs11-tool cold signature: $tool APDUs (at most 6)" ||
    not_ok "pkcs11-tool cold signature: $tool APDUs (at most 6)"
check "pkcs11-tool's signature verifies with openssl" \
    openssl dgst -sha256 -verify pub01.pem -signature sig.tool data

# ---- warm signatures -----------------------------------------------------------------
v0=$(counter verify)
check_out "$N 9A and $N 9C signatures in one session" warm.txt \
    $PY "$BUDGET" warm "$MOD" "$SMARTSIGN_PIN" $N
v1=$(counter verify)
max9a=$(awk '$1 == "9a" { if ($2 > m) m = $2; n++ } END { print n + 0, m + 0 }' warm.txt)
max9c=$(awk '$1 == "9c" { if ($2 > m) m = $2; n++ } END { print n + 0, m + 0 }' warm.txt)
set -- $max9a
[ "$1" -eq $N ] && [ "$2" -le 1 ] && ok "further 9A signatures: at most $2 APDUs each (budget 1)" ||
    not_ok "further 9A signatures: $1 measured, up to $2 APDUs each (budget 1)"
set -- $max9c
[ "$1" -eq $N ] && [ "$2" -le 2 ] && ok "9C signatures: at most $2 APDUs each, VERIFY included (budget 2)" ||
    not_ok "9C signatures: $1 measured, up to $2 APDUs each (budget 2)"
[ $((v1 - v0)) -eq $((N + 1)) ] && ok "one login + one context VERIFY per 9C signature ($((v1 - v0)) VERIFYs)" ||
    not_ok "one login + one context VERIFY per 9C signature (saw $((v1 - v0)) VERIFYs, want $((N + 1)))"
i=0
while [ $i -lt $N ]; do
	check "warm 9A signature $i verifies with openssl" \
	    openssl dgst -sha256 -verify pub01.pem -signature sig.9a.$i data.warm
	$PY der.py sig.9c.$i > sig.9c.$i.der
	check "warm 9C signature $i verifies with openssl" \
	    openssl dgst -sha256 -verify pub02.pem -signature sig.9c.$i.der data.warm
	i=$((i + 1))
done

# ---- certificates: the cache ------------------------------------------------------------
check_out "read every certificate once" certs1.txt $PY "$BUDGET" certs "$MOD" "" 1
check_out "read every certificate twice in one process" certs2.txt $PY "$BUDGET" certs "$MOD" "" 2
once=$(sed -n 's/^certs-total //p' certs1.txt)
twice=$(sed -n 's/^certs-total //p' certs2.txt)
pass2=$(sed -n 's/^certs-pass 2 \([0-9]*\) .*/\1/p' certs2.txt)
check_grep "four certificates read" "^certs-pass 1 [0-9]+ \(4 certificates" certs1.txt
[ -n "$once" ] && [ "$once" = "$twice" ] &&
    ok "reading the certificates twice costs what once costs ($once APDUs)" ||
    not_ok "reading the certificates twice ($twice APDUs) costs what once costs ($once)"
[ "$pass2" = 0 ] && ok "the second pass sends no APDU" || not_ok "the second pass sent '$pass2' APDUs"

# ---- OpenSC for comparison --------------------------------------------------------------
check_out "minimal cold flow with OpenSC's module" cold-osc.txt \
    $PY "$BUDGET" cold "$OSC" "$SMARTSIGN_PIN"
osc=$(sed -n 's/^cold //p' cold-osc.txt)
a0=$(apdus)
pkcs11-tool --module "$OSC" --sign --id 01 -m SHA256-RSA-PKCS -p "$SMARTSIGN_PIN" \
    -i data -o sig.osc >/dev/null 2>&1
a1=$(apdus)
osctool=$((a1 - a0))
echo "# smartsign $cold APDUs, OpenSC $osc APDUs (minimal cold flow)"
echo "# smartsign $tool APDUs, OpenSC $osctool APDUs (pkcs11-tool --sign, cold)"
echo "# warm: 9A $(awk '$1 == "9a" { printf "%s ", $2 }' warm.txt)/ 9C $(awk '$1 == "9c" { printf "%s ", $2 }' warm.txt)APDUs; certificates: $once APDUs per process"
[ -n "$osc" ] && [ "$cold" -le "$osc" ] && ok "our cold flow costs no more than OpenSC's ($cold <= $osc)" ||
    not_ok "our cold flow costs no more than OpenSC's ($cold vs '$osc')"
done_testing
