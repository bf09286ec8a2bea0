/*
 * An upstream's response head made the client's response: the status,
 * Content-Type and every header but the hop-by-hop ones and those portico
 * writes itself.  Used for a live answer (proxy.c) and for one replayed
 * from the cache (proxy_cache.c), whose stored head is the upstream's as
 * it arrived.  Everything is copied into the request's pool.
 */
#include "config.h"

#include "http.h"
#include "proxy_parse.h"
#include "request.h"

/* Hop-by-hop headers, and the ones portico writes itself. */
static bool
skip_response_header(struct str name)
{
	static const char *const names[] = {
		"Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding",
		"TE", "Trailer", "Upgrade", "Content-Length", "Server", "Date",
	};

	return str_caseeq_any(name, names, sizeof(names) / sizeof(names[0]));
}

void
proxy_head_adopt(struct request *r, const struct upstream_head *h)
{
	size_t i;
	const struct str *conn = NULL;

	for (i = 0; i < h->nheaders; i++)
		if (str_caseeq(h->headers[i].name, "Connection"))
			conn = &h->headers[i].value;
	r->status = h->status;
	if (http_reason(h->status) == NULL && h->reason.n > 0)
		r->reason = (struct str){ pool_strndup(r->pool, h->reason.p,
		    h->reason.n), h->reason.n };
	for (i = 0; i < h->nheaders; i++) {
		struct header *hd = &h->headers[i];
		char *name = pool_strndup(r->pool, hd->name.p, hd->name.n);
		if (str_caseeq(hd->name, "Content-Type")) {
			r->content_type = pool_strndup(r->pool, hd->value.p, hd->value.n);
			continue;
		}
		if (skip_response_header(hd->name) ||
		    (conn != NULL && str_has_token(*conn, name)))
			continue;
		http_add_header(r, name, (struct str){ pool_strndup(r->pool,
		    hd->value.p, hd->value.n), hd->value.n });
	}
	r->out_length = h->content_length;
	if (r->method == M_HEAD || h->status == 204 || h->status == 304 ||
	    h->status < 200)
		r->header_only = true;
}
