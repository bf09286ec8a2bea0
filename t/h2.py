"""HTTP/2 over TLS (ALPN) with real clients (curl, nghttp, h2load): static
files, ranges, POST, proxied requests, concurrency, HTTP/1.1 still offered;
and a raw-frame client that resets streams and breaks the protocol, which
must end that connection with GOAWAY and nothing else."""
import os
import socket
import ssl
import struct
import subprocess
import tempfile

from harness import *
from backend import Backend, pattern
from tlsutil import client_ctx, make_cert

CERTS = tempfile.mkdtemp(prefix='portico-certs.')
os.chmod(CERTS, 0o755)
CRT, KEY = make_cert(CERTS, 'h2.test', 'ec')
back = Backend('h2back')
DATA = os.urandom(300000)
CONF = '''log_level = "info";
servers = ( { listen = "127.0.0.1:{port} ssl http2"; server_name = "h2.test";
  ssl_certificate = "%s"; ssl_certificate_key = "%s"; root = "{dir}/www";
  client_max_body_size = "10m"; add_header = { X-Site = "h2"; };
  locations = ( { match = "/app/"; proxy_pass = "http://%s"; },
                { match = "= /proto"; return = "200 $server_protocol"; } ); } );
''' % (CRT, KEY, back.addr)


def curl(port, path, *args):
    r = subprocess.run(['curl', '-sk', '--http2', '-o', '-', '-D', '/dev/stderr',
                        '--resolve', 'h2.test:%d:127.0.0.1' % port,
                        'https://h2.test:%d%s' % (port, path)] + list(args),
                       capture_output=True, timeout=30)
    return r.stderr.decode('latin-1'), r.stdout


def frame(kind, flags, stream, payload=b''):
    return struct.pack('!I', len(payload))[1:] + bytes([kind, flags]) + struct.pack('!I', stream) + payload


def lit(name, value):
    """An HPACK literal header field without indexing, new name."""
    return bytes([0, len(name)]) + name + bytes([len(value)]) + value


def get_headers(path=b'/index.html'):
    return b'\x82\x87' + lit(b':path', path) + lit(b':authority', b'h2.test')


class Raw:
    """A TLS connection speaking raw HTTP/2 frames."""

    def __init__(self, port):
        self.s = client_ctx(alpn=['h2']).wrap_socket(
            socket.create_connection(('127.0.0.1', port), timeout=5), server_hostname='h2.test')
        self.buf = b''

    def send(self, data):
        self.s.sendall(data)

    def frames(self):
        """Frames until the server closes or goes quiet: [(type, flags, stream, payload)]."""
        out = []
        while True:
            try:
                b = self.s.recv(65536)
            except (socket.timeout, ssl.SSLError, OSError):
                break
            if not b:
                break
            self.buf += b
            while len(self.buf) >= 9:
                n = struct.unpack('!I', b'\0' + self.buf[:3])[0]
                if len(self.buf) < 9 + n:
                    break
                t, f, sid = self.buf[3], self.buf[4], struct.unpack('!I', self.buf[5:9])[0] & 0x7fffffff
                out.append((t, f, sid, self.buf[9:9 + n]))
                self.buf = self.buf[9 + n:]
                if t == 7:
                    return out
        return out

    def close(self):
        self.s.close()


PREFACE = b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' + frame(4, 0, 0)
GOAWAY, RST, HEADERS, DATA_FRAME = 7, 3, 1, 0


def goaway_code(frames):
    g = [f for f in frames if f[0] == GOAWAY]
    return struct.unpack('!I', g[0][3][4:8])[0] if g else None


with Portico(CONF, files={'www/index.html': 'over h2\n', 'www/data.bin': DATA}) as p:
    P = p.port
    head, body = curl(P, '/index.html')
    ok(head.startswith('HTTP/2 200') and body == b'over h2\n', 'a static file over HTTP/2')
    ok('x-site: h2' in head and 'content-type: text/html' in head, 'with its headers, lowercase')
    head, body = curl(P, '/proto')
    is_(body, b'HTTP/2.0', '$server_protocol is HTTP/2.0')
    head, body = curl(P, '/data.bin', '-r', '1000-1999')
    ok(head.startswith('HTTP/2 206') and body == DATA[1000:2000] and
       'content-range: bytes 1000-1999/300000' in head, 'a range over HTTP/2')
    head, body = curl(P, '/data.bin')
    ok(body == DATA, '300 kB over HTTP/2 (flow control windows honoured)')
    head, body = curl(P, '/missing')
    ok(head.startswith('HTTP/2 404') and b'404' in body, 'an error page over HTTP/2')
    head, body = curl(P, '/app/x?y=1', '-H', 'X-Test: yes')
    ok(head.startswith('HTTP/2 200') and b'"path": "/app/x?y=1"' in body and b'["x-test", "yes"]' in body.lower(),
       'a proxied GET over HTTP/2')
    post = os.urandom(200000)
    with open(os.path.join(p.dir, 'post.bin'), 'wb') as f:
        f.write(post)
    head, body = curl(P, '/app/post', '--data-binary', '@' + os.path.join(p.dir, 'post.bin'))
    import hashlib, json
    info = json.loads(body) if body.startswith(b'{') else {}
    ok(info.get('body_len') == len(post) and info.get('body_sha') == hashlib.sha256(post).hexdigest(),
       'a proxied POST over HTTP/2 arrives intact')
    head, body = curl(P, '/app/big?size=3000000')
    ok(body == pattern(3000000), 'a 3 MB proxied response over HTTP/2')
    r = subprocess.run(['curl', '-sk', '--http1.1', '-o', '/dev/null', '-w', '%{http_version}',
                        '--resolve', 'h2.test:%d:127.0.0.1' % P, 'https://h2.test:%d/index.html' % P],
                       capture_output=True, text=True, timeout=10)
    is_(r.stdout, '1.1', 'HTTP/1.1 is still offered to clients without h2')

    r = subprocess.run(['h2load', '-n', '400', '-c', '4', '-m', '20', 'https://127.0.0.1:%d/index.html' % P],
                       capture_output=True, text=True, timeout=60)
    like(r.stdout, r'requests: 400 total, 400 started, 400 done, 400 succeeded', 'h2load: 400 requests, 20 streams at a time')
    r = subprocess.run(['h2load', '-n', '40', '-c', '2', '-m', '10', 'https://127.0.0.1:%d/app/x' % P],
                       capture_output=True, text=True, timeout=60)
    like(r.stdout, r'40 succeeded', 'h2load: concurrent proxied streams, each with its upstream')
    r = subprocess.run(['nghttp', '-n', '-s', 'https://127.0.0.1:%d/data.bin' % P,
                        'https://127.0.0.1:%d/index.html' % P], capture_output=True, text=True, timeout=30)
    ok(r.returncode == 0, 'nghttp fetches two streams on one connection')

    # A client that resets its streams: the connection serves on.
    c = Raw(P)
    out = PREFACE
    for i in range(20):
        sid = 2 * i + 1
        out += frame(HEADERS, 0x5, sid, get_headers(b'/data.bin')) + frame(RST, 0, sid, struct.pack('!I', 8))
    out += frame(HEADERS, 0x5, 41, get_headers())
    c.send(out)
    frames = c.frames()
    ok(any(f[0] == DATA_FRAME and f[2] == 41 and b'over h2' in f[3] for f in frames) and
       goaway_code(frames) is None, 'streams reset by the client end; the next one is answered')
    c.close()
    # A stream reset while its upstream answers slowly frees the upstream.
    c = Raw(P)
    back.reset()
    c.send(PREFACE + frame(HEADERS, 0x5, 1, get_headers(b'/app/x?sleep=1')))
    ok(wait_for(lambda: back.httpd.active == 1, 3), 'a proxied stream reaches the upstream')
    c.send(frame(RST, 0, 1, struct.pack('!I', 8)))
    ok(wait_for(lambda: len(subprocess.run(['ss', '-tnH', 'dst', back.addr, 'state', 'established'],
                                           capture_output=True, text=True).stdout.strip()) == 0, 3),
       'resetting it closes its upstream connection')
    c.close()

    # Protocol violations: GOAWAY, that connection only.
    cases = [
        ('a bad preface', b'PRI * HTTP/1.1\r\n\r\nXX\r\n\r\n' + frame(4, 0, 0), 1),
        ('an oversized frame', PREFACE + frame(HEADERS, 0x5, 1, get_headers() + b'\0' * 20000), 6),
        ('a DATA frame on stream 0', PREFACE + frame(DATA_FRAME, 0, 0, b'x'), 1),
        ('too many streams', PREFACE + b''.join(frame(HEADERS, 0x4, 2 * i + 1, get_headers())
                                                for i in range(200)), None),
        ('a flood of resets', PREFACE + b''.join(frame(HEADERS, 0x5, 2 * i + 1, get_headers()) +
                                                 frame(RST, 0, 2 * i + 1, struct.pack('!I', 8))
                                                 for i in range(3000)), 'any'),
        ('a header flood', PREFACE + frame(HEADERS, 0x5, 1, get_headers() +
                                          b''.join(lit(b'x-h%d' % i, b'v' * 100) for i in range(1000))), None),
    ]
    for what, data, code in cases:
        c = Raw(P)
        try:
            c.send(data)
        except OSError:
            pass
        frames = c.frames()
        got = goaway_code(frames)
        resets = [f for f in frames if f[0] == RST or (f[0] == HEADERS and f[2] > 0)]
        if code == 'any':
            ok(got is not None, '%s: GOAWAY (error %s)' % (what, got))
        elif code is not None:
            ok(got == code, '%s: GOAWAY with error %d (got %s)' % (what, code, got))
        else:
            ok(got is not None or resets, '%s: refused (GOAWAY %s, %d stream resets or answers)'
               % (what, got, len(resets)))
        c.close()
        head, body = curl(P, '/index.html')
        is_(body, b'over h2\n', '  the next client is served')
    ok('exited on signal' not in p.error_log(), 'no worker died')
back.stop()
done()
