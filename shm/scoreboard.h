/*
 * The scoreboard: one slot per worker process, in the shared segment.
 * Each worker writes only its own slot; the master reads all of them to
 * keep the pool between min_spare and max_spare idle workers and clears a
 * slot when it reaps its worker; the status page reads them too.
 */
#ifndef PORTICO_SCOREBOARD_H
#define PORTICO_SCOREBOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SB_SLOTS	4096	/* the most workers.max may ever be */
#define SB_HELD		128	/* upstream connections one worker may hold */

enum sb_state {
	SB_FREE,		/* no worker */
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
int	 sb_claim(pid_t pid, uint32_t gen);
void	 sb_release(int slot);
int	 sb_slot_of(pid_t pid);
int	 sb_count(int state, int64_t gen);

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
const char *sb_state_name(int);

#endif
