/*
 * Connection I/O over a plain socket or a TLS session.  Over TLS, writes
 * of several pieces are gathered into one record where they fit, and
 * files are read into memory before being written (sendfile cannot
 * encrypt).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "http.h"
#include "io.h"
#include "tls.h"
#include "wait.h"

#define GATHER	16384		/* a TLS record's worth of plaintext */
#define LINGER_WAIT_MS	5000
#define LINGER_TOTAL_MS	30000

ssize_t
io_read(struct conn *c, void *buf, size_t n)
{
	if (c->ssl != NULL)
		return tls_read(c, buf, n);
	c->want = POLLIN;
	return read(c->fd, buf, n);
}

ssize_t
io_write(struct conn *c, const void *buf, size_t n)
{
	if (c->ssl != NULL)
		return tls_write(c, buf, n);
	c->want = POLLOUT;
	return send(c->fd, buf, n, MSG_NOSIGNAL);
}

ssize_t
io_writev(struct conn *c, struct iovec *iov, int n, int flags)
{
	static char gather[GATHER];
	struct msghdr msg;
	size_t len = 0;
	int i;

	if (c->ssl == NULL) {
		c->want = POLLOUT;
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = (size_t)n;
		return sendmsg(c->fd, &msg, MSG_NOSIGNAL | flags);
	}
	for (i = 0; i < n && len + iov[i].iov_len <= GATHER; i++) {
		memcpy(gather + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	if (i == 0)
		return tls_write(c, iov[0].iov_base, iov[0].iov_len);
	return tls_write(c, gather, len);
}

ssize_t
io_sendfile(struct conn *c, int fd, off_t *off, size_t n)
{
	static char chunk[GATHER];
	ssize_t k, w;

	if (c->ssl == NULL) {
		c->want = POLLOUT;
		return sendfile(c->fd, fd, off, n);
	}
	k = pread(fd, chunk, n < GATHER ? n : GATHER, *off);
	if (k <= 0)
		return k;
	w = tls_write(c, chunk, (size_t)k);
	if (w > 0)
		*off += w;
	return w;
}

/* Bytes already read and waiting: poll would not report them. */
bool
io_buffered(const struct conn *c)
{
	return tls_buffered(c);
}

/* Has the client closed its side, with nothing more to read? */
bool
io_closed(struct conn *c)
{
	char b;
	ssize_t n;

	if (c->ssl != NULL) {
		n = tls_peek(c, &b, 1);
		return n == 0 || (n < 0 && errno != EAGAIN);
	}
	n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
}

/* Is an idle connection still quiet: open, with nothing to read?  (A TLS
 * session ticket or other record that carries no data is fine.) */
bool
io_quiet(struct conn *c)
{
	char b;
	ssize_t n;

	if (c->ssl != NULL)
		n = tls_peek(c, &b, 1);
	else
		n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	return n < 0 && errno == EAGAIN;
}

/* Wait for what the last call wanted. */
enum wait_result
io_wait(struct conn *c, long long timeout, enum wait_mode mode)
{
	struct pollfd pfd = { c->fd, c->want ? c->want : POLLIN, 0 };

	return wait_poll(&pfd, 1, timeout, mode);
}

/* Close when the client may still be sending (a body we refused, frames
 * after a GOAWAY): say goodbye, stop writing, then drain its input for a
 * while so that it reads our last words instead of a reset (nginx's
 * lingering close).  io_close() still closes the descriptor. */
void
io_linger(struct conn *c)
{
	char sink[4096];
	int64_t deadline = clock_mono_ms() + LINGER_TOTAL_MS;
	ssize_t n;

	tls_close(c);
	if (shutdown(c->fd, SHUT_WR) != 0)
		return;
	c->want = POLLIN;
	while (clock_mono_ms() < deadline) {
		n = read(c->fd, sink, sizeof(sink));
		if (n > 0)
			continue;
		if (n == 0 || errno != EAGAIN)
			return;
		if (io_wait(c, LINGER_WAIT_MS, WAIT_BUSY) != WAIT_READY)
			return;
	}
}

void
io_close(struct conn *c)
{
	tls_close(c);
	close(c->fd);
	c->fd = -1;
}
