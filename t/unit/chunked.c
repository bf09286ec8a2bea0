/*
 * The chunked body decoder: chunks, extensions, trailers, bare LF, input
 * split at every byte boundary, malformed bodies, and when it says done.
 */
#include "config.h"

#include <stdlib.h>

#include "http.h"
#include "tap.h"

struct result {
	int		 rc;		/* 0, or -1 once the decoder refused */
	bool		 done;
	size_t		 used;		/* input consumed in all */
	char		 body[4096];
	size_t		 n;
	bool		 short_use;	/* a call left input unread before done */
};

/* Feed in[0..len) in pieces of step bytes (0: all at once), each piece in
 * its own exactly sized heap buffer. */
static void
decode(const char *in, size_t len, size_t step, struct result *res)
{
	struct chunked ck;
	size_t off = 0, k, used;
	long got;
	char *piece;

	memset(&ck, 0, sizeof(ck));
	memset(res, 0, sizeof(*res));
	if (step == 0)
		step = len ? len : 1;
	while (off < len && !ck.done) {
		k = len - off < step ? len - off : step;
		piece = malloc(k);
		memcpy(piece, in + off, k);
		used = 12345;
		got = chunked_decode(&ck, piece, k, &used);
		if (got < 0) {
			res->rc = -1;
			free(piece);
			return;
		}
		if (used > k || (size_t)got > used) {
			res->rc = -2;		/* impossible counts */
			free(piece);
			return;
		}
		if (used < k && !ck.done)
			res->short_use = true;
		if (res->n + (size_t)got <= sizeof(res->body)) {
			memcpy(res->body + res->n, piece, (size_t)got);
			res->n += (size_t)got;
		}
		res->used += used;
		off += used;
		free(piece);
		if (used == 0)
			break;
	}
	res->done = ck.done;
}

/* The body of a well-formed input, fed whole, in two pieces split at
 * every point, and byte by byte; all must give the same. */
static void
good(const char *name, const char *in, size_t len, const char *body,
    size_t bodylen, size_t consumed)
{
	struct result res;
	size_t split;
	bool same = true;

	decode(in, len, 0, &res);
	is_int(res.rc, 0, "%s: accepted", name);
	ok(res.done, "%s: done", name);
	is_int(res.used, consumed, "%s: consumed %zu bytes", name, consumed);
	ok(res.n == bodylen && memcmp(res.body, body, bodylen) == 0,
	    "%s: body", name);
	ok(!res.short_use, "%s: all input consumed until done", name);

	decode(in, len, 1, &res);
	is_int(res.rc, 0, "%s: byte by byte accepted", name);
	ok(res.done && res.used == consumed, "%s: byte by byte done", name);
	ok(res.n == bodylen && memcmp(res.body, body, bodylen) == 0,
	    "%s: byte by byte body", name);

	for (split = 1; split < len; split++) {
		struct chunked ck;
		char *a = malloc(split), *b = malloc(len - split);
		size_t u1 = 0, u2 = 0;
		long g1, g2;
		char out[4096];

		memcpy(a, in, split);
		memcpy(b, in + split, len - split);
		memset(&ck, 0, sizeof(ck));
		g1 = chunked_decode(&ck, a, split, &u1);
		g2 = ck.done ? 0 : chunked_decode(&ck, b, len - split, &u2);
		if (g1 < 0 || g2 < 0 || !ck.done || u1 + u2 != consumed ||
		    (size_t)(g1 + g2) != bodylen) {
			same = false;
		} else {
			memcpy(out, a, (size_t)g1);
			memcpy(out + g1, b, (size_t)g2);
			if (memcmp(out, body, bodylen) != 0)
				same = false;
		}
		free(a);
		free(b);
		if (!same) {
			printf("# split at %zu: g1 %ld g2 %ld u1 %zu u2 %zu done %d\n",
			    split, g1, g2, u1, u2, ck.done);
			break;
		}
	}
	ok(same, "%s: same result split at every point", name);
}

static void
refused(const char *name, const char *in, size_t len)
{
	struct result res;

	decode(in, len, 0, &res);
	is_int(res.rc, -1, "%s: refused", name);
	decode(in, len, 1, &res);
	is_int(res.rc, -1, "%s: refused byte by byte", name);
}

#define REFUSED(name, in)	refused(name, in, sizeof(in) - 1)

#define GOOD(name, in, body) \
	good(name, in, sizeof(in) - 1, body, sizeof(body) - 1, sizeof(in) - 1)

int
main(void)
{
	struct chunked ck;
	struct result res;
	char buf[64];
	size_t used;
	long got;

	GOOD("single chunk", "5\r\nhello\r\n0\r\n\r\n", "hello");
	GOOD("many chunks", "5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n3\r\n!!!\r\n"
	    "0\r\n\r\n", "hello world!!!");
	GOOD("hex sizes", "a\r\n0123456789\r\nB\r\nabcdefghijk\r\n10\r\n"
	    "0123456789abcdef\r\n0\r\n\r\n",
	    "0123456789abcdefghijk0123456789abcdef");
	GOOD("leading zeros", "0005\r\nhello\r\n000\r\n\r\n", "hello");
	GOOD("empty body", "0\r\n\r\n", "");
	GOOD("extensions", "5;name=value\r\nhello\r\n3 ; a=\"b c\"\r\nabc\r\n"
	    "0;last\r\n\r\n", "helloabc");
	GOOD("tab before an extension", "2\t;x\r\nab\r\n0\r\n\r\n", "ab");
	GOOD("trailers", "2\r\nab\r\n0\r\nX-Sum: 1\r\nX-Other: two\r\n\r\n", "ab");
	GOOD("bare LF", "5\nhello\n0\n\n", "hello");
	GOOD("bare LF trailers", "2\nab\n0\nX: y\n\n", "ab");
	GOOD("mixed line ends", "2\r\nab\n1\nc\r\n0\nX: 1\r\n\n", "abc");
	GOOD("CR LF inside data", "4\r\n\r\n\r\n\r\n0\r\n\r\n", "\r\n\r\n");
	GOOD("binary data", "3\r\n\0\n\r\r\n0\r\n\r\n", "\0\n\r");
	good("bytes after the body are left", "2\r\nab\r\n0\r\n\r\nGET / HTTP",
	    sizeof("2\r\nab\r\n0\r\n\r\nGET / HTTP") - 1, "ab", 2,
	    sizeof("2\r\nab\r\n0\r\n\r\n") - 1);

	REFUSED("invalid hex", "g\r\nhello\r\n0\r\n\r\n");
	REFUSED("hex then junk", "5x\r\nhello\r\n0\r\n\r\n");
	REFUSED("no size", "\r\nhello\r\n0\r\n\r\n");
	REFUSED("space before the size", " 5\r\nhello\r\n0\r\n\r\n");
	REFUSED("sign", "+5\r\nhello\r\n0\r\n\r\n");
	REFUSED("0x prefix", "0x5\r\nhello\r\n0\r\n\r\n");
	REFUSED("too long size", "10000000000000000\r\n");
	REFUSED("16 hex digits", "ffffffffffffffff\r\n");
	REFUSED("CR not followed by LF after the size", "5\rhello\r\n0\r\n\r\n");
	REFUSED("missing CRLF after data", "5\r\nhelloX\r\n0\r\n\r\n");
	REFUSED("data longer than the size", "5\r\nhello!\r\n0\r\n\r\n");
	REFUSED("CR then junk after data", "5\r\nhello\rX0\r\n\r\n");
	REFUSED("NUL in an extension", "5;a\0b\r\nhello\r\n0\r\n\r\n");
	REFUSED("NUL in a trailer", "0\r\nX: \0\r\n\r\n");
	REFUSED("CR then junk in a trailer", "0\r\nX: 1\rY\r\n\r\n");
	REFUSED("CR then junk at the end", "0\r\n\rX");

	/* The largest size accepted fits without overflow. */
	memset(&ck, 0, sizeof(ck));
	strcpy(buf, "ffffffffffffff\r\nab");
	got = chunked_decode(&ck, buf, strlen(buf), &used);
	is_int(got, 2, "14 hex digits: accepted, data follows");
	is_int(ck.left, 0xffffffffffffffLL - 2, "14 hex digits: the bytes left");

	/* done only after the final empty line */
	memset(&ck, 0, sizeof(ck));
	strcpy(buf, "5\r\nhello\r\n0\r\n");
	got = chunked_decode(&ck, buf, strlen(buf), &used);
	is_int(got, 5, "before the final line: the data");
	is_int(used, strlen("5\r\nhello\r\n0\r\n"), "before the final line: all used");
	ok(!ck.done, "last chunk without its empty line: not done");
	strcpy(buf, "\r");
	got = chunked_decode(&ck, buf, 1, &used);
	ok(got == 0 && used == 1 && !ck.done, "CR of the final line: not done");
	strcpy(buf, "\nGET");
	got = chunked_decode(&ck, buf, 4, &used);
	ok(got == 0 && used == 1 && ck.done, "LF of the final line: done, "
	    "the next request left");
	got = chunked_decode(&ck, buf + 1, 3, &used);
	ok(got == 0 && used == 0 && ck.done, "after done nothing more is read");

	memset(&ck, 0, sizeof(ck));
	strcpy(buf, "0\r\nX: 1\r\n");
	got = chunked_decode(&ck, buf, strlen(buf), &used);
	ok(got == 0 && used == strlen("0\r\nX: 1\r\n") && !ck.done,
	    "after a trailer line: not done");
	strcpy(buf, "\r\n");
	got = chunked_decode(&ck, buf, 2, &used);
	ok(got == 0 && used == 2 && ck.done, "empty line after trailers: done");

	/* a chunk larger than what arrived so far */
	memset(&ck, 0, sizeof(ck));
	strcpy(buf, "10\r\n01234567");
	got = chunked_decode(&ck, buf, strlen(buf), &used);
	is_int(got, 8, "partial chunk: the bytes so far");
	ok(memcmp(buf, "01234567", 8) == 0, "partial chunk: moved to the front");
	is_int(ck.left, 8, "partial chunk: 8 bytes left");
	ok(!ck.done, "partial chunk: not done");

	/* the payload is moved to the front of the buffer */
	memset(&ck, 0, sizeof(ck));
	strcpy(buf, "2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n");
	got = chunked_decode(&ck, buf, strlen(buf), &used);
	ok(got == 5 && memcmp(buf, "abcde", 5) == 0, "payload compacted at the front");

	decode("5\r\nhel", 6, 1, &res);
	ok(res.rc == 0 && !res.done && res.n == 3 && memcmp(res.body, "hel", 3) == 0,
	    "truncated body: what arrived, not done");
	return done_testing();
}
