#!/bin/sh
# livelock.sh VMTORTURE - TAP: controlled mode's livelock check.
#  - htable-steal with kmem failing and no htable reserve reaches the
#    kernel's own "may spin here" loop (htable_alloc stealing for ever once
#    nothing is left to steal): it ends in seconds as `livelock` (exit 3),
#    naming the spinning worker and htable_steal sites, and replays to the
#    same step from its printed line;
#  - --livelock-steps 0 turns the check off (the run then ends on the step
#    budget, reported as a watchdog hang: given a small --max-steps here).
V=${1:?usage: livelock.sh VMTORTURE}
T=$(mktemp -d "${TMPDIR:-/tmp}/livelock.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
echo "1..3"
run="htable-steal --kmem-fail 0.3 --htable-reserve-amount 0 --sched random --seed 4 --ops 300"
# shellcheck disable=SC2086
timeout 120 "$V" run $run >"$T/o" 2>"$T/e"
rc=$?
f=$(grep -m1 '^FAIL: livelock' "$T/e")
case "$f" in
*"no worker completed an operation for "*"spinning at "*htable_steal*)
	[ $rc -eq 3 ] && echo "ok 1 - livelock, exit 3: $f" ||
	    echo "not ok 1 - livelock but exit $rc" ;;
*)	echo "not ok 1 - exit $rc: $(head -3 "$T/e")" ;;
esac
step=$(grep -o 'at step [0-9]*' "$T/e" | head -1)
line=$(head -1 "$T/e" | sed 's/^vmtorture run //')
# shellcheck disable=SC2086
timeout 120 "$V" run $line >"$T/o2" 2>"$T/e2"
rc2=$?
step2=$(grep -o 'at step [0-9]*' "$T/e2" | head -1)
if [ $rc2 -eq 3 ] && [ -n "$step" ] && [ "$step" = "$step2" ]; then
	echo "ok 2 - the replay line gives the livelock $step again"
else
	echo "not ok 2 - replay: exit $rc2, '$step' vs '$step2'"
fi
# shellcheck disable=SC2086
timeout 120 "$V" run $run --livelock-steps 0 --max-steps 1000000 >"$T/o3" 2>"$T/e3"
rc3=$?
if [ $rc3 -eq 3 ] && grep -q '^FAIL: watchdog: step budget' "$T/e3"; then
	echo "ok 3 - --livelock-steps 0: the step budget ends it (watchdog)"
else
	echo "not ok 3 - --livelock-steps 0: exit $rc3: $(grep -m1 FAIL "$T/e3")"
fi
