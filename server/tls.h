/*
 * TLS on a connection with OpenSSL (tls.c): the server handshake with SNI
 * and ALPN, the client handshake to https:// upstreams, record I/O.
 */
#ifndef PORTICO_TLS_H
#define PORTICO_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct conn;

const char *tls_error(void);
void	tls_handshake_setup(void *ssl_ctx);
unsigned long tls_control_records(void);
int	tls_accept(struct conn *, long long timeout);
int	tls_connect(struct conn *, void *ctx, const char *name, const char **why);
ssize_t	tls_read(struct conn *, void *, size_t);
ssize_t	tls_write(struct conn *, const void *, size_t);
ssize_t	tls_peek(struct conn *, void *, size_t);
bool	tls_buffered(const struct conn *);
void	tls_close(struct conn *);
const char *tls_protocol(const struct conn *);
const char *tls_cipher(const struct conn *);
int	tls_reused(const struct conn *);

#endif
