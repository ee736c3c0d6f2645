/* plan.h - the memory a training run will need, from the budget, the image
 * sizes and the SH degree, known before any pixel is read (tgs train --dry-run).
 * Each line is a sum of the allocators' own size functions; each backend
 * chooses its sum (tgs_backend_ops.plan). */
#ifndef TGS_TRAIN_PLAN_H
#define TGS_TRAIN_PLAN_H

#include "tgs/scene.h"
#include "tgs/train.h"

#include <stdio.h>

#define TGS_PLAN_MAX_ITEMS 12

typedef struct {
    const char *what[TGS_PLAN_MAX_ITEMS];
    double bytes[TGS_PLAN_MAX_ITEMS];
    int held[TGS_PLAN_MAX_ITEMS]; /* 1: the backend allocates it and holds it to the end */
    int n;
    double total;
    size_t capacity; /* Gaussians the buffers hold */
    int device;      /* the bytes are GPU memory (else host memory) */
} tgs_memory_plan;

/* Tile/Gaussian pairs the rasteriser keeps per Gaussian, on average at the peak
 * (measured on the shared scenes; the pair buffer grows past it if needed). */
#define TGS_PLAN_PAIRS_PER_GAUSSIAN 10.0
/* The pairs the CPU backend reserves before the first iteration. */
size_t tgs_plan_pairs_cpu(size_t capacity);
/* The CUDA rasteriser's 8x8 tiles: the pairs a view needs scale with what
 * it covers, not with the count. Peaks (H200/H100, published flags unless
 * said): lego 2.47 M with 200 000 Gaussians at 400x400 and 4.2 M with 1 M,
 * fox 0.58-0.65 M with 30 166 at 266x474, 2.04-2.09 M at 531x947 and 6.7-6.9 M
 * with 1 M there, beer 1.47-1.58 M with 8 828 at 360x643, a 800x533 capture
 * 4.0 M with 1.25 M: 2.0 to 21 a Gaussian and 4 to 26 a pixel. The CUDA
 * backend reserves 2 a Gaussian + 4 a pixel of the largest view before the
 * first iteration (below every peak above, within 1.05x of the capture's);
 * a view that needs more grows the buffers to 1.25x its need (DESIGN §8), so
 * they end within 1.25x of the run's peak. */
#define TGS_PLAN_PAIRS_PER_GAUSSIAN_GPU 2.0
#define TGS_PLAN_PAIRS_PER_PIXEL_GPU 4.0
/* The pairs the CUDA backend reserves before the first iteration. */
size_t tgs_plan_pairs_gpu(size_t capacity, double max_pixels);
/* The widest and the tallest view of the scene: the per-pixel buffers hold max_w x max_h. */
void tgs_plan_max_size(const tgs_scene *scene, int *max_w, int *max_h);

/* The CPU backend's plan for `threads` threads; own_gaussian and own_pixel are
 * the bytes per Gaussian and per pixel of the backend's own loop buffers. */
void tgs_train_plan_cpu(const tgs_train_config *cfg, const tgs_scene *scene, size_t capacity, int threads,
                        size_t own_gaussian, size_t own_pixel, tgs_memory_plan *out);
/* The CUDA allocators' sizes for a run, from their size functions (the CUDA
 * backend fills them: this file builds without CUDA). */
typedef struct {
    double model;                          /* parameters, gradients, moments (tgs_cuda_model_bytes) */
    double model_scratch;                  /* statistics and densification scratch (tgs_cuda_model_scratch_bytes) */
    double raster_gaussians, raster_pixels; /* tgs_cuda_raster_*_bytes for the capacity and the largest view */
    double raster_pairs, raster_temp;       /* for tgs_plan_pairs_gpu pairs */
    double loss;                            /* tgs_cuda_loss_bytes */
    double own_gaussian, own_pixel;         /* bytes per Gaussian / per pixel of the backend's own buffers */
} tgs_plan_gpu_sizes;
/* The CUDA backend's plan: device memory tgs allocates (the CUDA context, a
 * few hundred MiB that the driver takes, comes on top). */
void tgs_train_plan_gpu(const tgs_train_config *cfg, const tgs_scene *scene, size_t capacity,
                        const tgs_plan_gpu_sizes *z, tgs_memory_plan *out);
void tgs_memory_plan_print(const tgs_memory_plan *p, FILE *f);

#endif
