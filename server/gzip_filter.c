/*
 * gzip on a response, whatever the protocol.  Just before a head goes out,
 * its writer (http_send.c, http_proxy.c, h2.c) asks here: when http_gzip.c
 * says this client gets this response compressed, the head changes as
 * nginx's does (Content-Encoding: gzip; no Content-Length and no
 * Accept-Ranges; a strong ETag made weak, since the bytes differ) and a
 * compressor is opened that the writer feeds the body through.  A HEAD
 * gets the same head and no compressor.  With gzip_vary, every response
 * gzip could have compressed says "Vary: Accept-Encoding".
 */
#include "config.h"

#include <string.h>

#include "gzip.h"
#include "http.h"
#include "http_gzip.h"
#include "log.h"
#include "request.h"

/* nginx's weak ETag: W/ before a quoted tag; one already weak is kept; a
 * malformed one (NULL here) is dropped. */
static const char *
weak_etag(struct pool *pool, struct str tag)
{
	if (tag.n > 2 && tag.p[0] == 'W' && tag.p[1] == '/')
		return pool_strndup(pool, tag.p, tag.n);
	if (tag.n < 1 || tag.p[0] != '"')
		return NULL;
	return pool_printf(pool, "W/%.*s", (int)tag.n, tag.p);
}

/* Weaken every ETag of the head and drop Accept-Ranges (the compressed
 * bytes are another representation, and ranges of them are not offered)
 * and any empty Content-Encoding. */
static void
rewrite_head(struct request *r)
{
	const char *w;
	size_t i, kept = 0;

	if (r->etag[0] != '\0') {
		w = weak_etag(r->pool, (struct str){ r->etag, strlen(r->etag) });
		if (w == NULL || strlen(w) >= sizeof(r->etag))
			w = "";
		memcpy(r->etag, w, strlen(w) + 1);
	}
	for (i = 0; i < r->nout; i++) {
		struct out_header *h = &r->out[i];
		if (strcasecmp(h->name, "Accept-Ranges") == 0 ||
		    strcasecmp(h->name, "Content-Encoding") == 0)
			continue;
		if (strcasecmp(h->name, "ETag") == 0) {
			if ((w = weak_etag(r->pool, h->value)) == NULL)
				continue;
			h->value = (struct str){ w, strlen(w) };
		}
		r->out[kept++] = *h;
	}
	r->nout = kept;
	r->out_length = -1;
	http_add_header(r, "Content-Encoding", STR("gzip"));
}

/* Compress r's body: a compressor for it (a HEAD has none), the head
 * rewritten.  A compressor zlib cannot set up leaves the answer as it was. */
static void
compress(struct request *r)
{
	int zerr = 0;

	if (r->method != M_HEAD && !r->header_only) {
		r->gz = gzip_open((int)r->sc->gzip_comp_level, r->out_length, &zerr);
		if (r->gz == NULL) {
			req_log(r, LV_ERROR, 0, "deflateInit2() failed: %d, the answer "
			    "goes uncompressed", zerr);
			return;
		}
	}
	rewrite_head(r);
}

/* Decide for r's response and prepare its head; r->gz is then the
 * compressor its body goes through, or NULL. */
void
gzip_filter_head(struct request *r)
{
	if (gzip_eligible(r)) {
		r->gzip_vary = true;
		if (gzip_client_ok(r))
			compress(r);
	}
	if (r->gzip_vary && r->sc != NULL && r->sc->gzip_vary)
		http_add_header(r, "Vary", STR("Accept-Encoding"));
}

/* The response is over (sent, or the client is gone). */
void
gzip_filter_end(struct request *r)
{
	gzip_close(r->gz);
	r->gz = NULL;
}
