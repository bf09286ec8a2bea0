"""The proxy cache with real clients and backends: MISS then HIT byte-exact
with one backend request, HEAD and Range from a stored GET, what is not
stored (private, no-store, Set-Cookie, Vary: *), max-age and EXPIRED,
Vary, stale answers while the backend is down and while updating,
background update, revalidation, proxy_cache_lock across workers, the
bypass and no_cache predicates, min_uses, a restart and a reload keeping
entries, the manager keeping max_size and dropping inactive entries, the
loader, corrupted and truncated files, a full keys_zone, a full disk, a
worker killed while filling, the status page, $upstream_cache_status in
add_header and the access log, and -t."""
import glob
import http.client
import json
import os
import re
import signal
import subprocess
import threading
import time
import zlib

import harness
from harness import *
from backend import Backend, pattern

B = Backend('b')        # the main backend
DOWN = Backend('down')  # stopped to test stale answers
SLOW = Backend('slow')  # slowed to test updating, locks and kills

WORKERS = 'workers = { start = 2; min_spare = 1; max_spare = 4; max = 16; };'
MAIN = harness.MAIN.replace(WORKERS, 'workers = { start = 4; min_spare = 2; '
                            'max_spare = 64; max = 64; };') % harness.MIME_TYPES


def conf(cache_path='{dir}/cache levels=1:2 keys_zone=c:1m', extra=''):
    return MAIN + '''
log_format = { cache = "$request_uri $status $upstream_cache_status"; };
proxy_cache_path = "%s";
proxy_cache_valid = "200 10m";
add_header_always = { X-Cache = "$upstream_cache_status"; };
%s
servers = ( { listen = [ "127.0.0.1:{port}", "127.0.0.1:{port2} http2" ];
  access_log = "{dir}/access.log cache";
  proxy_cache = "c";
  locations = (
    { match = "/"; proxy_pass = "http://%s"; },
    { match = "/lock/"; proxy_pass = "http://%s"; proxy_cache_lock = true;
      proxy_cache_lock_timeout = "20s"; proxy_cache_lock_age = "30s"; },
    { match = "/stale/"; proxy_pass = "http://%s"; proxy_cache_valid = "200 1s";
      proxy_cache_use_stale = "error timeout http_500"; proxy_connect_timeout = "1s"; },
    { match = "/nostale/"; proxy_pass = "http://%s"; proxy_cache_valid = "200 1s"; },
    { match = "/stale5/"; proxy_pass = "http://%s"; proxy_cache_valid = "200 1s";
      proxy_cache_use_stale = "http_500 http_503"; },
    { match = "/upd/"; proxy_pass = "http://%s"; proxy_cache_valid = "200 1s";
      proxy_cache_use_stale = "updating"; },
    { match = "/bg/"; proxy_pass = "http://%s"; proxy_cache_valid = "200 1s";
      proxy_cache_use_stale = "updating"; proxy_cache_background_update = true; },
    { match = "/reval/"; proxy_pass = "http://%s"; proxy_cache_valid = "200 1s";
      proxy_cache_revalidate = true; },
    { match = "/bypass/"; proxy_pass = "http://%s";
      proxy_cache_bypass = "$http_x_bypass $arg_skip"; proxy_no_cache = [ "$arg_nocache" ]; },
    { match = "/twice/"; proxy_pass = "http://%s"; proxy_cache_min_uses = 2; },
    { match = "/off/"; proxy_pass = "http://%s"; proxy_cache = "off"; },
    { match = "/gz/"; proxy_pass = "http://%s"; gzip = true; gzip_types = "application/json"; },
    { match = "= /status"; status = "text"; },
    { match = "= /status.json"; status = "json"; },
    { match = "= /metrics"; status = "prometheus"; }
  ); } );
''' % ((cache_path, extra, B.addr, SLOW.addr, DOWN.addr, DOWN.addr, SLOW.addr, SLOW.addr,
        SLOW.addr, B.addr, B.addr, B.addr, B.addr, B.addr))


def fetch(port, path, headers=None, method='GET'):
    st, h, body = request(port, method, path, headers)
    return st, h.get('x-cache'), body


def counted(backend, fn):
    """fn()'s result and how many requests it sent the backend."""
    before = backend.requests
    out = fn()
    return out, backend.requests - before


def files(p):
    return [f for f in glob.glob(p.dir + '/cache/**', recursive=True) if os.path.isfile(f)]


def cache_status(port):
    return json.loads(get(port, '/status.json')[2])['proxy_caches']['c']


def file_of(p, path):
    """The cache file that holds the answer for path (by its key)."""
    key = ('http127.0.0.1:%d%s' % (B.port, path)).encode()
    for f in files(p):
        with open(f, 'rb') as fh:
            if key in fh.read(4096):
                return f
    return None


with Portico(conf(), main=False, ports=2) as p:
    P = p.port

    # MISS, then HIT byte-exact, with the backend asked once.
    for frame in ('length', 'chunked', 'close'):
        path = '/a?size=70000&frame=' + frame
        (first, n1) = counted(B, lambda: fetch(P, path))
        (second, n2) = counted(B, lambda: fetch(P, path))
        is_((first[0], first[1], second[0], second[1]), (200, 'MISS', 200, 'HIT'),
            'MISS then HIT (%s framing upstream)' % frame)
        ok(first[2] == pattern(70000) and second[2] == pattern(70000),
           'both bodies byte-exact (%s)' % frame)
        is_((n1, n2), (1, 0), 'the backend was asked once (%s)' % frame)

    st, h, body = get(P, '/a?size=70000&frame=length')
    is_(h.get('content-length'), '70000', 'a hit has the stored length')
    ok('x-backend' in h and 'connection' in h and h.get('server', '').startswith('portico'),
       "a hit keeps the upstream's headers and has portico's own")

    # HEAD is answered from the GET entry; Range gets 206 from the file.
    (res, n) = counted(B, lambda: request(P, 'HEAD', '/a?size=70000&frame=length'))
    is_((res[0], res[1].get('x-cache'), res[1].get('content-length'), res[2], n),
        (200, 'HIT', '70000', b'', 0), 'HEAD: HIT from the GET entry, no body')
    (res, n) = counted(B, lambda: get(P, '/a?size=70000&frame=length',
                                      {'Range': 'bytes=1000-1999'}))
    is_((res[0], res[1].get('content-range'), res[1].get('x-cache'), n),
        (206, 'bytes 1000-1999/70000', 'HIT', 0), 'Range: 206 from the entry')
    ok(res[2] == pattern(70000)[1000:2000], 'the range is the right bytes')
    res = get(P, '/a?size=70000&frame=length', {'Range': 'bytes=0-9,100-109'})
    ok(res[0] == 206 and pattern(70000)[0:10] in res[2] and
       pattern(70000)[100:110] in res[2] and b'multipart' not in res[2][:2],
       'two ranges: multipart/byteranges from the entry')
    res = get(P, '/a?size=70000&frame=length', {'Range': 'bytes=80000-'})
    is_(res[0], 416, 'a range past the end: 416')
    B.reset()
    get(P, '/a?size=70000&frame=length', {'If-None-Match': '"x"', 'Range': 'bytes=0-1'})
    ok(B.requests == 0, 'validators and ranges of a client never reach the backend '
       'of a cached location')
    get(P, '/v1?size=10', {'If-None-Match': '"x"', 'Range': 'bytes=0-1'})
    ok('If-None-Match' not in B.last_headers and 'Range' not in B.last_headers,
       'on a miss the backend is asked for the whole answer')
    st, h, body = get(P, '/etag?size=100&etag=t1')
    st, h, body = get(P, '/etag?size=100&etag=t1', {'If-None-Match': '"t1"'})
    is_((st, h.get('x-cache')), (304, 'HIT'), 'If-None-Match on a stored ETag: 304')

    # What is not stored.
    for name, query in (('private', 'h_Cache-Control=private'),
                        ('no-store', 'h_Cache-Control=no-store'),
                        ('no-cache', 'h_Cache-Control=no-cache'),
                        ('max-age=0', 'h_Cache-Control=max-age%3D0'),
                        ('Set-Cookie', 'h_Set-Cookie=a%3Db'),
                        ('Vary: *', 'h_Vary=*'),
                        ('Expires in the past', 'h_Expires=Thu,%2001%20Jan%201970%2000:00:01%20GMT'),
                        ('X-Accel-Expires: 0', 'h_X-Accel-Expires=0')):
        path = '/not?size=10&' + query
        ((a, b), n) = counted(B, lambda: (fetch(P, path), fetch(P, path)))
        is_((a[1], b[1], n), ('MISS', 'MISS', 2), '%s: not stored' % name)
    (res, n) = counted(B, lambda: [fetch(P, '/xae?size=10&h_Cache-Control=no-cache&'
                                        'h_X-Accel-Expires=60') for _ in range(2)])
    is_([r[1] for r in res] + [n], ['MISS', 'HIT', 1],
        'X-Accel-Expires wins over Cache-Control: no-cache')
    (res, n) = counted(B, lambda: [fetch(P, '/none?size=10&status=404') for _ in range(2)])
    is_([r[1] for r in res] + [n], ['MISS', 'MISS', 2],
        'a status without a proxy_cache_valid line is not stored')

    # max-age is honoured, then EXPIRED.
    path = '/maxage?size=10&h_Cache-Control=s-maxage%3D1,%20max-age%3D100'
    (res, n) = counted(B, lambda: [fetch(P, path) for _ in range(2)])
    is_([r[1] for r in res] + [n], ['MISS', 'HIT', 1], 's-maxage=1: stored')
    time.sleep(1.3)
    (res, n) = counted(B, lambda: [fetch(P, path) for _ in range(2)])
    is_([r[1] for r in res] + [n], ['EXPIRED', 'HIT', 1],
        'after s-maxage: EXPIRED (asked again), then HIT')

    # Vary: Accept-Encoding gives two entries; each request gets its own.
    before = len(files(p))
    path = '/vary?h_Vary=Accept-Encoding'
    gz, idn = {'Accept-Encoding': 'gzip'}, {'Accept-Encoding': 'identity'}
    (res, n) = counted(B, lambda: [fetch(P, path, gz), fetch(P, path, idn),
                                   fetch(P, path, gz), fetch(P, path, idn)])
    is_([r[1] for r in res] + [n], ['MISS', 'MISS', 'HIT', 'HIT', 2],
        'Vary: Accept-Encoding: one entry per value')
    ok(b'gzip' in res[2][2] and b'identity' in res[3][2],
       'each hit is the variant of its request')
    is_(len(files(p)) - before, 2, 'two files for the two variants')

    # The status of a hit in add_header and in the access log.
    ok(re.search(r'^/a\?size=70000&frame=length 200 MISS$', p.access_log(), re.M) and
       re.search(r'^/a\?size=70000&frame=length 200 HIT$', p.access_log(), re.M),
       '$upstream_cache_status in the access log')
    (res, n) = counted(B, lambda: fetch(P, '/off/x?size=10'))
    is_((res[1], n), (None, 1), 'proxy_cache = "off": no status, no caching')

    # gzip: the entry holds the answer as sent; each client gets it its way.
    gz = {'Accept-Encoding': 'gzip'}
    (res, n) = counted(B, lambda: [request(P, 'GET', '/gz/z?size=9000', h)
                                   for h in (gz, gz, None)])
    is_([(r[1].get('x-cache'), r[1].get('content-encoding')) for r in res] + [n],
        [('MISS', 'gzip'), ('HIT', 'gzip'), ('HIT', None), 1],
        'with gzip: MISS and HIT compressed for a client that takes it, not for one that does not')
    ok(all(zlib.decompress(r[2], 47) == pattern(9000) for r in res[:2]) and
       res[2][2] == pattern(9000), 'and every body is the original bytes')

    # HTTP/2 hits come from the same entry.
    out = subprocess.run(['curl', '-s', '--http2-prior-knowledge', '-D', '-',
                          'http://127.0.0.1:%d/a?size=70000&frame=length' % p.ports[1]],
                         capture_output=True, timeout=10).stdout
    ok(out.startswith(b'HTTP/2 200') and b'x-cache: HIT' in out and out.endswith(pattern(70000)),
       'HTTP/2: a HIT with the whole body')

    # A long key is stored like any other.
    path = '/long?size=100&pad=' + 'k' * 7000
    is_([fetch(P, path)[1], fetch(P, path)[1]], ['MISS', 'HIT'], 'a 7 KiB key is stored')

    # Stale answers while the backend is down.
    fetch(P, '/stale/s?size=300')
    fetch(P, '/nostale/s?size=300')
    time.sleep(1.3)
    DOWN.stop()
    st, xc, body = fetch(P, '/stale/s?size=300')
    is_((st, xc, body == pattern(300)), (200, 'STALE', True),
        'backend down, use_stale error: the expired entry is served STALE')
    st, xc, body = fetch(P, '/nostale/s?size=300')
    is_(st, 502, 'without use_stale: 502')

    # use_stale http_500: the backend's 500 is replaced by the stale entry.
    fetch(P, '/stale5/f?size=30')
    time.sleep(1.3)
    SLOW.set_status(500)
    st, xc, body = fetch(P, '/stale5/f?size=30')
    is_((st, xc, body == pattern(30)), (200, 'STALE', True),
        'use_stale http_500: a 500 from the backend gives the stale entry')
    st, xc, body = fetch(P, '/stale5/other?size=30')
    is_((st, xc), (500, 'MISS'), 'with no entry, the 500 passes')
    SLOW.set_status(0)

    # Stale while updating: one request updates, the others get UPDATING.
    fetch(P, '/upd/u?size=200')
    time.sleep(1.3)
    SLOW.set_delay(1.5)
    slow = {}
    t = threading.Thread(target=lambda: slow.update(r=fetch(P, '/upd/u?size=200')))
    t.start()
    time.sleep(0.4)
    t0 = time.time()
    st, xc, body = fetch(P, '/upd/u?size=200')
    took = time.time() - t0
    t.join()
    is_((st, xc, body == pattern(200)), (200, 'UPDATING', True),
        'while another request updates: UPDATING with the stale body')
    ok(took < 1.0, 'at once, not after the update (%.2fs)' % took)
    is_(slow['r'][1], 'EXPIRED', 'the updating request itself: EXPIRED')
    SLOW.set_delay(0)

    # Background update: STALE at once, fresh after.
    fetch(P, '/bg/b?size=100')
    time.sleep(1.3)
    SLOW.set_delay(0.8)
    (res, n) = counted(SLOW, lambda: [fetch(P, '/bg/b?size=100')])
    t0 = time.time()
    ok(res[0][1] == 'STALE' and res[0][2] == pattern(100),
       'background update: the expired entry is served STALE (%r)' % res[0][1])
    wait_for(lambda: SLOW.requests > 0 and SLOW.httpd.active == 0, timeout=5)
    SLOW.set_delay(0)
    time.sleep(0.2)
    (res, n) = counted(SLOW, lambda: fetch(P, '/bg/b?size=100'))
    is_((res[1], n), ('HIT', 0), 'and updated behind it: the next request is a HIT')

    # Revalidation: the backend's 304 renews the entry.
    fetch(P, '/reval/r?size=100&etag=v1')
    time.sleep(1.3)
    (res, n) = counted(B, lambda: fetch(P, '/reval/r?size=100&etag=v1'))
    is_((res[0], res[1], res[2] == pattern(100), n), (200, 'REVALIDATED', True, 1),
        'proxy_cache_revalidate: a 304 from the backend, the entry served')
    is_(B.last_headers.get('If-None-Match'), '"v1"', 'the backend was asked with the ETag')
    is_(fetch(P, '/reval/r?size=100&etag=v1')[1], 'HIT', 'and the entry is fresh again')

    # Bypass and no_cache.
    fetch(P, '/bypass/x?size=10')
    (res, n) = counted(B, lambda: fetch(P, '/bypass/x?size=10', {'X-Bypass': '1'}))
    is_((res[1], n), ('BYPASS', 1), 'proxy_cache_bypass: BYPASS, the backend asked')
    is_(fetch(P, '/bypass/x?size=10', {'X-Bypass': '0'})[1], 'HIT',
        'a value of "0" (and an empty one) does not bypass')
    is_(fetch(P, '/bypass/x?size=10&skip=1')[1], 'BYPASS', 'each word is a predicate')
    (res, n) = counted(B, lambda: [fetch(P, '/bypass/y?size=10&nocache=1') for _ in range(2)])
    is_([r[1] for r in res] + [n], ['MISS', 'MISS', 2], 'proxy_no_cache: not stored')

    # min_uses.
    (res, n) = counted(B, lambda: [fetch(P, '/twice/t?size=10') for _ in range(3)])
    is_([r[1] for r in res] + [n], ['MISS', 'MISS', 'HIT', 2], 'min_uses 2: stored on the second')

    # proxy_cache_lock: 30 clients across workers, one backend request.
    SLOW.set_delay(1.0)
    results = []
    lock = threading.Lock()

    def one():
        r = fetch(P, '/lock/l?size=20000')
        with lock:
            results.append(r)
    threads = [threading.Thread(target=one) for _ in range(30)]
    before = SLOW.requests
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    SLOW.set_delay(0)
    is_(SLOW.requests - before, 1, 'proxy_cache_lock: 30 concurrent requests, one backend request')
    ok(len(results) == 30 and all(r[0] == 200 and r[2] == pattern(20000) for r in results),
       'all 30 answered with the whole body')
    is_(sorted(r[1] for r in results).count('MISS'), 1, 'one MISS, the rest waited for it')

    # Corrupted and truncated files are misses, never served.
    for what in ('head', 'body', 'truncate'):
        path = '/bad-%s?size=5000' % what
        fetch(P, path)
        f = file_of(p, path)
        size = os.path.getsize(f)
        if what == 'truncate':
            os.truncate(f, size - 100)
        else:
            with open(f, 'r+b') as fh:
                fh.seek(40 if what == 'head' else size - 50)
                fh.write(b'garbage')
        (res, n) = counted(B, lambda: fetch(P, path))
        is_((res[0], res[1], res[2] == pattern(5000), n), (200, 'MISS', True, 1),
            'a %s cache file is a miss: fetched again, right bytes' %
            {'head': 'corrupt-header', 'body': 'corrupt-body', 'truncate': 'truncated'}[what])
        is_(fetch(P, path)[1], 'HIT', 'and stored again (%s)' % what)

    # The status page.
    c = cache_status(P)
    ok(c['entries'] >= 10 and c['hits'] > 10 and c['misses'] > 10 and c['stale'] >= 2 and
       c['size'] > 70000 and c['revalidated'] == 1 and c['bypasses'] == 2,
       'status json: entries, size, hits, misses, stale, ... (%r)' % c)
    text = get(P, '/status')[2].decode()
    like(text, r'proxy_cache c: entries=\d+ size=\d+ hits=\d+ misses=\d+ expired=\d+ '
         r'stale=\d+ revalidated=\d+ bypasses=\d+ stores=\d+ evictions=\d+', 'status text')
    metrics = get(P, '/metrics')[2].decode()
    like(metrics, r'portico_proxy_cache_hits_total\{cache="c"\} \d+', 'status prometheus')

    # A reload keeps the zone (same name and size) and its entries.
    hits = cache_status(P)['hits']
    p.signal(signal.SIGHUP)
    wait_for(lambda: 'reconfigured' in p.error_log(), timeout=5)
    time.sleep(0.5)
    (res, n) = counted(B, lambda: fetch(P, '/a?size=70000&frame=length'))
    is_((res[1], n), ('HIT', 0), 'after a reload: still a HIT')
    ok(cache_status(P)['hits'] > hits, 'and the counters carried over')

    p.stop()
    kept = set(files(p))

    # A restart keeps the entries: found on disk, then by the loader.
    p.start()
    (res, n) = counted(B, lambda: fetch(P, '/a?size=70000&frame=length'))
    is_((res[0], res[1], res[2] == pattern(70000), n), (200, 'HIT', True, 0),
        'after a restart: HIT from the file on disk')
    ok(wait_for(lambda: cache_status(P)['entries'] >= len(kept) - 1, timeout=5),
       'the loader indexed the directory (%d files, %r)' % (len(kept), cache_status(P)))
    (res, n) = counted(B, lambda: fetch(P, '/vary?h_Vary=Accept-Encoding', idn))
    is_((res[1], n), ('HIT', 0), 'a variant kept across the restart too')


# A worker killed while filling an entry leaves no lock held and no file.
with Portico(conf(), main=False, ports=2) as p:
    P = p.port
    SLOW.set_delay(3)
    t = threading.Thread(target=lambda: raw(P, b'GET /lock/killed?size=100 HTTP/1.1\r\n'
                                            b'Host: x\r\n\r\n'))
    t.start()
    victim = None
    for _ in range(50):
        time.sleep(0.1)
        procs = json.loads(get(P, '/status.json')[2])['processes']
        busy = [w['pid'] for w in procs if 'killed' in w['request']]
        if busy:
            victim = busy[0]
            break
    ok(victim is not None, 'found the worker filling the entry')
    before = set(files(p))
    if victim:
        os.kill(victim, signal.SIGKILL)
    t.join()
    SLOW.set_delay(0)
    is_(set(files(p)) - before, set(), 'no file left by the killed worker')
    t0 = time.time()
    res = fetch(P, '/lock/killed?size=100')
    took = time.time() - t0
    ok(res[0] == 200 and res[1] == 'MISS' and took < 5,
       'the next request fills it at once: no lock left held (%.1fs, %r)' % (took, res[1]))
    is_(fetch(P, '/lock/killed?size=100')[1], 'HIT', 'and stores it')
    wait_for(lambda: 'exited on signal 9' in p.error_log())
    alerts = [l for l in p.error_log().splitlines() if re.search(r'\[(alert|crit|emerg)\]', l)]
    if not ok(len(alerts) == 1 and 'exited on signal 9' in alerts[0],
              'the only alert is the worker killed on purpose'):
        diag('\n'.join(alerts))
    p.stop(check_log=False)

# The manager keeps max_size; a full keys_zone drops the least recently used.
with Portico(conf('{dir}/cache levels=1 keys_zone=c:8k max_size=200k inactive=10m'),
             main=False, ports=2) as p:
    P = p.port
    for i in range(40):
        fetch(P, '/m%d?size=20000' % i)
    ok(wait_for(lambda: cache_status(P)['size'] <= 200 * 1024, timeout=10),
       'the manager brings the cache under max_size (%r)' % cache_status(P))
    ok(sum(os.path.getsize(f) for f in files(p)) <= 200 * 1024 + 8192,
       'the files on disk too')
    ok(cache_status(P)['evictions'] > 0, 'evictions are counted')
    is_(fetch(P, '/m39?size=20000')[1], 'HIT', 'the most recent entry stays')
    is_(fetch(P, '/m0?size=20000')[1], 'MISS', 'the least recently used went')
    statuses = set(fetch(P, '/z%d?size=10' % i)[0] for i in range(300))
    is_(statuses, {200}, '300 keys through an 8 KiB zone: all answered')
    is_(fetch(P, '/z299?size=10')[1], 'HIT', 'the newest is stored')
    is_(fetch(P, '/z0?size=10')[1], 'MISS', 'the oldest were dropped for room')

# The helpers: the cache manager runs while a cache is configured, the
# loader until the caches are read; a manager that dies is restarted.
with Portico(conf('{dir}/cache keys_zone=c:1m inactive=1s'), main=False, ports=2) as p:
    def helper(role):
        return next((h for h in json.loads(get(p.port, '/status.json')[2])['helpers']
                     if h['role'] == role), None)

    def new_manager(old):
        h = helper('cache manager')
        return h is not None and h['pid'] != old['pid']
    fetch(p.port, '/i?size=10')
    ok(wait_for(lambda: not files(p), timeout=5), 'the manager removes inactive entries')
    m = helper('cache manager')
    ok(m and m['pid'] == p.helper('manager'), 'the status page lists the cache manager, '
       'the child of the master called portico-manager')
    ok(wait_for(lambda: helper('cache loader') is None), 'the cache loader finished')
    p.run('-s', 'reload')
    ok(wait_for(lambda: new_manager(m)), 'a reload restarts the manager with the new '
       'configuration')
    m = helper('cache manager')
    os.kill(m['pid'], signal.SIGKILL)
    ok(wait_for(lambda: new_manager(m)), 'a cache manager that dies is restarted')
    wait_for(lambda: 'exited unexpectedly' in p.error_log())
    alerts = [l for l in p.error_log().splitlines() if re.search(r'\[(alert|crit|emerg)\]', l)]
    if not ok(len(alerts) == 1 and 'cache manager process %d' % m['pid'] in alerts[0],
              'the only alert is the manager killed on purpose'):
        diag('\n'.join(alerts))
    p.stop(check_log=False)

# A full disk: the answer still reaches the client; not stored; one error line.
small = None
with Portico(conf('{dir}/small/cache keys_zone=c:1m'), main=False, ports=2, start=False) as p:
    small = os.path.join(p.dir, 'small')
    os.makedirs(small)
    mounted = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', small],
                             capture_output=True).returncode == 0
    if not mounted:
        ok(True, 'a full disk # SKIP cannot mount a small tmpfs here')
    else:
        try:
            p.start()
            (res, n) = counted(B, lambda: [fetch(p.port, '/big?size=300000') for _ in range(2)])
            ok(all(r[0] == 200 and r[2] == pattern(300000) for r in res),
               'a full disk: the whole answer reaches the client')
            is_([r[1] for r in res] + [n], ['MISS', 'MISS', 2], 'and it is not stored')
            lines = [l for l in p.error_log().splitlines() if 'not cached' in l]
            is_(len(lines), 2, 'one error line per answer that could not be stored')
            ok(re.search(r'No space left on device', ''.join(lines)), 'saying why')
            p.stop()
        finally:
            subprocess.run(['umount', small])

# -t: a cache directory that cannot be made or written.
for what, path in (('cannot be created', '{dir}/no/such/dir'),
                   ('is a file', '{dir}/portico.conf')):
    with Portico(conf(path + ' keys_zone=c:1m'), main=False, ports=2, start=False) as p:
        rc, out, err = p.run('-t')
        ok(rc == 1 and re.search(r'proxy_cache_path: .* in %s:\d+' % re.escape(p.conf_path), err),
           '-t: a cache directory that %s is an error with its line' % what)
        if rc != 1:
            diag(err)
for bad, why in (('"{dir}/c levels=3 keys_zone=c:1m"', 'levels'),
                 ('"{dir}/c"', 'no keys_zone'),
                 ('"{dir}/c keys_zone=c:1k"', 'too small')):
    with Portico(MAIN + 'proxy_cache_path = %s;\nservers = ( { listen = "127.0.0.1:{port}"; } );'
                 % bad, main=False, start=False) as p:
        rc, out, err = p.run('-t')
        ok(rc == 1 and 'proxy_cache_path' in err or 'keys_zone' in err, '-t refuses %s' % why)
with Portico(MAIN + 'servers = ( { listen = "127.0.0.1:{port}"; proxy_cache = "nope"; } );',
             main=False, start=False) as p:
    rc, out, err = p.run('-t')
    ok(rc == 1 and 'zone "nope" is unknown' in err, '-t: proxy_cache naming no zone')

B.stop()
SLOW.stop()
done()
