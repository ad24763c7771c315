/*
 * tools/sign_cms.c - detached CMS SignedData around a signature made
 * elsewhere (see sign_cms.h for the approach).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "reader/buf.h"
#include "reader/tlv.h"
#include "reader/wipe.h"
#include "tools/sign_cms.h"

#define ATTRS_MAX	16	/* signed attributes we ever encode */
#define TAG_SET		0x31u

struct der_item {
	uint8_t	*p;
	size_t	 len;
};

int
sc_digest_bio(const EVP_MD *md, BIO *in, uint8_t *out, unsigned *outlen)
{
	uint8_t		 buf[16384];
	EVP_MD_CTX	*c;
	int		 n, rc = -1;

	if ((c = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(c, md, NULL) != 1)
		goto out;
	while ((n = BIO_read(in, buf, (int)sizeof(buf))) > 0)
		if (EVP_DigestUpdate(c, buf, (size_t)n) != 1)
			goto out;
	if (n < 0 && !BIO_eof(in))
		goto out;
	if (EVP_DigestFinal_ex(c, out, outlen) == 1)
		rc = 0;
out:
	EVP_MD_CTX_free(c);
	return rc;
}

int
sc_ecdsa_der(const uint8_t *rs, size_t len, uint8_t *out, size_t cap,
    size_t *outlen)
{
	ECDSA_SIG	*sig = NULL;
	BIGNUM		*r = NULL, *s = NULL;
	unsigned char	*p = out;
	int		 n, rc = -1;

	if (len == 0 || len % 2 != 0 || len > 2 * 66)
		return -1;
	if ((sig = ECDSA_SIG_new()) == NULL ||
	    (r = BN_bin2bn(rs, (int)(len / 2), NULL)) == NULL ||
	    (s = BN_bin2bn(rs + len / 2, (int)(len / 2), NULL)) == NULL ||
	    ECDSA_SIG_set0(sig, r, s) != 1)
		goto out;
	r = s = NULL;			/* owned by sig now */
	if ((n = i2d_ECDSA_SIG(sig, NULL)) <= 0 || (size_t)n > cap ||
	    i2d_ECDSA_SIG(sig, &p) != n)
		goto out;
	*outlen = (size_t)n;
	rc = 0;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	return rc;
}

/* DER order of SET OF elements (X.690 11.6): bytewise, shorter first. */
static int
der_cmp(const void *a, const void *b)
{
	const struct der_item	*x = a, *y = b;
	size_t			 n = x->len < y->len ? x->len : y->len;
	int			 c = memcmp(x->p, y->p, n);

	if (c != 0)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

static void
items_free(struct der_item *it, size_t n)
{
	while (n-- > 0)
		OPENSSL_free(it[n].p);
}

/* Encode each attribute; *total is the sum of their lengths. */
static int
attrs_encode(CMS_SignerInfo *si, struct der_item *it, size_t *n,
    size_t *total)
{
	int	i, count = CMS_signed_get_attr_count(si), len;

	*n = 0;
	*total = 0;
	if (count <= 0 || count > ATTRS_MAX)
		return -1;
	for (i = 0; i < count; i++) {
		it[i].p = NULL;
		len = i2d_X509_ATTRIBUTE(CMS_signed_get_attr(si, i), &it[i].p);
		if (len <= 0)
			return -1;
		it[i].len = (size_t)len;
		*total += it[i].len;
		*n = (size_t)i + 1;
	}
	return 0;
}

int
sc_signed_attrs_der(CMS_SignerInfo *si, uint8_t **der, size_t *derlen)
{
	struct der_item	 it[ATTRS_MAX];
	struct ss_wr	 w;
	size_t		 n = 0, total, i, cap;
	uint8_t		*buf = NULL;
	int		 rc = -1;

	if (attrs_encode(si, it, &n, &total) < 0)
		goto out;
	qsort(it, n, sizeof(it[0]), der_cmp);
	cap = total + 1 + ss_tlv_len_len(total);
	if ((buf = malloc(cap)) == NULL)
		goto out;
	ss_wr_init(&w, buf, cap);
	(void)ss_tlv_put_hdr(&w, TAG_SET, total);
	for (i = 0; i < n; i++)
		(void)ss_wr_bytes(&w, it[i].p, it[i].len);
	if (w.err || w.len != cap)
		goto out;
	*der = buf;
	*derlen = cap;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	items_free(it, n);
	return rc;
}

/* RSASSA-PSS-params: the request's hash, MGF1 with it, salt = its size. */
static int
pss_params(const EVP_MD *md, ASN1_STRING **out)
{
	RSA_PSS_PARAMS	*pp = NULL;
	X509_ALGOR	*mgfmd = NULL;
	ASN1_STRING	*mgfp = NULL;
	int		 rc = -1;

	if ((pp = RSA_PSS_PARAMS_new()) == NULL ||
	    (mgfmd = X509_ALGOR_new()) == NULL ||
	    (pp->hashAlgorithm = X509_ALGOR_new()) == NULL ||
	    (pp->maskGenAlgorithm = X509_ALGOR_new()) == NULL ||
	    (pp->saltLength = ASN1_INTEGER_new()) == NULL)
		goto out;
	X509_ALGOR_set_md(pp->hashAlgorithm, md);
	X509_ALGOR_set_md(mgfmd, md);
	if ((mgfp = ASN1_item_pack(mgfmd, ASN1_ITEM_rptr(X509_ALGOR),
	    NULL)) == NULL ||
	    X509_ALGOR_set0(pp->maskGenAlgorithm, OBJ_nid2obj(NID_mgf1),
	    V_ASN1_SEQUENCE, mgfp) != 1)
		goto out;
	mgfp = NULL;
	if (ASN1_INTEGER_set(pp->saltLength, EVP_MD_get_size(md)) != 1 ||
	    (*out = ASN1_item_pack(pp, ASN1_ITEM_rptr(RSA_PSS_PARAMS),
	    NULL)) == NULL)
		goto out;
	rc = 0;
out:
	ASN1_STRING_free(mgfp);
	X509_ALGOR_free(mgfmd);
	RSA_PSS_PARAMS_free(pp);
	return rc;
}

static int
set_pss_alg(CMS_SignerInfo *si, const EVP_MD *md)
{
	X509_ALGOR	*alg = NULL;
	ASN1_STRING	*params = NULL;

	CMS_SignerInfo_get0_algs(si, NULL, NULL, NULL, &alg);
	if (alg == NULL || pss_params(md, &params) < 0)
		return -1;
	if (X509_ALGOR_set0(alg, OBJ_nid2obj(NID_rsassaPss), V_ASN1_SEQUENCE,
	    params) != 1) {
		ASN1_STRING_free(params);
		return -1;
	}
	return 0;
}

static int
add_attrs(CMS_SignerInfo *si, time_t when, const uint8_t *md,
    unsigned mdlen)
{
	ASN1_TIME	*t;
	int		 ok;

	if ((t = ASN1_TIME_set(NULL, when)) == NULL)
		return -1;
	ok = CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType,
	    V_ASN1_OBJECT, OBJ_nid2obj(NID_pkcs7_data), -1) == 1 &&
	    CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, t->type,
	    t, -1) == 1 &&
	    CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest,
	    V_ASN1_OCTET_STRING, md, (int)mdlen) == 1;
	ASN1_TIME_free(t);
	return ok ? 0 : -1;
}

static int
add_chain(CMS_ContentInfo *cms, const struct sc_req *req)
{
	X509	*x;
	int	 i;

	for (i = 0; i < sk_X509_num(req->chain); i++) {
		x = sk_X509_value(req->chain, i);
		if (X509_cmp(x, req->cert) == 0)
			continue;
		if (CMS_add1_cert(cms, x) == 0)
			return -1;
	}
	return 0;
}

/* The SignerInfo with everything but the signature. */
static CMS_SignerInfo *
signer_new(CMS_ContentInfo *cms, const struct sc_req *req,
    const uint8_t *md, unsigned mdlen, struct se_err *err)
{
	const unsigned	 flags = CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP |
			    CMS_CADES;
	CMS_SignerInfo	*si;

	/* The public key stands in for the private one: with CMS_PARTIAL
	 * OpenSSL only checks that it matches the certificate. */
	si = CMS_add1_signer(cms, req->cert, X509_get0_pubkey(req->cert),
	    req->md, flags);
	if (si == NULL) {
		se_ssl(err, "cannot add the signer to the CMS structure");
		return NULL;
	}
	if (add_attrs(si, req->when, md, mdlen) < 0 ||
	    (req->scheme == SC_RSA_PSS && set_pss_alg(si, req->md) < 0)) {
		se_ssl(err, "cannot build the signed attributes");
		return NULL;
	}
	if (add_chain(cms, req) < 0) {
		se_ssl(err, "cannot add the --chain certificates");
		return NULL;
	}
	return si;
}

/* Sign the attributes through the callback; put the signature in. */
static int
signer_sign(CMS_SignerInfo *si, const struct sc_req *req,
    struct se_err *err)
{
	uint8_t	 raw[SC_SIG_MAX], der[SC_SIG_MAX];
	uint8_t	*tbs = NULL;
	size_t	 tbslen, rawlen = sizeof(raw), derlen;
	int	 rc = -1;

	if (sc_signed_attrs_der(si, &tbs, &tbslen) < 0) {
		se_ssl(err, "cannot encode the signed attributes");
		goto out;
	}
	if (req->sign(req->arg, tbs, tbslen, raw, &rawlen, err) < 0)
		goto out;
	if (rawlen == 0 || rawlen > sizeof(raw)) {
		se_set(err, "the token returned a signature of %zu bytes",
		    rawlen);
		goto out;
	}
	if (req->scheme == SC_ECDSA) {
		if (sc_ecdsa_der(raw, rawlen, der, sizeof(der), &derlen) < 0) {
			se_set(err, "the token returned a malformed ECDSA "
			    "signature (%zu bytes)", rawlen);
			goto out;
		}
	} else {
		memcpy(der, raw, rawlen);
		derlen = rawlen;
	}
	if (ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), der,
	    (int)derlen) != 1) {
		se_ssl(err, "cannot store the signature");
		goto out;
	}
	rc = 0;
out:
	free(tbs);
	return rc;
}

int
sc_sign_bio(const struct sc_req *req, BIO *content, uint8_t **der,
    size_t *derlen, struct se_err *err)
{
	CMS_ContentInfo	*cms = NULL;
	CMS_SignerInfo	*si;
	uint8_t		 md[EVP_MAX_MD_SIZE];
	unsigned char	*out = NULL;
	unsigned	 mdlen = 0;
	int		 n, rc = -1;

	if (sc_digest_bio(req->md, content, md, &mdlen) < 0) {
		se_set(err, "cannot read the content to sign");
		goto out;
	}
	if ((cms = CMS_ContentInfo_new()) == NULL ||
	    CMS_SignedData_init(cms) != 1 || CMS_set_detached(cms, 1) != 1) {
		se_ssl(err, "cannot start a CMS SignedData");
		goto out;
	}
	if ((si = signer_new(cms, req, md, mdlen, err)) == NULL ||
	    signer_sign(si, req, err) < 0)
		goto out;
	if ((n = i2d_CMS_ContentInfo(cms, &out)) <= 0) {
		se_ssl(err, "cannot encode the CMS SignedData");
		goto out;
	}
	*der = out;
	*derlen = (size_t)n;
	rc = 0;
out:
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return rc;
}
