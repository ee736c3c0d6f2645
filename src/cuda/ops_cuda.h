/* ops_cuda.h - CUDA twins of the training operations around the rasteriser:
 * the SPEC 4 loss and the evaluation metrics, the model on the device and Adam
 * (SPEC 5); the densification's are in src/densify/cuda/densify_cuda.h.
 * Internal, C-callable; implementations in src/loss/cuda, src/optim/cuda and
 * src/densify/cuda.
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
/* The L1 map of tgs_cuda_l1_map and its minimum and maximum, on the device at
 * tgs_cuda_loss_l1_range(l) (valid until the next call on l). */
tgs_status tgs_cuda_l1_map_range(tgs_cuda_loss *l, const float *d_img /*[H,W,3]*/,
                                 const unsigned char *d_gt /*[H,W,3]*/, int w, int h, float *d_out /*[H,W]*/,
                                 cudaStream_t stream);
const float *tgs_cuda_loss_l1_range(const tgs_cuda_loss *l); /* [2]: min, max */

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
 * bit for bit. Gradients of the stepped groups are zeroed afterwards.
 * d_radii_or_NULL given ("sparse Adam", the published trainer's optional
 * sparse_adam): Gaussians with radius <= 0 in this view skip the update
 * entirely - parameters and both moments untouched (their gradients, zero for
 * an invisible Gaussian, are still cleared); the bias correction still uses
 * the group's global step. */
tgs_status tgs_cuda_adam_step(float *d_params, float *d_grads, float *d_m, float *d_v, size_t n, size_t capacity,
                              int sh_degree, const double lr[TGS_G_COUNT], unsigned group_mask,
                              const long step[TGS_G_COUNT], const int *d_radii_or_NULL /*[N]*/, cudaStream_t stream);
/* The same over a device model with a host tgs_adam (its lr, betas, eps; its
 * step counts are incremented for the groups in mask, as tgs_adam_step does). */
tgs_status tgs_cuda_adam_step_model(tgs_adam *a, tgs_cuda_model *m, unsigned mask, const int *d_radii_or_NULL /*[N]*/,
                                    cudaStream_t stream);
/* Zeroes the gradients of the groups in mask (first n rows). */
tgs_status tgs_cuda_adam_zero_grad(tgs_cuda_model *m, unsigned mask, cudaStream_t stream);

#ifdef __cplusplus
}
#endif

#endif
