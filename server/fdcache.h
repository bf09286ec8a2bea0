/*
 * A worker's cache of open files.  Every lookup still stats the path, so a
 * changed, replaced or removed file is never served stale; what the cache
 * saves is the open/fstat/close around each request for a file that did
 * not change.
 */
#ifndef PORTICO_FDCACHE_H
#define PORTICO_FDCACHE_H

#include <stdbool.h>
#include <sys/stat.h>

#define FDCACHE_CHECK_MS	10000

int	fdcache_open(const char *path, struct stat *st);
bool	fdcache_expire(void);

#endif
