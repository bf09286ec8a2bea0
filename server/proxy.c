/*
 * The proxy engine (see proxy.h).  One try: pick a server, connect (or
 * reuse a kept-alive connection), send the request head and body, read the
 * response head, then the body into a spool.  A failed try moves to the
 * next server when proxy_next_upstream allows it and the request can be
 * sent again: the body is kept while it fits in memory, and a
 * non-idempotent request is never sent twice.  When the upstream has sent
 * the whole response it is released at once (kept alive or closed), even
 * if a slow client is still reading from the spool.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "http.h"
#include "io.h"
#include "log.h"
#include "proxy.h"
#include "proxy_cache.h"
#include "proxy_parse.h"
#include "request.h"
#include "spool.h"
#include "tls.h"
#include "tmpl.h"
#include "upstream.h"
#include "upstream_state.h"
#include "wait.h"

#define READ_SIZE	16384
#define BODY_KEEP	65536		/* request body kept for a retry */
#define HEADERS_MAX	100
#define QUIET_CHECK_MS	1000		/* kept connections idle longer are
					 * checked before use */

enum state { S_CONNECT, S_HANDSHAKE, S_SEND, S_HEAD, S_BODY, S_IDLE, S_LOCK };
enum framing { F_NONE, F_LENGTH, F_CHUNKED, F_CLOSE };

struct proxy {
	struct request		*r;
	const struct proxy_io	*io;
	struct upstream		*up;
	enum proxy_phase	 phase;
	enum state		 state;
	struct proxy_cache	*cache;		/* NULL: not cached */

	/* this try */
	struct peer		*peer;
	struct peer		*tried[UPSTREAM_TRIES_MAX];
	int			 ntried;
	struct conn		 uc;		/* the upstream connection, fd -1: none */
	bool			 reused;	/* from the keep-alive cache */
	bool			 retried_stale;	/* the one transparent retry */
	bool			 sent_any;	/* a byte of this try went out */
	int64_t			 deadline;
	int64_t			 try_start;

	/* the request */
	struct buf		 head;		/* head as built once */
	struct buf		 out;		/* what this try still has to send */
	size_t			 out_pos;
	struct buf		 body;		/* request body kept for retries */
	bool			 body_kept;	/* body holds everything so far */
	bool			 body_eof;
	bool			 body_chunked;	/* sent chunked to the upstream */
	bool			 body_wait;	/* waiting for the client's body */
	bool			 continue_sent;

	/* the response */
	char			*rbuf;
	size_t			 rlen;
	struct upstream_head	 h;
	enum framing		 framing;
	long long		 left;		/* F_LENGTH bytes still due */
	struct chunked		 chunk;
	bool			 keepalive;	/* the connection may be reused */
	bool			 up_done;	/* the upstream sent everything */
	struct spool		 spool;

	/* $upstream_addr, $upstream_status, $upstream_response_time */
	struct buf		 v_addr;
	struct buf		 v_status;
	struct buf		 v_time;
};

/* Idle upstream connections of this worker (upstream keepalive). */
struct idle {
	int		 fd;
	void		*ssl;
	struct peer	*peer;
	int64_t		 since;		/* monotonic ms */
};

static struct idle idle[256];
static int nidle;

static void try_next(struct proxy *, int cond, int status);
static void pull_body(struct proxy *);
static void do_send(struct proxy *);

static void
plog(struct proxy *p, int level, int err, const char *what)
{
	struct request *r = p->r;
	const char *w;

	r->log_upstream = p->peer ? pool_printf(r->pool, "%s://%s%s",
	    r->loc->proxy->ssl ? "https" : "http", p->peer->addr,
	    r->proxy_uri ? r->proxy_uri : "") : NULL;
	/* nginx's order: "connect() failed (111: ...) while connecting ..." */
	w = err != 0 ? strstr(what, " while ") : NULL;
	if (w != NULL)
		req_log(r, level, 0, "%.*s (%d: %s)%s", (int)(w - what), what, err,
		    strerror(err), w);
	else
		req_log(r, level, err, "%s", what);
	r->log_upstream = NULL;
}

/* ---------------------------------------------------------------- keepalive */

/*
 * A kept connection to peer, into uc; false when there is none.  It must
 * have nothing to say (data or EOF: the upstream closed it or misbehaved),
 * which costs a system call to check; one used a moment ago is taken on
 * trust instead.  If the upstream closed it all the same, it closed it
 * before the request came, and the request goes once more on a new
 * connection (stale_retry).
 */
static bool
idle_take(struct peer *peer, struct conn *uc)
{
	bool trust;
	int i;

	for (i = nidle - 1; i >= 0; i--) {
		if (idle[i].peer != peer)
			continue;
		uc->fd = idle[i].fd;
		uc->ssl = idle[i].ssl;
		trust = now.mono_ms - idle[i].since < QUIET_CHECK_MS;
		idle[i] = idle[--nidle];
		if (trust || io_quiet(uc))
			return true;
		io_close(uc);
	}
	return false;
}

static void
idle_close(struct idle *e)
{
	struct conn uc = { .fd = e->fd, .ssl = e->ssl };

	io_close(&uc);
}

static void
idle_put(struct peer *peer, struct conn *uc)
{
	int i, count = 0, oldest = -1;

	for (i = 0; i < nidle; i++)
		if (idle[i].peer->up == peer->up) {
			count++;
			if (oldest < 0)
				oldest = i;
		}
	if (count >= peer->up->keepalive || nidle == (int)(sizeof(idle) / sizeof(idle[0]))) {
		if (oldest < 0) {
			io_close(uc);
			return;
		}
		idle_close(&idle[oldest]);
		memmove(&idle[oldest], &idle[oldest + 1],
		    sizeof(idle[0]) * (size_t)(nidle - oldest - 1));
		nidle--;
	}
	idle[nidle].fd = uc->fd;
	idle[nidle].ssl = uc->ssl;
	idle[nidle].peer = peer;
	idle[nidle].since = now.mono_ms;
	nidle++;
	uc->fd = -1;
	uc->ssl = NULL;
}

/* ------------------------------------------------------------ the request */

static bool
hop_by_hop(struct str name)
{
	static const char *const names[] = {
		"Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer",
		"Transfer-Encoding", "Upgrade", "Expect", "Content-Length", "Host",
	};

	return str_caseeq_any(name, names, sizeof(names) / sizeof(names[0]));
}

static bool
set_by_config(const struct header_set *hs, struct str name)
{
	size_t i;

	for (i = 0; i < hs->n; i++)
		if (str_caseeq(name, hs->v[i].name))
			return true;
	return false;
}

/* Bytes of a path that must be percent-encoded again before sending. */
static void
add_escaped(struct buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c >= 0x7f || strchr("\"#%?<>\\^`{|}", c) != NULL)
			buf_printf(b, "%%%02X", c);
		else
			buf_addc(b, (char)c);
	}
}

/*
 * The URI sent upstream.  With a URI part in proxy_pass the part of the
 * path the location matched is replaced by it; without one the request's
 * URI goes as the client sent it (or, after an internal redirect, the
 * current one).
 */
static void
upstream_uri(struct request *r, struct buf *b)
{
	const struct proxy_pass *pp = r->loc->proxy;
	const struct location *loc = r->loc;
	size_t skip;

	if (pp->uri == NULL && !r->uri_changed && r->target.n > 0 &&
	    r->target.p[0] == '/') {
		buf_add(b, r->target.p, r->target.n);
		return;
	}
	if (pp->uri == NULL)
		add_escaped(b, r->uri.p, r->uri.n);
	else {
		buf_add(b, pp->uri, pp->urilen);
		skip = loc->kind == MATCH_EXACT ? r->uri.n :
		    (loc->plen <= r->uri.n ? loc->plen : r->uri.n);
		add_escaped(b, r->uri.p + skip, r->uri.n - skip);
	}
	if (r->args.p != NULL) {
		buf_addc(b, '?');
		buf_add(b, r->args.p, r->args.n);
	}
}

/* A body is coming whose length nobody announced: chunked in HTTP/1.1, or
 * HTTP/2 DATA without content-length. */
static bool
body_length_unknown(const struct request *r)
{
	return r->chunked || (!r->body_done && r->content_length < 0);
}

static bool
wants_upgrade(const struct request *r)
{
	const struct str *c = http_header_get(r, "Connection");

	return r->version == 11 && c != NULL && str_has_token(*c, "upgrade") &&
	    http_header_get(r, "Upgrade") != NULL;
}

static void
build_head(struct proxy *p)
{
	struct request *r = p->r;
	const struct header_set *hs = &r->sc->proxy_headers;
	struct buf *b = &p->head;
	size_t i, start, before;
	const struct str *conn = http_header_get(r, "Connection");

	buf_add(b, r->method_name.p, r->method_name.n);
	buf_addc(b, ' ');
	start = b->len;
	upstream_uri(r, b);
	r->proxy_uri = pool_strndup(r->pool, b->p + start, b->len - start);
	buf_adds(b, r->sc->proxy_http_version == 10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
	if (!set_by_config(hs, STR("Host")))
		buf_printf(b, "Host: %s\r\n", r->loc->proxy->proxy_host);
	if (wants_upgrade(r)) {
		buf_printf(b, "Connection: upgrade\r\nUpgrade: %.*s\r\n",
		    (int)http_header_get(r, "Upgrade")->n, http_header_get(r, "Upgrade")->p);
	} else if (!set_by_config(hs, STR("Connection")) &&
	    (p->up->keepalive == 0 || r->sc->proxy_http_version == 10))
		buf_adds(b, "Connection: close\r\n");
	for (i = 0; i < hs->n; i++) {
		if (hs->v[i].value == NULL)
			continue;
		start = b->len;
		buf_printf(b, "%s: ", hs->v[i].name);
		before = b->len;
		tmpl_eval(hs->v[i].value, r, b);
		if (b->len == before)		/* empty: not sent, as nginx */
			b->len = start;
		else
			buf_adds(b, "\r\n");
	}
	cache_revalidation(p->cache, b);
	for (i = 0; i < r->nheaders; i++) {
		struct header *h = &r->headers[i];
		if (hop_by_hop(h->name) || set_by_config(hs, h->name) ||
		    cache_hides_header(r, h->name) ||
		    (conn != NULL && str_has_token(*conn, pool_strndup(r->pool,
		    h->name.p, h->name.n))))
			continue;
		buf_add(b, h->name.p, h->name.n);
		buf_adds(b, ": ");
		buf_add(b, h->value.p, h->value.n);
		buf_adds(b, "\r\n");
	}
	if (r->content_length >= 0 && !r->chunked)
		buf_printf(b, "Content-Length: %lld\r\n", r->content_length);
	else if (body_length_unknown(r)) {
		buf_adds(b, "Transfer-Encoding: chunked\r\n");
		p->body_chunked = true;
	}
	buf_adds(b, "\r\n");
}

/* Append body bytes to what this try sends, framed for the upstream. */
static void
queue_body(struct proxy *p, const char *data, size_t n)
{
	if (n == 0)
		return;
	if (p->body_chunked)
		buf_printf(&p->out, "%zx\r\n", n);
	buf_add(&p->out, data, n);
	if (p->body_chunked)
		buf_adds(&p->out, "\r\n");
}

/* ---------------------------------------------------------------- tries */

static void
close_upstream(struct proxy *p)
{
	if (p->uc.fd >= 0)
		io_close(&p->uc);
}

static void
release_peer(struct proxy *p)
{
	if (p->peer != NULL)
		upstream_release(p->peer);
}

static void
note_try(struct proxy *p, int status)
{
	int64_t ms = clock_mono_ms() - p->try_start;

	if (p->v_status.len > 0) {
		buf_adds(&p->v_status, ", ");
		buf_adds(&p->v_time, ", ");
	}
	if (status > 0)
		buf_add_dec(&p->v_status, status);
	else
		buf_addc(&p->v_status, '-');
	buf_printf(&p->v_time, "%lld.%03lld", (long long)(ms / 1000),
	    (long long)(ms % 1000));
}

/* This try ends without its upstream (the request body cannot be read,
 * or the answer comes from the cache). */
static void
drop_upstream(struct proxy *p)
{
	close_upstream(p);
	release_peer(p);
	p->peer = NULL;
}

static void
fail(struct proxy *p, int status)
{
	p->r->status = status;
	p->phase = PX_ERROR;
	p->state = S_IDLE;
}

/* The answer comes from the cache after all (a stale or revalidated
 * entry): the upstream is done with. */
static void
cached(struct proxy *p)
{
	drop_upstream(p);
	p->phase = PX_CACHED;
	p->state = S_IDLE;
}

/* No answer from any upstream: a stale entry may do, else status. */
static void
give_up(struct proxy *p, int cond, int status)
{
	if (cache_failed(p->cache, cond) == CACHE_SERVED)
		cached(p);
	else
		fail(p, status);
}

static bool
idempotent(const struct request *r)
{
	switch (r->method) {
	case M_GET: case M_HEAD: case M_PUT: case M_DELETE: case M_OPTIONS:
	case M_TRACE:
		return true;
	default:
		return false;
	}
}

static bool
may_resend(const struct proxy *p)
{
	const struct request *r = p->r;

	if (!p->body_kept)
		return false;
	return !p->sent_any || idempotent(r) ||
	    (r->sc->proxy_next_upstream & NEXT_NON_IDEMPOTENT);
}

/* What a try sends: the head and the body kept so far. */
static void
prepare_out(struct proxy *p)
{
	p->out.len = 0;
	p->out_pos = 0;
	buf_add(&p->out, p->head.p, p->head.len);
	queue_body(p, p->body.p, p->body.len);
	if (p->body_eof && p->body_chunked)
		buf_adds(&p->out, "0\r\n\r\n");
	p->sent_any = false;
	p->rlen = 0;
}

static int
connect_peer(struct proxy *p)
{
	int fd, one = 1;

	fd = socket(p->peer->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&p->peer->ss, p->peer->len) != 0 &&
	    errno != EINPROGRESS) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	p->uc.fd = fd;
	p->uc.ssl = NULL;
	return 0;
}

/* Take what the client already sent of the body behind the head, so that
 * a small request goes upstream in one write. */
static void
gather_body(struct proxy *p)
{
	size_t len;

	do {
		len = p->out.len;
		pull_body(p);
	} while (p->phase == PX_WORKING && !p->body_eof && !p->body_wait &&
	    p->out.len > len && p->out.len < BODY_KEEP);
}

static void
start_try(struct proxy *p)
{
	struct request *r = p->r;

	p->peer = upstream_pick(r, p->up, p->tried, p->ntried);
	if (p->peer == NULL) {
		req_log(r, LV_ERROR, 0, "no live upstreams while connecting to "
		    "upstream \"%s\"", p->up->name);
		if (p->v_addr.len > 0)
			buf_adds(&p->v_addr, ", ");
		buf_adds(&p->v_addr, p->up->name);
		give_up(p, NEXT_ERROR, 502);
		return;
	}
	p->tried[p->ntried++] = p->peer;
	if (p->v_addr.len > 0)
		buf_adds(&p->v_addr, ", ");
	buf_adds(&p->v_addr, p->peer->addr);
	p->try_start = clock_mono_ms();
	prepare_out(p);
	gather_body(p);
	if (p->phase != PX_WORKING)
		return;
	p->reused = idle_take(p->peer, &p->uc);
	if (p->reused) {
		/* A kept connection takes the request at once: no poll first. */
		p->state = S_SEND;
		p->deadline = p->try_start + r->sc->proxy_send_timeout;
		do_send(p);
		return;
	}
	if (connect_peer(p) != 0) {
		plog(p, LV_ERROR, errno, "connect() failed while connecting to upstream");
		try_next(p, NEXT_ERROR, 502);
		return;
	}
	p->state = S_CONNECT;
	p->deadline = p->try_start + r->sc->proxy_connect_timeout;
}

/* A kept-alive connection failed before answering: the upstream closed it
 * while it sat idle.  Try once more on a new connection to the same server,
 * without counting a failure. */
static bool
stale_retry(struct proxy *p)
{
	if (!p->reused || p->retried_stale || p->rlen > 0 || !p->body_kept)
		return false;
	p->retried_stale = true;
	close_upstream(p);
	prepare_out(p);
	p->reused = false;
	if (connect_peer(p) != 0)
		return false;
	p->state = S_CONNECT;
	p->deadline = clock_mono_ms() + p->r->sc->proxy_connect_timeout;
	return true;
}

/*
 * The try failed on cond (NEXT_ERROR, NEXT_TIMEOUT or NEXT_HTTP_*): count
 * the failure, then move on to another server or answer with status.
 */
static void
try_next(struct proxy *p, int cond, int status)
{
	struct request *r = p->r;

	note_try(p, cond & (NEXT_ERROR | NEXT_TIMEOUT) ? status : p->h.status);
	if (p->peer != NULL)
		upstream_failed(r, p->peer);
	close_upstream(p);
	release_peer(p);
	p->peer = NULL;
	if ((r->sc->proxy_next_upstream & cond) && may_resend(p) &&
	    p->ntried < (int)p->up->npeers && p->ntried < UPSTREAM_TRIES_MAX) {
		start_try(p);
		return;
	}
	give_up(p, cond, status);
}

/* ---------------------------------------------------------------- sending */

/* Take more of the client's body into what this try sends. */
static void
pull_body(struct proxy *p)
{
	char chunk[READ_SIZE];
	size_t n = 0;

	p->body_wait = false;
	if (p->body_eof)
		return;
	if (!p->continue_sent && p->r->expect_continue && p->io->send_continue) {
		p->io->send_continue(p->r);
		p->continue_sent = true;
	}
	switch (p->io->read_body(p->r, chunk, sizeof(chunk), &n)) {
	case RB_DATA:
		break;
	case RB_WAIT:
		p->body_wait = true;
		return;
	case RB_END:
		p->body_eof = true;
		if (p->body_chunked)
			buf_adds(&p->out, "0\r\n\r\n");
		return;
	case RB_TOO_LARGE:
		drop_upstream(p);
		fail(p, 413);
		return;
	case RB_INVALID:
		drop_upstream(p);
		fail(p, 400);
		return;
	case RB_GONE:
		drop_upstream(p);
		p->phase = PX_ABORT;
		p->state = S_IDLE;
		return;
	}
	if (p->body_kept && p->body.len + n <= BODY_KEEP)
		buf_add(&p->body, chunk, n);
	else {
		p->body_kept = false;	/* too large to send again */
		p->body.len = 0;
	}
	queue_body(p, chunk, n);
}

static void
do_send(struct proxy *p)
{
	ssize_t n;

	for (;;) {
		if (p->out_pos == p->out.len) {
			p->out.len = p->out_pos = 0;
			pull_body(p);
			if (p->phase != PX_WORKING)
				return;
			if (p->out.len == 0) {
				if (p->body_eof) {
					p->state = S_HEAD;
					p->deadline = clock_mono_ms() +
					    p->r->sc->proxy_read_timeout;
				}
				return;
			}
		}
		n = io_write(&p->uc, p->out.p + p->out_pos, p->out.len - p->out_pos);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			if (stale_retry(p))
				return;
			plog(p, LV_ERROR, errno, "send() failed while sending request "
			    "to upstream");
			try_next(p, NEXT_ERROR, 502);
			return;
		}
		p->sent_any = true;
		p->out_pos += (size_t)n;
		p->deadline = clock_mono_ms() + p->r->sc->proxy_send_timeout;
	}
}

/* TLS to an https:// upstream, with SNI and (proxy_ssl_verify) a checked
 * certificate. */
static void
handshake(struct proxy *p)
{
	const struct proxy_pass *pp = p->r->loc->proxy;
	const char *why = NULL;
	int rc = tls_connect(&p->uc, pp->ssl_ctx, pp->ssl_name, &why);

	if (rc == 0)
		return;			/* wait for p->uc.want */
	if (rc < 0) {
		plog(p, LV_ERROR, 0, pool_printf(p->r->pool, "SSL handshake with "
		    "upstream failed: %s", why ? why : "error"));
		try_next(p, NEXT_ERROR, 502);
		return;
	}
	p->state = S_SEND;
	p->deadline = clock_mono_ms() + p->r->sc->proxy_send_timeout;
	do_send(p);
}

static void
on_connect(struct proxy *p)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(p->uc.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err != 0) {
		plog(p, LV_ERROR, err, "connect() failed while connecting to upstream");
		try_next(p, NEXT_ERROR, 502);
		return;
	}
	if (p->r->loc->proxy->ssl_ctx != NULL) {
		p->state = S_HANDSHAKE;
		handshake(p);
		return;
	}
	p->state = S_SEND;
	p->deadline = clock_mono_ms() + p->r->sc->proxy_send_timeout;
	do_send(p);
}

/* ------------------------------------------------------- the response head */

static void
choose_framing(struct proxy *p)
{
	struct upstream_head *h = &p->h;
	struct request *r = p->r;

	p->keepalive = h->version == 11 && !h->conn_close && p->up->keepalive > 0 &&
	    r->sc->proxy_http_version == 11;
	if (r->method == M_HEAD || h->status == 204 || h->status == 304 ||
	    h->status < 200) {
		p->framing = F_NONE;
	} else if (h->chunked) {
		p->framing = F_CHUNKED;
		memset(&p->chunk, 0, sizeof(p->chunk));
	} else if (h->content_length >= 0 && !h->close_delimited) {
		p->framing = F_LENGTH;
		p->left = h->content_length;
	} else {
		p->framing = F_CLOSE;
		p->keepalive = false;
	}
}

/* The response completed: hand the connection back, count the success. */
static void
upstream_complete(struct proxy *p)
{
	int64_t ms = clock_mono_ms() - p->try_start;

	p->up_done = true;
	cache_complete(p->cache);
	note_try(p, p->h.status);
	upstream_succeeded(p->peer, ms);
	if (p->keepalive && p->uc.fd >= 0)
		idle_put(p->peer, &p->uc);
	close_upstream(p);
	release_peer(p);
	p->peer = NULL;
	p->state = S_IDLE;
}

static int
next_http_cond(int status)
{
	switch (status) {
	case 500: return NEXT_HTTP_500;
	case 502: return NEXT_HTTP_502;
	case 503: return NEXT_HTTP_503;
	case 504: return NEXT_HTTP_504;
	case 404: return NEXT_HTTP_404;
	default:  return 0;
	}
}

static void body_bytes(struct proxy *, char *, size_t);

static void
got_head(struct proxy *p)
{
	struct request *r = p->r;
	size_t rest;
	int cond;

	/* Interim responses (100 Continue, 103 Early Hints) are dropped. */
	if (p->h.status < 200 && p->h.status != 101) {
		rest = p->rlen - p->h.len;
		memmove(p->rbuf, p->rbuf + p->h.len, rest);
		p->rlen = rest;
		return;
	}
	cond = next_http_cond(p->h.status);
	if (cond && (r->sc->proxy_next_upstream & cond) && may_resend(p) &&
	    p->ntried < (int)p->up->npeers && p->ntried < UPSTREAM_TRIES_MAX) {
		try_next(p, cond, p->h.status);
		return;
	}
	switch (p->h.status == 101 ? CACHE_PASS : cache_head(p->cache, &p->h,
	    p->rbuf)) {
	case CACHE_SERVED:
		note_try(p, p->h.status);
		cached(p);
		return;
	case CACHE_ERROR:
		note_try(p, p->h.status);
		drop_upstream(p);
		fail(p, 502);
		return;
	default:
		break;
	}
	if (p->h.status == 101) {
		if (!wants_upgrade(r)) {
			plog(p, LV_ERROR, 0, "upstream sent 101 without an upgrade request");
			try_next(p, NEXT_ERROR, 502);
			return;
		}
		proxy_head_adopt(r, &p->h);
		http_add_header(r, "Upgrade", *http_header_get(r, "Upgrade"));
		note_try(p, 101);
		p->phase = PX_HEAD;
		p->state = S_IDLE;
		return;
	}
	proxy_head_adopt(r, &p->h);
	choose_framing(p);
	p->phase = PX_HEAD;
	p->state = S_BODY;
	p->deadline = clock_mono_ms() + r->sc->proxy_read_timeout;
	rest = p->rlen - p->h.len;
	p->rlen = 0;
	if (p->framing == F_NONE && rest > 0)
		p->keepalive = false;	/* bytes where none may be */
	if (p->framing == F_NONE)
		upstream_complete(p);
	else if (rest > 0)
		body_bytes(p, p->rbuf + p->h.len, rest);
}

static void
read_head(struct proxy *p)
{
	struct request *r = p->r;
	size_t cap = (size_t)r->sc->proxy_buffer_size;
	ssize_t n;
	int rc;

	for (;;) {
		n = io_read(&p->uc, p->rbuf + p->rlen, cap - p->rlen);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			if (stale_retry(p))
				return;
			plog(p, LV_ERROR, errno, "recv() failed while reading response "
			    "header from upstream");
			try_next(p, NEXT_ERROR, 502);
			return;
		}
		if (n == 0) {
			if (stale_retry(p))
				return;
			plog(p, LV_ERROR, 0, "upstream prematurely closed connection "
			    "while reading response header from upstream");
			try_next(p, NEXT_ERROR, 502);
			return;
		}
		p->rlen += (size_t)n;
		p->deadline = clock_mono_ms() + r->sc->proxy_read_timeout;
		rc = proxy_parse_head(p->rbuf, p->rlen, &p->h, HEADERS_MAX);
		if (rc < 0) {
			plog(p, LV_ERROR, 0, "upstream sent invalid header while reading "
			    "response header from upstream");
			try_next(p, NEXT_ERROR, 502);
			return;
		}
		if (rc == 0) {
			got_head(p);
			if (p->phase != PX_WORKING || p->state != S_HEAD)
				return;
			continue;	/* an interim response was skipped */
		}
		if (p->rlen == cap) {
			plog(p, LV_ERROR, 0, "upstream sent too big header while reading "
			    "response header from upstream");
			try_next(p, NEXT_ERROR, 502);
			return;
		}
	}
}

/* ---------------------------------------------------------- the response body */

static void
truncated(struct proxy *p, const char *why)
{
	plog(p, LV_ERROR, 0, why);
	note_try(p, p->h.status);
	upstream_failed(p->r, p->peer);
	close_upstream(p);
	release_peer(p);
	p->peer = NULL;
	if (p->phase == PX_HEAD)	/* nothing went to the client yet */
		fail(p, 502);
	else {
		p->phase = PX_ABORT;
		p->state = S_IDLE;
	}
}

/* Raw bytes from the upstream: decode the framing, spool the payload. */
static void
body_bytes(struct proxy *p, char *data, size_t n)
{
	size_t used;
	long got;

	switch (p->framing) {
	case F_LENGTH:
		if ((long long)n > p->left) {
			plog(p, LV_WARN, 0, "upstream sent more data than specified in "
			    "\"Content-Length\" header");
			n = (size_t)p->left;
			p->keepalive = false;
		}
		spool_put(&p->spool, data, n);
		cache_body(p->cache, data, n);
		p->left -= (long long)n;
		if (p->left == 0)
			upstream_complete(p);
		return;
	case F_CHUNKED:
		got = chunked_decode(&p->chunk, data, n, &used);
		if (got < 0) {
			truncated(p, "upstream sent invalid chunked response");
			return;
		}
		spool_put(&p->spool, data, (size_t)got);
		cache_body(p->cache, data, (size_t)got);
		if (p->chunk.done) {
			if (used < n)
				p->keepalive = false;
			upstream_complete(p);
		}
		return;
	default:
		spool_put(&p->spool, data, n);
		cache_body(p->cache, data, n);
	}
}

static void
read_body(struct proxy *p)
{
	ssize_t n;
	size_t room;

	while (p->state == S_BODY && (room = spool_room(&p->spool)) > 0) {
		n = io_read(&p->uc, p->rbuf, room < READ_SIZE ? room : READ_SIZE);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				truncated(p, "recv() failed while reading upstream");
			return;
		}
		if (n == 0) {
			if (p->framing == F_CLOSE)
				upstream_complete(p);
			else
				truncated(p, "upstream prematurely closed connection "
				    "while reading upstream");
			return;
		}
		p->deadline = clock_mono_ms() + p->r->sc->proxy_read_timeout;
		body_bytes(p, p->rbuf, (size_t)n);
	}
}

/* ------------------------------------------------------------- interface */

static struct proxy *
engine(struct request *r, const struct proxy_io *io, struct proxy_cache *pc)
{
	struct proxy *p;
	size_t cap = (size_t)r->sc->proxy_buffer_size;

	p = pool_zalloc(r->pool, sizeof(*p));
	p->r = r;
	p->io = io;
	p->up = r->loc->proxy->up;
	p->cache = pc;
	p->uc.fd = -1;
	p->phase = PX_WORKING;
	p->body_kept = true;
	p->body_eof = r->body_done;
	p->rbuf = malloc(cap > READ_SIZE ? cap : READ_SIZE);
	if (p->rbuf == NULL) {
		cache_end(pc);
		return NULL;
	}
	p->h.headers = pool_alloc(r->pool, sizeof(*p->h.headers) * HEADERS_MAX);
	spool_init(&p->spool, r->sc->proxy_buffering);
	r->proxy = p;
	return p;
}

/* The request for the upstream, and the first try. */
static void
begin(struct proxy *p)
{
	build_head(p);
	start_try(p);
}

int
proxy_start(struct request *r, const struct proxy_io *io)
{
	struct proxy_cache *pc;
	struct proxy *p;
	enum cache_step step;

	if (body_length_unknown(r) && r->sc->proxy_http_version == 10) {
		req_log(r, LV_ERROR, 0, "a chunked request body cannot be sent to an "
		    "HTTP/1.0 upstream (set proxy_http_version = \"1.1\")");
		return 411;
	}
	r->proxy_host = r->loc->proxy->proxy_host;
	if ((step = cache_start(r, &pc)) == CACHE_SERVED)
		return 0;
	if ((p = engine(r, io, pc)) == NULL)
		return 500;
	if (step == CACHE_WAIT)
		p->state = S_LOCK;
	else
		begin(p);
	return 0;
}

/* proxy_cache_lock: look again whether the entry came. */
static void
lock_wait(struct proxy *p)
{
	if (clock_mono_ms() < cache_recheck_at(p->cache))
		return;
	switch (cache_recheck(p->cache)) {
	case CACHE_SERVED:
		cached(p);
		break;
	case CACHE_PASS:
		begin(p);
		break;
	default:
		break;
	}
}

static enum body_read
no_body(struct request *r, char *buf, size_t n, size_t *got)
{
	return RB_END;
}

/*
 * After a stale answer went out (proxy_cache_background_update): fetch
 * the entry again, with no client to answer, so the next request finds
 * it fresh.
 */
void
proxy_background(struct request *r)
{
	static const struct proxy_io no_client = { no_body, NULL };
	struct proxy_cache *pc = r->cache_update;
	struct proxy *p;
	struct pollfd pfd;
	enum proxy_phase ph;
	const char *data;
	size_t n;
	int64_t deadline;

	if (pc == NULL)
		return;
	r->cache_update = NULL;
	cache_update_begin(pc);
	if ((p = engine(r, &no_client, pc)) == NULL)
		return;
	begin(p);
	while ((ph = proxy_phase(p)) == PX_WORKING || ph == PX_HEAD || ph == PX_BODY) {
		proxy_head_sent(p);
		while ((n = proxy_data(p, &data)) > 0)
			proxy_consume(p, n);
		if (proxy_phase(p) != ph)
			continue;
		proxy_events(p, &pfd);
		deadline = proxy_deadline(p);
		wait_poll(&pfd, 1, deadline ? deadline - clock_mono_ms() : 1000,
		    WAIT_BUSY);
		proxy_step(p, pfd.fd >= 0 ? pfd.revents : 0);
	}
	proxy_end(p);
}

void
proxy_events(const struct proxy *p, struct pollfd *pfd)
{
	short want = p->uc.ssl != NULL ? p->uc.want : 0;	/* TLS may need both */

	pfd->fd = -1;
	pfd->events = 0;
	if (p->uc.fd < 0)
		return;		/* also while waiting for the cache lock */
	switch (p->state) {
	case S_CONNECT:
		pfd->events = POLLOUT;
		break;
	case S_HANDSHAKE:
		pfd->events = want ? want : POLLIN;
		break;
	case S_SEND:
		/* Also read: an upstream may answer before taking the body. */
		pfd->events = POLLIN | want | (p->out_pos < p->out.len ? POLLOUT : 0);
		if (p->out_pos == p->out.len && p->body_wait)
			pfd->events = POLLIN;
		break;
	case S_HEAD:
		pfd->events = POLLIN | want;
		break;
	case S_BODY:
		if (spool_room(&p->spool) > 0)
			pfd->events = POLLIN | want;
		break;
	default:
		return;
	}
	if (pfd->events != 0)
		pfd->fd = p->uc.fd;
}

bool
proxy_wants_body(const struct proxy *p)
{
	return p->phase == PX_WORKING && p->state == S_SEND && p->body_wait;
}

int64_t
proxy_deadline(const struct proxy *p)
{
	if (p->state == S_LOCK)
		return cache_recheck_at(p->cache);
	if (p->uc.fd < 0 || p->state == S_IDLE ||
	    (p->state == S_BODY && spool_room(&p->spool) == 0) || proxy_wants_body(p))
		return 0;
	return p->deadline;
}

static void
timed_out(struct proxy *p)
{
	switch (p->state) {
	case S_CONNECT:
	case S_HANDSHAKE:
		plog(p, LV_ERROR, ETIMEDOUT, "upstream timed out while connecting to "
		    "upstream");
		try_next(p, NEXT_TIMEOUT, 504);
		break;
	case S_SEND:
		plog(p, LV_ERROR, ETIMEDOUT, "upstream timed out while sending request "
		    "to upstream");
		try_next(p, NEXT_TIMEOUT, 504);
		break;
	case S_HEAD:
		plog(p, LV_ERROR, ETIMEDOUT, "upstream timed out while reading "
		    "response header from upstream");
		try_next(p, NEXT_TIMEOUT, 504);
		break;
	default:
		truncated(p, "upstream timed out while reading upstream");
	}
}

void
proxy_step(struct proxy *p, short revents)
{
	if (p->phase != PX_WORKING && p->phase != PX_HEAD && p->phase != PX_BODY)
		return;
	if (p->state == S_LOCK) {
		lock_wait(p);
		return;
	}
	if (revents == 0 && p->deadline != 0 && proxy_deadline(p) != 0 &&
	    clock_mono_ms() >= p->deadline) {
		timed_out(p);
		return;
	}
	switch (p->state) {
	case S_CONNECT:
		if (revents)
			on_connect(p);
		break;
	case S_HANDSHAKE:
		handshake(p);
		break;
	case S_SEND:
		if (revents & (POLLIN | POLLHUP | POLLERR)) {
			/* An early answer: stop sending, read it. */
			p->state = S_HEAD;
			p->body_wait = false;
			read_head(p);
			break;
		}
		do_send(p);	/* then wait: the answer is not there yet */
		break;
	case S_HEAD:
		read_head(p);
		break;
	case S_BODY:
		read_body(p);
		break;
	default:
		break;
	}
}

enum proxy_phase
proxy_phase(const struct proxy *p)
{
	if (p->phase == PX_BODY && p->up_done && spool_empty(&p->spool))
		return PX_DONE;
	return p->phase;
}

void
proxy_head_sent(struct proxy *p)
{
	if (p->phase == PX_HEAD)
		p->phase = p->h.status == 101 ? PX_TUNNEL : PX_BODY;
}

size_t
proxy_data(struct proxy *p, const char **data)
{
	size_t n = spool_get(&p->spool, data);

	/* The client drained the spool: read on without waiting for poll. */
	if (n == 0 && p->state == S_BODY && spool_room(&p->spool) > 0) {
		read_body(p);
		n = spool_get(&p->spool, data);
	}
	return n;
}

/* Body bytes are buffered for the client, in memory or in the file. */
bool
proxy_pending(const struct proxy *p)
{
	return !spool_empty(&p->spool);
}

void
proxy_consume(struct proxy *p, size_t n)
{
	spool_take(&p->spool, n);
}

void
proxy_client_gone(struct proxy *p)
{
	if (p->peer != NULL) {
		plog(p, LV_INFO, 0, "client closed connection while waiting for "
		    "upstream");
		note_try(p, 0);
	}
	close_upstream(p);
	release_peer(p);
	p->peer = NULL;
	p->phase = PX_ABORT;
	p->state = S_IDLE;
}

/* After 101: the upstream connection for the tunnel (the caller closes it
 * with io_close), with any bytes that came after the head. */
void
proxy_tunnel(struct proxy *p, struct conn *uc, const char **early, size_t *nearly)
{
	*uc = p->uc;
	*early = p->rbuf + p->h.len;
	*nearly = p->rlen - p->h.len;
	p->uc.fd = -1;
	p->uc.ssl = NULL;
}

void
proxy_end(struct proxy *p)
{
	struct request *r = p->r;

	cache_end(p->cache);
	if (p->phase == PX_ABORT && p->peer != NULL)
		note_try(p, 0);
	close_upstream(p);
	release_peer(p);
	p->peer = NULL;
	r->upstream_addr = pool_strndup(r->pool, p->v_addr.p ? p->v_addr.p : "",
	    p->v_addr.len);
	r->upstream_status = pool_strndup(r->pool, p->v_status.p ? p->v_status.p : "",
	    p->v_status.len);
	r->upstream_time = pool_strndup(r->pool, p->v_time.p ? p->v_time.p : "",
	    p->v_time.len);
	spool_free(&p->spool);
	free(p->rbuf);
	buf_free(&p->head);
	buf_free(&p->out);
	buf_free(&p->body);
	buf_free(&p->v_addr);
	buf_free(&p->v_status);
	buf_free(&p->v_time);
	r->proxy = NULL;
}
