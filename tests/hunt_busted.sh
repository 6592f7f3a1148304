#!/bin/sh
# hunt_busted.sh VMTORTURE - TAP: `vmtorture hunt` must find a failing seed
# with the deliberately broken lock, its printed replay line must fail again
# with the same check, `replay` of that line must too, and `shrink` must
# produce a schedule that still fails.  Shrink's trace must replay to the
# same failing step, both files must be in the trace format (header, switch
# lines with function:file:line sites), and --jobs must not change the seed.
V=${1:?usage: hunt_busted.sh PATH-TO-VMTORTURE}
T=$(mktemp -d "${TMPDIR:-/tmp}/hunt_busted.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
echo "1..8"

"$V" hunt map-unmap --lock busted --sched random --ops 200 --seeds 1-50 \
    --jobs 2 >"$T/hunt.out" 2>"$T/hunt.err"
rc=$?
sed 's/^/# /' "$T/hunt.out"
summary=$(sed -n 1p "$T/hunt.out")
line=$(sed -n 2p "$T/hunt.out")
check=$(printf '%s\n' "$summary" | sed -n 's/^hunt: seed [0-9]* failed (\(.*\)) after.*/\1/p')
if [ $rc -eq 1 ] && [ -n "$check" ]; then
	echo "ok 1 - hunt finds a failing seed ($check)"
else
	echo "not ok 1 - hunt exit $rc, summary: $summary"
fi

case "$line" in
"vmtorture run "*) args=${line#vmtorture run } ;;
*) args= ;;
esac
if [ -z "$args" ]; then
	echo "not ok 2 - no replay line printed"
	echo "not ok 3 - no replay line printed"
	echo "not ok 4 - no replay line printed"
	echo "not ok 5 - no replay line printed"
	echo "not ok 6 - no replay line printed"
	echo "not ok 7 - no replay line printed"
	echo "not ok 8 - no replay line printed"
	exit 0
fi
# shellcheck disable=SC2086 # the replay line is words without quoting
"$V" run $args -q >"$T/run.out" 2>"$T/run.err"
rc=$?
if [ $rc -eq 1 ] && grep -q "^RESULT: FAIL ($check)" "$T/run.out"; then
	echo "ok 2 - the replay line fails again ($check)"
else
	echo "not ok 2 - replay line: exit $rc, $(tail -n 1 "$T/run.out")"
fi

# shellcheck disable=SC2086
"$V" replay $args -q >"$T/replay.out" 2>"$T/replay.err"
rc=$?
grep -E '^(FAIL|schedule):' "$T/run.err" >"$T/run.key"
grep -E '^(FAIL|schedule):' "$T/replay.err" >"$T/replay.key"
if [ $rc -eq 1 ] && [ -s "$T/run.key" ] && cmp -s "$T/run.key" "$T/replay.key"; then
	echo "ok 3 - replay of the line fails at the same step"
else
	echo "not ok 3 - replay: exit $rc, FAIL/schedule lines differ from run's"
fi

# shellcheck disable=SC2086
"$V" shrink $args --trace "$T/t.trace" --max-runs 60 >"$T/shrink.out" 2>&1
rc=$?
sed 's/^/# /' "$T/shrink.out"
if [ $rc -eq 0 ] && [ -s "$T/t.trace.shrunk" ]; then
	echo "ok 4 - shrink writes a schedule"
else
	echo "not ok 4 - shrink exit $rc"
fi

"$V" replay "$T/t.trace.shrunk" -q >"$T/rs.out" 2>"$T/rs.err"
rc=$?
if [ $rc -eq 1 ] && grep -q "^RESULT: FAIL ($check)" "$T/rs.out"; then
	echo "ok 5 - replay of the shrunk schedule fails ($check)"
else
	echo "not ok 5 - replay of the shrunk schedule: exit $rc"
fi

"$V" replay "$T/t.trace" -q >"$T/rt.out" 2>"$T/rt.err"
rc=$?
grep -E '^(FAIL|schedule):' "$T/rt.err" >"$T/rt.key"
if [ $rc -eq 1 ] && [ -s "$T/rt.key" ] && cmp -s "$T/run.key" "$T/rt.key"; then
	echo "ok 6 - replay of shrink's trace fails at the same step"
else
	echo "not ok 6 - replay of the trace: exit $rc: $(cat "$T/rt.key")"
fi

bad=$(grep -v '^#' "$T/t.trace" | grep -Evc '^[0-9]+ [0-9]+ [a-z_]+ [^ ]+ [^ ]+ -> [0-9]+$')
sites=$(grep -Ec '^[0-9]+ [0-9]+ [a-z_]+ [^ ]+ [a-z_0-9]+:[a-z]+/[a-z_0-9]+\.[ch]:[0-9]+ -> ' "$T/t.trace")
if [ "$(sed -n 1p "$T/t.trace.shrunk" | cut -d' ' -f1-4)" = "# vmtorture run map-unmap" ] &&
    [ "$(sed -n 1p "$T/t.trace" | cut -d' ' -f1-4)" = "# vmtorture run map-unmap" ] &&
    [ "$bad" -eq 0 ] && [ "$sites" -gt 0 ] &&
    grep -q '^# end: failed (panic) at step ' "$T/t.trace"; then
	echo "ok 7 - trace and shrunk schedule: header, $sites switch lines with sites, end line"
else
	echo "not ok 7 - trace format: $bad malformed lines, $sites with sites"
fi

"$V" hunt map-unmap --lock busted --sched random --ops 200 --seeds 1-50 \
    --jobs 1 >"$T/hunt1.out" 2>&1
if [ "$(sed -n 1p "$T/hunt1.out" | cut -d' ' -f1-5)" = "$(printf '%s\n' "$summary" | cut -d' ' -f1-5)" ] &&
    [ "$(sed -n 2p "$T/hunt1.out")" = "$line" ]; then
	echo "ok 8 - --jobs 1 finds the same seed and replay line as --jobs 2"
else
	echo "not ok 8 - --jobs 1: $(sed -n 1p "$T/hunt1.out")"
fi
exit 0
