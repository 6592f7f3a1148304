#!/bin/sh
# sched_determinism.sh VMTORTURE RUNS [RUN OPTIONS...] - TAP: in controlled
# mode the same seed and options (plus the given ones) give the same
# decisions, bit for bit.  For every scenario
# and both strategies, RUNS runs with --trace must print one trace hash and
# write byte-identical trace files; a different --sched-seed must differ.
# The scenarios are those of `vmtorture list --names`.
V=${1:?usage: sched_determinism.sh PATH-TO-VMTORTURE [RUNS]}
RUNS=${2:-10}
if [ $# -ge 2 ]; then shift 2; else shift $#; fi
T=$(mktemp -d "${TMPDIR:-/tmp}/sched_det.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
scenarios=$("$V" list --names) || { echo "Bail out! $V list --names failed"; exit 0; }
[ -n "$scenarios" ] || { echo "Bail out! $V list --names printed no scenario"; exit 0; }
echo "1..$(($(echo "$scenarios" | wc -l) * 4))"
n=0
for sc in $scenarios; do
	for st in random pct; do
		i=0
		: >"$T/hashes"
		while [ $i -lt "$RUNS" ]; do
			i=$((i + 1))
			"$V" run "$sc" --sched "$st" --depth 3 --ops 60 --seed 7 \
			    --trace "$T/trace.$i" -q "$@" >"$T/out" 2>&1
			rc=$?
			sed -n 's/.*trace hash \([0-9a-f]*\).*/\1/p' "$T/out" >>"$T/hashes"
			[ $rc -eq 0 ] || echo "# $sc $st run $i exit $rc"
		done
		nh=$(sort -u "$T/hashes" | wc -l)
		nt=$(cat "$T"/trace.* | wc -c)
		nf=$(for f in "$T"/trace.*; do cksum <"$f"; done | sort -u | wc -l)
		n=$((n + 1))
		if [ "$(wc -l <"$T/hashes")" -eq "$RUNS" ] && [ "$nh" -eq 1 ] &&
		    [ "$nf" -eq 1 ] && [ "$nt" -gt 0 ]; then
			echo "ok $n - $sc --sched $st $*: $RUNS runs, one trace hash ($(sed -n 1p "$T/hashes"))"
		else
			echo "not ok $n - $sc --sched $st: $nh distinct hashes, $nf distinct traces"
		fi
		"$V" run "$sc" --sched "$st" --depth 3 --ops 60 --seed 7 \
		    --sched-seed 8 -q "$@" >"$T/out2" 2>&1
		other=$(sed -n 's/.*trace hash \([0-9a-f]*\).*/\1/p' "$T/out2")
		n=$((n + 1))
		if [ -n "$other" ] && [ "$other" != "$(sed -n 1p "$T/hashes")" ]; then
			echo "ok $n - $sc --sched $st: another --sched-seed gives another schedule"
		else
			echo "not ok $n - $sc --sched $st: --sched-seed 8 gave hash '$other'"
		fi
		rm -f "$T"/trace.*
	done
done
