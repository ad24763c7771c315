# Two processes share the card through pcscd: A logs in and keeps signing
# with 9A; B logs in, signs once, closes its session (the last one: its
# login ends implicitly) and exits (C_Finalize).  The card's PIN state is
# shared, so B's end must send nothing to the card: A's next signature
# still works without a new C_Login.  Then B logs out explicitly
# (C_Logout: VERIFY P1=FF) and A's next signature is refused with
# CKR_USER_NOT_LOGGED_IN, which shows the test would notice a logout.
# rig:
. "$(dirname "$0")/../lib.sh"

MOD=$BUILD/smartsign-pkcs11.so
PY=/usr/bin/python3	# Debian's python3 has PyKCS11
cd "$WORK" || exit 1

cat > proc.py <<'EOF'
import os, sys, time
import PyKCS11

def wait_for(name):
    for _ in range(600):
        if os.path.exists(name):
            return
        time.sleep(0.05)
    raise SystemExit("timeout waiting for " + name)

def sign9a(s):
    key = s.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_PRIVATE_KEY),
                         (PyKCS11.CKA_ID, [1])])[0]
    mech = PyKCS11.Mechanism(PyKCS11.CKM_SHA256_RSA_PKCS)
    return bytes(s.sign(key, b"multiproc", mech))

lib = PyKCS11.PyKCS11Lib()
lib.load(sys.argv[1])
role, pin = sys.argv[2], sys.argv[3]
s = lib.openSession(lib.getSlotList(tokenPresent=True)[0],
                    PyKCS11.CKF_SERIAL_SESSION)
s.login(pin)
print(role, "sign 1", len(sign9a(s)), flush=True)
if role == "A":
    open("a.ready", "w").close()
    for step in ("b.done", "b.logout"):
        wait_for(step)
        try:
            print("A after", step, len(sign9a(s)), flush=True)
        except PyKCS11.PyKCS11Error as e:
            print("A after", step, PyKCS11.CKR[e.value], flush=True)
        open("a." + step, "w").close()
elif role == "B":
    s.closeSession()
else:		# "L": log the card out explicitly
    s.logout()
    s.closeSession()
EOF

$PY proc.py "$MOD" A "$SMARTSIGN_PIN" > a.txt 2>&1 &
A=$!
wait_for() { i=0; while [ ! -e "$1" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done; }
wait_for a.ready
check_out "process B logs in, signs with 9A, closes its session, exits" \
    b.txt $PY proc.py "$MOD" B "$SMARTSIGN_PIN"
touch b.done
wait_for a.b.done
check_grep "process A still signs after B ended its login implicitly" \
    "^A after b.done 256\$" a.txt
check_out "process L logs in and calls C_Logout" \
    l.txt $PY proc.py "$MOD" L "$SMARTSIGN_PIN"
touch b.logout
wait $A
check_grep "an explicit C_Logout logs the card out for A too" \
    "^A after b.logout CKR_USER_NOT_LOGGED_IN\$" a.txt
check_grep "process A signed before B" "^A sign 1 256\$" a.txt
sed 's/^/# /' a.txt
done_testing
