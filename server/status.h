/*
 * The status page handler (status.c).
 */
#ifndef PORTICO_STATUS_H
#define PORTICO_STATUS_H

struct request;

int	status_handle(struct request *);

#endif
