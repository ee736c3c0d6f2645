#!/usr/bin/env bash
# taming_counts.sh - the Gaussian count after every Taming densification equals
# the schedule's target (the last one the budget), for intervals that do and do
# not divide the densification range, and a budget below the initial count only
# prunes, down to the schedule. usage: taming_counts.sh TGS DATA_DIR REPO_DIR
set -u
TGS=$1
REPO=$3
T=$(mktemp -d /tmp/tgs_counts_XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
# 4000 SfM points; range (1500 - 100) = 1400: 100 divides it, 300, 500 and 700 do not
base=(train -s "$REPO/data/tiny_fox" -i images -r 4 --iterations 1500 --densify_from_iter 100
      --densify_until_iter 1500 --save_iterations 1500 --test_iterations 1500 --seed 3 --densify_log --cams 4)
for interval in 100 300 500 700; do
    "$TGS" "${base[@]}" -m "$T/i$interval" --densification_interval $interval --budget 1.5 >"$T/log" 2>&1 ||
        { fail "interval $interval: training failed"; cat "$T/log"; continue; }
    steps=$(grep -c "densify:" "$T/log")
    expect=$(( 1499 / interval - 100 / interval ))
    [ "$steps" -eq "$expect" ] || fail "interval $interval: $steps densification steps, expected $expect"
    # every step: count == target, never "pruned down"
    bad=$(grep "densify:" "$T/log" | awk '{ n=$4; t=$7; sub(",","",t); if (n != t) print }')
    [ -z "$bad" ] || fail "interval $interval: count differs from the target: $bad"
    last=$(grep "densify:" "$T/log" | tail -1 | awk '{print $4}')
    [ "$last" = "6000" ] || fail "interval $interval: last count $last, expected the budget 6000"
    grep -q "6000 Gaussians" <(tail -3 "$T/log") || fail "interval $interval: final count is not 6000"
    echo "ok   interval $interval: $steps steps, final $last"
done
# a budget below the initial count: no growth, pruned down to the schedule's targets
"$TGS" "${base[@]}" -m "$T/low" --densification_interval 300 --budget 2500 --mode final_count >"$T/log" 2>&1 ||
    { fail "low budget: training failed"; cat "$T/log"; }
grep -q "below the initial" "$T/log" || fail "low budget: the log does not say the budget is below the count"
bad=$(grep "densify:" "$T/log" | awk '{ n=$4; t=$7; sub(",","",t); if (n != t) print }')
[ -z "$bad" ] || fail "low budget: count differs from the target: $bad"
last=$(grep "densify:" "$T/log" | tail -1 | awk '{print $4}')
[ "$last" = "2500" ] || fail "low budget: last count $last, expected 2500"
grep "densify:" "$T/log"
echo "$fails failure(s)"
[ $fails -eq 0 ]
