/*
 * pkcs11/sign.c - C_SignInit, C_Sign, C_SignUpdate, C_SignFinal.
 *
 * The front end checks, hashes and pads (through mech.h), the driver does
 * the private-key operation on the card.  Conventions (PKCS#11 5.2, 5.11):
 * - a NULL signature buffer asks for the exact length: CKR_OK, the
 *   operation stays, nothing goes to the card;
 * - a buffer too small gets CKR_BUFFER_TOO_SMALL with the exact length,
 *   and the operation stays (with a held transaction, if any);
 * - any other result ends the operation.
 * Keys with CKA_ALWAYS_AUTHENTICATE need C_Login(CKU_CONTEXT_SPECIFIC)
 * after C_SignInit; that login's transaction is held (op->tx_held) until
 * the operation ends, and the signature is made inside it.  A signature
 * without it gets CKR_USER_NOT_LOGGED_IN and no APDU.
 * C_SignInit with a NULL mechanism ends an active operation (as PKCS#11
 * 3.0 allows); with none active it is CKR_ARGUMENTS_BAD.
 */
#include <stdlib.h>
#include <string.h>

#include "pkcs11/mech.h"
#include "pkcs11/p11.h"
#include "reader/wipe.h"

void
p11_sigop_clear(struct p11_slot *s, struct p11_sigop *op)
{
	if (op->tx_held)
		p11_io_end(s);
	EVP_MD_CTX_free(op->md);
	if (op->acc != NULL)
		ss_free_secret(op->acc, op->acc_cap);
	memset(op, 0, sizeof(*op));
}

struct p11_sigop *
p11_ctx_op(struct p11_session *ss)
{
	if (ss->sign.active)
		return &ss->sign;
	return ss->decrypt.op.active ? &ss->decrypt.op : NULL;
}

/* Copy the mechanism and its parameter into the operation. */
CK_RV
p11_sigop_mech(struct p11_sigop *op, const CK_MECHANISM *m)
{
	if (m->ulParameterLen > sizeof(op->param) ||
	    (m->pParameter == NULL && m->ulParameterLen > 0))
		return CKR_MECHANISM_PARAM_INVALID;
	op->mech = *m;
	if (m->pParameter != NULL) {
		if (m->ulParameterLen > 0)
			memcpy(op->param, m->pParameter, m->ulParameterLen);
		op->mech.pParameter = op->param;
	}
	return CKR_OK;
}

/* Accumulate raw data for a multi-part operation. */
CK_RV
p11_sigop_acc(struct p11_sigop *op, const uint8_t *p, size_t len, size_t max)
{
	uint8_t	*n;
	size_t	 cap;

	if (len > max || op->acc_len > max - len)
		return CKR_DATA_LEN_RANGE;
	if (op->acc_len + len > op->acc_cap) {
		cap = op->acc_cap ? op->acc_cap : 256;
		while (cap < op->acc_len + len)
			cap *= 2;
		if ((n = calloc(1, cap)) == NULL)
			return CKR_HOST_MEMORY;
		if (op->acc_len > 0)
			memcpy(n, op->acc, op->acc_len);
		if (op->acc != NULL)
			ss_free_secret(op->acc, op->acc_cap);
		op->acc = n;
		op->acc_cap = cap;
	}
	if (len > 0)
		memcpy(op->acc + op->acc_len, p, len);
	op->acc_len += len;
	return CKR_OK;
}

static CK_RV
sign_key(struct p11_slot *s, CK_OBJECT_HANDLE h, struct p11_key **kp)
{
	enum p11_kind kind = P11_CERT;

	if (p11_obj_lookup(s, h, true, kp, &kind) != CKR_OK ||
	    kind == P11_CERT)
		return CKR_KEY_HANDLE_INVALID;
	if (kind == P11_PUB)
		return CKR_KEY_FUNCTION_NOT_PERMITTED;
	if (!p11_key_usable(s, *kp))
		return CKR_USER_NOT_LOGGED_IN;
	if (!((*kp)->k.usage & DRV_USE_SIGN))
		return CKR_KEY_FUNCTION_NOT_PERMITTED;
	return CKR_OK;
}

static CK_RV
sign_init(struct p11_slot *s, struct p11_sigop *op, const CK_MECHANISM *m,
    CK_OBJECT_HANDLE h)
{
	struct p11_key	*key;
	CK_RV		 rv;

	if ((rv = sign_key(s, h, &key)) != CKR_OK ||
	    (rv = (CK_RV)mech_check(m, &key->k, DRV_USE_SIGN)) != CKR_OK ||
	    (rv = p11_sigop_mech(op, m)) != CKR_OK)
		goto fail;
	op->key = h;
	op->always_auth = key->k.always_auth;
	op->hashing = mech_is_hashing(m->mechanism);
	if (op->hashing && ((op->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(op->md, mech_md(m->mechanism), NULL) != 1)) {
		rv = CKR_HOST_MEMORY;
		goto fail;
	}
	op->active = true;
	return CKR_OK;
fail:
	p11_sigop_clear(s, op);
	return rv;
}

CK_RV
C_SignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
    CK_OBJECT_HANDLE hKey)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	if (pMechanism == NULL) {
		rv = ss->sign.active ? CKR_OK : CKR_ARGUMENTS_BAD;
		p11_sigop_clear(s, &ss->sign);
	} else if (ss->sign.active)
		rv = CKR_OPERATION_ACTIVE;
	else
		rv = sign_init(s, &ss->sign, pMechanism, hKey);
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}

/* The block for drv_ops.sign: from the data (single part, raw multi-part)
 * or from the running digest (copied: a size query must not end it). */
static CK_RV
sign_block(const struct p11_sigop *op, const struct p11_key *key,
    const uint8_t *data, size_t len, uint8_t *block, size_t *blen)
{
	uint8_t		 md[EVP_MAX_MD_SIZE];
	unsigned	 mdlen = 0;
	EVP_MD_CTX	*c;
	CK_RV		 rv = CKR_HOST_MEMORY;

	*blen = P11_SIG_MAX;
	if (!op->hashing || !op->multi)
		return (CK_RV)mech_sign_prepare(&op->mech, &key->k, data, len,
		    block, blen);
	if ((c = EVP_MD_CTX_new()) != NULL &&
	    EVP_MD_CTX_copy_ex(c, op->md) == 1 &&
	    EVP_DigestFinal_ex(c, md, &mdlen) == 1)
		rv = (CK_RV)mech_sign_prepare_digest(&op->mech, &key->k, md,
		    mdlen, block, blen);
	EVP_MD_CTX_free(c);
	return rv;
}

/* The card's part: login state, transaction, private-key operation. */
static CK_RV
sign_card(struct p11_slot *s, const struct p11_sigop *op,
    const struct p11_key *key, const uint8_t *block, size_t blen,
    uint8_t *sig, size_t *siglen)
{
	CK_RV	rv;
	int	rc;

	if (!p11_key_usable(s, key) || (op->always_auth && !op->ctx_auth))
		return CKR_USER_NOT_LOGGED_IN;
	if ((rv = p11_io_begin(s, P11_E_KEYOP)) != CKR_OK)
		return rv;
	if (!p11_key_usable(s, key)) {	/* the card was reset meanwhile */
		p11_io_end(s);
		return CKR_USER_NOT_LOGGED_IN;
	}
	rc = s->drv->sign(s->card, s->chan, &key->k, block, blen, sig,
	    siglen);
	p11_io_end(s);
	if (rc != DRV_OK)
		return p11_slot_err(s, rc, P11_E_KEYOP);
	return CKR_OK;
}

/* Exactly want bytes out: an RSA result shorter than the modulus is
 * padded on the left with zeros. */
static CK_RV
sign_output(const uint8_t *sig, size_t siglen, size_t want, CK_BYTE_PTR out)
{
	if (siglen > want || siglen == 0)
		return CKR_DEVICE_ERROR;
	memset(out, 0, want - siglen);
	memcpy(out + (want - siglen), sig, siglen);
	return CKR_OK;
}

/* The end of C_Sign / C_SignFinal.  *keep: the operation stays. */
static CK_RV
sign_finish(struct p11_slot *s, struct p11_sigop *op, const uint8_t *data,
    size_t len, CK_BYTE_PTR out, CK_ULONG_PTR outlen, bool *keep)
{
	uint8_t		 block[P11_SIG_MAX], sig[P11_SIG_MAX];
	size_t		 blen = 0, siglen = sizeof(sig), want;
	struct p11_key	*key;
	enum p11_kind	 kind;
	CK_RV		 rv;

	*keep = false;
	if (p11_obj_lookup(s, op->key, true, &key, &kind) != CKR_OK)
		return CKR_KEY_HANDLE_INVALID;
	if ((rv = sign_block(op, key, data, len, block, &blen)) != CKR_OK)
		goto out;
	want = mech_sig_len(&op->mech, &key->k);
	if (want == 0 || want > sizeof(sig)) {
		rv = CKR_GENERAL_ERROR;
		goto out;
	}
	if (out == NULL || *outlen < want) {
		*keep = true;
		rv = out == NULL ? CKR_OK : CKR_BUFFER_TOO_SMALL;
		*outlen = want;
		goto out;
	}
	if ((rv = sign_card(s, op, key, block, blen, sig, &siglen)) ==
	    CKR_OK && (rv = sign_output(sig, siglen, want, out)) == CKR_OK)
		*outlen = want;
out:
	ss_wipe(block, sizeof(block));
	ss_wipe(sig, sizeof(sig));
	return rv;
}

CK_RV
C_Sign(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
    CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	bool			 keep = false;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	if (!ss->sign.active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else if (pulSignatureLen == NULL || (pData == NULL && ulDataLen > 0))
		rv = CKR_ARGUMENTS_BAD;
	else if (ss->sign.multi)
		rv = CKR_OPERATION_ACTIVE;
	else
		rv = sign_finish(s, &ss->sign, pData, ulDataLen, pSignature,
		    pulSignatureLen, &keep);
	if (!keep)
		p11_sigop_clear(s, &ss->sign);
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}

static CK_RV
sign_update(struct p11_sigop *op, const uint8_t *p, size_t len)
{
	op->multi = true;
	if (!op->hashing)
		return p11_sigop_acc(op, p, len, P11_ACC_MAX);
	if (len > 0 && EVP_DigestUpdate(op->md, p, len) != 1)
		return CKR_FUNCTION_FAILED;
	return CKR_OK;
}

CK_RV
C_SignUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart,
    CK_ULONG ulPartLen)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	if (!ss->sign.active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else if (pPart == NULL && ulPartLen > 0)
		rv = CKR_ARGUMENTS_BAD;
	else
		rv = sign_update(&ss->sign, pPart, ulPartLen);
	if (rv != CKR_OK)
		p11_sigop_clear(s, &ss->sign);
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}

CK_RV
C_SignFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature,
    CK_ULONG_PTR pulSignatureLen)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	struct p11_sigop	*op;
	bool			 keep = false;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	op = &ss->sign;
	if (!op->active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else if (pulSignatureLen == NULL)
		rv = CKR_ARGUMENTS_BAD;
	else {
		op->multi = true;
		rv = sign_finish(s, op, op->acc, op->acc_len, pSignature,
		    pulSignatureLen, &keep);
	}
	if (!keep)
		p11_sigop_clear(s, op);
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}
