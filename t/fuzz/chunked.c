/*
 * Fuzz target: chunked request bodies (http_chunked.c).  The first byte
 * of the input is the size of the pieces the rest arrives in; decoding it
 * piece by piece must give the same payload and the same verdict as
 * decoding it at once.
 */
#include "config.h"

#include <stdbool.h>

#include "http.h"
#include "fuzz.h"

struct result {
	char	*payload;
	size_t	 len;
	size_t	 used;		/* input consumed */
	bool	 done;
	bool	 bad;
};

static void
decode(const uint8_t *in, size_t len, size_t piece, struct result *res)
{
	struct chunked ck;
	size_t off = 0, k, used;
	long out;
	char *buf;

	memset(&ck, 0, sizeof(ck));
	memset(res, 0, sizeof(*res));
	res->payload = malloc(len ? len : 1);
	while (off < len && !ck.done) {
		k = len - off < piece ? len - off : piece;
		buf = fuzz_copy(in + off, k);
		out = chunked_decode(&ck, buf, k, &used);
		if (out < 0) {
			free(buf);
			res->bad = true;
			break;
		}
		/* All input is taken until the body ends; payload never
		 * outgrows the input it came from. */
		assert(used == k || (ck.done && used < k));
		assert((size_t)out <= used);
		memcpy(res->payload + res->len, buf, (size_t)out);
		res->len += (size_t)out;
		off += used;
		free(buf);
	}
	res->used = off;
	res->done = ck.done;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result all, pieces;

	if (size == 0)
		return 0;
	decode(data + 1, size - 1, size - 1, &all);
	decode(data + 1, size - 1, data[0] % 16 + 1, &pieces);
	assert(all.bad == pieces.bad);
	if (!all.bad) {
		assert(all.done == pieces.done && all.used == pieces.used);
		assert(all.len == pieces.len &&
		    memcmp(all.payload, pieces.payload, all.len) == 0);
	}
	free(all.payload);
	free(pieces.payload);
	return 0;
}
