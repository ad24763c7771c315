/*
 * pkcs11/unsupported.c - the functions this module does not offer (yet).
 *
 * Pure stubs return CKR_FUNCTION_NOT_SUPPORTED, as the spec asks of every
 * function a library does not support.  The object-management calls check
 * their session and object first and then give the read-only answer the
 * objects' attributes promise (CKA_COPYABLE is FALSE): CKR_ACTION_PROHIBITED.
 * C_InitToken is not offered (a PIV card is not re-initialized through
 * PKCS#11); the other token management calls are in manage.c (PINs),
 * keygen.c and create.c (objects; C_DestroyObject also destroys the
 * session secret keys of secret.c), random numbers in random.c.
 * C_GetFunctionStatus / C_CancelFunction are legacy and answer
 * CKR_FUNCTION_NOT_PARALLEL after the usual checks.
 */
#include <stddef.h>

#include "pkcs11/p11.h"

#define STUB(name, args)						\
CK_RV									\
name args								\
{									\
	p11_log_enter(#name);						\
	return p11_log_rv(#name, CKR_FUNCTION_NOT_SUPPORTED);		\
}

#define U __attribute__((unused))

STUB(C_InitToken, (CK_SLOT_ID a U, CK_UTF8CHAR_PTR b U, CK_ULONG c U,
    CK_UTF8CHAR_PTR d U))
STUB(C_GetOperationState, (CK_SESSION_HANDLE a U, CK_BYTE_PTR b U,
    CK_ULONG_PTR c U))
STUB(C_SetOperationState, (CK_SESSION_HANDLE a U, CK_BYTE_PTR b U,
    CK_ULONG c U, CK_OBJECT_HANDLE d U, CK_OBJECT_HANDLE e U))
STUB(C_EncryptInit, (CK_SESSION_HANDLE a U, CK_MECHANISM_PTR b U,
    CK_OBJECT_HANDLE c U))
STUB(C_Encrypt, (CK_SESSION_HANDLE a U, CK_BYTE_PTR b U, CK_ULONG c U,
    CK_BYTE_PTR d U, CK_ULONG_PTR e U))
STUB(C_EncryptUpdate, (CK_SESSION_HANDLE a U, CK_BYTE_PTR b U, CK_ULONG c U,
    CK_BYTE_PTR d U, CK_ULONG_PTR e U))
STUB(C_EncryptFinal, (CK_SESSION_HANDLE a U, CK_BYTE_PTR b U,
    CK_ULONG_PTR c U))
STUB(C_DigestKey, (CK_SESSION_HANDLE a U, CK_OBJECT_HANDLE b U))
STUB(C_SignRecoverInit, (CK_SESSION_HANDLE a U, CK_MECHANISM_PTR b U,
    CK_OBJECT_HANDLE c U))
STUB(C_SignRecover, (CK_SESSION_HANDLE a U, CK_BYTE_PTR b U, CK_ULONG c U,
    CK_BYTE_PTR d U, CK_ULONG_PTR e U))
STUB(C_VerifyRecoverInit, (CK_SESSION_HANDLE a U, CK_MECHANISM_PTR b U,
    CK_OBJECT_HANDLE c U))
STUB(C_VerifyRecover, (CK_SESSION_HANDLE a U, CK_BYTE_PTR b U, CK_ULONG c U,
    CK_BYTE_PTR d U, CK_ULONG_PTR e U))
STUB(C_DigestEncryptUpdate, (CK_SESSION_HANDLE a U, CK_BYTE_PTR b U,
    CK_ULONG c U, CK_BYTE_PTR d U, CK_ULONG_PTR e U))
STUB(C_DecryptDigestUpdate, (CK_SESSION_HANDLE a U, CK_BYTE_PTR b U,
    CK_ULONG c U, CK_BYTE_PTR d U, CK_ULONG_PTR e U))
STUB(C_SignEncryptUpdate, (CK_SESSION_HANDLE a U, CK_BYTE_PTR b U,
    CK_ULONG c U, CK_BYTE_PTR d U, CK_ULONG_PTR e U))
STUB(C_DecryptVerifyUpdate, (CK_SESSION_HANDLE a U, CK_BYTE_PTR b U,
    CK_ULONG c U, CK_BYTE_PTR d U, CK_ULONG_PTR e U))
STUB(C_GenerateKey, (CK_SESSION_HANDLE a U, CK_MECHANISM_PTR b U,
    CK_ATTRIBUTE_PTR c U, CK_ULONG d U, CK_OBJECT_HANDLE_PTR e U))
STUB(C_WrapKey, (CK_SESSION_HANDLE a U, CK_MECHANISM_PTR b U,
    CK_OBJECT_HANDLE c U, CK_OBJECT_HANDLE d U, CK_BYTE_PTR e U,
    CK_ULONG_PTR f U))
STUB(C_UnwrapKey, (CK_SESSION_HANDLE a U, CK_MECHANISM_PTR b U,
    CK_OBJECT_HANDLE c U, CK_BYTE_PTR d U, CK_ULONG e U,
    CK_ATTRIBUTE_PTR f U, CK_ULONG g U, CK_OBJECT_HANDLE_PTR h U))

/* Session and object (a card object or a session secret key of
 * secret.c) valid: CKR_OK; the caller's answer follows. */
static CK_RV
obj_check(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	struct p11_key		*key;
	enum p11_kind		 kind;
	CK_RV			 rv;

	if ((rv = p11_sess_get(h, &s, &ss)) != CKR_OK)
		return rv;
	if (p11_secret_handle(o))
		rv = p11_secret_check(s, o);
	else
		rv = p11_obj_lookup(s, o, false, &key, &kind);
	p11_sess_put(s);
	return rv;
}

CK_RV
C_CopyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
    CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
    CK_OBJECT_HANDLE_PTR phNewObject)
{
	CK_RV rv;

	p11_log_enter(__func__);
	if ((rv = p11_check_init()) != CKR_OK)
		goto out;
	if ((pTemplate == NULL && ulCount > 0) || phNewObject == NULL)
		rv = CKR_ARGUMENTS_BAD;
	else if ((rv = obj_check(hSession, hObject)) == CKR_OK)
		rv = CKR_ACTION_PROHIBITED;
out:
	return p11_log_rv(__func__, rv);
}

CK_RV
C_GetObjectSize(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
    CK_ULONG_PTR pulSize)
{
	CK_RV rv;

	p11_log_enter(__func__);
	if ((rv = p11_check_init()) != CKR_OK)
		goto out;
	if (pulSize == NULL)
		rv = CKR_ARGUMENTS_BAD;
	else if ((rv = obj_check(hSession, hObject)) == CKR_OK)
		*pulSize = CK_UNAVAILABLE_INFORMATION;
out:
	return p11_log_rv(__func__, rv);
}

static CK_RV
parallel_stub(CK_SESSION_HANDLE h)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	CK_RV			 rv;

	if ((rv = p11_sess_get(h, &s, &ss)) != CKR_OK)
		return rv;
	p11_sess_put(s);
	return CKR_FUNCTION_NOT_PARALLEL;
}

CK_RV
C_GetFunctionStatus(CK_SESSION_HANDLE hSession)
{
	p11_log_enter(__func__);
	return p11_log_rv(__func__, parallel_stub(hSession));
}

CK_RV
C_CancelFunction(CK_SESSION_HANDLE hSession)
{
	p11_log_enter(__func__);
	return p11_log_rv(__func__, parallel_stub(hSession));
}
