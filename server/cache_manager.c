/*
 * The proxy cache's two helper processes, entries of the master's helper
 * table (helpers.c).  The cache manager runs while any proxy_cache_path
 * is configured: every second it drops entries unused for `inactive` and,
 * while a cache's files take more than max_size, the least recently used
 * ones (at once again while there is more to drop).  The cache loader
 * runs while a zone is cold (new at start, or emptied after a process
 * died holding its lock): it indexes the files already in the directory,
 * so a restart keeps the cache, and exits when every zone is warm (a
 * helper that finishes).
 */
#include "config.h"

#include <stdlib.h>
#include <sys/prctl.h>

#include "cache_manager.h"
#include "cache_zone.h"
#include "clock.h"
#include "conf.h"
#include "privileges.h"
#include "wait.h"

#define MANAGER_SLEEP_MS	1000

bool
cache_manager_needed(const struct config *cf)
{
	return cf->main.cache_paths.n > 0;
}

void
cache_manager_main(struct config *cf)
{
	const struct cache_paths *cps = &cf->main.cache_paths;
	size_t i, dropped;

	wait_setup(cf->logs);
	privileges_drop(cf);
	prctl(PR_SET_NAME, "portico-manager");
	for (;;) {
		clock_update();
		dropped = 0;
		for (i = 0; i < cps->n; i++)
			dropped += cache_trim(&cps->v[i], now.msec);
		if (wait_poll(NULL, 0, dropped > 0 ? 0 : MANAGER_SLEEP_MS,
		    WAIT_IDLE) == WAIT_QUIT)
			break;
	}
	exit(0);
}

bool
cache_loader_needed(const struct config *cf)
{
	return cache_cold(cf);
}

void
cache_loader_main(struct config *cf)
{
	const struct cache_paths *cps = &cf->main.cache_paths;
	size_t i;

	wait_setup(cf->logs);
	privileges_drop(cf);
	prctl(PR_SET_NAME, "portico-loader");
	for (i = 0; i < cps->n && !wait_quit; i++)
		cache_load(&cps->v[i]);
	exit(0);
}
