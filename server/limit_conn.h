/*
 * limit_conn: how many requests of one key (a client address, a server
 * name, any template) may be in progress at once, counted across all
 * workers in the shared zones of limit_conn_zone.
 */
#ifndef PORTICO_LIMIT_CONN_H
#define PORTICO_LIMIT_CONN_H

#include <stdint.h>

struct config;
struct request;

int	limit_conn_bind(struct config *, uint32_t gen);
int	limit_conn_check(struct request *);
void	limit_conn_release(struct request *);

#endif
