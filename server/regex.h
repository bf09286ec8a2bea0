/*
 * PCRE2 regular expressions for regex locations and server names, with the
 * captures a match leaves for $1..$9.
 */
#ifndef PORTICO_REGEX_H
#define PORTICO_REGEX_H

#include <stdbool.h>
#include <stddef.h>

#define REGEX_CAPTURES	10

struct regex_caps {
	const char	*subject;
	int		 n;			/* captures set, 0 = none */
	size_t		 ovec[REGEX_CAPTURES * 2];
};

void	*regex_compile(const char *pattern, bool caseless, char *err, size_t errlen);
int	 regex_match(void *re, const char *s, size_t len, struct regex_caps *);
void	 regex_free(void *re);

#endif
