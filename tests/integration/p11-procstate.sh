# The module changes no process-wide setting: tests/tools/p11-procstate.c
# snapshots the process before dlopen (signal dispositions 1..NSIG-1 and
# the signal mask, rlimits, prctl dumpable & co, umask, locale, cwd,
# environment, open descriptors, threads, stdio) and compares after every
# step of four load/unload cycles (C_Initialize NULL, CKF_OS_LOCKING_OK,
# the application's mutex callbacks, both): slot list, token info, login,
# 9A RSA signature, 9C ECDSA with its context-specific login, 9D
# decryption, logout, C_Finalize, dlclose.  While initialized the module
# may hold sockets (PC/SC) and its debug log, close-on-exec; after
# C_Finalize nothing.  Runs with the debug log off and on (under umask 000:
# the log is still 0600), and with SIGPIPE ignored by the application.
# Every signature is verified with openssl against the card's certificate.
# Self-check: the client changes each kind of setting on purpose and the
# change must be reported, so the comparison is not vacuous.
# rig:
. "$(dirname "$0")/../lib.sh"

MOD=$BUILD/smartsign-pkcs11.so
PS=$BUILD/tests/p11-procstate
cd "$WORK" || exit 1
# with the client's mixed locale (LC_CTYPE C.UTF-8, the rest C), any
# setlocale() by the module changes something
export LC_ALL=C.UTF-8
unset SMARTSIGN_DEBUG P11_PROCSTATE_SELFCHECK

# ---- keys and inputs from the card -----------------------------------------
for id in 01 02 03; do
	pkcs11-tool --module "$MOD" --read-object --type cert --id $id \
	    -o cert$id.der >/dev/null 2>&1
	openssl x509 -inform DER -in cert$id.der -pubkey -noout >pub$id.pem 2>/dev/null
done
head -c 300 /dev/urandom >data
head -c 32 /dev/urandom >secret
openssl pkeyutl -encrypt -pubin -inkey pub03.pem -in secret -out cipher 2>/dev/null
[ -s pub01.pem ] && [ -s pub02.pem ] && [ -s cipher ] &&
    ok "certificates 01 02 03 read, ciphertext for 9D made" ||
    not_ok "certificates 01 02 03 read, ciphertext for 9D made"

# run_ps NAME OUTDIR [VAR=VALUE...]: exit status in $rc,
# stdout in NAME.out, stderr in NAME.err
run_ps() {
	n=$1 d=$2; shift 2
	mkdir -p "$d"
	env "$@" "$PS" --data data --cipher cipher --out "$d" "$MOD" \
	    >"$n.out" 2>"$n.err"
	rc=$?
}
# clean NAME: exit 0, the one summary line, nothing on stderr
clean() {
	if [ "$rc" -eq 0 ] && [ ! -s "$1.err" ] &&
	    grep -Eq '^procstate: 4 cycles, 48 steps compared, 0 differences' \
	    "$1.out" && [ "$(wc -l <"$1.out")" -eq 1 ]; then
		ok "$2"
	else
		not_ok "$2 (exit $rc)"
		cat "$1.out" "$1.err" | sed 's/^/#   /' | head -n 40
	fi
}
verify_outputs() {	# DIR what
	check "$2: 9A SHA256-RSA-PKCS signature verifies with openssl" \
	    openssl dgst -sha256 -verify pub01.pem -signature "$1/sig-9a.bin" data
	check "$2: 9C ECDSA-SHA256 signature verifies with openssl" \
	    openssl dgst -sha256 -verify pub02.pem -signature "$1/sig-9c.der" data
	check "$2: 9D decryption gives the plaintext back" \
	    cmp secret "$1/plain-9d.bin"
}
held() { sed -n 's/.*at most \([0-9]*\) descriptors.*/\1/p' "$1.out"; }

# ---- debug log off ---------------------------------------------------------
run_ps off out.off
clean off "no process-wide change, debug log off (4 init variants, every step)"
verify_outputs out.off "debug off"
grep -q 'unloaded by dlclose 4 times' off.out &&
    ok "dlclose unloaded the module every cycle (the after-dlclose checks see it gone)" ||
    not_ok "dlclose unloaded the module every cycle: $(cat off.out)"
h_off=$(held off)
[ "${h_off:-0}" -ge 1 ] &&
    ok "the module held $h_off PC/SC socket(s) while initialized, none after C_Finalize" ||
    not_ok "the module held PC/SC sockets while initialized (saw '${h_off:-}')"

# ---- debug log on, under umask 000 ------------------------------------------
rm -f debug.log
(umask 000 && run_ps on out.on SMARTSIGN_DEBUG="$WORK/debug.log" &&
    echo "$rc" >on.rc)
rc=$(cat on.rc 2>/dev/null || echo 99)
clean on "no process-wide change, debug log on (SMARTSIGN_DEBUG)"
verify_outputs out.on "debug on"
[ -s debug.log ] && ok "debug log written ($(wc -l <debug.log) lines)" ||
    not_ok "debug log written"
mode=$(stat -c %a debug.log 2>/dev/null)
[ "$mode" = 600 ] && ok "debug log created 0600 under umask 000 (umask untouched)" ||
    not_ok "debug log created 0600 under umask 000 (mode '$mode')"
h_on=$(held on)
[ "${h_on:-0}" -gt "${h_off:-0}" ] &&
    ok "the debug log's descriptor is held while initialized and closed by C_Finalize ($h_on vs $h_off)" ||
    not_ok "the debug log's descriptor was seen ($h_on vs $h_off descriptors)"

# ---- the application ignores SIGPIPE: the module must not restore it -------
(trap '' PIPE && run_ps pipe out.pipe && echo "$rc" >pipe.rc)
rc=$(cat pipe.rc 2>/dev/null || echo 99)
clean pipe "no process-wide change with SIGPIPE ignored by the application"

# ---- the PIN never shows -----------------------------------------------------
if cat ./*.out ./*.err | grep -Fq -- "$SMARTSIGN_PIN"; then
	not_ok "the PIN appears in no output"
else
	ok "the PIN appears in no output"
fi

# ---- self-check: every kind of change is seen, precisely --------------------
# kind, then a pattern its report must match
while read -r kind pat; do
	run_ps "sc-$kind" "out.sc" P11_PROCSTATE_SELFCHECK="$kind"
	if [ "$rc" -eq 1 ] && grep -Eq -- "$pat" "sc-$kind.err" &&
	    grep -q 'after C_OpenSession+C_Login \[null\]' "sc-$kind.err" &&
	    grep -q 'after dlclose \[null\]' "sc-$kind.err"; then
		ok "self-check: a $kind change is reported ($(grep -Ec '^procstate: after' "sc-$kind.err") lines)"
	else
		not_ok "self-check: a $kind change is reported (exit $rc, no /$pat/)"
		cat "sc-$kind.out" "sc-$kind.err" | sed 's/^/#   /' | head -n 20
	fi
done <<'EOF'
umask umask 0[0-7]{3} -> 0[0-7]{3}
signal signal [0-9]+ \(SIGRTMIN\+3\): handler SIG_DFL -> 0x[0-9a-f]+ \(.* in .*p11-procstate\)
sigmask thread signal mask .* -> .*13
rlimit RLIMIT_CORE \(4\): soft
dumpable prctl\(PR_GET_DUMPABLE\) 1 -> 0
locale locale LC_NUMERIC 'C' -> 'C.UTF-8'
cwd cwd '.*' -> '/'
env environment: 'P11_PROCSTATE_TAMPERED' added
fd fd [0-9]+ \(/dev/null, NOT cloexec\) opened and left open
stdio stdin: buffering flags 0 -> 0x2
thread threads 1 -> 2
EOF
done_testing
