/*
 * Serving a parsed request, whatever the protocol: the dispatcher
 * (http_request.c), its content handlers, response heads, and the error
 * and access logs of a request.
 */
#ifndef PORTICO_REQUEST_H
#define PORTICO_REQUEST_H

#include "http.h"

/* http_response.c */
const char	*http_reason(int status);
void		 http_set_header(struct request *, const char *name, struct str);
void		 http_add_header(struct request *, const char *name, struct str);
void		 http_error_body(struct request *, int status);
void		 http_location(struct request *, struct str location);
void		 http_redirect(struct request *, int status, struct str location);
int		 http_add_slash(struct request *);
typedef void	 (*header_fn)(void *arg, const char *name, struct str value);
void		 http_each_header(struct request *, header_fn, void *arg);
void		 http_build_head(struct request *, struct buf *);

/* proxy_head.c */
struct upstream_head;
void	 proxy_head_adopt(struct request *, const struct upstream_head *);

/* request_log.c */
void	 req_log(struct request *, int level, int err, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
const char *req_escape(const struct request *, const char *, size_t);

/* http_request.c */
void	 request_process(struct request *);
void	 request_finalize(struct request *, int status);

/* gzip_filter.c */
void	gzip_filter_head(struct request *);
void	gzip_filter_end(struct request *);

/* http_static.c */
int	static_handle(struct request *);
int	static_file_checks(struct request *, bool gzipped);

/* http_autoindex.c */
int	autoindex_render(struct request *, const char *dir);

/* access_log.c */
void	access_log_write(struct request *);

#endif
