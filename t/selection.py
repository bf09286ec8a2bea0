"""Server and location selection, exactly as SPEC.md section 4."""
from harness import *


def srv(listen, name, text):
    return ('  { listen = "%s"; server_name = %s; return = "200 %s"; }'
            % (listen, name, text))


A = '127.0.0.1:{port}'
B = '127.0.0.1:{port2}'
SERVERS = ('servers = (\n' + ',\n'.join([
           srv(A, '"first.test"', 'first'),
           srv(A, '"example.com"', 'exact'),
           srv(A, '"*.example.com"', 'lead'),
           srv(A, '"*.deep.example.com"', 'longer-lead'),
           srv(A, '"www.example.*"', 'trail'),
           srv(A, '"~^([a-z]+)\\\\.regex\\\\.test$"', 'regex-$1'),
           srv(A, '"~^a"', 'regex-second'),
           srv(A + ' default_server', '[ "dflt.test", "alias.test" ]', 'default'),
           srv(B, '"b1.test"', 'b-first'),
           srv(B, '"b2.test"', 'b-second')]) +
           '\n);\n')

with Portico(SERVERS, ports=2) as p:
    def on(host, port=None):
        st, h, b = get(port or p.port, '/', {'Host': host} if host is not None else {})
        return b.decode()

    is_(on('example.com'), 'exact', 'an exact name')
    is_(on('EXAMPLE.Com'), 'exact', 'names compare without case')
    is_(on('example.com:8080'), 'exact', 'the port in Host is ignored')
    is_(on('example.com.'), 'exact', 'a trailing dot is ignored')
    is_(on('www.example.com'), 'lead', 'a leading wildcard beats a trailing one')
    is_(on('x.deep.example.com'), 'longer-lead', 'the longest leading wildcard wins')
    is_(on('www.example.org'), 'trail', 'a trailing wildcard')
    is_(on('abc.regex.test'), 'regex-abc', 'a regex, its capture usable as $1')
    is_(on('another.test'), 'regex-second', 'regexes in file order, the first that matches')
    is_(on('alias.test'), 'default', 'a second name of a server')
    is_(on('unknown.test'), 'default', 'an unknown name goes to default_server')
    raw_resp = raw(p.port, b'GET / HTTP/1.0\r\n\r\n')
    ok(raw_resp.endswith(b'default'), 'so does a request without Host')
    is_(on('nothing.test', p.ports[1]), 'b-first', 'without default_server, the first server of the address')
    is_(on('b2.test', p.ports[1]), 'b-second', 'names are matched per address')
    is_(on('example.com', p.ports[1]), 'b-first', 'a name of another address does not count')

LOCS = '''servers = ( { listen = "127.0.0.1:{port}"; locations = (
  { match = "/"; return = "200 root"; },
  { match = "/docs/"; return = "200 docs"; },
  { match = "/docs/api/"; return = "200 docs-api"; },
  { match = "= /docs/"; return = "200 exact-docs"; },
  { match = "^~ /images/"; return = "200 images-prefix"; },
  { match = "~ \\\\.png$"; return = "200 png-regex"; },
  { match = "~* \\\\.(JPG|gif)$"; return = "200 jpg-regex-nocase"; },
  { match = "~ ^/docs/api/.*\\\\.png$"; return = "200 second-png-regex"; },
  { match = "/static/"; return = "200 static"; },
  { match = "~ ^/static/([a-z]+)\\\\.css$"; return = "200 css-$1"; }
); } );
'''
with Portico(LOCS) as p:
    def loc(path):
        return get(p.port, path)[2].decode()

    is_(loc('/docs/'), 'exact-docs', '= beats every other kind')
    is_(loc('/docs/x'), 'docs', 'a prefix')
    is_(loc('/docs/api/x'), 'docs-api', 'the longest prefix')
    is_(loc('/images/a.png'), 'images-prefix', '^~ on the longest prefix stops the regex search')
    is_(loc('/other/a.png'), 'png-regex', 'a regex beats a prefix')
    is_(loc('/docs/api/a.png'), 'png-regex', 'the first regex in file order wins, not the most specific')
    is_(loc('/x/A.jpg'), 'jpg-regex-nocase', '~* ignores case')
    is_(loc('/x/A.PNG'), 'root', '~ does not')
    is_(loc('/static/site.css'), 'css-site', 'a location regex capture as $1')
    is_(loc('/static/site.js'), 'static', 'when no regex matches, the longest prefix')
    is_(loc('/anything'), 'root', '/ catches the rest')
    is_(loc('/docs'), 'root', '/docs does not match the prefix /docs/')
    is_(loc('/%64ocs/x'), 'docs', 'matching uses the decoded URI')
    is_(loc('/x/../docs//api/y'), 'docs-api', 'and the normalised one (dots, double slashes)')
done()
