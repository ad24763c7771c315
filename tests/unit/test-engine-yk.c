/*
 * tests/unit/test-engine-yk.c - the YubiKey PIV extensions (yk.c) through
 * emu_process(): GET VERSION, GET SERIAL, GET METADATA byte for byte,
 * ATTEST (certificate checked against the F9 key and its certificate),
 * IMPORT KEY for every algorithm followed by a signature or key agreement
 * verified on the host, SET MANAGEMENT KEY followed by authentication with
 * the new key, RESET conditions and what survives it, SET PIN RETRIES,
 * every malformed form, and a robustness loop of random and bit-flipped
 * IMPORT bodies (plus SET MANAGEMENT KEY, METADATA and ATTEST parameters)
 * called straight into the handlers from exact-size heap buffers.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "reader/apdu.h"
#include "reader/tlv.h"
#include "token-emu/emu_crypto.h"
#include "token-emu/handlers.h"
#include "engine-fixture.h"

#define SW_OK		0x9000
#define SW_SECURITY	0x6982
#define SW_CONDITIONS	0x6985
#define SW_WRONG_DATA	0x6a80
#define SW_P1P2		0x6a86
#define SW_NOT_FOUND	0x6a88
#define SW_INS		0x6d00
#define INS_GA		0x87
#define INS_GEN		0x47
#define INS_VERIFY	0x20
#define INS_METADATA	0xf7
#define INS_ATTEST	0xf9
#define INS_IMPORT	0xfe
#define INS_SET_MGMT	0xff
#define INS_RESET	0xfb
#define INS_RETRIES	0xfa
#define FUZZ_IMPORT	20000

static const uint8_t default_mgmt[24] = {
	1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8,
};

static void
expect_data(const struct t *t, const char *hex)
{
	uint8_t	b[1024];
	size_t	n;

	assert_int_equal(ss_hex_decode(hex, b, sizeof(b), &n), 0);
	assert_int_equal(t->dlen, n);
	assert_memory_equal(t->data, b, n);
}

/* the fixture's card, serial 12345678, with PIV selected */
static int
setup(void **state)
{
	struct t *t;

	if (engine_setup(state) != 0)
		return -1;
	t = *state;
	t->card.serial = 0x00bc614e;
	select_piv(t);
	return 0;
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

/* mutual authentication with the given key; the step-2 SW */
static uint16_t
auth_with(struct t *t, uint8_t alg, const uint8_t *key, size_t klen)
{
	uint8_t		w[16], c[16], ec[16], body[64];
	size_t		n = alg == PIV_ALG_3DES ? 8 : 16;
	struct ss_tlv	outer, r;
	struct ss_wr	wr;
	uint16_t	sw;

	if ((sw = cmd_hex(t, INS_GA, alg, 0x9b, "7C028000")) != SW_OK)
		return sw;
	assert_int_equal(ss_tlv_expect(t->data, t->dlen, 0x7c, &outer), 0);
	assert_int_equal(ss_tlv_expect(outer.val, outer.len, 0x80, &r), 0);
	assert_int_equal(r.len, n);
	host_ecb(alg, key, klen, false, r.val, w, n);
	assert_int_equal(emu_rand(c, n), 0);
	ss_wr_init(&wr, body, sizeof(body));
	ss_tlv_put_hdr(&wr, 0x7c, 4 + 2 * n);
	ss_tlv_put(&wr, 0x80, w, n);
	ss_tlv_put(&wr, 0x81, c, n);
	if ((sw = cmd(t, INS_GA, alg, 0x9b, body, wr.len)) != SW_OK)
		return sw;
	assert_int_equal(ss_tlv_expect(t->data, t->dlen, 0x7c, &outer), 0);
	assert_int_equal(ss_tlv_expect(outer.val, outer.len, 0x82, &r), 0);
	host_ecb(alg, key, klen, true, c, ec, n);
	assert_memory_equal(r.val, ec, n);
	return SW_OK;
}

static void
admin(struct t *t)
{
	assert_int_equal(auth_with(t, PIV_ALG_3DES, default_mgmt, 24), SW_OK);
	assert_true(t->ctx.sess.mgmt_authed);
}

static uint16_t
gen(struct t *t, uint8_t ref, uint8_t alg)
{
	uint8_t b[5] = { 0xac, 0x03, 0x80, 0x01, alg };

	return cmd(t, INS_GEN, 0x00, ref, b, sizeof(b));
}

/* ---- import bodies ---- */

static void
bn_pad(EVP_PKEY *k, const char *name, uint8_t *out, size_t len)
{
	BIGNUM *bn = NULL;

	assert_int_equal(EVP_PKEY_get_bn_param(k, name, &bn), 1);
	assert_int_equal(BN_bn2binpad(bn, out, (int)len), (int)len);
	BN_clear_free(bn);
}

static size_t
import_body(EVP_PKEY *k, uint8_t alg, uint8_t *buf, size_t cap, int pin,
    int touch)
{
	static const char *const crt[] = { OSSL_PKEY_PARAM_RSA_FACTOR1,
	    OSSL_PKEY_PARAM_RSA_FACTOR2, OSSL_PKEY_PARAM_RSA_EXPONENT1,
	    OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1 };
	uint8_t		v[256];
	size_t		i, n = emu_alg_size(alg), vl;
	struct ss_wr	w;

	ss_wr_init(&w, buf, cap);
	if (emu_alg_is_rsa(alg)) {
		for (i = 0; i < 5; i++) {
			bn_pad(k, crt[i], v, n / 2);
			ss_tlv_put(&w, (uint32_t)(1 + i), v, n / 2);
		}
	} else if (emu_alg_is_ec(alg)) {
		bn_pad(k, OSSL_PKEY_PARAM_PRIV_KEY, v, n);
		ss_tlv_put(&w, 0x06, v, n);
	} else {
		vl = sizeof(v);
		assert_int_equal(EVP_PKEY_get_raw_private_key(k, v, &vl), 1);
		ss_tlv_put(&w, alg == PIV_ALG_ED25519 ? 0x07 : 0x08, v, vl);
	}
	if (pin >= 0)
		ss_wr_bytes(&w, (uint8_t []){ 0xaa, 0x01, (uint8_t)pin }, 3);
	if (touch >= 0)
		ss_wr_bytes(&w, (uint8_t []){ 0xab, 0x01, (uint8_t)touch }, 3);
	assert_int_equal(w.err, 0);
	return w.len;
}

static EVP_PKEY *
host_keygen(uint8_t alg)
{
	switch (alg) {
	case PIV_ALG_RSA1024:
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	case PIV_ALG_RSA2048:
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	case PIV_ALG_ECCP256:
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	case PIV_ALG_ECCP384:
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	case PIV_ALG_ED25519:
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	case PIV_ALG_X25519:
		return EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	default:
		fail();
		return NULL;
	}
}

/* ---- FD, F8 ---- */

static void
test_version_serial(void **state)
{
	struct t	*t = *state;
	uint8_t		 out[16];
	struct ss_wr	 w;
	struct ss_apdu	 a;

	assert_int_equal(cmd(t, 0xfd, 0, 0, NULL, 0), SW_OK);
	expect_data(t, "050403");
	t->card.version[0] = 5;
	t->card.version[1] = 7;
	t->card.version[2] = 1;
	assert_int_equal(cmd(t, 0xfd, 0, 0, NULL, 0), SW_OK);
	expect_data(t, "050701");
	assert_int_equal(cmd(t, 0xf8, 0, 0, NULL, 0), SW_OK);
	expect_data(t, "00BC614E");
	t->card.serial = 0xfedcba98;
	assert_int_equal(cmd(t, 0xf8, 0, 0, NULL, 0), SW_OK);
	expect_data(t, "FEDCBA98");
	/* a plain PIV card: 6D00 from the engine and from each handler */
	t->card.yubikey = false;
	assert_int_equal(cmd(t, 0xfd, 0, 0, NULL, 0), SW_INS);
	memset(&a, 0, sizeof(a));
	ss_wr_init(&w, out, sizeof(out));
	assert_int_equal(emu_yk_version(&t->ctx, &a, &w), SW_INS);
	assert_int_equal(emu_yk_serial(&t->ctx, &a, &w), SW_INS);
	assert_int_equal(emu_yk_metadata(&t->ctx, &a, &w), SW_INS);
	assert_int_equal(emu_yk_attest(&t->ctx, &a, &w), SW_INS);
	assert_int_equal(emu_yk_import(&t->ctx, &a, &w), SW_INS);
	assert_int_equal(emu_yk_set_mgmt(&t->ctx, &a, &w), SW_INS);
	assert_int_equal(emu_yk_reset(&t->ctx, &a, &w), SW_INS);
	assert_int_equal(emu_yk_set_retries(&t->ctx, &a, &w), SW_INS);
	assert_int_equal(w.len, 0);
}

/* ---- F7 ---- */

static void
test_metadata_pin_puk_mgmt(void **state)
{
	struct t *t = *state;

	assert_int_equal(cmd(t, INS_METADATA, 0, 0x80, NULL, 0), SW_OK);
	expect_data(t, "0101FF" "050101" "06020303");
	assert_int_equal(cmd(t, INS_METADATA, 0, 0x81, NULL, 0), SW_OK);
	expect_data(t, "0101FF" "050101" "06020303");
	assert_int_equal(cmd(t, INS_METADATA, 0, 0x9b, NULL, 0), SW_OK);
	expect_data(t, "010103" "02020001" "050101");
	t->card.pin_tries_max = 5;
	t->card.pin_tries_left = 2;
	t->card.pin_is_default = false;
	t->card.puk_tries_left = 0;
	assert_int_equal(cmd(t, INS_METADATA, 0, 0x80, NULL, 0), SW_OK);
	expect_data(t, "0101FF" "050100" "06020502");
	assert_int_equal(cmd(t, INS_METADATA, 0, 0x81, NULL, 0), SW_OK);
	expect_data(t, "0101FF" "050101" "06020300");
	/* bad references and P1 */
	assert_int_equal(cmd(t, INS_METADATA, 0, 0x00, NULL, 0), SW_P1P2);
	assert_int_equal(cmd(t, INS_METADATA, 0, 0x9f, NULL, 0), SW_P1P2);
	assert_int_equal(cmd(t, INS_METADATA, 0, 0x96, NULL, 0), SW_P1P2);
	assert_int_equal(cmd(t, INS_METADATA, 1, 0x80, NULL, 0), SW_P1P2);
}

static void
test_metadata_keys(void **state)
{
	struct t	*t = *state;
	struct emu_key	*k = emu_card_key(&t->card, 0x9c);
	uint8_t		 pt[65], nb[256];
	size_t		 ptlen = sizeof(pt);
	char		 hex[2 * 600 + 1], want[2 * 600 + 64];

	/* empty slots */
	assert_int_equal(cmd(t, INS_METADATA, 0, 0x9a, NULL, 0), SW_NOT_FOUND);
	assert_int_equal(cmd(t, INS_METADATA, 0, 0xf9, NULL, 0), SW_NOT_FOUND);
	assert_int_equal(cmd(t, INS_METADATA, 0, 0x95, NULL, 0), SW_NOT_FOUND);
	admin(t);
	assert_int_equal(gen(t, 0x9c, PIV_ALG_ECCP256), SW_OK);
	assert_int_equal(EVP_PKEY_get_octet_string_param(k->pkey,
	    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof(pt), &ptlen), 1);
	ss_hex_encode(pt, ptlen, hex);
	snprintf(want, sizeof(want), "010111" "02020301" "030101"
	    "0443" "8641%s", hex);
	assert_int_equal(cmd(t, INS_METADATA, 0, 0x9c, NULL, 0), SW_OK);
	expect_data(t, want);
	/* RSA-2048: 04 82 01 09 { 81 82 01 00 n, 82 03 010001 } */
	assert_int_equal(gen(t, 0x9a, PIV_ALG_RSA2048), SW_OK);
	bn_pad(emu_card_key(&t->card, 0x9a)->pkey, OSSL_PKEY_PARAM_RSA_N, nb,
	    256);
	ss_hex_encode(nb, 256, hex);
	snprintf(want, sizeof(want), "010107" "02020201" "030101"
	    "04820109" "81820100%s" "8203010001", hex);
	assert_int_equal(cmd(t, INS_METADATA, 0, 0x9a, NULL, 0), SW_OK);
	expect_data(t, want);
	/* Ed25519 */
	assert_int_equal(gen(t, 0x9e, PIV_ALG_ED25519), SW_OK);
	assert_int_equal(cmd(t, INS_METADATA, 0, 0x9e, NULL, 0), SW_OK);
	assert_int_equal(t->dlen, 3 + 4 + 3 + 2 + 2 + 32);
	assert_memory_equal(t->data, "\x01\x01\xe0\x02\x02\x01\x01\x03\x01\x01"
	    "\x04\x22\x86\x20", 14);
}

/* ---- FE IMPORT ---- */

static void
sign_check(struct t *t, uint8_t alg, uint8_t ref, EVP_PKEY *orig)
{
	uint8_t		in[300], body[320], z[64];
	struct ss_wr	w;
	struct ss_tlv	outer, r;
	size_t		n = emu_alg_size(alg), zlen = sizeof(z);
	EVP_PKEY_CTX	*c;
	EVP_PKEY	*peer = NULL;
	uint32_t	tag = 0x81;

	assert_int_equal(emu_rand(in, sizeof(in)), 0);
	if (emu_alg_is_rsa(alg))
		in[0] = 0x00;
	if (alg == PIV_ALG_X25519) {
		peer = host_keygen(alg);
		assert_int_equal(EVP_PKEY_get_raw_public_key(peer, in, &n), 1);
		tag = 0x85;
	}
	ss_wr_init(&w, body, sizeof(body));
	ss_tlv_put_hdr(&w, 0x7c, 2 + ss_tlv_tag_len(tag) +
	    ss_tlv_len_len(n) + n);
	ss_tlv_put(&w, 0x82, NULL, 0);
	ss_tlv_put(&w, tag, in, n);
	assert_int_equal(cmd(t, INS_GA, alg, ref, body, w.len), SW_OK);
	assert_int_equal(ss_tlv_expect(t->data, t->dlen, 0x7c, &outer), 0);
	assert_int_equal(ss_tlv_expect(outer.val, outer.len, 0x82, &r), 0);
	c = EVP_PKEY_CTX_new_from_pkey(NULL, peer != NULL ? peer : orig, NULL);
	assert_non_null(c);
	if (emu_alg_is_rsa(alg)) {
		uint8_t back[256];
		size_t	bl = sizeof(back);

		assert_int_equal(EVP_PKEY_encrypt_init(c), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(c,
		    RSA_NO_PADDING), 1);
		assert_int_equal(EVP_PKEY_encrypt(c, back, &bl, r.val, r.len),
		    1);
		assert_memory_equal(back, in, n);
	} else if (emu_alg_is_ec(alg)) {
		assert_int_equal(EVP_PKEY_verify_init(c), 1);
		assert_int_equal(EVP_PKEY_verify(c, r.val, r.len, in, n), 1);
	} else if (alg == PIV_ALG_ED25519) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();

		assert_int_equal(EVP_DigestVerifyInit_ex(md, NULL, NULL, NULL,
		    NULL, orig, NULL), 1);
		assert_int_equal(EVP_DigestVerify(md, r.val, r.len, in, n), 1);
		EVP_MD_CTX_free(md);
	} else {
		assert_int_equal(EVP_PKEY_derive_init(c), 1);
		assert_int_equal(EVP_PKEY_derive_set_peer(c, orig), 1);
		assert_int_equal(EVP_PKEY_derive(c, z, &zlen), 1);
		assert_int_equal(zlen, r.len);
		assert_memory_equal(z, r.val, zlen);
	}
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(peer);
}

static void
test_import_then_use(void **state)
{
	struct t	*t = *state;
	static const uint8_t algs[] = { PIV_ALG_RSA2048, PIV_ALG_ECCP256,
	    PIV_ALG_RSA1024, PIV_ALG_ECCP384, PIV_ALG_ED25519, PIV_ALG_X25519 };
	uint8_t		 body[1024];
	size_t		 i, len;
	struct emu_key	*k = emu_card_key(&t->card, 0x9d);
	EVP_PKEY	*orig;

	admin(t);
	t->ctx.sess.pin_verified = true;
	for (i = 0; i < sizeof(algs); i++) {
		orig = host_keygen(algs[i]);
		assert_non_null(orig);
		len = import_body(orig, algs[i], body, sizeof(body), -1, -1);
		t->card.dirty = false;
		assert_int_equal(cmd(t, INS_IMPORT, algs[i], 0x9d, body, len),
		    SW_OK);
		assert_int_equal(t->dlen, 0);
		assert_true(t->card.dirty);
		assert_int_equal(k->alg, algs[i]);
		assert_int_equal(k->origin, EMU_ORIGIN_IMPORTED);
		assert_int_equal(k->pin_policy, EMU_PIN_POLICY_ONCE);
		assert_int_equal(EVP_PKEY_eq(k->pkey, orig), 1);
		sign_check(t, algs[i], 0x9d, orig);
		/* metadata says imported */
		assert_int_equal(cmd(t, INS_METADATA, 0, 0x9d, NULL, 0), SW_OK);
		assert_memory_equal(t->data + 3 + 4, "\x03\x01\x02", 3);
		EVP_PKEY_free(orig);
	}
}

static void
test_import_policies(void **state)
{
	struct t	*t = *state;
	uint8_t		 body[128];
	size_t		 len;
	EVP_PKEY	*orig = host_keygen(PIV_ALG_ECCP256);
	struct emu_key	*k;

	admin(t);
	len = import_body(orig, PIV_ALG_ECCP256, body, sizeof(body), 1, 2);
	assert_int_equal(cmd(t, INS_IMPORT, PIV_ALG_ECCP256, 0x9a, body, len),
	    SW_OK);
	k = emu_card_key(&t->card, 0x9a);
	assert_int_equal(k->pin_policy, EMU_PIN_POLICY_NEVER);
	assert_int_equal(k->touch_policy, EMU_TOUCH_POLICY_ALWAYS);
	/* NEVER: signs without a PIN */
	sign_check(t, PIV_ALG_ECCP256, 0x9a, orig);
	/* default policies resolve per slot */
	len = import_body(orig, PIV_ALG_ECCP256, body, sizeof(body), 0, 0);
	assert_int_equal(cmd(t, INS_IMPORT, PIV_ALG_ECCP256, 0x9c, body, len),
	    SW_OK);
	k = emu_card_key(&t->card, 0x9c);
	assert_int_equal(k->pin_policy, EMU_PIN_POLICY_ALWAYS);
	assert_int_equal(k->touch_policy, EMU_TOUCH_POLICY_NEVER);
	/* the attestation slot can be imported into */
	assert_int_equal(cmd(t, INS_IMPORT, PIV_ALG_ECCP256, 0xf9, body, len),
	    SW_OK);
	assert_int_equal(emu_card_key(&t->card, 0xf9)->pin_policy,
	    EMU_PIN_POLICY_NEVER);
	EVP_PKEY_free(orig);
}

static void
test_import_errors(void **state)
{
	struct t	*t = *state;
	EVP_PKEY	*rsa = host_keygen(PIV_ALG_RSA1024);
	EVP_PKEY	*ec = host_keygen(PIV_ALG_ECCP256);
	uint8_t		 body[1024], b2[1024];
	size_t		 len, elen, i;
	struct emu_key	*k = emu_card_key(&t->card, 0x9a);
	static const uint8_t bad_refs[] = { 0x00, 0x80, 0x81, 0x9b, 0x96,
	    0xff };
	static const char *const bad_ec[] = {
		"",
		"0620" "00",				/* length lies */
		"061F" "00000000000000000000000000000000000000000000000000000000000000",
		"0600",
		"0101" "00",				/* RSA tag */
		"0920" "0000000000000000000000000000000000000000000000000000000000000000",
		"AA0101",				/* no key */
		"0620" "0000000000000000000000000000000000000000000000000000000000000000",
							/* scalar 0 */
		"0620" "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
							/* scalar >= n */
		"0784" "00000020",			/* 4-byte length */
	};

	/* no management key */
	len = import_body(ec, PIV_ALG_ECCP256, body, sizeof(body), -1, -1);
	assert_int_equal(cmd(t, INS_IMPORT, PIV_ALG_ECCP256, 0x9a, body, len),
	    SW_SECURITY);
	admin(t);
	for (i = 0; i < sizeof(bad_refs); i++)
		assert_int_equal(cmd(t, INS_IMPORT, PIV_ALG_ECCP256,
		    bad_refs[i], body, len), SW_P1P2);
	/* algorithm: unsupported, or not the key given */
	assert_int_equal(cmd(t, INS_IMPORT, 0x03, 0x9a, body, len),
	    SW_WRONG_DATA);
	assert_int_equal(cmd(t, INS_IMPORT, 0x00, 0x9a, body, len),
	    SW_WRONG_DATA);
	assert_int_equal(cmd(t, INS_IMPORT, PIV_ALG_ECCP384, 0x9a, body, len),
	    SW_WRONG_DATA);
	assert_int_equal(cmd(t, INS_IMPORT, PIV_ALG_ED25519, 0x9a, body, len),
	    SW_WRONG_DATA);
	assert_int_equal(cmd(t, INS_IMPORT, PIV_ALG_RSA2048, 0x9a, body, len),
	    SW_WRONG_DATA);
	/* trailing byte, duplicate key tag, policies */
	body[len] = 0x00;
	assert_int_equal(cmd(t, INS_IMPORT, PIV_ALG_ECCP256, 0x9a, body,
	    len + 1), SW_WRONG_DATA);
	memcpy(b2, body, len);
	memcpy(b2 + len, body, len);
	assert_int_equal(cmd(t, INS_IMPORT, PIV_ALG_ECCP256, 0x9a, b2,
	    2 * len), SW_WRONG_DATA);
	elen = import_body(ec, PIV_ALG_ECCP256, b2, sizeof(b2), 4, -1);
	assert_int_equal(cmd(t, INS_IMPORT, PIV_ALG_ECCP256, 0x9a, b2, elen),
	    SW_WRONG_DATA);
	elen = import_body(ec, PIV_ALG_ECCP256, b2, sizeof(b2), -1, 9);
	assert_int_equal(cmd(t, INS_IMPORT, PIV_ALG_ECCP256, 0x9a, b2, elen),
	    SW_WRONG_DATA);
	memcpy(b2 + elen, "\xaa\x02\x01\x01", 4);
	elen = import_body(ec, PIV_ALG_ECCP256, b2, sizeof(b2), -1, -1);
	memcpy(b2 + elen, "\xaa\x02\x01\x01", 4);
	assert_int_equal(cmd(t, INS_IMPORT, PIV_ALG_ECCP256, 0x9a, b2,
	    elen + 4), SW_WRONG_DATA);
	for (i = 0; i < sizeof(bad_ec) / sizeof(bad_ec[0]); i++) {
		assert_int_equal(ss_hex_decode(bad_ec[i], b2, sizeof(b2),
		    &elen), 0);
		assert_int_equal(cmd(t, INS_IMPORT, PIV_ALG_ECCP256, 0x9a, b2,
		    elen), SW_WRONG_DATA);
	}
	/* every truncation of a good EC body */
	for (i = 0; i < len; i++)
		assert_int_equal(cmd(t, INS_IMPORT, PIV_ALG_ECCP256, 0x9a, body,
		    i), SW_WRONG_DATA);
	/* RSA: each part shorter, missing, or corrupted */
	len = import_body(rsa, PIV_ALG_RSA1024, body, sizeof(body), -1, -1);
	assert_int_equal(len, 5 * 66);
	for (i = 0; i < 5; i++) {
		/* drop part i */
		memcpy(b2, body, i * 66);
		memcpy(b2 + i * 66, body + (i + 1) * 66, (4 - i) * 66);
		assert_int_equal(cmd(t, INS_IMPORT, PIV_ALG_RSA1024, 0x9a, b2,
		    4 * 66), SW_WRONG_DATA);
		/* part i one byte short */
		memcpy(b2, body, len);
		b2[i * 66 + 1] = 63;
		memmove(b2 + i * 66 + 65, b2 + i * 66 + 66, len - i * 66 - 66);
		assert_int_equal(cmd(t, INS_IMPORT, PIV_ALG_RSA1024, 0x9a, b2,
		    len - 1), SW_WRONG_DATA);
		/* part i corrupted */
		memcpy(b2, body, len);
		b2[i * 66 + 40] ^= 0x01;
		assert_int_equal(cmd(t, INS_IMPORT, PIV_ALG_RSA1024, 0x9a, b2,
		    len), SW_WRONG_DATA);
	}
	/* an EC scalar in with the RSA parts */
	memcpy(b2, body, len);
	memcpy(b2 + len, "\x06\x01\x01", 3);
	assert_int_equal(cmd(t, INS_IMPORT, PIV_ALG_RSA1024, 0x9a, b2,
	    len + 3), SW_WRONG_DATA);
	/* nothing landed in the slot; the good body still works */
	assert_null(k->pkey);
	assert_int_equal(cmd(t, INS_IMPORT, PIV_ALG_RSA1024, 0x9a, body, len),
	    SW_OK);
	assert_int_equal(EVP_PKEY_eq(k->pkey, rsa), 1);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
}

/* ---- FF SET MANAGEMENT KEY ---- */

static uint16_t
set_mgmt(struct t *t, uint8_t p2, uint8_t alg, const uint8_t *key,
    size_t len)
{
	uint8_t b[64];

	b[0] = alg;
	b[1] = 0x9b;
	b[2] = (uint8_t)len;
	memcpy(b + 3, key, len);
	return cmd(t, INS_SET_MGMT, 0xff, p2, b, 3 + len);
}

static void
test_set_mgmt_then_auth(void **state)
{
	struct t	*t = *state;
	static const struct {
		uint8_t	alg;
		size_t	len;
	} c[] = {
		{ PIV_ALG_AES128, 16 }, { PIV_ALG_AES192, 24 },
		{ PIV_ALG_AES256, 32 }, { PIV_ALG_3DES, 24 },
	};
	uint8_t		 key[32], old[32], wrong[32];
	uint8_t		 old_alg = PIV_ALG_3DES;
	size_t		 i, old_len = 24;

	memcpy(old, default_mgmt, 24);
	admin(t);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		assert_int_equal(emu_rand(key, sizeof(key)), 0);
		t->card.dirty = false;
		assert_int_equal(set_mgmt(t, 0xff, c[i].alg, key, c[i].len),
		    SW_OK);
		assert_true(t->card.dirty);
		assert_int_equal(cmd(t, INS_METADATA, 0, 0x9b, NULL, 0), SW_OK);
		assert_int_equal(t->data[2], c[i].alg);
		assert_memory_equal(t->data + 3, "\x02\x02\x00\x01\x05\x01\x00",
		    7);
		/*
		 * The old key no longer works (another algorithm: P1 is
		 * wrong, 6A80), nor does a near miss of the new one.
		 */
		assert_int_equal(auth_with(t, old_alg, old, old_len),
		    c[i].alg == old_alg ? SW_SECURITY : SW_WRONG_DATA);
		memcpy(wrong, key, sizeof(wrong));
		wrong[c[i].len - 1] ^= 0x80;
		assert_int_equal(auth_with(t, c[i].alg, wrong, c[i].len),
		    SW_SECURITY);
		assert_false(t->ctx.sess.mgmt_authed);
		assert_int_equal(auth_with(t, c[i].alg, key, c[i].len), SW_OK);
		assert_true(t->ctx.sess.mgmt_authed);
		memcpy(old, key, c[i].len);
		old_alg = c[i].alg;
		old_len = c[i].len;
	}
	/* back to the default key: metadata says default; P2 FE = touch */
	assert_int_equal(set_mgmt(t, 0xfe, PIV_ALG_3DES, default_mgmt, 24),
	    SW_OK);
	assert_int_equal(cmd(t, INS_METADATA, 0, 0x9b, NULL, 0), SW_OK);
	expect_data(t, "010103" "02020002" "050101");
	assert_int_equal(set_mgmt(t, 0xfd, PIV_ALG_3DES, default_mgmt, 24),
	    SW_OK);
	assert_int_equal(t->card.mgmt_touch_policy, EMU_TOUCH_POLICY_CACHED);
	admin(t);
}

static void
test_set_mgmt_errors(void **state)
{
	struct t	*t = *state;
	uint8_t		 key[32] = { 0 };
	uint8_t		 before[EMU_MGMT_KEY_MAX];
	static const char *const bad[] = {
		"",
		"03",
		"039B",
		"039B18",
		"039B18" "0102030405060708010203040506070801020304050607",
		"039B18" "010203040506070801020304050607080102030405060708"
		    "00",
		"039A18" "010203040506070801020304050607080102030405060708",
		"039B10" "01020304050607080102030405060708",
		"089B18" "010203040506070801020304050607080102030405060708",
		"119B20" "0102030405060708010203040506070801020304050607080102030405060708",
		"009B00",
		"0C9B10" "01020304050607080102030405060708",
	};
	uint8_t		 b[64];
	size_t		 i, n;

	assert_int_equal(set_mgmt(t, 0xff, PIV_ALG_AES128, key, 16),
	    SW_SECURITY);
	admin(t);
	assert_int_equal(cmd_hex(t, INS_SET_MGMT, 0xfe, 0xff,
	    "039B18010203040506070801020304050607080102030405060708"), SW_P1P2);
	assert_int_equal(cmd_hex(t, INS_SET_MGMT, 0xff, 0x00,
	    "039B18010203040506070801020304050607080102030405060708"), SW_P1P2);
	memcpy(before, t->card.mgmt_key, sizeof(before));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ss_hex_decode(bad[i], b, sizeof(b), &n), 0);
		assert_int_equal(cmd(t, INS_SET_MGMT, 0xff, 0xff, b, n),
		    SW_WRONG_DATA);
	}
	assert_memory_equal(before, t->card.mgmt_key, sizeof(before));
	assert_int_equal(t->card.mgmt_alg, PIV_ALG_3DES);
}

/* ---- FB RESET ---- */

static void
block(struct t *t, bool pin, bool puk)
{
	t->card.pin_tries_left = pin ? 0 : 1;
	t->card.puk_tries_left = puk ? 0 : 1;
}

static void
test_reset(void **state)
{
	struct t	*t = *state;
	char		*path = strdup("/tmp/card.ssc");
	uint8_t		 atr[33];
	size_t		 atr_len = t->card.atr_len;
	EVP_PKEY	*f9;

	memcpy(atr, t->card.atr, sizeof(atr));
	t->card.path = path;
	admin(t);
	assert_int_equal(gen(t, 0x9a, PIV_ALG_ECCP256), SW_OK);
	assert_int_equal(gen(t, 0xf9, PIV_ALG_ECCP256), SW_OK);
	f9 = emu_card_key(&t->card, 0xf9)->pkey;
	assert_int_equal(set_mgmt(t, 0xff, PIV_ALG_AES128,
	    (const uint8_t *)"0123456789abcdef", 16), SW_OK);
	assert_int_equal(emu_card_obj_set(&t->card, 0x5fc105,
	    (const uint8_t *)"\x70\x01\x00", 3), 0);
	assert_int_equal(emu_card_obj_set(&t->card, 0x5fff01,
	    (const uint8_t *)"\x70\x01\x01", 3), 0);
	t->card.serial = 42;
	t->card.version[1] = 7;
	/* neither, or only one, blocked */
	block(t, false, false);
	assert_int_equal(cmd(t, INS_RESET, 0, 0, NULL, 0), SW_CONDITIONS);
	block(t, true, false);
	assert_int_equal(cmd(t, INS_RESET, 0, 0, NULL, 0), SW_CONDITIONS);
	block(t, false, true);
	assert_int_equal(cmd(t, INS_RESET, 0, 0, NULL, 0), SW_CONDITIONS);
	assert_non_null(emu_card_key(&t->card, 0x9a)->pkey);
	/* both blocked */
	block(t, true, true);
	t->ctx.sess.pin_verified = true;
	t->card.dirty = false;
	assert_int_equal(cmd(t, INS_RESET, 0, 0, NULL, 0), SW_OK);
	assert_true(t->card.dirty);
	assert_null(emu_card_key(&t->card, 0x9a)->pkey);
	assert_int_equal(emu_card_key(&t->card, 0x9a)->alg, 0);
	assert_null(emu_card_obj(&t->card, 0x5fc105));
	assert_int_equal(t->card.pin_tries_left, 3);
	assert_int_equal(t->card.puk_tries_left, 3);
	assert_memory_equal(t->card.pin, "123456\xff\xff", 8);
	assert_memory_equal(t->card.puk, "12345678", 8);
	assert_true(t->card.pin_is_default && t->card.puk_is_default);
	assert_int_equal(t->card.mgmt_alg, PIV_ALG_3DES);
	assert_memory_equal(t->card.mgmt_key, default_mgmt, 24);
	assert_true(t->card.mgmt_is_default);
	/* identity kept */
	assert_ptr_equal(t->card.path, path);
	assert_int_equal(t->card.serial, 42);
	assert_int_equal(t->card.version[1], 7);
	assert_int_equal(t->card.atr_len, atr_len);
	assert_memory_equal(t->card.atr, atr, sizeof(atr));
	assert_true(t->card.yubikey);
	/* the attestation key and its certificate survive */
	assert_ptr_equal(emu_card_key(&t->card, 0xf9)->pkey, f9);
	assert_int_equal(emu_card_key(&t->card, 0xf9)->alg, PIV_ALG_ECCP256);
	assert_non_null(emu_card_obj(&t->card, 0x5fff01));
	assert_int_equal(t->card.nobjs, 1);
	/* the session is logged out */
	assert_false(t->ctx.sess.pin_verified);
	assert_false(t->ctx.sess.mgmt_authed);
	/* default key works again */
	admin(t);
}

/* ---- FA SET PIN RETRIES ---- */

static void
test_set_retries(void **state)
{
	struct t *t = *state;

	assert_int_equal(cmd(t, INS_RETRIES, 5, 4, NULL, 0), SW_SECURITY);
	admin(t);
	assert_int_equal(cmd(t, INS_RETRIES, 5, 4, NULL, 0), SW_SECURITY);
	t->ctx.sess.mgmt_authed = false;
	t->ctx.sess.pin_verified = true;
	assert_int_equal(cmd(t, INS_RETRIES, 5, 4, NULL, 0), SW_SECURITY);
	admin(t);
	/* a changed PIN and PUK go back to the defaults */
	memcpy(t->card.pin, "999999\xff\xff", 8);
	t->card.pin_is_default = false;
	memcpy(t->card.puk, "87654321", 8);
	t->card.puk_is_default = false;
	t->card.dirty = false;
	assert_int_equal(cmd(t, INS_RETRIES, 5, 4, NULL, 0), SW_OK);
	assert_true(t->card.dirty);
	assert_int_equal(t->card.pin_tries_max, 5);
	assert_int_equal(t->card.pin_tries_left, 5);
	assert_int_equal(t->card.puk_tries_max, 4);
	assert_int_equal(t->card.puk_tries_left, 4);
	assert_true(t->card.pin_is_default && t->card.puk_is_default);
	assert_int_equal(cmd(t, INS_METADATA, 0, 0x80, NULL, 0), SW_OK);
	expect_data(t, "0101FF" "050101" "06020505");
	assert_int_equal(cmd_hex(t, INS_VERIFY, 0, 0x80, "313233343536FFFF"),
	    SW_OK);
	/* out of range */
	assert_int_equal(cmd(t, INS_RETRIES, 0, 4, NULL, 0), SW_P1P2);
	assert_int_equal(cmd(t, INS_RETRIES, 5, 0, NULL, 0), SW_P1P2);
	assert_int_equal(cmd(t, INS_RETRIES, 16, 4, NULL, 0), SW_P1P2);
	assert_int_equal(cmd(t, INS_RETRIES, 15, 15, NULL, 0), SW_OK);
}

/* ---- F9 ATTEST ---- */

static X509 *
attest(struct t *t, uint8_t ref)
{
	const unsigned char *p;

	assert_int_equal(cmd(t, INS_ATTEST, ref, 0, NULL, 0), SW_OK);
	p = t->data;
	return d2i_X509(NULL, &p, (long)t->dlen);
}

static void
check_ext(X509 *x, const char *oid, const uint8_t *want, size_t len)
{
	ASN1_OBJECT		*obj = OBJ_txt2obj(oid, 1);
	int			 i = X509_get_ext_by_OBJ(x, obj, -1);
	ASN1_OCTET_STRING	*os;

	assert_true(i >= 0);
	os = X509_EXTENSION_get_data(X509_get_ext(x, i));
	assert_int_equal(ASN1_STRING_length(os), (int)len);
	assert_memory_equal(ASN1_STRING_get0_data(os), want, len);
	ASN1_OBJECT_free(obj);
}

/* a self-signed certificate for the F9 key, stored in 5FFF01 */
static void
store_f9_cert(struct t *t, EVP_PKEY *f9)
{
	X509		*c = X509_new();
	X509_NAME	*n = X509_get_subject_name(c);
	unsigned char	*der = NULL;
	uint8_t		 obj[2048];
	struct ss_wr	 w;
	int		 len;

	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), 7);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"Test Attestation CA", -1, -1, 0);
	X509_set_issuer_name(c, n);
	X509_gmtime_adj(X509_getm_notBefore(c), 0);
	X509_gmtime_adj(X509_getm_notAfter(c), 3600);
	X509_set_pubkey(c, f9);
	assert_true(X509_sign(c, f9, EVP_sha256()) > 0);
	len = i2d_X509(c, &der);
	assert_true(len > 0);
	ss_wr_init(&w, obj, sizeof(obj));
	ss_tlv_put(&w, 0x70, der, (size_t)len);
	ss_tlv_put(&w, 0x71, "\x00", 1);
	ss_tlv_put(&w, 0xfe, NULL, 0);
	assert_int_equal(w.err, 0);
	assert_int_equal(emu_card_obj_set(&t->card, 0x5fff01, obj, w.len), 0);
	OPENSSL_free(der);
	X509_free(c);
}

static void
test_attest(void **state)
{
	struct t	*t = *state;
	X509		*x;
	EVP_PKEY	*f9;
	X509_NAME	*want;
	uint8_t		 body[128];
	size_t		 len;
	EVP_PKEY	*orig = host_keygen(PIV_ALG_ECCP256);
	char		 cn[80];
	uint64_t	 ops;

	admin(t);
	/* empty slot, then no attestation key */
	assert_int_equal(cmd(t, INS_ATTEST, 0x9a, 0, NULL, 0), SW_NOT_FOUND);
	assert_int_equal(gen(t, 0x9a, PIV_ALG_RSA2048), SW_OK);
	assert_int_equal(cmd(t, INS_ATTEST, 0x9a, 0, NULL, 0), SW_NOT_FOUND);
	/* an attestation key without a certificate */
	assert_int_equal(gen(t, 0xf9, PIV_ALG_ECCP256), SW_OK);
	f9 = emu_card_key(&t->card, 0xf9)->pkey;
	ops = t->ctx.cnt.keyops;
	x = attest(t, 0x9a);
	assert_non_null(x);
	assert_int_equal(t->ctx.cnt.keyops, ops + 1);
	assert_int_equal(X509_verify(x, f9), 1);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x),
	    emu_card_key(&t->card, 0x9a)->pkey), 1);
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	    NID_commonName, cn, sizeof(cn)) > 0);
	assert_string_equal(cn, "YubiKey PIV Attestation 9a");
	check_ext(x, "1.3.6.1.4.1.41482.3.3", (const uint8_t *)"\x05\x04\x03",
	    3);
	check_ext(x, "1.3.6.1.4.1.41482.3.7",
	    (const uint8_t *)"\x02\x04\x00\xbc\x61\x4e", 6);
	check_ext(x, "1.3.6.1.4.1.41482.3.8", (const uint8_t *)"\x02\x01", 2);
	X509_free(x);
	/* with the F9 certificate: its subject becomes the issuer */
	store_f9_cert(t, f9);
	assert_int_equal(gen(t, 0x9c, PIV_ALG_ED25519), SW_OK);
	x = attest(t, 0x9c);
	assert_non_null(x);
	assert_int_equal(X509_verify(x, f9), 1);
	want = X509_NAME_new();
	X509_NAME_add_entry_by_txt(want, "CN", MBSTRING_ASC,
	    (const unsigned char *)"Test Attestation CA", -1, -1, 0);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(x), want), 0);
	check_ext(x, "1.3.6.1.4.1.41482.3.8", (const uint8_t *)"\x03\x01", 2);
	X509_NAME_free(want);
	X509_free(x);
	/* an Ed25519 attestation key signs too */
	assert_int_equal(gen(t, 0xf9, PIV_ALG_ED25519), SW_OK);
	x = attest(t, 0x9a);
	assert_non_null(x);
	assert_int_equal(X509_verify(x, emu_card_key(&t->card, 0xf9)->pkey),
	    1);
	X509_free(x);
	/* imported keys are not attested */
	len = import_body(orig, PIV_ALG_ECCP256, body, sizeof(body), -1, -1);
	assert_int_equal(cmd(t, INS_IMPORT, PIV_ALG_ECCP256, 0x9d, body, len),
	    SW_OK);
	assert_int_equal(cmd(t, INS_ATTEST, 0x9d, 0, NULL, 0), SW_WRONG_DATA);
	/* bad parameters */
	assert_int_equal(cmd(t, INS_ATTEST, 0xf9, 0, NULL, 0), SW_P1P2);
	assert_int_equal(cmd(t, INS_ATTEST, 0x9b, 0, NULL, 0), SW_P1P2);
	assert_int_equal(cmd(t, INS_ATTEST, 0x00, 0, NULL, 0), SW_P1P2);
	assert_int_equal(cmd(t, INS_ATTEST, 0x9a, 1, NULL, 0), SW_P1P2);
	/* a garbage 5FFF01 is ignored */
	assert_int_equal(emu_card_obj_set(&t->card, 0x5fff01,
	    (const uint8_t *)"\x70\x03\x30\x01\x00", 5), 0);
	x = attest(t, 0x9a);
	assert_non_null(x);
	X509_free(x);
	EVP_PKEY_free(orig);
}

/* ---- robustness ---- */

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

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
	case 0:
		n = 1 + rnd() % 4;
		for (i = 0; i < n && len > 0; i++)
			buf[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
		return len;
	case 1:
		return len > 0 ? rnd() % len : 0;
	case 2:
		n = len + 1 + rnd() % 16;
		n = n > cap ? cap : n;
		for (i = len; i < n; i++)
			buf[i] = (uint8_t)rnd();
		return n;
	case 3:
		if (len > 0)
			buf[rnd() % len] = (uint8_t)rnd();
		return len;
	case 4:				/* a length byte lies */
		if (len > 1)
			buf[1 + rnd() % (len - 1)] =
			    (uint8_t)(0x1e + rnd() % 8);
		return len;
	default:
		n = rnd() % 600;
		n = n > cap ? cap : n;
		for (i = 0; i < n; i++)
			buf[i] = (uint8_t)rnd();
		return n;
	}
}

static uint16_t
fuzz_call(struct t *t, emu_handler *h, uint8_t ins, uint8_t p1, uint8_t p2,
    const uint8_t *body, size_t len)
{
	struct ss_apdu	 a;
	struct ss_wr	 w;
	uint8_t		*copy = NULL, *out = malloc(16384);
	uint16_t	 sw;

	assert_non_null(out);
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
	ss_wr_init(&w, out, 16384);
	sw = h(&t->ctx, &a, &w);
	assert_true(w.len <= 16384);
	if (sw != SW_OK)
		assert_true(sw == SW_SECURITY || sw == SW_WRONG_DATA ||
		    sw == SW_P1P2 || sw == SW_NOT_FOUND ||
		    sw == SW_CONDITIONS);
	free(copy);
	free(out);
	return sw;
}

static void
test_fuzz_import(void **state)
{
	struct t	*t = *state;
	static const uint8_t algs[] = { PIV_ALG_ECCP256, PIV_ALG_ECCP384,
	    PIV_ALG_ED25519, PIV_ALG_X25519, PIV_ALG_RSA1024 };
	static const uint8_t refs[] = { 0x9a, 0x9c, 0x9d, 0x9e, 0x82, 0x95,
	    0xf9 };
	EVP_PKEY	*k[sizeof(algs)];
	uint8_t		 seed[sizeof(algs)][512], buf[1024];
	size_t		 seedlen[sizeof(algs)], i, j, len;
	uint8_t		 p1, p2;
	unsigned	 ok = 0;

	for (i = 0; i < sizeof(algs); i++) {
		k[i] = host_keygen(algs[i]);
		seedlen[i] = import_body(k[i], algs[i], seed[i], 512,
		    (int)(i % 4) - 1, (int)(i % 3) - 1);
	}
	for (i = 0; i < FUZZ_IMPORT; i++) {
		j = rnd() % sizeof(algs);
		memcpy(buf, seed[j], seedlen[j]);
		len = seedlen[j];
		if (rnd() % 8 != 0)
			len = mutate(buf, len, sizeof(buf));
		p1 = rnd() % 16 == 0 ? (uint8_t)rnd() : algs[j];
		p2 = rnd() % 16 == 0 ? (uint8_t)rnd() : refs[rnd() % 7];
		t->ctx.sess.mgmt_authed = rnd() % 8 != 0;
		if (fuzz_call(t, emu_yk_import, INS_IMPORT, p1, p2, buf,
		    len) == SW_OK)
			ok++;
	}
	print_message("import: %zu bodies, %u answered 9000\n",
	    (size_t)FUZZ_IMPORT, ok);
	assert_true(ok > 100);
	for (i = 0; i < sizeof(algs); i++)
		EVP_PKEY_free(k[i]);
}

static void
test_fuzz_small(void **state)
{
	struct t	*t = *state;
	uint8_t		 buf[1024];
	size_t		 i, len;

	t->ctx.sess.mgmt_authed = true;
	assert_int_equal(gen(t, 0x9a, PIV_ALG_ECCP256), SW_OK);
	assert_int_equal(gen(t, 0xf9, PIV_ALG_ECCP256), SW_OK);
	for (i = 0; i < 3000; i++) {
		assert_int_equal(ss_hex_decode(
		    "0A9B18010203040506070801020304050607080102030405060708",
		    buf, sizeof(buf), &len), 0);
		len = mutate(buf, len, sizeof(buf));
		t->ctx.sess.mgmt_authed = true;
		(void)fuzz_call(t, emu_yk_set_mgmt, INS_SET_MGMT,
		    rnd() % 4 ? 0xff : (uint8_t)rnd(),
		    (uint8_t)(0xfc + rnd() % 4), buf, len);
		(void)fuzz_call(t, emu_yk_metadata, INS_METADATA,
		    rnd() % 4 ? 0 : (uint8_t)rnd(), (uint8_t)rnd(), buf, len);
		if (i % 10 == 0)
			(void)fuzz_call(t, emu_yk_attest, INS_ATTEST,
			    (uint8_t)rnd(), rnd() % 4 ? 0 : (uint8_t)rnd(), buf,
			    len);
		t->ctx.sess.pin_verified = rnd() % 2;
		(void)fuzz_call(t, emu_yk_set_retries, INS_RETRIES,
		    (uint8_t)rnd(), (uint8_t)rnd(), buf, len);
		t->card.pin_tries_left = (uint8_t)(rnd() % 2);
		t->card.puk_tries_left = (uint8_t)(rnd() % 2);
		if (rnd() % 64 == 0)
			(void)fuzz_call(t, emu_yk_reset, INS_RESET, 0, 0, buf,
			    len);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_version_serial, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_metadata_pin_puk_mgmt,
		    setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_metadata_keys, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_import_then_use, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_import_policies, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_import_errors, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_set_mgmt_then_auth, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_set_mgmt_errors, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_set_retries, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_attest, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_fuzz_import, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_fuzz_small, setup,
		    engine_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
