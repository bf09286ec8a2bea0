/*
 * The media type table: the shipped mime.types and a hand-written one
 * (comments, several extensions a line, ';' as nginx writes it), lookup by
 * the extension after the last dot, case-insensitive, and names without an
 * extension.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "mime.h"
#include "pool.h"
#include "tap.h"

static const char *
srcdir(void)
{
	const char *s = getenv("SRCDIR");

	return s != NULL && *s != '\0' ? s : ABS_SRCDIR;
}

static const char *
type(const struct mime_table *t, const char *name)
{
	const char *ty = mime_lookup(t, name, strlen(name));

	return ty ? ty : "(null)";
}

int
main(void)
{
	struct pool pool;
	struct mime_table *t;
	char path[PATH_MAX], err[512], tmp[PATH_MAX];
	FILE *f;
	int fd, i;
	bool all;

	pool_init(&pool, 4096);
	snprintf(path, sizeof(path), "%s/conf.d/mime.types", srcdir());
	t = mime_load(&pool, path, err, sizeof(err));
	ok(t != NULL, "the shipped mime.types loads");
	if (t != NULL) {
		is_str(type(t, "index.html"), "text/html", "index.html");
		is_str(type(t, "/var/www/a.htm"), "text/html", "a path ending in .htm");
		is_str(type(t, "INDEX.HTML"), "text/html", "extension in capitals");
		is_str(type(t, "photo.JpG"), "image/jpeg", "extension in mixed case");
		is_str(type(t, "photo.jpeg"), "image/jpeg", "second extension of a line");
		is_str(type(t, "a.txt"), "text/plain", "a.txt");
		is_str(type(t, "a.tar.svgz"), "image/svg+xml", "the last dot counts");
		is_str(type(t, "README"), "(null)", "no extension: NULL");
		is_str(type(t, "dir.html/README"), "(null)",
		    "a dot in a directory is not an extension");
		is_str(type(t, "file."), "(null)", "a trailing dot: NULL");
		is_str(type(t, "a.nosuchext"), "(null)", "unknown extension: NULL");
		is_str(type(t, "a.htmlx"), "(null)", "a longer extension: NULL");
		is_str(type(t, "a.htm"), "text/html", "a shorter extension of a line");
		is_str(type(t, ""), "(null)", "empty name: NULL");
		ok(mime_lookup(t, "a.htmlx", 6) != NULL &&
		    strcmp(mime_lookup(t, "a.htmlx", 6), "text/html") == 0,
		    "only len bytes are looked at");
	}

	/* a hand-written table */
	snprintf(tmp, sizeof(tmp), "%s/portico-mime.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	fd = mkstemp(tmp);
	ok(fd >= 0, "temporary types file");
	if (fd < 0)
		return done_testing();
	f = fdopen(fd, "w");
	fprintf(f, "# a comment line\n\n"
	    "text/x-a  aa AB\t# trailing comment words\n"
	    "type/b bb;\n"
	    "   \t\n"
	    "type/c cc\r\n"
	    "type/d\n"
	    "type/later aa\n");
	for (i = 0; i < 3000; i++)
		fprintf(f, "gen/t%d e%d\n", i, i);
	fclose(f);
	t = mime_load(&pool, tmp, err, sizeof(err));
	ok(t != NULL, "a hand-written table loads");
	if (t != NULL) {
		is_str(type(t, "f.ab"), "text/x-a", "extension listed in capitals");
		is_str(type(t, "f.bb"), "type/b", "';' after an extension is dropped");
		is_str(type(t, "f.cc"), "type/c", "CRLF line ends");
		is_str(type(t, "f.comment"), "(null)", "words after '#' are not extensions");
		is_str(type(t, "f.trailing"), "(null)", "comment words ignored");
		is_str(type(t, "f.aa"), "type/later", "a later line wins for one extension");
		all = true;
		for (i = 0; i < 3000; i++) {
			char name[32], want[32];
			snprintf(name, sizeof(name), "x.E%d", i);
			snprintf(want, sizeof(want), "gen/t%d", i);
			if (strcmp(type(t, name), want) != 0) {
				printf("#   %s: got %s\n", name, type(t, name));
				all = false;
				break;
			}
		}
		ok(all, "3000 generated extensions all found after the table grew");
	}
	unlink(tmp);

	t = mime_load(&pool, "/nonexistent/mime.types", err, sizeof(err));
	ok(t == NULL, "a missing file: NULL");
	ok(strstr(err, "/nonexistent/mime.types") != NULL,
	    "the error names the file");
	pool_destroy(&pool);
	return done_testing();
}
