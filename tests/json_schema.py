#!/usr/bin/env python3
"""json_schema.py VMTORTURE SCHEMA - TAP: the --json report of every
outcome (pass free and controlled, fail, deadlock, interrupted, and the
"running" file written at the start) validates against doc/report.schema.json,
and the schema's required keys are what the outcome promises.

Validation uses a small validator of the keywords the schema uses (type,
enum, required, properties, additionalProperties, items, minimum, pattern),
so the test needs nothing beyond python3.
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

TYPES = {"string": str, "integer": int, "number": (int, float),
         "boolean": bool, "object": dict, "array": list, "null": type(None)}


def is_type(v, t):
    if t in ("integer", "number") and isinstance(v, bool):
        return False
    return isinstance(v, TYPES[t])


def check(v, s, path, errs):
    if "type" in s:
        ts = s["type"] if isinstance(s["type"], list) else [s["type"]]
        if not any(is_type(v, t) for t in ts):
            errs.append("%s: %r is not %s" % (path, v, ts))
            return
    if "enum" in s and v not in s["enum"]:
        errs.append("%s: %r not in %s" % (path, v, s["enum"]))
    if "minimum" in s and isinstance(v, (int, float)) and v < s["minimum"]:
        errs.append("%s: %r < %r" % (path, v, s["minimum"]))
    if "pattern" in s and isinstance(v, str) and not re.search(s["pattern"], v):
        errs.append("%s: %r does not match %s" % (path, v, s["pattern"]))
    if isinstance(v, dict):
        for k in s.get("required", []):
            if k not in v:
                errs.append("%s: missing %s" % (path, k))
        props = s.get("properties", {})
        extra = s.get("additionalProperties", True)
        for k, x in v.items():
            if k in props:
                check(x, props[k], path + "." + k, errs)
            elif extra is False:
                errs.append("%s: unexpected key %s" % (path, k))
            elif isinstance(extra, dict):
                check(x, extra, path + "." + k, errs)
    if isinstance(v, list) and "items" in s:
        for i, x in enumerate(v):
            check(x, s["items"], "%s[%d]" % (path, i), errs)


def main():
    vmt, schema_path = sys.argv[1], sys.argv[2]
    schema = json.load(open(schema_path))
    tmp = tempfile.mkdtemp()
    cases = [
        ("pass, free mode", ["run", "map-unmap", "--ops", "50", "--threads", "2"], 0, "pass"),
        ("pass, controlled mode", ["run", "hment-steal", "--sched", "pct", "--ops", "30"], 0, "pass"),
        ("pass, --lockstat --hash-spread", ["run", "map-unmap", "--ops", "50", "--threads", "2", "--lockstat", "--hash-spread"], 0, "pass"),
        ("pass, controlled --lockstat", ["run", "htable-steal", "--sched", "random", "--ops", "30", "--lockstat"], 0, "pass"),
        ("fail (busted lock)", ["run", "map-unmap", "--sched", "random", "--ops", "50", "--lock", "busted"], 1, "fail"),
        ("hang (planted deadlock)", ["run", "lock-inversion", "--sched", "random", "--ops", "50"], 3, "hang"),
    ]
    print("1..%d" % (len(cases) + 2))
    n = 0
    for name, args, want_rc, want_result in cases:
        n += 1
        out = os.path.join(tmp, "%d.json" % n)
        p = subprocess.run([vmt] + args + ["--json", out, "-q"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        errs = []
        try:
            j = json.load(open(out))
            check(j, schema, "$", errs)
            if j["result"] != want_result:
                errs.append("result %s, not %s" % (j["result"], want_result))
            if j["exit_code"] != p.returncode:
                errs.append("exit_code %s, exit status %d" % (j["exit_code"], p.returncode))
            if want_result in ("fail", "hang") and "failure" not in j:
                errs.append("no failure object")
            if "--sched" in args and "schedule" not in j:
                errs.append("no schedule object")
            if "--lockstat" in args:
                unit = "steps" if "--sched" in args else "ns"
                timed = [k for k, v in j["locks"].items()
                         if v.get("lockstat", {}).get("unit") == unit]
                if "mlist_lock" not in timed or "hat_mutex" not in timed:
                    errs.append("lockstat in %s missing (%s)" % (unit, timed))
        except (OSError, ValueError, KeyError) as e:
            errs.append("cannot read the report: %s" % e)
        if p.returncode != want_rc:
            errs.append("exit %d, not %d" % (p.returncode, want_rc))
        print(("ok" if not errs else "not ok") + " %d - %s" % (n, name))
        for e in errs:
            print("# " + e)
    # Interrupted, and the "running" file seen while the run goes on.
    out = os.path.join(tmp, "int.json")
    p = subprocess.Popen([vmt, "run", "map-unmap", "--duration", "60", "--json", out, "-q"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.5)
    errs = []
    try:
        j = json.load(open(out))
        check(j, schema, "$", errs)
        if j["result"] != "running":
            errs.append("result %s while running" % j["result"])
    except (OSError, ValueError, KeyError) as e:
        errs.append("cannot read the report while running: %s" % e)
    n += 1
    print(("ok" if not errs else "not ok") + " %d - the report says running while the run goes on" % n)
    for e in errs:
        print("# " + e)
    p.send_signal(signal.SIGINT)
    rc = p.wait(timeout=60)
    errs = []
    try:
        j = json.load(open(out))
        check(j, schema, "$", errs)
        if j["result"] != "interrupted" or j["exit_code"] != 130 or rc != 130:
            errs.append("result %s exit_code %s status %d" % (j["result"], j["exit_code"], rc))
        if not j["stats_collected"] or j["audits"] < 1:
            errs.append("no final audit/stats after the interrupt")
    except (OSError, ValueError, KeyError) as e:
        errs.append("cannot read the report: %s" % e)
    n += 1
    print(("ok" if not errs else "not ok") + " %d - SIGINT: interrupted, exit 130, final audit" % n)
    for e in errs:
        print("# " + e)


main()
