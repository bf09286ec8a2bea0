/*
 * The signal-aware wait of a worker or helper process.  SIGTERM and SIGINT
 * end the process at its next wait; SIGQUIT sets wait_quit, which an idle
 * wait answers at once and busy code checks between requests; SIGUSR1
 * reopens the log files; SIGUSR2 is the master asking a worker to drop the
 * connection it waits on, to make room when the pool is full (an idle or
 * head-reading wait answers it).  The master going away takes its children
 * with it.
 *
 * The watch: one more descriptor every poll includes (the open-file cache's
 * inotify descriptor).  When it is readable the wait drains it before
 * returning, and goes on waiting when nothing else is ready; so when a
 * wait reports a caller's descriptor ready, every change notified until
 * then has been applied (wait_watched()).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "wait.h"

volatile sig_atomic_t wait_quit;
static volatile sig_atomic_t wait_term, wait_reopen, wait_shed;
static sigset_t waitmask;		/* what a wait lets through */
static struct log_file *reopen_list;
static void (*quit_hook)(void);

#define NSIGS	5		/* the signals a child handles */
#define POLL_MAX	8	/* descriptors a wait with the watch takes */

static int watch_fd = -1;
static void (*watch_drain)(void);
static bool watched;		/* the last ready wait included the watch */

static void
on_signal(int sig)
{
	switch (sig) {
	case SIGQUIT:
		wait_quit = 1;
		break;
	case SIGUSR1:
		wait_reopen = 1;
		break;
	case SIGUSR2:
		wait_shed = 1;
		break;
	default:
		wait_term = 1;
	}
}

void
wait_setup(struct log_file *logs)
{
	struct sigaction sa;
	sigset_t block;
	static const int sigs[NSIGS] = { SIGTERM, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2 };
	int i;

	reopen_list = logs;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&block);
	for (i = 0; i < NSIGS; i++) {
		sigaction(sigs[i], &sa, NULL);
		sigaddset(&block, sigs[i]);
	}
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	for (i = 0; i < NSIGS; i++)
		sigdelset(&waitmask, sigs[i]);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
}

static void
reopen_logs(void)
{
	struct log_file *lf;

	wait_reopen = 0;
	for (lf = reopen_list; lf != NULL; lf = lf->next)
		if (lf->fd >= 0 && log_file_reopen(lf) != 0)
			log_errno(LV_ALERT, errno, "reopening \"%s\" failed", lf->path);
}

/* After a wait: act on what the signals asked for. */
static void
after_wait(void)
{
	if (wait_term)
		exit(0);
	if (wait_reopen)
		reopen_logs();
}

/* fn runs once, in the first wait_poll() that sees a quit: a worker
 * serving a connection closes its listening sockets then, not after. */
void
wait_at_quit(void (*fn)(void))
{
	quit_hook = fn;
}

static void
run_quit_hook(void)
{
	void (*fn)(void) = quit_hook;

	quit_hook = NULL;
	fn();
}

/*
 * poll(2) with signals let through.  A connection that has not sent its
 * first request yet is in flight, not idle: only the wait between two
 * requests yields to a graceful stop or reload.
 */
enum wait_result
wait_poll(struct pollfd *pfd, nfds_t n, long long timeout_ms,
    enum wait_mode mode)
{
	struct pollfd all[POLL_MAX];
	struct timespec ts;
	int64_t deadline = now.mono_ms + timeout_ms, left;
	bool watch = watch_fd >= 0 && n < POLL_MAX, used;
	int rc;

	watched = false;
	if (watch) {
		memcpy(all, pfd, n * sizeof(*pfd));
		all[n] = (struct pollfd){ watch_fd, POLLIN, 0 };
	}
	for (;;) {
		if (mode == WAIT_IDLE && wait_quit)
			return WAIT_QUIT;
		if (mode != WAIT_BUSY && wait_shed) {
			wait_shed = 0;
			return WAIT_SHED;
		}
		left = deadline - now.mono_ms;
		if (left <= 0)
			return WAIT_TIMEOUT;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		used = watch;
		rc = ppoll(used ? all : pfd, n + used, &ts, &waitmask);
		clock_update();
		after_wait();
		if (wait_quit && quit_hook != NULL)
			run_quit_hook();
		if (rc > 0 && used && all[n].revents != 0) {
			watch_drain();
			watch = watch_fd >= 0;	/* the drain may give up on it */
			if (--rc == 0)
				continue;	/* only the watch: wait on */
		}
		if (rc > 0) {
			if (used)
				memcpy(pfd, all, n * sizeof(*pfd));
			watched = watch;
			return WAIT_READY;
		}
		if (rc == 0 || errno != EINTR)
			return WAIT_TIMEOUT;
	}
}

/* A request to shed that came while there was nothing to shed (the
 * connection ended first) must not hit the next one. */
void
wait_shed_clear(void)
{
	wait_shed = 0;
}

/* epoll_pwait(2) with signals let through: what epoll_pwait returns. */
int
wait_epoll(int ep, struct epoll_event *ev, int max, int timeout_ms)
{
	int rc = epoll_pwait(ep, ev, max, timeout_ms, &waitmask);

	clock_update();
	after_wait();
	return rc;
}

/* Include fd in every poll from now on (-1: none), and call drain when it
 * is readable.  The watch is left out of the accept loop's epoll set: an
 * idle worker serves nothing it could make stale, and need not wake for
 * every change. */
void
wait_watch(int fd, void (*drain)(void))
{
	watch_fd = fd;
	watch_drain = drain;
}

/* Was the caller's descriptor found ready by a poll that also watched the
 * notifications, and were they drained?  Then a request whose first byte
 * was there by that poll sees every change made before it was sent. */
bool
wait_watched(void)
{
	return watched;
}
