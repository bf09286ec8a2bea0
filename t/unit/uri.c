/*
 * Path normalisation: percent-decoding, merged slashes, "." and "..",
 * and paths that must be refused because they would climb above the root
 * however their dots and slashes are written.
 */
#include "config.h"

#include <stdlib.h>

#include "http.h"
#include "tap.h"

/* Normalise in into an exactly sized heap buffer (so a sanitizer build
 * catches any write past len + 1); "" with *rc -1 when refused. */
static const char *
norm(const char *in, int *rc)
{
	static char result[1024];
	size_t len = strlen(in), outlen = 9999;
	char *out = malloc(len + 1);

	*rc = http_uri_normalize(in, len, out, &outlen);
	if (*rc == 0) {
		if (outlen > len || out[outlen] != '\0')
			snprintf(result, sizeof(result), "(bad outlen %zu)", outlen);
		else
			snprintf(result, sizeof(result), "%s", out);
	} else
		result[0] = '\0';
	free(out);
	return result;
}

static void
good(const char *in, const char *want)
{
	int rc;
	const char *got = norm(in, &rc);

	if (rc != 0) {
		ok(0, "\"%s\" normalises to \"%s\"", in, want);
		printf("#   refused (%d)\n", rc);
		return;
	}
	is_str(got, want, "\"%s\" normalises to \"%s\"", in, want);
}

static void
bad(const char *in)
{
	int rc;
	const char *got = norm(in, &rc);

	if (!ok(rc == -1, "\"%s\" is refused", in))
		printf("#   got %d, \"%s\"\n", rc, got);
}

int
main(void)
{
	size_t outlen;
	char out[8], wide[32];

	/* plain paths */
	good("/", "/");
	good("/a", "/a");
	good("/a/b/", "/a/b/");
	good("/a.b/c.d", "/a.b/c.d");
	good("/.a", "/.a");
	good("/a.", "/a.");
	good("/...", "/...");
	good("/..a", "/..a");
	good("/a..", "/a..");
	good("/a/...b/", "/a/...b/");

	/* percent-decoding */
	good("/a%20b", "/a b");
	good("/%41%42%43", "/ABC");
	good("/%6a%6B", "/jk");
	good("/%7e", "/~");
	good("/%25", "/%");
	good("/%2541", "/%41");
	good("/a%23b", "/a#b");
	good("/a%3fb", "/a?b");
	good("/%c3%a9", "/\xc3\xa9");
	bad("/%");
	bad("/a%");
	bad("/a%2");
	bad("/a%zz");
	bad("/a%g1");
	bad("/a%1g");
	bad("/a% 1");
	bad("/%00");
	bad("/a%00b");
	bad("/a%00");

	/* the start */
	bad("");
	bad("a/b");
	bad("%2fa");

	/* merged slashes */
	good("//", "/");
	good("//a///b//", "/a/b/");
	good("/a%2fb", "/a/b");
	good("/a%2F%2fb", "/a/b");
	good("/a/%2f/b", "/a/b");

	/* "." */
	good("/.", "/");
	good("/./", "/");
	good("/./a", "/a");
	good("/a/.", "/a/");
	good("/a/./", "/a/");
	good("/a/./b", "/a/b");
	good("/a/././b", "/a/b");
	good("/a//./b", "/a/b");

	/* ".." */
	good("/a/..", "/");
	good("/a/../", "/");
	good("/a/../b", "/b");
	good("/a/b/..", "/a/");
	good("/a/b/../", "/a/");
	good("/a/b/../c", "/a/c");
	good("/a/b/c/../../d", "/a/d");
	good("/a/b/./../c", "/a/c");
	good("/a//../b", "/b");
	good("/a/b//..//c", "/a/c");
	good("/aa/bb/../../cc", "/cc");
	bad("/..");
	bad("/../");
	bad("/../a");
	bad("/a/../..");
	bad("/a/../../");
	bad("/a/../../b");
	bad("/a/b/../../../c");
	bad("//..");
	bad("/./..");

	/* encoded dots and slashes resolve after decoding */
	good("/a/%2e/b", "/a/b");
	good("/a/%2e%2e/b", "/b");
	good("/a/.%2e/b", "/b");
	good("/a/%2E%2E/b", "/b");
	good("/a/%2e%2e", "/");
	good("/a/b/%2e", "/a/b/");
	good("/a%2f..%2fb", "/b");
	good("/a%2f%2e%2e%2fb", "/b");
	good("/a/b%2f%2e%2e", "/a/");
	bad("/%2e%2e");
	bad("/%2e%2e/");
	bad("/%2e%2e%2f");
	bad("/%2E%2e/etc/passwd");
	bad("/a/%2e%2e/%2e%2e/etc");
	bad("/a%2f%2e%2e%2f%2e%2e%2fetc");
	bad("%2f%2e%2e");
	bad("/.%2e/x");

	/* a fragment ends the path */
	good("/a#frag", "/a");
	good("/a/..#x", "/");

	/* out: the length, the terminator, and nothing written past len + 1 */
	memset(out, 'X', sizeof(out));
	is_int(http_uri_normalize("/a/b", 4, out, &outlen), 0, "normalise /a/b");
	is_int(outlen, 4, "outlen of /a/b");
	ok(out[4] == '\0' && out[5] == 'X', "NUL-terminated, no write past it");
	is_int(http_uri_normalize("/a/b/c", 2, out, &outlen), 0,
	    "only len bytes are read");
	is_int(outlen, 2, "outlen counts len bytes only");
	ok(memcmp(out, "/a", 3) == 0, "the first len bytes normalised");

	/* found by fuzzing: a raw NUL went through, cutting the path short
	 * wherever it is used as a C string */
	is_int(http_uri_normalize("/a.c\0.php", 10, wide, &outlen), -1,
	    "a raw NUL is refused like %%00");
	is_int(http_uri_normalize("/static/css/sie.jte.c\0\x17", 23, wide, &outlen),
	    -1, "the fuzzer's input is refused");
	return done_testing();
}
