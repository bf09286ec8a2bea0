/*
 * The connection keeper: one process, a child of the master like the
 * workers, that holds the connections nobody is serving, so that capacity
 * is not the process count.  Workers park with it an idle keep-alive
 * connection, or one whose request head is slow to come, with the bytes
 * they already read; the keeper waits on all of them in one epoll set,
 * reads heads until they are complete, enforces keepalive_timeout and
 * client_header_timeout, and hands each connection whose head is complete
 * (or too large, or late) back to the first idle worker, which answers it
 * exactly as if it had read those bytes itself.  It runs no request code:
 * a client that closes is forgotten, a keep-alive connection that times
 * out is closed, everything else goes back to a worker.  It outlives
 * reloads: what it holds is served by the new generation.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "clock.h"
#include "conf.h"
#include "handoff.h"
#include "http.h"
#include "keeper.h"
#include "log.h"
#include "privileges.h"
#include "scoreboard.h"
#include "wait.h"

#define EVENTS		256
#define FIRST_BUF	1024		/* most heads fit; doubled as needed */
#define RESERVE		16		/* descriptors kept for bouncing */
#define BATCH		64		/* parkings taken per wake-up */

struct parked {
	struct handoff	 h;
	char		*buf;		/* h.len bytes; NULL until the first */
	size_t		 cap;
	size_t		 scan;		/* http_head_end's memo */
	size_t		 at;		/* index in the deadline heap */
	struct parked	*next;		/* in the queue for the back channel */
	int		 fd;
};

static struct parked **by_fd;		/* indexed by descriptor */
static struct parked **heap;		/* by deadline, soonest first */
static size_t nheap;
static struct parked *queue, **queue_tail = &queue;
static size_t limit;			/* descriptors this process may have */
static int ep;
static bool back_blocked;		/* the back channel is full */

/* ---------------------------------------------------------- deadlines */

static int64_t
deadline(const struct parked *p)
{
	return p->h.head_deadline != 0 ? p->h.head_deadline : p->h.idle_deadline;
}

static void
heap_swap(size_t a, size_t b)
{
	struct parked *t = heap[a];

	heap[a] = heap[b];
	heap[b] = t;
	heap[a]->at = a;
	heap[b]->at = b;
}

static void
heap_up(size_t i)
{
	while (i > 0 && deadline(heap[(i - 1) / 2]) > deadline(heap[i])) {
		heap_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
heap_down(size_t i)
{
	size_t l, m;

	for (;;) {
		l = 2 * i + 1;
		m = i;
		if (l < nheap && deadline(heap[l]) < deadline(heap[m]))
			m = l;
		if (l + 1 < nheap && deadline(heap[l + 1]) < deadline(heap[m]))
			m = l + 1;
		if (m == i)
			return;
		heap_swap(i, m);
		i = m;
	}
}

static void
heap_remove(struct parked *p)
{
	size_t i = p->at;

	heap_swap(i, --nheap);
	if (i < nheap) {
		heap_down(i);
		heap_up(i);
	}
}

/* ---------------------------------------------------------- accounting */

static void
count(const struct parked *p, int delta)
{
	volatile uint32_t *gauge = p->h.head_deadline != 0 && p->h.len > 0 ?
	    &sb->parked_reading : &sb->parked_idle;

	*gauge += (uint32_t)delta;
}

/* Too many descriptors: workers keep their connections until some go. */
static void
check_full(void)
{
	size_t held = nheap + 8;	/* the channels, epoll, logs, stdio */

	if (!sb->keeper_full && held + RESERVE >= limit) {
		sb->keeper_full = 1;
		logmsg(LV_WARN, "the connection keeper holds %zu connections, as "
		    "many as its descriptor limit allows; workers keep theirs",
		    nheap);
	} else if (sb->keeper_full && held + 2 * RESERVE < limit)
		sb->keeper_full = 0;
}

static void
forget(struct parked *p)
{
	count(p, -1);
	by_fd[p->fd] = NULL;
	close(p->fd);
	free(p->buf);
	free(p);
	check_full();
}

/* ---------------------------------------------------------- handing back */

static void
hand_back(struct parked *p)
{
	if (handoff_send(HANDOFF_BACK, p->fd, &p->h, p->buf) == 0) {
		__atomic_add_fetch(&sb->handed_back, 1, __ATOMIC_RELAXED);
		forget(p);
		return;
	}
	if (errno != EAGAIN) {
		log_errno(LV_ALERT, errno, "handing a connection back failed");
		forget(p);
		return;
	}
	/* No worker has read the channel for a while: queue it. */
	p->next = NULL;
	*queue_tail = p;
	queue_tail = &p->next;
	if (!back_blocked) {
		struct epoll_event ev = { EPOLLOUT, { .fd = -1 } };
		back_blocked = true;
		epoll_ctl(ep, EPOLL_CTL_ADD, handoff_fd(HANDOFF_BACK, true), &ev);
	}
}

/* The head is done (complete, too large or late): a worker answers it. */
static void
release(struct parked *p)
{
	heap_remove(p);
	epoll_ctl(ep, EPOLL_CTL_DEL, p->fd, NULL);
	hand_back(p);
}

static void
flush_queue(void)
{
	struct parked *p;

	while ((p = queue) != NULL) {
		if (handoff_send(HANDOFF_BACK, p->fd, &p->h, p->buf) != 0 &&
		    errno == EAGAIN)
			return;
		queue = p->next;
		if (queue == NULL)
			queue_tail = &queue;
		__atomic_add_fetch(&sb->handed_back, 1, __ATOMIC_RELAXED);
		forget(p);
	}
	back_blocked = false;
	epoll_ctl(ep, EPOLL_CTL_DEL, handoff_fd(HANDOFF_BACK, true), NULL);
}

/* ---------------------------------------------------------- reading */

static bool
grow(struct parked *p)
{
	size_t cap = p->cap == 0 ? FIRST_BUF : p->cap * 2;
	char *b;

	if (cap > HTTP_IN_MAX)
		cap = HTTP_IN_MAX;
	if ((b = realloc(p->buf, cap)) == NULL)
		return false;
	p->buf = b;
	p->cap = cap;
	return true;
}

/* A connection has something to say: read what it says, as a worker's
 * read_head() would (blank lines before a head are dropped). */
static void
on_readable(struct parked *p)
{
	size_t skip = 0;
	ssize_t n;

	if (p->h.len == p->cap && !grow(p)) {
		release(p);		/* out of memory: let a worker try */
		return;
	}
	n = read(p->fd, p->buf + p->h.len, p->cap - p->h.len);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		heap_remove(p);
		forget(p);		/* closed, or reset */
		return;
	}
	count(p, -1);
	p->h.len += (uint32_t)n;
	while (p->h.head_deadline == 0 && skip < p->h.len &&
	    (p->buf[skip] == '\r' || p->buf[skip] == '\n'))
		skip++;
	if (skip > 0) {
		memmove(p->buf, p->buf + skip, p->h.len - skip);
		p->h.len -= (uint32_t)skip;
	}
	if (p->h.len > 0 && p->h.head_deadline == 0) {
		clock_update();
		p->h.head_deadline = now.mono_ms + p->h.header_timeout;
		p->h.head_start = now.msec;
		heap_down(p->at);
		heap_up(p->at);
	}
	count(p, 1);
	if (p->h.len > 0 && (http_head_end(p->buf, p->h.len, &p->scan) != 0 ||
	    http_head_overflow(p->buf, p->h.len) != 0))
		release(p);
}

/* ---------------------------------------------------------- parking */

static void
park(int fd, const struct handoff *h, const char *bytes)
{
	struct epoll_event ev = { EPOLLIN | EPOLLRDHUP, { .fd = fd } };
	struct parked *p;

	if ((size_t)fd >= limit || (p = calloc(1, sizeof(*p))) == NULL) {
		close(fd);
		return;
	}
	p->fd = fd;
	p->h = *h;
	while (p->cap < h->len)
		if (!grow(p)) {
			free(p->buf);
			free(p);
			close(fd);
			return;
		}
	if (h->len > 0)
		memcpy(p->buf, bytes, h->len);
	by_fd[fd] = p;
	heap[nheap] = p;
	p->at = nheap++;
	heap_up(p->at);
	count(p, 1);
	__atomic_add_fetch(&sb->parked, 1, __ATOMIC_RELAXED);
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
		log_errno(LV_ALERT, errno, "epoll_ctl() in the keeper failed");
		release(p);
		return;
	}
	check_full();
}

/* Take what workers parked.  Past the descriptor limit a parking goes
 * straight back: the worker that takes it keeps it. */
static void
take_parkings(void)
{
	static char bytes[HTTP_IN_MAX];
	struct handoff h;
	int i, fd, rc;

	for (i = 0; i < BATCH; i++) {
		rc = handoff_recv(HANDOFF_PARK, &fd, &h, bytes);
		if (rc == 0)
			return;
		if (rc < 0)
			continue;
		if (sb->keeper_full && handoff_send(HANDOFF_BACK, fd, &h, bytes) == 0) {
			close(fd);
			continue;
		}
		park(fd, &h, bytes);
	}
}

/* ---------------------------------------------------------- the loop */

/* Late heads go back for their 408; a keep-alive connection, or a new one
 * that never sent a byte, is closed quietly, as a worker would. */
static void
expire(void)
{
	struct parked *p;

	clock_update();
	while (nheap > 0 && deadline(heap[0]) <= now.mono_ms) {
		p = heap[0];
		if (p->h.len > 0) {
			release(p);
			continue;
		}
		heap_remove(p);
		epoll_ctl(ep, EPOLL_CTL_DEL, p->fd, NULL);
		forget(p);
	}
}

/*
 * A graceful stop: idle keep-alive connections may close between requests,
 * as nginx closes them; heads in progress (new connections included) are
 * in flight, so they are read to the end and handed back to the workers,
 * which stay for them while sb->keeper_draining says so.  True when
 * nothing is left.
 */
static bool
drain(void)
{
	size_t i;

	for (i = 0; i < nheap; ) {
		struct parked *p = heap[i];
		if (p->h.head_deadline == 0 && p->h.len == 0) {
			heap_remove(p);
			epoll_ctl(ep, EPOLL_CTL_DEL, p->fd, NULL);
			forget(p);
			continue;	/* heap_remove put another at i */
		}
		i++;
	}
	return nheap == 0 && queue == NULL;
}

static void
setup(void)
{
	struct rlimit rl;
	struct epoll_event ev = { EPOLLIN, { .fd = -2 } };

	/* As many connections as the system lets this process hold. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	limit = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ?
	    (size_t)rl.rlim_cur : 65536;
	by_fd = calloc(limit, sizeof(*by_fd));
	heap = calloc(limit, sizeof(*heap));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (by_fd == NULL || heap == NULL || ep < 0)
		fatal("the connection keeper cannot start: %s", strerror(errno));
	if (epoll_ctl(ep, EPOLL_CTL_ADD, handoff_fd(HANDOFF_PARK, false), &ev) != 0)
		fatal("epoll_ctl() in the keeper failed: %s", strerror(errno));
	sb->parked_idle = sb->parked_reading = 0;
	sb->keeper_full = 0;
}

static bool
parks(const struct scope *sc)
{
	return sc->keepalive_park >= 0 || sc->client_header_park >= 0;
}

/* Does any server or location park connections? */
bool
keeper_needed(const struct config *cf)
{
	size_t i, j;

	for (i = 0; i < cf->nservers; i++) {
		const struct server *srv = cf->servers[i];
		if (parks(&srv->sc) || parks(&srv->deflt.sc))
			return true;
		for (j = 0; j < srv->nlocs; j++)
			if (parks(&srv->locs[j]->sc))
				return true;
	}
	return false;
}

void
keeper_main(struct config *cf)
{
	struct epoll_event ev[EVENTS];
	int i, n, timeout;

	wait_setup(cf->logs);
	privileges_drop(cf);
	prctl(PR_SET_NAME, "portico-keeper");
	handoff_keep(true, false);
	setup();
	for (;;) {
		if (wait_quit && drain())
			break;
		clock_update();
		timeout = nheap == 0 ? -1 : deadline(heap[0]) <= now.mono_ms ? 0 :
		    (int)(deadline(heap[0]) - now.mono_ms);
		n = wait_epoll(ep, ev, EVENTS, timeout);
		for (i = 0; i < n; i++) {
			if (ev[i].data.fd == -2)
				take_parkings();
			else if (ev[i].data.fd == -1)
				flush_queue();
			else if (by_fd[ev[i].data.fd] != NULL)
				on_readable(by_fd[ev[i].data.fd]);
		}
		expire();
	}
	sb->keeper_draining = 0;
	exit(0);
}
