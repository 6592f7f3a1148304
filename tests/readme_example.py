#!/usr/bin/env python3
"""readme_example.py VMTORTURE README.md - TAP: the README's examples cannot
drift from the real output.

Every ``` block of the README whose first line is "$ ./tools/run ARGS" or
"$ vmtorture ARGS" is an example: the rest is what the command prints
(stdout and stderr as a terminal shows them), with "..." where lines or
parts of a line were left out.  The test runs each command (--json goes to
a temporary file) and checks that every shown line matches a line of the
real output, in order: numbers may differ (any number matches a number),
"..." inside a line matches anything, a line that is just "..." skips any
number of lines.  The JSON keys the README names must be in the JSON
report of the worked example.
"""
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile


def blocks(readme):
    cur = None
    for line in open(readme).read().splitlines():
        if line.startswith("```"):
            if cur is None:
                cur = []
                continue
            if cur and re.match(r"\$ (\./tools/run|vmtorture) ", cur[0]):
                yield cur
            cur = None
        elif cur is not None:
            cur.append(line)


def pattern(line):
    out = ""
    for i, piece in enumerate(line.split("...")):
        if i:
            out += ".*"
        for tok in re.split(r"(\d+(?:\.\d+)?)", piece):
            if re.fullmatch(r"\d+(?:\.\d+)?", tok):
                out += r"\d+(?:\.\d+)?"
            else:
                out += re.escape(tok)
    return re.compile(r"\s*".join(out.split(r"\ ")) + r"\s*$")


def command(vmt, first, tmp):
    cmd = shlex.split(first.lstrip("$ "))
    if cmd[0] == "./tools/run":
        cmd = [vmt, "run"] + cmd[1:]
    elif cmd[0] == "vmtorture":
        cmd = [vmt] + cmd[1:]
    if "--json" in cmd:
        cmd[cmd.index("--json") + 1] = os.path.join(tmp, "out.json")
    return cmd


def first_mismatch(lines, out):
    """The first shown line not matched in order, or None."""
    pos, skip = 0, False
    for want in lines:
        if want.strip() == "...":
            skip = True
            continue
        rx = pattern(want)
        found = None
        for k in range(pos, len(out)):
            if rx.match(out[k]):
                found = k
                break
            if not skip:
                break
        if found is None:
            return want
        pos, skip = found + 1, False
    return None


def main():
    vmt, readme = sys.argv[1], sys.argv[2]
    examples = list(blocks(readme))
    tmp = tempfile.mkdtemp()
    print("1..%d" % (len(examples) + 1))
    n = 0
    for lines in examples:
        n += 1
        cmd = command(vmt, lines[0], tmp)
        p = subprocess.run(cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        out = p.stdout.splitlines()
        bad = first_mismatch(lines[1:], out)
        if bad is None:
            print("ok %d - %s (exit %d): every shown line matches" %
                  (n, lines[0], p.returncode))
        else:
            print("not ok %d - %s (exit %d): README line not in the "
                  "output (in order): %r" % (n, lines[0], p.returncode, bad))
            for l in out:
                print("# " + l)
    text = open(readme).read()
    keys = []
    m = re.search(r"`--json FILE` writes (.*?)\.\n\n", text, re.S)
    if m:
        # Keys the README marks as conditional are not required here.
        for k, after in re.findall(r"`([a-z_]+)`(\s*\([^)]*\))?", m.group(1)):
            cond = "controlled" in after or \
                re.search(r"on failure, `%s`" % k, m.group(1))
            if not cond:
                keys.append(k)
    try:
        j = json.load(open(os.path.join(tmp, "out.json")))
        missing = [k for k in keys if k not in j]
    except (OSError, ValueError) as e:
        missing = ["(no JSON: %s)" % e]
    n += 1
    print(("ok" if keys and not missing else "not ok") +
          " %d - the JSON has the keys the README names %s" %
          (n, missing if missing else keys))


main()
