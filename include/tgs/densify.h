/* densify.h - densification statistics and the operations that grow and shrink
 * the model (DESIGN §5, §6): classic 3DGS and the Taming budget. Every operation
 * moves parameters, gradients, Adam moments and statistics together. */
#ifndef TGS_DENSIFY_H
#define TGS_DENSIFY_H

#include "tgs/common.h"
#include "tgs/gaussians.h"
#include "tgs/raster.h"
#include "tgs/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Per-Gaussian statistics gathered while densification runs. */
typedef struct {
    size_t capacity;
    float *grad_accum; /* [N] sum of |dL/d(NDC mean)| over the views where visible */
    float *denom;      /* [N] number of such views */
    float *max_radii;  /* [N] largest screen radius seen */
} tgs_densify_stats;

tgs_status tgs_densify_stats_reserve(tgs_densify_stats *s, size_t capacity);
size_t tgs_densify_stats_bytes(size_t capacity); /* what reserve allocates for capacity */
void tgs_densify_stats_free(tgs_densify_stats *s); /* NULL-safe */
void tgs_densify_stats_reset(tgs_densify_stats *s, size_t n);
/* Adds one view: for i with radii[i] > 0, grad_accum += |v_mean2d[i]|, denom += 1,
 * max_radii = max(max_radii, radii). */
void tgs_densify_stats_add(tgs_densify_stats *s, size_t n, const int *radii /*[N]*/, const float *v_mean2d /*[N,2]*/);

typedef struct {
    double grad_threshold;  /* 2e-4 */
    double percent_dense;   /* 0.01 */
    double extent;          /* scene extent */
    double min_opacity;     /* 0.005 */
    int size_rule;          /* after the first opacity reset: also prune max scale > 0.1 * extent */
    double max_screen_size; /* with size_rule: also prune max radius over this (pixels; 0 = not) */
    tgs_opacity_act opacity_act;
    /* Taming: 0 (default) - when fewer Gaussians pass grad_threshold than the
     * step's target needs, the threshold drops to the statistic of the one that
     * makes enough qualify (the count follows the schedule and ends on the
     * budget); 1 - as the published trainer, only those over grad_threshold
     * (the count falls short where few do, e.g. lego from random points). */
    int cap_candidates;
} tgs_densify_params;

typedef struct {
    size_t cloned, split, pruned, n_before, n_after;
    size_t trimmed; /* Taming: removed to come down to a target below the count */
} tgs_densify_report;

/* Building blocks. Indices are into the current model [0, g->n).
 * clone: appends exact copies (moments and statistics of the new rows zero).
 * remove: compacts every buffer, dropping rows with remove[i] != 0.
 * (The split is densify_internal.h's tgs_densify_split_inplace.)
 * Capacity grows when needed (classic mode); planned runs reserve up front. */
tgs_status tgs_densify_clone(tgs_gaussians *g, tgs_densify_stats *s, const uint32_t *idx /*[count]*/, size_t count);
void tgs_densify_remove(tgs_gaussians *g, tgs_densify_stats *s, const unsigned char *remove /*[N]*/);
/* Prune candidates (DESIGN §6): opacity < min_opacity, and with size_rule max
 * scale > 0.1 * extent or (max_screen_size > 0) max_radii > max_screen_size.
 * Writes mask[N]. */
size_t tgs_densify_prune_candidates(const tgs_gaussians *g, const tgs_densify_stats *s, const tgs_densify_params *p,
                                    unsigned char *mask /*[N]*/);
/* Opacity reset: o = logit(min(sigma(o), 0.01)) and its Adam moments zeroed. */
void tgs_densify_reset_opacity(tgs_gaussians *g);

/* Classic 3DGS densify-and-prune; resets the statistics. Row order afterwards:
 * surviving rows in their order, where each split parent's row holds its first
 * child; then the clones; then the second children (the same Gaussians as the
 * reference's append-then-remove, with one extra row per split instead of two). */
tgs_status tgs_densify_classic(tgs_gaussians *g, tgs_densify_stats *s, const tgs_densify_params *p, tgs_rng *rng,
                               tgs_densify_report *rep);

/* ---- Taming budget ---- */

/* The count schedule of DESIGN §6 (Eq. 2): steps S = (until - from) / interval,
 * targets[i] = floor(a i^2 + k i + n0), i = 0..S-1. */
typedef struct {
    size_t n0, budget;
    int steps;
    int densifications; /* iterations from+1 .. until-1 divisible by the interval (S or S - 1) */
    size_t *targets;    /* [steps] */
} tgs_taming_schedule;

tgs_status tgs_taming_schedule_make(size_t n0, size_t budget, int densify_from, int densify_until, int interval,
                                    tgs_taming_schedule *out);
void tgs_taming_schedule_free(tgs_taming_schedule *s); /* NULL-safe */
/* Target of densification step j (0-based): targets[j+1], or the budget when j+1 >= steps
 * or j is the last of the densifications (the count lands on the budget). */
size_t tgs_taming_target(const tgs_taming_schedule *s, int j);

/* M(c, x) of DESIGN §6 over x[0..n): c * x / median(x over x > 0) where x > 0, else 0
 * (NaN counts as 0; median = the lower middle value, as torch.median). Adds the
 * result into out [N]. scratch: [N] floats. */
void tgs_taming_add_normalized(double c, const float *x /*[N]*/, size_t n, float *out /*[N]*/, float *scratch /*[N]*/);

/* How many Gaussians a Taming step from n towards target must be able to add
 * (at most n: each Gaussian clones or splits once); below that many candidates
 * the threshold is lowered with tgs_taming_fill_threshold. */
size_t tgs_taming_fill_want(size_t n, size_t target);

/* The gradient threshold of a Taming step that must add `want` Gaussians: thr
 * when at least `want` statistics accum/denom (0/0 counts as 0) reach it,
 * else the want-th largest statistic. scratch: [N] floats. */
float tgs_taming_fill_threshold(const float *accum /*[N]*/, const float *denom /*[N]*/, size_t n, float thr,
                                size_t want, float *scratch /*[N]*/);

/* The budgets of a Taming step from n towards target with nc clone and ns
 * split candidates: delta = min(target, n + nc + ns) - n (0 when negative),
 * the clone share floor(delta * nc / (nc + ns)), the split share the rest. */
void tgs_taming_budgets(size_t n, size_t target, size_t nc, size_t ns, size_t *clone_budget, size_t *split_budget);

/* One Taming densification step (DESIGN §6) given the summed scores [N]:
 * clone/split budgets from `target`, weighted picks, and for step j < 27 the
 * 50% weighted-random pruning of candidates among the Gaussians that existed
 * before the step. Resets the statistics. Rows are placed as in
 * tgs_densify_classic; with capacity >= target reserved, the model's buffers
 * never grow (the count stays <= max(n, target) throughout the step). */
tgs_status tgs_densify_taming(tgs_gaussians *g, tgs_densify_stats *s, const tgs_densify_params *p,
                              const float *scores /*[N]*/, size_t target, int step_j, tgs_rng *rng,
                              tgs_densify_report *rep);
/* The most scratch one tgs_densify_taming call allocates (freed before it returns). */
size_t tgs_densify_taming_scratch_bytes(size_t capacity);

#ifdef __cplusplus
}
#endif

#endif
