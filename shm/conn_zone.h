/*
 * The counts of a limit_conn_zone: requests in progress per key, in one
 * zone of the shared segment ("limit_conn:NAME").  Keys live in fixed
 * 64-byte nodes (a key longer than one node's room continues in more
 * nodes), found through a hash table; a key whose count drops to zero
 * gives its nodes back.  One robust lock guards a zone.
 *
 * What each worker counts is also listed in its scoreboard slot
 * (sb_slot.limits), written under the zone's lock, so that the master
 * gives back the counts of a worker it reaps, and a locker that finds the
 * previous owner died rebuilds the zone from those lists.
 */
#ifndef PORTICO_CONN_ZONE_H
#define PORTICO_CONN_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lock.h"
#include "scoreboard.h"

#define CZ_KEY_MAX	255		/* nginx's limit */
#define CZ_CHUNK	44		/* key bytes in one node */
#define CZ_TEXT_MAX	256		/* the key's template, kept for reloads */
#define CZ_SIZE_MIN	(8 * 4096)	/* nginx's smallest zone */

enum cz_kind { CZ_FREE, CZ_KEY, CZ_MORE };

struct cz_node {
	uint32_t	 next;		/* hash chain or free list: index + 1 */
	uint32_t	 more;		/* the node with the key's next bytes */
	uint32_t	 hash;
	uint32_t	 conn;		/* requests counted (a key's first node) */
	uint8_t		 kind;
	uint8_t		 len;		/* the key's length (its first node) */
	uint8_t		 pad[2];
	uint8_t		 key[CZ_CHUNK];
};

struct conn_zone {
	struct shm_lock	 lock;
	uint16_t	 id;		/* its entry in the segment's zone table */
	char		 text[CZ_TEXT_MAX];	/* the key as configured */
	uint32_t	 nnodes;
	uint32_t	 nbuckets;
	uint32_t	 free;		/* free list: index + 1, 0 = empty */
	uint32_t	 fresh;		/* nodes from here on were never used */
	uint32_t	 keys;		/* keys counted now */
	uint64_t	 conns;		/* requests counted now */
	uint64_t	 rejected;	/* refused: the key was at its limit */
	uint64_t	 exhausted;	/* refused: no room for a new key */
	/* then uint32_t buckets[nbuckets] (node + 1, 0 = empty) and, from the
	 * next 64-byte boundary, struct cz_node nodes[nnodes].  A fresh zone
	 * is all zeroes and nodes are taken in order, so an unused node's
	 * page is never touched. */
};

enum cz_result {
	CZ_PASSED,
	CZ_REJECTED,		/* the key is at its limit */
	CZ_FULL,		/* no room in the zone for a new key */
	CZ_UNLISTED,		/* no room in the worker's scoreboard slot */
};

int		 cz_init(struct conn_zone *, size_t size, const char *text);
enum cz_result	 cz_acquire(struct conn_zone *, const void *key, size_t len,
		    unsigned limit, uint32_t *node);
void		 cz_release(struct conn_zone *, uint32_t node);
void		 cz_release_slot(struct sb_slot *);

#endif
