"""Logs: access_log in the combined format by default (exactly, so log
tools read it), main and custom formats with the SPEC.md variables, off,
per-server and per-location files, escaping; error_log per server and
log_level; errors in log settings named with file:line."""
import os
import re
import socket
import time

from harness import *

FILES = {'www/index.html': 'hi\n', 'www/sub/a.txt': 'a\n'}
DATE = r'\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}'


def lines(text):
    return [l for l in text.splitlines() if l]


def log_of(p, name):
    try:
        with open(os.path.join(p.dir, name), errors='replace') as f:
            return f.read()
    except OSError:
        return ''


# Combined by default: the line nginx and Apache write, byte for byte.
with Portico('servers = ( { listen = "127.0.0.1:{port}"; root = "{dir}/www"; } );\n',
             files=FILES) as p:
    get(p.port, '/index.html?x=1', {'Referer': 'http://ref.example/', 'User-Agent': 'agent/1.0'})
    get(p.port, '/nothing', {'User-Agent': 'say "hi"\x7f'})
    raw(p.port, b'GET /sub/a.txt HTTP/1.0\r\nAuthorization: Basic dXNlcjpwYXNz\r\n\r\n')
    ok(wait_for(lambda: len(lines(p.access_log())) == 3), 'three requests, three lines')
    # Each worker writes its line after its response: find them by content.
    l = sorted(lines(p.access_log()), key=lambda x: ('/index' not in x, '/nothing' not in x))
    like(l[0], r'^127\.0\.0\.1 - - \[' + DATE + r'\] "GET /index\.html\?x=1 HTTP/1\.1" 200 3 '
         r'"http://ref\.example/" "agent/1\.0"$', 'the combined format, field by field')
    like(l[1], r'"GET /nothing HTTP/1\.1" 404 \d+ "-" "say \\x22hi\\x22\\x7F"$',
         'a missing header is "-"; quotes and control bytes are escaped as \\xHH')
    like(l[2], r'^127\.0\.0\.1 - user \[.*"GET /sub/a\.txt HTTP/1\.0" 200 2 ',
         '$remote_user comes from Basic credentials')
    like(p.error_log(), r'\[error\] \d+#\d+: .*open\(\) ".*/www/nothing" failed \(2: No such file',
         'a missing file is an error-level line in error.log')

# main, a custom format with many variables, off, per-location files.
CUSTOM = ('log_format = {\n'
          '  vars = "m=$request_method u=$uri a=$args q=$query_string r=$request_uri s=$status '
          'b=$body_bytes_sent B=$bytes_sent t=$request_time ms=$msec c=$connection '
          'cr=$connection_requests pid=$pid h=$host sp=$server_port sa=$server_addr '
          'sn=$server_name sc=$scheme x=$http_x_custom iso=$time_iso8601 ra=$remote_addr:$remote_port";\n'
          '};\n'
          'servers = ( { listen = "127.0.0.1:{port}"; server_name = "logs.test";\n'
          '  root = "{dir}/www"; access_log = "{dir}/vars.log vars";\n'
          '  locations = (\n'
          '    { match = "/sub/"; access_log = "{dir}/sub.log main"; },\n'
          '    { match = "= /quiet"; access_log = "off"; return = "204"; }\n'
          '  ); },\n'
          '  { listen = "127.0.0.1:{port2}"; root = "{dir}/www"; error_log = "{dir}/server2.error.log"; }\n'
          ');\n')
with Portico(CUSTOM, files=FILES) as p:
    s = socket.create_connection(('127.0.0.1', p.port))
    s.sendall(b'GET /index.html?k=v HTTP/1.1\r\nHost: logs.test\r\nX-Custom: yes\r\n\r\n'
              b'GET /index.html HTTP/1.1\r\nHost: logs.test\r\nConnection: close\r\n\r\n')
    while s.recv(65536):
        pass
    s.close()
    get(p.port, '/quiet')
    get(p.port, '/sub/a.txt', {'X-Forwarded-For': '203.0.113.9'})
    ok(wait_for(lambda: len(lines(log_of(p, 'vars.log'))) == 2), 'the server\'s own log has its two requests')
    v = lines(log_of(p, 'vars.log'))
    like(v[0],
         r'^m=GET u=/index\.html a=k=v q=k=v r=/index\.html\?k=v s=200 b=3 B=\d{3} '
         r't=\d+\.\d{3} ms=\d{10}\.\d{3} c=\d+ cr=1 pid=\d+ h=logs\.test sp=%d '
         r'sa=127\.0\.0\.1 sn=logs\.test sc=http x=yes iso=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d '
         r'ra=127\.0\.0\.1:\d+$' % p.port, 'every variable of a custom format')
    c1 = re.search(r' c=(\d+) ', v[0]).group(1)
    like(v[1], r' a=- q=- .* c=%s cr=2 .* x=- ' % c1,
         'the second request on the connection: same $connection, $connection_requests 2, empty args "-"')
    pid = int(re.search(r' pid=(\d+) ', v[0]).group(1))
    ok(pid in p.workers(), '$pid is the worker\'s')
    like(log_of(p, 'sub.log'), r'"GET /sub/a\.txt HTTP/1\.1" 200 2 "-" "[^"]*" "203\.0\.113\.9"\n$',
         'a location\'s own log in the main format, with X-Forwarded-For')
    ok('/quiet' not in log_of(p, 'vars.log') + log_of(p, 'sub.log') + p.access_log(),
       'access_log "off" logs nothing')
    get(p.ports[1], '/gone')
    ok(wait_for(lambda: '/www/gone' in log_of(p, 'server2.error.log')),
       'error_log at server level takes that server\'s errors')
    ok('/www/gone' not in p.error_log(), 'and the main error log does not')

# log_level: below the level, nothing; info shows what notice hides.
for level, want in (('crit', False), ('error', True)):
    conf = 'log_level = "%s";\nservers = ( { listen = "127.0.0.1:{port}"; root = "{dir}/www"; } );\n' % level
    with Portico(conf, files=FILES) as p:
        get(p.port, '/absent')
        time.sleep(0.3)
        is_('/www/absent' in p.error_log(), want,
            'log_level %s %s a 404\'s error line' % (level, 'keeps' if want else 'drops'))
        if level == 'crit':
            ok('started' not in p.error_log(), 'and notices too')

# Errors in log settings are refused with file and line.
BAD = [
    ('servers = ( { listen = "127.0.0.1:{port}"; access_log = "{dir}/a.log nosuch"; } );\n',
     r'unknown log format "nosuch".* in .*portico\.conf:6'),
    ('log_format = { f = "$remote_addr $nosuchvar"; };\n'
     'servers = ( { listen = "127.0.0.1:{port}"; access_log = "{dir}/a.log f"; } );\n',
     r'unknown variable "\$?nosuchvar".* in .*portico\.conf:6'),
    ('log_level = "loud";\nservers = ( { listen = "127.0.0.1:{port}"; } );\n',
     r'log_level.*in .*portico\.conf:6'),
    ('servers = ( { listen = "127.0.0.1:{port}"; access_log = "{dir}/no/such/dir/a.log"; } );\n',
     r'open\(\) ".*/no/such/dir/a\.log" failed.* in .*portico\.conf:6'),
]
for conf, want in BAD:
    p = Portico(conf, start=False)
    rc, out, err = p.run('-t')
    ok(rc == 1, '-t refuses: %s' % want)
    like(err, want, 'and says where')
done()
