/* splat_cluster.c - the clustering SOG uses: a 256-entry 1-D codebook (Lloyd's
 * algorithm on sorted values) and k-means of vectors (Lloyd's algorithm with a
 * near-exact nearest-centroid search in an inverted file of the centroids). Both are
 * deterministic: fixed initialisation, a bounded number of iterations, and
 * per-point work that does not depend on the thread count. */
#include <stdlib.h>
#include <string.h>

#include "io/splat_internal.h"
#include "tgs/rng.h"

/* ------------------------------------------------------------------------ */
/* 1-D codebook                                                              */

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* First index i in [lo, hi) with v[i] >= t (hi when none). */
static size_t lower_bound(const float *v /*[m]*/, size_t lo, size_t hi, double t) {
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((double)v[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Initial entries: quantiles of the distinct values (a blend of uniform and
 * density placement: repeated values do not take several entries). */
static void codebook_init(const float *v /*[m]*/, size_t m, float *book /*[256]*/, double *uniq /*[m]*/) {
    size_t u = 0;
    for (size_t i = 0; i < m; i++)
        if (u == 0 || v[i] != uniq[u - 1])
            uniq[u++] = v[i];
    for (int j = 0; j < SPLAT_CODEBOOK; j++)
        book[j] = (float)uniq[TGS_MIN((size_t)((2.0 * j + 1.0) / (2.0 * SPLAT_CODEBOOK) * (double)u), u - 1)];
}

tgs_status splat_codebook(const float *values /*[m]*/, size_t m, float *book /*[256]*/) {
    memset(book, 0, SPLAT_CODEBOOK * sizeof *book);
    if (m == 0)
        return TGS_OK;
    float *v = tgs_calloc(m, sizeof *v, "codebook values");
    double *pre = tgs_calloc(m + 1, sizeof *pre, "codebook sums");
    if (!v || !pre) {
        free(v);
        free(pre);
        return TGS_ERR_NOMEM;
    }
    memcpy(v, values, m * sizeof *v);
    qsort(v, m, sizeof *v, cmp_float);
    codebook_init(v, m, book, pre);
    for (size_t i = 0; i < m; i++)
        pre[i + 1] = pre[i] + v[i];
    /* Lloyd: each entry moves to the mean of the values nearest to it; the
     * entries stay sorted (means of consecutive ranges) */
    for (int it = 0; it < SPLAT_CODEBOOK_ITERATIONS; it++) {
        int moved = 0;
        size_t lo = 0;
        float next[SPLAT_CODEBOOK];
        for (int j = 0; j < SPLAT_CODEBOOK; j++) {
            size_t hi = j + 1 < SPLAT_CODEBOOK ? lower_bound(v, lo, m, 0.5 * ((double)book[j] + book[j + 1])) : m;
            next[j] = hi > lo ? (float)((pre[hi] - pre[lo]) / (double)(hi - lo)) : book[j];
            lo = hi;
        }
        for (int j = 0; j < SPLAT_CODEBOOK; j++) {
            moved |= next[j] != book[j];
            book[j] = next[j];
        }
        if (!moved)
            break;
    }
    free(v);
    free(pre);
    return TGS_OK;
}

uint8_t splat_codebook_index(const float *book /*[256]*/, float x) {
    int lo = 0, hi = SPLAT_CODEBOOK - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if ((double)x < 0.5 * ((double)book[mid] + book[mid + 1]))
            hi = mid;
        else
            lo = mid + 1;
    }
    return (uint8_t)lo;
}

/* ------------------------------------------------------------------------ */
/* Inverted file of the centroids: a coarse k-means of the centroids into
 * about sqrt(k) cells; a point searches the centroids of its KMEANS_PROBE
 * nearest cells (the search FAISS calls IVF: near-exact, and k/sqrt(k) times
 * fewer distances than a full scan). */

enum { KMEANS_PROBE = 4, KMEANS_COARSE_ITERATIONS = 5 };

typedef struct {
    const float *c; /* [k,d] the centroids */
    size_t k, cells;
    int d;
    float *coarse;  /* [cells,d] */
    uint32_t *cell; /* [k] each centroid's cell */
    uint32_t *start; /* [cells+1] */
    uint32_t *items; /* [k] centroids by cell */
    uint32_t *next;  /* [cells] scratch */
    double *sums;    /* [cells,d] */
} ivf_index;

/* Squared distance, stopping once it reaches `stop` (checked every 8 terms;
 * four partial sums, which the compiler can keep in one vector register). */
static float dist2(const float *x, const float *y, int d, float stop) {
    float s[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    int a = 0;
    for (; a + 8 <= d; a += 8) {
        for (int l = 0; l < 4; l++) {
            float e0 = x[a + l] - y[a + l], e1 = x[a + 4 + l] - y[a + 4 + l];
            s[l] += e0 * e0 + e1 * e1;
        }
        if ((s[0] + s[1]) + (s[2] + s[3]) >= stop)
            return (s[0] + s[1]) + (s[2] + s[3]);
    }
    float t = (s[0] + s[1]) + (s[2] + s[3]);
    for (; a < d; a++)
        t += (x[a] - y[a]) * (x[a] - y[a]);
    return t;
}

/* The nearest coarse cell of x (ties to the lower index). */
static uint32_t ivf_nearest_cell(const ivf_index *ix, const float *x) {
    uint32_t best_i = 0;
    float best = INFINITY;
    for (size_t j = 0; j < ix->cells; j++) {
        float e = dist2(x, ix->coarse + j * (size_t)ix->d, ix->d, best);
        if (e < best)
            best = e, best_i = (uint32_t)j;
    }
    return best_i;
}

/* Coarse k-means of the centroids (started from every (k/cells)-th one), then
 * the cells' lists. */
static void ivf_build(ivf_index *ix) {
    const size_t d = (size_t)ix->d, step = ix->k / ix->cells;
    for (size_t j = 0; j < ix->cells; j++)
        memcpy(ix->coarse + j * d, ix->c + j * step * d, d * sizeof *ix->coarse);
    for (int it = 0; it < KMEANS_COARSE_ITERATIONS; it++) {
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < ix->k; i++)
            ix->cell[i] = ivf_nearest_cell(ix, ix->c + i * d);
        memset(ix->sums, 0, ix->cells * d * sizeof *ix->sums);
        memset(ix->start, 0, (ix->cells + 1) * sizeof *ix->start);
        for (size_t i = 0; i < ix->k; i++) {
            for (size_t a = 0; a < d; a++)
                ix->sums[ix->cell[i] * d + a] += ix->c[i * d + a];
            ix->start[ix->cell[i] + 1]++;
        }
        for (size_t j = 0; j < ix->cells; j++)
            for (size_t a = 0; ix->start[j + 1] > 0 && a < d; a++)
                ix->coarse[j * d + a] = (float)(ix->sums[j * d + a] / ix->start[j + 1]);
    }
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < ix->k; i++)
        ix->cell[i] = ivf_nearest_cell(ix, ix->c + i * d);
    memset(ix->start, 0, (ix->cells + 1) * sizeof *ix->start);
    for (size_t i = 0; i < ix->k; i++)
        ix->start[ix->cell[i] + 1]++;
    for (size_t j = 0; j < ix->cells; j++)
        ix->start[j + 1] += ix->start[j];
    memcpy(ix->next, ix->start, ix->cells * sizeof *ix->next); /* counting sort: lists in centroid order */
    for (size_t i = 0; i < ix->k; i++)
        ix->items[ix->next[ix->cell[i]]++] = (uint32_t)i;
}

/* The nearest centroid of x among the KMEANS_PROBE nearest cells' lists,
 * starting from (best, best_i). */
static void ivf_search(const ivf_index *ix, const float *x, float *best, uint32_t *best_i) {
    uint32_t probe[KMEANS_PROBE];
    float pd[KMEANS_PROBE];
    int np = 0;
    for (size_t j = 0; j < ix->cells; j++) {
        float e = dist2(x, ix->coarse + j * (size_t)ix->d, ix->d, np == KMEANS_PROBE ? pd[np - 1] : INFINITY);
        if (np == KMEANS_PROBE && e >= pd[np - 1])
            continue;
        int at = np < KMEANS_PROBE ? np++ : np - 1;
        while (at > 0 && pd[at - 1] > e)
            pd[at] = pd[at - 1], probe[at] = probe[at - 1], at--;
        pd[at] = e, probe[at] = (uint32_t)j;
    }
    for (int p = 0; p < np; p++)
        for (uint32_t t = ix->start[probe[p]]; t < ix->start[probe[p] + 1]; t++) {
            const uint32_t c = ix->items[t];
            float e = dist2(x, ix->c + (size_t)c * (size_t)ix->d, ix->d, *best);
            if (e < *best || (e == *best && c < *best_i))
                *best = e, *best_i = c;
        }
}

/* ------------------------------------------------------------------------ */
/* k-means                                                                   */

/* k distinct points (a partial Fisher-Yates shuffle of a fixed seed). */
static tgs_status kmeans_init(const float *x, size_t n, int d, size_t k, tgs_rng *rng, float *c) {
    uint32_t *idx = tgs_calloc(n, sizeof *idx, "k-means seeds");
    if (!idx)
        return TGS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        idx[i] = (uint32_t)i;
    for (size_t j = 0; j < k; j++) {
        size_t r = j + tgs_rng_below(rng, (uint32_t)(n - j));
        uint32_t tmp = idx[j];
        idx[j] = idx[r], idx[r] = tmp;
        memcpy(c + j * (size_t)d, x + (size_t)idx[j] * (size_t)d, (size_t)d * sizeof *c);
    }
    free(idx);
    return TGS_OK;
}

/* Assigns every point its nearest centroid found by the index (labels hold
 * the previous ones, a first bound: no point moves to a farther centroid);
 * returns how many changed. */
static size_t kmeans_assign(const ivf_index *ix, const float *x, size_t n, uint32_t *labels) {
    const int d = ix->d;
    size_t changed = 0;
#pragma omp parallel for schedule(dynamic, 256) reduction(+ : changed)
    for (size_t i = 0; i < n; i++) {
        const float *p = x + i * (size_t)d;
        uint32_t bi = labels[i];
        float best = dist2(p, ix->c + (size_t)bi * (size_t)d, d, INFINITY);
        ivf_search(ix, p, &best, &bi);
        changed += bi != labels[i];
        labels[i] = bi;
    }
    return changed;
}

/* Moves each centroid to the mean of its points; an empty one takes a point
 * drawn from rng. */
static void kmeans_update(const float *x, size_t n, int d, size_t k, const uint32_t *labels, double *sums,
                          uint32_t *counts, tgs_rng *rng, float *c) {
    memset(sums, 0, k * (size_t)d * sizeof *sums);
    memset(counts, 0, k * sizeof *counts);
    for (size_t i = 0; i < n; i++) {
        double *s = sums + (size_t)labels[i] * (size_t)d;
        const float *p = x + i * (size_t)d;
        for (int a = 0; a < d; a++)
            s[a] += p[a];
        counts[labels[i]]++;
    }
    for (size_t j = 0; j < k; j++) {
        float *cj = c + j * (size_t)d;
        if (counts[j] == 0) {
            memcpy(cj, x + (size_t)tgs_rng_below(rng, (uint32_t)n) * (size_t)d, (size_t)d * sizeof *cj);
            continue;
        }
        for (int a = 0; a < d; a++)
            cj[a] = (float)(sums[j * (size_t)d + (size_t)a] / counts[j]);
    }
}

static void ivf_free(ivf_index *ix) {
    free(ix->coarse);
    free(ix->cell);
    free(ix->start);
    free(ix->items);
    free(ix->next);
    free(ix->sums);
}

/* An index of the k centroids c: about sqrt(k) cells. */
static tgs_status ivf_create(const float *c, size_t k, int d, ivf_index *ix) {
    memset(ix, 0, sizeof *ix);
    ix->c = c, ix->k = k, ix->d = d;
    ix->cells = TGS_MAX((size_t)1, (size_t)sqrt((double)k));
    ix->coarse = tgs_calloc(ix->cells * (size_t)d, sizeof *ix->coarse, "k-means cells");
    ix->cell = tgs_calloc(k, sizeof *ix->cell, "k-means cells");
    ix->start = tgs_calloc(ix->cells + 1, sizeof *ix->start, "k-means cells");
    ix->items = tgs_calloc(k, sizeof *ix->items, "k-means cells");
    ix->next = tgs_calloc(ix->cells, sizeof *ix->next, "k-means cells");
    ix->sums = tgs_calloc(ix->cells * (size_t)d, sizeof *ix->sums, "k-means cells");
    if (ix->coarse && ix->cell && ix->start && ix->items && ix->next && ix->sums)
        return TGS_OK;
    ivf_free(ix);
    return TGS_ERR_NOMEM;
}

tgs_status splat_kmeans(const float *x /*[n,d]*/, size_t n, int d, size_t k, int iterations, uint64_t seed,
                        float *centroids /*[k,d]*/, uint32_t *labels /*[n]*/) {
    if (n == 0 || k == 0 || k > n || n > UINT32_MAX || d < 1 || d > SPLAT_KMEANS_MAX_DIM)
        return TGS_FAIL(TGS_ERR_ARG, "k-means of %zu points of %d dimensions into %zu clusters", n, d, k);
    tgs_rng rng;
    tgs_rng_seed(&rng, seed, 0);
    ivf_index ix;
    TGS_TRY(ivf_create(centroids, k, d, &ix));
    double *sums = tgs_calloc(k * (size_t)d, sizeof *sums, "k-means sums");
    uint32_t *counts = tgs_calloc(k, sizeof *counts, "k-means counts");
    tgs_status st = sums && counts ? TGS_OK : TGS_ERR_NOMEM;
    if (st == TGS_OK)
        st = kmeans_init(x, n, d, k, &rng, centroids);
    for (size_t i = 0; i < n; i++)
        labels[i] = 0;
    for (int it = 0; st == TGS_OK && it <= iterations; it++) {
        ivf_build(&ix);
        size_t changed = kmeans_assign(&ix, x, n, labels);
        if (it == iterations || (it > 0 && changed == 0))
            break; /* labels are the nearest found of the final centroids */
        kmeans_update(x, n, d, k, labels, sums, counts, &rng, centroids);
    }
    ivf_free(&ix);
    free(sums);
    free(counts);
    return st;
}
