/*
 * What unit tests that touch files share: where the source tree is, and
 * removing a test's temporary directory.
 */
#ifndef PORTICO_FIXTURE_H
#define PORTICO_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

/* $SRCDIR under make check; the configured source tree when run by hand. */
static inline const char *
srcdir(void)
{
	const char *s = getenv("SRCDIR");

	return s != NULL && *s != '\0' ? s : ABS_SRCDIR;
}

static inline void
rm_rf(const char *path)
{
	char *cmd;

	if (asprintf(&cmd, "rm -rf '%s'", path) < 0)
		return;
	if (system(cmd) != 0)
		printf("# could not remove %s\n", path);
	free(cmd);
}

#endif
