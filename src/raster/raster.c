/* raster.c - the host rasteriser object: the float implementation of
 * src/raster/cpu behind the tgs_raster interface. */
#include "tgs/raster.h"

#include "raster/cpu/raster_cpu.h"

#include <math.h>
#include <stdlib.h>

struct tgs_raster {
    tgs_rctx_f32 cpu;
};

tgs_view tgs_view_from_camera(const tgs_camera *cam, const float bg[3], int sh_degree) {
    tgs_view v = {0};
    v.width = cam->width;
    v.height = cam->height;
    v.tan_fovx = tan(0.5 * cam->fovx);
    v.tan_fovy = tan(0.5 * cam->fovy);
    v.fx = cam->width / (2.0 * v.tan_fovx);
    v.fy = cam->height / (2.0 * v.tan_fovy);
    for (int i = 0; i < 9; i++)
        v.R[i] = cam->R[i];
    for (int i = 0; i < 3; i++) {
        v.t[i] = cam->t[i];
        v.campos[i] = cam->center[i];
        v.bg[i] = bg[i];
    }
    v.sh_degree = sh_degree;
    v.opacity_act = TGS_OPACITY_SIGMOID;
    return v;
}

tgs_status tgs_raster_create(size_t capacity, int max_width, int max_height, tgs_raster **out) {
    *out = NULL;
    tgs_raster *r = tgs_calloc(1, sizeof *r, "rasteriser");
    if (!r)
        return TGS_ERR_NOMEM;
    tgs_status st = tgs_rctx_reserve_f32(&r->cpu, capacity, max_width * max_height);
    if (st != TGS_OK) {
        tgs_raster_destroy(r);
        return st;
    }
    *out = r;
    return TGS_OK;
}

void tgs_raster_destroy(tgs_raster *r) {
    if (!r)
        return;
    tgs_rctx_free_f32(&r->cpu);
    free(r);
}

tgs_status tgs_raster_reserve(tgs_raster *r, size_t capacity) {
    return tgs_rctx_reserve_f32(&r->cpu, capacity, r->cpu.max_pixels);
}

tgs_status tgs_raster_reserve_pairs(tgs_raster *r, size_t pairs) { return tgs_bins_reserve(&r->cpu.bins, pairs); }

static tgs_rparams_f32 params_of(const tgs_gaussians *g) {
    tgs_param_view pv = tgs_gaussians_view(g, g->params);
    tgs_rparams_f32 p = {g->n, tgs_sh_rest_count(g->sh_degree), pv.means, pv.sh_dc, pv.sh_rest,
                         pv.opacity_raw, pv.scale_raw, pv.rot_raw};
    return p;
}

tgs_status tgs_raster_forward(tgs_raster *r, const tgs_gaussians *g, const tgs_view *v, float *img,
                              const float *pixel_weight, float *score) {
    if (v->sh_degree > g->sh_degree)
        return TGS_FAIL(TGS_ERR_ARG, "active SH degree %d exceeds the model's %d", v->sh_degree, g->sh_degree);
    if ((score != NULL) != (pixel_weight != NULL))
        return TGS_FAIL(TGS_ERR_ARG, "score sums need both the pixel weights and the score buffer");
    tgs_rparams_f32 p = params_of(g);
    return tgs_raster_cpu_forward_f32(&r->cpu, &p, v, img, pixel_weight, score);
}

tgs_status tgs_raster_backward(tgs_raster *r, tgs_gaussians *g, const tgs_view *v, const float *v_img,
                               float *v_mean2d) {
    if (!g->grads)
        return TGS_FAIL(TGS_ERR_ARG, "backward needs a model with gradient buffers");
    tgs_rparams_f32 p = params_of(g);
    tgs_param_view gv = tgs_gaussians_view(g, g->grads);
    tgs_rgrads_f32 gr = {gv.means, gv.sh_dc, gv.sh_rest, gv.opacity_raw, gv.scale_raw, gv.rot_raw};
    return tgs_raster_cpu_backward_f32(&r->cpu, &p, v, v_img, &gr, v_mean2d);
}

const int *tgs_raster_radii(const tgs_raster *r) { return r->cpu.radius; }
const float *tgs_raster_depths(const tgs_raster *r) { return r->cpu.depth; }

size_t tgs_raster_pair_capacity(const tgs_raster *r) { return r ? r->cpu.bins.pair_capacity : 0; }

size_t tgs_raster_gaussian_bytes(int threads, int score) {
    return tgs_rctx_gaussian_bytes_f32(threads, score) + tgs_bins_bytes(0, 1, 0);
}
size_t tgs_raster_pixel_bytes(void) { return tgs_rctx_pixel_bytes_f32(); }
size_t tgs_raster_pair_bytes(void) { return tgs_bins_bytes(1, 0, 0); }
