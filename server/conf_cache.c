/*
 * Setters of the proxy cache settings (proxy_cache_path, proxy_cache,
 * proxy_cache_valid, proxy_cache_methods, proxy_cache_bypass and
 * proxy_no_cache, proxy_cache_use_stale), and their check once every file
 * is loaded: each proxy_cache names a zone that exists, and (unless the
 * load touches no file) each cache directory exists (made if missing, as
 * nginx -t does) and can be written by the worker user.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <unistd.h>

#include "cache_file.h"
#include "conf_int.h"
#include "http.h"

#define SET_ARGS struct cfload *ld, struct level *lv, const config_setting_t *v, \
	void *field

#define ZONE_MIN	8192	/* two pages, as nginx */

static bool
valid_zone_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

/* "levels=1:2": one to three levels of one or two characters each. */
static int
parse_levels(const char *s, struct cache_path *cp)
{
	cp->nlevels = 0;
	for (;;) {
		if (cp->nlevels == 3 || (*s != '1' && *s != '2'))
			return -1;
		cp->levels[cp->nlevels++] = *s++ - '0';
		if (*s == '\0')
			return 0;
		if (*s++ != ':')
			return -1;
	}
}

/* "keys_zone=NAME:SIZE" */
static int
parse_keys_zone(struct cfload *ld, const char *s, struct cache_path *cp)
{
	const char *colon = strrchr(s, ':');

	if (colon == NULL || !valid_zone_name(s, (size_t)(colon - s)) ||
	    parse_size(colon + 1, &cp->zone_size) != 0)
		return -1;
	cp->name = pool_strndup(ld->pool, s, (size_t)(colon - s));
	return 0;
}

/* One parameter after the path; -1 with *why set when it is wrong. */
static int
cache_path_param(struct cfload *ld, const char *tok, struct cache_path *cp,
    const char **why)
{
	if (strncmp(tok, "levels=", 7) == 0) {
		*why = "levels are one to three of 1 or 2, such as levels=1:2";
		return parse_levels(tok + 7, cp);
	}
	if (strncmp(tok, "keys_zone=", 10) == 0) {
		*why = "expected keys_zone=NAME:SIZE";
		return parse_keys_zone(ld, tok + 10, cp);
	}
	if (strncmp(tok, "max_size=", 9) == 0) {
		*why = "max_size is a size such as 10g";
		return parse_size(tok + 9, &cp->max_size);
	}
	if (strncmp(tok, "inactive=", 9) == 0) {
		*why = "inactive is a duration such as 10m";
		return parse_msec(tok + 9, &cp->inactive);
	}
	if (strcmp(tok, "use_temp_path=on") == 0 ||
	    strcmp(tok, "use_temp_path=off") == 0) {
		cp->use_temp_path = tok[14] == 'n';
		return 0;
	}
	*why = "expected levels=, keys_zone=, max_size=, inactive= or use_temp_path=";
	return -1;
}

static int
parse_cache_path(struct cfload *ld, const config_setting_t *v, const char *s,
    struct cache_path *cp)
{
	char *copy = pool_strdup(ld->pool, s), *tok, *save;
	const char *why = NULL;

	memset(cp, 0, sizeof(*cp));
	cp->inactive = 10 * 60 * 1000;
	cp->use_temp_path = true;
	cp->file = ld->file;
	cp->line = cf_line(v);
	tok = strtok_r(copy, " \t", &save);
	if (tok == NULL) {
		cf_error(ld, v, "invalid proxy_cache_path \"%s\": expected \"PATH "
		    "keys_zone=NAME:SIZE ...\"", s);
		return -1;
	}
	cp->path = cf_path(ld, tok);
	while ((tok = strtok_r(NULL, " \t", &save)) != NULL)
		if (cache_path_param(ld, tok, cp, &why) != 0) {
			cf_error(ld, v, "invalid parameter \"%s\" in proxy_cache_path: %s",
			    tok, why);
			return -1;
		}
	if (cp->name == NULL) {
		cf_error(ld, v, "proxy_cache_path \"%s\" has no keys_zone=NAME:SIZE", s);
		return -1;
	}
	if (cp->zone_size < ZONE_MIN) {
		cf_error(ld, v, "keys_zone \"%s\" is too small: at least %d bytes",
		    cp->name, ZONE_MIN);
		return -1;
	}
	return 0;
}

int
set_cache_paths(SET_ARGS)
{
	const char **strs;
	size_t n, i, j;
	struct cache_paths *cps = field;

	if (cf_strings(ld, v, &strs, &n) != 0)
		return -1;
	cps->v = pool_zalloc(ld->pool, sizeof(*cps->v) * (n ? n : 1));
	cps->n = 0;
	for (i = 0; i < n; i++) {
		if (parse_cache_path(ld, v, strs[i], &cps->v[i]) != 0)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(cps->v[j].name, cps->v[i].name) == 0 ||
			    strcmp(cps->v[j].path, cps->v[i].path) == 0) {
				cf_error(ld, v, "proxy_cache_path \"%s\" repeats the zone "
				    "name or the directory of \"%s\"", strs[i], strs[j]);
				return -1;
			}
		cps->n++;
	}
	return 0;
}

/* A zone name, or "off" (false). */
int
set_proxy_cache(SET_ARGS)
{
	struct cache_use *use;
	const char *s;

	if (config_setting_type(v) == CONFIG_TYPE_BOOL &&
	    !config_setting_get_bool(v)) {
		*(struct cache_use **)field = NULL;
		return 0;
	}
	if (config_setting_type(v) == CONFIG_TYPE_BOOL || cf_string(ld, v, &s) != 0 ||
	    (strcmp(s, "off") != 0 && !valid_zone_name(s, strlen(s)))) {
		cf_error(ld, v, "\"proxy_cache\" must be the name of a keys_zone or "
		    "\"off\"");
		return -1;
	}
	if (strcmp(s, "off") == 0) {
		*(struct cache_use **)field = NULL;
		return 0;
	}
	use = pool_zalloc(ld->pool, sizeof(*use));
	use->name = pool_strdup(ld->pool, s);
	use->file = ld->file;
	use->line = cf_line(v);
	*(struct cache_use **)field = use;
	return 0;
}

/* "[CODE ...|any] TIME"; a time alone means 200 301 302, as nginx. */
static int
parse_cache_valid(struct cfload *ld, const char *s, struct cache_valid *cv)
{
	static int plain[] = { 200, 301, 302 };
	char *copy = pool_strdup(ld->pool, s), *tok, *save, *toks[64];
	size_t n = 0, i;
	int code;

	for (tok = strtok_r(copy, " \t", &save); tok != NULL && n < 64;
	    tok = strtok_r(NULL, " \t", &save))
		toks[n++] = tok;
	if (n == 0 || parse_msec(toks[n - 1], &cv->ms) != 0)
		return -1;
	if (n == 1) {
		cv->codes = plain;
		cv->ncodes = 3;
		return 0;
	}
	cv->codes = pool_alloc(ld->pool, sizeof(int) * n);
	for (i = 0; i + 1 < n; i++) {
		if (strcmp(toks[i], "any") == 0) {
			cv->any = true;
			continue;
		}
		if ((code = parse_code(toks[i], strlen(toks[i]), 100, 599)) < 0)
			return -1;
		cv->codes[cv->ncodes++] = code;
	}
	return 0;
}

int
set_cache_valid(SET_ARGS)
{
	const char **strs;
	size_t n, i;
	struct cache_valids *cvs = field;

	if (cf_strings(ld, v, &strs, &n) != 0)
		return -1;
	cvs->v = pool_zalloc(ld->pool, sizeof(*cvs->v) * (n ? n : 1));
	cvs->n = n;
	for (i = 0; i < n; i++)
		if (parse_cache_valid(ld, strs[i], &cvs->v[i]) != 0) {
			cf_error(ld, v, "invalid proxy_cache_valid \"%s\": expected "
			    "\"[CODE ...|any] TIME\"", strs[i]);
			return -1;
		}
	return 0;
}

/* GET and HEAD are always cached; POST may be added, as in nginx. */
int
set_cache_methods(SET_ARGS)
{
	static const struct word methods[] = {
		{ "GET", 1 << M_GET }, { "HEAD", 1 << M_HEAD }, { "POST", 1 << M_POST },
	};
	const char *s, *bad;

	if (cf_string(ld, v, &s) != 0)
		return -1;
	if (cf_words(ld, s, methods, 3, field, &bad) != 0) {
		cf_error(ld, v, "invalid proxy_cache_methods \"%s\": expected GET, "
		    "HEAD or POST", s);
		return -1;
	}
	*(int *)field |= 1 << M_GET | 1 << M_HEAD;
	return 0;
}

/* Each word of each string is one predicate: nginx's arguments
 * ("$cookie_nocache $arg_nocache"). */
int
set_predicates(SET_ARGS)
{
	const char **strs;
	char *copy, *tok, *save;
	size_t n, i;
	struct predicates *pr = field;

	if (cf_strings(ld, v, &strs, &n) != 0)
		return -1;
	pr->n = 0;
	for (i = 0; i < n; i++) {
		copy = pool_strdup(ld->pool, strs[i]);
		for (tok = strtok_r(copy, " \t", &save); tok != NULL;
		    tok = strtok_r(NULL, " \t", &save)) {
			pr->v = pool_grow(ld->pool, pr->v, pr->n, sizeof(*pr->v));
			if ((pr->v[pr->n++] = cf_compile(ld, v, tok)) == NULL)
				return -1;
		}
	}
	return 0;
}

int
set_use_stale(SET_ARGS)
{
	static const struct word conds[] = {
		{ "error", STALE_ERROR }, { "timeout", STALE_TIMEOUT },
		{ "invalid_header", STALE_INVALID_HEADER },
		{ "updating", STALE_UPDATING }, { "http_500", STALE_HTTP_500 },
		{ "http_502", STALE_HTTP_502 }, { "http_503", STALE_HTTP_503 },
		{ "http_504", STALE_HTTP_504 }, { "http_403", STALE_HTTP_403 },
		{ "http_404", STALE_HTTP_404 }, { "http_429", STALE_HTTP_429 },
	};
	const char *s = "true", *bad;

	*(int *)field = 0;
	if (config_setting_type(v) == CONFIG_TYPE_BOOL &&
	    !config_setting_get_bool(v))
		return 0;
	if (config_setting_type(v) != CONFIG_TYPE_BOOL && cf_string(ld, v, &s) != 0)
		return -1;
	if (strcmp(s, "off") != 0 &&
	    cf_words(ld, s, conds, sizeof(conds) / sizeof(conds[0]), field, &bad) != 0) {
		cf_error(ld, v, "invalid proxy_cache_use_stale \"%s\": expected "
		    "\"off\" or conditions among error, timeout, invalid_header, "
		    "updating, http_500, http_502, http_503, http_504, http_403, "
		    "http_404, http_429", s);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- checks */

static struct cache_path *
find_zone(struct config *cf, const char *name)
{
	size_t i;

	for (i = 0; i < cf->main.cache_paths.n; i++)
		if (strcmp(cf->main.cache_paths.v[i].name, name) == 0)
			return &cf->main.cache_paths.v[i];
	return NULL;
}

static void
resolve_use(struct cfload *ld, struct cache_use *use)
{
	if (use == NULL || use->path != NULL)
		return;
	use->path = find_zone(ld->cf, use->name);
	if (use->path == NULL)
		conf_error_at(ld, use->file, use->line, "\"proxy_cache\" zone \"%s\" is "
		    "unknown (no proxy_cache_path has keys_zone=%s:SIZE)", use->name,
		    use->name);
}

void
conf_check_caches(struct cfload *ld)
{
	struct config *cf = ld->cf;
	const struct main_conf *m = &cf->main;
	char why[512];
	size_t i, j;

	resolve_use(ld, cf->sc.proxy_cache);
	for (i = 0; i < cf->nservers; i++) {
		resolve_use(ld, cf->servers[i]->sc.proxy_cache);
		for (j = 0; j < cf->servers[i]->nlocs; j++)
			resolve_use(ld, cf->servers[i]->locs[j]->sc.proxy_cache);
	}
	for (i = 0; i < m->cache_paths.n && ld->check_files; i++) {
		const struct cache_path *cp = &m->cache_paths.v[i];
		if (cache_dir_prepare(cp->path, geteuid() == 0 ? m->uid : geteuid(),
		    m->gid, m->groups, m->ngroups, why, sizeof(why)) != 0)
			conf_error_at(ld, cp->file, cp->line, "proxy_cache_path: %s", why);
	}
}
