/*
 * Fuzz target: the Range header (http_range.c).  The input is the file's
 * size in decimal, a newline, then the header's value; a 206 answer must
 * name ranges that lie inside the file.  Few ranges are allowed, so the
 * limit is reached often.
 */
#include "config.h"

#include "http.h"
#include "fuzz.h"

#define RANGES	8

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct range out[RANGES];
	long long file = 0, total = 0;
	size_t i, n;
	char *value;

	for (i = 0; i < size && i < 18 && data[i] >= '0' && data[i] <= '9'; i++)
		file = file * 10 + (data[i] - '0');
	if (i < size && data[i] == '\n')
		i++;
	value = fuzz_copy(data + i, size - i);
	if (http_parse_range((struct str){ value, size - i }, file, out, RANGES,
	    &n) == 206) {
		assert(n > 0 && n <= RANGES);
		for (i = 0; i < n; i++) {
			assert(out[i].start >= 0 && out[i].start <= out[i].end);
			assert(out[i].end < file);
			total += out[i].end - out[i].start + 1;
		}
		assert(total <= file);
	}
	free(value);
	return 0;
}
