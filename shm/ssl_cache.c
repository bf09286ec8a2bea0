/*
 * The shared TLS session cache: a hash table of slot indices with chains
 * through the slots, a doubly linked LRU list, and a free list.  All
 * operations take the cache's lock.  Indices rather than pointers, so the
 * structure is valid at any address.
 */
#include "config.h"

#include <string.h>

#include "shm.h"
#include "ssl_cache.h"

_Static_assert(sizeof(struct ssl_slot) == 1024, "an SSL cache slot is 1 KiB");

static uint32_t *
buckets(struct ssl_cache *c)
{
	return (uint32_t *)(c + 1);
}

static struct ssl_slot *
slots(struct ssl_cache *c)
{
	return (struct ssl_slot *)(buckets(c) + c->nbuckets);
}

/* Lay out an empty cache in size bytes, keeping the lock and the
 * statistics.  Touches only the header and the bucket array. */
static void
layout(struct ssl_cache *c, size_t size)
{
	size_t avail = size - sizeof(*c);
	uint32_t n;

	/* About two buckets per slot keeps chains short. */
	n = (uint32_t)(avail / (sizeof(struct ssl_slot) + 2 * sizeof(uint32_t)));
	c->nslots = n;
	c->nbuckets = 2 * n;
	lru_init(&c->lru);
	memset(buckets(c), 0, sizeof(uint32_t) * c->nbuckets);
	c->free = SSL_NIL;
	c->fresh = 0;
	c->used = 0;
}

int
ssl_cache_init(struct ssl_cache *c, size_t size)
{
	if (size < sizeof(*c) + 4 * (sizeof(uint32_t) + sizeof(struct ssl_slot)))
		return -1;
	memset(c, 0, sizeof(*c));
	layout(c, size);
	return shm_lock_init(&c->lock);
}

static struct lru_nodes
lru_nodes(struct ssl_cache *c)
{
	return LRU_NODES(slots(c), lru);
}

/*
 * Where the link to the slot with this id is stored, in its bucket or in
 * the chain before it.  Links hold slot + 1 (0 ends a chain), so a zeroed
 * table is empty.
 */
static uint32_t *
find_link(struct ssl_cache *c, const uint8_t *id, size_t idlen)
{
	uint32_t *link = &buckets(c)[shm_hash(id, idlen) % c->nbuckets];
	struct ssl_slot *s = slots(c);

	while (*link != 0) {
		struct ssl_slot *e = &s[*link - 1];
		if (e->idlen == idlen && memcmp(e->id, id, idlen) == 0)
			return link;
		link = &e->hnext;
	}
	return link;
}

static void
drop(struct ssl_cache *c, uint32_t *link)
{
	uint32_t i = *link - 1;
	struct ssl_slot *s = &slots(c)[i];

	*link = s->hnext;
	lru_unlink(&c->lru, lru_nodes(c), i);
	s->len = 0;
	s->hnext = c->free;
	c->free = i;
	c->used--;
}

/* A slot for a new entry: a freed one, a fresh one, else the least
 * recently used. */
static uint32_t
take_slot(struct ssl_cache *c)
{
	struct ssl_slot *s = slots(c);
	uint32_t i;

	if (c->free == SSL_NIL && c->fresh < c->nslots)
		return c->fresh++;
	if (c->free == SSL_NIL) {
		i = c->lru.tail;
		drop(c, find_link(c, s[i].id, s[i].idlen));
		c->evictions++;
	}
	i = c->free;
	c->free = s[i].hnext;
	return i;
}

/* After a locker died mid-update, empty the cache rather than trust a
 * half-made list: losing sessions costs only full handshakes. */
static void
lock(struct ssl_cache *c)
{
	if (shm_lock(&c->lock))
		layout(c, sizeof(*c) + c->nbuckets * sizeof(uint32_t) +
		    c->nslots * sizeof(struct ssl_slot));
}

bool
ssl_cache_store(struct ssl_cache *c, const uint8_t *id, size_t idlen,
    const uint8_t *data, size_t len, int64_t expires)
{
	uint32_t *link, i;
	struct ssl_slot *s;

	if (idlen == 0 || idlen > SSL_ID_MAX || len == 0 || len > SSL_SLOT_DATA)
		return false;
	lock(c);
	link = find_link(c, id, idlen);
	if (*link != 0)
		drop(c, link);
	i = take_slot(c);
	s = &slots(c)[i];
	memcpy(s->id, id, idlen);
	s->idlen = (uint8_t)idlen;
	memcpy(s->data, data, len);
	s->len = (uint16_t)len;
	s->expires = expires;
	link = &buckets(c)[shm_hash(id, idlen) % c->nbuckets];
	s->hnext = *link;
	*link = i + 1;
	lru_front(&c->lru, lru_nodes(c), i);
	c->used++;
	c->stores++;
	shm_unlock(&c->lock);
	return true;
}

/* Copy the session out; 0 when absent or expired (an expired one is
 * removed). */
size_t
ssl_cache_fetch(struct ssl_cache *c, const uint8_t *id, size_t idlen,
    uint8_t *out, size_t outlen, int64_t now)
{
	uint32_t *link;
	struct ssl_slot *s;
	size_t n = 0;

	if (idlen == 0 || idlen > SSL_ID_MAX)
		return 0;
	lock(c);
	link = find_link(c, id, idlen);
	if (*link != 0) {
		s = &slots(c)[*link - 1];
		if (s->expires <= now) {
			drop(c, link);
			c->expired++;
		} else if (s->len <= outlen) {
			n = s->len;
			memcpy(out, s->data, n);
			lru_unlink(&c->lru, lru_nodes(c), *link - 1);
			lru_front(&c->lru, lru_nodes(c), *link - 1);
		}
	}
	if (n > 0)
		c->hits++;
	else
		c->misses++;
	shm_unlock(&c->lock);
	return n;
}

void
ssl_cache_remove(struct ssl_cache *c, const uint8_t *id, size_t idlen)
{
	uint32_t *link;

	if (idlen == 0 || idlen > SSL_ID_MAX)
		return;
	lock(c);
	link = find_link(c, id, idlen);
	if (*link != 0)
		drop(c, link);
	shm_unlock(&c->lock);
}
