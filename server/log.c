/*
 * Error log output.  Before the configuration names a log file, and always
 * in the foreground, messages go to stderr.  A message is one write(2) so
 * lines from concurrent workers never interleave.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

int log_level = LV_NOTICE;
int log_foreground;

static struct log_file log_stderr = { NULL, NULL, 2, NULL, 0 };
static struct log_file *main_log = &log_stderr;

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

void
log_file_close(struct log_file *lf)
{
	if (lf->path != NULL && lf->fd > 2)
		close(lf->fd);
	lf->fd = -1;
}

void
log_vctx(const struct log_ctx *ctx, int level, int err, const char *fmt,
    va_list ap)
{
	char line[4096];
	size_t n, cap = sizeof(line) - 1;
	int k;
	struct log_file *lf;

	if (level > log_level)
		return;
	clock_update();
	k = snprintf(line, cap, "%s [%s] %d#0: ", now.log_time,
	    level_names[level], (int)getpid());
	n = (size_t)k;
	if (ctx != NULL && ctx->conn != 0 && n < cap)
		n += (size_t)snprintf(line + n, cap - n, "*%llu ",
		    (unsigned long long)ctx->conn);
	if (n < cap) {
		k = vsnprintf(line + n, cap - n, fmt, ap);
		n += k > 0 ? (size_t)k : 0;
	}
	if (err != 0 && n < cap)
		n += (size_t)snprintf(line + n, cap - n, " (%d: %s)", err,
		    strerror(err));
	if (ctx != NULL && ctx->suffix != NULL && n < cap)
		n += (size_t)snprintf(line + n, cap - n, "%s", ctx->suffix);
	if (n > cap)
		n = cap;
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
