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
