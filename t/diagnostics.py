"""What a configuration mistake gets: conflicts between servers warned
about (names) or refused (default servers, locations) at -t, start and
reload; every check made after loading pointing at the line of the
setting at fault, wherever it was inherited from; nginx habits met with
the portico way of writing them; libconfig syntax errors explained."""
import os
import re
import shutil
import signal
import tempfile

from harness import *
from tlsutil import make_cert


def site(p, name):
    return os.path.join(p.dir, 'sites', name)


def t_fails(p, message, desc):
    """-t exits 1 and prints message (a regex, %(dir)s for p's directory)."""
    rc, out, err = p.run('-t')
    is_(rc, 1, desc + ': -t fails')
    like(err, message % {'dir': re.escape(p.dir)}, desc + ': message')
    shutil.rmtree(p.dir, ignore_errors=True)
    return err


# -- Conflicts: the tutorial's example.com, a static site in step 3 and the
# Flask app in step 5, both enabled.
STATIC = '''servers = (
  {
    listen = "127.0.0.1:{port}";
    server_name = "example.com www.example.com";
    return = "200 static";
  }
);
'''
APP = '''servers = (
  {
    listen = "127.0.0.1:{port}";
    server_name = "example.com";
    return = "200 app";
  },
  { listen = "127.0.0.1:{port2}"; server_name = "example.com"; return = "200 other port"; },
  { listen = "127.0.0.1:{port}"; server_name = "~^example"; return = "200 regex"; }
);
'''
WARNING = (r'conflicting server name "example.com" on 127.0.0.1:%d, ignored in '
           r'%s:4 \(first in %s:4\)')
p = Portico('include = "sites/*";\n', files={'sites/1-static': STATIC})
p.write('sites/2-app', APP)
want = WARNING % (p.port, re.escape(site(p, '2-app')), re.escape(site(p, '1-static')))
rc, out, err = p.run('-t')
is_(rc, 0, 'two servers with one name: -t still succeeds, as nginx')
like(err, r'^portico: \[warn\] ' + want + r'\n', '-t warns, naming both files and lines')
is_(len(re.findall('conflicting', err)), 1,
    'one warning: the same name on another port, or a regex, is no conflict')
rc, out, err = p.run('-t', '-q')
is_(err, '', '-t -q prints no warning')
with p:
    is_(get(p.port, headers={'Host': 'example.com'})[2], b'static',
        'the first server answers for the name')
    like(p.error_log(), r'\[warn\] .*' + want, 'the warning is in the error log at start')
    like(p.stderr(), r'portico: \[warn\] ' + want, 'and on the terminal of portico -f')
    os.unlink(site(p, '2-app'))
    p.write('sites/0-app', APP)
    p.signal(signal.SIGHUP)
    want = WARNING % (p.port, re.escape(site(p, '1-static')), re.escape(site(p, '0-app')))
    ok(wait_for(lambda: re.search(want, p.error_log())), 'a reload warns in the error log')
    ok(wait_for(lambda: get(p.port, headers={'Host': 'example.com'})[2] == b'app'),
       'and the first server in the new order answers')

p = Portico('include = "sites/*";\n', files={
    'sites/a': 'servers = (\n  { listen = "127.0.0.1:{port}"; },\n'
               '  { listen = "127.0.0.1:{port} default_server"; }\n);\n',
    'sites/b': '\nservers = ( {\n  listen = [ "127.0.0.1:{port2}",\n'
               '    "127.0.0.1:{port} default_server" ]; } );\n'}, start=False)
t_fails(p, r'\[emerg\] a duplicate default server for 127.0.0.1:%d in %%(dir)s/sites/b:3 '
        r'\(first in %%(dir)s/sites/a:3\)' % p.port, 'two default servers on one address')

p = Portico('servers = ( { listen = "127.0.0.1:{port}"; locations = (\n'
            '  { match = "/x"; },\n  { match = "= /x"; },\n  {\n    root = "/tmp";\n'
            '    match = "^~ /x";\n  }\n); } );\n', start=False)
t_fails(p, r'\[emerg\] duplicate location "\^~ /x" in %(dir)s/portico.conf:11 '
        r'\(first in %(dir)s/portico.conf:7\)', 'the same location twice')

# -- Checks after loading name the setting's line, wherever it was set.
CERTS = tempfile.mkdtemp(prefix='portico-certs.')
os.chmod(CERTS, 0o755)
A = make_cert(CERTS, 'a.test', 'ec')
B = make_cert(CERTS, 'b.test', 'ec')
SOON = make_cert(CERTS, 'soon.test', 'ec', days=3)


def secure(lines, main=''):
    """A site file whose server listens with ssl on line 3, then lines."""
    p = Portico(main + 'include = "sites/*";\n', files={
        'sites/secure': 'servers = (\n  {\n    listen = "127.0.0.1:{port} ssl";\n' +
                        ''.join('    %s\n' % l for l in lines) + '  }\n);\n'},
        start=False)
    return p


CASES = [
    (['server_name = "a.test";', 'ssl_certificate = "none.crt";',
      'ssl_certificate_key = "%s";' % A[1]],
     r'cannot load certificate ".*none.crt": .* in %(dir)s/sites/secure:5\n',
     'a missing certificate, at ssl_certificate'),
    (['ssl_certificate = "%s";' % A[0], '', 'ssl_certificate_key = "none.key";'],
     r'cannot load certificate key ".*none.key": .* in %(dir)s/sites/secure:6\n',
     'a missing key, at ssl_certificate_key'),
    (['ssl_certificate = "%s";' % A[0], 'ssl_certificate_key = "%s";' % B[1]],
     r'(key values mismatch|do not match) in %(dir)s/sites/secure:5\n',
     'a key of another certificate, at ssl_certificate_key'),
    (['server_name = "a.test";'],
     r'no "ssl_certificate" is defined for a server that listens with "ssl" '
     r'in %(dir)s/sites/secure:3\n', 'no certificate, at the listen with ssl'),
    (['ssl_certificate = [ "%s", "%s" ];' % (A[0], B[0]), 'ssl_certificate_key = "%s";' % A[1]],
     r'2 ssl_certificate but 1 ssl_certificate_key: they go in pairs '
     r'in %(dir)s/sites/secure:5\n', 'unpaired certificates, at ssl_certificate_key'),
    (['ssl_certificate = "%s";' % A[0], 'ssl_certificate_key = "%s";' % A[1],
      'ssl_ciphers = "NOSUCHCIPHER";'],
     r'invalid ssl_ciphers "NOSUCHCIPHER": .* in %(dir)s/sites/secure:6\n',
     'bad ciphers, at ssl_ciphers'),
    (['ssl_certificate = "%s";' % A[0], 'ssl_certificate_key = "%s";' % A[1],
      'ssl_session_ticket_key = "%s";' % A[0]],
     r'ssl_session_ticket_key ".*" must be 80 or 48 bytes, not \d+ in '
     r'%(dir)s/sites/secure:6\n', 'a bad ticket key file, at ssl_session_ticket_key'),
    (['ssl_certificate = "%s";' % A[0], 'ssl_certificate_key = "%s";' % A[1],
      'ssl_conf_command = { NoSuchCommand = "x"; };'],
     r'ssl_conf_command "NoSuchCommand" "x" failed: .* in %(dir)s/sites/secure:6\n',
     'a bad OpenSSL command, at ssl_conf_command'),
]
for lines, message, desc in CASES:
    t_fails(secure(lines), message, desc)

p = secure(['ssl_certificate_key = "%s";' % A[1]],
           main='\nssl_certificate = "{dir}/none.crt";\n')
t_fails(p, r'cannot load certificate ".*none.crt": .* in %(dir)s/portico.conf:7\n',
        'a certificate inherited from the main level, at its line there')
p = secure(['ssl_certificate = "%s";' % SOON[0], 'ssl_certificate_key = "%s";' % SOON[1]])
rc, out, err = p.run('-t')
ok(rc == 0 and re.search(r'\[warn\] certificate ".*" expires in \d days in %s/sites/secure:4\n'
                         % re.escape(p.dir), err), 'an expiry warning, at ssl_certificate')
p = secure(['ssl_certificate = "%s";' % A[0], 'ssl_certificate_key = "%s";' % A[1],
            'ssl_session_cache = "shared:S:1m";'])
p.write('sites/other', 'servers = ( { listen = "127.0.0.1:{port2} ssl";\n'
        '  ssl_certificate = "%s"; ssl_certificate_key = "%s";\n'
        '  ssl_session_cache = "shared:S:2m"; } );\n' % A)
t_fails(p, r'ssl_session_cache "S" is 1048576 bytes here but 2097152 in '
        r'%(dir)s/sites/other:3 in %(dir)s/sites/secure:6\n',
        'one cache of two sizes, at both ssl_session_cache lines')

p = Portico('error_page = "404 @main";\nservers = (\n  {\n    listen = "127.0.0.1:{port}";\n'
            '    locations = (\n      { match = "/";\n        try_files = "$uri @nowhere"; },\n'
            '      { match = "/b/";\n        error_page = "500 @gone"; },\n'
            '      { match = "@main"; }\n    );\n  },\n'
            '  { listen = "127.0.0.1:{port2}"; }\n);\n', start=False)
err = t_fails(p, r'unknown named location "@nowhere" in %(dir)s/portico.conf:12\n',
              'try_files to a missing @name, at try_files')
like(err, r'unknown named location "@gone" in %s/portico.conf:14\n' % re.escape(p.dir),
     'error_page to a missing @name, at error_page')
like(err, r'unknown named location "@main" in %s/portico.conf:6\n' % re.escape(p.dir),
     'a main-level error_page a server lacks, at the main level')
is_(len(re.findall('@main', err)), 1, 'reported once, for the server that lacks it')

p = Portico('servers = ( { listen = "127.0.0.1:{port}"; locations = ( { match = "/a/";\n'
            '  root = "/tmp";\n  alias = "/tmp/"; } ); } );\n', start=False)
t_fails(p, r'location "/a/" sets both "root" and "alias" in %(dir)s/portico.conf:8\n',
        'root and alias, at alias')
p = Portico('servers = ( { listen = "127.0.0.1:{port}"; locations = ( { match = "/a/";\n'
            '  proxy_pass = "https://127.0.0.1:{port2}";\n  proxy_ssl_verify = true;\n'
            '  proxy_ssl_trusted_certificate = "none.pem"; } ); } );\n', start=False)
t_fails(p, r'cannot load trusted certificates ".*none.pem": .* in %(dir)s/portico.conf:9\n',
        'missing trusted certificates, at proxy_ssl_trusted_certificate')
for order in ('match = "~ ^/a";\n  proxy_pass = "http://127.0.0.1:1/x";',
              'proxy_pass = "http://127.0.0.1:1/x";\n  match = "~ ^/a";'):
    p = Portico('servers = ( { listen = "127.0.0.1:{port}"; locations = ( {\n  %s } ); } );\n'
                % order, start=False)
    t_fails(p, r'proxy_pass "http://127.0.0.1:1/x" cannot have a URI part in a location given '
            r'by a regular expression or a named location in %%(dir)s/portico.conf:%d\n'
            % (8 if order.startswith('match') else 7),
            'a URI part in a regex location, %s' % ('proxy_pass after match' if
                                                    order.startswith('match') else 'before it'))
if os.geteuid() == 0:
    p = Portico('\nuser = "no-such-user-here";\n' + 'servers = ( { listen = "127.0.0.1:{port}"; } );\n',
                start=False)
    t_fails(p, r'getpwnam\("no-such-user-here"\) failed: .* in %(dir)s/portico.conf:7\n',
            'an unknown user, at user')

# -- nginx habits.
NGINX = 'server {\n    listen 80;\n    location / {\n        root /var/www;\n    }\n}\n'
p = Portico('include = "sites/*";\n', files={'sites/nginx': '# from the tutorial\n' + NGINX},
            start=False)
f = site(p, 'nginx')
err = t_fails(p, r'^portico: \[emerg\] this looks like nginx syntax; portico reads '
              r'libconfig, see portico.conf\(5\); portico-convert %s translates it in '
              r'%s:2\n' % (re.escape(f), re.escape(f)), 'a file in nginx syntax')
ok('syntax error' not in err, 'instead of a bare syntax error')
for conf, message, desc in (
        ('upstreams = { app = {\n  least_conn = true;\n  servers = [ "127.0.0.1:1" ]; }; };\n',
         r'unknown setting "least_conn" in %(dir)s/portico.conf:7; write method = '
         r'"least_conn"; inside the upstream\n', 'least_conn: as an upstream method'),
        ('servers = ( { listen = "127.0.0.1:{port}"; location = "/"; } );\n',
         r'unknown setting "location" in %(dir)s/portico.conf:6; write locations = ',
         'location: as locations'),
        ('server = { listen = "80"; };\n',
         r'unknown setting "server" in %(dir)s/portico.conf:6; write servers = \(', 'server: as servers'),
        ('upstreams = { app = { server = "127.0.0.1:1"; }; };\n',
         r'unknown setting "server" in %(dir)s/portico.conf:6; write servers = \[ "host:port"',
         'server in an upstream: as its servers array'),
        ('servers = ( { listen = "127.0.0.1:{port}"; allow = "127.0.0.1"; } );\n',
         r'unknown setting "allow" in .*; write access = \[ "allow ADDRESS", "deny all" \]',
         'allow: as access'),
        ('servers = ( { listen = "127.0.0.1:{port}"; ssl = true; } );\n',
         r'unknown setting "ssl" in .*; write listen = "443 ssl";', 'ssl on: as listen ssl'),
        ('servers = ( { listen = "127.0.0.1:{port}"; locations = ( { match = "/";\n'
         '  proxy_passs = "http://127.0.0.1:1"; } ); } );\n',
         r'unknown setting "proxy_passs" in %(dir)s/portico.conf:7; did you mean "proxy_pass"\?\n',
         'a near miss: did you mean'),
        ('servers = ( { listen = "127.0.0.1:{port}"; sever_name = "x"; } );\n',
         r'did you mean "server_name"\?', 'a near miss of server_name'),
        ('servers = ( { listen = "127.0.0.1:{port}"; zzz_qqq = 1; } );\n',
         r'unknown setting "zzz_qqq" in %(dir)s/portico.conf:6\n', 'far from everything: no guess'),
        # libconfig syntax errors, explained.
        ('servers = ( { listen = "127.0.0.1:{port}";\n  location / { root = "/tmp"; }\n} );\n',
         r'syntax error: expected "=" after "location", found "/" in %(dir)s/portico.conf:7; '
         r'write locations = ', 'an nginx block inside a server'),
        ('sendfile = on;\n', r'syntax error: expected a value after "sendfile =", found "on": '
         r'on and off are written true and false in %(dir)s/portico.conf:6\n', 'on for true'),
        ('servers = ( { listen = "80"; root = /var/www; } );\n',
         r'found "/var/www": text is written in quotes in %(dir)s/portico.conf:6\n', 'a bare path'),
        ('servers = (\n  { listen = "127.0.0.1:{port}";\n    locations = ( { match = "/"; } );\n);\n',
         r'syntax error: expected "}" to close the group opened at line 7, found "\)" '
         r'in %(dir)s/portico.conf:9\n', 'a missing }'),
        ('servers = (\n  { listen = "127.0.0.1:{port}"; }\n',
         r'syntax error: missing "\)": the list of "servers" opened at line 6 is not closed '
         r'in %(dir)s/portico.conf:8\n', 'a missing ) at the end'),
        ('servers = ( { listen = "80" root = "/tmp"; } );\nsendfile = true\n keepalive_requests = 5 6;\n',
         r'syntax error: expected ";" after the value of "keepalive_requests", found "6" '
         r'in %(dir)s/portico.conf:8\n', 'a missing ; (where libconfig needs one)'),
        ('servers = [ { listen = "80"; } ];\n',
         r'an array \[ \] holds strings, numbers or booleans; a list of groups is written '
         r'\( \{ ... \}, \{ ... \} \) in %(dir)s/portico.conf:6\n', 'groups in an array'),
        ('index = [ "a", "b", ];\n', r'a "," before "\]" in the array of "index": remove it',
         'a trailing comma'),
        ('root = "/var/www;\n', r'syntax error: unterminated string .* in %(dir)s/portico.conf:6\n',
         'an unterminated string, at its start'),
        ('index = [ "a", 1 ];\n', r'mismatched element type in array in %(dir)s/portico.conf:6\n',
         "libconfig's own words where they say more")):
    t_fails(Portico(conf, start=False), message, desc)
shutil.rmtree(CERTS, ignore_errors=True)
done()
