/* renderer.h - `tgs view`'s frames: one model, rendered on the CPU or, when a
 * GPU is usable, by the CUDA rasteriser (the model uploaded once). Used by
 * one thread only (the one that calls tgs_viewer_wait). */
#ifndef TGS_VIEWER_RENDERER_H
#define TGS_VIEWER_RENDERER_H

#include "tgs/gaussians.h"
#include "tgs/raster.h"
#include "tgs/train.h"

typedef struct tgs_view_renderer tgs_view_renderer;

/* device: TGS_DEVICE_AUTO (CUDA when present), _CPU or _CUDA (an error
 * without a GPU). g is copied (to the GPU) or kept by reference (CPU: it must
 * outlive the renderer). Frames up to max_width x max_height. */
tgs_status tgs_view_renderer_create(const tgs_gaussians *g, tgs_device_kind device, int max_width, int max_height,
                                    tgs_view_renderer **out);
void tgs_view_renderer_destroy(tgs_view_renderer *r); /* NULL-safe */
/* "cpu" or "cuda". */
const char *tgs_view_renderer_backend(const tgs_view_renderer *r);
/* A tgs_viewer_render_fn: ctx is the renderer. */
tgs_status tgs_view_renderer_render(void *ctx, const tgs_view *v, float *img /*[H,W,3]*/);

#endif
