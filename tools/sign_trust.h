/*
 * tools/sign_trust.h - the verifier's view of certificates: the chain to
 * the trusted CAs, key usage, validity at the signing time, and the
 * signing-time attribute itself.
 */
#ifndef SIGN_TRUST_H
#define SIGN_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/cms.h>
#include <openssl/x509_vfy.h>

#include "tools/sign_err.h"
#include "tools/sign_verify.h"

/*
 * SV_UNTRUSTED when cert does not chain to store (untrusted: more
 * certificates that may help) or its key usage is not for signing;
 * SV_EXPIRED when a certificate of the chain was not valid at when.
 */
enum sv_verdict	st_trust(X509_STORE *, X509 *, STACK_OF(X509) *, time_t,
		    struct se_err *);
/* The signingTime attribute: *has false when absent; -1 when malformed. */
int		st_signing_time(CMS_SignerInfo *, time_t *, bool *,
		    struct se_err *);
/* A name as escaped RFC 2253 text, most specific first, ", " between. */
void		st_name(const X509_NAME *, char *, size_t);
/* "2025-11-27 09:50:12 UTC" */
void		st_time_str(time_t, char *, size_t);

#endif
