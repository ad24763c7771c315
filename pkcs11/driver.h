/*
 * pkcs11/driver.h - what the PKCS#11 front end needs from one type of card.
 *
 * The front end (module.c, slot*.c, session.c, object*.c, sign.c, ...)
 * knows nothing of PIV.  When a card is inserted it offers the card to each
 * driver in drivers.c in turn; the first whose probe() accepts it serves
 * that card until it is removed.  A second card type (OpenPGP card, ...) is
 * one more struct drv_ops in drivers.c and nothing else changes.
 *
 * Calling convention: the front end holds the slot's mutex and has an open
 * channel transaction (ss_chan_begin) around every call that takes a
 * struct ss_chan.  When ss_chan_begin reported SS_ERR_CARD_RESET, the front
 * end calls reselect() first and treats the login state as lost.
 * Drivers never send VERIFY except from login() (and verify_pin_ctx()), and
 * never retry a PIN.
 *
 * Results: DRV_OK or a DRV_ERR_*; the front end alone maps them to CKR_*.
 * Secrets: a PIN passed in is the caller's; the driver wipes every copy it
 * makes (APDU buffers included) with ss_wipe().
 */
#ifndef P11_DRIVER_H
#define P11_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "reader/channel.h"

enum drv_err {
	DRV_OK = 0,
	DRV_ERR_NOT_OURS,	/* probe(): the card is not of this type */
	DRV_ERR_PIN_INCORRECT,	/* CKR_PIN_INCORRECT */
	DRV_ERR_PIN_LOCKED,	/* CKR_PIN_LOCKED */
	DRV_ERR_PIN_LEN,	/* CKR_PIN_LEN_RANGE */
	DRV_ERR_NOT_LOGGED_IN,	/* the card wants a VERIFY first (6982) */
	DRV_ERR_KEY_ABSENT,	/* no key/certificate in that reference */
	DRV_ERR_DATA_INVALID,	/* the card refused the input (6A80) */
	DRV_ERR_NOT_SUPPORTED,	/* the card cannot do this */
	DRV_ERR_CARD_RESET,	/* volatile state lost (someone reset it) */
	DRV_ERR_REMOVED,	/* the card went away */
	DRV_ERR_DEVICE,		/* unexpected status word, malformed reply */
	DRV_ERR_MEMORY,
	DRV_ERR_BUFFER,		/* caller's output buffer too small */
	DRV_ERR_ARGS,		/* caller bug */
	DRV_ERR_CANCELLED,	/* PIN pad: cancelled or timed out */
	DRV_ERR_NO_SPACE	/* the card has no room for the object */
};

enum drv_key_type {
	DRV_KEY_NONE = 0,
	DRV_KEY_RSA,
	DRV_KEY_EC,		/* NIST P-256 / P-384 */
	DRV_KEY_ED25519,
	DRV_KEY_X25519
};

#define DRV_USE_SIGN	0x01u	/* CKA_SIGN */
#define DRV_USE_DECRYPT	0x02u	/* CKA_DECRYPT (RSA) */
#define DRV_USE_DERIVE	0x04u	/* CKA_DERIVE (ECDH) */

#define DRV_ID_MAX	8
#define DRV_LABEL_MAX	64

/* One key reference as the front end shows it: certificate, public key
 * and private key objects share id. */
struct drv_key {
	uint8_t			 ref;		/* the card's key reference */
	uint8_t			 id[DRV_ID_MAX];	/* CKA_ID */
	size_t			 id_len;
	char			 key_label[DRV_LABEL_MAX];	/* private and public key */
	char			 cert_label[DRV_LABEL_MAX];
	enum drv_key_type	 type;
	unsigned		 bits;		/* modulus or field size */
	EVP_PKEY		*pub;		/* public key, owned; never NULL when loaded */
	uint8_t			*cert;		/* DER certificate, owned; NULL if none */
	size_t			 cert_len;
	unsigned		 usage;		/* DRV_USE_* */
	bool			 always_auth;	/* login right before every use */
	bool			 no_pin;	/* PIN policy "never": usable, and
						   shown, without login */
	bool			 local;		/* generated on the card (if known) */
	bool			 has_private;	/* a private key is in the reference */
};

/* Which secret a PIN operation is about. */
enum drv_pin_ref {
	DRV_PIN_USER = 0,	/* PIV: 80 */
	DRV_PIN_PUK		/* PIV: 81 */
};

/* What C_GenerateKeyPair / import asks the card for. */
struct drv_keyspec {
	enum drv_key_type	 type;
	unsigned		 bits;		/* RSA: 1024..4096; EC: 256/384 */
	uint8_t			 pin_policy;	/* 0 default, 1 never, 2 once, 3 always,
						   DRV_PIN_NOT_ALWAYS */
	uint8_t			 touch_policy;	/* 0 default, 1 never, 2 always, 3 cached */
};

/* pin_policy: the reference's default, or "once" where that default is
 * "always" (CKA_ALWAYS_AUTHENTICATE FALSE). */
#define DRV_PIN_NOT_ALWAYS	4

struct drv_token {
	char		label[33];		/* NUL-terminated, <= 32 chars */
	char		manufacturer[33];
	char		model[17];
	char		serial[17];		/* hex, from CHUID GUID or card serial */
	uint8_t		hw_major, hw_minor, fw_major, fw_minor;
	unsigned	pin_min, pin_max;
};

struct drv_pin_status {
	int		tries_left;		/* -1 unknown */
	int		tries_max;		/* -1 unknown */
	bool		verified;		/* the card says the PIN is verified */
	bool		blocked;
};

struct drv_card;	/* one inserted card, the driver's private state */

struct drv_ops {
	const char	*name;
	/* Select the applet on a freshly connected card.  DRV_ERR_NOT_OURS
	 * when the card is not of this type (the card must be left usable
	 * for the next driver). */
	int	(*probe)(struct ss_chan *, const uint8_t *atr, size_t atr_len,
		    struct drv_card **);
	void	(*free)(struct drv_card **);
	/* After a reset by someone else: select the applet again. */
	int	(*reselect)(struct drv_card *, struct ss_chan *);
	/* c == NULL: what needs no I/O (PIN limits, model; label and
	 * serial may be empty), called at binding; with a channel: all of
	 * it, read once and cached (C_GetTokenInfo). */
	int	(*token_info)(struct drv_card *, struct ss_chan *,
		    struct drv_token *);
	/* Every key reference this card type can hold, in the order objects
	 * are listed; fills refs, returns how many. No I/O. */
	size_t	(*key_refs)(struct drv_card *, uint8_t *refs, size_t cap);
	/* The CKA_ID a reference gets (no I/O), so a search by CKA_ID
	 * loads only the matching reference. */
	int	(*key_id)(struct drv_card *, uint8_t ref, uint8_t *id,
		    size_t *id_len);
	/* Load one reference (certificate and public key), as cheaply as
	 * the card allows.  DRV_ERR_KEY_ABSENT when empty.  The front end
	 * caches the result for the card's lifetime in the reader and frees
	 * it with drv_key_clear(). */
	int	(*load_key)(struct drv_card *, struct ss_chan *, uint8_t ref,
		    struct drv_key *);
	/* PIN state without using up a try. */
	int	(*pin_status)(struct drv_card *, struct ss_chan *,
		    struct drv_pin_status *);
	/* VERIFY the user PIN; pin == NULL: on the reader's PIN pad. */
	int	(*login)(struct drv_card *, struct ss_chan *, const uint8_t *pin,
		    size_t pin_len);
	int	(*logout)(struct drv_card *, struct ss_chan *);
	/* The private-key operation only; padding and hashing are the front
	 * end's.  RSA: in is a modulus-sized block, out the raw result.
	 * EC: in is the hash (the driver truncates/pads to the field size),
	 * out is r || s, each the field size.  Ed25519: in is the message. */
	int	(*sign)(struct drv_card *, struct ss_chan *,
		    const struct drv_key *, const uint8_t *in, size_t in_len,
		    uint8_t *out, size_t *out_len);
	/* RSA raw decryption of a modulus-sized block. */
	int	(*decrypt)(struct drv_card *, struct ss_chan *,
		    const struct drv_key *, const uint8_t *in, size_t in_len,
		    uint8_t *out, size_t *out_len);
	/* ECDH: peer's uncompressed point (or X25519 u) -> shared secret. */
	int	(*derive)(struct drv_card *, struct ss_chan *,
		    const struct drv_key *, const uint8_t *peer,
		    size_t peer_len, uint8_t *out, size_t *out_len);

	/* ---- management (NULL when the card type offers none) ---- */
	/* CHANGE REFERENCE DATA for the PIN or PUK; old == NULL: PIN pad. */
	int	(*change_pin)(struct drv_card *, struct ss_chan *,
		    enum drv_pin_ref, const uint8_t *old, size_t old_len,
		    const uint8_t *new_pin, size_t new_len);
	/* RESET RETRY COUNTER: unblock the PIN with the PUK. */
	int	(*unblock_pin)(struct drv_card *, struct ss_chan *,
		    const uint8_t *puk, size_t puk_len, const uint8_t *new_pin,
		    size_t new_len);
	/* Authenticate as the card administrator (PIV: management key 9B,
	 * 3DES or AES, algorithm from the card or the key length); a wrong
	 * key is DRV_ERR_PIN_INCORRECT.  key == NULL: drop that
	 * authentication (best effort: at logout). */
	int	(*admin_auth)(struct drv_card *, struct ss_chan *,
		    const uint8_t *key, size_t key_len);
	/* out: the new key as load_key would give it (public key from
	 * the card's answer, local). */
	int	(*generate_key)(struct drv_card *, struct ss_chan *,
		    uint8_t ref, const struct drv_keyspec *, struct drv_key *out);
	/* priv holds the private and the public key; out as above (not
	 * local).  DRV_ERR_NOT_SUPPORTED when the card cannot import. */
	int	(*import_key)(struct drv_card *, struct ss_chan *, uint8_t ref,
		    EVP_PKEY *priv, const struct drv_keyspec *,
		    struct drv_key *out);
	/* The certificate object of a reference; DRV_ERR_NO_SPACE when it
	 * does not fit. */
	int	(*write_cert)(struct drv_card *, struct ss_chan *, uint8_t ref,
		    const uint8_t *der, size_t der_len);
	int	(*delete_cert)(struct drv_card *, struct ss_chan *, uint8_t ref);
	/* Random bytes from the card; NULL when it has no such command. */
	int	(*random)(struct drv_card *, struct ss_chan *, uint8_t *out,
		    size_t len);
};

/* drivers.c: the table, NULL-terminated, probed in order. */
extern const struct drv_ops *const drv_table[];

/* Free what a loaded drv_key owns and zero it. */
void	drv_key_clear(struct drv_key *);
/* Map a reader-layer error (SS_ERR_*) to DRV_ERR_*. */
int	drv_from_ss(int ss_err);

#endif
