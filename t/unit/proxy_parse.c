/*
 * The upstream response head parser: status lines, headers, framing, and
 * what must be refused (the client then gets 502).
 */
#include "config.h"

#include "http.h"
#include "proxy_parse.h"
#include "tap.h"

static struct header hdrs[64];

static int
parse(const char *text, struct upstream_head *h)
{
	memset(h, 0, sizeof(*h));
	h->headers = hdrs;
	return proxy_parse_head(text, strlen(text), h, 64);
}

int
main(void)
{
	struct upstream_head h;

	is_int(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", &h), 0,
	    "a plain head parses");
	is_int(h.status, 200, "status");
	is_int(h.version, 11, "version");
	is_int(h.content_length, 5, "Content-Length");
	is_int(h.len, 38, "the head ends before the body");
	ok(str_eq(h.reason, "OK"), "reason");
	is_int(parse("HTTP/1.0 404 Not Found\r\n\r\n", &h), 0, "HTTP/1.0");
	is_int(h.version, 10, "version 1.0");
	is_int(h.content_length, -1, "no length");
	is_int(parse("HTTP/1.1 204\r\n\r\n", &h), 0, "no reason phrase");
	is_int(parse("HTTP/1.1 200 OK\r\nContent-Le", &h), 1, "incomplete");
	is_int(parse("HTTP/1.1 200 OK\nX: y\n\n", &h), 0, "bare LF line ends");
	is_int(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 10\r\n\r\n", &h), 0, "chunked and a length");
	ok(h.chunked && h.content_length == -1, "chunked wins over Content-Length");
	is_int(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", &h), 0,
	    "another coding");
	ok(!h.chunked && h.close_delimited, "is delimited by the close");
	is_int(parse("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", &h), 0, "close");
	ok(h.conn_close, "Connection: close is seen");
	is_int(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
	    &h), 0, "the same length twice is fine");
	is_int(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
	    &h), -1, "two different lengths are refused");
	is_int(parse("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", &h), -1,
	    "a bad length is refused");
	is_int(parse("HTTP/2 200 OK\r\n\r\n", &h), -1, "HTTP/2 status line refused");
	is_int(parse("HTTP/1.1 20 OK\r\n\r\n", &h), -1, "two-digit status refused");
	is_int(parse("HTTP/1.1 200OK\r\n\r\n", &h), -1, "no space after status");
	is_int(parse("HTP/1.1 200 OK\r\n\r\n", &h), -1, "garbage status line");
	is_int(parse("HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n", &h), -1,
	    "space in a header name");
	is_int(parse("HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n", &h), -1,
	    "folded header refused");
	is_int(parse("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", &h), -1, "bare CR refused");
	is_int(parse("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", &h), -1,
	    "a line without colon refused");
	return done_testing();
}
