/*
 * The request head parser: what it accepts, what it refuses and with
 * which status.
 */
#include "config.h"

#include <stdlib.h>

#include "http.h"
#include "tap.h"

static struct pool pool;

static int
parse(const char *text, struct request *r)
{
	static struct header headers[HTTP_HEADERS_MAX];
	char *copy = pool_strdup(&pool, text);

	memset(r, 0, sizeof(*r));
	r->pool = &pool;
	r->headers = headers;
	return http_parse_head(r, copy, strlen(copy));
}

int
main(void)
{
	struct request r;

	pool_init(&pool, 4096);
	is_int(parse("GET /a/b?x=1 HTTP/1.1\r\nHost: Example.COM:80\r\n\r\n", &r), 0,
	    "a simple GET parses");
	ok(str_eq(r.uri, "/a/b"), "uri is the path");
	ok(str_eq(r.args, "x=1"), "args are the query");
	ok(str_eq(r.host, "example.com"), "host is lowercase without port");
	is_int(r.version, 11, "HTTP/1.1");
	ok(r.keepalive, "HTTP/1.1 keeps the connection by default");
	is_int(parse("GET / HTTP/2.0\r\nHost: a\r\n\r\n", &r), 505,
	    "HTTP/2.0 on the HTTP/1 parser is 505");
	is_int(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
	    "Content-Length: 1\r\n\r\n", &r), 400, "duplicate Content-Length is 400");
	is_int(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", &r), 400,
	    "Content-Length with Transfer-Encoding is 400");
	pool_destroy(&pool);
	return done_testing();
}
