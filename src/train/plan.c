/* plan.c - see plan.h. Each line sums the size functions of the allocators it
 * stands for, for `capacity` Gaussians and the scene's image sizes. */
#include "train/plan.h"

#include "tgs/densify.h"
#include "tgs/gaussians.h"
#include "tgs/image.h"
#include "tgs/loss.h"
#include "tgs/raster.h"
#include "densify/score.h"

#include <string.h>

static void add(tgs_memory_plan *p, const char *what, double bytes, int held) {
    p->what[p->n] = what;
    p->bytes[p->n] = bytes;
    p->held[p->n] = held;
    p->n++;
    p->total += bytes;
}

void tgs_plan_max_size(const tgs_scene *sc, int *max_w, int *max_h) {
    *max_w = *max_h = 0;
    for (int i = 0; i < sc->n_cameras; i++) {
        *max_w = TGS_MAX(*max_w, sc->cameras[i].width);
        *max_h = TGS_MAX(*max_h, sc->cameras[i].height);
    }
}

/* Bytes of the masks the cameras with one keep at their training size. */
static double mask_bytes(const tgs_scene *sc) {
    double b = 0;
    for (int i = 0; i < sc->n_cameras; i++)
        if (sc->cameras[i].has_mask)
            b += (double)tgs_image_bytes(sc->cameras[i].width, sc->cameras[i].height, 1);
    return b;
}

size_t tgs_plan_pairs_cpu(size_t capacity) { return (size_t)(TGS_PLAN_PAIRS_PER_GAUSSIAN * (double)capacity); }

void tgs_train_plan_cpu(const tgs_train_config *cfg, const tgs_scene *sc, size_t capacity, int threads,
                        size_t own_gaussian, size_t own_pixel, tgs_memory_plan *p) {
    *p = (tgs_memory_plan){0};
    p->capacity = capacity;
    const double C = (double)capacity;
    const int taming = cfg->densify_mode == TGS_DENSIFY_TAMING;
    int max_w, max_h;
    tgs_plan_max_size(sc, &max_w, &max_h);
    const double px = (double)max_w * max_h;
    double img_bytes = 0;
    for (int i = 0; i < sc->n_cameras; i++)
        img_bytes += (double)tgs_image_bytes(sc->cameras[i].width, sc->cameras[i].height, 3);
    add(p, "parameters, gradients, Adam moments", 4.0 * (double)tgs_gaussians_buffer_bytes(capacity, cfg->sh_degree),
        1);
    add(p, "densification statistics and scores", (double)tgs_densify_stats_bytes(capacity) + C * (double)own_gaussian,
        1);
    add(p, "rasteriser per-Gaussian buffers", C * (double)tgs_raster_gaussian_bytes(threads, taming), 1);
    add(p, "tile/Gaussian pairs (estimate)", (double)tgs_plan_pairs_cpu(capacity) * (double)tgs_raster_pair_bytes(),
        1);
    add(p, "per-pixel buffers",
        px * (double)(own_pixel + tgs_raster_pixel_bytes()) + (double)tgs_loss_bytes(max_w, max_h, threads), 1);
    add(p, "training images (8-bit)", img_bytes, 0);
    if (sc->n_masked > 0)
        add(p, "training masks (1 byte a pixel)", mask_bytes(sc), 0);
    if (taming) {
        add(p, "edge maps", (double)tgs_score_edge_maps_bytes(sc), 1);
        add(p, "densification step scratch", (double)tgs_densify_taming_scratch_bytes(capacity), 0);
    }
    add(p, "program and libraries", 6.0 * 1024 * 1024, 0);
}

size_t tgs_plan_pairs_gpu(size_t capacity, double max_pixels) {
    return (size_t)((double)capacity * TGS_PLAN_PAIRS_PER_GAUSSIAN_GPU + max_pixels * TGS_PLAN_PAIRS_PER_PIXEL_GPU);
}

void tgs_memory_plan_print(const tgs_memory_plan *p, FILE *f) {
    fprintf(f, "memory plan for %zu Gaussians:\n", p->capacity);
    for (int i = 0; i < p->n; i++)
        fprintf(f, "  %-40s %9.1f MiB\n", p->what[i], p->bytes[i] / (1024.0 * 1024.0));
    fprintf(f, "  %-40s %9.1f MiB\n", "total (peak)", p->total / (1024.0 * 1024.0));
}

void tgs_train_plan_gpu(const tgs_train_config *cfg, const tgs_scene *sc, size_t capacity,
                        const tgs_plan_gpu_sizes *z, tgs_memory_plan *p) {
    *p = (tgs_memory_plan){0};
    p->capacity = capacity;
    p->device = 1;
    const double C = (double)capacity;
    int max_w, max_h;
    tgs_plan_max_size(sc, &max_w, &max_h);
    const double px = (double)max_w * max_h;
    const int images_on_gpu = strcmp(cfg->data_device, "cpu") != 0;
    double img_bytes = 0; /* the training views' (a test view's is staged at evaluation) */
    for (int k = 0; k < sc->n_train; k++)
        img_bytes += (double)tgs_image_bytes(sc->cameras[sc->train_idx[k]].width,
                                             sc->cameras[sc->train_idx[k]].height, 3);
    const double stage_bytes = (double)tgs_image_bytes(max_w, max_h, 3);
    add(p, "parameters, gradients, Adam moments", z->model, 1);
    add(p, "statistics, scores, densification scratch", z->model_scratch + C * z->own_gaussian, 1);
    add(p, "rasteriser per-Gaussian buffers", z->raster_gaussians, 1);
    add(p, "tile/Gaussian pairs (estimate)", z->raster_pairs, 1);
    add(p, "per-pixel buffers", px * z->own_pixel + z->raster_pixels + z->loss, 1);
    add(p, "work space (sort and scan)", z->raster_temp, 1);
    if (images_on_gpu)
        add(p, "training images (8-bit)", img_bytes, 1);
    if (!images_on_gpu || sc->n_train < sc->n_cameras)
        add(p, images_on_gpu ? "one staged test image" : "one staged image (--data_device cpu)", stage_bytes, 1);
    if (sc->n_masked > 0)
        add(p, images_on_gpu ? "training masks (1 byte a pixel)" : "one staged mask (--data_device cpu)",
            images_on_gpu ? mask_bytes(sc) : (double)tgs_image_bytes(max_w, max_h, 1), 1);
    if (cfg->densify_mode == TGS_DENSIFY_TAMING)
        add(p, "edge maps", (double)tgs_score_edge_responses_bytes(sc), 1);
}
