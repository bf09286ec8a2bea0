"""The process model: daemonizing, the pool kept between min_spare and
max_spare idle workers (never above max), a killed worker replaced and
logged, max_requests recycling, workers running as `user`."""
import os
import re
import signal
import socket
import subprocess
import time

from harness import *

SITE = 'servers = ( { listen = "127.0.0.1:{port}"; root = "{dir}/www"; } );\n'
FILES = {'www/index.html': 'hi\n'}


def with_workers(workers):
    """A whole configuration with its own workers group."""
    return ('workers = { %s };\nerror_log = "{dir}/error.log";\n'
            'pid = "{dir}/portico.pid";\naccess_log = "{dir}/access.log";\n'
            'types_file = "%s";\nkeepalive_park = "off";\n' % (workers, MIME_TYPES)) + SITE



def hold(port, n):
    """n open keep-alive connections, each after one request (so each
    holds a worker: the pool's configurations park nothing)."""
    socks = []
    for _ in range(n):
        s = socket.create_connection(('127.0.0.1', port), timeout=5)
        s.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
        s.recv(4096)
        socks.append(s)
    return socks


def gone(pid):
    """Exited (a zombie too: the sandbox's init may not reap)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] == 'Z'
    except OSError:
        return True


# Daemonizing: the command returns once the pid file names a live master.
p = Portico(SITE, files=FILES, start=False)
r = subprocess.run([PORTICO, '-c', p.conf_path], capture_output=True, text=True, timeout=20)
is_(r.returncode, 0, 'portico daemonizes and exits 0')
pidfile = os.path.join(p.dir, 'portico.pid')
ok(os.path.exists(pidfile), 'the pid file exists when the command returns')
master = int(open(pidfile).read())
ok(os.path.exists('/proc/%d' % master), 'it names the running master')
is_(get(p.port)[0], 200, 'the daemon serves')
is_(os.getsid(master) == master, True, 'the daemon leads its own session')
rc, _, _ = p.run('-s', 'stop')
is_(rc, 0, '-s stop')
ok(wait_for(lambda: not os.path.exists('/proc/%d' % master)), 'the master exits')
ok(not os.path.exists(pidfile), 'and removes its pid file')

# A second copy with the same pid file says what runs, before it would fail
# to bind; a pid file that names a dead process, or another program, is
# stale and does not stop a start.
with Portico(SITE, files=FILES) as p:
    pidfile = os.path.join(p.dir, 'portico.pid')
    ok(wait_for(lambda: os.path.exists(pidfile)), 'the master wrote its pid file')
    rc, out, err = p.run()
    is_(rc, 1, 'a second copy exits 1')
    is_(err, 'portico: [emerg] portico is already running (pid %d, pid file %s)\n'
        % (p.pid(), pidfile), 'and says which master runs, and nothing about binding')
    rc, out, err = p.run('-t')
    is_(rc, 0, '-t is not affected')
    is_(p.run('-s', 'reopen')[0], 0, 'nor is -s')
    is_(get(p.port)[0], 200, 'the first copy serves on')
p = Portico(SITE, files=FILES, start=False)
pidfile = os.path.join(p.dir, 'portico.pid')
dead = subprocess.Popen(['true'])
dead.wait()
other = subprocess.Popen(['sleep', '30'])
for pid, what in ((dead.pid, 'a dead process'), (other.pid, 'a live process that is not portico')):
    with open(pidfile, 'w') as f:
        f.write('%d\n' % pid)
    r = subprocess.run([PORTICO, '-c', p.conf_path], capture_output=True, text=True, timeout=20)
    ok(r.returncode == 0 and 'already running' not in r.stderr,
       'a pid file naming %s is stale: portico starts' % what)
    is_(get(p.port)[0], 200, '  and serves')
    master = int(open(pidfile).read())
    p.run('-s', 'stop')
    # Gone, not only its pid file: its sockets close when it exits.
    ok(wait_for(lambda: gone(master), 10), '  and stops')
other.kill()
other.wait()

# The pool: start, growth to keep min_spare idle, max, shrink.
with Portico(with_workers('start = 3; min_spare = 2; max_spare = 3; max = 6;'),
             files=FILES, main=False) as p:
    ok(wait_for(lambda: len(p.workers()) == 3), 'workers.start workers run (3)')
    socks = hold(p.port, 3)
    ok(wait_for(lambda: len(p.workers()) == 5), 'with 3 busy the pool grows to keep 2 idle (5)')
    socks += hold(p.port, 2)
    ok(wait_for(lambda: len(p.workers()) == 6), 'never above workers.max (6)')
    time.sleep(0.5)
    is_(len(p.workers()), 6, 'still 6 with 5 busy and max reached')
    for s in socks:
        s.close()
    ok(wait_for(lambda: len(p.workers()) <= 3, timeout=8), 'idle surplus above max_spare retires')
    ok(len(p.workers()) >= 2, 'but min_spare idle stay')

# A worker killed with SIGKILL is replaced and its death logged at alert.
with Portico(SITE, files=FILES) as p:
    ok(wait_for(lambda: len(p.workers()) == 2), 'two workers to start with')
    victim = p.workers()[0]
    os.kill(victim, signal.SIGKILL)
    ok(wait_for(lambda: victim not in p.workers() and len(p.workers()) == 2),
       'the killed worker is replaced')
    is_(get(p.port)[0], 200, 'and requests are served')
    ok(wait_for(lambda: 'worker process %d exited on signal 9' % victim in p.error_log()),
       'its death is logged with the signal')
    like(p.error_log(), r'\[alert\] \d+#0: worker process %d exited on signal 9' % victim,
         'at alert level, as nginx')
    p.stop(check_log=False)
    bad = [l for l in p.error_log().splitlines()
           if ('[alert]' in l or '[crit]' in l or '[emerg]' in l) and 'signal 9' not in l]
    is_(bad, [], 'nothing else alarming in the log')

# A worker's death says what its scoreboard slot said it was doing.
with Portico(SITE, files={'www/index.html': 'hi\n', 'www/big.bin': b'x' * (8 << 20)}) as p:
    s = socket.create_connection(('127.0.0.1', p.port), timeout=5)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.sendall(b'GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n')
    s.recv(4096)
    out = subprocess.run(['ss', '-Htnp', 'src 127.0.0.1:%d dst 127.0.0.1:%d'
                          % (p.port, s.getsockname()[1])], capture_output=True, text=True).stdout
    busy = [int(x) for x in re.findall(r'pid=(\d+)', out)]
    ok(len(busy) == 1 and busy[0] in p.workers(), 'the worker sending big.bin is found')
    if busy:
        os.kill(busy[0], signal.SIGKILL)
    ok(wait_for(lambda: 'exited on signal 9' in p.error_log()), 'its death is logged')
    like(p.error_log(), r'\[alert\] \d+#0: worker process %d exited on signal 9 while writing, '
         r'client: 127\.0\.0\.1, request: "GET /big\.bin HTTP/1\.1"\n' % (busy or [0])[0],
         'with its state, client and request line')
    s.close()
    p.stop(check_log=False)

# max_requests recycles a worker after that many connections.
with Portico(with_workers('start = 1; min_spare = 0; max_spare = 1; max = 1; '
                          'max_requests = 3;'), files=FILES, main=False) as p:
    ok(wait_for(lambda: len(p.workers()) == 1), 'one worker')
    first = p.workers()[0]
    for _ in range(3):
        get(p.port)
    ok(wait_for(lambda: p.workers() and p.workers()[0] != first), 'after 3 connections a new worker serves')
    is_(get(p.port)[0], 200, 'the new worker serves')

# Privileges: the master stays root, workers run as `user`.
with Portico(SITE, files=FILES) as p:
    m = p.pid()
    wait_for(lambda: p.workers())
    if os.geteuid() == 0:
        import pwd
        uid = pwd.getpwnam('www-data').pw_uid
        uids = [int(open('/proc/%d/status' % w).read().split('Uid:')[1].split()[0])
                for w in p.workers()]
        ok(uids and all(u == uid for u in uids), 'workers run as www-data')
        is_(int(open('/proc/%d/status' % m).read().split('Uid:')[1].split()[0]), 0,
            'the master stays root')
    else:
        ok(True, 'workers run as www-data # SKIP not root')
        ok(True, 'the master stays root # SKIP not root')

done()
