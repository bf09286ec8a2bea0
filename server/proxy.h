/*
 * The reverse proxy engine: one proxied request, as an event-driven state
 * machine over its upstream socket.  The client side (HTTP/1.x in
 * http_proxy.c, HTTP/2 in h2.c) drives it: it polls the descriptor the
 * engine names, calls proxy_step(), feeds it the request body through
 * proxy_io, and takes the response head from the request and the body
 * with proxy_data()/proxy_consume().  Nothing here writes to the client.
 */
#ifndef PORTICO_PROXY_H
#define PORTICO_PROXY_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "str.h"

struct conn;
struct request;

enum proxy_phase {
	PX_WORKING,	/* connecting, sending, waiting for the response head */
	PX_HEAD,	/* the head is in the request: the client side sends it */
	PX_BODY,	/* relaying the body: proxy_data() */
	PX_TUNNEL,	/* 101 Switching Protocols: bytes both ways */
	PX_DONE,	/* the response is complete and handed over */
	PX_ERROR,	/* failed before a head: answer with r->status */
	PX_ABORT,	/* failed after the head: end the client connection */
	PX_CACHED,	/* the answer is in the request, from the cache: end the
			 * engine and send it as a file */
};

/* What reading the request body gave. */
enum body_read {
	RB_DATA,		/* bytes copied */
	RB_WAIT,		/* none yet */
	RB_END,			/* the body is complete */
	RB_GONE,		/* the client failed or went away */
	RB_TOO_LARGE,		/* over client_max_body_size */
	RB_INVALID,		/* a malformed chunked body */
};

/* What the engine needs from the client side. */
struct proxy_io {
	/* Request body bytes into buf; *got says how many for RB_DATA. */
	enum body_read	(*read_body)(struct request *, char *buf, size_t,
			    size_t *got);
	/* The client asked for "100 Continue" and the body is wanted now. */
	void		(*send_continue)(struct request *);
};

struct proxy;

int		 proxy_start(struct request *, const struct proxy_io *);
void		 proxy_events(const struct proxy *, struct pollfd *);
bool		 proxy_wants_body(const struct proxy *);
int64_t		 proxy_deadline(const struct proxy *);
void		 proxy_step(struct proxy *, short revents);
enum proxy_phase proxy_phase(const struct proxy *);
void		 proxy_head_sent(struct proxy *);
size_t		 proxy_data(struct proxy *, const char **);
bool		 proxy_pending(const struct proxy *);
void		 proxy_consume(struct proxy *, size_t);
void		 proxy_client_gone(struct proxy *);
void		 proxy_tunnel(struct proxy *, struct conn *, const char **early,
		    size_t *nearly);
void		 proxy_end(struct proxy *);
void		 proxy_background(struct request *);

#endif
