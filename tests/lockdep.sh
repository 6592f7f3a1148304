#!/bin/sh
# lockdep.sh VMTORTURE LOCKING.md - TAP: the lock-order validator.
#  - the planted inversion (lock-inversion --lockdep, free mode) fails with
#    lock-order, naming both orders with their sites, within seconds;
#  - every scenario, with lockdep on (the default), passes, and every class
#    edge it shows goes down doc/LOCKING.md's global order (a class the
#    table does not list is an error too).
V=${1:?usage: lockdep.sh VMTORTURE LOCKING.md}
L=${2:?usage: lockdep.sh VMTORTURE LOCKING.md}
T=$(mktemp -d "${TMPDIR:-/tmp}/lockdep.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
scenarios=$("$V" list --names)
echo "1..$(( $(echo "$scenarios" | wc -l) + 2 ))"
n=1
t0=$(date +%s%N)
"$V" run lock-inversion --lockdep --duration 5 >"$T/out" 2>"$T/err"
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
fail=$(grep -m1 '^FAIL: lock-order' "$T/err")
case "$fail" in
*"inversion_a taken while holding inversion_b at "*"earlier inversion_a then inversion_b at "*|\
*"inversion_b taken while holding inversion_a at "*"earlier inversion_b then inversion_a at "*)
	if [ $rc -eq 1 ] && [ $ms -lt 5000 ]; then
		echo "ok $n - lock-inversion --lockdep: lock-order in $ms ms, exit 1: $fail"
	else
		echo "not ok $n - lock-inversion --lockdep: exit $rc after $ms ms"
	fi ;;
*)	echo "not ok $n - lock-inversion --lockdep: exit $rc, $(head -3 "$T/err")" ;;
esac
# The documented order: row number of each lock named in the table's
# second column (`name`, `name[]`, `x->name`).
awk -F'|' '/^\| [0-9]+ \|/ {
	gsub(/ /, "", $2); n = split($3, parts, "`");
	for (i = 2; i <= n; i += 2) { w = parts[i]; sub(/\[\]$/, "", w);
		sub(/.*->/, "", w); sub(/\(.*/, "", w); print w, $2 } }' "$L" >"$T/order"
for sc in $scenarios; do
	n=$((n + 1))
	"$V" run "$sc" --duration 1 --mmu 1 -q --lockdep-edges "$T/edges.$sc" \
	    >"$T/out" 2>&1
	rc=$?
	bad=""
	while read -r a arrow b site; do
		ra=$(awk -v w="$a" '$1 == w { print $2 }' "$T/order")
		rb=$(awk -v w="$b" '$1 == w { print $2 }' "$T/order")
		if [ -z "$ra" ] || [ -z "$rb" ]; then
			bad="$bad; $a -> $b: not in doc/LOCKING.md"
		elif [ "$ra" -ge "$rb" ] && [ "$a" != "$b" ]; then
			bad="$bad; $a (#$ra) -> $b (#$rb) at $site goes up the order"
		fi
	done <"$T/edges.$sc"
	edges=$(awk '{ printf "%s%s->%s", s, $1, $3; s = " " }' "$T/edges.$sc")
	if [ $rc -eq 0 ] && [ -z "$bad" ]; then
		echo "ok $n - $sc: passes with lockdep; edges follow LOCKING.md: $edges"
	else
		echo "not ok $n - $sc: exit $rc$bad"
		tail -3 "$T/out" | sed 's/^/# /'
	fi
done
n=$((n + 1))
if [ "$(wc -l <"$T/order")" -gt 5 ]; then
	echo "ok $n - doc/LOCKING.md's order table read ($(wc -l <"$T/order") locks)"
else
	echo "not ok $n - doc/LOCKING.md's order table not found"
fi
