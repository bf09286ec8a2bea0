/*
 * The status page (`status = "text" | "json" | "prometheus"` in a
 * location): workers by state from the scoreboard, the master's helper
 * processes by role, connections and requests served, every upstream
 * server's state, load, counters and last health check, the TLS session
 * caches, the limit_conn zones, the proxy caches and the shared segment's
 * zones, all read from shared memory.  The Prometheus form
 * follows the text exposition format 0.0.4 and its naming rules (base
 * units, _total for counters).
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cache_index.h"
#include "clock.h"
#include "conn_zone.h"
#include "http.h"
#include "request.h"
#include "scoreboard.h"
#include "shm.h"
#include "ssl_cache.h"
#include "status.h"
#include "tls_session.h"
#include "upstream.h"
#include "upstream_state.h"

struct totals {
	int		 workers[SB_NSTATES];	/* workers by state */
	int		 roles[SB_NROLES];	/* children by role */
	int		 zones;			/* of the shared segment */
	size_t		 zone_bytes;
	uint64_t	 connections;
	uint64_t	 requests;
};

struct server_view {
	const struct peer	*p;
	const char		*state;
	int			 active;
	double			 avg_ms;
};

static void
count(struct totals *t)
{
	uint32_t i;

	memset(t, 0, sizeof(*t));
	t->zones = shm_zone_count(&t->zone_bytes);
	t->connections = sb->retired_connections;
	t->requests = sb->retired_requests;
	for (i = 0; i < sb->high; i++) {
		const struct sb_slot *s = &sb->slots[i];
		if (s->pid == 0 || s->role >= SB_NROLES)
			continue;
		t->roles[s->role]++;
		t->connections += s->connections;
		t->requests += s->requests;
		if (s->role == SB_WORKER && s->state < SB_NSTATES)
			t->workers[s->state]++;
	}
}

static void
view(const struct peer *p, struct server_view *v)
{
	const struct peer_state *st = p->st;

	v->p = p;
	v->active = uz_active(p->index);
	v->avg_ms = st->responses ? (double)st->response_ms / (double)st->responses : 0;
	if (p->down)
		v->state = "down";
	else if (st->unhealthy)
		v->state = "unhealthy";
	else if (!upstream_usable(p, now.mono_ms))
		v->state = "down";
	else
		v->state = p->backup ? "backup" : "up";
}

static const char *
method_name(enum lb_method m)
{
	static const char *names[] = {
		"round_robin", "least_conn", "ip_hash", "hash", "hash consistent"
	};

	return names[m];
}

static void
iso_time(int64_t ms, char *out, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Each shared TLS session cache once, by name. */
static size_t
caches(const struct config *cf, const char **names, struct ssl_cache **v,
    size_t max)
{
	size_t i, j, n = 0;

	for (i = 0; i < cf->nservers && n < max; i++) {
		struct ssl_cache *c = tls_server_cache(cf->servers[i]);
		const char *name = cf->servers[i]->sc.ssl_session_cache.name;
		if (c == NULL)
			continue;
		for (j = 0; j < n && v[j] != c; j++)
			;
		if (j == n) {
			names[n] = name;
			v[n++] = c;
		}
	}
	return n;
}

#define CACHES_MAX	64

static void
text_caches(struct buf *b, const struct config *cf)
{
	const char *names[CACHES_MAX];
	struct ssl_cache *v[CACHES_MAX];
	size_t n = caches(cf, names, v, CACHES_MAX), i;

	for (i = 0; i < n; i++)
		buf_printf(b, "\nssl_session_cache %s: sessions=%u capacity=%u hits=%llu "
		    "misses=%llu stores=%llu evictions=%llu\n", names[i], v[i]->used,
		    v[i]->nslots, (unsigned long long)v[i]->hits,
		    (unsigned long long)v[i]->misses, (unsigned long long)v[i]->stores,
		    (unsigned long long)v[i]->evictions);
}

static void
text_limits(struct buf *b, const struct config *cf)
{
	const struct limit_zones *zs = &cf->main.limit_zones;
	const struct conn_zone *z;
	size_t i;

	for (i = 0; i < zs->n; i++) {
		z = zs->v[i].shm;
		buf_printf(b, "\nlimit_conn_zone %s: keys=%u connections=%llu "
		    "rejected=%llu full=%llu\n", zs->v[i].name, z->keys,
		    (unsigned long long)z->conns, (unsigned long long)z->rejected,
		    (unsigned long long)z->exhausted);
	}
}

/* The proxy caches' counters, in the order every form lists them. */
static const struct {
	const char	*name;
	size_t		 off;
	const char	*help;
} cache_counters[] = {
	{ "hits", offsetof(struct ci_stats, hits), "Answers served from the cache." },
	{ "misses", offsetof(struct ci_stats, misses),
	    "Requests the cache had no entry for." },
	{ "expired", offsetof(struct ci_stats, expired),
	    "Requests for an expired entry passed to the upstream." },
	{ "stale", offsetof(struct ci_stats, stale),
	    "Expired entries served (STALE and UPDATING)." },
	{ "revalidated", offsetof(struct ci_stats, revalidated),
	    "Expired entries the upstream confirmed with 304." },
	{ "bypasses", offsetof(struct ci_stats, bypasses),
	    "Requests proxy_cache_bypass sent past the cache." },
	{ "stores", offsetof(struct ci_stats, stores), "Answers stored." },
	{ "evictions", offsetof(struct ci_stats, evictions),
	    "Entries dropped for room: max_size or a full keys_zone." },
};

#define NCACHE_COUNTERS	(sizeof(cache_counters) / sizeof(cache_counters[0]))

static uint64_t
cache_counter(const struct cache_index *ci, size_t k)
{
	return *(const uint64_t *)(const void *)((const char *)&ci->stats +
	    cache_counters[k].off);
}

static void
text_proxy_caches(struct buf *b, const struct config *cf)
{
	const struct cache_paths *cps = &cf->main.cache_paths;
	size_t i, k;

	for (i = 0; i < cps->n; i++) {
		const struct cache_index *ci = cps->v[i].zone;
		buf_printf(b, "\nproxy_cache %s: entries=%u size=%llu", cps->v[i].name,
		    ci->files, (unsigned long long)ci->disk);
		for (k = 0; k < NCACHE_COUNTERS; k++)
			buf_printf(b, " %s=%llu", cache_counters[k].name,
			    (unsigned long long)cache_counter(ci, k));
		buf_addc(b, '\n');
	}
}

/* The scoreboard row by row, as Apache's server-status shows it. */
static void
text_workers(struct buf *b)
{
	uint32_t i;

	for (i = 0; i < sb->high; i++) {
		const struct sb_slot *s = &sb->slots[i];
		if (s->pid == 0 || s->role != SB_WORKER)
			continue;
		buf_printf(b, "  pid %d %s connections=%llu requests=%llu",
		    (int)s->pid, sb_state_name(s->state),
		    (unsigned long long)s->connections,
		    (unsigned long long)s->requests);
		if (s->state != SB_IDLE && s->client[0] != '\0')
			buf_printf(b, " client=%.*s request=\"%.*s\"",
			    (int)sizeof(s->client), s->client,
			    (int)sizeof(s->request), s->request);
		buf_addc(b, '\n');
	}
}

/* The master's helpers: each with its role and how long it has run. */
static void
text_helpers(struct buf *b, const struct totals *t)
{
	uint32_t i;
	int role, n = 0;

	for (role = SB_WORKER + 1; role < SB_NROLES; role++)
		n += t->roles[role];
	buf_printf(b, "helpers: %d\n", n);
	for (i = 0; i < sb->high; i++) {
		const struct sb_slot *s = &sb->slots[i];
		if (s->pid > 1 && s->role != SB_WORKER)
			buf_printf(b, "  pid %d %s up=%llds\n", (int)s->pid,
			    sb_role_name(s->role),
			    (long long)((now.msec - s->started) / 1000));
	}
}

static void
text(struct buf *b, const struct config *cf, const struct totals *t)
{
	size_t i, j;
	int s;
	char when[32];
	struct server_view v;

	buf_printf(b, "portico %s, up %lld s\n", PACKAGE_VERSION,
	    (long long)((now.msec - sb->started) / 1000));
	buf_printf(b, "workers: %d", t->roles[SB_WORKER]);
	for (s = SB_STARTING; s < SB_NSTATES; s++)
		buf_printf(b, "%s%s %d", s == SB_STARTING ? " (" : ", ",
		    sb_state_name(s), t->workers[s]);
	buf_adds(b, ")\n");
	text_workers(b);
	text_helpers(b, t);
	buf_printf(b, "connections: %llu\nrequests: %llu\n",
	    (unsigned long long)t->connections, (unsigned long long)t->requests);
	buf_printf(b, "parked: idle %u, reading %u; handed to the keeper %llu, "
	    "back %llu; shed: idle %llu, slow %llu\n", sb->parked_idle,
	    sb->parked_reading, (unsigned long long)sb->parked,
	    (unsigned long long)sb->handed_back, (unsigned long long)sb->shed_idle,
	    (unsigned long long)sb->shed_slow);
	buf_printf(b, "shared memory: zones=%d bytes=%zu\n", t->zones, t->zone_bytes);
	for (i = 0; i < cf->nupstreams; i++) {
		const struct upstream *u = cf->upstreams[i];
		buf_printf(b, "\nupstream %s (%s)\n", u->name, method_name(u->method));
		for (j = 0; j < u->npeers; j++) {
			view(&u->peers[j], &v);
			buf_printf(b, "  %s %s active=%d requests=%llu failures=%llu "
			    "avg_response_ms=%.1f", v.p->addr, v.state, v.active,
			    (unsigned long long)v.p->st->requests,
			    (unsigned long long)v.p->st->failures, v.avg_ms);
			if (u->hc.enabled && v.p->st->hc_last != 0) {
				iso_time(v.p->st->hc_last, when, sizeof(when));
				buf_printf(b, " health_check=%s status=%d at %s",
				    v.p->st->unhealthy ? "failing" : "passing",
				    v.p->st->hc_status, when);
			} else if (u->hc.enabled)
				buf_adds(b, " health_check=pending");
			buf_addc(b, '\n');
		}
	}
	text_caches(b, cf);
	text_limits(b, cf);
	text_proxy_caches(b, cf);
}

static void
json_str(struct buf *b, const char *s)
{
	buf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_printf(b, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			buf_printf(b, "\\u%04x", (unsigned char)*s);
		else
			buf_addc(b, *s);
	}
	buf_addc(b, '"');
}

static void
json_server(struct buf *b, const struct upstream *u, const struct server_view *v)
{
	const struct peer_state *st = v->p->st;
	char when[32];

	buf_adds(b, "{\"address\":");
	json_str(b, v->p->addr);
	buf_adds(b, ",\"name\":");
	json_str(b, v->p->name);
	buf_printf(b, ",\"state\":\"%s\",\"backup\":%s,\"weight\":%d,\"active\":%d,"
	    "\"requests\":%llu,\"failures\":%llu,\"responses\":%llu,"
	    "\"avg_response_ms\":%.1f,\"health_check\":", v->state,
	    v->p->backup ? "true" : "false", v->p->weight, v->active,
	    (unsigned long long)st->requests, (unsigned long long)st->failures,
	    (unsigned long long)st->responses, v->avg_ms);
	if (!u->hc.enabled)
		buf_adds(b, "null}");
	else if (st->hc_last == 0)
		buf_adds(b, "{\"last\":null,\"status\":null,\"result\":\"pending\"}}");
	else {
		iso_time(st->hc_last, when, sizeof(when));
		buf_printf(b, "{\"last\":\"%s\",\"status\":%d,\"result\":\"%s\"}}", when,
		    st->hc_status, st->unhealthy ? "failing" : "passing");
	}
}

static void
json_caches(struct buf *b, const struct config *cf)
{
	const char *names[CACHES_MAX];
	struct ssl_cache *v[CACHES_MAX];
	size_t n = caches(cf, names, v, CACHES_MAX), i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_addc(b, ',');
		json_str(b, names[i]);
		buf_printf(b, ":{\"sessions\":%u,\"capacity\":%u,\"hits\":%llu,"
		    "\"misses\":%llu,\"stores\":%llu,\"evictions\":%llu}", v[i]->used,
		    v[i]->nslots, (unsigned long long)v[i]->hits,
		    (unsigned long long)v[i]->misses, (unsigned long long)v[i]->stores,
		    (unsigned long long)v[i]->evictions);
	}
}

static void
json_limits(struct buf *b, const struct config *cf)
{
	const struct limit_zones *zs = &cf->main.limit_zones;
	const struct conn_zone *z;
	size_t i;

	for (i = 0; i < zs->n; i++) {
		z = zs->v[i].shm;
		if (i > 0)
			buf_addc(b, ',');
		json_str(b, zs->v[i].name);
		buf_printf(b, ":{\"keys\":%u,\"connections\":%llu,\"rejected\":%llu,"
		    "\"full\":%llu}", z->keys, (unsigned long long)z->conns,
		    (unsigned long long)z->rejected, (unsigned long long)z->exhausted);
	}
}

static void
json_proxy_caches(struct buf *b, const struct config *cf)
{
	const struct cache_paths *cps = &cf->main.cache_paths;
	size_t i, k;

	for (i = 0; i < cps->n; i++) {
		const struct cache_index *ci = cps->v[i].zone;
		if (i > 0)
			buf_addc(b, ',');
		json_str(b, cps->v[i].name);
		buf_printf(b, ":{\"entries\":%u,\"size\":%llu,\"max_size\":%lld",
		    ci->files, (unsigned long long)ci->disk, cps->v[i].max_size);
		for (k = 0; k < NCACHE_COUNTERS; k++)
			buf_printf(b, ",\"%s\":%llu", cache_counters[k].name,
			    (unsigned long long)cache_counter(ci, k));
		buf_addc(b, '}');
	}
}

static void
json_workers(struct buf *b)
{
	uint32_t i;
	bool first = true;
	char text[sizeof(sb->slots[0].request) + 1];

	for (i = 0; i < sb->high; i++) {
		const struct sb_slot *s = &sb->slots[i];
		if (s->pid == 0 || s->role != SB_WORKER)
			continue;
		buf_printf(b, "%s{\"pid\":%d,\"generation\":%u,\"state\":\"%s\","
		    "\"connections\":%llu,\"requests\":%llu,\"client\":",
		    first ? "" : ",", (int)s->pid, s->gen, sb_state_name(s->state),
		    (unsigned long long)s->connections, (unsigned long long)s->requests);
		first = false;
		/* A busy worker rewrites these as we read: copy, terminate. */
		snprintf(text, sizeof(text), "%.*s", (int)sizeof(s->client), s->client);
		json_str(b, s->state == SB_IDLE ? "" : text);
		snprintf(text, sizeof(text), "%.*s", (int)sizeof(s->request), s->request);
		buf_adds(b, ",\"request\":");
		json_str(b, s->state == SB_IDLE ? "" : text);
		buf_addc(b, '}');
	}
}

static void
json_helpers(struct buf *b)
{
	uint32_t i;
	bool first = true;

	for (i = 0; i < sb->high; i++) {
		const struct sb_slot *s = &sb->slots[i];
		if (s->pid <= 1 || s->role == SB_WORKER)
			continue;
		buf_printf(b, "%s{\"pid\":%d,\"role\":", first ? "" : ",", (int)s->pid);
		json_str(b, sb_role_name(s->role));
		buf_printf(b, ",\"uptime_seconds\":%lld}",
		    (long long)((now.msec - s->started) / 1000));
		first = false;
	}
}

static void
json(struct buf *b, const struct config *cf, const struct totals *t)
{
	size_t i, j;
	int s;
	struct server_view v;

	buf_printf(b, "{\"version\":\"%s\",\"uptime_seconds\":%lld,\"workers\":"
	    "{\"total\":%d", PACKAGE_VERSION,
	    (long long)((now.msec - sb->started) / 1000), t->roles[SB_WORKER]);
	for (s = SB_STARTING; s < SB_NSTATES; s++)
		buf_printf(b, ",\"%s\":%d", sb_state_name(s), t->workers[s]);
	buf_adds(b, "},\"processes\":[");
	json_workers(b);
	buf_adds(b, "],\"helpers\":[");
	json_helpers(b);
	buf_printf(b, "],\"connections\":%llu,\"requests\":%llu,",
	    (unsigned long long)t->connections, (unsigned long long)t->requests);
	buf_printf(b, "\"parked\":{\"idle\":%u,\"reading\":%u,\"handed_to_keeper\":"
	    "%llu,\"handed_back\":%llu},\"shed\":{\"idle\":%llu,\"slow\":%llu},"
	    "\"shared_memory\":{\"zones\":%d,\"bytes\":%zu},\"upstreams\":{",
	    sb->parked_idle, sb->parked_reading,
	    (unsigned long long)sb->parked, (unsigned long long)sb->handed_back,
	    (unsigned long long)sb->shed_idle, (unsigned long long)sb->shed_slow,
	    t->zones, t->zone_bytes);
	for (i = 0; i < cf->nupstreams; i++) {
		const struct upstream *u = cf->upstreams[i];
		if (i > 0)
			buf_addc(b, ',');
		json_str(b, u->name);
		buf_printf(b, ":{\"method\":\"%s\",\"servers\":[", method_name(u->method));
		for (j = 0; j < u->npeers; j++) {
			if (j > 0)
				buf_addc(b, ',');
			view(&u->peers[j], &v);
			json_server(b, u, &v);
		}
		buf_adds(b, "]}");
	}
	buf_adds(b, "},\"ssl_session_caches\":{");
	json_caches(b, cf);
	buf_adds(b, "},\"limit_conn_zones\":{");
	json_limits(b, cf);
	buf_adds(b, "},\"proxy_caches\":{");
	json_proxy_caches(b, cf);
	buf_adds(b, "}}\n");
}

/* Label values escape backslash, quote and newline. */
static void
label(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_printf(b, "\\%c", *s);
		else if (*s == '\n')
			buf_adds(b, "\\n");
		else
			buf_addc(b, *s);
	}
}

static void
metric_head(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
server_labels(struct buf *b, const char *metric, const struct upstream *u,
    const struct peer *p)
{
	buf_printf(b, "%s{upstream=\"", metric);
	label(b, u->name);
	buf_adds(b, "\",server=\"");
	label(b, p->addr);
	buf_adds(b, "\"}");
}

/* One family of per-server samples. */
static void
server_family(struct buf *b, const struct config *cf, const char *name,
    const char *type, const char *help, int which)
{
	size_t i, j;
	struct server_view v;

	metric_head(b, name, type, help);
	for (i = 0; i < cf->nupstreams; i++)
		for (j = 0; j < cf->upstreams[i]->npeers; j++) {
			const struct upstream *u = cf->upstreams[i];
			const struct peer_state *st = u->peers[j].st;
			view(&u->peers[j], &v);
			if (which == 5 && (!u->hc.enabled || st->hc_last == 0))
				continue;
			server_labels(b, name, u, &u->peers[j]);
			switch (which) {
			case 0: buf_printf(b, " %d\n", strcmp(v.state, "up") == 0 ||
				    strcmp(v.state, "backup") == 0); break;
			case 1: buf_printf(b, " %d\n", v.active); break;
			case 2: buf_printf(b, " %llu\n", (unsigned long long)st->requests);
				break;
			case 3: buf_printf(b, " %llu\n", (unsigned long long)st->failures);
				break;
			case 4: buf_printf(b, " %.3f\n", (double)st->response_ms / 1000);
				break;
			case 5: buf_printf(b, " %.3f\n", (double)st->hc_last / 1000); break;
			case 6: buf_printf(b, " %llu\n", (unsigned long long)st->responses);
				break;
			}
		}
}

static void
prometheus_caches(struct buf *b, const struct config *cf)
{
	static const char *what[] = { "hits", "misses", "stores", "evictions" };
	const char *names[CACHES_MAX];
	struct ssl_cache *v[CACHES_MAX];
	size_t n = caches(cf, names, v, CACHES_MAX), i, k;

	if (n == 0)
		return;
	metric_head(b, "portico_ssl_session_cache_sessions", "gauge",
	    "TLS sessions held in the shared cache.");
	for (i = 0; i < n; i++) {
		buf_adds(b, "portico_ssl_session_cache_sessions{cache=\"");
		label(b, names[i]);
		buf_printf(b, "\"} %u\n", v[i]->used);
	}
	for (k = 0; k < 4; k++) {
		char name[64];
		snprintf(name, sizeof(name), "portico_ssl_session_cache_%s_total", what[k]);
		metric_head(b, name, "counter", "Shared TLS session cache events.");
		for (i = 0; i < n; i++) {
			uint64_t val = k == 0 ? v[i]->hits : k == 1 ? v[i]->misses :
			    k == 2 ? v[i]->stores : v[i]->evictions;
			buf_printf(b, "%s{cache=\"", name);
			label(b, names[i]);
			buf_printf(b, "\"} %llu\n", (unsigned long long)val);
		}
	}
}

static void
prometheus_keeper(struct buf *b)
{
	metric_head(b, "portico_parked_connections", "gauge",
	    "Connections the keeper holds for workers.");
	buf_printf(b, "portico_parked_connections{state=\"idle\"} %u\n"
	    "portico_parked_connections{state=\"reading\"} %u\n", sb->parked_idle,
	    sb->parked_reading);
	metric_head(b, "portico_handoffs_total", "counter",
	    "Connections passed between workers and the keeper.");
	buf_printf(b, "portico_handoffs_total{to=\"keeper\"} %llu\n"
	    "portico_handoffs_total{to=\"worker\"} %llu\n",
	    (unsigned long long)sb->parked, (unsigned long long)sb->handed_back);
	metric_head(b, "portico_shed_connections_total", "counter",
	    "Connections closed to make room when every worker was busy.");
	buf_printf(b, "portico_shed_connections_total{reason=\"idle\"} %llu\n"
	    "portico_shed_connections_total{reason=\"slow\"} %llu\n",
	    (unsigned long long)sb->shed_idle, (unsigned long long)sb->shed_slow);
}

static void
prometheus_limits(struct buf *b, const struct config *cf)
{
	static const struct {
		const char	*name;
		const char	*type;
		const char	*help;
	} families[] = {
		{ "portico_limit_conn_keys", "gauge", "Keys counted now." },
		{ "portico_limit_conn_connections", "gauge", "Requests counted now." },
		{ "portico_limit_conn_rejected_total", "counter",
		    "Requests refused: their key was at its limit." },
		{ "portico_limit_conn_full_total", "counter",
		    "Requests refused: no room in the zone for their key." },
	};
	const struct limit_zones *zs = &cf->main.limit_zones;
	const struct conn_zone *z;
	size_t i, k;
	uint64_t val;

	if (zs->n == 0)
		return;
	for (k = 0; k < 4; k++) {
		metric_head(b, families[k].name, families[k].type, families[k].help);
		for (i = 0; i < zs->n; i++) {
			z = zs->v[i].shm;
			val = k == 0 ? z->keys : k == 1 ? z->conns :
			    k == 2 ? z->rejected : z->exhausted;
			buf_printf(b, "%s{zone=\"", families[k].name);
			label(b, zs->v[i].name);
			buf_printf(b, "\"} %llu\n", (unsigned long long)val);
		}
	}
}

static void
cache_sample(struct buf *b, const char *metric, const char *cache,
    unsigned long long v)
{
	buf_printf(b, "%s{cache=\"", metric);
	label(b, cache);
	buf_printf(b, "\"} %llu\n", v);
}

static void
prometheus_proxy_caches(struct buf *b, const struct config *cf)
{
	const struct cache_paths *cps = &cf->main.cache_paths;
	char name[64];
	size_t i, k;

	if (cps->n == 0)
		return;
	metric_head(b, "portico_proxy_cache_entries", "gauge",
	    "Answers stored in the proxy cache.");
	for (i = 0; i < cps->n; i++)
		cache_sample(b, "portico_proxy_cache_entries", cps->v[i].name,
		    cps->v[i].zone->files);
	metric_head(b, "portico_proxy_cache_size_bytes", "gauge",
	    "Disk space the proxy cache's files take.");
	for (i = 0; i < cps->n; i++)
		cache_sample(b, "portico_proxy_cache_size_bytes", cps->v[i].name,
		    cps->v[i].zone->disk);
	for (k = 0; k < NCACHE_COUNTERS; k++) {
		snprintf(name, sizeof(name), "portico_proxy_cache_%s_total",
		    cache_counters[k].name);
		metric_head(b, name, "counter", cache_counters[k].help);
		for (i = 0; i < cps->n; i++)
			cache_sample(b, name, cps->v[i].name,
			    cache_counter(cps->v[i].zone, k));
	}
}

static void
prometheus(struct buf *b, const struct config *cf, const struct totals *t)
{
	int s;

	metric_head(b, "portico_workers", "gauge", "Worker processes by state.");
	for (s = SB_STARTING; s < SB_NSTATES; s++)
		buf_printf(b, "portico_workers{state=\"%s\"} %d\n", sb_state_name(s),
		    t->workers[s]);
	metric_head(b, "portico_helpers", "gauge",
	    "Helper processes of the master by role.");
	for (s = SB_WORKER + 1; s < SB_NROLES; s++) {
		buf_adds(b, "portico_helpers{role=\"");
		label(b, sb_role_name(s));
		buf_printf(b, "\"} %d\n", t->roles[s]);
	}
	metric_head(b, "portico_shared_memory_zones", "gauge",
	    "Named zones in the shared segment.");
	buf_printf(b, "portico_shared_memory_zones %d\n", t->zones);
	metric_head(b, "portico_shared_memory_bytes", "gauge",
	    "Bytes of the shared segment in zones.");
	buf_printf(b, "portico_shared_memory_bytes %zu\n", t->zone_bytes);
	metric_head(b, "portico_connections_total", "counter",
	    "Client connections accepted.");
	buf_printf(b, "portico_connections_total %llu\n",
	    (unsigned long long)t->connections);
	metric_head(b, "portico_requests_total", "counter", "Client requests served.");
	buf_printf(b, "portico_requests_total %llu\n", (unsigned long long)t->requests);
	prometheus_keeper(b);
	server_family(b, cf, "portico_upstream_server_up", "gauge",
	    "1 if the upstream server takes requests (up or backup), else 0.", 0);
	server_family(b, cf, "portico_upstream_server_active_connections", "gauge",
	    "Connections to the server open now, across all workers.", 1);
	server_family(b, cf, "portico_upstream_server_requests_total", "counter",
	    "Requests sent to the server.", 2);
	server_family(b, cf, "portico_upstream_server_failures_total", "counter",
	    "Failed attempts (connect errors, timeouts, bad responses).", 3);
	server_family(b, cf, "portico_upstream_server_responses_total", "counter",
	    "Complete responses received from the server.", 6);
	server_family(b, cf, "portico_upstream_server_response_seconds_total",
	    "counter", "Time spent on complete responses.", 4);
	server_family(b, cf, "portico_upstream_server_health_check_timestamp_seconds",
	    "gauge", "When the last active health check finished.", 5);
	prometheus_caches(b, cf);
	prometheus_limits(b, cf);
	prometheus_proxy_caches(b, cf);
}

int
status_handle(struct request *r)
{
	struct buf b = { 0 };
	struct totals t;
	const struct config *cf = r->c->cf;

	if (r->method != M_GET && r->method != M_HEAD)
		return 405;
	clock_update();
	count(&t);
	switch (r->loc->status) {
	case STATUS_JSON:
		json(&b, cf, &t);
		r->content_type = "application/json";
		break;
	case STATUS_PROMETHEUS:
		prometheus(&b, cf, &t);
		r->content_type = "text/plain; version=0.0.4; charset=utf-8";
		break;
	default:
		text(&b, cf, &t);
		r->content_type = "text/plain";
	}
	r->status = 200;
	r->body = BODY_MEM;
	r->mem = (struct str){ pool_strndup(r->pool, b.p ? b.p : "", b.len), b.len };
	r->out_length = (long long)b.len;
	http_set_header(r, "Cache-Control", STR("no-cache"));
	buf_free(&b);
	return 0;
}
