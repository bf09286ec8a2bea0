/*
 * Which responses gzip compresses, as nginx decides it: pure functions
 * over the request, its response head and the location's settings.
 */
#ifndef PORTICO_HTTP_GZIP_H
#define PORTICO_HTTP_GZIP_H

#include <stdbool.h>

#include "http.h"

bool	gzip_accepts(struct str accept_encoding);
bool	gzip_msie6(struct str user_agent);
bool	gzip_type_listed(const struct strv *types, const char *content_type);
bool	gzip_client_ok(const struct request *);
bool	gzip_eligible(const struct request *);
bool	gzip_wanted(const struct request *);

#endif
