/*
 * portico-convert [-p prefix] file: the command line.  The converted
 * configuration is built whole before anything is printed, so input that
 * cannot be read or parsed prints nothing on stdout (exit 2) rather than
 * the first half of a configuration; directives left as comments exit 1.
 */
#include "config.h"

#include <err.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "convert.h"
#include "pool.h"

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: portico-convert [-p prefix] nginx.conf\n"
	    "  -p prefix  directory of relative include paths "
	    "(default: that of nginx.conf)\n");
	exit(status);
}

int
main(int argc, char **argv)
{
	struct pool pool;
	struct ngx_dir *top;
	struct block *main_block;
	struct buf out = { 0 };
	const char *prefix = NULL;
	char err[4096];
	int c, untranslated, status;

	while ((c = getopt(argc, argv, "hp:")) != -1) {
		switch (c) {
		case 'p':
			prefix = optarg;
			break;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind != argc - 1)
		usage(2);
	pool_init(&pool, 64 * 1024);
	if (prefix == NULL)
		prefix = dirname(pool_strdup(&pool, argv[optind]));
	status = 2;
	if (ngx_parse(&pool, argv[optind], prefix, &top, err, sizeof(err)) != 0)
		warnx("%s", err);
	else if ((main_block = convert(&pool, top, &untranslated)) != NULL) {
		emit(&out, main_block, argv[optind]);
		if (fwrite(out.p, 1, out.len, stdout) != out.len || fflush(stdout) != 0)
			warn("writing the configuration");
		else
			status = untranslated ? 1 : 0;
		if (untranslated)
			warnx("%d directive%s not translated: see the comments "
			    "\"not translated\"", untranslated, untranslated > 1 ? "s" : "");
	}
	buf_free(&out);
	pool_destroy(&pool);
	return status;
}
