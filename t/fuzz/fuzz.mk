# libFuzzer targets, built only by ./configure CC=clang --enable-fuzzing:
# one per parser, each with a seed corpus (t/fuzz/corpus/NAME) and a
# dictionary (t/fuzz/NAME.dict).  make fuzz runs each for FUZZ_SECONDS
# (default 30) under ASan and UBSan and fails on any crash (t/fuzz/run).
EXTRA_DIST += t/fuzz/run t/fuzz/lsan.supp t/fuzz/conf.options t/fuzz/corpus \
	t/fuzz/parse.dict t/fuzz/chunked.dict t/fuzz/proxy_parse.dict \
	t/fuzz/range.dict t/fuzz/uri.dict t/fuzz/conf.dict t/fuzz/h2.dict

if FUZZING
noinst_PROGRAMS = t/fuzz/parse t/fuzz/chunked t/fuzz/proxy_parse \
	t/fuzz/range t/fuzz/uri t/fuzz/conf t/fuzz/h2
LIBFUZZER = $(AM_LDFLAGS) -fsanitize=fuzzer

t_fuzz_parse_SOURCES = t/fuzz/parse.c t/fuzz/fuzz.h
t_fuzz_parse_LDFLAGS = $(LIBFUZZER)
t_fuzz_parse_LDADD = $(PORTICO_LIBS)

t_fuzz_chunked_SOURCES = t/fuzz/chunked.c t/fuzz/fuzz.h
t_fuzz_chunked_LDFLAGS = $(LIBFUZZER)
t_fuzz_chunked_LDADD = $(PORTICO_LIBS)

t_fuzz_proxy_parse_SOURCES = t/fuzz/proxy_parse.c t/fuzz/fuzz.h
t_fuzz_proxy_parse_LDFLAGS = $(LIBFUZZER)
t_fuzz_proxy_parse_LDADD = $(PORTICO_LIBS)

t_fuzz_range_SOURCES = t/fuzz/range.c t/fuzz/fuzz.h
t_fuzz_range_LDFLAGS = $(LIBFUZZER)
t_fuzz_range_LDADD = $(PORTICO_LIBS)

t_fuzz_uri_SOURCES = t/fuzz/uri.c t/fuzz/fuzz.h
t_fuzz_uri_LDFLAGS = $(LIBFUZZER)
t_fuzz_uri_LDADD = $(PORTICO_LIBS)

# glob() wrapped: includes stay inside the target's own directory.
t_fuzz_conf_SOURCES = t/fuzz/conf.c t/fuzz/fuzz.h
t_fuzz_conf_LDFLAGS = $(LIBFUZZER) -Wl,--wrap=glob
t_fuzz_conf_LDADD = $(PORTICO_LIBS)

t_fuzz_h2_SOURCES = t/fuzz/h2.c t/fuzz/fuzz.h
t_fuzz_h2_LDFLAGS = $(LIBFUZZER)
t_fuzz_h2_LDADD = $(PORTICO_LIBS)

fuzz: $(noinst_PROGRAMS)
	$(SHELL) $(srcdir)/t/fuzz/run $(noinst_PROGRAMS)
else
fuzz:
	@echo "make fuzz: build with ./configure CC=clang --enable-fuzzing" >&2
	@exit 1
endif
.PHONY: fuzz

# What make fuzz found and logged in the build directory.
clean-local:
	rm -rf t/fuzz/*.corpus t/fuzz/*.crashes t/fuzz/*.log t/fuzz/*.tmp
