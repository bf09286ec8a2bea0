"""gzip: static files, return bodies, error pages and proxied answers
(with a length, chunked, 200 MiB with flat worker memory) compressed on
the fly over HTTP/1.1 and HTTP/2, decompressing to the original bytes;
what is left alone (types not listed, short answers, HEAD bodies, 206,
304, answers already encoded, old HTTP versions, gzip_disable, requests
through a proxy with gzip_proxied off); gzip_static; Vary and weak ETags;
settings -t refuses."""
import hashlib
import os
import socket
import subprocess
import threading
import zlib

from harness import *
from backend import Backend, pattern

b = Backend('gz')


class Trickle:
    """A backend that sends the first part of a chunked answer, then the
    rest only when told (go), to see what reaches the client between."""

    FIRST, REST = b'first part of the answer\n' * 40, b'and the rest\n' * 40

    def __init__(self):
        self.srv = socket.create_server(('127.0.0.1', 0))
        self.addr = '127.0.0.1:%d' % self.srv.getsockname()[1]
        self.go = threading.Event()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        c, _ = self.srv.accept()
        with c:
            c.recv(65536)
            c.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n'
                      b'Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n' % (len(self.FIRST), self.FIRST))
            self.go.wait(10)
            c.sendall(b'%x\r\n%s\r\n0\r\n\r\n' % (len(self.REST), self.REST))


trickle = Trickle()
PAGE = ''.join('<tr><td>%d</td><td>item-%d</td><td>%d.%02d EUR</td></tr>\n' %
               (i, i * 7919 % 10007, i * 31 % 997, i % 100) for i in range(2000)).encode()
TEXT = 'compress me ' * 20
JS = b'function f() { return 1; }\n' * 200
JS_GZ = zlib.compress(JS, 9, 31)

CONF = '''gzip = true;
gzip_vary = true;
gzip_types = "text/plain application/json";
gzip_disable = [ "msie6", "^OldBot/" ];
servers = ( { listen = [ "127.0.0.1:{port}", "127.0.0.1:{port2} http2" ]; root = "{dir}/www";
  locations = (
    { match = "= /ret"; default_type = "text/plain"; return = "200 %(text)s"; },
    { match = "= /ret500"; default_type = "text/plain"; return = "500 %(text)s"; },
    { match = "/min/"; gzip_min_length = "1k"; },
    { match = "/old/"; gzip_http_version = "1.0"; },
    { match = "/static/"; gzip_static = true; },
    { match = "/always/"; gzip_static = "always"; },
    { match = "/up/"; proxy_pass = "http://%(b)s/"; },
    { match = "/upany/"; proxy_pass = "http://%(b)s/"; gzip_proxied = "any"; },
    { match = "/unbuffered/"; proxy_pass = "http://%(b)s/"; proxy_buffering = false; },
    { match = "/trickle/"; proxy_pass = "http://%(t)s/"; proxy_buffering = false; },
    { match = "/self/"; proxy_pass = "http://127.0.0.1:{port}/origin/";
      gzip_proxied = "no-cache"; },
    { match = "/selfgz/"; proxy_pass = "http://127.0.0.1:{port}/always/"; },
    { match = "/origin/"; gzip = false; add_header = { Cache-Control = "$arg_cc"; }; }
  ); } );
''' % {'b': b.addr, 't': trickle.addr, 'text': TEXT}
FILES = {'www/page.html': PAGE, 'www/small.html': '<p>hi</p>', 'www/notes.txt': TEXT,
         'www/data.bin': PAGE, 'www/style.css': PAGE.decode(),
         'www/min/mid.html': PAGE[:500], 'www/old/page.html': PAGE,
         'www/origin/page.html': PAGE,
         'www/static/app.js': JS, 'www/static/app.js.gz': JS_GZ,
         'www/static/only.js.gz': JS_GZ,
         'www/always/app.js': JS, 'www/always/app.js.gz': JS_GZ}
GZ = {'Accept-Encoding': 'gzip'}


def gunzip(data):
    try:
        return zlib.decompress(data, 31)
    except zlib.error as e:
        return 'not gzip: %s' % e


def compressed(port, path, headers=None, method='GET', want=None, desc=''):
    """A request with Accept-Encoding: gzip whose answer must be gzip that
    decompresses to want."""
    st, h, data = request(port, method, path, dict(GZ, **(headers or {})))
    ok(st in (200, 404) and h.get('content-encoding') == 'gzip' and
       'content-length' not in h and gunzip(data) == want, desc)
    return st, h, data


def plain(port, path, headers=None, want=None, desc=''):
    """A request (with Accept-Encoding: gzip unless headers say otherwise)
    whose answer must come as it is."""
    st, h, data = get(port, path, dict(GZ, **(headers or {})))
    ok('content-encoding' not in h and (want is None or data == want), desc)
    return st, h, data


def curl(url, *args):
    r = subprocess.run(['curl', '-s', '-o', '-', '-D', '/dev/stderr'] + list(args) + [url],
                       capture_output=True, timeout=30)
    return r.stderr.decode('latin-1').lower(), r.stdout


def head_and_rest(raw):
    head, _, rest = raw.partition(b'\r\n\r\n')
    return head.decode('latin-1').lower(), rest


with Portico(CONF, files=FILES) as p:
    P = p.port
    url = 'http://127.0.0.1:%d' % P

    # Static files.
    st, h, data = compressed(P, '/page.html', want=PAGE,
                             desc='a static file comes compressed and decompresses to its bytes')
    is_(h.get('transfer-encoding'), 'chunked', 'chunked, without Content-Length')
    is_(h.get('vary'), 'Accept-Encoding', 'Vary: Accept-Encoding with gzip_vary')
    like(h.get('etag'), r'^W/"[0-9a-f]+-[0-9a-f]+"$', 'the ETag is weak')
    ok('accept-ranges' not in h, 'and no Accept-Ranges')
    ok(len(data) < len(PAGE) / 3, 'it shrinks (%d of %d bytes)' % (len(data), len(PAGE)))
    weak = h.get('etag')
    hd, body = curl(url + '/page.html', '--compressed')
    ok(body == PAGE and 'content-encoding: gzip' in hd, 'curl --compressed gets the same bytes')
    st, h, data = get(P, '/page.html')
    ok(st == 200 and data == PAGE and 'content-encoding' not in h and
       h.get('content-length') == str(len(PAGE)), 'without Accept-Encoding it comes as it is')
    is_(h.get('vary'), 'Accept-Encoding', 'with Vary too')
    ok(h.get('etag') == weak[2:], 'and the strong ETag')
    plain(P, '/page.html', {'Accept-Encoding': 'gzip;q=0, deflate'}, PAGE, 'gzip;q=0 refuses gzip')
    compressed(P, '/page.html', {'Accept-Encoding': 'br, gzip;q=0.5'}, want=PAGE,
               desc='gzip;q=0.5 takes it')
    st, h, data = plain(P, '/data.bin', want=PAGE, desc='a type gzip_types does not list is left alone')
    ok('vary' not in h, 'and does not vary')
    plain(P, '/style.css', want=PAGE, desc='text/css is not listed either')
    compressed(P, '/notes.txt', want=TEXT.encode(), desc='text/plain, listed, is compressed')
    plain(P, '/small.html', want=b'<p>hi</p>', desc='a file under gzip_min_length (20) is left alone')
    plain(P, '/min/mid.html', want=PAGE[:500], desc='and one under a location\'s "1k"')

    st, h, data = plain(P, '/page.html', {'Range': 'bytes=0-99', 'Accept-Encoding': 'identity'},
                        PAGE[:100], 'without gzip a range is a 206')
    is_(st, 206, 'status 206')
    st, h, data = compressed(P, '/page.html', {'Range': 'bytes=0-99'}, want=PAGE,
                             desc='with gzip the whole file comes compressed, as nginx')
    is_(st, 200, 'status 200, not a compressed 206')
    st, h, data = get(P, '/page.html', dict(GZ, **{'If-None-Match': weak}))
    ok(st == 304 and data == b'' and 'content-encoding' not in h, 'the weak ETag revalidates: 304, no body')

    raw_ = raw(P, b'HEAD /page.html HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n'
                  b'GET /small.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    head, rest = head_and_rest(raw_)
    ok('content-encoding: gzip' in head and 'content-length' not in head and
       'transfer-encoding' not in head, 'HEAD gets the head of the compressed answer')
    ok(rest.startswith(b'HTTP/1.1 200') and rest.endswith(b'<p>hi</p>'),
       'and no body: the next answer follows the head')

    # HTTP versions and browsers.
    raw_ = raw(P, b'GET /page.html HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n')
    head, rest = head_and_rest(raw_)
    ok('content-encoding' not in head and rest == PAGE, 'HTTP/1.0 is below gzip_http_version 1.1')
    raw_ = raw(P, b'GET /old/page.html HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n')
    head, rest = head_and_rest(raw_)
    ok('content-encoding: gzip' in head and 'connection: close' in head and
       'transfer-encoding' not in head and gunzip(rest) == PAGE,
       'with gzip_http_version 1.0 an HTTP/1.0 client gets it, ended by the close')
    plain(P, '/page.html', {'User-Agent': 'OldBot/2.0'}, PAGE, 'gzip_disable: a regex on User-Agent')
    plain(P, '/page.html', {'User-Agent': 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)'},
          PAGE, 'gzip_disable: msie6')
    compressed(P, '/page.html', {'User-Agent': 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)'},
               want=PAGE, desc='but not MSIE 6 SP2 (SV1)')

    # return and error pages.
    compressed(P, '/ret', want=TEXT.encode(), desc='a return body is compressed')
    st, h, data = get(P, '/missing.html', GZ)
    ok(st == 404 and h.get('content-encoding') == 'gzip' and b'404 Not Found' in gunzip(data),
       'a 404 error page is compressed, as nginx')
    plain(P, '/ret500', want=TEXT.encode(), desc='a 500 is not')

    # gzip_static.
    gz_path = os.path.join(p.dir, 'www/static/app.js.gz')
    os.utime(gz_path, (1700000000, 1700000000))
    gz_stat = os.stat(gz_path)
    st, h, data = get(P, '/static/app.js', GZ)
    ok(st == 200 and data == JS_GZ and h.get('content-encoding') == 'gzip',
       'gzip_static serves FILE.gz as it is')
    ok(h.get('content-length') == str(len(JS_GZ)) and h.get('content-type') == 'application/javascript',
       'with its length and the type of FILE')
    is_(h.get('etag'), '"%x-%x"' % (int(gz_stat.st_mtime), gz_stat.st_size), 'the ETag of FILE.gz')
    is_(h.get('last-modified'), 'Tue, 14 Nov 2023 22:13:20 GMT', 'and its Last-Modified')
    is_(h.get('vary'), 'Accept-Encoding', 'and Vary')
    st, h, data = get(P, '/static/app.js', {'Range': 'bytes=0-9', 'Accept-Encoding': 'gzip'})
    ok(st == 206 and data == JS_GZ[:10], 'ranges of FILE.gz are served')
    st, h, data = get(P, '/static/app.js')
    ok(data == JS and 'content-encoding' not in h and h.get('vary') == 'Accept-Encoding',
       'a client without gzip gets FILE, with Vary')
    st, h, data = get(P, '/static/only.js', GZ)
    ok(st == 200 and data == JS_GZ, 'FILE.gz is served even without FILE')
    st, h, data = get(P, '/always/app.js')
    ok(data == JS_GZ and h.get('content-encoding') == 'gzip' and 'vary' not in h,
       '"always" serves FILE.gz to every client, without Vary')
    hd, body = curl(url + '/static/app.js', '--compressed')
    is_(body, JS, 'curl --compressed reads it back')

    # Proxied answers.
    compressed(P, '/up/b?size=200000', want=pattern(200000),
               desc='a proxied answer with a length is compressed as it streams')
    compressed(P, '/up/b?size=300000&frame=chunked', want=pattern(300000),
               desc='a chunked one too')
    compressed(P, '/up/b?size=100000&frame=close', want=pattern(100000),
               desc='and one ended by the close')
    compressed(P, '/unbuffered/b?size=300000&frame=chunked', want=pattern(300000),
               desc='and one with proxy_buffering off')
    s = socket.create_connection(('127.0.0.1', P), timeout=5)
    s.sendall(b'GET /trickle/ HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n')
    resp = http.client.HTTPResponse(s)
    resp.begin()
    z, early = zlib.decompressobj(31), b''
    try:
        while len(early) < len(Trickle.FIRST):
            early += z.decompress(resp.read1(65536))
    except (socket.timeout, zlib.error):
        pass
    ok(early == Trickle.FIRST, 'proxy_buffering off: what came so far reaches the client '
       'compressed before the upstream goes on')
    trickle.go.set()
    rest = z.decompress(resp.read()) + z.flush()
    s.close()
    ok(rest == Trickle.REST and z.eof, 'and the stream ends whole')
    hd, body = curl(url + '/up/b?size=70000&frame=chunked', '--compressed')
    ok(body == pattern(70000) and 'content-encoding: gzip' in hd, 'curl --compressed: a proxied answer')
    st, h, data = plain(P, '/up/b?size=5000&status=206', want=pattern(5000),
                        desc='an upstream 206 is left alone')
    st, h, data = get(P, '/up/b?status=204', GZ)
    ok(st == 204 and data == b'' and 'content-encoding' not in h, 'a 204 has no body to compress')
    st, h, data = request(P, 'HEAD', '/up/b?size=5000', GZ)
    ok(st == 200 and data == b'' and h.get('content-encoding') == 'gzip',
       'a proxied HEAD gets the compressed head, no body')
    plain(P, '/up/b?size=10', want=pattern(10), desc='a proxied answer under gzip_min_length is left alone')
    plain(P, '/up/b?size=5000', {'Via': '1.1 cdn'}, pattern(5000),
          'gzip_proxied off: a request with Via gets it as it is')
    compressed(P, '/upany/b?size=5000', {'Via': '1.1 cdn'}, want=pattern(5000),
               desc='gzip_proxied any: compressed')
    compressed(P, '/self/page.html?cc=no-cache', {'Via': '1.1 cdn'}, want=PAGE,
               desc='gzip_proxied no-cache: an answer with Cache-Control: no-cache is compressed')
    plain(P, '/self/page.html?cc=public', {'Via': '1.1 cdn'}, PAGE,
          'gzip_proxied no-cache: one with Cache-Control: public is not')
    st, h, data = get(P, '/selfgz/app.js', GZ)
    ok(data == JS_GZ and h.get('content-encoding') == 'gzip',
       'an upstream answer already gzip passes through, never compressed twice')

    # HTTP/2.
    h2 = 'http://127.0.0.1:%d' % p.ports[1]
    hd, body = curl(h2 + '/page.html', '--http2-prior-knowledge', '--compressed')
    ok(hd.startswith('http/2 200') and 'content-encoding: gzip' in hd and body == PAGE,
       'HTTP/2: a static file comes compressed')
    ok('content-length' not in hd and 'etag: w/' in hd and 'vary: accept-encoding' in hd,
       'HTTP/2: no length, weak ETag, Vary')
    hd, body = curl(h2 + '/up/b?size=300000&frame=chunked', '--http2-prior-knowledge', '--compressed')
    ok('content-encoding: gzip' in hd and body == pattern(300000), 'HTTP/2: a proxied answer too')
    hd, body = curl(h2 + '/ret', '--http2-prior-knowledge', '-H', 'Accept-Encoding: gzip')
    ok('content-encoding: gzip' in hd and gunzip(body) == TEXT.encode(), 'HTTP/2: a return body too')
    hd, body = curl(h2 + '/page.html', '--http2-prior-knowledge', '-I', '-H', 'Accept-Encoding: gzip')
    ok(hd.startswith('http/2 200') and 'content-encoding: gzip' in hd and
       'content-length' not in hd, 'HTTP/2: HEAD gets the compressed head')

    # 200 MiB proxied and compressed: the worker's memory stays flat.
    get(P, '/up/b?size=100000', GZ)
    before = max(rss_kb(w) for w in p.workers())
    size = 200 << 20
    s = socket.create_connection(('127.0.0.1', P), timeout=30)
    s.sendall(b'GET /up/b?size=%d HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n'
              b'Connection: close\r\n\r\n' % size)
    resp = http.client.HTTPResponse(s)
    resp.begin()
    z, sha, got, peak = zlib.decompressobj(31), hashlib.sha256(), 0, 0
    while True:
        chunk = resp.read(1 << 16)
        if not chunk:
            break
        out = z.decompress(chunk)
        sha.update(out)
        if (got + len(out)) // (16 << 20) != got // (16 << 20):
            peak = max([peak] + [rss_kb(w) for w in p.workers()])
        got += len(out)
    s.close()
    want = hashlib.sha256()
    for off in range(0, size, 1 << 20):
        want.update(pattern(1 << 20, off))
    ok(resp.getheader('Content-Encoding') == 'gzip' and got == size and
       sha.hexdigest() == want.hexdigest(), '200 MiB proxied come compressed and whole')
    ok(peak - before < 8 * 1024, 'with flat worker memory (peak RSS %d kB, before %d kB)' % (peak, before))

# Settings -t refuses, each with its line.
BAD = [('gzip_comp_level = 10;', 'gzip_comp_level must be between 1 and 9'),
       ('gzip_proxied = "expired sometimes";', 'invalid gzip_proxied "expired sometimes"'),
       ('gzip_static = "sometimes";', '"gzip_static" must be true, false or "always"'),
       ('gzip_buffers = "32";', 'invalid gzip_buffers "32"'),
       ('gzip_types = "html";', 'invalid MIME type "html"'),
       ('gzip_disable = "MSIE [1-6";', 'invalid regular expression'),
       ('gzip_http_version = "2.0";', 'invalid gzip_http_version "2.0"'),
       ('gzip = "on";', '"gzip" must be true or false')]
for line, msg in BAD:
    with Portico('servers = ( { listen = "127.0.0.1:{port}"; } );\n' + line, start=False) as p:
        rc, out, err = p.run('-t')
        ok(rc == 1 and msg in err and 'portico.conf:7' in err, '-t refuses %s' % line)
        if rc != 1 or msg not in err:
            diag(err)
with Portico('servers = ( { listen = "127.0.0.1:{port}"; } );\ngzip = true; gzip_comp_level = 1;\n'
             'gzip_types = "text/html"; gzip_static = "always"; gzip_proxied = "expired no-cache auth";\n'
             'gzip_disable = [ "msie6", "MSIE [1-6]\\\\." ]; gzip_buffers = "16 8k";\n',
             start=False) as p:
    rc, out, err = p.run('-t')
    ok(rc == 0, '-t accepts the settings written as nginx users write them')
b.stop()
done()
