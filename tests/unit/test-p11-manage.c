/*
 * tests/unit/test-p11-manage.c - card management through PKCS#11 on the
 * emulated card (emu-transport.c): the SO login with the management key
 * (3DES, AES-128/192/256; by key length and by YubiKey GET METADATA) or
 * the PUK, C_SetPIN (PIN, PUK, unblock of a blocked PIN), C_InitPIN,
 * C_GenerateKeyPair (RSA-2048/3072/4096, P-256/P-384 in several key
 * references, policies), C_CreateObject (certificates, YubiKey key
 * import), C_DestroyObject, C_SetAttributeValue, with every error code,
 * the APDUs counted on the card (never a VERIFY the application did not
 * ask for) and the object cache checked after each change.  Signatures
 * with generated and imported keys are verified with OpenSSL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pkcs11/p11.h"
#include "reader/hex.h"
#include "reader/wipe.h"
#include "token-emu/card.h"

#include "emu-transport.c"

#define PIN		"123456"
#define PUK		"12345678"
#define NEW_PIN		"24681357"
#define NEW_PUK		"87654321"
#define MGMT_3DES	"010203040506070801020304050607080102030405060708"
#define BADH		((CK_ULONG)0x7fff0000UL)
#define INS_VERIFY	0x20
#define INS_CHANGE	0x24
#define INS_RESET	0x2c
#define INS_GA		0x87
#define INS_GEN		0x47
#define INS_PUT		0xdb
#define INS_IMPORT	0xfe
#define INS_META	0xf7

static const uint8_t	card_refs[] = { 0x9a, 0x9c, 0x9d, 0x9e };
static const uint8_t	card_algs[] = {
	PIV_ALG_RSA2048, PIV_ALG_ECCP256, PIV_ALG_RSA2048, PIV_ALG_ECCP256
};
static uint8_t		*card_blob;
static size_t		 card_blob_len;

static const uint8_t oid_p256[] = {
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
};
static const uint8_t oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const uint8_t name_p256[] = {
	0x13, 0x0a, 'p', 'r', 'i', 'm', 'e', '2', '5', '6', 'v', '1',
};
static const uint8_t oid_p521[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23 };

/* An ATR whose historical bytes say YubiKey (3B 8D 80 01 ... TCK). */
static const uint8_t yk_hist[] = {
	0x80, 0x73, 0xc0, 0x21, 0xc0, 0x57, 'Y', 'u', 'b', 'i', 'K', 'e', 'y',
};

struct card_opts {
	bool		 yubikey;	/* ATR says so: GET METADATA, import */
	uint8_t		 mgmt_alg;	/* 0: the default 3DES key */
	const uint8_t	*mgmt_key;
	size_t		 mgmt_len;
};

struct fx {
	struct emu_tr		tr;
	struct emu_card		card;
	unsigned		rd;
};

static struct fx *fx;

/* --- fixture ------------------------------------------------------------------ */

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

static void
card_yk_atr(struct emu_card *c)
{
	size_t	i, n = 0;
	uint8_t	tck = 0;

	c->atr[n++] = 0x3b;
	c->atr[n++] = (uint8_t)(0x80 | sizeof(yk_hist));
	c->atr[n++] = 0x80;
	c->atr[n++] = 0x01;
	memcpy(c->atr + n, yk_hist, sizeof(yk_hist));
	n += sizeof(yk_hist);
	for (i = 1; i < n; i++)
		tck ^= c->atr[i];
	c->atr[n++] = tck;
	c->atr_len = n;
}

static int
fx_open(const struct card_opts *o)
{
	struct ss_transport t;

	if ((fx = calloc(1, sizeof(*fx))) == NULL)
		return -1;
	emu_tr_init(&fx->tr);
	if (emu_tr_card_parse(&fx->card, card_blob, card_blob_len) < 0)
		return -1;
	if (o->yubikey)
		card_yk_atr(&fx->card);
	if (o->mgmt_alg != 0) {
		fx->card.mgmt_alg = o->mgmt_alg;
		memcpy(fx->card.mgmt_key, o->mgmt_key, o->mgmt_len);
		fx->card.mgmt_key_len = o->mgmt_len;
		fx->card.mgmt_is_default = false;
	}
	fx->rd = emu_tr_add_reader(&fx->tr, "Emu Reader 0");
	emu_tr_insert(&fx->tr, fx->rd, &fx->card);
	emu_tr_transport(&fx->tr, &t);
	p11_set_transport(&t);
	return C_Initialize(NULL) == CKR_OK ? 0 : -1;
}

static void
fx_close(void)
{
	(void)C_Finalize(NULL);
	p11_set_transport(NULL);
	emu_tr_free(&fx->tr);
	emu_card_free(&fx->card);
	free(fx);
	fx = NULL;
}

static int
setup(void **state)
{
	struct card_opts o = { false, 0, NULL, 0 };

	(void)state;
	return fx_open(&o);
}

static int
setup_yk(void **state)
{
	struct card_opts o = { true, 0, NULL, 0 };

	(void)state;
	return fx_open(&o);
}

static int
teardown(void **state)
{
	(void)state;
	fx_close();
	return 0;
}

/* --- helpers ------------------------------------------------------------------- */

static struct emu_counters
cnt(void)
{
	return emu_tr_counters(&fx->tr, fx->rd);
}

static uint64_t
ins(uint8_t i)
{
	return cnt().by_ins[i];
}

static bool
card_admin(void)
{
	return fx->tr.rd[fx->rd].ctx->sess.mgmt_authed;
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

static CK_RV
login_str(CK_SESSION_HANDLE h, CK_USER_TYPE u, const char *s)
{
	return C_Login(h, u, (CK_UTF8CHAR_PTR)s, (CK_ULONG)strlen(s));
}

static void
so_login(CK_SESSION_HANDLE h)
{
	assert_int_equal(login_str(h, CKU_SO, MGMT_3DES), CKR_OK);
}

static CK_STATE
state_of(CK_SESSION_HANDLE h)
{
	CK_SESSION_INFO si;

	assert_int_equal(C_GetSessionInfo(h, &si), CKR_OK);
	return si.state;
}

static CK_RV
set_pin(CK_SESSION_HANDLE h, const char *old, const char *nw)
{
	return C_SetPIN(h, (CK_UTF8CHAR_PTR)old, (CK_ULONG)strlen(old),
	    (CK_UTF8CHAR_PTR)nw, (CK_ULONG)strlen(nw));
}

/* How many objects of the class with this CKA_ID; the first to *o. */
static CK_ULONG
find_n(CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls, uint8_t id,
    CK_OBJECT_HANDLE *o)
{
	CK_ATTRIBUTE		t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, &id, 1 },
	};
	CK_OBJECT_HANDLE	l[8];
	CK_ULONG		n = 0;

	assert_int_equal(C_FindObjectsInit(h, t, 2), CKR_OK);
	assert_int_equal(C_FindObjects(h, l, 8, &n), CKR_OK);
	assert_int_equal(C_FindObjectsFinal(h), CKR_OK);
	if (n > 0 && o != NULL)
		*o = l[0];
	return n;
}

static CK_OBJECT_HANDLE
find1(CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls, uint8_t id)
{
	CK_OBJECT_HANDLE o = 0;

	assert_int_equal(find_n(h, cls, id, &o), 1);
	return o;
}

static CK_ULONG
attr_ul(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t)
{
	CK_ULONG	v = 0;
	CK_ATTRIBUTE	a = { t, &v, sizeof(v) };

	assert_int_equal(C_GetAttributeValue(h, o, &a, 1), CKR_OK);
	return v;
}

static bool
attr_bool(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t)
{
	CK_BBOOL	v = CK_FALSE;
	CK_ATTRIBUTE	a = { t, &v, sizeof(v) };

	assert_int_equal(C_GetAttributeValue(h, o, &a, 1), CKR_OK);
	return v == CK_TRUE;
}

static size_t
attr_bytes(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t,
    uint8_t *buf, size_t cap)
{
	CK_ATTRIBUTE a = { t, buf, cap };

	assert_int_equal(C_GetAttributeValue(h, o, &a, 1), CKR_OK);
	return (size_t)a.ulValueLen;
}

/* The public key of an object, from CKA_PUBLIC_KEY_INFO. */
static EVP_PKEY *
obj_pub(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o)
{
	static uint8_t		 spki[1024];
	const unsigned char	*p = spki;
	size_t			 n;
	EVP_PKEY		*pk;

	n = attr_bytes(h, o, CKA_PUBLIC_KEY_INFO, spki, sizeof(spki));
	assert_non_null(pk = d2i_PUBKEY(NULL, &p, (long)n));
	return pk;
}

static bool
handle_valid(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o)
{
	CK_OBJECT_CLASS	cls;
	CK_ATTRIBUTE	a = { CKA_CLASS, &cls, sizeof(cls) };

	return C_GetAttributeValue(h, o, &a, 1) == CKR_OK;
}

static struct emu_key *
card_key(uint8_t ref)
{
	return emu_card_key(&fx->card, ref);
}

/* --- key generation helpers -------------------------------------------------- */

static CK_RV
gen_rsa(CK_SESSION_HANDLE h, uint8_t id, CK_ULONG bits,
    CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv)
{
	CK_MECHANISM	m = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_OBJECT_CLASS	pc = CKO_PUBLIC_KEY, kc = CKO_PRIVATE_KEY;
	CK_BBOOL	t = CK_TRUE, f = CK_FALSE;
	CK_BYTE		e[] = { 0x01, 0x00, 0x01 };
	CK_ATTRIBUTE	pt[] = {
		{ CKA_CLASS, &pc, sizeof(pc) },
		{ CKA_TOKEN, &t, sizeof(t) },
		{ CKA_MODULUS_BITS, &bits, sizeof(bits) },
		{ CKA_PUBLIC_EXPONENT, e, sizeof(e) },
		{ CKA_VERIFY, &t, sizeof(t) },
		{ CKA_ENCRYPT, &t, sizeof(t) },
		{ CKA_PRIVATE, &f, sizeof(f) },
		{ CKA_LABEL, "mine", 4 },
		{ CKA_ID, &id, 1 },
	};
	CK_ATTRIBUTE	kt[] = {
		{ CKA_CLASS, &kc, sizeof(kc) },
		{ CKA_TOKEN, &t, sizeof(t) },
		{ CKA_PRIVATE, &t, sizeof(t) },
		{ CKA_SENSITIVE, &t, sizeof(t) },
		{ CKA_SIGN, &t, sizeof(t) },
		{ CKA_DECRYPT, &t, sizeof(t) },
		{ CKA_ID, &id, 1 },
	};

	return C_GenerateKeyPair(h, &m, pt, sizeof(pt) / sizeof(pt[0]), kt,
	    sizeof(kt) / sizeof(kt[0]), pub, priv);
}

static CK_RV
gen_ec(CK_SESSION_HANDLE h, uint8_t id, const uint8_t *params, size_t plen,
    const CK_ATTRIBUTE *extra, CK_ULONG nextra, CK_OBJECT_HANDLE *pub,
    CK_OBJECT_HANDLE *priv)
{
	CK_MECHANISM	m = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_KEY_TYPE	kt = CKK_EC;
	CK_BBOOL	t = CK_TRUE;
	CK_ATTRIBUTE	pt[] = {
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_EC_PARAMS, (void *)params, plen },
		{ CKA_VERIFY, &t, sizeof(t) },
		{ CKA_ID, &id, 1 },
	};
	CK_ATTRIBUTE	kt2[8];
	CK_ULONG	n = 0, i;

	kt2[n].type = CKA_SIGN;
	kt2[n].pValue = &t;
	kt2[n++].ulValueLen = sizeof(t);
	for (i = 0; i < nextra && n < 8; i++)
		kt2[n++] = extra[i];
	return C_GenerateKeyPair(h, &m, pt, sizeof(pt) / sizeof(pt[0]), kt2,
	    n, pub, priv);
}

/* r || s -> DER */
static size_t
ecdsa_der(const uint8_t *rs, size_t len, uint8_t *out)
{
	ECDSA_SIG	*s = ECDSA_SIG_new();
	BIGNUM		*r = BN_bin2bn(rs, (int)(len / 2), NULL);
	BIGNUM		*sv = BN_bin2bn(rs + len / 2, (int)(len / 2), NULL);
	unsigned char	*p = out;
	int		 n;

	assert_non_null(s);
	assert_int_equal(ECDSA_SIG_set0(s, r, sv), 1);
	n = i2d_ECDSA_SIG(s, &p);
	ECDSA_SIG_free(s);
	assert_true(n > 0);
	return (size_t)n;
}

/* Sign "the message" with priv (a context login when it wants one) and
 * verify with OpenSSL against pk. */
static void
sign_verify(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE priv, EVP_PKEY *pk)
{
	static const uint8_t	 msg[] = "the message";
	bool			 rsa = EVP_PKEY_is_a(pk, "RSA");
	CK_MECHANISM		 m = { rsa ? CKM_SHA256_RSA_PKCS :
				    CKM_ECDSA_SHA256, NULL, 0 };
	uint8_t			 sig[512], der[160];
	CK_ULONG		 len = sizeof(sig);
	EVP_MD_CTX		*mc;
	const uint8_t		*s = sig;
	size_t			 slen;

	assert_int_equal(C_SignInit(h, &m, priv), CKR_OK);
	if (attr_bool(h, priv, CKA_ALWAYS_AUTHENTICATE))
		assert_int_equal(login_str(h, CKU_CONTEXT_SPECIFIC, PIN),
		    CKR_OK);
	assert_int_equal(C_Sign(h, (CK_BYTE_PTR)msg, sizeof(msg), sig, &len),
	    CKR_OK);
	slen = (size_t)len;
	if (!rsa) {
		slen = ecdsa_der(sig, slen, der);
		s = der;
	}
	assert_non_null(mc = EVP_MD_CTX_new());
	assert_int_equal(EVP_DigestVerifyInit(mc, NULL, EVP_sha256(), NULL,
	    pk), 1);
	assert_int_equal(EVP_DigestVerify(mc, s, slen, msg, sizeof(msg)), 1);
	EVP_MD_CTX_free(mc);
}

/* The objects of a new key: public key as on the card, attributes. */
static void
check_generated(CK_SESSION_HANDLE h, uint8_t id, uint8_t ref,
    CK_OBJECT_HANDLE pub, CK_OBJECT_HANDLE priv, CK_KEY_TYPE kt,
    CK_ULONG bits)
{
	EVP_PKEY *pk;

	assert_int_equal(attr_ul(h, pub, CKA_CLASS), CKO_PUBLIC_KEY);
	assert_int_equal(attr_ul(h, priv, CKA_CLASS), CKO_PRIVATE_KEY);
	assert_int_equal(attr_ul(h, pub, CKA_KEY_TYPE), kt);
	assert_int_equal(attr_ul(h, priv, CKA_KEY_TYPE), kt);
	assert_true(attr_bool(h, pub, CKA_LOCAL));
	assert_true(attr_bool(h, priv, CKA_LOCAL));
	assert_int_equal(attr_ul(h, priv, CKA_KEY_GEN_MECHANISM),
	    kt == CKK_RSA ? CKM_RSA_PKCS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN);
	if (kt == CKK_RSA)
		assert_int_equal(attr_ul(h, pub, CKA_MODULUS_BITS), bits);
	assert_int_equal(find1(h, CKO_PUBLIC_KEY, id), pub);
	assert_int_equal(find1(h, CKO_PRIVATE_KEY, id), priv);
	assert_int_equal(find_n(h, CKO_CERTIFICATE, id, NULL), 0);
	pk = obj_pub(h, pub);
	assert_int_equal(EVP_PKEY_get_bits(pk), (int)bits);
	assert_non_null(card_key(ref)->pkey);
	assert_int_equal(EVP_PKEY_eq(pk, card_key(ref)->pkey), 1);
	EVP_PKEY_free(pk);
}

/* --- SO login ----------------------------------------------------------------- */

static void
test_so_login_3des(void **state)
{
	CK_SESSION_HANDLE	h, ro, h2;
	uint64_t		ga;

	(void)state;
	h = open_rw();
	assert_false(card_admin());
	assert_int_equal(C_Login(h, CKU_SO, NULL, 0), CKR_ARGUMENTS_BAD);
	/* not hex, wrong lengths: nothing sent */
	assert_int_equal(login_str(h, CKU_SO,
	    "01020304050607080102030405060708010203040506070X"),
	    CKR_PIN_INCORRECT);
	assert_int_equal(login_str(h, CKU_SO, "0102030405060708010203040506"),
	    CKR_PIN_LEN_RANGE);
	assert_int_equal(login_str(h, CKU_SO, "0123"), CKR_PIN_LEN_RANGE);
	assert_int_equal(login_str(h, CKU_SO, "01234"), CKR_PIN_INCORRECT);
	assert_int_equal(ins(INS_GA), 0);
	/* a wrong key: both steps, PIN_INCORRECT, not logged in */
	assert_int_equal(login_str(h, CKU_SO,
	    "0102030405060708010203040506070801020304050607FF"),
	    CKR_PIN_INCORRECT);
	assert_int_equal(ins(INS_GA), 2);
	assert_false(card_admin());
	assert_int_equal(state_of(h), CKS_RW_PUBLIC_SESSION);
	/* the right one, with separators */
	assert_int_equal(login_str(h, CKU_SO,
	    "01:02:03:04:05:06:07:08 01:02:03:04:05:06:07:08 "
	    "01:02:03:04:05:06:07:08"), CKR_OK);
	assert_int_equal(ins(INS_GA), 4);
	assert_true(card_admin());
	assert_int_equal(state_of(h), CKS_RW_SO_FUNCTIONS);
	assert_int_equal(cnt().verify, 0);
	assert_int_equal(ins(INS_META), 0);	/* not a YubiKey ATR */
	/* the rules around it */
	assert_int_equal(login_str(h, CKU_SO, MGMT_3DES),
	    CKR_USER_ALREADY_LOGGED_IN);
	assert_int_equal(login_str(h, CKU_USER, PIN),
	    CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
	assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &ro),
	    CKR_SESSION_READ_WRITE_SO_EXISTS);
	h2 = open_rw();
	assert_int_equal(state_of(h2), CKS_RW_SO_FUNCTIONS);
	ga = ins(INS_GA);
	assert_int_equal(C_Logout(h2), CKR_OK);
	assert_int_equal(ins(INS_GA), ga + 1);	/* dropped on the card */
	assert_false(card_admin());
	assert_int_equal(state_of(h), CKS_RW_PUBLIC_SESSION);
	assert_int_equal(C_Logout(h), CKR_USER_NOT_LOGGED_IN);
	/* a read-only session open: no SO */
	ro = open_ro();
	assert_int_equal(login_str(h, CKU_SO, MGMT_3DES),
	    CKR_SESSION_READ_ONLY_EXISTS);
	assert_int_equal(C_CloseSession(ro), CKR_OK);
	/* the last session closing drops the SO login on the card too */
	so_login(h);
	assert_true(card_admin());
	ga = ins(INS_GA);
	assert_int_equal(C_CloseAllSessions(0), CKR_OK);
	assert_int_equal(ins(INS_GA), ga + 1);
	assert_false(card_admin());
	h = open_rw();
	assert_int_equal(state_of(h), CKS_RW_PUBLIC_SESSION);
	assert_int_equal(C_Logout(h), CKR_USER_NOT_LOGGED_IN);
	so_login(h);			/* C_Logout drops it on the card */
	assert_int_equal(C_Logout(h), CKR_OK);
	assert_false(card_admin());
	assert_int_equal(C_CloseAllSessions(0), CKR_OK);
	/* an AES key for a 3DES card: the card refuses the algorithm */
	h = open_rw();
	ga = ins(INS_GA);
	assert_int_equal(login_str(h, CKU_SO,
	    "00112233445566778899aabbccddeeff"), CKR_PIN_INCORRECT);
	assert_int_equal(login_str(h, CKU_SO,
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"),
	    CKR_PIN_INCORRECT);
	assert_int_equal(ins(INS_GA), ga + 2);	/* witness requests only */
	assert_false(card_admin());
	/* C_Finalize drops the SO login on the card */
	so_login(h);
	assert_true(card_admin());
	ga = ins(INS_GA);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
	assert_int_equal(ins(INS_GA), ga + 1);
	assert_false(card_admin());
	assert_int_equal(C_Initialize(NULL), CKR_OK);
	assert_int_equal(cnt().verify, 0);
}

/* One card per management key algorithm. */
static void
so_card(bool yk, uint8_t alg, const char *hex, size_t klen, uint64_t ga,
    uint64_t meta)
{
	uint8_t			key[32];
	size_t			n = 0;
	struct card_opts	o = { yk, alg, key, klen };
	CK_SESSION_HANDLE	h;
	char			bad[80];

	assert_int_equal(ss_hex_decode(hex, key, sizeof(key), &n), 0);
	assert_int_equal(n, klen);
	fx_close();
	assert_int_equal(fx_open(&o), 0);
	h = open_rw();
	assert_int_equal(login_str(h, CKU_SO, hex), CKR_OK);
	assert_int_equal(ins(INS_GA), ga);
	assert_int_equal(ins(INS_META), meta);
	assert_true(card_admin());
	assert_int_equal(C_Logout(h), CKR_OK);
	assert_false(card_admin());
	snprintf(bad, sizeof(bad), "%s", hex);
	bad[0] = bad[0] == 'f' ? 'e' : 'f';
	assert_int_equal(login_str(h, CKU_SO, bad), CKR_PIN_INCORRECT);
	assert_false(card_admin());
	assert_int_equal(cnt().verify, 0);
}

/* A key of another length than the card's: refused, as wrong. */
static void
so_card_refused(uint8_t alg, const char *hex, size_t klen, const char *other)
{
	uint8_t			key[32];
	size_t			n = 0;
	struct card_opts	o = { false, alg, key, klen };

	assert_int_equal(ss_hex_decode(hex, key, sizeof(key), &n), 0);
	fx_close();
	assert_int_equal(fx_open(&o), 0);
	assert_int_equal(login_str(open_rw(), CKU_SO, other),
	    CKR_PIN_INCORRECT);
	assert_int_equal(ins(INS_GA), 2);	/* two witness requests */
	assert_false(card_admin());
}

static void
test_so_login_aes(void **state)
{
	static const char *k16 = "00112233445566778899aabbccddeeff";
	static const char *k24 =
	    "00112233445566778899aabbccddeeff0011223344556677";
	static const char *k32 =
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

	(void)state;
	/* by length (no GET METADATA): AES-128, AES-256 at once; a 24-byte
	 * key is tried as 3DES first, the card refuses, then AES-192 */
	so_card(false, PIV_ALG_AES128, k16, 16, 2, 0);
	so_card(false, PIV_ALG_AES256, k32, 32, 2, 0);
	so_card(false, PIV_ALG_AES192, k24, 24, 3, 0);
	/* 48 digits for an AES-128 card: 3DES and AES-192 refused */
	so_card_refused(PIV_ALG_AES128, k16, 16, k24);
	/* a YubiKey says which: AES-192 straight away, 3DES too */
	so_card(true, PIV_ALG_AES192, k24, 24, 2, 1);
	so_card(true, PIV_ALG_3DES, MGMT_3DES, 24, 2, 1);
	so_card(true, PIV_ALG_AES128, k16, 16, 2, 1);
}

static void
test_so_login_yk_mismatch(void **state)
{
	CK_SESSION_HANDLE h;

	(void)state;
	h = open_rw();
	/* the card says 3DES: a 32-byte key is wrong, nothing sent to 9B */
	assert_int_equal(login_str(h, CKU_SO,
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"),
	    CKR_PIN_INCORRECT);
	assert_int_equal(ins(INS_GA), 0);
	assert_true(ins(INS_META) >= 1);
	so_login(h);
	assert_int_equal(ins(INS_GA), 2);
}

static void
test_so_puk_login(void **state)
{
	CK_SESSION_HANDLE	h;
	uint64_t		apdus;

	(void)state;
	h = open_rw();
	apdus = cnt().apdus;
	assert_int_equal(login_str(h, CKU_SO, PUK), CKR_OK);
	assert_int_equal(cnt().apdus, apdus);	/* nothing sent */
	assert_int_equal(state_of(h), CKS_RW_SO_FUNCTIONS);
	assert_false(card_admin());
	/* the PUK is not the management key (the search may read 9A to
	 * learn its PIN policy: its private key needs the PIN) */
	assert_int_equal(find_n(h, CKO_PRIVATE_KEY, 1, NULL), 0);
	apdus = cnt().apdus;
	assert_int_equal(C_Logout(h), CKR_OK);
	assert_int_equal(cnt().apdus, apdus);
	assert_int_equal(state_of(h), CKS_RW_PUBLIC_SESSION);
}

/* --- PIN and PUK ----------------------------------------------------------------- */

static void
test_setpin_user(void **state)
{
	CK_SESSION_HANDLE h, ro;

	(void)state;
	h = open_rw();
	ro = open_ro();
	assert_int_equal(login_str(h, CKU_USER, PIN), CKR_OK);
	assert_int_equal(cnt().verify, 1);
	assert_int_equal(set_pin(ro, PIN, NEW_PIN), CKR_SESSION_READ_ONLY);
	assert_int_equal(C_SetPIN(h, NULL, 0, (CK_UTF8CHAR_PTR)NEW_PIN, 8),
	    CKR_ARGUMENTS_BAD);
	assert_int_equal(C_SetPIN(h, NULL, 0, NULL, 0), CKR_ARGUMENTS_BAD);
	assert_int_equal(set_pin(h, PIN, "12345"), CKR_PIN_LEN_RANGE);
	assert_int_equal(set_pin(h, "123456789", NEW_PIN), CKR_PIN_LEN_RANGE);
	assert_int_equal(ins(INS_CHANGE), 0);
	assert_int_equal(set_pin(h, PIN, NEW_PIN), CKR_OK);
	assert_int_equal(ins(INS_CHANGE), 1);
	assert_int_equal(cnt().verify, 1);	/* no VERIFY of ours */
	assert_int_equal(state_of(h), CKS_RW_USER_FUNCTIONS);
	assert_int_equal(memcmp(fx->card.pin, NEW_PIN, 8), 0);
	/* a wrong old PIN: a try gone, the card logged us out */
	assert_int_equal(set_pin(h, PIN, "11223344"), CKR_PIN_INCORRECT);
	assert_int_equal(fx->card.pin_tries_left, 2);
	assert_int_equal(state_of(h), CKS_RW_PUBLIC_SESSION);
	assert_int_equal(login_str(h, CKU_USER, NEW_PIN), CKR_OK);
	assert_int_equal(fx->card.pin_tries_left, 3);
	assert_int_equal(cnt().verify, 2);
	/* a PIN the card refuses (FF bytes): CKR_PIN_INVALID, no try */
	assert_int_equal(set_pin(h, NEW_PIN, "1234\xff\xff"), CKR_PIN_INVALID);
	assert_int_equal(fx->card.pin_tries_left, 3);
}

static void
test_setpin_public(void **state)
{
	CK_SESSION_HANDLE	h;
	CK_TOKEN_INFO		ti;

	(void)state;
	h = open_rw();
	assert_int_equal(set_pin(h, PIN, NEW_PIN), CKR_OK);
	assert_int_equal(ins(INS_CHANGE), 1);
	assert_int_equal(ins(INS_RESET), 0);
	assert_int_equal(cnt().verify, 0);	/* a status query only */
	assert_int_equal(memcmp(fx->card.pin, NEW_PIN, 8), 0);
	assert_int_equal(set_pin(h, PIN, NEW_PIN), CKR_PIN_INCORRECT);
	assert_int_equal(C_GetTokenInfo(0, &ti), CKR_OK);
	assert_true(ti.flags & CKF_USER_PIN_COUNT_LOW);
	assert_int_equal(login_str(h, CKU_USER, NEW_PIN), CKR_OK);
}

/* A PIN pad that can VERIFY but not change: refused, nothing sent. */
static void
test_setpin_pinpad(void **state)
{
	CK_SESSION_HANDLE	h;
	CK_TOKEN_INFO		ti;

	(void)state;
	emu_tr_set_pinpad(&fx->tr, fx->rd, PIN);
	h = open_rw();
	assert_int_equal(C_GetTokenInfo(0, &ti), CKR_OK);
	assert_true(ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH);
	assert_int_equal(C_SetPIN(h, NULL, 0, NULL, 0),
	    CKR_FUNCTION_NOT_SUPPORTED);
	assert_int_equal(ins(INS_CHANGE), 0);
	assert_int_equal(set_pin(h, PIN, NEW_PIN), CKR_OK);
	assert_int_equal(ins(INS_CHANGE), 1);
}

static void
test_unblock_setpin(void **state)
{
	CK_SESSION_HANDLE	h;
	CK_TOKEN_INFO		ti;
	int			i;

	(void)state;
	h = open_rw();
	for (i = 0; i < 2; i++)
		assert_int_equal(login_str(h, CKU_USER, "000000"),
		    CKR_PIN_INCORRECT);
	assert_int_equal(login_str(h, CKU_USER, "000000"), CKR_PIN_LOCKED);
	assert_int_equal(cnt().verify, 3);
	assert_int_equal(C_GetTokenInfo(0, &ti), CKR_OK);
	assert_true(ti.flags & CKF_USER_PIN_LOCKED);
	/* blocked and nobody logged in: the old value is the PUK */
	assert_int_equal(set_pin(h, "87878787", NEW_PIN), CKR_PIN_INCORRECT);
	assert_int_equal(fx->card.puk_tries_left, 2);
	assert_int_equal(set_pin(h, PUK, NEW_PIN), CKR_OK);
	assert_int_equal(ins(INS_RESET), 2);
	assert_int_equal(ins(INS_CHANGE), 0);
	assert_int_equal(fx->card.puk_tries_left, 3);
	assert_int_equal(fx->card.pin_tries_left, 3);
	assert_int_equal(cnt().verify, 3);
	assert_int_equal(C_GetTokenInfo(0, &ti), CKR_OK);
	assert_false(ti.flags & (CKF_USER_PIN_LOCKED | CKF_USER_PIN_COUNT_LOW));
	assert_int_equal(login_str(h, CKU_USER, NEW_PIN), CKR_OK);
	assert_int_equal(cnt().verify, 4);
}

static void
test_initpin(void **state)
{
	CK_SESSION_HANDLE	h, ro;
	int			i;

	(void)state;
	h = open_rw();
	assert_int_equal(C_InitPIN(h, (CK_UTF8CHAR_PTR)NEW_PIN, 8),
	    CKR_USER_NOT_LOGGED_IN);
	/* the management key alone cannot set a PIN */
	so_login(h);
	assert_int_equal(C_InitPIN(h, (CK_UTF8CHAR_PTR)NEW_PIN, 8),
	    CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(C_Logout(h), CKR_OK);
	/* block the PIN, then the PUK as SO */
	for (i = 0; i < 3; i++)
		(void)login_str(h, CKU_USER, "000000");
	assert_int_equal(fx->card.pin_tries_left, 0);
	assert_int_equal(login_str(h, CKU_SO, PUK), CKR_OK);
	assert_int_equal(C_InitPIN(h, NULL, 0), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_InitPIN(h, (CK_UTF8CHAR_PTR)"12", 2),
	    CKR_PIN_LEN_RANGE);
	assert_int_equal(ins(INS_RESET), 0);
	assert_int_equal(C_InitPIN(h, (CK_UTF8CHAR_PTR)NEW_PIN, 8), CKR_OK);
	assert_int_equal(ins(INS_RESET), 1);
	assert_int_equal(fx->card.pin_tries_left, 3);
	/* not blocked: it resets the PIN all the same */
	assert_int_equal(C_InitPIN(h, (CK_UTF8CHAR_PTR)PIN, 6), CKR_OK);
	assert_int_equal(C_Logout(h), CKR_OK);
	assert_int_equal(login_str(h, CKU_USER, PIN), CKR_OK);
	assert_int_equal(C_Logout(h), CKR_OK);
	/* a wrong PUK: refused once, the SO logged out, not sent again */
	assert_int_equal(login_str(h, CKU_SO, "99999999"), CKR_OK);
	assert_int_equal(C_InitPIN(h, (CK_UTF8CHAR_PTR)NEW_PIN, 8),
	    CKR_PIN_INCORRECT);
	assert_int_equal(fx->card.puk_tries_left, 2);
	assert_int_equal(state_of(h), CKS_RW_PUBLIC_SESSION);
	assert_int_equal(C_InitPIN(h, (CK_UTF8CHAR_PTR)NEW_PIN, 8),
	    CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(fx->card.puk_tries_left, 2);
	/* read-only session */
	assert_int_equal(C_CloseAllSessions(0), CKR_OK);
	ro = open_ro();
	assert_int_equal(C_InitPIN(ro, (CK_UTF8CHAR_PTR)NEW_PIN, 8),
	    CKR_SESSION_READ_ONLY);
	assert_int_equal(cnt().verify, 4);
}

static void
test_setpin_puk(void **state)
{
	CK_SESSION_HANDLE h;

	(void)state;
	h = open_rw();
	/* SO with the management key: C_SetPIN changes the PUK */
	so_login(h);
	assert_int_equal(set_pin(h, "11111111", NEW_PUK), CKR_PIN_INCORRECT);
	assert_int_equal(fx->card.puk_tries_left, 2);
	assert_int_equal(state_of(h), CKS_RW_SO_FUNCTIONS);
	assert_int_equal(set_pin(h, PUK, NEW_PUK), CKR_OK);
	assert_int_equal(memcmp(fx->card.puk, NEW_PUK, 8), 0);
	assert_int_equal(fx->card.puk_tries_left, 3);
	assert_int_equal(memcmp(fx->card.pin, PIN, 6), 0);
	assert_int_equal(C_Logout(h), CKR_OK);
	/* SO with the PUK: changes it and keeps the new one */
	assert_int_equal(login_str(h, CKU_SO, NEW_PUK), CKR_OK);
	assert_int_equal(set_pin(h, NEW_PUK, PUK), CKR_OK);
	assert_int_equal(memcmp(fx->card.puk, PUK, 8), 0);
	assert_int_equal(C_InitPIN(h, (CK_UTF8CHAR_PTR)NEW_PIN, 8), CKR_OK);
	assert_int_equal(memcmp(fx->card.pin, NEW_PIN, 8), 0);
	assert_int_equal(ins(INS_CHANGE), 3);
	assert_int_equal(cnt().verify, 0);
}

/* --- key generation --------------------------------------------------------------- */

static void
test_keygen_rsa(void **state)
{
	static const struct {
		uint8_t		id, ref;
		CK_ULONG	bits;
	} cases[] = {
		{ 0x01, 0x9a, 2048 }, { 0x05, 0x82, 3072 }, { 0x04, 0x9e, 4096 },
	};
	CK_OBJECT_HANDLE	pub = 0, priv = 0, old[3], other;
	CK_MECHANISM		sha256 = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_SESSION_HANDLE	h;
	EVP_PKEY		*pk;
	size_t			i;

	(void)state;
	h = open_rw();
	old[0] = find1(h, CKO_CERTIFICATE, 1);
	old[1] = find1(h, CKO_PUBLIC_KEY, 1);
	other = find1(h, CKO_PUBLIC_KEY, 2);
	so_login(h);
	old[2] = find1(h, CKO_PRIVATE_KEY, 1);	/* the SO sees it */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(gen_rsa(h, cases[i].id, cases[i].bits, &pub,
		    &priv), CKR_OK);
		assert_int_equal(ins(INS_GEN), i + 1);
		check_generated(h, cases[i].id, cases[i].ref, pub, priv,
		    CKK_RSA, cases[i].bits);
		assert_int_equal(card_key(cases[i].ref)->origin,
		    EMU_ORIGIN_GENERATED);
	}
	/* the replaced objects' handles are gone, the others stay */
	for (i = 0; i < 3; i++)
		assert_false(handle_valid(h, old[i]));
	assert_true(handle_valid(h, other));
	assert_null(emu_card_obj(&fx->card, 0x5fc105));
	/* the SO cannot sign; the user can with the signing references
	 * (9A, 9E; the retired 82 decrypts), and OpenSSL agrees */
	priv = find1(h, CKO_PRIVATE_KEY, 0x01);
	assert_int_equal(C_SignInit(h, &sha256, priv), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(C_Logout(h), CKR_OK);
	assert_int_equal(cnt().verify, 0);
	assert_int_equal(login_str(h, CKU_USER, PIN), CKR_OK);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i += 2) {
		priv = find1(h, CKO_PRIVATE_KEY, cases[i].id);
		pk = obj_pub(h, find1(h, CKO_PUBLIC_KEY, cases[i].id));
		sign_verify(h, priv, pk);
		EVP_PKEY_free(pk);
	}
	assert_int_equal(cnt().verify, 1);
}

static void
test_keygen_ec(void **state)
{
	CK_OBJECT_HANDLE	pub = 0, priv = 0, p2, k2;
	CK_SESSION_HANDLE	h;
	CK_BYTE			params[32];
	EVP_PKEY		*pk;
	uint64_t		v;

	(void)state;
	h = open_rw();
	so_login(h);
	/* P-256 in 9C (OID), P-384 in 9E (OID) and retired 83 (ID 06) */
	assert_int_equal(gen_ec(h, 0x02, oid_p256, sizeof(oid_p256), NULL, 0,
	    &p2, &k2), CKR_OK);
	check_generated(h, 0x02, 0x9c, p2, k2, CKK_EC, 256);
	assert_true(attr_bool(h, k2, CKA_ALWAYS_AUTHENTICATE));
	assert_int_equal(attr_bytes(h, p2, CKA_EC_PARAMS, params,
	    sizeof(params)), sizeof(oid_p256));
	assert_memory_equal(params, oid_p256, sizeof(oid_p256));
	assert_int_equal(gen_ec(h, 0x04, oid_p384, sizeof(oid_p384), NULL, 0,
	    &pub, &priv), CKR_OK);
	check_generated(h, 0x04, 0x9e, pub, priv, CKK_EC, 384);
	assert_false(attr_bool(h, priv, CKA_ALWAYS_AUTHENTICATE));
	/* the curve by name */
	assert_int_equal(gen_ec(h, 0x06, name_p256, sizeof(name_p256), NULL,
	    0, &pub, &priv), CKR_OK);
	check_generated(h, 0x06, 0x83, pub, priv, CKK_EC, 256);
	assert_int_equal(ins(INS_GEN), 3);
	assert_int_equal(C_Logout(h), CKR_OK);
	assert_int_equal(login_str(h, CKU_USER, PIN), CKR_OK);
	v = cnt().verify;
	pk = obj_pub(h, p2);
	sign_verify(h, k2, pk);		/* 9C: one context VERIFY */
	EVP_PKEY_free(pk);
	assert_int_equal(cnt().verify, v + 1);
	pk = obj_pub(h, find1(h, CKO_PUBLIC_KEY, 0x04));
	sign_verify(h, find1(h, CKO_PRIVATE_KEY, 0x04), pk);
	EVP_PKEY_free(pk);
	assert_int_equal(cnt().verify, v + 1);
	/* the retired reference derives, it does not sign */
	assert_false(attr_bool(h, priv, CKA_SIGN));
	assert_true(attr_bool(h, priv, CKA_DERIVE));
}

static void
test_keygen_errors(void **state)
{
	CK_MECHANISM		m = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_MECHANISM		bad = { CKM_RSA_PKCS, NULL, 0 };
	CK_MECHANISM		par = { CKM_EC_KEY_PAIR_GEN, "x", 1 };
	CK_OBJECT_HANDLE	pub = 0, priv = 0;
	CK_SESSION_HANDLE	h, ro;
	CK_BBOOL		t = CK_TRUE, f = CK_FALSE;
	CK_ULONG		ul = 2048, pol = 3, cls = CKO_PUBLIC_KEY;
	CK_KEY_TYPE		rsa = CKK_RSA;
	uint8_t			id = 1, id2 = 2, badid = 0x30;
	CK_BYTE			e3[] = { 0x03 };
	CK_ATTRIBUTE		a[4];
	CK_ATTRIBUTE		pt[] = {
		{ CKA_EC_PARAMS, (void *)oid_p256, sizeof(oid_p256) },
		{ CKA_ID, &id, 1 },
	};
	CK_ATTRIBUTE		pt_noid[] = {
		{ CKA_EC_PARAMS, (void *)oid_p256, sizeof(oid_p256) },
	};

	(void)state;
	ro = open_ro();
	assert_int_equal(C_GenerateKeyPair(ro, &m, pt, 2, NULL, 0, &pub,
	    &priv), CKR_SESSION_READ_ONLY);
	assert_int_equal(C_CloseSession(ro), CKR_OK);
	h = open_rw();
	assert_int_equal(C_GenerateKeyPair(h, &m, pt, 2, NULL, 0, &pub,
	    &priv), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(login_str(h, CKU_USER, PIN), CKR_OK);
	assert_int_equal(C_GenerateKeyPair(h, &m, pt, 2, NULL, 0, &pub,
	    &priv), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(C_Logout(h), CKR_OK);
	assert_int_equal(login_str(h, CKU_SO, PUK), CKR_OK);
	assert_int_equal(C_GenerateKeyPair(h, &m, pt, 2, NULL, 0, &pub,
	    &priv), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(C_Logout(h), CKR_OK);
	so_login(h);
	assert_int_equal(C_GenerateKeyPair(h, NULL, pt, 2, NULL, 0, &pub,
	    &priv), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_GenerateKeyPair(h, &m, NULL, 2, NULL, 0, &pub,
	    &priv), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_GenerateKeyPair(h, &m, pt, 2, NULL, 0, NULL,
	    &priv), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_GenerateKeyPair(h, &bad, pt, 2, NULL, 0, &pub,
	    &priv), CKR_MECHANISM_INVALID);
	assert_int_equal(C_GenerateKeyPair(h, &par, pt, 2, NULL, 0, &pub,
	    &priv), CKR_MECHANISM_PARAM_INVALID);
	assert_int_equal(C_GenerateKeyPair(h, &m, pt_noid, 1, NULL, 0, &pub,
	    &priv), CKR_TEMPLATE_INCOMPLETE);
	assert_int_equal(C_GenerateKeyPair(h, &m, &pt[1], 1, NULL, 0, &pub,
	    &priv), CKR_TEMPLATE_INCOMPLETE);
	a[0] = pt[0];
	a[1] = (CK_ATTRIBUTE){ CKA_ID, &badid, 1 };
	assert_int_equal(C_GenerateKeyPair(h, &m, a, 2, NULL, 0, &pub,
	    &priv), CKR_ATTRIBUTE_VALUE_INVALID);
	a[1] = (CK_ATTRIBUTE){ CKA_ID, &id2, 1 };
	assert_int_equal(C_GenerateKeyPair(h, &m, pt, 2, a, 2, &pub, &priv),
	    CKR_TEMPLATE_INCONSISTENT);		/* two IDs */
	a[0] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)oid_p521,
	    sizeof(oid_p521) };
	assert_int_equal(C_GenerateKeyPair(h, &m, &pt[1], 1, a, 1, &pub,
	    &priv), CKR_ATTRIBUTE_VALUE_INVALID);
	a[0] = (CK_ATTRIBUTE){ CKA_MODULUS_BITS, &ul, sizeof(ul) };
	assert_int_equal(C_GenerateKeyPair(h, &m, pt, 2, a, 1, &pub, &priv),
	    CKR_TEMPLATE_INCONSISTENT);
	a[0] = (CK_ATTRIBUTE){ CKA_KEY_TYPE, &rsa, sizeof(rsa) };
	assert_int_equal(C_GenerateKeyPair(h, &m, pt, 2, a, 1, &pub, &priv),
	    CKR_TEMPLATE_INCONSISTENT);
	a[0] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
	assert_int_equal(C_GenerateKeyPair(h, &m, pt, 2, a, 1, &pub, &priv),
	    CKR_TEMPLATE_INCONSISTENT);
	a[0] = (CK_ATTRIBUTE){ CKA_LOCAL, &t, sizeof(t) };
	assert_int_equal(C_GenerateKeyPair(h, &m, pt, 2, a, 1, &pub, &priv),
	    CKR_ATTRIBUTE_READ_ONLY);
	a[0] = (CK_ATTRIBUTE){ CKA_TOKEN, &f, sizeof(f) };
	assert_int_equal(C_GenerateKeyPair(h, &m, pt, 2, a, 1, &pub, &priv),
	    CKR_ATTRIBUTE_VALUE_INVALID);
	a[0] = (CK_ATTRIBUTE){ CKA_EXTRACTABLE, &t, sizeof(t) };
	assert_int_equal(C_GenerateKeyPair(h, &m, pt, 2, a, 1, &pub, &priv),
	    CKR_ATTRIBUTE_VALUE_INVALID);
	a[0] = (CK_ATTRIBUTE){ CKA_VALUE_LEN, &ul, sizeof(ul) };
	assert_int_equal(C_GenerateKeyPair(h, &m, pt, 2, a, 1, &pub, &priv),
	    CKR_ATTRIBUTE_TYPE_INVALID);
	/* policies: only a YubiKey takes them; nothing sent */
	a[0] = (CK_ATTRIBUTE){ CKA_SMARTSIGN_PIN_POLICY, &pol, sizeof(pol) };
	assert_int_equal(C_GenerateKeyPair(h, &m, pt, 2, a, 1, &pub, &priv),
	    CKR_TEMPLATE_INCONSISTENT);
	a[0] = (CK_ATTRIBUTE){ CKA_ALWAYS_AUTHENTICATE, &f, sizeof(f) };
	a[1] = (CK_ATTRIBUTE){ CKA_ID, &id2, 1 };
	assert_int_equal(C_GenerateKeyPair(h, &m, &pt[0], 1, a, 2, &pub,
	    &priv), CKR_TEMPLATE_INCONSISTENT);	/* 9C is always */
	/* RSA: sizes and exponent */
	m.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
	assert_int_equal(C_GenerateKeyPair(h, &m, &pt[1], 1, NULL, 0, &pub,
	    &priv), CKR_TEMPLATE_INCOMPLETE);
	ul = 1024;
	a[0] = (CK_ATTRIBUTE){ CKA_MODULUS_BITS, &ul, sizeof(ul) };
	assert_int_equal(C_GenerateKeyPair(h, &m, &pt[1], 1, a, 1, &pub,
	    &priv), CKR_ATTRIBUTE_VALUE_INVALID);
	ul = 2048;
	a[1] = (CK_ATTRIBUTE){ CKA_PUBLIC_EXPONENT, e3, sizeof(e3) };
	a[2] = pt[1];
	assert_int_equal(C_GenerateKeyPair(h, &m, a, 3, NULL, 0, &pub,
	    &priv), CKR_ATTRIBUTE_VALUE_INVALID);
	assert_int_equal(C_GenerateKeyPair(h, &m, pt, 2, a, 1, &pub,
	    &priv), CKR_TEMPLATE_INCONSISTENT);	/* EC params for RSA */
	assert_int_equal(ins(INS_GEN), 0);
	assert_int_equal(cnt().verify, 1);
}

static void
test_keygen_policy_yk(void **state)
{
	CK_OBJECT_HANDLE	pub = 0, priv = 0;
	CK_SESSION_HANDLE	h;
	CK_BBOOL		t = CK_TRUE, f = CK_FALSE;
	CK_ULONG		never = 1, cached = 3, always = 3;
	CK_ATTRIBUTE		a[2];

	(void)state;
	h = open_rw();
	so_login(h);
	/* 9A: PIN never, touch cached */
	a[0] = (CK_ATTRIBUTE){ CKA_SMARTSIGN_PIN_POLICY, &never,
	    sizeof(never) };
	a[1] = (CK_ATTRIBUTE){ CKA_SMARTSIGN_TOUCH_POLICY, &cached,
	    sizeof(cached) };
	assert_int_equal(gen_ec(h, 0x01, oid_p256, sizeof(oid_p256), a, 2,
	    &pub, &priv), CKR_OK);
	assert_int_equal(card_key(0x9a)->pin_policy, EMU_PIN_POLICY_NEVER);
	assert_int_equal(card_key(0x9a)->touch_policy,
	    EMU_TOUCH_POLICY_CACHED);
	assert_false(attr_bool(h, priv, CKA_ALWAYS_AUTHENTICATE));
	/* 9D: CKA_ALWAYS_AUTHENTICATE TRUE is policy always */
	a[0] = (CK_ATTRIBUTE){ CKA_ALWAYS_AUTHENTICATE, &t, sizeof(t) };
	assert_int_equal(gen_ec(h, 0x03, oid_p256, sizeof(oid_p256), a, 1,
	    &pub, &priv), CKR_OK);
	assert_int_equal(card_key(0x9d)->pin_policy, EMU_PIN_POLICY_ALWAYS);
	assert_true(attr_bool(h, priv, CKA_ALWAYS_AUTHENTICATE));
	/* 9C: FALSE is once */
	a[0] = (CK_ATTRIBUTE){ CKA_ALWAYS_AUTHENTICATE, &f, sizeof(f) };
	assert_int_equal(gen_ec(h, 0x02, oid_p256, sizeof(oid_p256), a, 1,
	    &pub, &priv), CKR_OK);
	assert_int_equal(card_key(0x9c)->pin_policy, EMU_PIN_POLICY_ONCE);
	assert_false(attr_bool(h, priv, CKA_ALWAYS_AUTHENTICATE));
	/* contradicting each other */
	a[1] = (CK_ATTRIBUTE){ CKA_SMARTSIGN_PIN_POLICY, &always,
	    sizeof(always) };
	assert_int_equal(gen_ec(h, 0x02, oid_p256, sizeof(oid_p256), a, 2,
	    &pub, &priv), CKR_TEMPLATE_INCONSISTENT);
	always = 4;
	assert_int_equal(gen_ec(h, 0x02, oid_p256, sizeof(oid_p256), &a[1],
	    1, &pub, &priv), CKR_ATTRIBUTE_VALUE_INVALID);
	assert_int_equal(ins(INS_GEN), 3);
	/* what a YubiKey says survives a new binding: origin, policy */
	assert_int_equal(C_CloseAllSessions(0), CKR_OK);
	emu_tr_remove(&fx->tr, fx->rd);
	emu_tr_insert(&fx->tr, fx->rd, &fx->card);
	h = open_rw();
	assert_int_equal(login_str(h, CKU_USER, PIN), CKR_OK);
	priv = find1(h, CKO_PRIVATE_KEY, 0x03);
	assert_true(attr_bool(h, priv, CKA_LOCAL));
	assert_true(attr_bool(h, priv, CKA_ALWAYS_AUTHENTICATE));
}

/* --- certificates ------------------------------------------------------------------- */

/* A certificate for pk from a throw-away issuer, with a comment of
 * filler bytes when filler > 0; DER into *der. */
static size_t
make_cert_big(EVP_PKEY *pk, const char *cn, size_t filler, uint8_t **der)
{
	static uint8_t		 fill[4096];
	ASN1_OCTET_STRING	*os = NULL;
	X509_EXTENSION		*ext = NULL;
	EVP_PKEY	*ca = EVP_EC_gen("P-256");
	X509		*x = X509_new();
	X509_NAME	*n;
	int		 len;

	assert_non_null(ca);
	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 7), 1);
	n = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_set_issuer_name(x, n), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_int_equal(X509_set_pubkey(x, pk), 1);
	if (filler > 0) {
		memset(fill, 'a', sizeof(fill));
		assert_non_null(os = ASN1_OCTET_STRING_new());
		assert_int_equal(ASN1_OCTET_STRING_set(os, fill, (int)filler),
		    1);
		assert_non_null(ext = X509_EXTENSION_create_by_NID(NULL,
		    NID_netscape_comment, 0, os));
		assert_int_equal(X509_add_ext(x, ext, -1), 1);
		X509_EXTENSION_free(ext);
		ASN1_OCTET_STRING_free(os);
	}
	assert_true(X509_sign(x, ca, EVP_sha256()) > 0);
	*der = NULL;
	assert_true((len = i2d_X509(x, der)) > 0);
	X509_free(x);
	EVP_PKEY_free(ca);
	return (size_t)len;
}

static size_t
make_cert(EVP_PKEY *pk, const char *cn, uint8_t **der)
{
	return make_cert_big(pk, cn, 0, der);
}

static CK_RV
put_cert(CK_SESSION_HANDLE h, uint8_t id, const uint8_t *der, size_t len,
    CK_OBJECT_HANDLE *o)
{
	CK_OBJECT_CLASS		cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE	ct = CKC_X_509;
	CK_BBOOL		t = CK_TRUE, f = CK_FALSE;
	CK_ATTRIBUTE		a[] = {
		{ CKA_TOKEN, &t, sizeof(t) },
		{ CKA_VALUE, (void *)der, len },
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_CERTIFICATE_TYPE, &ct, sizeof(ct) },
		{ CKA_PRIVATE, &f, sizeof(f) },
		{ CKA_LABEL, "label", 5 },
		{ CKA_ID, &id, 1 },
	};

	return C_CreateObject(h, a, sizeof(a) / sizeof(a[0]), o);
}

/* The certificate container on the card: 53 { 70 der, 71 01 00, FE 00 }. */
static void
check_container(uint32_t tag, const uint8_t *der, size_t len)
{
	const struct emu_object	*obj = emu_card_obj(&fx->card, tag);
	size_t			 hl = len < 256 ? 2 : 4;

	assert_non_null(obj);
	assert_int_equal(obj->len, hl + len + 5);
	assert_int_equal(obj->data[0], 0x70);
	assert_memory_equal(obj->data + hl, der, len);
	assert_memory_equal(obj->data + hl + len, "\x71\x01\x00\xfe\x00", 5);
}

static void
test_cert_write_delete(void **state)
{
	CK_OBJECT_HANDLE	pub = 0, priv = 0, c = 0, c2 = 0;
	CK_SESSION_HANDLE	h, ro;
	CK_OBJECT_CLASS		dcls = CKO_DATA;
	CK_ATTRIBUTE		data = { CKA_CLASS, &dcls, sizeof(dcls) };
	uint8_t			*der = NULL, buf[4096], big[3500];
	EVP_PKEY		*pk;
	uint64_t		 puts0;
	size_t			 len;

	(void)state;
	h = open_rw();
	so_login(h);
	assert_int_equal(gen_rsa(h, 0x01, 2048, &pub, &priv), CKR_OK);
	pk = obj_pub(h, pub);
	len = make_cert(pk, "generated 9A", &der);
	assert_int_equal(ins(INS_PUT), 1);	/* the old certificate deleted */
	assert_null(emu_card_obj(&fx->card, 0x5fc105));
	assert_int_equal(put_cert(h, 0x01, der, len, &c), CKR_OK);
	check_container(0x5fc105, der, len);
	assert_int_equal(find1(h, CKO_CERTIFICATE, 1), c);
	assert_int_equal(attr_bytes(h, c, CKA_VALUE, buf, sizeof(buf)), len);
	assert_memory_equal(buf, der, len);
	assert_true(attr_bool(h, c, CKA_DESTROYABLE));
	assert_false(attr_bool(h, pub, CKA_DESTROYABLE));
	/* the key objects kept their handles */
	assert_true(handle_valid(h, pub));
	assert_true(handle_valid(h, priv));
	/* writing again replaces it: the first handle goes */
	assert_int_equal(put_cert(h, 0x01, der, len, &c2), CKR_OK);
	assert_int_not_equal(c, c2);
	assert_false(handle_valid(h, c));
	/* destroy */
	assert_int_equal(C_DestroyObject(h, pub), CKR_ACTION_PROHIBITED);
	assert_int_equal(C_DestroyObject(h, priv), CKR_ACTION_PROHIBITED);
	assert_int_equal(C_DestroyObject(h, BADH), CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(C_DestroyObject(h, c2), CKR_OK);
	assert_false(handle_valid(h, c2));
	assert_int_equal(C_DestroyObject(h, c2), CKR_OBJECT_HANDLE_INVALID);
	assert_null(emu_card_obj(&fx->card, 0x5fc105));
	assert_int_equal(find_n(h, CKO_CERTIFICATE, 1, NULL), 0);
	assert_true(handle_valid(h, pub));
	/* errors: nothing sent */
	puts0 = ins(INS_PUT);
	assert_int_equal(put_cert(h, 0x30, der, len, &c),
	    CKR_ATTRIBUTE_VALUE_INVALID);
	assert_int_equal(put_cert(h, 0x01, der, len - 1, &c),
	    CKR_ATTRIBUTE_VALUE_INVALID);
	memset(big, 0, sizeof(big));
	memcpy(big, der, len);
	assert_int_equal(put_cert(h, 0x01, big, len + 1, &c),
	    CKR_ATTRIBUTE_VALUE_INVALID);
	assert_int_equal(C_CreateObject(h, &data, 1, &c),
	    CKR_TEMPLATE_INCONSISTENT);
	assert_int_equal(C_CreateObject(h, NULL, 1, &c), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_CreateObject(h, &data, 1, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_CreateObject(h, NULL, 0, &c),
	    CKR_TEMPLATE_INCOMPLETE);
	/* not the SO, read-only: nothing written */
	assert_int_equal(C_Logout(h), CKR_OK);
	assert_int_equal(put_cert(h, 0x01, der, len, &c),
	    CKR_USER_NOT_LOGGED_IN);
	ro = open_ro();
	assert_int_equal(put_cert(ro, 0x01, der, len, &c),
	    CKR_SESSION_READ_ONLY);
	c = find1(ro, CKO_CERTIFICATE, 2);
	assert_int_equal(C_DestroyObject(ro, c), CKR_SESSION_READ_ONLY);
	assert_int_equal(C_DestroyObject(h, c), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(ins(INS_PUT), puts0);
	assert_int_equal(cnt().verify, 0);
	EVP_PKEY_free(pk);
	OPENSSL_free(der);
}

static void
test_cert_errors(void **state)
{
	CK_OBJECT_CLASS		cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE	wtls = CKC_WTLS;
	CK_OBJECT_HANDLE	c = 0;
	CK_SESSION_HANDLE	h;
	uint8_t			id = 1, *der = NULL;
	size_t			len;
	EVP_PKEY		*pk;
	CK_ATTRIBUTE		a[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_CERTIFICATE_TYPE, &wtls, sizeof(wtls) },
		{ CKA_ID, &id, 1 },
		{ CKA_VALUE, NULL, 0 },
	};

	(void)state;
	h = open_rw();
	so_login(h);
	pk = obj_pub(h, find1(h, CKO_PUBLIC_KEY, 1));
	len = make_cert(pk, "x", &der);
	a[3].pValue = der;
	a[3].ulValueLen = len;
	assert_int_equal(C_CreateObject(h, a, 4, &c),
	    CKR_ATTRIBUTE_VALUE_INVALID);
	assert_int_equal(C_CreateObject(h, a, 1, &c), CKR_TEMPLATE_INCOMPLETE);
	a[1] = a[3];
	assert_int_equal(C_CreateObject(h, a, 3, &c), CKR_TEMPLATE_INCOMPLETE);
	assert_int_equal(ins(INS_PUT), 0);
	/* a written certificate for a key the module read from the card:
	 * the objects are read again and show what the card says */
	assert_int_equal(put_cert(h, 0x01, der, len, &c), CKR_OK);
	assert_int_equal(find1(h, CKO_CERTIFICATE, 1), c);
	EVP_PKEY_free(pk);
	OPENSSL_free(der);
}

/* A certificate bigger than the card takes: CKR_DEVICE_MEMORY. */
static void
test_cert_too_big(void **state)
{
	CK_OBJECT_HANDLE	c = 0, old;
	CK_SESSION_HANDLE	h;
	EVP_PKEY		*pk;
	uint8_t			*der = NULL;
	size_t			 len;

	(void)state;
	h = open_rw();
	old = find1(h, CKO_CERTIFICATE, 1);
	so_login(h);
	pk = obj_pub(h, find1(h, CKO_PUBLIC_KEY, 1));
	len = make_cert_big(pk, "big", 3500, &der);
	assert_true(len > 3100);
	assert_int_equal(put_cert(h, 0x01, der, len, &c), CKR_DEVICE_MEMORY);
	assert_int_equal(ins(INS_PUT), 1);	/* one extended APDU */
	assert_non_null(emu_card_obj(&fx->card, 0x5fc105));	/* kept */
	assert_true(handle_valid(h, old));
	OPENSSL_free(der);
	EVP_PKEY_free(pk);
}

/* --- key import -------------------------------------------------------------------- */

static void
bn_attr(CK_ATTRIBUTE *a, CK_ATTRIBUTE_TYPE t, EVP_PKEY *pk,
    const char *param, uint8_t *buf)
{
	BIGNUM	*bn = NULL;
	int	 n;

	assert_int_equal(EVP_PKEY_get_bn_param(pk, param, &bn), 1);
	n = BN_bn2bin(bn, buf);
	BN_clear_free(bn);
	a->type = t;
	a->pValue = buf;
	a->ulValueLen = (CK_ULONG)n;
}

static CK_RV
import_rsa(CK_SESSION_HANDLE h, uint8_t id, EVP_PKEY *pk,
    CK_OBJECT_HANDLE *o, int drop)
{
	static const struct {
		CK_ATTRIBUTE_TYPE	 t;
		const char		*p;
	} parts[] = {
		{ CKA_MODULUS, OSSL_PKEY_PARAM_RSA_N },
		{ CKA_PUBLIC_EXPONENT, OSSL_PKEY_PARAM_RSA_E },
		{ CKA_PRIVATE_EXPONENT, OSSL_PKEY_PARAM_RSA_D },
		{ CKA_PRIME_1, OSSL_PKEY_PARAM_RSA_FACTOR1 },
		{ CKA_PRIME_2, OSSL_PKEY_PARAM_RSA_FACTOR2 },
		{ CKA_EXPONENT_1, OSSL_PKEY_PARAM_RSA_EXPONENT1 },
		{ CKA_EXPONENT_2, OSSL_PKEY_PARAM_RSA_EXPONENT2 },
		{ CKA_COEFFICIENT, OSSL_PKEY_PARAM_RSA_COEFFICIENT1 },
	};
	static uint8_t		bufs[8][512];
	CK_OBJECT_CLASS		cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE		kt = CKK_RSA;
	CK_BBOOL		t = CK_TRUE;
	CK_ATTRIBUTE		a[16];
	CK_ULONG		n = 0;
	size_t			i;
	CK_RV			rv;

	a[n++] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
	a[n++] = (CK_ATTRIBUTE){ CKA_KEY_TYPE, &kt, sizeof(kt) };
	a[n++] = (CK_ATTRIBUTE){ CKA_TOKEN, &t, sizeof(t) };
	a[n++] = (CK_ATTRIBUTE){ CKA_SIGN, &t, sizeof(t) };
	a[n++] = (CK_ATTRIBUTE){ CKA_ID, &id, 1 };
	for (i = 0; i < 8; i++)
		if ((int)i != drop)
			bn_attr(&a[n++], parts[i].t, pk, parts[i].p, bufs[i]);
	if (drop == 100)
		bufs[3][10] ^= 1;	/* p no longer a factor */
	rv = C_CreateObject(h, a, n, o);
	for (i = 0; i < 8; i++)
		ss_wipe(bufs[i], sizeof(bufs[i]));
	return rv;
}

static CK_RV
import_ec(CK_SESSION_HANDLE h, uint8_t id, EVP_PKEY *pk, const uint8_t *oid,
    size_t oidlen, CK_OBJECT_HANDLE *o)
{
	CK_OBJECT_CLASS		cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE		kt = CKK_EC;
	uint8_t			d[64];
	CK_ATTRIBUTE		a[5];
	CK_RV			rv;

	a[0] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
	a[1] = (CK_ATTRIBUTE){ CKA_KEY_TYPE, &kt, sizeof(kt) };
	a[2] = (CK_ATTRIBUTE){ CKA_ID, &id, 1 };
	a[3] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)oid, oidlen };
	bn_attr(&a[4], CKA_VALUE, pk, OSSL_PKEY_PARAM_PRIV_KEY, d);
	rv = C_CreateObject(h, a, 5, o);
	ss_wipe(d, sizeof(d));
	return rv;
}

static void
test_import_yk(void **state)
{
	CK_OBJECT_HANDLE	o = 0, cert, pub;
	CK_SESSION_HANDLE	h;
	EVP_PKEY		*rsa, *ec, *pk;

	(void)state;
	assert_non_null(rsa = EVP_RSA_gen(2048));
	assert_non_null(ec = EVP_EC_gen("P-384"));
	h = open_rw();
	cert = find1(h, CKO_CERTIFICATE, 4);
	so_login(h);
	/* errors first: nothing sent */
	assert_int_equal(import_rsa(h, 0x04, rsa, &o, 4),
	    CKR_TEMPLATE_INCOMPLETE);
	assert_int_equal(import_rsa(h, 0x04, rsa, &o, 100),
	    CKR_ATTRIBUTE_VALUE_INVALID);
	assert_int_equal(import_ec(h, 0x02, ec, oid_p256, sizeof(oid_p256),
	    &o), CKR_ATTRIBUTE_VALUE_INVALID);	/* scalar and curve differ */
	assert_int_equal(ins(INS_IMPORT), 0);
	/* RSA-2048 into 9E: the old certificate (another key) goes */
	assert_int_equal(import_rsa(h, 0x04, rsa, &o, -1), CKR_OK);
	assert_true(ins(INS_IMPORT) > 0);
	assert_int_equal(EVP_PKEY_eq(card_key(0x9e)->pkey, rsa), 1);
	assert_int_equal(card_key(0x9e)->origin, EMU_ORIGIN_IMPORTED);
	assert_int_equal(find1(h, CKO_PRIVATE_KEY, 4), o);
	assert_false(attr_bool(h, o, CKA_LOCAL));
	assert_false(handle_valid(h, cert));
	assert_int_equal(find_n(h, CKO_CERTIFICATE, 4, NULL), 0);
	pub = find1(h, CKO_PUBLIC_KEY, 4);
	pk = obj_pub(h, pub);
	assert_int_equal(EVP_PKEY_eq(pk, rsa), 1);
	EVP_PKEY_free(pk);
	/* P-384 into 9C, and into the retired 82 */
	assert_int_equal(import_ec(h, 0x02, ec, oid_p384, sizeof(oid_p384),
	    &o), CKR_OK);
	assert_int_equal(EVP_PKEY_eq(card_key(0x9c)->pkey, ec), 1);
	assert_int_equal(import_ec(h, 0x05, ec, oid_p384, sizeof(oid_p384),
	    &o), CKR_OK);
	assert_int_equal(EVP_PKEY_eq(card_key(0x82)->pkey, ec), 1);
	/* the key a certificate is for: the certificate stays */
	cert = find1(h, CKO_CERTIFICATE, 1);
	assert_int_equal(import_rsa(h, 0x01, card_key(0x9a)->pkey, &o, -1),
	    CKR_OK);
	assert_int_equal(find1(h, CKO_CERTIFICATE, 1), cert);
	assert_non_null(emu_card_obj(&fx->card, 0x5fc105));
	/* sign with the imported keys */
	assert_int_equal(C_Logout(h), CKR_OK);
	assert_int_equal(login_str(h, CKU_USER, PIN), CKR_OK);
	sign_verify(h, find1(h, CKO_PRIVATE_KEY, 4), rsa);
	sign_verify(h, find1(h, CKO_PRIVATE_KEY, 2), ec);
	sign_verify(h, find1(h, CKO_PRIVATE_KEY, 1), card_key(0x9a)->pkey);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
}

static void
test_import_plain(void **state)
{
	CK_OBJECT_HANDLE	o = 0;
	CK_SESSION_HANDLE	h;
	EVP_PKEY		*ec;

	(void)state;
	assert_non_null(ec = EVP_EC_gen("P-256"));
	h = open_rw();
	assert_int_equal(import_ec(h, 0x05, ec, oid_p256, sizeof(oid_p256),
	    &o), CKR_USER_NOT_LOGGED_IN);
	so_login(h);
	assert_int_equal(import_ec(h, 0x05, ec, oid_p256, sizeof(oid_p256),
	    &o), CKR_TEMPLATE_INCONSISTENT);
	assert_int_equal(ins(INS_IMPORT), 0);
	assert_null(card_key(0x82)->pkey);
	EVP_PKEY_free(ec);
}

/* --- attributes, visibility, resets ------------------------------------------------ */

static void
test_setattr(void **state)
{
	CK_OBJECT_HANDLE	c, k;
	CK_SESSION_HANDLE	h;
	CK_ULONG		vl = 1;
	uint8_t			label[80], id = 1;
	size_t			n;
	CK_ATTRIBUTE		a[2];

	(void)state;
	h = open_rw();
	c = find1(h, CKO_CERTIFICATE, 1);
	k = find1(h, CKO_PUBLIC_KEY, 1);
	n = attr_bytes(h, c, CKA_LABEL, label, sizeof(label));
	a[0] = (CK_ATTRIBUTE){ CKA_LABEL, label, n };
	a[1] = (CK_ATTRIBUTE){ CKA_ID, &id, 1 };
	assert_int_equal(C_SetAttributeValue(h, c, a, 2), CKR_OK);
	a[0].ulValueLen = 3;
	assert_int_equal(C_SetAttributeValue(h, c, a, 1),
	    CKR_ACTION_PROHIBITED);
	so_login(h);
	assert_int_equal(C_SetAttributeValue(h, k, a, 1),
	    CKR_ACTION_PROHIBITED);
	a[0] = (CK_ATTRIBUTE){ CKA_VALUE_LEN, &vl, sizeof(vl) };
	assert_int_equal(C_SetAttributeValue(h, c, a, 1),
	    CKR_ATTRIBUTE_TYPE_INVALID);
	assert_int_equal(C_SetAttributeValue(h, BADH, a, 1),
	    CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(C_SetAttributeValue(h, c, NULL, 1),
	    CKR_ARGUMENTS_BAD);
	assert_int_equal(ins(INS_PUT), 0);
}

static void
test_reset_drops_so(void **state)
{
	CK_OBJECT_HANDLE	pub = 0, priv = 0;
	CK_SESSION_HANDLE	h;

	(void)state;
	h = open_rw();
	so_login(h);
	emu_tr_reset(&fx->tr, fx->rd);
	assert_int_equal(gen_ec(h, 0x01, oid_p256, sizeof(oid_p256), NULL, 0,
	    &pub, &priv), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(state_of(h), CKS_RW_PUBLIC_SESSION);
	assert_int_equal(ins(INS_GEN), 0);
	/* logged in again, it works */
	so_login(h);
	assert_int_equal(gen_ec(h, 0x01, oid_p256, sizeof(oid_p256), NULL, 0,
	    &pub, &priv), CKR_OK);
	/* the card forgot the authentication behind our back: 6982 */
	fx->tr.rd[fx->rd].ctx->sess.mgmt_authed = false;
	assert_int_equal(gen_ec(h, 0x01, oid_p256, sizeof(oid_p256), NULL, 0,
	    &pub, &priv), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(state_of(h), CKS_RW_PUBLIC_SESSION);
	assert_true(handle_valid(h, pub));
}

static void
test_mechanisms(void **state)
{
	CK_MECHANISM_TYPE	l[96];
	CK_MECHANISM_INFO	mi;
	CK_ULONG		n = 96, i, found = 0;

	(void)state;
	assert_int_equal(C_GetMechanismList(0, l, &n), CKR_OK);
	for (i = 0; i < n; i++)
		if (l[i] == CKM_RSA_PKCS_KEY_PAIR_GEN ||
		    l[i] == CKM_EC_KEY_PAIR_GEN)
			found++;
	assert_int_equal(found, 2);
	assert_int_equal(C_GetMechanismInfo(0, CKM_RSA_PKCS_KEY_PAIR_GEN, &mi),
	    CKR_OK);
	assert_true(mi.flags & CKF_GENERATE_KEY_PAIR);
	assert_int_equal(mi.ulMinKeySize, 2048);
	assert_int_equal(mi.ulMaxKeySize, 4096);
	assert_int_equal(C_GetMechanismInfo(0, CKM_EC_KEY_PAIR_GEN, &mi),
	    CKR_OK);
	assert_true(mi.flags & CKF_GENERATE_KEY_PAIR);
	assert_int_equal(mi.ulMaxKeySize, 384);
}

/* Nothing secret reaches the debug log. */
static void
test_no_secrets_logged(void **state)
{
	char			path[] = "/tmp/p11-manage-log-XXXXXX";
	static char		buf[262144];
	CK_SESSION_HANDLE	h;
	ssize_t			n;
	int			fd;

	(void)state;
	assert_int_equal(C_Finalize(NULL), CKR_OK);
	assert_true((fd = mkstemp(path)) >= 0);
	setenv("SMARTSIGN_DEBUG", path, 1);
	assert_int_equal(C_Initialize(NULL), CKR_OK);
	unsetenv("SMARTSIGN_DEBUG");
	h = open_rw();
	assert_int_equal(set_pin(h, PIN, NEW_PIN), CKR_OK);
	so_login(h);
	assert_int_equal(set_pin(h, PUK, NEW_PUK), CKR_OK);
	assert_int_equal(C_Logout(h), CKR_OK);
	assert_int_equal(login_str(h, CKU_SO, NEW_PUK), CKR_OK);
	assert_int_equal(C_InitPIN(h, (CK_UTF8CHAR_PTR)PIN, 6), CKR_OK);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "C_SetPIN -> CKR_OK"));
	assert_non_null(strstr(buf, "> 00A40400"));
	assert_null(strstr(buf, "0102030405060708"));
	assert_null(strstr(buf, "313233343536"));	/* PIN */
	assert_null(strstr(buf, "3234363831333537"));	/* NEW_PIN */
	assert_null(strstr(buf, "3837363534333231"));	/* NEW_PUK */
	assert_null(strstr(buf, NEW_PIN));
	assert_null(strstr(buf, NEW_PUK));
	close(fd);
	unlink(path);
	assert_int_equal(C_Initialize(NULL), CKR_OK);
}

int
main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
#define TY(f)	cmocka_unit_test_setup_teardown(f, setup_yk, teardown)
	const struct CMUnitTest tests[] = {
		T(test_so_login_3des),
		T(test_so_login_aes),
		TY(test_so_login_yk_mismatch),
		T(test_so_puk_login),
		T(test_setpin_user),
		T(test_setpin_public),
		T(test_setpin_pinpad),
		T(test_unblock_setpin),
		T(test_initpin),
		T(test_setpin_puk),
		T(test_keygen_rsa),
		T(test_keygen_ec),
		T(test_keygen_errors),
		TY(test_keygen_policy_yk),
		T(test_cert_write_delete),
		T(test_cert_errors),
		T(test_cert_too_big),
		TY(test_import_yk),
		T(test_import_plain),
		T(test_setattr),
		T(test_reset_drops_so),
		T(test_mechanisms),
		T(test_no_secrets_logged),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
