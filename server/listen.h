/*
 * Listening sockets.  The master binds them before it forks and keeps
 * them across reloads: an address that stays in the configuration keeps
 * its socket, so no connection waiting in its backlog is lost.  An address
 * a reload drops is closed in the master and in every child.
 */
#ifndef PORTICO_LISTEN_H
#define PORTICO_LISTEN_H

#include <stddef.h>
#include <sys/socket.h>

struct config;
struct listener;

const char	*addr_text(const struct sockaddr_storage *, char *, size_t);
int		 listen_open(struct config *);
const struct listener *listen_find(const struct config *,
		    const struct sockaddr_storage *, socklen_t);
void		 listen_close_unused(const struct config *keep);

#endif
