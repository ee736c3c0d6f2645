/* sample.c - weighted sampling without replacement by exponential keys
 * (key = -log(u) / w; the k smallest keys are a draw without replacement with
 * probabilities proportional to w, as torch.multinomial(replacement=False)). */
#include "densify_internal.h"
#include "select.h"

#include <math.h>
#include <stdlib.h>

/* keys are distinct (key, index) pairs */
#define KEY_LESS(x, y) ((x).key < (y).key || ((x).key == (y).key && (x).idx < (y).idx))
TGS_DEFINE_SELECT(select_keys, tgs_sample_key, KEY_LESS)

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

size_t tgs_sample_weighted_scratch(const float *weights /*[N]*/, size_t n, size_t k, tgs_rng *rng,
                                   uint32_t *out /*[k]*/, tgs_sample_key *scratch /*[N]*/) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        double u;
        do
            u = tgs_rng_uniform(rng);
        while (u <= 0.0);
        double w = weights[i];
        if (!(w > 0)) /* zero, negative and NaN weights are never drawn */
            continue;
        scratch[m].key = -log(u) / w;
        scratch[m].idx = (uint32_t)i;
        m++;
    }
    if (k > m)
        k = m;
    if (k == 0)
        return 0;
    if (k < m)
        select_keys(scratch, m, k - 1);
    for (size_t j = 0; j < k; j++)
        out[j] = scratch[j].idx;
    qsort(out, k, sizeof *out, cmp_u32);
    return k;
}

size_t tgs_sample_weighted(const float *weights /*[N]*/, size_t n, size_t k, tgs_rng *rng, uint32_t *out /*[k]*/) {
    if (n == 0 || k == 0)
        return 0;
    tgs_sample_key *scratch = tgs_calloc(n, sizeof *scratch, "weighted sampling keys");
    if (!scratch)
        return 0;
    size_t got = tgs_sample_weighted_scratch(weights, n, k, rng, out, scratch);
    free(scratch);
    return got;
}
