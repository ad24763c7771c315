/*
 * tools/diag_util.c - files, lines, time and exit codes for smartsign-diag.
 *
 * Files (smartcard_list.txt, pkcs11.txt, *.module, sysfs attributes) are
 * untrusted input: they are read whole, up to a limit, and walked with
 * the bounds-checked cursor of reader/buf.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "reader/err.h"
#include "tools/diag.h"

static int
read_all(int fd, uint8_t *p, size_t cap, size_t *len)
{
	ssize_t	n;

	*len = 0;
	for (;;) {
		n = read(fd, p + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		*len += (size_t)n;
		if (*len == cap)
			return -1;	/* larger than allowed */
	}
}

int
diag_read_file(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	uint8_t	*p;
	int	 fd, rc;

	*buf = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return -1;
	if ((p = malloc(max + 2)) == NULL) {
		(void)close(fd);
		return -1;
	}
	rc = read_all(fd, p, max + 1, len);
	(void)close(fd);
	if (rc < 0) {
		free(p);
		*len = 0;
		return -1;
	}
	p[*len] = '\0';
	*buf = p;
	return 0;
}

bool
diag_next_line(struct ss_rd *r, const char **line, size_t *len)
{
	struct ss_rd	 peek = *r;
	const uint8_t	*rest, *nl, *start;
	size_t		 left = ss_rd_left(r);

	if (left == 0 || ss_rd_ptr(&peek, &rest, left) < 0)
		return false;
	nl = memchr(rest, '\n', left);
	*len = nl != NULL ? (size_t)(nl - rest) : left;
	if (ss_rd_ptr(r, &start, *len) < 0)
		return false;
	if (nl != NULL)
		(void)ss_rd_skip(r, 1);
	*line = (const char *)start;
	if (*len > 0 && (*line)[*len - 1] == '\r')
		(*len)--;
	return true;
}

bool
diag_line_str(const char *line, size_t len, char *buf, size_t cap)
{
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	if (cap == 0 || len >= cap)
		return false;
	memcpy(buf, line, len);
	buf[len] = '\0';
	return true;
}

void
diag_timestamp(char *buf, size_t cap)
{
	struct timespec	ts;
	struct tm	tm;
	char		date[32], zone[8];

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	if (localtime_r(&ts.tv_sec, &tm) == NULL ||
	    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0 ||
	    strftime(zone, sizeof(zone), "%z", &tm) == 0) {
		(void)snprintf(buf, cap, "%lld", (long long)ts.tv_sec);
		return;
	}
	(void)snprintf(buf, cap, "%s.%03ld%s", date, ts.tv_nsec / 1000000L,
	    zone);
}

double
diag_now_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

int
diag_exit_for(int err)
{
	switch (err) {
	case SS_ERR_OK:
		return DIAG_EXIT_OK;
	case SS_ERR_NO_SERVICE:
		return DIAG_EXIT_NO_SERVICE;
	case SS_ERR_NO_READER:
	case SS_ERR_READER_GONE:
		return DIAG_EXIT_NO_READER;
	case SS_ERR_NO_CARD:
	case SS_ERR_CARD_REMOVED:
		return DIAG_EXIT_NO_CARD;
	case SS_ERR_NO_MEMORY:
	case SS_ERR_BAD_ARG:
		return DIAG_EXIT_INTERNAL;
	default:
		return DIAG_EXIT_CARD;
	}
}

void
diag_no_core(void)
{
	struct rlimit	rl = { 0, 0 };

	(void)setrlimit(RLIMIT_CORE, &rl);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static bool
is_file(const char *p)
{
	struct stat	st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* The first match of pattern that is a file, into buf. */
static bool
first_file(const char *pattern, char *buf, size_t cap)
{
	glob_t	g;
	size_t	i;
	bool	found = false;

	if (glob(pattern, 0, NULL, &g) != 0)
		return false;
	for (i = 0; i < g.gl_pathc && !found; i++)
		if (is_file(g.gl_pathv[i]) &&
		    (size_t)snprintf(buf, cap, "%s", g.gl_pathv[i]) < cap)
			found = true;
	globfree(&g);
	return found;
}

/* Where make install and the distributions put the module: next to
 * this program (the build tree), ../lib/<multiarch>/pkcs11 relative to
 * it (make install), then the system's pkcs11 folders. */
const char *
diag_default_module(char *buf, size_t cap)
{
	static const char *const sys[] = {
		"/usr/local/lib/*/pkcs11/" DIAG_MODULE_NAME,
		"/usr/local/lib/pkcs11/" DIAG_MODULE_NAME,
		"/usr/lib/*/pkcs11/" DIAG_MODULE_NAME,
		"/usr/lib/pkcs11/" DIAG_MODULE_NAME,
	};
	const char	*env = getenv("SMARTSIGN_MODULE");
	char		 exe[2048], pat[2400], *slash;
	ssize_t		 n;
	size_t		 i;

	if (env != NULL && *env != '\0') {
		(void)snprintf(buf, cap, "%s", env);
		return buf;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0 && (exe[n] = '\0', slash = strrchr(exe, '/')) != NULL) {
		*slash = '\0';
		(void)snprintf(pat, sizeof(pat), "%s/" DIAG_MODULE_NAME, exe);
		if (first_file(pat, buf, cap))
			return buf;
		(void)snprintf(pat, sizeof(pat), "%s/../lib/*/pkcs11/"
		    DIAG_MODULE_NAME, exe);
		if (first_file(pat, buf, cap))
			return buf;
	}
	for (i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
		if (first_file(sys[i], buf, cap))
			return buf;
	(void)snprintf(buf, cap, "/usr/lib/x86_64-linux-gnu/pkcs11/"
	    DIAG_MODULE_NAME);
	return buf;
}

bool
diag_join(char *buf, size_t cap, const char *dir, const char *name)
{
	int	n = snprintf(buf, cap, "%s/%s", dir, name);

	return n >= 0 && (size_t)n < cap;
}
