#!/usr/bin/env python3
"""sweep.py VMTORTURE - TAP: `vmtorture sweep` on a tiny grid (2 sizes x 2
thread counts, 0.3 s runs): the table, the model and the recommendation
are printed, the CSV has a row per run, the PNG is a PNG (skipped when
gnuplot is absent), and bad input is one line and exit 2.
"""
import csv
import os
import shutil
import subprocess
import sys
import tempfile

VMT = sys.argv[1]
TMP = tempfile.mkdtemp()
n = 0


def ok(cond, name, why=""):
    global n
    n += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n, name))
    if not cond and why:
        for l in why.splitlines()[-12:]:
            print("# " + l)


def sweep(args):
    return subprocess.run([VMT, "sweep"] + args, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=300)


bad = [
    (["map-unmap", "--threads", "1,2"], "no lock-table size list"),
    (["map-unmap", "--mlist-locks", "1,3"], "power of two"),
    (["map-unmap", "--mlist-locks", "1,x"], "numbers"),
    (["map-unmap", "--mlist-locks", "1,1"], "twice"),
    (["map-unmap", "--mlist-locks", "1", "--repeat", "0"], "--repeat"),
    (["map-unmap", "--mlist-locks", "1", "--sched", "pct"], "free mode"),
    (["map-unmap", "--mlist-locks", "1", "--ops", "10"], "--duration"),
    (["map-unmap", "--mlist-locks", "1", "--plot", "ascii"], "--plot"),
    (["no-such-scenario", "--mlist-locks", "1"], "unknown scenario"),
]
have_gnuplot = shutil.which("gnuplot") is not None
print("1..%d" % (5 + len(bad)))
csvf = os.path.join(TMP, "s.csv")
png = os.path.join(TMP, "s.png")
args = ["map-unmap", "--mlist-locks", "1,2048", "--threads", "1,2",
        "--repeat", "2", "--duration", "0.3", "--csv", csvf]
if have_gnuplot:
    args += ["--png", png]
p = sweep(args)
out = p.stdout
ok(p.returncode == 0 and "sweep map-unmap: 4 points x 2 repetitions" in out
   and "lock class mlist_lock" in out,
   "tiny grid runs, the table names the swept class", p.stderr + out)
ok("recommendation (2 workers): --mlist-locks " in out and
   "illumos max(128, min(MB, 2 ncpu^2)) = " in out and "Linux 256 x CPUs = " in out,
   "recommendation beside the rules of thumb", out)
ok("model: contended fraction of mlist_lock = " in out and
   ("16 CPUs (8x the measured workers)" in out or "extrapolation: none" in out),
   "model fitted and extrapolated (or says why not)", out)
rows = []
try:
    rows = list(csv.DictReader(open(csvf)))
except OSError:
    pass
good = len(rows) == 8 and all(float(r["ops_per_s"]) > 0 for r in rows) and \
    {r["mlist-locks"] for r in rows} == {"1", "2048"} and \
    all(int(r["mlist_lock_acquisitions"]) > 0 for r in rows)
ok(good, "CSV: a row per run with throughput and mlist_lock counts", str(rows[:2]))
if have_gnuplot:
    try:
        magic = open(png, "rb").read(8)
    except OSError:
        magic = b""
    ok(magic == b"\x89PNG\r\n\x1a\n", "PNG written by gnuplot")
else:
    print("ok %d - PNG # SKIP gnuplot is not installed" % (n + 1))
    n += 1
for a, want in bad:
    p = sweep(a)
    ok(p.returncode == 2 and want in p.stderr and len(p.stderr.strip().splitlines()) == 1,
       "bad input %s: one line, exit 2" % " ".join(a[1:]),
       "exit %d: %s" % (p.returncode, p.stderr))
