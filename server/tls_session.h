/*
 * TLS sessions shared by every worker: the session cache and the ticket
 * keys in the shared segment (tls_session.c).
 */
#ifndef PORTICO_TLS_SESSION_H
#define PORTICO_TLS_SESSION_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct pool;
struct scope;
struct server;
struct ssl_cache;

#define TLS_TICKET_FILES_MAX	8	/* ssl_session_ticket_key files of a server */

/* configuration time, for each server context */
void	tls_session_setup(void *ssl_ctx, const struct scope *, struct pool *);
int	tls_session_add_key(void *ssl_ctx, const unsigned char *, size_t);

/* master */
int	tls_bind(struct config *, uint32_t gen);
void	tls_rotate(const struct config *);

struct ssl_cache *tls_server_cache(const struct server *);

#endif
