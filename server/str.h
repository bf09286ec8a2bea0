/*
 * Length-counted strings that point into buffers the caller owns, and the
 * few helpers the parsers share.
 */
#ifndef PORTICO_STR_H
#define PORTICO_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

struct str {
	const char	*p;
	size_t		 n;
};

#define STR(lit)	((struct str){ (lit), sizeof(lit) - 1 })
#define STR_NULL	((struct str){ NULL, 0 })

static inline bool
str_eq(struct str a, const char *lit)
{
	size_t n = strlen(lit);

	return a.n == n && memcmp(a.p, lit, n) == 0;
}

static inline bool
str_caseeq(struct str a, const char *lit)
{
	size_t n = strlen(lit);

	return a.n == n && strncasecmp(a.p, lit, n) == 0;
}

static inline char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c | 0x20) : c;
}

#define STR_DEC_MAX	24	/* room for any long long in decimal */

bool	str_has_token(struct str list, const char *token);
bool	str_caseeq_any(struct str, const char *const *names, size_t n);
int	str_to_off(struct str, long long *);
struct str str_dec(char out[STR_DEC_MAX], long long);

#endif
