/*
 * Upstream groups and proxy_pass: parsing the upstreams block and each
 * server line, resolving host names (at start and on reload), and tying
 * every proxy_pass to an upstream -- a named one, or an implicit one made
 * for a plain host:port, as nginx does.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "conf_int.h"
#include "listen.h"
#include "log.h"

#define SET_ARGS struct cfload *ld, struct level *lv, const config_setting_t *v, \
	void *field

#define RING_POINTS	160	/* per unit of weight, as ketama */

static struct upstream *
find_upstream(struct config *cf, const char *name)
{
	size_t i;

	for (i = 0; i < cf->nupstreams; i++)
		if (strcmp(cf->upstreams[i]->name, name) == 0)
			return cf->upstreams[i];
	return NULL;
}

static bool
valid_name(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

static void
add_upstream(struct config *cf, struct upstream *u)
{
	cf->upstreams = pool_grow(&cf->pool, cf->upstreams, cf->nupstreams,
	    sizeof(*cf->upstreams));
	cf->upstreams[cf->nupstreams++] = u;
}

/* Every address of host:port, as peers appended to u. */
static int
resolve_peers(struct cfload *ld, struct upstream *u, const char *host, int port,
    struct peer *tmpl, const char **err)
{
	struct addrinfo hints, *res, *ai;
	char portstr[8], text[80];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = ld->check_files ? 0 : AI_NUMERICHOST;
	snprintf(portstr, sizeof(portstr), "%d", port);
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0) {
		*err = gai_strerror(rc);
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		struct peer *p;
		u->peers = pool_grow(ld->pool, u->peers, u->npeers, sizeof(*u->peers));
		p = &u->peers[u->npeers++];
		*p = *tmpl;
		memcpy(&p->ss, ai->ai_addr, ai->ai_addrlen);
		p->len = ai->ai_addrlen;
		p->addr = pool_strdup(ld->pool, addr_text(&p->ss, text, sizeof(text)));
		p->up = u;
		p->index = -1;
	}
	freeaddrinfo(res);
	return 0;
}

/* "host[:port]" (also "[v6]:port"): host in buf, the port or 80. */
static int
split_host_port(const char *s, char *buf, size_t size, int *port)
{
	const char *colon, *end;
	char *e;
	long p = 80;

	if (s[0] == '[') {
		end = strchr(s, ']');
		if (end == NULL)
			return -1;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			return -1;
		s++;
	} else {
		colon = strrchr(s, ':');
		end = colon ? colon : s + strlen(s);
	}
	if ((size_t)(end - s) >= size || end == s)
		return -1;
	memcpy(buf, s, (size_t)(end - s));
	buf[end - s] = '\0';
	if (colon != NULL) {
		errno = 0;
		p = strtol(colon + 1, &e, 10);
		if (errno || *e != '\0' || p < 1 || p > 65535 || e == colon + 1)
			return -1;
	}
	*port = (int)p;
	return 0;
}

/* "host:port [weight=N] [max_fails=N] [fail_timeout=T] [backup] [down]" */
static int
parse_server(struct cfload *ld, const config_setting_t *v, struct upstream *u,
    const char *line)
{
	char *copy = pool_strdup(ld->pool, line), *tok, *save, host[256];
	struct peer tmpl;
	const char *err;
	long long n;
	int port;

	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.weight = 1;
	tmpl.max_fails = 1;
	tmpl.fail_timeout = 10000;
	tok = strtok_r(copy, " \t", &save);
	if (tok == NULL || split_host_port(tok, host, sizeof(host), &port) != 0) {
		cf_error(ld, v, "invalid server \"%s\" in upstream \"%s\": expected "
		    "\"host:port [weight=N] [max_fails=N] [fail_timeout=T] [backup] "
		    "[down]\"", line, u->name);
		return -1;
	}
	tmpl.name = pool_strdup(ld->pool, tok);
	while ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
		if (strncmp(tok, "weight=", 7) == 0 && parse_size(tok + 7, &n) == 0 &&
		    n >= 1 && n <= 1000)
			tmpl.weight = (int)n;
		else if (strncmp(tok, "max_fails=", 10) == 0 &&
		    parse_size(tok + 10, &n) == 0 && n <= 1000)
			tmpl.max_fails = (int)n;
		else if (strncmp(tok, "fail_timeout=", 13) == 0 &&
		    parse_msec(tok + 13, &n) == 0)
			tmpl.fail_timeout = n;
		else if (strcmp(tok, "backup") == 0)
			tmpl.backup = true;
		else if (strcmp(tok, "down") == 0)
			tmpl.down = true;
		else {
			cf_error(ld, v, "invalid parameter \"%s\" of server \"%s\" in "
			    "upstream \"%s\"", tok, tmpl.name, u->name);
			return -1;
		}
	}
	if (tmpl.backup && (u->method == LB_IP_HASH || u->method == LB_HASH ||
	    u->method == LB_HASH_CONSISTENT)) {
		cf_error(ld, v, "balancing method of upstream \"%s\" does not support "
		    "backup servers", u->name);
		return -1;
	}
	if (resolve_peers(ld, u, host, port, &tmpl, &err) != 0) {
		cf_error(ld, v, "host not found in upstream \"%s\": \"%s\" (%s)",
		    u->name, host, err);
		return -1;
	}
	return 0;
}

static int
peer_order(const void *a, const void *b)
{
	const struct peer *x = a, *y = b;

	return (int)x->backup - (int)y->backup;
}

int
set_upstream_servers(SET_ARGS)
{
	const char **v0;
	size_t n, i;
	struct upstream *u = lv->up;

	if (cf_strings(ld, v, &v0, &n) != 0)
		return -1;
	for (i = 0; i < n; i++)
		if (parse_server(ld, v, u, v0[i]) != 0)
			return -1;
	/* Stable within each class: primaries keep their order, then backups. */
	for (i = 1; i < u->npeers; i++) {
		size_t j = i;
		struct peer t = u->peers[i];
		while (j > 0 && peer_order(&u->peers[j - 1], &t) > 0) {
			u->peers[j] = u->peers[j - 1];
			j--;
		}
		u->peers[j] = t;
	}
	for (u->nprimary = 0; u->nprimary < u->npeers &&
	    !u->peers[u->nprimary].backup; u->nprimary++)
		;
	return 0;
}

int
set_method(SET_ARGS)
{
	struct upstream *u = lv->up;
	const char *s, *err;
	char *key, *sp;

	if (cf_string(ld, v, &s) != 0)
		return -1;
	if (strcmp(s, "round_robin") == 0)
		u->method = LB_ROUND_ROBIN;
	else if (strcmp(s, "least_conn") == 0)
		u->method = LB_LEAST_CONN;
	else if (strcmp(s, "ip_hash") == 0)
		u->method = LB_IP_HASH;
	else if (strncmp(s, "hash ", 5) == 0) {
		key = pool_strdup(ld->pool, s + 5);
		while (*key == ' ')
			key++;
		u->method = LB_HASH;
		sp = strchr(key, ' ');
		if (sp != NULL) {
			*sp++ = '\0';
			while (*sp == ' ')
				sp++;
			if (strcmp(sp, "consistent") != 0)
				goto bad;
			u->method = LB_HASH_CONSISTENT;
		}
		if (*key == '\0')
			goto bad;
		u->hash_key = tmpl_compile(ld->pool, key, &err);
		if (u->hash_key == NULL) {
			cf_error(ld, v, "%s", err);
			return -1;
		}
	} else
		goto bad;
	if (u->npeers > u->nprimary && u->method != LB_ROUND_ROBIN &&
	    u->method != LB_LEAST_CONN) {
		cf_error(ld, v, "balancing method of upstream \"%s\" does not support "
		    "backup servers", u->name);
		return -1;
	}
	return 0;
bad:
	cf_error(ld, v, "invalid method \"%s\": expected \"round_robin\", "
	    "\"least_conn\", \"ip_hash\" or \"hash KEY [consistent]\"", s);
	return -1;
}

int
set_health_check(SET_ARGS)
{
	struct health_check *hc = &lv->up->hc;
	int i, n;
	long long num;
	const char *s, *name;
	char *dash;

	if (!config_setting_is_group(v)) {
		cf_error(ld, v, "\"health_check\" must be a group: health_check = { "
		    "uri = \"/\"; interval = \"5s\"; };");
		return -1;
	}
	hc->enabled = true;
	n = config_setting_length(v);
	for (i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(v, (unsigned)i);
		name = config_setting_name(e);
		if (strcmp(name, "uri") == 0) {
			if (cf_string(ld, e, &s) != 0)
				return -1;
			if (s[0] != '/') {
				cf_error(ld, e, "health_check.uri must start with \"/\"");
				return -1;
			}
			hc->uri = pool_strdup(ld->pool, s);
		} else if (strcmp(name, "interval") == 0 || strcmp(name, "timeout") == 0) {
			if (set_msec(ld, lv, e, &num) != 0)
				return -1;
			if (num < 1) {
				cf_error(ld, e, "health_check.%s must be positive", name);
				return -1;
			}
			*(name[0] == 'i' ? &hc->interval : &hc->timeout) = num;
		} else if (strcmp(name, "fails") == 0 || strcmp(name, "passes") == 0) {
			if (set_int(ld, lv, e, &num) != 0)
				return -1;
			if (num < 1 || num > 1000) {
				cf_error(ld, e, "health_check.%s must be between 1 and 1000",
				    name);
				return -1;
			}
			*(name[0] == 'f' ? &hc->fails : &hc->passes) = (int)num;
		} else if (strcmp(name, "status") == 0) {
			if (cf_string(ld, e, &s) != 0)
				return -1;
			hc->status_lo = atoi(s);
			dash = strchr(s, '-');
			hc->status_hi = dash ? atoi(dash + 1) : hc->status_lo;
			if (hc->status_lo < 100 || hc->status_hi > 599 ||
			    hc->status_lo > hc->status_hi) {
				cf_error(ld, e, "invalid health_check.status \"%s\": "
				    "expected \"CODE\" or \"LOW-HIGH\"", s);
				return -1;
			}
		} else {
			cf_error(ld, e, "unknown setting \"health_check.%s\"", name);
			return -1;
		}
	}
	return 0;
}

static int
upstream_block(struct cfload *ld, const config_setting_t *g)
{
	struct config *cf = ld->cf;
	const char *name = config_setting_name(g);
	struct upstream *u, *other;
	struct level lv;

	if (!valid_name(name)) {
		cf_error(ld, g, "invalid upstream name \"%s\": use letters, digits, "
		    "\"-\" and \"_\"", name);
		return -1;
	}
	if ((other = find_upstream(cf, name)) != NULL) {
		cf_error(ld, g, "duplicate upstream \"%s\", first defined in %s:%d",
		    name, other->file, other->line);
		return -1;
	}
	if (!config_setting_is_group(g)) {
		cf_error(ld, g, "upstream \"%s\" must be a group: %s = { servers = "
		    "[ \"127.0.0.1:8000\" ]; };", name, name);
		return -1;
	}
	u = pool_zalloc(ld->pool, sizeof(*u));
	u->name = pool_strdup(ld->pool, name);
	u->file = ld->file;
	u->line = cf_line(g);
	u->dump = pool_zalloc(ld->pool, sizeof(*u->dump));
	u->hc = (struct health_check){ false, "/", 5000, 2000, 2, 2, 200, 399 };
	lv = (struct level){ CTX_UPSTREAM, NULL, NULL, NULL, u->dump, u };
	if (cf_group(ld, &lv, g) != 0)
		return -1;
	if (u->npeers == 0) {
		cf_error(ld, g, "upstream \"%s\" has no servers", name);
		return -1;
	}
	add_upstream(cf, u);
	return 0;
}

int
set_upstreams(SET_ARGS)
{
	int i, n, rc = 0;

	if (!config_setting_is_group(v)) {
		cf_error(ld, v, "\"upstreams\" must be a group of upstreams: upstreams = "
		    "{ NAME = { servers = [ ... ]; }; };");
		return -1;
	}
	n = config_setting_length(v);
	for (i = 0; i < n; i++)
		if (upstream_block(ld, config_setting_get_elem(v, (unsigned)i)) != 0)
			rc = -1;
	return rc;
}

/* proxy_pass = "http://host[:port][/uri]" or "http://UPSTREAM[/uri]" */
int
set_proxy_pass(SET_ARGS)
{
	struct location *loc = lv->loc;
	struct proxy_pass *pp;
	const char *s, *rest, *slash;
	char host[256];

	if (cf_string(ld, v, &s) != 0)
		return -1;
	if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0) {
		cf_error(ld, v, "invalid proxy_pass \"%s\": expected "
		    "\"http[s]://host:port[/uri]\" or \"http[s]://UPSTREAM[/uri]\"", s);
		return -1;
	}
	if (strchr(s, '$') != NULL) {
		cf_error(ld, v, "proxy_pass \"%s\": variables are not supported", s);
		return -1;
	}
	pp = pool_zalloc(ld->pool, sizeof(*pp));
	pp->ssl = s[4] == 's';
	rest = s + (pp->ssl ? 8 : 7);
	slash = strchr(rest, '/');
	pp->text = pool_strdup(ld->pool, s);
	pp->line = cf_line(v);
	pp->host = pool_strndup(ld->pool, rest, slash ? (size_t)(slash - rest) :
	    strlen(rest));
	if (split_host_port(pp->host, host, sizeof(host), &pp->port) != 0) {
		cf_error(ld, v, "invalid proxy_pass \"%s\": bad host or port", s);
		return -1;
	}
	pp->ssl_name = pool_strdup(ld->pool, host);
	if (strchr(pp->host + (pp->host[0] == '[' ? strcspn(pp->host, "]") : 0),
	    ':') == NULL)
		pp->port = 0;		/* not written: may name an upstream */
	if (slash != NULL) {
		pp->uri = pool_strdup(ld->pool, slash);
		pp->urilen = strlen(slash);
	}
	loc->proxy = pp;
	return 0;
}

int
set_next_upstream(SET_ARGS)
{
	static const struct word conds[] = {
		{ "error", NEXT_ERROR }, { "timeout", NEXT_TIMEOUT },
		{ "invalid_header", NEXT_ERROR }, { "http_500", NEXT_HTTP_500 },
		{ "http_502", NEXT_HTTP_502 }, { "http_503", NEXT_HTTP_503 },
		{ "http_504", NEXT_HTTP_504 }, { "http_404", NEXT_HTTP_404 },
		{ "non_idempotent", NEXT_NON_IDEMPOTENT },
	};
	const char *s, *bad;
	int flags = 0;

	if (cf_string(ld, v, &s) != 0)
		return -1;
	if (strcmp(s, "off") != 0 && cf_words(ld, s, conds,
	    sizeof(conds) / sizeof(conds[0]), &flags, &bad) != 0) {
		cf_error(ld, v, "invalid proxy_next_upstream \"%s\": expected "
		    "\"off\" or conditions among error, timeout, invalid_header, "
		    "http_500, http_502, http_503, http_504, http_404, "
		    "non_idempotent", s);
		return -1;
	}
	*(int *)field = flags;
	return 0;
}

int
set_http_version(SET_ARGS)
{
	const char *s;

	if (cf_string(ld, v, &s) != 0)
		return -1;
	if (strcmp(s, "1.0") == 0)
		*(int *)field = 10;
	else if (strcmp(s, "1.1") == 0)
		*(int *)field = 11;
	else {
		cf_error(ld, v, "invalid %s \"%s\": expected \"1.0\" or \"1.1\"",
		    config_setting_name(v), s);
		return -1;
	}
	return 0;
}

int
set_status(SET_ARGS)
{
	const char *s;

	if (cf_string(ld, v, &s) != 0)
		return -1;
	if (strcmp(s, "text") == 0)
		lv->loc->status = STATUS_TEXT;
	else if (strcmp(s, "json") == 0)
		lv->loc->status = STATUS_JSON;
	else if (strcmp(s, "prometheus") == 0)
		lv->loc->status = STATUS_PROMETHEUS;
	else {
		cf_error(ld, v, "invalid status \"%s\": expected \"text\", \"json\" "
		    "or \"prometheus\"", s);
		return -1;
	}
	return 0;
}

int
set_proxy_set_header(SET_ARGS)
{
	return set_header_group(ld, v, field, false);
}

static int
ring_cmp(const void *a, const void *b)
{
	const struct ring_point *x = a, *y = b;

	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

/* Ketama-style ring: RING_POINTS points per unit of weight for each
 * server, placed by CRC32 of its name and the point's number. */
static void
build_ring(struct pool *pool, struct upstream *u)
{
	size_t i, n = 0, total = 0;
	int j;
	uint32_t base, k;

	for (i = 0; i < u->npeers; i++)
		total += (size_t)u->peers[i].weight * RING_POINTS;
	u->ring = pool_alloc(pool, sizeof(*u->ring) * (total ? total : 1));
	for (i = 0; i < u->npeers; i++) {
		struct peer *p = &u->peers[i];
		base = (uint32_t)crc32(0, (const Bytef *)p->addr, (uInt)strlen(p->addr));
		for (j = 0; j < p->weight * RING_POINTS; j++) {
			k = (uint32_t)j;
			u->ring[n].hash = (uint32_t)crc32(base, (const Bytef *)&k, sizeof(k));
			u->ring[n++].peer = p;
		}
	}
	qsort(u->ring, n, sizeof(*u->ring), ring_cmp);
	u->nring = n;
}

/* Tie each proxy_pass to its upstream, making implicit ones for hosts. */
static void
resolve_proxy_pass(struct cfload *ld, struct location *loc)
{
	struct config *cf = ld->cf;
	struct proxy_pass *pp = loc->proxy;
	struct upstream *u;
	struct peer tmpl;
	char host[256], *name;
	const char *err;
	int port;

	if (pp->port == 0 && (u = find_upstream(cf, pp->host)) != NULL &&
	    !u->implicit) {
		pp->up = u;
		pp->proxy_host = u->name;
		return;
	}
	split_host_port(pp->host, host, sizeof(host), &port);
	if (pp->port == 0 && pp->ssl)
		port = 443;
	pp->proxy_host = port == (pp->ssl ? 443 : 80) ? pool_strdup(&cf->pool, host) :
	    pool_printf(&cf->pool, "%s:%d", pp->host[0] == '[' ?
	    pool_printf(&cf->pool, "[%s]", host) : host, port);
	name = pool_printf(&cf->pool, "%s:%d", host, port);
	if ((u = find_upstream(cf, name)) != NULL) {
		pp->up = u;
		return;
	}
	u = pool_zalloc(&cf->pool, sizeof(*u));
	u->name = name;
	u->implicit = true;
	u->file = loc->file;
	u->line = pp->line;
	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.weight = 1;
	tmpl.max_fails = 1;
	tmpl.fail_timeout = 10000;
	tmpl.name = pool_strdup(&cf->pool, pp->host);
	if (resolve_peers(ld, u, host, port, &tmpl, &err) != 0) {
		conf_error_at(ld, loc->file, pp->line, "host not found in proxy_pass "
		    "\"%s\": \"%s\" (%s)", pp->text, host, err);
		return;
	}
	u->nprimary = u->npeers;
	add_upstream(cf, u);
	pp->up = u;
}

void
conf_check_upstreams(struct cfload *ld)
{
	struct config *cf = ld->cf;
	size_t i, j;

	for (i = 0; i < cf->nservers; i++)
		for (j = 0; j < cf->servers[i]->nlocs; j++) {
			struct location *loc = cf->servers[i]->locs[j];
			if (loc->proxy == NULL)
				continue;
			resolve_proxy_pass(ld, loc);
			if (loc->proxy->ssl && ld->check_files)
				loc->proxy->ssl_ctx = conf_tls_client_ctx(ld, loc);
		}
	for (i = 0; i < cf->nupstreams; i++)
		if (cf->upstreams[i]->method == LB_HASH_CONSISTENT)
			build_ring(&cf->pool, cf->upstreams[i]);
}
