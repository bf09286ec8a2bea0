/*
 * Template compilation and evaluation.  "$name", "${name}" and "$1".."$9"
 * are variables; a variable nginx users know but portico lacks is an error
 * at load time, never an empty string at run time.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "http.h"
#include "pool.h"
#include "tmpl.h"
#include "var.h"

static bool
name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static void
add_part(struct pool *p, struct tmpl *t, int var, const char *s, size_t n)
{
	t->parts = pool_grow(p, t->parts, t->nparts, sizeof(*t->parts));
	t->parts[t->nparts].var = var;
	t->parts[t->nparts].text = (struct str){ pool_strndup(p, s, n), n };
	t->nparts++;
}

struct tmpl *
tmpl_compile(struct pool *p, const char *src, const char **err)
{
	struct tmpl *t = pool_zalloc(p, sizeof(*t));
	const char *s = src, *lit = src, *name;
	size_t nlen;
	int var;
	bool brace;
	struct str arg;

	t->src = pool_strdup(p, src);
	while ((s = strchr(s, '$')) != NULL) {
		if (s > lit)
			add_part(p, t, -1, lit, (size_t)(s - lit));
		brace = s[1] == '{';
		name = s + 1 + brace;
		if (isdigit((unsigned char)*name))
			nlen = 1;
		else
			for (nlen = 0; name_char(name[nlen]); nlen++)
				;
		if (nlen == 0 || (brace && name[nlen] != '}')) {
			*err = pool_printf(p, "invalid variable name in \"%s\"", src);
			return NULL;
		}
		var = var_lookup(name, nlen, &arg);
		if (var < 0) {
			*err = pool_printf(p, "unknown variable \"$%.*s\"", (int)nlen, name);
			return NULL;
		}
		add_part(p, t, var, arg.p, arg.n);
		s = lit = name + nlen + brace;
	}
	if (*lit != '\0' || t->nparts == 0)
		add_part(p, t, -1, lit, strlen(lit));
	return t;
}

bool
tmpl_is_literal(const struct tmpl *t)
{
	return t->nparts == 1 && t->parts[0].var < 0;
}

void
tmpl_eval(const struct tmpl *t, struct request *r, struct buf *out)
{
	size_t i;

	for (i = 0; i < t->nparts; i++) {
		if (t->parts[i].var < 0)
			buf_add(out, t->parts[i].text.p, t->parts[i].text.n);
		else
			var_eval(t->parts[i].var, t->parts[i].text, r, out);
	}
}

/* Evaluate into the request's pool; literal templates cost nothing. */
char *
tmpl_eval_str(const struct tmpl *t, struct request *r, size_t *len)
{
	struct buf b = { 0 };
	char *s;

	if (tmpl_is_literal(t)) {
		if (len != NULL)
			*len = t->parts[0].text.n;
		return (char *)t->parts[0].text.p;
	}
	tmpl_eval(t, r, &b);
	s = pool_strndup(r->pool, b.p ? b.p : "", b.len);
	if (len != NULL)
		*len = b.len;
	buf_free(&b);
	return s;
}
