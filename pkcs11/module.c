/*
 * pkcs11/module.c - the module as a whole: C_Initialize, C_Finalize,
 * C_GetInfo, the function list and the PKCS#11 3.0 interface calls.
 *
 * Fork safety: C_Initialize records getpid(); every call compares it, so
 * a child after fork() sees the module as not initialized.  A C_Initialize
 * in the child forgets the parent's state without touching it (no PC/SC
 * call on the parent's contexts or handles; its memory is left alone).
 */
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pkcs11/p11.h"
#include "reader/pcsc.h"

#define LIB_MANUFACTURER	"smartsign"
#define LIB_DESCRIPTION		"smartsign PIV PKCS#11 module"
#define LIB_VERSION_MAJOR	0
#define LIB_VERSION_MINOR	1
#define FINALIZE_POLL_NS	5000000L

struct p11_mod p11_m;

static pthread_mutex_t	init_mu = PTHREAD_MUTEX_INITIALIZER;
static struct ss_transport t_override;
static bool		t_overridden;

static CK_FUNCTION_LIST p11_functions;

static CK_CHAR iface_name[] = "PKCS 11";
static CK_INTERFACE ifaces[] = {
	{ iface_name, &p11_functions, 0 },
};

void
p11_set_transport(const struct ss_transport *t)
{
	pthread_mutex_lock(&init_mu);
	t_overridden = (t != NULL);
	if (t != NULL)
		t_override = *t;
	pthread_mutex_unlock(&init_mu);
}

CK_RV
p11_check_init(void)
{
	if (!atomic_load(&p11_m.init) || p11_m.pid != getpid())
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	return CKR_OK;
}

/* Blank-padded copy into a fixed-size PKCS#11 text field. */
void
p11_pad(CK_UTF8CHAR *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	memset(dst, ' ', cap);
	memcpy(dst, src, n < cap ? n : cap);
}

/* Remember the current events of the known readers: C_WaitForSlotEvent
 * reports changes from now on. */
static uint_fast64_t
mod_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;		/* no clock: refresh every time */
	return (uint_fast64_t)ts.tv_sec * 1000u +
	    (uint_fast64_t)ts.tv_nsec / 1000000u;
}

void
p11_refresh(bool force)
{
	uint_fast64_t now = mod_now_ms(), last;

	last = atomic_load(&p11_m.refreshed_ms);
	if (!force && now != 0 && last != 0 && now >= last &&
	    now - last < P11_REFRESH_MS)
		return;
	/* one thread refreshes for all when the interval ends */
	if (!force && !atomic_compare_exchange_strong(&p11_m.refreshed_ms,
	    &last, now))
		return;
	if (force)
		atomic_store(&p11_m.refreshed_ms, now);
	(void)ss_readers_refresh(p11_m.readers);
}

static void
mod_seen_events(void)
{
	struct ss_reader_info	info;
	struct p11_slot		*s;
	size_t			 i, n = ss_readers_count(p11_m.readers);

	for (i = 0; i < n; i++) {
		if ((s = p11_slot_get(i)) == NULL)
			continue;
		if (ss_readers_get(p11_m.readers, (unsigned)i, &info) ==
		    SS_ERR_OK)
			s->seen_events = info.events;
	}
}

static CK_RV
mod_init(const CK_C_INITIALIZE_ARGS *args)
{
	struct ss_transport	t;
	CK_RV			rv;

	memset(&p11_m, 0, sizeof(p11_m));
	if ((rv = p11_lock_setup(args)) != CKR_OK)
		return rv;
	if ((rv = p11_mutex_new(&p11_m.mu)) != CKR_OK)
		return rv;
	if (t_overridden)
		t = t_override;
	else
		ss_pcsc_transport(&t);
	p11_cancel_transport(&t, &p11_m.t);	/* C_Finalize cuts card I/O */
	if (ss_readers_new(&p11_m.readers, &p11_m.t) != SS_ERR_OK) {
		p11_mutex_free(&p11_m.mu);
		return CKR_HOST_MEMORY;
	}
	p11_m.next_sess = 1;
	p11_m.next_gen = 1;
	p11_m.pid = getpid();
	atomic_store(&p11_m.init, true);
	p11_refresh(true);
	mod_seen_events();
	return CKR_OK;
}

CK_RV
C_Initialize(CK_VOID_PTR pInitArgs)
{
	CK_RV rv;

	p11_log_open();
	p11_log_enter(__func__);
	pthread_mutex_lock(&init_mu);
	if (atomic_load(&p11_m.init) && p11_m.pid == getpid())
		rv = CKR_CRYPTOKI_ALREADY_INITIALIZED;
	else
		rv = mod_init(pInitArgs);
	pthread_mutex_unlock(&init_mu);
	return p11_log_rv(__func__, rv);
}

/* Wake a thread blocked in C_WaitForSlotEvent and wait until it left. */
static void
mod_stop_waiters(void)
{
	struct timespec ts = { 0, FINALIZE_POLL_NS };

	atomic_store(&p11_m.finalizing, true);
	(void)ss_readers_cancel(p11_m.readers);
	while (p11_event_waiters() > 0) {
		(void)ss_readers_cancel(p11_m.readers);
		(void)nanosleep(&ts, NULL);
	}
}

CK_RV
C_Finalize(CK_VOID_PTR pReserved)
{
	CK_RV rv = CKR_OK;

	p11_log_enter(__func__);
	if (pReserved != NULL)
		return p11_log_rv(__func__, CKR_ARGUMENTS_BAD);
	pthread_mutex_lock(&init_mu);
	if ((rv = p11_check_init()) == CKR_OK) {
		atomic_store(&p11_m.init, false);
		p11_cancel_others(true);	/* calls in flight: no more I/O */
		mod_stop_waiters();
		p11_slots_free();
		ss_readers_free(&p11_m.readers);
		p11_mutex_free(&p11_m.mu);
		memset(&p11_m, 0, sizeof(p11_m));
		p11_cancel_others(false);
	}
	pthread_mutex_unlock(&init_mu);
	(void)p11_log_rv(__func__, rv);
	if (rv == CKR_OK)
		p11_log_close();
	return rv;
}

CK_RV
C_GetInfo(CK_INFO_PTR pInfo)
{
	CK_RV rv;

	p11_log_enter(__func__);
	if ((rv = p11_check_init()) != CKR_OK)
		goto out;
	if (pInfo == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	memset(pInfo, 0, sizeof(*pInfo));
	pInfo->cryptokiVersion.major = CRYPTOKI_VERSION_MAJOR;
	pInfo->cryptokiVersion.minor = CRYPTOKI_VERSION_MINOR;
	p11_pad(pInfo->manufacturerID, sizeof(pInfo->manufacturerID),
	    LIB_MANUFACTURER);
	pInfo->flags = 0;
	p11_pad(pInfo->libraryDescription,
	    sizeof(pInfo->libraryDescription), LIB_DESCRIPTION);
	pInfo->libraryVersion.major = LIB_VERSION_MAJOR;
	pInfo->libraryVersion.minor = LIB_VERSION_MINOR;
out:
	return p11_log_rv(__func__, rv);
}

CK_RV
C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList)
{
	if (ppFunctionList == NULL)
		return CKR_ARGUMENTS_BAD;
	*ppFunctionList = &p11_functions;
	return CKR_OK;
}

CK_RV
C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList, CK_ULONG_PTR pulCount)
{
	CK_ULONG n = sizeof(ifaces) / sizeof(ifaces[0]);

	if (pulCount == NULL)
		return CKR_ARGUMENTS_BAD;
	if (pInterfacesList == NULL) {
		*pulCount = n;
		return CKR_OK;
	}
	if (*pulCount < n) {
		*pulCount = n;
		return CKR_BUFFER_TOO_SMALL;
	}
	memcpy(pInterfacesList, ifaces, sizeof(ifaces));
	*pulCount = n;
	return CKR_OK;
}

static bool
iface_matches(const CK_INTERFACE *i, const CK_UTF8CHAR *name,
    const CK_VERSION *v, CK_FLAGS flags)
{
	const CK_FUNCTION_LIST *fl = i->pFunctionList;

	if (name != NULL && strcmp((const char *)name,
	    (const char *)i->pInterfaceName) != 0)
		return false;
	if (v != NULL && (v->major != fl->version.major ||
	    v->minor != fl->version.minor))
		return false;
	return (flags & ~i->flags) == 0;
}

CK_RV
C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion,
    CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags)
{
	size_t i;

	if (ppInterface == NULL)
		return CKR_ARGUMENTS_BAD;
	for (i = 0; i < sizeof(ifaces) / sizeof(ifaces[0]); i++) {
		if (iface_matches(&ifaces[i], pInterfaceName, pVersion,
		    flags)) {
			*ppInterface = &ifaces[i];
			return CKR_OK;
		}
	}
	*ppInterface = NULL;
	return CKR_ARGUMENTS_BAD;
}

static CK_FUNCTION_LIST p11_functions = {
	{ CRYPTOKI_VERSION_MAJOR, CRYPTOKI_VERSION_MINOR },
	C_Initialize,
	C_Finalize,
	C_GetInfo,
	C_GetFunctionList,
	C_GetSlotList,
	C_GetSlotInfo,
	C_GetTokenInfo,
	C_GetMechanismList,
	C_GetMechanismInfo,
	C_InitToken,
	C_InitPIN,
	C_SetPIN,
	C_OpenSession,
	C_CloseSession,
	C_CloseAllSessions,
	C_GetSessionInfo,
	C_GetOperationState,
	C_SetOperationState,
	C_Login,
	C_Logout,
	C_CreateObject,
	C_CopyObject,
	C_DestroyObject,
	C_GetObjectSize,
	C_GetAttributeValue,
	C_SetAttributeValue,
	C_FindObjectsInit,
	C_FindObjects,
	C_FindObjectsFinal,
	C_EncryptInit,
	C_Encrypt,
	C_EncryptUpdate,
	C_EncryptFinal,
	C_DecryptInit,
	C_Decrypt,
	C_DecryptUpdate,
	C_DecryptFinal,
	C_DigestInit,
	C_Digest,
	C_DigestUpdate,
	C_DigestKey,
	C_DigestFinal,
	C_SignInit,
	C_Sign,
	C_SignUpdate,
	C_SignFinal,
	C_SignRecoverInit,
	C_SignRecover,
	C_VerifyInit,
	C_Verify,
	C_VerifyUpdate,
	C_VerifyFinal,
	C_VerifyRecoverInit,
	C_VerifyRecover,
	C_DigestEncryptUpdate,
	C_DecryptDigestUpdate,
	C_SignEncryptUpdate,
	C_DecryptVerifyUpdate,
	C_GenerateKey,
	C_GenerateKeyPair,
	C_WrapKey,
	C_UnwrapKey,
	C_DeriveKey,
	C_SeedRandom,
	C_GenerateRandom,
	C_GetFunctionStatus,
	C_CancelFunction,
	C_WaitForSlotEvent,
};
