#!/bin/sh
# kmapper.sh VMTORTURE - TAP: the kmapper role (kernel mappings of library
# pages, issue 13) reaches what it is for: hment-steal's hment_steal passes
# over kernel hments (vt_hm_steal_kas) while kernel mappings are made
# (vt_kas_kmaps), in free and controlled mode; pageunload's page daemon
# unloads kernel mappings with hat_pageunload and the simulated CPUs see
# the shootdowns; without --kmapper nothing is mapped into kas by it.
V=${1:?usage: kmapper.sh PATH-TO-VMTORTURE}
T=$(mktemp -d "${TMPDIR:-/tmp}/kmapper.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
echo "1..4"
n=0
# check DESCRIPTION PYTHON-CONDITION run-options...: the run passes and the
# condition over its HATSTAT/MMU counters (dict c) holds.
check() {
	d=$1; cond=$2; shift 2
	n=$((n + 1))
	"$V" run "$@" --seed 1 -q --json "$T/j" >"$T/out" 2>&1
	rc=$?
	got=$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
c = {}
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if isinstance(v, int) and (k.startswith("vt_") or
                k.startswith("hs_") or k.startswith("tlb_")):
                c[k] = c.get(k, 0) + v
            walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
walk(j)
for k in ("vt_kas_kmaps", "vt_hm_steal_kas", "vt_tlb_inval_kas"):
    c.setdefault(k, -1)	# missing from the report: a failure, not a zero
print("yes" if eval(sys.argv[2]) else "no",
      " ".join("%s=%d" % (k, c.get(k, 0)) for k in
               ("vt_kas_kmaps", "vt_hm_steal_kas", "vt_tlb_inval_kas",
                "tlb_shootdowns")))
' "$T/j" "$cond" 2>&1)
	if [ $rc -eq 0 ] && [ "${got%% *}" = "yes" ]; then
		echo "ok $n - $d: $* (${got#* })"
	else
		echo "not ok $n - $d: $*: exit $rc, $got"
		sed 's/^/# /' "$T/out" | tail -n 5
	fi
}
check "hment_steal passes over kernel hments" \
    'c["vt_kas_kmaps"] > 0 and c["vt_hm_steal_kas"] > 0' \
    hment-steal --kmapper 1 --duration 2
check "the same, controlled" \
    'c["vt_kas_kmaps"] > 0 and c["vt_hm_steal_kas"] > 0' \
    hment-steal --kmapper 1 --sched random --ops 300
check "kernel mappings unloaded by the page daemon, shot down" \
    'c["vt_kas_kmaps"] > 0 and c["vt_tlb_inval_kas"] > 0 and c["tlb_shootdowns"] > 0' \
    pageunload --kmapper 1 --mmu 2 --duration 2
check "no kmapper, no kernel mappings of library pages" \
    'c["vt_kas_kmaps"] == 0 and c["vt_hm_steal_kas"] == 0 and c["vt_tlb_inval_kas"] == 0' \
    pageunload --mmu 2 --duration 1
