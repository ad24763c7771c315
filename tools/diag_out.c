/*
 * tools/diag_out.c - one emitter for human text and JSON.
 *
 * Human: "label: value" lines indented by section; JSON: one document,
 * two-space indentation, members in the order emitted.  Strings are
 * escaped in both forms: control bytes and invalid UTF-8 never reach the
 * terminal or the JSON (a certificate subject or a reader name is
 * untrusted input).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tools/diag.h"

#define LABEL_WIDTH	22

/* Length of the valid UTF-8 sequence at p (2..4 bytes), 0 if none. */
static size_t
utf8_seq(const unsigned char *p, size_t left)
{
	size_t		n, i;
	unsigned	c = p[0], cp;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > left)
		return 0;
	cp = c & (0x7fu >> n);
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0u) != 0x80u)
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 ||
	    cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void
out_safe(FILE *f, const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n;

	while (i < len) {
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			fputc(p[i++], f);
		} else if ((n = utf8_seq(p + i, len - i)) > 0) {
			fwrite(p + i, 1, n, f);
			i += n;
		} else {
			fprintf(f, "\\x%02X", p[i++]);
		}
	}
}

void
out_json_str(FILE *f, const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n;

	fputc('"', f);
	while (i < len) {
		if (p[i] == '"' || p[i] == '\\') {
			fprintf(f, "\\%c", p[i++]);
		} else if (p[i] == '\n') {
			fputs("\\n", f);
			i++;
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			fprintf(f, "\\u%04x", p[i++]);
		} else if (p[i] < 0x80) {
			fputc(p[i++], f);
		} else if ((n = utf8_seq(p + i, len - i)) > 0) {
			fwrite(p + i, 1, n, f);
			i += n;
		} else {
			fputs("\\ufffd", f);
			i++;
		}
	}
	fputc('"', f);
}

static void
indent(FILE *f, int n)
{
	while (n-- > 0)
		fputs("  ", f);
}

/* JSON: the comma, newline, indentation and key of the next member. */
static void
json_member(struct diag_out *o, const char *key)
{
	if (!o->first[o->depth])
		fputc(',', o->f);
	o->first[o->depth] = false;
	fputc('\n', o->f);
	indent(o->f, o->depth + 1);
	if (!o->array[o->depth] && key != NULL) {
		out_json_str(o->f, key, strlen(key));
		fputs(": ", o->f);
	}
}

/* Human: the indentation and "label:" of a member (or "- " in arrays). */
static void
human_label(struct diag_out *o, const char *key)
{
	char	label[64];
	size_t	i;

	indent(o->f, o->indent[o->depth]);
	if (o->array[o->depth] || key == NULL) {
		fputs("- ", o->f);
		return;
	}
	for (i = 0; key[i] != '\0' && i < sizeof(label) - 2; i++)
		label[i] = key[i] == '_' ? ' ' : key[i];
	label[i++] = ':';
	label[i] = '\0';
	fprintf(o->f, "%-*s ", LABEL_WIDTH, label);
}

void
out_init(struct diag_out *o, FILE *f, bool json)
{
	memset(o, 0, sizeof(*o));
	o->f = f;
	o->json = json;
	o->depth = 0;
	o->first[0] = true;
	if (json)
		fputc('{', f);
}

static void
out_open(struct diag_out *o, const char *key, const char *title,
    bool array)
{
	if (o->depth + 1 >= DIAG_OUT_DEPTH)
		abort();	/* a programming error, not input */
	if (o->json) {
		json_member(o, key);
		fputc(array ? '[' : '{', o->f);
	} else if (title != NULL) {
		indent(o->f, o->indent[o->depth]);
		if (o->array[o->depth])
			fputs("- ", o->f);
		out_safe(o->f, title, strlen(title));
		fputs(":\n", o->f);
	}
	o->depth++;
	o->first[o->depth] = true;
	o->array[o->depth] = array;
	o->indent[o->depth] = o->indent[o->depth - 1] +
	    (title != NULL ? 1 : 0);
}

void
out_obj(struct diag_out *o, const char *key, const char *title)
{
	out_open(o, key, title, false);
}

void
out_arr(struct diag_out *o, const char *key, const char *title)
{
	out_open(o, key, title, true);
}

void
out_end(struct diag_out *o)
{
	if (o->depth == 0)
		return;
	if (o->json) {
		if (!o->first[o->depth]) {
			fputc('\n', o->f);
			indent(o->f, o->depth);
		}
		fputc(o->array[o->depth] ? ']' : '}', o->f);
	}
	o->depth--;
}

void
out_str(struct diag_out *o, const char *key, const char *val)
{
	if (o->json) {
		json_member(o, key);
		if (val == NULL)
			fputs("null", o->f);
		else
			out_json_str(o->f, val, strlen(val));
		return;
	}
	human_label(o, key);
	if (val == NULL)
		fputs("-", o->f);
	else
		out_safe(o->f, val, strlen(val));
	fputc('\n', o->f);
}

void
out_strf(struct diag_out *o, const char *key, const char *fmt, ...)
{
	char	buf[1024];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	out_str(o, key, buf);
}

void
out_int(struct diag_out *o, const char *key, long long v)
{
	if (o->json) {
		json_member(o, key);
		fprintf(o->f, "%lld", v);
		return;
	}
	human_label(o, key);
	fprintf(o->f, "%lld\n", v);
}

void
out_bool(struct diag_out *o, const char *key, bool v)
{
	if (o->json) {
		json_member(o, key);
		fputs(v ? "true" : "false", o->f);
		return;
	}
	human_label(o, key);
	fputs(v ? "yes\n" : "no\n", o->f);
}

void
out_hex(struct diag_out *o, const char *key, const uint8_t *p, size_t n)
{
	size_t	i;

	if (o->json) {
		json_member(o, key);
		fputc('"', o->f);
		for (i = 0; i < n; i++)
			fprintf(o->f, "%02X", p[i]);
		fputc('"', o->f);
		return;
	}
	human_label(o, key);
	for (i = 0; i < n; i++)
		fprintf(o->f, "%s%02X", i ? " " : "", p[i]);
	fputc('\n', o->f);
}

void
out_warn(struct diag_out *o, const char *fmt, ...)
{
	char	buf[1024];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!o->json) {
		indent(o->f, o->indent[o->depth]);
		fputs("WARNING: ", o->f);
		out_safe(o->f, buf, strlen(buf));
		fputc('\n', o->f);
	}
	if (o->nwarn < DIAG_WARN_MAX && (o->warn[o->nwarn] =
	    strdup(buf)) != NULL)
		o->nwarn++;
}

void
out_line(struct diag_out *o, const char *fmt, ...)
{
	char	buf[2048];
	va_list	ap;

	if (o->json)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	indent(o->f, o->indent[o->depth]);
	out_safe(o->f, buf, strlen(buf));
	fputc('\n', o->f);
}

void
out_finish(struct diag_out *o)
{
	size_t	i;

	while (o->depth > 0)
		out_end(o);
	if (o->json) {
		out_arr(o, "warnings", NULL);
		for (i = 0; i < o->nwarn; i++)
			out_str(o, NULL, o->warn[i]);
		out_end(o);
		fputs("\n}\n", o->f);
	} else if (o->nwarn > 0) {
		fprintf(o->f, "\n%zu warning%s:\n", o->nwarn,
		    o->nwarn == 1 ? "" : "s");
		for (i = 0; i < o->nwarn; i++) {
			fputs("  - ", o->f);
			out_safe(o->f, o->warn[i], strlen(o->warn[i]));
			fputc('\n', o->f);
		}
	}
	for (i = 0; i < o->nwarn; i++)
		free(o->warn[i]);
	o->nwarn = 0;
	fflush(o->f);
}
