/*
 * tests/unit/test-p11-sign.c - every signing mechanism C_GetMechanismList
 * offers, single-part and multi-part, on the emulated card through the
 * module, each signature checked with OpenSSL against the public key of
 * the card's certificate (CKA_VALUE), and with the module's C_Verify.
 * Keys: 9A RSA-2048, 9C P-256 (always authenticate: a context login
 * before each signature), 9E P-384.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "pkcs11/p11.h"
#include "reader/wipe.h"
#include "token-emu/card.h"

#include "emu-transport.c"

#define PIN	"123456"

static const uint8_t	card_refs[] = { 0x9a, 0x9c, 0x9e };
static const uint8_t	card_algs[] = {
	PIV_ALG_RSA2048, PIV_ALG_ECCP256, PIV_ALG_ECCP384
};
#include "p11-emu-fixture.h"

struct fx {
	struct emu_tr		tr;
	struct emu_card		card;
	unsigned		rd;
	CK_SESSION_HANDLE	h;
};

static struct fx *fx;

struct mech_case {
	CK_MECHANISM_TYPE	 m;
	bool			 rsa;
	bool			 pss;
	bool			 raw;	/* input is what the card gets */
};

static const struct mech_case cases[] = {
	{ CKM_RSA_PKCS, true, false, true },
	{ CKM_RSA_X_509, true, false, true },
	{ CKM_RSA_PKCS_PSS, true, true, true },
	{ CKM_SHA1_RSA_PKCS, true, false, false },
	{ CKM_SHA224_RSA_PKCS, true, false, false },
	{ CKM_SHA256_RSA_PKCS, true, false, false },
	{ CKM_SHA384_RSA_PKCS, true, false, false },
	{ CKM_SHA512_RSA_PKCS, true, false, false },
	{ CKM_SHA1_RSA_PKCS_PSS, true, true, false },
	{ CKM_SHA224_RSA_PKCS_PSS, true, true, false },
	{ CKM_SHA256_RSA_PKCS_PSS, true, true, false },
	{ CKM_SHA384_RSA_PKCS_PSS, true, true, false },
	{ CKM_SHA512_RSA_PKCS_PSS, true, true, false },
	{ CKM_ECDSA, false, false, true },
	{ CKM_ECDSA_SHA1, false, false, false },
	{ CKM_ECDSA_SHA224, false, false, false },
	{ CKM_ECDSA_SHA256, false, false, false },
	{ CKM_ECDSA_SHA384, false, false, false },
	{ CKM_ECDSA_SHA512, false, false, false },
};

static const EVP_MD *
case_md(CK_MECHANISM_TYPE m)
{
	switch (m) {
	case CKM_SHA1_RSA_PKCS: case CKM_SHA1_RSA_PKCS_PSS:
	case CKM_ECDSA_SHA1:
		return EVP_sha1();
	case CKM_SHA224_RSA_PKCS: case CKM_SHA224_RSA_PKCS_PSS:
	case CKM_ECDSA_SHA224:
		return EVP_sha224();
	case CKM_SHA384_RSA_PKCS: case CKM_SHA384_RSA_PKCS_PSS:
	case CKM_ECDSA_SHA384:
		return EVP_sha384();
	case CKM_SHA512_RSA_PKCS: case CKM_SHA512_RSA_PKCS_PSS:
	case CKM_ECDSA_SHA512:
		return EVP_sha512();
	default:
		return EVP_sha256();
	}
}

/* --- fixture -------------------------------------------------------------- */

static int
setup(void **state)
{
	(void)state;
	if ((fx = calloc(1, sizeof(*fx))) == NULL ||
	    p11fx_card_in(&fx->tr, &fx->card, &fx->rd) < 0)
		return -1;
	if (C_Initialize(NULL) != CKR_OK ||
	    C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &fx->h) !=
	    CKR_OK ||
	    C_Login(fx->h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 6) != CKR_OK)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	p11fx_card_out(&fx->tr, &fx->card);
	free(fx);
	return 0;
}

/* --- helpers -------------------------------------------------------------- */

static CK_OBJECT_HANDLE
find1(CK_OBJECT_CLASS cls, uint8_t id)
{
	CK_ATTRIBUTE		t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, &id, 1 },
	};
	CK_OBJECT_HANDLE	o = 0;
	CK_ULONG		n = 0;

	assert_int_equal(C_FindObjectsInit(fx->h, t, 2), CKR_OK);
	assert_int_equal(C_FindObjects(fx->h, &o, 1, &n), CKR_OK);
	assert_int_equal(C_FindObjectsFinal(fx->h), CKR_OK);
	assert_int_equal(n, 1);
	return o;
}

/* The public key of the certificate with this CKA_ID, via OpenSSL. */
static EVP_PKEY *
cert_key(uint8_t id)
{
	static CK_BYTE		 der[4096];
	CK_ATTRIBUTE		 a = { CKA_VALUE, der, sizeof(der) };
	const unsigned char	*p = der;
	EVP_PKEY		*k;
	X509			*x;

	assert_int_equal(C_GetAttributeValue(fx->h, find1(CKO_CERTIFICATE,
	    id), &a, 1), CKR_OK);
	assert_non_null(x = d2i_X509(NULL, &p, (long)a.ulValueLen));
	assert_non_null(k = X509_get_pubkey(x));
	X509_free(x);
	return k;
}

static bool
offered(CK_MECHANISM_TYPE m)
{
	CK_MECHANISM_TYPE	l[64];
	CK_MECHANISM_INFO	mi;
	CK_ULONG		n = 64, i;

	assert_int_equal(C_GetMechanismList(0, l, &n), CKR_OK);
	for (i = 0; i < n; i++)
		if (l[i] == m) {
			assert_int_equal(C_GetMechanismInfo(0, m, &mi),
			    CKR_OK);
			assert_true(mi.flags & CKF_SIGN);
			assert_true(mi.flags & CKF_HW);
			return true;
		}
	return false;
}

/* ECDSA r || s -> DER. */
static size_t
ecdsa_der(const uint8_t *rs, size_t len, uint8_t *out)
{
	ECDSA_SIG	*s = ECDSA_SIG_new();
	BIGNUM		*r = BN_bin2bn(rs, (int)(len / 2), NULL);
	BIGNUM		*ss = BN_bin2bn(rs + len / 2, (int)(len / 2), NULL);
	unsigned char	*p = out;
	int		 n;

	assert_non_null(s);
	assert_int_equal(ECDSA_SIG_set0(s, r, ss), 1);
	n = i2d_ECDSA_SIG(s, &p);
	ECDSA_SIG_free(s);
	assert_true(n > 0);
	return (size_t)n;
}

static void
pss_params(const EVP_MD *md, CK_RSA_PKCS_PSS_PARAMS *pp)
{
	switch (EVP_MD_get_type(md)) {
	case NID_sha1:
		pp->hashAlg = CKM_SHA_1;
		pp->mgf = CKG_MGF1_SHA1;
		break;
	case NID_sha224:
		pp->hashAlg = CKM_SHA224;
		pp->mgf = CKG_MGF1_SHA224;
		break;
	case NID_sha384:
		pp->hashAlg = CKM_SHA384;
		pp->mgf = CKG_MGF1_SHA384;
		break;
	case NID_sha512:
		pp->hashAlg = CKM_SHA512;
		pp->mgf = CKG_MGF1_SHA512;
		break;
	default:
		pp->hashAlg = CKM_SHA256;
		pp->mgf = CKG_MGF1_SHA256;
		break;
	}
	pp->sLen = (CK_ULONG)EVP_MD_get_size(md);
}

/* What the mechanism takes as input for this test: the message itself
 * (hashing mechanisms), a hash (PSS, ECDSA), a DigestInfo-like blob
 * (RSA_PKCS) or a block below the modulus (X.509). */
static size_t
make_input(const struct mech_case *c, const EVP_MD *md, uint8_t *in)
{
	size_t		n;
	unsigned	mdlen = 0;

	if (!c->raw) {
		for (n = 0; n < 300; n++)
			in[n] = (uint8_t)(n * 7 + 1);
		return 300;
	}
	if (c->m == CKM_RSA_X_509) {
		memset(in, 0x31, 256);
		in[0] = 0x00;
		return 256;
	}
	if (c->m == CKM_RSA_PKCS) {
		memset(in, 0x42, 51);
		return 51;
	}
	assert_int_equal(EVP_Digest("abc", 3, in, &mdlen, md, NULL), 1);
	return mdlen;
}

static void
ossl_verify(const struct mech_case *c, const EVP_MD *md, EVP_PKEY *pk,
    const uint8_t *in, size_t inlen, const uint8_t *sig, size_t siglen)
{
	EVP_PKEY_CTX	*pc = NULL;
	EVP_MD_CTX	*mc = NULL;
	uint8_t		 der[160], rec[512];
	size_t		 reclen = sizeof(rec), dlen;
	const uint8_t	*s = sig;

	if (!c->rsa) {
		dlen = ecdsa_der(sig, siglen, der);
		s = der;
		siglen = dlen;
	}
	if (c->raw && (c->m == CKM_RSA_PKCS || c->m == CKM_RSA_X_509)) {
		assert_non_null(pc = EVP_PKEY_CTX_new(pk, NULL));
		assert_int_equal(EVP_PKEY_verify_recover_init(pc), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pc,
		    c->m == CKM_RSA_PKCS ? RSA_PKCS1_PADDING : RSA_NO_PADDING),
		    1);
		assert_int_equal(EVP_PKEY_verify_recover(pc, rec, &reclen, s,
		    siglen), 1);
		assert_int_equal(reclen, inlen);
		assert_memory_equal(rec, in, inlen);
	} else if (c->raw) {
		assert_non_null(pc = EVP_PKEY_CTX_new(pk, NULL));
		assert_int_equal(EVP_PKEY_verify_init(pc), 1);
		if (c->pss) {
			assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pc,
			    RSA_PKCS1_PSS_PADDING), 1);
			assert_int_equal(EVP_PKEY_CTX_set_signature_md(pc, md),
			    1);
			assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(pc, md),
			    1);
			assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pc,
			    EVP_MD_get_size(md)), 1);
		}
		assert_int_equal(EVP_PKEY_verify(pc, s, siglen, in, inlen), 1);
	} else {
		assert_non_null(mc = EVP_MD_CTX_new());
		assert_int_equal(EVP_DigestVerifyInit(mc, &pc, md, NULL, pk),
		    1);
		if (c->pss) {
			assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pc,
			    RSA_PKCS1_PSS_PADDING), 1);
			assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(pc, md),
			    1);
			assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pc,
			    EVP_MD_get_size(md)), 1);
		}
		assert_int_equal(EVP_DigestVerify(mc, s, siglen, in, inlen),
		    1);
		pc = NULL;	/* owned by mc */
	}
	EVP_PKEY_CTX_free(pc);
	EVP_MD_CTX_free(mc);
}

static void
ctx_login(bool always)
{
	if (always)
		assert_int_equal(C_Login(fx->h, CKU_CONTEXT_SPECIFIC,
		    (CK_UTF8CHAR_PTR)PIN, 6), CKR_OK);
}

static size_t
sign_single(CK_MECHANISM *m, CK_OBJECT_HANDLE k, bool always,
    const uint8_t *in, size_t inlen, uint8_t *sig)
{
	CK_ULONG len = 0, want;

	assert_int_equal(C_SignInit(fx->h, m, k), CKR_OK);
	ctx_login(always);
	assert_int_equal(C_Sign(fx->h, (CK_BYTE_PTR)in, inlen, NULL, &len),
	    CKR_OK);
	want = len;
	len = 512;
	assert_int_equal(C_Sign(fx->h, (CK_BYTE_PTR)in, inlen, sig, &len),
	    CKR_OK);
	assert_int_equal(len, want);
	return len;
}

static size_t
sign_multi(CK_MECHANISM *m, CK_OBJECT_HANDLE k, bool always,
    const uint8_t *in, size_t inlen, uint8_t *sig)
{
	CK_ULONG	len = 512;
	size_t		off = 0, n;

	assert_int_equal(C_SignInit(fx->h, m, k), CKR_OK);
	ctx_login(always);
	while (off < inlen) {
		n = inlen - off > 13 ? 13 : inlen - off;
		assert_int_equal(C_SignUpdate(fx->h, (CK_BYTE_PTR)in + off, n),
		    CKR_OK);
		off += n;
	}
	assert_int_equal(C_SignFinal(fx->h, sig, &len), CKR_OK);
	return len;
}

static void
module_verify(CK_MECHANISM *m, uint8_t id, const uint8_t *in, size_t inlen,
    const uint8_t *sig, size_t siglen)
{
	CK_OBJECT_HANDLE pub = find1(CKO_PUBLIC_KEY, id);

	assert_int_equal(C_VerifyInit(fx->h, m, pub), CKR_OK);
	assert_int_equal(C_Verify(fx->h, (CK_BYTE_PTR)in, inlen,
	    (CK_BYTE_PTR)sig, siglen), CKR_OK);
}

/* Every offered mechanism of the key type, both ways. */
static void
sign_all(uint8_t id, bool rsa, bool always, size_t siglen_want)
{
	CK_OBJECT_HANDLE	k = find1(CKO_PRIVATE_KEY, id);
	CK_RSA_PKCS_PSS_PARAMS	pp;
	CK_MECHANISM		m;
	const EVP_MD		*md;
	uint8_t			in[512], sig[512];
	size_t			i, inlen, len, tested = 0;
	EVP_PKEY		*pk = cert_key(id);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].rsa != rsa || !offered(cases[i].m))
			continue;
		md = case_md(cases[i].m);
		m.mechanism = cases[i].m;
		m.pParameter = NULL;
		m.ulParameterLen = 0;
		if (cases[i].pss) {
			pss_params(md, &pp);
			m.pParameter = &pp;
			m.ulParameterLen = sizeof(pp);
		}
		inlen = make_input(&cases[i], md, in);
		len = sign_single(&m, k, always, in, inlen, sig);
		assert_int_equal(len, siglen_want);
		ossl_verify(&cases[i], md, pk, in, inlen, sig, len);
		module_verify(&m, id, in, inlen, sig, len);
		len = sign_multi(&m, k, always, in, inlen, sig);
		assert_int_equal(len, siglen_want);
		ossl_verify(&cases[i], md, pk, in, inlen, sig, len);
		tested++;
	}
	EVP_PKEY_free(pk);
	assert_int_equal(tested, rsa ? 13 : 6);
}

static void
test_rsa_9a(void **state)
{
	(void)state;
	sign_all(1, true, false, 256);
	assert_int_equal(emu_tr_counters(&fx->tr, fx->rd).verify, 1);
}

static void
test_ec_p256_9c(void **state)
{
	(void)state;
	sign_all(2, false, true, 64);
	/* one VERIFY for C_Login, one per 9C signature */
	assert_int_equal(emu_tr_counters(&fx->tr, fx->rd).verify, 1 + 2 * 6);
	assert_int_equal(fx->tr.interleaved, 0);
}

static void
test_ec_p384_9e(void **state)
{
	(void)state;
	sign_all(4, false, false, 96);
	assert_int_equal(emu_tr_counters(&fx->tr, fx->rd).verify, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rsa_9a, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ec_p256_9c, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ec_p384_9e, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
