"""contrib/demo is quiet: the build's output goes to build/demo/build.log,
shown only when the build fails, and the terminal gets a few lines: what
was built, the URL, how to stop it.  It runs on a copy of the checkout's
contrib/ whose build is a stand-in that prints as much as a real one and
installs the portico under test, with packages taken as installed."""
import os
import shutil
import stat
import subprocess
import tempfile

from harness import *

MAKEFILE = '''all:
\t@for i in $$(seq 200); do echo "  CC       server/file$$i.o"; done
\t@echo "warning: a compiler being chatty" >&2
\t@%s
\t@ln -sf %s portico
'''


def tree(build_ok):
    """A checkout: the real contrib/demo and contrib/deps, a configured
    build/ whose make is the stand-in, the demo site on a free port."""
    top = tempfile.mkdtemp(prefix='portico-demo.')
    os.chmod(top, 0o755)
    shutil.copytree(os.path.join(SRCDIR, 'contrib'), os.path.join(top, 'contrib'))
    os.makedirs(os.path.join(top, 'build'))
    os.makedirs(os.path.join(top, 'conf.d', 'html'))
    os.makedirs(os.path.join(top, 'bin'))
    port = free_port()
    files = {
        'configure': '#!/bin/sh\nexit 0\n',
        'bin/dpkg-query': '#!/bin/sh\necho "install ok installed"\n',
        'build/Makefile': MAKEFILE % ('true' if build_ok else
                                      'echo "server/x.c:1: error: the build broke"; exit 1',
                                      os.path.abspath(PORTICO)),
        'conf.d/mime.types': 'text/html html\n',
        'conf.d/html/index.html': 'the demo\n',
        'conf.d/demo.conf': 'types_file = "mime.types";\nservers = ( { listen = '
                            '"127.0.0.1:%d"; root = "html"; } );\n' % port,
    }
    for name, text in files.items():
        with open(os.path.join(top, name), 'w') as f:
            f.write(text)
    for name in ('configure', 'bin/dpkg-query'):
        os.chmod(os.path.join(top, name), 0o755)
    return top, port


def demo(top):
    env = dict((k, v) for k, v in os.environ.items()
               if k not in ('MAKEFLAGS', 'MFLAGS', 'MAKELEVEL'))
    env['PATH'] = os.path.join(top, 'bin') + ':' + env['PATH']
    return subprocess.run(['sh', os.path.join(top, 'contrib', 'demo')], cwd=top, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=120)


top, port = tree(True)
r = demo(top)
lines = r.stdout.splitlines()
is_(r.returncode, 0, 'the demo starts')
ok(len(lines) <= 5, 'the terminal gets a few lines (%d)' % len(lines)) or diag(r.stdout)
ok(not any('CC' in l or 'chatty' in l for l in lines), 'and none of the build\'s')
like(r.stdout, r'built portico/\d+\.\d+\.\d+', 'it says what it built')
like(r.stdout, r'http://127\.0\.0\.1:8080/', 'the URL')
like(r.stdout, r'stop it with: build/portico -c build/demo/portico.conf -s stop',
     'how to stop it')
log = open(os.path.join(top, 'build', 'demo', 'build.log')).read()
ok('server/file200.o' in log and 'chatty' in log, 'the build\'s output is in build/demo/build.log')
is_(get(port)[0], 200, 'the demo site is served')
subprocess.run([os.path.join(top, 'build', 'portico'), '-c',
                os.path.join(top, 'build', 'demo', 'portico.conf'), '-s', 'stop'])
pidfile = os.path.join(top, 'build', 'demo', 'portico.pid')
ok(wait_for(lambda: not os.path.exists(pidfile)), 'and stops as it says')
shutil.rmtree(top, ignore_errors=True)

top, port = tree(False)
r = demo(top)
ok(r.returncode != 0, 'a failed build fails the demo')
like(r.stdout, r'error: the build broke', 'and shows the end of the build log')
ok(not os.path.exists(os.path.join(top, 'build', 'demo', 'portico.pid')), 'nothing runs')
shutil.rmtree(top, ignore_errors=True)
done()
