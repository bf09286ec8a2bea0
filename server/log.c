/*
 * Error log output.  Before the configuration names a log file, and always
 * in the foreground, messages go to stderr.  A message is one write(2) so
 * lines from concurrent workers never interleave, at most LOG_LINE_MAX
 * bytes, and one line whatever bytes it carries.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "log.h"

int log_level = LV_NOTICE;
int log_foreground;

static struct log_file log_stderr = { NULL, NULL, 2, NULL, 0 };
static struct log_file *main_log = &log_stderr;
static struct buf *capture;

static const char *level_names[] = {
	"emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"
};

const char *
log_level_name(int level)
{
	return level_names[level];
}

int
log_level_parse(const char *s)
{
	int i;

	for (i = 0; i <= LV_DEBUG; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	return -1;
}

void
log_set_main(struct log_file *lf)
{
	main_log = lf != NULL ? lf : &log_stderr;
}

struct log_file *
log_main(void)
{
	return main_log;
}

int
log_file_open(struct log_file *lf)
{
	if (lf->path == NULL) {
		lf->fd = 2;
		return 0;
	}
	lf->fd = open(lf->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	return lf->fd < 0 ? -1 : 0;
}

/* Reopen in place: the descriptor number stays, so every holder of it
 * (including code that cached it) writes to the new file. */
int
log_file_reopen(struct log_file *lf)
{
	int fd;

	if (lf->path == NULL)
		return 0;
	fd = open(lf->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (lf->fd >= 0 && dup3(fd, lf->fd, O_CLOEXEC) >= 0) {
		close(fd);
		return 0;
	}
	lf->fd = fd;
	return 0;
}

/* From now on, until called with NULL, also add each message at warn or
 * above to b as "[level] message\n": the master's reload tells its caller
 * what went wrong in the words of the log. */
void
log_capture(struct buf *b)
{
	capture = b;
}

void
log_file_close(struct log_file *lf)
{
	if (lf->path != NULL && lf->fd > 2)
		close(lf->fd);
	lf->fd = -1;
}

/*
 * Copy n bytes of s to dst (room bytes), each control byte as \xHH: no
 * text in a message, wherever it came from, can end the line and start
 * one of its own.  Stops before a byte that does not fit (an escape is
 * never split) and then sets *cut.
 */
static size_t
put(char *dst, size_t room, const char *s, size_t n, bool *cut)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, w = 0;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != 0x7f) {
			if (w + 1 > room)
				break;
			dst[w++] = (char)c;
			continue;
		}
		if (w + 4 > room)
			break;
		dst[w++] = '\\';
		dst[w++] = 'x';
		dst[w++] = hex[c >> 4];
		dst[w++] = hex[c & 15];
	}
	if (i < n)
		*cut = true;
	return w;
}

/* The part of snprintf's answer k that is in a buffer of size bytes. */
static size_t
fitted(int k, size_t size, bool *cut)
{
	if (k < 0)
		return 0;
	if ((size_t)k >= size) {
		*cut = true;
		return size - 1;
	}
	return (size_t)k;
}

/*
 * One line: the head (time, level, pid, connection), the message, then
 * the tail (the error, the request's context).  A line longer than
 * LOG_LINE_MAX is cut in its message, so that the tail's client and
 * request survive, and the cut is marked; the tail is cut only beyond
 * half a line.
 */
void
log_vctx(const struct log_ctx *ctx, int level, int err, const char *fmt,
    va_list ap)
{
	static const char mark[] = LOG_CUT_MARK;
	char line[LOG_LINE_MAX], msg[LOG_LINE_MAX], raw[LOG_LINE_MAX / 2],
	    tail[LOG_LINE_MAX / 2];
	size_t n, head, msg_len, raw_len, tail_len, room;
	bool msg_cut = false, tail_cut = false;
	struct log_file *lf;
	int k;

	if (level > log_level)
		return;
	clock_update();
	n = head = fitted(snprintf(line, sizeof(line), "%s [%s] %d#0: ",
	    now.log_time, level_names[level], (int)getpid()), sizeof(line),
	    &msg_cut);
	if (ctx != NULL && ctx->conn != 0)
		n += fitted(snprintf(line + n, sizeof(line) - n, "*%llu ",
		    (unsigned long long)ctx->conn), sizeof(line) - n, &msg_cut);
	msg_len = fitted(vsnprintf(msg, sizeof(msg), fmt, ap), sizeof(msg), &msg_cut);
	k = err != 0 ? snprintf(raw, sizeof(raw), " (%d: %s)", err, strerror(err)) : 0;
	raw_len = fitted(k, sizeof(raw), &tail_cut);
	if (ctx != NULL && ctx->suffix != NULL)
		raw_len += fitted(snprintf(raw + raw_len, sizeof(raw) - raw_len, "%s",
		    ctx->suffix), sizeof(raw) - raw_len, &tail_cut);
	tail_len = put(tail, sizeof(tail) - sizeof(mark), raw, raw_len, &tail_cut);
	if (tail_cut) {
		memcpy(tail + tail_len, mark, sizeof(mark) - 1);
		tail_len += sizeof(mark) - 1;
	}
	room = sizeof(line) - 1 - n - tail_len - (sizeof(mark) - 1);
	n += put(line + n, room, msg, msg_len, &msg_cut);
	if (msg_cut) {
		memcpy(line + n, mark, sizeof(mark) - 1);
		n += sizeof(mark) - 1;
	}
	memcpy(line + n, tail, tail_len);
	n += tail_len;
	if (capture != NULL && level <= LV_WARN)
		buf_printf(capture, "[%s] %.*s\n", level_names[level],
		    (int)(n - head), line + head);
	line[n++] = '\n';

	lf = ctx != NULL && ctx->file != NULL ? ctx->file : main_log;
	if (lf->fd >= 0 && write(lf->fd, line, n) < 0 && lf->fd != 2)
		(void)write(2, line, n);
	if (log_foreground && lf->fd != 2)
		(void)write(2, line, n);
}

void
log_ctx(const struct log_ctx *ctx, int level, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vctx(ctx, level, err, fmt, ap);
	va_end(ap);
}

void
logmsg(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vctx(NULL, level, 0, fmt, ap);
	va_end(ap);
}

void
log_errno(int level, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vctx(NULL, level, err, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vctx(NULL, LV_EMERG, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
