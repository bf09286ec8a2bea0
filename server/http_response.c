/*
 * Response heads: status lines, the headers every response carries, the
 * add_header and expires rules, and the built-in error page bodies.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "http.h"

static const struct {
	int		 code;
	const char	*reason;
} reasons[] = {
	{ 100, "Continue" }, { 101, "Switching Protocols" },
	{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
	{ 204, "No Content" }, { 206, "Partial Content" },
	{ 301, "Moved Permanently" }, { 302, "Moved Temporarily" },
	{ 303, "See Other" }, { 304, "Not Modified" },
	{ 307, "Temporary Redirect" }, { 308, "Permanent Redirect" },
	{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 402, "Payment Required" },
	{ 403, "Forbidden" }, { 404, "Not Found" }, { 405, "Not Allowed" },
	{ 406, "Not Acceptable" }, { 408, "Request Time-out" },
	{ 409, "Conflict" }, { 410, "Gone" }, { 411, "Length Required" },
	{ 412, "Precondition Failed" }, { 413, "Request Entity Too Large" },
	{ 414, "Request-URI Too Large" }, { 415, "Unsupported Media Type" },
	{ 416, "Requested Range Not Satisfiable" }, { 421, "Misdirected Request" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
	{ 502, "Bad Gateway" }, { 503, "Service Temporarily Unavailable" },
	{ 504, "Gateway Time-out" }, { 505, "HTTP Version Not Supported" },
	{ 507, "Insufficient Storage" },
};

const char *
http_reason(int status)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == status)
			return reasons[i].reason;
	return NULL;
}

/* Add a header line, even if one of that name exists (Set-Cookie). */
void
http_add_header(struct request *r, const char *name, struct str value)
{
	r->out = pool_grow(r->pool, r->out, r->nout, sizeof(*r->out));
	r->out[r->nout].name = name;
	r->out[r->nout].value = value;
	r->nout++;
}

/* Set a header, replacing one of the same name. */
void
http_set_header(struct request *r, const char *name, struct str value)
{
	size_t i;

	for (i = 0; i < r->nout; i++)
		if (strcasecmp(r->out[i].name, name) == 0) {
			r->out[i].value = value;
			return;
		}
	http_add_header(r, name, value);
}

static const char *
server_token(const struct request *r)
{
	return r->sc == NULL || r->sc->server_tokens ? PACKAGE_NAME "/" PACKAGE_VERSION :
	    PACKAGE_NAME;
}

/* The page nginx users know, for statuses without a body of their own. */
void
http_error_body(struct request *r, int status)
{
	const char *reason = http_reason(status);
	char *body;

	r->status = status;
	r->content_type = "text/html";
	r->body = BODY_MEM;
	if (reason == NULL || status < 300 || status == 304) {
		r->mem = STR_NULL;
		r->out_length = 0;
		return;
	}
	body = pool_printf(r->pool,
	    "<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n"
	    "<center><h1>%d %s</h1></center>\r\n<hr><center>%s</center>\r\n"
	    "</body>\r\n</html>\r\n", status, reason, status, reason,
	    server_token(r));
	r->mem = (struct str){ body, strlen(body) };
	r->out_length = (long long)r->mem.n;
}

/* Set Location; a relative one is made absolute from the request's host
 * and port, as nginx's absolute_redirect. */
void
http_location(struct request *r, struct str location)
{
	struct buf b = { 0 };
	char *abs;
	int port;

	if (location.n > 0 && location.p[0] == '/') {
		buf_adds(&b, r->c->ssl != NULL ? "https://" : "http://");
		if (r->host.n > 0)
			buf_add(&b, r->host.p, r->host.n);
		else if (r->srv != NULL)
			buf_adds(&b, r->srv->first_name);
		port = conn_local_port(r->c);
		if (port > 0 && port != (r->c->ssl != NULL ? 443 : 80))
			buf_printf(&b, ":%d", port);
		buf_add(&b, location.p, location.n);
		abs = pool_strndup(r->pool, b.p, b.len);
		location = (struct str){ abs, b.len };
		buf_free(&b);
	}
	http_set_header(r, "Location", location);
}

/* A redirect with nginx's body. */
void
http_redirect(struct request *r, int status, struct str location)
{
	http_location(r, location);
	http_error_body(r, status);
}

static bool
extra_headers_apply(int status)
{
	switch (status) {
	case 200: case 201: case 204: case 206: case 301: case 302: case 303:
	case 304: case 307: case 308:
		return true;
	default:
		return false;
	}
}

static void
add_expires(struct request *r, struct buf *b)
{
	const struct expires *e = &r->sc->expires;
	char date[40];
	long long t;

	switch (e->mode) {
	case EXPIRES_OFF:
		return;
	case EXPIRES_EPOCH:
		buf_adds(b, "Expires: Thu, 01 Jan 1970 00:00:01 GMT\r\n"
		    "Cache-Control: no-cache\r\n");
		return;
	case EXPIRES_MAX:
		buf_adds(b, "Expires: Thu, 31 Dec 2037 23:55:55 GMT\r\n"
		    "Cache-Control: max-age=315360000\r\n");
		return;
	case EXPIRES_REL:
		t = (long long)now.sec + e->sec;
		http_date_format(date, sizeof(date), (time_t)t);
		buf_printf(b, "Expires: %s\r\n", date);
		if (e->sec < 0)
			buf_adds(b, "Cache-Control: no-cache\r\n");
		else
			buf_printf(b, "Cache-Control: max-age=%lld\r\n", e->sec);
		return;
	}
}

static void
add_configured(struct request *r, struct buf *b)
{
	const struct header_set *hs = &r->sc->headers;
	bool normal = extra_headers_apply(r->status);
	size_t i, start, before;

	if (normal)
		add_expires(r, b);
	for (i = 0; i < hs->n; i++) {
		const struct header_op *op = &hs->v[i];
		if (op->value == NULL || (!op->always && !normal))
			continue;
		start = b->len;
		buf_adds(b, op->name);
		buf_adds(b, ": ");
		before = b->len;
		tmpl_eval(op->value, r, b);
		if (b->len == before) {		/* empty value: not sent */
			b->len = start;
			continue;
		}
		buf_adds(b, "\r\n");
	}
}

/* Formatting a date costs more than the rest of a head, and a busy site
 * serves the same few files: remember the last one. */
static const char *
last_modified_text(time_t t)
{
	static time_t cached = -1;
	static char text[40];

	if (t != cached) {
		http_date_format(text, sizeof(text), t);
		cached = t;
	}
	return text;
}

static void
add_header_line(struct buf *b, const char *name, const char *value)
{
	buf_adds(b, name);
	buf_adds(b, value);
	buf_adds(b, "\r\n");
}

/* Serialise the status line and headers of r into b. */
void
http_build_head(struct request *r, struct buf *b)
{
	const char *reason = http_reason(r->status);
	size_t i;

	clock_update();
	buf_adds(b, "HTTP/1.1 ");
	buf_add_dec(b, r->status);
	buf_addc(b, ' ');
	if (reason != NULL)
		buf_adds(b, reason);
	else
		buf_add(b, r->reason.p, r->reason.n);
	buf_adds(b, "\r\n");
	add_header_line(b, "Server: ", server_token(r));
	add_header_line(b, "Date: ", now.http_date);
	if (r->content_type != NULL)
		add_header_line(b, "Content-Type: ", r->content_type);
	if (r->out_length >= 0 && r->status != 304 && r->status != 204) {
		buf_adds(b, "Content-Length: ");
		buf_add_dec(b, r->out_length);
		buf_adds(b, "\r\n");
	}
	if (r->last_modified >= 0)
		add_header_line(b, "Last-Modified: ",
		    last_modified_text(r->last_modified));
	buf_adds(b, r->status == 101 ? "Connection: upgrade\r\n" : r->keepalive ?
	    "Connection: keep-alive\r\n" : "Connection: close\r\n");
	if (r->etag[0] != '\0')
		add_header_line(b, "ETag: ", r->etag);
	for (i = 0; i < r->nout; i++) {
		buf_adds(b, r->out[i].name);
		buf_adds(b, ": ");
		buf_add(b, r->out[i].value.p, r->out[i].value.n);
		buf_adds(b, "\r\n");
	}
	if (r->sc != NULL && !r->no_extra_headers)
		add_configured(r, b);
	buf_adds(b, "\r\n");
}
