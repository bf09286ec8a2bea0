/*
 * Growable byte buffers for building responses, log lines and templates.
 */
#ifndef PORTICO_BUF_H
#define PORTICO_BUF_H

#include <stddef.h>
#include <string.h>

struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

void	buf_reserve(struct buf *, size_t more);
void	buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	buf_add_dec(struct buf *, long long);
void	buf_escape_from(struct buf *, size_t start);
void	buf_free(struct buf *);

/* Inline: a response head is some thirty appends. */
static inline void
buf_add(struct buf *b, const void *data, size_t n)
{
	if (n == 0)
		return;
	if (b->len + n > b->cap)
		buf_reserve(b, n);
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static inline void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static inline void
buf_addc(struct buf *b, char c)
{
	if (b->len == b->cap)
		buf_reserve(b, 1);
	b->p[b->len++] = c;
}

#endif
