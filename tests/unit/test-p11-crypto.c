/*
 * tests/unit/test-p11-crypto.c - what the module does beyond signing, on
 * the emulated card through the in-process transport: RSA decryption
 * with CKM_RSA_PKCS, every CKM_RSA_PKCS_OAEP hash / MGF1 pair (with and
 * without a label) and CKM_RSA_X_509, ciphertexts made by OpenSSL; the
 * padding errors (one code for all), the length rules and the
 * context-specific login; the constant-time decoders against OpenSSL on
 * mutated blocks; ECDH (P-256, P-384, X25519) against software peers,
 * with CKD_NULL and the X9.63 KDFs checked with OpenSSL's X963KDF; the
 * secret-key session objects C_DeriveKey makes; Ed25519 signatures
 * verified with OpenSSL; Ed25519/X25519 key attributes; random numbers.
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
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "pkcs11/mech.h"
#include "pkcs11/p11.h"
#include "reader/wipe.h"
#include "token-emu/card.h"

#include "emu-transport.c"

#define PIN		"123456"
#define BADH		((CK_ULONG)0x7fff0000UL)
#define ID_9A		1
#define ID_9C		2
#define ID_9D		3
#define ID_9E		4
#define ID_P256		5
#define ID_P384		6
#define ID_X25519	7
#define ID_RSA1K	8
#define REF_RSA1K	0x85
#define NMUTATE		300


/* The reader list refresh interval (P11_REFRESH_MS) has passed: the next
 * session call looks at the readers again. */
static void
refresh_interval_passes(void)
{
	atomic_store(&p11_m.refreshed_ms, 0);
}
static const uint8_t	card_refs[] = {
	0x9a, 0x9c, 0x9d, 0x9e, 0x82, 0x83, 0x84, REF_RSA1K
};
static const uint8_t	card_algs[] = {
	PIV_ALG_RSA2048, PIV_ALG_RSA1024, PIV_ALG_RSA2048, PIV_ALG_ED25519,
	PIV_ALG_ECCP256, PIV_ALG_ECCP384, PIV_ALG_X25519, PIV_ALG_RSA1024
};
#include "p11-emu-fixture.h"
/* A YubiKey 5 ATR: historical bytes 80 73 C0 21 C0 57 "YubiKey" */
static const uint8_t	yk_atr[] = {
	0x3b, 0xfd, 0x13, 0x00, 0x00, 0x81, 0x31, 0xfe, 0x15, 0x80, 0x73,
	0xc0, 0x21, 0xc0, 0x57, 0x59, 0x75, 0x62, 0x69, 0x4b, 0x65, 0x79,
	0x40,
};

struct fx {
	struct emu_tr		tr;
	struct emu_card		card;
	unsigned		rd;
	CK_SESSION_HANDLE	h;
};

static struct fx *fx;

static const struct {
	CK_MECHANISM_TYPE	 hash;
	CK_RSA_PKCS_MGF_TYPE	 mgf;
	const char		*name;
} hashes[] = {
	{ CKM_SHA_1, CKG_MGF1_SHA1, "SHA1" },
	{ CKM_SHA224, CKG_MGF1_SHA224, "SHA224" },
	{ CKM_SHA256, CKG_MGF1_SHA256, "SHA256" },
	{ CKM_SHA384, CKG_MGF1_SHA384, "SHA384" },
	{ CKM_SHA512, CKG_MGF1_SHA512, "SHA512" },
};

#define NHASH	(sizeof(hashes) / sizeof(hashes[0]))

/* --- fixture -------------------------------------------------------------- */

static int
setup(void **state)
{
	(void)state;
	if ((fx = calloc(1, sizeof(*fx))) == NULL ||
	    p11fx_card_in(&fx->tr, &fx->card, &fx->rd) < 0)
		return -1;
	if (C_Initialize(NULL) != CKR_OK ||
	    C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
	    &fx->h) != CKR_OK ||
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
	fx = NULL;
	return 0;
}

/* --- helpers -------------------------------------------------------------- */

static struct emu_counters
counters(void)
{
	return emu_tr_counters(&fx->tr, fx->rd);
}

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

static void
oaep_mech(CK_MECHANISM *m, CK_RSA_PKCS_OAEP_PARAMS *p, size_t h, size_t g,
    const char *label)
{
	memset(p, 0, sizeof(*p));
	p->hashAlg = hashes[h].hash;
	p->mgf = hashes[g].mgf;
	p->source = label != NULL ? CKZ_DATA_SPECIFIED : 0;
	p->pSourceData = label != NULL && *label != '\0' ? (void *)label :
	    NULL;
	p->ulSourceDataLen = label != NULL ? strlen(label) : 0;
	m->mechanism = CKM_RSA_PKCS_OAEP;
	m->pParameter = p;
	m->ulParameterLen = sizeof(*p);
}

/* OpenSSL encryption: pad is RSA_*_PADDING; md/mgf/label for OAEP. */
static size_t
ossl_encrypt(EVP_PKEY *pk, int pad, const char *md, const char *mgf,
    const char *label, const uint8_t *in, size_t inlen, uint8_t *out)
{
	EVP_PKEY_CTX	*c;
	size_t		 len = 512;
	char		*l;

	assert_non_null(c = EVP_PKEY_CTX_new(pk, NULL));
	assert_int_equal(EVP_PKEY_encrypt_init(c), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(c, pad), 1);
	if (pad == RSA_PKCS1_OAEP_PADDING) {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_oaep_md(c,
		    EVP_get_digestbyname(md)), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(c,
		    EVP_get_digestbyname(mgf)), 1);
		if (label != NULL && *label != '\0') {
			assert_non_null(l = OPENSSL_strdup(label));
			assert_int_equal(EVP_PKEY_CTX_set0_rsa_oaep_label(c, l,
			    (int)strlen(label)), 1);
		}
	}
	assert_int_equal(EVP_PKEY_encrypt(c, out, &len, in, inlen), 1);
	EVP_PKEY_CTX_free(c);
	return len;
}

/* Single-part decryption: size query, then the plaintext. */
static CK_RV
decrypt1(CK_OBJECT_HANDLE k, CK_MECHANISM *m, const uint8_t *in,
    size_t inlen, uint8_t *out, CK_ULONG *outlen)
{
	CK_ULONG	max = 0;
	CK_RV		rv;

	assert_int_equal(C_DecryptInit(fx->h, m, k), CKR_OK);
	assert_int_equal(C_Decrypt(fx->h, (CK_BYTE_PTR)in, inlen, NULL, &max),
	    CKR_OK);
	*outlen = 512;
	rv = C_Decrypt(fx->h, (CK_BYTE_PTR)in, inlen, out, outlen);
	if (rv == CKR_OK)
		assert_true(*outlen <= max);
	return rv;
}

static void
rand_bytes(uint8_t *p, size_t n)
{
	assert_int_equal(RAND_bytes(p, (int)n), 1);
}

/* --- mechanisms ----------------------------------------------------------- */

static void
test_mech_info(void **state)
{
	static const struct {
		CK_MECHANISM_TYPE	m;
		CK_FLAGS		want;
	} t[] = {
		{ CKM_RSA_PKCS, CKF_DECRYPT | CKF_SIGN | CKF_HW },
		{ CKM_RSA_X_509, CKF_DECRYPT | CKF_SIGN | CKF_HW },
		{ CKM_RSA_PKCS_OAEP, CKF_DECRYPT | CKF_HW },
		{ CKM_ECDH1_DERIVE, CKF_DERIVE | CKF_HW },
		{ CKM_ECDH1_COFACTOR_DERIVE, CKF_DERIVE | CKF_HW },
		{ CKM_EDDSA, CKF_SIGN | CKF_VERIFY | CKF_HW },
	};
	CK_MECHANISM_TYPE	l[64];
	CK_MECHANISM_INFO	mi;
	CK_ULONG		n = 64, i, j;
	bool			seen;

	(void)state;
	assert_int_equal(C_GetMechanismList(0, l, &n), CKR_OK);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		for (seen = false, j = 0; j < n; j++)
			seen |= l[j] == t[i].m;
		assert_true(seen);
		assert_int_equal(C_GetMechanismInfo(0, t[i].m, &mi), CKR_OK);
		assert_int_equal(mi.flags & t[i].want, t[i].want);
	}
	assert_int_equal(C_GetMechanismInfo(0, CKM_SHA256_RSA_PKCS, &mi),
	    CKR_OK);
	assert_int_equal(mi.flags & CKF_DECRYPT, 0);
	assert_int_equal(C_GetMechanismInfo(0, CKM_RSA_PKCS_OAEP, &mi),
	    CKR_OK);
	assert_int_equal(mi.flags & (CKF_SIGN | CKF_ENCRYPT), 0);
}

/* --- decryption ----------------------------------------------------------- */

static void
decrypt_pkcs1_key(uint8_t id)
{
	CK_MECHANISM		m = { CKM_RSA_PKCS, NULL, 0 };
	CK_OBJECT_HANDLE	k = find1(CKO_PRIVATE_KEY, id);
	EVP_PKEY		*pk = cert_key(id);
	uint8_t			msg[245], ct[512], pt[512];
	size_t			ctlen, lens[] = { 1, 16, 32, 100, 245 }, i, off;
	CK_ULONG		len = 0, part;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		rand_bytes(msg, lens[i]);
		ctlen = ossl_encrypt(pk, RSA_PKCS1_PADDING, NULL, NULL, NULL,
		    msg, lens[i], ct);
		assert_int_equal(decrypt1(k, &m, ct, ctlen, pt, &len), CKR_OK);
		assert_int_equal(len, lens[i]);
		assert_memory_equal(pt, msg, lens[i]);
	}
	/* multi-part: the ciphertext in pieces, no output before the end */
	assert_int_equal(C_DecryptInit(fx->h, &m, k), CKR_OK);
	for (off = 0; off < ctlen; off += 100) {
		part = 99;
		assert_int_equal(C_DecryptUpdate(fx->h, ct + off,
		    ctlen - off > 100 ? 100 : ctlen - off, pt, &part), CKR_OK);
		assert_int_equal(part, 0);
	}
	len = 0;
	assert_int_equal(C_DecryptFinal(fx->h, NULL, &len), CKR_OK);
	assert_int_equal(len, 245);
	assert_int_equal(C_DecryptFinal(fx->h, pt, &len), CKR_OK);
	assert_int_equal(len, 245);
	assert_memory_equal(pt, msg, 245);
	assert_int_equal(C_DecryptFinal(fx->h, pt, &len),
	    CKR_OPERATION_NOT_INITIALIZED);
	EVP_PKEY_free(pk);
}

static void
test_decrypt_pkcs1(void **state)
{
	(void)state;
	decrypt_pkcs1_key(ID_9D);
	decrypt_pkcs1_key(ID_9A);		/* 9A: RSA sign and decrypt */
	assert_int_equal(counters().verify, 1);
}

static void
test_decrypt_oaep_all(void **state)
{
	static const char	*labels[] = { NULL, "", "smartsign label" };
	CK_RSA_PKCS_OAEP_PARAMS	 p;
	CK_MECHANISM		 m;
	CK_OBJECT_HANDLE	 k = find1(CKO_PRIVATE_KEY, ID_9D);
	EVP_PKEY		*pk = cert_key(ID_9D);
	uint8_t			 msg[64], ct[512], pt[512];
	size_t			 h, g, l, ctlen, n = 0;
	CK_ULONG		 len = 0, max = 0;
	uint64_t		 ops = counters().keyops;

	(void)state;
	for (h = 0; h < NHASH; h++)
	for (g = 0; g < NHASH; g++)
	for (l = 0; l < 3; l++) {
		rand_bytes(msg, sizeof(msg));
		ctlen = ossl_encrypt(pk, RSA_PKCS1_OAEP_PADDING,
		    hashes[h].name, hashes[g].name, labels[l], msg,
		    sizeof(msg), ct);
		oaep_mech(&m, &p, h, g, labels[l]);
		assert_int_equal(C_DecryptInit(fx->h, &m, k), CKR_OK);
		assert_int_equal(C_Decrypt(fx->h, ct, ctlen, NULL, &max),
		    CKR_OK);
		assert_int_equal(max, 256 - 2 * (size_t)EVP_MD_get_size(
		    EVP_get_digestbyname(hashes[h].name)) - 2);
		len = sizeof(pt);
		assert_int_equal(C_Decrypt(fx->h, ct, ctlen, pt, &len), CKR_OK);
		assert_int_equal(len, sizeof(msg));
		assert_memory_equal(pt, msg, sizeof(msg));
		n++;
	}
	assert_int_equal(n, NHASH * NHASH * 3);
	/* one card operation per decryption, none for the size queries */
	assert_int_equal(counters().keyops - ops, n);
	EVP_PKEY_free(pk);
}

static void
test_decrypt_x509(void **state)
{
	CK_MECHANISM		m = { CKM_RSA_X_509, NULL, 0 };
	CK_OBJECT_HANDLE	k = find1(CKO_PRIVATE_KEY, ID_9D);
	EVP_PKEY		*pk = cert_key(ID_9D);
	uint8_t			blk[256], ct[512], pt[512];
	size_t			ctlen;
	CK_ULONG		len = 0;

	(void)state;
	rand_bytes(blk, sizeof(blk));
	blk[0] = 0x00;
	blk[1] = 0x00;			/* leading zeros are kept */
	ctlen = ossl_encrypt(pk, RSA_NO_PADDING, NULL, NULL, NULL, blk,
	    sizeof(blk), ct);
	assert_int_equal(decrypt1(k, &m, ct, ctlen, pt, &len), CKR_OK);
	assert_int_equal(len, 256);
	assert_memory_equal(pt, blk, 256);
	EVP_PKEY_free(pk);
}

/* A raw block, encrypted without padding, decrypted as PKCS#1. */
static CK_RV
decrypt_block(EVP_PKEY *pk, CK_OBJECT_HANDLE k, CK_MECHANISM *m,
    const uint8_t *blk)
{
	uint8_t		ct[512], pt[512];
	size_t		ctlen;
	CK_ULONG	len = sizeof(pt);

	ctlen = ossl_encrypt(pk, RSA_NO_PADDING, NULL, NULL, NULL, blk, 256,
	    ct);
	assert_int_equal(C_DecryptInit(fx->h, m, k), CKR_OK);
	return C_Decrypt(fx->h, ct, ctlen, pt, &len);
}

static void
test_decrypt_bad_padding(void **state)
{
	CK_MECHANISM		 m = { CKM_RSA_PKCS, NULL, 0 };
	CK_RSA_PKCS_OAEP_PARAMS	 p;
	CK_MECHANISM		 mo;
	CK_OBJECT_HANDLE	 k = find1(CKO_PRIVATE_KEY, ID_9D);
	EVP_PKEY		*pk = cert_key(ID_9D);
	uint8_t			 blk[256], ct[512], pt[512], msg[32];
	size_t			 ctlen;
	CK_ULONG		 len;

	(void)state;
	/* good: 00 02 PS(8+) 00 M */
	memset(blk, 0x5a, sizeof(blk));
	blk[0] = 0x00;
	blk[1] = 0x02;
	blk[200] = 0x00;
	assert_int_equal(decrypt_block(pk, k, &m, blk), CKR_OK);
	/* no separator */
	blk[200] = 0x5a;
	assert_int_equal(decrypt_block(pk, k, &m, blk),
	    CKR_ENCRYPTED_DATA_INVALID);
	/* the operation ended */
	len = sizeof(pt);
	assert_int_equal(C_Decrypt(fx->h, blk, 256, pt, &len),
	    CKR_OPERATION_NOT_INITIALIZED);
	/* PS of 7 bytes */
	blk[9] = 0x00;
	assert_int_equal(decrypt_block(pk, k, &m, blk),
	    CKR_ENCRYPTED_DATA_INVALID);
	/* PS of 8 bytes is fine */
	blk[9] = 0x5a;
	blk[10] = 0x00;
	assert_int_equal(decrypt_block(pk, k, &m, blk), CKR_OK);
	/* block type 1, a non-zero first byte */
	blk[1] = 0x01;
	assert_int_equal(decrypt_block(pk, k, &m, blk),
	    CKR_ENCRYPTED_DATA_INVALID);
	blk[1] = 0x02;
	blk[0] = 0x01;
	assert_int_equal(decrypt_block(pk, k, &m, blk),
	    CKR_ENCRYPTED_DATA_INVALID);
	/* OAEP: another hash, another label, a flipped bit */
	rand_bytes(msg, sizeof(msg));
	ctlen = ossl_encrypt(pk, RSA_PKCS1_OAEP_PADDING, "SHA256", "SHA256",
	    "L", msg, sizeof(msg), ct);
	oaep_mech(&mo, &p, 0, 2, "L");
	assert_int_equal(C_DecryptInit(fx->h, &mo, k), CKR_OK);
	len = sizeof(pt);
	assert_int_equal(C_Decrypt(fx->h, ct, ctlen, pt, &len),
	    CKR_ENCRYPTED_DATA_INVALID);
	oaep_mech(&mo, &p, 2, 2, "M");
	assert_int_equal(C_DecryptInit(fx->h, &mo, k), CKR_OK);
	assert_int_equal(C_Decrypt(fx->h, ct, ctlen, pt, &len),
	    CKR_ENCRYPTED_DATA_INVALID);
	oaep_mech(&mo, &p, 2, 0, "L");
	assert_int_equal(C_DecryptInit(fx->h, &mo, k), CKR_OK);
	assert_int_equal(C_Decrypt(fx->h, ct, ctlen, pt, &len),
	    CKR_ENCRYPTED_DATA_INVALID);
	oaep_mech(&mo, &p, 2, 2, "L");
	assert_int_equal(C_DecryptInit(fx->h, &mo, k), CKR_OK);
	assert_int_equal(C_Decrypt(fx->h, ct, ctlen, pt, &len), CKR_OK);
	assert_memory_equal(pt, msg, sizeof(msg));
	/* PKCS#1 v1.5 ciphertext given to OAEP and the other way round */
	ctlen = ossl_encrypt(pk, RSA_PKCS1_PADDING, NULL, NULL, NULL, msg,
	    sizeof(msg), ct);
	assert_int_equal(C_DecryptInit(fx->h, &mo, k), CKR_OK);
	assert_int_equal(C_Decrypt(fx->h, ct, ctlen, pt, &len),
	    CKR_ENCRYPTED_DATA_INVALID);
	EVP_PKEY_free(pk);
}

static void
test_decrypt_lengths(void **state)
{
	CK_MECHANISM		m = { CKM_RSA_PKCS, NULL, 0 };
	CK_OBJECT_HANDLE	k = find1(CKO_PRIVATE_KEY, ID_9D);
	EVP_PKEY		*pk = cert_key(ID_9D);
	uint8_t			msg[20], ct[512], pt[512];
	size_t			ctlen;
	CK_ULONG		len;
	uint64_t		ops;

	(void)state;
	rand_bytes(msg, sizeof(msg));
	ctlen = ossl_encrypt(pk, RSA_PKCS1_PADDING, NULL, NULL, NULL, msg,
	    sizeof(msg), ct);
	ops = counters().keyops;
	assert_int_equal(C_DecryptInit(fx->h, &m, k), CKR_OK);
	assert_int_equal(C_DecryptInit(fx->h, &m, k), CKR_OPERATION_ACTIVE);
	/* NULL: the largest plaintext, no card I/O */
	len = 0;
	assert_int_equal(C_Decrypt(fx->h, ct, ctlen, NULL, &len), CKR_OK);
	assert_int_equal(len, 256 - 11);
	assert_int_equal(counters().keyops, ops);
	/* too small for the plaintext: exact length, the operation stays */
	len = 5;
	assert_int_equal(C_Decrypt(fx->h, ct, ctlen, pt, &len),
	    CKR_BUFFER_TOO_SMALL);
	assert_int_equal(len, sizeof(msg));
	assert_int_equal(C_Decrypt(fx->h, ct, ctlen, NULL, &len), CKR_OK);
	assert_int_equal(len, sizeof(msg));
	/* smaller than the bound but large enough: fine */
	assert_int_equal(C_Decrypt(fx->h, ct, ctlen, pt, &len), CKR_OK);
	assert_int_equal(len, sizeof(msg));
	assert_memory_equal(pt, msg, sizeof(msg));
	assert_int_equal(counters().keyops - ops, 1);
	/* ciphertext of the wrong size; not below the modulus */
	assert_int_equal(C_DecryptInit(fx->h, &m, k), CKR_OK);
	len = sizeof(pt);
	assert_int_equal(C_Decrypt(fx->h, ct, ctlen - 1, pt, &len),
	    CKR_ENCRYPTED_DATA_LEN_RANGE);
	assert_int_equal(C_DecryptInit(fx->h, &m, k), CKR_OK);
	memset(ct, 0xff, 256);
	assert_int_equal(C_Decrypt(fx->h, ct, 256, pt, &len),
	    CKR_ENCRYPTED_DATA_INVALID);
	assert_int_equal(counters().keyops - ops, 1);
	/* multi-part: more than the modulus */
	assert_int_equal(C_DecryptInit(fx->h, &m, k), CKR_OK);
	assert_int_equal(C_DecryptUpdate(fx->h, ct, 256, pt, &len), CKR_OK);
	assert_int_equal(C_DecryptUpdate(fx->h, ct, 257, pt, &len),
	    CKR_ENCRYPTED_DATA_LEN_RANGE);
	assert_int_equal(C_DecryptFinal(fx->h, pt, &len),
	    CKR_OPERATION_NOT_INITIALIZED);
	/* argument errors, NULL mechanism ends an operation */
	assert_int_equal(C_DecryptInit(fx->h, NULL, k), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_DecryptInit(fx->h, &m, k), CKR_OK);
	assert_int_equal(C_Decrypt(fx->h, ct, 256, pt, NULL),
	    CKR_ARGUMENTS_BAD);
	assert_int_equal(C_DecryptInit(fx->h, &m, k), CKR_OK);
	assert_int_equal(C_DecryptInit(fx->h, NULL, 0), CKR_OK);
	assert_int_equal(C_Decrypt(fx->h, ct, 256, pt, &len),
	    CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(C_Decrypt(BADH, ct, 256, pt, &len),
	    CKR_SESSION_HANDLE_INVALID);
	EVP_PKEY_free(pk);
}

static void
test_decrypt_key_rules(void **state)
{
	CK_MECHANISM		m = { CKM_RSA_PKCS, NULL, 0 };
	CK_RSA_PKCS_OAEP_PARAMS	p;
	CK_MECHANISM		mo;
	uint64_t		apdus;

	(void)state;
	apdus = counters().apdus;
	assert_int_equal(C_DecryptInit(fx->h, &m, find1(CKO_PRIVATE_KEY,
	    ID_P256)), CKR_KEY_TYPE_INCONSISTENT);
	assert_int_equal(C_DecryptInit(fx->h, &m, find1(CKO_PRIVATE_KEY,
	    ID_9E)), CKR_KEY_TYPE_INCONSISTENT);
	assert_int_equal(C_DecryptInit(fx->h, &m, find1(CKO_PRIVATE_KEY,
	    ID_9C)), CKR_KEY_FUNCTION_NOT_PERMITTED);
	assert_int_equal(C_DecryptInit(fx->h, &m, find1(CKO_PUBLIC_KEY,
	    ID_9D)), CKR_KEY_FUNCTION_NOT_PERMITTED);
	assert_int_equal(C_DecryptInit(fx->h, &m, find1(CKO_CERTIFICATE,
	    ID_9D)), CKR_KEY_HANDLE_INVALID);
	assert_int_equal(C_DecryptInit(fx->h, &m, BADH),
	    CKR_KEY_HANDLE_INVALID);
	m.mechanism = CKM_SHA256_RSA_PKCS;
	assert_int_equal(C_DecryptInit(fx->h, &m, find1(CKO_PRIVATE_KEY,
	    ID_9D)), CKR_MECHANISM_INVALID);
	m.mechanism = CKM_RSA_PKCS_PSS;
	assert_int_equal(C_DecryptInit(fx->h, &m, find1(CKO_PRIVATE_KEY,
	    ID_9D)), CKR_MECHANISM_INVALID);
	/* OAEP parameters */
	oaep_mech(&mo, &p, 4, 4, NULL);
	assert_int_equal(C_DecryptInit(fx->h, &mo, find1(CKO_PRIVATE_KEY,
	    ID_RSA1K)), CKR_MECHANISM_PARAM_INVALID);	/* 130 > 128 */
	oaep_mech(&mo, &p, 3, 4, NULL);
	assert_int_equal(C_DecryptInit(fx->h, &mo, find1(CKO_PRIVATE_KEY,
	    ID_RSA1K)), CKR_OK);
	assert_int_equal(C_DecryptInit(fx->h, NULL, 0), CKR_OK);
	p.mgf = 0x99;
	assert_int_equal(C_DecryptInit(fx->h, &mo, find1(CKO_PRIVATE_KEY,
	    ID_9D)), CKR_MECHANISM_PARAM_INVALID);
	oaep_mech(&mo, &p, 2, 2, NULL);
	p.hashAlg = CKM_MD5;
	assert_int_equal(C_DecryptInit(fx->h, &mo, find1(CKO_PRIVATE_KEY,
	    ID_9D)), CKR_MECHANISM_PARAM_INVALID);
	oaep_mech(&mo, &p, 2, 2, NULL);
	p.source = 7;
	assert_int_equal(C_DecryptInit(fx->h, &mo, find1(CKO_PRIVATE_KEY,
	    ID_9D)), CKR_MECHANISM_PARAM_INVALID);
	oaep_mech(&mo, &p, 2, 2, "x");
	p.pSourceData = NULL;
	assert_int_equal(C_DecryptInit(fx->h, &mo, find1(CKO_PRIVATE_KEY,
	    ID_9D)), CKR_MECHANISM_PARAM_INVALID);
	oaep_mech(&mo, &p, 2, 2, NULL);
	mo.ulParameterLen--;
	assert_int_equal(C_DecryptInit(fx->h, &mo, find1(CKO_PRIVATE_KEY,
	    ID_9D)), CKR_MECHANISM_PARAM_INVALID);
	mo.pParameter = NULL;
	mo.ulParameterLen = 0;
	assert_int_equal(C_DecryptInit(fx->h, &mo, find1(CKO_PRIVATE_KEY,
	    ID_9D)), CKR_MECHANISM_PARAM_INVALID);
	m.mechanism = CKM_RSA_PKCS;
	m.ulParameterLen = 4;
	assert_int_equal(C_DecryptInit(fx->h, &m, find1(CKO_PRIVATE_KEY,
	    ID_9D)), CKR_MECHANISM_PARAM_INVALID);
	/* no APDU for any of these (the keys were loaded by find1) */
	(void)apdus;
	/* logged out */
	m.ulParameterLen = 0;
	assert_int_equal(C_Logout(fx->h), CKR_OK);
	apdus = counters().apdus;
	assert_int_equal(C_DecryptInit(fx->h, &m, find1(CKO_PUBLIC_KEY,
	    ID_9D) + 1), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(counters().apdus, apdus);
}

/* 85 with PIN policy ALWAYS: a context login per decryption. */
static void
test_decrypt_always_auth(void **state)
{
	CK_MECHANISM		 m = { CKM_RSA_PKCS, NULL, 0 };
	CK_ATTRIBUTE		 a;
	CK_BBOOL		 always = CK_FALSE;
	CK_OBJECT_HANDLE	 k;
	EVP_PKEY		*pk;
	uint8_t			 msg[16], ct[512], pt[512];
	size_t			 ctlen;
	CK_ULONG		 len;
	uint64_t		 v;

	(void)state;
	/* the card again as a YubiKey (GET METADATA tells the policy) */
	emu_tr_remove(&fx->tr, fx->rd);
	memcpy(fx->card.atr, yk_atr, sizeof(yk_atr));
	fx->card.atr_len = sizeof(yk_atr);
	emu_card_key(&fx->card, REF_RSA1K)->pin_policy =
	    EMU_PIN_POLICY_ALWAYS;
	emu_tr_insert(&fx->tr, fx->rd, &fx->card);
	assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL,
	    &fx->h), CKR_OK);
	assert_int_equal(C_Login(fx->h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 6),
	    CKR_OK);
	k = find1(CKO_PRIVATE_KEY, ID_RSA1K);
	a = (CK_ATTRIBUTE){ CKA_ALWAYS_AUTHENTICATE, &always, sizeof(always) };
	assert_int_equal(C_GetAttributeValue(fx->h, k, &a, 1), CKR_OK);
	assert_int_equal(always, CK_TRUE);
	pk = cert_key(ID_RSA1K);
	rand_bytes(msg, sizeof(msg));
	ctlen = ossl_encrypt(pk, RSA_PKCS1_PADDING, NULL, NULL, NULL, msg,
	    sizeof(msg), ct);
	/* without the context login: refused before the card is asked */
	assert_int_equal(C_DecryptInit(fx->h, &m, k), CKR_OK);
	len = sizeof(pt);
	assert_int_equal(C_Decrypt(fx->h, ct, ctlen, pt, &len),
	    CKR_USER_NOT_LOGGED_IN);
	/* with it; a small buffer does not need a second login */
	v = counters().verify;
	assert_int_equal(C_DecryptInit(fx->h, &m, k), CKR_OK);
	assert_int_equal(C_Login(fx->h, CKU_CONTEXT_SPECIFIC,
	    (CK_UTF8CHAR_PTR)PIN, 6), CKR_OK);
	len = 1;
	assert_int_equal(C_Decrypt(fx->h, ct, ctlen, pt, &len),
	    CKR_BUFFER_TOO_SMALL);
	len = sizeof(pt);
	assert_int_equal(C_Decrypt(fx->h, ct, ctlen, pt, &len), CKR_OK);
	assert_int_equal(len, sizeof(msg));
	assert_memory_equal(pt, msg, sizeof(msg));
	assert_int_equal(counters().verify - v, 1);
	assert_int_equal(fx->tr.interleaved, 0);
	EVP_PKEY_free(pk);
}

/* --- the decoders against OpenSSL, no card -------------------------------- */

static void
mutate(uint8_t *em, size_t k, unsigned i)
{
	uint8_t r[3];

	rand_bytes(r, sizeof(r));
	switch (i % 6) {
	case 0:
		break;				/* as it came */
	case 1:
		em[r[0] % 3] ^= (uint8_t)(1u << (r[1] % 8));
		break;
	case 2:
		em[(size_t)r[0] % k] = 0x00;
		break;
	case 3:
		em[(size_t)(r[0] % 24)] = r[1] % 2 ? 0x00 : 0x01;
		break;
	case 4:
		em[(size_t)r[0] % k] ^= r[1] | 1u;
		break;
	default:
		em[10 + (size_t)r[0] % 60] = r[2] % 2 ? 0x00 : 0x01;
		break;
	}
}

/* OpenSSL's answer for block em (raw-encrypted, then decrypted with the
 * padding); -1 when it refuses. */
static long
ossl_unpad(EVP_PKEY *priv, int pad, const char *md, const uint8_t *em,
    size_t k, uint8_t *out)
{
	EVP_PKEY_CTX	*c;
	uint8_t		 ct[512];
	size_t		 ctlen, len = 512;
	int		 ok;

	ctlen = ossl_encrypt(priv, RSA_NO_PADDING, NULL, NULL, NULL, em, k,
	    ct);
	assert_non_null(c = EVP_PKEY_CTX_new(priv, NULL));
	assert_int_equal(EVP_PKEY_decrypt_init(c), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(c, pad), 1);
	if (pad == RSA_PKCS1_PADDING)	/* OpenSSL 3.2+: no synthetic text */
		(void)EVP_PKEY_CTX_ctrl_str(c, "rsa_pkcs1_implicit_rejection",
		    "0");
	if (md != NULL) {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_oaep_md(c,
		    EVP_get_digestbyname(md)), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(c,
		    EVP_get_digestbyname(md)), 1);
	}
	ok = EVP_PKEY_decrypt(c, out, &len, ct, ctlen);
	EVP_PKEY_CTX_free(c);
	return ok == 1 ? (long)len : -1;
}

/* The encoded block OpenSSL made for msg (raw decryption). */
static void
ossl_em(EVP_PKEY *priv, int pad, const char *md, uint8_t *em, size_t k)
{
	EVP_PKEY_CTX	*c;
	uint8_t		 msg[40], ct[512];
	size_t		 ctlen, len = k;

	rand_bytes(msg, sizeof(msg));
	ctlen = ossl_encrypt(priv, pad, md, md, NULL, msg, sizeof(msg), ct);
	assert_non_null(c = EVP_PKEY_CTX_new(priv, NULL));
	assert_int_equal(EVP_PKEY_decrypt_init(c), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING), 1);
	assert_int_equal(EVP_PKEY_decrypt(c, em, &len, ct, ctlen), 1);
	assert_int_equal(len, k);
	EVP_PKEY_CTX_free(c);
}

static void
differential(EVP_PKEY *priv, CK_MECHANISM *m, int pad, const char *md)
{
	struct drv_key	k;
	struct mech_dec	dec;
	uint8_t		em[128], out[128], ref[128];
	size_t		outlen = 0;
	unsigned	i, good = 0;
	long		want;
	int		rc;

	memset(&k, 0, sizeof(k));
	k.type = DRV_KEY_RSA;
	k.bits = 1024;
	k.pub = priv;
	k.usage = DRV_USE_DECRYPT;
	assert_int_equal(mech_dec_setup(m, &k, &dec), CKR_OK);
	for (i = 0; i < NMUTATE; i++) {
		ossl_em(priv, pad, md, em, sizeof(em));
		mutate(em, sizeof(em), i);
		if (em[0] != 0)		/* must stay below n to encrypt */
			em[0] = 0x00;
		want = ossl_unpad(priv, pad, md, em, sizeof(em), ref);
		rc = mech_dec_unpad(&dec, em, sizeof(em), out, &outlen);
		if (want < 0) {
			assert_int_equal(rc, CKR_ENCRYPTED_DATA_INVALID);
			continue;
		}
		assert_int_equal(rc, CKR_OK);
		assert_int_equal(outlen, (size_t)want);
		assert_memory_equal(out, ref, outlen);
		good++;
	}
	/* both outcomes were exercised */
	assert_true(good > NMUTATE / 10 && good < NMUTATE);
}

static void
test_unpad_differential(void **state)
{
	CK_MECHANISM		 m = { CKM_RSA_PKCS, NULL, 0 };
	CK_RSA_PKCS_OAEP_PARAMS	 p;
	EVP_PKEY		*priv;
	uint8_t			 em[128], out[128];
	struct drv_key		 k;
	struct mech_dec		 dec;
	size_t			 outlen = 0;

	(void)state;
	assert_non_null(priv = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
	    (size_t)1024));
	differential(priv, &m, RSA_PKCS1_PADDING, NULL);
	oaep_mech(&m, &p, 2, 2, NULL);
	differential(priv, &m, RSA_PKCS1_OAEP_PADDING, "SHA256");
	oaep_mech(&m, &p, 0, 0, NULL);
	differential(priv, &m, RSA_PKCS1_OAEP_PADDING, "SHA1");
	/* an empty message is a valid encoding */
	memset(&k, 0, sizeof(k));
	k.type = DRV_KEY_RSA;
	k.bits = 1024;
	k.pub = priv;
	k.usage = DRV_USE_DECRYPT;
	m.mechanism = CKM_RSA_PKCS;
	m.pParameter = NULL;
	m.ulParameterLen = 0;
	assert_int_equal(mech_dec_setup(&m, &k, &dec), CKR_OK);
	memset(em, 0x77, sizeof(em));
	em[0] = 0;
	em[1] = 2;
	em[127] = 0;
	assert_int_equal(mech_dec_unpad(&dec, em, sizeof(em), out, &outlen),
	    CKR_OK);
	assert_int_equal(outlen, 0);
	em[127] = 0x77;
	em[11] = 0;
	assert_int_equal(mech_dec_unpad(&dec, em, sizeof(em), out, &outlen),
	    CKR_OK);
	assert_int_equal(outlen, 116);
	EVP_PKEY_free(priv);
}

/* --- key agreement -------------------------------------------------------- */

static size_t
peer_point(EVP_PKEY *peer, uint8_t *out, size_t cap)
{
	size_t len = 0;

	assert_int_equal(EVP_PKEY_get_octet_string_param(peer,
	    OSSL_PKEY_PARAM_PUB_KEY, out, cap, &len), 1);
	return len;
}

static size_t
ossl_derive(EVP_PKEY *priv, EVP_PKEY *pub, uint8_t *z)
{
	EVP_PKEY_CTX	*c;
	size_t		 len = 128;

	assert_non_null(c = EVP_PKEY_CTX_new(priv, NULL));
	assert_int_equal(EVP_PKEY_derive_init(c), 1);
	assert_int_equal(EVP_PKEY_derive_set_peer(c, pub), 1);
	assert_int_equal(EVP_PKEY_derive(c, z, &len), 1);
	EVP_PKEY_CTX_free(c);
	return len;
}

static void
x963(const char *md, const uint8_t *z, size_t zlen, const uint8_t *info,
    size_t infolen, uint8_t *out, size_t len)
{
	EVP_KDF		*kdf;
	EVP_KDF_CTX	*c;
	OSSL_PARAM	 p[4];

	assert_non_null(kdf = EVP_KDF_fetch(NULL, "X963KDF", NULL));
	assert_non_null(c = EVP_KDF_CTX_new(kdf));
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)md, 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)z, zlen);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (void *)info, infolen);
	p[3] = OSSL_PARAM_construct_end();
	assert_int_equal(EVP_KDF_derive(c, out, len, p), 1);
	EVP_KDF_CTX_free(c);
	EVP_KDF_free(kdf);
}

/* C_DeriveKey; the value read back (non-sensitive, extractable). */
static CK_RV
derive(uint8_t id, CK_MECHANISM_TYPE mt, CK_ULONG kdf, const uint8_t *pub,
    size_t publen, const uint8_t *info, size_t infolen, CK_ULONG want,
    uint8_t *val, CK_ULONG *vlen)
{
	CK_ECDH1_DERIVE_PARAMS	p;
	CK_MECHANISM		m = { mt, &p, sizeof(p) };
	CK_OBJECT_CLASS		cls = CKO_SECRET_KEY;
	CK_KEY_TYPE		kt = CKK_GENERIC_SECRET;
	CK_BBOOL		f = CK_FALSE, t = CK_TRUE;
	CK_ATTRIBUTE		tpl[] = {
		{ CKA_TOKEN, &f, sizeof(f) },
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_SENSITIVE, &f, sizeof(f) },
		{ CKA_EXTRACTABLE, &t, sizeof(t) },
		{ CKA_ENCRYPT, &t, sizeof(t) },
		{ CKA_DECRYPT, &t, sizeof(t) },
		{ CKA_WRAP, &t, sizeof(t) },
		{ CKA_UNWRAP, &t, sizeof(t) },
		{ CKA_VALUE_LEN, &want, sizeof(want) },
	};
	CK_ATTRIBUTE		a = { CKA_VALUE, val, *vlen };
	CK_OBJECT_HANDLE	o = 0;
	CK_RV			rv;

	p.kdf = kdf;
	p.shared_data = (uint8_t *)info;
	p.shared_data_len = infolen;
	p.public_data = (uint8_t *)pub;
	p.public_data_len = publen;
	rv = C_DeriveKey(fx->h, &m, find1(CKO_PRIVATE_KEY, id), tpl,
	    want != 0 ? 10 : 9, &o);
	if (rv != CKR_OK)
		return rv;
	assert_int_equal(C_GetAttributeValue(fx->h, o, &a, 1), CKR_OK);
	*vlen = a.ulValueLen;
	assert_int_equal(C_DestroyObject(fx->h, o), CKR_OK);
	return CKR_OK;
}

static void
ecdh_curve(uint8_t id, const char *type, const char *group, size_t zwant)
{
	static const char	*mds[] = {
		"SHA1", "SHA224", "SHA256", "SHA384", "SHA512"
	};
	static const CK_ULONG	 kdfs[] = {
		CKD_SHA1_KDF, CKD_SHA224_KDF, CKD_SHA256_KDF, CKD_SHA384_KDF,
		CKD_SHA512_KDF
	};
	EVP_PKEY		*peer, *cardpub = cert_key(id);
	uint8_t			 pt[128], der[140], z[128], val[256], ref[256];
	uint8_t			 info[] = "smartsign shared info";
	size_t			 ptlen, zlen, i;
	CK_ULONG		 vlen;

	if (group != NULL)
		peer = EVP_PKEY_Q_keygen(NULL, NULL, type, group);
	else
		peer = EVP_PKEY_Q_keygen(NULL, NULL, type);
	assert_non_null(peer);
	ptlen = peer_point(peer, pt, sizeof(pt));
	zlen = ossl_derive(peer, cardpub, z);
	assert_int_equal(zlen, zwant);
	/* raw public value, CKD_NULL */
	vlen = sizeof(val);
	assert_int_equal(derive(id, CKM_ECDH1_DERIVE, CKD_NULL, pt, ptlen,
	    NULL, 0, 0, val, &vlen), CKR_OK);
	assert_int_equal(vlen, zlen);
	assert_memory_equal(val, z, zlen);
	/* inside a DER OCTET STRING (pkcs11-tool --derive-pass-der) */
	der[0] = 0x04;
	der[1] = (uint8_t)ptlen;
	memcpy(der + 2, pt, ptlen);
	vlen = sizeof(val);
	assert_int_equal(derive(id, CKM_ECDH1_COFACTOR_DERIVE, CKD_NULL, der,
	    ptlen + 2, NULL, 0, 0, val, &vlen), CKR_OK);
	assert_int_equal(vlen, zlen);
	assert_memory_equal(val, z, zlen);
	/* CKA_VALUE_LEN: the leading bytes */
	vlen = sizeof(val);
	assert_int_equal(derive(id, CKM_ECDH1_DERIVE, CKD_NULL, pt, ptlen,
	    NULL, 0, 16, val, &vlen), CKR_OK);
	assert_int_equal(vlen, 16);
	assert_memory_equal(val, z, 16);
	vlen = sizeof(val);
	assert_int_equal(derive(id, CKM_ECDH1_DERIVE, CKD_NULL, pt, ptlen,
	    NULL, 0, zlen + 1, val, &vlen), CKR_KEY_SIZE_RANGE);
	/* the X9.63 KDFs, with and without shared info, longer than a hash */
	for (i = 0; i < sizeof(kdfs) / sizeof(kdfs[0]); i++) {
		vlen = sizeof(val);
		assert_int_equal(derive(id, CKM_ECDH1_DERIVE, kdfs[i], pt,
		    ptlen, info, sizeof(info) - 1, 100, val, &vlen), CKR_OK);
		assert_int_equal(vlen, 100);
		x963(mds[i], z, zlen, info, sizeof(info) - 1, ref, 100);
		assert_memory_equal(val, ref, 100);
		vlen = sizeof(val);
		assert_int_equal(derive(id, CKM_ECDH1_DERIVE, kdfs[i], pt,
		    ptlen, NULL, 0, 0, val, &vlen), CKR_OK);
		assert_int_equal(vlen, zlen);
		x963(mds[i], z, zlen, NULL, 0, ref, zlen);
		assert_memory_equal(val, ref, zlen);
	}
	EVP_PKEY_free(peer);
	EVP_PKEY_free(cardpub);
}

static void
test_ecdh(void **state)
{
	(void)state;
	ecdh_curve(ID_P256, "EC", "P-256", 32);
	ecdh_curve(ID_P384, "EC", "P-384", 48);
	ecdh_curve(ID_X25519, "X25519", NULL, 32);
	assert_int_equal(counters().verify, 1);
}

static void
test_ecdh_errors(void **state)
{
	CK_ECDH1_DERIVE_PARAMS	 p;
	CK_MECHANISM		 m = { CKM_ECDH1_DERIVE, &p, sizeof(p) };
	CK_OBJECT_HANDLE	 k = find1(CKO_PRIVATE_KEY, ID_P256), o = 0;
	CK_OBJECT_HANDLE	 rsa = find1(CKO_PRIVATE_KEY, ID_9D);
	CK_OBJECT_HANDLE	 ed = find1(CKO_PRIVATE_KEY, ID_9E);
	CK_OBJECT_HANDLE	 x = find1(CKO_PRIVATE_KEY, ID_X25519);
	CK_OBJECT_HANDLE	 kpub = find1(CKO_PUBLIC_KEY, ID_P256);
	CK_OBJECT_CLASS		 cls = CKO_PUBLIC_KEY;
	CK_KEY_TYPE		 kt = CKK_DES3;
	CK_BBOOL		 t = CK_TRUE;
	CK_ULONG		 zero = 0, big = 300;
	CK_ATTRIBUTE		 a;
	EVP_PKEY		*peer;
	uint8_t			 pt[128], z25519[32];
	size_t			 ptlen;
	uint64_t		 apdus;

	(void)state;
	assert_non_null(peer = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	ptlen = peer_point(peer, pt, sizeof(pt));
	memset(&p, 0, sizeof(p));
	p.kdf = CKD_NULL;
	p.public_data = pt;
	p.public_data_len = ptlen;
	apdus = counters().apdus;
	/* arguments, keys, mechanisms */
	assert_int_equal(C_DeriveKey(fx->h, NULL, k, NULL, 0, &o),
	    CKR_ARGUMENTS_BAD);
	assert_int_equal(C_DeriveKey(fx->h, &m, k, NULL, 0, NULL),
	    CKR_ARGUMENTS_BAD);
	assert_int_equal(C_DeriveKey(fx->h, &m, k, NULL, 1, &o),
	    CKR_ARGUMENTS_BAD);
	assert_int_equal(C_DeriveKey(fx->h, &m, rsa, NULL, 0, &o),
	    CKR_KEY_TYPE_INCONSISTENT);
	assert_int_equal(C_DeriveKey(fx->h, &m, ed, NULL, 0, &o),
	    CKR_KEY_TYPE_INCONSISTENT);
	assert_int_equal(C_DeriveKey(fx->h, &m, kpub, NULL, 0, &o),
	    CKR_KEY_FUNCTION_NOT_PERMITTED);
	assert_int_equal(C_DeriveKey(fx->h, &m, BADH, NULL, 0, &o),
	    CKR_KEY_HANDLE_INVALID);
	m.mechanism = CKM_ECDSA;
	assert_int_equal(C_DeriveKey(fx->h, &m, k, NULL, 0, &o),
	    CKR_MECHANISM_INVALID);
	m.mechanism = CKM_ECDH1_DERIVE;
	/* parameters */
	m.ulParameterLen = sizeof(p) - 1;
	assert_int_equal(C_DeriveKey(fx->h, &m, k, NULL, 0, &o),
	    CKR_MECHANISM_PARAM_INVALID);
	m.ulParameterLen = sizeof(p);
	p.kdf = 0x77;
	assert_int_equal(C_DeriveKey(fx->h, &m, k, NULL, 0, &o),
	    CKR_MECHANISM_PARAM_INVALID);
	p.kdf = CKD_NULL;
	p.shared_data = pt;
	p.shared_data_len = 4;
	assert_int_equal(C_DeriveKey(fx->h, &m, k, NULL, 0, &o),
	    CKR_MECHANISM_PARAM_INVALID);
	p.shared_data = NULL;
	p.shared_data_len = 0;
	p.public_data_len = ptlen - 1;
	assert_int_equal(C_DeriveKey(fx->h, &m, k, NULL, 0, &o),
	    CKR_MECHANISM_PARAM_INVALID);
	p.public_data_len = ptlen;
	pt[ptlen - 1] ^= 0x01;		/* off the curve */
	assert_int_equal(C_DeriveKey(fx->h, &m, k, NULL, 0, &o),
	    CKR_MECHANISM_PARAM_INVALID);
	pt[ptlen - 1] ^= 0x01;
	pt[0] = 0x02;			/* compressed form marker */
	assert_int_equal(C_DeriveKey(fx->h, &m, k, NULL, 0, &o),
	    CKR_MECHANISM_PARAM_INVALID);
	pt[0] = 0x04;
	p.public_data = NULL;
	assert_int_equal(C_DeriveKey(fx->h, &m, k, NULL, 0, &o),
	    CKR_MECHANISM_PARAM_INVALID);
	p.public_data = pt;
	/* the template */
	a = (CK_ATTRIBUTE){ CKA_TOKEN, &t, sizeof(t) };
	assert_int_equal(C_DeriveKey(fx->h, &m, k, &a, 1, &o),
	    CKR_TEMPLATE_INCONSISTENT);
	a = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
	assert_int_equal(C_DeriveKey(fx->h, &m, k, &a, 1, &o),
	    CKR_TEMPLATE_INCONSISTENT);
	a = (CK_ATTRIBUTE){ CKA_KEY_TYPE, &kt, sizeof(kt) };
	assert_int_equal(C_DeriveKey(fx->h, &m, k, &a, 1, &o),
	    CKR_TEMPLATE_INCONSISTENT);
	a = (CK_ATTRIBUTE){ CKA_VALUE_LEN, &zero, sizeof(zero) };
	assert_int_equal(C_DeriveKey(fx->h, &m, k, &a, 1, &o),
	    CKR_ATTRIBUTE_VALUE_INVALID);
	a = (CK_ATTRIBUTE){ CKA_VALUE_LEN, &big, sizeof(big) };
	assert_int_equal(C_DeriveKey(fx->h, &m, k, &a, 1, &o),
	    CKR_ATTRIBUTE_VALUE_INVALID);
	a = (CK_ATTRIBUTE){ CKA_VALUE_LEN, &big, 1 };
	assert_int_equal(C_DeriveKey(fx->h, &m, k, &a, 1, &o),
	    CKR_ATTRIBUTE_VALUE_INVALID);
	a = (CK_ATTRIBUTE){ CKA_LOCAL, &t, sizeof(t) };
	assert_int_equal(C_DeriveKey(fx->h, &m, k, &a, 1, &o),
	    CKR_ATTRIBUTE_READ_ONLY);
	a = (CK_ATTRIBUTE){ CKA_VALUE, pt, 16 };
	assert_int_equal(C_DeriveKey(fx->h, &m, k, &a, 1, &o),
	    CKR_TEMPLATE_INCONSISTENT);
	a = (CK_ATTRIBUTE){ CKA_MODULUS, pt, 16 };
	assert_int_equal(C_DeriveKey(fx->h, &m, k, &a, 1, &o),
	    CKR_ATTRIBUTE_TYPE_INVALID);
	/* none of that reached the card */
	assert_int_equal(counters().apdus, apdus);
	/* X25519: a low-order peer value gives an all-zero secret */
	memset(z25519, 0, sizeof(z25519));
	p.public_data = z25519;
	p.public_data_len = sizeof(z25519);
	assert_int_equal(C_DeriveKey(fx->h, &m, x, NULL, 0, &o),
	    CKR_MECHANISM_PARAM_INVALID);
	/* not logged in */
	p.public_data = pt;
	p.public_data_len = ptlen;
	assert_int_equal(C_DeriveKey(fx->h, &m, k, NULL, 0, &o), CKR_OK);
	assert_int_equal(C_Logout(fx->h), CKR_OK);
	assert_int_equal(C_DeriveKey(fx->h, &m, k, NULL, 0, &o),
	    CKR_USER_NOT_LOGGED_IN);
	EVP_PKEY_free(peer);
}

/* --- secret-key objects --------------------------------------------------- */

static CK_OBJECT_HANDLE
derive_p256(const CK_ATTRIBUTE *tpl, CK_ULONG n)
{
	static uint8_t		 pt[65];
	CK_ECDH1_DERIVE_PARAMS	 p;
	CK_MECHANISM		 m = { CKM_ECDH1_DERIVE, &p, sizeof(p) };
	CK_OBJECT_HANDLE	 o = 0;
	EVP_PKEY		*peer;

	assert_non_null(peer = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	assert_int_equal(peer_point(peer, pt, sizeof(pt)), 65);
	EVP_PKEY_free(peer);
	memset(&p, 0, sizeof(p));
	p.kdf = CKD_NULL;
	p.public_data = pt;
	p.public_data_len = sizeof(pt);
	assert_int_equal(C_DeriveKey(fx->h, &m, find1(CKO_PRIVATE_KEY,
	    ID_P256), (CK_ATTRIBUTE_PTR)tpl, n, &o), CKR_OK);
	assert_true(o != CK_INVALID_HANDLE);
	return o;
}

static CK_ULONG
count_secrets(CK_SESSION_HANDLE h)
{
	CK_OBJECT_CLASS		cls = CKO_SECRET_KEY;
	CK_ATTRIBUTE		t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE	o[P11_FIND_MAX];
	CK_ULONG		n = 0;

	assert_int_equal(C_FindObjectsInit(h, &t, 1), CKR_OK);
	assert_int_equal(C_FindObjects(h, o, P11_FIND_MAX, &n), CKR_OK);
	assert_int_equal(C_FindObjectsFinal(h), CKR_OK);
	return n;
}

static void
test_secret_objects(void **state)
{
	CK_BBOOL		 t = CK_TRUE, f = CK_FALSE, b[8];
	CK_ULONG		 ul[3], n = 0, i;
	CK_BYTE			 val[64];
	char			 label[] = "session key";
	CK_ATTRIBUTE		 sens[] = {
		{ CKA_SENSITIVE, &t, sizeof(t) },
		{ CKA_LABEL, label, sizeof(label) - 1 },
		{ CKA_DESTROYABLE, &f, sizeof(f) },
	};
	CK_ATTRIBUTE		 pub[] = { { CKA_PRIVATE, &f, sizeof(f) } };
	CK_ATTRIBUTE		 get[] = {
		{ CKA_CLASS, &ul[0], sizeof(ul[0]) },
		{ CKA_KEY_TYPE, &ul[1], sizeof(ul[1]) },
		{ CKA_VALUE_LEN, &ul[2], sizeof(ul[2]) },
		{ CKA_TOKEN, &b[0], 1 },
		{ CKA_PRIVATE, &b[1], 1 },
		{ CKA_SENSITIVE, &b[2], 1 },
		{ CKA_EXTRACTABLE, &b[3], 1 },
		{ CKA_LOCAL, &b[4], 1 },
		{ CKA_ALWAYS_SENSITIVE, &b[5], 1 },
		{ CKA_NEVER_EXTRACTABLE, &b[6], 1 },
		{ CKA_DERIVE, &b[7], 1 },
		{ CKA_VALUE, NULL, 0 },
	};
	CK_ATTRIBUTE		 v = { CKA_VALUE, val, sizeof(val) };
	CK_OBJECT_HANDLE	 o1, o2, o3, all[P11_FIND_MAX];
	CK_SESSION_HANDLE	 h2;

	(void)state;
	/* defaults */
	o1 = derive_p256(NULL, 0);
	assert_int_equal(C_GetAttributeValue(fx->h, o1, get, 12), CKR_OK);
	assert_int_equal(ul[0], CKO_SECRET_KEY);
	assert_int_equal(ul[1], CKK_GENERIC_SECRET);
	assert_int_equal(ul[2], 32);
	assert_int_equal(get[11].ulValueLen, 32);
	assert_int_equal(b[0], CK_FALSE);
	assert_int_equal(b[1], CK_TRUE);
	assert_int_equal(b[2], CK_FALSE);
	assert_int_equal(b[3], CK_TRUE);
	assert_int_equal(b[4], CK_FALSE);
	assert_int_equal(b[5], CK_FALSE);
	assert_int_equal(b[6], CK_FALSE);
	assert_int_equal(b[7], CK_FALSE);
	/* sensitive: CKA_VALUE refused, the rest filled */
	o2 = derive_p256(sens, 3);
	get[11].pValue = val;
	get[11].ulValueLen = sizeof(val);
	assert_int_equal(C_GetAttributeValue(fx->h, o2, get, 12),
	    CKR_ATTRIBUTE_SENSITIVE);
	assert_int_equal(get[11].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(b[2], CK_TRUE);
	assert_int_equal(b[5], CK_TRUE);
	v.ulValueLen = sizeof(label) - 1;
	v.type = CKA_LABEL;
	assert_int_equal(C_GetAttributeValue(fx->h, o2, &v, 1), CKR_OK);
	assert_memory_equal(val, label, sizeof(label) - 1);
	v.type = CKA_VALUE;
	v.ulValueLen = 2;
	assert_int_equal(C_GetAttributeValue(fx->h, o1, &v, 1),
	    CKR_BUFFER_TOO_SMALL);
	/* find: by class, by label; and a search for card objects only */
	assert_int_equal(count_secrets(fx->h), 2);
	assert_int_equal(C_FindObjectsInit(fx->h, sens + 1, 1), CKR_OK);
	assert_int_equal(C_FindObjects(fx->h, all, P11_FIND_MAX, &n), CKR_OK);
	assert_int_equal(C_FindObjectsFinal(fx->h), CKR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(all[0], o2);
	assert_int_equal(C_FindObjectsInit(fx->h, NULL, 0), CKR_OK);
	assert_int_equal(C_FindObjects(fx->h, all, P11_FIND_MAX, &n), CKR_OK);
	assert_int_equal(C_FindObjectsFinal(fx->h), CKR_OK);
	for (i = 0; i < n && all[i] != o1; i++)
		;
	assert_true(i < n);
	/* object calls */
	assert_int_equal(C_GetObjectSize(fx->h, o1, ul), CKR_OK);
	assert_int_equal(C_SetAttributeValue(fx->h, o1, sens, 1),
	    CKR_ACTION_PROHIBITED);
	assert_int_equal(C_DestroyObject(fx->h, o2), CKR_ACTION_PROHIBITED);
	assert_int_equal(C_DestroyObject(fx->h, o1), CKR_OK);
	assert_int_equal(C_DestroyObject(fx->h, o1),
	    CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(C_GetAttributeValue(fx->h, o1, &v, 1),
	    CKR_OBJECT_HANDLE_INVALID);
	/* seen from another session; private ones only while logged in */
	o3 = derive_p256(pub, 1);
	assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h2),
	    CKR_OK);
	assert_int_equal(count_secrets(h2), 2);
	assert_int_equal(C_Logout(h2), CKR_OK);
	assert_int_equal(count_secrets(h2), 1);
	assert_int_equal(C_GetAttributeValue(h2, o2, &v, 1),
	    CKR_OBJECT_HANDLE_INVALID);
	v.ulValueLen = sizeof(val);
	assert_int_equal(C_GetAttributeValue(h2, o3, &v, 1), CKR_OK);
	/* closing the session that made them destroys them */
	assert_int_equal(C_CloseSession(fx->h), CKR_OK);
	assert_int_equal(count_secrets(h2), 0);
	assert_int_equal(C_GetAttributeValue(h2, o3, &v, 1),
	    CKR_OBJECT_HANDLE_INVALID);
	fx->h = h2;
}

static void
test_secret_limit_and_removal(void **state)
{
	CK_ECDH1_DERIVE_PARAMS	 p;
	CK_MECHANISM		 m = { CKM_ECDH1_DERIVE, &p, sizeof(p) };
	CK_OBJECT_HANDLE	 k, o = 0, first;
	EVP_PKEY		*peer;
	uint8_t			 pt[65];
	CK_ULONG		 i;
	CK_BYTE			 val[64];
	CK_ATTRIBUTE		 v = { CKA_VALUE, val, sizeof(val) };

	(void)state;
	assert_non_null(peer = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	assert_int_equal(peer_point(peer, pt, sizeof(pt)), 65);
	EVP_PKEY_free(peer);
	memset(&p, 0, sizeof(p));
	p.kdf = CKD_NULL;
	p.public_data = pt;
	p.public_data_len = sizeof(pt);
	k = find1(CKO_PRIVATE_KEY, ID_P256);
	first = derive_p256(NULL, 0);
	for (i = 1; i < P11_SECRETS_MAX; i++)
		assert_int_equal(C_DeriveKey(fx->h, &m, k, NULL, 0, &o),
		    CKR_OK);
	assert_int_equal(C_DeriveKey(fx->h, &m, k, NULL, 0, &o),
	    CKR_DEVICE_MEMORY);
	assert_int_equal(count_secrets(fx->h), P11_SECRETS_MAX);
	/* the card goes: its sessions and their keys go with it */
	emu_tr_remove(&fx->tr, fx->rd);
	refresh_interval_passes();
	assert_int_equal(C_GetAttributeValue(fx->h, first, &v, 1),
	    CKR_DEVICE_REMOVED);
	assert_int_equal(C_GetAttributeValue(fx->h, first, &v, 1),
	    CKR_SESSION_HANDLE_INVALID);
}

/* --- Ed25519 and X25519 --------------------------------------------------- */

static void
test_eddsa(void **state)
{
	CK_MECHANISM		 m = { CKM_EDDSA, NULL, 0 };
	struct {
		CK_BBOOL	ph;
		CK_ULONG	clen;
		CK_BYTE_PTR	ctx;
	}			 ep = { CK_TRUE, 0, NULL };
	CK_OBJECT_HANDLE	 k = find1(CKO_PRIVATE_KEY, ID_9E);
	EVP_PKEY		*pk = cert_key(ID_9E);
	EVP_MD_CTX		*mc;
	uint8_t			 msg[1024], sig[128];
	size_t			 lens[] = { 1, 32, 333, 1024 }, i, off;
	CK_ULONG		 len;

	(void)state;
	rand_bytes(msg, sizeof(msg));
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		assert_int_equal(C_SignInit(fx->h, &m, k), CKR_OK);
		len = 0;
		assert_int_equal(C_Sign(fx->h, msg, lens[i], NULL, &len),
		    CKR_OK);
		assert_int_equal(len, 64);
		assert_int_equal(C_Sign(fx->h, msg, lens[i], sig, &len),
		    CKR_OK);
		assert_int_equal(len, 64);
		assert_non_null(mc = EVP_MD_CTX_new());
		assert_int_equal(EVP_DigestVerifyInit(mc, NULL, NULL, NULL,
		    pk), 1);
		assert_int_equal(EVP_DigestVerify(mc, sig, 64, msg, lens[i]),
		    1);
		EVP_MD_CTX_free(mc);
		/* and the module's own verification, with the public key */
		assert_int_equal(C_VerifyInit(fx->h, &m, find1(CKO_PUBLIC_KEY,
		    ID_9E)), CKR_OK);
		assert_int_equal(C_Verify(fx->h, msg, lens[i], sig, 64),
		    CKR_OK);
	}
	/* multi-part gives the same (deterministic) signature */
	assert_int_equal(C_SignInit(fx->h, &m, k), CKR_OK);
	for (off = 0; off < 333; off += 100)
		assert_int_equal(C_SignUpdate(fx->h, msg + off,
		    333 - off > 100 ? 100 : 333 - off), CKR_OK);
	len = sizeof(sig);
	assert_int_equal(C_SignFinal(fx->h, sig + 64, &len), CKR_OK);
	assert_int_equal(C_SignInit(fx->h, &m, k), CKR_OK);
	len = sizeof(sig);
	assert_int_equal(C_Sign(fx->h, msg, 333, sig, &len), CKR_OK);
	assert_memory_equal(sig, sig + 64, 64);
	/* a bad signature, too long a message, Ed25519ph, other keys */
	sig[3] ^= 1;
	assert_int_equal(C_VerifyInit(fx->h, &m, find1(CKO_PUBLIC_KEY,
	    ID_9E)), CKR_OK);
	assert_int_equal(C_Verify(fx->h, msg, 333, sig, 64),
	    CKR_SIGNATURE_INVALID);
	assert_int_equal(C_SignInit(fx->h, &m, k), CKR_OK);
	assert_int_equal(C_Sign(fx->h, msg, 1025, sig, &len),
	    CKR_DATA_LEN_RANGE);
	m.pParameter = &ep;
	m.ulParameterLen = sizeof(ep);
	assert_int_equal(C_SignInit(fx->h, &m, k), CKR_MECHANISM_PARAM_INVALID);
	ep.ph = CK_FALSE;
	assert_int_equal(C_SignInit(fx->h, &m, k), CKR_OK);
	assert_int_equal(C_Sign(fx->h, msg, 32, sig, &len), CKR_OK);
	m.pParameter = NULL;
	m.ulParameterLen = 0;
	assert_int_equal(C_SignInit(fx->h, &m, find1(CKO_PRIVATE_KEY,
	    ID_9A)), CKR_KEY_TYPE_INCONSISTENT);
	assert_int_equal(C_SignInit(fx->h, &m, find1(CKO_PRIVATE_KEY,
	    ID_X25519)), CKR_KEY_FUNCTION_NOT_PERMITTED);
	EVP_PKEY_free(pk);
}

static void
key_25519_attrs(uint8_t id, CK_KEY_TYPE want, const char *curve,
    const char *ossl)
{
	CK_KEY_TYPE	 kt = 0;
	CK_BYTE		 params[32], point[40], raw[32];
	CK_BBOOL	 sign = CK_FALSE, derive = CK_FALSE;
	CK_MECHANISM_TYPE mechs[8];
	CK_ATTRIBUTE	 a[] = {
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_EC_PARAMS, params, sizeof(params) },
		{ CKA_EC_POINT, point, sizeof(point) },
		{ CKA_SIGN, &sign, sizeof(sign) },
		{ CKA_DERIVE, &derive, sizeof(derive) },
		{ CKA_ALLOWED_MECHANISMS, mechs, sizeof(mechs) },
	};
	CK_ATTRIBUTE	 val = { CKA_VALUE, NULL, 0 };
	EVP_PKEY	*pk = cert_key(id);
	size_t		 rawlen = sizeof(raw);

	assert_true(EVP_PKEY_is_a(pk, ossl));
	assert_int_equal(EVP_PKEY_get_raw_public_key(pk, raw, &rawlen), 1);
	assert_int_equal(C_GetAttributeValue(fx->h, find1(CKO_PRIVATE_KEY,
	    id), a, 6), CKR_OK);
	assert_int_equal(kt, want);
	assert_int_equal(a[1].ulValueLen, 2 + strlen(curve));
	assert_int_equal(params[0], 0x13);
	assert_int_equal(params[1], strlen(curve));
	assert_memory_equal(params + 2, curve, strlen(curve));
	assert_int_equal(a[2].ulValueLen, 34);
	assert_int_equal(point[0], 0x04);
	assert_int_equal(point[1], 32);
	assert_memory_equal(point + 2, raw, 32);
	assert_int_equal(sign, want == CKK_EC_EDWARDS);
	assert_int_equal(derive, want == CKK_EC_MONTGOMERY);
	assert_int_equal(a[5].ulValueLen, sizeof(CK_MECHANISM_TYPE) *
	    (want == CKK_EC_EDWARDS ? 1 : 2));
	assert_int_equal(C_GetAttributeValue(fx->h, find1(CKO_PRIVATE_KEY,
	    id), &val, 1), CKR_ATTRIBUTE_SENSITIVE);
	a[0].ulValueLen = sizeof(kt);
	assert_int_equal(C_GetAttributeValue(fx->h, find1(CKO_PUBLIC_KEY,
	    id), a, 3), CKR_OK);
	assert_int_equal(kt, want);
	EVP_PKEY_free(pk);
}

static void
test_25519_attributes(void **state)
{
	CK_KEY_TYPE		kt = CKK_EC_EDWARDS;
	CK_OBJECT_CLASS		cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE		t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
	};
	CK_OBJECT_HANDLE	o[4];
	CK_ULONG		n = 0;

	(void)state;
	key_25519_attrs(ID_9E, CKK_EC_EDWARDS, "edwards25519", "ED25519");
	key_25519_attrs(ID_X25519, CKK_EC_MONTGOMERY, "curve25519", "X25519");
	assert_int_equal(C_FindObjectsInit(fx->h, t, 2), CKR_OK);
	assert_int_equal(C_FindObjects(fx->h, o, 4, &n), CKR_OK);
	assert_int_equal(C_FindObjectsFinal(fx->h), CKR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(o[0], find1(CKO_PRIVATE_KEY, ID_9E));
}

/* --- random --------------------------------------------------------------- */

static void
test_random(void **state)
{
	CK_TOKEN_INFO	ti;
	CK_BYTE		b[16];

	(void)state;
	/* the PIV card edge has no command that returns randomness */
	assert_int_equal(C_GetTokenInfo(0, &ti), CKR_OK);
	assert_int_equal(ti.flags & CKF_RNG, 0);
	assert_int_equal(C_GenerateRandom(fx->h, b, sizeof(b)),
	    CKR_RANDOM_NO_RNG);
	assert_int_equal(C_GenerateRandom(fx->h, NULL, 4), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_SeedRandom(fx->h, b, sizeof(b)), CKR_RANDOM_NO_RNG);
	assert_int_equal(C_GenerateRandom(BADH, b, sizeof(b)),
	    CKR_SESSION_HANDLE_INVALID);
}

int
main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_mech_info),
		T(test_decrypt_pkcs1),
		T(test_decrypt_oaep_all),
		T(test_decrypt_x509),
		T(test_decrypt_bad_padding),
		T(test_decrypt_lengths),
		T(test_decrypt_key_rules),
		T(test_decrypt_always_auth),
		cmocka_unit_test(test_unpad_differential),
		T(test_ecdh),
		T(test_ecdh_errors),
		T(test_secret_objects),
		T(test_secret_limit_and_removal),
		T(test_eddsa),
		T(test_25519_attributes),
		T(test_random),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
