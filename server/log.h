/*
 * The error log.  One line per event, nginx's layout, context first:
 *   2026/11/24 10:00:00 [error] 1234#0: *7 message, client: ..., server: ...
 * Log files are opened by the master (before workers drop privileges) and
 * inherited; USR1 reopens them everywhere.
 */
#ifndef PORTICO_LOG_H
#define PORTICO_LOG_H

#include <stdarg.h>
#include <stdint.h>

enum log_level {
	LV_EMERG, LV_ALERT, LV_CRIT, LV_ERROR, LV_WARN, LV_NOTICE, LV_INFO, LV_DEBUG
};

/* A log file, shared by every setting that names the same path. */
struct buf;

struct log_file {
	struct log_file	*next;
	char		*path;		/* NULL for stderr */
	int		 fd;
	const char	*src;		/* where it was first named, for errors */
	int		 line;
};

#define LOG_LINE_MAX	4096		/* bytes of a line, with its newline */
#define LOG_CUT_MARK	"...[truncated]"	/* where a longer line was cut */

struct log_ctx {
	struct log_file	*file;		/* NULL: the main error log */
	uint64_t	 conn;		/* connection number, 0 = none */
	const char	*suffix;	/* ", client: ..." or NULL */
};

extern int log_level;		/* messages above it are dropped */
extern int log_foreground;	/* also copy messages to stderr */

const char	*log_level_name(int);
int		 log_level_parse(const char *);
void		 log_set_main(struct log_file *);
struct log_file	*log_main(void);
int		 log_file_open(struct log_file *);
int		 log_file_reopen(struct log_file *);
void		 log_file_close(struct log_file *);
void		 log_capture(struct buf *);

void	 logmsg(int level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 log_errno(int level, int err, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	 log_ctx(const struct log_ctx *, int level, int err, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
void	 log_vctx(const struct log_ctx *, int level, int err, const char *fmt,
	    va_list);
void	 fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
