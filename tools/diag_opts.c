/*
 * tools/diag_opts.c - the command-line parser every smartsign-diag
 * subcommand shares: --json, --reader/-r, --help, and the options a
 * subcommand declares; "--opt value" and "--opt=value"; operands may come
 * anywhere ("--" ends the options).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/diag.h"

/* One option at argv[*i]; returns -1 on error, 1 for --help. */
static int
parse_one(char **argv, int argc, int *i, const struct diag_optdef *defs,
    struct diag_opts *o, int (*more)(void *, int, const char *), void *arg)
{
	const char	*a = argv[*i], *eq, *val = NULL;
	size_t		 klen, k;

	eq = strchr(a, '=');
	klen = eq != NULL ? (size_t)(eq - a) : strlen(a);
	if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
		return 1;
	if (strcmp(a, "--json") == 0) {
		o->json = true;
		return 0;
	}
	for (k = 0; defs != NULL && defs[k].name != NULL; k++)
		if (strlen(defs[k].name) == klen &&
		    strncmp(a, defs[k].name, klen) == 0)
			break;
	if ((defs == NULL || defs[k].name == NULL) && !(klen == 8 &&
	    strncmp(a, "--reader", 8) == 0) && strcmp(a, "-r") != 0) {
		fprintf(stderr, "smartsign-diag: unknown option '%s'\n", a);
		return -1;
	}
	if (defs != NULL && defs[k].name != NULL && !defs[k].arg) {
		if (eq != NULL)
			goto noarg;
		return more(arg, defs[k].id, NULL) < 0 ? -1 : 0;
	}
	if (eq != NULL)
		val = eq + 1;
	else if (*i + 1 < argc)
		val = argv[++*i];
	else {
		fprintf(stderr, "smartsign-diag: %s needs a value\n", a);
		return -1;
	}
	if (defs == NULL || defs[k].name == NULL) {
		o->reader = val;
		return 0;
	}
	return more(arg, defs[k].id, val) < 0 ? -1 : 0;
noarg:
	fprintf(stderr, "smartsign-diag: %.*s takes no value\n", (int)klen, a);
	return -1;
}

int
diag_parse(int argc, char **argv, const char *usage_text,
    const struct diag_optdef *defs, struct diag_opts *o,
    int (*more)(void *, int, const char *), void *arg, int *nops)
{
	int	i, n = 0, rc;
	bool	only_ops = false;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		if (!only_ops && strcmp(argv[i], "--") == 0) {
			only_ops = true;
			continue;
		}
		if (only_ops || argv[i][0] != '-' || argv[i][1] == '\0') {
			argv[1 + n++] = argv[i];
			continue;
		}
		rc = parse_one(argv, argc, &i, defs, o, more, arg);
		if (rc == 1) {
			fputs(usage_text, stdout);
			return 1;
		}
		if (rc < 0) {
			fprintf(stderr, "(see smartsign-diag %s --help)\n",
			    argv[0]);
			return -1;
		}
	}
	*nops = n;
	return 0;
}

int
diag_parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char		*end;
	unsigned long	 x;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	x = strtoul(s, &end, 10);
	if (*end != '\0' || x > max)
		return -1;
	*v = x;
	return 0;
}
