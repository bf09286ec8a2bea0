/*
 * The one table of settings: name, contexts, where the value lives, its
 * default, how it is parsed and how it is inherited.  The loader, the
 * unknown-setting and wrong-context errors, the defaults, inheritance and
 * -T's dump all come from here; t/unit_conf checks that portico.conf(5)
 * documents every entry.  portico-convert reads it too: which nginx
 * directives are settings of the same name, where, and in which shape
 * (boolean, SET_LIST, SET_GROUP).
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "conf_int.h"

#define M	CTX_MAIN
#define S	CTX_SERVER
#define L	CTX_LOCATION
#define U	CTX_UPSTREAM
#define MSL	(M | S | L)

#define SCOPE(f)	SLOT_SCOPE, offsetof(struct scope, f), \
			sizeof(((struct scope *)0)->f)
#define MAIN(f)		SLOT_MAIN, offsetof(struct main_conf, f), \
			sizeof(((struct main_conf *)0)->f)
#define UPSTREAM(f)	SLOT_UPSTREAM, offsetof(struct upstream, f), \
			sizeof(((struct upstream *)0)->f)
#define NONE		SLOT_NONE, 0, 0

#define Q(s)		"\"" s "\""

/* TLS 1.2 suites of Mozilla's "intermediate" profile with forward secrecy
 * by ECDHE only: AES-GCM and ChaCha20-Poly1305, no CBC (LUCKY13). */
#define MOZILLA_INTERMEDIATE \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

const struct setting settings[] = {
	/* structure */
	{ "include", M, NONE, NULL, set_include, NULL,
	    SET_STRUCTURE | SET_MULTIFILE | SET_LIST },
	{ "servers", M, NONE, NULL, set_servers, NULL, SET_STRUCTURE | SET_MULTIFILE },
	{ "upstreams", M, NONE, NULL, set_upstreams, NULL, SET_STRUCTURE | SET_MULTIFILE },
	{ "locations", S, NONE, NULL, set_locations, NULL, SET_STRUCTURE },
	{ "match", L, NONE, NULL, set_match, NULL, SET_STRUCTURE },

	/* process */
	{ "user", M, MAIN(user), Q("www-data"), set_user, NULL, 0 },
	{ "pid", M, MAIN(pid), Q(RUNSTATEDIR "/portico.pid"), set_path, NULL, 0 },
	{ "error_log", M | S, SCOPE(error_log),
	    Q(LOCALSTATEDIR "/log/portico/error.log"), set_error_log, NULL, 0 },
	{ "log_level", M, MAIN(log_level), Q("notice"), set_log_level, NULL, 0 },
	{ "workers", M, MAIN(workers),
	    "{ start = 8; min_spare = 4; max_spare = 16; max = 256; max_requests = 0; }",
	    set_workers, NULL, 0 },
	{ "types_file", M, MAIN(types_file), Q(SYSCONFDIR "/portico/mime.types"),
	    set_path, NULL, 0 },
	{ "file_memory_max", M, MAIN(file_memory_max), Q("16k"), set_size, NULL, 0 },
	{ "log_format", M, MAIN(formats), NULL, set_log_format, NULL, SET_GROUP },

	/* connections */
	{ "default_type", MSL, SCOPE(default_type), Q("application/octet-stream"),
	    set_string, NULL, 0 },
	{ "sendfile", MSL, SCOPE(sendfile), "true", set_bool, NULL, 0 },
	{ "tcp_nodelay", MSL, SCOPE(tcp_nodelay), "true", set_bool, NULL, 0 },
	{ "keepalive_timeout", MSL, SCOPE(keepalive_timeout), Q("65s"), set_msec, NULL, 0 },
	{ "keepalive_requests", MSL, SCOPE(keepalive_requests), "1000", set_int, NULL, 0 },
	{ "client_header_timeout", MSL, SCOPE(client_header_timeout), Q("60s"),
	    set_msec, NULL, 0 },
	{ "keepalive_park", MSL, SCOPE(keepalive_park), Q("100ms"), set_park, NULL, 0 },
	{ "client_header_park", MSL, SCOPE(client_header_park), Q("100ms"),
	    set_park, NULL, 0 },
	{ "client_header_min_rate", M, MAIN(client_header_min_rate), "500",
	    set_int, NULL, 0 },
	{ "client_body_timeout", MSL, SCOPE(client_body_timeout), Q("60s"),
	    set_msec, NULL, 0 },
	{ "send_timeout", MSL, SCOPE(send_timeout), Q("60s"), set_msec, NULL, 0 },
	{ "client_max_body_size", MSL, SCOPE(client_max_body_size), Q("1m"),
	    set_size, NULL, 0 },
	{ "server_tokens", MSL, SCOPE(server_tokens), "true", set_bool, NULL, 0 },
	{ "access_log", MSL, SCOPE(access_log),
	    Q(LOCALSTATEDIR "/log/portico/access.log combined"), set_access_log, NULL,
	    SET_LIST },

	/* servers and locations */
	{ "listen", S, NONE, NULL, set_listen, NULL, SET_LIST },
	{ "server_name", S, NONE, NULL, set_server_name, NULL, SET_LIST },
	{ "root", S | L, SCOPE(root), Q(DATADIR "/portico/html"), set_root, NULL, 0 },
	{ "alias", L, NONE, NULL, set_alias, NULL, 0 },
	{ "index", MSL, SCOPE(index), Q("index.html"), set_index, NULL, SET_LIST },
	{ "try_files", S | L, SCOPE(try_files), NULL, set_try_files, NULL,
	    SET_NOINHERIT },
	{ "autoindex", MSL, SCOPE(autoindex), "false", set_bool, NULL, 0 },
	{ "error_page", MSL, SCOPE(error_pages), NULL, set_error_page, NULL, SET_LIST },
	{ "return", S | L, NONE, NULL, set_return, NULL, 0 },
	{ "add_header", MSL, SCOPE(headers), NULL, set_add_header, merge_headers, SET_GROUP },
	{ "add_header_always", MSL, SCOPE(headers), NULL, set_add_header_always,
	    NULL, SET_NOMERGE | SET_GROUP },
	{ "expires", MSL, SCOPE(expires), Q("off"), set_expires, NULL, 0 },
	{ "access", MSL, SCOPE(access), NULL, set_access, NULL, SET_LIST },
	{ "status", L, NONE, NULL, set_status, NULL, 0 },

	/* limits */
	{ "limit_conn_zone", M, MAIN(limit_zones), NULL, set_limit_conn_zone, NULL,
	    SET_LIST },
	{ "limit_conn", MSL, SCOPE(limit_conn), NULL, set_limit_conn, NULL, SET_LIST },
	{ "limit_conn_status", MSL, SCOPE(limit_conn_status), "503",
	    set_limit_conn_status, NULL, 0 },
	{ "limit_conn_log_level", MSL, SCOPE(limit_conn_log_level), Q("error"),
	    set_limit_conn_log_level, NULL, 0 },

	/* reverse proxy */
	{ "proxy_pass", L, NONE, NULL, set_proxy_pass, NULL, 0 },
	{ "proxy_set_header", MSL, SCOPE(proxy_headers), NULL, set_proxy_set_header,
	    merge_headers, SET_GROUP },
	{ "proxy_connect_timeout", MSL, SCOPE(proxy_connect_timeout), Q("60s"),
	    set_msec, NULL, 0 },
	{ "proxy_read_timeout", MSL, SCOPE(proxy_read_timeout), Q("60s"),
	    set_msec, NULL, 0 },
	{ "proxy_send_timeout", MSL, SCOPE(proxy_send_timeout), Q("60s"),
	    set_msec, NULL, 0 },
	{ "proxy_next_upstream", MSL, SCOPE(proxy_next_upstream), Q("error timeout"),
	    set_next_upstream, NULL, 0 },
	{ "proxy_buffering", MSL, SCOPE(proxy_buffering), "true", set_bool, NULL, 0 },
	{ "proxy_http_version", MSL, SCOPE(proxy_http_version), Q("1.1"),
	    set_http_version, NULL, 0 },
	{ "proxy_buffer_size", MSL, SCOPE(proxy_buffer_size), Q("4k"), set_size,
	    NULL, 0 },

	/* compression */
	{ "gzip", MSL, SCOPE(gzip), "false", set_bool, NULL, 0 },
	{ "gzip_vary", MSL, SCOPE(gzip_vary), "false", set_bool, NULL, 0 },
	{ "gzip_static", MSL, SCOPE(gzip_static), "false", set_gzip_static, NULL, 0 },
	{ "gzip_types", MSL, SCOPE(gzip_types), Q("text/html"), set_gzip_types, NULL,
	    SET_LIST },
	{ "gzip_min_length", MSL, SCOPE(gzip_min_length), "20", set_size, NULL, 0 },
	{ "gzip_comp_level", MSL, SCOPE(gzip_comp_level), "1", set_gzip_comp_level,
	    NULL, 0 },
	{ "gzip_proxied", MSL, SCOPE(gzip_proxied), Q("off"), set_gzip_proxied, NULL, 0 },
	{ "gzip_disable", MSL, SCOPE(gzip_disable), NULL, set_gzip_disable, NULL,
	    SET_LIST | SET_EACH },
	{ "gzip_http_version", MSL, SCOPE(gzip_http_version), Q("1.1"),
	    set_http_version, NULL, 0 },
	{ "gzip_buffers", MSL, SCOPE(gzip_buffers), Q("32 4k"), set_gzip_buffers,
	    NULL, 0 },

	/* proxy cache */
	{ "proxy_cache_path", M, MAIN(cache_paths), NULL, set_cache_paths, NULL,
	    SET_LIST },
	{ "proxy_cache", MSL, SCOPE(proxy_cache), Q("off"), set_proxy_cache, NULL, 0 },
	{ "proxy_cache_key", MSL, SCOPE(proxy_cache_key),
	    Q("$scheme$proxy_host$request_uri"), set_template, NULL, 0 },
	{ "proxy_cache_valid", MSL, SCOPE(proxy_cache_valid), NULL, set_cache_valid,
	    NULL, SET_LIST },
	{ "proxy_cache_methods", MSL, SCOPE(proxy_cache_methods), Q("GET HEAD"),
	    set_cache_methods, NULL, 0 },
	{ "proxy_cache_min_uses", MSL, SCOPE(proxy_cache_min_uses), "1", set_int,
	    NULL, 0 },
	{ "proxy_cache_bypass", MSL, SCOPE(proxy_cache_bypass), NULL, set_predicates,
	    NULL, SET_LIST },
	{ "proxy_no_cache", MSL, SCOPE(proxy_no_cache), NULL, set_predicates, NULL,
	    SET_LIST },
	{ "proxy_cache_use_stale", MSL, SCOPE(proxy_cache_use_stale), Q("off"),
	    set_use_stale, NULL, 0 },
	{ "proxy_cache_lock", MSL, SCOPE(proxy_cache_lock), "false", set_bool, NULL, 0 },
	{ "proxy_cache_lock_timeout", MSL, SCOPE(proxy_cache_lock_timeout), Q("5s"),
	    set_msec, NULL, 0 },
	{ "proxy_cache_lock_age", MSL, SCOPE(proxy_cache_lock_age), Q("5s"),
	    set_msec, NULL, 0 },
	{ "proxy_cache_background_update", MSL, SCOPE(proxy_cache_background_update),
	    "false", set_bool, NULL, 0 },
	{ "proxy_cache_revalidate", MSL, SCOPE(proxy_cache_revalidate), "false",
	    set_bool, NULL, 0 },

	/* TLS */
	{ "ssl_certificate", M | S, SCOPE(ssl_certificate), NULL, set_paths, NULL, SET_LIST },
	{ "ssl_certificate_key", M | S, SCOPE(ssl_certificate_key), NULL, set_paths,
	    NULL, SET_LIST },
	{ "ssl_protocols", M | S, SCOPE(ssl_protocols), Q("TLSv1.2 TLSv1.3"),
	    set_ssl_protocols, NULL, 0 },
	{ "ssl_ciphers", M | S, SCOPE(ssl_ciphers), Q(MOZILLA_INTERMEDIATE),
	    set_string, NULL, 0 },
	{ "ssl_conf_command", M | S, SCOPE(ssl_conf_command), NULL,
	    set_ssl_conf_command, NULL, SET_GROUP },
	{ "ssl_prefer_server_ciphers", M | S, SCOPE(ssl_prefer_server_ciphers),
	    "true", set_bool, NULL, 0 },
	{ "ssl_session_cache", M | S, SCOPE(ssl_session_cache), Q("shared:SSL:10m"),
	    set_ssl_session_cache, NULL, 0 },
	{ "ssl_session_timeout", M | S, SCOPE(ssl_session_timeout), Q("10m"),
	    set_msec, NULL, 0 },
	{ "ssl_session_tickets", M | S, SCOPE(ssl_session_tickets), "true", set_bool,
	    NULL, 0 },
	{ "ssl_session_ticket_key", M | S, SCOPE(ssl_session_ticket_key), NULL,
	    set_paths, NULL, SET_LIST },

	{ "proxy_ssl_verify", MSL, SCOPE(proxy_ssl_verify), "false", set_bool, NULL, 0 },
	{ "proxy_ssl_trusted_certificate", MSL, SCOPE(proxy_ssl_trusted_certificate),
	    NULL, set_path, NULL, 0 },

	/* inside an upstream */
	{ "method", U, NONE, NULL, set_method, NULL, 0 },
	{ "servers", U, NONE, NULL, set_upstream_servers, NULL, SET_LIST },
	{ "keepalive", U, UPSTREAM(keepalive), NULL, set_int, NULL, 0 },
	{ "health_check", U, NONE, NULL, set_health_check, NULL, 0 },
};

const size_t nsettings = sizeof(settings) / sizeof(settings[0]);
_Static_assert(sizeof(settings) / sizeof(settings[0]) <= SETTINGS_MAX,
    "struct scope's set[] has a bit for every setting");

_Static_assert(sizeof(settings) / sizeof(settings[0]) <= SETTINGS_MAX,
    "the setting table outgrew SETTINGS_MAX (conf.h)");

const struct setting *
setting_find(const char *name)
{
	return setting_lookup(name, ~0u);
}

/* The entry for name allowed in ctx ("servers" means one thing at the
 * main level and another in an upstream). */
const struct setting *
setting_lookup(const char *name, unsigned ctx)
{
	size_t i;

	for (i = 0; i < nsettings; i++)
		if ((settings[i].ctx & ctx) && strcmp(settings[i].name, name) == 0)
			return &settings[i];
	return NULL;
}

bool
scope_isset(const struct scope *sc, const char *name)
{
	size_t i = (size_t)(setting_find(name) - settings);

	return (sc->set[i / 64] >> (i % 64)) & 1;
}

/*
 * Inherit from the parent every field this level did not set.  Fields with
 * their own merge (header groups) always merge.
 */
void
scope_merge(struct pool *pool, struct scope *child, const struct scope *parent)
{
	size_t i;
	const struct setting *s;
	bool set;

	for (i = 0; i < nsettings; i++) {
		s = &settings[i];
		if (s->slot != SLOT_SCOPE || (s->flags & (SET_NOMERGE | SET_NOINHERIT)))
			continue;
		set = (child->set[i / 64] >> (i % 64)) & 1;
		if (s->merge != NULL) {
			s->merge(pool, (char *)child + s->off,
			    (const char *)parent + s->off, set);
			continue;
		}
		if (set)
			continue;
		memcpy((char *)child + s->off, (const char *)parent + s->off, s->size);
	}
}
