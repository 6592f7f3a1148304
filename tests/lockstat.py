#!/usr/bin/env python3
"""lockstat.py VMTORTURE - TAP: --lockstat tables of map-unmap (free mode),
htable-steal (free and controlled mode) and the page locks of pageunload
are present and non-trivial:
every acquisition has a hold time, every contended one a wait time and a
named call site, tables have hottest buckets and a skew, and a controlled
run's tables are the same twice and leave the schedule unchanged.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

VMT = sys.argv[1]
TMP = tempfile.mkdtemp()
SITE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*:[^ :]+\.c:[0-9]+$")
n = 0


def ok(cond, name, why=""):
    global n
    n += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n, name))
    if not cond and why:
        print("# " + why)


def run(args, name):
    out = os.path.join(TMP, name + ".json")
    p = subprocess.run([VMT, "run"] + args + ["--json", out, "-q"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    try:
        j = json.load(open(out))
    except (OSError, ValueError):
        j = None
    return p, j


def check_tables(j, text, unit, tables):
    """Errors in the lockstat of one report."""
    errs = []
    if "lockstat (times in %s" % unit not in text:
        errs.append("no lockstat heading in %s" % unit)
    locks = j["locks"]
    for name, l in locks.items():
        ls = l.get("lockstat")
        if ls is None:
            # Scattered members no subsystem lists (misc) have no counts.
            if l["acquisitions"]:
                errs.append("%s: no lockstat" % name)
            continue
        if ls["unit"] != unit:
            errs.append("%s: unit %s" % (name, ls["unit"]))
        every = ls["hold_every"]
        if every == 1 and ls["hold"]["count"] != l["acquisitions"]:
            errs.append("%s: %d holds timed, %d acquisitions" %
                        (name, ls["hold"]["count"], l["acquisitions"]))
        if ls["hold"]["count"] > l["acquisitions"] // every:
            errs.append("%s: %d holds timed, 1 in %d of %d acquisitions" %
                        (name, ls["hold"]["count"], every, l["acquisitions"]))
        if ls["wait"]["count"] != l["contended"]:
            errs.append("%s: %d waits timed, %d contended" %
                        (name, ls["wait"]["count"], l["contended"]))
        for t in ("wait", "hold"):
            x = ls[t]
            if x["count"] and not (x["min"] <= x["avg"] <= x["max"] <= x["total"]):
                errs.append("%s: %s min/avg/max/total %s" % (name, t, x))
        named = sum(s["contended"] for s in ls["sites"]) + ls["other_sites_contended"]
        if named != l["contended"]:
            errs.append("%s: sites account for %d of %d contended" %
                        (name, named, l["contended"]))
        for s in ls["sites"]:
            if not SITE.match(s["site"]):
                errs.append("%s: site %r is not function:file:line" % (name, s["site"]))
        h = ls["hottest"]
        keys = [(-b["contended"], -b["acquisitions"], b["index"]) for b in h]
        if keys != sorted(keys):
            errs.append("%s: hottest buckets out of order" % name)
    for name in tables:
        l = locks.get(name)
        if l is None or l["acquisitions"] == 0:
            errs.append("%s: not acquired" % name)
            continue
        ls = l["lockstat"]
        if not ls["hottest"] or ls.get("skew", 0) < 1:
            errs.append("%s: no hottest buckets or skew %s" % (name, ls.get("skew")))
        if ls["hold"]["count"] == 0 or (ls["hold"]["total"] == 0 and unit == "ns"):
            errs.append("%s: no hold time" % name)
    return errs


def main():
    print("1..11")
    # Free mode: map-unmap, 4 workers contend on the hashed locks.
    p, j = run(["map-unmap", "--duration", "1", "--lockstat", "--lockstat-hold-every", "1"], "mu")
    errs = ["exit %d: %s" % (p.returncode, p.stderr)] if p.returncode else []
    if j is not None:
        errs += check_tables(j, p.stdout, "ns", ["mlist_lock", "hash_lock", "htable_mutex"])
        cont = [k for k, v in j["locks"].items() if v["contended"] and v["lockstat"]["sites"]]
        if not cont:
            errs.append("no class with contention and sites in 1 s of map-unmap")
    ok(not errs and j is not None, "map-unmap --lockstat --lockstat-hold-every 1: tables present and consistent", "; ".join(errs))

    p, j = run(["htable-steal", "--duration", "1", "--lockstat", "--lockstat-top", "3"], "hs")
    errs = ["exit %d: %s" % (p.returncode, p.stderr)] if p.returncode else []
    if j is not None:
        errs += check_tables(j, p.stdout, "ns", ["htable_mutex", "mlist_lock"])
        if any(len(v.get("lockstat", {"hottest": []})["hottest"]) > 3
               for v in j["locks"].values()):
            errs.append("--lockstat-top 3 shows more than 3 buckets")
        if "hat_list_lock" not in j["locks"] or j["locks"]["hat_list_lock"]["acquisitions"] == 0:
            errs.append("hat_list_lock not acquired by htable-steal")
    ok(not errs and j is not None, "htable-steal --lockstat --lockstat-top 3", "; ".join(errs))

    # Page locks (a CAS word, per-thread records): the page daemon and the
    # mappers contend on the library pages.
    p, j = run(["pageunload", "--duration", "1", "--lockstat", "--lockstat-hold-every", "1"], "pu")
    errs = ["exit %d: %s" % (p.returncode, p.stderr)] if p.returncode else []
    if j is not None:
        errs += check_tables(j, p.stdout, "ns", ["mlist_lock"])
        pl = j["locks"].get("page_lock")
        if pl is None or pl["acquisitions"] == 0:
            errs.append("page_lock: not acquired")
        elif pl["contended"] == 0 or not pl["lockstat"]["sites"]:
            errs.append("page_lock: no contention or no sites: %s" % pl)
        elif pl["lockstat"]["hold"]["count"] == 0:
            errs.append("page_lock: no hold time")
        if not re.search(r"^  page_lock +[0-9]+ +[0-9]+ ", p.stdout, re.M):
            errs.append("no page_lock row in the lockstat table")
    ok(not errs and j is not None, "pageunload --lockstat: page_lock counted, waits, holds and sites", "; ".join(errs))

    # Controlled mode: times in steps, a function of the seeds.
    ctl = ["htable-steal", "--sched", "random", "--ops", "60"]
    p1, j1 = run(ctl + ["--lockstat"], "c1")
    p2, j2 = run(ctl + ["--lockstat"], "c2")
    p0, j0 = run(ctl, "c0")
    errs = []
    if j1 is None or j2 is None or j0 is None:
        errs.append("no report")
    else:
        errs += check_tables(j1, p1.stdout, "steps", ["htable_mutex"])
    ok(not errs, "controlled htable-steal --lockstat: tables in steps", "; ".join(errs))
    ok(j1 is not None and j2 is not None and j1["locks"] == j2["locks"],
       "controlled --lockstat tables are the same in two runs")
    ok(j1 is not None and j0 is not None and
       j1["schedule"]["trace_hash"] == j0["schedule"]["trace_hash"] and
       all("lockstat" not in v for v in j0["locks"].values()) and
       "page_lock" not in j0["locks"] and
       "lockstat (" not in p0.stdout,
       "--lockstat leaves the schedule alone; off, no tables")

    # --hash-spread: the four HAT hashes, their counts add up.
    p, j = run(["map-unmap", "--duration", "0.5", "--hash-spread"], "sp")
    errs = []
    sp = {s["name"]: s for s in (j or {}).get("hash_spread", [])}
    for name in ("MLIST_MUTEX -> mlist_lock", "HMENT_HASH buckets",
                 "HMENT_HASH -> hash_lock", "HTABLE_HASH -> htable_mutex"):
        s = sp.get(name)
        if s is None:
            errs.append("no %s" % name)
            continue
        if sum(s["occupancy"]) != s["buckets"] or s["keys"] == 0:
            errs.append("%s: occupancy %s of %d buckets, %d keys" %
                        (name, s["occupancy"], s["buckets"], s["keys"]))
        if s["used"] != s["buckets"] - s["occupancy"][0] or s["max"] < s["mean"]:
            errs.append("%s: used %d max %d mean %g" % (name, s["used"], s["max"], s["mean"]))
    if sp and sp["HMENT_HASH buckets"]["keys"] != sp["HMENT_HASH -> hash_lock"]["keys"]:
        errs.append("hments per bucket and per lock differ")
    if sp and (sp["MLIST_MUTEX -> mlist_lock"]["keys"] != 32 + 32 + 512 or
               j["locks"]["mlist_lock"]["size"] != sp["MLIST_MUTEX -> mlist_lock"]["buckets"]):
        errs.append("mlist spread is not over the world's 576 pages and the table")
    if "hash spread (" not in p.stdout:
        errs.append("no hash spread table in the summary")
    ok(p.returncode == 0 and not errs, "map-unmap --hash-spread: four hashes, counts consistent",
       "; ".join(errs))
    p, j = run(["map-unmap", "--duration", "0.3", "--hash-spread", "--mlist-locks", "1"], "sp1")
    s = {x["name"]: x for x in (j or {}).get("hash_spread", [])}.get("MLIST_MUTEX -> mlist_lock")
    ok(s is not None and s["buckets"] == 1 and s["max"] == 576 and s["chi2"] == 0,
       "--hash-spread with one mlist lock: every page on it", str(s))

    p = subprocess.run([VMT, "run", "map-unmap", "--lockstat-top", "0"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ok(p.returncode == 2 and "lockstat-top" in p.stderr and
       len(p.stderr.strip().splitlines()) == 1,
       "--lockstat-top 0: one line, exit 2", "exit %d: %s" % (p.returncode, p.stderr))
    p = subprocess.run([VMT, "run", "map-unmap", "--lockstat-top", "17"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ok(p.returncode == 2, "--lockstat-top 17: exit 2", "exit %d" % p.returncode)
    p = subprocess.run([VMT, "run", "map-unmap", "--lockstat-hold-every", "3"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ok(p.returncode == 2 and "lockstat-hold-every" in p.stderr,
       "--lockstat-hold-every 3 (not a power of two): exit 2", "exit %d" % p.returncode)


main()
