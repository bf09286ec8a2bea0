/*
 * Setters for the HTTP behaviour settings: logs, error pages, return,
 * try_files and the header groups with portico's merging inheritance.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf_int.h"
#include "log.h"

#define SET_ARGS struct cfload *ld, struct level *lv, const config_setting_t *v, \
	void *field

struct tmpl *
cf_compile(struct cfload *ld, const config_setting_t *v, const char *s)
{
	const char *err;
	struct tmpl *t = tmpl_compile(ld->pool, s, &err);

	if (t == NULL)
		cf_error(ld, v, "%s", err);
	return t;
}

/* A string with $variables (proxy_cache_key). */
int
set_template(SET_ARGS)
{
	const char *s;

	if (cf_string(ld, v, &s) != 0)
		return -1;
	*(struct tmpl **)field = cf_compile(ld, v, s);
	return *(struct tmpl **)field == NULL ? -1 : 0;
}

/* Every setting naming the same path shares one descriptor. */
static struct log_file *
log_file_get(struct cfload *ld, const config_setting_t *v, const char *path)
{
	struct log_file *lf;
	const char *p = strcmp(path, "stderr") == 0 ? NULL : cf_path(ld, path);

	for (lf = ld->cf->logs; lf != NULL; lf = lf->next)
		if ((p == NULL && lf->path == NULL) ||
		    (p != NULL && lf->path != NULL && strcmp(p, lf->path) == 0))
			return lf;
	lf = pool_zalloc(ld->pool, sizeof(*lf));
	lf->path = p ? pool_strdup(ld->pool, p) : NULL;
	lf->fd = -1;
	lf->src = ld->file;
	lf->line = cf_line(v);
	lf->next = ld->cf->logs;
	ld->cf->logs = lf;
	return lf;
}

int
set_error_log(SET_ARGS)
{
	const char *s;

	if (cf_string(ld, v, &s) != 0)
		return -1;
	if (*s == '\0' || strchr(s, ' ') != NULL) {
		cf_error(ld, v, "invalid error_log \"%s\": expected a path or \"stderr\" "
		    "(the level is the separate log_level setting)", s);
		return -1;
	}
	*(struct log_file **)field = log_file_get(ld, v, s);
	return 0;
}

/* access_log = "off" | "PATH" | "PATH FORMAT", or an array of those. */
int
set_access_log(SET_ARGS)
{
	const char **v0;
	size_t n, i;
	struct access_logs *al = field;

	if (cf_strings(ld, v, &v0, &n) != 0)
		return -1;
	al->n = 0;
	al->v = pool_zalloc(ld->pool, sizeof(*al->v) * (n ? n : 1));
	for (i = 0; i < n; i++) {
		char *copy = pool_strdup(ld->pool, v0[i]), *sp;
		struct access_log *a = &al->v[al->n];

		if (strcmp(copy, "off") == 0) {
			if (n > 1) {
				cf_error(ld, v, "access_log \"off\" cannot be combined "
				    "with other logs");
				return -1;
			}
			return 0;
		}
		sp = strchr(copy, ' ');
		if (sp != NULL) {
			*sp++ = '\0';
			while (*sp == ' ')
				sp++;
			if (*sp == '\0' || strchr(sp, ' ') != NULL) {
				cf_error(ld, v, "invalid access_log \"%s\": expected "
				    "\"PATH\" or \"PATH FORMAT\"", v0[i]);
				return -1;
			}
		}
		if (*copy == '\0') {
			cf_error(ld, v, "access_log must name a path or \"off\"");
			return -1;
		}
		a->file = log_file_get(ld, v, copy);
		a->format_name = sp ? sp : "combined";
		a->line = cf_line(v);
		a->src = ld->file;
		al->n++;
	}
	return 0;
}

/* log_format = { main = "..."; json = "..."; }; */
int
set_log_format(SET_ARGS)
{
	struct main_conf *m = &ld->cf->main;
	int i, n;

	if (!config_setting_is_group(v)) {
		cf_error(ld, v, "\"log_format\" must be a group: "
		    "log_format = { NAME = \"format\"; };");
		return -1;
	}
	n = config_setting_length(v);
	m->formats = pool_zalloc(ld->pool, sizeof(*m->formats) * (size_t)(n ? n : 1));
	for (i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(v, (unsigned)i);
		const char *s;

		if (strcmp(config_setting_name(e), "combined") == 0) {
			cf_error(ld, e, "log_format \"combined\" is built in and "
			    "cannot be redefined");
			return -1;
		}
		if (cf_string(ld, e, &s) != 0)
			return -1;
		m->formats[i].name = pool_strdup(ld->pool, config_setting_name(e));
		if ((m->formats[i].t = cf_compile(ld, e, s)) == NULL)
			return -1;
	}
	m->nformats = (size_t)n;
	return 0;
}

int
parse_code(const char *s, size_t len, int lo, int hi)
{
	int code = 0;
	size_t i;

	if (len == 0 || len > 3)
		return -1;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		code = code * 10 + (s[i] - '0');
	}
	return code >= lo && code <= hi ? code : -1;
}

/* "404 /404.html", "500 502 503 504 /50x.html", "404 =200 /x", "404 = @app" */
static int
parse_error_page(struct cfload *ld, const config_setting_t *v, const char *s,
    struct error_page *ep)
{
	char *copy = pool_strdup(ld->pool, s), *tok, *save, *toks[64];
	size_t ntok = 0, i;

	for (tok = strtok_r(copy, " \t", &save); tok && ntok < 64;
	    tok = strtok_r(NULL, " \t", &save))
		toks[ntok++] = tok;
	if (ntok < 2)
		goto bad;
	ep->codes = pool_alloc(ld->pool, sizeof(int) * ntok);
	ep->ncodes = 0;
	ep->override = -1;
	for (i = 0; i + 1 < ntok; i++) {
		if (toks[i][0] == '=') {
			if (i + 2 != ntok)
				goto bad;
			ep->override = toks[i][1] == '\0' ? 0 :
			    parse_code(toks[i] + 1, strlen(toks[i] + 1), 100, 599);
			if (ep->override < 0)
				goto bad;
			continue;
		}
		ep->codes[ep->ncodes] = parse_code(toks[i], strlen(toks[i]), 300, 599);
		if (ep->codes[ep->ncodes] < 0) {
			cf_error(ld, v, "invalid status \"%s\" in error_page \"%s\": "
			    "expected a code between 300 and 599", toks[i], s);
			return -1;
		}
		ep->ncodes++;
	}
	if (ep->ncodes == 0)
		goto bad;
	ep->uri = cf_compile(ld, v, toks[ntok - 1]);
	return ep->uri == NULL ? -1 : 0;
bad:
	cf_error(ld, v, "invalid error_page \"%s\": expected \"CODE... [=CODE] URI\"", s);
	return -1;
}

int
set_error_page(SET_ARGS)
{
	const char **v0;
	size_t n, i;
	struct error_pages *eps = field;

	if (cf_strings(ld, v, &v0, &n) != 0)
		return -1;
	eps->v = pool_zalloc(ld->pool, sizeof(*eps->v) * (n ? n : 1));
	eps->n = n;
	for (i = 0; i < n; i++)
		if (parse_error_page(ld, v, v0[i], &eps->v[i]) != 0)
			return -1;
	return 0;
}

/* return = "CODE [TEXT or URL]" or "URL" (302), as nginx. */
int
set_return(SET_ARGS)
{
	const char *s, *sp;
	struct ret *r;
	int code;

	if (cf_string(ld, v, &s) != 0)
		return -1;
	r = pool_zalloc(ld->pool, sizeof(*r));
	if (strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0 ||
	    strncmp(s, "$scheme", 7) == 0) {
		r->code = 302;
		sp = s - 1;
	} else {
		sp = strchr(s, ' ');
		code = parse_code(s, sp ? (size_t)(sp - s) : strlen(s), 0, 999);
		if (code < 0) {
			cf_error(ld, v, "invalid return \"%s\": expected \"CODE [TEXT or "
			    "URL]\" or a URL", s);
			return -1;
		}
		r->code = code;
	}
	if (sp != NULL) {
		while (sp[1] == ' ')
			sp++;
		if ((r->text = cf_compile(ld, v, sp + 1)) == NULL)
			return -1;
	}
	if ((r->code == 301 || r->code == 302 || r->code == 303 || r->code == 307 ||
	    r->code == 308) && r->text == NULL) {
		cf_error(ld, v, "return %d needs a URL", r->code);
		return -1;
	}
	if (lv->loc != NULL)
		lv->loc->ret = r;
	else
		lv->srv->ret = r;
	return 0;
}

/* try_files = "$uri $uri/ /index.html" | "... =404" | "... @name" */
int
set_try_files(SET_ARGS)
{
	const char *s;
	char *copy, *tok, *save, *toks[64];
	size_t ntok = 0, i;
	struct try_files *tf;

	if (cf_string(ld, v, &s) != 0)
		return -1;
	copy = pool_strdup(ld->pool, s);
	for (tok = strtok_r(copy, " \t", &save); tok && ntok < 64;
	    tok = strtok_r(NULL, " \t", &save))
		toks[ntok++] = tok;
	if (ntok < 2) {
		cf_error(ld, v, "invalid try_files \"%s\": expected at least one file "
		    "and a fallback (a URI, @name or =CODE)", s);
		return -1;
	}
	tf = pool_zalloc(ld->pool, sizeof(*tf));
	tf->v = pool_alloc(ld->pool, sizeof(*tf->v) * ntok);
	for (i = 0; i + 1 < ntok; i++)
		if ((tf->v[tf->n++] = cf_compile(ld, v, toks[i])) == NULL)
			return -1;
	tok = toks[ntok - 1];
	if (tok[0] == '=') {
		tf->code = parse_code(tok + 1, strlen(tok + 1), 100, 599);
		if (tf->code < 0) {
			cf_error(ld, v, "invalid try_files fallback \"%s\"", tok);
			return -1;
		}
	} else if ((tf->fallback = cf_compile(ld, v, tok)) == NULL)
		return -1;
	*(struct try_files **)field = tf;
	return 0;
}

static bool
valid_header_name(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

/* A header group, added to the level's entries; add_header and
 * add_header_always share one name space per level. */
int
set_header_group(struct cfload *ld, const config_setting_t *v,
    struct header_set *hs, bool always)
{
	int i, n;
	size_t j;
	struct header_op *ops;

	if (!config_setting_is_group(v)) {
		cf_error(ld, v, "\"%s\" must be a group: %s = { Name = \"value\"; };",
		    config_setting_name(v), config_setting_name(v));
		return -1;
	}
	n = config_setting_length(v);
	ops = pool_alloc(ld->pool, sizeof(*ops) * (hs->n + (size_t)n + 1));
	if (hs->n)
		memcpy(ops, hs->v, sizeof(*ops) * hs->n);
	for (i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(v, (unsigned)i);
		const char *name = config_setting_name(e), *s;
		struct header_op *op = &ops[hs->n];

		if (!valid_header_name(name)) {
			cf_error(ld, e, "invalid header name \"%s\"", name);
			return -1;
		}
		for (j = 0; j < hs->n; j++)
			if (strcasecmp(ops[j].name, name) == 0) {
				cf_error(ld, e, "duplicate header \"%s\" (names are "
				    "case-insensitive; add_header and add_header_always "
				    "share them)", name);
				return -1;
			}
		if (cf_string(ld, e, &s) != 0)
			return -1;
		op->name = pool_strdup(ld->pool, name);
		op->always = always;
		op->value = NULL;
		if (*s != '\0' && (op->value = cf_compile(ld, e, s)) == NULL)
			return -1;
		hs->n++;
	}
	hs->v = ops;
	return 0;
}

int
set_add_header(SET_ARGS)
{
	return set_header_group(ld, v, field, false);
}

int
set_add_header_always(SET_ARGS)
{
	return set_header_group(ld, v, field, true);
}

/*
 * Portico's inheritance for header groups: start from the parent's list;
 * an inner entry with the same name replaces the outer one, an empty inner
 * value removes it, new names are appended.
 */
void
merge_headers(struct pool *pool, void *childp, const void *parentp, bool set)
{
	struct header_set *child = childp;
	const struct header_set *parent = parentp;
	struct header_op *out;
	size_t n = 0, i, j;

	if (parent->n == 0)
		return;
	out = pool_alloc(pool, sizeof(*out) * (parent->n + child->n));
	for (i = 0; i < parent->n; i++) {
		for (j = 0; j < child->n; j++)
			if (strcasecmp(parent->v[i].name, child->v[j].name) == 0)
				break;
		if (j == child->n)
			out[n++] = parent->v[i];
	}
	for (j = 0; j < child->n; j++)
		out[n++] = child->v[j];
	child->v = out;
	child->n = n;
}
