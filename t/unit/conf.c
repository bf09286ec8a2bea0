/*
 * The configuration loader: defaults, durations and sizes, inheritance
 * main -> server -> location, the merging of header groups, includes, and
 * every kind of error (each must make conf_load return NULL with a message
 * that says what is wrong and where).  Each case writes its files to its own
 * directory under a mkdtemp one.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_int.h"
#include "log.h"
#include "fixture.h"
#include "tap.h"

static char dir[PATH_MAX];		/* the mkdtemp directory */
static char cdir[PATH_MAX + 16];	/* this case's directory */
static char main_path[PATH_MAX + 32];	/* its portico.conf */
static char errors[16384];		/* what the last load printed */
static int ncase;

#define BASE_LINES	5

static void
new_case(void)
{
	snprintf(cdir, sizeof(cdir), "%s/%d", dir, ++ncase);
	mkdir(cdir, 0755);
	snprintf(main_path, sizeof(main_path), "%s/portico.conf", cdir);
}

/* Write cdir/rel (making its directories), text as given. */
static void
put(const char *rel, const char *text)
{
	char path[PATH_MAX * 2], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", cdir, rel);
	for (slash = strchr(path + strlen(cdir) + 1, '/'); slash != NULL;
	    slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "w");
	if (f == NULL) {
		printf("# cannot write %s: %s\n", path, strerror(errno));
		return;
	}
	fputs(text, f);
	fclose(f);
}

/* Does text set key at the start of a line? */
static bool
sets(const char *text, const char *key)
{
	size_t n = strlen(key);
	const char *p;

	for (p = text; p != NULL; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, n) == 0 && (p[n] == ' ' || p[n] == '='))
			return true;
	return false;
}

/* The settings every main file needs to load here (BASE_LINES lines), less
 * those text sets itself (libconfig refuses a name twice in one group). */
static char *
base_for(const char *text)
{
	static char b[PATH_MAX + 512];
	struct passwd *pw = getpwuid(geteuid());
	size_t n = 0;

	b[0] = '\0';
	if (!sets(text, "user"))
		n += (size_t)snprintf(b + n, sizeof(b) - n, "user = \"%s\";\n",
		    pw ? pw->pw_name : "root");
	if (!sets(text, "pid"))
		n += (size_t)snprintf(b + n, sizeof(b) - n, "pid = \"portico.pid\";\n");
	if (!sets(text, "error_log"))
		n += (size_t)snprintf(b + n, sizeof(b) - n, "error_log = \"error.log\";\n");
	if (!sets(text, "access_log"))
		n += (size_t)snprintf(b + n, sizeof(b) - n,
		    "access_log = \"access.log\";\n");
	if (!sets(text, "types_file"))
		snprintf(b + n, sizeof(b) - n, "types_file = \"%s/conf.d/mime.types\";\n",
		    srcdir());
	return b;
}

static char *
base(void)
{
	return base_for("");
}

/* conf_load with stderr captured into errors[]. */
static struct config *
load_path(const char *path, bool check_files)
{
	char capture[PATH_MAX + 32];
	struct config *cf;
	int fd, saved;
	ssize_t n;

	snprintf(capture, sizeof(capture), "%s/stderr", cdir);
	fflush(stdout);
	fflush(stderr);
	saved = dup(2);
	fd = open(capture, O_RDWR | O_CREAT | O_TRUNC, 0644);
	dup2(fd, 2);
	cf = conf_load(path, check_files);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, errors, sizeof(errors) - 1, 0);
	errors[n > 0 ? n : 0] = '\0';
	close(fd);
	return cf;
}

/* A new case whose main file is base() + text. */
static bool
new_main(const char *text)
{
	char *all;

	new_case();
	if (asprintf(&all, "%s%s", base_for(text), text) < 0)
		return false;
	put("portico.conf", all);
	free(all);
	return true;
}

static struct config *
load(const char *text)
{
	struct config *cf;

	if (!new_main(text))
		return NULL;
	cf = load_path(main_path, true);
	if (cf == NULL)
		printf("# load failed:\n# %s\n", errors);
	return cf;
}

/* A new case that must fail, with a message containing want (%s in want
 * stands for the main file's path). */
static void
load_fails_path(const char *path, const char *want, const char *name)
{
	struct config *cf = load_path(path, true);
	char *expect;

	if (!ok(cf == NULL, "error: %s", name)) {
		conf_free(cf);
		return;
	}
	if (asprintf(&expect, want, main_path) < 0)
		return;
	if (!ok(strstr(errors, expect) != NULL, "message for %s", name))
		printf("#   want \"%s\" in:\n#   %s\n", expect, errors);
	free(expect);
}

static void
load_fails(const char *text, const char *want, const char *name)
{
	if (new_main(text))
		load_fails_path(main_path, want, name);
}

/* "Name=src" for each op, "-" for a removed one, "!" for always. */
static const char *
render(const struct header_set *hs)
{
	static char out[2048];
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < hs->n; i++)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s=%s%s",
		    i ? ", " : "", hs->v[i].name,
		    hs->v[i].value ? hs->v[i].value->src : "-",
		    hs->v[i].always ? "!" : "");
	return out;
}

static const struct server *
server_named(const struct config *cf, const char *first)
{
	size_t i;

	for (i = 0; cf != NULL && i < cf->nservers; i++)
		if (strcmp(cf->servers[i]->first_name, first) == 0)
			return cf->servers[i];
	return NULL;
}

static const struct location *
location_matching(const struct server *srv, const char *text)
{
	size_t i;

	for (i = 0; srv != NULL && i < srv->nlocs; i++)
		if (strcmp(srv->locs[i]->match_text, text) == 0)
			return srv->locs[i];
	return NULL;
}

static const char *
cpath(const char *rel)
{
	static char p[PATH_MAX * 2];

	snprintf(p, sizeof(p), "%s/%s", cdir, rel);
	return p;
}

static void
defaults(void)
{
	struct config *cf;
	const struct server *srv;
	const struct location *loc;
	const struct scope *sc[3];
	static const char *level[3] = { "main", "server", "location" };
	const struct sockaddr_in *sin;
	bool default_user = geteuid() != 0 || getpwnam("www-data") != NULL;
	char *text;
	int i;

	/* Only what the loader needs to open: no user (when www-data can be
	 * looked up), no pid. */
	new_case();
	if (asprintf(&text, "%serror_log = \"error.log\";\naccess_log = \"access.log\";\n"
	    "types_file = \"%s/conf.d/mime.types\";\n"
	    "servers = ( { server_name = \"d\"; locations = ( { match = \"/\"; } ); } );\n",
	    default_user ? "" : "user = \"root\";\n", srcdir()) < 0)
		return;
	put("portico.conf", text);
	free(text);
	cf = load_path(main_path, true);
	ok(cf != NULL, "defaults: loads");
	if (cf == NULL) {
		printf("# %s\n", errors);
		return;
	}
	srv = server_named(cf, "d");
	loc = location_matching(srv, "/");
	ok(srv != NULL && loc != NULL, "defaults: server and location");
	if (srv == NULL || loc == NULL) {
		conf_free(cf);
		return;
	}
	sc[0] = &cf->sc;
	sc[1] = &srv->sc;
	sc[2] = &loc->sc;
	for (i = 0; i < 3; i++) {
		is_int(sc[i]->sendfile, 1, "%s: sendfile true", level[i]);
		is_int(sc[i]->tcp_nodelay, 1, "%s: tcp_nodelay true", level[i]);
		is_int(sc[i]->keepalive_timeout, 65000, "%s: keepalive_timeout 65s",
		    level[i]);
		is_int(sc[i]->keepalive_requests, 1000, "%s: keepalive_requests 1000",
		    level[i]);
		is_int(sc[i]->client_header_timeout, 60000,
		    "%s: client_header_timeout 60s", level[i]);
		is_int(sc[i]->client_body_timeout, 60000, "%s: client_body_timeout 60s",
		    level[i]);
		is_int(sc[i]->send_timeout, 60000, "%s: send_timeout 60s", level[i]);
		is_int(sc[i]->client_max_body_size, 1048576,
		    "%s: client_max_body_size 1 MiB", level[i]);
		is_int(sc[i]->server_tokens, 1, "%s: server_tokens true", level[i]);
		is_int(sc[i]->index.n, 1, "%s: one index file", level[i]);
		if (sc[i]->index.n == 1)
			is_str(sc[i]->index.v[0], "index.html", "%s: index.html", level[i]);
		is_int(sc[i]->autoindex, 0, "%s: autoindex false", level[i]);
		is_str(sc[i]->default_type, "application/octet-stream",
		    "%s: default_type", level[i]);
		is_int(sc[i]->expires.mode, EXPIRES_OFF, "%s: expires off", level[i]);
		is_int(sc[i]->proxy_connect_timeout, 60000,
		    "%s: proxy_connect_timeout 60s", level[i]);
		is_int(sc[i]->proxy_read_timeout, 60000, "%s: proxy_read_timeout 60s",
		    level[i]);
		is_int(sc[i]->proxy_send_timeout, 60000, "%s: proxy_send_timeout 60s",
		    level[i]);
		is_int(sc[i]->proxy_next_upstream, NEXT_ERROR | NEXT_TIMEOUT,
		    "%s: proxy_next_upstream error timeout", level[i]);
		is_int(sc[i]->proxy_buffering, 1, "%s: proxy_buffering true", level[i]);
		is_int(sc[i]->proxy_http_version, 11, "%s: proxy_http_version 1.1",
		    level[i]);
		is_int(sc[i]->headers.n, 0, "%s: no add_header", level[i]);
		is_int(sc[i]->proxy_headers.n, 0, "%s: no proxy_set_header", level[i]);
		is_int(sc[i]->access.n, 0, "%s: no access rules", level[i]);
		is_int(sc[i]->error_pages.n, 0, "%s: no error_page", level[i]);
		ok(sc[i]->try_files == NULL, "%s: no try_files", level[i]);
		is_int(sc[i]->access_log.n, 1, "%s: one access log", level[i]);
		if (sc[i]->access_log.n == 1) {
			is_str(sc[i]->access_log.v[0].file->path, cpath("access.log"),
			    "%s: access_log relative to the file", level[i]);
			is_str(sc[i]->access_log.v[0].format_name, "combined",
			    "%s: access_log format combined", level[i]);
			ok(sc[i]->access_log.v[0].format != NULL,
			    "%s: access_log format resolved", level[i]);
		}
		ok(sc[i]->error_log != NULL && sc[i]->error_log->path != NULL,
		    "%s: error_log set", level[i]);
		if (sc[i]->error_log != NULL && sc[i]->error_log->path != NULL)
			is_str(sc[i]->error_log->path, cpath("error.log"),
			    "%s: error_log relative to the file", level[i]);
	}
	ok(cf->sc.root != NULL, "main: root has a default");
	if (cf->sc.root != NULL)
		is_str(cf->sc.root->src, DATADIR "/portico/html", "main: default root");
	ok(srv->sc.root != NULL && strcmp(srv->sc.root->src,
	    DATADIR "/portico/html") == 0, "server: default root");
	is_int(cf->main.workers.start, 8, "workers.start 8");
	is_int(cf->main.workers.min_spare, 4, "workers.min_spare 4");
	is_int(cf->main.workers.max_spare, 16, "workers.max_spare 16");
	is_int(cf->main.workers.max, 256, "workers.max 256");
	is_int(cf->main.workers.max_requests, 0, "workers.max_requests 0");
	is_int(cf->main.log_level, LV_NOTICE, "log_level notice");
	is_str(cf->main.pid, RUNSTATEDIR "/portico.pid", "default pid file");
	if (default_user)
		is_str(cf->main.user, "www-data", "default user www-data");
	ok(cf->main.group == NULL, "no group by default");
	text = NULL;
	if (asprintf(&text, "%s/conf.d/mime.types", srcdir()) >= 0)
		is_str(cf->main.types_file, text, "types_file as set");
	free(text);
	ok(cf->mime != NULL, "the types file is loaded");
	is_int(srv->nlistens, 1, "default listen: one");
	sin = (const struct sockaddr_in *)(const void *)&srv->listens[0].ss;
	ok(sin->sin_family == AF_INET && ntohs(sin->sin_port) == 80 &&
	    sin->sin_addr.s_addr == htonl(INADDR_ANY), "default listen *:80");
	ok(srv->listens[0].wildcard && !srv->listens[0].default_server,
	    "default listen: wildcard, not default_server");
	is_int(cf->nvhosts, 1, "one vhosts");
	is_int(cf->nlisteners, 1, "one listener");
	ok(cf->nvhosts == 1 && cf->vhosts[0]->def == srv,
	    "the only server is the default");
	ok(srv->deflt.srv == srv && srv->deflt.sc.keepalive_timeout == 65000,
	    "the implicit location has the server's settings");
	conf_free(cf);
}

static void
values(void)
{
	static const struct {
		const char	*in;
		long long	 want;		/* -1: refused */
	} msec[] = {
		{ "500ms", 500 }, { "10s", 10000 }, { "5m", 300000 },
		{ "1h", 3600000 }, { "1d", 86400000 }, { "2w", 1209600000 },
		{ "30", 30000 }, { "0", 0 }, { "0ms", 0 }, { "65s", 65000 },
		{ "", -1 }, { "s", -1 }, { "ms", -1 }, { "10x", -1 }, { "-1", -1 },
		{ "-1s", -1 }, { "1.5s", -1 }, { "10 s", -1 }, { " 10s", -1 },
		{ "10sec", -1 }, { "10ss", -1 }, { "1h30m", -1 },
		{ "99999999999999999999", -1 }, { "9223372036854775807d", -1 },
	}, size[] = {
		{ "512", 512 }, { "0", 0 }, { "1k", 1024 }, { "1K", 1024 },
		{ "64k", 65536 }, { "10m", 10485760 }, { "10M", 10485760 },
		{ "1g", 1073741824 }, { "2G", 2147483648LL },
		{ "", -1 }, { "k", -1 }, { "-1", -1 }, { "1kb", -1 }, { "1.5m", -1 },
		{ "1t", -1 }, { "1 k", -1 }, { " 1k", -1 }, { "0x10", -1 },
		{ "99999999999999999999", -1 }, { "9223372036854775807g", -1 },
	};
	size_t i;
	long long v;
	int rc;

	for (i = 0; i < sizeof(msec) / sizeof(msec[0]); i++) {
		v = -12345;
		rc = parse_msec(msec[i].in, &v);
		if (msec[i].want < 0)
			is_int(rc, -1, "parse_msec(\"%s\") refused", msec[i].in);
		else {
			is_int(rc, 0, "parse_msec(\"%s\") accepted", msec[i].in);
			is_int(v, msec[i].want, "parse_msec(\"%s\") = %lld", msec[i].in,
			    msec[i].want);
		}
	}
	for (i = 0; i < sizeof(size) / sizeof(size[0]); i++) {
		v = -12345;
		rc = parse_size(size[i].in, &v);
		if (size[i].want < 0)
			is_int(rc, -1, "parse_size(\"%s\") refused", size[i].in);
		else {
			is_int(rc, 0, "parse_size(\"%s\") accepted", size[i].in);
			is_int(v, size[i].want, "parse_size(\"%s\") = %lld", size[i].in,
			    size[i].want);
		}
	}
}

static void
values_in_files(void)
{
	struct config *cf;
	const struct server *srv;

	cf = load("keepalive_timeout = \"500ms\";\nsend_timeout = 30;\n"
	    "client_header_timeout = \"1h\";\nclient_body_timeout = \"1d\";\n"
	    "proxy_read_timeout = \"5m\";\nproxy_send_timeout = \"10s\";\n"
	    "proxy_connect_timeout = \"7\";\n"
	    "client_max_body_size = 2048;\nproxy_buffer_size = \"8k\";\n"
	    "keepalive_requests = \"50\";\nsendfile = false;\n"
	    "workers = { start = 2; max_requests = 100; };\nlog_level = \"debug\";\n"
	    "index = [ \"a.html b.html\", \"c.html\" ];\n"
	    "servers = ( { server_name = \"s\"; client_max_body_size = \"10m\";\n"
	    "  expires = \"1h\"; },\n"
	    "  { server_name = \"z\"; client_max_body_size = \"0\"; expires = 60; },\n"
	    "  { server_name = \"neg\"; expires = \"-1\"; },\n"
	    "  { server_name = \"ep\"; expires = \"epoch\"; },\n"
	    "  { server_name = \"mx\"; expires = \"max\"; } );\n");
	ok(cf != NULL, "values: loads");
	if (cf == NULL)
		return;
	is_int(cf->sc.keepalive_timeout, 500, "keepalive_timeout \"500ms\"");
	is_int(cf->sc.send_timeout, 30000, "send_timeout 30 (an integer of seconds)");
	is_int(cf->sc.client_header_timeout, 3600000, "client_header_timeout \"1h\"");
	is_int(cf->sc.client_body_timeout, 86400000, "client_body_timeout \"1d\"");
	is_int(cf->sc.proxy_read_timeout, 300000, "proxy_read_timeout \"5m\"");
	is_int(cf->sc.proxy_send_timeout, 10000, "proxy_send_timeout \"10s\"");
	is_int(cf->sc.proxy_connect_timeout, 7000,
	    "proxy_connect_timeout \"7\" (a string of seconds)");
	is_int(cf->sc.client_max_body_size, 2048, "client_max_body_size 2048");
	is_int(cf->sc.proxy_buffer_size, 8192, "proxy_buffer_size \"8k\"");
	is_int(cf->sc.keepalive_requests, 50, "keepalive_requests \"50\"");
	is_int(cf->sc.sendfile, 0, "sendfile false");
	is_int(cf->main.workers.start, 2, "workers.start 2");
	is_int(cf->main.workers.max_requests, 100, "workers.max_requests 100");
	is_int(cf->main.workers.min_spare, 4, "workers: keys not given keep defaults");
	is_int(cf->main.workers.max, 256, "workers.max keeps its default");
	is_int(cf->main.log_level, LV_DEBUG, "log_level debug");
	is_int(cf->sc.index.n, 3, "index: three names from two strings");
	if (cf->sc.index.n == 3)
		ok(strcmp(cf->sc.index.v[0], "a.html") == 0 &&
		    strcmp(cf->sc.index.v[1], "b.html") == 0 &&
		    strcmp(cf->sc.index.v[2], "c.html") == 0, "index names in order");
	srv = server_named(cf, "s");
	ok(srv != NULL && srv->sc.client_max_body_size == 10485760,
	    "client_max_body_size \"10m\" in a server");
	ok(srv != NULL && srv->sc.expires.mode == EXPIRES_REL &&
	    srv->sc.expires.sec == 3600, "expires \"1h\"");
	srv = server_named(cf, "z");
	ok(srv != NULL && srv->sc.client_max_body_size == 0,
	    "client_max_body_size \"0\"");
	ok(srv != NULL && srv->sc.expires.mode == EXPIRES_REL &&
	    srv->sc.expires.sec == 60, "expires 60 (seconds)");
	srv = server_named(cf, "neg");
	ok(srv != NULL && srv->sc.expires.mode == EXPIRES_REL &&
	    srv->sc.expires.sec == -1, "expires \"-1\"");
	srv = server_named(cf, "ep");
	ok(srv != NULL && srv->sc.expires.mode == EXPIRES_EPOCH, "expires epoch");
	srv = server_named(cf, "mx");
	ok(srv != NULL && srv->sc.expires.mode == EXPIRES_MAX, "expires max");
	conf_free(cf);
}

static void
inheritance(void)
{
	struct config *cf;
	const struct server *s1, *s2;
	const struct location *la, *lb;

	cf = load("keepalive_timeout = \"10s\";\nsendfile = false;\n"
	    "index = \"a.html b.html\";\ndefault_type = \"text/plain\";\n"
	    "access = [ \"deny 10.0.0.0/8\", \"allow all\" ];\n"
	    "servers = (\n"
	    "  { server_name = \"s1\"; keepalive_timeout = \"20s\"; autoindex = true;\n"
	    "    root = \"/srv/www/\"; try_files = \"$uri =404\";\n"
	    "    error_log = \"s1-error.log\";\n"
	    "    locations = (\n"
	    "      { match = \"/a/\"; keepalive_timeout = \"5s\"; sendfile = true;\n"
	    "        root = \"html\"; index = \"x.html\"; access = \"deny all\"; },\n"
	    "      { match = \"/b/\"; }\n"
	    "    ); },\n"
	    "  { server_name = \"s2\"; }\n"
	    ");\n");
	ok(cf != NULL, "inheritance: loads");
	if (cf == NULL)
		return;
	s1 = server_named(cf, "s1");
	s2 = server_named(cf, "s2");
	la = location_matching(s1, "/a/");
	lb = location_matching(s1, "/b/");
	ok(s1 && s2 && la && lb, "inheritance: servers and locations found");
	if (!(s1 && s2 && la && lb)) {
		conf_free(cf);
		return;
	}
	is_int(cf->sc.keepalive_timeout, 10000, "main sets keepalive_timeout");
	is_int(s1->sc.keepalive_timeout, 20000, "server overrides it");
	is_int(la->sc.keepalive_timeout, 5000, "location overrides it");
	is_int(lb->sc.keepalive_timeout, 20000, "location inherits the server's");
	is_int(s2->sc.keepalive_timeout, 10000, "server inherits main's");
	is_int(s1->sc.sendfile, 0, "server inherits sendfile false");
	is_int(lb->sc.sendfile, 0, "location inherits sendfile false");
	is_int(la->sc.sendfile, 1, "location sets sendfile true");
	is_int(s2->sc.index.n, 2, "server inherits main's index");
	is_int(lb->sc.index.n, 2, "location inherits main's index through the server");
	ok(la->sc.index.n == 1 && strcmp(la->sc.index.v[0], "x.html") == 0,
	    "location's own index");
	is_str(lb->sc.default_type, "text/plain", "default_type inherited twice");
	is_int(s1->sc.autoindex, 1, "server autoindex");
	is_int(lb->sc.autoindex, 1, "location inherits autoindex");
	is_int(s2->sc.autoindex, 0, "other server keeps autoindex off");
	ok(s1->sc.root && strcmp(s1->sc.root->src, "/srv/www") == 0,
	    "root loses its trailing slash");
	ok(lb->sc.root && strcmp(lb->sc.root->src, "/srv/www") == 0,
	    "location inherits root");
	ok(la->sc.root && strcmp(la->sc.root->src, cpath("html")) == 0,
	    "relative root is relative to the file");
	ok(s1->sc.try_files != NULL, "server try_files");
	ok(la->sc.try_files == NULL, "try_files is not inherited by locations (nginx)");
	ok(s1->deflt.sc.try_files == s1->sc.try_files,
	    "the implicit location has the server's try_files");
	ok(s1->sc.error_log && s1->sc.error_log->path &&
	    strcmp(s1->sc.error_log->path, cpath("s1-error.log")) == 0,
	    "server error_log");
	ok(lb->sc.error_log == s1->sc.error_log, "location inherits error_log");
	ok(s2->sc.error_log == cf->sc.error_log, "other server keeps main's error_log");
	is_int(s2->sc.access.n, 2, "server inherits the access list");
	is_int(la->sc.access.n, 1, "location replaces the access list");
	ok(la->sc.access.n == 1 && !la->sc.access.v[0].allow &&
	    la->sc.access.v[0].family == 0, "location access: deny all");
	ok(lb->sc.access.n == 2 && !lb->sc.access.v[0].allow &&
	    lb->sc.access.v[1].allow, "location inherits main's access rules");
	conf_free(cf);
}

static void
headers(void)
{
	struct config *cf;
	const struct server *s1, *s2;
	const struct location *l1, *l2, *l3;

	cf = load("add_header = { Strict-Transport-Security = \"max-age=1\"; "
	    "X-Main = \"m\"; };\n"
	    "proxy_set_header = { Host = \"$host\"; X-Real-IP = \"$remote_addr\"; "
	    "X-Main = \"m\"; };\n"
	    "servers = (\n"
	    "  { server_name = \"s1\";\n"
	    "    add_header = { X-Main = \"s\"; X-Srv = \"v\"; };\n"
	    "    add_header_always = { X-Always = \"a\"; };\n"
	    "    locations = (\n"
	    "      { match = \"/1\"; add_header = { x-srv = \"\"; X-Loc = \"l\"; };\n"
	    "        proxy_set_header = { host = \"$proxy_host\"; X-Real-IP = \"\"; }; },\n"
	    "      { match = \"/2\"; },\n"
	    "      { match = \"/3\"; add_header_always = { X-Srv = \"z\"; "
	    "Strict-Transport-Security = \"\"; }; }\n"
	    "    ); },\n"
	    "  { server_name = \"s2\"; }\n"
	    ");\n");
	ok(cf != NULL, "headers: loads");
	if (cf == NULL)
		return;
	s1 = server_named(cf, "s1");
	s2 = server_named(cf, "s2");
	l1 = location_matching(s1, "/1");
	l2 = location_matching(s1, "/2");
	l3 = location_matching(s1, "/3");
	ok(s1 && s2 && l1 && l2 && l3, "headers: servers and locations found");
	if (!(s1 && s2 && l1 && l2 && l3)) {
		conf_free(cf);
		return;
	}
	is_str(render(&cf->sc.headers),
	    "Strict-Transport-Security=max-age=1, X-Main=m", "main add_header");
	is_str(render(&s1->sc.headers),
	    "Strict-Transport-Security=max-age=1, X-Main=s, X-Srv=v, X-Always=a!",
	    "server: same name replaces, others inherited, always added");
	is_str(render(&l1->sc.headers),
	    "Strict-Transport-Security=max-age=1, X-Main=s, X-Always=a!, x-srv=-, "
	    "X-Loc=l", "location: an empty value removes (case-insensitive name)");
	is_str(render(&l2->sc.headers), render(&s1->sc.headers),
	    "location without add_header inherits the server's list");
	is_str(render(&l3->sc.headers),
	    "X-Main=s, X-Always=a!, X-Srv=z!, Strict-Transport-Security=-!",
	    "location add_header_always replaces add_header of the same name");
	is_str(render(&s2->sc.headers), render(&cf->sc.headers),
	    "other server inherits main's list");
	is_str(render(&s1->deflt.sc.headers), render(&s1->sc.headers),
	    "the implicit location has the server's list");
	is_str(render(&s1->sc.proxy_headers),
	    "Host=$host, X-Real-IP=$remote_addr, X-Main=m",
	    "proxy_set_header inherited");
	is_str(render(&l1->sc.proxy_headers),
	    "X-Main=m, host=$proxy_host, X-Real-IP=-", "proxy_set_header merged");
	conf_free(cf);
}

static void
includes(void)
{
	struct config *cf;
	static const char *order[] = { "a1", "a2", "c", "b", "main" };
	size_t i;
	bool in_order;
	const struct server *srv;
	char *want;

	new_case();
	put("conf.d/a.conf", "keepalive_timeout = \"7s\";\n"
	    "servers = ( { server_name = \"a1\"; root = \"html\"; },\n"
	    "  { server_name = \"a2\"; } );\n"
	    "upstreams = { app = { servers = [ \"127.0.0.1:8000\" ]; }; };\n");
	put("conf.d/b.conf", "include = \"nested/*.conf\";\n"
	    "servers = ( { server_name = \"b\"; } );\n");
	put("conf.d/nested/c.conf", "servers = ( { server_name = \"c\"; } );\n");
	put("conf.d/ignored.txt", "this is not a configuration file\n");
	if (asprintf(&want, "%sinclude = [ \"conf.d/*.conf\", \"none/*.conf\" ];\n"
	    "servers = ( { server_name = \"main\"; locations = ( { match = \"/\";\n"
	    "  proxy_pass = \"http://app\"; } ); } );\n", base()) < 0)
		return;
	put("portico.conf", want);
	free(want);
	cf = load_path(main_path, true);
	ok(cf != NULL, "includes: loads");
	if (cf == NULL) {
		printf("# %s\n", errors);
		return;
	}
	is_int(cf->nservers, 5, "five servers from four files");
	in_order = cf->nservers == 5;
	for (i = 0; in_order && i < 5; i++)
		if (strcmp(cf->servers[i]->first_name, order[i]) != 0)
			in_order = false;
	ok(in_order, "servers in include order: a1 a2 c b main");
	if (!in_order)
		for (i = 0; i < cf->nservers; i++)
			printf("#   %zu: %s\n", i, cf->servers[i]->first_name);
	srv = server_named(cf, "a1");
	ok(srv && strcmp(srv->file, cpath("conf.d/a.conf")) == 0,
	    "a server knows the file it came from");
	ok(srv && srv->line == 2, "and its line");
	ok(srv && srv->sc.root && strcmp(srv->sc.root->src, cpath("conf.d/html")) == 0,
	    "paths in an included file are relative to it");
	srv = server_named(cf, "c");
	ok(srv && strcmp(srv->file, cpath("conf.d/nested/c.conf")) == 0,
	    "nested include relative to the including file");
	is_int(cf->sc.keepalive_timeout, 7000,
	    "a main-level setting from an included file");
	srv = server_named(cf, "main");
	ok(srv && srv->sc.keepalive_timeout == 7000,
	    "servers inherit a setting from an included file");
	ok(cf->nupstreams >= 1 && strcmp(cf->upstreams[0]->name, "app") == 0,
	    "an upstream from an included file");
	ok(srv && srv->nlocs == 1 && srv->locs[0]->proxy &&
	    srv->locs[0]->proxy->up == cf->upstreams[0],
	    "proxy_pass names the included upstream");
	conf_free(cf);
}

/* limit_conn_zone and limit_conn: values, defaults, inheritance, a zone
 * defined in an included file, and what is refused. */
static void
limits(void)
{
	struct config *cf;
	const struct server *srv;
	const struct location *la, *lb;
	char *text;

	new_case();
	put("conf.d/zones.conf", "limit_conn_zone = [ \"$binary_remote_addr zone=addr:1m\",\n"
	    "  \"$server_name zone=perserver:64k\" ];\n");
	if (asprintf(&text, "%sinclude = \"conf.d/*.conf\";\nlimit_conn = \"addr 10\";\n"
	    "servers = ( { server_name = \"l\"; limit_conn_status = 429;\n"
	    "  locations = ( { match = \"/a/\"; limit_conn = [ \"addr 1\", \"perserver 5\" ];\n"
	    "    limit_conn_log_level = \"warn\"; },\n"
	    "    { match = \"/b/\"; } ); } );\n", base()) < 0)
		return;
	put("portico.conf", text);
	free(text);
	cf = load_path(main_path, true);
	ok(cf != NULL, "limits: loads");
	if (cf == NULL) {
		printf("# %s\n", errors);
		return;
	}
	is_int(cf->main.limit_zones.n, 2, "two zones from an included file");
	ok(cf->main.limit_zones.n == 2 &&
	    strcmp(cf->main.limit_zones.v[0].name, "addr") == 0 &&
	    cf->main.limit_zones.v[0].size == 1 << 20 &&
	    strcmp(cf->main.limit_zones.v[0].key->src, "$binary_remote_addr") == 0,
	    "zone name, size and key");
	is_int(cf->sc.limit_conn_status, 503, "limit_conn_status defaults to 503");
	is_int(cf->sc.limit_conn_log_level, LV_ERROR,
	    "limit_conn_log_level defaults to error");
	srv = server_named(cf, "l");
	la = srv ? location_matching(srv, "/a/") : NULL;
	lb = srv ? location_matching(srv, "/b/") : NULL;
	if (!ok(la != NULL && lb != NULL, "limits: locations found")) {
		conf_free(cf);
		return;
	}
	ok(la->sc.limit_conn.n == 2 && la->sc.limit_conn.v[0].conn == 1 &&
	    la->sc.limit_conn.v[1].zone == &cf->main.limit_zones.v[1] &&
	    la->sc.limit_conn.v[1].conn == 5, "a location's own limits, zones found");
	ok(lb->sc.limit_conn.n == 1 && lb->sc.limit_conn.v[0].conn == 10 &&
	    lb->sc.limit_conn.v[0].zone == &cf->main.limit_zones.v[0],
	    "another location inherits main's limit through the server");
	is_int(lb->sc.limit_conn_status, 429, "limit_conn_status inherited");
	is_int(la->sc.limit_conn_log_level, LV_WARN, "limit_conn_log_level set");
	conf_free(cf);

	load_fails("limit_conn_zone = \"$remote_addr zone=a:1k\";\n",
	    "zone \"zone=a:1k\" is too small", "a zone below 32k");
	load_fails("limit_conn_zone = \"$remote_addr zone=a\";\n",
	    "invalid zone size \"zone=a\"", "a zone without a size");
	load_fails("limit_conn_zone = \"$remote_addr\";\n",
	    "\"limit_conn_zone\" must have \"zone\" parameter", "a zone without zone=");
	load_fails("limit_conn_zone = \"$remote_addr zone=a:1m burst=5\";\n",
	    "invalid parameter \"burst=5\"", "an unknown zone parameter");
	load_fails("limit_conn_zone = [ \"$remote_addr zone=a:1m\", "
	    "\"$host zone=a:1m\" ];\n",
	    "limit_conn_zone \"a\" is already bound to key \"$remote_addr\"",
	    "a zone defined twice");
	load_fails("limit_conn_zone = \"$nosuch zone=a:1m\";\n",
	    "unknown variable", "an unknown variable in a key");
	load_fails("limit_conn = \"nosuch 1\";\n", "unknown limit_conn_zone \"nosuch\"",
	    "a limit in an unknown zone");
	load_fails("limit_conn_zone = \"$remote_addr zone=a:1m\";\nlimit_conn = \"a 0\";\n",
	    "invalid number of connections \"0\"", "a limit of 0");
	load_fails("limit_conn_zone = \"$remote_addr zone=a:1m\";\n"
	    "limit_conn = \"a 65536\";\n", "connection limit must be less 65536",
	    "a limit of 65536");
	load_fails("limit_conn_zone = \"$remote_addr zone=a:1m\";\n"
	    "limit_conn = [ \"a 1\", \"a 2\" ];\n", "limit_conn \"a\" is duplicate",
	    "the same zone twice at one level");
	load_fails("limit_conn = \"a\";\n", "limit_conn must be \"ZONE NUMBER\"",
	    "a limit without a number");
	load_fails("limit_conn_status = 302;\n",
	    "limit_conn_status must be between 400 and 599", "limit_conn_status 302");
	load_fails("limit_conn_log_level = \"crit\";\n",
	    "invalid limit_conn_log_level \"crit\"", "limit_conn_log_level crit");
	load_fails("servers = ( { limit_conn_zone = \"$remote_addr zone=a:1m\"; } );\n",
	    "limit_conn_zone", "limit_conn_zone in a server");
}

static void
errors_in_values(void)
{
	load_fails("servers = ( {\n  proxy_passs = \"x\"; } );\n",
	    "unknown setting \"proxy_passs\" in %s:7", "unknown setting, file:line");
	load_fails("foo = 1;\n", "unknown setting \"foo\"", "unknown main setting");
	load_fails("servers = ( { locations = ( { match = \"/\"; bar = 1; } ); } );\n",
	    "unknown setting \"bar\"", "unknown location setting");
	/* Found by fuzzing: the regular expressions of a refused server or
	 * location leaked (LeakSanitizer tells, in a sanitizer build). */
	load_fails("servers = ( { server_name = \"~^(?<sub>.+)\\\\.test$\";\n"
	    "  proxy_pazss = \"x\"; } );\n", "unknown setting \"proxy_pazss\"",
	    "a refused server frees its regex name");
	load_fails("servers = ( { locations = ( { match = \"~ \\\\.php$\"; },\n"
	    "  { match = \"~ \\\\.php$\"; } ); } );\n", "duplicate location",
	    "a refused regex location frees its regex");
	load_fails("listen = \"80\";\n",
	    "setting \"listen\" is not allowed at the main level", "listen at main");
	load_fails("servers = ( { alias = \"/x/\"; } );\n",
	    "setting \"alias\" is not allowed in a server", "alias in a server");
	load_fails("servers = ( { proxy_pass = \"http://127.0.0.1:1\"; } );\n",
	    "setting \"proxy_pass\" is not allowed in a server",
	    "proxy_pass in a server");
	load_fails("servers = ( { user = \"x\"; } );\n",
	    "setting \"user\" is not allowed in a server", "user in a server");
	load_fails("servers = ( { include = \"x\"; } );\n",
	    "setting \"include\" is not allowed in a server", "include in a server");
	load_fails("servers = ( { locations = ( { match = \"/\"; "
	    "listen = \"80\"; } ); } );\n",
	    "setting \"listen\" is not allowed in a location", "listen in a location");
	load_fails("servers = ( { locations = ( { match = \"/\"; "
	    "error_log = \"x\"; } ); } );\n",
	    "setting \"error_log\" is not allowed in a location",
	    "error_log in a location");
	load_fails("return = \"404\";\n",
	    "setting \"return\" is not allowed at the main level", "return at main");
	load_fails("method = \"least_conn\";\n",
	    "setting \"method\" is not allowed at the main level", "method at main");

	load_fails("sendfile = \"yes\";\n", "\"sendfile\" must be true or false",
	    "a string for a boolean");
	load_fails("keepalive_timeout = true;\n", "\"keepalive_timeout\" must be a "
	    "duration", "a boolean for a duration");
	load_fails("default_type = [ \"a/b\", \"c/d\" ];\n", "\"default_type\" takes "
	    "one value, not a list", "an array for a setting nginx does not repeat");
	load_fails("index = 5;\n",
	    "\"index\" must be a string or an array of strings", "a number for index");
	load_fails("add_header = \"X: y\";\n", "\"add_header\" must be a group",
	    "a string for add_header");
	load_fails("servers = { a = 1; };\n", "\"servers\" must be a list",
	    "a group for servers");
	load_fails("servers = ( \"x\" );\n",
	    "each element of \"servers\" must be a group", "a string in servers");
	load_fails("workers = 5;\n", "\"workers\" must be a group", "a number for workers");
	load_fails("default_type = 5;\n", "\"default_type\" must be a string",
	    "a number for default_type");

	load_fails("keepalive_timeout = \"10x\";\n",
	    "invalid value \"10x\" for \"keepalive_timeout\"", "bad duration");
	load_fails("client_max_body_size = \"1kb\";\n",
	    "invalid value \"1kb\" for \"client_max_body_size\"", "bad size");
	load_fails("keepalive_requests = -1;\n",
	    "\"keepalive_requests\" must not be negative", "negative number");
	load_fails("keepalive_requests = \"ten\";\n",
	    "invalid value \"ten\" for \"keepalive_requests\"", "word for a number");
	load_fails("log_level = \"loud\";\n", "invalid log_level \"loud\"",
	    "bad log_level");
	load_fails("log_level = \"emerg\";\n", "invalid log_level \"emerg\"",
	    "log_level below crit");
	load_fails("workers = { start = 300; };\n",
	    "workers.start and workers.min_spare must not exceed workers.max (256)",
	    "workers.start above max");
	load_fails("workers = { min_spare = 20; };\n",
	    "workers.min_spare (20) exceeds workers.max_spare (16)",
	    "workers.min_spare above max_spare");
	load_fails("workers = { max = 0; };\n",
	    "workers.max must be between 1 and 4096", "workers.max 0");
	load_fails("workers = { max = 5000; start = 1; min_spare = 1; };\n",
	    "workers.max must be between 1 and 4096", "workers.max 5000");
	load_fails("workers = { foo = 1; };\n", "unknown setting \"workers.foo\"",
	    "unknown workers key");
	load_fails("user = \"a b c\";\n", "invalid value \"a b c\" for \"user\"",
	    "user with three words");
	load_fails("error_log = \"x.log warn\";\n", "invalid error_log \"x.log warn\"",
	    "error_log with a level");
	load_fails("access_log = [ \"off\", \"a.log\" ];\n",
	    "access_log \"off\" cannot be combined", "access_log off and a file");
	load_fails("access_log = \"a.log nosuch\";\n", "unknown log format \"nosuch\"",
	    "unknown log format");
	load_fails("log_format = { combined = \"$status\"; };\n",
	    "log_format \"combined\" is built in", "redefining combined");
	load_fails("servers = ( { listen = \"99999\"; } );\n",
	    "invalid listen \"99999\": invalid port", "listen port out of range");
	load_fails("servers = ( { listen = \"80 foo\"; } );\n",
	    "invalid listen \"80 foo\": unknown listen parameter", "listen junk");
	load_fails("servers = ( { server_name = \"a*b.test\"; } );\n",
	    "invalid server_name \"a*b.test\"", "wildcard in the middle");
	load_fails("servers = ( { server_name = \"~(\"; } );\n",
	    "invalid regular expression \"(\"", "bad server_name regex");
	load_fails("servers = ( { locations = ( { match = \"x\"; } ); } );\n",
	    "invalid match \"x\"", "match without a slash");
	load_fails("servers = ( { locations = ( { match = \"~ (\"; } ); } );\n",
	    "invalid regular expression \"(\"", "bad location regex");
	load_fails("servers = ( { locations = ( { root = \"/x\"; } ); } );\n",
	    "location without \"match\"", "location without match");
	load_fails("servers = ( { locations = ( { match = \"/a\"; },\n"
	    "  { match = \"/a\"; } ); } );\n", "duplicate location \"/a\"",
	    "duplicate location");
	load_fails("servers = ( { locations = ( { match = \"^~ /a\"; },\n"
	    "  { match = \"/a\"; } ); } );\n", "duplicate location \"/a\"",
	    "\"^~ /a\" and \"/a\" are the same location (nginx)");
	load_fails("servers = ( { locations = ( { match = \"/a/\"; root = \"/r\";\n"
	    "  alias = \"/x/\"; } ); } );\n",
	    "location \"/a/\" sets both \"root\" and \"alias\"", "root and alias");
	load_fails("access = [ \"allow 300.0.0.0\" ];\n",
	    "invalid address \"300.0.0.0\" in access rule", "bad access address");
	load_fails("access = [ \"permit all\" ];\n",
	    "invalid access rule \"permit all\"", "bad access verb");
	load_fails("error_page = \"404\";\n", "invalid error_page \"404\"",
	    "error_page without a URI");
	load_fails("error_page = \"99 /x.html\";\n", "invalid status \"99\"",
	    "error_page with a bad code");
	load_fails("servers = ( { return = \"abc\"; } );\n", "invalid return \"abc\"",
	    "bad return");
	load_fails("servers = ( { return = \"301\"; } );\n", "return 301 needs a URL",
	    "redirect without a URL");
	load_fails("servers = ( { try_files = \"$uri\"; } );\n",
	    "invalid try_files \"$uri\"", "try_files without a fallback");
	load_fails("servers = ( { try_files = \"$uri @nowhere\"; } );\n",
	    "unknown named location \"@nowhere\"", "try_files to a missing @name");
	load_fails("add_header = { X-A = \"$nosuch\"; };\n",
	    "unknown variable \"$nosuch\"", "unknown variable");
	load_fails("add_header = { Host = \"a\"; host = \"b\"; };\n",
	    "duplicate header \"host\"", "duplicate header names (case)");
	load_fails("add_header = { X-A = \"1\"; };\nadd_header_always = { x-a = \"2\"; };\n",
	    "duplicate header \"x-a\"", "add_header and add_header_always share names");
	load_fails("proxy_set_header = { X-A = \"1\"; X-a = \"2\"; };\n",
	    "duplicate header \"X-a\"", "duplicate proxy_set_header names");
	load_fails("servers = ( { listen = \"80 default_server\"; },\n"
	    "  { listen = \"80 default_server\"; } );\n",
	    "a duplicate default server for 0.0.0.0:80 in",
	    "duplicate default_server");
	load_fails("servers = ( { listen = [ \"8080\", \"8080\" ]; } );\n",
	    "duplicate listen \"8080\"", "the same listen twice in a server");
	load_fails("upstreams = { app = { servers = [ ]; }; };\n",
	    "upstream \"app\" has no servers", "empty upstream");
	load_fails("sendfile = true\nsendfile2 = ;\n", "in %s:", "syntax error");
}

static void
errors_in_files(void)
{
	char *text;

	/* a missing main file */
	new_case();
	load_fails_path(cpath("nosuch.conf"), "cannot read", "missing main file");

	/* include cycles */
	new_case();
	put("a.conf", "include = \"portico.conf\";\n");
	if (asprintf(&text, "%sinclude = \"a.conf\";\n", base()) < 0)
		return;
	put("portico.conf", text);
	free(text);
	load_fails_path(main_path, "include cycle", "include cycle through two files");

	new_case();
	put("conf.d/self.conf", "include = \"self.conf\";\n");
	if (asprintf(&text, "%sinclude = \"conf.d/*.conf\";\n", base()) < 0)
		return;
	put("portico.conf", text);
	free(text);
	load_fails_path(main_path, "include cycle", "a file including itself");

	/* the same main-level setting in two files */
	new_case();
	put("conf.d/x.conf", "sendfile = false;\n");
	if (asprintf(&text, "%ssendfile = true;\ninclude = \"conf.d/*.conf\";\n",
	    base()) < 0)
		return;
	put("portico.conf", text);
	free(text);
	load_fails_path(main_path, "duplicate setting \"sendfile\", first set in "
	    "%s:6", "a main-level setting in two files");
	if (!ok(strstr(errors, cpath("conf.d/x.conf:1")) != NULL,
	    "the message names the second file and line too"))
		printf("#   %s\n", errors);

	/* the same upstream in two files */
	new_case();
	put("conf.d/x.conf", "upstreams = { app = { servers = [ \"127.0.0.1:8001\" ]; }; };\n");
	if (asprintf(&text, "%supstreams = { app = { servers = [ \"127.0.0.1:8000\" ]; }; };\n"
	    "include = \"conf.d/*.conf\";\n", base()) < 0)
		return;
	put("portico.conf", text);
	free(text);
	load_fails_path(main_path, "duplicate upstream \"app\"",
	    "the same upstream in two files");

	/* a server-only setting at the top of an included file */
	new_case();
	put("sites/app", "listen = \"80\";\n");
	if (asprintf(&text, "%sinclude = \"sites/*\";\n", base()) < 0)
		return;
	put("portico.conf", text);
	free(text);
	load_fails_path(main_path, "setting \"listen\" is not allowed at the main "
	    "level", "a server setting at the top of an included file");
	if (!ok(strstr(errors, cpath("sites/app:1")) != NULL,
	    "the message names the included file"))
		printf("#   %s\n", errors);

	/* an include pattern matching a directory */
	new_case();
	put("sub.d/x.conf", "\n");
	if (asprintf(&text, "%sinclude = \"sub*\";\n", base()) < 0)
		return;
	put("portico.conf", text);
	free(text);
	load_fails_path(main_path, "matches the directory", "include of a directory");

	/* an unreadable types file */
	load_fails("types_file = \"nosuch.types\";\n", "nosuch.types\" failed",
	    "a missing types file");

	/* an error in an included file is still an error */
	new_case();
	put("conf.d/bad.conf", "servers = ( { bogus = 1; } );\n");
	if (asprintf(&text, "%sinclude = \"conf.d/*.conf\";\n", base()) < 0)
		return;
	put("portico.conf", text);
	free(text);
	load_fails_path(main_path, "unknown setting \"bogus\"",
	    "an error in an included file");
	if (!ok(strstr(errors, cpath("conf.d/bad.conf:1")) != NULL,
	    "the error names the included file and line"))
		printf("#   %s\n", errors);
}

static void
listen_values(void)
{
	struct listen_addr la;
	const char *err;
	const struct sockaddr_in *sin = (const void *)&la.ss;
	const struct sockaddr_in6 *sin6 = (const void *)&la.ss;
	struct in6_addr lo6 = IN6ADDR_LOOPBACK_INIT;
	static const char *bad[] = {
		"", " ", "0", "65536", "-1", "127.0.0.1:0", "127.0.0.1:65536",
		"127.0.0.1:", "127.0.0.1:http", "*:", "[::1]:x", "[::1", "[::1]x",
		"[zz]:80", "80 foo", "[::1]:80 defaults",
	};
	size_t i;

	err = NULL;
	is_int(parse_listen("80", true, &la, &err), 0, "listen \"80\"");
	ok(sin->sin_family == AF_INET && ntohs(sin->sin_port) == 80 &&
	    sin->sin_addr.s_addr == htonl(INADDR_ANY) && la.wildcard &&
	    !la.default_server && la.len == sizeof(*sin), "\"80\" is *:80");

	is_int(parse_listen("127.0.0.1:8080", true, &la, &err), 0,
	    "listen 127.0.0.1:8080");
	ok(sin->sin_family == AF_INET && ntohs(sin->sin_port) == 8080 &&
	    sin->sin_addr.s_addr == htonl(INADDR_LOOPBACK) && !la.wildcard,
	    "127.0.0.1:8080 address and port");

	is_int(parse_listen("[::1]:80", true, &la, &err), 0, "listen [::1]:80");
	ok(sin6->sin6_family == AF_INET6 && ntohs(sin6->sin6_port) == 80 &&
	    memcmp(&sin6->sin6_addr, &lo6, sizeof(lo6)) == 0 && !la.wildcard &&
	    la.len == sizeof(*sin6), "[::1]:80 address and port");

	is_int(parse_listen("[::]:8080", true, &la, &err), 0, "listen [::]:8080");
	ok(sin6->sin6_family == AF_INET6 && ntohs(sin6->sin6_port) == 8080 &&
	    la.wildcard, "[::]:8080 is a wildcard");

	is_int(parse_listen("[::1]", true, &la, &err), 0, "listen [::1]");
	ok(sin6->sin6_family == AF_INET6 && ntohs(sin6->sin6_port) == 80,
	    "[::1] defaults to port 80");

	is_int(parse_listen("*:80", true, &la, &err), 0, "listen *:80");
	ok(sin->sin_family == AF_INET && ntohs(sin->sin_port) == 80 && la.wildcard,
	    "*:80 is the IPv4 wildcard");

	is_int(parse_listen("127.0.0.2", true, &la, &err), 0, "listen 127.0.0.2");
	ok(sin->sin_family == AF_INET && ntohs(sin->sin_port) == 80 &&
	    sin->sin_addr.s_addr == htonl(0x7f000002), "an address alone is port 80");

	is_int(parse_listen("8080 default_server", true, &la, &err), 0,
	    "listen 8080 default_server");
	ok(la.default_server && ntohs(sin->sin_port) == 8080 && la.wildcard,
	    "default_server flag");
	is_int(parse_listen("8080  default", true, &la, &err), 0,
	    "listen 8080 default");
	ok(la.default_server, "\"default\" is default_server");
	is_int(parse_listen("443 ssl http2", true, &la, &err), 0,
	    "listen 443 ssl http2");
	ok(la.ssl && la.http2 && !la.default_server, "ssl and http2 flags");
	is_int(parse_listen("65535", true, &la, &err), 0, "listen 65535");
	is_int(parse_listen("1", true, &la, &err), 0, "listen 1");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = NULL;
		is_int(parse_listen(bad[i], true, &la, &err), -1,
		    "listen \"%s\" refused", bad[i]);
		ok(err != NULL, "listen \"%s\": a reason", bad[i]);
	}
}

/* conf_load(path, false), the fuzzer's mode: files the configuration
 * names are not opened and host names are not resolved. */
static void
without_files(void)
{
	static const char text[] =
	    "error_log = \"missing/error.log\";\n"
	    "access_log = \"access.log\";\n"
	    "types_file = \"missing.types\";\n"
	    "servers = ( { listen = \"8443 ssl\"; ssl_certificate = \"x.pem\";\n"
	    "  ssl_certificate_key = \"x.key\"; } );\n";
	struct config *cf;
	struct stat st;

	if (!new_main(text))
		return;
	cf = load_path(main_path, false);
	ok(cf != NULL, "without files: a missing log directory, types file and "
	    "certificate are not opened, and it loads");
	ok(cf != NULL && cf->mime != NULL, "with the built-in media types");
	ok(stat(cpath("access.log"), &st) != 0, "the access log is not created");
	conf_free(cf);
	cf = load_path(main_path, true);
	ok(cf == NULL && strstr(errors, "x.pem") != NULL &&
	    strstr(errors, "error.log") != NULL && strstr(errors, "missing.types"),
	    "with files the same configuration fails on each of them");
	conf_free(cf);

	cf = load("servers = ( { listen = \"localhost:8080\"; } );\n");
	ok(cf != NULL, "listen on a host name: resolved");
	conf_free(cf);
	cf = load_path(main_path, false);
	ok(cf == NULL && strstr(errors, "host not found") != NULL,
	    "without files: not resolved, not found");
	conf_free(cf);
}

static void
cidr_values(void)
{
	struct access_rule r;
	static const unsigned char v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	static const char *bad[] = {
		"", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8x",
		"300.1.1.1", "::1/129", "all/8", "10.0.0", "10.0.0.0/ 8", "x",
		"ALL", "1.2.3.4/8/8",
	};
	size_t i;

	memset(&r, 0xff, sizeof(r));
	is_int(parse_cidr("10.0.0.0/8", &r), 0, "10.0.0.0/8");
	ok(r.family == AF_INET && r.bits == 8 && memcmp(r.addr, "\x0a\0\0\0", 4) == 0,
	    "10.0.0.0/8 parsed");
	memset(&r, 0xff, sizeof(r));
	is_int(parse_cidr("10.1.2.3/8", &r), 0, "10.1.2.3/8");
	ok(r.family == AF_INET && r.bits == 8 && memcmp(r.addr, "\x0a\0\0\0", 4) == 0,
	    "host bits are masked");
	is_int(parse_cidr("1.2.3.255/30", &r), 0, "1.2.3.255/30");
	ok(r.bits == 30 && memcmp(r.addr, "\x01\x02\x03\xfc", 4) == 0,
	    "a partial byte is masked");
	is_int(parse_cidr("192.168.1.1", &r), 0, "192.168.1.1");
	ok(r.family == AF_INET && r.bits == 32 &&
	    memcmp(r.addr, "\xc0\xa8\x01\x01", 4) == 0, "an address alone is /32");
	is_int(parse_cidr("0.0.0.0/0", &r), 0, "0.0.0.0/0");
	ok(r.family == AF_INET && r.bits == 0, "/0");
	is_int(parse_cidr("::1", &r), 0, "::1");
	ok(r.family == AF_INET6 && r.bits == 128 && r.addr[15] == 1 && r.addr[0] == 0,
	    "::1 is /128");
	is_int(parse_cidr("2001:db8:ffff::1/32", &r), 0, "2001:db8:ffff::1/32");
	ok(r.family == AF_INET6 && r.bits == 32 && memcmp(r.addr, v6, 16) == 0,
	    "IPv6 prefix masked");
	is_int(parse_cidr("2001:db8::/33", &r), 0, "2001:db8::/33");
	is_int(r.bits, 33, "/33");
	is_int(parse_cidr("all", &r), 0, "all");
	is_int(r.family, 0, "all has family 0");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(parse_cidr(bad[i], &r), -1, "cidr \"%s\" refused", bad[i]);
}

static void
table(void)
{
	size_t i, j;
	bool unique = true;

	ok(nsettings >= 40 && nsettings <= SETTINGS_MAX, "the table has %zu entries",
	    nsettings);
	for (i = 0; i < nsettings; i++)
		for (j = i + 1; j < nsettings; j++)
			if (strcmp(settings[i].name, settings[j].name) == 0 &&
			    (settings[i].ctx & settings[j].ctx) != 0) {
				unique = false;
				printf("#   %s twice in one context\n", settings[i].name);
			}
	ok(unique, "no setting is listed twice for one context");
	ok(setting_lookup("servers", CTX_MAIN) != setting_lookup("servers",
	    CTX_UPSTREAM), "servers means two things by context");
	ok(setting_find("proxy_passs") == NULL, "setting_find: unknown is NULL");
	ok(setting_lookup("listen", CTX_MAIN) == NULL, "listen is not a main setting");
}

int
main(void)
{
	snprintf(dir, sizeof(dir), "%s/portico-conf.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	defaults();
	values();
	values_in_files();
	inheritance();
	headers();
	includes();
	limits();
	errors_in_values();
	errors_in_files();
	listen_values();
	without_files();
	cidr_values();
	table();
	rm_rf(dir);
	return done_testing();
}
