/*
 * The proxy cache's index zone: lookups that count uses, the fill lock
 * and its age, commits, a zone that fills (LRU, never an entry being
 * filled), the manager's trim by inactivity and size, the repair after a
 * filler died, and a lock whose holder died.
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cache_index.h"
#include "tap.h"

static struct cache_index *
zone(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || ci_init(p, size) != 0)
		abort();
	return p;
}

static const uint8_t *
key(int n)
{
	static uint8_t k[CI_KEY];

	memset(k, 0xa5, sizeof(k));
	k[0] = (uint8_t)n;
	k[1] = (uint8_t)(n >> 8);
	return k;
}

static struct ci_entry
entry(uint64_t disk, int64_t valid)
{
	struct ci_entry e = { .valid_until = valid, .disk = disk };

	e.file.ino = disk;
	e.file.size = disk;
	return e;
}

int
main(void)
{
	struct cache_index *ci = zone(16384);
	struct ci_view v;
	struct ci_dropped d = { 0 };
	struct ci_entry e;
	uint8_t keys[64][CI_KEY];
	uint64_t gen;
	uint32_t cap = ci->nnodes, i;
	pid_t pid;
	int status;

	ok(cap > 50 && cap < 200, "a 16 KiB zone holds %u entries", cap);
	ok(ci->cold, "a new zone is cold until the loader has run");

	/* lookups count uses and create the entry */
	ci_lookup(ci, key(1), 0, 100, false, &v, &d);
	ok(!v.found, "an unknown key, not counted: nothing");
	ci_lookup(ci, key(1), 0, 100, true, &v, &d);
	ok(v.found && !v.present && v.uses == 1, "counted: an entry without a file");
	ci_lookup(ci, key(1), 0, 100, true, &v, &d);
	is_int(v.uses, 2, "a second use");

	/* the fill lock */
	ok(ci_fill_lock(ci, key(1), 100, 0, 50), "pid 100 takes the fill");
	ok(!ci_fill_lock(ci, key(1), 200, 10, 60), "pid 200 cannot while it is young");
	ok(ci_fill_lock(ci, key(1), 200, 50, 60), "but can once lock_age passed");
	ok(!ci_fill_lock(ci, key(2), 100, 0, 50), "no fill of an entry nobody asked for");
	is_int(ci->filling, 1, "one fill under way");

	/* commit */
	e = entry(1000, 5000);
	gen = ci_commit(ci, key(1), 200, 100, &e, &d);
	ci_lookup(ci, key(1), 0, 100, true, &v, &d);
	ok(gen != 0 && v.present && v.gen == gen && v.valid_until == 5000 &&
	    v.filler == 0 && v.file.ino == 1000, "the commit makes it present, the fill over");
	is_int(ci->disk, 1000, "its size counts");
	is_int(ci->filling, 0, "no fill left");
	e = entry(3000, 6000);
	ok(ci_commit(ci, key(1), 300, 100, &e, &d) > gen, "a new file, a new generation");
	is_int(ci->disk, 3000, "the old file's size no longer counts");
	ci_refresh(ci, key(1), gen, 9000);
	ci_lookup(ci, key(1), 0, 100, false, &v, &d);
	is_int(v.valid_until, 6000, "a refresh of an old generation does nothing");
	ci_refresh(ci, key(1), v.gen, 9000);
	ci_lookup(ci, key(1), 0, 100, false, &v, &d);
	is_int(v.valid_until, 9000, "a refresh of the current one renews it");
	ok(!ci_remove(ci, key(1), gen), "removing an old generation does nothing");
	ok(ci_remove(ci, key(1), v.gen), "removing the current one");
	ci_lookup(ci, key(1), 0, 100, false, &v, &d);
	ok(!v.found && ci->disk == 0 && ci->entries == 0, "and it is gone");

	/* a fill given up */
	ci_lookup(ci, key(3), 0, 100, true, &v, &d);
	ci_fill_lock(ci, key(3), 100, 0, 50);
	ci_fill_unlock(ci, key(3), 999, true);
	ci_lookup(ci, key(3), 0, 100, false, &v, &d);
	is_int(v.filler, 100, "only the filler can give its fill up");
	ci_fill_unlock(ci, key(3), 100, true);
	ci_lookup(ci, key(3), 0, 100, false, &v, &d);
	ok(!v.found, "given up, an entry without a file is forgotten");

	/* a zone that fills: LRU out, never an entry being filled */
	for (i = 0; i < cap; i++) {
		ci_lookup(ci, key(10 + (int)i), 0, 100, true, &v, &d);
		e = entry(10, 5000);
		ci_commit(ci, key(10 + (int)i), 1, 100, &e, &d);
	}
	is_int(ci->entries, cap, "the zone is full");
	ci_lookup(ci, key(10), 0, 100, true, &v, &d);	/* the oldest is used again */
	ok(ci_fill_lock(ci, key(11), 77, 0, 1000), "the next oldest is being filled");
	d.n = 0;
	ci_lookup(ci, key(5000), 0, 100, true, &v, &d);
	ok(v.found && d.n == 1 && memcmp(d.keys[0], key(12), CI_KEY) == 0,
	    "a new key pushes out the least recently used with a file, and says so");
	ci_lookup(ci, key(11), 0, 100, false, &v, &d);
	ok(v.found, "the entry being filled stayed");
	ci_lookup(ci, key(10), 0, 100, false, &v, &d);
	ok(v.found, "the one used again stayed");
	is_int(ci->stats.evictions, 1, "one eviction counted");

	/* repair after a filler died */
	is_int(ci_repair(ci, 77), 1, "the dead filler's fill is released");
	ok(ci_fill_lock(ci, key(11), 78, 0, 1000), "and can be taken at once");
	ci_fill_unlock(ci, key(11), 78, false);

	/* the manager: inactive first, then size */
	is_int(ci_trim(ci, 99, 0, keys, 64), 0, "nothing inactive yet");
	ci_lookup(ci, key(10), 0, 500, true, &v, &d);
	i = (uint32_t)ci_trim(ci, 150, 0, keys, 64);
	ok(i == 64, "inactive entries go, at most a batch at a time (%u)", i);
	while (ci_trim(ci, 150, 0, keys, 64) > 0)
		;
	ok(ci->entries == 1 && ci->files == 1, "only the entry used lately is left");
	for (i = 0; i < 20; i++) {
		e = entry(100, 5000);
		ci_commit(ci, key(100 + (int)i), 1, 1000, &e, &d);
	}
	is_int(ci_trim(ci, 200, 1000, keys, 64), 11, "over max_size: LRU entries go");
	ok(ci->disk <= 1000, "until the files fit (%llu)", (unsigned long long)ci->disk);
	ok(memcmp(keys[0], key(10), CI_KEY) == 0, "the least recently used first");

	/* a lock whose holder died */
	pid = fork();
	if (pid == 0) {
		shm_lock(&ci->lock);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	ci->cold = 0;
	ci_lookup(ci, key(105), 0, 1000, false, &v, &d);
	ok(!v.found && ci->entries == 0 && ci->disk == 0,
	    "after a holder died the index is emptied rather than trusted");
	ok(ci->cold, "and cold, for the loader to fill again");
	ci_lookup(ci, key(105), 0, 1000, true, &v, &d);
	ok(v.found, "and it works");
	return done_testing();
}
