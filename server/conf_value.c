/*
 * Setters for plain values: booleans, numbers, durations, sizes, strings,
 * paths, and the small structured values of the main level (user, workers,
 * log_level) and of every level (index, expires, access).
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"
#include "log.h"

#define SET_ARGS struct cfload *ld, struct level *lv, const config_setting_t *v, \
	void *field

/* "500ms", "10s", "5m", "1h", "1d", "2w" or a bare number of seconds. */
int
parse_msec(const char *s, long long *out)
{
	char *end;
	long long n, mult;

	errno = 0;
	if (!isdigit((unsigned char)*s))
		return -1;
	n = strtoll(s, &end, 10);
	if (errno != 0)
		return -1;
	if (strcmp(end, "ms") == 0)
		mult = 1;
	else if (*end == '\0' || strcmp(end, "s") == 0)
		mult = 1000;
	else if (strcmp(end, "m") == 0)
		mult = 60 * 1000;
	else if (strcmp(end, "h") == 0)
		mult = 3600 * 1000;
	else if (strcmp(end, "d") == 0)
		mult = 86400 * 1000;
	else if (strcmp(end, "w") == 0)
		mult = 7 * 86400LL * 1000;
	else
		return -1;
	if (n > LLONG_MAX / mult)
		return -1;
	*out = n * mult;
	return 0;
}

/* "512", "1k", "10m", "1g" (either case). */
int
parse_size(const char *s, long long *out)
{
	char *end;
	long long n, mult = 1;

	errno = 0;
	if (!isdigit((unsigned char)*s))
		return -1;
	n = strtoll(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case '\0':			break;
	case 'k': case 'K':	mult = 1LL << 10; end++; break;
	case 'm': case 'M':	mult = 1LL << 20; end++; break;
	case 'g': case 'G':	mult = 1LL << 30; end++; break;
	default:		return -1;
	}
	if (*end != '\0' || n > LLONG_MAX / mult)
		return -1;
	*out = n * mult;
	return 0;
}

int
set_bool(SET_ARGS)
{
	if (config_setting_type(v) != CONFIG_TYPE_BOOL) {
		cf_error(ld, v, "\"%s\" must be true or false", config_setting_name(v));
		return -1;
	}
	*(int *)field = config_setting_get_bool(v);
	return 0;
}

/* An integer, or a string holding one: settings read from nginx habits
 * ("1000") are accepted either way. */
static int
get_number(struct cfload *ld, const config_setting_t *v,
    int (*parse)(const char *, long long *), const char *what, long long *out)
{
	int t = config_setting_type(v);
	const char *name = config_setting_name(v);

	if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) {
		*out = config_setting_get_int64(v);
		if (*out < 0) {
			cf_error(ld, v, "\"%s\" must not be negative", name);
			return -1;
		}
		if (parse == parse_msec)
			*out *= 1000;
		return 0;
	}
	if (t != CONFIG_TYPE_STRING) {
		cf_error(ld, v, "\"%s\" must be %s", name, what);
		return -1;
	}
	if (parse(config_setting_get_string(v), out) != 0) {
		cf_error(ld, v, "invalid value \"%s\" for \"%s\": expected %s",
		    config_setting_get_string(v), name, what);
		return -1;
	}
	return 0;
}

static int
parse_plain(const char *s, long long *out)
{
	char *end;

	errno = 0;
	if (!isdigit((unsigned char)*s))
		return -1;
	*out = strtoll(s, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

/* The flags a string of words names ("error timeout"), each looked up in
 * words[]; -1 with *unknown at the first word that is not there. */
int
cf_words(struct cfload *ld, const char *s, const struct word *words, size_t n,
    int *flags, const char **unknown)
{
	char *copy = pool_strdup(ld->pool, s), *tok, *save;
	size_t i;

	*flags = 0;
	for (tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		for (i = 0; i < n && strcmp(tok, words[i].name) != 0; i++)
			;
		if (i == n) {
			*unknown = tok;
			return -1;
		}
		*flags |= words[i].flag;
	}
	return 0;
}

int
set_int(SET_ARGS)
{
	return get_number(ld, v, parse_plain, "a number", field);
}

/* An integer from lo to hi. */
int
cf_int_between(struct cfload *ld, const config_setting_t *v, long long *n,
    long long lo, long long hi)
{
	if (get_number(ld, v, parse_plain, "a number", n) != 0)
		return -1;
	if (*n < lo || *n > hi) {
		cf_error(ld, v, "%s must be between %lld and %lld",
		    config_setting_name(v), lo, hi);
		return -1;
	}
	return 0;
}

int
set_msec(SET_ARGS)
{
	return get_number(ld, v, parse_msec,
	    "a duration such as \"500ms\", \"10s\", \"5m\", \"1h\"", field);
}

/* How long before a connection is parked with the keeper, or "off" (-1,
 * also false): never. */
int
set_park(SET_ARGS)
{
	if ((config_setting_type(v) == CONFIG_TYPE_STRING &&
	    strcmp(config_setting_get_string(v), "off") == 0) ||
	    (config_setting_type(v) == CONFIG_TYPE_BOOL &&
	    !config_setting_get_bool(v))) {
		*(long long *)field = -1;
		return 0;
	}
	return set_msec(ld, lv, v, field);
}

int
set_size(SET_ARGS)
{
	return get_number(ld, v, parse_size,
	    "a size such as \"512\", \"64k\", \"10m\", \"1g\"", field);
}

int
set_string(SET_ARGS)
{
	const char *s;

	if (cf_string(ld, v, &s) != 0)
		return -1;
	*(char **)field = pool_strdup(ld->pool, s);
	return 0;
}

int
set_path(SET_ARGS)
{
	const char *s;

	if (cf_string(ld, v, &s) != 0)
		return -1;
	if (*s == '\0') {
		cf_error(ld, v, "\"%s\" must not be empty", config_setting_name(v));
		return -1;
	}
	*(char **)field = cf_path(ld, s);
	return 0;
}

/* root and alias: a directory, relative to the file that names it,
 * possibly with variables.  root loses a trailing slash (it is followed by
 * the URI, which starts with one); alias keeps it, as nginx. */
static int
path_tmpl(struct cfload *ld, const config_setting_t *v, struct tmpl **out,
    bool strip_slash)
{
	const char *s, *err;
	struct tmpl *t;

	if (cf_string(ld, v, &s) != 0)
		return -1;
	if (*s == '\0') {
		cf_error(ld, v, "\"%s\" must not be empty", config_setting_name(v));
		return -1;
	}
	if (*s != '/' && *s != '$')
		s = cf_path(ld, s);
	while (strip_slash && strlen(s) > 1 && s[strlen(s) - 1] == '/')
		s = pool_strndup(ld->pool, s, strlen(s) - 1);
	t = tmpl_compile(ld->pool, s, &err);
	if (t == NULL) {
		cf_error(ld, v, "%s", err);
		return -1;
	}
	*out = t;
	return 0;
}

int
set_root(SET_ARGS)
{
	return path_tmpl(ld, v, field, true);
}

int
set_alias(SET_ARGS)
{
	return path_tmpl(ld, v, &lv->loc->alias, false);
}

/* "www-data" or "www-data www-data" (user and group). */
int
set_user(SET_ARGS)
{
	const char *s, *sp;
	struct main_conf *m = &ld->cf->main;

	if (cf_string(ld, v, &s) != 0)
		return -1;
	sp = strchr(s, ' ');
	if (*s == '\0' || (sp != NULL && (sp[1] == '\0' || strchr(sp + 1, ' ')))) {
		cf_error(ld, v, "invalid value \"%s\" for \"user\": expected "
		    "\"USER\" or \"USER GROUP\"", s);
		return -1;
	}
	m->user = sp ? pool_strndup(ld->pool, s, (size_t)(sp - s)) :
	    pool_strdup(ld->pool, s);
	m->group = sp ? pool_strdup(ld->pool, sp + 1) : NULL;
	return 0;
}

int
set_log_level(SET_ARGS)
{
	const char *s;
	int level;

	if (cf_string(ld, v, &s) != 0)
		return -1;
	level = log_level_parse(s);
	if (level < LV_CRIT) {
		cf_error(ld, v, "invalid log_level \"%s\": expected debug, info, "
		    "notice, warn, error or crit", s);
		return -1;
	}
	*(int *)field = level;
	return 0;
}

int
set_workers(SET_ARGS)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} keys[] = {
		{ "start", offsetof(struct workers_conf, start) },
		{ "min_spare", offsetof(struct workers_conf, min_spare) },
		{ "max_spare", offsetof(struct workers_conf, max_spare) },
		{ "max", offsetof(struct workers_conf, max) },
		{ "max_requests", offsetof(struct workers_conf, max_requests) },
	};
	struct workers_conf *w = field;
	int i, n;
	size_t k;

	if (!config_setting_is_group(v)) {
		cf_error(ld, v, "\"workers\" must be a group: workers = { start = 8; ... };");
		return -1;
	}
	n = config_setting_length(v);
	for (i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(v, (unsigned)i);
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (strcmp(config_setting_name(e), keys[k].name) == 0)
				break;
		if (k == sizeof(keys) / sizeof(keys[0])) {
			cf_error(ld, e, "unknown setting \"workers.%s\"",
			    config_setting_name(e));
			return -1;
		}
		if (get_number(ld, e, parse_plain, "a number",
		    (long long *)((char *)w + keys[k].off)) != 0)
			return -1;
	}
	if (w->max < 1 || w->max > 4096) {
		cf_error(ld, v, "workers.max must be between 1 and 4096");
		return -1;
	}
	if (w->min_spare > w->max_spare) {
		cf_error(ld, v, "workers.min_spare (%lld) exceeds workers.max_spare (%lld)",
		    w->min_spare, w->max_spare);
		return -1;
	}
	if (w->start > w->max || w->min_spare > w->max) {
		cf_error(ld, v, "workers.start and workers.min_spare must not exceed "
		    "workers.max (%lld)", w->max);
		return -1;
	}
	return 0;
}

/* index = "index.html index.htm"; or an array of names. */
int
set_index(SET_ARGS)
{
	const char **v0;
	size_t n0, i, n = 0;
	struct strv *sv = field;
	char *copy, *tok, *save;

	if (cf_strings(ld, v, &v0, &n0) != 0)
		return -1;
	sv->v = pool_alloc(ld->pool, sizeof(char *) * 64);
	for (i = 0; i < n0; i++) {
		copy = pool_strdup(ld->pool, v0[i]);
		for (tok = strtok_r(copy, " \t", &save); tok != NULL;
		    tok = strtok_r(NULL, " \t", &save)) {
			if (n == 64) {
				cf_error(ld, v, "too many index files (64 at most)");
				return -1;
			}
			sv->v[n++] = tok;
		}
	}
	if (n == 0) {
		cf_error(ld, v, "\"index\" needs at least one file name");
		return -1;
	}
	sv->n = n;
	return 0;
}

/* expires = "1h" | "-1" | "epoch" | "max" | "off". */
int
set_expires(SET_ARGS)
{
	struct expires *e = field;
	const char *s;
	long long ms;
	bool neg;

	if (config_setting_type(v) == CONFIG_TYPE_INT ||
	    config_setting_type(v) == CONFIG_TYPE_INT64) {
		e->mode = EXPIRES_REL;
		e->sec = config_setting_get_int64(v);
		return 0;
	}
	if (cf_string(ld, v, &s) != 0)
		return -1;
	if (strcmp(s, "off") == 0) {
		e->mode = EXPIRES_OFF;
		return 0;
	}
	if (strcmp(s, "epoch") == 0) {
		e->mode = EXPIRES_EPOCH;
		return 0;
	}
	if (strcmp(s, "max") == 0) {
		e->mode = EXPIRES_MAX;
		return 0;
	}
	neg = *s == '-';
	if (parse_msec(s + neg, &ms) != 0) {
		cf_error(ld, v, "invalid value \"%s\" for \"expires\": expected a "
		    "duration, \"epoch\", \"max\" or \"off\"", s);
		return -1;
	}
	e->mode = EXPIRES_REL;
	e->sec = (neg ? -ms : ms) / 1000;
	return 0;
}

/* "10.0.0.0/8", "::1", "2001:db8::/32", "all". */
int
parse_cidr(const char *s, struct access_rule *r)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	int max, i;
	char *end;
	long bits;

	if (strcmp(s, "all") == 0) {
		r->family = 0;
		return 0;
	}
	if (len >= sizeof(addr))
		return -1;
	memcpy(addr, s, len);
	addr[len] = '\0';
	memset(r->addr, 0, sizeof(r->addr));
	if (inet_pton(AF_INET, addr, r->addr) == 1) {
		r->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, r->addr) == 1) {
		r->family = AF_INET6;
		max = 128;
	} else
		return -1;
	bits = max;
	if (slash != NULL) {
		if (!isdigit((unsigned char)slash[1]))
			return -1;
		errno = 0;
		bits = strtol(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end != '\0' || bits < 0 || bits > max)
			return -1;
	}
	r->bits = (int)bits;
	/* nginx warns and masks host bits; portico masks silently. */
	for (i = 0; i < max / 8; i++) {
		int keep = r->bits - i * 8;
		if (keep <= 0)
			r->addr[i] = 0;
		else if (keep < 8)
			r->addr[i] &= (unsigned char)(0xff << (8 - keep));
	}
	return 0;
}

int
set_access(SET_ARGS)
{
	const char **v0;
	size_t n, i;
	struct access_list *al = field;

	if (cf_strings(ld, v, &v0, &n) != 0)
		return -1;
	al->v = pool_zalloc(ld->pool, sizeof(*al->v) * (n ? n : 1));
	al->n = n;
	for (i = 0; i < n; i++) {
		const char *s = v0[i], *arg;
		struct access_rule *r = &al->v[i];

		if (strncmp(s, "allow ", 6) == 0)
			r->allow = true;
		else if (strncmp(s, "deny ", 5) == 0)
			r->allow = false;
		else {
			cf_error(ld, v, "invalid access rule \"%s\": expected "
			    "\"allow ADDR[/BITS]\", \"deny ADDR[/BITS]\", \"allow all\" "
			    "or \"deny all\"", s);
			return -1;
		}
		arg = s + (r->allow ? 6 : 5);
		while (*arg == ' ')
			arg++;
		if (parse_cidr(arg, r) != 0) {
			cf_error(ld, v, "invalid address \"%s\" in access rule \"%s\"",
			    arg, s);
			return -1;
		}
	}
	return 0;
}
