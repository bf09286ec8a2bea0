/*
 * Serving files: URI to path (root appends, alias replaces the matched
 * prefix), try_files, index files, directories (301 to add the slash,
 * autoindex or 403), gzip_static's PATH.gz, conditional requests (ETag,
 * Last-Modified) and byte ranges.  The body itself is sent by http_send.c,
 * from the cache's copy in memory or with sendfile.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "fdcache.h"
#include "http.h"
#include "http_gzip.h"
#include "log.h"
#include "mime.h"
#include "request.h"
#include "tmpl.h"

#define RANGES_MAX	64

/* The file system path for uri in the current location. */
static char *
map_path(struct request *r, struct str uri)
{
	const struct location *loc = r->loc;
	size_t blen, skip = 0;
	char *base, *path;

	if (loc->alias != NULL) {
		base = tmpl_eval_str(loc->alias, r, &blen);
		if (loc->kind == MATCH_REGEX || loc->kind == MATCH_REGEX_CI ||
		    loc->kind == MATCH_EXACT) {
			r->document_root = base;
			return base;
		}
		skip = loc->plen <= uri.n ? loc->plen : uri.n;
	} else
		base = tmpl_eval_str(r->sc->root, r, &blen);
	r->document_root = base;
	path = pool_alloc(r->pool, blen + uri.n - skip + 1);
	memcpy(path, base, blen);
	memcpy(path + blen, uri.p + skip, uri.n - skip);
	path[blen + uri.n - skip] = '\0';
	return path;
}

/* Have the dispatcher serve uri instead (index, try_files). */
static int
redirect(struct request *r, struct str uri)
{
	r->redirect_uri = uri;
	return 0;
}

static int
open_error(struct request *r, const char *path, int err)
{
	req_log(r, LV_ERROR, err, "open() \"%s\" failed",
	    req_escape(r, path, strlen(path)));
	return err == EACCES ? 403 : 404;
}

/* Does the header list (If-None-Match / If-Match) contain our tag? */
static bool
etag_listed(struct str list, const char *etag, bool weak)
{
	const char *p = list.p, *end = list.p + list.n, *e;
	size_t n = strlen(etag);

	if (str_eq(list, "*"))
		return true;
	while (p < end) {
		while (p < end && (*p == ' ' || *p == ','))
			p++;
		if (weak && end - p > 2 && p[0] == 'W' && p[1] == '/')
			p += 2;
		e = p;
		while (e < end && *e != ',')
			e++;
		while (e > p && e[-1] == ' ')
			e--;
		if ((size_t)(e - p) == n && memcmp(p, etag, n) == 0)
			return true;
		p = e + 1;
	}
	return false;
}

static time_t
header_date(struct request *r, const char *name)
{
	const struct str *h = http_header_get(r, name);

	return h == NULL ? -1 : http_date_parse(h->p, h->n);
}

/* 0 to go on, or 304 / 412. */
static int
conditions(struct request *r)
{
	const struct str *h;
	time_t t;

	if ((h = http_header_get(r, "If-Match")) != NULL) {
		if (!etag_listed(*h, r->etag, false))
			return 412;
	} else if ((t = header_date(r, "If-Unmodified-Since")) != -1 &&
	    r->last_modified > t)
		return 412;
	if (r->method != M_GET && r->method != M_HEAD)
		return 0;
	if ((h = http_header_get(r, "If-None-Match")) != NULL)
		return etag_listed(*h, r->etag, true) ? 304 : 0;
	/* nginx's if_modified_since exact: only the very date we sent. */
	if ((t = header_date(r, "If-Modified-Since")) != -1 &&
	    t == r->last_modified)
		return 304;
	return 0;
}

static bool
if_range_holds(struct request *r)
{
	const struct str *h = http_header_get(r, "If-Range");

	if (h == NULL)
		return true;
	if (h->n > 0 && (h->p[0] == '"' || h->p[0] == 'W'))
		return str_eq(*h, r->etag);
	return http_date_parse(h->p, h->n) == r->last_modified;
}

static void
set_content_range(struct request *r, long long s, long long e, long long size)
{
	char *v = pool_printf(r->pool, "bytes %lld-%lld/%lld", s, e, size);

	http_set_header(r, "Content-Range", (struct str){ v, strlen(v) });
}

static int
ranges(struct request *r, long long size)
{
	const struct str *h = http_header_get(r, "Range");
	struct range *rg;
	size_t n, i;
	long long total;
	int rc;
	char *v;

	if (h == NULL || r->method != M_GET || r->error_page_done ||
	    !if_range_holds(r))
		return 0;
	rg = pool_alloc(r->pool, sizeof(*rg) * RANGES_MAX);
	rc = http_parse_range(*h, size, rg, RANGES_MAX, &n);
	if (rc == 200)
		return 0;
	if (rc == 416) {
		v = pool_printf(r->pool, "bytes */%lld", size);
		http_set_header(r, "Content-Range", (struct str){ v, strlen(v) });
		return 416;
	}
	r->status = 206;
	r->ranges = rg;
	r->nranges = n;
	if (n == 1) {
		set_content_range(r, rg[0].start, rg[0].end, size);
		r->file_off = r->file_base + rg[0].start;
		r->file_len = rg[0].end - rg[0].start + 1;
		r->out_length = r->file_len;
		r->nranges = 0;
		return 0;
	}
	r->boundary = pool_printf(r->pool, "%010u", (unsigned)(now.msec ^ getpid()));
	r->part_type = r->content_type;
	r->content_type = pool_printf(r->pool, "multipart/byteranges; boundary=%s",
	    r->boundary);
	total = (long long)strlen(r->boundary) + 8;	/* "\r\n--B--\r\n" */
	for (i = 0; i < n; i++)
		total += snprintf(NULL, 0, "\r\n--%s\r\nContent-Type: %s\r\n"
		    "Content-Range: bytes %lld-%lld/%lld\r\n\r\n", r->boundary,
		    r->part_type, rg[i].start, rg[i].end, size) +
		    rg[i].end - rg[i].start + 1;
	r->out_length = total;
	return 0;
}

/* nginx's ETag: "mtime-size" in hex, written without printf. */
static void
etag_format(char *out, const struct stat *st)
{
	static const char hex[] = "0123456789abcdef";
	unsigned long long v[2] = { (unsigned long long)st->st_mtime,
	    (unsigned long long)st->st_size };
	char tmp[16];
	int i, k, n = 0;

	out[n++] = '"';
	for (i = 0; i < 2; i++) {
		k = 0;
		do {
			tmp[k++] = hex[v[i] & 15];
			v[i] >>= 4;
		} while (v[i] != 0);
		while (k > 0)
			out[n++] = tmp[--k];
		out[n++] = i == 0 ? '-' : '"';
	}
	out[n] = '\0';
}

/* The answer with the file at path; gzip_of: path is gzip_static's
 * PATH.gz, and this is PATH, whose type the answer has. */
static int
serve_file(struct request *r, const char *path, int fd, const struct stat *st,
    const char *gzip_of)
{
	const char *type, *typed = gzip_of ? gzip_of : path;

	if (r->method == M_POST)
		return 405;
	r->fd = fd;
	r->file_mem = fdcache_memory(fd);
	r->filename = path;
	r->status = 200;
	type = mime_lookup(r->c->cf->mime, typed, strlen(typed));
	r->content_type = type ? type : r->sc->default_type;
	r->last_modified = st->st_mtime;
	etag_format(r->etag, st);
	r->body = BODY_FILE;
	r->file_base = r->file_off = 0;
	r->file_len = st->st_size;
	r->out_length = st->st_size;
	return static_file_checks(r, gzip_of != NULL);
}

/*
 * A file body is set in r (fd, file_base, file_len, etag, last_modified;
 * gzipped: a gzip_static file): answer conditional requests (304, 412)
 * and Range (206, 416).  0 to go on, or the status to answer with.
 */
int
static_file_checks(struct request *r, bool gzipped)
{
	int rc;

	if ((rc = conditions(r)) != 0) {
		if (rc == 304) {
			r->status = 304;
			r->content_type = NULL;
			r->out_length = -1;
			r->header_only = true;
			return 0;
		}
		return rc;
	}
	if (gzipped)
		http_set_header(r, "Content-Encoding", STR("gzip"));
	if (!r->error_page_done)
		http_set_header(r, "Accept-Ranges", STR("bytes"));
	/* A body gzip compresses goes whole, without ranges, as in nginx. */
	return !gzipped && gzip_wanted(r) ? 0 : ranges(r, r->file_len);
}

/*
 * gzip_static: PATH.gz beside PATH answers a client that takes gzip (with
 * "always", every client).  true when it did, with the status in *rc.
 * Where a PATH.gz exists the answer varies with Accept-Encoding either way.
 */
static bool
gzip_static(struct request *r, const char *path, int *rc)
{
	int mode = r->sc->gzip_static, fd;
	bool ok;
	char *gz;
	struct stat st;

	if (mode == GZIP_STATIC_OFF || (r->method != M_GET && r->method != M_HEAD))
		return false;
	ok = mode == GZIP_STATIC_ALWAYS || gzip_client_ok(r);
	if (!ok && !r->sc->gzip_vary)
		return false;	/* nothing to learn from PATH.gz */
	gz = pool_printf(r->pool, "%s.gz", path);
	if ((fd = fdcache_open(gz, &st)) < 0) {
		if (errno != 0 && errno != ENOENT && errno != ENOTDIR &&
		    errno != ENAMETOOLONG)
			open_error(r, gz, errno);	/* logged; PATH is served */
		return false;
	}
	if (mode == GZIP_STATIC_ON)
		r->gzip_vary = true;
	if (!ok)
		return false;
	*rc = serve_file(r, gz, fd, &st, path);
	return true;
}

static int
directory(struct request *r, char *path)
{
	size_t i, plen = strlen(path);
	struct stat st;
	char *cand, *uri;

	for (i = 0; i < r->sc->index.n; i++) {
		const char *name = r->sc->index.v[i];
		if (name[0] == '/') {
			return redirect(r, (struct str){ name, strlen(name) });
		}
		cand = pool_printf(r->pool, "%s%s", path, name);
		if (stat(cand, &st) == 0) {
			uri = pool_printf(r->pool, "%.*s%s", (int)r->uri.n, r->uri.p, name);
			return redirect(r, (struct str){ uri, strlen(uri) });
		}
		if (errno == EACCES)
			return open_error(r, cand, errno);
	}
	if (plen > 1)
		path[plen - 1] = '\0';
	if (r->sc->autoindex && r->method != M_POST)
		return autoindex_render(r, path);
	if (stat(path, &st) != 0)
		return open_error(r, path, errno);
	if (!S_ISDIR(st.st_mode))
		return open_error(r, path, ENOTDIR);
	req_log(r, LV_ERROR, 0, "directory index of \"%s/\" is forbidden",
	    req_escape(r, path, strlen(path)));
	return 403;
}

static int
serve_uri(struct request *r)
{
	char *path = map_path(r, r->uri);
	struct stat st;
	int fd, rc;

	r->filename = path;
	if (r->uri.n > 0 && r->uri.p[r->uri.n - 1] == '/')
		return directory(r, path);
	if (gzip_static(r, path, &rc))
		return rc;
	fd = fdcache_open(path, &st);
	if (fd >= 0)
		return serve_file(r, path, fd, &st, NULL);
	if (errno != 0)
		return open_error(r, path, errno);
	if (S_ISDIR(st.st_mode))
		return http_add_slash(r);
	req_log(r, LV_ERROR, 0, "\"%s\" is not a regular file",
	    req_escape(r, path, strlen(path)));
	return 404;
}

static int
try_files(struct request *r)
{
	const struct try_files *tf = r->sc->try_files;
	struct stat st;
	size_t i, len;
	char *cand, *path;
	bool dir;

	for (i = 0; i < tf->n; i++) {
		cand = tmpl_eval_str(tf->v[i], r, &len);
		if (len == 0 || cand[0] != '/')
			continue;
		dir = cand[len - 1] == '/';
		path = map_path(r, (struct str){ cand, len });
		if (stat(path, &st) != 0 || (dir ? !S_ISDIR(st.st_mode) :
		    S_ISDIR(st.st_mode)))
			continue;
		r->uri = (struct str){ cand, len };
		r->uri_changed = true;
		return serve_uri(r);
	}
	if (tf->fallback == NULL)
		return tf->code;
	cand = tmpl_eval_str(tf->fallback, r, &len);
	return redirect(r, (struct str){ cand, len });
}

int
static_handle(struct request *r)
{
	if (r->method != M_GET && r->method != M_HEAD && r->method != M_POST)
		return 405;
	if (r->uri.n == 0 || r->uri.p[0] != '/')
		return 400;
	if (r->sc->try_files != NULL)
		return try_files(r);
	return serve_uri(r);
}
