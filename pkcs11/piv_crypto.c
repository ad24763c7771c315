/*
 * pkcs11/piv_crypto.c - private-key operations through GENERAL
 * AUTHENTICATE (00 87 alg ref):
 *   sign, decrypt  7C { 82 00, 81 L data }   -> 7C { 82 L result }
 *   derive         7C { 82 00, 85 L point }  -> 7C { 82 L shared }
 * The channel chains commands longer than 255 bytes and collects 61xx;
 * with extended APDUs an RSA-2048..4096 operation is one command with an
 * extended Le, so the whole answer comes back in one response.
 *
 * RSA results shorter than the modulus (a card that drops leading zero
 * bytes) are left-padded; longer ones are rejected.  ECDSA replies are
 * DER SEQUENCE { INTEGER r, INTEGER s } and become r || s, each the
 * field size.  Decryption and key agreement are flagged SS_APDU_SECRET
 * and every buffer that held their result is wiped.
 */
#include <stdlib.h>
#include <string.h>

#include "reader/buf.h"
#include "reader/tlv.h"
#include "reader/wipe.h"
#include "piv_priv.h"

#define TAG_GA		0x7cu
#define TAG_GA_RESPONSE	0x82u
#define TAG_GA_CHALLENGE 0x81u
#define TAG_GA_EXPONENT	0x85u
#define TAG_SEQUENCE	0x30u
#define TAG_INTEGER	0x02u
#define ED25519_SIG_LEN	64
#define X25519_LEN	32

struct ga_req {
	uint8_t		 alg;
	uint8_t		 ref;
	uint32_t	 tag;		/* 81 or 85 */
	const uint8_t	*in;
	size_t		 in_len;
	unsigned	 flags;
};

int
piv_alg_id(const struct drv_key *k, uint8_t *alg)
{
	switch (k->type) {
	case DRV_KEY_RSA:
		switch (k->bits) {
		case 1024:
			*alg = PIV_ALG_RSA1024;
			return 0;
		case 2048:
			*alg = PIV_ALG_RSA2048;
			return 0;
		case 3072:
			*alg = PIV_ALG_RSA3072;
			return 0;
		case 4096:
			*alg = PIV_ALG_RSA4096;
			return 0;
		default:
			return -1;
		}
	case DRV_KEY_EC:
		if (k->bits != 256 && k->bits != 384)
			return -1;
		*alg = k->bits == 256 ? PIV_ALG_ECCP256 : PIV_ALG_ECCP384;
		return 0;
	case DRV_KEY_ED25519:
		*alg = PIV_ALG_ED25519;
		return 0;
	case DRV_KEY_X25519:
		*alg = PIV_ALG_X25519;
		return 0;
	default:
		return -1;
	}
}

static size_t
key_bytes(const struct drv_key *k)
{
	return (k->bits + 7) / 8;
}

/* 7C { 82 00, tag L in } into a new buffer. */
static int
ga_build(const struct ga_req *q, uint8_t **cmd, size_t *cmd_len)
{
	struct ss_wr	w;
	size_t		inner, total;

	inner = 2 + ss_tlv_tag_len(q->tag) + ss_tlv_len_len(q->in_len) +
	    q->in_len;
	total = 1 + ss_tlv_len_len(inner) + inner;
	if (total > SS_APDU_EXT_MAX_DATA)
		return DRV_ERR_DATA_INVALID;
	if ((*cmd = malloc(total)) == NULL)
		return DRV_ERR_MEMORY;
	*cmd_len = total;		/* what the caller wipes */
	ss_wr_init(&w, *cmd, total);
	ss_tlv_put_hdr(&w, TAG_GA, inner);
	ss_tlv_put(&w, TAG_GA_RESPONSE, NULL, 0);
	ss_tlv_put(&w, q->tag, q->in, q->in_len);
	return (w.err || w.len != total) ? DRV_ERR_ARGS : DRV_OK;
}

/* 7C { 82 L result } (other tags inside are ignored); copy result out. */
static int
ga_parse(const uint8_t *p, size_t len, uint8_t *out, size_t cap,
    size_t *out_len)
{
	struct ss_tlv	outer, t;
	struct ss_rd	r;

	if (ss_tlv_expect(p, len, TAG_GA, &outer) < 0 ||
	    ss_tlv_find(outer.val, outer.len, TAG_GA_RESPONSE, &t) < 0 ||
	    t.len == 0 || t.len > cap)
		return DRV_ERR_DEVICE;
	ss_rd_init(&r, t.val, t.len);
	if (ss_rd_bytes(&r, out, t.len) < 0)
		return DRV_ERR_DEVICE;
	*out_len = t.len;
	return DRV_OK;
}

/* Send one GENERAL AUTHENTICATE; the result (<= cap bytes) to out. */
static int
ga_run(struct ss_chan *c, const struct ga_req *q, uint8_t *out, size_t cap,
    size_t *out_len)
{
	uint8_t		 resp[PIV_GA_OUT_MAX];
	uint8_t		*cmd = NULL;
	struct ss_apdu	 a;
	size_t		 cmd_len = 0, len = 0;
	uint16_t	 sw = 0;
	int		 rc;

	if ((rc = ga_build(q, &cmd, &cmd_len)) != DRV_OK)
		goto fail;
	piv_apdu_init(&a, PIV_INS_GENERAL_AUTH, q->alg, q->ref, cmd, cmd_len,
	    true);
	if (cmd_len > SS_APDU_SHORT_MAX_DATA)	/* RSA-2048 and up */
		piv_apdu_want_all(c, &a);
	if ((rc = piv_transmit(c, &a, q->flags, resp, sizeof(resp), &len,
	    &sw)) != DRV_OK)
		goto fail;
	if ((rc = piv_sw_to_drv(sw)) != DRV_OK)
		goto fail;
	rc = ga_parse(resp, len, out, cap, out_len);
fail:
	if (cmd != NULL)
		ss_free_secret(cmd, cmd_len);
	ss_wipe(resp, sizeof(resp));
	return rc;
}

/* Right-align n bytes in a field of size bytes. */
static void
left_pad(const uint8_t *in, size_t n, uint8_t *out, size_t size)
{
	memset(out, 0, size - n);
	memcpy(out + size - n, in, n);
}

/* One DER INTEGER as an unsigned big-endian number of exactly field
 * bytes: no sign bit, leading zeros dropped. */
static int
der_int_fixed(const struct ss_tlv *t, size_t field, uint8_t *out)
{
	struct ss_rd	r;
	uint8_t		b;
	size_t		n = t->len;

	if (t->tag != TAG_INTEGER || n == 0)
		return -1;
	ss_rd_init(&r, t->val, t->len);
	if (ss_rd_peek_u8(&r, &b) < 0 || (b & 0x80))
		return -1;
	while (n > field) {
		if (ss_rd_u8(&r, &b) < 0 || b != 0)
			return -1;
		n--;
	}
	memset(out, 0, field - n);
	return ss_rd_bytes(&r, out + field - n, n);
}

int
piv_ecdsa_der_to_raw(const uint8_t *p, size_t len, size_t field,
    uint8_t *out)
{
	struct ss_tlv	seq, r, s;
	struct ss_rd	rd;

	if (ss_tlv_expect(p, len, TAG_SEQUENCE, &seq) < 0)
		return -1;
	ss_rd_init(&rd, seq.val, seq.len);
	if (ss_tlv_next(&rd, &r) < 0 || ss_tlv_next(&rd, &s) < 0 ||
	    ss_rd_left(&rd) != 0)
		return -1;
	if (der_int_fixed(&r, field, out) < 0 ||
	    der_int_fixed(&s, field, out + field) < 0)
		return -1;
	return 0;
}

static int
op_check(const struct drv_card *card, const struct ss_chan *c,
    const struct drv_key *k, const uint8_t *in, size_t in_len,
    const uint8_t *out, const size_t *out_len)
{
	if (card == NULL || c == NULL || k == NULL || in == NULL ||
	    in_len == 0 || out == NULL || out_len == NULL)
		return DRV_ERR_ARGS;
	return DRV_OK;
}

static int
need_out(size_t *out_len, size_t n)
{
	if (*out_len < n) {
		*out_len = n;
		return DRV_ERR_BUFFER;
	}
	return DRV_OK;
}

/* RSA sign or decrypt: a modulus-sized block in, the raw result out. */
static int
rsa_op(struct ss_chan *c, const struct drv_key *k, uint8_t alg,
    const uint8_t *in, size_t in_len, unsigned flags, uint8_t *out,
    size_t *out_len)
{
	uint8_t		res[PIV_RSA_MAX_BYTES];
	struct ga_req	q;
	size_t		kb = key_bytes(k), n = 0;
	int		rc;

	if (in_len != kb)
		return DRV_ERR_ARGS;
	if ((rc = need_out(out_len, kb)) != DRV_OK)
		return rc;
	q = (struct ga_req){ alg, k->ref, TAG_GA_CHALLENGE, in, in_len,
	    flags };
	if ((rc = ga_run(c, &q, res, kb, &n)) == DRV_OK) {
		left_pad(res, n, out, kb);
		*out_len = kb;
	}
	ss_wipe(res, sizeof(res));
	return rc;
}

/* ECDSA: the hash fitted to the field (leftmost bytes, or zero-padded
 * on the left), the DER reply as r || s. */
static int
ecdsa_op(struct ss_chan *c, const struct drv_key *k, uint8_t alg,
    const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len)
{
	uint8_t		hash[PIV_EC_MAX_BYTES], res[PIV_GA_OUT_MAX];
	struct ga_req	q;
	size_t		fb = key_bytes(k), n = 0;
	int		rc;

	if ((rc = need_out(out_len, 2 * fb)) != DRV_OK)
		return rc;
	left_pad(in, in_len < fb ? in_len : fb, hash, fb);
	q = (struct ga_req){ alg, k->ref, TAG_GA_CHALLENGE, hash, fb, 0 };
	if ((rc = ga_run(c, &q, res, sizeof(res), &n)) != DRV_OK)
		return rc;
	if (piv_ecdsa_der_to_raw(res, n, fb, out) < 0)
		return DRV_ERR_DEVICE;
	*out_len = 2 * fb;
	return DRV_OK;
}

static int
ed25519_op(struct ss_chan *c, const struct drv_key *k, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t *out_len)
{
	struct ga_req	q;
	size_t		n = 0;
	int		rc;

	if ((rc = need_out(out_len, ED25519_SIG_LEN)) != DRV_OK)
		return rc;
	q = (struct ga_req){ PIV_ALG_ED25519, k->ref, TAG_GA_CHALLENGE, in,
	    in_len, 0 };
	if ((rc = ga_run(c, &q, out, ED25519_SIG_LEN, &n)) != DRV_OK)
		return rc;
	if (n != ED25519_SIG_LEN)
		return DRV_ERR_DEVICE;
	*out_len = n;
	return DRV_OK;
}

int
piv_sign(struct drv_card *card, struct ss_chan *c, const struct drv_key *k,
    const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len)
{
	uint8_t	alg = 0;
	int	rc;

	if ((rc = op_check(card, c, k, in, in_len, out, out_len)) != DRV_OK)
		return rc;
	if (piv_alg_id(k, &alg) < 0)
		return DRV_ERR_ARGS;
	switch (k->type) {
	case DRV_KEY_RSA:
		return rsa_op(c, k, alg, in, in_len, 0, out, out_len);
	case DRV_KEY_EC:
		return ecdsa_op(c, k, alg, in, in_len, out, out_len);
	case DRV_KEY_ED25519:
		return ed25519_op(c, k, in, in_len, out, out_len);
	default:
		return DRV_ERR_NOT_SUPPORTED;
	}
}

int
piv_decrypt(struct drv_card *card, struct ss_chan *c,
    const struct drv_key *k, const uint8_t *in, size_t in_len, uint8_t *out,
    size_t *out_len)
{
	uint8_t	alg = 0;
	int	rc;

	if ((rc = op_check(card, c, k, in, in_len, out, out_len)) != DRV_OK)
		return rc;
	if (k->type != DRV_KEY_RSA || piv_alg_id(k, &alg) < 0)
		return DRV_ERR_NOT_SUPPORTED;
	return rsa_op(c, k, alg, in, in_len, SS_APDU_SECRET, out, out_len);
}

/* EC: 04 || X || Y, shared X of field size; X25519: 32 bytes each. */
static int
derive_sizes(const struct drv_key *k, size_t peer_len, size_t *shared)
{
	size_t fb = key_bytes(k);

	if (k->type == DRV_KEY_EC && peer_len == 2 * fb + 1)
		*shared = fb;
	else if (k->type == DRV_KEY_X25519 && peer_len == X25519_LEN)
		*shared = X25519_LEN;
	else if (k->type == DRV_KEY_EC || k->type == DRV_KEY_X25519)
		return DRV_ERR_DATA_INVALID;
	else
		return DRV_ERR_NOT_SUPPORTED;
	return DRV_OK;
}

int
piv_derive(struct drv_card *card, struct ss_chan *c,
    const struct drv_key *k, const uint8_t *peer, size_t peer_len,
    uint8_t *out, size_t *out_len)
{
	uint8_t		res[PIV_EC_MAX_BYTES];
	struct ga_req	q;
	size_t		shared = 0, n = 0;
	uint8_t		alg = 0;
	int		rc;

	if ((rc = op_check(card, c, k, peer, peer_len, out, out_len)) !=
	    DRV_OK)
		return rc;
	if (piv_alg_id(k, &alg) < 0)
		return DRV_ERR_NOT_SUPPORTED;
	if ((rc = derive_sizes(k, peer_len, &shared)) != DRV_OK ||
	    (rc = need_out(out_len, shared)) != DRV_OK)
		return rc;
	q = (struct ga_req){ alg, k->ref, TAG_GA_EXPONENT, peer, peer_len,
	    SS_APDU_SECRET };
	if ((rc = ga_run(c, &q, res, shared, &n)) == DRV_OK) {
		left_pad(res, n, out, shared);
		*out_len = shared;
	}
	ss_wipe(res, sizeof(res));
	return rc;
}
