/*
 * Inside the configuration loader: the setting table's shape, the state of
 * one load, and the setters that turn libconfig values into struct fields.
 * Only conf_*.c include this.
 */
#ifndef PORTICO_CONF_INT_H
#define PORTICO_CONF_INT_H

#include <libconfig.h>
#include <stdio.h>

#include "conf.h"
#include "conf_load.h"
#include "tmpl.h"

struct cfload;

/* The block a setting is being read in. */
struct level {
	unsigned	 ctx;		/* CTX_* of this block */
	struct scope	*sc;		/* inheritable settings of this block */
	struct server	*srv;
	struct location	*loc;
	struct dump	*dump;
	struct upstream	*up;
};

enum slot { SLOT_NONE, SLOT_SCOPE, SLOT_MAIN, SLOT_UPSTREAM };

typedef int (*setter_fn)(struct cfload *, struct level *,
    const config_setting_t *, void *field);
typedef void (*merge_fn)(struct pool *, void *child, const void *parent,
    bool child_set);

struct setting {
	const char	*name;
	unsigned	 ctx;
	enum slot	 slot;
	size_t		 off;
	size_t		 size;
	const char	*dflt;		/* libconfig syntax, NULL = none */
	setter_fn	 set;
	merge_fn	 merge;		/* NULL: copy the parent's when unset */
	unsigned	 flags;
};

#define SET_NOMERGE	0x01	/* field merged by another entry */
#define SET_STRUCTURE	0x02	/* servers, locations, include: not a value */
#define SET_MULTIFILE	0x04	/* may appear at top level of several files */
#define SET_NOINHERIT	0x08	/* not inherited by inner levels (nginx) */
#define SET_LIST	0x10	/* a string or an array: nginx's directive repeats;
				   the loader refuses an array for any other */
#define SET_GROUP	0x20	/* a group keyed by nginx's first argument */
#define SET_EACH	0x40	/* with SET_LIST: each of nginx's arguments is a
				   value of its own (gzip_disable's regexes) */

extern const struct setting settings[];
extern const size_t nsettings;

const struct setting	*setting_find(const char *name);
const struct setting	*setting_lookup(const char *name, unsigned ctx);
const char		*conf_ctx_name(unsigned ctx);

/* Where a file's settings came from, for cycle detection. */
struct incl {
	struct incl	*up;
	const char	*real;
};

struct cfload {
	struct config	*cf;
	struct pool	*pool;
	const char	*file;		/* as the include pattern found it */
	const char	*dir;		/* its directory, for relative paths */
	struct incl	*stack;
	int		 errors;
	bool		 check_files;	/* see conf_load() */
	struct {
		const char	*file;
		int		 line;
	} seen[SETTINGS_MAX];		/* main-level settings, across files */
	int		 depth;
};

void	cf_error(struct cfload *, const config_setting_t *, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	cf_warn_at(struct cfload *, const char *file, int line, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
int	cf_line(const config_setting_t *);

/* Where a setting was written, for checks made after loading. */
struct origin {
	const char	*file;
	int		 line;
};

struct origin	setting_origin(struct cfload *, const struct server *,
		    const struct location *, const char *name);
void	conf_error_for(struct cfload *, const struct server *,
	    const struct location *, const char *setting, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
const struct dump_ent *dump_find(const struct dump *, const char *name);
void	conf_report(int level, const char *msg);
void	conf_error_at(struct cfload *, const char *file, int line, const char *fmt,
	    ...) __attribute__((format(printf, 4, 5)));
int	set_header_group(struct cfload *, const config_setting_t *,
	    struct header_set *, bool always);
bool	scope_isset(const struct scope *, const char *name);
char	*cf_path(struct cfload *, const char *);
int	cf_group(struct cfload *, struct level *, const config_setting_t *);
int	cf_string(struct cfload *, const config_setting_t *, const char **);
int	cf_strings(struct cfload *, const config_setting_t *, const char ***,
	    size_t *);
void	cf_render(struct buf *, const config_setting_t *, int indent);
void	cf_quote(struct buf *, const char *);
void	scope_merge(struct pool *, struct scope *child, const struct scope *parent);

/* A word of a setting's value and the flag it stands for. */
struct word {
	const char	*name;
	int		 flag;
};

int	cf_words(struct cfload *, const char *, const struct word *, size_t n,
	    int *flags, const char **unknown);
int	cf_int_between(struct cfload *, const config_setting_t *, long long *,
	    long long lo, long long hi);

/* Value parsers shared by setters and the tests. */
int	parse_msec(const char *, long long *);
int	parse_size(const char *, long long *);
int	parse_listen(const char *, bool resolve, struct listen_addr *,
	    const char **err);
int	parse_cidr(const char *, struct access_rule *);
int	parse_code(const char *, size_t len, int lo, int hi);

struct tmpl *cf_compile(struct cfload *, const config_setting_t *, const char *);

/* Setters (conf_value.c, conf_block.c). */
int	set_bool(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_int(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_msec(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_park(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_size(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_string(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_path(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_root(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_user(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_log_level(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_workers(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_error_log(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_access_log(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_log_format(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_index(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_try_files(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_error_page(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_return(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_add_header(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_add_header_always(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_expires(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_access(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_listen(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_server_name(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_alias(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_match(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_include(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_servers(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_locations(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_upstreams(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_upstream_servers(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_method(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_health_check(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_proxy_pass(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_proxy_set_header(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_next_upstream(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_http_version(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_status(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_paths(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_ssl_protocols(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_ssl_session_cache(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_ssl_conf_command(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_limit_conn_zone(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_limit_conn(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_limit_conn_status(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_limit_conn_log_level(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_gzip_static(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_gzip_types(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_gzip_comp_level(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_gzip_proxied(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_gzip_disable(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_gzip_buffers(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_template(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_cache_paths(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_proxy_cache(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_cache_valid(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_cache_methods(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_predicates(struct cfload *, struct level *, const config_setting_t *, void *);
int	set_use_stale(struct cfload *, struct level *, const config_setting_t *, void *);

void	merge_headers(struct pool *, void *, const void *, bool);

/* Hints for nginx habits (conf_hint.c) and syntax errors (conf_syntax.c). */
const char	*conf_nginx_hint(const char *name, unsigned ctx);
const char	*conf_nearest_setting(const char *name, unsigned ctx);

enum syntax_verdict { SYNTAX_UNKNOWN, SYNTAX_EXPLAINED, SYNTAX_NGINX };

enum syntax_verdict conf_syntax_explain(const char *path, char *why,
		    size_t size, int *line, const char **hint);

/* Meaning checks after loading (conf_check.c, conf_upstream.c,
 * conf_limit.c). */
int	conf_check(struct cfload *);
void	conf_check_upstreams(struct cfload *);
void	conf_check_limits(struct cfload *);
void	conf_gzip_release(struct config *);
void	conf_check_caches(struct cfload *);

/* TLS contexts (conf_tls_ctx.c). */
int	conf_tls_contexts(struct cfload *);
void	*conf_tls_client_ctx(struct cfload *, const struct location *);
void	conf_tls_release(struct config *);

#endif
