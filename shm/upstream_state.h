/*
 * Upstream state shared by every worker: one table of upstreams and one of
 * peers (an address of a server of an upstream), in the zone "upstreams".
 * Entries are keyed by name (upstream) and by "upstream address" (peer),
 * so a reload that keeps an upstream's name and a server's address keeps
 * its failure marks, health and statistics; old and new workers share the
 * same entries while both run.
 *
 * Only the master creates and frees entries (when a configuration is
 * loaded or retired).  Workers and the health checker update the fields:
 * balancer state and failure marks under the upstream's robust lock,
 * statistics with atomic adds, health only from the health checker.
 *
 * The least_conn counts are not here: a worker's open upstream connections
 * are listed in its scoreboard slot (sb_slot.held), so the count of a peer
 * is derived from the live slots and a dead worker's are gone with its slot.
 */
#ifndef PORTICO_UPSTREAM_STATE_H
#define PORTICO_UPSTREAM_STATE_H

#include <stdint.h>

#include "lock.h"

#define UPSTREAMS_MAX	512
#define PEERS_MAX	4096

struct upstream_state {
	char		 name[64];	/* "" = free */
	uint32_t	 gen;		/* newest configuration using it */
	struct shm_lock	 lock;
};

struct peer_state {
	char		 key[128];	/* "upstream address", "" = free */
	uint32_t	 gen;

	/* passive checks: max_fails within fail_timeout, under the lock */
	uint32_t	 fails;
	int64_t		 fail_start;	/* monotonic ms of the first counted failure */
	int64_t		 down_until;	/* monotonic ms, 0 = not down */

	/* smooth weighted round robin, under the lock */
	int64_t		 current;

	/* active health checks, written by the health checker */
	volatile uint8_t unhealthy;
	uint32_t	 hc_fails;	/* consecutive */
	uint32_t	 hc_passes;
	int64_t		 hc_last;	/* wall-clock ms of the last check, 0 = none */
	int32_t		 hc_status;	/* its HTTP status, 0 = no response */

	/* statistics, atomic */
	uint64_t	 requests;
	uint64_t	 failures;
	uint64_t	 responses;
	uint64_t	 response_ms;	/* sum over responses */
};

struct upstream_zone {
	struct upstream_state	ups[UPSTREAMS_MAX];
	struct peer_state	peers[PEERS_MAX];
};

extern struct upstream_zone *uz;

int			 uz_init(void);
struct upstream_state	*uz_upstream(const char *name, uint32_t gen);
int			 uz_peer(const char *key, uint32_t gen);
void			 uz_sweep(uint32_t oldest_live_gen);
int			 uz_active(int peer);
void			 uz_active_many(const int *peer, int n, int *count);

#endif
