/*
 * token-emu/quirks.h - card behaviours real cards show and the emulator
 * otherwise never does, switched on with "smartsign-emu run --quirk".
 *
 *   short-only  the ATR still announces extended Lc/Le, but every
 *               extended APDU answers 6700 (wrong length)
 *   le-exact    a read command (SELECT, GET DATA, GET RESPONSE, GET
 *               VERSION/SERIAL/METADATA) with a short Le (00 counts as
 *               256) that differs from the bytes it has, when fewer than
 *               256, answers 6Cxx with xx = the right length and nothing
 *               else; the host sends the command again with Le = xx
 *   odd-6a80    GENERAL AUTHENTICATE with a slot key (not 9B) whose data
 *               ends in an odd byte answers 6A80 (wrong data) without a
 *               key operation
 *
 * Pure functions of the APDU and the quirk set, called by the engine.
 */
#ifndef EMU_QUIRKS_H
#define EMU_QUIRKS_H

#include <stddef.h>
#include <stdint.h>

#include "reader/apdu.h"

#define EMU_QUIRK_SHORT_ONLY	0x01u
#define EMU_QUIRK_LE_EXACT	0x02u
#define EMU_QUIRK_ODD_6A80	0x04u

/* "name[,name...]" into *set (added to what is there); -1 on an unknown
 * or empty name. */
int	emu_quirks_parse(const char *list, unsigned *set);
/* Before anything else: the status word the card answers instead, or 0. */
uint16_t emu_quirk_refuse(unsigned set, const struct ss_apdu *);
/* A (joined) command about to run: the status word instead, or 0. */
uint16_t emu_quirk_reject(unsigned set, const struct ss_apdu *);
/* le-exact: 6Cxx for a response piece of avail bytes (all that is left),
 * or 0 when the piece may go. */
uint16_t emu_quirk_le(unsigned set, const struct ss_apdu *, size_t avail);

#endif
