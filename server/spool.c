/*
 * The spool.  Order is kept by one rule: while the file holds unread
 * bytes, new bytes go to the file, so memory always holds the oldest.
 * When memory is empty the next file bytes are read back into it; when the
 * file is drained it is truncated and memory takes new bytes again.  The
 * file lives in /tmp, opened with O_TMPFILE so it vanishes with the worker.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "spool.h"

#define MEM_SIZE	65536
#define FILE_MAX	(1LL << 30)	/* then read as fast as the client does */

void
spool_init(struct spool *s, bool buffering)
{
	memset(s, 0, sizeof(*s));
	s->buffering = buffering;
	s->fd = -1;
}

static bool
file_busy(const struct spool *s)
{
	return s->fw > s->fr;
}

size_t
spool_room(const struct spool *s)
{
	if (!file_busy(s) && (s->mem == NULL || s->w < MEM_SIZE))
		return s->mem == NULL ? MEM_SIZE : MEM_SIZE - s->w;
	if (!s->buffering || s->failed || s->fw >= FILE_MAX)
		return 0;
	return MEM_SIZE;
}

static void
to_file(struct spool *s, const char *data, size_t n)
{
	ssize_t k;

	if (s->fd < 0) {
		s->fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (s->fd < 0) {
			log_errno(LV_CRIT, errno, "open() of a temporary file in /tmp "
			    "failed; response data lost");
			s->failed = true;
			return;
		}
	}
	while (n > 0) {
		k = pwrite(s->fd, data, n, s->fw);
		if (k <= 0) {
			log_errno(LV_CRIT, errno, "pwrite() to a temporary file failed");
			s->failed = true;
			return;
		}
		s->fw += k;
		data += k;
		n -= (size_t)k;
	}
}

/* Accept n bytes; callers offer no more than spool_room() said. */
void
spool_put(struct spool *s, const char *data, size_t n)
{
	size_t fit;

	if (n == 0)
		return;
	if (s->mem == NULL && (s->mem = malloc(MEM_SIZE)) == NULL)
		fatal("out of memory for a response buffer");
	if (!file_busy(s)) {
		if (s->r == s->w)
			s->r = s->w = 0;
		fit = MEM_SIZE - s->w;
		if (fit > n)
			fit = n;
		memcpy(s->mem + s->w, data, fit);
		s->w += fit;
		data += fit;
		n -= fit;
	}
	if (n > 0)
		to_file(s, data, n);
}

size_t
spool_get(struct spool *s, const char **data)
{
	ssize_t k;
	size_t want;

	if (s->r == s->w && file_busy(s)) {
		want = s->fw - s->fr < MEM_SIZE ? (size_t)(s->fw - s->fr) : MEM_SIZE;
		k = pread(s->fd, s->mem, want, s->fr);
		if (k <= 0) {
			log_errno(LV_CRIT, errno, "pread() from a temporary file failed");
			s->failed = true;
			s->fr = s->fw;
			return 0;
		}
		s->r = 0;
		s->w = (size_t)k;
		s->fr += k;
		if (s->fr == s->fw) {
			s->fr = s->fw = 0;
			if (ftruncate(s->fd, 0) != 0)
				log_errno(LV_WARN, errno, "ftruncate() of a temporary file");
		}
	}
	*data = s->mem + s->r;
	return s->w - s->r;
}

void
spool_take(struct spool *s, size_t n)
{
	s->r += n;
	if (s->r == s->w)
		s->r = s->w = 0;
}

bool
spool_empty(const struct spool *s)
{
	return s->r == s->w && !file_busy(s);
}

void
spool_free(struct spool *s)
{
	free(s->mem);
	if (s->fd >= 0)
		close(s->fd);
	spool_init(s, s->buffering);
}
