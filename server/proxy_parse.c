/*
 * Parsing an upstream's response head.  Pure, like the request parser:
 * the buffer holds bytes read so far; the result is "incomplete", "invalid"
 * (the client gets 502) or a filled struct upstream_head whose strings
 * point into the buffer.  Framing follows RFC 9112: chunked wins over
 * Content-Length; differing Content-Lengths are invalid.
 */
#include "config.h"

#include <string.h>

#include "http.h"
#include "proxy_parse.h"

static int
status_line(struct upstream_head *h, struct str line)
{
	const char *p = line.p;
	size_t n = line.n;

	if (n < 12 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') ||
	    p[8] != ' ')
		return -1;
	h->version = p[7] == '1' ? 11 : 10;
	if (p[9] < '1' || p[9] > '9' || p[10] < '0' || p[10] > '9' ||
	    p[11] < '0' || p[11] > '9' || (n > 12 && p[12] != ' '))
		return -1;
	h->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	h->reason = n > 13 ? (struct str){ p + 13, n - 13 } : STR_NULL;
	return 0;
}

static int
header_line(struct upstream_head *h, struct str line, size_t max)
{
	long long cl;
	struct header *hd;
	bool token;

	if (h->nheaders == max)
		return -1;
	hd = &h->headers[h->nheaders];
	if (http_split_header(line, hd, &token) != 0 || !token)
		return -1;
	h->nheaders++;
	if (str_caseeq(hd->name, "Content-Length")) {
		if (str_to_off(hd->value, &cl) != 0 ||
		    (h->content_length >= 0 && h->content_length != cl))
			return -1;
		h->content_length = cl;
	} else if (str_caseeq(hd->name, "Transfer-Encoding")) {
		h->chunked = hd->value.n >= 7 && strncasecmp(hd->value.p + hd->value.n - 7,
		    "chunked", 7) == 0;
		if (!h->chunked)
			h->close_delimited = true;
	} else if (str_caseeq(hd->name, "Connection")) {
		if (str_has_token(hd->value, "close"))
			h->conn_close = true;
		if (str_has_token(hd->value, "keep-alive"))
			h->conn_keepalive = true;
	}
	return 0;
}

/*
 * 1: incomplete; -1: invalid; 0: h filled, h->len is the head's size.
 */
int
proxy_parse_head(const char *buf, size_t len, struct upstream_head *h, size_t max)
{
	size_t scan = 0, end = http_head_end(buf, len, &scan);
	const char *p = buf;
	struct str line;
	bool first = true;

	if (end == 0)
		return 1;
	h->content_length = -1;
	h->nheaders = 0;
	h->chunked = h->conn_close = h->conn_keepalive = h->close_delimited = false;
	while (p < buf + end) {
		if (http_next_line(&p, buf + end, &line) != 0)
			return -1;
		if (first) {
			if (status_line(h, line) != 0)
				return -1;
			first = false;
			continue;
		}
		if (line.n == 0)
			break;
		if (line.p[0] == ' ' || line.p[0] == '\t' ||
		    header_line(h, line, max) != 0)
			return -1;
	}
	if (h->chunked)
		h->content_length = -1;
	h->len = end;
	return 0;
}

/* The first header called name (case-insensitive), or NULL. */
const struct str *
upstream_header(const struct upstream_head *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->nheaders; i++)
		if (str_caseeq(h->headers[i].name, name))
			return &h->headers[i].value;
	return NULL;
}
