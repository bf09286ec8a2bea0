/*
 * portico(8): the command line.  Checks the configuration (-t, -T), sends
 * signals to a running master (-s), prints versions, or starts the master.
 */
#include "config.h"

#include <errno.h>
#include <jemalloc/jemalloc.h>
#include <libconfig.h>
#include <nghttp2/nghttp2.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "conf.h"
#include "conf_load.h"
#include "log.h"
#include "master.h"
#include "verdict.h"

#define DEFAULT_CONF	SYSCONFDIR "/portico/portico.conf"
#define DEFAULT_PID	RUNSTATEDIR "/portico.pid"
#define RELOAD_WAIT	5	/* seconds -s reload waits for the verdict */

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: portico [-c file] [-t | -T] [-q] [-f] "
	    "[-s stop|quit|reload|reopen] [-w seconds] [-v | -V] [-h]\n"
	    "  -c file   configuration file (default: %s)\n"
	    "  -t        check the configuration and exit\n"
	    "  -T        check, then print the effective configuration\n"
	    "  -q        with -t: print only errors\n"
	    "  -f        stay in the foreground\n"
	    "  -s signal send a signal to the master: stop, quit, reload, reopen\n"
	    "  -w secs   with -s reload: wait this long for the verdict (default %d,\n"
	    "            0: do not wait)\n"
	    "  -v        print the version\n"
	    "  -V        print the version and build details\n"
	    "  -h        print this help\n", DEFAULT_CONF, RELOAD_WAIT);
}

static void
version(bool details)
{
	const char *jv = NULL;
	size_t len = sizeof(jv);
	char pcre[64];

	printf("portico version: %s/%s\n", PACKAGE_NAME, PACKAGE_VERSION);
	if (!details)
		return;
#ifdef PORTICO_SANITIZERS
	(void)len;
	jv = "not in use (AddressSanitizer brings its own allocator)";
#else
	if (mallctl("version", &jv, &len, NULL, 0) != 0)
		jv = "not in use";
#endif
	pcre2_config(PCRE2_CONFIG_VERSION, pcre);
	printf("configure arguments: %s\n", PORTICO_CONFIGURE_ARGS);
	printf("built with %s, running with %s\n", OPENSSL_VERSION_TEXT,
	    OpenSSL_version(OPENSSL_VERSION));
	printf("libconfig %d.%d.%d\n", LIBCONFIG_VER_MAJOR, LIBCONFIG_VER_MINOR,
	    LIBCONFIG_VER_REVISION);
	printf("jemalloc %s\n", jv);
	printf("nghttp2 %s\n", nghttp2_version(0)->version_str);
	printf("zlib %s\n", zlibVersion());
	printf("PCRE2 %s\n", pcre);
}

static int
test_config(const char *file, bool quiet, bool dump)
{
	struct config *cf = conf_load(file, true);

	if (cf == NULL) {
		fprintf(stderr, "portico: configuration file %s test failed\n", file);
		return 1;
	}
	if (!quiet) {
		fprintf(stderr, "portico: the configuration file %s syntax is ok\n", file);
		fprintf(stderr, "portico: configuration file %s test is successful\n",
		    file);
	}
	if (dump)
		conf_dump(cf, stdout);
	conf_free(cf);
	return 0;
}

/* The pid file the running master wrote: the main file's "pid" setting,
 * read without loading (and so without failing on) the rest. */
static char *
pid_path(const char *file)
{
	config_t doc;
	const char *p = NULL;
	char *out, *slash;

	config_init(&doc);
	if (config_read_file(&doc, file) == CONFIG_TRUE &&
	    config_lookup_string(&doc, "pid", &p) == CONFIG_TRUE) {
		if (p[0] == '/' || (slash = strrchr(file, '/')) == NULL)
			out = strdup(p);
		else if (asprintf(&out, "%.*s/%s", (int)(slash - file), file, p) < 0)
			out = NULL;
	} else
		out = strdup(DEFAULT_PID);
	config_destroy(&doc);
	if (out == NULL)
		fatal("out of memory");
	return out;
}

/* The pid in the pid file at path: -1 when it cannot be opened (errno
 * says why), 0 when it holds no pid; its first line is left in line. */
static long
read_pid(const char *path, char *line, size_t size)
{
	FILE *f = fopen(path, "re");
	char *end;
	long pid;

	if (f == NULL)
		return -1;
	if (fgets(line, (int)size, f) == NULL)
		line[0] = '\0';
	fclose(f);
	pid = strtol(line, &end, 10);
	return pid > 0 && (*end == '\n' || *end == '\0') ? pid : 0;
}

/* The short name of a process, "" if it is gone. */
static void
comm_of(const char *pid, char *name, size_t size)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/comm", pid);
	name[0] = '\0';
	if ((f = fopen(path, "re")) == NULL)
		return;
	if (fgets(name, (int)size, f) == NULL)
		name[0] = '\0';
	fclose(f);
}

/*
 * Does the pid file name a running master?  Only if its process lives and
 * is portico (its name is ours): a pid file outlives a master killed with
 * SIGKILL, and its pid may since have gone to another program.
 */
static bool
already_running(const char *path)
{
	char line[32], pid[24], theirs[32], ours[32];
	long n = read_pid(path, line, sizeof(line));

	if (n <= 0 || n == (long)getpid())
		return false;
	snprintf(pid, sizeof(pid), "%ld", n);
	comm_of(pid, theirs, sizeof(theirs));
	comm_of("self", ours, sizeof(ours));
	if (theirs[0] == '\0' || strcmp(theirs, ours) != 0)
		return false;
	fprintf(stderr, "portico: [emerg] portico is already running (pid %ld, "
	    "pid file %s)\n", n, path);
	return true;
}

/* Print each logged line of a verdict as -t prints errors. */
static void
print_errors(const char *errors)
{
	const char *eol;

	for (; *errors != '\0'; errors = eol + 1) {
		if ((eol = strchr(errors, '\n')) == NULL)
			eol = errors + strlen(errors);
		fprintf(stderr, "portico: %.*s\n", (int)(eol - errors), errors);
		if (*eol == '\0')
			break;
	}
}

static int
signal_master(pid_t pid, int sig)
{
	if (kill(pid, sig) == 0)
		return 0;
	fprintf(stderr, "portico: [error] kill(%d, %d) failed (%d: %s)\n", (int)pid,
	    sig, errno, strerror(errno));
	return 1;
}

/*
 * -s reload: signal the master, then wait up to wait_s seconds for the
 * verdict it writes beside the pid file (verdict.c) and say it: the exit
 * status.  A master that writes none (one started before portico had the
 * page) is only signalled.
 */
static int
reload(const char *pidfile, pid_t pid, int wait_s)
{
	static struct verdict v;
	uint64_t before;
	int i, rc = 0;

	if (verdict_attach(pidfile, pid) != 0) {
		fprintf(stderr, "portico: [warn] no reload verdict of pid %d beside "
		    "\"%s\"; the signal is sent, see the error log\n", (int)pid,
		    pidfile);
		return signal_master(pid, SIGHUP);
	}
	before = verdict_begun();
	if (signal_master(pid, SIGHUP) != 0)
		return 1;
	for (i = 0; i < wait_s * 50 && (rc = verdict_poll(before, &v)) == 0; i++)
		usleep(20000);
	if (rc == 0) {
		fprintf(stderr, "portico: [error] the master (pid %d) gave no verdict "
		    "within %d s; the reload may still be under way, see the error "
		    "log\n", (int)pid, wait_s);
		return 1;
	}
	if (rc < 0) {
		fprintf(stderr, "portico: [error] the master (pid %d) is stopping or "
		    "gone; not reloaded\n", (int)pid);
		return 1;
	}
	print_errors(v.errors);
	if (v.failed) {
		fprintf(stderr, "portico: reload failed: keeping the running "
		    "configuration (generation %u)\n", v.generation);
		return 1;
	}
	printf("portico: reloaded: generation %u serves\n", v.generation);
	return 0;
}

static int
send_signal(const char *file, const char *name, int wait_s)
{
	static const struct {
		const char	*name;
		int		 sig;
	} sigs[] = {
		{ "stop", SIGTERM }, { "quit", SIGQUIT }, { "reload", SIGHUP },
		{ "reopen", SIGUSR1 },
	};
	char *path = pid_path(file), buf[32];
	long pid;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (strcmp(name, sigs[i].name) == 0)
			break;
	if (i == sizeof(sigs) / sizeof(sigs[0])) {
		fprintf(stderr, "portico: invalid option: \"-s %s\" (expected stop, "
		    "quit, reload or reopen)\n", name);
		return 1;
	}
	if ((pid = read_pid(path, buf, sizeof(buf))) < 0) {
		fprintf(stderr, "portico: [error] open() \"%s\" failed (%d: %s)\n",
		    path, errno, strerror(errno));
		return 1;
	}
	if (pid == 0) {
		fprintf(stderr, "portico: [error] invalid PID number \"%s\" in \"%s\"\n",
		    buf, path);
		return 1;
	}
	if (sigs[i].sig == SIGHUP && wait_s > 0)
		rc = reload(path, (pid_t)pid, wait_s);
	else
		rc = signal_master((pid_t)pid, sigs[i].sig);
	free(path);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *file = DEFAULT_CONF, *sig = NULL;
	bool test = false, dump = false, quiet = false, fg = false;
	struct config *cf;
	int ch, wait_s = RELOAD_WAIT;
	char *end;

	opterr = 0;
	while ((ch = getopt(argc, argv, "c:tTqfs:w:vVh")) != -1) {
		switch (ch) {
		case 'c': file = optarg; break;
		case 't': test = true; break;
		case 'T': test = dump = true; break;
		case 'q': quiet = true; break;
		case 'f': fg = true; break;
		case 's': sig = optarg; break;
		case 'w':
			wait_s = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || end == optarg || wait_s < 0 || wait_s > 3600) {
				fprintf(stderr, "portico: invalid option: \"-w %s\" (expected "
				    "seconds, 0 to 3600)\n", optarg);
				return 1;
			}
			break;
		case 'v': version(false); return 0;
		case 'V': version(true); return 0;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "portico: invalid option: \"-%c\"\n", optopt);
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "portico: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 1;
	}
	if (sig != NULL)
		return send_signal(file, sig, wait_s);
	if (test) {
		if (quiet)
			log_level = LV_ERROR;
		return test_config(file, quiet, dump);
	}
	cf = conf_load(file, true);
	if (cf == NULL)
		return 1;
	if (already_running(cf->main.pid)) {
		conf_free(cf);
		return 1;
	}
	return master_run(cf, fg);
}
