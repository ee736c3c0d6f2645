#!/usr/bin/env bash
# train_short.sh - a short training run on the tiny scene: the loss falls, test
# PSNR rises, the model folder has every file, and the same seed and threads
# give byte-identical PLY files. usage: train_short.sh TGS DATA_DIR REPO_DIR
set -u
TGS=$1
REPO=$3
T=$(mktemp -d /tmp/tgs_train_XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
run() { "$TGS" train -s "$REPO/data/tiny_fox" -i images -r 2 --eval --iterations 300 --test_iterations 60 300 \
        --save_iterations 150 --densify_from_iter 50 --densification_interval 50 --densify_until_iter 250 \
        --budget 1.5 --seed 7 --threads 2 "$@"; }
run -m "$T/a" >"$T/a.log" 2>&1 || { fail "training failed"; cat "$T/a.log"; }
run -m "$T/b" -q >"$T/b.log" 2>&1 || fail "second training failed"
cat "$T/a.log"
for f in cfg_args cameras.json input.ply point_cloud/iteration_150/point_cloud.ply point_cloud/iteration_300/point_cloud.ply; do
    [ -s "$T/a/$f" ] || fail "missing $f"
done
cmp -s "$T/a/point_cloud/iteration_300/point_cloud.ply" "$T/b/point_cloud/iteration_300/point_cloud.ply" ||
    fail "same seed and threads gave different PLY files"
p60=$(sed -n 's/.*\[ITER 60\] test: PSNR \([0-9.]*\).*/\1/p' "$T/a.log")
p300=$(sed -n 's/.*\[ITER 300\] test: PSNR \([0-9.]*\).*/\1/p' "$T/a.log")
awk -v a="$p60" -v b="$p300" 'BEGIN { exit !(a != "" && b != "" && b > a + 1.0) }' ||
    fail "test PSNR did not rise by 1 dB: $p60 -> $p300"
# -q prints only the summary
[ "$(grep -vc "^tgs: done\|^tgs: memory" "$T/b.log")" -eq 0 ] || { fail "--quiet printed more than the summary"; cat "$T/b.log"; }
# count: the last densification lands on the budget (1.5 x 4000 = 6000 Gaussians)
grep -q "6000 Gaussians" "$T/b.log" || fail "final count is not the budget 6000: $(cat "$T/b.log")"
# a run whose last iteration is a densification iteration saves the model it tested:
# nothing is densified at the last iteration
run -m "$T/c" --iterations 200 --test_iterations 200 --densify_log >"$T/c.log" 2>&1 || fail "third training failed"
grep -q '\[ITER 200\] densify' "$T/c.log" && fail "densified at the last iteration"
n150=$(sed -n 's/.*\[ITER 150\] densify: \([0-9]*\) Gaussians.*/\1/p' "$T/c.log")
nply=$(grep -a -m1 '^element vertex' "$T/c/point_cloud/iteration_200/point_cloud.ply" | awk '{print $3}')
[ -n "$n150" ] && [ "$n150" = "$nply" ] || fail "saved $nply Gaussians, tested $n150"
# sparse Adam: the budget is met, PSNR rises as with the dense step, and the model differs
run -m "$T/s" -q --optimizer_type sparse_adam >"$T/s.log" 2>&1 || fail "sparse_adam training failed"
grep -q "6000 Gaussians" "$T/s.log" || fail "sparse_adam: final count is not the budget 6000: $(cat "$T/s.log")"
ps=$(sed -n 's/.*PSNR \([0-9.]*\).*/\1/p' "$T/s.log" | head -1)
awk -v a="$p60" -v b="$ps" 'BEGIN { exit !(b != "" && b > a + 1.0) }' || fail "sparse_adam: test PSNR $ps (at 60: $p60)"
cmp -s "$T/a/point_cloud/iteration_300/point_cloud.ply" "$T/s/point_cloud/iteration_300/point_cloud.ply" &&
    fail "sparse_adam gave the dense step's model"
# render + metrics on the result
"$TGS" render -m "$T/a" --skip_train -q || fail "render failed"
[ -f "$T/a/test/ours_300/renders/00006.png" ] && [ -f "$T/a/test/ours_300/gt/00006.png" ] || fail "render outputs missing"
"$TGS" metrics -m "$T/a" >"$T/m.log" 2>&1 || fail "metrics failed"
cat "$T/m.log"
grep -q ours_300 "$T/a/results.json" || fail "results.json lacks ours_300"
# the training views: rendered on their own, scored into results_train.json
"$TGS" render -m "$T/a" --skip_test -q || fail "render of the training views failed"
"$TGS" metrics -m "$T/a" --split train >"$T/mt.log" 2>&1 || fail "metrics --split train failed"
grep -q ours_300 "$T/a/results_train.json" && grep -q "ours_300 *43 " "$T/mt.log" ||
    fail "results_train.json or the 43 training views missing: $(cat "$T/mt.log")"
echo "$fails failure(s)"
[ $fails -eq 0 ]
