/* test_raster_grad.c - the rasteriser's gradients against central finite
 * differences in double precision, and the float path against the double one.
 *
 * Loss = sum(img * U) for a random upstream U, so dL/dimg = U. Scenes are small
 * (a few Gaussians covering a 2x2-tile image) so every Gaussian's tile rect holds
 * all pixels and no pixel sits on the alpha >= 1/255 or T >= 1e-4 thresholds. */
#include "check.h"
#include "raster/cpu/raster_cpu.h"
#include "tgs/loss.h"
#include "tgs/rng.h"

#include <math.h>
#include <string.h>

enum { NG = 5, W = 30, H = 22 };

typedef struct {
    int deg, k;
    double means[NG * 3], dc[NG * 3], rest[NG * 45], op[NG], scale[NG * 3], rot[NG * 4];
} scene;

static double *group(scene *s, int gidx, int *len) {
    switch (gidx) {
    case 0: *len = NG * 3; return s->means;
    case 1: *len = NG * 3; return s->dc;
    case 2: *len = NG * 3 * s->k; return s->rest;
    case 3: *len = NG; return s->op;
    case 4: *len = NG * 3; return s->scale;
    default: *len = NG * 4; return s->rot;
    }
}

static tgs_view make_view(double bg, int deg, tgs_opacity_act act) {
    tgs_view v = {0};
    v.alpha_clamp_exact = 1; /* finite differences see the clamp */
    v.width = W;
    v.height = H;
    v.tan_fovx = tan(0.5 * 0.9);
    v.tan_fovy = v.tan_fovx * H / W;
    v.fx = W / (2 * v.tan_fovx);
    v.fy = H / (2 * v.tan_fovy);
    /* a slightly rotated camera at (0.1,-0.2,-4) looking down +z */
    double a = 0.1;
    double R[9] = {cos(a), 0, sin(a), 0, 1, 0, -sin(a), 0, cos(a)};
    memcpy(v.R, R, sizeof R);
    double C[3] = {0.1, -0.2, -4};
    for (int r = 0; r < 3; r++) {
        v.campos[r] = C[r];
        v.t[r] = -(R[3 * r] * C[0] + R[3 * r + 1] * C[1] + R[3 * r + 2] * C[2]);
    }
    v.bg[0] = (float)bg, v.bg[1] = (float)(0.5 * bg), v.bg[2] = (float)(0.25 * bg);
    v.sh_degree = deg;
    v.opacity_act = act;
    return v;
}

static void random_scene(scene *s, tgs_rng *rng, int deg, int offscreen) {
    memset(s, 0, sizeof *s);
    s->deg = deg;
    s->k = (deg + 1) * (deg + 1) - 1;
    for (int i = 0; i < NG; i++) {
        s->means[3 * i] = 0.6 * (tgs_rng_uniform(rng) - 0.5);
        s->means[3 * i + 1] = 0.5 * (tgs_rng_uniform(rng) - 0.5);
        s->means[3 * i + 2] = 0.5 * (tgs_rng_uniform(rng) - 0.5);
        for (int c = 0; c < 3; c++) {
            s->dc[3 * i + c] = 1.2 * (tgs_rng_uniform(rng) - 0.3);
            s->scale[3 * i + c] = log(0.25 + 0.35 * tgs_rng_uniform(rng));
        }
        for (int j = 0; j < 3 * s->k; j++)
            s->rest[3 * s->k * i + j] = 0.3 * (tgs_rng_uniform(rng) - 0.5);
        s->op[i] = 1.5 * (tgs_rng_uniform(rng) - 0.5);
        for (int c = 0; c < 4; c++)
            s->rot[4 * i + c] = tgs_rng_uniform(rng) - 0.5 + (c == 0 ? 1.0 : 0.0);
    }
    if (offscreen) { /* beyond 1.3 tan(fov/2): exercises the EWA clamp */
        s->means[0] = 3.3;
        s->means[2] = 0.5;
        s->scale[0] = s->scale[1] = s->scale[2] = log(1.2);
    }
}

static tgs_rparams_f64 params_of(scene *s) {
    tgs_rparams_f64 p = {NG, s->k, s->means, s->dc, s->rest, s->op, s->scale, s->rot};
    return p;
}

static double loss_of(tgs_rctx_f64 *c, scene *s, const tgs_view *v, const double *U) {
    double img[W * H * 3];
    tgs_rparams_f64 p = params_of(s);
    if (tgs_raster_cpu_forward_f64(c, &p, v, img, NULL, NULL) != TGS_OK)
        return NAN;
    double L = 0;
    for (int i = 0; i < W * H * 3; i++)
        L += img[i] * U[i];
    return L;
}

/* Returns the worst error of any group, relative to that group's largest gradient. */
static double check_fd(scene *s, const tgs_view *v, const double *U, const char *tag) {
    tgs_rctx_f64 c = {0};
    double img[W * H * 3];
    tgs_rparams_f64 p = params_of(s);
    CHECK_OK(tgs_raster_cpu_forward_f64(&c, &p, v, img, NULL, NULL));
    scene g;
    memset(&g, 0, sizeof g);
    tgs_rgrads_f64 gr = {g.means, g.dc, g.rest, g.op, g.scale, g.rot};
    double v_m2[NG * 2];
    CHECK_OK(tgs_raster_cpu_backward_f64(&c, &p, v, U, &gr, v_m2));
    int visible = 0;
    for (int i = 0; i < NG; i++)
        visible += c.radius[i] > 0;
    CHECK(visible >= NG - 1, "%s: only %d Gaussians visible", tag, visible);
    if (strcmp(tag, "clampEWA") == 0) { /* Gaussian 0 must be visible with x/z beyond the clamp */
        double xv = v->R[0] * s->means[0] + v->R[1] * s->means[1] + v->R[2] * s->means[2] + v->t[0];
        double zv = v->R[6] * s->means[0] + v->R[7] * s->means[1] + v->R[8] * s->means[2] + v->t[2];
        CHECK(c.radius[0] > 0 && xv / zv > 1.3 * v->tan_fovx, "clamp case not exercised (radius %d, x/z %.2f)",
              c.radius[0], xv / zv);
    }
    g.deg = s->deg;
    g.k = s->k;
    double worst = 0;
    const double h = 1e-6;
    for (int gi = 0; gi < 6; gi++) {
        int len;
        double *x = group(s, gi, &len), *an = group(&g, gi, &len);
        double maxg = 0, maxerr = 0;
        for (int j = 0; j < len; j++) {
            double x0 = x[j];
            x[j] = x0 + h;
            double lp = loss_of(&c, s, v, U);
            x[j] = x0 - h;
            double lm = loss_of(&c, s, v, U);
            x[j] = x0;
            double num = (lp - lm) / (2 * h);
            maxg = fmax(maxg, fabs(num));
            maxerr = fmax(maxerr, fabs(num - an[j]));
        }
        double rel = maxg > 0 ? maxerr / maxg : maxerr;
        printf("  %-10s %-12s max|grad| %.3e  max rel err %.2e\n", tag, tgs_param_group_name(gi), maxg, rel);
        if (gi == 2 && s->k == 0)
            continue;
        CHECK(maxg > 0 || gi == 2, "%s: %s gradient is identically zero", tag, tgs_param_group_name(gi));
        worst = fmax(worst, rel);
    }
    tgs_rctx_free_f64(&c);
    return worst;
}

/* Float gradients against double ones on the same scene. */
static double check_float(scene *s, const tgs_view *v, const double *U) {
    static float fm[NG * 3], fdc[NG * 3], fr[NG * 45], fo[NG], fs[NG * 3], fq[NG * 4], fU[W * H * 3];
    static float gm[NG * 3], gdc[NG * 3], grr[NG * 45], go[NG], gs[NG * 3], gq[NG * 4], fimg[W * H * 3];
    for (int i = 0; i < NG * 3; i++) fm[i] = (float)s->means[i], fdc[i] = (float)s->dc[i], fs[i] = (float)s->scale[i];
    for (int i = 0; i < NG * 3 * s->k; i++) fr[i] = (float)s->rest[i];
    for (int i = 0; i < NG; i++) fo[i] = (float)s->op[i];
    for (int i = 0; i < NG * 4; i++) fq[i] = (float)s->rot[i];
    for (int i = 0; i < W * H * 3; i++) fU[i] = (float)U[i];
    memset(gm, 0, sizeof gm), memset(gdc, 0, sizeof gdc), memset(grr, 0, sizeof grr);
    memset(go, 0, sizeof go), memset(gs, 0, sizeof gs), memset(gq, 0, sizeof gq);
    tgs_rctx_f32 c = {0};
    tgs_rparams_f32 p = {NG, s->k, fm, fdc, fr, fo, fs, fq};
    tgs_rgrads_f32 gr = {gm, gdc, grr, go, gs, gq};
    float v_m2[NG * 2];
    CHECK_OK(tgs_raster_cpu_forward_f32(&c, &p, v, fimg, NULL, NULL));
    CHECK_OK(tgs_raster_cpu_backward_f32(&c, &p, v, fU, &gr, v_m2));
    tgs_rctx_free_f32(&c);

    tgs_rctx_f64 cd = {0};
    double dimg[W * H * 3], dv_m2[NG * 2];
    scene g;
    memset(&g, 0, sizeof g);
    tgs_rparams_f64 pd = params_of(s);
    tgs_rgrads_f64 grd = {g.means, g.dc, g.rest, g.op, g.scale, g.rot};
    CHECK_OK(tgs_raster_cpu_forward_f64(&cd, &pd, v, dimg, NULL, NULL));
    CHECK_OK(tgs_raster_cpu_backward_f64(&cd, &pd, v, U, &grd, dv_m2));
    tgs_rctx_free_f64(&cd);
    double img_err = 0;
    for (int i = 0; i < W * H * 3; i++)
        img_err = fmax(img_err, fabs(fimg[i] - dimg[i]));
    CHECK(img_err < 1e-5, "float image differs from double by %.3e", img_err);
    const float *fg[6] = {gm, gdc, grr, go, gs, gq};
    double worst = 0;
    for (int gi = 0; gi < 6; gi++) {
        int len;
        double *dg = group(&g, gi, &len);
        if (gi == 2)
            len = NG * 3 * s->k;
        double maxg = 0, maxerr = 0;
        for (int j = 0; j < len; j++) {
            maxg = fmax(maxg, fabs(dg[j]));
            maxerr = fmax(maxerr, fabs(dg[j] - fg[gi][j]));
        }
        if (maxg > 0)
            worst = fmax(worst, maxerr / maxg);
    }
    return worst;
}

/* The full training loss (L1 + D-SSIM of the render against a target) through
 * the rasteriser: analytic chain vs central differences, double precision. */
static double full_loss(tgs_rctx_f64 *c, tgs_loss *L, scene *s, const tgs_view *v, const double *gt, double *v_img) {
    static double img[W * H * 3];
    tgs_rparams_f64 p = params_of(s);
    if (tgs_raster_cpu_forward_f64(c, &p, v, img, NULL, NULL) != TGS_OK)
        return NAN;
    return tgs_loss_forward_backward_f64(L, img, gt, NULL, W, H, 0.2, v_img, NULL, NULL);
}

static double check_full_loss(tgs_rng *rng) {
    scene s;
    random_scene(&s, rng, 3, 0);
    tgs_view v = make_view(0.5, 3, TGS_OPACITY_SIGMOID);
    static double gt[W * H * 3], v_img[W * H * 3];
    for (int i = 0; i < W * H * 3; i++)
        gt[i] = tgs_rng_uniform(rng);
    tgs_loss *L = NULL;
    CHECK_OK(tgs_loss_create(W, H, &L));
    tgs_rctx_f64 c = {0};
    full_loss(&c, L, &s, &v, gt, v_img);
    scene g;
    memset(&g, 0, sizeof g);
    tgs_rparams_f64 p = params_of(&s);
    tgs_rgrads_f64 gr = {g.means, g.dc, g.rest, g.op, g.scale, g.rot};
    CHECK_OK(tgs_raster_cpu_backward_f64(&c, &p, &v, v_img, &gr, NULL));
    g.k = s.k;
    double worst = 0;
    const double h = 1e-6;
    for (int gi = 0; gi < 6; gi++) {
        int len;
        double *x = group(&s, gi, &len), *an = group(&g, gi, &len), maxg = 0, maxerr = 0;
        for (int j = 0; j < len; j++) {
            double x0 = x[j];
            x[j] = x0 + h;
            double lp = full_loss(&c, L, &s, &v, gt, NULL);
            x[j] = x0 - h;
            double lm = full_loss(&c, L, &s, &v, gt, NULL);
            x[j] = x0;
            double num = (lp - lm) / (2 * h);
            maxg = fmax(maxg, fabs(num));
            maxerr = fmax(maxerr, fabs(num - an[j]));
        }
        printf("  %-10s %-12s max|grad| %.3e  max rel err %.2e\n", "fullloss", tgs_param_group_name(gi), maxg,
               maxerr / maxg);
        worst = fmax(worst, maxerr / maxg);
    }
    tgs_rctx_free_f64(&c);
    tgs_loss_destroy(L);
    return worst;
}

int main(void) {
    tgs_rng rng;
    tgs_rng_seed(&rng, 1234, 7);
    static double U[W * H * 3];
    for (int i = 0; i < W * H * 3; i++)
        U[i] = tgs_rng_uniform(&rng) - 0.5;
    double worst_fd = 0, worst_float = 0;
    struct { int deg, offscreen; tgs_opacity_act act; double bg; const char *tag; } cases[] = {
        {0, 0, TGS_OPACITY_SIGMOID, 0.0, "deg0"},
        {1, 0, TGS_OPACITY_SIGMOID, 1.0, "deg1+bg"},
        {2, 0, TGS_OPACITY_SIGMOID, 0.3, "deg2"},
        {3, 0, TGS_OPACITY_SIGMOID, 1.0, "deg3"},
        {3, 1, TGS_OPACITY_SIGMOID, 0.5, "clampEWA"},
        {3, 0, TGS_OPACITY_ABS, 0.0, "absopac"},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        for (int rep = 0; rep < 2; rep++) {
            scene s;
            random_scene(&s, &rng, cases[ci].deg, cases[ci].offscreen);
            tgs_view v = make_view(cases[ci].bg, cases[ci].deg, cases[ci].act);
            double e = check_fd(&s, &v, U, cases[ci].tag);
            worst_fd = fmax(worst_fd, e);
            worst_float = fmax(worst_float, check_float(&s, &v, U));
        }
    }
    double worst_full = check_full_loss(&rng);
    printf("worst FD relative error of the full loss through the renderer: %.3e\n", worst_full);
    CHECK(worst_full < 1e-6, "full-loss finite-difference error %.3e exceeds 1e-6", worst_full);
    printf("worst FD relative error (double): %.3e\n", worst_fd);
    printf("worst float vs double gradient relative error: %.3e\n", worst_float);
    CHECK(worst_fd < 1e-6, "finite-difference error %.3e exceeds 1e-6", worst_fd);
    CHECK(worst_float < 1e-3, "float gradients differ from double by %.3e", worst_float);
    return check_report("test_raster_grad");
}
