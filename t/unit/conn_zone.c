/*
 * A limit_conn zone: counts per key up to a limit, keys independent, long
 * keys over several nodes, a full zone, counts listed in the worker's
 * scoreboard slot and given back by the master for a dead worker, and a
 * zone rebuilt from the scoreboard when a worker dies holding its lock in
 * the middle of a change.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conn_zone.h"
#include "scoreboard.h"
#include "shm.h"
#include "tap.h"

#define ARENA		(16u << 20)
#define ZONE_SIZE	CZ_SIZE_MIN

static struct conn_zone *
new_zone(const char *name, size_t size)
{
	struct conn_zone *z = shm_zone(name, size, 1, NULL);

	if (z == NULL || cz_init(z, size, "$binary_remote_addr") != 0)
		return NULL;
	return z;
}

static int
acquire(struct conn_zone *z, const char *key, unsigned limit, uint32_t *node)
{
	uint32_t dummy;

	return cz_acquire(z, key, strlen(key), limit, node ? node : &dummy);
}

/* This worker's listed count of node in z. */
static unsigned
listed(const struct conn_zone *z, uint32_t node)
{
	unsigned i, n = 0;
	uint64_t e;

	for (i = 0; i < sb_me->nlimits; i++) {
		e = sb_me->limits[i];
		if (e != 0 && sb_limit_zone(e) == z->id && sb_limit_node(e) == node)
			n += sb_limit_n(e);
	}
	return n;
}

/* Every node below fresh is either free (on the free list) or part of a
 * counted key. */
static bool
consistent(struct conn_zone *z)
{
	const struct cz_node *v = (const struct cz_node *)((char *)z +
	    ((sizeof(*z) + sizeof(uint32_t) * z->nbuckets + 63) & ~(size_t)63));
	uint32_t i, nfree = 0, used = 0;

	for (i = z->free; i != 0 && nfree <= z->fresh; i = v[i - 1].next)
		nfree++;
	for (i = 0; i < z->fresh; i++)
		if (v[i].kind != CZ_FREE)
			used++;
	return nfree + used == z->fresh;
}

static void
counting(void)
{
	struct conn_zone *z = new_zone("limit_conn:count", ZONE_SIZE);
	uint32_t a1, a2, b;

	ok(z != NULL, "a zone of the smallest size");
	if (z == NULL)
		return;
	ok(z->nnodes > 400, "32k holds over 400 nodes (%u)", z->nnodes);
	is_int(acquire(z, "alpha", 2, &a1), CZ_PASSED, "first request of a key");
	is_int(acquire(z, "alpha", 2, &a2), CZ_PASSED, "second request of the key");
	is_int(a1, a2, "the same key, the same node");
	is_int(acquire(z, "alpha", 2, NULL), CZ_REJECTED, "third: at the limit");
	is_int(z->rejected, 1, "a refusal is counted");
	is_int(acquire(z, "beta", 1, &b), CZ_PASSED, "another key is independent");
	is_int(acquire(z, "beta", 1, NULL), CZ_REJECTED, "and has its own limit");
	ok(b != a1, "another node");
	is_int(z->keys, 2, "two keys");
	is_int(z->conns, 3, "three requests counted");
	is_int(listed(z, a1), 2, "the worker's slot lists two of alpha");
	is_int(listed(z, b), 1, "and one of beta");
	is_int(acquire(z, "alpha", 3, NULL), CZ_PASSED,
	    "a higher limit (another location) lets a third in");
	cz_release(z, a1);
	cz_release(z, a1);
	cz_release(z, a1);
	is_int(listed(z, a1), 0, "released: no longer listed");
	is_int(z->keys, 1, "a key counted down to 0 is gone");
	is_int(acquire(z, "alpha", 1, NULL), CZ_PASSED, "and counts from 0 again");
	cz_release(z, b);
	is_int(acquire(z, "beta", 1, NULL), CZ_PASSED, "beta after its release");
	is_int(z->conns, 2, "two counted");
	ok(consistent(z), "every node is free or used");
	is_int(cz_acquire(z, "", 0, 1, &b), CZ_FULL, "an empty key is refused");
}

static void
long_keys(void)
{
	struct conn_zone *z = new_zone("limit_conn:long", ZONE_SIZE);
	char k1[CZ_KEY_MAX + 2], k2[CZ_KEY_MAX + 1];
	uint32_t n1, n2, fresh;

	if (!ok(z != NULL, "a zone for long keys"))
		return;
	memset(k1, 'k', sizeof(k1));
	k1[CZ_KEY_MAX] = '\0';
	memcpy(k2, k1, sizeof(k2));
	k2[CZ_KEY_MAX - 1] = 'X';		/* differs in its last node */
	is_int(acquire(z, k1, 1, &n1), CZ_PASSED, "a %d-byte key", CZ_KEY_MAX);
	is_int(z->fresh, (CZ_KEY_MAX + CZ_CHUNK - 1) / CZ_CHUNK,
	    "takes a node per %d bytes", CZ_CHUNK);
	is_int(acquire(z, k1, 1, NULL), CZ_REJECTED, "the same long key matches");
	is_int(acquire(z, k2, 1, &n2), CZ_PASSED,
	    "a key that differs only at its end is another key");
	k1[CZ_KEY_MAX] = 'k';
	is_int(cz_acquire(z, k1, CZ_KEY_MAX + 1, 1, &n2), CZ_FULL,
	    "a key over %d bytes is refused", CZ_KEY_MAX);
	fresh = z->fresh;
	cz_release(z, n1);
	is_int(acquire(z, "short", 1, NULL), CZ_PASSED, "a short key");
	is_int(z->fresh, fresh, "reuses a freed node");
	ok(consistent(z), "every node is free or used");
}

/* A key of CZ_KEY_MAX bytes starting with name. */
static const char *
long_key(const char *name)
{
	static char key[CZ_KEY_MAX + 1];

	memset(key, '.', CZ_KEY_MAX);
	memcpy(key, name, strlen(name));
	return key;
}

/* Filled with the longest keys, so that one worker's list holds them. */
static void
full_zone(void)
{
	struct conn_zone *z = new_zone("limit_conn:full", ZONE_SIZE);
	uint32_t i, per_key = (CZ_KEY_MAX + CZ_CHUNK - 1) / CZ_CHUNK, node, last = 0;
	char name[32];
	int rc = CZ_PASSED;

	if (!ok(z != NULL, "a zone to fill"))
		return;
	for (i = 0; i <= z->nnodes && rc == CZ_PASSED; i++) {
		snprintf(name, sizeof(name), "client-%u", i);
		rc = acquire(z, long_key(name), 1, &node);
		if (rc == CZ_PASSED)
			last = node;
	}
	is_int(rc, CZ_FULL, "a zone with no room refuses a new key");
	is_int(i - 1, z->nnodes / per_key, "after as many keys as fit");
	is_int(z->exhausted, 1, "the refusal is counted");
	ok(consistent(z), "a refused key's nodes are given back");
	is_int(acquire(z, long_key("client-0"), 2, NULL), CZ_PASSED,
	    "a key already there is still counted");
	cz_release(z, last);
	is_int(acquire(z, long_key("newcomer"), 1, NULL), CZ_PASSED,
	    "a released key makes room");
	ok(consistent(z), "every node is free or used");
}

static void
listing_full(void)
{
	struct conn_zone *z = new_zone("limit_conn:listing", ZONE_SIZE);
	char key[32];
	uint32_t keys;
	int i, rc = CZ_PASSED;

	if (!ok(z != NULL, "a zone for many keys of one worker"))
		return;
	for (i = sb_me->nlimits; i < SB_LIMITS * 2 && rc == CZ_PASSED; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		rc = acquire(z, key, 1, NULL);
	}
	is_int(rc, CZ_UNLISTED, "a key the worker's list has no room for is refused");
	keys = z->keys;
	snprintf(key, sizeof(key), "k%d", i - 1);
	is_int(acquire(z, key, 1, NULL), CZ_UNLISTED, "again");
	is_int(z->keys, keys, "and not left in the zone");
	ok(consistent(z), "every node is free or used");
}

/* The master gives back what a reaped worker counted. */
static void
reaped(int slot)
{
	struct conn_zone *z = new_zone("limit_conn:reap", ZONE_SIZE);
	struct conn_zone *other = new_zone("limit_conn:reap2", ZONE_SIZE);

	if (!ok(z != NULL && other != NULL, "two zones"))
		return;
	sb_attach(slot);
	acquire(z, "a", 5, NULL);
	acquire(z, "a", 5, NULL);
	acquire(z, "b", 5, NULL);
	acquire(other, "a", 5, NULL);
	is_int(z->conns + other->conns, 4, "a worker counts four");
	cz_release_slot(&sb->slots[slot]);
	is_int(z->conns, 0, "given back in one zone");
	is_int(other->conns, 0, "and in the other");
	ok(z->keys == 0 && other->keys == 0, "no key left");
	ok(consistent(z) && consistent(other), "both zones consistent");
	is_int(sb->slots[slot].limits[0], 0, "the slot's list is cleared");
}

/* A worker dies holding the zone's lock with its buckets wiped: the next
 * locker rebuilds the zone from the scoreboard. */
static void
owner_dies(int parent_slot, int child_slot)
{
	struct conn_zone *z = new_zone("limit_conn:dies", ZONE_SIZE);
	int p[2];
	char ch;
	pid_t pid;
	uint32_t node;

	if (!ok(z != NULL && pipe(p) == 0, "a zone and a pipe"))
		return;
	sb_attach(parent_slot);
	acquire(z, "parent", 9, NULL);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		sb_attach(child_slot);
		acquire(z, "parent", 9, NULL);
		acquire(z, "child", 9, NULL);
		acquire(z, "child", 9, NULL);
		acquire(z, "gone", 9, &node);
		cz_release(z, node);
		shm_lock(&z->lock);
		memset(z + 1, 0xff, sizeof(uint32_t) * z->nbuckets);
		z->free = 12345;
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	alarm(20);
	ok(read(p[0], &ch, 1) == 1, "the child holds the lock, buckets wiped");
	close(p[0]);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	is_int(acquire(z, "parent", 9, &node), CZ_PASSED,
	    "the next locker does not hang");
	alarm(120);
	is_int(z->keys, 2, "rebuilt: the keys workers count");
	is_int(z->conns, 5, "rebuilt: the counts the workers list");
	is_int(acquire(z, "child", 2, NULL), CZ_REJECTED,
	    "the dead worker's key keeps its count until reaped");
	ok(consistent(z), "every node is free or used after the rebuild");
	cz_release_slot(&sb->slots[child_slot]);
	is_int(z->conns, 2, "after the reap only the parent's two are left");
	is_int(acquire(z, "child", 1, NULL), CZ_PASSED, "and child is free again");
	is_int(z->keys, 2, "parent and child");
	ok(consistent(z), "every node is free or used");
}

int
main(void)
{
	int s0, s1, s2;

	if (!ok(shm_create(ARENA) == 0 && sb_init() == 0, "segment and scoreboard"))
		return done_testing();
	s0 = sb_claim(getpid(), 1, SB_WORKER);
	s1 = sb_claim(100001, 1, SB_WORKER);
	s2 = sb_claim(100002, 1, SB_WORKER);
	sb_attach(s0);
	ok(cz_init(shm_zone("limit_conn:small", ZONE_SIZE - 1, 1, NULL),
	    ZONE_SIZE - 1, "$x") != 0, "a zone below %d bytes is refused", ZONE_SIZE);
	counting();
	long_keys();
	full_zone();
	sb_attach(s1);
	listing_full();
	reaped(s2);
	owner_dies(s0, s2);
	return done_testing();
}
