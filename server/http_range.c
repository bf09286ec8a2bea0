/*
 * The Range header, as nginx reads it: "bytes=" followed by ranges, each
 * "first-last", "first-" or "-suffix".  Ranges starting past the end are
 * dropped; if none is left the answer is 416; if together they cover more
 * than the file, the whole file is sent instead.
 */
#include "config.h"

#include <limits.h>

#include "http.h"

static int
number(const char **p, const char *end, long long *v)
{
	const char *s = *p;

	*v = 0;
	while (*p < end && **p >= '0' && **p <= '9') {
		if (*v > (LLONG_MAX - 9) / 10)
			return -1;
		*v = *v * 10 + (**p - '0');
		(*p)++;
	}
	return *p == s ? -1 : 0;
}

static void
skip_spaces(const char **p, const char *end)
{
	while (*p < end && **p == ' ')
		(*p)++;
}

/*
 * Returns 206 with ranges in out[0..*n), 416, or 200 when the header is to
 * be ignored.  nginx's rules: a range starting past the end, or written
 * backwards, is dropped (but one starting at 0 voids the header, so an
 * empty file is sent whole); none left is 416; ranges adding up to more
 * than the file are ignored.
 */
int
http_parse_range(struct str h, long long size, struct range *out, size_t max,
    size_t *n)
{
	const char *p = h.p, *end = h.p + h.n;
	long long start, last, total = 0;
	bool suffix;

	*n = 0;
	if (h.n < 7 || strncasecmp(p, "bytes=", 6) != 0)
		return 200;
	p += 6;
	for (;;) {
		skip_spaces(&p, end);
		start = 0;
		suffix = p < end && *p == '-';
		if (suffix)
			p++;
		else {
			if (number(&p, end, &start) != 0)
				return 416;
			skip_spaces(&p, end);
			if (p >= end || *p++ != '-')
				return 416;
			skip_spaces(&p, end);
		}
		if (!suffix && (p >= end || *p == ',')) {
			last = size;		/* open end; last is exclusive */
		} else {
			if (number(&p, end, &last) != 0)
				return 416;
			skip_spaces(&p, end);
			if (p < end && *p != ',')
				return 416;
			if (suffix) {
				start = last < size ? size - last : 0;
				last = size;
			} else
				last = last >= size ? size : last + 1;
		}
		if (start < last) {
			if (*n == max)
				return 200;
			out[*n].start = start;
			out[*n].end = last - 1;
			(*n)++;
			total += last - start;
		} else if (start == 0)
			return 200;
		if (p >= end)
			break;
		p++;			/* ',' */
	}
	if (*n == 0)
		return 416;
	if (total > size)
		return 200;
	return 206;
}
