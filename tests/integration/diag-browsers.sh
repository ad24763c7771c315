# smartsign-diag browsers: a HOME with two Firefox profiles (profiles.ini,
# one relative and one absolute Path=, certutil -N databases) and no
# Chromium database.  status -> register (Chromium's made) -> register
# again changes nothing -> certutil lists the card's certificates through
# the registered module -> a profile Firefox holds is refused -> an entry
# pointing elsewhere is replaced -> unregister; doctor's browser checks
# agree at every step; --json parsed.
# rig:
. "$(dirname "$0")/../lib.sh"

D=$BUILD/smartsign-diag
MOD=$(realpath "$BUILD/smartsign-pkcs11.so")
H=$WORK/home
FF=$H/.mozilla/firefox
P1=$FF/a1.default-esr
P2=$WORK/elsewhere/b2.work
CH=$H/.pki/nssdb
mkdir -p "$P1" "$P2"
cat >"$FF/profiles.ini" <<EOF
[Install4F96D1932A9F858E]
Default=a1.default-esr
Locked=1

[Profile1]
Name=work
IsRelative=0
Path=$P2

[Profile0]
Name=default-esr
IsRelative=1
Path=a1.default-esr
Default=1

[Profile2]
Name=gone
IsRelative=1
Path=never.made

[General]
StartWithLastProfile=1
Version=2
EOF
certutil -N -d "sql:$P1" --empty-password
certutil -N -d "sql:$P2" --empty-password

br() { HOME=$H "$D" browsers "$@"; }
rc_is() {	# NAME WANT CMD...
	name=$1 want=$2; shift 2
	"$@" >"$WORK/rc.out" 2>&1
	rc=$?
	if [ "$rc" -eq "$want" ]; then
		ok "$name"
	else
		not_ok "$name (exit $rc, want $want)"
		sed 's/^/#   /' "$WORK/rc.out" | tail -n 30
	fi
	cp "$WORK/rc.out" "$WORK/last.out"
}
pyjson() {	# NAME FILE EXPR (d: the document, db: dir -> database)
	if python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
db = {x["dir"]: x for x in d.get("databases", [])}
c = {}
for x in d.get("checks", []):
    c.setdefault(x["check"], []).append(x)
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$2" "$3" 2>"$WORK/json.err"
	then
		ok "$1"
	else
		not_ok "$1 (false: $3)"
		sed 's/^/#   /' "$2" | head -n 60
		sed 's/^/#   /' "$WORK/json.err"
	fi
}
lists() {	# the module list of every database (modutil loads each module)
	for db in "$P1" "$P2" "$CH"; do
		echo "== $db"
		modutil -dbdir "sql:$db" -list </dev/null 2>&1
	done
}
has_mod() {	# DB: modutil -list shows the module
	modutil -dbdir "sql:$1" -list </dev/null 2>&1 |
	    grep -Fq "library name: $MOD"
}
doctor_json() { HOME=$H "$D" doctor --module "$MOD" --json >"$1" 2>/dev/null; }

# ---- nothing registered
rc_is "status: nothing registered (exit 1)" 1 br status --module "$MOD"
check_grep "status: profile 1 not registered" \
    "^Firefox profile $P1: not registered\$" "$WORK/last.out"
check_grep "status: profile 2 (absolute Path=) not registered" \
    "^Firefox profile $P2: not registered\$" "$WORK/last.out"
check_grep "status: no Chromium database" \
    "^Chromium NSS database $CH: no NSS database\$" "$WORK/last.out"
if grep -q never.made "$WORK/last.out"; then
	not_ok "a profile in profiles.ini without a folder is left out"
else
	ok "a profile in profiles.ini without a folder is left out"
fi
br --json --module "$MOD" >"$WORK/s0.json"
pyjson "status --json: 3 databases, none registered" "$WORK/s0.json" "
d['action'] == 'status' and d['module'] == '$MOD' and d['name'] == 'smartsign'
and len(db) == 3 and db['$P1']['state'] == 'not_registered' and
db['$P2']['state'] == 'not_registered' and db['$P1']['browser'] == 'firefox'
and db['$CH']['state'] == 'no_database' and db['$CH']['browser'] == 'chromium'
and all(x['result'] is None and x['firefox_pid'] is None
for x in db.values())"
doctor_json "$WORK/d0.json"
pyjson "doctor: profiles fail with the browsers command as fix" "$WORK/d0.json" "
len(c['firefox']) == 2 and all(x['status'] == 'fail' and
x['fix'].startswith('smartsign-diag browsers register --module $MOD')
for x in c['firefox']) and c['chromium'][0]['status'] == 'warn'"

# ---- register
rc_is "register (exit 0)" 0 br register --module "$MOD"
check_grep "register: profile 1" \
    "^Firefox profile $P1: registered as \"smartsign\"; now registered \\($MOD\\)\$" \
    "$WORK/last.out"
check_grep "register: Chromium's database made and registered" \
    "^Chromium NSS database $CH: registered as \"smartsign\"" "$WORK/last.out"
for db in "$P1" "$P2" "$CH"; do
	check "modutil -list of $(basename "$db") shows the module" has_mod "$db"
done
[ -f "$CH/cert9.db" ] && ok "Chromium's database made (cert9.db)" ||
    not_ok "Chromium's database made (cert9.db)"
doctor_json "$WORK/d1.json"
pyjson "doctor: every browser check passes now" "$WORK/d1.json" "
len(c['firefox']) == 2 and all(x['status'] == 'ok' and
x['detail'].endswith('pkcs11.txt loads the module') for x in c['firefox'])
and c['chromium'][0]['status'] == 'ok'"
rc_is "status after register (exit 0)" 0 br --module "$MOD"

# ---- register again: nothing changes
lists >"$WORK/list1.txt"
cat "$P1/pkcs11.txt" "$P2/pkcs11.txt" "$CH/pkcs11.txt" >"$WORK/txt1"
rc_is "register again (exit 0)" 0 br register --module "$MOD"
n=$(grep -c ': already registered as "smartsign"' "$WORK/last.out")
[ "$n" -eq 3 ] && ok "register again: already registered (3 times)" ||
    not_ok "register again: already registered $n times, want 3"
lists >"$WORK/list2.txt"
cat "$P1/pkcs11.txt" "$P2/pkcs11.txt" "$CH/pkcs11.txt" >"$WORK/txt2"
check "modutil -list unchanged" cmp "$WORK/list1.txt" "$WORK/list2.txt"
check "pkcs11.txt unchanged" cmp "$WORK/txt1" "$WORK/txt2"
br register --json --module "$MOD" >"$WORK/r2.json"
pyjson "register --json again: already_registered everywhere" "$WORK/r2.json" "
d['action'] == 'register' and len(db) == 3 and
all(x['result'] == 'already_registered' and x['state'] == 'registered' and
x['library'] == '$MOD' and x['entry'] == 'smartsign' for x in db.values())"

# ---- the registered module works in the profile: NSS finds the card's
# certificates (FRIENDLY: no login needed to list them)
certutil -L -d "sql:$P1" -h all >"$WORK/certs.txt" 2>&1
check_grep "certutil -L -h all lists the card's certificates" \
    "PIV Card #[0-9A-F]+:X.509 Certificate for Digital Signature" \
    "$WORK/certs.txt"
check_grep "... and the PIV Authentication one" \
    "PIV Card #[0-9A-F]+:X.509 Certificate for PIV Authentication" \
    "$WORK/certs.txt"

# ---- Firefox running on the profiles: a live lock symlink on one, a
# held fcntl lock on .parentlock of the other
sleep 300 &
SLEEPER=$!
ln -s "127.0.0.1:+$SLEEPER" "$P1/lock"
python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "w")
fcntl.lockf(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(300)' "$P2/.parentlock" "$WORK/locked" &
LOCKER=$!
for _ in $(seq 100); do [ -f "$WORK/locked" ] && break; sleep 0.05; done
cat "$P1/pkcs11.txt" "$P2/pkcs11.txt" >"$WORK/txt3"
rc_is "unregister with Firefox running: exit 10" 10 br unregister --module "$MOD"
check_grep "refused: lock symlink of a live process" \
    "^Firefox profile $P1: Firefox is running on this profile \\(pid $SLEEPER\\): close it" \
    "$WORK/last.out"
check_grep "refused: .parentlock held" \
    "^Firefox profile $P2: Firefox is running on this profile \\(pid $LOCKER\\)" \
    "$WORK/last.out"
check_grep "the others are done (Chromium's removed)" \
    "^Chromium NSS database $CH: removed 1 entry; now not registered" \
    "$WORK/last.out"
cat "$P1/pkcs11.txt" "$P2/pkcs11.txt" >"$WORK/txt4"
check "refused profiles untouched" cmp "$WORK/txt3" "$WORK/txt4"
br --json --module "$MOD" >"$WORK/s3.json"
pyjson "status --json shows who holds the profiles" "$WORK/s3.json" "
db['$P1']['firefox_pid'] == $SLEEPER and db['$P2']['firefox_pid'] == $LOCKER
and db['$CH']['firefox_pid'] is None"
kill "$SLEEPER" "$LOCKER" 2>/dev/null
wait "$SLEEPER" "$LOCKER" 2>/dev/null
rc_is "Chromium re-registered (the stale lock symlink is not a Firefox)" 0 \
    br register --module "$MOD"

# ---- an entry "smartsign" that points elsewhere is replaced
mkdir -p "$WORK/old"
cp "$MOD" "$WORK/old/smartsign-pkcs11.so"
modutil -dbdir "sql:$P1" -delete smartsign -force </dev/null >/dev/null 2>&1
modutil -dbdir "sql:$P1" -add smartsign -libfile "$WORK/old/smartsign-pkcs11.so" \
    -force </dev/null >/dev/null 2>&1
rc_is "status: module path differs (exit 1)" 1 br --module "$MOD"
check_grep "status: path differs, names the other path" \
    "^Firefox profile $P1: module path differs: \"smartsign\" loads $WORK/old/smartsign-pkcs11.so\$" \
    "$WORK/last.out"
doctor_json "$WORK/d2.json"
pyjson "doctor: a path that differs (file present) is a warning" "$WORK/d2.json" "
[x['status'] for x in c['firefox'] if '$P1' in x['detail']] == ['warn']"
rc_is "register replaces it" 0 br register --module "$MOD"
check_grep "register: replaced" \
    "^Firefox profile $P1: registered as \"smartsign\", replacing 1 entry that pointed elsewhere" \
    "$WORK/last.out"
if modutil -dbdir "sql:$P1" -list </dev/null 2>&1 | grep -q "$WORK/old"; then
	not_ok "the old entry is gone"
else
	ok "the old entry is gone"
fi

# ---- unregister
br unregister --json --module "$MOD" >"$WORK/u.json"
rc=$?
[ "$rc" -eq 0 ] && ok "unregister (exit 0)" || not_ok "unregister: exit $rc"
pyjson "unregister --json: removed everywhere" "$WORK/u.json" "
d['action'] == 'unregister' and len(db) == 3 and
all(x['result'] == 'removed' and x['state'] == 'not_registered' and
x['library'] is None for x in db.values())"
for db in "$P1" "$P2" "$CH"; do
	check_fail "modutil -list of $(basename "$db"): module gone" has_mod "$db"
done
rc_is "unregister again: nothing to do (exit 0)" 0 br unregister --module "$MOD"
n=$(grep -c ': not registered: nothing to remove' "$WORK/last.out")
[ "$n" -eq 3 ] && ok "unregister again: not registered (3 times)" ||
    not_ok "unregister again: $n times 'nothing to remove', want 3"
HOME=$H "$D" doctor --module "$MOD" >"$WORK/d3.txt" 2>&1
check_grep "doctor: profile not registered, with the fix" \
    "^\\[FAIL\\] Firefox profile: $P1/pkcs11.txt does not load the module" \
    "$WORK/d3.txt"
check_grep "... fix: smartsign-diag browsers register" \
    "fix: smartsign-diag browsers register --module $MOD   \\(or: modutil -dbdir sql:$P1 -add smartsign" \
    "$WORK/d3.txt"
check_grep "doctor: Chromium not registered" \
    "^\\[FAIL\\] Chromium NSS database: $CH/pkcs11.txt does not load the module" \
    "$WORK/d3.txt"

# ---- usage
rc_is "unknown action: exit 2" 2 br frobnicate
rc_is "bad --name: exit 2" 2 br register --name -x --module "$MOD"
rc_is "register a missing module: exit 7" 7 br register --module "$WORK/nope.so"
env -u HOME "$D" browsers --module "$MOD" >/dev/null 2>&1
rc=$?
[ "$rc" -eq 2 ] && ok "no HOME: exit 2" || not_ok "no HOME: exit $rc"
"$D" browsers --help >"$WORK/help.txt"
check_grep "--help names the actions" "status\\|register\\|unregister" \
    "$WORK/help.txt"

done_testing
