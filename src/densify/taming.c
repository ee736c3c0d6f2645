/* taming.c - the Taming 3DGS budget (SPEC 6): the count schedule, the median
 * normalisation of the score terms, and one budgeted densification step. */
#include "densify_internal.h"
#include "select.h"

#include <math.h>
#include <stdlib.h>

tgs_status tgs_taming_schedule_make(size_t n0, size_t budget, int densify_from, int densify_until, int interval,
                                    tgs_taming_schedule *out) {
    out->n0 = n0;
    out->budget = budget;
    out->steps = 0;
    out->targets = NULL;
    if (interval <= 0)
        return TGS_FAIL(TGS_ERR_ARG, "densification interval %d (expected > 0)", interval);
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
    if (j + 1 >= s->steps || !s->targets)
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
            out[i] += cf * (x[i] / med);
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
    size_t nc = 0, ns = 0;
    unsigned char *kind = tgs_calloc(n, 1, "densification candidates");
    float *w = kind ? tgs_calloc(n, sizeof(float), "sampling weights") : NULL;
    uint32_t *pick = w ? tgs_calloc(n, sizeof(uint32_t), "sampled indices") : NULL;
    tgs_sample_key *keys = pick ? tgs_calloc(n, sizeof(tgs_sample_key), "sampling keys") : NULL;
    unsigned char *mask = NULL, *rm = NULL;
    if (!keys) {
        st = TGS_ERR_NOMEM;
        goto cleanup;
    }
    tgs_densify_grad_candidates(g, s, p, kind, &nc, &ns);
    /* too few over the threshold for this step's target: lower it (see cap_candidates) */
    const size_t want = tgs_taming_fill_want(n, target);
    if (!p->cap_candidates && nc + ns < want) {
        tgs_densify_params relaxed = *p;
        relaxed.grad_threshold = tgs_taming_fill_threshold(s->grad_accum, s->denom, n, (float)p->grad_threshold,
                                                           want, w);
        tgs_densify_grad_candidates(g, s, &relaxed, kind, &nc, &ns);
    }

    /* budget of this step, shared in proportion to the candidate counts */
    size_t goal = TGS_MIN(target, n + nc + ns);
    size_t delta = goal > n ? goal - n : 0;
    size_t denom = TGS_MAX(nc + ns, (size_t)1);
    size_t clone_budget = (size_t)(((unsigned long long)delta * nc) / denom);
    /* the reference floors both shares and can fall one short; the split share
     * takes the remainder (it never exceeds ns since delta <= nc + ns) */
    size_t split_budget = delta - clone_budget;

    /* all memory first, so that nothing below can fail half-way */
    size_t n_max = n + clone_budget + split_budget;
    mask = tgs_calloc(n_max, 1, "prune mask");
    rm = mask ? tgs_calloc(n_max, 1, "removal mask") : NULL;
    if (!rm) {
        st = TGS_ERR_NOMEM;
        goto cleanup;
    }
    if ((st = tgs_densify_grow(g, s, n_max)) != TGS_OK)
        goto cleanup;

    /* clones: appended at rows n.. ; original rows keep their place */
    for (size_t i = 0; i < n; i++)
        w[i] = kind[i] == TGS_CAND_CLONE ? scores[i] : 0.0f;
    size_t cloned = tgs_sample_weighted_scratch(w, n, clone_budget, rng, pick, keys);
    if ((st = tgs_densify_clone(g, s, pick, cloned)) != TGS_OK)
        goto cleanup;
    /* splits among the original rows only; child 0 takes the parent's row */
    for (size_t i = 0; i < n; i++)
        w[i] = kind[i] == TGS_CAND_SPLIT ? scores[i] : 0.0f;
    size_t split = tgs_sample_weighted_scratch(w, n, split_budget, rng, pick, keys);
    if ((st = tgs_densify_split_inplace(g, s, pick, split, rng)) != TGS_OK)
        goto cleanup;
    /* rows [0, n) still hold the pre-step Gaussians, except the split parents
     * whose rows now hold a child: mark those as new (kind = REPLACED) */
    for (size_t k = 0; k < split; k++)
        kind[pick[k]] = TGS_CAND_REPLACED;

    /* pruning: candidates among the pre-step Gaussians still present */
    tgs_densify_prune_candidates(g, s, p, mask);
    size_t n_cand = 0;
    for (size_t i = 0; i < n; i++)
        n_cand += mask[i] && kind[i] != TGS_CAND_REPLACED;
    size_t pruned = 0;
    if (step_j < 27 && n_cand / 2 > 0) {
        for (size_t i = 0; i < n; i++)
            w[i] = kind[i] != TGS_CAND_REPLACED ? 1.0f / (1e-6f + scores[i]) : 0.0f;
        size_t drawn = tgs_sample_weighted_scratch(w, n, n_cand / 2, rng, pick, keys);
        for (size_t k = 0; k < drawn; k++) {
            size_t i = pick[k];
            if (mask[i]) {
                rm[i] = 1;
                pruned++;
            }
        }
    }
    /* a budget below the current count: prune down to the schedule, removing
     * pre-step Gaussians drawn with the same low-score-first weights */
    size_t trimmed = 0;
    if (g->n - pruned > target) {
        for (size_t i = 0; i < n; i++)
            w[i] = kind[i] != TGS_CAND_REPLACED && !rm[i] ? 1.0f / (1e-6f + scores[i]) : 0.0f;
        trimmed = tgs_sample_weighted_scratch(w, n, g->n - pruned - target, rng, pick, keys);
        for (size_t k = 0; k < trimmed; k++)
            rm[pick[k]] = 1;
    }
    size_t n_grown = g->n;
    tgs_densify_remove(g, s, rm);
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
    free(kind);
    free(w);
    free(pick);
    free(keys);
    free(mask);
    free(rm);
    return st;
}
