# libFuzzer targets, built only by ./configure CC=clang --enable-fuzzing:
# one per parser, each with a seed corpus (t/fuzz/corpus/NAME) and a
# dictionary (t/fuzz/NAME.dict).  make fuzz runs each for FUZZ_SECONDS
# (default 30) under ASan and UBSan and fails on any crash (t/fuzz/run).
EXTRA_DIST += t/fuzz/run t/fuzz/fuzz.h t/fuzz/lsan.supp t/fuzz/conf.options t/fuzz/corpus \
	t/fuzz/parse.dict t/fuzz/chunked.dict t/fuzz/proxy_parse.dict \
	t/fuzz/range.dict t/fuzz/uri.dict t/fuzz/conf.dict t/fuzz/h2.dict

if FUZZING
noinst_PROGRAMS = t/fuzz/parse t/fuzz/chunked t/fuzz/proxy_parse \
	t/fuzz/range t/fuzz/uri t/fuzz/conf t/fuzz/h2
LIBFUZZER = $(AM_LDFLAGS) -fsanitize=fuzzer

# Each target's source is t/fuzz/NAME.c and it links PORTICO_LIBS (the
# global LDADD of t/unit.mk); only libFuzzer's main is its own.
t_fuzz_parse_LDFLAGS = $(LIBFUZZER)
t_fuzz_chunked_LDFLAGS = $(LIBFUZZER)
t_fuzz_proxy_parse_LDFLAGS = $(LIBFUZZER)
t_fuzz_range_LDFLAGS = $(LIBFUZZER)
t_fuzz_uri_LDFLAGS = $(LIBFUZZER)
# glob() wrapped: includes stay inside the target's own directory.
t_fuzz_conf_LDFLAGS = $(LIBFUZZER) -Wl,--wrap=glob
t_fuzz_h2_LDFLAGS = $(LIBFUZZER)

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
