/*
 * tests/tools/p11-client.h - what the PKCS#11 test clients in tests/tools/
 * (p11-events, p11-faults, p11-hammer, p11-procstate) all do: load a
 * module, name a CK_RV, log in with $SMARTSIGN_PIN, find an object by
 * class and CKA_ID, read and write small files.
 *
 * Header only: each tool is one source file (Makefile, tests/tools/%.c),
 * so the helpers are static inline and a tool pays for what it uses.
 */
#ifndef TESTS_TOOLS_P11_CLIENT_H
#define TESTS_TOOLS_P11_CLIENT_H

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#include "reader/wipe.h"

#define P11_PIN_MAX	64
#define P11_LINE_MAX	512

/* The CKR_* name, or "0x..." for a value not in the table (then the
 * text is in a static buffer: one thread at a time). */
static inline const char *
p11_rv_name(CK_RV rv)
{
#define P11_RV(x)	{ x, #x }
	static const struct {
		CK_RV		 rv;
		const char	*name;
	} names[] = {
		P11_RV(CKR_OK), P11_RV(CKR_CANCEL), P11_RV(CKR_HOST_MEMORY),
		P11_RV(CKR_SLOT_ID_INVALID), P11_RV(CKR_GENERAL_ERROR),
		P11_RV(CKR_FUNCTION_FAILED), P11_RV(CKR_ARGUMENTS_BAD),
		P11_RV(CKR_NO_EVENT), P11_RV(CKR_DEVICE_ERROR),
		P11_RV(CKR_DEVICE_MEMORY), P11_RV(CKR_DEVICE_REMOVED),
		P11_RV(CKR_FUNCTION_CANCELED), P11_RV(CKR_KEY_HANDLE_INVALID),
		P11_RV(CKR_OBJECT_HANDLE_INVALID), P11_RV(CKR_OPERATION_ACTIVE),
		P11_RV(CKR_OPERATION_NOT_INITIALIZED),
		P11_RV(CKR_PIN_INCORRECT), P11_RV(CKR_PIN_LEN_RANGE),
		P11_RV(CKR_PIN_LOCKED), P11_RV(CKR_SESSION_CLOSED),
		P11_RV(CKR_SESSION_HANDLE_INVALID),
		P11_RV(CKR_SIGNATURE_INVALID), P11_RV(CKR_TOKEN_NOT_PRESENT),
		P11_RV(CKR_TOKEN_NOT_RECOGNIZED),
		P11_RV(CKR_USER_ALREADY_LOGGED_IN),
		P11_RV(CKR_USER_NOT_LOGGED_IN), P11_RV(CKR_BUFFER_TOO_SMALL),
		P11_RV(CKR_CRYPTOKI_NOT_INITIALIZED),
		P11_RV(CKR_CRYPTOKI_ALREADY_INITIALIZED),
	};
#undef P11_RV
	static char	hex[32];
	size_t		i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].rv == rv)
			return names[i].name;
	snprintf(hex, sizeof(hex), "0x%lx", (unsigned long)rv);
	return hex;
}

/* dlopen the module and take its function list into *fl; the handle for
 * dlclose, or NULL after a message on stderr. */
static inline void *
p11_load(const char *prog, const char *path, CK_FUNCTION_LIST_PTR *fl)
{
	CK_C_GetFunctionList	 gfl;
	void			*dl;

	*fl = NULL;
	if ((dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(stderr, "%s: cannot load %s: %s\n", prog, path,
		    dlerror());
		return NULL;
	}
	*(void **)&gfl = dlsym(dl, "C_GetFunctionList");
	if (gfl == NULL || gfl(fl) != CKR_OK || *fl == NULL) {
		fprintf(stderr, "%s: %s: no C_GetFunctionList\n", prog, path);
		*fl = NULL;
		dlclose(dl);
		return NULL;
	}
	return dl;
}

/* C_Login with $SMARTSIGN_PIN (empty when unset), from a copy that is
 * wiped afterwards. */
static inline CK_RV
p11_login_env(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, CK_USER_TYPE who)
{
	const char	*env = getenv("SMARTSIGN_PIN");
	CK_UTF8CHAR	 pin[P11_PIN_MAX];
	size_t		 n = env != NULL ? strlen(env) : 0;
	CK_RV		 rv;

	if (n > sizeof(pin))
		return CKR_PIN_LEN_RANGE;
	memcpy(pin, env != NULL ? env : "", n);
	rv = fl->C_Login(s, who, pin, (CK_ULONG)n);
	ss_wipe(pin, sizeof(pin));
	return rv;
}

/* Hex "0a1b..." to at most cap bytes; how many. */
static inline size_t
p11_hex_id(const char *s, CK_BYTE *id, size_t cap)
{
	size_t		n = 0;
	unsigned	b;

	while (s != NULL && s[0] != '\0' && s[1] != '\0' && n < cap &&
	    sscanf(s, "%2x", &b) == 1) {
		id[n++] = (CK_BYTE)b;
		s += 2;
	}
	return n;
}

/* C_FindObjectsInit for the objects of class cls with that CKA_ID. */
static inline CK_RV
p11_find_init(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s,
    CK_OBJECT_CLASS cls, const CK_BYTE *id, size_t idlen)
{
	CK_ATTRIBUTE t[2] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, (void *)(uintptr_t)id, (CK_ULONG)idlen },
	};

	return fl->C_FindObjectsInit(s, t, 2);
}

/* The one object of class cls with that CKA_ID; CKR_KEY_HANDLE_INVALID
 * when there is none. */
static inline CK_RV
p11_find_one(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s,
    CK_OBJECT_CLASS cls, const CK_BYTE *id, size_t idlen,
    CK_OBJECT_HANDLE *o)
{
	CK_ULONG	n = 0;
	CK_RV		rv;

	if ((rv = p11_find_init(fl, s, cls, id, idlen)) != CKR_OK)
		return rv;
	rv = fl->C_FindObjects(s, o, 1, &n);
	(void)fl->C_FindObjectsFinal(s);
	if (rv == CKR_OK && n != 1)
		rv = CKR_KEY_HANDLE_INVALID;
	return rv;
}

/* The whole file into buf; -1 when it cannot be read or is larger. */
static inline int
p11_file_read(const char *path, void *buf, size_t cap, size_t *len)
{
	FILE	*fp;
	size_t	 n;

	if (path == NULL || (fp = fopen(path, "rbe")) == NULL)
		return -1;
	n = fread(buf, 1, cap, fp);
	if (ferror(fp) || (!feof(fp) && fgetc(fp) != EOF)) {
		fclose(fp);
		return -1;
	}
	fclose(fp);
	*len = n;
	return 0;
}

static inline int
p11_file_write(const char *path, const void *buf, size_t len)
{
	FILE	*fp;
	int	 r = 0;

	if (path == NULL || (fp = fopen(path, "wbe")) == NULL)
		return -1;
	if (fwrite(buf, 1, len, fp) != len)
		r = -1;
	if (fclose(fp) != 0)
		r = -1;
	return r;
}

/* main() of a client driven one command per line on stdin (at most
 * P11_LINE_MAX bytes): "PROG MODULE.so"; the module loaded into *fl and,
 * with init, C_Initialize(init); then command(line) for every line until
 * it returns non-zero or the input ends; C_Finalize, unload.  The exit
 * status: 0, or 1 on a usage or load error. */
static inline int
p11_line_client(const char *prog, int argc, char **argv,
    CK_FUNCTION_LIST_PTR *fl, CK_C_INITIALIZE_ARGS *init,
    int (*command)(char *))
{
	char	 line[P11_LINE_MAX];
	void	*dl;

	if (argc != 2) {
		fprintf(stderr, "usage: %s MODULE.so\n", prog);
		return 1;
	}
	if ((dl = p11_load(prog, argv[1], fl)) == NULL)
		return 1;
	if (init != NULL && (*fl)->C_Initialize(init) != CKR_OK) {
		fprintf(stderr, "%s: C_Initialize failed\n", prog);
		dlclose(dl);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin) != NULL)
		if (command(line))
			break;
	(void)(*fl)->C_Finalize(NULL);
	dlclose(dl);
	return 0;
}

#endif
