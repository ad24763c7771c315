#!/bin/sh
# tools/deps.sh - install the Debian packages smartsign builds and tests with.
# As root: apt-get installs what is missing.  Otherwise: print the exact
# command and stop with status 1.
set -eu

PKGS="make gcc clang pkg-config libclang-rt-14-dev valgrind
libssl-dev openssl libpcsclite-dev pcscd vsmartcard-vpcd pcsc-tools
p11-kit libp11-kit-dev libcmocka-dev iproute2 util-linux procps
opensc opensc-pkcs11 ykcs11 yubico-piv-tool
gnutls-bin libengine-pkcs11-openssl libnss3-tools python3-pykcs11
openjdk-17-jdk-headless firefox-esr chromium"

missing=""
for p in $PKGS; do
	s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$s" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "smartsign: missing Debian packages:$missing" >&2
	echo "run as root:  apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
echo "smartsign: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
