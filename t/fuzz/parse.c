/*
 * Fuzz target: the request head (http_parse.c).  The input is what a
 * client sends.  Its head is found in two steps, as when it arrives in two
 * reads, and must end where one step finds it; a complete head is parsed
 * from a buffer holding exactly the head, an incomplete one is checked for
 * overflow.
 */
#include "config.h"

#include "http.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct header headers[HTTP_HEADERS_MAX];
	const char *in = (const char *)data;
	struct request r;
	struct pool pool;
	size_t scan = 0, whole = 0, end;
	char *head;

	end = http_head_end(in, size / 2, &scan);
	if (end == 0)
		end = http_head_end(in, size, &scan);
	assert(end == http_head_end(in, size, &whole));
	if (end == 0) {
		(void)http_head_overflow(in, size);
		return 0;
	}
	assert(end <= size && in[end - 1] == '\n');
	head = fuzz_copy(data, end);
	memset(&r, 0, sizeof(r));
	pool_init(&pool, 4096);
	r.pool = &pool;
	r.headers = headers;
	if (http_parse_head(&r, head, end) == 0) {
		assert(r.uri.n > 0 && (r.uri.p[0] == '/' || r.uri.p[0] == '*'));
		assert(r.version == 10 || r.version == 11);
		assert(r.head_len <= end && r.nheaders <= HTTP_HEADERS_MAX);
	}
	pool_destroy(&pool);
	free(head);
	return 0;
}
