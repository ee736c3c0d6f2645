/* plan.h - the memory a training run will need, from the budget, the image
 * sizes and the SH degree, known before any pixel is read (tgs train --dry-run). */
#ifndef TGS_TRAIN_PLAN_H
#define TGS_TRAIN_PLAN_H

#include "tgs/scene.h"
#include "tgs/train.h"

#include <stdio.h>

#define TGS_PLAN_MAX_ITEMS 12

typedef struct {
    const char *what[TGS_PLAN_MAX_ITEMS];
    double bytes[TGS_PLAN_MAX_ITEMS];
    int n;
    double total;
    size_t capacity; /* Gaussians the buffers hold */
} tgs_memory_plan;

/* Tile/Gaussian pairs the rasteriser keeps per Gaussian, on average at the peak
 * (measured on the shared scenes; the pair buffer grows past it if needed). */
#define TGS_PLAN_PAIRS_PER_GAUSSIAN 10.0
/* The CUDA rasteriser's 8x8 tiles: pairs at the peak <= 12 per Gaussian + 8
 * per pixel of the largest view. The shared scenes' peaks (H100): lego 2.47 M
 * with 200 000 Gaussians at 400x400, fox 0.58-0.65 M with 30 166 at 266x474
 * and 2.04-2.09 M at 531x947, beer 1.47-1.58 M with 8 828 at 360x643 (large
 * flat Gaussians on its floor: 6.4 a pixel, the most). The CUDA backend
 * reserves that many before the first iteration, so that no view makes them
 * grow (beer keeps a quarter in hand). */
#define TGS_PLAN_PAIRS_PER_GAUSSIAN_GPU 12.0
#define TGS_PLAN_PAIRS_PER_PIXEL_GPU 8.0
/* The pairs the CUDA backend reserves before the first iteration. */
size_t tgs_plan_pairs_gpu(size_t capacity, double max_pixels);

void tgs_train_plan(const tgs_train_config *cfg, const tgs_scene *scene, size_t capacity, int threads,
                    tgs_memory_plan *out);
/* The same for the CUDA backend: device memory tgs allocates (the CUDA context,
 * a few hundred MiB that the driver takes, comes on top). */
void tgs_train_plan_gpu(const tgs_train_config *cfg, const tgs_scene *scene, size_t capacity, tgs_memory_plan *out);
void tgs_memory_plan_print(const tgs_memory_plan *p, FILE *f);

#endif
