/*
 * The master process: owns the listening sockets, the shared segment and
 * the configuration generations; reloads, reopens logs and stops on
 * signals; writes the pid file and the reload verdict beside it, and
 * daemonizes.  Signals arrive through a signalfd, so they are handled in
 * the main loop like any other event.  Its children are the worker pool
 * (prefork.c) and the helper processes (helpers.c); it reaps them all and
 * hands each exit to the one that owns the child.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "cache_zone.h"
#include "child.h"
#include "clock.h"
#include "conf.h"
#include "conf_load.h"
#include "conn_zone.h"
#include "handoff.h"
#include "helpers.h"
#include "limit_conn.h"
#include "listen.h"
#include "log.h"
#include "master.h"
#include "prefork.h"
#include "scoreboard.h"
#include "shm.h"
#include "tls_session.h"
#include "upstream.h"
#include "upstream_state.h"
#include "verdict.h"

#define GENS_MAX	32
#define ARENA_SIZE	(256UL << 20)	/* virtual; pages cost only when used */
#define STOP_GRACE_MS	5000
#define FAILS_PAUSE	10		/* abnormal exits in a second that pause forking */

struct gen {
	struct config	*cf;
	uint32_t	 id;
};

static struct gen gens[GENS_MAX];	/* gens[ngens - 1] is current */
static size_t ngens;
static uint32_t next_gen = 1;
static int sigfd = -1;
static bool stopping, quitting;
static int64_t stop_deadline, pause_until, fail_window;
static int fails;
static char pidfile[PATH_MAX];	/* as written at start: reloads free configs */
static uint64_t pending;	/* a reload waiting for its verdict, 0 = none */
static bool deferred;		/* a SIGHUP waits for a generation to retire */
static struct buf pending_warnings;	/* what it logged at warn */

static struct gen *
current(void)
{
	return &gens[ngens - 1];
}

/* Once a second, and whenever a signal or a worker wakes the master. */
static void
maintain(void)
{
	struct gen *g = current();

	clock_update();
	if (stopping || quitting || now.mono_ms < pause_until)
		return;
	tls_rotate(g->cf);
	helpers_start(g->cf, g->id);
	prefork_maintain(g->cf, g->id);
}

/* Drop generations whose workers are all gone, with what only they used. */
static void
retire_generations(void)
{
	size_t i, j = 0;

	for (i = 0; i + 1 < ngens; i++) {
		if (prefork_count(gens[i].id) > 0) {
			gens[j++] = gens[i];
			continue;
		}
		logmsg(LV_INFO, "configuration generation %u retired", gens[i].id);
		conf_free(gens[i].cf);
	}
	gens[j++] = gens[ngens - 1];
	ngens = j;
	shm_zones_sweep(gens[0].id);
	uz_sweep(gens[0].id);
}

/* Children that keep dying pause forking for a second. */
static void
note_failure(void)
{
	clock_update();
	if (now.mono_ms - fail_window > 1000) {
		fail_window = now.mono_ms;
		fails = 0;
	}
	if (++fails >= FAILS_PAUSE) {
		logmsg(LV_ALERT, "workers keep failing; pausing spawning for a second");
		pause_until = now.mono_ms + 1000;
		fails = 0;
	}
}

/* A child died: the cache fills it held are free (in every live
 * configuration's caches: old workers may use zones the current one
 * dropped). */
static void
repair(pid_t pid)
{
	size_t i;

	for (i = 0; i < ngens; i++)
		cache_repair(gens[i].cf, pid);
}

static void
reap(void)
{
	int status, slot;
	pid_t pid;
	bool failed;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((slot = sb_slot_of(pid)) < 0)
			continue;	/* not a child of ours: nothing to keep */
		if (sb->slots[slot].role == SB_WORKER)
			failed = prefork_reaped(&sb->slots[slot], pid, status,
			    current()->id);
		else
			failed = helpers_reaped(&sb->slots[slot], pid, status);
		if (sb->slots[slot].role == SB_KEEPER)
			sb->keeper_draining = 0;	/* what it held is gone */
		cz_release_slot(&sb->slots[slot]);
		sb_release(slot);
		if (failed) {
			repair(pid);
			note_failure();
		}
	}
	if (ngens > 1)
		retire_generations();
}

static void
set_logging(const struct config *cf)
{
	log_set_main(cf->sc.error_log);
	log_level = cf->main.log_level;
}

/* Load the configuration again, with its sockets and shared zones: the
 * new configuration, or NULL (what went wrong is logged). */
static struct config *
reload_config(void)
{
	struct config *cf = conf_load(current()->cf->file, true);

	if (cf == NULL)
		return NULL;
	if (listen_open(cf) != 0 || upstream_bind(cf, next_gen) != 0 ||
	    tls_bind(cf, next_gen) != 0 || limit_conn_bind(cf, next_gen) != 0 ||
	    cache_bind(cf, next_gen) != 0) {
		listen_close_unused(current()->cf);
		conf_free(cf);
		return NULL;
	}
	return cf;
}

/* A reload done loading gets its verdict once its workers accept. */
static void
reload_done(void)
{
	if (pending == 0)
		return;
	verdict_publish(pending, current()->id, false, pending_warnings.p);
	buf_free(&pending_warnings);
	pending = 0;
}

/*
 * SIGHUP.  The new generation's workers start before the old ones are
 * told to quit (prefork.c); sockets the new configuration no longer
 * listens on close at once, in the master now and in the old workers
 * when they are told.  The verdict goes to the reload page, for
 * `portico -s reload`, once the new workers accept.
 */
static void
reload(void)
{
	struct config *cf = NULL;
	struct buf errors = { 0 };
	uint64_t n;

	if (ngens == GENS_MAX) {
		if (!deferred)
			logmsg(LV_WARN, "%zu configurations still draining; the "
			    "reload waits for the oldest to finish", ngens - 1);
		deferred = true;
		return;
	}
	deferred = false;
	reload_done();		/* this one overtakes it */
	logmsg(LV_NOTICE, "signal HUP received, reconfiguring");
	n = verdict_begin();
	log_capture(&errors);
	cf = reload_config();
	log_capture(NULL);
	buf_addc(&errors, '\0');
	if (cf == NULL) {
		logmsg(LV_ERROR, "reload failed: keeping the running configuration");
		verdict_publish(n, current()->id, true, errors.p);
		buf_free(&errors);
		return;
	}
	gens[ngens].cf = cf;
	gens[ngens].id = next_gen++;
	ngens++;
	set_logging(cf);
	listen_close_unused(cf);
	prefork_reload(cf, current()->id, gens[ngens - 2].id);
	helpers_reload(cf, current()->id);
	logmsg(LV_NOTICE, "reconfigured: generation %u", current()->id);
	pending = n;
	pending_warnings = errors;
}

/* sig to every child, workers and helpers alike. */
static void
signal_children(int sig)
{
	uint32_t i;

	for (i = 0; i < sb->high; i++)
		if (sb->slots[i].pid > 1)
			kill(sb->slots[i].pid, sig);
}

/* Reopen every log file; hand them to the worker user so workers can
 * reopen them too. */
static void
reopen(void)
{
	struct log_file *lf;
	struct passwd *pw = geteuid() == 0 ?
	    getpwnam(current()->cf->main.user) : NULL;
	size_t i;

	logmsg(LV_NOTICE, "signal USR1 received, reopening logs");
	for (i = 0; i < ngens; i++)
		for (lf = gens[i].cf->logs; lf != NULL; lf = lf->next) {
			if (lf->fd < 0 || lf->path == NULL)
				continue;
			if (log_file_reopen(lf) != 0) {
				log_errno(LV_ALERT, errno, "reopening \"%s\" failed", lf->path);
				continue;
			}
			if (pw != NULL && fchown(lf->fd, pw->pw_uid, (gid_t)-1) != 0)
				log_errno(LV_ALERT, errno, "chown() \"%s\" failed", lf->path);
		}
	signal_children(SIGUSR1);
}

static void
handle_signals(void)
{
	struct signalfd_siginfo si;

	while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap();
			break;
		case SIGHUP:
			if (!stopping && !quitting)
				reload();
			break;
		case SIGUSR1:
			reopen();
			break;
		case SIGQUIT:
			if (quitting || stopping)
				break;
			logmsg(LV_NOTICE, "signal QUIT received, shutting down gracefully");
			quitting = true;
			reload_done();
			verdict_stopping();
			listen_close_unused(NULL);
			sb->keeper_draining = helpers_running(SB_KEEPER);
			helpers_stop(SIGQUIT);
			prefork_shutdown(SIGQUIT);
			break;
		case SIGTERM:
		case SIGINT:
			if (stopping)
				break;
			logmsg(LV_NOTICE, "signal %d received, exiting", (int)si.ssi_signo);
			stopping = true;
			reload_done();
			verdict_stopping();
			clock_update();
			stop_deadline = now.mono_ms + STOP_GRACE_MS;
			helpers_stop(SIGTERM);
			prefork_shutdown(SIGTERM);
			break;
		}
	}
}

static void
setup_signals(void)
{
	sigset_t set;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sigfd < 0)
		fatal("signalfd() failed: %s", strerror(errno));
	child_init(sigfd);
}

static int
write_pidfile(const char *path)
{
	FILE *f = fopen(path, "we");

	if (f == NULL) {
		log_errno(LV_EMERG, errno, "open() \"%s\" failed", path);
		return -1;
	}
	fprintf(f, "%d\n", (int)getpid());
	if (fclose(f) != 0) {
		log_errno(LV_EMERG, errno, "write() to \"%s\" failed", path);
		return -1;
	}
	return 0;
}

static void
remove_pidfile(void)
{
	FILE *f = fopen(pidfile, "re");
	int pid = 0;

	if (f == NULL)
		return;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid == (int)getpid())
		unlink(pidfile);
}

/*
 * Fork into the background.  The parent waits until the daemon reports
 * it is serving (or fails), so "portico" returns only once the pid file
 * exists, and with the daemon's verdict as its exit status.
 */
static int
daemonize(void)
{
	int ready[2];
	pid_t pid;
	char c;

	if (pipe2(ready, O_CLOEXEC) != 0)
		fatal("pipe2() failed: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		fatal("fork() failed: %s", strerror(errno));
	if (pid > 0) {
		/* _exit: the configuration and stdio buffers belong to the
		 * daemon now; nothing here is ours to flush or free. */
		close(ready[1]);
		_exit(read(ready[0], &c, 1) == 1 ? 0 : 1);
	}
	close(ready[0]);
	setsid();
	return ready[1];
}

static void
detach_stdio(int ready_fd)
{
	int null = open("/dev/null", O_RDWR);

	if (ready_fd >= 0) {
		(void)write(ready_fd, "", 1);
		close(ready_fd);
	}
	if (null < 0)
		return;
	dup2(null, 0);
	dup2(null, 1);
	if (log_main()->fd != 2)
		dup2(null, 2);
	if (null > 2)
		close(null);
}

int
master_run(struct config *cf, bool foreground)
{
	int ready = -1;
	struct pollfd pfd[2];

	/* Before a socket is bound: once the port answers, a signal (a
	 * reload, say) must be queued, not kill the master. */
	setup_signals();
	if (listen_open(cf) != 0)
		return 1;
	if (handoff_open() != 0 ||
	    shm_create(ARENA_SIZE) != 0 || sb_init() != 0 || uz_init() != 0 ||
	    upstream_bind(cf, next_gen) != 0 || tls_bind(cf, next_gen) != 0 ||
	    limit_conn_bind(cf, next_gen) != 0 || cache_bind(cf, next_gen) != 0)
		return 1;
	if (!foreground)
		ready = daemonize();
	gens[0].cf = cf;
	gens[0].id = next_gen++;
	ngens = 1;
	snprintf(pidfile, sizeof(pidfile), "%s", cf->main.pid);
	if (write_pidfile(pidfile) != 0 || verdict_create(pidfile, gens[0].id) != 0)
		return 1;
	set_logging(cf);
	conf_log_warnings(cf);		/* stderr had them: not again */
	log_foreground = foreground;
	conf_report_to_log(true);
	logmsg(LV_NOTICE, "%s/%s started, master process %d", PACKAGE_NAME,
	    PACKAGE_VERSION, (int)getpid());
	/* Before the first fork: children must not hold the terminal (or a
	 * pipe the caller waits on). */
	if (!foreground)
		detach_stdio(ready);
	helpers_start(cf, gens[0].id);
	prefork_spawn(cf, gens[0].id, cf->main.workers.start);
	pfd[0] = (struct pollfd){ sigfd, POLLIN, 0 };
	pfd[1] = (struct pollfd){ child_notify_fd(), POLLIN, 0 };
	for (;;) {
		if (!prefork_handing_over())
			reload_done();
		if (poll(pfd, 2, prefork_poll_ms()) < 0 && errno != EINTR)
			fatal("poll() failed: %s", strerror(errno));
		if (pfd[0].revents & POLLIN)
			handle_signals();
		child_notify_drain();
		if (deferred && ngens < GENS_MAX && !stopping && !quitting)
			reload();
		if ((stopping || quitting) && sb_count(-1, -1, -1) == 0)
			break;
		clock_update();
		if (stopping && now.mono_ms > stop_deadline) {
			logmsg(LV_WARN, "workers did not stop in time; killing them");
			signal_children(SIGKILL);
			stop_deadline = now.mono_ms + STOP_GRACE_MS;
		}
		maintain();
	}
	logmsg(LV_NOTICE, "exiting");
	remove_pidfile();
	verdict_remove();
	return 0;
}
