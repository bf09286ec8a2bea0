/*
 * portico.conf(5) documents every entry of the setting table: for each
 * name there is a line starting ".It Ic NAME" followed by a space or the
 * end of the line.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>

#include "conf_int.h"
#include "fixture.h"
#include "tap.h"

static bool
documented(char **lines, size_t n, const char *name)
{
	size_t i, len = strlen(name);

	for (i = 0; i < n; i++)
		if (strncmp(lines[i], ".It Ic ", 7) == 0 &&
		    strncmp(lines[i] + 7, name, len) == 0 &&
		    (lines[i][7 + len] == ' ' || lines[i][7 + len] == '\0'))
			return true;
	return false;
}

int
main(void)
{
	char path[PATH_MAX], line[4096], **lines = NULL;
	size_t n = 0, i, j;
	FILE *f;

	snprintf(path, sizeof(path), "%s/man/portico.conf.5.in", srcdir());
	f = fopen(path, "r");
	if (!ok(f != NULL, "%s can be read", path))
		return done_testing();
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		lines = realloc(lines, sizeof(*lines) * (n + 1));
		lines[n++] = strdup(line);
	}
	fclose(f);
	for (i = 0; i < nsettings; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(settings[j].name, settings[i].name) == 0)
				break;
		if (j < i)
			continue;	/* "servers": main and upstream, one entry each */
		ok(documented(lines, n, settings[i].name),
		    "portico.conf(5) documents \"%s\"", settings[i].name);
	}
	ok(!documented(lines, n, "no_such_setting_xyz"),
	    "the check can fail: an unknown name is not found");
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	return done_testing();
}
