"""Files are never served stale, though a worker keeps them open (and small
ones in memory): on one keep-alive connection, plain and TLS, a file
rewritten, replaced by rename, removed, made unreadable or moved away with
its directory between two requests gets the new answer on the next one,
as nginx opening the file for every request would give.  Also: pipelined
requests and new connections after a change, gzip, validators and ranges
of a rewritten file, a file
reached through a symbolic link, and a large file truncated while it is
sent (the connection closes short, never padded)."""
import http.client
import os
import signal
import socket
import time
import zlib

from harness import *
import tlsutil

SMALL = 'www/f.html'
BIG = 'www/big.bin'
BIG_SIZE = 200000                        # above file_memory_max: sendfile

CONF = '''servers = ( {
  listen = [ "127.0.0.1:{port}", "127.0.0.1:{port2} ssl" ];
  ssl_certificate = "%(crt)s"; ssl_certificate_key = "%(key)s";
  root = "{dir}/www";
  locations = ( { match = "/linked/"; alias = "{dir}/link/"; },
                { match = "/gz/"; alias = "{dir}/www/"; gzip = true;
                  gzip_min_length = 1; } );
} );
'''


class Client:
    """One keep-alive connection; notices if the server closed it."""

    def __init__(self, p, tls):
        if tls:
            self.c = http.client.HTTPSConnection('127.0.0.1', p.ports[1], timeout=10,
                                                 context=tlsutil.client_ctx())
        else:
            self.c = http.client.HTTPConnection('127.0.0.1', p.port, timeout=10)
        self.c.connect()
        self.sock = self.c.sock

    def get(self, path, method='GET', headers=None):
        """(status, headers, body); status None when the exchange failed."""
        try:
            self.c.request(method, path, headers=headers or {})
            r = self.c.getresponse()
            body = r.read()
        except (http.client.HTTPException, OSError) as e:
            self.c.close()
            return None, {}, repr(e).encode()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body

    def same_connection(self):
        return self.c.sock is self.sock

    def close(self):
        self.c.close()


def write(path, data):
    with open(path, 'wb') as f:
        f.write(data)


def replace(path, data):
    """Write a new file beside path and rename it over path."""
    write(path + '.new', data)
    os.chmod(path + '.new', 0o644)
    os.rename(path + '.new', path)


def changes(p, kind):
    """(what is done, the change, the status and body to expect next)."""
    f = os.path.join(p.dir, SMALL)
    big = os.path.join(p.dir, BIG)
    www = os.path.join(p.dir, 'www')
    moved = os.path.join(p.dir, 'elsewhere')
    other = os.path.join(p.dir, 'other', 'f.html')
    b1, b2 = b'1' * BIG_SIZE, b'2' * (BIG_SIZE - 7)
    return [
        ('first', lambda: None, '/f.html', 200, b'one\n'),
        ('rewritten in place, same size', lambda: write(f, b'two\n'), '/f.html', 200, b'two\n'),
        ('rewritten at once again', lambda: write(f, b'TWO\n'), '/f.html', 200, b'TWO\n'),
        ('rewritten longer', lambda: write(f, b'three, longer\n'), '/f.html', 200,
         b'three, longer\n'),
        ('replaced by rename', lambda: replace(f, b'four\n'), '/f.html', 200, b'four\n'),
        ('removed', lambda: os.unlink(f), '/f.html', 404, None),
        ('created again', lambda: replace(f, b'five\n'), '/f.html', 200, b'five\n'),
        ('made unreadable', lambda: os.chmod(f, 0), '/f.html', 403, None),
        ('made readable', lambda: os.chmod(f, 0o644), '/f.html', 200, b'five\n'),
        ('its directory moved away', lambda: os.rename(www, moved), '/f.html', 404, None),
        ('and back', lambda: os.rename(moved, www), '/f.html', 200, b'five\n'),
        ('changed through a hard link elsewhere',
         lambda: (os.link(f, other), write(other, b'six\n')), '/f.html', 200, b'six\n'),
        ('a directory in its place', lambda: (os.unlink(f), os.unlink(other), os.mkdir(f)),
         '/f.html', 301, None),
        ('a file again', lambda: (os.rmdir(f), replace(f, b'seven\n')), '/f.html', 200,
         b'seven\n'),
        ('large: first', lambda: None, '/big.bin', 200, b1),
        ('large: rewritten', lambda: write(big, b2), '/big.bin', 200, b2),
        ('large: removed', lambda: os.unlink(big), '/big.bin', 404, None),
        ('through a symbolic link', lambda: None, '/linked/f.html', 200, b'seven\n'),
        ('through a symbolic link, rewritten', lambda: write(f, b'eight\n'),
         '/linked/f.html', 200, b'eight\n'),
        ('the link pointed elsewhere',
         lambda: (os.unlink(os.path.join(p.dir, 'link')),
                  os.symlink(os.path.join(p.dir, 'other'), os.path.join(p.dir, 'link'))),
         '/linked/f.html', 404, None),
    ]


def keepalive(p, kind):
    write(os.path.join(p.dir, SMALL), b'one\n')
    os.chmod(os.path.join(p.dir, SMALL), 0o644)
    write(os.path.join(p.dir, BIG), b'1' * BIG_SIZE)
    os.chmod(os.path.join(p.dir, BIG), 0o644)
    link = os.path.join(p.dir, 'link')
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(os.path.join(p.dir, 'www'), link)
    c = Client(p, kind == 'TLS')
    bad = []
    for what, change, path, status, body in changes(p, kind):
        change()
        st, h, b = c.get(path)
        if st != status or (body is not None and b != body):
            bad.append('%s: %s %r' % (what, st, b[:40]))
        if status == 200 and body is not None:
            st, h, b = c.get(path)       # and the next request too
            if b != body:
                bad.append('%s, again: %s %r' % (what, st, b[:40]))
    if not ok(not bad and c.same_connection(),
              '%s: each change is seen by the next request on one keep-alive '
              'connection' % kind):
        diag('\n'.join(bad) or 'the connection was not kept')
    c.close()


def pipelined(p):
    f = os.path.join(p.dir, SMALL)
    write(f, b'before\n')
    s = socket.create_connection(('127.0.0.1', p.port), timeout=10)
    req = b'GET /f.html HTTP/1.1\r\nHost: x\r\n\r\n'
    s.sendall(req)
    first = b''
    while not first.endswith(b'before\n'):
        first += s.recv(4096)
    write(f, b'after!\n')
    s.sendall(req * 3)
    data = b''
    deadline = time.time() + 10
    while data.count(b'after!\n') < 3 and time.time() < deadline:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    is_(data.count(b'after!\n'), 3, 'pipelined requests after a change get the new file')


def compressed(p):
    """gzip compresses the file as it is now, not the copy held before."""
    f = os.path.join(p.dir, SMALL)
    c = Client(p, False)
    got = []
    for text in (b'compressed once\n', b'and compressed again\n'):
        write(f, text)
        st, h, b = c.get('/gz/f.html', headers={'Accept-Encoding': 'gzip'})
        got.append(zlib.decompress(b, 16 + zlib.MAX_WBITS)
                   if h.get('content-encoding') == 'gzip' else b)
    is_(got, [b'compressed once\n', b'and compressed again\n'],
        'gzip on the fly compresses the rewritten file')
    c.close()


def new_connections(p):
    """A request already waiting when its connection is accepted is read
    before any wait: the worker must look for changes itself.  The
    workers are stopped while the file changes and the request is sent."""
    f = os.path.join(p.dir, SMALL)
    got = []
    for i in range(4):
        get(p.port, '/f.html')           # cached by some worker
        workers = p.workers()
        for w in workers:
            os.kill(w, signal.SIGSTOP)
        write(f, b'round %d\n' % i)
        s = socket.create_connection(('127.0.0.1', p.port), timeout=10)
        s.sendall(b'GET /f.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
        time.sleep(0.05)
        for w in workers:
            os.kill(w, signal.SIGCONT)
        data = b''
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
        s.close()
        got.append(data.partition(b'\r\n\r\n')[2])
    is_(got, [b'round %d\n' % i for i in range(4)],
        'a request waiting at accept after a change gets the new file')


def validators(p):
    f = os.path.join(p.dir, SMALL)
    write(f, b'0123456789\n')
    c = Client(p, False)
    st, h, b = c.get('/f.html')
    etag = h.get('etag')
    st2, h2, b2 = c.get('/f.html', headers={'If-None-Match': etag})
    is_(st2, 304, 'If-None-Match with the ETag: 304')
    time.sleep(1.1)                      # another second: another ETag
    write(f, b'abcdefghij\n')
    st3, h3, b3 = c.get('/f.html', headers={'If-None-Match': etag})
    ok(st3 == 200 and b3 == b'abcdefghij\n' and h3.get('etag') != etag,
       'after a rewrite the old ETag gets the new file and a new ETag')
    st4, h4, b4 = c.get('/f.html', headers={'Range': 'bytes=2-4'})
    ok(st4 == 206 and b4 == b'cde' and h4.get('content-range') == 'bytes 2-4/11',
       'a range of the rewritten file')
    st5, h5, b5 = c.get('/f.html', 'HEAD')
    ok(st5 == 200 and b5 == b'' and h5.get('content-length') == '11',
       'HEAD: its length, no body')
    c.close()


def truncated(p):
    """A large file cut short while it is sent: the connection closes."""
    big = os.path.join(p.dir, BIG)
    size = 64 << 20
    with open(big, 'wb') as f:
        f.truncate(size)
    s = socket.create_connection(('127.0.0.1', p.port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.sendall(b'GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n')
    data = s.recv(65536)
    time.sleep(0.3)
    with open(big, 'r+b') as f:
        f.truncate(1 << 20)
    got = len(data)
    deadline = time.time() + 20
    while time.time() < deadline:
        b = s.recv(1 << 20)
        if not b:
            break
        got += len(b)
    s.close()
    head = data.split(b'\r\n\r\n', 1)[0]
    ok(b'Content-Length: %d' % size in head and got - len(head) - 4 < size,
       'a file truncated while sent: the connection closes short (%d of %d bytes)'
       % (got - len(head) - 4, size))
    like(p.error_log(), r'was truncated while being sent', 'and the error log says so')


with Portico('', ports=2, start=False, files={'other/.keep': ''}) as p:
    crt, key = tlsutil.make_cert(p.dir, 'x.test', kind='ec')
    p.write_conf(CONF % {'crt': crt, 'key': key})
    os.makedirs(os.path.join(p.dir, 'www'), exist_ok=True)
    os.chmod(os.path.join(p.dir, 'other'), 0o755)
    p.start()
    keepalive(p, 'plain')
    keepalive(p, 'TLS')
    pipelined(p)
    new_connections(p)
    compressed(p)
    validators(p)
    truncated(p)
done()
