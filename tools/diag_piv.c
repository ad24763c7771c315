/*
 * tools/diag_piv.c - read-only PIV and YubiKey queries through the
 * reader channel (SP 800-73-4 part 2; Yubico's PIV extensions).
 * Responses are parsed with the TLV cursor helpers only.
 */
#include <string.h>

#include "reader/tlv.h"
#include "tools/diag_piv.h"

#define INS_SELECT		0xa4
#define INS_GET_DATA		0xcb
#define INS_VERIFY		0x20
#define INS_YK_VERSION		0xfd
#define INS_YK_SERIAL		0xf8
#define INS_YK_METADATA		0xf7
#define TAG_TAG_LIST		0x5c
#define META_ALG		0x01
#define META_POLICY		0x02
#define META_ORIGIN		0x03
#define META_DEFAULT		0x05
#define META_RETRIES		0x06
#define TAG_CONTAINER		0x53
#define TAG_CERT		0x70
#define TAG_CERTINFO		0x71
#define RESP_SMALL		512

static const uint8_t piv_aid[] = {
	0xa0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00
};

static const struct dpiv_slotdef slotdefs[] = {
	{ 0x9a, 0x5fc105, "PIV authentication" },
	{ 0x9c, 0x5fc10a, "digital signature" },
	{ 0x9d, 0x5fc10b, "key management" },
	{ 0x9e, 0x5fc101, "card authentication" },
	{ 0x82, 0x5fc10d, "retired key management 1" },
	{ 0x83, 0x5fc10e, "retired key management 2" },
	{ 0x84, 0x5fc10f, "retired key management 3" },
	{ 0x85, 0x5fc110, "retired key management 4" },
	{ 0x86, 0x5fc111, "retired key management 5" },
	{ 0x87, 0x5fc112, "retired key management 6" },
	{ 0x88, 0x5fc113, "retired key management 7" },
	{ 0x89, 0x5fc114, "retired key management 8" },
	{ 0x8a, 0x5fc115, "retired key management 9" },
	{ 0x8b, 0x5fc116, "retired key management 10" },
	{ 0x8c, 0x5fc117, "retired key management 11" },
	{ 0x8d, 0x5fc118, "retired key management 12" },
	{ 0x8e, 0x5fc119, "retired key management 13" },
	{ 0x8f, 0x5fc11a, "retired key management 14" },
	{ 0x90, 0x5fc11b, "retired key management 15" },
	{ 0x91, 0x5fc11c, "retired key management 16" },
	{ 0x92, 0x5fc11d, "retired key management 17" },
	{ 0x93, 0x5fc11e, "retired key management 18" },
	{ 0x94, 0x5fc11f, "retired key management 19" },
	{ 0x95, 0x5fc120, "retired key management 20" },
};

size_t
dpiv_slots(const struct dpiv_slotdef **out)
{
	*out = slotdefs;
	return sizeof(slotdefs) / sizeof(slotdefs[0]);
}

static int
xmit(struct ss_chan *c, uint8_t ins, uint8_t p1, uint8_t p2,
    const uint8_t *data, size_t lc, bool le, uint8_t *resp, size_t cap,
    size_t *len, uint16_t *sw)
{
	struct ss_apdu	a;

	memset(&a, 0, sizeof(a));
	a.cla = 0x00;
	a.ins = ins;
	a.p1 = p1;
	a.p2 = p2;
	a.data = data;
	a.lc = lc;
	a.has_le = le;
	a.le = le ? 256 : 0;
	*len = 0;
	*sw = 0;
	return ss_chan_transmit(c, &a, 0, resp, cap, len, sw);
}

int
dpiv_select(struct ss_chan *c, uint8_t *apt, size_t cap, size_t *len,
    uint16_t *sw)
{
	return xmit(c, INS_SELECT, 0x04, 0x00, piv_aid, sizeof(piv_aid), true,
	    apt, cap, len, sw);
}

int
dpiv_get_data(struct ss_chan *c, uint32_t tag, uint8_t *buf, size_t cap,
    size_t *len, uint16_t *sw)
{
	uint8_t		q[8];
	struct ss_wr	w;
	size_t		tl = ss_tlv_tag_len(tag);
	uint8_t		tb[3];

	tb[0] = (uint8_t)(tag >> 16);
	tb[1] = (uint8_t)(tag >> 8);
	tb[2] = (uint8_t)tag;
	ss_wr_init(&w, q, sizeof(q));
	if (tl == 0 || tl > 3 ||
	    ss_tlv_put(&w, TAG_TAG_LIST, tb + 3 - tl, tl) < 0)
		return SS_ERR_BAD_ARG;
	return xmit(c, INS_GET_DATA, 0x3f, 0xff, q, w.len, true, buf, cap,
	    len, sw);
}

int
dpiv_tries(struct ss_chan *c, uint8_t ref, struct dpiv_tries *t)
{
	size_t	len;
	int	rc;

	memset(t, 0, sizeof(*t));
	t->left = -1;
	rc = xmit(c, INS_VERIFY, 0x00, ref, NULL, 0, false, NULL, 0, &len,
	    &t->sw);
	if (rc != SS_ERR_OK)
		return rc;
	if ((t->sw & 0xfff0u) == 0x63c0u) {
		t->known = true;
		t->left = t->sw & 0x0f;
	} else if (t->sw == 0x6983) {
		t->known = true;
		t->left = 0;
		t->blocked = true;
	} else if (t->sw == 0x9000) {
		t->verified = true;
	}
	return SS_ERR_OK;
}

int
dpiv_yk_version(struct ss_chan *c, uint8_t ver[3], uint16_t *sw)
{
	uint8_t		b[RESP_SMALL];
	struct ss_rd	r;
	size_t		len;
	int		rc;

	rc = xmit(c, INS_YK_VERSION, 0, 0, NULL, 0, true, b, sizeof(b), &len,
	    sw);
	if (rc != SS_ERR_OK || *sw != 0x9000)
		return rc;
	ss_rd_init(&r, b, len);
	if (len != 3 || ss_rd_bytes(&r, ver, 3) < 0)
		*sw = 0;	/* not a version: treat as absent */
	return SS_ERR_OK;
}

int
dpiv_yk_serial(struct ss_chan *c, uint32_t *serial, uint16_t *sw)
{
	uint8_t		b[RESP_SMALL];
	struct ss_rd	r;
	size_t		len;
	int		rc;

	rc = xmit(c, INS_YK_SERIAL, 0, 0, NULL, 0, true, b, sizeof(b), &len,
	    sw);
	if (rc != SS_ERR_OK || *sw != 0x9000)
		return rc;
	ss_rd_init(&r, b, len);
	if (len != 4 || ss_rd_u32be(&r, serial) < 0)
		*sw = 0;
	return SS_ERR_OK;
}

static void
meta_item(struct dpiv_meta *m, const struct ss_tlv *t)
{
	if (t->tag == META_ALG && t->len == 1) {
		m->has_alg = true;
		m->alg = t->val[0];
	} else if (t->tag == META_POLICY && t->len == 2) {
		m->has_policy = true;
		m->pin_policy = t->val[0];
		m->touch_policy = t->val[1];
	} else if (t->tag == META_ORIGIN && t->len == 1) {
		m->has_origin = true;
		m->origin = t->val[0];
	} else if (t->tag == META_DEFAULT && t->len == 1) {
		m->has_default = true;
		m->is_default = t->val[0] != 0;
	} else if (t->tag == META_RETRIES && t->len == 2) {
		m->has_retries = true;
		m->retries_total = t->val[0];
		m->retries_left = t->val[1];
	}
}

int
dpiv_metadata(struct ss_chan *c, uint8_t ref, struct dpiv_meta *m)
{
	uint8_t		b[PIV_OBJ_MAX];
	struct ss_rd	r;
	struct ss_tlv	t;
	size_t		len;
	int		rc;

	memset(m, 0, sizeof(*m));
	rc = xmit(c, INS_YK_METADATA, 0x00, ref, NULL, 0, true, b, sizeof(b),
	    &len, &m->sw);
	if (rc != SS_ERR_OK || m->sw != 0x9000)
		return rc;
	ss_rd_init(&r, b, len);
	while (ss_rd_left(&r) > 0) {
		if (ss_tlv_next(&r, &t) < 0)
			return SS_ERR_MALFORMED;
		meta_item(m, &t);
	}
	m->ok = true;
	return SS_ERR_OK;
}

const char *
dpiv_alg_name(uint8_t alg)
{
	switch (alg) {
	case 0x03: return "3DES";
	case 0x08: return "AES-128";
	case 0x0a: return "AES-192";
	case 0x0c: return "AES-256";
	case 0x06: return "RSA-1024";
	case 0x07: return "RSA-2048";
	case 0x05: return "RSA-3072";
	case 0x16: return "RSA-4096";
	case 0x11: return "ECC P-256";
	case 0x14: return "ECC P-384";
	case 0xe0: return "Ed25519";
	case 0xe1: return "X25519";
	case 0xff: return "PIN";
	default: return NULL;
	}
}

int
dpiv_cert_from_container(const uint8_t *obj, size_t len, const uint8_t **der,
    size_t *der_len, bool *gzip)
{
	struct ss_tlv	outer, cert, info;

	*der = NULL;
	*der_len = 0;
	*gzip = false;
	if (ss_tlv_expect(obj, len, TAG_CONTAINER, &outer) < 0 ||
	    ss_tlv_find(outer.val, outer.len, TAG_CERT, &cert) < 0)
		return SS_ERR_MALFORMED;
	if (ss_tlv_find(outer.val, outer.len, TAG_CERTINFO, &info) == 0 &&
	    info.len >= 1)
		*gzip = (info.val[0] & 0x01u) != 0;
	*der = cert.val;
	*der_len = cert.len;
	return SS_ERR_OK;
}
