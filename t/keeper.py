"""The connection keeper: idle keep-alive connections and slow request heads
are parked with it instead of holding a worker, come back to a worker as
if they had never left, survive a reload and a dead keeper; connections
that cannot be parked (TLS) are shed when every worker is busy."""
import json
import os
import re
import resource
import selectors
import signal
import socket
import ssl
import subprocess
import time

from harness import *
import tlsutil

HEAD = b'GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n'
BODY = b'parked and back\n'
FILES = {'www/index.html': BODY.decode()}
SITE = '''log_format = { k = "$connection $connection_requests $status"; };
servers = ( { listen = "127.0.0.1:{port}"; root = "{dir}/www";
  access_log = "{dir}/k.log k";
  locations = ( { match = "/"; },
                { match = "= /status"; status = "json"; },
                { match = "= /status.txt"; status = "text"; },
                { match = "= /metrics"; status = "prometheus"; } ); } );
'''


_left = {}      # bytes read past a response, by socket


def read_response(s, timeout=5):
    """One whole response (Content-Length framed) from socket s; what
    follows it (a pipelined answer) waits for the next call."""
    s.settimeout(timeout)
    data = _left.pop(s, b'')
    while b'\r\n\r\n' not in data:
        b = s.recv(65536)
        if not b:
            return data
        data += b
    head, _, rest = data.partition(b'\r\n\r\n')
    m = re.search(rb'(?i)content-length: *(\d+)', head)
    need = int(m.group(1)) if m else 0
    while len(rest) < need:
        b = s.recv(65536)
        if not b:
            break
        rest += b
    _left[s] = rest[need:]
    return head + b'\r\n\r\n' + rest[:need]


def same(a, b):
    """Two responses equal but for their Date."""
    strip = lambda r: re.sub(rb'Date: [^\r]*\r\n', b'', r)
    return strip(a) == strip(b)


def status(p):
    return json.loads(get(p.port, '/status')[2])


def fds(pid):
    try:
        return len(os.listdir('/proc/%d/fd' % pid))
    except OSError:
        return -1


def quick_get(port, timeout=5):
    """A fresh connection's GET: (status, seconds)."""
    t = time.monotonic()
    try:
        st = get(port, '/index.html', timeout=timeout)[0]
    except OSError:
        st = None
    return st, time.monotonic() - t


# --- A parked connection comes back byte-exact, with its counters. ---------
with Portico(SITE + 'keepalive_park = "50ms"; client_header_park = "50ms";\n'
             'keepalive_requests = 4;\n', files=FILES) as p:
    s = socket.create_connection(('127.0.0.1', p.port))
    s.sendall(HEAD)
    r1 = read_response(s)
    ok(r1.startswith(b'HTTP/1.1 200') and r1.endswith(BODY), 'the first request is answered')
    time.sleep(0.4)
    st = status(p)
    is_(st['parked']['idle'], 1, 'an idle keep-alive connection is parked')
    ok(st['parked']['handed_to_keeper'] >= 1, 'and counted as handed to the keeper')
    s.sendall(HEAD)
    r2 = read_response(s)
    ok(same(r2, r1), 'its next request is answered byte-exact after parking')
    time.sleep(0.4)
    s.sendall(HEAD + HEAD)         # pipelined: two at once after parking
    r3 = read_response(s)
    r4 = read_response(s)
    ok(same(r3, r1) and r4.startswith(b'HTTP/1.1 200') and r4.endswith(BODY),
       'two pipelined requests sent at once after parking are both answered')
    ok(b'Connection: close' in r4, 'keepalive_requests counts across parking: the 4th closes')
    s.settimeout(5)
    ok(s.recv(10) == b'', 'and the connection is closed after it')
    s.close()
    lines = [l.split() for l in open(os.path.join(p.dir, 'k.log')).read().splitlines()]
    mine = [l for l in lines if l[2] == '200' and l[0] == lines[0][0]]
    is_([l[1] for l in mine], ['1', '2', '3', '4'],
        '$connection stays and $connection_requests counts on across parking')

    # A slow head: parked with its first bytes, completed at the keeper.
    s = socket.create_connection(('127.0.0.1', p.port))
    s.sendall(b'GET /index.html HT')
    time.sleep(0.4)
    st = status(p)
    is_(st['parked']['reading'], 1, 'a slow head is parked while it is read')
    s.sendall(b'TP/1.1\r\nHost: x\r\n\r\n')
    r = read_response(s)
    ok(r.startswith(b'HTTP/1.1 200') and r.endswith(BODY), 'a head completed after parking is served')
    s.close()

    # A POST whose head completes at the keeper, with its body right after.
    s = socket.create_connection(('127.0.0.1', p.port))
    s.sendall(b'POST /index.html HTTP/1.1\r\nHost: x\r\n')
    time.sleep(0.3)
    s.sendall(b'Content-Length: 5\r\n\r\nhello')
    r = read_response(s)
    is_(status_of(r), 405, 'a head and body completed after parking get the static 405')
    s.close()

    # A client that closes while parked is forgotten at once.
    ok(wait_for(lambda: p.helper('keeper') is not None), 'the keeper runs (portico-keeper)')
    keeper = p.helper('keeper')
    base = fds(keeper)
    socks = []
    for _ in range(20):
        c = socket.create_connection(('127.0.0.1', p.port))
        c.sendall(HEAD)
        read_response(c)
        socks.append(c)
    ok(wait_for(lambda: status(p)['parked']['idle'] >= 20), 'twenty idle connections parked')
    like(get(p.port, '/status.txt')[2].decode(), r'parked: idle 2\d, reading 0; handed to the keeper \d+',
         'the text status page shows them')
    like(get(p.port, '/metrics')[2].decode(), r'portico_parked_connections\{state="idle"\} 2\d\n',
         'and the Prometheus one')
    ok(fds(keeper) >= base + 20, 'the keeper holds their descriptors')
    for c in socks:
        c.close()
    ok(wait_for(lambda: fds(keeper) <= base and status(p)['parked']['idle'] == 0),
       'closed by their clients, they are forgotten (no descriptor left)')


# --- Timeouts are the same at the keeper. ----------------------------------
with Portico(SITE + 'keepalive_park = "0"; client_header_park = "0";\n'
             'client_header_timeout = "2s"; keepalive_timeout = "1s";\n',
             files=FILES) as p:
    s = socket.create_connection(('127.0.0.1', p.port))
    t0 = time.monotonic()
    for ch in b'GET / HTTP/1.1\r\n':   # a byte a second would take longer
        s.sendall(bytes([ch]))
        time.sleep(0.1)
    r = read_response(s, timeout=6)
    took = time.monotonic() - t0
    is_(status_of(r), 408, 'a head that never completes gets 408 from a worker')
    ok(1.5 < took < 4, 'after client_header_timeout from its first byte (%.1fs)' % took)
    s.close()
    s = socket.create_connection(('127.0.0.1', p.port))
    s.sendall(HEAD)
    read_response(s)
    t0 = time.monotonic()
    s.settimeout(5)
    ok(s.recv(10) == b'', 'an idle parked connection is closed')
    ok(0.7 < time.monotonic() - t0 < 3, 'after keepalive_timeout')
    s.close()
    s = socket.create_connection(('127.0.0.1', p.port))
    s.sendall(b'GET / HTTP/1.1\r\n' + b'X-Long: ' + b'a' * 40000)
    r = read_response(s)
    is_(status_of(r), 431, 'a head over the limit gets 431, as from a worker')
    s.close()


# --- Capacity: thousands held, a new client still served at once. ----------
def hold(port, idle, slow):
    """idle keep-alive connections after one request, and slow heads."""
    sel = selectors.DefaultSelector()
    socks = []
    for i in range(idle + slow):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(('127.0.0.1', port))
        socks.append(s)
        sel.register(s, selectors.EVENT_WRITE, i < idle)
    pending, deadline = len(socks), time.monotonic() + 30
    answered = 0
    while pending and time.monotonic() < deadline:
        for key, ev in sel.select(timeout=0.5):
            s = key.fileobj
            if ev & selectors.EVENT_WRITE:
                if key.data:
                    s.send(HEAD)
                    sel.modify(s, selectors.EVENT_READ, True)
                else:
                    s.send(b'GET /index.html HTTP/1.1\r\nHost: x\r\nX-Slow: ')
                    sel.unregister(s)
                    pending -= 1
            else:
                try:
                    if s.recv(65536):
                        answered += 1
                except BlockingIOError:
                    continue
                sel.unregister(s)
                pending -= 1
    return socks, answered


soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if hard < 3000:
    ok(True, 'capacity # SKIP the descriptor limit (%d) is below 3000' % hard)
else:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    # Parked at once: a burst of 2,500 connections then needs a worker each
    # for the time of one request, not of the delays.
    conf = MAIN.replace('workers = { start = 2; min_spare = 1; max_spare = 4; max = 16; };',
                        'workers = { start = 4; min_spare = 2; max_spare = 8; max = 256; };')
    with Portico(conf % MIME_TYPES + SITE + 'keepalive_park = "0";\n'
                 'client_header_park = "0";\n', files=FILES, main=False) as p:
        socks, answered = hold(p.port, 2000, 500)
        is_(answered, 2000, 'two thousand idle keep-alive connections answered once each')
        ok(wait_for(lambda: status(p)['parked']['idle'] >= 2000 and
                    status(p)['parked']['reading'] >= 500, timeout=20),
           'and held by the keeper with 500 slow heads (%s)' % status(p)['parked'])
        times = [quick_get(p.port) for _ in range(20)]
        ok(all(st == 200 for st, _ in times), 'a new client gets 200 twenty times out of twenty')
        worst = max(t for _, t in times)
        ok(worst < 0.1, 'each within 100 ms (the slowest %.1f ms)' % (worst * 1000))
        ok(len(p.workers()) < 64, 'with fewer than 64 workers (%d)' % len(p.workers()))
        for s in socks:
            s.close()


# --- Out of descriptors, the keeper refuses parkings and workers keep them.
with Portico(SITE + 'keepalive_park = "0";\n', files=FILES, nofile=160) as p:
    socks = []
    for _ in range(170):
        c = socket.create_connection(('127.0.0.1', p.port))
        c.sendall(HEAD)
        socks.append(c)
    answered = sum(1 for c in socks if read_response(c).endswith(BODY))
    is_(answered, 170, 'past the keeper\'s descriptor limit every connection is still answered')
    ok(wait_for(lambda: 'as many as its descriptor limit allows' in p.error_log()),
       'the keeper says it is full')
    is_(p.error_log().count('as many as its descriptor limit allows'), 1, 'once')
    # Their next requests: answered, or (a connection a worker kept, shed
    # to make room for the last ones) closed before anything was sent.
    again = []
    for c in socks:
        try:
            c.sendall(HEAD)
            again.append(read_response(c))
        except OSError:
            again.append(b'')
    ok(all(r == b'' or r.endswith(BODY) for r in again) and
       sum(1 for r in again if r) >= 136,
       'and their next requests are answered (%d of 170; the others were shed idle)'
       % sum(1 for r in again if r))
    for c in socks:
        c.close()


# --- Workers killed while connections come and go leak nothing. ------------
with Portico(SITE + 'keepalive_park = "0";\n', files=FILES) as p:
    wait_for(lambda: p.helper('keeper') is not None)
    keeper = p.helper('keeper')
    base = fds(keeper)
    socks = [socket.create_connection(('127.0.0.1', p.port)) for _ in range(30)]
    for rnd in range(5):
        for c in socks:
            c.sendall(HEAD)
        for w in p.workers()[:1]:
            os.kill(w, signal.SIGKILL)
        for c in socks:
            try:
                read_response(c, timeout=2)
            except OSError:
                pass
    for c in socks:
        c.close()
    ok(wait_for(lambda: fds(keeper) <= base and status(p)['parked']['idle'] == 0
                and status(p)['parked']['reading'] == 0),
       'workers killed during hand-offs: the keeper holds no descriptor and counts none')
    p.stop(check_log=False)


# --- A reload keeps parked connections; a dead keeper is replaced. ---------
with Portico(SITE.replace('match = "/"; }', 'match = "/"; add_header = { X-Gen = "one"; }; }')
             + 'keepalive_park = "0";\n', files=FILES) as p:
    s = socket.create_connection(('127.0.0.1', p.port))
    s.sendall(HEAD)
    ok(b'X-Gen: one' in read_response(s), 'served by the first configuration')
    ok(wait_for(lambda: status(p)['parked']['idle'] == 1), 'then parked')
    text = open(p.conf_path).read().replace('X-Gen = "one"', 'X-Gen = "two"')
    open(p.conf_path, 'w').write(text)
    wait_for(lambda: p.helper('keeper') is not None)
    keeper = p.helper('keeper')
    p.signal(signal.SIGHUP)
    ok(wait_for(lambda: 'generation 2' in p.error_log()), 'reloaded')
    time.sleep(0.3)
    is_(p.helper('keeper'), keeper, 'the keeper is the same process after a reload')
    s.sendall(HEAD)
    r = read_response(s)
    ok(r.startswith(b'HTTP/1.1 200') and b'X-Gen: two' in r,
       'a connection parked across a reload is served with the new configuration')
    ok(wait_for(lambda: status(p)['parked']['idle'] == 1), 'and parked again')

    # kill -9 of the keeper: what it held is closed, nothing else is lost.
    os.kill(keeper, signal.SIGKILL)
    s.settimeout(5)
    try:
        gone = s.recv(10) == b''
    except ConnectionResetError:
        gone = True
    ok(gone, 'a connection the dead keeper held is closed')
    s.close()
    ok(wait_for(lambda: p.helper('keeper') not in (None, keeper)),
       'the master starts a new keeper')
    failures = 0
    c = socket.create_connection(('127.0.0.1', p.port))
    for i in range(50):
        c.sendall(HEAD)
        r = read_response(c)
        if not r.endswith(BODY):
            failures += 1
        if i % 10 == 9:
            time.sleep(0.05)   # parked now and then, with the new keeper
    c.close()
    is_(failures, 0, 'fifty requests on a connection parked by the new keeper: none lost')
    like(p.error_log(), r'\[alert\].*connection keeper process %d exited unexpectedly' % keeper,
         'the keeper\'s death is logged at alert')
    p.stop(check_log=False)
    bad = [l for l in p.error_log().splitlines()
           if re.search(r'\[(alert|crit|emerg)\]', l) and 'keeper process' not in l]
    ok(not bad, 'no other [alert], [crit] or [emerg] in the error log')


# --- Shedding: TLS connections cannot park, so a full pool drops idle ones.
tmp = subprocess.run(['mktemp', '-d'], capture_output=True, text=True).stdout.strip()
os.chmod(tmp, 0o755)
crt, key = tlsutil.make_cert(tmp, 'keeper.test', kind='ec')
TLS = ('workers = { start = 2; min_spare = 1; max_spare = 2; max = 3; };\n'
       'error_log = "{dir}/error.log"; pid = "{dir}/portico.pid";\n'
       'access_log = "off"; types_file = "%s";\n'
       'servers = ( { listen = "127.0.0.1:{port} ssl"; ssl_certificate = "%s";\n'
       '  ssl_certificate_key = "%s"; root = "{dir}/www";\n'
       '  locations = ( { match = "/"; }, { match = "= /status"; status = "json"; } ); } );\n'
       % (MIME_TYPES, crt, key))
with Portico(TLS, files=FILES, main=False) as p:
    ctx = tlsutil.client_ctx()
    idle = []
    for _ in range(3):
        t = ctx.wrap_socket(socket.create_connection(('127.0.0.1', p.port)))
        t.sendall(HEAD)
        read_response(t)
        idle.append(t)
    time.sleep(0.3)
    r = subprocess.run(['curl', '-sk', '-o', '/dev/null', '-w', '%{http_code} %{time_total}',
                        '-m', '5', 'https://127.0.0.1:%d/index.html' % p.port],
                       capture_output=True, text=True)
    code, took = (r.stdout.split() + ['', '9'])[:2]
    is_(code, '200', 'curl over TLS is served while every worker holds an idle TLS connection')
    ok(float(took) < 0.5, 'at once (%.0f ms): an idle connection was shed' % (float(took) * 1000))
    closed = 0
    for t in idle:
        t.settimeout(0.2)
        try:
            closed += t.recv(10) == b''
        except (socket.timeout, ssl.SSLError, OSError):
            pass
    is_(closed, 1, 'exactly one idle connection was closed to make room')
    t = ctx.wrap_socket(socket.create_connection(('127.0.0.1', p.port)))
    t.sendall(b'GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    body = read_response(t).partition(b'\r\n\r\n')[2]
    t.close()
    ok(json.loads(body)['shed']['idle'] >= 1, 'the status page counts the shed connection')
    like(p.error_log(), r'\[warn\].*all 3 workers are busy',
         'the error log says the pool reached workers.max')
    for t in idle:
        t.close()
subprocess.run(['rm', '-rf', tmp])
done()
