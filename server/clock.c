/*
 * Cached time, taken once when a process wakes up (wait.c).
 * clock_update() is cheap (vDSO calls) and reformats the strings only when
 * the second changes.  http_date_parse accepts the three
 * date forms RFC 9110 requires recipients to understand.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"

struct clock_now now;

static const char *wdays[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

int64_t
clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

size_t
http_date_format(char *buf, size_t size, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	return (size_t)snprintf(buf, size, "%s, %02d %s %04d %02d:%02d:%02d GMT",
	    wdays[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void
format_local(time_t t)
{
	struct tm tm;
	int off;
	char sign;

	localtime_r(&t, &tm);
	off = (int)(tm.tm_gmtoff / 60);
	sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	snprintf(now.log_time, sizeof(now.log_time), "%04d/%02d/%02d %02d:%02d:%02d",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
	snprintf(now.common_time, sizeof(now.common_time),
	    "%02d/%s/%04d:%02d:%02d:%02d %c%02d%02d",
	    tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, sign, off / 60, off % 60);
	snprintf(now.iso8601, sizeof(now.iso8601),
	    "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, sign, off / 60, off % 60);
}

void
clock_update(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	now.msec = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	clock_gettime(CLOCK_MONOTONIC, &ts);	/* exact: the waits' deadlines */
	now.mono_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (now.msec / 1000 == now.sec)
		return;
	now.sec = (time_t)(now.msec / 1000);
	http_date_format(now.http_date, sizeof(now.http_date), now.sec);
	format_local(now.sec);
}

static int
month_index(const char *s)
{
	int i;

	for (i = 0; i < 12; i++)
		if (strncasecmp(s, months[i], 3) == 0)
			return i;
	return -1;
}

/* Days from the epoch to a civil date (Howard Hinnant's algorithm), so
 * parsing needs neither timegm's locale nor the TZ environment. */
static long
days_from_civil(long y, unsigned m, unsigned d)
{
	long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

time_t
http_date_parse(const char *s, size_t len)
{
	char buf[64], mon[4], wd[16];
	int d, y, hh, mm, ss, m;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	/* IMF-fixdate, then RFC 850, then asctime. */
	if (sscanf(buf, "%3s, %2d %3s %4d %2d:%2d:%2d GMT", wd, &d, mon, &y,
	    &hh, &mm, &ss) == 7) {
		;
	} else if (sscanf(buf, "%15[A-Za-z], %2d-%3s-%2d %2d:%2d:%2d GMT", wd,
	    &d, mon, &y, &hh, &mm, &ss) == 7) {
		y += y < 70 ? 2000 : 1900;
	} else if (sscanf(buf, "%3s %3s %2d %2d:%2d:%2d %4d", wd, mon, &d,
	    &hh, &mm, &ss, &y) == 7) {
		;
	} else
		return -1;
	m = month_index(mon);
	if (m < 0 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60 || y < 1970)
		return -1;
	return (time_t)(days_from_civil(y, (unsigned)m + 1, (unsigned)d) * 86400L +
	    hh * 3600L + mm * 60L + ss);
}
