#!/usr/bin/env bash
# quality_cpu.sh - the CPU quality runs of the issues (7000 iterations):
# fox classic, fox Taming (--budget 2), lego classic and lego Taming; prints one
# line per run (time, it/s, count, test PSNR/SSIM, memory).
#   usage: bench/quality_cpu.sh TGS DATA_DIR OUT_DIR [THREADS]
set -u
TGS=$1 D=$2 O=$3 TH=${4:-0}
mkdir -p "$O"
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
run() {
    local name=$1
    shift
    "$TGS" train "$@" -m "$O/$name" --overwrite --iterations 7000 --test_iterations 7000 --seed 1 --threads "$TH" \
        -q >"$O/$name.log" 2>&1 || { echo "$name: FAILED"; tail -3 "$O/$name.log"; return; }
    echo "$name: $(tr '\n' ' ' <"$O/$name.log")"
}
taming=(--budget 2 --mode multiplier --densification_interval 500 --sh_lower)
run fox_classic -s "$D/fox" -i images_4 --eval --densify_mode classic
run fox_taming -s "$D/fox" -i images_4 --eval "${taming[@]}"
run lego_classic -s "$D/lego" --white_background --eval --densify_mode classic
run lego_taming -s "$D/lego" --white_background --eval "${taming[@]}"
