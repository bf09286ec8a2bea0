/*
 * Growable buffers.  Capacity doubles so appends are amortised O(1); a
 * buffer is reset by setting len to 0 and keeps its memory.
 */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "log.h"
#include "str.h"

void
buf_reserve(struct buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 256;

	if (b->len + more <= b->cap)
		return;
	while (cap < b->len + more)
		cap *= 2;
	b->p = realloc(b->p, cap);
	if (b->p == NULL)
		fatal("out of memory growing a buffer to %zu bytes", cap);
	b->cap = cap;
}

void
buf_add_dec(struct buf *b, long long v)
{
	char tmp[STR_DEC_MAX];
	struct str d = str_dec(tmp, v);

	buf_add(b, d.p, d.n);
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	buf_reserve(b, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static bool
log_escaped(unsigned char c)
{
	return c < 0x20 || c >= 0x7f || c == '"' || c == '\\';
}

/*
 * nginx's log escaping of b's bytes from start on, in place: '"', '\\' and
 * bytes outside printable ASCII become \xHH, so that logged client data
 * can neither end a quoted field nor start a line of its own.
 */
void
buf_escape_from(struct buf *b, size_t start)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, extra = 0, w;
	unsigned char c;

	for (i = start; i < b->len; i++)
		if (log_escaped((unsigned char)b->p[i]))
			extra += 3;
	if (extra == 0)
		return;
	buf_reserve(b, extra);
	w = b->len + extra;
	for (i = b->len; i-- > start;) {
		c = (unsigned char)b->p[i];
		if (!log_escaped(c)) {
			b->p[--w] = (char)c;
			continue;
		}
		b->p[--w] = hex[c & 15];
		b->p[--w] = hex[c >> 4];
		b->p[--w] = 'x';
		b->p[--w] = '\\';
	}
	b->len += extra;
}

void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
