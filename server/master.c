/*
 * The master process: owns the listening sockets, the shared segment and
 * the configuration generations; keeps between min_spare and max_spare
 * idle workers (spawning the whole deficit at once, retiring one surplus
 * worker a second); reaps and replaces workers; reloads, reopens logs and
 * stops on signals.  Signals arrive through a signalfd, so they are handled
 * in the main loop like any other event.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

#include "clock.h"
#include "conf.h"
#include "conf_load.h"
#include "conn_zone.h"
#include "handoff.h"
#include "health.h"
#include "keeper.h"
#include "limit_conn.h"
#include "listen.h"
#include "log.h"
#include "master.h"
#include "scoreboard.h"
#include "shed.h"
#include "shm.h"
#include "tls_session.h"
#include "upstream.h"
#include "upstream_state.h"
#include "worker.h"

#define GENS_MAX	32
#define ARENA_SIZE	(256UL << 20)	/* virtual; pages cost only when used */
#define STOP_GRACE_MS	5000
#define FAILS_PAUSE	10		/* abnormal exits in a second that pause spawning */

struct gen {
	struct config	*cf;
	uint32_t	 id;
};

static struct gen gens[GENS_MAX];	/* gens[ngens - 1] is current */
static size_t ngens;
static uint32_t next_gen = 1;
static int sigfd = -1, notify[2] = { -1, -1 };
static bool stopping, quitting;
static int64_t stop_deadline, last_shrink, pause_until, fail_window;
static int fails;
static int replace;		/* workers that died and must be replaced */
static char pidfile[PATH_MAX];	/* as written at start: reloads free configs */
static pid_t health_pid;
static bool health_wanted;
static pid_t keeper_pid;

#define KEEPER_GEN	UINT32_MAX	/* the keeper outlives generations */
#define SHED_BATCH	32		/* connections dropped at once, at most */
#define SHED_PAUSE_MS	10		/* between two batches */
#define FULL_POLL_MS	20		/* how often a full pool is looked at */

static bool pool_full;
static int64_t shed_after, max_warned = INT64_MIN / 2;

static struct gen *
current(void)
{
	return &gens[ngens - 1];
}

static int
spawn(struct gen *g)
{
	int slot;
	pid_t pid;

	slot = sb_claim(1, g->id);	/* 1 holds the slot until fork returns */
	if (slot < 0) {
		logmsg(LV_ALERT, "no free scoreboard slot for a new worker");
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		log_errno(LV_ALERT, errno, "fork() failed");
		sb_release(slot);
		return -1;
	}
	if (pid == 0) {
		close(sigfd);
		close(notify[0]);
		worker_main(g->cf, slot, notify[1]);
	}
	sb->slots[slot].pid = pid;
	logmsg(LV_INFO, "started worker process %d", (int)pid);
	return 0;
}

/* The health checker runs with the current configuration, when any
 * upstream asks for checks. */
static void
health_spawn(void)
{
	pid_t pid;

	if (!health_needed(current()->cf) || health_pid > 0)
		return;
	pid = fork();
	if (pid < 0) {
		log_errno(LV_ALERT, errno, "fork() of the health checker failed");
		return;
	}
	if (pid == 0) {
		close(sigfd);
		close(notify[0]);
		health_main(current()->cf);
	}
	health_pid = pid;
	logmsg(LV_INFO, "started health checker process %d", (int)pid);
}

/* The connection keeper: one for the server's life, kept across reloads
 * (it holds client connections), restarted when it dies. */
static void
keeper_spawn(void)
{
	pid_t pid;
	int slot;

	if (keeper_pid > 0 || !keeper_needed(current()->cf))
		return;
	if ((slot = sb_claim(1, KEEPER_GEN)) < 0) {
		logmsg(LV_ALERT, "no free scoreboard slot for the connection keeper");
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_errno(LV_ALERT, errno, "fork() of the connection keeper failed");
		sb_release(slot);
		return;
	}
	if (pid == 0) {
		close(sigfd);
		close(notify[0]);
		sb_attach(slot);
		keeper_main(current()->cf);
	}
	sb->slots[slot].pid = pid;
	keeper_pid = pid;
	logmsg(LV_INFO, "started connection keeper process %d", (int)pid);
}

static void
health_stop(void)
{
	if (health_pid > 0)
		kill(health_pid, SIGTERM);
}

/* Idle workers of the current generation that are not on their way out. */
static int
count_idle(uint32_t gen, pid_t *one)
{
	uint32_t i;
	int n = 0;

	for (i = 0; i < sb->high; i++) {
		struct sb_slot *s = &sb->slots[i];
		if (s->pid == 0 || s->gen != gen || s->retiring)
			continue;
		if (s->state == SB_IDLE || s->state == SB_STARTING) {
			n++;
			if (one != NULL && s->state == SB_IDLE)
				*one = s->pid;
		}
	}
	return n;
}

/* Clients waiting for a worker: connections in the listeners' accept
 * queues (TCP_INFO's unacked, for a listening socket) and hand-backs from
 * the keeper. */
static int
waiting(const struct config *cf)
{
	struct pollfd back = { handoff_fd(HANDOFF_BACK, false), POLLIN, 0 };
	struct tcp_info ti;
	socklen_t len;
	size_t i;
	int n = poll(&back, 1, 0) == 1;

	for (i = 0; i < cf->nlisteners; i++) {
		len = sizeof(ti);
		if (getsockopt(cf->listeners[i].fd, IPPROTO_TCP, TCP_INFO, &ti,
		    &len) == 0)
			n += (int)ti.tcpi_unacked;
	}
	return n;
}

/* Every worker busy at workers.max and a client waiting: have workers drop
 * connections that hold them without work (shed.c), a batch at a time,
 * then give the waiting clients a moment to take the room made. */
static bool
make_room(const struct config *cf, int total)
{
	struct shed_victim v[SHED_BATCH];
	size_t n, i;
	int want;

	if (total < cf->main.workers.max || sb_count(SB_IDLE, -1) > 0)
		return false;
	if (now.mono_ms - max_warned >= 60000) {
		logmsg(LV_WARN, "all %lld workers are busy (workers.max): new "
		    "connections wait, idle ones are closed to make room",
		    cf->main.workers.max);
		max_warned = now.mono_ms;
	}
	if (now.mono_ms < shed_after || (want = waiting(cf)) == 0)
		return true;
	n = shed_choose(sb, now.msec, cf->main.client_header_min_rate, v,
	    want < SHED_BATCH ? (size_t)want : SHED_BATCH);
	for (i = 0; i < n; i++) {
		kill(sb->slots[v[i].slot].pid, SIGUSR2);
		if (v[i].reason == SHED_IDLE)
			sb->shed_idle++;
		else
			sb->shed_slow++;
	}
	shed_after = now.mono_ms + SHED_PAUSE_MS;
	return true;
}

static void
maintain(void)
{
	struct gen *g = current();
	const struct workers_conf *w = &g->cf->main.workers;
	pid_t victim = 0;
	int idle, total, n;

	clock_update();
	if (stopping || quitting || now.mono_ms < pause_until)
		return;
	if (health_pid == 0) {
		health_wanted = true;
		health_spawn();
	}
	keeper_spawn();
	tls_rotate(g->cf);
	idle = count_idle(g->id, &victim);
	total = sb_count(-1, -1) - (keeper_pid > 0);
	pool_full = make_room(g->cf, total);
	if (idle < w->min_spare || total == 0 || replace > 0) {
		n = (int)w->min_spare - idle;
		if (n < replace)
			n = replace;
		if (n < 1)
			n = 1;
		replace = 0;
		if (n > w->max - total)
			n = (int)w->max - total;
		while (n-- > 0 && spawn(g) == 0)
			;
	} else if (idle > w->max_spare && victim != 0 &&
	    now.mono_ms - last_shrink >= 1000) {
		sb->slots[sb_slot_of(victim)].retiring = 1;
		kill(victim, SIGQUIT);
		last_shrink = now.mono_ms;
	}
}

static void
signal_gen(int sig, bool old_only)
{
	uint32_t i;

	for (i = 0; i < sb->high; i++) {
		struct sb_slot *s = &sb->slots[i];
		if (s->pid <= 1 || (old_only && (s->gen == current()->id ||
		    s->gen == KEEPER_GEN)))
			continue;
		if (sig == SIGQUIT)
			s->retiring = 1;
		kill(s->pid, sig);
	}
}

/* Drop generations whose workers are all gone, with what only they used. */
static void
retire_generations(void)
{
	const struct config *live[GENS_MAX];
	size_t i, j = 0;

	for (i = 0; i + 1 < ngens; i++) {
		if (sb_count(-1, gens[i].id) > 0) {
			gens[j++] = gens[i];
			continue;
		}
		logmsg(LV_INFO, "configuration generation %u retired", gens[i].id);
		conf_free(gens[i].cf);
	}
	gens[j++] = gens[ngens - 1];
	ngens = j;
	for (i = 0; i < ngens; i++)
		live[i] = gens[i].cf;
	listen_close_unused(live, ngens);
	shm_zones_sweep(gens[0].id);
	uz_sweep(gens[0].id);
}

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

static void
reap(void)
{
	int status, slot;
	pid_t pid;
	bool expected;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		bool current_gen;

		if (pid == health_pid) {
			health_pid = 0;
			if (!health_wanted)
				continue;
			logmsg(LV_ALERT, "health checker process %d exited unexpectedly; "
			    "restarting it", (int)pid);
			note_failure();
			continue;
		}
		slot = sb_slot_of(pid);
		if (pid == keeper_pid) {
			keeper_pid = 0;
			if (slot >= 0)
				sb_release(slot);
			if (!stopping && !quitting) {
				logmsg(LV_ALERT, "connection keeper process %d exited "
				    "unexpectedly; restarting it", (int)pid);
				note_failure();
			}
			continue;
		}
		expected = slot >= 0 && sb->slots[slot].retiring;
		current_gen = slot >= 0 && sb->slots[slot].gen == current()->id;
		if (slot >= 0) {
			cz_release_slot(&sb->slots[slot]);
			sb_release(slot);
		}
		if (!expected && current_gen && !stopping && !quitting &&
		    (WIFSIGNALED(status) || WEXITSTATUS(status) != 0))
			replace++;	/* a dead worker is replaced, whatever the idle count */
		if (WIFSIGNALED(status)) {
			logmsg(stopping && WTERMSIG(status) == SIGKILL ? LV_WARN : LV_ALERT,
			    "worker process %d exited on signal %d%s", (int)pid,
			    WTERMSIG(status), WCOREDUMP(status) ? " (core dumped)" : "");
			if (!stopping)		/* killed by us, after the grace */
				note_failure();
		} else if (WEXITSTATUS(status) != 0) {
			logmsg(LV_ALERT, "worker process %d exited with code %d",
			    (int)pid, WEXITSTATUS(status));
			note_failure();
		} else
			logmsg(expected || stopping || quitting ? LV_INFO : LV_NOTICE,
			    "worker process %d exited with code 0", (int)pid);
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

static void
reload(void)
{
	struct config *cf;
	const struct config *live[GENS_MAX];
	size_t i;
	int n;

	logmsg(LV_NOTICE, "signal HUP received, reconfiguring");
	if (ngens == GENS_MAX) {
		logmsg(LV_ERROR, "too many configurations still draining; reload refused");
		return;
	}
	cf = conf_load(current()->cf->file, true);
	if (cf == NULL) {
		logmsg(LV_ERROR, "reload failed: keeping the running configuration");
		return;
	}
	if (listen_open(cf) != 0 || upstream_bind(cf, next_gen) != 0 ||
	    tls_bind(cf, next_gen) != 0 || limit_conn_bind(cf, next_gen) != 0) {
		for (i = 0; i < ngens; i++)
			live[i] = gens[i].cf;
		listen_close_unused(live, ngens);
		conf_free(cf);
		logmsg(LV_ERROR, "reload failed: keeping the running configuration");
		return;
	}
	gens[ngens].cf = cf;
	gens[ngens].id = next_gen++;
	ngens++;
	set_logging(cf);
	signal_gen(SIGQUIT, true);
	health_wanted = false;		/* the old one's exit is expected */
	health_stop();
	for (n = 0; n < cf->main.workers.start; n++)
		if (spawn(current()) != 0)
			break;
	logmsg(LV_NOTICE, "reconfigured: generation %u", current()->id);
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
	signal_gen(SIGUSR1, false);
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
			health_wanted = false;
			health_stop();
			listen_close_unused(NULL, 0);
			signal_gen(SIGQUIT, false);
			break;
		case SIGTERM:
		case SIGINT:
			if (stopping)
				break;
			logmsg(LV_NOTICE, "signal %d received, exiting", (int)si.ssi_signo);
			stopping = true;
			clock_update();
			stop_deadline = now.mono_ms + STOP_GRACE_MS;
			health_wanted = false;
			health_stop();
			signal_gen(SIGTERM, false);
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
	if (pipe2(notify, O_NONBLOCK | O_CLOEXEC) != 0)
		fatal("pipe2() failed: %s", strerror(errno));
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
	int ready = -1, n;
	struct pollfd pfd[2];
	char drain[256];

	if (listen_open(cf) != 0)
		return 1;
	if (handoff_open() != 0 ||
	    shm_create(ARENA_SIZE) != 0 || sb_init() != 0 || uz_init() != 0 ||
	    upstream_bind(cf, next_gen) != 0 || tls_bind(cf, next_gen) != 0 ||
	    limit_conn_bind(cf, next_gen) != 0)
		return 1;
	if (!foreground)
		ready = daemonize();
	snprintf(pidfile, sizeof(pidfile), "%s", cf->main.pid);
	if (write_pidfile(pidfile) != 0)
		return 1;
	gens[0].cf = cf;
	gens[0].id = next_gen++;
	ngens = 1;
	set_logging(cf);
	conf_log_warnings(cf);		/* stderr had them: not again */
	log_foreground = foreground;
	conf_report_to_log(true);
	setup_signals();
	logmsg(LV_NOTICE, "%s/%s started, master process %d", PACKAGE_NAME,
	    PACKAGE_VERSION, (int)getpid());
	/* Before the first fork: workers must not hold the terminal (or a
	 * pipe the caller waits on). */
	if (!foreground)
		detach_stdio(ready);
	for (n = 0; n < cf->main.workers.start; n++)
		if (spawn(current()) != 0)
			break;
	keeper_spawn();
	pfd[0] = (struct pollfd){ sigfd, POLLIN, 0 };
	pfd[1] = (struct pollfd){ notify[0], POLLIN, 0 };
	for (;;) {
		if (poll(pfd, 2, pool_full ? FULL_POLL_MS : 1000) < 0 && errno != EINTR)
			fatal("poll() failed: %s", strerror(errno));
		if (pfd[0].revents & POLLIN)
			handle_signals();
		while (read(notify[0], drain, sizeof(drain)) > 0)
			;
		if ((stopping || quitting) && sb_count(-1, -1) == 0 && health_pid == 0)
			break;
		clock_update();
		if (stopping && now.mono_ms > stop_deadline) {
			logmsg(LV_WARN, "workers did not stop in time; killing them");
			signal_gen(SIGKILL, false);
			stop_deadline = now.mono_ms + STOP_GRACE_MS;
		}
		maintain();
	}
	logmsg(LV_NOTICE, "exiting");
	remove_pidfile();
	return 0;
}
