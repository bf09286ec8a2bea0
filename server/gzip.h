/*
 * A streaming gzip compressor over zlib: a body goes in piece by piece and
 * comes out compressed, gzip header and trailer included, so nothing has
 * to be held whole.
 */
#ifndef PORTICO_GZIP_H
#define PORTICO_GZIP_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

enum gzip_flush {
	GZIP_MORE,		/* more input follows: output when zlib likes */
	GZIP_SYNC,		/* more follows, but send what came so far */
	GZIP_END,		/* the last piece: finish the stream */
};

struct gzip;

struct gzip	*gzip_open(int level, long long length, int *zerr);
int		 gzip_write(struct gzip *, const void *, size_t, enum gzip_flush,
		    struct buf *out);
bool		 gzip_pending(const struct gzip *);
void		 gzip_close(struct gzip *);

#endif
