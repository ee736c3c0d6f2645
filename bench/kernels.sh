#!/usr/bin/env bash
# bench/kernels.sh - the per-kernel roofline of a training step on an NVIDIA
# GPU, at 1M Gaussians (lego, fox2) or in budget mode with the published flags
# (lego_b, fox2_b, fox4_b): trains the scene to a checkpoint 20 iterations before its end,
# resumes it under Nsight Compute (ncu) and prints, per kernel, the launches,
# the mean time, the DRAM bytes it moved and the time those bytes take at the
# card's bandwidth (BW_GBS, default 4300: an H200's measured copy rate). The
# card runs at its own clocks, as in training (NCU_CLOCKS=base: ncu's base
# clocks, which make kernels longer than in a run, as in RESULTS §7's first tables).
#   usage: bench/kernels.sh BUILD_DIR DATA_DIR OUT_DIR [lego|fox2|lego_b|fox2_b|fox4_b ...]
set -u
B=$1 D=$2 O=$3
shift 3
BW=${BW_GBS:-4300}
mkdir -p "$O"
NCU=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu /usr/local/cuda/bin/ncu 2>/dev/null | head -1)
run=(--eval --quiet --seed 1 --iterations 30000 --test_iterations 30000 --save_iterations 30000
     --checkpoint_iterations 29980)
big=("${run[@]}" --budget 1000000 --mode final_count --densification_interval 100)
small=("${run[@]}" --budget 2 --mode multiplier --densification_interval 500 --sh_lower)
for scene in "${@:-lego}"; do
    case $scene in
    lego) args=(-s "$D/lego" --white_background "${big[@]}") ;;
    fox2) args=(-s "$D/fox" -i images_2 "${big[@]}") ;;
    lego_b) args=(-s "$D/lego" --white_background "${small[@]}") ;;
    fox2_b) args=(-s "$D/fox" -i images_2 "${small[@]}") ;;
    fox4_b) args=(-s "$D/fox" -i images_4 "${small[@]}") ;;
    *) echo "unknown scene $scene"; exit 2 ;;
    esac
    m="$O/k_$scene"
    rm -rf "$m"
    "$B/tgs" train "${args[@]}" -m "$m" >"$O/k_$scene.train.log" 2>&1 || { tail -3 "$O/k_$scene.train.log"; continue; }
    # the resumed run's launches after its first two iterations' worth
    "$NCU" --clock-control "${NCU_CLOCKS:-none}" --launch-skip 80 --launch-count 300 --csv --page raw \
        --metrics gpu__time_duration.sum,dram__bytes_read.sum,dram__bytes_write.sum \
        "$B/tgs" train "${args[@]}" -m "$m" --start_checkpoint "$m/chkpnt29980.tgs" >"$O/k_$scene.csv" 2>"$O/k_$scene.err"
    echo "== $scene"; grep -E "tgs: (done|memory)" "$O/k_$scene.train.log"
    awk -v bw="$BW" -f "$(dirname "$0")/ncu_table.awk" "$O/k_$scene.csv" | (read -r h; read -r all; echo "$h"; sort -k7 -nr; echo "$all")
done
