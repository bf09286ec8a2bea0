/*
 * The scoreboard: one slot per child of the master, in the shared segment.
 * A slot's role says what the child is: a worker, or one of the master's
 * helper processes (server/helpers.c).  Each child writes only its own
 * slot; the master reads all of them to keep the pool between min_spare
 * and max_spare idle workers and clears a slot when it reaps its child
 * (after giving back the limit_conn counts the slot lists); the status
 * page reads them too.
 */
#ifndef PORTICO_SCOREBOARD_H
#define PORTICO_SCOREBOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SB_SLOTS	4096	/* the most workers.max may ever be */
#define SB_HELD		128	/* upstream connections one worker may hold */
#define SB_LIMITS	128	/* limit_conn keys one worker may count */

enum sb_role {
	SB_WORKER,		/* serves connections */
	SB_HEALTH_CHECKER,	/* probes upstream servers (health.c) */
	SB_KEEPER,		/* holds connections nobody serves (keeper.c) */
	SB_CACHE_MANAGER,	/* keeps the proxy caches in bounds (cache_manager.c) */
	SB_CACHE_LOADER,	/* indexes the proxy caches' files at start */
	SB_NROLES
};

enum sb_state {
	SB_FREE,		/* no child */
	SB_STARTING,		/* forked, not yet accepting */
	SB_IDLE,		/* waiting for a connection */
	SB_READ,		/* reading a request */
	SB_WRITE,		/* processing and answering */
	SB_KEEPALIVE,		/* waiting for the next request */
	SB_CLOSING,		/* finishing before exit */
	SB_NSTATES
};

struct sb_slot {
	volatile pid_t		 pid;		/* 0: free */
	uint32_t		 gen;		/* configuration generation */
	uint8_t			 role;		/* enum sb_role */
	volatile uint8_t	 state;
	volatile uint8_t	 retiring;	/* told to finish and exit */
	volatile uint8_t	 parkable;	/* its connection can go to the keeper */
	volatile uint32_t	 head_bytes;	/* of the request head being read */
	int64_t			 started;	/* msec since the epoch */
	int64_t			 since;		/* msec of the last state change */
	uint64_t		 connections;
	uint64_t		 requests;
	uint64_t		 bytes;
	char			 client[48];
	char			 request[128];
	volatile uint16_t	 nheld;
	volatile uint16_t	 held[SB_HELD];	/* peer table indices, for least_conn */
	volatile uint16_t	 nlimits;	/* limits[] in use are below this */
	volatile uint64_t	 limits[SB_LIMITS];	/* limit_conn counts, sb_limit() */
};

struct scoreboard {
	volatile int32_t	 idle;		/* workers in SB_IDLE, a hint */
	uint32_t		 high;		/* slots in use are below this */
	uint64_t		 retired_connections;	/* of reaped workers */
	uint64_t		 retired_requests;
	uint64_t		 retired_bytes;
	uint64_t		 started_workers;
	uint64_t		 connection_seq;	/* for $connection */
	int64_t			 started;		/* msec the master started */

	/* The connection keeper: gauges it sets, totals. */
	volatile uint32_t	 parked_idle;	/* keep-alive connections held */
	volatile uint32_t	 parked_reading;/* heads it is reading */
	volatile uint8_t	 keeper_full;	/* out of descriptors: keep them */
	volatile uint8_t	 keeper_draining;/* a graceful stop: the keeper
						 * still reads heads, and quitting
						 * workers take them back */
	uint64_t		 parked;	/* connections workers gave it */
	uint64_t		 handed_back;	/* connections it gave workers */
	/* Connections the master had workers drop to make room. */
	uint64_t		 shed_idle;	/* idle keep-alive (TLS, HTTP/2) */
	uint64_t		 shed_slow;	/* request heads under the min rate */
	struct sb_slot		 slots[SB_SLOTS];
};

extern struct scoreboard *sb;
extern struct sb_slot *sb_me;

/* master */
int	 sb_init(void);
int	 sb_claim(pid_t pid, uint32_t gen, int role);
void	 sb_release(int slot);
int	 sb_slot_of(pid_t pid);
int	 sb_count(int role, int state, int64_t gen);

/* worker */
void	 sb_attach(int slot);
void	 sb_state(int state);
void	 sb_set_client(const char *);
void	 sb_count_connection(void);
void	 sb_head(size_t bytes, bool parkable);
void	 sb_set_request(const char *line, size_t len);
void	 sb_count_request(void);
void	 sb_count_bytes(uint64_t);
int	 sb_hold(int peer);
void	 sb_unhold(int peer);
int	 sb_limit_hold(unsigned zone, uint32_t node);
void	 sb_limit_unhold(unsigned zone, uint32_t node);
const char *sb_state_name(int);
const char *sb_role_name(int);

/*
 * A limit_conn count of a worker: n requests of the key at node of the
 * zone with table entry zone, in one word so that a reader sees it whole.
 * Written only under that zone's lock (conn_zone.h); 0 = unused.
 */
static inline uint64_t
sb_limit(unsigned zone, uint32_t node, unsigned n)
{
	return (uint64_t)zone << 48 | (uint64_t)(n & 0xffff) << 32 | node;
}

static inline unsigned
sb_limit_zone(uint64_t e)
{
	return (unsigned)(e >> 48);
}

static inline unsigned
sb_limit_n(uint64_t e)
{
	return (unsigned)(e >> 32) & 0xffff;
}

static inline uint32_t
sb_limit_node(uint64_t e)
{
	return (uint32_t)e;
}

#endif
