/*
 * The active health checker process (health.c).
 */
#ifndef PORTICO_HEALTH_H
#define PORTICO_HEALTH_H

#include <stdbool.h>

struct config;

bool	health_needed(const struct config *);
void	health_main(struct config *) __attribute__((noreturn));

#endif
