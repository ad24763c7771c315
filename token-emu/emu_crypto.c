/*
 * token-emu/emu_crypto.c - the emulated card's cryptography over OpenSSL 3
 * EVP (no deprecated RSA_/EC_KEY calls).  See emu_crypto.h.
 */
#include <limits.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "reader/tlv.h"
#include "reader/wipe.h"
#include "emu_crypto.h"

#define RSA_PUBLIC_EXPONENT	65537
#define TAG_PUBKEY_TEMPLATE	0x7f49
#define TAG_RSA_MODULUS		0x81
#define TAG_RSA_EXPONENT	0x82
#define TAG_EC_POINT		0x86
#define X25519_LEN		32
#define EC_POINT_MAX		(1 + 2 * EMU_EC_MAX_BYTES)

enum { CRT_P, CRT_Q, CRT_DP, CRT_DQ, CRT_QINV };

bool
emu_alg_is_rsa(uint8_t alg)
{
	return alg == PIV_ALG_RSA1024 || alg == PIV_ALG_RSA2048 ||
	    alg == PIV_ALG_RSA3072 || alg == PIV_ALG_RSA4096;
}

bool
emu_alg_is_ec(uint8_t alg)
{
	return alg == PIV_ALG_ECCP256 || alg == PIV_ALG_ECCP384;
}

bool
emu_alg_is_asym(uint8_t alg)
{
	return emu_alg_is_rsa(alg) || emu_alg_is_ec(alg) ||
	    alg == PIV_ALG_ED25519 || alg == PIV_ALG_X25519;
}

bool
emu_alg_is_sym(uint8_t alg)
{
	return emu_sym_block_len(alg) != 0;
}

size_t
emu_alg_size(uint8_t alg)
{
	switch (alg) {
	case PIV_ALG_RSA1024:
		return 128;
	case PIV_ALG_RSA2048:
		return 256;
	case PIV_ALG_RSA3072:
		return 384;
	case PIV_ALG_RSA4096:
		return 512;
	case PIV_ALG_ECCP256:
	case PIV_ALG_ED25519:
	case PIV_ALG_X25519:
		return 32;
	case PIV_ALG_ECCP384:
		return 48;
	default:
		return 0;
	}
}

size_t
emu_sym_block_len(uint8_t alg)
{
	switch (alg) {
	case PIV_ALG_3DES:
		return 8;
	case PIV_ALG_AES128:
	case PIV_ALG_AES192:
	case PIV_ALG_AES256:
		return 16;
	default:
		return 0;
	}
}

size_t
emu_sym_key_len(uint8_t alg)
{
	switch (alg) {
	case PIV_ALG_3DES:
	case PIV_ALG_AES192:
		return 24;
	case PIV_ALG_AES128:
		return 16;
	case PIV_ALG_AES256:
		return 32;
	default:
		return 0;
	}
}

static const EVP_CIPHER *
sym_cipher(uint8_t alg)
{
	switch (alg) {
	case PIV_ALG_3DES:
		return EVP_des_ede3_ecb();
	case PIV_ALG_AES128:
		return EVP_aes_128_ecb();
	case PIV_ALG_AES192:
		return EVP_aes_192_ecb();
	case PIV_ALG_AES256:
		return EVP_aes_256_ecb();
	default:
		return NULL;
	}
}

static const char *
ec_group_name(uint8_t alg)
{
	switch (alg) {
	case PIV_ALG_ECCP256:
		return "P-256";
	case PIV_ALG_ECCP384:
		return "P-384";
	default:
		return NULL;
	}
}

static uint8_t
rsa_alg(int bits)
{
	switch (bits) {
	case 1024:
		return PIV_ALG_RSA1024;
	case 2048:
		return PIV_ALG_RSA2048;
	case 3072:
		return PIV_ALG_RSA3072;
	case 4096:
		return PIV_ALG_RSA4096;
	default:
		return 0;
	}
}

static uint8_t
ec_alg(const EVP_PKEY *pkey)
{
	char	name[64];
	size_t	len = 0;
	int	nid;

	if (EVP_PKEY_get_group_name(pkey, name, sizeof(name), &len) != 1)
		return 0;
	if ((nid = OBJ_sn2nid(name)) == NID_undef)
		nid = EC_curve_nist2nid(name);
	if (nid == NID_X9_62_prime256v1)
		return PIV_ALG_ECCP256;
	if (nid == NID_secp384r1)
		return PIV_ALG_ECCP384;
	return 0;
}

uint8_t
emu_pkey_alg(const EVP_PKEY *pkey)
{
	if (pkey == NULL)
		return 0;
	if (EVP_PKEY_is_a(pkey, "RSA"))
		return rsa_alg(EVP_PKEY_get_bits(pkey));
	if (EVP_PKEY_is_a(pkey, "EC"))
		return ec_alg(pkey);
	if (EVP_PKEY_is_a(pkey, "ED25519"))
		return PIV_ALG_ED25519;
	if (EVP_PKEY_is_a(pkey, "X25519"))
		return PIV_ALG_X25519;
	return 0;
}

int
emu_rand(uint8_t *p, size_t n)
{
	if (n > INT_MAX || RAND_bytes(p, (int)n) != 1)
		return -1;
	return 0;
}

EVP_PKEY *
emu_crypto_keygen(uint8_t alg)
{
	if (emu_alg_is_rsa(alg))
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
		    (size_t)(emu_alg_size(alg) * 8));
	if (emu_alg_is_ec(alg))
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", ec_group_name(alg));
	if (alg == PIV_ALG_ED25519)
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (alg == PIV_ALG_X25519)
		return EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	return NULL;
}

static EVP_PKEY *
pkey_fromdata(const char *type, int selection, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM	*params = NULL;
	EVP_PKEY_CTX	*pctx = NULL;
	EVP_PKEY	*pkey = NULL;

	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (pctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(pctx) != 1 ||
	    EVP_PKEY_fromdata(pctx, &pkey, selection, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(pctx);
	OSSL_PARAM_free(params);	/* clears the secure (private) part */
	return pkey;
}

/* (a * b) mod m == 1 */
static int
bn_is_inverse(const BIGNUM *a, const BIGNUM *b, const BIGNUM *m, BN_CTX *bc)
{
	BIGNUM	*t;
	int	 ok = 0;

	BN_CTX_start(bc);
	if ((t = BN_CTX_get(bc)) != NULL) {
		ok = BN_mod_mul(t, a, b, m, bc) == 1 && BN_is_one(t);
		BN_clear(t);
	}
	BN_CTX_end(bc);
	return ok;
}

/*
 * Check that p, q, dp, dq, qinv make one RSA key with e = 65537 and
 * compute n and d.  Cheap checks only (no primality test).
 */
static int
rsa_crt_check(BIGNUM *const *bn, const BIGNUM *e, BIGNUM *n, BIGNUM *d,
    int bits, BN_CTX *bc)
{
	BIGNUM	*p1, *q1, *phi;
	int	 rc = -1;

	BN_CTX_start(bc);
	p1 = BN_CTX_get(bc);
	q1 = BN_CTX_get(bc);
	if ((phi = BN_CTX_get(bc)) == NULL)
		goto fail;
	if (!BN_is_odd(bn[CRT_P]) || !BN_is_odd(bn[CRT_Q]) ||
	    BN_is_one(bn[CRT_P]) || BN_is_one(bn[CRT_Q]) ||
	    BN_mul(n, bn[CRT_P], bn[CRT_Q], bc) != 1 ||
	    BN_num_bits(n) != bits ||
	    BN_sub(p1, bn[CRT_P], BN_value_one()) != 1 ||
	    BN_sub(q1, bn[CRT_Q], BN_value_one()) != 1 ||
	    BN_cmp(bn[CRT_DP], p1) >= 0 || BN_cmp(bn[CRT_DQ], q1) >= 0 ||
	    BN_cmp(bn[CRT_QINV], bn[CRT_P]) >= 0 ||
	    !bn_is_inverse(bn[CRT_DP], e, p1, bc) ||
	    !bn_is_inverse(bn[CRT_DQ], e, q1, bc) ||
	    !bn_is_inverse(bn[CRT_QINV], bn[CRT_Q], bn[CRT_P], bc) ||
	    BN_mul(phi, p1, q1, bc) != 1 ||
	    BN_mod_inverse(d, e, phi, bc) == NULL)
		goto fail;
	rc = 0;
fail:
	if (phi != NULL) {		/* then p1 and q1 are too */
		BN_clear(p1);
		BN_clear(q1);
		BN_clear(phi);
	}
	BN_CTX_end(bc);
	return rc;
}

static int
rsa_crt_params(OSSL_PARAM_BLD *bld, BIGNUM *const *bn, const BIGNUM *n,
    const BIGNUM *e, const BIGNUM *d)
{
	if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1,
	    bn[CRT_P]) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2,
	    bn[CRT_Q]) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1,
	    bn[CRT_DP]) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2,
	    bn[CRT_DQ]) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	    bn[CRT_QINV]) != 1)
		return -1;
	return 0;
}

EVP_PKEY *
emu_rsa_from_crt(uint8_t alg, const uint8_t *const *parts, size_t partlen)
{
	BIGNUM		*bn[EMU_RSA_CRT_PARTS] = { NULL };
	BIGNUM		*n = NULL, *e = NULL, *d = NULL;
	BN_CTX		*bc = NULL;
	OSSL_PARAM_BLD	*bld = NULL;
	EVP_PKEY	*pkey = NULL;
	size_t		 i;

	if (!emu_alg_is_rsa(alg) || partlen == 0 ||
	    partlen != emu_alg_size(alg) / 2)
		return NULL;
	for (i = 0; i < EMU_RSA_CRT_PARTS; i++)
		if ((bn[i] = BN_secure_new()) == NULL ||
		    BN_bin2bn(parts[i], (int)partlen, bn[i]) == NULL)
			goto fail;
	if ((bc = BN_CTX_secure_new()) == NULL || (n = BN_new()) == NULL ||
	    (e = BN_new()) == NULL || (d = BN_secure_new()) == NULL ||
	    BN_set_word(e, RSA_PUBLIC_EXPONENT) != 1 ||
	    rsa_crt_check(bn, e, n, d, (int)(emu_alg_size(alg) * 8), bc) < 0 ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    rsa_crt_params(bld, bn, n, e, d) < 0)
		goto fail;
	pkey = pkey_fromdata("RSA", EVP_PKEY_KEYPAIR, bld);
fail:
	for (i = 0; i < EMU_RSA_CRT_PARTS; i++)
		BN_clear_free(bn[i]);
	BN_free(n);
	BN_free(e);
	BN_clear_free(d);
	BN_CTX_free(bc);
	OSSL_PARAM_BLD_free(bld);
	if (pkey == NULL)
		ERR_clear_error();
	return pkey;
}

/* public point (uncompressed) of the scalar, which must be in [1, n-1] */
static int
ec_public_point(const char *group_name, const BIGNUM *priv, uint8_t *pt,
    size_t *ptlen)
{
	EC_GROUP	*group = NULL;
	EC_POINT	*point = NULL;
	BN_CTX		*bc = NULL;
	int		 rc = -1;

	if ((group = EC_GROUP_new_by_curve_name(
	    EC_curve_nist2nid(group_name))) == NULL ||
	    BN_is_zero(priv) || BN_is_negative(priv) ||
	    BN_cmp(priv, EC_GROUP_get0_order(group)) >= 0 ||
	    (bc = BN_CTX_secure_new()) == NULL ||
	    (point = EC_POINT_new(group)) == NULL ||
	    EC_POINT_mul(group, point, priv, NULL, NULL, bc) != 1 ||
	    (*ptlen = EC_POINT_point2oct(group, point,
	    POINT_CONVERSION_UNCOMPRESSED, pt, *ptlen, bc)) == 0)
		goto fail;
	rc = 0;
fail:
	EC_POINT_free(point);
	EC_GROUP_free(group);
	BN_CTX_free(bc);
	return rc;
}

static EVP_PKEY *
ec_from_scalar(uint8_t alg, const uint8_t *s, size_t len)
{
	const char	*name = ec_group_name(alg);
	uint8_t		 pt[EC_POINT_MAX];
	size_t		 ptlen = sizeof(pt);
	BIGNUM		*priv = NULL;
	OSSL_PARAM_BLD	*bld = NULL;
	EVP_PKEY	*pkey = NULL;

	if (name == NULL || len != emu_alg_size(alg))
		return NULL;
	if ((priv = BN_secure_new()) == NULL ||
	    BN_bin2bn(s, (int)len, priv) == NULL ||
	    ec_public_point(name, priv, pt, &ptlen) < 0 ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    name, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt,
	    ptlen) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv) != 1)
		goto fail;
	pkey = pkey_fromdata("EC", EVP_PKEY_KEYPAIR, bld);
fail:
	BN_clear_free(priv);
	OSSL_PARAM_BLD_free(bld);
	if (pkey == NULL)
		ERR_clear_error();
	return pkey;
}

EVP_PKEY *
emu_pkey_from_private(uint8_t alg, const uint8_t *s, size_t len)
{
	if (emu_alg_is_ec(alg))
		return ec_from_scalar(alg, s, len);
	if (len != X25519_LEN)
		return NULL;
	if (alg == PIV_ALG_ED25519)
		return EVP_PKEY_new_raw_private_key_ex(NULL, "ED25519", NULL,
		    s, len);
	if (alg == PIV_ALG_X25519)
		return EVP_PKEY_new_raw_private_key_ex(NULL, "X25519", NULL,
		    s, len);
	return NULL;
}

int
emu_rsa_raw(EVP_PKEY *pkey, const uint8_t *in, size_t inlen, uint8_t *out,
    size_t *outlen)
{
	EVP_PKEY_CTX	*pctx = NULL;
	size_t		 n = emu_alg_size(emu_pkey_alg(pkey));
	int		 rc = -1;

	if (!emu_alg_is_rsa(emu_pkey_alg(pkey)) || inlen != n || *outlen < n)
		return -1;
	/* OpenSSL refuses input >= n (RSA_R_DATA_TOO_LARGE_FOR_MODULUS) */
	if ((pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
	    EVP_PKEY_decrypt_init(pctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_NO_PADDING) != 1 ||
	    EVP_PKEY_decrypt(pctx, out, outlen, in, inlen) != 1 ||
	    *outlen != n)
		goto fail;
	rc = 0;
fail:
	EVP_PKEY_CTX_free(pctx);
	if (rc < 0)
		ERR_clear_error();	/* nothing stale for the next caller */
	return rc;
}

int
emu_ecdsa_sign(EVP_PKEY *pkey, const uint8_t *in, size_t inlen,
    uint8_t *out, size_t *outlen)
{
	EVP_PKEY_CTX	*pctx = NULL;
	uint8_t		 alg = emu_pkey_alg(pkey);
	int		 rc = -1;

	if (!emu_alg_is_ec(alg) || inlen == 0 || inlen > emu_alg_size(alg))
		return -1;
	if ((pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
	    EVP_PKEY_sign_init(pctx) != 1 ||
	    EVP_PKEY_sign(pctx, out, outlen, in, inlen) != 1)
		goto fail;
	rc = 0;
fail:
	EVP_PKEY_CTX_free(pctx);
	if (rc < 0)
		ERR_clear_error();	/* nothing stale for the next caller */
	return rc;
}

int
emu_ed25519_sign(EVP_PKEY *pkey, const uint8_t *in, size_t inlen,
    uint8_t *out, size_t *outlen)
{
	EVP_MD_CTX	*md = NULL;
	int		 rc = -1;

	if (emu_pkey_alg(pkey) != PIV_ALG_ED25519)
		return -1;
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit_ex(md, NULL, NULL, NULL, NULL, pkey,
	    NULL) != 1 ||
	    EVP_DigestSign(md, out, outlen, in, inlen) != 1)
		goto fail;
	rc = 0;
fail:
	EVP_MD_CTX_free(md);
	if (rc < 0)
		ERR_clear_error();
	return rc;
}

/* the peer's public key; EVP_PKEY_fromdata rejects points off the curve */
static EVP_PKEY *
peer_public(uint8_t alg, const uint8_t *peer, size_t len)
{
	OSSL_PARAM_BLD	*bld = NULL;
	EVP_PKEY	*pub = NULL;
	struct ss_rd	 r;
	uint8_t		 form;

	if (alg == PIV_ALG_X25519)
		return len == X25519_LEN ? EVP_PKEY_new_raw_public_key_ex(NULL,
		    "X25519", NULL, peer, len) : NULL;
	ss_rd_init(&r, peer, len);
	if (!emu_alg_is_ec(alg) || len != 1 + 2 * emu_alg_size(alg) ||
	    ss_rd_u8(&r, &form) < 0 || form != 0x04)
		return NULL;
	if ((bld = OSSL_PARAM_BLD_new()) != NULL &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    ec_group_name(alg), 0) == 1 &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	    peer, len) == 1)
		pub = pkey_fromdata("EC", EVP_PKEY_PUBLIC_KEY, bld);
	OSSL_PARAM_BLD_free(bld);
	return pub;
}

int
emu_key_agree(EVP_PKEY *pkey, const uint8_t *peer, size_t peerlen,
    uint8_t *out, size_t *outlen)
{
	EVP_PKEY_CTX	*pctx = NULL;
	EVP_PKEY	*pub = NULL;
	uint8_t		 alg = emu_pkey_alg(pkey);
	int		 rc = -1;

	if (!emu_alg_is_ec(alg) && alg != PIV_ALG_X25519)
		return -1;
	/* set_peer also runs EVP_PKEY_public_check on the peer */
	if ((pub = peer_public(alg, peer, peerlen)) == NULL ||
	    (pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
	    EVP_PKEY_derive_init(pctx) != 1 ||
	    EVP_PKEY_derive_set_peer(pctx, pub) != 1 ||
	    EVP_PKEY_derive(pctx, out, outlen) != 1 ||
	    *outlen != emu_alg_size(alg))
		goto fail;
	rc = 0;
fail:
	EVP_PKEY_CTX_free(pctx);
	EVP_PKEY_free(pub);
	if (rc < 0)
		ERR_clear_error();
	return rc;
}

static int
bn_param(const EVP_PKEY *pkey, const char *name, uint8_t *buf, size_t cap,
    size_t *len)
{
	BIGNUM	*bn = NULL;
	int	 n, rc = -1;

	if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1 ||
	    (n = BN_num_bytes(bn)) <= 0 || (size_t)n > cap ||
	    BN_bn2bin(bn, buf) != n)
		goto fail;
	*len = (size_t)n;
	rc = 0;
fail:
	BN_free(bn);
	return rc;
}

static size_t
tlv_size(uint32_t tag, size_t len)
{
	return ss_tlv_tag_len(tag) + ss_tlv_len_len(len) + len;
}

static int
pubkey_put_rsa(struct ss_wr *w, const EVP_PKEY *pkey, bool wrap)
{
	uint8_t	n[EMU_RSA_MAX_BYTES], e[8];
	size_t	nlen, elen;

	if (bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, n, sizeof(n), &nlen) < 0 ||
	    bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, e, sizeof(e), &elen) < 0)
		return -1;
	if (wrap && ss_tlv_put_hdr(w, TAG_PUBKEY_TEMPLATE,
	    tlv_size(TAG_RSA_MODULUS, nlen) +
	    tlv_size(TAG_RSA_EXPONENT, elen)) < 0)
		return -1;
	if (ss_tlv_put(w, TAG_RSA_MODULUS, n, nlen) < 0 ||
	    ss_tlv_put(w, TAG_RSA_EXPONENT, e, elen) < 0)
		return -1;
	return 0;
}

static int
pubkey_point(const EVP_PKEY *pkey, uint8_t alg, uint8_t *pt, size_t *len)
{
	size_t cap = *len;

	if (emu_alg_is_ec(alg))
		return EVP_PKEY_get_octet_string_param(pkey,
		    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, cap, len) == 1 &&
		    *len == 1 + 2 * emu_alg_size(alg) && pt[0] == 0x04 ? 0 : -1;
	if (alg == PIV_ALG_ED25519 || alg == PIV_ALG_X25519)
		return EVP_PKEY_get_raw_public_key(pkey, pt, len) == 1 &&
		    *len == X25519_LEN ? 0 : -1;
	return -1;
}

int
emu_pubkey_put(struct ss_wr *w, const EVP_PKEY *pkey, bool wrap)
{
	uint8_t	alg = emu_pkey_alg(pkey);
	uint8_t	pt[EC_POINT_MAX];
	size_t	len = sizeof(pt);

	if (emu_alg_is_rsa(alg))
		return pubkey_put_rsa(w, pkey, wrap);
	if (pubkey_point(pkey, alg, pt, &len) < 0)
		return -1;
	if (wrap && ss_tlv_put_hdr(w, TAG_PUBKEY_TEMPLATE,
	    tlv_size(TAG_EC_POINT, len)) < 0)
		return -1;
	return ss_tlv_put(w, TAG_EC_POINT, pt, len);
}

int
emu_sym_ecb(uint8_t alg, const uint8_t *key, size_t keylen, bool enc,
    const uint8_t *in, uint8_t *out, size_t blocklen)
{
	const EVP_CIPHER	*cipher = sym_cipher(alg);
	EVP_CIPHER_CTX		*c = NULL;
	int			 n = 0, rc = -1;

	if (cipher == NULL || keylen != emu_sym_key_len(alg) ||
	    blocklen != emu_sym_block_len(alg))
		return -1;
	if ((c = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex(c, cipher, NULL, key, NULL, enc ? 1 : 0) != 1 ||
	    EVP_CIPHER_CTX_set_padding(c, 0) != 1 ||
	    EVP_CipherUpdate(c, out, &n, in, (int)blocklen) != 1 ||
	    n != (int)blocklen)
		goto fail;
	rc = 0;
fail:
	EVP_CIPHER_CTX_free(c);		/* cleanses the key schedule */
	return rc;
}
