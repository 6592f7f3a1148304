#!/bin/sh
# bench_inject.sh VMTORTURE SRCDIR BUILDDIR [REPS] [SECONDS] - TAP (bench
# suite): what the bug catalogue costs when no mutant is on.  Builds a
# second vmtorture with every mutant compiled out (-Dinject=false, in
# BUILDDIR/bench-noinject), then runs map-unmap and htable-steal with one
# worker, seed 1, for SECONDS on each binary, alternating, REPS times, and
# prints each one's median operations per second and the ratio of medians
# (off / compiled out).  Fails only when the catalogue costs more than 10 %.
V=${1:?usage: bench_inject.sh VMTORTURE SRCDIR BUILDDIR [REPS] [SECONDS]}
SRC=${2:?source dir}
BLD=${3:?build dir}
R=${4:-5}
S=${5:-2}
B="$BLD/bench-noinject"
echo "1..3"
if [ ! -f "$B/build.ninja" ]; then
	meson setup "$B" "$SRC" -Dinject=false --buildtype=debugoptimized \
	    >"$BLD/bench-noinject.log" 2>&1 ||
	    { echo "Bail out! meson setup -Dinject=false failed (see $BLD/bench-noinject.log)"; exit 0; }
fi
if ninja -C "$B" vmtorture >>"$BLD/bench-noinject.log" 2>&1; then
	echo "ok 1 - built vmtorture with the catalogue compiled out"
else
	echo "not ok 1 - ninja -C $B vmtorture failed"; exit 0
fi
N="$B/vmtorture"
# rate BIN SCENARIO: operations per second of one run.
rate() {
	"$1" run "$2" --threads 1 --duration "$S" --seed 1 -q 2>/dev/null |
	    awk '/^ran / { s = $2 + 0; n = $4 + 0; if (s > 0) printf "%.1f\n", n / s }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
t=1
for sc in map-unmap htable-steal; do
	t=$((t + 1))
	on=""; off=""
	i=0
	while [ $i -lt "$R" ]; do
		on="$on $(rate "$V" "$sc")"
		off="$off $(rate "$N" "$sc")"
		i=$((i + 1))
	done
	mon=$(echo "$on" | tr ' ' '\n' | grep . | median)
	moff=$(echo "$off" | tr ' ' '\n' | grep . | median)
	if [ -z "$mon" ] || [ -z "$moff" ]; then
		echo "not ok $t - $sc: a run printed no rate"; continue
	fi
	ratio=$(awk -v a="$moff" -v b="$mon" 'BEGIN { printf "%.3f", a / b }')
	line="$sc, 1 worker, median of $R: $mon ops/s with the catalogue (no mutant on), $moff ops/s compiled out; cost $ratio x"
	if awk -v r="$ratio" 'BEGIN { exit !(r <= 1.10) }'; then
		echo "ok $t - $line"
	else
		echo "not ok $t - $line (more than 10 %)"
	fi
done
