/*
 * Request path normalisation: percent-decoding, merging slashes, resolving
 * "." and "..".  Runs on every request before location matching, so a
 * path can never name anything above the root or alias it is mapped onto,
 * however its dots and slashes are encoded.
 */
#include "config.h"

#include "http.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * in[0..len) must start with '/'.  out needs len + 1 bytes; the result is
 * never longer than the input.  Returns 0, or -1 for a path to refuse
 * (bad escape, NUL whether raw or escaped, or ".." above the root).
 */
int
http_uri_normalize(const char *in, size_t len, char *out, size_t *outlen)
{
	size_t i, n = 0, seg;
	char c;
	int hi, lo;

	if (len == 0 || in[0] != '/')
		return -1;
	for (i = 0; i < len; i++) {
		c = in[i];
		if (c == '#')
			break;
		if (c == '%') {
			if (i + 2 >= len)
				return -1;
			hi = hexval(in[i + 1]);
			lo = hexval(in[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0')
			return -1;
		if (c == '/' && n > 0 && out[n - 1] == '/')
			continue;	/* merge slashes */
		out[n++] = c;
		if (c != '/')
			continue;
		/* A segment just ended: resolve "." and "..". */
		seg = n - 1;
		if (seg >= 2 && out[seg - 1] == '.' && out[seg - 2] == '/') {
			n -= 2;
		} else if (seg >= 3 && out[seg - 1] == '.' && out[seg - 2] == '.' &&
		    out[seg - 3] == '/') {
			if (seg == 3)
				return -1;
			n = seg - 3;
			while (out[n - 1] != '/')
				n--;
		}
	}
	/* The last segment has no slash after it. */
	if (n >= 2 && out[n - 1] == '.' && out[n - 2] == '/')
		n--;
	else if (n >= 3 && out[n - 1] == '.' && out[n - 2] == '.' &&
	    out[n - 3] == '/') {
		if (n == 3)
			return -1;
		n -= 3;
		while (out[n - 1] != '/')
			n--;
	}
	out[n] = '\0';
	*outlen = n;
	return 0;
}
