/*
 * Scoreboard bookkeeping.  The idle counter is only a hint for workers
 * deciding whether to wake the master early; the master's decisions come
 * from scanning the slots.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "scoreboard.h"
#include "shm.h"

struct scoreboard *sb;
struct sb_slot *sb_me;

static const char *state_names[SB_NSTATES] = {
	"free", "starting", "idle", "reading", "writing", "keepalive", "closing"
};

static const char *role_names[SB_NROLES] = {
	"worker", "health checker", "connection keeper", "cache manager",
	"cache loader"
};

const char *
sb_state_name(int state)
{
	return state >= 0 && state < SB_NSTATES ? state_names[state] : "?";
}

const char *
sb_role_name(int role)
{
	return role >= 0 && role < SB_NROLES ? role_names[role] : "?";
}

int
sb_init(void)
{
	sb = shm_zone("scoreboard", sizeof(*sb), UINT32_MAX, NULL);
	if (sb == NULL)
		return -1;
	clock_update();
	sb->started = now.msec;
	return 0;
}

int
sb_claim(pid_t pid, uint32_t gen, int role)
{
	uint32_t i;
	struct sb_slot *s;

	for (i = 0; i < SB_SLOTS; i++) {
		s = &sb->slots[i];
		if (s->pid != 0)
			continue;
		memset(s, 0, sizeof(*s));
		s->pid = pid;
		s->gen = gen;
		s->role = (uint8_t)role;
		s->state = SB_STARTING;
		clock_update();
		s->started = s->since = now.msec;
		if (i >= sb->high)
			sb->high = i + 1;
		if (role == SB_WORKER)
			sb->started_workers++;
		return (int)i;
	}
	return -1;
}

/* The master reaped this slot's worker: keep its totals, free the slot. */
void
sb_release(int slot)
{
	struct sb_slot *s = &sb->slots[slot];

	sb->retired_connections += s->connections;
	sb->retired_requests += s->requests;
	sb->retired_bytes += s->bytes;
	if (s->state == SB_IDLE)
		__atomic_sub_fetch(&sb->idle, 1, __ATOMIC_RELAXED);
	memset(s, 0, sizeof(*s));
	while (sb->high > 0 && sb->slots[sb->high - 1].pid == 0)
		sb->high--;
}

int
sb_slot_of(pid_t pid)
{
	uint32_t i;

	for (i = 0; i < sb->high; i++)
		if (sb->slots[i].pid == pid)
			return (int)i;
	return -1;
}

/* Children of role (any when role < 0) in state (any when state < 0) of
 * generation gen (any when gen < 0). */
int
sb_count(int role, int state, int64_t gen)
{
	uint32_t i;
	int n = 0;

	for (i = 0; i < sb->high; i++) {
		const struct sb_slot *s = &sb->slots[i];
		if (s->pid == 0 || (gen >= 0 && s->gen != (uint32_t)gen) ||
		    (role >= 0 && s->role != role))
			continue;
		if (state < 0 || s->state == state)
			n++;
	}
	return n;
}

void
sb_attach(int slot)
{
	sb_me = &sb->slots[slot];
}

void
sb_state(int state)
{
	int old = sb_me->state;

	if (old == state)
		return;
	if (old == SB_IDLE)
		__atomic_sub_fetch(&sb->idle, 1, __ATOMIC_RELAXED);
	else if (state == SB_IDLE)
		__atomic_add_fetch(&sb->idle, 1, __ATOMIC_RELAXED);
	sb_me->state = (uint8_t)state;
	sb_me->since = now.msec;
}

void
sb_set_client(const char *text)
{
	size_t n = strlen(text);

	if (n >= sizeof(sb_me->client))
		n = sizeof(sb_me->client) - 1;
	memcpy(sb_me->client, text, n);
	sb_me->client[n] = '\0';
	sb_me->request[0] = '\0';	/* a new connection has sent none yet */
}

void
sb_count_connection(void)
{
	sb_me->connections++;
}

/* What the master's shedding looks at while a worker waits for a head. */
void
sb_head(size_t bytes, bool parkable)
{
	sb_me->head_bytes = bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)bytes;
	sb_me->parkable = parkable;
}

void
sb_set_request(const char *line, size_t n)
{
	if (n >= sizeof(sb_me->request))
		n = sizeof(sb_me->request) - 1;
	if (n > 0)		/* a request that failed to parse has no line */
		memcpy(sb_me->request, line, n);
	sb_me->request[n] = '\0';
}

void
sb_count_request(void)
{
	sb_me->requests++;
}

void
sb_count_bytes(uint64_t n)
{
	sb_me->bytes += n;
}

/* Count an upstream connection of this worker to a peer (least_conn). */
int
sb_hold(int peer)
{
	if (sb_me->nheld == SB_HELD)
		return -1;
	sb_me->held[sb_me->nheld] = (uint16_t)peer;
	__atomic_store_n(&sb_me->nheld, sb_me->nheld + 1, __ATOMIC_RELEASE);
	return 0;
}

void
sb_unhold(int peer)
{
	int i, n = sb_me->nheld;

	for (i = 0; i < n; i++)
		if (sb_me->held[i] == peer) {
			sb_me->held[i] = sb_me->held[n - 1];
			__atomic_store_n(&sb_me->nheld, n - 1, __ATOMIC_RELEASE);
			return;
		}
}

/* Count one more request of a limit_conn key in this worker's list (under
 * the zone's lock): -1 when the list has no room for a new key. */
int
sb_limit_hold(unsigned zone, uint32_t node)
{
	int i, n = sb_me->nlimits, room = -1;
	uint64_t e;

	for (i = 0; i < n; i++) {
		e = sb_me->limits[i];
		if (e == 0 && room < 0)
			room = i;
		if (e != 0 && sb_limit_zone(e) == zone && sb_limit_node(e) == node &&
		    sb_limit_n(e) < 0xffff) {
			sb_me->limits[i] = sb_limit(zone, node, sb_limit_n(e) + 1);
			return 0;
		}
	}
	if (room >= 0) {
		sb_me->limits[room] = sb_limit(zone, node, 1);
		return 0;
	}
	if (n == SB_LIMITS)
		return -1;
	sb_me->limits[n] = sb_limit(zone, node, 1);
	__atomic_store_n(&sb_me->nlimits, n + 1, __ATOMIC_RELEASE);
	return 0;
}

/* Entries stay where they are (a reader of another zone may be scanning
 * the list); a freed one is reused. */
void
sb_limit_unhold(unsigned zone, uint32_t node)
{
	int i, n = sb_me->nlimits;
	uint64_t e;

	for (i = 0; i < n; i++) {
		e = sb_me->limits[i];
		if (e == 0 || sb_limit_zone(e) != zone || sb_limit_node(e) != node)
			continue;
		sb_me->limits[i] = sb_limit_n(e) > 1 ?
		    sb_limit(zone, node, sb_limit_n(e) - 1) : 0;
		return;
	}
}
