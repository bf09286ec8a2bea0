"""System calls per keep-alive request, counted with strace -c on the one
worker over 200 requests on one connection: a small static file over
plain HTTP and over TLS (at most 3: wait, read, write) and a proxied
request (at most 6: wait for the client, read it, send upstream, wait
for the upstream, read it, send to the client) and a proxy cache hit (at
most 4: wait, read, the check that the entry's file is still the one the
index names, write).  A count, not a timing:
it fails when a change adds a call to the path.  A POST's small body goes
upstream with its head.  Skipped where strace is
missing or cannot attach (no ptrace)."""
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

from harness import *
import tlsutil

REQUESTS = 200
SMALL = b'x' * 1024
BACKEND_BODY = b'b' * 100

CONF = '''pid = "{dir}/portico.pid";
error_log = "{dir}/error.log";
access_log = "off";
types_file = "%(types)s";
workers = { start = 1; min_spare = 0; max_spare = 1; max = 1; };
keepalive_park = "off";
keepalive_requests = 100000;
upstreams = { b = { servers = [ "127.0.0.1:%(backend)d" ]; keepalive = 4; }; };
proxy_cache_path = "{dir}/cache levels=1:2 keys_zone=c:1m";
servers = (
  { listen = [ "127.0.0.1:{port}", "127.0.0.1:{port2} ssl" ];
    ssl_certificate = "%(crt)s"; ssl_certificate_key = "%(key)s";
    root = "{dir}/www";
    locations = ( { match = "/"; },
                  { match = "/p/"; proxy_pass = "http://b"; },
                  { match = "/c/"; proxy_pass = "http://b"; proxy_cache = "c";
                    proxy_cache_valid = "200 10m"; } ); } );
'''


class Backend:
    """An upstream that answers every request on a kept connection with
    one write, so the count measures portico and not the backend."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.answer, args=(conn,), daemon=True).start()

    def answer(self, conn):
        data = b''
        answer = (b'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n'
                  b'Content-Length: %d\r\n\r\n' % len(BACKEND_BODY)) + BACKEND_BODY
        with conn:
            while True:
                while b'\r\n\r\n' not in data:
                    b = conn.recv(65536)
                    if not b:
                        return
                    data += b
                head, data = data.split(b'\r\n\r\n', 1)
                m = re.search(rb'(?i)\r\ncontent-length: *(\d+)', head)
                while m and len(data) < int(m.group(1)):
                    data += conn.recv(65536)
                data = data[int(m.group(1)) if m else 0:]
                conn.sendall(answer)


def response(s, buf):
    """One Content-Length framed response from s: (status, body, rest)."""
    while b'\r\n\r\n' not in buf:
        b = s.recv(65536)
        if not b:
            return None, b'', b''
        buf += b
    head, _, rest = buf.partition(b'\r\n\r\n')
    need = int(re.search(rb'(?i)\r\ncontent-length: *(\d+)', head).group(1))
    while len(rest) < need:
        b = s.recv(65536)
        if not b:
            break
        rest += b
    return status_of(head), rest[:need], rest[need:]


def exchange(s, path, n):
    """n keep-alive requests on s (GET path, or "POST path" with a small
    body); how many came back 200 with a body."""
    if path.startswith('POST '):
        req = ('POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n'
               % (path[5:], len(SMALL) // 10)).encode() + SMALL[:len(SMALL) // 10]
    else:
        req = ('GET %s HTTP/1.1\r\nHost: x\r\n\r\n' % path).encode()
    good, buf = 0, b''
    for _ in range(n):
        s.sendall(req)
        st, body, buf = response(s, buf)
        good += st == 200 and len(body) > 0
    return good


def sanitized():
    """Built with the sanitizers: ASan's allocator maps memory with calls of
    its own, which the count leaves out."""
    out = subprocess.run([PORTICO, '-V'], capture_output=True, text=True)
    return '--enable-sanitizers' in out.stdout + out.stderr


# Not counted: the allocator giving unused pages back (madvise), which
# comes with time, not with requests; under the sanitizers, ASan's maps.
MEMORY = {'madvise'} | ({'mmap', 'munmap'} if sanitized() else set())


def count(trace):
    """System calls by name in an strace -y log, leaving out the open-file
    cache's wake-ups for changes elsewhere on the machine (it watches the
    directories above the files, /tmp among them): a poll that found only
    its inotify descriptor ready, and the read of inotify right after a
    poll that found it ready.  A read of inotify anywhere else is counted:
    it is a request looking for changes itself."""
    ino = set(re.findall(r'(\d+)<anon_inode:inotify>', trace))
    calls = {}
    woken = False                        # the last poll found inotify ready
    for line in trace.splitlines():
        m = re.match(r'(\w+)\(', line)
        if not m:
            continue                     # signals, "resuming" lines
        name = m.group(1)
        if name == 'read' and woken and re.match(r'read\(\d+<anon_inode:inotify>', line):
            continue
        ready = re.search(r'= \d+ \(\[(.*?)\]', line)
        fds = set(re.findall(r'fd=(\d+)', ready.group(1))) if ready else set()
        woken = name == 'ppoll' and bool(fds & ino)
        if woken and fds <= ino:
            continue
        if name not in MEMORY:
            calls[name] = calls.get(name, 0) + 1
    return calls


def strace_count(pid, s, path):
    """System calls of pid while s makes REQUESTS requests: (by name,
    requests answered), or None when strace cannot attach."""
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '.strace.%d' % os.getpid())
    tr = subprocess.Popen(['strace', '-y', '-o', out, '-p', str(pid)],
                          stderr=subprocess.PIPE, text=True)
    line = tr.stderr.readline()          # "Process N attached", or why not
    if 'attached' not in line:
        tr.wait(timeout=10)
        diag(line + tr.stderr.read())
        return None
    time.sleep(0.2)                      # the worker is back in its wait
    good = exchange(s, path, REQUESTS)
    time.sleep(0.2)
    tr.send_signal(signal.SIGINT)
    tr.wait(timeout=20)
    with open(out) as f:
        trace = f.read()
    os.unlink(out)
    return count(trace), good


def can_trace():
    """None if strace can attach to a process of ours, else why not."""
    if shutil.which('strace') is None:
        return 'strace is not installed'
    p = subprocess.Popen(['sleep', '10'])
    tr = subprocess.Popen(['strace', '-o', '/dev/null', '-p', str(p.pid)],
                          stderr=subprocess.PIPE, text=True)
    line = tr.stderr.readline().strip()
    p.kill()
    p.wait()
    tr.wait(timeout=10)
    return None if 'attached' in line else 'strace cannot attach here (%s)' % line


def connect(p, tls):
    if tls:
        return tlsutil.tls_connect(p.ports[1])
    return socket.create_connection(('127.0.0.1', p.port), timeout=10)


why = can_trace()
diag('not counted: %s' % ', '.join(sorted(MEMORY)))
if why:
    print('1..0 # SKIP ' + why)
    raise SystemExit(0)

backend = Backend()
with Portico('', ports=2, main=False, start=False) as p:
    crt, key = tlsutil.make_cert(p.dir, 'x.test', kind='ec')
    p.write_conf(CONF % {'types': MIME_TYPES, 'backend': backend.port,
                         'crt': crt, 'key': key}, main=False)
    p.write('www/small.html', SMALL)
    p.start()
    assert wait_for(lambda: len(p.workers()) == 1)
    for name, tls, path, limit in (('small static file', False, '/small.html', 3),
                                   ('small static file over TLS', True, '/small.html', 3),
                                   ('proxied request', False, '/p/x', 6),
                                   ('proxied POST with a small body', False, 'POST /p/x', 6),
                                   ('proxy cache hit', False, '/c/x', 4)):
        s = connect(p, tls)
        s.settimeout(10)
        exchange(s, path, 3)             # caches, the upstream connection
        got = strace_count(p.workers()[0], s, path)
        s.close()
        if got is None:
            ok(False, '%s: strace attached to the worker' % name)
            continue
        calls, good = got
        total = sum(calls.values())
        is_(good, REQUESTS, '%s: %d requests answered under strace' % (name, REQUESTS))
        ok(total <= limit * REQUESTS + 2,
           '%s: %.2f system calls per keep-alive request (at most %d)'
           % (name, total / REQUESTS, limit))
        diag('%s: %s' % (name, ', '.join('%s %d' % kv for kv in
                                         sorted(calls.items(), key=lambda kv: -kv[1]))))
done()
