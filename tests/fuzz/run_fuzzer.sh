#!/bin/bash
# run_fuzzer.sh FUZZER SEED_CORPUS: every seed input (crash regressions
# included) and then NTK_FUZZ_SECONDS (default 20) of fuzzing must pass without
# a sanitizer report, a crash, a leak or a 10 s hang. New inputs go to a scratch
# corpus; a crashing input is kept there as crash-*.
. "$NTK_TESTS_DIR/lib.sh"
fuzzer=$1 seeds=$2
[ -x "$fuzzer" ] || fail "$fuzzer not built: run scripts/fuzz (or build its target) first"
[ -d "$seeds" ] && [ -n "$(ls -A "$seeds")" ] || fail "no seed corpus in $seeds"
work=$(scratch "$(basename "$fuzzer")")
mkdir -p "$work/corpus"
"$fuzzer" -max_total_time="${NTK_FUZZ_SECONDS:-20}" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" "$seeds" >"$work/log" 2>&1 ||
    { grep -E -A12 'ERROR|runtime error' "$work/log" | head -30; fail "$(basename "$fuzzer") crashed: input kept in $work"; }
grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units)' "$work/log"
pass "$(basename "$fuzzer"): no crash in ${NTK_FUZZ_SECONDS:-20} s"
