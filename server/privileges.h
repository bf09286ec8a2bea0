/*
 * Dropping root in a child of the master (privileges.c).
 */
#ifndef PORTICO_PRIVILEGES_H
#define PORTICO_PRIVILEGES_H

struct config;

void	privileges_drop(const struct config *);

#endif
