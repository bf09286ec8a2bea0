/*
 * A client connection and the request being served on it.  The parser
 * fills the request's fields with pointers into the connection's input
 * buffer; handlers fill the response part; the HTTP/1.1 writer sends it.
 */
#ifndef PORTICO_HTTP_H
#define PORTICO_HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "buf.h"
#include "conf.h"
#include "pool.h"
#include "regex.h"
#include "str.h"

struct limit_hold;
struct gzip;
struct proxy_cache;
struct proxy_io;

/* Limits of a request head. */
#define HTTP_LINE_MAX		8192	/* request line, and each header line */
#define HTTP_HEAD_MAX		32768	/* the whole head */
#define HTTP_HEADERS_MAX	100
#define HTTP_IN_MAX		(HTTP_HEAD_MAX + 16384)	/* a connection's input
							 * buffer: a head and
							 * some of what follows */

enum method {
	M_OTHER, M_GET, M_HEAD, M_POST, M_PUT, M_DELETE, M_OPTIONS, M_PATCH,
	M_TRACE, M_CONNECT
};

struct header {
	struct str	 name;
	struct str	 value;
};

/* The state of a chunked body decoder (http_chunked.c). */
struct chunked {
	int		 state;
	int		 digits;
	long long	 left;
	bool		 done;
};

struct conn {
	int			 fd;
	const struct config	*cf;			/* its generation's */
	const struct listener	*ls;
	const struct vhosts	*vh;
	struct sockaddr_storage	 peer;
	struct sockaddr_storage	 local;
	socklen_t		 peerlen;
	socklen_t		 locallen;
	char			 peer_text[64];		/* $remote_addr */
	int			 peer_port;
	uint64_t		 id;			/* $connection */
	unsigned		 requests;		/* $connection_requests */
	void			*ssl;			/* SSL *, NULL for plain */
	struct ssl_cache	*ssl_cache;
	short			 want;			/* poll events I/O waits for */
	bool			 tls_starved;		/* read-ahead holds part of a record */
	bool			 h2;			/* ALPN chose h2 */
	const struct proxy_io	*proxy_io;		/* how proxies read bodies */
	char			 sni[256];		/* $ssl_server_name */
	char			*in;			/* input buffer */
	size_t			 in_cap;
	size_t			 in_start;		/* unconsumed bytes: [start, end) */
	size_t			 in_end;
	size_t			 body_base;		/* where the current head ended */
	int64_t			 head_deadline;		/* monotonic ms; 0: no head yet */
	int64_t			 idle_deadline;		/* monotonic ms; 0: not idle */
	int64_t			 head_start;		/* wall ms of the head's first byte */
	bool			 resumed;		/* handed back by the keeper */
	bool			 eof;
	bool			 broken;		/* write failed or timed out */
	bool			 timed_out;		/* send_timeout passed */
	struct buf		 out;			/* kept across connections: last */
};

/* What the response body comes from. */
enum body_kind { BODY_NONE, BODY_MEM, BODY_FILE };

struct range {
	long long	 start;
	long long	 end;		/* inclusive */
};

struct out_header {
	const char	*name;
	struct str	 value;
};

struct request {
	struct conn		*c;
	struct pool		*pool;
	int64_t			 start_msec;

	/* request line and head, as received */
	struct str		 line;		/* $request */
	struct str		 method_name;
	enum method		 method;
	struct str		 target;	/* $request_uri */
	struct str		 args;		/* $args */
	int			 version;	/* 10, 11 or 20 */
	struct header		*headers;
	size_t			 nheaders;
	size_t			 head_len;	/* bytes of the head, for $request_length */

	/* derived from the head */
	struct str		 host;		/* lowercase, no port; $host */
	struct str		 uri;		/* decoded, normalised path; $uri */
	long long		 content_length;/* -1: none */
	bool			 chunked;
	bool			 keepalive;
	bool			 expect_continue;

	/* routing */
	const struct server	*srv;
	const struct location	*loc;
	const struct scope	*sc;
	struct regex_caps	 caps;
	int			 redirects;	/* internal redirects so far */
	bool			 uri_changed;	/* by try_files or a redirect */
	bool			 error_page_done;
	struct str		 redirect_uri;	/* a handler asks to serve it instead */
	struct limit_hold	*limit_holds;	/* limit_conn counts held */
	size_t			 nlimit_holds;
	bool			 limit_conn_done;	/* once per request, as nginx */
	const char		*filename;	/* $request_filename */
	const char		*document_root;

	/* request body */
	long long		 body_left;	/* Content-Length bytes unread */
	bool			 body_done;
	struct chunked		 chunk;
	long long		 body_received;

	void			*stream;	/* the HTTP/2 stream, NULL in 1.x */

	/* proxying */
	struct proxy		*proxy;
	const char		*proxy_host;	/* $proxy_host */
	const char		*proxy_uri;	/* the URI sent upstream */
	const char		*log_upstream;	/* ", upstream: ..." in error logs */
	const char		*upstream_addr;	/* $upstream_addr */
	const char		*upstream_status;
	const char		*upstream_time;
	const char		*cache_status;	/* $upstream_cache_status */
	struct proxy_cache	*cache_update;	/* owed after a stale answer */

	/* response */
	int			 status;
	struct str		 reason;	/* an upstream's, for unknown codes */
	struct out_header	*out;
	size_t			 nout;
	const char		*content_type;
	long long		 out_length;	/* -1: unknown */
	time_t			 last_modified;	/* -1: none */
	char			 etag[48];
	bool			 header_only;
	bool			 no_extra_headers;	/* skip add_header/expires */
	enum body_kind		 body;
	struct str		 mem;
	int			 fd;		/* owned by the fdcache */
	long long		 file_base;	/* where the body starts in the file */
	long long		 file_off;
	long long		 file_len;
	const char		*file_mem;	/* the whole file, from the fdcache */
	struct range		*ranges;
	size_t			 nranges;
	const char		*boundary;	/* multipart/byteranges */
	const char		*part_type;	/* Content-Type of each part */
	struct gzip		*gz;		/* the body is compressed through it */
	bool			 gzip_vary;	/* the answer depends on Accept-Encoding */

	/* accounting for logs */
	long long		 bytes_sent;
	long long		 body_bytes_sent;
	bool			 logged;
};

/* http_parse.c: pure parsing over buffers. */
size_t	http_head_end(const char *buf, size_t len, size_t *scan);
int	http_next_line(const char **p, const char *end, struct str *line);
int	http_split_header(struct str line, struct header *, bool *token);
int	http_head_overflow(const char *buf, size_t len);
int	http_parse_head(struct request *, const char *buf, size_t len);
enum method http_method(struct str);
int	http_parse_host(struct str in, char *out, struct str *host);
const struct str *http_header_get(const struct request *, const char *name);

/* http_uri.c */
int	http_uri_normalize(const char *in, size_t len, char *out, size_t *outlen);

/* http_chunked.c */
long	chunked_decode(struct chunked *, char *buf, size_t len, size_t *used);

/* http_range.c */
int	http_parse_range(struct str, long long size, struct range *, size_t max,
	    size_t *n);

/* match.c */
const struct server	*match_server(const struct vhosts *, struct str host,
			    struct regex_caps *);
const struct location	*match_location(const struct server *, struct str uri,
			    struct regex_caps *);
const struct location	*match_named(const struct server *, const char *name);
bool			 match_adds_slash(const struct location *, struct str uri);

/* access.c */
bool	access_allowed(const struct access_list *, const struct sockaddr_storage *);

#endif
