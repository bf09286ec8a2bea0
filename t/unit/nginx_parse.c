/*
 * portico-convert's reader of nginx's syntax: words, quotes and escapes as
 * nginx resolves them, comments, blocks and line numbers, includes
 * (relative to the prefix, globs in order, a missing file, a cycle), and
 * input nginx refuses, each with its file and line.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "convert.h"
#include "fixture.h"
#include "pool.h"
#include "tap.h"

static char dir[PATH_MAX];
static struct pool pool;
static char err[1024];

static void
put(const char *name, const char *text)
{
	char path[PATH_MAX * 2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (strchr(name, '/') != NULL) {
		char sub[PATH_MAX * 2];
		snprintf(sub, sizeof(sub), "%s/%.*s", dir,
		    (int)(strrchr(name, '/') - name), name);
		mkdir(sub, 0755);
	}
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

/* main.conf holding text, parsed with the test directory as prefix. */
static struct ngx_dir *
parse(const char *text, int *rc)
{
	char path[PATH_MAX * 2];
	struct ngx_dir *d = NULL;

	put("main.conf", text);
	snprintf(path, sizeof(path), "%s/main.conf", dir);
	err[0] = '\0';
	*rc = ngx_parse(&pool, path, dir, &d, err, sizeof(err));
	return d;
}

/* The arguments of a directive joined by "|", for comparing. */
static const char *
args(const struct ngx_dir *d)
{
	static char out[1024];
	size_t i;

	out[0] = '\0';
	for (i = 0; d != NULL && i < d->nargs; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s",
		    i ? "|" : "", d->args[i]);
	return d != NULL ? out : "(none)";
}

/* The error with the test directory cut from it. */
static const char *
error(void)
{
	static char out[1024];
	char *p;

	snprintf(out, sizeof(out), "%s", err);
	while ((p = strstr(out, dir)) != NULL)
		memmove(p, p + strlen(dir) + 1, strlen(p + strlen(dir) + 1) + 1);
	return out;
}

static void
words(void)
{
	struct ngx_dir *d;
	int rc;

	d = parse("a \"b c\" 'd\"e' f\\ g \"h\\\"i\" 'j\\'k' \"\\\\\" \"\\t\" x\\.y;\n", &rc);
	is_int(rc, 0, "quotes and escapes parse");
	is_str(args(d), "a|b c|d\"e|f\\ g|h\"i|j'k|\\|\t|x\\.y",
	    "quotes go, \\\" \\' \\\\ \\t are resolved, other backslashes stay");
	d = parse("return 200 ${host}x;  location ~ \\.php$ { }", &rc);
	is_str(args(d), "return|200|${host}x", "\"${\" does not open a block");
	is_str(args(d->next), "location|~|\\.php$", "a regex keeps its backslash");
	ok(d->next->block && d->next->children == NULL, "an empty block");
	d = parse("# a comment ;{}\nreturn 200 a}b#c; # trailing\n", &rc);
	is_str(args(d), "return|200|a}b#c", "\"}\" and \"#\" inside a word are "
	    "part of it");
	ok(d->next == NULL && d->line == 2, "comments are skipped, the line counted");
	d = parse("if ($a = \"b\") { }\n", &rc);
	is_str(args(d), "if|($a|=|b|)", "\")\" may follow a quoted word");
}

static void
blocks(void)
{
	struct ngx_dir *d;
	int rc;

	d = parse("http {\n  server {\n    listen 80;\n    location / {\n"
	    "      return 200 \"two\nlines\";\n    }\n  }\n}\nuser x;\n", &rc);
	ok(rc == 0 && d != NULL && d->block, "nested blocks parse");
	d = d->children;		/* server */
	ok(d != NULL && d->line == 2 && d->block, "server at line 2");
	is_str(args(d->children), "listen|80", "its first directive");
	is_int(d->children->next->children->line, 5, "return at line 5");
	is_str(args(d->children->next->children), "return|200|two\nlines",
	    "a quoted word spans lines");
	d = parse("a \"x\ny\";\nb;\n", &rc);
	is_int(d->next->line, 3, "lines inside a quoted word are counted");
}

static void
refused(const char *text, const char *want, const char *desc)
{
	int rc;

	parse(text, &rc);
	ok(rc == -1, "%s: refused", desc);
	is_str(error(), want, "%s: the message", desc);
}

static void
bad_input(void)
{
	refused("server {\n  listen 80;\n", "main.conf:3: unexpected end of file, "
	    "expecting \"}\"", "an unclosed block");
	refused("server {\n}\n}\n", "main.conf:3: unexpected \"}\"", "one \"}\" too many");
	refused("server {\n  listen 80\n}\n", "main.conf:3: unexpected \"}\": "
	    "\"listen\" is not terminated by \";\"", "a missing \";\" before \"}\"");
	refused("user x", "main.conf:1: unexpected end of file, expecting \";\" or "
	    "\"}\"", "a missing \";\" at the end");
	refused("a;\nreturn 200 \"abc;\n}\n", "main.conf:2: unterminated string: the "
	    "\" opened here is never closed", "an unterminated quote, at its line");
	refused("return 200 'x'y;", "main.conf:1: unexpected \"y\" after a quoted "
	    "string", "a word glued to a quoted one");
	refused("\n;", "main.conf:2: unexpected \";\"", "an empty directive");
	refused("{ }", "main.conf:1: unexpected \"{\"", "a block without a name");
}

static void
includes(void)
{
	struct ngx_dir *d;
	int rc;

	put("sub/a.conf", "a 1;\ninclude sub/b.conf;\n");
	put("sub/b.conf", "\n\nb 2;\n");
	d = parse("first;\ninclude sub/a.conf;\nlast;\n", &rc);
	is_int(rc, 0, "nested includes parse");
	d = d->next;
	ok(d != NULL && d->children != NULL, "the include holds its file's directives");
	is_str(args(d->children), "a|1", "from sub/a.conf");
	ok(strstr(d->children->file, "sub/a.conf") != NULL && d->children->line == 1,
	    "with their own file and line");
	d = d->children->next->children;
	is_str(args(d), "b|2", "a relative include is taken from the prefix, not "
	    "from the including file's directory");
	ok(d != NULL && d->line == 3 && strstr(d->file, "sub/b.conf") != NULL,
	    "sub/b.conf:3");

	put("g/2.conf", "two;");
	put("g/1.conf", "one;");
	put("g/10.conf", "ten;");
	d = parse("include g/*.conf; include none/*.conf;", &rc);
	ok(rc == 0 && d != NULL, "globs parse");
	is_str(args(d->children), "one", "in sorted order: 1.conf");
	is_str(args(d->children->next), "ten", "10.conf");
	is_str(args(d->children->next->next), "two", "2.conf");
	ok(d->next != NULL && d->next->children == NULL,
	    "a glob that matches nothing is not an error");

	refused("\n\ninclude missing.conf;", "main.conf:3: open() \"missing.conf\" "
	    "failed (2: No such file or directory)", "a missing file");
	put("loop.conf", "include main.conf;\n");
	refused("include loop.conf;", "loop.conf:1: include cycle: \"main.conf\" is "
	    "already being read", "a cycle");
	put("open.conf", "server {\n");
	refused("include open.conf;\n}", "open.conf:2: unexpected end of file, "
	    "expecting \"}\"", "braces balance within each file");
	refused("include a b;", "main.conf:1: invalid number of arguments in "
	    "\"include\" directive", "include takes one pattern");
}

int
main(void)
{
	char tmpl[] = "/tmp/portico-nginx.XXXXXX";

	if (mkdtemp(tmpl) == NULL || realpath(tmpl, dir) == NULL)
		return 1;
	pool_init(&pool, 4096);
	words();
	blocks();
	bad_input();
	includes();
	pool_destroy(&pool);
	rm_rf(dir);
	return done_testing();
}
