/*
 * token-emu/piv_auth.c - GENERAL AUTHENTICATE (INS 87, P1 alg, P2 key).
 *
 * Slot keys:   7C { 82 00, 81 L data }   -> 7C { 82 L signature/plain }
 *              7C { 82 00, 85 L point }  -> 7C { 82 L shared secret }
 * Key 9B:      7C { 80 00 }              -> 7C { 80 n E(W) }    mutual 1
 *              7C { 80 n W, 81 n C [82 00] } -> 7C { 82 n E(C) } mutual 2
 *              7C { 81 00 }              -> 7C { 81 n C }       external 1
 *              7C { 82 n E(C) }          -> (no data)           external 2
 *
 * Status words where SP 800-73-4 and the peers leave room:
 * - P2 not a key reference, or F9 (it signs only attestations): 6A86.
 * - A slot without a key: 6A88.  P1 not the key's algorithm: 6A80.
 * - PIN policy unmet: 6982.  ONCE needs a verified PIN, ALWAYS a verified
 *   PIN and a VERIFY since the key's last use (any attempt uses it up).
 * - Every malformed template, wrong size, RSA input >= n, EC point off
 *   the curve: 6A80.  Unknown or repeated tags in 7C are malformed.
 * - Management key: a wrong witness or response is 6982, so is a step 2
 *   with no step 1; both drop any earlier authentication.  A witness or
 *   challenge is single use: any failure forgets it.  Starting a new
 *   exchange (80 00 or 81 00) drops an earlier authentication too.
 * - cnt.keyops counts slot-key operations that succeeded; management-key
 *   block encryptions are not counted.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "reader/tlv.h"
#include "reader/wipe.h"
#include "emu_crypto.h"
#include "handlers.h"

#define TAG_GA_TEMPLATE		0x7c
#define TAG_GA_WITNESS		0x80
#define TAG_GA_CHALLENGE	0x81
#define TAG_GA_RESPONSE		0x82
#define TAG_GA_EXPONENT		0x85

#define KEY_REF_MGMT		0x9b
#define KEY_REF_ATTEST		0xf9

#define MGMT_IDLE		0
#define MGMT_WITNESS_SENT	1
#define MGMT_CHALLENGE_SENT	2

struct ga_item {
	bool		 present;
	const uint8_t	*val;
	size_t		 len;
};

struct ga_req {
	struct ga_item	 witness;	/* 80 */
	struct ga_item	 challenge;	/* 81 */
	struct ga_item	 response;	/* 82 */
	struct ga_item	 exponent;	/* 85 */
};

static struct ga_item *
ga_slot(struct ga_req *req, uint32_t tag)
{
	switch (tag) {
	case TAG_GA_WITNESS:
		return &req->witness;
	case TAG_GA_CHALLENGE:
		return &req->challenge;
	case TAG_GA_RESPONSE:
		return &req->response;
	case TAG_GA_EXPONENT:
		return &req->exponent;
	default:
		return NULL;
	}
}

/* exactly 7C { known tags, each at most once }, nothing after */
static int
ga_parse(const struct ss_apdu *a, struct ga_req *req)
{
	struct ss_tlv	 outer, t;
	struct ss_rd	 r;
	struct ga_item	*it;

	memset(req, 0, sizeof(*req));
	if (ss_tlv_expect(a->data, a->lc, TAG_GA_TEMPLATE, &outer) < 0)
		return -1;
	ss_rd_init(&r, outer.val, outer.len);
	while (ss_rd_left(&r) > 0) {
		if (ss_tlv_next(&r, &t) < 0 ||
		    (it = ga_slot(req, t.tag)) == NULL || it->present)
			return -1;
		it->present = true;
		it->val = t.val;
		it->len = t.len;
	}
	return 0;
}

static bool
ga_empty(const struct ga_item *it)
{
	return it->present && it->len == 0;
}

static bool
ga_full(const struct ga_item *it)
{
	return it->present && it->len > 0;
}

static uint16_t
ga_reply(struct ss_wr *out, uint32_t tag, const uint8_t *v, size_t len)
{
	size_t inner = ss_tlv_tag_len(tag) + ss_tlv_len_len(len) + len;

	if (ss_tlv_put_hdr(out, TAG_GA_TEMPLATE, inner) < 0 ||
	    ss_tlv_put(out, tag, v, len) < 0)
		return SS_SW_UNKNOWN;
	return SS_SW_OK;
}

/* ---- management key (9B) ---- */

static void
mgmt_forget(struct emu_session *s)
{
	s->mgmt_state = MGMT_IDLE;
	ss_wipe(s->mgmt_expect, sizeof(s->mgmt_expect));
	s->mgmt_expect_len = 0;
}

static int
mgmt_crypt(const struct emu_card *card, bool enc, const uint8_t *in,
    uint8_t *out, size_t n)
{
	return emu_sym_ecb(card->mgmt_alg, card->mgmt_key, card->mgmt_key_len,
	    enc, in, out, n);
}

/* step 1 of either flow: remember a fresh random block */
static int
mgmt_fresh(struct emu_session *s, size_t n, uint8_t state)
{
	mgmt_forget(s);
	s->mgmt_authed = false;
	if (n > sizeof(s->mgmt_expect) || emu_rand(s->mgmt_expect, n) < 0)
		return -1;
	s->mgmt_expect_len = n;
	s->mgmt_state = state;
	return 0;
}

static uint16_t
mgmt_witness(struct emu_ctx *ctx, size_t n, struct ss_wr *out)
{
	struct emu_session	*s = &ctx->sess;
	uint8_t			 ew[EMU_SYM_BLOCK_MAX];
	uint16_t		 sw = SS_SW_UNKNOWN;

	if (mgmt_fresh(s, n, MGMT_WITNESS_SENT) == 0 &&
	    mgmt_crypt(ctx->card, true, s->mgmt_expect, ew, n) == 0)
		sw = ga_reply(out, TAG_GA_WITNESS, ew, n);
	if (sw != SS_SW_OK)
		mgmt_forget(s);
	ss_wipe(ew, sizeof(ew));
	return sw;
}

static uint16_t
mgmt_mutual(struct emu_ctx *ctx, const struct ga_req *req, size_t n,
    struct ss_wr *out)
{
	struct emu_session	*s = &ctx->sess;
	uint8_t			 ec[EMU_SYM_BLOCK_MAX];
	uint16_t		 sw;

	if (s->mgmt_state != MGMT_WITNESS_SENT || s->mgmt_expect_len != n)
		sw = SS_SW_SECURITY_STATUS;
	else if (req->witness.len != n || req->challenge.len != n)
		sw = SS_SW_WRONG_DATA;
	else if (CRYPTO_memcmp(req->witness.val, s->mgmt_expect, n) != 0)
		sw = SS_SW_SECURITY_STATUS;
	else if (mgmt_crypt(ctx->card, true, req->challenge.val, ec, n) < 0)
		sw = SS_SW_UNKNOWN;
	else
		sw = ga_reply(out, TAG_GA_RESPONSE, ec, n);
	mgmt_forget(s);
	s->mgmt_authed = sw == SS_SW_OK;
	ss_wipe(ec, sizeof(ec));
	return sw;
}

static uint16_t
mgmt_challenge(struct emu_ctx *ctx, size_t n, struct ss_wr *out)
{
	struct emu_session	*s = &ctx->sess;
	uint16_t		 sw = SS_SW_UNKNOWN;

	if (mgmt_fresh(s, n, MGMT_CHALLENGE_SENT) == 0)
		sw = ga_reply(out, TAG_GA_CHALLENGE, s->mgmt_expect, n);
	if (sw != SS_SW_OK)
		mgmt_forget(s);
	return sw;
}

static uint16_t
mgmt_external(struct emu_ctx *ctx, const struct ga_req *req, size_t n)
{
	struct emu_session	*s = &ctx->sess;
	uint8_t			 ec[EMU_SYM_BLOCK_MAX];
	uint16_t		 sw;

	if (s->mgmt_state != MGMT_CHALLENGE_SENT || s->mgmt_expect_len != n)
		sw = SS_SW_SECURITY_STATUS;
	else if (req->response.len != n)
		sw = SS_SW_WRONG_DATA;
	else if (mgmt_crypt(ctx->card, true, s->mgmt_expect, ec, n) < 0)
		sw = SS_SW_UNKNOWN;
	else if (CRYPTO_memcmp(req->response.val, ec, n) != 0)
		sw = SS_SW_SECURITY_STATUS;
	else
		sw = SS_SW_OK;
	mgmt_forget(s);
	s->mgmt_authed = sw == SS_SW_OK;
	ss_wipe(ec, sizeof(ec));
	return sw;
}

static uint16_t
ga_mgmt(struct emu_ctx *ctx, const struct ss_apdu *a, struct ss_wr *out)
{
	const struct emu_card	*card = ctx->card;
	struct ga_req		 req;
	size_t			 n = emu_sym_block_len(card->mgmt_alg);

	if (n == 0 || a->p1 != card->mgmt_alg || ga_parse(a, &req) < 0 ||
	    req.exponent.present) {
		mgmt_forget(&ctx->sess);
		return SS_SW_WRONG_DATA;
	}
	if (ga_empty(&req.witness) && !req.challenge.present &&
	    !req.response.present)
		return mgmt_witness(ctx, n, out);
	if (ga_full(&req.witness) && ga_full(&req.challenge) &&
	    (!req.response.present || ga_empty(&req.response)))
		return mgmt_mutual(ctx, &req, n, out);
	if (ga_empty(&req.challenge) && !req.witness.present &&
	    !req.response.present)
		return mgmt_challenge(ctx, n, out);
	if (ga_full(&req.response) && !req.witness.present &&
	    !req.challenge.present)
		return mgmt_external(ctx, &req, n);
	mgmt_forget(&ctx->sess);
	return SS_SW_WRONG_DATA;
}

/* ---- slot keys ---- */

static uint16_t
ga_pin_check(const struct emu_session *s, const struct emu_key *key)
{
	switch (key->pin_policy) {
	case EMU_PIN_POLICY_NEVER:
		return SS_SW_OK;
	case EMU_PIN_POLICY_ALWAYS:
		return s->pin_verified && s->pin_always_ok ? SS_SW_OK :
		    SS_SW_SECURITY_STATUS;
	default:			/* ONCE, and anything unknown */
		return s->pin_verified ? SS_SW_OK : SS_SW_SECURITY_STATUS;
	}
}

static int
ga_sign(struct emu_key *key, const struct ga_item *in, uint8_t *res,
    size_t *reslen)
{
	if (emu_alg_is_rsa(key->alg))
		return emu_rsa_raw(key->pkey, in->val, in->len, res, reslen);
	if (emu_alg_is_ec(key->alg))
		return emu_ecdsa_sign(key->pkey, in->val, in->len, res, reslen);
	if (key->alg == PIV_ALG_ED25519)
		return emu_ed25519_sign(key->pkey, in->val, in->len, res,
		    reslen);
	return -1;
}

static uint16_t
ga_key_op(struct emu_ctx *ctx, struct emu_key *key, const struct ga_req *req,
    struct ss_wr *out)
{
	uint8_t		res[EMU_ASYM_OUT_MAX];
	size_t		reslen = sizeof(res);
	uint16_t	sw = SS_SW_WRONG_DATA;
	int		rc;

	if (req->challenge.present)
		rc = ga_sign(key, &req->challenge, res, &reslen);
	else
		rc = emu_key_agree(key->pkey, req->exponent.val,
		    req->exponent.len, res, &reslen);
	if (rc == 0) {
		ctx->cnt.keyops++;
		ctx->keyop_alg = key->alg;
		sw = ga_reply(out, TAG_GA_RESPONSE, res, reslen);
	}
	ss_wipe(res, sizeof(res));
	return sw;
}

/* 82 00 and exactly one non-empty 81 or 85, nothing else */
static bool
ga_is_key_request(const struct ga_req *req)
{
	if (!ga_empty(&req->response) || req->witness.present)
		return false;
	if (req->challenge.present)
		return ga_full(&req->challenge) && !req->exponent.present;
	return ga_full(&req->exponent);
}

static uint16_t
ga_asym(struct emu_ctx *ctx, struct emu_key *key, const struct ss_apdu *a,
    struct ss_wr *out)
{
	struct ga_req	req;
	uint16_t	sw;

	if (key->pkey == NULL || key->alg == 0)
		return SS_SW_REF_NOT_FOUND;
	if (a->p1 != key->alg)
		return SS_SW_WRONG_DATA;
	if ((sw = ga_pin_check(&ctx->sess, key)) != SS_SW_OK)
		return sw;
	if (ga_parse(a, &req) == 0 && ga_is_key_request(&req))
		sw = ga_key_op(ctx, key, &req, out);
	else
		sw = SS_SW_WRONG_DATA;
	/* an ALWAYS key needs a fresh VERIFY after every attempt */
	if (key->pin_policy == EMU_PIN_POLICY_ALWAYS)
		ctx->sess.pin_always_ok = false;
	return sw;
}

uint16_t
emu_general_auth(struct emu_ctx *ctx, const struct ss_apdu *a,
    struct ss_wr *out)
{
	struct emu_key *key;

	if (a->p2 == KEY_REF_MGMT)
		return ga_mgmt(ctx, a, out);
	if (a->p2 == KEY_REF_ATTEST ||
	    (key = emu_card_key(ctx->card, a->p2)) == NULL)
		return SS_SW_INCORRECT_P1P2;
	return ga_asym(ctx, key, a, out);
}
