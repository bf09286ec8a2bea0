/*
 * The converted configuration as libconfig text, laid out as the README
 * and portico.conf(5) write it: settings one a line, a list of one string
 * as that string (SPEC.md section 3, rule 2), longer lists one element a
 * line, blocks indented by two spaces.  Strings are quoted by cf_quote,
 * the quoting -T's dump uses.
 */
#include "config.h"

#include "buf.h"
#include "conf_int.h"
#include "convert.h"

#define LINE_WIDTH	72

static void	body(struct buf *, const struct block *, int indent);

static void
pad(struct buf *b, int indent)
{
	buf_printf(b, "%*s", indent, "");
}

/* A comment stays on its line whatever its text holds. */
static void
comment(struct buf *b, const char *text, int indent)
{
	pad(b, indent);
	buf_adds(b, "# ");
	for (; *text != '\0'; text++)
		buf_addc(b, (unsigned char)*text < 0x20 ? ' ' : *text);
	buf_addc(b, '\n');
}

static void
list(struct buf *b, const struct item *it, int indent)
{
	size_t i, width = 0;
	bool wrap;

	if (it->n == 1) {
		cf_quote(b, it->v[0]);
		return;
	}
	for (i = 0; i < it->n; i++)
		width += strlen(it->v[i]) + 4;
	wrap = width + strlen(it->name) + (size_t)indent > LINE_WIDTH;
	buf_addc(b, '[');
	for (i = 0; i < it->n; i++) {
		buf_adds(b, i > 0 ? "," : "");
		if (wrap) {
			buf_addc(b, '\n');
			pad(b, indent + 2);
		} else
			buf_addc(b, ' ');
		cf_quote(b, it->v[i]);
	}
	if (wrap) {
		buf_addc(b, '\n');
		pad(b, indent);
	} else
		buf_addc(b, ' ');
	buf_addc(b, ']');
}

static void
group(struct buf *b, const struct item *it, int indent)
{
	size_t i;

	buf_adds(b, "{\n");
	for (i = 0; i + 1 < it->n; i += 2) {
		pad(b, indent + 2);
		buf_printf(b, "%s = ", it->v[i]);
		cf_quote(b, it->v[i + 1]);
		buf_adds(b, ";\n");
	}
	pad(b, indent);
	buf_addc(b, '}');
}

static void
item(struct buf *b, const struct item *it, int indent)
{
	if (it->kind == IT_COMMENT) {
		comment(b, it->name, indent);
		return;
	}
	pad(b, indent);
	buf_printf(b, "%s = ", it->name);
	switch (it->kind) {
	case IT_STRING:	cf_quote(b, it->v[0]); break;
	case IT_BOOL:	buf_adds(b, it->b ? "true" : "false"); break;
	case IT_LIST:	list(b, it, indent); break;
	default:	group(b, it, indent); break;
	}
	buf_adds(b, ";\n");
}

static void
upstreams(struct buf *b, const struct block *bl, int indent)
{
	const struct block *u;

	pad(b, indent);
	buf_adds(b, "upstreams = {\n");
	for (u = bl->ups; u != NULL; u = u->next) {
		pad(b, indent + 2);
		buf_printf(b, "%s = {\n", u->name);
		body(b, u, indent + 4);
		pad(b, indent + 2);
		buf_adds(b, "};\n");
	}
	pad(b, indent);
	buf_adds(b, "};\n");
}

/* servers = ( { ... }, ... ); or a server's locations. */
static void
kids(struct buf *b, const struct block *bl, int indent)
{
	const struct block *k;

	pad(b, indent);
	buf_printf(b, "%s = (\n", bl->kids->ctx == CTX_SERVER ? "servers" :
	    "locations");
	for (k = bl->kids; k != NULL; k = k->next) {
		pad(b, indent + 2);
		buf_adds(b, "{\n");
		body(b, k, indent + 4);
		pad(b, indent + 2);
		buf_adds(b, k->next != NULL ? "},\n" : "}\n");
	}
	pad(b, indent);
	buf_adds(b, ");\n");
}

static void
body(struct buf *b, const struct block *bl, int indent)
{
	const struct item *it;

	for (it = bl->items; it != NULL; it = it->next)
		item(b, it, indent);
	if (bl->ups != NULL)
		upstreams(b, bl, indent);
	if (bl->kids != NULL)
		kids(b, bl, indent);
}

void
emit(struct buf *b, const struct block *main, const char *source)
{
	struct buf head = { 0 };

	buf_printf(&head, "portico configuration converted by portico-convert from %s",
	    source);
	comment(b, head.p, 0);
	comment(b, "Check it with portico -t before serving it; see portico.conf(5).",
	    0);
	buf_free(&head);
	body(b, main, 0);
}
