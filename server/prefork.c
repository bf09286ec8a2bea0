/*
 * The worker pool.  The master keeps between min_spare and max_spare
 * idle workers of the current configuration generation (waiting for a
 * connection, or still starting): a deficit is forked at once, never
 * above workers.max workers in all; a surplus retires one worker a second.
 * When every worker is busy at workers.max and a client waits, workers
 * drop connections that hold them without work (shed.c) to make room.
 * A worker of the current generation that dies abnormally is replaced
 * whatever the idle count, and its death is logged with what its
 * scoreboard slot says it was doing.  On reload the new generation's
 * workers start first, and the older generations' are told to quit only
 * once the new ones accept; then they only finish what they serve.  Every
 * count here is of workers: the master's helpers have scoreboard slots
 * too, but are not the pool's.
 */
#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "child.h"
#include "clock.h"
#include "conf.h"
#include "handoff.h"
#include "log.h"
#include "prefork.h"
#include "scoreboard.h"
#include "shed.h"
#include "worker.h"

#define HANDOVER_MS	1000	/* the longest old workers wait for new ones */
#define HANDOVER_POLL_MS 5	/* how often the master looks meanwhile */
#define SHED_BATCH	32	/* connections dropped at once, at most */
#define SHED_PAUSE_MS	10	/* between two batches */
#define FULL_POLL_MS	20	/* how often a full pool is looked at */

static int64_t last_shrink;
static int replace;		/* workers that died and must be replaced */
static int shutdown_sig;	/* SIGQUIT or SIGTERM once the master stops */
static uint32_t handover;	/* the generation older ones give way to */
static int64_t handover_by;
static bool pool_full;
static int64_t shed_after, max_warned = INT64_MIN / 2;

static void	prefork_signal(int sig, int64_t spare);

/* Fork n workers of generation gen (fewer when forking fails). */
void
prefork_spawn(struct config *cf, uint32_t gen, int n)
{
	int i, slot;
	pid_t pid;

	for (i = 0; i < n; i++) {
		pid = child_fork(SB_WORKER, gen, cf, &slot);
		if (pid < 0)
			break;
		if (pid == 0)
			worker_main(cf, slot, child_notify_writer());
	}
}

/*
 * A reload made generation gen current: fork its workers, as many as the
 * pool it replaces (at least workers.start).  The older generations' keep
 * accepting until the new ones all do (see handing_over()), so a reload
 * never leaves the listening sockets without a worker.
 */
void
prefork_reload(struct config *cf, uint32_t gen, uint32_t previous)
{
	int n = prefork_count(previous);

	if (n < cf->main.workers.start)
		n = (int)cf->main.workers.start;
	if (n > cf->main.workers.max)
		n = (int)cf->main.workers.max;
	prefork_spawn(cf, gen, n);
	handover = gen;
	handover_by = clock_mono_ms() + HANDOVER_MS;
}

/* Still waiting for the current generation's workers to start, before the
 * older ones are told to quit?  The master then looks often. */
bool
prefork_handing_over(void)
{
	if (handover == 0)
		return false;
	if (sb_count(SB_WORKER, SB_STARTING, handover) > 0 &&
	    clock_mono_ms() < handover_by)
		return true;
	prefork_signal(SIGQUIT, handover);
	handover = 0;
	return false;
}

/* Idle workers of generation gen that are not on their way out. */
static int
count_idle(uint32_t gen, pid_t *one)
{
	uint32_t i;
	int n = 0;

	for (i = 0; i < sb->high; i++) {
		struct sb_slot *s = &sb->slots[i];
		if (s->pid == 0 || s->role != SB_WORKER || s->gen != gen ||
		    s->retiring)
			continue;
		if (s->state == SB_IDLE || s->state == SB_STARTING) {
			n++;
			if (one != NULL && s->state == SB_IDLE)
				*one = s->pid;
		}
	}
	return n;
}

/* Clients waiting for a worker: connections in the listeners' accept
 * queues (TCP_INFO's unacked, for a listening socket) and hand-backs from
 * the keeper. */
static int
waiting(const struct config *cf)
{
	struct pollfd back = { handoff_fd(HANDOFF_BACK, false), POLLIN, 0 };
	struct tcp_info ti;
	socklen_t len;
	size_t i;
	int n = poll(&back, 1, 0) == 1;

	for (i = 0; i < cf->nlisteners; i++) {
		len = sizeof(ti);
		if (getsockopt(cf->listeners[i].fd, IPPROTO_TCP, TCP_INFO, &ti,
		    &len) == 0)
			n += (int)ti.tcpi_unacked;
	}
	return n;
}

/* Every worker busy at workers.max and a client waiting: have workers drop
 * connections that hold them without work (shed.c), a batch at a time,
 * then give the waiting clients a moment to take the room made. */
static bool
make_room(const struct config *cf, int total)
{
	struct shed_victim v[SHED_BATCH];
	size_t n, i;
	int want;

	if (total < cf->main.workers.max || sb_count(SB_WORKER, SB_IDLE, -1) > 0)
		return false;
	if (now.mono_ms - max_warned >= 60000) {
		logmsg(LV_WARN, "all %lld workers are busy (workers.max): new "
		    "connections wait, idle ones are closed to make room",
		    cf->main.workers.max);
		max_warned = now.mono_ms;
	}
	if (now.mono_ms < shed_after || (want = waiting(cf)) == 0)
		return true;
	n = shed_choose(sb, now.msec, cf->main.client_header_min_rate, v,
	    want < SHED_BATCH ? (size_t)want : SHED_BATCH);
	for (i = 0; i < n; i++) {
		kill(sb->slots[v[i].slot].pid, SIGUSR2);
		if (v[i].reason == SHED_IDLE)
			sb->shed_idle++;
		else
			sb->shed_slow++;
	}
	shed_after = now.mono_ms + SHED_PAUSE_MS;
	return true;
}

/* How long the master may sleep: not long while a reload hands over or
 * the pool is full. */
int
prefork_poll_ms(void)
{
	return handover != 0 ? HANDOVER_POLL_MS : pool_full ? FULL_POLL_MS : 1000;
}

void
prefork_maintain(struct config *cf, uint32_t gen)
{
	const struct workers_conf *w = &cf->main.workers;
	pid_t victim = 0;
	int idle, total, n;

	if (shutdown_sig != 0)
		return;
	idle = count_idle(gen, &victim);
	total = prefork_count(-1);
	pool_full = make_room(cf, total);
	if (idle < w->min_spare || total == 0 || replace > 0) {
		n = (int)w->min_spare - idle;
		if (n < replace)
			n = replace;
		if (n < 1)
			n = 1;
		replace = 0;
		if (n > w->max - total)
			n = (int)w->max - total;
		prefork_spawn(cf, gen, n);
	} else if (idle > w->max_spare && victim != 0 &&
	    now.mono_ms - last_shrink >= 1000) {
		sb->slots[sb_slot_of(victim)].retiring = 1;
		kill(victim, SIGQUIT);
		last_shrink = now.mono_ms;
	}
}

/* Send sig to every worker, but those of generation spare (none when
 * spare < 0).  A worker sent SIGQUIT is retiring: its exit is expected. */
static void
prefork_signal(int sig, int64_t spare)
{
	uint32_t i;

	for (i = 0; i < sb->high; i++) {
		struct sb_slot *s = &sb->slots[i];
		if (s->pid <= 1 || s->role != SB_WORKER ||
		    (spare >= 0 && s->gen == (uint32_t)spare))
			continue;
		if (sig == SIGQUIT)
			s->retiring = 1;
		kill(s->pid, sig);
	}
}

/* The master stops: SIGQUIT (graceful) or SIGTERM (fast) to every worker,
 * and none is forked any more. */
void
prefork_shutdown(int sig)
{
	shutdown_sig = sig;
	handover = 0;
	prefork_signal(sig, -1);
}

/* Workers of generation gen (of any when gen < 0). */
int
prefork_count(int64_t gen)
{
	return sb_count(SB_WORKER, -1, gen);
}

/* What a dead worker's slot says it was doing, as Apache's scoreboard
 * tells: its state, and while it served, the client and request line. */
static void
doing(const struct sb_slot *s, char *out, size_t size)
{
	int n = snprintf(out, size, " while %s", sb_state_name(s->state));

	if (n < 0 || (size_t)n >= size || s->state == SB_STARTING ||
	    s->state == SB_IDLE || s->client[0] == '\0')
		return;
	n += snprintf(out + n, size - (size_t)n, ", client: %.*s",
	    (int)sizeof(s->client), s->client);
	if ((size_t)n < size && s->request[0] != '\0')
		snprintf(out + n, size - (size_t)n, ", request: \"%.*s\"",
		    (int)sizeof(s->request), s->request);
}

/*
 * The master reaped worker pid of slot s: log how it ended and note a
 * replacement when it died abnormally while it should have run on.
 * Returns whether it failed (which pauses forking when it repeats).
 */
bool
prefork_reaped(const struct sb_slot *s, pid_t pid, int status, uint32_t current)
{
	bool failed = WIFSIGNALED(status) || WEXITSTATUS(status) != 0;
	char what[sizeof(s->client) + sizeof(s->request) + 64];

	if (failed && !s->retiring && s->gen == current && shutdown_sig == 0)
		replace++;	/* whatever the idle count */
	doing(s, what, sizeof(what));
	if (WIFSIGNALED(status))
		logmsg(shutdown_sig == SIGTERM && WTERMSIG(status) == SIGKILL ?
		    LV_WARN : LV_ALERT, "worker process %d exited on signal %d%s%s",
		    (int)pid, WTERMSIG(status),
		    WCOREDUMP(status) ? " (core dumped)" : "", what);
	else if (failed)
		logmsg(LV_ALERT, "worker process %d exited with code %d%s", (int)pid,
		    WEXITSTATUS(status), what);
	else
		logmsg(s->retiring || shutdown_sig != 0 ? LV_INFO : LV_NOTICE,
		    "worker process %d exited with code 0", (int)pid);
	/* Killed by the master after a stop's grace: not a failure. */
	return failed && !(WIFSIGNALED(status) && shutdown_sig == SIGTERM);
}
