/*
 * What the proxy cache decides without I/O (cache_policy.c): whether an
 * upstream's answer may be stored and until when, as nginx decides it,
 * and the hashes that name entries (the key, and for answers that vary,
 * the variant of the request).
 */
#ifndef PORTICO_CACHE_POLICY_H
#define PORTICO_CACHE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "str.h"

#define CACHE_HASH_LEN	16
#define CACHE_VARY_MAX	256	/* a longer Vary is not cached, as nginx */

struct cache_valids;
struct header;
struct upstream_head;

struct cache_verdict {
	bool		 store;
	int64_t		 valid_until;	/* wall-clock ms, when store */
	char		 vary[CACHE_VARY_MAX];	/* the Vary headers joined, "" = none */
	size_t		 vary_len;
	const char	*why;		/* when !store */
};

void	cache_verdict(const struct upstream_head *, const struct cache_valids *,
	    int64_t now_ms, struct cache_verdict *);
int64_t	cache_freshness(const struct upstream_head *, int64_t now_ms,
	    const char **why);
long long cache_valid_ms(const struct cache_valids *, int status);
void	cache_hash(const char *, size_t, uint8_t out[CACHE_HASH_LEN]);
void	cache_variant(const uint8_t key[CACHE_HASH_LEN], struct str vary,
	    const struct header *, size_t nheaders, uint8_t out[CACHE_HASH_LEN]);

#endif
