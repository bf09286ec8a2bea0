/*
 * Making room when the pool is full (shed.c): which workers' connections
 * to drop so that a waiting client gets a worker.
 */
#ifndef PORTICO_SHED_H
#define PORTICO_SHED_H

#include <stddef.h>
#include <stdint.h>

struct scoreboard;

enum shed_reason {
	SHED_IDLE,		/* idle in keep-alive, longest first */
	SHED_SLOW,		/* a request head under the minimum rate */
};

struct shed_victim {
	int			 slot;
	enum shed_reason	 reason;
};

#define SHED_AFTER_MS	1000	/* a head is judged slow after this long */
#define SHED_IDLE_MS	100	/* idle for less, a keep-alive client is busy */

size_t	shed_choose(const struct scoreboard *, int64_t now_msec,
	    long long min_rate, struct shed_victim *, size_t max);

#endif
