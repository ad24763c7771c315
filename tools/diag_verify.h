/*
 * tools/diag_verify.h - signature checks for the self-test (OpenSSL).
 */
#ifndef SS_DIAG_VERIFY_H
#define SS_DIAG_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define DIAG_PSS_SALT	32	/* = SHA-256 length, as browsers use */

enum diag_sigkind {
	DIAG_SIG_RSA_PKCS = 1,	/* CKM_SHA256_RSA_PKCS */
	DIAG_SIG_RSA_PSS,	/* CKM_SHA256_RSA_PKCS_PSS, MGF1-SHA256, 32 */
	DIAG_SIG_ECDSA,		/* CKM_ECDSA over SHA-256(msg) */
	DIAG_SIG_EDDSA		/* CKM_EDDSA (Ed25519) */
};

/* The public key of a DER certificate; NULL if it does not parse. */
EVP_PKEY *diag_cert_pubkey(const uint8_t *der, size_t len);
bool	diag_verify(EVP_PKEY *, enum diag_sigkind, const uint8_t *msg,
	    size_t mlen, const uint8_t *sig, size_t slen);

#endif
