/*
 * tools/bench_stats.c - the clock, the emulator's counters file, medians.
 *
 * The counters file ("name value" per line) is rewritten by the emulator
 * with a rename after every APDU, before the response is sent: a read
 * after a PKCS#11 call returns includes every APDU of that call.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/bench.h"

double
bench_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
counters_line(struct bench_counters *c, const char *name,
    unsigned long long v)
{
	unsigned	ins;
	char		*end;

	if (strcmp(name, "apdus") == 0)
		c->apdus = v;
	else if (strcmp(name, "verify") == 0)
		c->verify = v;
	else if (strcmp(name, "keyops") == 0)
		c->keyops = v;
	else if (strncmp(name, "ins_", 4) == 0) {
		ins = (unsigned)strtoul(name + 4, &end, 16);
		if (*end == '\0' && end != name + 4 && ins < 256)
			c->ins[ins] = v;
	}
}

/* Read the counters file; a missing file reads as all zero (-1). */
int
bench_counters_read(const char *path, struct bench_counters *c)
{
	FILE			*fp;
	char			 name[64];
	unsigned long long	 v;

	memset(c, 0, sizeof(*c));
	if (path == NULL || (fp = fopen(path, "r")) == NULL)
		return -1;
	while (fscanf(fp, "%63s %llu", name, &v) == 2)
		counters_line(c, name, v);
	fclose(fp);
	return 0;
}

static uint64_t
diff_u64(uint64_t after, uint64_t before)
{
	return after >= before ? after - before : 0;
}

void
bench_counters_diff(const struct bench_counters *before,
    const struct bench_counters *after, struct bench_counters *d)
{
	size_t	i;

	d->apdus = diff_u64(after->apdus, before->apdus);
	d->verify = diff_u64(after->verify, before->verify);
	d->keyops = diff_u64(after->keyops, before->keyops);
	for (i = 0; i < 256; i++)
		d->ins[i] = diff_u64(after->ins[i], before->ins[i]);
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median (sorts v); 0 for an empty set. */
double
bench_median(double *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	if (n % 2 == 1)
		return v[n / 2];
	return (v[n / 2 - 1] + v[n / 2]) / 2;
}

void
bench_minmax(const double *v, size_t n, double *min, double *max)
{
	size_t	i;

	*min = *max = n > 0 ? v[0] : 0;
	for (i = 1; i < n; i++) {
		if (v[i] < *min)
			*min = v[i];
		if (v[i] > *max)
			*max = v[i];
	}
}

/*
 * The bytes of signature number i of worker w: distinct for every
 * signature (a module cannot answer from a cache), made without OpenSSL
 * so that nothing of libcrypto is set up before the module loads.
 */
void
bench_fill_data(uint8_t *p, size_t n, unsigned w, unsigned i)
{
	uint32_t	x = 2166136261u ^ (w * 7919u) ^ (i * 104729u);
	struct timespec	ts;
	size_t		k;

	clock_gettime(CLOCK_REALTIME, &ts);
	x ^= (uint32_t)ts.tv_nsec;
	for (k = 0; k < n; k++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[k] = (uint8_t)x;
	}
}

void
bench_notef(struct bench_result *r, const char *fmt, ...)
{
	va_list	ap;
	size_t	used = strlen(r->note);

	if (used >= sizeof(r->note) - 3)
		return;
	if (used > 0) {
		memcpy(r->note + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(r->note + used, sizeof(r->note) - used, fmt, ap);
	va_end(ap);
	for (; r->note[used] != '\0'; used++)	/* one line, no tabs */
		if (r->note[used] == '\n' || r->note[used] == '\t')
			r->note[used] = ' ';
}
