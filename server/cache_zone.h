/*
 * The proxy caches as a whole (cache_zone.c): each proxy_cache_path bound
 * to its index zone by the master, the master's repair after a worker
 * died, and the steps the cache manager and the cache loader repeat.
 */
#ifndef PORTICO_CACHE_ZONE_H
#define PORTICO_CACHE_ZONE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct cache_path;
struct config;

/* master */
int	cache_bind(struct config *, uint32_t gen);
void	cache_repair(const struct config *, pid_t);

/* the cache manager */
size_t	cache_trim(const struct cache_path *, int64_t now_ms);

/* the cache loader */
bool	cache_cold(const struct config *);
void	cache_load(const struct cache_path *);

#endif
