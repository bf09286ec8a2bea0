/*
 * Error log lines about a request carry its context, nginx's way: the
 * connection number first, then after the message the client, the server,
 * the request line, the upstream and the Host.  Everything that serves a
 * request logs through here, below the code that dispatches it.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "http.h"
#include "log.h"
#include "request.h"

/* Log with the request's context, nginx's way. */
void
req_log(struct request *r, int level, int err, const char *fmt, ...)
{
	char suffix[1024];
	const struct str *host = http_header_get(r, "Host");
	struct log_ctx ctx;
	va_list ap;
	int n;

	n = snprintf(suffix, sizeof(suffix), ", client: %s, server: %s",
	    r->c->peer_text, r->srv ? r->srv->first_name : "");
	if (n > 0 && (size_t)n < sizeof(suffix) && r->line.n > 0)
		n += snprintf(suffix + n, sizeof(suffix) - (size_t)n,
		    ", request: \"%.*s\"", (int)(r->line.n > 512 ? 512 : r->line.n),
		    r->line.p);
	if (n > 0 && (size_t)n < sizeof(suffix) && r->log_upstream != NULL)
		n += snprintf(suffix + n, sizeof(suffix) - (size_t)n,
		    ", upstream: \"%s\"", r->log_upstream);
	if (n > 0 && (size_t)n < sizeof(suffix) && host != NULL)
		snprintf(suffix + n, sizeof(suffix) - (size_t)n, ", host: \"%.*s\"",
		    (int)(host->n > 256 ? 256 : host->n), host->p);
	ctx.file = r->sc ? r->sc->error_log : NULL;
	ctx.conn = r->c->id;
	ctx.suffix = suffix;
	va_start(ap, fmt);
	log_vctx(&ctx, level, err, fmt, ap);
	va_end(ap);
}
