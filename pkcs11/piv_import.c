/*
 * pkcs11/piv_import.c - YubiKey IMPORT KEY (00 FE alg ref), the only way
 * to put an existing private key on a PIV card (SP 800-73-4 has none):
 *
 *   RSA  01 p, 02 q, 03 dp, 04 dq, 05 qinv   each half the modulus size
 *   EC   06 private scalar                    the field size
 *   then [AA 01 pin policy] [AB 01 touch policy]
 * (values zero-padded on the left).  Needs the management key.
 *
 * Choices where the specification leaves room:
 * - Only a card whose ATR says YubiKey gets the command; any other card
 *   gives DRV_ERR_NOT_SUPPORTED with nothing sent (6D00 would say the
 *   same, but a non-YubiKey card may give FE another meaning).
 * - Key types: RSA 1024..4096 and P-256/P-384 (what the module signs
 *   with); others DRV_ERR_NOT_SUPPORTED.
 * - 6A80 (the card refuses the key) is DRV_ERR_DATA_INVALID.
 * - Secrets: the command is built in one buffer freed with
 *   ss_free_secret(); every BIGNUM is BN_clear_free()d; the channel
 *   redacts INS FE in traces.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/x509.h>

#include "reader/buf.h"
#include "reader/tlv.h"
#include "reader/wipe.h"
#include "piv_priv.h"

#define TAG_RSA_P	0x01u
#define TAG_EC_PRIV	0x06u
#define TAG_PIN_POLICY	0xaau
#define TAG_TOUCH_POLICY 0xabu
#define RSA_PARTS	5

static const char *const rsa_params[RSA_PARTS] = {
	OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
	OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
	OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};

struct imp {
	uint8_t		 alg;
	enum drv_key_type type;
	unsigned	 bits;
	uint8_t		 pin;
	uint8_t		 touch;
	uint8_t		*cmd;		/* the command, secret */
	size_t		 cap;
	struct ss_wr	 w;
};

/* One private component, as tag L value padded to n bytes. */
static int
imp_put_bn(struct imp *m, EVP_PKEY *pk, const char *param, uint32_t tag,
    size_t n)
{
	uint8_t	 v[PIV_RSA_MAX_BYTES];
	BIGNUM	*bn = NULL;
	int	 rc = DRV_ERR_DATA_INVALID;

	if (n > sizeof(v) || EVP_PKEY_get_bn_param(pk, param, &bn) != 1 ||
	    BN_bn2binpad(bn, v, (int)n) != (int)n)
		goto fail;
	ss_tlv_put(&m->w, tag, v, n);
	rc = m->w.err ? DRV_ERR_ARGS : DRV_OK;
fail:
	ss_wipe(v, sizeof(v));
	BN_clear_free(bn);
	return rc;
}

static int
imp_build(struct imp *m, EVP_PKEY *pk)
{
	size_t	n, i, per;
	int	rc = DRV_OK;

	n = m->type == DRV_KEY_RSA ? m->bits / 16 : (m->bits + 7) / 8;
	per = 1 + ss_tlv_len_len(n) + n;
	m->cap = (m->type == DRV_KEY_RSA ? RSA_PARTS : 1) * per + 6;
	if ((m->cmd = calloc(1, m->cap)) == NULL)
		return DRV_ERR_MEMORY;
	ss_wr_init(&m->w, m->cmd, m->cap);
	if (m->type == DRV_KEY_RSA) {
		for (i = 0; i < RSA_PARTS && rc == DRV_OK; i++)
			rc = imp_put_bn(m, pk, rsa_params[i],
			    TAG_RSA_P + (uint32_t)i, n);
	} else
		rc = imp_put_bn(m, pk, OSSL_PKEY_PARAM_PRIV_KEY, TAG_EC_PRIV,
		    n);
	if (rc == DRV_OK && m->pin)
		ss_tlv_put(&m->w, TAG_PIN_POLICY, &m->pin, 1);
	if (rc == DRV_OK && m->touch)
		ss_tlv_put(&m->w, TAG_TOUCH_POLICY, &m->touch, 1);
	if (rc == DRV_OK && m->w.err)
		rc = DRV_ERR_ARGS;
	return rc;
}

/* What the card will hold: algorithm, policies. */
static int
imp_check(struct drv_card *card, uint8_t ref, EVP_PKEY *pk,
    const struct drv_keyspec *spec, struct imp *m)
{
	struct drv_key k;

	memset(&k, 0, sizeof(k));
	if (!card->yubikey || piv_cert_tag(ref) == 0)
		return DRV_ERR_NOT_SUPPORTED;
	if (piv_key_classify(pk, &m->type, &m->bits) < 0 ||
	    (m->type != DRV_KEY_RSA && m->type != DRV_KEY_EC))
		return DRV_ERR_NOT_SUPPORTED;
	k.type = m->type;
	k.bits = m->bits;
	if (piv_alg_id(&k, &m->alg) < 0 ||
	    piv_pin_policy(card, ref, spec, &m->pin, &m->touch) < 0)
		return DRV_ERR_NOT_SUPPORTED;
	return DRV_OK;
}

/* The public half alone (what the objects show). */
static int
imp_public(EVP_PKEY *pk, EVP_PKEY **pub)
{
	unsigned char		*der = NULL;
	const unsigned char	*p;
	int			 n;

	if ((n = i2d_PUBKEY(pk, &der)) <= 0)
		return DRV_ERR_DATA_INVALID;
	p = der;
	*pub = d2i_PUBKEY(NULL, &p, n);
	OPENSSL_free(der);
	return *pub != NULL ? DRV_OK : DRV_ERR_DATA_INVALID;
}

static int
imp_send(struct ss_chan *c, uint8_t ref, const struct imp *m)
{
	struct ss_apdu	a;
	uint8_t		resp[16];
	size_t		len = 0;
	uint16_t	sw = 0;
	int		rc;

	piv_apdu_init(&a, PIV_INS_YK_IMPORT, m->alg, ref, m->cmd, m->w.len,
	    false);
	if ((rc = piv_transmit(c, &a, SS_APDU_SECRET, resp, sizeof(resp),
	    &len, &sw)) != DRV_OK)
		return rc;
	return piv_manage_sw(sw);
}

int
piv_import_key(struct drv_card *card, struct ss_chan *c, uint8_t ref,
    EVP_PKEY *priv, const struct drv_keyspec *spec, struct drv_key *out)
{
	struct imp	 m;
	EVP_PKEY	*pub = NULL;
	int		 rc = DRV_ERR_ARGS;

	memset(&m, 0, sizeof(m));
	if (card == NULL || c == NULL || priv == NULL || spec == NULL ||
	    out == NULL)
		goto fail;
	memset(out, 0, sizeof(*out));
	if ((rc = imp_check(card, ref, priv, spec, &m)) != DRV_OK ||
	    (rc = imp_public(priv, &pub)) != DRV_OK ||
	    (rc = imp_build(&m, priv)) != DRV_OK ||
	    (rc = imp_send(c, ref, &m)) != DRV_OK)
		goto fail;
	piv_history_add(card, c, ref);
	rc = piv_key_describe(ref, &pub, m.pin, out);
fail:
	if (m.cmd != NULL)
		ss_free_secret(m.cmd, m.cap);
	EVP_PKEY_free(pub);
	return rc;
}
