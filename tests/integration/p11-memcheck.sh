# smartsign-pkcs11.so under valgrind memcheck, loaded by real clients:
# pkcs11-tool (slots, token, mechanisms, objects with and without login,
# 9A SHA256-RSA-PKCS and PSS, 9C ECDSA with its context-specific login, 9D
# RSA-PKCS and OAEP decryption, certificates and public keys read, a
# digest, pkcs11-tool --test), smartsign-sign (9C ECDSA, 9A PSS),
# smartsign-diag selftest, and tests/tools/p11-procstate (four
# C_Initialize variants, debug log on).  Every flow: zero memcheck errors
# and zero definitely lost blocks (--keep-debuginfo, so a block allocated
# by the module is named even after dlclose); every signature is verified
# with openssl against the card's certificate, every decryption compared.
# Third-party findings are suppressed by tests/valgrind.supp, one reason
# per entry; no entry may name our module, our programs or a function of
# ours, and an error or definite leak with a frame of ours always fails.
# Self-check: p11-procstate --no-finalize (dlclose without C_Finalize)
# must be reported as definite leaks in smartsign-pkcs11.so, through the
# same suppressions.  Per flow the figures (errors, definitely / possibly
# lost, still reachable at exit) are printed as TAP comments.
# rig:
. "$(dirname "$0")/../lib.sh"

MOD=$BUILD/smartsign-pkcs11.so
SUPP=$TOP/tests/valgrind.supp
PIN=$SMARTSIGN_PIN
cd "$WORK" || exit 1
unset SMARTSIGN_DEBUG

if ! command -v valgrind >/dev/null 2>&1; then
	skip "memcheck" "valgrind is not installed (tools/deps.sh installs it)"
	done_testing
	exit $?
fi

# ---- the checker: one valgrind XML file per flow ---------------------------
# Prints the figures; exits 1 on any error or definite leak not suppressed,
# and says whether a frame is ours (smartsign-pkcs11.so or a program or
# source file of this tree).
cat >vgcheck.py <<'EOF'
import re, sys, xml.etree.ElementTree as ET
xmlf, top, build = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    root = ET.parse(xmlf).getroot()
except Exception as e:
    print("# %s: unreadable valgrind XML: %s" % (xmlf, e)); sys.exit(1)
def ours(fr):
    obj = fr.findtext('obj') or ''
    d = fr.findtext('dir') or ''
    return obj.startswith(build + '/') or d.startswith(top + '/')
def module(fr):
    return (fr.findtext('obj') or '').endswith('/smartsign-pkcs11.so')
def direct(text):
    m = re.match(r'([\d,]+) (\(([\d,]+) direct)?', text)
    return int((m.group(3) or m.group(1)).replace(',', ''))
errs, defl, defb, posb, used, usedb, ourb = [], 0, 0, 0, 0, 0, 0
for e in root.findall('error'):
    kind = e.findtext('kind')
    frames = e.findall('stack/frame')
    mine = any(ours(f) for f in frames)
    text = e.findtext('xwhat/text') or e.findtext('what') or kind
    if kind.startswith('Leak_'):
        n = direct(text)
        blocks = int(e.findtext('xwhat/leakedblocks') or 0)
        if kind == 'Leak_StillReachable':
            used += n; usedb += blocks
        if any(module(f) for f in frames):
            ourb += n
        if kind == 'Leak_DefinitelyLost':
            defl += blocks; defb += n
        elif kind == 'Leak_PossiblyLost':
            posb += n
        if kind != 'Leak_DefinitelyLost':
            continue
    errs.append((kind, text, mine, frames))
supp = sum(int(p.findtext('count')) for p in root.findall('suppcounts/pair'))
names = [p.findtext('name') for p in root.findall('suppcounts/pair')]
nonleak = sum(1 for k, _, _, _ in errs if not k.startswith('Leak_'))
print("# errors %d, definitely lost %d bytes in %d blocks, possibly lost %d "
      "bytes, still reachable at exit %d bytes in %d blocks (%d bytes of "
      "all these allocated through the module), suppressed %d%s" % (nonleak, defb, defl, posb,
      used, usedb, ourb, supp, (" (" + ", ".join(names) + ")") if names else ""))
for kind, text, mine, frames in errs[:8]:
    print("#   %s%s: %s" % ("OURS " if mine else "", kind, text))
    for f in frames[:14]:
        print("#     %s %s%s" % (f.findtext('fn') or '???',
              f.findtext('obj') or '', (" " + f.findtext('file') + ":" +
              f.findtext('line')) if f.findtext('file') else ''))
if errs:
    print("# OURS: a frame in smartsign-pkcs11.so or our programs" if
          any(m for _, _, m, _ in errs) else "# third-party only")
sys.exit(1 if errs else 0)
EOF

# vg NAME CMD...: run CMD under memcheck (XML in NAME.xml, output in
# NAME.out); $vgrc is valgrind's exit status (97: errors or leaks)
vg() {
	n=$1; shift
	valgrind --tool=memcheck --leak-check=full --show-leak-kinds=all \
	    --errors-for-leak-kinds=definite --error-exitcode=97 \
	    --keep-debuginfo=yes --num-callers=40 --track-origins=no \
	    --suppressions="$SUPP" --xml=yes --xml-file="$n.xml" \
	    --log-file="$n.vglog" "$@" >"$n.out" 2>&1
	vgrc=$?
}
# memcheck NAME CMD...: the client succeeds and memcheck finds nothing
memcheck() {
	n=$1; shift
	vg "$n" "$@"
	/usr/bin/python3 vgcheck.py "$n.xml" "$TOP" "$BUILD" >"$n.vg" 2>&1
	py=$?
	if [ "$vgrc" -eq 0 ] && [ "$py" -eq 0 ]; then
		ok "memcheck: $n: no errors, no definite leaks"
	else
		not_ok "memcheck: $n (client exit $vgrc)"
		sed 's/^/#   /' "$n.out" | tail -n 10
		sed 's/^/#   /' "$n.vglog" | tail -n 5
	fi
	head -n 1 "$n.vg" | sed "s/^# /# $n: /"
	[ "$py" -eq 0 ] || tail -n +2 "$n.vg"
}
# memcheck_fail NAME CMD...: the client fails (an error path), memcheck
# finds nothing
memcheck_fail() {
	n=$1; shift
	vg "$n" "$@"
	/usr/bin/python3 vgcheck.py "$n.xml" "$TOP" "$BUILD" >"$n.vg" 2>&1
	py=$?
	if [ "$vgrc" -ne 0 ] && [ "$vgrc" -ne 97 ] && [ "$py" -eq 0 ]; then
		ok "memcheck: $n (fails as it should): no errors, no definite leaks"
	else
		not_ok "memcheck: $n (client exit $vgrc, want a failure but not 97)"
		sed 's/^/#   /' "$n.out" | tail -n 10
	fi
	head -n 1 "$n.vg" | sed "s/^# /# $n: /"
	[ "$py" -eq 0 ] || tail -n +2 "$n.vg"
}
# mp11 NAME ARGS...: pkcs11-tool ARGS under memcheck
mp11() { n=$1; shift; memcheck "$n" pkcs11-tool --module "$MOD" "$@"; }

# ---- the suppressions hide nothing of ours ---------------------------------
# our functions: every symbol the module and our programs define
{ nm --defined-only "$MOD"; for b in "$BUILD"/smartsign-sign \
    "$BUILD"/smartsign-diag "$BUILD"/tests/p11-procstate; do
	nm --defined-only "$b"; done; } 2>/dev/null |
    awk '$2 ~ /^[tTwW]$/ { print $3 }' | sort -u >ours.txt
[ "$(wc -l <ours.txt)" -gt 100 ] && ok "symbols of ours listed ($(wc -l <ours.txt))" ||
    not_ok "symbols of ours listed ($(wc -l <ours.txt))"
cat >supp-lint.py <<'EOF'
import fnmatch, re, sys
text = open(sys.argv[1]).read()
ours = open(sys.argv[2]).read().split()
bad, n = [], 0
for m in re.finditer(r'\{([^{}]*)\}', text):
    lines = [l.strip() for l in m.group(1).strip().splitlines()
             if l.strip() and not l.strip().startswith('#')]
    name = lines[0]
    frames = [l for l in lines[2:] if not l.startswith('match-leak-kinds:')]
    n += 1
    # a comment saying why, just above the entry
    before = text[:m.start()].rstrip().splitlines()
    if not before or not before[-1].startswith('#'):
        bad.append("%s: no comment saying why" % name)
    if len(frames) < 2:
        bad.append("%s: fewer than 2 frames (too broad)" % name)
    for f in frames:
        pat = f.split(':', 1)[1] if ':' in f else f
        if re.search(r'smartsign|/work/|build/|p11-procstate', f):
            bad.append("%s: names our code: %s" % (name, f))
        elif f.startswith('fun:') and pat not in ('*', '...'):
            hit = [s for s in ours if fnmatch.fnmatchcase(s, pat)]
            if hit:
                bad.append("%s: %s matches our %s" % (name, f, hit[0]))
        elif f in ('fun:*', 'obj:*'):
            bad.append("%s: bare wildcard frame %s" % (name, f))
    # no "...": an entry matches a fixed run of innermost frames, and the
    # last of them is a program's own code (obj:/usr/bin/...), so the
    # allocation was made by that program, not through our module
    if '...' in frames:
        bad.append("%s: '...' could skip over frames of ours" % name)
    if frames and not frames[-1].startswith('obj:/usr/bin/'):
        bad.append("%s: outermost frame is not a program's (obj:/usr/bin/...)" % name)
print("%d suppressions" % n)
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
EOF
if /usr/bin/python3 supp-lint.py "$SUPP" ours.txt >supp-lint.txt 2>&1; then
	ok "tests/valgrind.supp: every entry commented, none can match our code ($(head -n 1 supp-lint.txt))"
else
	not_ok "tests/valgrind.supp names our code or lacks a reason"
	sed 's/^/#   /' supp-lint.txt
fi
# the lint is not vacuous: entries that could hide our frames are refused
cat >bad.supp <<'EOF'
# names a function of the module
{
   bad-ours
   Memcheck:Leak
   fun:malloc
   fun:p11_mutex_new
   obj:/usr/bin/pkcs11-tool
}
# skips frames
{
   bad-ellipsis
   Memcheck:Leak
   fun:malloc
   ...
   obj:/usr/bin/pkcs11-tool
}
# stops in a library our module calls too
{
   bad-library
   Memcheck:Leak
   fun:malloc
   fun:CRYPTO_zalloc
   fun:BN_new
}
EOF
/usr/bin/python3 supp-lint.py bad.supp ours.txt >bad-lint.txt 2>&1
if [ $? -ne 0 ] && grep -q 'bad-ours: fun:p11_mutex_new matches our' bad-lint.txt &&
    grep -q "bad-ellipsis: '...'" bad-lint.txt &&
    grep -q "bad-library: outermost frame" bad-lint.txt; then
	ok "self-check: suppressions that could hide our frames are refused"
else
	not_ok "self-check: suppressions that could hide our frames are refused"
	sed 's/^/#   /' bad-lint.txt
fi

# ---- inputs: certificates, keys, a ciphertext -------------------------------
head -c 500 /dev/urandom >data
head -c 32 /dev/urandom >secret
mp11 "read cert 01" --read-object --type cert --id 01 -o cert01.der
for id in 01 02 03; do
	[ $id = 01 ] || pkcs11-tool --module "$MOD" --read-object --type cert \
	    --id $id -o cert$id.der >/dev/null 2>&1
	openssl x509 -inform DER -in cert$id.der -out cert$id.pem 2>/dev/null
	openssl x509 -in cert$id.pem -pubkey -noout >pub$id.pem 2>/dev/null
	check "certificate $id chains to the test CA" \
	    openssl verify -CAfile "$SMARTSIGN_CA" cert$id.pem
done
mp11 "read public key 01" --read-object --type pubkey --id 01 -o pubobj01.der
openssl pkey -pubin -inform DER -in pubobj01.der -out pubobj01.pem 2>/dev/null
check "public key object 01 is the certificate's key" cmp pub01.pem pubobj01.pem
openssl pkeyutl -encrypt -pubin -inkey pub03.pem -in secret -out pkcs.enc
openssl pkeyutl -encrypt -pubin -inkey pub03.pem -pkeyopt rsa_padding_mode:oaep \
    -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 -in secret -out oaep.enc

# ---- pkcs11-tool ------------------------------------------------------------
mp11 "pkcs11-tool -L -T -M -O" -L -T -M -O
check_grep "-L/-T show the token" "token label *: PIV Card" "pkcs11-tool -L -T -M -O.out"
mp11 "pkcs11-tool --login -O" --login --pin "$PIN" -O
check_grep "private keys listed after login" "^Private Key Object" "pkcs11-tool --login -O.out"
mp11 "sign 9A SHA256-RSA-PKCS" --sign --id 01 -m SHA256-RSA-PKCS \
    --pin "$PIN" -i data -o s.9a
check "9A SHA256-RSA-PKCS verifies with openssl" \
    openssl dgst -sha256 -verify pub01.pem -signature s.9a data
mp11 "sign 9A SHA256-RSA-PKCS-PSS" --sign --id 01 -m SHA256-RSA-PKCS-PSS \
    --mgf MGF1-SHA256 --salt-len 32 --pin "$PIN" -i data -o s.9a.pss
check "9A SHA256-RSA-PKCS-PSS verifies with openssl" \
    openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 \
    -sigopt rsa_mgf1_md:sha256 -verify pub01.pem -signature s.9a.pss data
v0=$(counter verify)
mp11 "sign 9C ECDSA-SHA256" --sign --id 02 -m ECDSA-SHA256 \
    --signature-format openssl --pin "$PIN" -i data -o s.9c
v1=$(counter verify)
check "9C ECDSA-SHA256 verifies with openssl" \
    openssl dgst -sha256 -verify pub02.pem -signature s.9c data
[ $((v1 - v0)) -eq 2 ] && ok "9C under memcheck: login + context-specific login (2 VERIFYs)" ||
    not_ok "9C under memcheck: $((v1 - v0)) VERIFYs, want 2"
mp11 "decrypt 9D RSA-PKCS" --decrypt --id 03 -m RSA-PKCS --pin "$PIN" \
    -i pkcs.enc -o pkcs.dec
check "9D RSA-PKCS gives the plaintext back" cmp secret pkcs.dec
mp11 "decrypt 9D RSA-PKCS-OAEP" --decrypt --id 03 -m RSA-PKCS-OAEP \
    --hash-algorithm SHA256 --mgf MGF1-SHA256 --pin "$PIN" -i oaep.enc -o oaep.dec
check "9D RSA-PKCS-OAEP gives the plaintext back" cmp secret oaep.dec
mp11 "hash SHA256" --hash -m SHA256 -i data -o h.bin
openssl dgst -sha256 -binary data >h.want
check "C_Digest SHA256 equals openssl's" cmp h.want h.bin
mp11 "pkcs11-tool --test --login" --test --login --pin "$PIN"
check_grep "pkcs11-tool --test: No errors" "^No errors" "pkcs11-tool --test --login.out"

# error paths: a refused mechanism, a wrong PIN (the right one follows)
memcheck_fail "9D refuses to sign" pkcs11-tool --module "$MOD" --sign --id 03 \
    -m SHA256-RSA-PKCS --pin "$PIN" -i data -o s.9d
f0=$(counter verify_fail)
memcheck_fail "wrong PIN" pkcs11-tool --module "$MOD" --login --pin 11112222 -O
[ $(($(counter verify_fail) - f0)) -eq 1 ] && ok "the wrong PIN was sent once" ||
    not_ok "the wrong PIN was sent once ($(($(counter verify_fail) - f0)))"

# ---- smartsign-sign, smartsign-diag selftest --------------------------------
printf '%s\n' "$PIN" >pin
printf '<declaration n="1"><value currency="EUR">100.00</value></declaration>\n' >decl.xml
memcheck "smartsign-sign 9C" "$BUILD/smartsign-sign" sign --module "$MOD" \
    --pin-fd 3 -q -o decl.9c.p7s decl.xml 3<pin
check "smartsign-sign 9C: openssl cms -verify" openssl cms -verify -binary \
    -inform DER -in decl.9c.p7s -content decl.xml -CAfile "$SMARTSIGN_CA" -out /dev/null
memcheck "smartsign-sign 9A PSS" "$BUILD/smartsign-sign" sign --module "$MOD" \
    --key 9a --pss --pin-fd 3 -q -o decl.9a.p7s decl.xml 3<pin
check "smartsign-sign 9A PSS: openssl cms -verify" openssl cms -verify -binary \
    -purpose any -inform DER -in decl.9a.p7s -content decl.xml -CAfile "$SMARTSIGN_CA" -out /dev/null
memcheck "smartsign-diag selftest" "$BUILD/smartsign-diag" selftest \
    --module "$MOD" --reader "$SMARTSIGN_READER" --pin-fd 3 3<pin
check_grep "selftest: PASS (signatures verified with OpenSSL)" "^result: +PASS" \
    "smartsign-diag selftest.out"

# ---- p11-procstate: four C_Initialize variants, debug log on -----------------
mkdir -p ps
export SMARTSIGN_DEBUG="$WORK/debug.log"
memcheck "p11-procstate" "$BUILD/tests/p11-procstate" --data data \
    --cipher pkcs.enc --out ps "$MOD"
unset SMARTSIGN_DEBUG
[ -s debug.log ] && ok "p11-procstate ran with the debug log on ($(wc -l <debug.log) lines)" ||
    not_ok "p11-procstate ran with the debug log on"
check "p11-procstate 9A signature verifies with openssl" \
    openssl dgst -sha256 -verify pub01.pem -signature ps/sig-9a.bin data
check "p11-procstate 9C signature verifies with openssl" \
    openssl dgst -sha256 -verify pub02.pem -signature ps/sig-9c.der data
check "p11-procstate 9D decryption gives the plaintext back" cmp secret ps/plain-9d.bin

# ---- self-check: a leak in the module is found, through the suppressions ----
vg "self-check no-finalize" "$BUILD/tests/p11-procstate" --init os --no-finalize "$MOD"
/usr/bin/python3 vgcheck.py "self-check no-finalize.xml" "$TOP" "$BUILD" \
    >"self-check.vg" 2>&1
if [ "$vgrc" -eq 97 ] && grep -q '^#   OURS Leak_DefinitelyLost' self-check.vg &&
    grep -Eq '^#     [a-z_0-9]+ .*smartsign-pkcs11.so [a-z_]+\.c:[0-9]+' self-check.vg; then
	ok "self-check: dlclose without C_Finalize shows as definite leaks in smartsign-pkcs11.so, with function and line"
else
	not_ok "self-check: dlclose without C_Finalize shows as definite leaks in smartsign-pkcs11.so (valgrind exit $vgrc)"
	sed 's/^/#   /' self-check.vg | head -n 30
fi

if grep -Fq -- "$PIN" ./*.vg ./*.vglog 2>/dev/null; then
	not_ok "the PIN appears in no memcheck report"
else
	ok "the PIN appears in no memcheck report"
fi
done_testing
