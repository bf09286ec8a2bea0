/*
 * The open-file cache: a small table of (path, descriptor, stat) per
 * worker, least recently used first out, with the bytes of small files.
 *
 * A watched entry is used without a system call.  Its file and every
 * directory on its path are watched with inotify (fdwatch.c), so an edit,
 * a permission change, a file renamed over it, its removal or a renamed
 * parent reach the worker as a notification.  The worker applies them
 * before serving a request sent after them: its waits include the
 * notification descriptor and drain it (wait.c), and a request read
 * without such a wait first drains it here (one read).  That is as fresh
 * as opening the file for every request, as nginx does without
 * open_file_cache.
 *
 * Where a path cannot be watched (inotify instances or watches ran out, a
 * symbolic link on the way, a file system whose changes another machine
 * may make), its entry is checked with stat(2) on every use, and used only
 * if device, inode, size, mtime and ctime all match; its body is sent
 * from the descriptor.  Only regular files are cached, and an entry unused
 * for ten seconds is closed, so a deleted file's space is not held long.
 *
 * An entry dropped while a request may still send from it is retired:
 * closed once the request is done (fdcache_done()).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "fdcache.h"
#include "fdwatch.h"

#define ENTRIES		32
#define INACTIVE_MS	10000

struct entry {
	char		*path;
	int		 fd;
	struct stat	 st;
	int64_t		 used;		/* monotonic ms */
	char		*data;		/* the whole file: watched, small */
	struct fdwatch	 w;		/* nothing watched: checked with stat */
};

static struct entry cache[ENTRIES];
static int live;
static struct entry *retired;
static size_t nretired, retired_cap;
static size_t memory_max;
static struct entry *last;	/* what fdcache_open gave last */
static bool covered;		/* this request's changes are applied */
static bool in_request;		/* a request may send from an entry */

static void changed(int, const char *);
static void lost(void);

void
fdcache_setup(size_t max)
{
	memory_max = max;
	fdwatch_setup(changed, lost);
}

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
release(struct entry *e)
{
	close(e->fd);
	free(e->path);
	free(e->data);
}

/* Out of the table; closed now, or when the request using it is done. */
static void
drop(struct entry *e)
{
	struct entry *grown;

	if (e->path == NULL)
		return;
	fdwatch_release(&e->w);
	live--;
	if (in_request && nretired == retired_cap) {
		grown = realloc(retired, (retired_cap + ENTRIES) * sizeof(*grown));
		if (grown != NULL) {
			retired = grown;
			retired_cap += ENTRIES;
		}
	}
	if (!in_request)
		release(e);
	else if (nretired < retired_cap)
		retired[nretired++] = *e;
	/* else out of memory: the descriptor stays open rather than be
	 * closed under a request */
	e->path = NULL;
	e->data = NULL;
}

/* A notified change: drop every entry it concerns (wd -1: all). */
static void
changed(int wd, const char *name)
{
	int i;

	for (i = 0; i < ENTRIES; i++)
		if (cache[i].path != NULL && (wd < 0 ||
		    fdwatch_concerns(&cache[i].w, cache[i].path, wd, name)))
			drop(&cache[i]);
}

/* inotify failed for good: every entry is checked with stat from now on
 * (its bytes, which a request may be sending, stay until it goes). */
static void
lost(void)
{
	int i;

	for (i = 0; i < ENTRIES; i++)
		cache[i].w.n = 0;
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

/* The whole file, if it is small and read whole; else NULL. */
static char *
read_whole(int fd, const struct stat *st)
{
	char *data;

	if (st->st_size == 0 || (size_t)st->st_size > memory_max ||
	    (data = malloc((size_t)st->st_size)) == NULL)
		return NULL;
	if (pread(fd, data, (size_t)st->st_size, 0) != st->st_size) {
		free(data);		/* truncated meanwhile: notified */
		return NULL;
	}
	return data;
}

/* Open path for an entry checked with stat. */
static int
open_checked(const char *path, struct stat *st)
{
	int fd;

	if (stat(path, st) != 0)
		return -1;
	if (!S_ISREG(st->st_mode)) {
		errno = 0;
		return -1;
	}
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		errno = errno ? errno : ENOENT;
		return -1;
	}
	return fd;
}

/* Open path into e, watched where it can be.  -1 as fdcache_open. */
static int
fill(struct entry *e, const char *path, struct stat *st)
{
	int fd = fdwatch_open(path, st, &e->w);

	if (fd == FDWATCH_UNWATCHED)
		fd = open_checked(path, st);
	if (fd < 0)
		return -1;
	if ((e->path = strdup(path)) == NULL) {
		close(fd);
		fdwatch_release(&e->w);
		errno = ENOMEM;
		return -1;
	}
	e->fd = fd;
	e->st = *st;
	e->used = now.mono_ms;
	e->data = e->w.n > 0 ? read_whole(fd, st) : NULL;
	live++;
	return fd;
}

/* The stat check of an unwatched entry: its descriptor, or -1 as
 * fdcache_open when the path is gone or no longer a regular file; -2 when
 * the file changed and is opened again. */
static int
checked(struct entry *e, const char *path, struct stat *st)
{
	int err;

	if (stat(path, st) != 0 || !S_ISREG(st->st_mode)) {
		err = S_ISREG(st->st_mode) ? errno : 0;
		drop(e);
		errno = err;
		return -1;
	}
	if (!same_file(&e->st, st)) {
		drop(e);
		return -2;
	}
	e->used = now.mono_ms;
	return e->fd;
}

/*
 * A descriptor for path, owned by the cache (the caller must not close
 * it), with *st filled in.  Not a regular file: -1 with errno 0 and *st
 * filled in.  Failure: -1 with errno set.  A watched entry is trusted
 * once this request's changes are applied: by the wait that saw it come
 * (fdcache_request), else by reading the notifications now.
 */
int
fdcache_open(const char *path, struct stat *st)
{
	struct entry *e = find(path);
	int fd;

	in_request = true;
	if (e != NULL && e->w.n > 0 && !covered && (covered = fdwatch_apply()))
		e = find(path);		/* unless a change dropped it */
	if (e != NULL && e->w.n > 0) {
		e->used = now.mono_ms;
		*st = e->st;
		last = e;
		return e->fd;
	}
	last = NULL;
	if (e != NULL && (fd = checked(e, path, st)) != -2)
		return fd;
	e = victim();
	fd = fill(e, path, st);
	last = fd >= 0 ? e : NULL;
	return fd;
}

/* The bytes of the file fdcache_open just gave (fd), if they are held:
 * only a watched entry's are known to be current. */
const char *
fdcache_memory(int fd)
{
	return last != NULL && last->path != NULL && last->fd == fd &&
	    last->w.n > 0 ? last->data : NULL;
}

/* A request begins.  seen: it was in the socket when a wait applied the
 * notifications (wait_watched()), so they need no reading. */
void
fdcache_request(bool seen)
{
	covered = seen;
}

/* The request is done: nothing sends from the cache any more. */
void
fdcache_done(void)
{
	size_t i;

	covered = false;
	in_request = false;
	for (i = 0; i < nretired; i++)
		release(&retired[i]);
	nretired = 0;
}

/* Close entries unused for a while; true if any remain open.  With none
 * left the notifications go too, so an idle worker holds no inotify
 * instance. */
bool
fdcache_expire(void)
{
	int i;

	fdcache_done();
	for (i = 0; i < ENTRIES; i++)
		if (cache[i].path != NULL && now.mono_ms - cache[i].used > INACTIVE_MS)
			drop(&cache[i]);
	if (live == 0)
		fdwatch_close();
	return live > 0;
}
