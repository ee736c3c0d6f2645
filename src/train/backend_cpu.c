/* backend_cpu.c - the training backend on the CPU: float rasteriser, loss,
 * Adam and densification over host memory, multi-threaded with OpenMP. */
#include "train/backend.h"

#include "densify/score.h"
#include "tgs/loss.h"
#include "train/plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct tgs_backend {
    const tgs_train_config *cfg;
    const tgs_scene *sc;
    const tgs_image *images; /* [n_cameras], owned by the caller */
    const tgs_image *masks;  /* [n_cameras] or NULL, owned by the caller (data NULL: no mask) */
    tgs_edge_maps *edges;    /* Taming edge maps of the training cameras */
    tgs_gaussians *g;
    tgs_raster *raster;
    int step_radii; /* raster's radii are the last step's view, over today's rows (sparse Adam's rows) */
    tgs_loss *loss;
    tgs_densify_stats stats;
    float *img, *gt, *v_img, *pixel_w;                      /* per pixel, one block from img */
    float *v_mean2d, *score_acc, *scores, *scratch;          /* per Gaussian, one block from v_mean2d */
    size_t per_gaussian_capacity;
};

/* Floats of the loop's own buffers: per Gaussian v_mean2d 2, score sums 4,
 * scores 1, the score's scratch; per pixel render, ground truth and image
 * gradient 3 each, pixel weights 2. */
enum { LOOP_GAUSSIAN_FLOATS = 2 + 4 + 1 + TGS_TAMING_SCORE_SCRATCH, LOOP_PIXEL_FLOATS = 3 + 3 + 3 + 2 };

static void cpu_destroy(tgs_backend *b) {
    if (!b)
        return;
    tgs_score_edge_maps_destroy(b->edges);
    tgs_gaussians_destroy(b->g);
    tgs_raster_destroy(b->raster);
    tgs_loss_destroy(b->loss);
    tgs_densify_stats_free(&b->stats);
    free(b->img);
    free(b->v_mean2d);
    free(b);
}

/* Per-Gaussian scratch of the loop, grown with the model's capacity (classic mode). */
static tgs_status reserve_per_gaussian(tgs_backend *b, size_t capacity) {
    if (capacity <= b->per_gaussian_capacity)
        return TGS_OK;
    free(b->v_mean2d);
    b->per_gaussian_capacity = 0;
    b->v_mean2d = tgs_calloc(capacity, LOOP_GAUSSIAN_FLOATS * sizeof(float), "per-Gaussian loop buffers");
    if (!b->v_mean2d)
        return TGS_ERR_NOMEM;
    b->score_acc = b->v_mean2d + capacity * 2;
    b->scores = b->score_acc + capacity * 4;
    b->scratch = b->scores + capacity; /* [TGS_TAMING_SCORE_SCRATCH, capacity] */
    b->per_gaussian_capacity = capacity;
    return TGS_OK;
}

static tgs_status cpu_create(const tgs_train_config *cfg, const tgs_scene *sc, const tgs_image *images,
                             const tgs_image *masks, size_t capacity, tgs_backend **out) {
    *out = NULL;
    tgs_backend *b = tgs_calloc(1, sizeof *b, "CPU backend");
    if (!b)
        return TGS_ERR_NOMEM;
    b->cfg = cfg;
    b->sc = sc;
    b->images = images;
    b->masks = masks;
    int max_w, max_h;
    tgs_plan_max_size(sc, &max_w, &max_h);
    size_t px = (size_t)max_w * max_h;
    tgs_status st;
    /* every buffer for the budget is held from here on: the plan is what the
     * process holds, and a machine without that memory fails now */
    tgs_alloc_commit(1);
    if ((st = tgs_gaussians_create(capacity, cfg->sh_degree, 1, &b->g)) != TGS_OK ||
        (st = tgs_gaussians_init_from_points(b->g, sc->points_xyz, sc->points_rgb, sc->n_points)) != TGS_OK ||
        (st = tgs_densify_stats_reserve(&b->stats, capacity)) != TGS_OK ||
        (st = tgs_raster_create(capacity, max_w, max_h, &b->raster)) != TGS_OK ||
        (st = tgs_loss_create(max_w, max_h, &b->loss)) != TGS_OK ||
        (st = reserve_per_gaussian(b, capacity)) != TGS_OK ||
        (st = tgs_raster_reserve_pairs(b->raster, tgs_plan_pairs_cpu(capacity))) != TGS_OK)
        goto fail;
    b->img = tgs_calloc(px, LOOP_PIXEL_FLOATS * sizeof(float), "per-pixel loop buffers");
    if (!b->img) {
        st = TGS_ERR_NOMEM;
        goto fail;
    }
    b->gt = b->img + px * 3;
    b->v_img = b->gt + px * 3;
    b->pixel_w = b->v_img + px * 3; /* [2, px] */
    if (cfg->densify_mode == TGS_DENSIFY_TAMING &&
        (st = tgs_score_edge_maps_create(sc, images, masks, &b->edges)) != TGS_OK)
        goto fail;
    tgs_alloc_commit(0);
    *out = b;
    return TGS_OK;
fail:
    tgs_alloc_commit(0);
    cpu_destroy(b);
    return st;
}

static void to_float(const tgs_image *im, float *out) {
    tgs_image_to_float(im->data, (size_t)im->width * im->height, out);
}

/* Camera ci's keep mask [H,W], or NULL when every pixel counts. */
static const unsigned char *mask_of(const tgs_backend *b, int ci) { return b->masks ? b->masks[ci].data : NULL; }

static tgs_status cpu_step(tgs_backend *b, int ci, const tgs_view *v, double lambda, int stats,
                           const tgs_adam *rest_adam, double *loss) {
    (void)rest_adam; /* the CPU takes every step in cpu_adam */
    TGS_TRY(tgs_raster_forward(b->raster, b->g, v, b->img, NULL, NULL));
    b->step_radii = 1;
    to_float(&b->images[ci], b->gt);
    *loss = tgs_loss_forward_backward(b->loss, b->img, b->gt, mask_of(b, ci), v->width, v->height, lambda, b->v_img,
                                      NULL, NULL);
    TGS_TRY(tgs_raster_backward(b->raster, b->g, v, b->v_img, b->v_mean2d));
    if (stats)
        tgs_densify_stats_add(&b->stats, b->g->n, tgs_raster_radii(b->raster), b->v_mean2d);
    return TGS_OK;
}

static tgs_status cpu_adam(tgs_backend *b, tgs_adam *a, unsigned mask) {
    const int sparse = b->cfg->optimizer_type == TGS_OPTIMIZER_SPARSE_ADAM && b->step_radii;
    tgs_adam_step(a, b->g, mask, sparse ? tgs_raster_radii(b->raster) : NULL);
    return TGS_OK;
}

static tgs_status cpu_zero_grad(tgs_backend *b, unsigned mask) {
    tgs_adam_zero_grad(b->g, mask);
    return TGS_OK;
}

static tgs_status cpu_reset_opacity(tgs_backend *b) {
    tgs_densify_reset_opacity(b->g);
    return TGS_OK;
}

/* The Taming score of a densification step (DESIGN §6): the oracle of
 * densify/score.h over cfg->cams random training views. */
static tgs_status taming_scores(tgs_backend *b, int sh_active, const float bg[3], tgs_rng *rng) {
    const tgs_scene *sc = b->sc;
    const tgs_edge_maps *e = b->edges;
    size_t n = b->g->n;
    tgs_taming_score_begin(b->g, &b->stats, b->scores, b->scratch);
    int ncams;
    int *order = tgs_score_pick_views(sc->n_train, b->cfg->cams, rng, &ncams);
    if (!order)
        return TGS_ERR_NOMEM;
    tgs_status st = TGS_OK;
    for (int k = 0; k < ncams && st == TGS_OK; k++) {
        int vi = order[k], ci = sc->train_idx[vi];
        const tgs_camera *c = &sc->cameras[ci];
        tgs_view v = tgs_view_from_camera(c, bg, sh_active);
        if ((st = tgs_raster_forward(b->raster, b->g, &v, b->img, NULL, NULL)) != TGS_OK)
            break;
        to_float(&b->images[ci], b->gt);
        const unsigned char *mask = mask_of(b, ci);
        double ell = tgs_loss_forward_backward(b->loss, b->img, b->gt, mask, c->width, c->height, 0.2, NULL, NULL,
                                               NULL);
        tgs_score_pixel_weights(b->img, b->gt, mask, e->v + e->off[vi], e->lo[vi], e->range[vi], c->width, c->height,
                                b->pixel_w);
        memset(b->score_acc, 0, n * TGS_SCORE_COUNT * sizeof(float));
        if ((st = tgs_raster_forward(b->raster, b->g, &v, b->img, b->pixel_w, b->score_acc)) != TGS_OK)
            break;
        tgs_taming_score_view(n, tgs_raster_radii(b->raster), tgs_raster_depths(b->raster), b->score_acc, ell,
                              b->scores, b->scratch);
    }
    free(order);
    return st;
}

static tgs_status cpu_densify(tgs_backend *b, const tgs_densify_params *p, size_t target, int step_j, int sh_active,
                              const float bg[3], tgs_rng *rng, tgs_densify_report *rep) {
    b->step_radii = 0;
    if (b->cfg->densify_mode == TGS_DENSIFY_CLASSIC) {
        TGS_TRY(tgs_densify_classic(b->g, &b->stats, p, rng, rep));
        TGS_TRY(tgs_raster_reserve(b->raster, b->g->capacity));
        return reserve_per_gaussian(b, b->g->capacity);
    }
    TGS_TRY(taming_scores(b, sh_active, bg, rng));
    return tgs_densify_taming(b->g, &b->stats, p, b->scores, target, step_j, rng, rep);
}

static tgs_status cpu_evaluate(tgs_backend *b, const int *idx, int n, int sh_active, double *psnr, double *ssim) {
    double ps = 0, ss = 0;
    b->step_radii = 0;
    for (int k = 0; k < n; k++) {
        const tgs_camera *c = &b->sc->cameras[idx[k]];
        tgs_view v = tgs_view_from_camera(c, b->sc->background, sh_active);
        TGS_TRY(tgs_raster_forward(b->raster, b->g, &v, b->img, NULL, NULL));
        to_float(&b->images[idx[k]], b->gt);
        ps += tgs_psnr(b->img, b->gt, NULL, c->width, c->height);
        ss += tgs_ssim(b->loss, b->img, b->gt, NULL, c->width, c->height);
    }
    *psnr = n ? ps / n : NAN;
    *ssim = n ? ss / n : NAN;
    return TGS_OK;
}

static tgs_status cpu_model(tgs_backend *b, const tgs_gaussians **out) {
    *out = b->g;
    return TGS_OK;
}

static tgs_status cpu_state_get(tgs_backend *b, const tgs_gaussians **g, const tgs_densify_stats **s) {
    *g = b->g;
    *s = &b->stats;
    return TGS_OK;
}

static tgs_status cpu_state_set(tgs_backend *b, const tgs_gaussians *g, const tgs_densify_stats *s) {
    b->step_radii = 0;
    if (g->sh_degree != b->g->sh_degree)
        return TGS_FAIL(TGS_ERR_ARG, "checkpoint has SH degree %d, the run %d", g->sh_degree, b->g->sh_degree);
    TGS_TRY(tgs_gaussians_reserve(b->g, g->n));
    TGS_TRY(tgs_densify_stats_reserve(&b->stats, b->g->capacity));
    TGS_TRY(tgs_raster_reserve(b->raster, b->g->capacity));
    TGS_TRY(reserve_per_gaussian(b, b->g->capacity));
    float *src[4] = {g->params, g->grads, g->adam_m, g->adam_v};
    float *dst[4] = {b->g->params, b->g->grads, b->g->adam_m, b->g->adam_v};
    for (int k = 0; k < 4; k++)
        for (int grp = 0; grp < TGS_G_COUNT; grp++)
            memcpy(dst[k] + b->g->capacity * b->g->offset[grp], src[k] + g->capacity * g->offset[grp],
                   g->n * (size_t)g->width[grp] * sizeof(float));
    b->g->n = g->n;
    memcpy(b->stats.grad_accum, s->grad_accum, g->n * sizeof(float));
    memcpy(b->stats.denom, s->denom, g->n * sizeof(float));
    memcpy(b->stats.max_radii, s->max_radii, g->n * sizeof(float));
    return TGS_OK;
}

static void cpu_plan(const tgs_train_config *cfg, const tgs_scene *sc, size_t capacity, tgs_memory_plan *out) {
    tgs_train_plan_cpu(cfg, sc, capacity, tgs_get_threads(), LOOP_GAUSSIAN_FLOATS * sizeof(float),
                       LOOP_PIXEL_FLOATS * sizeof(float), out);
}

static size_t cpu_count(const tgs_backend *b) { return b->g->n; }
static void cpu_pairs(const tgs_backend *b, size_t *peak, size_t *capacity) {
    *peak = *capacity = tgs_raster_pair_capacity(b->raster); /* the CPU's bins grow to the peak */
}
static size_t cpu_device_bytes(const tgs_backend *b) { return 0; }
static tgs_status cpu_sync(tgs_backend *b) { return TGS_OK; }
static tgs_status cpu_render(tgs_backend *b, const tgs_view *v, float *img /*[H,W,3]*/) {
    b->step_radii = 0;
    return tgs_raster_forward(b->raster, b->g, v, img, NULL, NULL);
}

const tgs_backend_ops tgs_backend_cpu = {
    "cpu", cpu_plan, cpu_create, cpu_destroy, cpu_step, cpu_adam, cpu_zero_grad, cpu_reset_opacity, cpu_densify,
    cpu_evaluate, cpu_model, cpu_state_get, cpu_state_set, cpu_count, cpu_pairs, cpu_device_bytes, cpu_sync,
    cpu_render,
};
