/*
 * The proxy cache, request by request, as nginx's ngx_http_upstream_cache
 * and ngx_http_file_cache do it.  Before an upstream is chosen the
 * request's key (proxy_cache_key) is hashed and looked up in the zone's
 * index:
 *
 *   fresh entry                  HIT: the file is the answer, body by
 *                                sendfile; no upstream at all
 *   expired, nobody updating     EXPIRED: this request updates it, with a
 *                                conditional request when revalidating
 *                                (a 304 makes it REVALIDATED), or serves
 *                                it STALE at once and updates it after
 *                                (background update)
 *   expired, being updated       UPDATING (stale) with use_stale updating,
 *                                else EXPIRED
 *   missing                      MISS: this request fills it; with
 *                                proxy_cache_lock the others wait for it
 *                                up to proxy_cache_lock_timeout
 *
 * An answer is stored when cache_verdict() allows it and proxy_no_cache
 * does not forbid it: written as it streams to the client into a file
 * that gets its name only when complete.  An answer that varies is
 * stored under the variant of the request (the key's hash and the values
 * of the request headers Vary names), the first variant under the key
 * itself, as nginx does.  When the upstream fails or answers with a
 * status proxy_cache_use_stale names, an expired entry is served STALE.
 * A file that is not what the index says is a miss, and is removed.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cache_file.h"
#include "cache_index.h"
#include "cache_policy.h"
#include "clock.h"
#include "conf.h"
#include "http.h"
#include "log.h"
#include "proxy_cache.h"
#include "proxy_parse.h"
#include "request.h"
#include "tmpl.h"

#define HEAD_HEADERS_MAX	100
#define WAIT_STEP_MS		50	/* how often a waiting request looks again */

enum cache_status {
	CS_MISS, CS_BYPASS, CS_EXPIRED, CS_STALE, CS_UPDATING, CS_REVALIDATED,
	CS_HIT
};

static const char *status_names[] = {
	"MISS", "BYPASS", "EXPIRED", "STALE", "UPDATING", "REVALIDATED", "HIT"
};

struct proxy_cache {
	struct request		*r;
	const struct scope	*sc;
	const struct cache_path	*cp;
	struct cache_index	*ci;
	struct str		 key;		/* proxy_cache_key, evaluated */
	uint8_t			 main[CI_KEY];	/* its hash */
	uint8_t			 at[CI_KEY];	/* the entry looked up: main or a variant */
	bool			 secondary;	/* at is a variant */
	struct ci_view		 view;		/* of at, when looked up */
	bool			 have_entry;	/* an expired file at `at` may be served */
	bool			 locked;	/* this request holds at's fill */
	bool			 may_store;
	bool			 revalidate;	/* the upstream was asked conditionally */
	bool			 update;	/* a background update is due */
	int			 stored_status;	/* of the entry served */
	int64_t			 wait_until;	/* monotonic ms: proxy_cache_lock_timeout */
	int64_t			 next_look;	/* monotonic ms */

	/* storing: block is set while the answer is written to w */
	struct cache_writer	*w;
	uint8_t			 store_at[CI_KEY];
	char			*block;
	size_t			 block_len;
	uint64_t		 body_len;
};

static void
set_status(struct proxy_cache *pc, enum cache_status s)
{
	pc->r->cache_status = status_names[s];
}

static bool
predicate(struct request *r, const struct predicates *pr)
{
	size_t i, len;
	char *v;

	for (i = 0; i < pr->n; i++) {
		v = tmpl_eval_str(pr->v[i], r, &len);
		if (len > 0 && !(len == 1 && v[0] == '0'))
			return true;
	}
	return false;
}

static void
delete_dropped(const struct proxy_cache *pc, const struct ci_dropped *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		cache_file_delete(pc->cp, d->keys[i]);
}

static int64_t
expire_at(const struct proxy_cache *pc)
{
	return now.msec + pc->cp->inactive;
}

/* ------------------------------------------------------------ serving */

/* The stored head of entry e, parsed into the request's pool. */
static int
parse_stored(struct request *r, const struct cache_entry *e,
    struct upstream_head *h)
{
	memset(h, 0, sizeof(*h));
	h->content_length = -1;
	h->headers = pool_alloc(r->pool, sizeof(*h->headers) * HEAD_HEADERS_MAX);
	return proxy_parse_head(e->head.p, e->head.n, h, HEAD_HEADERS_MAX) == 0 &&
	    h->len == e->head.n ? 0 : -1;
}

/* ETag and Last-Modified of a stored 200 become the response's validators,
 * so conditional requests and If-Range work on it as on a file. */
static void
take_validators(struct request *r)
{
	size_t i, j = 0;

	for (i = 0; i < r->nout; i++) {
		struct out_header *o = &r->out[i];
		if (strcasecmp(o->name, "ETag") == 0 && o->value.n < sizeof(r->etag)) {
			memcpy(r->etag, o->value.p, o->value.n);
			r->etag[o->value.n] = '\0';
			continue;
		}
		if (strcasecmp(o->name, "Last-Modified") == 0 &&
		    (r->last_modified = http_date_parse(o->value.p, o->value.n)) != -1)
			continue;
		if (strcasecmp(o->name, "Accept-Ranges") == 0)
			continue;
		r->out[j++] = *o;
	}
	r->nout = j;
}

static void look(struct proxy_cache *, bool);

/* The entry at pc->at cannot be used: the index forgets it, its file
 * goes, and pc->view says what the index knows now. */
static int
forget(struct proxy_cache *pc)
{
	if (ci_remove(pc->ci, pc->at, pc->view.gen))
		cache_file_delete(pc->cp, pc->at);
	pc->have_entry = false;
	look(pc, true);
	return -1;
}

/* The file of the entry at pc->at, for this key. */
static int
open_entry(struct proxy_cache *pc, struct cache_entry *e)
{
	if (cache_entry_open(pc->cp, pc->at, &pc->view, e) != 0)
		return forget(pc);
	if (e->key.n != pc->key.n || memcmp(e->key.p, pc->key.p, pc->key.n) != 0) {
		req_log(pc->r, LV_ERROR, 0, "cache file for key \"%.*s\" holds "
		    "another key (an MD5 collision)", (int)pc->key.n, pc->key.p);
		return forget(pc);
	}
	return 0;
}

/* Make the entry at pc->at the answer.  -1 when its file is not usable
 * (then it is forgotten and removed). */
static int
serve(struct proxy_cache *pc, enum cache_status status)
{
	struct request *r = pc->r;
	struct cache_entry e;
	struct upstream_head h;
	char path[PATH_MAX];
	int rc;

	if (open_entry(pc, &e) != 0)
		return -1;
	if (parse_stored(r, &e, &h) != 0) {
		req_log(r, LV_ERROR, 0, "cache file for key \"%.*s\" has a malformed "
		    "response head", (int)pc->key.n, pc->key.p);
		return forget(pc);
	}
	cache_file_name(pc->cp, pc->at, path, sizeof(path));
	set_status(pc, status);
	pc->stored_status = h.status;
	r->nout = 0;
	r->reason = STR_NULL;
	r->content_type = NULL;
	r->etag[0] = '\0';
	r->last_modified = -1;
	r->header_only = false;
	r->nranges = 0;
	proxy_head_adopt(r, &h);
	r->body = BODY_FILE;
	r->fd = e.fd;
	r->file_mem = e.mem;
	r->filename = pool_strdup(r->pool, path);
	r->file_base = r->file_off = e.body_start;
	r->file_len = r->out_length = (long long)e.h.body_len;
	if (r->status == 200) {
		take_validators(r);
		if ((rc = static_file_checks(r, false)) != 0)
			http_error_body(r, rc);		/* 412, 416 */
	}
	return 0;
}

/* ------------------------------------------------------------ looking up */

/* The index knows nothing of at, but the loader has not read the
 * directory yet: a file on disk from before a restart counts. */
static void
look_on_disk(struct proxy_cache *pc)
{
	struct ci_entry ent;
	struct ci_dropped d = { 0 };

	if (!pc->view.cold || pc->view.present ||
	    cache_entry_stat(pc->cp, pc->at, &ent) != 0)
		return;
	ci_load(pc->ci, pc->at, expire_at(pc), &ent, &d);
	delete_dropped(pc, &d);
	ci_lookup(pc->ci, pc->at, now.msec, expire_at(pc), false, &pc->view, NULL);
}

static void
look(struct proxy_cache *pc, bool count_use)
{
	struct ci_dropped d = { 0 };

	ci_lookup(pc->ci, pc->at, now.msec, expire_at(pc), count_use, &pc->view, &d);
	delete_dropped(pc, &d);
	look_on_disk(pc);
}

/* The request's variant of an entry that varies; false when the entry at
 * pc->at is already the one for this request (or cannot be read). */
static bool
other_variant(struct proxy_cache *pc, uint8_t *variant)
{
	struct cache_entry e;

	if (open_entry(pc, &e) != 0 || e.h.vary_len == 0)
		return false;
	cache_variant(pc->main, e.vary, pc->r->headers, pc->r->nheaders, variant);
	return memcmp(variant, e.h.variant, CI_KEY) != 0;
}

static bool
take_fill(struct proxy_cache *pc)
{
	pc->locked = ci_fill_lock(pc->ci, pc->at, getpid(), now.msec,
	    now.msec + pc->sc->proxy_cache_lock_age);
	return pc->locked;
}

/* An expired entry: update it, or serve it stale. */
static enum cache_step
expired(struct proxy_cache *pc)
{
	struct request *r = pc->r;
	bool updating_ok = pc->sc->proxy_cache_use_stale & STALE_UPDATING;

	pc->have_entry = true;
	if (!pc->may_store || !take_fill(pc)) {
		if (updating_ok && serve(pc, CS_UPDATING) == 0) {
			ci_count(&pc->ci->stats.stale);
			return CACHE_SERVED;
		}
		set_status(pc, CS_EXPIRED);
		ci_count(&pc->ci->stats.expired);
		return CACHE_PASS;
	}
	/* The update runs once the answer is out, on HTTP/1.x only: over
	 * HTTP/2 it would hold the connection's other streams. */
	if (updating_ok && pc->sc->proxy_cache_background_update &&
	    r->stream == NULL && r->content_length <= 0 && !r->chunked &&
	    serve(pc, CS_STALE) == 0) {
		pc->update = true;
		pc->r->cache_update = pc;
		ci_count(&pc->ci->stats.stale);
		return CACHE_SERVED;
	}
	pc->revalidate = pc->sc->proxy_cache_revalidate;
	set_status(pc, CS_EXPIRED);
	ci_count(&pc->ci->stats.expired);
	return CACHE_PASS;
}

/* Nothing stored for at: fill it, or wait for whoever does. */
static enum cache_step
missing(struct proxy_cache *pc)
{
	set_status(pc, CS_MISS);
	if (!pc->view.found || pc->view.uses < (uint32_t)pc->sc->proxy_cache_min_uses) {
		pc->may_store = false;
		ci_count(&pc->ci->stats.misses);
		return CACHE_PASS;
	}
	if (!take_fill(pc) && pc->sc->proxy_cache_lock) {
		if (pc->wait_until == 0)
			pc->wait_until = clock_mono_ms() + pc->sc->proxy_cache_lock_timeout;
		pc->next_look = clock_mono_ms() + WAIT_STEP_MS;
		return CACHE_WAIT;
	}
	ci_count(&pc->ci->stats.misses);
	return CACHE_PASS;
}

/* What the entry at pc->at (looked up into pc->view) means for this
 * request. */
static enum cache_step
decide(struct proxy_cache *pc)
{
	uint8_t variant[CI_KEY];
	int tries;

	if (pc->view.present && pc->view.vary && !pc->secondary &&
	    other_variant(pc, variant)) {
		memcpy(pc->at, variant, CI_KEY);
		pc->secondary = true;
		look(pc, true);
	}
	/* A file replaced as it was opened leaves the index naming the new
	 * one: one more try. */
	for (tries = 0; tries < 2 && pc->view.present &&
	    pc->view.valid_until > now.msec; tries++)
		if (serve(pc, CS_HIT) == 0) {
			ci_count(&pc->ci->stats.hits);
			return CACHE_SERVED;
		}
	if (pc->view.present)
		return expired(pc);
	return missing(pc);
}

/*
 * A request reaches a location that proxies.  Without proxy_cache, or for
 * a method proxy_cache_methods leaves out, *pcp is NULL and the cache
 * stays out of it.
 */
enum cache_step
cache_start(struct request *r, struct proxy_cache **pcp)
{
	const struct scope *sc = r->sc;
	struct proxy_cache *pc;
	size_t len;

	*pcp = NULL;
	if (sc->proxy_cache == NULL || sc->proxy_cache->path->zone == NULL ||
	    !(sc->proxy_cache_methods & (1 << r->method)))
		return CACHE_PASS;
	pc = pool_zalloc(r->pool, sizeof(*pc));
	pc->r = r;
	pc->sc = sc;
	pc->cp = sc->proxy_cache->path;
	pc->ci = pc->cp->zone;
	pc->key.p = tmpl_eval_str(sc->proxy_cache_key, r, &len);
	pc->key.n = len;
	cache_hash(pc->key.p, pc->key.n, pc->main);
	memcpy(pc->at, pc->main, CI_KEY);
	*pcp = pc;
	clock_update();
	/* nginx passes HEAD on as GET to fill the entry; portico passes it
	 * as HEAD and keeps nothing of it. */
	pc->may_store = r->method != M_HEAD;
	if (predicate(r, &sc->proxy_cache_bypass)) {
		set_status(pc, CS_BYPASS);
		ci_count(&pc->ci->stats.bypasses);
		return CACHE_PASS;
	}
	look(pc, true);
	if (r->method == M_HEAD && !pc->view.present) {
		set_status(pc, CS_MISS);
		ci_count(&pc->ci->stats.misses);
		return CACHE_PASS;
	}
	return decide(pc);
}

/* A waiting request looks again: the entry may be there now, its filler
 * gone, or the wait over (then the upstream is asked, and the answer not
 * stored, as nginx). */
enum cache_step
cache_recheck(struct proxy_cache *pc)
{
	enum cache_step step;

	clock_update();
	look(pc, false);
	if (pc->view.present || !pc->view.found)
		return decide(pc);
	if ((step = missing(pc)) != CACHE_WAIT || clock_mono_ms() < pc->wait_until)
		return step;
	req_log(pc->r, LV_INFO, 0, "cache lock timeout");
	pc->may_store = false;
	ci_count(&pc->ci->stats.misses);
	return CACHE_PASS;
}

/* When a waiting request looks again (monotonic ms). */
int64_t
cache_recheck_at(const struct proxy_cache *pc)
{
	return pc->next_look < pc->wait_until ? pc->next_look : pc->wait_until;
}

/* ------------------------------------------------------- the upstream side */

/* With a cache the upstream is asked for the whole answer: the client's
 * validators and ranges stay here (the cache answers them), as nginx's
 * proxy_cache headers do. */
bool
cache_hides_header(const struct request *r, struct str name)
{
	static const char *const names[] = {
		"If-Modified-Since", "If-Unmodified-Since", "If-None-Match",
		"If-Match", "Range", "If-Range",
	};

	return r->sc->proxy_cache != NULL &&
	    str_caseeq_any(name, names, sizeof(names) / sizeof(names[0]));
}

/* proxy_cache_revalidate: ask with the expired entry's validators. */
void
cache_revalidation(const struct proxy_cache *pc, struct buf *b)
{
	struct cache_entry e;
	struct upstream_head h;
	const struct str *v;

	if (pc == NULL || !pc->revalidate ||
	    cache_entry_open(pc->cp, pc->at, &pc->view, &e) != 0 ||
	    parse_stored(pc->r, &e, &h) != 0 || h.status != 200)
		return;
	if ((v = upstream_header(&h, "Last-Modified")) != NULL)
		buf_printf(b, "If-Modified-Since: %.*s\r\n", (int)v->n, v->p);
	if ((v = upstream_header(&h, "ETag")) != NULL)
		buf_printf(b, "If-None-Match: %.*s\r\n", (int)v->n, v->p);
}

static int
stale_flag(int status)
{
	switch (status) {
	case 500: return STALE_HTTP_500;
	case 502: return STALE_HTTP_502;
	case 503: return STALE_HTTP_503;
	case 504: return STALE_HTTP_504;
	case 403: return STALE_HTTP_403;
	case 404: return STALE_HTTP_404;
	case 429: return STALE_HTTP_429;
	default:  return 0;
	}
}

/* Serve the expired entry instead of what the upstream gave. */
static enum cache_step
serve_stale(struct proxy_cache *pc, int flag)
{
	if (!pc->have_entry || !(pc->sc->proxy_cache_use_stale & flag) ||
	    serve(pc, CS_STALE) != 0)
		return CACHE_PASS;
	ci_count(&pc->ci->stats.stale);
	return CACHE_SERVED;
}

/* The upstream confirmed the expired entry (304): fresh again for what
 * the 304 says, else for proxy_cache_valid of the stored status. */
static enum cache_step
revalidated(struct proxy_cache *pc, const struct upstream_head *h)
{
	const char *why;
	int64_t valid;

	if (serve(pc, CS_REVALIDATED) != 0) {
		req_log(pc->r, LV_ERROR, 0, "upstream confirmed a cache entry that "
		    "is gone");
		return CACHE_ERROR;
	}
	valid = cache_freshness(h, now.msec, &why);
	if (valid == 0)
		valid = now.msec + cache_valid_ms(&pc->sc->proxy_cache_valid,
		    pc->stored_status);
	if (valid > now.msec)
		ci_refresh(pc->ci, pc->at, pc->view.gen, valid);
	ci_count(&pc->ci->stats.revalidated);
	return CACHE_SERVED;
}

/* Where a varying answer goes: under the variant it was looked up at, or
 * else under the key itself. */
static void
choose_store_at(struct proxy_cache *pc, const struct cache_verdict *v,
    uint8_t *variant)
{
	cache_variant(pc->main, (struct str){ v->vary, v->vary_len },
	    pc->r->headers, pc->r->nheaders, variant);
	if (v->vary_len > 0 && pc->secondary && memcmp(variant, pc->at, CI_KEY) == 0)
		memcpy(pc->store_at, pc->at, CI_KEY);
	else
		memcpy(pc->store_at, pc->main, CI_KEY);
}

static void
start_store(struct proxy_cache *pc, const struct upstream_head *h, const char *raw)
{
	struct request *r = pc->r;
	struct cache_verdict v;
	struct cache_file_head fh;
	uint8_t variant[CI_KEY];

	if (!pc->may_store || predicate(r, &pc->sc->proxy_no_cache))
		return;
	cache_verdict(h, &pc->sc->proxy_cache_valid, now.msec, &v);
	if (!v.store || pc->key.n > UINT16_MAX)
		return;
	choose_store_at(pc, &v, variant);
	memset(&fh, 0, sizeof(fh));
	memcpy(fh.key, pc->store_at, CI_KEY);
	if (v.vary_len > 0)
		memcpy(fh.variant, variant, CI_KEY);
	fh.valid_until = v.valid_until;
	fh.stored = now.msec;
	pc->block_len = cache_block_size(pc->key.n, v.vary_len, h->len);
	pc->block = pool_alloc(r->pool, pc->block_len);
	cache_block_fill(pc->block, &fh, pc->key, (struct str){ v.vary, v.vary_len },
	    (struct str){ raw, h->len });
	pc->w = pool_alloc(r->pool, sizeof(*pc->w));
	if (cache_writer_open(pc->w, pc->cp, pc->store_at, pc->block_len) != 0)
		pc->block = NULL;
}

/*
 * The upstream's head: serve the expired entry instead (a status that
 * proxy_cache_use_stale names, or 304 to a revalidation), else start
 * storing the answer if it may be stored.
 */
enum cache_step
cache_head(struct proxy_cache *pc, const struct upstream_head *h, const char *raw)
{
	if (pc == NULL)
		return CACHE_PASS;
	clock_update();
	if (serve_stale(pc, stale_flag(h->status)) == CACHE_SERVED)
		return CACHE_SERVED;
	if (h->status == 304 && pc->revalidate && pc->have_entry)
		return revalidated(pc, h);
	start_store(pc, h, raw);
	return CACHE_PASS;
}

void
cache_body(struct proxy_cache *pc, const char *data, size_t n)
{
	if (pc == NULL || pc->block == NULL)
		return;
	cache_writer_body(pc->w, data, n);
	pc->body_len += n;
}

/* The whole body came: the entry is in place. */
void
cache_complete(struct proxy_cache *pc)
{
	struct ci_entry ent;
	struct ci_dropped d = { 0 };

	if (pc == NULL || pc->block == NULL)
		return;
	if (cache_writer_commit(pc->w, pc->block, pc->block_len, pc->body_len,
	    &ent) == 0) {
		clock_update();
		if (ci_commit(pc->ci, pc->store_at, getpid(), expire_at(pc), &ent,
		    &d) == 0)
			cache_file_delete(pc->cp, pc->store_at);
		delete_dropped(pc, &d);
		if (memcmp(pc->store_at, pc->at, CI_KEY) == 0)
			pc->locked = false;	/* the commit ended the fill */
	}
	pc->block = NULL;
}

/* The upstream failed (cond: NEXT_ERROR or NEXT_TIMEOUT). */
enum cache_step
cache_failed(struct proxy_cache *pc, int cond)
{
	if (pc == NULL)
		return CACHE_PASS;
	clock_update();
	return serve_stale(pc, cond & NEXT_TIMEOUT ? STALE_TIMEOUT :
	    STALE_ERROR | STALE_INVALID_HEADER);
}

/* The request is done with the cache: an unfinished file is dropped and
 * a fill still held is given up. */
void
cache_end(struct proxy_cache *pc)
{
	if (pc == NULL)
		return;
	if (pc->block != NULL)
		cache_writer_abort(pc->w);
	pc->block = NULL;
	if (pc->locked && !pc->update)
		ci_fill_unlock(pc->ci, pc->at, getpid(),
		    pc->sc->proxy_cache_min_uses <= 1);
	if (!pc->update)
		pc->locked = false;
}

/* The background update begins: what cache_end does from now on is
 * release the fill it keeps. */
void
cache_update_begin(struct proxy_cache *pc)
{
	pc->update = false;
	pc->revalidate = pc->sc->proxy_cache_revalidate;
	set_status(pc, CS_EXPIRED);
	ci_count(&pc->ci->stats.expired);
}
