/*
 * Fuzz target: the configuration loader (conf_load.c and the setters it
 * calls), in the mode that opens nothing the configuration names and
 * resolves no host (conf_load(path, false)).  The input becomes
 * portico.conf in the target's directory, beside sites/a.conf for it to
 * include.  Includes reach no further: glob() is wrapped (-Wl,--wrap=glob)
 * to match only files inside that directory, and inputs with libconfig's
 * own @include are skipped.  A configuration that loads is freed again, so
 * LeakSanitizer sees what a reload would leak.
 */
#include "config.h"

#include <glob.h>

#include "conf_load.h"
#include "fuzz.h"

static const char site[] =
    "servers = ( { listen = \"127.0.0.1:8081\"; server_name = \"a.test\";\n"
    "  locations = ( { match = \"/\"; return = \"204\"; } ); } );\n";

int	__real_glob(const char *, int, int (*)(const char *, int), glob_t *);
int	__wrap_glob(const char *, int, int (*)(const char *, int), glob_t *);

static bool
inside(const char *path)
{
	char real[PATH_MAX];
	size_t n = strlen(fuzz_dir);

	return realpath(path, real) != NULL && strncmp(real, fuzz_dir, n) == 0 &&
	    real[n] == '/';
}

int
__wrap_glob(const char *pattern, int flags, int (*errfn)(const char *, int),
    glob_t *g)
{
	size_t i, n = strlen(fuzz_dir);
	int rc;

	if (strncmp(pattern, fuzz_dir, n) != 0 || pattern[n] != '/')
		return GLOB_NOMATCH;
	if ((rc = __real_glob(pattern, flags, errfn, g)) != 0)
		return rc;
	for (i = 0; i < g->gl_pathc; i++)
		if (!inside(g->gl_pathv[i])) {
			globfree(g);
			return GLOB_NOMATCH;
		}
	return 0;
}

static char path[PATH_MAX + 16];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_setup("conf");
	snprintf(path, sizeof(path), "%s/portico.conf", fuzz_dir);
	fuzz_mkdir("sites");
	fuzz_put("sites/a.conf", site, sizeof(site) - 1);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cf;

	if (memmem(data, size, "@include", 8) != NULL)
		return 0;
	fuzz_put("portico.conf", data, size);
	if ((cf = conf_load(path, false)) != NULL)
		conf_free(cf);
	return 0;
}
