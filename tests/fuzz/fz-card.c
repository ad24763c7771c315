/*
 * tests/fuzz/fz-card.c - see fz-card.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "token-emu/emu_crypto.h"
#include "token-emu/identity.h"
#include "fz-card.h"

#define FZ_ALG_SLOTS	256

/* The card's keys: one of each kind a host can meet, at the references a
 * PIV host uses them (9A auth, 9C always-PIN signature, 9D decryption,
 * 9E card auth, retired 82..84, F9 attestation). */
static const struct {
	uint8_t	ref;
	uint8_t	alg;
} card_keys[] = {
	{ 0x9a, PIV_ALG_RSA2048 },
	{ 0x9c, PIV_ALG_ECCP256 },
	{ 0x9d, PIV_ALG_RSA1024 },
	{ 0x9e, PIV_ALG_ECCP384 },
	{ 0x82, PIV_ALG_X25519 },
	{ 0x83, PIV_ALG_ED25519 },
	{ 0x84, PIV_ALG_ECCP256 },
	{ 0xf9, PIV_ALG_ECCP256 },
};

static EVP_PKEY		*keys[FZ_ALG_SLOTS];
static struct emu_card	 tmpl;
static int		 tmpl_built;
static X509		*tmpl_ca;

EVP_PKEY	*__real_emu_crypto_keygen(uint8_t alg);

/* RSA from fz-keys.c, the others generated. */
static EVP_PKEY *
key_new(uint8_t alg)
{
	const char	*pem;
	EVP_PKEY	*k = NULL;
	BIO		*b;

	if (!emu_alg_is_rsa(alg))
		return __real_emu_crypto_keygen(alg);
	if ((pem = fz_rsa_pem((unsigned)emu_alg_size(alg) * 8)) == NULL ||
	    (b = BIO_new_mem_buf(pem, -1)) == NULL)
		return NULL;
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	return k;
}

EVP_PKEY *
fz_key(uint8_t alg)
{
	if (keys[alg] == NULL && (keys[alg] = key_new(alg)) == NULL)
		return NULL;
	if (EVP_PKEY_up_ref(keys[alg]) != 1)
		return NULL;
	return keys[alg];
}

EVP_PKEY *
__wrap_emu_crypto_keygen(uint8_t alg)
{
	return fz_key(alg);
}

/* Key and certificate in one slot, as emu_id_slot() makes them. */
static int
card_slot(struct emu_card *card, const struct emu_ca *ca, uint8_t ref,
    uint8_t alg, const struct emu_id_opts *o, char *err, size_t errlen)
{
	struct emu_key	*k = emu_card_key(card, ref);
	EVP_PKEY	*pkey;
	X509		*x = NULL;
	int		 rc = -1;

	if (k == NULL || (pkey = fz_key(alg)) == NULL)
		return -1;
	emu_slot_install(card, k, pkey, alg, k->pin_policy, k->touch_policy,
	    EMU_ORIGIN_GENERATED);
	if ((x = emu_cert_issue(ca, pkey, ref, o, err, errlen)) != NULL &&
	    emu_cert_put(card, ref, x) == 0)
		rc = 0;
	X509_free(x);
	return rc;
}

static void
card_build(struct emu_card *card)
{
	struct emu_id_opts	o;
	struct emu_ca		ca;
	char			err[256] = "";
	size_t			i;

	memset(&ca, 0, sizeof(ca));
	emu_card_init_empty(card);
	emu_id_opts_default(&o);
	if (emu_ca_create(&ca, err, sizeof(err)) < 0)
		goto fail;
	for (i = 0; i < sizeof(card_keys) / sizeof(card_keys[0]); i++)
		if (card_slot(card, &ca, card_keys[i].ref, card_keys[i].alg,
		    &o, err, sizeof(err)) < 0)
			goto fail;
	if (emu_id_card_objects(card, &o, err, sizeof(err)) < 0 ||
	    X509_up_ref(ca.cert) != 1)
		goto fail;
	tmpl_ca = ca.cert;
	emu_ca_free(&ca);
	card->dirty = false;
	return;
fail:
	fprintf(stderr, "fz-card: cannot build the test card: %s\n", err);
	abort();
}

const struct emu_card *
fz_card_template(void)
{
	if (!tmpl_built) {
		card_build(&tmpl);
		tmpl_built = 1;
	}
	return &tmpl;
}

X509 *
fz_card_ca(void)
{
	(void)fz_card_template();
	return tmpl_ca;
}

const uint8_t *
fz_card_cert_9a(size_t *len)
{
	static uint8_t	*der;
	static size_t	 der_len;
	X509		*x;
	int		 n;

	if (der == NULL) {
		if ((x = emu_cert_get(fz_card_template(), 0x9a)) == NULL ||
		    (n = i2d_X509(x, &der)) <= 0)
			abort();
		X509_free(x);
		der_len = (size_t)n;
	}
	*len = der_len;
	return der;
}

int
fz_card_clone(struct emu_card *dst, const struct emu_card *src)
{
	size_t i;

	memcpy(dst, src, sizeof(*dst));
	dst->path = NULL;
	for (i = 0; i < EMU_NKEYS; i++)
		if (dst->keys[i].pkey != NULL &&
		    EVP_PKEY_up_ref(dst->keys[i].pkey) != 1)
			dst->keys[i].pkey = NULL;
	for (i = 0; i < dst->nobjs; i++) {
		dst->objs[i].data = malloc(src->objs[i].len);
		if (dst->objs[i].data == NULL) {
			dst->nobjs = i;
			emu_card_free(dst);
			return -1;
		}
		memcpy(dst->objs[i].data, src->objs[i].data, src->objs[i].len);
	}
	return 0;
}
