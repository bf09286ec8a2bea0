/*
 * Setters of nginx's limit_conn module: the zones (limit_conn_zone, main
 * level), the limits of a level (limit_conn), the status and log level of
 * a refusal; and, once every file is read, each limit's zone found by
 * name (a zone may be defined in a file read after the limit).
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"
#include "conn_zone.h"
#include "log.h"

#define SET_ARGS struct cfload *ld, struct level *lv, const config_setting_t *v, \
	void *field

/* The shared zone is named "limit_conn:NAME" in a 64-byte table entry. */
#define ZONE_NAME_MAX	(63 - sizeof("limit_conn:") + 1)

static struct limit_zone *
find_zone(const struct limit_zones *zs, const char *name)
{
	size_t i;

	for (i = 0; i < zs->n; i++)
		if (strcmp(zs->v[i].name, name) == 0)
			return &zs->v[i];
	return NULL;
}

/* "zone=NAME:SIZE" */
static int
parse_zone_param(struct cfload *ld, const config_setting_t *v, char *param,
    struct limit_zone *z)
{
	char *colon = strchr(param + 5, ':');

	if (colon == NULL || parse_size(colon + 1, &z->size) != 0) {
		cf_error(ld, v, "invalid zone size \"%s\"", param);
		return -1;
	}
	if (z->size < CZ_SIZE_MIN) {
		cf_error(ld, v, "zone \"%s\" is too small", param);
		return -1;
	}
	*colon = '\0';
	z->name = param + 5;
	if (*z->name == '\0' || strlen(z->name) > ZONE_NAME_MAX) {
		cf_error(ld, v, "invalid zone name \"%s\": 1 to %zu characters",
		    z->name, ZONE_NAME_MAX);
		return -1;
	}
	return 0;
}

/* One "KEY zone=NAME:SIZE". */
static int
zone_entry(struct cfload *ld, const config_setting_t *v, const char *text,
    struct limit_zones *zs)
{
	struct limit_zone *z = &zs->v[zs->n], *old;
	char *copy = pool_strdup(ld->pool, text), *word, *save = NULL;
	const char *key = strtok_r(copy, " \t", &save), *err;

	if (key == NULL) {
		cf_error(ld, v, "limit_conn_zone must be \"KEY zone=NAME:SIZE\"");
		return -1;
	}
	while ((word = strtok_r(NULL, " \t", &save)) != NULL) {
		if (strncmp(word, "zone=", 5) != 0) {
			cf_error(ld, v, "invalid parameter \"%s\"", word);
			return -1;
		}
		if (parse_zone_param(ld, v, word, z) != 0)
			return -1;
	}
	if (z->name == NULL) {
		cf_error(ld, v, "\"limit_conn_zone\" must have \"zone\" parameter");
		return -1;
	}
	if ((old = find_zone(zs, z->name)) != NULL) {
		cf_error(ld, v, "limit_conn_zone \"%s\" is already bound to key \"%s\"",
		    z->name, old->key->src);
		return -1;
	}
	if ((z->key = tmpl_compile(ld->pool, key, &err)) == NULL) {
		cf_error(ld, v, "%s", err);
		return -1;
	}
	zs->n++;
	return 0;
}

int
set_limit_conn_zone(SET_ARGS)
{
	struct limit_zones *zs = field;
	const char **vals;
	size_t n, i;

	if (cf_strings(ld, v, &vals, &n) != 0)
		return -1;
	zs->v = pool_zalloc(ld->pool, sizeof(*zs->v) * (n ? n : 1));
	zs->n = 0;
	for (i = 0; i < n; i++)
		if (zone_entry(ld, v, vals[i], zs) != 0)
			return -1;
	return 0;
}

/* One "ZONE NUMBER". */
static int
limit_entry(struct cfload *ld, const config_setting_t *v, const char *text,
    struct limit_conns *lc)
{
	struct limit_conn *l = &lc->v[lc->n];
	char *copy = pool_strdup(ld->pool, text), *save = NULL, *end;
	const char *zone = strtok_r(copy, " \t", &save);
	const char *num = strtok_r(NULL, " \t", &save);
	long n;
	size_t i;

	if (zone == NULL || num == NULL || strtok_r(NULL, " \t", &save) != NULL) {
		cf_error(ld, v, "limit_conn must be \"ZONE NUMBER\", not \"%s\"", text);
		return -1;
	}
	for (i = 0; i < lc->n; i++)
		if (strcmp(lc->v[i].zone_name, zone) == 0) {
			cf_error(ld, v, "limit_conn \"%s\" is duplicate", zone);
			return -1;
		}
	n = isdigit((unsigned char)*num) ? strtol(num, &end, 10) : 0;
	if (n <= 0 || *end != '\0') {
		cf_error(ld, v, "invalid number of connections \"%s\"", num);
		return -1;
	}
	if (n > 65535) {
		cf_error(ld, v, "connection limit must be less 65536");
		return -1;
	}
	l->zone_name = zone;
	l->conn = (unsigned)n;
	l->src = ld->file;
	l->line = cf_line(v);
	lc->n++;
	return 0;
}

int
set_limit_conn(SET_ARGS)
{
	struct limit_conns *lc = field;
	const char **vals;
	size_t n, i;

	if (cf_strings(ld, v, &vals, &n) != 0)
		return -1;
	lc->v = pool_zalloc(ld->pool, sizeof(*lc->v) * (n ? n : 1));
	lc->n = 0;
	for (i = 0; i < n; i++)
		if (limit_entry(ld, v, vals[i], lc) != 0)
			return -1;
	return 0;
}

int
set_limit_conn_status(SET_ARGS)
{
	return cf_int_between(ld, v, field, 400, 599);
}

/* nginx allows these four. */
int
set_limit_conn_log_level(SET_ARGS)
{
	const char *s;
	int level;

	if (cf_string(ld, v, &s) != 0)
		return -1;
	level = log_level_parse(s);
	if (level < LV_ERROR || level > LV_INFO) {
		cf_error(ld, v, "invalid limit_conn_log_level \"%s\": expected info, "
		    "notice, warn or error", s);
		return -1;
	}
	*(int *)field = level;
	return 0;
}

/* Find each limit's zone.  Inner levels share their parent's limits, so
 * a limit is looked up (and an unknown one reported) once. */
static void
resolve(struct cfload *ld, struct limit_conns *lc)
{
	struct limit_conn *l;
	size_t i;

	for (i = 0; i < lc->n; i++) {
		l = &lc->v[i];
		if (l->zone != NULL || l->unknown)
			continue;
		l->zone = find_zone(&ld->cf->main.limit_zones, l->zone_name);
		if (l->zone == NULL) {
			conf_error_at(ld, l->src, l->line, "unknown limit_conn_zone \"%s\"",
			    l->zone_name);
			l->unknown = true;
		}
	}
}

void
conf_check_limits(struct cfload *ld)
{
	struct config *cf = ld->cf;
	size_t i, j;

	resolve(ld, &cf->sc.limit_conn);
	for (i = 0; i < cf->nservers; i++) {
		resolve(ld, &cf->servers[i]->sc.limit_conn);
		resolve(ld, &cf->servers[i]->deflt.sc.limit_conn);
		for (j = 0; j < cf->servers[i]->nlocs; j++)
			resolve(ld, &cf->servers[i]->locs[j]->sc.limit_conn);
	}
}
