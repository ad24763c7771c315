# make install / make uninstall.  Into a DESTDIR: the exact tree, for the
# default PREFIX (/usr/local: registered in /etc) and for PREFIX=/usr (the
# distribution's directories); uninstall leaves nothing.  Then for real
# (root only): p11-kit lists the module with the emulated card's token,
# pkcs11-tool through p11-kit-proxy sees it, the installed smartsign-sign
# finds the installed module by itself; after uninstall everything is gone
# and p11-kit no longer lists it.  Whatever the real install overwrote is
# put back by an EXIT trap, also when the test fails midway.
# rig:
. "$(dirname "$0")/../lib.sh"

PROXY=/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
cd "$TOP" || exit 1
# -o all: install what $BUILD holds, without rebuilding it here
mk() { make -s --no-print-directory -o all B="$BUILD" "$@"; }

# expected PREFIX ETC UDEV: the files a DESTDIR install must hold
expected() {
	echo "$1/lib/$MA/pkcs11/smartsign-pkcs11.so"
	echo "$2/smartsign.module"
	for p in sign emu diag; do
		[ -f "$BUILD/smartsign-$p" ] && echo "$1/bin/smartsign-$p"
	done
	for m in tools/*.1 token-emu/*.1; do
		[ -f "$m" ] && echo "$1/share/man/man1/$(basename "$m")"
	done
	for r in udev/*.rules; do
		[ -f "$r" ] && echo "$3/$(basename "$r")"
	done
	echo "$1/share/smartsign/install-manifest"
}

tree() { (cd "$1" && find . \( -type f -o -type l \) | sed 's/^\.//' | sort); }

# same_list NAME EXPECTED-FILE GOT-FILE
same_list() {
	if diff -u "$2" "$3" >"$WORK/diff.out" 2>&1; then ok "$1"; else
		not_ok "$1"
		sed 's/^/#   /' "$WORK/diff.out"
	fi
}

# ---- DESTDIR, default PREFIX --------------------------------------------------
D=$WORK/dest
check "make install DESTDIR (PREFIX /usr/local)" mk install DESTDIR="$D"
expected /usr/local /etc/pkcs11/modules /etc/udev/rules.d | sort >"$WORK/want"
tree "$D" >"$WORK/got"
same_list "DESTDIR tree is exactly the expected files" "$WORK/want" "$WORK/got"
sed -n 's/^f //p' "$D/usr/local/share/smartsign/install-manifest" | sort >"$WORK/man"
same_list "the manifest lists exactly those files" "$WORK/want" "$WORK/man"
check_grep "p11-kit module file names the installed module" \
    "^module: /usr/local/lib/$MA/pkcs11/smartsign-pkcs11.so$" \
    "$D/etc/pkcs11/modules/smartsign.module"
[ "$(stat -c %a "$D/usr/local/bin/smartsign-sign")" = 755 ] &&
    [ "$(stat -c %a "$D/usr/local/lib/$MA/pkcs11/smartsign-pkcs11.so")" = 644 ] &&
    ok "modes: programs 755, module 644" || not_ok "modes of installed files"
cp "$D/usr/local/share/smartsign/install-manifest" "$WORK/real-manifest"
check "install twice (the manifest keeps what the first one created)" \
    mk install DESTDIR="$D"
check "make uninstall DESTDIR" mk uninstall DESTDIR="$D"
left=$(cd "$D" && find . -mindepth 1 | head -n 5)
[ -z "$left" ] && ok "uninstall leaves nothing (files and created directories)" ||
    not_ok "uninstall left: $left"
check "uninstall without an install is harmless" mk uninstall DESTDIR="$D"

# ---- DESTDIR, PREFIX=/usr (a package) -----------------------------------------
D2=$WORK/dest-usr
check "make install DESTDIR PREFIX=/usr" mk install DESTDIR="$D2" PREFIX=/usr
expected /usr /usr/share/p11-kit/modules /lib/udev/rules.d | sort >"$WORK/want2"
tree "$D2" >"$WORK/got2"
same_list "PREFIX=/usr tree: p11-kit and udev in the distribution's places" \
    "$WORK/want2" "$WORK/got2"
check_grep "PREFIX=/usr module file" "^module: /usr/lib/$MA/pkcs11/smartsign-pkcs11.so$" \
    "$D2/usr/share/p11-kit/modules/smartsign.module"
check "make uninstall PREFIX=/usr" mk uninstall DESTDIR="$D2" PREFIX=/usr
[ -z "$(cd "$D2" && find . -mindepth 1 | head -n 1)" ] &&
    ok "PREFIX=/usr uninstall leaves nothing" || not_ok "PREFIX=/usr uninstall left files"

# ---- for real ----------------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
	skip "real install" "not root"
	done_testing
	exit
fi
mkdir -p /run/lock
exec 9>/run/lock/smartsign-install.lock
flock -w 600 9 || { not_ok "another install test holds the lock"; done_testing; exit; }

# back up whatever the install will overwrite; the trap puts it back
FILES=$(sed -n 's/^f //p' "$WORK/real-manifest")
BK=$WORK/backup
mkdir -p "$BK"
for p in $FILES; do
	[ -e "$p" ] || continue
	mkdir -p "$BK$(dirname "$p")" && cp -a "$p" "$BK$p"
done
restore() {
	mk uninstall >/dev/null 2>&1
	for p in $FILES; do
		rm -f "$p"
		[ -e "$BK$p" ] && cp -a "$BK$p" "$p"
	done
}
trap restore EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

p11-kit list-modules >"$WORK/pre.txt" 2>&1
pkcs11-tool --module "$PROXY" -L >"$WORK/pre-proxy.txt" 2>&1
pre=$(grep -c 'token model *: PIV II' "$WORK/pre-proxy.txt")
check "make install (for real, PREFIX /usr/local)" mk install
missing=""
for p in $FILES; do [ -e "$p" ] || missing="$missing $p"; done
[ -z "$missing" ] && ok "every manifest file is in place" ||
    not_ok "missing after install:$missing"
p11-kit list-modules >"$WORK/post.txt" 2>&1
awk '/^smartsign:/ { on = 1; print; next } /^[^ ]/ { on = 0 } on' \
    "$WORK/post.txt" >"$WORK/post-smartsign.txt"
check_grep "p11-kit list-modules: smartsign registered" \
    "^smartsign: /usr/local/lib/$MA/pkcs11/smartsign-pkcs11.so" "$WORK/post-smartsign.txt"
check_grep "p11-kit list-modules: the emulated card's token" \
    "token: PIV Card #" "$WORK/post-smartsign.txt"
pkcs11-tool --module "$PROXY" -L >"$WORK/proxy.txt" 2>&1
post=$(grep -c 'token model *: PIV II' "$WORK/proxy.txt")
[ "$post" -eq $((pre + 1)) ] && ok "p11-kit-proxy (pkcs11-tool -L) shows our token" ||
    not_ok "p11-kit-proxy shows $post smartsign tokens, $pre before install"
printf '<declaration/>\n' >"$WORK/inst.xml"
printf '%s\n' "$SMARTSIGN_PIN" >"$WORK/pin"
check "installed smartsign-sign finds the installed module and signs" \
    /usr/local/bin/smartsign-sign sign --pin-fd 3 -o "$WORK/inst.p7s" \
    "$WORK/inst.xml" 3<"$WORK/pin"
check "and its signature verifies" /usr/local/bin/smartsign-sign verify \
    --ca "$SMARTSIGN_CA" "$WORK/inst.xml" "$WORK/inst.p7s"

check "make uninstall (for real)" mk uninstall
gone=1
for p in $FILES; do [ -e "$p" ] && { gone=0; not_ok "still there: $p"; }; done
[ "$gone" -eq 1 ] && ok "every installed file is gone"
[ ! -e /etc/pkcs11/modules/smartsign.module ] && ok "no p11-kit module file left" ||
    not_ok "p11-kit module file left"
p11-kit list-modules >"$WORK/after.txt" 2>&1
if grep -q '^smartsign:' "$WORK/after.txt" && ! grep -q '^smartsign:' "$WORK/pre.txt"; then
	not_ok "p11-kit still lists smartsign after uninstall"
else
	ok "p11-kit no longer lists smartsign"
fi
pkcs11-tool --module "$PROXY" -L >"$WORK/proxy-after.txt" 2>&1
[ "$(grep -c 'token model *: PIV II' "$WORK/proxy-after.txt")" -eq "$pre" ] &&
    ok "p11-kit-proxy no longer shows our token" ||
    not_ok "p11-kit-proxy still shows our token"
done_testing
