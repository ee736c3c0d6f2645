/* knn.c - mean squared distance to the k nearest other points (DESIGN §2), with a
 * kd-tree.
 *
 * Structure. The points are copied once into an array of {x, y, z, index}
 * records (16 bytes each) that the build reorders in place. The tree is
 * implicit and complete: a range of m points splits at its median position
 * lo + m/2, so every range at depth t holds floor or ceil of n / 2^t points.
 * The depth D is the smallest with ceil(n / 2^D) <= KNN_LEAF_MAX, every leaf
 * sits at depth D and holds at most KNN_LEAF_MAX points (at least
 * KNN_LEAF_MAX/2 when n > KNN_LEAF_MAX),
 * and node i has children 2i+1, 2i+2 (leaves are nodes 2^D-1 .. 2^(D+1)-2).
 * Each of the 2^D - 1 < 2n / KNN_LEAF_MAX + 1 inner nodes stores a split
 * value and an axis (5 bytes), and point ranges are recomputed on the way
 * down, so nothing else is stored.
 *
 * Build. At each inner node: bounding box of its range, axis of largest
 * extent, then selection of the median along that axis (introselect:
 * quickselect with three-way partitioning, so duplicate coordinates cost
 * nothing, and a median-of-medians pivot once a range has not shrunk fast
 * enough, which bounds each selection to O(m) in the worst case). Each level
 * is O(n), there are O(log n) levels: O(n log n) time worst case. The large
 * subtrees are built as OpenMP tasks; every subtree is a fixed function of its
 * own range, so the tree is the same whatever the thread count.
 *
 * Query. Every point searches the tree depth-first, nearer child first, with a
 * max-heap of its k best squared distances; a far child is visited only if the
 * distance from the query to that child's cell (per-axis offsets to the
 * splitting planes, Arya & Mount) is below the current k-th distance. The
 * query point is skipped by position, so duplicates of it count with distance
 * 0. Distances are computed in double; the lower bound uses the same
 * operations on coordinates that are never nearer than the real ones, so
 * rounding cannot prune a point that would enter the heap, and the set of k
 * distances found is exactly the brute-force one. It is summed in ascending
 * order, hence the result is bitwise independent of the thread count. Expected
 * cost per query O(log n) for point clouds of bounded density contrast
 * (O(n) per query in contrived worst cases, as for any kd-tree).
 *
 * Memory: 16 n bytes for the records + 5 bytes per inner node (< 5n/8 bytes
 * with KNN_LEAF_MAX = 16), + a fixed stack per query (heap of 16 doubles,
 * recursion depth <= 32): O(n), no per-query allocation.
 */
#include "tgs/knn.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define KNN_K_MAX 16
#define KNN_LEAF_MAX 16
#define KNN_TASK_MIN 32768 /* ranges at least this large are built as separate tasks */
#define KNN_SMALL 16       /* ranges at most this large are insertion-sorted by select */

typedef struct {
    float p[3];
    uint32_t idx; /* position in the caller's array */
} knn_point;

typedef struct {
    knn_point *pts;   /* [n] reordered by the build */
    float *split;     /* [n_inner] */
    uint8_t *axis;    /* [n_inner] */
    size_t n, n_inner; /* n_inner = 2^D - 1 = index of the first leaf */
} knn_tree;

/* ---------------------------------------------------------------- build */

static inline void swap_pts(knn_point *a, knn_point *b) {
    knn_point t = *a;
    *a = *b;
    *b = t;
}

static void insertion_sort(knn_point *p, size_t lo, size_t hi, int a) {
    for (size_t i = lo + 1; i < hi; i++) {
        knn_point v = p[i];
        size_t j = i;
        while (j > lo && p[j - 1].p[a] > v.p[a]) {
            p[j] = p[j - 1];
            j--;
        }
        p[j] = v;
    }
}

static void select_nth(knn_point *p, size_t lo, size_t hi, size_t nth, int a);

/* Median of medians of groups of 5: a pivot with at least ~30% of [lo,hi) on
 * each side. Moves the group medians to the front of the range. */
static float pivot_median_of_medians(knn_point *p, size_t lo, size_t hi, int a) {
    size_t ng = 0;
    for (size_t g = lo; g < hi; g += 5) {
        size_t ge = TGS_MIN(g + 5, hi);
        insertion_sort(p, g, ge, a);
        swap_pts(&p[lo + ng], &p[g + (ge - g) / 2]);
        ng++;
    }
    select_nth(p, lo, lo + ng, lo + ng / 2, a);
    return p[lo + ng / 2].p[a];
}

static inline float median3(float x, float y, float z) {
    if (x > y) {
        float t = x;
        x = y;
        y = t;
    }
    /* now x <= y */
    if (z <= x)
        return x;
    return z < y ? z : y;
}

/* Reorders p[lo,hi) so that p[nth] holds the value of rank nth-lo along axis a,
 * with no larger value before it and no smaller value after it. */
static void select_nth(knn_point *p, size_t lo, size_t hi, size_t nth, int a) {
    int budget = 8; /* quickselect rounds allowed before median-of-medians pivots */
    for (size_t m = hi - lo; m > 1; m >>= 1)
        budget += 2;
    while (hi - lo > KNN_SMALL) {
        float v;
        if (budget > 0) {
            budget--;
            v = median3(p[lo].p[a], p[lo + (hi - lo) / 2].p[a], p[hi - 1].p[a]);
        } else {
            v = pivot_median_of_medians(p, lo, hi, a);
        }
        /* three-way partition: [lo,lt) < v, [lt,gt) == v, [gt,hi) > v */
        size_t lt = lo, i = lo, gt = hi;
        while (i < gt) {
            float x = p[i].p[a];
            if (x < v)
                swap_pts(&p[lt++], &p[i++]);
            else if (x > v)
                swap_pts(&p[i], &p[--gt]);
            else
                i++;
        }
        if (nth < lt)
            hi = lt;
        else if (nth >= gt)
            lo = gt;
        else
            return;
    }
    insertion_sort(p, lo, hi, a);
}

static void build_node(knn_tree *t, size_t node, size_t lo, size_t hi) {
    if (node >= t->n_inner)
        return;
    float bmin[3], bmax[3];
    for (int c = 0; c < 3; c++)
        bmin[c] = bmax[c] = t->pts[lo].p[c];
    for (size_t i = lo + 1; i < hi; i++)
        for (int c = 0; c < 3; c++) {
            float x = t->pts[i].p[c];
            bmin[c] = x < bmin[c] ? x : bmin[c];
            bmax[c] = x > bmax[c] ? x : bmax[c];
        }
    int a = 0;
    double best = (double)bmax[0] - (double)bmin[0];
    for (int c = 1; c < 3; c++) {
        double e = (double)bmax[c] - (double)bmin[c];
        if (e > best) {
            best = e;
            a = c;
        }
    }
    size_t mid = lo + (hi - lo) / 2;
    select_nth(t->pts, lo, hi, mid, a);
    t->split[node] = t->pts[mid].p[a];
    t->axis[node] = (uint8_t)a;
    if (hi - lo >= KNN_TASK_MIN) {
#pragma omp task default(none) firstprivate(t, node, lo, mid)
        build_node(t, 2 * node + 1, lo, mid);
#pragma omp task default(none) firstprivate(t, node, mid, hi)
        build_node(t, 2 * node + 2, mid, hi);
#pragma omp taskwait
    } else {
        build_node(t, 2 * node + 1, lo, mid);
        build_node(t, 2 * node + 2, mid, hi);
    }
}

/* ---------------------------------------------------------------- query */

typedef struct {
    double d[KNN_K_MAX]; /* max-heap: d[0] is the largest kept distance */
    int count, cap;
} knn_heap;

static inline double heap_worst(const knn_heap *h) { return h->count < h->cap ? INFINITY : h->d[0]; }

static inline void heap_offer(knn_heap *h, double d) {
    if (h->count < h->cap) {
        int i = h->count++;
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (h->d[parent] >= d)
                break;
            h->d[i] = h->d[parent];
            i = parent;
        }
        h->d[i] = d;
    } else if (d < h->d[0]) {
        int i = 0;
        for (;;) {
            int c = 2 * i + 1;
            if (c >= h->count)
                break;
            if (c + 1 < h->count && h->d[c + 1] > h->d[c])
                c++;
            if (h->d[c] <= d)
                break;
            h->d[i] = h->d[c];
            i = c;
        }
        h->d[i] = d;
    }
}

typedef struct {
    const knn_tree *t;
    double q[3];
    size_t self; /* position of the query point in t->pts */
    knn_heap heap;
} knn_query;

static inline double dist2(const double q[3], const float p[3]) {
    double dx = q[0] - (double)p[0], dy = q[1] - (double)p[1], dz = q[2] - (double)p[2];
    return dx * dx + dy * dy + dz * dz;
}

/* off: per-axis lower bounds of |q - p| over the points of this node. */
static void search(knn_query *qs, size_t node, size_t lo, size_t hi, double off[3]) {
    const knn_tree *t = qs->t;
    if (node >= t->n_inner) {
        for (size_t i = lo; i < hi; i++)
            if (i != qs->self)
                heap_offer(&qs->heap, dist2(qs->q, t->pts[i].p));
        return;
    }
    int a = t->axis[node];
    double diff = qs->q[a] - (double)t->split[node];
    size_t mid = lo + (hi - lo) / 2;
    /* left child holds values <= split, right child values >= split */
    if (diff < 0.0)
        search(qs, 2 * node + 1, lo, mid, off);
    else
        search(qs, 2 * node + 2, mid, hi, off);
    double saved = off[a];
    off[a] = fabs(diff);
    double rd = off[0] * off[0] + off[1] * off[1] + off[2] * off[2];
    if (rd < heap_worst(&qs->heap)) {
        if (diff < 0.0)
            search(qs, 2 * node + 2, mid, hi, off);
        else
            search(qs, 2 * node + 1, lo, mid, off);
    }
    off[a] = saved;
}

static float query_point(const knn_tree *t, size_t s, int k) {
    knn_query qs;
    qs.t = t;
    qs.self = s;
    for (int c = 0; c < 3; c++)
        qs.q[c] = (double)t->pts[s].p[c];
    qs.heap.count = 0;
    qs.heap.cap = k;
    double off[3] = {0.0, 0.0, 0.0};
    search(&qs, 0, 0, t->n, off);
    /* ascending order, so that the sum does not depend on the visiting order */
    double *d = qs.heap.d;
    int m = qs.heap.count;
    for (int i = 1; i < m; i++) {
        double v = d[i];
        int j = i;
        while (j > 0 && d[j - 1] > v) {
            d[j] = d[j - 1];
            j--;
        }
        d[j] = v;
    }
    double sum = 0.0;
    for (int i = 0; i < m; i++)
        sum += d[i];
    double mean = m > 0 ? sum / m : 0.0;
    return mean < (double)FLT_MAX ? (float)mean : FLT_MAX;
}

/* ---------------------------------------------------------------- API */

tgs_status tgs_knn_mean_dist2(const float *xyz /*[n,3]*/, size_t n, int k, float *out /*[n]*/) {
    if (k < 1 || k > KNN_K_MAX)
        return TGS_FAIL(TGS_ERR_ARG, "nearest neighbours: k = %d is out of range (expected 1..%d)", k, KNN_K_MAX);
    if (n == 0)
        return TGS_OK;
    if (!xyz || !out)
        return TGS_FAIL(TGS_ERR_ARG, "nearest neighbours: NULL point or output array for %zu points", n);
    if (n > (size_t)UINT32_MAX)
        return TGS_FAIL(TGS_ERR_ARG, "nearest neighbours: %zu points (expected at most %u)", n, UINT32_MAX);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(xyz[3 * i]) || !isfinite(xyz[3 * i + 1]) || !isfinite(xyz[3 * i + 2]))
            return TGS_FAIL(TGS_ERR_ARG, "nearest neighbours: point %zu has a non-finite coordinate (%g, %g, %g) (expected finite values)",
                            i, (double)xyz[3 * i], (double)xyz[3 * i + 1], (double)xyz[3 * i + 2]);
    if (n == 1) {
        out[0] = 0.0f;
        return TGS_OK;
    }
    int kk = (size_t)k < n - 1 ? k : (int)(n - 1);

    knn_tree t = {0};
    t.n = n;
    size_t leaves = 1;
    while ((n + leaves - 1) / leaves > KNN_LEAF_MAX)
        leaves *= 2;
    t.n_inner = leaves - 1;
    tgs_status st = TGS_OK;
    t.pts = tgs_calloc(n, sizeof *t.pts, "nearest-neighbour points");
    t.split = tgs_calloc(t.n_inner, sizeof *t.split, "kd-tree split values");
    t.axis = tgs_calloc(t.n_inner, sizeof *t.axis, "kd-tree split axes");
    if (!t.pts || !t.split || !t.axis) {
        st = TGS_ERR_NOMEM;
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        memcpy(t.pts[i].p, xyz + 3 * i, 3 * sizeof(float));
        t.pts[i].idx = (uint32_t)i;
    }

#pragma omp parallel default(none) shared(t, n)
#pragma omp single
    build_node(&t, 0, 0, n);

    /* queries in tree order (neighbouring queries touch the same nodes);
     * results are per point, so any schedule gives the same output */
#pragma omp parallel for schedule(static, 1024) default(none) shared(t, out, n, kk)
    for (size_t s = 0; s < n; s++)
        out[t.pts[s].idx] = query_point(&t, s, kk);

cleanup:
    free(t.pts);
    free(t.split);
    free(t.axis);
    return st;
}
