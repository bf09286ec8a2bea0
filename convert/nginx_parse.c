/*
 * nginx's configuration syntax, read as nginx reads it
 * (src/core/ngx_conf_file.c): words separated by white space, a directive
 * ended by ";" or opening a block with "{", "}" closing it, "#" comments
 * where a word could start.  A word in double or single quotes may hold
 * anything and must be followed by white space, ";", "{" or ")"; "${" does
 * not open a block; in every word \" \' \\ lose the backslash and \t \r \n
 * become control characters, other backslashes stay (regexes keep "\.").
 *
 * include FILE is expanded where it stands: a relative pattern is taken
 * from the prefix, glob patterns in sorted order and matching nothing is
 * not an error, as in nginx; unlike nginx, a cycle is reported rather than
 * followed until the files run out.  Braces balance within each file.
 */
#include "config.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "convert.h"
#include "pool.h"

#define MAX_FILE	(64 << 20)	/* bytes of one configuration file */
#define MAX_DEPTH	32		/* nested includes */

struct incl {
	const char	*real;
	struct incl	*up;
};

struct parser {
	struct pool	*pool;
	const char	*prefix;
	struct incl	*stack;
	int		 depth;
	char		*err;
	size_t		 errlen;
};

struct lexer {
	const char	*file;
	const char	*p, *end;
	int		 line;
};

enum ending { END_SEMI, END_BLOCK, END_CLOSE, END_EOF, END_ERROR };

struct words {
	char	**v;
	size_t	  n;
};

static int	block(struct parser *, struct lexer *, bool inner,
		    struct ngx_dir **);

static int
fail(struct parser *ps, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (file != NULL)	/* NULL: the file named on the command line */
		n = snprintf(ps->err, ps->errlen, "%s:%d: ", file, line);
	if (n < 0 || (size_t)n >= ps->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static bool
space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* White space and comments up to where a word could start. */
static void
skip_space(struct lexer *lx)
{
	while (lx->p < lx->end) {
		if (*lx->p == '#') {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
			continue;
		}
		if (!space(*lx->p))
			return;
		if (*lx->p == '\n')
			lx->line++;
		lx->p++;
	}
}

static char *
unescape(struct pool *pool, const char *s, size_t n)
{
	char *out = pool_alloc(pool, n + 1), *d = out;
	const char *end = s + n;

	while (s < end) {
		if (*s == '\\' && s + 1 < end) {
			switch (s[1]) {
			case '"': case '\'': case '\\':
				s++;
				break;
			case 't': *d++ = '\t'; s += 2; continue;
			case 'r': *d++ = '\r'; s += 2; continue;
			case 'n': *d++ = '\n'; s += 2; continue;
			}
		}
		*d++ = *s++;
	}
	*d = '\0';
	return out;
}

/* The character after a backslash is part of the word, whatever it is. */
static void
skip_escaped(struct lexer *lx)
{
	lx->p++;
	if (lx->p < lx->end) {
		if (*lx->p == '\n')
			lx->line++;
		lx->p++;
	}
}

static char *
bare_word(struct parser *ps, struct lexer *lx)
{
	const char *start = lx->p;

	while (lx->p < lx->end && !space(*lx->p) && *lx->p != ';' &&
	    *lx->p != '{') {
		if (*lx->p == '\\') {
			skip_escaped(lx);
			continue;
		}
		if (*lx->p == '$' && lx->p + 1 < lx->end && lx->p[1] == '{')
			lx->p++;
		lx->p++;
	}
	return unescape(ps->pool, start, (size_t)(lx->p - start));
}

static char *
quoted_word(struct parser *ps, struct lexer *lx)
{
	char quote = *lx->p++;
	const char *start = lx->p;
	int line = lx->line;
	char *w;

	while (lx->p < lx->end && *lx->p != quote) {
		if (*lx->p == '\\') {
			skip_escaped(lx);
			continue;
		}
		if (*lx->p == '\n')
			lx->line++;
		lx->p++;
	}
	if (lx->p == lx->end) {
		fail(ps, lx->file, line, "unterminated string: the %c opened here is "
		    "never closed", quote);
		return NULL;
	}
	w = unescape(ps->pool, start, (size_t)(lx->p - start));
	lx->p++;
	if (lx->p < lx->end && !space(*lx->p) && *lx->p != ';' && *lx->p != '{' &&
	    *lx->p != ')') {
		fail(ps, lx->file, lx->line, "unexpected \"%c\" after a quoted string",
		    *lx->p);
		return NULL;
	}
	return w;
}

/* The words of one directive, up to the ";", "{" or "}" that ends it. */
static enum ending
statement(struct parser *ps, struct lexer *lx, struct words *w, int *line)
{
	char *word;

	w->v = NULL;
	w->n = 0;
	for (;;) {
		skip_space(lx);
		if (w->n == 0)
			*line = lx->line;
		if (lx->p == lx->end) {
			if (w->n == 0)
				return END_EOF;
			fail(ps, lx->file, lx->line, "unexpected end of file, "
			    "expecting \";\" or \"}\"");
			return END_ERROR;
		}
		switch (*lx->p) {
		case ';':
		case '{':
			if (w->n == 0) {
				fail(ps, lx->file, lx->line, "unexpected \"%c\"", *lx->p);
				return END_ERROR;
			}
			return *lx->p++ == ';' ? END_SEMI : END_BLOCK;
		case '}':
			if (w->n > 0) {
				fail(ps, lx->file, lx->line, "unexpected \"}\": \"%s\" is "
				    "not terminated by \";\"", w->v[0]);
				return END_ERROR;
			}
			lx->p++;
			return END_CLOSE;
		case '"':
		case '\'':
			word = quoted_word(ps, lx);
			break;
		default:
			word = bare_word(ps, lx);
		}
		if (word == NULL)
			return END_ERROR;
		w->v = pool_grow(ps->pool, w->v, w->n, sizeof(*w->v));
		w->v[w->n++] = word;
	}
}

static char *
read_all(struct parser *ps, const char *path, const char *from, int from_line,
    size_t *len)
{
	FILE *f;
	struct stat st;
	char *data = NULL;
	size_t n;

	if ((f = fopen(path, "re")) == NULL) {
		fail(ps, from, from_line, "open() \"%s\" failed (%d: %s)", path, errno,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) != 0)
		fail(ps, from, from_line, "fstat() \"%s\" failed (%d: %s)", path,
		    errno, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		fail(ps, from, from_line, "\"%s\" is not a regular file", path);
	else if (st.st_size > MAX_FILE)
		fail(ps, from, from_line, "\"%s\" is larger than %d MiB", path,
		    MAX_FILE >> 20);
	else {
		data = pool_alloc(ps->pool, (size_t)st.st_size + 1);
		n = fread(data, 1, (size_t)st.st_size, f);
		if (ferror(f)) {
			fail(ps, from, from_line, "read() \"%s\" failed (%d: %s)", path,
			    errno, strerror(errno));
			data = NULL;
		} else {
			data[n] = '\0';
			*len = n;
		}
	}
	fclose(f);
	return data;
}

/* The directives of one file, appended to *tail.  from/from_line: the
 * include naming it (the command line for the first file). */
static int
parse_file(struct parser *ps, const char *path, const char *from, int from_line,
    struct ngx_dir ***tail)
{
	char real[PATH_MAX];
	struct incl here, *i;
	struct lexer lx;
	struct ngx_dir *list;
	size_t len;
	int rc;

	if (realpath(path, real) == NULL)
		return fail(ps, from, from_line, "open() \"%s\" failed (%d: %s)", path,
		    errno, strerror(errno));
	for (i = ps->stack; i != NULL; i = i->up)
		if (strcmp(i->real, real) == 0)
			return fail(ps, from, from_line, "include cycle: \"%s\" is "
			    "already being read", path);
	if (ps->depth == MAX_DEPTH)
		return fail(ps, from, from_line, "includes nested more than %d deep",
		    MAX_DEPTH);
	lx.file = pool_strdup(ps->pool, path);
	lx.line = 1;
	if ((lx.p = read_all(ps, path, from, from_line, &len)) == NULL)
		return -1;
	lx.end = lx.p + len;
	here = (struct incl){ real, ps->stack };
	ps->stack = &here;
	ps->depth++;
	rc = block(ps, &lx, false, &list);
	ps->stack = here.up;
	ps->depth--;
	if (rc != 0)
		return -1;
	**tail = list;
	while (**tail != NULL)
		*tail = &(**tail)->next;
	return 0;
}

static int
include(struct parser *ps, struct ngx_dir *d)
{
	struct ngx_dir **tail = &d->children;
	const char *path;
	glob_t g;
	size_t i;
	int rc;

	if (d->nargs != 2)
		return fail(ps, d->file, d->line, "invalid number of arguments in "
		    "\"include\" directive");
	path = d->args[1][0] == '/' || strcmp(ps->prefix, ".") == 0 ? d->args[1] :
	    pool_printf(ps->pool, "%s/%s", ps->prefix, d->args[1]);
	if (strpbrk(path, "*?[") == NULL)
		return parse_file(ps, path, d->file, d->line, &tail);
	rc = glob(path, 0, NULL, &g);
	if (rc == GLOB_NOMATCH)
		return 0;
	if (rc != 0)
		return fail(ps, d->file, d->line, "glob() \"%s\" failed", path);
	for (i = 0; i < g.gl_pathc && rc == 0; i++)
		rc = parse_file(ps, g.gl_pathv[i], d->file, d->line, &tail);
	globfree(&g);
	return rc;
}

/* Directives up to the end of the file, or of the block when inner. */
static int
block(struct parser *ps, struct lexer *lx, bool inner, struct ngx_dir **out)
{
	struct ngx_dir *head = NULL, **tail = &head, *d;
	struct words w;
	enum ending e;
	int line;

	for (;;) {
		e = statement(ps, lx, &w, &line);
		if (e == END_ERROR)
			return -1;
		if (e == END_EOF && inner)
			return fail(ps, lx->file, lx->line, "unexpected end of file, "
			    "expecting \"}\"");
		if (e == END_CLOSE && !inner)
			return fail(ps, lx->file, lx->line, "unexpected \"}\"");
		if (e == END_EOF || e == END_CLOSE)
			break;
		d = pool_zalloc(ps->pool, sizeof(*d));
		d->args = w.v;
		d->nargs = w.n;
		d->file = lx->file;
		d->line = line;
		d->block = e == END_BLOCK;
		if (d->block && block(ps, lx, true, &d->children) != 0)
			return -1;
		if (!d->block && strcmp(d->args[0], "include") == 0 &&
		    include(ps, d) != 0)
			return -1;
		*tail = d;
		tail = &d->next;
	}
	*out = head;
	return 0;
}

int
ngx_parse(struct pool *pool, const char *path, const char *prefix,
    struct ngx_dir **out, char *err, size_t errlen)
{
	struct parser ps = { pool, prefix, NULL, 0, err, errlen };
	struct ngx_dir **tail = out;

	*out = NULL;
	return parse_file(&ps, path, NULL, 0, &tail);
}
