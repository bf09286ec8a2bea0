/*
 * Choosing the server by Host and the location by URI, as nginx does.
 * The servers and locations come from a configuration file written to a
 * temporary directory and read with conf_load, so the names and match
 * patterns are parsed the way users write them.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf_load.h"
#include "fixture.h"
#include "http.h"
#include "tap.h"

static char dir[PATH_MAX];

/* Write the main file: the settings every test needs, then text. */
static const char *
write_conf(const char *text)
{
	static char path[PATH_MAX + 32];
	struct passwd *pw = getpwuid(geteuid());
	FILE *f;

	snprintf(path, sizeof(path), "%s/portico.conf", dir);
	f = fopen(path, "w");
	if (f == NULL)
		return path;
	fprintf(f, "user = \"%s\";\npid = \"portico.pid\";\n"
	    "error_log = \"error.log\";\naccess_log = \"access.log\";\n"
	    "types_file = \"%s/conf.d/mime.types\";\n%s\n",
	    pw ? pw->pw_name : "root", srcdir(), text);
	fclose(f);
	return path;
}

static int
port_of(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET ?
	    ntohs(((const struct sockaddr_in *)(const void *)ss)->sin_port) :
	    ntohs(((const struct sockaddr_in6 *)(const void *)ss)->sin6_port);
}

static const struct vhosts *
vhosts_on(const struct config *cf, int port)
{
	size_t i;

	for (i = 0; i < cf->nvhosts; i++)
		if (port_of(&cf->vhosts[i]->ss) == port)
			return cf->vhosts[i];
	return NULL;
}

/* The first_name of the server chosen for host ("(none)" for NULL). */
static const char *
server_for(const struct vhosts *vh, const char *host, struct regex_caps *caps)
{
	const struct server *srv;
	struct regex_caps local;

	memset(&local, 0, sizeof(local));
	srv = match_server(vh, (struct str){ host, strlen(host) },
	    caps ? caps : &local);
	return srv == NULL ? "(none)" : srv->first_name;
}

static const struct server *
server_named(const struct config *cf, const char *first)
{
	size_t i;

	for (i = 0; i < cf->nservers; i++)
		if (strcmp(cf->servers[i]->first_name, first) == 0)
			return cf->servers[i];
	return NULL;
}

/* The match text of the location chosen for uri; "(default)" for the
 * server's implicit one. */
static const char *
location_for(const struct server *srv, const char *uri, struct regex_caps *caps)
{
	const struct location *loc;
	struct regex_caps local;

	memset(&local, 0, sizeof(local));
	loc = match_location(srv, (struct str){ uri, strlen(uri) },
	    caps ? caps : &local);
	if (loc == NULL)
		return "(null)";
	if (loc == &srv->deflt)
		return "(default)";
	return loc->match_text;
}

static const char *servers_conf =
    "servers = (\n"
    /* port 80 */
    "  { server_name = \"exact.test www.exact.test\"; },\n"
    "  { server_name = \"*.wild.test\"; },\n"
    "  { server_name = \"*.deep.wild.test\"; },\n"
    "  { server_name = \".dot.test\"; },\n"
    "  { server_name = \"*.x.dot.test\"; },\n"
    "  { server_name = \"www.trail.*\"; },\n"
    "  { server_name = \"www.trail.co.*\"; },\n"
    "  { server_name = \"~^api([0-9]+)[.]rx[.]test$\"; },\n"
    "  { server_name = \"~^.*[.]rx[.]test$\"; },\n"
    "  { server_name = \"www.both.*\"; },\n"
    "  { server_name = \"*.both.test\"; },\n"
    "  { server_name = \"~^www[.]exact2[.]test$\"; },\n"
    "  { server_name = \"www.exact2.test\"; },\n"
    "  { server_name = \"*.Case.TEST\"; },\n"
    "  { server_name = [ \"multi1.test\", \"multi2.test *.multi.test\" ]; },\n"
    "  { server_name = \"_\"; listen = \"80 default_server\"; },\n"
    "  { server_name = \"after-default.test\"; },\n"
    /* port 8081: no default_server */
    "  { server_name = \"one.test\"; listen = \"8081\"; },\n"
    "  { server_name = \"two.test\"; listen = \"8081\"; },\n"
    /* port 8082: server_name \"\" for requests without Host */
    "  { server_name = \"named.test\"; listen = \"8082\"; },\n"
    "  { server_name = [ \"\" ]; listen = \"8082\"; },\n"
    /* port 8083: locations */
    "  { server_name = \"loc.test\"; listen = \"8083\";\n"
    "    locations = (\n"
    "      { match = \"= /exact\"; },\n"
    "      { match = \"/\"; },\n"
    "      { match = \"/exact\"; },\n"
    "      { match = \"/static/\"; },\n"
    "      { match = \"/static/img/\"; },\n"
    "      { match = \"^~ /assets/\"; },\n"
    "      { match = \"/assets/js/\"; },\n"
    "      { match = \"~ [.]php$\"; },\n"
    "      { match = \"~ ^/static/img/special\"; },\n"
    "      { match = \"~* [.](png|jpg)$\"; },\n"
    "      { match = \"~ ^/u/([0-9]+)/(.*)$\"; },\n"
    "      { match = \"@named\"; },\n"
    "      { match = \"= /\"; }\n"
    "    ); },\n"
    /* port 8084: no "/" location */
    "  { server_name = \"noroot.test\"; listen = \"8084\";\n"
    "    locations = ( { match = \"/a/\"; }, { match = \"~ ^/r\"; } ); },\n"
    /* port 8085: nginx's redirect to the proxied prefix's slash */
    "  { server_name = \"slash.test\"; listen = \"8085\";\n"
    "    locations = (\n"
    "      { match = \"/\"; },\n"
    "      { match = \"/app1/\"; proxy_pass = \"http://127.0.0.1:1/\"; },\n"
    "      { match = \"^~ /app2/\"; proxy_pass = \"http://127.0.0.1:1\"; },\n"
    "      { match = \"/app3/\"; proxy_pass = \"http://127.0.0.1:1\"; },\n"
    "      { match = \"= /app3\"; },\n"
    "      { match = \"/app4\"; },\n"
    "      { match = \"/app4/\"; proxy_pass = \"http://127.0.0.1:1\"; },\n"
    "      { match = \"~ ^/app5\"; },\n"
    "      { match = \"/app5/\"; proxy_pass = \"http://127.0.0.1:1\"; },\n"
    "      { match = \"= /app6/\"; proxy_pass = \"http://127.0.0.1:1\"; },\n"
    "      { match = \"/static/\"; }\n"
    "    ); }\n"
    ");\n";

static void
servers(const struct config *cf)
{
	const struct vhosts *vh = vhosts_on(cf, 80);
	struct regex_caps caps;

	ok(vh != NULL, "the port 80 vhosts exist");
	if (vh == NULL)
		return;
	is_int(vh->nservers, 17, "17 servers on port 80");
	is_str(vh->def ? vh->def->first_name : "(none)", "_",
	    "default_server is the default");

	is_str(server_for(vh, "exact.test", NULL), "exact.test", "exact name");
	is_str(server_for(vh, "www.exact.test", NULL), "exact.test",
	    "second exact name of a server");
	is_str(server_for(vh, "exact.tes", NULL), "_", "exact: a prefix does not match");
	is_str(server_for(vh, "xexact.test", NULL), "_", "exact: a suffix does not match");

	is_str(server_for(vh, "a.wild.test", NULL), "*.wild.test",
	    "leading wildcard");
	is_str(server_for(vh, "a.b.wild.test", NULL), "*.wild.test",
	    "leading wildcard, two labels");
	is_str(server_for(vh, "wild.test", NULL), "_",
	    "*.wild.test does not match wild.test");
	is_str(server_for(vh, "xwild.test", NULL), "_",
	    "*.wild.test does not match xwild.test");
	is_str(server_for(vh, "a.deep.wild.test", NULL), "*.deep.wild.test",
	    "the longest leading wildcard wins");
	is_str(server_for(vh, "deep.wild.test", NULL), "*.wild.test",
	    "*.deep.wild.test needs one more label");

	is_str(server_for(vh, "dot.test", NULL), ".dot.test",
	    ".dot.test matches dot.test");
	is_str(server_for(vh, "a.dot.test", NULL), ".dot.test",
	    ".dot.test matches a.dot.test");
	is_str(server_for(vh, "xdot.test", NULL), "_",
	    ".dot.test does not match xdot.test");
	is_str(server_for(vh, "ot.test", NULL), "_", ".dot.test does not match ot.test");
	is_str(server_for(vh, "a.x.dot.test", NULL), "*.x.dot.test",
	    "a longer \"*.\" name beats a \".\" one");
	is_str(server_for(vh, "x.dot.test", NULL), ".dot.test",
	    "*.x.dot.test does not match x.dot.test; .dot.test does");

	is_str(server_for(vh, "www.trail.org", NULL), "www.trail.*",
	    "trailing wildcard");
	is_str(server_for(vh, "www.trail.co.uk", NULL), "www.trail.co.*",
	    "the longest trailing wildcard wins");
	is_str(server_for(vh, "www.trail", NULL), "_",
	    "www.trail.* does not match www.trail");
	is_str(server_for(vh, "www.trailx.org", NULL), "_",
	    "www.trail.* does not match www.trailx.org");

	is_str(server_for(vh, "www.both.test", NULL), "*.both.test",
	    "a leading wildcard beats a trailing one written earlier");
	is_str(server_for(vh, "www.exact2.test", NULL), "www.exact2.test",
	    "an exact name beats a regex written earlier");
	is_str(server_for(vh, "a.case.test", NULL), "*.Case.TEST",
	    "wildcard names are compared in lowercase");
	is_str(server_for(vh, "multi2.test", NULL), "multi1.test",
	    "names from the second array element");
	is_str(server_for(vh, "x.multi.test", NULL), "multi1.test",
	    "wildcard from the second array element");

	memset(&caps, 0, sizeof(caps));
	is_str(server_for(vh, "api12.rx.test", &caps), "~^api([0-9]+)[.]rx[.]test$",
	    "regex name");
	ok(caps.n >= 2 && caps.ovec[2] == 3 && caps.ovec[3] == 5,
	    "regex name captures $1");
	is_str(server_for(vh, "www.rx.test", NULL), "~^.*[.]rx[.]test$",
	    "the first matching regex in order");
	is_str(server_for(vh, "api.rx.test", NULL), "~^.*[.]rx[.]test$",
	    "a regex that does not match is skipped");

	is_str(server_for(vh, "unknown.test", NULL), "_",
	    "no match: the default_server");
	is_str(server_for(vh, "", NULL), "_", "empty host: the default_server");
	is_str(server_for(vh, "after-default.test", NULL), "after-default.test",
	    "a server after the default is still matched by name");

	vh = vhosts_on(cf, 8081);
	ok(vh != NULL && vh->nservers == 2, "two servers on port 8081");
	if (vh != NULL) {
		is_str(server_for(vh, "two.test", NULL), "two.test", "8081: by name");
		is_str(server_for(vh, "three.test", NULL), "one.test",
		    "no default_server: the first server on the address");
		is_str(server_for(vh, "exact.test", NULL), "one.test",
		    "names of other addresses do not count");
	}
	vh = vhosts_on(cf, 8082);
	ok(vh != NULL && vh->nservers == 2, "two servers on port 8082");
	if (vh != NULL) {
		is_str(server_for(vh, "", NULL), "",
		    "server_name \"\" matches a request without Host");
		is_str(server_for(vh, "x.test", NULL), "named.test",
		    "server_name \"\" is not a default");
	}
}

static void
locations(const struct config *cf)
{
	const struct server *srv = server_named(cf, "loc.test");
	struct regex_caps caps;

	ok(srv != NULL, "the location test server exists");
	if (srv == NULL)
		return;
	is_int(srv->nlocs, 13, "13 locations");
	is_str(location_for(srv, "/exact", NULL), "= /exact",
	    "\"=\" wins over a prefix of the same text");
	is_str(location_for(srv, "/exact/", NULL), "/exact",
	    "\"=\" needs the whole URI");
	is_str(location_for(srv, "/exactly", NULL), "/exact", "prefix /exact");
	is_str(location_for(srv, "/", NULL), "= /", "\"= /\" for /");
	is_str(location_for(srv, "/other", NULL), "/", "/ for anything else");
	is_str(location_for(srv, "/static/a.css", NULL), "/static/",
	    "a prefix");
	is_str(location_for(srv, "/static/img/a.gif", NULL), "/static/img/",
	    "the longest prefix, written later");
	is_str(location_for(srv, "/static", NULL), "/",
	    "/static/ does not match /static");
	is_str(location_for(srv, "/static/img/a.png", NULL), "~* [.](png|jpg)$",
	    "a regex beats the longest prefix");
	is_str(location_for(srv, "/static/img/special.png", NULL),
	    "~ ^/static/img/special", "the first matching regex in file order");
	is_str(location_for(srv, "/x.PNG", NULL), "~* [.](png|jpg)$",
	    "\"~*\" is caseless");
	is_str(location_for(srv, "/x.PHP", NULL), "/", "\"~\" is case-sensitive");
	is_str(location_for(srv, "/x.php", NULL), "~ [.]php$", "\"~\" matches");
	is_str(location_for(srv, "/assets/a.png", NULL), "^~ /assets/",
	    "\"^~\" stops the regex check");
	is_str(location_for(srv, "/assets/a.php", NULL), "^~ /assets/",
	    "\"^~\" stops every regex");
	is_str(location_for(srv, "/assets/js/a.png", NULL), "~* [.](png|jpg)$",
	    "\"^~\" only counts when it is the longest prefix");
	is_str(location_for(srv, "/assets/js/a.js", NULL), "/assets/js/",
	    "a longer plain prefix than the \"^~\" one");
	is_str(location_for(srv, "@named", NULL), "(default)",
	    "a named location is never matched by a URI");

	memset(&caps, 0, sizeof(caps));
	is_str(location_for(srv, "/u/42/rest/of", &caps), "~ ^/u/([0-9]+)/(.*)$",
	    "regex with captures");
	ok(caps.n == 3 && caps.ovec[2] == 3 && caps.ovec[3] == 5 &&
	    caps.ovec[4] == 6 && caps.ovec[5] == 13, "location captures $1 and $2");

	srv = server_named(cf, "noroot.test");
	ok(srv != NULL, "the server without / exists");
	if (srv == NULL)
		return;
	is_str(location_for(srv, "/a/b", NULL), "/a/", "noroot: prefix");
	is_str(location_for(srv, "/r/x", NULL), "~ ^/r", "noroot: regex");
	is_str(location_for(srv, "/b", NULL), "(default)",
	    "no match: the server's implicit default location");
	ok(match_location(srv, (struct str){ "/b", 2 }, &caps)->srv == srv,
	    "the implicit location belongs to the server");
	ok(match_location(srv, (struct str){ "/b", 2 }, &caps)->sc.index.n ==
	    srv->sc.index.n, "the implicit location has the server's settings");
}

/* The location for uri, and whether the answer is a redirect to uri/. */
static void
slash_case(const struct server *srv, const char *uri, const char *want,
    bool redirect, const char *desc)
{
	struct str u = { uri, strlen(uri) };
	struct regex_caps caps;
	const struct location *loc;

	memset(&caps, 0, sizeof(caps));
	loc = match_location(srv, u, &caps);
	is_str(loc == &srv->deflt ? "(default)" : loc->match_text, want,
	    "%s: %s", uri, desc);
	is_int(match_adds_slash(loc, u), redirect, "%s: %s", uri,
	    redirect ? "a redirect to the slash" : "no redirect");
}

static void
slashes(const struct config *cf)
{
	const struct server *srv = server_named(cf, "slash.test");

	ok(srv != NULL, "the redirect test server exists");
	if (srv == NULL)
		return;
	slash_case(srv, "/app1", "/app1/", true, "a proxied prefix with a slash");
	slash_case(srv, "/app1/", "/app1/", false, "the prefix itself");
	slash_case(srv, "/app1/x", "/app1/", false, "below it");
	slash_case(srv, "/app2", "^~ /app2/", true, "a \"^~\" prefix too");
	slash_case(srv, "/app3", "= /app3", false, "an exact location wins");
	slash_case(srv, "/app4", "/app4", false, "so does a prefix named so");
	slash_case(srv, "/app5", "/app5/", true, "the redirect comes before regexes");
	slash_case(srv, "/app6", "= /app6/", true, "an exact location that proxies");
	slash_case(srv, "/static", "/", false, "not for a location that does not "
	    "proxy");
	slash_case(srv, "/app", "/", false, "only one character short");
	slash_case(srv, "/app1x", "/", false, "nor another name");
}

int
main(void)
{
	struct config *cf;

	snprintf(dir, sizeof(dir), "%s/portico-match.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	cf = conf_load(write_conf(servers_conf), true);
	ok(cf != NULL, "the configuration loads");
	if (cf != NULL) {
		servers(cf);
		locations(cf);
		slashes(cf);
		conf_free(cf);
	}
	rm_rf(dir);
	return done_testing();
}
