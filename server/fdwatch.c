/*
 * inotify for the open-file cache (see fdwatch.h).  One instance per
 * worker, opened with the first watched file and closed when the cache
 * empties, so an idle worker holds none; when none can be had (the user's
 * instances ran out), tried again ten seconds later.  A path is watched
 * only where the watches can vouch for it: absolute, without "." or "..",
 * at most FDWATCH_DEPTH directories deep, free of symbolic links (the file is
 * opened with openat2's RESOLVE_NO_SYMLINKS) and on a local file system
 * (another machine's change to a network file system is not notified).
 *
 * Why the watches vouch for the file: the directories are watched from the
 * root down, then the file, all before the file is opened.  A name on the
 * way that changes after its directory was watched is notified; one that
 * changed before was resolved anew by the later watches and by the open.
 * So the open reaches the watched file through watched directories, or a
 * notification is pending that drops the entry.
 *
 * A watch descriptor is counted by the entries that hold it (the kernel
 * gives one per inode, and a directory serves the files below it) and
 * removed with the last.  A directory already watched is found by its
 * path instead of asking the kernel again.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "clock.h"
#include "fdwatch.h"
#include "log.h"
#include "wait.h"

/* A directory: a name in it changes, or it does itself (permissions,
 * moved, removed).  The bytes of its files are told by their own watches. */
#define DIR_EVENTS	(IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | \
			 IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW)
/* A file: its bytes or attributes change, through any of its names. */
#define FILE_EVENTS	(IN_MODIFY | IN_ATTRIB | IN_DONT_FOLLOW)
#define EVENTS_BUF	16384
#define RETRY_MS	10000		/* after inotify failed */
#define ZFS_SUPER_MAGIC	0x2fc12fc1

struct watch {
	int	 wd;
	int	 refs;
	char	*dir;		/* the directory's path; NULL for a file */
};

static int ino = -1;
static int64_t retry_at;	/* monotonic ms: no instance before */
static struct watch *watches;
static size_t nwatches, watches_cap;
static void (*on_change)(int, const char *);
static void (*on_lost)(void);

/* The cache's handlers: a change (wd -1: anything may have changed), and
 * the loss of every watch. */
void
fdwatch_setup(void (*changed)(int, const char *), void (*lost)(void))
{
	on_change = changed;
	on_lost = lost;
}

static struct watch *
by_wd(int wd)
{
	size_t i;

	for (i = 0; i < nwatches; i++)
		if (watches[i].wd == wd)
			return &watches[i];
	return NULL;
}

static struct watch *
by_dir(const char *path)
{
	size_t i;

	for (i = 0; i < nwatches; i++)
		if (watches[i].dir != NULL && strcmp(watches[i].dir, path) == 0)
			return &watches[i];
	return NULL;
}

/* Say once per worker why files are checked with stat instead; limit:
 * the setting of the kernel that ran out, or NULL. */
static void
tell_once(bool *told, int err, const char *what, const char *limit)
{
	if (*told)
		return;
	*told = true;
	log_errno(LV_NOTICE, err, "%s failed: files are checked with stat() on "
	    "every request%s%s", what, limit ? ", see " : "", limit ? limit : "");
}

/* The drain of a wait that found the instance readable. */
static void
ready(void)
{
	fdwatch_apply();
}

static bool
start(void)
{
	static bool told;

	if (ino >= 0)
		return true;
	if (now.mono_ms < retry_at)
		return false;
	ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ino < 0) {
		retry_at = now.mono_ms + RETRY_MS;
		tell_once(&told, errno, "inotify_init1()",
		    "fs.inotify.max_user_instances");
		return false;
	}
	wait_watch(ino, ready);
	return true;
}

void
fdwatch_close(void)
{
	size_t i;

	if (ino >= 0) {
		wait_watch(-1, NULL);
		close(ino);
		ino = -1;
	}
	for (i = 0; i < nwatches; i++)
		free(watches[i].dir);
	nwatches = 0;
}

/* Watch path (a directory when dir) and count the watch: its descriptor,
 * or -1 with errno set. */
static int
add(const char *path, bool dir)
{
	struct watch *w;
	int wd;

	if (dir && (w = by_dir(path)) != NULL) {
		w->refs++;
		return w->wd;
	}
	if (nwatches == watches_cap) {
		size_t cap = watches_cap ? watches_cap * 2 : 64;
		if ((w = realloc(watches, cap * sizeof(*w))) == NULL) {
			errno = ENOMEM;
			return -1;
		}
		watches = w;
		watches_cap = cap;
	}
	wd = inotify_add_watch(ino, path, dir ? DIR_EVENTS : FILE_EVENTS);
	if (wd < 0)
		return -1;
	if ((w = by_wd(wd)) == NULL) {
		w = &watches[nwatches++];
		*w = (struct watch){ wd, 0, dir ? strdup(path) : NULL };
	}
	w->refs++;
	return wd;
}

static void
unref(int wd)
{
	struct watch *w = by_wd(wd);

	if (w == NULL || --w->refs > 0)
		return;
	inotify_rm_watch(ino, wd);	/* EINVAL if the kernel dropped it */
	free(w->dir);
	*w = watches[--nwatches];
}

void
fdwatch_release(struct fdwatch *fw)
{
	int i;

	for (i = 0; i < fw->n; i++)
		unref(fw->wd[i]);
	fw->n = 0;
}

/* The k-th name of path (0: the one under "/"); its length in *len. */
static const char *
component(const char *path, int k, size_t *len)
{
	const char *p = path, *e;

	for (;;) {
		while (*p == '/')
			p++;
		for (e = p; *e != '\0' && *e != '/'; e++)
			;
		if (k-- == 0 || *e == '\0') {
			*len = (size_t)(e - p);
			return k < 0 ? p : NULL;
		}
		p = e;
	}
}

/* Watch path[0..len) into the next level of fw. */
static bool
add_level(char *path, size_t len, bool dir, struct fdwatch *fw)
{
	char saved = path[len];
	int wd;

	if (fw->n == FDWATCH_DEPTH + 1) {
		errno = ENAMETOOLONG;
		return false;
	}
	path[len] = '\0';
	wd = add(path, dir);
	path[len] = saved;
	if (wd < 0)
		return false;
	fw->wd[fw->n++] = wd;
	return true;
}

/* Watch the directories of path from the root down, then its file.
 * false, with nothing left watched, when one cannot be: errno says why. */
static bool
watch_path(const char *path, struct fdwatch *fw)
{
	char buf[PATH_MAX];
	size_t len = strlen(path), n;
	const char *name;
	int k;

	fw->n = 0;
	if (path[0] != '/' || len >= sizeof(buf)) {
		errno = EINVAL;
		return false;
	}
	memcpy(buf, path, len + 1);
	if (!add_level(buf, 1, true, fw))
		goto fail;
	for (k = 0; (name = component(path, k, &n)) != NULL; k++) {
		if (n == 0 || (n == 1 && name[0] == '.') ||
		    (n == 2 && name[0] == '.' && name[1] == '.')) {
			errno = EINVAL;
			goto fail;
		}
		if (!add_level(buf, (size_t)(name - path) + n, name[n] == '/', fw))
			goto fail;
		if (name[n] == '\0')
			return true;
	}
	errno = EINVAL;
fail:
	k = errno;
	fdwatch_release(fw);
	errno = k;
	return false;
}

/* Is the file system of fd one whose every change the kernel sees? */
static bool
local(int fd, dev_t dev)
{
	static dev_t last_dev;
	static bool last_local, known;
	struct statfs s;

	if (known && dev == last_dev)
		return last_local;
	if (fstatfs(fd, &s) != 0)
		return false;
	switch ((unsigned long)s.f_type) {
	case EXT4_SUPER_MAGIC: case XFS_SUPER_MAGIC: case BTRFS_SUPER_MAGIC:
	case TMPFS_MAGIC: case F2FS_SUPER_MAGIC: case OVERLAYFS_SUPER_MAGIC:
	case ZFS_SUPER_MAGIC:
		last_local = true;
		break;
	default:
		last_local = false;
	}
	last_dev = dev;
	known = true;
	return last_local;
}

/*
 * Open path watched: the descriptor, with *st and *fw filled in.
 * FDWATCH_FAILED: path does not exist (errno ENOENT).  FDWATCH_UNWATCHED:
 * it cannot be watched, or is not a regular file: the caller opens it with
 * stat checks.
 */
int
fdwatch_open(const char *path, struct stat *st, struct fdwatch *fw)
{
	static bool told;
	struct open_how how = { .flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC,
	    .resolve = RESOLVE_NO_SYMLINKS };
	int fd, err;

	fw->n = 0;
	if (!start())
		return FDWATCH_UNWATCHED;
	if (!watch_path(path, fw)) {
		if (errno == ENOSPC)
			tell_once(&told, errno, "inotify_add_watch()",
			    "fs.inotify.max_user_watches");
		return errno == ENOENT ? FDWATCH_FAILED : FDWATCH_UNWATCHED;
	}
	fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
	if (fd < 0) {
		err = errno;
		fdwatch_release(fw);
		errno = err;
		return err == ENOENT ? FDWATCH_FAILED : FDWATCH_UNWATCHED;
	}
	if (fstat(fd, st) == 0 && S_ISREG(st->st_mode) && local(fd, st->st_dev))
		return fd;
	close(fd);
	fdwatch_release(fw);
	return FDWATCH_UNWATCHED;	/* the stat checks decide */
}

/* Does the change (wd, name) concern the path fw watches?  A change to a
 * watch itself (no name) concerns every path through it. */
bool
fdwatch_concerns(const struct fdwatch *fw, const char *path, int wd,
    const char *name)
{
	const char *c;
	size_t n;
	int i;

	for (i = 0; i < fw->n; i++) {
		if (fw->wd[i] != wd)
			continue;
		if (name == NULL || i == fw->n - 1)
			return true;
		c = component(path, i, &n);
		if (c != NULL && strlen(name) == n && memcmp(c, name, n) == 0)
			return true;
	}
	return false;
}

/* The instance failed: every watch is lost. */
static void
give_up(int err)
{
	static bool told;

	tell_once(&told, err, "read() of inotify events", NULL);
	fdwatch_close();
	retry_at = now.mono_ms + RETRY_MS;
	on_lost();
}

/*
 * Read every queued notification and report it; false when there are no
 * watches (any more).  A read that leaves room for the largest event
 * emptied the queue, so a quiet queue costs one read.
 */
bool
fdwatch_apply(void)
{
	static char buf[EVENTS_BUF]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n, off;

	while (ino >= 0) {
		n = read(ino, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n <= 0) {
			give_up(n < 0 ? errno : EIO);
			return false;
		}
		for (off = 0; off < n; off += (ssize_t)(sizeof(*ev) + ev->len)) {
			ev = (const struct inotify_event *)(void *)(buf + off);
			if (ev->mask & IN_Q_OVERFLOW)
				on_change(-1, NULL);
			else
				on_change(ev->wd, ev->len > 0 ? ev->name : NULL);
		}
		if ((size_t)n <= sizeof(buf) - sizeof(*ev) - NAME_MAX - 1)
			return true;
	}
	return false;
}
