/*
 * token-emu/piv_keygen.c - GENERATE ASYMMETRIC KEY PAIR (INS 47) and the
 * key-slot helpers it shares with the YubiKey IMPORT KEY (yk.c).
 *
 *   00 47 00 <key> AC L { 80 01 alg [AA 01 pin-policy] [AB 01 touch] }
 *   -> 7F49 { 81 n, 82 e } | 7F49 { 86 point }
 *
 * P1 not 00 or P2 not a key slot (9A 9C 9D 9E 82..95 F9): 6A86 (a YubiKey
 * answers 6B00 to a bad slot; the PIV table says 6A86).  No management-key
 * authentication: 6982.  Malformed template, unsupported algorithm or
 * policy value: 6A80.  The new key replaces the old one only on success.
 */
#include <string.h>

#include "reader/tlv.h"
#include "emu_crypto.h"
#include "handlers.h"

#define TAG_GEN_TEMPLATE	0xac
#define TAG_GEN_ALG		0x80
#define TAG_PIN_POLICY		0xaa
#define TAG_TOUCH_POLICY	0xab

struct gen_req {
	bool	have_alg, have_pin, have_touch;
	uint8_t	alg, pin, touch;
};

uint8_t
emu_slot_default_pin_policy(uint8_t ref)
{
	switch (ref) {
	case 0x9c:
		return EMU_PIN_POLICY_ALWAYS;
	case 0x9e:
	case 0xf9:
		return EMU_PIN_POLICY_NEVER;
	default:
		return EMU_PIN_POLICY_ONCE;
	}
}

int
emu_slot_policies(uint8_t ref, uint8_t pin_in, uint8_t touch_in,
    uint8_t *pin_out, uint8_t *touch_out)
{
	if (pin_in > EMU_PIN_POLICY_ALWAYS ||
	    touch_in > EMU_TOUCH_POLICY_CACHED)
		return -1;
	*pin_out = pin_in == EMU_PIN_POLICY_DEFAULT ?
	    emu_slot_default_pin_policy(ref) : pin_in;
	*touch_out = touch_in == EMU_TOUCH_POLICY_DEFAULT ?
	    EMU_TOUCH_POLICY_NEVER : touch_in;
	return 0;
}

void
emu_slot_install(struct emu_card *card, struct emu_key *key, EVP_PKEY *pkey,
    uint8_t alg, uint8_t pin_policy, uint8_t touch_policy, uint8_t origin)
{
	EVP_PKEY_free(key->pkey);
	key->pkey = pkey;
	key->alg = alg;
	key->pin_policy = pin_policy;
	key->touch_policy = touch_policy;
	key->origin = origin;
	card->dirty = true;
}

/* one byte TLV value, each tag at most once */
static int
gen_byte(const struct ss_tlv *t, bool *have, uint8_t *v)
{
	if (*have || t->len != 1)
		return -1;
	*have = true;
	*v = t->val[0];
	return 0;
}

static int
gen_item(struct gen_req *req, const struct ss_tlv *t)
{
	switch (t->tag) {
	case TAG_GEN_ALG:
		return gen_byte(t, &req->have_alg, &req->alg);
	case TAG_PIN_POLICY:
		return gen_byte(t, &req->have_pin, &req->pin);
	case TAG_TOUCH_POLICY:
		return gen_byte(t, &req->have_touch, &req->touch);
	default:
		return -1;
	}
}

static int
gen_parse(const struct ss_apdu *a, struct gen_req *req)
{
	struct ss_tlv	outer, t;
	struct ss_rd	r;

	memset(req, 0, sizeof(*req));
	if (ss_tlv_expect(a->data, a->lc, TAG_GEN_TEMPLATE, &outer) < 0)
		return -1;
	ss_rd_init(&r, outer.val, outer.len);
	while (ss_rd_left(&r) > 0)
		if (ss_tlv_next(&r, &t) < 0 || gen_item(req, &t) < 0)
			return -1;
	if (!req->have_alg || !emu_alg_is_asym(req->alg))
		return -1;
	return 0;
}

uint16_t
emu_generate(struct emu_ctx *ctx, const struct ss_apdu *a, struct ss_wr *out)
{
	struct gen_req	 req;
	struct emu_key	*key;
	EVP_PKEY	*pkey;
	uint8_t		 pin, touch;

	if (a->p1 != 0x00 || (key = emu_card_key(ctx->card, a->p2)) == NULL)
		return SS_SW_INCORRECT_P1P2;
	if (!ctx->sess.mgmt_authed)
		return SS_SW_SECURITY_STATUS;
	if (gen_parse(a, &req) < 0 ||
	    emu_slot_policies(key->ref, req.pin, req.touch, &pin, &touch) < 0)
		return SS_SW_WRONG_DATA;
	if ((pkey = emu_crypto_keygen(req.alg)) == NULL)
		return SS_SW_UNKNOWN;
	if (emu_pubkey_put(out, pkey, true) < 0) {
		EVP_PKEY_free(pkey);
		return SS_SW_UNKNOWN;
	}
	emu_slot_install(ctx->card, key, pkey, req.alg, pin, touch,
	    EMU_ORIGIN_GENERATED);
	return SS_SW_OK;
}
