/*
 * Choosing the server and the location for a request, as nginx does.
 * Server: exact name, then the longest leading wildcard, then the longest
 * trailing wildcard, then the first matching regex, else the default.
 * Location: "=" exact; else the longest prefix; a "^~" prefix stops there;
 * else the first regex in file order; else the longest prefix.
 */
#include "config.h"

#include <string.h>

#include "http.h"

/* "*.example.com" needs at least one more label; ".example.com" also
 * matches example.com itself.  sn->name keeps the leading dot. */
static bool
lead_wild(const struct server_name *sn, struct str host)
{
	if (host.n > sn->len)
		return memcmp(host.p + host.n - sn->len, sn->name, sn->len) == 0;
	return sn->bare && host.n + 1 == sn->len &&
	    memcmp(host.p, sn->name + 1, host.n) == 0;
}

const struct server *
match_server(const struct vhosts *vh, struct str host, struct regex_caps *caps)
{
	const struct server *best = NULL;
	size_t i, j, best_len = 0;
	const struct server_name *sn;

	for (i = 0; i < vh->nservers; i++)
		for (j = 0; j < vh->servers[i]->nnames; j++) {
			sn = &vh->servers[i]->names[j];
			if (sn->kind == NAME_EXACT && sn->len == host.n &&
			    memcmp(sn->name, host.p, host.n) == 0)
				return vh->servers[i];
		}
	for (i = 0; i < vh->nservers; i++)
		for (j = 0; j < vh->servers[i]->nnames; j++) {
			sn = &vh->servers[i]->names[j];
			if (sn->kind != NAME_LEAD_WILD || sn->len <= best_len)
				continue;
			if (lead_wild(sn, host)) {
				best = vh->servers[i];
				best_len = sn->len;
			}
		}
	if (best != NULL)
		return best;
	for (i = 0; i < vh->nservers; i++)
		for (j = 0; j < vh->servers[i]->nnames; j++) {
			sn = &vh->servers[i]->names[j];
			if (sn->kind == NAME_TRAIL_WILD && sn->len > best_len &&
			    host.n > sn->len && memcmp(host.p, sn->name, sn->len) == 0) {
				best = vh->servers[i];
				best_len = sn->len;
			}
		}
	if (best != NULL)
		return best;
	for (i = 0; host.n > 0 && i < vh->nservers; i++)
		for (j = 0; j < vh->servers[i]->nnames; j++) {
			sn = &vh->servers[i]->names[j];
			if (sn->kind == NAME_REGEX &&
			    regex_match(sn->re, host.p, host.n, caps))
				return vh->servers[i];
		}
	return vh->def;
}

/* uri is loc's name without its final slash. */
static bool
slash_short(const struct location *loc, struct str uri)
{
	return loc->auto_redirect && loc->plen == uri.n + 1 &&
	    memcmp(loc->pattern, uri.p, uri.n) == 0;
}

/*
 * The location for uri.  nginx's auto_redirect: when no location is named
 * uri itself but one that proxies is named uri + "/", that one is chosen,
 * before any regex, and match_adds_slash() says so.
 */
const struct location *
match_location(const struct server *srv, struct str uri, struct regex_caps *caps)
{
	const struct location *prefix = NULL, *slash = NULL, *loc;
	size_t i;

	for (i = 0; i < srv->nlocs; i++) {
		loc = srv->locs[i];
		switch (loc->kind) {
		case MATCH_EXACT:
			if (loc->plen == uri.n && memcmp(loc->pattern, uri.p, uri.n) == 0)
				return loc;
			if (slash_short(loc, uri))
				slash = loc;
			break;
		case MATCH_PREFIX:
		case MATCH_PREFIX_STOP:
			if (loc->plen <= uri.n &&
			    memcmp(loc->pattern, uri.p, loc->plen) == 0 &&
			    (prefix == NULL || loc->plen > prefix->plen))
				prefix = loc;
			else if (slash_short(loc, uri))
				slash = loc;
			break;
		default:
			break;
		}
	}
	if (slash != NULL && (prefix == NULL || prefix->plen < uri.n))
		return slash;
	if (prefix != NULL && prefix->kind == MATCH_PREFIX_STOP)
		return prefix;
	for (i = 0; i < srv->nlocs; i++) {
		loc = srv->locs[i];
		if ((loc->kind == MATCH_REGEX || loc->kind == MATCH_REGEX_CI) &&
		    regex_match(loc->re, uri.p, uri.n, caps))
			return loc;
	}
	return prefix != NULL ? prefix : &srv->deflt;
}

/* The location "@name" of a server, or NULL. */
const struct location *
match_named(const struct server *srv, const char *name)
{
	size_t i;

	for (i = 0; i < srv->nlocs; i++)
		if (srv->locs[i]->kind == MATCH_NAMED &&
		    strcmp(srv->locs[i]->pattern, name) == 0)
			return srv->locs[i];
	return NULL;
}

/* The location was chosen for uri without its final slash: the answer is
 * a redirect to uri + "/". */
bool
match_adds_slash(const struct location *loc, struct str uri)
{
	return loc->auto_redirect && loc->plen > uri.n;
}
