/*
 * tools/diag_tracelog.c - follow the PKCS#11 module's debug log
 * (SMARTSIGN_DEBUG=file, pkcs11/log.c) during the self-test and print the
 * APDUs of each step.
 *
 * The module already leaves out the data of VERIFY and other PIN
 * commands.  As a second line of defence every line printed here is
 * searched for the PIN, in ASCII and in hex, and any match is replaced
 * by asterisks: the PIN never reaches the output, whatever the module
 * logged.  The log lives in a private directory (mode 0700, in $TMPDIR
 * or /tmp) that is removed afterwards.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader/hex.h"
#include "reader/wipe.h"
#include "tools/diag_p11.h"

#define DRAIN_MAX	(4u << 20)
#define LINE_MAX_LEN	8192
#define LOG_PREFIX	"smartsign["

int
tracelog_start(struct tracelog *t)
{
	const char	*tmp = getenv("TMPDIR");

	memset(t, 0, sizeof(*t));
	if (tmp == NULL || *tmp != '/' || strlen(tmp) > sizeof(t->dir) - 24)
		tmp = "/tmp";
	(void)snprintf(t->dir, sizeof(t->dir), "%s/smartsign-trace.XXXXXX",
	    tmp);
	if (mkdtemp(t->dir) == NULL) {
		t->dir[0] = '\0';
		return -1;
	}
	(void)snprintf(t->path, sizeof(t->path), "%s/apdu.log", t->dir);
	return setenv("SMARTSIGN_DEBUG", t->path, 1);
}

void
tracelog_set_pin(struct tracelog *t, const char *pin, size_t len)
{
	if (len > PIN_MAX)
		len = PIN_MAX;
	memcpy(t->pin, pin, len);
	t->pin[len] = '\0';
	ss_hex_encode((const uint8_t *)pin, len, t->pinhex);
}

/* Replace every case-insensitive occurrence of needle in s by '*'. */
static void
redact(char *s, const char *needle)
{
	size_t	n = strlen(needle), i, j;

	if (n < 2)
		return;
	for (i = 0; s[i] != '\0'; i++) {
		for (j = 0; j < n && s[i + j] != '\0'; j++)
			if (toupper((unsigned char)s[i + j]) !=
			    toupper((unsigned char)needle[j]))
				break;
		if (j == n)
			memset(s + i, '*', n);
	}
}

/* One log line: the "smartsign[pid]: " prefix dropped, PIN redacted. */
static void
emit_line(struct tracelog *t, struct diag_out *o, const char *l,
    size_t len)
{
	char		buf[LINE_MAX_LEN];
	const char	*p;

	if (!diag_line_str(l, len, buf, sizeof(buf)) || buf[0] == '\0')
		return;
	redact(buf, t->pinhex);
	redact(buf, t->pin);
	p = buf;
	if (strncmp(p, LOG_PREFIX, strlen(LOG_PREFIX)) == 0 &&
	    (p = strstr(p, "]: ")) != NULL)
		p += 3;
	else
		p = buf;
	if (o->json) {
		while (*p == ' ')
			p++;
		out_str(o, NULL, p);
	}
	else
		out_line(o, "  | %s", p);
}

void
tracelog_drain(struct tracelog *t, struct diag_out *o)
{
	uint8_t		*buf;
	struct ss_rd	 r;
	const char	*line;
	size_t		 len;
	ssize_t		 n;
	int		 fd;

	if (t->path[0] == '\0' || (buf = malloc(DRAIN_MAX)) == NULL)
		return;
	n = -1;
	if ((fd = open(t->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) >= 0) {
		if (lseek(fd, t->off, SEEK_SET) == t->off)
			n = read(fd, buf, DRAIN_MAX);
		(void)close(fd);
	}
	out_arr(o, "apdus", NULL);
	if (n > 0) {
		t->off += n;
		ss_rd_init(&r, buf, (size_t)n);
		while (diag_next_line(&r, &line, &len))
			emit_line(t, o, line, len);
	}
	out_end(o);
	ss_wipe(buf, DRAIN_MAX);
	free(buf);
}

void
tracelog_stop(struct tracelog *t)
{
	if (t->path[0] != '\0')
		(void)unlink(t->path);
	if (t->dir[0] != '\0')
		(void)rmdir(t->dir);
	(void)unsetenv("SMARTSIGN_DEBUG");
	ss_wipe(t->pin, sizeof(t->pin));
	ss_wipe(t->pinhex, sizeof(t->pinhex));
}
