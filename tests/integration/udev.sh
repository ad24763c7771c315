# udev/: the reader table is sorted and unique, the committed rules and
# smartsign-diag's table are what udev/gen-rules makes of it, every CCID
# row is in libccid's list of supported readers (and no other row is),
# the models field engineers meet are covered, `make udev-rules`
# installs the rules, and `smartsign-diag doctor` knows every row.
# rig:
. "$(dirname "$0")/../lib.sh"

T=$TOP/udev/readers.tsv
RULES=$TOP/udev/70-smartsign-readers.rules
PLIST=/usr/lib/pcsc/drivers/ifd-ccid.bundle/Contents/Info.plist
grep -v '^#' "$T" | grep -v '^$' >"$WORK/rows"

# ---- the table
cut -f1,2 "$WORK/rows" | tr '\t' ':' >"$WORK/ids"
if LC_ALL=C sort -c "$WORK/ids" 2>"$WORK/sort.err"; then
	ok "table sorted by vendor and product"
else
	not_ok "table not sorted: $(cat "$WORK/sort.err")"
fi
dups=$(sort "$WORK/ids" | uniq -d)
[ -z "$dups" ] && ok "no id twice" || not_ok "ids twice: $dups"
H4='^[0-9a-f][0-9a-f][0-9a-f][0-9a-f]$'
bad=$(awk -F '\t' -v h="$H4" 'NF != 5 || $1 !~ h || $2 !~ h ||
    ($4 != "yes" && $4 != "no") { print FNR ": " $0 }' "$WORK/rows")
[ -z "$bad" ] && ok "every row: 5 columns, hex ids, pinpad yes/no" ||
    not_ok "bad rows: $bad"

# ---- generated files are current
check "gen-rules --check: rules and C table match the table" \
    "$TOP/udev/gen-rules" --check
printf '072f\tb100\tB\tno\tccid\n046a\t003e\tA\tyes\tccid\n' >"$WORK/unsorted.tsv"
check_fail "gen-rules refuses an unsorted table" \
    env SMARTSIGN_READERS_TSV="$WORK/unsorted.tsv" "$TOP/udev/gen-rules" --rules
printf '046a\t003e\tA\tyes\tccid\n046a\t003e\tB\tno\tccid\n' >"$WORK/dup.tsv"
check_fail "gen-rules refuses an id twice" \
    env SMARTSIGN_READERS_TSV="$WORK/dup.tsv" "$TOP/udev/gen-rules" --rules
printf '046a\t003e\tA"; RUN+="/bin/x\tyes\tccid\n' >"$WORK/inject.tsv"
check_fail "gen-rules refuses quotes in a name" \
    env SMARTSIGN_READERS_TSV="$WORK/inject.tsv" "$TOP/udev/gen-rules" --rules

# ---- the rules: one rule per row, with the row's values, no GROUP
n_rows=$(wc -l <"$WORK/rows")
n_rules=$(grep -c '^ATTR{idVendor}==' "$RULES")
[ "$n_rows" -eq "$n_rules" ] && ok "one rule per row ($n_rules)" ||
    not_ok "$n_rules rules for $n_rows rows"
miss=""
while IFS="$(printf '\t')" read -r v p name pad drv; do
	[ "$pad" = yes ] && pp=1 || pp=0
	grep -qF "ATTR{idVendor}==\"$v\", ATTR{idProduct}==\"$p\", ENV{SMARTSIGN_READER}=\"1\", ENV{SMARTSIGN_READER_NAME}=\"$name\", ENV{SMARTSIGN_DRIVER}=\"$drv\", ENV{SMARTSIGN_PINPAD}=\"$pp\"" \
	    "$RULES" || miss="$miss $v:$p"
done <"$WORK/rows"
[ -z "$miss" ] && ok "every row's rule carries its name, driver, PIN pad" ||
    not_ok "rules missing or wrong for:$miss"
if grep -v '^#' "$RULES" | grep -Eq 'GROUP|MODE|OWNER|RUN'; then
	not_ok "rules set no GROUP/MODE/OWNER/RUN (Debian 12: pcscd is root)"
else
	ok "rules set no GROUP/MODE/OWNER/RUN (Debian 12: pcscd is root)"
fi
check_grep "rules skip remove events and non-devices" \
    '^ENV\{DEVTYPE\}!="usb_device", GOTO="smartsign_readers_end"' "$RULES"
check_grep "rules end with their label" '^LABEL="smartsign_readers_end"$' "$RULES"
out=$(SMARTSIGN_UDEV_GROUP=scard "$TOP/udev/gen-rules" --rules | grep -c 'GROUP="scard", MODE="0660"')
[ "$out" -eq "$n_rows" ] && ok "SMARTSIGN_UDEV_GROUP adds GROUP and MODE" ||
    not_ok "SMARTSIGN_UDEV_GROUP: $out of $n_rows rules"

# ---- against libccid's supported readers
if [ -r "$PLIST" ]; then
	if python3 - "$PLIST" "$WORK/rows" >"$WORK/plist.out" 2>&1 <<'EOF'
import plistlib, sys
p = plistlib.load(open(sys.argv[1], 'rb'))
ccid = {(int(v, 16), int(d, 16)): n for v, d, n in
        zip(p['ifdVendorID'], p['ifdProductID'], p['ifdFriendlyName'])}
bad = 0
for line in open(sys.argv[2]):
    v, d, name, pad, drv = line.rstrip('\n').split('\t')
    key = (int(v, 16), int(d, 16))
    if drv == 'ccid' and key not in ccid:
        print('%s:%s %s: marked ccid, not in libccid' % (v, d, name)); bad = 1
    elif drv != 'ccid' and key in ccid:
        print('%s:%s %s: libccid has it (%s): mark it ccid' % (v, d, name, ccid[key])); bad = 1
    else:
        print('%s:%s %s: %s' % (v, d, name, ccid.get(key, 'driver ' + drv)))
sys.exit(bad)
EOF
	then
		ok "every ccid row is in libccid's list, no other row is"
	else
		not_ok "table vs libccid's list"
	fi
	sed 's/^/# /' "$WORK/plist.out"
else
	skip "table vs libccid's list" "libccid not installed"
fi

# ---- the models field engineers meet
for m in "ACR38" "ACR39" "SCR3310" "SCR3500" "OMNIKEY 3021" "OMNIKEY 3121" \
    "ST-2" "IDBridge CT30" "cyberJack" "YubiKey"; do
	grep -q "$m" "$WORK/rows" && ok "table covers $m" ||
	    not_ok "table covers $m"
done
check_grep "the Cherry ST-2xxx is a PIN pad" \
    "$(printf '003e\tCherry SmartTerminal ST-2xxx\tyes')" "$T"

# ---- make udev-rules
check "make udev-rules DESTDIR=..." \
    make -s -C "$TOP" udev-rules DESTDIR="$WORK/dest" UDEVDIR=/etc/udev/rules.d
check "installed rules are the committed ones" \
    cmp "$RULES" "$WORK/dest/etc/udev/rules.d/70-smartsign-readers.rules"

# ---- doctor knows every row (the same table, compiled in)
F=$WORK/root
i=0
while IFS="$(printf '\t')" read -r v p name pad drv; do
	i=$((i + 1))
	mkdir -p "$F/sys/bus/usb/devices/3-$i"
	echo "$v" >"$F/sys/bus/usb/devices/3-$i/idVendor"
	echo "$p" >"$F/sys/bus/usb/devices/3-$i/idProduct"
done <"$WORK/rows"
HOME=$WORK "$BUILD/smartsign-diag" doctor --json --root "$F" >"$WORK/doc.json"
if python3 - "$WORK/doc.json" "$WORK/rows" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
seen = [c['detail'] for c in d['checks'] if c['check'] == 'usb_reader']
rows = [l.rstrip('\n').split('\t') for l in open(sys.argv[2])]
assert len(seen) == len(rows), (len(seen), len(rows))
for v, p, name, pad, drv in rows:
    hit = [s for s in seen if s.startswith('%s:%s %s' % (v, p, name))]
    assert hit, (v, p, name)
    if drv == 'ccid':
        assert ('PIN pad' in hit[0]) == (pad == 'yes'), hit
EOF
then
	ok "doctor recognizes every row of the table"
else
	not_ok "doctor and the table disagree"
fi

done_testing
