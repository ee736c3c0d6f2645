#!/usr/bin/env bash
# masks.sh - --masks and --alpha_mask: a white patch painted into every photograph
# of tiny_fox and masked out does not appear in the trained model's renders (the
# same run without the mask learns it); --alpha_mask reads the same masks from
# RGBA photographs; metrics --masked scores the kept pixels;
# a missing or wrongly sized mask is one line, a nonzero exit and nothing
# written. usage: masks.sh TGS DATA_DIR REPO_DIR
set -u
TGS=$1
REPO=$3
PAINT="$(dirname "$TGS")/tgs_paint_patch"
T=$(mktemp -d /tmp/tgs_masks_XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
[ -x "$PAINT" ] || { echo "skipped: $PAINT not built"; exit 77; }
mkdir -p "$T/scene/images" "$T/masks" "$T/rgba/images"
ln -s "$REPO/data/tiny_fox/sparse" "$T/scene/sparse"
ln -s "$REPO/data/tiny_fox/sparse" "$T/rgba/sparse"
"$PAINT" paint "$REPO/data/tiny_fox/images" "$T/scene/images" "$T/masks" "$T/rgba/images" || fail "painting failed"
run() { "$TGS" train -i images -r 2 --iterations 300 --test_iterations 300 --densify_from_iter 50 \
        --densification_interval 50 --densify_until_iter 250 --budget 1.5 --seed 3 --threads 2 -q "$@"; }
# the training views of a model rendered against the unpainted photographs: the
# patch excess is the mean of render - photograph inside the patch (0..255)
excess() {
    "$TGS" render -m "$1" -s "$REPO/data/tiny_fox" --skip_test -q || fail "render of $1 failed"
    "$PAINT" measure "$1/train/ours_300/renders" "$1/train/ours_300/gt" >"$1.measure"
    sed -n 's/.*patch_excess \([-0-9.]*\).*/\1/p' "$1.measure"
}
t0=$(date +%s)
run -s "$T/scene" -m "$T/plain" >"$T/plain.log" 2>&1 || { fail "unmasked training failed"; cat "$T/plain.log"; }
run -s "$T/scene" -m "$T/masked" --masks "$T/masks" >"$T/masked.log" 2>&1 ||
    { fail "masked training failed"; cat "$T/masked.log"; }
echo "two trainings: $(( $(date +%s) - t0 )) s"
e_plain=$(excess "$T/plain")
e_masked=$(excess "$T/masked")
echo "unmasked: $(cat "$T/plain.measure")"
echo "--masks:  $(cat "$T/masked.measure")"
echo "patch excess over the unpainted photographs (0..255): unmasked $e_plain, masked $e_masked"
awk -v p="$e_plain" 'BEGIN { exit !(p != "" && p > 12) }' || fail "the unmasked run did not learn the patch ($e_plain)"
awk -v m="$e_masked" -v p="$e_plain" 'BEGIN { exit !(m != "" && m < 8 && m < p / 2) }' ||
    fail "the masked run shows the patch (excess $e_masked, unmasked $e_plain)"
# metrics --masked: renders against the painted photographs, scored over the kept pixels
"$TGS" render -m "$T/masked" --masks "$T/masks" --skip_test -q || fail "render --masks failed"
[ -f "$T/masked/train/ours_300/masks/00000.png" ] || fail "render --masks wrote no masks/"
"$TGS" metrics -m "$T/masked" --split train >"$T/m.log" 2>&1 || fail "metrics failed"
"$TGS" metrics -m "$T/masked" --split train --masked >"$T/mm.log" 2>&1 || fail "metrics --masked failed"
cat "$T/m.log" "$T/mm.log"
grep -q "masked: only the pixels" "$T/mm.log" || fail "metrics --masked does not say so"
[ -f "$T/masked/results_masked_train.json" ] || fail "results_masked_train.json missing"
p_all=$(awk '$1 == "ours_300" { print $3 }' "$T/m.log")
p_kept=$(awk '$1 == "ours_300" { print $3 }' "$T/mm.log")
awk -v a="$p_all" -v k="$p_kept" 'BEGIN { exit !(a != "" && k != "" && k > a + 1) }' ||
    fail "PSNR over the kept pixels ($p_kept) is not above the whole frame's ($p_all)"
# --alpha_mask on RGBA photographs whose alpha is the same mask: the same ground truth and masks as --masks
# (so the same training), and a short run takes it
mkdir -p "$T/by_masks" && cp -r "$T/masked/train/ours_300/gt" "$T/masked/train/ours_300/masks" "$T/by_masks/"
"$TGS" render -m "$T/masked" -s "$T/rgba" --alpha_mask --skip_test -q || fail "render --alpha_mask failed"
for d in gt masks; do
    diff -r -q "$T/by_masks/$d" "$T/masked/train/ours_300/$d" >/dev/null ||
        fail "--alpha_mask and --masks give different $d/"
done
"$TGS" train -s "$T/rgba" -m "$T/alpha" --alpha_mask -r 2 --iterations 20 --threads 2 >"$T/alpha.log" 2>&1 ||
    { fail "--alpha_mask training failed"; cat "$T/alpha.log"; }
grep -q "50 of 50 views have a mask" "$T/alpha.log" || fail "--alpha_mask: no masks reported: $(cat "$T/alpha.log")"
"$TGS" metrics -m "$T/plain" --split train --masked >"$T/bad.log" 2>&1 && fail "metrics --masked without masks/ passed"
# bad masks: one line naming the file and the camera, nonzero exit, nothing written
mkdir -p "$T/masks_missing" "$T/masks_wrong"
cp "$T/masks/"*.png "$T/masks_missing/" && rm "$T/masks_missing/0007.png"
cp "$T/masks/"*.png "$T/masks_wrong/" && "$PAINT" blank 50 50 "$T/masks_wrong/0009.png"
check_bad() { # name dir pattern
    "$TGS" train -s "$T/scene" -m "$T/bad_$1" --masks "$2" --iterations 10 2>"$T/bad_$1.log" >/dev/null &&
        fail "$1 mask accepted"
    [ "$(wc -l <"$T/bad_$1.log")" -eq 1 ] && grep -q "$3" "$T/bad_$1.log" ||
        fail "$1 mask: expected one line matching '$3': $(cat "$T/bad_$1.log")"
    [ -e "$T/bad_$1" ] && fail "$1 mask: the model folder was written"
    cat "$T/bad_$1.log"
}
check_bad missing "$T/masks_missing" "0007.png: mask missing for camera '0007'"
check_bad wrong "$T/masks_wrong" "0009.png: mask is 50x50 but the photograph of camera '0009'"
echo "$fails failure(s)"
[ $fails -eq 0 ]
