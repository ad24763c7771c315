/*
 * pkcs11/verify.c - C_VerifyInit, C_Verify, C_VerifyUpdate, C_VerifyFinal:
 * software verification with the public key (mech_verify, OpenSSL).  No
 * card I/O and no login needed.  Multi-part: the hashing mechanisms hash
 * as the data comes (mech_verify_digest at the end); the raw ones keep
 * the data (at most P11_ACC_MAX bytes).  Every call but a successful
 * C_VerifyUpdate ends the operation.
 */
#include <string.h>

#include "pkcs11/mech.h"
#include "pkcs11/p11.h"

static CK_RV
verify_key(struct p11_slot *s, CK_OBJECT_HANDLE h, struct p11_key **kp)
{
	enum p11_kind kind = P11_CERT;

	if (p11_obj_lookup(s, h, false, kp, &kind) != CKR_OK ||
	    kind == P11_CERT)
		return CKR_KEY_HANDLE_INVALID;
	if (kind != P11_PUB || !((*kp)->k.usage & DRV_USE_SIGN))
		return CKR_KEY_FUNCTION_NOT_PERMITTED;
	return CKR_OK;
}

static CK_RV
verify_init(struct p11_slot *s, struct p11_sigop *op, const CK_MECHANISM *m,
    CK_OBJECT_HANDLE h)
{
	struct p11_key	*key;
	CK_RV		 rv;

	if ((rv = verify_key(s, h, &key)) != CKR_OK ||
	    (rv = (CK_RV)mech_check(m, &key->k, DRV_USE_SIGN)) != CKR_OK ||
	    (rv = p11_sigop_mech(op, m)) != CKR_OK) {
		p11_sigop_clear(s, op);
		return rv;
	}
	op->key = h;
	op->hashing = mech_is_hashing(m->mechanism);
	if (op->hashing && ((op->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(op->md, mech_md(m->mechanism), NULL) != 1)) {
		p11_sigop_clear(s, op);
		return CKR_HOST_MEMORY;
	}
	op->active = true;
	return CKR_OK;
}

CK_RV
C_VerifyInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
    CK_OBJECT_HANDLE hKey)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	if (pMechanism == NULL) {
		rv = ss->verify.active ? CKR_OK : CKR_ARGUMENTS_BAD;
		p11_sigop_clear(s, &ss->verify);
	} else if (ss->verify.active)
		rv = CKR_OPERATION_ACTIVE;
	else
		rv = verify_init(s, &ss->verify, pMechanism, hKey);
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}

static CK_RV
verify_finish(struct p11_slot *s, struct p11_sigop *op, const uint8_t *data,
    size_t len, const uint8_t *sig, size_t siglen)
{
	uint8_t		 md[EVP_MAX_MD_SIZE];
	unsigned	 mdlen = 0;
	struct p11_key	*key;
	enum p11_kind	 kind;

	if (p11_obj_lookup(s, op->key, true, &key, &kind) != CKR_OK)
		return CKR_KEY_HANDLE_INVALID;
	if (!op->hashing || !op->multi)
		return (CK_RV)mech_verify(&op->mech, key->k.pub, data, len,
		    sig, siglen);
	if (EVP_DigestFinal_ex(op->md, md, &mdlen) != 1)
		return CKR_FUNCTION_FAILED;
	return (CK_RV)mech_verify_digest(&op->mech, key->k.pub, md, mdlen,
	    sig, siglen);
}

static CK_RV
verify_update(struct p11_sigop *op, const uint8_t *p, size_t len)
{
	op->multi = true;
	if (!op->hashing)
		return p11_sigop_acc(op, p, len, P11_ACC_MAX);
	if (len > 0 && EVP_DigestUpdate(op->md, p, len) != 1)
		return CKR_FUNCTION_FAILED;
	return CKR_OK;
}

CK_RV
C_Verify(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
    CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	if (!ss->verify.active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else if ((pData == NULL && ulDataLen > 0) || pSignature == NULL)
		rv = CKR_ARGUMENTS_BAD;
	else if (ss->verify.multi)
		rv = CKR_OPERATION_ACTIVE;
	else
		rv = verify_finish(s, &ss->verify, pData, ulDataLen,
		    pSignature, ulSignatureLen);
	p11_sigop_clear(s, &ss->verify);
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}

CK_RV
C_VerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart,
    CK_ULONG ulPartLen)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	if (!ss->verify.active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else if (pPart == NULL && ulPartLen > 0)
		rv = CKR_ARGUMENTS_BAD;
	else
		rv = verify_update(&ss->verify, pPart, ulPartLen);
	if (rv != CKR_OK)
		p11_sigop_clear(s, &ss->verify);
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}

CK_RV
C_VerifyFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature,
    CK_ULONG ulSignatureLen)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	if (!ss->verify.active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else if (pSignature == NULL)
		rv = CKR_ARGUMENTS_BAD;
	else {
		ss->verify.multi = true;
		rv = verify_finish(s, &ss->verify, ss->verify.acc,
		    ss->verify.acc_len, pSignature, ulSignatureLen);
	}
	p11_sigop_clear(s, &ss->verify);
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}
