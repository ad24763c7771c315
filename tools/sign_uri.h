/*
 * tools/sign_uri.h - which key to sign with: a PKCS#11 URI (RFC 7512) or
 * a PIV key reference, parsed into one selector.
 *
 * Supported path attributes: token, serial, id, object, type.  Every value
 * may be percent-encoded; id is bytes, the others are text.  Anything else
 * (other RFC 7512 attributes, vendor attributes, query attributes such as
 * pin-value) is rejected with a message that says why.
 */
#ifndef SIGN_URI_H
#define SIGN_URI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/sign_err.h"

#define SU_URI_MAX	1024	/* longest URI accepted */
#define SU_TOKEN_MAX	32	/* CK_TOKEN_INFO.label */
#define SU_SERIAL_MAX	16	/* CK_TOKEN_INFO.serialNumber */
#define SU_OBJECT_MAX	128	/* CKA_LABEL */
#define SU_ID_MAX	64	/* CKA_ID */

enum su_type {
	SU_TYPE_ANY = 0,	/* no type= : the private key */
	SU_TYPE_PRIVATE,
	SU_TYPE_CERT
};

struct su_sel {
	char		token[SU_TOKEN_MAX + 1];
	char		serial[SU_SERIAL_MAX + 1];
	char		object[SU_OBJECT_MAX + 1];
	uint8_t		id[SU_ID_MAX];
	size_t		idlen;
	bool		has_token;
	bool		has_serial;
	bool		has_object;
	bool		has_id;
	enum su_type	type;
};

/* Parse "pkcs11:..." into *sel; -1 with a message in err. */
int	su_parse_uri(const char *, struct su_sel *, struct se_err *);
/* Parse a --key argument: 9a 9c 9d 9e, or a CKA_ID in hex. */
int	su_parse_key(const char *, struct su_sel *, struct se_err *);
/* The default key: 9C, the PIV digital-signature key (CKA_ID 02). */
void	su_default(struct su_sel *);
/* The PIV name of a one-byte CKA_ID ("9C"), or NULL. */
const char	*su_piv_name(const uint8_t *, size_t);

#endif
