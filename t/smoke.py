"""The daemon starts, serves a file and stops cleanly."""
from harness import *

with Portico('''servers = ( { listen = "127.0.0.1:{port}"; root = "{dir}/www"; } );''',
             files={'www/index.html': 'hello\n'}) as p:
    st, h, body = get(p.port, '/')
    is_(st, 200, 'GET / is 200')
    is_(body, b'hello\n', 'the index file is the body')
done()
