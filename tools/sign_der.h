/*
 * tools/sign_der.h - the shape of a detached CMS SignedData, checked with
 * the bounds-checked TLV helpers before OpenSSL parses it.
 *
 * What is checked here is what OpenSSL's decoder lets through and a
 * verifier must not: trailing bytes, an attached content, versions that do
 * not fit the content (RFC 5652 5.1, 5.3), a SignerInfo digest algorithm
 * missing from digestAlgorithms, algorithm parameters other than absent or
 * NULL for digests, SignerInfos without signed attributes.  Every length
 * is checked against its enclosing value; definite lengths only (DER).
 */
#ifndef SIGN_DER_H
#define SIGN_DER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/sign_err.h"

#define SD_DIGESTS_MAX	8
#define SD_SIGNERS_MAX	4

/* Raw pieces of one SignerInfo, pointing into the checked buffer. */
struct sd_signer {
	const uint8_t	*sid;		/* the sid's value (issuerAndSerial */
	size_t		 sidlen;	/* content, or the key identifier) */
	bool		 sid_keyid;	/* version 3: subjectKeyIdentifier */
	const uint8_t	*attrs;		/* signedAttrs' value, as received */
	size_t		 attrslen;
};

struct sd_shape {
	unsigned	 version;	/* SignedData version */
	size_t		 ndigests;
	size_t		 nsigners;
	struct sd_signer signer[SD_SIGNERS_MAX];
};

/* 0 when p[len] is one well-shaped detached SignedData; -1 otherwise
 * with the reason in err. */
int	sd_check(const uint8_t *, size_t, struct sd_shape *, struct se_err *);

#endif
