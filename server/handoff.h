/*
 * A client connection passed between processes (handoff.c): workers park
 * connections with the keeper, the keeper hands them back to whichever
 * idle worker takes them first.  What travels is the descriptor, the bytes
 * read from it and not yet used, and what a worker needs to go on as if
 * the connection had never left.
 */
#ifndef PORTICO_HANDOFF_H
#define PORTICO_HANDOFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "http.h"

struct handoff {
	uint64_t		 id;		/* $connection */
	uint32_t		 requests;	/* served on it so far */
	uint32_t		 len;		/* bytes read and not yet used,
						 * at most HTTP_IN_MAX */
	int64_t			 idle_deadline;	/* monotonic ms: keep-alive ends */
	int64_t			 head_deadline;	/* monotonic ms: the head must be
						 * complete (0: no byte yet) */
	int64_t			 head_start;	/* wall ms of the head's first byte */
	int64_t			 header_timeout;/* ms, for a head that starts later */
	struct sockaddr_storage	 peer;
	struct sockaddr_storage	 local;		/* the listening socket's address */
	uint32_t		 peerlen;
	uint32_t		 locallen;
};

/* The two one-way channels. */
enum handoff_chan {
	HANDOFF_PARK,		/* workers -> keeper */
	HANDOFF_BACK,		/* keeper -> workers */
};

int	handoff_open(void);
int	handoff_fd(enum handoff_chan, bool sender);
void	handoff_keep(bool keeper, bool worker);
int	handoff_send(enum handoff_chan, int fd, const struct handoff *,
	    const char *bytes);
int	handoff_recv(enum handoff_chan, int *fd, struct handoff *, char *bytes);

#endif
