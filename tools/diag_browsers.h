/*
 * tools/diag_browsers.h - the browsers' NSS databases: every Firefox
 * profile of the user and Chromium's $HOME/.pki/nssdb, whether each loads
 * the module (its pkcs11.txt), and whether a Firefox runs on a profile.
 * One check for `smartsign-diag browsers` and for doctor.
 */
#ifndef SS_DIAG_BROWSERS_H
#define SS_DIAG_BROWSERS_H

#include <stdbool.h>
#include <stddef.h>

#define BR_PATH		4096
#define BR_NAME		128
#define BR_MAX_DBS	64
#define BR_MAX_ENTRIES	32
#define BR_DEFAULT_NAME	"smartsign"
#define BR_MODULE_BASE	"smartsign-pkcs11.so"
#define BR_PROXY_BASE	"p11-kit-proxy.so"

enum br_state {
	BR_REGISTERED = 0,	/* an entry loads this module */
	BR_NOT_REGISTERED,	/* no entry for it */
	BR_DIFFERS,		/* "NAME" or a smartsign-pkcs11.so elsewhere */
	BR_NO_DB,		/* no NSS database in the folder (yet) */
	BR_UNREADABLE		/* pkcs11.txt cannot be read */
};

/* One module entry of a pkcs11.txt. */
struct br_entry {
	char	name[BR_NAME];
	char	library[BR_PATH];
};

struct br_db {
	bool		 firefox;	/* else Chromium's */
	char		 dir[BR_PATH];	/* the NSS database folder */
	enum br_state	 state;
	char		 entry[BR_NAME]; /* the entry found (registered,
					   differs) */
	char		 library[BR_PATH]; /* its library= */
	bool		 proxy;		/* loads p11-kit-proxy.so */
	long		 pid;		/* a Firefox running on it, else 0 */
};

struct br_set {
	struct br_db	db[BR_MAX_DBS];
	size_t		n;
	bool		truncated;	/* more than BR_MAX_DBS */
};

/* Every Firefox profile under home (profiles.ini, and folders holding an
 * NSS database; the classic, snap and flatpak locations), sorted, then
 * Chromium's home/.pki/nssdb (present or not).  Nothing is checked yet.
 * -1 when home is not an absolute path. */
int	br_find(const char *home, struct br_set *);
/* Fill db->state, entry, library, proxy and pid for module and name. */
void	br_check(struct br_db *, const char *module, const char *name);
/* The entries of dir/pkcs11.txt; -1 when it cannot be read. */
int	br_entries(const char *dir, struct br_entry *, size_t cap,
	    size_t *n);
/* Whether library names module (same string or same file). */
bool	br_same_module(const char *library, const char *module);
/* An entry that is "name" or a smartsign-pkcs11.so, but not module:
 * register replaces it. */
bool	br_stale(const struct br_entry *, const char *module,
	    const char *name);
/* The pid of a Firefox holding the profile (lock symlink of a live
 * process, or a lock on .parentlock), else 0. */
long	br_firefox_pid(const char *dir);
/* "registered", "not_registered", "path_differs", "no_database",
 * "unreadable". */
const char *br_state_name(enum br_state);
/* "Firefox profile" or "Chromium NSS database". */
const char *br_title(const struct br_db *);
/* The module to register when --module is not given: $SMARTSIGN_MODULE,
 * the installed one (../lib/<multiarch>/pkcs11 relative to the program,
 * then the system's pkcs11 folders), else the one beside the program
 * (the build tree). */
const char *br_default_module(char *buf, size_t cap);
/* Run args[0] (PATH search) with args, no shell, stdin /dev/null; its
 * output (stdout and stderr) into out.  Its exit status, 127 when not
 * found, 128 + signal, -1 when it could not be run. */
int	br_run(const char *const *args, char *out, size_t cap);
/* No control characters (paths from files and the environment are
 * untrusted; pkcs11.txt is line-based). */
bool	br_clean(const char *s);

#endif
