"""portico-convert: the nginx learning plan's configurations -- its
nginx.conf with includes, static sites, two Flask apps under gunicorn by
domain and by prefix, round robin, weights, backup, least_conn and
ip_hash, HTTPS with the redirect, HSTS, security headers and SSL
termination -- converted, checked by portico -t and served, answering as
the hand-written portico configurations of the README and the other tests
do; directives portico lacks left as comments with exit status 1; input
nginx refuses printing nothing on stdout, with the file and line."""
import json
import os
import re
import shutil
import ssl
import subprocess
import tempfile

from harness import *
from backend import Backend
from tlsutil import client_ctx, https_get, make_cert, tls_connect

BUILDDIR = os.environ.get('BUILDDIR', '.')
CONVERT = os.path.join(BUILDDIR, 'portico-convert')
APPS = os.path.join(SRCDIR, 't', 'apps')

# Files both configurations serve, so that ETag and Last-Modified agree.
SHARED = tempfile.mkdtemp(prefix='portico-convert.')
os.chmod(SHARED, 0o755)
for name, text in {'www/index.html': '<h1>example.com</h1>\n',
                   'www/static/style.css': 'h1 { color: teal; }\n',
                   'my_static_files/logo.png': 'not really a png\n'}.items():
    os.makedirs(os.path.dirname(os.path.join(SHARED, name)), mode=0o755, exist_ok=True)
    with open(os.path.join(SHARED, name), 'w') as f:
        f.write(text)
    os.chmod(os.path.join(SHARED, name), 0o644)


def convert(path, *args):
    p = subprocess.run([CONVERT] + list(args) + [path], capture_output=True, text=True,
                       timeout=30)
    san = re.findall(r'.*(?:Sanitizer|runtime error:).*', p.stderr)
    if san:     # built with --enable-sanitizers
        ok(False, 'portico-convert %s: no sanitizer reports' % os.path.basename(path))
        diag('\n'.join(san[:20]))
    return p.returncode, p.stdout, p.stderr


def converted(what, nginx, ports=1, main='nginx.conf', whole=False):
    """A Portico, not started, serving what portico-convert makes of nginx:
    file name -> text (with the harness's {dir} and {port}s) in {dir}/nginx/.
    whole: the files are a whole nginx.conf, so the harness's main-level
    settings are not added."""
    p = Portico('', ports=ports, start=False)
    for name, text in nginx.items():
        p.write('nginx/' + name, text)
    rc, out, err = convert(os.path.join(p.dir, 'nginx', main))
    if not ok(rc == 0 and out.startswith('# portico configuration converted'),
              '%s: portico-convert translates every directive' % what):
        diag(err)
    p.converted = out
    p.write_conf(out, main=not whole)
    return p


def same(what, hand, nginx, probe, ports=1, whole=False, fix=None):
    """probe() of the hand-written configuration and of the converted one
    agree; returns the answers."""
    with Portico(hand, ports=ports) as p:
        want = probe(p)
    with converted(what, nginx, ports, whole=whole) as p:
        if fix:
            p.write_conf(fix(p.converted), main=not whole)
        rc, out, err = p.run('-t')
        if not ok(rc == 0, '%s: portico -t accepts the converted configuration' % what):
            diag(err + p.converted)
        p.start()
        got = probe(p)
    is_(got, want, '%s: the converted configuration answers as the hand-written one' % what)
    return want


def head_of(h, names):
    return tuple(h.get(n) for n in names)


# Step 3: static files, root and alias.
STATIC_NGINX = '''server {
    listen 127.0.0.1:{port};
    server_name example.com;

    location / {
        root %(w)s/www;   # Document root
        index index.html index.htm;
    }

    location /static/ {
        root %(w)s/www;
    }

    location /assets/ {
        alias %(w)s/my_static_files/;
    }
}
''' % {'w': SHARED}
STATIC_HAND = '''servers = ( { listen = "127.0.0.1:{port}"; server_name = "example.com";
  locations = (
    { match = "/"; root = "%(w)s/www"; index = "index.html index.htm"; },
    { match = "/static/"; root = "%(w)s/www"; },
    { match = "/assets/"; alias = "%(w)s/my_static_files/"; } ); } );
''' % {'w': SHARED}


def static_probe(p):
    out = []
    for method, path in (('GET', '/'), ('GET', '/static/style.css'), ('HEAD', '/static/style.css'),
                         ('GET', '/assets/logo.png'), ('GET', '/missing'), ('GET', '/static')):
        st, h, body = request(p.port, method, path, {'Host': 'example.com'})
        h['location'] = h.get('location', '').replace(':%d/' % p.port, ':PORT/')
        out.append((method, path, st, body) +
                   head_of(h, ('content-type', 'content-length', 'etag', 'last-modified', 'location')))
    return out


got = same('static site', STATIC_HAND, {'nginx.conf': STATIC_NGINX}, static_probe)
is_([g[2] for g in got], [200, 200, 200, 200, 404, 301], 'static site: the statuses are the expected ones')
ok(got[0][3] == b'<h1>example.com</h1>\n' and got[3][3] == b'not really a png\n',
   'static site: index by root, a file by alias')


# Steps 2, 5 and 6: the tutorial's nginx.conf, whole, with its includes;
# two Flask apps under gunicorn by domain (sites-enabled/multiapp) and by
# URL prefix (sites-enabled/prefix, its headers from a snippet).
def gunicorn(name):
    port = free_port()
    proc = subprocess.Popen(['gunicorn', '--chdir', APPS, '--bind', '127.0.0.1:%d' % port,
                             '--workers', '2', 'tutorial:create("%s")' % name],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not wait_port(port, timeout=20):
        proc.kill()
        ok(False, 'gunicorn serves %s' % name)
        raise SystemExit(1)
    return proc, port


apps = [gunicorn('app1'), gunicorn('app2')]
A1, A2 = apps[0][1], apps[1][1]

NGINX_CONF = '''user www-data;
worker_processes auto;
pid {dir}/nginx.pid;

events {
    worker_connections 768;
}

http {
    include mime.types;
    default_type application/octet-stream;

    sendfile on;
    keepalive_timeout 65;
    error_log {dir}/error.log;
    access_log {dir}/access.log;

    include {dir}/nginx/conf.d/*.conf;
    include sites-enabled/*;
}
'''
MIME = '''types {
    text/html                                        html htm shtml;
    text/css                                         css;
    application/vnd.openxmlformats-officedocument.presentationml.presentation
                                                     pptx;
}
'''
SERVER_APP = '''server {
    listen 127.0.0.1:{port};
    server_name %(name)s.example.com;

    location / {
        proxy_pass http://127.0.0.1:%(port)d;
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
    }
}
'''
PREFIX = '''server {
    listen 127.0.0.1:{port};
    server_name example.com;

    location /app1/ {
        proxy_pass http://127.0.0.1:%d/;
        include snippets/forward.conf;
    }

    location /app2/ {
        proxy_pass http://127.0.0.1:%d/;
        include snippets/forward.conf;
    }
}
''' % (A1, A2)
FORWARD_NGINX = '''proxy_set_header Host $host;
proxy_set_header X-Real-IP $remote_addr;
proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
proxy_set_header X-Forwarded-Proto $scheme;
'''
APPS_NGINX = {
    'nginx.conf': NGINX_CONF, 'mime.types': MIME,
    'conf.d/logging.conf': 'log_format main \'$remote_addr "$request" \'\n    \'$status\';\n',
    'snippets/forward.conf': FORWARD_NGINX,
    'sites-enabled/multiapp': '# Server block for app1\n' + SERVER_APP % {'name': 'app1', 'port': A1} +
                              '\n# Server block for app2\n' + SERVER_APP % {'name': 'app2', 'port': A2},
    'sites-enabled/prefix': PREFIX,
}
FORWARD = '''proxy_set_header = { Host = "$host"; X-Real-IP = "$remote_addr";
    X-Forwarded-For = "$proxy_add_x_forwarded_for"; X-Forwarded-Proto = "$scheme"; };'''
APPS_HAND = '''servers = (
  { listen = "127.0.0.1:{port}"; server_name = "app1.example.com"; %(fw)s
    locations = ( { match = "/"; proxy_pass = "http://127.0.0.1:%(a1)d"; } ); },
  { listen = "127.0.0.1:{port}"; server_name = "app2.example.com"; %(fw)s
    locations = ( { match = "/"; proxy_pass = "http://127.0.0.1:%(a2)d"; } ); },
  { listen = "127.0.0.1:{port}"; server_name = "example.com"; %(fw)s
    locations = (
      { match = "/app1/"; proxy_pass = "http://127.0.0.1:%(a1)d/"; },
      { match = "/app2/"; proxy_pass = "http://127.0.0.1:%(a2)d/"; } ); }
);
''' % {'fw': FORWARD, 'a1': A1, 'a2': A2}


def apps_probe(p):
    out = []
    for host, path in (('app1.example.com', '/hello?x=1'), ('app2.example.com', '/'),
                       ('example.com', '/app1/users/7?y=2'), ('example.com', '/app2/'),
                       ('example.com', '/elsewhere')):
        st, h, body = get(p.port, path, {'Host': host, 'X-Forwarded-For': '10.1.2.3'})
        out.append((host, path, st, json.loads(body) if st == 200 else None))
    st, h, body = request(p.port, 'POST', '/app1/form', {
        'Host': 'example.com', 'Content-Type': 'application/x-www-form-urlencoded'},
        b'name=portico&n=1')
    out.append(('POST', st, json.loads(body)['form'] if st == 200 else body))
    return out


def types_from_source(text):
    """The converted nginx.conf names portico's installed mime.types; the
    tests run before installing, so use the source tree's."""
    return re.sub(r'types_file = "[^"]*"', 'types_file = "%s"' % MIME_TYPES, text)


try:
    p = converted('nginx.conf', APPS_NGINX, whole=True)
    out = p.converted
    shutil.rmtree(p.dir, ignore_errors=True)
    like(out, r'(?m)^# \S+/nginx\.conf:2: dropped \(.*\): worker_processes auto;$',
         'worker_processes is dropped with a comment naming file and line')
    like(out, r'(?m)^# \S+/nginx\.conf:5: dropped \(.*\): events \{ \.\.\. \}$', 'so is events { }')
    like(out, r'(?m)^# \S+/nginx\.conf:10: translated \(.*\): include mime\.types;\ntypes_file = "',
         'include mime.types (a types block) becomes types_file')
    like(out, r'(?m)^log_format = \{\n  main = "\$remote_addr \\"\$request\\" \$status";',
         'conf.d/*.conf is followed; log_format\'s strings are joined as nginx joins them')
    ok(out.count('match = "/app1/"') == 1 and out.count('X-Forwarded-Proto = "$scheme"') == 4,
       'sites-enabled/* is followed, and the snippet included inside a location')
    got = same('nginx.conf with two apps', APPS_HAND, APPS_NGINX, apps_probe, whole=True,
               fix=types_from_source)
    ok([g[3]['app'] for g in got[:4]] == ['app1', 'app2', 'app1', 'app2'] and
       got[2][3]['path'] == '/users/7?y=2' and got[4][2] == 404,
       'two apps: by domain, by prefix with the prefix replaced, elsewhere 404')
    is_((got[2][3]['host'], got[2][3]['real_ip'], got[2][3]['forwarded_for'], got[2][3]['proto']),
        ('example.com', '127.0.0.1', '10.1.2.3, 127.0.0.1', 'http'),
        'two apps: the app sees the four forwarding headers')
    is_(got[5], ('POST', 200, {'name': 'portico', 'n': '1'}), 'two apps: a form POST arrives intact')
finally:
    for proc, port in apps:
        proc.terminate()
        proc.wait(timeout=10)


# Step 7: load balancing, the tutorial's full example (least_conn) and the
# other methods, weights and a backup.
A, B, C = Backend('a'), Backend('b'), Backend('c')
LB_NGINX = '''upstream backend_servers {
    least_conn;
    server %(a)s;
    server %(b)s;
    server %(c)s;
}

upstream rr {
    server %(a)s;
    server %(b)s;
    server %(c)s;
}

upstream weighted {
    server %(a)s weight=3;
    server %(b)s;
    server %(c)s backup;
}

upstream iph {
    ip_hash;
    server %(a)s;
    server %(b)s;
    server %(c)s;
}

server {
    listen 127.0.0.1:{port};
    server_name example.com;

    location / {
        proxy_pass http://backend_servers;

        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
    }
    location /rr/ { proxy_pass http://rr; }
    location /weighted/ { proxy_pass http://weighted; }
    location /iph/ { proxy_pass http://iph; }
}
''' % {'a': A.addr, 'b': B.addr, 'c': C.addr}
LB_HAND = '''upstreams = {
  backend_servers = { method = "least_conn"; servers = [ "%(a)s", "%(b)s", "%(c)s" ]; };
  rr = { servers = [ "%(a)s", "%(b)s", "%(c)s" ]; };
  weighted = { servers = [ "%(a)s weight=3", "%(b)s", "%(c)s backup" ]; };
  iph = { method = "ip_hash"; servers = [ "%(a)s", "%(b)s", "%(c)s" ]; };
};
servers = ( { listen = "127.0.0.1:{port}"; server_name = "example.com";
  locations = (
    { match = "/"; proxy_pass = "http://backend_servers"; %(fw)s },
    { match = "/rr/"; proxy_pass = "http://rr"; },
    { match = "/weighted/"; proxy_pass = "http://weighted"; },
    { match = "/iph/"; proxy_pass = "http://iph"; } ); } );
''' % {'a': A.addr, 'b': B.addr, 'c': C.addr, 'fw': FORWARD}


def who(port, path, src='127.0.0.1'):
    data = raw(port, ('GET %s HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n'
                      % path).encode(), src=src)
    m = re.search(rb'(?mi)^x-backend: (\w+)', data)
    return m.group(1).decode() if m else status_of(data)


def tally(port, path, n):
    counts = {}
    for _ in range(n):
        w = who(port, path)
        counts[w] = counts.get(w, 0) + 1
    return counts


def lb_probe(p):
    st, h, body = get(p.port, '/x', {'Host': 'example.com'})
    seen = {k: v for k, v in json.loads(body)['headers']
            if k in ('Host', 'X-Real-IP', 'X-Forwarded-For', 'X-Forwarded-Proto')}
    return {'least_conn': tally(p.port, '/y', 30), 'rr': tally(p.port, '/rr/x', 30),
            'weighted': tally(p.port, '/weighted/x', 40),
            'ip_hash': {i: who(p.port, '/iph/x', '127.0.0.%d' % i) for i in range(2, 12)},
            'headers': seen}


got = same('load balancing', LB_HAND, {'nginx.conf': LB_NGINX}, lb_probe)
is_((got['rr'], got['weighted']), ({'a': 10, 'b': 10, 'c': 10}, {'a': 30, 'b': 10}),
    'load balancing: round robin in turn, weight=3 takes three in four, the backup idles')
ok(len(set(got['ip_hash'].values())) >= 2 and sum(got['least_conn'].values()) == 30,
   'load balancing: ip_hash spreads sources, least_conn answers')
for b in (A, B, C):
    b.stop()


# Step 8: HTTPS, the redirect, the tutorial's TLS settings, HSTS and the
# security headers, HTTP/2, and SSL termination in front of a backend.
CERTS = tempfile.mkdtemp(prefix='portico-certs.')
os.chmod(CERTS, 0o755)
CRT, KEY = make_cert(CERTS, 'example.com', 'ec')
BACK = Backend('back')
TLS_NGINX = '''upstream backend_servers {
    server %(back)s;
}

server {
    listen 127.0.0.1:{port};
    server_name example.com www.example.com;
    return 301 https://$host$request_uri;
}

server {
    listen 127.0.0.1:{port2} ssl http2;
    server_name example.com www.example.com;

    ssl_certificate %(crt)s;
    ssl_certificate_key %(key)s;

    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers on;

    ssl_ciphers HIGH:!aNULL:!MD5;
    ssl_session_cache shared:SSL:10m;
    ssl_session_timeout 10m;

    add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;
    add_header X-Frame-Options DENY;
    add_header X-Content-Type-Options nosniff;

    location / {
        root %(w)s/www;
        index index.html;
    }
}

server {
    listen 127.0.0.1:{port3} ssl;
    server_name example.com;

    ssl_certificate %(crt)s;
    ssl_certificate_key %(key)s;

    location / {
        proxy_pass http://backend_servers;

        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-Proto https;
        proxy_set_header X-Real-IP $remote_addr;
    }
}
''' % {'back': BACK.addr, 'crt': CRT, 'key': KEY, 'w': SHARED}
TLS_HAND = '''upstreams = { backend_servers = { servers = [ "%(back)s" ]; }; };
servers = (
  { listen = "127.0.0.1:{port}"; server_name = "example.com www.example.com";
    return = "301 https://$host$request_uri"; },
  { listen = "127.0.0.1:{port2} ssl http2"; server_name = "example.com www.example.com";
    ssl_certificate = "%(crt)s"; ssl_certificate_key = "%(key)s";
    ssl_protocols = "TLSv1.2 TLSv1.3"; ssl_prefer_server_ciphers = true;
    ssl_ciphers = "HIGH:!aNULL:!MD5"; ssl_session_cache = "shared:SSL:10m";
    ssl_session_timeout = "10m";
    add_header_always = { Strict-Transport-Security = "max-age=31536000; includeSubDomains"; };
    add_header = { X-Frame-Options = "DENY"; X-Content-Type-Options = "nosniff"; };
    locations = ( { match = "/"; root = "%(w)s/www"; index = "index.html"; } ); },
  { listen = "127.0.0.1:{port3} ssl"; server_name = "example.com";
    ssl_certificate = "%(crt)s"; ssl_certificate_key = "%(key)s";
    locations = ( { match = "/"; proxy_pass = "http://backend_servers";
      proxy_set_header = { Host = "$host"; X-Forwarded-Proto = "https"; X-Real-IP = "$remote_addr"; }; } ); }
);
''' % {'back': BACK.addr, 'crt': CRT, 'key': KEY, 'w': SHARED}
SECURITY = ('strict-transport-security', 'x-frame-options', 'x-content-type-options', 'location',
            'content-type')


def tls_answer(port, path):
    s = tls_connect(port, 'example.com')
    st, head, body = https_get(s, path, 'example.com')
    s.close()
    h = {}
    for line in head.split('\r\n')[1:]:
        k, _, v = line.partition(':')
        h[k.strip().lower()] = v.strip()
    return st, head_of(h, SECURITY), body


def handshake(port, ctx):
    """The TLS version and the ALPN protocol the server agrees to."""
    s = tls_connect(port, 'example.com', ctx)
    got = s.version(), s.selected_alpn_protocol()
    s.close()
    return got


def tls_probe(p):
    http, https, term = p.ports
    st, h, body = get(http, '/some/page?x=1', {'Host': 'www.example.com'})
    out = [(st, h.get('location'))]
    out.append(tls_answer(https, '/'))
    out.append(tls_answer(https, '/missing'))
    out.append(handshake(https, client_ctx(maximum=ssl.TLSVersion.TLSv1_2))[0])
    out.append(handshake(https, client_ctx(alpn=['h2', 'http/1.1']))[1])
    st, head, body = tls_answer(term, '/app?q=1')
    seen = {k: v for k, v in json.loads(body)['headers']
            if k in ('Host', 'X-Forwarded-Proto', 'X-Real-IP')}
    out.append((st, json.loads(body)['path'], seen))
    return out


got = same('HTTPS', TLS_HAND, {'nginx.conf': TLS_NGINX}, tls_probe, ports=3)
is_(got[0], (301, 'https://www.example.com/some/page?x=1'), 'HTTPS: plain HTTP is redirected')
is_(got[1], (200, ('max-age=31536000; includeSubDomains', 'DENY', 'nosniff', None, 'text/html'),
                 b'<h1>example.com</h1>\n'), 'HTTPS: the page with HSTS and the security headers')
is_(got[2][:2], (404, ('max-age=31536000; includeSubDomains', None, None, None, 'text/html')),
    'HTTPS: a 404 keeps HSTS (always) but not the others, as nginx')
is_(got[3:5], ['TLSv1.2', 'h2'], 'HTTPS: TLS 1.2 is accepted, HTTP/2 is offered')
is_(got[5], (200, '/app?q=1', {'Host': 'example.com', 'X-Forwarded-Proto': 'https',
                               'X-Real-IP': '127.0.0.1'}),
    'HTTPS: SSL termination in front of a plain backend')
BACK.stop()


# Quoting: backslashes and quotes survive; regex locations keep theirs;
# where nginx's add_header would drop the server's, a comment says so.
QUOTE_NGINX = r'''server {
    listen 127.0.0.1:{port};
    add_header Strict-Transport-Security max-age=60 always;
    location ~* \.(png|jpg)$ {
        add_header X-Quote "say \"hi\" \\ 'bye'";
        return 200 "image $uri";
    }
    location = "/exact path" {
        return 200 'single quoted';
    }
}
'''
with converted('quoting', {'nginx.conf': QUOTE_NGINX}) as p:
    like(p.converted, r'(?m)^        match = "~\* \\\\\.\(png\|jpg\)\$";$',
         'quoting: a regex location keeps its backslash, escaped for libconfig')
    like(p.converted, r'(?m)^        # nginx drops the outer levels\' add_header here and portico '
         r'merges them: this level also sends Strict-Transport-Security',
         'quoting: a comment notes that the location keeps the server\'s HSTS')
    p.start()
    st, h, body = get(p.port, '/a/B.PNG')
    is_((st, body, h.get('x-quote'), h.get('strict-transport-security')),
        (200, b'image /a/B.PNG', 'say "hi" \\ \'bye\'', 'max-age=60'),
        'quoting: the regex matches, quotes and backslashes reach the header')
    is_(get(p.port, '/exact%20path')[2], b'single quoted', 'quoting: a quoted location with a space')


# gzip_disable's arguments are regexes of their own, spaces and all.
with Portico('', start=False) as p:
    path = p.write('nginx/gzip.conf', 'http {\n    gzip on;\n'
                   '    gzip_disable msie6 "MSIE [1-6]\\.";\n'
                   '    server { listen 127.0.0.1:{port}; }\n}\n')
    rc, out, err = convert(path)
    is_(rc, 0, 'gzip_disable converts')
    like(out, r'gzip_disable = \[ "msie6", "MSIE \[1-6\]\\\\." \];',
         'gzip_disable: one array element per regex')


# What portico lacks: a comment naming file, line and directive; exit 1;
# the rest is still a configuration portico -t accepts.
UNKNOWN = '''http {
    ssi on;
    server {
        listen 127.0.0.1:{port};
        rewrite ^/old$ /new permanent;
        types { text/plain txt; }
        if ($request_method = POST) {
            return 405;
        }
        location / {
            location /inner/ { }
            return 200 ok;
        }
    }
    keepalive_timeout 1h30m;
}
'''
with Portico('', start=False) as p:
    path = p.write('nginx/unknown.conf', UNKNOWN)
    rc, out, err = convert(path)
    is_(rc, 1, 'untranslatable directives: exit status 1')
    for line, text in ((2, r'not translated \(portico has no "ssi"\): ssi on;'),
                       (5, r'not translated \(portico has no "rewrite"\): rewrite \^/old\$ /new permanent;'),
                       (6, r'not translated \(.*types_file.*\): types \{ \.\.\. \}'),
                       (7, r'not translated \(portico has no "if"\): if \(\$request_method = POST\) \{ \.\.\. \}'),
                       (11, r'not translated \(portico has no nested locations\): location /inner/ \{ \.\.\. \}'),
                       (15, r'not translated \(portico\'s durations .*\): keepalive_timeout 1h30m;')):
        like(out, r'(?m)^ *# %s:%d: %s$' % (re.escape(path), line, text),
             'untranslatable: line %d is a comment naming it' % line)
        like(err, r'%s:%d: "\w+" not translated' % (re.escape(path), line),
             'untranslatable: and stderr names line %d' % line)
    like(err, r'6 directives not translated', 'untranslatable: stderr counts them')
    p.write_conf(out)
    rc, o, e = p.run('-t')
    ok(rc == 0, 'untranslatable: what was translated is a configuration portico -t accepts')
    p.start()
    is_(get(p.port, '/')[2], b'ok', 'untranslatable: and serves it')


# Input nginx refuses: nothing on stdout, the file and line on stderr,
# exit status 2.
BAD = [
    ('server {\n    listen 80;\n', r'bad\.conf:3: unexpected end of file, expecting "}"', 'an unclosed block'),
    ('server {\n}\n}\n', r'bad\.conf:3: unexpected "}"', 'one "}" too many'),
    ('server {\n    listen 80\n}\n', r'bad\.conf:3: unexpected "}": "listen" is not terminated by ";"',
     'a missing ";"'),
    ('server {\n    server_name a\n    location / { }\n}\n',
     r'bad\.conf:2: directive "server_name" is not terminated by ";"', 'a missing ";" before a block'),
    ('server {\n    listen 80;\n}\nlocation /;\n', r'bad\.conf:4: directive "location" has no opening "{"',
     'a block directive ended by ";"'),
    ('server {\n    return 200 "abc;\n}\n', r'bad\.conf:2: unterminated string', 'an unterminated quote'),
    ('http {\n    include site.conf;\n}\n', r'site\.conf:3: unexpected end of file, expecting "}"',
     'an error in an included file'),
    ('include missing.conf;\n', r'bad\.conf:1: open\(\) "\S*missing\.conf" failed', 'a missing include'),
    ('upstream a { server x:1; }\nupstream a { server y:1; }\n', r'bad\.conf:2: duplicate upstream "a"',
     'a duplicate upstream'),
]
with Portico('', start=False) as p:
    p.write('nginx/site.conf', 'server {\n    listen 80;\n')
    for text, want, desc in BAD:
        rc, out, err = convert(p.write('nginx/bad.conf', text))
        ok(rc == 2 and out == '', '%s: exit status 2, nothing on stdout' % desc)
        like(err, want, '%s: stderr names file and line' % desc)

    # -p: relative includes from another directory, as nginx's prefix.
    p.write('nginx/sites-available/one', 'server { listen 127.0.0.1:{port}; include snippets/x.conf; }\n')
    p.write('nginx/snippets/x.conf', 'return 200 snippet;\n')
    rc, out, err = convert(os.path.join(p.dir, 'nginx/sites-available/one'))
    ok(rc == 2 and 'sites-available/snippets/x.conf' in err,
       'a site file alone: relative includes are taken from its directory')
    rc, out, err = convert(os.path.join(p.dir, 'nginx/sites-available/one'), '-p',
                           os.path.join(p.dir, 'nginx'))
    ok(rc == 0 and 'return = "200 snippet";' in out, '-p names the directory they are taken from')

shutil.rmtree(SHARED, ignore_errors=True)
shutil.rmtree(CERTS, ignore_errors=True)
done()
