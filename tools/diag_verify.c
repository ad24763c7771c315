/*
 * tools/diag_verify.c - check a signature the token made against the
 * public key in its certificate, with OpenSSL (independent of the
 * module): RSA PKCS#1 v1.5 and PSS over SHA-256, ECDSA (PKCS#11's raw
 * r || s) over a SHA-256 digest, Ed25519.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "tools/diag_verify.h"

EVP_PKEY *
diag_cert_pubkey(const uint8_t *der, size_t len)
{
	const unsigned char	*p = der;
	X509			*x;
	EVP_PKEY		*k;

	if (der == NULL || len == 0 || len > (size_t)INT32_MAX ||
	    (x = d2i_X509(NULL, &p, (long)len)) == NULL)
		return NULL;
	k = X509_get_pubkey(x);
	X509_free(x);
	return k;
}

static bool
verify_digest_sign(EVP_PKEY *k, const EVP_MD *md, bool pss,
    const uint8_t *msg, size_t mlen, const uint8_t *sig, size_t slen)
{
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX	*pctx = NULL;
	bool		 ok = false;

	if (ctx == NULL)
		return false;
	if (EVP_DigestVerifyInit(ctx, &pctx, md, NULL, k) == 1 &&
	    (!pss || (EVP_PKEY_CTX_set_rsa_padding(pctx,
	    RSA_PKCS1_PSS_PADDING) == 1 &&
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, DIAG_PSS_SALT) == 1 &&
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) == 1)))
		ok = EVP_DigestVerify(ctx, sig, slen, msg, mlen) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* r || s (each half of the signature) to a DER ECDSA-Sig-Value. */
static int
ecdsa_der(const uint8_t *sig, size_t slen, unsigned char **der)
{
	ECDSA_SIG	*es;
	BIGNUM		*r, *s;
	int		 n;

	*der = NULL;
	if (slen == 0 || slen % 2 != 0 || slen > 2 * 66)
		return -1;
	r = BN_bin2bn(sig, (int)(slen / 2), NULL);
	s = BN_bin2bn(sig + slen / 2, (int)(slen / 2), NULL);
	if ((es = ECDSA_SIG_new()) == NULL || r == NULL || s == NULL ||
	    ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return -1;
	}
	n = i2d_ECDSA_SIG(es, der);
	ECDSA_SIG_free(es);
	return n;
}

static bool
verify_ecdsa(EVP_PKEY *k, const uint8_t *msg, size_t mlen,
    const uint8_t *sig, size_t slen)
{
	unsigned char	 md[EVP_MAX_MD_SIZE], *der = NULL;
	unsigned	 mdlen = 0;
	EVP_PKEY_CTX	*pctx;
	int		 n;
	bool		 ok = false;

	if (EVP_Digest(msg, mlen, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    (n = ecdsa_der(sig, slen, &der)) <= 0)
		return false;
	if ((pctx = EVP_PKEY_CTX_new(k, NULL)) != NULL &&
	    EVP_PKEY_verify_init(pctx) == 1)
		ok = EVP_PKEY_verify(pctx, der, (size_t)n, md, mdlen) == 1;
	EVP_PKEY_CTX_free(pctx);
	OPENSSL_free(der);
	return ok;
}

bool
diag_verify(EVP_PKEY *k, enum diag_sigkind kind, const uint8_t *msg,
    size_t mlen, const uint8_t *sig, size_t slen)
{
	if (k == NULL)
		return false;
	switch (kind) {
	case DIAG_SIG_RSA_PKCS:
		return EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA &&
		    verify_digest_sign(k, EVP_sha256(), false, msg, mlen, sig,
		    slen);
	case DIAG_SIG_RSA_PSS:
		return EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA &&
		    verify_digest_sign(k, EVP_sha256(), true, msg, mlen, sig,
		    slen);
	case DIAG_SIG_ECDSA:
		return EVP_PKEY_get_base_id(k) == EVP_PKEY_EC &&
		    verify_ecdsa(k, msg, mlen, sig, slen);
	case DIAG_SIG_EDDSA:
		return EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519 &&
		    verify_digest_sign(k, NULL, false, msg, mlen, sig, slen);
	default:
		return false;
	}
}
