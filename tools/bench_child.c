/*
 * tools/bench_child.c - the exec'd process that runs one flow once, and
 * the one-line result it hands back to the runner:
 *
 *   ok=1 ms=12.345 apdus=14 verify=1 keyops=1 sigs=1 verified=1 certs=0
 *   privkeys=0 ins=A4:1,CB:4,C0:6 note=free text to the end of the line
 *
 * The line goes to --result-fd, never to stdout (modules print there).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/bench.h"

typedef int	(*flow_fn)(struct bench_ctx *, struct bench_result *);

static const flow_fn flows[FLOW_COUNT] = {
	bench_flow_cold, bench_flow_browser, bench_flow_rsa, bench_flow_ec,
	bench_flow_threads, bench_flow_procs,
};

static void
format_ins(const struct bench_counters *d, char *buf, size_t cap)
{
	size_t	used = 0;
	int	i, n;

	buf[0] = '\0';
	for (i = 0; i < 256 && used < cap; i++) {
		if (d->ins[i] == 0)
			continue;
		n = snprintf(buf + used, cap - used, "%s%02X:%" PRIu64,
		    used > 0 ? "," : "", (unsigned)i, d->ins[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

int
bench_result_format(const struct bench_result *r, char *buf, size_t cap)
{
	char	ins[1024];
	int	n;

	format_ins(&r->d, ins, sizeof(ins));
	n = snprintf(buf, cap, "ok=%d ms=%.3f apdus=%" PRIu64 " verify=%"
	    PRIu64 " keyops=%" PRIu64 " sigs=%u verified=%u certs=%u "
	    "privkeys=%u ins=%s note=%s\n", r->ok ? 1 : 0, r->ms, r->d.apdus,
	    r->d.verify, r->d.keyops, r->sigs, r->verified, r->certs,
	    r->privkeys, ins[0] != '\0' ? ins : "-", r->note);
	return n > 0 && (size_t)n < cap ? 0 : -1;
}

static void
parse_ins(const char *v, struct bench_counters *d)
{
	unsigned		ins;
	unsigned long long	n;
	int			used;

	while (sscanf(v, "%x:%llu%n", &ins, &n, &used) == 2) {
		if (ins < 256)
			d->ins[ins] = n;
		v += used;
		if (*v != ',')
			break;
		v++;
	}
}

static void
parse_field(const char *k, const char *v, struct bench_result *r)
{
	if (strcmp(k, "ok") == 0)
		r->ok = atoi(v) == 1;
	else if (strcmp(k, "ms") == 0)
		r->ms = strtod(v, NULL);
	else if (strcmp(k, "apdus") == 0)
		r->d.apdus = strtoull(v, NULL, 10);
	else if (strcmp(k, "verify") == 0)
		r->d.verify = strtoull(v, NULL, 10);
	else if (strcmp(k, "keyops") == 0)
		r->d.keyops = strtoull(v, NULL, 10);
	else if (strcmp(k, "sigs") == 0)
		r->sigs = (unsigned)strtoul(v, NULL, 10);
	else if (strcmp(k, "verified") == 0)
		r->verified = (unsigned)strtoul(v, NULL, 10);
	else if (strcmp(k, "certs") == 0)
		r->certs = (unsigned)strtoul(v, NULL, 10);
	else if (strcmp(k, "privkeys") == 0)
		r->privkeys = (unsigned)strtoul(v, NULL, 10);
	else if (strcmp(k, "ins") == 0)
		parse_ins(v, &r->d);
}

/* Parse a result line (as bench_result_format() writes it); -1 if the
 * line has no "note=" (a truncated line). */
int
bench_result_parse(const char *line, struct bench_result *r)
{
	char		 key[32], val[1100];
	const char	*note;

	memset(r, 0, sizeof(*r));
	if ((note = strstr(line, " note=")) == NULL)
		return -1;
	while (line < note && sscanf(line, " %31[^=]=%1099s", key, val) == 2) {
		parse_field(key, val, r);
		line = strchr(line + 1, ' ');
		if (line == NULL)
			break;
	}
	snprintf(r->note, sizeof(r->note), "%s", note + 6);
	r->note[strcspn(r->note, "\n")] = '\0';
	return 0;
}

/* Signatures that do not verify fail the flow. */
static void
check_sigs(struct bench_result *r)
{
	if (r->sigs == r->verified)
		return;
	r->ok = false;
	bench_notef(r, "%u of %u signatures do not verify",
	    r->sigs - r->verified, r->sigs);
}

static void
run_flow(struct bench_opts *o, struct bench_ctx *c, struct bench_result *r)
{
	memset(r, 0, sizeof(*r));
	r->ok = true;
	if (bench_load_certs(c, o->certdir) < 0) {
		r->ok = false;
		bench_notef(r, "reference certificates missing in %s",
		    o->certdir);
		return;
	}
	if (flows[o->child_flow](c, r) < 0)
		r->ok = false;
	check_sigs(r);
}

int
bench_child_main(struct bench_opts *o)
{
	struct bench_result	r;
	struct bench_pin	pin;
	struct bench_ctx	c;
	char			line[2048];
	int			rc;

	memset(&c, 0, sizeof(c));
	memset(&pin, 0, sizeof(pin));
	c.o = o;
	c.pin = &pin;
	c.module = o->child_module;
	alarm(o->timeout_s);
	rc = o->pin_fd >= 0 ? bench_pin_read(o, &pin) : -1;
	if (o->pin_fd >= 0)
		close(o->pin_fd);
	if (rc < 0) {
		memset(&r, 0, sizeof(r));
		bench_notef(&r, "no PIN");
	} else
		run_flow(o, &c, &r);
	bench_pin_clear(&pin);
	bench_free_certs(&c);
	if (bench_result_format(&r, line, sizeof(line)) < 0 ||
	    write(o->result_fd, line, strlen(line)) < 0)
		r.ok = false;
	return r.ok ? 0 : 1;
}
