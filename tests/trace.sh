#!/bin/sh
# trace.sh VMTORTURE OPS - TAP: traces of controlled runs record the schedule
# as its decisions.  The trace of a long pct hment-steal run (a schedule point
# per page scanned) stays small, names sites by function:file:line, has its
# tail and end line, and `vmtorture replay` of it gives the same trace hash
# as the run with and without --trace; --trace-all lists every point and
# replays too; a malformed schedule file is one line naming FILE:LINE, exit 2.
V=${1:?usage: trace.sh PATH-TO-VMTORTURE [OPS]}
OPS=${2:-2000}
T=$(mktemp -d "${TMPDIR:-/tmp}/trace.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
echo "1..9"
hash() { sed -n 's/.*trace hash \([0-9a-f]*\).*/\1/p' "$1" | head -n 1; }

"$V" run hment-steal --sched pct --depth 3 --ops "$OPS" -q >"$T/plain.out" 2>&1
"$V" run hment-steal --sched pct --depth 3 --ops "$OPS" --trace "$T/t" -q \
    >"$T/traced.out" 2>&1
rc=$?
h0=$(hash "$T/plain.out")
h1=$(hash "$T/traced.out")
size=$(wc -c <"$T/t")
points=$(sed -n 's/.*schedule: \([0-9]*\) points.*/\1/p' "$T/traced.out")
if [ $rc -eq 0 ] && [ -n "$h0" ] && [ "$h0" = "$h1" ]; then
	echo "ok 1 - hment-steal pct --ops $OPS: the same trace hash with and without --trace ($h1)"
else
	echo "not ok 1 - exit $rc, trace hash '$h1' traced, '$h0' not"
fi
# A line per point would be ~50 bytes each; the decisions are a few thousand.
if [ -n "$points" ] && [ "$size" -lt 1000000 ] && [ "$points" -gt 100000 ]; then
	echo "ok 2 - the trace is $size bytes for $points schedule points"
else
	echo "not ok 2 - trace of $size bytes for '$points' points"
fi
first=$(sed -n 1p "$T/t")
if case "$first" in "# vmtorture run hment-steal "*) true ;; *) false ;; esac &&
    grep -q '^# tail: the last 200 of ' "$T/t" &&
    grep -q "^# end: done at step $points; .* trace hash $h1\$" "$T/t" &&
    grep -q '^0 0 start - - -> [0-9]*$' "$T/t" &&
    grep -Eq '^[0-9]+ [0-9]+ [a-z_]+ [^ ]+ [a-z_0-9]+:[a-z]+/[a-z_0-9]+\.c:[0-9]+ -> [0-9]+$' "$T/t"; then
	echo "ok 3 - header, start, switch lines with function:file:line sites, tail, end"
else
	echo "not ok 3 - trace layout: $(sed -n '1p;8,10p' "$T/t" | tr '\n' '|')"
fi
"$V" replay "$T/t" -q >"$T/replay.out" 2>&1
rc=$?
h2=$(hash "$T/replay.out")
if [ $rc -eq 0 ] && [ "$h2" = "$h1" ]; then
	echo "ok 4 - replay of the trace: the same trace hash"
else
	echo "not ok 4 - replay exit $rc, trace hash '$h2', not '$h1'"
fi

# Every point as a line (random strategy: many switches, yields, blocks).
"$V" run map-unmap --sched random --ops 40 --seed 5 --trace "$T/all" \
    --trace-all -q >"$T/all.out" 2>&1
h3=$(hash "$T/all.out")
n3=$(sed -n 's/.*schedule: \([0-9]*\) points.*/\1/p' "$T/all.out")
lines=$(grep -c '^[0-9]' "$T/all")
"$V" replay "$T/all" -q >"$T/all2.out" 2>&1
h4=$(hash "$T/all2.out")
if [ -n "$h3" ] && [ "$h3" = "$h4" ] && [ $((n3 + 1)) -le "$lines" ]; then
	echo "ok 5 - --trace-all: every point a line ($lines lines, $n3 points), replays ($h3)"
else
	echo "not ok 5 - --trace-all: $lines lines for $n3 points, hashes '$h3' '$h4'"
fi

# Malformed schedules: one line naming FILE:LINE, exit 2.
head -n 8 "$T/all" >"$T/bad1"
echo "12 1 lock mlist_lock[3] f:core/x.c:1 -> two" >>"$T/bad1"
printf '# vmtorture run map-unmap --seed 5 --ops 40 --sched random\n9 1 x -> 2\n3 2 x -> 1\n' >"$T/bad2"
printf '# vmtorture run map-unmap --seed 5 --ops 40 --sched random\n5 1 lock - - -> 77\n' >"$T/bad3"
n=6
for f in bad1:9 bad2:3 bad3:2; do
	file=${f%%:*}
	line=${f#*:}
	"$V" run map-unmap --sched random --ops 40 --seed 5 --schedule "$T/$file" \
	    >"$T/bad.out" 2>"$T/bad.err"
	rc=$?
	if [ $rc -eq 2 ] && [ "$(wc -l <"$T/bad.err")" -eq 1 ] &&
	    grep -q "^vmtorture: $T/$file:$line: " "$T/bad.err"; then
		echo "ok $n - malformed schedule $file: exit 2, $(cat "$T/bad.err" | sed "s|$T/||")"
	else
		echo "not ok $n - $file: exit $rc: $(cat "$T/bad.err")"
	fi
	n=$((n + 1))
done
"$V" replay "$T/bad1" >"$T/bad.out" 2>"$T/bad.err"
rc=$?
if [ $rc -eq 2 ] && grep -q "^vmtorture: $T/bad1:9: " "$T/bad.err"; then
	echo "ok 9 - replay of a malformed trace: exit 2 naming the line"
else
	echo "not ok 9 - replay of bad1: exit $rc: $(cat "$T/bad.err")"
fi
