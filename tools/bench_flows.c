/*
 * tools/bench_flows.c - the single-session flows.
 *
 *   cold     dlopen + C_Initialize ... one SHA256-RSA-PKCS signature with
 *            9A ... C_Finalize, all measured (the whole life of a process
 *            that signs once);
 *   browser  what NSS does at start-up with a card inserted, without
 *            login: slots, token, mechanisms, a session, every object,
 *            CKA_CLASS of each, CKA_ID/CKA_LABEL/CKA_VALUE of every
 *            certificate, CKA_KEY_TYPE/CKA_ID of every private key it
 *            shows; all measured;
 *   rsa, ec  N signatures in one logged-in session (9A SHA256-RSA-PKCS;
 *            9C ECDSA-SHA256 with C_Login(CKU_CONTEXT_SPECIFIC) before
 *            each); only the signing loop is measured.
 */
#include <stdlib.h>
#include <string.h>

#include "tools/bench.h"

#define BROWSER_OBJS_MAX	256
#define BROWSER_CERTS_MAX	32

struct measure {
	struct bench_counters	before;
	double			t0;
};

static void
measure_start(const struct bench_ctx *c, struct measure *m)
{
	bench_counters_read(c->o->counters, &m->before);
	m->t0 = bench_now_ms();
}

static void
measure_stop(const struct bench_ctx *c, const struct measure *m,
    struct bench_result *r)
{
	struct bench_counters	after;

	r->ms = bench_now_ms() - m->t0;
	bench_counters_read(c->o->counters, &after);
	bench_counters_diff(&m->before, &after, &r->d);
}

static int
init_module(struct bench_ctx *c, struct bench_p11 *p, struct bench_result *r)
{
	CK_RV	rv;

	if (bench_p11_load(p, c->module, r) < 0)
		return -1;
	if ((rv = bench_p11_init(p)) != CKR_OK)
		return bench_p11_fail(r, "C_Initialize", rv);
	return 0;
}

/* Load, initialize, pick the slot, open a session and log in. */
int
bench_session_setup(struct bench_ctx *c, struct bench_p11 *p,
    CK_SLOT_ID *slot, CK_SESSION_HANDLE *s, struct bench_result *r)
{
	CK_RV	rv;

	if (init_module(c, p, r) < 0)
		return -1;
	if (bench_p11_slot(p, &c->o->slot, slot, r) != CKR_OK)
		return -1;
	if ((rv = bench_p11_open(p, *slot, s)) != CKR_OK)
		return bench_p11_fail(r, "C_OpenSession", rv);
	if ((rv = bench_p11_login(p, *s, CKU_USER, c->pin)) != CKR_OK)
		return bench_p11_fail(r, "C_Login(CKU_USER)", rv);
	return 0;
}

int
bench_finish(struct bench_p11 *p, CK_SESSION_HANDLE s, struct bench_result *r)
{
	CK_RV	rv;

	if ((rv = p->f->C_CloseSession(s)) != CKR_OK)
		return bench_p11_fail(r, "C_CloseSession", rv);
	if ((rv = p->f->C_Finalize(NULL)) != CKR_OK)
		return bench_p11_fail(r, "C_Finalize", rv);
	return 0;
}

static int
cold_body(struct bench_ctx *c, struct bench_p11 *p, struct bench_sig *sig,
    struct bench_result *r)
{
	CK_SLOT_ID		slot;
	CK_SESSION_HANDLE	s;
	CK_OBJECT_HANDLE	key;
	CK_RV			rv;

	if (bench_session_setup(c, p, &slot, &s, r) < 0)
		return -1;
	if (bench_p11_key(p, s, BENCH_CERT_9A, &key, r) != CKR_OK)
		return -1;
	rv = bench_p11_sign(p, s, key, CKM_SHA256_RSA_PKCS, NULL, sig);
	if (rv != CKR_OK)
		return bench_p11_fail(r, "sign", rv);
	return bench_finish(p, s, r);
}

int
bench_flow_cold(struct bench_ctx *c, struct bench_result *r)
{
	struct bench_p11	p;
	struct bench_sig	sig;
	struct measure		m;
	int			rc;

	memset(&sig, 0, sizeof(sig));
	bench_fill_data(sig.data, sizeof(sig.data), 0, 0);
	measure_start(c, &m);
	rc = cold_body(c, &p, &sig, r);
	measure_stop(c, &m, r);
	if (rc < 0)
		return -1;
	r->sigs = 1;
	r->verified = bench_verify_all(c, BENCH_CERT_9A, &sig, 1);
	return 0;
}

/* --- browser -------------------------------------------------------- */

struct browser {
	uint8_t		*cert[BROWSER_CERTS_MAX];
	size_t		 certlen[BROWSER_CERTS_MAX];
	unsigned	 ncerts, nkeys;
};

static int
slots_like_nss(struct bench_p11 *p, struct bench_result *r)
{
	CK_INFO		info;
	CK_SLOT_INFO	si;
	CK_SLOT_ID	ids[64];
	CK_ULONG	n = 64, i;
	CK_RV		rv;

	if ((rv = p->f->C_GetInfo(&info)) != CKR_OK)
		return bench_p11_fail(r, "C_GetInfo", rv);
	if ((rv = p->f->C_GetSlotList(CK_FALSE, ids, &n)) != CKR_OK)
		return bench_p11_fail(r, "C_GetSlotList", rv);
	for (i = 0; i < n; i++)
		if ((rv = p->f->C_GetSlotInfo(ids[i], &si)) != CKR_OK)
			return bench_p11_fail(r, "C_GetSlotInfo", rv);
	return 0;
}

static int
token_like_nss(struct bench_p11 *p, CK_SLOT_ID slot, struct bench_result *r)
{
	CK_TOKEN_INFO		ti;
	CK_MECHANISM_TYPE	mechs[128];
	CK_ULONG		n = 128;
	CK_RV			rv;

	if ((rv = p->f->C_GetTokenInfo(slot, &ti)) != CKR_OK)
		return bench_p11_fail(r, "C_GetTokenInfo", rv);
	if ((rv = p->f->C_GetMechanismList(slot, mechs, &n)) != CKR_OK)
		return bench_p11_fail(r, "C_GetMechanismList", rv);
	return 0;
}

static int
all_objects(struct bench_p11 *p, CK_SESSION_HANDLE s,
    CK_OBJECT_HANDLE *objs, CK_ULONG *n, struct bench_result *r)
{
	CK_ULONG	got;
	CK_RV		rv;

	*n = 0;
	if ((rv = p->f->C_FindObjectsInit(s, NULL, 0)) != CKR_OK)
		return bench_p11_fail(r, "C_FindObjectsInit", rv);
	do {
		rv = p->f->C_FindObjects(s, objs + *n, 16 < BROWSER_OBJS_MAX -
		    *n ? 16 : BROWSER_OBJS_MAX - *n, &got);
		*n += got;
	} while (rv == CKR_OK && got > 0 && *n < BROWSER_OBJS_MAX);
	if (rv != CKR_OK)
		return bench_p11_fail(r, "C_FindObjects", rv);
	if ((rv = p->f->C_FindObjectsFinal(s)) != CKR_OK)
		return bench_p11_fail(r, "C_FindObjectsFinal", rv);
	return 0;
}

/* CKA_ID, CKA_LABEL, CKA_VALUE: lengths first, then values (as NSS). */
static int
read_cert(struct bench_p11 *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
    struct browser *b, struct bench_result *r)
{
	CK_ATTRIBUTE	t[3] = {
		{ CKA_ID, NULL, 0 }, { CKA_LABEL, NULL, 0 },
		{ CKA_VALUE, NULL, 0 },
	};
	uint8_t		id[256], label[256], *val;
	CK_RV		rv;

	if ((rv = p->f->C_GetAttributeValue(s, o, t, 3)) != CKR_OK)
		return bench_p11_fail(r, "C_GetAttributeValue(cert lengths)", rv);
	if (t[0].ulValueLen > sizeof(id) || t[1].ulValueLen > sizeof(label) ||
	    t[2].ulValueLen == 0 || t[2].ulValueLen > BENCH_CERT_MAX ||
	    (val = malloc(t[2].ulValueLen)) == NULL) {
		bench_notef(r, "certificate attribute lengths out of range");
		return -1;
	}
	t[0].pValue = id;
	t[1].pValue = label;
	t[2].pValue = val;
	if ((rv = p->f->C_GetAttributeValue(s, o, t, 3)) != CKR_OK) {
		free(val);
		return bench_p11_fail(r, "C_GetAttributeValue(cert)", rv);
	}
	if (b->ncerts < BROWSER_CERTS_MAX) {
		b->cert[b->ncerts] = val;
		b->certlen[b->ncerts] = t[2].ulValueLen;
	} else
		free(val);
	b->ncerts++;
	return 0;
}

static int
read_key(struct bench_p11 *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
    struct browser *b, struct bench_result *r)
{
	CK_KEY_TYPE	type;
	uint8_t		id[256];
	CK_ATTRIBUTE	t[2] = {
		{ CKA_KEY_TYPE, &type, sizeof(type) }, { CKA_ID, id, sizeof(id) },
	};
	CK_RV		rv;

	if ((rv = p->f->C_GetAttributeValue(s, o, t, 2)) != CKR_OK)
		return bench_p11_fail(r, "C_GetAttributeValue(key type)", rv);
	b->nkeys++;
	return 0;
}

static int
read_objects(struct bench_p11 *p, CK_SESSION_HANDLE s, struct browser *b,
    struct bench_result *r)
{
	CK_OBJECT_HANDLE	objs[BROWSER_OBJS_MAX];
	CK_OBJECT_CLASS		cls;
	CK_ATTRIBUTE		t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_ULONG		n, i;
	CK_RV			rv;

	if (all_objects(p, s, objs, &n, r) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		t.ulValueLen = sizeof(cls);
		if ((rv = p->f->C_GetAttributeValue(s, objs[i], &t, 1)) !=
		    CKR_OK)
			return bench_p11_fail(r, "C_GetAttributeValue(class)",
			    rv);
		if (cls == CKO_CERTIFICATE && read_cert(p, s, objs[i], b, r) < 0)
			return -1;
		if (cls == CKO_PRIVATE_KEY && read_key(p, s, objs[i], b, r) < 0)
			return -1;
	}
	return 0;
}

static int
browser_body(struct bench_ctx *c, struct bench_p11 *p, struct browser *b,
    struct bench_result *r)
{
	CK_SLOT_ID		slot;
	CK_SESSION_HANDLE	s;
	CK_RV			rv;

	if (init_module(c, p, r) < 0 || slots_like_nss(p, r) < 0)
		return -1;
	if (bench_p11_slot(p, &c->o->slot, &slot, r) != CKR_OK)
		return -1;
	if (token_like_nss(p, slot, r) < 0)
		return -1;
	if ((rv = p->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL,
	    &s)) != CKR_OK)
		return bench_p11_fail(r, "C_OpenSession", rv);
	if (read_objects(p, s, b, r) < 0)
		return -1;
	return bench_finish(p, s, r);
}

/* Every certificate on the card came back, byte for byte? */
static unsigned
browser_check(const struct bench_ctx *c, const struct browser *b)
{
	unsigned	found = 0, i;
	int		k;

	for (k = 0; k < BENCH_NCERTS; k++) {
		if (c->cert[k] == NULL)
			continue;
		for (i = 0; i < b->ncerts && i < BROWSER_CERTS_MAX; i++) {
			if (b->certlen[i] == c->certlen[k] &&
			    memcmp(b->cert[i], c->cert[k], c->certlen[k]) == 0) {
				found++;
				break;
			}
		}
	}
	return found;
}

static unsigned
ref_certs(const struct bench_ctx *c)
{
	unsigned	n = 0;
	int		k;

	for (k = 0; k < BENCH_NCERTS; k++)
		n += c->cert[k] != NULL;
	return n;
}

int
bench_flow_browser(struct bench_ctx *c, struct bench_result *r)
{
	struct bench_p11	p;
	struct browser		b;
	struct measure		m;
	unsigned		found, i;
	int			rc;

	memset(&b, 0, sizeof(b));
	measure_start(c, &m);
	rc = browser_body(c, &p, &b, r);
	measure_stop(c, &m, r);
	found = browser_check(c, &b);
	for (i = 0; i < b.ncerts && i < BROWSER_CERTS_MAX; i++)
		free(b.cert[i]);
	r->certs = b.ncerts;
	r->privkeys = b.nkeys;
	if (rc < 0)
		return -1;
	if (found < ref_certs(c)) {
		bench_notef(r, "only %u of the card's %u certificates came "
		    "back intact", found, ref_certs(c));
		return -1;
	}
	bench_notef(r, "%u certificates, %u private keys visible before "
	    "login", b.ncerts, b.nkeys);
	return 0;
}

/* --- rsa, ec: N signatures in one session --------------------------- */

int
bench_sign_loop(struct bench_p11 *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key,
    int which, const struct bench_pin *pin, struct bench_sig *sigs,
    unsigned n, struct bench_result *r)
{
	CK_MECHANISM_TYPE	mech;
	CK_RV			rv;
	unsigned		i;

	mech = which == BENCH_CERT_9A ? CKM_SHA256_RSA_PKCS : CKM_ECDSA_SHA256;
	for (i = 0; i < n; i++) {
		rv = bench_p11_sign(p, s, key, mech, which == BENCH_CERT_9C ?
		    pin : NULL, &sigs[i]);
		if (rv != CKR_OK) {
			bench_notef(r, "signature %u of %u", i + 1, n);
			return bench_p11_fail(r, "sign", rv);
		}
		r->sigs++;
	}
	return 0;
}

static int
many_sigs(struct bench_ctx *c, int which, struct bench_result *r)
{
	struct bench_p11	p;
	struct bench_sig	*sigs;
	CK_SLOT_ID		slot;
	CK_SESSION_HANDLE	s;
	CK_OBJECT_HANDLE	key;
	struct measure		m;
	unsigned		i, n = c->o->sigs;
	int			rc = -1;

	if ((sigs = calloc(n, sizeof(*sigs))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		bench_fill_data(sigs[i].data, sizeof(sigs[i].data), 0, i);
	if (bench_session_setup(c, &p, &slot, &s, r) < 0 ||
	    bench_p11_key(&p, s, which, &key, r) != CKR_OK)
		goto out;
	measure_start(c, &m);
	rc = bench_sign_loop(&p, s, key, which, c->pin, sigs, n, r);
	measure_stop(c, &m, r);
	if (bench_finish(&p, s, r) < 0)
		rc = -1;
	r->verified = bench_verify_all(c, which, sigs, r->sigs);
out:
	free(sigs);
	return rc;
}

int
bench_flow_rsa(struct bench_ctx *c, struct bench_result *r)
{
	return many_sigs(c, BENCH_CERT_9A, r);
}

int
bench_flow_ec(struct bench_ctx *c, struct bench_result *r)
{
	return many_sigs(c, BENCH_CERT_9C, r);
}
