/*
 * tests/unit/test-engine-auth.c - GENERAL AUTHENTICATE (piv_auth.c) and
 * GENERATE ASYMMETRIC KEY PAIR (piv_keygen.c), driven through
 * emu_process() as a host drives them (command chaining in 255-byte
 * pieces, GET RESPONSE for 61xx).  Every result is checked independently
 * with OpenSSL on the host side: RSA by the public operation, ECDSA and
 * Ed25519 by EVP_PKEY_verify, ECDH/X25519 against the peer's derivation,
 * management-key mutual and external authentication computed here for
 * 3DES and AES-128/192/256.  Then PIN policies, every malformed form, and
 * a robustness loop of random and bit-flipped bodies called straight into
 * the handlers from exact-size heap buffers (ASan sees any over-read).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "reader/apdu.h"
#include "reader/tlv.h"
#include "token-emu/emu_crypto.h"
#include "token-emu/handlers.h"
#include "token-emu/quirks.h"
#include "engine-fixture.h"

#define SW_OK		0x9000
#define SW_SECURITY	0x6982
#define SW_WRONG_DATA	0x6a80
#define SW_P1P2		0x6a86
#define SW_NOT_FOUND	0x6a88
#define INS_GA		0x87
#define INS_GEN		0x47
#define FUZZ_GA		60000
#define FUZZ_GEN	20000

static const uint8_t all_asym[] = {
	PIV_ALG_RSA1024, PIV_ALG_RSA2048, PIV_ALG_RSA3072, PIV_ALG_RSA4096,
	PIV_ALG_ECCP256, PIV_ALG_ECCP384, PIV_ALG_ED25519, PIV_ALG_X25519,
};
static EVP_PKEY *keys[sizeof(all_asym)];

static const uint8_t default_mgmt[24] = {
	1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8,
};

static EVP_PKEY *
key_for(uint8_t alg)
{
	size_t i;

	for (i = 0; i < sizeof(all_asym); i++)
		if (all_asym[i] == alg)
			return keys[i];
	fail_msg("no key for %02x", alg);
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

/* the fixture's card with PIV selected */
static int
setup(void **state)
{
	if (engine_setup(state) != 0)
		return -1;
	select_piv(*state);
	return 0;
}

/* put a shared test key into a slot */
static void
set_key(struct t *t, uint8_t ref, uint8_t alg, uint8_t pin_policy)
{
	struct emu_key	*k = emu_card_key(&t->card, ref);
	EVP_PKEY	*pkey = key_for(alg);

	assert_non_null(k);
	assert_int_equal(EVP_PKEY_up_ref(pkey), 1);
	EVP_PKEY_free(k->pkey);
	k->pkey = pkey;
	k->alg = alg;
	k->pin_policy = pin_policy;
	k->touch_policy = EMU_TOUCH_POLICY_NEVER;
	k->origin = EMU_ORIGIN_GENERATED;
}

/* 7C { 82 00, tag L v } */
static size_t
ga_req(uint8_t *buf, size_t cap, uint32_t tag, const uint8_t *v, size_t len)
{
	struct ss_wr	w;
	size_t		inner = 2 + ss_tlv_tag_len(tag) + ss_tlv_len_len(len) +
			    len;

	ss_wr_init(&w, buf, cap);
	ss_tlv_put_hdr(&w, 0x7c, inner);
	ss_tlv_put(&w, 0x82, NULL, 0);
	ss_tlv_put(&w, tag, v, len);
	assert_int_equal(w.err, 0);
	return w.len;
}

/* the value of 82 in a 7C { 82 ... } answer */
static void
ga_result(const struct t *t, uint32_t tag, struct ss_tlv *res)
{
	struct ss_tlv outer;

	assert_int_equal(ss_tlv_expect(t->data, t->dlen, 0x7c, &outer), 0);
	assert_int_equal(ss_tlv_expect(outer.val, outer.len, tag, res), 0);
}

static uint16_t
ga(struct t *t, uint8_t alg, uint8_t ref, uint32_t tag, const uint8_t *v,
    size_t len)
{
	uint8_t buf[1100];

	return cmd(t, INS_GA, alg, ref, buf, ga_req(buf, sizeof(buf), tag, v,
	    len));
}

static void
host_ecb(uint8_t alg, const uint8_t *key, size_t klen, bool enc,
    const uint8_t *in, uint8_t *out, size_t n)
{
	const EVP_CIPHER	*c;
	EVP_CIPHER_CTX		*x = EVP_CIPHER_CTX_new();
	int			 l = 0;

	if (alg == PIV_ALG_3DES)
		c = EVP_des_ede3_ecb();
	else if (klen == 16)
		c = EVP_aes_128_ecb();
	else if (klen == 24)
		c = EVP_aes_192_ecb();
	else
		c = EVP_aes_256_ecb();
	assert_non_null(x);
	assert_int_equal(EVP_CipherInit_ex(x, c, NULL, key, NULL, enc), 1);
	assert_int_equal(EVP_CIPHER_CTX_set_padding(x, 0), 1);
	assert_int_equal(EVP_CipherUpdate(x, out, &l, in, (int)n), 1);
	assert_int_equal((size_t)l, n);
	EVP_CIPHER_CTX_free(x);
}

static void
set_mgmt(struct t *t, uint8_t alg, const uint8_t *key, size_t len)
{
	t->card.mgmt_alg = alg;
	memcpy(t->card.mgmt_key, key, len);
	t->card.mgmt_key_len = len;
}

/* host side of mutual authentication; returns the step-2 SW */
static uint16_t
mutual_auth(struct t *t, uint8_t alg, const uint8_t *key, size_t klen,
    bool with_82)
{
	uint8_t		w[16], c[16], ec[16], body[64];
	size_t		n = alg == PIV_ALG_3DES ? 8 : 16;
	struct ss_tlv	r;
	struct ss_wr	wr;
	uint16_t	sw;

	assert_int_equal(cmd_hex(t, INS_GA, alg, 0x9b, "7C028000"), SW_OK);
	ga_result(t, 0x80, &r);
	assert_int_equal(r.len, n);
	host_ecb(alg, key, klen, false, r.val, w, n);
	assert_int_equal(emu_rand(c, n), 0);
	ss_wr_init(&wr, body, sizeof(body));
	ss_tlv_put_hdr(&wr, 0x7c, 2 * (2 + n) + (with_82 ? 2 : 0));
	ss_tlv_put(&wr, 0x80, w, n);
	ss_tlv_put(&wr, 0x81, c, n);
	if (with_82)
		ss_tlv_put(&wr, 0x82, NULL, 0);
	if ((sw = cmd(t, INS_GA, alg, 0x9b, body, wr.len)) != SW_OK)
		return sw;
	ga_result(t, 0x82, &r);
	assert_int_equal(r.len, n);
	host_ecb(alg, key, klen, true, c, ec, n);
	assert_memory_equal(r.val, ec, n);
	return SW_OK;
}

static uint16_t
external_auth(struct t *t, uint8_t alg, const uint8_t *key, size_t klen)
{
	uint8_t		ec[16], body[32];
	size_t		n = alg == PIV_ALG_3DES ? 8 : 16;
	struct ss_tlv	r;
	struct ss_wr	wr;

	assert_int_equal(cmd_hex(t, INS_GA, alg, 0x9b, "7C028100"), SW_OK);
	ga_result(t, 0x81, &r);
	assert_int_equal(r.len, n);
	host_ecb(alg, key, klen, true, r.val, ec, n);
	ss_wr_init(&wr, body, sizeof(body));
	ss_tlv_put_hdr(&wr, 0x7c, 2 + n);
	ss_tlv_put(&wr, 0x82, ec, n);
	return cmd(t, INS_GA, alg, 0x9b, body, wr.len);
}

static void
admin(struct t *t)
{
	assert_int_equal(mutual_auth(t, PIV_ALG_3DES, default_mgmt, 24,
	    false), SW_OK);
	assert_true(t->ctx.sess.mgmt_authed);
}

/* ---- host-side verification ---- */

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
pkcs1_block(uint8_t *b, size_t n)
{
	memset(b, 0xff, n);
	b[0] = 0x00;
	b[1] = 0x01;
	b[n - 33] = 0x00;
	assert_int_equal(emu_rand(b + n - 32, 32), 0);
}

static void
verify_ecdsa(EVP_PKEY *k, const uint8_t *sig, size_t siglen,
    const uint8_t *h, size_t hlen)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);

	assert_non_null(c);
	assert_int_equal(EVP_PKEY_verify_init(c), 1);
	assert_int_equal(EVP_PKEY_verify(c, sig, siglen, h, hlen), 1);
	EVP_PKEY_CTX_free(c);
}

static void
verify_ed25519(EVP_PKEY *k, const uint8_t *sig, size_t siglen,
    const uint8_t *m, size_t mlen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	assert_non_null(md);
	assert_int_equal(EVP_DigestVerifyInit_ex(md, NULL, NULL, NULL, NULL,
	    k, NULL), 1);
	assert_int_equal(EVP_DigestVerify(md, sig, siglen, m, mlen), 1);
	EVP_MD_CTX_free(md);
}

/* the public key as the card encoded it (7F49 body), rebuilt by the host */
static EVP_PKEY *
host_public(uint8_t alg, const uint8_t *p, size_t len)
{
	OSSL_PARAM_BLD	*bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM	*params = NULL;
	EVP_PKEY_CTX	*c = NULL;
	EVP_PKEY	*pk = NULL;
	BIGNUM		*n = NULL, *e = NULL;
	struct ss_tlv	 a, b;
	const char	*type = "EC";

	assert_non_null(bld);
	if (emu_alg_is_rsa(alg)) {
		type = "RSA";
		assert_int_equal(ss_tlv_find(p, len, 0x81, &a), 0);
		assert_int_equal(ss_tlv_find(p, len, 0x82, &b), 0);
		n = BN_bin2bn(a.val, (int)a.len, NULL);
		e = BN_bin2bn(b.val, (int)b.len, NULL);
		assert_int_equal(OSSL_PARAM_BLD_push_BN(bld,
		    OSSL_PKEY_PARAM_RSA_N, n), 1);
		assert_int_equal(OSSL_PARAM_BLD_push_BN(bld,
		    OSSL_PKEY_PARAM_RSA_E, e), 1);
	} else {
		assert_int_equal(ss_tlv_expect(p, len, 0x86, &a), 0);
		if (!emu_alg_is_ec(alg)) {
			OSSL_PARAM_BLD_free(bld);
			return EVP_PKEY_new_raw_public_key_ex(NULL,
			    alg == PIV_ALG_ED25519 ? "ED25519" : "X25519", NULL,
			    a.val, a.len);
		}
		assert_int_equal(OSSL_PARAM_BLD_push_utf8_string(bld,
		    OSSL_PKEY_PARAM_GROUP_NAME, alg == PIV_ALG_ECCP256 ?
		    "P-256" : "P-384", 0), 1);
		assert_int_equal(OSSL_PARAM_BLD_push_octet_string(bld,
		    OSSL_PKEY_PARAM_PUB_KEY, a.val, a.len), 1);
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	c = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	assert_int_equal(EVP_PKEY_fromdata_init(c), 1);
	assert_int_equal(EVP_PKEY_fromdata(c, &pk, EVP_PKEY_PUBLIC_KEY,
	    params), 1);
	EVP_PKEY_CTX_free(c);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pk;
}

/* sign (or agree) with the slot, check it against pub on the host side */
static void
use_and_check(struct t *t, uint8_t alg, uint8_t ref, EVP_PKEY *pub)
{
	uint8_t		in[512], z[64];
	size_t		n = emu_alg_size(alg), zlen = sizeof(z);
	struct ss_tlv	r;
	uint64_t	ops = t->ctx.cnt.keyops;
	EVP_PKEY	*peer = NULL;

	assert_int_equal(emu_rand(in, sizeof(in)), 0);
	if (emu_alg_is_rsa(alg)) {
		uint8_t back[512];

		pkcs1_block(in, n);
		assert_int_equal(ga(t, alg, ref, 0x81, in, n), SW_OK);
		ga_result(t, 0x82, &r);
		assert_int_equal(r.len, n);
		rsa_public(pub, r.val, n, back);
		assert_memory_equal(back, in, n);
	} else if (emu_alg_is_ec(alg)) {
		assert_int_equal(ga(t, alg, ref, 0x81, in, n), SW_OK);
		ga_result(t, 0x82, &r);
		verify_ecdsa(pub, r.val, r.len, in, n);
	} else if (alg == PIV_ALG_ED25519) {
		assert_int_equal(ga(t, alg, ref, 0x81, in, 100), SW_OK);
		ga_result(t, 0x82, &r);
		assert_int_equal(r.len, 64);
		verify_ed25519(pub, r.val, r.len, in, 100);
	} else {
		uint8_t	raw[32];
		size_t	rawlen = sizeof(raw);

		peer = emu_crypto_keygen(alg);
		assert_int_equal(EVP_PKEY_get_raw_public_key(peer, raw,
		    &rawlen), 1);
		assert_int_equal(ga(t, alg, ref, 0x85, raw, rawlen), SW_OK);
		ga_result(t, 0x82, &r);
		assert_int_equal(r.len, 32);
	}
	if (peer != NULL) {
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, peer, NULL);

		assert_int_equal(EVP_PKEY_derive_init(c), 1);
		assert_int_equal(EVP_PKEY_derive_set_peer(c, pub), 1);
		assert_int_equal(EVP_PKEY_derive(c, z, &zlen), 1);
		assert_int_equal(zlen, r.len);
		assert_memory_equal(z, r.val, zlen);
		EVP_PKEY_CTX_free(c);
		EVP_PKEY_free(peer);
	}
	assert_int_equal(t->ctx.cnt.keyops, ops + 1);
}

/* ---- signatures, decryption, key agreement ---- */

static void
test_sign_every_alg(void **state)
{
	struct t	*t = *state;
	size_t		 i;

	t->ctx.sess.pin_verified = true;
	for (i = 0; i < sizeof(all_asym); i++) {
		set_key(t, 0x9a, all_asym[i], EMU_PIN_POLICY_ONCE);
		use_and_check(t, all_asym[i], 0x9a, key_for(all_asym[i]));
	}
}

static void
test_sign_rsa_pieces(void **state)
{
	struct t	*t = *state;
	uint8_t		 in[512];

	/* RSA-4096: 3 chained chunks in, 516 bytes out in 3 pieces */
	t->ctx.sess.pin_verified = true;
	set_key(t, 0x9a, PIV_ALG_RSA4096, EMU_PIN_POLICY_ONCE);
	pkcs1_block(in, 512);
	assert_int_equal(ga(t, PIV_ALG_RSA4096, 0x9a, 0x81, in, 512), SW_OK);
	assert_int_equal(t->dlen, 4 + 4 + 512);
	assert_int_equal(t->pieces, 3);
	assert_memory_equal(t->data, "\x7c\x82\x02\x04\x82\x82\x02\x00", 8);
}

/* RSA-4096 as one extended APDU (Lc 522, Le 0000): one response of 520
 * bytes, the same signature the chained form gives. */
static void
test_sign_rsa4096_extended(void **state)
{
	struct t	*t = *state;
	uint8_t		 in[512], req[600], apdu[7 + 600 + 2], chained[520];
	size_t		 rlen, n;

	t->ctx.sess.pin_verified = true;
	set_key(t, 0x9a, PIV_ALG_RSA4096, EMU_PIN_POLICY_ONCE);
	pkcs1_block(in, 512);
	assert_int_equal(ga(t, PIV_ALG_RSA4096, 0x9a, 0x81, in, 512), SW_OK);
	assert_int_equal(t->dlen, sizeof(chained));
	memcpy(chained, t->data, sizeof(chained));
	rlen = ga_req(req, sizeof(req), 0x81, in, 512);
	assert_int_equal(rlen, 522);
	memcpy(apdu, "\x00\x87\x16\x9a\x00", 5);
	apdu[5] = (uint8_t)(rlen >> 8);
	apdu[6] = (uint8_t)rlen;
	memcpy(apdu + 7, req, rlen);
	n = 7 + rlen;
	apdu[n++] = 0x00;
	apdu[n++] = 0x00;
	assert_int_equal(xfer(t, apdu, n), SW_OK);
	assert_int_equal(t->resplen, sizeof(chained) + 2);
	assert_memory_equal(t->resp, chained, sizeof(chained));
}

/* Quirk odd-6a80: data ending in an odd byte is refused before any key
 * operation; even data signs; the management key is not affected. */
static void
test_quirk_odd_6a80(void **state)
{
	struct t	*t = *state;
	uint8_t		 hash[32];
	uint64_t	 ops;

	t->ctx.quirks = EMU_QUIRK_ODD_6A80;
	t->ctx.sess.pin_verified = true;
	set_key(t, 0x9a, PIV_ALG_ECCP256, EMU_PIN_POLICY_ONCE);
	memset(hash, 0x42, sizeof(hash));
	hash[31] = 0x01;
	ops = t->ctx.cnt.keyops;
	assert_int_equal(ga(t, PIV_ALG_ECCP256, 0x9a, 0x81, hash, 32),
	    SW_WRONG_DATA);
	assert_int_equal(t->ctx.cnt.keyops, ops);
	hash[31] = 0x02;
	assert_int_equal(ga(t, PIV_ALG_ECCP256, 0x9a, 0x81, hash, 32), SW_OK);
	assert_int_equal(t->ctx.cnt.keyops, ops + 1);
	assert_int_equal(t->ctx.keyop_alg, PIV_ALG_ECCP256);
	t->ctx.quirks = 0;
	hash[31] = 0x01;
	assert_int_equal(ga(t, PIV_ALG_ECCP256, 0x9a, 0x81, hash, 32), SW_OK);
}

static void
test_ecdsa_short_hash(void **state)
{
	struct t	*t = *state;
	uint8_t		 h[32];
	struct ss_tlv	 r;

	/* SHA-256 on P-384, SHA-1 on P-256 */
	t->ctx.sess.pin_verified = true;
	set_key(t, 0x9d, PIV_ALG_ECCP384, EMU_PIN_POLICY_ONCE);
	assert_int_equal(emu_rand(h, sizeof(h)), 0);
	assert_int_equal(ga(t, PIV_ALG_ECCP384, 0x9d, 0x81, h, 32), SW_OK);
	ga_result(t, 0x82, &r);
	verify_ecdsa(key_for(PIV_ALG_ECCP384), r.val, r.len, h, 32);
	set_key(t, 0x9d, PIV_ALG_ECCP256, EMU_PIN_POLICY_ONCE);
	assert_int_equal(ga(t, PIV_ALG_ECCP256, 0x9d, 0x81, h, 20), SW_OK);
	ga_result(t, 0x82, &r);
	verify_ecdsa(key_for(PIV_ALG_ECCP256), r.val, r.len, h, 20);
	/* over the field size: 6A80 */
	assert_int_equal(ga(t, PIV_ALG_ECCP256, 0x9d, 0x81, h, 32), SW_OK);
	{
		uint8_t big[33] = { 0 };

		assert_int_equal(ga(t, PIV_ALG_ECCP256, 0x9d, 0x81, big, 33),
		    SW_WRONG_DATA);
	}
}

static void
test_rsa_decrypt(void **state)
{
	struct t	*t = *state;
	EVP_PKEY	*k = key_for(PIV_ALG_RSA2048);
	EVP_PKEY_CTX	*c = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
	uint8_t		 secret[32], ct[256];
	size_t		 ctlen = sizeof(ct);
	struct ss_tlv	 r;

	/* the host encrypts with PKCS#1 v1.5; the card returns the block */
	t->ctx.sess.pin_verified = true;
	set_key(t, 0x9d, PIV_ALG_RSA2048, EMU_PIN_POLICY_ONCE);
	assert_int_equal(emu_rand(secret, sizeof(secret)), 0);
	assert_int_equal(EVP_PKEY_encrypt_init(c), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING),
	    1);
	assert_int_equal(EVP_PKEY_encrypt(c, ct, &ctlen, secret,
	    sizeof(secret)), 1);
	EVP_PKEY_CTX_free(c);
	assert_int_equal(ga(t, PIV_ALG_RSA2048, 0x9d, 0x81, ct, ctlen), SW_OK);
	ga_result(t, 0x82, &r);
	assert_int_equal(r.len, 256);
	assert_int_equal(r.val[0], 0x00);
	assert_int_equal(r.val[1], 0x02);
	assert_int_equal(r.val[256 - 33], 0x00);
	assert_memory_equal(r.val + 256 - 32, secret, 32);
}

static void
test_ecdh_bad_points(void **state)
{
	struct t	*t = *state;
	EVP_PKEY	*peer = emu_crypto_keygen(PIV_ALG_ECCP256);
	uint8_t		 pt[65];
	size_t		 ptlen = sizeof(pt);
	uint64_t	 ops;

	t->ctx.sess.pin_verified = true;
	set_key(t, 0x9d, PIV_ALG_ECCP256, EMU_PIN_POLICY_ONCE);
	assert_int_equal(EVP_PKEY_get_octet_string_param(peer,
	    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof(pt), &ptlen), 1);
	ops = t->ctx.cnt.keyops;
	assert_int_equal(ga(t, PIV_ALG_ECCP256, 0x9d, 0x85, pt, ptlen), SW_OK);
	pt[40] ^= 0x10;		/* off the curve */
	assert_int_equal(ga(t, PIV_ALG_ECCP256, 0x9d, 0x85, pt, ptlen),
	    SW_WRONG_DATA);
	pt[40] ^= 0x10;
	pt[0] = 0x02;		/* compressed form */
	assert_int_equal(ga(t, PIV_ALG_ECCP256, 0x9d, 0x85, pt, 33),
	    SW_WRONG_DATA);
	pt[0] = 0x04;
	assert_int_equal(ga(t, PIV_ALG_ECCP256, 0x9d, 0x85, pt, 64),
	    SW_WRONG_DATA);
	assert_int_equal(t->ctx.cnt.keyops, ops + 1);
	EVP_PKEY_free(peer);
}

/* ---- PIN policies ---- */

static void
test_pin_always(void **state)
{
	struct t	*t = *state;
	uint8_t		 h[32];

	set_key(t, 0x9c, PIV_ALG_ECCP256, EMU_PIN_POLICY_ALWAYS);
	assert_int_equal(emu_rand(h, sizeof(h)), 0);
	/* nothing verified */
	assert_int_equal(ga(t, PIV_ALG_ECCP256, 0x9c, 0x81, h, 32),
	    SW_SECURITY);
	/* verified: one signature, then 6982 until the next VERIFY */
	t->ctx.sess.pin_verified = true;
	t->ctx.sess.pin_always_ok = true;
	assert_int_equal(ga(t, PIV_ALG_ECCP256, 0x9c, 0x81, h, 32), SW_OK);
	assert_false(t->ctx.sess.pin_always_ok);
	assert_int_equal(ga(t, PIV_ALG_ECCP256, 0x9c, 0x81, h, 32),
	    SW_SECURITY);
	/* a real VERIFY re-arms it */
	assert_int_equal(cmd_hex(t, 0x20, 0x00, 0x80,
	    "313233343536FFFF"), SW_OK);
	assert_int_equal(ga(t, PIV_ALG_ECCP256, 0x9c, 0x81, h, 32), SW_OK);
	assert_int_equal(ga(t, PIV_ALG_ECCP256, 0x9c, 0x81, h, 32),
	    SW_SECURITY);
	/* pin_always_ok alone (no PIN verified) is not enough */
	t->ctx.sess.pin_verified = false;
	t->ctx.sess.pin_always_ok = true;
	assert_int_equal(ga(t, PIV_ALG_ECCP256, 0x9c, 0x81, h, 32),
	    SW_SECURITY);
	/* a malformed attempt uses the VERIFY up too */
	t->ctx.sess.pin_verified = true;
	t->ctx.sess.pin_always_ok = true;
	assert_int_equal(cmd_hex(t, INS_GA, PIV_ALG_ECCP256, 0x9c, "7C00"),
	    SW_WRONG_DATA);
	assert_int_equal(ga(t, PIV_ALG_ECCP256, 0x9c, 0x81, h, 32),
	    SW_SECURITY);
}

static void
test_pin_once_never(void **state)
{
	struct t	*t = *state;
	uint8_t		 h[32];

	assert_int_equal(emu_rand(h, sizeof(h)), 0);
	set_key(t, 0x9a, PIV_ALG_ECCP256, EMU_PIN_POLICY_ONCE);
	set_key(t, 0x9e, PIV_ALG_ECCP256, EMU_PIN_POLICY_NEVER);
	assert_int_equal(ga(t, PIV_ALG_ECCP256, 0x9a, 0x81, h, 32),
	    SW_SECURITY);
	assert_int_equal(ga(t, PIV_ALG_ECCP256, 0x9e, 0x81, h, 32), SW_OK);
	assert_int_equal(ga(t, PIV_ALG_ECCP256, 0x9e, 0x81, h, 32), SW_OK);
	t->ctx.sess.pin_verified = true;
	assert_int_equal(ga(t, PIV_ALG_ECCP256, 0x9a, 0x81, h, 32), SW_OK);
	assert_int_equal(ga(t, PIV_ALG_ECCP256, 0x9a, 0x81, h, 32), SW_OK);
	/* power off forgets the PIN */
	emu_power_on(&t->ctx);
	select_piv(t);
	assert_int_equal(ga(t, PIV_ALG_ECCP256, 0x9a, 0x81, h, 32),
	    SW_SECURITY);
}

/* ---- parameters ---- */

static void
test_p1_p2(void **state)
{
	struct t	*t = *state;
	uint8_t		 h[32] = { 1 };
	static const uint8_t not_refs[] = { 0x00, 0x04, 0x80, 0x81, 0x96,
	    0x9f, 0xf9, 0xff };
	size_t		 i;

	t->ctx.sess.pin_verified = true;
	set_key(t, 0x9a, PIV_ALG_ECCP256, EMU_PIN_POLICY_ONCE);
	/* P1 must name the key's algorithm */
	assert_int_equal(ga(t, PIV_ALG_ECCP384, 0x9a, 0x81, h, 32),
	    SW_WRONG_DATA);
	assert_int_equal(ga(t, PIV_ALG_RSA2048, 0x9a, 0x81, h, 32),
	    SW_WRONG_DATA);
	/* empty slot */
	assert_int_equal(ga(t, PIV_ALG_ECCP256, 0x9d, 0x81, h, 32),
	    SW_NOT_FOUND);
	assert_int_equal(ga(t, PIV_ALG_ECCP256, 0x95, 0x81, h, 32),
	    SW_NOT_FOUND);
	/* not a key reference (F9 signs only attestations) */
	for (i = 0; i < sizeof(not_refs); i++)
		assert_int_equal(ga(t, PIV_ALG_ECCP256, not_refs[i], 0x81, h,
		    32), SW_P1P2);
	/* management key with the wrong algorithm */
	assert_int_equal(cmd_hex(t, INS_GA, PIV_ALG_AES128, 0x9b,
	    "7C028000"), SW_WRONG_DATA);
	assert_int_equal(cmd_hex(t, INS_GA, 0x00, 0x9b, "7C028000"),
	    SW_WRONG_DATA);
}

static const char *const bad_sign_p256[] = {
	"",					/* no data */
	"7C00",					/* empty template */
	"7C228120" "0000000000000000000000000000000000000000000000000000000000000000",
						/* missing 82 */
	"7C25820100" "8120" "0000000000000000000000000000000000000000000000000000000000000000",
						/* 82 not empty */
	"7C04" "8200" "8100",			/* empty 81 */
	"7C08" "8200" "810101" "850101",	/* 81 and 85 */
	"7C07" "8200" "8200" "810101",		/* duplicate 82 */
	"7C08" "8200" "830101" "810101",	/* unknown tag 83 */
	"7C08" "8200" "800101" "810101",	/* a witness */
	"7C05" "8200" "810101" "00",		/* trailing garbage */
	"7C06" "8200" "810101",			/* outer length too long */
	"7C04" "8200" "810101",			/* outer length too short */
	"7C05" "8200" "810201",			/* inner length lies */
	"7D05" "8200" "810101",			/* wrong outer tag */
	"7F7C05" "8200" "810101",		/* two-byte outer tag */
	"7C09" "8200" "818400000001" "01",	/* 4-byte length form */
	"7C83" "000005" "8200" "810101",	/* 3-byte length, fine but */
	"7C028100",				/* challenge request */
	"7C028000",				/* witness request */
	"7C028200",				/* only 82 00 */
	"7C04" "8200" "8500",			/* empty 85 */
	"7C05" "8200" "1F810101",		/* bad tag encoding */
};

static void
test_malformed_sign(void **state)
{
	struct t	*t = *state;
	uint8_t		 b[128];
	size_t		 i, n;
	uint64_t	 ops;

	t->ctx.sess.pin_verified = true;
	set_key(t, 0x9a, PIV_ALG_ECCP256, EMU_PIN_POLICY_ONCE);
	ops = t->ctx.cnt.keyops;
	for (i = 0; i < sizeof(bad_sign_p256) / sizeof(bad_sign_p256[0]);
	    i++) {
		assert_int_equal(ss_hex_decode(bad_sign_p256[i], b, sizeof(b),
		    &n), 0);
		if (strncmp(bad_sign_p256[i], "7C83", 4) == 0) {
			/* non-minimal long lengths are legal BER */
			assert_int_equal(cmd(t, INS_GA, PIV_ALG_ECCP256, 0x9a,
			    b, n), SW_OK);
			continue;
		}
		assert_int_equal(cmd(t, INS_GA, PIV_ALG_ECCP256, 0x9a, b, n),
		    SW_WRONG_DATA);
	}
	assert_int_equal(t->ctx.cnt.keyops, ops + 1);
}

static void
test_truncations(void **state)
{
	struct t	*t = *state;
	uint8_t		 in[256], body[300];
	size_t		 len, i;

	t->ctx.sess.pin_verified = true;
	set_key(t, 0x9a, PIV_ALG_RSA2048, EMU_PIN_POLICY_ONCE);
	pkcs1_block(in, 256);
	len = ga_req(body, sizeof(body), 0x81, in, 256);
	for (i = 0; i < len; i += (i < 12 ? 1 : 37))
		assert_int_equal(cmd(t, INS_GA, PIV_ALG_RSA2048, 0x9a, body,
		    i), SW_WRONG_DATA);
	assert_int_equal(cmd(t, INS_GA, PIV_ALG_RSA2048, 0x9a, body, len),
	    SW_OK);
	/* one byte more than the template */
	body[len] = 0x00;
	assert_int_equal(cmd(t, INS_GA, PIV_ALG_RSA2048, 0x9a, body, len + 1),
	    SW_WRONG_DATA);
}

static void
test_wrong_sizes(void **state)
{
	struct t	*t = *state;
	uint8_t		 in[600];
	size_t		 i;

	t->ctx.sess.pin_verified = true;
	memset(in, 0, sizeof(in));
	for (i = 0; i < 4; i++) {
		uint8_t alg = all_asym[i];
		size_t	n = emu_alg_size(alg);

		set_key(t, 0x9a, alg, EMU_PIN_POLICY_ONCE);
		assert_int_equal(ga(t, alg, 0x9a, 0x81, in, n - 1),
		    SW_WRONG_DATA);
		assert_int_equal(ga(t, alg, 0x9a, 0x81, in, n + 1),
		    SW_WRONG_DATA);
		memset(in, 0xff, n);	/* >= n */
		assert_int_equal(ga(t, alg, 0x9a, 0x81, in, n),
		    SW_WRONG_DATA);
		memset(in, 0, sizeof(in));
		/* RSA has no key agreement */
		assert_int_equal(ga(t, alg, 0x9a, 0x85, in, 65),
		    SW_WRONG_DATA);
	}
	set_key(t, 0x9a, PIV_ALG_X25519, EMU_PIN_POLICY_ONCE);
	assert_int_equal(ga(t, PIV_ALG_X25519, 0x9a, 0x81, in, 32),
	    SW_WRONG_DATA);
	assert_int_equal(ga(t, PIV_ALG_X25519, 0x9a, 0x85, in, 31),
	    SW_WRONG_DATA);
	set_key(t, 0x9a, PIV_ALG_ED25519, EMU_PIN_POLICY_ONCE);
	assert_int_equal(ga(t, PIV_ALG_ED25519, 0x9a, 0x85, in, 32),
	    SW_WRONG_DATA);
	/* Ed25519 takes the whole message, even a long one */
	assert_int_equal(ga(t, PIV_ALG_ED25519, 0x9a, 0x81, in, 600), SW_OK);
}

/* ---- management key ---- */

struct mgmt_case {
	uint8_t		alg;
	size_t		klen;
};

static const struct mgmt_case mgmt_cases[] = {
	{ PIV_ALG_3DES, 24 }, { PIV_ALG_AES128, 16 }, { PIV_ALG_AES192, 24 },
	{ PIV_ALG_AES256, 32 },
};

static void
test_mgmt_mutual(void **state)
{
	struct t	*t = *state;
	uint8_t		 key[32];
	size_t		 i;
	uint64_t	 ops = t->ctx.cnt.keyops;

	for (i = 0; i < sizeof(mgmt_cases) / sizeof(mgmt_cases[0]); i++) {
		assert_int_equal(emu_rand(key, sizeof(key)), 0);
		set_mgmt(t, mgmt_cases[i].alg, key, mgmt_cases[i].klen);
		t->ctx.sess.mgmt_authed = false;
		assert_int_equal(mutual_auth(t, mgmt_cases[i].alg, key,
		    mgmt_cases[i].klen, false), SW_OK);
		assert_true(t->ctx.sess.mgmt_authed);
		/* SP 800-73-4 form with an empty 82 in step 2 */
		t->ctx.sess.mgmt_authed = false;
		assert_int_equal(mutual_auth(t, mgmt_cases[i].alg, key,
		    mgmt_cases[i].klen, true), SW_OK);
		assert_true(t->ctx.sess.mgmt_authed);
		assert_int_equal(t->ctx.sess.mgmt_state, 0);
	}
	/* management-key crypto is not counted as a key operation */
	assert_int_equal(t->ctx.cnt.keyops, ops);
}

static void
test_mgmt_external(void **state)
{
	struct t	*t = *state;
	uint8_t		 key[32];
	size_t		 i;

	for (i = 0; i < sizeof(mgmt_cases) / sizeof(mgmt_cases[0]); i++) {
		assert_int_equal(emu_rand(key, sizeof(key)), 0);
		set_mgmt(t, mgmt_cases[i].alg, key, mgmt_cases[i].klen);
		t->ctx.sess.mgmt_authed = false;
		assert_int_equal(external_auth(t, mgmt_cases[i].alg, key,
		    mgmt_cases[i].klen), SW_OK);
		assert_int_equal(t->dlen, 0);
		assert_true(t->ctx.sess.mgmt_authed);
	}
}

static void
test_mgmt_default_key(void **state)
{
	struct t *t = *state;

	/* the factory card: 3DES 0102..08 x3 */
	admin(t);
	t->ctx.sess.mgmt_authed = false;
	assert_int_equal(external_auth(t, PIV_ALG_3DES, default_mgmt, 24),
	    SW_OK);
	assert_true(t->ctx.sess.mgmt_authed);
}

static void
test_mgmt_wrong_key(void **state)
{
	struct t	*t = *state;
	uint8_t		 other[24];

	memcpy(other, default_mgmt, 24);
	other[23] ^= 0x55;
	assert_int_equal(mutual_auth(t, PIV_ALG_3DES, other, 24, false),
	    SW_SECURITY);
	assert_false(t->ctx.sess.mgmt_authed);
	assert_int_equal(t->ctx.sess.mgmt_state, 0);
	assert_int_equal(external_auth(t, PIV_ALG_3DES, other, 24),
	    SW_SECURITY);
	assert_false(t->ctx.sess.mgmt_authed);
}

static void
test_mgmt_sequence_errors(void **state)
{
	struct t	*t = *state;
	struct ss_tlv	 r;
	uint8_t		 w[8], body[32];
	struct ss_wr	 wr;

	/* step 2 with no step 1 */
	assert_int_equal(cmd_hex(t, INS_GA, 3, 0x9b,
	    "7C14" "80080000000000000000" "81080000000000000000"),
	    SW_SECURITY);
	assert_int_equal(cmd_hex(t, INS_GA, 3, 0x9b,
	    "7C0A" "82080000000000000000"), SW_SECURITY);
	/* a good witness, but after a failed try it is gone */
	assert_int_equal(cmd_hex(t, INS_GA, 3, 0x9b, "7C028000"), SW_OK);
	ga_result(t, 0x80, &r);
	host_ecb(PIV_ALG_3DES, default_mgmt, 24, false, r.val, w, 8);
	assert_int_equal(cmd_hex(t, INS_GA, 3, 0x9b,
	    "7C14" "80080000000000000000" "81080000000000000000"),
	    SW_SECURITY);
	ss_wr_init(&wr, body, sizeof(body));
	ss_tlv_put_hdr(&wr, 0x7c, 20);
	ss_tlv_put(&wr, 0x80, w, 8);
	ss_tlv_put(&wr, 0x81, w, 8);
	assert_int_equal(cmd(t, INS_GA, 3, 0x9b, body, wr.len), SW_SECURITY);
	assert_false(t->ctx.sess.mgmt_authed);
	/* right witness, wrong sizes: 6A80, and the witness is gone */
	assert_int_equal(cmd_hex(t, INS_GA, 3, 0x9b, "7C028000"), SW_OK);
	ga_result(t, 0x80, &r);
	host_ecb(PIV_ALG_3DES, default_mgmt, 24, false, r.val, w, 8);
	ss_wr_init(&wr, body, sizeof(body));
	ss_tlv_put_hdr(&wr, 0x7c, 19);
	ss_tlv_put(&wr, 0x80, w, 8);
	ss_tlv_put(&wr, 0x81, w, 7);
	assert_int_equal(cmd(t, INS_GA, 3, 0x9b, body, wr.len),
	    SW_WRONG_DATA);
	ss_wr_init(&wr, body, sizeof(body));
	ss_tlv_put_hdr(&wr, 0x7c, 20);
	ss_tlv_put(&wr, 0x80, w, 8);
	ss_tlv_put(&wr, 0x81, w, 8);
	assert_int_equal(cmd(t, INS_GA, 3, 0x9b, body, wr.len), SW_SECURITY);
	/* external response while a witness is pending */
	assert_int_equal(cmd_hex(t, INS_GA, 3, 0x9b, "7C028000"), SW_OK);
	assert_int_equal(cmd_hex(t, INS_GA, 3, 0x9b,
	    "7C0A" "82080000000000000000"), SW_SECURITY);
	/* malformed 9B templates */
	assert_int_equal(cmd_hex(t, INS_GA, 3, 0x9b, "7C028500"),
	    SW_WRONG_DATA);
	assert_int_equal(cmd_hex(t, INS_GA, 3, 0x9b, "7C0480008100"),
	    SW_WRONG_DATA);
	assert_int_equal(cmd_hex(t, INS_GA, 3, 0x9b, "7C03800000"),
	    SW_WRONG_DATA);
	assert_int_equal(cmd_hex(t, INS_GA, 3, 0x9b, "7C0280"),
	    SW_WRONG_DATA);
	assert_int_equal(cmd_hex(t, INS_GA, 3, 0x9b, "7C02800000"),
	    SW_WRONG_DATA);
	assert_int_equal(cmd_hex(t, INS_GA, 3, 0x9b, ""), SW_WRONG_DATA);
	assert_int_equal(cmd_hex(t, INS_GA, 3, 0x9b, "7C0482008000"),
	    SW_WRONG_DATA);
	assert_int_equal(cmd_hex(t, INS_GA, 3, 0x9b,
	    "7C0C" "82080000000000000000" "8100"), SW_WRONG_DATA);
	assert_false(t->ctx.sess.mgmt_authed);
}

static void
test_mgmt_replay_and_restart(void **state)
{
	struct t	*t = *state;
	struct ss_tlv	 r;
	uint8_t		 w[8], body[32], saved[32];
	struct ss_wr	 wr;

	assert_int_equal(cmd_hex(t, INS_GA, 3, 0x9b, "7C028000"), SW_OK);
	ga_result(t, 0x80, &r);
	host_ecb(PIV_ALG_3DES, default_mgmt, 24, false, r.val, w, 8);
	ss_wr_init(&wr, body, sizeof(body));
	ss_tlv_put_hdr(&wr, 0x7c, 20);
	ss_tlv_put(&wr, 0x80, w, 8);
	ss_tlv_put(&wr, 0x81, w, 8);
	memcpy(saved, body, wr.len);
	assert_int_equal(cmd(t, INS_GA, 3, 0x9b, body, wr.len), SW_OK);
	assert_true(t->ctx.sess.mgmt_authed);
	/* the same step 2 again: the witness was used up */
	assert_int_equal(cmd(t, INS_GA, 3, 0x9b, saved, wr.len), SW_SECURITY);
	assert_false(t->ctx.sess.mgmt_authed);
	/* starting a new exchange drops an earlier authentication */
	admin(t);
	assert_int_equal(cmd_hex(t, INS_GA, 3, 0x9b, "7C028100"), SW_OK);
	assert_false(t->ctx.sess.mgmt_authed);
	/* a reset forgets a pending challenge */
	emu_power_on(&t->ctx);
	select_piv(t);
	assert_int_equal(cmd_hex(t, INS_GA, 3, 0x9b,
	    "7C0A" "82080000000000000000"), SW_SECURITY);
}

/* ---- GENERATE ---- */

static uint16_t
gen(struct t *t, uint8_t ref, uint8_t alg, int pin, int touch)
{
	uint8_t		body[16];
	struct ss_wr	w;
	size_t		inner = 3u + (pin >= 0 ? 3u : 0u) +
			    (touch >= 0 ? 3u : 0u);

	ss_wr_init(&w, body, sizeof(body));
	ss_tlv_put_hdr(&w, 0xac, inner);
	ss_tlv_put(&w, 0x80, &alg, 1);
	if (pin >= 0)
		ss_wr_bytes(&w, (uint8_t []){ 0xaa, 0x01, (uint8_t)pin }, 3);
	if (touch >= 0)
		ss_wr_bytes(&w, (uint8_t []){ 0xab, 0x01, (uint8_t)touch }, 3);
	return cmd(t, INS_GEN, 0x00, ref, body, w.len);
}

static void
test_generate_every_alg(void **state)
{
	struct t	*t = *state;
	struct emu_key	*k = emu_card_key(&t->card, 0x9a);
	struct ss_tlv	 tpl;
	EVP_PKEY	*pub;
	size_t		 i;

	admin(t);
	t->ctx.sess.pin_verified = true;
	for (i = 0; i < sizeof(all_asym); i++) {
		t->card.dirty = false;
		assert_int_equal(gen(t, 0x9a, all_asym[i], -1, -1), SW_OK);
		assert_int_equal(ss_tlv_expect(t->data, t->dlen, 0x7f49, &tpl),
		    0);
		pub = host_public(all_asym[i], tpl.val, tpl.len);
		assert_non_null(pub);
		assert_int_equal(EVP_PKEY_eq(pub, k->pkey), 1);
		assert_int_equal(k->alg, all_asym[i]);
		assert_int_equal(k->origin, EMU_ORIGIN_GENERATED);
		assert_int_equal(k->pin_policy, EMU_PIN_POLICY_ONCE);
		assert_int_equal(k->touch_policy, EMU_TOUCH_POLICY_NEVER);
		assert_true(t->card.dirty);
		use_and_check(t, all_asym[i], 0x9a, pub);
		EVP_PKEY_free(pub);
	}
}

static void
test_generate_policies(void **state)
{
	struct t *t = *state;
	static const struct {
		uint8_t	ref;
		int	pin, touch;
		uint8_t	want_pin, want_touch;
	} c[] = {
		{ 0x9a, -1, -1, EMU_PIN_POLICY_ONCE, EMU_TOUCH_POLICY_NEVER },
		{ 0x9c, -1, -1, EMU_PIN_POLICY_ALWAYS, EMU_TOUCH_POLICY_NEVER },
		{ 0x9d, 0, 0, EMU_PIN_POLICY_ONCE, EMU_TOUCH_POLICY_NEVER },
		{ 0x9e, -1, -1, EMU_PIN_POLICY_NEVER, EMU_TOUCH_POLICY_NEVER },
		{ 0x82, -1, -1, EMU_PIN_POLICY_ONCE, EMU_TOUCH_POLICY_NEVER },
		{ 0x95, 3, 2, EMU_PIN_POLICY_ALWAYS, EMU_TOUCH_POLICY_ALWAYS },
		{ 0x9c, 1, 3, EMU_PIN_POLICY_NEVER, EMU_TOUCH_POLICY_CACHED },
		{ 0xf9, -1, -1, EMU_PIN_POLICY_NEVER, EMU_TOUCH_POLICY_NEVER },
	};
	size_t		 i;
	struct emu_key	*k;

	admin(t);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		assert_int_equal(gen(t, c[i].ref, PIV_ALG_ECCP256, c[i].pin,
		    c[i].touch), SW_OK);
		k = emu_card_key(&t->card, c[i].ref);
		assert_int_equal(k->pin_policy, c[i].want_pin);
		assert_int_equal(k->touch_policy, c[i].want_touch);
	}
	/* out-of-range policies */
	assert_int_equal(gen(t, 0x9a, PIV_ALG_ECCP256, 4, -1), SW_WRONG_DATA);
	assert_int_equal(gen(t, 0x9a, PIV_ALG_ECCP256, -1, 4), SW_WRONG_DATA);
	assert_int_equal(gen(t, 0x9a, PIV_ALG_ECCP256, 0xff, -1),
	    SW_WRONG_DATA);
}

static void
test_generate_replaces(void **state)
{
	struct t	*t = *state;
	struct emu_key	*k = emu_card_key(&t->card, 0x9d);
	EVP_PKEY	*old;

	admin(t);
	assert_int_equal(gen(t, 0x9d, PIV_ALG_ECCP256, -1, -1), SW_OK);
	old = k->pkey;
	assert_int_equal(EVP_PKEY_up_ref(old), 1);
	assert_int_equal(gen(t, 0x9d, PIV_ALG_ED25519, -1, -1), SW_OK);
	assert_int_equal(k->alg, PIV_ALG_ED25519);
	assert_int_not_equal(EVP_PKEY_eq(old, k->pkey), 1);
	/* a failed GENERATE leaves the slot alone */
	assert_int_equal(gen(t, 0x9d, 0x03, -1, -1), SW_WRONG_DATA);
	assert_int_equal(k->alg, PIV_ALG_ED25519);
	EVP_PKEY_free(old);
}

static const char *const bad_gen[] = {
	"",
	"AC00",
	"AC03800103",			/* 3DES */
	"AC03800100",
	"AC03800112",
	"AC038001FF",
	"AC0480021100",			/* alg length 2 */
	"AC028000",			/* alg length 0 */
	"AC06800111800111",		/* alg twice */
	"AC03AA0102",			/* no alg */
	"AC06800111AA02",		/* policy length lies */
	"AC07800111AA020202",		/* policy length 2 */
	"AC09800111AA0102AA0102",	/* policy twice */
	"AC06800111810100",		/* unknown tag */
	"AC0380011100",			/* trailing byte */
	"AC0480011100",			/* outer length lies (long) */
	"AC02800111",			/* outer length lies (short) */
	"AB03800111",			/* wrong outer tag */
	"AC03800211",			/* inner length lies */
	"7F4903800111",			/* wrong outer tag */
	"AC8403000000800111",		/* 4-byte length */
};

static void
test_generate_errors(void **state)
{
	struct t	*t = *state;
	uint8_t		 b[64];
	size_t		 i, n;
	static const uint8_t bad_refs[] = { 0x00, 0x04, 0x80, 0x81, 0x96,
	    0x9b, 0x9f, 0xff };

	/* no management key authentication */
	assert_int_equal(gen(t, 0x9a, PIV_ALG_ECCP256, -1, -1), SW_SECURITY);
	admin(t);
	for (i = 0; i < sizeof(bad_refs); i++)
		assert_int_equal(gen(t, bad_refs[i], PIV_ALG_ECCP256, -1, -1),
		    SW_P1P2);
	assert_int_equal(cmd_hex(t, INS_GEN, 0x01, 0x9a, "AC03800111"),
	    SW_P1P2);
	for (i = 0; i < sizeof(bad_gen) / sizeof(bad_gen[0]); i++) {
		assert_int_equal(ss_hex_decode(bad_gen[i], b, sizeof(b), &n),
		    0);
		assert_int_equal(cmd(t, INS_GEN, 0x00, 0x9a, b, n),
		    SW_WRONG_DATA);
	}
	assert_null(emu_card_key(&t->card, 0x9a)->pkey);
	assert_int_equal(cmd_hex(t, INS_GEN, 0x00, 0x9a, "AC03800111"), SW_OK);
}

/* ---- robustness ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static size_t
mutate(uint8_t *buf, size_t len, size_t cap)
{
	size_t i, n;

	switch (rnd() % 6) {
	case 0:				/* bit flips */
		n = 1 + rnd() % 4;
		for (i = 0; i < n && len > 0; i++)
			buf[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
		return len;
	case 1:				/* truncate */
		return len > 0 ? rnd() % len : 0;
	case 2:				/* extend */
		n = len + 1 + rnd() % 16;
		n = n > cap ? cap : n;
		for (i = len; i < n; i++)
			buf[i] = (uint8_t)rnd();
		return n;
	case 3:				/* byte replaced */
		if (len > 0)
			buf[rnd() % len] = (uint8_t)rnd();
		return len;
	case 4:				/* a length byte lies */
		if (len > 1)
			buf[1 + rnd() % (len - 1)] =
			    (uint8_t)(0x7c + rnd() % 8);
		return len;
	default:			/* random */
		n = rnd() % (cap < 600 ? cap : 600);
		for (i = 0; i < n; i++)
			buf[i] = (uint8_t)rnd();
		return n;
	}
}

/* call the handler on an exact-size heap copy, check the answer's shape */
static uint16_t
fuzz_call(struct t *t, emu_handler *h, uint8_t ins, uint8_t p1, uint8_t p2,
    const uint8_t *body, size_t len, uint8_t *out, size_t outcap)
{
	struct ss_apdu	 a;
	struct ss_wr	 w;
	uint8_t		*copy = NULL;
	uint16_t	 sw;

	memset(&a, 0, sizeof(a));
	if (len > 0) {
		copy = malloc(len);
		assert_non_null(copy);
		memcpy(copy, body, len);
	}
	a.ins = ins;
	a.p1 = p1;
	a.p2 = p2;
	a.data = copy;
	a.lc = len;
	ss_wr_init(&w, out, outcap);
	sw = h(&t->ctx, &a, &w);
	assert_true(w.len <= outcap);
	if (sw != SW_OK)
		assert_true(sw == SW_SECURITY || sw == SW_WRONG_DATA ||
		    sw == SW_P1P2 || sw == SW_NOT_FOUND);
	free(copy);
	return sw;
}

static size_t
seed_ga(uint8_t *buf, size_t cap, uint8_t *p1, uint8_t *p2)
{
	static const uint8_t refs[] = { 0x9a, 0x9c, 0x9d, 0x9e, 0x82, 0x83 };
	static const uint8_t algs[] = { PIV_ALG_RSA1024, PIV_ALG_ECCP256,
	    PIV_ALG_ECCP384, PIV_ALG_ED25519, PIV_ALG_X25519, PIV_ALG_ECCP256 };
	uint8_t	v[128];
	size_t	i = rnd() % (sizeof(refs) + 1), n;

	assert_int_equal(emu_rand(v, sizeof(v)), 0);
	if (i == sizeof(refs)) {	/* management key steps */
		static const char *const m[] = { "7C028000", "7C028100",
		    "7C14" "8008" "0000000000000000" "8108" "0000000000000000",
		    "7C0A" "8208" "0000000000000000" };

		*p1 = PIV_ALG_3DES;
		*p2 = 0x9b;
		assert_int_equal(ss_hex_decode(m[rnd() % 4], buf, cap, &n), 0);
		return n;
	}
	*p1 = algs[i];
	*p2 = refs[i];
	n = emu_alg_size(algs[i]);
	if (algs[i] == PIV_ALG_RSA1024)
		v[0] = 0;
	if (algs[i] == PIV_ALG_X25519 || (emu_alg_is_ec(algs[i]) &&
	    rnd() % 2)) {
		if (emu_alg_is_ec(algs[i])) {
			v[0] = 0x04;
			n = 1 + 2 * n;
		}
		return ga_req(buf, cap, 0x85, v, n);
	}
	return ga_req(buf, cap, 0x81, v, n);
}

static void
test_fuzz_general_auth(void **state)
{
	struct t	*t = *state;
	uint8_t		*buf = malloc(1024), *out = malloc(16384);
	uint8_t		 p1, p2;
	size_t		 i, len;
	unsigned	 ok = 0;

	assert_non_null(buf);
	assert_non_null(out);
	set_key(t, 0x9a, PIV_ALG_RSA1024, EMU_PIN_POLICY_ONCE);
	set_key(t, 0x9c, PIV_ALG_ECCP256, EMU_PIN_POLICY_ALWAYS);
	set_key(t, 0x9d, PIV_ALG_ECCP384, EMU_PIN_POLICY_ONCE);
	set_key(t, 0x9e, PIV_ALG_ED25519, EMU_PIN_POLICY_NEVER);
	set_key(t, 0x82, PIV_ALG_X25519, EMU_PIN_POLICY_ONCE);
	for (i = 0; i < FUZZ_GA; i++) {
		len = seed_ga(buf, 1024, &p1, &p2);
		if (rnd() % 8 != 0)
			len = mutate(buf, len, 1024);
		if (rnd() % 16 == 0)
			p1 = (uint8_t)rnd();
		if (rnd() % 16 == 0)
			p2 = (uint8_t)rnd();
		t->ctx.sess.pin_verified = rnd() % 4 != 0;
		t->ctx.sess.pin_always_ok = rnd() % 2;
		if (fuzz_call(t, emu_general_auth, INS_GA, p1, p2, buf, len,
		    out, 16384) == SW_OK)
			ok++;
	}
	print_message("general authenticate: %zu bodies, %u answered 9000\n",
	    (size_t)FUZZ_GA, ok);
	assert_true(ok > 100);
	free(buf);
	free(out);
}

/* no RSA key generation in the loop: it would take minutes */
static void
no_rsa_alg(uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (emu_alg_is_rsa(buf[i]))
			buf[i] = PIV_ALG_ECCP256;
}

static void
test_fuzz_generate(void **state)
{
	struct t	*t = *state;
	static const char *const seeds[] = { "AC03800111", "AC03800114",
	    "AC038001E0", "AC038001E1", "AC09800111AA0102AB0102",
	    "AC06800111AA0103", "AC06800111AB0103" };
	static const uint8_t refs[] = { 0x9a, 0x9c, 0x9d, 0x9e, 0x82, 0x95,
	    0xf9 };
	uint8_t		*buf = malloc(1024), *out = malloc(16384);
	size_t		 i, len;
	uint8_t		 p1, p2;
	unsigned	 ok = 0;

	assert_non_null(buf);
	assert_non_null(out);
	for (i = 0; i < FUZZ_GEN; i++) {
		assert_int_equal(ss_hex_decode(seeds[rnd() % 7], buf, 1024,
		    &len), 0);
		if (rnd() % 8 != 0)
			len = mutate(buf, len, 1024);
		no_rsa_alg(buf, len);
		p1 = rnd() % 16 == 0 ? (uint8_t)rnd() : 0;
		p2 = rnd() % 16 == 0 ? (uint8_t)rnd() : refs[rnd() % 7];
		t->ctx.sess.mgmt_authed = rnd() % 4 != 0;
		if (fuzz_call(t, emu_generate, INS_GEN, p1, p2, buf, len, out,
		    16384) == SW_OK)
			ok++;
	}
	print_message("generate: %zu bodies, %u answered 9000\n",
	    (size_t)FUZZ_GEN, ok);
	assert_true(ok > 100);
	free(buf);
	free(out);
}

/* the same through the engine, chained, random CLA/P1/P2/Le */
static void
test_fuzz_engine(void **state)
{
	struct t	*t = *state;
	uint8_t		 body[1024], apdu[300];
	size_t		 i, len, n;
	uint8_t		 p1, p2;

	set_key(t, 0x9a, PIV_ALG_RSA1024, EMU_PIN_POLICY_ONCE);
	set_key(t, 0x9c, PIV_ALG_ECCP256, EMU_PIN_POLICY_ALWAYS);
	set_key(t, 0x9d, PIV_ALG_ECCP384, EMU_PIN_POLICY_ONCE);
	for (i = 0; i < 5000; i++) {
		len = seed_ga(body, sizeof(body), &p1, &p2);
		len = mutate(body, len, sizeof(body));
		t->ctx.sess.pin_verified = rnd() % 2;
		(void)cmd(t, INS_GA, p1, p2, body, len);
		/* and one raw random APDU for GA or GENERATE */
		n = 4 + rnd() % (sizeof(apdu) - 4);
		apdu[0] = (uint8_t)(rnd() % 3 == 0 ? 0x10 : 0x00);
		apdu[1] = rnd() % 2 ? INS_GA : INS_GEN;
		for (len = 2; len < n; len++)
			apdu[len] = (uint8_t)rnd();
		no_rsa_alg(apdu + 2, n - 2);
		(void)xfer(t, apdu, n);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sign_every_alg, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_sign_rsa_pieces, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_sign_rsa4096_extended,
		    setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_quirk_odd_6a80, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_ecdsa_short_hash, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_rsa_decrypt, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_ecdh_bad_points, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_pin_always, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_pin_once_never, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_p1_p2, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_malformed_sign, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_truncations, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_wrong_sizes, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_mgmt_mutual, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_mgmt_external, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_mgmt_default_key, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_mgmt_wrong_key, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_mgmt_sequence_errors,
		    setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_mgmt_replay_and_restart,
		    setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_generate_every_alg, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_generate_policies, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_generate_replaces, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_generate_errors, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_fuzz_general_auth, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_fuzz_generate, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_fuzz_engine, setup,
		    engine_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
