/*
 * tests/unit/test-sign-verify.c - smartsign-sign's CMS builder and
 * verifier without a card: a software key stands in for the token.
 *
 * Every verdict is provoked (ok, bad signature, untrusted, expired,
 * malformed); OpenSSL's own CMS_sign output is accepted; and a valid
 * .p7s truncated at every length and bit-flipped at every bit never
 * crashes (ASan+UBSan) and is never accepted.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/cms.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "tools/sign_cms.h"
#include "tools/sign_verify.h"

static const uint8_t content[] =
    "<declaration><declarant>Sample Broker</declarant></declaration>\n";

struct pki {
	EVP_PKEY	*ca_key, *other_ca_key, *ec, *rsa;
	X509		*ca, *other_ca;
	X509_STORE	*store, *other_store;
};

static struct pki pki;

/* ---- a small PKI ------------------------------------------------------ */

static void
ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX	 c;
	X509_EXTENSION	*e;

	X509V3_set_ctx(&c, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &c, nid, value);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

static X509 *
cert_new(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey,
    long from_days, long to_days, const char *ku)
{
	static long	 serial = 1000;
	X509		*x = X509_new();
	X509_NAME	*n = X509_NAME_new();

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	X509_gmtime_adj(X509_getm_notBefore(x), from_days * 86400);
	X509_gmtime_adj(X509_getm_notAfter(x), to_days * 86400);
	X509_set_pubkey(x, key);
	if (issuer == NULL) {
		ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
		ext(x, issuer, NID_key_usage, ku);
	}
	assert_true(X509_sign(x, ikey ? ikey : key, EVP_sha256()) > 0);
	X509_NAME_free(n);
	return x;
}

static X509_STORE *
store_of(X509 *ca)
{
	X509_STORE *st = X509_STORE_new();

	assert_non_null(st);
	assert_int_equal(X509_STORE_add_cert(st, ca), 1);
	return st;
}

static int
setup(void **state)
{
	(void)state;
	pki.ca_key = EVP_EC_gen("P-256");
	pki.other_ca_key = EVP_EC_gen("P-256");
	pki.ec = EVP_EC_gen("P-256");
	pki.rsa = EVP_RSA_gen(2048);
	if (!pki.ca_key || !pki.other_ca_key || !pki.ec || !pki.rsa)
		return -1;
	pki.ca = cert_new("Test CA", pki.ca_key, NULL, NULL, -1, 3650, NULL);
	pki.other_ca = cert_new("Other CA", pki.other_ca_key, NULL, NULL, -1,
	    3650, NULL);
	pki.store = store_of(pki.ca);
	pki.other_store = store_of(pki.other_ca);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	X509_STORE_free(pki.store);
	X509_STORE_free(pki.other_store);
	X509_free(pki.ca);
	X509_free(pki.other_ca);
	EVP_PKEY_free(pki.ca_key);
	EVP_PKEY_free(pki.other_ca_key);
	EVP_PKEY_free(pki.ec);
	EVP_PKEY_free(pki.rsa);
	return 0;
}

/* ---- a software "token" ------------------------------------------------ */

struct soft {
	EVP_PKEY		*key;
	const EVP_MD		*md;
	enum sc_scheme		 scheme;
};

/* ECDSA DER -> r||s, as a PKCS#11 token returns it. */
static size_t
ecdsa_raw(const uint8_t *der, size_t len, uint8_t *out)
{
	const unsigned char	*p = der;
	ECDSA_SIG		*s = d2i_ECDSA_SIG(NULL, &p, (long)len);
	const BIGNUM		*r, *ss;

	assert_non_null(s);
	ECDSA_SIG_get0(s, &r, &ss);
	assert_int_equal(BN_bn2binpad(r, out, 32), 32);
	assert_int_equal(BN_bn2binpad(ss, out + 32, 32), 32);
	ECDSA_SIG_free(s);
	return 64;
}

static int
soft_sign(void *arg, const uint8_t *tbs, size_t len, uint8_t *sig,
    size_t *siglen, struct se_err *err)
{
	struct soft	*s = arg;
	EVP_MD_CTX	*c = EVP_MD_CTX_new();
	EVP_PKEY_CTX	*pc = NULL;
	uint8_t		 der[512];
	size_t		 dlen = sizeof(der);

	(void)err;
	assert_non_null(c);
	assert_int_equal(EVP_DigestSignInit(c, &pc, s->md, NULL, s->key), 1);
	if (s->scheme == SC_RSA_PSS) {
		EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING);
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST);
	}
	assert_int_equal(EVP_DigestSign(c, der, &dlen, tbs, len), 1);
	EVP_MD_CTX_free(c);
	if (s->scheme == SC_ECDSA) {
		*siglen = ecdsa_raw(der, dlen, sig);
	} else {
		assert_true(dlen <= *siglen);
		memcpy(sig, der, dlen);
		*siglen = dlen;
	}
	return 0;
}

static uint8_t *
make_p7s(X509 *cert, EVP_PKEY *key, enum sc_scheme scheme, const EVP_MD *md,
    size_t *len)
{
	struct soft	 s = { key, md, scheme };
	struct sc_req	 req = { cert, NULL, md, scheme, time(NULL), soft_sign,
			    &s };
	struct se_err	 e;
	uint8_t		*der = NULL;
	BIO		*b = BIO_new_mem_buf(content, sizeof(content) - 1);

	assert_non_null(b);
	if (sc_sign_bio(&req, b, &der, len, &e) < 0)
		fail_msg("sc_sign_bio: %s", e.msg);
	BIO_free(b);
	return der;
}

static enum sv_verdict
verify(const uint8_t *p7s, size_t len, X509_STORE *st, struct sv_result *r)
{
	struct sv_opts o = { st, false };

	return sv_verify_buf(p7s, len, content, sizeof(content) - 1, &o, r);
}

/* ---- tests ------------------------------------------------------------- */

static X509 *
leaf(EVP_PKEY *key)
{
	return cert_new("Sample Broker", key, pki.ca, pki.ca_key, -1, 365,
	    "critical,digitalSignature,nonRepudiation");
}

static void
check_ok(EVP_PKEY *key, enum sc_scheme scheme, const EVP_MD *md,
    const char *alg)
{
	struct sv_result	 r;
	X509			*x = leaf(key);
	size_t			 len;
	uint8_t			*p = make_p7s(x, key, scheme, md, &len);

	assert_int_equal(verify(p, len, pki.store, &r), SV_OK);
	assert_int_equal(r.nsigners, 1);
	assert_true(r.signer[0].has_when);
	assert_non_null(strstr(r.signer[0].subject, "CN=Sample Broker"));
	assert_string_equal(r.signer[0].algorithm, alg);
	OPENSSL_free(p);
	X509_free(x);
}

static void
test_ok_all_schemes(void **state)
{
	(void)state;
	check_ok(pki.ec, SC_ECDSA, EVP_sha256(), "ECDSA with SHA256");
	check_ok(pki.ec, SC_ECDSA, EVP_sha384(), "ECDSA with SHA384");
	check_ok(pki.rsa, SC_RSA_PKCS1, EVP_sha256(),
	    "RSA PKCS#1 v1.5 with SHA256");
	check_ok(pki.rsa, SC_RSA_PSS, EVP_sha512(), "RSA-PSS with SHA512");
}

static void
test_verdicts(void **state)
{
	struct sv_result	 r;
	struct sv_opts		 o = { NULL, true };
	X509			*x = leaf(pki.ec);
	size_t			 len;
	uint8_t			*p = make_p7s(x, pki.ec, SC_ECDSA, EVP_sha256(),
				    &len);
	uint8_t			 bad[sizeof(content)];

	(void)state;
	memcpy(bad, content, sizeof(content));
	bad[3] ^= 1;
	o.store = pki.store;
	assert_int_equal(sv_verify_buf(p, len, bad, sizeof(bad) - 1, &o, &r),
	    SV_BAD_SIGNATURE);
	assert_int_equal(verify(p, len, pki.other_store, &r), SV_UNTRUSTED);
	assert_int_equal(verify(p, len, NULL, &r), SV_UNTRUSTED);
	o.store = NULL;
	assert_int_equal(sv_verify_buf(p, len, content, sizeof(content) - 1,
	    &o, &r), SV_OK);			/* signature only */
	assert_int_equal(verify(p, 0, pki.store, &r), SV_MALFORMED);
	assert_int_equal(verify((const uint8_t *)"garbage", 7, pki.store,
	    &r), SV_MALFORMED);
	OPENSSL_free(p);
	X509_free(x);
}

static void
test_expired_and_usage(void **state)
{
	struct sv_result	 r;
	X509			*old, *young, *enc;
	size_t			 len;
	uint8_t			*p;

	(void)state;
	old = cert_new("Old Broker", pki.ec, pki.ca, pki.ca_key, -800, -70,
	    "critical,digitalSignature");
	p = make_p7s(old, pki.ec, SC_ECDSA, EVP_sha256(), &len);
	assert_int_equal(verify(p, len, pki.store, &r), SV_EXPIRED);
	assert_non_null(strstr(r.why.msg, "expired"));
	OPENSSL_free(p);

	young = cert_new("Future Broker", pki.ec, pki.ca, pki.ca_key, 10, 400,
	    "critical,digitalSignature");
	p = make_p7s(young, pki.ec, SC_ECDSA, EVP_sha256(), &len);
	assert_int_equal(verify(p, len, pki.store, &r), SV_EXPIRED);
	OPENSSL_free(p);

	enc = cert_new("Enc Broker", pki.ec, pki.ca, pki.ca_key, -1, 400,
	    "critical,keyAgreement");
	p = make_p7s(enc, pki.ec, SC_ECDSA, EVP_sha256(), &len);
	assert_int_equal(verify(p, len, pki.store, &r), SV_UNTRUSTED);
	assert_non_null(strstr(r.why.msg, "key usage"));
	OPENSSL_free(p);
	X509_free(old);
	X509_free(young);
	X509_free(enc);
}

/* A token that signs with another key than its certificate's. */
static void
test_wrong_key(void **state)
{
	struct sv_result	 r;
	EVP_PKEY		*k2 = EVP_EC_gen("P-256");
	X509			*x = leaf(pki.ec);
	size_t			 len;
	uint8_t			*p = make_p7s(x, k2, SC_ECDSA, EVP_sha256(), &len);

	(void)state;
	assert_int_equal(verify(p, len, pki.store, &r), SV_BAD_SIGNATURE);
	OPENSSL_free(p);
	X509_free(x);
	EVP_PKEY_free(k2);
}

static uint8_t *
openssl_p7s(X509 *x, EVP_PKEY *key, unsigned flags, size_t *len)
{
	BIO		*b = BIO_new_mem_buf(content, sizeof(content) - 1);
	CMS_ContentInfo	*cms = CMS_sign(x, key, NULL, b, flags);
	unsigned char	*der = NULL;
	int		 n;

	assert_non_null(cms);
	n = i2d_CMS_ContentInfo(cms, &der);
	assert_true(n > 0);
	*len = (size_t)n;
	CMS_ContentInfo_free(cms);
	BIO_free(b);
	return der;
}

static void
test_openssl_cms_sign(void **state)
{
	struct sv_result	 r;
	X509			*x = leaf(pki.rsa);
	size_t			 len;
	uint8_t			*p;

	(void)state;
	p = openssl_p7s(x, pki.rsa, CMS_DETACHED | CMS_BINARY, &len);
	assert_int_equal(verify(p, len, pki.store, &r), SV_OK);
	OPENSSL_free(p);
	p = openssl_p7s(x, pki.rsa, CMS_DETACHED | CMS_BINARY | CMS_CADES,
	    &len);
	assert_int_equal(verify(p, len, pki.store, &r), SV_OK);
	OPENSSL_free(p);
	/* attached content: not a detached signature */
	p = openssl_p7s(x, pki.rsa, CMS_BINARY, &len);
	assert_int_equal(verify(p, len, pki.store, &r), SV_MALFORMED);
	assert_non_null(strstr(r.why.msg, "detached"));
	OPENSSL_free(p);
	X509_free(x);
}

static void
test_ecdsa_der(void **state)
{
	uint8_t	rs[64], der[80];
	size_t	len;

	(void)state;
	memset(rs, 0, sizeof(rs));
	rs[31] = 1;
	rs[63] = 0x80;
	assert_int_equal(sc_ecdsa_der(rs, 64, der, sizeof(der), &len), 0);
	assert_int_equal(len, 9);	/* 30 07 02 01 01 02 02 00 80 */
	assert_int_equal(der[8], 0x80);
	assert_int_equal(sc_ecdsa_der(rs, 63, der, sizeof(der), &len), -1);
	assert_int_equal(sc_ecdsa_der(rs, 0, der, sizeof(der), &len), -1);
	assert_int_equal(sc_ecdsa_der(rs, 64, der, 8, &len), -1);
}

/* Truncated at every length: malformed, and never a read past the end
 * (each copy is a heap block of exactly that size). */
static void
test_truncate_everywhere(void **state)
{
	struct sv_result	 r;
	X509			*x = leaf(pki.ec);
	size_t			 len, n;
	uint8_t			*p = make_p7s(x, pki.ec, SC_ECDSA, EVP_sha256(),
				    &len), *t;

	(void)state;
	for (n = 0; n < len; n++) {
		t = malloc(n > 0 ? n : 1);
		assert_non_null(t);
		memcpy(t, p, n);
		if (verify(t, n, pki.store, &r) != SV_MALFORMED)
			fail_msg("truncated at %zu of %zu: %s", n, len,
			    sv_verdict_str(r.verdict));
		free(t);
	}
	OPENSSL_free(p);
	X509_free(x);
}

/* Flip every bit of p (all_bits), or two per byte: bit 5 (constructed
 * tags, letter case) and one that rotates with the position. */
static void
flip_all(const uint8_t *p, size_t len, bool all_bits, unsigned *seen)
{
	struct sv_result	r;
	enum sv_verdict		v;
	size_t			i;
	uint8_t			*t = malloc(len);
	int			bit;

	assert_non_null(t);
	for (i = 0; i < len; i++)
		for (bit = 0; bit < 8; bit++) {
			if (!all_bits && bit != 5 && bit != (int)(i % 8))
				continue;
			memcpy(t, p, len);
			t[i] ^= (uint8_t)(1u << bit);
			v = verify(t, len, pki.store, &r);
			if (v == SV_OK || v > SV_ERROR)
				fail_msg("bit %d of byte %zu of %zu flipped: "
				    "%s", bit, i, len, sv_verdict_str(v));
			seen[v]++;
		}
	free(t);
}

/* Every bit of our .p7s (ECDSA, RSA-PSS) and of OpenSSL's: never
 * accepted, never a crash. */
static void
test_bitflip_everywhere(void **state)
{
	unsigned		 seen[SV_ERROR + 1] = { 0 };
	X509			*x = leaf(pki.ec), *xr = leaf(pki.rsa);
	size_t			 len;
	uint8_t			*p;

	(void)state;
	p = make_p7s(x, pki.ec, SC_ECDSA, EVP_sha256(), &len);
	flip_all(p, len, true, seen);
	OPENSSL_free(p);
	p = make_p7s(xr, pki.rsa, SC_RSA_PSS, EVP_sha256(), &len);
	flip_all(p, len, false, seen);
	OPENSSL_free(p);
	p = openssl_p7s(x, pki.ec, CMS_DETACHED | CMS_BINARY, &len);
	flip_all(p, len, true, seen);
	OPENSSL_free(p);
	X509_free(xr);
	print_message("flips: %u malformed, %u bad signature, %u untrusted, "
	    "%u expired\n", seen[SV_MALFORMED], seen[SV_BAD_SIGNATURE],
	    seen[SV_UNTRUSTED], seen[SV_EXPIRED]);
	assert_int_equal(seen[SV_ERROR], 0);
	X509_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok_all_schemes),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_expired_and_usage),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_openssl_cms_sign),
		cmocka_unit_test(test_ecdsa_der),
		cmocka_unit_test(test_truncate_everywhere),
		cmocka_unit_test(test_bitflip_everywhere),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
