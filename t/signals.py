"""Signals: HUP reloads without dropping a download in flight and keeps the
old configuration when the new one is bad; QUIT finishes in-flight work;
TERM stops; USR1 reopens logs (also as www-data); -s sends them."""
import hashlib
import os
import signal
import socket
import time

from harness import *

BIG = os.urandom(6 << 20)


def site(text):
    return ('servers = ( { listen = "127.0.0.1:{port}"; root = "{dir}/www"; '
            'add_header = { X-Gen = "%s"; }; } );\n' % text)


def slow_download(port, path):
    """Start a GET and read only its first bytes: (socket, first bytes).
    A small receive window keeps most of BIG in the server until finish();
    smaller than 64 KiB and loopback TCP crawls."""
    s = socket.create_connection(('127.0.0.1', port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.sendall(('GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' % path).encode())
    return s, s.recv(4096)


def finish(s, first):
    data = [first]
    while True:
        b = s.recv(65536)
        if not b:
            break
        data.append(b)
    s.close()
    raw = b''.join(data)
    head, _, body = raw.partition(b'\r\n\r\n')
    return head, body



FILES = {'www/big.bin': BIG, 'www/index.html': 'one\n'}

# HUP: new configuration for new requests, the download in flight completes.
with Portico(site('one'), files=FILES) as p:
    is_(get(p.port)[1].get('x-gen'), 'one', 'the first configuration serves')
    s, first = slow_download(p.port, '/big.bin')
    p.write_conf(site('two'))
    p.signal(signal.SIGHUP)
    ok(wait_for(lambda: get(p.port)[1].get('x-gen') == 'two'), 'after HUP new requests see the new configuration')
    head, body = finish(s, first)
    ok(len(body) == len(BIG) and hashlib.sha256(body).digest() == hashlib.sha256(BIG).digest(),
       'the slow download started before the reload completes intact')
    like(p.error_log(), r'signal HUP received, reconfiguring', 'the reload is logged')

    # A broken configuration: logged with file:line, the old one keeps serving.
    p.write_conf(site('three') + 'bogus_setting = 1;\n')
    p.signal(signal.SIGHUP)
    ok(wait_for(lambda: 'reload failed' in p.error_log()), 'a bad reload is logged')
    like(p.error_log(), r'\[emerg\] .*unknown setting "bogus_setting" in .*portico.conf:7',
         'with the error, its file and line')
    is_(get(p.port)[1].get('x-gen'), 'two', 'and the running configuration keeps serving')
    p.stop(check_log=False)

# QUIT: the download in flight finishes, then the master exits and removes
# its pid file.
with Portico(site('q'), files=FILES) as p:
    pidfile = os.path.join(p.dir, 'portico.pid')
    s, first = slow_download(p.port, '/big.bin')
    p.signal(signal.SIGQUIT)
    time.sleep(0.3)
    ok(p.proc.poll() is None, 'after QUIT the master waits for the request in flight')
    head, body = finish(s, first)
    is_(len(body), len(BIG), 'the download finishes')
    ok(wait_for(lambda: p.proc.poll() is not None), 'then the master exits')
    ok(not os.path.exists(pidfile), 'and removes its pid file')

# TERM stops master and workers.
with Portico(site('t'), files=FILES) as p:
    workers = p.workers()
    p.signal(signal.SIGTERM)
    ok(wait_for(lambda: p.proc.poll() is not None), 'TERM stops the master')
    ok(wait_for(lambda: not any(os.path.exists('/proc/%d' % w) for w in workers)),
       'and its workers')

# USR1 reopens the logs, as rotation needs.
with Portico(site('r'), files=FILES) as p:
    get(p.port, '/index.html')
    access = os.path.join(p.dir, 'access.log')
    os.rename(access, access + '.1')
    os.rename(os.path.join(p.dir, 'error.log'), os.path.join(p.dir, 'error.log.1'))
    get(p.port, '/index.html?after-rename')
    p.signal(signal.SIGUSR1)
    ok(wait_for(lambda: os.path.exists(access)), 'USR1 creates a new access log')
    time.sleep(0.2)
    for _ in range(4):
        get(p.port, '/index.html?after-reopen')
    ok(wait_for(lambda: 'after-reopen' in p.access_log()), 'requests go to the new file')
    old = open(access + '.1').read()
    ok('after-rename' in old and 'after-reopen' not in old, 'the rotated file keeps the older lines')
    if os.geteuid() == 0:
        import pwd
        is_(os.stat(access).st_uid, pwd.getpwnam('www-data').pw_uid,
            'the new log belongs to the worker user, who can reopen it')
    else:
        ok(True, 'log owner # SKIP not root')
    get(p.port, '/missing-after-reopen')
    ok(wait_for(lambda: 'missing-after-reopen' in p.error_log()),
       'errors go to the new error log')

# -s sends the same signals through the pid file.
with Portico(site('s1'), files=FILES) as p:
    p.write_conf(site('s2'))
    rc, out, err = p.run('-s', 'reload')
    is_(rc, 0, '-s reload')
    ok(wait_for(lambda: get(p.port)[1].get('x-gen') == 's2'), 'reloads')
    rc, out, err = p.run('-s', 'reopen')
    is_(rc, 0, '-s reopen')
    ok(wait_for(lambda: 'reopening logs' in p.error_log()), 'reopens')
    rc, out, err = p.run('-s', 'quit')
    is_(rc, 0, '-s quit')
    ok(wait_for(lambda: p.proc.poll() is not None), 'quits')
done()
