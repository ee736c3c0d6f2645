/* adam.c - Adam over the parameter buffer. Parameters, gradients and both
 * moments share one layout, so each group is one flat loop. */
#include "tgs/optim.h"

#include <math.h>
#include <string.h>

void tgs_adam_init(tgs_adam *a, const double lr[TGS_G_COUNT]) {
    memset(a, 0, sizeof *a);
    for (int i = 0; i < TGS_G_COUNT; i++)
        a->lr[i] = lr[i];
    a->beta1 = 0.9;
    a->beta2 = 0.999;
    a->eps = 1e-15;
}

void tgs_adam_zero_grad(tgs_gaussians *g, unsigned mask) {
    for (int grp = 0; grp < TGS_G_COUNT; grp++)
        if (mask & (1u << grp))
            memset(g->grads + g->capacity * g->offset[grp], 0, g->n * (size_t)g->width[grp] * sizeof(float));
}

void tgs_adam_step(tgs_adam *a, tgs_gaussians *g, unsigned mask, const int *radii /*[N] or NULL*/) {
    for (int grp = 0; grp < TGS_G_COUNT; grp++) {
        if (!(mask & (1u << grp)))
            continue;
        long t = ++a->step[grp];
        const float b1 = (float)a->beta1, b2 = (float)a->beta2;
        const float step_size = (float)(a->lr[grp] / (1.0 - pow(a->beta1, (double)t)));
        const float inv_bc2_sqrt = (float)(1.0 / sqrt(1.0 - pow(a->beta2, (double)t)));
        const float eps = (float)a->eps;
        size_t off = g->capacity * g->offset[grp];
        const size_t width = (size_t)g->width[grp], count = g->n * width;
        float *p = g->params + off, *gr = g->grads + off, *m = g->adam_m + off, *v = g->adam_v + off;
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < count; i++) {
            if (radii && radii[i / width] <= 0)
                continue;
            float gi = gr[i];
            m[i] = b1 * m[i] + (1.0f - b1) * gi;
            v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
            p[i] -= step_size * m[i] / (sqrtf(v[i]) * inv_bc2_sqrt + eps);
            gr[i] = 0.0f;
        }
    }
}

double tgs_lr_expon(double init, double final, long step, long max_steps) {
    if (step < 0 || (init == 0.0 && final == 0.0))
        return 0.0;
    double t = max_steps > 0 ? (double)step / (double)max_steps : 1.0;
    if (t > 1.0)
        t = 1.0;
    return exp(log(init) * (1.0 - t) + log(final) * t);
}
