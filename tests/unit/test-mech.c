/*
 * tests/unit/test-mech.c - the mechanism helpers (pkcs11/mech*.c): every
 * block mech_sign_prepare() builds, raised to d by a software key (the
 * card's raw operation), must verify with OpenSSL's standard
 * verification; PSS for every hash / MGF1 pair and salt lengths 0, hLen
 * and the maximum; the parameter, length and key-type errors;
 * mech_verify() accepts good and refuses bad signatures.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "pkcs11/mech.h"
#include "pkcs11/piv_priv.h"

struct keys {
	EVP_PKEY	*rsa2048;
	EVP_PKEY	*rsa1025;	/* modBits = 8k + 1: PSS leading 00 */
	EVP_PKEY	*p256;
	EVP_PKEY	*p384;
};

static const uint8_t msg[] = "smartsign test message: the quick brown fox";

static const CK_MECHANISM_TYPE hashes[] = {
	CKM_SHA_1, CKM_SHA224, CKM_SHA256, CKM_SHA384, CKM_SHA512,
};
static const CK_RSA_PKCS_MGF_TYPE mgfs[] = {
	CKG_MGF1_SHA1, CKG_MGF1_SHA224, CKG_MGF1_SHA256, CKG_MGF1_SHA384,
	CKG_MGF1_SHA512,
};
static const CK_MECHANISM_TYPE rsa_pkcs_mechs[] = {
	CKM_SHA1_RSA_PKCS, CKM_SHA224_RSA_PKCS, CKM_SHA256_RSA_PKCS,
	CKM_SHA384_RSA_PKCS, CKM_SHA512_RSA_PKCS,
};
static const CK_MECHANISM_TYPE rsa_pss_mechs[] = {
	CKM_SHA1_RSA_PKCS_PSS, CKM_SHA224_RSA_PKCS_PSS,
	CKM_SHA256_RSA_PKCS_PSS, CKM_SHA384_RSA_PKCS_PSS,
	CKM_SHA512_RSA_PKCS_PSS,
};
static const CK_MECHANISM_TYPE ecdsa_mechs[] = {
	CKM_ECDSA_SHA1, CKM_ECDSA_SHA224, CKM_ECDSA_SHA256, CKM_ECDSA_SHA384,
	CKM_ECDSA_SHA512,
};

#define NHASH	(sizeof(hashes) / sizeof(hashes[0]))

/* ---- helpers ---- */

static EVP_PKEY *
gen_rsa(unsigned bits)
{
	EVP_PKEY_CTX	*ctx;
	EVP_PKEY	*pk = NULL;

	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits), 1);
	assert_int_equal(EVP_PKEY_generate(ctx, &pk), 1);
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

static EVP_PKEY *
gen_ec(const char *curve)
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);

	assert_non_null(pk);
	return pk;
}

static int
group_setup(void **state)
{
	struct keys *k = calloc(1, sizeof(*k));

	if (k == NULL)
		return -1;
	k->rsa2048 = gen_rsa(2048);
	k->rsa1025 = gen_rsa(1025);
	k->p256 = gen_ec("P-256");
	k->p384 = gen_ec("P-384");
	*state = k;
	return 0;
}

static int
group_teardown(void **state)
{
	struct keys *k = *state;

	EVP_PKEY_free(k->rsa2048);
	EVP_PKEY_free(k->rsa1025);
	EVP_PKEY_free(k->p256);
	EVP_PKEY_free(k->p384);
	free(k);
	return 0;
}

/* A drv_key view of a software key (pub borrowed, never cleared). */
static void
as_drv_key(EVP_PKEY *pk, struct drv_key *k)
{
	memset(k, 0, sizeof(*k));
	k->pub = pk;
	k->type = EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA ? DRV_KEY_RSA :
	    DRV_KEY_EC;
	k->bits = (unsigned)EVP_PKEY_get_bits(pk);
	k->usage = DRV_USE_SIGN;
}

static const EVP_MD *
md_of(CK_MECHANISM_TYPE h)
{
	const EVP_MD *md = mech_md(h);

	assert_non_null(md);
	return md;
}

static size_t
hash_msg(CK_MECHANISM_TYPE h, uint8_t *out)
{
	unsigned n = 0;

	assert_int_equal(EVP_Digest(msg, sizeof(msg), out, &n, md_of(h),
	    NULL), 1);
	return n;
}

/* What the card does for RSA: block^d mod n, no padding. */
static size_t
rsa_raw(EVP_PKEY *pk, const uint8_t *block, size_t len, uint8_t *sig)
{
	EVP_PKEY_CTX	*ctx = EVP_PKEY_CTX_new(pk, NULL);
	size_t		 n = 512;

	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_decrypt_init(ctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING),
	    1);
	assert_int_equal(EVP_PKEY_decrypt(ctx, sig, &n, block, len), 1);
	EVP_PKEY_CTX_free(ctx);
	return n;
}

/* What the card does for ECDSA: sign the hash, then r || s. */
static size_t
ec_raw(EVP_PKEY *pk, const uint8_t *hash, size_t len, uint8_t *sig)
{
	EVP_PKEY_CTX	*ctx = EVP_PKEY_CTX_new(pk, NULL);
	uint8_t		 der[256];
	size_t		 n = sizeof(der);
	size_t		 fb = ((size_t)EVP_PKEY_get_bits(pk) + 7) / 8;

	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
	assert_int_equal(EVP_PKEY_sign(ctx, der, &n, hash, len), 1);
	EVP_PKEY_CTX_free(ctx);
	assert_int_equal(piv_ecdsa_der_to_raw(der, n, fb, sig), 0);
	return 2 * fb;
}

static int
prepare(CK_MECHANISM_TYPE type, void *param, CK_ULONG plen, EVP_PKEY *pk,
    const uint8_t *data, size_t len, uint8_t *block, size_t *block_len)
{
	CK_MECHANISM	m = { type, param, plen };
	struct drv_key	k;

	as_drv_key(pk, &k);
	*block_len = 512;
	return mech_sign_prepare(&m, &k, data, len, block, block_len);
}

/* OpenSSL's standard verification of a signature over a digest. */
static int
ossl_verify(EVP_PKEY *pk, int pad, const EVP_MD *md, const EVP_MD *mgf,
    int slen, const uint8_t *sig, size_t siglen, const uint8_t *hash,
    size_t hlen)
{
	EVP_PKEY_CTX	*ctx = EVP_PKEY_CTX_new(pk, NULL);
	int		 rc;

	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
	if (pad != 0) {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, pad), 1);
		assert_int_equal(EVP_PKEY_CTX_set_signature_md(ctx, md), 1);
	}
	if (pad == RSA_PKCS1_PSS_PADDING) {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, mgf), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, slen),
		    1);
	}
	rc = EVP_PKEY_verify(ctx, sig, siglen, hash, hlen);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* ---- PKCS#1 v1.5 ---- */

static void
test_pkcs1_each_hash(void **state)
{
	struct keys	*ks = *state;
	uint8_t		 block[512], sig[512], hash[64];
	size_t		 bl, sl, hl, i;
	CK_MECHANISM	 m;

	for (i = 0; i < NHASH; i++) {
		assert_int_equal(prepare(rsa_pkcs_mechs[i], NULL, 0,
		    ks->rsa2048, msg, sizeof(msg), block, &bl), CKR_OK);
		assert_int_equal(bl, 256);
		assert_int_equal(block[0], 0x00);
		assert_int_equal(block[1], 0x01);
		sl = rsa_raw(ks->rsa2048, block, bl, sig);
		hl = hash_msg(hashes[i], hash);
		assert_int_equal(ossl_verify(ks->rsa2048, RSA_PKCS1_PADDING,
		    md_of(hashes[i]), NULL, 0, sig, sl, hash, hl), 1);
		m = (CK_MECHANISM){ rsa_pkcs_mechs[i], NULL, 0 };
		assert_int_equal(mech_verify(&m, ks->rsa2048, msg,
		    sizeof(msg), sig, sl), CKR_OK);
		/* multi-part: the digest padded the same way */
		bl = sizeof(block);
		assert_int_equal(mech_sign_prepare_digest(&m, &(struct drv_key){
		    .type = DRV_KEY_RSA, .bits = 2048, .pub = ks->rsa2048 },
		    hash, hl, block, &bl), CKR_OK);
		sl = rsa_raw(ks->rsa2048, block, bl, sig);
		assert_int_equal(mech_verify_digest(&m, ks->rsa2048, hash, hl,
		    sig, sl), CKR_OK);
	}
}

/* CKM_RSA_PKCS: the caller's DigestInfo, only padded. */
static void
test_pkcs1_raw_digestinfo(void **state)
{
	static const uint8_t di256[] = {
		0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
		0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
	};
	struct keys	*ks = *state;
	uint8_t		 data[256], block[512], sig[512], hash[64];
	size_t		 bl, sl, hl;
	CK_MECHANISM	 m = { CKM_RSA_PKCS, NULL, 0 };

	hl = hash_msg(CKM_SHA256, hash);
	memcpy(data, di256, sizeof(di256));
	memcpy(data + sizeof(di256), hash, hl);
	assert_int_equal(prepare(CKM_RSA_PKCS, NULL, 0, ks->rsa2048, data,
	    sizeof(di256) + hl, block, &bl), CKR_OK);
	sl = rsa_raw(ks->rsa2048, block, bl, sig);
	assert_int_equal(ossl_verify(ks->rsa2048, RSA_PKCS1_PADDING,
	    EVP_sha256(), NULL, 0, sig, sl, hash, hl), 1);
	assert_int_equal(mech_verify(&m, ks->rsa2048, data,
	    sizeof(di256) + hl, sig, sl), CKR_OK);
	/* k - 11 fits, k - 10 does not */
	memset(data, 0x5a, sizeof(data));
	assert_int_equal(prepare(CKM_RSA_PKCS, NULL, 0, ks->rsa1025, data,
	    129 - 11, block, &bl), CKR_OK);
	assert_int_equal(bl, 129);
	assert_int_equal(prepare(CKM_RSA_PKCS, NULL, 0, ks->rsa1025, data,
	    129 - 10, block, &bl), CKR_DATA_LEN_RANGE);
	/* empty data (NULL, 0) is a valid raw PKCS#1 input: 00 01 FF.. 00 */
	assert_int_equal(prepare(CKM_RSA_PKCS, NULL, 0, ks->rsa2048, NULL, 0,
	    block, &bl), CKR_OK);
	assert_int_equal(bl, 256);
	assert_int_equal(block[1], 0x01);
	assert_int_equal(block[254], 0xff);
	assert_int_equal(block[255], 0x00);
	/* multi-part is for hashing mechanisms only */
	bl = sizeof(block);
	assert_int_equal(mech_sign_prepare_digest(&m, &(struct drv_key){
	    .type = DRV_KEY_RSA, .bits = 2048 }, hash, hl, block, &bl),
	    CKR_MECHANISM_INVALID);
}

/* ---- PSS ---- */

static size_t
pss_max_salt(unsigned bits, size_t hlen)
{
	return (bits + 6) / 8 - hlen - 2;
}

static void
pss_one(EVP_PKEY *pk, size_t hi, size_t mi, size_t slen, bool hashing)
{
	CK_RSA_PKCS_PSS_PARAMS	p = { hashes[hi], mgfs[mi], slen };
	CK_MECHANISM		m;
	uint8_t			block[512], sig[512], hash[64];
	size_t			bl, sl, hl;
	unsigned		bits = (unsigned)EVP_PKEY_get_bits(pk);

	hl = hash_msg(hashes[hi], hash);
	m = (CK_MECHANISM){ hashing ? rsa_pss_mechs[hi] : CKM_RSA_PKCS_PSS,
	    &p, sizeof(p) };
	if (hashing)
		assert_int_equal(prepare(m.mechanism, &p, sizeof(p), pk, msg,
		    sizeof(msg), block, &bl), CKR_OK);
	else
		assert_int_equal(prepare(m.mechanism, &p, sizeof(p), pk, hash,
		    hl, block, &bl), CKR_OK);
	assert_int_equal(bl, (bits + 7) / 8);
	assert_int_equal(block[bl - 1], 0xbc);
	sl = rsa_raw(pk, block, bl, sig);
	assert_int_equal(ossl_verify(pk, RSA_PKCS1_PSS_PADDING,
	    md_of(hashes[hi]), md_of(hashes[mi]), (int)slen, sig, sl, hash,
	    hl), 1);
	if (hashing)
		assert_int_equal(mech_verify(&m, pk, msg, sizeof(msg), sig,
		    sl), CKR_OK);
	else
		assert_int_equal(mech_verify(&m, pk, hash, hl, sig, sl),
		    CKR_OK);
	sig[sl / 2] ^= 0x01;
	if (hashing)
		assert_int_equal(mech_verify(&m, pk, msg, sizeof(msg), sig,
		    sl), CKR_SIGNATURE_INVALID);
	else
		assert_int_equal(mech_verify(&m, pk, hash, hl, sig, sl),
		    CKR_SIGNATURE_INVALID);
}

static void
test_pss_all_pairs(void **state)
{
	struct keys	*ks = *state;
	size_t		 hi, mi, hl;

	for (hi = 0; hi < NHASH; hi++) {
		hl = (size_t)EVP_MD_get_size(md_of(hashes[hi]));
		for (mi = 0; mi < NHASH; mi++) {
			pss_one(ks->rsa2048, hi, mi, 0, true);
			pss_one(ks->rsa2048, hi, mi, hl, true);
			pss_one(ks->rsa2048, hi, mi,
			    pss_max_salt(2048, hl), false);
			pss_one(ks->rsa2048, hi, mi, hl, false);
		}
	}
}

/* modBits = 1025: emLen = 128, the block starts with a 00 byte. */
static void
test_pss_odd_modulus(void **state)
{
	struct keys	*ks = *state;
	size_t		 hi;

	for (hi = 0; hi < NHASH; hi++) {
		pss_one(ks->rsa1025, hi, 2, 0, true);
		pss_one(ks->rsa1025, hi, hi, pss_max_salt(1025,
		    (size_t)EVP_MD_get_size(md_of(hashes[hi]))), true);
	}
}

static void
test_pss_param_errors(void **state)
{
	struct keys		*ks = *state;
	CK_RSA_PKCS_PSS_PARAMS	 p = { CKM_SHA256, CKG_MGF1_SHA256, 32 };
	uint8_t			 block[512], hash[32] = { 0 };
	size_t			 bl;

	/* no parameters, wrong size */
	assert_int_equal(prepare(CKM_RSA_PKCS_PSS, NULL, 0, ks->rsa2048,
	    hash, 32, block, &bl), CKR_MECHANISM_PARAM_INVALID);
	assert_int_equal(prepare(CKM_RSA_PKCS_PSS, &p, sizeof(p) - 1,
	    ks->rsa2048, hash, 32, block, &bl), CKR_MECHANISM_PARAM_INVALID);
	/* unknown hash, unknown MGF */
	p.hashAlg = CKM_MD5;
	assert_int_equal(prepare(CKM_RSA_PKCS_PSS, &p, sizeof(p),
	    ks->rsa2048, hash, 32, block, &bl), CKR_MECHANISM_PARAM_INVALID);
	p.hashAlg = CKM_SHA256;
	p.mgf = 0x77;
	assert_int_equal(prepare(CKM_RSA_PKCS_PSS, &p, sizeof(p),
	    ks->rsa2048, hash, 32, block, &bl), CKR_MECHANISM_PARAM_INVALID);
	p.mgf = CKG_MGF1_SHA256;
	/* salt one past the maximum */
	p.sLen = pss_max_salt(2048, 32) + 1;
	assert_int_equal(prepare(CKM_RSA_PKCS_PSS, &p, sizeof(p),
	    ks->rsa2048, hash, 32, block, &bl), CKR_MECHANISM_PARAM_INVALID);
	p.sLen = (CK_ULONG)-1;
	assert_int_equal(prepare(CKM_RSA_PKCS_PSS, &p, sizeof(p),
	    ks->rsa2048, hash, 32, block, &bl), CKR_MECHANISM_PARAM_INVALID);
	p.sLen = 32;
	/* hashing mechanism with another hashAlg */
	assert_int_equal(prepare(CKM_SHA384_RSA_PKCS_PSS, &p, sizeof(p),
	    ks->rsa2048, msg, sizeof(msg), block, &bl),
	    CKR_MECHANISM_PARAM_INVALID);
	/* CKM_RSA_PKCS_PSS: data must be hashAlg's size */
	assert_int_equal(prepare(CKM_RSA_PKCS_PSS, &p, sizeof(p),
	    ks->rsa2048, hash, 31, block, &bl), CKR_DATA_LEN_RANGE);
	assert_int_equal(prepare(CKM_RSA_PKCS_PSS, &p, sizeof(p),
	    ks->rsa2048, msg, sizeof(msg), block, &bl), CKR_DATA_LEN_RANGE);
	/* parameters on a mechanism that takes none */
	assert_int_equal(prepare(CKM_SHA256_RSA_PKCS, &p, sizeof(p),
	    ks->rsa2048, msg, sizeof(msg), block, &bl),
	    CKR_MECHANISM_PARAM_INVALID);
}

/* ---- X.509 raw ---- */

static void
test_x509_raw(void **state)
{
	struct keys	*ks = *state;
	uint8_t		 data[300], block[512], sig[512], back[512];
	size_t		 bl, sl, n = 512;
	CK_MECHANISM	 m = { CKM_RSA_X_509, NULL, 0 };
	EVP_PKEY_CTX	*ctx;

	memset(data, 0x42, sizeof(data));
	assert_int_equal(prepare(CKM_RSA_X_509, NULL, 0, ks->rsa2048, data,
	    20, block, &bl), CKR_OK);
	assert_int_equal(bl, 256);
	assert_memory_equal(block + 236, data, 20);
	sl = rsa_raw(ks->rsa2048, block, bl, sig);
	ctx = EVP_PKEY_CTX_new(ks->rsa2048, NULL);
	assert_int_equal(EVP_PKEY_verify_recover_init(ctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING),
	    1);
	assert_int_equal(EVP_PKEY_verify_recover(ctx, back, &n, sig, sl), 1);
	EVP_PKEY_CTX_free(ctx);
	assert_int_equal(n, 256);
	assert_memory_equal(back, block, 256);
	assert_int_equal(mech_verify(&m, ks->rsa2048, data, 20, sig, sl),
	    CKR_OK);
	/* k bytes of FF are above n; k + 1 bytes never fit */
	memset(data, 0xff, sizeof(data));
	assert_int_equal(prepare(CKM_RSA_X_509, NULL, 0, ks->rsa2048, data,
	    256, block, &bl), CKR_DATA_LEN_RANGE);
	assert_int_equal(prepare(CKM_RSA_X_509, NULL, 0, ks->rsa2048, data,
	    257, block, &bl), CKR_DATA_LEN_RANGE);
}

/* ---- ECDSA ---- */

static void
ecdsa_each(EVP_PKEY *pk)
{
	uint8_t		block[512], sig[256], hash[64];
	size_t		bl, sl, hl, i;
	CK_MECHANISM	m;

	for (i = 0; i < NHASH; i++) {
		hl = hash_msg(hashes[i], hash);
		assert_int_equal(prepare(ecdsa_mechs[i], NULL, 0, pk, msg,
		    sizeof(msg), block, &bl), CKR_OK);
		assert_int_equal(bl, hl);
		assert_memory_equal(block, hash, hl);
		sl = ec_raw(pk, block, bl, sig);
		m = (CK_MECHANISM){ ecdsa_mechs[i], NULL, 0 };
		assert_int_equal(sl, mech_sig_len(&m, &(struct drv_key){
		    .type = DRV_KEY_EC,
		    .bits = (unsigned)EVP_PKEY_get_bits(pk) }));
		assert_int_equal(mech_verify(&m, pk, msg, sizeof(msg), sig,
		    sl), CKR_OK);
		sig[0] ^= 0x80;
		assert_int_equal(mech_verify(&m, pk, msg, sizeof(msg), sig,
		    sl), CKR_SIGNATURE_INVALID);
		assert_int_equal(mech_verify(&m, pk, msg, sizeof(msg), sig,
		    sl - 1), CKR_SIGNATURE_LEN_RANGE);
	}
	/* CKM_ECDSA: the hash as given */
	m = (CK_MECHANISM){ CKM_ECDSA, NULL, 0 };
	hl = hash_msg(CKM_SHA384, hash);
	assert_int_equal(prepare(CKM_ECDSA, NULL, 0, pk, hash, hl, block,
	    &bl), CKR_OK);
	assert_int_equal(bl, hl);
	sl = ec_raw(pk, block, bl, sig);
	assert_int_equal(mech_verify(&m, pk, hash, hl, sig, sl), CKR_OK);
	assert_int_equal(prepare(CKM_ECDSA, NULL, 0, pk, hash, 0, block,
	    &bl), CKR_DATA_LEN_RANGE);
	assert_int_equal(prepare(CKM_ECDSA, NULL, 0, pk, block, 65, block,
	    &bl), CKR_DATA_LEN_RANGE);
}

static void
test_ecdsa(void **state)
{
	struct keys *ks = *state;

	ecdsa_each(ks->p256);
	ecdsa_each(ks->p384);
}

/* r || s against OpenSSL's DigestVerify on the DER it came from. */
static void
test_ecdsa_openssl_digestverify(void **state)
{
	struct keys	*ks = *state;
	uint8_t		 der[256], raw[96], block[64];
	size_t		 dl = sizeof(der), bl;
	EVP_MD_CTX	*mctx = EVP_MD_CTX_new();
	CK_MECHANISM	 m = { CKM_ECDSA_SHA256, NULL, 0 };

	assert_int_equal(EVP_DigestSignInit(mctx, NULL, EVP_sha256(), NULL,
	    ks->p256), 1);
	assert_int_equal(EVP_DigestSign(mctx, der, &dl, msg, sizeof(msg)),
	    1);
	EVP_MD_CTX_free(mctx);
	assert_int_equal(piv_ecdsa_der_to_raw(der, dl, 32, raw), 0);
	assert_int_equal(mech_verify(&m, ks->p256, msg, sizeof(msg), raw, 64),
	    CKR_OK);
	/* and the other way: our block signed, OpenSSL DigestVerify */
	assert_int_equal(prepare(CKM_ECDSA_SHA256, NULL, 0, ks->p256, msg,
	    sizeof(msg), block, &bl), CKR_OK);
	{
		EVP_PKEY_CTX	*ctx = EVP_PKEY_CTX_new(ks->p256, NULL);

		dl = sizeof(der);
		assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
		assert_int_equal(EVP_PKEY_sign(ctx, der, &dl, block, bl), 1);
		EVP_PKEY_CTX_free(ctx);
	}
	mctx = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(mctx, NULL, EVP_sha256(), NULL,
	    ks->p256), 1);
	assert_int_equal(EVP_DigestVerify(mctx, der, dl, msg, sizeof(msg)),
	    1);
	EVP_MD_CTX_free(mctx);
}

/* ---- errors, checks, tables ---- */

static void
test_key_type_and_mechanism_errors(void **state)
{
	struct keys	*ks = *state;
	uint8_t		 block[512];
	size_t		 bl;

	assert_int_equal(prepare(CKM_SHA256_RSA_PKCS, NULL, 0, ks->p256, msg,
	    sizeof(msg), block, &bl), CKR_KEY_TYPE_INCONSISTENT);
	assert_int_equal(prepare(CKM_ECDSA_SHA256, NULL, 0, ks->rsa2048, msg,
	    sizeof(msg), block, &bl), CKR_KEY_TYPE_INCONSISTENT);
	assert_int_equal(prepare(CKM_MD5_RSA_PKCS, NULL, 0, ks->rsa2048, msg,
	    sizeof(msg), block, &bl), CKR_MECHANISM_INVALID);
	assert_int_equal(prepare(CKM_SHA256, NULL, 0, ks->rsa2048, msg,
	    sizeof(msg), block, &bl), CKR_MECHANISM_INVALID);
	/* buffer too small tells the size; NULL block asks for it */
	{
		CK_MECHANISM	m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
		struct drv_key	k;

		as_drv_key(ks->rsa2048, &k);
		bl = 100;
		assert_int_equal(mech_sign_prepare(&m, &k, msg, sizeof(msg),
		    block, &bl), CKR_BUFFER_TOO_SMALL);
		assert_int_equal(bl, 256);
		bl = 0;
		assert_int_equal(mech_sign_prepare(&m, &k, msg, sizeof(msg),
		    NULL, &bl), CKR_BUFFER_TOO_SMALL);
		assert_int_equal(bl, 256);
		/* digest of the wrong size */
		bl = sizeof(block);
		assert_int_equal(mech_sign_prepare_digest(&m, &k, block, 31,
		    block, &bl), CKR_DATA_LEN_RANGE);
	}
}

static void
test_mech_check(void **state)
{
	struct keys		*ks = *state;
	struct drv_key		 k;
	CK_RSA_PKCS_PSS_PARAMS	 p = { CKM_SHA256, CKG_MGF1_SHA256, 32 };
	CK_MECHANISM		 m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_MECHANISM		 pss = { CKM_SHA256_RSA_PKCS_PSS, &p,
	    sizeof(p) };

	as_drv_key(ks->rsa2048, &k);
	assert_int_equal(mech_check(&m, &k, DRV_USE_SIGN), CKR_OK);
	assert_int_equal(mech_check(&pss, &k, DRV_USE_SIGN), CKR_OK);
	assert_int_equal(mech_check(&m, &k, 0), CKR_OK);
	k.usage = DRV_USE_DECRYPT;
	assert_int_equal(mech_check(&m, &k, DRV_USE_SIGN),
	    CKR_KEY_FUNCTION_NOT_PERMITTED);
	assert_int_equal(mech_check(&m, &k, DRV_USE_DECRYPT),
	    CKR_MECHANISM_INVALID);
	m.mechanism = CKM_RSA_PKCS;
	assert_int_equal(mech_check(&m, &k, DRV_USE_DECRYPT), CKR_OK);
	m.mechanism = CKM_ECDSA;
	assert_int_equal(mech_check(&m, &k, DRV_USE_SIGN),
	    CKR_KEY_TYPE_INCONSISTENT);
	m.mechanism = CKM_SHA256;
	assert_int_equal(mech_check(&m, &k, DRV_USE_SIGN),
	    CKR_MECHANISM_INVALID);
	m.mechanism = CKM_RSA_PKCS;
	m.ulParameterLen = 8;
	assert_int_equal(mech_check(&m, &k, DRV_USE_DECRYPT),
	    CKR_MECHANISM_PARAM_INVALID);
	p.hashAlg = CKM_SHA_1;
	assert_int_equal(mech_check(&pss, &k, DRV_USE_SIGN),
	    CKR_MECHANISM_PARAM_INVALID);
	as_drv_key(ks->p256, &k);
	m = (CK_MECHANISM){ CKM_ECDSA_SHA384, NULL, 0 };
	assert_int_equal(mech_check(&m, &k, DRV_USE_SIGN), CKR_OK);
	assert_int_equal(mech_check(&m, &k, DRV_USE_DERIVE),
	    CKR_MECHANISM_INVALID);
	assert_int_equal(mech_sig_len(&m, &k), 64);
	m.mechanism = CKM_SHA256_RSA_PKCS;
	assert_int_equal(mech_sig_len(&m, &k), 0);
}

static void
test_verify_rsa_bad(void **state)
{
	struct keys	*ks = *state;
	uint8_t		 block[512], sig[512];
	size_t		 bl, sl;
	CK_MECHANISM	 m = { CKM_SHA256_RSA_PKCS, NULL, 0 };

	assert_int_equal(prepare(CKM_SHA256_RSA_PKCS, NULL, 0, ks->rsa2048,
	    msg, sizeof(msg), block, &bl), CKR_OK);
	sl = rsa_raw(ks->rsa2048, block, bl, sig);
	assert_int_equal(mech_verify(&m, ks->rsa2048, msg, sizeof(msg), sig,
	    sl), CKR_OK);
	assert_int_equal(mech_verify(&m, ks->rsa2048, msg, sizeof(msg) - 1,
	    sig, sl), CKR_SIGNATURE_INVALID);
	assert_int_equal(mech_verify(&m, ks->rsa2048, msg, sizeof(msg), sig,
	    sl - 1), CKR_SIGNATURE_LEN_RANGE);
	sig[100] ^= 0x10;
	assert_int_equal(mech_verify(&m, ks->rsa2048, msg, sizeof(msg), sig,
	    sl), CKR_SIGNATURE_INVALID);
	/* a signature at or above n */
	memset(sig, 0xff, sl);
	assert_int_equal(mech_verify(&m, ks->rsa2048, msg, sizeof(msg), sig,
	    sl), CKR_SIGNATURE_INVALID);
	/* another hash's signature */
	m.mechanism = CKM_SHA384_RSA_PKCS;
	sl = rsa_raw(ks->rsa2048, block, bl, sig);
	assert_int_equal(mech_verify(&m, ks->rsa2048, msg, sizeof(msg), sig,
	    sl), CKR_SIGNATURE_INVALID);
	/* wrong key type */
	assert_int_equal(mech_verify(&m, ks->p256, msg, sizeof(msg), sig,
	    sl), CKR_KEY_TYPE_INCONSISTENT);
	m.mechanism = CKM_MD5_RSA_PKCS;
	assert_int_equal(mech_verify(&m, ks->rsa2048, msg, sizeof(msg), sig,
	    sl), CKR_MECHANISM_INVALID);
}

static void
test_tables(void **state)
{
	const CK_MECHANISM_TYPE	*list;
	CK_MECHANISM_INFO	 info;
	size_t			 n, i;

	(void)state;
	list = mech_list(&n);
	assert_int_equal(n, 28);
	for (i = 0; i < n; i++)
		assert_int_equal(mech_info(list[i], &info), CKR_OK);
	assert_int_equal(mech_info(CKM_SHA256_RSA_PKCS, &info), CKR_OK);
	assert_int_equal(info.ulMinKeySize, 1024);
	assert_int_equal(info.ulMaxKeySize, 4096);
	assert_int_equal(info.flags, CKF_SIGN | CKF_VERIFY | CKF_HW);
	assert_int_equal(mech_info(CKM_ECDSA, &info), CKR_OK);
	assert_int_equal(info.ulMinKeySize, 256);
	assert_int_equal(info.ulMaxKeySize, 384);
	assert_true(info.flags & CKF_EC_NAMEDCURVE);
	assert_true(info.flags & CKF_EC_UNCOMPRESS);
	assert_true(info.flags & CKF_EC_F_P);
	assert_int_equal(mech_info(CKM_SHA384, &info), CKR_OK);
	assert_int_equal(info.flags, CKF_DIGEST);
	assert_int_equal(mech_info(CKM_MD5, &info), CKR_MECHANISM_INVALID);
	assert_true(mech_is_hashing(CKM_SHA1_RSA_PKCS_PSS));
	assert_true(mech_is_hashing(CKM_ECDSA_SHA512));
	assert_false(mech_is_hashing(CKM_RSA_PKCS_PSS));
	assert_false(mech_is_hashing(CKM_SHA256));
	assert_ptr_equal(mech_md(CKM_SHA384_RSA_PKCS), EVP_sha384());
	assert_ptr_equal(mech_md(CKM_SHA224), EVP_sha224());
	assert_null(mech_md(CKM_RSA_PKCS_PSS));
	assert_null(mech_md(CKM_ECDSA));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkcs1_each_hash),
		cmocka_unit_test(test_pkcs1_raw_digestinfo),
		cmocka_unit_test(test_pss_all_pairs),
		cmocka_unit_test(test_pss_odd_modulus),
		cmocka_unit_test(test_pss_param_errors),
		cmocka_unit_test(test_x509_raw),
		cmocka_unit_test(test_ecdsa),
		cmocka_unit_test(test_ecdsa_openssl_digestverify),
		cmocka_unit_test(test_key_type_and_mechanism_errors),
		cmocka_unit_test(test_mech_check),
		cmocka_unit_test(test_verify_rsa_bad),
		cmocka_unit_test(test_tables),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
