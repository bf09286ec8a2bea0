"""Static files: root, alias, index, try_files, autoindex, error_page,
return, headers, expires, access, MIME types, validators and conditional
requests, ranges, HEAD, sendfile, directory redirects, traversal."""
import email.utils
import os
import re

from harness import *

DATA = bytes(range(256)) * 40            # 10240 bytes
FILES = {
    'www/index.html': 'home\n',
    'www/style.css': 'body{}\n',
    'www/pic.png': b'\x89PNG\r\n\x1a\n',
    'www/blob.xyzzy': 'what\n',
    'www/data.bin': DATA,
    'www/404.html': 'custom not found\n',
    'www/fallback.html': 'fallback\n',
    'www/dir/page.html': 'page\n',
    'www/dir/index.htm': 'htm index\n',
    'www/list/a.txt': 'a\n',
    'www/list/b & c.txt': 'b\n',
    'www/list/sub/x': 'x\n',
    'www/plain/file.txt': 'f\n',
    'www/only/x.txt': 'x\n',
    'data/a.txt': 'aliased\n',
    'secret.txt': 'TOP SECRET\n',
}

CONF = '''servers = ( {
  listen = "127.0.0.1:{port}";
  root = "{dir}/www";
  index = [ "index.html", "index.htm" ];
  error_page = "404 /404.html";
  add_header = { X-Server = "s"; X-Drop = "d"; };
  locations = (
    { match = "/files/"; alias = "{dir}/data/"; },
    { match = "/spa/"; try_files = "$uri $uri/ /fallback.html"; },
    { match = "/strict/"; try_files = "$uri =404"; error_page = [ ]; },
    { match = "/list/"; autoindex = true; },
    { match = "= /moved"; return = "301 https://$host$request_uri"; },
    { match = "= /text"; return = "200 hello $remote_addr"; },
    { match = "= /forbidden"; return = "403"; },
    { match = "/hdr/"; error_page = [ ]; add_header = { X-Loc = "l"; X-Drop = ""; };
      add_header_always = { X-Always = "yes"; }; },
    { match = "/cache/"; alias = "{dir}/www/"; expires = "1h"; },
    { match = "/only/"; access = [ "deny 127.0.0.2", "allow 127.0.0.0/8", "deny all" ]; },
    { match = "/nosendfile/"; alias = "{dir}/www/"; sendfile = false; }
  );
} );
'''


def conn_get(port, path, src='127.0.0.1', method='GET', headers=()):
    """A raw request from a chosen source address: (status, head, body)."""
    req = '%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n' % (method, path)
    req += ''.join('%s: %s\r\n' % h for h in headers)
    data = raw(port, (req + '\r\n').encode(), src=src)
    head, _, body = data.partition(b'\r\n\r\n')
    return status_of(head), head.decode('latin-1'), body


with Portico(CONF, files=FILES) as p:
    P = p.port
    st, h, b = get(P, '/')
    ok(st == 200 and b == b'home\n', 'root and index serve /')
    st, h, b = get(P, '/dir/')
    ok(st == 200 and b == b'htm index\n', 'the second index name is tried after the first')
    st, h, b = get(P, '/files/a.txt')
    ok(st == 200 and b == b'aliased\n', 'alias replaces the location prefix')
    st, h, b = get(P, '/spa/deep/route')
    ok(st == 200 and b == b'fallback\n', 'try_files falls back to its last URI')
    st, h, b = get(P, '/spa/../index.html')
    ok(st == 200 and b == b'home\n', 'a path with .. inside the root is normalised')
    st, h, b = get(P, '/strict/none')
    is_(st, 404, 'try_files "=404"')
    st, h, b = get(P, '/nope.html')
    ok(st == 404 and b == b'custom not found\n', 'error_page serves its page with the 404 status')

    # autoindex: an HTML listing with escaped names and links.
    st, h, b = get(P, '/list/')
    ok(st == 200 and h.get('content-type', '').startswith('text/html'), 'autoindex lists a directory')
    ok(b'href="a.txt"' in b and b'href="sub/"' in b and b'b &amp; c.txt' in b and
       b'href="b%20&amp;%20c.txt"' in b, 'with links, subdirectories with a slash, names escaped')
    is_(get(P, '/plain/')[0], 403, 'without autoindex or an index file, a directory is 403')

    # return, with variables.
    st, h, b = get(P, '/moved?a=1', {'Host': 'example.com'})
    ok(st == 301 and h.get('location') == 'https://example.com/moved?a=1', 'return 301 with $host$request_uri')
    st, h, b = get(P, '/text')
    ok(st == 200 and b == b'hello 127.0.0.1', 'return 200 with text and a variable')
    is_(get(P, '/forbidden')[0], 403, 'return with a code only')

    # Header groups merge across levels; add_header only on success codes.
    st, h, b = get(P, '/hdr/none')
    ok(h.get('x-always') == 'yes' and 'x-loc' not in h and 'x-server' not in h,
       'on a 404 only add_header_always applies')
    st, h, b = get(P, '/index.html')
    ok(h.get('x-server') == 's' and h.get('x-drop') == 'd', 'the server\'s add_header')
    p.write('www/hdr/ok.txt', 'ok\n')
    st, h, b = get(P, '/hdr/ok.txt')
    ok(h.get('x-server') == 's' and h.get('x-loc') == 'l' and h.get('x-always') == 'yes',
       'a location\'s add_header merges with the server\'s')
    ok('x-drop' not in h, 'and an empty value removes one')

    # expires.
    st, h, b = get(P, '/cache/style.css')
    is_(h.get('cache-control'), 'max-age=3600', 'expires sets Cache-Control')
    exp = email.utils.parsedate_to_datetime(h.get('expires', 'Thu, 01 Jan 1970 00:00:00 GMT'))
    now = email.utils.parsedate_to_datetime(h['date'])
    is_(int((exp - now).total_seconds()), 3600, 'and Expires one hour after Date')

    # access: first match wins.
    is_(conn_get(P, '/only/x.txt', '127.0.0.1')[0], 200, 'allowed address')
    is_(conn_get(P, '/only/x.txt', '127.0.0.2')[0], 403, 'denied address, by the first matching rule')
    like(p.error_log(), r'access forbidden by rule, client: 127\.0\.0\.2', 'a denial is logged')

    # MIME types.
    is_(get(P, '/style.css')[1].get('content-type'), 'text/css', '.css is text/css')
    is_(get(P, '/pic.png')[1].get('content-type'), 'image/png', '.png is image/png')
    is_(get(P, '/index.html')[1].get('content-type'), 'text/html', '.html is text/html')
    is_(get(P, '/blob.xyzzy')[1].get('content-type'), 'application/octet-stream',
        'an unknown extension gets default_type')

    # Validators and conditional requests.
    st, h, b = get(P, '/data.bin')
    mtime = int(os.stat(os.path.join(p.dir, 'www/data.bin')).st_mtime)
    is_(h.get('etag'), '"%x-%x"' % (mtime, len(DATA)), 'ETag is "mtime-size" in hex, as nginx')
    is_(h.get('last-modified'), email.utils.formatdate(mtime, usegmt=True), 'Last-Modified is the mtime')
    ok(h.get('accept-ranges') == 'bytes' and b == DATA, 'Accept-Ranges and the whole body')
    etag, lm = h['etag'], h['last-modified']
    st, h2, b = get(P, '/data.bin', {'If-None-Match': etag})
    ok(st == 304 and b == b'' and h2.get('etag') == etag, 'If-None-Match with the ETag: 304, no body')
    is_(get(P, '/data.bin', {'If-None-Match': '"other", ' + etag})[0], 304, 'a list with the ETag: 304')
    is_(get(P, '/data.bin', {'If-None-Match': '*'})[0], 304, 'If-None-Match * : 304')
    is_(get(P, '/data.bin', {'If-None-Match': '"other"'})[0], 200, 'another ETag: 200')
    is_(get(P, '/data.bin', {'If-Modified-Since': lm})[0], 304, 'If-Modified-Since the mtime: 304')
    is_(get(P, '/data.bin', {'If-Modified-Since': email.utils.formatdate(mtime - 100, usegmt=True)})[0],
        200, 'If-Modified-Since earlier: 200')
    is_(get(P, '/data.bin', {'If-Match': '"other"'})[0], 412, 'If-Match with another ETag: 412')
    is_(get(P, '/data.bin', {'If-Unmodified-Since': email.utils.formatdate(mtime - 100, usegmt=True)})[0],
        412, 'If-Unmodified-Since before the mtime: 412')

    # Ranges.
    st, h, b = get(P, '/data.bin', {'Range': 'bytes=0-4'})
    ok(st == 206 and b == DATA[:5] and h.get('content-range') == 'bytes 0-4/10240', 'bytes=0-4: 206')
    st, h, b = get(P, '/data.bin', {'Range': 'bytes=-3'})
    ok(st == 206 and b == DATA[-3:] and h.get('content-range') == 'bytes 10237-10239/10240', 'a suffix range')
    st, h, b = get(P, '/data.bin', {'Range': 'bytes=10000-'})
    ok(st == 206 and b == DATA[10000:], 'an open range')
    st, h, b = get(P, '/data.bin', {'Range': 'bytes=5000-99999'})
    ok(st == 206 and b == DATA[5000:] and h.get('content-range') == 'bytes 5000-10239/10240',
       'a range past the end is cut to the size')
    st, h, b = get(P, '/data.bin', {'Range': 'bytes=20000-30000'})
    ok(st == 416 and h.get('content-range') == 'bytes */10240', 'an unsatisfiable range: 416')
    st, h, b = get(P, '/data.bin', {'Range': 'bytes=0-1,100-101'})
    m = re.match(r'multipart/byteranges; boundary=(\S+)$', h.get('content-type', ''))
    ok(st == 206 and m is not None, 'two ranges: multipart/byteranges')
    if m:
        parts = b.split(b'--' + m.group(1).encode())
        ok(len(parts) == 4 and parts[-1].startswith(b'--') and
           b'Content-Range: bytes 0-1/10240\r\n\r\n' + DATA[0:2] in parts[1] and
           b'Content-Range: bytes 100-101/10240\r\n\r\n' + DATA[100:102] in parts[2] and
           int(h['content-length']) == len(b), 'each part with its Content-Range, the length exact')
    else:
        ok(False, 'each part with its Content-Range')
    st, h, b = get(P, '/data.bin', {'Range': 'bytes=0-4', 'If-Range': '"old"'})
    ok(st == 200 and b == DATA, 'an If-Range that does not match sends the whole file')
    st, h, b = get(P, '/data.bin', {'Range': 'bytes=0-4', 'If-Range': etag})
    is_(st, 206, 'a matching If-Range sends the range')

    # HEAD, sendfile off.
    st, h, b = request(P, 'HEAD', '/data.bin')
    ok(st == 200 and b == b'' and h.get('content-length') == '10240', 'HEAD: headers, no body')
    st, hd, b = conn_get(P, '/data.bin', method='HEAD')
    ok(b == b'', 'HEAD sends no body bytes on the wire')
    st, h, b = get(P, '/nosendfile/data.bin')
    ok(st == 200 and b == DATA, 'sendfile false serves the same bytes')
    st, h, b = get(P, '/nosendfile/data.bin', {'Range': 'bytes=1-2'})
    ok(st == 206 and b == DATA[1:3], 'and ranges')

    # A directory without its slash: 301 to the absolute URL, with the port.
    st, hd, b = conn_get(P, '/dir?q=1')
    ok(st == 301 and re.search(r'\r\nLocation: http://x:%d/dir/\?q=1\r\n' % P, hd) is not None,
       'a directory without its slash: 301 to http://host:port/dir/?args')
    st, hd, b = conn_get(P, '/files')
    is_(st, 404, 'the alias location needs its slash too (no directory /files under root)')

    # Traversal never leaves root or alias.
    for path in ('/../secret.txt', '/%2e%2e/secret.txt', '/dir/%2e%2e/%2e%2e/secret.txt',
                 '/dir/..%2f..%2fsecret.txt', '/files/..%2f..%2fsecret.txt',
                 '/files/%2e%2e/secret.txt', '/files/../../secret.txt', '/dir%2f..%2f..%2fsecret.txt',
                 '/files/..\\secret.txt', '//../secret.txt'):
        st, hd, b = conn_get(P, path)
        ok(b'SECRET' not in b and st in (400, 403, 404), 'traversal %s stays inside (%s)' % (path, st))
    is_(conn_get(P, '/files/%61.txt')[2], b'aliased\n', 'percent-decoding of plain characters works')
done()
