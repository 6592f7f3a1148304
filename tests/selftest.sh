#!/bin/sh
# selftest.sh VMTORTURE BUDGET - TAP: the bug catalogue.
#  - `list` shows every mutant; --inject with an unknown name, a mutant of a
#    subsystem the scenario lacks, or an empty list entry is a usage error;
#  - repeated --inject accumulates (both names in the replay line);
#  - pct boots twice in one process: a lock mutant that acts on some
#    occasions only (its tick count restarts every boot) replays from its
#    printed line to the same trace hash;
#  - `selftest --budget BUDGET --json F` catches every mutant, the control
#    passes, every controlled-mode catch replays exactly, and the JSON has a
#    row per mutant with caught, check, seconds, steps, replays_exactly.
V=${1:?usage: selftest.sh VMTORTURE BUDGET}
B=${2:-60}
T=$(mktemp -d "${TMPDIR:-/tmp}/selftest.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
echo "1..7"

"$V" list >"$T/list" 2>&1
nm=$(sed -n '/^mutants/,/^$/p' "$T/list" | grep -c '^  [a-z0-9-]* ')
nm=$((nm - 0))
if [ "$nm" -ge 17 ]; then
	echo "ok 1 - list shows $nm mutants"
else
	echo "not ok 1 - list shows $nm mutants"
fi

"$V" run map-unmap --inject no-such-bug --ops 10 >"$T/o" 2>"$T/e"
rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l <"$T/e")" -eq 1 ] &&
    grep -q 'no-such-bug: unknown mutant' "$T/e"; then
	echo "ok 2 - unknown mutant: exit 2, one line"
else
	echo "not ok 2 - unknown mutant: exit $rc: $(head -2 "$T/e")"
fi

"$V" run map-unmap --inject htable-lookup-leak, --ops 10 >"$T/o" 2>"$T/e"
rc=$?
if [ $rc -eq 2 ] && grep -q 'an empty name' "$T/e"; then
	echo "ok 3 - empty list entry: exit 2"
else
	echo "not ok 3 - empty list entry: exit $rc: $(head -2 "$T/e")"
fi

# Repeated --inject accumulates: the second mutant is in force (it fails).
"$V" run map-unmap --inject mutex-exit-nowake --inject htable-lookup-leak \
    --sched random --ops 50 >"$T/o" 2>"$T/e"
rc=$?
if [ $rc -eq 1 ] && grep -q 'inject mutex-exit-nowake,htable-lookup-leak' "$T/e"; then
	echo "ok 4 - repeated --inject: both in force, in the replay line"
else
	echo "not ok 4 - repeated --inject: exit $rc: $(head -2 "$T/e")"
fi

# pct boots twice in one process: the mutant flags and ticks are reset, so
# a pct run of a lock mutant replays from its own line.
"$V" run htable-steal --inject cv-lost-signal --sched pct --ops 200 \
    --seed 3 --json "$T/a.json" >"$T/o" 2>"$T/e"
rc=$?
line=$(head -1 "$T/e" | sed 's/^vmtorture run //')
# shellcheck disable=SC2086
"$V" run $line --json "$T/b.json" >"$T/o2" 2>"$T/e2"
rc2=$?
h1=$(grep -o '"trace_hash": *"[^"]*"' "$T/a.json")
h2=$(grep -o '"trace_hash": *"[^"]*"' "$T/b.json")
if [ $rc -eq 3 ] && [ $rc2 -eq 3 ] && [ -n "$h1" ] && [ "$h1" = "$h2" ]; then
	echo "ok 5 - cv-lost-signal under pct: deadlock, replays with $h1"
else
	echo "not ok 5 - cv-lost-signal pct: exit $rc/$rc2, '$h1' vs '$h2'"
fi

"$V" selftest --budget "$B" --json "$T/st.json" >"$T/st" 2>"$T/st.err"
rc=$?
tail -n +1 "$T/st" | sed 's/^/# /'
if [ $rc -eq 0 ] && grep -q '^RESULT: PASS' "$T/st"; then
	echo "ok 6 - selftest --budget $B: $(grep '^selftest: [0-9]*/[0-9]' "$T/st")"
else
	echo "not ok 6 - selftest --budget $B: exit $rc: $(grep '^selftest: [0-9]*/[0-9]' "$T/st") $(head -2 "$T/st.err")"
fi

python3 - "$T/st.json" "$nm" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rows = [s for s in d["subjects"] if s["name"] != "control"]
bad = []
for s in rows:
    for k in ("caught", "check", "seconds", "steps", "replays_exactly"):
        if k not in s:
            bad.append("%s lacks %s" % (s["name"], k))
    if s.get("steps") is not None and s.get("replays_exactly") is not True:
        bad.append("%s does not replay exactly" % s["name"])
ctl = [s for s in d["subjects"] if s["name"] == "control"]
if not ctl or ctl[0].get("passed") is not True:
    bad.append("control did not pass")
if len(rows) < int(sys.argv[2]):
    bad.append("%d rows for %s mutants" % (len(rows), sys.argv[2]))
if bad:
    print("not ok 7 - selftest JSON: " + "; ".join(bad[:5]))
else:
    print("ok 7 - selftest JSON: %d rows, control passed, every controlled catch replays exactly" % len(rows))
PY
