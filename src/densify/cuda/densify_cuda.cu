/* densify_cuda.cu - the operations that grow and shrink the device model
 * (GPU twins of src/densify/ops.c, stats.c and classic.c): clone/split/prune
 * candidates, clone, split (children drawn with the counter-based generator),
 * stable removal, and classic densify-and-prune. Parameters, gradients, Adam
 * moments and statistics move together; new rows get zero gradients, moments
 * and statistics. Index lists come from cub::DeviceSelect (ascending). */
#include "densify/cuda/densify_cuda.cuh"

#include <math.h>

/* Group offsets (in floats, for the model's capacity) and widths; the groups the gradient buffer holds. */
struct dc_layout {
    size_t off[TGS_G_COUNT];
    int width[TGS_G_COUNT];
    unsigned grad_mask;
};

static dc_layout layout_of(const tgs_cuda_model *m) {
    dc_layout L;
    L.grad_mask = 0;
    for (int k = 0; k < TGS_G_COUNT; k++) {
        L.off[k] = m->g.capacity * m->g.offset[k];
        L.width[k] = m->g.width[k];
        L.grad_mask |= tgs_gaussians_has_grad(&m->g, k) ? 1u << k : 0u;
    }
    return L;
}

__device__ static inline float max_scale(const float *s /*[3]*/) {
    return fmaxf(fmaxf(expf(s[0]), expf(s[1])), expf(s[2]));
}

/* ---- candidates ---- */

__global__ void __launch_bounds__(DC_THREADS)
    grad_cand_kernel(const float *__restrict__ accum, const float *__restrict__ denom,
                     const float *__restrict__ scale_raw /*[N,3]*/, size_t n, float thr, float dense,
                     unsigned char *__restrict__ kind /*[N]*/, unsigned long long *__restrict__ counts) {
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    unsigned char k = TGS_CAND_NONE;
    if (i < n) {
        float gr = accum[i] / denom[i];
        if (isnan(gr))
            gr = 0.0f; /* 0/0 where never visible */
        if (gr >= thr)
            k = max_scale(scale_raw + 3 * i) <= dense ? TGS_CAND_CLONE : TGS_CAND_SPLIT;
        kind[i] = k;
    }
    dc_block_count(k == TGS_CAND_CLONE, counts + DC_N_CLONE);
    __syncthreads();
    dc_block_count(k == TGS_CAND_SPLIT, counts + DC_N_SPLIT);
}

tgs_status dc_grad_candidates(tgs_cuda_model *m, const tgs_densify_params *p, cudaStream_t stream) {
    if (m->g.n == 0)
        return TGS_OK;
    const float *scale = m->g.params + m->g.capacity * m->g.offset[TGS_G_SCALE];
    grad_cand_kernel<<<dc_grid(m->g.n), DC_THREADS, 0, stream>>>(
        m->d_grad_accum, m->d_denom, scale, m->g.n, (float)p->grad_threshold, (float)(p->percent_dense * p->extent),
        m->scratch->d_kind, m->scratch->d_count);
    TGS_CUDA_LAUNCHED("grad_cand_kernel");
    return TGS_OK;
}

/* Prune rule of DESIGN §6 over rows [0,n) into mask; counts all candidates into
 * DC_N_PRUNE and, with kind given, those below n_pre not REPLACED into DC_N_CAND. */
__global__ void __launch_bounds__(DC_THREADS)
    prune_cand_kernel(const float *__restrict__ opacity_raw, const float *__restrict__ scale_raw /*[N,3]*/,
                      const float *__restrict__ max_radii, size_t n, double min_opacity, int abs_act, int size_rule,
                      float big_ws, float big_vs, unsigned char *__restrict__ mask, const unsigned char *kind,
                      size_t n_pre, unsigned long long *__restrict__ counts) {
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    int mk = 0;
    if (i < n) {
        const double o = opacity_raw[i];
        const double op = abs_act ? fabs(o) : 1.0 / (1.0 + exp(-o));
        mk = op < min_opacity;
        if (size_rule) {
            if (big_vs > 0.0f && max_radii[i] > big_vs)
                mk = 1;
            if (max_scale(scale_raw + 3 * i) > big_ws)
                mk = 1;
        }
        mask[i] = (unsigned char)mk;
    }
    dc_block_count(mk, counts + DC_N_PRUNE);
    if (kind) {
        __syncthreads();
        dc_block_count(mk && i < n_pre && kind[i] != TGS_CAND_REPLACED, counts + DC_N_CAND);
    }
}

/* Launches the prune rule (counters DC_N_PRUNE / DC_N_CAND zeroed first). */
static tgs_status prune_launch(tgs_cuda_model *m, const tgs_densify_params *p, unsigned char *d_mask,
                               const unsigned char *d_kind, size_t n_pre, cudaStream_t stream) {
    tgs_cuda_scratch *s = m->scratch;
    TGS_CUDA_TRY(cudaMemsetAsync(s->d_count + DC_N_PRUNE, 0, 2 * sizeof(unsigned long long), stream));
    if (m->g.n == 0)
        return TGS_OK;
    prune_cand_kernel<<<dc_grid(m->g.n), DC_THREADS, 0, stream>>>(
        m->g.params + m->g.capacity * m->g.offset[TGS_G_OPACITY],
        m->g.params + m->g.capacity * m->g.offset[TGS_G_SCALE],
        m->d_max_radii, m->g.n, p->min_opacity, p->opacity_act == TGS_OPACITY_ABS, p->size_rule,
        (float)(0.1 * p->extent), (float)p->max_screen_size, d_mask, d_kind, n_pre, s->d_count);
    TGS_CUDA_LAUNCHED("prune_cand_kernel");
    return TGS_OK;
}

tgs_status tgs_cuda_densify_prune_candidates(tgs_cuda_model *m, const tgs_densify_params *p,
                                             unsigned char *d_mask /*[N]*/, size_t *h_count, cudaStream_t stream) {
    if (!m || !p || !d_mask)
        return TGS_FAIL(TGS_ERR_ARG, "CUDA prune candidates: model, settings or mask missing (expected all)");
    TGS_TRY(prune_launch(m, p, d_mask, NULL, 0, stream));
    if (h_count) {
        TGS_TRY(dc_read_counts(m, stream));
        *h_count = (size_t)m->scratch->h_count[DC_N_PRUNE];
    }
    return TGS_OK;
}

/* ---- clone and split ---- */

/* New rows made from sources src[k]: row base + k receives the groups outside
 * skip (bit mask) copied from the source; it (and the source row too when
 * zero_src) gets zero gradients, moments and statistics. blockIdx.y = group. */
__global__ void __launch_bounds__(DC_THREADS)
    new_rows_kernel(float *__restrict__ params, float *__restrict__ grads, float *__restrict__ am,
                    float *__restrict__ av, float *__restrict__ accum, float *__restrict__ denom,
                    float *__restrict__ max_radii, const __grid_constant__ dc_layout L,
                    const uint32_t *__restrict__ src /*[count]*/,
                    size_t count, size_t base, int skip, int zero_src) {
    const int g = blockIdx.y;
    const size_t w = (size_t)L.width[g];
    const size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= count * w)
        return;
    const size_t k = t / w, e = t - k * w, p = src[k];
    const size_t off = L.off[g];
    for (int j = 0; j < 1 + zero_src; j++) {
        const size_t d = j ? p : base + k, de = off + d * w + e; /* no indexed array: no stack frame */
        if (j == 0 && !(skip & (1 << g)))
            params[de] = params[off + p * w + e];
        if (L.grad_mask & (1u << g))
            grads[de] = 0.0f;
        am[de] = 0.0f;
        av[de] = 0.0f;
        if (g == 0 && e == 0) {
            accum[d] = 0.0f;
            denom[d] = 0.0f;
            max_radii[d] = 0.0f;
        }
    }
}

static tgs_status new_rows(tgs_cuda_model *m, const uint32_t *d_src, size_t count, size_t base, int skip, int zero_src,
                           cudaStream_t stream) {
    int wmax = 0;
    for (int k = 0; k < TGS_G_COUNT; k++)
        wmax = m->g.width[k] > wmax ? m->g.width[k] : wmax;
    const dim3 grid(dc_grid(count * (size_t)wmax), TGS_G_COUNT);
    new_rows_kernel<<<grid, DC_THREADS, 0, stream>>>(m->g.params, m->g.grads, m->g.adam_m, m->g.adam_v, m->d_grad_accum,
                                                     m->d_denom, m->d_max_radii, layout_of(m), d_src, count, base,
                                                     skip, zero_src);
    TGS_CUDA_LAUNCHED("new_rows_kernel");
    return TGS_OK;
}

/* Refuses indices at or beyond n (device check, one flag). */
__global__ void check_idx_kernel(const uint32_t *__restrict__ idx, size_t count, size_t n,
                                 unsigned long long *__restrict__ bad) {
    const size_t k = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (k < count && idx[k] >= n)
        atomicAdd(bad, 1ull);
}

static tgs_status check_indices(tgs_cuda_model *m, const uint32_t *d_idx, size_t count, const char *op,
                                cudaStream_t stream) {
    tgs_cuda_scratch *s = m->scratch;
    TGS_CUDA_TRY(cudaMemsetAsync(s->d_count + DC_N_SEL, 0, sizeof(unsigned long long), stream));
    check_idx_kernel<<<dc_grid(count), DC_THREADS, 0, stream>>>(d_idx, count, m->g.n, s->d_count + DC_N_SEL);
    TGS_CUDA_LAUNCHED("check_idx_kernel");
    TGS_TRY(dc_read_counts(m, stream));
    if (s->h_count[DC_N_SEL])
        return TGS_FAIL(TGS_ERR_ARG, "CUDA %s: %llu of %zu indices are out of range (expected < %zu)", op,
                        s->h_count[DC_N_SEL], count, m->g.n);
    return TGS_OK;
}

/* Clone without the index check (callers that built the indices themselves). */
static tgs_status clone_rows(tgs_cuda_model *m, const uint32_t *d_idx, size_t count, cudaStream_t stream) {
    if (count == 0)
        return TGS_OK;
    if (m->g.n + count > m->g.capacity)
        return TGS_FAIL(TGS_ERR_NOMEM, "CUDA clone: %zu + %zu Gaussians exceed the capacity (expected at most %zu)",
                        m->g.n, count, m->g.capacity);
    TGS_TRY(new_rows(m, d_idx, count, m->g.n, 0, 0, stream));
    m->g.n += count;
    return TGS_OK;
}

tgs_status tgs_cuda_densify_clone(tgs_cuda_model *m, const uint32_t *d_idx /*[count]*/, size_t count,
                                  cudaStream_t stream) {
    if (!m || (count && !d_idx))
        return TGS_FAIL(TGS_ERR_ARG, "CUDA clone: model or indices missing (expected both)");
    if (count == 0)
        return TGS_OK;
    TGS_TRY(check_indices(m, d_idx, count, "clone", stream));
    return clone_rows(m, d_idx, count, stream);
}

/* Children of parent idx[k]: means mu + R (s * z), z ~ N(0, I) (6 normals by
 * Box-Muller from the hash of (call, parent, j)), log-scale log(exp(s) / 1.6),
 * in double as the CPU does; child 0 to the parent's row, child 1 to row n+k. */
__global__ void __launch_bounds__(DC_THREADS)
    split_children_kernel(float *__restrict__ means /*[C,3]*/, float *__restrict__ scale_raw /*[C,3]*/,
                          const float *__restrict__ rot /*[C,4]*/, const uint32_t *__restrict__ idx, size_t count,
                          size_t n, uint64_t call) {
    const size_t k = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (k >= count)
        return;
    const size_t p = idx[k];
    double w = rot[4 * p], x = rot[4 * p + 1], y = rot[4 * p + 2], z = rot[4 * p + 3];
    const double nrm = sqrt(w * w + x * x + y * y + z * z);
    if (!(nrm > 0)) {
        w = 1;
        x = y = z = 0;
    } else {
        w /= nrm, x /= nrm, y /= nrm, z /= nrm;
    }
    const double R[9] = {1 - 2 * (y * y + z * z), 2 * (x * y - w * z),     2 * (x * z + w * y),
                         2 * (x * y + w * z),     1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
                         2 * (x * z - w * y),     2 * (y * z + w * x),     1 - 2 * (x * x + y * y)};
    double s[3], mu[3];
    float ns[3];
    for (int c = 0; c < 3; c++) {
        s[c] = exp((double)scale_raw[3 * p + c]);
        ns[c] = (float)log(s[c] / 1.6);
        mu[c] = means[3 * p + c];
    }
    double nz[6];
    for (int j = 0; j < 3; j++) {
        const double u1 = dc_uniform(call, p, 2 * j), u2 = dc_uniform(call, p, 2 * j + 1);
        const double r = sqrt(-2.0 * log(u1));
        double sn, cs;
        sincospi(2.0 * u2, &sn, &cs); /* of 2 pi u2; cos() of a double needs a stack frame */
        nz[2 * j] = r * cs;
        nz[2 * j + 1] = r * sn;
    }
#pragma unroll
    for (int ch = 0; ch < 2; ch++) {
        const size_t dst = ch ? n + k : p;
        const double a = s[0] * nz[3 * ch], b = s[1] * nz[3 * ch + 1], c = s[2] * nz[3 * ch + 2];
        for (int r = 0; r < 3; r++) {
            means[3 * dst + r] = (float)(mu[r] + R[3 * r] * a + R[3 * r + 1] * b + R[3 * r + 2] * c);
            scale_raw[3 * dst + r] = ns[r];
        }
    }
}

/* Split without the index check: child 0 in the parent's row, child 1 at n+k. */
static tgs_status split_rows(tgs_cuda_model *m, const uint32_t *d_idx, size_t count, tgs_cuda_rng *rng,
                             cudaStream_t stream) {
    if (count == 0)
        return TGS_OK;
    if (m->g.n + count > m->g.capacity)
        return TGS_FAIL(TGS_ERR_NOMEM, "CUDA split: %zu + %zu Gaussians exceed the capacity (expected at most %zu)",
                        m->g.n, count, m->g.capacity);
    const uint64_t call = dc_call_key(rng);
    rng->counter++;
    /* the other groups first: they read the parent rows (means and scales are not touched) */
    const int skip = (1 << TGS_G_MEANS) | (1 << TGS_G_SCALE);
    TGS_TRY(new_rows(m, d_idx, count, m->g.n, skip, 1, stream));
    split_children_kernel<<<dc_grid(count), DC_THREADS, 0, stream>>>(
        m->g.params + m->g.capacity * m->g.offset[TGS_G_MEANS], m->g.params + m->g.capacity * m->g.offset[TGS_G_SCALE],
        m->g.params + m->g.capacity * m->g.offset[TGS_G_ROT], d_idx, count, m->g.n, call);
    TGS_CUDA_LAUNCHED("split_children_kernel");
    m->g.n += count;
    return TGS_OK;
}

tgs_status tgs_cuda_densify_split(tgs_cuda_model *m, const uint32_t *d_idx /*[count]*/, size_t count,
                                  tgs_cuda_rng *rng, cudaStream_t stream) {
    if (!m || !rng || (count && !d_idx))
        return TGS_FAIL(TGS_ERR_ARG, "CUDA split: model, indices or generator missing (expected all)");
    if (count == 0)
        return TGS_OK;
    TGS_TRY(check_indices(m, d_idx, count, "split", stream));
    return split_rows(m, d_idx, count, rng, stream);
}

/* ---- removal ---- */

__global__ void keep_flags_kernel(const unsigned char *__restrict__ remove, size_t n,
                                  unsigned char *__restrict__ keep) {
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        keep[i] = remove[i] == 0;
}

/* out[j*w + e] = in[src[j]*w + e] for j < count. */
__global__ void gather_rows_kernel(const float *__restrict__ in, float *__restrict__ out,
                                   const uint32_t *__restrict__ src, size_t count, size_t w) {
    const size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= count * w)
        return;
    const size_t j = t / w, e = t - j * w;
    out[t] = in[(size_t)src[j] * w + e];
}

/* The groups of one buffer of the layout (width and first float of each). */
struct dc_groups {
    size_t capacity;
    int width[TGS_G_COUNT], offset[TGS_G_COUNT];
};

/* Element t of `count` rows of every group packed group after group (group
 * k's count * width[k] floats from count * offset[k] on): its group k, row j
 * of the range and float e of the row; returns the group's start in the buffer. */
static __device__ __forceinline__ size_t dc_group_elem(const dc_groups &G, size_t count, size_t t, size_t *j,
                                                       size_t *e, int *k) {
    int g = 0;
    while (g + 1 < TGS_G_COUNT && t >= count * (size_t)G.offset[g + 1])
        g++;
    const size_t u = t - count * (size_t)G.offset[g], w = (size_t)G.width[g];
    *k = g;
    *j = u / w;
    *e = u - *j * w;
    return G.capacity * (size_t)G.offset[g];
}

/* tmp <- rows src[j0 + j] of every group (move = 0), or rows j0 + j <- tmp (move = 1). */
__global__ void move_rows_kernel(float *__restrict__ buf, float *__restrict__ tmp, const __grid_constant__ dc_groups G,
                                 const uint32_t *__restrict__ src, size_t j0, size_t count, size_t floats, int back) {
    const size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= count * floats)
        return;
    size_t j, e;
    int k;
    const size_t base = dc_group_elem(G, count, t, &j, &e, &k), w = (size_t)G.width[k];
    if (back)
        buf[base + (j0 + j) * w + e] = tmp[t];
    else
        tmp[t] = buf[base + (size_t)src[j0 + j] * w + e];
}

tgs_status tgs_cuda_densify_remove(tgs_cuda_model *m, const unsigned char *d_remove /*[N]*/, cudaStream_t stream) {
    if (!m || !d_remove)
        return TGS_FAIL(TGS_ERR_ARG, "CUDA remove: model or mask missing (expected both)");
    const size_t n = m->g.n;
    if (n == 0)
        return TGS_OK;
    tgs_cuda_scratch *s = m->scratch;
    keep_flags_kernel<<<dc_grid(n), DC_THREADS, 0, stream>>>(d_remove, n, s->d_flags);
    TGS_CUDA_LAUNCHED("keep_flags_kernel");
    TGS_TRY(dc_select_flagged(m, s->d_flags, n, s->d_pick, stream));
    TGS_TRY(dc_read_counts(m, stream));
    const size_t kept = (size_t)s->h_count[DC_N_SEL];
    if (kept == n)
        return TGS_OK;
    /* In place, DC_ROW_CHUNK kept rows at a time in order: the sources of a
     * chunk (pick ascending, pick[j] >= j) lie at or after its first row, which
     * no earlier chunk wrote. */
    dc_groups G;
    G.capacity = m->g.capacity;
    for (int k = 0; k < TGS_G_COUNT; k++)
        G.width[k] = m->g.width[k], G.offset[k] = (int)m->g.offset[k];
    float *bufs[4] = {m->g.params, m->g.grads, m->g.adam_m, m->g.adam_v};
    for (size_t j0 = 0; j0 < kept; j0 += DC_ROW_CHUNK) {
        const size_t count = kept - j0 < DC_ROW_CHUNK ? kept - j0 : DC_ROW_CHUNK;
        for (int b = 0; b < 4; b++)
            for (int back = 0; back < 2; back++) {
                /* the gradient buffer may end before the last group (params.h) */
                const size_t fpg = (size_t)(b == 1 ? m->g.grad_floats : m->g.floats_per_gaussian);
                move_rows_kernel<<<dc_grid(count * fpg), DC_THREADS, 0, stream>>>(bufs[b], s->d_rows, G, s->d_pick,
                                                                                 j0, count, fpg, back);
                TGS_CUDA_LAUNCHED("move_rows_kernel");
            }
    }
    float *stats[3] = {m->d_grad_accum, m->d_denom, m->d_max_radii};
    for (int b = 0; b < 3 && kept; b++) {
        gather_rows_kernel<<<dc_grid(kept), DC_THREADS, 0, stream>>>(stats[b], s->d_stats_tmp + b * s->capacity,
                                                                     s->d_pick, kept, 1);
        TGS_CUDA_LAUNCHED("gather_rows_kernel");
    }
    for (int b = 0; b < 3 && kept; b++)
        TGS_CUDA_TRY(cudaMemcpyAsync(stats[b], s->d_stats_tmp + b * s->capacity, kept * sizeof(float),
                                     cudaMemcpyDeviceToDevice, stream));
    m->g.n = kept;
    return TGS_OK;
}

/* ---- classic densify-and-prune ---- */

__global__ void kind_flags_kernel(const unsigned char *__restrict__ kind, size_t n, unsigned char value,
                                  unsigned char *__restrict__ flags) {
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        flags[i] = kind[i] == value;
}

/* Ascending indices of the rows of kind `value` into d_pick. */
tgs_status dc_pick_kind(tgs_cuda_model *m, size_t n, unsigned char value, cudaStream_t stream) {
    tgs_cuda_scratch *s = m->scratch;
    kind_flags_kernel<<<dc_grid(n), DC_THREADS, 0, stream>>>(s->d_kind, n, value, s->d_flags);
    TGS_CUDA_LAUNCHED("kind_flags_kernel");
    return dc_select_flagged(m, s->d_flags, n, s->d_pick, stream);
}

tgs_status dc_check_model(const tgs_cuda_model *m, const tgs_densify_params *p, const char *what) {
    if (!m || !p || !m->scratch)
        return TGS_FAIL(TGS_ERR_ARG, "%s: model or settings missing (expected both)", what);
    if (m->g.n > m->g.capacity || m->g.capacity > UINT32_MAX)
        return TGS_FAIL(TGS_ERR_ARG, "%s: %zu Gaussians in capacity %zu (expected n <= capacity < 2^32)", what, m->g.n,
                        m->g.capacity);
    return TGS_OK;
}

tgs_status tgs_cuda_densify_classic(tgs_cuda_model *m, const tgs_densify_params *p, tgs_cuda_rng *rng,
                                    tgs_densify_report *rep, cudaStream_t stream) {
    TGS_TRY(dc_check_model(m, p, "CUDA classic densification"));
    const size_t n = m->g.n;
    TGS_TRY(dc_zero_counts(m, stream));
    TGS_TRY(dc_grad_candidates(m, p, stream));
    TGS_TRY(dc_read_counts(m, stream));
    const size_t nc = (size_t)m->scratch->h_count[DC_N_CLONE], ns = (size_t)m->scratch->h_count[DC_N_SPLIT];
    if (n + nc + ns > m->g.capacity) {
        /* classic mode has no plan: grow (doubling), then redo the candidates in the new scratch */
        size_t cap = n + nc + ns > 2 * m->g.capacity ? n + nc + ns : 2 * m->g.capacity;
        if (cap > UINT32_MAX)
            cap = UINT32_MAX;
        TGS_TRY(tgs_cuda_model_reserve(m, cap, stream));
        TGS_TRY(dc_zero_counts(m, stream));
        TGS_TRY(dc_grad_candidates(m, p, stream));
    }
    TGS_TRY(dc_pick_kind(m, n, TGS_CAND_CLONE, stream));
    TGS_TRY(clone_rows(m, m->scratch->d_pick, nc, stream));
    TGS_TRY(dc_pick_kind(m, n, TGS_CAND_SPLIT, stream));
    TGS_TRY(split_rows(m, m->scratch->d_pick, ns, rng, stream));
    const size_t n_grown = m->g.n;
    TGS_TRY(prune_launch(m, p, m->scratch->d_mask, NULL, 0, stream));
    TGS_TRY(dc_read_counts(m, stream));
    const size_t pruned = (size_t)m->scratch->h_count[DC_N_PRUNE];
    if (pruned)
        TGS_TRY(tgs_cuda_densify_remove(m, m->scratch->d_mask, stream));
    TGS_TRY(tgs_cuda_stats_reset(m, n_grown, stream));
    if (rep) {
        rep->cloned = nc;
        rep->split = ns;
        rep->pruned = pruned;
        rep->n_before = n;
        rep->n_after = m->g.n;
    }
    return TGS_OK;
}

/* Shared with the Taming file. */
tgs_status dc_prune_launch(tgs_cuda_model *m, const tgs_densify_params *p, unsigned char *d_mask,
                           const unsigned char *d_kind, size_t n_pre, cudaStream_t stream) {
    return prune_launch(m, p, d_mask, d_kind, n_pre, stream);
}
tgs_status dc_clone_rows(tgs_cuda_model *m, const uint32_t *d_idx, size_t count, cudaStream_t stream) {
    return clone_rows(m, d_idx, count, stream);
}
tgs_status dc_split_rows(tgs_cuda_model *m, const uint32_t *d_idx, size_t count, tgs_cuda_rng *rng,
                         cudaStream_t stream) {
    return split_rows(m, d_idx, count, rng, stream);
}
