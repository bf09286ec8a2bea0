"""Reloads under load lose nothing: 50 reloads while clients make one
request per connection, with no failure; connections accepted and silent
when the reload (or a graceful stop) comes are answered, plain and TLS; a
storm of reloads leaves one generation serving, no child behind, no shared
memory zone leaked and the master's memory flat."""
import json
import re
import socket
import subprocess
import threading
import time

from harness import *
from tlsutil import client_ctx, make_cert

CACHE = 'ssl_session_cache = "shared:SSL:%dm";\n'
PLAIN = ('{ listen = "127.0.0.1:{port}"; root = "{dir}/www"; locations = ( '
         '{ match = "/"; }, { match = "= /status.json"; status = "json"; } ); }')
TLS = ('{ listen = "127.0.0.1:{port2} ssl"; ssl_certificate = "{dir}/c.rsa.crt"; '
       'ssl_certificate_key = "{dir}/c.rsa.key"; root = "{dir}/www"; }')
MAIN = ('pid = "{dir}/portico.pid";\nerror_log = "{dir}/error.log";\n'
        'access_log = "off";\ntypes_file = "%s";\n' % MIME_TYPES)
POOL = 'workers = { start = %d; min_spare = 2; max_spare = 8; max = 48; };\n'
FILES = {'www/index.html': 'hi\n'}
# Built with ASan, the master's memory grows by its quarantine.
SANITIZED = 'AddressSanitizer' in subprocess.run([PORTICO, '-V'], capture_output=True,
                                                 text=True).stdout


def conf(start=4, cache_mb=1, park='100ms', tls=True):
    return (MAIN + POOL % start + CACHE % cache_mb +
            'client_header_park = "%s";\n' % park +
            'servers = ( %s );\n' % (PLAIN + (',\n' + TLS if tls else '')))


def daemon(start=4, park='100ms', tls=True):
    p = Portico(conf(start, park=park, tls=tls), files=FILES, start=False, main=False)
    make_cert(p.dir, 'c')
    return p.start()


class Load:
    """Clients making one request per connection until stopped, counting
    what failed."""

    def __init__(self, port, clients=4):
        self.port, self.done, self.failures, self.requests = port, False, [], 0
        self.threads = [threading.Thread(target=self.run) for _ in range(clients)]
        for t in self.threads:
            t.start()

    def run(self):
        deadline = time.time() + 30
        while not self.done and time.time() < deadline:
            try:
                st, _, body = get(self.port, '/index.html', {'Connection': 'close'}, timeout=5)
                if st != 200 or body != b'hi\n':
                    self.failures.append('status %d' % st)
            except Exception as e:
                self.failures.append(repr(e))
            self.requests += 1

    def stop(self):
        self.done = True
        for t in self.threads:
            t.join()


def status(p):
    return json.loads(get(p.port, '/status.json')[2])


def accepted(p):
    """Connections accepted and waiting for a head: in workers, or parked
    with the connection keeper."""
    st = status(p)
    return st['workers']['reading'] + st['parked']['reading'] + st['parked']['idle']


def rss_kib(pid):
    with open('/proc/%d/status' % pid) as f:
        return int(re.search(r'VmRSS:\s+(\d+)', f.read()).group(1))


def rewrite(p, text):
    """A new configuration in one rename: the master never reads half of it."""
    p.write('portico.conf.new', text)
    os.rename(os.path.join(p.dir, 'portico.conf.new'), p.conf_path)


def children(pid):
    with open('/proc/%d/task/%d/children' % (pid, pid)) as f:
        return {int(x) for x in f.read().split()}


# 50 reloads, one after the other, under a load of one request per connection.
p = daemon(start=2, tls=False)
with p:
    load = Load(p.port, clients=2)
    t0 = time.time()
    for gen in range(2, 52):
        p.signal(signal.SIGHUP)
        if not wait_for(lambda: 'generation %d\n' % gen in p.error_log(), 15):
            break
    took = time.time() - t0
    time.sleep(0.2)
    load.stop()
    is_(gen, 51, '50 reloads (%.1fs)' % took)
    ok(load.requests > 100, 'clients made %d requests meanwhile' % load.requests)
    if not ok(not load.failures, 'and none failed'):
        diag('%d failed: %s' % (len(load.failures), load.failures[:5]))
    ok(wait_for(lambda: {w['generation'] for w in status(p)['processes']} == {51}, 15),
       'generation 51 alone serves')

# Connections accepted and silent when the reload comes: answered by the
# old workers that accepted them, plain and over TLS.
p = daemon(start=12)
with p:
    wait_for(lambda: status(p)['workers']['idle'] >= 12)
    plain = [socket.create_connection(('127.0.0.1', p.port), timeout=5) for _ in range(5)]
    tls = [socket.create_connection(('127.0.0.1', p.ports[1]), timeout=5) for _ in range(5)]
    ok(wait_for(lambda: accepted(p) >= 10, 2), 'ten silent connections accepted')
    p.signal(signal.SIGHUP)
    time.sleep(0.3)
    answers = []
    for s in plain:
        s.sendall(b'GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
        answers.append(status_of(s.recv(4096)))
        s.close()
    is_(answers, [200] * 5, 'the five plain ones are answered')
    answers = []
    for s in tls:
        try:
            t = client_ctx().wrap_socket(s, server_hostname='c')
            t.sendall(b'GET /index.html HTTP/1.1\r\nHost: c\r\nConnection: close\r\n\r\n')
            answers.append(status_of(t.recv(4096)))
            t.close()
        except OSError as e:
            answers.append(repr(e))
    is_(answers, [200] * 5, 'and the five TLS ones, handshake and all')

# A graceful stop answers a connection accepted just before it, held by
# its worker or parked with the connection keeper.
for park in ('off', '100ms'):
    p = daemon(park=park)
    with p:
        s = socket.create_connection(('127.0.0.1', p.port), timeout=5)
        ok(wait_for(lambda: accepted(p) >= 1, 2), 'a silent connection accepted')
        if park != 'off':
            time.sleep(0.3)         # parked with the keeper by now
        p.signal(signal.SIGQUIT)
        time.sleep(0.3)
        try:
            s.sendall(b'GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n')
            got = status_of(s.recv(4096))
        except OSError as e:
            got = repr(e)
        is_(got, 200, 'QUIT: it is answered (client_header_park %s)' % park)
        s.close()
        ok(wait_for(lambda: p.proc.poll() is not None), 'then the master exits')

# A storm: SIGHUP every 50 ms for 3 s, the session cache's size changing
# each time (so each reload makes a new zone), under load.
p = daemon()
with p:
    base = status(p)['shared_memory']
    load = Load(p.port, clients=2)
    seen, rss, t0, i = set(), [], time.time(), 0
    while time.time() - t0 < 3:
        i += 1
        rewrite(p, conf(cache_mb=1 + i % 2))
        p.signal(signal.SIGHUP)
        seen |= children(p.pid())
        if len(rss) == 0 and time.time() - t0 > 1.5:
            rss.append(rss_kib(p.pid()))
        time.sleep(0.05)
    rss.append(rss_kib(p.pid()))
    rewrite(p, conf())
    rc, out, err = p.run('-w', '30', '-s', 'reload')   # waits while 31 drain
    load.stop()
    m = re.search(r'generation (\d+) serves', out)
    if not ok(rc == 0 and m, 'a reload after the storm works (%s)' % (out or err).strip()):
        diag(p.error_log()[-3000:])
    last = int(m.group(1)) if m else 0
    ok(last > 3, '%d generations in the storm' % last)
    if not ok(not load.failures, 'no request failed (%d made)' % load.requests):
        diag(load.failures[:5])
    ok(wait_for(lambda: {w['generation'] for w in status(p)['processes']} == {last}, 15),
       'one generation serves after it (%d)' % last)
    ok(wait_for(lambda: set(p.children()) == {c['pid'] for k in ('processes', 'helpers')
                                              for c in status(p)[k]}, 5),
       'and the master has no other child than its workers and helpers')
    ok(wait_for(lambda: status(p)['shared_memory'] == base, 5),
       'no shared memory zone is left behind (%r)' % status(p)['shared_memory'])
    if SANITIZED:
        ok(True, "the master's memory stays flat # SKIP ASan's quarantine grows it")
    else:
        ok(rss[1] - rss[0] < 2048,
           "the master's memory stays flat after its first reloads (%r KiB)" % rss)
    p.stop()
    ok(wait_for(lambda: not [w for w in seen if w and os.path.exists('/proc/%d' % w)]),
       'no child of the storm outlives the master')
done()
