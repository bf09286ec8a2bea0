/*
 * Explaining a libconfig syntax error.  libconfig says only "syntax error"
 * and a line; when it fails, this reads the file again with a small
 * recursive-descent parser of the same grammar and says what it expected
 * and what it found -- or that the file is in nginx's syntax, when its
 * first setting has no "=" ("server {", "user www-data;").
 *
 *	settings := (NAME ("=" | ":") value [";" | ","])*
 *	value    := STRING+ | SCALAR | "[" scalars "]" | "(" values ")" |
 *		    "{" settings "}"
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "conf_int.h"

#define FILE_MAX	(16 << 20)	/* larger files are not explained */
#define DEPTH_MAX	64

enum tok_kind { T_END, T_NAME, T_STRING, T_SCALAR, T_WORD, T_PUNCT, T_BAD };

struct tok {
	enum tok_kind	 kind;
	const char	*p;
	size_t		 n;
	int		 line;
};

struct parser {
	const char	*p, *end;
	int		 line;
	struct tok	 t;		/* the current token */
	int		 depth;
	bool		 nginx;		/* the first setting had no "=" */
	char		 what[48];	/* found()'s text */
	const char	*hint;		/* how nginx's directive is written here */
	char		*msg;
	size_t		 size;
	int		 err_line;
};

static bool
is_punct(char c)
{
	return strchr("=:;,{}()[]", c) != NULL;
}

static bool
comment_starts(const struct parser *ps, const char *p)
{
	return *p == '#' || (*p == '/' && p + 1 < ps->end &&
	    (p[1] == '/' || p[1] == '*'));
}

/* Whitespace and comments; false on an unterminated comment. */
static bool
skip_space(struct parser *ps)
{
	while (ps->p < ps->end) {
		if (*ps->p == '\n')
			ps->line++;
		if (isspace((unsigned char)*ps->p)) {
			ps->p++;
		} else if (*ps->p == '#' || (comment_starts(ps, ps->p) &&
		    ps->p[1] == '/')) {
			while (ps->p < ps->end && *ps->p != '\n')
				ps->p++;
		} else if (comment_starts(ps, ps->p)) {
			for (ps->p += 2; ps->p + 1 < ps->end &&
			    !(ps->p[0] == '*' && ps->p[1] == '/'); ps->p++)
				if (*ps->p == '\n')
					ps->line++;
			if (ps->p + 1 >= ps->end)
				return false;
			ps->p += 2;
		} else
			break;
	}
	return true;
}

static bool
is_name(const char *p, size_t n)
{
	size_t i;

	if (!isalpha((unsigned char)p[0]) && p[0] != '*')
		return false;
	for (i = 1; i < n; i++)
		if (!isalnum((unsigned char)p[i]) && !strchr("-_*", p[i]))
			return false;
	return true;
}

/* Numbers loosely (libconfig checks them): a digit first, after a sign
 * or a dot, and only the characters of decimal, hex and float forms. */
static bool
is_number(const char *p, size_t n)
{
	size_t i = (*p == '-' || *p == '+') ? 1 : 0;

	if (i < n && p[i] == '.')
		i++;
	if (i >= n || !isdigit((unsigned char)p[i]))
		return false;
	for (; i < n; i++)
		if (!isxdigit((unsigned char)p[i]) && !strchr("xXlL.eE+-", p[i]))
			return false;
	return true;
}

static void
bad(struct tok *t, const char *why, int line)
{
	*t = (struct tok){ T_BAD, why, strlen(why), line };
}

static void
next(struct parser *ps)
{
	struct tok *t = &ps->t;
	const char *s;

	if (!skip_space(ps)) {
		bad(t, "unterminated comment (a \"*/\" is missing)", ps->line);
		return;
	}
	t->p = ps->p;
	t->line = ps->line;
	if (ps->p == ps->end) {
		t->kind = T_END;
		t->n = 0;
		return;
	}
	if (is_punct(*ps->p)) {
		t->kind = T_PUNCT;
		t->n = 1;
		ps->p++;
		return;
	}
	if (*ps->p == '"') {
		for (s = ps->p + 1; s < ps->end && *s != '"'; s++) {
			if (*s == '\\' && s + 1 < ps->end)
				s++;
			if (*s == '\n')
				ps->line++;
		}
		if (s >= ps->end) {
			bad(t, "unterminated string (a closing '\"' is missing)",
			    t->line);
			return;
		}
		t->kind = T_STRING;
		t->n = (size_t)(s + 1 - ps->p);
		ps->p = s + 1;
		return;
	}
	for (s = ps->p; s < ps->end && !isspace((unsigned char)*s) &&
	    !is_punct(*s) && *s != '"' && !comment_starts(ps, s); s++)
		;
	t->n = (size_t)(s - ps->p);
	ps->p = s;
	if ((t->n == 4 && strncasecmp(t->p, "true", 4) == 0) ||
	    (t->n == 5 && strncasecmp(t->p, "false", 5) == 0) || is_number(t->p, t->n))
		t->kind = T_SCALAR;
	else
		t->kind = is_name(t->p, t->n) ? T_NAME : T_WORD;
}

static bool
at(const struct parser *ps, char c)
{
	return ps->t.kind == T_PUNCT && *ps->t.p == c;
}

/* The current token, for a message. */
static const char *
found(struct parser *ps)
{
	const struct tok *t = &ps->t;

	if (t->kind == T_END)
		return "the end of the file";
	if (t->kind == T_STRING)
		return "a string";
	snprintf(ps->what, sizeof(ps->what), "\"%.*s\"", t->n > 32 ? 32 :
	    (int)t->n, t->p);
	return ps->what;
}

static int
fail(struct parser *ps, const char *fmt, ...)
{
	va_list ap;

	ps->err_line = ps->t.line;
	if (ps->t.kind == T_BAD) {
		snprintf(ps->msg, ps->size, "%.*s", (int)ps->t.n, ps->t.p);
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(ps->msg, ps->size, fmt, ap);
	va_end(ap);
	return -1;
}

static int value(struct parser *, const char *name);

/* The elements of an array or list, up to its closing bracket. */
static int
elements(struct parser *ps, char close, const char *name)
{
	const char *what = close == ']' ? "array" : "list";
	int line = ps->t.line;

	next(ps);
	if (at(ps, close))
		return 0;
	for (;;) {
		if (close == ']' && (at(ps, '{') || at(ps, '(') || at(ps, '[')))
			return fail(ps, "found %s in the array of \"%s\": an array "
			    "[ ] holds strings, numbers or booleans; a list of groups is "
			    "written ( { ... }, { ... } )", found(ps), name);
		if (value(ps, name) != 0)
			return -1;
		if (at(ps, close))
			return 0;
		if (ps->t.kind == T_END)
			return fail(ps, "missing \"%c\": the %s of \"%s\" opened at "
			    "line %d is not closed", close, what, name, line);
		if (!at(ps, ','))
			return fail(ps, "expected \",\" or \"%c\" in the %s of \"%s\" "
			    "opened at line %d, found %s", close, what, name, line,
			    found(ps));
		next(ps);
		if (at(ps, close))
			return fail(ps, "a \",\" before \"%c\" in the %s of \"%s\": "
			    "remove it", close, what, name);
	}
}

static int group_settings(struct parser *, bool top);

static int
value(struct parser *ps, const char *name)
{
	if (++ps->depth > DEPTH_MAX)
		return fail(ps, "values nested more than %d deep", DEPTH_MAX);
	if (ps->t.kind == T_STRING) {
		while (ps->t.kind == T_STRING)
			next(ps);
	} else if (ps->t.kind == T_SCALAR) {
		next(ps);
	} else if (at(ps, '[') || at(ps, '(')) {
		if (elements(ps, at(ps, '[') ? ']' : ')', name) != 0)
			return -1;
		next(ps);
	} else if (at(ps, '{')) {
		next(ps);
		if (group_settings(ps, false) != 0)
			return -1;
		next(ps);
	} else if ((ps->t.kind == T_NAME || ps->t.kind == T_WORD) &&
	    ((ps->t.n == 2 && strncasecmp(ps->t.p, "on", 2) == 0) ||
	    (ps->t.n == 3 && strncasecmp(ps->t.p, "off", 3) == 0))) {
		return fail(ps, "expected a value after \"%s =\", found %s: on and "
		    "off are written true and false", name, found(ps));
	} else if (ps->t.kind == T_NAME || ps->t.kind == T_WORD) {
		return fail(ps, "expected a value after \"%s =\", found %s: text is "
		    "written in quotes", name, found(ps));
	} else
		return fail(ps, "expected a value after \"%s =\", found %s", name,
		    found(ps));
	ps->depth--;
	return 0;
}

/* One setting, at its name. */
static int
setting(struct parser *ps, const char *name, bool first)
{
	next(ps);
	if (!at(ps, '=') && !at(ps, ':')) {
		ps->nginx = first;
		ps->hint = conf_nginx_hint(name, ~0u);
		return fail(ps, "expected \"=\" after \"%s\", found %s", name,
		    found(ps));
	}
	next(ps);
	return value(ps, name);
}

/* Settings up to the end of the file (top) or of a group, whose closing
 * brace is left as the current token. */
static int
group_settings(struct parser *ps, bool top)
{
	int line = ps->t.line;
	char name[64] = "";
	bool bare = false, first = top;

	for (;;) {
		if (ps->t.kind == T_END && top)
			return 0;
		if (ps->t.kind == T_END)
			return fail(ps, "missing \"}\": the group opened at line %d is "
			    "not closed", line);
		if (at(ps, '}') && !top)
			return 0;
		if (at(ps, '}') || at(ps, ')') || at(ps, ']'))
			return top ? fail(ps, "found %s without a matching opening "
			    "bracket", found(ps)) : fail(ps, "expected \"}\" to close "
			    "the group opened at line %d, found %s", line, found(ps));
		if (ps->t.kind == T_WORD && ps->t.n == 8 &&
		    strncmp(ps->t.p, "@include", 8) == 0) {
			next(ps);
			next(ps);
			continue;
		}
		if (ps->t.kind != T_NAME)
			return bare ? fail(ps, "expected \";\" after the value of \"%s\", "
			    "found %s", name, found(ps)) : fail(ps, "expected a setting "
			    "name, found %s", found(ps));
		snprintf(name, sizeof(name), "%.*s", ps->t.n > 48 ? 48 :
		    (int)ps->t.n, ps->t.p);
		if (setting(ps, name, first) != 0)
			return -1;
		first = false;
		bare = !at(ps, ';') && !at(ps, ',');
		if (!bare)
			next(ps);
	}
}

/*
 * Why libconfig refused path: SYNTAX_NGINX, SYNTAX_EXPLAINED with why,
 * *line and maybe *hint set, or SYNTAX_UNKNOWN when this parser finds nothing wrong (then
 * libconfig's own words are the best there are).
 */
enum syntax_verdict
conf_syntax_explain(const char *path, char *why, size_t size, int *line,
    const char **hint)
{
	struct parser ps;
	FILE *f = fopen(path, "re");
	struct stat st;
	char *text = NULL;
	size_t n = 0;
	int rc;

	if (f == NULL)
		return SYNTAX_UNKNOWN;
	if (fstat(fileno(f), &st) == 0 && st.st_size < FILE_MAX &&
	    (text = malloc((size_t)st.st_size + 1)) != NULL)
		n = fread(text, 1, (size_t)st.st_size, f);
	fclose(f);
	if (text == NULL)
		return SYNTAX_UNKNOWN;
	memset(&ps, 0, sizeof(ps));
	ps.p = text;
	ps.end = text + n;
	ps.line = 1;
	ps.msg = why;
	ps.size = size;
	next(&ps);
	rc = group_settings(&ps, true);
	free(text);
	*line = ps.err_line;
	*hint = ps.hint;
	if (rc == 0)
		return SYNTAX_UNKNOWN;
	return ps.nginx ? SYNTAX_NGINX : SYNTAX_EXPLAINED;
}
