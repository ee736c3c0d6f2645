/* taming.c - the Taming 3DGS budget (DESIGN §6): the count schedule, the median
 * normalisation of the score terms, and one budgeted densification step. */
#include "densify_internal.h"
#include "select.h"
#include "taming_terms.h"

#include <math.h>
#include <stdlib.h>

tgs_status tgs_taming_schedule_make(size_t n0, size_t budget, int densify_from, int densify_until, int interval,
                                    tgs_taming_schedule *out) {
    out->n0 = n0;
    out->budget = budget;
    out->steps = 0;
    out->densifications = 0;
    out->targets = NULL;
    if (interval <= 0)
        return TGS_FAIL(TGS_ERR_ARG, "densification interval %d (expected > 0)", interval);
    /* the iterations that densify: from+1 .. until-1, multiples of the interval
     * (one fewer than the steps when until - from is a multiple of it) */
    for (int it = densify_from + 1; it < densify_until; it++)
        out->densifications += it % interval == 0;
    int steps = densify_until > densify_from ? (densify_until - densify_from) / interval : 0;
    if (steps <= 0)
        return TGS_OK; /* no step reaches into the schedule: every target is the budget */
    size_t *t = tgs_calloc((size_t)steps, sizeof(size_t), "Taming count schedule");
    if (!t)
        return TGS_ERR_NOMEM;
    /* Eq. 2, evaluated as the reference does (double, truncated like int()) */
    double S = steps, d = (double)budget - (double)n0;
    double k = 2.0 * (d / S);
    double a = (d - k * S) / (S * S);
    for (int i = 0; i < steps; i++) {
        double v = a * ((double)i * (double)i) + k * (double)i + (double)n0;
        t[i] = v > 0 ? (size_t)v : 0;
    }
    out->steps = steps;
    out->targets = t;
    return TGS_OK;
}

void tgs_taming_schedule_free(tgs_taming_schedule *s) {
    if (!s)
        return;
    free(s->targets);
    s->targets = NULL;
    s->steps = 0;
}

size_t tgs_taming_target(const tgs_taming_schedule *s, int j) {
    if (j < -1)
        return s->n0;
    /* the last densification of the range lands on the budget itself */
    if (j + 1 >= s->steps || j + 1 >= s->densifications || !s->targets)
        return s->budget;
    return s->targets[j + 1];
}

/* values are finite or +inf */
#define FLOAT_LESS(x, y) ((x) < (y))
TGS_DEFINE_SELECT(select_float_inplace, float, FLOAT_LESS)

/* The t-th smallest of a[0..m) (reorders a). */
static float select_float(float *a, size_t m, size_t t) {
    select_float_inplace(a, m, t);
    return a[t];
}

void tgs_taming_add_normalized(double c, const float *x /*[N]*/, size_t n, float *out /*[N]*/,
                               float *scratch /*[N]*/) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (x[i] > 0) /* false for NaN */
            scratch[m++] = x[i];
    if (m == 0)
        return;
    float med = select_float(scratch, m, (m - 1) / 2); /* lower middle, as torch.median */
    float cf = (float)c;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        if (x[i] > 0)
            out[i] = tgs_taming_add_term(out[i], cf, x[i], med);
}

size_t tgs_taming_fill_want(size_t n, size_t target) { return target > n ? TGS_MIN(target - n, n) : 0; }

float tgs_taming_fill_threshold(const float *accum /*[N]*/, const float *denom /*[N]*/, size_t n, float thr,
                                size_t want, float *scratch /*[N]*/) {
    if (want == 0 || n == 0)
        return thr;
    size_t pass = 0;
    for (size_t i = 0; i < n; i++) {
        scratch[i] = tgs_densify_grad_stat(accum[i], denom[i]);
        pass += scratch[i] >= thr;
    }
    if (pass >= want)
        return thr;
    want = TGS_MIN(want, n);
    return select_float(scratch, n, n - want); /* the want-th largest */
}

void tgs_taming_candidates(const tgs_gaussians *g, const tgs_densify_stats *s, const tgs_densify_params *p,
                           size_t target, unsigned char *kind /*[N]*/, size_t *n_clone, size_t *n_split,
                           float *scratch /*[N]*/) {
    tgs_densify_grad_candidates(g, s, p, kind, n_clone, n_split);
    /* too few over the threshold for this step's target: lower it (see cap_candidates) */
    const size_t want = tgs_taming_fill_want(g->n, target);
    if (!p->cap_candidates && *n_clone + *n_split < want) {
        tgs_densify_params relaxed = *p;
        relaxed.grad_threshold =
            tgs_taming_fill_threshold(s->grad_accum, s->denom, g->n, (float)p->grad_threshold, want, scratch);
        tgs_densify_grad_candidates(g, s, &relaxed, kind, n_clone, n_split);
    }
}

void tgs_taming_budgets(size_t n, size_t target, size_t nc, size_t ns, size_t *clone_budget, size_t *split_budget) {
    size_t goal = TGS_MIN(target, n + nc + ns);
    size_t delta = goal > n ? goal - n : 0;
    size_t denom = TGS_MAX(nc + ns, (size_t)1);
    *clone_budget = (size_t)(((unsigned long long)delta * nc) / denom);
    /* the reference floors both shares and can fall one short; the split share
     * takes the remainder (it never exceeds ns since delta <= nc + ns) */
    *split_budget = delta - *clone_budget;
}

/* The scratch of one Taming step. */
typedef struct {
    unsigned char *kind;  /* [n] candidate kinds (candidates.h) */
    unsigned char *mask;  /* [n_max] prune candidates */
    unsigned char *rm;    /* [n_max] rows to remove */
    float *w;             /* [n] sampling weights */
    uint32_t *pick;       /* [n] sampled indices */
    tgs_sample_key *keys; /* [n] sampling keys */
} taming_work;

static void work_free(taming_work *t) {
    free(t->kind);
    free(t->mask);
    free(t->rm);
    free(t->w);
    free(t->pick);
    free(t->keys);
}

/* Draws up to k of the pre-step rows [0, n) with weights scores[i] where
 * kind[i] == want (want NONE: 1/(1e-6 + score) where kind[i] != REPLACED and
 * rm[i] == 0) into t->pick; returns the count drawn. */
static size_t draw(taming_work *t, const float *scores /*[N]*/, size_t n, int want, size_t k, tgs_rng *rng) {
    for (size_t i = 0; i < n; i++) {
        if (want == TGS_CAND_NONE)
            t->w[i] = t->kind[i] != TGS_CAND_REPLACED && !t->rm[i] ? 1.0f / (1e-6f + scores[i]) : 0.0f;
        else
            t->w[i] = t->kind[i] == want ? scores[i] : 0.0f;
    }
    return tgs_sample_weighted_scratch(t->w, n, k, rng, t->pick, t->keys);
}

/* The prune of a Taming step among the pre-step rows [0, n) not REPLACED into
 * t->rm: for step_j < 27, half the prune candidates' count drawn with weights
 * 1/(1e-6 + score) and the candidates among them removed; then, when the count
 * stays above target, more drawn the same way until it meets it (*trimmed).
 * Returns the count pruned. */
static size_t taming_prune(const tgs_gaussians *g, const tgs_densify_stats *s, const tgs_densify_params *p,
                           const float *scores /*[N]*/, size_t n, size_t target, int step_j, tgs_rng *rng,
                           taming_work *t, size_t *trimmed) {
    tgs_densify_prune_candidates(g, s, p, t->mask);
    size_t n_cand = 0;
    for (size_t i = 0; i < n; i++)
        n_cand += t->mask[i] && t->kind[i] != TGS_CAND_REPLACED;
    size_t pruned = 0;
    if (step_j < 27 && n_cand / 2 > 0) {
        size_t drawn = draw(t, scores, n, TGS_CAND_NONE, n_cand / 2, rng); /* t->rm is all 0 here */
        for (size_t k = 0; k < drawn; k++) {
            size_t i = t->pick[k];
            if (t->mask[i]) {
                t->rm[i] = 1;
                pruned++;
            }
        }
    }
    /* a budget below the current count: prune down to the schedule, removing
     * pre-step Gaussians drawn with the same low-score-first weights */
    *trimmed = 0;
    if (g->n - pruned > target) {
        *trimmed = draw(t, scores, n, TGS_CAND_NONE, g->n - pruned - target, rng);
        for (size_t k = 0; k < *trimmed; k++)
            t->rm[t->pick[k]] = 1;
    }
    return pruned;
}

size_t tgs_densify_taming_scratch_bytes(size_t capacity) {
    /* kind, weights, picks, sampling keys; prune and removal masks */
    return capacity * (1 + sizeof(float) + sizeof(uint32_t) + sizeof(tgs_sample_key) + 2);
}

tgs_status tgs_densify_taming(tgs_gaussians *g, tgs_densify_stats *s, const tgs_densify_params *p,
                              const float *scores /*[N]*/, size_t target, int step_j, tgs_rng *rng,
                              tgs_densify_report *rep) {
    TGS_TRY(tgs_densify_check_args(g, s, "Taming densification"));
    tgs_status st = TGS_OK;
    const size_t n = g->n;
    taming_work t = {0};
    t.kind = tgs_calloc(n, 1, "densification candidates");
    t.w = t.kind ? tgs_calloc(n, sizeof(float), "sampling weights") : NULL;
    t.pick = t.w ? tgs_calloc(n, sizeof(uint32_t), "sampled indices") : NULL;
    t.keys = t.pick ? tgs_calloc(n, sizeof(tgs_sample_key), "sampling keys") : NULL;
    if (!t.keys) {
        st = TGS_ERR_NOMEM;
        goto cleanup;
    }
    size_t nc = 0, ns = 0, clone_budget, split_budget;
    tgs_taming_candidates(g, s, p, target, t.kind, &nc, &ns, t.w);
    tgs_taming_budgets(n, target, nc, ns, &clone_budget, &split_budget);

    /* all memory first, so that nothing below can fail half-way */
    size_t n_max = n + clone_budget + split_budget;
    t.mask = tgs_calloc(n_max, 1, "prune mask");
    t.rm = t.mask ? tgs_calloc(n_max, 1, "removal mask") : NULL;
    if (!t.rm) {
        st = TGS_ERR_NOMEM;
        goto cleanup;
    }
    if ((st = tgs_densify_grow(g, s, n_max)) != TGS_OK)
        goto cleanup;

    /* clones: appended at rows n.. ; original rows keep their place */
    size_t cloned = draw(&t, scores, n, TGS_CAND_CLONE, clone_budget, rng);
    if ((st = tgs_densify_clone(g, s, t.pick, cloned)) != TGS_OK)
        goto cleanup;
    /* splits among the original rows only; child 0 takes the parent's row */
    size_t split = draw(&t, scores, n, TGS_CAND_SPLIT, split_budget, rng);
    if ((st = tgs_densify_split_inplace(g, s, t.pick, split, rng)) != TGS_OK)
        goto cleanup;
    /* rows [0, n) still hold the pre-step Gaussians, except the split parents
     * whose rows now hold a child: mark those as new (kind = REPLACED) */
    for (size_t k = 0; k < split; k++)
        t.kind[t.pick[k]] = TGS_CAND_REPLACED;

    size_t trimmed = 0, pruned = taming_prune(g, s, p, scores, n, target, step_j, rng, &t, &trimmed);
    size_t n_grown = g->n;
    tgs_densify_remove(g, s, t.rm);
    tgs_densify_stats_reset(s, n_grown);
    if (rep) {
        rep->cloned = cloned;
        rep->split = split;
        rep->pruned = pruned;
        rep->trimmed = trimmed;
        rep->n_before = n;
        rep->n_after = g->n;
    }
cleanup:
    work_free(&t);
    return st;
}
