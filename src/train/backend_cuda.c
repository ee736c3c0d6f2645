/* backend_cuda.c - the training backend on an NVIDIA GPU: the model, its
 * gradients, Adam moments, statistics and the training images live on the
 * device; the CUDA rasteriser, loss, Adam and densification run there. The host
 * sees the model only when a PLY is saved. */
#include "train/backend.h"

#ifdef TGS_HAVE_CUDA

#include "cuda/cuda_alloc.h"
#include "densify/cuda/densify_cuda.h"
#include "optim/cuda/adam_cuda.h"
#include "raster/cuda/raster_cuda.h"
#include "train/plan.h"
#include "train/schedule.h"
#include "densify/score.h"
#include "tgs/device.h"

#include <cuda_runtime_api.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CU(call)                                                                                               \
    do {                                                                                                       \
        cudaError_t e_ = (call);                                                                               \
        if (e_ != cudaSuccess)                                                                                 \
            return tgs_error_set(TGS_ERR_DEVICE, __FILE__, __LINE__, "CUDA: %s failed: %s", #call,           \
                                 cudaGetErrorString(e_));                                                      \
    } while (0)

struct tgs_backend {
    const tgs_train_config *cfg;
    const tgs_scene *sc;
    const tgs_image *images;     /* host copies (used for --data_device cpu) */
    int images_on_device;
    unsigned char *d_images;     /* the training cameras' 8-bit images, camera i at img_off[i] */
    size_t *img_off;             /* [n_cameras]: SIZE_MAX for a camera not held there (a test view) */
    unsigned char *d_gt_stage;   /* one image: --data_device cpu, or a test view's at evaluation */
    const tgs_image *masks;      /* [n_cameras] or NULL: host keep masks (data NULL: every pixel counts) */
    unsigned char *d_masks;      /* the masks of the cameras with one, camera i at mask_off[i] (1 byte a pixel) */
    size_t *mask_off;            /* [n_cameras] */
    size_t *kept;                /* [n_cameras]: pixels each mask keeps (0: no mask) */
    unsigned char *d_mask_stage; /* one mask, for --data_device cpu */
    unsigned char *d_edges;      /* Taming edge maps (8-bit) of the training cameras, view k at edges->off[k] */
    tgs_edge_maps *edges;        /* their offsets and per-view ranges (the host maps are freed once uploaded) */
    tgs_cuda_model *m;
    tgs_cuda_raster *r;
    int step_radii;              /* r's radii are the last step's view, over today's rows (sparse Adam's rows) */
    int rest_stepped;            /* the last step took the SH rest group's Adam step (cuda_adam counts it) */
    tgs_cuda_loss *loss;
    float *d_img, *d_v_img, *d_pixel_w, *d_v_mean2d, *d_score_acc, *d_scores;
    size_t per_gaussian_capacity;
    tgs_cuda_rng rng;
    tgs_gaussians *host;      /* the model on the host, for saving */
    tgs_gaussians *host_full; /* with gradients and moments, for checkpoints */
    tgs_densify_stats host_stats;
    size_t bytes_at_start;          /* device bytes the process held before create (cuda_alloc.h) */
    cudaEvent_t ev[4];              /* --profile: forward | loss | backward of each step */
    double *h_loss;                 /* [1] pinned: the last step's loss, copied without waiting */
    cudaEvent_t loss_ev;            /* recorded after that copy */
    int have_loss;                  /* a step has queued that copy */
    double prof_ms[3];
};

/* Floats of the loop's own device buffers: per Gaussian v_mean2d, score sums,
 * scores; per pixel render, its gradient, pixel weights. */
enum { V_MEAN2D_FLOATS = 2, SCORE_ACC_FLOATS = 4, SCORES_FLOATS = 1 };
enum { IMG_FLOATS = 3, V_IMG_FLOATS = 3, PIXEL_W_FLOATS = 1 };

static void cuda_destroy(tgs_backend *b) {
    if (!b)
        return;
    tgs_cuda_set_limit(0);
    if (b->ev[0]) {
        printf("tgs: profile: step on the GPU: forward (binning, sort, blending) %.2f s, loss %.2f s, "
               "backward %.2f s\n",
               b->prof_ms[0] / 1e3, b->prof_ms[1] / 1e3, b->prof_ms[2] / 1e3);
        for (int k = 0; k < 4; k++)
            cudaEventDestroy(b->ev[k]);
    }
    if (b->loss_ev)
        cudaEventDestroy(b->loss_ev);
    cudaFreeHost(b->h_loss);
    tgs_cuda_free(b->d_images);
    tgs_cuda_free(b->d_gt_stage);
    tgs_cuda_free(b->d_masks);
    tgs_cuda_free(b->d_mask_stage);
    free(b->mask_off);
    free(b->kept);
    tgs_cuda_free(b->d_edges);
    tgs_cuda_free(b->d_img);
    tgs_cuda_free(b->d_v_img);
    tgs_cuda_free(b->d_pixel_w);
    tgs_cuda_free(b->d_v_mean2d);
    tgs_cuda_free(b->d_score_acc);
    tgs_cuda_free(b->d_scores);
    free(b->img_off);
    tgs_score_edge_maps_destroy(b->edges);
    tgs_cuda_model_destroy(b->m);
    tgs_cuda_raster_destroy(b->r);
    tgs_cuda_loss_destroy(b->loss);
    tgs_gaussians_destroy(b->host);
    tgs_gaussians_destroy(b->host_full);
    tgs_densify_stats_free(&b->host_stats);
    free(b);
}

static tgs_status reserve_per_gaussian(tgs_backend *b, size_t capacity) {
    if (capacity <= b->per_gaussian_capacity)
        return TGS_OK;
    tgs_cuda_free(b->d_v_mean2d);
    tgs_cuda_free(b->d_score_acc);
    tgs_cuda_free(b->d_scores);
    b->d_v_mean2d = b->d_score_acc = b->d_scores = NULL;
    CU(tgs_cuda_malloc((void **)&b->d_v_mean2d, capacity * V_MEAN2D_FLOATS * sizeof(float)));
    CU(tgs_cuda_malloc((void **)&b->d_score_acc, capacity * SCORE_ACC_FLOATS * sizeof(float)));
    CU(tgs_cuda_malloc((void **)&b->d_scores, capacity * SCORES_FLOATS * sizeof(float)));
    b->per_gaussian_capacity = capacity;
    return TGS_OK;
}

/* The keep masks: counted once on the host, then on the device with the images
 * (or one staging buffer for --data_device cpu). */
static tgs_status upload_masks(tgs_backend *b, size_t max_px) {
    const tgs_scene *sc = b->sc;
    b->mask_off = tgs_calloc((size_t)sc->n_cameras, sizeof(size_t), "mask offsets");
    b->kept = tgs_calloc((size_t)sc->n_cameras, sizeof(size_t), "mask counts");
    if (!b->mask_off || !b->kept)
        return TGS_ERR_NOMEM;
    size_t total = 0;
    for (int i = 0; b->masks && i < sc->n_cameras; i++) {
        const tgs_image *mk = &b->masks[i];
        if (!mk->data)
            continue;
        const size_t px = (size_t)mk->width * mk->height;
        for (size_t p = 0; p < px; p++)
            b->kept[i] += mk->data[p] != 0;
        if (b->kept[i] == 0)
            return TGS_FAIL(TGS_ERR_ARG, "the mask of camera '%s' keeps no pixel", sc->cameras[i].image_name);
        b->mask_off[i] = total;
        total += px;
    }
    if (total == 0)
        return TGS_OK;
    if (!b->images_on_device) {
        CU(tgs_cuda_malloc((void **)&b->d_mask_stage, max_px));
        return TGS_OK;
    }
    CU(tgs_cuda_malloc((void **)&b->d_masks, total));
    for (int i = 0; i < sc->n_cameras; i++)
        if (b->kept[i])
            CU(cudaMemcpy(b->d_masks + b->mask_off[i], b->masks[i].data,
                          (size_t)b->masks[i].width * b->masks[i].height, cudaMemcpyHostToDevice));
    return TGS_OK;
}

static tgs_status create_inner(tgs_backend *b, size_t capacity) {
    const tgs_train_config *cfg = b->cfg;
    const tgs_scene *sc = b->sc;
    int max_w = 0, max_h = 0;
    size_t total = 0;
    b->img_off = tgs_calloc((size_t)sc->n_cameras, sizeof(size_t), "image offsets");
    if (!b->img_off)
        return TGS_ERR_NOMEM;
    for (int i = 0; i < sc->n_cameras; i++) {
        max_w = TGS_MAX(max_w, sc->cameras[i].width);
        max_h = TGS_MAX(max_h, sc->cameras[i].height);
        b->img_off[i] = SIZE_MAX;
    }
    for (int k = 0; k < sc->n_train; k++) {
        const tgs_camera *c = &sc->cameras[sc->train_idx[k]];
        b->img_off[sc->train_idx[k]] = total;
        total += (size_t)c->width * c->height * 3;
    }
    const int staged = sc->n_train < sc->n_cameras; /* views only evaluated */
    size_t px = (size_t)max_w * max_h;
    /* the model, initialised on the host (kNN) and uploaded */
    tgs_gaussians *g0 = NULL;
    TGS_TRY(tgs_gaussians_create(sc->n_points, cfg->sh_degree, 0, &g0));
    tgs_status st = tgs_gaussians_init_from_points(g0, sc->points_xyz, sc->points_rgb, sc->n_points);
    if (st == TGS_OK)
        st = tgs_cuda_model_create(capacity, cfg->sh_degree, tgs_schedule_sums_rest_grads(cfg), &b->m);
    if (st == TGS_OK)
        st = tgs_cuda_model_upload(b->m, g0, NULL, 0);
    tgs_gaussians_destroy(g0);
    TGS_TRY(st);
    TGS_TRY(tgs_cuda_raster_create(capacity, max_w, max_h, &b->r));
    TGS_TRY(tgs_cuda_raster_reserve_pairs(b->r, tgs_plan_pairs_gpu(capacity, (double)px))); /* as planned */
    TGS_TRY(tgs_cuda_loss_create(max_w, max_h, &b->loss));
    TGS_TRY(reserve_per_gaussian(b, capacity));
    CU(tgs_cuda_malloc((void **)&b->d_img, px * IMG_FLOATS * sizeof(float)));
    CU(tgs_cuda_malloc((void **)&b->d_v_img, px * V_IMG_FLOATS * sizeof(float)));
    CU(tgs_cuda_malloc((void **)&b->d_pixel_w, px * PIXEL_W_FLOATS * sizeof(float)));
    CU(cudaMallocHost((void **)&b->h_loss, sizeof(double)));
    CU(cudaEventCreateWithFlags(&b->loss_ev, cudaEventDisableTiming));
    /* training images: 8-bit on the device, or streamed from the host; the test views' are streamed at evaluation */
    b->images_on_device = strcmp(cfg->data_device, "cpu") != 0;
    if (b->images_on_device) {
        CU(tgs_cuda_malloc((void **)&b->d_images, total));
        for (int i = 0; i < sc->n_cameras; i++)
            if (b->img_off[i] != SIZE_MAX)
                CU(cudaMemcpy(b->d_images + b->img_off[i], b->images[i].data,
                              (size_t)b->images[i].width * b->images[i].height * 3, cudaMemcpyHostToDevice));
    }
    if (!b->images_on_device || staged)
        CU(tgs_cuda_malloc((void **)&b->d_gt_stage, px * 3));
    TGS_TRY(upload_masks(b, px));
    if (cfg->densify_mode == TGS_DENSIFY_TAMING) {
        TGS_TRY(tgs_score_edge_maps_create(sc, b->images, b->masks, &b->edges));
        const size_t bytes = b->edges->off[sc->n_train];
        CU(tgs_cuda_malloc((void **)&b->d_edges, bytes));
        CU(cudaMemcpy(b->d_edges, b->edges->v, bytes, cudaMemcpyHostToDevice));
        free(b->edges->v); /* the device holds the maps; offsets and ranges stay on the host */
        b->edges->v = NULL;
    }
    tgs_cuda_rng_seed(&b->rng, cfg->seed);
    return TGS_OK;
}

static tgs_status cuda_create(const tgs_train_config *cfg, const tgs_scene *sc, const tgs_image *images,
                              const tgs_image *masks, size_t capacity, tgs_backend **out) {
    *out = NULL;
    tgs_backend *b = tgs_calloc(1, sizeof *b, "CUDA backend");
    if (!b)
        return TGS_ERR_NOMEM;
    b->cfg = cfg;
    b->sc = sc;
    b->images = images;
    b->masks = masks;
    cudaDeviceSetLimit(cudaLimitStackSize, TGS_CUDA_STACK_BYTES); /* tgs/device.h (a no-op if set already) */
    cudaGetLastError();
    b->bytes_at_start = tgs_cuda_bytes_live();
    tgs_cuda_peak_reset();
    if (cfg->gpu_memory_limit > 0) /* what this run allocates, from here on */
        tgs_cuda_set_limit(b->bytes_at_start + (size_t)cfg->gpu_memory_limit * 1048576u);
    tgs_status st = create_inner(b, capacity);
    if (st != TGS_OK) {
        cuda_destroy(b);
        return st;
    }
    *out = b;
    return TGS_OK;
}

/* Device pointer to camera ci's 8-bit image (uploaded now for --data_device cpu and test views). */
static tgs_status gt_of(tgs_backend *b, int ci, const unsigned char **out) {
    if (b->images_on_device && b->img_off[ci] != SIZE_MAX) {
        *out = b->d_images + b->img_off[ci];
        return TGS_OK;
    }
    const tgs_image *im = &b->images[ci];
    CU(cudaMemcpy(b->d_gt_stage, im->data, (size_t)im->width * im->height * 3, cudaMemcpyHostToDevice));
    *out = b->d_gt_stage;
    return TGS_OK;
}

/* Device pointer to camera ci's keep mask and its kept pixels (NULL, 0: every
 * pixel counts; uploaded now for --data_device cpu). */
static tgs_status mask_of(tgs_backend *b, int ci, const unsigned char **out, size_t *kept) {
    *out = NULL;
    *kept = b->kept[ci];
    if (*kept == 0)
        return TGS_OK;
    if (b->images_on_device) {
        *out = b->d_masks + b->mask_off[ci];
        return TGS_OK;
    }
    const tgs_image *mk = &b->masks[ci];
    CU(cudaMemcpy(b->d_mask_stage, mk->data, (size_t)mk->width * mk->height, cudaMemcpyHostToDevice));
    *out = b->d_mask_stage;
    return TGS_OK;
}

static tgs_status cuda_step(tgs_backend *b, int ci, const tgs_view *v, double lambda, int stats,
                            const tgs_adam *rest_adam, double *loss) {
    tgs_cuda_model *m = b->m;
    b->rest_stepped = 0;
    const unsigned char *d_gt = NULL, *d_mask = NULL;
    size_t kept = 0;
    TGS_TRY(gt_of(b, ci, &d_gt));
    TGS_TRY(mask_of(b, ci, &d_mask, &kept));
    const int prof = b->cfg->profile;
    if (prof && !b->ev[0])
        for (int k = 0; k < 4; k++)
            CU(cudaEventCreate(&b->ev[k]));
    if (prof)
        CU(cudaEventRecord(b->ev[0], 0));
    TGS_TRY(tgs_cuda_raster_forward(b->r, &m->g, v, b->d_img));
    b->step_radii = 1;
    if (prof)
        CU(cudaEventRecord(b->ev[1], 0));
    /* the previous step's loss: its copy finished when the forward waited for its pair count */
    const int first = !b->have_loss;
    if (!first) {
        CU(cudaEventSynchronize(b->loss_ev));
        *loss = *b->h_loss;
    }
    b->have_loss = 1;
    TGS_TRY(tgs_cuda_loss_forward_backward(b->loss, b->d_img, d_gt, d_mask, kept, v->width, v->height, (float)lambda,
                                           b->d_v_img, NULL, 0));
    CU(cudaMemcpyAsync(b->h_loss, tgs_cuda_loss_values(b->loss), sizeof(double), cudaMemcpyDeviceToHost, 0));
    CU(cudaEventRecord(b->loss_ev, 0));
    if (first) {
        CU(cudaEventSynchronize(b->loss_ev));
        *loss = *b->h_loss;
    }
    if (prof)
        CU(cudaEventRecord(b->ev[2], 0));
    /* the SH rest step in the backward: their gradient never goes through memory (DESIGN §5) */
    const tgs_adam_consts rc = rest_adam ? tgs_cuda_adam_consts(rest_adam, TGS_G_REST) : (tgs_adam_consts){0};
    TGS_TRY(tgs_cuda_raster_backward(b->r, &m->g, v, b->d_v_img, b->d_v_mean2d, rest_adam ? &rc : NULL,
                                     b->cfg->optimizer_type == TGS_OPTIMIZER_SPARSE_ADAM));
    b->rest_stepped = rest_adam != NULL;
    if (prof) {
        CU(cudaEventRecord(b->ev[3], 0));
        CU(cudaEventSynchronize(b->ev[3]));
        for (int k = 0; k < 3; k++) {
            float ms = 0;
            CU(cudaEventElapsedTime(&ms, b->ev[k], b->ev[k + 1]));
            b->prof_ms[k] += ms;
        }
    }
    if (stats)
        TGS_TRY(tgs_cuda_stats_add(m, tgs_cuda_raster_radii(b->r), b->d_v_mean2d, 0));
    return TGS_OK;
}

static tgs_status cuda_adam(tgs_backend *b, tgs_adam *a, unsigned mask) {
    const int sparse = b->cfg->optimizer_type == TGS_OPTIMIZER_SPARSE_ADAM && b->step_radii;
    const unsigned rest = b->rest_stepped ? 1u << TGS_G_REST : 0u;
    b->rest_stepped = 0; /* a mask without the group is refused by tgs_cuda_adam_step_model */
    return tgs_cuda_adam_step_model(a, b->m, mask, rest, sparse ? tgs_cuda_raster_radii(b->r) : NULL, 0);
}

static tgs_status cuda_zero_grad(tgs_backend *b, unsigned mask) { return tgs_cuda_adam_zero_grad(b->m, mask, 0); }

static tgs_status cuda_reset_opacity(tgs_backend *b) { return tgs_cuda_reset_opacity(b->m, 0); }

static tgs_status taming_scores(tgs_backend *b, int sh_active, const float bg[3], tgs_rng *rng) {
    const tgs_scene *sc = b->sc;
    tgs_cuda_model *m = b->m;
    TGS_TRY(tgs_cuda_taming_score_begin(m, b->d_scores, 0));
    int ncams;
    int *order = tgs_score_pick_views(sc->n_train, b->cfg->cams, rng, &ncams);
    if (!order)
        return TGS_ERR_NOMEM;
    tgs_status st = TGS_OK;
    for (int k = 0; k < ncams && st == TGS_OK; k++) {
        int ci = sc->train_idx[order[k]];
        const tgs_camera *c = &sc->cameras[ci];
        tgs_view v = tgs_view_from_camera(c, bg, sh_active);
        const unsigned char *d_gt = NULL, *d_mask = NULL;
        size_t kept = 0;
        if ((st = gt_of(b, ci, &d_gt)) != TGS_OK || (st = mask_of(b, ci, &d_mask, &kept)) != TGS_OK ||
            (st = tgs_cuda_raster_forward(b->r, &m->g, &v, b->d_img)) != TGS_OK ||
            (st = tgs_cuda_loss_forward_backward(b->loss, b->d_img, d_gt, d_mask, kept, c->width, c->height, 0.2f, NULL,
                                                 NULL, 0)) != TGS_OK ||
            (st = tgs_cuda_pixel_weights(b->loss, b->d_img, d_gt, d_mask, b->d_edges + b->edges->off[order[k]],
                                         b->edges->lo[order[k]], b->edges->range[order[k]], c->width, c->height,
                                         b->d_pixel_w, 0)) != TGS_OK)
            break;
        cudaError_t e = cudaMemsetAsync(b->d_score_acc, 0, m->g.n * 4 * sizeof(float), 0);
        if (e != cudaSuccess) {
            st = TGS_FAIL(TGS_ERR_DEVICE, "CUDA: clearing the score sums failed: %s", cudaGetErrorString(e));
            break;
        }
        if ((st = tgs_cuda_raster_score(b->r, &m->g, &v, b->d_pixel_w, b->d_score_acc)) != TGS_OK ||
            (st = tgs_cuda_taming_score_view(m, tgs_cuda_raster_radii(b->r), tgs_cuda_raster_depths(b->r),
                                             b->d_score_acc, tgs_cuda_loss_values(b->loss), b->d_scores, 0)) != TGS_OK)
            break;
    }
    free(order);
    return st;
}

static tgs_status cuda_densify(tgs_backend *b, const tgs_densify_params *p, size_t target, int step_j, int sh_active,
                               const float bg[3], tgs_rng *rng, tgs_densify_report *rep) {
    b->step_radii = 0;
    if (b->cfg->densify_mode == TGS_DENSIFY_CLASSIC) {
        TGS_TRY(tgs_cuda_densify_classic(b->m, p, &b->rng, rep, 0));
        TGS_TRY(tgs_cuda_raster_reserve(b->r, b->m->g.capacity));
        return reserve_per_gaussian(b, b->m->g.capacity);
    }
    TGS_TRY(taming_scores(b, sh_active, bg, rng));
    TGS_TRY(tgs_cuda_densify_taming(b->m, p, b->d_scores, target, step_j, &b->rng, rep, 0));
    return TGS_OK;
}

static tgs_status cuda_evaluate(tgs_backend *b, const int *idx, int n, int sh_active, double *psnr, double *ssim) {
    double ps = 0, ss = 0;
    tgs_cuda_model *m = b->m;
    b->step_radii = 0;
    for (int k = 0; k < n; k++) {
        const tgs_camera *c = &b->sc->cameras[idx[k]];
        tgs_view v = tgs_view_from_camera(c, b->sc->background, sh_active);
        const unsigned char *d_gt = NULL;
        double p1, s1;
        TGS_TRY(gt_of(b, idx[k], &d_gt));
        TGS_TRY(tgs_cuda_raster_forward(b->r, &m->g, &v, b->d_img));
        TGS_TRY(tgs_cuda_psnr_ssim(b->loss, b->d_img, d_gt, NULL, 0, c->width, c->height, &p1, &s1, 0));
        ps += p1;
        ss += s1;
    }
    *psnr = n ? ps / n : NAN;
    *ssim = n ? ss / n : NAN;
    return TGS_OK;
}

static tgs_status cuda_model(tgs_backend *b, const tgs_gaussians **out) {
    if (!b->host)
        TGS_TRY(tgs_gaussians_create(b->m->g.capacity, b->m->g.sh_degree, 0, &b->host)); /* download grows it */
    TGS_TRY(tgs_cuda_model_download(b->m, b->host, NULL, 0));
    *out = b->host;
    return TGS_OK;
}

static tgs_status cuda_state_get(tgs_backend *b, const tgs_gaussians **g, const tgs_densify_stats **s) {
    if (!b->host_full) {
        TGS_TRY(tgs_gaussians_create(b->m->g.capacity, b->m->g.sh_degree, 1, &b->host_full));
        TGS_TRY(tgs_densify_stats_reserve(&b->host_stats, b->m->g.capacity));
    }
    TGS_TRY(tgs_cuda_model_download(b->m, b->host_full, &b->host_stats, 0));
    *g = b->host_full;
    *s = &b->host_stats;
    return TGS_OK;
}

static tgs_status cuda_state_set(tgs_backend *b, const tgs_gaussians *g, const tgs_densify_stats *s) {
    b->step_radii = 0;
    if (g->capacity > b->m->g.capacity) {
        TGS_TRY(tgs_cuda_model_reserve(b->m, g->capacity, 0));
        TGS_TRY(tgs_cuda_raster_reserve(b->r, g->capacity));
        TGS_TRY(reserve_per_gaussian(b, g->capacity));
    }
    return tgs_cuda_model_upload(b->m, g, s, 0);
}

static void cuda_plan(const tgs_train_config *cfg, const tgs_scene *sc, size_t capacity, tgs_memory_plan *out) {
    int max_w, max_h;
    tgs_plan_max_size(sc, &max_w, &max_h);
    const size_t pairs = tgs_plan_pairs_gpu(capacity, (double)max_w * max_h);
    tgs_plan_gpu_sizes z = {
        .model = (double)tgs_cuda_model_bytes(capacity, cfg->sh_degree, tgs_schedule_sums_rest_grads(cfg)),
        .model_scratch = (double)tgs_cuda_model_scratch_bytes(capacity, cfg->sh_degree),
        .raster_gaussians = (double)tgs_cuda_raster_gaussian_bytes(capacity),
        .raster_pixels = (double)tgs_cuda_raster_pixel_bytes(max_w, max_h),
        .raster_pairs = (double)tgs_cuda_raster_pair_bytes(pairs, max_w, max_h),
        .raster_temp = (double)tgs_cuda_raster_temp_bytes(capacity, pairs, max_w, max_h),
        .loss = (double)tgs_cuda_loss_bytes(max_w, max_h),
        .own_gaussian = (V_MEAN2D_FLOATS + SCORE_ACC_FLOATS + SCORES_FLOATS) * sizeof(float),
        .own_pixel = (IMG_FLOATS + V_IMG_FLOATS + PIXEL_W_FLOATS) * sizeof(float),
    };
    tgs_train_plan_gpu(cfg, sc, capacity, &z, out);
}

static size_t cuda_count(const tgs_backend *b) { return b->m->g.n; }
static void cuda_pairs(const tgs_backend *b, size_t *peak, size_t *capacity) {
    *peak = tgs_cuda_raster_pair_peak(b->r);
    *capacity = tgs_cuda_raster_pair_capacity(b->r);
}
static size_t cuda_device_bytes(const tgs_backend *b) {
    return tgs_cuda_bytes_peak() - b->bytes_at_start;
}
static tgs_status cuda_sync(tgs_backend *b) {
    CU(cudaDeviceSynchronize());
    return TGS_OK;
}

static tgs_status cuda_render(tgs_backend *b, const tgs_view *v, float *img /*[H,W,3]*/) {
    b->step_radii = 0;
    TGS_TRY(tgs_cuda_raster_forward(b->r, &b->m->g, v, b->d_img));
    CU(cudaMemcpy(img, b->d_img, (size_t)v->width * v->height * 3 * sizeof(float), cudaMemcpyDeviceToHost));
    return TGS_OK;
}

const tgs_backend_ops tgs_backend_cuda = {
    "cuda", cuda_plan, cuda_create, cuda_destroy, cuda_step, cuda_adam, cuda_zero_grad, cuda_reset_opacity,
    cuda_densify, cuda_evaluate, cuda_model, cuda_state_get, cuda_state_set, cuda_count, cuda_pairs, cuda_device_bytes,
    cuda_sync, cuda_render,
};

#else
typedef int tgs_backend_cuda_unused; /* ISO C forbids an empty translation unit */
#endif
