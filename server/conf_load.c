/*
 * Reading configuration files: libconfig documents, include patterns,
 * contexts, duplicates across files, defaults and inheritance.  Every error
 * names the file (as the include pattern found it) and the line.
 */
#include "config.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "conf_int.h"
#include "log.h"

char *
cf_path(struct cfload *ld, const char *p)
{
	if (p[0] == '/' || ld->dir == NULL)
		return pool_strdup(ld->pool, p);
	return pool_printf(ld->pool, "%s/%s", ld->dir, p);
}

int
cf_string(struct cfload *ld, const config_setting_t *s, const char **out)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cf_error(ld, s, "\"%s\" must be a string", config_setting_name(s) ?
		    config_setting_name(s) : config_setting_name(config_setting_parent(s)));
		return -1;
	}
	*out = config_setting_get_string(s);
	return 0;
}

/* A string, or an array or list of strings: nginx's repeatable directives. */
int
cf_strings(struct cfload *ld, const config_setting_t *s, const char ***out,
    size_t *n)
{
	int i, count;
	const char **v;

	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		v = pool_alloc(ld->pool, sizeof(*v));
		v[0] = config_setting_get_string(s);
		*out = v;
		*n = 1;
		return 0;
	}
	if (!config_setting_is_aggregate(s) || config_setting_is_group(s)) {
		cf_error(ld, s, "\"%s\" must be a string or an array of strings",
		    config_setting_name(s));
		return -1;
	}
	count = config_setting_length(s);
	v = pool_alloc(ld->pool, sizeof(*v) * (size_t)(count ? count : 1));
	for (i = 0; i < count; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			cf_error(ld, e, "\"%s\" must be a string or an array of strings",
			    config_setting_name(s));
			return -1;
		}
		v[i] = config_setting_get_string(e);
	}
	*out = v;
	*n = (size_t)count;
	return 0;
}

void
cf_quote(struct buf *b, const char *s)
{
	buf_addc(b, '"');
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '"':  buf_adds(b, "\\\""); break;
		case '\\': buf_adds(b, "\\\\"); break;
		case '\n': buf_adds(b, "\\n"); break;
		case '\t': buf_adds(b, "\\t"); break;
		default:
			if ((unsigned char)*s < 0x20)
				buf_printf(b, "\\x%02x", (unsigned char)*s);
			else
				buf_addc(b, *s);
		}
	}
	buf_addc(b, '"');
}

/* Render a libconfig value back into libconfig syntax, for -T. */
void
cf_render(struct buf *b, const config_setting_t *s, int indent)
{
	int i, n = config_setting_length(s);
	const char *open, *close;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_STRING:
		cf_quote(b, config_setting_get_string(s));
		return;
	case CONFIG_TYPE_BOOL:
		buf_adds(b, config_setting_get_bool(s) ? "true" : "false");
		return;
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		buf_add_dec(b, config_setting_get_int64(s));
		return;
	case CONFIG_TYPE_FLOAT:
		buf_printf(b, "%g", config_setting_get_float(s));
		return;
	case CONFIG_TYPE_GROUP:
		buf_adds(b, "{");
		for (i = 0; i < n; i++) {
			config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
			buf_printf(b, "\n%*s%s = ", indent + 2, "", config_setting_name(e));
			cf_render(b, e, indent + 2);
			buf_addc(b, ';');
		}
		buf_printf(b, "\n%*s}", indent, "");
		return;
	default:
		open = config_setting_is_array(s) ? "[ " : "( ";
		close = config_setting_is_array(s) ? " ]" : " )";
		buf_adds(b, open);
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_adds(b, ", ");
			cf_render(b, config_setting_get_elem(s, (unsigned)i), indent);
		}
		buf_adds(b, close);
	}
}

static void
dump_add(struct cfload *ld, struct dump *d, const config_setting_t *s,
    int indent)
{
	struct buf b = { 0 };

	if (d->n == d->cap) {
		struct dump_ent *v;
		d->cap = d->cap ? d->cap * 2 : 8;
		v = pool_alloc(ld->pool, d->cap * sizeof(*v));
		if (d->n)
			memcpy(v, d->v, d->n * sizeof(*v));
		d->v = v;
	}
	cf_render(&b, s, indent);
	d->v[d->n].name = config_setting_name(s) ? pool_strdup(ld->pool,
	    config_setting_name(s)) : "";
	d->v[d->n].text = pool_strndup(ld->pool, b.p ? b.p : "", b.len);
	d->v[d->n].line = cf_line(s);
	d->n++;
	buf_free(&b);
}

const struct dump_ent *
dump_find(const struct dump *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->v[i].name, name) == 0)
			return &d->v[i];
	return NULL;
}

/* "at the main level", "in a server", ...: where a setting is, for messages. */
const char *
conf_ctx_name(unsigned ctx)
{
	switch (ctx) {
	case CTX_MAIN:		return "at the main level";
	case CTX_SERVER:	return "in a server";
	case CTX_LOCATION:	return "in a location";
	default:		return "in an upstream";
	}
}

static void *
field_of(struct cfload *ld, struct level *lv, const struct setting *s)
{
	switch (s->slot) {
	case SLOT_SCOPE:	return (char *)lv->sc + s->off;
	case SLOT_MAIN:		return (char *)&ld->cf->main + s->off;
	case SLOT_UPSTREAM:	return (char *)lv->up + s->off;
	default:		return NULL;
	}
}

/* SPEC.md's message, then how nginx's directive of that name is written
 * here, or the known setting the name is a near miss of. */
static void
unknown_setting(struct cfload *ld, const struct level *lv,
    const config_setting_t *e)
{
	const char *name = config_setting_name(e);
	const char *hint = conf_nginx_hint(name, lv->ctx);
	const char *near = hint == NULL ? conf_nearest_setting(name, lv->ctx) : NULL;

	if (hint != NULL)
		conf_error_at(ld, NULL, 0, "unknown setting \"%s\" in %s:%d; %s",
		    name, ld->file, cf_line(e), hint);
	else if (near != NULL)
		conf_error_at(ld, NULL, 0, "unknown setting \"%s\" in %s:%d; did you "
		    "mean \"%s\"?", name, ld->file, cf_line(e), near);
	else
		cf_error(ld, e, "unknown setting \"%s\"", name);
}

static int
apply(struct cfload *ld, struct level *lv, const config_setting_t *e)
{
	const char *name = config_setting_name(e);
	const struct setting *s = setting_lookup(name, lv->ctx);
	size_t idx;
	int line = cf_line(e);

	if (s == NULL) {
		if (setting_find(name) == NULL)
			unknown_setting(ld, lv, e);
		else
			cf_error(ld, e, "setting \"%s\" is not allowed %s", name,
			    conf_ctx_name(lv->ctx));
		return -1;
	}
	/* Lists are for what nginx repeats, as the table says; the setters
	 * of the others would read an array as a type error. */
	if (config_setting_is_aggregate(e) && !config_setting_is_group(e) &&
	    !(s->flags & (SET_LIST | SET_STRUCTURE))) {
		cf_error(ld, e, "\"%s\" takes one value, not a list", name);
		return -1;
	}
	idx = (size_t)(s - settings);
	if (lv->ctx == CTX_MAIN && lv->dump != NULL && !(s->flags & SET_MULTIFILE)) {
		if (ld->seen[idx].file != NULL) {
			cf_error(ld, e, "duplicate setting \"%s\", first set in %s:%d",
			    name, ld->seen[idx].file, ld->seen[idx].line);
			return -1;
		}
		ld->seen[idx].file = ld->file;
		ld->seen[idx].line = line;
	}
	if (s->set(ld, lv, e, field_of(ld, lv, s)) != 0)
		return -1;
	if (lv->sc != NULL)
		lv->sc->set[idx / 64] |= 1ULL << (idx % 64);
	if (lv->dump != NULL && !(s->flags & SET_STRUCTURE))
		dump_add(ld, lv->dump, e, lv->ctx == CTX_LOCATION ? 8 :
		    lv->ctx == CTX_MAIN ? 0 : 4);
	return 0;
}

/* Apply every setting of a block, in order; keep going after an error so
 * one run reports them all. */
int
cf_group(struct cfload *ld, struct level *lv, const config_setting_t *g)
{
	int i, n = config_setting_length(g), rc = 0;

	for (i = 0; i < n; i++)
		if (apply(ld, lv, config_setting_get_elem(g, (unsigned)i)) != 0)
			rc = -1;
	return rc;
}

/* libconfig's verdict on a file it refused, explained where it can be. */
static void
syntax_error(struct cfload *ld, config_t *doc, const char *path)
{
	char why[512];
	const char *hint = NULL;
	int line;

	switch (conf_syntax_explain(path, why, sizeof(why), &line, &hint)) {
	case SYNTAX_NGINX:
		conf_error_at(ld, path, line, "this looks like nginx syntax; portico "
		    "reads libconfig, see portico.conf(5); portico-convert %s "
		    "translates it", path);
		break;
	case SYNTAX_EXPLAINED:
		conf_error_at(ld, NULL, 0, "syntax error: %s in %s:%d%s%s", why, path,
		    line, hint != NULL ? "; " : "", hint != NULL ? hint : "");
		break;
	default:
		conf_error_at(ld, path, config_error_line(doc), "%s",
		    config_error_text(doc));
	}
}

static int
read_doc(struct cfload *ld, config_t *doc, const char *path,
    const config_setting_t *from)
{
	int err;

	config_init(doc);
	if (config_read_file(doc, path) == CONFIG_TRUE)
		return 0;
	err = errno;
	if (config_error_type(doc) != CONFIG_ERR_FILE_IO)
		syntax_error(ld, doc, path);
	else if (from != NULL)
		cf_error(ld, from, "cannot read \"%s\": %s", path, strerror(err));
	else
		conf_error_at(ld, NULL, 0, "cannot read \"%s\": %s", path,
		    strerror(err));
	config_destroy(doc);
	return -1;
}

static int
load_file(struct cfload *ld, const char *path, const config_setting_t *from)
{
	config_t doc;
	struct incl node, *p;
	char real[PATH_MAX], *slash;
	const char *saved_file = ld->file, *saved_dir = ld->dir;
	struct level lv = { CTX_MAIN, &ld->cf->sc, NULL, NULL, &ld->cf->dump, NULL };
	int rc;

	if (realpath(path, real) != NULL) {
		for (p = ld->stack; p != NULL; p = p->up)
			if (strcmp(p->real, real) == 0) {
				cf_error(ld, from, "include cycle: \"%s\" includes itself",
				    path);
				return -1;
			}
	} else
		snprintf(real, sizeof(real), "%s", path);
	if (read_doc(ld, &doc, path, from) != 0)
		return -1;
	node.up = ld->stack;
	node.real = real;
	ld->stack = &node;
	ld->file = pool_strdup(ld->pool, path);
	ld->dir = pool_strdup(ld->pool, path);
	slash = strrchr((char *)ld->dir, '/');
	if (slash != NULL)
		*slash = '\0';
	else
		ld->dir = ".";
	if (slash == ld->dir)
		ld->dir = "/";
	rc = cf_group(ld, &lv, config_root_setting(&doc));
	ld->stack = node.up;
	ld->file = saved_file;
	ld->dir = saved_dir;
	config_destroy(&doc);
	return rc;
}

int
set_include(struct cfload *ld, struct level *lv, const config_setting_t *v,
    void *field)
{
	const char **pats;
	size_t npats, i, j;
	glob_t g;
	int rc = 0, grc;
	struct stat st;

	if (cf_strings(ld, v, &pats, &npats) != 0)
		return -1;
	for (i = 0; i < npats; i++) {
		const char *pat = cf_path(ld, pats[i]);
		grc = glob(pat, 0, NULL, &g);
		if (grc == GLOB_NOMATCH)
			continue;
		if (grc != 0) {
			cf_error(ld, v, "include \"%s\": glob() failed", pat);
			rc = -1;
			continue;
		}
		for (j = 0; j < g.gl_pathc; j++) {
			if (stat(g.gl_pathv[j], &st) == 0 && S_ISDIR(st.st_mode)) {
				cf_error(ld, v, "include \"%s\" matches the directory \"%s\"",
				    pats[i], g.gl_pathv[j]);
				rc = -1;
				continue;
			}
			if (load_file(ld, g.gl_pathv[j], v) != 0)
				rc = -1;
		}
		globfree(&g);
	}
	return rc;
}

static void
apply_defaults(struct cfload *ld)
{
	struct buf b = { 0 };
	config_t doc;
	size_t i;
	struct level lv = { CTX_MAIN | CTX_SERVER | CTX_LOCATION, &ld->cf->defaults,
	    NULL, NULL, NULL, NULL };

	for (i = 0; i < nsettings; i++)
		if (settings[i].dflt != NULL)
			buf_printf(&b, "%s = %s;\n", settings[i].name, settings[i].dflt);
	buf_addc(&b, '\0');
	config_init(&doc);
	if (config_read_string(&doc, b.p) != CONFIG_TRUE)
		fatal("built-in defaults: %s at line %d", config_error_text(&doc),
		    config_error_line(&doc));
	ld->file = NULL;	/* defaults name no file in messages */
	if (cf_group(ld, &lv, config_root_setting(&doc)) != 0)
		fatal("built-in defaults do not parse");
	ld->file = NULL;
	config_destroy(&doc);
	buf_free(&b);
}

static void
inherit(struct config *cf)
{
	size_t i, j;
	struct server *srv;

	scope_merge(&cf->pool, &cf->sc, &cf->defaults);
	for (i = 0; i < cf->nservers; i++) {
		srv = cf->servers[i];
		scope_merge(&cf->pool, &srv->sc, &cf->sc);
		srv->deflt.sc = srv->sc;
		for (j = 0; j < srv->nlocs; j++)
			scope_merge(&cf->pool, &srv->locs[j]->sc, &srv->sc);
	}
}

struct config *
conf_load(const char *path, bool check_files)
{
	struct config *cf;
	struct cfload ld;
	struct pool pool;

	pool_init(&pool, 16384);
	cf = pool_zalloc(&pool, sizeof(*cf));
	cf->pool = pool;
	memset(&ld, 0, sizeof(ld));
	ld.cf = cf;
	ld.pool = &cf->pool;
	ld.check_files = check_files;
	cf->file = pool_strdup(&cf->pool, path);

	apply_defaults(&ld);
	if (load_file(&ld, path, NULL) == 0 && ld.errors == 0) {
		inherit(cf);
		conf_check(&ld);
	}
	if (ld.errors != 0) {
		conf_free(cf);
		return NULL;
	}
	return cf;
}

void
conf_free(struct config *cf)
{
	struct pool pool;

	if (cf == NULL)
		return;
	conf_release(cf);
	pool = cf->pool;
	pool_destroy(&pool);
}
