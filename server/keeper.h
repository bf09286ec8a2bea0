/*
 * The connection keeper process (keeper.c).
 */
#ifndef PORTICO_KEEPER_H
#define PORTICO_KEEPER_H

#include <stdbool.h>

struct config;

bool	keeper_needed(const struct config *);
void	keeper_main(struct config *) __attribute__((noreturn));

#endif
