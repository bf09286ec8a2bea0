/*
 * Arena allocation.  A configuration generation and each request own one
 * pool; everything allocated from it is freed at once when the owner ends,
 * so the serving path never frees piecemeal.
 */
#ifndef PORTICO_POOL_H
#define PORTICO_POOL_H

#include <stddef.h>

struct pool_chunk;

struct pool {
	struct pool_chunk	*head;		/* chunk being filled */
	struct pool_chunk	*spare;		/* kept by pool_reset for reuse */
	size_t			 chunk_size;
};

void	 pool_init(struct pool *, size_t chunk_size);
void	*pool_alloc(struct pool *, size_t);
void	*pool_zalloc(struct pool *, size_t);
char	*pool_strdup(struct pool *, const char *);
char	*pool_strndup(struct pool *, const char *, size_t);
char	*pool_printf(struct pool *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	*pool_grow(struct pool *, void *array, size_t n, size_t elem);
void	 pool_reset(struct pool *);
void	 pool_destroy(struct pool *);

#endif
