/* test_gpu_raster.c - the CUDA rasteriser against the CPU float rasteriser
 * (run on a GPU machine; not a CTest test).
 *
 * Every comparison runs the GPU twice: with the exact exp (exp rounded from
 * double, as glibc's expf rounds; tgs_cuda_raster_set_exact) and with the fast
 * expf used in training. Rules (mode_ok): exact - image max |diff| <= 1e-4,
 * score sums, every gradient group and dL/dNDC within 1e-3 relative to the
 * CPU's largest value (max|g_gpu - g_cpu| / max|g_cpu|); fast - the same but a
 * rare pixel may stop one Gaussian apart at the T >= 1e-4 rule: 99.9% of the
 * values within 1e-4, at most 0.1% beyond, none beyond 2e-2, relative 1e-2.
 * Both: radii identical, depths equal, images bitwise repeatable; backward is
 * called twice and must ADD (compared with twice the CPU's gradients); the
 * backward that takes the SH rest group's Adam step (dense and sparse) within
 * 1e-4 of the CPU's Adam over a plain backward's gradient (rest_step_err).
 * (a) Random scenes (3 seeds; N = 5..8000; SH degrees 0..3, an active degree
 *     below the model's; white/black background; sigmoid/abs opacity; sizes
 *     not multiples of 16; Gaussians behind the camera, beyond the EWA clamp,
 *     a zero quaternion, alphas clamped at 0.99 with either backward rule
 *     (tgs_view.alpha_clamp_exact); dense lists; long runs of visible
 *     Gaussians with no pairs between a block's pairs), one GPU rasteriser created
 *     small so its scratch grows; edge cases (no Gaussians, all culled, bad
 *     arguments, views of 2^31 tiles or more refused before any allocation).
 * (b) With the shared data (argv DATA_DIR, else $TGS_DATA_DIR, else the build's
 *     TGS_DATA_DIR, else .data): the fox reference PLY (opacity linear) on the
 *     7 fox test cameras (images_4, --eval), same rules, with the 99.9th
 *     percentile and the fraction of values beyond 1e-4 printed.
 * (c) Timing (cudaEvent) of forward and backward on the fox views, CPU for
 *     reference.
 * (d) A 500k-Gaussian random scene at 1600x1064: comparison and timing
 *     (skipped with the argument "quick").
 * Usage: test_gpu_raster [DATA_DIR] [quick | small]; "small" runs only the
 * smallest cases of (a), for the host emulator (tests/gpu/emu/run_emu.sh).
 * Exit 0 pass, 1 fail, 77 no GPU. */
#include "check.h"
#include "raster/cuda/raster_cuda.h"
#include "tgs/gaussians.h"
#include "tgs/optim.h"
#include "tgs/ply.h"
#include "tgs/raster.h"
#include "tgs/rng.h"
#include "tgs/scene.h"

#include <cuda_runtime.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CU(call)                                                                                         \
    do {                                                                                                 \
        cudaError_t cu_e_ = (call);                                                                      \
        if (cu_e_ != cudaSuccess) {                                                                      \
            fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(cu_e_)); \
            exit(1);                                                                                     \
        }                                                                                                \
    } while (0)

#define OK_OR_DIE(expr)                                                                                  \
    do {                                                                                                 \
        tgs_status ok_st_ = (expr);                                                                      \
        if (ok_st_ != TGS_OK) {                                                                          \
            fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #expr, tgs_error_message());   \
            exit(1);                                                                                     \
        }                                                                                                \
    } while (0)

static int small_mode; /* only the smallest cases (emulator) */

static void *dev_alloc(size_t bytes) {
    void *p = NULL;
    CU(cudaMalloc(&p, bytes ? bytes : 1));
    CU(cudaMemset(p, 0, bytes ? bytes : 1));
    return p;
}
static void *dev_upload(const void *h, size_t bytes) {
    void *p = dev_alloc(bytes);
    CU(cudaMemcpy(p, h, bytes, cudaMemcpyHostToDevice));
    return p;
}
static void download(void *h, const void *d, size_t bytes) { CU(cudaMemcpy(h, d, bytes, cudaMemcpyDeviceToHost)); }
static void *xcalloc(size_t n, size_t s) {
    void *p = calloc(n ? n : 1, s);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

/* g's description with device buffers (the model contract holds either). */
static tgs_gaussians on_device(const tgs_gaussians *g, float *d_params, float *d_grads) {
    tgs_gaussians d = *g;
    d.params = d_params, d.grads = d_grads, d.adam_m = d.adam_v = NULL;
    return d;
}

/* ---------------------------------------------------------------- comparison */

/* One GPU mode (fast or exact exp) against the CPU. */
typedef struct {
    double img_max, img_p999, img_frac; /* |diff| max, 99.9th percentile, fraction > 1e-4 */
    int img_repeat_ok;                  /* a second GPU forward gives the same bits */
    int radii_bad;                      /* Gaussians whose radius differs */
    double depth_rel;                   /* max relative depth difference (visible) */
    double score_rel;                   /* worst component */
    double grad_rel[TGS_G_COUNT], grad_worst;
    int grad_worst_group;
    double vm_rel;
    double rest_step_rel; /* the SH rest Adam step in the backward against the CPU's Adam (dense and sparse) */
    double no_rest_rel;   /* a gradient buffer without the SH rest group: the other groups against the CPU */
} mode_report;

typedef struct {
    mode_report fast, exact;
    size_t visible, pairs;
} report;

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void image_diff(const float *a, const float *b, size_t count, mode_report *rep) {
    float *d = xcalloc(count, sizeof(float));
    double mx = 0;
    size_t over = 0;
    for (size_t i = 0; i < count; i++) {
        d[i] = fabsf(a[i] - b[i]);
        if (!(d[i] <= mx))
            mx = isnan(d[i]) ? INFINITY : d[i];
        over += !(d[i] <= 1e-4f);
    }
    qsort(d, count, sizeof(float), cmp_float);
    rep->img_max = mx;
    rep->img_p999 = count ? d[(size_t)floor(0.999 * (double)(count - 1))] : 0;
    rep->img_frac = count ? (double)over / (double)count : 0;
    free(d);
}

/* max |gpu - scale*cpu| / max |scale*cpu| over count values. */
static double rel_err(const float *cpu, const float *gpu, size_t count, double scale) {
    double mref = 0, mdiff = 0;
    for (size_t j = 0; j < count; j++) {
        double ref = scale * (double)cpu[j], d = fabs((double)gpu[j] - ref);
        mref = fmax(mref, fabs(ref));
        if (!(d <= mdiff))
            mdiff = isnan(d) ? INFINITY : d;
    }
    if (mref > 0)
        return mdiff / mref;
    return mdiff > 0 ? INFINITY : 0;
}

/* ---------------------------------------------------------------- the SH rest step in the backward */

/* After a forward of g at v: the backward that takes the SH rest group's Adam
 * step (dense, or sparse: the rows in view) against the CPU's tgs_adam_step
 * over the gradient of a plain backward, from the same random moments. The
 * two backward calls sum the blending's atomics in different orders, so the
 * gradients differ in their last bits: the worst difference of the parameter
 * change and of each moment, relative to the largest of each, over the rest
 * group (a wrong step count gives ~1.6e-3); INFINITY if the step left a rest
 * gradient behind. */
static double rest_step_err(tgs_cuda_raster *gr, const tgs_gaussians *g, const tgs_view *v, const float *d_vimg,
                            int sparse) {
    const size_t n = g->n, floats = g->capacity * (size_t)g->floats_per_gaussian, bytes = floats * sizeof(float);
    tgs_gaussians *h = NULL;
    OK_OR_DIE(tgs_gaussians_create(g->capacity, g->sh_degree, 1, &h));
    h->n = n;
    memcpy(h->params, g->params, bytes);
    tgs_rng rng;
    tgs_rng_seed(&rng, 99, (uint64_t)sparse);
    for (size_t e = 0; e < floats; e++) {
        h->adam_m[e] = (float)(2e-3 * tgs_rng_uniform(&rng) - 1e-3);
        h->adam_v[e] = (float)(1e-6 * tgs_rng_uniform(&rng));
    }
    float *d_params = dev_upload(g->params, bytes), *d_grads = dev_alloc(bytes);
    float *d_m = dev_upload(h->adam_m, bytes), *d_v = dev_upload(h->adam_v, bytes);
    const double lr[TGS_G_COUNT] = {[TGS_G_MEANS] = 1.6e-4, [TGS_G_DC] = 2.5e-3, [TGS_G_REST] = 2.5e-4,
                                    [TGS_G_OPACITY] = 0.025, [TGS_G_SCALE] = 0.005, [TGS_G_ROT] = 0.001};
    tgs_adam a;
    tgs_adam_init(&a, lr);
    a.step[TGS_G_REST] = 40;
    const tgs_adam_consts c = tgs_cuda_adam_consts(&a, TGS_G_REST);
    /* the CPU: a plain backward's rest gradient, then Adam on the rest group */
    tgs_gaussians dg = on_device(g, d_params, d_grads);
    OK_OR_DIE(tgs_cuda_raster_backward(gr, &dg, v, d_vimg, NULL, NULL, 0));
    download(h->grads, d_grads, bytes);
    int *radii = NULL;
    if (sparse) {
        radii = xcalloc(n, sizeof(int));
        download(radii, tgs_cuda_raster_radii(gr), n * sizeof(int));
    }
    tgs_adam_step(&a, h, 1u << TGS_G_REST, radii);
    /* the GPU: the step in the backward */
    CU(cudaMemset(d_grads, 0, bytes));
    dg.adam_m = d_m, dg.adam_v = d_v;
    OK_OR_DIE(tgs_cuda_raster_backward(gr, &dg, v, d_vimg, NULL, &c, sparse));
    float *got = xcalloc(floats, sizeof(float));
    double worst = 0;
    const size_t rest0 = g->capacity * g->offset[TGS_G_REST], len = n * (size_t)g->width[TGS_G_REST];
    const float *want[3] = {h->params, h->adam_m, h->adam_v};
    const float *dev[3] = {d_params, d_m, d_v};
    for (int b = 0; b < 3; b++) {
        download(got, dev[b], bytes);
        if (b == 0) /* the parameters by their change (each float difference rounded once) */
            for (size_t e = rest0; e < rest0 + len; e++) {
                got[e] -= g->params[e];
                h->params[e] -= g->params[e];
            }
        worst = fmax(worst, rel_err(want[b] + rest0, got + rest0, len, 1.0));
    }
    download(got, d_grads, bytes);
    for (size_t e = 0; e < len; e++)
        if (got[rest0 + e] != 0.0f)
            worst = INFINITY;
    free(got), free(radii);
    cudaFree(d_params), cudaFree(d_grads), cudaFree(d_m), cudaFree(d_v);
    tgs_gaussians_destroy(h);
    return worst;
}

/* ---------------------------------------------------------------- one render pair */

typedef struct { /* CPU results of one render */
    float *img, *score, *vm, *depth;
    int *radii;
} cpu_out;

/* GPU forward and its score sums, two more forwards (the same bits?), then
 * backward twice (the gradients must add: compared with twice the CPU's), then
 * the backward that takes the SH rest step (rest_step_err). */
static void gpu_compare(tgs_cuda_raster *gr, int exact, const tgs_gaussians *g, const tgs_view *v, const float *pw,
                        const float *v_img, const cpu_out *c, mode_report *rep, size_t *visible, size_t *pairs) {
    memset(rep, 0, sizeof *rep);
    const size_t npix = (size_t)v->width * (size_t)v->height, n = g->n;
    const size_t buf_floats = g->capacity * (size_t)g->floats_per_gaussian;
    tgs_cuda_raster_set_exact(gr, exact);
    float *d_params = dev_upload(g->params, buf_floats * sizeof(float));
    float *d_grads = dev_alloc(buf_floats * sizeof(float));
    float *d_img = dev_alloc(npix * 3 * sizeof(float)), *d_img2 = dev_alloc(npix * 3 * sizeof(float));
    float *d_pw = dev_upload(pw, npix * sizeof(float)), *d_vimg = dev_upload(v_img, npix * 3 * sizeof(float));
    float *d_score = dev_alloc(n * 4 * sizeof(float)), *d_vm = dev_alloc(n * 2 * sizeof(float));
    float *d_img3 = dev_alloc(npix * 3 * sizeof(float));
    tgs_gaussians dg = on_device(g, d_params, d_grads);
    OK_OR_DIE(tgs_cuda_raster_forward(gr, &dg, v, d_img));
    OK_OR_DIE(tgs_cuda_raster_score(gr, &dg, v, d_pw, d_score));
    OK_OR_DIE(tgs_cuda_raster_forward(gr, &dg, v, d_img3));
    OK_OR_DIE(tgs_cuda_raster_forward(gr, &dg, v, d_img2));
    *pairs = tgs_cuda_raster_pair_count(gr);
    OK_OR_DIE(tgs_cuda_raster_backward(gr, &dg, v, d_vimg, d_vm, NULL, 0));
    OK_OR_DIE(tgs_cuda_raster_backward(gr, &dg, v, d_vimg, d_vm, NULL, 0));
    /* a gradient buffer that ends before the SH rest group (allocated to that size): the rest gradient is dropped */
    tgs_gaussians dg0 = dg;
    dg0.grad_floats = (int)g->offset[TGS_G_REST];
    const size_t cut_floats = g->capacity * (size_t)dg0.grad_floats;
    float *d_grads0 = dev_alloc(cut_floats * sizeof(float)), *grads0 = xcalloc(cut_floats, sizeof(float));
    dg0.grads = d_grads0;
    OK_OR_DIE(tgs_cuda_raster_backward(gr, &dg0, v, d_vimg, NULL, NULL, 0));
    CU(cudaDeviceSynchronize());
    download(grads0, d_grads0, cut_floats * sizeof(float));
    for (int grp = 0; grp < TGS_G_COUNT; grp++)
        if (grp != TGS_G_REST) {
            const size_t base = g->capacity * g->offset[grp], len = n * (size_t)g->width[grp];
            rep->no_rest_rel = fmax(rep->no_rest_rel, rel_err(g->grads + base, grads0 + base, len, 1.0));
        }
    free(grads0);
    cudaFree(d_grads0);
    rep->rest_step_rel = fmax(rest_step_err(gr, g, v, d_vimg, 0), rest_step_err(gr, g, v, d_vimg, 1));
    float *img = xcalloc(npix * 3, sizeof(float)), *img2 = xcalloc(npix * 3, sizeof(float));
    float *score = xcalloc(n * 4, sizeof(float)), *vm = xcalloc(n * 2, sizeof(float));
    float *grads = xcalloc(buf_floats, sizeof(float)), *depth = xcalloc(n, sizeof(float));
    int *radii = xcalloc(n, sizeof(int));
    download(img, d_img, npix * 3 * sizeof(float));
    download(img2, d_img2, npix * 3 * sizeof(float));
    float *img3 = xcalloc(npix * 3, sizeof(float));
    download(img3, d_img3, npix * 3 * sizeof(float));
    download(score, d_score, n * 4 * sizeof(float));
    download(vm, d_vm, n * 2 * sizeof(float));
    download(grads, d_grads, buf_floats * sizeof(float));
    download(radii, tgs_cuda_raster_radii(gr), n * sizeof(int));
    download(depth, tgs_cuda_raster_depths(gr), n * sizeof(float));

    /* the image against the CPU; the same bits every time */
    image_diff(c->img, img, npix * 3, rep);
    rep->img_repeat_ok = memcmp(img, img2, npix * 3 * sizeof(float)) == 0 &&
                         memcmp(img2, img3, npix * 3 * sizeof(float)) == 0;
    *visible = 0;
    for (size_t i = 0; i < n; i++) {
        if (c->radii[i] != radii[i]) {
            if (rep->radii_bad < 3)
                fprintf(stderr, "  radius of Gaussian %zu: CPU %d, GPU %d\n", i, c->radii[i], radii[i]);
            rep->radii_bad++;
        }
        if (c->radii[i] > 0) {
            (*visible)++;
            rep->depth_rel = fmax(rep->depth_rel, fabs((double)c->depth[i] - depth[i]) / fabs((double)c->depth[i]));
        }
    }
    float *a = xcalloc(n, sizeof(float)), *b = xcalloc(n, sizeof(float));
    for (int k = 0; k < 4; k++) {
        for (size_t i = 0; i < n; i++)
            a[i] = c->score[4 * i + k], b[i] = score[4 * i + k];
        rep->score_rel = fmax(rep->score_rel, rel_err(a, b, n, 1.0));
    }
    free(a), free(b);
    for (int grp = 0; grp < TGS_G_COUNT; grp++) {
        size_t base = g->capacity * g->offset[grp], len = n * (size_t)g->width[grp];
        rep->grad_rel[grp] = rel_err(g->grads + base, grads + base, len, 2.0); /* two backward calls */
        if (!(rep->grad_rel[grp] <= rep->grad_worst)) {
            rep->grad_worst = rep->grad_rel[grp];
            rep->grad_worst_group = grp;
        }
    }
    rep->vm_rel = rel_err(c->vm, vm, n * 2, 1.0);
    free(img), free(img2), free(img3), free(score), free(vm), free(grads), free(depth), free(radii);
    cudaFree(d_params), cudaFree(d_grads), cudaFree(d_img), cudaFree(d_img2), cudaFree(d_img3), cudaFree(d_pw);
    cudaFree(d_vimg);
    cudaFree(d_score), cudaFree(d_vm);
    tgs_cuda_raster_set_exact(gr, 0);
}

/* CPU forward (with scores) and backward on g for view v, then both GPU modes
 * against it. g->grads is overwritten. */
static void compare_render(tgs_raster *cr, tgs_cuda_raster *gr, tgs_gaussians *g, const tgs_view *v, uint64_t seed,
                           report *rep) {
    memset(rep, 0, sizeof *rep);
    const size_t npix = (size_t)v->width * (size_t)v->height, n = g->n;
    tgs_rng rng;
    tgs_rng_seed(&rng, seed, 7);
    float *pw = xcalloc(npix, sizeof(float)), *v_img = xcalloc(npix * 3, sizeof(float));
    for (size_t i = 0; i < npix; i++)
        pw[i] = (float)tgs_rng_uniform(&rng);
    for (size_t i = 0; i < npix * 3; i++)
        v_img[i] = (float)(2.0 * tgs_rng_uniform(&rng) - 1.0);
    cpu_out c;
    c.img = xcalloc(npix * 3, sizeof(float));
    c.score = xcalloc(n * 4, sizeof(float));
    c.vm = xcalloc(n * 2, sizeof(float));
    c.radii = xcalloc(n, sizeof(int));
    c.depth = xcalloc(n, sizeof(float));
    OK_OR_DIE(tgs_raster_forward(cr, g, v, c.img, pw, c.score));
    memcpy(c.radii, tgs_raster_radii(cr), n * sizeof(int));
    memcpy(c.depth, tgs_raster_depths(cr), n * sizeof(float));
    memset(g->grads, 0, g->capacity * (size_t)g->floats_per_gaussian * sizeof(float));
    OK_OR_DIE(tgs_raster_backward(cr, g, v, v_img, c.vm));
    gpu_compare(gr, 0, g, v, pw, v_img, &c, &rep->fast, &rep->visible, &rep->pairs);
    gpu_compare(gr, 1, g, v, pw, v_img, &c, &rep->exact, &rep->visible, &rep->pairs);
    free(pw), free(v_img), free(c.img), free(c.score), free(c.vm), free(c.radii), free(c.depth);
}

/* Pass rules. Exact mode: image max |diff| <= 1e-4, scores and gradients
 * within 1e-3 (relative to the largest CPU value). Fast mode (training): the
 * same except that a pixel may stop one Gaussian apart from the CPU at the
 * T >= 1e-4 rule (fast expf ulps in T): 99.9% of the values within 1e-4, at
 * most 0.1% beyond, none beyond 2e-2, gradients and scores within 1e-2. Both:
 * radii identical, depths equal, images bitwise repeatable, the SH rest step
 * in the backward within 1e-4 of the CPU's Adam (rest_step_err), the
 * gradients into a buffer without the rest group within the gradients' bound. */
static int mode_ok(const mode_report *r, int exact) {
    int ok = r->img_repeat_ok && r->radii_bad == 0 && r->depth_rel <= 1e-6 && r->rest_step_rel <= 1e-4 &&
             r->no_rest_rel <= (exact ? 1e-3 : 1e-2);
    if (exact)
        return ok && r->img_max <= 1e-4 && r->score_rel <= 1e-3 && r->grad_worst <= 1e-3 && r->vm_rel <= 1e-3;
    return ok && r->img_p999 <= 1e-4 && r->img_frac <= 1e-3 && r->img_max <= 2e-2 && r->score_rel <= 1e-2 &&
           r->grad_worst <= 1e-2 && r->vm_rel <= 1e-2;
}

static int report_ok(const report *r) { return mode_ok(&r->exact, 1) && mode_ok(&r->fast, 0); }

static void print_header(void) {
    printf("%-40s %7s %8s | %-29s | %-38s | %5s  %s\n", "", "", "", "exact exp", "fast exp (training)", "", "");
    printf("%-40s %7s %8s | %9s %9s %9s | %9s %9s %9s %9s | %5s  %s\n", "case", "visible", "pairs", "img max",
           "grad rel", "score rel", "img max", "img p999", "grad rel", "score rel", "radii", "result");
}

static void print_mode_detail(const char *tag, const mode_report *r) {
    printf("    %s: groups", tag);
    for (int grp = 0; grp < TGS_G_COUNT; grp++)
        printf(" %s %.2e", tgs_param_group_name(grp), r->grad_rel[grp]);
    printf("; ndc %.2e, depth %.2e, >1e-4 frac %.2e, repeatable %d, rest step %.2e, no rest buffer %.2e\n",
           r->vm_rel, r->depth_rel, r->img_frac, r->img_repeat_ok, r->rest_step_rel, r->no_rest_rel);
}

static void print_row(const char *name, const report *r, int ok) {
    printf("%-40s %7zu %8zu | %9.2e %9.2e %9.2e | %9.2e %9.2e %9.2e %9.2e | %5d  %s\n", name, r->visible, r->pairs,
           r->exact.img_max, r->exact.grad_worst, r->exact.score_rel, r->fast.img_max, r->fast.img_p999,
           r->fast.grad_worst, r->fast.score_rel, r->fast.radii_bad + r->exact.radii_bad, ok ? "ok" : "FAIL");
    if (!ok) {
        print_mode_detail("exact", &r->exact);
        print_mode_detail("fast ", &r->fast);
    }
}

/* ---------------------------------------------------------------- random scenes */

static tgs_view make_view(tgs_rng *rng, int W, int H, int white, int deg, tgs_opacity_act act) {
    tgs_view v;
    memset(&v, 0, sizeof v);
    v.width = W;
    v.height = H;
    v.tan_fovx = tan(0.5 * (0.7 + 0.6 * tgs_rng_uniform(rng)));
    v.tan_fovy = v.tan_fovx * H / W;
    v.fx = W / (2 * v.tan_fovx);
    v.fy = H / (2 * v.tan_fovy);
    double a = 0.4 * (tgs_rng_uniform(rng) - 0.5), b = 0.4 * (tgs_rng_uniform(rng) - 0.5);
    double Ry[9] = {cos(a), 0, sin(a), 0, 1, 0, -sin(a), 0, cos(a)};
    double Rx[9] = {1, 0, 0, 0, cos(b), -sin(b), 0, sin(b), cos(b)};
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++) {
            double s = 0;
            for (int k = 0; k < 3; k++)
                s += Rx[3 * r + k] * Ry[3 * k + c];
            v.R[3 * r + c] = s;
        }
    for (int r = 0; r < 3; r++)
        v.campos[r] = tgs_rng_uniform(rng) - 0.5;
    for (int r = 0; r < 3; r++)
        v.t[r] = -(v.R[3 * r] * v.campos[0] + v.R[3 * r + 1] * v.campos[1] + v.R[3 * r + 2] * v.campos[2]);
    for (int c = 0; c < 3; c++)
        v.bg[c] = white ? 1.0f : 0.0f;
    v.sh_degree = deg;
    v.opacity_act = act;
    v.alpha_clamp_exact = tgs_rng_uniform(rng) < 0.5; /* both backward rules at the 0.99 clamp */
    return v;
}

/* The kinds of random scene. */
enum {
    SC_PLAIN,  /* sizes 0.3..40 px, opacities across the range */
    SC_DENSE,  /* faint Gaussians of 6..16 px: several batches of 256 per tile */
    SC_UNSEEN, /* all but every 128th under the 1/255 alpha threshold at every pixel: visible but no pairs, so
                * the Gaussians of a block's pairs span more than the pair emission stages */
};

/* n Gaussians placed in camera space (mostly in the frustum, some behind the
 * camera or beyond the 1.3 tan(fov/2) clamp) and moved to world space. */
static void fill_scene(tgs_gaussians *g, size_t n, tgs_rng *rng, const tgs_view *v, int kind) {
    const int dense = kind == SC_DENSE;
    tgs_param_view p = tgs_gaussians_view(g, g->params);
    const int kr = tgs_sh_rest_count(g->sh_degree);
    g->n = n;
    for (size_t i = 0; i < n; i++) {
        double u = tgs_rng_uniform(rng);
        double z = u < 0.03 ? -1.0 + 1.3 * tgs_rng_uniform(rng) : 0.8 + 7.0 * tgs_rng_uniform(rng);
        double zz = fabs(z) + 0.5;
        double pc[3] = {zz * v->tan_fovx * (3.2 * tgs_rng_uniform(rng) - 1.6),
                        zz * v->tan_fovy * (3.2 * tgs_rng_uniform(rng) - 1.6), z};
        for (int r = 0; r < 3; r++) /* world = R^T (pc - t) */
            p.means[3 * i + r] = (float)(v->R[r] * (pc[0] - v->t[0]) + v->R[3 + r] * (pc[1] - v->t[1]) +
                                         v->R[6 + r] * (pc[2] - v->t[2]));
        double px = dense ? 6.0 + 10.0 * tgs_rng_uniform(rng) /* size in pixels */
                          : exp(log(0.3) + tgs_rng_uniform(rng) * log(40.0 / 0.3));
        if (n < 10000 && i % 97 == 5)
            px = 150.0; /* a few covering most of a small image */
        double world = px * zz * 2.0 * v->tan_fovx / v->width;
        for (int k = 0; k < 3; k++)
            p.scale_raw[3 * i + k] = (float)log(world * exp(2.0 * (tgs_rng_uniform(rng) - 0.5)));
        double u_op = tgs_rng_uniform(rng);
        const int abs_op = v->opacity_act == TGS_OPACITY_ABS;
        if (dense) /* faint: lists of several hundred per tile that few pixels finish early */
            p.opacity_raw[i] = abs_op ? (float)(0.1 * u_op - 0.05) : (float)(-5.0 + 2.5 * u_op);
        else if (kind == SC_UNSEEN && i % 128 != 0) /* opacity under 1/255 */
            p.opacity_raw[i] = abs_op ? (float)(0.006 * u_op - 0.003) : (float)(-8.0 - u_op);
        else
            p.opacity_raw[i] = abs_op ? (float)(2.0 * u_op - 1.0) : (float)(10.0 * u_op - 5.0);
        for (int k = 0; k < 4; k++)
            p.rot_raw[4 * i + k] = i == 1 ? 0.0f : (float)(tgs_rng_uniform(rng) - 0.5 + (k == 0 ? 0.3 : 0.0));
        for (int c = 0; c < 3; c++)
            p.sh_dc[3 * i + c] = (float)(4.0 * tgs_rng_uniform(rng) - 2.0);
        for (int k = 0; k < 3 * kr; k++)
            p.sh_rest[(size_t)3 * kr * i + k] = (float)(0.6 * (tgs_rng_uniform(rng) - 0.5));
    }
}

typedef struct {
    size_t n;
    int deg, active, w, h, white;
    tgs_opacity_act act;
    int kind; /* SC_* */
} scene_case;

/* The contract edges: empty model, culled-only model, score without weights,
 * a count beyond the capacity, views too large; returns 1 on failure. */
static int check_edges(tgs_cuda_raster *gr) {
    tgs_gaussians *g = NULL;
    OK_OR_DIE(tgs_gaussians_create(8, 0, 1, &g));
    tgs_rng rng;
    tgs_rng_seed(&rng, 5, 3);
    tgs_view v = make_view(&rng, 40, 30, 1, 0, TGS_OPACITY_SIGMOID);
    float *d_params = dev_upload(g->params, 8 * (size_t)g->floats_per_gaussian * sizeof(float));
    float *d_img = dev_alloc(40 * 30 * 3 * sizeof(float)), *d_score = dev_alloc(8 * 4 * sizeof(float));
    float img[40 * 30 * 3];
    int bad = 0;
    tgs_gaussians dg = on_device(g, d_params, NULL);
    OK_OR_DIE(tgs_cuda_raster_forward(gr, &dg, &v, d_img));
    download(img, d_img, sizeof img);
    for (int i = 0; i < 40 * 30 * 3; i++)
        bad += img[i] != 1.0f;
    dg.n = 8; /* all-zero parameters: zero quaternions, every Gaussian culled */
    OK_OR_DIE(tgs_cuda_raster_forward(gr, &dg, &v, d_img));
    download(img, d_img, sizeof img);
    for (int i = 0; i < 40 * 30 * 3; i++)
        bad += img[i] != 1.0f;
    bad += tgs_cuda_raster_pair_count(gr) != 0;
    tgs_status st = tgs_cuda_raster_score(gr, &dg, &v, NULL, d_score); /* no weights */
    bad += st != TGS_ERR_ARG;
    dg.n = 7; /* not the forward's count (d_img serves as weights) */
    st = tgs_cuda_raster_score(gr, &dg, &v, d_img, d_score);
    bad += st != TGS_ERR_ARG || !strstr(tgs_error_message(), "matching forward");
    dg.n = 9; /* beyond the capacity */
    st = tgs_cuda_raster_forward(gr, &dg, &v, d_img);
    bad += st != TGS_ERR_ARG;
    dg.n = 8;
    /* views too large for 32-bit tile keys are refused before anything is
     * allocated: 2^19 x 2^18 pixels make exactly 2^31 8x8 tiles */
    const size_t bytes_before = tgs_cuda_raster_bytes(gr);
    const int sides[3][2] = {{1 << 19, 1 << 19}, {1 << 19, 1 << 18}, {(1 << 19) + 1, 16}};
    for (int k = 0; k < 3; k++) {
        tgs_view big = v;
        big.width = sides[k][0];
        big.height = sides[k][1];
        st = tgs_cuda_raster_forward(gr, &dg, &big, d_img);
        bad += st != TGS_ERR_ARG || !strstr(tgs_error_message(), k < 2 ? "tiles" : "render size");
    }
    bad += tgs_cuda_raster_bytes(gr) != bytes_before;
    printf("%-34s %s\n", "edge cases (empty, culled, args, size)", bad ? "FAIL" : "ok");
    cudaFree(d_params), cudaFree(d_img), cudaFree(d_score);
    tgs_gaussians_destroy(g);
    return bad != 0;
}

static int run_random(void) {
    static const scene_case cases[] = {
        /* N    deg act  W    H  white  opacity            kind */
        {5, 0, 0, 37, 29, 0, TGS_OPACITY_SIGMOID, SC_PLAIN},
        {50, 1, 1, 100, 75, 1, TGS_OPACITY_SIGMOID, SC_PLAIN},
        {300, 2, 2, 173, 131, 0, TGS_OPACITY_ABS, SC_PLAIN},
        {2000, 3, 3, 256, 144, 1, TGS_OPACITY_SIGMOID, SC_PLAIN},
        {2000, 3, 1, 199, 101, 0, TGS_OPACITY_SIGMOID, SC_PLAIN},
        {1000, 3, 3, 64, 48, 0, TGS_OPACITY_ABS, SC_PLAIN},
        {700, 0, 0, 320, 240, 1, TGS_OPACITY_SIGMOID, SC_PLAIN},
        {2000, 2, 2, 255, 257, 0, TGS_OPACITY_SIGMOID, SC_PLAIN},
        {1500, 1, 0, 150, 333, 1, TGS_OPACITY_ABS, SC_PLAIN},
        {120, 3, 3, 90, 70, 1, TGS_OPACITY_SIGMOID, SC_PLAIN},
        {150, 3, 1, 77, 51, 0, TGS_OPACITY_SIGMOID, SC_PLAIN},
        {200, 1, 0, 60, 100, 1, TGS_OPACITY_ABS, SC_PLAIN},
        {700, 2, 2, 48, 40, 0, TGS_OPACITY_SIGMOID, SC_DENSE},
        {600, 1, 1, 40, 36, 1, TGS_OPACITY_ABS, SC_DENSE},
        {8000, 1, 1, 64, 48, 0, TGS_OPACITY_SIGMOID, SC_UNSEEN},
        {6000, 0, 0, 80, 60, 1, TGS_OPACITY_ABS, SC_UNSEEN},
    };
    const int n_cases = (int)(sizeof cases / sizeof cases[0]), n_seeds = small_mode ? 1 : 3;
    int failures = 0;
    /* one GPU rasteriser for every case, created small: the scratch grows */
    tgs_cuda_raster *gr = NULL;
    OK_OR_DIE(tgs_cuda_raster_create(4, 16, 16, &gr));
    size_t pair_cap = tgs_cuda_raster_pair_capacity(gr);
    int pair_growths = 0;
    printf("(a) random scenes: CUDA vs CPU float (rules above mode_ok in the source)\n");
    print_header();
    for (int c = 0; c < n_cases; c++)
        for (int s = 0; s < n_seeds; s++) {
            const scene_case *sc = &cases[c];
            if (small_mode && sc->kind == SC_PLAIN && (sc->n > 300 || sc->w * sc->h > 180 * 140))
                continue;
            uint64_t seed = 1000 + 17 * (uint64_t)c + (uint64_t)s;
            tgs_rng rng;
            tgs_rng_seed(&rng, seed, 3);
            tgs_gaussians *g = NULL;
            OK_OR_DIE(tgs_gaussians_create(sc->n + 7, sc->deg, 1, &g)); /* capacity > n: layout strides */
            tgs_view v = make_view(&rng, sc->w, sc->h, sc->white, sc->active, sc->act);
            fill_scene(g, sc->n, &rng, &v, sc->kind);
            tgs_raster *cr = NULL;
            OK_OR_DIE(tgs_raster_create(g->capacity, sc->w, sc->h, &cr));
            report rep;
            compare_render(cr, gr, g, &v, seed, &rep);
            if (tgs_cuda_raster_pair_capacity(gr) != pair_cap) {
                pair_cap = tgs_cuda_raster_pair_capacity(gr);
                pair_growths++;
            }
            char name[320];
            snprintf(name, sizeof name, "s%llu N=%zu deg%d/%d %dx%d %s %s%s", (unsigned long long)seed, sc->n,
                     sc->active, sc->deg, sc->w, sc->h, sc->white ? "white" : "black",
                     sc->act == TGS_OPACITY_ABS ? "abs" : "sig",
                     sc->kind == SC_DENSE ? " dense" : sc->kind == SC_UNSEEN ? " unseen" : "");
            int ok = report_ok(&rep);
            failures += !ok;
            print_row(name, &rep, ok);
            tgs_raster_destroy(cr);
            tgs_gaussians_destroy(g);
        }
    printf("pair buffers grew %d times (capacity now %zu pairs); device scratch %.1f MiB\n", pair_growths, pair_cap,
           tgs_cuda_raster_bytes(gr) / 1048576.0);

    failures += check_edges(gr);
    tgs_cuda_raster_destroy(gr);
    return failures;
}

/* ---------------------------------------------------------------- fox and timing */

static const char *find_data_dir(const char *arg, char *buf, size_t size) {
    const char *cands[4] = {arg, getenv("TGS_DATA_DIR"), TGS_DATA_DIR, ".data"};
    for (int k = 0; k < 4; k++) {
        if (!cands[k])
            continue;
        snprintf(buf, size, "%s/ref/fox4/point_cloud_30000.ply", cands[k]);
        FILE *f = fopen(buf, "rb");
        if (f) {
            fclose(f);
            return cands[k];
        }
    }
    return NULL;
}

typedef struct {
    double fwd, bwd;
} gpu_ms;

/* Mean GPU milliseconds of forward and of backward over reps (after a warm-up). */
static gpu_ms time_gpu(tgs_cuda_raster *gr, tgs_gaussians *dg /*device buffers*/, const tgs_view *v, float *d_img,
                       const float *d_vimg, float *d_vm, int reps) {
    cudaEvent_t e0, e1, e2;
    CU(cudaEventCreate(&e0));
    CU(cudaEventCreate(&e1));
    CU(cudaEventCreate(&e2));
    gpu_ms t = {0, 0};
    for (int k = -2; k < reps; k++) {
        CU(cudaEventRecord(e0, 0));
        OK_OR_DIE(tgs_cuda_raster_forward(gr, dg, v, d_img));
        CU(cudaEventRecord(e1, 0));
        OK_OR_DIE(tgs_cuda_raster_backward(gr, dg, v, d_vimg, d_vm, NULL, 0));
        CU(cudaEventRecord(e2, 0));
        CU(cudaEventSynchronize(e2));
        float a, b;
        CU(cudaEventElapsedTime(&a, e0, e1));
        CU(cudaEventElapsedTime(&b, e1, e2));
        if (k >= 0)
            t.fwd += a, t.bwd += b;
    }
    t.fwd /= reps;
    t.bwd /= reps;
    cudaEventDestroy(e0), cudaEventDestroy(e1), cudaEventDestroy(e2);
    return t;
}

/* CPU milliseconds of one forward and one backward. */
static gpu_ms time_cpu(tgs_raster *cr, tgs_gaussians *g, const tgs_view *v, float *img, const float *v_img, float *vm) {
    gpu_ms t;
    double t0 = tgs_now();
    OK_OR_DIE(tgs_raster_forward(cr, g, v, img, NULL, NULL));
    double t1 = tgs_now();
    OK_OR_DIE(tgs_raster_backward(cr, g, v, v_img, vm));
    double t2 = tgs_now();
    t.fwd = 1e3 * (t1 - t0);
    t.bwd = 1e3 * (t2 - t1);
    return t;
}

static int run_fox(const char *data) {
    char scene_path[1024], ply[1024];
    snprintf(scene_path, sizeof scene_path, "%s/fox", data);
    snprintf(ply, sizeof ply, "%s/ref/fox4/point_cloud_30000.ply", data);
    tgs_scene_options o = {scene_path, "images_4", -1, 1, 0, 0, 1, NULL, 0};
    tgs_scene s;
    tgs_gaussians *g0 = NULL, *g = NULL;
    OK_OR_DIE(tgs_scene_load(&o, &s));
    OK_OR_DIE(tgs_ply_read(ply, TGS_OPACITY_LINEAR, &g0));
    OK_OR_DIE(tgs_gaussians_create(g0->n, g0->sh_degree, 1, &g));
    g->n = g0->n;
    memcpy(g->params, g0->params, g0->capacity * (size_t)g0->floats_per_gaussian * sizeof(float));
    int maxw = 1, maxh = 1;
    for (int k = 0; k < s.n_test; k++) {
        maxw = TGS_MAX(maxw, s.cameras[s.test_idx[k]].width);
        maxh = TGS_MAX(maxh, s.cameras[s.test_idx[k]].height);
    }
    tgs_raster *cr = NULL;
    tgs_cuda_raster *gr = NULL;
    OK_OR_DIE(tgs_raster_create(g->capacity, maxw, maxh, &cr));
    OK_OR_DIE(tgs_cuda_raster_create(g->capacity, maxw, maxh, &gr));
    int failures = 0;
    const float bg[3] = {0, 0, 0};
    printf("\n(b) fox reference PLY (%zu Gaussians, SH degree %d) on %d test views, %dx%d max\n", g->n, g->sh_degree,
           s.n_test, maxw, maxh);
    print_header();
    for (int k = 0; k < s.n_test; k++) {
        const tgs_camera *c = &s.cameras[s.test_idx[k]];
        tgs_view v = tgs_view_from_camera(c, bg, g->sh_degree);
        report rep;
        compare_render(cr, gr, g, &v, 77 + (uint64_t)k, &rep);
        char name[320];
        snprintf(name, sizeof name, "fox %s %dx%d", c->image_name, c->width, c->height);
        int ok = report_ok(&rep);
        failures += !ok;
        print_row(name, &rep, ok);
    }

    printf("\n(c) timing (ms; GPU mean of 20 after warm-up, fast exp unless named exact; CPU %d threads, one run)\n",
           tgs_get_threads());
    printf("%-34s %9s %9s %9s %9s %9s %9s\n", "view", "pairs", "gpu fwd", "gpu bwd", "exact fwd", "cpu fwd",
           "cpu bwd");
    const size_t buf = g->capacity * (size_t)g->floats_per_gaussian;
    float *d_params = dev_upload(g->params, buf * sizeof(float)), *d_grads = dev_alloc(buf * sizeof(float));
    tgs_gaussians dg = on_device(g, d_params, d_grads);
    float *d_img = dev_alloc((size_t)maxw * maxh * 3 * sizeof(float));
    float *d_vm = dev_alloc(g->n * 2 * sizeof(float));
    float *img = xcalloc((size_t)maxw * maxh * 3, sizeof(float)), *vm = xcalloc(g->n * 2, sizeof(float));
    float *v_img = xcalloc((size_t)maxw * maxh * 3, sizeof(float));
    for (size_t i = 0; i < (size_t)maxw * maxh * 3; i++)
        v_img[i] = 1e-3f * (float)((i * 2654435761u) % 2001) / 1000.0f - 1e-3f;
    float *d_vimg = dev_upload(v_img, (size_t)maxw * maxh * 3 * sizeof(float));
    gpu_ms sum_g = {0, 0}, sum_c = {0, 0};
    double sum_e = 0;
    for (int k = 0; k < s.n_test; k++) {
        const tgs_camera *c = &s.cameras[s.test_idx[k]];
        tgs_view v = tgs_view_from_camera(c, bg, g->sh_degree);
        tgs_cuda_raster_set_exact(gr, 1);
        gpu_ms te = time_gpu(gr, &dg, &v, d_img, d_vimg, d_vm, 20);
        tgs_cuda_raster_set_exact(gr, 0);
        gpu_ms tg = time_gpu(gr, &dg, &v, d_img, d_vimg, d_vm, 20);
        gpu_ms tc = time_cpu(cr, g, &v, img, v_img, vm);
        printf("%-34s %9zu %9.3f %9.3f %9.3f %9.2f %9.2f\n", c->image_name, tgs_cuda_raster_pair_count(gr), tg.fwd,
               tg.bwd, te.fwd, tc.fwd, tc.bwd);
        sum_g.fwd += tg.fwd, sum_g.bwd += tg.bwd, sum_c.fwd += tc.fwd, sum_c.bwd += tc.bwd, sum_e += te.fwd;
    }
    printf("%-34s %9s %9.3f %9.3f %9.3f %9.2f %9.2f\n", "mean", "", sum_g.fwd / s.n_test, sum_g.bwd / s.n_test,
           sum_e / s.n_test, sum_c.fwd / s.n_test, sum_c.bwd / s.n_test);
    cudaFree(d_params), cudaFree(d_grads), cudaFree(d_img), cudaFree(d_vm), cudaFree(d_vimg);
    free(img), free(vm), free(v_img);
    tgs_cuda_raster_destroy(gr);
    tgs_raster_destroy(cr);
    tgs_gaussians_destroy(g);
    tgs_gaussians_destroy(g0);
    tgs_scene_free(&s);
    return failures;
}

/* A large random scene: comparison (fox tolerance) and timing. */
static int run_large(void) {
    const size_t n = 500000;
    const int W = 1600, H = 1064;
    tgs_rng rng;
    tgs_rng_seed(&rng, 99, 3);
    tgs_gaussians *g = NULL;
    OK_OR_DIE(tgs_gaussians_create(n, 3, 1, &g));
    tgs_view v = make_view(&rng, W, H, 0, 3, TGS_OPACITY_SIGMOID);
    fill_scene(g, n, &rng, &v, 0);
    tgs_raster *cr = NULL;
    tgs_cuda_raster *gr = NULL;
    OK_OR_DIE(tgs_raster_create(n, W, H, &cr));
    OK_OR_DIE(tgs_cuda_raster_create(n, W, H, &gr));
    printf("\n(d) large random scene: %zu Gaussians, SH degree 3, %dx%d\n", n, W, H);
    print_header();
    report rep;
    compare_render(cr, gr, g, &v, 4242, &rep);
    int ok = report_ok(&rep);
    print_row("random 500k 1600x1064", &rep, ok);
    const size_t buf = g->capacity * (size_t)g->floats_per_gaussian, npix = (size_t)W * H;
    float *d_params = dev_upload(g->params, buf * sizeof(float)), *d_grads = dev_alloc(buf * sizeof(float));
    tgs_gaussians dg = on_device(g, d_params, d_grads);
    float *d_img = dev_alloc(npix * 3 * sizeof(float)), *d_vm = dev_alloc(n * 2 * sizeof(float));
    float *v_img = xcalloc(npix * 3, sizeof(float)), *img = xcalloc(npix * 3, sizeof(float));
    float *vm = xcalloc(n * 2, sizeof(float));
    for (size_t i = 0; i < npix * 3; i++)
        v_img[i] = 1e-3f;
    float *d_vimg = dev_upload(v_img, npix * 3 * sizeof(float));
    gpu_ms tg = time_gpu(gr, &dg, &v, d_img, d_vimg, d_vm, 20);
    gpu_ms tc = time_cpu(cr, g, &v, img, v_img, vm);
    printf("%-34s %9s %9s %9s %9s %9s\n", "timing (ms)", "pairs", "gpu fwd", "gpu bwd", "cpu fwd", "cpu bwd");
    printf("%-34s %9zu %9.3f %9.3f %9.2f %9.2f\n", "random 500k 1600x1064", tgs_cuda_raster_pair_count(gr), tg.fwd,
           tg.bwd, tc.fwd, tc.bwd);
    printf("device scratch %.1f MiB, pair capacity %zu\n", tgs_cuda_raster_bytes(gr) / 1048576.0,
           tgs_cuda_raster_pair_capacity(gr));
    cudaFree(d_params), cudaFree(d_grads), cudaFree(d_img), cudaFree(d_vm), cudaFree(d_vimg);
    free(v_img), free(img), free(vm);
    tgs_cuda_raster_destroy(gr);
    tgs_raster_destroy(cr);
    tgs_gaussians_destroy(g);
    return !ok;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0); /* rows appear as they are measured */
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
        printf("skipped: no CUDA device\n");
        return 77;
    }
    struct cudaDeviceProp prop;
    CU(cudaGetDeviceProperties(&prop, 0));
    printf("device: %s (sm_%d%d), CPU threads %d\n\n", prop.name, prop.major, prop.minor, tgs_get_threads());
    const char *data_arg = NULL;
    int quick = 0;
    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "quick") == 0)
            quick = 1;
        else if (strcmp(argv[k], "small") == 0)
            small_mode = quick = 1;
        else
            data_arg = argv[k];
    }
    int failures = run_random();
    char buf[1200];
    const char *data = small_mode ? NULL : find_data_dir(data_arg, buf, sizeof buf);
    if (data)
        failures += run_fox(data);
    else
        printf("\n(b), (c) skipped: no fox data (give the data folder as argv[1] or TGS_DATA_DIR)\n");
    if (!quick)
        failures += run_large();
    check_failures += failures;
    return check_report("test_gpu_raster");
}
