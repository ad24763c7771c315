/*
 * tools/diag_cert.c - a certificate summary for field engineers: subject,
 * issuer, serial, validity with days left, key type and size, SHA-256
 * fingerprint, and optionally the PEM (OpenSSL does the DER parsing).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "reader/hex.h"
#include "tools/diag_piv.h"

#define DAY_SECONDS	86400L

/* Name in forward order, "C=US, O=..., CN=...", UTF-8 kept. */
static void
name_str(const X509_NAME *n, char *out, size_t cap)
{
	BIO		*b = BIO_new(BIO_s_mem());
	unsigned long	 fl = (XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN |
			    ASN1_STRFLGS_RFC2253) & ~ASN1_STRFLGS_ESC_MSB;
	int		 len;

	out[0] = '\0';
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, n, 0, fl) >= 0 &&
	    (len = BIO_read(b, out, (int)cap - 1)) > 0)
		out[len] = '\0';
	BIO_free(b);
}

static void
time_str(const ASN1_TIME *t, char *out, size_t cap, time_t *when)
{
	struct tm	tm;

	out[0] = '\0';
	*when = 0;
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return;
	*when = timegm(&tm);
	(void)strftime(out, cap, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static void
serial_str(const X509 *x, char *out, size_t cap)
{
	BIGNUM	*bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char	*h = bn != NULL ? BN_bn2hex(bn) : NULL;

	(void)snprintf(out, cap, "%s", h != NULL ? h : "?");
	OPENSSL_free(h);
	BN_free(bn);
}

static void
key_str(X509 *x, char *out, size_t cap)
{
	EVP_PKEY	*k = X509_get0_pubkey(x);
	char		 grp[64];
	size_t		 gl = 0;

	(void)snprintf(out, cap, "unknown");
	if (k == NULL)
		return;
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA:
		(void)snprintf(out, cap, "RSA %d", EVP_PKEY_get_bits(k));
		break;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(k, grp, sizeof(grp), &gl) != 1)
			(void)snprintf(grp, sizeof(grp), "?");
		(void)snprintf(out, cap, "EC %s",
		    strcmp(grp, "prime256v1") == 0 ? "P-256" :
		    strcmp(grp, "secp384r1") == 0 ? "P-384" : grp);
		break;
	case EVP_PKEY_ED25519:
		(void)snprintf(out, cap, "Ed25519");
		break;
	case EVP_PKEY_X25519:
		(void)snprintf(out, cap, "X25519");
		break;
	default:
		break;
	}
}

static char *
pem_str(X509 *x)
{
	BIO	*b = BIO_new(BIO_s_mem());
	char	*p = NULL, *data;
	long	 n;

	if (b == NULL)
		return NULL;
	if (PEM_write_bio_X509(b, x) == 1 &&
	    (n = BIO_get_mem_data(b, &data)) > 0 &&
	    (p = malloc((size_t)n + 1)) != NULL) {
		memcpy(p, data, (size_t)n);
		p[n] = '\0';
	}
	BIO_free(b);
	return p;
}

static void
validity(X509 *x, struct diag_cert *c)
{
	time_t	nb, na, now = time(NULL);

	time_str(X509_get0_notBefore(x), c->not_before,
	    sizeof(c->not_before), &nb);
	time_str(X509_get0_notAfter(x), c->not_after, sizeof(c->not_after),
	    &na);
	c->not_yet_valid = nb > now;
	if (na >= now)
		c->days_left = (long)((na - now) / DAY_SECONDS);
	else
		c->days_left = -(long)((now - na + DAY_SECONDS - 1) /
		    DAY_SECONDS);
}

int
diag_cert_parse(const uint8_t *der, size_t len, bool want_pem,
    struct diag_cert *c)
{
	const unsigned char	*p = der;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned		 mdlen = 0;
	X509			*x;

	memset(c, 0, sizeof(*c));
	if (len == 0 || len > (size_t)INT32_MAX ||
	    (x = d2i_X509(NULL, &p, (long)len)) == NULL)
		return -1;
	name_str(X509_get_subject_name(x), c->subject, sizeof(c->subject));
	name_str(X509_get_issuer_name(x), c->issuer, sizeof(c->issuer));
	serial_str(x, c->serial, sizeof(c->serial));
	validity(x, c);
	key_str(x, c->key, sizeof(c->key));
	if (X509_digest(x, EVP_sha256(), md, &mdlen) == 1 && mdlen == 32)
		ss_hex_encode(md, mdlen, c->sha256);
	if (want_pem)
		c->pem = pem_str(x);
	X509_free(x);
	c->ok = true;
	return 0;
}

void
diag_cert_clear(struct diag_cert *c)
{
	free(c->pem);
	c->pem = NULL;
}
