/*
 * gzip: the compressor's output inflates to its input however it is fed,
 * and is the same bytes in one piece or many; Accept-Encoding, User-Agent
 * and type matching as nginx's; which responses are compressed for which
 * requests, with the settings as portico.conf writes them (loaded with
 * conf_load from a temporary directory).
 */
#include "config.h"

#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include "clock.h"
#include "conf_load.h"
#include "fixture.h"
#include "gzip.h"
#include "http_gzip.h"
#include "tap.h"

static char dir[PATH_MAX];

/* ------------------------------------------------------------ compressor */

/* Inflate a gzip stream; its length, or -1 when it is not one. */
static long
inflate_all(const struct buf *in, unsigned char *out, size_t cap)
{
	z_stream z = { 0 };
	int rc;

	if (inflateInit2(&z, 31) != Z_OK)
		return -1;
	z.next_in = (Bytef *)in->p;
	z.avail_in = (uInt)in->len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	rc = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	return rc == Z_STREAM_END ? (long)z.total_out : -1;
}

static void
fill(unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)("<tr><td>item</td></tr>\n"[i % 23] + (i / 997) % 3);
}

/* Compress n bytes in pieces of step; the output in out. */
static int
compress_in(const unsigned char *in, size_t n, size_t step, long long length,
    struct buf *out)
{
	struct gzip *gz;
	size_t off, k;
	int zerr, rc = 0;

	out->len = 0;
	if ((gz = gzip_open(1, length, &zerr)) == NULL)
		return -1;
	for (off = 0; rc == 0 && off < n; off += k) {
		k = n - off < step ? n - off : step;
		rc = gzip_write(gz, in + off, k, GZIP_MORE, out);
	}
	if (rc == 0)
		rc = gzip_write(gz, NULL, 0, GZIP_END, out);
	gzip_close(gz);
	return rc;
}

static void
test_compressor(void)
{
	static unsigned char in[300000], back[300001];
	struct buf one = { 0 }, many = { 0 }, part = { 0 };
	struct gzip *gz;
	int zerr;
	size_t before;

	fill(in, sizeof(in));
	ok(compress_in(in, sizeof(in), sizeof(in), -1, &one) == 0 &&
	    inflate_all(&one, back, sizeof(back)) == (long)sizeof(in) &&
	    memcmp(in, back, sizeof(in)) == 0, "300 kB in one piece inflate back");
	ok(one.len < sizeof(in) / 3, "and shrink (%zu bytes)", one.len);
	ok(compress_in(in, sizeof(in), 1000, -1, &many) == 0 &&
	    many.len == one.len && memcmp(many.p, one.p, one.len) == 0,
	    "in 1000-byte pieces the output is the same bytes");
	ok(compress_in(in, 0, 1, -1, &one) == 0 &&
	    inflate_all(&one, back, sizeof(back)) == 0, "an empty body is a valid "
	    "gzip stream");
	ok(compress_in(in, 500, 100, 500, &one) == 0 &&
	    inflate_all(&one, back, sizeof(back)) == 500 &&
	    memcmp(in, back, 500) == 0, "a short body with a known length (small "
	    "window) inflates back");

	/* A sync flush brings out everything so far, and the stream goes on. */
	gz = gzip_open(1, -1, &zerr);
	gzip_write(gz, in, 1000, GZIP_MORE, &part);
	ok(gzip_pending(gz), "input not yet flushed is pending");
	before = part.len;
	gzip_write(gz, NULL, 0, GZIP_SYNC, &part);
	ok(!gzip_pending(gz) && part.len > before, "a sync flush writes it out");
	gzip_write(gz, in + 1000, 1000, GZIP_END, &part);
	gzip_close(gz);
	ok(inflate_all(&part, back, sizeof(back)) == 2000 &&
	    memcmp(in, back, 2000) == 0, "and the stream still inflates whole");
	gz = gzip_open(9, -1, &zerr);
	ok(gz != NULL, "a kept state of another level is replaced");
	gzip_close(gz);
	buf_free(&one);
	buf_free(&many);
	buf_free(&part);
}

/* -------------------------------------------------------------- headers */

static void
test_accept_encoding(void)
{
	static const struct {
		const char	*ae;
		bool		 ok;
	} cases[] = {
		{ "gzip", true }, { "gzip, deflate, br", true }, { "deflate, gzip", true },
		{ "deflate,gzip", true }, { "GZIP", true }, { "br;q=1.0, gzip;q=0.8", true },
		{ "gzip;q=1", true }, { "gzip; q=0.001", true }, { "gzip;q=0", false },
		{ "gzip;q=0.000", false }, { "gzip;q=0, deflate", false },
		{ "gzip;q=2", false }, { "gzip;level=1", false }, { "x-gzip", false },
		{ "gzipx", false }, { "identity", false }, { "*", false }, { "", false },
		{ "deflate", false }, { "gzip ", true }, { "gzip;", true },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ok(gzip_accepts((struct str){ cases[i].ae, strlen(cases[i].ae) }) ==
		    cases[i].ok, "Accept-Encoding \"%s\" %s gzip", cases[i].ae,
		    cases[i].ok ? "accepts" : "refuses");
}

static void
test_msie6(void)
{
	static const struct {
		const char	*ua;
		bool		 msie6;
	} cases[] = {
		{ "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)", true },
		{ "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)", false },
		{ "Mozilla/4.0 (compatible; MSIE 5.5; Windows 98)", true },
		{ "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.0)", false },
		{ "Opera/9.0 (compatible; MSIE 6.0; Windows NT 5.1)", false },
		{ "curl/8.0", false }, { "MSIE 6", false },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ok(gzip_msie6((struct str){ cases[i].ua, strlen(cases[i].ua) }) ==
		    cases[i].msie6, "\"%s\" is %sMSIE 6", cases[i].ua,
		    cases[i].msie6 ? "" : "not ");
}

static void
test_types(void)
{
	char *v[] = { "text/html", "application/json" }, *any[] = { "*" };
	struct strv list = { v, 2 }, star = { any, 1 };

	ok(gzip_type_listed(&list, "text/html"), "text/html is listed");
	ok(gzip_type_listed(&list, "Application/JSON; charset=utf-8"),
	    "parameters and case do not count");
	ok(!gzip_type_listed(&list, "text/plain"), "text/plain is not listed");
	ok(!gzip_type_listed(&list, "text/htmlx"), "nor a longer name");
	ok(!gzip_type_listed(&list, NULL), "nor no type");
	ok(gzip_type_listed(&star, NULL) && gzip_type_listed(&star, "image/png"),
	    "\"*\" lists any, even none");
}

/* ----------------------------------------------------- the decisions */

static struct config *
load(const char *text)
{
	char path[PATH_MAX + 32];
	struct passwd *pw = getpwuid(geteuid());
	FILE *f;

	snprintf(path, sizeof(path), "%s/portico.conf", dir);
	if ((f = fopen(path, "w")) == NULL)
		return NULL;
	fprintf(f, "user = \"%s\";\npid = \"p.pid\";\nerror_log = \"e.log\";\n"
	    "access_log = \"off\";\ntypes_file = \"%s/conf.d/mime.types\";\n%s\n",
	    pw ? pw->pw_name : "root", srcdir(), text);
	fclose(f);
	return conf_load(path, false);
}

static struct header in[8];
static struct out_header out[8];
static struct request r;

/* A GET of an HTML answer 1000 bytes long, with the request headers given
 * as "Name: value" strings, NULL-terminated. */
static struct request *
req(const struct scope *sc, const char *const *headers)
{
	size_t i;

	memset(&r, 0, sizeof(r));
	r.sc = sc;
	r.method = M_GET;
	r.version = 11;
	r.status = 200;
	r.content_type = "text/html";
	r.out_length = 1000;
	r.last_modified = -1;
	r.headers = in;
	r.out = out;
	for (i = 0; headers != NULL && headers[i] != NULL; i++) {
		const char *colon = strchr(headers[i], ':');
		in[i].name = (struct str){ headers[i], (size_t)(colon - headers[i]) };
		in[i].value = (struct str){ colon + 2, strlen(colon + 2) };
	}
	r.nheaders = i;
	return &r;
}

static void
answer_header(const char *name, const char *value)
{
	out[r.nout].name = name;
	out[r.nout++].value = (struct str){ value, strlen(value) };
}

static const char *const gz[] = { "Accept-Encoding: gzip", NULL };
static const char *const via[] = { "Accept-Encoding: gzip", "Via: 1.1 cdn", NULL };

static void
test_eligible(const struct scope *sc)
{
	ok(gzip_wanted(req(sc, gz)), "a 200 HTML answer is compressed");
	ok(!gzip_wanted(req(sc, NULL)), "not for a client without Accept-Encoding");
	ok(gzip_eligible(req(sc, NULL)), "but it could have been (Vary)");
	req(sc, gz)->status = 404;
	ok(gzip_wanted(&r), "a 404 is compressed");
	req(sc, gz)->status = 206;
	ok(!gzip_eligible(&r), "a 206 is not");
	req(sc, gz)->status = 304;
	ok(!gzip_eligible(&r), "nor a 304");
	req(sc, gz)->status = 500;
	ok(!gzip_eligible(&r), "nor a 500");
	req(sc, gz)->content_type = "image/png";
	ok(!gzip_eligible(&r), "nor a type gzip_types does not list");
	req(sc, gz)->content_type = "application/json; charset=utf-8";
	ok(gzip_eligible(&r), "a type it lists is");
	req(sc, gz)->out_length = 99;
	ok(!gzip_eligible(&r), "not an answer shorter than gzip_min_length");
	req(sc, gz)->out_length = -1;
	ok(gzip_eligible(&r), "an answer of unknown length is");
	req(sc, gz);
	answer_header("Content-Encoding", "br");
	ok(!gzip_eligible(&r), "not an answer encoded already");
	req(sc, gz);
	answer_header("Content-Encoding", "");
	ok(gzip_eligible(&r), "an empty Content-Encoding is no encoding");
	answer_header("Content-Encoding", "br");
	ok(!gzip_eligible(&r), "but a second one that is not empty counts");
	req(sc, gz)->method = M_HEAD;
	ok(gzip_wanted(&r), "a HEAD gets the head of a compressed answer");
	req(sc, (const char *const[]){ "Accept-Encoding: gzip", "User-Agent: "
	    "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)", NULL });
	ok(!gzip_client_ok(&r), "gzip_disable msie6");
	req(sc, (const char *const[]){ "Accept-Encoding: gzip", "User-Agent: "
	    "OldBot/2.1", NULL });
	ok(!gzip_client_ok(&r), "gzip_disable's regex, caseless");
	req(sc, gz)->version = 10;
	ok(!gzip_client_ok(&r), "HTTP/1.0 is below gzip_http_version");
	req(sc, gz)->version = 20;
	ok(gzip_client_ok(&r), "HTTP/2 is above it");
	ok(!gzip_client_ok(req(sc, via)), "gzip_proxied off: a request with Via "
	    "gets none");
}

/* gzip_proxied's conditions for a request that came through a proxy. */
static void
test_proxied(const struct config *cf)
{
	const struct scope *expired = &cf->servers[0]->locs[0]->sc;
	const struct scope *nocache = &cf->servers[0]->locs[1]->sc;
	const struct scope *nolm = &cf->servers[0]->locs[2]->sc;
	const struct scope *any = &cf->servers[0]->locs[3]->sc;
	const struct scope *auth = &cf->servers[0]->locs[4]->sc;

	ok(gzip_client_ok(req(any, via)), "any: compressed");
	req(auth, via);
	answer_header("Cache-Control", "public");
	ok(!gzip_client_ok(&r), "auth: a cacheable answer, not without Authorization");
	req(auth, (const char *const[]){ "Accept-Encoding: gzip", "Via: x",
	    "Authorization: Basic eA==", NULL });
	answer_header("Cache-Control", "public");
	ok(gzip_client_ok(&r), "auth: with it");
	req(expired, via);
	answer_header("Expires", "Thu, 01 Jan 1970 00:00:01 GMT");
	ok(gzip_client_ok(&r), "expired: an Expires in the past");
	req(expired, via);
	answer_header("Expires", "Thu, 31 Dec 2037 23:55:55 GMT");
	ok(!gzip_client_ok(&r), "expired: not one in the future");
	req(expired, via);
	answer_header("Expires", "garbage");
	ok(!gzip_client_ok(&r), "expired: not one that does not parse");
	req(nocache, via);
	answer_header("Cache-Control", "public, max-age=60");
	answer_header("Cache-Control", "no-cache");
	ok(gzip_client_ok(&r), "no-cache: in any Cache-Control line");
	req(nocache, via);
	answer_header("Cache-Control", "private");
	ok(!gzip_client_ok(&r), "no-cache: not for private");
	req(nocache, via);
	answer_header("Expires", "Thu, 01 Jan 1970 00:00:01 GMT");
	answer_header("Cache-Control", "no-cache");
	ok(!gzip_client_ok(&r), "an Expires decides before Cache-Control");
	ok(gzip_client_ok(req(nolm, via)), "no_last_modified: without one");
	req(nolm, via)->last_modified = 1000;
	ok(!gzip_client_ok(&r), "no_last_modified: a file's");
	req(nolm, via);
	answer_header("Last-Modified", "Thu, 01 Jan 1970 00:00:01 GMT");
	ok(!gzip_client_ok(&r), "no_last_modified: an upstream's");
	ok(gzip_client_ok(req(expired, via)), "expired: an answer without Expires "
	    "or Cache-Control is compressed, as in nginx");
}

int
main(void)
{
	struct config *cf;

	clock_update();
	test_compressor();
	test_accept_encoding();
	test_msie6();
	test_types();

	snprintf(dir, sizeof(dir), "%s/portico-unit-gzip.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!ok(mkdtemp(dir) != NULL, "temporary directory"))
		return done_testing();
	cf = load("gzip = true; gzip_types = \"application/json\";\n"
	    "gzip_min_length = 100; gzip_disable = [ \"msie6\", \"^oldbot/\" ];\n"
	    "servers = ( { listen = \"127.0.0.1:1\"; locations = (\n"
	    "  { match = \"/a\"; gzip_proxied = \"expired\"; },\n"
	    "  { match = \"/b\"; gzip_proxied = \"no-cache no-store\"; },\n"
	    "  { match = \"/c\"; gzip_proxied = \"no_last_modified no_etag\"; },\n"
	    "  { match = \"/d\"; gzip_proxied = \"any\"; },\n"
	    "  { match = \"/e\"; gzip_proxied = \"auth\"; } ); } );\n");
	if (ok(cf != NULL, "the settings load")) {
		is_int(cf->sc.gzip_types.n, 2, "gzip_types holds text/html too");
		is_int(cf->sc.gzip_buffers.num * cf->sc.gzip_buffers.size, 131072,
		    "gzip_buffers is 32 4k by default");
		test_eligible(&cf->sc);
		test_proxied(cf);
		conf_free(cf);
	}
	rm_rf(dir);
	return done_testing();
}
