"""limit_conn and limit_conn_zone as nginx: requests in progress per key,
across workers, over HTTP/1.1 and HTTP/2; the status and log level of a
refusal; counts given back when requests end, when a client goes away,
and when a worker holding them is killed; zones kept across a reload."""
import json
import os
import re
import signal
import socket
import subprocess
import time

from harness import *
from backend import Backend

B = Backend('b')        # answers after ?sleep=S seconds
K = Backend('k')        # for the request whose worker is killed

CONF = '''limit_conn_zone = [ "%(key)s zone=addr:1m", "$http_x_key zone=bykey:64k" ];
servers = ( { listen = [ "127.0.0.1:{port}", "127.0.0.1:{port2} http2" ];
  root = "{dir}/www";
  locations = (
    { match = "/hold/"; limit_conn = "addr 2"; proxy_pass = "http://%(b)s"; },
    { match = "/one/"; limit_conn = "addr 1"; limit_conn_status = 429;
      limit_conn_log_level = "warn"; error_page = "429 /sorry.html";
      proxy_pass = "http://%(b)s"; },
    { match = "/kill/"; limit_conn = "addr 1"; proxy_pass = "http://%(k)s"; },
    { match = "/key/"; limit_conn = "bykey 1"; proxy_pass = "http://%(b)s"; },
    { match = "/free/"; proxy_pass = "http://%(b)s"; },
    { match = "/twice/"; limit_conn = "addr 1"; try_files = "$uri @slow"; },
    { match = "@slow"; limit_conn = "addr 1"; proxy_pass = "http://%(b)s"; },
    { match = "= /status"; status = "json"; }
  ); } );
'''


def conf(key='$binary_remote_addr'):
    return CONF % {'key': key, 'b': B.addr, 'k': K.addr}


class Held:
    """A request in flight: sent now, its answer read by finish()."""

    def __init__(self, port, path, src='127.0.0.1', headers=''):
        self.s = socket.create_connection(('127.0.0.1', port), timeout=10,
                                          source_address=(src, 0))
        self.s.sendall(('GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s\r\n'
                        % (path, headers)).encode())

    def finish(self):
        chunks = []
        try:
            while True:
                b = self.s.recv(65536)
                if not b:
                    break
                chunks.append(b)
        except OSError:
            pass
        self.s.close()
        return status_of(b''.join(chunks))

    def close(self):
        self.s.close()


def status(port, path, src='127.0.0.1', headers=''):
    return Held(port, path, src, headers).finish()


def zone(port, name='addr'):
    return json.loads(get(port, '/status')[2])['limit_conn_zones'][name]


def in_flight(backend, n):
    return wait_for(lambda: backend.httpd.active == n, 10)


def error_lines(p, pattern):
    return [l for l in p.error_log().splitlines() if re.search(pattern, l)]


with Portico(conf(), files={'www/sorry.html': 'too many\n'}) as p:
    P, P2 = p.port, p.ports[1]

    # Two requests of one address are let in, a third is refused; another
    # address and an unlimited location are not affected.
    B.reset()
    held = [Held(P, '/hold/?sleep=2') for _ in range(2)]
    ok(in_flight(B, 2), 'two requests of 127.0.0.1 in flight')
    t0 = time.time()
    is_(status(P, '/hold/?sleep=0'), 503, 'a third one of the same address gets 503')
    ok(time.time() - t0 < 1, 'at once, without waiting for the others')
    is_(status(P, '/hold/?sleep=0', src='127.0.0.2'), 200,
        'another address (another key) is let in')
    is_(status(P, '/free/?sleep=0'), 200, 'a location without limit_conn is not limited')
    z = zone(P)
    ok(z['keys'] == 1 and z['connections'] == 2,
       'the status page shows one key counting two requests (%s)' % z)
    is_([h.finish() for h in held], [200, 200], 'the two held requests are answered')
    z = zone(P)
    ok(z['keys'] == 0 and z['connections'] == 0 and z['rejected'] == 1,
       'counts back to 0 after the requests, one refusal counted (%s)' % z)
    is_(status(P, '/hold/?sleep=0'), 200, 'and the address is let in again')
    lines = error_lines(p, r'limiting connections by zone')
    ok(len(lines) == 1 and re.search(r'\[error\] \d+#0: \*\d+ limiting connections by zone '
                                     r'"addr", client: 127\.0\.0\.1, server: , request: '
                                     r'"GET /hold/\?sleep=0 HTTP/1\.1", host: "x"$', lines[0]),
       'the refusal is logged once, at error, as nginx: %s' % lines)

    # limit_conn_status, limit_conn_log_level, and error_page for it.
    h = Held(P, '/one/?sleep=2')
    ok(in_flight(B, 1), 'one request in /one/')
    st, hdrs, body = get(P, '/one/?sleep=0')
    ok(st == 429 and body == b'too many\n',
       'limit_conn_status 429, through error_page (%s %r)' % (st, body))
    ok(error_lines(p, r'\[warn\] .*limiting connections by zone "addr"'),
       'logged at limit_conn_log_level warn')
    is_(h.finish(), 200, 'the held request is answered')

    # A key from a header: independent keys; an empty key is not counted.
    h = Held(P, '/key/?sleep=2', headers='X-Key: k1\r\n')
    ok(in_flight(B, 1), 'one request of key k1')
    is_(status(P, '/key/?sleep=0', headers='X-Key: k1\r\n'), 503, 'k1 again: 503')
    is_(status(P, '/key/?sleep=0', headers='X-Key: k2\r\n'), 200, 'k2: 200')
    is_(status(P, '/key/?sleep=0'), 200, 'no X-Key, an empty key: not counted')
    is_(h.finish(), 200, 'the k1 request is answered')
    ok(zone(P, 'bykey')['connections'] == 0, 'bykey back to 0')

    # An internal redirect does not count the request again.
    B.reset()
    is_(status(P, '/twice/x?sleep=0'), 200,
        'a request redirected to a location of the same zone is counted once')

    # A client that goes away gives its count back at once.
    h = Held(P, '/one/?sleep=5')
    ok(in_flight(B, 1), 'a request held in /one/')
    h.close()
    ok(wait_for(lambda: zone(P)['connections'] == 0, 3),
       'the client closed: its count is given back')
    is_(status(P, '/one/?sleep=0'), 200, 'and the address is let in again')

    # HTTP/2: each stream is a request of its own.
    B.reset()
    r = subprocess.run(['nghttp', '-nv'] + ['http://127.0.0.1:%d/hold/?sleep=1&s=%d' % (P2, i)
                                             for i in range(3)],
                       capture_output=True, text=True, timeout=20)
    codes = sorted(re.findall(r':status: (\d+)', r.stdout))
    is_(codes, ['200', '200', '503'],
        'three concurrent HTTP/2 streams of one address: two let in, one refused')
    ok(wait_for(lambda: zone(P)['connections'] == 0, 3),
       'the streams ended: counts back to 0')

    # A reload keeps the zone and its counts; a reload that changes its key
    # is refused.
    h = Held(P, '/one/?sleep=3')
    ok(in_flight(B, 1), 'a request held in /one/ across a reload')
    p.signal(signal.SIGHUP)
    ok(wait_for(lambda: 'reconfigured: generation 2' in p.error_log(), 5), 'reloaded')
    is_(status(P, '/one/?sleep=0'), 429,
        'after the reload the new workers see the old count')
    is_(h.finish(), 200, 'the old worker answers the held request')
    is_(status(P, '/one/?sleep=0'), 200, 'and the count it gave back')
    p.write_conf(conf(key='$remote_addr'))
    p.signal(signal.SIGHUP)
    ok(wait_for(lambda: error_lines(p, r'\[emerg\] .*limit_conn_zone "addr" uses the '
                                    r'"\$remote_addr" key while previously it used the '
                                    r'"\$binary_remote_addr" key'), 5),
       'a reload that changes a zone\'s key is refused, as nginx')
    is_(status(P, '/hold/?sleep=0'), 200, 'the old configuration keeps serving')
    p.write_conf(conf())

    # A worker killed holding a count: the master gives it back.
    h = Held(P, '/kill/?sleep=30')
    ok(in_flight(K, 1), 'a request held in /kill/')
    is_(status(P, '/kill/?sleep=0'), 503, 'a second one is refused')
    busy = [w['pid'] for w in json.loads(get(P, '/status')[2])['processes']
            if '/kill/?sleep=30' in w['request']]
    ok(len(busy) == 1, 'the worker serving it is found (%s)' % busy)
    if busy:
        os.kill(busy[0], signal.SIGKILL)
    h.finish()
    ok(wait_for(lambda: zone(P)['connections'] == 0, 5),
       'after SIGKILL its count is given back')
    is_(status(P, '/kill/?sleep=0'), 200, 'and the address is let in again')

    bad = error_lines(p, r'\[(alert|crit|emerg)\]')
    ok(len(bad) == 2 and 'exited on signal 9' in ''.join(bad) and 'key while' in ''.join(bad),
       'the only alerts: the killed worker and the refused reload (%s)' % bad)
    p.stop(check_log=False)

done()
