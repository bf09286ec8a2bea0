"""make install into a DESTDIR, as a package build does.

The installed tree is checked against SPEC.md section 1 (under the
directories configure was given); a second make install keeps an edited
portico.conf and puts the shipped one beside it; the installed init script
then runs a daemon of that tree through the overrides of its defaults file
(start, status, reload with a good and with a bad configuration, restart,
stop); portico-ensite and portico-dissite change the tree's sites; and
make uninstall removes all that install put there but the edited file.
"""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

from harness import ok, is_, like, diag, done, free_port, wait_port, get

BUILDDIR = os.environ.get('BUILDDIR', '.')
# The sub-make must not join make check's jobserver or take its variables.
MAKE_ENV = {k: v for k, v in os.environ.items()
            if k not in ('MAKEFLAGS', 'MFLAGS', 'MAKELEVEL')}


def make(*args):
    return subprocess.run(['make', '-s', '--no-print-directory', '-C', BUILDDIR] + list(args),
                          capture_output=True, text=True, timeout=120, env=MAKE_ENV)


def read(path):
    try:
        with open(path, errors='replace') as f:
            return f.read()
    except OSError:
        return ''


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)
    os.chmod(path, mode)


def run(cmd, env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, **(env or {})))
    return p.returncode, p.stdout + p.stderr


# configure's directories, as make install uses them.
names = ('sbindir sysconfdir datadir mandir localstatedir runstatedir '
         'systemdsystemunitdir VERSION').split()
p = make('--eval', 'portico-dirs: ; @printf "%s\\n" '
         + ' '.join('%s=$(%s)' % (n, n) for n in names), 'portico-dirs')
D = dict(line.split('=', 1) for line in p.stdout.splitlines() if '=' in line)
if not ok(p.returncode == 0 and all(n in D for n in names), 'configure\'s directories'):
    diag(p.stdout + p.stderr)
    done()

tmp = tempfile.mkdtemp(prefix='portico-install.')
os.chmod(tmp, 0o755)
dest = os.path.join(tmp, 'root')


def at(*parts):
    """A path of the installed tree."""
    return dest + os.path.join(*parts)


etc = at(D['sysconfdir'], 'portico')
sbin = at(D['sbindir'])


def layout():
    p = make('install', 'DESTDIR=' + dest)
    if not ok(p.returncode == 0, 'make install DESTDIR=…'):
        diag(p.stdout + p.stderr)
        return False
    exe = [os.path.join(sbin, n) for n in ('portico', 'portico-ensite', 'portico-dissite',
                                           'portico-convert')]
    exe.append(at(D['sysconfdir'], 'init.d', 'portico'))
    files = [os.path.join(etc, n) for n in ('portico.conf', 'mime.types', 'sites-available/default')]
    files += [at(D['datadir'], 'portico/html/index.html'),
              at(D['sysconfdir'], 'default/portico'),
              at(D['sysconfdir'], 'logrotate.d/portico')]
    files += [at(D['mandir'], m) for m in ('man8/portico.8', 'man5/portico.conf.5',
                                           'man8/portico-ensite.8', 'man8/portico-dissite.8',
                                           'man8/portico-convert.8')]
    if D['systemdsystemunitdir'] != 'no':
        files.append(at(D['systemdsystemunitdir'], 'portico.service'))
    dirs = [os.path.join(etc, n) for n in ('conf.d', 'sites-available', 'sites-enabled')]
    dirs.append(at(D['localstatedir'], 'log/portico'))
    missing = [f for f in exe if not os.access(f, os.X_OK)]
    missing += [f for f in files if not os.path.isfile(f)]
    missing += [d for d in dirs if not os.path.isdir(d)]
    if not ok(not missing, 'every file of SPEC.md section 1 is installed'):
        diag('missing: ' + ' '.join(m[len(dest):] for m in missing))
    link = os.path.join(etc, 'sites-enabled/default')
    ok(os.path.islink(link) and not os.readlink(link).startswith('/')
       and os.path.realpath(link) == os.path.realpath(os.path.join(etc, 'sites-available/default')),
       'sites-enabled/default is a relative link to sites-available/default')

    conf = read(os.path.join(etc, 'portico.conf'))
    like(conf, r'pid = "%s/portico.pid";' % re.escape(D['runstatedir']), 'pid file in runstatedir')
    like(conf, r'error_log = "%s/log/portico/error.log";' % re.escape(D['localstatedir']),
         'error log in localstatedir/log/portico')
    like(conf, r'access_log = "%s/log/portico/access.log combined";' % re.escape(D['localstatedir']),
         'access log in combined format')
    like(conf, r'include = \[ "conf.d/\*.conf", "sites-enabled/\*" \];', 'includes conf.d and sites-enabled')
    site = read(os.path.join(etc, 'sites-available/default'))
    like(site, r'root = "%s/portico/html";' % re.escape(D['datadir']), 'default site serves the welcome page')
    like(site, r'listen = \[ "80 default_server"', 'default site listens on port 80')
    unit = read(at(D['systemdsystemunitdir'], 'portico.service'))
    if D['systemdsystemunitdir'] != 'no':
        for pat in (r'Type=forking', r'PIDFile=%s/portico.pid' % re.escape(D['runstatedir']),
                    r'ExecStartPre=\S+/portico -t -q', r'ExecReload=\S+/portico -s reload',
                    r'KillSignal=SIGQUIT', r'TimeoutStopSec=\d+'):
            like(unit, r'(?m)^' + pat + '$', 'unit sets ' + pat.split('=')[0])
    rot = read(at(D['sysconfdir'], 'logrotate.d/portico'))
    ok(all(re.search(r'(?m)^\s*%s$' % w, rot) for w in ('daily', 'compress', 'delaycompress', 'rotate 14'))
       and '-s reopen' in rot, 'logrotate: daily, compress, delaycompress, then reopen')
    init = read(at(D['sysconfdir'], 'init.d/portico'))
    ok('### BEGIN INIT INFO' in init and 'Provides:          portico' in init, 'init script has LSB headers')
    is_(run(['sh', '-n', at(D['sysconfdir'], 'init.d/portico')])[0], 0, 'init script parses')

    texts = [init, conf, site, unit, rot, read(at(D['sysconfdir'], 'default/portico')),
             read(os.path.join(sbin, 'portico-ensite'))]
    mans = [read(at(D['mandir'], m)) for m in ('man8/portico.8', 'man5/portico.conf.5',
                                               'man8/portico-ensite.8', 'man8/portico-convert.8')]
    left = [m.group(0) for t in texts + mans for m in re.finditer(r'@[a-zA-Z_]+@', t)]
    ok(not left, 'every @variable@ substituted')
    if left:
        diag(' '.join(sorted(set(left))))
    ver = D['VERSION']
    is_(run([os.path.join(sbin, 'portico'), '-v'])[1].strip(), 'portico version: portico/' + ver,
        'portico -v shows the version of AC_INIT')
    ok(all(('.Os portico %s\n' % ver) in m for m in mans), 'man pages show that version')
    return True


def reinstall():
    """An edited portico.conf and a disabled default site survive make install."""
    path = os.path.join(etc, 'portico.conf')
    # Also the configuration portico-ensite checks later: logs inside the tree.
    conf = read(path)
    for d in ('runstatedir', 'localstatedir'):
        conf = conf.replace('"%s/' % D[d], '"%s/' % at(D[d]))
    os.makedirs(at(D['runstatedir']), exist_ok=True)
    write(path, conf + '# edited\n')
    os.unlink(os.path.join(etc, 'sites-enabled/default'))
    p = make('install', 'DESTDIR=' + dest)
    if not ok(p.returncode == 0, 'second make install'):
        diag(p.stdout + p.stderr)
    is_(read(path), conf + '# edited\n', 'edited portico.conf kept')
    is_(read(path + '.default'), read(os.path.join(BUILDDIR, 'conf.d/portico.conf')),
        'the shipped one installed as portico.conf.default')
    ok(not os.path.exists(os.path.join(etc, 'mime.types.default')), 'no .default beside an unchanged file')
    ok(not os.path.lexists(os.path.join(etc, 'sites-enabled/default')),
       'a disabled default site stays disabled')


def init_script():
    script = at(D['sysconfdir'], 'init.d/portico')
    rundir = os.path.join(tmp, 'run')
    port = free_port()
    pidfile = os.path.join(rundir, 'portico.pid')
    for name in ('one', 'two'):
        write(os.path.join(rundir, name, 'index.html'), name + '\n')
    conf = os.path.join(rundir, 'portico.conf')

    def config(root, extra='', ports=(port,)):
        listen = ', '.join('"127.0.0.1:%d"' % p for p in ports)
        write(conf, '''pid = "{d}/portico.pid";
error_log = "{d}/error.log";
access_log = "{d}/access.log";
types_file = "{etc}/mime.types";
workers = {{ start = 2; min_spare = 1; max_spare = 4; max = 16; }};
{extra}servers = ( {{ listen = [ {listen} ]; root = "{d}/{root}"; }} );
'''.format(d=rundir, etc=etc, listen=listen, root=root, extra=extra))

    config('one')
    defaults = os.path.join(rundir, 'default')
    write(defaults, 'DAEMON=%s/portico\nCONFFILE=%s\nPIDFILE=%s\nSTOP_TIMEOUT=10\n'
          % (sbin, conf, pidfile))
    # SYSTEMCTL_SKIP_REDIRECT: where systemd runs, init-functions would
    # hand an init script's start to systemctl.
    env = {'PORTICO_DEFAULTS': defaults, 'SYSTEMCTL_SKIP_REDIRECT': '1'}

    def service(action):
        return run([script, action], env)

    def body():
        try:
            return get(port, '/', timeout=5)[2].decode()
        except OSError as e:
            return str(e)

    try:
        rc, out = service('status')
        is_(rc, 3, 'status before start: 3 (stopped)')
        rc, out = service('start')
        if not ok(rc == 0 and wait_port(port), 'start'):
            diag(out)
            return
        master = read(pidfile).strip()
        is_(service('status')[0], 0, 'status: 0 (running)')
        is_(body(), 'one\n', 'GET / served')
        is_(service('start')[0], 0, 'start when running succeeds')

        config('two')
        rc, out = service('reload')
        is_(rc, 0, 'reload with a good configuration')
        deadline = time.time() + 10
        while body() != 'two\n' and time.time() < deadline:
            time.sleep(0.1)
        is_(body(), 'two\n', 'the new configuration is served')

        config('one', 'proxy_passs = "x";\n')
        rc, out = service('reload')
        ok(rc != 0, 'reload with a broken configuration fails')
        like(out, r'unknown setting "proxy_passs" in %s:6' % re.escape(conf), 'and shows the error')
        is_(body(), 'two\n', 'the old configuration still serves')
        is_(read(pidfile).strip(), master, 'same master')

        # An address in use: -t passes, the master cannot bind it.
        taken = socket.socket()
        taken.bind(('127.0.0.1', 0))
        taken.listen(1)
        config('one', ports=(port, taken.getsockname()[1]))
        rc, out = service('reload')
        ok(rc != 0, 'reload the master cannot carry out fails')
        like(out, r'bind\(\) to 127\.0\.0\.1:%d failed \(98: Address already in use\)'
             % taken.getsockname()[1], 'and shows the bind error')
        is_(body(), 'two\n', 'the old configuration still serves')
        taken.close()
        config('one', 'proxy_passs = "x";\n')
        rc, out = service('restart')
        ok(rc != 0 and read(pidfile).strip() == master and body() == 'two\n',
           'restart with a broken configuration leaves the server alone')
        rc, out = service('configtest')
        ok(rc != 0 and 'test failed' in out, 'configtest fails, naming the error')

        config('one')
        is_(service('configtest')[0], 0, 'configtest passes')
        rc, out = service('restart')
        ok(rc == 0 and wait_port(port) and read(pidfile).strip() != master,
           'restart: a new master')
        is_(body(), 'one\n', 'and it serves')

        rc, out = service('stop')
        is_(rc, 0, 'stop')
        ok(not wait_port(port, timeout=0.5) and not os.path.exists(pidfile),
           'stopped: port closed, pid file removed')
        is_(service('status')[0], 3, 'status after stop: 3 (stopped)')
        is_(service('stop')[0], 0, 'stop when stopped succeeds')

        dead = subprocess.Popen(['true'])
        dead.wait()
        write(pidfile, '%d\n' % dead.pid)
        is_(service('status')[0], 1, 'status with a pid file but no process: 1')
        os.unlink(pidfile)
        bad = [l for l in read(os.path.join(rundir, 'error.log')).splitlines()
               if re.search(r'\[(alert|crit|emerg)\]', l) and 'bind() to' not in l]
        if not ok(not bad, 'no [alert], [crit] or [emerg] in the error log'):
            diag('\n'.join(bad[:20]))
    finally:
        pid = read(pidfile).strip()
        if pid.isdigit():
            try:
                os.kill(int(pid), 15)
            except OSError:
                pass


def sites():
    env = {'PORTICO_CONFDIR': etc, 'PORTICO_DAEMON': os.path.join(sbin, 'portico')}
    ensite = os.path.join(sbin, 'portico-ensite')
    dissite = os.path.join(sbin, 'portico-dissite')
    enabled = os.path.join(etc, 'sites-enabled')
    rc, out = run([ensite, 'nosuch'], env)
    ok(rc != 0 and 'no site "nosuch"' in out, 'portico-ensite refuses an unknown site')
    rc, out = run([ensite, 'default'], env)
    ok(rc == 0 and os.readlink(os.path.join(enabled, 'default')) == '../sites-available/default',
       'portico-ensite default: linked')
    like(out, r'reload', 'and tells to reload')
    is_(run([ensite, 'default'], env)[0], 0, 'enabling it again is harmless')
    write(os.path.join(etc, 'sites-available/broken'), 'servers = ( { listen = "80"; rooot = "/"; } );\n')
    rc, out = run([ensite, 'broken'], env)
    ok(rc != 0 and 'unknown setting "rooot"' in out
       and not os.path.lexists(os.path.join(enabled, 'broken')),
       'a site that fails portico -t is not enabled')
    os.unlink(os.path.join(etc, 'sites-available/broken'))
    rc, out = run([dissite, 'default'], env)
    ok(rc == 0 and not os.path.lexists(os.path.join(enabled, 'default')), 'portico-dissite default')
    rc, out = run([dissite, 'nosuch'], env)
    ok(rc != 0 and 'no site "nosuch"' in out, 'portico-dissite refuses an unknown site')
    run([ensite, 'default'], env)


def uninstall():
    p = make('uninstall', 'DESTDIR=' + dest)
    if not ok(p.returncode == 0, 'make uninstall DESTDIR=…'):
        diag(p.stdout + p.stderr)
    # portico -t of portico-ensite wrote the logs.
    logs = at(D['localstatedir'], 'log/portico')
    left = []
    for d, _, fs in os.walk(dest):
        left += [os.path.join(d, f)[len(dest):] for f in fs if d != logs]
    is_(left, [os.path.join(D['sysconfdir'], 'portico/portico.conf')],
        'uninstall leaves only the edited portico.conf')


try:
    if layout():
        reinstall()
        if shutil.which('start-stop-daemon', path='/sbin:/usr/sbin:/bin:/usr/bin') and os.path.exists('/lib/lsb/init-functions'):
            init_script()
        else:
            ok(True, 'init script # SKIP needs start-stop-daemon and /lib/lsb/init-functions')
        sites()
        uninstall()
finally:
    shutil.rmtree(tmp, ignore_errors=True)
done()
