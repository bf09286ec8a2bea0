"""The tutorial's Python step with real programs: two Flask apps under
gunicorn behind portico, by domain and by URL prefix, with the four
forwarding headers; a WebSocket echo through the proxy."""
import json
import os
import subprocess
import sys

from harness import *
from backend import Backend

APPS = os.path.join(SRCDIR, 't', 'apps')


def gunicorn(name, port):
    proc = subprocess.Popen(['gunicorn', '--chdir', APPS, '--bind', '127.0.0.1:%d' % port,
                             '--workers', '2', 'tutorial:create("%s")' % name],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not wait_port(port, timeout=20):
        proc.kill()
        ok(False, 'gunicorn serves %s' % name)
        raise SystemExit(1)
    return proc


FORWARD = '''proxy_set_header = { Host = "$host"; X-Real-IP = "$remote_addr";
    X-Forwarded-For = "$proxy_add_x_forwarded_for"; X-Forwarded-Proto = "$scheme"; };'''
CONF = '''servers = (
  { listen = "127.0.0.1:{port}"; server_name = "app1.example.com"; %(fw)s
    locations = ( { match = "/"; proxy_pass = "http://127.0.0.1:{port2}"; } ); },
  { listen = "127.0.0.1:{port}"; server_name = "app2.example.com"; %(fw)s
    locations = ( { match = "/"; proxy_pass = "http://127.0.0.1:{port3}"; } ); },
  { listen = "127.0.0.1:{port}"; server_name = "example.com"; %(fw)s
    locations = (
      { match = "/app1/"; proxy_pass = "http://127.0.0.1:{port2}/"; },
      { match = "/app2/"; proxy_pass = "http://127.0.0.1:{port3}/"; },
      { match = "/ws"; proxy_pass = "http://%(ws)s"; proxy_read_timeout = "5s"; } ); }
);
'''

ws = Backend('ws')
with Portico(CONF % {'fw': FORWARD, 'ws': ws.addr}, ports=3) as p:
    apps = [gunicorn('app1', p.ports[1]), gunicorn('app2', p.ports[2])]
    try:
        def app(host, path, **kw):
            st, h, body = get(p.port, path, {'Host': host}, **kw)
            return st, json.loads(body) if st == 200 else body

        st, a = app('app1.example.com', '/hello?x=1')
        ok(st == 200 and a['app'] == 'app1' and a['path'] == '/hello?x=1', 'app1 by domain')
        st, a = app('app2.example.com', '/')
        ok(st == 200 and a['app'] == 'app2', 'app2 by domain')
        st, a = app('example.com', '/app1/users/7?y=2')
        ok(st == 200 and a['app'] == 'app1' and a['path'] == '/users/7?y=2',
           'app1 by prefix, the prefix replaced by proxy_pass\'s "/"')
        st, a = app('example.com', '/app2/')
        ok(st == 200 and a['app'] == 'app2' and a['path'] == '/', 'app2 by prefix')
        is_((a['host'], a['real_ip'], a['forwarded_for'], a['proto']),
            ('example.com', '127.0.0.1', '127.0.0.1', 'http'),
            'the app sees Host, X-Real-IP, X-Forwarded-For and X-Forwarded-Proto')
        st, h, body = request(p.port, 'POST', '/app1/form', {'Host': 'example.com',
                              'Content-Type': 'application/x-www-form-urlencoded'}, b'name=portico&n=1')
        is_(json.loads(body)['form'], {'name': 'portico', 'n': '1'}, 'a form POST reaches the app intact')

        # WebSocket through the proxy: 101, then a two-way tunnel.
        import websocket
        conn = websocket.create_connection('ws://127.0.0.1:%d/ws' % p.port,
                                           host='example.com', timeout=5)
        conn.send('hello through portico')
        is_(conn.recv(), 'hello through portico', 'a WebSocket message comes back through the tunnel')
        conn.send('x' * 70000)
        is_(len(conn.recv()), 70000, 'a large one too')
        conn.close()
        is_(app('example.com', '/app1/after')[0], 200, 'the server goes on after the tunnel closes')
    finally:
        for a in apps:
            a.terminate()
            a.wait(timeout=10)
ws.stop()
done()
