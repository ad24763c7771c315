/*
 * pkcs11/piv_objects.c - key references, their CKA_IDs and labels, and
 * load_key: certificate and public key of one reference.
 *
 * IDs and labels follow OpenSC (pkcs15-piv.c, card-piv.c) so that
 * applications configured for OpenSC find the same objects: 9A 01,
 * 9C 02, 9D 03, 9E 04, retired 82..95 05..18 (hex).  Private and public
 * keys share one label (OpenSC's private key label); certificates get
 * the SP 800-73-4 container name.
 *
 * load_key costs one GET DATA of the certificate object (1 KB: one
 * exchange plus about 4 GET RESPONSE), plus one GET METADATA on a
 * YubiKey 5.3+ (PIN policy, origin, and the public key when there is no
 * usable certificate).  Retired references the Key History object rules
 * out cost nothing (piv_history.c: one GET DATA per card).
 *
 * Choices where the specification leaves room:
 * - A compressed certificate (certinfo bit 0, gzip) is not inflated: the
 *   key is still offered, without a certificate, when GET METADATA gives
 *   its public key; otherwise DRV_ERR_NOT_SUPPORTED.
 * - A certificate that does not parse, or a key type or size the card
 *   cannot use, is DRV_ERR_NOT_SUPPORTED (the front end can skip that
 *   reference); a container that is not 53 { ... } is DRV_ERR_DEVICE.
 * - When GET METADATA's public key differs from the certificate's (the
 *   key was replaced, the certificate was not), the key objects get the
 *   real public key; the certificate is still shown as stored.
 * - Usage by reference, as OpenSC without a keyUsage extension: 9A sign
 *   (RSA also decrypt), 9C sign, 9E sign, 9D and retired decrypt (RSA)
 *   or derive (EC); Ed25519 keys only sign, X25519 keys only derive.
 *   (OpenSC also lets an RSA 9C key decrypt; we do not.)
 * - CKA_ALWAYS_AUTHENTICATE: 9C, or whatever PIN policy GET METADATA
 *   reports (ALWAYS) when the card tells.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "reader/buf.h"
#include "reader/tlv.h"
#include "reader/wipe.h"
#include "piv_priv.h"

#define TAG_CONTAINER	0x53u
#define TAG_CERT	0x70u
#define TAG_CERTINFO	0x71u
#define CERTINFO_GZIP	0x01u
#define CERTINFO_NOT_X509 0x02u
#define REF_RETIRED_FIRST 0x82
#define REF_RETIRED_LAST 0x95
#define TAG_RETIRED_FIRST 0x5fc10du
#define ID_RETIRED_FIRST 0x05

struct piv_slot {
	uint8_t		 ref;
	uint8_t		 id;
	uint32_t	 cert_tag;
	const char	*key_label;
	const char	*cert_label;
};

static const struct piv_slot main_slots[] = {
	{ 0x9a, 0x01, 0x5fc105u, "PIV AUTH key",
	    "X.509 Certificate for PIV Authentication" },
	{ 0x9c, 0x02, 0x5fc10au, "SIGN key",
	    "X.509 Certificate for Digital Signature" },
	{ 0x9d, 0x03, 0x5fc10bu, "KEY MAN key",
	    "X.509 Certificate for Key Management" },
	{ 0x9e, 0x04, 0x5fc101u, "CARD AUTH key",
	    "X.509 Certificate for Card Authentication" },
};

#define NMAIN	(sizeof(main_slots) / sizeof(main_slots[0]))

enum cert_state {
	CERT_NONE,		/* empty or absent object */
	CERT_OK,
	CERT_COMPRESSED,
	CERT_UNUSABLE,		/* does not parse as X.509 */
	CERT_MALFORMED		/* the container itself is broken */
};

struct cert_found {
	enum cert_state	 state;
	X509		*x509;
	const uint8_t	*der;		/* into the response buffer */
	size_t		 der_len;
};

static bool
ref_is_retired(uint8_t ref)
{
	return ref >= REF_RETIRED_FIRST && ref <= REF_RETIRED_LAST;
}

/* The table entry (main keys) or a filled-in one (retired); -1 unknown. */
static int
slot_lookup(uint8_t ref, struct piv_slot *s)
{
	size_t i;

	for (i = 0; i < NMAIN; i++) {
		if (main_slots[i].ref == ref) {
			*s = main_slots[i];
			return 0;
		}
	}
	if (!ref_is_retired(ref))
		return -1;
	memset(s, 0, sizeof(*s));
	s->ref = ref;
	s->id = (uint8_t)(ID_RETIRED_FIRST + ref - REF_RETIRED_FIRST);
	s->cert_tag = TAG_RETIRED_FIRST + (uint32_t)(ref - REF_RETIRED_FIRST);
	return 0;
}

static void
slot_labels(const struct piv_slot *s, struct drv_key *k)
{
	unsigned n = (unsigned)(s->ref - REF_RETIRED_FIRST) + 1;

	if (s->key_label != NULL) {
		snprintf(k->key_label, sizeof(k->key_label), "%s",
		    s->key_label);
		snprintf(k->cert_label, sizeof(k->cert_label), "%s",
		    s->cert_label);
		return;
	}
	snprintf(k->key_label, sizeof(k->key_label), "Retired KEY MAN %u", n);
	snprintf(k->cert_label, sizeof(k->cert_label),
	    "Retired X.509 Certificate for Key Management %u", n);
}

size_t
piv_key_refs(struct drv_card *card, uint8_t *refs, size_t cap)
{
	size_t i, n = 0;

	(void)card;
	if (refs == NULL)
		return 0;
	for (i = 0; i < NMAIN && n < cap; i++)
		refs[n++] = main_slots[i].ref;
	for (i = REF_RETIRED_FIRST; i <= REF_RETIRED_LAST && n < cap; i++)
		refs[n++] = (uint8_t)i;
	return n;
}

int
piv_key_id(struct drv_card *card, uint8_t ref, uint8_t *id, size_t *id_len)
{
	struct piv_slot s;

	(void)card;
	if (id == NULL || id_len == NULL)
		return DRV_ERR_ARGS;
	if (slot_lookup(ref, &s) < 0)
		return DRV_ERR_ARGS;
	if (*id_len < 1) {
		*id_len = 1;
		return DRV_ERR_BUFFER;
	}
	id[0] = s.id;
	*id_len = 1;
	return DRV_OK;
}

/* ---- the certificate container ---- */

static uint8_t
certinfo(const struct ss_tlv *outer)
{
	struct ss_tlv	t;
	struct ss_rd	r;
	uint8_t		info = 0;

	if (ss_tlv_find(outer->val, outer->len, TAG_CERTINFO, &t) < 0)
		return 0;
	ss_rd_init(&r, t.val, t.len);
	if (t.len != 1 || ss_rd_u8(&r, &info) < 0)
		return 0;
	return info;
}

static void
cert_x509(const struct ss_tlv *t, struct cert_found *f)
{
	const unsigned char	*q = t->val;
	long			 used;

	f->state = CERT_UNUSABLE;
	if (t->len > (size_t)PIV_OBJ_MAX)
		return;
	if ((f->x509 = d2i_X509(NULL, &q, (long)t->len)) == NULL)
		return;
	used = q - t->val;
	if (used <= 0 || (size_t)used > t->len) {
		X509_free(f->x509);
		f->x509 = NULL;
		return;
	}
	f->der = t->val;
	f->der_len = (size_t)used;
	f->state = CERT_OK;
}

/* 53 { 70 cert, 71 certinfo, FE lrc }: what the object holds. */
static void
cert_parse(const uint8_t *p, size_t len, struct cert_found *f)
{
	struct ss_rd	r;
	struct ss_tlv	outer, cert;
	uint8_t		info;

	memset(f, 0, sizeof(*f));
	f->state = CERT_NONE;
	if (len == 0)
		return;
	ss_rd_init(&r, p, len);
	f->state = CERT_MALFORMED;
	if (ss_tlv_next(&r, &outer) < 0 || outer.tag != TAG_CONTAINER)
		return;
	f->state = CERT_NONE;
	if (outer.len == 0)
		return;			/* 53 00: deleted */
	f->state = CERT_MALFORMED;
	if (ss_tlv_find(outer.val, outer.len, TAG_CERT, &cert) < 0)
		return;
	f->state = CERT_NONE;
	if (cert.len == 0)
		return;
	info = certinfo(&outer);
	if (info & CERTINFO_GZIP)
		f->state = CERT_COMPRESSED;
	else if (info & CERTINFO_NOT_X509)
		f->state = CERT_UNUSABLE;
	else
		cert_x509(&cert, f);
}

/* Read the certificate object; sw 6A82 is an empty object. */
static int
cert_read(struct ss_chan *c, uint32_t tag, uint8_t *buf, struct cert_found *f)
{
	size_t		len = 0;
	uint16_t	sw = 0;
	int		rc;

	memset(f, 0, sizeof(*f));
	f->state = CERT_NONE;
	if ((rc = piv_get_data(c, tag, buf, PIV_OBJ_MAX, &len, &sw)) !=
	    DRV_OK)
		return rc;
	if (sw == SS_SW_NOT_FOUND)
		return DRV_OK;
	if (sw != SS_SW_OK)
		return piv_sw_to_drv(sw);
	cert_parse(buf, len, f);
	return DRV_OK;
}

/* ---- key type, usage ---- */

static int
ec_bits(EVP_PKEY *pk, unsigned *bits)
{
	char	name[64];
	size_t	len = 0;

	if (EVP_PKEY_get_group_name(pk, name, sizeof(name), &len) != 1)
		return -1;
	if (strcmp(name, "prime256v1") == 0 || strcmp(name, "P-256") == 0)
		*bits = 256;
	else if (strcmp(name, "secp384r1") == 0 || strcmp(name, "P-384") == 0)
		*bits = 384;
	else
		return -1;
	return 0;
}

/* What the card can hold: RSA 1024/2048/3072/4096, P-256/384, 25519. */
int
piv_key_classify(EVP_PKEY *pk, enum drv_key_type *type, unsigned *bits)
{
	int b;

	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		b = EVP_PKEY_get_bits(pk);
		if (b != 1024 && b != 2048 && b != 3072 && b != 4096)
			return -1;
		*type = DRV_KEY_RSA;
		*bits = (unsigned)b;
		return 0;
	case EVP_PKEY_EC:
		*type = DRV_KEY_EC;
		return ec_bits(pk, bits);
	case EVP_PKEY_ED25519:
		*type = DRV_KEY_ED25519;
		*bits = 256;
		return 0;
	case EVP_PKEY_X25519:
		*type = DRV_KEY_X25519;
		*bits = 256;
		return 0;
	default:
		return -1;
	}
}

static unsigned
key_usage(uint8_t ref, enum drv_key_type type)
{
	bool signing = ref == 0x9a || ref == 0x9c || ref == 0x9e;

	switch (type) {
	case DRV_KEY_RSA:
		if (ref == 0x9a)
			return DRV_USE_SIGN | DRV_USE_DECRYPT;
		return signing ? DRV_USE_SIGN : DRV_USE_DECRYPT;
	case DRV_KEY_EC:
		return signing ? DRV_USE_SIGN : DRV_USE_DERIVE;
	case DRV_KEY_ED25519:
		return DRV_USE_SIGN;
	case DRV_KEY_X25519:
		return DRV_USE_DERIVE;
	default:
		return 0;
	}
}

/* ---- putting it together ---- */

/* Take the public key (from the certificate or the metadata). */
static int
key_set_pub(struct drv_key *k, EVP_PKEY **pub)
{
	if (piv_key_classify(*pub, &k->type, &k->bits) < 0)
		return DRV_ERR_NOT_SUPPORTED;
	k->pub = *pub;
	*pub = NULL;
	return DRV_OK;
}

static int
key_from_cert(struct drv_key *k, struct cert_found *f,
    struct piv_meta *m)
{
	EVP_PKEY	*pub = NULL;
	int		 rc;

	if ((k->cert = malloc(f->der_len)) == NULL)
		return DRV_ERR_MEMORY;
	memcpy(k->cert, f->der, f->der_len);
	k->cert_len = f->der_len;
	if (m->pub != NULL && EVP_PKEY_eq(m->pub, X509_get0_pubkey(f->x509))
	    != 1) {
		pub = m->pub;		/* the key the card really holds */
		m->pub = NULL;
	} else if ((pub = X509_get_pubkey(f->x509)) == NULL)
		return DRV_ERR_NOT_SUPPORTED;
	rc = key_set_pub(k, &pub);
	EVP_PKEY_free(pub);
	return rc;
}

/* Decide from what the certificate object and the metadata gave. */
static int
key_fill(struct drv_key *k, struct cert_found *f, struct piv_meta *m,
    bool have_meta)
{
	if (f->state == CERT_OK)
		return key_from_cert(k, f, m);
	if (have_meta && m->pub != NULL)
		return key_set_pub(k, &m->pub);
	switch (f->state) {
	case CERT_NONE:
		return DRV_ERR_KEY_ABSENT;
	case CERT_MALFORMED:
		return DRV_ERR_DEVICE;
	default:
		return DRV_ERR_NOT_SUPPORTED;
	}
}

/* GET METADATA when the card has it; absent keys are not an error. */
static int
meta_load(struct drv_card *card, struct ss_chan *c, uint8_t ref,
    struct piv_meta *m, bool *have)
{
	int rc;

	*have = false;
	if (!piv_has_metadata(card))
		return DRV_OK;
	rc = piv_meta_read(c, ref, m);
	if (rc == DRV_OK)
		*have = true;
	else if (rc == DRV_ERR_KEY_ABSENT || rc == DRV_ERR_DEVICE ||
	    rc == DRV_ERR_NOT_SUPPORTED || rc == DRV_ERR_DATA_INVALID)
		rc = DRV_OK;		/* fall back to the certificate */
	return rc;
}

static void
key_attrs(struct drv_key *k, const struct piv_slot *s,
    const struct piv_meta *m, bool have_meta)
{
	k->ref = s->ref;
	k->id[0] = s->id;
	k->id_len = 1;
	slot_labels(s, k);
	k->usage = key_usage(s->ref, k->type);
	k->always_auth = s->ref == 0x9c;
	k->no_pin = s->ref == 0x9e;
	if (have_meta && m->pin_policy != 0) {
		k->always_auth = m->pin_policy == PIV_YK_PIN_ALWAYS;
		k->no_pin = m->pin_policy == PIV_YK_PIN_NEVER;
	}
	k->local = have_meta && m->origin == PIV_YK_ORIGIN_GENERATED;
}

int
piv_load_key(struct drv_card *card, struct ss_chan *c, uint8_t ref,
    struct drv_key *k)
{
	struct piv_slot		 s;
	struct cert_found	 f;
	struct piv_meta		 m;
	uint8_t			*buf = NULL;
	bool			 have_meta = false, absent = false;
	int			 rc = DRV_ERR_ARGS;

	memset(&f, 0, sizeof(f));
	memset(&m, 0, sizeof(m));
	if (card == NULL || c == NULL || k == NULL)
		return DRV_ERR_ARGS;
	memset(k, 0, sizeof(*k));
	if (slot_lookup(ref, &s) < 0 ||
	    (rc = piv_retired_absent(card, c, ref, &absent)) != DRV_OK)
		goto fail;
	rc = DRV_ERR_KEY_ABSENT;
	if (absent)
		goto fail;
	rc = DRV_ERR_MEMORY;
	if ((buf = malloc(PIV_OBJ_MAX)) == NULL)
		goto fail;
	if ((rc = cert_read(c, s.cert_tag, buf, &f)) != DRV_OK ||
	    (rc = meta_load(card, c, ref, &m, &have_meta)) != DRV_OK ||
	    (rc = key_fill(k, &f, &m, have_meta)) != DRV_OK)
		goto fail;
	key_attrs(k, &s, &m, have_meta);
fail:
	if (rc != DRV_OK)
		drv_key_clear(k);
	X509_free(f.x509);
	piv_meta_clear(&m);
	free(buf);
	return rc;
}

/* ---- keys just put on the card (piv_manage.c, piv_import.c) ---- */

uint32_t
piv_cert_tag(uint8_t ref)
{
	struct piv_slot s;

	return slot_lookup(ref, &s) < 0 ? 0 : s.cert_tag;
}

int
piv_key_describe(uint8_t ref, EVP_PKEY **pub, uint8_t pin_policy,
    struct drv_key *k)
{
	struct piv_slot	s;
	int		rc;

	memset(k, 0, sizeof(*k));
	if (slot_lookup(ref, &s) < 0)
		return DRV_ERR_ARGS;
	if ((rc = key_set_pub(k, pub)) != DRV_OK)
		return rc;
	k->ref = s.ref;
	k->id[0] = s.id;
	k->id_len = 1;
	slot_labels(&s, k);
	k->usage = key_usage(s.ref, k->type);
	k->always_auth = pin_policy != 0 ? pin_policy == PIV_YK_PIN_ALWAYS :
	    s.ref == 0x9c;
	k->no_pin = pin_policy != 0 ? pin_policy == PIV_YK_PIN_NEVER :
	    s.ref == 0x9e;
	k->has_private = true;
	return DRV_OK;
}
