/* sample.c - weighted sampling without replacement by exponential keys
 * (key = -log(u) / w; the k smallest keys are a draw without replacement with
 * probabilities proportional to w, as torch.multinomial(replacement=False)). */
#include "densify_internal.h"

#include <math.h>
#include <stdlib.h>

static int key_less(const tgs_sample_key *a, const tgs_sample_key *b) {
    return a->key < b->key || (a->key == b->key && a->idx < b->idx);
}

/* Reorders a[0..m) so that a[t] is the t-th smallest and everything before it
 * smaller (Hoare partition around a median of three; expected O(m)). */
static void select_keys(tgs_sample_key *a, size_t m, size_t t) {
    size_t lo = 0, hi = m - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        tgs_sample_key x = a[lo], y = a[mid], z = a[hi], pv;
        if (key_less(&x, &y))
            pv = key_less(&y, &z) ? y : (key_less(&x, &z) ? z : x);
        else
            pv = key_less(&x, &z) ? x : (key_less(&y, &z) ? z : y);
        size_t i = lo, j = hi;
        for (;;) {
            while (key_less(&a[i], &pv))
                i++;
            while (key_less(&pv, &a[j]))
                j--;
            if (i >= j)
                break;
            tgs_sample_key tmp = a[i];
            a[i] = a[j];
            a[j] = tmp;
            i++;
            j--;
        }
        /* a[lo..j] <= pv <= a[j+1..hi] (keys are distinct pairs: i == j or i == j + 1) */
        if (i == j) {
            if (t == i)
                return;
            if (t < i)
                hi = i - 1;
            else
                lo = i + 1;
        } else if (t <= j) {
            hi = j;
        } else {
            lo = j + 1;
        }
    }
}

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
