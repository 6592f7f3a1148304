#!/bin/sh
# lock_matrix.sh VMTORTURE OPS MODES - TAP: scenario x lock back end.  Each
# scenario of `vmtorture list --names` with each lock back end of `vmtorture
# list` except the `busted` canary (tests/busted.sh) runs in each of MODES
# ("free", "random" or "free random"): free with 4 workers and --ops OPS,
# controlled with --sched random --ops 100; every run must pass.  A scenario may refuse a
# back end (usage error, exit 2) only when `vmtorture list` shows it without
# try-lock: that cell is a skip.
V=${1:?usage: lock_matrix.sh PATH-TO-VMTORTURE OPS MODES}
OPS=${2:?ops}
MODES=${3:?modes}
T=$(mktemp -d "${TMPDIR:-/tmp}/lock_matrix.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
names=$("$V" list --names) || { echo "Bail out! $V list --names failed"; exit 0; }
# The back-end table: "  NAME  init lock trylock unlock waits  description".
"$V" list >"$T/list" || { echo "Bail out! $V list failed"; exit 0; }
awk '/^lock back ends/ { on = 1; next }
    on && /^$/ { exit }
    on && $2 ~ /^(yes|-)$/ && $3 ~ /^(yes|-)$/ { print $1, $4 }' \
    "$T/list" >"$T/locks"
grep -q '^busted ' "$T/locks" || { echo "Bail out! no busted back end in $V list"; exit 0; }
locks=$(awk '$1 != "busted" { print $1 }' "$T/locks")
[ -n "$names" ] && [ -n "$locks" ] || { echo "Bail out! no scenarios or no lock back ends"; exit 0; }
nmodes=0
for mode in $MODES; do
	case $mode in
	free|random) nmodes=$((nmodes + 1)) ;;
	*) echo "Bail out! unknown mode $mode"; exit 0 ;;
	esac
done
echo "1..$(($(echo "$names" | wc -l) * $(echo "$locks" | wc -l) * nmodes))"
n=0
for sc in $names; do
	for lk in $locks; do
		try=$(awk -v l="$lk" '$1 == l { print $2 }' "$T/locks")
		for mode in $MODES; do
			n=$((n + 1))
			if [ $mode = free ]; then
				set -- --threads 4 --ops "$OPS"
			else
				set -- --sched random --ops 100
			fi
			"$V" run "$sc" --lock "$lk" --seed 1 -q "$@" >"$T/out" 2>"$T/err"
			rc=$?
			res=$(tail -n 1 "$T/out")
			if [ $rc -eq 0 ] && [ "$res" = "RESULT: PASS" ]; then
				echo "ok $n - $sc --lock $lk $*"
			elif [ $rc -eq 2 ] && [ "$try" = "-" ]; then
				echo "ok $n - $sc --lock $lk $* # SKIP refused: $(head -n 1 "$T/err")"
			else
				echo "not ok $n - $sc --lock $lk $*: exit $rc, $res"
				sed 's/^/# /' "$T/err" | head -n 20
			fi
		done
	done
done
