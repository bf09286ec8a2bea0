/*
 * Writing to an HTTP/1.x client: a response's head and its body from
 * memory (a small file too: the open-file cache holds it, and head and
 * body go in one write), from a file (sendfile(2), or read and write over
 * TLS or with sendfile off), as multipart byte ranges, or compressed with
 * gzip (read, deflated and sent chunked as gzip_buffers fill), waiting at
 * most send_timeout for progress.  A write that fails or times out marks
 * the connection broken, and the caller closes it.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "gzip.h"
#include "http.h"
#include "http1.h"
#include "io.h"
#include "log.h"
#include "request.h"
#include "scoreboard.h"

#define FILE_PIECE	131072	/* file bytes read at a time without sendfile */

static char piece[FILE_PIECE];	/* static: keeps the stack small */

/* Wait until c can take more output; 1 when it can. */
static int
wait_writable(struct conn *c, long long timeout)
{
	enum wait_result rc = io_wait(c, timeout, WAIT_BUSY);

	if (rc == WAIT_TIMEOUT)
		c->timed_out = true;
	return rc == WAIT_READY;
}

/* Write everything, waiting at most send_timeout between progress. */
static int
send_all(struct conn *c, struct iovec *iov, int iovcnt, int flags,
    long long timeout, long long *sent)
{
	ssize_t n;

	while (iovcnt > 0) {
		n = io_writev(c, iov, iovcnt, flags);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN || wait_writable(c, timeout) <= 0)
				goto broken;
			continue;
		}
		*sent += n;
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
broken:
	c->broken = true;
	return -1;
}

static int
send_buf(struct conn *c, const char *p, size_t n, int flags, long long timeout,
    long long *sent)
{
	struct iovec iov = { (void *)p, n };

	return n == 0 ? 0 : send_all(c, &iov, 1, flags, timeout, sent);
}

static void
truncated(struct conn *c, const struct request *r)
{
	log_ctx(&(struct log_ctx){ r->sc->error_log, c->id, NULL }, LV_ERROR, 0,
	    "file \"%s\" was truncated while being sent",
	    r->filename ? req_escape(r, r->filename, strlen(r->filename)) : "");
	c->broken = true;
}

/* A file segment, with sendfile(2) or read-and-write. */
static int
send_file(struct conn *c, const struct request *r, long long off, long long len,
    long long *sent)
{
	long long timeout = r->sc->send_timeout;
	ssize_t n;
	off_t o = off;

	while (len > 0) {
		if (r->sc->sendfile || c->ssl != NULL) {
			n = io_sendfile(c, r->fd, &o, (size_t)(len > (1 << 30) ?
			    (1 << 30) : len));
		} else {
			n = pread(r->fd, piece, len < (long long)sizeof(piece) ?
			    (size_t)len : sizeof(piece), o);
			if (n > 0 && send_buf(c, piece, (size_t)n, 0, timeout, sent) != 0)
				return -1;
			if (n > 0) {
				o += n;
				len -= n;
				continue;
			}
		}
		if (n > 0) {
			*sent += n;
			len -= n;
			continue;
		}
		if (n == 0) {
			truncated(c, r);
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || wait_writable(c, timeout) <= 0) {
			c->broken = true;
			return -1;
		}
	}
	return 0;
}

static int
send_ranges(struct conn *c, struct request *r, long long *sent)
{
	struct buf part = { 0 };
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < r->nranges; i++) {
		part.len = 0;
		buf_printf(&part, "\r\n--%s\r\nContent-Type: %s\r\nContent-Range: "
		    "bytes %lld-%lld/%lld\r\n\r\n", r->boundary, r->part_type,
		    r->ranges[i].start, r->ranges[i].end, r->file_len);
		rc = send_buf(c, part.p, part.len, MSG_MORE, r->sc->send_timeout, sent);
		if (rc == 0)
			rc = send_file(c, r, r->file_base + r->ranges[i].start,
			    r->ranges[i].end - r->ranges[i].start + 1, sent);
	}
	if (rc == 0) {
		part.len = 0;
		buf_printf(&part, "\r\n--%s--\r\n", r->boundary);
		rc = send_buf(c, part.p, part.len, 0, r->sc->send_timeout, sent);
	}
	buf_free(&part);
	return rc;
}

/* The next piece of a body to compress, from pos on: the rest of a memory
 * body or of a file the cache holds, a file read in pieces.  -1 when the
 * file came up short. */
static ssize_t
body_piece(struct conn *c, const struct request *r, long long pos,
    long long left, const char **p)
{
	ssize_t n;

	if (left == 0) {
		*p = "";
		return 0;
	}
	if (r->body == BODY_MEM) {
		*p = r->mem.p + pos;
		return (ssize_t)left;
	}
	if (r->file_mem != NULL) {	/* the open-file cache holds it */
		*p = r->file_mem + r->file_off + pos;
		return (ssize_t)left;
	}
	*p = piece;
	do
		n = pread(r->fd, piece, left < FILE_PIECE ? (size_t)left : FILE_PIECE,
		    r->file_off + pos);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		truncated(c, r);
	return n > 0 ? n : -1;
}

/*
 * The body through the compressor, sent whenever gzip_buffers' worth of
 * output is ready and at the end: chunked to HTTP/1.1 clients, up to the
 * connection's close to HTTP/1.0 ones.  The head goes with the first
 * write.
 */
static void
send_gzipped(struct conn *c, struct request *r, struct iovec *head,
    long long *sent)
{
	static struct buf z;
	const size_t hold = (size_t)(r->sc->gzip_buffers.num * r->sc->gzip_buffers.size);
	const long long total = r->body == BODY_MEM ? (long long)r->mem.n :
	    r->body == BODY_FILE ? r->file_len : 0;
	bool chunked = r->version == 11, last = false;
	struct iovec iov[5];
	long long pos = 0;
	char size[24];
	const char *p = NULL;
	ssize_t n;
	int k;

	z.len = 0;
	while (!last) {
		if ((n = body_piece(c, r, pos, total - pos, &p)) < 0)
			return;
		pos += n;
		last = pos == total;
		if (gzip_write(r->gz, p, (size_t)n, last ? GZIP_END : GZIP_MORE, &z) != 0) {
			req_log(r, LV_ALERT, 0, "deflate() failed");
			c->broken = true;
			return;
		}
		if (z.len < hold && !last)
			continue;
		k = 0;
		if (head != NULL)
			iov[k++] = *head;
		head = NULL;
		if (chunked && z.len > 0)
			iov[k++] = (struct iovec){ size, (size_t)snprintf(size,
			    sizeof(size), "%zx\r\n", z.len) };
		iov[k++] = (struct iovec){ z.p, z.len };
		if (chunked && z.len > 0)
			iov[k++] = (struct iovec){ "\r\n", 2 };
		if (chunked && last)
			iov[k++] = (struct iovec){ "0\r\n\r\n", 5 };
		if (send_all(c, iov, k, last ? 0 : MSG_MORE, r->sc->send_timeout,
		    sent) != 0)
			return;
		z.len = 0;
	}
}

void
http_send_response(struct conn *c, struct request *r)
{
	struct iovec iov[2];
	long long sent = 0, timeout = r->sc ? r->sc->send_timeout : 60000;
	size_t head;
	bool body = !r->header_only && r->method != M_HEAD;

	gzip_filter_head(r);
	if (r->gz != NULL && r->version == 11)
		http_add_header(r, "Transfer-Encoding", STR("chunked"));
	else if (r->gz != NULL)
		r->keepalive = false;	/* the end is the connection's end */
	c->out.len = 0;
	http_build_head(r, &c->out);
	head = c->out.len;
	iov[0] = (struct iovec){ c->out.p, c->out.len };
	if (r->gz != NULL)
		send_gzipped(c, r, iov, &sent);
	else if (!body || r->body == BODY_NONE ||
	    (r->body == BODY_FILE && r->file_len == 0 && r->nranges == 0)) {
		send_all(c, iov, 1, 0, timeout, &sent);
	} else if (r->body == BODY_MEM) {
		iov[1] = (struct iovec){ (void *)r->mem.p, r->mem.n };
		send_all(c, iov, r->mem.n ? 2 : 1, 0, timeout, &sent);
	} else if (r->body == BODY_FILE && r->file_mem != NULL &&
	    r->nranges <= 1) {
		iov[1] = (struct iovec){ (void *)(r->file_mem + r->file_off),
		    (size_t)r->file_len };
		send_all(c, iov, 2, 0, timeout, &sent);
	} else if (r->nranges > 1) {
		if (send_all(c, iov, 1, MSG_MORE, timeout, &sent) == 0)
			send_ranges(c, r, &sent);
	} else if (send_all(c, iov, 1, MSG_MORE, timeout, &sent) == 0)
		send_file(c, r, r->file_off, r->file_len, &sent);
	gzip_filter_end(r);
	r->bytes_sent = sent;
	r->body_bytes_sent = sent > (long long)head ? sent - (long long)head : 0;
	sb_count_bytes((uint64_t)sent);
}

int
http_send_raw(struct conn *c, const char *p, size_t n, long long timeout,
    long long *sent)
{
	return send_buf(c, p, n, 0, timeout, sent);
}
