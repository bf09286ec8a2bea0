/*
 * Watching the files of the open-file cache with inotify (fdwatch.c): a
 * path is watched as its file and every directory from the root down, so
 * that a change to any name on the way is notified.  The notifications are
 * drained by every wait of the worker (wait.c) or on demand, and reported
 * to the cache as (watch, name) pairs.
 */
#ifndef PORTICO_FDWATCH_H
#define PORTICO_FDWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#define FDWATCH_DEPTH	16	/* directories on a path that can be watched */

/* The watches of one path: its directories from the root, then the file;
 * n = 0 when it is not watched. */
struct fdwatch {
	int	n;
	int	wd[FDWATCH_DEPTH + 1];
};

/* fdwatch_open's answers besides a descriptor. */
enum { FDWATCH_FAILED = -1, FDWATCH_UNWATCHED = -2 };

void	fdwatch_setup(void (*changed)(int wd, const char *name),
	    void (*lost)(void));
int	fdwatch_open(const char *path, struct stat *, struct fdwatch *);
void	fdwatch_release(struct fdwatch *);
bool	fdwatch_concerns(const struct fdwatch *, const char *path, int wd,
	    const char *name);
bool	fdwatch_apply(void);
void	fdwatch_close(void);

#endif
