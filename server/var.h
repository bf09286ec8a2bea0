/*
 * Variables: the table of names usable in templates and how each is
 * computed for a request.
 */
#ifndef PORTICO_VAR_H
#define PORTICO_VAR_H

#include <stddef.h>

#include "str.h"

struct buf;
struct conn;
struct request;

int	var_lookup(const char *name, size_t len, struct str *arg);
void	var_eval(int var, struct str arg, struct request *, struct buf *);
void	var_eval_log(int var, struct str arg, struct request *, struct buf *);
int	conn_local_port(struct conn *);

#endif
