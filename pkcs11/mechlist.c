/*
 * pkcs11/mechlist.c - C_GetMechanismList and C_GetMechanismInfo: the
 * signing mechanisms of mech.c (flags and key sizes are its answer) plus
 * the software digests of digest.c and the key-pair generation of
 * keygen.c.  The list does not depend on the card, so no I/O: a card in
 * the reader is enough.
 */
#include <string.h>

#include "pkcs11/mech.h"
#include "pkcs11/p11.h"

static const CK_MECHANISM_TYPE digests[] = {
	CKM_SHA_1, CKM_SHA224, CKM_SHA256, CKM_SHA384, CKM_SHA512,
};

#define MECH_MAX	64

static bool
mech_in(const CK_MECHANISM_TYPE *l, size_t n, CK_MECHANISM_TYPE t)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (l[i] == t)
			return true;
	return false;
}

static size_t
mech_all(CK_MECHANISM_TYPE *out, size_t cap)
{
	const CK_MECHANISM_TYPE	*l;
	size_t			 i, n = 0, k = 0;

	l = mech_list(&n);
	for (i = 0; l != NULL && i < n && k < cap; i++)
		if (!mech_in(out, k, l[i]))
			out[k++] = l[i];
	for (i = 0; i < sizeof(digests) / sizeof(digests[0]) && k < cap; i++)
		if (!mech_in(out, k, digests[i]))
			out[k++] = digests[i];
	l = p11_keygen_mechs(&n);
	for (i = 0; i < n && k < cap; i++)
		if (!mech_in(out, k, l[i]))
			out[k++] = l[i];
	return k;
}

/* Slot valid and a card in it (no binding needed). */
static CK_RV
mech_slot(CK_SLOT_ID id)
{
	struct ss_reader_info info;

	if (p11_slot_get(id) == NULL ||
	    ss_readers_get(p11_m.readers, (unsigned)id, &info) != SS_ERR_OK)
		return CKR_SLOT_ID_INVALID;
	if (!info.present || !info.card)
		return CKR_TOKEN_NOT_PRESENT;
	return CKR_OK;
}

CK_RV
C_GetMechanismList(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pMechanismList,
    CK_ULONG_PTR pulCount)
{
	CK_MECHANISM_TYPE	all[MECH_MAX];
	size_t			n;
	CK_RV			rv;

	p11_log_enter(__func__);
	if ((rv = p11_check_init()) != CKR_OK)
		goto out;
	if (pulCount == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = mech_slot(slotID)) != CKR_OK)
		goto out;
	n = mech_all(all, MECH_MAX);
	if (pMechanismList != NULL && *pulCount < n)
		rv = CKR_BUFFER_TOO_SMALL;
	else if (pMechanismList != NULL)
		memcpy(pMechanismList, all, n * sizeof(all[0]));
	*pulCount = n;
out:
	return p11_log_rv(__func__, rv);
}

CK_RV
C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type,
    CK_MECHANISM_INFO_PTR pInfo)
{
	CK_MECHANISM_TYPE	all[MECH_MAX];
	CK_RV			rv;

	p11_log_enter(__func__);
	if ((rv = p11_check_init()) != CKR_OK)
		goto out;
	if (pInfo == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = mech_slot(slotID)) != CKR_OK)
		goto out;
	if (!mech_in(all, mech_all(all, MECH_MAX), type))
		rv = CKR_MECHANISM_INVALID;
	else if (p11_keygen_mech_info(type, pInfo) == CKR_OK)
		rv = CKR_OK;
	else if (p11_digest_mech(type) &&
	    mech_info(type, pInfo) != CKR_OK) {
		memset(pInfo, 0, sizeof(*pInfo));
		pInfo->flags = CKF_DIGEST;
	} else
		rv = (CK_RV)mech_info(type, pInfo);
out:
	return p11_log_rv(__func__, rv);
}
