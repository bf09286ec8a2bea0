/*
 * The proxy cache's decisions, as nginx's ngx_http_upstream.c makes them.
 * How long an answer stays fresh comes first from X-Accel-Expires (seconds,
 * or "@" and an epoch time; 0 forbids storing), then from Cache-Control
 * (no-cache, no-store or private forbid it; s-maxage, else max-age, gives
 * the lifetime; 0 forbids it), then from Expires (a past or malformed date
 * forbids it), and only when the headers say nothing from
 * proxy_cache_valid.  Set-Cookie and "Vary: *" always forbid storing; any
 * other Vary makes the named request headers part of the entry's identity.
 */
#include "config.h"

#include <openssl/evp.h>
#include <string.h>

#include "buf.h"
#include "cache_policy.h"
#include "clock.h"
#include "conf.h"
#include "http.h"
#include "proxy_parse.h"

#define NOT_CACHEABLE	(-1)

/* Seconds of a delta (max-age=N): digits up to ',', ';', ' ' or the end;
 * -1 when malformed.  Too large a number is capped, as nginx. */
static long long
delta_seconds(const char *p, const char *end)
{
	long long n = 0;

	if (p == end)
		return -1;
	for (; p < end && *p != ',' && *p != ';' && *p != ' '; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (n < 100000000000LL)
			n = n * 10 + (*p - '0');
	}
	return n;
}

/* Where directive name (with its '=' if it takes a value) starts in a
 * Cache-Control value, or NULL. */
static const char *
directive(struct str v, const char *name)
{
	size_t n = strlen(name), i;

	for (i = 0; i + n <= v.n; i++)
		if ((i == 0 || v.p[i - 1] == ',' || v.p[i - 1] == ' ') &&
		    strncasecmp(v.p + i, name, n) == 0 &&
		    (name[n - 1] == '=' || i + n == v.n || v.p[i + n] == ',' ||
		    v.p[i + n] == ' ' || v.p[i + n] == '='))
			return v.p + i + n;
	return NULL;
}

/* X-Accel-Expires: the lifetime it gives, 0 when it says nothing usable. */
static int64_t
accel_expires(const struct str *v, int64_t now_ms)
{
	long long n;

	if (v == NULL || v->n == 0)
		return 0;
	if (v->p[0] == '@') {
		n = delta_seconds(v->p + 1, v->p + v->n);
		return n < 0 ? 0 : n * 1000;
	}
	n = delta_seconds(v->p, v->p + v->n);
	if (n == 0)
		return NOT_CACHEABLE;
	return n < 0 ? 0 : now_ms + n * 1000;
}

/* Every Cache-Control header; 0 when none gives a lifetime. */
static int64_t
cache_control(const struct upstream_head *h, int64_t now_ms, const char **why)
{
	const char *p;
	long long n;
	size_t i;
	int64_t valid = 0;

	for (i = 0; i < h->nheaders; i++) {
		struct str v = h->headers[i].value;
		if (!str_caseeq(h->headers[i].name, "Cache-Control"))
			continue;
		if (directive(v, "no-cache") || directive(v, "no-store") ||
		    directive(v, "private")) {
			*why = "Cache-Control forbids storing it";
			return NOT_CACHEABLE;
		}
		if ((p = directive(v, "s-maxage=")) == NULL &&
		    (p = directive(v, "max-age=")) == NULL)
			continue;
		n = delta_seconds(p, v.p + v.n);
		if (n <= 0) {
			*why = "Cache-Control: max-age is 0 or malformed";
			return NOT_CACHEABLE;
		}
		valid = now_ms + n * 1000;
	}
	return valid;
}

/*
 * How long the head says the answer stays fresh: a wall-clock time in ms,
 * 0 when the headers do not say, -1 when they forbid storing it (with
 * *why set).
 */
int64_t
cache_freshness(const struct upstream_head *h, int64_t now_ms, const char **why)
{
	const struct str *v;
	int64_t valid;
	time_t t;

	valid = accel_expires(upstream_header(h, "X-Accel-Expires"), now_ms);
	if (valid == NOT_CACHEABLE)
		*why = "X-Accel-Expires is 0";
	if (valid != 0)
		return valid;
	if ((valid = cache_control(h, now_ms, why)) != 0)
		return valid;
	if ((v = upstream_header(h, "Expires")) == NULL)
		return 0;
	t = http_date_parse(v->p, v->n);
	if (t == -1 || (int64_t)t * 1000 < now_ms) {
		*why = "Expires is in the past or malformed";
		return NOT_CACHEABLE;
	}
	return (int64_t)t * 1000;
}

/* proxy_cache_valid: the first line naming status (or any) gives the
 * lifetime; 0 when none does. */
long long
cache_valid_ms(const struct cache_valids *cvs, int status)
{
	size_t i, j;

	for (i = 0; i < cvs->n; i++) {
		if (cvs->v[i].any)
			return cvs->v[i].ms;
		for (j = 0; j < cvs->v[i].ncodes; j++)
			if (cvs->v[i].codes[j] == status)
				return cvs->v[i].ms;
	}
	return 0;
}

/* The Vary headers joined with ", "; false when one is "*" or the whole
 * is too long to store. */
static bool
join_vary(const struct upstream_head *h, struct cache_verdict *v)
{
	size_t i, n;

	v->vary_len = 0;
	for (i = 0; i < h->nheaders; i++) {
		struct str val = h->headers[i].value;
		if (!str_caseeq(h->headers[i].name, "Vary"))
			continue;
		if (str_has_token(val, "*")) {
			v->why = "Vary: *";
			return false;
		}
		n = v->vary_len ? 2 : 0;
		if (v->vary_len + n + val.n >= sizeof(v->vary)) {
			v->why = "Vary names too many headers";
			return false;
		}
		memcpy(v->vary + v->vary_len, ", ", n);
		memcpy(v->vary + v->vary_len + n, val.p, val.n);
		v->vary_len += n + val.n;
	}
	v->vary[v->vary_len] = '\0';
	return true;
}

static bool
storable_status(int status)
{
	return status >= 200 && status != 206 && status != 304;
}

void
cache_verdict(const struct upstream_head *h, const struct cache_valids *cvs,
    int64_t now_ms, struct cache_verdict *v)
{
	long long ms;

	memset(v, 0, sizeof(*v));
	if (!storable_status(h->status)) {
		v->why = "its status is never stored";
		return;
	}
	if (upstream_header(h, "Set-Cookie") != NULL) {
		v->why = "it sets a cookie";
		return;
	}
	if (!join_vary(h, v))
		return;
	v->valid_until = cache_freshness(h, now_ms, &v->why);
	if (v->valid_until == NOT_CACHEABLE)
		return;
	if (v->valid_until == 0) {
		if ((ms = cache_valid_ms(cvs, h->status)) <= 0) {
			v->why = "no proxy_cache_valid for its status";
			return;
		}
		v->valid_until = now_ms + ms;
	}
	v->store = true;
}

/* The digest is fetched and its context made once per process: on every
 * hit, EVP_Digest would look the algorithm up and allocate a context. */
void
cache_hash(const char *s, size_t n, uint8_t out[CACHE_HASH_LEN])
{
	static EVP_MD *md5;
	static EVP_MD_CTX *ctx;
	unsigned int len = CACHE_HASH_LEN;

	if (ctx == NULL) {
		md5 = EVP_MD_fetch(NULL, "MD5", NULL);
		ctx = EVP_MD_CTX_new();
	}
	if (md5 == NULL || ctx == NULL || EVP_DigestInit_ex2(ctx, md5, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, s, n) != 1 || EVP_DigestFinal_ex(ctx, out, &len) != 1)
		EVP_Digest(s, n, out, &len, EVP_md5(), NULL);
}

/* The next word of a list separated by commas and spaces, from *at on;
 * false at the end. */
static bool
next_word(struct str list, size_t *at, struct str *word)
{
	size_t i = *at, start;

	while (i < list.n && (list.p[i] == ' ' || list.p[i] == ','))
		i++;
	start = i;
	while (i < list.n && list.p[i] != ' ' && list.p[i] != ',')
		i++;
	*at = i;
	*word = (struct str){ list.p + start, i - start };
	return i > start;
}

/* The values of the request headers called name, lists normalised so that
 * "gzip,deflate" and "gzip, deflate" are one variant (nginx does this for
 * Accept-Encoding, -Charset and -Language; portico for every header). */
static void
add_values(struct buf *b, struct str name, const struct header *hs, size_t nh)
{
	size_t i, k;
	struct str w;
	bool first = true;

	for (i = 0; i < nh; i++) {
		if (hs[i].name.n != name.n ||
		    strncasecmp(hs[i].name.p, name.p, name.n) != 0)
			continue;
		for (k = 0; next_word(hs[i].value, &k, &w); first = false) {
			if (!first)
				buf_addc(b, ',');
			buf_add(b, w.p, w.n);
		}
	}
}

/*
 * The variant of a request for an answer that varies on the headers named
 * in vary: a hash of the entry's key and, for each name in order, the
 * lowercase name and the request's values.
 */
void
cache_variant(const uint8_t key[CACHE_HASH_LEN], struct str vary,
    const struct header *hs, size_t nh, uint8_t out[CACHE_HASH_LEN])
{
	struct buf b = { 0 };
	size_t i = 0, j;
	struct str name;

	buf_add(&b, key, CACHE_HASH_LEN);
	while (next_word(vary, &i, &name)) {
		for (j = 0; j < name.n; j++)
			buf_addc(&b, lower(name.p[j]));
		buf_addc(&b, ':');
		add_values(&b, name, hs, nh);
		buf_adds(&b, "\r\n");
	}
	cache_hash(b.p, b.len, out);
	buf_free(&b);
}
