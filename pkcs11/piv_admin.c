/*
 * pkcs11/piv_admin.c - the card administrator: mutual authentication
 * with the management key (key reference 9B), GENERAL AUTHENTICATE:
 *
 *   00 87 alg 9B 04 7C 02 80 00             -> 7C { 80 n E_K(W) }
 *   00 87 alg 9B 7C { 80 n W, 81 n C }       -> 7C { 82 n E_K(C) }
 *
 * n = 8 (3DES) or 16 (AES), ECB, no padding.  The host proves it knows K
 * by giving back the witness W; the card proves it by answering E_K(C)
 * to our random challenge C, which we compare with our own encryption.
 *
 * Choices where the specification leaves room:
 * - The algorithm: YubiKey GET METADATA of 9B (firmware 5.3+) when the
 *   card has it; else from the key's length: 16 bytes AES-128, 32
 *   AES-256, 24 3DES - and AES-192 when the card refuses the 3DES witness
 *   request with 6A80 or 6A86 (the request carries no secret).  A key
 *   whose length does not fit what the card reports is wrong:
 *   DRV_ERR_PIN_INCORRECT with nothing sent; so is one whose algorithm
 *   the card refuses (6A80, 6A86 to the witness request).
 * - A wrong key: the card answers 6982 to the second step,
 *   DRV_ERR_PIN_INCORRECT.  A card whose answer to our challenge is not
 *   E_K(C) is not the card it claims to be: DRV_ERR_DEVICE.
 * - key == NULL drops the authentication: a new witness request, left
 *   unanswered (the emulator and YubiKeys forget an earlier
 *   authentication when a new exchange starts; SP 800-73-4 has no
 *   command for it, and a card reset clears it anyway).
 * - Secrets: the key, W, C, E_K(C) and every APDU or response buffer that
 *   held them are wiped; the channel redacts GENERAL AUTHENTICATE 9B in
 *   traces.  Nothing of the key outlives the call.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "reader/buf.h"
#include "reader/tlv.h"
#include "reader/wipe.h"
#include "piv_priv.h"

#define TAG_GA		0x7cu
#define TAG_WITNESS	0x80u
#define TAG_CHALLENGE	0x81u
#define TAG_RESPONSE	0x82u
#define BLOCK_MAX	16
#define RESP_MAX	64

struct admin {
	uint8_t			 alg;
	const EVP_CIPHER	*cipher;
	size_t			 block;
	size_t			 key_len;
	const uint8_t		*key;
};

static int
admin_setup(struct admin *a, uint8_t alg, const uint8_t *key, size_t len)
{
	memset(a, 0, sizeof(*a));
	a->alg = alg;
	a->key = key;
	a->block = 16;
	switch (alg) {
	case PIV_ALG_3DES:
		a->cipher = EVP_des_ede3_ecb();
		a->block = 8;
		a->key_len = 24;
		break;
	case PIV_ALG_AES128:
		a->cipher = EVP_aes_128_ecb();
		a->key_len = 16;
		break;
	case PIV_ALG_AES192:
		a->cipher = EVP_aes_192_ecb();
		a->key_len = 24;
		break;
	case PIV_ALG_AES256:
		a->cipher = EVP_aes_256_ecb();
		a->key_len = 32;
		break;
	default:
		return DRV_ERR_NOT_SUPPORTED;
	}
	if (a->cipher == NULL)
		return DRV_ERR_NOT_SUPPORTED;
	return len == a->key_len ? DRV_OK : DRV_ERR_PIN_INCORRECT;
}

/* One block through the cipher. */
static int
admin_ecb(const struct admin *a, bool enc, const uint8_t *in, uint8_t *out)
{
	EVP_CIPHER_CTX	*ctx;
	int		 n = 0, ok;

	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return DRV_ERR_MEMORY;
	ok = EVP_CipherInit_ex(ctx, a->cipher, NULL, a->key, NULL,
	    enc ? 1 : 0) == 1 && EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	    EVP_CipherUpdate(ctx, out, &n, in, (int)a->block) == 1 &&
	    n == (int)a->block;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? DRV_OK : DRV_ERR_DEVICE;
}

/* 7C { tag n value }: copy the block out. */
static int
admin_parse(const struct admin *a, const uint8_t *p, size_t len,
    uint32_t tag, uint8_t *out)
{
	struct ss_tlv	outer, t;
	struct ss_rd	r;

	if (ss_tlv_expect(p, len, TAG_GA, &outer) < 0 ||
	    ss_tlv_find(outer.val, outer.len, tag, &t) < 0 ||
	    t.len != a->block)
		return DRV_ERR_DEVICE;
	ss_rd_init(&r, t.val, t.len);
	return ss_rd_bytes(&r, out, a->block) < 0 ? DRV_ERR_DEVICE : DRV_OK;
}

/* One GENERAL AUTHENTICATE to 9B; the status word to *sw. */
static int
admin_ga(struct ss_chan *c, uint8_t alg, const uint8_t *cmd, size_t len,
    uint8_t *resp, size_t *rlen, uint16_t *sw)
{
	struct ss_apdu a;

	piv_apdu_init(&a, PIV_INS_GENERAL_AUTH, alg, PIV_REF_ADMIN, cmd, len,
	    true);
	return piv_transmit(c, &a, SS_APDU_SECRET, resp, RESP_MAX, rlen, sw);
}

/* Step 1: the encrypted witness; *sw kept for the AES-192 fallback. */
static int
admin_witness(struct ss_chan *c, const struct admin *a, uint8_t *ew,
    uint16_t *sw)
{
	static const uint8_t	req[] = { TAG_GA, 0x02, TAG_WITNESS, 0x00 };
	uint8_t			resp[RESP_MAX];
	size_t			len = 0;
	int			rc;

	if ((rc = admin_ga(c, a->alg, req, sizeof(req), resp, &len, sw)) ==
	    DRV_OK)
		rc = *sw == SS_SW_OK ? admin_parse(a, resp, len, TAG_WITNESS,
		    ew) : piv_sw_to_drv(*sw);
	ss_wipe(resp, sizeof(resp));
	return rc;
}

/* Step 2: 7C { 80 n W, 81 n C } -> 7C { 82 n E_K(C) } into ec. */
static int
admin_mutual(struct ss_chan *c, const struct admin *a, const uint8_t *w,
    const uint8_t *chal, uint8_t *ec)
{
	uint8_t		cmd[4 + 2 * (2 + BLOCK_MAX)], resp[RESP_MAX];
	struct ss_wr	wr;
	size_t		len = 0;
	uint16_t	sw = 0;
	int		rc;

	ss_wr_init(&wr, cmd, sizeof(cmd));
	ss_tlv_put_hdr(&wr, TAG_GA, 2 * (2 + a->block));
	ss_tlv_put(&wr, TAG_WITNESS, w, a->block);
	ss_tlv_put(&wr, TAG_CHALLENGE, chal, a->block);
	rc = DRV_ERR_ARGS;
	if (wr.err)
		goto fail;
	if ((rc = admin_ga(c, a->alg, cmd, wr.len, resp, &len, &sw)) !=
	    DRV_OK)
		goto fail;
	if (sw == SS_SW_SECURITY_STATUS)
		rc = DRV_ERR_PIN_INCORRECT;
	else if (sw != SS_SW_OK)
		rc = piv_sw_to_drv(sw);
	else
		rc = admin_parse(a, resp, len, TAG_RESPONSE, ec);
fail:
	ss_wipe(cmd, sizeof(cmd));
	ss_wipe(resp, sizeof(resp));
	return rc;
}

/* Both steps with one algorithm; *sw1 is step 1's status word. */
static int
admin_run(struct ss_chan *c, const struct admin *a, uint16_t *sw1)
{
	uint8_t	ew[BLOCK_MAX], w[BLOCK_MAX], chal[BLOCK_MAX];
	uint8_t	ec[BLOCK_MAX], mine[BLOCK_MAX];
	int	rc;

	if ((rc = admin_witness(c, a, ew, sw1)) != DRV_OK ||
	    (rc = admin_ecb(a, false, ew, w)) != DRV_OK)
		goto fail;
	rc = DRV_ERR_DEVICE;
	if (RAND_bytes(chal, (int)a->block) != 1)
		goto fail;
	if ((rc = admin_mutual(c, a, w, chal, ec)) != DRV_OK ||
	    (rc = admin_ecb(a, true, chal, mine)) != DRV_OK)
		goto fail;
	rc = CRYPTO_memcmp(ec, mine, a->block) == 0 ? DRV_OK :
	    DRV_ERR_DEVICE;
fail:
	ss_wipe(ew, sizeof(ew));
	ss_wipe(w, sizeof(w));
	ss_wipe(chal, sizeof(chal));
	ss_wipe(ec, sizeof(ec));
	ss_wipe(mine, sizeof(mine));
	return rc;
}

/* The algorithm the card reports for 9B; 0 when it does not say. */
static int
admin_card_alg(struct drv_card *card, struct ss_chan *c, uint8_t *alg)
{
	struct piv_meta	m;
	int		rc;

	*alg = 0;
	if (!piv_has_metadata(card))
		return DRV_OK;
	rc = piv_meta_read(c, PIV_REF_ADMIN, &m);
	if (rc == DRV_OK)
		*alg = m.alg;
	piv_meta_clear(&m);
	if (rc == DRV_ERR_DEVICE || rc == DRV_ERR_NOT_SUPPORTED ||
	    rc == DRV_ERR_KEY_ABSENT || rc == DRV_ERR_DATA_INVALID)
		rc = DRV_OK;		/* fall back to the key length */
	return rc;
}

static uint8_t
admin_alg_by_len(size_t len)
{
	switch (len) {
	case 16:
		return PIV_ALG_AES128;
	case 32:
		return PIV_ALG_AES256;
	default:
		return PIV_ALG_3DES;
	}
}

static bool
alg_refused(uint16_t sw)
{
	return sw == SS_SW_WRONG_DATA || sw == SS_SW_INCORRECT_P1P2;
}

/* A new witness request, left unanswered. */
static int
admin_drop(struct drv_card *card, struct ss_chan *c)
{
	static const uint8_t	req[] = { TAG_GA, 0x02, TAG_WITNESS, 0x00 };
	uint8_t			resp[RESP_MAX];
	size_t			len = 0;
	uint16_t		sw = 0;
	int			rc;

	if (card->admin_alg == 0)
		return DRV_OK;
	rc = admin_ga(c, card->admin_alg, req, sizeof(req), resp, &len, &sw);
	ss_wipe(resp, sizeof(resp));
	card->admin_alg = 0;
	return rc;
}

int
piv_admin_auth(struct drv_card *card, struct ss_chan *c, const uint8_t *key,
    size_t key_len)
{
	struct admin	a;
	uint8_t		alg = 0;
	uint16_t	sw1 = 0;
	bool		by_len;
	int		rc;

	if (card == NULL || c == NULL)
		return DRV_ERR_ARGS;
	if (key == NULL)
		return admin_drop(card, c);
	card->admin_alg = 0;
	if ((rc = admin_card_alg(card, c, &alg)) != DRV_OK)
		return rc;
	by_len = alg == 0;
	if (by_len)
		alg = admin_alg_by_len(key_len);
	if ((rc = admin_setup(&a, alg, key, key_len)) != DRV_OK)
		return rc;
	rc = admin_run(c, &a, &sw1);
	if (rc != DRV_OK && by_len && alg == PIV_ALG_3DES &&
	    alg_refused(sw1) &&
	    admin_setup(&a, PIV_ALG_AES192, key, key_len) == DRV_OK)
		rc = admin_run(c, &a, &sw1);
	if (rc != DRV_OK && alg_refused(sw1))
		rc = DRV_ERR_PIN_INCORRECT;	/* no key of that kind */
	if (rc == DRV_OK)
		card->admin_alg = a.alg;
	return rc;
}
