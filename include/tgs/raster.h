/* raster.h - the Gaussian rasteriser (DESIGN §3) on host memory: forward image,
 * backward gradients, and the per-Gaussian score sums of Taming densification.
 *
 * This is the CPU rasteriser, multi-threaded float; a double-precision twin of
 * the same code (src/raster/cpu/raster_cpu.h) is the test oracle. Its CUDA twin
 * (src/raster/cuda/raster_cuda.h) takes device pointers in the same layout; the
 * training loop picks one through its backend table (src/train/backend.h). */
#ifndef TGS_RASTER_H
#define TGS_RASTER_H

#include "tgs/common.h"
#include "tgs/gaussians.h"
#include "tgs/scene.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TGS_TILE 16 /* tile edge in pixels */

typedef enum { TGS_OPACITY_SIGMOID = 0, TGS_OPACITY_ABS = 1 } tgs_opacity_act;

/* Everything a render needs to know about one view. */
typedef struct {
    int width, height;
    double fx, fy;             /* focal in pixels: width / (2 tan(fovx/2)) */
    double tan_fovx, tan_fovy; /* tan of half the field of view */
    double R[9], t[3];         /* world->camera, row-major */
    double campos[3];          /* camera centre, world */
    float bg[3];               /* background colour */
    int sh_degree;             /* active SH degree (<= the model's) */
    tgs_opacity_act opacity_act;
    /* Backward where alpha = min(0.99, opacity * G) is clamped: 0 (default) passes
     * the gradient of opacity * G, as the published rasteriser does; 1 passes
     * none, the exact derivative (the finite-difference tests). */
    int alpha_clamp_exact;
} tgs_view;

tgs_view tgs_view_from_camera(const tgs_camera *cam, const float bg[3], int sh_degree);

/* Per-Gaussian score sums over the pixels a Gaussian contributed to (DESIGN §3/§6). */
enum { TGS_SCORE_W = 0, TGS_SCORE_ONE = 1, TGS_SCORE_AT = 2, TGS_SCORE_DIST = 3, TGS_SCORE_COUNT = 4 };

typedef struct tgs_raster tgs_raster;

/* Scratch for up to `capacity` Gaussians and max_width x max_height images,
 * allocated once (the pair list of tile x Gaussian grows to its peak and stays). */
tgs_status tgs_raster_create(size_t capacity, int max_width, int max_height, tgs_raster **out);
void tgs_raster_destroy(tgs_raster *r); /* NULL-safe */
tgs_status tgs_raster_reserve(tgs_raster *r, size_t capacity);
/* Room for `pairs` tile/Gaussian pairs now (they grow on demand past it). */
tgs_status tgs_raster_reserve_pairs(tgs_raster *r, size_t pairs);

/* Renders g's first g->n Gaussians into img. With pixel_weight != NULL, also
 * adds to score [N,4] (TGS_SCORE_*) for each Gaussian and pixel it contributed to. */
tgs_status tgs_raster_forward(tgs_raster *r, const tgs_gaussians *g, const tgs_view *v,
                              float *img /*[H,W,3]*/, const float *pixel_weight /*[H,W] or NULL*/,
                              float *score /*[N,4] or NULL*/);
/* Backward of the last forward (same g and view): ADDS dL/dparams to g->grads
 * (the optimiser zeroes them after its step) and writes dL/d(NDC mean)
 * into v_mean2d [N,2] (= dL/dpixel * (W/2, H/2)). */
tgs_status tgs_raster_backward(tgs_raster *r, tgs_gaussians *g, const tgs_view *v,
                               const float *v_img /*[H,W,3]*/, float *v_mean2d /*[N,2]*/);
/* From the last forward: screen radius in pixels (0 = not visible) [N]. */
const int *tgs_raster_radii(const tgs_raster *r);
/* Tile/Gaussian pairs the rasteriser's buffers hold (their peak so far). */
size_t tgs_raster_pair_capacity(const tgs_raster *r);
/* The memory a tgs_raster holds: bytes per Gaussian of its capacity for
 * `threads` threads (score: with the Taming score accumulators of a scored
 * render), per pixel of its largest view, and per tile/Gaussian pair. */
size_t tgs_raster_gaussian_bytes(int threads, int score);
size_t tgs_raster_pixel_bytes(void);
size_t tgs_raster_pair_bytes(void);
/* From the last forward: view-space depth [N]. */
const float *tgs_raster_depths(const tgs_raster *r);

#ifdef __cplusplus
}
#endif

#endif
