# C unit tests: each t/unit/NAME.c is a program printing TAP.  They link the
# daemon's objects from libportico.a; tests that read files of the source
# tree find it through $SRCDIR (set by make check) or, run by hand, through
# ABS_SRCDIR.
UNIT_SRCDIR_CPPFLAGS = $(AM_CPPFLAGS) -DABS_SRCDIR='"$(abs_top_srcdir)"'

UNIT_TESTS += t/unit/parse
t_unit_parse_SOURCES = t/unit/parse.c
t_unit_parse_LDADD = $(PORTICO_LIBS)

UNIT_TESTS += t/unit/uri
t_unit_uri_SOURCES = t/unit/uri.c
t_unit_uri_LDADD = $(PORTICO_LIBS)

UNIT_TESTS += t/unit/chunked
t_unit_chunked_SOURCES = t/unit/chunked.c
t_unit_chunked_LDADD = $(PORTICO_LIBS)

UNIT_TESTS += t/unit/range
t_unit_range_SOURCES = t/unit/range.c
t_unit_range_LDADD = $(PORTICO_LIBS)

UNIT_TESTS += t/unit/match
t_unit_match_SOURCES = t/unit/match.c
t_unit_match_CPPFLAGS = $(UNIT_SRCDIR_CPPFLAGS)
t_unit_match_LDADD = $(PORTICO_LIBS)

UNIT_TESTS += t/unit/conf
t_unit_conf_SOURCES = t/unit/conf.c
t_unit_conf_CPPFLAGS = $(UNIT_SRCDIR_CPPFLAGS)
t_unit_conf_LDADD = $(PORTICO_LIBS)

UNIT_TESTS += t/unit/shm
t_unit_shm_SOURCES = t/unit/shm.c
t_unit_shm_LDADD = $(PORTICO_LIBS)

UNIT_TESTS += t/unit/tmpl
t_unit_tmpl_SOURCES = t/unit/tmpl.c
t_unit_tmpl_LDADD = $(PORTICO_LIBS)

UNIT_TESTS += t/unit/access
t_unit_access_SOURCES = t/unit/access.c
t_unit_access_LDADD = $(PORTICO_LIBS)

UNIT_TESTS += t/unit/mime
t_unit_mime_SOURCES = t/unit/mime.c
t_unit_mime_CPPFLAGS = $(UNIT_SRCDIR_CPPFLAGS)
t_unit_mime_LDADD = $(PORTICO_LIBS)

UNIT_TESTS += t/unit/manpage
t_unit_manpage_SOURCES = t/unit/manpage.c
t_unit_manpage_CPPFLAGS = $(UNIT_SRCDIR_CPPFLAGS)
t_unit_manpage_LDADD = $(PORTICO_LIBS)
UNIT_TESTS += t/unit/ssl_cache
t_unit_ssl_cache_SOURCES = t/unit/ssl_cache.c
t_unit_ssl_cache_LDADD = $(PORTICO_LIBS)
UNIT_TESTS += t/unit/proxy_parse
t_unit_proxy_parse_SOURCES = t/unit/proxy_parse.c
t_unit_proxy_parse_LDADD = $(PORTICO_LIBS)
