/* test_loss.c - the DESIGN §4 loss: finite-difference gradients (double), float vs
 * double agreement, SSIM against a direct 121-tap reference, metric identities,
 * thread-count determinism, argument errors, the masked loss and metrics (finite
 * differences, a direct reference, an all-keeping mask equal to none), and a
 * speed print. */
#include "check.h"
#include "tgs/common.h"
#include "tgs/loss.h"
#include "tgs/rng.h"

#include <math.h>
#include <string.h>

/* Random image pair: gt uniform, img correlated with gt, |img-gt| >= 1e-3 everywhere
 * (no L1 ties within finite-difference reach). */
static void random_pair(uint64_t seed, int w, int h, double *img /*[H,W,3]*/, double *gt /*[H,W,3]*/) {
    tgs_rng r;
    tgs_rng_seed(&r, seed, 7);
    for (int i = 0; i < w * h * 3; i++) {
        gt[i] = tgs_rng_uniform(&r);
        do
            img[i] = 0.6 * gt[i] + 0.4 * tgs_rng_uniform(&r);
        while (fabs(img[i] - gt[i]) < 1e-3);
    }
}

/* Direct SSIM: 121-tap 2D window, zero padding, mean over channels and pixels;
 * with a mask, both images read 0 where it is 0 and the mean is over the kept
 * pixels (DESIGN §4). */
static double naive_ssim_masked(const double *x, const double *y, const unsigned char *mask, int w, int h) {
    double g[11], sum = 0;
    for (int i = 0; i < 11; i++) {
        g[i] = exp(-(double)((i - 5) * (i - 5)) / (2 * 1.5 * 1.5));
        sum += g[i];
    }
    for (int i = 0; i < 11; i++)
        g[i] /= sum;
    const double C1 = 1e-4, C2 = 9e-4;
    double total = 0;
    long kept = 0;
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
            for (int c = 0; c < 3; c++) {
                if (mask && !mask[i * w + j])
                    continue;
                kept++;
                double m1 = 0, m2 = 0, m11 = 0, m22 = 0, m12 = 0;
                for (int a = 0; a < 11; a++)
                    for (int b = 0; b < 11; b++) {
                        int ii = i + a - 5, jj = j + b - 5;
                        if (ii < 0 || ii >= h || jj < 0 || jj >= w || (mask && !mask[ii * w + jj]))
                            continue;
                        double wt = g[a] * g[b], xv = x[(ii * w + jj) * 3 + c], yv = y[(ii * w + jj) * 3 + c];
                        m1 += wt * xv;
                        m2 += wt * yv;
                        m11 += wt * xv * xv;
                        m22 += wt * yv * yv;
                        m12 += wt * xv * yv;
                    }
                double s1 = m11 - m1 * m1, s2 = m22 - m2 * m2, s12 = m12 - m1 * m2;
                total += (2 * m1 * m2 + C1) * (2 * s12 + C2) / ((m1 * m1 + m2 * m2 + C1) * (s1 + s2 + C2));
            }
    return total / (double)kept;
}

static double naive_ssim(const double *x, const double *y, int w, int h) { return naive_ssim_masked(x, y, NULL, w, h); }

/* Max |analytic - central difference| / max |analytic| over every pixel value. */
static double fd_error(tgs_loss *l, int w, int h, double lambda, uint64_t seed) {
    const int n = w * h * 3;
    double *x = calloc((size_t)n, sizeof *x), *y = calloc((size_t)n, sizeof *y), *gr = calloc((size_t)n, sizeof *gr);
    random_pair(seed, w, h, x, y);
    tgs_loss_forward_backward_f64(l, x, y, NULL, w, h, lambda, gr, NULL, NULL);
    const double step = 1e-6;
    double max_err = 0, max_g = 0;
    for (int i = 0; i < n; i++) {
        double keep = x[i];
        x[i] = keep + step;
        double lp = tgs_loss_forward_backward_f64(l, x, y, NULL, w, h, lambda, NULL, NULL, NULL);
        x[i] = keep - step;
        double lm = tgs_loss_forward_backward_f64(l, x, y, NULL, w, h, lambda, NULL, NULL, NULL);
        x[i] = keep;
        double fd = (lp - lm) / (2 * step);
        max_err = fmax(max_err, fabs(fd - gr[i]));
        max_g = fmax(max_g, fabs(gr[i]));
    }
    free(x);
    free(y);
    free(gr);
    return max_g > 0 ? max_err / max_g : max_err;
}

static void test_gradients(tgs_loss *l) {
    const int sizes[3][2] = {{13, 9}, {20, 17}, {5, 12}};
    const double lambdas[3] = {0.2, 1.0, 0.0};
    const char *names[3] = {"full (lambda 0.2)", "SSIM (lambda 1)", "L1 (lambda 0)"};
    for (int s = 0; s < 3; s++)
        for (int k = 0; k < 3; k++) {
            double e = fd_error(l, sizes[s][0], sizes[s][1], lambdas[k], 100 + 10 * s + k);
            printf("fd gradient %dx%d %-18s: max rel error %.3g\n", sizes[s][0], sizes[s][1], names[k], e);
            CHECK(e <= 1e-6, "%dx%d %s: finite-difference error %.3g", sizes[s][0], sizes[s][1], names[k], e);
        }
}

static void test_float_vs_double(tgs_loss *l) {
    const int w = 64, h = 48, n = w * h * 3;
    double *x = calloc((size_t)n, sizeof *x), *y = calloc((size_t)n, sizeof *y), *gd = calloc((size_t)n, sizeof *gd);
    float *xf = calloc((size_t)n, sizeof *xf), *yf = calloc((size_t)n, sizeof *yf), *gf = calloc((size_t)n, sizeof *gf);
    random_pair(7, w, h, x, y);
    for (int i = 0; i < n; i++) {
        xf[i] = (float)x[i];
        yf[i] = (float)y[i];
        x[i] = xf[i]; /* the same inputs for both */
        y[i] = yf[i];
    }
    double l1d, ssd, l1f, ssf;
    double ld = tgs_loss_forward_backward_f64(l, x, y, NULL, w, h, 0.2, gd, &l1d, &ssd);
    double lf = tgs_loss_forward_backward(l, xf, yf, NULL, w, h, 0.2, gf, &l1f, &ssf);
    double max_err = 0, max_g = 0;
    for (int i = 0; i < n; i++) {
        max_err = fmax(max_err, fabs(gf[i] - gd[i]));
        max_g = fmax(max_g, fabs(gd[i]));
    }
    double lrel = fabs(lf - ld) / fabs(ld), grel = max_err / max_g;
    printf("float vs double %dx%d: loss rel %.3g, SSIM abs %.3g, gradient rel (to max) %.3g\n", w, h, lrel,
           fabs(ssf - ssd), grel);
    CHECK(lrel <= 1e-5, "float loss %.9g vs double %.9g", lf, ld);
    CHECK(grel <= 1e-3, "float gradient differs from double by %.3g of max", grel);
    free(x);
    free(y);
    free(gd);
    free(xf);
    free(yf);
    free(gf);
}

static void test_against_naive(tgs_loss *l) {
    const int sizes[4][2] = {{13, 9}, {31, 24}, {4, 3}, {1, 12}};
    for (int s = 0; s < 4; s++) {
        const int w = sizes[s][0], h = sizes[s][1], n = w * h * 3;
        double *x = calloc((size_t)n, sizeof *x), *y = calloc((size_t)n, sizeof *y);
        random_pair(300 + s, w, h, x, y);
        double l1, ssim;
        double loss = tgs_loss_forward_backward_f64(l, x, y, NULL, w, h, 0.3, NULL, &l1, &ssim);
        double ref = naive_ssim(x, y, w, h), ref_l1 = 0;
        for (int i = 0; i < n; i++)
            ref_l1 += fabs(x[i] - y[i]);
        ref_l1 /= n;
        printf("SSIM vs direct 121-tap %dx%d: |diff| %.3g (SSIM %.6f)\n", w, h, fabs(ssim - ref), ref);
        CHECK(fabs(ssim - ref) <= 1e-12, "%dx%d: SSIM %.17g vs direct %.17g", w, h, ssim, ref);
        CHECK(fabs(l1 - ref_l1) <= 1e-14, "%dx%d: L1 %.17g vs %.17g", w, h, l1, ref_l1);
        CHECK(fabs(loss - (0.7 * ref_l1 + 0.3 * (1 - ref))) <= 1e-12, "%dx%d: loss %.17g", w, h, loss);

        /* tgs_ssim (float, clamped inputs) against the direct one on clamped doubles. */
        float *xf = calloc((size_t)n, sizeof *xf), *yf = calloc((size_t)n, sizeof *yf);
        for (int i = 0; i < n; i++) {
            xf[i] = (float)(1.4 * x[i] - 0.2); /* some values outside [0,1] */
            yf[i] = (float)y[i];
            x[i] = fmin(1.0, fmax(0.0, (double)xf[i]));
            y[i] = yf[i];
        }
        double sf = tgs_ssim(l, xf, yf, NULL, w, h), sref = naive_ssim(x, y, w, h);
        CHECK(fabs(sf - sref) <= 1e-5, "%dx%d: tgs_ssim %.9g vs direct on clamped %.9g", w, h, sf, sref);
        free(xf);
        free(yf);
        free(x);
        free(y);
    }
}

static void test_metrics(tgs_loss *l) {
    const int w = 40, h = 30, n = w * h * 3;
    float *a = calloc((size_t)n, sizeof *a), *b = calloc((size_t)n, sizeof *b);
    float *map = calloc((size_t)w * h, sizeof *map);
    tgs_rng r;
    tgs_rng_seed(&r, 5, 1);
    for (int i = 0; i < n; i++)
        a[i] = (float)(0.2 + 0.6 * tgs_rng_uniform(&r));
    double s = tgs_ssim(l, a, a, NULL, w, h);
    printf("SSIM(x,x) - 1 = %.3g\n", s - 1);
    CHECK(fabs(s - 1) <= 1e-6, "SSIM(x,x) = %.9g", s);
    double p = tgs_psnr(a, a, NULL, w, h);
    CHECK(p == 100.0, "PSNR of identical images %.9g (expected the 100 dB cap)", p);

    /* MSE 0.01 exactly in value: every channel off by 0.1 -> 20 dB. */
    for (int i = 0; i < n; i++)
        b[i] = a[i] + ((i & 1) ? 0.1f : -0.1f);
    p = tgs_psnr(a, b, NULL, w, h);
    double mse = 0;
    for (int i = 0; i < n; i++)
        mse += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    mse /= n;
    CHECK(fabs(p - 10 * log10(1 / mse)) <= 1e-9, "PSNR %.12g vs %.12g", p, 10 * log10(1 / mse));
    CHECK(fabs(p - 20) <= 1e-4, "PSNR %.9g (expected ~20 dB)", p);

    /* Clamping: values beyond [0,1] count as 0 or 1. */
    for (int i = 0; i < n; i++) {
        a[i] = (i % 2) ? 1.5f : -0.5f;
        b[i] = (i % 2) ? 0.5f : 0.0f;
    }
    p = tgs_psnr(a, b, NULL, w, h); /* errors 0.5 and 0 -> MSE 0.125 */
    CHECK(fabs(p - 10 * log10(8.0)) <= 1e-9, "clamped PSNR %.12g", p);

    /* Channel mean: red off by 0.1, green by 0.01, blue exact (capped at 100 dB):
     * (20 + 40 + 100) / 3, while the joint MSE gives 10 log10(3 / 0.0101). */
    for (int i = 0; i < n; i++) {
        a[i] = 0.5f;
        b[i] = i % 3 == 0 ? 0.6f : (i % 3 == 1 ? 0.51f : 0.5f);
    }
    p = tgs_psnr_channel_mean(a, b, NULL, w, h);
    double want = (10 * log10(1 / ((0.6 - 0.5f) * (0.6 - 0.5f))) + 10 * log10(1 / ((0.51f - 0.5f) * (0.51f - 0.5f))) +
                   100) / 3;
    CHECK(fabs(p - want) <= 1e-4, "channel-mean PSNR %.9g (expected %.9g)", p, want);
    CHECK(p > tgs_psnr(a, b, NULL, w, h), "channel mean below the joint PSNR");

    /* L1 map. */
    for (int i = 0; i < n; i++) {
        a[i] = 0.1f * (float)(i % 7);
        b[i] = 0.05f * (float)(i % 5);
    }
    tgs_loss_l1_map(a, b, w, h, map);
    double worst = 0;
    for (int pix = 0; pix < w * h; pix++) {
        double ref = 0;
        for (int c = 0; c < 3; c++)
            ref += fabs((double)a[3 * pix + c] - b[3 * pix + c]) / 3;
        worst = fmax(worst, fabs(ref - map[pix]));
    }
    CHECK(worst <= 1e-6, "L1 map off by %.3g", worst);
    free(a);
    free(b);
    free(map);
}

/* Bit-identical results whatever the thread count. */
static void test_threads(void) {
    const int w = 300, h = 230, n = w * h * 3; /* big enough for 4 threads */
    tgs_set_threads(4);
    tgs_loss *l = NULL;
    CHECK_OK(tgs_loss_create(w, h, &l));
    if (!l)
        return;
    double *x = calloc((size_t)n, sizeof *x), *y = calloc((size_t)n, sizeof *y);
    float *xf = calloc((size_t)n, sizeof *xf), *yf = calloc((size_t)n, sizeof *yf);
    float *g1 = calloc((size_t)n, sizeof *g1), *g2 = calloc((size_t)n, sizeof *g2);
    random_pair(11, w, h, x, y);
    for (int i = 0; i < n; i++) {
        xf[i] = (float)x[i];
        yf[i] = (float)y[i];
    }
    tgs_set_threads(1);
    double l1 = tgs_loss_forward_backward(l, xf, yf, NULL, w, h, 0.2, g1, NULL, NULL);
    const int counts[3] = {2, 3, 4};
    for (int k = 0; k < 3; k++) {
        tgs_set_threads(counts[k]);
        double l2 = tgs_loss_forward_backward(l, xf, yf, NULL, w, h, 0.2, g2, NULL, NULL);
        CHECK(l1 == l2 && memcmp(g1, g2, (size_t)n * sizeof *g1) == 0, "%d threads differ from 1 thread",
              counts[k]);
    }
    tgs_loss_destroy(l);
    free(x);
    free(y);
    free(xf);
    free(yf);
    free(g1);
    free(g2);
}

static void test_errors(tgs_loss *l) {
    float v[3] = {0, 0, 0};
    CHECK(isnan(tgs_loss_forward_backward(l, v, v, NULL, 1000, 1, 0.2, NULL, NULL, NULL)), "oversized image accepted");
    CHECK(strstr(tgs_error_message(), "1000x1") != NULL, "message: %s", tgs_error_message());
    CHECK(isnan(tgs_ssim(NULL, v, v, NULL, 1, 1)), "NULL loss accepted");
    tgs_loss *bad = NULL;
    CHECK(tgs_loss_create(0, 5, &bad) == TGS_ERR_ARG && bad == NULL, "zero width accepted");
    tgs_loss_destroy(NULL);
}

static void test_speed(void) {
    const int sizes[2][2] = {{474, 266}, {400, 400}};
    tgs_loss *l = NULL;
    CHECK_OK(tgs_loss_create(474, 400, &l));
    if (!l)
        return;
    for (int s = 0; s < 2; s++) {
        const int w = sizes[s][0], h = sizes[s][1], n = w * h * 3;
        float *x = calloc((size_t)n, sizeof *x), *y = calloc((size_t)n, sizeof *y), *g = calloc((size_t)n, sizeof *g);
        tgs_rng r;
        tgs_rng_seed(&r, 9, 3);
        for (int i = 0; i < n; i++) {
            x[i] = (float)tgs_rng_uniform(&r);
            y[i] = (float)tgs_rng_uniform(&r);
        }
        tgs_loss_forward_backward(l, x, y, NULL, w, h, 0.2, g, NULL, NULL); /* warm-up */
#ifdef __SANITIZE_ADDRESS__
        const int reps = 1; /* timings under sanitizers mean little; keep the test fast */
#else
        const int reps = 10;
#endif
        double t0 = tgs_now();
        for (int k = 0; k < reps; k++)
            tgs_loss_forward_backward(l, x, y, NULL, w, h, 0.2, g, NULL, NULL);
        double fb = (tgs_now() - t0) / reps;
        t0 = tgs_now();
        for (int k = 0; k < reps; k++)
            tgs_loss_forward_backward(l, x, y, NULL, w, h, 0.2, NULL, NULL, NULL);
        double f = (tgs_now() - t0) / reps;
        printf("speed %dx%d float, %d threads: forward+backward %.2f ms, forward %.2f ms\n", w, h, tgs_get_threads(),
               fb * 1e3, f * 1e3);
        free(x);
        free(y);
        free(g);
    }
    tgs_loss_destroy(l);
}

/* A mask with a left-out block and scattered left-out pixels (about a third). */
static void random_mask(uint64_t seed, int w, int h, unsigned char *mask /*[H,W]*/) {
    tgs_rng r;
    tgs_rng_seed(&r, seed, 11);
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++) {
            int block = i >= h / 4 && i < h / 2 && j >= w / 3 && j < 2 * w / 3;
            mask[i * w + j] = block || tgs_rng_uniform(&r) < 0.2 ? 0 : 255;
        }
}

/* Masked loss: central differences over every pixel value (left-out ones have
 * gradient 0 and no effect), and L1 and SSIM against the direct reference. */
static void test_masked_gradients(tgs_loss *l) {
    const int w = 13, h = 11, n = w * h * 3;
    double *x = calloc((size_t)n, sizeof *x), *y = calloc((size_t)n, sizeof *y), *gr = calloc((size_t)n, sizeof *gr);
    unsigned char *mask = calloc((size_t)(w * h), 1);
    random_pair(900, w, h, x, y);
    random_mask(901, w, h, mask);
    double l1, ssim;
    const double lambda = 0.4;
    double loss = tgs_loss_forward_backward_f64(l, x, y, mask, w, h, lambda, gr, &l1, &ssim);
    const double step = 1e-6;
    double max_err = 0, max_g = 0, masked_g = 0;
    for (int i = 0; i < n; i++) {
        double keep = x[i];
        x[i] = keep + step;
        double lp = tgs_loss_forward_backward_f64(l, x, y, mask, w, h, lambda, NULL, NULL, NULL);
        x[i] = keep - step;
        double lm = tgs_loss_forward_backward_f64(l, x, y, mask, w, h, lambda, NULL, NULL, NULL);
        x[i] = keep;
        max_err = fmax(max_err, fabs((lp - lm) / (2 * step) - gr[i]));
        max_g = fmax(max_g, fabs(gr[i]));
        if (!mask[i / 3])
            masked_g = fmax(masked_g, fabs(gr[i]) + fabs(lp - loss) + fabs(lm - loss));
    }
    printf("masked loss %dx%d: finite-difference error %.2e of max gradient %.2e; left-out pixels %.1e\n", w, h,
           max_err, max_g, masked_g);
    CHECK(max_err <= 1e-6 * max_g, "masked gradient differs from finite differences by %g", max_err);
    CHECK(masked_g == 0, "a left-out pixel moves the loss or has a gradient (%g)", masked_g);
    double se = 0;
    long kept = 0;
    for (int p = 0; p < w * h; p++)
        if (mask[p]) {
            kept++;
            for (int c = 0; c < 3; c++)
                se += fabs(x[3 * p + c] - y[3 * p + c]);
        }
    const double l1_ref = se / (3.0 * kept), ssim_ref = naive_ssim_masked(x, y, mask, w, h);
    CHECK(fabs(l1 - l1_ref) < 1e-12 && fabs(ssim - ssim_ref) < 1e-12, "masked L1 %.15g SSIM %.15g, direct %.15g %.15g",
          l1, ssim, l1_ref, ssim_ref);
    CHECK(fabs(loss - ((1 - lambda) * l1_ref + lambda * (1 - ssim_ref))) < 1e-12, "masked loss %.15g", loss);
    /* what the images hold at left-out pixels does not matter */
    for (int i = 0; i < n; i++)
        if (!mask[i / 3])
            y[i] = 1.0 - y[i];
    double loss2 = tgs_loss_forward_backward_f64(l, x, y, mask, w, h, lambda, NULL, NULL, NULL);
    CHECK(loss2 == loss, "changing left-out ground-truth pixels moved the loss %.17g -> %.17g", loss, loss2);
    free(x);
    free(y);
    free(gr);
    free(mask);
}

/* A mask keeping every pixel gives the unmasked results bit for bit (float),
 * and metrics over a mask match direct sums; a mask keeping nothing is refused. */
static void test_masked_metrics(tgs_loss *l) {
    const int w = 40, h = 30, n = w * h * 3;
    double *x = calloc((size_t)n, sizeof *x), *y = calloc((size_t)n, sizeof *y);
    float *xf = calloc((size_t)n, sizeof *xf), *yf = calloc((size_t)n, sizeof *yf);
    float *g1 = calloc((size_t)n, sizeof *g1), *g2 = calloc((size_t)n, sizeof *g2);
    unsigned char *all = malloc((size_t)(w * h)), *mask = malloc((size_t)(w * h));
    memset(all, 1, (size_t)(w * h));
    random_pair(910, w, h, x, y);
    random_mask(911, w, h, mask);
    for (int i = 0; i < n; i++) {
        xf[i] = (float)x[i];
        yf[i] = (float)y[i];
    }
    double a1, a2, b1, b2;
    double la = tgs_loss_forward_backward(l, xf, yf, NULL, w, h, 0.2, g1, &a1, &a2);
    double lb = tgs_loss_forward_backward(l, xf, yf, all, w, h, 0.2, g2, &b1, &b2);
    CHECK(la == lb && a1 == b1 && a2 == b2 && memcmp(g1, g2, (size_t)n * sizeof *g1) == 0,
          "an all-keeping mask changes the loss (%.17g vs %.17g) or its gradient", la, lb);
    CHECK(tgs_ssim(l, xf, yf, all, w, h) == tgs_ssim(l, xf, yf, NULL, w, h) &&
              tgs_psnr(xf, yf, all, w, h) == tgs_psnr(xf, yf, NULL, w, h),
          "an all-keeping mask changes the metrics");
    double se = 0;
    long kept = 0;
    for (int p = 0; p < w * h; p++)
        if (mask[p]) {
            kept++;
            for (int c = 0; c < 3; c++)
                se += ((double)xf[3 * p + c] - yf[3 * p + c]) * ((double)xf[3 * p + c] - yf[3 * p + c]);
        }
    double psnr = tgs_psnr(xf, yf, mask, w, h), psnr_ref = 10 * log10(3.0 * kept / se);
    double ssim = tgs_ssim(l, xf, yf, mask, w, h), ssim_ref = naive_ssim_masked(x, y, mask, w, h);
    printf("masked metrics: PSNR %.6f (direct %.6f), SSIM %.6f (direct %.6f), %ld of %d pixels\n", psnr, psnr_ref,
           ssim, ssim_ref, kept, w * h);
    CHECK(fabs(psnr - psnr_ref) < 1e-9, "masked PSNR %.12g, direct %.12g", psnr, psnr_ref);
    CHECK(fabs(ssim - ssim_ref) < 1e-5, "masked SSIM %.12g, direct %.12g", ssim, ssim_ref);
    memset(mask, 0, (size_t)(w * h));
    CHECK(isnan(tgs_loss_forward_backward(l, xf, yf, mask, w, h, 0.2, g1, NULL, NULL)), "an empty mask accepted");
    CHECK(isnan(tgs_psnr(xf, yf, mask, w, h)) && isnan(tgs_ssim(l, xf, yf, mask, w, h)), "empty mask: metrics");
    free(x);
    free(y);
    free(xf);
    free(yf);
    free(g1);
    free(g2);
    free(all);
    free(mask);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const int threads0 = tgs_get_threads();
    tgs_loss *l = NULL;
    CHECK_OK(tgs_loss_create(64, 48, &l));
    if (!l)
        return check_report("test_loss");
    test_gradients(l);
    test_float_vs_double(l);
    test_against_naive(l);
    test_metrics(l);
    test_errors(l);
    test_masked_gradients(l);
    test_masked_metrics(l);
    tgs_loss_destroy(l);
    test_threads();
    tgs_set_threads(threads0);
    test_speed();
    return check_report("test_loss");
}
