/*
 * Cached wall-clock time and its textual forms.  Dates in headers and logs
 * change once a second, so they are formatted once a second.
 */
#ifndef PORTICO_CLOCK_H
#define PORTICO_CLOCK_H

#include <stdint.h>
#include <time.h>

struct clock_now {
	time_t		sec;
	int64_t		msec;		/* milliseconds since the epoch */
	int64_t		mono_ms;	/* monotonic milliseconds, for timeouts */
	char		http_date[32];	/* Tue, 24 Nov 2026 10:00:00 GMT */
	char		log_time[48];	/* 2026/11/24 10:00:00 (local) */
	char		common_time[48];/* 24/Nov/2026:10:00:00 +0100 */
	char		iso8601[48];	/* 2026-11-24T10:00:00+01:00 */
};

extern struct clock_now now;

void	 clock_update(void);
int64_t	 clock_mono_ms(void);
size_t	 http_date_format(char *, size_t, time_t);
time_t	 http_date_parse(const char *, size_t);

#endif
