# C unit tests: each t/unit/NAME.c is a program printing TAP, linked with
# the daemon's objects (libportico.a).  Tests that read files of the source
# tree find it through $SRCDIR (set by make check) or, run by hand, through
# ABS_SRCDIR (AM_CPPFLAGS).
UNIT_TESTS += t/unit/parse t/unit/uri t/unit/chunked t/unit/range \
	t/unit/match t/unit/conf t/unit/shm t/unit/tmpl t/unit/access \
	t/unit/mime t/unit/manpage t/unit/ssl_cache t/unit/proxy_parse \
	t/unit/shed t/unit/upstream t/unit/conn_zone t/unit/gzip \
	t/unit/cache_policy t/unit/cache_index
LDADD = $(PORTICO_LIBS)
EXTRA_DIST += t/unit/fixture.h
# portico-convert's reader of nginx's syntax.
UNIT_TESTS += t/unit/nginx_parse
t_unit_nginx_parse_SOURCES = t/unit/nginx_parse.c convert/nginx_parse.c
t_unit_nginx_parse_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/convert
