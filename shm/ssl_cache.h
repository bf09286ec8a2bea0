/*
 * The TLS session cache shared by all workers ("shared:NAME:SIZE"), one
 * zone per name in the shared segment.  Sessions are kept serialized in
 * fixed slots, found by id through a hash table, evicted least recently
 * used first when the cache is full, and dropped once expired.  One robust
 * lock guards a cache; if a worker is killed while holding it, the next
 * locker empties the cache instead of trusting half-updated lists.
 *
 * Also here: the session ticket keys every worker encrypts and decrypts
 * tickets with, made and rotated by the master.
 */
#ifndef PORTICO_SSL_CACHE_H
#define PORTICO_SSL_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lock.h"
#include "lru.h"

#define SSL_ID_MAX	32
#define SSL_SLOT_DATA	(1024 - 56)	/* a slot is 1 KiB */
#define SSL_NIL		LRU_NIL

struct ssl_slot {
	uint32_t	 hnext;		/* hash chain */
	struct lru_link	 lru;
	uint16_t	 len;		/* 0: free */
	uint8_t		 idlen;
	uint8_t		 pad;
	int64_t		 expires;	/* wall-clock ms */
	uint8_t		 id[SSL_ID_MAX];
	uint8_t		 data[SSL_SLOT_DATA];
};

struct ssl_cache {
	struct shm_lock	 lock;
	uint32_t	 nslots;
	uint32_t	 nbuckets;
	struct lru	 lru;
	uint32_t	 free;		/* freed slots chained through hnext */
	uint32_t	 fresh;		/* slots from here on were never used */
	uint32_t	 used;
	uint64_t	 hits;
	uint64_t	 misses;
	uint64_t	 stores;
	uint64_t	 evictions;
	uint64_t	 expired;
	/* then: uint32_t buckets[nbuckets] (slot + 1, 0 = empty);
	 * struct ssl_slot slots[nslots].  Slots are taken in order and a
	 * fresh zone is all zeroes, so an unused slot's page is never
	 * touched. */
};

int	 ssl_cache_init(struct ssl_cache *, size_t size);
bool	 ssl_cache_store(struct ssl_cache *, const uint8_t *id, size_t idlen,
	    const uint8_t *data, size_t len, int64_t expires);
size_t	 ssl_cache_fetch(struct ssl_cache *, const uint8_t *id, size_t idlen,
	    uint8_t *out, size_t outlen, int64_t now);
void	 ssl_cache_remove(struct ssl_cache *, const uint8_t *id, size_t idlen);

/* Session ticket keys, nginx's layout: name, HMAC key, AES key. */
struct ticket_key {
	uint8_t		 name[16];
	uint8_t		 hmac[32];
	uint8_t		 aes[32];
	uint8_t		 aes_len;	/* 16 or 32 */
	uint8_t		 hmac_len;
};

#define TICKET_KEYS	2		/* the current one and the previous one */

struct ticket_keys {
	struct shm_lock		 lock;
	int64_t			 rotated;	/* wall-clock ms */
	uint32_t		 n;
	struct ticket_key	 keys[TICKET_KEYS];	/* [0] encrypts */
};

#endif
