/*
 * The request head parser: what it accepts, what it refuses and with
 * which status; where a head ends, and when an incomplete one has grown
 * too large.
 */
#include "config.h"

#include <stdlib.h>

#include "http.h"
#include "tap.h"

/* A string literal and its length, NULs included. */
#define LIT(s)	(s), sizeof(s) - 1

static struct pool pool;
static struct header headers[HTTP_HEADERS_MAX];

/* Parse len bytes (which may hold NULs) as a complete head. */
static int
parse_n(const char *text, size_t len, struct request *r)
{
	char *copy = pool_alloc(&pool, len + 1);

	memcpy(copy, text, len);
	copy[len] = '\0';
	memset(r, 0, sizeof(*r));
	r->pool = &pool;
	r->headers = headers;
	return http_parse_head(r, copy, len);
}

static int
parse(const char *text, struct request *r)
{
	return parse_n(text, strlen(text), r);
}

/* A struct str as a C string, for is_str; "(null)" when unset. */
static const char *
s(struct str v)
{
	return v.p == NULL ? "(null)" : pool_strndup(&pool, v.p, v.n);
}

/* "GET / HTTP/1.1" with one extra header line. */
static int
with_header(const char *line, struct request *r)
{
	char *head = pool_printf(&pool, "GET / HTTP/1.1\r\nHost: a\r\n%s\r\n\r\n",
	    line);

	return parse(head, r);
}

static void
request_line(void)
{
	struct request r;
	static const struct {
		const char	*name;
		enum method	 m;
	} methods[] = {
		{ "GET", M_GET }, { "HEAD", M_HEAD }, { "POST", M_POST },
		{ "PUT", M_PUT }, { "DELETE", M_DELETE }, { "OPTIONS", M_OPTIONS },
		{ "PATCH", M_PATCH }, { "TRACE", M_TRACE }, { "PROPFIND", M_OTHER },
		{ "X-CUSTOM_M", M_OTHER },
	};
	size_t i;
	char *head;

	is_int(parse("GET /a/b?x=1 HTTP/1.1\r\nHost: Example.COM:80\r\n\r\n", &r), 0,
	    "a simple GET parses");
	ok(str_eq(r.uri, "/a/b"), "uri is the path");
	ok(str_eq(r.args, "x=1"), "args are the query");
	ok(str_eq(r.host, "example.com"), "host is lowercase without port");
	is_int(r.version, 11, "HTTP/1.1");
	ok(r.keepalive, "HTTP/1.1 keeps the connection by default");
	is_int(r.method, M_GET, "method GET");
	is_str(s(r.method_name), "GET", "method name");
	is_str(s(r.target), "/a/b?x=1", "target as received ($request_uri)");
	is_str(s(r.line), "GET /a/b?x=1 HTTP/1.1", "request line ($request)");
	is_int(r.nheaders, 1, "one header");
	is_int(r.head_len, 47, "head_len counts the whole head");
	is_int(r.content_length, -1, "no Content-Length is -1");
	ok(!r.chunked, "not chunked");
	ok(!r.expect_continue, "no Expect");

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		head = pool_printf(&pool, "%s / HTTP/1.1\r\nHost: a\r\n\r\n",
		    methods[i].name);
		is_int(parse(head, &r), 0, "method %s parses", methods[i].name);
		is_int(r.method, methods[i].m, "method %s is %d", methods[i].name,
		    methods[i].m);
		is_str(s(r.method_name), methods[i].name, "method name %s kept",
		    methods[i].name);
	}
	is_int(parse("get / HTTP/1.1\r\nHost: a\r\n\r\n", &r), 400,
	    "lowercase method is 400");
	is_int(parse("Get / HTTP/1.1\r\nHost: a\r\n\r\n", &r), 400,
	    "mixed-case method is 400");
	is_int(parse("G3T / HTTP/1.1\r\nHost: a\r\n\r\n", &r), 400,
	    "digit in a method is 400");
	is_int(parse(" / HTTP/1.1\r\nHost: a\r\n\r\n", &r), 400,
	    "no method is 400");
	is_int(parse("GET\r\nHost: a\r\n\r\n", &r), 400, "method alone is 400");
	is_int(parse("GET /\r\nHost: a\r\n\r\n", &r), 400,
	    "HTTP/0.9 (no version) is 400");
	is_int(parse("GET / \r\nHost: a\r\n\r\n", &r), 400,
	    "a target followed by spaces only is 400");

	/* versions */
	is_int(parse("GET / HTTP/1.0\r\n\r\n", &r), 0, "HTTP/1.0 without Host parses");
	is_int(r.version, 10, "HTTP/1.0 is version 10");
	ok(r.host.p == NULL && r.host.n == 0, "no Host leaves host unset");
	is_int(parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n", &r), 0, "HTTP/1.1 parses");
	is_int(r.version, 11, "HTTP/1.1 is version 11");
	is_int(parse("GET / HTTP/2.0\r\nHost: a\r\n\r\n", &r), 505,
	    "HTTP/2.0 on the HTTP/1 parser is 505");
	is_int(parse("GET / HTTP/3.0\r\nHost: a\r\n\r\n", &r), 505, "HTTP/3.0 is 505");
	is_int(parse("GET / HTTP/11.1\r\nHost: a\r\n\r\n", &r), 505,
	    "a two-digit major version is 505");
	is_int(parse("GET / HTTP/18446744073709551616.1\r\nHost: a\r\n\r\n", &r),
	    505, "a 20-digit major version is 505");
	is_int(parse("GET / HTTP/0.9\r\nHost: a\r\n\r\n", &r), 400,
	    "major version 0 is 400, as in nginx");
	is_int(parse("GET / HTTP/01.1\r\nHost: a\r\n\r\n", &r), 400,
	    "a major version with a leading zero is 400");
	is_int(parse("GET / HTTP/1.999\r\nHost: a\r\n\r\n", &r), 0,
	    "minor version 999 parses");
	is_int(r.version, 11, "HTTP/1.999 is served as 1.1");
	is_int(parse("GET / HTTP/1.1000\r\nHost: a\r\n\r\n", &r), 400,
	    "minor version 1000 is 400");
	is_int(parse("GET / HTTP/1.118446744073709551616\r\nHost: a\r\n\r\n", &r),
	    400, "a 21-digit minor version is 400 (found by fuzzing: it overflowed)");
	is_int(parse("GET / HTTP/1.1  \r\nHost: a\r\n\r\n", &r), 0,
	    "spaces after the version are tolerated");
	is_int(parse("GET  /  HTTP/1.1\r\nHost: a\r\n\r\n", &r), 0,
	    "several spaces between the parts are tolerated");
	is_str(s(r.target), "/", "target found among the spaces");
	is_int(parse("GET / HTTP/1.1 x\r\nHost: a\r\n\r\n", &r), 400,
	    "junk after the version is 400");
	is_int(parse("GET / http/1.1\r\nHost: a\r\n\r\n", &r), 400,
	    "lowercase protocol name is 400");
	is_int(parse("GET / HTTP/1\r\nHost: a\r\n\r\n", &r), 400,
	    "version without minor is 400");
	is_int(parse("GET / HTTP/1.\r\nHost: a\r\n\r\n", &r), 400,
	    "version with an empty minor is 400");
	is_int(parse("GET / HTTP/.1\r\nHost: a\r\n\r\n", &r), 400,
	    "version with an empty major is 400");
	is_int(parse("GET / HTTP/1.1x\r\nHost: a\r\n\r\n", &r), 400,
	    "junk glued to the version is 400");
	is_int(parse("GET / HTTP/1.1.1\r\nHost: a\r\n\r\n", &r), 400,
	    "three-part version is 400");
	is_int(parse("GET / HTTP/a.b\r\nHost: a\r\n\r\n", &r), 400,
	    "letters as version is 400");
	is_int(parse("GET / FTP/1.1\r\nHost: a\r\n\r\n", &r), 400,
	    "another protocol is 400");
	is_int(parse("GET / HTTP/1.1\rHost: a\r\n\r\n", &r), 400,
	    "bare CR in the request line is 400");
	is_int(parse("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", &r), 400,
	    "control byte in the target is 400");
	is_int(parse("GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", &r), 400,
	    "DEL in the target is 400");
	is_int(parse("GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", &r), 400,
	    "tab in the target is 400");
	is_int(parse_n(LIT("GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n"), &r), 400,
	    "NUL in the request line is 400");
	is_int(parse("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", &r), 0,
	    "leading empty lines are skipped");
	is_int(parse("GET / HTTP/1.1\nHost: a\n\n", &r), 0,
	    "bare LF line ends are accepted");
	ok(str_eq(r.host, "a"), "host read from a bare-LF head");
	is_int(parse("GET / HTTP/1.1\r\nHost: a\r\n", &r), 400,
	    "a head without its empty line is 400");
}

static void
targets(void)
{
	struct request r;

	is_int(parse("GET /a/b HTTP/1.1\r\nHost: a\r\n\r\n", &r), 0, "origin form");
	is_str(s(r.uri), "/a/b", "origin form path");
	ok(r.args.p == NULL, "no query: args unset");
	is_int(parse("GET /a? HTTP/1.1\r\nHost: a\r\n\r\n", &r), 0,
	    "empty query parses");
	ok(r.args.p != NULL && r.args.n == 0, "empty query: args set but empty");
	is_int(parse("GET /p?a=1&b=%20?c HTTP/1.1\r\nHost: a\r\n\r\n", &r), 0,
	    "query with a second '?'");
	is_str(s(r.args), "a=1&b=%20?c", "args are everything after the first '?'");
	is_str(s(r.uri), "/p", "path before the first '?'");
	is_int(parse("GET //a/./b/../c/ HTTP/1.1\r\nHost: a\r\n\r\n", &r), 0,
	    "path needing normalisation");
	is_str(s(r.uri), "/a/c/", "uri is normalised");
	is_str(s(r.target), "//a/./b/../c/", "target is kept as received");
	is_int(parse("GET /a%2fb%20c HTTP/1.1\r\nHost: a\r\n\r\n", &r), 0,
	    "escaped path");
	is_str(s(r.uri), "/a/b c", "uri is decoded");
	is_int(parse("GET /a/%2e%2e/%2e%2e/etc HTTP/1.1\r\nHost: a\r\n\r\n", &r), 400,
	    "encoded traversal above the root is 400");
	is_int(parse("GET /../etc HTTP/1.1\r\nHost: a\r\n\r\n", &r), 400,
	    "traversal above the root is 400");
	is_int(parse("GET /a%00b HTTP/1.1\r\nHost: a\r\n\r\n", &r), 400,
	    "%%00 in the path is 400");
	is_int(parse("GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n", &r), 400,
	    "bad escape in the path is 400");

	/* absolute form */
	is_int(parse("GET http://Host:81/p?q HTTP/1.1\r\nHost: other\r\n\r\n", &r), 0,
	    "absolute form parses");
	is_str(s(r.host), "host", "absolute form sets host (lowercase, no port)");
	is_str(s(r.uri), "/p", "absolute form path");
	is_str(s(r.args), "q", "absolute form query");
	is_int(parse("GET HTTPS://Sec.Example/x/ HTTP/1.1\r\nHost: a\r\n\r\n", &r), 0,
	    "https absolute form, scheme in capitals");
	is_str(s(r.host), "sec.example", "https absolute form host");
	is_str(s(r.uri), "/x/", "https absolute form path");
	is_int(parse("GET http://h?x=1 HTTP/1.1\r\nHost: h\r\n\r\n", &r), 0,
	    "absolute form without a path, with a query");
	is_str(s(r.uri), "/", "missing path is /");
	is_str(s(r.args), "x=1", "query after the host");
	is_str(s(r.host), "h", "host before the query");
	is_int(parse("GET http://h HTTP/1.1\r\nHost: h\r\n\r\n", &r), 0,
	    "absolute form with the host only");
	is_str(s(r.uri), "/", "host only: path /");
	ok(r.args.p == NULL, "host only: no args");
	is_int(parse("GET http:///p HTTP/1.1\r\nHost: h\r\n\r\n", &r), 400,
	    "absolute form with an empty host is 400");
	is_int(parse("GET http://a..b/ HTTP/1.1\r\nHost: h\r\n\r\n", &r), 400,
	    "absolute form with an invalid host is 400");
	is_int(parse("GET http://h/ HTTP/1.1\r\n\r\n", &r), 400,
	    "HTTP/1.1 in absolute form still needs a Host header");
	is_int(parse("GET http://h/ HTTP/1.0\r\n\r\n", &r), 0,
	    "HTTP/1.0 absolute form without Host");
	is_str(s(r.host), "h", "HTTP/1.0 absolute form sets host");
	is_int(parse("GET http://h/ HTTP/1.1\r\nHost: a..b\r\n\r\n", &r), 400,
	    "an invalid Host header is 400 with the absolute form too (nginx)");

	/* asterisk form */
	is_int(parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", &r), 0,
	    "OPTIONS * parses");
	is_str(s(r.uri), "*", "OPTIONS * has uri *");
	is_int(parse("GET * HTTP/1.1\r\nHost: a\r\n\r\n", &r), 400,
	    "GET * is 400");
	is_int(parse("OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n", &r), 400,
	    "OPTIONS *x is 400");
	is_int(parse("GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", &r), 400,
	    "relative target is 400");
	is_int(parse("CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", &r), 405,
	    "CONNECT authority form is 405");
}

static void
header_lines(void)
{
	struct request r;
	const struct str *v;
	char *head;
	size_t i;

	is_int(parse("GET / HTTP/1.1\r\nHost: a\r\nX-A:   v 1 \t\r\nX-B:\r\n"
	    "x-a: second\r\n\r\n", &r), 0, "headers parse");
	is_int(r.nheaders, 4, "four headers");
	is_str(s(r.headers[1].name), "X-A", "header name");
	is_str(s(r.headers[1].value), "v 1", "value trimmed both sides");
	is_str(s(r.headers[2].value), "", "empty value");
	v = http_header_get(&r, "x-a");
	ok(v != NULL && str_eq(*v, "v 1"), "http_header_get is case-insensitive "
	    "and returns the first");
	v = http_header_get(&r, "X-B");
	ok(v != NULL && v->n == 0, "http_header_get finds an empty value");
	ok(http_header_get(&r, "X-C") == NULL, "http_header_get: absent is NULL");
	ok(http_header_get(&r, "X-") == NULL, "http_header_get: no prefix match");
	ok(http_header_get(&r, "HOST") != NULL, "http_header_get HOST finds Host");

	is_int(with_header(" folded", &r), 400, "obs-fold (space) is 400");
	is_int(with_header("\tfolded", &r), 400, "obs-fold (tab) is 400");
	is_int(with_header("X-A : v", &r), 400, "space before the colon is 400");
	is_int(with_header("X-A\t: v", &r), 400, "tab before the colon is 400");
	is_int(with_header("X A: v", &r), 400, "space inside a name is 400");
	is_int(with_header("X-A v", &r), 400, "a line without a colon is 400");
	is_int(with_header(": v", &r), 400, "an empty name is 400");
	is_int(with_header("X-A: a\rb", &r), 400, "bare CR in a value is 400");
	is_int(with_header("X-A: a\r", &r), 400, "CR CR LF is 400");
	is_int(parse_n(LIT("GET / HTTP/1.1\r\nHost: a\r\nX-A: a\0b\r\n\r\n"), &r), 400,
	    "NUL in a value is 400");
	is_int(parse_n(LIT("GET / HTTP/1.1\r\nHost: a\r\nX\0A: b\r\n\r\n"), &r), 400,
	    "NUL in a name is 400");
	is_int(with_header("X-A: \x01", &r), 0,
	    "other control bytes in a value are passed on");

	is_int(with_header("X_Under: 1", &r), 0, "name with '_' is not an error");
	is_int(r.nheaders, 1, "name with '_' is ignored");
	ok(http_header_get(&r, "X_Under") == NULL, "ignored header is not found");
	is_int(with_header("X(A): 1", &r), 0, "name with a non-token byte: no error");
	is_int(r.nheaders, 1, "name with a non-token byte is ignored");
	is_int(parse("POST / HTTP/1.1\r\nHost: a\r\nContent_Length: 5\r\n\r\n", &r), 0,
	    "Content_Length parses");
	is_int(r.content_length, -1, "Content_Length is ignored, not framing");
	is_int(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer_Encoding: gzip\r\n\r\n",
	    &r), 0, "Transfer_Encoding is ignored");
	ok(!r.chunked, "Transfer_Encoding does not set chunked");

	/* the header count */
	head = pool_strdup(&pool, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (i = 1; i < HTTP_HEADERS_MAX; i++)
		head = pool_printf(&pool, "%sX-%zu: v\r\n", head, i);
	is_int(parse(pool_printf(&pool, "%s\r\n", head), &r), 0,
	    "%d headers are accepted", HTTP_HEADERS_MAX);
	is_int(r.nheaders, HTTP_HEADERS_MAX, "%d headers kept", HTTP_HEADERS_MAX);
	is_int(parse(pool_printf(&pool, "%sX_I: 1\r\nX_J: 2\r\n\r\n", head), &r), 0,
	    "ignored headers do not count against the limit");
	is_int(parse(pool_printf(&pool, "%sX-Last: v\r\n\r\n", head), &r), 431,
	    "%d headers is 431", HTTP_HEADERS_MAX + 1);

	/* line lengths */
	head = pool_alloc(&pool, HTTP_LINE_MAX + 64);
	memset(head, 'a', HTTP_LINE_MAX + 64);
	is_int(parse(pool_printf(&pool, "GET / HTTP/1.1\r\nHost: a\r\nX-L: %.*s\r\n\r\n",
	    HTTP_LINE_MAX - 5, head), &r), 0, "a header line of %d bytes is accepted",
	    HTTP_LINE_MAX);
	is_int(parse(pool_printf(&pool, "GET / HTTP/1.1\r\nHost: a\r\nX-L: %.*s\r\n\r\n",
	    HTTP_LINE_MAX - 4, head), &r), 431, "a header line of %d bytes is 431",
	    HTTP_LINE_MAX + 1);
	is_int(parse(pool_printf(&pool, "GET /%.*s HTTP/1.1\r\nHost: a\r\n\r\n",
	    HTTP_LINE_MAX - 14, head), &r), 0, "a request line of %d bytes is accepted",
	    HTTP_LINE_MAX);
	is_int(parse(pool_printf(&pool, "GET /%.*s HTTP/1.1\r\nHost: a\r\n\r\n",
	    HTTP_LINE_MAX - 13, head), &r), 414, "a request line of %d bytes is 414",
	    HTTP_LINE_MAX + 1);
}

static void
host(void)
{
	struct request r;
	static const struct {
		const char	*in;
		const char	*want;		/* NULL: 400 */
	} t[] = {
		{ "Example.COM:80", "example.com" },
		{ "example.com", "example.com" },
		{ "example.com.", "example.com" },
		{ "example.com.:8080", "example.com" },
		{ "EXAMPLE.com:", "example.com" },
		{ "127.0.0.1:8080", "127.0.0.1" },
		{ "[::1]:80", "[::1]" },
		{ "[::1]", "[::1]" },
		{ "[::FFFF:A]:8080", "[::ffff:a]" },
		{ "under_score.test", "under_score.test" },
		{ "a..b", NULL },
		{ "..", NULL },
		{ ".", NULL },
		{ "", NULL },
		{ ":80", NULL },
		{ "a:8x", NULL },
		{ "a:80:80", NULL },
		{ "a/b", NULL },
		{ "a\\b", NULL },
		{ "a b", NULL },
		{ "[::1", NULL },
		{ "[::1]x", NULL },
		{ "[::1]:8x", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *head = pool_printf(&pool, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n",
		    t[i].in);
		int rc = parse(head, &r);

		if (t[i].want == NULL) {
			is_int(rc, 400, "Host \"%s\" is 400", t[i].in);
			continue;
		}
		is_int(rc, 0, "Host \"%s\" parses", t[i].in);
		if (rc == 0)
			is_str(s(r.host), t[i].want, "Host \"%s\" is \"%s\"", t[i].in,
			    t[i].want);
	}
	is_int(parse("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", &r), 400,
	    "two Host headers are 400");
	is_int(parse("GET / HTTP/1.1\r\nX-A: b\r\n\r\n", &r), 400,
	    "HTTP/1.1 without Host is 400");
	is_int(parse("GET / HTTP/1.0\r\nHost: a..b\r\n\r\n", &r), 400,
	    "an invalid Host is 400 with HTTP/1.0 too");
}

static void
framing(void)
{
	struct request r;

	is_int(with_header("Content-Length: 10", &r), 0, "Content-Length parses");
	is_int(r.content_length, 10, "Content-Length 10");
	is_int(with_header("content-length: 0", &r), 0, "lowercase Content-Length");
	is_int(r.content_length, 0, "Content-Length 0");
	is_int(with_header("Content-Length: 9223372036854775807", &r), 0,
	    "largest Content-Length parses");
	is_int(r.content_length, 9223372036854775807LL, "largest Content-Length");
	is_int(with_header("Content-Length: 9223372036854775808", &r), 400,
	    "overflowing Content-Length is 400");
	is_int(with_header("Content-Length: abc", &r), 400,
	    "non-numeric Content-Length is 400");
	is_int(with_header("Content-Length: -1", &r), 400,
	    "negative Content-Length is 400");
	is_int(with_header("Content-Length: +1", &r), 400,
	    "signed Content-Length is 400");
	is_int(with_header("Content-Length: 1 2", &r), 400,
	    "two numbers in Content-Length are 400");
	is_int(with_header("Content-Length: 1,1", &r), 400,
	    "a list in Content-Length is 400");
	is_int(with_header("Content-Length: 0x10", &r), 400,
	    "hex Content-Length is 400");
	is_int(with_header("Content-Length:", &r), 400,
	    "empty Content-Length is 400");
	is_int(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
	    "Content-Length: 1\r\n\r\n", &r), 400, "duplicate Content-Length is 400");
	is_int(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
	    "content-length: 2\r\n\r\n", &r), 400,
	    "differing Content-Length headers are 400");

	is_int(with_header("Transfer-Encoding: chunked", &r), 0,
	    "Transfer-Encoding chunked parses");
	ok(r.chunked, "chunked is set");
	is_int(r.content_length, -1, "chunked: no Content-Length");
	is_int(with_header("transfer-encoding: Chunked", &r), 0,
	    "Transfer-Encoding is case-insensitive");
	ok(r.chunked, "Chunked is chunked");
	is_int(with_header("Transfer-Encoding: gzip", &r), 501,
	    "Transfer-Encoding gzip is 501");
	is_int(with_header("Transfer-Encoding: gzip, chunked", &r), 501,
	    "Transfer-Encoding gzip, chunked is 501");
	is_int(with_header("Transfer-Encoding: identity", &r), 501,
	    "Transfer-Encoding identity is 501");
	is_int(parse("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", &r), 400,
	    "Transfer-Encoding with HTTP/1.0 is 400");
	is_int(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", &r), 400,
	    "Content-Length with Transfer-Encoding is 400");
	is_int(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 1\r\n\r\n", &r), 400,
	    "Transfer-Encoding with Content-Length (other order) is 400");
	is_int(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", &r), 400,
	    "duplicate Transfer-Encoding is 400");
}

static void
connection(void)
{
	struct request r;

	is_int(parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n", &r), 0, "1.1 parses");
	ok(r.keepalive, "1.1 default keep-alive");
	is_int(with_header("Connection: close", &r), 0, "1.1 close parses");
	ok(!r.keepalive, "1.1 Connection: close");
	is_int(with_header("Connection: Keep-Alive, CLOSE", &r), 0, "1.1 list");
	ok(!r.keepalive, "1.1 close in a list wins");
	is_int(with_header("Connection: Upgrade", &r), 0, "1.1 other token");
	ok(r.keepalive, "1.1 with another token keeps the connection");
	is_int(with_header("Connection: closed", &r), 0, "1.1 closed parses");
	ok(r.keepalive, "\"closed\" is not \"close\"");

	is_int(parse("GET / HTTP/1.0\r\n\r\n", &r), 0, "1.0 parses");
	ok(!r.keepalive, "1.0 default close");
	is_int(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &r), 0,
	    "1.0 keep-alive parses");
	ok(r.keepalive, "1.0 Connection: keep-alive");
	is_int(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &r), 0,
	    "1.0 Keep-Alive parses");
	ok(r.keepalive, "1.0 Connection: Keep-Alive (case)");
	is_int(parse("GET / HTTP/1.0\r\nConnection: TE, keep-alive\r\n\r\n", &r), 0,
	    "1.0 keep-alive in a list");
	ok(r.keepalive, "1.0 keep-alive in a list");
	is_int(parse("GET / HTTP/1.0\r\nConnection: close\r\n\r\n", &r), 0,
	    "1.0 close parses");
	ok(!r.keepalive, "1.0 Connection: close");

	is_int(with_header("Expect: 100-continue", &r), 0, "Expect parses");
	ok(r.expect_continue, "1.1 Expect: 100-continue");
	is_int(with_header("Expect: 100-Continue", &r), 0, "Expect (case) parses");
	ok(r.expect_continue, "Expect is case-insensitive");
	is_int(with_header("Expect: something", &r), 0, "other Expect parses");
	ok(!r.expect_continue, "other Expect values do not set it");
	is_int(parse("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", &r), 0,
	    "1.0 Expect parses");
	ok(!r.expect_continue, "1.0 Expect: 100-continue is ignored");
}

static void
head_end(void)
{
	static const char *heads[] = {
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.1\nHost: a\n\n",
		"GET / HTTP/1.1\r\nHost: a\n\r\n",
		"GET / HTTP/1.1\nHost: a\r\n\n",
		"GET / HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\n\n",
	};
	const char *h;
	size_t i, k, len, scan, end;
	bool early;

	h = "GET / HTTP/1.1\r\nHost: a\r\n\r\nBODY";
	scan = 0;
	is_int(http_head_end(h, strlen(h), &scan), 27, "CRLF head ends at 27");
	h = "GET / HTTP/1.1\nHost: a\n\nBODY";
	scan = 0;
	is_int(http_head_end(h, strlen(h), &scan), 24, "bare LF head ends at 24");
	h = "GET / HTTP/1.1\r\nHost: a\r\n\r";
	scan = 0;
	is_int(http_head_end(h, strlen(h), &scan), 0, "CRLF CR is incomplete");
	is_int(scan, strlen(h), "scan remembers how far it looked");
	h = "GET / HTTP/1.1\r\nHost: a\r\n";
	scan = 0;
	is_int(http_head_end(h, strlen(h), &scan), 0, "no empty line: incomplete");
	h = "GET / HTTP/1.1\r\nHost: a\r\n\rX\r\n\r\n";
	scan = 0;
	is_int(http_head_end(h, strlen(h), &scan), strlen(h),
	    "CR followed by a byte is not an empty line");
	h = "GET / HTTP/1.1\r\nX: \r\r\n\r\n";
	scan = 0;
	is_int(http_head_end(h, strlen(h), &scan), strlen(h),
	    "a CR before the line end is not an empty line");

	/* Every prefix, scanned incrementally with one scan variable. */
	for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		h = heads[i];
		len = strlen(h);
		scan = 0;
		early = false;
		for (k = 1; k < len; k++)
			if (http_head_end(h, k, &scan) != 0)
				early = true;
		ok(!early, "head %zu: no prefix looks complete", i);
		is_int(http_head_end(h, len, &scan), len,
		    "head %zu found byte by byte", i);
		/* two reads split at every point */
		for (k = 1; k < len; k++) {
			scan = 0;
			if (http_head_end(h, k, &scan) != 0)
				break;
			if ((end = http_head_end(h, len, &scan)) != len)
				break;
		}
		is_int(k, len, "head %zu found when split at every point", i);
	}
	/* A long head arriving in three reads. */
	{
		char *big = pool_strdup(&pool, "GET / HTTP/1.1\r\n");
		for (i = 0; i < 50; i++)
			big = pool_printf(&pool, "%sX-%zu: value\r\n", big, i);
		big = pool_printf(&pool, "%s\r\nbody", big);
		len = strlen(big) - 4;
		scan = 0;
		is_int(http_head_end(big, 100, &scan), 0, "first read: incomplete");
		is_int(http_head_end(big, len - 1, &scan), 0, "second read: incomplete");
		is_int(http_head_end(big, len + 4, &scan), len,
		    "third read finds the end before the body");
	}
}

static void
overflow(void)
{
	char *b = pool_alloc(&pool, HTTP_HEAD_MAX + 16);
	size_t first = 16, n;

	memset(b, 'a', HTTP_HEAD_MAX + 16);
	is_int(http_head_overflow("GET / HTTP/1.1\r\nHo", 18), 0,
	    "a short incomplete head is fine");
	is_int(http_head_overflow(b, HTTP_LINE_MAX - 1), 0,
	    "a %d-byte request line so far is fine", HTTP_LINE_MAX - 1);
	is_int(http_head_overflow(b, HTTP_LINE_MAX + 1), 0,
	    "a %d-byte request line may still end with CR LF", HTTP_LINE_MAX);
	is_int(http_head_overflow(b, HTTP_LINE_MAX + 2), 414,
	    "%d bytes without LF is 414", HTTP_LINE_MAX + 2);
	is_int(http_head_overflow(b, HTTP_LINE_MAX + 100), 414,
	    "a longer request line is 414");

	memcpy(b, "GET / HTTP/1.1\r\n", first);
	is_int(http_head_overflow(b, first + HTTP_LINE_MAX - 1), 0,
	    "a header line of %d bytes so far is fine", HTTP_LINE_MAX - 1);
	is_int(http_head_overflow(b, first + HTTP_LINE_MAX + 1), 0,
	    "a header line of %d bytes may still end", HTTP_LINE_MAX);
	is_int(http_head_overflow(b, first + HTTP_LINE_MAX + 2), 431,
	    "a header line of %d bytes without LF is 431", HTTP_LINE_MAX + 2);

	/* many short lines */
	memset(b + first, 'a', HTTP_HEAD_MAX);
	for (n = first + 99; n < HTTP_HEAD_MAX + 16; n += 100)
		b[n] = '\n';
	is_int(http_head_overflow(b, HTTP_HEAD_MAX - 1), 0,
	    "%d bytes of short lines is fine", HTTP_HEAD_MAX - 1);
	is_int(http_head_overflow(b, HTTP_HEAD_MAX), 431,
	    "%d bytes of short lines is 431", HTTP_HEAD_MAX);
}

int
main(void)
{
	pool_init(&pool, 4096);
	request_line();
	targets();
	header_lines();
	host();
	framing();
	connection();
	head_end();
	overflow();
	pool_destroy(&pool);
	return done_testing();
}
