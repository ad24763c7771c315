/*
 * tools/sign_strict.h - what OpenSSL's CMS verification lets through and
 * smartsign's verifier does not: equivalent-but-different encodings of the
 * parts of a SignerInfo that no signature covers, or that OpenSSL re-encodes
 * before checking the signature.
 *
 *   - the signed attributes, as received, must be exactly their DER
 *     encoding (sorted SET OF, constructed tags): OpenSSL re-encodes them
 *     for verification, so a BER variant would otherwise verify too;
 *   - the signer identifier must be byte for byte the certificate's issuer
 *     and serial number (or its subject key identifier): OpenSSL compares
 *     names case-insensitively;
 *   - the signature algorithm must fit the key and the digest algorithm:
 *     OpenSSL ignores it for ECDSA.
 */
#ifndef SIGN_STRICT_H
#define SIGN_STRICT_H

#include <openssl/cms.h>

#include "tools/sign_der.h"
#include "tools/sign_verify.h"

enum sv_verdict	sv_strict(CMS_SignerInfo *, X509 *, const EVP_MD *,
		    const struct sd_signer *, struct se_err *);

#endif
