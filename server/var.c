/*
 * The variables of portico.conf(5).  Each getter appends the value for a
 * request to a buffer; an undefined value appends nothing (the access log
 * shows it as "-").  Prefix variables ($http_NAME, $arg_NAME, $cookie_NAME,
 * $sent_http_NAME) take the rest of their name as argument.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "http.h"
#include "tls.h"
#include "var.h"

typedef void (*getter)(struct request *, struct str, struct buf *);

struct var_def {
	const char	*name;
	getter		 get;
	bool		 prefix;
};

static void
add_str(struct buf *b, struct str s)
{
	buf_add(b, s.p, s.n);
}

static void
v_host(struct request *r, struct str a, struct buf *b)
{
	if (r->host.n > 0)
		add_str(b, r->host);
	else if (r->srv != NULL)
		buf_adds(b, r->srv->first_name);
}

static void
v_hostname(struct request *r, struct str a, struct buf *b)
{
	static char name[256];

	if (name[0] == '\0' && gethostname(name, sizeof(name) - 1) != 0)
		strcpy(name, "localhost");
	buf_adds(b, name);
}

static void
v_remote_addr(struct request *r, struct str a, struct buf *b)
{
	buf_adds(b, r->c->peer_text);
}

/* The client's address as 4 (IPv4) or 16 (IPv6) bytes: a compact key for
 * limit_conn_zone. */
static void
v_binary_remote_addr(struct request *r, struct str a, struct buf *b)
{
	const struct sockaddr_storage *ss = &r->c->peer;

	if (ss->ss_family == AF_INET)
		buf_add(b, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	else if (ss->ss_family == AF_INET6)
		buf_add(b, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
}

static void
v_remote_port(struct request *r, struct str a, struct buf *b)
{
	buf_add_dec(b, r->c->peer_port);
}

static int
b64val(char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

/* The user name of "Authorization: Basic base64(user:password)". */
static void
v_remote_user(struct request *r, struct str a, struct buf *b)
{
	const struct str *h = http_header_get(r, "Authorization");
	unsigned acc = 0;
	int bits = 0, v;
	size_t i, start = b->len;

	if (h == NULL || h->n < 6 || strncasecmp(h->p, "Basic ", 6) != 0)
		return;
	for (i = 6; i < h->n && (v = b64val(h->p[i])) >= 0; i++) {
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			char c = (char)((acc >> (bits - 8)) & 0xff);
			bits -= 8;
			if (c == ':')
				return;
			buf_addc(b, c);
		}
	}
	b->len = start;		/* no colon: not a valid credential */
}

static void
conn_local(struct conn *c)
{
	if (c->locallen == 0) {
		c->locallen = sizeof(c->local);
		if (getsockname(c->fd, (struct sockaddr *)&c->local, &c->locallen) != 0)
			c->locallen = 0;
	}
}

static void
local_addr(struct request *r)
{
	conn_local(r->c);
}

int
conn_local_port(struct conn *c)
{
	struct sockaddr_storage *ss = &c->local;

	conn_local(c);
	if (c->locallen == 0)
		return -1;
	return ntohs(ss->ss_family == AF_INET ?
	    ((struct sockaddr_in *)(void *)ss)->sin_port :
	    ((struct sockaddr_in6 *)(void *)ss)->sin6_port);
}

static void
v_server_addr(struct request *r, struct str a, struct buf *b)
{
	char text[INET6_ADDRSTRLEN];
	struct sockaddr_storage *ss = &r->c->local;

	local_addr(r);
	if (r->c->locallen == 0)
		return;
	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)ss)->sin_addr,
		    text, sizeof(text));
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)ss)->sin6_addr,
		    text, sizeof(text));
	buf_adds(b, text);
}

static void
v_server_port(struct request *r, struct str a, struct buf *b)
{
	int port = conn_local_port(r->c);

	if (port > 0)
		buf_add_dec(b, port);
}

static void
v_server_name(struct request *r, struct str a, struct buf *b)
{
	if (r->srv != NULL)
		buf_adds(b, r->srv->first_name);
}

static void
v_scheme(struct request *r, struct str a, struct buf *b)
{
	buf_adds(b, r->c->ssl != NULL ? "https" : "http");
}

static void
v_https(struct request *r, struct str a, struct buf *b)
{
	if (r->c->ssl != NULL)
		buf_adds(b, "on");
}

static void
v_ssl_protocol(struct request *r, struct str a, struct buf *b)
{
	const char *s = tls_protocol(r->c);

	if (s != NULL)
		buf_adds(b, s);
}

static void
v_ssl_cipher(struct request *r, struct str a, struct buf *b)
{
	const char *s = tls_cipher(r->c);

	if (s != NULL)
		buf_adds(b, s);
}

/* "r" for a resumed session, "." otherwise, as nginx. */
static void
v_ssl_session_reused(struct request *r, struct str a, struct buf *b)
{
	int reused = tls_reused(r->c);

	if (reused >= 0)
		buf_addc(b, reused ? 'r' : '.');
}

static void
v_ssl_server_name(struct request *r, struct str a, struct buf *b)
{
	buf_adds(b, r->c->sni);
}

static void
v_request(struct request *r, struct str a, struct buf *b)
{
	add_str(b, r->line);
}

static void
v_method(struct request *r, struct str a, struct buf *b)
{
	add_str(b, r->method_name);
}

static void
v_request_uri(struct request *r, struct str a, struct buf *b)
{
	add_str(b, r->target);
}

static void
v_uri(struct request *r, struct str a, struct buf *b)
{
	add_str(b, r->uri);
}

static void
v_args(struct request *r, struct str a, struct buf *b)
{
	add_str(b, r->args);
}

static void
v_is_args(struct request *r, struct str a, struct buf *b)
{
	if (r->args.p != NULL)
		buf_addc(b, '?');
}

static void
v_server_protocol(struct request *r, struct str a, struct buf *b)
{
	buf_adds(b, r->version == 10 ? "HTTP/1.0" : r->version == 20 ? "HTTP/2.0" :
	    "HTTP/1.1");
}

/* $http_user_agent -> User-Agent.  Repeated Cookie headers join with "; ",
 * other repeated headers with ", " (RFC 9110 5.3). */
static void
v_http(struct request *r, struct str a, struct buf *b)
{
	size_t i, j, start = b->len;
	bool cookie = a.n == 6 && strncasecmp(a.p, "cookie", 6) == 0;

	for (i = 0; i < r->nheaders; i++) {
		struct str n = r->headers[i].name;
		if (n.n != a.n)
			continue;
		for (j = 0; j < n.n; j++) {
			char c = lower(n.p[j]);
			if (c != (a.p[j] == '_' ? '-' : lower(a.p[j])))
				break;
		}
		if (j != n.n)
			continue;
		if (b->len != start)
			buf_adds(b, cookie ? "; " : ", ");
		add_str(b, r->headers[i].value);
	}
}

/* The value of NAME in "a=1&NAME=2" (as sent, not decoded). */
static void
find_pair(struct str list, char sep, struct str name, struct buf *b)
{
	const char *p = list.p, *end = list.p + list.n, *e, *eq;

	while (p != NULL && p < end) {
		while (p < end && *p == ' ')
			p++;
		e = memchr(p, sep, (size_t)(end - p));
		if (e == NULL)
			e = end;
		eq = memchr(p, '=', (size_t)(e - p));
		if (eq != NULL && (size_t)(eq - p) == name.n &&
		    strncasecmp(p, name.p, name.n) == 0) {
			buf_add(b, eq + 1, (size_t)(e - eq - 1));
			return;
		}
		p = e + 1;
	}
}

static void
v_arg(struct request *r, struct str a, struct buf *b)
{
	find_pair(r->args, '&', a, b);
}

static void
v_cookie(struct request *r, struct str a, struct buf *b)
{
	struct buf all = { 0 };

	v_http(r, STR("cookie"), &all);
	find_pair((struct str){ all.p, all.len }, ';', a, b);
	buf_free(&all);
}

static void
v_sent_http(struct request *r, struct str a, struct buf *b)
{
	size_t i, j;

	for (i = 0; i < r->nout; i++) {
		const char *n = r->out[i].name;
		for (j = 0; j < a.n && n[j] != '\0'; j++)
			if (lower(n[j]) != (a.p[j] == '_' ? '-' : lower(a.p[j])))
				break;
		if (j == a.n && n[j] == '\0') {
			add_str(b, r->out[i].value);
			return;
		}
	}
	if (a.n == 12 && strncasecmp(a.p, "content_type", 12) == 0 &&
	    r->content_type != NULL)
		buf_adds(b, r->content_type);
}

static void
v_content_length(struct request *r, struct str a, struct buf *b)
{
	if (r->content_length >= 0)
		buf_add_dec(b, r->content_length);
}

static void
v_content_type(struct request *r, struct str a, struct buf *b)
{
	v_http(r, STR("content_type"), b);
}

static void
v_status(struct request *r, struct str a, struct buf *b)
{
	buf_printf(b, "%03d", r->status);
}

static void
v_body_bytes_sent(struct request *r, struct str a, struct buf *b)
{
	buf_add_dec(b, r->body_bytes_sent);
}

static void
v_bytes_sent(struct request *r, struct str a, struct buf *b)
{
	buf_add_dec(b, r->bytes_sent);
}

static void
v_request_length(struct request *r, struct str a, struct buf *b)
{
	buf_add_dec(b, (long long)r->head_len + r->body_received);
}

static void
v_request_time(struct request *r, struct str a, struct buf *b)
{
	long long ms;

	clock_update();
	ms = now.msec - r->start_msec;
	if (ms < 0)
		ms = 0;
	buf_printf(b, "%lld.%03lld", ms / 1000, ms % 1000);
}

static void
v_time_local(struct request *r, struct str a, struct buf *b)
{
	buf_adds(b, now.common_time);
}

static void
v_time_iso8601(struct request *r, struct str a, struct buf *b)
{
	buf_adds(b, now.iso8601);
}

static void
v_msec(struct request *r, struct str a, struct buf *b)
{
	clock_update();
	buf_printf(b, "%lld.%03lld", (long long)(now.msec / 1000),
	    (long long)(now.msec % 1000));
}

static void
v_connection(struct request *r, struct str a, struct buf *b)
{
	buf_add_dec(b, (long long)r->c->id);
}

static void
v_connection_requests(struct request *r, struct str a, struct buf *b)
{
	buf_add_dec(b, r->c->requests);
}

static void
v_pid(struct request *r, struct str a, struct buf *b)
{
	buf_add_dec(b, getpid());
}

static void
v_document_root(struct request *r, struct str a, struct buf *b)
{
	if (r->document_root != NULL)
		buf_adds(b, r->document_root);
}

static void
v_request_filename(struct request *r, struct str a, struct buf *b)
{
	if (r->filename != NULL)
		buf_adds(b, r->filename);
}

/* $proxy_add_x_forwarded_for: the incoming X-Forwarded-For, then ", ",
 * then $remote_addr; just $remote_addr without one. */
static void
v_proxy_add_xff(struct request *r, struct str a, struct buf *b)
{
	size_t start = b->len;

	v_http(r, STR("x_forwarded_for"), b);
	if (b->len != start)
		buf_adds(b, ", ");
	buf_adds(b, r->c->peer_text);
}

static void
v_proxy_host(struct request *r, struct str a, struct buf *b)
{
	if (r->proxy_host != NULL)
		buf_adds(b, r->proxy_host);
}

static void
v_upstream_addr(struct request *r, struct str a, struct buf *b)
{
	if (r->upstream_addr != NULL)
		buf_adds(b, r->upstream_addr);
}

static void
v_upstream_status(struct request *r, struct str a, struct buf *b)
{
	if (r->upstream_status != NULL)
		buf_adds(b, r->upstream_status);
}

static void
v_upstream_response_time(struct request *r, struct str a, struct buf *b)
{
	if (r->upstream_time != NULL)
		buf_adds(b, r->upstream_time);
}

static void
v_upstream_cache_status(struct request *r, struct str a, struct buf *b)
{
	if (r->cache_status != NULL)
		buf_adds(b, r->cache_status);
}

static void
v_capture(struct request *r, struct str a, struct buf *b)
{
	int i = a.p[0] - '0';
	struct regex_caps *c = &r->caps;

	if (i < c->n && c->ovec[2 * i] != (size_t)-1)
		buf_add(b, c->subject + c->ovec[2 * i],
		    c->ovec[2 * i + 1] - c->ovec[2 * i]);
}

static const struct var_def vars[] = {
	{ "host", v_host, false },
	{ "hostname", v_hostname, false },
	{ "remote_addr", v_remote_addr, false },
	{ "binary_remote_addr", v_binary_remote_addr, false },
	{ "remote_port", v_remote_port, false },
	{ "remote_user", v_remote_user, false },
	{ "server_addr", v_server_addr, false },
	{ "server_port", v_server_port, false },
	{ "server_name", v_server_name, false },
	{ "server_protocol", v_server_protocol, false },
	{ "scheme", v_scheme, false },
	{ "https", v_https, false },
	{ "request", v_request, false },
	{ "request_method", v_method, false },
	{ "request_uri", v_request_uri, false },
	{ "uri", v_uri, false },
	{ "document_uri", v_uri, false },
	{ "args", v_args, false },
	{ "query_string", v_args, false },
	{ "is_args", v_is_args, false },
	{ "content_length", v_content_length, false },
	{ "content_type", v_content_type, false },
	{ "document_root", v_document_root, false },
	{ "request_filename", v_request_filename, false },
	{ "proxy_host", v_proxy_host, false },
	{ "proxy_add_x_forwarded_for", v_proxy_add_xff, false },
	{ "status", v_status, false },
	{ "body_bytes_sent", v_body_bytes_sent, false },
	{ "bytes_sent", v_bytes_sent, false },
	{ "request_length", v_request_length, false },
	{ "request_time", v_request_time, false },
	{ "time_local", v_time_local, false },
	{ "time_iso8601", v_time_iso8601, false },
	{ "msec", v_msec, false },
	{ "upstream_addr", v_upstream_addr, false },
	{ "upstream_status", v_upstream_status, false },
	{ "upstream_response_time", v_upstream_response_time, false },
	{ "upstream_cache_status", v_upstream_cache_status, false },
	{ "ssl_protocol", v_ssl_protocol, false },
	{ "ssl_cipher", v_ssl_cipher, false },
	{ "ssl_session_reused", v_ssl_session_reused, false },
	{ "ssl_server_name", v_ssl_server_name, false },
	{ "connection", v_connection, false },
	{ "connection_requests", v_connection_requests, false },
	{ "pid", v_pid, false },
	{ "http_", v_http, true },
	{ "arg_", v_arg, true },
	{ "cookie_", v_cookie, true },
	{ "sent_http_", v_sent_http, true },
};

#define NVARS	(sizeof(vars) / sizeof(vars[0]))
#define VAR_CAPTURE	((int)NVARS)

int
var_lookup(const char *name, size_t len, struct str *arg)
{
	size_t i, n;

	if (len == 1 && name[0] >= '0' && name[0] <= '9') {
		*arg = (struct str){ name, 1 };
		return VAR_CAPTURE;
	}
	for (i = 0; i < NVARS; i++) {
		n = strlen(vars[i].name);
		if (vars[i].prefix ? (len > n && strncmp(name, vars[i].name, n) == 0) :
		    (len == n && strncmp(name, vars[i].name, n) == 0)) {
			*arg = vars[i].prefix ? (struct str){ name + n, len - n } :
			    STR_NULL;
			return (int)i;
		}
	}
	return -1;
}

void
var_eval(int var, struct str arg, struct request *r, struct buf *b)
{
	if (var == VAR_CAPTURE)
		v_capture(r, arg, b);
	else
		vars[var].get(r, arg, b);
}

/* For the access log: nginx's log escaping (buf_escape_from), an empty
 * value written as "-". */
void
var_eval_log(int var, struct str arg, struct request *r, struct buf *b)
{
	size_t start = b->len;

	var_eval(var, arg, r, b);
	if (b->len == start)
		buf_addc(b, '-');
	else
		buf_escape_from(b, start);
}
