/*
 * Active health checks: one process, forked and supervised by the master,
 * probes every server of every upstream that has a health_check: at each
 * interval a GET of its uri, answered within timeout with a status in
 * range, is a pass; anything else a failure.  After `fails` failures in a
 * row a server is marked unhealthy in shared memory (every worker skips it
 * at once); after `passes` passes in a row it is healthy again.  Each
 * change is logged.  Probes run concurrently in one poll loop.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "conf.h"
#include "handoff.h"
#include "health.h"
#include "log.h"
#include "upstream_state.h"
#include "privileges.h"
#include "wait.h"

enum probe_state { P_WAIT, P_CONNECT, P_SEND, P_READ };

struct probe {
	struct peer		*peer;
	const struct health_check *hc;
	enum probe_state	 state;
	int			 fd;
	int64_t			 next;		/* when to start the next check */
	int64_t			 deadline;
	char			 req[512];
	size_t			 reqlen;
	size_t			 sent;
	char			 resp[64];
	size_t			 got;
};

static void
verdict(struct probe *pr, bool pass, int status, const char *why)
{
	struct peer_state *st = pr->peer->st;
	const struct health_check *hc = pr->hc;
	const char *up = pr->peer->up->name, *addr = pr->peer->addr;

	if (pr->fd >= 0)
		close(pr->fd);
	pr->fd = -1;
	pr->state = P_WAIT;
	clock_update();
	st->hc_last = now.msec;
	st->hc_status = status;
	if (pass) {
		st->hc_fails = 0;
		st->hc_passes++;
		if (st->unhealthy && st->hc_passes >= (uint32_t)hc->passes) {
			st->unhealthy = 0;
			logmsg(LV_NOTICE, "health check: upstream \"%s\" server %s is "
			    "healthy again", up, addr);
		}
		return;
	}
	st->hc_passes = 0;
	st->hc_fails++;
	if (!st->unhealthy && st->hc_fails >= (uint32_t)hc->fails) {
		st->unhealthy = 1;
		logmsg(LV_WARN, "health check: upstream \"%s\" server %s is unhealthy: "
		    "%s", up, addr, why);
	} else
		logmsg(LV_INFO, "health check of upstream \"%s\" server %s failed: %s",
		    up, addr, why);
}

static void
start(struct probe *pr)
{
	int fd;

	pr->next = now.mono_ms + pr->hc->interval;
	pr->deadline = now.mono_ms + pr->hc->timeout;
	pr->sent = pr->got = 0;
	fd = socket(pr->peer->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0) {
		verdict(pr, false, 0, strerror(errno));
		return;
	}
	pr->fd = fd;
	if (connect(fd, (struct sockaddr *)&pr->peer->ss, pr->peer->len) != 0 &&
	    errno != EINPROGRESS) {
		verdict(pr, false, 0, strerror(errno));
		return;
	}
	pr->state = P_CONNECT;
}

static void
on_connect(struct probe *pr)
{
	int err = 0;
	socklen_t len = sizeof(err);

	getsockopt(pr->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err != 0) {
		verdict(pr, false, 0, strerror(err));
		return;
	}
	pr->state = P_SEND;
}

static void
on_send(struct probe *pr)
{
	ssize_t n = send(pr->fd, pr->req + pr->sent, pr->reqlen - pr->sent,
	    MSG_NOSIGNAL);

	if (n < 0) {
		if (errno != EAGAIN)
			verdict(pr, false, 0, strerror(errno));
		return;
	}
	pr->sent += (size_t)n;
	if (pr->sent == pr->reqlen)
		pr->state = P_READ;
}

/* The status line is all a check needs. */
static void
on_read(struct probe *pr)
{
	ssize_t n = recv(pr->fd, pr->resp + pr->got, sizeof(pr->resp) - 1 - pr->got, 0);
	int status;
	char why[64];

	if (n < 0) {
		if (errno != EAGAIN)
			verdict(pr, false, 0, strerror(errno));
		return;
	}
	pr->got += (size_t)n;
	pr->resp[pr->got] = '\0';
	if (n > 0 && pr->got < 12 && strchr(pr->resp, '\n') == NULL)
		return;
	if (sscanf(pr->resp, "HTTP/1.%*1d %3d", &status) != 1) {
		verdict(pr, false, 0, n == 0 ? "connection closed without a response" :
		    "invalid response");
		return;
	}
	if (status < pr->hc->status_lo || status > pr->hc->status_hi) {
		snprintf(why, sizeof(why), "status %d", status);
		verdict(pr, false, status, why);
		return;
	}
	verdict(pr, true, status, NULL);
}

static struct probe *
make_probes(struct config *cf, size_t *n)
{
	struct probe *v = NULL;
	size_t i, j;

	*n = 0;
	for (i = 0; i < cf->nupstreams; i++) {
		struct upstream *u = cf->upstreams[i];
		if (!u->hc.enabled)
			continue;
		for (j = 0; j < u->npeers; j++) {
			struct probe *pr;
			v = pool_grow(&cf->pool, v, *n, sizeof(*v));
			pr = &v[(*n)++];
			memset(pr, 0, sizeof(*pr));
			pr->peer = &u->peers[j];
			pr->hc = &u->hc;
			pr->fd = -1;
			pr->reqlen = (size_t)snprintf(pr->req, sizeof(pr->req),
			    "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: portico-health-check"
			    "\r\nConnection: close\r\n\r\n", u->hc.uri, pr->peer->name);
		}
	}
	return v;
}

static void
step(struct probe *pr, short revents)
{
	if (revents == 0 && now.mono_ms >= pr->deadline) {
		verdict(pr, false, 0, "timed out");
		return;
	}
	if (revents & POLLERR && pr->state == P_CONNECT) {
		on_connect(pr);
		return;
	}
	switch (pr->state) {
	case P_CONNECT: on_connect(pr); break;
	case P_SEND:	on_send(pr); break;
	case P_READ:	on_read(pr); break;
	default:	break;
	}
}

void
health_main(struct config *cf)
{
	struct probe *pr;
	struct pollfd *pfd;
	size_t n, i;
	int64_t wake;

	wait_setup(cf->logs);
	privileges_drop(cf);
	handoff_keep(false, false);
	prctl(PR_SET_NAME, "portico-health");
	pr = make_probes(cf, &n);
	pfd = calloc(n ? n : 1, sizeof(*pfd));
	if (pfd == NULL)
		fatal("out of memory for health checks");
	clock_update();
	for (i = 0; i < n; i++)
		pr[i].next = now.mono_ms;
	for (;;) {
		clock_update();
		wake = now.mono_ms + 1000;
		for (i = 0; i < n; i++) {
			if (pr[i].state == P_WAIT && now.mono_ms >= pr[i].next)
				start(&pr[i]);
			pfd[i].fd = pr[i].state == P_WAIT ? -1 : pr[i].fd;
			pfd[i].events = pr[i].state == P_READ ? POLLIN : POLLOUT;
			pfd[i].revents = 0;
			if (pr[i].state == P_WAIT && pr[i].next < wake)
				wake = pr[i].next;
			if (pr[i].state != P_WAIT && pr[i].deadline < wake)
				wake = pr[i].deadline;
		}
		if (wait_poll(pfd, n, wake > now.mono_ms ? wake - now.mono_ms : 1,
		    WAIT_IDLE) == WAIT_QUIT)
			break;
		clock_update();
		for (i = 0; i < n; i++)
			if (pr[i].state != P_WAIT)
				step(&pr[i], pfd[i].revents);
	}
	exit(0);
}

bool
health_needed(const struct config *cf)
{
	size_t i;

	for (i = 0; i < cf->nupstreams; i++)
		if (cf->upstreams[i]->hc.enabled)
			return true;
	return false;
}
