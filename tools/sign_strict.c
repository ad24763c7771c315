/*
 * tools/sign_strict.c - exact encodings of a SignerInfo's unprotected and
 * re-encoded parts (see sign_strict.h).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "reader/tlv.h"
#include "tools/sign_cms.h"
#include "tools/sign_strict.h"

static enum sv_verdict
malformed(struct se_err *why, const char *what)
{
	se_set(why, "malformed .p7s: %s", what);
	ERR_clear_error();
	return SV_MALFORMED;
}

static bool
bytes_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* issuer DER || serial DER, as the certificate holds them. */
static bool
sid_is_issuer_serial(X509 *cert, const struct sd_signer *raw)
{
	unsigned char	*name = NULL, *serial = NULL;
	int		 nl, sl;
	bool		 ok = false;

	nl = i2d_X509_NAME(X509_get_issuer_name(cert), &name);
	sl = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &serial);
	if (nl > 0 && sl > 0 && raw->sidlen == (size_t)nl + (size_t)sl)
		ok = memcmp(raw->sid, name, (size_t)nl) == 0 &&
		    memcmp(raw->sid + nl, serial, (size_t)sl) == 0;
	OPENSSL_free(name);
	OPENSSL_free(serial);
	return ok;
}

static bool
sid_exact(X509 *cert, const struct sd_signer *raw)
{
	const ASN1_OCTET_STRING *ski;

	if (!raw->sid_keyid)
		return sid_is_issuer_serial(cert, raw);
	ski = X509_get0_subject_key_id(cert);
	return ski != NULL && bytes_eq(raw->sid, raw->sidlen,
	    ASN1_STRING_get0_data(ski), (size_t)ASN1_STRING_length(ski));
}

/* The received signed attributes equal their sorted DER re-encoding. */
static bool
attrs_der(CMS_SignerInfo *si, const struct sd_signer *raw)
{
	uint8_t	*der = NULL;
	size_t	 len = 0, hdr;
	bool	 ok = false;

	if (sc_signed_attrs_der(si, &der, &len) == 0 && len > raw->attrslen) {
		hdr = len - raw->attrslen;
		ok = hdr == 1 + ss_tlv_len_len(raw->attrslen) &&
		    memcmp(der + hdr, raw->attrs, raw->attrslen) == 0;
	}
	free(der);
	return ok;
}

static bool
params_null(int ptype)
{
	return ptype == V_ASN1_UNDEF || ptype == V_ASN1_NULL;
}

/* RSASSA-PSS-params whose hash is the digest algorithm's. */
static bool
pss_fits(int ptype, const void *pval, int mdnid)
{
	RSA_PSS_PARAMS	*pp;
	int		 h;

	if (ptype != V_ASN1_SEQUENCE || pval == NULL ||
	    (pp = ASN1_item_unpack(pval, ASN1_ITEM_rptr(RSA_PSS_PARAMS))) ==
	    NULL)
		return false;
	h = pp->hashAlgorithm != NULL ?
	    OBJ_obj2nid(pp->hashAlgorithm->algorithm) : NID_sha1;
	RSA_PSS_PARAMS_free(pp);
	return h == mdnid;
}

static bool
sigalg_fits(CMS_SignerInfo *si, X509 *cert, const EVP_MD *md)
{
	X509_ALGOR		*alg = NULL;
	const ASN1_OBJECT	*obj = NULL;
	const void		*pval = NULL;
	EVP_PKEY		*pub = X509_get0_pubkey(cert);
	int			 ptype = V_ASN1_UNDEF, nid, h = 0, pk = 0;
	int			 mdnid = EVP_MD_get_type(md);

	CMS_SignerInfo_get0_algs(si, NULL, NULL, NULL, &alg);
	if (alg == NULL || pub == NULL)
		return false;
	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	nid = OBJ_obj2nid(obj);
	if (EVP_PKEY_is_a(pub, "EC"))
		return OBJ_find_sigid_algs(nid, &h, &pk) == 1 &&
		    pk == NID_X9_62_id_ecPublicKey && h == mdnid &&
		    ptype == V_ASN1_UNDEF;
	if (!EVP_PKEY_is_a(pub, "RSA") && !EVP_PKEY_is_a(pub, "RSA-PSS"))
		return false;
	if (nid == NID_rsassaPss)
		return pss_fits(ptype, pval, mdnid);
	if (nid == NID_rsaEncryption)
		return params_null(ptype);
	return OBJ_find_sigid_algs(nid, &h, &pk) == 1 &&
	    pk == NID_rsaEncryption && h == mdnid && params_null(ptype);
}

enum sv_verdict
sv_strict(CMS_SignerInfo *si, X509 *cert, const EVP_MD *md,
    const struct sd_signer *raw, struct se_err *why)
{
	if (!sid_exact(cert, raw))
		return malformed(why, "the signer identifier is not exactly "
		    "the certificate's issuer and serial number");
	if (!attrs_der(si, raw))
		return malformed(why, "the signed attributes are not DER "
		    "(RFC 5652 5.3)");
	if (!sigalg_fits(si, cert, md))
		return malformed(why, "the signature algorithm does not fit "
		    "the key and the digest algorithm");
	return SV_OK;
}
