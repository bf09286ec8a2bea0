/*
 * TLS.  The master builds one SSL_CTX per server that listens with ssl,
 * loading its certificates and keys before any worker drops privileges;
 * workers inherit them.  The handshake starts with the address's default
 * server and SNI switches to the server the name selects (an invalid name
 * ends the handshake with unrecognized_name, as nginx).  Sessions are
 * cached in the shared segment through OpenSSL's external cache callbacks
 * (never in a worker's memory), and session tickets are sealed with keys
 * the master makes and rotates in the shared segment, so a client resumes
 * whichever worker it reaches.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "clock.h"
#include "conf_int.h"
#include "http.h"
#include "log.h"
#include "shm.h"
#include "ssl_cache.h"
#include "tls.h"
#include "worker.h"

#define EXPIRY_WARN_DAYS	14
#define TICKET_KEYS_MAX		8	/* from files */

/* What a context carries besides OpenSSL's own state. */
struct ctx_data {
	const struct server	*srv;
	struct ssl_cache	*cache;		/* bound by the master */
	struct ticket_key	 keys[TICKET_KEYS_MAX];	/* from files, newest first */
	size_t			 nkeys;
};

static int ctx_index = -1;
static struct ticket_keys *tickets;		/* shared, made by the master */

static struct ctx_data *
data_of(SSL_CTX *ctx)
{
	return SSL_CTX_get_ex_data(ctx, ctx_index);
}

static const char *
ssl_error(void)
{
	static char buf[256];
	unsigned long e = ERR_get_error();

	if (e == 0)
		return "unknown error";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

/* ---------------------------------------------------------- session cache */

static int
new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct conn *c = SSL_get_app_data(ssl);
	unsigned char buf[SSL_SLOT_DATA], *p = buf;
	const unsigned char *id;
	unsigned int idlen;
	int len;

	if (c == NULL || c->ssl_cache == NULL)
		return 0;
	len = i2d_SSL_SESSION(sess, NULL);
	if (len <= 0 || len > (int)sizeof(buf))
		return 0;
	i2d_SSL_SESSION(sess, &p);
	id = SSL_SESSION_get_id(sess, &idlen);
	clock_update();
	ssl_cache_store(c->ssl_cache, id, idlen, buf, (size_t)len,
	    now.msec + (int64_t)SSL_SESSION_get_timeout(sess) * 1000);
	return 0;		/* we keep no reference */
}

static SSL_SESSION *
get_session(SSL *ssl, const unsigned char *id, int idlen, int *copy)
{
	struct conn *c = SSL_get_app_data(ssl);
	unsigned char buf[SSL_SLOT_DATA];
	const unsigned char *p = buf;
	size_t n;

	*copy = 0;
	if (c == NULL || c->ssl_cache == NULL || idlen <= 0)
		return NULL;
	clock_update();
	n = ssl_cache_fetch(c->ssl_cache, id, (size_t)idlen, buf, sizeof(buf),
	    now.msec);
	return n > 0 ? d2i_SSL_SESSION(NULL, &p, (long)n) : NULL;
}

static void
remove_session(SSL_CTX *ctx, SSL_SESSION *sess)
{
	struct ctx_data *d = data_of(ctx);
	const unsigned char *id;
	unsigned int idlen;

	if (d == NULL || d->cache == NULL)
		return;
	id = SSL_SESSION_get_id(sess, &idlen);
	ssl_cache_remove(d->cache, id, idlen);
}

/* ---------------------------------------------------------- session tickets */

static size_t
current_keys(SSL *ssl, struct ticket_key *out)
{
	struct ctx_data *d = data_of(SSL_get_SSL_CTX(ssl));
	size_t n;

	if (d != NULL && d->nkeys > 0) {
		memcpy(out, d->keys, sizeof(*out) * d->nkeys);
		return d->nkeys;
	}
	if (tickets == NULL)
		return 0;
	shm_lock(&tickets->lock);
	n = tickets->n;
	memcpy(out, tickets->keys, sizeof(*out) * n);
	shm_unlock(&tickets->lock);
	return n;
}

static int
mac_key(EVP_MAC_CTX *hctx, struct ticket_key *k)
{
	OSSL_PARAM params[3];

	params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, k->hmac,
	    k->hmac_len);
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[2] = OSSL_PARAM_construct_end();
	return EVP_MAC_CTX_set_params(hctx, params) == 1 ? 0 : -1;
}

static const EVP_CIPHER *
cipher_of(const struct ticket_key *k)
{
	return k->aes_len == 32 ? EVP_aes_256_cbc() : EVP_aes_128_cbc();
}

/* OpenSSL asks for a key to seal a new ticket (enc) or to open one. */
static int
ticket_key_cb(SSL *ssl, unsigned char name[16], unsigned char *iv,
    EVP_CIPHER_CTX *ectx, EVP_MAC_CTX *hctx, int enc)
{
	struct ticket_key keys[TICKET_KEYS_MAX];
	size_t n = current_keys(ssl, keys), i;

	if (n == 0)
		return enc ? -1 : 0;
	if (enc) {
		memcpy(name, keys[0].name, 16);
		if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(cipher_of(&keys[0]))) != 1 ||
		    EVP_EncryptInit_ex(ectx, cipher_of(&keys[0]), NULL, keys[0].aes,
		    iv) != 1 || mac_key(hctx, &keys[0]) != 0)
			return -1;
		return 1;
	}
	for (i = 0; i < n; i++)
		if (memcmp(name, keys[i].name, 16) == 0)
			break;
	if (i == n)
		return 0;		/* unknown key: a full handshake */
	if (mac_key(hctx, &keys[i]) != 0 ||
	    EVP_DecryptInit_ex(ectx, cipher_of(&keys[i]), NULL, keys[i].aes, iv) != 1)
		return -1;
	return i == 0 ? 1 : 2;		/* 2: sealed with an older key, renew it */
}

static void
make_key(struct ticket_key *k)
{
	RAND_bytes(k->name, sizeof(k->name));
	RAND_bytes(k->hmac, sizeof(k->hmac));
	RAND_bytes(k->aes, sizeof(k->aes));
	k->hmac_len = 32;
	k->aes_len = 32;
}

/* nginx's key files: 80 bytes (name, 32-byte HMAC key, AES-256 key) or
 * 48 (name, 16, AES-128). */
static int
load_key_file(struct cfload *ld, const struct server *srv, const char *path,
    struct ticket_key *k)
{
	unsigned char buf[81];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		conf_error_at(ld, srv->file, srv->line, "ssl_session_ticket_key "
		    "\"%s\": %s", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (n != 80 && n != 48) {
		conf_error_at(ld, srv->file, srv->line, "ssl_session_ticket_key "
		    "\"%s\" must be 80 or 48 bytes, not %zu", path, n);
		return -1;
	}
	memset(k, 0, sizeof(*k));
	k->hmac_len = k->aes_len = n == 80 ? 32 : 16;
	memcpy(k->name, buf, 16);
	memcpy(k->hmac, buf + 16, k->hmac_len);
	memcpy(k->aes, buf + 16 + k->hmac_len, k->aes_len);
	return 0;
}

/* ---------------------------------------------------------- SNI and ALPN */

/* The host_name of a ClientHello's server_name extension, in out. */
static int
client_hello_name(SSL *ssl, char *out, size_t size, size_t *len)
{
	const unsigned char *p;
	size_t n, list, nlen;

	if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &n) != 1)
		return 0;
	if (n < 5 || (list = (size_t)(p[0] << 8 | p[1])) != n - 2 || p[2] != 0)
		return -1;
	nlen = (size_t)(p[3] << 8 | p[4]);
	if (nlen == 0 || nlen + 3 > list || nlen >= size)
		return -1;
	memcpy(out, p + 5, nlen);
	out[nlen] = '\0';
	*len = nlen;
	return 1;
}

/*
 * Choose the server by SNI before OpenSSL reads any other extension, so the
 * chosen server's settings (tickets, protocols) govern the whole handshake.
 * A name that is not a valid host name ends the handshake with
 * unrecognized_name, as nginx.
 */
static int
client_hello_cb(SSL *ssl, int *al, void *arg)
{
	struct conn *c = SSL_get_app_data(ssl);
	char name[256];
	size_t len = 0;
	struct str h;
	const struct server *srv;
	SSL_CTX *ctx;
	int rc;

	if (c == NULL)
		return SSL_CLIENT_HELLO_SUCCESS;
	rc = client_hello_name(ssl, name, sizeof(name), &len);
	if (rc == 0)
		return SSL_CLIENT_HELLO_SUCCESS;
	if (rc < 0 || memchr(name, '\0', len) != NULL ||
	    http_parse_host((struct str){ name, len }, c->sni, &h) != 0) {
		c->sni[0] = '\0';
		*al = SSL_AD_UNRECOGNIZED_NAME;
		return SSL_CLIENT_HELLO_ERROR;
	}
	c->sni[h.n] = '\0';
	srv = match_server(c->vh, h, NULL);
	ctx = srv != NULL ? srv->ssl_ctx : NULL;
	if (ctx != NULL && ctx != SSL_get_SSL_CTX(ssl)) {
		SSL_set_SSL_CTX(ssl, ctx);
		/* SSL_set_SSL_CTX takes the certificates; the options too. */
		SSL_clear_options(ssl, SSL_get_options(ssl) & ~SSL_CTX_get_options(ctx));
		SSL_set_options(ssl, SSL_CTX_get_options(ctx));
		SSL_set_min_proto_version(ssl, SSL_CTX_get_min_proto_version(ctx));
		SSL_set_max_proto_version(ssl, SSL_CTX_get_max_proto_version(ctx));
		SSL_set_num_tickets(ssl, SSL_CTX_get_num_tickets(ctx));
	}
	return SSL_CLIENT_HELLO_SUCCESS;
}

/* Acknowledge the name the client hello callback already acted on. */
static int
sni_cb(SSL *ssl, int *al, void *arg)
{
	struct conn *c = SSL_get_app_data(ssl);

	return c != NULL && c->sni[0] != '\0' ? SSL_TLSEXT_ERR_OK :
	    SSL_TLSEXT_ERR_NOACK;
}

static int
alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char both[] = "\x02h2\x08http/1.1";
	static const unsigned char h1[] = "\x08http/1.1";
	struct conn *c = SSL_get_app_data(ssl);
	bool h2 = c != NULL && c->vh->http2;

	if (SSL_select_next_proto((unsigned char **)out, outlen, h2 ? both : h1,
	    h2 ? sizeof(both) - 1 : sizeof(h1) - 1, in, inlen) !=
	    OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	return SSL_TLSEXT_ERR_OK;
}

/* ---------------------------------------------------------- contexts */

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
	int days, secs;

	if (X509_cmp_current_time(end) < 0) {
		cf_warn_at(ld, srv->file, srv->line, "certificate \"%s\" has expired",
		    path);
		return;
	}
	if (X509_cmp_time(end, &soon) < 0 &&
	    ASN1_TIME_diff(&days, &secs, NULL, end) == 1)
		cf_warn_at(ld, srv->file, srv->line, "certificate \"%s\" expires in %d "
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
			conf_error_at(ld, srv->file, srv->line, "cannot load certificate "
			    "\"%s\": %s", cert, ssl_error());
			return -1;
		}
		if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
			conf_error_at(ld, srv->file, srv->line, "cannot load certificate "
			    "key \"%s\": %s", key, ssl_error());
			return -1;
		}
		if (SSL_CTX_check_private_key(ctx) != 1) {
			conf_error_at(ld, srv->file, srv->line, "certificate \"%s\" and "
			    "key \"%s\" do not match", cert, key);
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
			conf_error_at(ld, srv->file, srv->line, "ssl_conf_command "
			    "\"%s\" \"%s\" failed: %s", kv->names[i], kv->values[i],
			    ssl_error());
			rc = -1;
		}
	SSL_CONF_CTX_finish(cctx);
	SSL_CONF_CTX_free(cctx);
	return rc;
}

static void
session_settings(SSL_CTX *ctx, const struct scope *sc)
{
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"portico", 7);
	SSL_CTX_set_timeout(ctx, (long)(sc->ssl_session_timeout / 1000));
	if (sc->ssl_session_cache.shared) {
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER |
		    SSL_SESS_CACHE_NO_INTERNAL | SSL_SESS_CACHE_NO_AUTO_CLEAR);
		SSL_CTX_sess_set_new_cb(ctx, new_session);
		SSL_CTX_sess_set_get_cb(ctx, get_session);
		SSL_CTX_sess_set_remove_cb(ctx, remove_session);
	} else
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	/* Set even without tickets: OpenSSL opens tickets with the callback of
	 * the context the handshake started with. */
	SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_key_cb);
	if (!sc->ssl_session_tickets) {
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
		if (!sc->ssl_session_cache.shared)
			SSL_CTX_set_num_tickets(ctx, 0);
	}
}

static SSL_CTX *
build_ctx(struct cfload *ld, struct server *srv)
{
	const struct scope *sc = &srv->sc;
	struct ctx_data *d;
	SSL_CTX *ctx;
	size_t i;

	if (sc->ssl_certificate.n == 0) {
		conf_error_at(ld, srv->file, srv->line, "no \"ssl_certificate\" is "
		    "defined for a server that listens with \"ssl\"");
		return NULL;
	}
	if (sc->ssl_certificate_key.n != sc->ssl_certificate.n) {
		conf_error_at(ld, srv->file, srv->line, "%zu ssl_certificate but %zu "
		    "ssl_certificate_key: they go in pairs", sc->ssl_certificate.n,
		    sc->ssl_certificate_key.n);
		return NULL;
	}
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		conf_error_at(ld, srv->file, srv->line, "SSL_CTX_new() failed: %s",
		    ssl_error());
		return NULL;
	}
	d = pool_zalloc(ld->pool, sizeof(*d));
	d->srv = srv;
	SSL_CTX_set_ex_data(ctx, ctx_index, d);
	set_protocols(ctx, sc->ssl_protocols);
	/* Clients often close without close_notify; OpenSSL would take that
	 * for a fatal error and drop the session from the cache (nginx sets
	 * the same option). */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
	    SSL_OP_IGNORE_UNEXPECTED_EOF |
	    (sc->ssl_prefer_server_ciphers ? SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (SSL_CTX_set_cipher_list(ctx, sc->ssl_ciphers) != 1) {
		conf_error_at(ld, srv->file, srv->line, "invalid ssl_ciphers \"%s\": %s",
		    sc->ssl_ciphers, ssl_error());
		goto fail;
	}
	if (conf_commands(ld, srv, ctx) != 0 || load_pairs(ld, srv, ctx) != 0)
		goto fail;
	for (i = 0; i < sc->ssl_session_ticket_key.n; i++) {
		if (i == TICKET_KEYS_MAX) {
			conf_error_at(ld, srv->file, srv->line, "at most %d "
			    "ssl_session_ticket_key files", TICKET_KEYS_MAX);
			goto fail;
		}
		if (load_key_file(ld, srv, sc->ssl_session_ticket_key.v[i],
		    &d->keys[i]) != 0)
			goto fail;
		d->nkeys++;
	}
	session_settings(ctx, sc);
	SSL_CTX_set_client_hello_cb(ctx, client_hello_cb, NULL);
	SSL_CTX_set_tlsext_servername_callback(ctx, sni_cb);
	SSL_CTX_set_alpn_select_cb(ctx, alpn_cb, NULL);
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
			conf_error_at(ld, srv->file, srv->line, "ssl_session_cache "
			    "\"%s\" is %lld bytes here but %lld in %s:%d", mine->name,
			    mine->size, o->size, cf->servers[i]->file,
			    cf->servers[i]->line);
			return -1;
		}
	}
	return 0;
}

/* Contexts for every server reachable on an ssl listener. */
int
tls_configure(struct cfload *ld)
{
	struct config *cf = ld->cf;
	size_t i, j;

	if (ctx_index < 0)
		ctx_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
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
tls_client_ctx(struct cfload *ld, const struct location *loc)
{
	const struct scope *sc = &loc->sc;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		conf_error_at(ld, loc->file, loc->line, "SSL_CTX_new() failed: %s",
		    ssl_error());
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
		conf_error_at(ld, loc->file, loc->line, "cannot load trusted "
		    "certificates \"%s\": %s", sc->proxy_ssl_trusted_certificate ?
		    sc->proxy_ssl_trusted_certificate : "(system default)", ssl_error());
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
}

void
tls_release(struct config *cf)
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

/* ---------------------------------------------------------- shared state */

/* Give each context its cache zone, and make the ticket keys (master). */
int
tls_bind(struct config *cf, uint32_t gen)
{
	size_t i;
	char name[80];
	bool fresh;

	for (i = 0; i < cf->nservers; i++) {
		const struct server *srv = cf->servers[i];
		const struct ssl_cache_conf *cc = &srv->sc.ssl_session_cache;
		struct ctx_data *d;
		if (srv->ssl_ctx == NULL || !cc->shared)
			continue;
		d = data_of(srv->ssl_ctx);
		snprintf(name, sizeof(name), "ssl_cache:%s", cc->name);
		d->cache = shm_zone(name, (size_t)cc->size, gen, &fresh);
		if (d->cache == NULL)
			return -1;
		if (fresh && ssl_cache_init(d->cache, (size_t)cc->size) != 0)
			return -1;
	}
	if (tickets == NULL) {
		tickets = shm_zone("ssl_tickets", sizeof(*tickets), UINT32_MAX, &fresh);
		if (tickets == NULL)
			return -1;
		if (fresh) {
			shm_lock_init(&tickets->lock);
			make_key(&tickets->keys[0]);
			tickets->n = 1;
			clock_update();
			tickets->rotated = now.msec;
		}
	}
	return 0;
}

/* Every ssl_session_timeout a new key seals tickets; the previous one
 * still opens those it sealed (master). */
void
tls_rotate(const struct config *cf)
{
	long long period = cf->sc.ssl_session_timeout;

	if (tickets == NULL || period <= 0)
		return;
	clock_update();
	if (now.msec - tickets->rotated < period)
		return;
	shm_lock(&tickets->lock);
	memmove(&tickets->keys[1], &tickets->keys[0],
	    sizeof(tickets->keys[0]) * (TICKET_KEYS - 1));
	make_key(&tickets->keys[0]);
	tickets->n = TICKET_KEYS;
	tickets->rotated = now.msec;
	shm_unlock(&tickets->lock);
}

/* The shared session cache of a server's context, for the status page. */
struct ssl_cache *
tls_server_cache(const struct server *srv)
{
	struct ctx_data *d = srv->ssl_ctx != NULL ? data_of(srv->ssl_ctx) : NULL;

	return d != NULL ? d->cache : NULL;
}

/* ---------------------------------------------------------- connections */

static const struct ctx_data *
conn_data(const struct conn *c)
{
	return data_of(c->vh->def->ssl_ctx);
}

int
tls_accept(struct conn *c, long long timeout)
{
	SSL *ssl = SSL_new(c->vh->def->ssl_ctx);
	int64_t deadline = clock_mono_ms() + timeout;
	const unsigned char *alpn;
	unsigned int alen;
	struct pollfd pfd;
	int rc, err;

	if (ssl == NULL)
		return -1;
	SSL_set_fd(ssl, c->fd);
	SSL_set_app_data(ssl, c);
	c->ssl = ssl;
	c->ssl_cache = conn_data(c)->cache;
	for (;;) {
		ERR_clear_error();
		rc = SSL_accept(ssl);
		if (rc == 1)
			break;
		err = SSL_get_error(ssl, rc);
		if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
			log_ctx(&(struct log_ctx){ NULL, c->id, NULL }, LV_INFO,
			    err == SSL_ERROR_SYSCALL ? errno : 0, "SSL handshake with "
			    "%s failed: %s", c->peer_text, err == SSL_ERROR_SSL ?
			    ssl_error() : "connection closed");
			return -1;
		}
		pfd = (struct pollfd){ c->fd, err == SSL_ERROR_WANT_READ ? POLLIN :
		    POLLOUT, 0 };
		if (worker_poll(&pfd, 1, deadline - clock_mono_ms(), true) <= 0) {
			log_ctx(&(struct log_ctx){ NULL, c->id, NULL }, LV_INFO,
			    ETIMEDOUT, "SSL handshake with %s timed out", c->peer_text);
			return -1;
		}
	}
	SSL_get0_alpn_selected(ssl, &alpn, &alen);
	c->h2 = alen == 2 && memcmp(alpn, "h2", 2) == 0;
	return 0;
}

/*
 * The client side of TLS to an upstream: 1 done, 0 waiting for c->want,
 * -1 failed (*why says how).  name goes in SNI unless it is an address,
 * and is what the certificate must be for when verification is on.
 */
int
tls_connect(struct conn *c, void *ctx, const char *name, const char **why)
{
	SSL *ssl = c->ssl;
	struct in6_addr a;
	int rc, err;
	long vr;

	if (ssl == NULL) {
		if ((ssl = SSL_new(ctx)) == NULL) {
			*why = ssl_error();
			return -1;
		}
		SSL_set_fd(ssl, c->fd);
		c->ssl = ssl;
		if (inet_pton(AF_INET, name, &a) == 1 || inet_pton(AF_INET6, name, &a) == 1)
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name);
		else {
			SSL_set1_host(ssl, name);
			SSL_set_tlsext_host_name(ssl, name);
		}
	}
	ERR_clear_error();
	rc = SSL_connect(ssl);
	if (rc == 1)
		return 1;
	err = SSL_get_error(ssl, rc);
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
		c->want = err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		return 0;
	}
	vr = SSL_get_verify_result(ssl);
	*why = vr != X509_V_OK ? X509_verify_cert_error_string(vr) :
	    err == SSL_ERROR_SSL ? ssl_error() : "connection closed";
	return -1;
}

static ssize_t
io_result(struct conn *c, int n)
{
	switch (SSL_get_error(c->ssl, n)) {
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_WANT_READ:
		c->want = POLLIN;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		c->want = POLLOUT;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_SYSCALL:
		if (errno == 0)
			return 0;	/* closed without close_notify */
		return -1;
	default:
		ERR_clear_error();
		errno = EPROTO;
		return -1;
	}
}

ssize_t
tls_read(struct conn *c, void *buf, size_t n)
{
	int k;

	ERR_clear_error();
	errno = 0;
	k = SSL_read(c->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
	return k > 0 ? k : io_result(c, k);
}

ssize_t
tls_write(struct conn *c, const void *buf, size_t n)
{
	int k;

	ERR_clear_error();
	errno = 0;
	k = SSL_write(c->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
	return k > 0 ? k : io_result(c, k);
}

ssize_t
tls_peek(struct conn *c, void *buf, size_t n)
{
	int k;

	ERR_clear_error();
	errno = 0;
	k = SSL_peek(c->ssl, buf, (int)n);
	return k > 0 ? k : io_result(c, k);
}

size_t
tls_pending(const struct conn *c)
{
	return c->ssl != NULL ? (size_t)SSL_pending(c->ssl) : 0;
}

void
tls_close(struct conn *c)
{
	if (c->ssl == NULL)
		return;
	ERR_clear_error();
	if (!c->broken)
		SSL_shutdown(c->ssl);	/* one try: close_notify, not waited for */
	SSL_free(c->ssl);
	ERR_clear_error();
	c->ssl = NULL;
}

const char *
tls_protocol(const struct conn *c)
{
	return c->ssl != NULL ? SSL_get_version(c->ssl) : NULL;
}

const char *
tls_cipher(const struct conn *c)
{
	return c->ssl != NULL ? SSL_get_cipher_name(c->ssl) : NULL;
}

int
tls_reused(const struct conn *c)
{
	return c->ssl != NULL ? SSL_session_reused(c->ssl) : -1;
}
