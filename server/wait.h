/*
 * How a child of the master waits (wait.c): signals are blocked while it
 * works and let through only while it waits, so a handler never interrupts
 * half-done work and a signal that arrives while busy is seen at the next
 * wait.  Everything below the accept loop that blocks, blocks here, and
 * takes the time once when it wakes up (clock.h's now).  A worker's
 * open-file cache has every wait also watch its change notifications
 * (wait_watch), so that a change is applied before a request that came
 * after it is served.
 */
#ifndef PORTICO_WAIT_H
#define PORTICO_WAIT_H

#include <poll.h>
#include <signal.h>
#include <stdbool.h>

struct epoll_event;
struct log_file;

/* Set by SIGQUIT: finish what is in flight, take nothing new, exit. */
extern volatile sig_atomic_t wait_quit;

/* What the caller is doing, which says what may end its wait early. */
enum wait_mode {
	WAIT_BUSY,		/* finishing work in flight: only its events */
	WAIT_HEAD,		/* waiting for a request head: in flight, but the
				 * master may shed it to make room (SIGUSR2) */
	WAIT_IDLE,		/* between requests: quitting or shedding ends it */
};

enum wait_result { WAIT_TIMEOUT, WAIT_READY, WAIT_QUIT, WAIT_SHED };

void	wait_setup(struct log_file *logs);
void	wait_shed_clear(void);
void	wait_at_quit(void (*fn)(void));
enum wait_result wait_poll(struct pollfd *, nfds_t, long long timeout_ms,
	    enum wait_mode);
int	wait_epoll(int ep, struct epoll_event *, int max, int timeout_ms);
void	wait_watch(int fd, void (*drain)(void));
bool	wait_watched(void);

#endif
