/*
 * The master's helper processes: one line of the table below each.  A
 * helper runs while the current configuration needs it, in a scoreboard
 * slot of its role; it holds no listening socket and none of the master's
 * descriptors (child.c).  One that dies unexpectedly is restarted, under
 * the master's pause after repeated failures, as workers are.  On reload a
 * helper either restarts with the new configuration or, when it holds
 * what must outlive a reload, runs on with the configuration it started
 * with; either way it stops when the new configuration does not need it.
 * Stopping the master stops them all.
 */
#include "config.h"

#include <signal.h>
#include <sys/wait.h>

#include "cache_manager.h"
#include "child.h"
#include "conf.h"
#include "health.h"
#include "helpers.h"
#include "keeper.h"
#include "log.h"
#include "scoreboard.h"

struct helper {
	int	 role;			/* enum sb_role: its name, its slots */
	bool	(*needed)(const struct config *);
	void	(*main)(struct config *) __attribute__((noreturn));
	bool	 keep_on_reload;	/* runs on across reloads */
	bool	 finishes;		/* exits 0 once its work is done */
};

static const struct helper helpers[] = {
	{ SB_HEALTH_CHECKER, health_needed, health_main, false, false },
	{ SB_KEEPER, keeper_needed, keeper_main, true, false },	/* holds clients */
	{ SB_CACHE_MANAGER, cache_manager_needed, cache_manager_main, false, false },
	{ SB_CACHE_LOADER, cache_loader_needed, cache_loader_main, false, true },
};

#define NHELPERS	(sizeof(helpers) / sizeof(helpers[0]))

static pid_t running[NHELPERS];	/* 0: none */
static bool stopped;

static void
start(size_t i, struct config *cf, uint32_t gen)
{
	int slot;
	pid_t pid = child_fork(helpers[i].role, gen, NULL, &slot);

	if (pid == 0) {
		sb_attach(slot);
		helpers[i].main(cf);
	}
	if (pid > 0)
		running[i] = pid;
}

/* Tell helper i to stop; its exit is then expected. */
static void
retire(size_t i, int sig)
{
	int slot = sb_slot_of(running[i]);

	if (slot >= 0)
		sb->slots[slot].retiring = 1;
	kill(running[i], sig);
	running[i] = 0;
}

/* Start every helper cf needs that is not running. */
void
helpers_start(struct config *cf, uint32_t gen)
{
	size_t i;

	for (i = 0; i < NHELPERS && !stopped; i++)
		if (running[i] == 0 && helpers[i].needed(cf))
			start(i, cf, gen);
}

/* A reload to cf: restart or keep each running helper, then start those
 * cf needs. */
void
helpers_reload(struct config *cf, uint32_t gen)
{
	size_t i;

	for (i = 0; i < NHELPERS; i++)
		if (running[i] != 0 &&
		    (!helpers[i].keep_on_reload || !helpers[i].needed(cf)))
			retire(i, SIGTERM);
	helpers_start(cf, gen);
}

/* Is a helper of this role running? */
bool
helpers_running(int role)
{
	size_t i;

	for (i = 0; i < NHELPERS; i++)
		if (helpers[i].role == role && running[i] != 0)
			return true;
	return false;
}

/* The master stops: sig (SIGQUIT or SIGTERM) to every helper. */
void
helpers_stop(int sig)
{
	size_t i;

	stopped = true;
	for (i = 0; i < NHELPERS; i++)
		if (running[i] != 0)
			retire(i, sig);
}

/*
 * The master reaped helper pid of slot s.  Returns whether it died
 * unexpectedly (it is then started again by the next helpers_start()); a
 * helper that finishes may exit 0 (and is started again only when the
 * configuration needs it again).
 */
bool
helpers_reaped(const struct sb_slot *s, pid_t pid, int status)
{
	const char *name = sb_role_name(s->role);
	bool finished = false;
	size_t i;

	for (i = 0; i < NHELPERS; i++)
		if (running[i] == pid) {
			running[i] = 0;
			finished = helpers[i].finishes && WIFEXITED(status) &&
			    WEXITSTATUS(status) == 0;
		}
	if (s->retiring || finished) {
		logmsg(LV_INFO, "%s process %d %s", name, (int)pid,
		    finished ? "finished" : "exited");
		return false;
	}
	if (WIFSIGNALED(status))
		logmsg(LV_ALERT, "%s process %d exited unexpectedly on signal %d; "
		    "restarting it", name, (int)pid, WTERMSIG(status));
	else
		logmsg(LV_ALERT, "%s process %d exited unexpectedly with code %d; "
		    "restarting it", name, (int)pid, WEXITSTATUS(status));
	return true;
}
