/*
 * pkcs11/mech.h - mechanisms: which ones the module offers, their
 * parameters, hashing and padding on the host (the card only does the
 * raw private-key operation), and software verification.
 *
 * Everything here returns CKR_* directly and does no I/O.  Files:
 * mech.c (table, checks, info), mech_pad.c (hashing and RSA/ECDSA block
 * formatting: PKCS#1 v1.5, EMSA-PSS with MGF1, X.509 raw), mech_verify.c
 * (OpenSSL verification), mech_unpad.c (RSA decryption: constant-time
 * PKCS#1 v1.5 and OAEP decoding), mech_ecdh.c (ECDH parameters, KDFs).
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
/*
 * Decryption (mech_unpad.c): CKM_RSA_PKCS, CKM_RSA_PKCS_OAEP, CKM_RSA_X_509
 * with a key whose usage has DRV_USE_DECRYPT.  The card returns the raw
 * block; the padding is removed here, in constant time.
 */
struct mech_dec {
	CK_MECHANISM_TYPE	 type;
	size_t			 k;		/* modulus bytes */
	const EVP_MD		*md;		/* OAEP hashAlg */
	const EVP_MD		*mgf_md;	/* OAEP MGF1 hash */
	const uint8_t		*label;		/* OAEP label: m's memory */
	size_t			 label_len;
};
/* CKR_OK, CKR_MECHANISM_INVALID, CKR_MECHANISM_PARAM_INVALID,
 * CKR_KEY_TYPE_INCONSISTENT, CKR_KEY_FUNCTION_NOT_PERMITTED,
 * CKR_KEY_SIZE_RANGE. */
int	mech_dec_setup(const CK_MECHANISM *m, const struct drv_key *k,
	    struct mech_dec *dec);
/* The largest plaintext (the answer to a length query). */
size_t	mech_dec_max(const struct mech_dec *dec);
/* em: the raw block, dec->k bytes; out: room for dec->k bytes.
 * CKR_OK (*out_len set) or CKR_ENCRYPTED_DATA_INVALID for any padding
 * error (out wiped), CKR_HOST_MEMORY. */
int	mech_dec_unpad(const struct mech_dec *dec, const uint8_t *em,
	    size_t k, uint8_t *out, size_t *out_len);

/*
 * Key agreement (mech_ecdh.c): CKM_ECDH1_DERIVE and
 * CKM_ECDH1_COFACTOR_DERIVE on P-256 / P-384 (cofactor 1) and X25519 keys.
 * pPublicData: the raw public value (04 || X || Y, or the 32-byte u) or
 * the same inside a DER OCTET STRING; EC points are checked to be on the
 * key's curve.  kdf: CKD_NULL or CKD_SHA1/224/256/384/512_KDF (ANSI
 * X9.63 with pSharedData).
 */
#define MECH_ECDH_PEER_MAX	(1 + 2 * 48)
#define MECH_ECDH_SHARED_MAX	1024

struct mech_ecdh {
	uint8_t		 peer[MECH_ECDH_PEER_MAX];	/* for the driver */
	size_t		 peer_len;
	size_t		 z_len;		/* shared secret bytes */
	const EVP_MD	*kdf_md;	/* NULL: CKD_NULL */
	const uint8_t	*shared;	/* m's memory */
	size_t		 shared_len;
};
/* CKR_OK, CKR_MECHANISM_INVALID, CKR_MECHANISM_PARAM_INVALID,
 * CKR_KEY_TYPE_INCONSISTENT, CKR_KEY_FUNCTION_NOT_PERMITTED,
 * CKR_HOST_MEMORY. */
int	mech_ecdh_setup(const CK_MECHANISM *m, const struct drv_key *k,
	    struct mech_ecdh *e);
/* The key value of len bytes from the shared secret z (z_len bytes):
 * CKD_NULL its first len bytes (len <= z_len), else the X9.63 KDF. */
int	mech_ecdh_kdf(const struct mech_ecdh *e, const uint8_t *z,
	    uint8_t *out, size_t len);

/* Every mechanism offered, for C_GetMechanismList. */
const CK_MECHANISM_TYPE *mech_list(size_t *n);
/* CKR_OK or CKR_MECHANISM_INVALID. */
int	mech_info(CK_MECHANISM_TYPE, CK_MECHANISM_INFO *);

#endif
