#!/usr/bin/env bash
# distorted_fox.sh - fox images_4 as an OPENCV and an OPENCV_FISHEYE camera
# would have photographed it (each photograph warped bilinearly by
# build/distort_scene), trained on the CPU for 3000 iterations with --eval next
# to the pinhole scene. Prints, per scene, how close tgs's undistorted test
# photographs are to the originals, and the test PSNR after training with the
# published flags (the target: within 1.5 dB of the pinhole scene), also over
# the pixels that have a source in the photograph (tgs metrics --masked).
#   usage: bench/distorted_fox.sh BUILD_DIR DATA_DIR OUT_DIR [THREADS]
set -u
B=$1 D=$2 O=$3 TH=${4:-0}
mkdir -p "$O"
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
# principal point off centre (0.52, 0.49 of the frame); barrel OPENCV, moderate fisheye
"$B/distort_scene" "$D/fox" images_4 "$O/fox_opencv" OPENCV 0.52 0.49 -0.08 0.02 0.001 -0.0015 || exit 1
"$B/distort_scene" "$D/fox" images_4 "$O/fox_fisheye" OPENCV_FISHEYE 0.52 0.49 0.04 -0.01 0.002 0 || exit 1
for s in opencv fisheye; do
    "$B/distort_scene" --compare "$D/fox" images_4 "$O/fox_$s"
    "$B/tgs" info -s "$O/fox_$s" | grep '^model'
done
run() {
    local name=$1
    shift
    "$B/tgs" train "$@" -m "$O/$name" --eval --overwrite --iterations 3000 --test_iterations 3000 \
        --save_iterations 3000 --budget 2 --mode multiplier --densification_interval 500 --sh_lower \
        --device cpu --seed 1 --threads "$TH" -q >"$O/$name.log" 2>&1 ||
        { echo "$name: FAILED"; tail -3 "$O/$name.log"; return; }
    echo "$name: $(tr '\n' ' ' <"$O/$name.log")"
    # the test views scored over the pixels that have a source in the photograph
    "$B/tgs" render -m "$O/$name" --skip_train -q >/dev/null 2>&1 &&
        echo "$name: masked: $("$B/tgs" metrics -m "$O/$name" --masked | grep ours_)"
}
for s in ${SCENES:-pinhole opencv fisheye}; do
    if [ "$s" = pinhole ]; then run fox_pinhole -s "$D/fox" -i images_4; else run "fox_$s" -s "$O/fox_$s"; fi
done
