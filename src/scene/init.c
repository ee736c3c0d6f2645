/* init.c - Gaussians from SfM (or random) points, DESIGN §2. */
#include "tgs/gaussians.h"
#include "tgs/knn.h"

#include <math.h>
#include <stdlib.h>

tgs_status tgs_gaussians_init_from_points(tgs_gaussians *g, const float *xyz /*[n,3]*/,
                                          const float *rgb /*[n,3]*/, size_t n) {
    if (n > g->capacity)
        return TGS_FAIL(TGS_ERR_ARG, "%zu initial points exceed the model capacity %zu", n, g->capacity);
    float *d2 = tgs_calloc(n, sizeof(float), "nearest-neighbour distances");
    if (!d2)
        return TGS_ERR_NOMEM;
    tgs_status st = tgs_knn_mean_dist2(xyz, n, 3, d2);
    if (st != TGS_OK) {
        free(d2);
        return st;
    }
    g->n = n;
    tgs_param_view p = tgs_gaussians_view(g, g->params);
    int k = tgs_sh_rest_count(g->sh_degree);
    const float logit01 = logf(0.1f / 0.9f);
    for (size_t i = 0; i < n; i++) {
        for (int c = 0; c < 3; c++) {
            p.means[3 * i + c] = xyz[3 * i + c];
            p.sh_dc[3 * i + c] = (float)((rgb[3 * i + c] - 0.5) / TGS_SH_C0);
        }
        for (int j = 0; j < 3 * k; j++)
            p.sh_rest[(size_t)3 * k * i + j] = 0.0f;
        p.opacity_raw[i] = logit01;
        float s = logf(sqrtf(fmaxf(d2[i], 1e-7f)));
        for (int c = 0; c < 3; c++)
            p.scale_raw[3 * i + c] = s;
        p.rot_raw[4 * i + 0] = 1.0f;
        p.rot_raw[4 * i + 1] = p.rot_raw[4 * i + 2] = p.rot_raw[4 * i + 3] = 0.0f;
    }
    free(d2);
    return TGS_OK;
}
