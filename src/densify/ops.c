/* ops.c - the building blocks that grow and shrink the model: clone, split and
 * remove. Parameters, gradients, Adam moments and statistics move together;
 * new rows get zero gradients, moments and statistics. */
#include "densify_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

tgs_status tgs_densify_grow(tgs_gaussians *g, tgs_densify_stats *s, size_t need) {
    if (need > g->capacity) {
        size_t cap = g->capacity > SIZE_MAX / 2 ? need : TGS_MAX(need, 2 * g->capacity);
        tgs_status st = tgs_gaussians_reserve(g, cap);
        if (st != TGS_OK)
            return tgs_error_prefix(st, "growing the model to %zu Gaussians", cap);
    }
    if (s && (s->capacity < g->capacity || !s->grad_accum))
        TGS_TRY(tgs_densify_stats_reserve(s, g->capacity));
    return TGS_OK;
}

/* Row dst of every group of buf, except the groups in skip (bit mask), := row src. */
static void copy_row_except(const tgs_gaussians *g, float *buf, size_t src, size_t dst, int skip) {
    for (int k = 0; k < TGS_G_COUNT; k++) {
        if (skip & (1 << k))
            continue;
        size_t w = (size_t)g->width[k];
        float *base = buf + g->capacity * g->offset[k];
        memcpy(base + dst * w, base + src * w, w * sizeof(float));
    }
}

/* Row dst of every group of buf := 0 (buf may be NULL). */
static void zero_row(const tgs_gaussians *g, float *buf, size_t dst) {
    if (!buf)
        return;
    for (int k = 0; k < TGS_G_COUNT; k++) {
        size_t w = (size_t)g->width[k];
        memset(buf + g->capacity * g->offset[k] + dst * w, 0, w * sizeof(float));
    }
}

/* A new row: optimiser state and statistics zero. */
static void fresh_state(const tgs_gaussians *g, tgs_densify_stats *s, size_t dst) {
    zero_row(g, g->grads, dst);
    zero_row(g, g->adam_m, dst);
    zero_row(g, g->adam_v, dst);
    if (s) {
        s->grad_accum[dst] = 0.0f;
        s->denom[dst] = 0.0f;
        s->max_radii[dst] = 0.0f;
    }
}

static tgs_status check_indices(const tgs_gaussians *g, const uint32_t *idx /*[count]*/, size_t count,
                                const char *op) {
    for (size_t k = 0; k < count; k++)
        if (idx[k] >= g->n)
            return TGS_FAIL(TGS_ERR_ARG, "%s: index %u at position %zu is out of range (expected < %zu)", op,
                            (unsigned)idx[k], k, g->n);
    return TGS_OK;
}

tgs_status tgs_densify_clone(tgs_gaussians *g, tgs_densify_stats *s, const uint32_t *idx /*[count]*/,
                             size_t count) {
    TGS_TRY(check_indices(g, idx, count, "clone"));
    if (count == 0)
        return TGS_OK;
    size_t n = g->n;
    TGS_TRY(tgs_densify_grow(g, s, n + count));
#pragma omp parallel for schedule(static)
    for (size_t k = 0; k < count; k++) {
        copy_row_except(g, g->params, idx[k], n + k, 0);
        fresh_state(g, s, n + k);
    }
    g->n = n + count;
    return TGS_OK;
}

/* Rotation matrix (row-major) of quaternion q = (w,x,y,z), normalised first;
 * a zero quaternion gives the identity. */
static void quat_to_matrix(const float *q /*[4]*/, double R[9]) {
    double w = q[0], x = q[1], y = q[2], z = q[3];
    double nrm = sqrt(w * w + x * x + y * y + z * z);
    if (!(nrm > 0)) {
        w = 1;
        x = y = z = 0;
    } else {
        w /= nrm, x /= nrm, y /= nrm, z /= nrm;
    }
    R[0] = 1 - 2 * (y * y + z * z), R[1] = 2 * (x * y - w * z), R[2] = 2 * (x * z + w * y);
    R[3] = 2 * (x * y + w * z), R[4] = 1 - 2 * (x * x + z * z), R[5] = 2 * (y * z - w * x);
    R[6] = 2 * (x * z - w * y), R[7] = 2 * (y * z + w * x), R[8] = 1 - 2 * (x * x + y * y);
}

/* Means of the two children of `parent` (mu + R (s * z), z ~ N(0, I)) and
 * their common log-scale log(exp(s) / 1.6). Draws 6 normals, child 0 first. */
static void make_children(const tgs_gaussians *g, size_t parent, tgs_rng *rng, float mean[2][3],
                          float scale_raw[3]) {
    tgs_param_view v = tgs_gaussians_view(g, g->params);
    double R[9], s[3];
    quat_to_matrix(v.rot_raw + 4 * parent, R);
    for (int c = 0; c < 3; c++) {
        s[c] = exp((double)v.scale_raw[3 * parent + c]);
        scale_raw[c] = (float)log(s[c] / 1.6);
    }
    for (int ch = 0; ch < 2; ch++) {
        double z[3];
        for (int c = 0; c < 3; c++)
            z[c] = s[c] * tgs_rng_normal(rng);
        for (int r = 0; r < 3; r++)
            mean[ch][r] =
                (float)(v.means[3 * parent + r] + R[3 * r] * z[0] + R[3 * r + 1] * z[1] + R[3 * r + 2] * z[2]);
    }
}

static void set_child(const tgs_gaussians *g, size_t row, const float mean[3], const float scale_raw[3]) {
    tgs_param_view v = tgs_gaussians_view(g, g->params);
    memcpy(v.means + 3 * row, mean, 3 * sizeof(float));
    memcpy(v.scale_raw + 3 * row, scale_raw, 3 * sizeof(float));
}

tgs_status tgs_densify_split_inplace(tgs_gaussians *g, tgs_densify_stats *s, const uint32_t *idx /*[count]*/,
                                     size_t count, tgs_rng *rng) {
    TGS_TRY(check_indices(g, idx, count, "split"));
    if (count == 0)
        return TGS_OK;
    size_t n = g->n;
    TGS_TRY(tgs_densify_grow(g, s, n + count));
    /* means and scales first, in order, so that the random draws do not
     * depend on the thread count (child 0 overwrites only its own parent's
     * mean and scale: indices are distinct) */
    for (size_t k = 0; k < count; k++) {
        size_t p = idx[k];
        float mean[2][3], scale_raw[3];
        make_children(g, p, rng, mean, scale_raw);
        set_child(g, p, mean[0], scale_raw);
        set_child(g, n + k, mean[1], scale_raw);
    }
    /* then the other groups copied from the parent, and fresh optimiser state */
    const int skip = (1 << TGS_G_MEANS) | (1 << TGS_G_SCALE);
#pragma omp parallel for schedule(static)
    for (size_t k = 0; k < count; k++) {
        size_t p = idx[k];
        copy_row_except(g, g->params, p, n + k, skip);
        fresh_state(g, s, p);
        fresh_state(g, s, n + k);
    }
    g->n = n + count;
    return TGS_OK;
}

/* Stable compaction of one array of rows of `w` elements of `size` bytes. */
static void compact(void *base, size_t size, size_t w, size_t n, const unsigned char *remove /*[N]*/) {
    char *b = base;
    size_t row = size * w, j = 0;
    for (size_t i = 0; i < n; i++) {
        if (remove[i])
            continue;
        if (j != i)
            memcpy(b + j * row, b + i * row, row);
        j++;
    }
}

void tgs_densify_remove(tgs_gaussians *g, tgs_densify_stats *s, const unsigned char *remove /*[N]*/) {
    size_t n = g->n, kept = 0;
    for (size_t i = 0; i < n; i++)
        kept += !remove[i];
    if (kept == n)
        return;
    float *bufs[4] = {g->params, g->grads, g->adam_m, g->adam_v};
    const int have_stats = s && s->grad_accum && s->capacity >= n;
    float *stats[3] = {have_stats ? s->grad_accum : NULL, have_stats ? s->denom : NULL,
                       have_stats ? s->max_radii : NULL};
    /* one task per (buffer, group) and per statistics array */
    const int n_tasks = 4 * TGS_G_COUNT + 3;
#pragma omp parallel for schedule(dynamic, 1)
    for (int t = 0; t < n_tasks; t++) {
        if (t < 4 * TGS_G_COUNT) {
            float *buf = bufs[t / TGS_G_COUNT];
            int k = t % TGS_G_COUNT;
            if (buf)
                compact(buf + g->capacity * g->offset[k], sizeof(float), (size_t)g->width[k], n, remove);
        } else if (stats[t - 4 * TGS_G_COUNT]) {
            compact(stats[t - 4 * TGS_G_COUNT], sizeof(float), 1, n, remove);
        }
    }
    g->n = kept;
}
