"""Reloads and their sockets: an address a reload drops is closed in every
process at once (connection refused, and it can be bound again); only the
workers of the configuration hold its sockets, helpers none; the health
checker restarts with a reload, the connection keeper runs on; `-s reload`
waits for the master's verdict and exits non-zero when the reload failed,
for example on a bind error that -t cannot see, while the old listeners
and connections go on; a reload beyond 32 live configurations waits for
the oldest to finish; the status page lists the helpers by role."""
import http.client
import json
import re
import socket
import subprocess
import time

from backend import Backend
from harness import *

BIG = b'x' * (8 << 20)
FILES = {'www/index.html': 'hi\n', 'www/big.bin': BIG}


def site(ports, gen):
    listen = ', '.join('"127.0.0.1:{%s}"' % p for p in ports)
    return ('servers = ( { listen = [ %s ]; root = "{dir}/www"; '
            'add_header = { X-Gen = "%s"; }; '
            'locations = ( { match = "/"; }, '
            '{ match = "= /status.json"; status = "json"; } ); } );\n' % (listen, gen))


def refused(port):
    """Is a connection to port refused at once (rather than accepted)?"""
    try:
        socket.create_connection(('127.0.0.1', port), timeout=2).close()
        return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


def holders(port):
    """PIDs of the processes holding the listening socket of port."""
    out = subprocess.run(['ss', '-Hltnp', 'sport = :%d' % port], capture_output=True,
                         text=True).stdout
    return {int(p) for p in re.findall(r'pid=(\d+)', out)}


def slow_download(port):
    """A GET of big.bin read only 4 KiB far: the worker serving it stays busy."""
    s = socket.create_connection(('127.0.0.1', port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.sendall(b'GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    return s, s.recv(4096)


def finish(s, first):
    got = len(first)
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += len(b)
    s.close()
    return got


# 11.1: a dropped address refuses connections at once, even while an old
# worker still serves a download; reloading back to it binds it again.
with Portico(site(['port', 'port2'], 'one'), files=FILES) as p:
    port1, port2 = p.ports
    is_(get(port2)[1].get('x-gen'), 'one', 'both addresses serve')
    s, first = slow_download(port2)
    p.write_conf(site(['port'], 'two'))
    rc, out, err = p.run('-s', 'reload')
    ok(rc == 0 and re.search(r'reloaded: generation 2 serves', out),
       '-s reload waits and says the new generation')
    if not ok(wait_for(lambda: refused(port2), 1),
              'the dropped address refuses connections at once, download or not'):
        diag(err + p.error_log())
    ok(p.pid() not in holders(port2) and not holders(port2),
       'no process holds its socket any more (old worker included)')
    is_(get(port1)[1].get('x-gen'), 'two', 'the kept address serves the new configuration')
    ok(finish(s, first) > len(BIG), 'the download on the dropped address completes')

    workers = set(p.workers())
    ok(holders(port1) <= workers | {p.pid()}, 'the kept socket is held by the master and its workers')
    p.write_conf(site(['port', 'port2'], 'three'))
    rc, out, err = p.run('-s', 'reload')
    if not ok(rc == 0, 'reloading back to the dropped address works'):
        diag(err)
    is_(get(port2)[1].get('x-gen'), 'three', 'and it serves again')
    ok('Address already in use' not in p.error_log(), 'no "Address already in use"')

# 11.2: a reload that cannot bind says so, exits 1, and changes nothing.
with Portico(site(['port'], 'one'), files=FILES, ports=2) as p:
    port1, port2 = p.ports
    taken = socket.socket()
    taken.bind(('127.0.0.1', port2))
    taken.listen(8)
    keep = http.client.HTTPConnection('127.0.0.1', port1, timeout=5)
    keep.request('GET', '/index.html')
    r = keep.getresponse()
    r.read()
    p.write_conf(site(['port', 'port2'], 'two'))
    rc, out, err = p.run('-t')
    is_(rc, 0, '-t cannot see that the address is taken')
    t0 = time.time()
    rc, out, err = p.run('-s', 'reload')
    ok(rc == 1, '-s reload exits 1 when the reload failed')
    like(err, r'portico: \[emerg\] bind\(\) to 127\.0\.0\.1:%d failed \(98: Address already in use\)'
         % port2, 'and prints the bind error')
    like(err, r'reload failed: keeping the running configuration \(generation 1\)',
         'and that generation 1 keeps serving')
    ok(time.time() - t0 < 3, 'the verdict comes at once (%.2fs)' % (time.time() - t0))
    keep.request('GET', '/index.html')
    r = keep.getresponse()
    ok(r.status == 200 and r.getheader('X-Gen') == 'one' and r.read() == b'hi\n',
       'a connection open before the reload goes on')
    keep.close()
    is_(get(port1)[1].get('x-gen'), 'one', 'the old listener serves the old configuration')
    ok(p.workers(), 'workers run')

    p.write_conf(site(['port'], 'bad') + 'bogus = 1;\n')
    rc, out, err = p.run('-s', 'reload')
    ok(rc == 1 and 'unknown setting "bogus"' in err, 'a bad configuration: exit 1 with its error')

    taken.close()
    p.write_conf(site(['port', 'port2'], 'three'))
    rc, out, err = p.run('-s', 'reload')
    ok(rc == 0 and 'generation 2 serves' in out, 'the reload that fixes it succeeds (generation 2)')
    is_(get(port2)[1].get('x-gen'), 'three', 'and the new address serves')

    rc, out, err = p.run('-w', '0', '-s', 'reload')
    ok(rc == 0 and out == '', '-w 0 only sends the signal')
    ok(wait_for(lambda: 'generation 3' in p.error_log()), 'and the master reloads')
    rc, out, err = p.run('-w', 'x', '-s', 'reload')
    ok(rc == 1 and 'invalid option' in err, '-w takes seconds')
    p.signal(signal.SIGQUIT)
    ok(wait_for(lambda: p.proc.poll() is not None), 'QUIT stops the master')
    ok(not os.path.exists(os.path.join(p.dir, 'portico.reload')),
       'which removes its reload page with its pid file')
    p.stop(check_log=False)     # the bind error and the bogus setting are emerg

# Up to 32 configurations live at once: with 31 generations draining (each
# held by a slow download), a reload waits until the oldest is done, then
# happens.
with Portico(site(['port'], 'one'), files=FILES) as p:
    def generations():
        return {w['generation'] for w in json.loads(get(p.port, '/status.json')[2])['processes']}
    held = []
    for i in range(64):
        held.append(slow_download(p.port))
        if len(generations()) == 32:
            break
        p.run('-s', 'reload')
    is_(len(generations()), 32, '32 configurations live, 31 of them draining')
    last = max(generations())
    rc, out, err = p.run('-w', '1', '-s', 'reload')
    ok(rc == 1 and 'no verdict within 1 s' in err, 'one more reload waits (%s)' % err.strip())
    like(p.error_log(), r'31 configurations still draining; the reload waits for the oldest',
         'and the error log says why')
    for s, first in held:
        s.close()
    ok(wait_for(lambda: 'reconfigured: generation %d' % (last + 1) in p.error_log(), 30),
       'once the downloads end, the reload happens')
    ok(wait_for(lambda: generations() == {last + 1}, 30), 'and its generation alone serves')
    p.stop(check_log=False)     # the downloads ended in errors

# Helpers: the health checker is listed on the status page with its role,
# holds no listening socket, and restarts with each reload.
B = Backend('b')
HC = ('upstreams = { app = { servers = [ "%s" ]; health_check = { uri = "/health"; '
      'interval = "1s"; }; }; };\n' % B.addr)
with Portico(HC + site(['port'], 'one'), files=FILES) as p:
    def helper(role):
        """The helper of role on the status page, or None."""
        return next((h for h in json.loads(get(p.port, '/status.json')[2])['helpers']
                     if h['role'] == role), None)

    def checker():
        return helper('health checker')
    ok(wait_for(lambda: checker()), 'the status page lists the health checker by role')
    h, keeper = checker(), helper('connection keeper')
    ok(keeper and keeper['pid'] not in holders(p.port),
       'and the connection keeper, holding no listening socket either')
    ok(h['pid'] in p.children(), 'a child of the master')
    ok(h['pid'] not in holders(p.port), 'holding no listening socket')
    rc, out, err = p.run('-s', 'reload')
    ok(wait_for(lambda: checker() and checker()['pid'] != h['pid']),
       'a reload restarts it with the new configuration')
    ok(wait_for(lambda: not os.path.exists('/proc/%d' % h['pid'])), 'the old one exits')
    is_(helper('connection keeper')['pid'], keeper['pid'], 'the keeper runs on across the reload')
    p.write_conf(site(['port'], 'two'))
    p.run('-s', 'reload')
    ok(wait_for(lambda: checker() is None), 'a configuration without checks stops it')
B.stop()
done()
