/*
 * Load balancing over shared state.  Round robin is nginx's smooth
 * weighted round robin with the current weights in shared memory, so the
 * rotation is one sequence across all workers; least_conn counts the
 * connections every worker holds (from the scoreboard) and records its own
 * choice before releasing the upstream's lock (taken for the round robin
 * among the least loaded, not for the count); ip_hash hashes the whole
 * client address; "hash KEY" hashes a variable string, on a ketama ring
 * with "consistent".  A server that fails max_fails times within
 * fail_timeout is skipped by all workers for fail_timeout; backups are used
 * only when no primary can be.
 */
#include "config.h"

#include <netinet/in.h>
#include <string.h>
#include <zlib.h>

#include "clock.h"
#include "conf.h"
#include "http.h"
#include "log.h"
#include "request.h"
#include "scoreboard.h"
#include "tmpl.h"
#include "upstream.h"
#include "upstream_state.h"

#define HASH_TRIES	20

/* least_conn's arrays, one entry per peer: the shared indices to count
 * in the scoreboard, and where to count them (this process's own copy). */
static void
bind_counts(struct pool *pool, struct upstream *u)
{
	size_t j;

	u->index = pool_alloc(pool, sizeof(*u->index) * u->npeers);
	u->active = pool_alloc(pool, sizeof(*u->active) * u->npeers);
	for (j = 0; j < u->npeers; j++)
		u->index[j] = u->peers[j].index;
}

/* Give every upstream and peer of cf its shared entry (master only). */
int
upstream_bind(struct config *cf, uint32_t gen)
{
	size_t i, j;
	char key[160];

	for (i = 0; i < cf->nupstreams; i++) {
		struct upstream *u = cf->upstreams[i];
		if ((u->st = uz_upstream(u->name, gen)) == NULL)
			return -1;
		for (j = 0; j < u->npeers; j++) {
			struct peer *p = &u->peers[j];
			snprintf(key, sizeof(key), "%s %s", u->name, p->addr);
			if ((p->index = uz_peer(key, gen)) < 0)
				return -1;
			p->st = &uz->peers[p->index];
		}
		if (u->method == LB_LEAST_CONN)
			bind_counts(&cf->pool, u);
	}
	return 0;
}

bool
upstream_usable(const struct peer *p, int64_t t)
{
	if (p->down || p->st->unhealthy)
		return false;
	/* nginx: a server alone in its group is never marked down. */
	if (p->up->npeers == 1 || p->max_fails == 0)
		return true;
	return p->st->down_until <= t;
}

static bool
candidate(const struct peer *p, struct peer *const *tried, int ntried, int64_t t)
{
	int i;

	for (i = 0; i < ntried; i++)
		if (tried[i] == p)
			return false;
	return upstream_usable(p, t);
}

/* Smooth weighted round robin over the candidates in [from, to); with
 * active (least_conn), only over those not marked -1 in it. */
static struct peer *
round_robin(struct upstream *u, size_t from, size_t to, struct peer *const *tried,
    int ntried, const int *active)
{
	struct peer *best = NULL;
	int64_t total = 0;
	size_t i;
	int64_t t = now.mono_ms;

	for (i = from; i < to; i++) {
		struct peer *p = &u->peers[i];
		if (!candidate(p, tried, ntried, t))
			continue;
		if (active != NULL && active[i] < 0)
			continue;	/* least_conn: not among the least loaded */
		p->st->current += p->weight;
		total += p->weight;
		if (best == NULL || p->st->current > best->st->current)
			best = p;
	}
	if (best != NULL)
		best->st->current -= total;
	return best;
}

/* least_conn: count the connections to the peers in [from, to) into
 * u->active, then mark with -1 every candidate that is not among the least
 * loaded (connections per weight), so round robin picks among the rest. */
static void
least_loaded(struct upstream *u, size_t from, size_t to,
    struct peer *const *tried, int ntried)
{
	int *active = u->active;
	size_t i;
	int best = -1;
	int64_t t = now.mono_ms;

	uz_active_many(u->index + from, (int)(to - from), active + from);
	for (i = from; i < to; i++) {
		if (!candidate(&u->peers[i], tried, ntried, t))
			continue;
		if (best < 0 || (int64_t)active[i] * u->peers[best].weight <
		    (int64_t)active[best] * u->peers[i].weight)
			best = (int)i;
	}
	for (i = from; best >= 0 && i < to; i++)
		if ((int64_t)active[i] * u->peers[best].weight !=
		    (int64_t)active[best] * u->peers[i].weight)
			active[i] = -1;
}

static struct peer *
balanced(struct upstream *u, size_t from, size_t to, struct peer *const *tried,
    int ntried)
{
	const int *active = NULL;
	struct peer *p;

	/* Counted before locking: a pass over the scoreboard is too long to
	 * hold the lock for when hundreds of workers wait on it.  Two workers
	 * counting at once may pick the same server; the next picks even
	 * that out. */
	if (u->method == LB_LEAST_CONN) {
		least_loaded(u, from, to, tried, ntried);
		active = u->active;
	}
	shm_lock(&u->st->lock);
	p = round_robin(u, from, to, tried, ntried, active);
	if (p != NULL)
		sb_hold(p->index);	/* before unlocking: others count it */
	shm_unlock(&u->st->lock);
	return p;
}

/* nginx's ip_hash step, over the whole address; rehashing feeds the
 * previous hash back in. */
static uint32_t
addr_hash(const struct sockaddr_storage *ss, uint32_t h)
{
	const unsigned char *b;
	size_t n, i;

	if (ss->ss_family == AF_INET) {
		b = (const unsigned char *)
		    &((const struct sockaddr_in *)(const void *)ss)->sin_addr;
		n = 4;
	} else {
		const struct in6_addr *a6 =
		    &((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr;
		b = a6->s6_addr;
		n = 16;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			b += 12;
			n = 4;
		}
	}
	for (i = 0; i < n; i++)
		h = (h * 113 + b[i]) % 6271;
	return h;
}

/* The primary at position w of the weight line. */
static struct peer *
by_weight(struct upstream *u, uint32_t h)
{
	uint32_t total = 0, w;
	size_t i;

	for (i = 0; i < u->nprimary; i++)
		total += (uint32_t)u->peers[i].weight;
	w = h % total;
	for (i = 0; w >= (uint32_t)u->peers[i].weight; i++)
		w -= (uint32_t)u->peers[i].weight;
	return &u->peers[i];
}

static uint32_t
key_hash(struct request *r, struct upstream *u)
{
	size_t len;
	char *key = tmpl_eval_str(u->hash_key, r, &len);

	return (uint32_t)crc32(0, (const Bytef *)key, (uInt)len);
}

/* ip_hash and hash: the peer the hash names; rehash past unusable ones. */
static struct peer *
hashed(struct request *r, struct upstream *u, struct peer *const *tried,
    int ntried)
{
	uint32_t h = u->method == LB_IP_HASH ? addr_hash(&r->c->peer, 89) :
	    key_hash(r, u);
	int i;
	struct peer *p;

	for (i = 0; i < HASH_TRIES; i++) {
		p = by_weight(u, h);
		if (candidate(p, tried, ntried, now.mono_ms))
			return p;
		h = u->method == LB_IP_HASH ? addr_hash(&r->c->peer, h) :
		    (uint32_t)crc32(h, (const Bytef *)&i, sizeof(i));
	}
	return NULL;
}

static struct peer *
consistent(struct request *r, struct upstream *u, struct peer *const *tried,
    int ntried)
{
	uint32_t h = key_hash(r, u);
	size_t lo = 0, hi = u->nring, i;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (u->ring[mid].hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = 0; i < u->nring; i++) {
		struct peer *p = u->ring[(lo + i) % u->nring].peer;
		if (candidate(p, tried, ntried, now.mono_ms))
			return p;
	}
	return NULL;
}

/*
 * The server for this try, counted as held by this worker (release it
 * with upstream_release), or NULL when none can be used.
 */
struct peer *
upstream_pick(struct request *r, struct upstream *u, struct peer *const *tried,
    int ntried)
{
	struct peer *p = NULL;

	clock_update();
	if (u->method == LB_IP_HASH || u->method == LB_HASH)
		p = hashed(r, u, tried, ntried);
	else if (u->method == LB_HASH_CONSISTENT)
		p = consistent(r, u, tried, ntried);
	if (p != NULL) {
		sb_hold(p->index);
	} else {
		p = balanced(u, 0, u->nprimary, tried, ntried);
		if (p == NULL && u->nprimary < u->npeers)
			p = balanced(u, u->nprimary, u->npeers, tried, ntried);
	}
	if (p != NULL)
		__atomic_add_fetch(&p->st->requests, 1, __ATOMIC_RELAXED);
	return p;
}

void
upstream_release(struct peer *p)
{
	sb_unhold(p->index);
}

void
upstream_failed(struct request *r, struct peer *p)
{
	struct peer_state *st = p->st;
	int64_t t;
	bool down = false;

	__atomic_add_fetch(&st->failures, 1, __ATOMIC_RELAXED);
	if (p->max_fails == 0 || p->up->npeers == 1)
		return;
	clock_update();
	t = now.mono_ms;
	shm_lock(&p->up->st->lock);
	if (t - st->fail_start > p->fail_timeout) {
		st->fails = 0;
		st->fail_start = t;
	}
	if (++st->fails >= (uint32_t)p->max_fails) {
		st->down_until = t + p->fail_timeout;
		down = true;
	}
	shm_unlock(&p->up->st->lock);
	if (down)
		req_log(r, LV_WARN, 0, "upstream server temporarily disabled");
}

void
upstream_succeeded(struct peer *p, int64_t ms)
{
	struct peer_state *st = p->st;

	__atomic_add_fetch(&st->responses, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&st->response_ms, (uint64_t)(ms > 0 ? ms : 0),
	    __ATOMIC_RELAXED);
	if (st->fails == 0 && st->down_until == 0)
		return;
	shm_lock(&p->up->st->lock);
	st->fails = 0;
	st->down_until = 0;
	shm_unlock(&p->up->st->lock);
}
