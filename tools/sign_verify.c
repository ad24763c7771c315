/*
 * tools/sign_verify.c - verify a detached CMS SignedData over some content
 * (see sign_verify.h for the checks and their verdicts).
 *
 * The .p7s's shape is checked first with the bounds-checked TLV helpers
 * (sign_der.c); only then does OpenSSL decode it, and it must consume
 * every byte.  Trust and time are in sign_trust.c.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ess.h>

#include "tools/sign_cms.h"
#include "tools/sign_strict.h"
#include "tools/sign_trust.h"
#include "tools/sign_verify.h"

struct vctx {
	CMS_ContentInfo		*cms;
	STACK_OF(X509)		*certs;		/* all certificates of the .p7s */
	BIO			*content;
	const struct sv_opts	*opts;
	const struct sd_shape	*shape;		/* the raw pieces */
};

const char *
sv_verdict_str(enum sv_verdict v)
{
	switch (v) {
	case SV_OK:
		return "verified";
	case SV_BAD_SIGNATURE:
		return "BAD SIGNATURE";
	case SV_UNTRUSTED:
		return "UNTRUSTED";
	case SV_EXPIRED:
		return "EXPIRED";
	case SV_MALFORMED:
		return "MALFORMED";
	case SV_ERROR:
		break;
	}
	return "ERROR";
}

static enum sv_verdict
verdict(struct se_err *why, enum sv_verdict v, const char *msg)
{
	se_set(why, "%s", msg);
	ERR_clear_error();
	return v;
}

/* The certificate the SignerInfo names, from the .p7s itself. */
static X509 *
signer_cert(const struct vctx *c, CMS_SignerInfo *si)
{
	int i;

	for (i = 0; i < sk_X509_num(c->certs); i++)
		if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(c->certs, i)) == 0)
			return sk_X509_value(c->certs, i);
	return NULL;
}

static const EVP_MD *
signer_digest(CMS_SignerInfo *si)
{
	X509_ALGOR		*alg = NULL;
	const ASN1_OBJECT	*oid = NULL;

	CMS_SignerInfo_get0_algs(si, NULL, NULL, &alg, NULL);
	if (alg == NULL)
		return NULL;
	X509_ALGOR_get0(&oid, NULL, NULL, alg);
	switch (OBJ_obj2nid(oid)) {
	case NID_sha224:
		return EVP_sha224();
	case NID_sha256:
		return EVP_sha256();
	case NID_sha384:
		return EVP_sha384();
	case NID_sha512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

static void
signer_describe(CMS_SignerInfo *si, X509 *cert, const EVP_MD *md,
    struct sv_signer *out)
{
	X509_ALGOR		*alg = NULL;
	const ASN1_OBJECT	*oid = NULL;
	const char		*kind;

	st_name(X509_get_subject_name(cert), out->subject,
	    sizeof(out->subject));
	CMS_SignerInfo_get0_algs(si, NULL, NULL, NULL, &alg);
	if (alg != NULL)
		X509_ALGOR_get0(&oid, NULL, NULL, alg);
	switch (OBJ_obj2nid(oid)) {
	case NID_rsassaPss:
		kind = "RSA-PSS";
		break;
	case NID_rsaEncryption:
	case NID_sha224WithRSAEncryption:
	case NID_sha256WithRSAEncryption:
	case NID_sha384WithRSAEncryption:
	case NID_sha512WithRSAEncryption:
		kind = "RSA PKCS#1 v1.5";
		break;
	default:
		kind = EVP_PKEY_is_a(X509_get0_pubkey(cert), "EC") ?
		    "ECDSA" : "signature";
		break;
	}
	snprintf(out->algorithm, sizeof(out->algorithm), "%s with %s", kind,
	    EVP_MD_get0_name(md));
}

/* Exactly one attribute of this NID with exactly one value of type. */
static void *
attr_one(CMS_SignerInfo *si, int nid, int type)
{
	return CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(nid), -3, type);
}

static enum sv_verdict
check_content_type(struct vctx *c, CMS_SignerInfo *si, struct se_err *why)
{
	const ASN1_OBJECT *ct = attr_one(si, NID_pkcs9_contentType,
	    V_ASN1_OBJECT);

	if (ct == NULL)
		return verdict(why, SV_MALFORMED, "malformed .p7s: no single "
		    "content-type attribute");
	if (OBJ_cmp(ct, CMS_get0_eContentType(c->cms)) != 0)
		return verdict(why, SV_BAD_SIGNATURE, "the content-type "
		    "attribute does not match the content type");
	return SV_OK;
}

static enum sv_verdict
check_digest(struct vctx *c, CMS_SignerInfo *si, const EVP_MD *md,
    struct se_err *why)
{
	const ASN1_OCTET_STRING	*want;
	uint8_t			 got[EVP_MAX_MD_SIZE];
	unsigned		 len = 0;

	want = attr_one(si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING);
	if (want == NULL)
		return verdict(why, SV_MALFORMED, "malformed .p7s: no single "
		    "message-digest attribute");
	if (BIO_reset(c->content) < 0 ||
	    sc_digest_bio(md, c->content, got, &len) < 0)
		return verdict(why, SV_ERROR, "cannot read the content");
	if ((size_t)ASN1_STRING_length(want) != len ||
	    CRYPTO_memcmp(ASN1_STRING_get0_data(want), got, len) != 0)
		return verdict(why, SV_BAD_SIGNATURE, "the content does not "
		    "match the signature (its digest differs from the signed "
		    "one)");
	return SV_OK;
}

/* An ESS signing-certificate(-v2) attribute, if any, must name cert. */
static enum sv_verdict
check_ess(CMS_SignerInfo *si, X509 *cert, struct se_err *why)
{
	ESS_SIGNING_CERT	*v1 = NULL;
	ESS_SIGNING_CERT_V2	*v2 = NULL;
	STACK_OF(X509)		*chain = NULL;
	const ASN1_STRING	*s;
	const unsigned char	*p;
	enum sv_verdict		 v = SV_OK;
	int			 n1, n2;

	n1 = CMS_signed_get_attr_by_NID(si, NID_id_smime_aa_signingCertificate, -1);
	n2 = CMS_signed_get_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2, -1);
	if (n1 < 0 && n2 < 0)
		return SV_OK;
	if (n1 >= 0 && (s = attr_one(si, NID_id_smime_aa_signingCertificate,
	    V_ASN1_SEQUENCE)) != NULL) {
		p = ASN1_STRING_get0_data(s);
		v1 = d2i_ESS_SIGNING_CERT(NULL, &p, ASN1_STRING_length(s));
	}
	if (n2 >= 0 && (s = attr_one(si, NID_id_smime_aa_signingCertificateV2,
	    V_ASN1_SEQUENCE)) != NULL) {
		p = ASN1_STRING_get0_data(s);
		v2 = d2i_ESS_SIGNING_CERT_V2(NULL, &p, ASN1_STRING_length(s));
	}
	if ((n1 >= 0 && v1 == NULL) || (n2 >= 0 && v2 == NULL))
		v = verdict(why, SV_MALFORMED, "malformed .p7s: bad ESS "
		    "signing-certificate attribute");
	else if ((chain = sk_X509_new_null()) == NULL ||
	    sk_X509_push(chain, cert) <= 0)
		v = verdict(why, SV_ERROR, "out of memory");
	else if (OSSL_ESS_check_signing_certs(v1, v2, chain, 1) <= 0)
		v = verdict(why, SV_BAD_SIGNATURE, "the ESS signing-certificate "
		    "attribute names another certificate");
	sk_X509_free(chain);
	ESS_SIGNING_CERT_free(v1);
	ESS_SIGNING_CERT_V2_free(v2);
	return v;
}

/* Everything about one signer except trust and time. */
static enum sv_verdict
signer_sig(struct vctx *c, CMS_SignerInfo *si, X509 *cert, const EVP_MD *md,
    struct se_err *why)
{
	enum sv_verdict v;

	if ((v = check_content_type(c, si, why)) != SV_OK ||
	    (v = check_digest(c, si, md, why)) != SV_OK)
		return v;
	CMS_SignerInfo_set1_signer_cert(si, cert);
	if (CMS_SignerInfo_verify(si) != 1)
		return verdict(why, SV_BAD_SIGNATURE, "the signature does not "
		    "verify with the signer's certificate");
	return check_ess(si, cert, why);
}

static enum sv_verdict
signer_verify(struct vctx *c, CMS_SignerInfo *si, const struct sd_signer *raw,
    struct sv_signer *out, struct se_err *why)
{
	const EVP_MD	*md;
	X509		*cert;
	enum sv_verdict	 v;

	if ((cert = signer_cert(c, si)) == NULL)
		return verdict(why, SV_MALFORMED, "malformed .p7s: the signer's "
		    "certificate is not in it");
	if ((md = signer_digest(si)) == NULL)
		return verdict(why, SV_MALFORMED, "malformed .p7s: digest "
		    "algorithm not accepted (SHA-224/256/384/512 only)");
	signer_describe(si, cert, md, out);
	if (st_signing_time(si, &out->when, &out->has_when, why) < 0)
		return SV_MALFORMED;
	if ((v = sv_strict(si, cert, md, raw, why)) != SV_OK)
		return v;
	if ((v = signer_sig(c, si, cert, md, why)) != SV_OK ||
	    c->opts->sig_only)
		return v;
	return st_trust(c->opts->store, cert, c->certs,
	    out->has_when ? out->when : time(NULL), why);
}

/* The worse of two verdicts: malformed, bad signature, untrusted,
 * expired, then ok; an error beats them all. */
static int
rank(enum sv_verdict v)
{
	static const int r[] = {
		[SV_OK] = 0, [SV_EXPIRED] = 1, [SV_UNTRUSTED] = 2,
		[SV_BAD_SIGNATURE] = 3, [SV_MALFORMED] = 4, [SV_ERROR] = 5,
	};

	return r[v];
}

static enum sv_verdict
verify_signers(struct vctx *c, struct sv_result *res)
{
	STACK_OF(CMS_SignerInfo)	*sis = CMS_get0_SignerInfos(c->cms);
	struct se_err			 why;
	enum sv_verdict			 v;
	int				 i, n = sk_CMS_SignerInfo_num(sis);

	if (n <= 0 || (size_t)n != c->shape->nsigners)
		return verdict(&res->why, SV_MALFORMED, "malformed .p7s: the "
		    "signers do not parse");
	for (i = 0; i < n; i++) {
		v = signer_verify(c, sk_CMS_SignerInfo_value(sis, i),
		    &c->shape->signer[i], &res->signer[i], &why);
		res->nsigners = (size_t)i + 1;
		if (rank(v) > rank(res->verdict)) {
			res->verdict = v;
			res->why = why;
		}
	}
	return res->verdict;
}

static enum sv_verdict
verify_parsed(struct vctx *c, struct sv_result *res)
{
	ASN1_OCTET_STRING **pos;

	if (OBJ_obj2nid(CMS_get0_type(c->cms)) != NID_pkcs7_signed ||
	    (pos = CMS_get0_content(c->cms)) == NULL || *pos != NULL)
		return verdict(&res->why, SV_MALFORMED, "malformed .p7s: not "
		    "a detached SignedData");
	if ((c->certs = CMS_get1_certs(c->cms)) == NULL)
		return verdict(&res->why, SV_MALFORMED, "malformed .p7s: it "
		    "holds no certificate");
	return verify_signers(c, res);
}

enum sv_verdict
sv_verify_bio(const uint8_t *p7s, size_t len, BIO *content,
    const struct sv_opts *opts, struct sv_result *res)
{
	struct vctx		 c;
	struct sd_shape		 shape;
	const unsigned char	*p = p7s;

	memset(res, 0, sizeof(*res));
	memset(&c, 0, sizeof(c));
	c.content = content;
	c.opts = opts;
	c.shape = &shape;
	if (len > SV_P7S_MAX)
		return res->verdict = verdict(&res->why, SV_MALFORMED,
		    "malformed .p7s: larger than 1 MiB");
	if (sd_check(p7s, len, &shape, &res->why) < 0)
		return res->verdict = SV_MALFORMED;
	c.cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	if (c.cms == NULL || p != p7s + len)
		res->verdict = verdict(&res->why, SV_MALFORMED, "malformed "
		    ".p7s: OpenSSL cannot decode it as CMS");
	else
		res->verdict = verify_parsed(&c, res);
	sk_X509_pop_free(c.certs, X509_free);
	CMS_ContentInfo_free(c.cms);
	ERR_clear_error();
	return res->verdict;
}

enum sv_verdict
sv_verify_buf(const uint8_t *p7s, size_t len, const uint8_t *content,
    size_t clen, const struct sv_opts *opts, struct sv_result *res)
{
	static const uint8_t	 empty[1];
	enum sv_verdict		 v;
	BIO			*b;

	if (clen > INT_MAX || (b = BIO_new_mem_buf(clen > 0 ? content : empty,
	    (int)clen)) == NULL) {
		memset(res, 0, sizeof(*res));
		return res->verdict = verdict(&res->why, SV_ERROR,
		    "cannot read the content");
	}
	v = sv_verify_bio(p7s, len, b, opts, res);
	BIO_free(b);
	return v;
}
