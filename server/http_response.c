/*
 * Response heads: status lines, the headers every response carries, the
 * add_header and expires rules, and the built-in error page bodies.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "http.h"
#include "request.h"
#include "tmpl.h"
#include "var.h"

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

/* Redirect "/dir" to "/dir/", keeping the query: 301. */
int
http_add_slash(struct request *r)
{
	char *loc = pool_printf(r->pool, "%.*s/%s%.*s", (int)r->uri.n, r->uri.p,
	    r->args.p ? "?" : "", (int)r->args.n, r->args.p ? r->args.p : "");

	http_location(r, (struct str){ loc, strlen(loc) });
	return 301;
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

/* The Expires and Cache-Control pair of the expires setting. */
static void
each_expires(struct request *r, header_fn fn, void *arg)
{
	const struct expires *e = &r->sc->expires;
	char date[40], age[40];
	long long t;

	switch (e->mode) {
	case EXPIRES_OFF:
		return;
	case EXPIRES_EPOCH:
		fn(arg, "Expires", STR("Thu, 01 Jan 1970 00:00:01 GMT"));
		fn(arg, "Cache-Control", STR("no-cache"));
		return;
	case EXPIRES_MAX:
		fn(arg, "Expires", STR("Thu, 31 Dec 2037 23:55:55 GMT"));
		fn(arg, "Cache-Control", STR("max-age=315360000"));
		return;
	case EXPIRES_REL:
		t = (long long)now.sec + e->sec;
		http_date_format(date, sizeof(date), (time_t)t);
		fn(arg, "Expires", (struct str){ date, strlen(date) });
		if (e->sec < 0)
			fn(arg, "Cache-Control", STR("no-cache"));
		else {
			snprintf(age, sizeof(age), "max-age=%lld", e->sec);
			fn(arg, "Cache-Control", (struct str){ age, strlen(age) });
		}
		return;
	}
}

/* add_header and add_header_always; an empty value is not sent. */
static void
each_configured(struct request *r, header_fn fn, void *arg)
{
	static struct buf v;
	const struct header_set *hs = &r->sc->headers;
	bool normal = extra_headers_apply(r->status);
	size_t i;

	if (normal)
		each_expires(r, fn, arg);
	for (i = 0; i < hs->n; i++) {
		const struct header_op *op = &hs->v[i];
		if (op->value == NULL || (!op->always && !normal))
			continue;
		v.len = 0;
		tmpl_eval(op->value, r, &v);
		if (v.len > 0)
			fn(arg, op->name, (struct str){ v.p, v.len });
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

static struct str
cstr(const char *s)
{
	return (struct str){ s, strlen(s) };
}

/*
 * Every header of the response, in nginx's order, for HTTP/1.1 and HTTP/2
 * alike: Server, Date, Content-Type, Content-Length, Last-Modified, ETag,
 * the handler's own, then add_header and expires.  (Connection is
 * HTTP/1.1's and written by http_build_head.)
 */
void
http_each_header(struct request *r, header_fn fn, void *arg)
{
	char len[STR_DEC_MAX];
	size_t i;

	fn(arg, "Server", cstr(server_token(r)));
	fn(arg, "Date", cstr(now.http_date));	/* the time of the last wake-up */
	if (r->content_type != NULL)
		fn(arg, "Content-Type", cstr(r->content_type));
	if (r->out_length >= 0 && r->status != 304 && r->status != 204)
		fn(arg, "Content-Length", str_dec(len, r->out_length));
	if (r->last_modified >= 0)
		fn(arg, "Last-Modified", cstr(last_modified_text(r->last_modified)));
	if (r->etag[0] != '\0')
		fn(arg, "ETag", cstr(r->etag));
	for (i = 0; i < r->nout; i++)
		fn(arg, r->out[i].name, r->out[i].value);
	if (r->sc != NULL && !r->no_extra_headers)
		each_configured(r, fn, arg);
}

static void
add_line(void *arg, const char *name, struct str value)
{
	struct buf *b = arg;

	buf_adds(b, name);
	buf_adds(b, ": ");
	buf_add(b, value.p, value.n);
	buf_adds(b, "\r\n");
}

/* Serialise the status line and headers of r into b. */
void
http_build_head(struct request *r, struct buf *b)
{
	const char *reason = http_reason(r->status);

	buf_adds(b, "HTTP/1.1 ");
	buf_add_dec(b, r->status);
	buf_addc(b, ' ');
	if (reason != NULL)
		buf_adds(b, reason);
	else
		buf_add(b, r->reason.p, r->reason.n);
	buf_adds(b, "\r\n");
	buf_adds(b, r->status == 101 ? "Connection: upgrade\r\n" : r->keepalive ?
	    "Connection: keep-alive\r\n" : "Connection: close\r\n");
	http_each_header(r, add_line, b);
	buf_adds(b, "\r\n");
}
