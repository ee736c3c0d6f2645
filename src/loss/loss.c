/* loss.c - the training loss of DESIGN §4 ((1-l)*L1 + l*(1-SSIM)) with its gradient,
 * in float (training) and double (gradient-test oracle) from one implementation
 * (loss_impl.h), plus the evaluation metrics PSNR and SSIM and an L1 error map. */
#include "tgs/loss.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define LOSS_R 5                       /* window radius */
#define LOSS_TAPS (2 * LOSS_R + 1)     /* 11 */
#define LOSS_C1 (0.01 * 0.01)
#define LOSS_C2 (0.03 * 0.03)
#define LOSS_WORK_ROWS (LOSS_TAPS * 5 + 5 + 5) /* ring of 11x5 rows, 5 accumulators, 5 products */
#define LOSS_PSNR_MIN_MSE 1e-10        /* PSNR is capped at 100 dB (identical images) */

/* Normalised 1D Gaussian, sigma 1.5; the 2D window is its outer product. */
static void loss_gauss(double g[LOSS_TAPS]) {
    double sum = 0;
    for (int i = 0; i < LOSS_TAPS; i++) {
        double d = (double)(i - LOSS_R);
        g[i] = exp(-d * d / (2.0 * 1.5 * 1.5));
        sum += g[i];
    }
    for (int i = 0; i < LOSS_TAPS; i++)
        g[i] /= sum;
}

#define REAL float
#define SFX f32
#include "loss/loss_impl.h"
#undef REAL
#undef SFX

#define REAL double
#define SFX f64
#include "loss/loss_impl.h"
#undef REAL
#undef SFX

struct tgs_loss {
    int max_w, max_h, nthreads;
    size_t thread_stride; /* LOSS_WORK_ROWS * max_w * 3 */
    loss_buffers_f32 f;
    loss_buffers_f64 d; /* allocated on the first double call */
    double *row_sums;   /* [2, max_h] */
};

static tgs_status loss_alloc_buffers(const tgs_loss *l, size_t real_size, void **coef, void **work) {
    int ok = 1;
    size_t plane = tgs_mul_size(tgs_mul_size((size_t)l->max_w, (size_t)l->max_h, &ok), 9, &ok);
    size_t work_n = tgs_mul_size(l->thread_stride, (size_t)l->nthreads, &ok);
    if (!ok)
        return TGS_FAIL(TGS_ERR_NOMEM, "loss scratch for %dx%d images overflows (expected a smaller size)", l->max_w,
                        l->max_h);
    *coef = tgs_calloc(plane, real_size, "loss coefficient maps");
    *work = *coef ? tgs_calloc(work_n, real_size, "loss per-thread rows") : NULL;
    if (!*work) {
        free(*coef);
        *coef = NULL;
        return TGS_ERR_NOMEM;
    }
    return TGS_OK;
}

size_t tgs_loss_bytes(int max_width, int max_height, int threads) {
    size_t coef = 9 * (size_t)max_width * (size_t)max_height, work = (size_t)LOSS_WORK_ROWS * 3 * (size_t)max_width;
    return sizeof(tgs_loss) + (coef + work * (size_t)threads) * sizeof(float) + 2 * (size_t)max_height * sizeof(double);
}

tgs_status tgs_loss_create(int max_width, int max_height, tgs_loss **out) {
    *out = NULL;
    if (max_width < 1 || max_height < 1 || max_width > (1 << 20) || max_height > (1 << 20))
        return TGS_FAIL(TGS_ERR_ARG, "loss image size %dx%d is out of range (expected 1..%d on each side)", max_width,
                        max_height, 1 << 20);
    tgs_status st = TGS_OK;
    tgs_loss *l = tgs_calloc(1, sizeof *l, "loss");
    if (!l)
        return TGS_ERR_NOMEM;
    l->max_w = max_width;
    l->max_h = max_height;
    l->nthreads = TGS_MAX(1, omp_get_max_threads());
    l->thread_stride = (size_t)LOSS_WORK_ROWS * 3 * (size_t)max_width;
    void *coef = NULL, *work = NULL;
    st = loss_alloc_buffers(l, sizeof(float), &coef, &work);
    if (st != TGS_OK)
        goto cleanup;
    l->f.coef = coef;
    l->f.work = work;
    l->row_sums = tgs_calloc(2 * (size_t)max_height, sizeof(double), "loss row sums");
    if (!l->row_sums) {
        st = TGS_ERR_NOMEM;
        goto cleanup;
    }
    *out = l;
    return TGS_OK;
cleanup:
    tgs_loss_destroy(l);
    return st;
}

void tgs_loss_destroy(tgs_loss *l) {
    if (!l)
        return;
    free(l->f.coef);
    free(l->f.work);
    free(l->d.coef);
    free(l->d.work);
    free(l->row_sums);
    free(l);
}

/* Checks the call; returns 0 (with a message recorded) when it cannot run. */
static int loss_check(const tgs_loss *l, const void *img, const void *gt, int w, int h, const char *fn) {
    if (!l || !img || !gt) {
        TGS_FAIL(TGS_ERR_ARG, "%s: missing loss state or image (expected non-NULL pointers)", fn);
        return 0;
    }
    if (w < 1 || h < 1 || w > l->max_w || h > l->max_h) {
        TGS_FAIL(TGS_ERR_ARG, "%s: image size %dx%d does not fit the loss scratch (expected 1..%d x 1..%d)", fn, w, h,
                 l->max_w, l->max_h);
        return 0;
    }
    return 1;
}

/* Threads to use now: the current OpenMP setting, at most those with scratch,
 * and one per LOSS_PIXELS_PER_THREAD pixels (small images run on one thread;
 * the results do not depend on the thread count). */
#define LOSS_PIXELS_PER_THREAD 16384
static int loss_threads(const tgs_loss *l, int w, int h) {
    long long by_size = (long long)w * h / LOSS_PIXELS_PER_THREAD;
    int n = TGS_MIN(omp_get_max_threads(), l->nthreads);
    return (int)TGS_MAX(1, TGS_MIN((long long)n, by_size));
}

/* Pixels with a nonzero mask (all w*h without a mask). */
static size_t loss_kept(const unsigned char *mask /*[H,W]*/, int w, int h) {
    const size_t n = (size_t)w * (size_t)h;
    if (!mask)
        return n;
    size_t k = 0;
    for (size_t p = 0; p < n; p++)
        k += mask[p] != 0;
    return k;
}

/* The kept pixels of a call, 0 (with a message recorded) when a mask keeps none. */
static size_t loss_kept_checked(const unsigned char *mask, int w, int h, const char *fn) {
    size_t k = loss_kept(mask, w, h);
    if (k == 0)
        TGS_FAIL(TGS_ERR_ARG, "%s: the mask of the %dx%d image keeps no pixel (expected at least one)", fn, w, h);
    return k;
}

double tgs_loss_forward_backward(tgs_loss *l, const float *img /*[H,W,3]*/, const float *gt /*[H,W,3]*/,
                                 const unsigned char *mask /*[H,W]*/, int width, int height, double lambda_dssim,
                                 float *v_img /*[H,W,3]*/, double *l1_out, double *ssim_out) {
    if (!loss_check(l, img, gt, width, height, "tgs_loss_forward_backward"))
        return NAN;
    size_t kept = loss_kept_checked(mask, width, height, "tgs_loss_forward_backward");
    if (kept == 0)
        return NAN;
    return loss_eval_f32(&l->f, l->thread_stride, loss_threads(l, width, height), l->row_sums, img, gt, mask, kept,
                         width, height, lambda_dssim, 0, v_img, l1_out, ssim_out);
}

double tgs_loss_forward_backward_f64(tgs_loss *l, const double *img /*[H,W,3]*/, const double *gt /*[H,W,3]*/,
                                     const unsigned char *mask /*[H,W]*/, int width, int height, double lambda_dssim,
                                     double *v_img /*[H,W,3]*/, double *l1_out, double *ssim_out) {
    if (!loss_check(l, img, gt, width, height, "tgs_loss_forward_backward_f64"))
        return NAN;
    size_t kept = loss_kept_checked(mask, width, height, "tgs_loss_forward_backward_f64");
    if (kept == 0)
        return NAN;
    if (!l->d.work) {
        void *coef = NULL, *work = NULL;
        if (loss_alloc_buffers(l, sizeof(double), &coef, &work) != TGS_OK)
            return NAN;
        l->d.coef = coef;
        l->d.work = work;
    }
    return loss_eval_f64(&l->d, l->thread_stride, loss_threads(l, width, height), l->row_sums, img, gt, mask, kept,
                         width, height, lambda_dssim, 0, v_img, l1_out, ssim_out);
}

void tgs_loss_l1_map(const float *img /*[H,W,3]*/, const float *gt /*[H,W,3]*/, int width, int height,
                     float *out /*[H,W]*/) {
    const long long n = (long long)width * height;
#pragma omp parallel for schedule(static)
    for (long long p = 0; p < n; p++) {
        const float *a = img + 3 * p, *b = gt + 3 * p;
        out[p] = (fabsf(a[0] - b[0]) + fabsf(a[1] - b[1]) + fabsf(a[2] - b[2])) * (1.0f / 3.0f);
    }
}

static double clamp01(double v) { return v < 0 ? 0 : (v > 1 ? 1 : v); }

double tgs_psnr(const float *img /*[H,W,3]*/, const float *gt /*[H,W,3]*/, const unsigned char *mask /*[H,W]*/,
                int width, int height) {
    if (!img || !gt || width < 1 || height < 1) {
        TGS_FAIL(TGS_ERR_ARG, "tgs_psnr: image %dx%d is empty or missing (expected two [H,W,3] images)", width, height);
        return NAN;
    }
    const size_t kept = loss_kept_checked(mask, width, height, "tgs_psnr");
    if (kept == 0)
        return NAN;
    const size_t n = (size_t)width * (size_t)height * 3;
    double se = 0;
    for (size_t i = 0; i < n; i++) {
        if (mask && !mask[i / 3])
            continue;
        double d = clamp01(img[i]) - clamp01(gt[i]);
        se += d * d;
    }
    double mse = se / (3.0 * (double)kept);
    return 10.0 * log10(1.0 / (mse > LOSS_PSNR_MIN_MSE ? mse : LOSS_PSNR_MIN_MSE));
}

double tgs_psnr_channel_mean(const float *img /*[H,W,3]*/, const float *gt /*[H,W,3]*/,
                             const unsigned char *mask /*[H,W]*/, int width, int height) {
    if (!img || !gt || width < 1 || height < 1) {
        TGS_FAIL(TGS_ERR_ARG, "tgs_psnr_channel_mean: image %dx%d is empty or missing (expected two [H,W,3] images)",
                 width, height);
        return NAN;
    }
    const size_t kept = loss_kept_checked(mask, width, height, "tgs_psnr_channel_mean");
    if (kept == 0)
        return NAN;
    const size_t n = (size_t)width * (size_t)height;
    double se[3] = {0, 0, 0}, sum = 0;
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < 3 && (!mask || mask[i]); c++) {
            double d = clamp01(img[3 * i + c]) - clamp01(gt[3 * i + c]);
            se[c] += d * d;
        }
    for (int c = 0; c < 3; c++) {
        double mse = se[c] / (double)kept;
        sum += 10.0 * log10(1.0 / (mse > LOSS_PSNR_MIN_MSE ? mse : LOSS_PSNR_MIN_MSE));
    }
    return sum / 3.0;
}

double tgs_ssim(tgs_loss *l, const float *img /*[H,W,3]*/, const float *gt /*[H,W,3]*/,
                const unsigned char *mask /*[H,W]*/, int width, int height) {
    if (!loss_check(l, img, gt, width, height, "tgs_ssim"))
        return NAN;
    const size_t kept = loss_kept_checked(mask, width, height, "tgs_ssim");
    if (kept == 0)
        return NAN;
    double ssim = NAN;
    loss_eval_f32(&l->f, l->thread_stride, loss_threads(l, width, height), l->row_sums, img, gt, mask, kept, width,
                  height, 1.0, 1, NULL, NULL, &ssim);
    return ssim;
}
