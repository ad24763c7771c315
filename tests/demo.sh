#!/bin/sh
# tests/demo.sh - what "make demo" shows, run inside tests/rig: an emulated
# PIV card behind a private pcscd, seen by software nobody here wrote.
set -u
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "PC/SC readers (opensc-tool -l): the emulated card sits in '$SMARTSIGN_READER'"
opensc-tool -l
say "The card's ATR as pcscd reports it"
opensc-tool -r "$SMARTSIGN_READER" -a
say "OpenSC's PKCS#11 module lists the card's objects (pkcs11-tool -O)"
pkcs11-tool --module /usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so -O
say "yubico-piv-tool reads its status"
yubico-piv-tool -r "$SMARTSIGN_READER" -a status
say "The emulator counted what the peers sent"
cat "$SMARTSIGN_EMU_COUNTERS"
