"""Bad input gets the right status and the connection closes; the worker
survives and the next client is served (SPEC.md section 5)."""
import socket
import time

from harness import *

CONF = ('client_header_timeout = "1s";\nclient_max_body_size = "100";\n'
        'servers = ( { listen = "127.0.0.1:{port}"; root = "{dir}/www";\n'
        '  locations = ( { match = "/upload"; return = "200 got it"; } ); } );\n')
FILES = {'www/index.html': 'fine\n'}

CASES = [
    (b'GARBAGE\r\n\r\n', 400, 'a request line without URI or version'),
    (b'GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n', 400, 'a request line with a fourth part'),
    (b'GET noslash HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'a URI that is not a path'),
    (b'G@T / HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'a method with a bad character'),
    (b'GET / HTTP/2.0\r\nHost: x\r\n\r\n', 505, 'HTTP/2.0 on HTTP/1 framing'),
    (b'GET / HTTP/3.1\r\nHost: x\r\n\r\n', 505, 'HTTP/3.1'),
    (b'GET / HTTX/1.1\r\nHost: x\r\n\r\n', 400, 'not HTTP at all'),
    (b'GET /' + b'a' * 10000 + b' HTTP/1.1\r\nHost: x\r\n\r\n', 414, 'a request line over the limit'),
    (b'GET / HTTP/1.1\r\nHost: x\r\nX-Big: ' + b'b' * 70000 + b'\r\n\r\n', 431, 'headers over the limit'),
    (b'GET / HTTP/1.1\r\nHost: x\r\n' + b''.join(b'X-%d: y\r\n' % i for i in range(300)) + b'\r\n',
     431, 'too many header lines'),
    (b'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n', 400, 'a NUL byte in a header value'),
    (b'GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'a NUL byte in the URI'),
    (b'GET / HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n', 400, 'a bare CR'),
    (b'GET / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n', 400, 'a space in a header name'),
    (b'GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n', 400, 'an obsolete line folding'),
    (b'GET / HTTP/1.1\r\n\r\n', 400, 'HTTP/1.1 without Host'),
    (b'GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n', 400, 'two Host headers'),
    (b'GET / HTTP/1.1\r\nHost: a b\r\n\r\n', 400, 'a Host with a space'),
    (b'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd',
     400, 'two Content-Length headers (smuggling)'),
    (b'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc', 400,
     'a Content-Length list'),
    (b'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n', 400, 'a negative Content-Length'),
    (b'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n', 400,
     'a Content-Length that overflows'),
    (b'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n'
     b'0\r\n\r\n', 400, 'Content-Length with Transfer-Encoding (smuggling)'),
    (b'POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n', 501,
     'a transfer coding other than chunked'),
    (b'POST /index.html HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400,
     'a bad chunk size'),
    (b'POST /index.html HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n', 400,
     'a chunk without its CRLF'),
    (b'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n' + b'x' * 101, 413,
     'a body over client_max_body_size'),
    (b'POST /index.html HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
     b'40\r\n' + b'x' * 64 + b'\r\n40\r\n' + b'x' * 64 + b'\r\n0\r\n\r\n', 413,
     'a chunked body that grows over client_max_body_size'),
    (b'BREW / HTTP/1.1\r\nHost: x\r\n\r\n', 405, 'an unknown method on a static location'),
    (b'DELETE /index.html HTTP/1.1\r\nHost: x\r\n\r\n', 405, 'DELETE on a static file'),
    (b'GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'a URI climbing above the root'),
    (b'GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'a bad percent escape'),
]

with Portico(CONF, files=FILES) as p:
    workers = sorted(p.workers())
    for req, want, what in CASES:
        resp = raw(p.port, req)
        got = status_of(resp)
        if not ok(got == want, '%s -> %d' % (what, want)):
            diag('got: %r' % resp[:200])
        head = resp.split(b'\r\n\r\n', 1)[0].lower()
        if want != 405:     # as in nginx, a 405 keeps the connection
            ok(b'connection: close' in head, '  and the connection closes')
        is_(get(p.port, '/index.html')[0], 200, '  the next client is served')

    # Headers that never finish: 408 (or a close) after client_header_timeout.
    t0 = time.time()
    resp = raw(p.port, b'GET / HTTP/1.1\r\nHost: x\r\n', timeout=5)
    took = time.time() - t0
    ok(status_of(resp) in (408, None) and 0.8 < took < 3,
       'unfinished headers end after client_header_timeout (%.1fs, %r)' % (took, resp[:12]))
    # A client that connects and says nothing is closed silently, like nginx.
    t0 = time.time()
    resp = raw(p.port, b'', timeout=5)
    ok(resp == b'' and time.time() - t0 < 3, 'a silent connection is closed without a response')
    # A client that goes away mid-request is no one's problem.
    s = socket.create_connection(('127.0.0.1', p.port))
    s.sendall(b'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\nabc')
    s.close()
    is_(get(p.port, '/index.html')[0], 200, 'a client leaving mid-body hurts nobody')
    ok(set(workers) <= set(p.workers()), 'every worker that started is still alive')
    ok('exited on signal' not in p.error_log(), 'no worker died')
done()
