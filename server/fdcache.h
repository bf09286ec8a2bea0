/*
 * A worker's cache of open files.  A file is never served stale: an entry
 * is either watched with inotify, and the worker applies every change
 * notified before a request was sent before serving it, or checked with
 * stat(2) on every use.  Small watched files are kept in memory, so their
 * answer goes out in one write.
 */
#ifndef PORTICO_FDCACHE_H
#define PORTICO_FDCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#define FDCACHE_CHECK_MS	10000

void	fdcache_setup(size_t memory_max);
int	fdcache_open(const char *path, struct stat *st);
const char *fdcache_memory(int fd);
void	fdcache_request(bool seen);
void	fdcache_done(void);
bool	fdcache_expire(void);

#endif
