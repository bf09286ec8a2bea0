/*
 * Writing to an HTTP/1.x client: a response's head and its body from
 * memory, from a file (sendfile(2), or read and write over TLS or with
 * sendfile off) or as multipart byte ranges, waiting at most send_timeout
 * for progress.  A write that fails or times out marks the connection
 * broken, and the caller closes it.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "http.h"
#include "http1.h"
#include "io.h"
#include "log.h"
#include "request.h"
#include "scoreboard.h"

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

/* A file segment, with sendfile(2) or read-and-write. */
static int
send_file(struct conn *c, const struct request *r, long long off, long long len,
    long long *sent)
{
	long long timeout = r->sc->send_timeout;
	static char chunk[16384];	/* static: keeps the stack small */
	ssize_t n;
	off_t o = off;

	while (len > 0) {
		if (r->sc->sendfile || c->ssl != NULL) {
			n = io_sendfile(c, r->fd, &o, (size_t)(len > (1 << 30) ?
			    (1 << 30) : len));
		} else {
			n = pread(r->fd, chunk, len < (long long)sizeof(chunk) ?
			    (size_t)len : sizeof(chunk), o);
			if (n > 0 && send_buf(c, chunk, (size_t)n, 0, timeout, sent) != 0)
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
			log_ctx(&(struct log_ctx){ r->sc->error_log, c->id, NULL },
			    LV_ERROR, 0, "file \"%s\" was truncated while being sent",
			    r->filename ? req_escape(r, r->filename,
			    strlen(r->filename)) : "");
			c->broken = true;
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
			rc = send_file(c, r, r->ranges[i].start,
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

void
http_send_response(struct conn *c, struct request *r)
{
	struct iovec iov[2];
	long long sent = 0, timeout = r->sc ? r->sc->send_timeout : 60000;
	size_t head;
	bool body = !r->header_only && r->method != M_HEAD;

	c->out.len = 0;
	http_build_head(r, &c->out);
	head = c->out.len;
	iov[0] = (struct iovec){ c->out.p, c->out.len };
	if (!body || r->body == BODY_NONE ||
	    (r->body == BODY_FILE && r->file_len == 0 && r->nranges == 0)) {
		send_all(c, iov, 1, 0, timeout, &sent);
	} else if (r->body == BODY_MEM) {
		iov[1] = (struct iovec){ (void *)r->mem.p, r->mem.n };
		send_all(c, iov, r->mem.n ? 2 : 1, 0, timeout, &sent);
	} else if (r->nranges > 1) {
		if (send_all(c, iov, 1, MSG_MORE, timeout, &sent) == 0)
			send_ranges(c, r, &sent);
	} else if (send_all(c, iov, 1, MSG_MORE, timeout, &sent) == 0)
		send_file(c, r, r->file_off, r->file_len, &sent);
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
