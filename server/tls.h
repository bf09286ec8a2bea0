/*
 * TLS with OpenSSL: a context per server on an ssl listener (certificates,
 * protocols, ciphers), SNI and ALPN, the shared session cache and ticket
 * keys, and the handshake and record I/O of a worker's connection.
 */
#ifndef PORTICO_TLS_H
#define PORTICO_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cfload;
struct location;
struct config;
struct conn;
struct server;
struct ssl_cache;

int	tls_configure(struct cfload *);
void	*tls_client_ctx(struct cfload *, const struct location *);
int	tls_connect(struct conn *, void *ctx, const char *name, const char **why);
void	tls_release(struct config *);
int	tls_bind(struct config *, uint32_t gen);
void	tls_rotate(const struct config *);
struct ssl_cache *tls_server_cache(const struct server *);
int	tls_accept(struct conn *, long long timeout);
ssize_t	tls_read(struct conn *, void *, size_t);
ssize_t	tls_write(struct conn *, const void *, size_t);
ssize_t	tls_peek(struct conn *, void *, size_t);
size_t	tls_pending(const struct conn *);
void	tls_close(struct conn *);
const char *tls_protocol(const struct conn *);
const char *tls_cipher(const struct conn *);
int	tls_reused(const struct conn *);

#endif
