/*
 * pkcs11/p11.h - the PKCS#11 front end's internal interface (not exported:
 * the module exports C_* only, see exports.map).
 *
 * Structure: module.c owns the global state (struct p11_mod) and the
 * function lists; slot.c binds a card to a slot (channel + driver) and
 * keeps it until the card goes; session.c keeps the sessions of a slot;
 * object.c caches the card's key references and names them with handles;
 * attr.c derives the attributes; find.c, sign.c, verify.c, digest.c and
 * login.c are the PKCS#11 calls on top.
 *
 * Locking: one global mutex (slot table, counters) and one mutex per slot.
 * Everything about a slot - its binding, channel, objects, login state and
 * all its sessions with their operations - is guarded by the slot mutex;
 * a call on a session holds its slot's mutex from lookup to return
 * (p11_sess_get() ... p11_sess_put()).  Order: slot mutex, then global.
 * Nothing blocks for long with a mutex held, except card I/O.
 */
#ifndef P11_P11_H
#define P11_P11_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/evp.h>
#include <p11-kit/pkcs11.h>

#include "pkcs11/driver.h"
#include "reader/channel.h"
#include "reader/readers.h"
#include "reader/transport.h"

#define P11_REFS_MAX		80	/* key references per card (3 objects each) */
#define P11_OBJ_PER_GEN		65536	/* handle = gen * 65536 + ver * 256
					   + index (object.c) */
#define P11_OBJ_PER_VER		256
#define P11_SIG_MAX		1024	/* largest signature / padded block */
#define P11_ACC_MAX		1024	/* data kept for multi-part raw signing */
#define P11_MECH_PARAM_MAX	64	/* copied mechanism parameter */
#define P11_SECRETS_MAX		64	/* session secret keys per token */
#define P11_FIND_MAX		(P11_REFS_MAX * 3 + P11_SECRETS_MAX)

/* PKCS#11 3.0 key type (p11-kit 0.24's header has CKK_EC_EDWARDS only). */
#ifndef CKK_EC_MONTGOMERY
#define CKK_EC_MONTGOMERY	(0x41UL)
#endif

/* Vendor attributes of C_GenerateKeyPair / C_CreateObject private-key
 * templates (README "Card management through PKCS#11"): the YubiKey PIN
 * and touch policies, CK_ULONG, YubiKey's values (0 = the default). */
#define CKA_SMARTSIGN_PIN_POLICY	(CKA_VENDOR_DEFINED | 0x53530001UL)
#define CKA_SMARTSIGN_TOUCH_POLICY	(CKA_VENDOR_DEFINED | 0x53530002UL)

#define P11_PUK_MIN		6	/* a CKU_SO secret this long is a PUK */
#define P11_PUK_MAX		8

/* PKCS#11 3.0 interfaces (not in p11-kit's 2.40 header). */
typedef struct CK_INTERFACE {
	CK_CHAR		*pInterfaceName;
	CK_VOID_PTR	 pFunctionList;
	CK_FLAGS	 flags;
} CK_INTERFACE;
typedef CK_INTERFACE *CK_INTERFACE_PTR;
typedef CK_INTERFACE_PTR *CK_INTERFACE_PTR_PTR;

CK_RV	C_GetInterfaceList(CK_INTERFACE_PTR, CK_ULONG_PTR);
CK_RV	C_GetInterface(CK_UTF8CHAR_PTR, CK_VERSION_PTR, CK_INTERFACE_PTR_PTR,
	    CK_FLAGS);

/* --- lock.c ------------------------------------------------------------ */

CK_RV	p11_lock_setup(const CK_C_INITIALIZE_ARGS *);
CK_RV	p11_mutex_new(void **);
void	p11_mutex_free(void **);
void	p11_mutex_lock(void *);
void	p11_mutex_unlock(void *);

/* --- log.c ------------------------------------------------------------- */

void	p11_log_open(void);
void	p11_log_close(void);
bool	p11_log_on(void);
void	p11_log(const char *, ...) __attribute__((format(printf, 1, 2)));
void	p11_log_enter(const char *fn);
CK_RV	p11_log_rv(const char *fn, CK_RV);
void	p11_log_trace(void *, const struct ss_trace_rec *);

/* --- errmap.c ---------------------------------------------------------- */

/* What the failed call was doing, for the errors that depend on it. */
enum p11_ectx {
	P11_E_SLOT,	/* slot/token calls: removal is TOKEN_NOT_PRESENT */
	P11_E_SESSION,	/* session calls: removal is DEVICE_REMOVED */
	P11_E_LOGIN,	/* C_Login: the PIN errors */
	P11_E_KEYOP	/* needs the login: a reset is USER_NOT_LOGGED_IN */
};

CK_RV		 p11_ckr(int drv_err, enum p11_ectx);
CK_RV		 p11_ckr_ss(int ss_err, enum p11_ectx);
const char	*p11_rv_name(CK_RV);

/* --- the state --------------------------------------------------------- */

struct p11_key;

/* A sign or verify operation. */
struct p11_sigop {
	bool			 active;
	CK_MECHANISM		 mech;
	uint8_t			 param[P11_MECH_PARAM_MAX];
	CK_OBJECT_HANDLE	 key;
	bool			 always_auth;	/* the key wants a context login */
	bool			 ctx_auth;	/* ... and got it (VERIFY sent) */
	bool			 tx_held;	/* we hold a channel transaction */
	bool			 multi;		/* C_*Update was called */
	bool			 hashing;
	EVP_MD_CTX		*md;
	uint8_t			*acc;		/* raw data (multi-part) */
	size_t			 acc_len;
	size_t			 acc_cap;
};

/* A decrypt operation (decrypt.c): the mechanism, key and login state
 * as for signing (op.acc holds multi-part ciphertext), the OAEP label
 * copied out of the caller's parameter, and the plaintext kept when
 * the caller's buffer was too small (given out on the next call). */
struct p11_decop {
	struct p11_sigop	 op;
	uint8_t			*label;
	size_t			 label_len;
	uint8_t			*plain;		/* P11_SIG_MAX bytes, or NULL */
	size_t			 plain_len;
};

struct p11_digop {
	bool		 active;
	bool		 multi;
	EVP_MD_CTX	*md;
	size_t		 len;
};

struct p11_find {
	bool			 active;
	CK_OBJECT_HANDLE	 h[P11_FIND_MAX];
	size_t			 n;
	size_t			 pos;
};

struct p11_session {
	CK_SESSION_HANDLE	 h;
	CK_FLAGS		 flags;
	struct p11_find		 find;
	struct p11_sigop	 sign;
	struct p11_sigop	 verify;
	struct p11_decop	 decrypt;
	struct p11_digop	 digest;
	struct p11_session	*next;
};

struct p11_blob {
	uint8_t		*p;
	size_t		 len;
};

/* Attribute values derived once when a reference is loaded. */
struct p11_keyattrs {
	CK_KEY_TYPE		 ktype;		/* CK_UNAVAILABLE_INFORMATION:
						   no key objects shown */
	CK_ULONG		 bits;
	bool			 cert_ok;	/* certificate parsed */
	struct p11_blob		 subject;
	struct p11_blob		 issuer;
	struct p11_blob		 serial;
	struct p11_blob		 spki;
	struct p11_blob		 modulus;
	struct p11_blob		 pubexp;
	struct p11_blob		 ecparams;
	struct p11_blob		 ecpoint;
	struct p11_blob		 checkval;
	CK_MECHANISM_TYPE	 allowed[32];
	size_t			 nallowed;
};

enum p11_key_state { P11_KEY_UNKNOWN = 0, P11_KEY_LOADED, P11_KEY_ABSENT };

struct p11_secret;	/* secret.c */

struct p11_key {
	uint8_t			 ref;
	uint8_t			 id[DRV_ID_MAX];
	size_t			 id_len;
	enum p11_key_state	 state;
	struct drv_key		 k;
	struct p11_keyattrs	 a;
	uint8_t			 ver[3];	/* per kind, in the handle: bumped
						   when the object is replaced */
	bool			 pub_exact;	/* k.pub is what the card holds
						   (generated or imported here) */
};

/* How the Security Officer logged in (login_so.c). */
enum p11_so { P11_SO_NONE = 0, P11_SO_ADMIN, P11_SO_PUK };

/* Object kinds, in the handle: index = key * 3 + kind. */
enum p11_kind { P11_CERT = 0, P11_PUB = 1, P11_PRIV = 2 };

struct p11_slot {
	CK_SLOT_ID		 id;
	void			*mu;
	uint64_t		 seen_events;	/* C_WaitForSlotEvent (global mu) */
	/* the bound card, when drv != NULL */
	struct ss_chan		*chan;
	const struct drv_ops	*drv;
	struct drv_card		*card;
	uint64_t		 card_seq;
	uint32_t		 gen;		/* handle generation, 0 = none */
	bool			 unrecognized;	/* no driver took card_seq */
	bool			 gone;		/* unbind at p11_sess_put() */
	bool			 reselect;	/* reset seen: reselect first */
	struct drv_token	 tok;
	bool			 tok_full;	/* serial, label read */
	bool			 pinpad;
	struct drv_pin_status	 pin;
	bool			 pin_known;
	int			 pin_left_max;	/* most tries left seen */
	bool			 pin_failed;	/* our last VERIFY failed */
	bool			 logged_in;
	enum p11_so		 so;		/* CKU_SO logged in (login_so.c) */
	uint8_t			 so_puk[P11_PUK_MAX];
	size_t			 so_puk_len;
	struct p11_key		 keys[P11_REFS_MAX];
	size_t			 nkeys;
	/* sessions of this slot */
	struct p11_session	*sessions;
	CK_ULONG		 nsess;
	CK_ULONG		 nrw;
	/* their secret-key objects (secret.c) */
	struct p11_secret	*secrets;
	size_t			 nsecrets;
};

struct p11_mod {
	atomic_bool		 init;
	pid_t			 pid;
	void			*mu;
	struct ss_transport	 t;
	struct ss_readers	*readers;
	struct p11_slot		*slots[SS_READERS_MAX];
	CK_ULONG		 next_sess;
	uint32_t		 next_gen;
	atomic_bool		 finalizing;
	/* last reader list refresh, CLOCK_MONOTONIC ms (p11_refresh) */
	atomic_uint_fast64_t	 refreshed_ms;
};

extern struct p11_mod p11_m;

/* module.c */
CK_RV	p11_check_init(void);
/* Refresh the reader list: always when force (the calls that report
 * presence), else at most every P11_REFRESH_MS (card I/O notices a
 * removal or reset meanwhile). */
#define P11_REFRESH_MS	1000u
void	p11_refresh(bool force);
/* event.c: threads in C_WaitForSlotEvent (C_Finalize waits for none). */
int	p11_event_waiters(void);
void	p11_pad(CK_UTF8CHAR *, size_t, const char *);
void	p11_set_transport(const struct ss_transport *);
/* cancel.c: out = in, but while p11_cancel_others(true) (C_Finalize) the
 * card I/O of every other thread fails with SS_ERR_CANCELLED, so that
 * C_Finalize does not wait for a slow card's whole operation. */
void	p11_cancel_transport(const struct ss_transport *in,
	    struct ss_transport *out);
void	p11_cancel_others(bool on);
/* This thread's card I/O is being cancelled by C_Finalize. */
bool	p11_io_cancelled(void);

/* --- slot.c ------------------------------------------------------------ */

/* The slot for an id, created on first use; NULL: CKR_SLOT_ID_INVALID. */
struct p11_slot	*p11_slot_get(CK_SLOT_ID);
void	p11_slots_free(void);
/* Slot mutex held: notice removal/insertion, bind a present card.
 * CKR_OK (bound), CKR_TOKEN_NOT_PRESENT, CKR_TOKEN_NOT_RECOGNIZED, ... */
CK_RV	p11_slot_token(struct p11_slot *);
/* Slot mutex held: unbind if the card went; no binding is made. */
void	p11_slot_sync(struct p11_slot *);
void	p11_slot_unbind(struct p11_slot *);
/* Card I/O bracket (slot mutex held, bound). */
CK_RV	p11_io_begin(struct p11_slot *, enum p11_ectx);
void	p11_io_end(struct p11_slot *);
/* Slot mutex held: the side effects of a driver error, and its CKR_*. */
CK_RV	p11_slot_err(struct p11_slot *, int drv_err, enum p11_ectx);
void	p11_slot_logged_out(struct p11_slot *);
/* A device error may be the card, the reader or pcscd gone: whether the
 * reader layer says so now (refreshes the reader list). */
bool	p11_slot_card_went(const struct p11_slot *);

/* --- session.c --------------------------------------------------------- */

/* Find the session and lock its slot; on CKR_OK call p11_sess_put(). */
CK_RV	p11_sess_get(CK_SESSION_HANDLE, struct p11_slot **,
	    struct p11_session **);
void	p11_sess_put(struct p11_slot *);
/* Slot mutex held: wait while another session holds a context login's
 * transaction; CKR_SESSION_HANDLE_INVALID if self was closed meanwhile. */
CK_RV	p11_sess_wait_ctx(struct p11_slot *, CK_SESSION_HANDLE self);
void	p11_sess_close_all(struct p11_slot *);
/* End every operation of a session (releases a held transaction). */
void	p11_sess_end_ops(struct p11_slot *, struct p11_session *);
bool	p11_sess_rw(const struct p11_session *);

/* --- login.c ----------------------------------------------------------- */

/* The last session closed: forget the login; nothing is sent. */
void	p11_login_drop(struct p11_slot *);

/* --- object.c ---------------------------------------------------------- */

void	p11_keys_init(struct p11_slot *);
void	p11_keys_free(struct p11_slot *);
/* Load reference i if not yet known (I/O inside its own bracket). */
CK_RV	p11_key_load(struct p11_slot *, size_t i);
CK_OBJECT_HANDLE p11_obj_handle(const struct p11_slot *, size_t i,
	    enum p11_kind);
/* Decode and check a handle against the bound card and (unless any) the
 * login state: CKR_OK, CKR_OBJECT_HANDLE_INVALID. */
CK_RV	p11_obj_lookup(struct p11_slot *, CK_OBJECT_HANDLE, bool any,
	    struct p11_key **, enum p11_kind *);
/* The private key may be used now: logged in, or the key needs no PIN. */
bool	p11_key_usable(const struct p11_slot *, const struct p11_key *);
bool	p11_obj_exists(const struct p11_slot *, const struct p11_key *,
	    enum p11_kind, bool any);
/* The reference with this CKA_ID: its index to *i; false if none. */
bool	p11_key_find_id(const struct p11_slot *, const void *id, size_t len,
	    size_t *i);
/* After card management (keygen.c, create*.c): the kinds whose objects
 * were replaced or removed get new handles (the old ones go invalid). */
#define P11_CHG_CERT	(1u << P11_CERT)
#define P11_CHG_KEYS	((1u << P11_PUB) | (1u << P11_PRIV))
#define P11_CHG_ALL	(P11_CHG_CERT | P11_CHG_KEYS)
/* Reference i now holds k (taken; cleared on failure), k.pub exact. */
CK_RV	p11_key_set(struct p11_slot *, size_t i, struct drv_key *k,
	    unsigned chg);
/* Forget reference i: loaded again from the card when needed. */
void	p11_key_forget(struct p11_slot *, size_t i, unsigned chg);
/* Reference i (loaded) now has certificate der (NULL: none). */
CK_RV	p11_key_set_cert(struct p11_slot *, size_t i, const uint8_t *der,
	    size_t len);

/* --- login_so.c: the Security Officer (management key or PUK) -------- */

CK_RV	p11_so_login(struct p11_slot *, const CK_UTF8CHAR *, CK_ULONG);
/* Log the SO out (the card told where it can be) / forget it (no I/O). */
void	p11_so_logout(struct p11_slot *);
void	p11_so_forget(struct p11_slot *);
/* A card-management call may go on: CKR_OK, CKR_SESSION_READ_ONLY,
 * CKR_USER_NOT_LOGGED_IN (no SO with the management key). */
CK_RV	p11_so_check(const struct p11_slot *, const struct p11_session *);
/* p11_io_begin() for it; a reset noticed now: CKR_USER_NOT_LOGGED_IN. */
CK_RV	p11_so_io_begin(struct p11_slot *);
/* A management call's driver error: unsupported and invalid are what
 * DRV_ERR_NOT_SUPPORTED and DRV_ERR_DATA_INVALID mean for it. */
CK_RV	p11_so_err(struct p11_slot *, int drv_err, CK_RV unsupported,
	    CK_RV invalid);

/* --- tmpl.c: creation templates (keygen.c, create*.c) ----------------- */

/* YubiKey policies asked for in a private-key template. */
struct p11_policy {
	int		 always;	/* CKA_ALWAYS_AUTHENTICATE: -1 unset */
	CK_ULONG	 pin;		/* CKA_SMARTSIGN_PIN_POLICY, 0 unset */
	CK_ULONG	 touch;
};

/* Template well-formed: CKR_OK, CKR_ARGUMENTS_BAD. */
CK_RV	p11_tpl_check(const CK_ATTRIBUTE *, CK_ULONG);
CK_RV	p11_tpl_ulong(const CK_ATTRIBUTE *, CK_ULONG *);
/* A CK_BBOOL that must be want: CKR_ATTRIBUTE_VALUE_INVALID if not. */
CK_RV	p11_tpl_want(const CK_ATTRIBUTE *, bool want);
/* The reference a CKA_ID names: CKR_OK, CKR_ATTRIBUTE_VALUE_INVALID. */
CK_RV	p11_tpl_id(const struct p11_slot *, const CK_ATTRIBUTE *, size_t *i);
/* CKA_EC_PARAMS (curve OID or name) -> 256 or 384. */
CK_RV	p11_tpl_curve(const CK_ATTRIBUTE *, unsigned *bits);
/* Policy attributes; *done false when a is none of them. */
CK_RV	p11_tpl_policy(const CK_ATTRIBUTE *a, struct p11_policy *, bool *done);
CK_RV	p11_tpl_policy_end(const struct p11_policy *, struct drv_keyspec *);
/* The attributes every created object shares (class, token, private,
 * label, ...); CKR_ATTRIBUTE_TYPE_INVALID for any other. */
CK_RV	p11_tpl_common(const CK_ATTRIBUTE *, CK_OBJECT_CLASS);

/* --- keygen.c ---------------------------------------------------------- */

const CK_MECHANISM_TYPE *p11_keygen_mechs(size_t *n);
CK_RV	p11_keygen_mech_info(CK_MECHANISM_TYPE, CK_MECHANISM_INFO *);

/* --- create_key.c: C_CreateObject of a private key ---------------------- */

CK_RV	p11_create_key(struct p11_slot *, const CK_ATTRIBUTE *, CK_ULONG,
	    CK_OBJECT_HANDLE *);

/* --- attr.c ------------------------------------------------------------ */

CK_RV	p11_attrs_build(struct p11_key *);
void	p11_attrs_free(struct p11_keyattrs *);
/* The value of one attribute: CKR_OK (ptr/len set), CKR_ATTRIBUTE_TYPE_INVALID
 * or CKR_ATTRIBUTE_SENSITIVE. tmp holds scalar values. */
struct p11_aval {
	const void	*p;
	size_t		 len;
	CK_ULONG	 ul;
	CK_BBOOL	 b;
	uint8_t		 date[8];
};
CK_RV	p11_attr_value(const struct p11_key *, enum p11_kind,
	    CK_ATTRIBUTE_TYPE, struct p11_aval *);
/* Does the object match the template (compared by value)? */
bool	p11_attr_match(const struct p11_key *, enum p11_kind,
	    const CK_ATTRIBUTE *, CK_ULONG);

/* --- sign.c ------------------------------------------------------------ */

void	p11_sigop_clear(struct p11_slot *, struct p11_sigop *);
CK_RV	p11_sigop_mech(struct p11_sigop *, const CK_MECHANISM *);
CK_RV	p11_sigop_acc(struct p11_sigop *, const uint8_t *, size_t, size_t max);
/* The active operation a context-specific login applies to (a signature,
 * else a decryption), or NULL. */
struct p11_sigop *p11_ctx_op(struct p11_session *);

/* --- decrypt.c --------------------------------------------------------- */

void	p11_decop_clear(struct p11_slot *, struct p11_decop *);

/* --- secret.c: session secret-key objects (C_DeriveKey results) -------- */

/*
 * Handles: (sequence << 8) | 0xff, the sequence never reused in the
 * process; the low byte keeps them apart from the card's objects (whose
 * index byte is below P11_REFS_MAX * 3).  A secret belongs to the session
 * that made it (destroyed with it) and is seen from every session of the
 * token; CKA_PRIVATE ones only while the user is logged in.
 */
#define P11_SECRET_LEN_MAX	256	/* bytes of CKA_VALUE */
#define P11_SECRET_TEXT_MAX	64	/* CKA_LABEL, CKA_ID */

/* What a template asks of a new secret key. */
struct p11_secret_spec {
	CK_KEY_TYPE	 ktype;
	CK_ULONG	 value_len;	/* CKA_VALUE_LEN; 0 when not given */
	unsigned	 flags;		/* boolean attributes, secret.c */
	uint8_t		 label[P11_SECRET_TEXT_MAX];
	size_t		 label_len;
	uint8_t		 id[P11_SECRET_TEXT_MAX];
	size_t		 id_len;
};

/* The template of C_DeriveKey (defaults filled in): CKR_OK,
 * CKR_ATTRIBUTE_TYPE_INVALID, CKR_ATTRIBUTE_VALUE_INVALID,
 * CKR_ATTRIBUTE_READ_ONLY, CKR_TEMPLATE_INCONSISTENT. */
CK_RV	p11_secret_template(const CK_ATTRIBUTE *, CK_ULONG,
	    struct p11_secret_spec *);
/* A new object holding a copy of value (len bytes); CKR_OK,
 * CKR_HOST_MEMORY, CKR_DEVICE_MEMORY (too many). */
CK_RV	p11_secret_add(struct p11_slot *, CK_SESSION_HANDLE owner,
	    const struct p11_secret_spec *, const uint8_t *value, size_t len,
	    CK_OBJECT_HANDLE *);
bool	p11_secret_handle(CK_OBJECT_HANDLE);
/* Visible now: CKR_OK or CKR_OBJECT_HANDLE_INVALID. */
CK_RV	p11_secret_check(struct p11_slot *, CK_OBJECT_HANDLE);
/* C_GetAttributeValue on a secret (same rules as attr.c). */
CK_RV	p11_secret_attrs(struct p11_slot *, CK_OBJECT_HANDLE, CK_ATTRIBUTE *,
	    CK_ULONG);
/* C_DestroyObject: CKR_OK, CKR_OBJECT_HANDLE_INVALID,
 * CKR_ACTION_PROHIBITED (CKA_DESTROYABLE FALSE). */
CK_RV	p11_secret_destroy(struct p11_slot *, CK_OBJECT_HANDLE);
/* The secrets of a session (owner 0: all), wiped. */
void	p11_secret_drop(struct p11_slot *, CK_SESSION_HANDLE owner);
/* Append the visible secrets matching the template; how many. */
size_t	p11_secret_find(struct p11_slot *, const CK_ATTRIBUTE *, CK_ULONG,
	    CK_OBJECT_HANDLE *, size_t cap);

/* --- digest.c ---------------------------------------------------------- */

void	p11_digop_clear(struct p11_digop *);
bool	p11_digest_mech(CK_MECHANISM_TYPE);

#endif
