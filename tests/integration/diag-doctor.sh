# smartsign-diag doctor: with the rig's pcscd up; against a made-up
# installation (--root: sysfs with USB readers, drivers, udev rules and
# their database, p11-kit files; HOME with Firefox profiles and a Chromium
# NSS database); and with pcscd stopped, which it must report as exactly
# that, with the fix.
# rig:
. "$(dirname "$0")/../lib.sh"

D=$BUILD/smartsign-diag
MOD=$BUILD/smartsign-pkcs11.so

json() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
c = {}
for x in d["checks"]:
    c.setdefault(x["check"], []).append(x)
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$1" "$2"
}

check_json() {
	if json "$2" "$3" 2>"$WORK/json.err"; then
		ok "$1"
	else
		not_ok "$1 (false: $3)"
		sed 's/^/#   /' "$2" | head -n 60
		sed 's/^/#   /' "$WORK/json.err"
	fi
}

# ---- the rig as it is: pcscd up, no USB
check_out "doctor (pcscd up)" "$WORK/up.txt" "$D" doctor --module "$MOD"
check_grep "pcscd installed" "^\\[ OK \\] pcscd installed" "$WORK/up.txt"
check_grep "pcscd socket usable" "^\\[ OK \\] pcscd socket: /run/pcscd/pcscd.comm mode 0666" \
    "$WORK/up.txt"
check_grep "pcscd running" "^\\[ OK \\] pcscd running: pid $SMARTSIGN_PCSCD_PID\$" \
    "$WORK/up.txt"
check_grep "pcscd reachable, the rig's readers" \
    "^\\[ OK \\] pcscd reachable: answers; 2 readers" "$WORK/up.txt"
check_grep "module found" "^\\[ OK \\] PKCS#11 module: $MOD" "$WORK/up.txt"
"$D" doctor --json --module "$MOD" >"$WORK/up.json"
check_json "doctor --json: no failure, fixes only on warnings" "$WORK/up.json" "
d['summary']['failed'] == 0 and
all((x['fix'] is None) == (x['status'] not in ('warn', 'fail'))
for x in d['checks'] if x['status'] in ('ok', 'info', 'skip')) and
c['pcscd_reachable'][0]['status'] == 'ok'"

# ---- a made-up installation
F=$WORK/root
H=$WORK/home
dev() {	# name vendor product class [dev]
	mkdir -p "$F/sys/bus/usb/devices/$1" "$F/sys/bus/usb/devices/$1:1.0"
	echo "$2" >"$F/sys/bus/usb/devices/$1/idVendor"
	echo "$3" >"$F/sys/bus/usb/devices/$1/idProduct"
	echo "$4" >"$F/sys/bus/usb/devices/$1:1.0/bInterfaceClass"
	[ -n "${5:-}" ] && echo "$5" >"$F/sys/bus/usb/devices/$1/dev"
	echo "product $1" >"$F/sys/bus/usb/devices/$1/product"
}
dev 1-1 072f b100 0b 189:1		# ACS ACR39U, CCID
dev 1-2 1234 5678 0b 189:2		# a CCID reader not in the table
dev 1-3 0c4b 0501 ff 189:3		# cyberJack RFID komfort, not CCID
dev 1-4 046d c31c 03 189:4		# a keyboard
mkdir -p "$F/usr/lib/pcsc/drivers/ifd-ccid.bundle/Contents/Linux" \
    "$F/usr/sbin" "$F/etc/udev/rules.d" "$F/run/udev/data" \
    "$F/usr/share/p11-kit/modules" "$F/etc/pkcs11/modules"
: >"$F/usr/lib/pcsc/drivers/ifd-ccid.bundle/Contents/Info.plist"
: >"$F/usr/lib/pcsc/drivers/ifd-ccid.bundle/Contents/Linux/libccid.so"
printf '#!/bin/sh\n' >"$F/usr/sbin/pcscd" && chmod +x "$F/usr/sbin/pcscd"
cp "$TOP/udev/70-smartsign-readers.rules" "$F/etc/udev/rules.d/"
for n in 1 3; do
	printf 'E:ID_BUS=usb\nE:SMARTSIGN_READER=1\n' >"$F/run/udev/data/c189:$n"
done
printf 'module: %s\n' "$MOD" >"$F/usr/share/p11-kit/modules/smartsign.module"
printf 'module: /usr/lib/x/opensc-pkcs11.so\n' \
    >"$F/etc/pkcs11/modules/opensc.module"
mkdir -p "$H/.mozilla/firefox/good.default" "$H/.mozilla/firefox/bad.work" \
    "$H/.pki/nssdb"
printf 'library=\nname=NSS Internal PKCS #11 Module\n\nlibrary=%s\nname=smartsign\n' \
    "$MOD" >"$H/.mozilla/firefox/good.default/pkcs11.txt"
printf 'library=\nname=NSS Internal PKCS #11 Module\n' \
    >"$H/.mozilla/firefox/bad.work/pkcs11.txt"
printf 'library=/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so\nname=p11-kit\n' \
    >"$H/.pki/nssdb/pkcs11.txt"

HOME=$H "$D" doctor --root "$F" --module "$MOD" >"$WORK/fake.txt" 2>&1
rc=$?
[ "$rc" -eq 1 ] && ok "doctor on the made-up tree fails (exit 1)" ||
    not_ok "doctor on the made-up tree: exit $rc"
check_grep "known CCID reader from the table" \
    "^\\[ OK \\] USB reader: 072f:b100 ACS ACR39U \\(ccid\\)" "$WORK/fake.txt"
check_grep "unknown CCID reader: a warning" \
    "^\\[WARN\\] USB reader: 1234:5678 product 1-2 is a CCID reader smartsign does not know" \
    "$WORK/fake.txt"
check_grep "non-CCID reader without its driver: failure" \
    "^\\[FAIL\\] USB reader: 0c4b:0501 REINER SCT cyberJack RFID komfort is not a CCID reader" \
    "$WORK/fake.txt"
check_grep "... with the fix" "fix: install the ifd-cyberjack driver .*libifd-cyberjack6" \
    "$WORK/fake.txt"
if grep -q "046d:c31c" "$WORK/fake.txt"; then
	not_ok "a keyboard is not a reader"
else
	ok "a keyboard is not a reader"
fi
check_grep "udev rules installed, cover and applied" \
    "^\\[ OK \\] udev rules: /etc/udev/rules.d/70-smartsign-readers.rules covers" \
    "$WORK/fake.txt"
check_grep "p11-kit registration found" \
    "^\\[ OK \\] p11-kit registration: /usr/share/p11-kit/modules/smartsign.module" \
    "$WORK/fake.txt"
check_grep "Firefox profile with the module" \
    "^\\[ OK \\] Firefox profile: .*good.default/pkcs11.txt loads the module" \
    "$WORK/fake.txt"
check_grep "Firefox profile without: failure" \
    "^\\[FAIL\\] Firefox profile: .*bad.work/pkcs11.txt does not load the module" \
    "$WORK/fake.txt"
check_grep "... with the browsers command and the modutil one" \
    "fix: smartsign-diag browsers register --module $MOD   \\(or: modutil -dbdir sql:$H/.mozilla/firefox/bad.work -add smartsign -libfile $MOD -force" \
    "$WORK/fake.txt"
check_grep "Chromium through p11-kit-proxy" \
    "^\\[ OK \\] Chromium NSS database: .* loads p11-kit-proxy" "$WORK/fake.txt"

# the rules applied to one reader only, then rules older than the table
rm "$F/run/udev/data/c189:3"
HOME=$H "$D" doctor --root "$F" --module "$MOD" >"$WORK/fake2.txt" 2>&1
check_grep "udev rules not applied: warning with udevadm trigger" \
    "^\\[WARN\\] udev rules: .* not applied to 1 attached reader" \
    "$WORK/fake2.txt"
check_grep "... fix" "fix: sudo udevadm control --reload && sudo udevadm trigger" \
    "$WORK/fake2.txt"
grep -v 'idProduct}=="b100"' "$TOP/udev/70-smartsign-readers.rules" \
    >"$F/etc/udev/rules.d/70-smartsign-readers.rules"
HOME=$H "$D" doctor --json --root "$F" --module "$MOD" >"$WORK/fake3.json"
check_json "udev rules older than the table: failure with the fix" \
    "$WORK/fake3.json" "
c['udev_rules'][0]['status'] == 'fail' and
'make udev-rules' in c['udev_rules'][0]['fix']"
rm -f "$F/usr/share/p11-kit/modules/smartsign.module"
HOME=$H "$D" doctor --json --root "$F" --module "$MOD" >"$WORK/fake4.json"
check_json "no p11-kit registration: the tee command; Chromium then fails" \
    "$WORK/fake4.json" "
c['p11kit'][0]['status'] == 'warn' and
c['p11kit'][0]['fix'] == \"echo 'module: $MOD' | sudo tee /etc/pkcs11/modules/smartsign.module\" and
c['chromium'][0]['status'] == 'fail'"
rm -rf "$H/.pki" "$H/.mozilla"
HOME=$H "$D" doctor --json --root "$F" --module "$MOD" >"$WORK/fake5.json"
check_json "no NSS databases: Firefox skipped, Chromium's made with certutil" \
    "$WORK/fake5.json" "
c['firefox'][0]['status'] == 'skip' and
c['chromium'][0]['fix'].startswith('smartsign-diag browsers register') and
'mkdir -p $H/.pki/nssdb && certutil -N' in c['chromium'][0]['fix']"
rm -rf "$F/usr/lib/pcsc/drivers/ifd-ccid.bundle"
HOME=$H "$D" doctor --json --root "$F" --module "$MOD" >"$WORK/fake6.json"
check_json "no CCID driver: apt-get install libccid" "$WORK/fake6.json" "
c['ccid_driver'][0]['status'] == 'fail' and
c['ccid_driver'][0]['fix'].startswith('sudo apt-get install libccid')"

# ---- pcscd stopped
kill "$SMARTSIGN_PCSCD_PID"
for _ in $(seq 100); do
	kill -0 "$SMARTSIGN_PCSCD_PID" 2>/dev/null || break
	sleep 0.05
done
"$D" doctor --module "$MOD" >"$WORK/down.txt" 2>&1
rc=$?
[ "$rc" -eq 1 ] && ok "doctor with pcscd stopped: exit 1" ||
    not_ok "doctor with pcscd stopped: exit $rc"
check_grep "pcscd not reachable" \
    "^\\[FAIL\\] pcscd reachable: pcscd does not answer" "$WORK/down.txt"
check_grep "... with the fix" \
    "^ +fix: sudo systemctl restart pcscd.socket pcscd.service" "$WORK/down.txt"
check_grep "pcscd not running" "^\\[FAIL\\] pcscd running: pcscd is not running" \
    "$WORK/down.txt"
check_grep "its socket gone" "^\\[FAIL\\] pcscd socket: /run/pcscd/pcscd.comm missing" \
    "$WORK/down.txt"
check_grep "installed all the same" "^\\[ OK \\] pcscd installed" "$WORK/down.txt"
"$D" doctor --json --module "$MOD" >"$WORK/down.json"
check_json "doctor --json with pcscd stopped" "$WORK/down.json" "
c['pcscd_reachable'][0]['status'] == 'fail' and
c['pcscd_reachable'][0]['fix'].startswith('sudo systemctl restart pcscd') and
c['pcscd_running'][0]['status'] == 'fail' and d['summary']['failed'] == 3"
"$D" readers >"$WORK/readers.txt" 2>&1
rc=$?
[ "$rc" -eq 3 ] && ok "readers with pcscd stopped: exit 3" ||
    not_ok "readers with pcscd stopped: exit $rc"
check_grep "readers points at doctor" "smartsign-diag doctor" "$WORK/readers.txt"

done_testing
