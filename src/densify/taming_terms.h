/* taming_terms.h - the Taming score of a view (DESIGN §6), written once for the
 * CPU oracle (score.c) and its CUDA twin (cuda/score_cuda.cu).
 *
 * Pixel weights of a view: w = 50 * norm(L1 map) + 50 * edge value.
 * Score: for every Gaussian visible in the view (radius > 0),
 *     score += (float)(50 * ell) * sum over the terms t of coef[t] * x_t / median(x_t)
 * where ell is the view's loss and the median is taken over the Gaussians with
 * x_t > 0 (lower middle value; a term x_t <= 0 or NaN adds nothing). The terms
 * are added in the order of the enum below, each operation rounded as written
 * (no FMA), so the CPU and the GPU give the same floats. Usable from C and CUDA. */
#ifndef TGS_DENSIFY_TAMING_TERMS_H
#define TGS_DENSIFY_TAMING_TERMS_H

#include <math.h>

#ifdef __CUDACC__
#define TGS_TAMING_HD __host__ __device__
#else
#define TGS_TAMING_HD
#endif

/* The terms in their order of addition. */
enum {
    TGS_TERM_GRAD = 0,    /* g = accum/denom of the densification statistics (0 where never seen) */
    TGS_TERM_OPACITY = 1, /* sigmoid(opacity_raw) */
    TGS_TERM_DEPTH = 2,   /* view-space depth where visible, else 0 */
    TGS_TERM_RADIUS = 3,  /* screen radius in pixels */
    TGS_TERM_SCALE = 4,   /* product of the three scales */
    TGS_TERM_SUMS = 5,    /* 4 terms from here: the raster's score sums in TGS_SCORE_* order
                           * (Σw, Σ1, ΣαT, Σdist) */
    TGS_TERM_COUNT = 9
};

/* The coefficient c of term t in M(c, x). */
static inline double tgs_taming_term_coef(int t) {
    static const double coef[TGS_TERM_COUNT] = {25, 100, 5, 10, 25, 10, 0.1, 50, 50};
    return coef[t];
}

/* The factor of a view's summed terms, from its loss ell. */
TGS_TAMING_HD static inline float tgs_taming_view_factor(double ell) { return (float)(50.0 * ell); }

/* The view-independent terms of one Gaussian. */
TGS_TAMING_HD static inline float tgs_taming_term_grad(float accum, float denom) {
    return denom > 0 ? accum / denom : 0.0f;
}
TGS_TAMING_HD static inline float tgs_taming_term_opacity(float opacity_raw) {
    return 1.0f / (1.0f + expf(-opacity_raw));
}
TGS_TAMING_HD static inline float tgs_taming_term_scale(const float *scale_raw /*[3]*/) {
    return expf(scale_raw[0] + scale_raw[1] + scale_raw[2]);
}

/* acc + c * (x / med): one term of M(c, x) added. */
TGS_TAMING_HD static inline float tgs_taming_add_term(float acc, float c, float x, float med) {
#ifdef __CUDA_ARCH__
    return __fadd_rn(acc, __fmul_rn(c, __fdiv_rn(x, med)));
#else
    return acc + c * (x / med);
#endif
}

/* The normalised edge value of a view's 8-bit filter response v, with the
 * view's lo = vmin/255 and range = vmax/255 - lo (0 when the map is flat). */
TGS_TAMING_HD static inline float tgs_taming_edge_value(unsigned char v, float lo, float range) {
#ifdef __CUDA_ARCH__
    return range > 0 ? __fdiv_rn(__fsub_rn(__fdiv_rn((float)v, 255.0f), lo), range) : 0.0f;
#else
    return range > 0 ? ((float)v / 255.0f - lo) / range : 0.0f;
#endif
}

/* The weight of one pixel from its L1 value l1 (the view's L1 map has minimum
 * lo and range = max - lo) and its edge value. */
TGS_TAMING_HD static inline float tgs_taming_pixel_weight(float l1, float lo, float range, float edge) {
#ifdef __CUDA_ARCH__
    const float nv = range > 0 ? __fdiv_rn(__fsub_rn(l1, lo), range) : 0.0f;
    return __fadd_rn(__fmul_rn(50.0f, nv), __fmul_rn(50.0f, edge));
#else
    return 50.0f * (range > 0 ? (l1 - lo) / range : 0.0f) + 50.0f * edge;
#endif
}

#endif
