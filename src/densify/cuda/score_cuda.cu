/* score_cuda.cu - the Taming score on the device (DESIGN §6), the GPU twin of
 * src/densify/score.c: the per-pixel weights of a view and the per-Gaussian
 * score summed over views, with the terms, coefficients and roundings of
 * densify/taming_terms.h. The medians come from dc_median (taming_cuda.cu):
 * a radix sort of the positive values, read on the device. */
#include "densify/cuda/densify_cuda.cuh"
#include "densify/taming_terms.h"

/* ---- pixel weights ---- */

/* out = tgs_taming_pixel_weight of the L1 map in out (with its min and max in
 * lohi) and the normalised edge value of the 8-bit response; 0 where the mask
 * (NULL: none) leaves the pixel out. */
__global__ void pixel_weights_kernel(float *__restrict__ out /*[H,W]*/,
                                     const unsigned char *__restrict__ edges /*[H,W]*/,
                                     const unsigned char *__restrict__ mask /*[H,W] or NULL*/, float edge_lo,
                                     float edge_range, size_t npix, const float *__restrict__ lohi /*[2]*/) {
    const size_t p = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (p >= npix)
        return;
    if (mask && !mask[p]) {
        out[p] = 0.0f;
        return;
    }
    const float lo = lohi[0], range = lohi[1] - lohi[0];
    out[p] = tgs_taming_pixel_weight(out[p], lo, range, tgs_taming_edge_value(edges[p], edge_lo, edge_range));
}

tgs_status tgs_cuda_pixel_weights(tgs_cuda_loss *l, const float *d_img /*[H,W,3]*/,
                                  const unsigned char *d_gt /*[H,W,3]*/, const unsigned char *d_mask /*[H,W] or NULL*/,
                                  const unsigned char *d_edges /*[H,W]*/, float edge_lo, float edge_range, int w, int h,
                                  float *d_out /*[H,W]*/, cudaStream_t stream) {
    if (!d_edges || !d_out)
        return TGS_FAIL(TGS_ERR_ARG, "tgs_cuda_pixel_weights: missing edge map or output (expected device arrays)");
    TGS_TRY(tgs_cuda_l1_map_range(l, d_img, d_gt, d_mask, w, h, d_out, stream));
    const size_t npix = (size_t)w * h;
    pixel_weights_kernel<<<dc_grid(npix), DC_THREADS, 0, stream>>>(d_out, d_edges, d_mask, edge_lo, edge_range, npix,
                                                                   tgs_cuda_loss_l1_range(l));
    TGS_CUDA_LAUNCHED("pixel_weights_kernel");
    return TGS_OK;
}

/* ---- the per-Gaussian score ---- */

/* Rows of the view-independent terms in the scratch's d_terms [3, C]. */
enum { ROW_GRAD, ROW_OPACITY, ROW_SCALE };

__global__ void score_terms_kernel(const float *__restrict__ accum, const float *__restrict__ denom,
                                   const float *__restrict__ opacity_raw, const float *__restrict__ scale_raw, size_t n,
                                   size_t stride, float *__restrict__ terms /*[3,stride]*/) {
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n)
        return;
    terms[ROW_GRAD * stride + i] = tgs_taming_term_grad(accum[i], denom[i]);
    terms[ROW_OPACITY * stride + i] = tgs_taming_term_opacity(opacity_raw[i]);
    terms[ROW_SCALE * stride + i] = tgs_taming_term_scale(scale_raw + 3 * i);
}

struct score_coefs {
    float c[TGS_TERM_COUNT];
};

/* scores += tgs_taming_view_factor(ell) * (the normalised terms) where radii > 0. */
__global__ void score_view_kernel(const float *__restrict__ terms /*[3,stride]*/, size_t stride,
                                  const int *__restrict__ radii, const float *__restrict__ depths,
                                  const float *__restrict__ acc /*[N,4]*/, const float *__restrict__ med /*[9]*/,
                                  score_coefs cf, const double *__restrict__ ell, size_t n,
                                  float *__restrict__ scores) {
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n || radii[i] <= 0)
        return;
    const float v[TGS_TERM_COUNT] = {terms[ROW_GRAD * stride + i], terms[ROW_OPACITY * stride + i], depths[i],
                                     (float)radii[i], terms[ROW_SCALE * stride + i], acc[4 * i], acc[4 * i + 1],
                                     acc[4 * i + 2], acc[4 * i + 3]};
    float term = 0.0f;
#pragma unroll
    for (int t = 0; t < TGS_TERM_COUNT; t++)
        if (v[t] > 0)
            term = tgs_taming_add_term(term, cf.c[t], v[t], med[t]);
    scores[i] = __fadd_rn(scores[i], __fmul_rn(tgs_taming_view_factor(*ell), term));
}

tgs_status tgs_cuda_taming_score_begin(tgs_cuda_model *m, float *d_scores /*[N]*/, cudaStream_t stream) {
    if (!m || !m->scratch || !d_scores)
        return TGS_FAIL(TGS_ERR_ARG, "CUDA Taming score: model or scores missing (expected both)");
    if (m->g.n == 0)
        return TGS_OK;
    tgs_cuda_scratch *s = m->scratch;
    const size_t n = m->g.n, C = s->capacity;
    TGS_CUDA_TRY(cudaMemsetAsync(d_scores, 0, n * sizeof(float), stream));
    score_terms_kernel<<<dc_grid(n), DC_THREADS, 0, stream>>>(
        m->d_grad_accum, m->d_denom, m->g.params + m->g.capacity * m->g.offset[TGS_G_OPACITY],
        m->g.params + m->g.capacity * m->g.offset[TGS_G_SCALE], n, C, s->d_terms);
    TGS_CUDA_LAUNCHED("score_terms_kernel");
    static const int row[3] = {ROW_GRAD, ROW_OPACITY, ROW_SCALE};
    static const int term[3] = {TGS_TERM_GRAD, TGS_TERM_OPACITY, TGS_TERM_SCALE};
    for (int k = 0; k < 3; k++)
        TGS_TRY(dc_median(m, s->d_terms + (size_t)row[k] * C, NULL, 1, DC_MED_VALUES, n, DC_N_MED + term[k],
                          s->d_med + term[k], stream));
    return TGS_OK;
}

tgs_status tgs_cuda_taming_score_view(tgs_cuda_model *m, const int *d_radii /*[N]*/, const float *d_depths /*[N]*/,
                                      const float *d_score_acc /*[N,4]*/, const double *d_ell, float *d_scores /*[N]*/,
                                      cudaStream_t stream) {
    if (!m || !m->scratch || !d_radii || !d_depths || !d_score_acc || !d_ell || !d_scores)
        return TGS_FAIL(TGS_ERR_ARG, "CUDA Taming score: a view array is missing (expected radii, depths, sums, "
                                     "loss and scores on the device)");
    if (m->g.n == 0)
        return TGS_OK;
    tgs_cuda_scratch *s = m->scratch;
    const size_t n = m->g.n;
    TGS_TRY(dc_median(m, d_depths, d_radii, 1, DC_MED_DEPTH, n, DC_N_MED + TGS_TERM_DEPTH, s->d_med + TGS_TERM_DEPTH,
                      stream));
    TGS_TRY(dc_median(m, NULL, d_radii, 1, DC_MED_RADIUS, n, DC_N_MED + TGS_TERM_RADIUS, s->d_med + TGS_TERM_RADIUS,
                      stream));
    for (int t = 0; t < TGS_SCORE_COUNT; t++)
        TGS_TRY(dc_median(m, d_score_acc + t, NULL, TGS_SCORE_COUNT, DC_MED_VALUES, n, DC_N_MED + TGS_TERM_SUMS + t,
                          s->d_med + TGS_TERM_SUMS + t, stream));
    score_coefs cf;
    for (int t = 0; t < TGS_TERM_COUNT; t++)
        cf.c[t] = (float)tgs_taming_term_coef(t);
    score_view_kernel<<<dc_grid(n), DC_THREADS, 0, stream>>>(s->d_terms, s->capacity, d_radii, d_depths, d_score_acc,
                                                             s->d_med, cf, d_ell, n, d_scores);
    TGS_CUDA_LAUNCHED("score_view_kernel");
    return TGS_OK;
}
