/*
 * Where the converted configuration behaves otherwise than nginx did.
 * nginx's add_header and proxy_set_header at a level replace the outer
 * levels' entirely; portico merges them (SPEC.md section 3, rule 4),
 * so that a location's own header does not silently drop the server's
 * HSTS.  Where a level has its own and an outer level names headers this
 * one does not, a comment before the level's group says which headers
 * portico sends there that nginx did not.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "buf.h"
#include "convert.h"
#include "pool.h"

static const char *const header_kinds[][2] = {
	{ "proxy_set_header", NULL },
	{ "add_header", "add_header_always" },
};

static bool
of_kind(const struct item *it, const char *const *kind)
{
	return it->kind == IT_GROUP && (strcmp(it->name, kind[0]) == 0 ||
	    (kind[1] != NULL && strcmp(it->name, kind[1]) == 0));
}

static bool
names_header(const struct block *b, const char *const *kind, const char *name)
{
	const struct item *it;
	size_t i;

	for (it = b->items; it != NULL; it = it->next)
		for (i = 0; of_kind(it, kind) && i < it->n; i += 2)
			if (strcasecmp(it->v[i], name) == 0)
				return true;
	return false;
}

static void
merge_note(struct pool *pool, struct block *b, const char *const *kind)
{
	const char **names = NULL;
	size_t n = 0, i, j;
	const struct block *o;
	const struct item *it;
	struct item **at, *note;
	struct buf text = { 0 };

	for (at = &b->items; *at != NULL && !of_kind(*at, kind); at = &(*at)->next)
		;
	if (*at == NULL)
		return;
	for (o = b->outer; o != NULL; o = o->outer)
		for (it = o->items; it != NULL; it = it->next)
			for (i = 0; of_kind(it, kind) && i < it->n; i += 2) {
				for (j = 0; j < n && strcasecmp(names[j], it->v[i]); j++)
					;
				if (j < n || names_header(b, kind, it->v[i]))
					continue;
				names = pool_grow(pool, names, n, sizeof(*names));
				names[n++] = it->v[i];
				buf_adds(&text, n > 1 ? ", " : "");
				buf_adds(&text, it->v[i]);
			}
	if (n == 0)
		return;
	note = pool_zalloc(pool, sizeof(*note));
	note->kind = IT_COMMENT;
	note->name = pool_printf(pool, "nginx drops the outer levels' %s here "
	    "and portico merges them: this level also sends %.*s (set a name to "
	    "\"\" here to drop it)", kind[0], (int)text.len, text.p);
	note->next = *at;
	*at = note;
	buf_free(&text);
}

void
merge_notes(struct pool *pool, struct block *b)
{
	struct block *k;
	size_t i;

	for (i = 0; b->outer != NULL && i < sizeof(header_kinds) /
	    sizeof(header_kinds[0]); i++)
		merge_note(pool, b, header_kinds[i]);
	for (k = b->kids; k != NULL; k = k->next)
		merge_notes(pool, k);
}

