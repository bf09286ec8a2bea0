/*
 * Fuzz target: request path normalisation (http_uri.c).  A normalised path
 * starts with a slash and holds no empty, "." or ".." segment, nor a NUL;
 * it is never longer than the input, and normalising it again changes
 * nothing (when nothing in it is left to decode).
 */
#include "config.h"

#include "http.h"
#include "fuzz.h"

static bool
has_segment(const char *p, size_t n, const char *seg)
{
	size_t k = strlen(seg);
	const char *s;

	for (s = p; (s = memchr(s, '/', n - (size_t)(s - p))) != NULL; s++)
		if ((size_t)(p + n - s) > k && memcmp(s + 1, seg, k) == 0 &&
		    (s + 1 + k == p + n || s[1 + k] == '/'))
			return true;
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_copy(data, size), *out = malloc(size + 1), *again;
	size_t n, m;

	if (http_uri_normalize(in, size, out, &n) == 0) {
		assert(n > 0 && n <= size && out[0] == '/' && out[n] == '\0');
		assert(memchr(out, '\0', n) == NULL);
		assert(memmem(out, n, "//", 2) == NULL);
		assert(!has_segment(out, n, ".") && !has_segment(out, n, ".."));
		if (memchr(out, '%', n) == NULL && memchr(out, '#', n) == NULL) {
			again = malloc(n + 1);
			assert(http_uri_normalize(out, n, again, &m) == 0);
			assert(m == n && memcmp(again, out, n) == 0);
			free(again);
		}
	}
	free(in);
	free(out);
	return 0;
}
