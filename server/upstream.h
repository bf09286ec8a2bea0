/*
 * Choosing an upstream server for a request, and the passive health
 * bookkeeping (max_fails within fail_timeout) every worker shares.
 */
#ifndef PORTICO_UPSTREAM_H
#define PORTICO_UPSTREAM_H

#include <stdbool.h>
#include <stdint.h>

struct config;
struct peer;
struct request;
struct upstream;

#define UPSTREAM_TRIES_MAX	16

int		 upstream_bind(struct config *, uint32_t gen);
struct peer	*upstream_pick(struct request *, struct upstream *,
		    struct peer *const *tried, int ntried);
void		 upstream_release(struct peer *);
void		 upstream_failed(struct request *, struct peer *);
void		 upstream_succeeded(struct peer *, int64_t ms);
bool		 upstream_usable(const struct peer *, int64_t now_ms);

#endif
