/*
 * tests/unit/test-p11-events.c - C_WaitForSlotEvent and what a card
 * coming and going does to the module, with the in-process transport
 * (emu-transport.c): non-blocking and blocking waits for card insertion,
 * removal and new readers; slot IDs that never shrink or change owner;
 * C_Finalize waking one or two blocked waiters; the sessions of a pulled
 * card closed, and the card signing again once it is back, in the same
 * process.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pkcs11/p11.h"
#include "reader/wipe.h"
#include "token-emu/card.h"

#include "emu-transport.c"

#define PIN		"123456"
#define WAIT_MS		5000	/* a blocked waiter must return by then */
#define SETTLE_NS	150000000L	/* let a waiter block */

/* The reader list refresh interval (P11_REFRESH_MS) has passed: the next
 * session call looks at the readers again. */
static void
refresh_interval_passes(void)
{
	atomic_store(&p11_m.refreshed_ms, 0);
}
static const uint8_t	card_refs[] = { 0x9a };
static const uint8_t	card_algs[] = { PIV_ALG_ECCP256 };
static uint8_t		*card_blob;
static size_t		 card_blob_len;

struct fx {
	struct emu_tr		tr;
	struct emu_card		card;
	struct emu_card		card2;
	unsigned		rd;
};

static struct fx *fx;

/* A thread blocked in C_WaitForSlotEvent. */
struct waiter {
	pthread_t	th;
	CK_FLAGS	flags;
	CK_SLOT_ID	slot;
	CK_RV		rv;
	atomic_bool	done;
};

/* --- fixture -------------------------------------------------------------- */

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
	if (emu_tr_card_parse(&fx->card, card_blob, card_blob_len) < 0 ||
	    emu_tr_card_parse(&fx->card2, card_blob, card_blob_len) < 0)
		return -1;
	fx->rd = emu_tr_add_reader(&fx->tr, "Emu Reader 0");
	emu_tr_insert(&fx->tr, fx->rd, &fx->card);
	emu_tr_transport(&fx->tr, &t);
	p11_set_transport(&t);
	return 0;
}

static int
setup(void **state)
{
	if (setup_noinit(state) < 0 || C_Initialize(NULL) != CKR_OK)
		return -1;
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
	emu_card_free(&fx->card2);
	free(fx);
	fx = NULL;
	return 0;
}

/* --- helpers -------------------------------------------------------------- */

static void
nap(long ns)
{
	struct timespec ts = { 0, ns };

	nanosleep(&ts, NULL);
}

static CK_RV
poll_event(CK_SLOT_ID *slot)
{
	*slot = 999;
	return C_WaitForSlotEvent(CKF_DONT_BLOCK, slot, NULL);
}

static void
expect_event(CK_SLOT_ID want)
{
	CK_SLOT_ID slot;

	assert_int_equal(poll_event(&slot), CKR_OK);
	assert_int_equal(slot, want);
}

static void
expect_none(void)
{
	CK_SLOT_ID slot;

	assert_int_equal(poll_event(&slot), CKR_NO_EVENT);
	assert_int_equal(slot, 999);
}

static void *
waiter_main(void *arg)
{
	struct waiter *w = arg;

	w->rv = C_WaitForSlotEvent(w->flags, &w->slot, NULL);
	atomic_store(&w->done, true);
	return NULL;
}

static void
waiter_start(struct waiter *w)
{
	memset(w, 0, sizeof(*w));
	w->slot = 999;
	atomic_store(&w->done, false);
	assert_int_equal(pthread_create(&w->th, NULL, waiter_main, w), 0);
	nap(SETTLE_NS);
	assert_false(atomic_load(&w->done));	/* it blocks */
}

/* Join, failing (not hanging) when it does not return in time. */
static void
waiter_join(struct waiter *w)
{
	int i;

	for (i = 0; i < WAIT_MS / 10 && !atomic_load(&w->done); i++)
		nap(10000000L);
	assert_true(atomic_load(&w->done));
	assert_int_equal(pthread_join(w->th, NULL), 0);
}

static CK_ULONG
slot_count(CK_BBOOL present)
{
	CK_ULONG n = 0;

	assert_int_equal(C_GetSlotList(present, NULL, &n), CKR_OK);
	return n;
}

static CK_SESSION_HANDLE
open_login(CK_SLOT_ID slot)
{
	CK_SESSION_HANDLE h = 0;

	assert_int_equal(C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL,
	    &h), CKR_OK);
	assert_int_equal(C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 6),
	    CKR_OK);
	return h;
}

static CK_OBJECT_HANDLE
find1(CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls)
{
	CK_ATTRIBUTE		t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE	o = 0;
	CK_ULONG		n = 0;

	assert_int_equal(C_FindObjectsInit(h, &t, 1), CKR_OK);
	assert_int_equal(C_FindObjects(h, &o, 1, &n), CKR_OK);
	assert_int_equal(C_FindObjectsFinal(h), CKR_OK);
	assert_int_equal(n, 1);
	return o;
}

/* ECDSA-SHA256 with 9A, checked with OpenSSL against the certificate. */
static CK_RV
sign_verify(CK_SESSION_HANDLE h)
{
	static CK_BYTE		 der[2048];
	CK_MECHANISM		 m = { CKM_ECDSA_SHA256, NULL, 0 };
	CK_ATTRIBUTE		 a = { CKA_VALUE, der, sizeof(der) };
	const unsigned char	*p = der;
	CK_BYTE			 msg[] = "smartsign event test", sig[64];
	CK_ULONG		 len = sizeof(sig);
	CK_RV			 rv;

	if ((rv = C_SignInit(h, &m, find1(h, CKO_PRIVATE_KEY))) != CKR_OK ||
	    (rv = C_Sign(h, msg, sizeof(msg), sig, &len)) != CKR_OK)
		return rv;
	assert_int_equal(len, 64);
	assert_int_equal(C_GetAttributeValue(h, find1(h, CKO_CERTIFICATE),
	    &a, 1), CKR_OK);
	{
		X509		*x = d2i_X509(NULL, &p, (long)a.ulValueLen);
		EVP_PKEY	*pk = X509_get0_pubkey(x);
		EVP_MD_CTX	*mc = EVP_MD_CTX_new();
		ECDSA_SIG	*es = ECDSA_SIG_new();
		unsigned char	 dsig[80], *dp = dsig;
		int		 dl;

		assert_non_null(x);
		assert_non_null(pk);
		assert_int_equal(ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL),
		    BN_bin2bn(sig + 32, 32, NULL)), 1);
		assert_true((dl = i2d_ECDSA_SIG(es, &dp)) > 0);
		assert_int_equal(EVP_DigestVerifyInit(mc, NULL, EVP_sha256(),
		    NULL, pk), 1);
		assert_int_equal(EVP_DigestVerify(mc, dsig, (size_t)dl, msg,
		    sizeof(msg)), 1);
		ECDSA_SIG_free(es);
		EVP_MD_CTX_free(mc);
		X509_free(x);
	}
	return CKR_OK;
}

/* --- non-blocking --------------------------------------------------------- */

static void
test_arguments(void **state)
{
	CK_SLOT_ID	slot;
	int		dummy;

	(void)state;
	assert_int_equal(C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL),
	    CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(C_WaitForSlotEvent(0, &slot, NULL),
	    CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(C_Initialize(NULL), CKR_OK);
	assert_int_equal(C_WaitForSlotEvent(CKF_DONT_BLOCK, NULL, NULL),
	    CKR_ARGUMENTS_BAD);
	assert_int_equal(C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, &dummy),
	    CKR_ARGUMENTS_BAD);
	/* what was there at C_Initialize is no event */
	expect_none();
}

static void
test_card_events(void **state)
{
	(void)state;
	expect_none();
	emu_tr_remove(&fx->tr, fx->rd);
	expect_event(0);
	expect_none();
	emu_tr_insert(&fx->tr, fx->rd, &fx->card);
	expect_event(0);
	expect_none();
	/* out and in again before anyone asked: one event */
	emu_tr_remove(&fx->tr, fx->rd);
	emu_tr_insert(&fx->tr, fx->rd, &fx->card2);
	expect_event(0);
	expect_none();
	/* C_GetSlotList does not swallow events */
	emu_tr_remove(&fx->tr, fx->rd);
	assert_int_equal(slot_count(CK_TRUE), 0);
	assert_int_equal(slot_count(CK_FALSE), 1);
	expect_event(0);
	expect_none();
}

static void
test_reader_events(void **state)
{
	CK_SLOT_ID	ids[8];
	CK_SLOT_INFO	si;
	CK_ULONG	n = 8;
	unsigned	r1, r2;

	(void)state;
	/* a new reader: an event of its new slot, a new ID */
	r1 = emu_tr_add_reader(&fx->tr, "Emu Reader 1");
	expect_event(1);
	expect_none();
	assert_int_equal(slot_count(CK_FALSE), 2);
	emu_tr_insert(&fx->tr, r1, &fx->card2);
	expect_event(1);
	assert_int_equal(slot_count(CK_TRUE), 2);
	/* events in two slots: one call each */
	emu_tr_remove(&fx->tr, fx->rd);
	emu_tr_remove(&fx->tr, r1);
	expect_event(0);
	expect_event(1);
	expect_none();
	/* unplugged: the slot stays, without a token */
	emu_tr_unplug(&fx->tr, r1);
	expect_event(1);
	assert_int_equal(slot_count(CK_FALSE), 2);
	assert_int_equal(C_GetSlotInfo(1, &si), CKR_OK);
	assert_int_equal(si.flags & CKF_TOKEN_PRESENT, 0);
	/* another reader does not take its ID; the old one gets it back */
	r2 = emu_tr_add_reader(&fx->tr, "Emu Reader 2");
	expect_event(2);
	assert_int_equal(C_GetSlotList(CK_FALSE, ids, &n), CKR_OK);
	assert_int_equal(n, 3);
	assert_int_equal(ids[0], 0);
	assert_int_equal(ids[1], 1);
	assert_int_equal(ids[2], 2);
	assert_int_equal(C_GetSlotInfo(2, &si), CKR_OK);
	assert_memory_equal(si.slotDescription, "Emu Reader 2", 12);
	assert_int_equal(emu_tr_add_reader(&fx->tr, "Emu Reader 1"), r1);
	expect_event(1);
	assert_int_equal(C_GetSlotInfo(1, &si), CKR_OK);
	assert_memory_equal(si.slotDescription, "Emu Reader 1", 12);
	(void)r2;
	expect_none();
}

/* --- blocking ------------------------------------------------------------- */

static void
test_blocking(void **state)
{
	struct waiter	w;
	unsigned	r1;

	(void)state;
	/* removal */
	waiter_start(&w);
	emu_tr_remove(&fx->tr, fx->rd);
	waiter_join(&w);
	assert_int_equal(w.rv, CKR_OK);
	assert_int_equal(w.slot, 0);
	/* insertion */
	waiter_start(&w);
	emu_tr_insert(&fx->tr, fx->rd, &fx->card);
	waiter_join(&w);
	assert_int_equal(w.rv, CKR_OK);
	assert_int_equal(w.slot, 0);
	/* a reader plugged in */
	waiter_start(&w);
	r1 = emu_tr_add_reader(&fx->tr, "Emu Reader 1");
	waiter_join(&w);
	assert_int_equal(w.rv, CKR_OK);
	assert_int_equal(w.slot, 1);
	/* a card in the new reader */
	waiter_start(&w);
	emu_tr_insert(&fx->tr, r1, &fx->card2);
	waiter_join(&w);
	assert_int_equal(w.rv, CKR_OK);
	assert_int_equal(w.slot, 1);
	/* an event that came before the call returns at once */
	emu_tr_remove(&fx->tr, r1);
	assert_int_equal(C_WaitForSlotEvent(0, &w.slot, NULL), CKR_OK);
	assert_int_equal(w.slot, 1);
	expect_none();
}

static void
test_two_waiters(void **state)
{
	struct waiter	a, b;
	CK_SLOT_ID	s1, s2;

	(void)state;
	waiter_start(&a);
	waiter_start(&b);
	emu_tr_remove(&fx->tr, fx->rd);
	/* one event: one of them has it, the other still waits */
	nap(3 * SETTLE_NS);
	assert_true(atomic_load(&a.done) != atomic_load(&b.done));
	emu_tr_insert(&fx->tr, fx->rd, &fx->card);
	waiter_join(&a);
	waiter_join(&b);
	assert_int_equal(a.rv, CKR_OK);
	assert_int_equal(b.rv, CKR_OK);
	s1 = a.slot;
	s2 = b.slot;
	assert_int_equal(s1, 0);
	assert_int_equal(s2, 0);
	expect_none();
}

static void
test_finalize_wakes(void **state)
{
	struct waiter	a, b;
	CK_SLOT_ID	slot;

	(void)state;
	waiter_start(&a);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
	waiter_join(&a);
	assert_int_equal(a.rv, CKR_CRYPTOKI_NOT_INITIALIZED);
	/* again, with two waiters (the second one polls) */
	assert_int_equal(C_Initialize(NULL), CKR_OK);
	waiter_start(&a);
	waiter_start(&b);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
	waiter_join(&a);
	waiter_join(&b);
	assert_int_equal(a.rv, CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(b.rv, CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL),
	    CKR_CRYPTOKI_NOT_INITIALIZED);
	/* no cancellation left over for the next module instance */
	assert_int_equal(C_Initialize(NULL), CKR_OK);
	expect_none();
	waiter_start(&a);
	emu_tr_remove(&fx->tr, fx->rd);
	waiter_join(&a);
	assert_int_equal(a.rv, CKR_OK);
	assert_int_equal(a.slot, 0);
}

/* --- the card comes and goes ---------------------------------------------- */

static void
test_remove_reinsert(void **state)
{
	CK_SESSION_HANDLE	h, h2;
	CK_SESSION_INFO		si;
	CK_TOKEN_INFO		ti;
	CK_MECHANISM		m = { CKM_ECDSA_SHA256, NULL, 0 };
	CK_OBJECT_HANDLE	k;
	struct waiter		w;

	(void)state;
	h = open_login(0);
	assert_int_equal(sign_verify(h), CKR_OK);
	/* pulled while the application waits for it */
	waiter_start(&w);
	emu_tr_remove(&fx->tr, fx->rd);
	waiter_join(&w);
	assert_int_equal(w.rv, CKR_OK);
	assert_int_equal(w.slot, 0);
	assert_int_equal(C_GetSessionInfo(h, &si), CKR_DEVICE_REMOVED);
	assert_int_equal(C_GetSessionInfo(h, &si),
	    CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(C_GetTokenInfo(0, &ti), CKR_TOKEN_NOT_PRESENT);
	assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL,
	    &h2), CKR_TOKEN_NOT_PRESENT);
	/* back: the same process signs again, logged in afresh */
	waiter_start(&w);
	emu_tr_insert(&fx->tr, fx->rd, &fx->card);
	waiter_join(&w);
	assert_int_equal(w.rv, CKR_OK);
	assert_int_equal(C_GetTokenInfo(0, &ti), CKR_OK);
	h2 = open_login(0);
	assert_true(h2 != h);
	assert_int_equal(sign_verify(h2), CKR_OK);
	assert_int_equal(C_GetSessionInfo(h, &si),
	    CKR_SESSION_HANDLE_INVALID);
	/* removed while the application holds a key handle */
	k = find1(h2, CKO_PRIVATE_KEY);
	emu_tr_remove(&fx->tr, fx->rd);
	refresh_interval_passes();
	assert_int_equal(C_SignInit(h2, &m, k), CKR_DEVICE_REMOVED);
	assert_int_equal(C_SignInit(h2, &m, k), CKR_SESSION_HANDLE_INVALID);
	emu_tr_insert(&fx->tr, fx->rd, &fx->card2);
	expect_event(0);
	h = open_login(0);
	assert_int_equal(sign_verify(h), CKR_OK);
}

int
main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
#define TN(f)	cmocka_unit_test_setup_teardown(f, setup_noinit, teardown)
	const struct CMUnitTest tests[] = {
		TN(test_arguments),
		T(test_card_events),
		T(test_reader_events),
		T(test_blocking),
		T(test_two_waiters),
		T(test_finalize_wakes),
		T(test_remove_reinsert),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
