/*
 * The open-file cache: a small table of (path, descriptor, stat) per
 * worker, least recently used first out.  A hit costs one stat(2); the
 * entry is used only if device, inode, size, mtime and ctime all match,
 * so edits, replacements (even by rename) and permission changes are seen
 * at once.  Only regular files are cached, and an entry unused for ten
 * seconds is closed, so a deleted file's space is not held for long.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "fdcache.h"

#define ENTRIES		32
#define INACTIVE_MS	10000

struct entry {
	char		*path;
	int		 fd;
	struct stat	 st;
	int64_t		 used;		/* monotonic ms */
};

static struct entry cache[ENTRIES];
static int live;

static bool
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	    a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	    a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static void
drop(struct entry *e)
{
	if (e->path == NULL)
		return;
	close(e->fd);
	free(e->path);
	e->path = NULL;
	live--;
}

static struct entry *
find(const char *path)
{
	int i;

	for (i = 0; i < ENTRIES; i++)
		if (cache[i].path != NULL && strcmp(cache[i].path, path) == 0)
			return &cache[i];
	return NULL;
}

static struct entry *
victim(void)
{
	struct entry *v = &cache[0];
	int i;

	for (i = 0; i < ENTRIES; i++) {
		if (cache[i].path == NULL)
			return &cache[i];
		if (cache[i].used < v->used)
			v = &cache[i];
	}
	drop(v);
	return v;
}

/*
 * A descriptor for path, owned by the cache (the caller must not close
 * it), with *st filled in.  Not a regular file: -1 with errno 0 and *st
 * filled in.  Failure: -1 with errno set.
 */
int
fdcache_open(const char *path, struct stat *st)
{
	struct entry *e = find(path);
	int fd;

	if (stat(path, st) != 0) {
		int err = errno;
		if (e != NULL)
			drop(e);
		errno = err;
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		errno = 0;
		return -1;
	}
	if (e != NULL && same_file(&e->st, st)) {
		e->used = now.mono_ms;
		return e->fd;
	}
	if (e != NULL)
		drop(e);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		errno = errno ? errno : ENOENT;
		return -1;
	}
	e = victim();
	e->path = strdup(path);
	if (e->path == NULL) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	e->fd = fd;
	e->st = *st;
	e->used = now.mono_ms;
	live++;
	return fd;
}

/* Close entries unused for a while; true if any remain open. */
bool
fdcache_expire(void)
{
	int i;

	for (i = 0; i < ENTRIES; i++)
		if (cache[i].path != NULL && now.mono_ms - cache[i].used > INACTIVE_MS)
			drop(&cache[i]);
	return live > 0;
}
