/* train.c - the training loop (SPEC 5): one view per iteration, loss, backward,
 * densification (classic or Taming), Adam; evaluation and saving on schedule. */
#include "tgs/train.h"

#include "tgs/densify.h"
#include "tgs/gaussians.h"
#include "tgs/loss.h"
#include "tgs/model.h"
#include "tgs/optim.h"
#include "tgs/ply.h"
#include "tgs/raster.h"
#include "tgs/rng.h"
#include "tgs/scene.h"
#include "train/plan.h"
#include "train/progress.h"
#include "train/score.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void tgs_train_config_defaults(tgs_train_config *c) {
    memset(c, 0, sizeof *c);
    c->images = "images";
    c->resolution = -1;
    c->sh_degree = 3;
    c->data_device = "cuda";
    c->iterations = 30000;
    c->position_lr_init = 0.00016;
    c->position_lr_final = 0.0000016;
    c->position_lr_delay_mult = 0.01;
    c->position_lr_max_steps = 30000;
    c->feature_lr = 0.0025;
    c->opacity_lr = 0.025;
    c->scaling_lr = 0.005;
    c->rotation_lr = 0.001;
    c->percent_dense = 0.01;
    c->lambda_dssim = 0.2;
    c->densification_interval = 100;
    c->opacity_reset_interval = 3000;
    c->densify_from_iter = 500;
    c->densify_until_iter = 15000;
    c->densify_grad_threshold = 0.0002;
    c->densify_mode = TGS_DENSIFY_TAMING;
    c->budget = 20;
    c->mode = TGS_BUDGET_MULTIPLIER;
    c->cams = 10;
    c->ho_iteration = 15000;
    c->test_iterations[0] = 7000, c->test_iterations[1] = 30000, c->n_test_iterations = 2;
    c->save_iterations[0] = 7000, c->save_iterations[1] = 30000, c->n_save_iterations = 2;
    c->seed = 0;
}

static int in_list(const int *list, int n, int it) {
    for (int i = 0; i < n; i++)
        if (list[i] == it)
            return 1;
    return 0;
}

/* Everything one run owns; freed in one place. */
typedef struct {
    const tgs_train_config *cfg;
    tgs_scene scene;
    tgs_image *images;  /* [n_cameras] 8-bit RGB at training size (train and test) */
    float *edges;       /* [n_train][H*W] Taming edge maps (NULL in classic mode) */
    size_t *edge_off;   /* [n_train] offsets into edges */
    tgs_gaussians *g;
    tgs_raster *raster;
    tgs_loss *loss;
    tgs_densify_stats stats;
    tgs_taming_schedule schedule;
    float *img, *gt, *v_img, *v_mean2d, *pixel_w, *score_acc, *scores, *term, *scratch;
    int max_w, max_h;
    tgs_rng rng;
    float bg[3];
    double planned_bytes;
} run_state;

static void run_free(run_state *s) {
    if (s->images)
        for (int i = 0; i < s->scene.n_cameras; i++)
            tgs_image_free(&s->images[i]);
    free(s->images);
    free(s->edges);
    free(s->edge_off);
    tgs_scene_free(&s->scene);
    tgs_gaussians_destroy(s->g);
    tgs_raster_destroy(s->raster);
    tgs_loss_destroy(s->loss);
    tgs_densify_stats_free(&s->stats);
    tgs_taming_schedule_free(&s->schedule);
    free(s->img);
    free(s->gt);
    free(s->v_img);
    free(s->v_mean2d);
    free(s->pixel_w);
    free(s->score_acc);
    free(s->scores);
    free(s->term);
    free(s->scratch);
}

static void to_float(const tgs_image *im, float *out) {
    tgs_image_to_float(im->data, (size_t)im->width * im->height, out);
}

/* Mean PSNR / SSIM over the given cameras. */
static tgs_status evaluate(run_state *s, const int *idx, int n, int sh_active, double *psnr, double *ssim) {
    double ps = 0, ss = 0;
    for (int k = 0; k < n; k++) {
        const tgs_camera *c = &s->scene.cameras[idx[k]];
        tgs_view v = tgs_view_from_camera(c, s->scene.background, sh_active);
        TGS_TRY(tgs_raster_forward(s->raster, s->g, &v, s->img, NULL, NULL));
        to_float(&s->images[idx[k]], s->gt);
        ps += tgs_psnr(s->img, s->gt, c->width, c->height);
        ss += tgs_ssim(s->loss, s->img, s->gt, c->width, c->height);
    }
    *psnr = n ? ps / n : NAN;
    *ssim = n ? ss / n : NAN;
    return TGS_OK;
}

/* Sum over --cams random training views of the Taming score (SPEC 6). */
static tgs_status taming_scores(run_state *s, int sh_active) {
    const tgs_scene *sc = &s->scene;
    size_t n = s->g->n;
    memset(s->scores, 0, n * sizeof(float));
    /* per-Gaussian terms that do not depend on the view */
    tgs_param_view p = tgs_gaussians_view(s->g, s->g->params);
    float *grad = s->scratch + n, *opac = s->scratch + 2 * n, *scl = s->scratch + 3 * n;
    float *depth = s->scratch + 4 * n, *radius = s->scratch + 5 * n, *col = s->scratch + 6 * n;
    for (size_t i = 0; i < n; i++) {
        float d = s->stats.denom[i];
        grad[i] = d > 0 ? s->stats.grad_accum[i] / d : 0.0f;
        opac[i] = 1.0f / (1.0f + expf(-p.opacity_raw[i]));
        scl[i] = expf(p.scale_raw[3 * i] + p.scale_raw[3 * i + 1] + p.scale_raw[3 * i + 2]);
    }
    int ncams = s->cfg->cams < 0 || s->cfg->cams > sc->n_train ? sc->n_train : s->cfg->cams;
    int *order = (int *)malloc((size_t)sc->n_train * sizeof(int));
    if (!order)
        return TGS_FAIL(TGS_ERR_NOMEM, "out of memory for the camera list");
    for (int k = 0; k < sc->n_train; k++)
        order[k] = k;
    for (int k = 0; k < ncams; k++) { /* partial Fisher-Yates: ncams distinct views */
        int j = k + (int)tgs_rng_below(&s->rng, (uint32_t)(sc->n_train - k));
        int t = order[k];
        order[k] = order[j];
        order[j] = t;
    }
    tgs_status st = TGS_OK;
    for (int k = 0; k < ncams && st == TGS_OK; k++) {
        int ci = sc->train_idx[order[k]];
        const tgs_camera *c = &sc->cameras[ci];
        tgs_view v = tgs_view_from_camera(c, s->bg, sh_active);
        if ((st = tgs_raster_forward(s->raster, s->g, &v, s->img, NULL, NULL)) != TGS_OK)
            break;
        to_float(&s->images[ci], s->gt);
        double ell = tgs_loss_forward_backward(s->loss, s->img, s->gt, c->width, c->height, 0.2, NULL, NULL, NULL);
        tgs_score_pixel_weights(s->img, s->gt, s->edges + s->edge_off[order[k]], c->width, c->height, s->pixel_w);
        memset(s->score_acc, 0, n * 4 * sizeof(float));
        if ((st = tgs_raster_forward(s->raster, s->g, &v, s->img, s->pixel_w, s->score_acc)) != TGS_OK)
            break;
        const int *radii = tgs_raster_radii(s->raster);
        const float *depths = tgs_raster_depths(s->raster);
        for (size_t i = 0; i < n; i++) {
            depth[i] = radii[i] > 0 ? depths[i] : 0.0f;
            radius[i] = (float)radii[i];
        }
        memset(s->term, 0, n * sizeof(float));
        tgs_taming_add_normalized(25, grad, n, s->term, s->scratch);
        tgs_taming_add_normalized(100, opac, n, s->term, s->scratch);
        tgs_taming_add_normalized(5, depth, n, s->term, s->scratch);
        tgs_taming_add_normalized(10, radius, n, s->term, s->scratch);
        tgs_taming_add_normalized(25, scl, n, s->term, s->scratch);
        static const double coef[4] = {10, 0.1, 50, 50}; /* Σw, Σ1, ΣαT, Σdist */
        for (int t = 0; t < 4; t++) {
            for (size_t i = 0; i < n; i++)
                col[i] = s->score_acc[4 * i + t];
            tgs_taming_add_normalized(coef[t], col, n, s->term, s->scratch);
        }
        for (size_t i = 0; i < n; i++)
            if (radii[i] > 0)
                s->scores[i] += (float)(50.0 * ell) * s->term[i];
    }
    free(order);
    return st;
}

/* Per-Gaussian scratch of the loop, grown with the model's capacity. */
static tgs_status reserve_per_gaussian(run_state *s, size_t capacity) {
    if (s->v_mean2d && s->g->capacity <= s->stats.capacity && capacity <= s->stats.capacity)
        return TGS_OK;
    free(s->v_mean2d), free(s->score_acc), free(s->scores), free(s->term), free(s->scratch);
    s->v_mean2d = tgs_calloc(capacity * 2, sizeof(float), "screen-space gradients");
    s->score_acc = tgs_calloc(capacity * 4, sizeof(float), "score sums");
    s->scores = tgs_calloc(capacity, sizeof(float), "scores");
    s->term = tgs_calloc(capacity, sizeof(float), "score terms");
    s->scratch = tgs_calloc(capacity * 7, sizeof(float), "score scratch");
    if (!s->v_mean2d || !s->score_acc || !s->scores || !s->term || !s->scratch)
        return TGS_ERR_NOMEM;
    return TGS_OK;
}

static tgs_status save_ply(run_state *s, int it) {
    char dir[TGS_PATH_MAX], path[TGS_PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/point_cloud/iteration_%d", s->cfg->model_path, it);
    TGS_TRY(tgs_mkdir_p(dir));
    snprintf(path, sizeof path, "%s/point_cloud.ply", dir);
    return tgs_ply_write(path, s->g);
}

static tgs_status setup(run_state *s, const tgs_train_config *cfg) {
    s->cfg = cfg;
    tgs_scene_options so = {cfg->source_path, cfg->images, cfg->resolution, cfg->eval, cfg->white_background,
                            cfg->seed, cfg->quiet};
    TGS_TRY(tgs_scene_load(&so, &s->scene));
    tgs_scene *sc = &s->scene;
    for (int i = 0; i < sc->n_cameras; i++) {
        s->max_w = TGS_MAX(s->max_w, sc->cameras[i].width);
        s->max_h = TGS_MAX(s->max_h, sc->cameras[i].height);
    }
    /* capacity: the budget when it is planned, else grown on demand */
    size_t n0 = sc->n_points, capacity = n0;
    if (cfg->densify_mode == TGS_DENSIFY_TAMING) {
        double b = cfg->mode == TGS_BUDGET_MULTIPLIER ? floor((double)n0 * cfg->budget) : floor(cfg->budget);
        if (!(b >= 1) || b > 1e9)
            return TGS_FAIL(TGS_ERR_ARG, "--budget %g gives %.0f Gaussians (expected 1 .. 1e9)", cfg->budget, b);
        capacity = TGS_MAX(n0, (size_t)b);
        TGS_TRY(tgs_taming_schedule_make(n0, (size_t)b, cfg->densify_from_iter, cfg->densify_until_iter,
                                         cfg->densification_interval, &s->schedule));
    }
    if (n0 == 0)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: the scene has no points to start from", cfg->source_path);
    tgs_memory_plan plan;
    tgs_train_plan(cfg, sc, capacity, tgs_get_threads(), &plan);
    s->planned_bytes = plan.total;
    if (!cfg->quiet || cfg->dry_run) {
        if (cfg->densify_mode == TGS_DENSIFY_CLASSIC)
            printf("tgs: classic densification: the count is not planned; this plan is for the initial %zu\n", n0);
        tgs_memory_plan_print(&plan, stdout);
        fflush(stdout);
    }
    if (cfg->dry_run)
        return TGS_OK;
    TGS_TRY(tgs_gaussians_create(capacity, cfg->sh_degree, 1, &s->g));
    TGS_TRY(tgs_gaussians_init_from_points(s->g, sc->points_xyz, sc->points_rgb, n0));
    TGS_TRY(tgs_densify_stats_reserve(&s->stats, capacity));
    TGS_TRY(tgs_raster_create(capacity, s->max_w, s->max_h, &s->raster));
    TGS_TRY(tgs_loss_create(s->max_w, s->max_h, &s->loss));
    size_t px = (size_t)s->max_w * s->max_h;
    s->img = tgs_calloc(px * 3, sizeof(float), "render");
    s->gt = tgs_calloc(px * 3, sizeof(float), "ground truth");
    s->v_img = tgs_calloc(px * 3, sizeof(float), "image gradient");
    s->pixel_w = tgs_calloc(px * 2, sizeof(float), "pixel weights");
    if (!s->img || !s->gt || !s->v_img || !s->pixel_w)
        return TGS_ERR_NOMEM;
    TGS_TRY(reserve_per_gaussian(s, capacity));
    /* decode every image once */
    s->images = tgs_calloc((size_t)sc->n_cameras, sizeof(tgs_image), "images");
    if (!s->images)
        return TGS_ERR_NOMEM;
    for (int i = 0; i < sc->n_cameras; i++)
        TGS_TRY(tgs_scene_load_image(sc, i, &s->images[i]));
    if (cfg->densify_mode == TGS_DENSIFY_TAMING) {
        s->edge_off = tgs_calloc((size_t)sc->n_train + 1, sizeof(size_t), "edge offsets");
        if (!s->edge_off)
            return TGS_ERR_NOMEM;
        for (int k = 0; k < sc->n_train; k++) {
            const tgs_camera *c = &sc->cameras[sc->train_idx[k]];
            s->edge_off[k + 1] = s->edge_off[k] + (size_t)c->width * c->height;
        }
        s->edges = tgs_calloc(s->edge_off[sc->n_train] + px, sizeof(float), "edge maps");
        if (!s->edges)
            return TGS_ERR_NOMEM;
        for (int k = 0; k < sc->n_train; k++) {
            const tgs_image *im = &s->images[sc->train_idx[k]];
            /* the last map's scratch half runs into the spare px floats at the end */
            tgs_score_edges(im->data, im->width, im->height, s->edges + s->edge_off[k]);
        }
    }
    tgs_rng_seed(&s->rng, cfg->seed, 1);
    for (int i = 0; i < 3; i++)
        s->bg[i] = cfg->random_background ? (float)tgs_rng_uniform(&s->rng) : sc->background[i];
    return TGS_OK;
}

/* Writes input.ply, cameras.json and cfg_args into the model folder. */
static tgs_status write_model_files(run_state *s) {
    const tgs_train_config *cfg = s->cfg;
    char path[TGS_PATH_MAX + 32];
    TGS_TRY(tgs_mkdir_p(cfg->model_path));
    snprintf(path, sizeof path, "%s/input.ply", cfg->model_path);
    TGS_TRY(tgs_ply_write_points(path, s->scene.points_xyz, s->scene.points_rgb, s->scene.n_points));
    snprintf(path, sizeof path, "%s/cameras.json", cfg->model_path);
    TGS_TRY(tgs_model_write_scene_cameras(path, &s->scene));
    tgs_cfg_args a;
    tgs_cfg_args_defaults(&a);
    a.sh_degree = cfg->sh_degree;
    if (!realpath(cfg->source_path, a.source_path))
        snprintf(a.source_path, sizeof a.source_path, "%s", cfg->source_path);
    snprintf(a.model_path, sizeof a.model_path, "%s", cfg->model_path);
    snprintf(a.images, sizeof a.images, "%s", cfg->images);
    snprintf(a.data_device, sizeof a.data_device, "%s", cfg->data_device);
    a.resolution = cfg->resolution;
    a.white_background = cfg->white_background;
    a.eval = cfg->eval;
    snprintf(path, sizeof path, "%s/cfg_args", cfg->model_path);
    return tgs_model_write_cfg_args(path, &a);
}

tgs_status tgs_train_run(const tgs_train_config *cfg, tgs_train_result *res) {
    run_state s;
    memset(&s, 0, sizeof s);
    memset(res, 0, sizeof *res);
    res->test_psnr = res->test_ssim = NAN;
    tgs_status st = setup(&s, cfg);
    if (st == TGS_OK && cfg->dry_run) {
        run_free(&s);
        return TGS_OK;
    }
    if (st == TGS_OK)
        st = write_model_files(&s);
    if (st != TGS_OK) {
        run_free(&s);
        return st;
    }
    const tgs_scene *sc = &s.scene;
    const double extent = sc->extent;
    double lr[TGS_G_COUNT] = {cfg->position_lr_init * extent, cfg->feature_lr, cfg->feature_lr / 20.0,
                              cfg->opacity_lr, cfg->scaling_lr, cfg->rotation_lr};
    tgs_adam adam;
    tgs_adam_init(&adam, lr);
    tgs_densify_params dp = {cfg->densify_grad_threshold, cfg->percent_dense, extent, 0.005, 0,
                             TGS_OPACITY_SIGMOID};
    if (!cfg->quiet)
        printf("tgs: %s: %d train / %d test views, %zu initial Gaussians%s, extent %.3f\n", cfg->source_path,
               sc->n_train, sc->n_test, s.g->n, sc->random_init ? " (random)" : "", extent);
    if (!cfg->quiet && cfg->densify_mode == TGS_DENSIFY_TAMING) {
        printf("tgs: Taming budget %zu Gaussians over %d densification steps\n", s.schedule.budget,
               s.schedule.steps);
        if (s.schedule.budget < s.schedule.n0)
            printf("tgs: the budget %zu is below the initial %zu Gaussians: densification only prunes, down to "
                   "the schedule\n", s.schedule.budget, s.schedule.n0);
    }
    int *stack = tgs_calloc((size_t)sc->n_train, sizeof(int), "camera stack");
    if (!stack) {
        run_free(&s);
        return TGS_ERR_NOMEM;
    }
    int stack_n = 0, sh_active = 0, densify_step = 0, opacity_frozen = 0, n_densify = 0;
    for (int it = cfg->densify_from_iter + 1; it < cfg->densify_until_iter && it <= cfg->iterations; it++)
        n_densify += it % cfg->densification_interval == 0;
    double ema = 0;
    tgs_progress prog;
    tgs_progress_start(&prog, cfg->iterations, cfg->quiet);
    double t0 = tgs_now();
    for (int it = 1; it <= cfg->iterations && st == TGS_OK; it++) {
        adam.lr[TGS_G_MEANS] = tgs_lr_expon(cfg->position_lr_init * extent, cfg->position_lr_final * extent, it,
                                            cfg->position_lr_max_steps);
        if (it % 1000 == 0 && sh_active < cfg->sh_degree)
            sh_active++;
        if (stack_n == 0)
            for (stack_n = 0; stack_n < sc->n_train; stack_n++)
                stack[stack_n] = sc->train_idx[stack_n];
        int pick = (int)tgs_rng_below(&s.rng, (uint32_t)stack_n);
        int ci = stack[pick];
        memmove(stack + pick, stack + pick + 1, (size_t)(stack_n - pick - 1) * sizeof(int));
        stack_n--;
        const tgs_camera *cam = &sc->cameras[ci];
        tgs_view v = tgs_view_from_camera(cam, s.bg, sh_active);

        if ((st = tgs_raster_forward(s.raster, s.g, &v, s.img, NULL, NULL)) != TGS_OK)
            break;
        to_float(&s.images[ci], s.gt);
        double loss = tgs_loss_forward_backward(s.loss, s.img, s.gt, cam->width, cam->height, cfg->lambda_dssim,
                                                s.v_img, NULL, NULL);
        if (!isfinite(loss)) {
            st = TGS_FAIL(TGS_ERR_ARG, "loss is %g at iteration %d (diverged)", loss, it);
            break;
        }
        if ((st = tgs_raster_backward(s.raster, s.g, &v, s.v_img, s.v_mean2d)) != TGS_OK)
            break;
        ema = it == 1 ? loss : 0.4 * loss + 0.6 * ema;

        if (in_list(cfg->test_iterations, cfg->n_test_iterations, it) && sc->n_test > 0) {
            double psnr, ssim;
            if ((st = evaluate(&s, sc->test_idx, sc->n_test, sh_active, &psnr, &ssim)) != TGS_OK)
                break;
            tgs_progress_note(&prog, "[ITER %d] test: PSNR %.2f SSIM %.4f (%zu Gaussians)", it, psnr, ssim, s.g->n);
            res->test_psnr = psnr;
            res->test_ssim = ssim;
        }
        if (in_list(cfg->save_iterations, cfg->n_save_iterations, it) && it != cfg->iterations)
            if ((st = save_ply(&s, it)) != TGS_OK)
                break;

        unsigned step_mask = TGS_ADAM_ALL;
        if (it < cfg->densify_until_iter) {
            tgs_densify_stats_add(&s.stats, s.g->n, tgs_raster_radii(s.raster), s.v_mean2d);
            if (it > cfg->densify_from_iter && it % cfg->densification_interval == 0) {
                dp.max_screen_size = it > cfg->opacity_reset_interval ? 20 : 0;
                tgs_densify_report rep = {0};
                if (cfg->densify_mode == TGS_DENSIFY_CLASSIC) {
                    st = tgs_densify_classic(s.g, &s.stats, &dp, &s.rng, &rep);
                    if (st == TGS_OK)
                        st = tgs_raster_reserve(s.raster, s.g->capacity);
                    if (st == TGS_OK)
                        st = reserve_per_gaussian(&s, s.g->capacity);
                } else {
                    st = taming_scores(&s, sh_active);
                    /* the last densification of the run lands on the budget itself */
                    size_t target = densify_step == n_densify - 1 ? s.schedule.budget
                                                                  : tgs_taming_target(&s.schedule, densify_step);
                    if (st == TGS_OK)
                        st = tgs_densify_taming(s.g, &s.stats, &dp, s.scores, target, densify_step, &s.rng, &rep);
                    if (st == TGS_OK && !cfg->quiet && (s.g->n != target || rep.trimmed || cfg->densify_log))
                        tgs_progress_note(&prog, "[ITER %d] densify: %zu Gaussians, target %zu (%zu cloned, %zu "
                                          "split, %zu pruned, %zu pruned down to the target)", it, s.g->n, target,
                                          rep.cloned, rep.split, rep.pruned, rep.trimmed);
                    densify_step++;
                }
                if (st != TGS_OK)
                    break;
                if (cfg->densify_mode == TGS_DENSIFY_CLASSIC && cfg->densify_log && !cfg->quiet)
                    tgs_progress_note(&prog, "[ITER %d] densify: %zu Gaussians (%zu cloned, %zu split, %zu pruned)",
                                      it, s.g->n, rep.cloned, rep.split, rep.pruned);
                /* the reference replaces every parameter tensor here: no Adam step this iteration */
                tgs_adam_zero_grad(s.g, TGS_ADAM_ALL);
                step_mask = 0;
            }
            if (it % cfg->opacity_reset_interval == 0 || (cfg->white_background && it == cfg->densify_from_iter)) {
                tgs_densify_reset_opacity(s.g);
                tgs_adam_zero_grad(s.g, 1u << TGS_G_OPACITY);
                step_mask &= ~(1u << TGS_G_OPACITY);
            }
        }
        if (it == cfg->ho_iteration)
            opacity_frozen = 1;
        if (opacity_frozen) {
            tgs_adam_zero_grad(s.g, 1u << TGS_G_OPACITY);
            step_mask &= ~(1u << TGS_G_OPACITY);
        }
        if (cfg->sh_lower && it % 16 != 0)
            step_mask &= ~(1u << TGS_G_REST); /* its gradient accumulates until the 16th */
        if (it < cfg->iterations)
            tgs_adam_step(&adam, s.g, step_mask);
        tgs_progress_update(&prog, it, ema, s.g->n);
        if (cfg->stop && *cfg->stop && it < cfg->iterations) {
            tgs_progress_finish(&prog);
            if (save_ply(&s, it) == TGS_OK)
                st = TGS_FAIL(TGS_ERR_INTERRUPTED, "interrupted at iteration %d: saved %s/point_cloud/iteration_%d",
                              it, cfg->model_path, it);
            else
                st = tgs_error_prefix(TGS_ERR_INTERRUPTED, "interrupted at iteration %d, and saving failed", it);
            break;
        }
    }
    res->seconds = tgs_now() - t0;
    free(stack);
    if (st == TGS_OK)
        st = save_ply(&s, cfg->iterations);
    if (st == TGS_OK && sc->n_test > 0 && !in_list(cfg->test_iterations, cfg->n_test_iterations, cfg->iterations))
        st = evaluate(&s, sc->test_idx, sc->n_test, sh_active, &res->test_psnr, &res->test_ssim);
    res->final_count = s.g ? s.g->n : 0;
    res->iterations = cfg->iterations;
    res->planned_bytes = s.planned_bytes;
    res->pair_capacity = tgs_raster_pair_capacity(s.raster);
    tgs_progress_finish(&prog);
    run_free(&s);
    return st;
}
