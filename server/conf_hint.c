/*
 * Hints for a setting portico does not know: the portico way of writing an
 * nginx directive that lives elsewhere here ("least_conn" is a method of
 * an upstream, "location" blocks are the server's "locations"), or the
 * known setting a misspelt name is nearest to.
 */
#include "config.h"

#include <string.h>

#include "conf_int.h"

#define ANY	(CTX_MAIN | CTX_SERVER | CTX_LOCATION | CTX_UPSTREAM)
#define MSL	(CTX_MAIN | CTX_SERVER | CTX_LOCATION)
#define ACCESS	"write access = [ \"allow ADDRESS\", \"deny all\" ]; (nginx's " \
		"allow and deny lines, first match wins)"

static const struct {
	const char	*name;
	unsigned	 ctx;		/* where the habit is met */
	const char	*hint;
} habits[] = {
	{ "server", CTX_UPSTREAM, "write servers = [ \"host:port\", ... ];" },
	{ "server", MSL, "write servers = ( { listen = \"80\"; ... } );" },
	{ "location", ANY, "write locations = ( { match = \"/path\"; ... } );" },
	{ "upstream", ANY, "write upstreams = { NAME = { servers = "
	    "[ \"host:port\" ]; }; };" },
	{ "least_conn", ANY, "write method = \"least_conn\"; inside the upstream" },
	{ "ip_hash", ANY, "write method = \"ip_hash\"; inside the upstream" },
	{ "hash", ANY, "write method = \"hash KEY [consistent]\"; inside the "
	    "upstream" },
	{ "allow", ANY, ACCESS },
	{ "deny", ANY, ACCESS },
	{ "ssl", ANY, "write listen = \"443 ssl\"; in the server" },
	{ "http2", ANY, "write listen = \"443 ssl http2\"; in the server" },
	{ "http", ANY, "portico has no http block: its settings go at the top "
	    "level" },
	{ "events", ANY, "portico has no events block: see workers" },
	{ "worker_processes", ANY, "write workers = { start = N; }; each worker "
	    "serves one connection at a time" },
	{ "worker_connections", ANY, "write workers = { max = N; }; each worker "
	    "serves one connection at a time" },
	{ "types", ANY, "write types_file = \"PATH\"; naming a mime.types file" },
};

const char *
conf_nginx_hint(const char *name, unsigned ctx)
{
	size_t i;

	for (i = 0; i < sizeof(habits) / sizeof(habits[0]); i++)
		if ((habits[i].ctx & ctx) && strcmp(habits[i].name, name) == 0)
			return habits[i].hint;
	return NULL;
}

/* Levenshtein distance, for names of up to 63 characters. */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, row[64], diag, up;

	if (la >= 64 || lb >= 64)
		return 64;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			row[j] = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[lb];
}

/* The setting name is a near miss of: one allowed in ctx if any is near
 * enough (two edits, fewer for short names), else any; NULL if none. */
const char *
conf_nearest_setting(const char *name, unsigned ctx)
{
	size_t i, d, best = strlen(name) / 3 < 2 ? strlen(name) / 3 : 2;
	const char *found = NULL, *elsewhere = NULL;
	size_t best_elsewhere = best;

	for (i = 0; i < nsettings; i++) {
		d = distance(name, settings[i].name);
		if ((settings[i].ctx & ctx) && d <= best && (found == NULL || d < best)) {
			found = settings[i].name;
			best = d;
		} else if (!(settings[i].ctx & ctx) && d <= best_elsewhere &&
		    (elsewhere == NULL || d < best_elsewhere)) {
			elsewhere = settings[i].name;
			best_elsewhere = d;
		}
	}
	return found != NULL ? found : elsewhere;
}
