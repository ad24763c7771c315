/*
 * tools/diag_piv.h - read-only PIV card queries for `smartsign-diag card`
 * (diag_piv.c) and certificate summaries (diag_cert.c).
 *
 * Only commands that change nothing on the card are sent: SELECT, GET
 * DATA, VERIFY without data (asks the retry counter, costs no try), and
 * the YubiKey GET VERSION, GET SERIAL and GET METADATA.  No PIN or PUK is
 * ever sent.
 */
#ifndef SS_DIAG_PIV_H
#define SS_DIAG_PIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "reader/channel.h"

#define PIV_OBJ_MAX		8192	/* a certificate object fits */
#define PIV_REF_PIN		0x80
#define PIV_REF_PUK		0x81
#define PIV_REF_MGMT		0x9b

/* A key reference and its certificate object. */
struct dpiv_slotdef {
	uint8_t		 ref;
	uint32_t	 cert_tag;
	const char	*role;
};

/* Retry counter as VERIFY without data tells it. */
struct dpiv_tries {
	bool		known;
	int		left;		/* -1 unknown */
	bool		verified;	/* 9000: already verified */
	bool		blocked;
	uint16_t	sw;
};

/* YubiKey GET METADATA of one reference (TLVs 01..06). */
struct dpiv_meta {
	bool		ok;
	uint16_t	sw;
	bool		has_alg, has_policy, has_origin, has_default,
			has_retries;
	uint8_t		alg, pin_policy, touch_policy, origin;
	bool		is_default;
	uint8_t		retries_total, retries_left;
};

size_t	dpiv_slots(const struct dpiv_slotdef **);

/* Each returns SS_ERR_* of the exchange; *sw the card's status word. */
int	dpiv_select(struct ss_chan *, uint8_t *apt, size_t cap, size_t *len,
	    uint16_t *sw);
int	dpiv_get_data(struct ss_chan *, uint32_t tag, uint8_t *buf, size_t cap,
	    size_t *len, uint16_t *sw);
int	dpiv_tries(struct ss_chan *, uint8_t ref, struct dpiv_tries *);
int	dpiv_yk_version(struct ss_chan *, uint8_t ver[3], uint16_t *sw);
int	dpiv_yk_serial(struct ss_chan *, uint32_t *serial, uint16_t *sw);
int	dpiv_metadata(struct ss_chan *, uint8_t ref, struct dpiv_meta *);
/* "RSA-2048", "ECC P-256", ... for a PIV algorithm id; NULL unknown. */
const char *dpiv_alg_name(uint8_t alg);

/* Certificate summary from the DER bytes (diag_cert.c). */
struct diag_cert {
	bool	ok;
	char	subject[512];
	char	issuer[512];
	char	serial[80];
	char	not_before[32];	/* "2026-11-26 09:00:00 UTC" */
	char	not_after[32];
	long	days_left;	/* until notAfter; negative: expired */
	bool	not_yet_valid;
	char	key[80];	/* "RSA 2048", "EC P-256" */
	char	sha256[65];
	char	*pem;		/* malloc'ed when asked for */
};

int	diag_cert_parse(const uint8_t *der, size_t len, bool want_pem,
	    struct diag_cert *);
void	diag_cert_clear(struct diag_cert *);
/* Pull the DER certificate out of a PIV certificate container
 * (53 { 70 cert, 71 info }); *gzip set when the card stored it
 * compressed.  SS_ERR_MALFORMED when it does not parse. */
int	dpiv_cert_from_container(const uint8_t *obj, size_t len,
	    const uint8_t **der, size_t *der_len, bool *gzip);

#endif
