/*
 * autoindex: an HTML listing of a directory in nginx's layout (directories
 * first, then files, each sorted by name; dot files hidden; names longer
 * than 50 characters cut with "..>").
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "http.h"
#include "log.h"
#include "request.h"

#define NAME_COLS	50

struct entry {
	char		*name;
	bool		 dir;
	long long	 size;
	time_t		 mtime;
};

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->dir != y->dir)
		return x->dir ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void
add_escaped(struct buf *b, const char *s, size_t n, bool href)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (href && (c <= ' ' || c == '"' || c == '%' || c == '?' ||
		    c == '#' || c >= 0x7f))
			buf_printf(b, "%%%02X", c);
		else if (c == '<')
			buf_adds(b, "&lt;");
		else if (c == '>')
			buf_adds(b, "&gt;");
		else if (c == '&')
			buf_adds(b, "&amp;");
		else if (c == '"')
			buf_adds(b, "&quot;");
		else
			buf_addc(b, (char)c);
	}
}

static void
render_entry(struct buf *b, const struct entry *e)
{
	size_t len = strlen(e->name), shown = len + e->dir;
	struct tm tm;
	char date[32];

	buf_adds(b, "<a href=\"");
	add_escaped(b, e->name, len, true);
	if (e->dir)
		buf_addc(b, '/');
	buf_adds(b, "\">");
	if (shown > NAME_COLS) {
		add_escaped(b, e->name, NAME_COLS - 3, false);
		buf_adds(b, "..&gt;</a>");
		shown = NAME_COLS;
	} else {
		add_escaped(b, e->name, len, false);
		buf_adds(b, e->dir ? "/</a>" : "</a>");
	}
	gmtime_r(&e->mtime, &tm);
	strftime(date, sizeof(date), "%d-%b-%Y %H:%M", &tm);
	buf_printf(b, "%*s%s ", (int)(NAME_COLS + 1 - shown), "", date);
	if (e->dir)
		buf_printf(b, "%19s\r\n", "-");
	else
		buf_printf(b, "%19lld\r\n", e->size);
}

static int
read_entries(struct request *r, const char *dir, struct entry **out, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;
	struct entry *v = NULL;
	char *path;

	*n = 0;
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		path = pool_printf(r->pool, "%s/%s", dir, de->d_name);
		if (stat(path, &st) != 0)
			continue;
		v = pool_grow(r->pool, v, *n, sizeof(*v));
		v[*n].name = pool_strdup(r->pool, de->d_name);
		v[*n].dir = S_ISDIR(st.st_mode);
		v[*n].size = (long long)st.st_size;
		v[*n].mtime = st.st_mtime;
		(*n)++;
	}
	closedir(d);
	*out = v;
	return 0;
}

int
autoindex_render(struct request *r, const char *dir)
{
	struct buf b = { 0 };
	struct entry *v;
	size_t n, i;
	int err;

	if (read_entries(r, dir, &v, &n) != 0) {
		err = errno;
		req_log(r, LV_ERROR, err, "opendir() \"%s\" failed",
		    req_escape(r, dir, strlen(dir)));
		return err == ENOENT || err == ENOTDIR ? 404 : 403;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), entry_cmp);
	buf_adds(&b, "<html>\r\n<head><title>Index of ");
	add_escaped(&b, r->uri.p, r->uri.n, false);
	buf_adds(&b, "</title></head>\r\n<body>\r\n<h1>Index of ");
	add_escaped(&b, r->uri.p, r->uri.n, false);
	buf_adds(&b, "</h1><hr><pre><a href=\"../\">../</a>\r\n");
	for (i = 0; i < n; i++)
		render_entry(&b, &v[i]);
	buf_adds(&b, "</pre><hr></body>\r\n</html>\r\n");
	r->status = 200;
	r->content_type = "text/html";
	r->body = BODY_MEM;
	r->mem = (struct str){ pool_strndup(r->pool, b.p, b.len), b.len };
	r->out_length = (long long)b.len;
	buf_free(&b);
	return 0;
}
