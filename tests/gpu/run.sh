#!/usr/bin/env bash
# tests/gpu/run.sh - on a machine with an NVIDIA GPU: the GPU agreement tests,
# then the training benchmarks of issue 5 with the published trainer's flags,
# one line per run (time, it/s, test PSNR/SSIM, count, peak GPU memory of the
# process as nvidia-smi reports it).
#   usage: tests/gpu/run.sh BUILD_DIR DATA_DIR OUT_DIR [ITERATIONS]
# Environment: QUICK=1 shortens the agreement tests; GPUS=k spreads quality_1m over k GPUs;
# BENCHES="fox4 lego ..." picks the runs (fox4 lego lego_cap fox2 beer lego_1m fox2_1m fox2_1m25 lego_1m_sparse fox2_1m_sparse
# quality_1m fox4_profile lego_profile ref fox4_seeds shared agree context oom_growth; default all but the
# 1M ones, about 5 minutes on an H100; SEEDS="2 3 4 5" are fox4_seeds' seeds, quality_1m's are
# 1 2 3 by default). The fox runs also print tgs metrics of their test
# renders (fox4_seeds and ref: of the training views too). For the blending kernels alone:
# BUILD_DIR/bench_gpu_render SCENE IMAGES|- PLY [white] [reps] (under ncu for
# the split by kernel).
# BUILD_DIR holds tgs, test_gpu_raster, test_gpu_ops and ctx_mem (a -DTGS_CUDA=ON build);
# DATA_DIR holds fox/, lego/, beer/ and ref/ as ../shared/data does.
set -u
B=$1 D=$2 O=$3 IT=${4:-30000}
mkdir -p "$O"
fails=0
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
"$B/tgs" info --gpu
if command -v cuobjdump >/dev/null; then
    echo "cuobjdump --list-elf: $(cuobjdump --list-elf "$B/tgs" | grep -o 'sm_[0-9]*' | sort -u | tr '\n' ' ')"
    echo "cuobjdump --list-ptx: $(cuobjdump --list-ptx "$B/tgs" | grep -o 'sm_[0-9]*' | sort -u | tr '\n' ' ')"
fi
for t in test_gpu_raster test_gpu_ops; do
    [ -x "$B/$t" ] || continue
    "$B/$t" "$D" ${QUICK:+quick} >"$O/$t.txt" 2>&1
    rc=$?
    tail -40 "$O/$t.txt"
    [ $rc -eq 0 ] || { echo "FAIL $t (exit $rc)"; fails=$((fails + 1)); }
done

# mem_sampler FILE: in the background (its pid in $!), the GPU memory of each
# process as nvidia-smi reports it, every 20 ms, to FILE ("pid, MiB" lines)
mem_sampler() {
    nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits -lms 20 >"$1" 2>/dev/null &
}
# bench NAME ARGS...: one training run with a memory/utilisation monitor
bench() {
    local name=$1
    shift
    rm -rf "$O/$name"
    mem_sampler "$O/$name.mem"
    local mon=$!
    nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits -lms 100 >"$O/$name.util" 2>/dev/null &
    local mon2=$!
    "$B/tgs" train "$@" -m "$O/$name" --iterations "$IT" --test_iterations "$IT" --save_iterations "$IT" \
        >"$O/$name.log" 2>&1
    local rc=$?
    kill $mon $mon2 2>/dev/null
    wait $mon $mon2 2>/dev/null
    local peak util
    peak=$(awk -F', *' '{ if ($2 > m) m = $2 } END { print m + 0 }' "$O/$name.mem")
    util=$(awk '{ s += $1; n++ } END { if (n) printf "%.0f", s / n; else print "?" }' "$O/$name.util")
    if [ $rc -ne 0 ]; then
        echo "FAIL $name (exit $rc)"; tail -5 "$O/$name.log"; fails=$((fails + 1)); return
    fi
    local done_line
    done_line=$(grep "tgs: done" "$O/$name.log")
    printf "%-10s %s | peak GPU memory %s MiB | mean GPU utilisation %s%%\n" "$name" "${done_line#tgs: done }" "$peak" "$util"
    grep -E "profile|memory:" "$O/$name.log" | sed "s/^/    /"
}
# metrics NAME [render flags]: render the test and training views and print
# tgs metrics' rows (PSNR over all channels of the 8-bit renders, as
# metrics.py; the mean of channel PSNRs, as the published trainer's log). The
# training views' PSNR varies far less from run to run than the 7 test views'
# (s.d. ~0.04 vs ~0.2 dB on fox): it shows whether two trainers fit alike.
metrics() {
    local name=$1
    shift
    "$B/tgs" render -m "$O/$name" "$@" >/dev/null 2>&1 || { echo "FAIL render $name"; fails=$((fails + 1)); return; }
    printf "%-10s metrics: %s\n" "$name" "$("$B/tgs" metrics -m "$O/$name" | sed -n 2p)"
    if [ -d "$O/$name/train" ]; then
        printf "%-10s train:   %s\n" "$name" "$("$B/tgs" metrics -m "$O/$name" --split train | sed -n 2p)"
    fi
}
# quality_job NAME ARGS...: a training run in the background, at most JOBS at once; with
# GPUS=k (k > 1) each runs alone on a free one of the first k GPUs (JOBS is then not used)
qpid=()
quality_job() {
    local name=$1 gpus=${GPUS:-1} slot=-1
    shift
    while :; do
        if [ "$gpus" -gt 1 ]; then
            for ((k = 0; k < gpus; k++)); do
                if [ -z "${qpid[k]:-}" ] || ! kill -0 "${qpid[k]}" 2>/dev/null; then slot=$k; break; fi
            done
            [ $slot -ge 0 ] && break
        elif [ "$(jobs -rp | wc -l)" -lt "${JOBS:-1}" ]; then
            break
        fi
        wait -n
    done
    rm -rf "$O/$name"
    if [ $slot -ge 0 ]; then
        CUDA_VISIBLE_DEVICES=$slot "$B/tgs" train "$@" -m "$O/$name" --iterations "$IT" --test_iterations "$IT" \
            --save_iterations "$IT" >"$O/$name.log" 2>&1 &
        qpid[slot]=$!
    else
        "$B/tgs" train "$@" -m "$O/$name" --iterations "$IT" --test_iterations "$IT" --save_iterations "$IT" \
            >"$O/$name.log" 2>&1 &
    fi
}
# mean_sd LABEL: mean and s.d. of the numbers on stdin
mean_sd() {
    awk -v l="$1" '{ s += $1; q += $1 * $1; n++ }
        END { if (n > 1) printf "%s over %d seeds: mean %.3f, s.d. %.3f\n", l, n, s / n, sqrt((q - s * s / n) / (n - 1)) }'
}
flags=(--eval --budget 2 --mode multiplier --densification_interval 500 --sh_lower --quiet --seed 1)
big=(--eval --budget 1000000 --mode final_count --densification_interval 100 --quiet --seed 1 --profile)
# BENCHES picks and orders the runs (default: all of them)
for b in ${BENCHES:-fox4 lego lego_cap fox2 beer fox4_profile lego_profile ref fox4_seeds shared agree context oom_growth}; do
    case $b in
    fox4) bench fox4 -s "$D/fox" -i images_4 "${flags[@]}" && metrics fox4 --skip_train ;;
    lego) bench lego -s "$D/lego" --white_background "${flags[@]}" ;;
    # the published rule (the count stays near the reference's 108 162): same work as the reference
    lego_cap) bench lego_cap -s "$D/lego" --white_background "${flags[@]}" --cap_candidates ;;
    fox2) bench fox2 -s "$D/fox" -i images_2 "${flags[@]}" ;;
    beer) bench beer -s "$D/beer" -i images_2 "${flags[@]}" ;;
    # the 1M-Gaussian proxies of the paper's "big" mode (--profile splits the time)
    lego_1m) bench lego_1m -s "$D/lego" --white_background "${big[@]}" ;;
    fox2_1m) bench fox2_1m -s "$D/fox" -i images_2 "${big[@]}" ;;
    # the issue's held-out 1.25M run on the nearest shared capture (531x947 pixels against its 800x533): peak memory
    fox2_1m25) bench fox2_1m25 -s "$D/fox" -i images_2 "${big[@]/1000000/1252367}" ;;
    lego_1m_sparse) bench lego_1m_sparse -s "$D/lego" --white_background "${big[@]}" --optimizer_type sparse_adam ;;
    fox2_1m_sparse) bench fox2_1m_sparse -s "$D/fox" -i images_2 "${big[@]}" --optimizer_type sparse_adam ;;
    quality_1m) # the proxies (SCENES, default "lego fox2"), the default rule against --cap_candidates (rule "cap")
        # over seeds (RUNS, default "default:1 default:2 default:3 cap:1 cap:2 cap:3"), one run a GPU
        # with GPUS=k, else JOBS runs at once on the one GPU (default 1; with more, times are not
        # comparable, and five lego runs at once did not finish in 330 s on an H200); the summary
        # takes every such log in OUT_DIR, earlier calls' too. All twelve take about 18 minutes on
        # one H200
        names=()
        for scene in ${SCENES:-lego fox2}; do
            for run in ${RUNS:-default:1 default:2 default:3 cap:1 cap:2 cap:3}; do
                rule=${run%%:*} seed=${run##*:} extra=()
                [ $rule = cap ] && extra=(--cap_candidates)
                args=(-s "$D/lego" --white_background)
                [ $scene = fox2 ] && args=(-s "$D/fox" -i images_2)
                names+=("${scene}_1m_${rule}_s$seed")
                quality_job "${scene}_1m_${rule}_s$seed" "${args[@]}" "${big[@]}" --seed "$seed" "${extra[@]}"
            done
        done
        wait
        for name in "${names[@]}"; do
            printf "%-18s %s\n" "$name" "$(grep "tgs: done" "$O/$name.log" || echo "FAIL: $(tail -1 "$O/$name.log")")"
        done
        for scene in lego fox2; do
            for rule in default cap; do
                cat "$O"/${scene}_1m_${rule}_s*.log 2>/dev/null | grep -o 'test PSNR [0-9.]*' | awk '{ print $3 }' |
                    mean_sd "${scene}_1m $rule test PSNR"
            done
        done ;;
    fox4_profile) bench fox4_profile -s "$D/fox" -i images_4 "${flags[@]}" --profile ;;
    lego_profile) bench lego_profile -s "$D/lego" --white_background "${flags[@]}" --profile ;;
    fox4_seeds) # the spread over seeds (atomics make even one seed vary a little)
        for seed in ${SEEDS:-2 3 4 5}; do
            bench fox4_seed$seed -s "$D/fox" -i images_4 "${flags[@]}" --seed $seed && metrics fox4_seed$seed
        done
        cat "$O"/fox4_seed*.log | grep -o 'test PSNR [0-9.]*' | awk '{ print $3 }' | mean_sd "fox4_seeds test PSNR"
        # the training-view PSNR that metrics wrote (results_train.json), not scored again
        for seed in ${SEEDS:-2 3 4 5}; do
            sed -n 's/.*"PSNR": *\([0-9.]*\).*/\1/p' "$O/fox4_seed$seed/results_train.json" 2>/dev/null
        done | mean_sd "fox4_seeds train PSNR" ;;
    ref) # the published trainer's fox model (ref/fox4) through the same renderer and metrics
        rm -rf "$O/ref"
        metrics ref -s "$D/fox" -i images_4 --eval --ply "$D/ref/fox4/point_cloud_30000.ply" --opacity linear \
            --iteration 30000 ;;
    shared) # two runs on the GPU at once: each reports the memory it allocated itself, not the other's
        for k in 1 2; do
            "$B/tgs" train -s "$D/fox" -i images_4 "${flags[@]}" -m "$O/shared$k" --iterations 3000 \
                --test_iterations 3000 --save_iterations 3000 >"$O/shared$k.log" 2>&1 &
        done
        wait
        for k in 1 2; do echo "shared$k    $(grep -o 'planned.*at the peak' "$O/shared$k.log")"; done ;;
    context) # the CUDA context's own memory step by step, as nvidia-smi sees it every 20 ms
        for mode in defaults tgs; do
            mem_sampler "$O/context_$mode.mem"
            mon=$!
            sleep 0.3
            out=$("$B/ctx_mem" $([ $mode = tgs ] && echo tgs)) || { echo "FAIL context ($mode)"; fails=$((fails + 1)); }
            echo "$out" | sed 's/^/    /'
            sleep 0.3
            kill $mon 2>/dev/null
            wait $mon 2>/dev/null
            echo "context    ($mode) nvidia-smi MiB in order: $(awk -F', *' '{ print $2 }' "$O/context_$mode.mem" | uniq | tr '\n' ' ')"
        done ;;
    oom_growth) # pair buffers that must grow past --gpu_memory_limit (the plan + 2 MiB) after fox's first
        # densifications: the run stops with a checkpoint and the command to resume, which then finishes without
        # the limit (a growth at the first iteration has nothing to save: a plain error)
        args=(-s "$D/fox" -i images_4 "${flags[@]}" -m "$O/oom" --iterations 15000 --test_iterations 15000
              --save_iterations 15000)
        rm -rf "$O/oom"
        lim=$("$B/tgs" train "${args[@]}" --dry-run | awk '/total \(peak\)/ { print int($(NF-1)) + 2 }')
        "$B/tgs" train "${args[@]}" --gpu_memory_limit "$lim" >"$O/oom.log" 2>&1
        rc=$?
        ck=$(grep -o -- '--start_checkpoint [^ ]*' "$O/oom.log" | tail -1 | cut -d' ' -f2)
        if [ $rc -eq 0 ] || [ -z "$ck" ] || [ ! -s "$ck" ]; then
            echo "FAIL oom_growth: exit $rc, no checkpoint named"; cat "$O/oom.log"; fails=$((fails + 1))
        elif ! "$B/tgs" train "${args[@]}" --start_checkpoint "$ck" >"$O/oom_resume.log" 2>&1 ||
            [ ! -s "$O/oom/point_cloud/iteration_15000/point_cloud.ply" ]; then
            echo "FAIL oom_growth: the resumed run"; tail -5 "$O/oom_resume.log"; fails=$((fails + 1))
        else
            echo "oom_growth fox, --gpu_memory_limit $lim: exit $rc, $(grep -o 'at iteration [0-9]*' "$O/oom.log" |
                head -1); resumed: $(grep 'tgs: done' "$O/oom_resume.log")"
        fi ;;
    agree) # 1000 iterations on the GPU and on the CPU from the same seed
        for dev in cuda cpu; do
            "$B/tgs" train -s "$D/fox" -i images_4 "${flags[@]}" --device $dev -m "$O/agree_$dev" --iterations 1000 \
                --test_iterations 1000 --save_iterations 1000 >"$O/agree_$dev.log" 2>&1 ||
                { echo "FAIL agree ($dev)"; fails=$((fails + 1)); }
        done
        echo "agree      fox 1000 iterations, seed 1: $(grep -o 'test PSNR [0-9.]*' "$O/agree_cuda.log") (cuda) vs" \
            "$(grep -o 'test PSNR [0-9.]*' "$O/agree_cpu.log") (cpu)" ;;
    *) echo "unknown bench $b"; fails=$((fails + 1)) ;;
    esac
done
echo "$fails failure(s)"
[ $fails -eq 0 ]
