/*
 * The master's worker pool (prefork.c).
 */
#ifndef PORTICO_PREFORK_H
#define PORTICO_PREFORK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct config;
struct sb_slot;

void	prefork_spawn(struct config *, uint32_t gen, int n);
void	prefork_reload(struct config *, uint32_t gen, uint32_t previous);
bool	prefork_handing_over(void);
int	prefork_poll_ms(void);
void	prefork_maintain(struct config *, uint32_t gen);
void	prefork_shutdown(int sig);
int	prefork_count(int64_t gen);
bool	prefork_reaped(const struct sb_slot *, pid_t, int status, uint32_t current);

#endif
