/*
 * tools/sign_trust.c - chain, key usage, validity at the signing time.
 *
 * The chain is built without looking at time (X509_V_FLAG_NO_CHECK_TIME),
 * so that "does not chain to the CA" and "was not valid at the signing
 * time" stay two distinct answers; validity is then checked for every
 * certificate of the chain at the signing time.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "tools/sign_trust.h"

void
st_time_str(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, len, "(unknown time)");
}

void
st_name(const X509_NAME *n, char *buf, size_t len)
{
	const unsigned long	 flags = (XN_FLAG_RFC2253 & ~XN_FLAG_SEP_MASK) |
				    XN_FLAG_SEP_CPLUS_SPC;
	BIO			*b;
	int			 got;

	buf[0] = '\0';
	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return;
	if (X509_NAME_print_ex(b, n, 0, flags) >= 0 &&
	    (got = BIO_read(b, buf, (int)len - 1)) > 0)
		buf[got] = '\0';
	BIO_free(b);
}

static int
asn1_time_t(const ASN1_TIME *at, time_t *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(at, &tm) != 1)
		return -1;
	*t = timegm(&tm);
	return 0;
}

int
st_signing_time(CMS_SignerInfo *si, time_t *when, bool *has,
    struct se_err *why)
{
	X509_ATTRIBUTE	*a;
	ASN1_TYPE	*t;
	int		 i;

	*has = false;
	if ((i = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime,
	    -1)) < 0)
		return 0;
	if (CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, i) >= 0 ||
	    (a = CMS_signed_get_attr(si, i)) == NULL ||
	    X509_ATTRIBUTE_count(a) != 1 ||
	    (t = X509_ATTRIBUTE_get0_type(a, 0)) == NULL ||
	    (t->type != V_ASN1_UTCTIME && t->type != V_ASN1_GENERALIZEDTIME) ||
	    asn1_time_t(t->value.utctime, when) < 0) {
		se_set(why, "malformed .p7s: bad signing-time attribute");
		ERR_clear_error();
		return -1;
	}
	*has = true;
	return 0;
}

static enum sv_verdict
untrusted(struct se_err *why, const char *what, const char *detail)
{
	se_set(why, "%s%s%s%s", what, detail != NULL ? " (" : "",
	    detail != NULL ? detail : "", detail != NULL ? ")" : "");
	ERR_clear_error();
	return SV_UNTRUSTED;
}

/* Validity of one certificate at t. */
static enum sv_verdict
valid_at(X509 *x, time_t t, struct se_err *why)
{
	char	name[256], when[40], lim[40];
	time_t	edge = 0;
	int	nb, na;

	nb = X509_cmp_time(X509_get0_notBefore(x), &t);
	na = X509_cmp_time(X509_get0_notAfter(x), &t);
	if (nb == -1 && na == 1)
		return SV_OK;
	st_name(X509_get_subject_name(x), name, sizeof(name));
	st_time_str(t, when, sizeof(when));
	if (nb != -1) {
		(void)asn1_time_t(X509_get0_notBefore(x), &edge);
		st_time_str(edge, lim, sizeof(lim));
		se_set(why, "certificate \"%s\" was not yet valid at the "
		    "signing time %s (valid from %s)", name, when, lim);
	} else {
		(void)asn1_time_t(X509_get0_notAfter(x), &edge);
		st_time_str(edge, lim, sizeof(lim));
		se_set(why, "certificate \"%s\" had expired at the signing "
		    "time %s (valid until %s)", name, when, lim);
	}
	return SV_EXPIRED;
}

static enum sv_verdict
chain_valid_at(STACK_OF(X509) *chain, time_t t, struct se_err *why)
{
	enum sv_verdict	v;
	int		i;

	for (i = 0; i < sk_X509_num(chain); i++)
		if ((v = valid_at(sk_X509_value(chain, i), t, why)) != SV_OK)
			return v;
	return SV_OK;
}

static bool
usage_signs(X509 *cert)
{
	uint32_t ku = X509_get_key_usage(cert);

	return ku == UINT32_MAX ||
	    (ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) != 0;
}

enum sv_verdict
st_trust(X509_STORE *store, X509 *cert, STACK_OF(X509) *more, time_t when,
    struct se_err *why)
{
	X509_STORE_CTX	*ctx = NULL;
	enum sv_verdict	 v;

	if (store == NULL)
		return untrusted(why, "no trusted CA given", NULL);
	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(ctx, store, cert, more) != 1) {
		X509_STORE_CTX_free(ctx);
		se_set(why, "out of memory");
		return SV_ERROR;
	}
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME);
	(void)X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY);
	if (X509_verify_cert(ctx) != 1)
		v = untrusted(why, "the signer's certificate does not chain to "
		    "a trusted CA", X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(ctx)));
	else if (!usage_signs(cert))
		v = untrusted(why, "the signer's certificate is not for "
		    "signing (key usage has neither digitalSignature nor "
		    "nonRepudiation)", NULL);
	else
		v = chain_valid_at(X509_STORE_CTX_get0_chain(ctx), when, why);
	X509_STORE_CTX_free(ctx);
	return v;
}
