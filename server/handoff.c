/*
 * Passing a client connection between processes: one message on a Unix
 * SOCK_SEQPACKET socket carries the descriptor (SCM_RIGHTS), a struct
 * handoff and the bytes already read, so a message is never split or
 * merged and any number of workers can write to one channel.  The master
 * makes both channels before its first fork and holds all their ends for
 * the life of the server: a keeper restarted after a crash finds what was
 * parked meanwhile, and a message a dying process never read is still
 * there for the next one.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "handoff.h"
#include "log.h"

#define CHAN_BUF	(4 << 20)	/* bytes a channel may hold in flight */

/* chans[c][0] receives, chans[c][1] sends. */
static int chans[2][2] = { { -1, -1 }, { -1, -1 } };

int
handoff_open(void)
{
	int c, i, size = CHAN_BUF;

	for (c = 0; c < 2; c++) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
		    chans[c]) != 0) {
			log_errno(LV_EMERG, errno, "socketpair() failed");
			return -1;
		}
		for (i = 0; i < 2; i++)		/* a hint: capped by wmem_max */
			(void)setsockopt(chans[c][i], SOL_SOCKET, SO_SNDBUF, &size,
			    sizeof(size));
	}
	return 0;
}

int
handoff_fd(enum handoff_chan c, bool sender)
{
	return chans[c][sender];
}

static void
close_end(int c, int end)
{
	if (chans[c][end] >= 0)
		close(chans[c][end]);
	chans[c][end] = -1;
}

/* A child keeps the ends its role uses: a keeper receives parkings and
 * sends hand-backs, a worker the other way round; other helpers none. */
void
handoff_keep(bool keeper, bool worker)
{
	if (!keeper) {
		close_end(HANDOFF_PARK, 0);
		close_end(HANDOFF_BACK, 1);
	}
	if (!worker) {
		close_end(HANDOFF_PARK, 1);
		close_end(HANDOFF_BACK, 0);
	}
}

/* 0 sent (the connection is the receiver's now); -1 with errno, EAGAIN
 * when the channel is full. */
int
handoff_send(enum handoff_chan c, int fd, const struct handoff *h,
    const char *bytes)
{
	union {
		char		 buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr	 align;
	} ctl;
	struct iovec iov[2] = {
		{ (void *)h, sizeof(*h) }, { (void *)bytes, h->len }
	};
	struct msghdr msg = { 0 };
	struct cmsghdr *cm;

	if (chans[c][1] < 0) {
		errno = EBADF;
		return -1;
	}
	memset(&ctl, 0, sizeof(ctl));
	msg.msg_iov = iov;
	msg.msg_iovlen = h->len > 0 ? 2 : 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(chans[c][1], &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/* The descriptor a message carried, or -1. */
static int
passed_fd(struct msghdr *msg)
{
	struct cmsghdr *cm;
	int fd;

	for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(int))) {
			memcpy(&fd, CMSG_DATA(cm), sizeof(int));
			return fd;
		}
	return -1;
}

/*
 * One connection from channel c: 1 with *fd, *h and h->len bytes in bytes
 * (which has room for HTTP_IN_MAX); 0 when there is none (another process
 * took it first); -1 when the message was unusable, logged.
 */
int
handoff_recv(enum handoff_chan c, int *fd, struct handoff *h, char *bytes)
{
	union {
		char		 buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr	 align;
	} ctl;
	struct iovec iov[2] = { { h, sizeof(*h) }, { bytes, HTTP_IN_MAX } };
	struct msghdr msg = { 0 };
	ssize_t n;

	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	n = recvmsg(chans[c][0], &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	*fd = passed_fd(&msg);
	if (*fd < 0 || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    (size_t)n < sizeof(*h) || (size_t)n - sizeof(*h) != h->len) {
		logmsg(LV_ALERT, "a connection handed over was lost: %s",
		    *fd < 0 ? "no descriptor (out of descriptors?)" :
		    "the message was cut");
		if (*fd >= 0)
			close(*fd);
		return -1;
	}
	return 1;
}
