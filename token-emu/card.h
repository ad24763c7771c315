/*
 * token-emu/card.h - the emulated PIV card: what it keeps in its card file
 * (struct emu_card) and what it forgets at power-off (struct emu_session).
 *
 * The APDU engine (piv*.c, yk.c) changes an emu_card in memory and sets
 * card->dirty; the run loop saves the card file (cardfile.c) before the
 * response leaves, so an acknowledged change is always on disk.
 */
#ifndef EMU_CARD_H
#define EMU_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* PIV algorithm identifiers (SP 800-78-4, YubiKey 5.7) */
#define PIV_ALG_3DES		0x03
#define PIV_ALG_RSA3072		0x05
#define PIV_ALG_RSA1024		0x06
#define PIV_ALG_RSA2048		0x07
#define PIV_ALG_AES128		0x08
#define PIV_ALG_AES192		0x0a
#define PIV_ALG_AES256		0x0c
#define PIV_ALG_ECCP256		0x11
#define PIV_ALG_ECCP384		0x14
#define PIV_ALG_RSA4096		0x16
#define PIV_ALG_ED25519		0xe0
#define PIV_ALG_X25519		0xe1

/* YubiKey policy values (GET METADATA tag 02, GENERATE AA/AB) */
#define EMU_PIN_POLICY_DEFAULT	0x00
#define EMU_PIN_POLICY_NEVER	0x01
#define EMU_PIN_POLICY_ONCE	0x02
#define EMU_PIN_POLICY_ALWAYS	0x03
#define EMU_TOUCH_POLICY_DEFAULT 0x00
#define EMU_TOUCH_POLICY_NEVER	0x01
#define EMU_TOUCH_POLICY_ALWAYS	0x02
#define EMU_TOUCH_POLICY_CACHED	0x03

#define EMU_ORIGIN_GENERATED	0x01
#define EMU_ORIGIN_IMPORTED	0x02

/* key references: 9A 9C 9D 9E, retired 82..95, attestation F9 */
#define EMU_NKEYS		25
#define EMU_PIN_LEN		8	/* PIN and PUK, padded with FF */
#define EMU_MGMT_KEY_MAX	32
#define EMU_OBJ_MAX		3072	/* largest object a YubiKey stores */
#define EMU_NOBJS_MAX		64
#define EMU_DEFAULT_TRIES	3

struct emu_key {
	uint8_t		 ref;		/* 0x9a, ...; fixed per array index */
	uint8_t		 alg;		/* PIV_ALG_*, 0 = empty */
	uint8_t		 pin_policy;	/* EMU_PIN_POLICY_*, never DEFAULT */
	uint8_t		 touch_policy;
	uint8_t		 origin;
	EVP_PKEY	*pkey;		/* NULL when empty */
};

struct emu_object {
	uint32_t	 tag;		/* 0x5fc105, 0x7e, ... */
	uint8_t		*data;		/* content inside 53 (or 7E) */
	size_t		 len;
};

struct emu_card {
	/* persistent: everything below is in the card file */
	uint8_t		 pin[EMU_PIN_LEN];
	uint8_t		 puk[EMU_PIN_LEN];
	uint8_t		 pin_tries_max;
	uint8_t		 pin_tries_left;
	uint8_t		 puk_tries_max;
	uint8_t		 puk_tries_left;
	bool		 pin_is_default;
	bool		 puk_is_default;
	uint8_t		 mgmt_alg;	/* PIV_ALG_3DES or AES */
	uint8_t		 mgmt_key[EMU_MGMT_KEY_MAX];
	size_t		 mgmt_key_len;
	bool		 mgmt_is_default;
	uint8_t		 mgmt_touch_policy;
	uint8_t		 version[3];	/* YubiKey firmware, e.g. 5.4.3 */
	uint32_t	 serial;
	bool		 yubikey;	/* answer the YubiKey INS (FD F8 F7 ...) */
	uint8_t		 atr[33];
	size_t		 atr_len;
	struct emu_key	 keys[EMU_NKEYS];
	struct emu_object objs[EMU_NOBJS_MAX];
	size_t		 nobjs;

	/* runtime, not saved */
	char		*path;		/* card file */
	bool		 dirty;		/* changed since loaded/saved */
};

/* what the card forgets at power off, reset, or removal */
struct emu_session {
	bool		 selected;	/* PIV applet selected */
	bool		 pin_verified;
	bool		 pin_always_ok;	/* VERIFY since last ALWAYS-policy use */
	bool		 mgmt_authed;
	/* management key challenge in progress (GENERAL AUTHENTICATE 9B) */
	uint8_t		 mgmt_state;	/* 0 none, 1 witness sent, 2 challenge sent */
	uint8_t		 mgmt_expect[16];
	size_t		 mgmt_expect_len;
	/* command chaining (CLA 10) */
	uint8_t		 chain_ins, chain_p1, chain_p2;
	bool		 chain_active;
	uint8_t		 chain_buf[16384];
	size_t		 chain_len;
	/* response waiting for GET RESPONSE */
	uint8_t		 resp_buf[16384];
	size_t		 resp_len;
	size_t		 resp_off;
};

/* counters kept by the engine for tests and benchmarks */
struct emu_counters {
	uint64_t	 apdus;
	uint64_t	 by_ins[256];
	uint64_t	 verify;	/* VERIFY with a PIN or PUK in the data */
	uint64_t	 verify_fail;
	uint64_t	 keyops;	/* private/secret key operations on keys */
	uint64_t	 resets;	/* power on / reset */
};

struct emu_key	*emu_card_key(struct emu_card *, uint8_t ref);
const struct emu_object *emu_card_obj(const struct emu_card *, uint32_t tag);
int		 emu_card_obj_set(struct emu_card *, uint32_t tag,
		    const uint8_t *, size_t);	/* len 0 deletes */
void		 emu_card_init_empty(struct emu_card *);	/* factory state */
void		 emu_card_free(struct emu_card *);	/* wipes secrets */
void		 emu_session_reset(struct emu_session *);	/* wipes */

#endif
