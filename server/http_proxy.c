/*
 * A proxied request on an HTTP/1.x client connection: feeds the engine
 * (proxy.c) the request body from the connection, watches for the client
 * going away, writes the response head and body as they come (compressed
 * as they come when gzip applies; chunked to HTTP/1.1 clients when the
 * length is unknown, close-delimited to HTTP/1.0 ones), and after a 101
 * relays bytes both ways until either side closes.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "gzip.h"
#include "http.h"
#include "http1.h"
#include "io.h"
#include "log.h"
#include "proxy.h"
#include "request.h"
#include "scoreboard.h"
#include "wait.h"

#define OUT_HIGH	32768	/* framed bytes queued for the client at most */
#define TUNNEL_BUF	16384

/* The body bytes in the input buffer, then from the socket. */
static enum body_read
read_body(struct request *r, char *buf, size_t n, size_t *got)
{
	struct conn *c = r->c;
	size_t avail, take, used;
	long k;

	for (;;) {
		if (r->body_done)
			return RB_END;
		avail = c->in_end - c->in_start;
		if (avail == 0) {
			c->in_start = c->in_end = c->body_base;
			k = io_read(c, c->in + c->in_end, c->in_cap - c->in_end);
			if (k == 0)
				return RB_GONE;
			if (k < 0)
				return errno == EAGAIN || errno == EINTR ? RB_WAIT : RB_GONE;
			c->in_end += (size_t)k;
			avail = (size_t)k;
		}
		take = avail < n ? avail : n;
		if (r->chunked) {
			k = chunked_decode(&r->chunk, c->in + c->in_start, take, &used);
			if (k < 0)
				return RB_INVALID;
			memmove(buf, c->in + c->in_start, (size_t)k);
			c->in_start += used;
			r->body_done = r->chunk.done;
		} else {
			if ((long long)take > r->body_left)
				take = (size_t)r->body_left;
			memcpy(buf, c->in + c->in_start, take);
			c->in_start += take;
			r->body_left -= (long long)take;
			r->body_done = r->body_left == 0;
			k = (long)take;
		}
		r->body_received += k;
		if (r->sc->client_max_body_size > 0 &&
		    r->body_received > r->sc->client_max_body_size)
			return RB_TOO_LARGE;
		if (k > 0) {
			*got = (size_t)k;
			return RB_DATA;
		}
	}
}

static void
send_continue(struct request *r)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	struct conn *c = r->c;
	long long sent = 0;

	if (c->in_start == c->in_end)
		http_send_raw(c, cont, sizeof(cont) - 1, r->sc->send_timeout, &sent);
}

const struct proxy_io http1_proxy_io = { read_body, send_continue };

/* Run the engine until the response head is known, or it failed. */
static void
await_head(struct conn *c, struct request *r, struct proxy *p)
{
	struct pollfd pfd[2];
	int64_t now_ms, deadline, body_deadline = 0;
	bool watch_client = true;
	int n;
	enum wait_result rc;

	while (proxy_phase(p) == PX_WORKING) {
		proxy_events(p, &pfd[0]);
		n = 1;
		pfd[1] = (struct pollfd){ c->fd, 0, 0 };
		if (proxy_wants_body(p)) {
			pfd[1].events = POLLIN;
			if (body_deadline == 0)
				body_deadline = clock_mono_ms() + r->sc->client_body_timeout;
		} else {
			body_deadline = 0;
			if (watch_client)
				pfd[1].events = POLLRDHUP;
		}
		if (pfd[1].events)
			n = 2;
		now_ms = clock_mono_ms();
		deadline = proxy_deadline(p);
		if (body_deadline && (deadline == 0 || body_deadline < deadline))
			deadline = body_deadline;
		if (proxy_wants_body(p) && io_buffered(c))
			deadline = now_ms;	/* TLS holds body bytes already */
		rc = wait_poll(pfd, (nfds_t)n, deadline ? deadline - now_ms : 3600000,
		    WAIT_BUSY);
		if (n == 2 && (pfd[1].revents & (POLLRDHUP | POLLHUP | POLLERR)) &&
		    !proxy_wants_body(p)) {
			if (io_closed(c)) {
				proxy_client_gone(p);
				return;
			}
			watch_client = false;	/* pipelined bytes, then FIN */
		}
		if (rc == WAIT_TIMEOUT && body_deadline && clock_mono_ms() >= body_deadline) {
			req_log(r, LV_INFO, 0, "client timed out while sending the "
			    "request body");
			proxy_client_gone(p);
			r->status = 408;
			return;
		}
		proxy_step(p, pfd[0].fd >= 0 ? pfd[0].revents : 0);
	}
}

/* Frame body bytes for the client into c->out. */
static void
frame(struct conn *c, bool chunked, const char *data, size_t n)
{
	if (chunked)
		buf_printf(&c->out, "%zx\r\n", n);
	buf_add(&c->out, data, n);
	if (chunked)
		buf_adds(&c->out, "\r\n");
}

/* Body bytes for the client into c->out, through the compressor when
 * gzip applies; false when zlib failed. */
static bool
frame_body(struct conn *c, struct request *r, bool chunked, const char *data,
    size_t n, enum gzip_flush flush)
{
	static struct buf z;

	if (r->gz == NULL) {
		frame(c, chunked, data, n);
		return true;
	}
	z.len = 0;
	if (gzip_write(r->gz, data, n, flush, &z) != 0) {
		req_log(r, LV_ALERT, 0, "deflate() failed");
		return false;
	}
	if (z.len > 0)
		frame(c, chunked, z.p, z.len);
	return true;
}

/* The upstream's body is complete: the compressor's last bytes, the last
 * chunk. */
static bool
end_body(struct conn *c, struct request *r, bool chunked)
{
	if (r->gz != NULL && !frame_body(c, r, chunked, NULL, 0, GZIP_END))
		return false;
	if (chunked)
		buf_adds(&c->out, "0\r\n\r\n");
	return true;
}

/* Nothing more has come from the upstream for now: with proxy_buffering
 * off the client gets what was compressed so far, as nginx flushes each
 * unbuffered read. */
static bool
flush_body(struct conn *c, struct request *r, bool chunked)
{
	if (r->gz == NULL || r->sc->proxy_buffering || !gzip_pending(r->gz))
		return true;
	return frame_body(c, r, chunked, NULL, 0, GZIP_SYNC);
}

/* Take what the engine has into c->out, up to OUT_HIGH queued, and the
 * body's end when it came; false when zlib failed. */
static bool
take_body(struct conn *c, struct request *r, struct proxy *p, bool chunked,
    size_t pos, bool *ended)
{
	const char *data;
	size_t n;

	if (*ended)
		return true;
	while (c->out.len - pos < OUT_HIGH && (n = proxy_data(p, &data)) > 0) {
		if (n > OUT_HIGH)
			n = OUT_HIGH;
		if (!frame_body(c, r, chunked, data, n, GZIP_MORE))
			return false;
		proxy_consume(p, n);
	}
	if (proxy_phase(p) == PX_DONE) {
		*ended = true;
		return end_body(c, r, chunked);
	}
	return proxy_pending(p) || flush_body(c, r, chunked);
}

/* Write what c->out holds past *pos; false when the client is gone. */
static bool
flush(struct conn *c, size_t *pos, long long *sent)
{
	ssize_t n;

	while (*pos < c->out.len) {
		n = io_write(c, c->out.p + *pos, c->out.len - *pos);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		*pos += (size_t)n;
		*sent += n;
	}
	c->out.len = *pos = 0;
	return true;
}

/* Relay the body: pull from the engine, frame, write; wait on whichever
 * side holds things up. */
static void
relay_body(struct conn *c, struct request *r, struct proxy *p, bool chunked,
    size_t pos, long long *sent)
{
	struct pollfd pfd[2];
	bool ended = false, watch_client = true;
	int64_t deadline, client_deadline = 0;
	enum wait_result rc;

	for (;;) {
		if (!take_body(c, r, p, chunked, pos, &ended) ||
		    !flush(c, &pos, sent)) {
			c->broken = true;
			return;
		}
		if (pos < c->out.len && client_deadline == 0)
			client_deadline = clock_mono_ms() + r->sc->send_timeout;
		if (pos == c->out.len) {
			client_deadline = 0;
			if (ended)
				return;
			if (proxy_pending(p))
				continue;	/* more is buffered: no need to wait */
		}
		if (proxy_phase(p) == PX_ABORT) {
			c->broken = true;
			return;
		}
		proxy_events(p, &pfd[0]);
		pfd[1] = (struct pollfd){ c->fd, (short)(pos < c->out.len ? c->want :
		    watch_client ? POLLRDHUP : 0), 0 };
		deadline = proxy_deadline(p);
		if (client_deadline && (deadline == 0 || client_deadline < deadline))
			deadline = client_deadline;
		rc = wait_poll(pfd, 2, deadline ? deadline - clock_mono_ms() : 3600000,
		    WAIT_BUSY);
		if (rc == WAIT_TIMEOUT && client_deadline && clock_mono_ms() >= client_deadline) {
			req_log(r, LV_INFO, ETIMEDOUT, "client timed out");
			c->broken = true;
			return;
		}
		if (pfd[1].revents & (POLLERR | POLLHUP)) {
			c->broken = true;
			return;
		}
		if (pfd[1].revents & POLLRDHUP) {
			if (io_closed(c)) {
				proxy_client_gone(p);
				c->broken = true;
				return;
			}
			watch_client = false;
		}
		proxy_step(p, pfd[0].fd >= 0 ? pfd[0].revents : 0);
	}
}

/* One direction of the tunnel: read into b when empty, write it out.  Both
 * ends are connections, plain or TLS. */
struct pipe_buf {
	char	 b[TUNNEL_BUF];
	size_t	 len;
	size_t	 pos;
	bool	 eof;
};

static bool
pump(struct conn *from, struct conn *to, struct pipe_buf *pb, bool readable,
    long long *count)
{
	ssize_t n;

	if (pb->pos == pb->len && !pb->eof && readable) {
		n = io_read(from, pb->b, sizeof(pb->b));
		if (n > 0) {
			pb->len = (size_t)n;
			pb->pos = 0;
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR))
			pb->eof = true;
	}
	if (pb->pos < pb->len) {
		n = io_write(to, pb->b + pb->pos, pb->len - pb->pos);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return false;
		if (n > 0) {
			pb->pos += (size_t)n;
			*count += n;
		}
	}
	return true;
}

/* After 101: bytes both ways until either side closes or stays quiet for
 * proxy_read_timeout. */
static void
tunnel(struct conn *c, struct request *r, struct proxy *p, long long *sent)
{
	static struct pipe_buf up, down;	/* client->upstream, upstream->client */
	struct pollfd pfd[2];
	struct conn uc;
	const char *early;
	size_t nearly;
	long long ignored = 0;
	bool buffered;
	enum wait_result rc;

	proxy_tunnel(p, &uc, &early, &nearly);
	up.len = c->in_end - c->in_start;
	memcpy(up.b, c->in + c->in_start, up.len < TUNNEL_BUF ? up.len : TUNNEL_BUF);
	c->in_start = c->in_end;
	down.len = nearly < TUNNEL_BUF ? nearly : TUNNEL_BUF;
	memcpy(down.b, early, down.len);
	up.pos = down.pos = 0;
	up.eof = down.eof = false;
	for (;;) {
		if ((up.eof && up.pos == up.len) || (down.eof && down.pos == down.len))
			break;
		pfd[0] = (struct pollfd){ c->fd, 0, 0 };
		pfd[1] = (struct pollfd){ uc.fd, 0, 0 };
		if (up.pos == up.len && !up.eof)
			pfd[0].events |= POLLIN;
		if (down.pos < down.len)
			pfd[0].events |= POLLOUT;
		if (down.pos == down.len && !down.eof)
			pfd[1].events |= POLLIN;
		if (up.pos < up.len)
			pfd[1].events |= POLLOUT;
		buffered = (up.pos == up.len && io_buffered(c)) ||
		    (down.pos == down.len && io_buffered(&uc));
		rc = wait_poll(pfd, 2, buffered ? 0 : r->sc->proxy_read_timeout,
		    WAIT_BUSY);
		if (rc == WAIT_TIMEOUT && !buffered)
			break;
		if (!pump(c, &uc, &up, buffered || (pfd[0].revents & (POLLIN | POLLHUP)),
		    &ignored) ||
		    !pump(&uc, c, &down, buffered || (pfd[1].revents & (POLLIN | POLLHUP)),
		    sent))
			break;
		if ((pfd[0].revents | pfd[1].revents) & POLLERR)
			break;
	}
	io_close(&uc);
	c->broken = true;		/* the connection was handed over */
}

/*
 * Serve a request whose location proxies.  Returns false when the engine
 * failed before a head: r->status is set and the caller answers with an
 * error page as for any other request.
 */
bool
http_proxy_serve(struct conn *c, struct request *r)
{
	struct proxy *p = r->proxy;
	bool chunked = false;
	long long sent = 0, head;

	await_head(c, r, p);
	switch (proxy_phase(p)) {
	case PX_ERROR:
		proxy_end(p);
		return false;
	case PX_HEAD:
		break;
	case PX_CACHED:
		proxy_end(p);
		http_send_response(c, r);
		return true;
	default:
		proxy_end(p);
		if (r->status == 408)	/* the body did not come in time */
			return false;
		c->broken = true;	/* the client went away */
		return true;
	}
	sb_state(SB_WRITE);
	gzip_filter_head(r);
	if (!r->header_only && r->out_length < 0) {
		if (r->version == 11 && r->status != 101) {
			chunked = true;
			http_add_header(r, "Transfer-Encoding", STR("chunked"));
		} else
			r->keepalive = false;	/* the end is the connection's end */
	}
	c->out.len = 0;
	http_build_head(r, &c->out);
	head = (long long)c->out.len;
	proxy_head_sent(p);
	if (r->status == 101 || r->header_only) {
		if (http_send_raw(c, c->out.p, c->out.len, r->sc->send_timeout,
		    &sent) != 0)
			c->broken = true;
		else if (r->status == 101)
			tunnel(c, r, p, &sent);
		c->out.len = 0;
	} else
		relay_body(c, r, p, chunked, 0, &sent);
	gzip_filter_end(r);
	r->bytes_sent = sent;
	r->body_bytes_sent = sent > head ? sent - head : 0;
	sb_count_bytes((uint64_t)sent);
	proxy_end(p);
	return true;
}
