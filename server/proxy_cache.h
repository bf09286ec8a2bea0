/*
 * The proxy cache's side of a proxied request (proxy_cache.c), driven by
 * the proxy engine (proxy.c): look the request up before any upstream is
 * chosen, wait while another worker fills the entry, serve hits and stale
 * answers from the entry's file, send the upstream what revalidation
 * needs, and store the upstream's answer as it streams through.
 */
#ifndef PORTICO_PROXY_CACHE_H
#define PORTICO_PROXY_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "str.h"

struct buf;
struct proxy_cache;
struct request;
struct upstream_head;

enum cache_step {
	CACHE_PASS,		/* ask the upstream */
	CACHE_SERVED,		/* the request holds the answer, from the cache */
	CACHE_WAIT,		/* another request fills the entry: ask again later */
	CACHE_ERROR,		/* answer 502 */
};

enum cache_step	 cache_start(struct request *, struct proxy_cache **);
enum cache_step	 cache_recheck(struct proxy_cache *);
int64_t		 cache_recheck_at(const struct proxy_cache *);
bool		 cache_hides_header(const struct request *, struct str name);
void		 cache_revalidation(const struct proxy_cache *, struct buf *);
enum cache_step	 cache_head(struct proxy_cache *, const struct upstream_head *,
		    const char *raw);
void		 cache_body(struct proxy_cache *, const char *, size_t);
void		 cache_complete(struct proxy_cache *);
enum cache_step	 cache_failed(struct proxy_cache *, int cond);
void		 cache_end(struct proxy_cache *);
void		 cache_update_begin(struct proxy_cache *);

#endif
