/*
 * The proxy caches as a whole.  The master gives each proxy_cache_path
 * its zone, "cache:NAME", kept across a reload when its name and size
 * stay (then the index, its counters and the files it knows carry over);
 * a new zone starts cold, and the cache loader fills it from the files
 * already in the directory.  When a worker dies the master clears the
 * fills it held, so nobody waits on it.  The cache manager trims each
 * zone: entries unused for `inactive`, then the least recently used
 * while the files take more than max_size.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cache_file.h"
#include "cache_index.h"
#include "cache_zone.h"
#include "clock.h"
#include "conf.h"
#include "log.h"
#include "shm.h"
#include "wait.h"

#define TRIM_BATCH	64
#define LOAD_BATCH	100	/* files the loader reads between pauses */
#define LOAD_PAUSE_MS	10

int
cache_bind(struct config *cf, uint32_t gen)
{
	struct cache_paths *cps = &cf->main.cache_paths;
	char name[80];
	bool fresh;
	size_t i;

	for (i = 0; i < cps->n; i++) {
		struct cache_path *cp = &cps->v[i];
		snprintf(name, sizeof(name), "cache:%s", cp->name);
		cp->zone = shm_zone(name, (size_t)cp->zone_size, gen, &fresh);
		if (cp->zone == NULL)
			return -1;
		if (fresh && ci_init(cp->zone, (size_t)cp->zone_size) != 0) {
			logmsg(LV_EMERG, "keys_zone \"%s\" of %lld bytes is too small",
			    cp->name, cp->zone_size);
			return -1;
		}
	}
	return 0;
}

void
cache_repair(const struct config *cf, pid_t pid)
{
	const struct cache_paths *cps = &cf->main.cache_paths;
	size_t i, n;

	for (i = 0; i < cps->n; i++)
		if (cps->v[i].zone != NULL &&
		    (n = ci_repair(cps->v[i].zone, pid)) > 0)
			logmsg(LV_NOTICE, "cache \"%s\": %zu entries process %d was "
			    "filling are free again", cps->v[i].name, n, (int)pid);
}

/* One round of the manager over one cache: returns how many files went,
 * so the caller knows whether to come back at once. */
size_t
cache_trim(const struct cache_path *cp, int64_t now_ms)
{
	uint8_t keys[TRIM_BATCH][CI_KEY];
	size_t n, i;

	if (cp->zone == NULL)
		return 0;
	n = ci_trim(cp->zone, now_ms, (uint64_t)cp->max_size, keys, TRIM_BATCH);
	for (i = 0; i < n; i++)
		cache_file_delete(cp, keys[i]);
	return n;
}

bool
cache_cold(const struct config *cf)
{
	const struct cache_paths *cps = &cf->main.cache_paths;
	size_t i;

	for (i = 0; i < cps->n; i++)
		if (cps->v[i].zone != NULL && cps->v[i].zone->cold)
			return true;
	return false;
}

/* Index one file.  The loader pauses now and then, as nginx's does, so
 * that reading a large cache does not crowd the workers out; a pause is
 * also where it hears it must stop. */
static int
load_one(void *arg, const uint8_t *key, const char *path)
{
	const struct cache_path *cp = arg;
	static unsigned loaded;
	struct ci_entry ent;
	struct ci_dropped d = { 0 };
	size_t i;

	(void)path;
	if (cache_entry_stat(cp, key, &ent) == 0) {
		clock_update();
		ci_load(cp->zone, key, now.msec + cp->inactive, &ent, &d);
		for (i = 0; i < d.n; i++)
			cache_file_delete(cp, d.keys[i]);
	}
	return ++loaded % LOAD_BATCH == 0 &&
	    wait_poll(NULL, 0, LOAD_PAUSE_MS, WAIT_IDLE) == WAIT_QUIT;
}

/* Index every file of a cold cache; then it is warm (also when its
 * directory cannot be read: that is logged, and there is nothing to
 * load). */
void
cache_load(const struct cache_path *cp)
{
	if (cp->zone == NULL || !cp->zone->cold)
		return;
	logmsg(LV_INFO, "cache loader: reading \"%s\"", cp->path);
	if (cache_dir_walk(cp, load_one, (void *)cp) == 0)
		cp->zone->cold = 0;
	logmsg(LV_NOTICE, "cache \"%s\": %u entries, %llu bytes loaded", cp->name,
	    cp->zone->files, (unsigned long long)cp->zone->disk);
}
