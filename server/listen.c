/*
 * Binding and keeping listening sockets.  Sockets are IPv6-only where the
 * address is IPv6, so "80" and "[::]:80" can both be bound (nginx's
 * ipv6only=on).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "listen.h"
#include "log.h"

#define BACKLOG		511
#define BOUND_MAX	256

struct bound {
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	int			 fd;
};

static struct bound bound[BOUND_MAX];
static size_t nbound;

const char *
addr_text(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)ss;
		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		snprintf(buf, size, "%s:%d", ip, ntohs(s->sin_port));
	} else {
		const struct sockaddr_in6 *s = (const void *)ss;
		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		snprintf(buf, size, "[%s]:%d", ip, ntohs(s->sin6_port));
	}
	return buf;
}

static int
bind_one(const struct sockaddr_storage *ss, socklen_t len)
{
	int fd, one = 1;
	char text[80];

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_errno(LV_EMERG, errno, "socket() for %s failed",
		    addr_text(ss, text, sizeof(text)));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, len) != 0) {
		log_errno(LV_EMERG, errno, "bind() to %s failed",
		    addr_text(ss, text, sizeof(text)));
		close(fd);
		return -1;
	}
	if (listen(fd, BACKLOG) != 0) {
		log_errno(LV_EMERG, errno, "listen() on %s failed",
		    addr_text(ss, text, sizeof(text)));
		close(fd);
		return -1;
	}
	return fd;
}

static struct bound *
find_bound(const struct sockaddr_storage *ss, socklen_t len)
{
	size_t i;

	for (i = 0; i < nbound; i++)
		if (bound[i].len == len && memcmp(&bound[i].ss, ss, len) == 0)
			return &bound[i];
	return NULL;
}

/* Give every listener of cf a socket, reusing the ones already bound. */
int
listen_open(struct config *cf)
{
	size_t i;
	struct listener *l;
	struct bound *b;

	for (i = 0; i < cf->nlisteners; i++) {
		l = &cf->listeners[i];
		if ((b = find_bound(&l->ss, l->len)) != NULL) {
			l->fd = b->fd;
			continue;
		}
		if (nbound == BOUND_MAX) {
			logmsg(LV_EMERG, "too many listening addresses (%d at most)",
			    BOUND_MAX);
			return -1;
		}
		if ((l->fd = bind_one(&l->ss, l->len)) < 0)
			return -1;
		b = &bound[nbound++];
		b->ss = l->ss;
		b->len = l->len;
		b->fd = l->fd;
	}
	return 0;
}

/* The listener of cf bound to ss (a connection handed back after a
 * reload finds its listener in the new generation), or NULL. */
const struct listener *
listen_find(const struct config *cf, const struct sockaddr_storage *ss,
    socklen_t len)
{
	size_t i;

	for (i = 0; i < cf->nlisteners; i++)
		if (cf->listeners[i].len == len &&
		    memcmp(&cf->listeners[i].ss, ss, len) == 0)
			return &cf->listeners[i];
	return NULL;
}

/*
 * Close the sockets keep does not listen on (all of them when keep is
 * NULL).  The master calls it when a reload is done or failed, each child
 * of the master at its start: a dropped address is then closed everywhere
 * at once and refuses connections, and it can be bound again later.
 */
void
listen_close_unused(const struct config *keep)
{
	size_t i, k;
	bool used;

	for (i = 0; i < nbound; ) {
		used = false;
		for (k = 0; keep != NULL && k < keep->nlisteners && !used; k++)
			used = keep->listeners[k].fd == bound[i].fd;
		if (used) {
			i++;
			continue;
		}
		close(bound[i].fd);
		bound[i] = bound[--nbound];
	}
}
