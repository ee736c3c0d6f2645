/* raster_cuda_internal.h - what the CUDA rasteriser's files share: the
 * per-view constants, the parameter/gradient group pointers, the per-Gaussian
 * scratch and the kernel launchers (forward stages in raster_cuda_fwd.cu,
 * backward stages in raster_cuda_bwd.cu, orchestration in raster_cuda.cu).
 * For .cu files only. */
#ifndef TGS_RASTER_CUDA_INTERNAL_H
#define TGS_RASTER_CUDA_INTERNAL_H

#include "optim/cuda/adam_cuda.h"
#include "tgs/raster.h"

#include <cuda_runtime.h>
#include <stdint.h>

/* Tiles of the CUDA rasteriser: 8x8 pixels, binned inside the CPU's 16x16
 * tile rect (see rc_preprocess_kernel): which Gaussians a tile lists changes,
 * not a pixel's result, as a Gaussian left out has alpha < 1/255 at all the
 * tile's pixels or lies outside the CPU's rect. Lego's lists are very uneven
 * (16x16: median 33, p99 5351 Gaussians) and the blending time follows the
 * longest; 8x8 tiles list ~2x fewer per pixel and quarter the long lists
 * into independent blocks: lego forward -30%, backward -33% (H200, 200 000
 * Gaussians; pairs x2.0). The blending kernels split each tile into RC_SPLIT
 * blocks of RC_TILE / RC_SPLIT rows (2: one warp of 8x4 pixels a block; one
 * 64-thread block a tile measured 6% / 13% slower). Threads per block =
 * Gaussians per shared batch. */
#define RC_TILE 8
#if TGS_TILE % RC_TILE != 0
#error "RC_TILE must divide TGS_TILE (the visibility rect is the CPU's, in RC_TILE tiles)"
#endif
#define RC_SPLIT 2
#define RC_BLOCK (RC_TILE * RC_TILE / RC_SPLIT)

/* Each tile's list is cut into chunks of RC_CHUNK Gaussians, one block (per
 * RC_SPLIT row) each, so that a long list is no longer one warp's sequential
 * walk: the forward blends chunks apart and joins them per pixel, and keeps
 * the state before each chunk, where that chunk's backward starts. Lego, H200:
 * forward 0.65 -> 0.42 ms, backward 0.71 -> 0.31 ms a view; 128 measured
 * 10% faster than 256 in the backward. */
#define RC_CHUNK 128
#if RC_CHUNK % RC_BLOCK != 0
#error "RC_CHUNK must be a multiple of RC_BLOCK (checkpoints are written at batch starts)"
#endif

#define REAL float
#define SFX f32
#include "raster/view_params.h" /* tgs_vparams_f32, tgs_view_params_f32 */
#undef REAL
#undef SFX

/* One view: the CPU's constants in float, and the render settings. */
typedef struct {
    tgs_vparams_f32 vp; /* tgs_view_params_f32(view, RC_TILE) */
    float bg[3];
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
    unsigned long long *tiles; /* [N] pairs of each Gaussian */
    uint32_t *depth_key;       /* [N] float bits of the depth (0 where not visible) */
    uint32_t *order;           /* [N] 0..N-1, the values of the depth sort */
} rc_gauss;

/* Per-pixel blending results that the backward starts from. The chunks of
 * all tiles are numbered (the work items: tile t has items chunk_end[t-1] ..
 * chunk_end[t] - 1), each with a slot of RC_TILE^2 pixels. */
typedef struct {
    float4 *final;       /* [H*W] colour sum (no background), final T */
    uint32_t *n_contrib; /* [H*W] list position after the last contribution */
    uint32_t *stop_item; /* [H*W] chunked forward: the item where the pixel stops */
    float4 *ckpt;        /* [items, RC_TILE^2] colour sum and T before the item's chunk */
    uint32_t *part_last; /* [items, RC_TILE^2] chunked forward: last contribution in the chunk */
    uint32_t *item_tile; /* [items] the tile of each item (rc_item_of) */
} rc_state;

/* Forward stages. */
void rc_launch_preprocess(size_t n, rc_params p, rc_view w, rc_gauss g);
void rc_launch_gather_counts(size_t n, const uint32_t *order /*[N]*/, const unsigned long long *tiles /*[N]*/,
                             unsigned long long *counts /*[N]*/);
void rc_launch_duplicate(size_t n, size_t n_pairs, rc_gauss g, int tiles_x, const uint32_t *order /*[N] depth order*/,
                         const unsigned long long *offsets /*[N] inclusive, depth order*/,
                         uint32_t *block_lo /*[ceil(pairs / 256)] scratch*/, uint32_t *keys /*[pairs]*/,
                         uint32_t *vals /*[pairs]*/);
void rc_launch_ranges(size_t n_pairs, const uint32_t *keys /*[pairs] sorted tile ids*/, uint2 *ranges /*[tiles]*/);
/* Chunks of each tile's list (ceil(length / RC_CHUNK)); their inclusive sum is
 * the chunked kernels' work list (chunk_end). */
void rc_launch_chunk_counts(size_t n_tiles, const uint2 *ranges /*[tiles]*/, uint32_t *chunks /*[tiles]*/);
/* The tile of each work item, from chunk_end (rc_state.item_tile, read by rc_item_of). */
void rc_launch_item_tiles(size_t n_tiles, const uint32_t *chunk_end /*[tiles]*/, uint32_t *item_tile /*[items]*/);

/* Blending in chunks (max_items >= the items of chunk_end: their grid). */
void rc_launch_render(rc_view w, const uint2 *ranges /*[tiles]*/, const uint32_t *chunk_end /*[tiles]*/,
                      size_t max_items, const uint32_t *vals /*[pairs]*/, rc_gauss g, float *img /*[H,W,3]*/,
                      rc_state st);
/* Adds the Taming score sums of the last rc_launch_render's pixels to score. */
void rc_launch_score(rc_view w, const uint2 *ranges /*[tiles]*/, const uint32_t *chunk_end /*[tiles]*/,
                     size_t max_items, const uint32_t *vals /*[pairs]*/, rc_gauss g, rc_state st,
                     const float *pixel_weight /*[H,W]*/, float *score /*[N,4]*/);

/* Backward stages. acc [N,9], sums over a Gaussian's pixels of: the colour
 * gradient (0..2), and with o = G dL/dalpha, d = mean2d - pixel: o d (3..4),
 * o (dx^2, dx dy, dy^2) (5..7) and o (8). The opacity, conic and screen mean
 * gradients are these moments times per-Gaussian constants
 * (rc_screen_grads), applied once after the sums instead of at every pixel. */
enum { RC_ACC_RGB = 0, RC_ACC_D1 = 3, RC_ACC_D2 = 5, RC_ACC_OP = 8, RC_ACC_N = 9 };
void rc_launch_render_backward(rc_view w, const uint2 *ranges /*[tiles]*/, const uint32_t *chunk_end /*[tiles]*/,
                               size_t max_chunks, const uint32_t *vals /*[pairs]*/, rc_gauss g, rc_state st,
                               const float *v_img /*[H,W,3]*/, float *acc /*[N,9]*/);
/* The SH rest group's Adam step, taken in the backward instead of writing its
 * gradient (tgs_cuda_raster_backward's rest_step). */
typedef struct {
    float *params, *m, *v; /* [N,k_rest,3] the group in the parameters and both moments */
    tgs_adam_consts c;
    int sparse; /* only the rows in view step */
} rc_rest_step;
void rc_launch_preprocess_backward(size_t n, rc_params p, rc_view w, rc_gauss g, const float *acc /*[N,9]*/,
                                   rc_grads gr, const rc_rest_step *rest /*or NULL*/,
                                   float *v_mean2d /*[N,2] or NULL*/);

#endif
