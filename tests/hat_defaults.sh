#!/bin/sh
# hat_defaults.sh VMTORTURE - TAP: the hment lock tables take each hment.c
# revision's own sizes unless given (2007 AVL: 2048/2048, 2006 chain:
# 256/256), a given size wins over the revision's default, and
# --mlist-locks page gives one lock per frame (pages rounded up to a power
# of two); only mlist_lock has a per-page mode; --htable-lookup rcu is
# refused in controlled mode; --segkmem on refuses an htable reserve too
# small for a nested kernel load.
V=${1:?usage: hat_defaults.sh PATH-TO-VMTORTURE}
T=$(mktemp -d "${TMPDIR:-/tmp}/hat_defaults.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
echo "1..10"
n=0
check() {	# want_mlist want_hash run-options...
	wm=$1; wh=$2; shift 2
	n=$((n + 1))
	"$V" run map-unmap --ops 200 --seed 1 -q --json "$T/j" "$@" \
	    >"$T/out" 2>&1
	rc=$?
	got=$(python3 -c 'import json,sys; l=json.load(open(sys.argv[1]))["locks"]; print(l["mlist_lock"]["size"], l["hash_lock"]["size"])' "$T/j" 2>/dev/null)
	if [ $rc -eq 0 ] && [ "$got" = "$wm $wh" ]; then
		echo "ok $n - $* -> mlist_lock[$wm] hash_lock[$wh]"
	else
		echo "not ok $n - $*: exit $rc, sizes '$got', wanted '$wm $wh'"
		sed 's/^/# /' "$T/out" | tail -n 5
	fi
}
check 2048 2048 --hment-hash avl
check 256 256 --hment-hash chain
check 1024 256 --hment-hash chain --mlist-locks 1024
check 2048 64 --hment-hash avl --hash-locks 64
check 65536 2048 --hment-hash avl --mlist-locks page
check 8192 256 --hment-hash chain --mlist-locks page --pages 5000
n=$((n + 1))
"$V" run map-unmap --ops 200 --seed 1 -q --hash-locks page >"$T/out" 2>&1
rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l <"$T/out")" -eq 1 ] &&
    grep -q -- '--hash-locks page' "$T/out"; then
	echo "ok $n - --hash-locks page: one-line usage error, exit 2"
else
	echo "not ok $n - --hash-locks page: exit $rc"
	sed 's/^/# /' "$T/out" | tail -n 5
fi
# --htable-lookup rcu is free mode only: a controlled schedule is refused.
for sched in random pct; do
	n=$((n + 1))
	"$V" run map-unmap --ops 200 --seed 1 -q --sched "$sched" \
	    --htable-lookup rcu >"$T/out" 2>&1
	rc=$?
	if [ $rc -eq 2 ] && [ "$(wc -l <"$T/out")" -eq 1 ] &&
	    grep -q -- '--htable-lookup rcu needs --sched free' "$T/out"; then
		echo "ok $n - --htable-lookup rcu --sched $sched: one-line usage error, exit 2"
	else
		echo "not ok $n - --htable-lookup rcu --sched $sched: exit $rc"
		sed 's/^/# /' "$T/out" | tail -n 5
	fi
done
# --segkmem on with htable-steal's own reserve of 1: too small to recurse.
n=$((n + 1))
"$V" run htable-steal --ops 200 --seed 1 -q --segkmem on >"$T/out" 2>&1
rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l <"$T/out")" -eq 1 ] &&
    grep -q -- '--segkmem on needs --htable-reserve-amount >= 3' "$T/out"; then
	echo "ok $n - --segkmem on, reserve 1: one-line usage error, exit 2"
else
	echo "not ok $n - --segkmem on, reserve 1: exit $rc"
	sed 's/^/# /' "$T/out" | tail -n 5
fi
