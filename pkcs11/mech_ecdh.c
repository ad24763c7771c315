/*
 * pkcs11/mech_ecdh.c - CKM_ECDH1_DERIVE / CKM_ECDH1_COFACTOR_DERIVE on the
 * host side: CK_ECDH1_DERIVE_PARAMS, the peer's public value, and the key
 * derivation function applied to the shared secret the card returns.
 *
 * The peer's value (pPublicData), as clients send it:
 *   P-256 / P-384  04 || X || Y (2 * field + 1 bytes), or that inside a
 *                  DER OCTET STRING (pkcs11-tool --derive-pass-der);
 *   X25519         the 32-byte u coordinate, or that inside an OCTET
 *                  STRING.
 * The two forms are told apart by their length, which differs by the
 * header.  An EC point must lie on the key's curve (checked here, so a
 * card that does not check is not exposed to invalid-curve points);
 * compressed points are not accepted (the card wants 04 || X || Y).
 * The cofactor variant is the same computation: the NIST curves have
 * cofactor 1 and X25519 clears the cofactor by construction.
 *
 * KDF: CKD_NULL (no shared data) gives the shared secret itself (its
 * leading bytes when CKA_VALUE_LEN asks for fewer); CKD_SHA1_KDF ..
 * CKD_SHA512_KDF are the ANSI X9.63 KDF, Hash(Z || counter || SharedInfo)
 * with a 32-bit big-endian counter from 1, SharedInfo = pSharedData (at
 * most MECH_ECDH_SHARED_MAX bytes).
 */
#include <string.h>

#include <openssl/ec.h>
#include <openssl/objects.h>

#include "reader/buf.h"
#include "reader/tlv.h"
#include "reader/wipe.h"
#include "mech_priv.h"

#define TAG_OCTET_STRING	0x04u
#define POINT_UNCOMPRESSED	0x04u
#define X25519_LEN		32
#define EC_GROUP_NAME_MAX	64

static const EVP_MD *
kdf_md(CK_ULONG kdf)
{
	switch (kdf) {
	case CKD_SHA1_KDF:
		return EVP_sha1();
	case CKD_SHA224_KDF:
		return EVP_sha224();
	case CKD_SHA256_KDF:
		return EVP_sha256();
	case CKD_SHA384_KDF:
		return EVP_sha384();
	case CKD_SHA512_KDF:
		return EVP_sha512();
	default:
		return NULL;
	}
}

/* The fields that do not depend on the key. */
static int
params_read(const CK_MECHANISM *m, CK_ECDH1_DERIVE_PARAMS *p)
{
	if (m->pParameter == NULL ||
	    m->ulParameterLen != sizeof(CK_ECDH1_DERIVE_PARAMS))
		return CKR_MECHANISM_PARAM_INVALID;
	memcpy(p, m->pParameter, sizeof(*p));
	if (p->public_data == NULL || p->public_data_len == 0 ||
	    (p->shared_data == NULL && p->shared_data_len > 0) ||
	    p->shared_data_len > MECH_ECDH_SHARED_MAX)
		return CKR_MECHANISM_PARAM_INVALID;
	if (p->kdf == CKD_NULL)
		return p->shared_data_len == 0 ? CKR_OK :
		    CKR_MECHANISM_PARAM_INVALID;
	return kdf_md(p->kdf) != NULL ? CKR_OK : CKR_MECHANISM_PARAM_INVALID;
}

int
mech_ecdh_params_ok(const CK_MECHANISM *m)
{
	CK_ECDH1_DERIVE_PARAMS p;

	return params_read(m, &p);
}

/* The raw value (want bytes) from pPublicData, bare or in an OCTET
 * STRING. */
static int
peer_value(const uint8_t *p, size_t len, size_t want, uint8_t *out)
{
	struct ss_tlv	t;
	struct ss_rd	r;

	if (len != want) {
		if (ss_tlv_expect(p, len, TAG_OCTET_STRING, &t) < 0 ||
		    t.len != want)
			return CKR_MECHANISM_PARAM_INVALID;
		p = t.val;
		len = t.len;
	}
	ss_rd_init(&r, p, len);
	return ss_rd_bytes(&r, out, want) == 0 ? CKR_OK :
	    CKR_MECHANISM_PARAM_INVALID;
}

/* 04 || X || Y on the key's curve. */
static int
point_check(EVP_PKEY *pub, const uint8_t *pt, size_t len)
{
	char		 name[EC_GROUP_NAME_MAX];
	EC_GROUP	*g = NULL;
	EC_POINT	*q = NULL;
	size_t		 nlen = 0;
	int		 nid, rc = CKR_HOST_MEMORY;

	if (len == 0 || pt[0] != POINT_UNCOMPRESSED)
		return CKR_MECHANISM_PARAM_INVALID;
	if (EVP_PKEY_get_group_name(pub, name, sizeof(name), &nlen) != 1 ||
	    (nid = OBJ_sn2nid(name)) == NID_undef)
		return CKR_KEY_TYPE_INCONSISTENT;
	if ((g = EC_GROUP_new_by_curve_name(nid)) == NULL ||
	    (q = EC_POINT_new(g)) == NULL)
		goto fail;
	rc = EC_POINT_oct2point(g, q, pt, len, NULL) == 1 &&
	    EC_POINT_is_on_curve(g, q, NULL) == 1 &&
	    EC_POINT_is_at_infinity(g, q) == 0 ? CKR_OK :
	    CKR_MECHANISM_PARAM_INVALID;
fail:
	EC_POINT_free(q);
	EC_GROUP_free(g);
	return rc;
}

static int
peer_setup(const CK_ECDH1_DERIVE_PARAMS *p, const struct drv_key *k,
    struct mech_ecdh *e)
{
	size_t	fb = (k->bits + 7) / 8;
	int	rc;

	if (k->type == DRV_KEY_X25519) {
		e->peer_len = e->z_len = X25519_LEN;
		return peer_value(p->public_data, (size_t)p->public_data_len,
		    X25519_LEN, e->peer);
	}
	if (k->type != DRV_KEY_EC || k->pub == NULL ||
	    2 * fb + 1 > sizeof(e->peer))
		return CKR_KEY_TYPE_INCONSISTENT;
	e->peer_len = 2 * fb + 1;
	e->z_len = fb;
	if ((rc = peer_value(p->public_data, (size_t)p->public_data_len,
	    e->peer_len, e->peer)) != CKR_OK)
		return rc;
	return point_check(k->pub, e->peer, e->peer_len);
}

int
mech_ecdh_setup(const CK_MECHANISM *m, const struct drv_key *k,
    struct mech_ecdh *e)
{
	CK_ECDH1_DERIVE_PARAMS	p;
	int			rc;

	if (m == NULL || k == NULL || e == NULL)
		return CKR_ARGUMENTS_BAD;
	memset(e, 0, sizeof(*e));
	if ((rc = mech_check(m, k, DRV_USE_DERIVE)) != CKR_OK ||
	    (rc = params_read(m, &p)) != CKR_OK)
		return rc;
	e->kdf_md = kdf_md(p.kdf);
	e->shared = p.shared_data;
	e->shared_len = (size_t)p.shared_data_len;
	return peer_setup(&p, k, e);
}

/* ANSI X9.63: out = Hash(z || 00000001 || info) || Hash(z || 00000002 ..) */
static int
kdf_x963(const struct mech_ecdh *e, const uint8_t *z, uint8_t *out,
    size_t len)
{
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();
	uint8_t		 h[EVP_MAX_MD_SIZE], cnt[4];
	unsigned	 hl = 0;
	uint32_t	 i;
	size_t		 done = 0, n;
	int		 rc = CKR_HOST_MEMORY;

	for (i = 1; ctx != NULL && done < len; i++) {
		cnt[0] = (uint8_t)(i >> 24);
		cnt[1] = (uint8_t)(i >> 16);
		cnt[2] = (uint8_t)(i >> 8);
		cnt[3] = (uint8_t)i;
		if (EVP_DigestInit_ex(ctx, e->kdf_md, NULL) != 1 ||
		    EVP_DigestUpdate(ctx, z, e->z_len) != 1 ||
		    EVP_DigestUpdate(ctx, cnt, sizeof(cnt)) != 1 ||
		    (e->shared_len > 0 && EVP_DigestUpdate(ctx, e->shared,
		    e->shared_len) != 1) ||
		    EVP_DigestFinal_ex(ctx, h, &hl) != 1)
			goto fail;
		n = len - done < hl ? len - done : hl;
		memcpy(out + done, h, n);
		done += n;
	}
	if (ctx != NULL)
		rc = CKR_OK;
fail:
	EVP_MD_CTX_free(ctx);
	ss_wipe(h, sizeof(h));
	return rc;
}

int
mech_ecdh_kdf(const struct mech_ecdh *e, const uint8_t *z, uint8_t *out,
    size_t len)
{
	if (e == NULL || z == NULL || out == NULL || len == 0)
		return CKR_ARGUMENTS_BAD;
	if (e->kdf_md != NULL)
		return kdf_x963(e, z, out, len);
	if (len > e->z_len)
		return CKR_KEY_SIZE_RANGE;
	memcpy(out, z, len);
	return CKR_OK;
}
