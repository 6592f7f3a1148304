#!/usr/bin/env python3
"""readme_example.py VMTORTURE README.md - TAP: the README's worked example
cannot drift from the real output.

The block after "## A worked example" starts with "$ ./tools/run ARGS" (or
"$ vmtorture run ARGS"); the rest is what the run prints, with "..." where
lines or parts of a line were left out.  The test runs the same command
(--json goes to a temporary file) and checks that every shown line matches
a line of the real output, in order: numbers may differ (any number
matches a number), "..." inside a line matches anything, a line that is
just "..." skips any number of lines.  The JSON keys the README names must
be in the JSON report.
"""
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile


def block(readme):
    text = open(readme).read()
    part = text.split("## A worked example", 1)[1]
    m = re.search(r"```\n(.*?)```", part, re.S)
    return m.group(1).splitlines()


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


def main():
    vmt, readme = sys.argv[1], sys.argv[2]
    lines = block(readme)
    cmd = shlex.split(lines[0].lstrip("$ "))
    if cmd[0] == "./tools/run":
        cmd = [vmt, "run"] + cmd[1:]
    elif cmd[0] == "vmtorture":
        cmd = [vmt] + cmd[1:]
    tmp = tempfile.mkdtemp()
    if "--json" in cmd:
        cmd[cmd.index("--json") + 1] = os.path.join(tmp, "out.json")
    print("1..3")
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    print(("ok" if p.returncode == 0 else "not ok") +
          " 1 - the README's command exits %d" % p.returncode)
    out = p.stdout.splitlines()
    pos, bad = 0, None
    skip = False
    for want in lines[1:]:
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
            bad = want
            break
        pos, skip = found + 1, False
    if bad is None:
        print("ok 2 - every shown line matches the real output in order")
    else:
        print("not ok 2 - README line not in the output (in order): %r" % bad)
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
    print(("ok" if keys and not missing else "not ok") +
          " 3 - the JSON has the keys the README names %s" %
          (missing if missing else keys))


main()
