"""The error log can be neither cut nor forged: a line longer than 4096
bytes is cut cleanly with a marker (no NUL byte) and keeps its context;
what a client sent (a decoded %0a in a path, quotes, backslashes, bytes
from 0x7F up, in the path, request line or Host) is escaped as \\xHH as
nginx's access log does, so no request writes a line of its own.  The
access log escapes as nginx does too."""
import re

from harness import *

FORGED = '1999/01/01 00:00:00 [alert] 1#0: forged'
LINE = re.compile(r'^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(emerg|alert|crit|error|warn|notice|'
                  r'info|debug)\] \d+#0: ')


def send(port, target, host=b'x'):
    return status_of(raw(port, b'GET ' + target + b' HTTP/1.1\r\nHost: ' + host +
                         b'\r\nConnection: close\r\n\r\n'))


def error_bytes(p):
    with open(p.dir + '/error.log', 'rb') as f:
        return f.read()


with Portico('servers = ( { listen = "127.0.0.1:{port}"; root = "{dir}/www"; } );\n',
             files={'www/index.html': 'hi\n'}) as p:
    P = p.port
    long_path = b'/' + b'a' * 4100
    sent = [
        # (target, Host, status, what the open() line must hold)
        (long_path, b'x', 404, None),
        (b'/x%0a' + FORGED.replace(' ', '%20').replace('#', '%23').encode(), b'x', 404,
         r'open\(\) ".*/www/x\\x0A1999/01/01 00:00:00 \[alert\] 1#0: forged" failed'),
        (b'/y%0d%0a%1b[31mred%7f', b'x', 404,
         r'open\(\) ".*/www/y\\x0D\\x0A\\x1B\[31mred\\x7F" failed'),
        (b'/q"uo\\te', b'x', 404, r'open\(\) ".*/www/q\\x22uo\\x5Cte" failed.*'
         r'request: "GET /q\\x22uo\\x5Cte HTTP/1\.1"'),
        (b'/h', b'a"b', 404, r'open\(\) ".*/www/h" failed.*, host: "a\\x22b"$'),
        (b'/u', b'\xc3\xa9t\xc3\xa9', 404, r', host: "\\xC3\\xA9t\\xC3\\xA9"$'),
    ]
    for target, host, want, _ in sent:
        is_(send(P, target, host), want, 'GET %r with Host %r: %d' % (target[:40], host, want))
    # Raw control bytes: the parser refuses them, nothing is logged at error.
    for target, host in ((b'/a\x1bb', b'x'), (b'/a\rb', b'x'), (b'/a', b'a\x1bb')):
        is_(send(P, target, host), 400, 'raw control byte in %r / Host %r: 400' % (target, host))

    ok(wait_for(lambda: len([l for l in error_bytes(p).split(b'\n')
                             if b'[error]' in l]) >= len(sent), 5),
       'the error-level lines are written')
    data = error_bytes(p)
    ok(b'\0' not in data, 'no NUL byte in the error log')
    lines = data.split(b'\n')
    is_(lines[-1], b'', 'the log ends with a newline')
    lines = [l.decode('latin-1') for l in lines[:-1]]
    strays = [l for l in lines if not LINE.match(l)]
    ok(not strays, 'every line starts as portico writes it, none forged: %s' % strays[:3])
    ok(not any(l.startswith('1999/') or ': forged' in l.split('" failed')[-1] for l in lines),
       'no line of the client\'s making')
    levels = [LINE.match(l).group(1) for l in lines if LINE.match(l)]
    ok(not set(levels) & {'emerg', 'alert', 'crit'},
       'no line at alert, crit or emerg (one only quotes "[alert]", escaped)')
    errors = [l for l in lines if '[error]' in l]
    is_(len(errors), len(sent), 'exactly one error line per failed request')
    ok(max(len(l) + 1 for l in lines) <= 4096, 'no line is over 4096 bytes')
    cut = [l for l in errors if 'aaaa' in l]
    ok(len(cut) == 1 and len(cut[0]) + 1 == 4096 and
       re.search(r'aaaa\.\.\.\[truncated\] \(36: File name too long\), client: 127\.0\.0\.1, '
                 r'server: , request: "GET /a{507}", host: "x"$', cut[0]),
       'the 4,100-character path: cut in its message with a marker, context kept')
    for target, host, want, pattern in sent[1:]:
        hits = [l for l in errors if re.search(pattern, l)]
        ok(len(hits) == 1, 'escaped in the error log: %s' % pattern)
        if not hits:
            diag('\n'.join(errors))

    # The access log: one line per request, escaped as nginx does.
    acc = [l for l in p.access_log().split('\n') if l]
    is_(len(acc), len(sent) + 3, 'one access log line per request')
    ok(any('"GET /q\\x22uo\\x5Cte HTTP/1.1" 404' in l for l in acc),
       'the access log writes " as \\x22 and \\ as \\x5C')
    ok(any('"GET /x%0a1999/01/01%2000:00:00%20[alert]%201%230:%20forged HTTP/1.1"' in l
           for l in acc), 'and the request line as sent (%0a stays %0a)')
    p.stop(check_log=False)     # a quoted "[alert]" is no alert: checked above

done()
