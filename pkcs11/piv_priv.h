/*
 * pkcs11/piv_priv.h - what the files of the PIV driver share:
 *   piv.c          probe, reselect, free, the ops table
 *   piv_apdu.c     building and sending commands, status words
 *   piv_token.c    token_info (CHUID, YubiKey serial)
 *   piv_objects.c  key references, CKA_IDs, labels, load_key
 *   piv_meta.c     YubiKey GET METADATA
 *   piv_pin.c      pin_status, login, logout
 *   piv_crypto.c   sign, decrypt, derive (GENERAL AUTHENTICATE)
 *   piv_manage.c   PIN/PUK change and unblock, key generation,
 *                  certificate writes and deletes
 *   piv_admin.c    management key (9B) mutual authentication
 *   piv_import.c   YubiKey IMPORT KEY
 * Every byte from the card is read through ss_rd / ss_tlv.
 */
#ifndef P11_PIV_PRIV_H
#define P11_PIV_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "reader/apdu.h"
#include "reader/channel.h"
#include "reader/pinpad.h"
#include "driver.h"

/* SP 800-78-4 / YubiKey algorithm identifiers */
#define PIV_ALG_RSA3072		0x05
#define PIV_ALG_RSA1024		0x06
#define PIV_ALG_RSA2048		0x07
#define PIV_ALG_ECCP256		0x11
#define PIV_ALG_ECCP384		0x14
#define PIV_ALG_RSA4096		0x16
#define PIV_ALG_ED25519		0xe0
#define PIV_ALG_X25519		0xe1
#define PIV_ALG_3DES		0x03
#define PIV_ALG_AES128		0x08
#define PIV_ALG_AES192		0x0a
#define PIV_ALG_AES256		0x0c

#define PIV_INS_VERIFY		0x20
#define PIV_INS_GET_DATA	0xcb
#define PIV_INS_GENERAL_AUTH	0x87
#define PIV_INS_SELECT		0xa4
#define PIV_INS_YK_METADATA	0xf7
#define PIV_INS_YK_SERIAL	0xf8
#define PIV_INS_YK_VERSION	0xfd
#define PIV_INS_CHANGE_REF	0x24
#define PIV_INS_RESET_RETRY	0x2c
#define PIV_INS_GENERATE	0x47
#define PIV_INS_PUT_DATA	0xdb
#define PIV_INS_YK_IMPORT	0xfe

#define PIV_REF_PIN		0x80
#define PIV_DEFAULT_PIN_TRIES	3	/* retry limit cards ship with */
#define PIV_REF_PUK		0x81
#define PIV_REF_ADMIN		0x9b
#define PIV_PIN_MIN		6
#define PIV_PIN_MAX		8

#define PIV_ALGS_MAX		16	/* algorithms kept from SELECT */
#define PIV_NKEYS		24	/* 9A 9C 9D 9E 82..95 */
#define PIV_OBJ_MAX		16384	/* largest data object read */
#define PIV_GA_OUT_MAX		1024	/* GENERAL AUTHENTICATE answer */
#define PIV_LE_ALL		65536	/* extended Le 0000 */
#define PIV_RSA_MAX_BYTES	512	/* RSA-4096 */
#define PIV_EC_MAX_BYTES	48	/* P-384 */

/* YubiKey PIN policies (GET METADATA tag 02, first byte) */
#define PIV_YK_PIN_NEVER	0x01
#define PIV_YK_PIN_ONCE		0x02
#define PIV_YK_PIN_ALWAYS	0x03
#define PIV_YK_ORIGIN_GENERATED	0x01

struct drv_card {
	uint8_t			algs[PIV_ALGS_MAX]; /* SELECT's list */
	size_t			nalgs;
	bool			yubikey;	/* ATR says YubiKey */
	bool			have_version;	/* GET VERSION ok */
	uint8_t			version[3];
	bool			token_cached;
	struct drv_token	token;
	int			pin_tries_max;	/* -1 until known */
	bool			pinpad_known;
	struct ss_pinpad	pinpad;
	uint8_t			admin_alg;	/* last 9B authentication */
	bool			history_read;	/* piv_history.c */
	uint8_t			retired_limit;	/* retired refs worth reading */
	uint32_t		retired_ours;	/* bit per 82..95 we wrote */
};

/* What GET METADATA says about one key reference. */
struct piv_meta {
	uint8_t		 alg;		/* PIV_ALG_* */
	uint8_t		 pin_policy;	/* 0 when not reported */
	uint8_t		 origin;	/* 0 when not reported */
	EVP_PKEY	*pub;		/* owned; NULL when not reported */
};

/* piv_apdu.c */
void	piv_apdu_init(struct ss_apdu *, uint8_t ins, uint8_t p1, uint8_t p2,
	    const uint8_t *data, size_t lc, bool le);
/* Extended Le (everything in one response) when the channel has it. */
void	piv_apdu_want_all(const struct ss_chan *, struct ss_apdu *);
int	piv_transmit(struct ss_chan *, const struct ss_apdu *,
	    unsigned flags, uint8_t *resp, size_t cap, size_t *len, uint16_t *sw);
int	piv_select(struct ss_chan *, uint8_t *resp, size_t cap, size_t *len,
	    uint16_t *sw);
int	piv_get_data(struct ss_chan *, uint32_t tag, uint8_t *resp,
	    size_t cap, size_t *len, uint16_t *sw);
int	piv_sw_to_drv(uint16_t sw);
bool	piv_has_metadata(const struct drv_card *);
bool	piv_has_serial(const struct drv_card *);

/* piv_token.c */
int	piv_token_info(struct drv_card *, struct ss_chan *,
	    struct drv_token *);

/* piv_objects.c */
size_t	piv_key_refs(struct drv_card *, uint8_t *refs, size_t cap);
/* piv_history.c: *absent when the Key History object rules ref out. */
int	piv_retired_absent(struct drv_card *, struct ss_chan *, uint8_t ref,
	    bool *absent);
/* After a certificate write, key generation or import into ref: this
 * process reads ref from now on, and a retired ref beyond the object's
 * C1 gets C1 raised to cover it (PUT DATA, best effort: needs the
 * management key authentication the write itself needed). */
void	piv_history_add(struct drv_card *, struct ss_chan *, uint8_t ref);
int	piv_key_id(struct drv_card *, uint8_t ref, uint8_t *id,
	    size_t *id_len);
int	piv_load_key(struct drv_card *, struct ss_chan *, uint8_t ref,
	    struct drv_key *);
int	piv_key_classify(EVP_PKEY *, enum drv_key_type *, unsigned *bits);
/* The certificate object of a key reference; 0 if none. */
uint32_t piv_cert_tag(uint8_t ref);
/* A drv_key for a key just put on the card: takes *pub; pin_policy as
 * the card applies it (0: the reference's default). */
int	piv_key_describe(uint8_t ref, EVP_PKEY **pub, uint8_t pin_policy,
	    struct drv_key *);

/* piv_meta.c */
int	piv_meta_read(struct ss_chan *, uint8_t ref, struct piv_meta *);
int	piv_meta_parse(const uint8_t *, size_t, struct piv_meta *);
void	piv_meta_clear(struct piv_meta *);
int	piv_meta_pin_tries(struct ss_chan *, int *max, int *left);
/* The public key in TLVs 81/82 (RSA) or 86 (EC, 25519) of algorithm alg,
 * checked against it; NULL if it is not one. */
EVP_PKEY *piv_meta_pubkey(uint8_t alg, const uint8_t *, size_t);

/* piv_pin.c */
int	piv_pin_status(struct drv_card *, struct ss_chan *,
	    struct drv_pin_status *);
int	piv_login(struct drv_card *, struct ss_chan *, const uint8_t *pin,
	    size_t pin_len);
int	piv_logout(struct drv_card *, struct ss_chan *);

/* piv_crypto.c */
int	piv_alg_id(const struct drv_key *, uint8_t *alg);
int	piv_sign(struct drv_card *, struct ss_chan *, const struct drv_key *,
	    const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len);
int	piv_decrypt(struct drv_card *, struct ss_chan *,
	    const struct drv_key *, const uint8_t *in, size_t in_len,
	    uint8_t *out, size_t *out_len);
int	piv_derive(struct drv_card *, struct ss_chan *,
	    const struct drv_key *, const uint8_t *peer, size_t peer_len,
	    uint8_t *out, size_t *out_len);
int	piv_ecdsa_der_to_raw(const uint8_t *, size_t, size_t field,
	    uint8_t *out);

/* piv_manage.c */
int	piv_change_pin(struct drv_card *, struct ss_chan *, enum drv_pin_ref,
	    const uint8_t *old, size_t old_len, const uint8_t *new_pin,
	    size_t new_len);
int	piv_unblock_pin(struct drv_card *, struct ss_chan *,
	    const uint8_t *puk, size_t puk_len, const uint8_t *new_pin,
	    size_t new_len);
int	piv_generate_key(struct drv_card *, struct ss_chan *, uint8_t ref,
	    const struct drv_keyspec *, struct drv_key *out);
int	piv_write_cert(struct drv_card *, struct ss_chan *, uint8_t ref,
	    const uint8_t *der, size_t der_len);
int	piv_delete_cert(struct drv_card *, struct ss_chan *, uint8_t ref);
/* The YubiKey PIN policy byte (AA) for a keyspec; -1: the card cannot. */
int	piv_pin_policy(const struct drv_card *, uint8_t ref,
	    const struct drv_keyspec *, uint8_t *pin, uint8_t *touch);
int	piv_manage_sw(uint16_t sw);
#define PIV_PUT_SMALL_MAX	300
int	piv_put_object(struct ss_chan *, uint32_t tag, const uint8_t *content,
	    size_t len);

/* piv_admin.c */
int	piv_admin_auth(struct drv_card *, struct ss_chan *, const uint8_t *key,
	    size_t key_len);

/* piv_import.c */
int	piv_import_key(struct drv_card *, struct ss_chan *, uint8_t ref,
	    EVP_PKEY *priv, const struct drv_keyspec *, struct drv_key *out);

#endif
