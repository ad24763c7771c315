/*
 * tests/unit/test-p11-shared.c - the card is shared with other
 * applications: the implicit end of our login (last session closed,
 * C_CloseAllSessions, C_Finalize) forgets it in the module and sends
 * nothing (no VERIFY P1=FF, no management-key witness request), so
 * another process's login on the card survives; only C_Logout logs the
 * card out.  Checked on the emulated card's counters and security state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pkcs11/p11.h"
#include "reader/wipe.h"
#include "token-emu/card.h"

#include "emu-transport.c"

#define PIN		"123456"
#define MGMT_3DES	"010203040506070801020304050607080102030405060708"
#define INS_VERIFY	0x20
#define INS_GA		0x87

static const uint8_t	card_refs[] = { 0x9a, 0x9e };
static const uint8_t	card_algs[] = { PIV_ALG_ECCP256, PIV_ALG_ECCP256 };
#include "p11-emu-fixture.h"

struct fx {
	struct emu_tr		tr;
	struct emu_card		card;
	unsigned		rd;
};

static struct fx *fx;

static int
setup(void **state)
{
	(void)state;
	if ((fx = calloc(1, sizeof(*fx))) == NULL ||
	    p11fx_card_in(&fx->tr, &fx->card, &fx->rd) < 0)
		return -1;
	return C_Initialize(NULL) == CKR_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	p11fx_card_out(&fx->tr, &fx->card);
	free(fx);
	fx = NULL;
	return 0;
}

static uint64_t
ins(uint8_t i)
{
	return emu_tr_counters(&fx->tr, fx->rd).by_ins[i];
}

static const struct emu_session *
card_sess(void)
{
	return &fx->tr.rd[fx->rd].ctx->sess;
}

static CK_SESSION_HANDLE
open_rw(void)
{
	CK_SESSION_HANDLE h = 0;

	assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &h), CKR_OK);
	return h;
}

static CK_RV
login_str(CK_SESSION_HANDLE h, CK_USER_TYPE who, const char *pin)
{
	return C_Login(h, who, (CK_UTF8CHAR_PTR)(uintptr_t)pin,
	    (CK_ULONG)strlen(pin));
}

static CK_STATE
state_of(CK_SESSION_HANDLE h)
{
	CK_SESSION_INFO si;

	assert_int_equal(C_GetSessionInfo(h, &si), CKR_OK);
	return si.state;
}

/* The user: the card stays verified for the others; C_Logout alone
 * sends VERIFY P1=FF. */
static void
test_user_implicit_end(void **state)
{
	CK_SESSION_HANDLE	h;
	uint64_t		v;

	(void)state;
	h = open_rw();
	assert_int_equal(login_str(h, CKU_USER, PIN), CKR_OK);
	v = ins(INS_VERIFY);
	assert_int_equal(C_CloseSession(h), CKR_OK);	/* the last one */
	assert_int_equal(ins(INS_VERIFY), v);
	assert_true(card_sess()->pin_verified);
	h = open_rw();					/* our login is gone */
	assert_int_equal(state_of(h), CKS_RW_PUBLIC_SESSION);
	assert_int_equal(C_Logout(h), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(login_str(h, CKU_USER, PIN), CKR_OK);
	v = ins(INS_VERIFY);
	assert_int_equal(C_CloseAllSessions(0), CKR_OK);
	assert_int_equal(ins(INS_VERIFY), v);
	assert_true(card_sess()->pin_verified);
	h = open_rw();
	assert_int_equal(login_str(h, CKU_USER, PIN), CKR_OK);
	v = ins(INS_VERIFY);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
	assert_int_equal(ins(INS_VERIFY), v);
	assert_true(card_sess()->pin_verified);
	/* an explicit C_Logout logs the card out */
	assert_int_equal(C_Initialize(NULL), CKR_OK);
	h = open_rw();
	assert_int_equal(login_str(h, CKU_USER, PIN), CKR_OK);
	v = ins(INS_VERIFY);
	assert_int_equal(C_Logout(h), CKR_OK);
	assert_int_equal(ins(INS_VERIFY), v + 1);
	assert_false(card_sess()->pin_verified);
}

/* The SO with the management key: dropped on the card at every end. */
static void
test_so_implicit_end(void **state)
{
	CK_SESSION_HANDLE	h;
	uint64_t		ga;

	(void)state;
	h = open_rw();
	assert_int_equal(login_str(h, CKU_SO, MGMT_3DES), CKR_OK);
	ga = ins(INS_GA);
	assert_int_equal(C_CloseSession(h), CKR_OK);
	assert_int_equal(ins(INS_GA), ga + 1);
	assert_false(card_sess()->mgmt_authed);
	h = open_rw();
	assert_int_equal(state_of(h), CKS_RW_PUBLIC_SESSION);
	assert_int_equal(login_str(h, CKU_SO, MGMT_3DES), CKR_OK);
	ga = ins(INS_GA);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
	assert_int_equal(ins(INS_GA), ga + 1);
	assert_false(card_sess()->mgmt_authed);
	assert_int_equal(C_Initialize(NULL), CKR_OK);
	h = open_rw();
	assert_int_equal(login_str(h, CKU_SO, MGMT_3DES), CKR_OK);
	ga = ins(INS_GA);
	assert_int_equal(C_Logout(h), CKR_OK);
	assert_int_equal(ins(INS_GA), ga + 1);
	assert_false(card_sess()->mgmt_authed);
	assert_int_equal(ins(INS_VERIFY), 0);
}

int
main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_user_implicit_end),
		T(test_so_implicit_end),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
