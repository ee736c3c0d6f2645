/* densify_internal.h - helpers shared by the densification files (not public). */
#ifndef TGS_DENSIFY_INTERNAL_H
#define TGS_DENSIFY_INTERNAL_H

#include "densify/candidates.h"
#include "tgs/densify.h"

#include <math.h>

/* Refuses a missing model or statistics, statistics shorter than the model,
 * and counts that do not fit 32-bit indices; `what` names the caller. */
tgs_status tgs_densify_check_args(const tgs_gaussians *g, const tgs_densify_stats *s, const char *what);

/* Makes room for `need` Gaussians in g (doubling, so repeated growth is
 * amortised) and sizes s to g's capacity. */
tgs_status tgs_densify_grow(tgs_gaussians *g, tgs_densify_stats *s, size_t need);

/* The densification statistic of one Gaussian: accum/denom, 0 where that is
 * NaN (0/0: never visible). The candidate rule and the lowered Taming
 * threshold must see the same value. */
static inline float tgs_densify_grad_stat(float accum, float denom) {
    float gr = accum / denom;
    return isnan(gr) ? 0.0f : gr;
}

/* Per Gaussian: grad = accum/denom (0 when denom is 0 or the ratio NaN);
 * kind[i] = CLONE when grad >= threshold and max exp(scale) <= percent_dense *
 * extent, SPLIT when grad >= threshold and larger, else NONE. */
void tgs_densify_grad_candidates(const tgs_gaussians *g, const tgs_densify_stats *s, const tgs_densify_params *p,
                                 unsigned char *kind /*[N]*/, size_t *n_clone, size_t *n_split);

/* The clone/split candidates of a Taming step from g->n towards target: the
 * rule of tgs_densify_grad_candidates, with the threshold lowered by
 * tgs_taming_fill_threshold when too few pass it (unless p->cap_candidates).
 * scratch: [N] floats. */
void tgs_taming_candidates(const tgs_gaussians *g, const tgs_densify_stats *s, const tgs_densify_params *p,
                           size_t target, unsigned char *kind /*[N]*/, size_t *n_clone, size_t *n_split,
                           float *scratch /*[N]*/);

/* The split of classic and Taming densification: two children per index,
 * means sampled from N(mu, R diag(s)^2 R^T), scale s/1.6 (log-space:
 * scale_raw - log 1.6), the rest copied, gradients, moments and statistics
 * zero. Child 0 replaces its parent in place, child 1 is appended at row
 * n + k: `count` extra rows. idx must be distinct. */
tgs_status tgs_densify_split_inplace(tgs_gaussians *g, tgs_densify_stats *s, const uint32_t *idx /*[count]*/,
                                     size_t count, tgs_rng *rng);

/* Weighted sampling without replacement: k distinct indices from [0,n) with
 * probability proportional to weights (exponential keys: key = -log(u)/w, the k
 * smallest keys; zero weights are never drawn). k is clamped to the count of
 * positive weights. O(n log n), seeded by rng. Returns the number drawn, out
 * sorted ascending (0 when out of memory, with the message recorded). */
size_t tgs_sample_weighted(const float *weights /*[N]*/, size_t n, size_t k, tgs_rng *rng, uint32_t *out /*[k]*/);

/* One (key, index) pair of the weighted sampler. */
typedef struct {
    double key;
    uint32_t idx;
} tgs_sample_key;

/* tgs_sample_weighted with caller-provided scratch [n]. */
size_t tgs_sample_weighted_scratch(const float *weights /*[N]*/, size_t n, size_t k, tgs_rng *rng,
                                   uint32_t *out /*[k]*/, tgs_sample_key *scratch /*[N]*/);

#endif
