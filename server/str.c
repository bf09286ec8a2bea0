/*
 * Helpers over struct str shared by the request parser and handlers.
 */
#include "config.h"

#include <limits.h>

#include "str.h"

/* Does a comma-separated header value (Connection, TE, ...) contain token,
 * compared case-insensitively? */
bool
str_has_token(struct str list, const char *token)
{
	size_t tlen = strlen(token), i = 0, start, end;

	while (i < list.n) {
		while (i < list.n && (list.p[i] == ' ' || list.p[i] == '\t' ||
		    list.p[i] == ','))
			i++;
		start = i;
		while (i < list.n && list.p[i] != ',')
			i++;
		end = i;
		while (end > start && (list.p[end - 1] == ' ' ||
		    list.p[end - 1] == '\t'))
			end--;
		if (end - start == tlen &&
		    strncasecmp(list.p + start, token, tlen) == 0)
			return true;
	}
	return false;
}

/* Is s one of names, compared case-insensitively? */
bool
str_caseeq_any(struct str s, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (str_caseeq(s, names[i]))
			return true;
	return false;
}

/* Parse a non-negative decimal number; -1 on anything else or overflow. */
int
str_to_off(struct str s, long long *out)
{
	long long v = 0;
	size_t i;

	if (s.n == 0)
		return -1;
	for (i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return -1;
		if (v > (LLONG_MAX - (s.p[i] - '0')) / 10)
			return -1;
		v = v * 10 + (s.p[i] - '0');
	}
	*out = v;
	return 0;
}

/* v in decimal, written at the end of out (no printf: it is per response). */
struct str
str_dec(char out[STR_DEC_MAX], long long v)
{
	int i = STR_DEC_MAX;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v :
	    (unsigned long long)v;

	do {
		out[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		out[--i] = '-';
	return (struct str){ out + i, (size_t)(STR_DEC_MAX - i) };
}
