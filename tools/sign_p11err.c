/*
 * tools/sign_p11err.c - names of PKCS#11 return values and mechanisms for
 * messages.
 */
#include <stdio.h>

#include "tools/sign_p11.h"

#define RV(x)	{ x, #x }

static const struct {
	CK_RV		 rv;
	const char	*name;
} rv_names[] = {
	RV(CKR_OK), RV(CKR_CANCEL), RV(CKR_HOST_MEMORY),
	RV(CKR_SLOT_ID_INVALID), RV(CKR_GENERAL_ERROR),
	RV(CKR_FUNCTION_FAILED), RV(CKR_ARGUMENTS_BAD),
	RV(CKR_ATTRIBUTE_SENSITIVE), RV(CKR_ATTRIBUTE_TYPE_INVALID),
	RV(CKR_DATA_INVALID), RV(CKR_DATA_LEN_RANGE), RV(CKR_DEVICE_ERROR),
	RV(CKR_DEVICE_MEMORY), RV(CKR_DEVICE_REMOVED),
	RV(CKR_FUNCTION_CANCELED), RV(CKR_FUNCTION_NOT_SUPPORTED),
	RV(CKR_KEY_HANDLE_INVALID), RV(CKR_KEY_TYPE_INCONSISTENT),
	RV(CKR_KEY_FUNCTION_NOT_PERMITTED), RV(CKR_MECHANISM_INVALID),
	RV(CKR_MECHANISM_PARAM_INVALID), RV(CKR_OBJECT_HANDLE_INVALID),
	RV(CKR_OPERATION_ACTIVE), RV(CKR_OPERATION_NOT_INITIALIZED),
	RV(CKR_PIN_INCORRECT), RV(CKR_PIN_INVALID), RV(CKR_PIN_LEN_RANGE),
	RV(CKR_PIN_EXPIRED), RV(CKR_PIN_LOCKED), RV(CKR_SESSION_CLOSED),
	RV(CKR_SESSION_COUNT), RV(CKR_SESSION_HANDLE_INVALID),
	RV(CKR_TOKEN_NOT_PRESENT), RV(CKR_TOKEN_NOT_RECOGNIZED),
	RV(CKR_USER_ALREADY_LOGGED_IN), RV(CKR_USER_NOT_LOGGED_IN),
	RV(CKR_USER_PIN_NOT_INITIALIZED), RV(CKR_USER_TYPE_INVALID),
	RV(CKR_BUFFER_TOO_SMALL), RV(CKR_CRYPTOKI_NOT_INITIALIZED),
	RV(CKR_CRYPTOKI_ALREADY_INITIALIZED),
};

static const struct {
	CK_MECHANISM_TYPE	 m;
	const char		*name;
} mech_names[] = {
	RV(CKM_RSA_PKCS), RV(CKM_RSA_PKCS_PSS), RV(CKM_ECDSA),
	RV(CKM_SHA256_RSA_PKCS), RV(CKM_SHA384_RSA_PKCS),
	RV(CKM_SHA512_RSA_PKCS), RV(CKM_SHA224_RSA_PKCS),
	RV(CKM_SHA256_RSA_PKCS_PSS), RV(CKM_SHA384_RSA_PKCS_PSS),
	RV(CKM_SHA512_RSA_PKCS_PSS), RV(CKM_SHA224_RSA_PKCS_PSS),
	RV(CKM_ECDSA_SHA256), RV(CKM_ECDSA_SHA384), RV(CKM_ECDSA_SHA512),
	RV(CKM_ECDSA_SHA224),
};

const char *
sp11_rv_str(CK_RV rv)
{
	static char	buf[32];
	size_t		i;

	for (i = 0; i < sizeof(rv_names) / sizeof(rv_names[0]); i++)
		if (rv_names[i].rv == rv)
			return rv_names[i].name;
	snprintf(buf, sizeof(buf), "CKR 0x%08lx", (unsigned long)rv);
	return buf;
}

const char *
sp11_mech_str(CK_MECHANISM_TYPE m)
{
	static char	buf[32];
	size_t		i;

	for (i = 0; i < sizeof(mech_names) / sizeof(mech_names[0]); i++)
		if (mech_names[i].m == m)
			return mech_names[i].name;
	snprintf(buf, sizeof(buf), "CKM 0x%08lx", (unsigned long)m);
	return buf;
}
