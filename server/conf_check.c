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
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf_int.h"
#include "http.h"
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

static void
vreport(int level, const char *file, int line, const char *fmt, va_list ap)
{
	char msg[1024];
	int n;

	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (file != NULL && n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, " in %s:%d", file, line);
	conf_report(level, msg);
}

void
conf_error_at(struct cfload *ld, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(LV_EMERG, file, line, fmt, ap);
	va_end(ap);
	ld->errors++;
}

void
cf_warn_at(struct cfload *ld, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(LV_WARN, file, line, fmt, ap);
	va_end(ap);
	ld->cf->warnings++;
}

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

static void
add_to_vhosts(struct cfload *ld, struct server *srv, const struct listen_addr *la)
{
	struct vhosts *vh = vhosts_for(ld, la);
	size_t i;

	for (i = 0; i < vh->nservers; i++)
		if (vh->servers[i] == srv) {
			conf_error_at(ld, srv->file, la->line, "duplicate listen \"%s\"",
			    la->text);
			return;
		}
	if (la->default_server) {
		if (vh->def != NULL) {
			conf_error_at(ld, srv->file, la->line, "a duplicate default server "
			    "for \"%s\", the first is in %s:%d", la->text,
			    vh->def->file, vh->def->line);
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
	if (lf == NULL || lf->fd >= 0)
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
check_named(struct cfload *ld, struct server *srv, const struct tmpl *t,
    const char *file, int line)
{
	if (t == NULL || t->src[0] != '@')
		return;
	if (match_named(srv, t->src) == NULL)
		conf_error_at(ld, file, line, "unknown named location \"%s\"", t->src);
}

static void
check_scope_refs(struct cfload *ld, struct server *srv, struct scope *sc,
    const char *file, int line)
{
	size_t i;

	if (sc->try_files != NULL)
		check_named(ld, srv, sc->try_files->fallback, file, line);
	for (i = 0; i < sc->error_pages.n; i++)
		check_named(ld, srv, sc->error_pages.v[i].uri, file, line);
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

	if (geteuid() != 0)
		return;
	if ((pw = getpwnam(m->user)) == NULL) {
		conf_error_at(ld, NULL, 0, "getpwnam(\"%s\") failed: no such user "
		    "(set \"user\")", m->user);
		return;
	}
	m->uid = pw->pw_uid;
	m->gid = pw->pw_gid;
	if (m->group != NULL) {
		if ((gr = getgrnam(m->group)) == NULL) {
			conf_error_at(ld, NULL, 0, "getgrnam(\"%s\") failed: no such group "
			    "(set \"user\")", m->group);
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

int
conf_check(struct cfload *ld)
{
	struct config *cf = ld->cf;
	struct server *srv;
	size_t i, j;
	char err[512];

	check_user(ld);
	for (i = 0; i < cf->nservers; i++) {
		srv = cf->servers[i];
		for (j = 0; j < srv->nlistens; j++)
			add_to_vhosts(ld, srv, &srv->listens[j]);
	}
	build_listeners(ld);
	conf_tls_contexts(ld);
	conf_check_upstreams(ld);
	conf_check_limits(ld);
	builtin_formats(ld);
	check_scope_logs(ld, &cf->sc);
	for (i = 0; i < cf->nservers; i++) {
		srv = cf->servers[i];
		check_scope_logs(ld, &srv->sc);
		check_scope_refs(ld, srv, &srv->sc, srv->file, srv->line);
		for (j = 0; j < srv->nlocs; j++) {
			check_scope_logs(ld, &srv->locs[j]->sc);
			check_scope_refs(ld, srv, &srv->locs[j]->sc, srv->locs[j]->file,
			    srv->locs[j]->line);
		}
	}
	cf->mime = mime_load(&cf->pool, cf->main.types_file, err, sizeof(err));
	i = (size_t)(setting_find("types_file") - settings);
	if (cf->mime == NULL && ld->seen[i].file == NULL && errno == ENOENT)
		cf->mime = mime_builtin(&cf->pool);	/* the default is not installed */
	else if (cf->mime == NULL)
		conf_error_at(ld, ld->seen[i].file, ld->seen[i].line, "types_file: %s",
		    err);
	return ld->errors ? -1 : 0;
}

/* Everything a configuration holds outside its pool. */
void
conf_release(struct config *cf)
{
	struct log_file *lf;
	struct server *srv;
	size_t i, j;

	for (lf = cf->logs; lf != NULL; lf = lf->next)
		log_file_close(lf);
	conf_tls_release(cf);
	for (i = 0; i < cf->nservers; i++) {
		srv = cf->servers[i];
		for (j = 0; j < srv->nnames; j++)
			if (srv->names[j].re != NULL)
				regex_free(srv->names[j].re);
		for (j = 0; j < srv->nlocs; j++)
			if (srv->locs[j]->re != NULL)
				regex_free(srv->locs[j]->re);
	}
}
