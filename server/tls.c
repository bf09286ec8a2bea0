/*
 * TLS on a connection: the handshake and record I/O of a worker's client
 * connection and of its connections to https:// upstreams.  The handshake
 * starts with the address's default server and SNI switches to the server
 * the name selects (an invalid name ends the handshake with
 * unrecognized_name, as nginx); ALPN chooses h2 or http/1.1.  Contexts are
 * built at configuration time (conf_tls_ctx.c), sessions are shared
 * (tls_session.c).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "clock.h"
#include "http.h"
#include "log.h"
#include "tls.h"
#include "tls_session.h"
#include "wait.h"

/* OpenSSL's last error, for a log line. */
const char *
tls_error(void)
{
	static char buf[256];
	unsigned long e = ERR_get_error();

	if (e == 0)
		return "unknown error";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

/* OpenSSL's error queue must be empty before an I/O call for SSL_get_error
 * to tell the truth.  Clearing it when it is empty already frees its 16
 * slots' nothing one by one (OpenSSL 3.0): 3,000 instructions a request. */
static void
clear_errors(void)
{
	if (ERR_peek_error() != 0)
		ERR_clear_error();
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

static unsigned long control_records;

/* Count the records a client sends besides application data (handshake
 * messages such as a key update, alerts). */
static void
msg_cb(int write_p, int version, int type, const void *buf, size_t len,
    SSL *ssl, void *arg)
{
	if (!write_p && (type == SSL3_RT_HANDSHAKE || type == SSL3_RT_ALERT ||
	    type == SSL3_RT_CHANGE_CIPHER_SPEC))
		control_records++;
}

/* The handshake callbacks of a server context (configuration time), and
 * read-ahead: a request's record is read with one read(2) instead of its
 * header and then its body (nginx does the same). */
void
tls_handshake_setup(void *ssl_ctx)
{
	SSL_CTX_set_client_hello_cb(ssl_ctx, client_hello_cb, NULL);
	SSL_CTX_set_tlsext_servername_callback(ssl_ctx, sni_cb);
	SSL_CTX_set_alpn_select_cb(ssl_ctx, alpn_cb, NULL);
	SSL_CTX_set_read_ahead(ssl_ctx, 1);
	SSL_CTX_set_msg_callback(ssl_ctx, msg_cb);
}

/* Records other than application data received by this process so far:
 * when a read got none, the data it returned came first after the last
 * wait. */
unsigned long
tls_control_records(void)
{
	return control_records;
}

/* ---------------------------------------------------------- connections */

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
	c->ssl_cache = tls_server_cache(c->vh->def);
	for (;;) {
		clear_errors();
		rc = SSL_accept(ssl);
		if (rc == 1)
			break;
		err = SSL_get_error(ssl, rc);
		if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
			log_ctx(&(struct log_ctx){ NULL, c->id, NULL }, LV_INFO,
			    err == SSL_ERROR_SYSCALL ? errno : 0, "SSL handshake with "
			    "%s failed: %s", c->peer_text, err == SSL_ERROR_SSL ?
			    tls_error() : "connection closed");
			return -1;
		}
		pfd = (struct pollfd){ c->fd, err == SSL_ERROR_WANT_READ ? POLLIN :
		    POLLOUT, 0 };
		switch (wait_poll(&pfd, 1, deadline - clock_mono_ms(), WAIT_HEAD)) {
		case WAIT_READY:
			break;
		case WAIT_SHED:
			log_ctx(&(struct log_ctx){ NULL, c->id, NULL }, LV_INFO, 0,
			    "closing a connection of %s to make room: every worker "
			    "is busy", c->peer_text);
			return -1;
		default:
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
			*why = tls_error();
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
	clear_errors();
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
	    err == SSL_ERROR_SSL ? tls_error() : "connection closed";
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
		c->tls_starved = true;
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

	clear_errors();
	errno = 0;
	k = SSL_read(c->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
	if (k > 0)
		c->tls_starved = false;
	return k > 0 ? k : io_result(c, k);
}

ssize_t
tls_write(struct conn *c, const void *buf, size_t n)
{
	int k;

	clear_errors();
	errno = 0;
	k = SSL_write(c->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
	return k > 0 ? k : io_result(c, k);
}

ssize_t
tls_peek(struct conn *c, void *buf, size_t n)
{
	int k;

	clear_errors();
	errno = 0;
	k = SSL_peek(c->ssl, buf, (int)n);
	return k > 0 ? k : io_result(c, k);
}

/* Can a read return data without waiting?  Decrypted bytes are waiting,
 * or read-ahead holds bytes that may be a whole record, unless the last
 * read found them to be only part of one. */
bool
tls_buffered(const struct conn *c)
{
	return c->ssl != NULL && (SSL_pending(c->ssl) > 0 ||
	    (!c->tls_starved && SSL_has_pending(c->ssl)));
}

void
tls_close(struct conn *c)
{
	if (c->ssl == NULL)
		return;
	clear_errors();
	if (!c->broken)
		SSL_shutdown(c->ssl);	/* one try: close_notify, not waited for */
	SSL_free(c->ssl);
	clear_errors();
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
