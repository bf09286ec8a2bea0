/*
 * The media type table: "type ext ext ..." lines, '#' comments.  Lookup is
 * by the extension after the last dot of the file name, case-insensitive,
 * in an open-addressing hash built once per configuration.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "pool.h"
#include "str.h"

struct mime_entry {
	const char	*ext;
	size_t		 len;
	const char	*type;
};

struct mime_table {
	struct mime_entry	*slots;
	size_t			 mask;
	size_t			 count;
};

static uint32_t
hash_ext(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)lower(s[i])) * 16777619u;
	return h;
}

static struct mime_entry *
slot_for(const struct mime_table *t, const char *ext, size_t len)
{
	size_t i = hash_ext(ext, len) & t->mask;

	for (;; i = (i + 1) & t->mask) {
		struct mime_entry *e = &t->slots[i];
		if (e->ext == NULL ||
		    (e->len == len && strncasecmp(e->ext, ext, len) == 0))
			return e;
	}
}

static void
grow(struct pool *p, struct mime_table *t)
{
	struct mime_table bigger;
	size_t i;

	bigger.mask = t->mask ? t->mask * 2 + 1 : 1023;
	bigger.count = 0;
	bigger.slots = pool_zalloc(p, sizeof(*bigger.slots) * (bigger.mask + 1));
	for (i = 0; t->slots != NULL && i <= t->mask; i++)
		if (t->slots[i].ext != NULL) {
			*slot_for(&bigger, t->slots[i].ext, t->slots[i].len) = t->slots[i];
			bigger.count++;
		}
	*t = bigger;
}

static void
add(struct pool *p, struct mime_table *t, const char *ext, const char *type)
{
	struct mime_entry *e;

	if ((t->count + 1) * 2 > t->mask)
		grow(p, t);
	e = slot_for(t, ext, strlen(ext));
	if (e->ext == NULL)
		t->count++;
	e->ext = pool_strdup(p, ext);
	e->len = strlen(ext);
	e->type = type;
}

/* When no types file was named and the default one is not installed (a
 * configuration run from a checkout, say): the common types, as nginx has
 * its own few built in. */
struct mime_table *
mime_builtin(struct pool *p)
{
	static const char *table[][2] = {
		{ "html", "text/html" }, { "htm", "text/html" },
		{ "css", "text/css" }, { "txt", "text/plain" },
		{ "js", "application/javascript" }, { "json", "application/json" },
		{ "xml", "text/xml" }, { "svg", "image/svg+xml" },
		{ "png", "image/png" }, { "jpg", "image/jpeg" },
		{ "jpeg", "image/jpeg" }, { "gif", "image/gif" },
		{ "ico", "image/x-icon" }, { "webp", "image/webp" },
		{ "pdf", "application/pdf" }, { "wasm", "application/wasm" },
		{ "woff", "font/woff" }, { "woff2", "font/woff2" },
	};
	struct mime_table *t = pool_zalloc(p, sizeof(*t));
	size_t i;

	grow(p, t);
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		add(p, t, table[i][0], table[i][1]);
	return t;
}

struct mime_table *
mime_load(struct pool *p, const char *path, char *err, size_t errlen)
{
	FILE *f;
	char line[4096], *tok, *save, *type;
	struct mime_table *t;

	f = fopen(path, "re");
	if (f == NULL) {
		snprintf(err, errlen, "open() \"%s\" failed (%d: %s)", path, errno,
		    strerror(errno));
		return NULL;
	}
	t = pool_zalloc(p, sizeof(*t));
	grow(p, t);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *hash = strchr(line, '#');
		if (hash != NULL)
			*hash = '\0';
		tok = strtok_r(line, " \t\r\n", &save);
		if (tok == NULL)
			continue;
		type = pool_strdup(p, tok);
		while ((tok = strtok_r(NULL, " \t\r\n;", &save)) != NULL)
			add(p, t, tok, type);
	}
	fclose(f);
	return t;
}

/* The type for a file name, or NULL when its extension is not listed. */
const char *
mime_lookup(const struct mime_table *t, const char *path, size_t len)
{
	size_t i = len;
	const struct mime_entry *e;

	while (i > 0 && path[i - 1] != '.' && path[i - 1] != '/')
		i--;
	if (i == 0 || path[i - 1] != '.' || i == len)
		return NULL;
	e = slot_for(t, path + i, len - i);
	return e->ext != NULL ? e->type : NULL;
}
