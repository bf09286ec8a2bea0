/*
 * Fuzz target: the HTTP/2 request path (h2.c) through nghttp2's callbacks
 * into portico's request processing: streams, headers, request bodies,
 * static files, redirects, error pages, access rules, the status page and
 * the responses'
 * DATA under flow control.  The input is what a client sends after the
 * connection preface, read as frames: each frame goes to the session
 * (h2_input), and what the session then has to send is taken from it
 * (h2_output) and dropped, as a client that reads everything would.  No
 * socket is involved; the site is a configuration and some files in the
 * target's directory.
 */
#include "config.h"

#include <arpa/inet.h>
#include <unistd.h>

#include "conf.h"
#include "conf_load.h"
#include "h2.h"
#include "http.h"
#include "scoreboard.h"
#include "shm.h"
#include "fuzz.h"

static const char site[] =
    "error_log = \"error.log\";\n"
    "servers = ( {\n"
    "  listen = \"8080 http2\"; server_name = \"h2.test\"; root = \"html\";\n"
    "  autoindex = true; client_max_body_size = \"1k\"; expires = \"1h\";\n"
    "  add_header = { X-Site = \"h2\"; }; error_page = \"404 /404.html\";\n"
    "  locations = (\n"
    "    { match = \"= /proto\";\n"
    "      return = \"200 $server_protocol $host $args $http_user_agent\"; },\n"
    "    { match = \"/go/\"; return = \"301 /elsewhere$uri?$args\"; },\n"
    "    { match = \"~ ^/t/(.*)$\"; try_files = \"/$1 /index.html =404\"; },\n"
    "    { match = \"/deny/\"; access = [ \"deny 127.0.0.1\", \"allow all\" ]; },\n"
    "    { match = \"= /status\"; status = \"json\"; }\n"
    "  ); } );\n";

static struct conn conn;

static void
files(void)
{
	static char big[70000];

	fuzz_put("portico.conf", site, sizeof(site) - 1);
	fuzz_mkdir("html");
	fuzz_mkdir("html/dir");
	fuzz_put("html/index.html", "<p>hello</p>\n", 13);
	fuzz_put("html/404.html", "not here\n", 9);
	fuzz_put("html/dir/a.txt", "a\n", 2);
	memset(big, 'x', sizeof(big));	/* more than a stream's first window */
	fuzz_put("html/big.txt", big, sizeof(big));
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[PATH_MAX + 16];
	struct sockaddr_in *peer = (struct sockaddr_in *)&conn.peer;
	struct config *cf;

	fuzz_setup("h2");
	files();
	snprintf(path, sizeof(path), "%s/portico.conf", fuzz_dir);
	cf = conf_load(path, false);
	assert(cf != NULL && cf->nlisteners == 1);
	assert(shm_create(8u << 20) == 0 && sb_init() == 0);
	sb_attach(sb_claim(getpid(), 0, SB_WORKER));
	conn.fd = -1;
	conn.cf = cf;
	conn.ls = &cf->listeners[0];
	conn.vh = conn.ls->any;
	peer->sin_family = AF_INET;
	peer->sin_port = htons(40000);
	peer->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	conn.peerlen = sizeof(*peer);
	snprintf(conn.peer_text, sizeof(conn.peer_text), "127.0.0.1");
	conn.peer_port = 40000;
	return 0;
}

/* Take everything the session has to send. */
static void
drain(struct h2 *h)
{
	const uint8_t *out;

	while (h2_output(h, &out) > 0)
		continue;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	struct h2 *h;
	size_t off = 0, k;
	bool ok;

	conn.id++;
	h = h2_open(&conn);
	assert(h != NULL);
	ok = h2_input(h, preface, sizeof(preface) - 1);
	assert(ok);
	while (ok && off < size) {
		k = size - off < 9 ? size - off :
		    9 + ((size_t)data[off] << 16 | (size_t)data[off + 1] << 8 |
		    data[off + 2]);
		if (k > size - off)
			k = size - off;
		ok = h2_input(h, data + off, k);
		drain(h);
		off += k;
	}
	drain(h);
	h2_close(h);
	return 0;
}
