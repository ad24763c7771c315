/*
 * tools/sign_verify.h - verify a detached CMS SignedData (.p7s) over some
 * content, the way the customs side does.
 *
 * The checks, in order; the first that fails gives the verdict:
 *   malformed      the .p7s does not parse, has the wrong shape (see
 *                  sign_der.h), lacks the signer's certificate or a
 *                  mandatory signed attribute, or uses an algorithm not
 *                  accepted (digests: SHA-224/256/384/512 only);
 *   bad signature  the content's digest differs from the messageDigest
 *                  attribute, the contentType attribute differs from the
 *                  content type, the signature does not verify with the
 *                  certificate, or an ESS signing-certificate(-v2)
 *                  attribute names another certificate;
 *   untrusted      no chain from the certificate to the CA bundle, or its
 *                  key usage allows neither digitalSignature nor
 *                  nonRepudiation;
 *   expired        a certificate of the chain was not valid at the signing
 *                  time (the signingTime attribute; the current time when
 *                  the signature has none).
 *
 * sv_verify_buf() takes nothing but buffers and never touches a file: it
 * is the entry point for fuzzing (a libFuzzer target passes the input as
 * the .p7s, fixed content and no CA store).
 */
#ifndef SIGN_VERIFY_H
#define SIGN_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/x509_vfy.h>

#include "tools/sign_der.h"
#include "tools/sign_err.h"

#define SV_P7S_MAX	(1024 * 1024)	/* largest .p7s read */

enum sv_verdict {
	SV_OK = 0,
	SV_BAD_SIGNATURE,
	SV_UNTRUSTED,
	SV_EXPIRED,
	SV_MALFORMED,
	SV_ERROR		/* out of memory, content unreadable */
};

struct sv_signer {
	char		subject[256];	/* escaped (RFC 2253), "" if unknown */
	char		algorithm[64];	/* e.g. "ECDSA with SHA256" */
	time_t		when;
	bool		has_when;	/* a signingTime attribute was there */
};

struct sv_opts {
	X509_STORE	*store;		/* trusted CAs; NULL: nothing trusted */
	bool		 sig_only;	/* stop after the signature checks */
};

struct sv_result {
	enum sv_verdict		verdict;
	struct se_err		why;	/* for any verdict but SV_OK */
	size_t			nsigners;
	struct sv_signer	signer[SD_SIGNERS_MAX];
};

/* Verify p7s over what content holds (read from its start, reset with
 * BIO_reset for each signer). */
enum sv_verdict	sv_verify_bio(const uint8_t *, size_t, BIO *,
		    const struct sv_opts *, struct sv_result *);
/* The same over a content buffer: the fuzzing entry point. */
enum sv_verdict	sv_verify_buf(const uint8_t *, size_t, const uint8_t *,
		    size_t, const struct sv_opts *, struct sv_result *);
const char	*sv_verdict_str(enum sv_verdict);

#endif
