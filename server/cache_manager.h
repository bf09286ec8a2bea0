/*
 * The cache manager and the cache loader processes (cache_manager.c).
 */
#ifndef PORTICO_CACHE_MANAGER_H
#define PORTICO_CACHE_MANAGER_H

#include <stdbool.h>

struct config;

bool	cache_manager_needed(const struct config *);
void	cache_manager_main(struct config *) __attribute__((noreturn));
bool	cache_loader_needed(const struct config *);
void	cache_loader_main(struct config *) __attribute__((noreturn));

#endif
