/*
 * Fuzz target: an upstream's response head (proxy_parse.c).  The input is
 * what an upstream sends; a head that parses must have a sane status,
 * length and framing.
 */
#include "config.h"

#include "http.h"
#include "proxy_parse.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct header headers[HTTP_HEADERS_MAX];
	struct upstream_head h;
	char *in = fuzz_copy(data, size);

	memset(&h, 0, sizeof(h));
	h.headers = headers;
	if (proxy_parse_head(in, size, &h, HTTP_HEADERS_MAX) == 0) {
		assert(h.len > 0 && h.len <= size && in[h.len - 1] == '\n');
		assert(h.status >= 100 && h.status <= 999);
		assert(h.version == 10 || h.version == 11);
		assert(h.nheaders <= HTTP_HEADERS_MAX);
		assert(!h.chunked || h.content_length == -1);
	}
	free(in);
	return 0;
}
