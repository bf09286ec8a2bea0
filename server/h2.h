/*
 * HTTP/2 on a client connection (h2.c).  h2_serve runs a connection over
 * its socket; the session under it takes and gives bytes (h2_input,
 * h2_output), with no socket of its own.
 */
#ifndef PORTICO_H2_H
#define PORTICO_H2_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct conn;
struct h2;

void		 h2_serve(struct conn *);
bool		 h2_preface(struct conn *, long long timeout);

struct h2	*h2_open(struct conn *);
bool		 h2_input(struct h2 *, const void *, size_t);
ssize_t		 h2_output(struct h2 *, const uint8_t **);
void		 h2_close(struct h2 *);

#endif
