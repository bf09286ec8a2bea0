/*
 * HTTP/2 on a client connection (h2.c).
 */
#ifndef PORTICO_H2_H
#define PORTICO_H2_H

#include <stdbool.h>

struct conn;

void	h2_serve(struct conn *);
bool	h2_preface(struct conn *, long long timeout);

#endif
