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
#define P11_OBJ_PER_GEN		256	/* handle = gen * 256 + index */
#define P11_SIG_MAX		1024	/* largest signature / padded block */
#define P11_ACC_MAX		1024	/* data kept for multi-part raw signing */
#define P11_MECH_PARAM_MAX	64	/* copied mechanism parameter */
#define P11_FIND_MAX		(P11_REFS_MAX * 3)

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

struct p11_key {
	uint8_t			 ref;
	uint8_t			 id[DRV_ID_MAX];
	size_t			 id_len;
	enum p11_key_state	 state;
	struct drv_key		 k;
	struct p11_keyattrs	 a;
};

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
	bool			 pinpad;
	struct drv_pin_status	 pin;
	bool			 pin_known;
	int			 pin_left_max;	/* most tries left seen */
	bool			 pin_failed;	/* our last VERIFY failed */
	bool			 logged_in;
	struct p11_key		 keys[P11_REFS_MAX];
	size_t			 nkeys;
	/* sessions of this slot */
	struct p11_session	*sessions;
	CK_ULONG		 nsess;
	CK_ULONG		 nrw;
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
	atomic_int		 waiters;
	atomic_bool		 finalizing;
};

extern struct p11_mod p11_m;

/* module.c */
CK_RV	p11_check_init(void);
void	p11_pad(CK_UTF8CHAR *, size_t, const char *);
void	p11_set_transport(const struct ss_transport *);

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

/* --- session.c --------------------------------------------------------- */

/* Find the session and lock its slot; on CKR_OK call p11_sess_put(). */
CK_RV	p11_sess_get(CK_SESSION_HANDLE, struct p11_slot **,
	    struct p11_session **);
void	p11_sess_put(struct p11_slot *);
void	p11_sess_close_all(struct p11_slot *);
/* End every operation of a session (releases a held transaction). */
void	p11_sess_end_ops(struct p11_slot *, struct p11_session *);
bool	p11_sess_rw(const struct p11_session *);

/* --- login.c ----------------------------------------------------------- */

/* The last session closed: log the card out (once), forget the login. */
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
bool	p11_obj_exists(const struct p11_slot *, const struct p11_key *,
	    enum p11_kind, bool any);

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
/* The active operation a context-specific login applies to, or NULL. */
struct p11_sigop *p11_ctx_op(struct p11_session *);

/* --- digest.c ---------------------------------------------------------- */

void	p11_digop_clear(struct p11_digop *);
bool	p11_digest_mech(CK_MECHANISM_TYPE);

#endif
