/*
 * token-emu/identity.h - test identities for the emulated card: key types,
 * key generation, a test CA (created or reused from PEM files), certificates
 * for the PIV slots, and the card-level objects (CHUID, CCC, discovery, key
 * history).  Everything here is for tests: the CA is a throw-away.
 */
#ifndef EMU_IDENTITY_H
#define EMU_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "card.h"

#define EMU_ID_DEFAULT_NAME	"Test Broker"
#define EMU_ID_DEFAULT_ORG	"Example Customs Brokerage"
#define EMU_ID_DEFAULT_COUNTRY	"US"
#define EMU_ID_DEFAULT_DAYS	730	/* two years */
#define EMU_ID_DEFAULT_START	(-1)	/* valid since yesterday */
#define EMU_CA_NAME		"Smartsign Test CA"
#define EMU_FASCN_LEN		25

struct emu_ca {
	X509		*cert;
	EVP_PKEY	*key;
};

struct emu_id_opts {
	const char	*name;		/* subject CN */
	const char	*org;		/* subject O */
	const char	*country;	/* subject C, two letters */
	long		 cert_days;	/* validity length in days, >= 1 */
	long		 cert_start_days; /* notBefore relative to now */
};

/* key types: the PIV algorithm id is the type; 0 = no key */
int		 emu_keytype_parse(const char *, uint8_t *alg);
const char	*emu_keytype_name(uint8_t alg);	/* "rsa2048", "?" if unknown */
const char	*emu_keytype_ossl(uint8_t alg);	/* "RSA", "EC", NULL if unknown */
bool		 emu_keytype_is_asym(uint8_t alg);
bool		 emu_key_matches_alg(const EVP_PKEY *, uint8_t alg);
/* public and private halves agree (cheap: no primality tests) */
bool		 emu_key_consistent(EVP_PKEY *);
EVP_PKEY	*emu_keygen(uint8_t alg);

/* certificate object of a key reference (5FC105 for 9A ...), 0 if none */
uint32_t	 emu_cert_tag(uint8_t ref);

void		 emu_id_opts_default(struct emu_id_opts *);

/* test CA: in memory, or reused from / saved to PEM files */
int		 emu_ca_create(struct emu_ca *, char *err, size_t errlen);
int		 emu_ca_open(struct emu_ca *, const char *certpath,
		    const char *keypath, bool *created, char *err,
		    size_t errlen);
void		 emu_ca_free(struct emu_ca *);

/* a certificate for key (public part used) in slot ref, signed by the CA */
X509		*emu_cert_issue(const struct emu_ca *, EVP_PKEY *key, uint8_t ref,
		    const struct emu_id_opts *, char *err, size_t errlen);
/* certificate containers: 70 DER, 71 01 00, FE 00 */
int		 emu_cert_put(struct emu_card *, uint8_t ref, X509 *);
X509		*emu_cert_from_container(const uint8_t *, size_t);
X509		*emu_cert_get(const struct emu_card *, uint8_t ref);

/* new key of type alg in slot ref with a certificate (none if ca is NULL);
 * alg 0 empties the slot; o NULL = emu_id_opts_default() */
int		 emu_id_slot(struct emu_card *, const struct emu_ca *,
		    uint8_t ref, uint8_t alg, const struct emu_id_opts *,
		    char *err, size_t errlen);
/* CHUID, CCC, discovery and (if retired keys are present) key history */
int		 emu_id_card_objects(struct emu_card *,
		    const struct emu_id_opts *, char *err, size_t errlen);
/* all of the above: algs[i] is the type for card->keys[i] */
int		 emu_id_build(struct emu_card *, const struct emu_ca *,
		    const uint8_t algs[EMU_NKEYS], const struct emu_id_opts *,
		    char *err, size_t errlen);

/* FASC-N from its 32 digits (agency 4, system 4, credential 6, CS, ICI,
 * person 10, OC, organisation 4, POA): 40 5-bit characters, 25 bytes */
int		 emu_fascn_encode(const char *digits,
		    uint8_t out[EMU_FASCN_LEN]);

#endif
