/*
 * pkcs11/keygen.c - C_GenerateKeyPair: a key pair made on the card (PIV
 * GENERATE ASYMMETRIC KEY PAIR) in the key reference the template's
 * CKA_ID names (OpenSC's numbering: 01 9A, 02 9C, 03 9D, 04 9E, 05..18
 * the retired 82..95).
 *
 * - CKM_RSA_PKCS_KEY_PAIR_GEN: CKA_MODULUS_BITS 2048, 3072 or 4096
 *   (required), CKA_PUBLIC_EXPONENT 65537 when given (the only exponent
 *   the card makes).
 * - CKM_EC_KEY_PAIR_GEN: CKA_EC_PARAMS P-256 or P-384, as the curve's
 *   OID or its name (required, in either template).
 * - CKA_ID: required (CKR_TEMPLATE_INCOMPLETE), in either template or in
 *   both (then the same); one that names no reference
 *   CKR_ATTRIBUTE_VALUE_INVALID.  Other attributes and the policies:
 *   tmpl.c.  An R/W session and the SO logged in with the management key
 *   (CKR_SESSION_READ_ONLY, CKR_USER_NOT_LOGGED_IN).
 * - A size, curve or policy the card refuses: CKR_TEMPLATE_INCONSISTENT.
 *
 * The new public and private key objects are there at once, under new
 * handles (those of the key they replace go invalid), with the public key
 * the card answered and CKA_LOCAL TRUE.  The certificate the reference
 * held certified the key just replaced: it is deleted (PUT DATA 53 00),
 * so that no process pairs it with the new key; the new one goes in with
 * C_CreateObject.  Generation takes seconds for RSA-4096; the token is
 * busy meanwhile.
 */
#include <string.h>

#include "pkcs11/p11.h"
#include "reader/buf.h"

#define RSA_MIN_BITS	2048
#define RSA_MID_BITS	3072
#define RSA_MAX_BITS	4096
#define EC_MIN_BITS	256
#define EC_MAX_BITS	384

static const CK_MECHANISM_TYPE keygen_mechs[] = {
	CKM_RSA_PKCS_KEY_PAIR_GEN, CKM_EC_KEY_PAIR_GEN,
};

struct gen {
	CK_MECHANISM_TYPE	 mech;
	CK_KEY_TYPE		 ktype;
	const CK_ATTRIBUTE	*id;
	CK_ULONG		 rsa_bits;
	unsigned		 ec_bits;
	struct p11_policy	 pol;
	struct drv_keyspec	 spec;
};

const CK_MECHANISM_TYPE *
p11_keygen_mechs(size_t *n)
{
	*n = sizeof(keygen_mechs) / sizeof(keygen_mechs[0]);
	return keygen_mechs;
}

CK_RV
p11_keygen_mech_info(CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info)
{
	memset(info, 0, sizeof(*info));
	switch (type) {
	case CKM_RSA_PKCS_KEY_PAIR_GEN:
		info->ulMinKeySize = RSA_MIN_BITS;
		info->ulMaxKeySize = RSA_MAX_BITS;
		info->flags = CKF_GENERATE_KEY_PAIR | CKF_HW;
		return CKR_OK;
	case CKM_EC_KEY_PAIR_GEN:
		info->ulMinKeySize = EC_MIN_BITS;
		info->ulMaxKeySize = EC_MAX_BITS;
		info->flags = CKF_GENERATE_KEY_PAIR | CKF_HW | CKF_EC_F_P |
		    CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS;
		return CKR_OK;
	default:
		return CKR_MECHANISM_INVALID;
	}
}

/* --- the templates ------------------------------------------------------- */

static CK_RV
gen_mech(const CK_MECHANISM *m, struct gen *g)
{
	g->mech = m->mechanism;
	if (m->mechanism == CKM_RSA_PKCS_KEY_PAIR_GEN)
		g->ktype = CKK_RSA;
	else if (m->mechanism == CKM_EC_KEY_PAIR_GEN)
		g->ktype = CKK_EC;
	else
		return CKR_MECHANISM_INVALID;
	if (m->pParameter != NULL || m->ulParameterLen != 0)
		return CKR_MECHANISM_PARAM_INVALID;
	return CKR_OK;
}

static CK_RV
gen_ktype(const struct gen *g, const CK_ATTRIBUTE *a)
{
	CK_ULONG v = 0;

	if (p11_tpl_ulong(a, &v) != CKR_OK)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	return v == g->ktype ? CKR_OK : CKR_TEMPLATE_INCONSISTENT;
}

static CK_RV
gen_id(struct gen *g, const CK_ATTRIBUTE *a)
{
	if (g->id != NULL && (g->id->ulValueLen != a->ulValueLen ||
	    (a->ulValueLen > 0 && memcmp(g->id->pValue, a->pValue,
	    (size_t)a->ulValueLen) != 0)))
		return CKR_TEMPLATE_INCONSISTENT;
	g->id = a;
	return CKR_OK;
}

static CK_RV
gen_bits(struct gen *g, const CK_ATTRIBUTE *a)
{
	if (g->ktype != CKK_RSA)
		return CKR_TEMPLATE_INCONSISTENT;
	if (p11_tpl_ulong(a, &g->rsa_bits) != CKR_OK)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	return CKR_OK;
}

/* 65537, leading zero bytes allowed. */
static CK_RV
gen_exponent(const struct gen *g, const CK_ATTRIBUTE *a)
{
	static const uint8_t	f4[] = { 0x01, 0x00, 0x01 };
	uint8_t			v[sizeof(f4)], b = 0;
	struct ss_rd		r;

	if (g->ktype != CKK_RSA)
		return CKR_TEMPLATE_INCONSISTENT;
	ss_rd_init(&r, a->pValue, (size_t)a->ulValueLen);
	while (ss_rd_left(&r) > sizeof(f4) && ss_rd_peek_u8(&r, &b) == 0 &&
	    b == 0)
		(void)ss_rd_skip(&r, 1);
	if (ss_rd_left(&r) != sizeof(f4) || ss_rd_bytes(&r, v, sizeof(v)) < 0 ||
	    memcmp(v, f4, sizeof(f4)) != 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	return CKR_OK;
}

static CK_RV
gen_curve(struct gen *g, const CK_ATTRIBUTE *a)
{
	unsigned	bits = 0;
	CK_RV		rv;

	if (g->ktype != CKK_EC)
		return CKR_TEMPLATE_INCONSISTENT;
	if ((rv = p11_tpl_curve(a, &bits)) != CKR_OK)
		return rv;
	if (g->ec_bits != 0 && g->ec_bits != bits)
		return CKR_TEMPLATE_INCONSISTENT;
	g->ec_bits = bits;
	return CKR_OK;
}

/* What both templates may hold; *done false when a is none of it. */
static CK_RV
gen_key_attr(struct gen *g, const CK_ATTRIBUTE *a, bool *done)
{
	*done = true;
	switch (a->type) {
	case CKA_KEY_TYPE:
		return gen_ktype(g, a);
	case CKA_ID:
		return gen_id(g, a);
	case CKA_MODULUS_BITS:
		return gen_bits(g, a);
	case CKA_EC_PARAMS:
		return gen_curve(g, a);
	case CKA_MODULUS:
	case CKA_EC_POINT:
		return CKR_ATTRIBUTE_READ_ONLY;
	default:
		*done = false;
		return CKR_OK;
	}
}

static CK_RV
gen_pub_attr(struct gen *g, const CK_ATTRIBUTE *a)
{
	bool	done = false;
	CK_RV	rv;

	if (a->type == CKA_PUBLIC_EXPONENT)
		return gen_exponent(g, a);
	if ((rv = gen_key_attr(g, a, &done)) != CKR_OK || done)
		return rv;
	return p11_tpl_common(a, CKO_PUBLIC_KEY);
}

static CK_RV
gen_priv_attr(struct gen *g, const CK_ATTRIBUTE *a)
{
	bool	done = false;
	CK_RV	rv;

	if ((rv = gen_key_attr(g, a, &done)) != CKR_OK || done)
		return rv;
	if ((rv = p11_tpl_policy(a, &g->pol, &done)) != CKR_OK || done)
		return rv;
	return p11_tpl_common(a, CKO_PRIVATE_KEY);
}

static CK_RV
gen_finish(struct gen *g)
{
	if (g->id == NULL)
		return CKR_TEMPLATE_INCOMPLETE;
	if (g->ktype == CKK_RSA) {
		if (g->rsa_bits == 0)
			return CKR_TEMPLATE_INCOMPLETE;
		if (g->rsa_bits != RSA_MIN_BITS && g->rsa_bits != RSA_MID_BITS &&
		    g->rsa_bits != RSA_MAX_BITS)
			return CKR_ATTRIBUTE_VALUE_INVALID;
		g->spec.type = DRV_KEY_RSA;
		g->spec.bits = (unsigned)g->rsa_bits;
	} else {
		if (g->ec_bits == 0)
			return CKR_TEMPLATE_INCOMPLETE;
		g->spec.type = DRV_KEY_EC;
		g->spec.bits = g->ec_bits;
	}
	return p11_tpl_policy_end(&g->pol, &g->spec);
}

static CK_RV
gen_templates(const struct p11_slot *s, struct gen *g,
    const CK_ATTRIBUTE *pub, CK_ULONG npub, const CK_ATTRIBUTE *priv,
    CK_ULONG npriv, size_t *i)
{
	CK_ULONG	k;
	CK_RV		rv = CKR_OK;

	for (k = 0; k < npub && rv == CKR_OK; k++)
		rv = gen_pub_attr(g, &pub[k]);
	for (k = 0; k < npriv && rv == CKR_OK; k++)
		rv = gen_priv_attr(g, &priv[k]);
	if (rv == CKR_OK && (rv = gen_finish(g)) == CKR_OK)
		rv = p11_tpl_id(s, g->id, i);
	return rv;
}

/* --- the card ------------------------------------------------------------- */

/* Whether reference i may hold a certificate now. */
static bool
gen_may_have_cert(const struct p11_key *key)
{
	if (key->state == P11_KEY_ABSENT)
		return false;
	return key->state != P11_KEY_LOADED || key->k.cert != NULL;
}

static CK_RV
gen_card(struct p11_slot *s, size_t i, const struct gen *g,
    struct drv_key *k)
{
	struct p11_key	*key = &s->keys[i];
	CK_RV		 rv;
	int		 rc, drc;

	if (s->drv->generate_key == NULL || s->drv->delete_cert == NULL)
		return CKR_FUNCTION_NOT_SUPPORTED;
	if ((rv = p11_so_io_begin(s)) != CKR_OK)
		return rv;
	rc = s->drv->generate_key(s->card, s->chan, key->ref, &g->spec, k);
	if (rc == DRV_OK && gen_may_have_cert(key) &&
	    (drc = s->drv->delete_cert(s->card, s->chan, key->ref)) != DRV_OK)
		p11_log("key %02X: old certificate not deleted (%d)",
		    key->ref, drc);
	p11_io_end(s);
	if (rc != DRV_OK)
		return p11_so_err(s, rc, CKR_TEMPLATE_INCONSISTENT,
		    CKR_TEMPLATE_INCONSISTENT);
	return CKR_OK;
}

static CK_RV
gen_run(struct p11_slot *s, struct p11_session *ss, const CK_MECHANISM *m,
    const CK_ATTRIBUTE *pub, CK_ULONG npub, const CK_ATTRIBUTE *priv,
    CK_ULONG npriv, CK_OBJECT_HANDLE *hpub, CK_OBJECT_HANDLE *hpriv)
{
	struct drv_key	k;
	struct gen	g;
	size_t		i = 0;
	CK_RV		rv;

	memset(&g, 0, sizeof(g));
	memset(&k, 0, sizeof(k));
	g.pol.always = -1;
	if ((rv = p11_so_check(s, ss)) != CKR_OK ||
	    (rv = gen_mech(m, &g)) != CKR_OK ||
	    (rv = gen_templates(s, &g, pub, npub, priv, npriv, &i)) !=
	    CKR_OK)
		return rv;
	if ((rv = gen_card(s, i, &g, &k)) != CKR_OK) {
		drv_key_clear(&k);
		return rv;
	}
	if ((rv = p11_key_set(s, i, &k, P11_CHG_ALL)) != CKR_OK)
		return rv;
	*hpub = p11_obj_handle(s, i, P11_PUB);
	*hpriv = p11_obj_handle(s, i, P11_PRIV);
	return CKR_OK;
}

CK_RV
C_GenerateKeyPair(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
    CK_ATTRIBUTE_PTR pPublicKeyTemplate, CK_ULONG ulPublicKeyAttributeCount,
    CK_ATTRIBUTE_PTR pPrivateKeyTemplate,
    CK_ULONG ulPrivateKeyAttributeCount, CK_OBJECT_HANDLE_PTR phPublicKey,
    CK_OBJECT_HANDLE_PTR phPrivateKey)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_check_init()) != CKR_OK)
		goto out;
	if (pMechanism == NULL || phPublicKey == NULL ||
	    phPrivateKey == NULL ||
	    p11_tpl_check(pPublicKeyTemplate, ulPublicKeyAttributeCount) !=
	    CKR_OK ||
	    p11_tpl_check(pPrivateKeyTemplate, ulPrivateKeyAttributeCount) !=
	    CKR_OK) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	rv = gen_run(s, ss, pMechanism, pPublicKeyTemplate,
	    ulPublicKeyAttributeCount, pPrivateKeyTemplate,
	    ulPrivateKeyAttributeCount, phPublicKey, phPrivateKey);
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}
