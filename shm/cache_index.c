/*
 * The proxy cache's index (see cache_index.h): a hash table of slot
 * indices with chains through the nodes, a doubly linked LRU list and a
 * free list, all under the zone's lock.  The header fields and counters
 * are the only state outside the slots.
 */
#include "config.h"

#include <string.h>

#include "cache_index.h"

/* Nodes first: they need 8-byte alignment, the buckets only 4. */
static struct ci_node *
nodes(struct cache_index *ci)
{
	return (struct ci_node *)(ci + 1);
}

static uint32_t *
buckets(struct cache_index *ci)
{
	return (uint32_t *)(nodes(ci) + ci->nnodes);
}

static uint32_t
bucket_of(struct cache_index *ci, const uint8_t *key)
{
	uint32_t h;

	memcpy(&h, key, sizeof(h));	/* the key is a hash already */
	return h % ci->nbuckets;
}

/* An empty index in the zone's slots; the counters and the lock stay.
 * Touches only the header and the bucket array. */
static void
layout(struct cache_index *ci, uint32_t n)
{
	ci->nnodes = n;
	ci->nbuckets = n;
	memset(buckets(ci), 0, sizeof(uint32_t) * n);
	lru_init(&ci->lru);
	ci->free = CI_NIL;
	ci->fresh = ci->entries = ci->files = ci->filling = 0;
	ci->disk = 0;
	ci->cold = 1;
}

int
ci_init(struct cache_index *ci, size_t size)
{
	size_t n;

	if (size < sizeof(*ci))
		return -1;
	n = (size - sizeof(*ci)) / (sizeof(struct ci_node) + sizeof(uint32_t));
	if (n < 8)
		return -1;
	memset(ci, 0, sizeof(*ci));
	layout(ci, (uint32_t)n);
	return shm_lock_init(&ci->lock);
}

/* After a locker died mid-update, forget every entry rather than trust
 * half-made lists: the files stay, and the index is rebuilt from them. */
static void
lock(struct cache_index *ci)
{
	if (shm_lock(&ci->lock))
		layout(ci, ci->nnodes);
}

static void
unlock(struct cache_index *ci)
{
	shm_unlock(&ci->lock);
}

static struct lru_nodes
lru_nodes(struct cache_index *ci)
{
	return LRU_NODES(nodes(ci), lru);
}

/* Where the link to the node with this key is: in its bucket or in the
 * node before it in the chain. */
static uint32_t *
find_link(struct cache_index *ci, const uint8_t *key)
{
	uint32_t *link = &buckets(ci)[bucket_of(ci, key)];
	struct ci_node *n = nodes(ci);

	while (*link != 0 && memcmp(n[*link - 1].key, key, CI_KEY) != 0)
		link = &n[*link - 1].hnext;
	return link;
}

static struct ci_node *
find(struct cache_index *ci, const uint8_t *key)
{
	uint32_t *link = find_link(ci, key);

	return *link != 0 ? &nodes(ci)[*link - 1] : NULL;
}

static void
set_filler(struct cache_index *ci, struct ci_node *n, pid_t pid)
{
	if ((n->filler != 0) != (pid != 0))
		ci->filling += pid != 0 ? 1 : -1;
	n->filler = pid;
}

static void
unpresent(struct cache_index *ci, struct ci_node *n)
{
	if (!n->present)
		return;
	n->present = 0;
	ci->files--;
	ci->disk -= n->disk;
	n->disk = 0;
}

/* Free the node at *link; its key goes to dropped when its file exists. */
static void
drop(struct cache_index *ci, uint32_t *link, struct ci_dropped *dropped)
{
	uint32_t i = *link - 1;
	struct ci_node *n = &nodes(ci)[i];

	if (n->present && dropped != NULL && dropped->n < CI_EVICT_MAX)
		memcpy(dropped->keys[dropped->n++], n->key, CI_KEY);
	unpresent(ci, n);
	set_filler(ci, n, 0);
	*link = n->hnext;
	lru_unlink(&ci->lru, lru_nodes(ci), i);
	n->used = 0;
	n->hnext = ci->free;
	ci->free = i;
	ci->entries--;
}

/* Drop the least recently used node nobody is filling; false when the few
 * oldest are all being filled. */
static bool
evict_one(struct cache_index *ci, struct ci_dropped *dropped)
{
	struct ci_node *n = nodes(ci);
	uint32_t i = ci->lru.tail;
	int tries;

	for (tries = 0; i != CI_NIL && tries < 16; tries++, i = n[i].lru.prev) {
		if (n[i].filler != 0)
			continue;
		if (n[i].present)
			ci->stats.evictions++;
		drop(ci, find_link(ci, n[i].key), dropped);
		return true;
	}
	return false;
}

/* A new node for key at the front of the LRU list, or NULL when no slot
 * can be had. */
static struct ci_node *
create(struct cache_index *ci, const uint8_t *key, int64_t expire,
    struct ci_dropped *dropped)
{
	uint32_t i, *bucket;
	struct ci_node *n;

	if (ci->free == CI_NIL && ci->fresh == ci->nnodes &&
	    !evict_one(ci, dropped))
		return NULL;
	if (ci->free != CI_NIL) {
		i = ci->free;
		ci->free = nodes(ci)[i].hnext;
	} else
		i = ci->fresh++;
	n = &nodes(ci)[i];
	memset(n, 0, sizeof(*n));
	memcpy(n->key, key, CI_KEY);
	n->used = 1;
	n->expire = expire;
	bucket = &buckets(ci)[bucket_of(ci, key)];
	n->hnext = *bucket;
	*bucket = i + 1;
	lru_front(&ci->lru, lru_nodes(ci), i);
	ci->entries++;
	return n;
}

static void
touch(struct cache_index *ci, struct ci_node *n, int64_t expire)
{
	uint32_t i = (uint32_t)(n - nodes(ci));

	lru_unlink(&ci->lru, lru_nodes(ci), i);
	lru_front(&ci->lru, lru_nodes(ci), i);
	n->expire = expire;
}

static void
view_of(const struct cache_index *ci, const struct ci_node *n, struct ci_view *v)
{
	memset(v, 0, sizeof(*v));
	v->cold = ci->cold;
	if (n == NULL)
		return;
	v->found = true;
	v->present = n->present;
	v->vary = n->vary;
	v->uses = n->uses;
	v->filler = n->filler;
	v->fill_until = n->fill_until;
	v->valid_until = n->valid_until;
	v->gen = n->gen;
	v->file = n->file;
}

/*
 * What the index knows of key.  count_use: this is a request asking for
 * it, so the entry is counted, moved to the front, kept from expiring
 * until expire, and created (not present) when unknown.
 */
void
ci_lookup(struct cache_index *ci, const uint8_t *key, int64_t now,
    int64_t expire, bool count_use, struct ci_view *v, struct ci_dropped *dropped)
{
	struct ci_node *n;

	(void)now;
	lock(ci);
	n = find(ci, key);
	if (count_use && n == NULL)
		n = create(ci, key, expire, dropped);
	else if (count_use)
		touch(ci, n, expire);
	if (count_use && n != NULL)
		n->uses++;
	view_of(ci, n, v);
	unlock(ci);
}

/* Take the right to fill (or update) key: nobody has it, or its holder
 * has had it past lock_age.  It lasts until `until`. */
bool
ci_fill_lock(struct cache_index *ci, const uint8_t *key, pid_t pid, int64_t now,
    int64_t until)
{
	struct ci_node *n;
	bool mine = false;

	lock(ci);
	n = find(ci, key);
	if (n != NULL && (n->filler == 0 || n->filler == pid || n->fill_until <= now)) {
		set_filler(ci, n, pid);
		n->fill_until = until;
		mine = true;
	}
	unlock(ci);
	return mine;
}

/* Give the fill up.  forget: an entry with no file is dropped too (its
 * use count does not matter when one use is enough to store). */
void
ci_fill_unlock(struct cache_index *ci, const uint8_t *key, pid_t pid, bool forget)
{
	uint32_t *link;
	struct ci_node *n;

	lock(ci);
	link = find_link(ci, key);
	n = *link != 0 ? &nodes(ci)[*link - 1] : NULL;
	if (n != NULL && n->filler == pid)
		set_filler(ci, n, 0);
	if (n != NULL && forget && !n->present && n->filler == 0)
		drop(ci, link, NULL);
	unlock(ci);
}

static void
set_entry(struct cache_index *ci, struct ci_node *n, const struct ci_entry *e)
{
	unpresent(ci, n);
	n->present = 1;
	n->vary = e->vary;
	n->valid_until = e->valid_until;
	n->disk = e->disk;
	n->file = e->file;
	n->gen = ++ci->gen;
	ci->files++;
	ci->disk += e->disk;
}

/* A file for key is in place: the entry is present from now on, and pid's
 * fill (if it had one) is over.  Its generation, or 0 when the index has
 * no room for it (the file is then the caller's to delete). */
uint64_t
ci_commit(struct cache_index *ci, const uint8_t *key, pid_t pid, int64_t expire,
    const struct ci_entry *e, struct ci_dropped *dropped)
{
	struct ci_node *n;
	uint64_t gen = 0;

	lock(ci);
	n = find(ci, key);
	if (n == NULL)
		n = create(ci, key, expire, dropped);
	if (n != NULL) {
		set_entry(ci, n, e);
		if (n->filler == pid)
			set_filler(ci, n, 0);
		touch(ci, n, expire);
		gen = n->gen;
		ci->stats.stores++;
	}
	unlock(ci);
	return gen;
}

/* The loader found a file for key: index it unless the index knows a
 * file already.  false when it was not taken. */
bool
ci_load(struct cache_index *ci, const uint8_t *key, int64_t expire,
    const struct ci_entry *e, struct ci_dropped *dropped)
{
	struct ci_node *n;
	bool taken = false;

	lock(ci);
	n = find(ci, key);
	if (n == NULL)
		n = create(ci, key, expire, dropped);
	if (n != NULL && !n->present) {
		set_entry(ci, n, e);
		n->uses = 1;
		taken = true;
	}
	unlock(ci);
	return taken;
}

/* The upstream said the file of generation gen is still good. */
void
ci_refresh(struct cache_index *ci, const uint8_t *key, uint64_t gen,
    int64_t valid_until)
{
	struct ci_node *n;

	lock(ci);
	n = find(ci, key);
	if (n != NULL && n->present && n->gen == gen)
		n->valid_until = valid_until;
	unlock(ci);
}

/* The file of generation gen is bad or gone: forget it.  true when the
 * index still named that file (then the caller deletes it). */
bool
ci_remove(struct cache_index *ci, const uint8_t *key, uint64_t gen)
{
	uint32_t *link;
	struct ci_node *n;
	bool removed = false;

	lock(ci);
	link = find_link(ci, key);
	n = *link != 0 ? &nodes(ci)[*link - 1] : NULL;
	if (n != NULL && n->present && n->gen == gen) {
		removed = true;
		if (n->filler != 0)
			unpresent(ci, n);
		else
			drop(ci, link, NULL);
	}
	unlock(ci);
	return removed;
}

/*
 * The cache manager's work: drop entries unused since their expire time,
 * then, while the files take more than max_disk bytes (0: no limit), the
 * least recently used.  Entries being filled stay.  The keys of dropped
 * entries whose files exist go to keys (at most max); returns how many.
 */
size_t
ci_trim(struct cache_index *ci, int64_t now, uint64_t max_disk,
    uint8_t (*keys)[CI_KEY], size_t max)
{
	struct ci_node *n;
	uint32_t i, prev;
	size_t k = 0;
	bool over;

	lock(ci);
	n = nodes(ci);
	for (i = ci->lru.tail; i != CI_NIL && k < max; i = prev) {
		prev = n[i].lru.prev;
		over = max_disk > 0 && ci->disk > max_disk;
		if (n[i].filler != 0 || (!over && n[i].expire > now))
			continue;
		if (n[i].present) {
			memcpy(keys[k++], n[i].key, CI_KEY);
			if (over)
				ci->stats.evictions++;
		}
		drop(ci, find_link(ci, n[i].key), NULL);
	}
	unlock(ci);
	return k;
}

/* pid died: the fills it held are nobody's.  Returns how many. */
size_t
ci_repair(struct cache_index *ci, pid_t pid)
{
	struct ci_node *n;
	uint32_t i;
	size_t count = 0;

	lock(ci);
	n = nodes(ci);
	for (i = 0; ci->filling > 0 && i < ci->fresh; i++)
		if (n[i].used && n[i].filler == pid) {
			set_filler(ci, &n[i], 0);
			count++;
		}
	unlock(ci);
	return count;
}

void
ci_count(uint64_t *counter)
{
	__atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
}
