/*
 * File extension -> media type, read from a table in /etc/mime.types form.
 */
#ifndef PORTICO_MIME_H
#define PORTICO_MIME_H

#include <stddef.h>

struct pool;
struct mime_table;

struct mime_table	*mime_builtin(struct pool *);
struct mime_table	*mime_load(struct pool *, const char *path, char *err,
			    size_t errlen);
const char		*mime_lookup(const struct mime_table *, const char *path,
			    size_t len);

#endif
