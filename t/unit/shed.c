/*
 * Choosing connections to drop when the pool is full (server/shed.c), over
 * a scoreboard built by hand: idle keep-alive before slow heads, the
 * address holding the most first, longest idle or slowest next; busy,
 * parkable and young connections are never chosen.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "scoreboard.h"
#include "shed.h"
#include "tap.h"

#define NOW	1000000		/* msec */
#define RATE	500		/* client_header_min_rate */

static struct scoreboard *board;

static void
slot(int i, int state, const char *client, int64_t since, uint32_t bytes,
    bool parkable)
{
	struct sb_slot *s = &board->slots[i];

	s->pid = 1000 + i;
	s->state = (uint8_t)state;
	strcpy(s->client, client);
	s->since = since;
	s->head_bytes = bytes;
	s->parkable = parkable;
	if ((uint32_t)i >= board->high)
		board->high = (uint32_t)i + 1;
}

static size_t
choose(struct shed_victim *v, size_t max)
{
	return shed_choose(board, NOW, RATE, v, max);
}

int
main(void)
{
	struct shed_victim v[8];
	size_t n;

	board = calloc(1, sizeof(*board));
	if (board == NULL)
		return 1;

	slot(0, SB_WRITE, "192.0.2.1", NOW - 5000, 0, false);
	slot(1, SB_IDLE, "", NOW - 5000, 0, false);
	slot(2, SB_KEEPALIVE, "192.0.2.2", NOW - 9000, 0, true);
	slot(3, SB_READ, "192.0.2.3", NOW - 500, 0, false);
	slot(12, SB_KEEPALIVE, "192.0.2.12", NOW - SHED_IDLE_MS + 1, 0, false);
	is_int(choose(v, 8), 0, "busy, idle, parkable and young connections are not chosen");

	slot(4, SB_KEEPALIVE, "192.0.2.4", NOW - 2000, 0, false);
	slot(5, SB_KEEPALIVE, "192.0.2.5", NOW - 7000, 0, false);
	n = choose(v, 8);
	ok(n == 2 && v[0].slot == 5 && v[1].slot == 4 && v[0].reason == SHED_IDLE,
	    "idle keep-alive connections, the longest idle first");
	is_int(choose(v, 1), 1, "no more than asked for");

	slot(6, SB_WRITE, "192.0.2.4", NOW - 100, 0, false);
	slot(7, SB_READ, "192.0.2.4", NOW - 100, 10, false);
	n = choose(v, 8);
	ok(n == 2 && v[0].slot == 4 && v[1].slot == 5,
	    "the address that holds the most connections goes first");

	slot(8, SB_READ, "192.0.2.8", NOW - 4000, 400, false);	/* 100 B/s */
	slot(9, SB_READ, "192.0.2.9", NOW - 4000, 40, false);	/* 10 B/s */
	slot(10, SB_READ, "192.0.2.10", NOW - 4000, 4000, false);	/* 1000 B/s */
	n = choose(v, 8);
	ok(n == 4 && v[2].slot == 9 && v[3].slot == 8 && v[2].reason == SHED_SLOW,
	    "then heads under the minimum rate, the slowest first");
	slot(11, SB_READ, "192.0.2.11", NOW - 1500, 0, false);	/* a TLS handshake */
	n = choose(v, 8);
	ok(n == 5 && v[2].slot == 11, "a handshake that sent no head counts as the slowest");
	board->slots[4].pid = 0;
	board->slots[5].pid = 0;
	n = choose(v, 8);
	ok(n == 3 && v[0].reason == SHED_SLOW, "a free slot is never chosen");
	free(board);
	return done_testing();
}
