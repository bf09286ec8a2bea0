/*
 * A limit_conn_zone's table: a hash table of node indices with chains
 * through the nodes, and a free list.  Indices rather than pointers, so
 * the table is valid at any address.  Every change is made under the
 * zone's lock, together with the change to the worker's scoreboard list,
 * so that the counts in the table always equal the sums of those lists:
 * that is what lets the master give back a dead worker's counts, and a
 * locker rebuild the table when the previous owner died mid-change.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "conn_zone.h"
#include "scoreboard.h"
#include "shm.h"

_Static_assert(sizeof(struct cz_node) == 64, "a limit_conn node is 64 bytes");

#define CHAIN_MAX	(CZ_KEY_MAX / CZ_CHUNK + 1)	/* nodes of one key */

static uint32_t *
buckets(struct conn_zone *z)
{
	return (uint32_t *)(z + 1);
}

static struct cz_node *
nodes(struct conn_zone *z)
{
	size_t off = sizeof(*z) + sizeof(uint32_t) * z->nbuckets;

	return (struct cz_node *)((char *)z + ((off + 63) & ~(size_t)63));
}

/* Lay out an empty table in size bytes of a fresh (zeroed) zone. */
int
cz_init(struct conn_zone *z, size_t size, const char *text)
{
	int id = shm_zone_id(z);
	uint32_t n;

	if (size < CZ_SIZE_MIN || id < 0)
		return -1;
	n = (uint32_t)((size - sizeof(*z) - 64) /
	    (sizeof(struct cz_node) + sizeof(uint32_t)));
	z->nnodes = z->nbuckets = n;
	z->id = (uint16_t)id;
	snprintf(z->text, sizeof(z->text), "%s", text);
	return shm_lock_init(&z->lock);
}

static bool
key_equal(struct conn_zone *z, const struct cz_node *n, const uint8_t *key,
    size_t len)
{
	size_t off = 0, k;

	if (n->len != len)
		return false;
	for (;;) {
		k = len - off < CZ_CHUNK ? len - off : CZ_CHUNK;
		if (memcmp(n->key, key + off, k) != 0)
			return false;
		off += k;
		if (off == len)
			return true;
		n = &nodes(z)[n->more - 1];
	}
}

/* Where the link to the key is stored, in its bucket or in the chain
 * before it; a link to 0 (the chain's end) when the key is absent. */
static uint32_t *
find_link(struct conn_zone *z, const uint8_t *key, size_t len, uint32_t hash)
{
	uint32_t *link = &buckets(z)[hash % z->nbuckets];
	struct cz_node *n;

	while (*link != 0) {
		n = &nodes(z)[*link - 1];
		if (n->hash == hash && key_equal(z, n, key, len))
			return link;
		link = &n->next;
	}
	return link;
}

/* A node for new use, zeroed: index + 1, 0 when the zone is full. */
static uint32_t
take_node(struct conn_zone *z)
{
	struct cz_node *v = nodes(z);
	uint32_t i;

	if (z->free != 0) {
		i = z->free - 1;
		z->free = v[i].next;
	} else if (z->fresh < z->nnodes) {
		i = z->fresh++;
	} else
		return 0;
	memset(&v[i], 0, sizeof(v[i]));
	return i + 1;
}

/* Free the node i and the nodes that continue its key. */
static void
give_back(struct conn_zone *z, uint32_t i)
{
	struct cz_node *v = nodes(z);
	uint32_t more;

	for (;;) {
		more = v[i].more;
		memset(&v[i], 0, sizeof(v[i]));
		v[i].next = z->free;
		z->free = i + 1;
		if (more == 0)
			return;
		i = more - 1;
	}
}

/* The nodes of a new key, not yet linked: index + 1, 0 when full. */
static uint32_t
new_key(struct conn_zone *z, const uint8_t *key, size_t len, uint32_t hash)
{
	struct cz_node *v = nodes(z);
	uint32_t first = 0, *link = &first, i;
	size_t off = 0, k;

	do {
		if ((i = take_node(z)) == 0) {
			if (first != 0)
				give_back(z, first - 1);
			return 0;
		}
		*link = i--;
		k = len - off < CZ_CHUNK ? len - off : CZ_CHUNK;
		memcpy(v[i].key, key + off, k);
		v[i].kind = off == 0 ? CZ_KEY : CZ_MORE;
		off += k;
		link = &v[i].more;
	} while (off < len);
	v[first - 1].hash = hash;
	v[first - 1].len = (uint8_t)len;
	return first;
}

/* Take n counts off the key at node i; a key no longer counted is
 * unlinked and its nodes freed. */
static void
put_back(struct conn_zone *z, uint32_t i, unsigned n)
{
	struct cz_node *v = nodes(z);
	uint32_t *link;

	if (i >= z->fresh || v[i].kind != CZ_KEY)
		return;
	if (n > v[i].conn)
		n = v[i].conn;
	v[i].conn -= n;
	z->conns -= n;
	if (v[i].conn > 0)
		return;
	link = &buckets(z)[v[i].hash % z->nbuckets];
	while (*link != 0 && *link != i + 1)
		link = &v[*link - 1].next;
	if (*link == i + 1)
		*link = v[i].next;
	z->keys--;
	give_back(z, i);
}

/* Count each key's requests again from the workers' scoreboard lists. */
static void
recount(struct conn_zone *z)
{
	struct cz_node *v = nodes(z);
	uint32_t i, j, k, n;
	uint64_t e;

	for (i = 0; i < z->fresh; i++)
		v[i].conn = 0;
	for (i = 0; i < sb->high; i++) {
		const struct sb_slot *s = &sb->slots[i];
		n = __atomic_load_n(&s->nlimits, __ATOMIC_ACQUIRE);
		for (j = 0; j < n && j < SB_LIMITS; j++) {
			e = s->limits[j];
			k = sb_limit_node(e);
			if (e != 0 && sb_limit_zone(e) == z->id && k < z->fresh &&
			    v[k].kind == CZ_KEY)
				v[k].conn += sb_limit_n(e);
		}
	}
}

/*
 * After a locker died mid-change, rebuild the table from the scoreboard
 * rather than trust half-made chains: keep exactly the keys some worker
 * counts, with the counts the workers list, and free every other node.
 */
static void
rebuild(struct conn_zone *z)
{
	struct cz_node *v = nodes(z);
	uint32_t *b = buckets(z), i, k, steps;

	recount(z);
	for (i = 0; i < z->fresh; i++)
		if (v[i].kind == CZ_MORE)
			v[i].kind = CZ_FREE;
	memset(b, 0, sizeof(*b) * z->nbuckets);
	z->keys = 0;
	z->conns = 0;
	for (i = 0; i < z->fresh; i++) {
		if (v[i].kind != CZ_KEY || v[i].conn == 0)
			continue;
		for (k = v[i].more, steps = 0; k != 0 && k <= z->fresh &&
		    steps < CHAIN_MAX; k = v[k - 1].more, steps++)
			v[k - 1].kind = CZ_MORE;
		v[i].next = b[v[i].hash % z->nbuckets];
		b[v[i].hash % z->nbuckets] = i + 1;
		z->keys++;
		z->conns += v[i].conn;
	}
	z->free = 0;
	for (i = z->fresh; i-- > 0;) {
		if (v[i].kind == CZ_MORE || (v[i].kind == CZ_KEY && v[i].conn > 0))
			continue;
		memset(&v[i], 0, sizeof(v[i]));
		v[i].next = z->free;
		z->free = i + 1;
	}
}

static void
lock(struct conn_zone *z)
{
	if (shm_lock(&z->lock))
		rebuild(z);
}

/* Count one more request of key (1 to CZ_KEY_MAX bytes) unless it has
 * limit already; *node names the key for cz_release. */
enum cz_result
cz_acquire(struct conn_zone *z, const void *key, size_t len, unsigned limit,
    uint32_t *node)
{
	uint32_t hash = shm_hash(key, len), *link, i;
	struct cz_node *v;
	bool added = false;

	if (len == 0 || len > CZ_KEY_MAX)
		return CZ_FULL;
	lock(z);
	v = nodes(z);
	link = find_link(z, key, len, hash);
	if (*link != 0) {
		i = *link - 1;
		if (v[i].conn >= limit) {
			z->rejected++;
			shm_unlock(&z->lock);
			return CZ_REJECTED;
		}
	} else if ((i = new_key(z, key, len, hash)) != 0) {
		i--;
		added = true;
	} else {
		z->exhausted++;
		shm_unlock(&z->lock);
		return CZ_FULL;
	}
	/* Listed first: until the count is raised, a rebuild counts it from
	 * the list; a key not listed would be dropped. */
	if (sb_limit_hold(z->id, i) != 0) {
		if (added)
			give_back(z, i);
		shm_unlock(&z->lock);
		return CZ_UNLISTED;
	}
	if (added) {
		*link = i + 1;
		z->keys++;
	}
	v[i].conn++;
	z->conns++;
	shm_unlock(&z->lock);
	*node = i;
	return CZ_PASSED;
}

void
cz_release(struct conn_zone *z, uint32_t node)
{
	lock(z);
	sb_limit_unhold(z->id, node);
	put_back(z, node, 1);
	shm_unlock(&z->lock);
}

/* The master reaped the worker of slot s: give back what it counted. */
void
cz_release_slot(struct sb_slot *s)
{
	struct conn_zone *z;
	uint64_t e;
	unsigned i;

	for (i = 0; i < s->nlimits && i < SB_LIMITS; i++) {
		e = s->limits[i];
		if (e == 0 || (z = shm_zone_at((int)sb_limit_zone(e))) == NULL)
			continue;
		lock(z);
		put_back(z, sb_limit_node(e), sb_limit_n(e));
		s->limits[i] = 0;
		shm_unlock(&z->lock);
	}
}
