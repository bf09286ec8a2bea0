/*
 * The second pass over a loaded configuration: what a value means rather
 * than how it is spelled.  Listen addresses become vhosts and sockets to
 * bind, access_log formats and named locations are resolved, the types
 * file is read and the log files are opened (as nginx -t does).
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <pwd.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf_int.h"
#include "http.h"
#include "listen.h"
#include "log.h"
#include "mime.h"
#include "regex.h"

static const char *fmt_combined =
    "$remote_addr - $remote_user [$time_local] \"$request\" $status "
    "$body_bytes_sent \"$http_referer\" \"$http_user_agent\"";
static const char *fmt_main =
    "$remote_addr - $remote_user [$time_local] \"$request\" $status "
    "$body_bytes_sent \"$http_referer\" \"$http_user_agent\" "
    "\"$http_x_forwarded_for\"";

static bool
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port &&
		    x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
	return x->sin6_port == y->sin6_port &&
	    memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}

static int
port_of(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET ?
	    ((const struct sockaddr_in *)(const void *)ss)->sin_port :
	    ((const struct sockaddr_in6 *)(const void *)ss)->sin6_port;
}

static struct vhosts *
vhosts_for(struct cfload *ld, const struct listen_addr *la)
{
	struct config *cf = ld->cf;
	struct vhosts *vh;
	size_t i;

	for (i = 0; i < cf->nvhosts; i++)
		if (same_addr(&cf->vhosts[i]->ss, &la->ss))
			return cf->vhosts[i];
	vh = pool_zalloc(&cf->pool, sizeof(*vh));
	vh->ss = la->ss;
	vh->len = la->len;
	vh->wildcard = la->wildcard;
	cf->vhosts = pool_grow(&cf->pool, cf->vhosts, cf->nvhosts, sizeof(*cf->vhosts));
	cf->vhosts[cf->nvhosts++] = vh;
	return vh;
}

/* The line of the listen that made srv the default of vh. */
static int
default_line(const struct vhosts *vh)
{
	size_t i;

	for (i = 0; i < vh->def->nlistens; i++)
		if (vh->def->listens[i].default_server &&
		    same_addr(&vh->def->listens[i].ss, &vh->ss))
			return vh->def->listens[i].line;
	return vh->def->line;
}

static void
add_to_vhosts(struct cfload *ld, struct server *srv, const struct listen_addr *la)
{
	struct vhosts *vh = vhosts_for(ld, la);
	char addr[80];
	size_t i;

	for (i = 0; i < vh->nservers; i++)
		if (vh->servers[i] == srv) {
			conf_error_at(ld, srv->file, la->line, "duplicate listen \"%s\"",
			    la->text);
			return;
		}
	if (la->default_server) {
		if (vh->def != NULL) {
			conf_error_at(ld, NULL, 0, "a duplicate default server for %s in "
			    "%s:%d (first in %s:%d)", addr_text(&vh->ss, addr,
			    sizeof(addr)), srv->file, la->line, vh->def->file,
			    default_line(vh));
			return;
		}
		vh->def = srv;
	}
	vh->ssl |= la->ssl;
	vh->http2 |= la->http2;
	vh->servers = pool_grow(&ld->cf->pool, vh->servers, vh->nservers,
	    sizeof(*vh->servers));
	vh->servers[vh->nservers++] = srv;
}

/* The name as written: the parser keeps wildcards without their '*'. */
static const char *
name_text(struct pool *pool, const struct server_name *sn)
{
	if (sn->kind == NAME_LEAD_WILD && !sn->bare)
		return pool_printf(pool, "*%s", sn->name);
	if (sn->kind == NAME_TRAIL_WILD)
		return pool_printf(pool, "%s*", sn->name);
	return sn->name;
}

/* The first of vh's servers before the n-th that has the name sn. */
static const struct server *
name_owner(const struct vhosts *vh, size_t n, const struct server_name *sn)
{
	size_t i, j;
	const struct server_name *o;

	for (i = 0; i < n; i++)
		for (j = 0; j < vh->servers[i]->nnames; j++) {
			o = &vh->servers[i]->names[j];
			if (o->kind == sn->kind && strcmp(o->name, sn->name) == 0)
				return vh->servers[i];
		}
	return NULL;
}

/* Two servers of one address with the same name: the first answers for
 * it, as in nginx, which warns; so does portico, naming both places.
 * Regular expressions are tried in order and never conflict. */
static void
check_names(struct cfload *ld, const struct vhosts *vh)
{
	const struct server *srv, *first;
	struct origin here, there;
	char addr[80];
	size_t i, j;

	for (i = 1; i < vh->nservers; i++) {
		srv = vh->servers[i];
		for (j = 0; j < srv->nnames; j++) {
			if (srv->names[j].kind == NAME_REGEX ||
			    (first = name_owner(vh, i, &srv->names[j])) == NULL)
				continue;
			here = setting_origin(ld, srv, NULL, "server_name");
			there = setting_origin(ld, first, NULL, "server_name");
			cf_warn_at(ld, NULL, 0, "conflicting server name \"%s\" on %s, "
			    "ignored in %s:%d (first in %s:%d)", name_text(ld->pool,
			    &srv->names[j]), addr_text(&vh->ss, addr, sizeof(addr)),
			    here.file, here.line, there.file, there.line);
		}
	}
}

/* One socket per wildcard address:port; a specific address on a port that
 * also has a wildcard rides on the wildcard socket, as in nginx. */
static void
build_listeners(struct cfload *ld)
{
	struct config *cf = ld->cf;
	size_t i, j;
	struct vhosts *vh, *w;
	struct listener *l;

	cf->listeners = pool_zalloc(&cf->pool, sizeof(*cf->listeners) *
	    (cf->nvhosts ? cf->nvhosts : 1));
	for (i = 0; i < cf->nvhosts; i++) {
		vh = cf->vhosts[i];
		if (vh->def == NULL)
			vh->def = vh->servers[0];
		w = NULL;
		for (j = 0; !vh->wildcard && j < cf->nvhosts; j++)
			if (cf->vhosts[j]->wildcard &&
			    cf->vhosts[j]->ss.ss_family == vh->ss.ss_family &&
			    port_of(&cf->vhosts[j]->ss) == port_of(&vh->ss))
				w = cf->vhosts[j];
		if (w != NULL)
			continue;
		l = &cf->listeners[cf->nlisteners++];
		l->fd = -1;
		l->ss = vh->ss;
		l->len = vh->len;
		l->any = vh;
	}
	/* Attach each specific address to its wildcard socket. */
	for (i = 0; i < cf->nlisteners; i++) {
		l = &cf->listeners[i];
		if (!l->any->wildcard)
			continue;
		for (j = 0; j < cf->nvhosts; j++) {
			vh = cf->vhosts[j];
			if (vh->wildcard || vh->ss.ss_family != l->ss.ss_family ||
			    port_of(&vh->ss) != port_of(&l->ss))
				continue;
			l->specific = pool_grow(&cf->pool, l->specific,
			    l->nspecific, sizeof(*l->specific));
			l->specific[l->nspecific++] = vh;
		}
	}
}

static struct log_format *
find_format(struct config *cf, const char *name)
{
	size_t i;

	for (i = 0; i < cf->main.nformats; i++)
		if (strcmp(cf->main.formats[i].name, name) == 0)
			return &cf->main.formats[i];
	return NULL;
}

static void
builtin_formats(struct cfload *ld)
{
	struct config *cf = ld->cf;
	const char *err;
	struct log_format *f;
	size_t n = cf->main.nformats;

	/* Built-ins live in the configuration's pool like user formats. */
	f = pool_zalloc(&cf->pool, sizeof(*f) * (n + 2));
	if (n)
		memcpy(f, cf->main.formats, sizeof(*f) * n);
	if (find_format(cf, "main") == NULL) {
		f[n].name = "main";
		f[n++].t = tmpl_compile(&cf->pool, fmt_main, &err);
	}
	f[n].name = "combined";
	f[n++].t = tmpl_compile(&cf->pool, fmt_combined, &err);
	cf->main.formats = f;
	cf->main.nformats = n;
}

static int
open_log(struct cfload *ld, struct log_file *lf)
{
	if (lf == NULL || lf->fd >= 0 || !ld->check_files)
		return 0;
	if (log_file_open(lf) != 0) {
		conf_error_at(ld, lf->src, lf->line,
		    "open() \"%s\" failed (%d: %s)", lf->path, errno, strerror(errno));
		return -1;
	}
	return 0;
}

static void
check_scope_logs(struct cfload *ld, struct scope *sc)
{
	size_t i;
	struct access_log *a;

	open_log(ld, sc->error_log);
	for (i = 0; i < sc->access_log.n; i++) {
		a = &sc->access_log.v[i];
		if (a->format == NULL) {
			a->format = find_format(ld->cf, a->format_name);
			if (a->format == NULL) {
				conf_error_at(ld, a->src, a->line, "unknown log format \"%s\"",
				    a->format_name);
				continue;
			}
		}
		open_log(ld, a->file);
	}
}

static void
check_named(struct cfload *ld, struct server *srv, const struct location *loc,
    const char *setting, const struct tmpl *t)
{
	if (t == NULL || t->src[0] != '@')
		return;
	if (match_named(srv, t->src) == NULL)
		conf_error_for(ld, srv, loc, setting, "unknown named location \"%s\"",
		    t->src);
}

/* The @names a level's try_files and error_page lead to; a location's
 * inherited error_page was checked in its server. */
static void
check_scope_refs(struct cfload *ld, struct server *srv,
    const struct location *loc)
{
	const struct scope *sc = loc != NULL ? &loc->sc : &srv->sc;
	size_t i;

	if (sc->try_files != NULL)
		check_named(ld, srv, loc, "try_files", sc->try_files->fallback);
	if (loc != NULL && !scope_isset(sc, "error_page"))
		return;
	for (i = 0; i < sc->error_pages.n; i++)
		check_named(ld, srv, loc, "error_page", sc->error_pages.v[i].uri);
}

/* Resolve the worker user now, in the master: workers then switch with
 * plain system calls and never load the name service modules. */
static void
check_user(struct cfload *ld)
{
	struct main_conf *m = &ld->cf->main;
	struct passwd *pw;
	struct group *gr;
	int n = 0;

	if (geteuid() != 0 || !ld->check_files)
		return;
	if ((pw = getpwnam(m->user)) == NULL) {
		conf_error_for(ld, NULL, NULL, "user", "getpwnam(\"%s\") failed: no "
		    "such user (set \"user\")", m->user);
		return;
	}
	m->uid = pw->pw_uid;
	m->gid = pw->pw_gid;
	if (m->group != NULL) {
		if ((gr = getgrnam(m->group)) == NULL) {
			conf_error_for(ld, NULL, NULL, "user", "getgrnam(\"%s\") failed: "
			    "no such group", m->group);
			return;
		}
		m->gid = gr->gr_gid;
	}
	getgrouplist(pw->pw_name, m->gid, NULL, &n);
	m->groups = pool_alloc(&ld->cf->pool, sizeof(gid_t) * (size_t)(n + 1));
	m->ngroups = n + 1;
	if (getgrouplist(pw->pw_name, m->gid, m->groups, &m->ngroups) < 0)
		m->ngroups = 0;
}

/* The types file, or the built-in table when the default file is not
 * installed or files are not to be read. */
static void
load_types(struct cfload *ld)
{
	struct config *cf = ld->cf;
	size_t i = (size_t)(setting_find("types_file") - settings);
	char err[512];

	if (!ld->check_files) {
		cf->mime = mime_builtin(&cf->pool);
		return;
	}
	cf->mime = mime_load(&cf->pool, cf->main.types_file, err, sizeof(err));
	if (cf->mime == NULL && ld->seen[i].file == NULL && errno == ENOENT)
		cf->mime = mime_builtin(&cf->pool);	/* the default is not installed */
	else if (cf->mime == NULL)
		conf_error_for(ld, NULL, NULL, "types_file", "types_file: %s", err);
}

int
conf_check(struct cfload *ld)
{
	struct config *cf = ld->cf;
	struct server *srv;
	size_t i, j;

	check_user(ld);
	for (i = 0; i < cf->nservers; i++) {
		srv = cf->servers[i];
		for (j = 0; j < srv->nlistens; j++)
			add_to_vhosts(ld, srv, &srv->listens[j]);
	}
	for (i = 0; i < cf->nvhosts; i++)
		check_names(ld, cf->vhosts[i]);
	build_listeners(ld);
	if (ld->check_files)
		conf_tls_contexts(ld);
	conf_check_upstreams(ld);
	conf_check_limits(ld);
	conf_check_caches(ld);
	builtin_formats(ld);
	check_scope_logs(ld, &cf->sc);
	for (i = 0; i < cf->nservers; i++) {
		srv = cf->servers[i];
		check_scope_logs(ld, &srv->sc);
		check_scope_refs(ld, srv, NULL);
		for (j = 0; j < srv->nlocs; j++) {
			check_scope_logs(ld, &srv->locs[j]->sc);
			check_scope_refs(ld, srv, srv->locs[j]);
		}
	}
	load_types(ld);
	return ld->errors ? -1 : 0;
}

/* Everything a configuration holds outside its pool. */
void
conf_release(struct config *cf)
{
	struct log_file *lf;
	size_t i;

	for (lf = cf->logs; lf != NULL; lf = lf->next)
		log_file_close(lf);
	conf_tls_release(cf);
	conf_gzip_release(cf);
	for (i = 0; i < cf->nregexes; i++)
		regex_free(cf->regexes[i]);
}
