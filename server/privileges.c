/*
 * A child of the master started as root becomes the configured user before
 * it touches a client or an upstream; the master keeps root for binding
 * ports and reading keys on reload.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "privileges.h"

void
privileges_drop(const struct config *config)
{
	const struct main_conf *m = &config->main;

	if (geteuid() != 0)
		return;
	if (setgroups((size_t)m->ngroups, m->groups) != 0 || setgid(m->gid) != 0 ||
	    setuid(m->uid) != 0)
		fatal("cannot switch to user \"%s\": %s", m->user, strerror(errno));
	/* setuid clears the parent-death signal; set it again. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
}
