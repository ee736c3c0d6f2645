/* plan.c - see plan.h. Each line mirrors an allocation of the CPU training
 * path; the sizes are those the code allocates for `capacity` Gaussians. */
#include "train/plan.h"

#include "tgs/gaussians.h"

#include <string.h>

#define LOSS_ROWS 65 /* rows of each thread's SSIM work buffers (LOSS_WORK_ROWS in src/loss) */

static void add(tgs_memory_plan *p, const char *what, double bytes) {
    p->what[p->n] = what;
    p->bytes[p->n] = bytes;
    p->n++;
    p->total += bytes;
}

void tgs_train_plan(const tgs_train_config *cfg, const tgs_scene *sc, size_t capacity, int threads,
                    tgs_memory_plan *p) {
    *p = (tgs_memory_plan){0};
    p->capacity = capacity;
    const double C = (double)capacity, T = threads;
    const int taming = cfg->densify_mode == TGS_DENSIFY_TAMING;
    double img_bytes = 0, train_px = 0, max_px = 0, max_w = 0;
    for (int i = 0; i < sc->n_cameras; i++) {
        double px = (double)sc->cameras[i].width * sc->cameras[i].height;
        img_bytes += 3 * px;
        if (!sc->cameras[i].is_test)
            train_px += px;
        max_px = px > max_px ? px : max_px;
        max_w = sc->cameras[i].width > max_w ? sc->cameras[i].width : max_w;
    }
    add(p, "parameters, gradients, Adam moments", 4.0 * (double)tgs_gaussians_buffer_bytes(capacity, cfg->sh_degree));
    /* densification statistics (3) + loop scratch: v_mean2d 2, score sums 4, scores 1, terms 1, scratch 7 */
    add(p, "densification statistics and scores", C * 4.0 * (3 + 2 + 4 + 1 + 1 + 7));
    /* rasteriser per Gaussian: depth, key, radius, mean2d, conic, opacity, pmin, rgb, clamp flags, rect,
     * pair offset, and per-thread backward (9) and score (4) accumulators */
    add(p, "rasteriser per-Gaussian buffers", C * (4 + 4 + 4 + 8 + 12 + 4 + 4 + 12 + 3 + 16 + 8 + T * 4 * (9 + (taming ? 4 : 0))));
    add(p, "tile/Gaussian pairs (estimate)", C * TGS_PLAN_PAIRS_PER_GAUSSIAN * 24.0);
    /* per pixel: render, ground truth, image gradient, pixel weights (2), final T, contributor count,
     * loss maps (9); plus the loss rows of each thread */
    add(p, "per-pixel buffers", max_px * 4.0 * (3 + 3 + 3 + 2 + 1 + 1 + 9) + T * 4.0 * 3 * LOSS_ROWS * max_w);
    add(p, "training images (8-bit)", img_bytes);
    if (taming) {
        /* 8-bit responses, a grey scratch image while they are computed, and per training view an offset,
         * lo and range (tgs_score_edge_maps_create) */
        add(p, "edge maps",
            1.0 * (train_px + max_px) + (double)(sizeof(size_t) + 2 * sizeof(float)) * (sc->n_train + 1));
        /* one Taming step: kind, weights, picks, keys (16), two masks */
        add(p, "densification step scratch", C * (1 + 4 + 4 + 16 + 2));
    }
    add(p, "program and libraries", 6.0 * 1024 * 1024);
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

void tgs_train_plan_gpu(const tgs_train_config *cfg, const tgs_scene *sc, size_t capacity, tgs_memory_plan *p) {
    *p = (tgs_memory_plan){0};
    p->capacity = capacity;
    const double C = (double)capacity;
    const int taming = cfg->densify_mode == TGS_DENSIFY_TAMING;
    const int images_on_gpu = strcmp(cfg->data_device, "cpu") != 0;
    double img_bytes = 0, max_img = 0, train_px = 0, max_w = 0, max_h = 0;
    for (int i = 0; i < sc->n_cameras; i++) {
        double px = (double)sc->cameras[i].width * sc->cameras[i].height;
        img_bytes += 3 * px;
        max_img = 3 * px > max_img ? 3 * px : max_img;
        if (!sc->cameras[i].is_test)
            train_px += px;
        max_w = sc->cameras[i].width > max_w ? sc->cameras[i].width : max_w;
        max_h = sc->cameras[i].height > max_h ? sc->cameras[i].height : max_h;
    }
    const double max_px = max_w * max_h; /* the per-pixel buffers hold the widest by the tallest view */
    const int rest = 3 * tgs_sh_rest_count(cfg->sh_degree);
    const double W = rest > 4 ? rest : 4; /* the widest group: SH rest, else rotation */
    add(p, "parameters, gradients, Adam moments", 4.0 * (double)tgs_gaussians_buffer_bytes(capacity, cfg->sh_degree));
    /* statistics 3, loop buffers (v_mean2d 2, score sums 4, scores 1); densification scratch: flags 4,
     * weights/keys/indices 6, one row of the widest group (W), statistics and terms 6, sort space ~4 */
    add(p, "statistics, scores, densification scratch", C * (4.0 * (3 + 7) + 4 + 4.0 * (6 + W + 6 + 4)));
    /* rasteriser per Gaussian: depth, radius, mean2d, conic+opacity, rgb, clamp, rect, tile count, pmin,
     * depth sort keys and order (2 x 2), pair offsets, backward accumulators (mean2d 2, conic 3,
     * opacity 1, rgb 3) */
    add(p, "rasteriser per-Gaussian buffers", C * (4 + 4 + 8 + 16 + 12 + 4 + 16 + 8 + 4 + 16 + 8 + 36));
    /* reserved before the first iteration: 4-byte keys and values twice (sort), and the blending
     * chunks' slots (64 pixels x 20 bytes per 128 pairs, and per 8x8 tile); grown by 25% only when
     * a view needs more */
    add(p, "tile/Gaussian pairs (estimate)", (double)tgs_plan_pairs_gpu(capacity, max_px) * (2 * 4 + 2 * 4 + 10) +
                                                 max_px * 20.0);
    /* render, its gradient, pixel weights (28), final colour and T, contributor count, stop chunk
     * (24), the SSIM coefficient maps (36), tile ranges and chunk counts (12 per 64 pixels) */
    add(p, "per-pixel buffers", max_px * (28 + 24 + 36 + 12.0 / 64));
    /* CUB sort/scan work space, counters, loss partial sums (measured on an H100: 0.3-2 MiB) */
    add(p, "work space", 2.0 * 1024 * 1024);
    add(p, images_on_gpu ? "training images (8-bit)" : "one staged image (--data_device cpu)",
        images_on_gpu ? img_bytes : max_img);
    if (taming)
        add(p, "edge maps", 1.0 * train_px); /* 8-bit responses (tgs_score_edge_maps_create) */
}
