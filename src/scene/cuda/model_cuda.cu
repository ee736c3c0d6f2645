/* model_cuda.cu - the model on the device (model_cuda.h): parameter, gradient
 * and moment buffers in the layout of tgs/params.h, the densification
 * statistics and the scratch of the densification operations (measured once
 * for the capacity and carved from one allocation); upload/download to a host
 * model; the statistics of DESIGN §5 and the opacity reset. */
#include "scene/cuda/model_cuda.h"
#include "cuda/cuda_alloc.h"
#include "densify/cuda/densify_cuda.cuh"

#include <math.h>
#include <string.h>

__global__ void iota_kernel(uint32_t *__restrict__ out /*[n]*/, size_t n) {
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
        out[i] = (uint32_t)i;
}

/* Offset of the next 256-byte aligned piece of `bytes` in one allocation. */
static size_t carve(size_t *at, size_t bytes) {
    size_t p = *at;
    *at += (bytes + 255) & ~(size_t)255;
    return p;
}

static void scratch_free(tgs_cuda_scratch *s) {
    if (!s)
        return;
    tgs_cuda_free(s->d_kind); /* the one allocation starts here */
    cudaFreeHost(s->h_count);
    free(s);
}

/* Offsets of the scratch's pieces in its one allocation, and its bytes. */
typedef struct {
    size_t kind, mask, rm, flags, w, keys, keys_alt, iota, idx_alt, pick, rows, stats, terms, med, count, cub, total;
} scratch_layout;

static scratch_layout layout_scratch(size_t C, int row_floats, size_t cub_bytes) {
    scratch_layout o;
    size_t at = 0;
    o.kind = carve(&at, C);
    o.mask = carve(&at, C);
    o.rm = carve(&at, C);
    o.flags = carve(&at, C);
    o.w = carve(&at, C * sizeof(float));
    o.keys = carve(&at, C * sizeof(float));
    o.keys_alt = carve(&at, C * sizeof(float));
    o.iota = carve(&at, C * sizeof(uint32_t));
    o.idx_alt = carve(&at, C * sizeof(uint32_t));
    o.pick = carve(&at, C * sizeof(uint32_t));
    o.rows = carve(&at, (C < DC_ROW_CHUNK ? C : DC_ROW_CHUNK) * (size_t)row_floats * sizeof(float));
    o.stats = carve(&at, 3 * C * sizeof(float));
    o.terms = carve(&at, 3 * C * sizeof(float));
    o.med = carve(&at, 16 * sizeof(float));
    o.count = carve(&at, DC_COUNTERS * sizeof(unsigned long long));
    o.cub = carve(&at, cub_bytes);
    o.total = at;
    return o;
}

static tgs_status scratch_create(size_t capacity, int row_floats, tgs_cuda_scratch **out) {
    *out = NULL;
    tgs_cuda_scratch *s = (tgs_cuda_scratch *)tgs_calloc(1, sizeof *s, "CUDA densification scratch");
    if (!s)
        return TGS_ERR_NOMEM;
    tgs_status st = TGS_OK;
    const size_t C = capacity;
    scratch_layout o;
    char *base = NULL;
    cudaError_t e;
    s->capacity = C;
    if ((st = dc_cub_bytes(C, &s->cub_bytes)) != TGS_OK)
        goto cleanup;
    o = layout_scratch(C, row_floats, s->cub_bytes);
    if ((e = tgs_cuda_malloc((void **)&base, o.total)) != cudaSuccess) {
        st =
            TGS_FAIL(TGS_ERR_DEVICE, "CUDA: allocating %zu bytes of densification scratch for %zu Gaussians failed: %s",
                     o.total, C, cudaGetErrorString(e));
        goto cleanup;
    }
    s->d_kind = (unsigned char *)(base + o.kind);
    s->d_mask = (unsigned char *)(base + o.mask);
    s->d_rm = (unsigned char *)(base + o.rm);
    s->d_flags = (unsigned char *)(base + o.flags);
    s->d_w = (float *)(base + o.w);
    s->d_keys = (float *)(base + o.keys);
    s->d_keys_alt = (float *)(base + o.keys_alt);
    s->d_iota = (uint32_t *)(base + o.iota);
    s->d_idx_alt = (uint32_t *)(base + o.idx_alt);
    s->d_pick = (uint32_t *)(base + o.pick);
    s->d_rows = (float *)(base + o.rows);
    s->d_stats_tmp = (float *)(base + o.stats);
    s->d_terms = (float *)(base + o.terms);
    s->d_med = (float *)(base + o.med);
    s->d_count = (unsigned long long *)(base + o.count);
    s->d_cub = base + o.cub;
    if ((e = cudaMallocHost((void **)&s->h_count, DC_COUNTERS * sizeof(unsigned long long))) != cudaSuccess) {
        st = TGS_FAIL(TGS_ERR_DEVICE, "CUDA: allocating pinned counters failed: %s", cudaGetErrorString(e));
        goto cleanup;
    }
    iota_kernel<<<dc_grid(C), DC_THREADS>>>(s->d_iota, C);
    if ((e = cudaGetLastError()) == cudaSuccess)
        e = cudaStreamSynchronize(0); /* ready for work queued on any stream */
    if (e != cudaSuccess) {
        st = TGS_FAIL(TGS_ERR_DEVICE, "CUDA: iota_kernel failed: %s", cudaGetErrorString(e));
        goto cleanup;
    }
    *out = s;
    return TGS_OK;
cleanup:
    scratch_free(s);
    return st;
}

/* Floats of each of the four model buffers (params, grads, m, v) of g's layout for capacity C. */
static void buffer_floats(const tgs_gaussians *g, size_t C, size_t floats[4]) {
    for (int b = 0; b < 4; b++)
        floats[b] = C * (size_t)(b == 1 ? g->grad_floats : g->floats_per_gaussian);
}

/* The model buffers of g's layout for capacity C (zeroed); on failure nothing is kept. */
static tgs_status model_alloc(const tgs_gaussians *g, size_t C, float *bufs[4], float *stats[3]) {
    size_t floats[4];
    buffer_floats(g, C, floats);
    for (int b = 0; b < 4; b++)
        bufs[b] = NULL;
    for (int b = 0; b < 3; b++)
        stats[b] = NULL;
    cudaError_t e = cudaSuccess;
    for (int b = 0; b < 4 && e == cudaSuccess; b++)
        if ((e = tgs_cuda_malloc((void **)&bufs[b], floats[b] * sizeof(float))) == cudaSuccess)
            e = cudaMemset(bufs[b], 0, floats[b] * sizeof(float));
    for (int b = 0; b < 3 && e == cudaSuccess; b++)
        if ((e = tgs_cuda_malloc((void **)&stats[b], C * sizeof(float))) == cudaSuccess)
            e = cudaMemset(stats[b], 0, C * sizeof(float));
    if (e == cudaSuccess)
        return TGS_OK;
    for (int b = 0; b < 4; b++)
        tgs_cuda_free(bufs[b]);
    for (int b = 0; b < 3; b++)
        tgs_cuda_free(stats[b]);
    return TGS_FAIL(TGS_ERR_DEVICE, "CUDA: allocating the model for %zu Gaussians (%zu bytes per buffer) failed: %s", C,
                    floats[0] * sizeof(float), cudaGetErrorString(e));
}

/* The layout of a device model: all groups, the gradient buffer without the SH rest unless rest_grads. */
static void model_layout(tgs_gaussians *g, int sh_degree, int rest_grads) {
    tgs_gaussians_set_layout(g, sh_degree);
    if (!rest_grads)
        g->grad_floats = (int)g->offset[TGS_G_REST];
}

size_t tgs_cuda_model_bytes(size_t capacity, int sh_degree, int rest_grads) {
    tgs_gaussians g;
    memset(&g, 0, sizeof g);
    model_layout(&g, sh_degree, rest_grads);
    size_t floats[4], total = 0;
    buffer_floats(&g, capacity ? capacity : 1, floats);
    for (int b = 0; b < 4; b++)
        total += floats[b] * sizeof(float);
    return total;
}

size_t tgs_cuda_model_scratch_bytes(size_t capacity, int sh_degree) {
    int width[TGS_G_COUNT];
    size_t offset[TGS_G_COUNT], cub = 0;
    const int fpg = tgs_param_layout(sh_degree, width, offset);
    if (capacity == 0)
        capacity = 1; /* as create */
    if (dc_cub_bytes(capacity, &cub) != TGS_OK)
        cub = 0;
    return 3 * capacity * sizeof(float) + layout_scratch(capacity, fpg, cub).total;
}

tgs_status tgs_cuda_model_create(size_t capacity, int sh_degree, int rest_grads, tgs_cuda_model **out) {
    *out = NULL;
    if (sh_degree < 0 || sh_degree > 3)
        return TGS_FAIL(TGS_ERR_ARG, "CUDA model: SH degree %d is out of range (expected 0..3)", sh_degree);
    if (capacity > UINT32_MAX)
        return TGS_FAIL(TGS_ERR_ARG, "CUDA model: capacity %zu (expected at most %u: 32-bit indices)", capacity,
                        (unsigned)UINT32_MAX);
    tgs_cuda_model *m = (tgs_cuda_model *)tgs_calloc(1, sizeof *m, "CUDA model");
    if (!m)
        return TGS_ERR_NOMEM;
    tgs_status st = TGS_OK;
    float *bufs[4], *stats[3];
    if (capacity == 0)
        capacity = 1;
    m->g.capacity = capacity;
    model_layout(&m->g, sh_degree, rest_grads);
    if ((st = model_alloc(&m->g, capacity, bufs, stats)) != TGS_OK)
        goto cleanup;
    m->g.params = bufs[0], m->g.grads = bufs[1], m->g.adam_m = bufs[2], m->g.adam_v = bufs[3];
    m->d_grad_accum = stats[0], m->d_denom = stats[1], m->d_max_radii = stats[2];
    if ((st = scratch_create(capacity, m->g.floats_per_gaussian, &m->scratch)) != TGS_OK)
        goto cleanup;
    *out = m;
    return TGS_OK;
cleanup:
    tgs_cuda_model_destroy(m);
    return st;
}

void tgs_cuda_model_destroy(tgs_cuda_model *m) {
    if (!m)
        return;
    tgs_cuda_free(m->g.params);
    tgs_cuda_free(m->g.grads);
    tgs_cuda_free(m->g.adam_m);
    tgs_cuda_free(m->g.adam_v);
    tgs_cuda_free(m->d_grad_accum);
    tgs_cuda_free(m->d_denom);
    tgs_cuda_free(m->d_max_radii);
    scratch_free(m->scratch);
    free(m);
}

tgs_status tgs_cuda_model_reserve(tgs_cuda_model *m, size_t capacity, cudaStream_t stream) {
    if (capacity <= m->g.capacity)
        return TGS_OK;
    if (capacity > UINT32_MAX)
        return TGS_FAIL(TGS_ERR_ARG, "CUDA model: capacity %zu (expected at most %u: 32-bit indices)", capacity,
                        (unsigned)UINT32_MAX);
    TGS_CUDA_TRY(cudaStreamSynchronize(stream));
    float *bufs[4], *stats[3];
    TGS_TRY(model_alloc(&m->g, capacity, bufs, stats));
    tgs_cuda_scratch *s = NULL;
    tgs_status st = scratch_create(capacity, m->g.floats_per_gaussian, &s);
    float *old[4] = {m->g.params, m->g.grads, m->g.adam_m, m->g.adam_v};
    float *old_stats[3] = {m->d_grad_accum, m->d_denom, m->d_max_radii};
    cudaError_t e = cudaSuccess;
    for (int b = 0; b < 4 && st == TGS_OK && e == cudaSuccess; b++)
        for (int k = 0; k < TGS_G_COUNT && e == cudaSuccess; k++)
            if (b != 1 || tgs_gaussians_has_grad(&m->g, k))
                e = cudaMemcpy(bufs[b] + capacity * m->g.offset[k], old[b] + m->g.capacity * m->g.offset[k],
                               m->g.n * (size_t)m->g.width[k] * sizeof(float), cudaMemcpyDeviceToDevice);
    for (int b = 0; b < 3 && st == TGS_OK && e == cudaSuccess; b++)
        e = cudaMemcpy(stats[b], old_stats[b], m->g.n * sizeof(float), cudaMemcpyDeviceToDevice);
    if (st == TGS_OK && e != cudaSuccess)
        st = TGS_FAIL(TGS_ERR_DEVICE, "CUDA: moving the model to capacity %zu failed: %s", capacity,
                      cudaGetErrorString(e));
    float **drop = st == TGS_OK ? old : bufs, **drop_stats = st == TGS_OK ? old_stats : stats;
    for (int b = 0; b < 4; b++)
        tgs_cuda_free(drop[b]);
    for (int b = 0; b < 3; b++)
        tgs_cuda_free(drop_stats[b]);
    if (st != TGS_OK) {
        scratch_free(s);
        return st;
    }
    scratch_free(m->scratch);
    m->scratch = s;
    m->g.params = bufs[0], m->g.grads = bufs[1], m->g.adam_m = bufs[2], m->g.adam_v = bufs[3];
    m->d_grad_accum = stats[0], m->d_denom = stats[1], m->d_max_radii = stats[2];
    m->g.capacity = capacity;
    return TGS_OK;
}

tgs_status tgs_cuda_model_upload(tgs_cuda_model *m, const tgs_gaussians *g, const tgs_densify_stats *s,
                                 cudaStream_t stream) {
    if (!m || !g)
        return TGS_FAIL(TGS_ERR_ARG, "CUDA model upload: model missing (expected a device and a host model)");
    if (g->sh_degree != m->g.sh_degree || g->n > m->g.capacity)
        return TGS_FAIL(TGS_ERR_ARG,
                        "CUDA model upload: %zu Gaussians of SH degree %d (expected at most %zu of degree %d)", g->n,
                        g->sh_degree, m->g.capacity, m->g.sh_degree);
    if (s && s->grad_accum && s->capacity < g->n)
        return TGS_FAIL(TGS_ERR_ARG, "CUDA model upload: statistics cover %zu Gaussians (expected at least %zu)",
                        s->capacity, g->n);
    const float *src[4] = {g->params, g->grads, g->adam_m, g->adam_v};
    float *dst[4] = {m->g.params, m->g.grads, m->g.adam_m, m->g.adam_v};
    const size_t n = g->n;
    for (int b = 0; b < 4; b++)
        for (int k = 0; k < TGS_G_COUNT; k++) {
            if (b == 1 && !tgs_gaussians_has_grad(&m->g, k))
                continue; /* a gradient the device model does not keep (none is pending) */
            float *d = dst[b] + m->g.capacity * m->g.offset[k];
            const size_t bytes = n * (size_t)m->g.width[k] * sizeof(float);
            if (src[b])
                TGS_CUDA_TRY(
                    cudaMemcpyAsync(d, src[b] + g->capacity * g->offset[k], bytes, cudaMemcpyHostToDevice, stream));
            else
                TGS_CUDA_TRY(cudaMemsetAsync(d, 0, bytes, stream));
        }
    const int have = s && s->grad_accum;
    const float *hs[3] = {have ? s->grad_accum : NULL, have ? s->denom : NULL, have ? s->max_radii : NULL};
    float *ds[3] = {m->d_grad_accum, m->d_denom, m->d_max_radii};
    for (int b = 0; b < 3; b++) {
        if (hs[b])
            TGS_CUDA_TRY(cudaMemcpyAsync(ds[b], hs[b], n * sizeof(float), cudaMemcpyHostToDevice, stream));
        else
            TGS_CUDA_TRY(cudaMemsetAsync(ds[b], 0, n * sizeof(float), stream));
    }
    TGS_CUDA_TRY(cudaStreamSynchronize(stream));
    m->g.n = n;
    return TGS_OK;
}

tgs_status tgs_cuda_model_download(const tgs_cuda_model *m, tgs_gaussians *g, tgs_densify_stats *s,
                                   cudaStream_t stream) {
    if (!m || !g)
        return TGS_FAIL(TGS_ERR_ARG, "CUDA model download: model missing (expected a device and a host model)");
    if (g->sh_degree != m->g.sh_degree)
        return TGS_FAIL(TGS_ERR_ARG, "CUDA model download: host model of SH degree %d (expected %d)", g->sh_degree,
                        m->g.sh_degree);
    if (g->capacity < m->g.n)
        TGS_TRY(tgs_gaussians_reserve(g, m->g.n));
    if (s)
        TGS_TRY(tgs_densify_stats_reserve(s, m->g.n > 0 ? m->g.n : 1));
    float *dst[4] = {g->params, g->grads, g->adam_m, g->adam_v};
    const float *src[4] = {m->g.params, m->g.grads, m->g.adam_m, m->g.adam_v};
    for (int b = 0; b < 4; b++)
        for (int k = 0; k < TGS_G_COUNT && dst[b]; k++) {
            float *d = dst[b] + g->capacity * g->offset[k];
            const size_t bytes = m->g.n * (size_t)m->g.width[k] * sizeof(float);
            if (b == 1 && !tgs_gaussians_has_grad(&m->g, k))
                memset(d, 0, bytes); /* not kept on the device: none is pending */
            else
                TGS_CUDA_TRY(
                    cudaMemcpyAsync(d, src[b] + m->g.capacity * m->g.offset[k], bytes, cudaMemcpyDeviceToHost, stream));
        }
    if (s) {
        float *hs[3] = {s->grad_accum, s->denom, s->max_radii};
        const float *ds[3] = {m->d_grad_accum, m->d_denom, m->d_max_radii};
        for (int b = 0; b < 3; b++)
            TGS_CUDA_TRY(cudaMemcpyAsync(hs[b], ds[b], m->g.n * sizeof(float), cudaMemcpyDeviceToHost, stream));
    }
    TGS_CUDA_TRY(cudaStreamSynchronize(stream));
    g->n = m->g.n;
    return TGS_OK;
}

/* ---- counters ---- */

tgs_status dc_zero_counts(tgs_cuda_model *m, cudaStream_t stream) {
    TGS_CUDA_TRY(cudaMemsetAsync(m->scratch->d_count, 0, DC_COUNTERS * sizeof(unsigned long long), stream));
    return TGS_OK;
}

tgs_status dc_read_counts(tgs_cuda_model *m, cudaStream_t stream) {
    TGS_CUDA_TRY(cudaMemcpyAsync(m->scratch->h_count, m->scratch->d_count, DC_COUNTERS * sizeof(unsigned long long),
                                 cudaMemcpyDeviceToHost, stream));
    TGS_CUDA_TRY(cudaStreamSynchronize(stream));
    return TGS_OK;
}

/* ---- statistics and opacity reset ---- */

__global__ void stats_add_kernel(float *__restrict__ accum, float *__restrict__ denom, float *__restrict__ max_radii,
                                 const int *__restrict__ radii /*[N]*/, const float *__restrict__ v_mean2d /*[N,2]*/,
                                 size_t n) {
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n || radii[i] <= 0)
        return;
    const float vx = v_mean2d[2 * i], vy = v_mean2d[2 * i + 1];
    accum[i] += __fsqrt_rn(__fadd_rn(__fmul_rn(vx, vx), __fmul_rn(vy, vy)));
    denom[i] += 1.0f;
    const float r = (float)radii[i];
    if (r > max_radii[i])
        max_radii[i] = r;
}

tgs_status tgs_cuda_stats_add(tgs_cuda_model *m, const int *d_radii /*[N]*/, const float *d_v_mean2d /*[N,2]*/,
                              cudaStream_t stream) {
    if (!m || !d_radii || !d_v_mean2d)
        return TGS_FAIL(TGS_ERR_ARG, "CUDA statistics: model, radii or gradients missing (expected device arrays)");
    if (m->g.n == 0)
        return TGS_OK;
    stats_add_kernel<<<dc_grid(m->g.n), DC_THREADS, 0, stream>>>(m->d_grad_accum, m->d_denom, m->d_max_radii, d_radii,
                                                               d_v_mean2d, m->g.n);
    TGS_CUDA_LAUNCHED("stats_add_kernel");
    return TGS_OK;
}

tgs_status tgs_cuda_stats_reset(tgs_cuda_model *m, size_t n, cudaStream_t stream) {
    n = n < m->g.capacity ? n : m->g.capacity;
    if (n == 0)
        return TGS_OK;
    TGS_CUDA_TRY(cudaMemsetAsync(m->d_grad_accum, 0, n * sizeof(float), stream));
    TGS_CUDA_TRY(cudaMemsetAsync(m->d_denom, 0, n * sizeof(float), stream));
    TGS_CUDA_TRY(cudaMemsetAsync(m->d_max_radii, 0, n * sizeof(float), stream));
    return TGS_OK;
}

__global__ void opacity_cap_kernel(float *__restrict__ o /*[N]*/, size_t n, float cap) {
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n && o[i] > cap)
        o[i] = cap;
}

tgs_status tgs_cuda_reset_opacity(tgs_cuda_model *m, cudaStream_t stream) {
    if (m->g.n == 0)
        return TGS_OK;
    const float cap = (float)log(0.01 / 0.99); /* logit(0.01) */
    const size_t off = m->g.capacity * m->g.offset[TGS_G_OPACITY];
    opacity_cap_kernel<<<dc_grid(m->g.n), DC_THREADS, 0, stream>>>(m->g.params + off, m->g.n, cap);
    TGS_CUDA_LAUNCHED("opacity_cap_kernel");
    TGS_CUDA_TRY(cudaMemsetAsync(m->g.adam_m + off, 0, m->g.n * sizeof(float), stream));
    TGS_CUDA_TRY(cudaMemsetAsync(m->g.adam_v + off, 0, m->g.n * sizeof(float), stream));
    return TGS_OK;
}

void tgs_cuda_rng_seed(tgs_cuda_rng *r, uint64_t seed) {
    r->seed = seed;
    r->counter = 0;
}
