/*
 * Forking a child of the master, whatever its role.  The child's
 * scoreboard slot is claimed before the fork, so the master never meets a
 * child it has no slot for.  In the child, the descriptors only the master
 * may hold are closed at once: its signalfd, the read end of the notify
 * pipe, the reload verdict page, and every listening socket the child's
 * configuration does not use (a helper uses none).  A worker keeps the write end of the notify pipe,
 * through which it wakes the master when the idle pool runs low; a helper
 * closes it too.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "listen.h"
#include "log.h"
#include "scoreboard.h"
#include "verdict.h"

static int master_sigfd = -1, notify[2] = { -1, -1 };

void
child_init(int sigfd)
{
	master_sigfd = sigfd;
	if (pipe2(notify, O_NONBLOCK | O_CLOEXEC) != 0)
		fatal("pipe2() failed: %s", strerror(errno));
}

int
child_notify_fd(void)
{
	return notify[0];
}

/* What workers wrote to wake the master up: nothing to read but the wake. */
void
child_notify_drain(void)
{
	char drain[256];

	while (read(notify[0], drain, sizeof(drain)) > 0)
		;
}

int
child_notify_writer(void)
{
	return notify[1];
}

static void
in_child(int role, const struct config *keep)
{
	close(master_sigfd);
	close(notify[0]);
	if (role != SB_WORKER) {
		close(notify[1]);
		notify[1] = -1;
	}
	listen_close_unused(keep);
	verdict_close();
}

/*
 * Fork a child of role for configuration generation gen.  Returns its pid
 * in the master (the slot already names it), 0 in the child, -1 when no
 * child could be made (logged).  keep: the configuration whose listening
 * sockets the child keeps, NULL for none.
 */
pid_t
child_fork(int role, uint32_t gen, const struct config *keep, int *slot)
{
	pid_t pid;

	*slot = sb_claim(1, gen, role);	/* 1 holds the slot until fork returns */
	if (*slot < 0) {
		logmsg(LV_ALERT, "no free scoreboard slot for a new %s process",
		    sb_role_name(role));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		log_errno(LV_ALERT, errno, "fork() of a %s process failed",
		    sb_role_name(role));
		sb_release(*slot);
		return -1;
	}
	if (pid == 0) {
		in_child(role, keep);
		return 0;
	}
	sb->slots[*slot].pid = pid;
	logmsg(LV_INFO, "started %s process %d", sb_role_name(role), (int)pid);
	return pid;
}
