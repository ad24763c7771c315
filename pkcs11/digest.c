/*
 * pkcs11/digest.c - C_DigestInit, C_Digest, C_DigestUpdate, C_DigestFinal
 * in software (OpenSSL): SHA-1 and SHA-2.  Same length conventions as
 * signing: a NULL buffer asks for the length, a small one gets
 * CKR_BUFFER_TOO_SMALL, both keep the operation.
 */
#include <string.h>

#include "pkcs11/p11.h"

static const EVP_MD *
digest_md(CK_MECHANISM_TYPE t)
{
	switch (t) {
	case CKM_SHA_1:
		return EVP_sha1();
	case CKM_SHA224:
		return EVP_sha224();
	case CKM_SHA256:
		return EVP_sha256();
	case CKM_SHA384:
		return EVP_sha384();
	case CKM_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

bool
p11_digest_mech(CK_MECHANISM_TYPE t)
{
	return digest_md(t) != NULL;
}

void
p11_digop_clear(struct p11_digop *op)
{
	EVP_MD_CTX_free(op->md);
	memset(op, 0, sizeof(*op));
}

static CK_RV
digest_init(struct p11_digop *op, const CK_MECHANISM *m)
{
	const EVP_MD *md = digest_md(m->mechanism);

	if (md == NULL)
		return CKR_MECHANISM_INVALID;
	if (m->pParameter != NULL || m->ulParameterLen != 0)
		return CKR_MECHANISM_PARAM_INVALID;
	if ((op->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(op->md, md, NULL) != 1) {
		p11_digop_clear(op);
		return CKR_HOST_MEMORY;
	}
	op->len = (size_t)EVP_MD_get_size(md);
	op->active = true;
	return CKR_OK;
}

CK_RV
C_DigestInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	if (pMechanism == NULL) {
		rv = ss->digest.active ? CKR_OK : CKR_ARGUMENTS_BAD;
		p11_digop_clear(&ss->digest);
	} else if (ss->digest.active)
		rv = CKR_OPERATION_ACTIVE;
	else
		rv = digest_init(&ss->digest, pMechanism);
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}

/* Length query or final; *keep: the operation stays. */
static CK_RV
digest_out(struct p11_digop *op, CK_BYTE_PTR out, CK_ULONG_PTR outlen,
    bool *keep)
{
	unsigned n = 0;

	*keep = out == NULL || *outlen < op->len;
	if (*keep) {
		*outlen = op->len;
		return out == NULL ? CKR_OK : CKR_BUFFER_TOO_SMALL;
	}
	if (EVP_DigestFinal_ex(op->md, out, &n) != 1)
		return CKR_FUNCTION_FAILED;
	*outlen = n;
	return CKR_OK;
}

CK_RV
C_Digest(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
    CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	bool			 keep = false;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	if (!ss->digest.active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else if (pulDigestLen == NULL || (pData == NULL && ulDataLen > 0))
		rv = CKR_ARGUMENTS_BAD;
	else if (ss->digest.multi)
		rv = CKR_OPERATION_ACTIVE;
	else if (pDigest != NULL && *pulDigestLen >= ss->digest.len &&
	    ulDataLen > 0 &&
	    EVP_DigestUpdate(ss->digest.md, pData, ulDataLen) != 1)
		rv = CKR_FUNCTION_FAILED;
	else
		rv = digest_out(&ss->digest, pDigest, pulDigestLen, &keep);
	if (!keep)
		p11_digop_clear(&ss->digest);
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}

CK_RV
C_DigestUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart,
    CK_ULONG ulPartLen)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	if (!ss->digest.active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else if (pPart == NULL && ulPartLen > 0)
		rv = CKR_ARGUMENTS_BAD;
	else if (ulPartLen > 0 &&
	    EVP_DigestUpdate(ss->digest.md, pPart, ulPartLen) != 1)
		rv = CKR_FUNCTION_FAILED;
	else
		ss->digest.multi = true;
	if (rv != CKR_OK)
		p11_digop_clear(&ss->digest);
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}

CK_RV
C_DigestFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pDigest,
    CK_ULONG_PTR pulDigestLen)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	bool			 keep = false;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	if (!ss->digest.active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else if (pulDigestLen == NULL)
		rv = CKR_ARGUMENTS_BAD;
	else
		rv = digest_out(&ss->digest, pDigest, pulDigestLen, &keep);
	if (!keep)
		p11_digop_clear(&ss->digest);
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}
