/*
 * token-emu/piv_pin.c - VERIFY, CHANGE REFERENCE DATA and RESET RETRY
 * COUNTER for the PIV PIN (80) and the PUK (81) (SP 800-73-4 Part 2).
 *
 * A PIN or PUK block is 8 bytes: 6 to 8 significant bytes, then FF
 * padding.  Any other data answers 6A80 and costs no try.  Retry counters
 * live in the card (card->dirty makes the run loop save them before the
 * answer leaves), so pulling the card never gives tries back.
 *
 * Choices where the specification leaves room:
 * - VERIFY knows only key reference 80; 00 (global PIN, not offered by
 *   the discovery object) and 81 (the PUK is used by RESET RETRY COUNTER
 *   only) answer 6A88.
 * - VERIFY FF 80 (reset security status) must come without data; with
 *   data it answers 6A80.
 * - The try that uses up the last retry answers 6983, as does every try
 *   after it, without comparing.
 * - A wrong PIN, in VERIFY or CHANGE REFERENCE DATA, clears the PIN's
 *   verified status.
 * - cnt.verify counts every VERIFY carrying a well-formed PIN block
 *   (blocked ones too), cnt.verify_fail those that were compared and
 *   wrong.
 */
#include <stdbool.h>
#include <string.h>

#include <openssl/crypto.h>

#include "reader/apdu.h"
#include "reader/buf.h"
#include "reader/wipe.h"
#include "card.h"
#include "handlers.h"

#define REF_PIN		0x80
#define REF_PUK		0x81
#define PIN_MIN_LEN	6
#define PIN_PAD		0xff
#define P1_LOGOUT	0xff

struct pin_slot {
	uint8_t		*value;
	uint8_t		*tries_left;
	uint8_t		 tries_max;
	bool		*is_default;
};

static void
pin_slot_get(struct emu_card *card, uint8_t ref, struct pin_slot *s)
{
	if (ref == REF_PUK) {
		s->value = card->puk;
		s->tries_left = &card->puk_tries_left;
		s->tries_max = card->puk_tries_max;
		s->is_default = &card->puk_is_default;
	} else {
		s->value = card->pin;
		s->tries_left = &card->pin_tries_left;
		s->tries_max = card->pin_tries_max;
		s->is_default = &card->pin_is_default;
	}
}

/* 6..8 significant bytes (none of them FF), then only FF */
static bool
pin_block_ok(const uint8_t pin[EMU_PIN_LEN])
{
	size_t n = 0, i;

	while (n < EMU_PIN_LEN && pin[n] != PIN_PAD)
		n++;
	for (i = n; i < EMU_PIN_LEN; i++)
		if (pin[i] != PIN_PAD)
			return false;
	return n >= PIN_MIN_LEN;
}

/* The data must be exactly one block (second == NULL) or two. */
static int
read_blocks(const struct ss_apdu *a, uint8_t first[EMU_PIN_LEN],
    uint8_t second[EMU_PIN_LEN])
{
	struct ss_rd r;

	ss_rd_init(&r, a->data, a->lc);
	if (ss_rd_bytes(&r, first, EMU_PIN_LEN) < 0 || !pin_block_ok(first))
		return -1;
	if (second != NULL && (ss_rd_bytes(&r, second, EMU_PIN_LEN) < 0 ||
	    !pin_block_ok(second)))
		return -1;
	return ss_rd_left(&r) == 0 && r.err == 0 ? 0 : -1;
}

static uint16_t
tries_sw(uint8_t left)
{
	if (left == 0)
		return SS_SW_AUTH_BLOCKED;
	return (uint16_t)SS_SW_VERIFY_FAIL(left > 15 ? 15 : left);
}

static void
pin_logout(struct emu_session *s)
{
	s->pin_verified = false;
	s->pin_always_ok = false;
}

/*
 * Compare a block with reference data 80 or 81 in constant time.  A
 * blocked reference answers 6983 without comparing; a wrong one costs a
 * try (*wrong set); a right one gives all tries back.
 */
static uint16_t
ref_check(struct emu_ctx *ctx, uint8_t ref, const uint8_t given[EMU_PIN_LEN],
    bool *wrong)
{
	struct pin_slot s;

	pin_slot_get(ctx->card, ref, &s);
	*wrong = false;
	if (*s.tries_left == 0)
		return SS_SW_AUTH_BLOCKED;
	if (CRYPTO_memcmp(given, s.value, EMU_PIN_LEN) != 0) {
		(*s.tries_left)--;
		ctx->card->dirty = true;
		if (ref == REF_PIN)
			pin_logout(&ctx->sess);
		*wrong = true;
		return tries_sw(*s.tries_left);
	}
	if (*s.tries_left != s.tries_max) {
		*s.tries_left = s.tries_max;
		ctx->card->dirty = true;
	}
	return SS_SW_OK;
}

/* ---- VERIFY ---- */

static uint16_t
verify_query(const struct emu_ctx *ctx)
{
	if (ctx->sess.pin_verified)
		return SS_SW_OK;
	return tries_sw(ctx->card->pin_tries_left);
}

static uint16_t
verify_pin(struct emu_ctx *ctx, const struct ss_apdu *a)
{
	uint8_t		pin[EMU_PIN_LEN];
	uint16_t	sw;
	bool		wrong;

	if (read_blocks(a, pin, NULL) < 0) {
		sw = SS_SW_WRONG_DATA;
		goto out;
	}
	ctx->cnt.verify++;
	sw = ref_check(ctx, REF_PIN, pin, &wrong);
	if (wrong)
		ctx->cnt.verify_fail++;
	if (sw == SS_SW_OK) {
		ctx->sess.pin_verified = true;
		ctx->sess.pin_always_ok = true;
	}
out:
	ss_wipe(pin, sizeof(pin));
	return sw;
}

uint16_t
emu_verify(struct emu_ctx *ctx, const struct ss_apdu *a, struct ss_wr *out)
{
	(void)out;
	if (a->p1 != 0x00 && a->p1 != P1_LOGOUT)
		return SS_SW_INCORRECT_P1P2;
	if (a->p2 != REF_PIN)
		return SS_SW_REF_NOT_FOUND;
	if (a->p1 == P1_LOGOUT) {
		if (a->lc != 0)
			return SS_SW_WRONG_DATA;
		pin_logout(&ctx->sess);
		return SS_SW_OK;
	}
	if (a->lc == 0)		/* 00 20 00 80 and 00 20 00 80 00 */
		return verify_query(ctx);
	return verify_pin(ctx, a);
}

/* ---- CHANGE REFERENCE DATA ---- */

uint16_t
emu_change_ref(struct emu_ctx *ctx, const struct ss_apdu *a, struct ss_wr *out)
{
	uint8_t		oldv[EMU_PIN_LEN], newv[EMU_PIN_LEN];
	struct pin_slot	s;
	uint16_t	sw;
	bool		wrong;

	(void)out;
	if (a->p1 != 0x00)
		return SS_SW_INCORRECT_P1P2;
	if (a->p2 != REF_PIN && a->p2 != REF_PUK)
		return SS_SW_REF_NOT_FOUND;
	if (read_blocks(a, oldv, newv) < 0) {
		sw = SS_SW_WRONG_DATA;
		goto out;
	}
	if ((sw = ref_check(ctx, a->p2, oldv, &wrong)) != SS_SW_OK)
		goto out;
	pin_slot_get(ctx->card, a->p2, &s);
	memcpy(s.value, newv, EMU_PIN_LEN);
	*s.is_default = false;
	ctx->card->dirty = true;
out:
	ss_wipe(oldv, sizeof(oldv));
	ss_wipe(newv, sizeof(newv));
	return sw;
}

/* ---- RESET RETRY COUNTER ---- */

uint16_t
emu_reset_retry(struct emu_ctx *ctx, const struct ss_apdu *a,
    struct ss_wr *out)
{
	uint8_t			 puk[EMU_PIN_LEN], pin[EMU_PIN_LEN];
	struct emu_card		*card = ctx->card;
	uint16_t		 sw;
	bool			 wrong;

	(void)out;
	if (a->p1 != 0x00)
		return SS_SW_INCORRECT_P1P2;
	if (a->p2 != REF_PIN)
		return SS_SW_REF_NOT_FOUND;
	if (read_blocks(a, puk, pin) < 0) {
		sw = SS_SW_WRONG_DATA;
		goto out;
	}
	if ((sw = ref_check(ctx, REF_PUK, puk, &wrong)) != SS_SW_OK)
		goto out;
	memcpy(card->pin, pin, EMU_PIN_LEN);
	card->pin_tries_left = card->pin_tries_max;
	card->pin_is_default = false;
	card->dirty = true;
out:
	ss_wipe(puk, sizeof(puk));
	ss_wipe(pin, sizeof(pin));
	return sw;
}
