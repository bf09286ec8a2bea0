/*
 * nginx directives onto portico settings, by SPEC.md section 3's rules.
 * The daemon's setting table says which directives are portico settings
 * of the same name, where each is allowed and its shape: a boolean (on/off
 * become true/false), SET_LIST (repeats become an array), SET_GROUP (a
 * group keyed by the first argument); anything else takes the arguments
 * as one string.  The special cases are those the rules name: the http,
 * server, location and upstream blocks, an upstream's servers and method,
 * add_header ... always, allow and deny in one ordered "access", an
 * include of a types table, error_log with a level, log_format.
 *
 * A directive of nginx's process model that changes no response is
 * dropped with a comment saying why (the drops table); any other
 * directive portico lacks becomes a "not translated" comment and counts
 * as untranslated.  Input nginx itself would refuse (a block directive
 * ended by ";", a plain one opening a block, a duplicate upstream) makes
 * the whole conversion fail.
 */
#include "config.h"

#include <ctype.h>
#include <err.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "conf_int.h"
#include "convert.h"
#include "log.h"

struct conv {
	struct pool	*pool;
	int		 errors;	/* input nginx would refuse */
	int		 untranslated;
};

typedef void	conv_fn(struct conv *, struct block *, const struct ngx_dir *);

static void	directives(struct conv *, struct block *, const struct ngx_dir *);

/* Directives that do not apply to portico's model and change no response. */
static const struct drop {
	const char	*name;
	bool		 block;
	const char	*why;
} drops[] = {
	{ "worker_processes", false,
	    "portico's master sizes its pool of workers itself; see workers" },
	{ "events", true,
	    "settings of nginx's event loop; a portico worker serves one "
	    "connection at a time and the pool grows to workers.max" },
	{ "worker_rlimit_nofile", false,
	    "a portico worker holds the files of one connection at a time" },
	{ "daemon", false, "portico -f stays in the foreground" },
	{ "master_process", false, "portico always runs a master and workers" },
	{ "load_module", false,
	    "portico has no dynamic modules; a directive of the module is "
	    "reported where it is used" },
	{ "tcp_nopush", false, "a TCP packet tuning for sendfile" },
	{ "types_hash_max_size", false, "sizes nginx's hash of media types" },
	{ "types_hash_bucket_size", false, "sizes nginx's hash of media types" },
	{ "server_names_hash_max_size", false,
	    "sizes nginx's hash of server names" },
	{ "server_names_hash_bucket_size", false,
	    "sizes nginx's hash of server names" },
	{ "zone", false, "portico keeps every upstream's state in shared memory" },
};

/* The directive as nginx would read it back, for comments: one line. */
static const char *
show(struct conv *cv, const struct ngx_dir *d)
{
	struct buf b = { 0 };
	const char *s, *out;
	size_t i;

	for (i = 0; i < d->nargs; i++) {
		s = d->args[i];
		if (i > 0)
			buf_addc(&b, ' ');
		if (*s != '\0' && strcspn(s, " \t\r\n;{}\"'#\\") == strlen(s)) {
			buf_adds(&b, s);
			continue;
		}
		cf_quote(&b, s);
	}
	buf_adds(&b, d->block ? " { ... }" : ";");
	out = pool_strndup(cv->pool, b.p, b.len);
	buf_free(&b);
	return out;
}

static struct item *
item_new(struct conv *cv, struct block *b, enum item_kind kind, const char *name,
    const struct ngx_dir *from)
{
	struct item *it = pool_zalloc(cv->pool, sizeof(*it));

	it->kind = kind;
	it->name = name;
	it->from = from;
	*b->itail = it;
	b->itail = &it->next;
	return it;
}

static void
item_push(struct conv *cv, struct item *it, const char *s)
{
	it->v = pool_grow(cv->pool, it->v, it->n, sizeof(*it->v));
	it->v[it->n++] = s;
}

static struct item *
item_find(const struct block *b, const char *name)
{
	struct item *it;

	for (it = b->items; it != NULL; it = it->next)
		if (it->kind != IT_COMMENT && strcmp(it->name, name) == 0)
			return it;
	return NULL;
}

static void
comment(struct conv *cv, struct block *b, const struct ngx_dir *d,
    const char *what, const char *why)
{
	item_new(cv, b, IT_COMMENT, pool_printf(cv->pool, "%s:%d: %s (%s): %s",
	    d->file, d->line, what, why, show(cv, d)), d);
}

static void
untranslated(struct conv *cv, struct block *b, const struct ngx_dir *d,
    const char *fmt, ...)
{
	va_list ap;
	char why[1024];

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	comment(cv, b, d, "not translated", why);
	warnx("%s:%d: \"%s\" not translated: %s", d->file, d->line, d->args[0], why);
	cv->untranslated++;
}

/* Input nginx would refuse. */
static void
refuse(struct conv *cv, const struct ngx_dir *d, const char *fmt, ...)
{
	va_list ap;
	char why[1024];

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	warnx("%s:%d: %s", d->file, d->line, why);
	cv->errors++;
}

/* A block directive must open a block, any other must end with ";". */
static bool
shape_ok(struct conv *cv, const struct ngx_dir *d, bool block)
{
	if (d->block == block)
		return true;
	refuse(cv, d, block ? "directive \"%s\" has no opening \"{\"" :
	    "directive \"%s\" is not terminated by \";\"", d->args[0]);
	return false;
}

static bool
nargs_ok(struct conv *cv, struct block *b, const struct ngx_dir *d, size_t min,
    size_t max)
{
	if (d->nargs >= min && d->nargs <= max)
		return true;
	untranslated(cv, b, d, "unexpected number of arguments");
	return false;
}

/* A portico setting that an nginx directive of that name maps onto. */
static const struct setting *
portico_setting(const char *name, unsigned ctx)
{
	const struct setting *s = setting_lookup(name, ctx);

	return s != NULL && !(s->flags & SET_STRUCTURE) ? s : NULL;
}

/* Why setting is not to be had in b: unknown, or where it is allowed. */
static void
not_here(struct conv *cv, struct block *b, const struct ngx_dir *d,
    const char *setting)
{
	char where[256] = "";
	unsigned ctx = 0, bit;
	size_t i;

	for (i = 0; i < nsettings; i++)
		if (strcmp(settings[i].name, setting) == 0)
			ctx |= settings[i].ctx;
	if (ctx == 0) {
		untranslated(cv, b, d, "portico has no \"%s\"", setting);
		return;
	}
	for (bit = CTX_MAIN; bit <= CTX_UPSTREAM; bit <<= 1) {
		if (!(ctx & bit))
			continue;
		ctx &= ~bit;
		snprintf(where + strlen(where), sizeof(where) - strlen(where), "%s%s",
		    *where == '\0' ? "" : ctx == 0 ? " or " : ", ", conf_ctx_name(bit));
	}
	untranslated(cv, b, d, "portico allows \"%s\" only %s", setting, where);
}

/* Arguments from the first, joined by sep. */
static const char *
join(struct conv *cv, const struct ngx_dir *d, size_t first, const char *sep)
{
	struct buf b = { 0 };
	const char *out;
	size_t i;

	for (i = first; i < d->nargs; i++) {
		if (i > first)
			buf_adds(&b, sep);
		buf_adds(&b, d->args[i]);
	}
	out = pool_strndup(cv->pool, b.p, b.len);
	buf_free(&b);
	return out;
}

/* Where portico's parser for the value reads it otherwise than nginx's:
 * why, or NULL. */
static const char *
value_problem(struct conv *cv, const struct setting *s, const char *v)
{
	struct listen_addr la;
	const char *err;
	long long n;

	if (s->set == set_msec && parse_msec(v, &n) != 0)
		return "portico's durations are a number and one unit, such as "
		    "\"90s\" or \"5m\"";
	if (s->set == set_size && parse_size(v, &n) != 0)
		return "portico's sizes are a number and one unit, such as \"64k\"";
	if (s->set == set_listen && parse_listen(v, true, &la, &err) != 0)
		return pool_printf(cv->pool, "portico's listen: %s", err);
	return NULL;
}

/* A string setting, or one more element of a list. */
static void
value_set(struct conv *cv, struct block *b, const struct setting *s,
    const struct ngx_dir *d, const char *v)
{
	struct item *it = item_find(b, s->name);
	const char *why;

	if ((why = value_problem(cv, s, v)) != NULL) {
		untranslated(cv, b, d, "%s", why);
		return;
	}
	if (it != NULL && it->kind != IT_LIST) {
		untranslated(cv, b, d, "\"%s\" is set already, at %s:%d", s->name,
		    it->from->file, it->from->line);
		return;
	}
	if (it == NULL)
		it = item_new(cv, b, s->flags & SET_LIST ? IT_LIST : IT_STRING,
		    s->name, d);
	item_push(cv, it, v);
}

/* The arguments from first as the setting's one string.  Only the last may
 * hold white space: inside the string it could not be told apart.  (A
 * setting whose arguments are values of their own takes each.) */
static void
args_set(struct conv *cv, struct block *b, const struct setting *s,
    const struct ngx_dir *d, size_t first)
{
	size_t i;

	if (s->flags & SET_EACH) {
		for (i = first; i < d->nargs; i++)
			value_set(cv, b, s, d, d->args[i]);
		return;
	}
	for (i = first; i + 1 < d->nargs; i++)
		if (d->args[i][strcspn(d->args[i], " \t\r\n")] != '\0') {
			untranslated(cv, b, d, "argument \"%s\" holds white space, "
			    "which portico's one string cannot keep apart", d->args[i]);
			return;
		}
	value_set(cv, b, s, d, join(cv, d, first, " "));
}

/* libconfig's setting names: a group key must be one. */
static bool
name_ok(const char *s)
{
	if (!isalpha((unsigned char)*s))
		return false;
	for (s++; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

static void
group_set(struct conv *cv, struct block *b, const struct setting *s,
    const struct ngx_dir *d, const char *key, const char *value)
{
	struct item *it = item_find(b, s->name);
	size_t i;

	if (!name_ok(key)) {
		untranslated(cv, b, d, "\"%s\" cannot be a name in libconfig", key);
		return;
	}
	for (i = 0; it != NULL && i < it->n; i += 2)
		if (strcasecmp(it->v[i], key) == 0) {
			untranslated(cv, b, d, "portico holds one \"%s\" per name in "
			    "\"%s\"", key, s->name);
			return;
		}
	if (it == NULL)
		it = item_new(cv, b, IT_GROUP, s->name, d);
	item_push(cv, it, key);
	item_push(cv, it, value);
}

static void
bool_set(struct conv *cv, struct block *b, const struct setting *s,
    const struct ngx_dir *d)
{
	struct item *it = item_find(b, s->name);

	if (d->nargs != 2 || (strcasecmp(d->args[1], "on") != 0 &&
	    strcasecmp(d->args[1], "off") != 0)) {
		untranslated(cv, b, d, "expected \"on\" or \"off\"");
		return;
	}
	if (it != NULL) {
		untranslated(cv, b, d, "\"%s\" is set already, at %s:%d", s->name,
		    it->from->file, it->from->line);
		return;
	}
	item_new(cv, b, IT_BOOL, s->name, d)->b = strcasecmp(d->args[1], "on") == 0;
}

/* The general rule: a directive is the portico setting of its name. */
static void
conv_setting(struct conv *cv, struct block *b, const struct ngx_dir *d)
{
	const struct setting *s = portico_setting(d->args[0], b->ctx);

	if (s == NULL) {
		not_here(cv, b, d, d->args[0]);
		return;
	}
	if (!shape_ok(cv, d, false) || !nargs_ok(cv, b, d, 2, SIZE_MAX))
		return;
	if (s->set == set_bool)
		bool_set(cv, b, s, d);
	else if (s->flags & SET_GROUP) {
		if (nargs_ok(cv, b, d, 3, 3))
			group_set(cv, b, s, d, d->args[1], d->args[2]);
	} else
		args_set(cv, b, s, d, 1);
}

static struct block *
block_new(struct conv *cv, struct block *outer, unsigned ctx)
{
	struct block *nb = pool_zalloc(cv->pool, sizeof(*nb));

	nb->ctx = ctx;
	nb->outer = outer;
	nb->itail = &nb->items;
	nb->ktail = &nb->kids;
	nb->utail = &nb->ups;
	return nb;
}

/* A block portico holds in a list ("servers", "locations"). */
static struct block *
kid_new(struct conv *cv, struct block *b, const struct ngx_dir *d,
    const char *list, unsigned ctx)
{
	struct block *nb;

	if (!shape_ok(cv, d, true))
		return NULL;
	if (setting_lookup(list, b->ctx) == NULL) {
		if (b->ctx == ctx)
			untranslated(cv, b, d, "portico has no nested %s", list);
		else
			not_here(cv, b, d, list);
		return NULL;
	}
	nb = block_new(cv, b, ctx);
	*b->ktail = nb;
	b->ktail = &nb->next;
	return nb;
}

static void
conv_http(struct conv *cv, struct block *b, const struct ngx_dir *d)
{
	if (!shape_ok(cv, d, true))
		return;
	if (b->ctx != CTX_MAIN)
		untranslated(cv, b, d, "an http block belongs at the top");
	else
		directives(cv, b, d->children);
}

static void
conv_server(struct conv *cv, struct block *b, const struct ngx_dir *d)
{
	struct block *nb;

	if (b->ctx == CTX_UPSTREAM) {	/* server ADDRESS [PARAMETERS] */
		if (shape_ok(cv, d, false) && nargs_ok(cv, b, d, 2, SIZE_MAX))
			args_set(cv, b, setting_lookup("servers", CTX_UPSTREAM), d, 1);
		return;
	}
	if ((nb = kid_new(cv, b, d, "servers", CTX_SERVER)) != NULL)
		directives(cv, nb, d->children);
}

static void
conv_location(struct conv *cv, struct block *b, const struct ngx_dir *d)
{
	struct block *nb;

	if (d->nargs < 2 || d->nargs > 3) {
		refuse(cv, d, "invalid number of arguments in \"location\" directive");
		return;
	}
	if ((nb = kid_new(cv, b, d, "locations", CTX_LOCATION)) == NULL)
		return;
	item_push(cv, item_new(cv, nb, IT_STRING, "match", d), join(cv, d, 1, " "));
	directives(cv, nb, d->children);
}

static void
conv_upstream(struct conv *cv, struct block *b, const struct ngx_dir *d)
{
	struct block *nb, *u;

	if (!shape_ok(cv, d, true))
		return;
	if (d->nargs != 2) {
		refuse(cv, d, "invalid number of arguments in \"upstream\" directive");
		return;
	}
	if (setting_lookup("upstreams", b->ctx) == NULL) {
		not_here(cv, b, d, "upstreams");
		return;
	}
	for (u = b->ups; u != NULL; u = u->next)
		if (strcasecmp(u->name, d->args[1]) == 0) {
			refuse(cv, d, "duplicate upstream \"%s\"", d->args[1]);
			return;
		}
	if (!name_ok(d->args[1])) {
		untranslated(cv, b, d, "portico's upstream names are letters, digits, "
		    "\"-\" and \"_\"");
		return;
	}
	nb = block_new(cv, b, CTX_UPSTREAM);
	nb->name = d->args[1];
	*b->utail = nb;
	b->utail = &nb->next;
	directives(cv, nb, d->children);
}

/* least_conn; ip_hash; hash KEY [consistent];  The directive is the
 * method's value. */
static void
conv_method(struct conv *cv, struct block *b, const struct ngx_dir *d)
{
	const struct setting *s = portico_setting("method", b->ctx);

	if (s == NULL)
		not_here(cv, b, d, "method");
	else if (shape_ok(cv, d, false))
		args_set(cv, b, s, d, 0);
}

/* add_header NAME VALUE [always] */
static void
conv_add_header(struct conv *cv, struct block *b, const struct ngx_dir *d)
{
	bool always = d->nargs == 4 && strcmp(d->args[3], "always") == 0;
	const char *name = always ? "add_header_always" : "add_header";
	const struct setting *s = portico_setting(name, b->ctx);

	if (s == NULL)
		not_here(cv, b, d, name);
	else if (shape_ok(cv, d, false) && nargs_ok(cv, b, d, 3, always ? 4 : 3))
		group_set(cv, b, s, d, d->args[1], d->args[2]);
}

/* allow ADDRESS; deny ADDRESS: one ordered list, first match wins. */
static void
conv_access(struct conv *cv, struct block *b, const struct ngx_dir *d)
{
	const struct setting *s = portico_setting("access", b->ctx);

	if (s == NULL)
		not_here(cv, b, d, "access");
	else if (shape_ok(cv, d, false) && nargs_ok(cv, b, d, 2, 2))
		args_set(cv, b, s, d, 0);
}

/* error_log FILE LEVEL: the level is portico's separate log_level. */
static void
conv_error_log(struct conv *cv, struct block *b, const struct ngx_dir *d)
{
	const struct setting *file = portico_setting("error_log", b->ctx);
	const struct setting *level = portico_setting("log_level", b->ctx);

	if (d->nargs != 3)
		conv_setting(cv, b, d);
	else if (!shape_ok(cv, d, false))
		return;
	else if (file == NULL)
		not_here(cv, b, d, "error_log");
	else if (level == NULL)
		untranslated(cv, b, d, "portico sets the level once, by log_level at "
		    "the main level");
	else if (log_level_parse(d->args[2]) < 0)
		untranslated(cv, b, d, "portico has no log level \"%s\"", d->args[2]);
	else {
		value_set(cv, b, file, d, d->args[1]);
		value_set(cv, b, level, d, d->args[2]);
	}
}

/* log_format NAME STRING ...: nginx concatenates the strings. */
static void
conv_log_format(struct conv *cv, struct block *b, const struct ngx_dir *d)
{
	const struct setting *s = portico_setting("log_format", b->ctx);

	if (s == NULL)
		not_here(cv, b, d, "log_format");
	else if (!shape_ok(cv, d, false) || !nargs_ok(cv, b, d, 3, SIZE_MAX))
		return;
	else if (strncmp(d->args[2], "escape=", 7) == 0)
		untranslated(cv, b, d, "portico's log formats have no escape=");
	else
		group_set(cv, b, s, d, d->args[1], join(cv, d, 2, ""));
}

static void
conv_types(struct conv *cv, struct block *b, const struct ngx_dir *d)
{
	if (shape_ok(cv, d, true))
		untranslated(cv, b, d, "portico reads media types from types_file, "
		    "in the format of /etc/mime.types");
}

/* include of a file that holds only a types block: nginx's mime.types. */
static bool
types_table(const struct ngx_dir *d)
{
	const struct ngx_dir *c = d->children;

	return c != NULL && c->next == NULL && c->block && c->nargs == 1 &&
	    strcmp(c->args[0], "types") == 0;
}

/* nginx's mime.types becomes portico's own copy of that table, the
 * default types_file. */
static void
conv_types_file(struct conv *cv, struct block *b, const struct ngx_dir *d)
{
	const struct setting *s = portico_setting("types_file", b->ctx);
	const char *dflt;

	if (s == NULL) {
		not_here(cv, b, d, "types_file");
		return;
	}
	comment(cv, b, d, "translated", "portico's copy of nginx's media types");
	dflt = pool_strndup(cv->pool, s->dflt + 1, strlen(s->dflt) - 2);
	value_set(cv, b, s, d, dflt);
}

static void
conv_include(struct conv *cv, struct block *b, const struct ngx_dir *d)
{
	if (!shape_ok(cv, d, false))
		return;
	if (types_table(d))
		conv_types_file(cv, b, d);
	else
		directives(cv, b, d->children);
}

static const struct special {
	const char	*name;
	conv_fn		*fn;
} specials[] = {
	{ "include", conv_include },
	{ "http", conv_http },
	{ "server", conv_server },
	{ "location", conv_location },
	{ "upstream", conv_upstream },
	{ "types", conv_types },
	{ "least_conn", conv_method },
	{ "ip_hash", conv_method },
	{ "hash", conv_method },
	{ "add_header", conv_add_header },
	{ "allow", conv_access },
	{ "deny", conv_access },
	{ "error_log", conv_error_log },
	{ "log_format", conv_log_format },
};

static void
directive(struct conv *cv, struct block *b, const struct ngx_dir *d)
{
	size_t i;

	for (i = 0; i < sizeof(specials) / sizeof(specials[0]); i++)
		if (strcmp(d->args[0], specials[i].name) == 0) {
			specials[i].fn(cv, b, d);
			return;
		}
	for (i = 0; i < sizeof(drops) / sizeof(drops[0]); i++)
		if (strcmp(d->args[0], drops[i].name) == 0) {
			if (shape_ok(cv, d, drops[i].block))
				comment(cv, b, d, "dropped", drops[i].why);
			return;
		}
	conv_setting(cv, b, d);
}

static void
directives(struct conv *cv, struct block *b, const struct ngx_dir *d)
{
	for (; d != NULL; d = d->next)
		directive(cv, b, d);
}

struct block *
convert(struct pool *pool, const struct ngx_dir *top, int *untranslated)
{
	struct conv cv = { pool, 0, 0 };
	struct block *main = block_new(&cv, NULL, CTX_MAIN);

	directives(&cv, main, top);
	merge_notes(pool, main);
	*untranslated = cv.untranslated;
	return cv.errors ? NULL : main;
}
