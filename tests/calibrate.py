#!/usr/bin/env python3
"""calibrate.py VMTORTURE [SCALE] - TAP: scheduler calibration.

For planted bugs of depth d = 1, 2, 3 (test-only scenario pct-calib: n
workers, k schedule points each, K = n k points in all), run every strategy
over successive scheduler seeds and measure its detection rate.  PCT
promises at least 1/(n K^(d-1)) (Burckhardt et al., ASPLOS 2010): the test
fails when PCT's measured rate is below that bound with a binomial tail
probability under 0.001.  Random's rate is reported beside it, with the
mean number of schedules each strategy needs (1/rate).  SCALE multiplies
the number of seeds (the bench suite runs 10x the regress suite's).
"""
import json
import math
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

V = sys.argv[1]
SCALE = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0

# (depth, workers, steps per worker, seeds at scale 1)
CELLS = [(1, 2, 50, 100), (2, 2, 10, 300), (3, 3, 4, 600)]
STRATS = ["random", "pct", "pos"]


def run(args):
    """Exit code of one run (1: the planted bug was found)."""
    p = subprocess.run([V, "run", "pct-calib"] + args, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return p.returncode


def steps_of(d, n, k):
    with tempfile.TemporaryDirectory() as t:
        j = os.path.join(t, "r.json")
        run(["--calib-depth", str(d), "--threads", str(n), "--calib-steps",
             str(k), "--ops", "1", "--sched", "random", "--switch-prob", "0",
             "--json", j])
        with open(j) as f:
            return json.load(f)["schedule"]["steps"]


def binom_cdf(x, n, p):
    """P[X <= x] for X ~ Binomial(n, p)."""
    return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i)
               for i in range(x + 1))


def main():
    jobs = max(1, os.cpu_count() or 1)
    rows = []
    ok = True
    out = []
    n_tests = len(CELLS) * len(STRATS)
    print("1..%d" % n_tests)
    t = 0
    with ThreadPoolExecutor(max_workers=jobs) as ex:
        for d, n, k, seeds in CELLS:
            seeds = int(seeds * SCALE)
            K = steps_of(d, n, k)
            bound = 1.0 / (n * K ** (d - 1))
            for st in STRATS:
                args = ["--calib-depth", str(d), "--threads", str(n),
                        "--calib-steps", str(k), "--ops", "1", "--sched", st]
                if st == "pct":
                    args += ["--depth", str(d)]
                codes = list(ex.map(lambda s: run(args + ["--seed", str(s)]),
                                    range(1, seeds + 1)))
                bad = [c for c in codes if c not in (0, 1)]
                hits = codes.count(1)
                rate = hits / seeds
                need = ("%.1f" % (1 / rate)) if hits else ">%d" % seeds
                t += 1
                line = ("d=%d n=%d k=%d K=%d %-6s %4d/%-5d rate %.4f "
                        "bound %.4f schedules/bug %s" %
                        (d, n, k, K, st, hits, seeds, rate, bound, need))
                rows.append(line)
                if bad:
                    print("not ok %d - %s: %d runs ended %s" %
                          (t, line, len(bad), sorted(set(bad))))
                    ok = False
                elif st == "pct" and rate < bound and \
                        binom_cdf(hits, seeds, bound) < 0.001:
                    print("not ok %d - %s: PCT below its bound" % (t, line))
                    ok = False
                else:
                    verdict = ""
                    if st == "pct":
                        verdict = " (meets the bound)" if rate >= bound else \
                            " (below the bound, within chance)"
                    print("ok %d - %s%s" % (t, line, verdict))
    return 0 if ok else 1


sys.exit(main())
