/*
 * What happens to a parsed request, in nginx's phase order: choose the
 * server, its return; choose the location, the body size limit, its
 * return; limit_conn (preaccess); allow/deny; the content handler.  Error
 * statuses go through error_page; internal redirects (index, try_files,
 * error_page) run the location phases again, at most ten times.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "http.h"
#include "limit_conn.h"
#include "log.h"
#include "proxy.h"
#include "request.h"
#include "status.h"
#include "tmpl.h"

#define REDIRECTS_MAX	10

static void run_location(struct request *);
static bool internal_redirect(struct request *, struct str uri, struct str args);

static void
reset_response(struct request *r)
{
	r->fd = -1;
	r->file_mem = NULL;
	r->nout = 0;
	r->body = BODY_NONE;
	r->nranges = 0;
	r->etag[0] = '\0';
	r->last_modified = -1;
	r->out_length = -1;
	r->content_type = NULL;
	r->filename = NULL;
}

static void
do_return(struct request *r, const struct ret *ret)
{
	size_t len = 0;
	char *text = ret->text ? tmpl_eval_str(ret->text, r, &len) : NULL;

	switch (ret->code) {
	case 301: case 302: case 303: case 307: case 308:
		http_location(r, (struct str){ text, len });
		request_finalize(r, ret->code);
		return;
	}
	if (text == NULL) {
		request_finalize(r, ret->code);
		return;
	}
	r->status = ret->code;
	r->content_type = r->sc->default_type;
	r->body = BODY_MEM;
	r->mem = (struct str){ text, len };
	r->out_length = (long long)len;
}

static int
content(struct request *r)
{
	struct str uri;
	int rc;

	if (r->loc->proxy != NULL)
		return proxy_start(r, r->c->proxy_io);
	if (r->loc->status != STATUS_NONE)
		return status_handle(r);
	rc = static_handle(r);
	if (rc != 0 || r->redirect_uri.p == NULL)
		return rc;
	uri = r->redirect_uri;
	r->redirect_uri = STR_NULL;
	internal_redirect(r, uri, r->args);
	return 0;
}

static void
run_location(struct request *r)
{
	int rc;

	r->sc = &r->loc->sc;
	/* nginx checks the size as it picks the location, before return. */
	if (r->sc->client_max_body_size > 0 &&
	    r->content_length > r->sc->client_max_body_size) {
		req_log(r, LV_ERROR, 0, "client intended to send too large body: "
		    "%lld bytes", r->content_length);
		request_finalize(r, 413);
		return;
	}
	if (match_adds_slash(r->loc, r->uri)) {
		request_finalize(r, http_add_slash(r));
		return;
	}
	if (r->loc->ret != NULL) {
		do_return(r, r->loc->ret);
		return;
	}
	if ((rc = limit_conn_check(r)) != 0) {
		request_finalize(r, rc);
		return;
	}
	if (!access_allowed(&r->sc->access, &r->c->peer)) {
		req_log(r, LV_ERROR, 0, "access forbidden by rule");
		request_finalize(r, 403);
		return;
	}
	rc = content(r);
	if (rc != 0)
		request_finalize(r, rc);
}

void
request_process(struct request *r)
{
	r->srv = match_server(r->c->vh, r->host, &r->caps);
	r->sc = &r->srv->sc;
	if (r->srv->ret != NULL) {
		do_return(r, r->srv->ret);
		return;
	}
	r->loc = match_location(r->srv, r->uri, &r->caps);
	run_location(r);
}

static bool
count_redirect(struct request *r, const char *to)
{
	if (++r->redirects <= REDIRECTS_MAX)
		return true;
	req_log(r, LV_ERROR, 0, "rewrite or internal redirection cycle while "
	    "internally redirecting to \"%s\"", to);
	reset_response(r);
	r->error_page_done = true;
	request_finalize(r, 500);
	return false;
}

/* Serve uri (with args) as if it had been requested, in the same server. */
static bool
internal_redirect(struct request *r, struct str uri, struct str args)
{
	const char *q;

	if (!count_redirect(r, req_escape(r, uri.p, uri.n)))
		return false;
	if (uri.n > 0 && uri.p[0] == '@') {
		r->loc = match_named(r->srv,
		    pool_strndup(r->pool, uri.p, uri.n));
		if (r->loc == NULL) {
			request_finalize(r, 500);
			return false;
		}
		run_location(r);
		return true;
	}
	q = memchr(uri.p, '?', uri.n);
	if (q != NULL) {
		args = (struct str){ q + 1, (size_t)(uri.p + uri.n - q - 1) };
		uri.n = (size_t)(q - uri.p);
	}
	r->uri = uri;
	r->args = args;
	r->uri_changed = true;
	r->loc = match_location(r->srv, r->uri, &r->caps);
	run_location(r);
	return true;
}

static const struct error_page *
find_error_page(const struct scope *sc, int status)
{
	size_t i, j;

	for (i = 0; i < sc->error_pages.n; i++)
		for (j = 0; j < sc->error_pages.v[i].ncodes; j++)
			if (sc->error_pages.v[i].codes[j] == status)
				return &sc->error_pages.v[i];
	return NULL;
}

/* error_page: serve another URI (or redirect) for this status.  false when
 * no error_page applies. */
static bool
error_page(struct request *r, int status)
{
	const struct error_page *ep;
	char *uri;
	size_t len;
	int final;

	if (r->error_page_done || r->sc == NULL ||
	    (ep = find_error_page(r->sc, status)) == NULL)
		return false;
	r->error_page_done = true;
	uri = tmpl_eval_str(ep->uri, r, &len);
	final = ep->override > 0 ? ep->override : status;
	reset_response(r);
	if (strncmp(uri, "http://", 7) == 0 || strncmp(uri, "https://", 8) == 0) {
		final = ep->override > 0 && ep->override >= 301 &&
		    ep->override <= 308 ? ep->override : 302;
		http_redirect(r, final, (struct str){ uri, len });
		return true;
	}
	if (r->method != M_HEAD) {
		r->method = M_GET;
		r->method_name = STR("GET");
	}
	if (!internal_redirect(r, (struct str){ uri, len }, STR_NULL))
		return true;
	/* The error page itself was found: answer with the error's status
	 * (or the one "=" asked for), not 200. */
	if (r->status == 200 && ep->override != 0)
		r->status = final;
	return true;
}

void
request_finalize(struct request *r, int status)
{
	if (status == 444) {
		r->status = 444;
		return;
	}
	if (status >= 300 && status != 304 && error_page(r, status))
		return;
	r->fd = -1;
	r->nranges = 0;
	r->etag[0] = '\0';
	r->last_modified = -1;
	if (status != 304)
		http_error_body(r, status);
	else {
		r->status = 304;
		r->body = BODY_NONE;
	}
}
