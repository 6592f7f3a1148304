#!/bin/sh
# busted.sh VMTORTURE - TAP: the canary.  Every scenario of `vmtorture list
# --names` run with the deliberately broken `busted` lock back end (no mutual
# exclusion) must be caught: exit 1 and RESULT: FAIL (...).  Controlled mode
# (--sched random), so each run interleaves, and fails, the same way every
# time.
V=${1:?usage: busted.sh PATH-TO-VMTORTURE}
T=$(mktemp -d "${TMPDIR:-/tmp}/busted.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
names=$("$V" list --names) || { echo "Bail out! $V list --names failed"; exit 0; }
[ -n "$names" ] || { echo "Bail out! $V list --names printed no scenario"; exit 0; }
echo "1..$(echo "$names" | wc -l)"
n=0
for sc in $names; do
	n=$((n + 1))
	"$V" run "$sc" --lock busted --sched random --ops 200 --seed 1 -q \
	    >"$T/out" 2>"$T/err"
	rc=$?
	res=$(tail -n 1 "$T/out")
	fail=$(grep -m1 '^FAIL' "$T/err")
	case "$rc:$res" in
	"1:RESULT: FAIL ("*)
		echo "ok $n - $sc --lock busted is caught: $fail" ;;
	*)
		echo "not ok $n - $sc --lock busted: exit $rc, $res"
		sed 's/^/# /' "$T/err" | head -n 20 ;;
	esac
done
