/*
 * An upstream's response head, parsed from the bytes read so far
 * (proxy_parse.c).  Pure: no I/O.
 */
#ifndef PORTICO_PROXY_PARSE_H
#define PORTICO_PROXY_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "str.h"

struct header;

/* An upstream's response head (proxy_parse.c). */
struct upstream_head {
	int		 status;
	int		 version;		/* 10 or 11 */
	struct str	 reason;
	struct header	*headers;
	size_t		 nheaders;
	long long	 content_length;	/* -1: none */
	bool		 chunked;
	bool		 close_delimited;	/* a transfer coding other than chunked */
	bool		 conn_close;
	bool		 conn_keepalive;
	size_t		 len;
};

int	proxy_parse_head(const char *, size_t, struct upstream_head *, size_t max);
const struct str *upstream_header(const struct upstream_head *, const char *name);

#endif
