/*
 * The balancer on a real shared segment, with upstreams loaded by the real
 * loader and bound as the master binds them: smooth weighted round robin
 * gives nginx's sequences, one sequence across processes; least_conn counts
 * the connections workers hold in the scoreboard, per weight, and breaks
 * ties by round robin, past 256 servers too; backups serve only when no
 * primary can; ip_hash, hash and consistent hash move only the clients of
 * a server that goes.  Server i listens on port PORT0 + i and is named
 * 'a' + i in sequences.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "conf_load.h"
#include "http.h"
#include "log.h"
#include "scoreboard.h"
#include "shm.h"
#include "tap.h"
#include "upstream.h"
#include "upstream_state.h"

#define ARENA	(16u << 20)
#define PORT0	9000
#define CLIENTS	2000

static uint32_t gen;
static int me;			/* this process's scoreboard slot, as a worker's */
static int others[3];		/* slots of other workers holding connections */
static struct pool pool;
static struct conn conn;
static struct request req;
static char uri[32];

/* "host:port [flags]" strings of n servers; server marked gets mark, or is
 * left out when mark is NULL (marked < 0: none). */
static const char *
servers(int n, int marked, const char *mark)
{
	static struct buf b;
	int i;

	b.len = 0;
	for (i = 0; i < n; i++) {
		if (i == marked && mark == NULL)
			continue;
		buf_printf(&b, "%s\"127.0.0.1:%d%s%s\"", b.len ? ", " : "",
		    PORT0 + i, i == marked ? " " : "", i == marked ? mark : "");
	}
	buf_addc(&b, '\0');
	return b.p;
}

/* A configuration of one upstream, loaded from a file and bound to the
 * segment in a new generation, as the master loads and binds one. */
static struct config *
load(const char *name, const char *method, const char *list)
{
	char path[] = "/tmp/portico-upstream.XXXXXX";
	struct passwd *pw = getpwuid(geteuid());
	struct config *cf;
	FILE *f;
	int fd;

	if ((fd = mkstemp(path)) < 0 || (f = fdopen(fd, "w")) == NULL) {
		printf("Bail out! %s: %s\n", path, strerror(errno));
		exit(1);
	}
	fprintf(f, "user = \"%s\";\nerror_log = \"/dev/null\";\n"
	    "access_log = \"/dev/null\";\nupstreams = { %s = { method = \"%s\";\n"
	    "servers = [ %s ]; }; };\n", pw ? pw->pw_name : "root", name, method,
	    list);
	fclose(f);
	cf = conf_load(path, false);
	unlink(path);
	if (cf == NULL || cf->nupstreams != 1 || upstream_bind(cf, ++gen) != 0) {
		printf("Bail out! upstream %s does not load or bind\n", name);
		exit(1);
	}
	return cf;
}

/* Drop cf and, as the master does once no worker uses it, its entries. */
static void
unload(struct config *cf)
{
	conf_free(cf);
	uz_sweep(gen + 1);
}

/* Make req the request of client k: its own address and URI. */
static void
client(int k)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&conn.peer;

	memset(&conn.peer, 0, sizeof(conn.peer));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(0x0a000000u + (uint32_t)k * 7919u);
	snprintf(uri, sizeof(uri), "/k/%d", k);
	req.target.p = uri;
	req.target.n = strlen(uri);
}

static int
number(const struct peer *p)
{
	return ntohs(((const struct sockaddr_in *)(const void *)&p->ss)->sin_port) -
	    PORT0;
}

/* The server of one try, released at once as after a response; -1 none. */
static int
pick(struct upstream *u, struct peer *const *tried, int ntried)
{
	struct peer *p = upstream_pick(&req, u, tried, ntried);

	if (p == NULL)
		return -1;
	upstream_release(p);
	return number(p);
}

/* n picks as letters, '-' for none. */
static const char *
sequence(struct upstream *u, int n)
{
	static char s[64];
	int i, k;

	for (i = 0; i < n && i < (int)sizeof(s) - 1; i++) {
		k = pick(u, NULL, 0);
		s[i] = k < 0 ? '-' : (char)('a' + k);
	}
	s[i] = '\0';
	return s;
}

/* Connections another worker opens or closes (its slot as its own). */
static void
hold_as(int slot, const struct peer *p, bool hold)
{
	sb_attach(slot);
	if (hold)
		sb_hold(p->index);
	else
		sb_unhold(p->index);
	sb_attach(me);
}

static void
sequence_is(const char *method, const char *list, const char *want,
    const char *name)
{
	struct config *cf = load("seq", method, list);

	is_str(sequence(cf->upstreams[0], (int)strlen(want)), want, "%s", name);
	unload(cf);
}

/* Expected sequences worked out by hand from ngx_http_upstream_get_peer:
 * add each usable server's weight to its current weight, take the largest
 * (the first of equals), subtract the total from it. */
static void
round_robin(void)
{
	struct config *cf;
	char got[32];
	int fds[2], n;
	pid_t pid;

	sequence_is("round_robin", "\"127.0.0.1:9000 weight=5\", "
	    "\"127.0.0.1:9001\", \"127.0.0.1:9002\"", "aabacaaaabacaa",
	    "5:1:1 is nginx's a a b a c a a");
	sequence_is("round_robin", servers(3, -1, NULL), "abcabcabc", "1:1:1");
	sequence_is("round_robin", "\"127.0.0.1:9000 weight=3\", "
	    "\"127.0.0.1:9001 weight=2\"", "ababaababa", "3:2");
	sequence_is("round_robin", "\"127.0.0.1:9000 weight=2\", "
	    "\"127.0.0.1:9001\", \"127.0.0.1:9002\", \"127.0.0.1:9003 down\"",
	    "abcaabca", "2:1:1 and one down");
	sequence_is("round_robin", "\"127.0.0.1:9000 weight=4\", "
	    "\"127.0.0.1:9001 weight=2\", \"127.0.0.1:9002 weight=1\"",
	    "abacabaabacaba", "4:2:1");

	/* Another worker continues the same rotation. */
	cf = load("shared", "round_robin", "\"127.0.0.1:9000 weight=5\", "
	    "\"127.0.0.1:9001\", \"127.0.0.1:9002\"");
	snprintf(got, sizeof(got), "%s", sequence(cf->upstreams[0], 3));
	if (pipe(fds) != 0 || (pid = fork()) < 0) {
		printf("Bail out! pipe or fork: %s\n", strerror(errno));
		exit(1);
	}
	if (pid == 0) {
		sb_attach(sb_claim(getpid(), gen, SB_WORKER));
		n = (int)write(fds[1], sequence(cf->upstreams[0], 4), 4);
		_exit(n == 4 ? 0 : 1);
	}
	close(fds[1]);
	n = (int)read(fds[0], got + 3, 4);
	got[n > 0 ? 3 + n : 3] = '\0';
	close(fds[0]);
	waitpid(pid, NULL, 0);
	sb_release(sb_slot_of(pid));
	snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s",
	    sequence(cf->upstreams[0], 7));
	is_str(got, "aabacaaaabacaa", "a second process continues the sequence");
	unload(cf);
}

static void
least_conn(void)
{
	struct config *cf;
	struct upstream *u;
	struct peer *p[3], *held[8];
	int i, slot;

	cf = load("lc", "least_conn", servers(3, -1, NULL));
	u = cf->upstreams[0];
	for (i = 0; i < 3; i++)
		p[i] = &u->peers[i];
	is_str(sequence(u, 6), "abcabc", "nothing open: round robin");
	hold_as(others[0], p[0], true);
	hold_as(others[0], p[0], true);
	hold_as(others[1], p[1], true);
	is_int(uz_active(p[0]->index), 2, "two connections held to a");
	is_str(sequence(u, 3), "ccc", "the one with the fewest wins");
	hold_as(others[1], p[2], true);
	is_str(sequence(u, 4), "bcbc", "equals go by round robin");
	hold_as(others[0], p[0], false);
	hold_as(others[0], p[0], false);
	is_str(sequence(u, 2), "aa", "closed connections no longer count");

	/* A worker's connections go with its slot when it is reaped. */
	slot = sb_claim(4242, gen, SB_WORKER);
	hold_as(slot, p[0], true);
	hold_as(slot, p[0], true);
	is_str(sequence(u, 2), "bc", "a live worker's connections count");
	sb_release(slot);
	is_int(uz_active(p[0]->index), 0, "a reaped worker's connections do not");
	hold_as(others[1], p[1], false);
	hold_as(others[1], p[2], false);

	unload(cf);

	/* Picks held open spread the load by weight. */
	cf = load("lcw", "least_conn", "\"127.0.0.1:9000 weight=2\", "
	    "\"127.0.0.1:9001\", \"127.0.0.1:9002\"");
	u = cf->upstreams[0];
	for (i = 0; i < 8; i++)
		held[i] = upstream_pick(&req, u, NULL, 0);
	ok(uz_active(u->peers[0].index) == 4 && uz_active(u->peers[1].index) == 2 &&
	    uz_active(u->peers[2].index) == 2, "eight held picks: 4, 2, 2 by weight");
	for (i = 0; i < 8; i++)
		if (held[i] != NULL)
			upstream_release(held[i]);
	is_int(sb_me->nheld, 0, "all released");
	unload(cf);

	cf = load("lcr", "least_conn", "\"127.0.0.1:9000 weight=3\", "
	    "\"127.0.0.1:9001\"");
	u = cf->upstreams[0];
	is_str(sequence(u, 8), "aabaaaba", "3:1 with nothing open: 3:1 round robin");
	for (i = 0; i < 3; i++)
		hold_as(others[0], &u->peers[0], true);
	hold_as(others[1], &u->peers[1], true);
	is_str(sequence(u, 4), "aaba", "3 open to a of weight 3, 1 to b: equals");
	hold_as(others[0], &u->peers[0], true);
	is_str(sequence(u, 3), "bbb", "4 to a of weight 3: b");
	for (i = 0; i < 4; i++)
		hold_as(others[0], &u->peers[0], false);
	hold_as(others[1], &u->peers[1], false);
	unload(cf);
}

/* Other workers open (or, hold false, close) a connection to every server
 * in [from, to) but idle, spread over their slots. */
static void
hold_all_but(struct upstream *u, size_t from, size_t to, size_t idle, bool hold)
{
	size_t i;

	for (i = from; i < to; i++)
		if (i != idle)
			hold_as(others[(i - from) / SB_HELD], &u->peers[i], hold);
}

/* More servers than one worker can hold connections to, in both groups. */
static void
least_conn_many(void)
{
	struct buf b = { 0 };
	struct config *cf;
	struct upstream *u;
	int i;

	buf_printf(&b, "%s", servers(300, -1, NULL));
	for (i = 0; i < 300; i++)
		buf_printf(&b, ", \"127.0.0.2:%d backup\"", PORT0 + i);
	buf_addc(&b, '\0');
	cf = load("lcmany", "least_conn", b.p);
	buf_free(&b);
	u = cf->upstreams[0];
	is_int(u->nprimary, 300, "300 primaries");
	hold_all_but(u, 0, 300, 290, true);
	is_int(pick(u, NULL, 0), 290, "300 servers: the only idle one");
	is_int(pick(u, NULL, 0), 290, "300 servers: still the only idle one");
	hold_all_but(u, 0, 300, 290, false);

	for (i = 0; i < 300; i++)
		u->peers[i].st->unhealthy = 1;
	hold_all_but(u, 300, 600, 450, true);
	is_int(pick(u, NULL, 0), 150, "300 backups: the only idle one");
	hold_all_but(u, 300, 600, 450, false);
	unload(cf);
}

static void
backups(void)
{
	struct config *cf;
	struct upstream *u;
	struct peer *tried[2];

	cf = load("bk", "round_robin", servers(3, 2, "backup"));
	u = cf->upstreams[0];
	is_str(sequence(u, 6), "ababab", "a backup is not used while primaries are");
	tried[0] = &u->peers[0];
	tried[1] = &u->peers[1];
	is_int(pick(u, tried, 1), 1, "the next try: the other primary");
	is_int(pick(u, tried, 2), 2, "both primaries tried: the backup");
	unload(cf);

	sequence_is("round_robin", "\"127.0.0.1:9000 down\", \"127.0.0.1:9001\", "
	    "\"127.0.0.1:9002 backup\"", "bbbb", "one primary down: the other");
	sequence_is("round_robin", "\"127.0.0.1:9000 down\", \"127.0.0.1:9001 down\", "
	    "\"127.0.0.1:9002 backup\", \"127.0.0.1:9003 backup\"", "cdcd",
	    "all primaries down: the backups, by round robin");

	cf = load("bkf", "round_robin", "\"127.0.0.1:9000\", "
	    "\"127.0.0.1:9001 max_fails=2 fail_timeout=500ms\", "
	    "\"127.0.0.1:9002 backup\"");
	u = cf->upstreams[0];
	upstream_failed(&req, &u->peers[0]);
	is_str(sequence(u, 3), "bbb", "max_fails=1 reached: the other primary");
	upstream_failed(&req, &u->peers[1]);
	is_str(sequence(u, 2), "bb", "one failure of max_fails=2: still used");
	upstream_failed(&req, &u->peers[1]);
	is_str(sequence(u, 3), "ccc", "both primaries failed: the backup");
	upstream_succeeded(&u->peers[0], 1);
	is_str(sequence(u, 2), "aa", "a success brings a primary back");
	usleep(600 * 1000);
	is_str(sequence(u, 4), "abab", "past fail_timeout the other is back");
	unload(cf);

	cf = load("bklc", "least_conn", "\"127.0.0.1:9000 down\", "
	    "\"127.0.0.1:9001 backup\", \"127.0.0.1:9002 backup\", "
	    "\"127.0.0.1:9003 backup\"");
	u = cf->upstreams[0];
	hold_as(others[0], &u->peers[1], true);
	hold_as(others[0], &u->peers[3], true);
	is_str(sequence(u, 3), "ccc", "least_conn among backups");
	hold_as(others[0], &u->peers[1], false);
	hold_as(others[0], &u->peers[3], false);
	unload(cf);

	cf = load("alone", "round_robin", servers(1, -1, NULL));
	upstream_failed(&req, &cf->upstreams[0]->peers[0]);
	is_str(sequence(cf->upstreams[0], 2), "aa", "a server alone is never down");
	unload(cf);
}

/* The server of each client's request. */
static void
map(struct upstream *u, int *to)
{
	int k;

	for (k = 0; k < CLIENTS; k++) {
		client(k);
		to[k] = pick(u, NULL, 0);
	}
	pool_reset(&pool);	/* the hash keys */
}

/* Did the clients of server gone (and only they) move, all elsewhere?
 * Returns how many did. */
static int
only_its_clients_moved(const int *before, const int *after, int gone,
    const char *name)
{
	int k, moved = 0, stayed = 0, strays = 0;

	for (k = 0; k < CLIENTS; k++) {
		if (before[k] == gone)
			moved++;
		if (after[k] == gone || after[k] < 0)
			stayed++;
		else if (before[k] != gone && after[k] != before[k])
			strays++;
	}
	ok(moved > 0, "%s: server %d had clients", name, gone);
	is_int(stayed, 0, "%s: its clients moved", name);
	is_int(strays, 0, "%s: the others' clients stayed", name);
	return moved;
}

/* A method's mapping when server 3 of 10 goes down: in the configuration,
 * or marked by a failure. */
static void
down_moves_its_clients(const char *method)
{
	static int before[CLIENTS], after[CLIENTS], again[CLIENTS];
	struct config *cf;
	int k, spread[10] = { 0 }, least = CLIENTS;
	char name[64];

	cf = load("h", method, servers(10, -1, NULL));
	map(cf->upstreams[0], before);
	map(cf->upstreams[0], again);
	ok(memcmp(before, again, sizeof(before)) == 0, "%s: stable", method);
	for (k = 0; k < CLIENTS; k++)
		if (before[k] >= 0)
			spread[before[k]]++;
	for (k = 0; k < 10; k++)
		least = spread[k] < least ? spread[k] : least;
	ok(least > CLIENTS / 10 / 3, "%s: every server has clients (%d least)",
	    method, least);

	upstream_failed(&req, &cf->upstreams[0]->peers[3]);
	map(cf->upstreams[0], after);
	snprintf(name, sizeof(name), "%s, server 3 failed", method);
	only_its_clients_moved(before, after, 3, name);
	upstream_succeeded(&cf->upstreams[0]->peers[3], 1);
	map(cf->upstreams[0], again);
	ok(memcmp(before, again, sizeof(before)) == 0, "%s: back when it is",
	    method);
	unload(cf);

	cf = load("h", method, servers(10, 3, "down"));
	map(cf->upstreams[0], after);
	snprintf(name, sizeof(name), "%s, server 3 down", method);
	only_its_clients_moved(before, after, 3, name);
	unload(cf);
}

static void
hashes(void)
{
	static int before[CLIENTS], after[CLIENTS];
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)&conn.peer;
	struct config *cf;
	char text[INET6_ADDRSTRLEN];
	int moved, v4;

	down_moves_its_clients("ip_hash");
	down_moves_its_clients("hash $request_uri");
	down_moves_its_clients("hash $request_uri consistent");

	cf = load("v6", "ip_hash", servers(10, -1, NULL));
	client(5);
	v4 = pick(cf->upstreams[0], NULL, 0);
	snprintf(text, sizeof(text), "::ffff:");
	inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)&conn.peer)->sin_addr,
	    text + 7, sizeof(text) - 7);
	memset(&conn.peer, 0, sizeof(conn.peer));
	sin6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, text, &sin6->sin6_addr);
	is_int(pick(cf->upstreams[0], NULL, 0), v4,
	    "ip_hash: an IPv4-mapped address is its IPv4 address");
	unload(cf);

	/* Removed from the ring: about its share of keys move, no other. */
	cf = load("ring", "hash $request_uri consistent", servers(10, -1, NULL));
	map(cf->upstreams[0], before);
	unload(cf);
	cf = load("ring", "hash $request_uri consistent", servers(10, 6, NULL));
	map(cf->upstreams[0], after);
	moved = only_its_clients_moved(before, after, 6,
	    "consistent hash, server 6 removed");
	ok(moved < CLIENTS / 5, "consistent hash: %d of %d keys moved", moved,
	    CLIENTS);
	unload(cf);
}

int
main(void)
{
	int i;

	alarm(120);		/* a hung lock kills the test */
	log_level = LV_ERROR;	/* "upstream server temporarily disabled" */
	if (shm_create(ARENA) != 0 || sb_init() != 0 || uz_init() != 0) {
		printf("Bail out! the shared segment\n");
		return 1;
	}
	me = sb_claim(getpid(), 1, SB_WORKER);
	for (i = 0; i < 3; i++)
		others[i] = sb_claim(100001 + i, 1, SB_WORKER);
	sb_attach(me);
	pool_init(&pool, 4096);
	req.c = &conn;
	req.pool = &pool;
	snprintf(conn.peer_text, sizeof(conn.peer_text), "10.0.0.1");
	client(0);

	round_robin();
	least_conn();
	least_conn_many();
	backups();
	hashes();

	pool_destroy(&pool);
	shm_destroy();
	return done_testing();
}
