/*
 * -T: the effective configuration as one libconfig document, includes
 * resolved.  The main level shows every setting (its value or default);
 * servers and locations show what they set.  The output is itself a valid
 * portico.conf.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "conf_int.h"

static void
dump_entries(FILE *out, const struct dump *d, int indent)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		fprintf(out, "%*s%s = %s;\n", indent, "", d->v[i].name, d->v[i].text);
}

static void
dump_location(FILE *out, const struct location *loc, bool last)
{
	struct buf b = { 0 };

	cf_quote(&b, loc->match_text);
	buf_addc(&b, '\0');
	fprintf(out, "      {\n        # %s:%d\n        match = %s;\n", loc->file,
	    loc->line, b.p);
	dump_entries(out, loc->dump, 8);
	fprintf(out, "      }%s\n", last ? "" : ",");
	buf_free(&b);
}

static void
dump_server(FILE *out, const struct server *srv, bool last)
{
	size_t i;

	fprintf(out, "  {\n    # %s:%d\n", srv->file, srv->line);
	dump_entries(out, srv->dump, 4);
	if (srv->nlocs > 0) {
		fprintf(out, "    locations = (\n");
		for (i = 0; i < srv->nlocs; i++)
			dump_location(out, srv->locs[i], i + 1 == srv->nlocs);
		fprintf(out, "    );\n");
	}
	fprintf(out, "  }%s\n", last ? "" : ",");
}

static void
dump_upstreams(FILE *out, const struct config *cf)
{
	size_t i;
	bool any = false;

	for (i = 0; i < cf->nupstreams; i++) {
		const struct upstream *u = cf->upstreams[i];
		if (u->implicit)
			continue;
		if (!any)
			fprintf(out, "upstreams = {\n");
		any = true;
		fprintf(out, "  %s = {\n    # %s:%d\n", u->name, u->file, u->line);
		dump_entries(out, u->dump, 4);
		fprintf(out, "  };\n");
	}
	if (any)
		fprintf(out, "};\n");
}

void
conf_dump(struct config *cf, FILE *out)
{
	const struct dump_ent *e;
	size_t i;

	fprintf(out, "# the effective configuration of %s, includes resolved\n",
	    cf->file);
	for (i = 0; i < nsettings; i++) {
		const struct setting *s = &settings[i];
		if (!(s->ctx & CTX_MAIN) || (s->flags & SET_STRUCTURE))
			continue;
		if ((e = dump_find(&cf->dump, s->name)) != NULL)
			fprintf(out, "%s = %s;\n", s->name, e->text);
		else if (s->dflt != NULL)
			fprintf(out, "%s = %s;\n", s->name, s->dflt);
	}
	dump_upstreams(out, cf);
	if (cf->nservers == 0)
		return;
	fprintf(out, "servers = (\n");
	for (i = 0; i < cf->nservers; i++)
		dump_server(out, cf->servers[i], i + 1 == cf->nservers);
	fprintf(out, ");\n");
}
