/*
 * token-emu/piv_data.c - SELECT, GET DATA and PUT DATA (SP 800-73-4
 * Part 2).
 *
 * Choices where the specification leaves room:
 * - SELECT accepts the PIV AID and any right-truncated form of at least
 *   the 5-byte RID (ykpiv sends 5 bytes, OpenSC 9); anything else,
 *   including an empty AID, is an unknown application: 6A82, and PIV
 *   stays selected with its security status (SP 800-73-4 3.1.1).
 * - The discovery object (7E) and the BIT group template (7F61) are
 *   interindustry templates: GET DATA returns them under their own tag,
 *   PUT DATA takes them under their own tag; every other object is
 *   wrapped in 53.  A card with no stored discovery object answers with
 *   the fixed one every PIV card carries (PIV AID, PIN policy 40 00).
 * - A PIN-protected object answers 6982 before VERIFY whether or not it
 *   exists, so an unauthenticated host cannot probe which exist.
 * - GET DATA of a tag outside the PIV namespace answers 6A82 (nothing of
 *   that name); PUT DATA of one answers 6A80 (the data names no object
 *   that can be written).
 */
#include <stdbool.h>
#include <string.h>

#include "reader/apdu.h"
#include "reader/buf.h"
#include "reader/tlv.h"
#include "card.h"
#include "handlers.h"

#define TAG_DISCOVERY	0x7eu
#define TAG_BITGT	0x7f61u
#define TAG_CONTAINER	0x53u
#define TAG_OBJ_ID	0x5cu
#define PIV_AID_MIN	5	/* the RID A0 00 00 03 08 */

static const uint8_t piv_aid[] = {
	0xa0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00,
};

static const uint8_t piv_pix_version[] = {
	0x00, 0x00, 0x10, 0x00, 0x01, 0x00,
};

/* SP 800-78-4 identifiers announced in the cryptographic mechanisms */
static const uint8_t piv_algs[] = {
	PIV_ALG_3DES, PIV_ALG_AES128, PIV_ALG_AES192, PIV_ALG_AES256,
	PIV_ALG_RSA1024, PIV_ALG_RSA2048, PIV_ALG_ECCP256, PIV_ALG_ECCP384,
};

/* 4F AID, 5F2F PIN usage policy: PIV PIN only, no global PIN */
static const uint8_t default_discovery[] = {
	0x4f, 0x0b, 0xa0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00,
	0x01, 0x00, 0x5f, 0x2f, 0x02, 0x40, 0x00,
};

/* ---- SELECT ---- */

static bool
aid_is_piv(const struct ss_apdu *a)
{
	struct ss_rd	 r;
	const uint8_t	*aid;

	if (a->lc < PIV_AID_MIN || a->lc > sizeof(piv_aid))
		return false;
	ss_rd_init(&r, a->data, a->lc);
	if (ss_rd_ptr(&r, &aid, a->lc) < 0)
		return false;
	return memcmp(aid, piv_aid, a->lc) == 0;
}

static const uint8_t oid_none = 0x00;

static size_t
alg_list_len(void)
{
	return sizeof(piv_algs) * 3 + 3;	/* 80 01 alg ..., 06 01 00 */
}

static int
put_alg_list(struct ss_wr *w)
{
	size_t i;

	ss_tlv_put_hdr(w, 0xac, alg_list_len());
	for (i = 0; i < sizeof(piv_algs); i++)
		ss_tlv_put(w, 0x80, &piv_algs[i], 1);
	ss_tlv_put(w, 0x06, &oid_none, 1);
	return w->err ? -1 : 0;
}

/* 61 { 4F PIX, 79 { 4F RID }, AC { 80 alg..., 06 00 } } */
static int
put_app_template(struct ss_wr *w)
{
	size_t	pix = 2 + sizeof(piv_pix_version);
	size_t	auth = 2 + 2 + PIV_AID_MIN;
	size_t	ac = 2 + alg_list_len();

	ss_tlv_put_hdr(w, 0x61, pix + auth + ac);
	ss_tlv_put(w, 0x4f, piv_pix_version, sizeof(piv_pix_version));
	ss_tlv_put_hdr(w, 0x79, 2 + PIV_AID_MIN);
	ss_tlv_put(w, 0x4f, piv_aid, PIV_AID_MIN);
	return put_alg_list(w);
}

uint16_t
emu_select(struct emu_ctx *ctx, const struct ss_apdu *a, struct ss_wr *out)
{
	if (a->p1 != 0x04 || a->p2 != 0x00)
		return SS_SW_INCORRECT_P1P2;
	if (!aid_is_piv(a))
		return SS_SW_NOT_FOUND;
	/* re-selecting PIV keeps the security status (3.1.1) */
	ctx->sess.selected = true;
	if (put_app_template(out) < 0)
		return SS_SW_UNKNOWN;
	return SS_SW_OK;
}

/* ---- object names ---- */

static bool
tag_is_valid(const struct emu_card *card, uint32_t tag)
{
	if (tag == TAG_DISCOVERY || tag == TAG_BITGT)
		return true;
	if (tag >= 0x5fc101 && tag <= 0x5fc123)
		return true;
	return card->yubikey && tag >= 0x5fff00 && tag <= 0x5fff15;
}

static bool
tag_needs_pin(uint32_t tag)
{
	switch (tag) {
	case 0x5fc103:	/* fingerprints */
	case 0x5fc108:	/* facial image */
	case 0x5fc109:	/* printed information */
	case 0x5fc121:	/* iris images */
		return true;
	default:
		return false;
	}
}

/* the tag an object's content travels in */
static uint32_t
wrap_tag(uint32_t tag)
{
	if (tag == TAG_DISCOVERY || tag == TAG_BITGT)
		return tag;
	return TAG_CONTAINER;
}

/* Read 5C (1 to 3 bytes) at the cursor into a tag number. */
static int
read_obj_id(struct ss_rd *r, uint32_t *tag)
{
	struct ss_tlv	t;
	struct ss_rd	v;
	uint8_t		b;

	if (ss_tlv_next(r, &t) < 0 || t.tag != TAG_OBJ_ID || t.len < 1 ||
	    t.len > 3)
		return -1;
	*tag = 0;
	ss_rd_init(&v, t.val, t.len);
	while (ss_rd_u8(&v, &b) == 0)
		*tag = *tag << 8 | b;
	return 0;
}

/* ---- GET DATA ---- */

static uint16_t
put_object(const struct emu_card *card, uint32_t tag, struct ss_wr *out)
{
	const struct emu_object *obj = emu_card_obj(card, tag);

	if (obj != NULL)
		ss_tlv_put(out, wrap_tag(tag), obj->data, obj->len);
	else if (tag == TAG_DISCOVERY)
		ss_tlv_put(out, tag, default_discovery,
		    sizeof(default_discovery));
	else
		return SS_SW_NOT_FOUND;
	return out->err ? SS_SW_UNKNOWN : SS_SW_OK;
}

uint16_t
emu_get_data(struct emu_ctx *ctx, const struct ss_apdu *a, struct ss_wr *out)
{
	struct ss_rd	r;
	uint32_t	tag;

	if (a->p1 != 0x3f || a->p2 != 0xff)
		return SS_SW_INCORRECT_P1P2;
	ss_rd_init(&r, a->data, a->lc);
	if (read_obj_id(&r, &tag) < 0 || ss_rd_left(&r) != 0)
		return SS_SW_WRONG_DATA;
	if (!tag_is_valid(ctx->card, tag))
		return SS_SW_NOT_FOUND;
	if (tag_needs_pin(tag) && !ctx->sess.pin_verified)
		return SS_SW_SECURITY_STATUS;
	return put_object(ctx->card, tag, out);
}

/* ---- PUT DATA ---- */

/* Parse `5C tag` + `53 L content` (7E / 7F61 for those two), nothing after. */
static uint16_t
parse_put(const struct emu_card *card, const struct ss_apdu *a,
    uint32_t *tag, struct ss_tlv *content)
{
	struct ss_rd r;

	ss_rd_init(&r, a->data, a->lc);
	if (read_obj_id(&r, tag) < 0 || !tag_is_valid(card, *tag))
		return SS_SW_WRONG_DATA;
	if (ss_tlv_next(&r, content) < 0 || content->tag != wrap_tag(*tag) ||
	    ss_rd_left(&r) != 0)
		return SS_SW_WRONG_DATA;
	if (content->len > EMU_OBJ_MAX)
		return SS_SW_NO_SPACE;
	return SS_SW_OK;
}

uint16_t
emu_put_data(struct emu_ctx *ctx, const struct ss_apdu *a, struct ss_wr *out)
{
	struct ss_tlv	content;
	uint32_t	tag;
	uint16_t	sw;

	(void)out;
	if (a->p1 != 0x3f || a->p2 != 0xff)
		return SS_SW_INCORRECT_P1P2;
	if (!ctx->sess.mgmt_authed)
		return SS_SW_SECURITY_STATUS;
	if ((sw = parse_put(ctx->card, a, &tag, &content)) != SS_SW_OK)
		return sw;
	/* `53 00` deletes the object */
	if (emu_card_obj_set(ctx->card, tag, content.val, content.len) < 0)
		return SS_SW_NO_SPACE;
	ctx->card->dirty = true;
	return SS_SW_OK;
}
