/*
 * Error log lines about a request carry its context, nginx's way: the
 * connection number first, then after the message the client, the server,
 * the request line, the upstream and the Host.  Everything that serves a
 * request logs through here, below the code that dispatches it.  Bytes
 * that came from the client (the request line, the Host, a path or key
 * in a message through req_escape) are escaped as nginx's access log
 * escapes them, so a request cannot write a line, or a field, of its own.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "http.h"
#include "log.h"
#include "request.h"

#define LINE_SHOWN	512	/* bytes of the request line in the context */
#define HOST_SHOWN	256

/* ", name: "value"" with value's first max bytes escaped. */
static void
add_field(struct buf *b, const char *name, const char *p, size_t n, size_t max)
{
	size_t start;

	buf_printf(b, ", %s: \"", name);
	start = b->len;
	buf_add(b, p, n < max ? n : max);
	buf_escape_from(b, start);
	buf_addc(b, '"');
}

/* A client's bytes, escaped, for a message of req_log. */
const char *
req_escape(const struct request *r, const char *p, size_t n)
{
	struct buf b = { 0 };
	char *out;

	buf_add(&b, p, n);
	buf_escape_from(&b, 0);
	out = pool_strndup(r->pool, b.p != NULL ? b.p : "", b.len);
	buf_free(&b);
	return out;
}

/* Log with the request's context, nginx's way. */
void
req_log(struct request *r, int level, int err, const char *fmt, ...)
{
	const struct str *host = http_header_get(r, "Host");
	struct buf suffix = { 0 };
	struct log_ctx ctx;
	va_list ap;

	if (level > log_level)
		return;
	buf_printf(&suffix, ", client: %s, server: %s", r->c->peer_text,
	    r->srv ? r->srv->first_name : "");
	if (r->line.n > 0)
		add_field(&suffix, "request", r->line.p, r->line.n, LINE_SHOWN);
	if (r->log_upstream != NULL)	/* its URI is the client's */
		add_field(&suffix, "upstream", r->log_upstream,
		    strlen(r->log_upstream), LOG_LINE_MAX);
	if (host != NULL)
		add_field(&suffix, "host", host->p, host->n, HOST_SHOWN);
	buf_addc(&suffix, '\0');
	ctx.file = r->sc ? r->sc->error_log : NULL;
	ctx.conn = r->c->id;
	ctx.suffix = suffix.p;
	va_start(ap, fmt);
	log_vctx(&ctx, level, err, fmt, ap);
	va_end(ap);
	buf_free(&suffix);
}
