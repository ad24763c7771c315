/*
 * tests/fuzz/fz-flow.c - see fz-flow.h.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pkcs11/p11.h"
#include "fz-flow.h"

#define FLOW_OBJS_MAX	64
#define FLOW_ATTR_MAX	8192
#define FLOW_SIG_MAX	1024

static const uint8_t	*flow_cert;
static size_t		 flow_cert_len;

static const uint8_t	 msg[] = "declaration 2024-000117, Sample Broker";

/* DER OIDs of the curves, as CKA_EC_PARAMS holds them. */
static const uint8_t	 oid_p256[] = {
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07
};
static const uint8_t	 oid_p384[] = {
	0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22
};
/* Peer values for key agreement: the curves' base points, X25519's 9. */
static const uint8_t	 peer_p256[] = {
	0x04,
	0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5,
	0x63, 0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0,
	0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96,
	0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a,
	0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce,
	0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5,
};
static const uint8_t	 peer_p384[] = {
	0x04,
	0xaa, 0x87, 0xca, 0x22, 0xbe, 0x8b, 0x05, 0x37, 0x8e, 0xb1, 0xc7, 0x1e,
	0xf3, 0x20, 0xad, 0x74, 0x6e, 0x1d, 0x3b, 0x62, 0x8b, 0xa7, 0x9b, 0x98,
	0x59, 0xf7, 0x41, 0xe0, 0x82, 0x54, 0x2a, 0x38, 0x55, 0x02, 0xf2, 0x5d,
	0xbf, 0x55, 0x29, 0x6c, 0x3a, 0x54, 0x5e, 0x38, 0x72, 0x76, 0x0a, 0xb7,
	0x36, 0x17, 0xde, 0x4a, 0x96, 0x26, 0x2c, 0x6f, 0x5d, 0x9e, 0x98, 0xbf,
	0x92, 0x92, 0xdc, 0x29, 0xf8, 0xf4, 0x1d, 0xbd, 0x28, 0x9a, 0x14, 0x7c,
	0xe9, 0xda, 0x31, 0x13, 0xb5, 0xf0, 0xb8, 0xc0, 0x0a, 0x60, 0xb1, 0xce,
	0x1d, 0x7e, 0x81, 0x9d, 0x7a, 0x43, 0x1d, 0x7c, 0x90, 0xea, 0x0e, 0x5f,
};
static const uint8_t	 peer_x25519[32] = { 9 };

/* What the flow needs to know about a private key. */
struct flow_key {
	CK_OBJECT_HANDLE	h;
	CK_KEY_TYPE		type;
	CK_ULONG		bits;
	CK_BBOOL		sign, decrypt, derive, always;
	uint8_t			params[16];
	CK_ULONG		params_len;
};

void
fz_flow_set_cert(const uint8_t *der, size_t len)
{
	flow_cert = der;
	flow_cert_len = len;
}

/* --- objects and attributes ------------------------------------------- */

/* Size query, then the value into a buffer of exactly that size. */
static void
attr_one(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t)
{
	CK_ATTRIBUTE	 a = { t, NULL, 0 };
	CK_ULONG	 want;
	uint8_t		*buf;

	if (C_GetAttributeValue(s, o, &a, 1) != CKR_OK ||
	    a.ulValueLen > FLOW_ATTR_MAX)
		return;
	want = a.ulValueLen;
	if ((buf = malloc(want > 0 ? want : 1)) == NULL)
		return;
	a.pValue = buf;
	if (C_GetAttributeValue(s, o, &a, 1) == CKR_OK && a.ulValueLen != want)
		abort();	/* practice 8: the size query is exact */
	free(buf);
}

/* Every attribute at once, as most clients ask: the sizes (attributes
 * the object lacks come back as CK_UNAVAILABLE_INFORMATION), then the
 * values into buffers of exactly those sizes; then a few one by one. */
static void
attrs_all(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o)
{
	static const CK_ATTRIBUTE_TYPE types[] = {
		CKA_CLASS, CKA_TOKEN, CKA_PRIVATE, CKA_LABEL, CKA_ID,
		CKA_KEY_TYPE, CKA_CERTIFICATE_TYPE, CKA_VALUE, CKA_SUBJECT,
		CKA_ISSUER, CKA_SERIAL_NUMBER, CKA_START_DATE, CKA_END_DATE,
		CKA_CHECK_VALUE, CKA_PUBLIC_KEY_INFO, CKA_MODULUS,
		CKA_MODULUS_BITS, CKA_PUBLIC_EXPONENT, CKA_EC_PARAMS,
		CKA_EC_POINT, CKA_SIGN, CKA_DECRYPT, CKA_DERIVE,
		CKA_ALWAYS_AUTHENTICATE, CKA_LOCAL, CKA_KEY_GEN_MECHANISM,
		CKA_ALLOWED_MECHANISMS, CKA_SENSITIVE, CKA_PRIVATE_EXPONENT,
		CKA_HASH_OF_SUBJECT_PUBLIC_KEY,
	};
	enum { N = sizeof(types) / sizeof(types[0]) };
	CK_ATTRIBUTE	a[N];
	CK_ULONG	want[N], size = 0;
	size_t		i;

	for (i = 0; i < N; i++) {
		a[i].type = types[i];
		a[i].pValue = NULL;
		a[i].ulValueLen = 0;
	}
	(void)C_GetAttributeValue(s, o, a, N);
	for (i = 0; i < N; i++) {
		want[i] = a[i].ulValueLen;
		if (want[i] == CK_UNAVAILABLE_INFORMATION ||
		    want[i] > FLOW_ATTR_MAX)
			want[i] = a[i].ulValueLen = 0;
		if ((a[i].pValue = malloc(want[i] > 0 ? want[i] : 1)) == NULL)
			abort();
	}
	(void)C_GetAttributeValue(s, o, a, N);
	for (i = 0; i < N; i++) {
		if (want[i] > 0 && a[i].ulValueLen != want[i] &&
		    a[i].ulValueLen != CK_UNAVAILABLE_INFORMATION)
			abort();	/* practice 8: the size query is exact */
		free(a[i].pValue);
	}
	attr_one(s, o, CKA_VALUE);
	attr_one(s, o, CKA_LABEL);
	(void)C_GetObjectSize(s, o, &size);
}

static CK_ULONG
find(CK_SESSION_HANDLE s, CK_ATTRIBUTE *tpl, CK_ULONG n,
    CK_OBJECT_HANDLE *out, CK_ULONG cap)
{
	CK_ULONG got = 0;

	if (C_FindObjectsInit(s, tpl, n) != CKR_OK)
		return 0;
	if (C_FindObjects(s, out, cap, &got) != CKR_OK || got > cap)
		got = 0;
	(void)C_FindObjectsFinal(s);
	return got;
}

static void
objects_all(CK_SESSION_HANDLE s)
{
	CK_OBJECT_HANDLE	o[FLOW_OBJS_MAX];
	CK_ULONG		n, i;

	n = find(s, NULL, 0, o, FLOW_OBJS_MAX);
	for (i = 0; i < n; i++)
		attrs_all(s, o[i]);
}

/* --- private-key operations ------------------------------------------- */

static bool
key_describe(CK_SESSION_HANDLE s, struct flow_key *k)
{
	CK_ATTRIBUTE a[] = {
		{ CKA_KEY_TYPE, &k->type, sizeof(k->type) },
		{ CKA_SIGN, &k->sign, sizeof(k->sign) },
		{ CKA_DECRYPT, &k->decrypt, sizeof(k->decrypt) },
		{ CKA_DERIVE, &k->derive, sizeof(k->derive) },
		{ CKA_ALWAYS_AUTHENTICATE, &k->always, sizeof(k->always) },
	};
	CK_ATTRIBUTE bits = { CKA_MODULUS_BITS, &k->bits, sizeof(k->bits) };
	CK_ATTRIBUTE ecp = { CKA_EC_PARAMS, k->params, sizeof(k->params) };

	if (C_GetAttributeValue(s, k->h, a, 5) != CKR_OK)
		return false;
	if (k->type == CKK_RSA &&
	    (C_GetAttributeValue(s, k->h, &bits, 1) != CKR_OK ||
	    k->bits < 512 || k->bits > 8 * FLOW_SIG_MAX))
		return false;
	if (k->type == CKK_EC &&
	    C_GetAttributeValue(s, k->h, &ecp, 1) == CKR_OK)
		k->params_len = ecp.ulValueLen;
	return true;
}

static void
context_login(CK_SESSION_HANDLE s, const struct flow_key *k)
{
	if (k->always)
		(void)C_Login(s, CKU_CONTEXT_SPECIFIC,
		    (CK_UTF8CHAR_PTR)FZ_FLOW_PIN, sizeof(FZ_FLOW_PIN) - 1);
}

/* Size query, a buffer one byte short (CKR_BUFFER_TOO_SMALL keeps the
 * operation), then the signature. */
static void
sign_once(CK_SESSION_HANDLE s, const struct flow_key *k, CK_MECHANISM *m)
{
	uint8_t		sig[FLOW_SIG_MAX];
	CK_ULONG	n = 0, want;

	if (C_SignInit(s, m, k->h) != CKR_OK)
		return;
	context_login(s, k);
	if (C_Sign(s, (CK_BYTE_PTR)msg, sizeof(msg), NULL, &n) != CKR_OK)
		return;
	want = n;
	if (n > sizeof(sig) || n == 0) {
		n = sizeof(sig);
		(void)C_Sign(s, (CK_BYTE_PTR)msg, sizeof(msg), sig, &n);
		return;
	}
	n = want - 1;
	if (C_Sign(s, (CK_BYTE_PTR)msg, sizeof(msg), sig, &n) !=
	    CKR_BUFFER_TOO_SMALL)
		return;
	n = want;
	if (C_Sign(s, (CK_BYTE_PTR)msg, sizeof(msg), sig, &n) == CKR_OK &&
	    n > want)
		abort();
}

static void
sign_multi(CK_SESSION_HANDLE s, const struct flow_key *k, CK_MECHANISM *m)
{
	uint8_t		sig[FLOW_SIG_MAX];
	CK_ULONG	n = sizeof(sig);

	if (C_SignInit(s, m, k->h) != CKR_OK)
		return;
	context_login(s, k);
	if (C_SignUpdate(s, (CK_BYTE_PTR)msg, 10) != CKR_OK ||
	    C_SignUpdate(s, (CK_BYTE_PTR)msg + 10, sizeof(msg) - 10) != CKR_OK)
		return;
	if (C_SignFinal(s, sig, &n) == CKR_OK && n > sizeof(sig))
		abort();
}

static void
key_sign(CK_SESSION_HANDLE s, const struct flow_key *k)
{
	CK_RSA_PKCS_PSS_PARAMS	pss = { CKM_SHA256, CKG_MGF1_SHA256, 32 };
	CK_MECHANISM		m = { 0, NULL, 0 };

	switch (k->type) {
	case CKK_RSA:
		m.mechanism = CKM_SHA256_RSA_PKCS;
		sign_once(s, k, &m);
		m.mechanism = CKM_SHA256_RSA_PKCS_PSS;
		m.pParameter = &pss;
		m.ulParameterLen = sizeof(pss);
		sign_multi(s, k, &m);
		break;
	case CKK_EC:
		m.mechanism = CKM_ECDSA_SHA256;
		sign_once(s, k, &m);
		m.mechanism = CKM_ECDSA_SHA384;
		sign_multi(s, k, &m);
		break;
	case CKK_EC_EDWARDS:
		m.mechanism = CKM_EDDSA;
		sign_once(s, k, &m);
		break;
	default:
		break;
	}
}

static void
key_decrypt(CK_SESSION_HANDLE s, const struct flow_key *k, CK_MECHANISM *m)
{
	uint8_t		in[FLOW_SIG_MAX], out[FLOW_SIG_MAX];
	CK_ULONG	len = k->bits / 8, n = 0;

	memset(in, 0x5a, sizeof(in));
	in[0] = 0x00;
	if (C_DecryptInit(s, m, k->h) != CKR_OK)
		return;
	context_login(s, k);
	if (C_Decrypt(s, in, len, NULL, &n) != CKR_OK)
		return;
	n = sizeof(out);
	(void)C_Decrypt(s, in, len, out, &n);
}

/* ECDH to a session secret, read it, destroy it. */
static void
key_derive(CK_SESSION_HANDLE s, const struct flow_key *k)
{
	CK_OBJECT_CLASS		cls = CKO_SECRET_KEY;
	CK_KEY_TYPE		kt = CKK_GENERIC_SECRET;
	CK_ULONG		vlen = 16;
	CK_BBOOL		no = CK_FALSE, yes = CK_TRUE;
	CK_ATTRIBUTE		tpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_VALUE_LEN, &vlen, sizeof(vlen) },
		{ CKA_SENSITIVE, &no, sizeof(no) },
		{ CKA_EXTRACTABLE, &yes, sizeof(yes) },
	};
	CK_ECDH1_DERIVE_PARAMS	p;
	CK_MECHANISM		m = { CKM_ECDH1_DERIVE, &p, sizeof(p) };
	CK_OBJECT_HANDLE	out = CK_INVALID_HANDLE;

	memset(&p, 0, sizeof(p));
	p.kdf = CKD_NULL;
	if (k->type == CKK_EC_MONTGOMERY) {
		p.public_data = (CK_BYTE_PTR)peer_x25519;
		p.public_data_len = sizeof(peer_x25519);
	} else if (k->params_len == sizeof(oid_p384) &&
	    memcmp(k->params, oid_p384, sizeof(oid_p384)) == 0) {
		p.public_data = (CK_BYTE_PTR)peer_p384;
		p.public_data_len = sizeof(peer_p384);
	} else {
		p.public_data = (CK_BYTE_PTR)peer_p256;
		p.public_data_len = sizeof(peer_p256);
	}
	if (C_DeriveKey(s, &m, k->h, tpl, 5, &out) != CKR_OK)
		return;
	attr_one(s, out, CKA_VALUE);
	(void)C_DestroyObject(s, out);
}

static void
key_use(CK_SESSION_HANDLE s, struct flow_key *k)
{
	CK_MECHANISM m = { CKM_RSA_X_509, NULL, 0 };

	if (!key_describe(s, k))
		return;
	if (k->sign)
		key_sign(s, k);
	if (k->decrypt && k->type == CKK_RSA) {
		key_decrypt(s, k, &m);
		m.mechanism = CKM_RSA_PKCS;
		key_decrypt(s, k, &m);
	}
	if (k->derive)
		key_derive(s, k);
}

static void
private_keys(CK_SESSION_HANDLE s)
{
	CK_OBJECT_CLASS		cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE		tpl = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE	o[FLOW_OBJS_MAX];
	struct flow_key		k;
	CK_ULONG		n, i;

	n = find(s, &tpl, 1, o, FLOW_OBJS_MAX);
	for (i = 0; i < n; i++) {
		memset(&k, 0, sizeof(k));
		k.h = o[i];
		key_use(s, &k);
	}
}

/* --- the Security Officer --------------------------------------------- */

static void
so_generate(CK_SESSION_HANDLE s)
{
	CK_MECHANISM		ec = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_MECHANISM		rsa = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_BYTE			id_9c = 0x02, id_9d = 0x03;
	CK_ULONG		bits = 2048;
	CK_ATTRIBUTE		ec_pub[] = {
		{ CKA_EC_PARAMS, (CK_VOID_PTR)oid_p256, sizeof(oid_p256) },
		{ CKA_ID, &id_9c, 1 },
	};
	CK_ATTRIBUTE		rsa_pub[] = {
		{ CKA_MODULUS_BITS, &bits, sizeof(bits) },
		{ CKA_ID, &id_9d, 1 },
	};
	CK_ATTRIBUTE		ec_priv = { CKA_ID, &id_9c, 1 };
	CK_ATTRIBUTE		rsa_priv = { CKA_ID, &id_9d, 1 };
	CK_OBJECT_HANDLE	pub, priv;

	if (C_GenerateKeyPair(s, &ec, ec_pub, 2, &ec_priv, 1, &pub, &priv) ==
	    CKR_OK) {
		attrs_all(s, pub);
		attrs_all(s, priv);
	}
	if (C_GenerateKeyPair(s, &rsa, rsa_pub, 2, &rsa_priv, 1, &pub,
	    &priv) == CKR_OK)
		attrs_all(s, pub);
}

static void
so_cert(CK_SESSION_HANDLE s)
{
	CK_OBJECT_CLASS		cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE	ct = CKC_X_509;
	CK_BYTE			id = 0x02;
	CK_ATTRIBUTE		tpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_CERTIFICATE_TYPE, &ct, sizeof(ct) },
		{ CKA_ID, &id, 1 },
		{ CKA_VALUE, (CK_VOID_PTR)flow_cert, flow_cert_len },
	};
	CK_OBJECT_HANDLE	o;

	if (flow_cert == NULL ||
	    C_CreateObject(s, tpl, 4, &o) != CKR_OK)
		return;
	attrs_all(s, o);
	(void)C_DestroyObject(s, o);
}

/* YubiKey IMPORT KEY of a P-256 key into the retired reference 82. */
static void
so_import(CK_SESSION_HANDLE s)
{
	CK_OBJECT_CLASS		cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE		kt = CKK_EC;
	CK_BYTE			id = 0x05, d[32];
	CK_ATTRIBUTE		tpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_ID, &id, 1 },
		{ CKA_EC_PARAMS, (CK_VOID_PTR)oid_p256, sizeof(oid_p256) },
		{ CKA_VALUE, d, sizeof(d) },
	};
	CK_OBJECT_HANDLE	o;
	size_t			i;

	for (i = 0; i < sizeof(d); i++)
		d[i] = (CK_BYTE)(i + 1);
	if (C_CreateObject(s, tpl, 5, &o) == CKR_OK)
		attrs_all(s, o);
}

static void
so_flows(CK_SESSION_HANDLE s)
{
	(void)C_Logout(s);
	if (C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)FZ_FLOW_MGMT,
	    sizeof(FZ_FLOW_MGMT) - 1) == CKR_OK) {
		so_generate(s);
		so_cert(s);
		so_import(s);
		(void)C_Logout(s);
	}
	if (C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)FZ_FLOW_PUK,
	    sizeof(FZ_FLOW_PUK) - 1) == CKR_OK) {
		(void)C_InitPIN(s, (CK_UTF8CHAR_PTR)FZ_FLOW_PIN,
		    sizeof(FZ_FLOW_PIN) - 1);
		(void)C_Logout(s);
	}
	(void)C_SetPIN(s, (CK_UTF8CHAR_PTR)FZ_FLOW_PIN,
	    sizeof(FZ_FLOW_PIN) - 1, (CK_UTF8CHAR_PTR)"654321", 6);
}

/* --- the flow ------------------------------------------------------------ */

static void
token(CK_SLOT_ID slot, unsigned flags)
{
	CK_SLOT_INFO		si;
	CK_TOKEN_INFO		ti;
	CK_SESSION_INFO		ss;
	CK_MECHANISM_TYPE	mechs[64];
	CK_ULONG		n = 0;
	CK_SESSION_HANDLE	s;
	CK_RV			rv;

	(void)C_GetSlotInfo(slot, &si);
	if (C_GetTokenInfo(slot, &ti) != CKR_OK)
		return;
	n = 64;
	(void)C_GetMechanismList(slot, mechs, &n);
	if (C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
	    NULL, &s) != CKR_OK)
		return;
	(void)C_GetSessionInfo(s, &ss);
	objects_all(s);
	if (flags & FZ_FLOW_PINPAD)
		rv = C_Login(s, CKU_USER, NULL, 0);
	else
		rv = C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)FZ_FLOW_PIN,
		    sizeof(FZ_FLOW_PIN) - 1);
	(void)C_GetTokenInfo(slot, &ti);
	if (rv == CKR_OK)
		private_keys(s);
	if (flags & FZ_FLOW_SO)
		so_flows(s);
	(void)C_Logout(s);
	(void)C_CloseSession(s);
}

void
fz_flow_run(unsigned flags)
{
	CK_SLOT_ID	slots[4];
	CK_ULONG	n = 0, i;
	CK_SLOT_ID	ev;

	if (C_Initialize(NULL) != CKR_OK)
		return;
	(void)C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, NULL);
	n = 4;
	if (C_GetSlotList(CK_TRUE, slots, &n) == CKR_OK)
		for (i = 0; i < n && i < 4; i++)
			token(slots[i], flags);
	(void)C_CloseAllSessions(0);
	(void)C_Finalize(NULL);
}
