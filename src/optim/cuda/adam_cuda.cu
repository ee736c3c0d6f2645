/* adam_cuda.cu - Adam over the device parameter buffer: the GPU twin of
 * src/optim/adam.c, one launch for all stepped groups. The per-element update
 * is written with round-to-nearest intrinsics (no fused multiply-add), so it
 * gives the CPU's float results bit for bit. */
#include "cuda/cuda_check.h"
#include "optim/cuda/adam_cuda.h"
#include "optim/cuda/adam_update.cuh"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define ADAM_THREADS 256
#define ADAM_MAX_BLOCKS 4096u /* per group; the kernel strides over the rest */

/* The stepped groups of one launch (blockIdx.y picks the group). */
struct adam_groups {
    size_t off[TGS_G_COUNT]; /* first float of the group in each buffer */
    size_t len[TGS_G_COUNT]; /* n * width */
    int width[TGS_G_COUNT];
    tgs_adam_consts c[TGS_G_COUNT];
};

#define ADAM_UNROLL 4 /* elements a thread loads before it computes */

/* The row of element i of a group of this width: a 32-bit division where the
 * group allows (a 64-bit one costs ~70 instructions: sparse Adam measured
 * 15% slower than the dense step with it on lego at 1M, H200). */
static __device__ __forceinline__ size_t row_of(size_t i, size_t width, bool wide) {
    return wide ? i / width : (size_t)((uint32_t)i / (uint32_t)width);
}

/* Each thread loads ADAM_UNROLL elements (gradient, moments, parameter) of
 * its grid stride before computing any: the loads overlap. Written as one
 * element at a time, the compiler kept them in program order (the moments
 * after the gradient's zeroing store, the parameter after the division): two
 * memory round trips per element, 20-25% of the memory bandwidth (lego: ~150
 * us a step on an H100). */
__global__ void __launch_bounds__(ADAM_THREADS)
    adam_kernel(float *__restrict__ params, float *__restrict__ grads, float *__restrict__ m, float *__restrict__ v,
                const int *__restrict__ radii /*[N] or NULL*/, adam_groups G) {
    const int k = blockIdx.y;
    const size_t off = G.off[k], len = G.len[k], stride = (size_t)gridDim.x * blockDim.x, width = (size_t)G.width[k];
    const bool wide = len > UINT32_MAX;
    const tgs_adam_consts c = G.c[k];
    for (size_t i0 = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i0 < len; i0 += ADAM_UNROLL * stride) {
        float gv[ADAM_UNROLL], mv[ADAM_UNROLL], vv[ADAM_UNROLL], pv[ADAM_UNROLL];
        bool live[ADAM_UNROLL];
#pragma unroll
        for (int u = 0; u < ADAM_UNROLL; u++) {
            const size_t i = i0 + u * stride, e = off + i;
            const bool in = i < len && (!radii || radii[row_of(i, width, wide)] > 0); /* sparse: rows in view */
            live[u] = in;
            gv[u] = in ? grads[e] : 0.0f;
            mv[u] = in ? m[e] : 0.0f;
            vv[u] = in ? v[e] : 0.0f;
            pv[u] = in ? params[e] : 0.0f;
        }
#pragma unroll
        for (int u = 0; u < ADAM_UNROLL; u++) {
            const size_t e = off + i0 + u * stride;
            if (!live[u])
                continue;
            grads[e] = 0.0f;
            tgs_adam_update(c, gv[u], mv[u], vv[u], pv[u]);
            m[e] = mv[u];
            v[e] = vv[u];
            params[e] = pv[u];
        }
    }
}

/* The constants of step t (1-based) at learning rate lr. */
static tgs_adam_consts consts_of(double lr, long t, double beta1, double beta2, double eps) {
    tgs_adam_consts c;
    c.b1 = (float)beta1;
    c.b2 = (float)beta2;
    c.one_b1 = 1.0f - c.b1;
    c.one_b2 = 1.0f - c.b2;
    c.eps = (float)eps;
    c.step_size = (float)(lr / (1.0 - pow(beta1, (double)t)));
    c.inv_bc2_sqrt = (float)(1.0 / sqrt(1.0 - pow(beta2, (double)t)));
    return c;
}

tgs_adam_consts tgs_cuda_adam_consts(const tgs_adam *a, int group) {
    return consts_of(a->lr[group], a->step[group] + 1, a->beta1, a->beta2, a->eps);
}

/* Shared by both entry points: steps are the 1-based counts of this step. */
static tgs_status adam_launch(float *d_params, float *d_grads, float *d_m, float *d_v, const int *d_radii, size_t n,
                              size_t capacity, int sh_degree, const double lr[TGS_G_COUNT], unsigned mask,
                              const long step[TGS_G_COUNT], double beta1, double beta2, double eps,
                              cudaStream_t stream) {
    if (!d_params || !d_grads || !d_m || !d_v || !lr || !step)
        return TGS_FAIL(TGS_ERR_ARG, "CUDA Adam: missing buffer or settings (expected non-NULL pointers)");
    if (sh_degree < 0 || sh_degree > 3 || n > capacity)
        return TGS_FAIL(TGS_ERR_ARG,
                        "CUDA Adam: SH degree %d with %zu of %zu rows (expected degree 0..3, n <= capacity)", sh_degree,
                        n, capacity);
    int width[TGS_G_COUNT];
    size_t offset[TGS_G_COUNT];
    tgs_param_layout(sh_degree, width, offset);
    adam_groups G;
    memset(&G, 0, sizeof G);
    unsigned count = 0;
    size_t max_len = 0;
    for (int grp = 0; grp < TGS_G_COUNT; grp++) {
        if (!(mask & (1u << grp)))
            continue;
        const long t = step[grp];
        if (t < 1)
            return TGS_FAIL(TGS_ERR_ARG, "CUDA Adam: step %ld of group %d (expected >= 1)", t, grp);
        G.off[count] = capacity * offset[grp];
        G.len[count] = n * (size_t)width[grp];
        G.width[count] = width[grp];
        G.c[count] = consts_of(lr[grp], t, beta1, beta2, eps);
        max_len = G.len[count] > max_len ? G.len[count] : max_len;
        count++;
    }
    if (count == 0 || max_len == 0)
        return TGS_OK;
    const size_t per_block = (size_t)ADAM_THREADS * ADAM_UNROLL, bx = (max_len + per_block - 1) / per_block;
    const dim3 grid((unsigned)(bx < ADAM_MAX_BLOCKS ? bx : ADAM_MAX_BLOCKS), count);
    adam_kernel<<<grid, ADAM_THREADS, 0, stream>>>(d_params, d_grads, d_m, d_v, d_radii, G);
    TGS_CUDA_LAUNCHED("adam_kernel");
    return TGS_OK;
}

tgs_status tgs_cuda_adam_step(float *d_params, float *d_grads, float *d_m, float *d_v, const int *d_radii, size_t n,
                              size_t capacity, int sh_degree, const double lr[TGS_G_COUNT], unsigned group_mask,
                              const long step[TGS_G_COUNT], cudaStream_t stream) {
    return adam_launch(d_params, d_grads, d_m, d_v, d_radii, n, capacity, sh_degree, lr, group_mask, step, 0.9, 0.999,
                       1e-15, stream);
}

tgs_status tgs_cuda_adam_step_model(tgs_adam *a, tgs_cuda_model *m, unsigned mask, unsigned applied,
                                    const int *d_radii, cudaStream_t stream) {
    if (!a || !m)
        return TGS_FAIL(TGS_ERR_ARG, "CUDA Adam: optimiser or model missing (expected both)");
    if (applied & ~mask)
        return TGS_FAIL(TGS_ERR_ARG, "CUDA Adam: groups 0x%x were stepped elsewhere but are not in the mask 0x%x",
                        applied, mask);
    for (int grp = 0; grp < TGS_G_COUNT; grp++)
        if (((mask & ~applied) >> grp & 1u) && !tgs_gaussians_has_grad(&m->g, grp))
            return TGS_FAIL(TGS_ERR_ARG, "CUDA Adam: group %s has no gradient buffer on this model (its step is "
                            "taken in the backward)", tgs_param_group_name(grp));
    long step[TGS_G_COUNT];
    for (int grp = 0; grp < TGS_G_COUNT; grp++)
        step[grp] = a->step[grp] + ((mask & (1u << grp)) ? 1 : 0);
    TGS_TRY(adam_launch(m->g.params, m->g.grads, m->g.adam_m, m->g.adam_v, d_radii, m->g.n, m->g.capacity,
                        m->g.sh_degree, a->lr, mask & ~applied, step, a->beta1, a->beta2, a->eps, stream));
    for (int grp = 0; grp < TGS_G_COUNT; grp++)
        a->step[grp] = step[grp];
    return TGS_OK;
}

tgs_status tgs_cuda_adam_zero_grad(tgs_cuda_model *m, unsigned mask, cudaStream_t stream) {
    for (int grp = 0; grp < TGS_G_COUNT; grp++)
        if ((mask & (1u << grp)) && m->g.n > 0 && tgs_gaussians_has_grad(&m->g, grp))
            TGS_CUDA_TRY(cudaMemsetAsync(m->g.grads + m->g.capacity * m->g.offset[grp], 0,
                                         m->g.n * (size_t)m->g.width[grp] * sizeof(float), stream));
    return TGS_OK;
}
