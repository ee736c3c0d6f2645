/* taming_cuda.cu - the Taming 3DGS pieces on the device (GPU twins of
 * src/densify/sample.c and taming.c): weighted sampling without replacement by
 * exponential keys, the median normalisation M(c, x), and the budgeted
 * densification step.
 *
 * Sampling: key_i = -log(u_i) / w_i (u from the counter-based hash, computed in
 * double, stored as float; +inf for weights <= 0 or NaN; positive weights are
 * capped at FLT_MAX so they always sort before the excluded ones); one stable
 * cub radix sort of (key, index) pairs; the first k indices are flagged and
 * cub::DeviceSelect lists them in ascending order. Ties (equal float keys) go
 * to the lower index, as on the CPU.
 * Median: values <= 0 (and NaN) become +inf, a radix sort, and the entry
 * (m-1)/2 of the m positive values (lower middle, torch.median) is read on the
 * device: no host round trip. The additions are rounded as the CPU's (no FMA),
 * so M(c, x) is bit-identical to tgs_taming_add_normalized. */
#include "densify/cuda/densify_cuda.cuh"
#include "densify/taming_terms.h"

#include <float.h>
#include <math.h>

/* ---- weighted sampling without replacement ---- */

__global__ void __launch_bounds__(DC_THREADS)
    sample_keys_kernel(const float *__restrict__ w /*[n]*/, size_t n, uint64_t call, float *__restrict__ keys,
                       unsigned long long *__restrict__ n_pos) {
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    int pos = 0;
    if (i < n) {
        const float wi = w[i];
        float key = INFINITY;
        if (wi > 0) { /* false for NaN */
            const double k = -log(dc_uniform(call, i, 0)) / (double)wi;
            key = k < (double)FLT_MAX ? (float)k : FLT_MAX;
            pos = 1;
        }
        keys[i] = key;
    }
    dc_block_count(pos, n_pos);
}

__global__ void flag_first_kernel(const uint32_t *__restrict__ sorted_idx, size_t k,
                                  unsigned char *__restrict__ flags) {
    const size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t < k)
        flags[sorted_idx[t]] = 1;
}

/* The sampler; *count = the number drawn. d_w may be scratch d_w. */
static tgs_status sample(tgs_cuda_model *m, const float *d_w, size_t n, size_t k, tgs_cuda_rng *rng, uint32_t *d_out,
                         size_t *count, cudaStream_t stream) {
    tgs_cuda_scratch *s = m->scratch;
    *count = 0;
    const uint64_t call = dc_call_key(rng);
    rng->counter++;
    if (n == 0 || k == 0)
        return TGS_OK;
    if (n > s->capacity)
        return TGS_FAIL(TGS_ERR_ARG, "CUDA sampling: %zu weights (expected at most the capacity %zu)", n, s->capacity);
    TGS_CUDA_TRY(cudaMemsetAsync(s->d_count + DC_N_POS, 0, sizeof(unsigned long long), stream));
    sample_keys_kernel<<<dc_grid(n), DC_THREADS, 0, stream>>>(d_w, n, call, s->d_keys, s->d_count + DC_N_POS);
    TGS_CUDA_LAUNCHED("sample_keys_kernel");
    TGS_TRY(dc_sort_pairs(m, n, stream));
    TGS_TRY(dc_read_counts(m, stream));
    const size_t pos = (size_t)s->h_count[DC_N_POS];
    const size_t kk = k < pos ? k : pos;
    if (kk == 0)
        return TGS_OK;
    TGS_CUDA_TRY(cudaMemsetAsync(s->d_flags, 0, n, stream));
    flag_first_kernel<<<dc_grid(kk), DC_THREADS, 0, stream>>>(s->d_idx_alt, kk, s->d_flags);
    TGS_CUDA_LAUNCHED("flag_first_kernel");
    TGS_TRY(dc_select_flagged(m, s->d_flags, n, d_out, stream));
    *count = kk;
    return TGS_OK;
}

tgs_status tgs_cuda_sample_weighted(tgs_cuda_model *m, const float *d_w /*[n]*/, size_t n, size_t k, tgs_cuda_rng *rng,
                                    uint32_t *d_out /*[k]*/, size_t *h_count, cudaStream_t stream) {
    if (!m || !m->scratch || !rng || !h_count || (n && k && (!d_w || !d_out)))
        return TGS_FAIL(TGS_ERR_ARG, "CUDA sampling: model, weights, output or generator missing (expected all)");
    return sample(m, d_w, n, k, rng, d_out, h_count, stream);
}

/* ---- median normalisation ---- */

/* Keys of one term: the value (mode DC_MED_*) where > 0, else +inf; counts the positives. */
__global__ void __launch_bounds__(DC_THREADS)
    median_keys_kernel(const float *__restrict__ x, const int *__restrict__ radii, size_t stride, int mode, size_t n,
                       float *__restrict__ keys, unsigned long long *__restrict__ n_pos) {
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    int pos = 0;
    if (i < n) {
        float v = mode == DC_MED_VALUES ? x[i * stride]
                  : mode == DC_MED_DEPTH ? (radii[i] > 0 ? x[i] : 0.0f)
                                         : (float)radii[i];
        pos = v > 0; /* false for NaN */
        keys[i] = pos ? v : INFINITY;
    }
    dc_block_count(pos, n_pos);
}

__global__ void median_pick_kernel(const float *__restrict__ sorted, const unsigned long long *__restrict__ n_pos,
                                   float *__restrict__ med) {
    const unsigned long long m = *n_pos;
    *med = m ? sorted[(m - 1) / 2] : NAN;
}

tgs_status dc_median(tgs_cuda_model *m, const float *d_x, const int *d_radii, size_t stride, int mode, size_t n,
                     int slot, float *d_med, cudaStream_t stream) {
    tgs_cuda_scratch *s = m->scratch;
    TGS_CUDA_TRY(cudaMemsetAsync(s->d_count + slot, 0, sizeof(unsigned long long), stream));
    median_keys_kernel<<<dc_grid(n), DC_THREADS, 0, stream>>>(d_x, d_radii, stride, mode, n, s->d_keys,
                                                              s->d_count + slot);
    TGS_CUDA_LAUNCHED("median_keys_kernel");
    TGS_TRY(dc_sort_keys(m, n, stream));
    median_pick_kernel<<<1, 1, 0, stream>>>(s->d_keys_alt, s->d_count + slot, d_med);
    TGS_CUDA_LAUNCHED("median_pick_kernel");
    return TGS_OK;
}

__global__ void add_normalized_kernel(const float *__restrict__ x, size_t n, float cf, const float *__restrict__ med,
                                      float *__restrict__ out) {
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n && x[i] > 0) /* no positive value: nothing passes, the NaN median is never used */
        out[i] = tgs_taming_add_term(out[i], cf, x[i], *med);
}

tgs_status tgs_cuda_taming_add_normalized(tgs_cuda_model *m, double c, const float *d_x /*[n]*/, size_t n,
                                          float *d_out /*[n]*/, cudaStream_t stream) {
    if (!m || !m->scratch || (n && (!d_x || !d_out)))
        return TGS_FAIL(TGS_ERR_ARG, "CUDA median normalisation: model, values or output missing (expected all)");
    if (n > m->g.capacity)
        return TGS_FAIL(TGS_ERR_ARG, "CUDA median normalisation: %zu values (expected at most the capacity %zu)", n,
                        m->g.capacity);
    if (n == 0)
        return TGS_OK;
    float *d_med = m->scratch->d_med + 15; /* the last slot: score medians stay intact */
    TGS_TRY(dc_median(m, d_x, NULL, 1, DC_MED_VALUES, n, DC_N_MED + TGS_TERM_COUNT, d_med, stream));
    add_normalized_kernel<<<dc_grid(n), DC_THREADS, 0, stream>>>(d_x, n, (float)c, d_med, d_out);
    TGS_CUDA_LAUNCHED("add_normalized_kernel");
    return TGS_OK;
}

/* ---- the Taming step ---- */

/* w[i] = kind[i] == value ? scores[i] : 0 (value TGS_CAND_NONE: the prune weights
 * 1/(1e-6 + score) of the rows not REPLACED). */
__global__ void taming_weights_kernel(const unsigned char *__restrict__ kind, const float *__restrict__ scores,
                                      size_t n, int value, float *__restrict__ w) {
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n)
        return;
    if (value == TGS_CAND_NONE)
        w[i] = kind[i] != TGS_CAND_REPLACED ? 1.0f / (1e-6f + scores[i]) : 0.0f;
    else
        w[i] = kind[i] == value ? scores[i] : 0.0f;
}

__global__ void mark_replaced_kernel(const uint32_t *__restrict__ pick, size_t count,
                                     unsigned char *__restrict__ kind) {
    const size_t k = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (k < count)
        kind[pick[k]] = TGS_CAND_REPLACED;
}

/* rm[pick[k]] = mask[pick[k]]; counts the rows marked. */
__global__ void __launch_bounds__(DC_THREADS)
    mark_pruned_kernel(const uint32_t *__restrict__ pick, size_t count, const unsigned char *__restrict__ mask,
                       unsigned char *__restrict__ rm, unsigned long long *__restrict__ n_pruned) {
    const size_t k = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    int hit = 0;
    if (k < count) {
        const uint32_t i = pick[k];
        hit = mask[i] != 0;
        if (hit)
            rm[i] = 1;
    }
    dc_block_count(hit, n_pruned);
}

static tgs_status taming_weights(tgs_cuda_model *m, const float *d_scores, size_t n, int value, cudaStream_t stream) {
    taming_weights_kernel<<<dc_grid(n), DC_THREADS, 0, stream>>>(m->scratch->d_kind, d_scores, n, value,
                                                                 m->scratch->d_w);
    TGS_CUDA_LAUNCHED("taming_weights_kernel");
    return TGS_OK;
}

/* The clone and split candidates counted so far (counters DC_N_CLONE, DC_N_SPLIT) into *nc, *ns. */
static tgs_status read_candidate_counts(tgs_cuda_model *m, cudaStream_t stream, size_t *nc, size_t *ns) {
    TGS_TRY(dc_read_counts(m, stream));
    *nc = (size_t)m->scratch->h_count[DC_N_CLONE];
    *ns = (size_t)m->scratch->h_count[DC_N_SPLIT];
    return TGS_OK;
}

/* Reruns the candidate rule with the threshold that lets `want` Gaussians qualify. */
static tgs_status relax_candidates(tgs_cuda_model *m, const tgs_densify_params *p, size_t want, cudaStream_t stream,
                                   size_t *nc, size_t *ns) {
    const size_t n = m->g.n;
    float *h = (float *)tgs_calloc(3 * n, sizeof(float), "densification statistics (host copy)");
    if (!h)
        return TGS_ERR_NOMEM;
    tgs_status st = TGS_OK;
    cudaError_t e = cudaMemcpyAsync(h, m->d_grad_accum, n * sizeof(float), cudaMemcpyDeviceToHost, stream);
    if (e == cudaSuccess)
        e = cudaMemcpyAsync(h + n, m->d_denom, n * sizeof(float), cudaMemcpyDeviceToHost, stream);
    if (e == cudaSuccess)
        e = cudaStreamSynchronize(stream);
    if (e != cudaSuccess) {
        st = TGS_FAIL(TGS_ERR_DEVICE, "CUDA Taming densification: reading the statistics failed: %s",
                      cudaGetErrorString(e));
    } else {
        tgs_densify_params relaxed = *p;
        relaxed.grad_threshold = tgs_taming_fill_threshold(h, h + n, n, (float)p->grad_threshold, want, h + 2 * n);
        if ((st = dc_zero_counts(m, stream)) == TGS_OK && (st = dc_grad_candidates(m, &relaxed, stream)) == TGS_OK)
            st = read_candidate_counts(m, stream, nc, ns);
    }
    free(h);
    return st;
}

tgs_status tgs_cuda_densify_taming(tgs_cuda_model *m, const tgs_densify_params *p, const float *d_scores /*[N]*/,
                                   size_t target, int step_j, tgs_cuda_rng *rng, tgs_densify_report *rep,
                                   cudaStream_t stream) {
    TGS_TRY(dc_check_model(m, p, "CUDA Taming densification"));
    if (!rng || (m->g.n && !d_scores))
        return TGS_FAIL(TGS_ERR_ARG, "CUDA Taming densification: scores or generator missing (expected both)");
    tgs_cuda_scratch *s = m->scratch;
    const size_t n = m->g.n;
    TGS_TRY(dc_zero_counts(m, stream));
    TGS_TRY(dc_grad_candidates(m, p, stream));
    size_t nc, ns;
    TGS_TRY(read_candidate_counts(m, stream, &nc, &ns));
    /* too few over the threshold for this step's target: lower it as the CPU
     * does (tgs_taming_fill_threshold over the statistics, 8 bytes a Gaussian) */
    const size_t want = tgs_taming_fill_want(n, target);
    if (!p->cap_candidates && nc + ns < want)
        TGS_TRY(relax_candidates(m, p, want, stream, &nc, &ns));

    size_t clone_budget, split_budget;
    tgs_taming_budgets(n, target, nc, ns, &clone_budget, &split_budget);
    if (n + clone_budget + split_budget > m->g.capacity)
        return TGS_FAIL(TGS_ERR_NOMEM,
                        "CUDA Taming densification: %zu + %zu Gaussians exceed the capacity (expected at most %zu; "
                        "plan the capacity for the budget)",
                        n, clone_budget + split_budget, m->g.capacity);

    /* clones: appended at rows n.. */
    size_t cloned = 0, split = 0;
    TGS_TRY(taming_weights(m, d_scores, n, TGS_CAND_CLONE, stream));
    TGS_TRY(sample(m, s->d_w, n, clone_budget, rng, s->d_pick, &cloned, stream));
    TGS_TRY(dc_clone_rows(m, s->d_pick, cloned, stream));
    /* splits among the original rows; child 0 takes the parent's row */
    TGS_TRY(taming_weights(m, d_scores, n, TGS_CAND_SPLIT, stream));
    TGS_TRY(sample(m, s->d_w, n, split_budget, rng, s->d_pick, &split, stream));
    TGS_TRY(dc_split_rows(m, s->d_pick, split, rng, stream));
    if (split) {
        mark_replaced_kernel<<<dc_grid(split), DC_THREADS, 0, stream>>>(s->d_pick, split, s->d_kind);
        TGS_CUDA_LAUNCHED("mark_replaced_kernel");
    }

    /* pruning: candidates among the pre-step Gaussians still present */
    TGS_TRY(dc_prune_launch(m, p, s->d_mask, s->d_kind, n, stream));
    TGS_TRY(dc_read_counts(m, stream));
    const size_t n_cand = (size_t)s->h_count[DC_N_CAND];
    size_t pruned = 0;
    if (step_j < 27 && n_cand / 2 > 0) {
        size_t drawn = 0;
        TGS_TRY(taming_weights(m, d_scores, n, TGS_CAND_NONE, stream));
        TGS_TRY(sample(m, s->d_w, n, n_cand / 2, rng, s->d_pick, &drawn, stream));
        TGS_CUDA_TRY(cudaMemsetAsync(s->d_rm, 0, m->g.n, stream));
        TGS_CUDA_TRY(cudaMemsetAsync(s->d_count + DC_N_PRUNED, 0, sizeof(unsigned long long), stream));
        if (drawn) {
            mark_pruned_kernel<<<dc_grid(drawn), DC_THREADS, 0, stream>>>(s->d_pick, drawn, s->d_mask, s->d_rm,
                                                                          s->d_count + DC_N_PRUNED);
            TGS_CUDA_LAUNCHED("mark_pruned_kernel");
        }
        TGS_TRY(dc_read_counts(m, stream));
        pruned = (size_t)s->h_count[DC_N_PRUNED];
    }
    const size_t n_grown = m->g.n;
    if (pruned)
        TGS_TRY(tgs_cuda_densify_remove(m, s->d_rm, stream));
    TGS_TRY(tgs_cuda_stats_reset(m, n_grown, stream));
    if (rep) {
        rep->cloned = cloned;
        rep->split = split;
        rep->pruned = pruned;
        rep->n_before = n;
        rep->n_after = m->g.n;
    }
    return TGS_OK;
}
