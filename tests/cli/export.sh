#!/usr/bin/env bash
# export.sh - tgs export writes SPZ (v3, v4), .splat, compressed PLY and SOG; each
# file reads back (tgs info --ply) and renders the test views within a stated
# PSNR of the PLY's own renders; bad requests fail in one line with nothing
# written. usage: export.sh TGS DATA_DIR REPO_DIR
set -u
TGS=$1
REPO=$3
T=$(mktemp -d /tmp/tgs_export_XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
S="$REPO/data/tiny_fox"
"$TGS" train -s "$S" -i images -r 2 --eval --iterations 300 --test_iterations 300 --save_iterations 300 \
    --densify_from_iter 50 --densification_interval 50 --densify_until_iter 250 --budget 1.5 --seed 7 \
    --threads 2 -q -m "$T/m" >"$T/train.log" 2>&1 || { fail "training failed"; cat "$T/train.log"; exit 1; }
PLY="$T/m/point_cloud/iteration_300/point_cloud.ply"
"$TGS" render -m "$T/m" --skip_train -q || fail "render of the PLY failed"
# renders of each exported file against the PLY's renders: "gt" is the PLY's render
score() { # NAME FILE MIN_DB
    "$TGS" render -m "$T/$1" -s "$S" -i images -r 2 --eval --skip_train -q --ply "$2" ||
        { fail "render of $2 failed"; return; }
    rm -rf "$T/$1/test/ours_0/gt" && cp -r "$T/m/test/ours_300/renders" "$T/$1/test/ours_0/gt"
    local psnr
    psnr=$("$TGS" metrics -m "$T/$1" | awk '$1 == "ours_0" { print $3 }')
    local bytes
    if [ -d "$2" ]; then bytes=$(cat "$2"/* | wc -c); else bytes=$(stat -c %s "$2"); fi
    echo "$1: $bytes bytes, renders $psnr dB from the PLY's"
    awk -v p="$psnr" -v m="$3" 'BEGIN { exit !(p != "" && p + 0 >= m) }' || fail "$1: $psnr dB < $3"
}
for f in spz splat compressed-ply sog; do
    out=$("$TGS" export -m "$T/m" --format $f 2>&1) || fail "export $f: $out"
    echo "$out"
done
"$TGS" export -m "$T/m" --format spz --spz_version 4 -o "$T/v4.spz" >/dev/null || fail "export spz v4"
# SOG's k-means is deterministic whatever the thread count
OMP_NUM_THREADS=1 "$TGS" export -m "$T/m" --format sog -o "$T/t1.sog" >/dev/null || fail "export sog, 1 thread"
OMP_NUM_THREADS=2 "$TGS" export -m "$T/m" --format sog -o "$T/t2.sog" >/dev/null || fail "export sog, 2 threads"
cmp -s "$T/t1.sog" "$T/t2.sog" || fail "SOG differs between 1 and 2 threads"
mkdir -p "$T/sogdir"
"$TGS" export -m "$T/m" --format sog -o "$T/sogdir/meta.json" >/dev/null || fail "export sog as a folder"
B="$T/m/point_cloud/iteration_300/point_cloud"
for f in "$B.spz" "$T/v4.spz" "$B.splat" "$B.compressed.ply" "$B.sog" "$T/sogdir" "$T/sogdir/meta.json"; do
    "$TGS" info --ply "$f" | grep -q "Gaussians" || fail "info --ply $f"
done
"$TGS" info --ply "$B.splat" | grep -q "SH degree 0" || fail ".splat should read back at SH degree 0"
# bounds: SPZ and compressed PLY quantise (24-bit positions, 8-bit colours and
# SH, 9/10-bit rotations); .splat also drops the SH rest; SOG: 16-bit log
# positions, 8-bit rotations, 256-entry codebooks of scales and colours
score spz "$B.spz" 35
score spz4 "$T/v4.spz" 35
score cply "$B.compressed.ply" 30
score splat "$B.splat" 22
score sog "$B.sog" 38
score sogfolder "$T/sogdir" 38
# bad requests
"$TGS" export -m "$T/m" --format nope >"$T/e1" 2>&1 && fail "unknown format accepted"
[ "$(wc -l <"$T/e1")" -eq 1 ] || fail "unknown format: not one line: $(cat "$T/e1")"
"$TGS" export -m "$T/m" --spz_version 5 >"$T/e2" 2>&1 && fail "SPZ version 5 accepted"
"$TGS" export -m "$T/m" -o "$T/nodir/x.spz" >"$T/e3" 2>&1 && fail "unwritable output accepted"
[ -e "$T/nodir" ] && fail "an unwritable output left something behind"
"$TGS" export -m "$T/m" --format sog -o "$T/nodir/x.sog" >"$T/e6" 2>&1 && fail "unwritable SOG accepted"
[ "$(wc -l <"$T/e6")" -eq 1 ] || fail "unwritable SOG: not one line: $(cat "$T/e6")"
"$TGS" export -m "$T/m" --format sog --sog_iterations 0 >"$T/e7" 2>&1 && fail "--sog_iterations 0 accepted"
printf '{"version":1}' >"$T/bad.json"
"$TGS" info --ply "$T/bad.json" >"$T/e8" 2>&1 && fail "a version 1 meta.json read as a model"
[ "$(wc -l <"$T/e8")" -eq 1 ] || fail "bad meta.json: not one line: $(cat "$T/e8")"
"$TGS" export --ply "$T/missing.ply" >"$T/e4" 2>&1 && fail "missing input accepted"
printf 'not a model\n' >"$T/bad.spz"
"$TGS" info --ply "$T/bad.spz" >"$T/e5" 2>&1 && fail "a bad .spz read as a model"
[ "$(wc -l <"$T/e5")" -eq 1 ] || fail "bad .spz: not one line: $(cat "$T/e5")"
echo "$fails failure(s)"
[ $fails -eq 0 ]
