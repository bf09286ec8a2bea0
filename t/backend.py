"""A small real HTTP backend for the proxy tests, run in threads of the
test process.  Every answer names the backend (X-Backend) and, for /echo,
is a JSON description of what arrived.  Query parameters steer it:

    sleep=S     wait S seconds before answering
    size=N      answer N bytes of a known pattern (pattern(N))
    frame=F     "length" (default), "chunked" or "close" (no length, close)
    status=N    answer with status N
    h_NAME=V    add the response header NAME: V
    etag=T      send ETag "T", and 304 to a request with If-None-Match "T"

/health answers health_status (changeable), set_delay() slows every
other answer, set_status() overrides every other answer's status,
idle_timeout closes idle kept connections, /ws upgrades to a WebSocket
that echoes each message.  last_headers holds the last request's headers.
"""
import base64
import hashlib
import json
import socket
import struct
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


BLOCK = bytes(range(256)) * 256


def pattern(n, start=0):
    """n bytes of a repeating 0..255 pattern from offset start."""
    out = BLOCK * (n // len(BLOCK) + 2)
    return out[start % 256:start % 256 + n]


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def read_body(self):
        if self.headers.get('Transfer-Encoding', '').lower() == 'chunked':
            data = b''
            while True:
                size = int(self.rfile.readline().split(b';')[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b'\r\n', b''):
                        pass
                    return data, 'chunked'
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(n), 'length' if 'Content-Length' in self.headers else 'none'

    def handle_any(self):
        srv = self.server
        if self.path == '/health':     # health checks are not counted
            return self.answer()
        with srv.lock:
            srv.requests += 1
            srv.last_headers = dict(self.headers.items())
            srv.active += 1
            srv.peak = max(srv.peak, srv.active)
            srv.conns.add(self.client_address)
        try:
            self.answer()
        finally:
            with srv.lock:
                srv.active -= 1

    def answer(self):
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        body, framing = self.read_body()
        if 'sleep' in q:
            time.sleep(float(q['sleep']))
        elif self.server.delay and url.path != '/health':
            time.sleep(self.server.delay)
        if url.path == '/health':
            return self.send(self.server.health_status, b'health\n')
        if url.path == '/ws' and self.headers.get('Upgrade', '').lower() == 'websocket':
            return self.websocket()
        status = self.server.status or int(q.get('status', 200))
        extra = [(k[2:], v) for k, v in q.items() if k.startswith('h_')]
        if 'etag' in q:
            extra.append(('ETag', '"%s"' % q['etag']))
            if self.headers.get('If-None-Match') == '"%s"' % q['etag']:
                return self.send(304, b'', extra=extra)
        if 'size' in q:
            payload = int(q['size'])
        else:
            payload = json.dumps({
                'name': self.server.name, 'method': self.command, 'path': self.path,
                'version': self.request_version,
                'headers': [[k, v] for k, v in self.headers.items()],
                'body_len': len(body), 'body_sha': hashlib.sha256(body).hexdigest(),
                'framing': framing, 'peer': list(self.client_address),
            }).encode()
        self.send(status, payload, q.get('frame', 'length'), extra)

    def send(self, status, payload, frame='length', extra=()):
        """payload: bytes, or a size for pattern() bytes made as they go."""
        size = payload if isinstance(payload, int) else len(payload)
        self.send_response(status)
        self.send_header('X-Backend', self.server.name)
        for name, value in extra:
            self.send_header(name, value)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Connection', 'keep-alive')
        self.send_header('Keep-Alive', 'timeout=5')
        if status in (204, 304) or (status < 200):
            self.end_headers()
            return
        if frame == 'chunked':
            self.send_header('Transfer-Encoding', 'chunked')
        elif frame == 'close':
            self.close_connection = True
        else:
            self.send_header('Content-Length', str(size))
        self.end_headers()
        if self.command == 'HEAD':
            return
        for off in range(0, size, 1 << 16):
            piece = (payload[off:off + (1 << 16)] if isinstance(payload, bytes)
                     else pattern(min(1 << 16, size - off), off))
            if frame == 'chunked':
                self.wfile.write(b'%x\r\n%s\r\n' % (len(piece), piece))
            else:
                self.wfile.write(piece)
        if frame == 'chunked':
            self.wfile.write(b'0\r\n\r\n')

    def websocket(self):
        key = self.headers['Sec-WebSocket-Key']
        accept = base64.b64encode(hashlib.sha1(
            (key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').encode()).digest()).decode()
        self.send_response(101)
        self.send_header('Upgrade', 'websocket')
        self.send_header('Connection', 'Upgrade')
        self.send_header('Sec-WebSocket-Accept', accept)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        while True:
            head = self.rfile.read(2)
            if len(head) < 2:
                return
            op, n = head[0] & 0x0f, head[1] & 0x7f
            if n == 126:
                n = struct.unpack('!H', self.rfile.read(2))[0]
            elif n == 127:
                n = struct.unpack('!Q', self.rfile.read(8))[0]
            mask = self.rfile.read(4) if head[1] & 0x80 else b'\0\0\0\0'
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(self.rfile.read(n)))
            if op == 8:
                self.wfile.write(b'\x88\x00')
                return
            out = bytes([0x80 | op])
            if len(data) < 126:
                out += bytes([len(data)])
            elif len(data) < 65536:
                out += bytes([126]) + struct.pack('!H', len(data))
            else:
                out += bytes([127]) + struct.pack('!Q', len(data))
            self.wfile.write(out + data)
            self.wfile.flush()

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = do_PATCH = handle_any


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass        # clients the tests cut off on purpose are not news


class Backend:
    """A backend on 127.0.0.1:port (a free port when 0), started at once."""

    def __init__(self, name, port=0, idle_timeout=None):
        handler = type('Handler', (Handler,), {'timeout': idle_timeout})
        self.httpd = Server(('127.0.0.1', port), handler)
        self.httpd.delay = 0
        self.httpd.status = 0
        self.httpd.last_headers = {}
        self.httpd.name = name
        self.httpd.lock = threading.Lock()
        self.httpd.health_status = 200
        self.reset()
        self.name = name
        self.port = self.httpd.server_address[1]
        self.addr = '127.0.0.1:%d' % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def reset(self):
        with self.httpd.lock:
            self.httpd.requests = self.httpd.active = self.httpd.peak = 0
            self.httpd.conns = set()

    @property
    def requests(self):
        return self.httpd.requests

    @property
    def connections(self):
        return len(self.httpd.conns)

    def set_delay(self, seconds):
        """Answer every request (but /health) after this many seconds."""
        self.httpd.delay = seconds

    def set_status(self, status):
        """Answer every request (but /health) with this status; 0: as asked."""
        self.httpd.status = status

    @property
    def last_headers(self):
        return self.httpd.last_headers

    def set_health(self, status):
        self.httpd.health_status = status

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def dead_port():
    """A loopback port nothing listens on (connect is refused)."""
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port
