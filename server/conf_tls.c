/*
 * Setters for the TLS settings: certificate and key lists, protocols, the
 * session cache ("shared:NAME:SIZE" or "off"), ssl_conf_command.
 */
#include "config.h"

#include <string.h>

#include "conf_int.h"

#define SET_ARGS struct cfload *ld, struct level *lv, const config_setting_t *v, \
	void *field

/* A path or an array of paths, each relative to the file naming it. */
int
set_paths(SET_ARGS)
{
	const char **v0;
	size_t n, i;
	struct strv *sv = field;

	if (cf_strings(ld, v, &v0, &n) != 0)
		return -1;
	sv->v = pool_alloc(ld->pool, sizeof(char *) * (n ? n : 1));
	for (i = 0; i < n; i++) {
		if (*v0[i] == '\0') {
			cf_error(ld, v, "\"%s\" must not be empty", config_setting_name(v));
			return -1;
		}
		sv->v[i] = cf_path(ld, v0[i]);
	}
	sv->n = n;
	return 0;
}

int
set_ssl_protocols(SET_ARGS)
{
	static const struct word protos[] = {
		{ "TLSv1", PROTO_TLSv1 }, { "TLSv1.1", PROTO_TLSv1_1 },
		{ "TLSv1.2", PROTO_TLSv1_2 }, { "TLSv1.3", PROTO_TLSv1_3 },
	};
	const char *s, *bad;
	int bits;

	if (cf_string(ld, v, &s) != 0)
		return -1;
	if (cf_words(ld, s, protos, sizeof(protos) / sizeof(protos[0]), &bits,
	    &bad) != 0) {
		cf_error(ld, v, "invalid protocol \"%s\" in ssl_protocols: expected "
		    "TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3 (SSLv2 and SSLv3 are not "
		    "supported)", bad);
		return -1;
	}
	if (bits == 0) {
		cf_error(ld, v, "ssl_protocols names no protocol");
		return -1;
	}
	*(int *)field = bits;
	return 0;
}

/* "shared:NAME:SIZE", "off" or "none" (nginx's: no cache either). */
int
set_ssl_session_cache(SET_ARGS)
{
	struct ssl_cache_conf *c = field;
	const char *s, *colon;
	char *name;

	if (cf_string(ld, v, &s) != 0)
		return -1;
	memset(c, 0, sizeof(*c));
	if (strcmp(s, "off") == 0 || strcmp(s, "none") == 0)
		return 0;
	if (strncmp(s, "shared:", 7) != 0 || (colon = strchr(s + 7, ':')) == NULL ||
	    colon == s + 7)
		goto bad;
	name = pool_strndup(ld->pool, s + 7, (size_t)(colon - s - 7));
	if (parse_size(colon + 1, &c->size) != 0 || c->size < 8192 ||
	    c->size > (1LL << 30))
		goto bad;
	c->shared = true;
	c->name = name;
	return 0;
bad:
	cf_error(ld, v, "invalid ssl_session_cache \"%s\": expected "
	    "\"shared:NAME:SIZE\" (SIZE from 8k to 1g) or \"off\"", s);
	return -1;
}

/* ssl_conf_command = { Ciphersuites = "TLS_AES_256_GCM_SHA384"; }; */
int
set_ssl_conf_command(SET_ARGS)
{
	struct kvlist *kv = field;
	int i, n;
	const char *s;

	if (!config_setting_is_group(v)) {
		cf_error(ld, v, "\"ssl_conf_command\" must be a group: "
		    "ssl_conf_command = { Ciphersuites = \"...\"; };");
		return -1;
	}
	n = config_setting_length(v);
	kv->names = pool_alloc(ld->pool, sizeof(char *) * (size_t)(n ? n : 1));
	kv->values = pool_alloc(ld->pool, sizeof(char *) * (size_t)(n ? n : 1));
	for (i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(v, (unsigned)i);
		if (cf_string(ld, e, &s) != 0)
			return -1;
		kv->names[i] = pool_strdup(ld->pool, config_setting_name(e));
		kv->values[i] = pool_strdup(ld->pool, s);
	}
	kv->n = (size_t)n;
	return 0;
}
