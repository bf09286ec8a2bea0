/*
 * HTTP/1.x on a client connection: reading requests (http_conn.c),
 * writing responses (http_send.c) and proxying them (http_proxy.c).
 */
#ifndef PORTICO_HTTP1_H
#define PORTICO_HTTP1_H

#include <stdbool.h>
#include <stddef.h>

struct conn;
struct proxy_io;
struct request;

/* http_conn.c */
void	http_serve(struct conn *);

/* http_send.c */
void	http_send_response(struct conn *, struct request *);
int	http_send_raw(struct conn *, const char *, size_t, long long timeout,
	    long long *sent);

/* http_proxy.c */
extern const struct proxy_io http1_proxy_io;
bool	http_proxy_serve(struct conn *, struct request *);

#endif
