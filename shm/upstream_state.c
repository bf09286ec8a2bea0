/*
 * The upstream and peer tables.  Lookups by key are linear: they happen
 * when the master loads a configuration, never per request (a configured
 * peer keeps the index it was given).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "scoreboard.h"
#include "shm.h"
#include "upstream_state.h"

struct upstream_zone *uz;

int
uz_init(void)
{
	uz = shm_zone("upstreams", sizeof(*uz), UINT32_MAX, NULL);
	return uz != NULL ? 0 : -1;
}

/* The entry for upstream name, created (with its lock) when new. */
struct upstream_state *
uz_upstream(const char *name, uint32_t gen)
{
	struct upstream_state *free_slot = NULL, *u;
	int i;

	for (i = 0; i < UPSTREAMS_MAX; i++) {
		u = &uz->ups[i];
		if (u->name[0] == '\0') {
			if (free_slot == NULL)
				free_slot = u;
			continue;
		}
		if (strcmp(u->name, name) == 0) {
			u->gen = gen;
			return u;
		}
	}
	if (free_slot == NULL || strlen(name) >= sizeof(free_slot->name)) {
		logmsg(LV_EMERG, "shared memory: no room for upstream \"%s\"", name);
		return NULL;
	}
	memset(free_slot, 0, sizeof(*free_slot));
	snprintf(free_slot->name, sizeof(free_slot->name), "%s", name);
	free_slot->gen = gen;
	shm_lock_init(&free_slot->lock);
	return free_slot;
}

/* The index of the peer entry for key, created zeroed when new. */
int
uz_peer(const char *key, uint32_t gen)
{
	int i, free_slot = -1;

	for (i = 0; i < PEERS_MAX; i++) {
		if (uz->peers[i].key[0] == '\0') {
			if (free_slot < 0)
				free_slot = i;
			continue;
		}
		if (strcmp(uz->peers[i].key, key) == 0) {
			uz->peers[i].gen = gen;
			return i;
		}
	}
	if (free_slot < 0 || strlen(key) >= sizeof(uz->peers[0].key)) {
		logmsg(LV_EMERG, "shared memory: no room for upstream server \"%s\"", key);
		return -1;
	}
	memset(&uz->peers[free_slot], 0, sizeof(uz->peers[free_slot]));
	snprintf(uz->peers[free_slot].key, sizeof(uz->peers[0].key), "%s", key);
	uz->peers[free_slot].gen = gen;
	return free_slot;
}

/* Forget entries no live configuration uses. */
void
uz_sweep(uint32_t oldest_live_gen)
{
	int i;

	for (i = 0; i < UPSTREAMS_MAX; i++)
		if (uz->ups[i].name[0] != '\0' && uz->ups[i].gen < oldest_live_gen)
			memset(&uz->ups[i], 0, sizeof(uz->ups[i]));
	for (i = 0; i < PEERS_MAX; i++)
		if (uz->peers[i].key[0] != '\0' && uz->peers[i].gen < oldest_live_gen)
			memset(&uz->peers[i], 0, sizeof(uz->peers[i]));
}

/* Connections open now to each of n peers (by shared index), across all
 * workers: the holds listed in the scoreboard's live slots, counted in one
 * pass over it. */
void
uz_active_many(const int *peer, int n, int *count)
{
	uint32_t i;
	int j, k, held;

	memset(count, 0, sizeof(*count) * (size_t)n);
	for (i = 0; i < sb->high; i++) {
		const struct sb_slot *s = &sb->slots[i];
		if (s->pid == 0)
			continue;
		held = __atomic_load_n(&s->nheld, __ATOMIC_ACQUIRE);
		for (j = 0; j < held; j++)
			for (k = 0; k < n; k++)
				count[k] += s->held[j] == peer[k];
	}
}

int
uz_active(int peer)
{
	int n;

	uz_active_many(&peer, 1, &n);
	return n;
}
