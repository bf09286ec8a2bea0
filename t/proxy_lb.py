"""Load balancing over real backends, with the state in shared memory:
round robin and weights, least_conn across workers, ip_hash by source
address, hash, failover without a failed request, backup and down, retries,
active health checks, the status page, keepalive, reload keeping state."""
import collections
import json
import os
import re
import signal
import subprocess
import socket
import threading
import time

from harness import *
from backend import Backend, dead_port

A, B, C = Backend('a'), Backend('b'), Backend('c')
D = Backend('d', idle_timeout=0.5)
DEAD = '127.0.0.1:%d' % dead_port()


def upstreams():
    return '''upstreams = {
  rr = { servers = [ "%(a)s", "%(b)s", "%(c)s" ]; };
  weighted = { servers = [ "%(a)s weight=3", "%(b)s" ]; };
  lc = { method = "least_conn"; servers = [ "%(a)s", "%(b)s" ]; };
  iph = { method = "ip_hash"; servers = [ "%(a)s", "%(b)s", "%(c)s" ]; };
  hashed = { method = "hash $request_uri consistent"; servers = [ "%(a)s", "%(b)s", "%(c)s" ]; };
  failover = { servers = [ "%(dead)s max_fails=1 fail_timeout=30s", "%(a)s", "%(b)s" ]; };
  backup = { servers = [ "%(a)s", "%(b)s backup" ]; };
  backup_only = { servers = [ "%(dead)s", "%(b)s backup" ]; };
  withdown = { servers = [ "%(a)s", "%(b)s down" ]; };
  alldead = { servers = [ "%(dead)s" ]; };
  retry = { servers = [ "%(d)s max_fails=0", "%(b)s" ]; };
  checked = { servers = [ "%(a)s", "%(c)s" ];
    health_check = { uri = "/health"; interval = "1s"; timeout = "1s"; fails = 2; passes = 2; }; };
  kept = { servers = [ "%(d)s" ]; keepalive = 4; };
};
''' % {'a': A.addr, 'b': B.addr, 'c': C.addr, 'd': D.addr, 'dead': DEAD}


LOCATIONS = ['rr', 'weighted', 'iph', 'hashed', 'failover', 'backup', 'backup_only',
             'withdown', 'alldead', 'checked', 'kept']
CONF = (upstreams() +
        'proxy_read_timeout = "1s";\n'
        'servers = ( { listen = "127.0.0.1:{port}"; locations = (\n' +
        ''.join('  { match = "/%s/"; proxy_pass = "http://%s"; },\n' % (n, n) for n in LOCATIONS) +
        '  { match = "/lc/"; proxy_pass = "http://lc"; proxy_read_timeout = "10s"; },\n'
        '  { match = "/retry/"; proxy_pass = "http://retry"; proxy_read_timeout = "500ms"; },\n'
        '  { match = "= /status"; status = "text"; },\n'
        '  { match = "= /status.json"; status = "json"; },\n'
        '  { match = "= /metrics"; status = "prometheus"; }\n'
        '); } );\n')


def who(port, path, src=None):
    """The backend that answered a request (or its status when not 200)."""
    if src is None:
        st, h, body = get(port, path)
        return h.get('x-backend') if st == 200 else st
    data = raw(port, ('GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' % path).encode(),
               src=src)
    for line in data.split(b'\r\n\r\n')[0].split(b'\r\n'):
        if line.lower().startswith(b'x-backend:'):
            return line.split(b':', 1)[1].strip().decode()
    return status_of(data)


def tally(port, path, n):
    return collections.Counter(who(port, path) for _ in range(n))


def status_json(port):
    return json.loads(get(port, '/status.json')[2])


def server_state(port, upstream, addr):
    for s in status_json(port)['upstreams'][upstream]['servers']:
        if s['address'] == addr:
            return s
    return None


def pids_talking_to(addr):
    """PIDs of processes with a TCP connection to addr (from ss)."""
    out = subprocess.run(['ss', '-tnpH', 'dst', addr], capture_output=True, text=True).stdout
    return {int(x) for x in re.findall(r'pid=(\d+)', out)}


with Portico(CONF, ports=1) as p:
    P = p.port
    is_(tally(P, '/rr/x', 30), {'a': 10, 'b': 10, 'c': 10}, 'round robin: 30 requests, 10 each')
    is_(tally(P, '/weighted/x', 40), {'a': 30, 'b': 10}, 'weight=3 takes three in four')
    is_(set(who(P, '/withdown/x') for _ in range(6)), {'a'}, 'a server marked down gets nothing')
    b_before = B.requests
    is_(set(who(P, '/backup/x') for _ in range(6)), {'a'}, 'a backup idles while a primary is up')
    is_(B.requests, b_before, 'not one request on the backup')
    is_(set(who(P, '/backup_only/x') for _ in range(4)), {'b'}, 'the backup serves when every primary is down')
    is_(who(P, '/alldead/x'), 502, 'every server down: 502')

    # A stopped server is skipped: no request fails, the failure is logged.
    got = tally(P, '/failover/x', 20)
    is_(got, {'a': 10, 'b': 10}, 'a dead server costs no failed request; the rest share the load')
    like(p.error_log(), r'connect\(\) failed \(111: Connection refused\) .*upstream: "http://%s/failover/x"'
         % DEAD, 'its failure is logged with its address')
    is_(server_state(P, 'failover', DEAD)['state'], 'down', 'and the status page shows it down (max_fails=1)')

    # ip_hash: one source, one server; ten sources spread.
    picks = {}
    for i in range(2, 12):
        src = '127.0.0.%d' % i
        seen = set(who(P, '/iph/x', src) for _ in range(3))
        picks[src] = seen
    ok(all(len(s) == 1 for s in picks.values()), 'ip_hash keeps each source address on one server')
    ok(len(set().union(*picks.values())) >= 2, 'and spreads ten sources (%s)' %
       collections.Counter(next(iter(s)) for s in picks.values()))

    # hash $request_uri consistent: a URI sticks, URIs spread.
    uris = ['/hashed/item%d' % i for i in range(30)]
    first = [who(P, u) for u in uris]
    ok(first == [who(P, u) for u in uris], 'hash: the same URI goes to the same server')
    is_(len(set(first)), 3, 'and thirty URIs reach all three')

    # least_conn: a busy server (every answer takes 2s) is avoided by
    # concurrent clients, which land on several workers.
    A.set_delay(2)
    A.reset()
    B.reset()
    results = []

    def client():
        for _ in range(5):
            results.append(who(P, '/lc/x'))
    threads = [threading.Thread(target=client) for _ in range(4)]
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    A.set_delay(0)
    # Round robin would send it 10 of the 20.  (Under a loaded machine B's
    # answers slow down too, and a moment with more requests on B than the
    # one A holds sends the next one to A: a few more than 4 are fair.)
    ok(A.requests <= 7 and B.requests >= 13,
       'least_conn sends new requests away from the busy server (a %d, b %d)' % (A.requests, B.requests))
    is_(len(results), 20, 'and every request is answered')
    lc = server_state(P, 'lc', A.addr)
    is_(lc and lc['active'], 0, 'the counters go back to zero')

    # A client that leaves frees the upstream connection and its count.
    A.set_delay(3)
    s = socket.create_connection(('127.0.0.1', P))
    s.sendall(b'GET /lc/x HTTP/1.1\r\nHost: x\r\n\r\n')
    s2 = socket.create_connection(('127.0.0.1', P))
    s2.sendall(b'GET /lc/x HTTP/1.1\r\nHost: x\r\n\r\n')
    time.sleep(0.5)
    busy = sum(server_state(P, 'lc', x)['active'] for x in (A.addr, B.addr))
    s.close()
    s2.close()
    ok(busy >= 1 and wait_for(lambda: server_state(P, 'lc', A.addr)['active'] == 0, 2),
       'a client that disconnects frees its least_conn count at once')
    A.set_delay(0)

    # SIGKILL a worker in the middle of a proxied request: the master
    # repairs the count.
    A.set_delay(3)
    B.set_delay(3)
    s = socket.create_connection(('127.0.0.1', P))
    s.sendall(b'GET /lc/x HTTP/1.1\r\nHost: x\r\n\r\n')
    ok(wait_for(lambda: server_state(P, 'lc', A.addr)['active'] + server_state(P, 'lc', B.addr)['active'] == 1, 2),
       'a proxied request holds a count')
    holders = pids_talking_to(A.addr) | pids_talking_to(B.addr)
    killed = next(iter(holders & set(p.workers())), None)
    if killed is None:
        diag('holders %s workers %s' % (holders, p.workers()))
        diag(subprocess.run(['ss', '-tnp'], capture_output=True, text=True).stdout)
    if killed:
        os.kill(killed, signal.SIGKILL)
    ok(killed is not None, 'the worker holding the upstream connection is found')
    ok(wait_for(lambda: server_state(P, 'lc', A.addr)['active'] == 0 and
                server_state(P, 'lc', B.addr)['active'] == 0, 3),
       'after SIGKILL the master repairs the dead worker\'s counts')
    s.close()
    A.set_delay(0)
    B.set_delay(0)
    is_(who(P, '/lc/x') in ('a', 'b'), True, 'and requests go on')

    # proxy_next_upstream: a timeout moves a GET to the next server, never a POST.
    D.set_delay(1.5)
    t0 = time.time()
    is_(who(P, '/retry/x'), 'b', 'a GET that times out is retried on the next server')
    B.reset()
    posts = sorted(request(P, 'POST', '/retry/x', body=b'once')[0] for _ in range(2))
    ok(posts == [200, 504] and B.requests == 1,
       'a POST that timed out is not sent again (%s, b saw %d)' % (posts, B.requests))
    D.set_delay(0)

    # Upstream keepalive: connections are reused; one the upstream closed
    # is replaced transparently.
    D.reset()
    statuses = [get(P, '/kept/x')[0] for _ in range(10)]
    # Each worker keeps its own: at most one per worker (two unless an
    # earlier test grew the pool).
    ok(statuses == [200] * 10 and D.connections <= max(2, len(p.workers())),
       'keepalive: 10 requests over %d connection(s)' % D.connections)
    time.sleep(1)           # D closes its idle connections after 0.5s
    is_([get(P, '/kept/x')[0] for _ in range(4)], [200] * 4,
        'a kept connection the upstream closed is retried transparently')
    # One used less than a second ago is not checked before use: the
    # request finds it closed, and goes once more on a new one.
    for method in ('GET', 'POST'):
        time.sleep(0.7)
        D.reset()
        st = request(P, method, '/kept/x', body=b'once' if method == 'POST' else None)[0]
        ok(st == 200 and D.requests == 1,
           'a %s on a kept connection closed a moment ago is answered, and sent once '
           '(%s, %d)' % (method, st, D.requests))

    # Active health checks: unhealthy within interval x fails, back after passes.
    C.set_health(500)
    t0 = time.time()
    ok(wait_for(lambda: server_state(P, 'checked', C.addr)['state'] == 'unhealthy', 5),
       'a failing health check marks the server unhealthy (%.1fs)' % (time.time() - t0))
    like(p.error_log(), r'%s.*unhealthy|unhealthy.*%s' % (C.addr, C.addr), 'the transition is logged')
    is_(set(who(P, '/checked/x') for _ in range(6)), {'a'}, 'workers skip it at once')
    st = server_state(P, 'checked', C.addr)
    hc = st.get('health_check') or {}
    ok(hc.get('last') and hc.get('status') == 500 and hc.get('result') == 'failing',
       'the status page shows the last check and its result (%r)' % hc)

    # Reload keeps health and failure marks.
    p.signal(signal.SIGHUP)
    time.sleep(0.5)
    is_(server_state(P, 'checked', C.addr)['state'], 'unhealthy', 'after reload it is still unhealthy')
    is_(server_state(P, 'failover', DEAD)['state'], 'down', 'and the failed server still down')
    before = p.error_log().count('/failover/x')
    tally(P, '/failover/x', 6)
    is_(p.error_log().count('/failover/x'), before, 'so no request tries it again')

    C.set_health(200)
    ok(wait_for(lambda: server_state(P, 'checked', C.addr)['state'] == 'up', 5),
       'passing checks bring it back')
    like(p.error_log(), r'%s.*healthy|healthy.*%s' % (C.addr, C.addr), 'logged too')

    # The status page's three forms.
    st, h, text = get(P, '/status')
    ok(st == 200 and b'rr' in text and A.addr.encode() in text and b'idle' in text,
       'status text: workers and upstream servers')
    data = status_json(P)
    ok(data['workers']['total'] >= 2 and data['workers']['idle'] >= 1 and data['requests'] > 0 and
       all(k in data['upstreams']['checked']['servers'][0] for k in
           ('address', 'state', 'active', 'requests', 'failures', 'avg_response_ms', 'health_check')),
       'status json: workers by state, counters and per-server fields')
    me = [w for w in data['processes'] if w['request'] == 'GET /status.json HTTP/1.1']
    ok(len(me) == 1 and me[0]['state'] == 'writing' and me[0]['client'] == '127.0.0.1' and
       me[0]['pid'] in p.workers(), 'and the scoreboard: the worker serving it, with client and request')
    st, h, prom = get(P, '/metrics')
    prom = prom.decode()
    ok(h.get('content-type', '').startswith('text/plain; version=0.0.4'), 'prometheus content type')
    like(prom, r'(?m)^# TYPE portico_upstream_server_requests_total counter$', 'prometheus TYPE lines')
    like(prom, r'(?m)^portico_upstream_server_requests_total\{upstream="rr",server="%s"\} 10$' % A.addr,
         'a counter per upstream server with labels')
    ok(all(re.match(r'^(#.*|[a-z_:][a-z0-9_:]*(\{[^}]*\})? -?[0-9.e+-]+|)$', l) for l in prom.split('\n')),
       'every line follows the text exposition format')
    alerts = [l for l in p.error_log().splitlines() if re.search(r'\[(alert|crit|emerg)\]', l)]
    is_(alerts and [l.split('] ', 1)[1].split(' while ')[0] for l in alerts],
        ['%d#0: worker process %d exited on signal 9' % (p.pid(), killed)],
        'the only alert is the worker killed on purpose')
    p.stop(check_log=False)
for b in (A, B, C, D):
    b.stop()
done()
