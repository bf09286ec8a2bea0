"""HTTPS: a certificate per SNI name (RSA and ECDSA side by side), the
default server's for unknown names, protocol versions, the HTTP to HTTPS
redirect, HSTS on errors, X-Forwarded-Proto, TLS variables, session
resumption by id and by ticket across workers, TLS to upstreams, pipelined
requests, bad TLS input, and what -t says about certificates."""
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import tempfile
import time

from harness import *
from backend import Backend
from tlsutil import client_ctx, https_get, make_cert, peer_subject, tls_connect

CERTS = tempfile.mkdtemp(prefix='portico-certs.')
os.chmod(CERTS, 0o755)
A_RSA = make_cert(CERTS, 'a.test', 'rsa')
A_EC = make_cert(CERTS, 'a.test', 'ec')
B_EC = make_cert(CERTS, 'b.test', 'ec')
D_EC = make_cert(CERTS, 'default.test', 'ec')
os.chmod(D_EC[1], 0o600)     # only root reads it: the master must, for the workers
CA = make_cert(CERTS, 'ca.test', 'ec')
UP_CERT = make_cert(CERTS, 'up.test', 'ec', ca=CA, ip='127.0.0.1')

back = Backend('plain')
CONF = '''ssl_session_tickets = false;
client_header_timeout = "2s";
servers = (
  { listen = "127.0.0.1:{port}"; server_name = "a.test";
    return = "301 https://$host$request_uri"; },
  { listen = "127.0.0.1:{port2} ssl default_server"; server_name = "default.test";
    ssl_certificate = "%(d)s"; ssl_certificate_key = "%(dk)s"; return = "200 default"; },
  { listen = "127.0.0.1:{port2} ssl"; server_name = "a.test";
    ssl_certificate = [ "%(ar)s", "%(ae)s" ]; ssl_certificate_key = [ "%(ark)s", "%(aek)s" ];
    root = "{dir}/www";
    add_header_always = { Strict-Transport-Security = "max-age=31536000"; };
    locations = (
      { match = "= /vars"; return = "200 $scheme $https $ssl_protocol $ssl_cipher r=$ssl_session_reused sni=$ssl_server_name pid=$pid"; },
      { match = "/app/"; proxy_pass = "http://%(back)s";
        proxy_set_header = { X-Forwarded-Proto = "$scheme"; }; },
      { match = "/up-verified/"; proxy_pass = "https://127.0.0.1:{port4}/";
        proxy_ssl_verify = true; proxy_ssl_trusted_certificate = "%(ca)s"; },
      { match = "/up-wrongca/"; proxy_pass = "https://127.0.0.1:{port4}/";
        proxy_ssl_verify = true; proxy_ssl_trusted_certificate = "%(d)s"; },
      { match = "/up-unverified/"; proxy_pass = "https://127.0.0.1:{port4}/"; },
      { match = "= /status"; status = "json"; }
    ); },
  { listen = "127.0.0.1:{port2} ssl"; server_name = "*.b.test";
    ssl_certificate = "%(b)s"; ssl_certificate_key = "%(bk)s"; return = "200 b"; },
  { listen = "127.0.0.1:{port3} ssl"; server_name = "tickets.test";
    ssl_certificate = "%(d)s"; ssl_certificate_key = "%(dk)s"; ssl_session_tickets = true;
    ssl_session_cache = "off"; return = "200 r=$ssl_session_reused pid=$pid"; },
  { listen = "127.0.0.1:{port4} ssl"; server_name = "up.test";
    ssl_certificate = "%(up)s"; ssl_certificate_key = "%(upk)s"; return = "200 from the TLS upstream"; }
);
''' % {'ar': A_RSA[0], 'ark': A_RSA[1], 'ae': A_EC[0], 'aek': A_EC[1], 'b': B_EC[0], 'bk': B_EC[1],
       'd': D_EC[0], 'dk': D_EC[1], 'ca': CA[0], 'up': UP_CERT[0], 'upk': UP_CERT[1],
       'back': back.addr}


def body_of(port, sni, path='/', host=None, **kw):
    s = tls_connect(port, sni, **kw)
    st, head, body = https_get(s, path, host or sni or 'x')
    s.close()
    return st, head, body


def resumed_run(port, sni, ctx, n=20, hold=4):
    """n connections resuming the first one's session, keeping up to hold
    open at a time so that several workers take them: [(reused, pid)]."""
    first = tls_connect(port, sni, ctx)
    st, head, body = https_get(first, '/vars', sni)
    session = first.session
    first.close()
    out, held = [], []
    for _ in range(n):
        s = tls_connect(port, sni, ctx, session=session)
        out.append(s.session_reused)
        held.append(s)
        if len(held) > hold:
            held.pop(0).close()
    pids = set()
    for s in held:
        s.close()
    return out


with Portico(CONF, ports=4, files={'www/index.html': 'secure\n'}) as p:
    HTTP, TLS, TICKETS, UP = p.ports

    # Certificates by SNI.
    for sni, want in (('a.test', 'a.test'), ('x.b.test', 'b.test'), ('unknown.test', 'default.test'),
                      (None, 'default.test')):
        s = tls_connect(TLS, sni)
        is_(peer_subject(s)[0], want, 'SNI %s gets the certificate of %s' % (sni, want))
        s.close()
    s = tls_connect(TLS, 'a.test', client_ctx(maximum=ssl.TLSVersion.TLSv1_2,
                                               ciphers='ECDHE-ECDSA-AES128-GCM-SHA256'))
    is_(peer_subject(s)[1], 'ec', 'a client for ECDSA gets the ECDSA certificate')
    s.close()
    s = tls_connect(TLS, 'a.test', client_ctx(maximum=ssl.TLSVersion.TLSv1_2,
                                               ciphers='ECDHE-RSA-AES128-GCM-SHA256'))
    is_(peer_subject(s)[1], 'rsa', 'a client for RSA gets the RSA one')
    s.close()
    st, head, body = body_of(TLS, 'x.b.test')
    is_(body, b'b', 'the server chosen by SNI answers')
    st, head, body = body_of(TLS, 'a.test', '/index.html')
    ok(st == 200 and body == b'secure\n', 'a static file over TLS')

    # Protocols: TLS 1.2 and 1.3 by default, 1.1 refused.
    for v, name in ((ssl.TLSVersion.TLSv1_2, 'TLSv1.2'), (ssl.TLSVersion.TLSv1_3, 'TLSv1.3')):
        s = tls_connect(TLS, 'a.test', client_ctx(maximum=v, minimum=v))
        is_(s.version(), name, '%s is accepted' % name)
        s.close()
    r = subprocess.run(['openssl', 's_client', '-connect', '127.0.0.1:%d' % TLS, '-tls1_1',
                        '-cipher', 'DEFAULT:@SECLEVEL=0', '-servername', 'a.test'],
                       input='', capture_output=True, text=True, timeout=10)
    ok(r.returncode != 0 and 'Cipher is (NONE)' in r.stdout,
       'TLS 1.1 is refused under the default ssl_protocols')
    like(r.stdout + r.stderr, r'alert protocol version|no protocols available|unsupported protocol',
         'with a protocol version alert')

    # Variables, redirect, HSTS, X-Forwarded-Proto.
    st, head, body = body_of(TLS, 'a.test', '/vars', ctx=client_ctx(maximum=ssl.TLSVersion.TLSv1_2,
                             ciphers='ECDHE-ECDSA-AES128-GCM-SHA256'))
    like(body.decode(), r'^https on TLSv1\.2 ECDHE-ECDSA-AES128-GCM-SHA256 r=\. sni=a\.test pid=\d+$',
         '$scheme $https $ssl_protocol $ssl_cipher $ssl_session_reused $ssl_server_name')
    st, h, body = get(HTTP, '/some/page?x=1', {'Host': 'a.test'})
    ok(st == 301 and h.get('location') == 'https://a.test/some/page?x=1',
       'plain HTTP: 301 to https://$host$request_uri')
    st, head, body = body_of(TLS, 'a.test', '/missing')
    ok(st == 404 and 'Strict-Transport-Security: max-age=31536000' in head,
       'HSTS by add_header_always is on a 404 too')
    st, head, body = body_of(TLS, 'a.test', '/app/x')
    ok(st == 200 and b'["X-Forwarded-Proto", "https"]' in body,
       'a plain backend behind TLS termination gets X-Forwarded-Proto https')

    # Resumption by session id (tickets off), landing on several workers.
    for v, name in ((ssl.TLSVersion.TLSv1_2, 'TLS 1.2'), (ssl.TLSVersion.TLSv1_3, 'TLS 1.3')):
        ctx = client_ctx(maximum=v, minimum=v, tickets=False)
        reused = resumed_run(TLS, 'a.test', ctx)
        is_(reused, [True] * 20, '%s: 20 new connections resume from the shared cache' % name)
    caches = json.loads(body_of(TLS, 'a.test', '/status')[2])['ssl_session_caches']
    cache = caches.get('SSL', {})
    ok(cache.get('hits', 0) >= 38 and cache.get('stores', 0) >= 1 and 'misses' in cache and
       'evictions' in cache, 'the status page counts the cache\'s hits, misses, stores and evictions (%s)' % cache)

    # The cache survives a reload that keeps its name and size.
    ctx = client_ctx(maximum=ssl.TLSVersion.TLSv1_2, tickets=False)
    s = tls_connect(TLS, 'a.test', ctx)
    https_get(s, '/index.html', 'a.test')
    sess = s.session
    s.close()
    p.signal(signal.SIGHUP)
    ok(wait_for(lambda: 'reconfiguring' in p.error_log()), 'reload')
    time.sleep(1)
    s = tls_connect(TLS, 'a.test', ctx, session=sess)
    ok(s.session_reused, 'a session stored before a reload resumes after it')
    s.close()
    pids = set()
    held = []
    for _ in range(4):
        s = tls_connect(TLS, 'a.test')
        held.append(s)
    for s in held:
        st, head, body = https_get(s, '/vars', 'a.test')
        pids.add(body.split(b'pid=')[-1])
    ok(len(pids) >= 2, 'connections held open at once are served by %d workers' % len(pids))
    st, h, text = get(HTTP, '/', {'Host': 'a.test'})

    # Resumption by ticket, with the cache off.
    ctx = client_ctx(maximum=ssl.TLSVersion.TLSv1_2)
    is_(resumed_run(TICKETS, 'tickets.test', ctx), [True] * 20,
        'TLS 1.2 tickets made by one worker are accepted by all')
    ctx = client_ctx(minimum=ssl.TLSVersion.TLSv1_3)
    s = tls_connect(TICKETS, 'tickets.test', ctx)
    https_get(s, '/', 'tickets.test')
    sess = s.session
    s.close()
    reused = []
    for _ in range(10):
        s = tls_connect(TICKETS, 'tickets.test', ctx, session=sess)
        st, head, body = https_get(s, '/', 'tickets.test')
        reused.append(s.session_reused and body.startswith(b'r=r'))
        s.close()
    is_(reused, [True] * 10, 'TLS 1.3 tickets too, and $ssl_session_reused says "r"')

    # TLS to upstreams.
    st, head, body = body_of(TLS, 'a.test', '/up-verified/x')
    ok(st == 200 and body == b'from the TLS upstream', 'proxy_pass https:// with a verified certificate')
    st, head, body = body_of(TLS, 'a.test', '/up-wrongca/x')
    is_(st, 502, 'an upstream certificate that does not verify: 502')
    like(p.error_log(), r'SSL handshake with upstream failed: unable to get local issuer certificate.*upstream: "https://127',
         'logged as a verify error')
    st, head, body = body_of(TLS, 'a.test', '/up-unverified/x')
    is_(st, 200, 'without proxy_ssl_verify the certificate is not checked')

    # Pipelined requests in separate records that arrive together (corked),
    # and in one record: read-ahead holds the later ones, and each is
    # answered without waiting for the socket.
    req = b'GET /index.html HTTP/1.1\r\nHost: a.test\r\n\r\n'
    last = req.replace(b'\r\n\r\n', b'\r\nConnection: close\r\n\r\n')
    for how, records in (('in separate records', [req, req, last]),
                         ('in one record', [req + req + last])):
        s = tls_connect(TLS, 'a.test')
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
        for r in records:
            s.sendall(r)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)
        s.settimeout(5)
        data, t0 = b'', time.time()
        while True:
            try:
                b = s.recv(65536)
            except (OSError, ssl.SSLError):
                break
            if not b:
                break
            data += b
        s.close()
        ok(data.count(b'secure\n') == 3 and time.time() - t0 < 4,
           'three pipelined requests over TLS %s are answered at once' % how)

    # Bad TLS input ends that connection only.
    for what, data in (('garbage', os.urandom(2000)),
                       ('a plain HTTP request', b'GET / HTTP/1.1\r\nHost: a.test\r\n\r\n'),
                       ('a truncated record', b'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03'),
                       ('an absurd SNI', None)):
        if data is None:
            try:
                tls_connect(TLS, 'x' * 250 + '.test').close()
            except (ssl.SSLError, OSError, ValueError, UnicodeError):
                pass
        else:
            resp = raw(TLS, data, timeout=3)
            ok(b'secure' not in resp, '%s gets no page' % what)
        st, head, body = body_of(TLS, 'a.test', '/index.html')
        is_(body, b'secure\n', '  after %s the next client is served' % what)
    t0 = time.time()
    s = socket.create_connection(('127.0.0.1', TLS))
    s.sendall(b'\x16\x03\x01')
    s.settimeout(90)
    try:
        left = s.recv(100)
    except OSError:
        left = b''
    s.close()
    ok(1.5 < time.time() - t0 < 5, 'a handshake that stalls is ended by client_header_timeout (%.0fs)'
       % (time.time() - t0))
    ok('exited on signal' not in p.error_log(), 'no worker died')

# A fleet sharing ssl_session_ticket_key files (nginx's 80-byte format):
# a ticket one server issued is accepted by the other.
KEYS = os.path.join(CERTS, 'ticket.key')
with open(KEYS, 'wb') as f:
    f.write(os.urandom(80))
FLEET = ('servers = ( { listen = "127.0.0.1:{port} ssl"; ssl_certificate = "%s"; '
         'ssl_certificate_key = "%s"; ssl_session_ticket_key = "%s"; return = "200 r=$ssl_session_reused"; } );\n'
         % (D_EC[0], D_EC[1], KEYS))
with Portico(FLEET) as one, Portico(FLEET) as two:
    for v, name in ((ssl.TLSVersion.TLSv1_2, 'TLS 1.2'), (ssl.TLSVersion.TLSv1_3, 'TLS 1.3')):
        ctx = client_ctx(maximum=v, minimum=v)
        s = tls_connect(one.port, 'fleet.test', ctx)
        https_get(s, '/', 'fleet.test')
        sess = s.session
        s.close()
        s = tls_connect(two.port, 'fleet.test', ctx, session=sess)
        st, head, body = https_get(s, '/', 'fleet.test')
        ok(s.session_reused and body == b'r=r', '%s: a ticket from one server resumes on the other' % name)
        s.close()
    other = Portico('servers = ( { listen = "127.0.0.1:{port} ssl"; ssl_certificate = "%s"; '
                    'ssl_certificate_key = "%s"; return = "200 x"; } );\n' % D_EC)
    with other:
        s = tls_connect(other.port, 'fleet.test', ctx, session=sess)
        ok(not s.session_reused, 'a server with other keys makes a full handshake instead')
        s.close()
    p = Portico('servers = ( { listen = "127.0.0.1:{port} ssl"; ssl_certificate = "%s"; '
                'ssl_certificate_key = "%s"; ssl_session_ticket_key = "%s"; } );\n'
                % (D_EC[0], D_EC[1], D_EC[0]), start=False)
    rc, out, err = p.run('-t')
    ok(rc == 1 and re.search(r'ssl_session_ticket_key.*80|48 or 80', err) is not None,
       'a ticket key file of the wrong size is refused: %s' % err.strip()[:120])

# -t checks certificates: a key that does not match, a certificate about to expire.
SOON = make_cert(CERTS, 'soon.test', 'ec', days=3)
for conf, rc_want, pattern in (
        ('ssl_certificate = "%s"; ssl_certificate_key = "%s";' % (A_EC[0], B_EC[1]), 1,
         r'\[emerg\] .*key values mismatch|does not match'),
        ('ssl_certificate = "%s"; ssl_certificate_key = "%s";' % SOON, 0,
         r'\[warn\] .*expires'),
        ('ssl_certificate = "{dir}/none.crt"; ssl_certificate_key = "%s";' % A_EC[1], 1,
         r'\[emerg\] .*none\.crt')):
    p = Portico('servers = ( { listen = "127.0.0.1:{port} ssl"; %s } );\n' % conf, start=False)
    rc, out, err = p.run('-t')
    is_(rc, rc_want, '-t exits %d' % rc_want)
    like(err, pattern, '  and says: %s' % pattern)
back.stop()
done()
