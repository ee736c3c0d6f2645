/* gaussians.c - the parameter buffer and its layout (see include/tgs/gaussians.h). */
#include "tgs/gaussians.h"

#include <stdlib.h>
#include <string.h>

size_t tgs_gaussians_buffer_bytes(size_t capacity, int sh_degree) {
    int width[TGS_G_COUNT];
    size_t offset[TGS_G_COUNT];
    return capacity * (size_t)tgs_param_layout(sh_degree, width, offset) * sizeof(float);
}

tgs_status tgs_gaussians_create(size_t capacity, int sh_degree, int with_optim, tgs_gaussians **out) {
    *out = NULL;
    if (sh_degree < 0 || sh_degree > 3)
        return TGS_FAIL(TGS_ERR_ARG, "SH degree %d is out of range (expected 0..3)", sh_degree);
    tgs_gaussians *g = tgs_calloc(1, sizeof *g, "model");
    if (!g)
        return TGS_ERR_NOMEM;
    tgs_gaussians_set_layout(g, sh_degree);
    if (capacity == 0)
        capacity = 1;
    g->capacity = capacity;
    size_t count = capacity * (size_t)g->floats_per_gaussian;
    g->params = tgs_calloc(count, sizeof(float), "Gaussian parameters");
    if (g->params && with_optim) {
        g->grads = tgs_calloc(count, sizeof(float), "Gaussian gradients");
        g->adam_m = g->grads ? tgs_calloc(count, sizeof(float), "Adam first moments") : NULL;
        g->adam_v = g->adam_m ? tgs_calloc(count, sizeof(float), "Adam second moments") : NULL;
    }
    if (!g->params || (with_optim && !g->adam_v)) {
        tgs_gaussians_destroy(g);
        return TGS_ERR_NOMEM;
    }
    *out = g;
    return TGS_OK;
}

void tgs_gaussians_destroy(tgs_gaussians *g) {
    if (!g)
        return;
    free(g->params);
    free(g->grads);
    free(g->adam_m);
    free(g->adam_v);
    free(g);
}

/* Moves one buffer from capacity old_cap to new_cap, group by group. */
static float *regrow(const tgs_gaussians *g, float *buf, size_t new_cap, const char *what) {
    if (!buf)
        return NULL;
    float *nb = tgs_calloc(new_cap * (size_t)g->floats_per_gaussian, sizeof(float), what);
    if (!nb)
        return NULL;
    for (int i = 0; i < TGS_G_COUNT; i++)
        memcpy(nb + new_cap * g->offset[i], buf + g->capacity * g->offset[i],
               g->n * (size_t)g->width[i] * sizeof(float));
    return nb;
}

tgs_status tgs_gaussians_reserve(tgs_gaussians *g, size_t capacity) {
    if (capacity <= g->capacity)
        return TGS_OK;
    float *p = regrow(g, g->params, capacity, "Gaussian parameters");
    float *gr = regrow(g, g->grads, capacity, "Gaussian gradients");
    float *m = regrow(g, g->adam_m, capacity, "Adam first moments");
    float *v = regrow(g, g->adam_v, capacity, "Adam second moments");
    if (!p || (g->grads && !gr) || (g->adam_m && !m) || (g->adam_v && !v)) {
        free(p);
        free(gr);
        free(m);
        free(v);
        return TGS_ERR_NOMEM;
    }
    free(g->params);
    free(g->grads);
    free(g->adam_m);
    free(g->adam_v);
    g->params = p;
    g->grads = gr;
    g->adam_m = m;
    g->adam_v = v;
    g->capacity = capacity;
    return TGS_OK;
}

/* The copies between a model's groups and a table's arrays, one direction. */
static void copy_groups(const tgs_gaussians *g, const tgs_splats *s, int to_table) {
    tgs_param_view v = tgs_gaussians_view(g, g->params);
    struct {
        float *model, *table;
        int width;
    } pairs[TGS_G_COUNT] = {
        {v.means, s->means, 3},
        {v.sh_dc, s->sh_dc, 3},
        {v.sh_rest, s->sh_rest, g->width[TGS_G_REST]},
        {v.opacity_raw, s->opacity_raw, 1},
        {v.scale_raw, s->scales_raw, 3},
        {v.rot_raw, s->rots, 4},
    };
    for (int k = 0; k < TGS_G_COUNT; k++) {
        size_t bytes = s->n * (size_t)pairs[k].width * sizeof(float);
        if (bytes == 0)
            continue;
        if (to_table)
            memcpy(pairs[k].table, pairs[k].model, bytes);
        else
            memcpy(pairs[k].model, pairs[k].table, bytes);
    }
}

tgs_status tgs_gaussians_to_splats(const tgs_gaussians *g, tgs_splats **out) {
    TGS_TRY(tgs_splats_create(g->n, g->sh_degree, out));
    copy_groups(g, *out, 1);
    return TGS_OK;
}

tgs_status tgs_gaussians_from_splats(const tgs_splats *s, tgs_gaussians **out) {
    TGS_TRY(tgs_gaussians_create(s->n, s->sh_degree, 0, out));
    (*out)->n = s->n;
    copy_groups(*out, s, 0);
    return TGS_OK;
}

tgs_status tgs_gaussians_read_file(const char *path, tgs_opacity_storage opacity, tgs_gaussians **out,
                                   tgs_splat_format *format) {
    *out = NULL;
    tgs_splat_format f;
    TGS_TRY(tgs_splat_format_guess(path, &f));
    if (format)
        *format = f;
    if (f == TGS_SPLAT_FORMAT_PLY)
        return tgs_ply_read(path, opacity, out);
    tgs_splats *s = NULL;
    TGS_TRY(tgs_splats_read(path, &s));
    tgs_status st = tgs_gaussians_from_splats(s, out);
    tgs_splats_free(s);
    return st;
}
