/* loss.h - the training loss of DESIGN §4: (1-l)*L1 + l*(1-SSIM), with gradient.
 * SSIM: 11x11 Gaussian window (sigma 1.5), per channel, zero padding ("same"),
 * C1 = 0.01^2, C2 = 0.03^2, averaged over channels and pixels; computed with
 * separable filtering. Images are [H,W,3] interleaved.
 * Float and double versions share one implementation (the double one is the
 * oracle for gradient tests). */
#ifndef TGS_LOSS_H
#define TGS_LOSS_H

#include "tgs/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tgs_loss tgs_loss; /* scratch buffers sized once for max_w x max_h */

tgs_status tgs_loss_create(int max_width, int max_height, tgs_loss **out);
void tgs_loss_destroy(tgs_loss *l); /* NULL-safe */
/* Bytes tgs_loss_create(max_width, max_height) allocates for `threads` threads
 * (the float buffers; the double ones come on the first double call). */
size_t tgs_loss_bytes(int max_width, int max_height, int threads);

/* Returns the loss; writes dL/dimg into v_img (may be NULL = forward only).
 * l1_out/ssim_out (may be NULL) receive mean L1 and mean SSIM.
 * mask (NULL: every pixel counts) leaves out the pixels where it is 0 (DESIGN
 * §4): both images read as zero there, L1 and the SSIM map are averaged over
 * the kept pixels only, and the gradient at a left-out pixel is 0. A mask that
 * keeps no pixel gives NAN (message recorded). */
double tgs_loss_forward_backward(tgs_loss *l, const float *img /*[H,W,3]*/, const float *gt /*[H,W,3]*/,
                                 const unsigned char *mask /*[H,W] or NULL*/, int width, int height,
                                 double lambda_dssim, float *v_img /*[H,W,3]*/, double *l1_out, double *ssim_out);
double tgs_loss_forward_backward_f64(tgs_loss *l, const double *img /*[H,W,3]*/, const double *gt /*[H,W,3]*/,
                                     const unsigned char *mask /*[H,W] or NULL*/, int width, int height,
                                     double lambda_dssim, double *v_img /*[H,W,3]*/, double *l1_out,
                                     double *ssim_out);

/* Per-pixel mean absolute error over channels: out [H,W]. */
void tgs_loss_l1_map(const float *img /*[H,W,3]*/, const float *gt /*[H,W,3]*/, int width, int height,
                     float *out /*[H,W]*/);

/* Metrics on images clamped to [0,1]: PSNR = 10 log10(1/MSE), mean SSIM; with
 * a mask (NULL: every pixel) over its kept pixels, by the loss's rule. */
double tgs_psnr(const float *img /*[H,W,3]*/, const float *gt /*[H,W,3]*/, const unsigned char *mask /*[H,W]*/,
                int width, int height);
/* The mean of the three channels' PSNRs (what the published trainer's training
 * log reports: its psnr() takes the MSE per channel of a [3,H,W] image); at
 * least tgs_psnr, typically by a few hundredths of a dB. */
double tgs_psnr_channel_mean(const float *img /*[H,W,3]*/, const float *gt /*[H,W,3]*/,
                             const unsigned char *mask /*[H,W]*/, int width, int height);
double tgs_ssim(tgs_loss *l, const float *img /*[H,W,3]*/, const float *gt /*[H,W,3]*/,
                const unsigned char *mask /*[H,W]*/, int width, int height);

#ifdef __cplusplus
}
#endif

#endif
