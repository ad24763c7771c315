/*
 * token-emu/emu_crypto.h - the emulated card's cryptography (OpenSSL 3,
 * EVP only) and the key-slot helpers shared by GENERATE (piv_keygen.c)
 * and the YubiKey IMPORT KEY (yk.c).
 *
 * Every function returns 0 on success and -1 on any failure; an output
 * buffer's capacity is passed in *outlen and replaced by the length
 * written.  Nothing here trusts its input bytes: RSA input must be exactly
 * the modulus size and numerically below n, EC points must lie on the
 * key's curve, sizes are checked before any copy.
 */
#ifndef EMU_CRYPTO_H
#define EMU_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "reader/buf.h"
#include "card.h"

#define EMU_SYM_BLOCK_MAX	16	/* AES block; 3DES uses 8 */
#define EMU_RSA_MAX_BYTES	512	/* RSA-4096 modulus */
#define EMU_EC_MAX_BYTES	48	/* P-384 field */
#define EMU_ASYM_OUT_MAX	EMU_RSA_MAX_BYTES
#define EMU_RSA_CRT_PARTS	5	/* p q dp dq qinv */

/* algorithm ids */
bool	 emu_alg_is_rsa(uint8_t);
bool	 emu_alg_is_ec(uint8_t);	/* P-256, P-384 */
bool	 emu_alg_is_asym(uint8_t);	/* RSA, EC, Ed25519, X25519 */
bool	 emu_alg_is_sym(uint8_t);	/* 3DES, AES-128/192/256 */
/* RSA modulus bytes, EC field bytes, 32 for 25519; 0 if not asymmetric */
size_t	 emu_alg_size(uint8_t);
size_t	 emu_sym_block_len(uint8_t);	/* 8, 16; 0 if not symmetric */
size_t	 emu_sym_key_len(uint8_t);	/* 24, 16, 24, 32; 0 if not */
uint8_t	 emu_pkey_alg(const EVP_PKEY *);	/* PIV_ALG_*, 0 if none */

/* randomness */
int	 emu_rand(uint8_t *, size_t);

/* key generation and import */
EVP_PKEY *emu_crypto_keygen(uint8_t alg);
/* parts: p, q, dp, dq, qinv, each alg-size / 2 bytes; e = 65537 */
EVP_PKEY *emu_rsa_from_crt(uint8_t alg, const uint8_t *const *parts,
	    size_t partlen);
/* EC private scalar (field size) or 25519 private key (32 bytes) */
EVP_PKEY *emu_pkey_from_private(uint8_t alg, const uint8_t *, size_t);

/* private-key operations */
int	 emu_rsa_raw(EVP_PKEY *, const uint8_t *, size_t, uint8_t *,
	    size_t *);
int	 emu_ecdsa_sign(EVP_PKEY *, const uint8_t *, size_t, uint8_t *,
	    size_t *);
int	 emu_ed25519_sign(EVP_PKEY *, const uint8_t *, size_t, uint8_t *,
	    size_t *);
/* EC: peer 04||X||Y on the key's curve; X25519: 32 bytes; out = X / K */
int	 emu_key_agree(EVP_PKEY *, const uint8_t *, size_t, uint8_t *,
	    size_t *);

/*
 * Public key as the card shows it: wrapped in 7F49 (GENERATE) or bare
 * (GET METADATA tag 04): 81 n, 82 e for RSA; 86 point for EC and 25519.
 */
int	 emu_pubkey_put(struct ss_wr *, const EVP_PKEY *, bool wrap);

/* one block of 3DES/AES in ECB, no padding (management key) */
int	 emu_sym_ecb(uint8_t alg, const uint8_t *key, size_t keylen, bool enc,
	    const uint8_t *in, uint8_t *out, size_t blocklen);

/* key slots (piv_keygen.c) */
uint8_t	 emu_slot_default_pin_policy(uint8_t ref);
/* AA/AB policy bytes: 0 ok (DEFAULT resolved for the slot), -1 invalid */
int	 emu_slot_policies(uint8_t ref, uint8_t pin_in, uint8_t touch_in,
	    uint8_t *pin_out, uint8_t *touch_out);
/* replace the slot's key; takes ownership of pkey; sets card->dirty */
void	 emu_slot_install(struct emu_card *, struct emu_key *, EVP_PKEY *,
	    uint8_t alg, uint8_t pin_policy, uint8_t touch_policy,
	    uint8_t origin);

#endif
