/*
 * tests/fuzz/main.c - a plain main() for the fuzz targets, so they build
 * with gcc and the sanitizers like the unit tests and replay inputs
 * without libFuzzer:
 *
 *   build/asan/fuzz-atr FILE|DIR ...    each file, each file of each DIR
 *   build/asan/fuzz-atr < FILE          standard input, when no argument
 *
 * Every input goes to LLVMFuzzerTestOneInput() once, in one process (as
 * libFuzzer does).  A crash is the sanitizers'; the exit status is 0 when
 * every input ran, 1 when one could not be read.  The last line on
 * standard output says how many inputs were replayed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define INPUT_MAX	(4u * 1024 * 1024)

/* Read all of f (at most INPUT_MAX bytes) into a buffer of exactly its
 * size, so ASan sees a read past the input's end; 0 or -1. */
static int
read_all(FILE *f, uint8_t **out, size_t *len)
{
	uint8_t	*tmp, *p = NULL;
	size_t	 n;

	if ((tmp = malloc(INPUT_MAX)) == NULL)
		return -1;
	n = fread(tmp, 1, INPUT_MAX, f);
	/* never NULL, even for an empty input (libFuzzer does the same) */
	if (!ferror(f) && (p = malloc(n > 0 ? n : 1)) != NULL && n > 0)
		memcpy(p, tmp, n);
	free(tmp);
	if (p == NULL)
		return -1;
	*out = p;
	*len = n;
	return 0;
}

static int
run_stream(FILE *f, const char *name, size_t *count)
{
	uint8_t	*p = NULL;
	size_t	 len = 0;

	if (read_all(f, &p, &len) < 0) {
		fprintf(stderr, "%s: cannot read\n", name);
		return -1;
	}
	(void)LLVMFuzzerTestOneInput(p, len);
	free(p);
	(*count)++;
	return 0;
}

static int
run_file(const char *path, size_t *count)
{
	FILE	*f;
	int	 rc;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	rc = run_stream(f, path, count);
	fclose(f);
	return rc;
}

static int
run_dir(const char *path, size_t *count)
{
	struct dirent	*e;
	struct stat	 st;
	DIR		*d;
	char		 file[4096];
	int		 rc = 0;

	if ((d = opendir(path)) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (snprintf(file, sizeof(file), "%s/%s", path, e->d_name) >=
		    (int)sizeof(file) || stat(file, &st) < 0) {
			rc = -1;
			continue;
		}
		if (S_ISREG(st.st_mode) && run_file(file, count) < 0)
			rc = -1;
	}
	closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	struct stat	st;
	size_t		count = 0;
	int		i, rc = 0;

	if (argc < 2)
		rc = run_stream(stdin, "stdin", &count);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			rc = -1;
		} else if (S_ISDIR(st.st_mode)) {
			if (run_dir(argv[i], &count) < 0)
				rc = -1;
		} else if (run_file(argv[i], &count) < 0)
			rc = -1;
	}
	printf("%zu inputs replayed\n", count);
	return rc < 0 ? 1 : 0;
}
