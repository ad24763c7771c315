/*
 * pkcs11/mech.h - mechanisms: which ones the module offers, their
 * parameters, hashing and padding on the host (the card only does the
 * raw private-key operation), and software verification.
 *
 * Everything here returns CKR_* directly and does no I/O.  Files:
 * mech.c (table, checks, info), mech_pad.c (hashing and RSA/ECDSA block
 * formatting: PKCS#1 v1.5, EMSA-PSS with MGF1, X.509 raw), mech_verify.c
 * (OpenSSL verification).
 */
#ifndef P11_MECH_H
#define P11_MECH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <p11-kit/pkcs11.h>

#include "driver.h"

/*
 * The block the card signs: for the hashing mechanisms (CKM_SHA*_RSA_PKCS,
 * CKM_SHA*_RSA_PKCS_PSS, CKM_ECDSA_SHA*) data is hashed first.  RSA: a
 * modulus-sized block (PKCS#1 v1.5 type 1, EMSA-PSS, or X.509 raw);
 * ECDSA: the hash as is.  *block_len: capacity in, length out (the
 * length needed with CKR_BUFFER_TOO_SMALL).
 * CKR_OK, CKR_MECHANISM_INVALID, CKR_MECHANISM_PARAM_INVALID,
 * CKR_DATA_LEN_RANGE, CKR_KEY_TYPE_INCONSISTENT, CKR_HOST_MEMORY,
 * CKR_BUFFER_TOO_SMALL.
 */
int	mech_sign_prepare(const CK_MECHANISM *m, const struct drv_key *k,
	    const uint8_t *data, size_t len, uint8_t *block,
	    size_t *block_len);
/* Multi-part: digest is mech_md()'s hash of the data; formatted as the
 * hashing mechanism would.  Non-hashing mechanisms: CKR_MECHANISM_INVALID;
 * a digest of the wrong size: CKR_DATA_LEN_RANGE. */
int	mech_sign_prepare_digest(const CK_MECHANISM *m,
	    const struct drv_key *k, const uint8_t *digest, size_t dlen,
	    uint8_t *block, size_t *block_len);
/* Mechanism known, parameters valid, key type fits, key usage permits
 * use (DRV_USE_*; 0 = do not check usage): CKR_OK,
 * CKR_MECHANISM_INVALID, CKR_MECHANISM_PARAM_INVALID,
 * CKR_KEY_TYPE_INCONSISTENT, CKR_KEY_FUNCTION_NOT_PERMITTED. */
int	mech_check(const CK_MECHANISM *m, const struct drv_key *k,
	    unsigned use);
/* RSA: modulus bytes; ECDSA: 2 * field bytes; 0 if they do not fit. */
size_t	mech_sig_len(const CK_MECHANISM *m, const struct drv_key *k);
bool	mech_is_hashing(CK_MECHANISM_TYPE);
/* The hash of a hashing mechanism, or of CKM_SHA_1 ... CKM_SHA512 (for
 * C_Digest); NULL otherwise (CKM_RSA_PKCS_PSS: see its parameters). */
const EVP_MD *mech_md(CK_MECHANISM_TYPE);
/* Verify in software.  ECDSA signatures are r || s.  CKR_OK,
 * CKR_SIGNATURE_INVALID, CKR_SIGNATURE_LEN_RANGE, CKR_MECHANISM_INVALID,
 * CKR_MECHANISM_PARAM_INVALID, CKR_DATA_LEN_RANGE,
 * CKR_KEY_TYPE_INCONSISTENT, CKR_HOST_MEMORY. */
int	mech_verify(const CK_MECHANISM *m, EVP_PKEY *pub,
	    const uint8_t *data, size_t len, const uint8_t *sig, size_t siglen);
int	mech_verify_digest(const CK_MECHANISM *m, EVP_PKEY *pub,
	    const uint8_t *digest, size_t dlen, const uint8_t *sig,
	    size_t siglen);
/* Every mechanism offered, for C_GetMechanismList. */
const CK_MECHANISM_TYPE *mech_list(size_t *n);
/* CKR_OK or CKR_MECHANISM_INVALID. */
int	mech_info(CK_MECHANISM_TYPE, CK_MECHANISM_INFO *);

#endif
