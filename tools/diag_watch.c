/*
 * tools/diag_watch.c - `smartsign-diag watch`: reader arrivals and
 * removals, card insertions, removals and swaps, with timestamps, until
 * SIGINT (or --count events, or --timeout seconds).  Built on
 * ss_readers_wait(), which follows pcscd's PnP notifications.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "reader/pcsc.h"
#include "tools/diag.h"

#define WAIT_SLICE_MS	250u
#define COUNT_MAX	1000000ul
#define TIMEOUT_MAX	(7ul * 24 * 3600)

static const char usage_text[] =
"usage: smartsign-diag watch [--json] [--count N] [--timeout S]\n"
"\n"
"Prints the readers and cards present, then every change as it happens,\n"
"one line each with a timestamp:\n"
"  reader-added, reader-removed, card-inserted, card-removed,\n"
"  card-swapped (another card, seen in one step), card-mute\n"
"until interrupted (Ctrl-C), or after N changes (--count), or after S\n"
"seconds (--timeout).  The first lines (event \"present\") show the state\n"
"at the start and are not counted.  --json prints one JSON object per\n"
"line: {\"time\", \"event\", \"reader\", \"atr\"}.\n"
"\n"
"Exit status: 0 stopped (Ctrl-C, count reached, or timeout without\n"
"--count), 1 --timeout ran out before --count events, 3 pcscd\n"
"unreachable at the start, 6 the wait failed.\n";

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

struct watch {
	struct diag_opts	 opt;
	unsigned long		 count, timeout;
	bool			 has_count, has_timeout;
	unsigned long		 seen;
	struct ss_readers	*rl;
	size_t			 n;
	struct ss_reader_info	 snap[SS_READERS_MAX];
};

static void
print_event(struct watch *w, const char *ev, const struct ss_reader_info *r,
    bool counted)
{
	char	ts[48];
	size_t	i;

	diag_timestamp(ts, sizeof(ts));
	if (w->opt.json) {
		printf("{\"time\": \"%s\", \"event\": \"%s\", \"reader\": ", ts,
		    ev);
		out_json_str(stdout, r->name, strlen(r->name));
		fputs(", \"atr\": ", stdout);
		if (r->card && r->atr_len > 0) {
			fputc('"', stdout);
			for (i = 0; i < r->atr_len; i++)
				printf("%02X", r->atr[i]);
			fputc('"', stdout);
		} else {
			fputs("null", stdout);
		}
		fputs("}\n", stdout);
	} else {
		printf("%s  %-15s ", ts, ev);
		out_safe(stdout, r->name, strlen(r->name));
		for (i = 0; r->card && i < r->atr_len; i++)
			printf("%s%02X", i ? " " : "  ATR ", r->atr[i]);
		fputc('\n', stdout);
	}
	fflush(stdout);
	if (counted)
		w->seen++;
}

static void
take_snapshot(struct watch *w, struct ss_reader_info *out, size_t *n)
{
	size_t	i;

	*n = ss_readers_count(w->rl);
	if (*n > SS_READERS_MAX)
		*n = SS_READERS_MAX;
	for (i = 0; i < *n; i++)
		if (ss_readers_get(w->rl, (unsigned)i, &out[i]) != SS_ERR_OK)
			memset(&out[i], 0, sizeof(out[i]));
}

static void
diff_one(struct watch *w, const struct ss_reader_info *a,
    const struct ss_reader_info *b)
{
	bool	was = a != NULL && a->present, is = b->present;

	if (!was && is)
		print_event(w, "reader-added", b, true);
	if (was && a->card && (!is || !b->card))
		print_event(w, "card-removed", a, true);
	if (was && !is)
		print_event(w, "reader-removed", b, true);
	if (!is)
		return;
	if (b->card && (!was || !a->card))
		print_event(w, b->mute ? "card-mute" : "card-inserted", b,
		    true);
	else if (was && a->card && b->card && a->card_seq != b->card_seq)
		print_event(w, "card-swapped", b, true);
}

static void
diff(struct watch *w)
{
	struct ss_reader_info	*now;
	size_t			 n, i;

	if ((now = calloc(SS_READERS_MAX, sizeof(*now))) == NULL)
		return;
	take_snapshot(w, now, &n);
	for (i = 0; i < n; i++)
		diff_one(w, i < w->n ? &w->snap[i] : NULL, &now[i]);
	memcpy(w->snap, now, n * sizeof(*now));
	w->n = n;
	free(now);
}

static bool
done(const struct watch *w, double start)
{
	if (stop_flag)
		return true;
	if (w->has_count && w->seen >= w->count)
		return true;
	return w->has_timeout && diag_now_ms() - start >=
	    (double)w->timeout * 1000.0;
}

static int
watch_loop(struct watch *w)
{
	double		start = diag_now_ms();
	uint64_t	seq = ss_readers_seq(w->rl);
	size_t		i;
	int		rc;

	take_snapshot(w, w->snap, &w->n);
	for (i = 0; i < w->n; i++)
		if (w->snap[i].present)
			print_event(w, "present", &w->snap[i], false);
	while (!done(w, start)) {
		rc = ss_readers_wait(w->rl, WAIT_SLICE_MS, &seq);
		if (rc == SS_ERR_OK)
			diff(w);
		else if (rc != SS_ERR_TIMEOUT && rc != SS_ERR_CANCELLED) {
			fprintf(stderr, "smartsign-diag watch: %s\n",
			    ss_strerror(rc));
			return DIAG_EXIT_CARD;
		}
	}
	if (w->has_count && w->seen < w->count && !stop_flag)
		return DIAG_EXIT_PROBLEM;
	return DIAG_EXIT_OK;
}

static int
watch_opt(void *arg, int id, const char *val)
{
	struct watch	*w = arg;
	int		 rc;

	if (id == 1) {
		w->has_count = true;
		rc = diag_parse_uint(val, COUNT_MAX, &w->count);
	} else {
		w->has_timeout = true;
		rc = diag_parse_uint(val, TIMEOUT_MAX, &w->timeout);
	}
	if (rc < 0)
		fprintf(stderr, "smartsign-diag watch: %s needs a whole "
		    "number, not '%s'\n", id == 1 ? "--count" : "--timeout",
		    val);
	return rc;
}

static void
install_signals(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
}

int
diag_cmd_watch(int argc, char **argv)
{
	static const struct diag_optdef defs[] = {
		{ "--count", true, 1 }, { "--timeout", true, 2 },
		{ NULL, false, 0 }
	};
	struct watch		*w;
	struct ss_transport	 t;
	int			 n, rc;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return DIAG_EXIT_INTERNAL;
	rc = diag_parse(argc, argv, usage_text, defs, &w->opt, watch_opt, w,
	    &n);
	if (rc != 0 || n > 0) {
		if (n > 0)
			fprintf(stderr, "smartsign-diag watch: no operands\n");
		free(w);
		return rc > 0 ? DIAG_EXIT_OK : DIAG_EXIT_USAGE;
	}
	ss_pcsc_transport(&t);
	if ((rc = ss_readers_new(&w->rl, &t)) == SS_ERR_OK)
		rc = ss_readers_refresh(w->rl);
	if (rc != SS_ERR_OK) {
		fprintf(stderr, "smartsign-diag: pcscd: %s\n", ss_strerror(rc));
		rc = diag_exit_for(rc);
	} else {
		install_signals();
		rc = watch_loop(w);
	}
	ss_readers_free(&w->rl);
	free(w);
	return rc;
}
