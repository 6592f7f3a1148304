#!/bin/sh
# run.sh FUZZER SEEDS WORK SECONDS [libFuzzer options...] - one libFuzzer
# target for SECONDS (or as the options say, e.g. -runs=N), starting from
# the seed corpus SEEDS (read only) and the working corpus WORK/corpus
# (kept between runs, so a longer run goes on where the last one stopped).
# A crash, leak, timeout or out-of-memory input is saved under WORK/crash-*
# and fails the run (libFuzzer's exit status); its last lines are printed.
# The last line says how many inputs ran, for tools/check's summary:
#   fuzz NAME: N executions in S s, corpus C inputs, PASS|FAIL
F=${1:?usage: run.sh FUZZER SEEDS WORK SECONDS [options]}
SEEDS=${2:?seeds}
WORK=${3:?work directory}
S=${4:?seconds}
shift 4
mkdir -p "$WORK/corpus" || exit 1
name=$(basename "$F")
# -max_len: option vectors and scenario files are short; -timeout: a
# single input taking 10 s is a hang; -rss_limit_mb: libFuzzer's default.
"$F" -max_total_time="$S" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$WORK/" "$@" \
    "$WORK/corpus" "$SEEDS" >"$WORK/log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$WORK/log" | tail -n 1)
secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$WORK/log" | tail -n 1)
ninputs=$(ls "$WORK/corpus" | wc -l)
if [ $rc -ne 0 ]; then
	tail -n 60 "$WORK/log"
	ls "$WORK"/crash-* "$WORK"/leak-* "$WORK"/timeout-* "$WORK"/oom-* 2>/dev/null
	echo "fuzz $name: ${execs:-?} executions in ${secs:-?} s, corpus $ninputs inputs, FAIL (exit $rc)"
	exit 1
fi
echo "fuzz $name: ${execs:-?} executions in ${secs:-?} s, corpus $ninputs inputs, PASS"
