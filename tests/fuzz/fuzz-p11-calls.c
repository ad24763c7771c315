/*
 * tests/fuzz/fuzz-p11-calls.c - sequences of PKCS#11 calls with hostile
 * arguments into the module, against the emulated card in process
 * (tests/unit/emu-transport.c), so real card answers come back.
 *
 * The input is a program for a small interpreter.  Byte 0 picks the
 * C_Initialize arguments; then each operation is one byte (op % NOPS) and
 * the bytes its arguments take.  Arguments:
 *   - handles: a byte below 0xF0 picks one a previous call returned
 *     (sessions and objects are kept in small tables), anything else is
 *     a garbage handle (0, stale, off by one, all ones);
 *   - lengths and counts from the input; a NULL pointer where a flag bit
 *     says so;
 *   - mechanisms from a table of every type the module knows plus
 *     garbage, with a parameter block whose structure is valid (pointers
 *     inside it point at buffers at least as long as the lengths next to
 *     them) but whose values and ulParameterLen are the fuzzer's;
 *   - attribute templates: types from a table or raw, values NULL,
 *     CK_ULONG, CK_BBOOL, bytes, or a known blob (curve OIDs, a
 *     certificate, key IDs).
 * Every buffer passed is exactly as long as the length passed with it
 * (heap, so ASan sees a write past it), so a crash is the module's.
 * Card events are operations too: another application resets the card,
 * the card is pulled and put back, the reader unplugged; and a
 * C_Finalize + C_Initialize in the middle.
 *
 * Each input starts from a fresh copy of the test card (fz-card.h; key
 * generation is cheap there) and ends with C_Finalize: LeakSanitizer then
 * sees anything the module failed to release.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "pkcs11/p11.h"
#include "tests/unit/emu-transport.h"
#include "fuzz.h"
#include "fz-card.h"
#include "fz-flow.h"
#include "fz-p11ops.h"

#define NSESS		8
#define NOBJS		32
#define TPL_MAX		8
#define OUT_MAX		4096	/* largest output buffer */
#define DATA_MAX	2048	/* largest input data */
#define RAW_MAX		256	/* raw parameter bytes */
#define OPS_MAX		200	/* operations per input */
#define GARBAGE_MARK	0xf0u

struct vm {
	struct ss_rd		 in;
	struct emu_tr		 tr;
	struct emu_card		 card;
	unsigned		 rd;
	bool			 card_in;
	bool			 init;
	CK_SESSION_HANDLE	 sess[NSESS];
	size_t			 nsess, sess_next;
	CK_OBJECT_HANDLE	 obj[NOBJS];
	size_t			 nobj, obj_next;
};

/* A mechanism with its parameter block: the structure the mechanism
 * wants, any length the fuzzer picks; pParameter is a heap copy of
 * exactly that length (mech_free() releases it). */
struct mech {
	CK_MECHANISM	m;
	void		*heap;
	union {
		CK_RSA_PKCS_PSS_PARAMS	pss;
		CK_RSA_PKCS_OAEP_PARAMS	oaep;
		CK_ECDH1_DERIVE_PARAMS	ecdh;
		uint8_t			raw[RAW_MAX];
	} p;
	uint8_t		data[RAW_MAX];	/* what pointers in p point at */
};

/* A template with its value buffers (heap, exact sizes). */
struct tpl {
	CK_ATTRIBUTE	a[TPL_MAX];
	CK_ULONG	n;
	void		*val[TPL_MAX];
	bool		 null;		/* pass NULL for the template */
};

static const uint8_t *cert_der;
static size_t	      cert_len;

static const uint8_t oid_p256[] = {
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07
};
static const uint8_t oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const uint8_t name_p256[] = "\x13\x0aprime256v1";

static const CK_MECHANISM_TYPE mech_types[] = {
	CKM_RSA_PKCS, CKM_RSA_X_509, CKM_RSA_PKCS_PSS, CKM_SHA1_RSA_PKCS,
	CKM_SHA256_RSA_PKCS, CKM_SHA384_RSA_PKCS, CKM_SHA512_RSA_PKCS,
	CKM_SHA224_RSA_PKCS, CKM_SHA1_RSA_PKCS_PSS, CKM_SHA256_RSA_PKCS_PSS,
	CKM_SHA384_RSA_PKCS_PSS, CKM_SHA512_RSA_PKCS_PSS, CKM_ECDSA,
	CKM_ECDSA_SHA1, CKM_ECDSA_SHA256, CKM_ECDSA_SHA384, CKM_ECDSA_SHA512,
	CKM_EDDSA, CKM_RSA_PKCS_OAEP, CKM_ECDH1_DERIVE,
	CKM_ECDH1_COFACTOR_DERIVE, CKM_SHA_1, CKM_SHA224, CKM_SHA256,
	CKM_SHA384, CKM_SHA512, CKM_RSA_PKCS_KEY_PAIR_GEN, CKM_EC_KEY_PAIR_GEN,
	CKM_MD5, CKM_AES_ECB, CKM_GENERIC_SECRET_KEY_GEN, CKM_VENDOR_DEFINED,
};
#define NMECHS	(sizeof(mech_types) / sizeof(mech_types[0]))

static const CK_ATTRIBUTE_TYPE attr_types[] = {
	CKA_CLASS, CKA_TOKEN, CKA_PRIVATE, CKA_LABEL, CKA_ID, CKA_VALUE,
	CKA_KEY_TYPE, CKA_CERTIFICATE_TYPE, CKA_SUBJECT, CKA_ISSUER,
	CKA_SERIAL_NUMBER, CKA_MODULUS, CKA_MODULUS_BITS,
	CKA_PUBLIC_EXPONENT, CKA_EC_PARAMS, CKA_EC_POINT, CKA_SIGN,
	CKA_DECRYPT, CKA_DERIVE, CKA_VERIFY, CKA_ENCRYPT, CKA_SENSITIVE,
	CKA_EXTRACTABLE, CKA_ALWAYS_AUTHENTICATE, CKA_VALUE_LEN, CKA_LOCAL,
	CKA_MODIFIABLE, CKA_DESTROYABLE, CKA_ALLOWED_MECHANISMS,
	CKA_PUBLIC_KEY_INFO, CKA_CHECK_VALUE, CKA_START_DATE,
	CKA_PRIVATE_EXPONENT, CKA_PRIME_1, CKA_KEY_GEN_MECHANISM,
	CKA_SMARTSIGN_PIN_POLICY, CKA_SMARTSIGN_TOUCH_POLICY,
	CKA_WRAP_TEMPLATE, CKA_TRUSTED, CKA_APPLICATION, CKA_OBJECT_ID,
};
#define NATTRS	(sizeof(attr_types) / sizeof(attr_types[0]))

static const CK_ULONG ulongs[] = {
	CKO_CERTIFICATE, CKO_PUBLIC_KEY, CKO_PRIVATE_KEY, CKO_SECRET_KEY,
	CKO_DATA, CKK_RSA, CKK_EC, CKK_EC_EDWARDS, CKK_EC_MONTGOMERY,
	CKK_GENERIC_SECRET, CKK_AES, CKC_X_509, 2048, 3072, 4096, 1024, 256,
	384, 16, 32, 48, 64, 0, 1, 2, 3, 4, ULONG_MAX, 0x10001,
};
#define NULONGS	(sizeof(ulongs) / sizeof(ulongs[0]))

static const char *const pins[] = {
	FZ_FLOW_PIN, FZ_FLOW_PUK, FZ_FLOW_MGMT, "000000", "", "12345",
	"123456789", ("01 02 03 04 05 06 07 08 01 02 03 04 05 06 07 08"
	" 01 02 03 04 05 06 07 08"), "000102030405060708090a0b0c0d0e0f",
	"zz0102030405060708010203040506070801020304050607",
};
#define NPINS	(sizeof(pins) / sizeof(pins[0]))

/* --- argument pickers ---------------------------------------------------- */

static CK_ULONG
pick_garbage(uint8_t b, CK_ULONG valid)
{
	switch (b & 0x07u) {
	case 0:
		return 0;
	case 1:
		return valid + 1;
	case 2:
		return valid + P11_OBJ_PER_VER;
	case 3:
		return valid ^ 0xffu;
	case 4:
		return ULONG_MAX;
	case 5:
		return (CK_ULONG)b << 16 | 0xffu;	/* looks like a secret */
	default:
		return b;
	}
}

static CK_SLOT_ID
pick_slot(struct vm *v)
{
	uint8_t b = fz_u8(&v->in);

	if (b < GARBAGE_MARK)
		return b % 2 == 0 ? 0 : 1;
	return pick_garbage(b, 0);
}

static CK_SESSION_HANDLE
pick_sess(struct vm *v)
{
	uint8_t			b = fz_u8(&v->in);
	CK_SESSION_HANDLE	last = v->nsess ? v->sess[0] : 1;

	if (b < GARBAGE_MARK && v->nsess > 0)
		return v->sess[b % v->nsess];
	return pick_garbage(b, last);
}

static CK_OBJECT_HANDLE
pick_obj(struct vm *v)
{
	uint8_t			b = fz_u8(&v->in);
	CK_OBJECT_HANDLE	last = v->nobj ? v->obj[0] : 1;

	if (b < GARBAGE_MARK && v->nobj > 0)
		return v->obj[b % v->nobj];
	return pick_garbage(b, last);
}

static void
keep_sess(struct vm *v, CK_SESSION_HANDLE h)
{
	v->sess[v->sess_next] = h;
	v->sess_next = (v->sess_next + 1) % NSESS;
	if (v->nsess < NSESS)
		v->nsess++;
}

static void
keep_obj(struct vm *v, CK_OBJECT_HANDLE h)
{
	v->obj[v->obj_next] = h;
	v->obj_next = (v->obj_next + 1) % NOBJS;
	if (v->nobj < NOBJS)
		v->nobj++;
}

/* A heap buffer of exactly n bytes (at least 1 allocated), filled from
 * the input where it has bytes. */
static void *
buf_new(struct vm *v, size_t n, bool fill)
{
	const uint8_t	*p;
	uint8_t		*b;
	size_t		 got;

	if ((b = calloc(1, n > 0 ? n : 1)) == NULL)
		abort();
	if (fill && n > 0) {
		got = fz_take(&v->in, n, &p);
		if (got > 0)
			memcpy(b, p, got);
	}
	return b;
}

/* Input data: length (0..DATA_MAX) then bytes. */
static uint8_t *
data_new(struct vm *v, CK_ULONG *len)
{
	*len = fz_u16(&v->in) % (DATA_MAX + 1);
	return buf_new(v, *len, true);
}

/* An output buffer: NULL (size query) or cap bytes; *len = cap. */
static uint8_t *
out_new(struct vm *v, CK_ULONG *len)
{
	uint16_t w = fz_u16(&v->in);

	*len = w % (OUT_MAX + 1);
	if (w & 0x8000u)
		return NULL;
	return buf_new(v, *len, false);
}

/* --- mechanisms ------------------------------------------------------------ */

static void
mech_peer(struct vm *v, struct mech *mm, uint8_t sel)
{
	static const uint8_t x25519[32] = { 9 };
	CK_ECDH1_DERIVE_PARAMS	*e = &mm->p.ecdh;
	const uint8_t		*p;
	size_t			 n;

	switch (sel % 3) {
	case 0:		/* any bytes */
		n = fz_take(&v->in, fz_u8(&v->in), &p);
		if (n > 0)
			memcpy(mm->data, p, n);
		break;
	case 1:
		memcpy(mm->data, x25519, sizeof(x25519));
		n = sizeof(x25519);
		break;
	default:	/* 04 || x || y with x, y from the input */
		mm->data[0] = 0x04;
		n = 1 + fz_take(&v->in, 64, &p);
		if (n > 1)
			memcpy(mm->data + 1, p, n - 1);
		break;
	}
	e->public_data = mm->data;
	e->public_data_len = n;
}

static void
mech_params(struct vm *v, struct mech *mm)
{
	uint8_t b = fz_u8(&v->in);

	switch (mm->m.mechanism) {
	case CKM_RSA_PKCS_PSS: case CKM_SHA1_RSA_PKCS_PSS:
	case CKM_SHA256_RSA_PKCS_PSS: case CKM_SHA384_RSA_PKCS_PSS:
	case CKM_SHA512_RSA_PKCS_PSS:
		mm->p.pss.hash_alg = mech_types[fz_u8(&v->in) % NMECHS];
		mm->p.pss.mgf = fz_u8(&v->in) % 6;
		mm->p.pss.s_len = fz_u8(&v->in);
		mm->m.ulParameterLen = sizeof(mm->p.pss);
		break;
	case CKM_RSA_PKCS_OAEP:
		mm->p.oaep.hash_alg = mech_types[fz_u8(&v->in) % NMECHS];
		mm->p.oaep.mgf = fz_u8(&v->in) % 6;
		mm->p.oaep.source = fz_u8(&v->in) % 3;
		mm->p.oaep.source_data = (b & 0x10u) ? NULL : mm->data;
		mm->p.oaep.source_data_len = fz_u8(&v->in);
		mm->m.ulParameterLen = sizeof(mm->p.oaep);
		break;
	case CKM_ECDH1_DERIVE: case CKM_ECDH1_COFACTOR_DERIVE:
		mm->p.ecdh.kdf = fz_u8(&v->in) % 8;
		mm->p.ecdh.shared_data = (b & 0x10u) ? NULL : mm->data + 128;
		mm->p.ecdh.shared_data_len = (b & 0x20u) ? fz_u8(&v->in) % 128 : 0;
		mech_peer(v, mm, fz_u8(&v->in));
		mm->m.ulParameterLen = sizeof(mm->p.ecdh);
		break;
	default:
		mm->m.ulParameterLen = 0;
		break;
	}
	/* b: 0x80 a length of the fuzzer's choice; 0x40 a NULL parameter
	 * with a length, or one without */
	if (b & 0x80u)
		mm->m.ulParameterLen = fz_u8(&v->in);
	if ((mm->m.ulParameterLen == 0) == ((b & 0x40u) == 0))
		return;
	mm->heap = buf_new(v, mm->m.ulParameterLen, false);
	memcpy(mm->heap, &mm->p, mm->m.ulParameterLen);
	mm->m.pParameter = mm->heap;
}

static void
mech_free(struct mech *mm)
{
	free(mm->heap);
	mm->heap = NULL;
}

/* A mechanism (NULL when the byte is FF: no mechanism at all). */
static CK_MECHANISM *
mech_pick(struct vm *v, struct mech *mm)
{
	uint8_t b = fz_u8(&v->in);

	memset(mm, 0, sizeof(*mm));
	if (b < GARBAGE_MARK)
		mm->m.mechanism = mech_types[b % NMECHS];
	else
		mm->m.mechanism = fz_u32(&v->in);
	mech_params(v, mm);
	return b == 0xffu ? NULL : &mm->m;
}

/* --- templates ------------------------------------------------------------ */

static void
tpl_free(struct tpl *t)
{
	CK_ULONG i;

	for (i = 0; i < t->n; i++)
		free(t->val[i]);
	memset(t, 0, sizeof(*t));
}

static void *
tpl_blob(struct vm *v, uint8_t sel, CK_ULONG *len)
{
	static const uint8_t id_bytes[] = { 0x01, 0x02, 0x03, 0x04, 0x05 };
	const uint8_t	*p = id_bytes;
	uint8_t		*b;

	switch (sel % 6) {
	case 0:
		p = oid_p256;
		*len = sizeof(oid_p256);
		break;
	case 1:
		p = oid_p384;
		*len = sizeof(oid_p384);
		break;
	case 2:
		p = name_p256;
		*len = sizeof(name_p256) - 1;
		break;
	case 3:
		p = cert_der;
		*len = cert_len;
		break;
	default:	/* a one-byte CKA_ID: 01 9A ... 05 82 */
		p = id_bytes + fz_u8(&v->in) % sizeof(id_bytes);
		*len = 1;
		break;
	}
	b = buf_new(v, *len, false);
	memcpy(b, p, *len);
	return b;
}

/* One attribute of an input template. */
static void
tpl_value(struct vm *v, CK_ATTRIBUTE *a, void **val)
{
	uint8_t		 k = fz_u8(&v->in);
	CK_ULONG	 ul;

	switch (k % 5) {
	case 0:		/* NULL with a length */
		a->pValue = NULL;
		a->ulValueLen = fz_u8(&v->in);
		return;
	case 1:
		ul = ulongs[fz_u8(&v->in) % NULONGS];
		a->ulValueLen = (k & 0x80u) ? fz_u8(&v->in) % 16 : sizeof(ul);
		*val = buf_new(v, a->ulValueLen, false);
		memcpy(*val, &ul, a->ulValueLen < sizeof(ul) ? a->ulValueLen :
		    sizeof(ul));
		break;
	case 2:
		a->ulValueLen = (k & 0x80u) ? fz_u8(&v->in) % 4 : 1;
		*val = buf_new(v, a->ulValueLen, true);
		break;
	case 3:
		a->ulValueLen = fz_u8(&v->in);
		*val = buf_new(v, a->ulValueLen, true);
		break;
	default:
		*val = tpl_blob(v, fz_u8(&v->in), &a->ulValueLen);
		break;
	}
	a->pValue = *val;
}

/* An input template: count, then per attribute a type and a value. */
static CK_ATTRIBUTE *
tpl_in(struct vm *v, struct tpl *t, CK_ULONG *count)
{
	uint8_t		b = fz_u8(&v->in), ty;
	CK_ULONG	i;

	memset(t, 0, sizeof(*t));
	t->n = b % (TPL_MAX + 1);
	for (i = 0; i < t->n; i++) {
		ty = fz_u8(&v->in);
		t->a[i].type = ty < GARBAGE_MARK ? attr_types[ty % NATTRS] :
		    fz_u32(&v->in);
		tpl_value(v, &t->a[i], &t->val[i]);
	}
	*count = t->n;
	t->null = (b & 0x80u) != 0;
	return t->null ? NULL : t->a;
}

/* An output template: types, and a NULL or exact-size buffer each. */
static CK_ATTRIBUTE *
tpl_out(struct vm *v, struct tpl *t, CK_ULONG *count)
{
	uint8_t		b = fz_u8(&v->in), ty;
	CK_ULONG	i;

	memset(t, 0, sizeof(*t));
	t->n = b % (TPL_MAX + 1);
	for (i = 0; i < t->n; i++) {
		ty = fz_u8(&v->in);
		t->a[i].type = ty < GARBAGE_MARK ? attr_types[ty % NATTRS] :
		    fz_u32(&v->in);
		t->val[i] = out_new(v, &t->a[i].ulValueLen);
		t->a[i].pValue = t->val[i];
	}
	*count = t->n;
	t->null = (b & 0x80u) != 0;
	return t->null ? NULL : t->a;
}

/* --- operations ------------------------------------------------------------ */

typedef void	op_fn(struct vm *);

static void
op_slots(struct vm *v)
{
	CK_SLOT_ID	*list;
	CK_ULONG	 n;
	uint8_t		 b = fz_u8(&v->in);

	n = fz_u8(&v->in) % 8;
	list = (b & 0x02u) ? NULL : buf_new(v, n * sizeof(*list), false);
	(void)C_GetSlotList(b & 0x01u, list, (b & 0x04u) ? NULL : &n);
	free(list);
}

static void
op_slot_info(struct vm *v)
{
	CK_SLOT_INFO	si;
	CK_TOKEN_INFO	ti;
	CK_SLOT_ID	s = pick_slot(v);
	uint8_t		b = fz_u8(&v->in);

	if (b & 0x01u)
		(void)C_GetSlotInfo(s, (b & 0x02u) ? NULL : &si);
	else
		(void)C_GetTokenInfo(s, (b & 0x02u) ? NULL : &ti);
}

static void
op_mechs(struct vm *v)
{
	CK_MECHANISM_INFO	 mi;
	CK_MECHANISM_TYPE	*list;
	CK_SLOT_ID		 s = pick_slot(v);
	CK_ULONG		 n;
	uint8_t			 b = fz_u8(&v->in);

	if (b & 0x01u) {
		(void)C_GetMechanismInfo(s, mech_types[fz_u8(&v->in) % NMECHS],
		    (b & 0x02u) ? NULL : &mi);
		return;
	}
	n = fz_u8(&v->in) % 64;
	list = (b & 0x02u) ? NULL : buf_new(v, n * sizeof(*list), false);
	(void)C_GetMechanismList(s, list, (b & 0x04u) ? NULL : &n);
	free(list);
}

static void
op_open(struct vm *v)
{
	CK_SESSION_HANDLE	h = CK_INVALID_HANDLE;
	CK_SLOT_ID		s = pick_slot(v);
	uint8_t			b = fz_u8(&v->in);
	CK_FLAGS		fl = 0;

	if ((b & 0x01u) == 0)
		fl |= CKF_SERIAL_SESSION;
	if (b & 0x02u)
		fl |= CKF_RW_SESSION;
	if (b & 0x04u)
		fl |= 0x80u;
	if (C_OpenSession(s, fl, NULL, NULL, (b & 0x08u) ? NULL : &h) ==
	    CKR_OK)
		keep_sess(v, h);
}

static void
op_close(struct vm *v)
{
	uint8_t b = fz_u8(&v->in);

	if (b & 0x01u)
		(void)C_CloseAllSessions(pick_slot(v));
	else
		(void)C_CloseSession(pick_sess(v));
}

static void
op_sess_info(struct vm *v)
{
	CK_SESSION_INFO		si;
	CK_SESSION_HANDLE	s = pick_sess(v);

	(void)C_GetSessionInfo(s, (fz_u8(&v->in) & 1u) ? NULL : &si);
}

static void
op_login(struct vm *v)
{
	static const CK_USER_TYPE users[] = {
		CKU_USER, CKU_SO, CKU_CONTEXT_SPECIFIC, 3, ULONG_MAX
	};
	CK_SESSION_HANDLE	 s = pick_sess(v);
	uint8_t			 b = fz_u8(&v->in);
	CK_USER_TYPE		 u = users[b % 5];
	const char		*pin = pins[fz_u8(&v->in) % NPINS];
	CK_ULONG		 len = strlen(pin);
	uint8_t			*p;

	if (b & 0x80u) {
		(void)C_Logout(s);
		return;
	}
	if (b & 0x40u)		/* a PIN of the fuzzer's own */
		len = fz_u8(&v->in) % 80;
	p = buf_new(v, len, (b & 0x40u) != 0);
	if ((b & 0x40u) == 0)
		memcpy(p, pin, len);
	(void)C_Login(s, u, (b & 0x20u) ? NULL : p, len);
	free(p);
}

static void
op_find(struct vm *v)
{
	CK_SESSION_HANDLE	 s = pick_sess(v);
	CK_OBJECT_HANDLE	*o;
	CK_ATTRIBUTE		*a;
	CK_ULONG		 n, max, i;
	struct tpl		 t;
	uint8_t			 b = fz_u8(&v->in);

	switch (b % 3) {
	case 0:
		a = tpl_in(v, &t, &n);
		(void)C_FindObjectsInit(s, a, n);
		tpl_free(&t);
		break;
	case 1:
		max = fz_u8(&v->in) % 32;
		o = buf_new(v, max * sizeof(*o), false);
		n = 0;
		if (C_FindObjects(s, (b & 0x10u) ? NULL : o, max,
		    (b & 0x20u) ? NULL : &n) == CKR_OK && o != NULL)
			for (i = 0; i < n && i < max; i++)
				keep_obj(v, o[i]);
		free(o);
		break;
	default:
		(void)C_FindObjectsFinal(s);
		break;
	}
}

static void
op_attrs(struct vm *v)
{
	CK_SESSION_HANDLE	 s = pick_sess(v);
	CK_OBJECT_HANDLE	 o = pick_obj(v);
	CK_ATTRIBUTE		*a;
	CK_ULONG		 n, size;
	struct tpl		 t;
	uint8_t			 b = fz_u8(&v->in);

	switch (b % 3) {
	case 0:
		a = tpl_out(v, &t, &n);
		(void)C_GetAttributeValue(s, o, a, n);
		tpl_free(&t);
		break;
	case 1:
		a = tpl_in(v, &t, &n);
		(void)C_SetAttributeValue(s, o, a, n);
		tpl_free(&t);
		break;
	default:
		(void)C_GetObjectSize(s, o, (b & 0x10u) ? NULL : &size);
		break;
	}
}

/* Init (with a mechanism and key), one-shot, update, final: one op
 * family for signing, verifying, decrypting and digesting. */
enum fam { FAM_SIGN, FAM_VERIFY, FAM_DECRYPT, FAM_DIGEST };

static CK_RV
fam_init(struct vm *v, enum fam f, CK_SESSION_HANDLE s)
{
	struct mech		mm;
	CK_MECHANISM		*m;
	CK_OBJECT_HANDLE	k = pick_obj(v);
	CK_RV			rv;

	m = mech_pick(v, &mm);
	switch (f) {
	case FAM_SIGN:
		rv = C_SignInit(s, m, k);
		break;
	case FAM_VERIFY:
		rv = C_VerifyInit(s, m, k);
		break;
	case FAM_DECRYPT:
		rv = C_DecryptInit(s, m, k);
		break;
	default:
		rv = C_DigestInit(s, m);
		break;
	}
	mech_free(&mm);
	return rv;
}

static void
fam_oneshot(struct vm *v, enum fam f, CK_SESSION_HANDLE s)
{
	CK_ULONG	 dl, ol, sl;
	uint8_t		*d = data_new(v, &dl), *o = NULL, *sig;
	uint8_t		 b = fz_u8(&v->in);

	if (f == FAM_VERIFY) {
		sig = data_new(v, &sl);
		(void)C_Verify(s, d, dl, sig, sl);
		free(sig);
	} else {
		o = out_new(v, &ol);
		if (f == FAM_SIGN)
			(void)C_Sign(s, d, dl, o, (b & 1u) ? NULL : &ol);
		else if (f == FAM_DECRYPT)
			(void)C_Decrypt(s, d, dl, o, (b & 1u) ? NULL : &ol);
		else
			(void)C_Digest(s, d, dl, o, (b & 1u) ? NULL : &ol);
	}
	free(d);
	free(o);
}

static void
fam_update(struct vm *v, enum fam f, CK_SESSION_HANDLE s)
{
	CK_ULONG	 dl, ol;
	uint8_t		*d = data_new(v, &dl), *o = NULL;

	switch (f) {
	case FAM_SIGN:
		(void)C_SignUpdate(s, d, dl);
		break;
	case FAM_VERIFY:
		(void)C_VerifyUpdate(s, d, dl);
		break;
	case FAM_DECRYPT:
		o = out_new(v, &ol);
		(void)C_DecryptUpdate(s, d, dl, o, &ol);
		break;
	default:
		(void)C_DigestUpdate(s, d, dl);
		break;
	}
	free(d);
	free(o);
}

static void
fam_final(struct vm *v, enum fam f, CK_SESSION_HANDLE s)
{
	CK_ULONG	 ol;
	uint8_t		*o;
	uint8_t		 b = fz_u8(&v->in);

	if (f == FAM_VERIFY) {
		o = data_new(v, &ol);
		(void)C_VerifyFinal(s, o, ol);
	} else {
		o = out_new(v, &ol);
		if (f == FAM_SIGN)
			(void)C_SignFinal(s, o, (b & 1u) ? NULL : &ol);
		else if (f == FAM_DECRYPT)
			(void)C_DecryptFinal(s, o, (b & 1u) ? NULL : &ol);
		else
			(void)C_DigestFinal(s, o, (b & 1u) ? NULL : &ol);
	}
	free(o);
}

static void
op_family(struct vm *v, enum fam f)
{
	CK_SESSION_HANDLE	s = pick_sess(v);
	uint8_t			b = fz_u8(&v->in);

	switch (b % 4) {
	case 0:
		(void)fam_init(v, f, s);
		break;
	case 1:
		fam_oneshot(v, f, s);
		break;
	case 2:
		fam_update(v, f, s);
		break;
	default:
		fam_final(v, f, s);
		break;
	}
}

static void
op_sign(struct vm *v)
{
	op_family(v, FAM_SIGN);
}

static void
op_verify(struct vm *v)
{
	op_family(v, FAM_VERIFY);
}

static void
op_decrypt(struct vm *v)
{
	op_family(v, FAM_DECRYPT);
}

static void
op_digest(struct vm *v)
{
	op_family(v, FAM_DIGEST);
}

static void
op_derive(struct vm *v)
{
	CK_SESSION_HANDLE	 s = pick_sess(v);
	CK_OBJECT_HANDLE	 base = pick_obj(v), out = CK_INVALID_HANDLE;
	struct mech		 mm;
	struct tpl		 t;
	CK_MECHANISM		*m;
	CK_ATTRIBUTE		*a;
	CK_ULONG		 n;
	uint8_t			 b = fz_u8(&v->in);

	m = mech_pick(v, &mm);
	a = tpl_in(v, &t, &n);
	if (C_DeriveKey(s, m, base, a, n, (b & 1u) ? NULL : &out) == CKR_OK)
		keep_obj(v, out);
	tpl_free(&t);
	mech_free(&mm);
}

static void
op_keygen(struct vm *v)
{
	CK_SESSION_HANDLE	 s = pick_sess(v);
	CK_OBJECT_HANDLE	 pub = CK_INVALID_HANDLE, priv = pub;
	struct mech		 mm;
	struct tpl		 tp, tk;
	CK_MECHANISM		*m;
	CK_ATTRIBUTE		*ap, *ak;
	CK_ULONG		 np, nk;
	uint8_t			 b = fz_u8(&v->in);

	m = mech_pick(v, &mm);
	ap = tpl_in(v, &tp, &np);
	ak = tpl_in(v, &tk, &nk);
	if (C_GenerateKeyPair(s, m, ap, np, ak, nk, (b & 1u) ? NULL : &pub,
	    (b & 2u) ? NULL : &priv) == CKR_OK) {
		keep_obj(v, pub);
		keep_obj(v, priv);
	}
	tpl_free(&tp);
	tpl_free(&tk);
	mech_free(&mm);
}

static void
op_create(struct vm *v)
{
	CK_SESSION_HANDLE	 s = pick_sess(v);
	CK_OBJECT_HANDLE	 o = CK_INVALID_HANDLE, src;
	struct tpl		 t;
	CK_ATTRIBUTE		*a;
	CK_ULONG		 n;
	uint8_t			 b = fz_u8(&v->in);

	switch (b % 3) {
	case 0:
		a = tpl_in(v, &t, &n);
		if (C_CreateObject(s, a, n, (b & 0x10u) ? NULL : &o) ==
		    CKR_OK)
			keep_obj(v, o);
		tpl_free(&t);
		break;
	case 1:
		(void)C_DestroyObject(s, pick_obj(v));
		break;
	default:
		src = pick_obj(v);
		a = tpl_in(v, &t, &n);
		if (C_CopyObject(s, src, a, n, &o) == CKR_OK)
			keep_obj(v, o);
		tpl_free(&t);
		break;
	}
}

static void
op_pins(struct vm *v)
{
	CK_SESSION_HANDLE	 s = pick_sess(v);
	uint8_t			 b = fz_u8(&v->in);
	const char		*a = pins[fz_u8(&v->in) % NPINS];
	const char		*c = pins[fz_u8(&v->in) % NPINS];
	CK_ULONG		 al = strlen(a), cl = strlen(c);
	uint8_t			*pa = buf_new(v, al, false);
	uint8_t			*pc = buf_new(v, cl, false);

	memcpy(pa, a, al);
	memcpy(pc, c, cl);
	if (b & 1u)
		(void)C_InitPIN(s, (b & 2u) ? NULL : pc, cl);
	else
		(void)C_SetPIN(s, (b & 2u) ? NULL : pa, al, pc, cl);
	free(pa);
	free(pc);
}

static void
op_misc(struct vm *v)
{
	CK_INFO			 info;
	CK_FUNCTION_LIST_PTR	 fl;
	CK_INTERFACE		 ifs[4];
	CK_INTERFACE_PTR	 ip;
	CK_SLOT_ID		 ev;
	CK_SESSION_HANDLE	 s = pick_sess(v);
	CK_ULONG		 n = fz_u8(&v->in) % 5, rl;
	uint8_t			 b = fz_u8(&v->in), *r;
	CK_UTF8CHAR		 label[32];

	switch (b % 8) {
	case 0:
		(void)C_GetInfo((b & 0x10u) ? NULL : &info);
		(void)C_GetFunctionList((b & 0x20u) ? NULL : &fl);
		break;
	case 1:
		(void)C_GetInterfaceList((b & 0x10u) ? NULL : ifs, &n);
		(void)C_GetInterface(NULL, NULL, &ip, 0);
		break;
	case 2:
		(void)C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, NULL);
		break;
	case 3:
		r = out_new(v, &rl);
		(void)C_GenerateRandom(s, r, rl);
		free(r);
		break;
	case 4:
		r = data_new(v, &rl);
		(void)C_SeedRandom(s, r, rl);
		free(r);
		break;
	case 5:
		(void)C_GetFunctionStatus(s);
		(void)C_CancelFunction(s);
		break;
	case 6:
		r = out_new(v, &rl);
		(void)C_GetOperationState(s, r, &rl);
		free(r);
		break;
	default:
		memset(label, ' ', sizeof(label));
		(void)C_InitToken(pick_slot(v), NULL, 0, label);
		break;
	}
}

/* Another application resets the card, it is pulled, put back, the
 * reader goes and comes back. */
static void
op_world(struct vm *v)
{
	uint8_t b = fz_u8(&v->in);

	switch (b % 5) {
	case 0:
		emu_tr_reset(&v->tr, v->rd);
		break;
	case 1:
		emu_tr_remove(&v->tr, v->rd);
		v->card_in = false;
		break;
	case 2:
		emu_tr_insert(&v->tr, v->rd, &v->card);
		v->card_in = true;
		break;
	case 3:
		emu_tr_unplug(&v->tr, v->rd);
		v->card_in = false;
		break;
	default:
		(void)emu_tr_add_reader(&v->tr, "Emu Reader 0");
		break;
	}
}

static void
vm_initialize(struct vm *v, uint8_t b)
{
	CK_C_INITIALIZE_ARGS a;

	memset(&a, 0, sizeof(a));
	switch (b % 4) {
	case 0:
		v->init = C_Initialize(NULL) == CKR_OK;
		return;
	case 1:
		a.flags = CKF_OS_LOCKING_OK;
		break;
	case 2:
		a.flags = CKF_LIBRARY_CANT_CREATE_OS_THREADS;
		break;
	default:
		a.flags = b;
		a.pReserved = (b & 0x80u) ? &a : NULL;
		break;
	}
	v->init = C_Initialize(&a) == CKR_OK;
}

static void
op_reinit(struct vm *v)
{
	uint8_t b = fz_u8(&v->in);

	if (C_Finalize(NULL) == CKR_OK)
		v->init = false;
	vm_initialize(v, b);
}

static op_fn *const ops[] = {
	[P11OP_SLOTS] = op_slots,
	[P11OP_SLOT_INFO] = op_slot_info,
	[P11OP_MECHS] = op_mechs,
	[P11OP_OPEN] = op_open,
	[P11OP_CLOSE] = op_close,
	[P11OP_SESS_INFO] = op_sess_info,
	[P11OP_LOGIN] = op_login,
	[P11OP_FIND] = op_find,
	[P11OP_ATTRS] = op_attrs,
	[P11OP_SIGN] = op_sign,
	[P11OP_VERIFY] = op_verify,
	[P11OP_DECRYPT] = op_decrypt,
	[P11OP_DIGEST] = op_digest,
	[P11OP_DERIVE] = op_derive,
	[P11OP_KEYGEN] = op_keygen,
	[P11OP_CREATE] = op_create,
	[P11OP_PINS] = op_pins,
	[P11OP_MISC] = op_misc,
	[P11OP_WORLD] = op_world,
	[P11OP_REINIT] = op_reinit,
};
#define NOPS	(sizeof(ops) / sizeof(ops[0]))

/* --- one input ------------------------------------------------------------- */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vm	v;
	struct ss_transport	t;
	size_t			n;

	if (cert_der == NULL)
		cert_der = fz_card_cert_9a(&cert_len);
	memset(&v, 0, sizeof(v));
	if (fz_card_clone(&v.card, fz_card_template()) < 0)
		return 0;
	emu_tr_init(&v.tr);
	v.rd = emu_tr_add_reader(&v.tr, "Emu Reader 0");
	emu_tr_insert(&v.tr, v.rd, &v.card);
	v.card_in = true;
	emu_tr_transport(&v.tr, &t);
	p11_set_transport(&t);
	ss_rd_init(&v.in, data, size);
	vm_initialize(&v, fz_u8(&v.in));
	for (n = 0; n < OPS_MAX && ss_rd_left(&v.in) > 0; n++)
		ops[fz_u8(&v.in) % NOPS](&v);
	(void)C_Finalize(NULL);
	p11_set_transport(NULL);
	emu_tr_free(&v.tr);
	emu_card_free(&v.card);
	ERR_clear_error();
	return 0;
}
