/*
 * tools/diag_cardlist.c - name a card from its ATR with pcsc-tools' list
 * (smartcard_list.txt).
 *
 * Format: "#" comments; an entry is a line holding the ATR as a regular
 * expression over upper-case hex bytes separated by spaces ("3B 8E 80
 * .. 0[13]"), then one or more tab-indented description lines, then an
 * empty line.  An ATR matches an entry when the whole ATR string matches
 * the expression (POSIX extended).  The file is untrusted input: read
 * whole (at most 8 MB), walked line by line with the cursor helpers, and
 * an expression that does not compile is skipped.
 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "tools/diag.h"

#define LIST_MAX	(8u << 20)
#define PATTERN_MAX	512
#define DESC_MAX	512
#define ATR_STR_MAX	(3 * SS_ATR_MAX + 1)

struct lookup {
	char	atr[ATR_STR_MAX];
	size_t	atr_len;
	char	**names;
	size_t	cap, n;
};

static void
atr_string(const uint8_t *atr, size_t len, char *out)
{
	size_t	i, k = 0;

	out[0] = '\0';
	for (i = 0; i < len && i < SS_ATR_MAX; i++) {
		(void)snprintf(out + k, ATR_STR_MAX - k, "%s%02X",
		    i ? " " : "", atr[i]);
		k += i ? 3 : 2;
	}
}

/* The literal prefix of an expression must agree with the ATR before a
 * regcomp() is worth it (most of the 4000 entries fail here). */
static bool
prefix_agrees(const char *pat, const char *atr)
{
	size_t	i;

	for (i = 0; pat[i] != '\0' && atr[i] != '\0'; i++) {
		if (strchr(".[(*+?\\|{^$", pat[i]) != NULL)
			return true;
		if (pat[i] != atr[i] && !(pat[i] >= 'a' && pat[i] <= 'f' &&
		    pat[i] - 'a' + 'A' == atr[i]))
			return false;
	}
	return pat[i] == '\0' ? atr[i] == '\0' : true;
}

static bool
pattern_matches(const char *pat, const char *atr)
{
	char	re_src[PATTERN_MAX + 8];
	regex_t	re;
	bool	ok;

	if (!prefix_agrees(pat, atr))
		return false;
	(void)snprintf(re_src, sizeof(re_src), "^(%s)$", pat);
	if (regcomp(&re, re_src, REG_EXTENDED | REG_NOSUB | REG_ICASE) != 0)
		return false;
	ok = regexec(&re, atr, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

static void
add_name(struct lookup *l, const char *line, size_t len)
{
	char	buf[DESC_MAX];

	if (l->n >= l->cap || !diag_line_str(line, len, buf, sizeof(buf)) ||
	    buf[0] == '\0')
		return;
	if ((l->names[l->n] = strdup(buf)) != NULL)
		l->n++;
}

static void
walk(struct lookup *l, const uint8_t *buf, size_t len)
{
	struct ss_rd	 r;
	const char	*line;
	size_t		 n;
	char		 pat[PATTERN_MAX];
	bool		 in_match = false;

	ss_rd_init(&r, buf, len);
	while (diag_next_line(&r, &line, &n)) {
		if (n == 0 || line[0] == '#') {
			in_match = false;
			continue;
		}
		if (line[0] == '\t' || line[0] == ' ') {
			if (in_match)
				add_name(l, line, n);
			continue;
		}
		in_match = diag_line_str(line, n, pat, sizeof(pat)) &&
		    pattern_matches(pat, l->atr);
	}
}

static const char *
list_path(const char *path, char *buf, size_t cap)
{
	const char	*home = getenv("HOME");
	FILE		*f;

	if (path != NULL)
		return path;
	if (home != NULL && *home != '\0') {
		(void)snprintf(buf, cap, "%s/.cache/smartcard_list.txt", home);
		if ((f = fopen(buf, "r")) != NULL) {
			(void)fclose(f);
			return buf;
		}
	}
	return DIAG_CARDLIST;
}

int
diag_cardlist_lookup(const char *path, const uint8_t *atr, size_t len,
    char **names, size_t cap, size_t *nlines)
{
	struct lookup	 l;
	uint8_t		*buf;
	size_t		 blen;
	char		 pbuf[4096];

	*nlines = 0;
	memset(&l, 0, sizeof(l));
	l.names = names;
	l.cap = cap;
	atr_string(atr, len, l.atr);
	if (diag_read_file(list_path(path, pbuf, sizeof(pbuf)), LIST_MAX,
	    &buf, &blen) < 0)
		return -1;
	walk(&l, buf, blen);
	free(buf);
	*nlines = l.n;
	return (int)l.n;
}

void
diag_cardlist_free(char **names, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(names[i]);
}
