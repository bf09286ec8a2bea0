/*
 * The master process (master.c).
 */
#ifndef PORTICO_MASTER_H
#define PORTICO_MASTER_H

#include <stdbool.h>

struct config;

int	master_run(struct config *, bool foreground);

#endif
