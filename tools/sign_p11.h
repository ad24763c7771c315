/*
 * tools/sign_p11.h - smartsign-sign's only way to the card: the PKCS#11
 * API of a module loaded with dlopen (ours by default, any other with
 * --module).
 *
 * sign_p11.c loads the module, picks the token and logs in;
 * sign_p11obj.c finds the key and its certificate; sign_p11op.c picks
 * the mechanism and signs (sp11_sign is a sc_sign_fn).  Everything the
 * module returns is length-checked before use.  The PIN is only passed
 * through, from the locked page to C_Login.
 */
#ifndef SIGN_P11_H
#define SIGN_P11_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>

#include "tools/sign_cms.h"
#include "tools/sign_err.h"
#include "tools/sign_pin.h"
#include "tools/sign_uri.h"

#define SP11_SLOTS_MAX	64
#define SP11_CERT_MAX	(64 * 1024)

struct sp11 {
	void			*dl;
	CK_FUNCTION_LIST_PTR	 f;
	bool			 inited;
	CK_SLOT_ID		 slot;
	CK_TOKEN_INFO		 tok;
	char			 tok_label[33];	/* trimmed, printable */
	CK_SESSION_HANDLE	 sess;
	bool			 sess_open;
	bool			 logged_in;
	bool			 pin_error;	/* the failure was about the PIN */

	/* the key (sign_p11obj.c) */
	CK_OBJECT_HANDLE	 key;
	bool			 have_key;
	CK_KEY_TYPE		 ktype;
	bool			 always_auth;
	uint8_t			 id[SU_ID_MAX];
	size_t			 idlen;
	bool			 have_id;
	X509			*cert;

	/* the operation (sign_p11op.c) */
	enum sc_scheme		 scheme;
	const EVP_MD		*md;
	CK_MECHANISM_TYPE	 mech;
	bool			 raw;		/* the tool hashes, the token signs */
	const struct sp_pin	*pin;
	unsigned		 nsigs;
	bool			 verbose;
};

/* sign_p11.c */
int		 sp11_default_module(char *, size_t, struct se_err *);
int		 sp11_load(struct sp11 *, const char *, struct se_err *);
int		 sp11_token(struct sp11 *, const struct su_sel *, struct se_err *);
int		 sp11_login(struct sp11 *, const struct sp_pin *, struct se_err *);
int		 sp11_login_context(struct sp11 *, struct se_err *);
void		 sp11_close(struct sp11 *);
const char	*sp11_rv_str(CK_RV);

/* sign_p11obj.c */
int		 sp11_find_cert(struct sp11 *, const struct su_sel *,
		    struct se_err *);
int		 sp11_find_key(struct sp11 *, const struct su_sel *,
		    struct se_err *);
int		 sp11_get_attr(struct sp11 *, CK_OBJECT_HANDLE,
		    CK_ATTRIBUTE_TYPE, uint8_t *, size_t, size_t *);

/* sign_p11op.c */
int		 sp11_prepare(struct sp11 *, enum sc_scheme, const EVP_MD *,
		    struct se_err *);
int		 sp11_sign(void *, const uint8_t *, size_t, uint8_t *, size_t *,
		    struct se_err *);
const char	*sp11_mech_str(CK_MECHANISM_TYPE);

#endif
