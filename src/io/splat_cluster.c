/* splat_cluster.c - the clustering SOG uses: a 256-entry 1-D codebook (Lloyd's
 * algorithm on sorted, density-weighted values) and k-means of vectors: Lloyd's algorithm, and
 * for more than 256 clusters in two levels (coarse cells of the points, about
 * sqrt(k) of them, then k-means inside each cell with its share of the
 * centroids: a point compares itself with about sqrt(k) centroids, not k). Both
 * are deterministic: fixed seeds, a bounded number of iterations, and work
 * split so that the result does not depend on the thread count. */
#include <omp.h>
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

/* Weights of the sorted values: 1/sqrt(values in its bin), 1024 bins over
 * [v0, v_{m-1}]: dense regions count as the square root of their size, so the
 * sparse tails get entries too. pw, pwv: prefix sums of w and w*v. */
static void codebook_weights(const float *v /*[m]*/, size_t m, double *pw /*[m+1]*/, double *pwv /*[m+1]*/) {
    enum { BINS = 1024 };
    uint32_t count[BINS] = {0};
    const double lo = v[0], ext = (double)v[m - 1] - lo;
    for (size_t i = 0; i < m; i++)
        count[ext > 0.0 ? TGS_MIN((size_t)((v[i] - lo) / ext * BINS), (size_t)BINS - 1) : 0]++;
    pw[0] = pwv[0] = 0.0;
    for (size_t i = 0; i < m; i++) {
        const size_t b = ext > 0.0 ? TGS_MIN((size_t)((v[i] - lo) / ext * BINS), (size_t)BINS - 1) : 0;
        const double w = 1.0 / sqrt((double)count[b]);
        pw[i + 1] = pw[i] + w;
        pwv[i + 1] = pwv[i] + w * v[i];
    }
}

tgs_status splat_codebook(const float *values /*[m]*/, size_t m, float *book /*[256]*/) {
    memset(book, 0, SPLAT_CODEBOOK * sizeof *book);
    if (m == 0)
        return TGS_OK;
    float *v = tgs_calloc(m, sizeof *v, "codebook values");
    double *pw = tgs_calloc(m + 1, sizeof *pw, "codebook sums"), *pwv = tgs_calloc(m + 1, sizeof *pwv, "codebook sums");
    if (!v || !pw || !pwv) {
        free(v), free(pw), free(pwv);
        return TGS_ERR_NOMEM;
    }
    memcpy(v, values, m * sizeof *v);
    qsort(v, m, sizeof *v, cmp_float);
    codebook_init(v, m, book, pw);
    codebook_weights(v, m, pw, pwv);
    /* Lloyd: each entry moves to the weighted mean of the values nearest to
     * it; the entries stay sorted (means of consecutive ranges) */
    for (int it = 0; it < SPLAT_CODEBOOK_ITERATIONS; it++) {
        int moved = 0;
        size_t lo = 0;
        float next[SPLAT_CODEBOOK];
        for (int j = 0; j < SPLAT_CODEBOOK; j++) {
            size_t hi = j + 1 < SPLAT_CODEBOOK ? lower_bound(v, lo, m, 0.5 * ((double)book[j] + book[j + 1])) : m;
            next[j] = hi > lo ? (float)((pwv[hi] - pwv[lo]) / (pw[hi] - pw[lo])) : book[j];
            lo = hi;
        }
        for (int j = 0; j < SPLAT_CODEBOOK; j++) {
            moved |= next[j] != book[j];
            book[j] = next[j];
        }
        if (!moved)
            break;
    }
    free(v), free(pw), free(pwv);
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
/* k-means                                                                   */

enum { KMEANS_COARSE_SAMPLE = 64, KMEANS_COARSE_ITERATIONS = 10, KMEANS_FLAT = 256 };

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

/* The points of one k-means: x's rows idx[0..m) (idx NULL: rows 0..m). */
typedef struct {
    const float *x; /* [*,d] */
    const uint32_t *idx;
    size_t m;
    int d;
} kmeans_points;

static const float *point(const kmeans_points *p, size_t i) {
    return p->x + (size_t)(p->idx ? p->idx[i] : i) * (size_t)p->d;
}

/* The nearest of k centroids (starting from `start`, ties to the lower index). */
static uint32_t nearest(const float *q, const float *c, size_t k, int d, uint32_t start) {
    uint32_t bi = start;
    float best = dist2(q, c + (size_t)start * (size_t)d, d, INFINITY);
    for (size_t j = 0; j < k; j++) {
        float e = dist2(q, c + j * (size_t)d, d, best);
        if (e < best || (e == best && j < bi))
            best = e, bi = (uint32_t)j;
    }
    return bi;
}

/* Lloyd's algorithm on p with k <= m centroids c: k distinct points drawn from
 * rng, then up to `iterations` steps (stopping when no label changes); an empty
 * cluster takes a point drawn from rng. lab ends as each point's nearest
 * centroid. The assignment runs in parallel when not inside a parallel region. */
static tgs_status lloyd(const kmeans_points *p, size_t k, int iterations, tgs_rng *rng, float *c /*[k,d]*/,
                        uint32_t *lab /*[m]*/) {
    const size_t d = (size_t)p->d, m = p->m;
    double *sums = malloc(k * d * sizeof *sums);
    uint32_t *counts = malloc(k * sizeof *counts);
    if (!sums || !counts) {
        free(sums);
        free(counts);
        return TGS_FAIL(TGS_ERR_NOMEM, "out of memory for k-means of %zu points into %zu clusters", m, k);
    }
    for (size_t i = 0; i < m; i++) /* lab as a partial Fisher-Yates shuffle: the seeds */
        lab[i] = (uint32_t)i;
    for (size_t j = 0; j < k; j++) {
        size_t r = j + tgs_rng_below(rng, (uint32_t)(m - j));
        uint32_t t = lab[j];
        lab[j] = lab[r], lab[r] = t;
        memcpy(c + j * d, point(p, lab[j]), d * sizeof *c);
    }
    memset(lab, 0, m * sizeof *lab);
    for (int it = 0; it <= iterations; it++) {
        size_t changed = 0;
#pragma omp parallel for schedule(dynamic, 256) reduction(+ : changed) if (!omp_in_parallel())
        for (size_t i = 0; i < m; i++) {
            uint32_t b = nearest(point(p, i), c, k, p->d, lab[i]);
            changed += b != lab[i];
            lab[i] = b;
        }
        if (it == iterations || (it > 0 && changed == 0))
            break;
        memset(sums, 0, k * d * sizeof *sums);
        memset(counts, 0, k * sizeof *counts);
        for (size_t i = 0; i < m; i++) {
            const float *q = point(p, i);
            for (size_t a = 0; a < d; a++)
                sums[lab[i] * d + a] += q[a];
            counts[lab[i]]++;
        }
        for (size_t j = 0; j < k; j++) {
            if (counts[j] == 0)
                memcpy(c + j * d, point(p, tgs_rng_below(rng, (uint32_t)m)), d * sizeof *c);
            for (size_t a = 0; counts[j] > 0 && a < d; a++)
                c[j * d + a] = (float)(sums[j * d + a] / counts[j]);
        }
    }
    free(sums);
    free(counts);
    return TGS_OK;
}

/* How many of the k fine centroids each coarse cell gets: in proportion to its
 * points, at most one a point, exactly k in all (k <= n). */
static void share_out(const uint32_t *start /*[cells+1]*/, size_t cells, size_t n, size_t k, uint32_t *kc) {
    size_t given = 0;
    for (size_t j = 0; j < cells; j++) {
        const size_t nc = start[j + 1] - start[j];
        kc[j] = (uint32_t)TGS_MIN(nc, (size_t)((double)k * (double)nc / (double)n));
        given += kc[j];
    }
    while (given < k) /* the remainder: one each in turn to the cells with points to spare */
        for (size_t j = 0; j < cells && given < k; j++)
            if (kc[j] < start[j + 1] - start[j])
                kc[j]++, given++;
}

/* Coarse cells of the points: Lloyd on a sample of 64 points a cell, then
 * every point's nearest cell; cell j's points are order[start[j]..start[j+1]). */
static tgs_status coarse_cells(const kmeans_points *all, size_t cells, tgs_rng *rng, uint32_t *order /*[n]*/,
                               uint32_t *start /*[cells+1]*/) {
    const size_t n = all->m, d = (size_t)all->d, m = TGS_MIN(n, cells * KMEANS_COARSE_SAMPLE);
    float *coarse = tgs_calloc(cells * d, sizeof *coarse, "k-means cells");
    uint32_t *lab = tgs_calloc(n, sizeof *lab, "k-means cells");
    if (!coarse || !lab) {
        free(coarse);
        free(lab);
        return TGS_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) /* the sample: the first m of a partial shuffle */
        order[i] = (uint32_t)i;
    for (size_t j = 0; j < m; j++) {
        size_t r = j + tgs_rng_below(rng, (uint32_t)(n - j));
        uint32_t t = order[j];
        order[j] = order[r], order[r] = t;
    }
    kmeans_points sample = {all->x, order, m, all->d};
    tgs_status st = lloyd(&sample, cells, KMEANS_COARSE_ITERATIONS, rng, coarse, lab);
    if (st == TGS_OK) {
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < n; i++)
            lab[i] = nearest(all->x + i * d, coarse, cells, all->d, 0);
        memset(start, 0, (cells + 1) * sizeof *start);
        for (size_t i = 0; i < n; i++)
            start[lab[i] + 1]++;
        for (size_t j = 0; j < cells; j++)
            start[j + 1] += start[j];
        for (size_t i = 0; i < n; i++) /* counting sort, stable */
            order[start[lab[i]]++] = (uint32_t)i;
        for (size_t j = cells; j > 0; j--)
            start[j] = start[j - 1];
        start[0] = 0;
    }
    free(coarse);
    free(lab);
    return st;
}

/* Two levels: coarse cells of the points, then k-means inside each cell with
 * its share of the k centroids (each cell from its own seed: the result does
 * not depend on the thread count). */
static tgs_status kmeans_two_level(const kmeans_points *all, size_t k, int iterations, uint64_t seed,
                                   float *centroids, uint32_t *labels) {
    const size_t n = all->m, cells = (size_t)sqrt((double)k);
    tgs_rng rng;
    tgs_rng_seed(&rng, seed, 0);
    uint32_t *order = tgs_calloc(n, sizeof *order, "k-means order");
    uint32_t *start = tgs_calloc(cells + 1, sizeof *start, "k-means cells");
    uint32_t *kc = tgs_calloc(cells + 1, sizeof *kc, "k-means cells");
    uint32_t *lab = tgs_calloc(n, sizeof *lab, "k-means labels");
    tgs_status st = order && start && kc && lab ? coarse_cells(all, cells, &rng, order, start) : TGS_ERR_NOMEM;
    if (st == TGS_OK) {
        share_out(start, cells, n, k, kc);
        for (size_t j = 0, first = 0; j <= cells; j++) { /* kc becomes each cell's first centroid */
            size_t here = j < cells ? kc[j] : 0;
            kc[j] = (uint32_t)first, first += here;
        }
    }
    int failed = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(| : failed)
    for (size_t j = 0; j < (st == TGS_OK ? cells : 0); j++) {
        const size_t m = start[j + 1] - start[j], kj = kc[j + 1] - kc[j];
        if (kj == 0)
            continue;
        kmeans_points p = {all->x, order + start[j], m, all->d};
        tgs_rng r;
        tgs_rng_seed(&r, seed, j + 1);
        failed |= lloyd(&p, kj, iterations, &r, centroids + kc[j] * (size_t)all->d, lab + start[j]) != TGS_OK;
        for (size_t i = 0; i < m; i++)
            labels[order[start[j] + i]] = kc[j] + lab[start[j] + i];
    }
    if (st == TGS_OK && failed)
        st = TGS_FAIL(TGS_ERR_NOMEM, "out of memory for k-means of %zu points into %zu clusters", n, k);
    free(order);
    free(start);
    free(kc);
    free(lab);
    return st;
}

tgs_status splat_kmeans(const float *x /*[n,d]*/, size_t n, int d, size_t k, int iterations, uint64_t seed,
                        float *centroids /*[k,d]*/, uint32_t *labels /*[n]*/) {
    if (n == 0 || k == 0 || k > n || n > UINT32_MAX || d < 1 || d > SPLAT_KMEANS_MAX_DIM)
        return TGS_FAIL(TGS_ERR_ARG, "k-means of %zu points of %d dimensions into %zu clusters", n, d, k);
    kmeans_points all = {x, NULL, n, d};
    if (k <= KMEANS_FLAT) {
        tgs_rng rng;
        tgs_rng_seed(&rng, seed, 0);
        return lloyd(&all, k, iterations, &rng, centroids, labels);
    }
    return kmeans_two_level(&all, k, iterations, seed, centroids, labels);
}
