/* stats.c - densification statistics (DESIGN §5), the clone/split candidates and
 * prune rule of DESIGN §6, and the opacity reset. */
#include "densify_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Grows one statistics array, keeping its first `old` values (the rest zero). */
static float *grow_array(float *a, size_t old, size_t cap, const char *what) {
    float *na = tgs_calloc(cap, sizeof(float), what);
    if (na && a && old)
        memcpy(na, a, old * sizeof(float));
    return na;
}

size_t tgs_densify_stats_bytes(size_t capacity) { return 3 * capacity * sizeof(float); }

tgs_status tgs_densify_stats_reserve(tgs_densify_stats *s, size_t capacity) {
    if (!s)
        return TGS_FAIL(TGS_ERR_ARG, "densification statistics: NULL (expected a statistics struct)");
    if (capacity <= s->capacity && s->grad_accum)
        return TGS_OK;
    if (capacity < s->capacity)
        capacity = s->capacity;
    float *a = grow_array(s->grad_accum, s->capacity, capacity, "densification gradient sums");
    float *d = a ? grow_array(s->denom, s->capacity, capacity, "densification view counts") : NULL;
    float *r = d ? grow_array(s->max_radii, s->capacity, capacity, "densification screen radii") : NULL;
    if (!r) {
        free(a);
        free(d);
        return TGS_ERR_NOMEM;
    }
    free(s->grad_accum);
    free(s->denom);
    free(s->max_radii);
    s->grad_accum = a;
    s->denom = d;
    s->max_radii = r;
    s->capacity = capacity;
    return TGS_OK;
}

void tgs_densify_stats_free(tgs_densify_stats *s) {
    if (!s)
        return;
    free(s->grad_accum);
    free(s->denom);
    free(s->max_radii);
    memset(s, 0, sizeof *s);
}

void tgs_densify_stats_reset(tgs_densify_stats *s, size_t n) {
    if (!s || !s->grad_accum)
        return;
    n = TGS_MIN(n, s->capacity);
    memset(s->grad_accum, 0, n * sizeof(float));
    memset(s->denom, 0, n * sizeof(float));
    memset(s->max_radii, 0, n * sizeof(float));
}

void tgs_densify_stats_add(tgs_densify_stats *s, size_t n, const int *radii /*[N]*/,
                           const float *v_mean2d /*[N,2]*/) {
    n = TGS_MIN(n, s->capacity);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        if (radii[i] <= 0)
            continue;
        float vx = v_mean2d[2 * i], vy = v_mean2d[2 * i + 1];
        s->grad_accum[i] += sqrtf(vx * vx + vy * vy);
        s->denom[i] += 1.0f;
        if ((float)radii[i] > s->max_radii[i])
            s->max_radii[i] = (float)radii[i];
    }
}

static float max_scale(const float *scale_raw /*[3]*/) {
    return fmaxf(fmaxf(expf(scale_raw[0]), expf(scale_raw[1])), expf(scale_raw[2]));
}

void tgs_densify_grad_candidates(const tgs_gaussians *g, const tgs_densify_stats *s, const tgs_densify_params *p,
                                 unsigned char *kind /*[N]*/, size_t *n_clone, size_t *n_split) {
    tgs_param_view v = tgs_gaussians_view(g, g->params);
    const float thr = (float)p->grad_threshold, dense = (float)(p->percent_dense * p->extent);
    size_t nc = 0, ns = 0;
    size_t n = g->n;
#pragma omp parallel for schedule(static) reduction(+ : nc, ns)
    for (size_t i = 0; i < n; i++) {
        const float gr = tgs_densify_grad_stat(s->grad_accum[i], s->denom[i]);
        unsigned char k = TGS_CAND_NONE;
        if (gr >= thr)
            k = max_scale(v.scale_raw + 3 * i) <= dense ? TGS_CAND_CLONE : TGS_CAND_SPLIT;
        kind[i] = k;
        nc += k == TGS_CAND_CLONE;
        ns += k == TGS_CAND_SPLIT;
    }
    *n_clone = nc;
    *n_split = ns;
}

size_t tgs_densify_prune_candidates(const tgs_gaussians *g, const tgs_densify_stats *s, const tgs_densify_params *p,
                                    unsigned char *mask /*[N]*/) {
    tgs_param_view v = tgs_gaussians_view(g, g->params);
    const int size_rule = p->size_rule, screen_rule = p->size_rule && p->max_screen_size > 0;
    const float big_ws = (float)(0.1 * p->extent), big_vs = (float)p->max_screen_size;
    const int have_radii = s && s->max_radii && s->capacity >= g->n;
    size_t count = 0, n = g->n;
#pragma omp parallel for schedule(static) reduction(+ : count)
    for (size_t i = 0; i < n; i++) {
        double o = v.opacity_raw[i];
        double op = p->opacity_act == TGS_OPACITY_ABS ? fabs(o) : 1.0 / (1.0 + exp(-o));
        int m = op < p->min_opacity;
        if (size_rule) {
            if (screen_rule && have_radii && s->max_radii[i] > big_vs)
                m = 1;
            if (max_scale(v.scale_raw + 3 * i) > big_ws)
                m = 1;
        }
        mask[i] = (unsigned char)m;
        count += (size_t)m;
    }
    return count;
}

void tgs_densify_reset_opacity(tgs_gaussians *g) {
    const float cap = (float)log(0.01 / 0.99); /* logit(0.01) */
    float *o = g->params + g->capacity * g->offset[TGS_G_OPACITY];
    for (size_t i = 0; i < g->n; i++)
        if (o[i] > cap)
            o[i] = cap;
    if (g->adam_m)
        memset(g->adam_m + g->capacity * g->offset[TGS_G_OPACITY], 0, g->n * sizeof(float));
    if (g->adam_v)
        memset(g->adam_v + g->capacity * g->offset[TGS_G_OPACITY], 0, g->n * sizeof(float));
}
