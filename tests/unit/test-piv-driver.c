/*
 * tests/unit/test-piv-driver.c - the PIV driver (pkcs11/piv*.c) against
 * the in-process emulated card: token-emu's engine behind a small
 * ss_transport written here, so the real channel (GET RESPONSE, command
 * chaining) sits between the driver and the card.
 *
 * Covers: the APDU budget the front end counts on (cold flow, further
 * signatures, 9C with its VERIFY), signatures verified with OpenSSL
 * against the certificate, decryption and ECDH against software, PIN
 * status / wrong / blocked / length / PIN pad, absent keys, a non-PIV
 * card, a YubiKey (ATR, GET METADATA, serial), reset, and a hostile card
 * whose every answer is mutated (truncated, bit-flipped, random, bad
 * lengths, odd status words, transport errors and resets) for
 * thousands of rounds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "pkcs11/driver.h"
#include "pkcs11/mech.h"
#include "pkcs11/piv.h"
#include "pkcs11/piv_priv.h"
#include "reader/channel.h"
#include "reader/err.h"
#include "reader/transport.h"
#include "token-emu/card.h"
#include "token-emu/cardfile.h"
#include "token-emu/engine.h"
#include "token-emu/identity.h"

#define READER		"Emulated Reader 0"
#define PINPAD_CODE	0x42330006u
#define PINPAD_HDR	19	/* PIN_VERIFY_STRUCTURE before the APDU */
#define HOSTILE_ROUNDS	2000	/* SMARTSIGN_HOSTILE_ROUNDS overrides */

/* A YubiKey 5 ATR: historical bytes 80 73 C0 21 C0 57 "YubiKey" */
static const uint8_t yk_atr[] = {
	0x3b, 0xfd, 0x13, 0x00, 0x00, 0x81, 0x31, 0xfe, 0x15, 0x80, 0x73,
	0xc0, 0x21, 0xc0, 0x57, 0x59, 0x75, 0x62, 0x69, 0x4b, 0x65, 0x79,
	0x40,
};

enum tr_mode {
	TR_HONEST,
	TR_MUTATE,	/* the engine's answer, then damaged */
	TR_RANDOM,	/* no engine: random bytes */
	TR_NOT_PIV	/* 6A82 to everything */
};

struct tr {
	struct emu_card	 card;
	struct emu_ctx	 ctx;
	uint8_t		 rbuf[EMU_RESP_MAX];
	enum tr_mode	 mode;
	uint64_t	 rng;
	bool		 pinpad;
	const char	*pad_pin;	/* what the user types on the pad */
};

struct t {
	struct tr		 tr;
	struct ss_transport	 transport;
	struct ss_chan		*chan;
	const struct drv_ops	*ops;
	struct drv_card		*card;
};

/* the card every test starts from, built once */
static uint8_t	*tmpl;
static size_t	 tmpl_len;

/* ---- a tiny PRNG (xorshift64*) for reproducible damage ---- */

static uint64_t
rnd(struct tr *tr)
{
	tr->rng ^= tr->rng >> 12;
	tr->rng ^= tr->rng << 25;
	tr->rng ^= tr->rng >> 27;
	return tr->rng * 0x2545f4914f6cdd1dULL;
}

static size_t
rnd_below(struct tr *tr, size_t n)
{
	return n == 0 ? 0 : (size_t)(rnd(tr) % n);
}

/* ---- the transport ---- */

static int
tr_establish(void *priv, ss_tctx *ctx)
{
	(void)priv;
	*ctx = 1;
	return SS_ERR_OK;
}

static int
tr_release(void *priv, ss_tctx ctx)
{
	(void)priv;
	(void)ctx;
	return SS_ERR_OK;
}

static int
tr_list(void *priv, ss_tctx ctx, char *buf, size_t cap, size_t *len)
{
	static const char names[] = READER "\0";

	(void)priv;
	(void)ctx;
	if (cap < sizeof(names))
		return SS_ERR_BUFFER;
	memcpy(buf, names, sizeof(names));
	*len = sizeof(names);
	return SS_ERR_OK;
}

static int
tr_connect(void *priv, ss_tctx ctx, const char *reader, uint32_t share,
    uint32_t protocols, ss_tcard *card, uint32_t *proto)
{
	struct tr *tr = priv;

	(void)ctx;
	(void)reader;
	(void)share;
	(void)protocols;
	emu_power_on(&tr->ctx);
	*card = 1;
	*proto = SS_PROTO_T1;
	return SS_ERR_OK;
}

static int
tr_reconnect(void *priv, ss_tcard card, uint32_t share, uint32_t protocols,
    uint32_t init, uint32_t *proto)
{
	struct tr *tr = priv;

	(void)card;
	(void)share;
	(void)protocols;
	if (init != SS_LEAVE_CARD)
		emu_power_on(&tr->ctx);
	*proto = SS_PROTO_T1;
	return SS_ERR_OK;
}

static int
tr_card_ok(void *priv, ss_tcard card, uint32_t disposition)
{
	(void)priv;
	(void)card;
	(void)disposition;
	return SS_ERR_OK;
}

static int
tr_begin(void *priv, ss_tcard card)
{
	(void)priv;
	(void)card;
	return SS_ERR_OK;
}

static int
tr_status(void *priv, ss_tcard card, uint32_t *state, uint8_t *atr,
    size_t cap, size_t *atr_len)
{
	struct tr *tr = priv;

	(void)card;
	*state = SS_RS_PRESENT;
	if (cap < tr->card.atr_len)
		return SS_ERR_BUFFER;
	memcpy(atr, tr->card.atr, tr->card.atr_len);
	*atr_len = tr->card.atr_len;
	return SS_ERR_OK;
}

/* Damage an answer (data + SW) in place; returns the new length. */
static size_t
mutate(struct tr *tr, uint8_t *r, size_t len, size_t cap)
{
	size_t i, n, pos;

	switch (rnd_below(tr, 10)) {
	case 0:
	case 1:
		return len;			/* left alone */
	case 2:					/* truncated data */
		n = rnd_below(tr, len > 2 ? len - 2 : 1);
		r[n] = r[len - 2];
		r[n + 1] = r[len - 1];
		return n + 2;
	case 3:					/* bits flipped */
		for (i = 0, n = 1 + rnd_below(tr, 4); i < n && len > 2; i++)
			r[rnd_below(tr, len - 2)] ^= (uint8_t)(1u <<
			    rnd_below(tr, 8));
		return len;
	case 4:					/* random data, 9000 */
		n = rnd_below(tr, cap - 2);
		for (i = 0; i < n; i++)
			r[i] = (uint8_t)rnd(tr);
		r[n] = 0x90;
		r[n + 1] = 0x00;
		return n + 2;
	case 5:					/* random status word */
		r[len - 2] = (uint8_t)(rnd_below(tr, 3) == 0 ? 0x61 :
		    (rnd_below(tr, 2) ? 0x63 : rnd(tr)));
		r[len - 1] = (uint8_t)rnd(tr);
		return len;
	case 6:					/* a length made huge */
		if (len > 4) {
			pos = rnd_below(tr, len - 3);
			r[pos] = 0x82;
			r[pos + 1] = 0xff;
		}
		return len;
	case 7:					/* a length made 0x83 */
		if (len > 3)
			r[rnd_below(tr, len - 2)] = 0x83;
		return len;
	case 8:					/* empty, 9000 */
		r[0] = 0x90;
		r[1] = 0x00;
		return 2;
	default:				/* shorter by one */
		return len > 2 ? len - 1 : len;
	}
}

static size_t
random_answer(struct tr *tr, uint8_t *r, size_t cap)
{
	size_t i, n = 2 + rnd_below(tr, cap - 1);

	for (i = 0; i < n; i++)
		r[i] = (uint8_t)rnd(tr);
	if (rnd_below(tr, 2))
		r[n - 2] = 0x90, r[n - 1] = 0x00;
	return n;
}

static int
tr_transmit(void *priv, ss_tcard card, uint32_t proto, const uint8_t *cmd,
    size_t cmd_len, uint8_t *resp, size_t cap, size_t *resp_len)
{
	struct tr	*tr = priv;
	size_t		 n = 0;

	(void)card;
	(void)proto;
	if (tr->mode != TR_HONEST && tr->mode != TR_NOT_PIV &&
	    rnd_below(tr, 64) == 0)
		return rnd_below(tr, 2) ? SS_ERR_COMM : SS_ERR_CARD_RESET;
	if (tr->mode == TR_RANDOM) {
		*resp_len = random_answer(tr, resp, cap);
		return SS_ERR_OK;
	}
	emu_process(&tr->ctx, cmd, cmd_len, tr->rbuf, &n);
	if (tr->mode == TR_NOT_PIV) {
		tr->rbuf[0] = 0x6a;
		tr->rbuf[1] = 0x82;
		n = 2;
	}
	if (n > cap)
		return SS_ERR_BUFFER;
	memcpy(resp, tr->rbuf, n);
	if (tr->mode == TR_MUTATE)
		n = mutate(tr, resp, n, cap);
	*resp_len = n;
	return SS_ERR_OK;
}

/* PIN pad: features (VERIFY_PIN_DIRECT only), and VERIFY with the PIN
 * "typed" into the APDU of the structure. */
static int
tr_control(void *priv, ss_tcard card, uint32_t code, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
	static const uint8_t	 feat[] = { 0x06, 0x04, 0x42, 0x33, 0x00,
	    0x06 };
	struct tr		*tr = priv;
	uint8_t			 apdu[13];
	size_t			 n = 0;

	(void)card;
	if (!tr->pinpad || cap < sizeof(feat))
		return SS_ERR_NOT_SUPPORTED;
	if (code == 0x42000d48u) {
		memcpy(out, feat, sizeof(feat));
		*out_len = sizeof(feat);
		return SS_ERR_OK;
	}
	if (code != PINPAD_CODE || in_len != PINPAD_HDR + sizeof(apdu))
		return SS_ERR_NOT_SUPPORTED;
	memcpy(apdu, in + PINPAD_HDR, sizeof(apdu));
	memcpy(apdu + 5, tr->pad_pin, strlen(tr->pad_pin));
	emu_process(&tr->ctx, apdu, sizeof(apdu), tr->rbuf, &n);
	memcpy(out, tr->rbuf + n - 2, 2);
	*out_len = 2;
	return SS_ERR_OK;
}

static const struct ss_transport_ops tr_ops = {
	.establish = tr_establish,
	.release = tr_release,
	.list_readers = tr_list,
	.connect = tr_connect,
	.reconnect = tr_reconnect,
	.disconnect = tr_card_ok,
	.begin = tr_begin,
	.end = tr_card_ok,
	.status = tr_status,
	.transmit = tr_transmit,
	.control = tr_control,
};

/* ---- fixtures ---- */

static int
group_setup(void **state)
{
	struct emu_card		card;
	struct emu_ca		ca;
	struct emu_id_opts	o;
	char			err[256];
	int			rc = -1;

	(void)state;
	memset(&ca, 0, sizeof(ca));
	emu_card_init_empty(&card);
	emu_id_opts_default(&o);
	if (emu_ca_create(&ca, err, sizeof(err)) < 0 ||
	    emu_id_slot(&card, &ca, 0x9a, PIV_ALG_RSA2048, &o, err,
	    sizeof(err)) < 0 ||
	    emu_id_slot(&card, &ca, 0x9c, PIV_ALG_ECCP256, &o, err,
	    sizeof(err)) < 0 ||
	    emu_id_slot(&card, &ca, 0x9d, PIV_ALG_ECCP384, &o, err,
	    sizeof(err)) < 0 ||
	    emu_id_slot(&card, &ca, 0x82, PIV_ALG_RSA1024, &o, err,
	    sizeof(err)) < 0 ||
	    emu_id_slot(&card, NULL, 0x9e, PIV_ALG_ECCP256, &o, err,
	    sizeof(err)) < 0 ||
	    emu_id_card_objects(&card, &o, err, sizeof(err)) < 0 ||
	    emu_cardfile_serialize(&card, &tmpl, &tmpl_len, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "card: %s\n", err);
		goto fail;
	}
	rc = 0;
fail:
	emu_ca_free(&ca);
	emu_card_free(&card);
	return rc;
}

static int
group_teardown(void **state)
{
	(void)state;
	free(tmpl);
	return 0;
}

static struct t *
t_new(bool yubikey_atr)
{
	struct t	*t = calloc(1, sizeof(*t));
	char		 err[256];

	assert_non_null(t);
	assert_int_equal(emu_cardfile_parse(tmpl, tmpl_len, &t->tr.card, err,
	    sizeof(err)), 0);
	if (yubikey_atr) {
		memcpy(t->tr.card.atr, yk_atr, sizeof(yk_atr));
		t->tr.card.atr_len = sizeof(yk_atr);
		t->tr.card.serial = 12345678;
	}
	t->tr.ctx.card = &t->tr.card;
	t->tr.rng = getenv("SMARTSIGN_HOSTILE_SEED") != NULL ?
	    strtoull(getenv("SMARTSIGN_HOSTILE_SEED"), NULL, 0) | 1 :
	    0x9e3779b97f4a7c15ULL;
	t->transport.ops = &tr_ops;
	t->transport.priv = &t->tr;
	t->ops = drv_table[0];
	assert_non_null(t->ops);
	assert_null(drv_table[1]);
	assert_int_equal(ss_chan_open(&t->chan, &t->transport, READER, NULL),
	    SS_ERR_OK);
	return t;
}

static void
t_free(struct t *t)
{
	if (t->card != NULL)
		t->ops->free(&t->card);
	assert_null(t->card);
	ss_chan_free(&t->chan);
	emu_card_free(&t->tr.card);
	free(t);
}

static int
t_probe_into(struct t *t, struct drv_card **card)
{
	uint8_t	atr[SS_ATR_MAX];
	size_t	len = 0;

	assert_int_equal(ss_chan_atr(t->chan, atr, sizeof(atr), &len),
	    SS_ERR_OK);
	return t->ops->probe(t->chan, atr, len, card);
}

static int
t_probe(struct t *t)
{
	return t_probe_into(t, &t->card);
}

static uint64_t
apdus(const struct t *t)
{
	return t->tr.ctx.cnt.apdus;
}

static int
login(struct t *t, const char *pin)
{
	return t->ops->login(t->card, t->chan, (const uint8_t *)pin,
	    strlen(pin));
}

/* Hash-and-pad with the mechanism helpers, sign on the card. */
static int
card_sign(struct t *t, const struct drv_key *k, CK_MECHANISM_TYPE mech,
    const uint8_t *msg, size_t len, uint8_t *sig, size_t *siglen)
{
	CK_MECHANISM	m = { mech, NULL, 0 };
	uint8_t		block[512];
	size_t		bl = sizeof(block);

	assert_int_equal(mech_sign_prepare(&m, k, msg, len, block, &bl),
	    CKR_OK);
	return t->ops->sign(t->card, t->chan, k, block, bl, sig, siglen);
}

/* The signature verifies with the public key of the certificate. */
static void
assert_verifies(const struct drv_key *k, CK_MECHANISM_TYPE mech,
    const uint8_t *msg, size_t len, const uint8_t *sig, size_t siglen)
{
	CK_MECHANISM		 m = { mech, NULL, 0 };
	const unsigned char	*p = k->cert;
	X509			*x;
	EVP_PKEY		*pub;

	assert_non_null(k->cert);
	x = d2i_X509(NULL, &p, (long)k->cert_len);
	assert_non_null(x);
	pub = X509_get_pubkey(x);
	assert_non_null(pub);
	assert_int_equal(EVP_PKEY_eq(pub, k->pub), 1);
	assert_int_equal(mech_verify(&m, pub, msg, len, sig, siglen), CKR_OK);
	EVP_PKEY_free(pub);
	X509_free(x);
}

static const uint8_t msg[] = "customs declaration 2026-0042";

/* ---- the budget ---- */

static void
test_budget_cold_rsa(void **state)
{
	struct t		*t = t_new(false);
	struct drv_token	 tok;
	struct drv_pin_status	 st;
	struct drv_key		 k;
	uint8_t			 sig[512];
	size_t			 sl = sizeof(sig);
	uint64_t		 n0;

	(void)state;
	assert_int_equal(t_probe(t), DRV_OK);
	assert_int_equal(t->ops->token_info(t->card, t->chan, &tok), DRV_OK);
	assert_int_equal(t->ops->pin_status(t->card, t->chan, &st), DRV_OK);
	assert_int_equal(t->ops->load_key(t->card, t->chan, 0x9a, &k),
	    DRV_OK);
	assert_int_equal(login(t, "123456"), DRV_OK);
	assert_int_equal(card_sign(t, &k, CKM_SHA256_RSA_PKCS, msg,
	    sizeof(msg), sig, &sl), DRV_OK);
	print_message("cold flow (probe, token, PIN status, load 9A, login, "
	    "RSA-2048 sign): %llu APDUs (cert %zu bytes)\n",
	    (unsigned long long)apdus(t), k.cert_len);
	assert_true(apdus(t) <= 13);
	assert_int_equal(sl, 256);
	assert_verifies(&k, CKM_SHA256_RSA_PKCS, msg, sizeof(msg), sig, sl);
	/* never a YubiKey command on a card whose ATR is not a YubiKey's */
	assert_int_equal(t->tr.ctx.cnt.by_ins[0xfd], 0);
	assert_int_equal(t->tr.ctx.cnt.by_ins[0xf7], 0);
	assert_int_equal(t->tr.ctx.cnt.by_ins[0xf8], 0);

	n0 = apdus(t);
	sl = sizeof(sig);
	assert_int_equal(card_sign(t, &k, CKM_SHA384_RSA_PKCS, msg,
	    sizeof(msg), sig, &sl), DRV_OK);
	print_message("further RSA-2048 signature: %llu APDUs\n",
	    (unsigned long long)(apdus(t) - n0));
	assert_true(apdus(t) - n0 <= 3);
	assert_verifies(&k, CKM_SHA384_RSA_PKCS, msg, sizeof(msg), sig, sl);
	/* token_info is cached */
	n0 = apdus(t);
	assert_int_equal(t->ops->token_info(t->card, t->chan, &tok), DRV_OK);
	assert_int_equal(apdus(t), n0);
	drv_key_clear(&k);
	t_free(t);
}

/* Replace 9A's certificate by one of about 1.2 KB (RSA-2048 issuer, a
 * long subject) for the same key: the size the budget is stated for. */
static void
big_cert_9a(struct emu_card *card)
{
	EVP_PKEY	*issuer = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
	    (size_t)2048);
	X509		*x = X509_new();
	X509_NAME	*n = X509_get_subject_name(x);
	char		 ou[96];
	int		 i;

	assert_non_null(issuer);
	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 42), 1);
	for (i = 0; i < 6; i++) {
		snprintf(ou, sizeof(ou), "Organisational Unit Number %d of a "
		    "large customs brokerage", i);
		assert_int_equal(X509_NAME_add_entry_by_txt(n, "OU",
		    MBSTRING_ASC, (const unsigned char *)ou, -1, -1, 0), 1);
	}
	assert_int_equal(X509_set_issuer_name(x, n), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_int_equal(X509_set_pubkey(x, emu_card_key(card, 0x9a)->pkey),
	    1);
	assert_true(X509_sign(x, issuer, EVP_sha256()) > 0);
	assert_int_equal(emu_cert_put(card, 0x9a, x), 0);
	X509_free(x);
	EVP_PKEY_free(issuer);
}

static void
test_budget_cold_rsa_1k(void **state)
{
	struct t		*t = t_new(false);
	struct drv_token	 tok;
	struct drv_pin_status	 st;
	struct drv_key		 k;
	uint8_t			 sig[512];
	size_t			 sl = sizeof(sig);

	(void)state;
	big_cert_9a(&t->tr.card);
	assert_int_equal(t_probe(t), DRV_OK);
	assert_int_equal(t->ops->token_info(t->card, t->chan, &tok), DRV_OK);
	assert_int_equal(t->ops->pin_status(t->card, t->chan, &st), DRV_OK);
	assert_int_equal(t->ops->load_key(t->card, t->chan, 0x9a, &k),
	    DRV_OK);
	assert_true(k.cert_len > 1024);
	assert_int_equal(login(t, "123456"), DRV_OK);
	assert_int_equal(card_sign(t, &k, CKM_SHA256_RSA_PKCS, msg,
	    sizeof(msg), sig, &sl), DRV_OK);
	print_message("cold flow with a %zu-byte certificate: %llu APDUs\n",
	    k.cert_len, (unsigned long long)apdus(t));
	assert_true(apdus(t) <= 13);
	assert_verifies(&k, CKM_SHA256_RSA_PKCS, msg, sizeof(msg), sig, sl);
	drv_key_clear(&k);
	t_free(t);
}

static void
test_budget_9c_p256(void **state)
{
	struct t	*t = t_new(false);
	struct drv_key	 k;
	uint8_t		 sig[128];
	size_t		 sl = sizeof(sig);
	uint64_t	 n0;

	(void)state;
	assert_int_equal(t_probe(t), DRV_OK);
	assert_int_equal(t->ops->load_key(t->card, t->chan, 0x9c, &k),
	    DRV_OK);
	assert_int_equal(k.type, DRV_KEY_EC);
	assert_int_equal(k.bits, 256);
	assert_true(k.always_auth);
	assert_int_equal(k.usage, DRV_USE_SIGN);
	n0 = apdus(t);
	assert_int_equal(login(t, "123456"), DRV_OK);
	assert_int_equal(card_sign(t, &k, CKM_ECDSA_SHA256, msg, sizeof(msg),
	    sig, &sl), DRV_OK);
	print_message("9C P-256 signature with its VERIFY: %llu APDUs\n",
	    (unsigned long long)(apdus(t) - n0));
	assert_true(apdus(t) - n0 <= 4);
	assert_int_equal(sl, 64);
	assert_verifies(&k, CKM_ECDSA_SHA256, msg, sizeof(msg), sig, sl);
	/* PIN always: the next signature needs a new VERIFY */
	sl = sizeof(sig);
	assert_int_equal(card_sign(t, &k, CKM_ECDSA_SHA256, msg, sizeof(msg),
	    sig, &sl), DRV_ERR_NOT_LOGGED_IN);
	/* a SHA-512 hash is cut to the field, as ECDSA wants */
	assert_int_equal(login(t, "123456"), DRV_OK);
	sl = sizeof(sig);
	assert_int_equal(card_sign(t, &k, CKM_ECDSA_SHA512, msg, sizeof(msg),
	    sig, &sl), DRV_OK);
	assert_verifies(&k, CKM_ECDSA_SHA512, msg, sizeof(msg), sig, sl);
	drv_key_clear(&k);
	t_free(t);
}

/* ---- token, keys ---- */

static void
test_token_plain(void **state)
{
	struct t		*t = t_new(false);
	struct drv_token	 tok;

	(void)state;
	assert_int_equal(t_probe(t), DRV_OK);
	assert_int_equal(t->ops->token_info(t->card, t->chan, &tok), DRV_OK);
	assert_string_equal(tok.model, "PIV II");
	assert_int_equal(strlen(tok.serial), 16);
	assert_true(strncmp(tok.label, "PIV Card #", 10) == 0);
	assert_string_equal(tok.label + 10, tok.serial);
	assert_int_equal(tok.pin_min, 6);
	assert_int_equal(tok.pin_max, 8);
	/* the same card, the same serial: stable */
	{
		struct drv_card		*c2 = NULL;
		struct drv_token	 tok2;
		uint8_t			 atr[SS_ATR_MAX];
		size_t			 al = 0;

		ss_chan_atr(t->chan, atr, sizeof(atr), &al);
		assert_int_equal(t->ops->probe(t->chan, atr, al, &c2), DRV_OK);
		assert_int_equal(t->ops->token_info(c2, t->chan, &tok2),
		    DRV_OK);
		assert_string_equal(tok.serial, tok2.serial);
		t->ops->free(&c2);
	}
	t_free(t);
}

static void
test_key_refs_ids(void **state)
{
	struct t	*t = t_new(false);
	uint8_t		 refs[32], id[4];
	size_t		 n, idl;

	(void)state;
	assert_int_equal(t_probe(t), DRV_OK);
	n = t->ops->key_refs(t->card, refs, sizeof(refs));
	assert_int_equal(n, 24);
	assert_int_equal(refs[0], 0x9a);
	assert_int_equal(refs[1], 0x9c);
	assert_int_equal(refs[2], 0x9d);
	assert_int_equal(refs[3], 0x9e);
	assert_int_equal(refs[4], 0x82);
	assert_int_equal(refs[23], 0x95);
	assert_int_equal(t->ops->key_refs(t->card, refs, 2), 2);
	idl = sizeof(id);
	assert_int_equal(t->ops->key_id(t->card, 0x9a, id, &idl), DRV_OK);
	assert_int_equal(idl, 1);
	assert_int_equal(id[0], 0x01);
	idl = sizeof(id);
	assert_int_equal(t->ops->key_id(t->card, 0x9e, id, &idl), DRV_OK);
	assert_int_equal(id[0], 0x04);
	idl = sizeof(id);
	assert_int_equal(t->ops->key_id(t->card, 0x82, id, &idl), DRV_OK);
	assert_int_equal(id[0], 0x05);
	idl = sizeof(id);
	assert_int_equal(t->ops->key_id(t->card, 0x95, id, &idl), DRV_OK);
	assert_int_equal(id[0], 0x18);
	idl = sizeof(id);
	assert_int_equal(t->ops->key_id(t->card, 0x9b, id, &idl),
	    DRV_ERR_ARGS);
	t_free(t);
}

static void
test_load_keys(void **state)
{
	struct t	*t = t_new(false);
	struct drv_key	 k;
	uint64_t	 n0;

	(void)state;
	assert_int_equal(t_probe(t), DRV_OK);
	assert_int_equal(t->ops->load_key(t->card, t->chan, 0x9a, &k),
	    DRV_OK);
	assert_int_equal(k.type, DRV_KEY_RSA);
	assert_int_equal(k.bits, 2048);
	assert_int_equal(k.usage, DRV_USE_SIGN | DRV_USE_DECRYPT);
	assert_false(k.always_auth);
	assert_string_equal(k.key_label, "PIV AUTH key");
	assert_string_equal(k.cert_label,
	    "X.509 Certificate for PIV Authentication");
	drv_key_clear(&k);
	assert_int_equal(t->ops->load_key(t->card, t->chan, 0x9d, &k),
	    DRV_OK);
	assert_int_equal(k.type, DRV_KEY_EC);
	assert_int_equal(k.bits, 384);
	assert_int_equal(k.usage, DRV_USE_DERIVE);
	assert_string_equal(k.key_label, "KEY MAN key");
	drv_key_clear(&k);
	assert_int_equal(t->ops->load_key(t->card, t->chan, 0x82, &k),
	    DRV_OK);
	assert_int_equal(k.bits, 1024);
	assert_int_equal(k.usage, DRV_USE_DECRYPT);
	assert_int_equal(k.id[0], 0x05);
	assert_string_equal(k.key_label, "Retired KEY MAN 1");
	assert_string_equal(k.cert_label,
	    "Retired X.509 Certificate for Key Management 1");
	drv_key_clear(&k);
	/* absent: beyond the Key History's on-card count (read once, with
	 * 82 above): no APDU; 9E has a key but no certificate, and a
	 * plain PIV card cannot tell */
	n0 = apdus(t);
	assert_int_equal(t->ops->load_key(t->card, t->chan, 0x95, &k),
	    DRV_ERR_KEY_ABSENT);
	assert_int_equal(apdus(t) - n0, 0);
	assert_null(k.pub);
	assert_int_equal(t->ops->load_key(t->card, t->chan, 0x9e, &k),
	    DRV_ERR_KEY_ABSENT);
	assert_int_equal(t->ops->load_key(t->card, t->chan, 0x9b, &k),
	    DRV_ERR_ARGS);
	/* a deleted object is absent too */
	assert_int_equal(emu_card_obj_set(&t->tr.card, 0x5fc10e,
	    (const uint8_t *)"", 0), 0);
	assert_int_equal(t->ops->load_key(t->card, t->chan, 0x83, &k),
	    DRV_ERR_KEY_ABSENT);
	t_free(t);
}

/* Compressed and broken certificate containers. */
static void
test_load_odd_containers(void **state)
{
	static const uint8_t gz[] = { 0x70, 0x03, 0x1f, 0x8b, 0x08, 0x71,
	    0x01, 0x01, 0xfe, 0x00 };
	static const uint8_t junk[] = { 0x70, 0x04, 0x30, 0x02, 0x05, 0x00,
	    0x71, 0x01, 0x00 };
	static const uint8_t empty[] = { 0x70, 0x00, 0x71, 0x01, 0x00 };
	struct t	*t = t_new(false);
	struct drv_key	 k;

	(void)state;
	assert_int_equal(t_probe(t), DRV_OK);
	assert_int_equal(emu_card_obj_set(&t->tr.card, 0x5fc10d, gz,
	    sizeof(gz)), 0);
	assert_int_equal(t->ops->load_key(t->card, t->chan, 0x82, &k),
	    DRV_ERR_NOT_SUPPORTED);
	assert_int_equal(emu_card_obj_set(&t->tr.card, 0x5fc10d, junk,
	    sizeof(junk)), 0);
	assert_int_equal(t->ops->load_key(t->card, t->chan, 0x82, &k),
	    DRV_ERR_NOT_SUPPORTED);
	assert_int_equal(emu_card_obj_set(&t->tr.card, 0x5fc10d, empty,
	    sizeof(empty)), 0);
	assert_int_equal(t->ops->load_key(t->card, t->chan, 0x82, &k),
	    DRV_ERR_KEY_ABSENT);
	t_free(t);
}

/* ---- YubiKey ---- */

static void
test_yubikey(void **state)
{
	struct t		*t = t_new(true);
	struct drv_token	 tok;
	struct drv_pin_status	 st;
	struct drv_key		 k;
	uint8_t			 sig[128];
	size_t			 sl = sizeof(sig);
	uint64_t		 n0;

	(void)state;
	assert_int_equal(t_probe(t), DRV_OK);
	assert_int_equal(apdus(t), 2);		/* SELECT, GET VERSION */
	assert_int_equal(t->ops->token_info(t->card, t->chan, &tok), DRV_OK);
	assert_string_equal(tok.label, "YubiKey PIV #12345678");
	assert_string_equal(tok.serial, "12345678");
	assert_string_equal(tok.manufacturer, "Yubico");
	assert_string_equal(tok.model, "YubiKey 5");
	assert_int_equal(tok.fw_major, 5);
	assert_int_equal(tok.fw_minor, 4);
	assert_int_equal(t->tr.ctx.cnt.by_ins[0xcb], 0);	/* no CHUID */
	assert_int_equal(t->ops->pin_status(t->card, t->chan, &st), DRV_OK);
	assert_int_equal(st.tries_max, 3);
	assert_int_equal(st.tries_left, 3);
	assert_false(st.verified);
	/* metadata is asked once */
	n0 = apdus(t);
	assert_int_equal(t->ops->pin_status(t->card, t->chan, &st), DRV_OK);
	assert_int_equal(apdus(t) - n0, 1);
	/* certificate + metadata */
	assert_int_equal(t->ops->load_key(t->card, t->chan, 0x9a, &k),
	    DRV_OK);
	assert_true(k.local);
	assert_false(k.always_auth);
	assert_non_null(k.cert);
	drv_key_clear(&k);
	assert_int_equal(t->ops->load_key(t->card, t->chan, 0x9c, &k),
	    DRV_OK);
	assert_true(k.always_auth);
	drv_key_clear(&k);
	/* no certificate: the public key from GET METADATA */
	assert_int_equal(t->ops->load_key(t->card, t->chan, 0x9e, &k),
	    DRV_OK);
	assert_null(k.cert);
	assert_int_equal(k.type, DRV_KEY_EC);
	assert_int_equal(k.bits, 256);
	assert_false(k.always_auth);		/* PIN policy never */
	assert_int_equal(card_sign(t, &k, CKM_ECDSA_SHA256, msg, sizeof(msg),
	    sig, &sl), DRV_OK);
	{
		CK_MECHANISM m = { CKM_ECDSA_SHA256, NULL, 0 };

		assert_int_equal(mech_verify(&m, k.pub, msg, sizeof(msg), sig,
		    sl), CKR_OK);
	}
	drv_key_clear(&k);
	assert_int_equal(t->ops->load_key(t->card, t->chan, 0x95, &k),
	    DRV_ERR_KEY_ABSENT);
	/* a YubiKey's policy wins over the slot's habit */
	emu_card_key(&t->tr.card, 0x9a)->pin_policy = EMU_PIN_POLICY_ALWAYS;
	assert_int_equal(t->ops->load_key(t->card, t->chan, 0x9a, &k),
	    DRV_OK);
	assert_true(k.always_auth);
	drv_key_clear(&k);
	t_free(t);
}

/* ---- PIN ---- */

static void
test_pin_flow(void **state)
{
	struct t		*t = t_new(false);
	struct drv_pin_status	 st;
	uint64_t		 n0;

	(void)state;
	assert_int_equal(t_probe(t), DRV_OK);
	assert_int_equal(t->ops->pin_status(t->card, t->chan, &st), DRV_OK);
	assert_int_equal(st.tries_left, 3);
	assert_int_equal(st.tries_max, 3);	/* plain PIV: the default limit */
	assert_false(st.verified);
	assert_false(st.blocked);
	/* lengths out of range are refused without an APDU */
	n0 = apdus(t);
	assert_int_equal(login(t, "12345"), DRV_ERR_PIN_LEN);
	assert_int_equal(login(t, "123456789"), DRV_ERR_PIN_LEN);
	assert_int_equal(apdus(t), n0);
	assert_int_equal(login(t, "654321"), DRV_ERR_PIN_INCORRECT);
	assert_int_equal(t->ops->pin_status(t->card, t->chan, &st), DRV_OK);
	assert_int_equal(st.tries_left, 2);
	/* the status query never costs a try */
	assert_int_equal(t->ops->pin_status(t->card, t->chan, &st), DRV_OK);
	assert_int_equal(st.tries_left, 2);
	assert_int_equal(t->tr.ctx.cnt.verify, 1);
	assert_int_equal(login(t, "123456"), DRV_OK);
	assert_int_equal(t->ops->pin_status(t->card, t->chan, &st), DRV_OK);
	assert_true(st.verified);
	assert_int_equal(t->ops->logout(t->card, t->chan), DRV_OK);
	assert_int_equal(t->ops->pin_status(t->card, t->chan, &st), DRV_OK);
	assert_false(st.verified);
	assert_int_equal(st.tries_left, 3);
	t_free(t);
}

static void
test_pin_blocked(void **state)
{
	struct t		*t = t_new(false);
	struct drv_pin_status	 st;
	struct drv_key		 k;
	uint8_t			 block[256], sig[256];
	size_t			 sl = sizeof(sig);

	(void)state;
	assert_int_equal(t_probe(t), DRV_OK);
	assert_int_equal(login(t, "000000"), DRV_ERR_PIN_INCORRECT);
	assert_int_equal(login(t, "000000"), DRV_ERR_PIN_INCORRECT);
	assert_int_equal(login(t, "000000"), DRV_ERR_PIN_LOCKED);
	assert_int_equal(t->ops->pin_status(t->card, t->chan, &st), DRV_OK);
	assert_true(st.blocked);
	assert_int_equal(st.tries_left, 0);
	assert_int_equal(login(t, "123456"), DRV_ERR_PIN_LOCKED);
	/* and a key cannot be used */
	assert_int_equal(t->ops->load_key(t->card, t->chan, 0x9a, &k),
	    DRV_OK);
	memset(block, 0x01, sizeof(block));
	block[0] = 0;
	assert_int_equal(t->ops->sign(t->card, t->chan, &k, block,
	    sizeof(block), sig, &sl), DRV_ERR_NOT_LOGGED_IN);
	drv_key_clear(&k);
	t_free(t);
}

static void
test_pinpad(void **state)
{
	struct t		*t = t_new(false);
	struct drv_pin_status	 st;

	(void)state;
	assert_int_equal(t_probe(t), DRV_OK);
	/* no PIN pad */
	assert_int_equal(t->ops->login(t->card, t->chan, NULL, 0),
	    DRV_ERR_NOT_SUPPORTED);
	ss_chan_free(&t->chan);
	t->ops->free(&t->card);
	t->tr.pinpad = true;
	t->tr.pad_pin = "999999";
	assert_int_equal(ss_chan_open(&t->chan, &t->transport, READER, NULL),
	    SS_ERR_OK);
	assert_int_equal(t_probe(t), DRV_OK);
	assert_int_equal(t->ops->login(t->card, t->chan, NULL, 0),
	    DRV_ERR_PIN_INCORRECT);
	t->tr.pad_pin = "123456";
	assert_int_equal(t->ops->login(t->card, t->chan, NULL, 0), DRV_OK);
	assert_int_equal(t->ops->pin_status(t->card, t->chan, &st), DRV_OK);
	assert_true(st.verified);
	t_free(t);
}

/* ---- other operations ---- */

static void
test_sign_errors(void **state)
{
	struct t	*t = t_new(false);
	struct drv_key	 k;
	uint8_t		 block[256], sig[256];
	size_t		 sl = 10;

	(void)state;
	assert_int_equal(t_probe(t), DRV_OK);
	assert_int_equal(t->ops->load_key(t->card, t->chan, 0x9a, &k),
	    DRV_OK);
	memset(block, 0x11, sizeof(block));
	block[0] = 0;
	/* output too small: the size, and nothing sent */
	assert_int_equal(t->ops->sign(t->card, t->chan, &k, block,
	    sizeof(block), sig, &sl), DRV_ERR_BUFFER);
	assert_int_equal(sl, 256);
	assert_int_equal(t->ops->sign(t->card, t->chan, &k, block, 100, sig,
	    &sl), DRV_ERR_ARGS);
	assert_int_equal(t->ops->sign(t->card, t->chan, &k, block,
	    sizeof(block), sig, &sl), DRV_ERR_NOT_LOGGED_IN);
	assert_int_equal(login(t, "123456"), DRV_OK);
	/* a block above the modulus: the card refuses it (6A80) */
	memset(block, 0xff, sizeof(block));
	assert_int_equal(t->ops->sign(t->card, t->chan, &k, block,
	    sizeof(block), sig, &sl), DRV_ERR_DATA_INVALID);
	drv_key_clear(&k);
	t_free(t);
}

static void
test_decrypt(void **state)
{
	struct t	*t = t_new(false);
	struct drv_key	 k;
	uint8_t		 plain[128], ct[128], out[128];
	size_t		 cl = sizeof(ct), ol = sizeof(out);
	EVP_PKEY_CTX	*ctx;

	(void)state;
	assert_int_equal(t_probe(t), DRV_OK);
	assert_int_equal(t->ops->load_key(t->card, t->chan, 0x82, &k),
	    DRV_OK);
	memset(plain, 0x33, sizeof(plain));
	plain[0] = 0x00;
	ctx = EVP_PKEY_CTX_new(k.pub, NULL);
	assert_int_equal(EVP_PKEY_encrypt_init(ctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING),
	    1);
	assert_int_equal(EVP_PKEY_encrypt(ctx, ct, &cl, plain,
	    sizeof(plain)), 1);
	EVP_PKEY_CTX_free(ctx);
	assert_int_equal(login(t, "123456"), DRV_OK);
	assert_int_equal(t->ops->decrypt(t->card, t->chan, &k, ct, cl, out,
	    &ol), DRV_OK);
	assert_int_equal(ol, 128);
	assert_memory_equal(out, plain, sizeof(plain));
	drv_key_clear(&k);
	t_free(t);
}

static void
test_derive(void **state)
{
	struct t	*t = t_new(false);
	struct drv_key	 k;
	EVP_PKEY	*peer = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	EVP_PKEY_CTX	*ctx;
	uint8_t		 point[128], want[64], got[64];
	size_t		 pl = 0, wl = sizeof(want), gl = sizeof(got);

	(void)state;
	assert_non_null(peer);
	assert_int_equal(t_probe(t), DRV_OK);
	assert_int_equal(t->ops->load_key(t->card, t->chan, 0x9d, &k),
	    DRV_OK);
	assert_int_equal(EVP_PKEY_get_octet_string_param(peer,
	    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point, sizeof(point), &pl), 1);
	assert_int_equal(pl, 97);
	ctx = EVP_PKEY_CTX_new(peer, NULL);
	assert_int_equal(EVP_PKEY_derive_init(ctx), 1);
	assert_int_equal(EVP_PKEY_derive_set_peer(ctx, k.pub), 1);
	assert_int_equal(EVP_PKEY_derive(ctx, want, &wl), 1);
	EVP_PKEY_CTX_free(ctx);
	assert_int_equal(t->ops->derive(t->card, t->chan, &k, point, pl, got,
	    &gl), DRV_ERR_NOT_LOGGED_IN);
	assert_int_equal(login(t, "123456"), DRV_OK);
	assert_int_equal(t->ops->derive(t->card, t->chan, &k, point, pl - 1,
	    got, &gl), DRV_ERR_DATA_INVALID);
	assert_int_equal(t->ops->derive(t->card, t->chan, &k, point, pl, got,
	    &gl), DRV_OK);
	assert_int_equal(gl, 48);
	assert_memory_equal(got, want, wl);
	drv_key_clear(&k);
	EVP_PKEY_free(peer);
	t_free(t);
}

static void
test_not_piv(void **state)
{
	struct t *t = t_new(false);

	(void)state;
	t->tr.mode = TR_NOT_PIV;
	assert_int_equal(t_probe(t), DRV_ERR_NOT_OURS);
	assert_null(t->card);
	assert_int_equal(apdus(t), 1);
	t_free(t);
}

static void
test_reset_reselect(void **state)
{
	struct t		*t = t_new(false);
	struct drv_pin_status	 st;

	(void)state;
	assert_int_equal(t_probe(t), DRV_OK);
	assert_int_equal(login(t, "123456"), DRV_OK);
	assert_int_equal(ss_chan_reconnect(t->chan, true), SS_ERR_OK);
	/* after a reset: select again; the PIN is forgotten */
	assert_int_equal(t->ops->reselect(t->card, t->chan), DRV_OK);
	assert_int_equal(t->ops->pin_status(t->card, t->chan, &st), DRV_OK);
	assert_false(st.verified);
	t_free(t);
}

/* ---- a hostile card ---- */

static void
hostile_ops(struct t *t, struct drv_card *card, const struct drv_key *keys,
    size_t nkeys)
{
	struct drv_token	 tok;
	struct drv_pin_status	 st;
	struct drv_key		 k;
	uint8_t			 in[512], out[512], refs[32];
	size_t			 ol, i;

	memset(in, 0x11, sizeof(in));
	in[0] = 0;
	(void)t->ops->token_info(card, t->chan, &tok);
	(void)t->ops->pin_status(card, t->chan, &st);
	(void)login(t, "123456");
	i = t->ops->key_refs(card, refs, sizeof(refs));
	if (t->ops->load_key(card, t->chan, refs[rnd_below(&t->tr, i)],
	    &k) == DRV_OK) {
		assert_non_null(k.pub);
		assert_true(k.type != DRV_KEY_NONE);
		drv_key_clear(&k);
	}
	for (i = 0; i < nkeys; i++) {
		ol = sizeof(out);
		(void)t->ops->sign(card, t->chan, &keys[i], in,
		    (keys[i].bits + 7) / 8, out, &ol);
		ol = sizeof(out);
		(void)t->ops->decrypt(card, t->chan, &keys[i], in,
		    (keys[i].bits + 7) / 8, out, &ol);
		ol = sizeof(out);
		in[0] = 0x04;
		(void)t->ops->derive(card, t->chan, &keys[i], in,
		    2 * ((keys[i].bits + 7) / 8) + 1, out, &ol);
		in[0] = 0x00;
	}
	(void)t->ops->logout(card, t->chan);
	(void)t->ops->reselect(card, t->chan);
}

static void
test_hostile_card(void **state)
{
	static const uint8_t	 refs[] = { 0x9a, 0x9c, 0x9d, 0x82 };
	struct t		*t = t_new(true);
	struct drv_key		 keys[4];
	struct drv_card		*card = NULL;
	unsigned		 round, ok_probes = 0, rounds = HOSTILE_ROUNDS;
	size_t			 i;

	(void)state;
	if (getenv("SMARTSIGN_HOSTILE_ROUNDS") != NULL)
		rounds = (unsigned)strtoul(getenv("SMARTSIGN_HOSTILE_ROUNDS"),
		    NULL, 10);
	/* honest keys and card state to attack the later commands with */
	assert_int_equal(t_probe(t), DRV_OK);
	for (i = 0; i < 4; i++)
		assert_int_equal(t->ops->load_key(t->card, t->chan, refs[i],
		    &keys[i]), DRV_OK);
	for (round = 0; round < rounds; round++) {
		t->tr.mode = (round % 4 == 3) ? TR_RANDOM : TR_MUTATE;
		t->tr.card.pin_tries_left = 3;	/* keep the PIN usable */
		emu_power_on(&t->tr.ctx);
		if (t_probe_into(t, &card) == DRV_OK) {
			ok_probes++;
			hostile_ops(t, card, keys, 4);
			t->ops->free(&card);
		}
		hostile_ops(t, t->card, keys, 4);
		t->tr.mode = TR_HONEST;
	}
	/* and the honest card still works afterwards */
	t->tr.card.pin_tries_left = 3;
	emu_power_on(&t->tr.ctx);
	assert_int_equal(t->ops->reselect(t->card, t->chan), DRV_OK);
	assert_int_equal(login(t, "123456"), DRV_OK);
	{
		uint8_t	sig[512];
		size_t	sl = sizeof(sig);

		assert_int_equal(card_sign(t, &keys[0], CKM_SHA256_RSA_PKCS,
		    msg, sizeof(msg), sig, &sl), DRV_OK);
		assert_verifies(&keys[0], CKM_SHA256_RSA_PKCS, msg,
		    sizeof(msg), sig, sl);
	}
	print_message("hostile card: %u rounds, %u probes accepted, "
	    "%llu APDUs\n", round, ok_probes,
	    (unsigned long long)apdus(t));
	for (i = 0; i < 4; i++)
		drv_key_clear(&keys[i]);
	t_free(t);
}

/* The pure parsers, straight: random bytes and damaged good input. */
static void
test_parsers_random(void **state)
{
	static const uint8_t good[] = { 0x30, 0x08, 0x02, 0x02, 0x00, 0x80,
	    0x02, 0x02, 0x01, 0x02 };
	struct tr	 tr;
	struct piv_meta	 m;
	uint8_t		 buf[300], out[96];
	size_t		 i, j, n;

	(void)state;
	memset(&tr, 0, sizeof(tr));
	tr.rng = 0x1234567887654321ULL;
	assert_int_equal(piv_ecdsa_der_to_raw(good, sizeof(good), 2, out), 0);
	assert_int_equal(out[0], 0x00);
	assert_int_equal(out[1], 0x80);
	assert_int_equal(out[2], 0x01);
	assert_int_equal(out[3], 0x02);
	assert_int_equal(piv_ecdsa_der_to_raw(good, sizeof(good), 1, out),
	    -1);
	assert_int_equal(piv_ecdsa_der_to_raw(good, sizeof(good) - 1, 2, out),
	    -1);
	for (i = 0; i < 200000; i++) {
		n = rnd_below(&tr, sizeof(buf));
		if (i % 2) {
			memcpy(buf, good, sizeof(good));
			n = sizeof(good) - rnd_below(&tr, 3);
			buf[rnd_below(&tr, n)] = (uint8_t)rnd(&tr);
		} else
			for (j = 0; j < n; j++)
				buf[j] = (uint8_t)(rnd_below(&tr, 4) == 0 ?
				    0x01 + rnd_below(&tr, 6) : rnd(&tr));
		(void)piv_ecdsa_der_to_raw(buf, n, 1 + rnd_below(&tr, 48),
		    out);
		if (piv_meta_parse(buf, n, &m) == 0)
			piv_meta_clear(&m);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_cold_rsa),
		cmocka_unit_test(test_budget_cold_rsa_1k),
		cmocka_unit_test(test_budget_9c_p256),
		cmocka_unit_test(test_token_plain),
		cmocka_unit_test(test_key_refs_ids),
		cmocka_unit_test(test_load_keys),
		cmocka_unit_test(test_load_odd_containers),
		cmocka_unit_test(test_yubikey),
		cmocka_unit_test(test_pin_flow),
		cmocka_unit_test(test_pin_blocked),
		cmocka_unit_test(test_pinpad),
		cmocka_unit_test(test_sign_errors),
		cmocka_unit_test(test_decrypt),
		cmocka_unit_test(test_derive),
		cmocka_unit_test(test_not_piv),
		cmocka_unit_test(test_reset_reselect),
		cmocka_unit_test(test_hostile_card),
		cmocka_unit_test(test_parsers_random),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
