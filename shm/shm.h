/*
 * The shared segment.  The master maps it once, before the first fork, and
 * every worker inherits it at the same address.  Its layout:
 *
 *   struct shm_header   magic, size, the zone table, the free list
 *   arena               page-aligned zones, each found by name:
 *                         "scoreboard"  one slot per child (scoreboard.h)
 *                         "upstreams"   peer health, balancer state
 *                                       (upstream_state.h)
 *                         "ssl_cache:NAME"  a TLS session cache per
 *                                       ssl_session_cache name (ssl_cache.h)
 *                         "ssl_tickets" the ticket keys (ssl_cache.h)
 *                         "limit_conn:NAME"  the counts of a
 *                                       limit_conn_zone (conn_zone.h)
 *                         "cache:NAME"  a proxy cache's index per
 *                                       keys_zone name (cache_index.h)
 *
 * Only the master creates and frees zones (when a configuration is loaded
 * or retired); workers only use them.  A zone whose name and size survive
 * a reload keeps its contents, which is how counters, health and sessions
 * carry over.
 */
#ifndef PORTICO_SHM_H
#define PORTICO_SHM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lock.h"

#define SHM_MAGIC	0x70727463u	/* "prtc" */
#define SHM_ZONES_MAX	256
#define SHM_PAGE	4096

struct shm_zone {
	char		 name[64];	/* "" = unused entry */
	size_t		 off;
	size_t		 size;
	uint32_t	 gen;		/* newest configuration that uses it */
};

struct shm_header {
	uint32_t	 magic;
	size_t		 size;		/* of the whole mapping */
	size_t		 arena;		/* offset of the first zone page */
	size_t		 free_head;	/* offset of the first free block, 0 = none */
	struct shm_lock	 lock;		/* for state workers share in zones */
	struct shm_zone	 zones[SHM_ZONES_MAX];
};

extern struct shm_header *shm;

int	 shm_create(size_t arena_size);
void	 shm_destroy(void);
void	*shm_zone(const char *name, size_t size, uint32_t gen, bool *fresh);
void	*shm_zone_find(const char *name);
int	 shm_zone_id(const void *zone);
void	*shm_zone_at(int id);
void	 shm_zones_sweep(uint32_t oldest_live_gen);
int	 shm_zone_count(size_t *bytes);
size_t	 shm_free_bytes(void);

/* FNV-1a: the hash of the zones' hash tables (TLS sessions, limit_conn
 * keys). */
static inline uint32_t
shm_hash(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

#endif
