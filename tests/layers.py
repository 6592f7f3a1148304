#!/usr/bin/env python3
"""layers.py SRC BUILD --layers L1,L2,... [--top DIR]... [--nm NM]
      [--allow-include 'FROM -> TO']... [--allow-symbol LAYER:SYMBOL:LIB]...

TAP: the tree's #include graph points down the layers.  The layers are the
top-level directories named by --layers, bottom first (base, locks, core,
stress, subsys, scenarios, tools).  A .c or .h in a layer may include files
of its own layer and of the layers below it, nothing else: not a layer
above, not a directory that is no layer (tests/).  Files in a --top
directory (tests/) may include anything.  Every .c and .h of the source
tree must be in a layer or a --top directory.  An include is resolved the
way the compiler does with meson's include paths (the source and build
roots): "x.h" first next to the including file, then from the roots; <x.h>
from the roots only (otherwise it is a system header).

One test point per file.  Then one per known back edge (meson.build,
vt_back_edge_includes and vt_back_edge_symbols): a TODO point that fails
while the edge is there; once it is gone the point passes, which meson
counts as an unexpected pass, so the test fails until the entry is removed.
A symbol edge is there while the layer's library still has it undefined
(nm -u).
"""
import argparse
import os
import re
import subprocess
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')


def tree_files(src):
    """Every .c/.h under src, relative, skipping hidden and build dirs."""
    out = []
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = sorted(
            d for d in dirnames
            if not d.startswith('.') and
            not os.path.isdir(os.path.join(dirpath, d, 'meson-private')))
        for f in sorted(filenames):
            if f.endswith('.c') or f.endswith('.h'):
                out.append(os.path.relpath(os.path.join(dirpath, f), src))
    return out


def resolve(roots, rel, name, quoted):
    """Path of the included file relative to its root, or None."""
    places = []
    if quoted:
        places += [(r, os.path.dirname(rel)) for r in roots]
    places += [(r, '') for r in roots]
    for root, d in places:
        p = os.path.normpath(os.path.join(root, d, name))
        if os.path.isfile(p):
            return os.path.relpath(p, root)
    return None


def top_dir(rel):
    parts = rel.split(os.sep)
    return parts[0] if len(parts) > 1 else ''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('src')
    ap.add_argument('build')
    ap.add_argument('--layers', required=True)
    ap.add_argument('--top', action='append', default=[])
    ap.add_argument('--nm', default='nm')
    ap.add_argument('--allow-include', action='append', default=[])
    ap.add_argument('--allow-symbol', action='append', default=[])
    a = ap.parse_args()

    layers = a.layers.split(',')
    rank = {name: i for i, name in enumerate(layers)}
    for t in a.top:
        rank[t] = len(layers)
    order = ' < '.join(layers)
    roots = [os.path.abspath(a.src), os.path.abspath(a.build)]

    allowed = {}
    for e in a.allow_include:
        frm, _, to = e.partition('->')
        allowed[(frm.strip(), to.strip())] = False

    files = tree_files(a.src)
    points = []		# (ok, description, diagnostics, directive)
    for rel in files:
        layer = top_dir(rel)
        if layer not in rank:
            points.append((False, rel, ['# %s: directory "%s" is in no layer '
                           '(add it to vt_layers in meson.build)'
                           % (rel, layer or '.')], ''))
            continue
        bad = []
        with open(os.path.join(a.src, rel), encoding='utf-8',
                  errors='replace') as f:
            for lineno, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if m is None:
                    continue
                quoted = m.group(1) == '"'
                name = m.group(2)
                target = resolve(roots, rel, name, quoted)
                where = '# %s:%d: #include %s%s%s' % (
                    rel, lineno, m.group(1), name, '"' if quoted else '>')
                if target is None:
                    if quoted:
                        bad.append(where + ': not found')
                    continue
                if target.startswith('..'):
                    bad.append(where + ': outside the tree')
                    continue
                tl = top_dir(target)
                if (rel, target) in allowed:
                    allowed[(rel, target)] = True
                    continue
                if tl not in rank:
                    bad.append(where + ': %s is in no layer' % target)
                elif rank[tl] > rank[layer]:
                    if tl in layers:
                        bad.append(where + ': %s is up a layer (%s above '
                                   '%s; %s)' % (target, tl, layer, order))
                    else:
                        bad.append(where + ': %s is no layer below %s (%s)'
                                   % (target, layer, order))
        points.append((not bad, rel + ' (' + layer + ')', bad, ''))

    for (frm, to), seen in allowed.items():
        if seen:
            points.append((False, 'known back edge %s -> %s' % (frm, to),
                           [], ' # TODO remove it (meson.build: '
                           'vt_back_edge_includes)'))
        else:
            points.append((True, 'known back edge %s -> %s is gone: delete '
                           'it from vt_back_edge_includes in meson.build'
                           % (frm, to), [], ' # TODO'))

    undefined = {}
    for e in a.allow_symbol:
        layer, sym, lib = e.split(':', 2)
        if lib not in undefined:
            r = subprocess.run([a.nm, '-u', lib], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE,
                               universal_newlines=True)
            if r.returncode != 0:
                print('Bail out! %s -u %s: %s' % (a.nm, lib, r.stderr.strip()))
                return 0
            undefined[lib] = {ln.split()[-1] for ln in r.stdout.splitlines()
                              if ln.strip()}
        if sym in undefined[lib]:
            points.append((False, 'known back edge: %s calls up to %s'
                           % (layer, sym), [], ' # TODO remove it '
                           '(meson.build: vt_back_edge_symbols)'))
        else:
            points.append((True, 'known back edge: %s no longer refers to %s: '
                           'delete it from vt_back_edge_symbols in '
                           'meson.build' % (layer, sym), [], ' # TODO'))

    print('1..%d' % len(points))
    for n, (ok, desc, diags, directive) in enumerate(points, 1):
        print('%sok %d - %s%s' % ('' if ok else 'not ', n, desc, directive))
        for d in diags:
            print(d)
    return 0


if __name__ == '__main__':
    sys.exit(main())
