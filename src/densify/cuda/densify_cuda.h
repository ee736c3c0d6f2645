/* densify_cuda.h - CUDA twins of the densification (src/densify): the
 * statistics, clone/split/remove, classic densification, weighted sampling,
 * the Taming pixel weights, score and step (DESIGN §5, §6). Internal,
 * C-callable; implementations beside it (densify_cuda.cu, taming_cuda.cu,
 * score_cuda.cu, model_cuda.cu). The conventions of scene/cuda/model_cuda.h hold:
 * d_* device pointers, calls queued on `stream`, synchronising only where a
 * host value comes back. */
#ifndef TGS_DENSIFY_CUDA_H
#define TGS_DENSIFY_CUDA_H

#include "loss/cuda/loss_cuda.h"
#include "scene/cuda/model_cuda.h"
#include "tgs/common.h"
#include "tgs/densify.h"

#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Counter-based random numbers: draw number `counter` of a run hashes
 * (seed, counter, index); every drawing call advances counter by one. */
typedef struct {
    uint64_t seed, counter;
} tgs_cuda_rng;
void tgs_cuda_rng_seed(tgs_cuda_rng *r, uint64_t seed);

/* tgs_densify_stats_add: for i with radii > 0, grad_accum += |v_mean2d|,
 * denom += 1, max_radii = max(max_radii, radius). */
tgs_status tgs_cuda_stats_add(tgs_cuda_model *m, const int *d_radii /*[N]*/, const float *d_v_mean2d /*[N,2]*/,
                              cudaStream_t stream);
/* Zeroes the statistics of rows [0, n). */
tgs_status tgs_cuda_stats_reset(tgs_cuda_model *m, size_t n, cudaStream_t stream);
/* tgs_densify_reset_opacity: o = min(o, logit(0.01)), opacity moments zeroed. */
tgs_status tgs_cuda_reset_opacity(tgs_cuda_model *m, cudaStream_t stream);

/* tgs_densify_clone: rows n+k := row idx[k] (parameters), with zero gradients,
 * moments and statistics. Fails (TGS_ERR_NOMEM) beyond the capacity. */
tgs_status tgs_cuda_densify_clone(tgs_cuda_model *m, const uint32_t *d_idx /*[count]*/, size_t count,
                                  cudaStream_t stream);
/* The split of classic and Taming densification (tgs_densify_split_inplace):
 * child 0 in the parent's row, child 1 at n+k; indices distinct. Children
 * means ~ N(mu, R diag(s)^2 R^T), scale s/1.6. */
tgs_status tgs_cuda_densify_split(tgs_cuda_model *m, const uint32_t *d_idx /*[count]*/, size_t count,
                                  tgs_cuda_rng *rng, cudaStream_t stream);
/* tgs_densify_remove: stable compaction of every buffer and the statistics,
 * dropping rows with d_remove[i] != 0. Synchronises (the new count). */
tgs_status tgs_cuda_densify_remove(tgs_cuda_model *m, const unsigned char *d_remove /*[N]*/, cudaStream_t stream);
/* tgs_densify_prune_candidates into d_mask; the count in *h_count (may be NULL
 * = no synchronisation). */
tgs_status tgs_cuda_densify_prune_candidates(tgs_cuda_model *m, const tgs_densify_params *p,
                                             unsigned char *d_mask /*[N]*/, size_t *h_count, cudaStream_t stream);
/* tgs_densify_classic on the device (same candidates, same row order). */
tgs_status tgs_cuda_densify_classic(tgs_cuda_model *m, const tgs_densify_params *p, tgs_cuda_rng *rng,
                                    tgs_densify_report *rep, cudaStream_t stream);

/* tgs_sample_weighted: k distinct indices of [0,n) drawn without replacement
 * with probabilities proportional to d_w (exponential keys -log(u)/w, the k
 * smallest by a radix sort; zero, negative and NaN weights never drawn; k
 * clamped to the positive weights). d_out sorted ascending; the count in
 * *h_count. n <= m->capacity (uses the model's scratch). Synchronises. */
tgs_status tgs_cuda_sample_weighted(tgs_cuda_model *m, const float *d_w /*[n]*/, size_t n, size_t k, tgs_cuda_rng *rng,
                                    uint32_t *d_out /*[k]*/, size_t *h_count, cudaStream_t stream);

/* tgs_taming_add_normalized: d_out += c * x / median(x over x > 0) where x > 0
 * (lower middle value; nothing when no x > 0). Bit-identical to the CPU. */
tgs_status tgs_cuda_taming_add_normalized(tgs_cuda_model *m, double c, const float *d_x /*[n]*/, size_t n,
                                          float *d_out /*[n]*/, cudaStream_t stream);
/* Taming pixel weights (densify/taming_terms.h): 50 * norm(L1 map) + 50 * e,
 * norm(x) = (x-min)/(max-min) (0 when max == min), e the normalised edge value
 * of the 8-bit response d_edges with the view's edge_lo, edge_range (a view of
 * tgs_edge_maps); bitwise as tgs_score_pixel_weights. With d_mask (NULL: every
 * pixel) min and max are over the kept pixels and a left-out pixel weighs 0.
 * l: its scratch. */
tgs_status tgs_cuda_pixel_weights(tgs_cuda_loss *l, const float *d_img /*[H,W,3]*/,
                                  const unsigned char *d_gt /*[H,W,3]*/, const unsigned char *d_mask /*[H,W] or NULL*/,
                                  const unsigned char *d_edges /*[H,W]*/, float edge_lo, float edge_range, int w, int h,
                                  float *d_out /*[H,W]*/, cudaStream_t stream);
/* The Taming score of a densification step (DESIGN §6), the GPU twin of
 * tgs_taming_score_begin and tgs_taming_score_view: score_begin zeroes
 * d_scores and prepares the view-independent terms and their medians;
 * score_view adds one view, with d_score_acc the raster's four score sums
 * and *d_ell the view's loss (a device double, e.g. tgs_cuda_loss_values).
 * The model must not change between begin and the views. */
tgs_status tgs_cuda_taming_score_begin(tgs_cuda_model *m, float *d_scores /*[N]*/, cudaStream_t stream);
tgs_status tgs_cuda_taming_score_view(tgs_cuda_model *m, const int *d_radii /*[N]*/, const float *d_depths /*[N]*/,
                                      const float *d_score_acc /*[N,4]*/, const double *d_ell, float *d_scores /*[N]*/,
                                      cudaStream_t stream);

/* tgs_densify_taming on the device: candidates, the clone share floored and the
 * split share the remainder, weighted picks, the 50% weighted prune for
 * step_j < 27, rows placed as on the CPU, statistics reset. Never grows the
 * capacity: fails (TGS_ERR_NOMEM, nothing changed) when the step would not fit. */
tgs_status tgs_cuda_densify_taming(tgs_cuda_model *m, const tgs_densify_params *p, const float *d_scores /*[N]*/,
                                   size_t target, int step_j, tgs_cuda_rng *rng, tgs_densify_report *rep,
                                   cudaStream_t stream);

#ifdef __cplusplus
}
#endif

#endif
