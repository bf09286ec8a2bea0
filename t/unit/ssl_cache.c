/*
 * The shared TLS session cache: store and fetch by id, expiry, LRU
 * eviction when full, removal, and a lock whose holder died.
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ssl_cache.h"
#include "tap.h"

static struct ssl_cache *
cache(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || ssl_cache_init(p, size) != 0)
		abort();
	return p;
}

static void
id_of(uint8_t *id, int n)
{
	memset(id, 0, 32);
	id[0] = (uint8_t)n;
	id[1] = (uint8_t)(n >> 8);
	id[31] = 0x5a;
}

int
main(void)
{
	struct ssl_cache *c = cache(64 * 1024);
	uint8_t id[32], out[SSL_SLOT_DATA], data[SSL_SLOT_DATA];
	uint32_t cap = c->nslots, i;
	size_t n;
	pid_t pid;
	int status;

	ok(cap > 10 && cap < 64, "a 64 KiB cache holds %u sessions", cap);
	memset(data, 'x', sizeof(data));
	id_of(id, 1);
	ok(ssl_cache_store(c, id, 32, (const uint8_t *)"session-one", 11, 1000),
	    "store a session");
	n = ssl_cache_fetch(c, id, 32, out, sizeof(out), 500);
	ok(n == 11 && memcmp(out, "session-one", 11) == 0, "fetch it back");
	is_int(c->hits, 1, "one hit");
	is_int(ssl_cache_fetch(c, id, 31, out, sizeof(out), 500), 0,
	    "a shorter id is another session");
	is_int(c->misses, 1, "one miss");
	is_int(ssl_cache_fetch(c, id, 32, out, sizeof(out), 1000), 0,
	    "an expired session is not returned");
	is_int(c->used, 0, "and is dropped");
	ok(!ssl_cache_store(c, id, 32, data, SSL_SLOT_DATA + 1, 1000),
	    "a session larger than a slot is refused");
	ok(!ssl_cache_store(c, id, 33, data, 10, 1000), "an id over 32 bytes is refused");

	/* Fill past capacity: the least recently used go first. */
	for (i = 0; i < cap; i++) {
		id_of(id, (int)i + 10);
		ssl_cache_store(c, id, 32, data, 100, 10000);
	}
	is_int(c->used, cap, "the cache is full");
	id_of(id, 10);
	ok(ssl_cache_fetch(c, id, 32, out, sizeof(out), 1) == 100,
	    "the oldest is still there, and now the most recently used");
	id_of(id, 1000);
	ssl_cache_store(c, id, 32, data, 100, 10000);
	is_int(c->evictions, 1, "one more evicts one");
	id_of(id, 11);
	is_int(ssl_cache_fetch(c, id, 32, out, sizeof(out), 1), 0,
	    "the least recently used was evicted");
	id_of(id, 10);
	ok(ssl_cache_fetch(c, id, 32, out, sizeof(out), 1) == 100,
	    "the one used recently survived");
	ssl_cache_remove(c, id, 32);
	is_int(ssl_cache_fetch(c, id, 32, out, sizeof(out), 1), 0, "removed");
	is_int(c->used, cap - 1, "removal frees a slot");
	id_of(id, 12);
	ssl_cache_store(c, id, 32, (const uint8_t *)"replaced", 8, 10000);
	n = ssl_cache_fetch(c, id, 32, out, sizeof(out), 1);
	ok(n == 8 && memcmp(out, "replaced", 8) == 0,
	    "storing an id again replaces the session");

	/* A worker dies holding the lock: the next one empties the cache and
	 * goes on. */
	pid = fork();
	if (pid == 0) {
		shm_lock(&c->lock);
		kill(getpid(), SIGKILL);
	}
	waitpid(pid, &status, 0);
	alarm(5);
	id_of(id, 12);
	is_int(ssl_cache_fetch(c, id, 32, out, sizeof(out), 1), 0,
	    "after a dead holder the cache starts empty");
	ok(ssl_cache_store(c, id, 32, data, 50, 10000) &&
	    ssl_cache_fetch(c, id, 32, out, sizeof(out), 1) == 50,
	    "and works again");
	alarm(0);
	return done_testing();
}
