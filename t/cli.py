"""The command line: -t/-T/-q messages and exit codes, every kind of
configuration error with its file and line, -v/-V/-h, -s without a
running master."""
import os
import re
import subprocess

from harness import *

SITE = 'servers = ( { listen = "127.0.0.1:{port}"; root = "{dir}"; } );\n'


def check(p, desc, *args):
    return p.run('-t', *args)


def error_case(conf, message, desc, files=None, main=True):
    """-t must fail with exactly one [emerg] line matching message."""
    p = Portico(conf, files=files, main=main, start=False)
    rc, out, err = p.run('-t')
    is_(rc, 1, desc + ': exit status 1')
    like(err, message, desc + ': message')
    like(err, r'portico: configuration file %s test failed\n$' % re.escape(p.conf_path),
         desc + ': "test failed" last')
    return p


# A good configuration: exactly SPEC.md's two lines.
p = Portico(SITE, start=False)
rc, out, err = p.run('-t')
is_(rc, 0, '-t on a good configuration exits 0')
is_(err, 'portico: the configuration file %s syntax is ok\n'
    'portico: configuration file %s test is successful\n' % (p.conf_path, p.conf_path),
    '-t prints the two lines of SPEC.md')
is_(out, '', '-t prints nothing on stdout')
rc, out, err = p.run('-t', '-q')
ok(rc == 0 and err == '' and out == '', '-t -q prints nothing on success')

# The SPEC.md example: a misspelt setting in an included site file.
p = Portico('include = "sites-enabled/*";\n', files={
    'sites-enabled/app': 'servers = (\n  {\n    listen = "127.0.0.1:{port}";\n'
                         '    locations = (\n      {\n        match = "/";\n'
                         '        proxy_passs = "http://127.0.0.1:8000";\n      }\n    );\n  }\n);\n'},
    start=False)
rc, out, err = p.run('-t')
is_(rc, 1, 'an unknown setting fails -t')
is_(err.splitlines()[0], 'portico: [emerg] unknown setting "proxy_passs" in %s:7; '
    'did you mean "proxy_pass"?' % os.path.join(p.dir, 'sites-enabled/app'),
    'the error names the file as the include pattern found it, and the line')
rc, out, err = p.run('-t', '-q')
like(err, r'unknown setting "proxy_passs"', '-q still prints errors')

error_case('listen = "80";\n' + SITE, r'\[emerg\] setting "listen" is not allowed at the main level in .*portico.conf:6',
           'listen at the main level')
error_case('servers = ( { listen = "127.0.0.1:{port}"; user = "nobody"; } );\n',
           r'setting "user" is not allowed in a server in .*:6', 'user in a server')
error_case('servers = ( { listen = "127.0.0.1:{port}"; locations = ( { match = "/"; listen = "81"; } ); } );\n',
           r'setting "listen" is not allowed in a location', 'listen in a location')
error_case('sendfile = "yes";\n' + SITE, r'"sendfile" must be true or false in .*:6', 'a string for a boolean')
error_case('keepalive_requests = "x";\n' + SITE, r'invalid value "x" for "keepalive_requests"', 'a bad number')
error_case('keepalive_timeout = "10x";\n' + SITE, r'invalid value "10x" for "keepalive_timeout": expected a duration',
           'a bad duration')
error_case('client_max_body_size = "5q";\n' + SITE, r'invalid value "5q" for "client_max_body_size": expected a size',
           'a bad size')
error_case('servers = ( { listen = "99999"; } );\n', r'invalid listen "99999": invalid port', 'a bad port')
error_case('servers = ( { listen = "127.0.0.1:{port}"; locations = ( { match = "~ ([a-z"; } ); } );\n',
           r'invalid regular expression', 'a bad regular expression')
error_case('servers = ( { listen = "127.0.0.1:{port}"; return = "200 $nope"; } );\n',
           r'unknown variable "\$nope"', 'an unknown variable in return')
error_case('servers = ( { listen = "127.0.0.1:{port}"; add_header = { X-A = "$nope_either"; }; } );\n',
           r'unknown variable "\$nope_either"', 'an unknown variable in add_header')
error_case('servers = ( { listen = "127.0.0.1:{port}"; add_header = { Host = "a"; host = "b"; }; } );\n',
           r'duplicate header "host"', 'Host and host in one group')
error_case('servers = ( { listen = "127.0.0.1:{port} default_server"; },\n'
           '  { listen = "127.0.0.1:{port} default_server"; } );\n',
           r'a duplicate default server', 'two default servers on one address')
error_case('servers = ( { listen = ; } );\n',
           r'syntax error: expected a value after "listen =", found ";" in .*portico.conf:6',
           'a libconfig syntax error names its line')
error_case('servers = ( { listen = "127.0.0.1:{port}"; locations = ( { match = "/"; proxy_pass = "http://nosuchupstream"; } ); } );\n',
           r'host not found in proxy_pass', 'proxy_pass naming neither an upstream nor a host')

# A missing main file.
rc = subprocess.run([PORTICO, '-t', '-c', '/nonexistent/portico.conf'], capture_output=True, text=True)
is_(rc.returncode, 1, 'a missing main file fails')
like(rc.stderr, r'cannot read "/nonexistent/portico.conf": No such file', 'and says so')

# Includes: relative to the including file, globs, nothing matched, cycles,
# duplicates across files.
p = Portico('include = [ "conf.d/*.conf", "nothing/*.conf", "sites/*" ];\n', files={
    'conf.d/a.conf': 'sendfile = false;\n',
    'sites/one': 'servers = ( { listen = "127.0.0.1:{port}"; server_name = "one"; } );\n',
    'sites/two': 'servers = ( { listen = "127.0.0.1:{port}"; server_name = "two"; } );\n'},
    start=False)
rc, out, err = p.run('-T')
is_(rc, 0, 'globs relative to the including file load; a pattern matching nothing is fine')
ok('server_name = "one";' in out and 'server_name = "two";' in out and
   out.index('"one"') < out.index('"two"'), '-T shows the servers of included files, in order')
ok('sendfile = false;' in out, '-T shows a main-level setting from a conf.d snippet')
p.write('dump.conf', out)
rc2, _, err2 = subprocess.run([PORTICO, '-t', '-c', os.path.join(p.dir, 'dump.conf')],
                              capture_output=True, text=True).returncode, '', ''
is_(rc2, 0, "-T's output is itself a valid configuration")

error_case('include = "a.conf";\n' + SITE, r'include cycle', 'an include cycle',
           files={'a.conf': 'include = "b.conf";\n', 'b.conf': 'include = "a.conf";\n'})
error_case('sendfile = true;\ninclude = "x.conf";\n' + SITE,
           r'duplicate setting "sendfile", first set in .*portico.conf:6 in .*x.conf:1',
           'the same main-level setting in two files names both', files={'x.conf': 'sendfile = false;\n'})
error_case('upstreams = { u = { servers = [ "127.0.0.1:1" ]; }; };\ninclude = "x.conf";\n' + SITE,
           r'duplicate upstream "u"', 'an upstream defined twice',
           files={'x.conf': 'upstreams = { u = { servers = [ "127.0.0.1:2" ]; }; };\n'})

# Versions and help.
r = subprocess.run([PORTICO, '-v'], capture_output=True, text=True)
ok(r.returncode == 0 and re.match(r'portico version: portico/\d+\.\d+\.\d+\n$', r.stdout),
   '-v prints the version')
r = subprocess.run([PORTICO, '-V'], capture_output=True, text=True)
for lib in ('configure arguments', 'OpenSSL', 'libconfig', 'jemalloc', 'nghttp2', 'zlib'):
    like(r.stdout, lib, '-V names %s' % lib)
r = subprocess.run([PORTICO, '-h'], capture_output=True, text=True)
ok(r.returncode == 0 and r.stdout.startswith('usage: portico'), '-h prints usage on stdout')
r = subprocess.run([PORTICO, '-x'], capture_output=True, text=True)
ok(r.returncode != 0 and 'invalid option' in r.stderr, 'an unknown option fails')
r = subprocess.run([PORTICO, '-s', 'bogus', '-c', '/dev/null'], capture_output=True, text=True)
ok(r.returncode != 0 and 'invalid option' in r.stderr, '-s with an unknown signal fails')

# -s with no master running.
p = Portico(SITE, start=False)
rc, out, err = p.run('-s', 'reload')
ok(rc != 0 and re.search(r'open\(\) ".*portico.pid" failed', err), '-s without a pid file fails clearly')
done()
