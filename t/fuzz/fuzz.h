/*
 * What the libFuzzer targets share: libFuzzer's entry point, input copied
 * to a buffer of its exact size, and for targets that need files, a
 * directory of their own (removed at exit) with the logs silenced (an
 * error the input provokes is expected; printing it only slows the
 * fuzzer).  A target's checks are assert()s: a failed one aborts, which
 * libFuzzer reports as a crash, with the input.
 */
#ifndef PORTICO_FUZZ_H
#define PORTICO_FUZZ_H

#include <assert.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char fuzz_dir[PATH_MAX];

/* A copy of data in a buffer of exactly n bytes: ASan then catches a read
 * past the end of what the parser was given. */
static inline char *
fuzz_copy(const uint8_t *data, size_t n)
{
	char *p = malloc(n ? n : 1);

	assert(p != NULL);
	memcpy(p, data, n);
	return p;
}

static inline void
fuzz_rm_dir(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fuzz_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", fuzz_dir);
}

/* Make fuzz_dir (its real path) under $TMPDIR and silence the logs. */
static inline void
fuzz_setup(const char *name)
{
	const char *tmp = getenv("TMPDIR");
	char made[PATH_MAX];

	log_level = -1;
	snprintf(made, sizeof(made), "%s/portico-fuzz-%s.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp", name);
	if (mkdtemp(made) == NULL || realpath(made, fuzz_dir) == NULL) {
		perror(made);
		abort();
	}
	atexit(fuzz_rm_dir);
}

/* Make the directory fuzz_dir/rel. */
static inline void
fuzz_mkdir(const char *rel)
{
	char path[PATH_MAX + 256];

	snprintf(path, sizeof(path), "%s/%s", fuzz_dir, rel);
	if (mkdir(path, 0755) != 0) {
		perror(path);
		abort();
	}
}

/* Write fuzz_dir/rel. */
static inline void
fuzz_put(const char *rel, const void *data, size_t n)
{
	char path[PATH_MAX + 256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fuzz_dir, rel);
	f = fopen(path, "w");
	if (f == NULL || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		abort();
	}
}

#endif
