/* raster_cuda.h - the CUDA twin of the CPU rasteriser (src/raster/cpu): same
 * preprocessing, culling, per-tile depth order (Gaussians sorted by depth,
 * then their pairs by tile, both stable: the CPU's (tile, depth) order, on
 * 8x8 tiles inside the CPU's 16x16 rects), front-to-back blending (chunks of
 * long lists in parallel; see raster_cuda_internal.h), Taming score sums and
 * exact backward.
 *
 * C-callable. All pointers named d_* are device memory; everything runs on the
 * default stream. Scratch is allocated for the capacity and image size given at
 * creation; forward grows it (cudaMalloc) only when a call needs more: more
 * Gaussians, a larger image, or more tile/Gaussian pairs than ever before. The
 * only host synchronisation in forward is the read-back of the pair count;
 * backward does not synchronise. */
#ifndef TGS_RASTER_CUDA_H
#define TGS_RASTER_CUDA_H

#include "optim/cuda/adam_cuda.h"
#include "tgs/common.h"
#include "tgs/params.h"
#include "tgs/raster.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tgs_cuda_raster tgs_cuda_raster;

/* Scratch for `capacity` Gaussians and max_width x max_height images. */
tgs_status tgs_cuda_raster_create(size_t capacity, int max_width, int max_height, tgs_cuda_raster **out);
void tgs_cuda_raster_destroy(tgs_cuda_raster *r); /* NULL-safe; synchronises the device */
/* Grows the per-Gaussian scratch to `capacity` (the state of the last forward is lost). */
tgs_status tgs_cuda_raster_reserve(tgs_cuda_raster *r, size_t capacity);
/* Holds tile/Gaussian pair buffers (and the chunk slots) for `pairs` pairs on
 * the largest image from now on (a frame that needs more grows them by 25%). */
tgs_status tgs_cuda_raster_reserve_pairs(tgs_cuda_raster *r, size_t pairs);

/* Renders g's first g->n Gaussians (g: the model contract, tgs/params.h, with
 * device pointers) into d_img. */
tgs_status tgs_cuda_raster_forward(tgs_cuda_raster *r, const tgs_gaussians *g /*device pointers*/, const tgs_view *v,
                                   float *d_img /*[H,W,3]*/);
/* Taming score sums of the last forward (same model, count and view): ADDS to
 * d_score [N,4] (TGS_SCORE_*) the sums over the pixels each Gaussian
 * contributed to, with the weights d_pixel_weight (the CPU forward's score
 * sums; here a second walk of the forward's chunks, as the weights come from
 * its image). */
tgs_status tgs_cuda_raster_score(tgs_cuda_raster *r, const tgs_gaussians *g /*device pointers*/, const tgs_view *v,
                                 const float *d_pixel_weight /*[H,W]*/, float *d_score /*[N,4]*/);
/* Backward of the last forward (same model, count and view): ADDS dL/dparams
 * to g->grads and writes dL/d(NDC mean) = dL/dpixel * (W/2, H/2) into
 * d_v_mean2d (0 for Gaussians not visible; may be NULL). With rest_step, the
 * SH rest coefficients take that Adam step here (g->adam_m and adam_v needed)
 * instead of getting a gradient: every row steps, or with rest_sparse only the
 * rows in view, as tgs_cuda_adam_step would with their gradient; their
 * gradients are left as they are (DESIGN §5). Without rest_step, a model whose
 * gradient buffer holds no SH rest group (params.h) gets none: that gradient
 * is dropped. */
tgs_status tgs_cuda_raster_backward(tgs_cuda_raster *r, tgs_gaussians *g /*device pointers*/, const tgs_view *v,
                                    const float *d_v_img /*[H,W,3]*/, float *d_v_mean2d /*[N,2] or NULL*/,
                                    const tgs_adam_consts *rest_step /*or NULL*/, int rest_sparse);

/* exact != 0: blending alphas use exp rounded once from double, as the CPU's
 * expf rounds it, instead of the fast single-precision expf (<= 2 ulp; the
 * default). Decisions at the alpha thresholds agree with the CPU in both modes,
 * but T accumulates those ulps (amplified by 1 - alpha), so with the fast exp a
 * rare pixel can stop one Gaussian earlier or later than on the CPU at the
 * T >= 1e-4 rule; the exact mode makes images agree to float rounding, for
 * reference comparisons. Slower, much slower on GPUs with few FP64 units. */
void tgs_cuda_raster_set_exact(tgs_cuda_raster *r, int exact);

/* From the last forward, device arrays: screen radius in pixels (0 = not
 * visible) [N]; view-space depth [N] (0 where not visible). */
const int *tgs_cuda_raster_radii(const tgs_cuda_raster *r);
const float *tgs_cuda_raster_depths(const tgs_cuda_raster *r);

/* Tile/Gaussian pairs the pair buffers hold (grows to the peak, never shrinks),
 * the pairs of the last forward, and the most pairs of any forward. */
size_t tgs_cuda_raster_pair_capacity(const tgs_cuda_raster *r);
size_t tgs_cuda_raster_pair_count(const tgs_cuda_raster *r);
size_t tgs_cuda_raster_pair_peak(const tgs_cuda_raster *r);
/* From the last forward: the [begin, end) of each tile's pairs in the sorted
 * list, a device array of tiles_x * tiles_y uint2 (their count in *n_tiles). */
const void *tgs_cuda_raster_tile_ranges(const tgs_cuda_raster *r, size_t *n_tiles);
/* Device bytes allocated by this rasteriser. */
size_t tgs_cuda_raster_bytes(const tgs_cuda_raster *r);
/* The device bytes tgs_cuda_raster_create(capacity, max_width, max_height)
 * followed by tgs_cuda_raster_reserve_pairs(pairs) hold: the per-Gaussian
 * arrays, the per-pixel and per-tile arrays, the pair buffers with their chunk
 * slots, and the CUB work space (a device query; 0 if it fails). */
size_t tgs_cuda_raster_gaussian_bytes(size_t capacity);
size_t tgs_cuda_raster_pixel_bytes(int max_width, int max_height);
size_t tgs_cuda_raster_pair_bytes(size_t pairs, int max_width, int max_height);
size_t tgs_cuda_raster_temp_bytes(size_t capacity, size_t pairs, int max_width, int max_height);

#ifdef __cplusplus
}
#endif

#endif
