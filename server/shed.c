/*
 * When every worker is busy and a client waits, the master makes room by
 * asking workers to drop connections that hold them without work: first
 * those idle in keep-alive (TLS and HTTP/2 connections, which cannot be
 * parked with the keeper), longest idle first, but never a client idle
 * for less than SHED_IDLE_MS (it is between two requests of a busy
 * keep-alive connection, as a benchmark's are); then request heads that
 * arrive slower than client_header_min_rate bytes a second (Apache's
 * mod_reqtimeout MinRate), slowest first.  Among candidates of a kind, the
 * client address that holds the most connections goes first, so one
 * address cannot starve the others.  Connections a worker is about to
 * park are never chosen: they leave on their own.  Pure: it reads the
 * scoreboard and returns slots.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "scoreboard.h"
#include "shed.h"

struct cand {
	int		 slot;
	int		 reason;	/* -1: not a candidate */
	int		 holds;		/* connections of its address */
	int64_t		 key;		/* smaller goes first */
	char		 client[sizeof(((struct sb_slot *)0)->client)];
};

static int
by_client(const void *a, const void *b)
{
	return strcmp(((const struct cand *)a)->client,
	    ((const struct cand *)b)->client);
}

static int
by_order(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->reason != y->reason)
		return x->reason - y->reason;
	if (x->holds != y->holds)
		return y->holds - x->holds;
	return x->key < y->key ? -1 : x->key > y->key;
}

/* A busy worker's connection as a candidate, or false. */
static bool
candidate(const struct sb_slot *s, int64_t now_msec, long long min_rate,
    struct cand *c)
{
	int64_t age = now_msec - s->since;

	if (s->role != SB_WORKER || s->parkable)
		return false;
	if (s->state == SB_KEEPALIVE) {
		if (age < SHED_IDLE_MS)
			return false;
		c->reason = SHED_IDLE;
		c->key = s->since;
		return true;
	}
	if (s->state != SB_READ || age < SHED_AFTER_MS ||
	    (long long)s->head_bytes * 1000 >= min_rate * age)
		return false;
	c->reason = SHED_SLOW;
	c->key = (int64_t)s->head_bytes * 1000000 / age;	/* rate, finer */
	return true;
}

/* Up to max victims, in the order they should go. */
size_t
shed_choose(const struct scoreboard *board, int64_t now_msec,
    long long min_rate, struct shed_victim *out, size_t max)
{
	struct cand *all;
	size_t n = 0, i, j, k = 0;
	uint32_t s;

	if (max == 0 || (all = calloc(board->high + 1, sizeof(*all))) == NULL)
		return 0;
	/* Every busy connection, to count what each address holds. */
	for (s = 0; s < board->high; s++) {
		const struct sb_slot *sl = &board->slots[s];
		if (sl->pid <= 1 || sl->state < SB_READ || sl->state > SB_KEEPALIVE)
			continue;
		all[n].slot = (int)s;
		memcpy(all[n].client, (const char *)sl->client, sizeof(all[n].client));
		all[n].client[sizeof(all[n].client) - 1] = '\0';
		all[n].reason = -1;
		(void)candidate(sl, now_msec, min_rate, &all[n]);
		n++;
	}
	qsort(all, n, sizeof(*all), by_client);
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && strcmp(all[j].client, all[i].client) == 0; j++)
			;
		for (k = i; k < j; k++)
			all[k].holds = (int)(j - i);
	}
	for (i = k = 0; i < n; i++)		/* the candidates among them */
		if (all[i].reason >= 0)
			all[k++] = all[i];
	qsort(all, k, sizeof(*all), by_order);
	for (i = 0; i < k && i < max; i++) {
		out[i].slot = all[i].slot;
		out[i].reason = (enum shed_reason)all[i].reason;
	}
	free(all);
	return i;
}
