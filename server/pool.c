/*
 * Arena allocator: bump allocation inside chunks, freed all at once.
 * pool_reset keeps the first chunk so a worker's per-request pool costs no
 * malloc at all in the steady state.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"
#include "log.h"

struct pool_chunk {
	struct pool_chunk	*next;
	size_t			 size;
	size_t			 used;
	max_align_t		 data[];
};

#define ALIGN(n)	(((n) + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1))

void
pool_init(struct pool *p, size_t chunk_size)
{
	p->head = NULL;
	p->spare = NULL;
	p->chunk_size = chunk_size;
}

static struct pool_chunk *
chunk_new(size_t size)
{
	struct pool_chunk *c;

	c = malloc(sizeof(*c) + size);
	if (c == NULL)
		fatal("out of memory allocating %zu bytes", size);
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

void *
pool_alloc(struct pool *p, size_t n)
{
	struct pool_chunk *c = p->head;
	size_t size;
	void *ptr;

	n = ALIGN(n ? n : 1);
	if (c == NULL || c->size - c->used < n) {
		if (c == NULL && p->spare != NULL && p->spare->size >= n) {
			c = p->spare;
			p->spare = NULL;
		} else {
			size = n > p->chunk_size / 4 ? n : p->chunk_size;
			c = chunk_new(size);
		}
		/* A large one-off block goes behind the current chunk so the
		 * remainder of the current chunk stays usable. */
		if (p->head != NULL && n > p->chunk_size / 4) {
			c->next = p->head->next;
			p->head->next = c;
		} else {
			c->next = p->head;
			p->head = c;
		}
	}
	ptr = (char *)c->data + c->used;
	c->used += n;
	return ptr;
}

void *
pool_zalloc(struct pool *p, size_t n)
{
	void *ptr = pool_alloc(p, n);

	memset(ptr, 0, n);
	return ptr;
}

char *
pool_strndup(struct pool *p, const char *s, size_t n)
{
	char *d = pool_alloc(p, n + 1);

	if (n > 0)
		memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *
pool_strdup(struct pool *p, const char *s)
{
	return pool_strndup(p, s, strlen(s));
}

char *
pool_printf(struct pool *p, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = pool_alloc(p, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/*
 * Make room for element n of an array that grows by doubling: a new block
 * is needed exactly when n is zero or a power of two.
 */
void *
pool_grow(struct pool *p, void *array, size_t n, size_t elem)
{
	void *bigger;

	if (n != 0 && (n & (n - 1)) != 0)
		return array;
	bigger = pool_alloc(p, elem * (n ? n * 2 : 4));
	if (n != 0)
		memcpy(bigger, array, elem * n);
	return bigger;
}

static void
chunks_free(struct pool_chunk *c)
{
	struct pool_chunk *next;

	for (; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
}

void
pool_reset(struct pool *p)
{
	struct pool_chunk *c, *keep = NULL;

	/* Keep one chunk of the standard size; free the rest. */
	for (c = p->head; c != NULL; c = c->next)
		if (keep == NULL && c->size == p->chunk_size)
			keep = c;
	for (c = p->head; c != NULL; ) {
		struct pool_chunk *next = c->next;
		if (c != keep)
			free(c);
		c = next;
	}
	if (keep != NULL) {
		keep->used = 0;
		keep->next = NULL;
		chunks_free(p->spare);
		p->spare = keep;
	}
	p->head = NULL;
}

void
pool_destroy(struct pool *p)
{
	chunks_free(p->head);
	chunks_free(p->spare);
	p->head = p->spare = NULL;
}
