/*
 * tools/bench_verify.c - check every signature with OpenSSL against the
 * public key of the card's certificate.
 *
 * The reference certificates are read by the runner straight from the
 * card (bench_card.c) before any module runs, so a module cannot make its
 * own wrong signature pass with a wrong certificate.  Verification runs
 * after the measured part of a flow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tools/bench.h"

static int
read_file(const char *path, uint8_t **out, size_t *len)
{
	FILE	*fp;
	uint8_t	*buf = NULL;
	size_t	 n;

	if ((fp = fopen(path, "rb")) == NULL)
		return -1;
	if ((buf = malloc(BENCH_CERT_MAX)) == NULL)
		goto fail;
	n = fread(buf, 1, BENCH_CERT_MAX, fp);
	if (n == 0 || n == BENCH_CERT_MAX)
		goto fail;
	fclose(fp);
	*out = buf;
	*len = n;
	return 0;
fail:
	free(buf);
	fclose(fp);
	return -1;
}

static EVP_PKEY *
cert_pubkey(const uint8_t *der, size_t len)
{
	const unsigned char	*p = der;
	X509			*x;
	EVP_PKEY		*k;

	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL)
		return NULL;
	k = X509_get_pubkey(x);
	X509_free(x);
	return k;
}

/*
 * Read DIR/cert<i>.der for every PIV certificate (plain file reads: no
 * OpenSSL is touched before the module is measured); -1 if 9A or 9C
 * lack.  The public keys are parsed at the first verification.
 */
int
bench_load_certs(struct bench_ctx *c, const char *dir)
{
	char	path[4096];
	int	i;

	for (i = 0; i < BENCH_NCERTS; i++) {
		snprintf(path, sizeof(path), "%s/cert%d.der", dir, i);
		if (read_file(path, &c->cert[i], &c->certlen[i]) < 0)
			c->cert[i] = NULL;
	}
	return c->cert[BENCH_CERT_9A] != NULL &&
	    c->cert[BENCH_CERT_9C] != NULL ? 0 : -1;
}

void
bench_free_certs(struct bench_ctx *c)
{
	int	i;

	for (i = 0; i < BENCH_NCERTS; i++) {
		EVP_PKEY_free(c->pub[i]);
		free(c->cert[i]);
		c->pub[i] = NULL;
		c->cert[i] = NULL;
	}
}

/* PKCS#11 ECDSA r || s (fixed width) -> DER SEQUENCE { r, s }. */
static int
ec_rs_to_der(const uint8_t *rs, size_t len, uint8_t **der, size_t *dlen)
{
	ECDSA_SIG	*es;
	BIGNUM		*r, *s;
	unsigned char	*p = NULL;
	int		 n;

	if (len == 0 || len % 2 != 0 || (es = ECDSA_SIG_new()) == NULL)
		return -1;
	r = BN_bin2bn(rs, (int)(len / 2), NULL);
	s = BN_bin2bn(rs + len / 2, (int)(len / 2), NULL);
	if (r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return -1;
	}
	n = i2d_ECDSA_SIG(es, &p);
	ECDSA_SIG_free(es);
	if (n <= 0)
		return -1;
	*der = p;
	*dlen = (size_t)n;
	return 0;
}

static bool
verify_der(EVP_PKEY *k, const struct bench_sig *s, const uint8_t *sig,
    size_t len)
{
	EVP_MD_CTX	*md;
	bool		 ok;

	if ((md = EVP_MD_CTX_new()) == NULL)
		return false;
	ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k) == 1 &&
	    EVP_DigestVerify(md, sig, len, s->data, sizeof(s->data)) == 1;
	EVP_MD_CTX_free(md);
	return ok;
}

/* SHA256-RSA-PKCS (PKCS#1 v1.5) or ECDSA-SHA256 (r || s). */
static bool
verify_one(EVP_PKEY *k, const struct bench_sig *s)
{
	uint8_t	*der = NULL;
	size_t	 dlen;
	bool	 ok;

	if (EVP_PKEY_base_id(k) != EVP_PKEY_EC)
		return verify_der(k, s, s->sig, s->len);
	if (ec_rs_to_der(s->sig, s->len, &der, &dlen) < 0)
		return false;
	ok = verify_der(k, s, der, dlen);
	OPENSSL_free(der);
	return ok;
}

/* How many of the n signatures made with key which verify. */
unsigned
bench_verify_all(struct bench_ctx *c, int which,
    const struct bench_sig *sigs, size_t n)
{
	unsigned	good = 0;
	size_t		i;

	if (c->pub[which] == NULL && c->cert[which] != NULL)
		c->pub[which] = cert_pubkey(c->cert[which], c->certlen[which]);
	if (c->pub[which] == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (sigs[i].len > 0 && verify_one(c->pub[which], &sigs[i]))
			good++;
	return good;
}
