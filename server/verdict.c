/*
 * The reload verdict: one page of shared memory, a file beside the pid
 * file (portico.pid gives portico.reload), in which the master says how
 * each reload ended, and which `portico -s reload` reads to tell its
 * caller.  A file, not the master's anonymous segment, because the command
 * line is not the master's child; next to the pid file, because the
 * command line finds that already, the directory is the master's to write
 * (and on /run, gone at boot), and the master removes both when it exits.
 *
 * The master counts the reloads it begins and the ones it finishes; the
 * command line reads the count begun before it signals, and waits for a
 * finished one above it: that reload began after its signal.  The master
 * writes under a sequence number, odd while it writes, so a reader never
 * takes half a verdict.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "verdict.h"

#define VERDICT_MAGIC	0x70726c64u	/* "prld" */

struct page {
	uint32_t	 magic;
	int32_t		 pid;		/* the master writing it */
	uint32_t	 seq;		/* odd while written */
	uint32_t	 stopping;	/* reloads are ignored from now on */
	uint64_t	 begun;		/* reloads begun */
	uint64_t	 done;		/* the last reload finished */
	uint32_t	 generation;	/* serving after it */
	uint32_t	 failed;
	char		 errors[VERDICT_ERRORS];
};

_Static_assert(sizeof(struct page) <= 4096, "the verdict is one page");

static struct page *page;	/* the master's */
static char path[4096];

/* path of the page beside pidfile: ".pid" replaced (or followed) by
 * ".reload". */
static void
page_path(const char *pidfile, char *out, size_t size)
{
	size_t n = strlen(pidfile);

	if (n > 4 && strcmp(pidfile + n - 4, ".pid") == 0)
		n -= 4;
	snprintf(out, size, "%.*s.reload", (int)n, pidfile);
}

static void
write_begin(void)
{
	__atomic_add_fetch(&page->seq, 1, __ATOMIC_ACQ_REL);
}

static void
write_end(void)
{
	__atomic_add_fetch(&page->seq, 1, __ATOMIC_RELEASE);
}

int
verdict_create(const char *pidfile, uint32_t generation)
{
	int fd;
	void *p;

	page_path(pidfile, path, sizeof(path));
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_errno(LV_EMERG, errno, "open() \"%s\" failed", path);
		return -1;
	}
	if (ftruncate(fd, sizeof(struct page)) != 0) {
		log_errno(LV_EMERG, errno, "ftruncate() \"%s\" failed", path);
		close(fd);
		return -1;
	}
	p = mmap(NULL, sizeof(struct page), PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		log_errno(LV_EMERG, errno, "mmap() \"%s\" failed", path);
		return -1;
	}
	page = p;
	page->pid = (int32_t)getpid();
	page->generation = generation;
	__atomic_store_n(&page->magic, VERDICT_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

/* A reload begins: its number, for verdict_publish(). */
uint64_t
verdict_begin(void)
{
	return __atomic_add_fetch(&page->begun, 1, __ATOMIC_ACQ_REL);
}

/* Reload number n ended: generation serves now, failed or not; errors are
 * the lines it logged at warn and above. */
void
verdict_publish(uint64_t n, uint32_t generation, bool failed, const char *errors)
{
	write_begin();
	page->generation = generation;
	page->failed = failed;
	snprintf(page->errors, sizeof(page->errors), "%s", errors);
	page->done = n;
	write_end();
}

void
verdict_stopping(void)
{
	__atomic_store_n(&page->stopping, 1, __ATOMIC_RELEASE);
}

/* A child of the master forgets the page: only the master writes it. */
void
verdict_close(void)
{
	if (page != NULL)
		munmap(page, sizeof(*page));
	page = NULL;
}

/* The master exits: its page goes, unless the file is another's now. */
void
verdict_remove(void)
{
	int32_t pid = 0;
	int fd;

	if (page == NULL)
		return;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		if (pread(fd, &pid, sizeof(pid), offsetof(struct page, pid)) ==
		    (ssize_t)sizeof(pid) && pid == page->pid)
			unlink(path);
		close(fd);
	}
	verdict_close();
}

/* ---- the command line's side ---- */

static const struct page *reader;
static pid_t reader_pid;

/* Map the page of the master pid beside pidfile; -1 when there is none
 * or it is another master's (errno ENOENT, or ESRCH). */
int
verdict_attach(const char *pidfile, pid_t pid)
{
	char where[sizeof(path)];
	int fd;
	void *p;

	page_path(pidfile, where, sizeof(where));
	if ((fd = open(where, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	p = mmap(NULL, sizeof(struct page), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	reader = p;
	reader_pid = pid;
	if (__atomic_load_n(&reader->magic, __ATOMIC_ACQUIRE) != VERDICT_MAGIC ||
	    reader->pid != pid) {
		munmap(p, sizeof(struct page));
		reader = NULL;
		errno = ESRCH;
		return -1;
	}
	return 0;
}

uint64_t
verdict_begun(void)
{
	return __atomic_load_n(&reader->begun, __ATOMIC_ACQUIRE);
}

/*
 * Look for the verdict of a reload begun after `after` reloads: 1 with it
 * in *out, 0 while there is none yet, -1 when none will come (the master
 * stops or is gone).
 */
int
verdict_poll(uint64_t after, struct verdict *out)
{
	uint32_t seq;

	do {
		seq = __atomic_load_n(&reader->seq, __ATOMIC_ACQUIRE);
		if (seq & 1)
			continue;
		out->done = reader->done;
		out->generation = reader->generation;
		out->failed = reader->failed != 0;
		memcpy(out->errors, reader->errors, sizeof(out->errors));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((seq & 1) || seq != __atomic_load_n(&reader->seq, __ATOMIC_ACQUIRE));
	out->errors[sizeof(out->errors) - 1] = '\0';
	if (out->done > after)
		return 1;
	if (__atomic_load_n(&reader->stopping, __ATOMIC_ACQUIRE) ||
	    (kill(reader_pid, 0) != 0 && errno == ESRCH))
		return -1;
	return 0;
}
