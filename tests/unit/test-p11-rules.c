/*
 * tests/unit/test-p11-rules.c - the PKCS#11 rules, checked against the
 * module's own objects (libssp11.a) and an emulated PIV card behind the
 * in-process transport (emu-transport.c): every C_* call with NULL
 * pointers, invalid handles, wrong session states, wrong lengths and bad
 * mechanism parameters gets the exact CKR_* the spec asks for; the PIN
 * rules are counted on the card (struct emu_counters: exactly one VERIFY
 * per C_Login and per 9C signature, none otherwise); the 9C signature is
 * atomic; reset, removal, fork and threads.
 */
#include <sys/wait.h>

#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/ecdsa.h>
#include <openssl/x509.h>

#include "pkcs11/p11.h"
#include "reader/wipe.h"
#include "token-emu/card.h"

#include "emu-transport.c"

#define PIN		"123456"
#define PIN_LEN		6
#define BAD_PIN		"654321"
#define BADH		((CK_ULONG)0x7fff0000UL)
#define NTHREADS	4
#define NSIGS		25

static const uint8_t	card_refs[] = { 0x9a, 0x9c, 0x9d, 0x9e };
static const uint8_t	card_algs[] = {
	PIV_ALG_RSA2048, PIV_ALG_ECCP256, PIV_ALG_RSA2048, PIV_ALG_ECCP384
};
static uint8_t		*card_blob;
static size_t		 card_blob_len;

struct fx {
	struct emu_tr		tr;
	struct emu_card		card;
	struct emu_card		card2;
	bool			card2_used;
	unsigned		rd;
	bool			init;
	CK_FUNCTION_LIST_PTR	f;
};

static struct fx *fx;

/* --- fixture ------------------------------------------------------------ */

static int
group_setup(void **state)
{
	(void)state;
	return emu_tr_card_blob(card_refs, card_algs, sizeof(card_refs),
	    &card_blob, &card_blob_len);
}

static int
group_teardown(void **state)
{
	(void)state;
	ss_free_secret(card_blob, card_blob_len);
	return 0;
}

static int
setup_noinit(void **state)
{
	struct ss_transport t;

	(void)state;
	if ((fx = calloc(1, sizeof(*fx))) == NULL)
		return -1;
	emu_tr_init(&fx->tr);
	if (emu_tr_card_parse(&fx->card, card_blob, card_blob_len) < 0)
		return -1;
	fx->rd = emu_tr_add_reader(&fx->tr, "Emu Reader 0");
	emu_tr_insert(&fx->tr, fx->rd, &fx->card);
	emu_tr_transport(&fx->tr, &t);
	p11_set_transport(&t);
	return C_GetFunctionList(&fx->f) == CKR_OK ? 0 : -1;
}

static int
setup(void **state)
{
	if (setup_noinit(state) < 0 || C_Initialize(NULL) != CKR_OK)
		return -1;
	fx->init = true;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	(void)C_Finalize(NULL);
	p11_set_transport(NULL);
	emu_tr_free(&fx->tr);
	emu_card_free(&fx->card);
	if (fx->card2_used)
		emu_card_free(&fx->card2);
	free(fx);
	fx = NULL;
	return 0;
}

/* --- helpers -------------------------------------------------------------- */

/* The reader list refresh interval (P11_REFRESH_MS) has passed: the next
 * session call looks at the readers again. */
static void
refresh_interval_passes(void)
{
	atomic_store(&p11_m.refreshed_ms, 0);
}

static uint64_t
verifies(void)
{
	return emu_tr_counters(&fx->tr, fx->rd).verify;
}

static uint64_t
apdus(void)
{
	return emu_tr_counters(&fx->tr, fx->rd).apdus;
}

static CK_SESSION_HANDLE
open_rw(void)
{
	CK_SESSION_HANDLE h = 0;

	assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &h), CKR_OK);
	return h;
}

static CK_SESSION_HANDLE
open_ro(void)
{
	CK_SESSION_HANDLE h = 0;

	assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h),
	    CKR_OK);
	return h;
}

static void
login(CK_SESSION_HANDLE h)
{
	assert_int_equal(C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, PIN_LEN),
	    CKR_OK);
}

/* The one object of class cls with CKA_ID id (0 if none). */
static CK_OBJECT_HANDLE
find1(CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls, uint8_t id)
{
	CK_ATTRIBUTE		t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, &id, 1 },
	};
	CK_OBJECT_HANDLE	o[4];
	CK_ULONG		n = 0;

	assert_int_equal(C_FindObjectsInit(h, t, 2), CKR_OK);
	assert_int_equal(C_FindObjects(h, o, 4, &n), CKR_OK);
	assert_int_equal(C_FindObjectsFinal(h), CKR_OK);
	assert_true(n <= 1);
	return n == 1 ? o[0] : 0;
}

static CK_ULONG
count_objects(CK_SESSION_HANDLE h, CK_ATTRIBUTE *t, CK_ULONG nt)
{
	CK_OBJECT_HANDLE	o[300];
	CK_ULONG		n = 0;

	assert_int_equal(C_FindObjectsInit(h, t, nt), CKR_OK);
	assert_int_equal(C_FindObjects(h, o, 300, &n), CKR_OK);
	assert_int_equal(C_FindObjectsFinal(h), CKR_OK);
	return n;
}

static CK_RV
sign_once(CK_SESSION_HANDLE h, CK_MECHANISM_TYPE m, CK_OBJECT_HANDLE k,
    uint8_t *sig, CK_ULONG *siglen)
{
	CK_MECHANISM	mech = { m, NULL, 0 };
	CK_BYTE		data[32];
	CK_RV		rv;

	memset(data, 0x5a, sizeof(data));
	if ((rv = C_SignInit(h, &mech, k)) != CKR_OK)
		return rv;
	return C_Sign(h, data, sizeof(data), sig, siglen);
}

/* --- initialization ---------------------------------------------------- */

static void
test_smoke(void **state)
{
	CK_SESSION_HANDLE	h;
	CK_OBJECT_HANDLE	k;
	uint8_t			sig[512];
	CK_ULONG		len = sizeof(sig);

	(void)state;
	h = open_ro();
	login(h);
	assert_int_equal(verifies(), 1);
	k = find1(h, CKO_PRIVATE_KEY, 1);
	assert_int_not_equal(k, 0);
	assert_int_equal(sign_once(h, CKM_SHA256_RSA_PKCS, k, sig, &len),
	    CKR_OK);
	assert_int_equal(len, 256);
	assert_int_equal(verifies(), 1);
}

/* Every call but the function-list ones, before C_Initialize. */
static void
test_not_initialized(void **state)
{
	CK_FUNCTION_LIST_PTR	f = fx->f;
	CK_SLOT_ID		slot;
	CK_ULONG		n = 0;
	const CK_RV		NI = CKR_CRYPTOKI_NOT_INITIALIZED;

	(void)state;
	assert_int_equal(f->C_Finalize(NULL), NI);
	assert_int_equal(f->C_GetInfo(NULL), NI);
	assert_int_equal(f->C_GetSlotList(CK_FALSE, NULL, &n), NI);
	assert_int_equal(f->C_GetSlotInfo(0, NULL), NI);
	assert_int_equal(f->C_GetTokenInfo(0, NULL), NI);
	assert_int_equal(f->C_GetMechanismList(0, NULL, &n), NI);
	assert_int_equal(f->C_GetMechanismInfo(0, CKM_RSA_PKCS, NULL), NI);
	assert_int_equal(f->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL,
	    NULL), NI);
	assert_int_equal(f->C_CloseSession(1), NI);
	assert_int_equal(f->C_CloseAllSessions(0), NI);
	assert_int_equal(f->C_GetSessionInfo(1, NULL), NI);
	assert_int_equal(f->C_Login(1, CKU_USER, NULL, 0), NI);
	assert_int_equal(f->C_Logout(1), NI);
	assert_int_equal(f->C_GetAttributeValue(1, 1, NULL, 0), NI);
	assert_int_equal(f->C_SetAttributeValue(1, 1, NULL, 0), NI);
	assert_int_equal(f->C_FindObjectsInit(1, NULL, 0), NI);
	assert_int_equal(f->C_FindObjects(1, NULL, 0, NULL), NI);
	assert_int_equal(f->C_FindObjectsFinal(1), NI);
	assert_int_equal(f->C_DigestInit(1, NULL), NI);
	assert_int_equal(f->C_Digest(1, NULL, 0, NULL, NULL), NI);
	assert_int_equal(f->C_DigestUpdate(1, NULL, 0), NI);
	assert_int_equal(f->C_DigestFinal(1, NULL, NULL), NI);
	assert_int_equal(f->C_SignInit(1, NULL, 1), NI);
	assert_int_equal(f->C_Sign(1, NULL, 0, NULL, NULL), NI);
	assert_int_equal(f->C_SignUpdate(1, NULL, 0), NI);
	assert_int_equal(f->C_SignFinal(1, NULL, NULL), NI);
	assert_int_equal(f->C_VerifyInit(1, NULL, 1), NI);
	assert_int_equal(f->C_Verify(1, NULL, 0, NULL, 0), NI);
	assert_int_equal(f->C_VerifyUpdate(1, NULL, 0), NI);
	assert_int_equal(f->C_VerifyFinal(1, NULL, 0), NI);
	assert_int_equal(f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL),
	    NI);
	assert_int_equal(f->C_GetObjectSize(1, 1, &n), NI);
	assert_int_equal(f->C_CopyObject(1, 1, NULL, 0, NULL), NI);
	assert_int_equal(f->C_GetFunctionStatus(1), NI);
	assert_int_equal(f->C_CancelFunction(1), NI);
	assert_int_equal(apdus(), 0);
}

static CK_ULONG mtx_created, mtx_locked, mtx_unlocked, mtx_destroyed;

static CK_RV
app_create(void **m)
{
	*m = malloc(sizeof(pthread_mutex_t));
	if (*m == NULL)
		return CKR_HOST_MEMORY;
	pthread_mutex_init(*m, NULL);
	__atomic_add_fetch(&mtx_created, 1, __ATOMIC_SEQ_CST);
	return CKR_OK;
}

static CK_RV
app_destroy(void *m)
{
	pthread_mutex_destroy(m);
	free(m);
	__atomic_add_fetch(&mtx_destroyed, 1, __ATOMIC_SEQ_CST);
	return CKR_OK;
}

static CK_RV
app_lock(void *m)
{
	pthread_mutex_lock(m);
	__atomic_add_fetch(&mtx_locked, 1, __ATOMIC_SEQ_CST);
	return CKR_OK;
}

static CK_RV
app_unlock(void *m)
{
	__atomic_add_fetch(&mtx_unlocked, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(m);
	return CKR_OK;
}

static void
test_initialize_args(void **state)
{
	CK_C_INITIALIZE_ARGS	a;
	int			dummy;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.pReserved = &dummy;
	assert_int_equal(C_Initialize(&a), CKR_ARGUMENTS_BAD);
	memset(&a, 0, sizeof(a));
	a.CreateMutex = app_create;
	assert_int_equal(C_Initialize(&a), CKR_ARGUMENTS_BAD);
	a.DestroyMutex = app_destroy;
	a.LockMutex = app_lock;
	assert_int_equal(C_Initialize(&a), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_GetInfo(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
	/* OS locking only */
	memset(&a, 0, sizeof(a));
	a.flags = CKF_OS_LOCKING_OK;
	assert_int_equal(C_Initialize(&a), CKR_OK);
	assert_int_equal(C_Initialize(&a), CKR_CRYPTOKI_ALREADY_INITIALIZED);
	assert_int_equal(C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED);
	assert_int_equal(C_Finalize(&dummy), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
	assert_int_equal(C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
	/* the application's mutexes are used */
	a.CreateMutex = app_create;
	a.DestroyMutex = app_destroy;
	a.LockMutex = app_lock;
	a.UnlockMutex = app_unlock;
	a.flags = 0;
	mtx_created = mtx_locked = mtx_unlocked = mtx_destroyed = 0;
	assert_int_equal(C_Initialize(&a), CKR_OK);
	open_ro();
	assert_true(mtx_created >= 2);
	assert_true(mtx_locked > 0);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
	assert_int_equal(mtx_created, mtx_destroyed);
	assert_int_equal(mtx_locked, mtx_unlocked);
}

static void
test_function_list(void **state)
{
	CK_FUNCTION_LIST_PTR	f = NULL;
	CK_INTERFACE		ifs[2];
	CK_INTERFACE_PTR	ip = NULL;
	CK_VERSION		v240 = { 2, 40 }, v30 = { 3, 0 };
	CK_ULONG		n = 0;
	void			(**fp)(void);
	size_t			i, nf;

	(void)state;
	assert_int_equal(C_GetFunctionList(NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_GetFunctionList(&f), CKR_OK);
	assert_int_equal(f->version.major, 2);
	assert_int_equal(f->version.minor, 40);
	nf = (sizeof(*f) - sizeof(f->version)) / sizeof(void (*)(void));
	fp = (void (**)(void))((char *)f + offsetof(CK_FUNCTION_LIST,
	    C_Initialize));
	for (i = 0; i < nf; i++)
		assert_non_null(fp[i]);
	assert_int_equal(C_GetInterfaceList(NULL, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_GetInterfaceList(NULL, &n), CKR_OK);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(C_GetInterfaceList(ifs, &n), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(n, 1);
	n = 2;
	assert_int_equal(C_GetInterfaceList(ifs, &n), CKR_OK);
	assert_int_equal(n, 1);
	assert_string_equal((char *)ifs[0].pInterfaceName, "PKCS 11");
	assert_ptr_equal(ifs[0].pFunctionList, f);
	assert_int_equal(ifs[0].flags, 0);
	assert_int_equal(C_GetInterface(NULL, NULL, NULL, 0),
	    CKR_ARGUMENTS_BAD);
	assert_int_equal(C_GetInterface(NULL, NULL, &ip, 0), CKR_OK);
	assert_ptr_equal(ip->pFunctionList, f);
	assert_int_equal(C_GetInterface((CK_UTF8CHAR_PTR)"PKCS 11", &v240,
	    &ip, 0), CKR_OK);
	assert_int_equal(C_GetInterface((CK_UTF8CHAR_PTR)"PKCS 11", &v30,
	    &ip, 0), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_GetInterface((CK_UTF8CHAR_PTR)"Vendor", NULL,
	    &ip, 0), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_GetInterface(NULL, NULL, &ip, 1),
	    CKR_ARGUMENTS_BAD);
}

static void
test_info(void **state)
{
	CK_INFO i;

	(void)state;
	assert_int_equal(C_GetInfo(NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_GetInfo(&i), CKR_OK);
	assert_int_equal(i.cryptokiVersion.major, 2);
	assert_int_equal(i.cryptokiVersion.minor, 40);
	assert_int_equal(i.flags, 0);
	assert_memory_equal(i.manufacturerID, "smartsign ", 10);
	assert_int_equal(i.manufacturerID[31], ' ');
}

/* --- slots and token ----------------------------------------------------- */

static void
test_slots(void **state)
{
	CK_SLOT_ID	ids[8];
	CK_SLOT_INFO	si;
	CK_ULONG	n = 0;
	unsigned	r2;

	(void)state;
	assert_int_equal(C_GetSlotList(CK_FALSE, NULL, NULL),
	    CKR_ARGUMENTS_BAD);
	assert_int_equal(C_GetSlotList(CK_FALSE, NULL, &n), CKR_OK);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(C_GetSlotList(CK_FALSE, ids, &n),
	    CKR_BUFFER_TOO_SMALL);
	assert_int_equal(n, 1);
	assert_int_equal(C_GetSlotList(CK_TRUE, ids, &n), CKR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], 0);
	assert_int_equal(C_GetSlotInfo(0, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_GetSlotInfo(1, &si), CKR_SLOT_ID_INVALID);
	assert_int_equal(C_GetSlotInfo(BADH, &si), CKR_SLOT_ID_INVALID);
	assert_int_equal(C_GetSlotInfo(0, &si), CKR_OK);
	assert_int_equal(si.flags, CKF_REMOVABLE_DEVICE | CKF_HW_SLOT |
	    CKF_TOKEN_PRESENT);
	assert_memory_equal(si.slotDescription, "Emu Reader 0 ", 13);
	/* a new reader appears without restarting, empty */
	r2 = emu_tr_add_reader(&fx->tr, "Emu Reader 1");
	n = 8;
	assert_int_equal(C_GetSlotList(CK_FALSE, ids, &n), CKR_OK);
	assert_int_equal(n, 2);
	n = 8;
	assert_int_equal(C_GetSlotList(CK_TRUE, ids, &n), CKR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(C_GetSlotInfo(1, &si), CKR_OK);
	assert_int_equal(si.flags, CKF_REMOVABLE_DEVICE | CKF_HW_SLOT);
	/* a vanished reader keeps its slot, with no token */
	emu_tr_unplug(&fx->tr, fx->rd);
	n = 8;
	assert_int_equal(C_GetSlotList(CK_FALSE, ids, &n), CKR_OK);
	assert_int_equal(n, 2);
	n = 8;
	assert_int_equal(C_GetSlotList(CK_TRUE, ids, &n), CKR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(C_GetSlotInfo(0, &si), CKR_OK);
	assert_int_equal(si.flags & CKF_TOKEN_PRESENT, 0);
	/* it comes back with the same slot ID */
	emu_tr_add_reader(&fx->tr, "Emu Reader 0");
	emu_tr_insert(&fx->tr, fx->rd, &fx->card);
	n = 8;
	assert_int_equal(C_GetSlotList(CK_TRUE, ids, &n), CKR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], 0);
	(void)r2;
}

static void
test_token_info(void **state)
{
	CK_TOKEN_INFO		ti;
	CK_SESSION_HANDLE	h;
	uint64_t		a0;

	(void)state;
	assert_int_equal(C_GetTokenInfo(0, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_GetTokenInfo(7, &ti), CKR_SLOT_ID_INVALID);
	assert_int_equal(C_GetTokenInfo(0, &ti), CKR_OK);
	assert_int_equal(ti.flags & (CKF_LOGIN_REQUIRED |
	    CKF_USER_PIN_INITIALIZED | CKF_TOKEN_INITIALIZED),
	    CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED |
	    CKF_TOKEN_INITIALIZED);
	assert_int_equal(ti.flags & (CKF_USER_PIN_COUNT_LOW |
	    CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED |
	    CKF_PROTECTED_AUTHENTICATION_PATH | CKF_RNG), 0);
	assert_int_equal(ti.ulMinPinLen, 6);
	assert_int_equal(ti.ulMaxPinLen, 8);
	assert_int_equal(ti.ulSessionCount, 0);
	assert_int_equal(ti.ulTotalPublicMemory, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(ti.ulFreePrivateMemory, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(verifies(), 0);
	/* cached: no more APDUs */
	a0 = apdus();
	assert_int_equal(C_GetTokenInfo(0, &ti), CKR_OK);
	assert_int_equal(apdus(), a0);
	h = open_ro();
	open_rw();
	assert_int_equal(C_GetTokenInfo(0, &ti), CKR_OK);
	assert_int_equal(ti.ulSessionCount, 2);
	assert_int_equal(ti.ulRwSessionCount, 1);
	/* a wrong PIN: count low; two: final try; three: locked */
	assert_int_equal(C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)BAD_PIN, 6),
	    CKR_PIN_INCORRECT);
	assert_int_equal(C_GetTokenInfo(0, &ti), CKR_OK);
	assert_int_equal(ti.flags & (CKF_USER_PIN_COUNT_LOW |
	    CKF_USER_PIN_FINAL_TRY), CKF_USER_PIN_COUNT_LOW);
	assert_int_equal(C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)BAD_PIN, 6),
	    CKR_PIN_INCORRECT);
	assert_int_equal(C_GetTokenInfo(0, &ti), CKR_OK);
	assert_true(ti.flags & CKF_USER_PIN_FINAL_TRY);
	assert_int_not_equal(C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)BAD_PIN,
	    6), CKR_OK);
	assert_int_equal(C_GetTokenInfo(0, &ti), CKR_OK);
	assert_true(ti.flags & CKF_USER_PIN_LOCKED);
	assert_int_equal(verifies(), 3);
	assert_int_equal(C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, PIN_LEN),
	    CKR_PIN_LOCKED);
	assert_int_equal(verifies(), 4);
	/* no card: token not present */
	emu_tr_remove(&fx->tr, fx->rd);
	assert_int_equal(C_GetTokenInfo(0, &ti), CKR_TOKEN_NOT_PRESENT);
}

static void
test_pinpad(void **state)
{
	CK_TOKEN_INFO		ti;
	CK_SESSION_HANDLE	h;

	(void)state;
	emu_tr_set_pinpad(&fx->tr, fx->rd, PIN);
	emu_tr_insert(&fx->tr, fx->rd, &fx->card);
	assert_int_equal(C_GetTokenInfo(0, &ti), CKR_OK);
	assert_true(ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH);
	h = open_ro();
	assert_int_equal(C_Login(h, CKU_USER, NULL, 0), CKR_OK);
	assert_int_equal(verifies(), 1);
	assert_int_not_equal(find1(h, CKO_PRIVATE_KEY, 1), 0);
	/* a wrong PIN typed on the pad */
	assert_int_equal(C_Logout(h), CKR_OK);
	emu_tr_set_pinpad(&fx->tr, fx->rd, BAD_PIN);
	assert_int_equal(C_Login(h, CKU_USER, NULL, 0), CKR_PIN_INCORRECT);
	assert_int_equal(verifies(), 2);
}

/* --- sessions -------------------------------------------------------------- */

static void
test_sessions(void **state)
{
	CK_SESSION_HANDLE	ro, rw, h = 0;
	CK_SESSION_INFO		si;

	(void)state;
	assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL,
	    NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_OpenSession(0, 0, NULL, NULL, &h),
	    CKR_SESSION_PARALLEL_NOT_SUPPORTED);
	assert_int_equal(C_OpenSession(CKF_RW_SESSION, CKF_RW_SESSION, NULL,
	    NULL, &h), CKR_SLOT_ID_INVALID);
	assert_int_equal(C_OpenSession(5, CKF_SERIAL_SESSION, NULL, NULL, &h),
	    CKR_SLOT_ID_INVALID);
	ro = open_ro();
	rw = open_rw();
	assert_int_not_equal(ro, rw);
	assert_int_equal(C_GetSessionInfo(ro, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_GetSessionInfo(BADH, &si),
	    CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(C_GetSessionInfo(0, &si),
	    CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(C_GetSessionInfo(ro, &si), CKR_OK);
	assert_int_equal(si.state, CKS_RO_PUBLIC_SESSION);
	assert_int_equal(si.flags, CKF_SERIAL_SESSION);
	assert_int_equal(si.slotID, 0);
	assert_int_equal(C_GetSessionInfo(rw, &si), CKR_OK);
	assert_int_equal(si.state, CKS_RW_PUBLIC_SESSION);
	/* SO login with a read-only session open */
	assert_int_equal(C_Login(rw, CKU_SO, (CK_UTF8CHAR_PTR)PIN, PIN_LEN),
	    CKR_SESSION_READ_ONLY_EXISTS);
	login(ro);
	assert_int_equal(C_GetSessionInfo(ro, &si), CKR_OK);
	assert_int_equal(si.state, CKS_RO_USER_FUNCTIONS);
	assert_int_equal(C_GetSessionInfo(rw, &si), CKR_OK);
	assert_int_equal(si.state, CKS_RW_USER_FUNCTIONS);
	assert_int_equal(C_CloseSession(ro), CKR_OK);
	assert_int_equal(C_CloseSession(ro), CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(C_Login(rw, CKU_SO, (CK_UTF8CHAR_PTR)PIN, PIN_LEN),
	    CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
	assert_int_equal(C_GetSessionInfo(rw, &si), CKR_OK);
	assert_int_equal(si.state, CKS_RW_USER_FUNCTIONS);
	/* the last session closed: logged out */
	assert_int_equal(C_CloseAllSessions(9), CKR_SLOT_ID_INVALID);
	assert_int_equal(C_CloseAllSessions(0), CKR_OK);
	assert_int_equal(C_GetSessionInfo(rw, &si),
	    CKR_SESSION_HANDLE_INVALID);
	rw = open_rw();
	assert_int_equal(C_GetSessionInfo(rw, &si), CKR_OK);
	assert_int_equal(si.state, CKS_RW_PUBLIC_SESSION);
	/* 6 to 8 characters: the SO with the PUK (login_so.c), no APDU */
	assert_int_equal(C_Login(rw, CKU_SO, (CK_UTF8CHAR_PTR)PIN, PIN_LEN),
	    CKR_OK);
	assert_int_equal(C_GetSessionInfo(rw, &si), CKR_OK);
	assert_int_equal(si.state, CKS_RW_SO_FUNCTIONS);
	assert_int_equal(C_Logout(rw), CKR_OK);
	assert_int_equal(verifies(), 1);
}

/* --- login ------------------------------------------------------------------ */

static void
test_login(void **state)
{
	CK_SESSION_HANDLE	h;
	uint64_t		v;

	(void)state;
	h = open_ro();
	assert_int_equal(C_Login(BADH, CKU_USER, (CK_UTF8CHAR_PTR)PIN,
	    PIN_LEN), CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(C_Login(h, CKU_USER, NULL, 0), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_Login(h, 7, (CK_UTF8CHAR_PTR)PIN, PIN_LEN),
	    CKR_USER_TYPE_INVALID);
	assert_int_equal(C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"12345", 5),
	    CKR_PIN_LEN_RANGE);
	assert_int_equal(C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"123456789",
	    9), CKR_PIN_LEN_RANGE);
	assert_int_equal(C_Login(h, CKU_CONTEXT_SPECIFIC,
	    (CK_UTF8CHAR_PTR)PIN, PIN_LEN), CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(C_Logout(h), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(verifies(), 0);
	/* a wrong PIN: one VERIFY, no retry */
	assert_int_equal(C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)BAD_PIN, 6),
	    CKR_PIN_INCORRECT);
	assert_int_equal(verifies(), 1);
	assert_int_equal(emu_tr_counters(&fx->tr, fx->rd).verify_fail, 1);
	login(h);
	assert_int_equal(verifies(), 2);
	v = verifies();
	assert_int_equal(C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, PIN_LEN),
	    CKR_USER_ALREADY_LOGGED_IN);
	assert_int_equal(verifies(), v);
	assert_int_equal(C_Logout(h), CKR_OK);
	assert_int_equal(C_Logout(h), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(find1(h, CKO_PRIVATE_KEY, 1), 0);
	assert_int_equal(verifies(), v);
}

static void
test_pin_locked(void **state)
{
	CK_SESSION_HANDLE h;

	(void)state;
	h = open_ro();
	assert_int_equal(C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)BAD_PIN, 6),
	    CKR_PIN_INCORRECT);
	assert_int_equal(C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)BAD_PIN, 6),
	    CKR_PIN_INCORRECT);
	assert_int_equal(C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)BAD_PIN, 6),
	    CKR_PIN_LOCKED);
	assert_int_equal(C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, PIN_LEN),
	    CKR_PIN_LOCKED);
	assert_int_equal(verifies(), 4);
}

/* --- objects ---------------------------------------------------------------- */

static void
test_find(void **state)
{
	CK_SESSION_HANDLE	h;
	CK_OBJECT_HANDLE	o[4];
	CK_OBJECT_CLASS		cls = CKO_CERTIFICATE, dcls = CKO_DATA;
	CK_ATTRIBUTE		t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_ATTRIBUTE		td = { CKA_CLASS, &dcls, sizeof(dcls) };
	CK_ATTRIBUTE		tnull = { CKA_LABEL, NULL, 3 };
	CK_ULONG		n = 0;
	uint64_t		gd;

	(void)state;
	h = open_ro();
	assert_int_equal(C_FindObjectsInit(BADH, NULL, 0),
	    CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(C_FindObjectsInit(h, NULL, 1), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_FindObjectsInit(h, &tnull, 1), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_FindObjects(h, o, 4, &n),
	    CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(C_FindObjectsFinal(h),
	    CKR_OPERATION_NOT_INITIALIZED);
	/* lazy: CKA_ID reads only that reference's certificate */
	gd = emu_tr_counters(&fx->tr, fx->rd).by_ins[0xcb];
	assert_int_not_equal(find1(h, CKO_CERTIFICATE, 2), 0);
	assert_int_equal(emu_tr_counters(&fx->tr, fx->rd).by_ins[0xcb] - gd,
	    1);
	/* a class no reference has: nothing read */
	gd = apdus();
	assert_int_equal(count_objects(h, &td, 1), 0);
	assert_int_equal(apdus(), gd);
	/* all: 4 certificates + 4 public keys before login, and the
	 * 9E private key (PIN policy "never") */
	assert_int_equal(count_objects(h, NULL, 0), 9);
	assert_int_equal(count_objects(h, &t, 1), 4);
	/* each certificate read once per process */
	gd = apdus();
	assert_int_equal(count_objects(h, NULL, 0), 9);
	assert_int_equal(apdus(), gd);
	login(h);
	assert_int_equal(count_objects(h, NULL, 0), 12);
	/* the two-step search, and OPERATION_ACTIVE */
	assert_int_equal(C_FindObjectsInit(h, NULL, 0), CKR_OK);
	assert_int_equal(C_FindObjectsInit(h, NULL, 0), CKR_OPERATION_ACTIVE);
	assert_int_equal(C_FindObjects(h, NULL, 4, &n), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_FindObjects(h, o, 4, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_FindObjects(h, o, 4, &n), CKR_OK);
	assert_int_equal(n, 4);
	assert_int_equal(C_FindObjects(h, o, 4, &n), CKR_OK);
	assert_int_equal(n, 4);
	assert_int_equal(C_FindObjects(h, o, 4, &n), CKR_OK);
	assert_int_equal(n, 4);
	assert_int_equal(C_FindObjects(h, o, 4, &n), CKR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(C_FindObjectsFinal(h), CKR_OK);
}

static void
test_attributes(void **state)
{
	CK_SESSION_HANDLE	h;
	CK_OBJECT_HANDLE	cert, pub, priv;
	CK_OBJECT_CLASS		cls = 0;
	CK_BBOOL		b = 0;
	CK_BYTE			buf[4096], small[4], label[64];
	CK_ULONG		bits = 0;
	CK_ATTRIBUTE		t[4];
	const unsigned char	*p;
	X509			*x;

	(void)state;
	h = open_ro();
	cert = find1(h, CKO_CERTIFICATE, 1);
	pub = find1(h, CKO_PUBLIC_KEY, 1);
	assert_int_not_equal(cert, 0);
	assert_int_not_equal(pub, 0);
	assert_int_equal(C_GetAttributeValue(h, BADH, t, 0),
	    CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(C_GetAttributeValue(h, 0, t, 0),
	    CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(C_GetAttributeValue(h, cert, NULL, 1),
	    CKR_ARGUMENTS_BAD);
	assert_int_equal(C_GetAttributeValue(BADH, cert, t, 0),
	    CKR_SESSION_HANDLE_INVALID);
	/* size query, then exact */
	t[0].type = CKA_VALUE;
	t[0].pValue = NULL;
	t[0].ulValueLen = 0;
	assert_int_equal(C_GetAttributeValue(h, cert, t, 1), CKR_OK);
	assert_true(t[0].ulValueLen > 100 && t[0].ulValueLen < sizeof(buf));
	t[0].pValue = buf;
	assert_int_equal(C_GetAttributeValue(h, cert, t, 1), CKR_OK);
	p = buf;
	assert_non_null(x = d2i_X509(NULL, &p, (long)t[0].ulValueLen));
	X509_free(x);
	/* too small: UNAVAILABLE for it, the others still processed */
	t[0].type = CKA_VALUE;
	t[0].pValue = small;
	t[0].ulValueLen = sizeof(small);
	t[1].type = CKA_CLASS;
	t[1].pValue = &cls;
	t[1].ulValueLen = sizeof(cls);
	t[2].type = CKA_MODULUS_BITS;	/* not a certificate attribute */
	t[2].pValue = &bits;
	t[2].ulValueLen = sizeof(bits);
	t[3].type = CKA_LABEL;
	t[3].pValue = label;
	t[3].ulValueLen = sizeof(label);
	assert_int_equal(C_GetAttributeValue(h, cert, t, 2),
	    CKR_BUFFER_TOO_SMALL);
	assert_int_equal(t[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(cls, CKO_CERTIFICATE);
	t[0].ulValueLen = sizeof(small);
	assert_int_equal(C_GetAttributeValue(h, cert, t, 4),
	    CKR_ATTRIBUTE_TYPE_INVALID);
	assert_int_equal(t[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(t[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_true(t[3].ulValueLen > 0 && t[3].ulValueLen < sizeof(label));
	/* public key */
	t[0].type = CKA_MODULUS_BITS;
	t[0].pValue = &bits;
	t[0].ulValueLen = sizeof(bits);
	t[1].type = CKA_PRIVATE;
	t[1].pValue = &b;
	t[1].ulValueLen = sizeof(b);
	assert_int_equal(C_GetAttributeValue(h, pub, t, 2), CKR_OK);
	assert_int_equal(bits, 2048);
	assert_int_equal(b, CK_FALSE);
	/* the private key only after login */
	priv = find1(h, CKO_PRIVATE_KEY, 1);
	assert_int_equal(priv, 0);
	login(h);
	priv = find1(h, CKO_PRIVATE_KEY, 1);
	assert_int_not_equal(priv, 0);
	t[0].type = CKA_PRIVATE_EXPONENT;
	t[0].pValue = buf;
	t[0].ulValueLen = sizeof(buf);
	t[1].type = CKA_SENSITIVE;
	t[1].pValue = &b;
	t[1].ulValueLen = sizeof(b);
	t[2].type = CKA_MODULUS;
	t[2].pValue = NULL;
	t[2].ulValueLen = 0;
	t[3].type = CKA_VALUE_LEN;	/* invalid for RSA private keys */
	t[3].pValue = &bits;
	t[3].ulValueLen = sizeof(bits);
	assert_int_equal(C_GetAttributeValue(h, priv, t, 3),
	    CKR_ATTRIBUTE_SENSITIVE);
	assert_int_equal(t[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(b, CK_TRUE);
	assert_int_equal(t[2].ulValueLen, 256);
	/* precedence: sensitive before type invalid */
	t[0].ulValueLen = sizeof(buf);
	assert_int_equal(C_GetAttributeValue(h, priv, t, 4),
	    CKR_ATTRIBUTE_SENSITIVE);
	assert_int_equal(t[3].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(C_Logout(h), CKR_OK);
	assert_int_equal(C_GetAttributeValue(h, priv, t, 1),
	    CKR_OBJECT_HANDLE_INVALID);
	/* unmodifiable objects (create.c): the same value is no change, a
	 * new one is refused; management needs an R/W session */
	t[3].type = CKA_LABEL;
	t[3].pValue = label;
	t[3].ulValueLen = sizeof(label);
	assert_int_equal(C_GetAttributeValue(h, cert, &t[3], 1), CKR_OK);
	assert_int_equal(C_SetAttributeValue(h, cert, &t[3], 1), CKR_OK);
	t[3].ulValueLen--;
	assert_int_equal(C_SetAttributeValue(h, cert, &t[3], 1),
	    CKR_ACTION_PROHIBITED);
	assert_int_equal(C_SetAttributeValue(h, cert, t, 1),
	    CKR_ATTRIBUTE_TYPE_INVALID);
	assert_int_equal(C_DestroyObject(h, cert), CKR_SESSION_READ_ONLY);
	assert_int_equal(C_DestroyObject(h, pub), CKR_ACTION_PROHIBITED);
	assert_int_equal(C_DestroyObject(h, BADH), CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(C_CreateObject(h, t, 1, &priv),
	    CKR_SESSION_READ_ONLY);
}

static void
test_ec_attributes(void **state)
{
	CK_SESSION_HANDLE	h;
	CK_OBJECT_HANDLE	pub;
	CK_BYTE			params[32], point[128];
	CK_KEY_TYPE		kt = 0;
	CK_ATTRIBUTE		t[3] = {
		{ CKA_EC_PARAMS, params, sizeof(params) },
		{ CKA_EC_POINT, point, sizeof(point) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
	};
	static const CK_BYTE	p256[] = {
		0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07
	};

	(void)state;
	h = open_ro();
	pub = find1(h, CKO_PUBLIC_KEY, 2);
	assert_int_not_equal(pub, 0);
	assert_int_equal(C_GetAttributeValue(h, pub, t, 3), CKR_OK);
	assert_int_equal(kt, CKK_EC);
	assert_int_equal(t[0].ulValueLen, sizeof(p256));
	assert_memory_equal(params, p256, sizeof(p256));
	assert_int_equal(t[1].ulValueLen, 2 + 65);
	assert_int_equal(point[0], 0x04);
	assert_int_equal(point[1], 65);
	assert_int_equal(point[2], 0x04);
}

/* --- signing ----------------------------------------------------------------- */

static void
test_sign_rules(void **state)
{
	CK_SESSION_HANDLE	h;
	CK_OBJECT_HANDLE	priv, pub, cert, ecpriv;
	CK_MECHANISM		m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_MECHANISM		raw = { CKM_RSA_X_509, NULL, 0 };
	CK_MECHANISM		ec = { CKM_ECDSA, NULL, 0 };
	CK_RSA_PKCS_PSS_PARAMS	pss = { CKM_SHA256, CKG_MGF1_SHA256, 32 };
	CK_MECHANISM		mpss = { CKM_SHA256_RSA_PKCS_PSS, &pss,
				    sizeof(pss) };
	CK_BYTE			data[300], sig[512];
	CK_ULONG		len;
	uint64_t		ops;

	(void)state;
	memset(data, 0x11, sizeof(data));
	h = open_ro();
	pub = find1(h, CKO_PUBLIC_KEY, 1);
	cert = find1(h, CKO_CERTIFICATE, 1);
	assert_int_equal(C_SignInit(h, &m, pub),
	    CKR_KEY_FUNCTION_NOT_PERMITTED);
	login(h);
	priv = find1(h, CKO_PRIVATE_KEY, 1);
	ecpriv = find1(h, CKO_PRIVATE_KEY, 4);
	assert_int_equal(C_SignInit(BADH, &m, priv),
	    CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(C_SignInit(h, NULL, priv), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_SignInit(h, &m, BADH), CKR_KEY_HANDLE_INVALID);
	assert_int_equal(C_SignInit(h, &m, cert), CKR_KEY_HANDLE_INVALID);
	assert_int_equal(C_SignInit(h, &ec, priv), CKR_KEY_TYPE_INCONSISTENT);
	assert_int_equal(C_SignInit(h, &m, ecpriv),
	    CKR_KEY_TYPE_INCONSISTENT);
	m.mechanism = CKM_MD5_RSA_PKCS;
	assert_int_equal(C_SignInit(h, &m, priv), CKR_MECHANISM_INVALID);
	m.mechanism = CKM_SHA256_RSA_PKCS;
	pss.hashAlg = CKM_SHA384;
	assert_int_equal(C_SignInit(h, &mpss, priv),
	    CKR_MECHANISM_PARAM_INVALID);
	pss.hashAlg = CKM_SHA256;
	mpss.ulParameterLen = 3;
	assert_int_equal(C_SignInit(h, &mpss, priv),
	    CKR_MECHANISM_PARAM_INVALID);
	len = sizeof(sig);
	assert_int_equal(C_Sign(h, data, 32, sig, &len),
	    CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(C_SignFinal(h, sig, &len),
	    CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(C_SignUpdate(h, data, 3),
	    CKR_OPERATION_NOT_INITIALIZED);
	/* the two-call convention, with exact sizes */
	ops = emu_tr_counters(&fx->tr, fx->rd).keyops;
	assert_int_equal(C_SignInit(h, &m, priv), CKR_OK);
	assert_int_equal(C_SignInit(h, &m, priv), CKR_OPERATION_ACTIVE);
	assert_int_equal(C_Sign(h, data, 32, sig, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_Sign(h, data, 32, sig, &len),
	    CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(C_SignInit(h, &m, priv), CKR_OK);
	len = 0;
	assert_int_equal(C_Sign(h, data, 32, NULL, &len), CKR_OK);
	assert_int_equal(len, 256);
	len = 255;
	assert_int_equal(C_Sign(h, data, 32, sig, &len),
	    CKR_BUFFER_TOO_SMALL);
	assert_int_equal(len, 256);
	assert_int_equal(emu_tr_counters(&fx->tr, fx->rd).keyops, ops);
	len = sizeof(sig);
	assert_int_equal(C_Sign(h, data, 32, sig, &len), CKR_OK);
	assert_int_equal(len, 256);
	assert_int_equal(emu_tr_counters(&fx->tr, fx->rd).keyops, ops + 1);
	assert_int_equal(C_Sign(h, data, 32, sig, &len),
	    CKR_OPERATION_NOT_INITIALIZED);
	/* multi-part; C_Sign after an update is refused */
	assert_int_equal(C_SignInit(h, &m, priv), CKR_OK);
	assert_int_equal(C_SignUpdate(h, NULL, 3), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_SignFinal(h, NULL, &len),
	    CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(C_SignInit(h, &m, priv), CKR_OK);
	assert_int_equal(C_SignUpdate(h, data, 10), CKR_OK);
	assert_int_equal(C_SignUpdate(h, data, 22), CKR_OK);
	len = 1;
	assert_int_equal(C_SignFinal(h, sig, &len), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(len, 256);
	assert_int_equal(C_SignFinal(h, NULL, &len), CKR_OK);
	len = sizeof(sig);
	assert_int_equal(C_SignFinal(h, sig, &len), CKR_OK);
	assert_int_equal(len, 256);
	/* raw input too long: DATA_LEN_RANGE ends the operation */
	assert_int_equal(C_SignInit(h, &raw, priv), CKR_OK);
	len = sizeof(sig);
	assert_int_equal(C_Sign(h, data, 257, sig, &len), CKR_DATA_LEN_RANGE);
	assert_int_equal(C_Sign(h, data, 256, sig, &len),
	    CKR_OPERATION_NOT_INITIALIZED);
	/* a NULL mechanism ends an active operation */
	assert_int_equal(C_SignInit(h, &m, priv), CKR_OK);
	assert_int_equal(C_SignInit(h, NULL, 0), CKR_OK);
	assert_int_equal(C_Sign(h, data, 32, sig, &len),
	    CKR_OPERATION_NOT_INITIALIZED);
	/* ECDSA: r || s */
	len = 0;
	assert_int_equal(C_SignInit(h, &ec, ecpriv), CKR_OK);
	assert_int_equal(C_Sign(h, data, 48, NULL, &len), CKR_OK);
	assert_int_equal(len, 96);
	assert_int_equal(C_Sign(h, data, 48, sig, &len), CKR_OK);
	assert_int_equal(len, 96);
	/* after logout: not logged in */
	assert_int_equal(C_SignInit(h, &m, priv), CKR_OK);
	assert_int_equal(C_Logout(h), CKR_OK);
	assert_int_equal(C_Sign(h, data, 32, sig, &len),
	    CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(verifies(), 1);
}

/* An ECDSA r || s over hash, checked with OpenSSL against the public key
 * of the certificate object cert. */
static bool
ecdsa_ok(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE cert, const uint8_t *hash,
    size_t hlen, const uint8_t *sig, size_t siglen)
{
	uint8_t		 der[4096], *dsig = NULL;
	const uint8_t	*p = der;
	CK_ATTRIBUTE	 a = { CKA_VALUE, der, sizeof(der) };
	X509		*x = NULL;
	EVP_PKEY	*pk = NULL;
	EVP_PKEY_CTX	*c = NULL;
	ECDSA_SIG	*es = NULL;
	BIGNUM		*r, *s;
	int		 dlen;
	bool		 ok = false;

	if (C_GetAttributeValue(h, cert, &a, 1) != CKR_OK ||
	    (x = d2i_X509(NULL, &p, (long)a.ulValueLen)) == NULL ||
	    (pk = X509_get_pubkey(x)) == NULL || (es = ECDSA_SIG_new()) ==
	    NULL)
		goto out;
	r = BN_bin2bn(sig, (int)(siglen / 2), NULL);
	s = BN_bin2bn(sig + siglen / 2, (int)(siglen / 2), NULL);
	if (r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		goto out;
	}
	if ((dlen = i2d_ECDSA_SIG(es, &dsig)) <= 0 ||
	    (c = EVP_PKEY_CTX_new(pk, NULL)) == NULL ||
	    EVP_PKEY_verify_init(c) != 1)
		goto out;
	ok = EVP_PKEY_verify(c, dsig, (size_t)dlen, hash, hlen) == 1;
out:
	OPENSSL_free(dsig);
	ECDSA_SIG_free(es);
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(pk);
	X509_free(x);
	return ok;
}

/* 9E, PIN policy "never": CKA_PRIVATE FALSE, found and used before login
 * with no VERIFY; 9A stays hidden and refused. */
static void
test_no_pin_key(void **state)
{
	CK_SESSION_HANDLE	h;
	CK_OBJECT_HANDLE	priv, cert, pub9a;
	CK_OBJECT_CLASS		cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE		t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_BBOOL		bp = CK_TRUE;
	CK_ATTRIBUTE		a = { CKA_PRIVATE, &bp, sizeof(bp) };
	CK_MECHANISM		ec = { CKM_ECDSA, NULL, 0 };
	CK_MECHANISM		rsa = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_BYTE			hash[48], sig[96];
	CK_ULONG		len = sizeof(sig);
	uint64_t		v;

	(void)state;
	memset(hash, 0x3c, sizeof(hash));
	h = open_ro();
	v = verifies();
	assert_int_equal(count_objects(h, &t, 1), 1);
	assert_int_equal(find1(h, CKO_PRIVATE_KEY, 1), 0);
	assert_int_equal(find1(h, CKO_PRIVATE_KEY, 2), 0);
	assert_int_equal(find1(h, CKO_PRIVATE_KEY, 3), 0);
	priv = find1(h, CKO_PRIVATE_KEY, 4);
	cert = find1(h, CKO_CERTIFICATE, 4);
	assert_int_not_equal(priv, 0);
	assert_int_not_equal(cert, 0);
	assert_int_equal(C_GetAttributeValue(h, priv, &a, 1), CKR_OK);
	assert_int_equal(bp, CK_FALSE);
	/* 9A: its public key is there, its private key is not */
	pub9a = find1(h, CKO_PUBLIC_KEY, 1);
	assert_int_not_equal(pub9a, 0);
	assert_int_equal(C_SignInit(h, &rsa, pub9a),
	    CKR_KEY_FUNCTION_NOT_PERMITTED);
	/* sign before login: no VERIFY, a good signature */
	assert_int_equal(C_SignInit(h, &ec, priv), CKR_OK);
	assert_int_equal(C_Sign(h, hash, sizeof(hash), sig, &len), CKR_OK);
	assert_int_equal(len, 96);
	assert_true(ecdsa_ok(h, cert, hash, sizeof(hash), sig, len));
	assert_int_equal(verifies(), v);
	/* after login and logout: the same */
	login(h);
	assert_int_equal(find1(h, CKO_PRIVATE_KEY, 1) != 0, true);
	assert_int_equal(C_Logout(h), CKR_OK);
	assert_int_equal(find1(h, CKO_PRIVATE_KEY, 1), 0);
	priv = find1(h, CKO_PRIVATE_KEY, 4);
	assert_int_not_equal(priv, 0);
	len = sizeof(sig);
	assert_int_equal(C_SignInit(h, &ec, priv), CKR_OK);
	assert_int_equal(C_Sign(h, hash, sizeof(hash), sig, &len), CKR_OK);
	assert_true(ecdsa_ok(h, cert, hash, sizeof(hash), sig, len));
	assert_int_equal(verifies(), v + 1);
}

static void
test_verify_digest(void **state)
{
	CK_SESSION_HANDLE	h;
	CK_OBJECT_HANDLE	priv, pub;
	CK_MECHANISM		m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_MECHANISM		d = { CKM_SHA256, NULL, 0 };
	CK_BYTE			data[64], sig[256], md[64];
	CK_ULONG		len = sizeof(sig), mdlen;

	(void)state;
	memset(data, 0x22, sizeof(data));
	h = open_ro();
	login(h);
	priv = find1(h, CKO_PRIVATE_KEY, 1);
	pub = find1(h, CKO_PUBLIC_KEY, 1);
	assert_int_equal(C_SignInit(h, &m, priv), CKR_OK);
	assert_int_equal(C_Sign(h, data, sizeof(data), sig, &len), CKR_OK);
	assert_int_equal(C_VerifyInit(h, &m, priv),
	    CKR_KEY_FUNCTION_NOT_PERMITTED);
	assert_int_equal(C_VerifyInit(h, NULL, pub), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_Verify(h, data, sizeof(data), sig, len),
	    CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(C_VerifyInit(h, &m, pub), CKR_OK);
	assert_int_equal(C_VerifyInit(h, &m, pub), CKR_OPERATION_ACTIVE);
	assert_int_equal(C_Verify(h, data, sizeof(data), sig, len), CKR_OK);
	assert_int_equal(C_VerifyInit(h, &m, pub), CKR_OK);
	assert_int_equal(C_VerifyUpdate(h, data, 10), CKR_OK);
	assert_int_equal(C_VerifyUpdate(h, data + 10, sizeof(data) - 10),
	    CKR_OK);
	assert_int_equal(C_VerifyFinal(h, sig, len), CKR_OK);
	sig[5] ^= 1;
	assert_int_equal(C_VerifyInit(h, &m, pub), CKR_OK);
	assert_int_equal(C_Verify(h, data, sizeof(data), sig, len),
	    CKR_SIGNATURE_INVALID);
	assert_int_equal(C_VerifyInit(h, &m, pub), CKR_OK);
	assert_int_equal(C_Verify(h, data, sizeof(data), sig, len - 1),
	    CKR_SIGNATURE_LEN_RANGE);
	/* digest, two-call */
	assert_int_equal(C_DigestInit(h, NULL), CKR_ARGUMENTS_BAD);
	d.mechanism = CKM_MD5;
	assert_int_equal(C_DigestInit(h, &d), CKR_MECHANISM_INVALID);
	d.mechanism = CKM_SHA256;
	assert_int_equal(C_DigestInit(h, &d), CKR_OK);
	assert_int_equal(C_DigestInit(h, &d), CKR_OPERATION_ACTIVE);
	assert_int_equal(C_Digest(h, data, sizeof(data), NULL, &mdlen),
	    CKR_OK);
	assert_int_equal(mdlen, 32);
	mdlen = 31;
	assert_int_equal(C_Digest(h, data, sizeof(data), md, &mdlen),
	    CKR_BUFFER_TOO_SMALL);
	assert_int_equal(mdlen, 32);
	mdlen = sizeof(md);
	assert_int_equal(C_Digest(h, data, sizeof(data), md, &mdlen), CKR_OK);
	assert_int_equal(mdlen, 32);
	assert_int_equal(C_Digest(h, data, sizeof(data), md, &mdlen),
	    CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(C_DigestInit(h, &d), CKR_OK);
	assert_int_equal(C_DigestUpdate(h, data, 5), CKR_OK);
	assert_int_equal(C_DigestKey(h, 1), CKR_FUNCTION_NOT_SUPPORTED);
	mdlen = sizeof(md);
	assert_int_equal(C_DigestFinal(h, md, &mdlen), CKR_OK);
}

static void
test_mechanisms(void **state)
{
	CK_MECHANISM_TYPE	l[64];
	CK_MECHANISM_INFO	mi;
	CK_ULONG		n = 0, i;
	bool			ecdsa = false;

	(void)state;
	assert_int_equal(C_GetMechanismList(0, NULL, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_GetMechanismList(3, NULL, &n), CKR_SLOT_ID_INVALID);
	assert_int_equal(C_GetMechanismList(0, NULL, &n), CKR_OK);
	assert_true(n > 20 && n <= 64);
	i = 1;
	assert_int_equal(C_GetMechanismList(0, l, &i), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(i, n);
	assert_int_equal(C_GetMechanismList(0, l, &n), CKR_OK);
	for (i = 0; i < n; i++) {
		assert_int_equal(C_GetMechanismInfo(0, l[i], &mi), CKR_OK);
		if (l[i] == CKM_ECDSA) {
			ecdsa = true;
			assert_true(mi.flags & CKF_SIGN);
			assert_true(mi.flags & CKF_HW);
			assert_true(mi.flags & CKF_EC_NAMEDCURVE);
			assert_int_equal(mi.ulMinKeySize, 256);
			assert_int_equal(mi.ulMaxKeySize, 384);
		}
		if (l[i] == CKM_SHA256) {
			assert_int_equal(mi.flags, CKF_DIGEST);
		}
	}
	assert_true(ecdsa);
	assert_int_equal(C_GetMechanismInfo(0, CKM_RSA_PKCS, NULL),
	    CKR_ARGUMENTS_BAD);
	assert_int_equal(C_GetMechanismInfo(0, CKM_MD5, &mi),
	    CKR_MECHANISM_INVALID);
	assert_int_equal(C_GetMechanismInfo(4, CKM_RSA_PKCS, &mi),
	    CKR_SLOT_ID_INVALID);
}

/* --- 9C: context-specific login, atomic ------------------------------------ */

static void
test_always_auth(void **state)
{
	CK_SESSION_HANDLE	h, h2;
	CK_OBJECT_HANDLE	k9c, k9a;
	CK_MECHANISM		m = { CKM_ECDSA_SHA256, NULL, 0 };
	CK_MECHANISM		r = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_BBOOL		aa = 0;
	CK_ATTRIBUTE		t = { CKA_ALWAYS_AUTHENTICATE, &aa, 1 };
	CK_BYTE			data[20], sig[512];
	CK_ULONG		len = sizeof(sig);
	uint64_t		foreign;

	(void)state;
	memset(data, 0x33, sizeof(data));
	h = open_ro();
	h2 = open_ro();
	login(h);
	k9c = find1(h, CKO_PRIVATE_KEY, 2);
	k9a = find1(h2, CKO_PRIVATE_KEY, 1);
	assert_int_equal(C_GetAttributeValue(h, k9c, &t, 1), CKR_OK);
	assert_int_equal(aa, CK_TRUE);
	/* without the context login: no APDU, USER_NOT_LOGGED_IN */
	assert_int_equal(C_SignInit(h, &m, k9c), CKR_OK);
	assert_int_equal(C_Sign(h, data, sizeof(data), sig, &len),
	    CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(verifies(), 1);
	/* with it: one VERIFY per signature, in one transaction */
	foreign = emu_tr_foreign_connect(&fx->tr, fx->rd);
	assert_int_not_equal(foreign, 0);
	assert_int_equal(C_SignInit(h, &m, k9c), CKR_OK);
	assert_int_equal(C_Login(h, CKU_CONTEXT_SPECIFIC,
	    (CK_UTF8CHAR_PTR)BAD_PIN, 6), CKR_PIN_INCORRECT);
	assert_int_equal(verifies(), 2);
	assert_int_equal(emu_tr_foreign_begin(&fx->tr, foreign), SS_ERR_OK);
	assert_int_equal(emu_tr_foreign_end(&fx->tr, foreign), SS_ERR_OK);
	assert_int_equal(C_Login(h, CKU_CONTEXT_SPECIFIC,
	    (CK_UTF8CHAR_PTR)PIN, PIN_LEN), CKR_OK);
	assert_int_equal(verifies(), 3);
	/* held: another process cannot get in */
	assert_int_equal(emu_tr_foreign_begin(&fx->tr, foreign),
	    SS_ERR_SHARING);
	/* the size query and BUFFER_TOO_SMALL keep it */
	len = 0;
	assert_int_equal(C_Sign(h, data, sizeof(data), NULL, &len), CKR_OK);
	assert_int_equal(len, 64);
	len = 10;
	assert_int_equal(C_Sign(h, data, sizeof(data), sig, &len),
	    CKR_BUFFER_TOO_SMALL);
	assert_int_equal(emu_tr_foreign_begin(&fx->tr, foreign),
	    SS_ERR_SHARING);
	/* another session of this application may go on meanwhile */
	len = sizeof(sig);
	assert_int_equal(sign_once(h2, CKM_SHA256_RSA_PKCS, k9a, sig, &len),
	    CKR_OK);
	len = sizeof(sig);
	assert_int_equal(C_Sign(h, data, sizeof(data), sig, &len), CKR_OK);
	assert_int_equal(len, 64);
	assert_int_equal(verifies(), 3);
	/* released */
	assert_int_equal(emu_tr_foreign_begin(&fx->tr, foreign), SS_ERR_OK);
	assert_int_equal(emu_tr_foreign_end(&fx->tr, foreign), SS_ERR_OK);
	/* the second signature needs a new context login */
	assert_int_equal(C_SignInit(h, &m, k9c), CKR_OK);
	len = sizeof(sig);
	assert_int_equal(C_Sign(h, data, sizeof(data), sig, &len),
	    CKR_USER_NOT_LOGGED_IN);
	/* multi-part, and ended by C_CloseSession */
	assert_int_equal(C_SignInit(h, &m, k9c), CKR_OK);
	assert_int_equal(C_Login(h, CKU_CONTEXT_SPECIFIC,
	    (CK_UTF8CHAR_PTR)PIN, PIN_LEN), CKR_OK);
	assert_int_equal(C_SignUpdate(h, data, 5), CKR_OK);
	assert_int_equal(C_SignUpdate(h, data + 5, 15), CKR_OK);
	len = sizeof(sig);
	assert_int_equal(C_SignFinal(h, sig, &len), CKR_OK);
	assert_int_equal(verifies(), 4);
	assert_int_equal(C_SignInit(h, &m, k9c), CKR_OK);
	assert_int_equal(C_Login(h, CKU_CONTEXT_SPECIFIC,
	    (CK_UTF8CHAR_PTR)PIN, PIN_LEN), CKR_OK);
	assert_int_equal(emu_tr_foreign_begin(&fx->tr, foreign),
	    SS_ERR_SHARING);
	assert_int_equal(C_CloseSession(h), CKR_OK);
	assert_int_equal(emu_tr_foreign_begin(&fx->tr, foreign), SS_ERR_OK);
	assert_int_equal(emu_tr_foreign_end(&fx->tr, foreign), SS_ERR_OK);
	/* an error ends it too (wrong data length for raw ECDSA is none:
	 * use a failing sign: key handle of another session's logout) */
	assert_int_equal(C_SignInit(h2, &m, k9c), CKR_OK);
	assert_int_equal(C_Login(h2, CKU_CONTEXT_SPECIFIC,
	    (CK_UTF8CHAR_PTR)PIN, PIN_LEN), CKR_OK);
	assert_int_equal(C_SignInit(h2, NULL, 0), CKR_OK);
	assert_int_equal(emu_tr_foreign_begin(&fx->tr, foreign), SS_ERR_OK);
	assert_int_equal(emu_tr_foreign_end(&fx->tr, foreign), SS_ERR_OK);
	/* and C_Finalize */
	assert_int_equal(C_SignInit(h2, &m, k9c), CKR_OK);
	assert_int_equal(C_Login(h2, CKU_CONTEXT_SPECIFIC,
	    (CK_UTF8CHAR_PTR)PIN, PIN_LEN), CKR_OK);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
	assert_int_equal(emu_tr_foreign_begin(&fx->tr, foreign), SS_ERR_OK);
	assert_int_equal(emu_tr_foreign_end(&fx->tr, foreign), SS_ERR_OK);
	emu_tr_foreign_disconnect(&fx->tr, foreign);
	assert_int_equal(verifies(), 7);
	(void)r;
}

/* --- reset, removal ------------------------------------------------------------ */

static void
test_reset(void **state)
{
	CK_SESSION_HANDLE	h;
	CK_OBJECT_HANDLE	k;
	CK_SESSION_INFO		si;
	CK_BYTE			sig[512];
	CK_ULONG		len = sizeof(sig);
	uint64_t		v;

	(void)state;
	h = open_ro();
	login(h);
	k = find1(h, CKO_PRIVATE_KEY, 1);
	v = verifies();
	emu_tr_reset(&fx->tr, fx->rd);
	assert_int_equal(sign_once(h, CKM_SHA256_RSA_PKCS, k, sig, &len),
	    CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(verifies(), v);
	assert_int_equal(C_GetSessionInfo(h, &si), CKR_OK);
	assert_int_equal(si.state, CKS_RO_PUBLIC_SESSION);
	/* the objects stay (same card); the private key is hidden again */
	assert_int_equal(find1(h, CKO_PRIVATE_KEY, 1), 0);
	assert_int_not_equal(find1(h, CKO_CERTIFICATE, 1), 0);
	login(h);
	assert_int_equal(find1(h, CKO_PRIVATE_KEY, 1), k);
	len = sizeof(sig);
	assert_int_equal(sign_once(h, CKM_SHA256_RSA_PKCS, k, sig, &len),
	    CKR_OK);
	assert_int_equal(verifies(), v + 1);
}

static void
test_removal(void **state)
{
	CK_SESSION_HANDLE	h, h2;
	CK_OBJECT_HANDLE	k, k2;
	CK_SESSION_INFO		si;
	CK_TOKEN_INFO		ti;
	CK_BYTE			sig[512];
	CK_ULONG		len = sizeof(sig);

	(void)state;
	h = open_ro();
	login(h);
	k = find1(h, CKO_PRIVATE_KEY, 1);
	emu_tr_remove(&fx->tr, fx->rd);
	refresh_interval_passes();
	assert_int_equal(C_GetSessionInfo(h, &si), CKR_DEVICE_REMOVED);
	assert_int_equal(C_GetSessionInfo(h, &si),
	    CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL,
	    &h2), CKR_TOKEN_NOT_PRESENT);
	/* reinserted: works without restarting, old handles are dead */
	emu_tr_insert(&fx->tr, fx->rd, &fx->card);
	assert_int_equal(C_GetTokenInfo(0, &ti), CKR_OK);
	h2 = open_ro();
	assert_int_not_equal(h2, h);
	assert_int_equal(C_GetSessionInfo(h2, &si), CKR_OK);
	assert_int_equal(si.state, CKS_RO_PUBLIC_SESSION);
	login(h2);
	k2 = find1(h2, CKO_PRIVATE_KEY, 1);
	assert_int_not_equal(k2, k);
	len = sizeof(sig);
	assert_int_equal(sign_once(h2, CKM_SHA256_RSA_PKCS, k, sig, &len),
	    CKR_KEY_HANDLE_INVALID);
	len = sizeof(sig);
	assert_int_equal(sign_once(h2, CKM_SHA256_RSA_PKCS, k2, sig, &len),
	    CKR_OK);
	/* removal seen by the channel during an operation */
	assert_int_equal(C_SignInit(h2, &(CK_MECHANISM){ CKM_SHA256_RSA_PKCS,
	    NULL, 0 }, k2), CKR_OK);
	emu_tr_remove(&fx->tr, fx->rd);
	emu_tr_insert(&fx->tr, fx->rd, &fx->card);
	len = sizeof(sig);
	assert_int_equal(C_Sign(h2, sig, 32, sig, &len), CKR_DEVICE_REMOVED);
	assert_int_equal(C_GetSessionInfo(h2, &si),
	    CKR_SESSION_HANDLE_INVALID);
}

/* --- fork, threads, events ------------------------------------------------------ */

static uint64_t
lists(void)
{
	uint64_t n;

	pthread_mutex_lock(&fx->tr.mu);
	n = fx->tr.lists;
	pthread_mutex_unlock(&fx->tr.mu);
	return n;
}

/* Session calls look at the readers at most every P11_REFRESH_MS; the
 * calls that report presence always do. */
static void
test_refresh_limit(void **state)
{
	CK_SESSION_HANDLE	h;
	CK_SESSION_INFO		si;
	CK_SLOT_INFO		sl;
	uint64_t		l;
	int			i;

	(void)state;
	h = open_ro();
	l = lists();
	for (i = 0; i < 20; i++)
		assert_int_equal(C_GetSessionInfo(h, &si), CKR_OK);
	assert_true(lists() - l <= 1);	/* 1: a second passed meanwhile */
	l = lists();
	assert_int_equal(C_GetSlotInfo(0, &sl), CKR_OK);
	assert_true(lists() > l);
	refresh_interval_passes();
	l = lists();
	assert_int_equal(C_GetSessionInfo(h, &si), CKR_OK);
	assert_true(lists() > l);
}

static void
test_fork(void **state)
{
	CK_SESSION_HANDLE	h;
	CK_SESSION_INFO		si;
	CK_ULONG		n = 0;
	pid_t			pid;
	int			st = 0;

	(void)state;
	h = open_ro();
	login(h);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int ok = C_GetSessionInfo(h, &si) ==
		    CKR_CRYPTOKI_NOT_INITIALIZED &&
		    C_GetSlotList(CK_FALSE, NULL, &n) ==
		    CKR_CRYPTOKI_NOT_INITIALIZED &&
		    C_Finalize(NULL) == CKR_CRYPTOKI_NOT_INITIALIZED &&
		    C_Initialize(NULL) == CKR_OK &&
		    C_GetSessionInfo(h, &si) == CKR_SESSION_HANDLE_INVALID;
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(C_GetSessionInfo(h, &si), CKR_OK);
	assert_int_equal(si.state, CKS_RO_USER_FUNCTIONS);
}

struct thr {
	CK_OBJECT_HANDLE	k;
	int			fails;
};

static void *
thread_sign(void *arg)
{
	struct thr		*t = arg;
	CK_SESSION_HANDLE	 h = 0;
	CK_BYTE			 sig[512];
	CK_ULONG		 len;
	int			 i;

	if (C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h) != CKR_OK) {
		t->fails++;
		return NULL;
	}
	for (i = 0; i < NSIGS; i++) {
		len = sizeof(sig);
		if (sign_once(h, CKM_SHA256_RSA_PKCS, t->k, sig, &len) !=
		    CKR_OK || len != 256)
			t->fails++;
	}
	if (C_CloseSession(h) != CKR_OK)
		t->fails++;
	return NULL;
}

static void
test_threads(void **state)
{
	pthread_t		th[NTHREADS];
	struct thr		t[NTHREADS];
	CK_SESSION_HANDLE	h;
	CK_OBJECT_HANDLE	k;
	uint64_t		ops;
	int			i;

	(void)state;
	h = open_ro();
	login(h);
	k = find1(h, CKO_PRIVATE_KEY, 1);
	ops = emu_tr_counters(&fx->tr, fx->rd).keyops;
	for (i = 0; i < NTHREADS; i++) {
		t[i].k = k;
		t[i].fails = 0;
		assert_int_equal(pthread_create(&th[i], NULL, thread_sign,
		    &t[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(t[i].fails, 0);
	}
	assert_int_equal(emu_tr_counters(&fx->tr, fx->rd).keyops - ops,
	    NTHREADS * NSIGS);
	assert_int_equal(verifies(), 1);
	assert_int_equal(fx->tr.interleaved, 0);
}

static void *
thread_wait(void *arg)
{
	CK_SLOT_ID	slot;
	CK_RV		*rv = arg;

	*rv = C_WaitForSlotEvent(0, &slot, NULL);
	return NULL;
}

static void
test_slot_events(void **state)
{
	CK_SLOT_ID	slot = 99;
	pthread_t	th;
	CK_RV		rv = CKR_OK;
	struct timespec	ts = { 0, 200000000L };
	int		dummy;

	(void)state;
	assert_int_equal(C_WaitForSlotEvent(CKF_DONT_BLOCK, NULL, NULL),
	    CKR_ARGUMENTS_BAD);
	assert_int_equal(C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, &dummy),
	    CKR_ARGUMENTS_BAD);
	assert_int_equal(C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL),
	    CKR_NO_EVENT);
	emu_tr_remove(&fx->tr, fx->rd);
	assert_int_equal(C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL),
	    CKR_OK);
	assert_int_equal(slot, 0);
	assert_int_equal(C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL),
	    CKR_NO_EVENT);
	/* a new reader is an event of its slot */
	emu_tr_add_reader(&fx->tr, "Emu Reader 1");
	assert_int_equal(C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL),
	    CKR_OK);
	assert_int_equal(slot, 1);
	/* blocking: a card inserted wakes it */
	assert_int_equal(pthread_create(&th, NULL, thread_wait, &rv), 0);
	nanosleep(&ts, NULL);
	emu_tr_insert(&fx->tr, fx->rd, &fx->card);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(rv, CKR_OK);
	/* C_Finalize wakes a blocked waiter */
	assert_int_equal(pthread_create(&th, NULL, thread_wait, &rv), 0);
	nanosleep(&ts, NULL);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(rv, CKR_CRYPTOKI_NOT_INITIALIZED);
}

/* --- the rest ------------------------------------------------------------------- */

static void
test_unsupported(void **state)
{
	CK_SESSION_HANDLE	h;
	CK_ULONG		n = 0;
	CK_BYTE			b[8];

	(void)state;
	h = open_rw();
	assert_int_equal(C_InitToken(0, NULL, 0, NULL),
	    CKR_FUNCTION_NOT_SUPPORTED);
	/* token management: test-p11-manage.c */
	assert_int_equal(C_InitPIN(h, NULL, 0), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(C_SetPIN(h, NULL, 0, NULL, 0), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_GetOperationState(h, NULL, &n),
	    CKR_FUNCTION_NOT_SUPPORTED);
	assert_int_equal(C_EncryptInit(h, NULL, 0),
	    CKR_FUNCTION_NOT_SUPPORTED);
	/* decryption is offered (test-p11-crypto.c): no operation to end */
	assert_int_equal(C_DecryptInit(h, NULL, 0), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_SignRecoverInit(h, NULL, 0),
	    CKR_FUNCTION_NOT_SUPPORTED);
	assert_int_equal(C_VerifyRecoverInit(h, NULL, 0),
	    CKR_FUNCTION_NOT_SUPPORTED);
	assert_int_equal(C_GenerateKeyPair(h, NULL, NULL, 0, NULL, 0, NULL,
	    NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_GenerateRandom(h, b, sizeof(b)), CKR_RANDOM_NO_RNG);
	assert_int_equal(C_SeedRandom(h, b, sizeof(b)), CKR_RANDOM_NO_RNG);
	assert_int_equal(C_GenerateRandom(BADH, b, sizeof(b)),
	    CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(C_GetFunctionStatus(h), CKR_FUNCTION_NOT_PARALLEL);
	assert_int_equal(C_CancelFunction(h), CKR_FUNCTION_NOT_PARALLEL);
	assert_int_equal(C_GetFunctionStatus(BADH),
	    CKR_SESSION_HANDLE_INVALID);
}

static void
test_debug_log(void **state)
{
	char			path[] = "/tmp/p11-rules-log-XXXXXX";
	static char		buf[65536];
	CK_SESSION_HANDLE	h;
	ssize_t			n;
	int			fd;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	setenv("SMARTSIGN_DEBUG", path, 1);
	assert_int_equal(C_Initialize(NULL), CKR_OK);
	unsetenv("SMARTSIGN_DEBUG");
	h = open_ro();
	login(h);
	assert_int_equal(C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"98765432", 8),
	    CKR_USER_ALREADY_LOGGED_IN);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "C_Login -> CKR_OK"));
	assert_non_null(strstr(buf, "C_OpenSession"));
	assert_non_null(strstr(buf, "> 00A40400"));	/* the trace */
	assert_null(strstr(buf, "313233343536"));	/* the PIN, as hex */
	assert_null(strstr(buf, "123456"));
	assert_null(strstr(buf, "98765432"));
	close(fd);
	unlink(path);
}

int
main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
#define TN(f)	cmocka_unit_test_setup_teardown(f, setup_noinit, teardown)
	const struct CMUnitTest tests[] = {
		TN(test_not_initialized),
		TN(test_initialize_args),
		TN(test_function_list),
		T(test_info),
		T(test_smoke),
		T(test_slots),
		T(test_token_info),
		T(test_pinpad),
		T(test_sessions),
		T(test_login),
		T(test_pin_locked),
		T(test_find),
		T(test_attributes),
		T(test_ec_attributes),
		T(test_sign_rules),
		T(test_no_pin_key),
		T(test_verify_digest),
		T(test_mechanisms),
		T(test_always_auth),
		T(test_reset),
		T(test_removal),
		T(test_refresh_limit),
		T(test_fork),
		T(test_threads),
		T(test_slot_events),
		T(test_unsupported),
		TN(test_debug_log),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
