/*
 * token-emu/engine.c - the card's APDU engine: parse, check CLA, answer
 * GET RESPONSE, join command chains, dispatch to the instruction handlers
 * (handlers.h) and split long responses into 61xx pieces.
 *
 * Choices where SP 800-73-4 and the peers leave room:
 * - CLA other than 00 and 10 (logical channels, secure messaging,
 *   proprietary classes) answers 6E00.
 * - A command with another INS/P1/P2 in the middle of a chain drops the
 *   chain and is processed normally rather than answering 6883 (PivApplet
 *   does not either); a host that gave up on a chain is not punished.
 * - CLA 10 on GET RESPONSE answers 6884 (chaining not supported), CLA 10
 *   without data 6700.
 * - A malformed APDU (6700) drops the chain and any pending response.
 * - Quirks (quirks.h, --quirk) change some answers on purpose: extended
 *   APDUs refused with 6700, 6Cxx for an inexact Le, 6A80 for some data.
 * - Before the PIV application is selected (power on, reset) every
 *   instruction but SELECT and GET RESPONSE answers 6D00: the card has no
 *   application that knows it.  A YubiKey whose last SELECT named
 *   another applet answers VERIFY with 6D00 too (OpenSC PR #1243), and
 *   6D00 is what the drivers that probe other card types take as "not
 *   this card".
 */
#include <stdbool.h>

#include "reader/apdu.h"
#include "reader/buf.h"
#include "reader/wipe.h"
#include "engine.h"
#include "handlers.h"
#include "quirks.h"

#define INS_GET_RESPONSE	0xc0
#define INS_SELECT		0xa4
#define CLA_CHAIN		0x10
#define SW_CHAINING_UNSUPPORTED	0x6884
#define RESP_PIECE_MAX		256	/* short APDU: Le 00 */

struct ins_entry {
	uint8_t		 ins;
	uint8_t		 yubikey_only;
	emu_handler	*fn;
};

static const struct ins_entry ins_table[] = {
	{ 0xa4, 0, emu_select },
	{ 0xcb, 0, emu_get_data },
	{ 0xdb, 0, emu_put_data },
	{ 0x20, 0, emu_verify },
	{ 0x24, 0, emu_change_ref },
	{ 0x2c, 0, emu_reset_retry },
	{ 0x87, 0, emu_general_auth },
	{ 0x47, 0, emu_generate },
	{ 0xfd, 1, emu_yk_version },
	{ 0xf8, 1, emu_yk_serial },
	{ 0xf7, 1, emu_yk_metadata },
	{ 0xf9, 1, emu_yk_attest },
	{ 0xfe, 1, emu_yk_import },
	{ 0xff, 1, emu_yk_set_mgmt },
	{ 0xfb, 1, emu_yk_reset },
	{ 0xfa, 1, emu_yk_set_retries },
};

void
emu_power_on(struct emu_ctx *ctx)
{
	emu_session_reset(&ctx->sess);
	ctx->cnt.resets++;
}

static emu_handler *
ins_lookup(const struct emu_card *card, uint8_t ins)
{
	size_t i;

	for (i = 0; i < sizeof(ins_table) / sizeof(ins_table[0]); i++) {
		if (ins_table[i].ins != ins)
			continue;
		if (ins_table[i].yubikey_only && !card->yubikey)
			return NULL;
		return ins_table[i].fn;
	}
	return NULL;
}

static void
chain_drop(struct emu_session *s)
{
	ss_wipe(s->chain_buf, s->chain_len);
	s->chain_len = 0;
	s->chain_active = false;
	s->chain_ins = s->chain_p1 = s->chain_p2 = 0;
}

static void
resp_drop(struct emu_session *s)
{
	ss_wipe(s->resp_buf, s->resp_len);
	s->resp_len = 0;
	s->resp_off = 0;
}

static bool
chain_matches(const struct emu_session *s, const struct ss_apdu *a)
{
	return s->chain_ins == a->ins && s->chain_p1 == a->p1 &&
	    s->chain_p2 == a->p2;
}

/* Append one chunk; -1 (chain dropped) when the joined data overflows. */
static int
chain_append(struct emu_session *s, const struct ss_apdu *a)
{
	struct ss_wr w;

	if (!s->chain_active) {
		s->chain_active = true;
		s->chain_ins = a->ins;
		s->chain_p1 = a->p1;
		s->chain_p2 = a->p2;
		s->chain_len = 0;
	}
	ss_wr_init(&w, s->chain_buf + s->chain_len,
	    sizeof(s->chain_buf) - s->chain_len);
	if (ss_wr_bytes(&w, a->data, a->lc) < 0) {
		chain_drop(s);
		return -1;
	}
	s->chain_len += w.len;
	return 0;
}

/* How many response bytes one answer may carry for this command's Le. */
static size_t
resp_limit(const struct ss_apdu *a, size_t cap)
{
	size_t n = RESP_PIECE_MAX;

	if (a->has_le && (a->extended || a->le < n))
		n = a->le;
	return n < cap ? n : cap;
}

static uint16_t
sw_remaining(size_t left)
{
	return (uint16_t)SS_SW_BYTES_REMAINING(left >= 256 ? 0 : left);
}

/*
 * Send the next piece of the pending response (resp_buf[resp_off..]).
 * Returns 61xx while more is left, else 9000 and forgets the response.
 */
static uint16_t
resp_send_piece(struct emu_ctx *ctx, const struct ss_apdu *a,
    struct ss_wr *out)
{
	struct emu_session	*s = &ctx->sess;
	size_t			 left = s->resp_len - s->resp_off;
	size_t			 n = resp_limit(a, out->cap - 2);
	const uint8_t		*p;
	struct ss_rd		 r;
	uint16_t		 sw;

	if ((sw = emu_quirk_le(ctx->quirks, a, left)) != 0)
		return sw;	/* nothing sent, nothing consumed */
	if (n > left)
		n = left;
	ss_rd_init(&r, s->resp_buf, s->resp_len);
	if (ss_rd_skip(&r, s->resp_off) < 0 || ss_rd_ptr(&r, &p, n) < 0 ||
	    ss_wr_bytes(out, p, n) < 0) {
		resp_drop(s);
		return SS_SW_UNKNOWN;
	}
	s->resp_off += n;
	left -= n;
	if (left == 0) {
		resp_drop(s);
		return SS_SW_OK;
	}
	return sw_remaining(left);
}

static uint16_t
get_response(struct emu_ctx *ctx, const struct ss_apdu *a, struct ss_wr *out)
{
	struct emu_session *s = &ctx->sess;

	if (a->cla & CLA_CHAIN)
		return SW_CHAINING_UNSUPPORTED;
	if (a->p1 != 0 || a->p2 != 0) {
		resp_drop(s);
		return SS_SW_INCORRECT_P1P2;
	}
	if (a->lc != 0) {
		resp_drop(s);
		return SS_SW_WRONG_LENGTH;
	}
	if (s->resp_off >= s->resp_len)
		return SS_SW_CONDITIONS;
	return resp_send_piece(ctx, a, out);
}

/* Run the handler; its output goes to resp_buf, then out in pieces. */
static uint16_t
dispatch(struct emu_ctx *ctx, emu_handler *fn, const struct ss_apdu *a,
    struct ss_wr *out)
{
	struct emu_session	*s = &ctx->sess;
	struct ss_wr		 w;
	uint16_t		 sw;

	if ((sw = emu_quirk_reject(ctx->quirks, a)) != 0)
		return sw;
	ss_wr_init(&w, s->resp_buf, sizeof(s->resp_buf));
	sw = fn(ctx, a, &w);
	if (sw == SS_SW_OK && w.err)
		sw = SS_SW_UNKNOWN;
	s->resp_len = w.len;
	s->resp_off = 0;
	if (sw != SS_SW_OK || s->resp_len == 0) {
		resp_drop(s);
		return sw;
	}
	sw = resp_send_piece(ctx, a, out);
	if ((sw & 0xff00) == 0x6c00)	/* le-exact: send it again */
		resp_drop(s);
	return sw;
}

/* Join a chain (CLA 10 chunks then the last CLA 00 chunk) and dispatch. */
static uint16_t
chain_or_dispatch(struct emu_ctx *ctx, emu_handler *fn,
    const struct ss_apdu *a, struct ss_wr *out)
{
	struct emu_session	*s = &ctx->sess;
	struct ss_apdu		 joined;
	uint16_t		 sw;

	if (a->cla & CLA_CHAIN) {
		if (a->lc == 0) {
			chain_drop(s);
			return SS_SW_WRONG_LENGTH;
		}
		if (chain_append(s, a) < 0)
			return SS_SW_WRONG_LENGTH;
		return SS_SW_OK;
	}
	if (!s->chain_active)
		return dispatch(ctx, fn, a, out);
	if (chain_append(s, a) < 0)
		return SS_SW_WRONG_LENGTH;
	joined = *a;
	joined.data = s->chain_buf;
	joined.lc = s->chain_len;
	sw = dispatch(ctx, fn, &joined, out);
	chain_drop(s);
	return sw;
}

static uint16_t
process_apdu(struct emu_ctx *ctx, const struct ss_apdu *a, struct ss_wr *out)
{
	struct emu_session	*s = &ctx->sess;
	emu_handler		*fn;

	if (s->chain_active && !chain_matches(s, a))
		chain_drop(s);
	if ((a->cla & ~CLA_CHAIN) != 0) {
		chain_drop(s);
		resp_drop(s);
		return SS_SW_CLA_NOT_SUPPORTED;
	}
	if (a->ins == INS_GET_RESPONSE)
		return get_response(ctx, a, out);
	resp_drop(s);
	fn = ins_lookup(ctx->card, a->ins);
	if (fn == NULL || (!s->selected && a->ins != INS_SELECT)) {
		chain_drop(s);
		return SS_SW_INS_NOT_SUPPORTED;
	}
	return chain_or_dispatch(ctx, fn, a, out);
}

static void
count_apdu(struct emu_ctx *ctx, const uint8_t *cmd, size_t len)
{
	struct ss_rd	r;
	uint8_t		ins;

	ctx->cnt.apdus++;
	ss_rd_init(&r, cmd, len);
	if (ss_rd_skip(&r, 1) == 0 && ss_rd_u8(&r, &ins) == 0)
		ctx->cnt.by_ins[ins]++;
}

static uint16_t
process_raw(struct emu_ctx *ctx, const uint8_t *cmd, size_t cmdlen,
    struct ss_wr *out)
{
	struct ss_apdu	a;
	uint16_t	sw = 0;

	count_apdu(ctx, cmd, cmdlen);
	if (ss_apdu_parse(cmd, cmdlen, &a) < 0)
		sw = SS_SW_WRONG_LENGTH;
	else
		sw = emu_quirk_refuse(ctx->quirks, &a);
	if (sw != 0) {
		chain_drop(&ctx->sess);
		resp_drop(&ctx->sess);
		return sw;
	}
	return process_apdu(ctx, &a, out);
}

void
emu_process(struct emu_ctx *ctx, const uint8_t *cmd, size_t cmdlen,
    uint8_t *resp, size_t *resplen)
{
	struct ss_wr	out;
	uint16_t	sw;

	if (resp == NULL || resplen == NULL)
		return;
	ss_wr_init(&out, resp, EMU_RESP_MAX);
	if (ctx == NULL || ctx->card == NULL)
		sw = SS_SW_UNKNOWN;		/* no card behind the reader */
	else
		sw = process_raw(ctx, cmd, cmdlen, &out);
	if (sw != SS_SW_OK && (sw & 0xff00) != 0x6100)
		out.len = 0;
	out.err = 0;
	ss_wr_u16be(&out, sw);
	*resplen = out.len;
}
