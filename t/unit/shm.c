/*
 * The shared segment: zones by name and generation, the first-fit arena
 * (freed space reused, neighbours merged, new zones zeroed), robust locks
 * whose owner is killed while holding them, and the scoreboard.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scoreboard.h"
#include "shm.h"
#include "tap.h"

#define ARENA	(2u << 20)
#define PAGES(n)	((size_t)(n) * SHM_PAGE)

static void
on_alarm(int sig)
{
	static const char msg[] = "Bail out! timed out (a lock hung?)\n";

	(void)sig;
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(2);
}

static size_t
off_of(const void *p)
{
	return (size_t)((const char *)p - (const char *)shm);
}

static bool
zeroed(const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i] != 0)
			return false;
	return true;
}

static const struct shm_zone *
zone_entry(const char *name)
{
	int i;

	for (i = 0; i < SHM_ZONES_MAX; i++)
		if (shm->zones[i].size != 0 && strcmp(shm->zones[i].name, name) == 0)
			return &shm->zones[i];
	return NULL;
}

static void
segment(void)
{
	size_t initial;
	bool fresh;
	char *a, *a2, *a3, *b, *c;
	const struct shm_zone *z;

	is_int(shm_create(ARENA), 0, "shm_create");
	if (shm == NULL)
		return;
	is_int(shm->magic, SHM_MAGIC, "magic");
	is_int(shm->arena % SHM_PAGE, 0, "the arena starts on a page");
	ok(shm->arena >= sizeof(struct shm_header), "the arena follows the header");
	is_int(shm->size, shm->arena + ARENA, "the mapping's size");
	initial = shm_free_bytes();
	is_int(initial, ARENA, "the whole arena is free");

	fresh = false;
	a = shm_zone("a", 100, 1, &fresh);
	ok(a != NULL, "zone a");
	if (a == NULL)
		return;
	ok(fresh, "a new zone is fresh");
	is_int(off_of(a) % SHM_PAGE, 0, "a zone starts on a page");
	ok(off_of(a) >= shm->arena && off_of(a) + SHM_PAGE <= shm->size,
	    "a zone lies in the arena");
	is_int(shm_free_bytes(), initial - PAGES(1), "a 100-byte zone takes a page");
	ok(zeroed(a, SHM_PAGE), "a new zone is zeroed");
	memset(a, 0x5a, SHM_PAGE);

	fresh = true;
	a2 = shm_zone("a", SHM_PAGE, 2, &fresh);
	ok(a2 == a, "the same name and (rounded) size: the same memory");
	ok(!fresh, "an existing zone is not fresh");
	ok((unsigned char)a2[SHM_PAGE - 1] == 0x5a, "an existing zone keeps its contents");
	is_int(shm_free_bytes(), initial - PAGES(1), "no new space for an existing zone");
	z = zone_entry("a");
	ok(z != NULL && z->gen == 2, "asking again moves the zone to the new generation");
	ok(shm_zone_find("a") == a, "shm_zone_find");
	ok(shm_zone_find("b") == NULL, "shm_zone_find: none");

	b = shm_zone("b", PAGES(3), 1, &fresh);
	c = shm_zone("c", 1, 1, &fresh);
	ok(b != NULL && c != NULL, "zones b and c");
	if (b == NULL || c == NULL)
		return;
	ok(b >= a + SHM_PAGE && c >= b + PAGES(3), "zones do not overlap");
	ok(zeroed(b, PAGES(3)) && zeroed(c, SHM_PAGE), "b and c are zeroed");
	is_int(shm_free_bytes(), initial - PAGES(5), "five pages used");

	fresh = false;
	a3 = shm_zone("a", PAGES(2), 3, &fresh);
	ok(a3 != NULL && a3 != a && fresh, "a new size: a new, fresh zone");
	ok(a3 != NULL && zeroed(a3, PAGES(2)), "the resized zone is zeroed");
	ok(shm_zone_find("a") == a3, "the name now finds the new zone");
	z = zone_entry("(retired)");
	ok(z != NULL && z->off == off_of(a) && z->gen == 2,
	    "the old zone is kept, renamed, with its generation");
	is_int(shm_free_bytes(), initial - PAGES(7), "seven pages used");

	shm_zones_sweep(2);
	ok(shm_zone_find("b") == NULL && shm_zone_find("c") == NULL,
	    "sweep(2) frees generation 1");
	ok(zone_entry("(retired)") != NULL && shm_zone_find("a") == a3,
	    "sweep(2) keeps generations 2 and 3");
	is_int(shm_free_bytes(), initial - PAGES(3), "sweep(2) returns four pages");
	shm_zones_sweep(3);
	ok(zone_entry("(retired)") == NULL, "sweep(3) frees the retired zone");
	is_int(shm_free_bytes(), initial - PAGES(2), "sweep(3) returns its page");
	shm_zones_sweep(4);
	ok(shm_zone_find("a") == NULL, "sweep(4) frees the last zone");
	is_int(shm_free_bytes(), initial, "all the arena is free again");
}

/* Zones w, x, y, z of one page each, freed in the order given by their
 * generations; then the whole arena must fit in one zone. */
static void
merge_order(const char *name, uint32_t gw, uint32_t gx, uint32_t gy, uint32_t gz)
{
	size_t initial = shm_free_bytes();
	char *w, *x, *y, *z, *all;
	uint32_t g, last = gw;

	w = shm_zone("w", 1, gw, NULL);
	x = shm_zone("x", 1, gx, NULL);
	y = shm_zone("y", 1, gy, NULL);
	z = shm_zone("z", 1, gz, NULL);
	ok(w && x && y && z && x == w + SHM_PAGE && y == x + SHM_PAGE &&
	    z == y + SHM_PAGE, "%s: four adjacent zones", name);
	if (gx > last) last = gx;
	if (gy > last) last = gy;
	if (gz > last) last = gz;
	for (g = 1; g <= last + 1; g++)
		shm_zones_sweep(g);
	is_int(shm_free_bytes(), initial, "%s: all freed", name);
	all = shm_zone("all", initial, 1000, NULL);
	ok(all != NULL, "%s: freed blocks merged: the whole arena fits one zone",
	    name);
	is_int(shm_free_bytes(), 0, "%s: nothing left", name);
	ok(shm_zone("more", 1, 1000, NULL) == NULL, "%s: no room: NULL", name);
	shm_zones_sweep(1001);
	is_int(shm_free_bytes(), initial, "%s: free again", name);
}

/* A zone that cannot grow for want of room keeps its name: asked for
 * again with its old size, it is the same memory with its contents. */
static void
resize_without_room(size_t initial)
{
	unsigned char *r, *fill, *again;
	bool fresh = true;

	r = shm_zone("r", SHM_PAGE, 1, NULL);
	ok(r != NULL, "zone r");
	if (r == NULL)
		return;
	r[0] = 42;
	fill = shm_zone("fill", shm_free_bytes(), 1, NULL);
	ok(fill != NULL && shm_free_bytes() == 0, "the arena is full");
	ok(shm_zone("r", PAGES(2), 2, NULL) == NULL, "growing r without room: NULL");
	again = shm_zone("r", SHM_PAGE, 2, &fresh);
	ok(again == r, "after a failed resize, r at its old size is the same memory");
	ok(again != NULL && !fresh && again[0] == 42,
	    "after a failed resize, r keeps its contents");
	shm_zones_sweep(3);
	is_int(shm_free_bytes(), initial, "r and fill freed");
}

static void
arena(void)
{
	size_t initial = shm_free_bytes();
	unsigned char *z1, *z2, *z3, *z4;
	char name[80];
	int i;
	bool all;

	z1 = shm_zone("z1", SHM_PAGE, 1, NULL);
	ok(z1 != NULL, "z1");
	if (z1 == NULL)
		return;
	memset(z1, 0xff, SHM_PAGE);
	shm_zones_sweep(2);
	z2 = shm_zone("z2", SHM_PAGE, 2, NULL);
	ok(z2 == z1, "freed space is reused first");
	ok(z2 != NULL && zeroed(z2, SHM_PAGE), "reused space is zeroed");
	z3 = shm_zone("z3", PAGES(4), 3, NULL);
	ok(z3 != NULL, "z3");
	if (z3 == NULL)
		return;
	memset(z3, 0xee, PAGES(4));
	shm_zones_sweep(4);
	is_int(shm_free_bytes(), initial, "z2 and z3 freed");
	z4 = shm_zone("z4", PAGES(8), 4, NULL);
	ok(z4 == z1, "a larger zone reuses the merged space");
	ok(z4 != NULL && zeroed(z4, PAGES(8)), "a zone over several freed ones is zeroed");
	shm_zones_sweep(5);
	is_int(shm_free_bytes(), initial, "z4 freed");

	merge_order("free 2nd, 4th, 3rd, 1st", 13, 10, 12, 11);
	merge_order("free 1st, 3rd, 2nd, 4th", 10, 12, 11, 13);
	merge_order("free 4th, 3rd, 2nd, 1st", 13, 12, 11, 10);
	merge_order("free 1st, 2nd, 3rd, 4th", 10, 11, 12, 13);

	resize_without_room(initial);

	ok(shm_zone("huge", initial + 1, 1, NULL) == NULL, "larger than the arena: NULL");
	is_int(shm_free_bytes(), initial, "a failed zone takes nothing");
	memset(name, 'n', sizeof(name));
	name[64] = '\0';
	ok(shm_zone(name, 1, 1, NULL) == NULL, "a 64-byte name: NULL");
	name[63] = '\0';
	ok(shm_zone(name, 1, 1, NULL) != NULL, "a 63-byte name fits");
	ok(shm_zone_find(name) != NULL, "and is found");
	shm_zones_sweep(2);
	is_int(shm_free_bytes(), initial, "freed");

	all = true;
	for (i = 0; i < SHM_ZONES_MAX; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		if (shm_zone(name, 1, 7, NULL) == NULL)
			all = false;
	}
	ok(all, "%d zones fit in the table", SHM_ZONES_MAX);
	ok(shm_zone("one-too-many", 1, 7, NULL) == NULL, "a full table: NULL");
	is_int(shm_free_bytes(), initial - PAGES(SHM_ZONES_MAX),
	    "the refused zone took nothing");
	shm_zones_sweep(8);
	is_int(shm_free_bytes(), initial, "all %d freed", SHM_ZONES_MAX);
	ok(shm_zone("after", 1, 9, NULL) != NULL, "the table has room again");
	shm_zones_sweep(10);
}

/* A child takes the lock and is killed (or exits) holding it. */
static bool
owner_dies(struct shm_lock *l, bool kill_it)
{
	int p[2];
	char ch;
	pid_t pid;
	bool died;

	if (pipe(p) != 0)
		return false;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		shm_lock(l);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		if (!kill_it)
			_exit(0);	/* exits holding it */
		pause();
		_exit(0);
	}
	close(p[1]);
	alarm(20);
	if (read(p[0], &ch, 1) != 1) {
		close(p[0]);
		return false;
	}
	close(p[0]);
	if (kill_it)
		kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	died = shm_lock(l);
	alarm(120);
	shm_unlock(l);
	return died;
}

static void
locks(void)
{
	struct shm_lock *l = shm_zone("lock", sizeof(*l), 1, NULL);

	ok(l != NULL, "a zone for a lock");
	if (l == NULL)
		return;
	is_int(shm_lock_init(l), 0, "shm_lock_init in a zone");
	ok(!shm_lock(l), "an unowned lock: no owner died");
	shm_unlock(l);
	ok(owner_dies(l, true), "owner killed with SIGKILL holding it: "
	    "the next shm_lock reports it and does not hang");
	ok(!shm_lock(l), "after recovery the lock is normal again");
	shm_unlock(l);
	ok(owner_dies(l, false), "owner exited holding it: reported");
	ok(owner_dies(&shm->lock, true), "the segment's own lock recovers too");
	ok(!shm_lock(&shm->lock), "and is normal again");
	shm_unlock(&shm->lock);
	shm_zones_sweep(2);
}

static void
scoreboard(void)
{
	struct sb_slot *s;
	struct scoreboard *first;
	char longname[100];
	int i;
	bool all;

	is_int(sb_init(), 0, "sb_init");
	if (sb == NULL)
		return;
	first = sb;
	ok(sb->high == 0 && sb->idle == 0 && sb->started_workers == 0,
	    "a new scoreboard is empty");
	ok(sb->started > 0, "the master's start time is set");
	is_int(sb_count(SB_WORKER, -1, -1), 0, "no workers");

	is_int(sb_claim(1001, 1, SB_WORKER), 0, "claim: slot 0");
	is_int(sb_claim(1002, 1, SB_WORKER), 1, "claim: slot 1");
	is_int(sb_claim(1003, 2, SB_WORKER), 2, "claim: slot 2");
	is_int(sb->high, 3, "high is 3");
	is_int(sb->started_workers, 3, "three started");
	s = &sb->slots[1];
	ok(s->pid == 1002 && s->gen == 1 && s->state == SB_STARTING && s->started > 0,
	    "a claimed slot: pid, generation, starting");
	is_int(sb_slot_of(1002), 1, "sb_slot_of");
	is_int(sb_slot_of(9999), -1, "sb_slot_of: unknown pid");
	is_int(sb_count(SB_WORKER, -1, -1), 3, "count all");
	is_int(sb_count(SB_WORKER, -1, 1), 2, "count generation 1");
	is_int(sb_count(SB_WORKER, -1, 2), 1, "count generation 2");
	is_int(sb_count(SB_WORKER, -1, 3), 0, "count generation 3");
	is_int(sb_count(SB_WORKER, SB_STARTING, -1), 3, "count starting");
	is_int(sb_count(SB_WORKER, SB_IDLE, -1), 0, "count idle");
	is_int(sb_claim(1005, 2, SB_HEALTH_CHECKER), 3, "claim a helper's slot");
	ok(sb->slots[3].role == SB_HEALTH_CHECKER, "the slot has the helper's role");
	is_int(sb->started_workers, 3, "a helper is not a started worker");
	is_int(sb_count(SB_WORKER, -1, 2), 1, "workers count workers only");
	is_int(sb_count(-1, -1, 2), 2, "every role counted");
	is_int(sb_count(SB_HEALTH_CHECKER, -1, -1), 1, "helpers by role");
	sb_release(3);
	is_str(sb_role_name(SB_HEALTH_CHECKER), "health checker", "role name");
	is_str(sb_role_name(SB_NROLES), "?", "role name out of range");

	sb_attach(1);
	ok(sb_me == &sb->slots[1], "sb_attach");
	sb_state(SB_IDLE);
	is_int(sb->idle, 1, "the idle hint counts an idle worker");
	is_int(sb_count(SB_WORKER, SB_IDLE, -1), 1, "count idle");
	is_int(sb_count(SB_WORKER, SB_IDLE, 1), 1, "count idle of generation 1");
	is_int(sb_count(SB_WORKER, SB_IDLE, 2), 0, "count idle of generation 2");
	sb_state(SB_IDLE);
	is_int(sb->idle, 1, "the same state twice counts once");
	sb_state(SB_READ);
	is_int(sb->idle, 0, "leaving idle");
	sb_state(SB_IDLE);
	sb_set_client("192.0.2.1");
	sb_count_connection();
	sb_count_request();
	sb_count_request();
	sb_count_bytes(300);
	ok(s->connections == 1 && s->requests == 2 && s->bytes == 300,
	    "counters of a slot");
	is_str(s->client, "192.0.2.1", "client");
	memset(longname, 'c', sizeof(longname));
	longname[99] = '\0';
	sb_set_client(longname);
	sb_count_connection();
	is_int(strlen(s->client), sizeof(s->client) - 1, "a long client is cut");
	sb_set_request("GET / HTTP/1.1", 14);
	is_str(s->request, "GET / HTTP/1.1", "request line");
	sb_set_client("192.0.2.2");
	is_str(s->request, "", "a new connection clears the request line");
	sb_set_request("GET / HTTP/1.1", 14);
	is_int(sb_hold(5), 0, "hold peer 5");
	is_int(sb_hold(7), 0, "hold peer 7");
	sb_unhold(5);
	ok(s->nheld == 1 && s->held[0] == 7, "unhold peer 5");
	sb_unhold(99);
	is_int(s->nheld, 1, "unhold of a peer not held");
	for (i = 1; i < SB_HELD; i++)
		sb_hold(i);
	is_int(s->nheld, SB_HELD, "held up to SB_HELD");
	is_int(sb_hold(1), -1, "one more is refused");

	sb_release(1);
	ok(sb->retired_connections == 2 && sb->retired_requests == 2 &&
	    sb->retired_bytes == 300, "release adds the slot's totals to the retired");
	is_int(sb->idle, 0, "releasing an idle slot lowers the idle hint");
	ok(sb->slots[1].pid == 0 && sb->slots[1].state == SB_FREE &&
	    sb->slots[1].nheld == 0, "a released slot is free and clear");
	is_int(sb->high, 3, "high stays while slot 2 is used");
	is_int(sb_count(SB_WORKER, -1, -1), 2, "two workers left");
	is_int(sb_slot_of(1002), -1, "the released pid is gone");

	is_int(sb_claim(1004, 3, SB_WORKER), 1, "the first free slot is reused");
	ok(sb->slots[1].connections == 0 && sb->slots[1].requests == 0 &&
	    sb->slots[1].client[0] == '\0' && sb->slots[1].gen == 3,
	    "a reused slot starts clean");
	is_int(sb->started_workers, 4, "four started");
	sb_release(2);
	is_int(sb->high, 2, "high drops when the top slot is released");
	sb_release(0);
	sb_release(1);
	is_int(sb->high, 0, "high is 0 with no workers");
	ok(sb->retired_connections == 2 && sb->retired_requests == 2 &&
	    sb->retired_bytes == 300, "retired totals kept");

	all = true;
	for (i = 0; i < SB_SLOTS; i++)
		if (sb_claim(20000 + i, 1, SB_WORKER) != i)
			all = false;
	ok(all, "%d slots can be claimed", SB_SLOTS);
	is_int(sb_claim(99999, 1, SB_WORKER), -1, "a full scoreboard: -1");
	is_int(sb_count(SB_WORKER, -1, 1), SB_SLOTS, "all counted");
	is_int(sb_slot_of(20000 + SB_SLOTS - 1), SB_SLOTS - 1, "the last slot is found");
	for (i = SB_SLOTS - 1; i >= 0; i--)
		sb_release(i);
	is_int(sb->high, 0, "all released");

	is_int(sb_init(), 0, "sb_init again");
	ok(sb == first, "the scoreboard zone is kept");
	shm_zones_sweep(UINT32_MAX);
	ok(shm_zone_find("scoreboard") == first, "sweeping never frees the scoreboard");

	is_str(sb_state_name(SB_IDLE), "idle", "state name idle");
	is_str(sb_state_name(SB_KEEPALIVE), "keepalive", "state name keepalive");
	is_str(sb_state_name(SB_NSTATES), "?", "state name out of range");
	is_str(sb_state_name(-1), "?", "negative state name");
}

int
main(void)
{
	signal(SIGALRM, on_alarm);
	alarm(120);
	segment();
	arena();
	locks();
	shm_destroy();
	ok(shm == NULL, "shm_destroy");
	is_int(shm_create(sizeof(struct scoreboard) + PAGES(16)), 0,
	    "a segment for the scoreboard");
	scoreboard();
	shm_destroy();
	return done_testing();
}
