# kill -9 of the emulator while it writes its card file (PUT DATA of a
# certificate, key generation) never leaves a broken card: 100 rounds, each
# followed by a load of the card file; the card still signs through pcscd
# every 20 rounds and at the end, verified with openssl.  The card file
# lives on the build disk (not the rig's tmpfs) so saves take real fsyncs.
# rig:
. "$(dirname "$0")/../lib.sh"

EMU=$BUILD/smartsign-emu
R=$SMARTSIGN_READER
ROUNDS=${SMARTSIGN_KILL9_ROUNDS:-100}
DIR=$TOP/build/kill9.$$
mkdir -p "$DIR" && chmod 700 "$DIR"
CARD=$DIR/card.bin
OSC=/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so
cd "$WORK" || exit 1

emu_pid=$SMARTSIGN_EMU_PID
writer=""
cleanup() {
	[ -n "$writer" ] && kill "$writer" 2>/dev/null
	kill "$emu_pid" 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT

card_in() {	# [TRIES]: wait until pcscd sees a card in the reader
	for _ in $(seq "${1:-60}"); do
		opensc-tool -l 2>/dev/null | grep -F "$R" | grep -q '^[0-9]* *Yes' && return 0
		sleep 0.05
	done
	return 1
}

card_out() {	# wait until pcscd has noticed the card is gone
	for _ in $(seq 100); do
		opensc-tool -l 2>/dev/null | grep -F "$R" | grep -q '^[0-9]* *No' && return 0
		sleep 0.05
	done
	return 1
}

# After a card dies in the middle of an APDU, pcscd 1.9.9 + vpcd can keep
# the slot "present but unpowered" and never power the new connection up;
# re-seating the card (pull, re-insert) makes pcscd notice it, as a user
# would do with a real card.
start_emu() {
	"$EMU" run --quiet "$CARD@$SMARTSIGN_EMU_PORT" 2>>"$WORK/emu.log" &
	emu_pid=$!
	card_in 12 && return 0
	kill -USR1 "$emu_pid" && card_out && kill -USR2 "$emu_pid" && card_in
}

# move the rig's card to the build disk and serve it from there
kill -TERM "$emu_pid"; wait "$emu_pid" 2>/dev/null
cp "$SMARTSIGN_CARD" "$CARD" && chmod 600 "$CARD"
start_emu || { not_ok "emulator restarted on the disk copy"; done_testing; exit 1; }

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout k.pem \
    -subj "/CN=kill9" -x509 -days 5 -out big.pem 2>/dev/null

write_loop() {	# endless PUT DATA and GENERATE through yubico-piv-tool
	while :; do
		yubico-piv-tool -r "$R" -k"$SMARTSIGN_MGMT_KEY" -a import-certificate \
		    -s 9d -i big.pem >/dev/null 2>&1
		yubico-piv-tool -r "$R" -k"$SMARTSIGN_MGMT_KEY" -a generate -s 9d \
		    -A ECCP256 -o /dev/null >/dev/null 2>&1
	done
}

sign_check() {	# 9A still signs, verified against its certificate
	pkcs11-tool --module "$OSC" --read-object --type cert --id 01 -o c.der >/dev/null 2>&1 &&
	openssl x509 -inform DER -in c.der -pubkey -noout > p.pem &&
	echo "round $1" > data &&
	pkcs11-tool --module "$OSC" --sign --id 01 -m SHA256-RSA-PKCS -p "$SMARTSIGN_PIN" \
	    -i data -o sig >/dev/null 2>&1 &&
	openssl dgst -sha256 -verify p.pem -signature sig data >/dev/null
}

loads=0 midsave=0 signs=0 bad=""
for i in $(seq "$ROUNDS"); do
	write_loop & writer=$!
	sleep "0.$(shuf -i 150-450 -n 1)"
	kill -KILL "$emu_pid"; wait "$emu_pid" 2>/dev/null
	kill "$writer" 2>/dev/null; wait "$writer" 2>/dev/null; writer=""
	pkill -f "yubico-piv-tool -r $R" 2>/dev/null
	card_out || bad="$bad $i(still-present)"
	if ls "$DIR"/card.bin.tmp-* >/dev/null 2>&1; then
		midsave=$((midsave + 1))	# killed inside a save
		rm -f "$DIR"/card.bin.tmp-*
	fi
	if "$EMU" show "$CARD" > show.txt 2>&1; then
		loads=$((loads + 1))
	else
		bad="$bad $i"; sed 's/^/#   /' show.txt | head -5
	fi
	start_emu || { bad="$bad $i(restart)"; break; }
	if [ $((i % 20)) -eq 0 ]; then
		sign_check "$i" && signs=$((signs + 1)) || bad="$bad $i(sign)"
	fi
done

[ "$loads" -eq "$ROUNDS" ] && ok "card file loads after all $ROUNDS kill -9 rounds" ||
    not_ok "card file failed to load after rounds:$bad"
[ "$signs" -eq $((ROUNDS / 20)) ] && ok "9A signed and verified every 20 rounds ($signs times)" ||
    not_ok "signing failed after rounds:$bad"
check "9A signs after the last round" sign_check final
echo "# $midsave of $ROUNDS kills left a half-written temporary file beside the card"
[ -z "$bad" ] && ok "no round failed" || not_ok "failed rounds:$bad"
done_testing
