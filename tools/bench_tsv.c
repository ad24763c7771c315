/*
 * tools/bench_tsv.c - the raw results, one tab-separated line each:
 *
 *   meta PROFILE KEY VALUE
 *   run  PROFILE FLOW MODULE RUN OK MS APDUS VERIFY KEYOPS SIGS VERIFIED
 *        CERTS PRIVKEYS INS NOTE
 *
 * bench_report.c reads them back (from one or several runners, e.g. the
 * real-card profile split over two rigs) and makes the markdown.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools/bench.h"

static void
meta_s(FILE *fp, const struct bench_opts *o, const char *k, const char *v)
{
	fprintf(fp, "meta\t%s\t%s\t%s\n", o->profile, k, v);
}

static void
meta_d(FILE *fp, const struct bench_opts *o, const char *k, double v)
{
	fprintf(fp, "meta\t%s\t%s\t%.4f\n", o->profile, k, v);
}

static void
meta_u(FILE *fp, const struct bench_opts *o, const char *k, unsigned v)
{
	fprintf(fp, "meta\t%s\t%s\t%u\n", o->profile, k, v);
}

/* The first line of /proc/cpuinfo's "model name", or "?". */
static void
cpu_model(char *buf, size_t cap)
{
	FILE	*fp;
	char	 line[512], *p;

	snprintf(buf, cap, "?");
	if ((fp = fopen("/proc/cpuinfo", "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "model name", 10) != 0 ||
		    (p = strchr(line, ':')) == NULL)
			continue;
		p += strspn(p + 1, " \t") + 1;
		p[strcspn(p, "\n")] = '\0';
		snprintf(buf, cap, "%s", p);
		break;
	}
	fclose(fp);
}

static void
first_line(const char *path, char *buf, size_t cap)
{
	FILE	*fp;

	snprintf(buf, cap, "?");
	if ((fp = fopen(path, "r")) == NULL)
		return;
	if (fgets(buf, (int)cap, fp) == NULL)
		snprintf(buf, cap, "?");
	buf[strcspn(buf, "\n")] = '\0';
	fclose(fp);
}

static void
tsv_machine(FILE *fp, const struct bench_opts *o)
{
	char		buf[512];
	time_t		now = time(NULL);
	struct tm	tm;

	gmtime_r(&now, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", &tm);
	meta_s(fp, o, "date", buf);
	meta_u(fp, o, "nproc", (unsigned)sysconf(_SC_NPROCESSORS_ONLN));
	cpu_model(buf, sizeof(buf));
	meta_s(fp, o, "cpu", buf);
	first_line("/etc/debian_version", buf, sizeof(buf));
	meta_s(fp, o, "debian", buf);
}

static void
tsv_floor(FILE *fp, const struct bench_opts *o, const struct bench_floor *f)
{
	char		key[64];
	unsigned	apdus;
	double		ms;
	int		fl;

	if (f->have_rtt) {
		meta_d(fp, o, "rtt_med", f->rtt_med);
		meta_d(fp, o, "rtt_min", f->rtt_min);
		meta_d(fp, o, "rtt_max", f->rtt_max);
		meta_u(fp, o, "rtt_n", f->rtt_n);
	}
	if (f->have_keyop) {
		meta_d(fp, o, "rsa_ms", f->rsa_ms);
		meta_d(fp, o, "ec_ms", f->ec_ms);
		meta_u(fp, o, "keyop_n", f->keyop_n);
	}
	meta_s(fp, o, "floor_apdu_form", f->extended ? "extended" : "short");
	for (fl = 0; fl < FLOW_COUNT; fl++) {
		if (!(o->flows & (1u << fl)))
			continue;
		bench_floor_flow(o, f, fl, &apdus, &ms);
		snprintf(key, sizeof(key), "floor_apdus_%s", bench_flow_name(fl));
		meta_u(fp, o, key, apdus);
		snprintf(key, sizeof(key), "floor_ms_%s", bench_flow_name(fl));
		if (f->have_rtt && f->have_keyop)
			meta_d(fp, o, key, ms);
	}
}

/* Everything the report needs to know about this runner. */
void
bench_tsv_meta(FILE *fp, const struct bench_opts *o,
    const struct bench_floor *f)
{
	char	key[64];
	size_t	i;

	tsv_machine(fp, o);
	meta_d(fp, o, "apdu_delay", o->apdu_delay_ms);
	meta_d(fp, o, "keyop_delay_rsa", o->keyop_delay_rsa_ms);
	meta_d(fp, o, "keyop_delay_ec", o->keyop_delay_ec_ms);
	meta_u(fp, o, "runs", o->runs);
	meta_u(fp, o, "sig_runs", o->sig_runs);
	meta_u(fp, o, "sigs", o->sigs);
	meta_u(fp, o, "threads", o->threads);
	meta_u(fp, o, "thread_sigs", o->thread_sigs);
	meta_u(fp, o, "procs", o->procs);
	meta_u(fp, o, "proc_sigs", o->proc_sigs);
	if (o->desc != NULL)
		meta_s(fp, o, "desc", o->desc);
	meta_u(fp, o, "bar_time", o->bar_time ? 1 : 0);
	meta_s(fp, o, "baseline", o->baseline);
	meta_s(fp, o, "subject", o->subject);
	for (i = 0; i < o->nmods; i++) {
		snprintf(key, sizeof(key), "module_%s", o->mods[i].name);
		meta_s(fp, o, key, o->mods[i].path);
	}
	tsv_floor(fp, o, f);
	fflush(fp);
}

static void
tsv_ins(FILE *fp, const struct bench_counters *d)
{
	bool	any = false;
	int	i;

	for (i = 0; i < 256; i++) {
		if (d->ins[i] == 0)
			continue;
		fprintf(fp, "%s%02X:%" PRIu64, any ? "," : "", (unsigned)i,
		    d->ins[i]);
		any = true;
	}
	if (!any)
		fputc('-', fp);
}

void
bench_tsv_row(FILE *fp, const struct bench_opts *o, int flow,
    const char *module, const struct bench_result *r, size_t run)
{
	fprintf(fp, "run\t%s\t%s\t%s\t%zu\t%d\t%.3f\t%" PRIu64 "\t%" PRIu64
	    "\t%" PRIu64 "\t%u\t%u\t%u\t%u\t", o->profile,
	    bench_flow_name(flow), module, run, r->ok ? 1 : 0, r->ms,
	    r->d.apdus, r->d.verify, r->d.keyops, r->sigs, r->verified,
	    r->certs, r->privkeys);
	tsv_ins(fp, &r->d);
	fprintf(fp, "\t%s\n", r->note[0] != '\0' ? r->note : "-");
	fflush(fp);
}
