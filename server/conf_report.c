/*
 * Reporting what is wrong with a configuration, and where: every message
 * ends with the file (as the include pattern found it) and the line of the
 * setting at fault.  Checks made after loading find that line through
 * setting_origin(), which follows inheritance: a location's setting may
 * have been written in its server or at the main level, in another file.
 * At start-up and for -t messages go to stderr; on reload the running
 * master logs them.  Warnings are also kept in the configuration, so that
 * the master can write the start-up ones to the error log it opens later.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conf_int.h"
#include "log.h"

static bool errors_to_log;

void
conf_report_to_log(bool yes)
{
	errors_to_log = yes;
}

void
conf_report(int level, const char *msg)
{
	if (level > log_level)
		return;
	if (errors_to_log)
		logmsg(level, "%s", msg);
	else
		fprintf(stderr, "portico: [%s] %s\n", log_level_name(level), msg);
}

int
cf_line(const config_setting_t *s)
{
	for (; s != NULL; s = config_setting_parent(s))
		if (config_setting_source_line(s) != 0)
			return config_setting_source_line(s);
	return 0;
}

static void
keep_warning(struct config *cf, const char *msg)
{
	cf->warnings.v = pool_grow(&cf->pool, cf->warnings.v, cf->warnings.n,
	    sizeof(*cf->warnings.v));
	cf->warnings.v[cf->warnings.n++] = pool_strdup(&cf->pool, msg);
}

static void
vreport(struct cfload *ld, int level, const char *file, int line,
    const char *fmt, va_list ap)
{
	char msg[1024];
	int n;

	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (file != NULL && n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, " in %s:%d", file, line);
	conf_report(level, msg);
	if (level == LV_EMERG)
		ld->errors++;
	else
		keep_warning(ld->cf, msg);
}

void
cf_error(struct cfload *ld, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ld, LV_EMERG, s != NULL ? ld->file : NULL, cf_line(s), fmt, ap);
	va_end(ap);
}

void
conf_error_at(struct cfload *ld, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ld, LV_EMERG, file, line, fmt, ap);
	va_end(ap);
}

void
cf_warn_at(struct cfload *ld, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ld, LV_WARN, file, line, fmt, ap);
	va_end(ap);
}

/* The line of name among a level's settings as written, 0 if not there. */
static int
dump_line(const struct dump *d, const char *name)
{
	const struct dump_ent *e = d != NULL ? dump_find(d, name) : NULL;

	return e != NULL ? e->line : 0;
}

/*
 * Where the value a server or location has for name was written: the
 * location, else its server, else the main level.  A value nobody wrote
 * (a default) is blamed on the block itself.
 */
struct origin
setting_origin(struct cfload *ld, const struct server *srv,
    const struct location *loc, const char *name)
{
	const struct setting *s = setting_find(name);
	int line;

	if (loc != NULL && (line = dump_line(loc->dump, name)) > 0)
		return (struct origin){ loc->file, line };
	if (srv != NULL && (line = dump_line(srv->dump, name)) > 0)
		return (struct origin){ srv->file, line };
	if (s != NULL && ld->seen[s - settings].file != NULL)
		return (struct origin){ ld->seen[s - settings].file,
		    ld->seen[s - settings].line };
	if (loc != NULL)
		return (struct origin){ loc->file, loc->line };
	if (srv != NULL)
		return (struct origin){ srv->file, srv->line };
	return (struct origin){ NULL, 0 };
}

void
conf_error_for(struct cfload *ld, const struct server *srv,
    const struct location *loc, const char *name, const char *fmt, ...)
{
	struct origin o = setting_origin(ld, srv, loc, name);
	va_list ap;

	va_start(ap, fmt);
	vreport(ld, LV_EMERG, o.file, o.line, fmt, ap);
	va_end(ap);
}

/* The warnings of loading cf, into the error log it names (start-up:
 * they went to stderr before the log was open). */
void
conf_log_warnings(const struct config *cf)
{
	size_t i;

	if (log_main()->fd == 2)
		return;
	for (i = 0; i < cf->warnings.n; i++)
		logmsg(LV_WARN, "%s", cf->warnings.v[i]);
}
