#!/bin/sh
# deadlock.sh VMTORTURE - TAP: the planted lock-order inversion of the
# test-only `lock-inversion` scenario must be reported as a deadlock with its
# wait-for cycle and exit 3; in controlled mode a re-run of the printed
# replay line must stop at the same step; in free mode the watchdog must
# name it (exit 3).  The report says where each worker waits (function:
# file:line), and the trace of the deadlock (blocks and all) replays to the
# same report.
V=${1:?usage: deadlock.sh PATH-TO-VMTORTURE}
T=$(mktemp -d "${TMPDIR:-/tmp}/deadlock.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
echo "1..7"
n=0
for st in random pct; do
	"$V" run lock-inversion --sched $st --ops 200 --seed 3 >"$T/out" 2>"$T/err"
	rc=$?
	fail=$(grep -m1 '^FAIL: deadlock' "$T/err")
	n=$((n + 1))
	case "$fail" in
	*"(cycle)"*"at take_two:scenarios/lock_inversion.c:"*|*"at take_two:scenarios/lock_inversion.c:"*"(cycle)"*)
		if [ $rc -eq 3 ]; then
			echo "ok $n - --sched $st: deadlock with its cycle, exit 3"
		else
			echo "not ok $n - --sched $st: exit $rc"
		fi ;;
	*) echo "not ok $n - --sched $st: exit $rc, no cycle: $fail" ;;
	esac
	line=$(sed -n 1p "$T/err")
	# shellcheck disable=SC2086
	"$V" ${line#vmtorture } >/dev/null 2>"$T/err2"
	rc2=$?
	n=$((n + 1))
	if [ $rc2 -eq 3 ] && [ "$(grep -m1 '^FAIL' "$T/err2")" = "$fail" ]; then
		echo "ok $n - --sched $st: the replay line deadlocks at the same step"
	else
		echo "not ok $n - --sched $st: replay exit $rc2: $(grep -m1 '^FAIL' "$T/err2")"
	fi
done
"$V" run lock-inversion --sched pct --ops 200 --seed 3 --trace "$T/t" >"$T/out" 2>"$T/err"
fail=$(grep -m1 '^FAIL: deadlock' "$T/err")
n=$((n + 1))
if grep -q '^[0-9]* [0-9]* block [^ ]* take_two:scenarios/lock_inversion.c:[0-9]* -> ' "$T/t" &&
    grep -q '^# end: deadlock at step ' "$T/t"; then
	echo "ok $n - the trace shows the blocks with their sites and ends in the deadlock"
else
	echo "not ok $n - trace of the deadlock: $(grep -v '^#' "$T/t" | tail -n 2 | tr '\n' '|')"
fi
"$V" replay "$T/t" >/dev/null 2>"$T/err2"
rc2=$?
n=$((n + 1))
if [ $rc2 -eq 3 ] && [ -n "$fail" ] && [ "$(grep -m1 '^FAIL' "$T/err2")" = "$fail" ]; then
	echo "ok $n - replay of the trace deadlocks with the same report"
else
	echo "not ok $n - replay of the trace: exit $rc2: $(grep -m1 '^FAIL' "$T/err2")"
fi
"$V" run lock-inversion --threads 4 --duration 30 --watchdog 1 >"$T/out" 2>"$T/err"
rc=$?
n=$((n + 1))
if [ $rc -eq 3 ] && grep -q 'waits on mutex inversion' "$T/err" &&
    grep -q 'waiting (mutex) since the call at take_two:scenarios/lock_inversion.c:' "$T/err"; then
	echo "ok $n - free mode: the watchdog reports the stuck workers and where they wait, exit 3"
else
	echo "not ok $n - free mode: exit $rc"
fi
