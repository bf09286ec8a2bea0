/*
 * What the proxy cache decides without I/O: which upstream answers may be
 * stored and for how long (Cache-Control, Expires, X-Accel-Expires,
 * Set-Cookie, Vary, proxy_cache_valid), and the hashes that name entries.
 */
#include "config.h"

#include <stdlib.h>

#include "cache_policy.h"
#include "clock.h"
#include "conf.h"
#include "http.h"
#include "proxy_parse.h"
#include "tap.h"

#define NOW	1000000000000LL		/* wall-clock ms */

static struct header hdrs[32];

/* The verdict on "HTTP/1.1 <head>\r\n\r\n". */
static struct cache_verdict
verdict_of(const char *head, const struct cache_valids *cvs)
{
	static char buf[2048];
	struct upstream_head h = { .headers = hdrs, .content_length = -1 };
	struct cache_verdict v;
	int n = snprintf(buf, sizeof(buf), "HTTP/1.1 %s\r\n\r\n", head);

	if (proxy_parse_head(buf, (size_t)n, &h, 32) != 0)
		abort();
	cache_verdict(&h, cvs, NOW, &v);
	return v;
}

static int64_t
stored_for(const char *head, const struct cache_valids *cvs)
{
	struct cache_verdict v = verdict_of(head, cvs);

	return v.store ? v.valid_until - NOW : -1;
}

int
main(void)
{
	int ok_codes[] = { 200, 301 }, nf[] = { 404 };
	struct cache_valid lines[] = {
		{ ok_codes, 2, false, 600000 },
		{ nf, 1, false, 60000 },
	};
	struct cache_valids cvs = { lines, 2 }, none = { NULL, 0 };
	struct cache_valid any_line = { NULL, 0, true, 5000 };
	struct cache_valids any = { &any_line, 1 };
	struct cache_verdict v;
	struct header req[3];
	uint8_t k1[16], k2[16], a[16], b[16];
	char date[40];

	/* proxy_cache_valid when the headers say nothing */
	is_int(stored_for("200 OK", &cvs), 600000, "200: proxy_cache_valid's 10m");
	is_int(stored_for("404 Not Found", &cvs), 60000, "404: its own line");
	is_int(stored_for("500 Oops", &cvs), -1, "500: no line, not stored");
	is_int(stored_for("500 Oops", &any), 5000, "\"any\" covers every status");
	is_int(stored_for("200 OK", &none), -1, "no proxy_cache_valid: not stored");
	is_int(cache_valid_ms(&cvs, 301), 600000, "the first line naming the code wins");

	/* Cache-Control */
	is_int(stored_for("200 OK\r\nCache-Control: max-age=30", &none), 30000,
	    "max-age gives the lifetime");
	is_int(stored_for("200 OK\r\nCache-Control: public, max-age=30, s-maxage=7", &none),
	    7000, "s-maxage wins over max-age");
	is_int(stored_for("500 Oops\r\nCache-Control: max-age=30", &none), 30000,
	    "with max-age any status is stored");
	is_int(stored_for("200 OK\r\nCache-Control: max-age=0", &cvs), -1,
	    "max-age=0: not stored, whatever proxy_cache_valid says");
	is_int(stored_for("200 OK\r\nCache-Control: max-age=x", &cvs), -1,
	    "a malformed max-age: not stored");
	is_int(stored_for("200 OK\r\nCache-Control: private", &cvs), -1, "private");
	is_int(stored_for("200 OK\r\nCache-Control: no-store", &cvs), -1, "no-store");
	is_int(stored_for("200 OK\r\nCache-Control: no-cache=\"Set-Cookie\"", &cvs), -1,
	    "no-cache with a field list");
	is_int(stored_for("200 OK\r\nCache-Control: NO-CACHE", &cvs), -1,
	    "directives are case-insensitive");
	is_int(stored_for("200 OK\r\nCache-Control: must-revalidate", &cvs), 600000,
	    "other directives do not matter");
	is_int(stored_for("200 OK\r\nCache-Control: public\r\nCache-Control: max-age=9",
	    &none), 9000, "every Cache-Control header counts");

	/* Expires */
	http_date_format(date, sizeof(date), (time_t)(NOW / 1000 + 120));
	{
		char head[128];
		snprintf(head, sizeof(head), "200 OK\r\nExpires: %s", date);
		is_int(stored_for(head, &none), 120000, "Expires in the future");
		snprintf(head, sizeof(head), "200 OK\r\nExpires: %s\r\n"
		    "Cache-Control: max-age=5", date);
		is_int(stored_for(head, &none), 5000, "Cache-Control wins over Expires");
	}
	is_int(stored_for("200 OK\r\nExpires: Thu, 01 Jan 1970 00:00:01 GMT", &cvs), -1,
	    "Expires in the past: not stored");
	is_int(stored_for("200 OK\r\nExpires: soon", &cvs), -1, "a malformed Expires");

	/* X-Accel-Expires */
	is_int(stored_for("200 OK\r\nX-Accel-Expires: 42\r\nCache-Control: no-cache", &none),
	    42000, "X-Accel-Expires wins over Cache-Control");
	is_int(stored_for("200 OK\r\nX-Accel-Expires: 0", &cvs), -1,
	    "X-Accel-Expires: 0 forbids storing");
	is_int(stored_for("200 OK\r\nX-Accel-Expires: @1000000060", &none), 60000,
	    "X-Accel-Expires: @epoch");
	is_int(stored_for("200 OK\r\nX-Accel-Expires: nope", &cvs), 600000,
	    "a malformed X-Accel-Expires is ignored");

	/* Set-Cookie, Vary, statuses */
	is_int(stored_for("200 OK\r\nSet-Cookie: a=b\r\nCache-Control: max-age=60", &cvs), -1,
	    "Set-Cookie: never stored");
	is_int(stored_for("200 OK\r\nVary: *", &cvs), -1, "Vary: * never stored");
	is_int(stored_for("200 OK\r\nVary: Accept-Encoding, *", &cvs), -1,
	    "a * among other names too");
	v = verdict_of("200 OK\r\nVary: Accept-Encoding\r\nVary: Accept-Language", &cvs);
	ok(v.store && strcmp(v.vary, "Accept-Encoding, Accept-Language") == 0,
	    "Vary headers are joined: \"%s\"", v.vary);
	is_int(stored_for("206 Partial Content", &any), -1, "206 is never stored");
	is_int(stored_for("304 Not Modified", &any), -1, "304 is never stored");

	/* keys and variants */
	cache_hash("http://a/x", 10, k1);
	cache_hash("http://a/y", 10, k2);
	ok(memcmp(k1, k2, 16) != 0, "different keys, different hashes");
	cache_hash("http://a/x", 10, k2);
	ok(memcmp(k1, k2, 16) == 0, "the same key, the same hash");
	cache_hash("abc", 3, k1);	/* RFC 1321's test vector: nginx's file names */
	ok(memcmp(k1, "\x90\x01\x50\x98\x3c\xd2\x4f\xb0\xd6\x96\x3f\x7d"
	    "\x28\xe1\x7f\x72", 16) == 0, "the hash is MD5, as nginx's");
	req[0] = (struct header){ STR("Accept-Encoding"), STR("gzip, deflate") };
	req[1] = (struct header){ STR("User-Agent"), STR("one") };
	cache_variant(k1, STR("Accept-Encoding"), req, 2, a);
	req[0].value = STR("gzip,deflate");
	req[1].value = STR("two");
	cache_variant(k1, STR("accept-encoding"), req, 2, b);
	ok(memcmp(a, b, 16) == 0, "the variant ignores spacing, case of the name and "
	    "headers Vary does not name");
	req[0].value = STR("br");
	cache_variant(k1, STR("Accept-Encoding"), req, 2, b);
	ok(memcmp(a, b, 16) != 0, "another value, another variant");
	cache_variant(k1, STR("Accept-Encoding"), req, 1, a);
	cache_variant(k1, STR("Accept-Encoding"), req + 1, 1, b);
	ok(memcmp(a, b, 16) != 0, "a missing header is a variant of its own");
	cache_hash("http://a/y", 10, k2);
	cache_variant(k2, STR("Accept-Encoding"), req, 1, b);
	ok(memcmp(a, b, 16) != 0, "the variant depends on the key");
	return done_testing();
}
