#!/usr/bin/env python3
"""headers_alone.py SRC BUILD --layers L1,L2,...

TAP: every header of the listed top-level directories compiles on its own.
Each one gets a translation unit of its own that includes it twice (so a
missing include guard fails too), compiled with the exact command meson
uses for a .c file of the same directory (BUILD/compile_commands.json:
compiler, language standard, warnings, -Werror where the tree has it,
sanitizer and dependency flags: it fails where they fail); a directory without a .c of its own
borrows the command of the nearest layer above it that has one.
"""
import argparse
import concurrent.futures
import json
import os
import shlex
import subprocess
import sys
import tempfile


def headers(src, dirs):
    out = []
    for d in dirs:
        for dirpath, dirnames, filenames in os.walk(os.path.join(src, d)):
            dirnames[:] = sorted(x for x in dirnames if not x.startswith('.'))
            for f in sorted(filenames):
                if f.endswith('.h'):
                    out.append(os.path.relpath(os.path.join(dirpath, f), src))
    return out


def strip_command(args, source):
    """The compile command without its source, output and depfile flags."""
    out = []
    skip = False
    for x in args:
        if skip:
            skip = False
            continue
        if x in ('-o', '-MQ', '-MF', '-MT'):
            skip = True
            continue
        if x in ('-MD', '-MMD', '-c') or x == source or \
                x.startswith('-fdiagnostics-color'):
            continue
        out.append(x)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('src')
    ap.add_argument('build')
    ap.add_argument('--layers', required=True)
    a = ap.parse_args()
    src = os.path.abspath(a.src)
    dirs = a.layers.split(',')

    with open(os.path.join(a.build, 'compile_commands.json')) as f:
        db = json.load(f)
    commands = {}		# top-level directory -> (cwd, args)
    for e in db:
        path = os.path.normpath(os.path.join(e['directory'], e['file']))
        rel = os.path.relpath(path, src)
        top = rel.split(os.sep)[0]
        if top in commands or not rel.endswith('.c'):
            continue
        args = e['arguments'] if 'arguments' in e else shlex.split(e['command'])
        commands[top] = (e['directory'], strip_command(args, e['file']))
    for i, d in enumerate(dirs):
        if d not in commands:
            for above in dirs[i + 1:]:
                if above in commands:
                    commands[d] = commands[above]
                    break
    hs = headers(src, dirs)
    if not hs or not commands:
        print('Bail out! no headers or no compile commands under %s' % src)
        return 0

    tmp = tempfile.mkdtemp(prefix='headers_alone.')

    def compile_one(i, h):
        cwd, args = commands[h.split(os.sep)[0]]
        tu = os.path.join(tmp, 'h%d.c' % i)
        with open(tu, 'w') as f:
            f.write('#include "%s"\n#include "%s"\n'
                    'typedef int vt_headers_alone_t;\n' % (h, h))
        r = subprocess.run(args + ['-c', tu, '-o', tu + '.o'], cwd=cwd,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
        # Warnings fail it where the tree's flags have -Werror.
        return r.returncode == 0, r.stdout

    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as ex:
        results = list(ex.map(lambda p: compile_one(*p), enumerate(hs)))
    print('1..%d' % len(hs))
    for n, (h, (ok, text)) in enumerate(zip(hs, results), 1):
        print('%sok %d - %s compiles on its own' % ('' if ok else 'not ', n, h))
        for line in text.splitlines():
            print('# ' + line)
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)
    return 0


if __name__ == '__main__':
    sys.exit(main())
