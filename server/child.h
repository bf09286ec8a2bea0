/*
 * Forking the master's children (child.c): workers and helpers alike get
 * a scoreboard slot and keep none of the master's own descriptors.
 */
#ifndef PORTICO_CHILD_H
#define PORTICO_CHILD_H

#include <stdint.h>
#include <sys/types.h>

struct config;

void	child_init(int sigfd);
int	child_notify_fd(void);
void	child_notify_drain(void);
int	child_notify_writer(void);
pid_t	child_fork(int role, uint32_t gen, const struct config *keep, int *slot);

#endif
