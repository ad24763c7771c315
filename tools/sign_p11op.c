/*
 * tools/sign_p11op.c - one signature through PKCS#11.
 *
 * The mechanism hashes on the token side when the token offers it
 * (CKM_SHA256_RSA_PKCS, CKM_SHA256_RSA_PKCS_PSS, CKM_ECDSA_SHA256 and
 * their SHA-384/512 siblings); otherwise the tool hashes and the token
 * signs the digest (CKM_RSA_PKCS over a DigestInfo, CKM_RSA_PKCS_PSS,
 * CKM_ECDSA).  A key with CKA_ALWAYS_AUTHENTICATE gets its
 * C_Login(CKU_CONTEXT_SPECIFIC) between C_SignInit and C_Sign.
 */
#include <string.h>

#include <openssl/x509.h>

#include "tools/sign_p11.h"

#define DATA_MAX	128	/* a DigestInfo of SHA-512 is 83 bytes */

static const struct {
	int			nid;
	CK_MECHANISM_TYPE	rsa, pss, ecdsa, hash;
	CK_RSA_PKCS_MGF_TYPE	mgf;
} md_mechs[] = {
	{ NID_sha256, CKM_SHA256_RSA_PKCS, CKM_SHA256_RSA_PKCS_PSS,
	    CKM_ECDSA_SHA256, CKM_SHA256, CKG_MGF1_SHA256 },
	{ NID_sha384, CKM_SHA384_RSA_PKCS, CKM_SHA384_RSA_PKCS_PSS,
	    CKM_ECDSA_SHA384, CKM_SHA384, CKG_MGF1_SHA384 },
	{ NID_sha512, CKM_SHA512_RSA_PKCS, CKM_SHA512_RSA_PKCS_PSS,
	    CKM_ECDSA_SHA512, CKM_SHA512, CKG_MGF1_SHA512 },
};

static int
md_index(const EVP_MD *md)
{
	size_t i;

	for (i = 0; i < sizeof(md_mechs) / sizeof(md_mechs[0]); i++)
		if (md_mechs[i].nid == EVP_MD_get_type(md))
			return (int)i;
	return -1;
}

static bool
mech_ok(struct sp11 *s, CK_MECHANISM_TYPE m)
{
	CK_MECHANISM_INFO info;

	return s->f->C_GetMechanismInfo(s->slot, m, &info) == CKR_OK &&
	    (info.flags & CKF_SIGN) != 0;
}

int
sp11_prepare(struct sp11 *s, enum sc_scheme scheme, const EVP_MD *md,
    struct se_err *err)
{
	CK_MECHANISM_TYPE	hashing, raw;
	int			i = md_index(md);

	if (i < 0) {
		se_set(err, "digest not supported");
		return -1;
	}
	if ((scheme == SC_ECDSA) != (s->ktype == CKK_EC)) {
		se_set(err, "the key type does not fit the signature scheme");
		return -1;
	}
	hashing = scheme == SC_ECDSA ? md_mechs[i].ecdsa :
	    scheme == SC_RSA_PSS ? md_mechs[i].pss : md_mechs[i].rsa;
	raw = scheme == SC_ECDSA ? CKM_ECDSA :
	    scheme == SC_RSA_PSS ? CKM_RSA_PKCS_PSS : CKM_RSA_PKCS;
	s->scheme = scheme;
	s->md = md;
	s->raw = !mech_ok(s, hashing);
	s->mech = s->raw ? raw : hashing;
	if (s->raw && !mech_ok(s, raw)) {
		se_set(err, "the token offers neither %s nor %s for signing",
		    sp11_mech_str(hashing), sp11_mech_str(raw));
		return -1;
	}
	return 0;
}

/* DigestInfo (RFC 8017 9.2) around a digest, for CKM_RSA_PKCS. */
static int
digest_info(const EVP_MD *md, const uint8_t *dg, unsigned dglen,
    uint8_t *out, size_t cap, size_t *outlen)
{
	X509_SIG		*sig;
	X509_ALGOR		*alg = NULL;
	ASN1_OCTET_STRING	*oct = NULL;
	unsigned char		*p = out;
	int			 n = -1;

	if ((sig = X509_SIG_new()) == NULL)
		return -1;
	X509_SIG_getm(sig, &alg, &oct);
	if (X509_ALGOR_set0(alg, OBJ_nid2obj(EVP_MD_get_type(md)),
	    V_ASN1_NULL, NULL) == 1 &&
	    ASN1_OCTET_STRING_set(oct, dg, (int)dglen) == 1 &&
	    (n = i2d_X509_SIG(sig, NULL)) > 0 && (size_t)n <= cap)
		n = i2d_X509_SIG(sig, &p);
	else
		n = -1;
	X509_SIG_free(sig);
	if (n <= 0)
		return -1;
	*outlen = (size_t)n;
	return 0;
}

/* What goes into C_Sign: tbs itself, or its digest (in a DigestInfo). */
static int
sign_data(const struct sp11 *s, const uint8_t *tbs, size_t len,
    uint8_t *out, size_t *outlen)
{
	uint8_t		dg[EVP_MAX_MD_SIZE];
	unsigned	dglen = 0;

	if (EVP_Digest(tbs, len, dg, &dglen, s->md, NULL) != 1)
		return -1;
	if (s->scheme == SC_RSA_PKCS1)
		return digest_info(s->md, dg, dglen, out, DATA_MAX, outlen);
	memcpy(out, dg, dglen);
	*outlen = dglen;
	return 0;
}

static CK_RV
sign_init(struct sp11 *s, CK_RSA_PKCS_PSS_PARAMS *pss)
{
	CK_MECHANISM	m = { s->mech, NULL, 0 };
	int		i = md_index(s->md);

	if (s->scheme == SC_RSA_PSS) {
		pss->hashAlg = md_mechs[i].hash;
		pss->mgf = md_mechs[i].mgf;
		pss->sLen = (CK_ULONG)EVP_MD_get_size(s->md);
		m.pParameter = pss;
		m.ulParameterLen = sizeof(*pss);
	}
	return s->f->C_SignInit(s->sess, &m, s->key);
}

int
sp11_sign(void *arg, const uint8_t *tbs, size_t len, uint8_t *sig,
    size_t *siglen, struct se_err *err)
{
	struct sp11		*s = arg;
	CK_RSA_PKCS_PSS_PARAMS	 pss;
	uint8_t			 data[DATA_MAX];
	size_t			 dlen = 0;
	CK_ULONG		 out = (CK_ULONG)*siglen;
	CK_RV			 rv;

	if (s->raw && sign_data(s, tbs, len, data, &dlen) < 0) {
		se_set(err, "cannot hash the signed attributes");
		return -1;
	}
	if ((rv = sign_init(s, &pss)) != CKR_OK) {
		se_set(err, "C_SignInit (%s): %s", sp11_mech_str(s->mech),
		    sp11_rv_str(rv));
		return -1;
	}
	if (s->always_auth && sp11_login_context(s, err) < 0)
		return -1;
	rv = s->f->C_Sign(s->sess, s->raw ? data : (CK_BYTE_PTR)(uintptr_t)tbs,
	    (CK_ULONG)(s->raw ? dlen : len), sig, &out);
	if (rv != CKR_OK || out == 0 || out > *siglen) {
		se_set(err, "C_Sign (%s): %s", sp11_mech_str(s->mech),
		    rv != CKR_OK ? sp11_rv_str(rv) : "bad signature length");
		return -1;
	}
	*siglen = (size_t)out;
	s->nsigs++;
	return 0;
}
