"""The layers of HACKING hold: every file of server/ and shm/ has a layer,
includes only headers of its own layer or lower ones, and (when the
objects are built) calls only into its own layer or lower ones."""

import glob
import os
import re
import subprocess

from harness import SRCDIR, diag, done, ok

BUILDDIR = os.environ.get('BUILDDIR', os.path.join(SRCDIR, 'build'))


def read_layers():
    """{ 'server/io.c': 4, ... } from HACKING's table."""
    layers, layer = {}, None
    with open(os.path.join(SRCDIR, 'HACKING')) as f:
        for line in f:
            m = re.match(r'Layer (\d+):', line)
            if m:
                layer = int(m.group(1))
                continue
            m = re.match(r'  ((?:server|shm)/\S+\.[ch])\s', line)
            if m and layer is not None:
                layers[m.group(1)] = layer
    return layers


def layer_of(path, layers):
    """A header without a line of its own is its .c twin's layer."""
    if path in layers:
        return layers[path]
    if path.endswith('.h'):
        return layers.get(path[:-2] + '.c')
    return None


def source_files():
    return sorted(os.path.relpath(p, SRCDIR)
                  for d in ('server', 'shm') for ext in ('c', 'h')
                  for p in glob.glob(os.path.join(SRCDIR, d, '*.' + ext)))


def header_path(name):
    for d in ('server', 'shm'):
        if os.path.exists(os.path.join(SRCDIR, d, name)):
            return d + '/' + name
    return None


def check_includes(files, layers):
    bad = []
    for path in files:
        mine = layer_of(path, layers)
        with open(os.path.join(SRCDIR, path)) as f:
            for name in re.findall(r'^#include "([^"]+)"', f.read(), re.M):
                hdr = header_path(name)
                if hdr is None:
                    continue      # config.h and the like
                theirs = layer_of(hdr, layers)
                if theirs is None or theirs > mine:
                    bad.append('%s (layer %s) includes %s (layer %s)' %
                               (path, mine, hdr, theirs))
    return bad


def symbols(obj):
    out = subprocess.run(['nm', obj], capture_output=True, text=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in 'TDBRC':
            defined.add(parts[2])
        elif len(parts) == 2 and parts[0] == 'U':
            used.add(parts[1])
    return defined, used


def check_calls(layers):
    """None when the objects are not built; else the calls upward."""
    objs = {}
    for src in layers:
        if src.endswith('.c'):
            obj = os.path.join(BUILDDIR, src[:-2] + '.o')
            if not os.path.exists(obj):
                return None
            objs[src] = symbols(obj)
    owner = {sym: src for src, (defs, _) in objs.items() for sym in defs}
    bad = []
    for src, (_, used) in objs.items():
        for sym in sorted(used):
            to = owner.get(sym)
            if to is not None and layers[to] > layers[src]:
                bad.append('%s (layer %d) calls %s() of %s (layer %d)' %
                           (src, layers[src], sym, to, layers[to]))
    return bad


layers = read_layers()
files = source_files()
ok(len(layers) > 40, 'HACKING lists the layers (%d files)' % len(layers))
missing = [p for p in files if layer_of(p, layers) is None]
if not ok(not missing, 'every file of server/ and shm/ has a layer in HACKING'):
    diag('\n'.join(missing))
gone = [p for p in layers if not os.path.exists(os.path.join(SRCDIR, p))]
if not ok(not gone, 'every file HACKING names exists'):
    diag('\n'.join(gone))
bad = check_includes(files, layers)
if not ok(not bad, 'no file includes a header of a higher layer'):
    diag('\n'.join(bad))
bad = check_calls(layers)
if bad is None:
    ok(True, "no file calls into a higher layer # SKIP the objects are not built in %s" % BUILDDIR)
elif not ok(not bad, 'no file calls into a higher layer'):
    diag('\n'.join(bad))
done()
