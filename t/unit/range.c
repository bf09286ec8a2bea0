/*
 * The Range header read as nginx's range filter reads it: ranges starting
 * past the end are dropped, none left is 416, ranges adding up to more
 * than the file (or more than the allowed count) mean the whole file.
 */
#include "config.h"

#include <stdlib.h>

#include "http.h"
#include "tap.h"

#define MAXR	16

static struct range out[MAXR];
static size_t n;

static int
rng(const char *h, long long size, size_t max)
{
	memset(out, 0xa5, sizeof(out));
	n = 999;
	return http_parse_range((struct str){ h, strlen(h) }, size, out, max, &n);
}

/* One range expected. */
static void
one(const char *h, long long size, long long start, long long end)
{
	int rc = rng(h, size, MAXR);

	is_int(rc, 206, "\"%s\" of %lld is 206", h, size);
	if (rc != 206)
		return;
	is_int(n, 1, "\"%s\" of %lld: one range", h, size);
	ok(out[0].start == start && out[0].end == end,
	    "\"%s\" of %lld is %lld-%lld", h, size, start, end);
	if (out[0].start != start || out[0].end != end)
		printf("#   got %lld-%lld\n", out[0].start, out[0].end);
}

static void
status(const char *h, long long size, int want)
{
	is_int(rng(h, size, MAXR), want, "\"%s\" of %lld is %d", h, size, want);
}

int
main(void)
{
	/* single ranges */
	one("bytes=0-99", 1000, 0, 99);
	one("bytes=0-0", 1000, 0, 0);
	one("bytes=10-19", 1000, 10, 19);
	one("bytes=999-999", 1000, 999, 999);
	one("bytes=100-", 1000, 100, 999);
	one("bytes=0-", 1000, 0, 999);
	one("bytes=999-", 1000, 999, 999);
	one("bytes=-100", 1000, 900, 999);
	one("bytes=-1", 1000, 999, 999);
	one("bytes=-1000", 1000, 0, 999);
	one("bytes=-2000", 1000, 0, 999);
	one("bytes=0-5000", 1000, 0, 999);
	one("bytes=500-1000", 1000, 500, 999);
	one("Bytes=1-2", 1000, 1, 2);
	one("BYTES=1-2", 1000, 1, 2);
	one("bytes= 1 - 2 ", 1000, 1, 2);
	one("bytes=0-0,1000-1001", 1000, 0, 0);
	one("bytes=2000-,3-4", 1000, 3, 4);

	/* past the end: dropped; none left is 416 */
	status("bytes=1000-", 1000, 416);
	status("bytes=1000-2000", 1000, 416);
	status("bytes=5000-6000,1000-", 1000, 416);
	status("bytes=-0", 1000, 416);

	/* not a byte range: ignored */
	status("items=0-1", 1000, 200);
	status("", 1000, 200);
	status("bytes", 1000, 200);
	status("bytes 0-1", 1000, 200);
	status("byte=0-1", 1000, 200);

	/* nginx ignores a header of fewer than 7 bytes */
	is_int(rng("bytes=", 1000, MAXR), 200, "\"bytes=\" alone is ignored (nginx)");

	/* malformed */
	status("bytes=a-b", 1000, 416);
	status("bytes=1", 1000, 416);
	status("bytes=1-2x", 1000, 416);
	status("bytes=1-2-3", 1000, 416);
	status("bytes=--1", 1000, 416);
	status("bytes=-", 1000, 416);
	status("bytes=-a", 1000, 416);
	status("bytes=0-1,", 1000, 416);
	status("bytes=,0-1", 1000, 416);
	status("bytes=0-1;2-3", 1000, 416);
	status("bytes=5-3", 1000, 416);
	status("bytes=1-0", 1000, 416);
	status("bytes=99999999999999999999-", 1000, 416);
	status("bytes=0-99999999999999999999", 1000, 416);
	status("bytes=-99999999999999999999", 1000, 416);
	status("bytes=-5-6", 1000, 416);

	/* several ranges */
	is_int(rng("bytes=0-9,20-29,40-", 100, MAXR), 206, "three ranges: 206");
	is_int(n, 3, "three ranges kept");
	ok(out[0].start == 0 && out[0].end == 9 && out[1].start == 20 &&
	    out[1].end == 29 && out[2].start == 40 && out[2].end == 99,
	    "three ranges in order");
	is_int(rng("bytes=-10,0-0", 100, MAXR), 206, "suffix and a range: 206");
	ok(n == 2 && out[0].start == 90 && out[0].end == 99 && out[1].start == 0 &&
	    out[1].end == 0, "suffix and a range kept in order");
	is_int(rng("bytes=0-0, 2-2 ,4-4", 100, MAXR), 206, "spaces around commas");
	is_int(n, 3, "spaces around commas: three ranges");
	is_int(rng("bytes=0-0,500-,2-2", 100, MAXR), 206,
	    "a range past the end among others");
	ok(n == 2 && out[0].start == 0 && out[1].start == 2,
	    "the range past the end is dropped, the others kept");

	/* more than the file: the whole file */
	status("bytes=0-599,400-999", 1000, 200);
	status("bytes=0-,0-", 1000, 200);
	status("bytes=-600,-600", 1000, 200);
	is_int(rng("bytes=0-499,500-999", 1000, MAXR), 206,
	    "ranges covering exactly the file: 206");
	is_int(n, 2, "ranges covering exactly the file: two");
	is_int(rng("bytes=0-499,400-599", 1000, MAXR), 206,
	    "overlapping ranges within the size: 206");

	/* the count */
	is_int(rng("bytes=0-0,2-2", 100, 2), 206, "two ranges with max 2: 206");
	is_int(n, 2, "two ranges with max 2: both");
	is_int(rng("bytes=0-0,2-2,4-4", 100, 2), 200, "three ranges with max 2: 200");
	is_int(rng("bytes=0-0,200-,2-2", 100, 2), 206,
	    "a dropped range does not count against max");
	is_int(rng("bytes=0-0", 100, 1), 206, "one range with max 1: 206");
	is_int(rng("bytes=0-0,1-1", 100, 1), 200, "two ranges with max 1: 200");

	/* nginx: a range whose last byte is before its first is skipped, not
	 * fatal, when another range is satisfiable */
	is_int(rng("bytes=5-3,0-1", 1000, MAXR), 206,
	    "\"bytes=5-3,0-1\": the reversed range is skipped (nginx)");
	ok(n == 1 && out[0].start == 0 && out[0].end == 1,
	    "\"bytes=5-3,0-1\": 0-1 is kept (nginx)");

	/* nginx: on an empty file a range starting at 0 is ignored (200) */
	is_int(rng("bytes=0-", 0, MAXR), 200, "\"bytes=0-\" of 0 bytes is 200 (nginx)");
	is_int(rng("bytes=0-10", 0, MAXR), 200,
	    "\"bytes=0-10\" of 0 bytes is 200 (nginx)");
	is_int(rng("bytes=-5", 0, MAXR), 200, "\"bytes=-5\" of 0 bytes is 200 (nginx)");
	is_int(rng("bytes=1-", 0, MAXR), 416, "\"bytes=1-\" of 0 bytes is 416");
	one("bytes=0-", 1, 0, 0);
	one("bytes=-5", 1, 0, 0);
	return done_testing();
}
