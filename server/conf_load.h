/*
 * Loading a configuration generation from its files, checking it, and
 * dropping it (conf_load.c): for main.c and the master.  With check_files
 * false the loader reads only the configuration's own files: it opens no
 * log, certificate, key or types file, resolves no host name and looks up
 * no user (the fuzzer's mode).
 */
#ifndef PORTICO_CONF_LOAD_H
#define PORTICO_CONF_LOAD_H

#include <stdbool.h>
#include <stdio.h>

struct config;

struct config	*conf_load(const char *path, bool check_files);
void		 conf_free(struct config *);
void		 conf_release(struct config *);
void		 conf_report_to_log(bool);
void		 conf_log_warnings(const struct config *);
void		 conf_dump(struct config *, FILE *);

#endif
