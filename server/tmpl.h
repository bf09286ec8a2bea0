/*
 * Templates: configuration strings with $variables, compiled once at load
 * time into literal and variable parts, evaluated per request.
 */
#ifndef PORTICO_TMPL_H
#define PORTICO_TMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "str.h"

struct pool;
struct request;
struct buf;

struct tmpl_part {
	int		 var;		/* variable index, -1 for a literal */
	struct str	 text;		/* the literal, or the variable's argument
					 * ($http_NAME: NAME, $1: "1") */
};

struct tmpl {
	const char		*src;
	size_t			 nparts;
	struct tmpl_part	*parts;
};

struct tmpl	*tmpl_compile(struct pool *, const char *src, const char **err);
bool		 tmpl_is_literal(const struct tmpl *);
void		 tmpl_eval(const struct tmpl *, struct request *, struct buf *);
char		*tmpl_eval_str(const struct tmpl *, struct request *, size_t *len);

#endif
