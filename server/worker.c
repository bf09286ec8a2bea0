/*
 * The worker's life: drop privileges, then accept and serve connections
 * one at a time until told to stop, or until workers.max_requests
 * connections are done.  It waits, like everything below it, through
 * wait.c, which lets signals in only while waiting.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cache_file.h"
#include "clock.h"
#include "conf.h"
#include "fdcache.h"
#include "h2.h"
#include "handoff.h"
#include "http.h"
#include "http1.h"
#include "io.h"
#include "listen.h"
#include "log.h"
#include "privileges.h"
#include "scoreboard.h"
#include "tls.h"
#include "wait.h"
#include "worker.h"

#define BACK	UINT32_MAX	/* the keeper's hand-back channel, in the epoll set */
#define DRAIN_CHECK_MS	100	/* quitting: is the keeper done yet? */

static struct config *cf;
static int notify_fd = -1;
static bool cached_files;	/* the open-file caches may hold descriptors */
static char *inbuf;		/* a connection's input, HTTP_IN_MAX */
static int ep;			/* the listeners and the hand-back channel */

/* Told to quit, a worker accepts no more: its listening sockets close at
 * once, so an address the reload dropped refuses connections.  (Out of
 * the epoll set first: other processes keep the sockets open, and epoll
 * would go on reporting them.) */
static void
close_listeners(void)
{
	size_t i;

	for (i = 0; i < cf->nlisteners; i++)
		if (cf->listeners[i].fd >= 0) {
			epoll_ctl(ep, EPOLL_CTL_DEL, cf->listeners[i].fd, NULL);
			close(cf->listeners[i].fd);
			cf->listeners[i].fd = -1;
		}
}

static void
listen_epoll(void)
{
	struct epoll_event ev;
	size_t i;

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		fatal("epoll_create1() failed: %s", strerror(errno));
	for (i = 0; i <= cf->nlisteners; i++) {
		int fd = i < cf->nlisteners ? cf->listeners[i].fd :
		    handoff_fd(HANDOFF_BACK, false);
		/* One wake-up per connection: the first idle worker takes it. */
		ev.events = EPOLLIN | EPOLLEXCLUSIVE;
		ev.data.u32 = i < cf->nlisteners ? (uint32_t)i : BACK;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
			fatal("epoll_ctl() failed: %s", strerror(errno));
	}
}

static void
peer_text(struct conn *c)
{
	if (c->peer.ss_family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)(void *)&c->peer;
		inet_ntop(AF_INET, &s->sin_addr, c->peer_text, sizeof(c->peer_text));
		c->peer_port = ntohs(s->sin_port);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)(void *)&c->peer;
		inet_ntop(AF_INET6, &s->sin6_addr, c->peer_text, sizeof(c->peer_text));
		c->peer_port = ntohs(s->sin6_port);
	}
}

static bool
same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)(const void *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
	    &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr, 16) == 0;
}

/* The vhosts of the address the client connected to. */
static const struct vhosts *
choose_vhosts(struct conn *c)
{
	const struct listener *l = c->ls;
	size_t i;

	if (l->nspecific == 0)
		return l->any;
	c->locallen = sizeof(c->local);
	if (getsockname(c->fd, (struct sockaddr *)&c->local, &c->locallen) != 0) {
		c->locallen = 0;
		return l->any;
	}
	for (i = 0; i < l->nspecific; i++)
		if (same_ip(&l->specific[i]->ss, &c->local))
			return l->specific[i];
	return l->any;
}

static bool
accept_new(struct conn *c)
{
	socklen_t len = sizeof(c->peer);

	c->fd = accept4(c->ls->fd, (struct sockaddr *)&c->peer, &len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (c->fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_errno(LV_ALERT, errno, "accept4() failed");
		return false;
	}
	c->peerlen = len;
	c->id = __atomic_add_fetch(&sb->connection_seq, 1, __ATOMIC_RELAXED);
	sb_count_connection();
	return true;
}

/* A connection the keeper hands back, to go on as if it had never left;
 * after a reload, with this generation's listener of its address. */
static bool
take_back(struct conn *c)
{
	struct handoff h;
	int fd;

	if (handoff_recv(HANDOFF_BACK, &fd, &h, c->in) != 1)
		return false;
	c->ls = listen_find(cf, &h.local, h.locallen);
	if (c->ls == NULL || h.peerlen > sizeof(c->peer)) {
		close(fd);	/* its address is no longer listened on */
		return false;
	}
	c->fd = fd;
	c->id = h.id;
	c->requests = h.requests;
	c->in_end = h.len;
	c->head_deadline = h.head_deadline;
	c->idle_deadline = h.idle_deadline;
	c->head_start = h.head_start;
	memcpy(&c->peer, &h.peer, sizeof(c->peer));
	c->peerlen = h.peerlen;
	c->resumed = true;
	return true;
}

static bool
accept_one(struct conn *c)
{
	struct epoll_event ev;
	int rc;

	sb_state(SB_IDLE);
	wait_shed_clear();
	rc = wait_epoll(ep, &ev, 1, wait_quit ? DRAIN_CHECK_MS :
	    cached_files ? FDCACHE_CHECK_MS : -1);
	if (rc == 0)
		cached_files = fdcache_expire() | cache_entries_expire();
	if (rc <= 0)	/* a connection reported is taken, even when quitting */
		return false;
	cached_files = true;
	memset(c, 0, offsetof(struct conn, out));
	c->cf = cf;
	c->in = inbuf;
	c->in_cap = HTTP_IN_MAX;
	if (ev.data.u32 == BACK) {
		if (!take_back(c))
			return false;
	} else {
		c->ls = &cf->listeners[ev.data.u32];
		if (!accept_new(c))
			return false;
	}
	sb_state(SB_READ);
	sb_head(0, false);
	if (sb->idle < cf->main.workers.min_spare && notify_fd >= 0)
		(void)write(notify_fd, "", 1);
	return true;
}

/* HTTP/1.x or HTTP/2, over TLS (chosen by ALPN) or not (by preface). */
static void
serve(struct conn *c)
{
	long long timeout = c->vh->def->sc.client_header_timeout;

	if (c->resumed) {		/* plain HTTP/1.x, parked and back */
		http_serve(c);
		return;
	}
	if (c->vh->ssl && tls_accept(c, timeout) != 0)
		return;
	if (c->h2 || (!c->vh->ssl && c->vh->http2 && h2_preface(c, timeout)))
		h2_serve(c);
	else
		http_serve(c);
}

void
worker_main(struct config *config, int slot, int nfd)
{
	static struct conn c;
	unsigned long long served = 0;
	cf = config;
	notify_fd = nfd;
	sb_attach(slot);
	wait_setup(cf->logs);
	privileges_drop(cf);
	handoff_keep(false, true);
	if ((inbuf = malloc(HTTP_IN_MAX)) == NULL)
		fatal("out of memory for the input buffer");
	fdcache_setup((size_t)cf->main.file_memory_max);
	cache_entries_setup((size_t)cf->main.file_memory_max);
	listen_epoll();
	wait_at_quit(close_listeners);
	clock_update();
	/* After a graceful stop, the keeper may still complete heads it was
	 * reading: take them until it is done. */
	while (!wait_quit || sb->keeper_draining) {
		if (!accept_one(&c))
			continue;
		peer_text(&c);
		c.vh = choose_vhosts(&c);
		sb_set_client(c.peer_text);
		serve(&c);
		fdcache_done();
		io_close(&c);
		if (cf->main.workers.max_requests > 0 &&
		    ++served >= (unsigned long long)cf->main.workers.max_requests)
			break;
	}
	sb_state(SB_CLOSING);
	exit(0);
}
