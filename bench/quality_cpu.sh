#!/usr/bin/env bash
# quality_cpu.sh - the CPU quality runs of the issues (7000 iterations): fox
# and lego, classic and Taming (--budget 2), then Taming at the final count of
# the classic run (--mode final_count, schedule ended by iteration 7000) for the
# comparison at equal count; one line per run (time, it/s, count, test
# PSNR/SSIM, memory plan vs peak RSS).
#   usage: bench/quality_cpu.sh TGS DATA_DIR OUT_DIR [THREADS] [SCENE ...]
# SCENE: fox, lego (default both).
set -u
TGS=$1 D=$2 O=$3 TH=${4:-0}
shift 3
[ $# -gt 0 ] && shift
scenes=("${@:-fox lego}")
mkdir -p "$O"
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
run() {
    local name=$1
    shift
    "$TGS" train "$@" -m "$O/$name" --overwrite --iterations 7000 --test_iterations 7000 --seed 1 --threads "$TH" \
        -q >"$O/$name.log" 2>&1 || { echo "$name: FAILED"; tail -3 "$O/$name.log"; return; }
    echo "$name: $(tr '\n' ' ' <"$O/$name.log")"
}
count_of() { grep -o '[0-9]* Gaussians, test' "$O/$1.log" | grep -o '^[0-9]*'; }
taming=(--densification_interval 500 --sh_lower)
for s in ${scenes[*]}; do
    case $s in
    fox) args=(-s "$D/fox" -i images_4 --eval) ;;
    lego) args=(-s "$D/lego" --white_background --eval) ;;
    *) echo "unknown scene $s"; continue ;;
    esac
    run "${s}_classic" "${args[@]}" --densify_mode classic
    run "${s}_taming" "${args[@]}" --budget 2 --mode multiplier "${taming[@]}"
    n=$(count_of "${s}_classic")
    # the schedule spans --densify_until_iter (15 000): end it inside the 7000 iterations so the
    # count reaches the classic run's before the test
    [ -n "$n" ] && run "${s}_taming_at_classic_count" "${args[@]}" --budget "$n" --mode final_count "${taming[@]}" \
        --densify_until_iter 7000
done
