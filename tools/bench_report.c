/*
 * tools/bench_report.c - merge raw results (bench_tsv.c) into the
 * markdown report: per profile a table of flows x modules (APDUs,
 * VERIFYs, private-key operations, median ms [min-max], ratio to the
 * baseline module measured in the same runner), the floor row of every
 * flow, the bar for the subject module, and the APDUs by instruction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/bench.h"

#define PROFILES_MAX	8
#define RUNS_ALL_MAX	4096
#define METAS_MAX	1024

struct rrun {
	char		profile[64], flow[16], module[BENCH_NAME_MAX];
	bool		ok;
	double		ms;
	double		apdus, verify, keyops;
	unsigned	sigs, verified, privkeys;
	char		ins[1024], note[BENCH_NOTE_MAX];
};

struct rmeta {
	char	profile[64], key[64], val[512];
};

struct rdata {
	struct rrun	*runs;
	size_t		 nruns;
	struct rmeta	*metas;
	size_t		 nmetas;
};

/* One cell of the table: a flow with a module in a profile. */
struct cell {
	size_t		n, nok;
	double		ms_med, ms_min, ms_max;
	double		apdus, apdus_min, apdus_max, verify, keyops;
	unsigned	sigs;
	const struct rrun *first;	/* first successful run, else first */
	const struct rrun *failed;	/* first failed run */
};

static void
copy_field(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src != NULL ? src : "");
}

static void
parse_meta(struct rdata *d, char **f, int nf)
{
	struct rmeta	*m;

	if (nf < 4 || d->nmetas >= METAS_MAX)
		return;
	m = &d->metas[d->nmetas++];
	copy_field(m->profile, sizeof(m->profile), f[1]);
	copy_field(m->key, sizeof(m->key), f[2]);
	copy_field(m->val, sizeof(m->val), f[3]);
}

static void
parse_run(struct rdata *d, char **f, int nf)
{
	struct rrun	*r;

	if (nf < 16 || d->nruns >= RUNS_ALL_MAX)
		return;
	r = &d->runs[d->nruns++];
	copy_field(r->profile, sizeof(r->profile), f[1]);
	copy_field(r->flow, sizeof(r->flow), f[2]);
	copy_field(r->module, sizeof(r->module), f[3]);
	r->ok = atoi(f[5]) == 1;
	r->ms = strtod(f[6], NULL);
	r->apdus = strtod(f[7], NULL);
	r->verify = strtod(f[8], NULL);
	r->keyops = strtod(f[9], NULL);
	r->sigs = (unsigned)strtoul(f[10], NULL, 10);
	r->verified = (unsigned)strtoul(f[11], NULL, 10);
	r->privkeys = (unsigned)strtoul(f[13], NULL, 10);
	copy_field(r->ins, sizeof(r->ins), f[14]);
	copy_field(r->note, sizeof(r->note), strcmp(f[15], "-") == 0 ? "" :
	    f[15]);
}

static int
split_tabs(char *line, char **f, int max)
{
	int	n = 0;

	line[strcspn(line, "\n")] = '\0';
	while (n < max) {
		f[n++] = line;
		if ((line = strchr(line, '\t')) == NULL)
			break;
		*line++ = '\0';
	}
	return n;
}

static int
read_tsv(struct rdata *d, const char *path)
{
	FILE	*fp;
	char	 line[4096], *f[20];
	int	 nf;

	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "smartsign-bench: %s: cannot open\n", path);
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		nf = split_tabs(line, f, 20);
		if (strcmp(f[0], "meta") == 0)
			parse_meta(d, f, nf);
		else if (strcmp(f[0], "run") == 0)
			parse_run(d, f, nf);
	}
	fclose(fp);
	return 0;
}

static const char *
meta(const struct rdata *d, const char *profile, const char *key)
{
	size_t	i;

	for (i = 0; i < d->nmetas; i++)
		if ((profile == NULL || strcmp(d->metas[i].profile,
		    profile) == 0) && strcmp(d->metas[i].key, key) == 0)
			return d->metas[i].val;
	return NULL;
}

static double
meta_d(const struct rdata *d, const char *profile, const char *key)
{
	const char	*v = meta(d, profile, key);

	return v != NULL ? strtod(v, NULL) : -1;
}

/* Distinct values of a field, in order of appearance. */
static size_t
profiles(const struct rdata *d, const char **out, size_t max)
{
	size_t	i, j, n = 0;

	for (i = 0; i < d->nmetas; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(out[j], d->metas[i].profile) == 0)
				break;
		if (j == n && n < max)
			out[n++] = d->metas[i].profile;
	}
	return n;
}

static size_t
modules(const struct rdata *d, const char *profile, const char **out,
    size_t max)
{
	size_t	i, j, n = 0;

	for (i = 0; i < d->nmetas; i++) {
		if (strcmp(d->metas[i].profile, profile) != 0 ||
		    strncmp(d->metas[i].key, "module_", 7) != 0)
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(out[j], d->metas[i].key + 7) == 0)
				break;
		if (j == n && n < max)
			out[n++] = d->metas[i].key + 7;
	}
	return n;
}

static bool
run_in(const struct rrun *r, const char *profile, const char *flow,
    const char *module)
{
	return strcmp(r->profile, profile) == 0 &&
	    strcmp(r->flow, flow) == 0 && strcmp(r->module, module) == 0;
}

static void
cell_stats(struct cell *c, double *ms, double *ap, double *vf, double *ko)
{
	size_t	n = c->nok > 0 ? c->nok : c->n;

	bench_minmax(ms, n, &c->ms_min, &c->ms_max);
	c->ms_med = bench_median(ms, n);
	bench_minmax(ap, n, &c->apdus_min, &c->apdus_max);
	c->apdus = bench_median(ap, n);
	c->verify = bench_median(vf, n);
	c->keyops = bench_median(ko, n);
}

static void
cell_get(const struct rdata *d, const char *profile, const char *flow,
    const char *module, struct cell *c)
{
	double	ms[BENCH_RUNS_MAX], ap[BENCH_RUNS_MAX];
	double	vf[BENCH_RUNS_MAX], ko[BENCH_RUNS_MAX];
	size_t	i, k = 0;
	int	pass;

	memset(c, 0, sizeof(*c));
	/* pass 0: successful runs; pass 1: all runs if none succeeded */
	for (pass = 0; pass < 2 && k == 0; pass++) {
		for (i = 0; i < d->nruns && k < BENCH_RUNS_MAX; i++) {
			const struct rrun *r = &d->runs[i];

			if (!run_in(r, profile, flow, module) ||
			    (pass == 0 && !r->ok))
				continue;
			if (c->first == NULL)
				c->first = r;
			ms[k] = r->ms;
			ap[k] = r->apdus;
			vf[k] = r->verify;
			ko[k++] = r->keyops;
			c->sigs = r->sigs;
		}
	}
	for (i = 0; i < d->nruns; i++) {
		if (!run_in(&d->runs[i], profile, flow, module))
			continue;
		c->n++;
		if (d->runs[i].ok)
			c->nok++;
		else if (c->failed == NULL)
			c->failed = &d->runs[i];
	}
	if (k > 0)
		cell_stats(c, ms, ap, vf, ko);
}

/* --- output ---------------------------------------------------------- */

static void
print_header(const struct rdata *d, const char *const *files, size_t nf)
{
	const char	*p0 = d->nmetas > 0 ? d->metas[0].profile : NULL;
	size_t		 i;

	printf("Measured %s on %s CPUs (%s), Debian %s.\n",
	    meta(d, p0, "date") ? meta(d, p0, "date") : "?",
	    meta(d, p0, "nproc") ? meta(d, p0, "nproc") : "?",
	    meta(d, p0, "cpu") ? meta(d, p0, "cpu") : "?",
	    meta(d, p0, "debian") ? meta(d, p0, "debian") : "?");
	printf("Raw results:");
	for (i = 0; i < nf; i++)
		printf(" `%s`", files[i]);
	printf(".\n\n");
	printf("APDUs: commands the card got in the measured part (per "
	    "signature in brackets); VERIFY: PIN verifications; keyops: "
	    "private-key operations; median ms [min-max] of the runs; x "
	    "%s: median time over %s's median in the same profile; "
	    "*floor*: the least APDUs the flow needs times one measured "
	    "APDU round trip, plus its private-key operations.\n\n",
	    meta(d, p0, "baseline") ? meta(d, p0, "baseline") : "baseline",
	    meta(d, p0, "baseline") ? meta(d, p0, "baseline") : "baseline");
}

static void
print_profile_head(const struct rdata *d, const char *p)
{
	size_t	i;

	printf("### %s\n\n", p);
	for (i = 0; i < d->nmetas; i++)
		if (strcmp(d->metas[i].profile, p) == 0 &&
		    strcmp(d->metas[i].key, "desc") == 0)
			printf("%s\n", d->metas[i].val);
	if (meta_d(d, p, "rtt_med") >= 0)
		printf("\nFloor: one APDU round trip (SELECT through "
		    "libpcsclite, pcscd, vpcd) %.3f ms median [%.3f-%.3f] of "
		    "%.0f; emulator OpenSSL per private-key operation: "
		    "RSA-2048 %.3f ms, P-256 %.3f ms (median of %.0f).\n",
		    meta_d(d, p, "rtt_med"), meta_d(d, p, "rtt_min"),
		    meta_d(d, p, "rtt_max"), meta_d(d, p, "rtt_n"),
		    meta_d(d, p, "rsa_ms"), meta_d(d, p, "ec_ms"),
		    meta_d(d, p, "keyop_n"));
	if (meta(d, p, "floor_apdu_form") != NULL)
		printf("Least APDUs counted with %s APDUs (%s).\n",
		    meta(d, p, "floor_apdu_form"),
		    strcmp(meta(d, p, "floor_apdu_form"), "extended") == 0 ?
		    "the card's ATR offers them and the reader took them: a "
		    "certificate in 1 GET DATA, an RSA-2048 signature in 1 "
		    "GENERAL AUTHENTICATE" : "the card or the reader does "
		    "not take extended APDUs: GET RESPONSE for long answers, "
		    "command chaining for RSA");
	printf("\n| flow | module | APDUs | VERIFY | keyops | median ms "
	    "[min-max] | x %s | runs | result |\n", meta(d, p, "baseline") ?
	    meta(d, p, "baseline") : "baseline");
	printf("|---|---|---:|---:|---:|---|---:|---:|---|\n");
}

static void
print_apdus(const struct cell *c)
{
	if (c->apdus_min != c->apdus_max)
		printf("%.0f (%.0f-%.0f)", c->apdus, c->apdus_min,
		    c->apdus_max);
	else
		printf("%.0f", c->apdus);
	if (c->sigs > 1)
		printf(" (%.2f/sig)", c->apdus / c->sigs);
}

static void
print_result(const struct cell *c)
{
	if (c->n == 0) {
		printf("not run |\n");
		return;
	}
	if (c->failed != NULL) {
		printf("**FAILED** %zu of %zu: %s |\n", c->n - c->nok, c->n,
		    c->failed->note);
		return;
	}
	printf("ok%s%s |\n", c->first != NULL && c->first->note[0] != '\0' ?
	    ": " : "", c->first != NULL ? c->first->note : "");
}

static void
print_cell(const char *flow, const char *mod, const struct cell *c,
    const struct cell *base)
{
	printf("| %s | %s | ", flow, mod);
	if (c->n == 0 || c->first == NULL) {
		printf("- | - | - | - | - | 0 | ");
		print_result(c);
		return;
	}
	print_apdus(c);
	printf(" | %.0f | %.0f | %.1f [%.1f-%.1f] | ", c->verify, c->keyops,
	    c->ms_med, c->ms_min, c->ms_max);
	if (base != NULL && base->nok > 0 && c->nok > 0 && base->ms_med > 0)
		printf("%.2f", c->ms_med / base->ms_med);
	else
		printf("-");
	printf(" | %zu | ", c->n);
	print_result(c);
}

static void
print_floor(const struct rdata *d, const char *p, const char *flow)
{
	char	ka[64], km[64];
	double	fa, fm;

	snprintf(ka, sizeof(ka), "floor_apdus_%s", flow);
	snprintf(km, sizeof(km), "floor_ms_%s", flow);
	if ((fa = meta_d(d, p, ka)) < 0)
		return;
	fm = meta_d(d, p, km);
	printf("| %s | *floor* | %.0f | | | ", flow, fa);
	if (fm >= 0)
		printf("%.1f", fm);
	printf(" | | | |\n");
}

static bool
flow_present(const struct rdata *d, const char *p, const char *flow)
{
	size_t	i;

	for (i = 0; i < d->nruns; i++)
		if (strcmp(d->runs[i].profile, p) == 0 &&
		    strcmp(d->runs[i].flow, flow) == 0)
			return true;
	return false;
}

static void
print_profile(const struct rdata *d, const char *p)
{
	const char	*mods[BENCH_MODS_MAX], *base = meta(d, p, "baseline");
	struct cell	 c, b;
	size_t		 nm, m;
	int		 fl;

	nm = modules(d, p, mods, BENCH_MODS_MAX);
	print_profile_head(d, p);
	for (fl = 0; fl < FLOW_COUNT; fl++) {
		if (!flow_present(d, p, bench_flow_name(fl)))
			continue;
		cell_get(d, p, bench_flow_name(fl), base != NULL ? base : "",
		    &b);
		for (m = 0; m < nm; m++) {
			cell_get(d, p, bench_flow_name(fl), mods[m], &c);
			print_cell(bench_flow_name(fl), mods[m], &c, &b);
		}
		print_floor(d, p, bench_flow_name(fl));
	}
	printf("\n");
}

/* --- the bar --------------------------------------------------------- */

/*
 * Fewer APDUs than every other module?  A tie where the subject is at
 * the flow's floor is reported as such: nothing is left to cut there.
 */
static bool
bar_apdus(const struct rdata *d, const char *p, const char *flow,
    const char *subj, const char **mods, size_t nm, unsigned *ties)
{
	struct cell	s, c;
	char		key[64];
	bool		ok, tie = false;
	size_t		m;

	cell_get(d, p, flow, subj, &s);
	ok = s.nok > 0 && s.failed == NULL;
	printf("- %s, %s: %s %.0f APDUs", p, flow, subj, s.apdus);
	for (m = 0; m < nm; m++) {
		if (strcmp(mods[m], subj) == 0)
			continue;
		cell_get(d, p, flow, mods[m], &c);
		printf(", %s %.0f%s", mods[m], c.apdus,
		    c.nok == 0 ? " (failed)" : "");
		if (c.nok > 0 && s.apdus > c.apdus)
			ok = false;
		else if (c.nok > 0 && s.apdus == c.apdus)
			tie = true;
	}
	snprintf(key, sizeof(key), "floor_apdus_%s", flow);
	if (ok && tie && s.apdus <= meta_d(d, p, key)) {
		printf(": **tie at the floor** (%.0f APDUs: nothing left to "
		    "cut)\n", meta_d(d, p, key));
		(*ties)++;
		return true;
	}
	printf(": **%s**%s\n", ok && !tie ? "met" : "MISSED",
	    s.failed != NULL ? " (the flow failed)" : "");
	return ok && !tie;
}

static bool
bar_time(const struct rdata *d, const char *p, const char *flow,
    const char *subj)
{
	const char	*base = meta(d, p, "baseline");
	struct cell	 s, b;
	bool		 ok;

	if (base == NULL)
		return true;
	cell_get(d, p, flow, subj, &s);
	cell_get(d, p, flow, base, &b);
	ok = s.nok > 0 && b.nok > 0 && s.failed == NULL &&
	    s.ms_med <= 0.5 * b.ms_med;
	printf("- %s, %s: %s %.1f ms vs %s %.1f ms = %.2fx (bar 0.50x): "
	    "**%s**\n", p, flow, subj, s.ms_med, base, b.ms_med,
	    b.ms_med > 0 ? s.ms_med / b.ms_med : 0, ok ? "met" : "MISSED");
	return ok;
}

static bool
bar_profile(const struct rdata *d, const char *p, unsigned *ties)
{
	const char	*mods[BENCH_MODS_MAX], *subj = meta(d, p, "subject");
	const char	*bt = meta(d, p, "bar_time");
	size_t		 nm;
	bool		 ok = true;
	int		 fl;

	if (subj == NULL)
		return true;
	nm = modules(d, p, mods, BENCH_MODS_MAX);
	for (fl = 0; fl < FLOW_COUNT; fl++)
		if (flow_present(d, p, bench_flow_name(fl)) &&
		    !bar_apdus(d, p, bench_flow_name(fl), subj, mods, nm,
		    ties))
			ok = false;
	if (bt != NULL && atoi(bt) == 1) {
		if (flow_present(d, p, "cold") && !bar_time(d, p, "cold", subj))
			ok = false;
		if (flow_present(d, p, "browser") &&
		    !bar_time(d, p, "browser", subj))
			ok = false;
	}
	return ok;
}

/* --- APDUs by instruction ------------------------------------------- */

struct ins_name {
	unsigned	 ins;
	const char	*name;
};

static const struct ins_name ins_names[] = {
	{ 0xa4, "SELECT" }, { 0xcb, "GET DATA" }, { 0xca, "GET DATA(CA)" },
	{ 0xc0, "GET RESPONSE" }, { 0x20, "VERIFY" },
	{ 0x87, "GENERAL AUTH" }, { 0xfd, "YK VERSION" },
	{ 0xf8, "YK SERIAL" }, { 0xf7, "YK METADATA" }, { 0xf9, "YK ATTEST" },
	{ 0xb0, "READ BINARY" }, { 0x84, "GET CHALLENGE" },
};

static void
print_ins(const char *ins)
{
	unsigned long	n;
	unsigned	code;
	size_t		k;
	int		used;

	while (sscanf(ins, "%x:%lu%n", &code, &n, &used) == 2) {
		for (k = 0; k < sizeof(ins_names) / sizeof(ins_names[0]); k++)
			if (ins_names[k].ins == code)
				break;
		if (k < sizeof(ins_names) / sizeof(ins_names[0]))
			printf("%s %lu", ins_names[k].name, n);
		else
			printf("INS %02X %lu", code, n);
		ins += used;
		if (*ins != ',')
			break;
		ins++;
		printf(", ");
	}
}

static void
print_by_ins(const struct rdata *d, const char *p)
{
	const char	*mods[BENCH_MODS_MAX];
	struct cell	 c;
	size_t		 nm, m;
	int		 fl;

	nm = modules(d, p, mods, BENCH_MODS_MAX);
	printf("APDUs by instruction (%s, first successful run):\n\n", p);
	printf("| flow | module | APDUs by INS |\n|---|---|---|\n");
	for (fl = 0; fl < FLOW_COUNT; fl++) {
		for (m = 0; m < nm; m++) {
			cell_get(d, p, bench_flow_name(fl), mods[m], &c);
			if (c.first == NULL)
				continue;
			printf("| %s | %s | ", bench_flow_name(fl), mods[m]);
			print_ins(c.first->ins);
			printf(" |\n");
		}
	}
	printf("\n");
}

static int
report(const struct rdata *d, const char *const *files, size_t nf)
{
	const char	*ps[PROFILES_MAX];
	size_t		 np, i;
	unsigned	 ties = 0;
	bool		 ok = true;

	np = profiles(d, ps, PROFILES_MAX);
	print_header(d, files, nf);
	for (i = 0; i < np; i++)
		print_profile(d, ps[i]);
	printf("### The bar\n\n");
	for (i = 0; i < np; i++)
		if (!bar_profile(d, ps[i], &ties))
			ok = false;
	printf("\nVerdict: the bar is **%s**%s.\n\n", ok ? "met" : "missed",
	    ties > 0 ? " (ties at the physical floor counted as met)" : "");
	if (np > 0)
		print_by_ins(d, ps[0]);
	return 0;
}

/* Print the markdown report of the raw result files to stdout. */
int
bench_report(const char *const *files, size_t nf)
{
	struct rdata	d;
	size_t		i;
	int		rc = 1;

	memset(&d, 0, sizeof(d));
	d.runs = calloc(RUNS_ALL_MAX, sizeof(*d.runs));
	d.metas = calloc(METAS_MAX, sizeof(*d.metas));
	if (d.runs == NULL || d.metas == NULL)
		goto out;
	for (i = 0; i < nf; i++)
		if (read_tsv(&d, files[i]) < 0)
			goto out;
	rc = report(&d, files, nf);
out:
	free(d.runs);
	free(d.metas);
	fflush(stdout);
	return rc;
}
