/* loss_cuda.h - CUDA twins of the loss (DESIGN §4) and the evaluation metrics
 * (src/loss). Internal, C-callable; implementation in loss_cuda.cu. Device
 * pointers, streams and determinism as described in src/scene/cuda/model_cuda.h. */
#ifndef TGS_LOSS_CUDA_H
#define TGS_LOSS_CUDA_H

#include "tgs/common.h"

#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tgs_cuda_loss tgs_cuda_loss; /* device scratch for max_w x max_h images */

tgs_status tgs_cuda_loss_create(int max_w, int max_h, tgs_cuda_loss **out);
void tgs_cuda_loss_destroy(tgs_cuda_loss *l); /* NULL-safe */
size_t tgs_cuda_loss_bytes(int max_w, int max_h); /* the device bytes create allocates */

/* (1-lambda)*L1 + lambda*(1-SSIM) of DESIGN §4 and its exact gradient, as
 * tgs_loss_forward_backward computes them (same window, zero padding, same
 * per-element formulas; sums in double). d_v_img NULL = forward only.
 * d_mask NULL: every pixel counts; else the pixels where it is nonzero, `kept`
 * of them (1 to w*h: the caller counts them once), by tgs_loss_forward_backward's rule.
 * h_loss_out NULL: nothing waits (read the value later with tgs_cuda_loss_read or
 * use tgs_cuda_loss_values on the device); else the stream is synchronised. */
tgs_status tgs_cuda_loss_forward_backward(tgs_cuda_loss *l, const float *d_img /*[H,W,3]*/,
                                          const unsigned char *d_gt /*[H,W,3]*/,
                                          const unsigned char *d_mask /*[H,W] or NULL*/, size_t kept, int w, int h,
                                          float lambda, float *d_v_img /*[H,W,3] or NULL*/, float *h_loss_out,
                                          cudaStream_t stream);
/* Device array [3] = {loss, mean L1, mean SSIM} (double) of the latest call;
 * valid once that call's kernels have run, overwritten by the next loss or
 * metrics call on the same tgs_cuda_loss. */
const double *tgs_cuda_loss_values(const tgs_cuda_loss *l);
/* Synchronises the stream and reads the latest values (each pointer may be NULL). */
tgs_status tgs_cuda_loss_read(tgs_cuda_loss *l, double *loss, double *l1, double *ssim, cudaStream_t stream);

/* Evaluation: PSNR = 10 log10(1/MSE) (MSE floored at 1e-10) and mean SSIM, on
 * the image clamped to [0,1], as tgs_psnr and tgs_ssim (mask and kept as for
 * the loss). Synchronises. */
tgs_status tgs_cuda_psnr_ssim(tgs_cuda_loss *l, const float *d_img /*[H,W,3]*/, const unsigned char *d_gt /*[H,W,3]*/,
                              const unsigned char *d_mask /*[H,W] or NULL*/, size_t kept, int w, int h, double *psnr,
                              double *ssim, cudaStream_t stream);

/* Per-pixel mean absolute error over the channels (tgs_loss_l1_map). */
tgs_status tgs_cuda_l1_map(const float *d_img /*[H,W,3]*/, const unsigned char *d_gt /*[H,W,3]*/, int w, int h,
                           float *d_out /*[H,W]*/, cudaStream_t stream);
/* The L1 map of tgs_cuda_l1_map and its minimum and maximum over the pixels
 * d_mask keeps (NULL: all), on the device at tgs_cuda_loss_l1_range(l) (valid
 * until the next call on l). */
tgs_status tgs_cuda_l1_map_range(tgs_cuda_loss *l, const float *d_img /*[H,W,3]*/,
                                 const unsigned char *d_gt /*[H,W,3]*/, const unsigned char *d_mask /*[H,W] or NULL*/,
                                 int w, int h, float *d_out /*[H,W]*/, cudaStream_t stream);
const float *tgs_cuda_loss_l1_range(const tgs_cuda_loss *l); /* [2]: min, max */

#ifdef __cplusplus
}
#endif

#endif
