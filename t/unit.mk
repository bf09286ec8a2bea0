# C unit tests: each t/unit/NAME.c is a program printing TAP.
UNIT_TESTS += t/unit/parse
t_unit_parse_SOURCES = t/unit/parse.c
t_unit_parse_LDADD = $(PORTICO_LIBS)
