/*
 * The index of a proxy cache, one zone per keys_zone ("cache:NAME"): for
 * each entry, found by the hash of its key, whether its file is on disk
 * and which file that is, until when it is fresh, how often it was asked
 * for, who is filling or updating it, and its place in the least recently
 * used list.  The files themselves live under the cache's directory
 * (cache_file.h); the index is what every worker consults before touching
 * them.
 *
 * Nodes live in fixed slots found through a hash table of slot indices,
 * so a zone is valid at any address and costs about 120 bytes an entry.
 * When the slots run out the least recently used entry that nobody is
 * filling is dropped; a dropped entry whose file exists is handed back to
 * the caller, which deletes the file.
 *
 * One robust lock guards a zone.  A process that dies holding it leaves
 * lists that may be half made, so the next locker empties the index and
 * marks it cold: until the cache loader has read the directory again,
 * workers look on disk for what the index does not know.  A worker that
 * dies while filling an entry holds no lock; its fill mark (its pid) is
 * cleared by the master's repair (ci_repair), and its unfinished file
 * never had a name.
 */
#ifndef PORTICO_CACHE_INDEX_H
#define PORTICO_CACHE_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lock.h"
#include "lru.h"

#define CI_KEY		16
#define CI_NIL		LRU_NIL
#define CI_EVICT_MAX	4	/* entries one call may drop to make room */

/* Which file an entry is: a file replaced, truncated or edited in place
 * no longer matches (its inode, size or times change). */
struct ci_file {
	uint64_t	 ino;
	uint64_t	 size;
	int64_t		 mtime_ns;
	int64_t		 ctime_ns;
};

struct ci_node {
	uint8_t		 key[CI_KEY];
	uint32_t	 hnext;		/* hash chain: slot + 1, 0 ends it */
	struct lru_link	 lru;
	uint32_t	 uses;
	uint8_t		 used;		/* 0: a free slot */
	uint8_t		 present;	/* its file is on disk */
	uint8_t		 vary;		/* the answer varies: check the variant */
	uint8_t		 pad;
	pid_t		 filler;	/* storing or updating it, 0 = nobody */
	int64_t		 fill_until;	/* wall ms: then another may take over */
	int64_t		 valid_until;	/* wall ms */
	int64_t		 expire;	/* wall ms: unused since inactive */
	uint64_t	 gen;		/* the file in place, zone-wide unique */
	uint64_t	 disk;		/* bytes its file takes */
	struct ci_file	 file;
};

/* Counters of a zone, for the status page. */
struct ci_stats {
	uint64_t	 hits;
	uint64_t	 misses;
	uint64_t	 expired;
	uint64_t	 stale;		/* stale answers: STALE and UPDATING */
	uint64_t	 revalidated;
	uint64_t	 bypasses;
	uint64_t	 stores;
	uint64_t	 evictions;
};

struct cache_index {
	struct shm_lock	 lock;
	uint32_t	 nnodes;
	uint32_t	 nbuckets;
	struct lru	 lru;
	uint32_t	 free;		/* freed slots chained through hnext */
	uint32_t	 fresh;		/* slots from here on were never used */
	uint32_t	 entries;	/* nodes in use */
	uint32_t	 files;		/* of them, present */
	uint32_t	 filling;	/* nodes with a filler */
	volatile uint8_t cold;		/* the loader has not read the directory */
	uint64_t	 disk;		/* bytes of the present entries' files */
	uint64_t	 gen;		/* the last file generation handed out */
	struct ci_stats	 stats;
	/* then: struct ci_node nodes[nnodes]; uint32_t buckets[nbuckets] */
};

/* A node's state, copied out under the lock. */
struct ci_view {
	bool		 found;
	bool		 present;
	bool		 vary;
	bool		 cold;
	uint32_t	 uses;
	pid_t		 filler;
	int64_t		 fill_until;
	int64_t		 valid_until;
	uint64_t	 gen;
	struct ci_file	 file;
};

/* Entries dropped to make room whose files the caller must delete. */
struct ci_dropped {
	size_t		 n;
	uint8_t		 keys[CI_EVICT_MAX][CI_KEY];
};

/* What a stored file is. */
struct ci_entry {
	int64_t		 valid_until;
	uint64_t	 disk;
	bool		 vary;
	struct ci_file	 file;
};

int	 ci_init(struct cache_index *, size_t size);
void	 ci_lookup(struct cache_index *, const uint8_t *key, int64_t now,
	    int64_t expire, bool count_use, struct ci_view *, struct ci_dropped *);
bool	 ci_fill_lock(struct cache_index *, const uint8_t *key, pid_t,
	    int64_t now, int64_t until);
void	 ci_fill_unlock(struct cache_index *, const uint8_t *key, pid_t,
	    bool forget);
uint64_t ci_commit(struct cache_index *, const uint8_t *key, pid_t,
	    int64_t expire, const struct ci_entry *, struct ci_dropped *);
bool	 ci_load(struct cache_index *, const uint8_t *key, int64_t expire,
	    const struct ci_entry *, struct ci_dropped *);
void	 ci_refresh(struct cache_index *, const uint8_t *key, uint64_t gen,
	    int64_t valid_until);
bool	 ci_remove(struct cache_index *, const uint8_t *key, uint64_t gen);
size_t	 ci_trim(struct cache_index *, int64_t now, uint64_t max_disk,
	    uint8_t (*keys)[CI_KEY], size_t max);
size_t	 ci_repair(struct cache_index *, pid_t);
void	 ci_count(uint64_t *counter);

#endif
