/*
 * TLS sessions that outlive a connection and a worker: the shared session
 * cache (OpenSSL's external cache callbacks over a zone of the shared
 * segment, never a worker's memory) and the ticket keys (made and rotated
 * by the master in the shared segment, or read from files), so a client
 * resumes whichever worker it reaches.  The configuration installs these on
 * each server context; the master binds them to their zones.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "clock.h"
#include "conf.h"
#include "http.h"
#include "shm.h"
#include "ssl_cache.h"
#include "tls_session.h"

/* What a server context carries besides OpenSSL's own state. */
struct ctx_data {
	struct ssl_cache	*cache;		/* bound by the master */
	struct ticket_key	 keys[TLS_TICKET_FILES_MAX];	/* from files, newest first */
	size_t			 nkeys;
};

static int ctx_index = -1;
static struct ticket_keys *tickets;		/* shared, made by the master */

static struct ctx_data *
data_of(SSL_CTX *ctx)
{
	return ctx_index < 0 ? NULL : SSL_CTX_get_ex_data(ctx, ctx_index);
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
	struct ticket_key keys[TLS_TICKET_FILES_MAX];	/* >= TICKET_KEYS */
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
 * 48 (name, 16, AES-128).  0 added; -1 too many keys; -2 a bad size. */
int
tls_session_add_key(void *ssl_ctx, const unsigned char *buf, size_t n)
{
	struct ctx_data *d = data_of(ssl_ctx);
	struct ticket_key *k;

	if (n != 80 && n != 48)
		return -2;
	if (d == NULL || d->nkeys == TLS_TICKET_FILES_MAX)
		return -1;
	k = &d->keys[d->nkeys++];
	memset(k, 0, sizeof(*k));
	k->hmac_len = k->aes_len = n == 80 ? 32 : 16;
	memcpy(k->name, buf, 16);
	memcpy(k->hmac, buf + 16, k->hmac_len);
	memcpy(k->aes, buf + 16 + k->hmac_len, k->aes_len);
	return 0;
}

/* ---------------------------------------------------------- setup */

/* Sessions of a server context as its scope says (configuration time). */
void
tls_session_setup(void *ssl_ctx, const struct scope *sc, struct pool *pool)
{
	SSL_CTX *ctx = ssl_ctx;

	if (ctx_index < 0)
		ctx_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	SSL_CTX_set_ex_data(ctx, ctx_index, pool_zalloc(pool, sizeof(struct ctx_data)));
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
