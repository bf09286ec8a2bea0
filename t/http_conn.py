"""HTTP/1.1 connections: keep-alive and its limits, pipelining, HTTP/1.0,
request bodies nobody reads (Content-Length, chunked, 100-continue),
timeouts, Date and Server."""
import email.utils
import os
import socket
import time

from harness import *

CONF = ('log_level = "info";\nkeepalive_requests = 3;\nclient_body_timeout = "1s";\nsend_timeout = "1s";\n'
        'servers = ( { listen = "127.0.0.1:{port}"; root = "{dir}/www"; },\n'
        '  { listen = "127.0.0.1:{port2}"; root = "{dir}/www"; keepalive_timeout = "1s";\n'
        '    server_tokens = false; } );\n')
BIG = os.urandom(8 << 20)
FILES = {'www/index.html': 'hello\n', 'www/two.txt': 'two\n', 'www/big.bin': BIG}


def read_responses(s, n, timeout=5):
    """Read n responses with Content-Length bodies from socket s:
    [(status, head, body)]; fewer if the server closes."""
    s.settimeout(timeout)
    buf = b''
    out = []
    while len(out) < n:
        while b'\r\n\r\n' not in buf:
            b = s.recv(65536)
            if not b:
                return out
            buf += b
        head, buf = buf.split(b'\r\n\r\n', 1)
        length = 0
        for line in head.split(b'\r\n')[1:]:
            k, _, v = line.partition(b':')
            if k.strip().lower() == b'content-length':
                length = int(v)
        if head.startswith(b'HTTP/1.1 100'):
            out.append((100, head, b''))
            continue
        while len(buf) < length:
            b = s.recv(65536)
            if not b:
                return out
            buf += b
        out.append((status_of(head), head, buf[:length]))
        buf = buf[length:]
    return out


def closed(s, timeout=3):
    s.settimeout(timeout)
    try:
        return s.recv(1) == b''
    except (socket.timeout, ConnectionResetError):
        return False


with Portico(CONF, files=FILES) as p:
    # Pipelining: three requests in one write, three answers in order, and
    # keepalive_requests = 3 closes after the third.
    data = raw(p.port, b'GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n'
                       b'GET /two.txt HTTP/1.1\r\nHost: x\r\n\r\n'
                       b'HEAD /index.html HTTP/1.1\r\nHost: x\r\n\r\n'
                       b'GET /two.txt HTTP/1.1\r\nHost: x\r\n\r\n')
    parts = data.split(b'HTTP/1.1 ')[1:]
    is_(len(parts), 3, 'three of four pipelined requests are answered (keepalive_requests = 3)')
    ok(len(parts) == 3 and parts[0].endswith(b'hello\n') and parts[1].endswith(b'two\n'),
       'in order')
    ok(len(parts) == 3 and b'Connection: keep-alive' in parts[0] + parts[1] and
       b'Connection: close' in parts[2] and parts[2].endswith(b'\r\n\r\n'),
       'the first two keep alive, the third (HEAD, no body) says close')

    # Bodies nobody reads are discarded and the connection goes on.
    s = socket.create_connection(('127.0.0.1', p.port))
    s.sendall(b'POST /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello'
              b'POST /index.html HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
              b'3\r\nabc\r\n0\r\n\r\n'
              b'GET /two.txt HTTP/1.1\r\nHost: x\r\n\r\n')
    rs = read_responses(s, 3)
    is_([r[0] for r in rs], [405, 405, 200],
        'POST to a file is 405, with either framing, and the next request is read right')
    s.close()

    # Expect: 100-continue: the client hears 100 before it sends the body.
    s = socket.create_connection(('127.0.0.1', p.port))
    s.sendall(b'POST /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n'
              b'Expect: 100-continue\r\n\r\n')
    s.settimeout(3)
    first = s.recv(65536)
    ok(first.startswith(b'HTTP/1.1 100 Continue\r\n\r\n'), '100 Continue comes first')
    s.sendall(b'body')
    rs = read_responses(s, 1)
    is_(rs and rs[0][0], 405, 'then the answer')
    s.close()

    # A body that stalls: the connection closes after client_body_timeout.
    s = socket.create_connection(('127.0.0.1', p.port))
    s.sendall(b'POST /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc')
    t0 = time.time()
    s.settimeout(5)
    data = b''
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    except (socket.timeout, ConnectionResetError):
        pass
    took = time.time() - t0
    ok(0.8 < took < 3.5, 'a stalled body ends after client_body_timeout (%.1fs)' % took)
    s.close()

    # HTTP/1.0: closes by default, keeps alive when asked.
    r = raw(p.port, b'GET /index.html HTTP/1.0\r\n\r\n')
    ok(r.startswith(b'HTTP/1.1 200') and r.endswith(b'hello\n') and
       b'Connection: close' in r, 'HTTP/1.0 without keep-alive is answered and closed')
    s = socket.create_connection(('127.0.0.1', p.port))
    s.sendall(b'GET /index.html HTTP/1.0\r\nConnection: keep-alive\r\n\r\n')
    rs = read_responses(s, 1)
    ok(rs and b'Connection: keep-alive' in rs[0][1], 'HTTP/1.0 with Connection: keep-alive stays open')
    s.sendall(b'GET /two.txt HTTP/1.0\r\n\r\n')
    rs = read_responses(s, 1)
    ok(rs and rs[0][2] == b'two\n', 'and serves the next request')
    s.close()
    s = socket.create_connection(('127.0.0.1', p.port))
    s.sendall(b'GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    rs = read_responses(s, 1)
    ok(rs and b'Connection: close' in rs[0][1] and closed(s), 'Connection: close is honoured')
    s.close()

    # Date and Server.
    st, h, body = get(p.port, '/index.html')
    d = email.utils.parsedate_to_datetime(h.get('date', ''))
    ok(abs(d.timestamp() - time.time()) < 5 and h['date'].endswith(' GMT'), 'Date is now, in IMF-fixdate')
    like(h.get('server'), r'^portico/\d+\.\d+\.\d+$', 'Server names the version')
    st, h, body = get(p.ports[1], '/index.html')
    is_(h.get('server'), 'portico', 'server_tokens false hides it')

    # keepalive_timeout: an idle connection closes after it.
    s = socket.create_connection(('127.0.0.1', p.ports[1]))
    s.sendall(b'GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n')
    read_responses(s, 1)
    t0 = time.time()
    ok(closed(s, 4) and 0.8 < time.time() - t0 < 3, 'keepalive_timeout closes an idle connection')
    s.close()

    # send_timeout: a client that stops reading is dropped, and the worker is free.
    s = socket.create_connection(('127.0.0.1', p.port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.sendall(b'GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n')
    time.sleep(2.5)
    got = 0
    s.settimeout(3)
    try:
        while True:
            b = s.recv(1 << 20)
            if not b:
                break
            got += len(b)
    except (socket.timeout, ConnectionResetError):
        pass
    ok(got < len(BIG), 'send_timeout drops a client that stopped reading (%d of %d bytes)' % (got, len(BIG)))
    like(p.error_log(), r'timed out', 'and logs the timeout')
    s.close()
done()
