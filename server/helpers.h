/*
 * The master's helper processes (helpers.c): the health checker, and
 * whatever else the master runs beside its workers.  Adding one is a line
 * of the table in helpers.c and a role in shm/scoreboard.h.
 */
#ifndef PORTICO_HELPERS_H
#define PORTICO_HELPERS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct config;
struct sb_slot;

void	helpers_start(struct config *, uint32_t gen);
void	helpers_reload(struct config *, uint32_t gen);
void	helpers_stop(int sig);
bool	helpers_running(int role);
bool	helpers_reaped(const struct sb_slot *, pid_t, int status);

#endif
