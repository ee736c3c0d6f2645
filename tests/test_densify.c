/* test_densify.c - densification building blocks (clone, split, remove keep
 * every buffer and statistic together), the statistics of split children,
 * classic densify-and-prune on a crafted model, statistics and opacity reset. */
#include "check.h"
#include "densify/densify_internal.h"
#include "tgs/densify.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Value of element e of group k of Gaussian `id` in buffer b (0 params, 1 grads,
 * 2 adam_m, 3 adam_v); exact in float. */
static float tagval(size_t id, int k, int e, int b) {
    return (float)(id * 1000 + (size_t)k * 100 + (size_t)e) + 0.25f * (float)b;
}

static float *buffer(const tgs_gaussians *g, int b) {
    float *bufs[4] = {g->params, g->grads, g->adam_m, g->adam_v};
    return bufs[b];
}

static float *elem(const tgs_gaussians *g, int b, size_t row, int k, int e) {
    return buffer(g, b) + g->capacity * g->offset[k] + row * (size_t)g->width[k] + (size_t)e;
}

/* Fills rows [0,n) of every buffer and the statistics from the row index. */
static void fill_tagged(tgs_gaussians *g, tgs_densify_stats *s, size_t n) {
    g->n = n;
    for (size_t i = 0; i < n; i++) {
        for (int b = 0; b < 4; b++)
            for (int k = 0; k < TGS_G_COUNT; k++)
                for (int e = 0; e < g->width[k]; e++)
                    *elem(g, b, i, k, e) = tagval(i, k, e, b);
        s->grad_accum[i] = (float)i + 0.125f;
        s->denom[i] = (float)i + 0.5f;
        s->max_radii[i] = (float)i + 0.75f;
    }
}

/* Row `row` holds Gaussian `id` unchanged, in every buffer and statistic. */
static int row_is(const tgs_gaussians *g, const tgs_densify_stats *s, size_t row, size_t id) {
    for (int b = 0; b < 4; b++)
        for (int k = 0; k < TGS_G_COUNT; k++)
            for (int e = 0; e < g->width[k]; e++)
                if (*elem(g, b, row, k, e) != tagval(id, k, e, b))
                    return 0;
    return s->grad_accum[row] == (float)id + 0.125f && s->denom[row] == (float)id + 0.5f &&
           s->max_radii[row] == (float)id + 0.75f;
}

/* Row `row` is a new row made from `id`: params of the groups other than
 * those in skip_mask copied, gradients, moments and statistics zero. */
static int row_is_new_from(const tgs_gaussians *g, const tgs_densify_stats *s, size_t row, size_t id, int skip_mask) {
    for (int k = 0; k < TGS_G_COUNT; k++) {
        for (int e = 0; e < g->width[k]; e++) {
            if (!(skip_mask & (1 << k)) && *elem(g, 0, row, k, e) != tagval(id, k, e, 0))
                return 0;
            for (int b = 1; b < 4; b++)
                if (*elem(g, b, row, k, e) != 0.0f)
                    return 0;
        }
    }
    return s->grad_accum[row] == 0 && s->denom[row] == 0 && s->max_radii[row] == 0;
}

static void test_building_blocks(void) {
    tgs_gaussians *g = NULL;
    tgs_densify_stats s = {0};
    CHECK_OK(tgs_gaussians_create(20, 3, 1, &g));
    if (!g)
        return;
    CHECK_OK(tgs_densify_stats_reserve(&s, 20));
    fill_tagged(g, &s, 20);

    /* clone: appended copies, capacity doubles */
    uint32_t cl[4] = {3, 7, 3, 19};
    CHECK_OK(tgs_densify_clone(g, &s, cl, 4));
    CHECK(g->n == 24 && g->capacity == 40, "after clone n %zu capacity %zu (expected 24, 40)", g->n, g->capacity);
    CHECK(s.capacity >= g->capacity, "stats capacity %zu", s.capacity);
    for (size_t i = 0; i < 20; i++)
        CHECK(row_is(g, &s, i, i), "clone moved original row %zu", i);
    for (size_t k = 0; k < 4; k++)
        CHECK(row_is_new_from(g, &s, 20 + k, cl[k], 0), "clone row %zu is not a fresh copy of %u", 20 + k, cl[k]);

    /* remove: stable compaction of everything */
    unsigned char rm[24] = {0};
    rm[0] = rm[5] = rm[10] = rm[19] = rm[21] = 1;
    tgs_densify_remove(g, &s, rm);
    CHECK(g->n == 19, "after remove n %zu (expected 19)", g->n);
    size_t row = 0;
    for (size_t i = 0; i < 20; i++) {
        if (rm[i])
            continue;
        CHECK(row_is(g, &s, row, i), "row %zu should hold Gaussian %zu", row, i);
        row++;
    }
    /* then clones 20, 22, 23 (of 3, 3, 19) */
    CHECK(row_is_new_from(g, &s, 16, 3, 0) && row_is_new_from(g, &s, 17, 3, 0) && row_is_new_from(g, &s, 18, 19, 0),
          "clones after remove");
    /* invalid index refused, nothing changed */
    uint32_t bad = 19;
    CHECK(tgs_densify_clone(g, &s, &bad, 1) == TGS_ERR_ARG && g->n == 19, "out-of-range clone index accepted");

    /* in-place split: child 0 replaces the parent, child 1 appended; children
     * scales log(exp(s) / 1.6) */
    tgs_rng rng;
    tgs_rng_seed(&rng, 5, 1);
    const int skip = (1 << TGS_G_MEANS) | (1 << TGS_G_SCALE);
    fill_tagged(g, &s, 10);
    uint32_t ip[2] = {2, 6};
    CHECK_OK(tgs_densify_split_inplace(g, &s, ip, 2, &rng));
    CHECK(g->n == 12, "in-place split n %zu (expected 12)", g->n);
    for (size_t i = 0; i < 10; i++)
        if (i != 2 && i != 6)
            CHECK(row_is(g, &s, i, i), "in-place split moved row %zu", i);
    CHECK(row_is_new_from(g, &s, 2, 2, skip) && row_is_new_from(g, &s, 10, 2, skip), "in-place children of 2");
    CHECK(row_is_new_from(g, &s, 6, 6, skip) && row_is_new_from(g, &s, 11, 6, skip), "in-place children of 6");
    for (int c = 0; c < 3; c++) {
        float want = (float)log(exp((double)tagval(6, TGS_G_SCALE, c, 0)) / 1.6);
        CHECK(*elem(g, 0, 6, TGS_G_SCALE, c) == want && *elem(g, 0, 11, TGS_G_SCALE, c) == want,
              "child scale %g (expected %g)", *elem(g, 0, 11, TGS_G_SCALE, c), want);
    }

    /* a model without optimiser state works too */
    tgs_gaussians *h = NULL;
    CHECK_OK(tgs_gaussians_create(2, 0, 0, &h));
    if (h) {
        h->n = 2;
        uint32_t one = 1;
        CHECK_OK(tgs_densify_clone(h, NULL, &one, 1));
        CHECK_OK(tgs_densify_split_inplace(h, NULL, &one, 1, &rng));
        unsigned char r2[4] = {1, 0, 1, 0};
        tgs_densify_remove(h, NULL, r2);
        CHECK(h->n == 2, "no-optimiser model n %zu (expected 2)", h->n);
    }
    tgs_gaussians_destroy(h);
    tgs_densify_stats_free(&s);
    tgs_densify_stats_free(&s); /* twice is harmless */
    tgs_densify_stats_free(NULL);
    tgs_gaussians_destroy(g);
}

/* Children of M copies of one anisotropic rotated parent, split in place:
 * mean mu, covariance R diag(s^2) R^T. */
static void test_split_distribution(void) {
    const size_t M = 20000; /* parents: 2M children */
    tgs_gaussians *g = NULL;
    CHECK_OK(tgs_gaussians_create(M, 0, 1, &g));
    if (!g)
        return;
    tgs_param_view v = tgs_gaussians_view(g, g->params);
    g->n = M;
    const double mu[3] = {1.5, -2.0, 0.25}, sc[3] = {0.5, 0.1, 0.02};
    const double q[4] = {2.0, 0.6, -0.8, 0.4}; /* not normalised on purpose */
    uint32_t *idx = calloc(M, sizeof *idx);
    for (size_t i = 0; i < M; i++) {
        for (int c = 0; c < 3; c++) {
            v.means[3 * i + c] = (float)mu[c];
            v.scale_raw[3 * i + c] = (float)log(sc[c]);
        }
        for (int c = 0; c < 4; c++)
            v.rot_raw[4 * i + c] = (float)q[c];
        idx[i] = (uint32_t)i;
    }
    tgs_rng rng;
    tgs_rng_seed(&rng, 1234, 3);
    CHECK_OK(tgs_densify_split_inplace(g, NULL, idx, M, &rng));
    free(idx);
    CHECK(g->n == 2 * M, "n %zu", g->n);
    v = tgs_gaussians_view(g, g->params);

    double qn = sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    double w = q[0] / qn, x = q[1] / qn, y = q[2] / qn, z = q[3] / qn;
    double R[3][3] = {{1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)},
                      {2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)},
                      {2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)}};
    double S[3][3];
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            S[a][b] = 0;
            for (int c = 0; c < 3; c++)
                S[a][b] += R[a][c] * sc[c] * sc[c] * R[b][c];
        }
    size_t N = 2 * M;
    double mean[3] = {0, 0, 0}, C[3][3] = {{0}};
    for (size_t i = 0; i < N; i++)
        for (int c = 0; c < 3; c++)
            mean[c] += v.means[3 * i + c];
    for (int c = 0; c < 3; c++)
        mean[c] /= (double)N;
    for (size_t i = 0; i < N; i++)
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++)
                C[a][b] += (v.means[3 * i + a] - mean[a]) * (v.means[3 * i + b] - mean[b]);
    for (int a = 0; a < 3; a++) {
        CHECK(fabs(mean[a] - mu[a]) < 4.5 * sqrt(S[a][a] / (double)N) + 1e-6, "child mean[%d] %g (expected %g)", a,
              mean[a], mu[a]);
        for (int b = 0; b < 3; b++) {
            C[a][b] /= (double)(N - 1);
            double tol = 0.03 * sqrt(S[a][a] * S[b][b]);
            CHECK(fabs(C[a][b] - S[a][b]) < tol, "child covariance [%d][%d] %g (expected %g +- %g)", a, b, C[a][b],
                  S[a][b], tol);
        }
    }
    for (size_t i = 0; i < N; i += 997)
        for (int c = 0; c < 3; c++) {
            double got = exp((double)v.scale_raw[3 * i + c]);
            CHECK(fabs(got - sc[c] / 1.6) < 1e-6 * sc[c], "child scale %g (expected %g)", got, sc[c] / 1.6);
        }
    tgs_gaussians_destroy(g);
}

static float logitf(double p) { return (float)log(p / (1 - p)); }

/* Crafted model (extent 10: clone/split at max scale 0.1, world-size prune at 1):
 *  0 clone | 1 split | 2 low grad | 3 never seen | 4 low opacity | 5 clone, low
 *  opacity (both pruned) | 6 grad == threshold: clone | 7 radius 30 | 8 split,
 *  children 0.9375 | 9 scale 2, low grad | 10 split, children 1.25 */
static void craft(tgs_gaussians *g, tgs_densify_stats *s) {
    tgs_param_view v = tgs_gaussians_view(g, g->params);
    g->n = 11;
    tgs_densify_stats_reset(s, 11);
    for (size_t i = 0; i < 11; i++) {
        for (int c = 0; c < 3; c++) {
            v.means[3 * i + c] = (float)i;
            v.scale_raw[3 * i + c] = logf(0.05f);
        }
        v.opacity_raw[i] = logitf(0.1);
        v.rot_raw[4 * i] = 1;
        s->grad_accum[i] = 0;
        s->denom[i] = 1;
    }
    const size_t high[] = {0, 1, 5, 8, 10};
    for (size_t k = 0; k < 5; k++) {
        s->grad_accum[high[k]] = 6e-4f;
        s->denom[high[k]] = 2;
    }
    s->grad_accum[2] = 1e-4f;
    s->denom[3] = 0;
    v.opacity_raw[4] = v.opacity_raw[5] = logitf(0.001);
    s->grad_accum[6] = 2e-4f;
    s->max_radii[7] = 30;
    v.scale_raw[3 * 1] = logf(0.5f);
    v.scale_raw[3 * 8 + 1] = logf(1.5f);
    v.scale_raw[3 * 9 + 2] = logf(2.0f);
    v.scale_raw[3 * 10] = logf(2.0f);
}

static void test_classic(void) {
    tgs_gaussians *g = NULL;
    tgs_densify_stats s = {0};
    CHECK_OK(tgs_gaussians_create(11, 1, 1, &g));
    if (!g)
        return;
    CHECK_OK(tgs_densify_stats_reserve(&s, 11));
    tgs_densify_params p = {.grad_threshold = 2e-4, .percent_dense = 0.01, .extent = 10.0, .min_opacity = 0.005,
                            .max_screen_size = 0, .opacity_act = TGS_OPACITY_SIGMOID};
    tgs_rng rng;
    tgs_rng_seed(&rng, 9, 0);
    tgs_densify_report rep = {0};
    for (int pass = 0; pass < 2; pass++) {
        craft(g, &s);
        p.size_rule = pass;
        p.max_screen_size = pass ? 20 : 0;
        CHECK_OK(tgs_densify_classic(g, &s, &p, &rng, &rep));
        size_t want_pruned = pass ? 7 : 3, want_after = pass ? 10 : 14;
        CHECK(rep.cloned == 3 && rep.split == 3 && rep.pruned == want_pruned && rep.n_before == 11 &&
                  rep.n_after == want_after && g->n == want_after,
              "pass %d: cloned %zu split %zu pruned %zu n %zu -> %zu (expected 3, 3, %zu, 11 -> %zu)", pass,
              rep.cloned, rep.split, rep.pruned, rep.n_before, rep.n_after, want_pruned, want_after);
        tgs_param_view v = tgs_gaussians_view(g, g->params);
        size_t low = 0, children = 0;
        for (size_t i = 0; i < g->n; i++) {
            low += v.opacity_raw[i] < logitf(0.005);
            children += fabsf(v.scale_raw[3 * i + 2] - (float)log(0.05 / 1.6)) < 1e-5f;
            CHECK(s.grad_accum[i] == 0 && s.denom[i] == 0 && s.max_radii[i] == 0, "stats of row %zu not reset", i);
        }
        CHECK(low == 0, "pass %d: %zu low-opacity Gaussians left", pass, low);
        CHECK(children == (pass ? 4u : 6u), "pass %d: %zu split children (expected %d)", pass, children, pass ? 4 : 6);
        /* clone of row 0 (mean (0,0,0)) twice now, row 6 twice, no row 5 */
        size_t c0 = 0, c6 = 0, c5 = 0, c1 = 0;
        for (size_t i = 0; i < g->n; i++) {
            if (v.means[3 * i] == 0 && v.means[3 * i + 1] == 0)
                c0++;
            if (v.means[3 * i] == 6 && v.means[3 * i + 2] == 6)
                c6++;
            if (v.means[3 * i] == 5 && v.means[3 * i + 2] == 5)
                c5++;
            if (v.means[3 * i] == 1 && v.means[3 * i + 1] == 1 && v.means[3 * i + 2] == 1)
                c1++; /* split parent: gone (children have sampled means) */
        }
        CHECK(c0 == 2 && c6 == 2 && c5 == 0 && c1 == 0, "pass %d: copies of 0, 6, 5, 1: %zu %zu %zu %zu", pass, c0,
              c6, c5, c1);
    }
    /* |o| activation: opacity -0.5 is 0.5, kept; 0.001 pruned */
    craft(g, &s);
    tgs_param_view v = tgs_gaussians_view(g, g->params);
    for (size_t i = 0; i < g->n; i++)
        v.opacity_raw[i] = -0.5f;
    v.opacity_raw[2] = 0.001f;
    p.size_rule = 0;
    p.max_screen_size = 0;
    p.opacity_act = TGS_OPACITY_ABS;
    unsigned char mask[11];
    CHECK(tgs_densify_prune_candidates(g, &s, &p, mask) == 1 && mask[2], "|o| prune rule");
    /* missing statistics refused */
    CHECK(tgs_densify_classic(g, NULL, &p, &rng, &rep) == TGS_ERR_ARG, "NULL statistics accepted");
    tgs_densify_stats_free(&s);
    tgs_gaussians_destroy(g);
}

static void test_stats_and_reset(void) {
    tgs_densify_stats s = {0};
    CHECK_OK(tgs_densify_stats_reserve(&s, 4));
    int radii[4] = {0, 3, -1, 5};
    float v2[8] = {1, 1, 3, 4, 7, 7, -0.6f, 0.8f};
    tgs_densify_stats_add(&s, 4, radii, v2);
    radii[1] = 2;
    tgs_densify_stats_add(&s, 4, radii, v2);
    CHECK(s.grad_accum[0] == 0 && s.denom[0] == 0 && s.max_radii[0] == 0, "invisible Gaussian counted");
    CHECK(s.grad_accum[1] == 10 && s.denom[1] == 2 && s.max_radii[1] == 3, "stats of 1: %g %g %g", s.grad_accum[1],
          s.denom[1], s.max_radii[1]);
    CHECK(s.grad_accum[2] == 0 && s.denom[2] == 0, "negative radius counted");
    CHECK(fabsf(s.grad_accum[3] - 2.0f) < 1e-6f && s.denom[3] == 2 && s.max_radii[3] == 5, "stats of 3");
    /* growing keeps the values */
    CHECK_OK(tgs_densify_stats_reserve(&s, 100));
    CHECK(s.capacity == 100 && s.grad_accum[1] == 10 && s.denom[3] == 2 && s.max_radii[99] == 0, "reserve");
    tgs_densify_stats_reset(&s, 100);
    CHECK(s.grad_accum[1] == 0 && s.denom[3] == 0 && s.max_radii[3] == 0, "reset");
    tgs_densify_stats_free(&s);

    tgs_gaussians *g = NULL;
    CHECK_OK(tgs_gaussians_create(6, 0, 1, &g));
    if (!g)
        return;
    g->n = 5;
    tgs_param_view p = tgs_gaussians_view(g, g->params), m = tgs_gaussians_view(g, g->adam_m),
                   vv = tgs_gaussians_view(g, g->adam_v);
    const float o[5] = {-10.0f, logitf(0.005), logitf(0.01), 0.0f, 5.0f};
    for (int i = 0; i < 6; i++) {
        p.opacity_raw[i] = i < 5 ? o[i] : 3.0f;
        m.opacity_raw[i] = vv.opacity_raw[i] = 1.0f;
        m.means[3 * i] = 2.0f;
    }
    tgs_densify_reset_opacity(g);
    const float cap = logitf(0.01);
    for (int i = 0; i < 5; i++) {
        float want = o[i] < cap ? o[i] : cap;
        CHECK(p.opacity_raw[i] == want, "reset opacity %d: %g (expected %g)", i, p.opacity_raw[i], want);
        double sig = 1.0 / (1.0 + exp(-(double)p.opacity_raw[i]));
        CHECK(sig <= 0.01 + 1e-7, "sigma after reset %g", sig);
        CHECK(m.opacity_raw[i] == 0 && vv.opacity_raw[i] == 0, "opacity moments of %d not zeroed", i);
        CHECK(m.means[3 * i] == 2.0f, "other moments touched");
    }
    CHECK(p.opacity_raw[5] == 3.0f, "row beyond n touched");
    tgs_gaussians_destroy(g);
}

int main(void) {
    test_building_blocks();
    test_split_distribution();
    test_classic();
    test_stats_and_reset();
    return check_report("test_densify");
}
