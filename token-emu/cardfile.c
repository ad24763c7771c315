/*
 * token-emu/cardfile.c - the card file: serialize, parse, atomic save.
 *
 * Layout, integers big-endian:
 *
 *	"SSEMUCARD\0" (10) | version u16 | body length u32 | body |
 *	SHA-256 over everything before it (32)
 *
 * The body is a flat sequence of BER-TLV records (rec_types below).  Every
 * byte is read through the ss_rd / ss_tlv cursors; the loaded card is then
 * checked by card_check(), the same check save runs before writing, so a
 * card that saves always loads.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "reader/buf.h"
#include "reader/tlv.h"
#include "reader/wipe.h"
#include "card.h"
#include "cardfile.h"
#include "identity.h"

#define CF_MAGIC	"SSEMUCARD"	/* with its NUL: 10 bytes */
#define CF_MAGIC_LEN	10
#define CF_HDR_LEN	16
#define CF_SUM_LEN	32
#define CF_MIN_LEN	(CF_HDR_LEN + CF_SUM_LEN)
#define CF_BODY_MAX	(EMU_CARDFILE_MAX - CF_MIN_LEN)
#define CF_MSG		256
#define TMP_INFIX	".tmp-"	/* temporary file: <path>.tmp-<12 hex> */
#define TMP_HEX		12
#define TMP_STALE_SECS	60

#define REC_PIN		0x01	/* 8: PIN, FF padded */
#define REC_PUK		0x02	/* 8: PUK, FF padded */
#define REC_TRIES	0x03	/* 4: PIN max, PIN left, PUK max, PUK left */
#define REC_FLAGS	0x04	/* 1: FLAG_* */
#define REC_MGMT	0x05	/* alg, touch policy, key */
#define REC_FIRMWARE	0x06	/* 3: YubiKey version */
#define REC_SERIAL	0x07	/* 4 */
#define REC_YUBIKEY	0x08	/* 1: 0 or 1 */
#define REC_ATR		0x09	/* 2..33 */
#define REC_KEY		0x0a	/* ref, alg, PIN pol., touch pol., origin,
				   PKCS#8 PrivateKeyInfo DER */
#define REC_OBJECT	0x0b	/* tag u32, content */

#define FLAG_PIN_DEFAULT	0x01
#define FLAG_PUK_DEFAULT	0x02
#define FLAG_MGMT_DEFAULT	0x04
#define FLAG_ALL		0x07

struct rec_type {
	uint8_t		 tag;
	bool		 once;	/* required exactly once, else 0..n */
	const char	*name;
	int		(*parse)(struct emu_card *, struct ss_rd *, char *,
			    size_t);
};

static int	cf_err(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static int
cf_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* --- checks shared by load and save --- */

static bool
pin_ok(const uint8_t pin[EMU_PIN_LEN])
{
	size_t n = 0, i;

	while (n < EMU_PIN_LEN && pin[n] != 0xff)
		n++;
	for (i = n; i < EMU_PIN_LEN; i++)
		if (pin[i] != 0xff)
			return false;
	return n >= 6;
}

static size_t
mgmt_key_len(uint8_t alg)
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

/* a BER tag of one to three bytes, as ss_tlv reads and writes them */
static bool
obj_tag_ok(uint32_t tag)
{
	uint8_t b0, b1;

	if (tag == 0 || tag > 0xffffff)
		return false;
	if (tag <= 0xff)
		return (tag & 0x1f) != 0x1f;
	if (tag <= 0xffff) {
		b0 = (uint8_t)(tag >> 8);
		b1 = (uint8_t)tag;
		return (b0 & 0x1f) == 0x1f && (b1 & 0x80) == 0;
	}
	b0 = (uint8_t)(tag >> 16);
	b1 = (uint8_t)(tag >> 8);
	return (b0 & 0x1f) == 0x1f && (b1 & 0x80) != 0 && (tag & 0x80) == 0;
}

static int
tries_check(const char *what, uint8_t max, uint8_t left, char *m, size_t ml)
{
	if (max == 0)
		return cf_err(m, ml, "%s retry limit is 0", what);
	if (left > max)
		return cf_err(m, ml, "%s tries left (%u) above the limit (%u)",
		    what, left, max);
	return 0;
}

static int
key_check(const struct emu_key *k, char *m, size_t ml)
{
	if (k->alg == 0 && k->pkey == NULL)
		return 0;
	if (k->pkey == NULL)
		return cf_err(m, ml, "key %02X: algorithm %02X without a key",
		    k->ref, k->alg);
	if (!emu_keytype_is_asym(k->alg))
		return cf_err(m, ml, "key %02X: unknown algorithm %02X",
		    k->ref, k->alg);
	if (!emu_key_matches_alg(k->pkey, k->alg))
		return cf_err(m, ml, "key %02X: the key is not %s", k->ref,
		    emu_keytype_name(k->alg));
	if (k->pin_policy < EMU_PIN_POLICY_NEVER ||
	    k->pin_policy > EMU_PIN_POLICY_ALWAYS)
		return cf_err(m, ml, "key %02X: bad PIN policy %u", k->ref,
		    k->pin_policy);
	if (k->touch_policy > EMU_TOUCH_POLICY_CACHED)
		return cf_err(m, ml, "key %02X: bad touch policy %u", k->ref,
		    k->touch_policy);
	if (k->origin != EMU_ORIGIN_GENERATED &&
	    k->origin != EMU_ORIGIN_IMPORTED)
		return cf_err(m, ml, "key %02X: bad origin %u", k->ref,
		    k->origin);
	return 0;
}

static int
objs_check(const struct emu_card *card, char *m, size_t ml)
{
	const struct emu_object	*o;
	size_t			 i, j;

	if (card->nobjs > EMU_NOBJS_MAX)
		return cf_err(m, ml, "%zu objects (at most %d)", card->nobjs,
		    EMU_NOBJS_MAX);
	for (i = 0; i < card->nobjs; i++) {
		o = &card->objs[i];
		if (!obj_tag_ok(o->tag))
			return cf_err(m, ml, "object tag %X is not a BER tag",
			    o->tag);
		if (o->data == NULL || o->len == 0 || o->len > EMU_OBJ_MAX)
			return cf_err(m, ml, "object %X: %zu bytes (1 to %d)",
			    o->tag, o->len, EMU_OBJ_MAX);
		for (j = 0; j < i; j++)
			if (card->objs[j].tag == o->tag)
				return cf_err(m, ml, "object %X appears twice",
				    o->tag);
	}
	return 0;
}

static int
mgmt_check(const struct emu_card *card, char *m, size_t ml)
{
	size_t want = mgmt_key_len(card->mgmt_alg);

	if (want == 0)
		return cf_err(m, ml, "unknown management key algorithm %02X",
		    card->mgmt_alg);
	if (card->mgmt_key_len != want)
		return cf_err(m, ml, "management key of %zu bytes for "
		    "algorithm %02X (needs %zu)", card->mgmt_key_len,
		    card->mgmt_alg, want);
	if (card->mgmt_touch_policy > EMU_TOUCH_POLICY_CACHED)
		return cf_err(m, ml, "bad management key touch policy %u",
		    card->mgmt_touch_policy);
	return 0;
}

static int
card_check(const struct emu_card *card, char *m, size_t ml)
{
	size_t i;

	if (!pin_ok(card->pin))
		return cf_err(m, ml, "PIN is not 6 to 8 bytes padded with FF");
	if (!pin_ok(card->puk))
		return cf_err(m, ml, "PUK is not 6 to 8 bytes padded with FF");
	if (tries_check("PIN", card->pin_tries_max, card->pin_tries_left, m,
	    ml) < 0 || tries_check("PUK", card->puk_tries_max,
	    card->puk_tries_left, m, ml) < 0 || mgmt_check(card, m, ml) < 0)
		return -1;
	if (card->atr_len < 2 || card->atr_len > sizeof(card->atr) ||
	    (card->atr[0] != 0x3b && card->atr[0] != 0x3f))
		return cf_err(m, ml, "bad ATR (%zu bytes)", card->atr_len);
	for (i = 0; i < EMU_NKEYS; i++)
		if (key_check(&card->keys[i], m, ml) < 0)
			return -1;
	return objs_check(card, m, ml);
}

/* --- keys as PKCS#8 PrivateKeyInfo DER --- */

static int
key_encode(const EVP_PKEY *pkey, uint8_t **der, size_t *len)
{
	PKCS8_PRIV_KEY_INFO	*p8;
	unsigned char		*p = NULL;
	int			 n;

	if ((p8 = EVP_PKEY2PKCS8(pkey)) == NULL)
		return -1;
	n = i2d_PKCS8_PRIV_KEY_INFO(p8, &p);
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (n <= 0)
		return -1;
	*der = p;
	*len = (size_t)n;
	return 0;
}

/* a decoder for just this key type: 3-4 times faster than the generic
 * one, and a key of another type does not decode */
static EVP_PKEY *
key_decode(const uint8_t *der, size_t len, uint8_t alg)
{
	OSSL_DECODER_CTX	*dctx;
	const char		*type = emu_keytype_ossl(alg);
	const unsigned char	*q = der;
	EVP_PKEY		*pkey = NULL;
	size_t			 left = len;

	if (type == NULL || len == 0 || len > CF_BODY_MAX)
		return NULL;
	dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "DER", "PrivateKeyInfo",
	    type, EVP_PKEY_KEYPAIR, NULL, NULL);
	if (dctx == NULL)
		return NULL;
	if (OSSL_DECODER_from_data(dctx, &q, &left) != 1 || left != 0) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	OSSL_DECODER_CTX_free(dctx);
	return pkey;
}

/* --- record parsers: each reads its value through the cursor r; the
 * caller rejects a value that is too short or too long --- */

static int
rec_pin(struct emu_card *card, struct ss_rd *r, char *m, size_t ml)
{
	(void)m;
	(void)ml;
	ss_rd_bytes(r, card->pin, sizeof(card->pin));
	return 0;
}

static int
rec_puk(struct emu_card *card, struct ss_rd *r, char *m, size_t ml)
{
	(void)m;
	(void)ml;
	ss_rd_bytes(r, card->puk, sizeof(card->puk));
	return 0;
}

static int
rec_tries(struct emu_card *card, struct ss_rd *r, char *m, size_t ml)
{
	(void)m;
	(void)ml;
	ss_rd_u8(r, &card->pin_tries_max);
	ss_rd_u8(r, &card->pin_tries_left);
	ss_rd_u8(r, &card->puk_tries_max);
	ss_rd_u8(r, &card->puk_tries_left);
	return 0;
}

static int
rec_flags(struct emu_card *card, struct ss_rd *r, char *m, size_t ml)
{
	uint8_t f = 0;

	if (ss_rd_u8(r, &f) == 0 && (f & ~FLAG_ALL) != 0)
		return cf_err(m, ml, "unknown flags %02X", f);
	card->pin_is_default = (f & FLAG_PIN_DEFAULT) != 0;
	card->puk_is_default = (f & FLAG_PUK_DEFAULT) != 0;
	card->mgmt_is_default = (f & FLAG_MGMT_DEFAULT) != 0;
	return 0;
}

static int
rec_mgmt(struct emu_card *card, struct ss_rd *r, char *m, size_t ml)
{
	size_t n;

	ss_rd_u8(r, &card->mgmt_alg);
	ss_rd_u8(r, &card->mgmt_touch_policy);
	n = ss_rd_left(r);
	if (n > sizeof(card->mgmt_key))
		return cf_err(m, ml, "management key of %zu bytes", n);
	ss_rd_bytes(r, card->mgmt_key, n);
	card->mgmt_key_len = n;
	return 0;
}

static int
rec_firmware(struct emu_card *card, struct ss_rd *r, char *m, size_t ml)
{
	(void)m;
	(void)ml;
	ss_rd_bytes(r, card->version, sizeof(card->version));
	return 0;
}

static int
rec_serial(struct emu_card *card, struct ss_rd *r, char *m, size_t ml)
{
	(void)m;
	(void)ml;
	ss_rd_u32be(r, &card->serial);
	return 0;
}

static int
rec_yubikey(struct emu_card *card, struct ss_rd *r, char *m, size_t ml)
{
	uint8_t v = 0;

	if (ss_rd_u8(r, &v) == 0 && v > 1)
		return cf_err(m, ml, "YubiKey flag %02X is not 0 or 1", v);
	card->yubikey = v == 1;
	return 0;
}

static int
rec_atr(struct emu_card *card, struct ss_rd *r, char *m, size_t ml)
{
	size_t n = ss_rd_left(r);

	if (n > sizeof(card->atr))
		return cf_err(m, ml, "ATR of %zu bytes", n);
	ss_rd_bytes(r, card->atr, n);
	card->atr_len = n;
	return 0;
}

static int
rec_key(struct emu_card *card, struct ss_rd *r, char *m, size_t ml)
{
	uint8_t		 ref = 0, alg = 0, pinp = 0, touch = 0, origin = 0;
	const uint8_t	*der;
	struct emu_key	*k;
	size_t		 n;

	ss_rd_u8(r, &ref);
	ss_rd_u8(r, &alg);
	ss_rd_u8(r, &pinp);
	ss_rd_u8(r, &touch);
	ss_rd_u8(r, &origin);
	n = ss_rd_left(r);
	if (ss_rd_ptr(r, &der, n) < 0 || n == 0)
		return cf_err(m, ml, "short key record");
	if ((k = emu_card_key(card, ref)) == NULL)
		return cf_err(m, ml, "unknown key reference %02X", ref);
	if (k->pkey != NULL)
		return cf_err(m, ml, "key %02X appears twice", ref);
	if (!emu_keytype_is_asym(alg))
		return cf_err(m, ml, "key %02X: unknown algorithm %02X", ref,
		    alg);
	if ((k->pkey = key_decode(der, n, alg)) == NULL)
		return cf_err(m, ml, "key %02X: not a PKCS#8 %s private key",
		    ref, emu_keytype_name(alg));
	k->alg = alg;
	k->pin_policy = pinp;
	k->touch_policy = touch;
	k->origin = origin;
	if (key_check(k, m, ml) < 0)
		return -1;
	if (!emu_key_consistent(k->pkey))
		return cf_err(m, ml, "key %02X: public and private parts do "
		    "not match", ref);
	return 0;
}

static int
rec_object(struct emu_card *card, struct ss_rd *r, char *m, size_t ml)
{
	const uint8_t	*data;
	uint32_t	 tag = 0;
	size_t		 n;

	ss_rd_u32be(r, &tag);
	n = ss_rd_left(r);
	if (ss_rd_ptr(r, &data, n) < 0)
		return cf_err(m, ml, "short object record");
	if (!obj_tag_ok(tag))
		return cf_err(m, ml, "object tag %X is not a BER tag", tag);
	if (emu_card_obj(card, tag) != NULL)
		return cf_err(m, ml, "object %X appears twice", tag);
	if (n == 0 || n > EMU_OBJ_MAX)
		return cf_err(m, ml, "object %X: %zu bytes (1 to %d)", tag, n,
		    EMU_OBJ_MAX);
	if (card->nobjs >= EMU_NOBJS_MAX)
		return cf_err(m, ml, "more than %d objects", EMU_NOBJS_MAX);
	if (emu_card_obj_set(card, tag, data, n) < 0)
		return cf_err(m, ml, "out of memory");
	return 0;
}

static const struct rec_type rec_types[] = {
	{ REC_PIN,	true,	"PIN",		rec_pin },
	{ REC_PUK,	true,	"PUK",		rec_puk },
	{ REC_TRIES,	true,	"tries",	rec_tries },
	{ REC_FLAGS,	true,	"flags",	rec_flags },
	{ REC_MGMT,	true,	"management key", rec_mgmt },
	{ REC_FIRMWARE,	true,	"version",	rec_firmware },
	{ REC_SERIAL,	true,	"serial",	rec_serial },
	{ REC_YUBIKEY,	true,	"YubiKey flag",	rec_yubikey },
	{ REC_ATR,	true,	"ATR",		rec_atr },
	{ REC_KEY,	false,	"key",		rec_key },
	{ REC_OBJECT,	false,	"object",	rec_object },
};
#define NREC_TYPES	(sizeof(rec_types) / sizeof(rec_types[0]))

static const struct rec_type *
rec_lookup(uint32_t tag, size_t *idx)
{
	size_t i;

	for (i = 0; i < NREC_TYPES; i++)
		if (rec_types[i].tag == tag) {
			*idx = i;
			return &rec_types[i];
		}
	return NULL;
}

static int
rec_parse(struct emu_card *card, const struct ss_tlv *t, uint32_t *seen,
    char *m, size_t ml)
{
	const struct rec_type	*rt;
	struct ss_rd		 v;
	size_t			 i = 0;

	if ((rt = rec_lookup(t->tag, &i)) == NULL)
		return cf_err(m, ml, "unknown record %X", t->tag);
	if (rt->once && (*seen & (1u << i)) != 0)
		return cf_err(m, ml, "%s record appears twice", rt->name);
	*seen |= 1u << i;
	ss_rd_init(&v, t->val, t->len);
	if (rt->parse(card, &v, m, ml) < 0)
		return -1;
	if (v.err || ss_rd_left(&v) != 0)
		return cf_err(m, ml, "%s record of %zu bytes", rt->name,
		    t->len);
	return 0;
}

static int
body_parse(struct emu_card *card, const uint8_t *p, size_t len, char *m,
    size_t ml)
{
	struct ss_rd	r;
	struct ss_tlv	t;
	uint32_t	seen = 0;
	size_t		off, i;

	ss_rd_init(&r, p, len);
	while (ss_rd_left(&r) > 0) {
		off = r.off;
		if (ss_tlv_next(&r, &t) < 0)
			return cf_err(m, ml, "bad record at body offset %zu",
			    off);
		if (rec_parse(card, &t, &seen, m, ml) < 0)
			return -1;
	}
	for (i = 0; i < NREC_TYPES; i++)
		if (rec_types[i].once && (seen & (1u << i)) == 0)
			return cf_err(m, ml, "no %s record", rec_types[i].name);
	return card_check(card, m, ml);
}

/* magic, version and lengths; body and bodylen locate the body */
static int
hdr_parse(const uint8_t *p, size_t len, const uint8_t **body,
    size_t *bodylen, char *m, size_t ml)
{
	struct ss_rd	 r;
	const uint8_t	*magic;
	uint16_t	 ver = 0;
	uint32_t	 blen = 0;
	size_t		 n = len < CF_MAGIC_LEN ? len : CF_MAGIC_LEN, want;

	ss_rd_init(&r, p, len);
	if (ss_rd_ptr(&r, &magic, n) < 0 ||
	    (n > 0 && memcmp(magic, CF_MAGIC, n) != 0))
		return cf_err(m, ml, "not a smartsign card file");
	if (ss_rd_u16be(&r, &ver) < 0 || ss_rd_u32be(&r, &blen) < 0)
		return cf_err(m, ml, "truncated card file (%zu of at least "
		    "%d bytes)", len, CF_MIN_LEN);
	if (ver != EMU_CARDFILE_VERSION)
		return cf_err(m, ml, "unsupported card file version %u (this "
		    "program reads version %d)", ver, EMU_CARDFILE_VERSION);
	if (blen > CF_BODY_MAX)
		return cf_err(m, ml, "corrupt card file (body length %u over "
		    "the limit of %d)", blen, CF_BODY_MAX);
	want = CF_MIN_LEN + (size_t)blen;
	if (len < want)
		return cf_err(m, ml, "truncated card file (%zu of %zu bytes)",
		    len, want);
	if (len > want)
		return cf_err(m, ml, "corrupt card file (%zu bytes after the "
		    "end)", len - want);
	if (ss_rd_ptr(&r, body, blen) < 0)
		return cf_err(m, ml, "truncated card file");
	*bodylen = blen;
	return 0;
}

static int
sum_check(const uint8_t *p, size_t len, char *m, size_t ml)
{
	struct ss_rd	 r;
	const uint8_t	*data, *sum;
	uint8_t		 md[CF_SUM_LEN];
	unsigned int	 mdlen = 0;

	ss_rd_init(&r, p, len);
	if (len < CF_SUM_LEN || ss_rd_ptr(&r, &data, len - CF_SUM_LEN) < 0 ||
	    ss_rd_ptr(&r, &sum, CF_SUM_LEN) < 0)
		return cf_err(m, ml, "truncated card file");
	if (EVP_Digest(data, len - CF_SUM_LEN, md, &mdlen, EVP_sha256(),
	    NULL) != 1 || mdlen != CF_SUM_LEN)
		return cf_err(m, ml, "cannot compute SHA-256");
	if (CRYPTO_memcmp(md, sum, CF_SUM_LEN) != 0)
		return cf_err(m, ml, "corrupt card file (checksum mismatch)");
	return 0;
}

int
emu_cardfile_parse(const uint8_t *p, size_t len, struct emu_card *card,
    char *err, size_t errlen)
{
	const uint8_t	*body = NULL;
	size_t		 blen = 0;
	char		 m[CF_MSG];

	emu_card_init_empty(card);
	if (p == NULL)
		len = 0;
	if (hdr_parse(p, len, &body, &blen, err, errlen) < 0 ||
	    sum_check(p, len, err, errlen) < 0)
		goto fail;
	if (body_parse(card, body, blen, m, sizeof(m)) < 0) {
		cf_err(err, errlen, "invalid card file (%s)", m);
		goto fail;
	}
	card->dirty = false;
	return 0;
fail:
	emu_card_free(card);
	ERR_clear_error();
	return -1;
}

/* --- serializing --- */

static void
hdr_write(struct ss_wr *w)
{
	ss_wr_bytes(w, CF_MAGIC, CF_MAGIC_LEN);
	ss_wr_u16be(w, EMU_CARDFILE_VERSION);
	ss_wr_u32be(w, 0);	/* body length, patched by trailer_write() */
}

static void
scalars_write(struct ss_wr *w, const struct emu_card *card)
{
	uint8_t tries[4] = { card->pin_tries_max, card->pin_tries_left,
	    card->puk_tries_max, card->puk_tries_left };
	uint8_t flags = (uint8_t)((card->pin_is_default ? FLAG_PIN_DEFAULT : 0) |
	    (card->puk_is_default ? FLAG_PUK_DEFAULT : 0) |
	    (card->mgmt_is_default ? FLAG_MGMT_DEFAULT : 0));
	uint8_t yk = card->yubikey ? 1 : 0;

	ss_tlv_put(w, REC_PIN, card->pin, sizeof(card->pin));
	ss_tlv_put(w, REC_PUK, card->puk, sizeof(card->puk));
	ss_tlv_put(w, REC_TRIES, tries, sizeof(tries));
	ss_tlv_put(w, REC_FLAGS, &flags, 1);
	ss_tlv_put_hdr(w, REC_MGMT, 2 + card->mgmt_key_len);
	ss_wr_u8(w, card->mgmt_alg);
	ss_wr_u8(w, card->mgmt_touch_policy);
	ss_wr_bytes(w, card->mgmt_key, card->mgmt_key_len);
	ss_tlv_put(w, REC_FIRMWARE, card->version, sizeof(card->version));
	ss_tlv_put_hdr(w, REC_SERIAL, 4);
	ss_wr_u32be(w, card->serial);
	ss_tlv_put(w, REC_YUBIKEY, &yk, 1);
	ss_tlv_put(w, REC_ATR, card->atr, card->atr_len);
}

static void
keys_write(struct ss_wr *w, const struct emu_card *card,
    uint8_t *const der[EMU_NKEYS], const size_t derlen[EMU_NKEYS])
{
	const struct emu_key	*k;
	size_t			 i;

	for (i = 0; i < EMU_NKEYS; i++) {
		k = &card->keys[i];
		if (der[i] == NULL)
			continue;
		ss_tlv_put_hdr(w, REC_KEY, 5 + derlen[i]);
		ss_wr_u8(w, k->ref);
		ss_wr_u8(w, k->alg);
		ss_wr_u8(w, k->pin_policy);
		ss_wr_u8(w, k->touch_policy);
		ss_wr_u8(w, k->origin);
		ss_wr_bytes(w, der[i], derlen[i]);
	}
}

static void
objs_write(struct ss_wr *w, const struct emu_card *card)
{
	const struct emu_object	*o;
	size_t			 i;

	for (i = 0; i < card->nobjs; i++) {
		o = &card->objs[i];
		ss_tlv_put_hdr(w, REC_OBJECT, 4 + o->len);
		ss_wr_u32be(w, o->tag);
		ss_wr_bytes(w, o->data, o->len);
	}
}

/* body length into the header, then the checksum after the body */
static int
trailer_write(struct ss_wr *w)
{
	struct ss_wr	h;
	uint8_t		md[CF_SUM_LEN];
	unsigned int	mdlen = 0;

	if (w->err || w->len < CF_HDR_LEN)
		return -1;
	ss_wr_init(&h, w->p + CF_MAGIC_LEN + 2, 4);
	ss_wr_u32be(&h, (uint32_t)(w->len - CF_HDR_LEN));
	if (EVP_Digest(w->p, w->len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != CF_SUM_LEN)
		return -1;
	return ss_wr_bytes(w, md, sizeof(md));
}

static int
keys_encode(const struct emu_card *card, uint8_t *der[EMU_NKEYS],
    size_t derlen[EMU_NKEYS], size_t *total, char *m, size_t ml)
{
	size_t i;

	*total = 0;
	for (i = 0; i < EMU_NKEYS; i++) {
		if (card->keys[i].pkey == NULL)
			continue;
		if (key_encode(card->keys[i].pkey, &der[i], &derlen[i]) < 0)
			return cf_err(m, ml, "cannot encode key %02X",
			    card->keys[i].ref);
		*total += derlen[i] + 16;
	}
	return 0;
}

int
emu_cardfile_serialize(const struct emu_card *card, uint8_t **out,
    size_t *outlen, char *err, size_t errlen)
{
	uint8_t		*der[EMU_NKEYS] = { NULL }, *buf = NULL;
	size_t		 derlen[EMU_NKEYS] = { 0 }, cap = 0, i;
	struct ss_wr	 w;
	char		 m[CF_MSG];
	int		 ret = -1;

	*out = NULL;
	*outlen = 0;
	if (card_check(card, m, sizeof(m)) < 0 ||
	    keys_encode(card, der, derlen, &cap, m, sizeof(m)) < 0) {
		cf_err(err, errlen, "cannot save: %s", m);
		goto fail;
	}
	cap += CF_MIN_LEN + 256;
	for (i = 0; i < card->nobjs; i++)
		cap += card->objs[i].len + 16;
	if (cap > EMU_CARDFILE_MAX || (buf = malloc(cap)) == NULL) {
		cf_err(err, errlen, "cannot save: card of %zu bytes", cap);
		goto fail;
	}
	ss_wr_init(&w, buf, cap);
	hdr_write(&w);
	scalars_write(&w, card);
	keys_write(&w, card, der, derlen);
	objs_write(&w, card);
	if (trailer_write(&w) < 0) {
		cf_err(err, errlen, "cannot save: card file buffer");
		goto fail;
	}
	*out = buf;
	*outlen = w.len;
	buf = NULL;
	ret = 0;
fail:
	for (i = 0; i < EMU_NKEYS; i++)
		OPENSSL_clear_free(der[i], derlen[i]);
	ss_free_secret(buf, cap);
	ERR_clear_error();
	return ret;
}

/* --- files --- */

static int
read_fd(int fd, uint8_t *buf, size_t cap, size_t *len)
{
	ssize_t n;

	*len = 0;
	while (*len < cap) {
		n = read(fd, buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	return 0;
}

static int
open_err(const char *path, char *m, size_t ml)
{
	struct stat	st;
	int		e = errno;

	if (e == ELOOP && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		return cf_err(m, ml, "is a symbolic link (refusing to follow "
		    "it)");
	return cf_err(m, ml, "cannot open: %s", strerror(e));
}

/* the whole file, never through a symlink; *cap is what to wipe */
static int
file_read(const char *path, uint8_t **out, size_t *len, size_t *cap,
    char *m, size_t ml)
{
	struct stat	 st;
	int		 fd, ret = -1;

	*out = NULL;
	*len = *cap = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return open_err(path, m, ml);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		cf_err(m, ml, "not a regular file");
		goto fail;
	}
	if (st.st_size > EMU_CARDFILE_MAX) {
		cf_err(m, ml, "too large for a card file (%lld bytes)",
		    (long long)st.st_size);
		goto fail;
	}
	*cap = (size_t)st.st_size + 1;	/* +1: see growth */
	if ((*out = malloc(*cap)) == NULL ||
	    read_fd(fd, *out, *cap, len) < 0) {
		cf_err(m, ml, "cannot read: %s", strerror(errno));
		goto fail;
	}
	ret = 0;
fail:
	close(fd);
	return ret;
}

/* "dir/base" -> "dir" (or "." or "/") and "base" */
static char *
path_dir(const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL) {
		*base = path;
		return strdup(".");
	}
	*base = slash + 1;
	return strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

/* "<base>.tmp-" and 12 hex digits, as tmp_create() names them */
static bool
tmp_name_matches(const char *name, const char *base)
{
	size_t n = strlen(base);

	return strncmp(name, base, n) == 0 &&
	    strncmp(name + n, TMP_INFIX, sizeof(TMP_INFIX) - 1) == 0 &&
	    strlen(name + n + sizeof(TMP_INFIX) - 1) == TMP_HEX &&
	    strspn(name + n + sizeof(TMP_INFIX) - 1, "0123456789abcdef") ==
	    TMP_HEX;
}

/*
 * A save killed between creating its temporary file and the rename leaves
 * that file behind, with PIN, PUK and keys in it.  Remove ours once they
 * are too old to belong to a save still running.  Errors are ignored.
 */
static void
tmp_sweep(const char *path)
{
	struct dirent	*e;
	struct stat	 st;
	const char	*base;
	char		*dir;
	DIR		*d = NULL;
	time_t		 now = time(NULL);

	if ((dir = path_dir(path, &base)) == NULL || (d = opendir(dir)) == NULL)
		goto out;
	while ((e = readdir(d)) != NULL) {
		if (!tmp_name_matches(e->d_name, base) ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
		    now - st.st_mtime > TMP_STALE_SECS)
			unlinkat(dirfd(d), e->d_name, 0);
	}
out:
	if (d != NULL)
		closedir(d);
	free(dir);
}

int
emu_cardfile_load(const char *path, struct emu_card *card, char *err,
    size_t errlen)
{
	uint8_t	*buf = NULL;
	size_t	 len = 0, cap = 0;
	char	 m[CF_MSG];
	int	 ret = -1;

	memset(card, 0, sizeof(*card));
	if (file_read(path, &buf, &len, &cap, m, sizeof(m)) < 0 ||
	    emu_cardfile_parse(buf, len, card, m, sizeof(m)) < 0) {
		cf_err(err, errlen, "%s: %s", path, m);
		goto fail;
	}
	if ((card->path = strdup(path)) == NULL) {
		emu_card_free(card);
		cf_err(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	tmp_sweep(path);
	ret = 0;
fail:
	ss_free_secret(buf, cap);
	return ret;
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	size_t	off = 0;
	ssize_t	n;

	while (off < len) {
		n = write(fd, p + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

/* a new file "<path>.tmp-<random>" beside path, mode 0600 */
static int
tmp_create(const char *path, char **tmp, char *m, size_t ml)
{
	uint8_t	rnd[6];
	size_t	n = strlen(path) + 32;
	int	fd = -1, tries;

	if ((*tmp = malloc(n)) == NULL)
		return cf_err(m, ml, "out of memory");
	for (tries = 0; tries < 16 && fd < 0; tries++) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			errno = EAGAIN;
			break;
		}
		snprintf(*tmp, n, "%s" TMP_INFIX "%02x%02x%02x%02x%02x%02x",
		    path, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
		fd = open(*tmp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		cf_err(m, ml, "cannot create a temporary file beside it: %s",
		    strerror(errno));
		free(*tmp);
		*tmp = NULL;
		return -1;
	}
	if (fchmod(fd, 0600) < 0) {	/* whatever the umask */
		cf_err(m, ml, "chmod %s: %s", *tmp, strerror(errno));
		close(fd);
		return -1;	/* the caller unlinks *tmp */
	}
	return fd;
}

/* card->path may be absent or a regular file, never a symlink */
static int
target_check(const char *path, char *m, size_t ml)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : cf_err(m, ml, "%s",
		    strerror(errno));
	if (S_ISLNK(st.st_mode))
		return cf_err(m, ml, "is a symbolic link (refusing to "
		    "replace it)");
	if (!S_ISREG(st.st_mode))
		return cf_err(m, ml, "not a regular file");
	return 0;
}

static int
dir_sync(const char *path, char *m, size_t ml)
{
	const char	*base;
	char		*dir;
	int		 fd, ret = 0;

	if ((dir = path_dir(path, &base)) == NULL)
		return cf_err(m, ml, "out of memory");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (fsync(fd) < 0 && errno != EINVAL))
		ret = cf_err(m, ml, "fsync of %s: %s", dir, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(dir);
	return ret;
}

static int
file_replace(const char *path, const uint8_t *buf, size_t len, char *m,
    size_t ml)
{
	char	*tmp = NULL;
	int	 fd, ret = -1;

	if (target_check(path, m, ml) < 0 ||
	    (fd = tmp_create(path, &tmp, m, ml)) < 0)
		goto fail;
	if (write_all(fd, buf, len) < 0 || fsync(fd) < 0) {
		cf_err(m, ml, "writing %s: %s", tmp, strerror(errno));
		close(fd);
		goto fail;
	}
	if (close(fd) < 0) {
		cf_err(m, ml, "writing %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		cf_err(m, ml, "rename from %s: %s", tmp, strerror(errno));
		goto fail;
	}
	free(tmp);
	tmp = NULL;
	ret = dir_sync(path, m, ml);
fail:
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	return ret;
}

int
emu_cardfile_save(struct emu_card *card, char *err, size_t errlen)
{
	uint8_t	*buf = NULL;
	size_t	 len = 0;
	char	 m[CF_MSG];
	int	 ret = -1;

	if (card == NULL || card->path == NULL)
		return cf_err(err, errlen, "card has no file path");
	if (emu_cardfile_serialize(card, &buf, &len, m, sizeof(m)) < 0 ||
	    file_replace(card->path, buf, len, m, sizeof(m)) < 0) {
		cf_err(err, errlen, "%s: %s", card->path, m);
		goto fail;
	}
	card->dirty = false;
	ret = 0;
fail:
	ss_free_secret(buf, len);
	return ret;
}
