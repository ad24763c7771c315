/*
 * tools/sign_cms.h - detached CMS SignedData (RFC 5652) around a signature
 * made elsewhere.
 *
 * OpenSSL's CMS code builds and encodes the structure; the private key
 * never enters OpenSSL.  The signer is added with the certificate's public
 * key in place of a private key and CMS_PARTIAL (so OpenSSL signs
 * nothing), the signed attributes are added here (content type, signing
 * time, message digest; ESS signing-certificate-v2 through CMS_CADES), the
 * DER of their SET OF - the bytes RFC 5652 5.4 says are signed - is handed
 * to a signing callback (a PKCS#11 token, or a software key in tests), and
 * its result goes into the SignerInfo.
 */
#ifndef SIGN_CMS_H
#define SIGN_CMS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tools/sign_err.h"

#define SC_SIG_MAX	1024	/* largest raw signature (RSA-8192) */

enum sc_scheme {
	SC_RSA_PKCS1,		/* RSASSA-PKCS1-v1_5 */
	SC_RSA_PSS,		/* RSASSA-PSS, MGF1 with the same hash, salt = hash length */
	SC_ECDSA
};

/*
 * The private-key operation: hash tbs with the request's digest and sign
 * it with its scheme.  Output: RSA, the signature (modulus length); ECDSA,
 * r||s (PKCS#11's format).  *siglen holds the capacity on entry.
 */
typedef int	(*sc_sign_fn)(void *, const uint8_t *, size_t, uint8_t *,
		    size_t *, struct se_err *);

struct sc_req {
	X509		*cert;		/* the signer's certificate */
	STACK_OF(X509)	*chain;		/* more certificates to include, or NULL */
	const EVP_MD	*md;		/* SHA-256, SHA-384 or SHA-512 */
	enum sc_scheme	 scheme;
	time_t		 when;		/* the signing-time attribute */
	sc_sign_fn	 sign;
	void		*arg;
};

/* Sign what content holds; *der (free with OPENSSL_free) is the .p7s. */
int	sc_sign_bio(const struct sc_req *, BIO *, uint8_t **, size_t *,
	    struct se_err *);
/* Hash everything content holds (read to its end). */
int	sc_digest_bio(const EVP_MD *, BIO *, uint8_t *, unsigned *);
/* PKCS#11 ECDSA r||s to a DER ECDSA-Sig-Value in out[cap]. */
int	sc_ecdsa_der(const uint8_t *, size_t, uint8_t *, size_t, size_t *);
/* The DER of a SignerInfo's signed attributes as a sorted SET OF (the
 * bytes that are signed); *der from malloc. */
int	sc_signed_attrs_der(CMS_SignerInfo *, uint8_t **, size_t *);

#endif
