/* test_taming.c - the Taming budget (DESIGN §6): count schedule, median
 * normalisation, weighted sampling without replacement (exact probabilities),
 * budgeted densification steps on a crafted model, and the 8-bit edge maps and
 * pixel weights of the score against the float computation of the reference. */
#include "check.h"
#include "densify/densify_internal.h"
#include "tgs/densify.h"
#include "tgs/loss.h"
#include "densify/score.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- schedule ---- */

/* The reference's values, computed here independently in its own form. */
static size_t ref_target(size_t n0, size_t B, int S, int i) {
    double slope = ((double)B - (double)n0) / S, k = 2 * slope;
    double a = ((double)B - (double)n0 - k * S) / ((double)S * S);
    double v = 1 * a * ((double)i * i) + k * i + (double)n0;
    return v > 0 ? (size_t)v : 0;
}

static void test_schedule(void) {
    const size_t n0 = 15083, B = 2 * 15083;
    const int intervals[] = {500, 100, 300, 700, 20000};
    const int steps[] = {29, 145, 48, 20, 0};
    /* iterations 501 .. 14999 divisible by the interval: one fewer than the
     * steps where 14500 is a multiple of it, one more for 700 */
    const int densifications[] = {28, 144, 48, 21, 0};
    for (int t = 0; t < 5; t++) {
        tgs_taming_schedule s;
        CHECK_OK(tgs_taming_schedule_make(n0, B, 500, 15000, intervals[t], &s));
        CHECK(s.steps == steps[t], "interval %d: %d steps (expected %d)", intervals[t], s.steps, steps[t]);
        CHECK(s.densifications == densifications[t], "interval %d: %d densifications (expected %d)", intervals[t],
              s.densifications, densifications[t]);
        if (s.steps > 0)
            CHECK(s.targets[0] == n0, "interval %d: first target %zu (expected %zu)", intervals[t], s.targets[0], n0);
        for (int i = 0; i < s.steps; i++) {
            CHECK(s.targets[i] == ref_target(n0, B, s.steps, i), "interval %d target %d: %zu (expected %zu)",
                  intervals[t], i, s.targets[i], ref_target(n0, B, s.steps, i));
            if (i > 0)
                CHECK(s.targets[i] >= s.targets[i - 1] && s.targets[i] <= B, "not monotonic at %d", i);
        }
        /* j-th densification aims at targets[j+1]; the last one of the range,
         * and any past the schedule, at the budget (no overrun) */
        for (int j = 0; j < s.steps + 5; j++) {
            size_t want = j + 1 < s.steps && j + 1 < s.densifications ? s.targets[j + 1] : B;
            CHECK(tgs_taming_target(&s, j) == want, "interval %d: target of step %d", intervals[t], j);
        }
        tgs_taming_schedule_free(&s);
        tgs_taming_schedule_free(&s);
    }
    /* known values (Python int() of the reference formula) */
    tgs_taming_schedule s;
    CHECK_OK(tgs_taming_schedule_make(n0, B, 500, 15000, 500, &s));
    CHECK(s.targets[1] == 16105 && s.targets[2] == 17091 && s.targets[14] == 26130 && s.targets[28] == 30148,
          "interval 500 values %zu %zu %zu %zu", s.targets[1], s.targets[2], s.targets[14], s.targets[28]);
    /* 28 densifications of 29 steps: the 28th (j = 27) lands on the budget, not on targets[28] */
    CHECK(tgs_taming_target(&s, 26) == s.targets[27] && tgs_taming_target(&s, 27) == B &&
              tgs_taming_target(&s, 28) == B,
          "last targets");
    tgs_taming_schedule_free(&s);
    CHECK_OK(tgs_taming_schedule_make(n0, B, 500, 15000, 300, &s));
    CHECK(s.steps == 48 && tgs_taming_target(&s, 46) == 30159 && tgs_taming_target(&s, 47) == B &&
              tgs_taming_target(&s, 60) == B,
          "interval 300 tail");
    tgs_taming_schedule_free(&s);
    /* budget below n0: decreasing values, truncated like int() */
    CHECK_OK(tgs_taming_schedule_make(n0, 10000, 500, 15000, 500, &s));
    CHECK(s.steps == 29 && s.targets[0] == n0 && s.targets[1] == 14738 && s.targets[28] == 10006,
          "budget below n0: %zu %zu", s.steps > 1 ? s.targets[1] : 0, s.steps > 28 ? s.targets[28] : 0);
    for (int i = 1; i < s.steps; i++)
        CHECK(s.targets[i] <= s.targets[i - 1] && s.targets[i] >= 10000, "budget below n0 at %d", i);
    tgs_taming_schedule_free(&s);
    /* bad interval refused; empty range gives the budget */
    CHECK(tgs_taming_schedule_make(n0, B, 500, 15000, 0, &s) == TGS_ERR_ARG, "interval 0 accepted");
    CHECK(tgs_taming_schedule_make(n0, B, 500, 15000, -100, &s) == TGS_ERR_ARG, "negative interval accepted");
    CHECK_OK(tgs_taming_schedule_make(n0, B, 15000, 500, 100, &s));
    CHECK(s.steps == 0 && s.densifications == 0 && tgs_taming_target(&s, 0) == B, "empty range");
    tgs_taming_schedule_free(&s);
    tgs_taming_schedule_free(NULL);
}

/* ---- median normalisation ---- */

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void test_normalized(void) {
    float x[7] = {2, NAN, 0, -1, 4, 6, 8}, out[7], scratch[7];
    for (int i = 0; i < 7; i++)
        out[i] = 1;
    tgs_taming_add_normalized(10, x, 7, out, scratch); /* positives 2 4 6 8: lower middle 4 */
    const float want[7] = {6, 1, 1, 1, 11, 16, 21};
    for (int i = 0; i < 7; i++)
        CHECK(out[i] == want[i], "normalised[%d] = %g (expected %g)", i, out[i], want[i]);
    float y[3] = {3, 1, 2}, o3[3] = {0, 0, 0};
    tgs_taming_add_normalized(1, y, 3, o3, scratch); /* median 2 */
    CHECK(o3[0] == 1.5f && o3[1] == 0.5f && o3[2] == 1.0f, "odd count median");
    float z[4] = {0, 0, NAN, -3}, oz[4] = {0, 0, 0, 0};
    tgs_taming_add_normalized(5, z, 4, oz, scratch);
    CHECK(oz[0] == 0 && oz[1] == 0 && oz[2] == 0 && oz[3] == 0, "no positive values must add 0");
    tgs_taming_add_normalized(5, z, 0, oz, scratch);

    /* random inputs with duplicates against a full sort */
    tgs_rng r;
    tgs_rng_seed(&r, 77, 2);
    for (int trial = 0; trial < 40; trial++) {
        size_t n = 1 + tgs_rng_below(&r, 600);
        float *a = calloc(n, sizeof *a), *sc = calloc(n, sizeof *sc), *o = calloc(n, sizeof *o),
              *pos = calloc(n, sizeof *pos);
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            uint32_t kind = tgs_rng_below(&r, 10);
            float val = (float)tgs_rng_below(&r, trial % 2 ? 5 : 1000) + 0.5f; /* many ties when odd */
            a[i] = kind == 0 ? 0.0f : kind == 1 ? NAN : kind == 2 ? -1.0f : val;
            if (a[i] > 0)
                pos[m++] = a[i];
        }
        tgs_taming_add_normalized(3, a, n, o, sc);
        if (m) {
            qsort(pos, m, sizeof *pos, cmp_float);
            float med = pos[(m - 1) / 2];
            for (size_t i = 0; i < n; i++) {
                float w = a[i] > 0 ? 3.0f * (a[i] / med) : 0.0f;
                CHECK(o[i] == w, "trial %d element %zu: %g (expected %g, median %g)", trial, i, o[i], w, med);
            }
        }
        free(a);
        free(sc);
        free(o);
        free(pos);
    }
}

/* ---- weighted sampling ---- */

static void test_sampler(void) {
    tgs_rng r;
    const float w[10] = {0, 1, NAN, 2, 3, -1, 4, 0, 5, 6};
    uint32_t out[10];
    /* distinct, ascending, positives only; k clamped to the 6 positives */
    for (size_t k = 0; k <= 10; k++) {
        tgs_rng_seed(&r, 42 + k, 0);
        size_t got = tgs_sample_weighted(w, 10, k, &r, out);
        CHECK(got == (k < 6 ? k : 6), "k %zu: drew %zu", k, got);
        for (size_t i = 0; i < got; i++) {
            CHECK(w[out[i]] > 0, "drew index %u of weight %g", out[i], w[out[i]]);
            if (i)
                CHECK(out[i] > out[i - 1], "not distinct and ascending");
        }
    }
    /* same seed, same draw */
    uint32_t a[3], b[3];
    tgs_rng_seed(&r, 7, 7);
    tgs_sample_weighted(w, 10, 3, &r, a);
    tgs_rng_seed(&r, 7, 7);
    tgs_sample_weighted(w, 10, 3, &r, b);
    CHECK(memcmp(a, b, sizeof a) == 0, "same seed gave different draws");
    CHECK(tgs_sample_weighted(w, 0, 3, &r, a) == 0, "empty input");

    /* first draw (k = 1) follows the weights: chi-square, 5 degrees of freedom */
    const int T = 20000;
    double hist[10] = {0};
    tgs_rng_seed(&r, 2024, 1);
    for (int t = 0; t < T; t++) {
        uint32_t one;
        if (tgs_sample_weighted(w, 10, 1, &r, &one) == 1)
            hist[one] += 1;
    }
    double chi2 = 0;
    for (int i = 0; i < 10; i++) {
        double pi = w[i] > 0 ? w[i] / 21.0 : 0;
        if (pi > 0)
            chi2 += (hist[i] - T * pi) * (hist[i] - T * pi) / (T * pi);
        else
            CHECK(hist[i] == 0, "index %d of weight %g drawn", i, w[i]);
    }
    CHECK(chi2 < 20.515, "first-draw chi-square %g (p < 0.001 at 20.515)", chi2);

    /* k = 2 inclusion probabilities against the exact values by enumeration:
     * P(i) = p_i + sum_{j != i} p_j p_i / (1 - p_j) */
    double inc[10] = {0};
    tgs_rng_seed(&r, 99, 5);
    for (int t = 0; t < T; t++) {
        uint32_t two[2];
        size_t got = tgs_sample_weighted(w, 10, 2, &r, two);
        for (size_t i = 0; i < got; i++)
            inc[two[i]] += 1;
    }
    double worst = 0;
    for (int i = 0; i < 10; i++) {
        if (!(w[i] > 0))
            continue;
        double pi = w[i] / 21.0, P = pi;
        for (int j = 0; j < 10; j++)
            if (j != i && w[j] > 0)
                P += (w[j] / 21.0) * pi / (1.0 - w[j] / 21.0);
        double got = inc[i] / T, sd = sqrt(P * (1 - P) / T);
        CHECK(fabs(got - P) < 4.5 * sd, "k=2 inclusion of %d: %g (exact %g)", i, got, P);
        worst = fmax(worst, fabs(got - P) / sd);
    }
    printf("sampler: first-draw chi2 %.2f (5 dof), k=2 inclusion worst |z| %.2f\n", chi2, worst);

    /* a larger draw: timing, distinctness */
    size_t n = 200000, k = 100000;
    float *big = calloc(n, sizeof *big);
    uint32_t *o = calloc(k, sizeof *o);
    for (size_t i = 0; i < n; i++)
        big[i] = (i % 3 == 0) ? 0.0f : (float)(1 + i % 17);
    tgs_rng_seed(&r, 3, 3);
    double t0 = tgs_now();
    size_t got = tgs_sample_weighted(big, n, k, &r, o);
    double dt = tgs_now() - t0;
    CHECK(got == k, "large draw %zu", got);
    for (size_t i = 0; i < got; i++) {
        CHECK(big[o[i]] > 0 && (i == 0 || o[i] > o[i - 1]), "large draw index %zu", i);
        if (!(big[o[i]] > 0))
            break;
    }
    printf("sampler: %zu of %zu in %.1f ms\n", k, n, dt * 1e3);
    free(big);
    free(o);
}

/* ---- Taming step ---- */

enum { N0 = 100 };

/* Model of N0: rows 0-29 clone candidates, 30-49 split candidates, rows
 * 90-99 low opacity. Every row tagged: sh_dc[0] = id, rot (1, id/100, 0, 0),
 * adam_m/adam_v/grads = 1 + id. Scores: low-opacity rows 1e-5, others 1..10. */
static void craft(tgs_gaussians *g, tgs_densify_stats *s, float *scores, int all_low_opacity) {
    g->n = N0;
    tgs_param_view v = tgs_gaussians_view(g, g->params);
    tgs_densify_stats_reset(s, N0);
    for (size_t i = 0; i < N0; i++) {
        for (int c = 0; c < 3; c++) {
            v.means[3 * i + c] = (float)i;
            v.sh_dc[3 * i + c] = c == 0 ? (float)i : 0.5f;
            v.scale_raw[3 * i + c] = logf(i >= 30 && i < 50 ? 0.5f : 0.05f);
        }
        v.rot_raw[4 * i] = 1;
        v.rot_raw[4 * i + 1] = (float)i / 100;
        v.opacity_raw[i] = all_low_opacity || i >= 90 ? -8.0f : 0.0f;
        for (int k = 0; k < TGS_G_COUNT; k++)
            for (int e = 0; e < g->width[k]; e++) {
                size_t at = g->capacity * g->offset[k] + i * (size_t)g->width[k] + (size_t)e;
                g->grads[at] = g->adam_m[at] = g->adam_v[at] = 1.0f + (float)i;
            }
        s->grad_accum[i] = i < 50 ? 1e-3f : 0.0f;
        s->denom[i] = 2;
        s->max_radii[i] = 3;
        scores[i] = i >= 90 ? 1e-5f : 1.0f + (float)(i % 10);
    }
}

typedef struct {
    size_t originals, clones, children, low_opacity;
    int consistent;
} step_census;

/* Classifies rows after a step: originals keep their moments (1 + id) and
 * every parameter; new rows have zero moments and the parent's parameters. */
static step_census census(const tgs_gaussians *g, const tgs_densify_stats *s) {
    step_census c = {0, 0, 0, 0, 1};
    tgs_param_view v = tgs_gaussians_view(g, g->params), m = tgs_gaussians_view(g, g->adam_m);
    for (size_t i = 0; i < g->n; i++) {
        float id = v.sh_dc[3 * i];
        int orig = m.means[3 * i] != 0;
        if (v.rot_raw[4 * i + 1] != id / 100 || (orig && m.means[3 * i] != 1 + id))
            c.consistent = 0;
        for (int k = 0; k < TGS_G_COUNT; k++)
            for (int e = 0; e < g->width[k]; e++) {
                size_t at = g->capacity * g->offset[k] + i * (size_t)g->width[k] + (size_t)e;
                float want = orig ? 1 + id : 0;
                if (g->grads[at] != want || g->adam_m[at] != want || g->adam_v[at] != want)
                    c.consistent = 0;
            }
        if (s->grad_accum[i] != 0 || s->denom[i] != 0 || s->max_radii[i] != 0)
            c.consistent = 0;
        int same_place = v.means[3 * i] == id && v.means[3 * i + 1] == id && v.means[3 * i + 2] == id;
        if (orig) {
            c.originals++;
            if (!same_place)
                c.consistent = 0;
        } else if (same_place) {
            c.clones++;
        } else {
            c.children++;
            if (fabsf(expf(v.scale_raw[3 * i]) - 0.5f / 1.6f) > 1e-6f)
                c.consistent = 0;
        }
        c.low_opacity += v.opacity_raw[i] < -5;
    }
    return c;
}

static void test_taming_step(void) {
    tgs_gaussians *g = NULL;
    tgs_densify_stats s = {0};
    float scores[N0];
    CHECK_OK(tgs_gaussians_create(120, 1, 1, &g)); /* capacity = the largest target used */
    if (!g)
        return;
    CHECK_OK(tgs_densify_stats_reserve(&s, 120));
    tgs_densify_params p = {.grad_threshold = 2e-4, .percent_dense = 0.01, .extent = 10.0, .min_opacity = 0.005,
                            .max_screen_size = 0, .opacity_act = TGS_OPACITY_SIGMOID};
    tgs_rng rng;
    tgs_densify_report rep;

    /* reachable target 120: 20 new = 12 clones (20*30/50) + 8 splits; 10
     * prune candidates, 5 drawn (weights ~1e5 vs <= 1), all candidates */
    craft(g, &s, scores, 0);
    tgs_rng_seed(&rng, 1, 1);
    CHECK_OK(tgs_densify_taming(g, &s, &p, scores, 120, 3, &rng, &rep));
    step_census c = census(g, &s);
    CHECK(rep.cloned == 12 && rep.split == 8 && rep.pruned == 5 && rep.n_before == 100 && rep.n_after == 115 &&
              g->n == 115,
          "reachable: cloned %zu split %zu pruned %zu n %zu -> %zu (expected 12 8 5 100 -> 115)", rep.cloned,
          rep.split, rep.pruned, rep.n_before, rep.n_after);
    CHECK(c.consistent && c.originals == 87 && c.clones == 12 && c.children == 16 && c.low_opacity == 5,
          "reachable census: consistent %d originals %zu clones %zu children %zu low %zu", c.consistent, c.originals,
          c.clones, c.children, c.low_opacity);
    CHECK(g->capacity == 120, "capacity grew to %zu with the budget reserved", g->capacity);

    /* same seed, same model */
    float *first = malloc(g->n * 3 * sizeof(float));
    memcpy(first, g->params, g->n * 3 * sizeof(float));
    craft(g, &s, scores, 0);
    tgs_rng_seed(&rng, 1, 1);
    CHECK_OK(tgs_densify_taming(g, &s, &p, scores, 120, 3, &rng, &rep));
    CHECK(g->n == 115 && memcmp(first, g->params, g->n * 3 * sizeof(float)) == 0, "not deterministic");
    free(first);

    /* everything is a prune candidate: new rows are never pruned; 92
     * pre-step rows remain after the splits, 46 drawn, all candidates */
    craft(g, &s, scores, 1);
    CHECK_OK(tgs_densify_taming(g, &s, &p, scores, 120, 0, &rng, &rep));
    c = census(g, &s);
    CHECK(rep.cloned == 12 && rep.split == 8 && rep.pruned == 46 && g->n == 74, "all low: cloned %zu split %zu "
          "pruned %zu n %zu (expected 12 8 46 74)", rep.cloned, rep.split, rep.pruned, g->n);
    CHECK(c.consistent && c.clones == 12 && c.children == 16 && c.originals == 46, "all low census: %d %zu %zu %zu",
          c.consistent, c.clones, c.children, c.originals);

    /* step 27 and later: nothing pruned, the count is exactly the target */
    craft(g, &s, scores, 1);
    CHECK_OK(tgs_densify_taming(g, &s, &p, scores, 120, 27, &rng, &rep));
    CHECK(rep.pruned == 0 && g->n == 120 && rep.cloned == 12 && rep.split == 8, "step 27: pruned %zu n %zu",
          rep.pruned, g->n);

    /* no clone/split candidates, published rule: no growth, no division by
     * zero, pruning as usual */
    p.cap_candidates = 1;
    craft(g, &s, scores, 0);
    tgs_densify_stats_reset(&s, N0);
    CHECK_OK(tgs_densify_taming(g, &s, &p, scores, 120, 1, &rng, &rep));
    CHECK(rep.cloned == 0 && rep.split == 0 && rep.pruned == 5 && g->n == 95, "no candidates: %zu %zu %zu n %zu",
          rep.cloned, rep.split, rep.pruned, g->n);
    /* the default lowers the threshold to 0: all 100 qualify (80 small, 20
     * large), 20 new in that proportion, the same 5 pruned */
    p.cap_candidates = 0;
    craft(g, &s, scores, 0);
    tgs_densify_stats_reset(&s, N0);
    CHECK_OK(tgs_densify_taming(g, &s, &p, scores, 120, 1, &rng, &rep));
    c = census(g, &s);
    CHECK(rep.cloned == 16 && rep.split == 4 && rep.pruned == 5 && g->n == 115 && c.consistent,
          "no candidates, filled: %zu %zu %zu n %zu", rep.cloned, rep.split, rep.pruned, g->n);

    /* target below the current count: no growth; the prune rule, then pruned down to the target */
    craft(g, &s, scores, 0);
    CHECK_OK(tgs_densify_taming(g, &s, &p, scores, 50, 2, &rng, &rep));
    c = census(g, &s);
    CHECK(rep.cloned == 0 && rep.split == 0 && rep.pruned == 5 && rep.trimmed == 45 && g->n == 50 && c.consistent &&
          c.originals == 50, "target below n: %zu %zu %zu %zu n %zu", rep.cloned, rep.split, rep.pruned,
          rep.trimmed, g->n);

    /* published rule, limited by the candidates: target 1000 gives n + 50 (30
     * clones, 20 splits) and grows capacity */
    p.cap_candidates = 1;
    craft(g, &s, scores, 0);
    CHECK_OK(tgs_densify_taming(g, &s, &p, scores, 1000, 30, &rng, &rep));
    CHECK(rep.cloned == 30 && rep.split == 20 && rep.pruned == 0 && g->n == 150 && g->capacity >= 150,
          "candidate-limited: %zu %zu n %zu", rep.cloned, rep.split, g->n);
    c = census(g, &s);
    CHECK(c.consistent && c.clones == 30 && c.children == 40 && c.originals == 80, "candidate-limited census");
    /* the default: every Gaussian densified once (one new each at most) */
    p.cap_candidates = 0;
    craft(g, &s, scores, 0);
    CHECK_OK(tgs_densify_taming(g, &s, &p, scores, 1000, 30, &rng, &rep));
    c = census(g, &s);
    CHECK(rep.cloned == 80 && rep.split == 20 && g->n == 200 && c.consistent && c.clones == 80 && c.children == 40,
          "filled to 2n: %zu %zu n %zu", rep.cloned, rep.split, g->n);

    CHECK(tgs_densify_taming(g, NULL, &p, scores, 10, 0, &rng, &rep) == TGS_ERR_ARG, "NULL statistics accepted");
    tgs_densify_stats_free(&s);
    tgs_gaussians_destroy(g);
}

/* The lowered threshold of a step with too few candidates. */
static void test_fill_threshold(void) {
    float accum[6] = {5, 4, 3, 2, 1, 0}, denom[6] = {1, 1, 1, 1, 1, 0}, scratch[6];
    CHECK(tgs_taming_fill_threshold(accum, denom, 6, 10.0f, 3, scratch) == 3.0f, "3 of 6 qualify at 3");
    CHECK(tgs_taming_fill_threshold(accum, denom, 6, 2.0f, 3, scratch) == 2.0f, "enough already: unchanged");
    CHECK(tgs_taming_fill_threshold(accum, denom, 6, 10.0f, 0, scratch) == 10.0f, "none wanted: unchanged");
    CHECK(tgs_taming_fill_threshold(accum, denom, 6, 10.0f, 6, scratch) == 0.0f, "all: 0 (0/0 counts as 0)");
    CHECK(tgs_taming_fill_threshold(accum, denom, 6, 10.0f, 60, scratch) == 0.0f, "more than all: 0");
}

/* ---- edge maps and pixel weights ---- */

/* The reference's edge map, all in float as it was once stored here: grey,
 * FIND_EDGES clamped to 0..255 (border keeps grey), /255, then (e - min) / (max - min). */
static void ref_edges(const unsigned char *rgb /*[H,W,3]*/, int w, int h, float *out /*[H,W]*/) {
    size_t npix = (size_t)w * h;
    float *grey = malloc(npix * sizeof(float));
    for (size_t i = 0; i < npix; i++) {
        const unsigned char *p = rgb + 3 * i;
        grey[i] = (float)((p[0] * 299 + p[1] * 587 + p[2] * 114 + 500) / 1000);
        out[i] = grey[i];
    }
    for (int y = 1; y < h - 1; y++)
        for (int x = 1; x < w - 1; x++) {
            float s = 0;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                    s += (dx == 0 && dy == 0 ? 8.0f : -1.0f) * grey[(size_t)(y + dy) * w + (x + dx)];
            out[(size_t)y * w + x] = fminf(fmaxf(s, 0.0f), 255.0f);
        }
    float lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < npix; i++) {
        out[i] /= 255.0f;
        lo = fminf(lo, out[i]);
        hi = fmaxf(hi, out[i]);
    }
    float range = hi - lo;
    for (size_t i = 0; i < npix; i++)
        out[i] = range > 0 ? (out[i] - lo) / range : 0.0f;
    free(grey);
}

/* Bitwise equality of n floats (no tolerance). */
static size_t bits_differ(const float *a, const float *b, size_t n) {
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += memcmp(&a[i], &b[i], sizeof(float)) != 0;
    return c;
}

static void test_edges(void) {
    static const int sizes[][2] = {{17, 13}, {3, 3}, {2, 9}, {1, 1}, {64, 5}, {31, 40}};
    tgs_rng r;
    tgs_rng_seed(&r, 42, 7);
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
        for (int kind = 0; kind < 3; kind++) { /* random, flat, smooth ramp with noise */
            const int w = sizes[si][0], h = sizes[si][1];
            const size_t npix = (size_t)w * h;
            unsigned char *rgb = malloc(3 * npix), *v = malloc(npix), *grey = malloc(npix);
            float *ref = malloc(npix * sizeof(float)), *got = malloc(npix * sizeof(float));
            float *img = malloc(3 * npix * sizeof(float)), *gt = malloc(3 * npix * sizeof(float));
            float *pw = malloc(npix * sizeof(float)), *pw_ref = malloc(npix * sizeof(float));
            for (size_t i = 0; i < 3 * npix; i++) {
                int x = (int)(i / 3 % (size_t)w);
                rgb[i] = kind == 0   ? (unsigned char)tgs_rng_below(&r, 256)
                         : kind == 1 ? 77
                                     : (unsigned char)(40 + 5 * x + tgs_rng_below(&r, 4));
                gt[i] = (float)rgb[i] / 255.0f;
                img[i] = (float)tgs_rng_uniform(&r);
            }
            float lo = -1, range = -1;
            tgs_score_edges(rgb, NULL, w, h, grey, v, &lo, &range);
            ref_edges(rgb, w, h, ref);
            for (size_t i = 0; i < npix; i++)
                got[i] = tgs_taming_edge_value(v[i], lo, range);
            CHECK(bits_differ(got, ref, npix) == 0, "%dx%d kind %d: %zu edge values differ from the float reference",
                  w, h, kind, bits_differ(got, ref, npix));
            if (kind == 1) /* flat: the border keeps the grey value, the inside is 0 */
                CHECK((range == 0.0f) == (w < 3 || h < 3), "%dx%d flat image: range %g", w, h, range);
            /* pixel weights: 50 * norm(L1) + 50 * edge value, as with the float maps */
            tgs_score_pixel_weights(img, gt, NULL, v, lo, range, w, h, pw);
            tgs_loss_l1_map(img, gt, w, h, pw_ref);
            float llo = INFINITY, lhi = -INFINITY;
            for (size_t i = 0; i < npix; i++) {
                llo = fminf(llo, pw_ref[i]);
                lhi = fmaxf(lhi, pw_ref[i]);
            }
            for (size_t i = 0; i < npix; i++)
                pw_ref[i] = 50.0f * (lhi - llo > 0 ? (pw_ref[i] - llo) / (lhi - llo) : 0.0f) + 50.0f * ref[i];
            CHECK(bits_differ(pw, pw_ref, npix) == 0, "%dx%d kind %d: %zu pixel weights differ", w, h, kind,
                  bits_differ(pw, pw_ref, npix));
            free(rgb), free(v), free(grey), free(ref), free(got), free(img), free(gt), free(pw), free(pw_ref);
        }

    /* the maps of a scene's training cameras: one per train view, in train order */
    tgs_camera cams[3] = {
        {.width = 9, .height = 7}, {.width = 4, .height = 4, .is_test = 1}, {.width = 5, .height = 11}};
    int train_idx[2] = {0, 2};
    tgs_scene sc = {.n_cameras = 3, .cameras = cams, .n_train = 2, .train_idx = train_idx};
    tgs_image images[3];
    for (int i = 0; i < 3; i++) {
        images[i] = (tgs_image){.width = cams[i].width, .height = cams[i].height, .channels = 3};
        images[i].data = malloc(3 * (size_t)cams[i].width * cams[i].height);
        for (int j = 0; j < 3 * cams[i].width * cams[i].height; j++)
            images[i].data[j] = (unsigned char)tgs_rng_below(&r, 256);
    }
    tgs_edge_maps *m = NULL;
    CHECK_OK(tgs_score_edge_maps_create(&sc, images, NULL, &m));
    if (m) {
        CHECK(m->n == 2 && m->off[0] == 0 && m->off[1] == 63 && m->off[2] == 63 + 55, "edge map offsets");
        for (int k = 0; k < 2; k++) {
            const tgs_image *im = &images[train_idx[k]];
            size_t npix = (size_t)im->width * im->height;
            unsigned char v[64], grey[64];
            float lo, range;
            tgs_score_edges(im->data, NULL, im->width, im->height, grey, v, &lo, &range);
            CHECK(memcmp(v, m->v + m->off[k], npix) == 0 && lo == m->lo[k] && range == m->range[k],
                  "train view %d: map or range differs from tgs_score_edges", k);
        }
    }
    tgs_score_edge_maps_destroy(m);
    tgs_score_edge_maps_destroy(NULL);
    for (int i = 0; i < 3; i++)
        free(images[i].data);
}

/* Masked pixel weights (DESIGN §4): 0 at left-out pixels, the L1 map's and the
 * edge response's ranges over the kept pixels only, bitwise as the same float
 * operations written out here; what the left-out pixels hold changes nothing. */
static void test_masked_weights(void) {
    const int w = 23, h = 17;
    const size_t npix = (size_t)w * h;
    tgs_rng r;
    tgs_rng_seed(&r, 77, 3);
    unsigned char *rgb = malloc(3 * npix), *v = malloc(npix), *v2 = malloc(npix), *grey = malloc(npix);
    unsigned char *mask = malloc(npix);
    float *img = malloc(3 * npix * sizeof(float)), *gt = malloc(3 * npix * sizeof(float));
    float *pw = malloc(npix * sizeof(float)), *pw2 = malloc(npix * sizeof(float)), *l1 = malloc(npix * sizeof(float));
    for (size_t p = 0; p < npix; p++) {
        int x = (int)(p % (size_t)w), y = (int)(p / (size_t)w);
        int patch = x >= 5 && x < 12 && y >= 4 && y < 10; /* a bright patch, left out */
        mask[p] = patch ? 0 : 255;
        for (int c = 0; c < 3; c++) {
            rgb[3 * p + c] = patch ? 255 : (unsigned char)(60 + tgs_rng_below(&r, 40));
            gt[3 * p + c] = (float)rgb[3 * p + c] / 255.0f;
            img[3 * p + c] = patch ? 0.0f : (float)tgs_rng_uniform(&r) * 0.5f;
        }
    }
    float lo, range, lo_all, range_all;
    tgs_score_edges(rgb, NULL, w, h, grey, v, &lo_all, &range_all);
    tgs_score_edges(rgb, mask, w, h, grey, v, &lo, &range);
    unsigned char vmin = 255, vmax = 0;
    for (size_t p = 0; p < npix; p++)
        if (mask[p]) {
            vmin = v[p] < vmin ? v[p] : vmin;
            vmax = v[p] > vmax ? v[p] : vmax;
        }
    CHECK(lo == (float)vmin / 255.0f && range == (float)vmax / 255.0f - lo,
          "masked edge range %g + %g (expected over the kept pixels: %d..%d)", lo, range, vmin, vmax);
    CHECK(range < range_all, "the patch's edges still set the range (%g, unmasked %g)", range, range_all);
    tgs_score_pixel_weights(img, gt, mask, v, lo, range, w, h, pw);
    tgs_loss_l1_map(img, gt, w, h, l1);
    float llo = INFINITY, lhi = -INFINITY;
    for (size_t p = 0; p < npix; p++)
        if (mask[p]) {
            llo = fminf(llo, l1[p]);
            lhi = fmaxf(lhi, l1[p]);
        }
    size_t differ = 0;
    double left_out = 0;
    for (size_t p = 0; p < npix; p++) {
        float ref = mask[p] ? tgs_taming_pixel_weight(l1[p], llo, lhi - llo, tgs_taming_edge_value(v[p], lo, range))
                            : 0.0f;
        differ += memcmp(&ref, &pw[p], sizeof ref) != 0;
        left_out += mask[p] ? 0.0 : fabs(pw[p]);
    }
    CHECK(differ == 0 && left_out == 0, "masked pixel weights: %zu differ, %g at left-out pixels", differ, left_out);
    /* scrambling the left-out pixels of both images changes no weight */
    for (size_t p = 0; p < npix; p++)
        if (!mask[p])
            for (int c = 0; c < 3; c++) {
                rgb[3 * p + c] = (unsigned char)tgs_rng_below(&r, 256);
                gt[3 * p + c] = (float)tgs_rng_uniform(&r);
                img[3 * p + c] = (float)tgs_rng_uniform(&r) * 3.0f;
            }
    float lo2, range2;
    tgs_score_edges(rgb, mask, w, h, grey, v2, &lo2, &range2);
    tgs_score_pixel_weights(img, gt, mask, v2, lo2, range2, w, h, pw2);
    size_t moved = 0;
    for (size_t p = 0; p < npix; p++) {
        int x = (int)(p % (size_t)w), y = (int)(p / (size_t)w);
        int near_patch = x >= 4 && x < 13 && y >= 3 && y < 11; /* the edge filter reads one pixel around */
        if (!near_patch)
            moved += memcmp(&pw[p], &pw2[p], sizeof(float)) != 0;
    }
    CHECK(moved == 0, "%zu weights away from the left-out pixels moved when they changed", moved);
    CHECK(lo2 == lo && range2 == range, "the masked edge range moved (%g + %g -> %g + %g)", lo, range, lo2, range2);
    free(rgb), free(v), free(v2), free(grey), free(mask), free(img), free(gt), free(pw), free(pw2), free(l1);
}

int main(void) {
    test_schedule();
    test_fill_threshold();
    test_normalized();
    test_sampler();
    test_taming_step();
    test_edges();
    test_masked_weights();
    return check_report("test_taming");
}
