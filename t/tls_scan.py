"""TLS defaults a scanner passes: testssl.sh against a server that sets
nothing about TLS but its certificates (RSA and ECDSA) finds no weakness --
the server's cipher order and the suites of each protocol (-P), no CBC
suites (LUCKY13, -L).  Only these checks run: testssl.sh spends half a
minute of CPU before its first check already.  Findings about the
self-signed test certificate would not count."""
import os
import re
import shutil
import subprocess
import tempfile

from harness import *
from tlsutil import make_cert

TESTSSL = shutil.which('testssl') or shutil.which('testssl.sh')
if TESTSSL is None:
    ok(True, 'testssl.sh finds nothing to fault # SKIP testssl.sh is not installed '
       '(Debian package testssl.sh)')
    done()
# The scan takes minutes and checks settings, not memory: once, in the plain
# build, is enough.
if '--enable-sanitizers' in subprocess.run([PORTICO, '-V'], capture_output=True,
                                           text=True).stderr:
    ok(True, 'testssl.sh finds nothing to fault # SKIP a sanitizer build; the plain '
       'build scans the same defaults')
    done()

CERTS = tempfile.mkdtemp(prefix='portico-certs.')
os.chmod(CERTS, 0o755)
RSA = make_cert(CERTS, 'scan.test', 'rsa')
EC = make_cert(CERTS, 'scan.test', 'ec')
with Portico('servers = ( { listen = "127.0.0.1:{port} ssl http2"; server_name = "scan.test";\n'
             '  ssl_certificate = [ "%s", "%s" ]; ssl_certificate_key = [ "%s", "%s" ];\n'
             '  return = "200 scanned"; } );\n' % (RSA[0], EC[0], RSA[1], EC[1])) as p:
    r = subprocess.run([TESTSSL, '--quiet', '--color', '0', '--warnings', 'off',
                        '--nodns', 'none', '-P', '-L', '127.0.0.1:%d' % p.port],
                       capture_output=True, text=True, timeout=600)
    out = r.stdout
    ok('Has server cipher order' in out and 'LUCKY13' in out,
       'testssl.sh ran its checks') or diag(out + r.stderr)
    bad = [l.strip() for l in out.splitlines()
           if ('NOT ok' in l or re.search(r'(?<!not )VULNERABLE', l))
           and not re.search(r'certificate|chain of trust|self.signed', l, re.I)]
    if not ok(not bad, 'testssl.sh finds nothing to fault in the TLS defaults'):
        diag('\n'.join(bad))
    like(out, r'Has server cipher order\?\s+yes \(OK\)', 'the server orders the ciphers')
    like(out, r'LUCKY13 \(CVE-2013-0169\).*not vulnerable \(OK\)', 'no CBC suites')
    protocols = re.findall(r'^\s+(SSLv\d|TLSv1(?:\.\d)?):', out, re.M)
    is_(protocols, ['TLSv1.2', 'TLSv1.3'], 'TLS 1.2 and 1.3 only')
    tls12 = re.search(r'TLSv1\.2:\s+(.*?)\n\s+TLSv1\.3', out, re.S)
    ok(tls12 is not None and all(re.match(r'ECDHE-(RSA|ECDSA)-(AES\d+-GCM-SHA\d+|CHACHA20-POLY1305)$', c)
                                 for c in tls12.group(1).split()),
       'TLS 1.2 offers ECDHE with AES-GCM or ChaCha20-Poly1305 only')
shutil.rmtree(CERTS, ignore_errors=True)
done()
