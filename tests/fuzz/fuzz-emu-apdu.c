/*
 * tests/fuzz/fuzz-emu-apdu.c - APDUs from a hostile host into the
 * emulator's engine (emu_process(), token-emu/engine.h) on a card with
 * keys of every kind (fz-card.h).
 *
 * Input: byte 0 sets the session state the card starts in, so that deep
 * paths are reached without the fuzzer having to find a PIN and a
 * management-key challenge response:
 *   bit 0  PIV application selected
 *   bit 1  PIN verified (and the "always" PIN policy satisfied)
 *   bit 2  management key authenticated
 *   bit 3  a plain PIV card (the YubiKey instructions answer 6D00)
 *   bit 4  the PIN is blocked (no tries left)
 *   bit 5  check the card file round trip at the end (slow: keys are
 *          encoded and decoded, so the fuzzer picks when)
 *   bit 6  quirks le-exact and odd-6a80 (quirks.h: 6Cxx for an inexact
 *          Le, 6A80 for some GENERAL AUTHENTICATE data)
 *   bit 7  quirk short-only (extended APDUs answer 6700)
 * then APDUs, each a big-endian 16-bit length and that many bytes, until
 * the input ends (at most 64 per input).
 *
 * Each input starts from a fresh copy of the card and a power-on, so runs
 * are deterministic.  Key generation is cheap: GENERATE gets one
 * pre-generated key per algorithm (fz-card.h).
 *
 * Beyond "no crash", checked (abort() when broken): every response ends
 * in a status word and fits EMU_RESP_MAX; a response with data ends in
 * 9000 or 61xx; and (bit 5) a card the APDUs changed still saves and
 * loads (the emulator writes the card file after each changing command:
 * a state it cannot save would be lost or, worse, refuse to load next
 * time).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "reader/wipe.h"
#include "token-emu/cardfile.h"
#include "token-emu/engine.h"
#include "token-emu/quirks.h"
#include "fz-card.h"
#include "fuzz.h"

#define ST_SELECTED	0x01u
#define ST_PIN		0x02u
#define ST_MGMT		0x04u
#define ST_PLAIN_PIV	0x08u
#define ST_PIN_BLOCKED	0x10u
#define ST_CHECK_SAVE	0x20u
#define ST_QUIRKS	0x40u
#define ST_SHORT_ONLY	0x80u
#define APDUS_MAX	64

static void
check_response(const uint8_t *resp, size_t len)
{
	uint8_t sw1;

	if (len < 2 || len > EMU_RESP_MAX)
		abort();
	sw1 = resp[len - 2];
	if (len > 2 && !(sw1 == 0x90 && resp[len - 1] == 0x00) && sw1 != 0x61)
		abort();
}

/* The card after the APDUs must survive a save and a load. */
static void
check_saves(const struct emu_card *card)
{
	struct emu_card	 again;
	uint8_t		*file = NULL;
	size_t		 len = 0;
	char		 err[256];

	if (emu_cardfile_serialize(card, &file, &len, err, sizeof(err)) < 0 ||
	    emu_cardfile_parse(file, len, &again, err, sizeof(err)) < 0)
		abort();
	emu_card_free(&again);
	ss_free_secret(file, len);
}

static void
start_state(struct emu_ctx *ctx, uint8_t st)
{
	emu_power_on(ctx);
	ctx->sess.selected = (st & ST_SELECTED) != 0;
	ctx->sess.pin_verified = (st & ST_PIN) != 0;
	ctx->sess.pin_always_ok = (st & ST_PIN) != 0;
	ctx->sess.mgmt_authed = (st & ST_MGMT) != 0;
	if (st & ST_PLAIN_PIV)
		ctx->card->yubikey = false;
	if (st & ST_PIN_BLOCKED)
		ctx->card->pin_tries_left = 0;
	if (st & ST_QUIRKS)
		ctx->quirks |= EMU_QUIRK_LE_EXACT | EMU_QUIRK_ODD_6A80;
	if (st & ST_SHORT_ONLY)
		ctx->quirks |= EMU_QUIRK_SHORT_ONLY;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t	 resp[EMU_RESP_MAX];
	struct emu_card	 card;
	struct emu_ctx	 ctx;
	struct ss_rd	 in;
	const uint8_t	*apdu;
	size_t		 len, rlen, n;
	uint8_t		 st;

	if (fz_card_clone(&card, fz_card_template()) < 0)
		return 0;
	memset(&ctx, 0, sizeof(ctx));
	ctx.card = &card;
	ss_rd_init(&in, data, size);
	st = fz_u8(&in);
	start_state(&ctx, st);
	card.dirty = false;
	for (n = 0; n < APDUS_MAX && ss_rd_left(&in) > 0; n++) {
		len = fz_chunk(&in, &apdu);
		rlen = 0;
		emu_process(&ctx, apdu, len, resp, &rlen);
		check_response(resp, rlen);
	}
	if (card.dirty && (st & ST_CHECK_SAVE))
		check_saves(&card);
	emu_session_reset(&ctx.sess);
	emu_card_free(&card);
	ERR_clear_error();
	return 0;
}
