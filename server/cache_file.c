/*
 * The proxy cache on disk (see cache_file.h): the directory checked at
 * configuration time, entry files written without a name and renamed into
 * place, read back and checked, found again by the loader, and a worker's
 * table of open entries.  The table keeps a descriptor and the header
 * block per entry, so a hit costs one fstat (the file must still be the
 * one the index names: same inode, size and times) instead of an open, a
 * read and a close; an entry unused for ten seconds is closed, so a
 * deleted file's space is not held for long.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "cache_file.h"
#include "clock.h"
#include "conf.h"
#include "log.h"

#define OPEN_ENTRIES	32
#define OPEN_INACTIVE_MS 10000
#define BLOCK_FIRST	4096		/* read at once: the whole block, usually */
#define BLOCK_MAX	(1 << 20)	/* a longer header block is corrupt */

struct open_entry {
	const struct cache_path	*cp;
	uint8_t			 key[CI_KEY];
	uint64_t		 gen;		/* 0: unused */
	char			*block;
	struct cache_entry	 e;
	int64_t			 used;		/* monotonic ms */
};

static struct open_entry table[OPEN_ENTRIES];
static int live;
static size_t memory_max;	/* files this small are held whole */

/* -------------------------------------------------------------- the directory */

static bool
member(gid_t gid, const gid_t *groups, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/* Can uid (with these groups) create files in a directory like st? */
static bool
writable_by(const struct stat *st, uid_t uid, gid_t gid, const gid_t *groups,
    int ngroups)
{
	mode_t need = S_IWOTH | S_IXOTH;

	if (st->st_uid == uid)
		need = S_IWUSR | S_IXUSR;
	else if (st->st_gid == gid || member(st->st_gid, groups, ngroups))
		need = S_IWGRP | S_IXGRP;
	return (st->st_mode & need) == need;
}

/*
 * The cache directory exists (made now if missing, its parent must exist)
 * and the worker user can create files in it.  As root, as nginx does, the
 * directory is given to the worker user with full access for it.
 */
int
cache_dir_prepare(const char *path, uid_t uid, gid_t gid, const gid_t *groups,
    int ngroups, char *why, size_t len)
{
	struct stat st;

	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		snprintf(why, len, "mkdir() \"%s\" failed (%d: %s)", path, errno,
		    strerror(errno));
		return -1;
	}
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(why, len, "\"%s\" is not a directory", path);
		return -1;
	}
	if (geteuid() == 0 && st.st_uid != uid && chown(path, uid, (gid_t)-1) != 0) {
		snprintf(why, len, "chown(\"%s\", %d) failed (%d: %s)", path, (int)uid,
		    errno, strerror(errno));
		return -1;
	}
	if (geteuid() == 0 && (st.st_mode & S_IRWXU) != S_IRWXU &&
	    chmod(path, st.st_mode | S_IRWXU) != 0) {
		snprintf(why, len, "chmod() \"%s\" failed (%d: %s)", path, errno,
		    strerror(errno));
		return -1;
	}
	if (geteuid() == 0 ? (stat(path, &st) != 0 ||
	    !writable_by(&st, uid, gid, groups, ngroups)) :
	    access(path, W_OK | X_OK) != 0) {
		snprintf(why, len, "\"%s\" is not writable by the worker user", path);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- names */

static void
hex(const uint8_t *key, char *out)
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < CI_KEY; i++) {
		out[2 * i] = digits[key[i] >> 4];
		out[2 * i + 1] = digits[key[i] & 15];
	}
	out[2 * CI_KEY] = '\0';
}

static int
unhex(const char *s, uint8_t *key)
{
	int i, hi, lo;

	for (i = 0; i < CI_KEY; i++) {
		hi = s[2 * i] >= 'a' ? s[2 * i] - 'a' + 10 : s[2 * i] - '0';
		lo = s[2 * i + 1] >= 'a' ? s[2 * i + 1] - 'a' + 10 : s[2 * i + 1] - '0';
		if (hi < 0 || hi > 15 || lo < 0 || lo > 15)
			return -1;
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* PATH/c/29/b7f5...029c for levels=1:2: each level takes characters from
 * the end of the name, as nginx's. */
void
cache_file_name(const struct cache_path *cp, const uint8_t *key, char *out,
    size_t size)
{
	char name[2 * CI_KEY + 1];
	int i, at = 2 * CI_KEY, n;

	hex(key, name);
	n = snprintf(out, size, "%s", cp->path);
	for (i = 0; i < cp->nlevels; i++) {
		at -= cp->levels[i];
		n += snprintf(out + n, size - (size_t)n, "/%.*s", cp->levels[i], name + at);
	}
	snprintf(out + n, size - (size_t)n, "/%s", name);
}

void
cache_file_delete(const struct cache_path *cp, const uint8_t *key)
{
	char path[PATH_MAX];

	cache_file_name(cp, key, path, sizeof(path));
	if (unlink(path) != 0 && errno != ENOENT)
		log_errno(LV_ERROR, errno, "unlink() \"%s\" failed", path);
}

/* ------------------------------------------------------------ the block */

size_t
cache_block_size(size_t key_len, size_t vary_len, size_t head_len)
{
	return sizeof(struct cache_file_head) + key_len + vary_len + head_len;
}

static uint32_t
block_crc(const char *block, size_t len)
{
	size_t skip = offsetof(struct cache_file_head, valid_until);

	/* valid_until is outside: it is the one field rewritten in place. */
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), (const Bytef *)block + skip +
	    sizeof(int64_t), (uInt)(len - skip - sizeof(int64_t)));
}

/* Lay out the block: h (its crc made at commit, when the body's length is
 * known), then the key, the Vary names and the response head. */
void
cache_block_fill(char *block, struct cache_file_head *h, struct str key,
    struct str vary, struct str head)
{
	char *p = block + sizeof(*h);

	h->magic = CACHE_FILE_MAGIC;
	h->key_len = (uint16_t)key.n;
	h->vary_len = (uint16_t)vary.n;
	h->head_len = (uint32_t)head.n;
	memcpy(block, h, sizeof(*h));
	memcpy(p, key.p, key.n);
	memcpy(p + key.n, vary.p, vary.n);
	memcpy(p + key.n + vary.n, head.p, head.n);
}

/* Check a block read from a file of size bytes; fill e from it. */
static const char *
block_parse(char *block, size_t got, long long size, const uint8_t *key,
    struct cache_entry *e)
{
	struct cache_file_head *h = &e->h;
	size_t len;

	if (got < sizeof(*h))
		return "too small";
	memcpy(h, block, sizeof(*h));
	if (h->magic != CACHE_FILE_MAGIC)
		return "not a cache file";
	len = cache_block_size(h->key_len, h->vary_len, h->head_len);
	if (len > got)
		return "its header is longer than the file";
	if (block_crc(block, len) != h->crc)
		return "its header's checksum does not match";
	if (memcmp(h->key, key, CI_KEY) != 0)
		return "it belongs to another key";
	if ((long long)(len + h->body_len) != size)
		return "its length is not what its header says";
	e->key = (struct str){ block + sizeof(*h), h->key_len };
	e->vary = (struct str){ e->key.p + h->key_len, h->vary_len };
	e->head = (struct str){ e->vary.p + h->vary_len, h->head_len };
	e->body_start = (long long)len;
	return NULL;
}

/* The whole block of a file whose first got bytes are in *block: read
 * the rest when the head says there is more.  Returns the bytes held. */
static size_t
read_rest(int fd, char **block, size_t got, long long size)
{
	struct cache_file_head h;
	size_t len;
	char *more;
	ssize_t n;

	if (got < sizeof(h))
		return got;
	memcpy(&h, *block, sizeof(h));
	len = cache_block_size(h.key_len, h.vary_len, h.head_len);
	if (h.magic != CACHE_FILE_MAGIC || len <= got || (long long)len > size ||
	    len > BLOCK_MAX || (more = realloc(*block, len)) == NULL)
		return got;
	*block = more;
	n = pread(fd, more + got, len - got, (off_t)got);
	return n > 0 ? got + (size_t)n : got;
}

/* Read and check the block of an open file; NULL when it is bad (logged). */
static char *
read_block(int fd, const char *path, const struct stat *st, const uint8_t *key,
    struct cache_entry *e)
{
	size_t size = (size_t)st->st_size;
	size_t want = size <= memory_max || size < BLOCK_FIRST ? size : BLOCK_FIRST;
	char *block = malloc(want ? want : 1);
	const char *why = "it cannot be read";
	ssize_t n;

	if (block == NULL)
		return NULL;
	n = pread(fd, block, want, 0);
	if (n >= 0) {
		why = block_parse(block, read_rest(fd, &block, (size_t)n, st->st_size),
		    st->st_size, key, e);
		e->mem = size <= memory_max && (size_t)n == size ? block : NULL;
		if (why == NULL)
			return block;
	}
	logmsg(LV_ERROR, "cache file \"%s\" is corrupt: %s", path, why);
	free(block);
	return NULL;
}

static bool
same_file(const struct stat *st, const struct ci_file *f)
{
	return (uint64_t)st->st_ino == f->ino && (uint64_t)st->st_size == f->size &&
	    st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec == f->mtime_ns &&
	    st->st_ctim.tv_sec * 1000000000LL + st->st_ctim.tv_nsec == f->ctime_ns;
}

static void
identity(const struct stat *st, struct ci_entry *ent)
{
	ent->file.ino = (uint64_t)st->st_ino;
	ent->file.size = (uint64_t)st->st_size;
	ent->file.mtime_ns = st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
	ent->file.ctime_ns = st->st_ctim.tv_sec * 1000000000LL + st->st_ctim.tv_nsec;
	ent->disk = (uint64_t)st->st_blocks * 512;
}

/* ---------------------------------------------------- the open entries */

static void
close_entry(struct open_entry *o)
{
	if (o->gen == 0)
		return;
	close(o->e.fd);
	free(o->block);
	o->gen = 0;
	live--;
}

static struct open_entry *
slot_for(const struct cache_path *cp, const uint8_t *key)
{
	struct open_entry *v = &table[0];
	int i;

	for (i = 0; i < OPEN_ENTRIES; i++)
		if (table[i].gen != 0 && table[i].cp == cp &&
		    memcmp(table[i].key, key, CI_KEY) == 0)
			return &table[i];
	for (i = 0; i < OPEN_ENTRIES; i++) {
		if (table[i].gen == 0)
			return &table[i];
		if (table[i].used < v->used)
			v = &table[i];
	}
	return v;
}

void
cache_entries_setup(size_t max)
{
	memory_max = max;
}

/*
 * The file of the entry the index describes in v, checked: 0 with e
 * filled, or -1 when it is gone, is another file than the index says
 * (replaced, truncated or edited), or is corrupt.
 */
int
cache_entry_open(const struct cache_path *cp, const uint8_t *key,
    const struct ci_view *v, struct cache_entry *e)
{
	struct open_entry *o = slot_for(cp, key);
	char path[PATH_MAX];
	struct stat st;
	int fd;

	if (o->gen == v->gen && o->cp == cp && memcmp(o->key, key, CI_KEY) == 0 &&
	    fstat(o->e.fd, &st) == 0 && same_file(&st, &v->file)) {
		o->used = now.mono_ms;
		*e = o->e;
		return 0;
	}
	close_entry(o);
	cache_file_name(cp, key, path, sizeof(path));
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			log_errno(LV_ERROR, errno, "open() \"%s\" failed", path);
		return -1;
	}
	if (fstat(fd, &st) != 0)
		st.st_nlink = 0;
	if (st.st_nlink == 0 || !same_file(&st, &v->file)) {
		/* Another file in its place is a store that raced this one's
		 * (or the manager deleting it): no news.  The same file
		 * changed is corruption. */
		if (st.st_nlink > 0 && (uint64_t)st.st_ino == v->file.ino)
			logmsg(LV_ERROR, "cache file \"%s\" changed since it was "
			    "stored", path);
		close(fd);
		return -1;
	}
	if ((o->block = read_block(fd, path, &st, key, &o->e)) == NULL) {
		close(fd);
		return -1;
	}
	o->e.fd = fd;
	o->cp = cp;
	memcpy(o->key, key, CI_KEY);
	o->gen = v->gen;
	o->used = now.mono_ms;
	live++;
	*e = o->e;
	return 0;
}

/* What the index needs of the file of key found on disk (the loader, or a
 * worker before the loader is done): 0, or -1 when there is none or it is
 * corrupt (then it is deleted). */
int
cache_entry_stat(const struct cache_path *cp, const uint8_t *key,
    struct ci_entry *ent)
{
	struct cache_entry e;
	char path[PATH_MAX], *block;
	struct stat st;
	int fd;

	cache_file_name(cp, key, path, sizeof(path));
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (block = read_block(fd, path, &st, key, &e)) == NULL) {
		close(fd);
		unlink(path);
		return -1;
	}
	identity(&st, ent);
	ent->valid_until = e.h.valid_until;
	ent->vary = e.h.vary_len > 0;
	free(block);
	close(fd);
	return 0;
}

/* Close entries unused for a while; true if any remain open. */
bool
cache_entries_expire(void)
{
	int i;

	for (i = 0; i < OPEN_ENTRIES; i++)
		if (table[i].gen != 0 && now.mono_ms - table[i].used > OPEN_INACTIVE_MS)
			close_entry(&table[i]);
	return live > 0;
}

/* ------------------------------------------------------------- writing */

static int
make_levels(const struct cache_path *cp, const char *path)
{
	char dir[PATH_MAX];
	size_t at = strlen(cp->path);
	int i;

	for (i = 0; i < cp->nlevels; i++) {
		at += 1 + (size_t)cp->levels[i];
		snprintf(dir, sizeof(dir), "%.*s", (int)at, path);
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			log_errno(LV_ERROR, errno, "mkdir() \"%s\" failed", dir);
			return -1;
		}
	}
	return 0;
}

/* An unnamed file in the directory of key's entry, its body to start
 * after block_len bytes. */
int
cache_writer_open(struct cache_writer *w, const struct cache_path *cp,
    const uint8_t *key, size_t block_len)
{
	char dir[PATH_MAX];

	cache_file_name(cp, key, w->path, sizeof(w->path));
	snprintf(dir, sizeof(dir), "%.*s", (int)(strrchr(w->path, '/') - w->path),
	    w->path);
	w->off = (long long)block_len;
	w->failed = false;
	w->fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (w->fd < 0 && errno == ENOENT && make_levels(cp, w->path) == 0)
		w->fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (w->fd < 0) {
		log_errno(LV_ERROR, errno, "open() of a new cache file in \"%s\" "
		    "failed", dir);
		return -1;
	}
	return 0;
}

static int
write_at(struct cache_writer *w, const char *data, size_t n, long long off)
{
	ssize_t k;

	while (n > 0) {
		k = pwrite(w->fd, data, n, off);
		if (k <= 0) {
			log_errno(LV_ERROR, k < 0 ? errno : ENOSPC, "pwrite() of the "
			    "cache file for \"%s\" failed; the answer is not cached",
			    w->path);
			w->failed = true;
			return -1;
		}
		data += k;
		n -= (size_t)k;
		off += k;
	}
	return 0;
}

/* Body bytes; after a failure (logged once) they are dropped. */
void
cache_writer_body(struct cache_writer *w, const char *data, size_t n)
{
	if (w->failed || w->fd < 0)
		return;
	if (write_at(w, data, n, w->off) == 0)
		w->off += (long long)n;
}

/*
 * The body is complete: write the block, give the file its name, and say
 * what it is in ent.  -1 (logged) when it could not be kept.
 */
int
cache_writer_commit(struct cache_writer *w, char *block, size_t len,
    uint64_t body_len, struct ci_entry *ent)
{
	struct cache_file_head *h = (struct cache_file_head *)(void *)block;
	char proc[64], tmp[PATH_MAX + 32];
	struct stat st;
	int rc = -1;

	if (w->failed || w->fd < 0) {
		cache_writer_abort(w);
		return -1;
	}
	h->body_len = body_len;
	h->crc = block_crc(block, len);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", w->fd);
	snprintf(tmp, sizeof(tmp), "%s.%d", w->path, (int)getpid());
	if (write_at(w, block, len, 0) != 0)
		goto out;
	if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) != 0) {
		log_errno(LV_ERROR, errno, "linkat() \"%s\" failed", tmp);
		goto out;
	}
	if (rename(tmp, w->path) != 0) {
		log_errno(LV_ERROR, errno, "rename() \"%s\" to \"%s\" failed", tmp,
		    w->path);
		unlink(tmp);
		goto out;
	}
	if (fstat(w->fd, &st) != 0) {
		log_errno(LV_ERROR, errno, "fstat() \"%s\" failed", w->path);
		goto out;
	}
	identity(&st, ent);
	ent->valid_until = h->valid_until;
	ent->vary = h->vary_len > 0;
	rc = 0;
out:
	cache_writer_abort(w);
	return rc;
}

void
cache_writer_abort(struct cache_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

/* ------------------------------------------------------------ the loader */

static bool
is_entry_name(const char *name)
{
	size_t i;

	for (i = 0; i < 2 * CI_KEY; i++)
		if (!((name[i] >= '0' && name[i] <= '9') ||
		    (name[i] >= 'a' && name[i] <= 'f')))
			return false;
	return true;
}

/* 0 when the directory was walked (a subdirectory that cannot be read
 * is logged and skipped), 1 when fn stopped it. */
static int
walk(const struct cache_path *cp, const char *dir, int depth, cache_file_fn fn,
    void *arg)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[PATH_MAX];
	uint8_t key[CI_KEY];
	size_t len;
	int stop = 0;

	if (d == NULL) {
		log_errno(LV_ERROR, errno, "opendir() \"%s\" failed", dir);
		return 0;
	}
	while (!stop && (de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (depth < cp->nlevels) {
			if (len == (size_t)cp->levels[depth])
				stop = walk(cp, path, depth + 1, fn, arg);
			continue;
		}
		if (len < 2 * CI_KEY || !is_entry_name(de->d_name))
			continue;
		if (len > 2 * CI_KEY && de->d_name[2 * CI_KEY] == '.')
			unlink(path);	/* named by a writer that died renaming */
		else if (len == 2 * CI_KEY && unhex(de->d_name, key) == 0)
			stop = fn(arg, key, path) != 0;
	}
	closedir(d);
	return stop;
}

/* Call fn for every entry file under the cache directory: 0, or 1 when fn
 * stopped the walk. */
int
cache_dir_walk(const struct cache_path *cp, cache_file_fn fn, void *arg)
{
	return walk(cp, cp->path, 0, fn, arg);
}
