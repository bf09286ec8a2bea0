/*
 * Setters of the compression settings (gzip_static, gzip_types,
 * gzip_comp_level, gzip_proxied, gzip_disable, gzip_buffers), and the
 * release of gzip_disable's compiled expressions with their generation.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "conf_int.h"
#include "regex.h"

#define SET_ARGS struct cfload *ld, struct level *lv, const config_setting_t *v, \
	void *field

/* true, false or "always". */
int
set_gzip_static(SET_ARGS)
{
	int *mode = field;

	if (config_setting_type(v) == CONFIG_TYPE_BOOL) {
		*mode = config_setting_get_bool(v) ? GZIP_STATIC_ON : GZIP_STATIC_OFF;
		return 0;
	}
	if (config_setting_type(v) == CONFIG_TYPE_STRING &&
	    strcmp(config_setting_get_string(v), "always") == 0) {
		*mode = GZIP_STATIC_ALWAYS;
		return 0;
	}
	cf_error(ld, v, "\"gzip_static\" must be true, false or \"always\"");
	return -1;
}

/* "text/css application/json" (or an array of such strings); text/html
 * is always in, as nginx's. */
int
set_gzip_types(SET_ARGS)
{
	struct strv *types = field;
	const char **v0;
	size_t n0, i, n = 1;
	char *copy, *tok, *save, *c;

	if (cf_strings(ld, v, &v0, &n0) != 0)
		return -1;
	for (i = 0; i < n0; i++)
		n += strlen(v0[i]) / 2 + 1;	/* at most this many words */
	types->v = pool_alloc(ld->pool, sizeof(char *) * n);
	types->v[0] = "text/html";
	types->n = 1;
	for (i = 0; i < n0; i++) {
		copy = pool_strdup(ld->pool, v0[i]);
		for (tok = strtok_r(copy, " \t", &save); tok != NULL;
		    tok = strtok_r(NULL, " \t", &save)) {
			for (c = tok; *c != '\0'; c++)
				*c = (char)tolower((unsigned char)*c);
			if (strcmp(tok, "*") != 0 && strchr(tok, '/') == NULL) {
				cf_error(ld, v, "invalid MIME type \"%s\" in \"gzip_types\": "
				    "expected TYPE/SUBTYPE or \"*\"", tok);
				return -1;
			}
			types->v[types->n++] = tok;
		}
	}
	return 0;
}

int
set_gzip_comp_level(SET_ARGS)
{
	return cf_int_between(ld, v, field, 1, 9);
}

/* "off", "any", or conditions: whether a request that came through a
 * proxy (Via) gets a compressed answer. */
int
set_gzip_proxied(SET_ARGS)
{
	static const struct word conds[] = {
		{ "any", GZIP_PROXIED_ANY }, { "expired", GZIP_PROXIED_EXPIRED },
		{ "no-cache", GZIP_PROXIED_NO_CACHE },
		{ "no-store", GZIP_PROXIED_NO_STORE },
		{ "private", GZIP_PROXIED_PRIVATE },
		{ "no_last_modified", GZIP_PROXIED_NO_LM },
		{ "no_etag", GZIP_PROXIED_NO_ETAG }, { "auth", GZIP_PROXIED_AUTH },
	};
	const char *s, *bad;
	int flags = GZIP_PROXIED_OFF;

	if (cf_string(ld, v, &s) != 0)
		return -1;
	if (strcmp(s, "off") != 0 && (cf_words(ld, s, conds,
	    sizeof(conds) / sizeof(conds[0]), &flags, &bad) != 0 || flags == 0)) {
		cf_error(ld, v, "invalid gzip_proxied \"%s\": expected \"off\", "
		    "\"any\" or conditions among expired, no-cache, no-store, "
		    "private, no_last_modified, no_etag, auth", s);
		return -1;
	}
	*(int *)field = flags;
	return 0;
}

/* Regular expressions on User-Agent, one a string (they may hold spaces:
 * "MSIE [1-6]\\."), caseless as nginx's; "msie6" is nginx's quick test. */
int
set_gzip_disable(SET_ARGS)
{
	struct ua_match *m = field;
	const char **v0;
	size_t n, i;
	char err[512];

	if (cf_strings(ld, v, &v0, &n) != 0)
		return -1;
	memset(m, 0, sizeof(*m));
	m->re = pool_zalloc(ld->pool, sizeof(void *) * (n ? n : 1));
	for (i = 0; i < n; i++) {
		if (strcmp(v0[i], "msie6") == 0) {
			m->msie6 = true;
			continue;
		}
		m->re[m->n] = regex_compile(v0[i], true, err, sizeof(err));
		if (m->re[m->n] == NULL) {
			cf_error(ld, v, "%s", err);
			while (m->n > 0)
				regex_free(m->re[--m->n]);
			return -1;
		}
		m->n++;
	}
	return 0;
}

/* "NUMBER SIZE": how much compressed output a response holds at most. */
int
set_gzip_buffers(SET_ARGS)
{
	struct bufs *b = field;
	const char *s;
	char num[32], size[32], extra;

	if (cf_string(ld, v, &s) != 0)
		return -1;
	if (sscanf(s, "%31s %31s %c", num, size, &extra) != 2 ||
	    parse_size(num, &b->num) != 0 || parse_size(size, &b->size) != 0 ||
	    b->num < 1 || b->size < 1 || b->num > 1024 || b->size > (1LL << 24)) {
		cf_error(ld, v, "invalid gzip_buffers \"%s\": expected a number and a "
		    "size, such as \"32 4k\"", s);
		return -1;
	}
	return 0;
}

/* gzip_disable's expressions set at this level (inner levels share them
 * by inheritance, so each is freed where it was set). */
static void
release_scope(const struct scope *sc)
{
	size_t i;

	if (!scope_isset(sc, "gzip_disable"))
		return;
	for (i = 0; i < sc->gzip_disable.n; i++)
		regex_free(sc->gzip_disable.re[i]);
}

void
conf_gzip_release(struct config *cf)
{
	size_t i, j;

	release_scope(&cf->sc);
	for (i = 0; i < cf->nservers; i++) {
		release_scope(&cf->servers[i]->sc);
		for (j = 0; j < cf->servers[i]->nlocs; j++)
			release_scope(&cf->servers[i]->locs[j]->sc);
	}
}
