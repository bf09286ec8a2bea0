/*
 * Which responses gzip compresses, in nginx's order.  A response is
 * eligible when gzip is on and it is a 200, 403 or 404 whose body is not
 * encoded already, is not shorter than gzip_min_length by its length, and
 * has a type gzip_types lists.  An eligible response varies with
 * Accept-Encoding (so gzip_vary's header goes with it) whether or not this
 * client gets it compressed.  The client gets it when it accepts gzip
 * (q=0 refuses), gzip_disable does not name its browser, it speaks
 * gzip_http_version or later, and, for a request a proxy forwarded (Via),
 * gzip_proxied allows this response.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "clock.h"
#include "http_gzip.h"

/* Where needle (lowercase) starts in [p, end), ignoring case; NULL if not. */
static const char *
find_ci(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);

	for (; end - p >= (ptrdiff_t)n; p++)
		if (strncasecmp(p, needle, n) == 0)
			return p;
	return NULL;
}

/* nginx's quantity: "0" to "1.000"; anything malformed counts as zero. */
static bool
quantity_nonzero(const char *p, const char *end)
{
	int q, digits = 0;
	char c = *p++;

	if (c != '0' && c != '1')
		return false;
	q = (c - '0') * 100;
	if (p == end || *p == ',' || *p == ' ')
		return q > 0;
	if (*p++ != '.')
		return false;
	while (p < end && *p != ',' && *p != ' ') {
		if (*p < '0' || *p > '9')
			return false;
		q += *p++ - '0';	/* nginx adds the digits up, as written */
		digits++;
	}
	return q > 0 && q <= 100 && digits <= 3;
}

/* After "gzip;": optional spaces, "q=", a quantity above zero. */
static bool
quantity_after(const char *p, const char *end)
{
	while (p < end && *p == ' ')
		p++;
	if (p == end)
		return true;
	if (*p != 'q' && *p != 'Q')
		return false;
	p++;
	if (end - p < 2 || *p != '=')
		return false;
	return quantity_nonzero(p + 1, end);
}

/* Does Accept-Encoding accept gzip?  nginx's parse: the first "gzip" that
 * starts a token, then a comma, the end, or a quantity. */
bool
gzip_accepts(struct str ae)
{
	const char *p = ae.p, *end = ae.p + ae.n;

	if (ae.n < 4)
		return false;
	if (ae.n >= 5 && memcmp(ae.p, "gzip,", 5) == 0)
		return true;
	for (;;) {
		if ((p = find_ci(p, end, "gzip")) == NULL)
			return false;
		if (p == ae.p || p[-1] == ',' || p[-1] == ' ')
			break;
		p += 4;
	}
	for (p += 4; p < end; p++) {
		if (*p == ',')
			return true;
		if (*p == ';')
			return quantity_after(p + 1, end);
		if (*p != ' ')
			return false;
	}
	return true;
}

/* nginx's "msie6": MSIE 4 and 5, and 6 before SP2 (no "SV1"); not Opera,
 * which called itself MSIE. */
bool
gzip_msie6(struct str ua)
{
	const char *end = ua.p + ua.n, *msie = memmem(ua.p, ua.n, "MSIE ", 5);

	if (msie == NULL || msie + 7 >= end || msie[6] != '.' ||
	    memmem(ua.p, ua.n, "Opera", 5) != NULL)
		return false;
	if (msie[5] == '4' || msie[5] == '5')
		return true;
	return msie[5] == '6' &&
	    memmem(msie + 8, (size_t)(end - msie - 8), "SV1", 3) == NULL;
}

/* Is the media type (parameters aside) in the list?  "*" lists any. */
bool
gzip_type_listed(const struct strv *types, const char *content_type)
{
	size_t i, n;

	for (i = 0; i < types->n; i++)
		if (strcmp(types->v[i], "*") == 0)
			return true;
	if (content_type == NULL)
		return false;
	n = strcspn(content_type, ";");
	while (n > 0 && content_type[n - 1] == ' ')
		n--;
	for (i = 0; i < types->n; i++)
		if (strlen(types->v[i]) == n &&
		    strncasecmp(types->v[i], content_type, n) == 0)
			return true;
	return false;
}

/* A response header the handler or the upstream set, from the n-th on. */
static const struct str *
out_header(const struct request *r, const char *name, size_t *from)
{
	for (; *from < r->nout; (*from)++)
		if (strcasecmp(r->out[*from].name, name) == 0)
			return &r->out[(*from)++].value;
	return NULL;
}

static const struct str *
out_first(const struct request *r, const char *name)
{
	size_t i = 0;

	return out_header(r, name, &i);
}

enum expiry { EXP_NONE, EXP_PAST, EXP_FUTURE };

/* The Expires the response carries: the expires setting's on a 200, else
 * the upstream's.  A date that does not parse counts as the future, which
 * declines as nginx does. */
static enum expiry
expiry(const struct request *r)
{
	const struct expires *e = &r->sc->expires;
	const struct str *h;
	time_t t;

	if (e->mode != EXPIRES_OFF && r->status == 200 && !r->no_extra_headers)
		return e->mode == EXPIRES_EPOCH ||
		    (e->mode == EXPIRES_REL && e->sec < 0) ? EXP_PAST : EXP_FUTURE;
	if ((h = out_first(r, "Expires")) == NULL)
		return EXP_NONE;
	t = http_date_parse(h->p, h->n);
	return t != -1 && t < now.sec ? EXP_PAST : EXP_FUTURE;
}

/* Does any Cache-Control line carry the directive? */
static bool
cache_control_has(const struct request *r, const char *directive)
{
	const struct str *h;
	size_t i = 0;

	while ((h = out_header(r, "Cache-Control", &i)) != NULL)
		if (str_has_token(*h, directive))
			return true;
	return false;
}

/* gzip_proxied: may a request that came through a proxy get this
 * response compressed?  The conditions in nginx's order. */
static bool
proxied_ok(const struct request *r)
{
	int p = r->sc->gzip_proxied;
	enum expiry e;

	if (p & GZIP_PROXIED_OFF)
		return false;
	if (p & GZIP_PROXIED_ANY)
		return true;
	if ((p & GZIP_PROXIED_AUTH) && http_header_get(r, "Authorization") != NULL)
		return true;
	if ((e = expiry(r)) != EXP_NONE)
		return (p & GZIP_PROXIED_EXPIRED) && e == EXP_PAST;
	if (out_first(r, "Cache-Control") != NULL)
		return ((p & GZIP_PROXIED_NO_CACHE) && cache_control_has(r, "no-cache")) ||
		    ((p & GZIP_PROXIED_NO_STORE) && cache_control_has(r, "no-store")) ||
		    ((p & GZIP_PROXIED_PRIVATE) && cache_control_has(r, "private"));
	if ((p & GZIP_PROXIED_NO_LM) && (r->last_modified >= 0 ||
	    out_first(r, "Last-Modified") != NULL))
		return false;
	if ((p & GZIP_PROXIED_NO_ETAG) && (r->etag[0] != '\0' ||
	    out_first(r, "ETag") != NULL))
		return false;
	return true;
}

static bool
disabled_for(const struct request *r, const struct ua_match *m)
{
	const struct str *ua = http_header_get(r, "User-Agent");
	size_t i;

	if (ua == NULL)
		return false;
	if (m->msie6 && gzip_msie6(*ua))
		return true;
	for (i = 0; i < m->n; i++)
		if (regex_match(m->re[i], ua->p, ua->n, NULL))
			return true;
	return false;
}

/* Does this client get gzip (nginx's ngx_http_gzip_ok)? */
bool
gzip_client_ok(const struct request *r)
{
	const struct str *ae = http_header_get(r, "Accept-Encoding");

	if (ae == NULL || !gzip_accepts(*ae))
		return false;
	if (r->version < r->sc->gzip_http_version)
		return false;
	if (http_header_get(r, "Via") != NULL && !proxied_ok(r))
		return false;
	return !disabled_for(r, &r->sc->gzip_disable);
}

/* Is the body encoded already?  (An empty Content-Encoding says not.) */
static bool
encoded(const struct request *r)
{
	const struct str *h;
	size_t i = 0;

	while ((h = out_header(r, "Content-Encoding", &i)) != NULL)
		if (h->n > 0)
			return true;
	return false;
}

/* Would gzip compress this response for a client that takes it? */
bool
gzip_eligible(const struct request *r)
{
	if (r->sc == NULL || !r->sc->gzip)
		return false;
	if (r->status != 200 && r->status != 403 && r->status != 404)
		return false;
	if (encoded(r))
		return false;
	if (r->out_length != -1 && r->out_length < r->sc->gzip_min_length)
		return false;
	return gzip_type_listed(&r->sc->gzip_types, r->content_type);
}

bool
gzip_wanted(const struct request *r)
{
	return gzip_eligible(r) && gzip_client_ok(r);
}
