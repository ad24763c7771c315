/*
 * pkcs11/decrypt.c - C_DecryptInit, C_Decrypt, C_DecryptUpdate,
 * C_DecryptFinal with the card's RSA keys (CKM_RSA_PKCS,
 * CKM_RSA_PKCS_OAEP, CKM_RSA_X_509; mech_unpad.c).
 *
 * The card does the private-key operation on the whole ciphertext (a
 * modulus-sized block) and returns the raw block; the padding is removed
 * on the host in constant time.  The raw block and the plaintext are
 * wiped on every path and never logged (the driver flags the APDU
 * SS_APDU_SECRET).
 *
 * Conventions (PKCS#11 5.2, 5.9), as for signing:
 * - a NULL output buffer asks for the length: the largest plaintext the
 *   key and mechanism allow (k - 11, k - 2 hLen - 2, k), no card I/O,
 *   the operation stays;
 * - otherwise the card decrypts; when the plaintext does not fit, the
 *   exact length comes back with CKR_BUFFER_TOO_SMALL, the operation
 *   stays and keeps the plaintext, so the next call gives it out without
 *   a second card operation (a key with CKA_ALWAYS_AUTHENTICATE would need
 *   another login for it);
 * - any other result ends the operation.
 * A ciphertext that is not exactly the modulus size is
 * CKR_ENCRYPTED_DATA_LEN_RANGE; one not below the modulus, and every
 * padding error, CKR_ENCRYPTED_DATA_INVALID.
 * Multi-part: C_DecryptUpdate collects the ciphertext (no output, at most
 * the modulus size), C_DecryptFinal decrypts it.
 * Keys with CKA_ALWAYS_AUTHENTICATE take C_Login(CKU_CONTEXT_SPECIFIC)
 * after C_DecryptInit (login.c finds this operation through p11_ctx_op
 * when no signature is active).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>

#include "pkcs11/mech.h"
#include "pkcs11/p11.h"
#include "reader/wipe.h"

void
p11_decop_clear(struct p11_slot *s, struct p11_decop *d)
{
	p11_sigop_clear(s, &d->op);
	free(d->label);
	if (d->plain != NULL)
		ss_free_secret(d->plain, P11_SIG_MAX);
	memset(d, 0, sizeof(*d));
}

static CK_RV
decrypt_key(struct p11_slot *s, CK_OBJECT_HANDLE h, struct p11_key **kp)
{
	enum p11_kind kind = P11_CERT;

	if (p11_obj_lookup(s, h, true, kp, &kind) != CKR_OK ||
	    kind == P11_CERT)
		return CKR_KEY_HANDLE_INVALID;
	if (kind == P11_PUB)
		return CKR_KEY_FUNCTION_NOT_PERMITTED;
	if (!p11_key_usable(s, *kp))
		return CKR_USER_NOT_LOGGED_IN;
	return CKR_OK;
}

/* Keep the OAEP label: the copied parameter points at our copy. */
static CK_RV
decrypt_label(struct p11_decop *d, const struct mech_dec *dec)
{
	CK_RSA_PKCS_OAEP_PARAMS p;

	if (dec->type != CKM_RSA_PKCS_OAEP)
		return CKR_OK;
	if ((d->label = malloc(dec->label_len + 1)) == NULL)
		return CKR_HOST_MEMORY;
	if (dec->label_len > 0)
		memcpy(d->label, dec->label, dec->label_len);
	d->label_len = dec->label_len;
	memcpy(&p, d->op.param, sizeof(p));
	p.pSourceData = d->label_len > 0 ? d->label : NULL;
	memcpy(d->op.param, &p, sizeof(p));
	return CKR_OK;
}

static CK_RV
decrypt_init(struct p11_slot *s, struct p11_decop *d, const CK_MECHANISM *m,
    CK_OBJECT_HANDLE h)
{
	struct p11_key	*key;
	struct mech_dec	 dec;
	CK_RV		 rv;

	if ((rv = decrypt_key(s, h, &key)) != CKR_OK ||
	    (rv = (CK_RV)mech_dec_setup(m, &key->k, &dec)) != CKR_OK ||
	    (rv = p11_sigop_mech(&d->op, m)) != CKR_OK ||
	    (rv = decrypt_label(d, &dec)) != CKR_OK) {
		p11_decop_clear(s, d);
		return rv;
	}
	d->op.key = h;
	d->op.always_auth = key->k.always_auth;
	d->op.active = true;
	return CKR_OK;
}

CK_RV
C_DecryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
    CK_OBJECT_HANDLE hKey)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	if (pMechanism == NULL) {
		rv = ss->decrypt.op.active ? CKR_OK : CKR_ARGUMENTS_BAD;
		p11_decop_clear(s, &ss->decrypt);
	} else if (ss->decrypt.op.active)
		rv = CKR_OPERATION_ACTIVE;
	else
		rv = decrypt_init(s, &ss->decrypt, pMechanism, hKey);
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}

/* The ciphertext, as a number, must be below the modulus. */
static CK_RV
decrypt_range(EVP_PKEY *pub, const uint8_t *c, size_t k)
{
	BIGNUM	*n = NULL, *x = NULL;
	CK_RV	 rv = CKR_HOST_MEMORY;

	if (EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
	    (x = BN_bin2bn(c, (int)k, NULL)) == NULL)
		goto fail;
	rv = BN_cmp(x, n) < 0 ? CKR_OK : CKR_ENCRYPTED_DATA_INVALID;
fail:
	BN_free(n);
	BN_free(x);
	return rv;
}

/* The card's part: login state, transaction, raw decryption. */
static CK_RV
decrypt_card(struct p11_slot *s, const struct p11_decop *d,
    const struct p11_key *key, const uint8_t *in, size_t len, uint8_t *raw,
    size_t *raw_len)
{
	CK_RV	rv;
	int	rc;

	if (!p11_key_usable(s, key) ||
	    (d->op.always_auth && !d->op.ctx_auth))
		return CKR_USER_NOT_LOGGED_IN;
	if ((rv = p11_io_begin(s, P11_E_KEYOP)) != CKR_OK)
		return rv;
	if (!p11_key_usable(s, key)) {	/* the card was reset meanwhile */
		p11_io_end(s);
		return CKR_USER_NOT_LOGGED_IN;
	}
	rc = s->drv->decrypt(s->card, s->chan, &key->k, in, len, raw,
	    raw_len);
	p11_io_end(s);
	if (rc == DRV_ERR_DATA_INVALID)
		return CKR_ENCRYPTED_DATA_INVALID;
	if (rc != DRV_OK)
		return p11_slot_err(s, rc, P11_E_KEYOP);
	return CKR_OK;
}

/* Decrypt on the card and unpad into d->plain. */
static CK_RV
decrypt_run(struct p11_slot *s, struct p11_decop *d,
    const struct p11_key *key, const struct mech_dec *dec, const uint8_t *in,
    size_t len)
{
	uint8_t	raw[P11_SIG_MAX];
	size_t	raw_len = sizeof(raw);
	CK_RV	rv;

	if ((rv = decrypt_range(key->k.pub, in, len)) != CKR_OK ||
	    (rv = decrypt_card(s, d, key, in, len, raw, &raw_len)) != CKR_OK)
		goto out;
	if (raw_len != dec->k) {
		rv = CKR_DEVICE_ERROR;
		goto out;
	}
	if ((d->plain = malloc(P11_SIG_MAX)) == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	rv = (CK_RV)mech_dec_unpad(dec, raw, raw_len, d->plain, &d->plain_len);
out:
	ss_wipe(raw, sizeof(raw));
	return rv;
}

/* The plaintext out, or its length. *keep: the operation stays. */
static CK_RV
decrypt_output(const struct p11_decop *d, CK_BYTE_PTR out,
    CK_ULONG_PTR outlen, bool *keep)
{
	if (out == NULL || *outlen < d->plain_len) {
		*keep = true;
		*outlen = d->plain_len;
		return out == NULL ? CKR_OK : CKR_BUFFER_TOO_SMALL;
	}
	if (d->plain_len > 0)
		memcpy(out, d->plain, d->plain_len);
	*outlen = d->plain_len;
	return CKR_OK;
}

/* The end of C_Decrypt / C_DecryptFinal. */
static CK_RV
decrypt_finish(struct p11_slot *s, struct p11_decop *d, const uint8_t *in,
    size_t len, CK_BYTE_PTR out, CK_ULONG_PTR outlen, bool *keep)
{
	struct p11_key	*key;
	struct mech_dec	 dec;
	enum p11_kind	 kind;
	CK_RV		 rv;

	*keep = false;
	if (d->plain != NULL)		/* decrypted by an earlier call */
		return decrypt_output(d, out, outlen, keep);
	if (p11_obj_lookup(s, d->op.key, true, &key, &kind) != CKR_OK)
		return CKR_KEY_HANDLE_INVALID;
	if ((rv = (CK_RV)mech_dec_setup(&d->op.mech, &key->k, &dec)) !=
	    CKR_OK)
		return rv;
	if (len != dec.k)
		return CKR_ENCRYPTED_DATA_LEN_RANGE;
	if (out == NULL) {
		*keep = true;
		*outlen = mech_dec_max(&dec);
		return CKR_OK;
	}
	if ((rv = decrypt_run(s, d, key, &dec, in, len)) != CKR_OK)
		return rv;
	return decrypt_output(d, out, outlen, keep);
}

CK_RV
C_Decrypt(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedData,
    CK_ULONG ulEncryptedDataLen, CK_BYTE_PTR pData, CK_ULONG_PTR pulDataLen)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	bool			 keep = false;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	if (!ss->decrypt.op.active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else if (pulDataLen == NULL ||
	    (pEncryptedData == NULL && ulEncryptedDataLen > 0))
		rv = CKR_ARGUMENTS_BAD;
	else if (ss->decrypt.op.multi)
		rv = CKR_OPERATION_ACTIVE;
	else
		rv = decrypt_finish(s, &ss->decrypt, pEncryptedData,
		    ulEncryptedDataLen, pData, pulDataLen, &keep);
	if (!keep)
		p11_decop_clear(s, &ss->decrypt);
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}

static CK_RV
decrypt_update(struct p11_decop *d, const uint8_t *p, size_t len)
{
	CK_RV rv;

	if (d->plain != NULL)		/* C_Decrypt is under way */
		return CKR_OPERATION_ACTIVE;
	d->op.multi = true;
	rv = p11_sigop_acc(&d->op, p, len, P11_SIG_MAX / 2);
	return rv == CKR_DATA_LEN_RANGE ? CKR_ENCRYPTED_DATA_LEN_RANGE : rv;
}

CK_RV
C_DecryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart,
    CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	CK_RV			 rv;

	(void)pPart;
	p11_log_enter(__func__);
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	if (!ss->decrypt.op.active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else if (pulPartLen == NULL ||
	    (pEncryptedPart == NULL && ulEncryptedPartLen > 0))
		rv = CKR_ARGUMENTS_BAD;
	else if ((rv = decrypt_update(&ss->decrypt, pEncryptedPart,
	    ulEncryptedPartLen)) == CKR_OK)
		*pulPartLen = 0;
	if (rv != CKR_OK)
		p11_decop_clear(s, &ss->decrypt);
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}

CK_RV
C_DecryptFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pLastPart,
    CK_ULONG_PTR pulLastPartLen)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	struct p11_decop	*d;
	bool			 keep = false;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	d = &ss->decrypt;
	if (!d->op.active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else if (pulLastPartLen == NULL)
		rv = CKR_ARGUMENTS_BAD;
	else if (!d->op.multi && d->plain != NULL)
		rv = CKR_OPERATION_ACTIVE;	/* C_Decrypt is under way */
	else {
		d->op.multi = true;
		rv = decrypt_finish(s, d, d->op.acc, d->op.acc_len, pLastPart,
		    pulLastPartLen, &keep);
	}
	if (!keep)
		p11_decop_clear(s, d);
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}
