#!/bin/sh
# tools/register.sh - install smartsign and register its PKCS#11 module with
# p11-kit, or remove exactly what was installed.  Run by "make install" and
# "make uninstall", which pass the paths (README.md "Install"):
#
#   DESTDIR B BINDIR PKCS11DIR MANDIR P11KITDIR UDEVDIR MANIFEST
#
# install: the module into PKCS11DIR, a p11-kit module file
# P11KITDIR/smartsign.module naming it by absolute path, the programs
# (smartsign-sign, smartsign-emu, smartsign-diag when built) into BINDIR,
# their man pages into MANDIR/man1, udev/*.rules into UDEVDIR.  Every file
# and every directory it had to create is written to MANIFEST (one
# "f PATH" or "d PATH" per line, paths without DESTDIR).
# uninstall: removes the files the manifest lists, then the directories it
# lists when they are empty, then the manifest.  Nothing else is touched.
set -eu

die() { echo "register.sh: $*" >&2; exit 1; }
for v in B BINDIR PKCS11DIR MANDIR P11KITDIR UDEVDIR MANIFEST; do
	eval "[ -n \"\${$v:-}\" ]" || die "$v not set (run through make)"
done
DESTDIR=${DESTDIR:-}
TOP=$(cd "$(dirname "$0")/.." && pwd)
LIST=""	# the manifest being built

note() { LIST="$LIST$1
"; }

# mkdirs DIR: create DIR and its missing parents, noting each one created
mkdirs() {
	[ -d "$DESTDIR$1" ] && return 0
	[ "$1" = / ] && { mkdir -p "$DESTDIR/"; return 0; }
	mkdirs "$(dirname "$1")"
	mkdir -m 0755 "$DESTDIR$1"
	note "d $1"
}

# put MODE SRC DEST: install one file
put() {
	mkdirs "$(dirname "$3")"
	install -m "$1" "$2" "$DESTDIR$3"
	note "f $3"
	echo "  INSTALL $3"
}

# keep what an earlier install created, so uninstall still removes it
old_manifest() {
	[ -f "$DESTDIR$MANIFEST" ] || return 0
	while read -r kind path; do
		case "$kind" in d|f) note "$kind $path" ;; esac
	done <"$DESTDIR$MANIFEST"
}

do_install() {
	[ -f "$B/smartsign-pkcs11.so" ] || die "$B/smartsign-pkcs11.so missing: run make"
	old_manifest
	tmp=$(mktemp)
	trap 'rm -f "$tmp"' EXIT
	put 0644 "$B/smartsign-pkcs11.so" "$PKCS11DIR/smartsign-pkcs11.so"
	printf '%s\n%s\n' "# smartsign: PIV smart cards over PC/SC (installed by make install)" \
	    "module: $PKCS11DIR/smartsign-pkcs11.so" >"$tmp"
	put 0644 "$tmp" "$P11KITDIR/smartsign.module"
	for p in sign emu diag; do
		[ -f "$B/smartsign-$p" ] && put 0755 "$B/smartsign-$p" "$BINDIR/smartsign-$p"
	done
	for m in "$TOP"/tools/*.1 "$TOP"/token-emu/*.1; do
		[ -f "$m" ] && put 0644 "$m" "$MANDIR/man1/$(basename "$m")"
	done
	for r in "$TOP"/udev/*.rules; do
		[ -f "$r" ] && put 0644 "$r" "$UDEVDIR/$(basename "$r")"
	done
	mkdirs "$(dirname "$MANIFEST")"
	note "f $MANIFEST"
	{
		echo "# smartsign install manifest: make uninstall removes these"
		printf '%s' "$LIST" | awk '!seen[$0]++'
	} >"$tmp"
	install -m 0644 "$tmp" "$DESTDIR$MANIFEST"
	echo "  MANIFEST $MANIFEST"
	if [ -z "$DESTDIR" ] && ls "$TOP"/udev/*.rules >/dev/null 2>&1 &&
	    command -v udevadm >/dev/null; then
		udevadm control --reload-rules 2>/dev/null || true
	fi
}

do_uninstall() {
	m="$DESTDIR$MANIFEST"
	if [ ! -f "$m" ]; then
		echo "register.sh: nothing to uninstall (no $m)"
		return 0
	fi
	dirs=""
	while read -r kind path; do
		case "$path" in
		/*) ;;
		*) continue ;;
		esac
		case "$path" in *..*) die "bad manifest line: $kind $path" ;; esac
		case "$kind" in
		f) [ "$path" = "$MANIFEST" ] && continue
		   rm -f "$DESTDIR$path" && echo "  REMOVE  $path" ;;
		d) dirs="$path
$dirs" ;;
		esac
	done <"$m"
	rm -f "$m"
	echo "  REMOVE  $MANIFEST"
	# directories: deepest first (they were noted parents first)
	printf '%s' "$dirs" | awk 'NF' | sort -r | while read -r d; do
		rmdir "$DESTDIR$d" 2>/dev/null && echo "  RMDIR   $d" || true
	done
}

case "${1:-}" in
install) do_install ;;
uninstall) do_uninstall ;;
*) die "usage: register.sh install|uninstall" ;;
esac
