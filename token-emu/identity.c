/*
 * token-emu/identity.c - test identities: key types, key generation, a test
 * CA, certificates for the PIV slots and the card-level objects (CHUID,
 * CCC, discovery, key history) of SP 800-73-4.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "reader/buf.h"
#include "reader/tlv.h"
#include "card.h"
#include "identity.h"

#define CA_DAYS		3650
#define SERIAL_BYTES	16
#define TAG_CHUID	0x5fc102
#define TAG_CCC		0x5fc107
#define TAG_DISCOVERY	0x7e
#define TAG_KEYHISTORY	0x5fc10c

struct keytype {
	const char	*name;
	uint8_t		 alg;
	const char	*ossl;		/* OpenSSL key type */
	const char	*curve;		/* EC: group for keygen */
	int		 bits;
	int		 nid;		/* EC: curve NID */
};

static const struct keytype keytypes[] = {
	{ "rsa1024", PIV_ALG_RSA1024, "RSA", NULL, 1024, NID_undef },
	{ "rsa2048", PIV_ALG_RSA2048, "RSA", NULL, 2048, NID_undef },
	{ "rsa3072", PIV_ALG_RSA3072, "RSA", NULL, 3072, NID_undef },
	{ "rsa4096", PIV_ALG_RSA4096, "RSA", NULL, 4096, NID_undef },
	{ "p256", PIV_ALG_ECCP256, "EC", "P-256", 256, NID_X9_62_prime256v1 },
	{ "p384", PIV_ALG_ECCP384, "EC", "P-384", 384, NID_secp384r1 },
	{ "ed25519", PIV_ALG_ED25519, "ED25519", NULL, 0, NID_undef },
	{ "x25519", PIV_ALG_X25519, "X25519", NULL, 0, NID_undef },
};

static const uint8_t piv_aid[] = {
	0xa0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00,
};

static int	id_err(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static int
id_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	ERR_clear_error();
	return -1;
}

static const struct keytype *
keytype_by_alg(uint8_t alg)
{
	size_t i;

	for (i = 0; i < sizeof(keytypes) / sizeof(keytypes[0]); i++)
		if (keytypes[i].alg == alg)
			return &keytypes[i];
	return NULL;
}

int
emu_keytype_parse(const char *s, uint8_t *alg)
{
	size_t i;

	if (strcmp(s, "none") == 0) {
		*alg = 0;
		return 0;
	}
	for (i = 0; i < sizeof(keytypes) / sizeof(keytypes[0]); i++)
		if (strcmp(s, keytypes[i].name) == 0) {
			*alg = keytypes[i].alg;
			return 0;
		}
	return -1;
}

const char *
emu_keytype_name(uint8_t alg)
{
	const struct keytype *kt;

	if (alg == 0)
		return "none";
	if ((kt = keytype_by_alg(alg)) == NULL)
		return "?";
	return kt->name;
}

const char *
emu_keytype_ossl(uint8_t alg)
{
	const struct keytype *kt = keytype_by_alg(alg);

	return kt != NULL ? kt->ossl : NULL;
}

bool
emu_keytype_is_asym(uint8_t alg)
{
	return keytype_by_alg(alg) != NULL;
}

static bool
rsa_matches(const EVP_PKEY *pkey, int bits)
{
	BIGNUM	*e = NULL;
	bool	 ok;

	if (EVP_PKEY_get_bits(pkey) != bits ||
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) != 1)
		return false;
	ok = BN_is_word(e, 65537) == 1;	/* what PIV cards generate/import */
	BN_free(e);
	return ok;
}

static bool
ec_matches(const EVP_PKEY *pkey, int nid)
{
	char	name[80];
	size_t	len = 0;

	if (EVP_PKEY_get_group_name(pkey, name, sizeof(name), &len) != 1)
		return false;
	return OBJ_sn2nid(name) == nid || EC_curve_nist2nid(name) == nid;
}

bool
emu_key_matches_alg(const EVP_PKEY *pkey, uint8_t alg)
{
	const struct keytype	*kt = keytype_by_alg(alg);
	bool			 ok;

	if (kt == NULL || pkey == NULL || !EVP_PKEY_is_a(pkey, kt->ossl))
		return false;
	if (kt->bits > 0 && kt->nid == NID_undef)
		ok = rsa_matches(pkey, kt->bits);
	else if (kt->nid != NID_undef)
		ok = ec_matches(pkey, kt->nid);
	else
		ok = true;
	ERR_clear_error();
	return ok;
}

enum { RSA_N, RSA_E, RSA_D, RSA_P, RSA_Q, RSA_DP, RSA_DQ, RSA_QINV, RSA_NV };

static int
rsa_params(const EVP_PKEY *pkey, BIGNUM *v[RSA_NV])
{
	static const char *const names[RSA_NV] = {
		OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E,
		OSSL_PKEY_PARAM_RSA_D, OSSL_PKEY_PARAM_RSA_FACTOR1,
		OSSL_PKEY_PARAM_RSA_FACTOR2, OSSL_PKEY_PARAM_RSA_EXPONENT1,
		OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	};
	size_t i;

	for (i = 0; i < RSA_NV; i++)
		if (EVP_PKEY_get_bn_param(pkey, names[i], &v[i]) != 1 ||
		    BN_is_zero(v[i]) || BN_is_negative(v[i]))
			return -1;
	return 0;
}

/*
 * n = pq and the CRT values agree with d and e.  EVP_PKEY_pairwise_check
 * would also test p and q for primality: 70 ms (RSA-2048) to 700 ms
 * (RSA-4096) per key, too slow for every load.
 */
static bool
rsa_consistent(const EVP_PKEY *pkey)
{
	BIGNUM	*v[RSA_NV] = { NULL }, *t = NULL, *p1 = NULL, *q1 = NULL;
	BN_CTX	*ctx = NULL;
	bool	 ok = false;
	size_t	 i;

	if (rsa_params(pkey, v) < 0 || (ctx = BN_CTX_new()) == NULL ||
	    (t = BN_new()) == NULL || (p1 = BN_dup(v[RSA_P])) == NULL ||
	    (q1 = BN_dup(v[RSA_Q])) == NULL || !BN_sub_word(p1, 1) ||
	    !BN_sub_word(q1, 1) || BN_is_zero(p1) || BN_is_zero(q1))
		goto out;
	ok = BN_mul(t, v[RSA_P], v[RSA_Q], ctx) && BN_cmp(t, v[RSA_N]) == 0 &&
	    BN_mod(t, v[RSA_D], p1, ctx) && BN_cmp(t, v[RSA_DP]) == 0 &&
	    BN_mod(t, v[RSA_D], q1, ctx) && BN_cmp(t, v[RSA_DQ]) == 0 &&
	    BN_mod_mul(t, v[RSA_E], v[RSA_DP], p1, ctx) && BN_is_one(t) &&
	    BN_mod_mul(t, v[RSA_E], v[RSA_DQ], q1, ctx) && BN_is_one(t) &&
	    BN_mod_mul(t, v[RSA_QINV], v[RSA_Q], v[RSA_P], ctx) &&
	    BN_is_one(t);
out:
	for (i = 0; i < RSA_NV; i++)
		BN_clear_free(v[i]);
	BN_clear_free(t);
	BN_clear_free(p1);
	BN_clear_free(q1);
	BN_CTX_free(ctx);
	return ok;
}

bool
emu_key_consistent(EVP_PKEY *pkey)
{
	EVP_PKEY_CTX	*ctx;
	bool		 ok;

	if (EVP_PKEY_is_a(pkey, "RSA"))
		ok = rsa_consistent(pkey);
	else if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey,
	    NULL)) == NULL)
		ok = false;
	else {
		ok = EVP_PKEY_pairwise_check(ctx) == 1;
		EVP_PKEY_CTX_free(ctx);
	}
	ERR_clear_error();
	return ok;
}

EVP_PKEY *
emu_keygen(uint8_t alg)
{
	const struct keytype *kt = keytype_by_alg(alg);

	if (kt == NULL)
		return NULL;
	if (kt->curve != NULL)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", kt->curve);
	if (kt->bits > 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)kt->bits);
	return EVP_PKEY_Q_keygen(NULL, NULL, kt->ossl);
}

uint32_t
emu_cert_tag(uint8_t ref)
{
	switch (ref) {
	case 0x9a:
		return 0x5fc105;
	case 0x9c:
		return 0x5fc10a;
	case 0x9d:
		return 0x5fc10b;
	case 0x9e:
		return 0x5fc101;
	case 0xf9:
		return 0x5fff01;
	default:
		break;
	}
	if (ref >= 0x82 && ref <= 0x95)
		return 0x5fc10d + (uint32_t)(ref - 0x82);
	return 0;
}

void
emu_id_opts_default(struct emu_id_opts *o)
{
	o->name = EMU_ID_DEFAULT_NAME;
	o->org = EMU_ID_DEFAULT_ORG;
	o->country = EMU_ID_DEFAULT_COUNTRY;
	o->cert_days = EMU_ID_DEFAULT_DAYS;
	o->cert_start_days = EMU_ID_DEFAULT_START;
}

/* --- certificates --- */

static int
name_add(X509_NAME *n, const char *field, const char *value)
{
	if (value == NULL || *value == '\0')
		return 0;
	if (X509_NAME_add_entry_by_txt(n, field, MBSTRING_UTF8,
	    (const unsigned char *)value, -1, -1, 0) != 1)
		return -1;
	return 0;
}

/* C, O, CN in that order: printed RFC 4514 style as "CN=.., O=.., C=.." */
static X509_NAME *
name_new(const char *cn, const char *o, const char *c)
{
	X509_NAME *n;

	if ((n = X509_NAME_new()) == NULL)
		return NULL;
	if (name_add(n, "C", c) < 0 || name_add(n, "O", o) < 0 ||
	    name_add(n, "CN", cn) < 0) {
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

static int
serial_set(X509 *x)
{
	uint8_t		 b[SERIAL_BYTES];
	BIGNUM		*bn = NULL;
	int		 ret = -1;

	if (RAND_bytes(b, sizeof(b)) != 1)
		goto fail;
	b[0] = (uint8_t)((b[0] & 0x7f) | 0x40);	/* positive, full length */
	if ((bn = BN_bin2bn(b, (int)sizeof(b), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto fail;
	ret = 0;
fail:
	BN_free(bn);
	return ret;
}

static int
validity_set(X509 *x, long start_days, long days)
{
	if (start_days < -36500 || start_days > 36500 || days < 1 ||
	    days > 36500)
		return -1;
	if (X509_time_adj_ex(X509_getm_notBefore(x), (int)start_days, 0,
	    NULL) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), (int)(start_days + days),
	    0, NULL) == NULL)
		return -1;
	return 0;
}

static int
ext_add(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ext;
	int		 ok;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? 0 : -1;
}

/* an unsigned v3 certificate: serial, names, validity, public key */
static X509 *
cert_new(EVP_PKEY *key, const X509_NAME *subject, const X509_NAME *issuer,
    long start_days, long days)
{
	X509 *x;

	if ((x = X509_new()) == NULL)
		return NULL;
	if (X509_set_version(x, 2) != 1 || serial_set(x) < 0 ||
	    X509_set_subject_name(x, subject) != 1 ||
	    X509_set_issuer_name(x, issuer) != 1 ||
	    validity_set(x, start_days, days) < 0 ||
	    X509_set_pubkey(x, key) != 1) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static int
cert_sign(X509 *x, EVP_PKEY *cakey)
{
	const EVP_MD *md = EVP_sha256();

	if (EVP_PKEY_is_a(cakey, "ED25519") || EVP_PKEY_is_a(cakey, "ED448"))
		md = NULL;
	return X509_sign(x, cakey, md) > 0 ? 0 : -1;
}

static int
ca_cert_make(struct emu_ca *ca)
{
	X509_NAME	*n;
	X509		*x = NULL;
	int		 ret = -1;

	if ((n = name_new(EMU_CA_NAME, "Smartsign Test", NULL)) == NULL ||
	    (x = cert_new(ca->key, n, n, -1, CA_DAYS)) == NULL)
		goto fail;
	if (ext_add(x, x, NID_basic_constraints, "critical,CA:TRUE") < 0 ||
	    ext_add(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") < 0 ||
	    ext_add(x, x, NID_subject_key_identifier, "hash") < 0 ||
	    ext_add(x, x, NID_authority_key_identifier, "keyid:always") < 0 ||
	    cert_sign(x, ca->key) < 0)
		goto fail;
	ca->cert = x;
	x = NULL;
	ret = 0;
fail:
	X509_free(x);
	X509_NAME_free(n);
	return ret;
}

int
emu_ca_create(struct emu_ca *ca, char *err, size_t errlen)
{
	memset(ca, 0, sizeof(*ca));
	if ((ca->key = emu_keygen(PIV_ALG_ECCP256)) == NULL ||
	    ca_cert_make(ca) < 0) {
		emu_ca_free(ca);
		return id_err(err, errlen, "cannot create the test CA");
	}
	return 0;
}

void
emu_ca_free(struct emu_ca *ca)
{
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	ca->cert = NULL;
	ca->key = NULL;
}

static int
ca_load(struct emu_ca *ca, const char *certpath, const char *keypath,
    char *err, size_t errlen)
{
	BIO *b = NULL;

	if ((b = BIO_new_file(certpath, "r")) == NULL ||
	    (ca->cert = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
		BIO_free(b);
		return id_err(err, errlen, "%s: not a PEM certificate",
		    certpath);
	}
	BIO_free(b);
	if ((b = BIO_new_file(keypath, "r")) == NULL ||
	    (ca->key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL) {
		BIO_free(b);
		return id_err(err, errlen, "%s: not a PEM private key "
		    "(encrypted keys are not supported)", keypath);
	}
	BIO_free(b);
	if (X509_check_ca(ca->cert) < 1)
		return id_err(err, errlen, "%s: not a CA certificate",
		    certpath);
	if (X509_check_private_key(ca->cert, ca->key) != 1)
		return id_err(err, errlen, "%s does not match %s", keypath,
		    certpath);
	return 0;
}

/* write PEM to a new file (never an existing one, never via a symlink) */
static int
pem_save(const char *path, mode_t mode, X509 *x, EVP_PKEY *key)
{
	BIO	*b = NULL;
	int	 fd, ok;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd < 0)
		return -1;
	if (fchmod(fd, mode) < 0 || (b = BIO_new_fd(fd, BIO_NOCLOSE)) == NULL)
		ok = 0;
	else if (x != NULL)
		ok = PEM_write_bio_X509(b, x);
	else
		ok = PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL,
		    NULL);
	BIO_free(b);
	if (ok == 1 && fsync(fd) < 0)
		ok = 0;
	if (close(fd) < 0)
		ok = 0;
	if (ok != 1)
		unlink(path);
	return ok == 1 ? 0 : -1;
}

static int
ca_save(const struct emu_ca *ca, const char *certpath, const char *keypath,
    char *err, size_t errlen)
{
	if (pem_save(keypath, 0600, NULL, ca->key) < 0)
		return id_err(err, errlen, "%s: cannot write the CA key: %s",
		    keypath, strerror(errno));
	if (pem_save(certpath, 0644, ca->cert, NULL) < 0) {
		id_err(err, errlen, "%s: cannot write the CA certificate: %s",
		    certpath, strerror(errno));
		unlink(keypath);
		return -1;
	}
	return 0;
}

int
emu_ca_open(struct emu_ca *ca, const char *certpath, const char *keypath,
    bool *created, char *err, size_t errlen)
{
	struct stat	st;
	bool		have_cert, have_key;

	memset(ca, 0, sizeof(*ca));
	*created = false;
	have_cert = lstat(certpath, &st) == 0;
	have_key = lstat(keypath, &st) == 0;
	if (have_cert != have_key)
		return id_err(err, errlen, "%s exists but %s does not: give "
		    "both CA files or neither", have_cert ? certpath : keypath,
		    have_cert ? keypath : certpath);
	if (have_cert) {
		if (ca_load(ca, certpath, keypath, err, errlen) < 0)
			goto fail;
		return 0;
	}
	if (emu_ca_create(ca, err, errlen) < 0 ||
	    ca_save(ca, certpath, keypath, err, errlen) < 0)
		goto fail;
	*created = true;
	return 0;
fail:
	emu_ca_free(ca);
	return -1;
}

static const char *
slot_key_usage(uint8_t ref, const EVP_PKEY *key)
{
	if (EVP_PKEY_is_a(key, "X25519"))
		return "critical,keyAgreement";
	switch (ref) {
	case 0x9a:
	case 0x9e:
	case 0xf9:
		return "critical,digitalSignature";
	case 0x9c:
		return "critical,digitalSignature,nonRepudiation";
	default:	/* 9D and the retired key management keys */
		if (EVP_PKEY_is_a(key, "RSA"))
			return "critical,keyEncipherment";
		if (EVP_PKEY_is_a(key, "EC"))
			return "critical,keyAgreement";
		return "critical,digitalSignature";
	}
}

static const char *
slot_eku(uint8_t ref)
{
	switch (ref) {
	case 0x9a:
		return "clientAuth";
	case 0x9c:
		return "emailProtection";
	default:
		return NULL;
	}
}

static int
ee_extensions(X509 *x, X509 *issuer, uint8_t ref, const EVP_PKEY *key)
{
	const char *eku = slot_eku(ref);

	if (ext_add(x, issuer, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
	    ext_add(x, issuer, NID_key_usage, slot_key_usage(ref, key)) < 0 ||
	    ext_add(x, issuer, NID_subject_key_identifier, "hash") < 0 ||
	    ext_add(x, issuer, NID_authority_key_identifier, "keyid") < 0)
		return -1;
	if (eku != NULL && ext_add(x, issuer, NID_ext_key_usage, eku) < 0)
		return -1;
	return 0;
}

X509 *
emu_cert_issue(const struct emu_ca *ca, EVP_PKEY *key, uint8_t ref,
    const struct emu_id_opts *o, char *err, size_t errlen)
{
	X509_NAME	*n = NULL;
	X509		*x = NULL;

	if ((n = name_new(o->name, o->org, o->country)) == NULL) {
		id_err(err, errlen, "bad subject name (CN %s, O %s, C %s)",
		    o->name, o->org, o->country);
		goto fail;
	}
	if ((x = cert_new(key, n, X509_get_subject_name(ca->cert),
	    o->cert_start_days, o->cert_days)) == NULL ||
	    ee_extensions(x, ca->cert, ref, key) < 0 ||
	    cert_sign(x, ca->key) < 0) {
		id_err(err, errlen, "cannot issue a certificate for key %02X",
		    ref);
		X509_free(x);
		x = NULL;
	}
fail:
	X509_NAME_free(n);
	return x;
}

int
emu_cert_put(struct emu_card *card, uint8_t ref, X509 *x)
{
	static const uint8_t	 certinfo = 0x00;	/* not compressed */
	uint32_t		 tag = emu_cert_tag(ref);
	unsigned char		*der = NULL;
	uint8_t			*buf = NULL;
	struct ss_wr		 w;
	size_t			 cap;
	int			 n, ret = -1;

	if (tag == 0 || (n = i2d_X509(x, &der)) <= 0)
		goto fail;
	cap = (size_t)n + 16;
	if ((buf = malloc(cap)) == NULL)
		goto fail;
	ss_wr_init(&w, buf, cap);
	ss_tlv_put(&w, 0x70, der, (size_t)n);
	ss_tlv_put(&w, 0x71, &certinfo, 1);
	ss_tlv_put(&w, 0xfe, NULL, 0);
	if (w.err || emu_card_obj_set(card, tag, buf, w.len) < 0)
		goto fail;
	ret = 0;
fail:
	OPENSSL_free(der);
	free(buf);
	return ret;
}

X509 *
emu_cert_from_container(const uint8_t *p, size_t len)
{
	struct ss_tlv		 t;
	struct ss_rd		 r;
	const unsigned char	*q;
	uint8_t			 info = 0;
	X509			*x;

	if (ss_tlv_find(p, len, 0x71, &t) == 0) {
		ss_rd_init(&r, t.val, t.len);
		if (ss_rd_u8(&r, &info) < 0 || ss_rd_left(&r) != 0 ||
		    info != 0)
			return NULL;	/* compressed: not supported */
	}
	if (ss_tlv_find(p, len, 0x70, &t) < 0 || t.len == 0)
		return NULL;
	q = t.val;
	if ((x = d2i_X509(NULL, &q, (long)t.len)) == NULL) {
		ERR_clear_error();
		return NULL;
	}
	if ((size_t)(q - t.val) != t.len) {
		X509_free(x);
		return NULL;
	}
	return x;
}

X509 *
emu_cert_get(const struct emu_card *card, uint8_t ref)
{
	const struct emu_object *obj;

	if ((obj = emu_card_obj(card, emu_cert_tag(ref))) == NULL)
		return NULL;
	return emu_cert_from_container(obj->data, obj->len);
}

static void
slot_clear(struct emu_card *card, struct emu_key *k)
{
	EVP_PKEY_free(k->pkey);
	k->pkey = NULL;
	k->alg = 0;
	k->origin = 0;
	emu_card_obj_set(card, emu_cert_tag(k->ref), NULL, 0);
}

int
emu_id_slot(struct emu_card *card, const struct emu_ca *ca, uint8_t ref,
    uint8_t alg, const struct emu_id_opts *o, char *err, size_t errlen)
{
	struct emu_key		*k = emu_card_key(card, ref);
	struct emu_id_opts	 def;
	EVP_PKEY		*pkey = NULL;
	X509			*x = NULL;
	int			 ret = -1;

	if (o == NULL) {
		emu_id_opts_default(&def);
		o = &def;
	}
	if (k == NULL || emu_cert_tag(ref) == 0)
		return id_err(err, errlen, "no key slot %02X", ref);
	card->dirty = true;
	if (alg == 0) {
		slot_clear(card, k);
		return 0;
	}
	if ((pkey = emu_keygen(alg)) == NULL) {
		id_err(err, errlen, "cannot generate a %s key",
		    emu_keytype_name(alg));
		goto fail;
	}
	if (ca != NULL &&
	    (x = emu_cert_issue(ca, pkey, ref, o, err, errlen)) == NULL)
		goto fail;
	if (x != NULL && emu_cert_put(card, ref, x) < 0) {
		id_err(err, errlen, "certificate for key %02X does not fit", ref);
		goto fail;
	}
	if (x == NULL)
		emu_card_obj_set(card, emu_cert_tag(ref), NULL, 0);
	EVP_PKEY_free(k->pkey);
	k->pkey = pkey;
	pkey = NULL;
	k->alg = alg;
	k->origin = EMU_ORIGIN_GENERATED;
	ret = 0;
fail:
	EVP_PKEY_free(pkey);
	X509_free(x);
	return ret;
}

/* --- card-level objects --- */

/* a 4-bit value as 5 bits: data LSB first, then odd parity */
static void
fascn_put_char(uint8_t out[EMU_FASCN_LEN], size_t *bit, uint8_t c)
{
	uint8_t	v[5];
	size_t	i;

	for (i = 0; i < 4; i++)
		v[i] = (uint8_t)((c >> i) & 1);
	v[4] = (uint8_t)(1 ^ v[0] ^ v[1] ^ v[2] ^ v[3]);
	for (i = 0; i < 5; i++, (*bit)++)
		if (v[i])
			out[*bit / 8] |= (uint8_t)(0x80 >> (*bit % 8));
}

int
emu_fascn_encode(const char *digits, uint8_t out[EMU_FASCN_LEN])
{
	static const uint8_t	 fields[] = { 4, 4, 6, 1, 1, 10, 1, 4, 1 };
	uint8_t			 ch[40], lrc = 0;
	size_t			 n = 0, i, j, bit = 0;

	if (strlen(digits) != 32 || strspn(digits, "0123456789") != 32)
		return -1;
	ch[n++] = 0x0b;				/* start sentinel */
	for (i = 0; i < sizeof(fields); i++) {
		for (j = 0; j < fields[i]; j++)
			ch[n++] = (uint8_t)(*digits++ - '0');
		if (i < 5)
			ch[n++] = 0x0d;		/* field separator */
	}
	ch[n++] = 0x0f;				/* end sentinel */
	for (i = 0; i < n; i++)
		lrc ^= ch[i];
	ch[n++] = lrc;
	memset(out, 0, EMU_FASCN_LEN);
	for (i = 0; i < n; i++)
		fascn_put_char(out, &bit, ch[i]);
	return 0;
}

static int
expiry_date(const struct emu_id_opts *o, char out[9])
{
	struct tm	tm;
	time_t		t = time(NULL);

	t += (time_t)(o->cert_start_days + o->cert_days) * 86400;
	if (gmtime_r(&t, &tm) == NULL || strftime(out, 9, "%Y%m%d", &tm) != 8)
		return -1;
	return 0;
}

static int
obj_put(struct emu_card *card, uint32_t tag, const struct ss_wr *w)
{
	if (w->err)
		return -1;
	return emu_card_obj_set(card, tag, w->p, w->len);
}

static int
chuid_put(struct emu_card *card, const struct emu_id_opts *o)
{
	uint8_t		buf[128], guid[16], fascn[EMU_FASCN_LEN], pi[5];
	char		digits[33], date[9];
	struct ss_wr	w;

	if (RAND_bytes(guid, sizeof(guid)) != 1 ||
	    RAND_bytes(pi, sizeof(pi)) != 1 || expiry_date(o, date) < 0)
		return -1;
	/* non-federal issuer: agency 9999, system 9999, credential from the
	 * serial, CS 0, ICI 1, a random person id, OC 3, org 0000, POA 1 */
	snprintf(digits, sizeof(digits), "99999999%06u01%010llu300001",
	    (unsigned)(card->serial % 1000000u),
	    (unsigned long long)(((uint64_t)pi[0] << 32 | (uint64_t)pi[1] << 24 |
	    (uint64_t)pi[2] << 16 | (uint64_t)pi[3] << 8 | pi[4]) %
	    10000000000ull));
	if (emu_fascn_encode(digits, fascn) < 0)
		return -1;
	ss_wr_init(&w, buf, sizeof(buf));
	ss_tlv_put(&w, 0x30, fascn, sizeof(fascn));
	ss_tlv_put(&w, 0x34, guid, sizeof(guid));
	ss_tlv_put(&w, 0x35, date, 8);
	ss_tlv_put(&w, 0x3e, NULL, 0);
	ss_tlv_put(&w, 0xfe, NULL, 0);
	return obj_put(card, TAG_CHUID, &w);
}

static int
ccc_put(struct emu_card *card)
{
	static const uint8_t	 gsc_rid[] = { 0xa0, 0x00, 0x00, 0x01, 0x16 };
	static const uint8_t	 v21 = 0x21, v00 = 0x00, v10 = 0x10;
	static const uint32_t	 empty[] = { 0xf6, 0xf7, 0xfa, 0xfb, 0xfc,
	    0xfd, 0xfe };
	uint8_t			 buf[128], rnd[14];
	struct ss_wr		 w;
	size_t			 i;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -1;
	ss_wr_init(&w, buf, sizeof(buf));
	/* card identifier: GSC-RID, manufacturer FF, card type 02, 14 bytes */
	ss_tlv_put_hdr(&w, 0xf0, sizeof(gsc_rid) + 2 + sizeof(rnd));
	ss_wr_bytes(&w, gsc_rid, sizeof(gsc_rid));
	ss_wr_u8(&w, 0xff);
	ss_wr_u8(&w, 0x02);
	ss_wr_bytes(&w, rnd, sizeof(rnd));
	ss_tlv_put(&w, 0xf1, &v21, 1);		/* container version */
	ss_tlv_put(&w, 0xf2, &v21, 1);		/* grammar version */
	ss_tlv_put(&w, 0xf3, NULL, 0);		/* applications card URL */
	ss_tlv_put(&w, 0xf4, &v00, 1);		/* PKCS#15 */
	ss_tlv_put(&w, 0xf5, &v10, 1);		/* data model number */
	for (i = 0; i < sizeof(empty) / sizeof(empty[0]); i++)
		ss_tlv_put(&w, empty[i], NULL, 0);
	return obj_put(card, TAG_CCC, &w);
}

static int
discovery_put(struct emu_card *card)
{
	static const uint8_t	 policy[] = { 0x40, 0x00 };	/* PIV PIN */
	uint8_t			 buf[32];
	struct ss_wr		 w;

	ss_wr_init(&w, buf, sizeof(buf));
	ss_tlv_put(&w, 0x4f, piv_aid, sizeof(piv_aid));
	ss_tlv_put(&w, 0x5f2f, policy, sizeof(policy));
	return obj_put(card, TAG_DISCOVERY, &w);
}

static int
keyhistory_put(struct emu_card *card)
{
	uint8_t		buf[16], n = 0, off = 0;
	struct ss_wr	w;
	size_t		i;

	for (i = 0; i < EMU_NKEYS; i++)
		if (card->keys[i].ref >= 0x82 && card->keys[i].ref <= 0x95 &&
		    card->keys[i].pkey != NULL &&
		    emu_card_obj(card, emu_cert_tag(card->keys[i].ref)) != NULL)
			n++;
	if (n == 0)
		return emu_card_obj_set(card, TAG_KEYHISTORY, NULL, 0);
	ss_wr_init(&w, buf, sizeof(buf));
	ss_tlv_put(&w, 0xc1, &n, 1);		/* keys with on-card certs */
	ss_tlv_put(&w, 0xc2, &off, 1);		/* keys with off-card certs */
	ss_tlv_put(&w, 0xfe, NULL, 0);
	return obj_put(card, TAG_KEYHISTORY, &w);
}

int
emu_id_card_objects(struct emu_card *card, const struct emu_id_opts *o,
    char *err, size_t errlen)
{
	struct emu_id_opts def;

	if (o == NULL) {
		emu_id_opts_default(&def);
		o = &def;
	}
	if (chuid_put(card, o) < 0 || ccc_put(card) < 0 ||
	    discovery_put(card) < 0 || keyhistory_put(card) < 0)
		return id_err(err, errlen, "cannot build the card objects");
	card->dirty = true;
	return 0;
}

int
emu_id_build(struct emu_card *card, const struct emu_ca *ca,
    const uint8_t algs[EMU_NKEYS], const struct emu_id_opts *o, char *err,
    size_t errlen)
{
	size_t i;

	for (i = 0; i < EMU_NKEYS; i++) {
		if (algs[i] == 0 && card->keys[i].pkey == NULL)
			continue;
		if (emu_id_slot(card, ca, card->keys[i].ref, algs[i], o, err,
		    errlen) < 0)
			return -1;
	}
	return emu_id_card_objects(card, o, err, errlen);
}
