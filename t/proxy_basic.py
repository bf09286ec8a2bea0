"""proxy_pass to one backend (by address and by name): forwarding headers, URI replacement,
hop-by-hop headers, bodies both ways in every framing, HEAD/204/304,
502 and 504 with their log lines, $upstream_* variables, buffering to a
temporary file with flat memory."""
import hashlib
import json
import os
import socket
import time

from harness import *
from backend import Backend, dead_port, pattern

b = Backend('one')
DEAD = dead_port()
CONF = '''log_format = { up = "$request_uri $status up=$upstream_addr us=$upstream_status ut=$upstream_response_time"; };
proxy_read_timeout = "1s";
servers = ( { listen = "127.0.0.1:{port}"; access_log = "{dir}/access.log up"; locations = (
  { match = "/"; proxy_pass = "http://%(b)s";
    proxy_set_header = { Host = "$host"; X-Real-IP = "$remote_addr";
      X-Forwarded-For = "$proxy_add_x_forwarded_for"; X-Forwarded-Proto = "$scheme"; }; },
  { match = "/app1/"; proxy_pass = "http://%(b)s/"; },
  { match = "/api/"; proxy_pass = "http://%(b)s/v2/"; },
  { match = "/plain/"; proxy_pass = "http://%(b)s"; },
  { match = "/byname/"; proxy_pass = "http://localhost:%(port)d/"; },
  { match = "/dead/"; proxy_pass = "http://127.0.0.1:%(dead)d"; },
  { match = "/unbuffered/"; proxy_pass = "http://%(b)s"; proxy_buffering = false; }
); } );
''' % {'b': b.addr, 'dead': DEAD, 'port': b.port}


def echo(port, path='/echo', method='GET', headers=None, body=None):
    st, h, data = request(port, method, path, headers, body)
    return st, h, json.loads(data) if data.startswith(b'{') else data


def hdr(info, name):
    vals = [v for k, v in info['headers'] if k.lower() == name.lower()]
    return vals[0] if len(vals) == 1 else (vals or None)


with Portico(CONF) as p:
    P = p.port
    st, h, e = echo(P, '/echo?x=1', headers={'Host': 'site.test', 'X-Forwarded-For': '203.0.113.1'})
    is_(st, 200, 'a proxied request')
    is_(hdr(e, 'Host'), 'site.test', 'Host = $host')
    is_(hdr(e, 'X-Real-IP'), '127.0.0.1', 'X-Real-IP = $remote_addr')
    is_(hdr(e, 'X-Forwarded-For'), '203.0.113.1, 127.0.0.1',
        '$proxy_add_x_forwarded_for appends the client to an incoming X-Forwarded-For')
    is_(hdr(e, 'X-Forwarded-Proto'), 'http', 'X-Forwarded-Proto = $scheme')
    is_(e['path'], '/echo?x=1', 'the URI passes unchanged')
    is_(h.get('x-backend'), 'one', 'the backend\'s own headers come back')

    st, h, e = echo(P, '/plain/a%20b?q=1', headers={'X-Forwarded-For': '203.0.113.1'})
    is_(hdr(e, 'Host'), b.addr, 'without proxy_set_header, Host is $proxy_host')
    is_(hdr(e, 'Connection'), 'close', 'and Connection is close (no upstream keepalive)')
    is_(hdr(e, 'X-Forwarded-For'), '203.0.113.1', 'an incoming header passes as it is')
    is_(e['version'], 'HTTP/1.1', 'proxy_http_version 1.1 by default')
    is_(e['path'], '/plain/a%20b?q=1', 'without a URI part the request URI goes unchanged, still encoded')
    is_(echo(P, '/app1/x/y?z=1')[2]['path'], '/x/y?z=1', 'a URI part replaces the location prefix')
    is_(echo(P, '/api/users')[2]['path'], '/v2/users', 'with a longer URI part too')
    st, h, e = echo(P, '/app1')
    ok(st == 301 and h.get('location') == 'http://127.0.0.1:%d/app1/' % P,
       'the proxied prefix without its slash: 301 to it, as nginx (%s %s)'
       % (st, h.get('location')))
    st, h, e = echo(P, '/api?a=1&b=2', method='POST', body=b'x')
    ok(st == 301 and h.get('location') == 'http://127.0.0.1:%d/api/?a=1&b=2' % P,
       'the query string is kept, whatever the method')
    is_(echo(P, '/app')[2]['path'], '/app', 'a shorter name goes to "/", proxied unchanged')
    st, h, e = echo(P, '/byname/x')
    ok(st == 200 and e['path'] == '/x', 'a host name in proxy_pass is resolved (localhost)')

    st, h, e = echo(P, '/plain/hop', headers={'Keep-Alive': '300', 'TE': 'trailers',
                                              'Proxy-Connection': 'keep-alive',
                                              'Connection': 'X-Private', 'X-Private': 'secret',
                                              'Upgrade': 'h2c', 'X-Kept': 'yes'})
    names = [k.lower() for k, v in e['headers']]
    ok(not {'keep-alive', 'te', 'proxy-connection', 'x-private', 'upgrade'} & set(names)
       and 'x-kept' in names, 'hop-by-hop request headers, and those Connection names, are removed')
    ok('keep-alive' not in h, 'and the backend\'s Keep-Alive does not reach the client')

    # Bodies both ways.
    body = os.urandom(100000)
    st, h, e = echo(P, '/plain/post', 'POST', {'Content-Type': 'application/octet-stream'}, body)
    ok(e['body_len'] == len(body) and e['body_sha'] == hashlib.sha256(body).hexdigest()
       and e['framing'] == 'length', 'a Content-Length body arrives intact')
    big = os.urandom(300000)
    chunks = (big[i:i + 7000] for i in range(0, len(big), 7000))
    st, h, e = echo(P, '/plain/post', 'POST', {'Transfer-Encoding': 'chunked'}, chunks)
    ok(st == 200 and e['body_len'] == len(big) and e['body_sha'] == hashlib.sha256(big).hexdigest(),
       'a chunked body arrives intact')
    for frame in ('length', 'chunked', 'close'):
        st, h, data = get(P, '/plain/big?size=1048576&frame=' + frame)
        ok(st == 200 and data == pattern(1 << 20), 'a 1 MiB response framed by %s comes back intact' % frame)
    st, h, data = request(P, 'HEAD', '/plain/big?size=5000')
    ok(st == 200 and data == b'' and h.get('content-length') == '5000', 'HEAD: the length, no body')
    raw_resp = raw(P, b'GET /plain/x?status=204 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    ok(raw_resp.startswith(b'HTTP/1.1 204') and raw_resp.endswith(b'\r\n\r\n'), '204: no body')
    raw_resp = raw(P, b'GET /plain/x?status=304 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    ok(raw_resp.startswith(b'HTTP/1.1 304') and raw_resp.endswith(b'\r\n\r\n'), '304: no body')
    st, h, data = get(P, '/plain/x?status=404')
    ok(st == 404 and b'"name": "one"' in data, 'an upstream error status passes through with its body')

    # Failures.
    st, h, data = get(P, '/dead/x')
    is_(st, 502, 'connection refused: 502')
    like(p.error_log(), r'\[error\] .*connect\(\) failed \(111: Connection refused\) while connecting '
         r'to upstream, client: 127\.0\.0\.1, .*upstream: "http://127\.0\.0\.1:%d/dead/x"' % DEAD,
         'logged at error level with the upstream address')
    t0 = time.time()
    st, h, data = get(P, '/plain/slow?sleep=3')
    ok(st == 504 and time.time() - t0 < 2.5, 'proxy_read_timeout: 504 (%.1fs)' % (time.time() - t0))
    like(p.error_log(), r'upstream timed out .*while reading response header from upstream.*upstream: '
         r'"http://%s/plain/slow\?sleep=3"' % b.addr, 'logged with the upstream address')
    ok(wait_for(lambda: '/plain/slow?sleep=3 504 up=%s us=504 ut=1.0' % b.addr in p.access_log()),
       '$upstream_addr, $upstream_status and $upstream_response_time in the access log')
    like(p.access_log(), r'/echo\?x=1 200 up=%s us=200 ut=\d+\.\d{3}\n' % b.addr, 'for a success too')
    like(p.access_log(), r'/dead/x 502 up=127\.0\.0\.1:%d us=502 ut=' % DEAD, 'and a refused one')

    # A slow client does not hold the upstream: the answer is buffered
    # (memory, then a temporary file) and the backend is free at once.
    b.reset()
    s = socket.create_connection(('127.0.0.1', P))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.sendall(b'GET /plain/b?size=16777216 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    ok(wait_for(lambda: b.requests == 1 and b.httpd.active == 0, 5),
       'with proxy_buffering the backend is done while the client has not read yet')
    data = b''
    s.settimeout(10)
    while True:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        data += chunk
    s.close()
    ok(data.endswith(pattern(16 << 20)[-1000:]) and len(data.split(b'\r\n\r\n', 1)[1]) == 16 << 20,
       'and the client gets all of it afterwards')

    # 1 GiB through one worker: its memory stays flat.
    workers = p.workers()
    before = max(rss_kb(w) for w in workers)
    s = socket.create_connection(('127.0.0.1', P))
    s.sendall(b'GET /plain/b?size=1073741824 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    got, peak, sha = 0, 0, hashlib.sha256()
    s.settimeout(30)
    while True:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        got += len(chunk)
        if got % (64 << 20) < len(chunk):
            peak = max([peak] + [rss_kb(w) for w in p.workers()])
    s.close()
    ok(got > 1 << 30, '1 GiB passes through (%d bytes)' % got)
    ok(peak - before < 32 * 1024, 'with flat worker memory (peak RSS %d kB, before %d kB)' % (peak, before))

    # Unbuffered answers stream as they come.
    st, h, data = get(P, '/unbuffered/x?size=2000000&frame=chunked')
    ok(st == 200 and data == pattern(2000000), 'proxy_buffering false streams the same bytes')

    # A client that leaves mid-response harms nothing.
    s = socket.create_connection(('127.0.0.1', P))
    s.sendall(b'GET /unbuffered/b?size=50000000 HTTP/1.1\r\nHost: x\r\n\r\n')
    s.recv(1000)
    s.close()
    is_(get(P, '/echo')[0], 200, 'a client leaving mid-response leaves the server serving')
b.stop()
done()
