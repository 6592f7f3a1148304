#!/bin/sh
# scenarios.sh VMTORTURE SECONDS THREADS [RUN OPTIONS...] - TAP: every
# scenario of `vmtorture list --names` (the non-test ones, asked of the binary
# under test) runs free for SECONDS with THREADS workers and seed 1, plus
# the given options, and passes (exit 0, RESULT: PASS).
V=${1:?usage: scenarios.sh PATH-TO-VMTORTURE SECONDS THREADS [OPTIONS...]}
S=${2:?seconds}
N=${3:?threads}
shift 3
T=$(mktemp -d "${TMPDIR:-/tmp}/scenarios.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
names=$("$V" list --names) || { echo "Bail out! $V list --names failed"; exit 0; }
[ -n "$names" ] || { echo "Bail out! $V list --names printed no scenario"; exit 0; }
echo "1..$(echo "$names" | wc -l)"
n=0
for sc in $names; do
	n=$((n + 1))
	"$V" run "$sc" --threads "$N" --duration "$S" --seed 1 -q "$@" \
	    >"$T/out" 2>"$T/err"
	rc=$?
	res=$(tail -n 1 "$T/out")
	if [ $rc -eq 0 ] && [ "$res" = "RESULT: PASS" ]; then
		echo "ok $n - $sc $* ($(grep -m1 '^ran ' "$T/out"))"
	else
		echo "not ok $n - $sc $*: exit $rc, $res"
		sed 's/^/# /' "$T/err" | head -n 40
	fi
done
