/*
 * The access log: one line per request in the scope's log_format, written
 * with a single write(2) so concurrent workers never interleave lines.
 */
#include "config.h"

#include <errno.h>
#include <unistd.h>

#include "http.h"
#include "log.h"
#include "request.h"
#include "tmpl.h"
#include "var.h"

static void
format_line(struct request *r, const struct tmpl *t, struct buf *b)
{
	size_t i;

	for (i = 0; i < t->nparts; i++) {
		if (t->parts[i].var < 0)
			buf_add(b, t->parts[i].text.p, t->parts[i].text.n);
		else
			var_eval_log(t->parts[i].var, t->parts[i].text, r, b);
	}
	buf_addc(b, '\n');
}

void
access_log_write(struct request *r)
{
	static struct buf line;
	const struct access_logs *al;
	size_t i;

	if (r->logged || r->sc == NULL)
		return;
	r->logged = true;
	al = &r->sc->access_log;
	for (i = 0; i < al->n; i++) {
		line.len = 0;
		format_line(r, al->v[i].format->t, &line);
		if (write(al->v[i].file->fd, line.p, line.len) < 0)
			log_errno(LV_ALERT, errno, "write() to \"%s\" failed",
			    al->v[i].file->path ? al->v[i].file->path : "stderr");
	}
}
