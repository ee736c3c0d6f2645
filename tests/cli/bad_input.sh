#!/usr/bin/env bash
# bad_input.sh - every kind of bad input ends in one clear line naming the file
# and a nonzero exit, never a crash and never a half-written model folder.
# usage: bad_input.sh TGS_BINARY DATA_DIR REPO_DIR
set -u
TGS=$1
REPO=$3
SCENE=$REPO/data/tiny_fox
T=$(mktemp -d /tmp/tgs_bad_XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0

# expect_fail NAME PATTERN CMD...: exit code 1 or 2, stderr holds PATTERN, no crash
expect_fail() {
    local name=$1 pattern=$2
    shift 2
    "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    if [ $rc -eq 0 ] || [ $rc -gt 2 ]; then
        echo "FAIL $name: exit code $rc"; cat "$T/err"; fails=$((fails + 1)); return
    fi
    if ! grep -q -- "$pattern" "$T/err"; then
        echo "FAIL $name: message lacks '$pattern':"; cat "$T/err"; fails=$((fails + 1)); return
    fi
    if [ "$(grep -c . "$T/err")" -ne 1 ]; then
        echo "FAIL $name: expected one line of error:"; cat "$T/err"; fails=$((fails + 1)); return
    fi
    echo "ok   $name: $(cat "$T/err")"
}

fresh() { rm -rf "$T/s"; cp -r "$SCENE" "$T/s"; chmod -R u+w "$T/s"; }
# poke FILE OFFSET BYTES(hex pairs): overwrite bytes in place
poke() { printf "$(echo "$3" | sed 's/\(..\)/\\x\1/g')" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }

info() { "$TGS" info -s "$T/s" -i images "$@"; }

expect_fail missing_scene "does-not-exist" "$TGS" info -s "$T/does-not-exist"
fresh; rm -rf "$T/s/sparse"
expect_fail not_a_scene "not a scene" info
fresh; rm "$T/s/sparse/0/images.bin"
expect_fail missing_file "images.bin" info
fresh; rm -rf "$T/s/images"
expect_fail missing_image_dir "images" info

# truncated at a spread of byte offsets, in each file
for f in cameras images points3D; do
    size=$(stat -c %s "$SCENE/sparse/0/$f.bin")
    for off in 0 3 8 13 $((size / 3)) $((size / 2)) $((size - 9)) $((size - 1)); do
        fresh; truncate -s "$off" "$T/s/sparse/0/$f.bin"
        expect_fail "truncated_${f}_$off" "$f.bin" info
    done
done
fresh; poke "$T/s/sparse/0/points3D.bin" 0 ffffffffffffff0f
expect_fail huge_point_count "points3D.bin" info
fresh; poke "$T/s/sparse/0/images.bin" 0 ffff000000000000
expect_fail image_count_past_eof "images.bin" info
# NaN in the first point's x, inf in the first camera's focal
fresh; poke "$T/s/sparse/0/points3D.bin" 16 000000000000f87f
expect_fail nan_point "points3D.bin" info
fresh; poke "$T/s/sparse/0/cameras.bin" 32 000000000000f07f
expect_fail inf_focal "cameras.bin" info
# camera models: one camera (id 1, 1061x1893) of model $1 with the 8-byte doubles $2... as parameters
camera() {
    local model=$1 off=32
    shift
    : > "$T/s/sparse/0/cameras.bin"
    poke "$T/s/sparse/0/cameras.bin" 0 "0100000000000000010000000${model}000000250400000000000065070000000000000"
    for p in "$@"; do poke "$T/s/sparse/0/cameras.bin" $off "$p"; off=$((off + 8)); done
}
F=00000000007c9540 CX=0000000000908040 CY=0000000000908d40 ZERO=0000000000000000 TENTH=9a9999999999b93f
fresh; camera 7 $F $F $CX $CY $TENTH  # FOV
expect_fail fov_model "camera 1 uses the FOV model, which tgs does not undistort" info
fresh; camera 4 $F $F $CX $CY 0000000080842e41 $ZERO $ZERO $ZERO  # OPENCV, k1 = 1e6
expect_fail absurd_coefficient "cameras.bin at offset 8: camera 1: the OPENCV model has distortion coefficient 1" info
fresh; camera 4 $F $F $CX $CY 00000000000049c0 $ZERO $ZERO $ZERO  # OPENCV, k1 = -50
expect_fail no_convergence "camera 1: the undistortion of the OPENCV model does not converge" info
expect_fail no_convergence_train "does not converge" "$TGS" train -s "$T/s" -i images -m "$T/m_cam" --iterations 2 -q
[ -e "$T/m_cam" ] && { echo "FAIL no_convergence_train left a model folder"; fails=$((fails + 1)); }
fresh; camera 2 $F $CX $CY $TENTH  # SIMPLE_RADIAL, k = 0.1: fine
if ! "$TGS" info -s "$T/s" -i images 2>&1 | grep -q "SIMPLE_RADIAL: 50 image(s), undistorted"; then
    echo "FAIL simple_radial: not accepted"; fails=$((fails + 1))
else
    echo "ok   simple_radial: accepted"
fi
# a text model whose camera line lacks a parameter
fresh; rm "$T/s/sparse/0/"*.bin
echo "1 OPENCV 1061 1893 1375 1375 530 946 0.1 0 0" > "$T/s/sparse/0/cameras.txt"
printf '1 1 0 0 0 0 0 0 1 0001.jpg\n\n' > "$T/s/sparse/0/images.txt"
: > "$T/s/sparse/0/points3D.txt"
expect_fail param_count \
    "cameras.txt:1: camera 1: the OPENCV model has 8 parameters (fx, fy, cx, cy, k1, k2, p1, p2), found 7" info
# images
fresh; rm "$T/s/images/0012.jpg"
expect_fail missing_image "0012.jpg" info
fresh; head -c 300 "$SCENE/images/0012.jpg" > "$T/s/images/0012.jpg"
expect_fail truncated_image "0012.jpg" "$TGS" train -s "$T/s" -i images -m "$T/m_trunc" --iterations 2 -q
[ -e "$T/m_trunc" ] && { echo "FAIL truncated_image left a model folder"; fails=$((fails + 1)); }
fresh; echo "not an image" > "$T/s/images/0012.jpg"
expect_fail garbage_image "0012.jpg" info
# an image whose aspect ratio disagrees with its camera (a 40x40 square)
fresh; { printf 'P6\n40 40\n255\n'; head -c 4800 /dev/zero; } | cjpeg > "$T/s/images/0012.jpg"
expect_fail wrong_aspect "0012.jpg" info
# bad arguments
expect_fail unknown_flag "--no_such_flag" "$TGS" train -s "$SCENE" --no_such_flag
expect_fail bad_int "--iterations" "$TGS" train -s "$SCENE" --iterations abc
expect_fail bad_choice "--mode" "$TGS" train -s "$SCENE" --mode lots
expect_fail bad_double "--budget" "$TGS" train -s "$SCENE" --budget nan
expect_fail missing_value "--budget" "$TGS" train -s "$SCENE" --budget
expect_fail bad_resolution "-r" "$TGS" info -s "$SCENE" -i images -r -5
# a budget no machine holds: refused from the plan, before any allocation
expect_fail over_memory "available" "$TGS" train -s "$SCENE" -i images -m "$T/m_big" --device cpu \
    --budget 900000000 --mode final_count
# PLY input of render
"$TGS" train -s "$SCENE" -i images -m "$T/m" --iterations 1 -q >/dev/null 2>&1 || { echo "FAIL could not make a model"; fails=$((fails + 1)); }
PLY="$T/m/point_cloud/iteration_1/point_cloud.ply"
if [ -f "$PLY" ]; then
    sed '0,/property float opacity/s//property float opacitx/' "$PLY" > "$T/noop.ply"
    expect_fail ply_missing_property "opacity" "$TGS" render -m "$T/m" --ply "$T/noop.ply"
    sed '0,/element vertex \([0-9]*\)/s//element vertex 99999999/' "$PLY" > "$T/count.ply"
    expect_fail ply_wrong_count "count.ply" "$TGS" render -m "$T/m" --ply "$T/count.ply"
    head -c 2000 "$PLY" > "$T/trunc.ply"
    expect_fail ply_truncated "trunc.ply" "$TGS" render -m "$T/m" --ply "$T/trunc.ply"
    expect_fail ply_missing "nope.ply" "$TGS" render -m "$T/m" --ply "$T/nope.ply"
fi
# metrics: an unknown split, and a split that was never rendered
mkdir -p "$T/mm/test"
expect_fail metrics_bad_split "split" "$TGS" metrics -m "$T/mm" --split val
expect_fail metrics_no_train "train: not found" "$TGS" metrics -m "$T/mm" --split train
# the viewer: bad options, an address that does not resolve (nothing is served)
expect_fail view_no_model "model_path is required" "$TGS" view
expect_fail view_bad_port "port must be" "$TGS" view -m "$T/m" --port 70000
expect_fail view_no_scene "no scene" "$TGS" view -m "$T/no-model"
expect_fail train_viewer_port "port must be" "$TGS" train -s "$SCENE" -m "$T/v" --viewer --port -1
expect_fail train_gpu_limit "gpu_memory_limit must be 0 (no limit) or more" "$TGS" train -s "$SCENE" -m "$T/v" \
    --gpu_memory_limit -5
expect_fail train_viewer_host "viewer address" "$TGS" train -s "$SCENE" -i images -m "$T/v" --iterations 10 \
    --viewer --host no-such-host.invalid
[ -e "$T/v/cfg_args" ] && { echo "FAIL train_viewer_host: wrote a model folder"; fails=$((fails + 1)); }

echo "$fails failure(s)"
[ $fails -eq 0 ]
