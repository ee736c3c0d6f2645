/* renderer.c - see renderer.h. */
#include "viewer/renderer.h"

#include "tgs/device.h"

#include <stdlib.h>

#ifdef TGS_HAVE_CUDA
#include "cuda/cuda_alloc.h"
#include "raster/cuda/raster_cuda.h"
#include "scene/cuda/model_cuda.h"

#include <cuda_runtime_api.h>
#endif

struct tgs_view_renderer {
    const tgs_gaussians *g; /* CPU */
    tgs_raster *raster;
#ifdef TGS_HAVE_CUDA
    tgs_cuda_model *m;
    tgs_cuda_raster *r;
    float *d_img; /* [max_height, max_width, 3] */
#endif
};

void tgs_view_renderer_destroy(tgs_view_renderer *r) {
    if (!r)
        return;
    tgs_raster_destroy(r->raster);
#ifdef TGS_HAVE_CUDA
    tgs_cuda_free(r->d_img);
    tgs_cuda_raster_destroy(r->r);
    tgs_cuda_model_destroy(r->m);
#endif
    free(r);
}

#ifdef TGS_HAVE_CUDA
static tgs_status create_cuda(tgs_view_renderer *r, const tgs_gaussians *g, int max_width, int max_height) {
    TGS_TRY(tgs_cuda_model_create(g->n, g->sh_degree, 1, &r->m));
    TGS_TRY(tgs_cuda_model_upload(r->m, g, NULL, 0));
    TGS_TRY(tgs_cuda_raster_create(g->n, max_width, max_height, &r->r));
    cudaError_t e = tgs_cuda_malloc((void **)&r->d_img, (size_t)max_width * max_height * 3 * sizeof(float));
    if (e != cudaSuccess)
        return TGS_FAIL(TGS_ERR_DEVICE, "CUDA: viewer frame of %dx%d: %s", max_width, max_height,
                        cudaGetErrorString(e));
    return TGS_OK;
}
#endif

tgs_status tgs_view_renderer_create(const tgs_gaussians *g, tgs_device_kind device, int max_width, int max_height,
                                    tgs_view_renderer **out) {
    *out = NULL;
    tgs_view_renderer *r = tgs_calloc(1, sizeof *r, "viewer renderer");
    if (!r)
        return TGS_ERR_NOMEM;
    tgs_status st = TGS_OK;
    tgs_device_info d;
    tgs_device_query(&d);
    if (device == TGS_DEVICE_CUDA && !d.present)
        st = TGS_FAIL(TGS_ERR_DEVICE, "--device cuda: %s (use --device cpu)", d.why);
#ifdef TGS_HAVE_CUDA
    else if (device != TGS_DEVICE_CPU && d.present)
        st = create_cuda(r, g, max_width, max_height);
#endif
    else {
        r->g = g;
        st = tgs_raster_create(g->n, max_width, max_height, &r->raster);
    }
    if (st != TGS_OK) {
        tgs_view_renderer_destroy(r);
        return st;
    }
    *out = r;
    return TGS_OK;
}

const char *tgs_view_renderer_backend(const tgs_view_renderer *r) { return r->raster ? "cpu" : "cuda"; }

tgs_status tgs_view_renderer_render(void *ctx, const tgs_view *v, float *img /*[H,W,3]*/) {
    tgs_view_renderer *r = ctx;
    if (r->raster)
        return tgs_raster_forward(r->raster, r->g, v, img, NULL, NULL);
#ifdef TGS_HAVE_CUDA
    TGS_TRY(tgs_cuda_raster_forward(r->r, &r->m->g, v, r->d_img));
    cudaError_t e = cudaMemcpy(img, r->d_img, (size_t)v->width * v->height * 3 * sizeof(float),
                               cudaMemcpyDeviceToHost);
    if (e != cudaSuccess)
        return TGS_FAIL(TGS_ERR_DEVICE, "CUDA: frame download: %s", cudaGetErrorString(e));
#endif
    return TGS_OK;
}
