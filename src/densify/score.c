/* score.c - the Taming per-Gaussian score (DESIGN §6), the CPU oracle: edge
 * maps of the training images, the per-pixel weight map, and the sum over
 * views of the normalised per-Gaussian terms. */
#include "densify/score.h"

#include "tgs/common.h"
#include "tgs/loss.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void tgs_score_edges(const unsigned char *rgb /*[H,W,3]*/, const unsigned char *mask /*[H,W]*/, int w, int h,
                     unsigned char *grey /*[H,W]*/, unsigned char *out /*[H,W]*/, float *lo, float *range) {
    /* grey as PIL's convert('L'): (R*299 + G*587 + B*114) / 1000, rounded (at most 255) */
    size_t npix = (size_t)w * h;
    for (size_t i = 0; i < npix; i++) {
        const unsigned char *p = rgb + 3 * i;
        grey[i] = (unsigned char)((p[0] * 299 + p[1] * 587 + p[2] * 114 + 500) / 1000);
    }
    /* FIND_EDGES: [-1 -1 -1; -1 8 -1; -1 -1 -1], clamped to 0..255; PIL leaves the
     * one-pixel border as it was */
    memcpy(out, grey, npix);
    for (int y = 1; y < h - 1; y++)
        for (int x = 1; x < w - 1; x++) {
            const unsigned char *c = grey + (size_t)y * w + x;
            int s = 8 * c[0] - c[-1] - c[1] - c[-w - 1] - c[-w] - c[-w + 1] - c[w - 1] - c[w] - c[w + 1];
            out[(size_t)y * w + x] = (unsigned char)(s < 0 ? 0 : (s > 255 ? 255 : s));
        }
    /* min and max of v/255 (over the kept pixels) are vmin/255 and vmax/255
     * (division is monotonic) */
    unsigned char vmin = 255, vmax = 0;
    size_t kept = 0;
    for (size_t i = 0; i < npix; i++) {
        if (mask && !mask[i])
            continue;
        vmin = out[i] < vmin ? out[i] : vmin;
        vmax = out[i] > vmax ? out[i] : vmax;
        kept++;
    }
    *lo = kept ? (float)vmin / 255.0f : 0.0f;
    *range = kept ? (float)vmax / 255.0f - *lo : 0.0f;
}

void tgs_score_pixel_weights(const float *img /*[H,W,3]*/, const float *gt /*[H,W,3]*/,
                             const unsigned char *mask /*[H,W]*/, const unsigned char *edges /*[H,W]*/, float edge_lo,
                             float edge_range, int w, int h, float *out /*[H,W]*/) {
    size_t npix = (size_t)w * h;
    tgs_loss_l1_map(img, gt, w, h, out);
    float lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < npix; i++) {
        if (mask && !mask[i])
            continue;
        lo = fminf(lo, out[i]);
        hi = fmaxf(hi, out[i]);
    }
    float range = hi - lo;
    for (size_t i = 0; i < npix; i++)
        out[i] = mask && !mask[i]
                     ? 0.0f
                     : tgs_taming_pixel_weight(out[i], lo, range, tgs_taming_edge_value(edges[i], edge_lo, edge_range));
}

int *tgs_score_pick_views(int n_train, int cams, tgs_rng *rng, int *ncams) {
    *ncams = cams < 0 || cams > n_train ? n_train : cams;
    int *order = tgs_calloc((size_t)n_train, sizeof(int), "the scored views");
    if (!order)
        return NULL;
    for (int k = 0; k < n_train; k++)
        order[k] = k;
    for (int k = 0; k < *ncams; k++) { /* partial Fisher-Yates: distinct views */
        int j = k + (int)tgs_rng_below(rng, (uint32_t)(n_train - k));
        int t = order[k];
        order[k] = order[j];
        order[j] = t;
    }
    return order;
}

void tgs_score_edge_maps_destroy(tgs_edge_maps *m) {
    if (!m)
        return;
    free(m->v);
    free(m->off);
    free(m->lo);
    free(m->range);
    free(m);
}

/* Pixels of the training views, and of the largest. */
static size_t train_pixels(const tgs_scene *sc, size_t *max_px) {
    size_t px = 0;
    *max_px = 0;
    for (int k = 0; k < sc->n_train; k++) {
        const tgs_camera *c = &sc->cameras[sc->train_idx[k]];
        size_t p = (size_t)c->width * (size_t)c->height;
        px += p;
        *max_px = p > *max_px ? p : *max_px;
    }
    return px;
}

size_t tgs_score_edge_responses_bytes(const tgs_scene *sc) {
    size_t max_px;
    return train_pixels(sc, &max_px);
}

size_t tgs_score_edge_maps_bytes(const tgs_scene *sc) {
    const size_t n = (size_t)sc->n_train;
    size_t max_px, px = train_pixels(sc, &max_px);
    return sizeof(tgs_edge_maps) + (n + 1) * sizeof(size_t) + 2 * n * sizeof(float) + px + max_px;
}

tgs_status tgs_score_edge_maps_create(const tgs_scene *sc, const tgs_image *images, const tgs_image *masks,
                                      tgs_edge_maps **out) {
    *out = NULL;
    const int n = sc->n_train;
    tgs_edge_maps *m = tgs_calloc(1, sizeof *m, "edge maps");
    if (!m)
        return TGS_ERR_NOMEM;
    m->n = n;
    m->off = tgs_calloc((size_t)n + 1, sizeof(size_t), "edge offsets");
    m->lo = tgs_calloc(n > 0 ? (size_t)n : 1, sizeof(float), "edge ranges");
    m->range = tgs_calloc(n > 0 ? (size_t)n : 1, sizeof(float), "edge ranges");
    if (!m->off || !m->lo || !m->range) {
        tgs_score_edge_maps_destroy(m);
        return TGS_ERR_NOMEM;
    }
    size_t max_px = 0;
    for (int k = 0; k < n; k++) {
        const tgs_image *im = &images[sc->train_idx[k]];
        size_t px = (size_t)im->width * im->height;
        m->off[k + 1] = m->off[k] + px;
        max_px = px > max_px ? px : max_px;
    }
    /* the grey image of the view being filtered: scratch for this call only */
    m->v = tgs_calloc(m->off[n] > 0 ? m->off[n] : 1, 1, "edge maps");
    unsigned char *grey = tgs_calloc(max_px > 0 ? max_px : 1, 1, "edge map scratch");
    if (!m->v || !grey) {
        free(grey);
        tgs_score_edge_maps_destroy(m);
        return TGS_ERR_NOMEM;
    }
    for (int k = 0; k < n; k++) {
        const tgs_image *im = &images[sc->train_idx[k]];
        const unsigned char *mask = masks ? masks[sc->train_idx[k]].data : NULL;
        tgs_score_edges(im->data, mask, im->width, im->height, grey, m->v + m->off[k], &m->lo[k], &m->range[k]);
    }
    free(grey);
    *out = m;
    return TGS_OK;
}

/* Rows of the score's scratch [TGS_TAMING_SCORE_SCRATCH, n]. */
enum { ROW_SELECT, ROW_GRAD, ROW_OPACITY, ROW_SCALE, ROW_DEPTH, ROW_RADIUS, ROW_SUM, ROW_TERM };

void tgs_taming_score_begin(const tgs_gaussians *g, const tgs_densify_stats *s, float *scores /*[N]*/,
                            float *scratch /*[TGS_TAMING_SCORE_SCRATCH,N]*/) {
    const size_t n = g->n;
    tgs_param_view p = tgs_gaussians_view(g, g->params);
    float *grad = scratch + ROW_GRAD * n, *opac = scratch + ROW_OPACITY * n, *scl = scratch + ROW_SCALE * n;
    memset(scores, 0, n * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        grad[i] = tgs_taming_term_grad(s->grad_accum[i], s->denom[i]);
        opac[i] = tgs_taming_term_opacity(p.opacity_raw[i]);
        scl[i] = tgs_taming_term_scale(p.scale_raw + 3 * i);
    }
}

void tgs_taming_score_view(size_t n, const int *radii /*[N]*/, const float *depths /*[N]*/,
                           const float *score_acc /*[N,4]*/, double ell, float *scores /*[N]*/,
                           float *scratch /*[TGS_TAMING_SCORE_SCRATCH,N]*/) {
    float *sel = scratch + ROW_SELECT * n, *term = scratch + ROW_TERM * n;
    float *depth = scratch + ROW_DEPTH * n, *radius = scratch + ROW_RADIUS * n, *sum = scratch + ROW_SUM * n;
    for (size_t i = 0; i < n; i++) {
        depth[i] = radii[i] > 0 ? depths[i] : 0.0f;
        radius[i] = (float)radii[i];
    }
    /* the terms in their order of addition (taming_terms.h) */
    const float *x[TGS_TERM_COUNT] = {scratch + ROW_GRAD * n, scratch + ROW_OPACITY * n, depth, radius,
                                      scratch + ROW_SCALE * n, sum, sum, sum, sum};
    memset(term, 0, n * sizeof(float));
    for (int t = 0; t < TGS_TERM_COUNT; t++) {
        if (t >= TGS_TERM_SUMS)
            for (size_t i = 0; i < n; i++)
                sum[i] = score_acc[TGS_SCORE_COUNT * i + (size_t)(t - TGS_TERM_SUMS)];
        tgs_taming_add_normalized(tgs_taming_term_coef(t), x[t], n, term, sel);
    }
    const float f = tgs_taming_view_factor(ell);
    for (size_t i = 0; i < n; i++)
        if (radii[i] > 0)
            scores[i] += f * term[i];
}
