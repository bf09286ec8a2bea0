/*
 * Blocks: the servers list, each server's listen and server_name, its
 * locations and their match patterns.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf_int.h"
#include "log.h"
#include "regex.h"

#define SET_ARGS struct cfload *ld, struct level *lv, const config_setting_t *v, \
	void *field

static int
parse_port(const char *s, int *port)
{
	char *end;
	long p;

	errno = 0;
	if (!isdigit((unsigned char)*s))
		return -1;
	p = strtol(s, &end, 10);
	if (errno || *end != '\0' || p < 1 || p > 65535)
		return -1;
	*port = (int)p;
	return 0;
}

static int
resolve_host(const char *host, bool resolve, struct listen_addr *la)
{
	struct addrinfo hints, *res;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = resolve ? 0 : AI_NUMERICHOST;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return -1;
	memcpy(&la->ss, res->ai_addr, res->ai_addrlen);
	la->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* "[addr:]port [default_server] [ssl] [http2]"; addr may be *, an IPv4
 * address, [IPv6] or a host name resolved now (unless resolve is false:
 * then it is not found). */
int
parse_listen(const char *text, bool resolve, struct listen_addr *la,
    const char **err)
{
	char buf[256], *tok, *save, *addr, *port, *colon;
	struct sockaddr_in *sin = (struct sockaddr_in *)&la->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&la->ss;
	int p = 80;

	memset(la, 0, sizeof(*la));
	if (strlen(text) >= sizeof(buf)) {
		*err = "listen value too long";
		return -1;
	}
	strcpy(buf, text);
	addr = strtok_r(buf, " \t", &save);
	if (addr == NULL) {
		*err = "empty listen value";
		return -1;
	}
	if (addr[0] == '[') {
		char *close = strchr(addr, ']');
		if (close == NULL) {
			*err = "missing ']' in IPv6 address";
			return -1;
		}
		*close = '\0';
		port = close[1] == ':' ? close + 2 : NULL;
		if (close[1] != '\0' && close[1] != ':') {
			*err = "junk after ']'";
			return -1;
		}
		if (port != NULL && parse_port(port, &p) != 0) {
			*err = "invalid port";
			return -1;
		}
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)p);
		la->len = sizeof(*sin6);
		if (inet_pton(AF_INET6, addr + 1, &sin6->sin6_addr) != 1) {
			*err = "invalid IPv6 address";
			return -1;
		}
		la->wildcard = IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);
	} else {
		colon = strrchr(addr, ':');
		if (colon == NULL && addr[strspn(addr, "0123456789")] == '\0') {
			if (parse_port(addr, &p) != 0) {
				*err = "invalid port";
				return -1;
			}
			addr = "*";
		} else if (colon != NULL) {
			*colon = '\0';
			if (parse_port(colon + 1, &p) != 0) {
				*err = "invalid port";
				return -1;
			}
		}
		if (strcmp(addr, "*") == 0) {
			sin->sin_family = AF_INET;
			sin->sin_addr.s_addr = htonl(INADDR_ANY);
			la->len = sizeof(*sin);
		} else if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
			sin->sin_family = AF_INET;
			la->len = sizeof(*sin);
		} else if (resolve_host(addr, resolve, la) != 0) {
			*err = "host not found";
			return -1;
		}
		if (la->ss.ss_family == AF_INET) {
			sin->sin_port = htons((uint16_t)p);
			la->wildcard = sin->sin_addr.s_addr == htonl(INADDR_ANY);
		} else {
			sin6->sin6_port = htons((uint16_t)p);
			la->wildcard = IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);
		}
	}
	while ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
		if (strcmp(tok, "default_server") == 0 || strcmp(tok, "default") == 0)
			la->default_server = true;
		else if (strcmp(tok, "ssl") == 0)
			la->ssl = true;
		else if (strcmp(tok, "http2") == 0)
			la->http2 = true;
		else {
			*err = "unknown listen parameter (expected default_server, "
			    "ssl or http2)";
			return -1;
		}
	}
	return 0;
}

int
set_listen(SET_ARGS)
{
	const char **v0, *err;
	size_t n, i;
	struct server *srv = lv->srv;

	if (cf_strings(ld, v, &v0, &n) != 0)
		return -1;
	srv->listens = pool_zalloc(ld->pool, sizeof(*srv->listens) * (n ? n : 1));
	for (i = 0; i < n; i++) {
		struct listen_addr *la = &srv->listens[i];
		if (parse_listen(v0[i], ld->check_files, la, &err) != 0) {
			cf_error(ld, v, "invalid listen \"%s\": %s", v0[i], err);
			return -1;
		}
		la->text = pool_strdup(ld->pool, v0[i]);
		la->line = cf_line(v);
	}
	srv->nlistens = n;
	return 0;
}

/* A regular expression the configuration owns: conf_release frees it
 * even when the server or location it was written in is refused. */
static void *
compile(struct cfload *ld, const config_setting_t *v, const char *pattern,
    bool caseless)
{
	struct config *cf = ld->cf;
	char err[512];
	void *re = regex_compile(pattern, caseless, err, sizeof(err));

	if (re == NULL) {
		cf_error(ld, v, "%s", err);
		return NULL;
	}
	cf->regexes = pool_grow(ld->pool, cf->regexes, cf->nregexes,
	    sizeof(*cf->regexes));
	cf->regexes[cf->nregexes++] = re;
	return re;
}

static int
parse_name(struct cfload *ld, const config_setting_t *v, const char *s,
    struct server_name *sn)
{
	char *p;
	size_t len = strlen(s);

	if (s[0] == '~') {
		sn->kind = NAME_REGEX;
		sn->name = pool_strdup(ld->pool, s + 1);
		sn->re = compile(ld, v, s + 1, false);
		return sn->re == NULL ? -1 : 0;
	}
	sn->name = pool_strdup(ld->pool, s);
	for (p = sn->name; *p; p++)
		*p = lower(*p);
	if (strncmp(s, "*.", 2) == 0) {
		sn->kind = NAME_LEAD_WILD;
		sn->name += 1;			/* keep the dot: ".example.com" */
	} else if (s[0] == '.') {
		sn->kind = NAME_LEAD_WILD;
		sn->bare = true;		/* also matches example.com itself */
	} else if (len > 2 && strcmp(s + len - 2, ".*") == 0) {
		sn->kind = NAME_TRAIL_WILD;
		sn->name[len - 1] = '\0';	/* keep the dot: "www.example." */
	} else
		sn->kind = NAME_EXACT;
	if (strchr(sn->name, '*') != NULL) {
		cf_error(ld, v, "invalid server_name \"%s\": a wildcard is only "
		    "allowed as \"*.name\", \".name\" or \"name.*\"", s);
		return -1;
	}
	sn->len = strlen(sn->name);
	return 0;
}

/* server_name = "example.com www.example.com" or an array of names. */
int
set_server_name(SET_ARGS)
{
	const char **v0;
	size_t n0, i, n = 0;
	char *copy, *tok, *save;
	struct server *srv = lv->srv;

	if (cf_strings(ld, v, &v0, &n0) != 0)
		return -1;
	srv->names = pool_zalloc(ld->pool, sizeof(*srv->names) * 256);
	for (i = 0; i < n0; i++) {
		copy = pool_strdup(ld->pool, v0[i]);
		if (*copy == '\0' && n < 256) {
			srv->names[n].kind = NAME_EXACT;
			srv->names[n++].name = "";
			continue;
		}
		for (tok = strtok_r(copy, " \t", &save); tok != NULL;
		    tok = strtok_r(NULL, " \t", &save)) {
			if (n == 256) {
				cf_error(ld, v, "too many server names (256 at most)");
				return -1;
			}
			if (parse_name(ld, v, tok, &srv->names[n++]) != 0)
				return -1;
		}
	}
	srv->nnames = n;
	/* $server_name is the first name as written. */
	if (n0 > 0) {
		size_t len = strcspn(v0[0], " \t");
		srv->first_name = pool_strndup(ld->pool, v0[0], len);
	}
	return 0;
}

/* match = "/p", "= /p", "^~ /p", "~ re", "~* re", "@name" */
int
set_match(SET_ARGS)
{
	struct location *loc = lv->loc;
	const char *s, *p;

	if (cf_string(ld, v, &s) != 0)
		return -1;
	loc->match_text = pool_strdup(ld->pool, s);
	loc->line = cf_line(v);		/* nginx's "location" line */
	p = s;
	if (strncmp(s, "~*", 2) == 0) {
		loc->kind = MATCH_REGEX_CI;
		p = s + 2;
	} else if (strncmp(s, "^~", 2) == 0) {
		loc->kind = MATCH_PREFIX_STOP;
		p = s + 2;
	} else if (s[0] == '~') {
		loc->kind = MATCH_REGEX;
		p = s + 1;
	} else if (s[0] == '=') {
		loc->kind = MATCH_EXACT;
		p = s + 1;
	} else if (s[0] == '@') {
		loc->kind = MATCH_NAMED;
	} else
		loc->kind = MATCH_PREFIX;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || (loc->kind != MATCH_NAMED && loc->kind <= MATCH_EXACT &&
	    *p != '/')) {
		cf_error(ld, v, "invalid match \"%s\": expected \"/prefix\", "
		    "\"= /exact\", \"^~ /prefix\", \"~ regex\", \"~* regex\" or "
		    "\"@name\"", s);
		return -1;
	}
	loc->pattern = pool_strdup(ld->pool, p);
	loc->plen = strlen(p);
	if (loc->kind == MATCH_REGEX || loc->kind == MATCH_REGEX_CI) {
		loc->re = compile(ld, v, p, loc->kind == MATCH_REGEX_CI);
		if (loc->re == NULL)
			return -1;
	}
	return 0;
}

/* "/a" and "^~ /a" are one location to nginx, whichever is written. */
static bool
same_match(const struct location *a, const struct location *b)
{
	bool pa = a->kind == MATCH_PREFIX || a->kind == MATCH_PREFIX_STOP;
	bool pb = b->kind == MATCH_PREFIX || b->kind == MATCH_PREFIX_STOP;

	return (a->kind == b->kind || (pa && pb)) &&
	    strcmp(a->pattern, b->pattern) == 0;
}

static int
location_block(struct cfload *ld, struct server *srv, const config_setting_t *g)
{
	struct location *loc;
	struct level lv;
	size_t i;
	int rc;

	if (!config_setting_is_group(g)) {
		cf_error(ld, g, "each element of \"locations\" must be a group: "
		    "{ match = \"/\"; ... }");
		return -1;
	}
	loc = pool_zalloc(ld->pool, sizeof(*loc));
	loc->srv = srv;
	loc->file = ld->file;
	loc->line = cf_line(g);
	loc->dump = pool_zalloc(ld->pool, sizeof(*loc->dump));
	lv = (struct level){ CTX_LOCATION, &loc->sc, srv, loc, loc->dump, NULL };
	rc = cf_group(ld, &lv, g);
	if (rc == 0 && loc->pattern == NULL) {
		cf_error(ld, g, "location without \"match\"");
		return -1;
	}
	/* After the whole block: "match" may come after "proxy_pass". */
	if (rc == 0 && loc->proxy != NULL && loc->proxy->uri != NULL &&
	    (loc->kind == MATCH_REGEX || loc->kind == MATCH_REGEX_CI ||
	    loc->kind == MATCH_NAMED)) {
		conf_error_for(ld, srv, loc, "proxy_pass", "proxy_pass \"%s\" cannot "
		    "have a URI part in a location given by a regular expression or a "
		    "named location", loc->proxy->text);
		return -1;
	}
	if (rc == 0 && loc->alias != NULL &&
	    scope_isset(&loc->sc, "root")) {
		conf_error_for(ld, srv, loc, "alias", "location \"%s\" sets both "
		    "\"root\" and \"alias\"", loc->match_text);
		return -1;
	}
	for (i = 0; rc == 0 && i < srv->nlocs; i++)
		if (same_match(srv->locs[i], loc)) {
			conf_error_at(ld, NULL, 0, "duplicate location \"%s\" in %s:%d "
			    "(first in %s:%d)", loc->match_text, loc->file, loc->line,
			    srv->locs[i]->file, srv->locs[i]->line);
			return -1;
		}
	if (rc != 0)
		return -1;
	/* nginx sets this for a location whose name ends in '/' and that
	 * passes requests on (proxy_pass here). */
	loc->auto_redirect = loc->proxy != NULL && loc->plen > 0 &&
	    loc->pattern[loc->plen - 1] == '/' && (loc->kind == MATCH_PREFIX ||
	    loc->kind == MATCH_PREFIX_STOP || loc->kind == MATCH_EXACT);
	srv->locs = pool_grow(ld->pool, srv->locs, srv->nlocs, sizeof(*srv->locs));
	srv->locs[srv->nlocs++] = loc;
	return 0;
}

int
set_locations(SET_ARGS)
{
	int i, n, rc = 0;

	if (!config_setting_is_list(v)) {
		cf_error(ld, v, "\"locations\" must be a list of groups: "
		    "locations = ( { match = \"/\"; ... } );");
		return -1;
	}
	n = config_setting_length(v);
	for (i = 0; i < n; i++)
		if (location_block(ld, lv->srv, config_setting_get_elem(v,
		    (unsigned)i)) != 0)
			rc = -1;
	return rc;
}

static int
server_block(struct cfload *ld, const config_setting_t *g)
{
	struct server *srv;
	struct level lv;
	struct config *cf = ld->cf;
	const char *err;

	if (!config_setting_is_group(g)) {
		cf_error(ld, g, "each element of \"servers\" must be a group: "
		    "{ listen = \"80\"; ... }");
		return -1;
	}
	srv = pool_zalloc(ld->pool, sizeof(*srv));
	srv->file = ld->file;
	srv->line = cf_line(g);
	srv->first_name = "";
	srv->dump = pool_zalloc(ld->pool, sizeof(*srv->dump));
	lv = (struct level){ CTX_SERVER, &srv->sc, srv, NULL, srv->dump, NULL };
	if (cf_group(ld, &lv, g) != 0)
		return -1;
	if (srv->nlistens == 0) {
		srv->listens = pool_zalloc(ld->pool, sizeof(*srv->listens));
		if (parse_listen("80", false, srv->listens, &err) != 0)
			fatal("default listen: %s", err);
		srv->listens->text = "80";
		srv->listens->line = srv->line;
		srv->nlistens = 1;
	}
	srv->deflt.kind = MATCH_PREFIX;
	srv->deflt.pattern = "";
	srv->deflt.match_text = "";
	srv->deflt.srv = srv;
	srv->deflt.file = srv->file;
	srv->deflt.line = srv->line;
	cf->servers = pool_grow(ld->pool, cf->servers, cf->nservers,
	    sizeof(*cf->servers));
	cf->servers[cf->nservers++] = srv;
	return 0;
}

int
set_servers(SET_ARGS)
{
	int i, n, rc = 0;

	if (!config_setting_is_list(v)) {
		cf_error(ld, v, "\"servers\" must be a list of groups: "
		    "servers = ( { listen = \"80\"; ... } );");
		return -1;
	}
	n = config_setting_length(v);
	for (i = 0; i < n; i++)
		if (server_block(ld, config_setting_get_elem(v, (unsigned)i)) != 0)
			rc = -1;
	return rc;
}
