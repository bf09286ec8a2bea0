"""The integration tests' small harness.

Each test script writes its own configuration, starts the real daemon on
free loopback ports with Portico(...), talks to it with real clients and
checks what comes back, printing TAP for automake's driver:

    from harness import *
    with Portico('servers = ( { listen = "127.0.0.1:{port}"; root = "{dir}/www"; } );',
                 files={'www/index.html': 'hello\n'}) as p:
        st, hdrs, body = get(p.port, '/')
        is_(st, 200, 'index is served')
    done()

{dir} is the test's own directory (world-readable, so workers that drop to
www-data can read it), {port}, {port2}, ... are free ports.  Stopping the
daemon also checks that its error log has no [alert], [crit] or [emerg]
line (STYLE.md, practice 16).
"""

import http.client
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PORTICO = os.environ.get('PORTICO', 'portico')
SRCDIR = os.environ.get('SRCDIR', os.path.join(os.path.dirname(__file__), '..'))
MIME_TYPES = os.path.join(SRCDIR, 'conf.d', 'mime.types')

_n = 0
_failed = 0


def ok(cond, desc):
    """One TAP line; returns cond so callers can add diagnostics."""
    global _n, _failed
    _n += 1
    print(('ok' if cond else 'not ok') + ' %d - %s' % (_n, desc), flush=True)
    if not cond:
        _failed += 1
    return cond


def diag(msg):
    for line in str(msg).splitlines():
        print('# ' + line, flush=True)


def is_(got, want, desc):
    if not ok(got == want, desc):
        diag('got:  %r\nwant: %r' % (got, want))


def like(got, pattern, desc):
    if not ok(got is not None and re.search(pattern, got) is not None, desc):
        diag('got:  %r\nwant: /%s/' % (got, pattern))


def done():
    print('1..%d' % _n, flush=True)
    sys.exit(0)


def wait_for(cond, timeout=5.0):
    """Poll cond until it is true or timeout seconds pass."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def free_port(host='127.0.0.1'):
    s = socket.socket()
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def comm(pid):
    """A process's name, or '' once it is gone."""
    try:
        with open('/proc/%d/comm' % pid) as f:
            return f.read().strip()
    except OSError:
        return ''


def wait_port(port, host='127.0.0.1', timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.02)
    return False


MAIN = '''pid = "{dir}/portico.pid";
error_log = "{dir}/error.log";
access_log = "{dir}/access.log";
types_file = "%s";
workers = { start = 2; min_spare = 1; max_spare = 4; max = 16; };
'''


class Portico:
    """A daemon with its own directory, configuration and ports.

    conf: the configuration after the main-level defaults above (set
    main=False to write the whole file yourself).  files: extra files
    relative to the directory.  ports: how many free ports to reserve.
    """

    def __init__(self, conf, files=None, ports=2, main=True, start=True,
                 args=(), nofile=None):
        self.dir = tempfile.mkdtemp(prefix='portico-t.')
        os.chmod(self.dir, 0o755)
        self.ports = [free_port() for _ in range(ports)]
        self.port = self.ports[0]
        self.args = list(args)
        self.nofile = nofile          # the daemon's descriptor limit
        self.proc = None
        self.conf_path = os.path.join(self.dir, 'portico.conf')
        for name, content in (files or {}).items():
            self.write(name, content)
        self.write_conf(conf, main)
        self.autostart = start

    def subst(self, text):
        text = text.replace('{dir}', self.dir)
        for i, port in enumerate(self.ports):
            text = text.replace('{port%s}' % (i + 1 if i else ''), str(port))
        return text

    def write(self, name, content, mode=0o644):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        data = content if isinstance(content, bytes) else self.subst(content).encode()
        with open(path, 'wb') as f:
            f.write(data)
        os.chmod(path, mode)
        return path

    def write_conf(self, conf, main=True):
        self.write('portico.conf', (MAIN % MIME_TYPES if main else '') + conf)

    def run(self, *args):
        """portico with -c this configuration: (exit code, stdout, stderr)."""
        p = subprocess.run([PORTICO, '-c', self.conf_path] + list(args),
                           capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout, p.stderr

    def start(self, wait=True):
        # stderr goes to a file: in the foreground portico copies every log
        # line there, and a pipe nobody reads would fill up and block it.
        self.stderr_path = os.path.join(self.dir, 'stderr.log')
        with open(self.stderr_path, 'ab') as err:
            self.proc = subprocess.Popen([PORTICO, '-f', '-c', self.conf_path] + self.args,
                                         stdout=subprocess.DEVNULL, stderr=err,
                                         preexec_fn=self._limits)
        if wait and not wait_port(self.port):
            ok(False, 'portico started and listens on %d' % self.port)
            diag(self.stderr())
            raise SystemExit(1)
        return self

    def _limits(self):
        if self.nofile:
            resource.setrlimit(resource.RLIMIT_NOFILE, (self.nofile, self.nofile))

    def pid(self):
        return self.proc.pid

    def signal(self, sig):
        os.kill(self.proc.pid, sig)

    def children(self):
        """PIDs of the master's children: workers and helpers."""
        out = subprocess.run(['pgrep', '-P', str(self.proc.pid)], capture_output=True,
                             text=True).stdout
        return [int(x) for x in out.split()]

    def workers(self):
        """PIDs of the master's workers (helpers name themselves portico-*)."""
        return [pid for pid in self.children() if comm(pid) == 'portico']

    def helper(self, name):
        """PID of the helper process portico-NAME, or None."""
        return next((pid for pid in self.children()
                     if comm(pid) == 'portico-' + name), None)

    def stderr(self):
        """What the daemon wrote to stderr so far."""
        try:
            with open(self.stderr_path, errors='replace') as f:
                return f.read()
        except (OSError, AttributeError):
            return ''

    def error_log(self):
        try:
            with open(os.path.join(self.dir, 'error.log'), errors='replace') as f:
                return f.read()
        except OSError:
            return ''

    def access_log(self):
        try:
            with open(os.path.join(self.dir, 'access.log'), errors='replace') as f:
                return f.read()
        except OSError:
            return ''

    def stop(self, check_log=True):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                ok(False, 'portico stopped within 15s of SIGTERM')
        self.proc = None
        if check_log:
            bad = [l for l in self.error_log().splitlines()
                   if re.search(r'\[(alert|crit|emerg)\]', l)]
            if not ok(not bad, 'no [alert], [crit] or [emerg] in the error log'):
                diag('\n'.join(bad[:20]))
        # Built with --enable-sanitizers, reports land on stderr.
        san = [l for l in self.stderr().splitlines()
               if re.search(r'AddressSanitizer|LeakSanitizer|runtime error:', l)]
        if not ok(not san, 'no sanitizer reports'):
            diag('\n'.join(san[:20]))

    def __enter__(self):
        if self.autostart:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        return False


def request(port, method='GET', path='/', headers=None, body=None,
            host='127.0.0.1', timeout=10):
    """One request on a new connection: (status, headers dict, body bytes).
    Header names in the dict are lowercase."""
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        chunked = any(k.lower() == 'transfer-encoding' for k in (headers or {}))
        c.request(method, path, body=body, headers=headers or {}, encode_chunked=chunked)
        r = c.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        c.close()


def get(port, path='/', headers=None, **kw):
    return request(port, 'GET', path, headers, **kw)


def raw(port, data, host='127.0.0.1', timeout=5, shutdown=False, src=None):
    """Send bytes as they are; return everything read until the server
    closes or timeout seconds pass without data.  src: the local address
    to connect from (any of 127.0.0.0/8)."""
    s = socket.create_connection((host, port), timeout=timeout,
                                 source_address=(src, 0) if src else None)
    try:
        s.sendall(data)
        if shutdown:
            s.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not b:
                break
            chunks.append(b)
        return b''.join(chunks)
    finally:
        s.close()


def rss_kb(pid):
    """A process's resident memory in kB, 0 when it is gone."""
    try:
        for line in open('/proc/%d/status' % pid):
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def status_of(response):
    """The status code of a raw response, or None."""
    m = re.match(rb'HTTP/1\.[01] (\d{3})', response)
    return int(m.group(1)) if m else None
