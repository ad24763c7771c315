/*
 * pkcs11/mech_priv.h - what mech.c, mech_pad.c and mech_verify.c share.
 */
#ifndef P11_MECH_PRIV_H
#define P11_MECH_PRIV_H

#include "mech.h"

#define MECH_HASH_MAX	64	/* SHA-512 */
#define MECH_RSA_MAX	512	/* RSA-4096 block */
#define MECH_LABEL_MAX	1024	/* OAEP label */
#define MECH_EDDSA_MAX	1024	/* Ed25519 message (the front end's block) */

enum mech_kind {
	MK_DIGEST,
	MK_RSA_PKCS,		/* PKCS#1 v1.5 type 1 */
	MK_RSA_X509,		/* raw, zero-padded on the left */
	MK_RSA_PSS,		/* EMSA-PSS */
	MK_ECDSA,
	MK_EDDSA,		/* Ed25519: the message as it is */
	MK_RSA_OAEP,		/* decryption only (mech_unpad.c) */
	MK_ECDH			/* key agreement only (mech_ecdh.c) */
};

struct mech_def {
	CK_MECHANISM_TYPE	type;
	enum mech_kind		kind;
	CK_MECHANISM_TYPE	hash;	/* CKM_SHA_1 ...; 0: not hashed */
};

/* The key as the formatting code needs it. */
struct mech_key {
	enum drv_key_type	 type;
	unsigned		 bits;	/* modulus / field bits */
	EVP_PKEY		*pub;	/* may be NULL (no range check) */
};

struct mech_pss {
	const EVP_MD	*md;		/* hashAlg */
	const EVP_MD	*mgf_md;	/* MGF1's hash */
	size_t		 slen;
};

/* mech.c */
const struct mech_def *mech_find(CK_MECHANISM_TYPE);
const EVP_MD	*mech_hash_md(CK_MECHANISM_TYPE hash);
/* Mechanism (not a digest), key type and parameters; fills pss. */
int	mech_prep_check(const CK_MECHANISM *, const struct mech_key *,
	    const struct mech_def **, struct mech_pss *);
size_t	mech_key_bytes(const struct mech_key *);

/* mech_pad.c: in is the digest (hashing mechanisms) or the data. */
int	mech_format(const struct mech_def *, const struct mech_key *,
	    const struct mech_pss *, const uint8_t *in, size_t in_len,
	    uint8_t *block, size_t *block_len);
int	mech_digest(const EVP_MD *, const uint8_t *, size_t, uint8_t *,
	    size_t *);
int	mech_pss_encode(const struct mech_pss *, unsigned mod_bits,
	    const uint8_t *mhash, size_t hlen, uint8_t *block);
/* out ^= MGF1(seed, outlen) */
int	mech_mgf1_xor(const EVP_MD *, const uint8_t *seed, size_t seedlen,
	    uint8_t *out, size_t outlen);

/* mech_unpad.c: CK_RSA_PKCS_OAEP_PARAMS against the key size. */
int	mech_oaep_params(const CK_MECHANISM *, const struct mech_key *,
	    struct mech_dec *);
/* mech_ecdh.c: CK_ECDH1_DERIVE_PARAMS, shape only (no key needed). */
int	mech_ecdh_params_ok(const CK_MECHANISM *);
/* mech.c: CK_EDDSA_PARAMS (PKCS#11 3.0), pure Ed25519 only. */
int	mech_eddsa_params(const CK_MECHANISM *);

#endif
