#!/bin/sh
# campaign.sh VMTORTURE - TAP: `vmtorture campaign` and `vmtorture merge`.
#  - bad input is one line on stderr, exit 2;
#  - a campaign over fixed seeds (controlled strategies: deterministic)
#    run as 4 shards through GNU parallel and merged gives the same report
#    as one process: with --keep-going every line of it, without it the
#    same failing cells with the same lowest seeds;
#  - the campaign's own summary is the merge of its JSON lines;
#  - --shard auto reads Slurm, Kubernetes and GNU parallel variables;
#  - with --lock busted every cell fails and each check has one row;
#  - a --budget campaign ends on time with one JSON line per run;
#  - a campaign file runs; a bad one names FILE:LINE, exit 2.
V=${1:?usage: campaign.sh PATH-TO-VMTORTURE}
T=$(mktemp -d "${TMPDIR:-/tmp}/campaign.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
echo "1..10"

bad=0
for a in "--budget 0" "--strategies pct:0" "--scenarios nope" "--shard 4/4" \
    "--seeds 5-1" "--seed 3" "--budget 2m --seeds 1-2" "--hment-hash-size 7"; do
	# shellcheck disable=SC2086
	"$V" campaign $a --out "$T/x.jsonl" >"$T/o" 2>"$T/e"
	rc=$?
	if [ $rc -ne 2 ] || [ "$(wc -l <"$T/e")" -ne 1 ]; then
		echo "# $a: exit $rc, $(wc -l <"$T/e") lines: $(head -1 "$T/e")"
		bad=$((bad + 1))
	fi
done
if [ $bad -eq 0 ]; then
	echo "ok 1 - 8 kinds of bad input: one line each, exit 2"
else
	echo "not ok 1 - $bad kinds of bad input not refused in one line"
fi

# Two scenarios x two option sets x two strategies, seeds 1-6: the mutant
# fails some seeds, not others.
M="--scenarios map-unmap,pageunload --strategies random,pct:3 --seeds 1-6"
O1="plain="
O2="mutant=--inject htable-create-no-recheck"
# shellcheck disable=SC2086
"$V" campaign $M --optset "$O1" --optset "$O2" --keep-going --jobs 2 \
    --out "$T/one.jsonl" >"$T/one.out" 2>"$T/one.err"
rc=$?
sed 's/^/# /' "$T/one.out"
"$V" merge "$T/one.jsonl" >"$T/one.merge" 2>&1
grep -v '^campaign:' "$T/one.out" >"$T/one.sum"
grep -v '^merge:' "$T/one.merge" >"$T/one.rep"
if [ $rc -eq 1 ] && grep -q '^RESULT: FAIL' "$T/one.out" &&
    cmp -s "$T/one.sum" "$T/one.rep"; then
	echo "ok 2 - one process: failures found; its summary is the merge of its JSON lines"
else
	echo "not ok 2 - one process: exit $rc; summary vs merge: $(diff "$T/one.sum" "$T/one.rep" | head -3)"
fi

if ! command -v parallel >/dev/null 2>&1; then
	echo "ok 3 # SKIP GNU parallel not installed (tools/setup.sh installs it)"
	echo "ok 4 # SKIP GNU parallel not installed"
else
	# shellcheck disable=SC2086
	parallel -j2 "$V" campaign $M --optset "'$O1'" --optset "'$O2'" \
	    --keep-going --jobs 1 --shard '{}/4' --out "$T/s{}.jsonl" \
	    '>' "$T/s{}.out" ::: 0 1 2 3
	"$V" merge "$T"/s0.jsonl "$T"/s1.jsonl "$T"/s2.jsonl "$T"/s3.jsonl \
	    >"$T/four.merge" 2>&1
	grep -v '^merge:' "$T/four.merge" >"$T/four.rep"
	if [ -s "$T/four.rep" ] && cmp -s "$T/one.rep" "$T/four.rep"; then
		echo "ok 3 - 4 shards through GNU parallel, merged: the one-process report, line for line"
	else
		echo "not ok 3 - 4 shards merged differ: $(diff "$T/one.rep" "$T/four.rep" | head -4 | tr '\n' ' ')"
	fi
	# Without --keep-going: the same failing cells, the same lowest seeds.
	# shellcheck disable=SC2086
	"$V" campaign $M --optset "$O1" --optset "$O2" --jobs 2 \
	    --out "$T/first.jsonl" >/dev/null 2>&1
	# shellcheck disable=SC2086
	parallel -j2 "$V" campaign $M --optset "'$O1'" --optset "'$O2'" \
	    --jobs 1 --shard '{}/4' --out "$T/f{}.jsonl" '>' /dev/null \
	    ::: 0 1 2 3
	"$V" merge "$T/first.jsonl" | awk '$2 ~ /^[0-9]+$/ && NF >= 5 && $1 ~ /\// { print $1, $4, $5 }' >"$T/first.cells"
	"$V" merge "$T"/f0.jsonl "$T"/f1.jsonl "$T"/f2.jsonl "$T"/f3.jsonl |
	    awk '$2 ~ /^[0-9]+$/ && NF >= 5 && $1 ~ /\// { print $1, $4, $5 }' >"$T/four.cells"
	nf=$(awk '$2 != "-"' "$T/first.cells" | wc -l)
	if [ "$(wc -l <"$T/first.cells")" -eq 8 ] && [ "$nf" -gt 0 ] &&
	    cmp -s "$T/first.cells" "$T/four.cells"; then
		echo "ok 4 - to the first failure: 4 shards give the same $nf failing cells and lowest seeds"
	else
		echo "not ok 4 - first failures differ: $(diff "$T/first.cells" "$T/four.cells" | head -4 | tr '\n' ' ')"
	fi
fi

# --shard auto: Slurm arrays, Kubernetes Indexed Jobs, GNU parallel.
ok=0
SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=4 \
    "$V" campaign --scenarios map-unmap --strategies random --seeds 1-2 \
    --shard auto --out "$T/a.jsonl" >/dev/null 2>&1
grep -q '"shard":"2/4"' "$T/a.jsonl" && ok=$((ok + 1))
JOB_COMPLETION_INDEX=3 "$V" campaign --scenarios map-unmap --strategies random \
    --seeds 1-2 --shard auto/4 --out "$T/a.jsonl" >/dev/null 2>&1
grep -q '"shard":"3/4"' "$T/a.jsonl" && ok=$((ok + 1))
PARALLEL_SEQ=1 "$V" campaign --scenarios map-unmap --strategies random \
    --seeds 1-2 --shard auto/4 --out "$T/a.jsonl" >/dev/null 2>&1
grep -q '"shard":"0/4"' "$T/a.jsonl" && ok=$((ok + 1))
JOB_COMPLETION_INDEX=0 "$V" campaign --scenarios map-unmap --seeds 1-2 \
    --shard auto --out "$T/a.jsonl" >/dev/null 2>"$T/e"
rc=$?
if [ $ok -eq 3 ] && [ $rc -eq 2 ] && grep -q 'auto/N' "$T/e"; then
	echo "ok 5 - --shard auto: Slurm (from MIN), JOB_COMPLETION_INDEX/4, PARALLEL_SEQ/4; no total: exit 2"
else
	echo "not ok 5 - --shard auto: $ok/3 right, no total: exit $rc"
fi

# The busted lock: every cell fails; one row per check.  Controlled
# strategies only: a short free-mode run on a loaded machine may finish
# with its workers never overlapping, and then even no lock at all passes.
"$V" campaign --seeds 1-3 --jobs 2 --lock busted \
    --strategies random,pct:3,pct:10 --out "$T/b.jsonl" \
    >"$T/b.out" 2>&1
rc=$?
cells=$(awk '$1 ~ /\/default\// && $2 ~ /^[0-9]+$/' "$T/b.out" | wc -l)
failing=$(awk '$1 ~ /\/default\// && $3 ~ /^[1-9]/' "$T/b.out" | wc -l)
checks=$(sed -n 's/^checks: //p' "$T/b.out")
rows=$(sed -n '/^checks:/,/^RESULT/p' "$T/b.out" | grep -c '^  ')
sed -n '/^checks:/,$p' "$T/b.out" | sed 's/^/# /'
if [ $rc -eq 1 ] && [ "$cells" -ge 16 ] && [ "$failing" -eq "$cells" ] &&
    [ -n "$checks" ] && [ "$rows" -eq "$checks" ]; then
	echo "ok 6 - --lock busted: all $cells cells fail; $checks checks, one row each"
else
	echo "not ok 6 - --lock busted: exit $rc, $failing/$cells cells failed, $rows rows for $checks checks"
fi

# A budget: on time, one JSON line per run, a header and an end line.
start=$(date +%s)
"$V" campaign --budget 4 --jobs 2 --scenarios map-unmap,pageunload \
    --out "$T/bud.jsonl" >"$T/bud.out" 2>&1
rc=$?
took=$(($(date +%s) - start))
runs=$(sed -n 's/^campaign: \([0-9]*\) runs in.*/\1/p' "$T/bud.out")
lines=$(grep -c '"type":"run"' "$T/bud.jsonl")
if [ $rc -eq 0 ] && [ "$took" -le 6 ] && [ -n "$runs" ] && [ "$runs" -gt 0 ] &&
    [ "$lines" -eq "$runs" ] && head -1 "$T/bud.jsonl" | grep -q '"type":"campaign"' &&
    tail -1 "$T/bud.jsonl" | grep -q '"type":"end"'; then
	echo "ok 7 - --budget 4: $runs runs in ${took} s, one JSON line each"
else
	echo "not ok 7 - --budget 4: exit $rc, ${took} s, $runs runs, $lines lines"
fi

python3 - "$T/one.jsonl" <<'PY'
import json, sys
need = ("cell", "seed", "strategy", "result", "check", "seconds", "steps", "replay")
bad = []
n = 0
for ln in open(sys.argv[1]):
    d = json.loads(ln)
    if d["type"] != "run":
        continue
    n += 1
    for k in need:
        if k not in d:
            bad.append("lacks " + k)
    if d["result"] != "pass" and not d.get("signature"):
        bad.append("a failure without signature")
    if not d["replay"].startswith("vmtorture run "):
        bad.append("replay: " + d["replay"][:40])
if bad or n != 48:
    print("not ok 8 - JSON lines: %d runs; %s" % (n, "; ".join(sorted(set(bad))[:4])))
else:
    print("ok 8 - JSON lines: %d runs with cell, seed, strategy, result, check, seconds, steps, replay" % n)
PY

cat >"$T/c.ini" <<'EOF'
[campaign]
scenarios = pageunload
strategies = random pct:3
seeds = 1-2
jobs = 1
options = --ops 100
[optset small]
options = --hment-hash-size 64 --mmu 2
EOF
"$V" campaign -f "$T/c.ini" --out "$T/c.jsonl" >"$T/c.out" 2>&1
rc=$?
n=$(grep -c '"type":"run"' "$T/c.jsonl")
if [ $rc -eq 0 ] && [ "$n" -eq 4 ] &&
    grep -q '"replay":"vmtorture run pageunload --seed 1 --ops 100 --sched pct.*--hment-hash-size 64' "$T/c.jsonl"; then
	echo "ok 9 - a campaign file: 2 cells x 2 seeds, its options in the replay lines"
else
	echo "not ok 9 - campaign file: exit $rc, $n runs: $(tail -2 "$T/c.out")"
fi

printf '[campaign]\nscenarios = pageunload\nbudgit = 2m\n' >"$T/bad.ini"
"$V" campaign -f "$T/bad.ini" >"$T/o" 2>"$T/e"
rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l <"$T/e")" -eq 1 ] && grep -q 'bad.ini:3: unknown key' "$T/e"; then
	echo "ok 10 - a bad campaign file: FILE:LINE, exit 2"
else
	echo "not ok 10 - bad campaign file: exit $rc: $(head -2 "$T/e")"
fi
exit 0
