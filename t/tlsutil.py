"""Certificates and TLS clients for the HTTPS tests, made with the openssl
command and Python's ssl module."""
import os
import socket
import ssl
import subprocess


def make_cert(directory, name, kind='rsa', days=30, ca=None, ip=None):
    """A certificate for name (and *.name, and the address ip) in
    directory: (cert, key).  Self-signed, or signed by ca = (cert, key)."""
    key = os.path.join(directory, '%s.%s.key' % (name, kind))
    crt = os.path.join(directory, '%s.%s.crt' % (name, kind))
    newkey = ['-newkey', 'rsa:2048'] if kind == 'rsa' else \
        ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']
    san = 'subjectAltName=DNS:%s,DNS:*.%s' % (name, name) + (',IP:' + ip if ip else '')
    if ca is None:
        cmd = ['openssl', 'req', '-x509', '-nodes', '-days', str(days), '-subj', '/CN=' + name,
               '-addext', san, '-keyout', key, '-out', crt] + newkey
        subprocess.run(cmd, check=True, capture_output=True)
    else:
        csr = crt + '.csr'
        subprocess.run(['openssl', 'req', '-new', '-nodes', '-subj', '/CN=' + name,
                        '-keyout', key, '-out', csr] + newkey, check=True, capture_output=True)
        ext = crt + '.ext'
        with open(ext, 'w') as f:
            f.write(san + '\n')
        subprocess.run(['openssl', 'x509', '-req', '-in', csr, '-CA', ca[0], '-CAkey', ca[1],
                        '-CAcreateserial', '-days', str(days), '-extfile', ext, '-out', crt],
                       check=True, capture_output=True)
    os.chmod(key, 0o644)
    return crt, key


def client_ctx(maximum=None, minimum=None, ciphers=None, tickets=True, alpn=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if maximum:
        ctx.maximum_version = maximum
    if minimum:
        ctx.minimum_version = minimum
    if ciphers:
        ctx.set_ciphers(ciphers)
    if not tickets:
        ctx.options |= ssl.OP_NO_TICKET
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


def tls_connect(port, sni=None, ctx=None, session=None, timeout=5):
    ctx = ctx or client_ctx()
    raw = socket.create_connection(('127.0.0.1', port), timeout=timeout)
    return ctx.wrap_socket(raw, server_hostname=sni, session=session)


def peer_subject(sock):
    """The CN and key type of the certificate the server sent."""
    pem = ssl.DER_cert_to_PEM_cert(sock.getpeercert(binary_form=True))
    out = subprocess.run(['openssl', 'x509', '-noout', '-subject', '-text'], input=pem,
                         capture_output=True, text=True).stdout
    cn = out.split('CN', 1)[1].split('\n')[0].strip(' =') if 'CN' in out else None
    kind = 'ec' if 'id-ecPublicKey' in out else 'rsa'
    return cn, kind


def https_get(sock, path='/', host='x'):
    """A request on a TLS socket: (status, raw head, body until close)."""
    sock.sendall(('GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' % (path, host)).encode())
    data = b''
    while True:
        try:
            b = sock.recv(65536)
        except (ssl.SSLError, OSError):
            break
        if not b:
            break
        data += b
    head, _, body = data.partition(b'\r\n\r\n')
    status = int(head.split(b' ')[1]) if head.startswith(b'HTTP/') else None
    return status, head.decode('latin-1'), body
