/*
 * The configuration as plain structs.  The loader (conf_load.c) turns the
 * libconfig documents into these once; nothing reads libconfig while
 * serving.  One generation lives in one pool and is dropped whole when a
 * reload replaces it.
 *
 * Settings inherited main -> server -> location live in struct scope; the
 * setting table (conf_table.c) says for each setting where its field is.
 */
#ifndef PORTICO_CONF_H
#define PORTICO_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "pool.h"

struct conn_zone;
struct log_file;
struct mime_table;
struct tmpl;

/* Contexts a setting may appear in. */
#define CTX_MAIN	0x01
#define CTX_SERVER	0x02
#define CTX_LOCATION	0x04
#define CTX_UPSTREAM	0x08

#define SETTINGS_MAX	128

struct strv {
	char		**v;
	size_t		  n;
};

/* One add_header / add_header_always / proxy_set_header entry.  After the
 * merge a NULL value means "removed by an inner level" and is skipped. */
struct header_op {
	const char	*name;
	struct tmpl	*value;
	bool		 always;
};

struct header_set {
	struct header_op	*v;
	size_t			 n;
};

struct error_page {
	int		*codes;
	size_t		 ncodes;
	int		 override;	/* -1: keep the code; 0: "=" alone; else the new code */
	struct tmpl	*uri;		/* /path, @named or an http(s):// URL */
};

struct error_pages {
	struct error_page	*v;
	size_t			 n;
};

struct access_rule {
	bool		 allow;
	int		 family;	/* 0 = all, AF_INET, AF_INET6 */
	unsigned char	 addr[16];
	int		 bits;
};

struct access_list {
	struct access_rule	*v;
	size_t			 n;
};

enum expires_mode { EXPIRES_OFF, EXPIRES_EPOCH, EXPIRES_MAX, EXPIRES_REL };

struct expires {
	enum expires_mode mode;
	long long	 sec;
};

struct log_format {
	const char	*name;
	struct tmpl	*t;
};

struct access_log {
	struct log_file		*file;
	const char		*format_name;	/* resolved after loading */
	struct log_format	*format;
	const char		*src;		/* where it was set, for errors */
	int			 line;
};

struct access_logs {
	struct access_log	*v;		/* n == 0: off */
	size_t			 n;
};

struct try_files {
	struct tmpl	**v;		/* candidates, $uri/ style */
	size_t		  n;
	struct tmpl	 *fallback;	/* last element: URI or @name */
	int		  code;		/* last element "=404": the code */
};

struct ret {
	int		 code;
	struct tmpl	*text;		/* URL for redirects, else body; may be NULL */
};

/* proxy_next_upstream conditions */
#define NEXT_ERROR		0x01
#define NEXT_TIMEOUT		0x02
#define NEXT_HTTP_500		0x04
#define NEXT_HTTP_502		0x08
#define NEXT_HTTP_503		0x10
#define NEXT_HTTP_504		0x20
#define NEXT_HTTP_404		0x40
#define NEXT_NON_IDEMPOTENT	0x80

/* ssl_protocols */
#define PROTO_TLSv1		0x01
#define PROTO_TLSv1_1		0x02
#define PROTO_TLSv1_2		0x04
#define PROTO_TLSv1_3		0x08

/* gzip_proxied conditions, as nginx's */
#define GZIP_PROXIED_OFF	0x001
#define GZIP_PROXIED_EXPIRED	0x002
#define GZIP_PROXIED_NO_CACHE	0x004
#define GZIP_PROXIED_NO_STORE	0x008
#define GZIP_PROXIED_PRIVATE	0x010
#define GZIP_PROXIED_NO_LM	0x020
#define GZIP_PROXIED_NO_ETAG	0x040
#define GZIP_PROXIED_AUTH	0x080
#define GZIP_PROXIED_ANY	0x100

enum gzip_static { GZIP_STATIC_OFF, GZIP_STATIC_ON, GZIP_STATIC_ALWAYS };

/* gzip_disable: User-Agent regexes, and nginx's "msie6" without one. */
struct ua_match {
	void		**re;
	size_t		  n;
	bool		  msie6;
};

/* gzip_buffers "32 4k" */
struct bufs {
	long long	 num;
	long long	 size;
};

/* proxy_cache_use_stale conditions */
#define STALE_ERROR		0x001
#define STALE_TIMEOUT		0x002
#define STALE_INVALID_HEADER	0x004
#define STALE_UPDATING		0x008
#define STALE_HTTP_500		0x010
#define STALE_HTTP_502		0x020
#define STALE_HTTP_503		0x040
#define STALE_HTTP_504		0x080
#define STALE_HTTP_403		0x100
#define STALE_HTTP_404		0x200
#define STALE_HTTP_429		0x400

struct cache_index;

/* One proxy_cache_path: a directory of entry files and the shared-memory
 * zone that indexes them. */
struct cache_path {
	const char		*path;
	const char		*name;		/* keys_zone NAME */
	long long		 zone_size;
	int			 levels[3];	/* characters per directory level */
	int			 nlevels;
	long long		 max_size;	/* bytes on disk, 0 = no limit */
	long long		 inactive;	/* ms */
	bool			 use_temp_path;
	const char		*file;		/* where it was set, for errors */
	int			 line;
	struct cache_index	*zone;		/* in shared memory, bound by the master */
};

struct cache_paths {
	struct cache_path	*v;
	size_t			 n;
};

/* proxy_cache: a zone by name, resolved once every file is loaded. */
struct cache_use {
	const char		*name;
	struct cache_path	*path;
	const char		*file;
	int			 line;
};

/* One proxy_cache_valid line: how long answers with these codes stay
 * fresh when the upstream does not say. */
struct cache_valid {
	int			*codes;
	size_t			 ncodes;
	bool			 any;
	long long		 ms;
};

struct cache_valids {
	struct cache_valid	*v;
	size_t			 n;
};

/* proxy_cache_bypass, proxy_no_cache: true when any is neither empty nor
 * "0". */
struct predicates {
	struct tmpl		**v;
	size_t			  n;
};

struct ssl_cache_conf {
	bool		 shared;	/* false: "off" */
	const char	*name;
	long long	 size;
};

/* limit_conn_zone "KEY zone=NAME:SIZE" */
struct limit_zone {
	const char		*name;
	struct tmpl		*key;
	long long		 size;
	struct conn_zone	*shm;		/* bound by the master */
};

struct limit_zones {
	struct limit_zone	*v;
	size_t			 n;
};

/* limit_conn "ZONE NUMBER" */
struct limit_conn {
	const char		*zone_name;	/* resolved after loading */
	struct limit_zone	*zone;
	unsigned		 conn;
	bool			 unknown;	/* the zone was not found: reported */
	const char		*src;
	int			 line;
};

struct limit_conns {
	struct limit_conn	*v;
	size_t			 n;
};

/* Name/value pairs written as a group (ssl_conf_command). */
struct kvlist {
	const char	**names;
	const char	**values;
	size_t		  n;
};

/* Settings inherited main -> server -> location. */
struct scope {
	uint64_t		 set[SETTINGS_MAX / 64];
	struct log_file		*error_log;
	char			*default_type;
	int			 sendfile;
	int			 tcp_nodelay;
	long long		 keepalive_timeout;	/* milliseconds */
	long long		 keepalive_requests;
	long long		 keepalive_park;	/* ms; -1: never park */
	long long		 client_header_timeout;
	long long		 client_header_park;	/* ms; -1: never park */
	long long		 client_body_timeout;
	long long		 send_timeout;
	long long		 client_max_body_size;	/* 0 = no limit */
	int			 server_tokens;
	struct access_logs	 access_log;
	struct tmpl		*root;
	struct strv		 index;
	struct try_files	*try_files;
	int			 autoindex;
	struct error_pages	 error_pages;
	struct header_set	 headers;	/* add_header and add_header_always */
	struct expires		 expires;
	struct access_list	 access;
	struct header_set	 proxy_headers;
	long long		 proxy_connect_timeout;
	long long		 proxy_read_timeout;
	long long		 proxy_send_timeout;
	int			 proxy_next_upstream;	/* NEXT_* */
	int			 proxy_buffering;
	int			 proxy_http_version;	/* 10 or 11 */
	long long		 proxy_buffer_size;
	struct cache_use	*proxy_cache;		/* NULL: off */
	struct tmpl		*proxy_cache_key;
	struct cache_valids	 proxy_cache_valid;
	int			 proxy_cache_methods;	/* 1 << enum method */
	long long		 proxy_cache_min_uses;
	struct predicates	 proxy_cache_bypass;
	struct predicates	 proxy_no_cache;
	int			 proxy_cache_use_stale;	/* STALE_* */
	int			 proxy_cache_lock;
	long long		 proxy_cache_lock_timeout;
	long long		 proxy_cache_lock_age;
	int			 proxy_cache_background_update;
	int			 proxy_cache_revalidate;
	int			 proxy_ssl_verify;
	const char		*proxy_ssl_trusted_certificate;
	struct strv		 ssl_certificate;
	struct strv		 ssl_certificate_key;
	int			 ssl_protocols;		/* PROTO_* */
	const char		*ssl_ciphers;
	struct kvlist		 ssl_conf_command;
	int			 ssl_prefer_server_ciphers;
	struct ssl_cache_conf	 ssl_session_cache;
	long long		 ssl_session_timeout;
	int			 ssl_session_tickets;
	struct strv		 ssl_session_ticket_key;
	struct limit_conns	 limit_conn;
	long long		 limit_conn_status;
	int			 limit_conn_log_level;
	int			 gzip;
	int			 gzip_vary;
	int			 gzip_static;		/* GZIP_STATIC_* */
	struct strv		 gzip_types;		/* lowercase; "*": any */
	long long		 gzip_min_length;
	long long		 gzip_comp_level;
	int			 gzip_proxied;		/* GZIP_PROXIED_* */
	struct ua_match		 gzip_disable;
	int			 gzip_http_version;	/* 10 or 11 */
	struct bufs		 gzip_buffers;
};

enum lb_method {
	LB_ROUND_ROBIN, LB_LEAST_CONN, LB_IP_HASH, LB_HASH, LB_HASH_CONSISTENT
};

struct peer_state;
struct upstream_state;

/* One address of one server of an upstream ("host:port" may resolve to
 * several). */
struct peer {
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	const char		*name;		/* as written: "app1.local:8000" */
	const char		*addr;		/* "127.0.0.1:8000", $upstream_addr */
	int			 weight;
	int			 max_fails;
	long long		 fail_timeout;	/* ms */
	bool			 backup;
	bool			 down;
	struct upstream		*up;
	struct peer_state	*st;		/* in shared memory */
	int			 index;		/* of st in the shared peer table */
};

struct health_check {
	bool		 enabled;
	const char	*uri;
	long long	 interval;	/* ms */
	long long	 timeout;
	int		 fails;
	int		 passes;
	int		 status_lo;
	int		 status_hi;
};

struct ring_point {
	uint32_t	 hash;
	struct peer	*peer;
};

struct upstream {
	const char		*name;
	enum lb_method		 method;
	struct tmpl		*hash_key;
	struct peer		*peers;		/* primaries first, then backups */
	size_t			 npeers;
	size_t			 nprimary;
	long long		 keepalive;	/* idle connections kept per worker */
	struct health_check	 hc;
	struct ring_point	*ring;		/* hash ... consistent */
	size_t			 nring;
	bool			 implicit;	/* made for a proxy_pass host:port */
	struct upstream_state	*st;		/* in shared memory */
	int			*index;		/* least_conn: each peer's index */
	int			*active;	/* least_conn: counts, per process */
	const char		*file;
	int			 line;
	struct dump		*dump;
};

/* proxy_pass "http://host:port/uri" or "http://UPSTREAM/uri". */
struct proxy_pass {
	const char	*text;
	const char	*host;		/* host or upstream name, as written */
	int		 port;		/* 0: not written */
	const char	*uri;		/* NULL: pass the request URI unchanged */
	size_t		 urilen;
	const char	*proxy_host;	/* $proxy_host */
	struct upstream	*up;
	int		 line;
	bool		 ssl;		/* https:// */
	const char	*ssl_name;	/* for SNI and certificate checks */
	void		*ssl_ctx;	/* SSL_CTX of the client side */
};

enum status_format { STATUS_NONE, STATUS_TEXT, STATUS_JSON, STATUS_PROMETHEUS };

enum match_kind {
	MATCH_PREFIX,		/* /path/ */
	MATCH_PREFIX_STOP,	/* ^~ /path/: no regex check after it */
	MATCH_EXACT,		/* = /path */
	MATCH_REGEX,		/* ~ re */
	MATCH_REGEX_CI,		/* ~* re */
	MATCH_NAMED,		/* @name */
};

struct location {
	enum match_kind	 kind;
	char		*pattern;
	size_t		 plen;
	void		*re;		/* pcre2_code for regex kinds */
	const char	*match_text;	/* as written, for logs and -T */
	struct tmpl	*alias;
	struct ret	*ret;
	struct proxy_pass *proxy;
	enum status_format status;
	bool		 auto_redirect;	/* "/app1/" proxies: "/app1" gets a 301 */
	struct scope	 sc;
	struct server	*srv;
	const char	*file;
	int		 line;
	struct dump	*dump;
};

/* One "listen" entry of a server. */
struct listen_addr {
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	bool			 wildcard;
	bool			 default_server;
	bool			 ssl;
	bool			 http2;
	const char		*text;
	int			 line;
};

enum name_kind { NAME_EXACT, NAME_LEAD_WILD, NAME_TRAIL_WILD, NAME_REGEX };

struct server_name {
	enum name_kind	 kind;
	char		*name;		/* lowercase; for wildcards without the '*' */
	size_t		 len;
	bool		 bare;		/* ".example.com": example.com matches too */
	void		*re;
};

struct server {
	struct listen_addr	*listens;
	size_t			 nlistens;
	struct server_name	*names;
	size_t			 nnames;
	const char		*first_name;	/* $server_name */
	struct ret		*ret;
	struct location		**locs;		/* as written */
	size_t			  nlocs;
	struct location		 deflt;		/* when no location matches */
	void			*ssl_ctx;	/* SSL_CTX, for servers on ssl listeners */
	struct scope		 sc;
	const char		*file;
	int			 line;
	struct dump		*dump;
};

/* The servers reachable on one address:port, and how names select them. */
struct vhosts {
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	bool			 wildcard;
	bool			 ssl;
	bool			 http2;
	struct server		*def;
	struct server		**servers;
	size_t			  nservers;
};

/* One bound socket.  A wildcard socket also carries the vhosts of specific
 * addresses on its port, chosen by the connection's local address. */
struct listener {
	int			 fd;
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	struct vhosts		*any;		/* this socket's own address */
	struct vhosts		**specific;
	size_t			  nspecific;
};

struct workers_conf {
	long long	start;
	long long	min_spare;
	long long	max_spare;
	long long	max;
	long long	max_requests;
};

/* Settings of the main level only. */
struct main_conf {
	char			*user;
	char			*group;
	uid_t			 uid;		/* resolved when started as root */
	gid_t			 gid;
	gid_t			*groups;	/* supplementary groups of user */
	int			 ngroups;
	char			*pid;
	int			 log_level;
	struct workers_conf	 workers;
	long long		 client_header_min_rate;	/* bytes/s */
	long long		 file_memory_max;	/* files a worker holds */
	char			*types_file;
	struct log_format	*formats;
	size_t			 nformats;
	struct limit_zones	 limit_zones;
	struct cache_paths	 cache_paths;
};

/* A rendered "name = value;" for -T. */
struct dump_ent {
	const char	*name;
	const char	*text;
	int		 line;		/* where it was written */
};

struct dump {
	struct dump_ent	*v;
	size_t		 n;
	size_t		 cap;
};

struct config {
	struct pool		 pool;
	const char		*file;
	struct main_conf	 main;
	struct scope		 defaults;
	struct scope		 sc;		/* main level, merged with defaults */
	struct dump		 dump;		/* main-level settings as written */
	struct server		**servers;
	size_t			  nservers;
	struct upstream		**upstreams;
	size_t			  nupstreams;
	struct vhosts		**vhosts;
	size_t			  nvhosts;
	struct listener		*listeners;
	size_t			 nlisteners;
	struct log_file		*logs;		/* every log file named */
	void			**regexes;	/* every regex compiled */
	size_t			  nregexes;
	struct mime_table	*mime;
	struct strv		 warnings;	/* messages of loading it */
};

#endif
