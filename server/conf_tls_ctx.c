/*
 * TLS contexts built from the configuration: one SSL_CTX per server that
 * listens with ssl (protocols, ciphers, certificate and key pairs, ticket
 * key files, the session settings), and a client context for each
 * location that proxies to https://.  The master builds them before any
 * worker drops privileges, so keys readable only by root load; workers
 * inherit them.  What happens on a connection is tls.c's.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "conf_int.h"
#include "tls.h"
#include "tls_session.h"

#define EXPIRY_WARN_DAYS	14

static int
proto_version(int bit)
{
	switch (bit) {
	case PROTO_TLSv1:	return TLS1_VERSION;
	case PROTO_TLSv1_1:	return TLS1_1_VERSION;
	case PROTO_TLSv1_2:	return TLS1_2_VERSION;
	default:		return TLS1_3_VERSION;
	}
}

static void
set_protocols(SSL_CTX *ctx, int bits)
{
	static const struct {
		int		 bit;
		uint64_t	 op;
	} ops[] = {
		{ PROTO_TLSv1, SSL_OP_NO_TLSv1 }, { PROTO_TLSv1_1, SSL_OP_NO_TLSv1_1 },
		{ PROTO_TLSv1_2, SSL_OP_NO_TLSv1_2 }, { PROTO_TLSv1_3, SSL_OP_NO_TLSv1_3 },
	};
	int lo = bits & -bits, hi = 1, i;

	while (hi * 2 <= bits)
		hi *= 2;
	SSL_CTX_set_min_proto_version(ctx, proto_version(lo));
	SSL_CTX_set_max_proto_version(ctx, proto_version(hi));
	for (i = 0; i < 4; i++)		/* a gap in the list */
		if (!(bits & ops[i].bit))
			SSL_CTX_set_options(ctx, ops[i].op);
}

static void
check_expiry(struct cfload *ld, const struct server *srv, const char *path,
    X509 *x)
{
	const ASN1_TIME *end = X509_get0_notAfter(x);
	time_t soon = time(NULL) + EXPIRY_WARN_DAYS * 86400;
	struct origin o = setting_origin(ld, srv, NULL, "ssl_certificate");
	int days, secs;

	if (X509_cmp_current_time(end) < 0) {
		cf_warn_at(ld, o.file, o.line, "certificate \"%s\" has expired", path);
		return;
	}
	if (X509_cmp_time(end, &soon) < 0 &&
	    ASN1_TIME_diff(&days, &secs, NULL, end) == 1)
		cf_warn_at(ld, o.file, o.line, "certificate \"%s\" expires in %d "
		    "days", path, days);
}

static int
load_pairs(struct cfload *ld, const struct server *srv, SSL_CTX *ctx)
{
	const struct scope *sc = &srv->sc;
	size_t i;

	for (i = 0; i < sc->ssl_certificate.n; i++) {
		const char *cert = sc->ssl_certificate.v[i];
		const char *key = sc->ssl_certificate_key.v[i];
		if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
			conf_error_for(ld, srv, NULL, "ssl_certificate", "cannot load "
			    "certificate \"%s\": %s", cert, tls_error());
			return -1;
		}
		if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
			conf_error_for(ld, srv, NULL, "ssl_certificate_key", "cannot load "
			    "certificate key \"%s\": %s", key, tls_error());
			return -1;
		}
		if (SSL_CTX_check_private_key(ctx) != 1) {
			conf_error_for(ld, srv, NULL, "ssl_certificate_key", "certificate "
			    "\"%s\" and key \"%s\" do not match", cert, key);
			ERR_clear_error();
			return -1;
		}
		check_expiry(ld, srv, cert, SSL_CTX_get0_certificate(ctx));
	}
	return 0;
}

static int
conf_commands(struct cfload *ld, const struct server *srv, SSL_CTX *ctx)
{
	const struct kvlist *kv = &srv->sc.ssl_conf_command;
	SSL_CONF_CTX *cctx;
	size_t i;
	int rc = 0;

	if (kv->n == 0)
		return 0;
	cctx = SSL_CONF_CTX_new();
	SSL_CONF_CTX_set_flags(cctx, SSL_CONF_FLAG_FILE | SSL_CONF_FLAG_SERVER |
	    SSL_CONF_FLAG_CERTIFICATE);
	SSL_CONF_CTX_set_ssl_ctx(cctx, ctx);
	for (i = 0; i < kv->n && rc == 0; i++)
		if (SSL_CONF_cmd(cctx, kv->names[i], kv->values[i]) <= 0) {
			conf_error_for(ld, srv, NULL, "ssl_conf_command",
			    "ssl_conf_command \"%s\" \"%s\" failed: %s", kv->names[i],
			    kv->values[i], tls_error());
			rc = -1;
		}
	SSL_CONF_CTX_finish(cctx);
	SSL_CONF_CTX_free(cctx);
	return rc;
}


/* nginx's key files, newest first. */
static int
load_key_file(struct cfload *ld, const struct server *srv, const char *path,
    SSL_CTX *ctx)
{
	unsigned char buf[81];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		conf_error_for(ld, srv, NULL, "ssl_session_ticket_key",
		    "ssl_session_ticket_key \"%s\": %s", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	switch (tls_session_add_key(ctx, buf, n)) {
	case -1:
		conf_error_for(ld, srv, NULL, "ssl_session_ticket_key", "at most %d "
		    "ssl_session_ticket_key files", TLS_TICKET_FILES_MAX);
		return -1;
	case -2:
		conf_error_for(ld, srv, NULL, "ssl_session_ticket_key",
		    "ssl_session_ticket_key \"%s\" must be 80 or 48 bytes, not %zu",
		    path, n);
		return -1;
	}
	return 0;
}

/* The line of the listen that puts the server on TLS. */
static int
ssl_listen_line(const struct server *srv)
{
	size_t i;

	for (i = 0; i < srv->nlistens; i++)
		if (srv->listens[i].ssl)
			return srv->listens[i].line;
	return srv->listens[0].line;	/* on an address another made ssl */
}

static SSL_CTX *
build_ctx(struct cfload *ld, struct server *srv)
{
	const struct scope *sc = &srv->sc;
	SSL_CTX *ctx;
	size_t i;

	if (sc->ssl_certificate.n == 0) {
		conf_error_at(ld, srv->file, ssl_listen_line(srv), "no "
		    "\"ssl_certificate\" is defined for a server that listens with "
		    "\"ssl\"");
		return NULL;
	}
	if (sc->ssl_certificate_key.n != sc->ssl_certificate.n) {
		conf_error_for(ld, srv, NULL, "ssl_certificate_key", "%zu "
		    "ssl_certificate but %zu ssl_certificate_key: they go in pairs",
		    sc->ssl_certificate.n, sc->ssl_certificate_key.n);
		return NULL;
	}
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		conf_error_at(ld, srv->file, srv->line, "SSL_CTX_new() failed: %s",
		    tls_error());
		return NULL;
	}
	tls_session_setup(ctx, sc, ld->pool);
	set_protocols(ctx, sc->ssl_protocols);
	/* Clients often close without close_notify; OpenSSL would take that
	 * for a fatal error and drop the session from the cache (nginx sets
	 * the same option). */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
	    SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* The server's order, except that a client putting ChaCha20 first
	 * (one without AES instructions) gets it. */
	if (sc->ssl_prefer_server_ciphers)
		SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE |
		    SSL_OP_PRIORITIZE_CHACHA);
	/* No SSL_MODE_RELEASE_BUFFERS (nginx's, for thousands of connections a
	 * worker): a worker serves one, and freeing and allocating its record
	 * buffers around every read and write cost 15% of a request. */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (SSL_CTX_set_cipher_list(ctx, sc->ssl_ciphers) != 1) {
		conf_error_for(ld, srv, NULL, "ssl_ciphers", "invalid ssl_ciphers "
		    "\"%s\": %s", sc->ssl_ciphers, tls_error());
		goto fail;
	}
	if (conf_commands(ld, srv, ctx) != 0 || load_pairs(ld, srv, ctx) != 0)
		goto fail;
	for (i = 0; i < sc->ssl_session_ticket_key.n; i++)
		if (load_key_file(ld, srv, sc->ssl_session_ticket_key.v[i], ctx) != 0)
			goto fail;
	tls_handshake_setup(ctx);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* Two servers naming one cache must agree on its size. */
static int
check_caches(struct cfload *ld, struct server *srv)
{
	struct config *cf = ld->cf;
	const struct ssl_cache_conf *mine = &srv->sc.ssl_session_cache;
	size_t i;

	for (i = 0; mine->shared && i < cf->nservers; i++) {
		const struct ssl_cache_conf *o = &cf->servers[i]->sc.ssl_session_cache;
		if (cf->servers[i] == srv)
			break;
		if (o->shared && strcmp(o->name, mine->name) == 0 &&
		    o->size != mine->size) {
			struct origin first = setting_origin(ld, cf->servers[i], NULL,
			    "ssl_session_cache");
			conf_error_for(ld, srv, NULL, "ssl_session_cache",
			    "ssl_session_cache \"%s\" is %lld bytes here but %lld in "
			    "%s:%d", mine->name, mine->size, o->size, first.file,
			    first.line);
			return -1;
		}
	}
	return 0;
}

/* Contexts for every server reachable on an ssl listener. */
int
conf_tls_contexts(struct cfload *ld)
{
	struct config *cf = ld->cf;
	size_t i, j;

	for (i = 0; i < cf->nvhosts; i++) {
		struct vhosts *vh = cf->vhosts[i];
		if (!vh->ssl)
			continue;
		for (j = 0; j < vh->nservers; j++) {
			struct server *srv = vh->servers[j];
			if (srv->ssl_ctx != NULL)
				continue;
			if (check_caches(ld, srv) != 0)
				return -1;
			if ((srv->ssl_ctx = build_ctx(ld, srv)) == NULL)
				return -1;
		}
	}
	return 0;
}

/* The client side for a location's https:// upstream. */
void *
conf_tls_client_ctx(struct cfload *ld, const struct location *loc)
{
	const struct scope *sc = &loc->sc;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		conf_error_at(ld, loc->file, loc->line, "SSL_CTX_new() failed: %s",
		    tls_error());
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (!sc->proxy_ssl_verify)
		return ctx;
	if (sc->proxy_ssl_trusted_certificate != NULL ?
	    SSL_CTX_load_verify_locations(ctx, sc->proxy_ssl_trusted_certificate,
	    NULL) != 1 : SSL_CTX_set_default_verify_paths(ctx) != 1) {
		conf_error_for(ld, loc->srv, loc, sc->proxy_ssl_trusted_certificate ?
		    "proxy_ssl_trusted_certificate" : "proxy_ssl_verify", "cannot load "
		    "trusted certificates \"%s\": %s", sc->proxy_ssl_trusted_certificate ?
		    sc->proxy_ssl_trusted_certificate : "(system default)", tls_error());
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
}

void
conf_tls_release(struct config *cf)
{
	size_t i, j;

	for (i = 0; i < cf->nservers; i++) {
		struct server *srv = cf->servers[i];
		if (srv->ssl_ctx != NULL)
			SSL_CTX_free(srv->ssl_ctx);
		srv->ssl_ctx = NULL;
		for (j = 0; j < srv->nlocs; j++)
			if (srv->locs[j]->proxy != NULL &&
			    srv->locs[j]->proxy->ssl_ctx != NULL) {
				SSL_CTX_free(srv->locs[j]->proxy->ssl_ctx);
				srv->locs[j]->proxy->ssl_ctx = NULL;
			}
	}
}
