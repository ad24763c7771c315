/*
 * tools/sign_der.c - the shape of a detached CMS SignedData (RFC 5652),
 * walked with the bounds-checked TLV helpers (see sign_der.h).
 */
#include <stdbool.h>
#include <string.h>

#include "reader/buf.h"
#include "reader/tlv.h"
#include "tools/sign_der.h"

#define T_INTEGER	0x02u
#define T_OCTETS	0x04u
#define T_NULL		0x05u
#define T_OID		0x06u
#define T_SEQ		0x30u
#define T_SET		0x31u
#define T_CTX0_PRIM	0x80u
#define T_CTX0		0xa0u
#define T_CTX1		0xa1u

/* 1.2.840.113549.1.7.2 signedData, 1.2.840.113549.1.7.1 data */
static const uint8_t oid_signed_data[] = {
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02
};
static const uint8_t oid_data[] = {
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01
};

struct walk {
	struct ss_tlv	digests[SD_DIGESTS_MAX];
	size_t		ndigests;
	bool		any_v3;		/* a SignerInfo with version 3 */
	size_t		nsigners;
	struct sd_signer signer[SD_SIGNERS_MAX];
	struct se_err	*err;
};

static int
bad(struct walk *w, const char *what)
{
	se_set(w->err, "malformed .p7s: %s", what);
	return -1;
}

/* The next TLV of r must have this tag. */
static int
next_tag(struct ss_rd *r, uint32_t tag, struct ss_tlv *t)
{
	if (ss_tlv_next(r, t) < 0 || t->tag != tag)
		return -1;
	return 0;
}

/* Peek: does the next TLV carry this tag? */
static bool
peek_tag(const struct ss_rd *r, uint8_t tag)
{
	uint8_t b;

	return ss_rd_peek_u8(r, &b) == 0 && b == tag;
}

static bool
tlv_is(const struct ss_tlv *t, const uint8_t *v, size_t len)
{
	return t->len == len && memcmp(t->val, v, len) == 0;
}

/* A small non-negative INTEGER (one content byte). */
static int
small_int(struct ss_rd *r, unsigned *v)
{
	struct ss_tlv t;

	if (next_tag(r, T_INTEGER, &t) < 0 || t.len != 1 || t.val[0] > 0x7f)
		return -1;
	*v = t.val[0];
	return 0;
}

/* A digest AlgorithmIdentifier: OID, parameters absent or NULL. */
static int
digest_alg(const struct ss_tlv *alg, struct ss_tlv *oid)
{
	struct ss_rd	r;
	struct ss_tlv	p;

	ss_rd_init(&r, alg->val, alg->len);
	if (next_tag(&r, T_OID, oid) < 0 || oid->len == 0)
		return -1;
	if (ss_rd_left(&r) == 0)
		return 0;
	if (next_tag(&r, T_NULL, &p) < 0 || p.len != 0 || ss_rd_left(&r) != 0)
		return -1;
	return 0;
}

static int
walk_digests(struct walk *w, const struct ss_tlv *set)
{
	struct ss_rd	r;
	struct ss_tlv	alg;

	ss_rd_init(&r, set->val, set->len);
	while (ss_rd_left(&r) > 0) {
		if (w->ndigests == SD_DIGESTS_MAX)
			return bad(w, "too many digest algorithms");
		if (next_tag(&r, T_SEQ, &alg) < 0 ||
		    digest_alg(&alg, &w->digests[w->ndigests]) < 0)
			return bad(w, "bad digestAlgorithms");
		w->ndigests++;
	}
	return r.err ? bad(w, "bad digestAlgorithms") : 0;
}

static bool
digest_listed(const struct walk *w, const struct ss_tlv *oid)
{
	size_t i;

	for (i = 0; i < w->ndigests; i++)
		if (tlv_is(&w->digests[i], oid->val, oid->len))
			return true;
	return false;
}

/* encapContentInfo: eContentType, and no eContent (detached). */
static int
walk_encap(struct walk *w, const struct ss_tlv *eci, bool *is_data)
{
	struct ss_rd	r;
	struct ss_tlv	oid;

	ss_rd_init(&r, eci->val, eci->len);
	if (next_tag(&r, T_OID, &oid) < 0 || oid.len == 0)
		return bad(w, "bad encapContentInfo");
	if (ss_rd_left(&r) != 0)
		return bad(w, "the signature holds its content (not a "
		    "detached signature)");
	*is_data = tlv_is(&oid, oid_data, sizeof(oid_data));
	return 0;
}

/* issuerAndSerialNumber: a Name (SEQUENCE) and an INTEGER, nothing else. */
static int
issuer_serial(const struct ss_tlv *sid)
{
	struct ss_rd	r;
	struct ss_tlv	t;

	ss_rd_init(&r, sid->val, sid->len);
	if (next_tag(&r, T_SEQ, &t) < 0 || next_tag(&r, T_INTEGER, &t) < 0 ||
	    t.len == 0 || ss_rd_left(&r) != 0)
		return -1;
	return 0;
}

static int
walk_signer(struct walk *w, const struct ss_tlv *si, struct sd_signer *out)
{
	struct ss_rd	r;
	struct ss_tlv	t, oid;
	unsigned	v;

	ss_rd_init(&r, si->val, si->len);
	if (small_int(&r, &v) < 0 || (v != 1 && v != 3))
		return bad(w, "SignerInfo version is not 1 or 3");
	if (next_tag(&r, v == 1 ? T_SEQ : T_CTX0_PRIM, &t) < 0 ||
	    (v == 1 && issuer_serial(&t) < 0) || t.len == 0)
		return bad(w, "SignerInfo version does not match its sid");
	out->sid = t.val;
	out->sidlen = t.len;
	out->sid_keyid = v == 3;
	w->any_v3 |= v == 3;
	if (next_tag(&r, T_SEQ, &t) < 0 || digest_alg(&t, &oid) < 0)
		return bad(w, "bad SignerInfo digestAlgorithm");
	if (!digest_listed(w, &oid))
		return bad(w, "the signer's digest algorithm is not in "
		    "digestAlgorithms");
	if (next_tag(&r, T_CTX0, &t) < 0 || t.len == 0)
		return bad(w, "a SignerInfo without signed attributes");
	out->attrs = t.val;
	out->attrslen = t.len;
	if (next_tag(&r, T_SEQ, &t) < 0 || next_tag(&r, T_OCTETS, &t) < 0 ||
	    t.len == 0)
		return bad(w, "bad SignerInfo signature");
	if (peek_tag(&r, T_CTX1) && next_tag(&r, T_CTX1, &t) < 0)
		return bad(w, "bad unsignedAttrs");
	if (ss_rd_left(&r) != 0 || r.err)
		return bad(w, "bytes after a SignerInfo");
	return 0;
}

static int
walk_signers(struct walk *w, const struct ss_tlv *set)
{
	struct ss_rd	r;
	struct ss_tlv	si;

	ss_rd_init(&r, set->val, set->len);
	while (ss_rd_left(&r) > 0) {
		if (w->nsigners == SD_SIGNERS_MAX)
			return bad(w, "too many signers");
		if (next_tag(&r, T_SEQ, &si) < 0)
			return bad(w, "bad SignerInfo");
		if (walk_signer(w, &si, &w->signer[w->nsigners]) < 0)
			return -1;
		w->nsigners++;
	}
	if (r.err || w->nsigners == 0)
		return bad(w, "no signer");
	return 0;
}

/* certificates [0] and crls [1] are optional; signerInfos ends it. */
static int
walk_tail(struct walk *w, struct ss_rd *r)
{
	struct ss_tlv t;

	if (peek_tag(r, T_CTX0) && next_tag(r, T_CTX0, &t) < 0)
		return bad(w, "bad certificates");
	if (peek_tag(r, T_CTX1) && next_tag(r, T_CTX1, &t) < 0)
		return bad(w, "bad crls");
	if (next_tag(r, T_SET, &t) < 0)
		return bad(w, "no signerInfos");
	if (ss_rd_left(r) != 0)
		return bad(w, "bytes after signerInfos");
	return walk_signers(w, &t);
}

static int
walk_signed_data(struct walk *w, const struct ss_tlv *sd, unsigned *version)
{
	struct ss_rd	r;
	struct ss_tlv	t;
	bool		is_data = false;

	ss_rd_init(&r, sd->val, sd->len);
	if (small_int(&r, version) < 0)
		return bad(w, "bad SignedData version");
	if (next_tag(&r, T_SET, &t) < 0)
		return bad(w, "no digestAlgorithms");
	if (walk_digests(w, &t) < 0)
		return -1;
	if (next_tag(&r, T_SEQ, &t) < 0)
		return bad(w, "no encapContentInfo");
	if (walk_encap(w, &t, &is_data) < 0 || walk_tail(w, &r) < 0)
		return -1;
	if (*version != (w->any_v3 || !is_data ? 3u : 1u))
		return bad(w, "SignedData version does not fit its content "
		    "(RFC 5652 5.1)");
	return 0;
}

int
sd_check(const uint8_t *p, size_t len, struct sd_shape *out,
    struct se_err *err)
{
	struct walk	w;
	struct ss_rd	r;
	struct ss_tlv	ci, oid, ctx, sd;

	memset(&w, 0, sizeof(w));
	memset(out, 0, sizeof(*out));
	w.err = err;
	if (ss_tlv_expect(p, len, T_SEQ, &ci) < 0)
		return bad(&w, "not one DER SEQUENCE (truncated, trailing "
		    "bytes, or not CMS)");
	ss_rd_init(&r, ci.val, ci.len);
	if (next_tag(&r, T_OID, &oid) < 0 ||
	    !tlv_is(&oid, oid_signed_data, sizeof(oid_signed_data)))
		return bad(&w, "not a CMS SignedData");
	if (next_tag(&r, T_CTX0, &ctx) < 0 || ss_rd_left(&r) != 0 ||
	    ss_tlv_expect(ctx.val, ctx.len, T_SEQ, &sd) < 0)
		return bad(&w, "bad SignedData content");
	if (walk_signed_data(&w, &sd, &out->version) < 0)
		return -1;
	out->ndigests = w.ndigests;
	out->nsigners = w.nsigners;
	memcpy(out->signer, w.signer, sizeof(out->signer));
	return 0;
}
