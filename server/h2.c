/*
 * HTTP/2 on one client connection, with nghttp2.  Each stream is a request
 * with its own pool, processed by the same code as HTTP/1.1 (server and
 * location choice, static files, error pages, proxying); only the framing
 * differs.  Streams run concurrently in the worker's poll loop: the client
 * socket and, for proxied streams, each stream's upstream socket.  Request
 * bodies are taken under flow control (a window is given back only once
 * the body is consumed), so a fast client cannot make a worker buffer more
 * than a window per stream.  A body gzip compresses goes through the
 * stream's compressor as nghttp2 asks for DATA, a piece at a time.
 * nghttp2 enforces the protocol (bad preface,
 * oversized frames, too many streams, rapid resets); a violation ends the
 * connection with GOAWAY and nothing else.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "clock.h"
#include "fdcache.h"
#include "gzip.h"
#include "h2.h"
#include "http.h"
#include "http1.h"
#include "io.h"
#include "limit_conn.h"
#include "log.h"
#include "proxy.h"
#include "request.h"
#include "scoreboard.h"
#include "wait.h"

#define MAX_STREAMS	128
#define HEADERS_MAX	HTTP_HEADERS_MAX
#define HEADER_BYTES	HTTP_HEAD_MAX
#define OUT_HIGH	65536
#define CHUNK		16384

struct stream {
	struct h2		*h;
	int32_t			 id;
	struct pool		 pool;
	struct request		 r;
	struct str		 method;
	struct str		 path;
	struct str		 authority;
	size_t			 hbytes;
	bool			 dispatched;
	bool			 responded;
	bool			 end_stream;	/* the client sent END_STREAM */
	struct buf		 body;		/* DATA not yet read by a proxy */
	size_t			 body_pos;
	int			 fd;		/* our own copy of the file's */
	/* response body progress */
	long long		 pos;
	size_t			 part;		/* multipart: next range */
	struct buf		 frame;		/* multipart: a part's head */
	size_t			 frame_pos;
	long long		 seg_left;	/* multipart: bytes of this range */
	struct buf		 zout;		/* gzip: compressed, not yet sent */
	size_t			 zpos;
	bool			 zdone;		/* gzip: the stream is finished */
	long long		 sent;
	struct stream		*next;
};

struct h2 {
	struct conn		*c;
	nghttp2_session		*ng;
	struct stream		*streams;
	int			 nstreams;
	struct buf		 out;
	size_t			 out_pos;
	bool			 goaway;
	bool			 dead;
	bool			 shed;		/* the master needs the worker */
};

static const struct proxy_io h2_io;

/* ------------------------------------------------------------- streams */

static struct stream *
stream_of(struct h2 *h, int32_t id)
{
	return nghttp2_session_get_stream_user_data(h->ng, id);
}

static struct stream *
stream_new(struct h2 *h, int32_t id)
{
	struct stream *s = calloc(1, sizeof(*s));
	struct request *r;

	if (s == NULL)
		return NULL;
	s->h = h;
	s->id = id;
	pool_init(&s->pool, 8192);
	r = &s->r;
	r->c = h->c;
	r->pool = &s->pool;
	clock_update();
	r->start_msec = now.msec;
	r->headers = pool_alloc(&s->pool, sizeof(*r->headers) * HEADERS_MAX);
	r->content_length = -1;
	r->out_length = -1;
	r->last_modified = -1;
	r->fd = -1;
	r->version = 20;
	r->keepalive = true;
	r->stream = s;
	s->fd = -1;
	s->next = h->streams;
	h->streams = s;
	h->nstreams++;
	return s;
}

static void
stream_free(struct h2 *h, struct stream *s)
{
	struct stream **pp;

	for (pp = &h->streams; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	h->nstreams--;
	if (s->fd >= 0)
		close(s->fd);
	gzip_filter_end(&s->r);
	buf_free(&s->body);
	buf_free(&s->frame);
	buf_free(&s->zout);
	pool_destroy(&s->pool);
	free(s);
}

/* ------------------------------------------------------------- responses */

struct nva_list {
	nghttp2_nv	*v;
	size_t		 n;
	struct pool	*pool;
	size_t		 bytes;
};

static bool
forbidden_in_h2(const char *name)
{
	static const char *names[] = {
		"connection", "keep-alive", "proxy-connection", "transfer-encoding",
		"upgrade",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(name, names[i]) == 0)
			return true;
	return false;
}

static void
add_nv(void *arg, const char *name, struct str value)
{
	struct nva_list *l = arg;
	size_t nlen = strlen(name), i;
	char *lname;

	if (forbidden_in_h2(name))
		return;
	lname = pool_alloc(l->pool, nlen + 1);
	for (i = 0; i <= nlen; i++)
		lname[i] = lower(name[i]);
	l->v = pool_grow(l->pool, l->v, l->n, sizeof(*l->v));
	l->v[l->n++] = (nghttp2_nv){ (uint8_t *)lname,
	    (uint8_t *)pool_strndup(l->pool, value.p, value.n), nlen, value.n,
	    NGHTTP2_NV_FLAG_NONE };
	l->bytes += nlen + value.n + 2;
}

static bool
has_body(const struct request *r)
{
	if (r->method == M_HEAD || r->header_only || r->status == 204 ||
	    r->status == 304)
		return false;
	if (r->proxy != NULL || r->gz != NULL)
		return true;
	if (r->body == BODY_MEM)
		return r->mem.n > 0;
	return r->body == BODY_FILE;
}

static ssize_t read_body_cb(nghttp2_session *, int32_t, uint8_t *, size_t,
    uint32_t *, nghttp2_data_source *, void *);

static void
respond(struct stream *s)
{
	struct request *r = &s->r;
	struct nva_list l = { NULL, 0, &s->pool, 0 };
	nghttp2_data_provider dp = { { .ptr = s }, read_body_cb };
	char status[8];

	gzip_filter_head(r);
	snprintf(status, sizeof(status), "%03d", r->status);
	add_nv(&l, ":status", (struct str){ status, 3 });
	http_each_header(r, add_nv, &l);
	r->bytes_sent = (long long)l.bytes;
	s->responded = true;
	if (nghttp2_submit_response(s->h->ng, s->id, l.v, l.n,
	    has_body(r) ? &dp : NULL) != 0)
		nghttp2_submit_rst_stream(s->h->ng, NGHTTP2_FLAG_NONE, s->id,
		    NGHTTP2_INTERNAL_ERROR);
	if (r->proxy != NULL)
		proxy_head_sent(r->proxy);
	sb_state(SB_WRITE);
}

static size_t
copy_out(uint8_t *buf, size_t len, const char *p, size_t n)
{
	if (n > len)
		n = len;
	memcpy(buf, p, n);
	return n;
}

/* The next piece of a multipart/byteranges body. */
static ssize_t
multipart(struct stream *s, uint8_t *buf, size_t len, uint32_t *flags)
{
	struct request *r = &s->r;
	ssize_t k;
	size_t n;

	for (;;) {
		if (s->frame_pos < s->frame.len) {
			n = copy_out(buf, len, s->frame.p + s->frame_pos,
			    s->frame.len - s->frame_pos);
			s->frame_pos += n;
			return (ssize_t)n;
		}
		if (s->seg_left > 0) {
			k = pread(r->fd, buf, len < (size_t)s->seg_left ? len :
			    (size_t)s->seg_left, s->pos);
			if (k <= 0)
				return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
			s->pos += k;
			s->seg_left -= k;
			return k;
		}
		s->frame.len = s->frame_pos = 0;
		if (s->part < r->nranges) {
			struct range *rg = &r->ranges[s->part++];
			buf_printf(&s->frame, "\r\n--%s\r\nContent-Type: %s\r\n"
			    "Content-Range: bytes %lld-%lld/%lld\r\n\r\n", r->boundary,
			    r->part_type, rg->start, rg->end, r->file_len);
			s->pos = r->file_base + rg->start;
			s->seg_left = rg->end - rg->start + 1;
		} else if (s->part == r->nranges) {
			buf_printf(&s->frame, "\r\n--%s--\r\n", r->boundary);
			s->part++;
		} else {
			*flags |= NGHTTP2_DATA_FLAG_EOF;
			return 0;
		}
	}
}

static ssize_t
read_proxy(struct stream *s, uint8_t *buf, size_t len, uint32_t *flags)
{
	struct proxy *p = s->r.proxy;
	const char *data;
	size_t n;

	switch (proxy_phase(p)) {
	case PX_DONE:
		*flags |= NGHTTP2_DATA_FLAG_EOF;
		return 0;
	case PX_ABORT:
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	default:
		break;
	}
	n = proxy_data(p, &data);
	if (n == 0)
		return proxy_phase(p) == PX_DONE ? (*flags |= NGHTTP2_DATA_FLAG_EOF, 0) :
		    NGHTTP2_ERR_DEFERRED;
	n = copy_out(buf, len, data, n);
	proxy_consume(p, n);
	if (proxy_phase(p) == PX_DONE)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

/* The body as the handler or the upstream gives it. */
static ssize_t
read_raw(struct stream *s, uint8_t *buf, size_t len, uint32_t *flags)
{
	struct request *r = &s->r;
	ssize_t k;
	long long left;

	if (r->proxy != NULL)
		k = read_proxy(s, buf, len, flags);
	else if (r->body == BODY_MEM) {
		k = (ssize_t)copy_out(buf, len, r->mem.p + s->pos,
		    r->mem.n - (size_t)s->pos);
		s->pos += k;
		if ((size_t)s->pos == r->mem.n)
			*flags |= NGHTTP2_DATA_FLAG_EOF;
	} else if (r->nranges > 1)
		k = multipart(s, buf, len, flags);
	else {
		left = r->file_len - s->pos;
		k = left <= 0 ? 0 : pread(r->fd, buf, len < (size_t)left ? len :
		    (size_t)left, r->file_off + s->pos);
		if (k < 0 || (k == 0 && left > 0))
			return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
		s->pos += k;
		if (s->pos == r->file_len)
			*flags |= NGHTTP2_DATA_FLAG_EOF;
	}
	return k;
}

/* Compress the next piece of the body into s->zout: false when there is
 * nothing to send yet (*k says why: deferred or an error). */
static bool
compress_more(struct stream *s, ssize_t *k)
{
	static uint8_t raw[CHUNK];
	struct request *r = &s->r;
	uint32_t eof = 0;
	enum gzip_flush flush = GZIP_MORE;

	s->zout.len = s->zpos = 0;
	*k = read_raw(s, raw, sizeof(raw), &eof);
	if (*k == NGHTTP2_ERR_DEFERRED && !r->sc->proxy_buffering &&
	    gzip_pending(r->gz)) {
		*k = 0;			/* unbuffered: send what came so far */
		flush = GZIP_SYNC;
	}
	if (*k < 0)
		return false;
	if (eof) {
		flush = GZIP_END;
		s->zdone = true;
	}
	if (gzip_write(r->gz, raw, (size_t)*k, flush, &s->zout) != 0) {
		req_log(r, LV_ALERT, 0, "deflate() failed");
		*k = NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
		return false;
	}
	return true;
}

/* The body through the stream's compressor. */
static ssize_t
read_gzipped(struct stream *s, uint8_t *buf, size_t len, uint32_t *flags)
{
	size_t n;
	ssize_t k;

	while (s->zpos == s->zout.len && !s->zdone)
		if (!compress_more(s, &k))
			return k;
	n = copy_out(buf, len, s->zout.p + s->zpos, s->zout.len - s->zpos);
	s->zpos += n;
	if (s->zdone && s->zpos == s->zout.len)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

static ssize_t
read_body_cb(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len,
    uint32_t *flags, nghttp2_data_source *src, void *ud)
{
	struct stream *s = src->ptr;
	ssize_t k;

	k = s->r.gz != NULL ? read_gzipped(s, buf, len, flags) :
	    read_raw(s, buf, len, flags);
	if (k > 0)
		s->sent += k;
	return k;
}

/* ------------------------------------------------------------- requests */

/* Answer a stream whose request cannot be served with status (an error
 * page may proxy: then the answer waits for it). */
static void
refuse(struct stream *s, int status)
{
	if (s->r.sc == NULL)
		s->r.sc = &s->h->c->vh->def->sc;
	request_finalize(&s->r, status);
	if (s->r.proxy == NULL)
		respond(s);
}

static int
request_from_headers(struct stream *s)
{
	struct request *r = &s->r;
	const char *q;
	char *norm;
	size_t nlen;
	long long cl;
	const struct str *h;

	if (s->method.n == 0 || s->path.n == 0 || s->path.p[0] != '/')
		return 400;
	r->method_name = s->method;
	r->method = http_method(s->method);
	r->target = s->path;
	r->line.p = pool_printf(&s->pool, "%.*s %.*s HTTP/2.0", (int)s->method.n,
	    s->method.p, (int)s->path.n, s->path.p);
	r->line.n = strlen(r->line.p);
	q = memchr(s->path.p, '?', s->path.n);
	nlen = q ? (size_t)(q - s->path.p) : s->path.n;
	if (q != NULL)
		r->args = (struct str){ q + 1, (size_t)(s->path.p + s->path.n - q - 1) };
	norm = pool_alloc(&s->pool, nlen + 1);
	if (http_uri_normalize(s->path.p, nlen, norm, &nlen) != 0)
		return 400;
	r->uri = (struct str){ norm, nlen };
	if (s->authority.n == 0 && (h = http_header_get(r, "host")) != NULL)
		s->authority = *h;
	if (s->authority.n > 0 && http_parse_host(s->authority,
	    pool_alloc(&s->pool, s->authority.n + 1), &r->host) != 0)
		return 400;
	if ((h = http_header_get(r, "content-length")) != NULL) {
		if (str_to_off(*h, &cl) != 0)
			return 400;
		r->content_length = cl;
	}
	r->body_done = s->end_stream;
	return 0;
}

/* The open-file caches may close a descriptor while other streams run:
 * a file answer gets a copy of its own.  -1 when none can be made. */
static int
own_file(struct stream *s)
{
	struct request *r = &s->r;

	if (r->body != BODY_FILE || r->fd < 0)
		return 0;
	if ((s->fd = dup(r->fd)) < 0)
		return -1;
	r->fd = s->fd;
	return 0;
}

static void
dispatch(struct stream *s)
{
	struct request *r = &s->r;
	int rc;

	s->dispatched = true;
	s->h->c->requests++;
	sb_set_request(r->line.p, r->line.n);
	if ((rc = request_from_headers(s)) != 0) {
		refuse(s, rc);
		return;
	}
	request_process(r);
	fdcache_done();		/* its descriptor is live: copied below */
	if (r->status == 444) {
		nghttp2_submit_rst_stream(s->h->ng, NGHTTP2_FLAG_NONE, s->id,
		    NGHTTP2_CANCEL);
		return;
	}
	if (own_file(s) != 0) {
		refuse(s, 500);
		return;
	}
	if (r->proxy == NULL)
		respond(s);
}

/* A proxied stream's engine moved: answer, fail over to an error page, or
 * let nghttp2 ask for more DATA. */
static void
proxy_progress(struct stream *s)
{
	struct request *r = &s->r;

	while (r->proxy != NULL && !s->responded) {
		switch (proxy_phase(r->proxy)) {
		case PX_HEAD:
			respond(s);
			return;
		case PX_CACHED:
			proxy_end(r->proxy);
			if (own_file(s) != 0)
				refuse(s, 500);
			else
				respond(s);
			return;
		case PX_ERROR:
			proxy_end(r->proxy);
			request_finalize(r, r->status);
			if (r->proxy == NULL)
				respond(s);
			continue;
		case PX_ABORT:
			nghttp2_submit_rst_stream(s->h->ng, NGHTTP2_FLAG_NONE, s->id,
			    NGHTTP2_INTERNAL_ERROR);
			return;
		default:
			return;
		}
	}
	if (r->proxy != NULL && s->responded)
		nghttp2_session_resume_data(s->h->ng, s->id);
}

/* The proxy engine reads a stream's body from here. */
static enum body_read
proxy_read_body(struct request *r, char *buf, size_t n, size_t *got)
{
	struct stream *s = r->stream;
	size_t avail = s->body.len - s->body_pos;

	if (avail == 0) {
		s->body.len = s->body_pos = 0;
		return s->end_stream ? RB_END : RB_WAIT;
	}
	if (n > avail)
		n = avail;
	memcpy(buf, s->body.p + s->body_pos, n);
	s->body_pos += n;
	nghttp2_session_consume(s->h->ng, s->id, n);
	*got = n;
	return RB_DATA;
}

static const struct proxy_io h2_io = { proxy_read_body, NULL };

/* ------------------------------------------------------------- callbacks */

static int
on_begin_headers(nghttp2_session *ng, const nghttp2_frame *f, void *ud)
{
	struct h2 *h = ud;
	struct stream *s;

	if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	if (h->goaway)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	if ((s = stream_new(h, f->hd.stream_id)) == NULL)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	nghttp2_session_set_stream_user_data(ng, f->hd.stream_id, s);
	return 0;
}

static int
on_header(nghttp2_session *ng, const nghttp2_frame *f, const uint8_t *name,
    size_t nlen, const uint8_t *value, size_t vlen, uint8_t flags, void *ud)
{
	struct h2 *h = ud;
	struct stream *s = stream_of(h, f->hd.stream_id);
	struct request *r;
	struct str v;

	if (s == NULL || f->hd.type != NGHTTP2_HEADERS)
		return 0;
	r = &s->r;
	s->hbytes += nlen + vlen + 32;
	if (s->hbytes > HEADER_BYTES || r->nheaders == HEADERS_MAX) {
		log_ctx(&(struct log_ctx){ NULL, h->c->id, NULL }, LV_INFO, 0,
		    "client %s sent too many or too large headers on stream %d",
		    h->c->peer_text, s->id);
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	}
	v = (struct str){ pool_strndup(&s->pool, (const char *)value, vlen), vlen };
	if (nlen > 0 && name[0] == ':') {
		if (nlen == 7 && memcmp(name, ":method", 7) == 0)
			s->method = v;
		else if (nlen == 5 && memcmp(name, ":path", 5) == 0)
			s->path = v;
		else if (nlen == 10 && memcmp(name, ":authority", 10) == 0)
			s->authority = v;
		return 0;
	}
	r->headers[r->nheaders].name = (struct str){ pool_strndup(&s->pool,
	    (const char *)name, nlen), nlen };
	r->headers[r->nheaders++].value = v;
	return 0;
}

static int
on_frame_recv(nghttp2_session *ng, const nghttp2_frame *f, void *ud)
{
	struct h2 *h = ud;
	struct stream *s = stream_of(h, f->hd.stream_id);

	if (s == NULL)
		return 0;
	if (f->hd.flags & NGHTTP2_FLAG_END_STREAM) {
		s->end_stream = true;
		s->r.body_done = true;
	}
	if (f->hd.type == NGHTTP2_HEADERS && !s->dispatched &&
	    (f->hd.flags & NGHTTP2_FLAG_END_HEADERS))
		dispatch(s);
	else if (s->r.proxy != NULL)
		proxy_step(s->r.proxy, 0);	/* more body, or its end */
	return 0;
}

static int
on_data(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data,
    size_t len, void *ud)
{
	struct h2 *h = ud;
	struct stream *s = stream_of(h, id);

	if (s == NULL)
		return 0;
	s->r.body_received += (long long)len;
	if (s->r.proxy == NULL || s->responded) {
		nghttp2_session_consume(ng, id, len);	/* nobody reads it */
		return 0;
	}
	if (s->r.sc->client_max_body_size > 0 &&
	    s->r.body_received > s->r.sc->client_max_body_size) {
		proxy_client_gone(s->r.proxy);
		proxy_end(s->r.proxy);
		s->r.error_page_done = true;	/* no error page may proxy it again */
		refuse(s, 413);
		nghttp2_session_consume(ng, id, len);
		return 0;
	}
	buf_add(&s->body, data, len);
	return 0;
}

/* A stream ends: release its upstream, log it, give back its limit_conn
 * counts, free it. */
static void
stream_end(struct h2 *h, struct stream *s)
{
	struct request *r = &s->r;

	if (r->proxy != NULL) {
		if (proxy_phase(r->proxy) != PX_DONE)
			proxy_client_gone(r->proxy);
		proxy_end(r->proxy);
	}
	r->body_bytes_sent = s->sent;
	r->bytes_sent += s->sent;
	if (s->dispatched && r->sc != NULL) {
		access_log_write(r);
		sb_count_request();
		sb_count_bytes((uint64_t)r->bytes_sent);
	}
	limit_conn_release(r);
	stream_free(h, s);
}

static int
on_stream_close(nghttp2_session *ng, int32_t id, uint32_t code, void *ud)
{
	struct h2 *h = ud;
	struct stream *s = stream_of(h, id);

	if (s != NULL) {
		nghttp2_session_set_stream_user_data(ng, id, NULL);
		stream_end(h, s);
	}
	return 0;
}

/* ------------------------------------------------------------- the session */

/* The session needs no socket: h2_serve's loop below drives it, and so does
 * the fuzzer (t/fuzz/h2.c) with bytes of its own. */

static nghttp2_session *
new_session(struct h2 *h)
{
	nghttp2_session_callbacks *cb;
	nghttp2_option *opt;
	nghttp2_session *ng = NULL;
	nghttp2_settings_entry iv[] = {
		{ NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, MAX_STREAMS },
		{ NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, HEADER_BYTES },
	};

	nghttp2_session_callbacks_new(&cb);
	nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
	nghttp2_option_new(&opt);
	nghttp2_option_set_no_auto_window_update(opt, 1);
	nghttp2_option_set_max_settings(opt, 32);
	nghttp2_option_set_stream_reset_rate_limit(opt, 1000, 33);
	if (nghttp2_session_server_new2(&ng, cb, h, opt) == 0)
		nghttp2_submit_settings(ng, NGHTTP2_FLAG_NONE, iv,
		    sizeof(iv) / sizeof(iv[0]));
	nghttp2_option_del(opt);
	nghttp2_session_callbacks_del(cb);
	return ng;
}

struct h2 *
h2_open(struct conn *c)
{
	struct h2 *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->c = c;
	c->proxy_io = &h2_io;
	if ((h->ng = new_session(h)) == NULL) {
		free(h);
		return NULL;
	}
	return h;
}

/* Bytes from the client; false when they broke the protocol: the session
 * then has only its GOAWAY left to send. */
bool
h2_input(struct h2 *h, const void *data, size_t n)
{
	ssize_t rc = nghttp2_session_mem_recv(h->ng, data, n);

	if (rc >= 0)
		return true;
	log_ctx(&(struct log_ctx){ NULL, h->c->id, NULL }, LV_INFO, 0,
	    "HTTP/2 error from client %s: %s", h->c->peer_text,
	    nghttp2_strerror((int)rc));
	nghttp2_session_terminate_session(h->ng, NGHTTP2_PROTOCOL_ERROR);
	h->dead = true;
	return false;
}

/* The next frames for the client: their length, 0 when nothing is ready,
 * negative when the session failed. */
ssize_t
h2_output(struct h2 *h, const uint8_t **data)
{
	return nghttp2_session_mem_send(h->ng, data);
}

/* End every stream (logging each) and the session. */
void
h2_close(struct h2 *h)
{
	while (h->streams != NULL)
		stream_end(h, h->streams);
	nghttp2_session_del(h->ng);
	buf_free(&h->out);
	free(h);
}

/* ------------------------------------------------------------- the loop */

/* Move frames nghttp2 has ready into the output buffer and on to the
 * client, until nghttp2 has nothing more or the socket is full; false when
 * the client is gone. */
static bool
flush(struct h2 *h)
{
	const uint8_t *data;
	ssize_t got, n;

	for (;;) {
		got = 0;
		while (h->out.len - h->out_pos < OUT_HIGH &&
		    (got = h2_output(h, &data)) > 0)
			buf_add(&h->out, data, (size_t)got);
		if (got < 0)
			return false;
		while (h->out_pos < h->out.len) {
			n = io_write(h->c, h->out.p + h->out_pos, h->out.len - h->out_pos);
			if (n < 0)
				return errno == EAGAIN || errno == EINTR;
			h->out_pos += (size_t)n;
		}
		h->out.len = h->out_pos = 0;
		if (got == 0)
			return true;	/* nghttp2 has nothing more now */
	}
}

static bool
read_client(struct h2 *h)
{
	struct conn *c = h->c;
	ssize_t n;

	do {
		n = io_read(c, c->in, c->in_cap);
		if (n == 0)
			return false;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		if (!h2_input(h, c->in, (size_t)n))
			return true;	/* flush the GOAWAY */
	} while (io_buffered(c));
	return true;
}

/* Poll the client and every stream's upstream; step what is ready. */
static bool
wait_and_step(struct h2 *h, long long idle_timeout)
{
	struct pollfd pfd[MAX_STREAMS + 1];
	struct stream *ps[MAX_STREAMS + 1], *s;
	int n = 1, i;
	int64_t deadline = 0, d, t;
	bool idle = h->nstreams == 0;
	enum wait_result rc;

	pfd[0] = (struct pollfd){ h->c->fd, 0, 0 };
	if (nghttp2_session_want_read(h->ng) && h->out.len < OUT_HIGH)
		pfd[0].events |= POLLIN;
	if (h->out_pos < h->out.len)
		pfd[0].events |= h->c->want;
	for (s = h->streams; s != NULL && n <= MAX_STREAMS; s = s->next) {
		if (s->r.proxy == NULL)
			continue;
		proxy_events(s->r.proxy, &pfd[n]);
		ps[n] = s;
		d = proxy_deadline(s->r.proxy);
		if (d != 0 && (deadline == 0 || d < deadline))
			deadline = d;
		n++;
	}
	t = clock_mono_ms();
	if (io_buffered(h->c))
		deadline = t;
	else if (idle)
		deadline = t + idle_timeout;
	else if (deadline == 0)
		deadline = t + 3600000;
	/* Before its first stream a connection is in flight, not idle. */
	rc = wait_poll(pfd, (nfds_t)n, deadline - t, !idle ? WAIT_BUSY :
	    nghttp2_session_get_last_proc_stream_id(h->ng) > 0 ? WAIT_IDLE :
	    WAIT_HEAD);
	if (rc == WAIT_QUIT)
		return false;
	if (rc == WAIT_SHED) {
		h->shed = true;		/* GOAWAY, then close */
		return true;
	}
	if (rc == WAIT_TIMEOUT && idle && !io_buffered(h->c))
		return false;		/* keepalive_timeout */
	/* Upstreams first: frames read from the client may reset and free
	 * the streams ps[] points to. */
	for (i = 1; i < n; i++) {
		s = ps[i];
		if (s->r.proxy == NULL)
			continue;
		proxy_step(s->r.proxy, pfd[i].fd >= 0 ? pfd[i].revents : 0);
		proxy_progress(s);
	}
	if ((pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) || io_buffered(h->c))
		return read_client(h);
	return true;
}

void
h2_serve(struct conn *c)
{
	static char inbuf[CHUNK];
	struct h2 *h;
	long long idle_timeout = c->vh->def->sc.keepalive_timeout;
	bool linger;

	c->in = inbuf;
	c->in_cap = sizeof(inbuf);
	if ((h = h2_open(c)) == NULL)
		return;
	for (;;) {
		if (!flush(h))
			break;
		if (h->dead && h->out_pos == h->out.len)
			break;
		if (!nghttp2_session_want_read(h->ng) &&
		    !nghttp2_session_want_write(h->ng) && h->out_pos == h->out.len)
			break;
		if ((wait_quit || h->shed) && !h->goaway) {
			nghttp2_submit_goaway(h->ng, NGHTTP2_FLAG_NONE,
			    nghttp2_session_get_last_proc_stream_id(h->ng),
			    NGHTTP2_NO_ERROR, NULL, 0);
			h->goaway = true;
			continue;
		}
		if (h->goaway && h->nstreams == 0 && h->out_pos == h->out.len)
			break;
		sb_state(h->nstreams == 0 ? SB_KEEPALIVE : SB_WRITE);
		if (!wait_and_step(h, idle_timeout))
			break;
	}
	/* After a GOAWAY the client may still be sending. */
	linger = h->dead || !nghttp2_session_want_read(h->ng);
	h2_close(h);
	if (linger)
		io_linger(c);
}

/* On a cleartext listener with http2: does the client open with the
 * HTTP/2 preface (prior knowledge), rather than an HTTP/1 request? */
bool
h2_preface(struct conn *c, long long timeout)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	char buf[sizeof(preface) - 1];
	int64_t deadline = clock_mono_ms() + timeout;
	ssize_t n;

	c->want = POLLIN;
	for (;;) {
		n = recv(c->fd, buf, sizeof(buf), MSG_PEEK);
		if (n > 0 && memcmp(buf, preface, (size_t)n) != 0)
			return false;
		if (n == (ssize_t)sizeof(buf))
			return true;
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return false;
		if (io_wait(c, deadline - clock_mono_ms(), WAIT_HEAD) != WAIT_READY)
			return false;
	}
}
