/*
 * The HTTP/1.x request head parser.  Pure: it reads a buffer holding a
 * complete head and fills a struct request with pointers into it, or
 * returns the status the client should get.  Strict where ambiguity helps
 * request smuggling (bare CR, NUL, folded lines, duplicate or conflicting
 * framing headers); tolerant where nginx is (bare LF line ends, leading
 * empty lines, header names it ignores).
 */
#include "config.h"

#include <string.h>

#include "http.h"

/* RFC 9110 tchar. */
static const unsigned char tchar[256] = {
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
	['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1,
	['`'] = 1, ['|'] = 1, ['~'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

/*
 * Where the head ends: the offset just past the empty line, or 0 while it
 * is incomplete.  *scan remembers how far earlier calls looked, so a head
 * that arrives byte by byte is scanned once.
 */
size_t
http_head_end(const char *buf, size_t len, size_t *scan)
{
	size_t i = *scan > 2 ? *scan - 2 : 0;
	const char *lf;

	while (i < len && (lf = memchr(buf + i, '\n', len - i)) != NULL) {
		i = (size_t)(lf - buf) + 1;
		if (i < len && buf[i] == '\n')
			return i + 1;
		if (i + 1 < len && buf[i] == '\r' && buf[i + 1] == '\n')
			return i + 2;
	}
	*scan = len;
	return 0;
}

/*
 * For an incomplete head: the error status once it can no longer fit.  A
 * line may hold HTTP_LINE_MAX bytes before its CR LF, so it is too long
 * only past HTTP_LINE_MAX + 1 bytes without LF (the parser's own limit).
 */
int
http_head_overflow(const char *buf, size_t len)
{
	size_t scan = len < HTTP_LINE_MAX + 2 ? len : HTTP_LINE_MAX + 2;
	const char *lf = memchr(buf, '\n', scan), *last;

	if (lf == NULL)
		return len > HTTP_LINE_MAX + 1 ? 414 : 0;
	if (len >= HTTP_HEAD_MAX)
		return 431;
	last = memrchr(buf, '\n', len);
	if (len - (size_t)(last - buf) - 1 > HTTP_LINE_MAX + 1)
		return 431;
	return 0;
}

static const struct {
	const char	*name;
	enum method	 m;
} methods[] = {
	{ "GET", M_GET }, { "HEAD", M_HEAD }, { "POST", M_POST }, { "PUT", M_PUT },
	{ "DELETE", M_DELETE }, { "OPTIONS", M_OPTIONS }, { "PATCH", M_PATCH },
	{ "TRACE", M_TRACE }, { "CONNECT", M_CONNECT },
};

enum method
http_method(struct str s)
{
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (str_eq(s, methods[i].name))
			return methods[i].m;
	return M_OTHER;
}

/* One line [p, end) without its terminator; rejects a bare CR or a NUL.
 * The request and the upstream response parsers both read lines here. */
int
http_next_line(const char **p, const char *end, struct str *line)
{
	const char *lf = memchr(*p, '\n', (size_t)(end - *p));
	const char *e;

	if (lf == NULL)
		return 400;
	e = lf;
	if (e > *p && e[-1] == '\r')
		e--;
	line->p = *p;
	line->n = (size_t)(e - *p);
	if (memchr(line->p, '\r', line->n) != NULL ||
	    memchr(line->p, '\0', line->n) != NULL)
		return 400;
	*p = lf + 1;
	return 0;
}

/*
 * "HTTP/1.x", read from the left as nginx does: a major version other than
 * 1 is 505 as soon as its first digits show it, a minor version above 999
 * is 400; digits are counted before they are added, so none overflows.
 */
static int
parse_version(struct str v, int *version)
{
	const char *p = v.p + 5, *end = v.p + v.n;
	int minor = 0, digits = 0;

	if (v.n < 6 || memcmp(v.p, "HTTP/", 5) != 0 || *p < '1' || *p > '9')
		return 400;
	if (*p++ != '1' || (p < end && *p >= '0' && *p <= '9'))
		return 505;
	if (p == end || *p++ != '.')
		return 400;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (++digits > 3)
			return 400;
		minor = minor * 10 + (*p - '0');
	}
	if (digits == 0 || p != end)
		return 400;
	*version = minor == 0 ? 10 : 11;
	return 0;
}

static int
parse_request_line(struct request *r, struct str line)
{
	const char *p = line.p, *end = line.p + line.n, *t;
	struct str version;
	size_t i;

	r->line = line;
	for (t = p; t < end && *t != ' '; t++)
		if (!((*t >= 'A' && *t <= 'Z') || *t == '_' || *t == '-'))
			return 400;
	if (t == p || t == end)
		return 400;
	r->method_name = (struct str){ p, (size_t)(t - p) };
	r->method = http_method(r->method_name);
	while (t < end && *t == ' ')
		t++;
	p = t;
	for (; t < end && *t != ' '; t++)
		if ((unsigned char)*t < 0x21 || *t == 0x7f)
			return 400;
	if (t == p)
		return 400;
	r->target = (struct str){ p, (size_t)(t - p) };
	while (t < end && *t == ' ')
		t++;
	if (t == end)
		return 400;	/* HTTP/0.9 is not served */
	version = (struct str){ t, (size_t)(end - t) };
	while (version.n > 0 && version.p[version.n - 1] == ' ')
		version.n--;
	for (i = 0; i < version.n; i++)
		if (version.p[i] == ' ')
			return 400;
	return parse_version(version, &r->version);
}

/* Split the request target into host (absolute form), path and query. */
static int
split_target(struct request *r, struct str *path, struct str *host)
{
	struct str t = r->target;
	const char *q, *slash;
	size_t skip = 0;

	*host = STR_NULL;
	if (t.n >= 7 && strncasecmp(t.p, "http://", 7) == 0)
		skip = 7;
	else if (t.n >= 8 && strncasecmp(t.p, "https://", 8) == 0)
		skip = 8;
	if (skip != 0) {
		slash = memchr(t.p + skip, '/', t.n - skip);
		q = memchr(t.p + skip, '?', t.n - skip);
		if (q != NULL && (slash == NULL || q < slash))
			slash = NULL;
		*host = (struct str){ t.p + skip,
		    (size_t)((slash ? slash : (q ? q : t.p + t.n)) - (t.p + skip)) };
		if (host->n == 0)
			return 400;
		if (slash == NULL) {
			*path = STR("/");
			r->args = q ? (struct str){ q + 1, (size_t)(t.p + t.n - q - 1) } :
			    STR_NULL;
			return 0;
		}
		t = (struct str){ slash, (size_t)(t.p + t.n - slash) };
	} else if (t.p[0] != '/') {
		if (str_eq(t, "*") && r->method == M_OPTIONS) {
			*path = t;
			return 0;
		}
		return r->method == M_CONNECT ? 405 : 400;
	}
	q = memchr(t.p, '?', t.n);
	if (q == NULL) {
		*path = t;
		r->args = STR_NULL;
	} else {
		*path = (struct str){ t.p, (size_t)(q - t.p) };
		r->args = (struct str){ q + 1, (size_t)(t.p + t.n - q - 1) };
	}
	return 0;
}

/*
 * Split a header line into name and value, the value without optional
 * whitespace around it.  -1: no colon, an empty name, or whitespace or a
 * control byte in the name; *token says whether the name is an RFC 9110
 * token.  Shared by the request and the upstream response parsers.
 */
int
http_split_header(struct str line, struct header *h, bool *token)
{
	const char *colon = memchr(line.p, ':', line.n), *v, *e;
	size_t i;

	if (colon == NULL || colon == line.p)
		return -1;
	*token = true;
	for (i = 0; line.p + i < colon; i++) {
		unsigned char ch = (unsigned char)line.p[i];
		if (ch <= 0x20 || ch == 0x7f)
			return -1;
		if (!tchar[ch])
			*token = false;
	}
	v = colon + 1;
	e = line.p + line.n;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	h->name = (struct str){ line.p, (size_t)(colon - line.p) };
	h->value = (struct str){ v, (size_t)(e - v) };
	return 0;
}

static int
parse_header_line(struct request *r, struct str line)
{
	struct header h;
	bool token;

	if (line.p[0] == ' ' || line.p[0] == '\t')
		return 400;		/* obs-fold */
	if (http_split_header(line, &h, &token) != 0)
		return 400;
	/* Ignored, as nginx's ignore_invalid_headers (and underscores). */
	if (!token || memchr(h.name.p, '_', h.name.n) != NULL)
		return 0;
	if (r->nheaders == HTTP_HEADERS_MAX)
		return 431;
	r->headers[r->nheaders++] = h;
	return 0;
}

const struct str *
http_header_get(const struct request *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (str_caseeq(r->headers[i].name, name))
			return &r->headers[i].value;
	return NULL;
}

/*
 * Validate a Host value and reduce it to the lowercase name without port
 * or trailing dot, written to out (in.n bytes are enough).
 */
int
http_parse_host(struct str in, char *out, struct str *host)
{
	char *p = out;
	size_t i, n = 0, dots = 0;
	bool v6 = in.n > 0 && in.p[0] == '[';

	for (i = 0; i < in.n; i++) {
		char ch = in.p[i];
		if (ch == '.') {
			if (dots != 0 && !v6)
				return 400;	/* ".." */
			dots = 1;
		} else
			dots = 0;
		if (v6 && ch == ']') {
			p[n++] = ch;
			i++;
			if (i < in.n && in.p[i] != ':')
				return 400;
			break;
		}
		if (!v6 && ch == ':')
			break;
		if (ch == '/' || ch == '\\' || ch == '\0' || ch == ' ' ||
		    (unsigned char)ch < 0x20 || ch == 0x7f)
			return 400;
		p[n++] = lower(ch);
	}
	if (v6 && (n < 2 || p[n - 1] != ']'))
		return 400;
	for (i++; i < in.n; i++)
		if (in.p[i] < '0' || in.p[i] > '9')
			return 400;
	if (n > 0 && p[n - 1] == '.')
		n--;
	if (n == 0)
		return 400;
	host->p = p;
	host->n = n;
	return 0;
}

/* The framing headers: the ones request smuggling plays with. */
static int
parse_framing(struct request *r)
{
	size_t i;
	bool has_cl = false, has_te = false;
	long long cl;

	r->content_length = -1;
	for (i = 0; i < r->nheaders; i++) {
		struct header *h = &r->headers[i];

		if (str_caseeq(h->name, "Content-Length")) {
			if (has_cl || str_to_off(h->value, &cl) != 0)
				return 400;
			has_cl = true;
			r->content_length = cl;
		} else if (str_caseeq(h->name, "Transfer-Encoding")) {
			if (has_te || r->version == 10)
				return 400;
			has_te = true;
			if (!str_caseeq(h->value, "chunked"))
				return 501;
			r->chunked = true;
		}
	}
	if (has_cl && has_te)
		return 400;
	return 0;
}

static int
parse_semantics(struct request *r, struct str target_host)
{
	size_t i, nhost = 0;
	int rc;

	if ((rc = parse_framing(r)) != 0)
		return rc;
	r->keepalive = r->version == 11;
	for (i = 0; i < r->nheaders; i++) {
		struct header *h = &r->headers[i];

		if (str_caseeq(h->name, "Host")) {
			/* Validated even when the target names the host. */
			if (nhost++ > 0 || http_parse_host(h->value,
			    pool_alloc(r->pool, h->value.n + 1), &r->host) != 0)
				return 400;
		} else if (str_caseeq(h->name, "Connection")) {
			if (str_has_token(h->value, "close"))
				r->keepalive = false;
			else if (str_has_token(h->value, "keep-alive"))
				r->keepalive = true;
		} else if (str_caseeq(h->name, "Expect")) {
			if (str_caseeq(h->value, "100-continue") && r->version == 11)
				r->expect_continue = true;
		}
	}
	if (target_host.p != NULL && http_parse_host(target_host,
	    pool_alloc(r->pool, target_host.n + 1), &r->host) != 0)
		return 400;
	if (r->version == 11 && nhost == 0)
		return 400;
	return 0;
}

/*
 * Parse a complete head (buf ends with the empty line).  Returns 0, or the
 * status to answer with (400, 405, 414, 431, 501, 505).
 */
int
http_parse_head(struct request *r, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	struct str line, path, target_host;
	char *norm;
	size_t nlen;
	int rc;

	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	if ((rc = http_next_line(&p, end, &line)) != 0)
		return rc;
	if (line.n > HTTP_LINE_MAX)
		return 414;
	if ((rc = parse_request_line(r, line)) != 0)
		return rc;
	for (;;) {
		if ((rc = http_next_line(&p, end, &line)) != 0)
			return rc;
		if (line.n == 0)
			break;
		if (line.n > HTTP_LINE_MAX)
			return 431;
		if ((rc = parse_header_line(r, line)) != 0)
			return rc;
	}
	r->head_len = (size_t)(p - buf);
	if ((rc = split_target(r, &path, &target_host)) != 0)
		return rc;
	if ((rc = parse_semantics(r, target_host)) != 0)
		return rc;
	if (path.n == 1 && path.p[0] == '*') {
		r->uri = path;
		return 0;
	}
	norm = pool_alloc(r->pool, path.n + 1);
	if (http_uri_normalize(path.p, path.n, norm, &nlen) != 0)
		return 400;
	r->uri = (struct str){ norm, nlen };
	return 0;
}
