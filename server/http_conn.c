/*
 * HTTP/1.x on one client connection: read request heads (keep-alive and
 * pipelining), discard bodies nobody reads, have responses sent
 * (http_send.c), enforce the client timeouts, close gracefully.  The worker
 * calls http_serve() once per accepted connection.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "fdcache.h"
#include "handoff.h"
#include "http.h"
#include "http1.h"
#include "io.h"
#include "limit_conn.h"
#include "log.h"
#include "proxy.h"
#include "request.h"
#include "scoreboard.h"
#include "tls.h"
#include "wait.h"

#define DISCARD_MAX	(1024 * 1024)	/* larger unread bodies close instead */

enum { READ_OK, READ_CLOSE, READ_ERROR, READ_PARKED };

enum fill_result {
	FILL_DATA,		/* more bytes in c->in */
	FILL_EOF,		/* the client closed */
	FILL_ERROR,		/* the read failed */
	FILL_TIMEOUT,
	FILL_QUIT,		/* between requests, and the worker must quit */
	FILL_SHED,		/* the master needs this worker for another */
};

/* Read more input.  wait_first skips a read that would only say EAGAIN: a
 * keep-alive client sends its next request only after reading our last
 * response.  *seen (when not NULL): the first byte read was waiting when a
 * wait applied the file change notifications (fdcache.h); over TLS, only
 * if no other record came before the data. */
static enum fill_result
fill(struct conn *c, long long timeout, enum wait_mode mode, bool wait_first,
    bool *seen)
{
	ssize_t n;
	enum wait_result w;
	unsigned long control = 0;
	bool waited = false;

	if (io_buffered(c))
		wait_first = false;	/* TLS holds bytes poll cannot see */
	c->want = POLLIN;
	for (;;) {
		if (wait_first) {
			w = io_wait(c, timeout, mode);
			if (w == WAIT_TIMEOUT)
				return FILL_TIMEOUT;
			if (w == WAIT_QUIT)
				return FILL_QUIT;
			if (w == WAIT_SHED)
				return FILL_SHED;
			wait_first = false;
			waited = wait_watched();
			control = tls_control_records();
		}
		n = io_read(c, c->in + c->in_end, c->in_cap - c->in_end);
		if (n > 0) {
			c->in_end += (size_t)n;
			if (seen != NULL)
				*seen = waited && tls_control_records() == control;
			return FILL_DATA;
		}
		if (n == 0)
			return FILL_EOF;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return FILL_ERROR;
		wait_first = true;
	}
}

static void
compact(struct conn *c)
{
	if (c->in_start == c->in_end) {
		c->in_start = c->in_end = 0;
	} else if (c->in_start > 0) {
		memmove(c->in, c->in + c->in_start, c->in_end - c->in_start);
		c->in_end -= c->in_start;
		c->in_start = 0;
	}
}

/* When to park a connection that waits this long (-1: never): only a
 * plain HTTP/1.x connection can move, and only while the keeper has room. */
static int64_t
park_time(const struct conn *c, long long delay)
{
	if (delay < 0 || c->ssl != NULL || sb->keeper_full)
		return 0;
	return now.mono_ms + delay;
}

/* Hand the connection, and what it sent of its next head, to the keeper. */
static bool
park(struct conn *c, const struct scope *sc)
{
	struct handoff h;

	memset(&h, 0, sizeof(h));
	h.id = c->id;
	h.requests = c->requests;
	h.len = (uint32_t)(c->in_end - c->in_start);
	h.idle_deadline = c->idle_deadline;
	h.head_deadline = c->head_deadline;
	h.head_start = c->head_start;
	h.header_timeout = sc->client_header_timeout;
	memcpy(&h.peer, &c->peer, sizeof(h.peer));
	h.peerlen = c->peerlen;
	memcpy(&h.local, &c->ls->ss, sizeof(h.local));
	h.locallen = c->ls->len;
	return handoff_send(HANDOFF_PARK, c->fd, &h, c->in + c->in_start) == 0;
}

/*
 * Read until a whole request head is buffered and parse it.  READ_CLOSE:
 * the client went away or idled out before sending anything; READ_ERROR:
 * r->status holds the status to answer with; READ_PARKED: the keeper has
 * the connection now.  sc holds the timeouts (the previous request's).
 * client_header_timeout bounds the whole head, as in nginx: it starts
 * with the first byte (for a new connection, at accept) and is not renewed
 * by each read; keepalive_timeout starts when the last response was sent.
 * The open-file cache is told whether the head's first byte was in the
 * socket when a wait applied the file change notifications: bytes before
 * seen_end were.
 */
static int
read_head(struct conn *c, struct request *r, const struct scope *sc)
{
	size_t scan = 0, end, seen_end = 0, before;
	int64_t park_at, until;
	enum fill_result n;
	int rc;
	bool idle, between, seen;

	compact(c);
	if (c->requests == 0 && c->head_deadline == 0) {
		c->head_deadline = now.mono_ms + sc->client_header_timeout;
		c->head_start = now.msec;
	}
	if (c->requests > 0 && c->idle_deadline == 0)
		c->idle_deadline = now.mono_ms + sc->keepalive_timeout;
	park_at = park_time(c, c->head_deadline == 0 ? sc->keepalive_park :
	    sc->client_header_park);
	for (;;) {
		while (c->in_start < c->in_end &&
		    (c->in[c->in_start] == '\r' || c->in[c->in_start] == '\n'))
			c->in_start++;
		idle = c->in_start == c->in_end;
		if (!idle) {
			end = http_head_end(c->in + c->in_start, c->in_end - c->in_start,
			    &scan);
			if (end != 0)
				break;
			if ((rc = http_head_overflow(c->in + c->in_start,
			    c->in_end - c->in_start)) != 0) {
				r->status = rc;
				return READ_ERROR;
			}
		} else {
			c->in_start = c->in_end = 0;
			scan = seen_end = 0;
		}
		between = idle && c->requests > 0 && c->head_deadline == 0;
		if (!between && c->head_deadline == 0) {	/* a head begins */
			c->head_deadline = now.mono_ms + sc->client_header_timeout;
			c->head_start = now.msec;
			park_at = park_time(c, sc->client_header_park);
		}
		sb_state(between ? SB_KEEPALIVE : SB_READ);
		sb_head(c->in_end - c->in_start, park_at != 0);
		until = between ? c->idle_deadline : c->head_deadline;
		before = c->in_end;
		n = fill(c, (park_at != 0 && park_at < until ? park_at : until) -
		    now.mono_ms, between ? WAIT_IDLE : WAIT_HEAD, between, &seen);
		if (n == FILL_DATA) {
			if (seen)
				seen_end = before + 1;
			continue;
		}
		if (n == FILL_TIMEOUT && park_at != 0 && now.mono_ms < until) {
			if (park(c, sc))
				return READ_PARKED;
			park_at = 0;		/* the keeper is full or gone */
			continue;
		}
		if (n == FILL_SHED)
			log_ctx(&(struct log_ctx){ sc->error_log, c->id, NULL }, LV_INFO,
			    0, "closing a connection of %s to make room: every "
			    "worker is busy", c->peer_text);
		if (idle || n != FILL_TIMEOUT)
			return READ_CLOSE;
		r->status = 408;
		return READ_ERROR;
	}
	sb_state(SB_WRITE);
	sb_head(0, false);
	r->start_msec = c->head_start != 0 ? c->head_start : now.msec;
	c->head_deadline = c->idle_deadline = c->head_start = 0;
	fdcache_request(c->in_start < seen_end);
	rc = http_parse_head(r, c->in + c->in_start, end);
	c->in_start += end;
	if (rc != 0) {
		r->status = rc;
		return READ_ERROR;
	}
	return READ_OK;
}

/* Read and drop a request body nobody consumed, so the connection can
 * carry the next request (nginx does the same, 100 Continue included).
 * 0 when done; 400 or 413 when the body is malformed or too large (the
 * answer becomes that error, as in nginx); -1 when the connection must
 * close for another reason. */
static int
discard_body(struct conn *c, struct request *r)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	size_t avail, used;
	long n;
	long long timeout = r->sc ? r->sc->client_body_timeout : 60000, sent = 0;

	if (r->expect_continue && c->in_start == c->in_end &&
	    http_send_raw(c, cont, sizeof(cont) - 1, timeout, &sent) != 0)
		return -1;
	for (;;) {
		avail = c->in_end - c->in_start;
		if (r->chunked) {
			n = chunked_decode(&r->chunk, c->in + c->in_start, avail, &used);
			if (n < 0) {
				req_log(r, LV_INFO, 0, "client sent invalid chunked body");
				return 400;
			}
			r->body_received += n;
			r->body_done = r->chunk.done;
			c->in_start += used;
		} else {
			used = avail < (size_t)r->body_left ? avail : (size_t)r->body_left;
			r->body_left -= (long long)used;
			r->body_received += (long long)used;
			c->in_start += used;
			r->body_done = r->body_left == 0;
		}
		if (r->chunked && r->sc->client_max_body_size > 0 &&
		    r->body_received > r->sc->client_max_body_size) {
			req_log(r, LV_ERROR, 0, "client intended to send too large "
			    "chunked body: %lld bytes", r->body_received);
			return 413;
		}
		if (r->body_done)
			return 0;
		if (r->body_received > DISCARD_MAX)
			return -1;
		compact(c);
		if (fill(c, timeout, WAIT_BUSY, false, NULL) != FILL_DATA)
			return -1;
	}
}

static void
request_init(struct request *r, struct conn *c, struct pool *pool)
{
	memset(r, 0, sizeof(*r));
	r->c = c;
	r->pool = pool;
	r->start_msec = now.msec;
	r->headers = pool_alloc(pool, sizeof(*r->headers) * HTTP_HEADERS_MAX);
	r->content_length = -1;
	r->out_length = -1;
	r->last_modified = -1;
	r->fd = -1;
	r->status = 0;
}

/* Settings that apply before a server is chosen come from the default
 * server of the address, as in nginx. */
static const struct scope *
default_scope(const struct conn *c)
{
	return &c->vh->def->sc;
}

static bool
closes_connection(int status)
{
	switch (status) {
	case 400: case 408: case 413: case 414: case 431: case 500: case 501:
	case 505:
		return true;
	default:
		return false;
	}
}

/* Serve one request whose head was read (or failed to parse). */
/* Keep-alive rules that hold whatever the response. */
static void
keepalive_limits(struct conn *c, struct request *r)
{
	if (wait_quit || r->sc->keepalive_timeout == 0 ||
	    c->requests >= (unsigned)r->sc->keepalive_requests)
		r->keepalive = false;
}

/* Serve one request whose head was read (or failed to parse). */
static bool
serve_one(struct conn *c, struct request *r, int rc)
{
	bool linger = false, sent = false;

	c->requests++;
	sb_set_request(r->line.p, r->line.n);
	if (rc == READ_ERROR) {
		r->keepalive = false;
		r->sc = default_scope(c);
		request_finalize(r, r->status);
	} else {
		c->body_base = c->in_start;
		r->body_left = r->content_length > 0 ? r->content_length : 0;
		r->body_done = !r->chunked && r->body_left == 0;
		request_process(r);
	}
	/* A failed proxy answers with an error page, which may proxy again. */
	while (r->proxy != NULL && !sent) {
		keepalive_limits(c, r);
		sent = http_proxy_serve(c, r);
		if (!sent)
			request_finalize(r, r->status);
	}
	if (r->status == 444) {
		access_log_write(r);
		limit_conn_release(r);
		return false;
	}
	if (!sent && closes_connection(r->status))
		r->keepalive = false;
	keepalive_limits(c, r);
	if (!r->body_done && rc == READ_OK && !c->broken) {
		int err = r->status == 413 ? -1 : discard_body(c, r);

		if (err != 0) {
			r->keepalive = false;
			linger = true;
		}
		if (err > 0 && !sent)
			request_finalize(r, err);
	}
	if (!sent)
		http_send_response(c, r);
	if (c->timed_out)
		req_log(r, LV_INFO, ETIMEDOUT, "client timed out while sending "
		    "response to client");
	access_log_write(r);
	limit_conn_release(r);
	sb_count_request();
	proxy_background(r);
	if (c->broken)
		return false;
	if (!r->keepalive) {
		if (linger || rc == READ_ERROR)
			io_linger(c);
		return false;
	}
	return true;
}

/* Serve the connection's requests until it closes or is parked.  Its
 * input buffer may already hold bytes (a connection the keeper handed
 * back), with the deadlines they came with. */
void
http_serve(struct conn *c)
{
	static struct pool pool;
	struct request r;
	const struct scope *sc = default_scope(c);
	int rc, one = 1;
	bool nodelay = false;

	if (pool.chunk_size == 0)
		pool_init(&pool, 8192);
	c->proxy_io = &http1_proxy_io;
	for (;;) {
		request_init(&r, c, &pool);
		rc = read_head(c, &r, sc);
		if (rc == READ_CLOSE || rc == READ_PARKED) {
			pool_reset(&pool);
			break;
		}
		if (!serve_one(c, &r, rc)) {
			fdcache_done();
			pool_reset(&pool);
			break;
		}
		fdcache_done();
		sc = r.sc;
		if (!nodelay && r.sc->tcp_nodelay) {
			setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			nodelay = true;
		}
		pool_reset(&pool);
	}
}
