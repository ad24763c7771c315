/*
 * tests/unit/test-emu-crypto.c - the emulated card's OpenSSL helpers
 * (token-emu/emu_crypto.c), each result checked independently: RSA by the
 * public operation, ECDSA and Ed25519 by EVP_PKEY_verify, key agreement by
 * the peer's own derivation, 3DES/AES by published known answers, key
 * import by comparing with the key it came from.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "reader/buf.h"
#include "reader/hex.h"
#include "reader/tlv.h"
#include "token-emu/card.h"
#include "token-emu/emu_crypto.h"

static const uint8_t all_asym[] = {
	PIV_ALG_RSA1024, PIV_ALG_RSA2048, PIV_ALG_RSA3072, PIV_ALG_RSA4096,
	PIV_ALG_ECCP256, PIV_ALG_ECCP384, PIV_ALG_ED25519, PIV_ALG_X25519,
};

/* one key per algorithm, made once: RSA-4096 generation is slow */
static EVP_PKEY *keys[sizeof(all_asym)];

static EVP_PKEY *
key_for(uint8_t alg)
{
	size_t i;

	for (i = 0; i < sizeof(all_asym); i++)
		if (all_asym[i] == alg)
			return keys[i];
	fail_msg("no key for alg %02x", alg);
	return NULL;
}

static int
group_setup(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(all_asym); i++)
		if ((keys[i] = emu_crypto_keygen(all_asym[i])) == NULL)
			return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(all_asym); i++)
		EVP_PKEY_free(keys[i]);
	return 0;
}

static void
hex(const char *s, uint8_t *b, size_t cap, size_t *n)
{
	assert_int_equal(ss_hex_decode(s, b, cap, n), 0);
}

/* ---- algorithm table ---- */

static void
test_alg_table(void **state)
{
	(void)state;
	assert_true(emu_alg_is_rsa(PIV_ALG_RSA3072));
	assert_false(emu_alg_is_rsa(PIV_ALG_ECCP256));
	assert_true(emu_alg_is_ec(PIV_ALG_ECCP384));
	assert_false(emu_alg_is_ec(PIV_ALG_ED25519));
	assert_true(emu_alg_is_asym(PIV_ALG_X25519));
	assert_false(emu_alg_is_asym(PIV_ALG_3DES));
	assert_false(emu_alg_is_asym(0x00));
	assert_true(emu_alg_is_sym(PIV_ALG_AES192));
	assert_false(emu_alg_is_sym(PIV_ALG_RSA2048));
	assert_int_equal(emu_alg_size(PIV_ALG_RSA1024), 128);
	assert_int_equal(emu_alg_size(PIV_ALG_RSA4096), 512);
	assert_int_equal(emu_alg_size(PIV_ALG_ECCP384), 48);
	assert_int_equal(emu_alg_size(PIV_ALG_ED25519), 32);
	assert_int_equal(emu_alg_size(0xff), 0);
	assert_int_equal(emu_sym_block_len(PIV_ALG_3DES), 8);
	assert_int_equal(emu_sym_block_len(PIV_ALG_AES256), 16);
	assert_int_equal(emu_sym_block_len(PIV_ALG_ECCP256), 0);
	assert_int_equal(emu_sym_key_len(PIV_ALG_3DES), 24);
	assert_int_equal(emu_sym_key_len(PIV_ALG_AES128), 16);
	assert_int_equal(emu_sym_key_len(PIV_ALG_AES192), 24);
	assert_int_equal(emu_sym_key_len(PIV_ALG_AES256), 32);
	assert_null(emu_crypto_keygen(PIV_ALG_3DES));
	assert_null(emu_crypto_keygen(0x00));
	assert_int_equal(emu_pkey_alg(NULL), 0);
}

static void
test_rand(void **state)
{
	uint8_t a[32], b[32];

	(void)state;
	assert_int_equal(emu_rand(a, sizeof(a)), 0);
	assert_int_equal(emu_rand(b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(emu_rand(a, 0), 0);
}

/* ---- key generation and public key encoding ---- */

static void
check_pubkey_rsa(const uint8_t *p, size_t len, EVP_PKEY *pkey)
{
	struct ss_tlv	n, e;
	BIGNUM		*bn = NULL;
	uint8_t		 nb[EMU_RSA_MAX_BYTES];

	assert_int_equal(ss_tlv_find(p, len, 0x81, &n), 0);
	assert_int_equal(ss_tlv_find(p, len, 0x82, &e), 0);
	assert_int_equal(n.len, (size_t)EVP_PKEY_get_size(pkey));
	assert_int_equal(e.len, 3);
	assert_memory_equal(e.val, "\x01\x00\x01", 3);
	assert_int_equal(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N,
	    &bn), 1);
	assert_int_equal(BN_bn2binpad(bn, nb, (int)n.len), (int)n.len);
	assert_memory_equal(n.val, nb, n.len);
	BN_free(bn);
}

static void
check_pubkey_point(const uint8_t *p, size_t len, EVP_PKEY *pkey,
    uint8_t alg)
{
	struct ss_tlv	pt;
	uint8_t		raw[128];
	size_t		rawlen = sizeof(raw);

	assert_int_equal(ss_tlv_expect(p, len, 0x86, &pt), 0);
	if (emu_alg_is_ec(alg)) {
		assert_int_equal(EVP_PKEY_get_octet_string_param(pkey,
		    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, raw, sizeof(raw),
		    &rawlen), 1);
		assert_int_equal(pt.len, 1 + 2 * emu_alg_size(alg));
		assert_int_equal(pt.val[0], 0x04);
	} else {
		assert_int_equal(EVP_PKEY_get_raw_public_key(pkey, raw,
		    &rawlen), 1);
		assert_int_equal(pt.len, 32);
	}
	assert_int_equal(pt.len, rawlen);
	assert_memory_equal(pt.val, raw, rawlen);
}

static void
test_keygen_pubkey(void **state)
{
	uint8_t		buf[1024], bare[1024];
	struct ss_wr	w;
	struct ss_tlv	t;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(all_asym); i++) {
		uint8_t		 alg = all_asym[i];
		EVP_PKEY	*pkey = keys[i];

		assert_int_equal(emu_pkey_alg(pkey), alg);
		/* wrapped: exactly one 7F49 */
		ss_wr_init(&w, buf, sizeof(buf));
		assert_int_equal(emu_pubkey_put(&w, pkey, true), 0);
		assert_int_equal(ss_tlv_expect(buf, w.len, 0x7f49, &t), 0);
		if (emu_alg_is_rsa(alg))
			check_pubkey_rsa(t.val, t.len, pkey);
		else
			check_pubkey_point(t.val, t.len, pkey, alg);
		/* bare: the inside of 7F49, byte for byte */
		ss_wr_init(&w, bare, sizeof(bare));
		assert_int_equal(emu_pubkey_put(&w, pkey, false), 0);
		assert_int_equal(w.len, t.len);
		assert_memory_equal(bare, t.val, t.len);
		/* a writer too small fails cleanly */
		ss_wr_init(&w, buf, 10);
		assert_int_equal(emu_pubkey_put(&w, pkey, true), -1);
	}
}

static void
test_pkey_alg_foreign(void **state)
{
	EVP_PKEY *k;

	(void)state;
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
	assert_non_null(k);
	assert_int_equal(emu_pkey_alg(k), 0);
	EVP_PKEY_free(k);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1536);
	assert_non_null(k);
	assert_int_equal(emu_pkey_alg(k), 0);
	EVP_PKEY_free(k);
}

/* ---- RSA ---- */

static void
rsa_public(EVP_PKEY *pkey, const uint8_t *in, size_t len, uint8_t *out)
{
	EVP_PKEY_CTX	*c = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	size_t		 outlen = len;

	assert_non_null(c);
	assert_int_equal(EVP_PKEY_encrypt_init(c), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING), 1);
	assert_int_equal(EVP_PKEY_encrypt(c, out, &outlen, in, len), 1);
	assert_int_equal(outlen, len);
	EVP_PKEY_CTX_free(c);
}

static void
test_rsa_raw(void **state)
{
	static const uint8_t rsa[] = { PIV_ALG_RSA1024, PIV_ALG_RSA2048,
	    PIV_ALG_RSA3072, PIV_ALG_RSA4096 };
	uint8_t	in[EMU_RSA_MAX_BYTES], out[EMU_RSA_MAX_BYTES];
	uint8_t	back[EMU_RSA_MAX_BYTES];
	size_t	i, n, outlen;

	(void)state;
	for (i = 0; i < sizeof(rsa); i++) {
		EVP_PKEY *k = key_for(rsa[i]);

		n = emu_alg_size(rsa[i]);
		/* PKCS#1 v1.5 type 1 shape, as a host pads it */
		memset(in, 0xff, n);
		in[0] = 0x00;
		in[1] = 0x01;
		in[n - 33] = 0x00;
		assert_int_equal(emu_rand(in + n - 32, 32), 0);
		outlen = sizeof(out);
		assert_int_equal(emu_rsa_raw(k, in, n, out, &outlen), 0);
		assert_int_equal(outlen, n);
		rsa_public(k, out, n, back);
		assert_memory_equal(back, in, n);
		/* wrong length: one short, one long */
		outlen = sizeof(out);
		assert_int_equal(emu_rsa_raw(k, in, n - 1, out, &outlen), -1);
		outlen = sizeof(out);
		assert_int_equal(emu_rsa_raw(k, in, n + 1, out, &outlen), -1);
		/* numerically >= n; no error left queued */
		memset(in, 0xff, n);
		outlen = sizeof(out);
		assert_int_equal(emu_rsa_raw(k, in, n, out, &outlen), -1);
		assert_int_equal(ERR_peek_error(), 0);
		/* output buffer too small */
		in[0] = 0;
		outlen = n - 1;
		assert_int_equal(emu_rsa_raw(k, in, n, out, &outlen), -1);
	}
	/* not an RSA key */
	outlen = sizeof(out);
	assert_int_equal(emu_rsa_raw(key_for(PIV_ALG_ECCP256), in, 32, out,
	    &outlen), -1);
}

static void
test_rsa_raw_equal_modulus(void **state)
{
	EVP_PKEY	*k = key_for(PIV_ALG_RSA2048);
	BIGNUM		*n = NULL;
	uint8_t		 nb[256], out[256];
	size_t		 outlen = sizeof(out);

	(void)state;
	assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n),
	    1);
	assert_int_equal(BN_bn2binpad(n, nb, sizeof(nb)), 256);
	assert_int_equal(emu_rsa_raw(k, nb, sizeof(nb), out, &outlen), -1);
	/* n - 1 is fine */
	assert_int_equal(BN_sub_word(n, 1), 1);
	assert_int_equal(BN_bn2binpad(n, nb, sizeof(nb)), 256);
	outlen = sizeof(out);
	assert_int_equal(emu_rsa_raw(k, nb, sizeof(nb), out, &outlen), 0);
	BN_free(n);
}

/* ---- ECDSA, Ed25519 ---- */

static void
verify_raw(EVP_PKEY *k, const uint8_t *sig, size_t siglen,
    const uint8_t *tbs, size_t tbslen)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);

	assert_non_null(c);
	assert_int_equal(EVP_PKEY_verify_init(c), 1);
	assert_int_equal(EVP_PKEY_verify(c, sig, siglen, tbs, tbslen), 1);
	EVP_PKEY_CTX_free(c);
}

static void
test_ecdsa(void **state)
{
	static const uint8_t ec[] = { PIV_ALG_ECCP256, PIV_ALG_ECCP384 };
	uint8_t	h[64], sig[128];
	size_t	i, fs, siglen;

	(void)state;
	assert_int_equal(emu_rand(h, sizeof(h)), 0);
	for (i = 0; i < sizeof(ec); i++) {
		EVP_PKEY *k = key_for(ec[i]);

		fs = emu_alg_size(ec[i]);
		siglen = sizeof(sig);
		assert_int_equal(emu_ecdsa_sign(k, h, fs, sig, &siglen), 0);
		assert_int_equal(sig[0], 0x30);
		verify_raw(k, sig, siglen, h, fs);
		/* shorter hashes (SHA-256 on P-384) are fine */
		siglen = sizeof(sig);
		assert_int_equal(emu_ecdsa_sign(k, h, 20, sig, &siglen), 0);
		verify_raw(k, sig, siglen, h, 20);
		/* longer than the field, or empty: refused */
		siglen = sizeof(sig);
		assert_int_equal(emu_ecdsa_sign(k, h, fs + 1, sig, &siglen),
		    -1);
		siglen = sizeof(sig);
		assert_int_equal(emu_ecdsa_sign(k, h, 0, sig, &siglen), -1);
	}
	siglen = sizeof(sig);
	assert_int_equal(emu_ecdsa_sign(key_for(PIV_ALG_RSA1024), h, 32, sig,
	    &siglen), -1);
}

static void
test_ed25519(void **state)
{
	EVP_PKEY	*k = key_for(PIV_ALG_ED25519);
	EVP_MD_CTX	*md;
	uint8_t		 msg[300], sig[64];
	size_t		 siglen = sizeof(sig);

	(void)state;
	assert_int_equal(emu_rand(msg, sizeof(msg)), 0);
	assert_int_equal(emu_ed25519_sign(k, msg, sizeof(msg), sig, &siglen),
	    0);
	assert_int_equal(siglen, 64);
	md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit_ex(md, NULL, NULL, NULL, NULL, k,
	    NULL), 1);
	assert_int_equal(EVP_DigestVerify(md, sig, siglen, msg, sizeof(msg)),
	    1);
	EVP_MD_CTX_free(md);
	siglen = sizeof(sig);
	assert_int_equal(emu_ed25519_sign(key_for(PIV_ALG_X25519), msg, 32,
	    sig, &siglen), -1);
}

/* ---- key agreement ---- */

static void
peer_derive(EVP_PKEY *peer, EVP_PKEY *card_key, uint8_t *out, size_t *len)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, peer, NULL);

	assert_non_null(c);
	assert_int_equal(EVP_PKEY_derive_init(c), 1);
	assert_int_equal(EVP_PKEY_derive_set_peer(c, card_key), 1);
	assert_int_equal(EVP_PKEY_derive(c, out, len), 1);
	EVP_PKEY_CTX_free(c);
}

static void
peer_point(EVP_PKEY *peer, uint8_t alg, uint8_t *pt, size_t *len)
{
	if (emu_alg_is_ec(alg))
		assert_int_equal(EVP_PKEY_get_octet_string_param(peer,
		    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, *len, len), 1);
	else
		assert_int_equal(EVP_PKEY_get_raw_public_key(peer, pt, len),
		    1);
}

static void
test_key_agree(void **state)
{
	static const uint8_t algs[] = { PIV_ALG_ECCP256, PIV_ALG_ECCP384,
	    PIV_ALG_X25519 };
	uint8_t	pt[128], z1[64], z2[64];
	size_t	i, ptlen, z1len, z2len;

	(void)state;
	for (i = 0; i < sizeof(algs); i++) {
		EVP_PKEY *card = key_for(algs[i]);
		EVP_PKEY *peer = emu_crypto_keygen(algs[i]);

		assert_non_null(peer);
		ptlen = sizeof(pt);
		peer_point(peer, algs[i], pt, &ptlen);
		z1len = sizeof(z1);
		assert_int_equal(emu_key_agree(card, pt, ptlen, z1, &z1len), 0);
		assert_int_equal(z1len, emu_alg_size(algs[i]));
		z2len = sizeof(z2);
		peer_derive(peer, card, z2, &z2len);
		assert_int_equal(z1len, z2len);
		assert_memory_equal(z1, z2, z1len);
		/* truncated and oversized points */
		z1len = sizeof(z1);
		assert_int_equal(emu_key_agree(card, pt, ptlen - 1, z1, &z1len),
		    -1);
		z1len = sizeof(z1);
		assert_int_equal(emu_key_agree(card, pt, ptlen + 1, z1, &z1len),
		    -1);
		EVP_PKEY_free(peer);
	}
}

static void
test_key_agree_bad_points(void **state)
{
	EVP_PKEY	*k256 = key_for(PIV_ALG_ECCP256);
	EVP_PKEY	*peer = emu_crypto_keygen(PIV_ALG_ECCP256);
	uint8_t		 pt[65], z[64];
	size_t		 ptlen = sizeof(pt), zlen;

	(void)state;
	peer_point(peer, PIV_ALG_ECCP256, pt, &ptlen);
	/* off the curve: flip a bit of Y */
	pt[64] ^= 0x01;
	zlen = sizeof(z);
	assert_int_equal(emu_key_agree(k256, pt, ptlen, z, &zlen), -1);
	assert_int_equal(ERR_peek_error(), 0);
	pt[64] ^= 0x01;
	/* compressed/hybrid forms are not accepted */
	pt[0] = 0x06;
	zlen = sizeof(z);
	assert_int_equal(emu_key_agree(k256, pt, ptlen, z, &zlen), -1);
	pt[0] = 0x04;
	/* all zero (not a point) */
	memset(pt + 1, 0, 64);
	zlen = sizeof(z);
	assert_int_equal(emu_key_agree(k256, pt, ptlen, z, &zlen), -1);
	/* a P-256 point against the P-384 key */
	zlen = sizeof(z);
	assert_int_equal(emu_key_agree(key_for(PIV_ALG_ECCP384), pt, ptlen, z,
	    &zlen), -1);
	/* X25519: the all-zero (small order) point gives an all-zero secret */
	memset(pt, 0, 32);
	zlen = sizeof(z);
	assert_int_equal(emu_key_agree(key_for(PIV_ALG_X25519), pt, 32, z,
	    &zlen), -1);
	/* not a key agreement key */
	zlen = sizeof(z);
	assert_int_equal(emu_key_agree(key_for(PIV_ALG_RSA1024), pt, 32, z,
	    &zlen), -1);
	assert_int_equal(emu_key_agree(key_for(PIV_ALG_ED25519), pt, 32, z,
	    &zlen), -1);
	EVP_PKEY_free(peer);
}

/* ---- symmetric ---- */

struct kat {
	uint8_t		 alg;
	const char	*key, *pt, *ct;
};

static const struct kat kats[] = {
	/* SP 800-67 example */
	{ PIV_ALG_3DES, "0123456789abcdef23456789abcdef01456789abcdef0123",
	    "5468652071756663", "a826fd8ce53b855f" },
	/* FIPS-197 appendix C */
	{ PIV_ALG_AES128, "000102030405060708090a0b0c0d0e0f",
	    "00112233445566778899aabbccddeeff",
	    "69c4e0d86a7b0430d8cdb78070b4c55a" },
	{ PIV_ALG_AES192, "000102030405060708090a0b0c0d0e0f1011121314151617",
	    "00112233445566778899aabbccddeeff",
	    "dda97ca4864cdfe06eaf70a0ec0d7191" },
	{ PIV_ALG_AES256, "000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f",
	    "00112233445566778899aabbccddeeff",
	    "8ea2b7ca516745bfeafc49904b496089" },
};

static void
test_sym_kat(void **state)
{
	uint8_t	key[32], pt[16], ct[16], out[16];
	size_t	i, kl, pl, cl;

	(void)state;
	for (i = 0; i < sizeof(kats) / sizeof(kats[0]); i++) {
		hex(kats[i].key, key, sizeof(key), &kl);
		hex(kats[i].pt, pt, sizeof(pt), &pl);
		hex(kats[i].ct, ct, sizeof(ct), &cl);
		assert_int_equal(emu_sym_ecb(kats[i].alg, key, kl, true, pt,
		    out, pl), 0);
		assert_memory_equal(out, ct, cl);
		assert_int_equal(emu_sym_ecb(kats[i].alg, key, kl, false, ct,
		    out, cl), 0);
		assert_memory_equal(out, pt, pl);
		/* wrong key or block length */
		assert_int_equal(emu_sym_ecb(kats[i].alg, key, kl - 1, true, pt,
		    out, pl), -1);
		assert_int_equal(emu_sym_ecb(kats[i].alg, key, kl, true, pt,
		    out, pl - 1), -1);
	}
	assert_int_equal(emu_sym_ecb(PIV_ALG_RSA2048, key, 24, true, pt, out,
	    8), -1);
}

/* ---- import ---- */

static void
get_bn(EVP_PKEY *k, const char *name, uint8_t *buf, size_t len)
{
	BIGNUM *bn = NULL;

	assert_int_equal(EVP_PKEY_get_bn_param(k, name, &bn), 1);
	assert_int_equal(BN_bn2binpad(bn, buf, (int)len), (int)len);
	BN_clear_free(bn);
}

static void
crt_parts(EVP_PKEY *k, size_t half, uint8_t part[5][256])
{
	get_bn(k, OSSL_PKEY_PARAM_RSA_FACTOR1, part[0], half);
	get_bn(k, OSSL_PKEY_PARAM_RSA_FACTOR2, part[1], half);
	get_bn(k, OSSL_PKEY_PARAM_RSA_EXPONENT1, part[2], half);
	get_bn(k, OSSL_PKEY_PARAM_RSA_EXPONENT2, part[3], half);
	get_bn(k, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, part[4], half);
}

static void
same_public(EVP_PKEY *a, EVP_PKEY *b)
{
	assert_int_equal(EVP_PKEY_eq(a, b), 1);
}

static void
test_rsa_import(void **state)
{
	static const uint8_t rsa[] = { PIV_ALG_RSA1024, PIV_ALG_RSA2048,
	    PIV_ALG_RSA3072, PIV_ALG_RSA4096 };
	uint8_t		 part[5][256];
	const uint8_t	*pp[5];
	uint8_t		 in[512], out[512], back[512];
	size_t		 i, j, half, outlen;
	EVP_PKEY	*imp;

	(void)state;
	for (j = 0; j < 5; j++)
		pp[j] = part[j];
	for (i = 0; i < sizeof(rsa); i++) {
		half = emu_alg_size(rsa[i]) / 2;
		crt_parts(key_for(rsa[i]), half, part);
		imp = emu_rsa_from_crt(rsa[i], pp, half);
		assert_non_null(imp);
		same_public(imp, key_for(rsa[i]));
		assert_int_equal(emu_pkey_alg(imp), rsa[i]);
		/* signs like the original */
		memset(in, 0x5a, sizeof(in));
		in[0] = 0;
		outlen = sizeof(out);
		assert_int_equal(emu_rsa_raw(imp, in, 2 * half, out, &outlen),
		    0);
		rsa_public(key_for(rsa[i]), out, 2 * half, back);
		assert_memory_equal(back, in, 2 * half);
		EVP_PKEY_free(imp);
		/* claimed as the wrong size, or with the wrong part size */
		assert_null(emu_rsa_from_crt(rsa[i] == PIV_ALG_RSA1024 ?
		    PIV_ALG_RSA2048 : PIV_ALG_RSA1024, pp, half));
		assert_null(emu_rsa_from_crt(rsa[i], pp, half - 1));
		/* each part corrupted in turn */
		for (j = 0; j < 5; j++) {
			part[j][half - 1] ^= 0x02;
			assert_null(emu_rsa_from_crt(rsa[i], pp, half));
			part[j][half - 1] ^= 0x02;
		}
	}
	assert_null(emu_rsa_from_crt(PIV_ALG_ECCP256, pp, 16));
}

static void
test_rsa_import_degenerate(void **state)
{
	uint8_t		 part[5][256];
	const uint8_t	*pp[5];
	size_t		 j;

	(void)state;
	for (j = 0; j < 5; j++)
		pp[j] = part[j];
	crt_parts(key_for(PIV_ALG_RSA2048), 128, part);
	/* p = q */
	memcpy(part[1], part[0], 128);
	assert_null(emu_rsa_from_crt(PIV_ALG_RSA2048, pp, 128));
	/* all zero, all ones */
	memset(part, 0, sizeof(part));
	assert_null(emu_rsa_from_crt(PIV_ALG_RSA2048, pp, 128));
	memset(part, 0xff, sizeof(part));
	assert_null(emu_rsa_from_crt(PIV_ALG_RSA2048, pp, 128));
}

static void
test_private_import(void **state)
{
	static const uint8_t algs[] = { PIV_ALG_ECCP256, PIV_ALG_ECCP384,
	    PIV_ALG_ED25519, PIV_ALG_X25519 };
	uint8_t		 s[64];
	size_t		 i, len;
	EVP_PKEY	*k, *imp;

	(void)state;
	for (i = 0; i < sizeof(algs); i++) {
		k = key_for(algs[i]);
		len = emu_alg_size(algs[i]);
		if (emu_alg_is_ec(algs[i]))
			get_bn(k, OSSL_PKEY_PARAM_PRIV_KEY, s, len);
		else {
			size_t sl = sizeof(s);

			assert_int_equal(EVP_PKEY_get_raw_private_key(k, s,
			    &sl), 1);
			assert_int_equal(sl, len);
		}
		imp = emu_pkey_from_private(algs[i], s, len);
		assert_non_null(imp);
		same_public(imp, k);
		assert_int_equal(emu_pkey_alg(imp), algs[i]);
		EVP_PKEY_free(imp);
		assert_null(emu_pkey_from_private(algs[i], s, len - 1));
		assert_null(emu_pkey_from_private(algs[i], s, len + 1));
	}
	/* EC scalar 0 and >= order */
	memset(s, 0, sizeof(s));
	assert_null(emu_pkey_from_private(PIV_ALG_ECCP256, s, 32));
	memset(s, 0xff, sizeof(s));
	assert_null(emu_pkey_from_private(PIV_ALG_ECCP256, s, 32));
	assert_null(emu_pkey_from_private(PIV_ALG_ECCP384, s, 48));
	assert_null(emu_pkey_from_private(PIV_ALG_RSA2048, s, 32));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alg_table),
		cmocka_unit_test(test_rand),
		cmocka_unit_test(test_keygen_pubkey),
		cmocka_unit_test(test_pkey_alg_foreign),
		cmocka_unit_test(test_rsa_raw),
		cmocka_unit_test(test_rsa_raw_equal_modulus),
		cmocka_unit_test(test_ecdsa),
		cmocka_unit_test(test_ed25519),
		cmocka_unit_test(test_key_agree),
		cmocka_unit_test(test_key_agree_bad_points),
		cmocka_unit_test(test_sym_kat),
		cmocka_unit_test(test_rsa_import),
		cmocka_unit_test(test_rsa_import_degenerate),
		cmocka_unit_test(test_private_import),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
