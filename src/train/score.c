/* score.c - the Taming per-Gaussian score (SPEC 6): edge maps of the training
 * images, the per-pixel weight map, and the sum over views of the normalised
 * per-Gaussian terms. */
#include "train/score.h"

#include "tgs/common.h"
#include "tgs/loss.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void tgs_score_edges(const unsigned char *rgb /*[H,W,3]*/, int w, int h, float *out /*[H,W]*/) {
    /* grey as PIL's convert('L'): (R*299 + G*587 + B*114) / 1000, rounded */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const unsigned char *p = rgb + 3 * ((size_t)y * w + x);
            out[(size_t)y * w + x] = (float)((p[0] * 299 + p[1] * 587 + p[2] * 114 + 500) / 1000);
        }
    /* FIND_EDGES: [-1 -1 -1; -1 8 -1; -1 -1 -1], clamped to 0..255; PIL leaves the
     * one-pixel border as it was. Computed into a copy of the grey image. */
    size_t npix = (size_t)w * h;
    float lo = INFINITY, hi = -INFINITY;
    float *tmp = out + npix; /* caller gives [2,H,W] scratch; the result ends in out[0..npix) */
    memcpy(tmp, out, npix * sizeof(float));
    for (int y = 1; y < h - 1; y++)
        for (int x = 1; x < w - 1; x++) {
            const float *c = tmp + (size_t)y * w + x;
            float s = 8.0f * c[0] - c[-1] - c[1] - c[-w - 1] - c[-w] - c[-w + 1] - c[w - 1] - c[w] - c[w + 1];
            out[(size_t)y * w + x] = s < 0 ? 0 : (s > 255 ? 255 : s);
        }
    for (size_t i = 0; i < npix; i++) {
        out[i] /= 255.0f;
        lo = fminf(lo, out[i]);
        hi = fmaxf(hi, out[i]);
    }
    float range = hi - lo;
    for (size_t i = 0; i < npix; i++)
        out[i] = range > 0 ? (out[i] - lo) / range : 0.0f;
}

void tgs_score_pixel_weights(const float *img /*[H,W,3]*/, const float *gt /*[H,W,3]*/, const float *edges /*[H,W]*/,
                             int w, int h, float *out /*[H,W]*/) {
    size_t npix = (size_t)w * h;
    tgs_loss_l1_map(img, gt, w, h, out);
    float lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < npix; i++) {
        lo = fminf(lo, out[i]);
        hi = fmaxf(hi, out[i]);
    }
    float range = hi - lo;
    for (size_t i = 0; i < npix; i++)
        out[i] = 50.0f * (range > 0 ? (out[i] - lo) / range : 0.0f) + 50.0f * edges[i];
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

tgs_status tgs_score_edge_maps(const tgs_scene *sc, const tgs_image *images, float **edges, size_t **edge_off) {
    *edges = NULL;
    size_t *off = tgs_calloc((size_t)sc->n_train + 1, sizeof(size_t), "edge offsets");
    if (!off)
        return TGS_ERR_NOMEM;
    size_t max_px = 0;
    for (int k = 0; k < sc->n_train; k++) {
        const tgs_camera *c = &sc->cameras[sc->train_idx[k]];
        size_t px = (size_t)c->width * c->height;
        off[k + 1] = off[k] + px;
        max_px = px > max_px ? px : max_px;
    }
    /* each map needs [2,H,W] while computed: max_px spare floats at the end take the last one's scratch */
    float *e = tgs_calloc(off[sc->n_train] + max_px, sizeof(float), "edge maps");
    if (!e) {
        free(off);
        return TGS_ERR_NOMEM;
    }
    for (int k = 0; k < sc->n_train; k++) {
        const tgs_image *im = &images[sc->train_idx[k]];
        tgs_score_edges(im->data, im->width, im->height, e + off[k]);
    }
    *edges = e;
    *edge_off = off;
    return TGS_OK;
}
