/* raster_cuda_internal.h - what the CUDA rasteriser's files share: the
 * per-view constants, the parameter/gradient group pointers, the per-Gaussian
 * scratch and the kernel launchers (forward stages in raster_cuda_fwd.cu,
 * backward stages in raster_cuda_bwd.cu, orchestration in raster_cuda.cu).
 * For .cu files only. */
#ifndef TGS_RASTER_CUDA_INTERNAL_H
#define TGS_RASTER_CUDA_INTERNAL_H

#include "tgs/raster.h"

#include <cuda_runtime.h>
#include <stdint.h>

/* The blending kernels split each 16x16 tile into RC_SPLIT blocks of
 * TGS_TILE / RC_SPLIT rows (8: one warp of 16x2 pixels a block): more blocks
 * in flight on small images (lego's 400x400 has 625 tiles for 132 SMs; ncu
 * showed 20% achieved occupancy with one block a tile), and each block stops
 * at its own pixels' last contributor. Lego steady state, H100: forward -8%,
 * backward -20% against one block a tile (2 and 4 blocks a tile gave less).
 * Threads per block = Gaussians per shared batch. */
#define RC_SPLIT 8
#define RC_BLOCK (TGS_TILE * TGS_TILE / RC_SPLIT)

/* View constants in float, computed on the host exactly as the CPU's view_params. */
typedef struct {
    float Rv[9], tv[3], campos[3], fx, fy, cx, cy, limx, limy;
    float bg[3];
    int width, height, tiles_x, tiles_y;
    int sh_degree, opacity_abs;
    int exact; /* blending exp rounded from double (tgs_cuda_raster_set_exact) */
    int clamp_exact; /* tgs_view.alpha_clamp_exact */
} rc_view;

/* Raw parameter groups (pointers into the tgs_gaussians layout). */
typedef struct {
    const float *means;   /* [N,3] */
    const float *dc;      /* [N,3] */
    const float *rest;    /* [N,k_rest,3] */
    const float *opacity; /* [N] */
    const float *scale;   /* [N,3] */
    const float *rot;     /* [N,4] */
    int k_rest;           /* rest coefficients stored per Gaussian (model degree) */
} rc_params;

typedef struct {
    float *means, *dc, *rest, *opacity, *scale, *rot; /* same shapes as rc_params */
} rc_grads;

/* Per-Gaussian results of preprocess (capacity entries each). */
typedef struct {
    int *radius;               /* [N] 0 = not visible */
    float *depth;              /* [N] view-space z (0 where not visible) */
    float2 *mean2d;            /* [N] pixels */
    float4 *con_op;            /* [N] conic a b c, activated opacity */
    float *pmin;               /* [N] smallest power that can give alpha >= 1/255 */
    float *rgb;                /* [N,3] */
    uint8_t *clamped;          /* [N,3] colour clamped at 0 */
    int4 *rect;                /* [N] tile rect x0 y0 x1 y1 (exclusive) */
    unsigned long long *tiles; /* [N] pairs of each Gaussian, then their inclusive sum */
} rc_gauss;

/* Forward stages. */
void rc_launch_preprocess(size_t n, rc_params p, rc_view w, rc_gauss g);
void rc_launch_duplicate(size_t n, rc_gauss g, int tiles_x, const unsigned long long *offsets /*[N] inclusive*/,
                         uint64_t *keys /*[pairs]*/, uint32_t *vals /*[pairs]*/);
void rc_launch_ranges(size_t n_pairs, const uint64_t *keys /*[pairs] sorted*/, uint2 *ranges /*[tiles]*/);
void rc_launch_render(rc_view w, const uint2 *ranges /*[tiles]*/, const uint32_t *vals /*[pairs]*/, rc_gauss g,
                      float *img /*[H,W,3]*/, float *final_T /*[H,W]*/, uint32_t *n_contrib /*[H,W]*/,
                      const float *pixel_weight /*[H,W] or NULL*/, float *score /*[N,4] or NULL*/);

/* Backward stages. acc [N,9]: rgb 0..2, mean2d 3..4, conic 5..7, opacity 8. */
enum { RC_ACC_RGB = 0, RC_ACC_M2 = 3, RC_ACC_CON = 5, RC_ACC_OP = 8, RC_ACC_N = 9 };
void rc_launch_render_backward(rc_view w, const uint2 *ranges /*[tiles]*/, const uint32_t *vals /*[pairs]*/,
                               rc_gauss g, const float *final_T /*[H,W]*/, const uint32_t *n_contrib /*[H,W]*/,
                               const float *v_img /*[H,W,3]*/, float *acc /*[N,9]*/);
void rc_launch_preprocess_backward(size_t n, rc_params p, rc_view w, rc_gauss g, const float *acc /*[N,9]*/,
                                   rc_grads gr, float *v_mean2d /*[N,2] or NULL*/);

#endif
