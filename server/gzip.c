/*
 * The compressor behind gzip: one deflate stream per response, fed as the
 * body comes and appending what zlib gives to the caller's buffer.  Window
 * and hash sizes are nginx's (32 KiB and 128 KiB, gzip_window and
 * gzip_hash at their defaults), shrunk for a body whose length says it is
 * small, so the output is nginx's byte for byte at the same level.
 *
 * A deflate state costs about 270 KiB to set up.  A worker compresses one
 * HTTP/1.x response at a time, so the last state is kept and reset for the
 * next response with the same parameters instead of being freed.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>

#include "gzip.h"

#define WBITS		15	/* MAX_WBITS */
#define MEMLEVEL	8	/* MAX_MEM_LEVEL - 1 */
#define OUT_MIN		4096

struct gzip {
	z_stream	 z;
	int		 level;
	int		 wbits;
	int		 memlevel;
	bool		 unflushed;	/* input went in since the last flush */
};

static struct gzip *idle;

/* Only the smallest window that holds the whole body, as nginx: zlib's
 * usable window is 262 bytes short of its size. */
static void
sizes(long long length, int *wbits, int *memlevel)
{
	*wbits = WBITS;
	*memlevel = MEMLEVEL;
	if (length <= 0)
		return;
	while (length < (1LL << (*wbits - 1)) - 262) {
		(*wbits)--;
		(*memlevel)--;
	}
	if (*memlevel < 1)
		*memlevel = 1;
}

static struct gzip *
reuse(int level, int wbits, int memlevel)
{
	struct gzip *gz = idle;

	if (gz == NULL)
		return NULL;
	idle = NULL;
	if (gz->level == level && gz->wbits == wbits && gz->memlevel == memlevel &&
	    deflateReset(&gz->z) == Z_OK)
		return gz;
	deflateEnd(&gz->z);
	free(gz);
	return NULL;
}

/*
 * A stream for a body of length bytes (-1: unknown) at level 1-9.  NULL
 * when zlib cannot set one up; *zerr says why.
 */
struct gzip *
gzip_open(int level, long long length, int *zerr)
{
	struct gzip *gz;
	int wbits, memlevel;

	sizes(length, &wbits, &memlevel);
	if ((gz = reuse(level, wbits, memlevel)) != NULL) {
		gz->unflushed = false;
		return gz;
	}
	if ((gz = calloc(1, sizeof(*gz))) == NULL) {
		*zerr = Z_MEM_ERROR;
		return NULL;
	}
	/* windowBits + 16: zlib writes the gzip header and trailer. */
	*zerr = deflateInit2(&gz->z, level, Z_DEFLATED, wbits + 16, memlevel,
	    Z_DEFAULT_STRATEGY);
	if (*zerr != Z_OK) {
		free(gz);
		return NULL;
	}
	gz->level = level;
	gz->wbits = wbits;
	gz->memlevel = memlevel;
	return gz;
}

/* Compress n bytes; the output is appended to out.  -1 when zlib fails
 * (only a broken stream can make it). */
int
gzip_write(struct gzip *gz, const void *in, size_t n, enum gzip_flush flush,
    struct buf *out)
{
	static const int mode[] = { Z_NO_FLUSH, Z_SYNC_FLUSH, Z_FINISH };
	size_t room = n / 2 + OUT_MIN;
	int rc;

	gz->z.next_in = (Bytef *)(uintptr_t)in;
	gz->z.avail_in = (uInt)n;
	for (;;) {
		buf_reserve(out, room);
		gz->z.next_out = (Bytef *)out->p + out->len;
		gz->z.avail_out = (uInt)(out->cap - out->len);
		rc = deflate(&gz->z, mode[flush]);
		out->len = out->cap - gz->z.avail_out;
		if (rc == Z_STREAM_ERROR)
			return -1;
		/* Room left over: the input is taken and the flush is done. */
		if (gz->z.avail_out != 0)
			break;
		room = out->cap;
	}
	gz->unflushed = flush == GZIP_MORE && (n > 0 || gz->unflushed);
	return 0;
}

/* Has input gone in that a GZIP_SYNC would bring out? */
bool
gzip_pending(const struct gzip *gz)
{
	return gz->unflushed;
}

void
gzip_close(struct gzip *gz)
{
	if (gz == NULL)
		return;
	if (idle == NULL) {
		idle = gz;
		return;
	}
	deflateEnd(&gz->z);
	free(gz);
}
