/*
 * Templates: how "$name", "${name}" and "$1" split a string into literal
 * and variable parts, which names are refused, when a template is a plain
 * literal, and what a few evaluate to for a parsed request.
 */
#include "config.h"

#include <stdlib.h>

#include "buf.h"
#include "http.h"
#include "tap.h"
#include "tmpl.h"
#include "var.h"

static struct pool pool;

static int
var(const char *name)
{
	struct str arg;

	return var_lookup(name, strlen(name), &arg);
}

/* The parts as "'lit'" and "$index(arg)", space separated. */
static const char *
shape(const struct tmpl *t)
{
	static char out[1024];
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; t != NULL && i < t->nparts; i++) {
		const struct tmpl_part *p = &t->parts[i];
		if (p->var < 0)
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s'%.*s'",
			    i ? " " : "", (int)p->text.n, p->text.p);
		else
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s$%d(%.*s)",
			    i ? " " : "", p->var, (int)p->text.n,
			    p->text.p ? p->text.p : "");
	}
	return out;
}

static void
compiles(const char *src, const char *want, bool literal)
{
	const char *err = NULL;
	struct tmpl *t = tmpl_compile(&pool, src, &err);

	if (!ok(t != NULL, "\"%s\" compiles", src)) {
		printf("#   %s\n", err ? err : "(no error)");
		return;
	}
	is_str(shape(t), want, "\"%s\" parts", src);
	is_int(tmpl_is_literal(t), literal, "\"%s\" is%s literal", src,
	    literal ? "" : " not");
	is_str(t->src, src, "\"%s\" keeps its source", src);
}

static void
refused(const char *src, const char *want_err)
{
	const char *err = NULL;
	struct tmpl *t = tmpl_compile(&pool, src, &err);

	ok(t == NULL, "\"%s\" is refused", src);
	is_str(err, want_err, "\"%s\": the error", src);
}

int
main(void)
{
	char want[256];
	struct request r;
	struct header hdrs[HTTP_HEADERS_MAX];
	struct tmpl *t;
	const char *err;
	char *head;
	size_t len;
	char *v;

	pool_init(&pool, 4096);
	ok(var("host") >= 0 && var("uri") >= 0 && var("remote_addr") >= 0 &&
	    var("http_x") >= 0 && var("1") >= 0, "the variables used here exist");
	ok(var("host") != var("hostname"), "host and hostname differ");
	is_int(var("nosuch"), -1, "unknown variable: -1");
	is_int(var("http_"), -1, "a bare prefix is not a variable");
	is_int(var("hos"), -1, "a prefix of a name is not a variable");

	compiles("plain text", "'plain text'", true);
	compiles("", "''", true);
	compiles("100%", "'100%'", true);
	compiles("{host}", "'{host}'", true);
	snprintf(want, sizeof(want), "$%d()", var("host"));
	compiles("$host", want, false);
	compiles("${host}", want, false);
	snprintf(want, sizeof(want), "'a' $%d() 'b'", var("host"));
	compiles("a${host}b", want, false);
	snprintf(want, sizeof(want), "$%d() $%d()", var("host"), var("uri"));
	compiles("$host$uri", want, false);
	snprintf(want, sizeof(want), "$%d() '.'", var("host"));
	compiles("$host.", want, false);
	snprintf(want, sizeof(want), "$%d() '-x'", var("host"));
	compiles("$host-x", want, false);
	snprintf(want, sizeof(want), "'https://' $%d() $%d()", var("host"),
	    var("request_uri"));
	compiles("https://$host$request_uri", want, false);
	snprintf(want, sizeof(want), "$%d(1)", var("1"));
	compiles("$1", want, false);
	compiles("${1}", want, false);
	snprintf(want, sizeof(want), "$%d(1) '2'", var("1"));
	compiles("$12", want, false);
	snprintf(want, sizeof(want), "'/p/' $%d(9) '/' $%d(0)", var("1"), var("1"));
	compiles("/p/$9/$0", want, false);
	snprintf(want, sizeof(want), "$%d(x_real_ip)", var("http_x"));
	compiles("$http_x_real_ip", want, false);
	snprintf(want, sizeof(want), "$%d(User_Agent) 'z'", var("http_x"));
	compiles("${http_User_Agent}z", want, false);
	snprintf(want, sizeof(want), "'a' $%d() 'b'", var("hostname"));
	compiles("a${hostname}b", want, false);

	refused("$nosuch", "unknown variable \"$nosuch\"");
	refused("x ${nosuch} y", "unknown variable \"$nosuch\"");
	refused("$hos", "unknown variable \"$hos\"");
	refused("$http_", "unknown variable \"$http_\"");
	refused("$", "invalid variable name in \"$\"");
	refused("a$", "invalid variable name in \"a$\"");
	refused("$-x", "invalid variable name in \"$-x\"");
	refused("$$", "invalid variable name in \"$$\"");
	refused("${host", "invalid variable name in \"${host\"");
	refused("${host-x}", "invalid variable name in \"${host-x}\"");
	refused("${}", "invalid variable name in \"${}\"");
	refused("${12}", "invalid variable name in \"${12}\"");

	/* evaluation against a parsed request */
	memset(&r, 0, sizeof(r));
	r.pool = &pool;
	r.headers = hdrs;
	head = pool_strdup(&pool, "GET /a/b?x=1 HTTP/1.1\r\nHost: Example.com\r\n"
	    "User-Agent: test/1\r\n\r\n");
	is_int(http_parse_head(&r, head, strlen(head)), 0, "request parses");
	t = tmpl_compile(&pool, "[$host|$uri|$args|$http_user_agent|$http_x|$1|$2]",
	    &err);
	ok(t != NULL, "evaluation template compiles");
	r.caps.subject = "/u/42";
	r.caps.n = 2;
	r.caps.ovec[0] = 0;
	r.caps.ovec[1] = 5;
	r.caps.ovec[2] = 3;
	r.caps.ovec[3] = 5;
	if (t != NULL) {
		v = tmpl_eval_str(t, &r, &len);
		is_str(v, "[example.com|/a/b|x=1|test/1||42|]", "evaluated");
		is_int(len, strlen("[example.com|/a/b|x=1|test/1||42|]"),
		    "evaluated length");
	}
	t = tmpl_compile(&pool, "literal", &err);
	if (t != NULL) {
		v = tmpl_eval_str(t, &r, &len);
		ok(v == t->parts[0].text.p && len == 7,
		    "a literal evaluates to itself without copying");
	}
	pool_destroy(&pool);
	return done_testing();
}
