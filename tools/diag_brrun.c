/*
 * tools/diag_brrun.c - run NSS's tools (modutil, certutil) for
 * `smartsign-diag browsers`: fork + execvp with an argument vector, no
 * shell; stdin from /dev/null (so they can never prompt), stdout and
 * stderr collected for the message when they fail.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools/diag_browsers.h"

static void
free_argv(char **v)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* A writable copy for execvp (whose prototype wants char *const[]). */
static char **
copy_argv(const char *const *args)
{
	char	**v;
	size_t	  n, i;

	for (n = 0; args[n] != NULL; n++)
		;
	if ((v = calloc(n + 1, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if ((v[i] = strdup(args[i])) == NULL)
			goto fail;
	return v;
fail:
	free_argv(v);
	return NULL;
}

static void
child(char **v, int wfd)
{
	int	null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (null < 0 || dup2(null, 0) < 0 || dup2(wfd, 1) < 0 ||
	    dup2(wfd, 2) < 0)
		_exit(126);
	execvp(v[0], v);
	_exit(errno == ENOENT ? 127 : 126);
}

/* Everything the child writes; what does not fit is read and dropped. */
static void
collect(int fd, char *out, size_t cap)
{
	char	drop[512];
	size_t	len = 0;
	ssize_t	k;

	for (;;) {
		if (len + 1 < cap)
			k = read(fd, out + len, cap - 1 - len);
		else
			k = read(fd, drop, sizeof(drop));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		if (len + 1 < cap)
			len += (size_t)k;
	}
	if (cap > 0)
		out[len] = '\0';
}

int
br_run(const char *const *args, char *out, size_t cap)
{
	char	**v;
	int	  p[2], st, rc = -1;
	pid_t	  pid;

	if (cap > 0)
		out[0] = '\0';
	if ((v = copy_argv(args)) == NULL)
		return -1;
	if (pipe(p) < 0)
		goto fail;
	(void)fcntl(p[0], F_SETFD, FD_CLOEXEC);
	(void)fcntl(p[1], F_SETFD, FD_CLOEXEC);
	if ((pid = fork()) < 0) {
		(void)close(p[0]);
		(void)close(p[1]);
		goto fail;
	}
	if (pid == 0)
		child(v, p[1]);
	(void)close(p[1]);
	collect(p[0], out, cap);
	(void)close(p[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			goto fail;
	rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
fail:
	free_argv(v);
	return rc;
}
