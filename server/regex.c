/*
 * Thin layer over PCRE2: compile (with JIT where available) and match with
 * a per-process match-data block, so matching allocates nothing.
 */
#include "config.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <string.h>

#include "regex.h"

static pcre2_match_data *md;

void *
regex_compile(const char *pattern, bool caseless, char *err, size_t errlen)
{
	pcre2_code *re;
	int code;
	PCRE2_SIZE off;
	PCRE2_UCHAR msg[256];

	re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	    caseless ? PCRE2_CASELESS : 0, &code, &off, NULL);
	if (re == NULL) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		snprintf(err, errlen, "invalid regular expression \"%s\": %s at "
		    "offset %zu", pattern, (char *)msg, (size_t)off);
		return NULL;
	}
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

/* 1 on a match (captures filled), 0 on none. */
int
regex_match(void *re, const char *s, size_t len, struct regex_caps *caps)
{
	int rc, i;
	PCRE2_SIZE *ov;

	if (md == NULL)
		md = pcre2_match_data_create(REGEX_CAPTURES, NULL);
	rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, md, NULL);
	if (rc < 0)
		return 0;
	if (caps != NULL) {
		ov = pcre2_get_ovector_pointer(md);
		if (rc == 0)
			rc = REGEX_CAPTURES;
		caps->subject = s;
		caps->n = rc;
		for (i = 0; i < rc * 2; i++)
			caps->ovec[i] = ov[i];
	}
	return 1;
}

void
regex_free(void *re)
{
	pcre2_code_free(re);
}
