/* ops_cuda.h - CUDA twins of the training operations around the rasteriser:
 * the SPEC 4 loss and the evaluation metrics, the Taming pixel weights, Adam,
 * the densification statistics, clone/split/remove, classic densification and
 * the Taming step (SPEC 5, 6). Internal, C-callable; implementations in
 * src/loss/cuda, src/optim/cuda and src/densify/cuda.
 *
 * Conventions:
 * - Pointers named d_* are device memory; h_* host memory. Images are [H,W,3]
 *   interleaved float (rendered) or 8-bit (ground truth, divided by 255 on the fly).
 * - Every call is queued on `stream` (0 = the default stream) and returns
 *   without waiting, except where a host value is returned (h_* outputs, counts
 *   that decide the next launches, the densification steps): those synchronise
 *   the stream. Errors (launch, allocation, argument) come back as a tgs_status
 *   with the message recorded; errors of kernels still in flight surface at the
 *   next synchronising call.
 * - No call allocates device memory except the create/reserve functions and
 *   classic densification when it outgrows the capacity (doubling).
 * - Results do not change from run to run: sums are per-block partials in a
 *   fixed tree order, then one final sum over the partials in block order
 *   (double); counts are integer atomics; sorts are stable radix sorts.
 * - A model and its scratch belong to one stream at a time.
 * - Randomness (split children, weighted sampling) comes from a counter-based
 *   hash of (seed, call counter, index): a GPU run is reproducible for a seed,
 *   whatever the launch configuration, but it does not draw the same numbers as
 *   the CPU's PCG stream, so GPU and CPU runs are not bit-identical.
 */
#ifndef TGS_OPS_CUDA_H
#define TGS_OPS_CUDA_H

#include "tgs/common.h"
#include "tgs/densify.h"
#include "tgs/gaussians.h"
#include "tgs/optim.h"

#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Loss and metrics (src/loss/cuda/loss_cuda.cu)                            */
/* ------------------------------------------------------------------------ */

typedef struct tgs_cuda_loss tgs_cuda_loss; /* device scratch for max_w x max_h images */

tgs_status tgs_cuda_loss_create(int max_w, int max_h, tgs_cuda_loss **out);
void tgs_cuda_loss_destroy(tgs_cuda_loss *l); /* NULL-safe */
size_t tgs_cuda_loss_bytes(int max_w, int max_h); /* the device bytes create allocates */

/* (1-lambda)*L1 + lambda*(1-SSIM) of SPEC 4 and its exact gradient, as
 * tgs_loss_forward_backward computes them (same window, zero padding, same
 * per-element formulas; sums in double). d_v_img NULL = forward only.
 * h_loss_out NULL: nothing waits (read the value later with tgs_cuda_loss_read or
 * use tgs_cuda_loss_values on the device); else the stream is synchronised. */
tgs_status tgs_cuda_loss_forward_backward(tgs_cuda_loss *l, const float *d_img /*[H,W,3]*/,
                                          const unsigned char *d_gt /*[H,W,3]*/, int w, int h, float lambda,
                                          float *d_v_img /*[H,W,3] or NULL*/, float *h_loss_out, cudaStream_t stream);
/* Device array [3] = {loss, mean L1, mean SSIM} (double) of the latest call;
 * valid once that call's kernels have run, overwritten by the next loss or
 * metrics call on the same tgs_cuda_loss. */
const double *tgs_cuda_loss_values(const tgs_cuda_loss *l);
/* Synchronises the stream and reads the latest values (each pointer may be NULL). */
tgs_status tgs_cuda_loss_read(tgs_cuda_loss *l, double *loss, double *l1, double *ssim, cudaStream_t stream);

/* Evaluation: PSNR = 10 log10(1/MSE) (MSE floored at 1e-10) and mean SSIM, on
 * the image clamped to [0,1], as tgs_psnr and tgs_ssim. Synchronises. */
tgs_status tgs_cuda_psnr_ssim(tgs_cuda_loss *l, const float *d_img /*[H,W,3]*/, const unsigned char *d_gt /*[H,W,3]*/,
                              int w, int h, double *psnr, double *ssim, cudaStream_t stream);

/* Per-pixel mean absolute error over the channels (tgs_loss_l1_map). */
tgs_status tgs_cuda_l1_map(const float *d_img /*[H,W,3]*/, const unsigned char *d_gt /*[H,W,3]*/, int w, int h,
                           float *d_out /*[H,W]*/, cudaStream_t stream);
/* Taming pixel weights: 50 * norm(L1 map) + 50 * e, norm(x) = (x-min)/(max-min)
 * (0 when max == min), e the normalised edge value of the 8-bit response d_edges
 * with the view's edge_lo, edge_range (a view of tgs_edge_maps, tgs_score_edge_value);
 * bitwise as tgs_score_pixel_weights. */
tgs_status tgs_cuda_pixel_weights(tgs_cuda_loss *l, const float *d_img /*[H,W,3]*/,
                                  const unsigned char *d_gt /*[H,W,3]*/, const unsigned char *d_edges /*[H,W]*/,
                                  float edge_lo, float edge_range, int w, int h, float *d_out /*[H,W]*/,
                                  cudaStream_t stream);

/* ------------------------------------------------------------------------ */
/* The model on the device (src/densify/cuda/model_cuda.cu)                 */
/* ------------------------------------------------------------------------ */

typedef struct tgs_cuda_scratch tgs_cuda_scratch; /* densification scratch, sized for capacity */

/* Parameters, gradients and Adam moments in the layout of tgs_gaussians
 * (group-major, capacity C), and the densification statistics. The device
 * pointers change only in tgs_cuda_model_reserve (and classic densification
 * when it must grow); every other operation keeps them. */
typedef struct {
    float *d_params, *d_grads, *d_m, *d_v; /* each [C * floats_per_gaussian] */
    size_t n, capacity;
    int sh_degree;
    float *d_grad_accum, *d_denom, *d_max_radii; /* each [C] */
    int width[TGS_G_COUNT];
    size_t offset[TGS_G_COUNT]; /* in units of C floats */
    int floats_per_gaussian;
    tgs_cuda_scratch *scratch;
} tgs_cuda_model;

/* The group widths and offsets of tgs_gaussians for an SH degree (0..3);
 * returns floats per Gaussian. */
int tgs_cuda_model_layout(int sh_degree, int width[TGS_G_COUNT], size_t offset[TGS_G_COUNT]);
/* Everything zeroed, n = 0. All scratch of the densification operations is
 * allocated here, for `capacity` Gaussians (plan the Taming budget up front). */
tgs_status tgs_cuda_model_create(size_t capacity, int sh_degree, tgs_cuda_model **out);
void tgs_cuda_model_destroy(tgs_cuda_model *m); /* NULL-safe */
/* The device bytes create allocates besides the four parameter buffers
 * (tgs_gaussians_buffer_bytes each): the statistics and the densification
 * scratch (its CUB part a device query; 0 if it fails). */
size_t tgs_cuda_model_scratch_bytes(size_t capacity, int sh_degree);
/* Grows the capacity (contents kept; the device pointers change). Synchronises. */
tgs_status tgs_cuda_model_reserve(tgs_cuda_model *m, size_t capacity, cudaStream_t stream);
/* Host model (and statistics, may be NULL = zero) to the device; the host's
 * NULL grads/moments upload as zeros. Synchronises. */
tgs_status tgs_cuda_model_upload(tgs_cuda_model *m, const tgs_gaussians *g, const tgs_densify_stats *s,
                                 cudaStream_t stream);
/* Device model to the host (for saving PLYs): params always, grads/moments
 * where the host has them, statistics when s is not NULL. The host model and
 * statistics grow when needed. Synchronises. */
tgs_status tgs_cuda_model_download(const tgs_cuda_model *m, tgs_gaussians *g, tgs_densify_stats *s,
                                   cudaStream_t stream);

/* ------------------------------------------------------------------------ */
/* Adam (src/optim/cuda/adam_cuda.cu)                                        */
/* ------------------------------------------------------------------------ */

/* One Adam step over the first n rows of the groups in group_mask, with the
 * math of tgs_adam_step (torch Adam, beta1 0.9, beta2 0.999, eps 1e-15, bias
 * correction with step[g] = the 1-based step count of group g for this step),
 * bit for bit. Gradients of the stepped groups are zeroed afterwards. */
tgs_status tgs_cuda_adam_step(float *d_params, float *d_grads, float *d_m, float *d_v, size_t n, size_t capacity,
                              int sh_degree, const double lr[TGS_G_COUNT], unsigned group_mask,
                              const long step[TGS_G_COUNT], cudaStream_t stream);
/* The same over a device model with a host tgs_adam (its lr, betas, eps; its
 * step counts are incremented for the groups in mask, as tgs_adam_step does). */
tgs_status tgs_cuda_adam_step_model(tgs_adam *a, tgs_cuda_model *m, unsigned mask, cudaStream_t stream);
/* Zeroes the gradients of the groups in mask (first n rows). */
tgs_status tgs_cuda_adam_zero_grad(tgs_cuda_model *m, unsigned mask, cudaStream_t stream);

/* ------------------------------------------------------------------------ */
/* Densification (src/densify/cuda/)                                        */
/* ------------------------------------------------------------------------ */

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
/* tgs_densify_split (inplace 0: children at rows n+2k, n+2k+1) or the in-place
 * split of classic/Taming (inplace 1: child 0 in the parent's row, child 1 at
 * n+k; indices distinct). Children means ~ N(mu, R diag(s)^2 R^T), scale s/1.6. */
tgs_status tgs_cuda_densify_split(tgs_cuda_model *m, const uint32_t *d_idx /*[count]*/, size_t count, int inplace,
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
/* The Taming score of the training loop (SPEC 6), the GPU twin of train.c's
 * taming_scores: score_begin zeroes d_scores and prepares the view-independent
 * terms (g = accum/denom, sigmoid opacity, product of the scales, and their
 * medians); score_view adds one view: 50*ell * (sum of the nine normalised terms)
 * to the Gaussians with radius > 0, with d_score_acc the four per-Gaussian sums
 * of the raster's score pass (Σw, Σ1, ΣαT, Σdist) and *d_ell the view's loss (a
 * device double, e.g. tgs_cuda_loss_values). The model must not change between
 * begin and the views. */
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
