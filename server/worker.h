/*
 * A worker process: accepts one connection at a time on the listening
 * sockets it inherited and serves it to the end.
 */
#ifndef PORTICO_WORKER_H
#define PORTICO_WORKER_H

#include <poll.h>
#include <signal.h>
#include <stdbool.h>

struct config;

extern volatile sig_atomic_t worker_quit;	/* finish the current request, exit */

void			 worker_main(struct config *, int slot, int notify_fd)
			    __attribute__((noreturn));
struct config		*worker_config(void);
void			 worker_drop_privileges(const struct config *);
int			 worker_poll(struct pollfd *, nfds_t, long long timeout_ms,
			    bool idle);

#endif
