/* bench_render.c - times the CPU rasteriser forward and backward on a scene's
 * views with a given PLY: bench_render SCENE IMAGES PLY [linear] */
#include "tgs/loss.h"
#include "tgs/ply.h"
#include "tgs/raster.h"
#include "tgs/scene.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: bench_render SCENE IMAGES PLY [linear]\n");
        return 2;
    }
    tgs_scene_options so = {argv[1], argv[2], -1, 1, 0, 0, 1, NULL, 0};
    tgs_scene sc;
    tgs_gaussians *g = NULL, *gg = NULL;
    if (tgs_scene_load(&so, &sc) != TGS_OK ||
        tgs_ply_read(argv[3], argc > 4 && !strcmp(argv[4], "linear") ? TGS_OPACITY_LINEAR : TGS_OPACITY_LOGIT, &g) ||
        tgs_gaussians_create(g->n, g->sh_degree, 1, &gg)) {
        fprintf(stderr, "error: %s\n", tgs_error_message());
        return 1;
    }
    gg->n = g->n;
    memcpy(gg->params, g->params, g->n * (size_t)g->floats_per_gaussian * sizeof(float));
    const tgs_camera *c = &sc.cameras[sc.test_idx[0]];
    tgs_raster *r;
    tgs_raster_create(g->n, c->width, c->height, &r);
    float *img = calloc((size_t)c->width * c->height * 3, sizeof(float));
    float *vimg = calloc((size_t)c->width * c->height * 3, sizeof(float));
    float *vm = calloc(g->n * 2, sizeof(float));
    for (size_t i = 0; i < (size_t)c->width * c->height * 3; i++)
        vimg[i] = 1e-3f;
    float bg[3] = {0, 0, 0};
    int reps = 20;
    double tf = 0, tb = 0;
    for (int k = 0; k < reps; k++) {
        const tgs_camera *ck = &sc.cameras[sc.train_idx[k % sc.n_train]];
        tgs_view v = tgs_view_from_camera(ck, bg, gg->sh_degree);
        double t0 = tgs_now();
        tgs_raster_forward(r, gg, &v, img, NULL, NULL);
        double t1 = tgs_now();
        tgs_raster_backward(r, gg, &v, vimg, vm);
        tb += tgs_now() - t1;
        tf += t1 - t0;
    }
    printf("%zu Gaussians, %dx%d, %d threads: forward %.2f ms, backward %.2f ms\n", g->n, c->width, c->height,
           tgs_get_threads(), 1e3 * tf / reps, 1e3 * tb / reps);
    return 0;
}
