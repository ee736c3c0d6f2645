/* test_gpu_ops.c - the CUDA training operations (src/cuda/ops_cuda.h,
 * src/densify/cuda/densify_cuda.h) against
 * their CPU twins on random data: loss value and gradient, PSNR/SSIM, L1 map and
 * Taming pixel weights, Adam, densification statistics,
 * opacity reset, clone/remove (exact), split children (structure and the
 * distribution of their means), prune candidates, classic densification,
 * weighted sampling (without replacement, proportional: chi-square), median
 * normalisation (bit-exact), the per-view Taming score and the Taming step;
 * the device allocation ledger (sizes, peak, nothing held after the tests).
 * Prints one table; exit 0 when every row passes, 1 otherwise, 77 without a GPU. */
#include "check.h"
#include "cuda/cuda_alloc.h"
#include "densify/cuda/densify_cuda.h"
#include "optim/cuda/adam_cuda.h"
#include "densify/densify_internal.h"
#include "tgs/densify.h"
#include "tgs/loss.h"
#include "tgs/optim.h"
#include "tgs/rng.h"
#include "densify/score.h"

#include <cuda_runtime_api.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Result table                                                              */
/* ------------------------------------------------------------------------ */

typedef struct {
    char name[48], metric[32];
    double value, tol, ms;
    int ok;
} result_row;

static result_row results[512];
static int n_results;

/* One row: passes when value <= tol (NaN fails). ms < 0: no timing. */
static void report(const char *name, const char *metric, double value, double tol, double ms) {
    if (n_results >= (int)(sizeof results / sizeof results[0]))
        return;
    result_row *r = &results[n_results++];
    snprintf(r->name, sizeof r->name, "%s", name);
    snprintf(r->metric, sizeof r->metric, "%s", metric);
    r->value = value;
    r->tol = tol;
    r->ms = ms;
    r->ok = value <= tol;
    if (!r->ok)
        check_failures++;
}

static int print_table(void) {
    printf("\n%-40s %-24s %12s %10s %9s  %s\n", "test", "metric", "value", "limit", "GPU ms", "result");
    for (int i = 0; i < 110; i++)
        putchar('-');
    putchar('\n');
    int fails = 0;
    for (int i = 0; i < n_results; i++) {
        const result_row *r = &results[i];
        char ms[16] = "";
        if (r->ms >= 0)
            snprintf(ms, sizeof ms, "%9.3f", r->ms);
        printf("%-40s %-24s %12.4g %10.3g %9s  %s\n", r->name, r->metric, r->value, r->tol, ms, r->ok ? "ok" : "FAIL");
        fails += !r->ok;
    }
    printf("%d of %d rows passed\n", n_results - fails, n_results);
    return fails;
}

/* ------------------------------------------------------------------------ */
/* Device helpers                                                            */
/* ------------------------------------------------------------------------ */

#define CU(call)                                                                                                       \
    do {                                                                                                               \
        cudaError_t cu_e_ = (call);                                                                                    \
        if (cu_e_ != cudaSuccess) {                                                                                    \
            fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(cu_e_));           \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)

/* Runs a tgs call that must succeed (the test stops otherwise: later rows would be noise). */
#define OK(expr)                                                                                                       \
    do {                                                                                                               \
        tgs_status ok_st_ = (expr);                                                                                    \
        if (ok_st_ != TGS_OK) {                                                                                        \
            fprintf(stderr, "%s:%d: %s failed (%d): %s\n", __FILE__, __LINE__, #expr, (int)ok_st_,                     \
                    tgs_error_message());                                                                              \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)

static void *dmalloc(size_t bytes) {
    void *p = NULL;
    CU(cudaMalloc(&p, bytes ? bytes : 1));
    return p;
}

static void *dup_to_device(const void *h, size_t bytes) {
    void *d = dmalloc(bytes);
    if (bytes)
        CU(cudaMemcpy(d, h, bytes, cudaMemcpyHostToDevice));
    return d;
}

static void to_host(void *h, const void *d, size_t bytes) {
    if (bytes)
        CU(cudaMemcpy(h, d, bytes, cudaMemcpyDeviceToHost));
}

static double t_start;
static void tic(void) {
    CU(cudaDeviceSynchronize());
    t_start = tgs_now();
}
static double toc_ms(void) {
    CU(cudaDeviceSynchronize());
    return (tgs_now() - t_start) * 1e3;
}

static void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

static double uni(tgs_rng *r, double a, double b) { return a + (b - a) * tgs_rng_uniform(r); }

/* max |a - b| / max(max |b|, tiny) */
static double rel_max_err(const float *a, const double *b, size_t n) {
    double md = 0, mb = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (!(d <= md))
            md = d; /* NaN propagates */
        mb = fmax(mb, fabs(b[i]));
    }
    return md / fmax(mb, 1e-300);
}

/* Number of floats that differ (bitwise equality of the values; -0 == 0). */
static size_t count_diff(const float *a, const float *b, size_t n) {
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += !(a[i] == b[i]);
    return c;
}

/* max |a - b| / (|b| + tiny) */
static double max_rel(const float *a, const float *b, size_t n, double tiny) {
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]) / (fabs((double)b[i]) + tiny);
        if (!(d <= m))
            m = d;
    }
    return m;
}

/* ------------------------------------------------------------------------ */
/* Loss, metrics, pixel weights                                              */
/* ------------------------------------------------------------------------ */

/* A ground truth with structure (smooth pattern + noise) and a rendering close to it. */
static void make_images(tgs_rng *r, int w, int h, unsigned char *gt, float *img, float *gtf) {
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) {
                size_t e = ((size_t)y * w + x) * 3 + c;
                double v = 0.5 + 0.35 * sin(0.07 * x + 0.9 * c) * cos(0.05 * y) + uni(r, -0.1, 0.1);
                v = v < 0 ? 0 : (v > 1 ? 1 : v);
                gt[e] = (unsigned char)lrint(v * 255.0);
                gtf[e] = (float)gt[e] / 255.0f;
                img[e] = (float)(gtf[e] + uni(r, -0.12, 0.12)); /* some values leave [0,1] */
                if (tgs_rng_u32(r) % 20 == 0)
                    img[e] = gtf[e]; /* |x - y| = 0: the L1 term's zero sign */
            }
}

/* The L1 map and the Taming pixel weights of one image pair (the CPU oracle's
 * edge map of the ground truth), bit for bit against the CPU. */
static void test_pixel_weights(tgs_cuda_loss *L, const float *img, const float *gtf, const unsigned char *gt,
                               const float *d_img, const unsigned char *d_gt, int w, int h) {
    char name[48];
    const size_t np = (size_t)w * h;
    unsigned char *edges = xcalloc(np, 1), *grey = xcalloc(np, 1);
    float *pw_c = xcalloc(np, sizeof(float)), *pw_g = xcalloc(np, sizeof(float));
    float *l1c = xcalloc(np, sizeof(float));
    float elo, erange; /* the ground truth's own 8-bit edge map and its range */
    tgs_score_edges(gt, NULL, w, h, grey, edges, &elo, &erange);
    tgs_score_pixel_weights(img, gtf, NULL, edges, elo, erange, w, h, pw_c);
    tgs_loss_l1_map(img, gtf, w, h, l1c);
    unsigned char *d_edges = dup_to_device(edges, np);
    float *d_pw = dmalloc(np * sizeof(float));
    OK(tgs_cuda_l1_map(d_img, d_gt, w, h, d_pw, 0));
    to_host(pw_g, d_pw, np * sizeof(float));
    snprintf(name, sizeof name, "L1 map %dx%d", w, h);
    report(name, "floats differing", (double)count_diff(pw_g, l1c, np), 0, -1);
    tic();
    OK(tgs_cuda_pixel_weights(L, d_img, d_gt, NULL, d_edges, elo, erange, w, h, d_pw, 0));
    const double pms = toc_ms();
    to_host(pw_g, d_pw, np * sizeof(float));
    snprintf(name, sizeof name, "pixel weights %dx%d", w, h);
    report(name, "floats differing", (double)count_diff(pw_g, pw_c, np), 0, pms);
    /* a flat edge map (range 0): the edge term is 0 */
    tgs_score_pixel_weights(img, gtf, NULL, edges, elo, 0.0f, w, h, pw_c);
    OK(tgs_cuda_pixel_weights(L, d_img, d_gt, NULL, d_edges, elo, 0.0f, w, h, d_pw, 0));
    to_host(pw_g, d_pw, np * sizeof(float));
    snprintf(name, sizeof name, "pixel weights %dx%d, flat edges", w, h);
    report(name, "floats differing", (double)count_diff(pw_g, pw_c, np), 0, -1);

    cudaFree(d_edges);
    cudaFree(d_pw);
    free(edges), free(grey), free(pw_c), free(pw_g), free(l1c);
}

static void test_loss(tgs_rng *r, tgs_cuda_loss *L) {
    static const int sizes[][2] = {{266, 474}, {400, 400}, {37, 29}, {7, 5}, {1600, 1067}};
    const float lambda = 0.2f;
    tgs_loss *cpu = NULL;
    OK(tgs_loss_create(1600, 1067, &cpu));
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        const int w = sizes[si][0], h = sizes[si][1];
        const size_t ne = (size_t)w * h * 3;
        unsigned char *gt = xcalloc(ne, 1);
        float *img = xcalloc(ne, sizeof(float)), *gtf = xcalloc(ne, sizeof(float));
        float *v32 = xcalloc(ne, sizeof(float)), *vg = xcalloc(ne, sizeof(float));
        double *img64 = xcalloc(ne, sizeof(double)), *gt64 = xcalloc(ne, sizeof(double));
        double *v64 = xcalloc(ne, sizeof(double));
        make_images(r, w, h, gt, img, gtf);
        for (size_t i = 0; i < ne; i++) {
            img64[i] = img[i];
            gt64[i] = gtf[i];
        }
        double l1_64, ssim_64;
        const double loss64 =
            tgs_loss_forward_backward_f64(cpu, img64, gt64, NULL, w, h, (double)lambda, v64, &l1_64, &ssim_64);
        double t0 = tgs_now();
        const double loss32 = tgs_loss_forward_backward(cpu, img, gtf, NULL, w, h, (double)lambda, v32, NULL, NULL);
        const double cpu_ms = (tgs_now() - t0) * 1e3;
        float *d_img = dup_to_device(img, ne * sizeof(float));
        unsigned char *d_gt = dup_to_device(gt, ne);
        float *d_v = dmalloc(ne * sizeof(float));
        float lg = 0;
        OK(tgs_cuda_loss_forward_backward(L, d_img, d_gt, NULL, 0, w, h, lambda, d_v, &lg, 0)); /* warm-up */
        tic();
        const int reps = 10;
        for (int k = 0; k < reps; k++)
            OK(tgs_cuda_loss_forward_backward(L, d_img, d_gt, NULL, 0, w, h, lambda, d_v, NULL, 0));
        const double ms = toc_ms() / reps;
        double lgd, l1g, ssimg;
        OK(tgs_cuda_loss_read(L, &lgd, &l1g, &ssimg, 0));
        to_host(vg, d_v, ne * sizeof(float));
        float lf = 0;
        OK(tgs_cuda_loss_forward_backward(L, d_img, d_gt, NULL, 0, w, h, lambda, NULL, &lf, 0));
        char name[48];
        snprintf(name, sizeof name, "loss %dx%d value", w, h);
        report(name, "rel err vs f64", fabs(lgd - loss64) / fabs(loss64), 1e-4, ms);
        snprintf(name, sizeof name, "loss %dx%d (CPU f32: %.1f ms)", w, h, cpu_ms);
        report(name, "CPU f32 rel err vs f64", fabs(loss32 - loss64) / fabs(loss64), 1e-4, -1);
        snprintf(name, sizeof name, "loss %dx%d L1 / SSIM", w, h);
        report(name, "max rel err vs f64", fmax(fabs(l1g - l1_64) / l1_64, fabs(ssimg - ssim_64) / fabs(ssim_64)), 1e-4,
               -1);
        snprintf(name, sizeof name, "loss %dx%d forward-only == fwd+bwd", w, h);
        report(name, "|diff| (float)", fabs((double)lf - (double)lg), 0, -1);
        snprintf(name, sizeof name, "loss %dx%d gradient", w, h);
        report(name, "max|err|/max|g| vs f64", rel_max_err(vg, v64, ne), 1e-3, -1);
        double e2 = 0, n2 = 0, c2 = 0;
        for (size_t i = 0; i < ne; i++) {
            e2 += (vg[i] - v64[i]) * (vg[i] - v64[i]);
            c2 += (v32[i] - v64[i]) * (v32[i] - v64[i]);
            n2 += v64[i] * v64[i];
        }
        snprintf(name, sizeof name, "loss %dx%d gradient (CPU f32 %.1e)", w, h, sqrt(c2 / n2));
        report(name, "rel L2 err vs f64", sqrt(e2 / n2), 1e-3, -1);

        /* metrics on the same pair (clamped) */
        double psnr_g, ssim_g;
        tic();
        OK(tgs_cuda_psnr_ssim(L, d_img, d_gt, NULL, 0, w, h, &psnr_g, &ssim_g, 0));
        const double mms = toc_ms();
        const double psnr_c = tgs_psnr(img, gtf, NULL, w, h), ssim_c = tgs_ssim(cpu, img, gtf, NULL, w, h);
        snprintf(name, sizeof name, "PSNR/SSIM %dx%d", w, h);
        report(name, "max rel err vs CPU", fmax(fabs(psnr_g - psnr_c) / psnr_c, fabs(ssim_g - ssim_c) / fabs(ssim_c)),
               1e-5, mms);

        test_pixel_weights(L, img, gtf, gt, d_img, d_gt, w, h);
        cudaFree(d_img);
        cudaFree(d_gt);
        cudaFree(d_v);
        free(gt), free(img), free(gtf), free(v32), free(vg), free(img64), free(gt64), free(v64);
    }
    tgs_loss_destroy(cpu);
}

/* A keep mask: a left-out block (a third of the width, a quarter of the
 * height) and about 15% scattered left-out pixels. */
static size_t make_mask(tgs_rng *r, int w, int h, unsigned char *mask /*[H,W]*/) {
    size_t kept = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const int block = x >= w / 3 && x < 2 * w / 3 && y >= h / 4 && y < h / 2;
            const int on = !block && tgs_rng_u32(r) % 100 >= 15;
            mask[(size_t)y * w + x] = on ? 255 : 0;
            kept += on;
        }
    if (kept == 0) { /* tiny images: keep one pixel */
        mask[0] = 255;
        kept = 1;
    }
    return kept;
}

/* The masked loss (DESIGN §4), its gradient, masked PSNR/SSIM and masked pixel
 * weights against the CPU oracle; an all-keeping mask gives the unmasked bits. */
static void test_masked_loss(tgs_rng *r, tgs_cuda_loss *L) {
    static const int sizes[][2] = {{266, 474}, {37, 29}, {7, 5}, {1600, 1067}};
    const float lambda = 0.2f;
    tgs_loss *cpu = NULL;
    OK(tgs_loss_create(1600, 1067, &cpu));
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        const int w = sizes[si][0], h = sizes[si][1];
        const size_t np = (size_t)w * h, ne = np * 3;
        unsigned char *gt = xcalloc(ne, 1), *mask = xcalloc(np, 1), *all = xcalloc(np, 1);
        float *img = xcalloc(ne, sizeof(float)), *gtf = xcalloc(ne, sizeof(float)), *vg = xcalloc(ne, sizeof(float));
        float *vg_all = xcalloc(ne, sizeof(float)), *vg_none = xcalloc(ne, sizeof(float));
        double *img64 = xcalloc(ne, sizeof(double)), *gt64 = xcalloc(ne, sizeof(double));
        double *v64 = xcalloc(ne, sizeof(double));
        make_images(r, w, h, gt, img, gtf);
        const size_t kept = make_mask(r, w, h, mask);
        memset(all, 1, np);
        for (size_t i = 0; i < ne; i++) {
            img64[i] = img[i];
            gt64[i] = gtf[i];
        }
        double l1_64, ssim_64;
        const double loss64 =
            tgs_loss_forward_backward_f64(cpu, img64, gt64, mask, w, h, (double)lambda, v64, &l1_64, &ssim_64);
        float *d_img = dup_to_device(img, ne * sizeof(float));
        unsigned char *d_gt = dup_to_device(gt, ne), *d_mask = dup_to_device(mask, np), *d_all = dup_to_device(all, np);
        float *d_v = dmalloc(ne * sizeof(float));
        tic();
        OK(tgs_cuda_loss_forward_backward(L, d_img, d_gt, d_mask, kept, w, h, lambda, d_v, NULL, 0));
        double lgd, l1g, ssimg;
        OK(tgs_cuda_loss_read(L, &lgd, &l1g, &ssimg, 0));
        const double ms = toc_ms();
        to_host(vg, d_v, ne * sizeof(float));
        char name[48];
        snprintf(name, sizeof name, "masked loss %dx%d value", w, h);
        report(name, "rel err vs f64", fabs(lgd - loss64) / fabs(loss64), 1e-4, ms);
        snprintf(name, sizeof name, "masked loss %dx%d L1 / SSIM", w, h);
        report(name, "max rel err vs f64", fmax(fabs(l1g - l1_64) / l1_64, fabs(ssimg - ssim_64) / fabs(ssim_64)),
               1e-4, -1);
        snprintf(name, sizeof name, "masked loss %dx%d gradient", w, h);
        report(name, "max|err|/max|g| vs f64", rel_max_err(vg, v64, ne), 1e-3, -1);
        size_t leak = 0;
        for (size_t i = 0; i < ne; i++)
            leak += !mask[i / 3] && vg[i] != 0.0f;
        snprintf(name, sizeof name, "masked loss %dx%d left-out gradient", w, h);
        report(name, "nonzero values", (double)leak, 0, -1);
        /* a mask that keeps every pixel: the unmasked bits */
        double la, lb;
        OK(tgs_cuda_loss_forward_backward(L, d_img, d_gt, d_all, np, w, h, lambda, d_v, NULL, 0));
        OK(tgs_cuda_loss_read(L, &la, NULL, NULL, 0));
        to_host(vg_all, d_v, ne * sizeof(float));
        OK(tgs_cuda_loss_forward_backward(L, d_img, d_gt, NULL, 0, w, h, lambda, d_v, NULL, 0));
        OK(tgs_cuda_loss_read(L, &lb, NULL, NULL, 0));
        to_host(vg_none, d_v, ne * sizeof(float));
        snprintf(name, sizeof name, "all-keeping mask %dx%d == none", w, h);
        report(name, "floats differing + |dloss|", (double)count_diff(vg_all, vg_none, ne) + fabs(la - lb), 0, -1);
        /* masked metrics */
        double psnr_g, ssim_g;
        OK(tgs_cuda_psnr_ssim(L, d_img, d_gt, d_mask, kept, w, h, &psnr_g, &ssim_g, 0));
        const double psnr_c = tgs_psnr(img, gtf, mask, w, h), ssim_c = tgs_ssim(cpu, img, gtf, mask, w, h);
        snprintf(name, sizeof name, "masked PSNR/SSIM %dx%d", w, h);
        report(name, "max rel err vs CPU", fmax(fabs(psnr_g - psnr_c) / psnr_c, fabs(ssim_g - ssim_c) / fabs(ssim_c)),
               1e-5, -1);
        /* masked Taming pixel weights, bit for bit (edge range over the kept pixels) */
        unsigned char *edges = xcalloc(np, 1), *grey = xcalloc(np, 1);
        float *pw_c = xcalloc(np, sizeof(float)), *pw_g = xcalloc(np, sizeof(float));
        float elo, erange;
        tgs_score_edges(gt, mask, w, h, grey, edges, &elo, &erange);
        tgs_score_pixel_weights(img, gtf, mask, edges, elo, erange, w, h, pw_c);
        unsigned char *d_edges = dup_to_device(edges, np);
        float *d_pw = dmalloc(np * sizeof(float));
        OK(tgs_cuda_pixel_weights(L, d_img, d_gt, d_mask, d_edges, elo, erange, w, h, d_pw, 0));
        to_host(pw_g, d_pw, np * sizeof(float));
        snprintf(name, sizeof name, "masked pixel weights %dx%d", w, h);
        report(name, "floats differing", (double)count_diff(pw_g, pw_c, np), 0, -1);
        cudaFree(d_edges);
        cudaFree(d_pw);
        free(edges), free(grey), free(pw_c), free(pw_g);
        cudaFree(d_img);
        cudaFree(d_gt);
        cudaFree(d_mask);
        cudaFree(d_all);
        cudaFree(d_v);
        free(gt), free(mask), free(all), free(img), free(gtf), free(vg), free(vg_all), free(vg_none), free(img64);
        free(gt64), free(v64);
    }
    tgs_loss_destroy(cpu);
}

/* ------------------------------------------------------------------------ */
/* Models                                                                    */
/* ------------------------------------------------------------------------ */

static float *buf_of(const tgs_gaussians *g, int b) {
    float *bufs[4] = {g->params, g->grads, g->adam_m, g->adam_v};
    return bufs[b];
}

static float *grp(const tgs_gaussians *g, int b, int k) { return buf_of(g, b) + g->capacity * g->offset[k]; }

/* A random model of n Gaussians (capacity cap, SH degree 3) with statistics:
 * log-scales around the clone/split threshold (extent 5), opacities around the
 * prune threshold, view counts 0..10 and mean gradients around 2e-4; the DC
 * colour's first channel holds the row index (a tag that clone/split copy). */
static void make_model(tgs_rng *r, size_t n, size_t cap, tgs_gaussians **out, tgs_densify_stats *s) {
    tgs_gaussians *g = NULL;
    OK(tgs_gaussians_create(cap, 3, 1, &g));
    memset(s, 0, sizeof *s);
    OK(tgs_densify_stats_reserve(s, cap));
    g->n = n;
    for (int k = 0; k < TGS_G_COUNT; k++)
        for (size_t e = 0; e < n * (size_t)g->width[k]; e++) {
            grp(g, 0, k)[e] = (float)uni(r, -1, 1);
            grp(g, 1, k)[e] = (float)uni(r, -1e-3, 1e-3);
            grp(g, 2, k)[e] = (float)uni(r, -1e-3, 1e-3);
            grp(g, 3, k)[e] = (float)uni(r, 0, 1e-6);
        }
    tgs_param_view v = tgs_gaussians_view(g, g->params);
    for (size_t i = 0; i < n; i++) {
        v.sh_dc[3 * i] = (float)i;
        v.opacity_raw[i] = (float)uni(r, -7, 3);
        for (int c = 0; c < 3; c++)
            v.scale_raw[3 * i + c] = (float)uni(r, -5.5, -1.5);
        s->denom[i] = (float)(tgs_rng_u32(r) % 11);
        s->grad_accum[i] = s->denom[i] * (float)(4e-4 * tgs_rng_uniform(r));
        s->max_radii[i] = (float)(tgs_rng_u32(r) % 40);
    }
    *out = g;
}

static tgs_gaussians *copy_model(const tgs_gaussians *g) {
    tgs_gaussians *c = NULL;
    OK(tgs_gaussians_create(g->capacity, g->sh_degree, 1, &c));
    size_t bytes = tgs_gaussians_buffer_bytes(g->capacity, g->sh_degree);
    for (int b = 0; b < 4; b++)
        memcpy(buf_of(c, b), buf_of(g, b), bytes);
    c->n = g->n;
    return c;
}

/* Floats of rows [0, n) that differ between two models (all buffers, all
 * groups except those in skip), plus statistics when both are given. */
static size_t model_diff(const tgs_gaussians *a, const tgs_gaussians *b, const tgs_densify_stats *sa,
                         const tgs_densify_stats *sb, int skip) {
    if (a->n != b->n)
        return (size_t)-1;
    size_t d = 0;
    for (int bi = 0; bi < 4; bi++)
        for (int k = 0; k < TGS_G_COUNT; k++)
            if (!(skip & (1 << k)))
                d += count_diff(grp(a, bi, k), grp(b, bi, k), a->n * (size_t)a->width[k]);
    if (sa && sb) {
        d += count_diff(sa->grad_accum, sb->grad_accum, a->n);
        d += count_diff(sa->denom, sb->denom, a->n);
        d += count_diff(sa->max_radii, sb->max_radii, a->n);
    }
    return d;
}

static tgs_gaussians *download(const tgs_cuda_model *m, tgs_densify_stats *s) {
    tgs_gaussians *g = NULL;
    OK(tgs_gaussians_create(m->g.capacity, m->g.sh_degree, 1, &g));
    memset(s, 0, sizeof *s);
    OK(tgs_cuda_model_download(m, g, s, 0));
    return g;
}

/* Learning rates of the Adam tests, one per group. */
static const double k_lr[TGS_G_COUNT] = {[TGS_G_MEANS] = 1.6e-4, [TGS_G_DC] = 2.5e-3, [TGS_G_REST] = 1.25e-4,
                                         [TGS_G_OPACITY] = 2.5e-2, [TGS_G_SCALE] = 5e-3, [TGS_G_ROT] = 1e-3};

static tgs_densify_params dparams(void) {
    tgs_densify_params p;
    memset(&p, 0, sizeof p);
    p.grad_threshold = 2e-4;
    p.percent_dense = 0.01;
    p.extent = 5.0; /* clone when max scale <= 0.05 (log -3.0) */
    p.min_opacity = 0.005;
    p.max_screen_size = 20;
    p.opacity_act = TGS_OPACITY_SIGMOID;
    return p;
}

/* ------------------------------------------------------------------------ */
/* Adam                                                                      */
/* ------------------------------------------------------------------------ */

static void test_adam(tgs_rng *r) {
    const size_t n = 5000, cap = 6000;
    static const unsigned masks[] = {TGS_ADAM_ALL,
                                     TGS_ADAM_ALL & ~(1u << TGS_G_OPACITY),
                                     (1u << TGS_G_MEANS) | (1u << TGS_G_ROT),
                                     TGS_ADAM_ALL,
                                     1u << TGS_G_REST,
                                     TGS_ADAM_ALL};
    const int nsteps = (int)(sizeof masks / sizeof masks[0]);
    tgs_gaussians *g;
    tgs_densify_stats s;
    make_model(r, n, cap, &g, &s);
    tgs_cuda_model *m = NULL;
    OK(tgs_cuda_model_create(cap, 3, 1, &m));
    OK(tgs_cuda_model_upload(m, g, &s, 0));
    tgs_adam ac, ag;
    tgs_adam_init(&ac, k_lr);
    tgs_adam_init(&ag, k_lr);
    double ms = 0;
    for (int st = 0; st < nsteps; st++) {
        /* fresh gradients (groups outside the previous mask keep accumulating on both sides) */
        for (int k = 0; k < TGS_G_COUNT; k++)
            for (size_t e = 0; e < n * (size_t)g->width[k]; e++)
                grp(g, 1, k)[e] += (float)uni(r, -1e-2, 1e-2) * (float)(1 + st);
        for (int k = 0; k < TGS_G_COUNT; k++)
            CU(cudaMemcpy(m->g.grads + cap * g->offset[k], grp(g, 1, k), n * (size_t)g->width[k] * sizeof(float),
                          cudaMemcpyHostToDevice));
        tgs_adam_step(&ac, g, masks[st], NULL);
        tic();
        OK(tgs_cuda_adam_step_model(&ag, m, masks[st], 0, NULL, 0));
        ms += toc_ms();
    }
    tgs_densify_stats sg;
    tgs_gaussians *got = download(m, &sg);
    double worst = 0;
    for (int b = 0; b < 4; b++)
        for (int k = 0; k < TGS_G_COUNT; k++)
            worst = fmax(worst, max_rel(grp(got, b, k), grp(g, b, k), n * (size_t)g->width[k], 1e-30));
    int steps_ok = memcmp(ac.step, ag.step, sizeof ac.step) == 0;
    report("Adam dense, 6 steps with masks", "max rel err, 4 buffers", steps_ok ? worst : INFINITY, 1e-6,
           ms / nsteps);
    /* the low-level entry point, one more step of all groups */
    long step[TGS_G_COUNT];
    for (int k = 0; k < TGS_G_COUNT; k++)
        step[k] = ac.step[k] + 1;
    for (int k = 0; k < TGS_G_COUNT; k++)
        for (size_t e = 0; e < n * (size_t)g->width[k]; e++)
            grp(g, 1, k)[e] = (float)uni(r, -1e-2, 1e-2);
    for (int k = 0; k < TGS_G_COUNT; k++)
        CU(cudaMemcpy(m->g.grads + cap * g->offset[k], grp(g, 1, k), n * (size_t)g->width[k] * sizeof(float),
                      cudaMemcpyHostToDevice));
    tgs_adam_step(&ac, g, TGS_ADAM_ALL, NULL);
    OK(tgs_cuda_adam_step(m->g.params, m->g.grads, m->g.adam_m, m->g.adam_v, NULL, m->g.n, m->g.capacity,
                          m->g.sh_degree, k_lr, TGS_ADAM_ALL, step, 0));
    tgs_gaussians_destroy(got);
    tgs_densify_stats_free(&sg);
    got = download(m, &sg);
    double lw = 0;
    for (int b = 0; b < 4; b++)
        for (int k = 0; k < TGS_G_COUNT; k++)
            lw = fmax(lw, max_rel(grp(got, b, k), grp(g, b, k), n * (size_t)g->width[k], 1e-30));
    report("Adam low-level entry point", "max rel err, 4 buffers", lw, 1e-6, -1);
    tgs_gaussians_destroy(got);
    tgs_densify_stats_free(&sg);
    /* sparse (--optimizer_type sparse_adam): a quarter of the rows out of view */
    int *radii = xcalloc(n, sizeof(int));
    for (size_t i = 0; i < n; i++)
        radii[i] = (tgs_rng_u32(r) % 4) == 0 ? 0 : 1 + (int)(tgs_rng_u32(r) % 60);
    int *d_radii = dmalloc(n * sizeof(int));
    CU(cudaMemcpy(d_radii, radii, n * sizeof(int), cudaMemcpyHostToDevice));
    for (int k = 0; k < TGS_G_COUNT; k++) {
        for (size_t e = 0; e < n * (size_t)g->width[k]; e++)
            grp(g, 1, k)[e] = (float)uni(r, -1e-2, 1e-2);
        CU(cudaMemcpy(m->g.grads + cap * g->offset[k], grp(g, 1, k), n * (size_t)g->width[k] * sizeof(float),
                      cudaMemcpyHostToDevice));
    }
    ag = ac; /* the low-level step above counted on ac alone */
    tgs_adam_step(&ac, g, TGS_ADAM_ALL, radii);
    tic();
    OK(tgs_cuda_adam_step_model(&ag, m, TGS_ADAM_ALL, 0, d_radii, 0));
    ms = toc_ms();
    got = download(m, &sg);
    double sw = 0;
    for (int b = 0; b < 4; b++)
        for (int k = 0; k < TGS_G_COUNT; k++)
            sw = fmax(sw, max_rel(grp(got, b, k), grp(g, b, k), n * (size_t)g->width[k], 1e-30));
    report("Adam sparse, 1/4 of the rows out of view", "max rel err, 4 buffers", sw, 1e-6, ms);
    free(radii);
    cudaFree(d_radii);
    tgs_gaussians_destroy(got);
    tgs_densify_stats_free(&sg);
    tgs_cuda_model_destroy(m);
    tgs_gaussians_destroy(g);
    tgs_densify_stats_free(&s);
}

/* ------------------------------------------------------------------------ */
/* Statistics, opacity reset, clone, remove, prune candidates               */
/* ------------------------------------------------------------------------ */

/* Statistics over three views, the opacity reset and the prune candidates. */
static void test_stats(tgs_rng *r, tgs_gaussians *g, tgs_densify_stats *s, tgs_cuda_model *m) {
    const size_t n = g->n;
    /* statistics: three views */
    int *radii = xcalloc(n, sizeof(int));
    float *vm = xcalloc(2 * n, sizeof(float));
    int *d_radii = dmalloc(n * sizeof(int));
    float *d_vm = dmalloc(2 * n * sizeof(float));
    double ms = 0;
    for (int view = 0; view < 3; view++) {
        for (size_t i = 0; i < n; i++) {
            radii[i] = (tgs_rng_u32(r) % 4) == 0 ? 0 : (int)(tgs_rng_u32(r) % 60);
            vm[2 * i] = (float)uni(r, -1e-3, 1e-3);
            vm[2 * i + 1] = (float)uni(r, -1e-3, 1e-3);
        }
        CU(cudaMemcpy(d_radii, radii, n * sizeof(int), cudaMemcpyHostToDevice));
        CU(cudaMemcpy(d_vm, vm, 2 * n * sizeof(float), cudaMemcpyHostToDevice));
        tgs_densify_stats_add(s, n, radii, vm);
        tic();
        OK(tgs_cuda_stats_add(m, d_radii, d_vm, 0));
        ms += toc_ms();
    }
    tgs_densify_stats sg;
    tgs_gaussians *got = download(m, &sg);
    report("statistics add, 3 views", "floats differing", (double)model_diff(got, g, &sg, s, 0), 0, ms / 3);
    tgs_gaussians_destroy(got);
    tgs_densify_stats_free(&sg);

    /* opacity reset */
    tgs_densify_reset_opacity(g);
    tic();
    OK(tgs_cuda_reset_opacity(m, 0));
    ms = toc_ms();
    got = download(m, &sg);
    report("opacity reset", "floats differing", (double)model_diff(got, g, &sg, s, 0), 0, ms);
    tgs_gaussians_destroy(got);
    tgs_densify_stats_free(&sg);

    /* prune candidates (with and without the size rule) */
    for (int size_rule = 0; size_rule < 2; size_rule++) {
        tgs_densify_params p = dparams();
        p.max_screen_size = size_rule ? 20 : 0;
        unsigned char *mc = xcalloc(n, 1), *mg = xcalloc(n, 1);
        unsigned char *d_mask = dmalloc(n);
        size_t cc = tgs_densify_prune_candidates(g, s, &p, mc), cg = 0;
        OK(tgs_cuda_densify_prune_candidates(m, &p, d_mask, &cg, 0));
        to_host(mg, d_mask, n);
        report(size_rule ? "prune candidates (size rule)" : "prune candidates", "mask diffs + count diff",
               (double)(memcmp(mc, mg, n) != 0) + fabs((double)cc - (double)cg), 0, -1);
        free(mc), free(mg);
        cudaFree(d_mask);
    }
    free(radii), free(vm);
    cudaFree(d_radii), cudaFree(d_vm);
}

/* Clone (repeats, any order), an out-of-range index, removal and the split. */
static void test_rows(tgs_rng *r, tgs_gaussians *g, tgs_densify_stats *s, tgs_cuda_model *m) {
    const size_t n = g->n;
    /* clone: indices with repeats, in any order */
    const size_t nclone = 7000;
    uint32_t *idx = xcalloc(nclone, sizeof(uint32_t));
    for (size_t k = 0; k < nclone; k++)
        idx[k] = tgs_rng_below(r, (uint32_t)n);
    uint32_t *d_idx = dup_to_device(idx, nclone * sizeof(uint32_t));
    OK(tgs_densify_clone(g, s, idx, nclone));
    tic();
    OK(tgs_cuda_densify_clone(m, d_idx, nclone, 0));
    double ms = toc_ms();
    tgs_densify_stats sg;
    tgs_gaussians *got = download(m, &sg);
    report("clone 7000 rows", "floats differing", (double)model_diff(got, g, &sg, s, 0), 0, ms);
    tgs_gaussians_destroy(got);
    tgs_densify_stats_free(&sg);
    /* an index out of range is refused */
    idx[3] = (uint32_t)(m->g.n + 5);
    CU(cudaMemcpy(d_idx, idx, nclone * sizeof(uint32_t), cudaMemcpyHostToDevice));
    report("clone: out-of-range index refused", "status == TGS_ERR_ARG",
           (double)(tgs_cuda_densify_clone(m, d_idx, nclone, 0) != TGS_ERR_ARG), 0, -1);

    /* remove: about a third of the rows */
    unsigned char *rm = xcalloc(g->n, 1);
    for (size_t i = 0; i < g->n; i++)
        rm[i] = (tgs_rng_u32(r) % 3) == 0;
    unsigned char *d_rm = dup_to_device(rm, g->n);
    tgs_densify_remove(g, s, rm);
    tic();
    OK(tgs_cuda_densify_remove(m, d_rm, 0));
    ms = toc_ms();
    got = download(m, &sg);
    report("remove ~1/3 of 27000 rows", "floats differing", (double)model_diff(got, g, &sg, s, 0), 0, ms);
    tgs_gaussians_destroy(got);
    tgs_densify_stats_free(&sg);

    /* split: everything but the means is exact */
    const size_t nsplit = 3000;
    for (size_t k = 0; k < nsplit; k++)
        idx[k] = (uint32_t)(k * 5); /* distinct */
    CU(cudaMemcpy(d_idx, idx, nsplit * sizeof(uint32_t), cudaMemcpyHostToDevice));
    tgs_rng crng;
    tgs_rng_seed(&crng, 5, 1);
    tgs_cuda_rng grng;
    tgs_cuda_rng_seed(&grng, 5);
    OK(tgs_densify_split_inplace(g, s, idx, nsplit, &crng));
    tic();
    OK(tgs_cuda_densify_split(m, d_idx, nsplit, &grng, 0));
    ms = toc_ms();
    got = download(m, &sg);
    report("split in place 3000: all but means", "floats differing",
           (double)model_diff(got, g, &sg, s, 1 << TGS_G_MEANS), 0, ms);
    tgs_gaussians_destroy(got);
    tgs_densify_stats_free(&sg);
    free(rm);
    cudaFree(d_rm);
    free(idx);
    cudaFree(d_idx);
}

static void test_stats_and_ops(tgs_rng *r) {
    const size_t n = 20000, cap = 60000;
    tgs_gaussians *g;
    tgs_densify_stats s;
    make_model(r, n, cap, &g, &s);
    tgs_cuda_model *m = NULL;
    OK(tgs_cuda_model_create(cap, 3, 1, &m));
    OK(tgs_cuda_model_upload(m, g, &s, 0));
    test_stats(r, g, &s, m);
    test_rows(r, g, &s, m);
    tgs_cuda_model_destroy(m);
    tgs_gaussians_destroy(g);
    tgs_densify_stats_free(&s);
}

/* A device model without SH rest gradients (rest_grads 0: the rest step is
 * taken in the backward) against a full one through clone, remove, split,
 * growth, Adam without the rest group and zero_grad: the same parameters,
 * moments, statistics and other gradients; Adam refuses the rest group. */
static void test_no_rest_grads(tgs_rng *r) {
    const size_t n = 20000, cap = 40000;
    tgs_gaussians *g;
    tgs_densify_stats s;
    make_model(r, n, cap, &g, &s);
    memset(grp(g, 1, TGS_G_REST), 0, n * (size_t)g->width[TGS_G_REST] * sizeof(float)); /* none pending */
    tgs_cuda_model *m[2] = {NULL, NULL};
    for (int k = 0; k < 2; k++) {
        OK(tgs_cuda_model_create(cap, 3, k, &m[k]));
        OK(tgs_cuda_model_upload(m[k], g, &s, 0));
    }
    const size_t nclone = 5000, nsplit = 2000;
    uint32_t *idx = xcalloc(nclone, sizeof(uint32_t)), *sidx = xcalloc(nsplit, sizeof(uint32_t));
    for (size_t k = 0; k < nclone; k++)
        idx[k] = tgs_rng_below(r, (uint32_t)n);
    for (size_t j = 0; j < nsplit; j++)
        sidx[j] = (uint32_t)(j * 7);
    uint32_t *d_idx = dup_to_device(idx, nclone * sizeof(uint32_t)), *d_sidx = dup_to_device(sidx, nsplit * 4);
    unsigned char *rm = xcalloc(n + nclone, 1);
    for (size_t i = 0; i < n + nclone; i++)
        rm[i] = (tgs_rng_u32(r) % 3) == 0;
    unsigned char *d_rm = dup_to_device(rm, n + nclone);
    const unsigned no_rest = TGS_ADAM_ALL & ~(1u << TGS_G_REST);
    tgs_adam a[2];
    for (int k = 0; k < 2; k++) {
        tgs_cuda_rng grng;
        tgs_cuda_rng_seed(&grng, 9);
        tgs_adam_init(&a[k], k_lr);
        OK(tgs_cuda_densify_clone(m[k], d_idx, nclone, 0));
        OK(tgs_cuda_densify_remove(m[k], d_rm, 0));
        OK(tgs_cuda_densify_split(m[k], d_sidx, nsplit, &grng, 0));
        OK(tgs_cuda_model_reserve(m[k], 2 * cap, 0));
        OK(tgs_cuda_adam_step_model(&a[k], m[k], no_rest, 0, NULL, 0));
        OK(tgs_cuda_adam_zero_grad(m[k], TGS_ADAM_ALL, 0));
    }
    tgs_densify_stats s0, s1;
    tgs_gaussians *g0 = download(m[0], &s0), *g1 = download(m[1], &s1);
    report("no SH rest grads: ops, growth, Adam", "floats differing", (double)model_diff(g0, g1, &s0, &s1, 0), 0,
           -1);
    const size_t saved = tgs_cuda_model_bytes(cap, 3, 1) - tgs_cuda_model_bytes(cap, 3, 0);
    report("no SH rest grads: bytes saved", "|saved - 45 floats a row|",
           fabs((double)saved - (double)(cap * 45 * sizeof(float))) +
               (double)(m[0]->g.grad_floats != (int)m[0]->g.offset[TGS_G_REST]),
           0, -1);
    report("no SH rest grads: Adam of the group refused", "status == TGS_ERR_ARG",
           (double)(tgs_cuda_adam_step_model(&a[0], m[0], TGS_ADAM_ALL, 0, NULL, 0) != TGS_ERR_ARG), 0, -1);
    tgs_gaussians_destroy(g0);
    tgs_gaussians_destroy(g1);
    tgs_densify_stats_free(&s0);
    tgs_densify_stats_free(&s1);
    free(idx), free(sidx), free(rm);
    cudaFree(d_idx), cudaFree(d_sidx), cudaFree(d_rm);
    for (int k = 0; k < 2; k++)
        tgs_cuda_model_destroy(m[k]);
    tgs_gaussians_destroy(g);
    tgs_densify_stats_free(&s);
}

/* ------------------------------------------------------------------------ */
/* Split children: the distribution of their means                           */
/* ------------------------------------------------------------------------ */

static void test_split_statistics(void) {
    const size_t np = 100000; /* parents, all the same Gaussian */
    const size_t cap = 2 * np; /* split in place: child 0 in row k, child 1 in row np + k */
    tgs_gaussians *g = NULL;
    OK(tgs_gaussians_create(cap, 0, 1, &g));
    g->n = np;
    tgs_param_view v = tgs_gaussians_view(g, g->params);
    const float mu[3] = {1.0f, -2.0f, 0.5f}, ls[3] = {-1.0f, -2.0f, -0.3f}, q[4] = {0.8f, 0.3f, -0.4f, 0.2f};
    for (size_t i = 0; i < np; i++) {
        memcpy(v.means + 3 * i, mu, sizeof mu);
        memcpy(v.scale_raw + 3 * i, ls, sizeof ls);
        memcpy(v.rot_raw + 4 * i, q, sizeof q);
    }
    tgs_cuda_model *m = NULL;
    OK(tgs_cuda_model_create(cap, 0, 1, &m));
    OK(tgs_cuda_model_upload(m, g, NULL, 0));
    uint32_t *idx = xcalloc(np, sizeof(uint32_t));
    for (size_t i = 0; i < np; i++)
        idx[i] = (uint32_t)i;
    uint32_t *d_idx = dup_to_device(idx, np * sizeof(uint32_t));
    tgs_cuda_rng rng;
    tgs_cuda_rng_seed(&rng, 42);
    OK(tgs_cuda_densify_split(m, d_idx, np, &rng, 0));
    tgs_densify_stats s;
    tgs_gaussians *got = download(m, &s);
    tgs_param_view gv = tgs_gaussians_view(got, got->params);
    /* expected covariance R diag(s^2) R^T */
    double w = q[0], x = q[1], y = q[2], z = q[3], nr = sqrt(w * w + x * x + y * y + z * z);
    w /= nr, x /= nr, y /= nr, z /= nr;
    const double R[9] = {1 - 2 * (y * y + z * z), 2 * (x * y - w * z),     2 * (x * z + w * y),
                         2 * (x * y + w * z),     1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
                         2 * (x * z - w * y),     2 * (y * z + w * x),     1 - 2 * (x * x + y * y)};
    double S[9] = {0};
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++)
            for (int c = 0; c < 3; c++)
                S[3 * a + b] += R[3 * a + c] * R[3 * b + c] * exp(2.0 * ls[c]);
    const size_t M = 2 * np;
    double mean[3] = {0}, cov[9] = {0}, cross[9] = {0};
    for (size_t k = 0; k < M; k++)
        for (int a = 0; a < 3; a++)
            mean[a] += gv.means[3 * k + a];
    for (int a = 0; a < 3; a++)
        mean[a] /= (double)M;
    for (size_t k = 0; k < M; k++)
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++)
                cov[3 * a + b] += (gv.means[3 * k + a] - mu[a]) * (gv.means[3 * k + b] - mu[b]);
    for (size_t k = 0; k < np; k++) /* child 0 against child 1 of the same parent: independent */
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++)
                cross[3 * a + b] +=
                    (gv.means[3 * k + a] - mu[a]) * (gv.means[3 * (np + k) + b] - mu[b]);
    double zmean = 0, zcov = 0, zcross = 0;
    for (int a = 0; a < 3; a++)
        zmean = fmax(zmean, fabs(mean[a] - mu[a]) / sqrt(S[4 * a] / (double)M));
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            const double se = sqrt((S[4 * a] * S[4 * b] + S[3 * a + b] * S[3 * a + b]) / (double)M);
            zcov = fmax(zcov, fabs(cov[3 * a + b] / (double)M - S[3 * a + b]) / se);
            zcross = fmax(zcross, fabs(cross[3 * a + b] / (double)np) / sqrt(S[4 * a] * S[4 * b] / (double)np));
        }
    report("split children mean (200k)", "max |z|", zmean, 5, -1);
    report("split children covariance (200k)", "max |z|", zcov, 5, -1);
    report("split siblings cross-covariance", "max |z|", zcross, 5, -1);
    /* scale: log(exp(s) / 1.6), as the CPU computes it */
    double sdiff = 0;
    for (size_t k = 0; k < M; k++)
        for (int c = 0; c < 3; c++)
            sdiff = fmax(sdiff, fabs(gv.scale_raw[3 * k + c] - (float)log(exp((double)ls[c]) / 1.6)));
    report("split children log-scale", "max |err|", sdiff, 1e-6, -1);
    /* reproducible for a seed */
    tgs_cuda_rng_seed(&rng, 42);
    OK(tgs_cuda_model_upload(m, g, NULL, 0));
    OK(tgs_cuda_densify_split(m, d_idx, np, &rng, 0));
    tgs_densify_stats s2;
    tgs_gaussians *again = download(m, &s2);
    report("split reproducible for a seed", "floats differing", (double)model_diff(again, got, NULL, NULL, 0), 0, -1);
    tgs_gaussians_destroy(again);
    tgs_densify_stats_free(&s2);
    tgs_gaussians_destroy(got);
    tgs_densify_stats_free(&s);
    free(idx);
    cudaFree(d_idx);
    tgs_cuda_model_destroy(m);
    tgs_gaussians_destroy(g);
}

/* ------------------------------------------------------------------------ */
/* Sampling and the median normalisation                                     */
/* ------------------------------------------------------------------------ */

/* The sampler's frequencies: the first draw against the weights, and the
 * inclusion of each of 8 items in draws of 3 against the CPU sampler. */
static void test_sampler_frequencies(tgs_cuda_model *m, tgs_cuda_rng *rng) {
    uint32_t *d_out = dmalloc(16 * sizeof(uint32_t));
    size_t got = 0;
    /* proportional: first draw (k = 1) over 16 weights, chi-square at a fixed seed */
    const int nw = 16, trials = 20000;
    float ws[16];
    double wsum = 0;
    for (int i = 0; i < nw; i++) {
        ws[i] = i == 3 ? 0.0f : (float)(i + 1);
        wsum += ws[i];
    }
    float *d_ws = dup_to_device(ws, sizeof ws);
    long counts[16] = {0};
    tic();
    for (int t = 0; t < trials; t++) {
        uint32_t one;
        OK(tgs_cuda_sample_weighted(m, d_ws, (size_t)nw, 1, rng, d_out, &got, 0));
        to_host(&one, d_out, sizeof one);
        if (got == 1 && one < (uint32_t)nw)
            counts[one]++;
    }
    const double tms = toc_ms() / trials;
    double chi2 = 0;
    for (int i = 0; i < nw; i++) {
        if (ws[i] == 0) {
            chi2 += counts[i] ? INFINITY : 0;
            continue;
        }
        const double e = trials * ws[i] / wsum;
        chi2 += (counts[i] - e) * (counts[i] - e) / e;
    }
    report("sampler proportional (k=1, 20000 draws)", "chi2, 14 dof (p=.001)", chi2, 36.12, tms);

    /* inclusion frequencies of k = 3 of 8, GPU against the CPU sampler */
    const int n8 = 8, k3 = 3;
    float w8[8] = {0.5f, 1, 2, 4, 0.25f, 3, 1.5f, 6};
    float *d_w8 = dup_to_device(w8, sizeof w8);
    long cg[8] = {0}, cc[8] = {0};
    tgs_rng crng;
    tgs_rng_seed(&crng, 99, 3);
    for (int t = 0; t < trials; t++) {
        uint32_t o[3];
        OK(tgs_cuda_sample_weighted(m, d_w8, (size_t)n8, (size_t)k3, rng, d_out, &got, 0));
        to_host(o, d_out, sizeof o);
        for (int j = 0; j < k3; j++)
            cg[o[j] % 8]++;
        size_t c = tgs_sample_weighted(w8, (size_t)n8, (size_t)k3, &crng, o);
        for (size_t j = 0; j < c; j++)
            cc[o[j] % 8]++;
    }
    double zmax = 0;
    for (int i = 0; i < n8; i++) {
        const double pg = (double)cg[i] / trials, pc = (double)cc[i] / trials, pm = 0.5 * (pg + pc);
        const double se = sqrt(fmax(2.0 * pm * (1.0 - pm) / trials, 1e-12));
        zmax = fmax(zmax, fabs(pg - pc) / se);
    }
    report("sampler 3 of 8: inclusion GPU vs CPU", "max |z| of 8", zmax, 4.5, -1);

    cudaFree(d_out), cudaFree(d_ws), cudaFree(d_w8);
}

/* The median normalisation M(c, x), bit-exact against the CPU. */
static void test_median(tgs_rng *r, tgs_cuda_model *m) {
    /* median normalisation, bit-exact */
    static const size_t sizes[] = {10007, 10008, 1, 5};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        const size_t nn = sizes[si];
        float *x = xcalloc(nn, sizeof(float)), *oc = xcalloc(nn, sizeof(float)), *og = xcalloc(nn, sizeof(float));
        float *scratch = xcalloc(nn, sizeof(float));
        for (size_t i = 0; i < nn; i++) {
            const uint32_t u = tgs_rng_u32(r) % 10;
            x[i] = u == 0
                       ? 0.0f
                       : (u == 1 ? -(float)tgs_rng_uniform(r) : (u == 2 ? NAN : (float)(tgs_rng_u32(r) % 500) * 0.37f));
            oc[i] = (float)uni(r, -1, 1);
        }
        float *d_x = dup_to_device(x, nn * sizeof(float)), *d_o = dup_to_device(oc, nn * sizeof(float));
        tgs_taming_add_normalized(25, x, nn, oc, scratch);
        tgs_taming_add_normalized(0.1, x, nn, oc, scratch);
        tic();
        OK(tgs_cuda_taming_add_normalized(m, 25, d_x, nn, d_o, 0));
        OK(tgs_cuda_taming_add_normalized(m, 0.1, d_x, nn, d_o, 0));
        const double mms = toc_ms() / 2;
        to_host(og, d_o, nn * sizeof(float));
        char name[48];
        snprintf(name, sizeof name, "median normalisation n=%zu", nn);
        report(name, "floats differing", (double)count_diff(og, oc, nn), 0, mms);
        free(x), free(oc), free(og), free(scratch);
        cudaFree(d_x), cudaFree(d_o);
    }
    /* no positive value: nothing added */
    {
        float x[4] = {0, -1, NAN, 0}, o[4] = {1, 2, 3, 4}, og[4];
        float *d_x = dup_to_device(x, sizeof x), *d_o = dup_to_device(o, sizeof o);
        OK(tgs_cuda_taming_add_normalized(m, 25, d_x, 4, d_o, 0));
        to_host(og, d_o, sizeof og);
        report("median normalisation, no x > 0", "floats differing", (double)count_diff(og, o, 4), 0, -1);
        cudaFree(d_x), cudaFree(d_o);
    }
}

static void test_sampler(tgs_rng *r) {
    tgs_cuda_model *m = NULL;
    OK(tgs_cuda_model_create(200000, 0, 1, &m));
    tgs_cuda_rng rng;
    tgs_cuda_rng_seed(&rng, 7);

    /* without replacement: k >= positives returns exactly the positive weights */
    const size_t n = 100000;
    float *w = xcalloc(n, sizeof(float));
    size_t npos = 0;
    for (size_t i = 0; i < n; i++) {
        const uint32_t u = tgs_rng_u32(r) % 10;
        w[i] = u < 3 ? 0.0f : (u == 3 ? -1.0f : (u == 4 ? NAN : (float)tgs_rng_uniform(r)));
        npos += w[i] > 0;
    }
    float *d_w = dup_to_device(w, n * sizeof(float));
    uint32_t *d_out = dmalloc(n * sizeof(uint32_t));
    uint32_t *out = xcalloc(n, sizeof(uint32_t));
    size_t got = 0;
    OK(tgs_cuda_sample_weighted(m, d_w, n, n, &rng, d_out, &got, 0));
    to_host(out, d_out, got * sizeof(uint32_t));
    size_t bad = got != npos;
    for (size_t k = 0, j = 0; k < n && !bad; k++)
        if (w[k] > 0)
            bad += j >= got || out[j++] != k;
    report("sampler k >= positives: all of them", "errors", (double)bad, 0, -1);

    /* k < positives: distinct, ascending, positive weights only */
    const size_t k = 20000;
    tic();
    OK(tgs_cuda_sample_weighted(m, d_w, n, k, &rng, d_out, &got, 0));
    const double ms = toc_ms();
    to_host(out, d_out, got * sizeof(uint32_t));
    bad = got != k;
    for (size_t j = 0; j < got; j++)
        bad += !(w[out[j]] > 0) || (j && out[j] <= out[j - 1]);
    report("sampler 20000 of 100000: distinct, w > 0", "errors", (double)bad, 0, ms);

    free(w), free(out);
    cudaFree(d_w), cudaFree(d_out);
    test_sampler_frequencies(m, &rng);
    test_median(r, m);
    tgs_cuda_model_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* Taming score and step, classic densification                             */
/* ------------------------------------------------------------------------ */

static void test_score(tgs_rng *r) {
    const size_t n = 30000;
    tgs_gaussians *g;
    tgs_densify_stats s;
    make_model(r, n, n, &g, &s);
    tgs_cuda_model *m = NULL;
    OK(tgs_cuda_model_create(n, 3, 1, &m));
    OK(tgs_cuda_model_upload(m, g, &s, 0));
    float *scratch = xcalloc(TGS_TAMING_SCORE_SCRATCH * n, sizeof(float));
    float *scores = xcalloc(n, sizeof(float)), *sg = xcalloc(n, sizeof(float));
    int *radii = xcalloc(n, sizeof(int));
    float *depths = xcalloc(n, sizeof(float)), *acc = xcalloc(4 * n, sizeof(float));
    int *d_radii = dmalloc(n * sizeof(int));
    float *d_depths = dmalloc(n * sizeof(float)), *d_acc = dmalloc(4 * n * sizeof(float));
    float *d_scores = dmalloc(n * sizeof(float));
    double *d_ell = dmalloc(sizeof(double));
    tgs_taming_score_begin(g, &s, scores, scratch);
    OK(tgs_cuda_taming_score_begin(m, d_scores, 0));
    double ms = 0;
    for (int view = 0; view < 3; view++) {
        const double ell = uni(r, 0.02, 0.2);
        for (size_t i = 0; i < n; i++) {
            radii[i] = (tgs_rng_u32(r) % 5) == 0 ? 0 : (int)(tgs_rng_u32(r) % 80);
            depths[i] = (float)uni(r, 0.1, 20);
            for (int t = 0; t < 4; t++)
                acc[4 * i + t] = radii[i] > 0 && tgs_rng_u32(r) % 7 ? (float)uni(r, 0, 30) : 0.0f;
        }
        tgs_taming_score_view(n, radii, depths, acc, ell, scores, scratch);
        CU(cudaMemcpy(d_radii, radii, n * sizeof(int), cudaMemcpyHostToDevice));
        CU(cudaMemcpy(d_depths, depths, n * sizeof(float), cudaMemcpyHostToDevice));
        CU(cudaMemcpy(d_acc, acc, 4 * n * sizeof(float), cudaMemcpyHostToDevice));
        CU(cudaMemcpy(d_ell, &ell, sizeof ell, cudaMemcpyHostToDevice));
        tic();
        OK(tgs_cuda_taming_score_view(m, d_radii, d_depths, d_acc, d_ell, d_scores, 0));
        ms += toc_ms();
    }
    to_host(sg, d_scores, n * sizeof(float));
    /* expf may differ by an ulp between the GPU and glibc (opacity, scale product) */
    report("Taming score, 3 views of 30000", "max rel err vs CPU", max_rel(sg, scores, n, 1e-20), 1e-5, ms / 3);
    free(scratch), free(scores), free(sg), free(radii), free(depths), free(acc);
    cudaFree(d_radii), cudaFree(d_depths), cudaFree(d_acc), cudaFree(d_scores), cudaFree(d_ell);
    tgs_cuda_model_destroy(m);
    tgs_gaussians_destroy(g);
    tgs_densify_stats_free(&s);
}

/* Structure of a Taming step without pruning, from the row tags (sh_dc[0] = row
 * index before the step): rows [0,n) are the originals or, for split parents,
 * child 0; then the clones (ascending distinct clone candidates), then the
 * second children (ascending distinct split candidates, matching the parents). */
static size_t taming_structure_errors(const tgs_gaussians *orig, const unsigned char *kind, const tgs_gaussians *got,
                                      const tgs_densify_report *rep) {
    size_t err = 0;
    const size_t n = orig->n;
    tgs_param_view o = tgs_gaussians_view(orig, orig->params), v = tgs_gaussians_view(got, got->params);
    size_t replaced = 0;
    for (size_t i = 0; i < n; i++) {
        err += v.sh_dc[3 * i] != (float)i;
        const int changed = v.scale_raw[3 * i] != o.scale_raw[3 * i];
        replaced += changed;
        if (changed)
            err += kind[i] != TGS_CAND_SPLIT;
        else
            err += memcmp(v.means + 3 * i, o.means + 3 * i, 3 * sizeof(float)) != 0;
    }
    err += replaced != rep->split;
    for (size_t k = 0; k < rep->cloned; k++) {
        const size_t j = (size_t)v.sh_dc[3 * (n + k)];
        err += j >= n || kind[j] != TGS_CAND_CLONE;
        err += k && j <= (size_t)v.sh_dc[3 * (n + k - 1)];
        if (j < n)
            err += memcmp(v.means + 3 * (n + k), o.means + 3 * j, 3 * sizeof(float)) != 0;
    }
    for (size_t k = 0; k < rep->split; k++) {
        const size_t row = n + rep->cloned + k, j = (size_t)v.sh_dc[3 * row];
        err += j >= n || kind[j] != TGS_CAND_SPLIT;
        if (j < n)
            err += v.scale_raw[3 * row] != v.scale_raw[3 * j]; /* the sibling in the parent's row */
    }
    return err;
}

/* After a step with pruning: the surviving pre-step rows come first in order
 * (their tags increase), every missing tag was a prune candidate before the
 * step, and the clones follow (tags of clone candidates). */
static size_t pruned_rows_errors(const unsigned char *kind, const unsigned char *mask0, const tgs_gaussians *got,
                                 size_t n, const tgs_densify_report *rep) {
    tgs_param_view v = tgs_gaussians_view(got, got->params);
    const size_t keep = n - rep->pruned;
    size_t err = 0, next = 0;
    for (size_t row = 0; row < keep && row < got->n; row++) {
        const size_t t = (size_t)v.sh_dc[3 * row];
        if (t < next || t >= n) {
            err++;
            continue;
        }
        for (size_t j = next; j < t; j++)
            err += !mask0[j];
        next = t + 1;
    }
    for (size_t j = next; j < n; j++)
        err += !mask0[j];
    for (size_t k = 0; k < rep->cloned && keep + k < got->n; k++) {
        const size_t t = (size_t)v.sh_dc[3 * (keep + k)];
        err += t >= n || kind[t] != TGS_CAND_CLONE;
    }
    return err;
}

static void test_taming(tgs_rng *r) {
    const size_t n = 20000;
    const tgs_densify_params p = dparams();
    static const struct {
        size_t extra;
        int step_j;
        const char *name;
    } cases[] = {{3000, 30, "Taming step j=30 (no prune), +3000"},
                 {3000, 5, "Taming step j=5 (prune), +3000"},
                 {50000, 30, "Taming step, target above candidates"},
                 {0, 5, "Taming step, target = n (prune only)"}};
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const size_t target = n + cases[ci].extra, cap = target + 10;
        tgs_gaussians *g;
        tgs_densify_stats s;
        make_model(r, n, cap, &g, &s);
        float *scores = xcalloc(n, sizeof(float));
        for (size_t i = 0; i < n; i++)
            scores[i] = (tgs_rng_u32(r) % 10) == 0 ? 0.0f : (float)uni(r, 0, 100);
        tgs_cuda_model *m = NULL;
        OK(tgs_cuda_model_create(cap, 3, 1, &m));
        OK(tgs_cuda_model_upload(m, g, &s, 0));
        float *d_scores = dup_to_device(scores, n * sizeof(float));
        unsigned char *kind = xcalloc(n, 1);
        size_t nc, ns;
        float *tmp = xcalloc(n, sizeof(float));
        tgs_taming_candidates(g, &s, &p, target, kind, &nc, &ns, tmp); /* the step's candidates */
        free(tmp);
        tgs_gaussians *orig = copy_model(g);
        unsigned char *mask0 = xcalloc(n, 1); /* prune candidates before the step */
        tgs_densify_prune_candidates(g, &s, &p, mask0);
        tgs_rng crng;
        tgs_rng_seed(&crng, 11, 2);
        tgs_densify_report rc, rg;
        OK(tgs_densify_taming(g, &s, &p, scores, target, cases[ci].step_j, &crng, &rc));
        /* a step beyond the capacity is refused and leaves the model as it was */
        if (ci == 0) {
            tgs_cuda_rng trng;
            tgs_cuda_rng_seed(&trng, 1);
            tgs_status st = tgs_cuda_densify_taming(m, &p, d_scores, cap + 1000000, 30, &trng, &rg, 0);
            report("Taming step beyond capacity refused", "wrong status or count",
                   (double)(st != TGS_ERR_NOMEM) + (double)(m->g.n != n), 0, -1);
        }
        tgs_cuda_rng grng;
        tgs_cuda_rng_seed(&grng, 11);
        tic();
        OK(tgs_cuda_densify_taming(m, &p, d_scores, target, cases[ci].step_j, &grng, &rg, 0));
        const double ms = toc_ms();
        double cnt = fabs((double)rc.cloned - (double)rg.cloned) + fabs((double)rc.split - (double)rg.split) +
                     fabs((double)rc.n_before - (double)rg.n_before);
        char name[48];
        snprintf(name, sizeof name, "%s", cases[ci].name);
        report(name, "clone+split count diffs", cnt, 0, ms);
        tgs_densify_stats sg;
        tgs_gaussians *got = download(m, &sg);
        if (cases[ci].step_j >= 27) {
            report("  no prune: count == CPU count", "|n_gpu - n_cpu|", fabs((double)rg.n_after - (double)rc.n_after),
                   0, -1);
            report("  row structure (tags, kinds, order)", "errors",
                   (double)taming_structure_errors(orig, kind, got, &rg), 0, -1);
        } else {
            const double bal = fabs((double)rg.n_after - (double)(n + rg.cloned + rg.split - rg.pruned));
            report("  prune: n_after = n + clones + splits - pruned", "|diff|", bal, 0, -1);
            /* both sides prune a random half of the same candidates: close counts */
            const double rel = fabs((double)rg.pruned - (double)rc.pruned) / fmax(1.0, (double)rc.pruned);
            snprintf(name, sizeof name, "  pruned GPU %zu vs CPU %zu", rg.pruned, rc.pruned);
            report(name, "rel diff", rel, 0.1, -1);
            report("  prune: removed rows are old candidates", "errors",
                   (double)pruned_rows_errors(kind, mask0, got, n, &rg), 0, -1);
        }
        size_t nonzero = 0;
        for (size_t i = 0; i < got->n; i++)
            nonzero += (sg.grad_accum[i] != 0) + (sg.denom[i] != 0) + (sg.max_radii[i] != 0);
        report("  statistics reset", "nonzero floats", (double)nonzero, 0, -1);
        tgs_gaussians_destroy(got);
        tgs_densify_stats_free(&sg);
        free(kind);
        free(mask0);
        free(scores);
        cudaFree(d_scores);
        tgs_gaussians_destroy(orig);
        tgs_cuda_model_destroy(m);
        tgs_gaussians_destroy(g);
        tgs_densify_stats_free(&s);
    }
}

static void test_classic(tgs_rng *r) {
    const size_t n = 20000;
    for (int grow = 0; grow < 2; grow++) {
        tgs_gaussians *g;
        tgs_densify_stats s;
        const size_t cap = grow ? n + 10 : 3 * n; /* grow: the device model must reserve */
        make_model(r, n, cap, &g, &s);
        const tgs_densify_params p = dparams();
        tgs_cuda_model *m = NULL;
        OK(tgs_cuda_model_create(cap, 3, 1, &m));
        OK(tgs_cuda_model_upload(m, g, &s, 0));
        tgs_rng crng;
        tgs_rng_seed(&crng, 3, 4);
        tgs_cuda_rng grng;
        tgs_cuda_rng_seed(&grng, 3);
        tgs_densify_report rc, rg;
        OK(tgs_densify_classic(g, &s, &p, &crng, &rc));
        tic();
        OK(tgs_cuda_densify_classic(m, &p, &grng, &rg, 0));
        const double ms = toc_ms();
        const double cnt = fabs((double)rc.cloned - (double)rg.cloned) + fabs((double)rc.split - (double)rg.split) +
                           fabs((double)rc.pruned - (double)rg.pruned) + fabs((double)rc.n_after - (double)rg.n_after);
        report(grow ? "classic densify (device grows)" : "classic densify", "report count diffs", cnt, 0, ms);
        tgs_densify_stats sg;
        tgs_gaussians *got = download(m, &sg);
        /* same rows in the same order: everything but the children's means is exact */
        report("  classic: all but means", "floats differing", (double)model_diff(got, g, &sg, &s, 1 << TGS_G_MEANS), 0,
               -1);
        tgs_param_view a = tgs_gaussians_view(got, got->params), b = tgs_gaussians_view(g, g->params);
        size_t moved = 0;
        for (size_t i = 0; i < got->n && got->n == g->n; i++)
            moved += memcmp(a.means + 3 * i, b.means + 3 * i, 3 * sizeof(float)) != 0;
        report("  classic: rows with other means <= 2*splits", "excess rows",
               moved > 2 * rc.split ? (double)(moved - 2 * rc.split) : 0.0, 0, -1);
        tgs_gaussians_destroy(got);
        tgs_densify_stats_free(&sg);
        tgs_cuda_model_destroy(m);
        tgs_gaussians_destroy(g);
        tgs_densify_stats_free(&s);
    }
}

/* ------------------------------------------------------------------------ */
/* Timings at a training scale (always pass; the value column is ms)        */
/* ------------------------------------------------------------------------ */

static void test_bench(tgs_rng *r) {
    const size_t n = 1000000, cap = 1500000;
    tgs_gaussians *g;
    tgs_densify_stats s;
    make_model(r, n, cap, &g, &s);
    tgs_cuda_model *m = NULL;
    OK(tgs_cuda_model_create(cap, 3, 1, &m));
    OK(tgs_cuda_model_upload(m, g, &s, 0));
    tgs_adam a;
    tgs_adam_init(&a, k_lr);
    int *radii = xcalloc(n, sizeof(int));
    float *f = xcalloc(4 * n, sizeof(float));
    for (size_t i = 0; i < n; i++)
        radii[i] = (tgs_rng_u32(r) % 3) ? (int)(tgs_rng_u32(r) % 50) + 1 : 0;
    for (size_t i = 0; i < 4 * n; i++)
        f[i] = (float)tgs_rng_uniform(r);
    int *d_radii = dup_to_device(radii, n * sizeof(int));
    float *d_f = dup_to_device(f, 4 * n * sizeof(float)), *d_scores = dmalloc(n * sizeof(float));
    double *d_ell = dmalloc(sizeof(double));
    const double ell = 0.05;
    CU(cudaMemcpy(d_ell, &ell, sizeof ell, cudaMemcpyHostToDevice));
    const int reps = 10;
    tic();
    for (int k = 0; k < reps; k++)
        OK(tgs_cuda_adam_step_model(&a, m, TGS_ADAM_ALL, 0, NULL, 0));
    report("bench Adam 1M Gaussians (SH 3)", "ms per step", toc_ms() / reps, INFINITY, -1);
    tic();
    for (int k = 0; k < reps; k++)
        OK(tgs_cuda_stats_add(m, d_radii, d_f, 0));
    report("bench statistics add 1M", "ms", toc_ms() / reps, INFINITY, -1);
    tic();
    OK(tgs_cuda_taming_score_begin(m, d_scores, 0));
    report("bench Taming score begin 1M", "ms", toc_ms(), INFINITY, -1);
    tic();
    OK(tgs_cuda_taming_score_view(m, d_radii, d_f, d_f, d_ell, d_scores, 0));
    report("bench Taming score one view 1M", "ms", toc_ms(), INFINITY, -1);
    uint32_t *d_out = dmalloc(n * sizeof(uint32_t));
    tgs_cuda_rng rng;
    tgs_cuda_rng_seed(&rng, 1);
    size_t got;
    tic();
    OK(tgs_cuda_sample_weighted(m, d_f, n, 100000, &rng, d_out, &got, 0));
    report("bench sampler 100k of 1M", "ms", toc_ms(), INFINITY, -1);
    /* restore statistics with candidates, then one Taming step with pruning */
    OK(tgs_cuda_model_upload(m, g, &s, 0));
    for (size_t i = 0; i < n; i++)
        f[i] = (float)uni(r, 0, 100);
    CU(cudaMemcpy(d_scores, f, n * sizeof(float), cudaMemcpyHostToDevice));
    tgs_densify_params p = dparams();
    tgs_densify_report rep;
    tic();
    OK(tgs_cuda_densify_taming(m, &p, d_scores, n + 300000, 5, &rng, &rep, 0));
    char name[48];
    snprintf(name, sizeof name, "bench Taming step 1M (+%zu/%zu -%zu)", rep.cloned, rep.split, rep.pruned);
    report(name, "ms", toc_ms(), INFINITY, -1);
    free(radii), free(f);
    cudaFree(d_radii), cudaFree(d_f), cudaFree(d_scores), cudaFree(d_ell), cudaFree(d_out);
    tgs_cuda_model_destroy(m);
    tgs_gaussians_destroy(g);
    tgs_densify_stats_free(&s);
}

/* The ledger of cuda_alloc.h: live and peak bytes follow tgs_cuda_malloc/free. */
static void test_ledger(void) {
    const size_t base = tgs_cuda_bytes_live();
    tgs_cuda_peak_reset();
    void *a = NULL, *b = NULL;
    CU(tgs_cuda_malloc(&a, 1 << 20));
    CU(tgs_cuda_malloc(&b, 3 << 20));
    const size_t both = tgs_cuda_bytes_live() - base;
    CU(tgs_cuda_free(a));
    const size_t one = tgs_cuda_bytes_live() - base, peak = tgs_cuda_bytes_peak() - base;
    CU(tgs_cuda_free(b));
    CU(tgs_cuda_free(NULL));
    report("allocation ledger: sizes", "|bytes - expected|",
           fabs((double)both - (4 << 20)) + fabs((double)one - (3 << 20)) + fabs((double)peak - (4 << 20)), 0, -1);
    report("allocation ledger: all freed", "bytes held", (double)(tgs_cuda_bytes_live() - base), 0, -1);
    /* a limit (--gpu_memory_limit): what would pass it is refused and nothing is recorded */
    tgs_cuda_set_limit(base + (2 << 20));
    void *c = NULL, *d = NULL;
    const cudaError_t over = tgs_cuda_malloc(&c, 3 << 20);
    const cudaError_t under = tgs_cuda_malloc(&d, 1 << 20);
    const cudaError_t past = tgs_cuda_malloc(&a, 2 << 20); /* 1 MiB held: 3 would pass the limit */
    const size_t held = tgs_cuda_bytes_live() - base;
    tgs_cuda_set_limit(0);
    CU(tgs_cuda_free(d));
    report("allocation ledger: limit", "wrong results",
           (double)(over != cudaErrorMemoryAllocation) + (c != NULL) + (under != cudaSuccess) +
               (past != cudaErrorMemoryAllocation) + (held != (1u << 20)),
           0, -1);
    cudaGetLastError();
}

int main(void) {
    int ndev = 0;
    if (cudaGetDeviceCount(&ndev) != cudaSuccess || ndev == 0) {
        printf("skipped: no CUDA device\n");
        return 77;
    }
    struct cudaDeviceProp prop;
    CU(cudaGetDeviceProperties(&prop, 0));
    printf("device: %s (sm_%d%d)\n", prop.name, prop.major, prop.minor);
    tgs_rng r;
    tgs_rng_seed(&r, 2024, 7);
    tgs_cuda_loss *L = NULL;
    OK(tgs_cuda_loss_create(1600, 1067, &L));
    test_loss(&r, L);
    test_masked_loss(&r, L);
    tgs_cuda_loss_destroy(L);
    test_adam(&r);
    test_stats_and_ops(&r);
    test_no_rest_grads(&r);
    test_split_statistics();
    test_sampler(&r);
    test_score(&r);
    test_taming(&r);
    test_classic(&r);
    test_bench(&r);
    test_ledger();
    /* every object above was destroyed: nothing may be left in the ledger */
    report("allocation ledger: after all tests", "bytes held", (double)tgs_cuda_bytes_live(), 0, -1);
    int fails = print_table();
    return fails ? 1 : 0;
}
