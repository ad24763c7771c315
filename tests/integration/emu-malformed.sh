# Malformed APDUs through the real pcscd + vpcd: every instruction with
# truncated, oversized, wrong-Lc and wrong-tag bodies gets the status word a
# real PIV card returns, and the emulator keeps serving afterwards.
# rig:
. "$(dirname "$0")/../lib.sh"

APDU=$BUILD/tests/pcsc-apdu
SEL=00A4040009A00000030800001000
F16=$(printf 'FF%.0s' $(seq 16))
B255=$(printf 'AB%.0s' $(seq 255))
VFY=0020008008313233343536FFFF
H32=$(printf "11%.0s" $(seq 32))

# name | commands (the last one is checked) | expected SW (regex)
while IFS='|' read -r name cmd want; do
	[ -n "$name" ] || continue
	# shellcheck disable=SC2086
	out=$("$APDU" "$SMARTSIGN_READER" $SEL $cmd 2>&1 | tail -n 1)
	sw=$(printf '%s' "$out" | tail -c 4)
	if printf '%s' "$sw" | grep -Eq "^($want)\$"; then
		ok "$name -> $sw"
	else
		not_ok "$name: expected $want, got '$out'"
	fi
done <<EOT
SELECT with Lc longer than the data|00A4040009A000000308|6700
SELECT with wrong P1 P2|00A4010009A00000030800001000|6A86
SELECT of an unknown AID|00A4040005A000000999|6A82
SELECT with an oversized AID|00A40400FF$B255|6A82|6A80|6700
GET DATA with Lc one byte too long|00CB3FFF055C035FC1|6700
GET DATA with a wrong tag list tag|00CB3FFF055D035FC10500|6A80
GET DATA with a lying inner length|00CB3FFF055C055FC10500|6A80
GET DATA with wrong P1 P2|00CB0000055C035FC10500|6A86
GET DATA without data|00CB3FFF00|6A80
GET DATA of an absent object|00CB3FFF055C035FC12000|6A82
GET DATA with 255 bytes of garbage|00CB3FFFFF$B255|6A80
PUT DATA with Lc one byte too long|00DB3FFF0B5C035FC1055303010203|6700
PUT DATA without management key, well formed|00DB3FFF0B5C035FC1055304010203FF|6982
VERIFY with a 4-byte PIN block|002000800431323334|6A80
VERIFY with a 16-byte PIN block|0020008010$F16|6A80
VERIFY of the global PIN reference|0020000008313233343536FFFF|6A88
VERIFY with bad P1|002001800831323334353637FF|6A86
CHANGE REFERENCE DATA with 8 bytes|00240080083132333435363738|6A80
CHANGE REFERENCE DATA, unknown reference|0024009910$F16|6A88
RESET RETRY COUNTER with 8 bytes|002C0080083132333435363738|6A80
GENERAL AUTHENTICATE with a wrong template tag|$VFY 0087079A047D028200|6A80
GENERAL AUTHENTICATE with a truncated template|$VFY 0087079A047C058200|6A80
GENERAL AUTHENTICATE on 9C after log-out|0020FF80 0087119C267C2482008120$H32|6982
GENERAL AUTHENTICATE with a short RSA block|0087079A087C06820081020102|6A80|6982
GENERAL AUTHENTICATE on a non-key reference|00870799047C028200|6A86
GENERAL AUTHENTICATE with the wrong algorithm|0087119A047C028200|6A80
GENERATE without management key|0047009A05AC03800107|6982
GET METADATA of a non-key reference|00F7000099|6A86
unknown instruction|00EE000000|6D00
proprietary CLA|80A4040009A00000030800001000|6E00
GET RESPONSE with nothing pending|00C0000000|6985
a 6-byte APDU (neither short nor extended)|00A404000001|6700|ERR.*
EOT

# after all of it the card still serves
out=$("$APDU" "$SMARTSIGN_READER" $SEL 00CB3FFF035C017E00 2>&1 | tail -n 1)
case "$out" in 7E*9000) ok "emulator still serves (discovery object read)" ;;
*) not_ok "emulator still serves: '$out'" ;; esac
kill -0 "$SMARTSIGN_EMU_PID" 2>/dev/null && ok "emulator process alive" ||
    not_ok "emulator process died"
check "OpenSC still lists the token" pkcs11-tool \
    --module /usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so -L
done_testing
