"""What the documentation says the defaults are is what portico uses: every
default portico.conf(5) names for a main-level setting, and every setting
the README says is a default, is what -T prints for a configuration that
sets nothing -- and -T prints no default the manual does not name."""
import os
import re

from harness import *

BUILDDIR = os.environ.get('BUILDDIR', os.path.join(SRCDIR, 'build'))
MANUAL = os.path.join(BUILDDIR, 'man', 'portico.conf.5')
# -t opens the logs: their default directory need not exist here.
SET_HERE = {'error_log', 'access_log'}


def unescape(text):
    return (text.replace('\\(dq', '"').replace('\\e', '\\').replace('\\&', '')
            .replace('\\:', ''))


def manual_defaults(path):
    """{setting: default as libconfig} from "Default:" and the macro line
    after it, or "Default: VALUE." in one line, for each ".It Ic NAME" of
    the setting lists."""
    found, items, depth, after = {}, {}, 0, None
    for line in open(path):
        line = line.rstrip('\n')
        if line.startswith('.Bl'):
            depth += 1
        elif line.startswith('.El'):
            depth -= 1
        m = re.match(r'\.It Ic (\w+)', line)
        if m:
            items[depth] = m.group(1)
        if after is not None:
            m = re.match(r'\.(Qq|Cm|Li) (.*?)(?: [.,])?$', line)
            if m:
                value = unescape(m.group(2))
                found[after] = '"%s"' % value if m.group(1) == 'Qq' else value
            after = None
        elif line == 'Default:' and depth in items:
            after = items[depth]
        elif line.startswith('Default: ') and depth in items:
            found[items[depth]] = unescape(line[9:].rstrip('.'))
    return found


def dumped(text):
    """{setting: value} of -T's main-level lines."""
    return {m.group(1): m.group(2) for m in
            re.finditer(r'^(\w+) = (.*);$', text, re.M)}


def squeeze(value):
    return re.sub(r'\s+', ' ', value.strip())


manual = manual_defaults(MANUAL)
ok(len(manual) >= 30, 'portico.conf(5) names %d defaults' % len(manual))
p = Portico('error_log = "{dir}/error.log";\naccess_log = "{dir}/access.log";\n',
            main=False, start=False)
rc, out, err = p.run('-T')
if not ok(rc == 0, '-T of a configuration that sets nothing else'):
    diag(err)
shown = dumped(out)
for name in sorted(manual):
    if name in SET_HERE:
        ok(True, '%s # SKIP set by the test' % name)
    elif name not in shown:
        diag('%s: not a main-level setting, -T shows it only where it is set' % name)
    else:
        is_(squeeze(shown[name]), squeeze(manual[name]),
            'portico.conf(5) gives %s\'s default as -T shows it' % name)
undocumented = sorted(set(shown) - set(manual) - SET_HERE)
is_(undocumented, [], 'every default -T shows is named in portico.conf(5)')

# The README's "the tutorial's best practices are the defaults".
readme = open(os.path.join(SRCDIR, 'README')).read()
m = re.search(r'are portico\'s\s+defaults.*?\n\n((?:    \w+ = .*;\n)+)', readme, re.S)
ok(m is not None, 'the README lists the TLS settings it says are the defaults')
for name, value in (dumped(re.sub(r'^    ', '', m.group(1), flags=re.M)).items()
                    if m else []):
    is_(value, shown.get(name), 'README: %s is a default' % name)
done()
