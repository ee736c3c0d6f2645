/* train.c - the training loop (DESIGN §5): one view per iteration, loss, backward,
 * densification (classic or Taming), Adam; evaluation and saving on schedule.
 * The arithmetic runs in a backend (train/backend.h), the rules of each
 * iteration come from train/schedule.h, and what the loop carries (and writes
 * into a checkpoint) is train/state.h; this file is the same for all backends. */
#include "tgs/train.h"

#include "tgs/device.h"
#include "tgs/model.h"
#include "tgs/ply.h"
#include "tgs/viewer.h"
#include "train/backend.h"
#include "train/config.h"
#include "train/plan.h"
#include "train/progress.h"
#include "train/schedule.h"
#include "train/state.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

tgs_status tgs_backend_choose(const tgs_train_config *cfg, const tgs_backend_ops **out) {
    *out = &tgs_backend_cpu;
    if (cfg->device == TGS_DEVICE_CPU)
        return TGS_OK;
    tgs_device_info d;
    tgs_device_query(&d);
#ifdef TGS_HAVE_CUDA
    if (d.present) {
        *out = &tgs_backend_cuda;
        return TGS_OK;
    }
#endif
    if (cfg->device == TGS_DEVICE_CUDA)
        return TGS_FAIL(TGS_ERR_DEVICE, "--device cuda: %s (use --device cpu)", d.why);
    return TGS_OK;
}

/* Everything one run owns; freed in one place. */
typedef struct {
    const tgs_train_config *cfg;
    const tgs_backend_ops *ops;
    tgs_backend *b;
    tgs_scene scene;
    tgs_image *images; /* [n_cameras] 8-bit RGB at training size (train and test) */
    tgs_image *masks;  /* [n_cameras] their keep masks [H,W] (data NULL: every pixel counts) */
    tgs_taming_schedule schedule;
    size_t capacity;
    double planned_bytes;
    tgs_run_state L;       /* what the loop carries from one iteration to the next */
    tgs_densify_params dp; /* the size rule is set per densification */
    tgs_progress prog;
    double t0;             /* start of the loop, less the time of a resumed run */
    double prof[4], tp;    /* --profile: render+loss+backward, Adam, densification, evaluation and saving */
    tgs_viewer *viewer;    /* --viewer */
    double last_psnr;      /* the last test PSNR (NAN: none yet), for the viewer */
} train_run;

static void run_free(train_run *s) {
    tgs_viewer_destroy(s->viewer); /* first: no frame is rendered after this */
    if (s->b)
        s->ops->destroy(s->b);
    for (int i = 0; i < s->scene.n_cameras; i++) {
        if (s->images)
            tgs_image_free(&s->images[i]);
        if (s->masks)
            tgs_image_free(&s->masks[i]);
    }
    free(s->images);
    free(s->masks);
    tgs_scene_free(&s->scene);
    tgs_taming_schedule_free(&s->schedule);
    tgs_run_state_destroy(&s->L);
}

static tgs_status save_ply(train_run *s, int it) {
    char dir[TGS_PATH_MAX], path[TGS_PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/point_cloud/iteration_%d", s->cfg->model_path, it);
    TGS_TRY(tgs_mkdir_p(dir));
    snprintf(path, sizeof path, "%s/point_cloud.ply", dir);
    const tgs_gaussians *g;
    TGS_TRY(s->ops->model(s->b, &g));
    return tgs_ply_write(path, g);
}

/* Scene, budget, memory plan; with --dry-run nothing more (no pixel is read). */
static tgs_status plan_run(train_run *s, const tgs_train_config *cfg) {
    s->cfg = cfg;
    TGS_TRY(tgs_backend_choose(cfg, &s->ops));
    tgs_scene_options so = {cfg->source_path, cfg->images, cfg->resolution, cfg->eval, cfg->white_background,
                            cfg->seed, cfg->quiet, cfg->masks, cfg->alpha_mask};
    TGS_TRY(tgs_scene_load(&so, &s->scene));
    const tgs_scene *sc = &s->scene;
    size_t n0 = sc->n_points;
    if (n0 == 0)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: the scene has no points to start from", cfg->source_path);
    s->capacity = n0; /* classic mode grows from here */
    if (cfg->densify_mode == TGS_DENSIFY_TAMING) {
        double b = cfg->mode == TGS_BUDGET_MULTIPLIER ? floor((double)n0 * cfg->budget) : floor(cfg->budget);
        if (!(b >= 1) || b > 1e9)
            return TGS_FAIL(TGS_ERR_ARG, "--budget %g gives %.0f Gaussians (expected 1 .. 1e9)", cfg->budget, b);
        s->capacity = TGS_MAX(n0, (size_t)b);
        TGS_TRY(tgs_taming_schedule_make(n0, (size_t)b, cfg->densify_from_iter, cfg->densify_until_iter,
                                         cfg->densification_interval, &s->schedule));
    }
    tgs_memory_plan plan;
    s->ops->plan(cfg, sc, s->capacity, &plan);
    const int gpu = plan.device;
    s->planned_bytes = plan.total;
    if (!cfg->quiet || cfg->dry_run) {
        if (cfg->densify_mode == TGS_DENSIFY_CLASSIC)
            printf("tgs: classic densification: the count is not planned; this plan is for the initial %zu\n", n0);
        printf("tgs: %s backend; ", s->ops->name);
        tgs_memory_plan_print(&plan, stdout);
        fflush(stdout);
    }
    size_t avail = gpu ? 0 : tgs_host_available_bytes();
    if (avail > 0 && plan.total > 0.95 * (double)avail)
        return TGS_FAIL(TGS_ERR_NOMEM, "the run needs %.0f MiB of memory and this machine has %.0f MiB available: "
                        "lower --budget (now %zu Gaussians), use -r 2 or 4 for smaller images, or fewer --threads "
                        "(each holds its own gradient sums)", plan.total / 1048576.0, avail / 1048576.0,
                        s->capacity);
    if (gpu && cfg->gpu_memory_limit > 0 && plan.total > (double)cfg->gpu_memory_limit * 1048576.0)
        return TGS_FAIL(TGS_ERR_NOMEM, "the run needs %.0f MiB of GPU memory, over --gpu_memory_limit %d: lower "
                        "--budget (now %zu Gaussians), use -r 2 or 4 for smaller images, or --data_device cpu",
                        plan.total / 1048576.0, cfg->gpu_memory_limit, s->capacity);
    if (gpu) {
        /* refuse now, with the figures, rather than run out of memory at iteration 13 000 */
        tgs_device_info d;
        tgs_device_query(&d);
        if (plan.total > 0.95 * (double)d.free_bytes)
            return TGS_FAIL(TGS_ERR_NOMEM, "the run needs %.0f MiB of GPU memory and %s has %.0f MiB free: lower "
                            "--budget (now %zu Gaussians), use -r 2 or 4 for smaller images, or --data_device cpu "
                            "to keep the images in host memory", plan.total / 1048576.0, d.name,
                            d.free_bytes / 1048576.0, s->capacity);
    }
    return TGS_OK;
}

/* Decodes every image once, starts the backend, seeds the run's RNG and
 * draws the background. */
static tgs_status setup(train_run *s) {
    const tgs_scene *sc = &s->scene;
    s->images = tgs_calloc((size_t)sc->n_cameras, sizeof(tgs_image), "images");
    s->masks = tgs_calloc((size_t)sc->n_cameras, sizeof(tgs_image), "masks");
    if (!s->images || !s->masks)
        return TGS_ERR_NOMEM;
    for (int i = 0; i < sc->n_cameras; i++)
        TGS_TRY(tgs_scene_load_image(sc, i, &s->images[i], &s->masks[i]));
    if (!s->cfg->quiet && sc->n_masked > 0)
        printf("tgs: %d of %d views have a mask: their left-out pixels do not count in the loss and scores\n",
               sc->n_masked, sc->n_cameras);
    TGS_TRY(s->ops->create(s->cfg, sc, s->images, s->masks, s->capacity, &s->b));
    TGS_TRY(tgs_run_state_create(sc->n_train, &s->L));
    tgs_rng_seed(&s->L.rng, s->cfg->seed, 1);
    for (int i = 0; i < 3; i++)
        s->L.bg[i] = s->cfg->random_background ? (float)tgs_rng_uniform(&s->L.rng) : sc->background[i];
    return TGS_OK;
}

static void checkpoint_path(const train_run *s, int it, char *buf, size_t n) {
    snprintf(buf, n, "%s/chkpnt%d.tgs", s->cfg->model_path, it);
}

static tgs_status save_checkpoint(train_run *s, int it) {
    char path[TGS_PATH_MAX + 64], settings[TGS_SETTINGS_MAX];
    checkpoint_path(s, it, path, sizeof path);
    tgs_train_settings_text(s->cfg, s->ops->name, tgs_get_threads(), settings, sizeof settings);
    const tgs_gaussians *g;
    const tgs_densify_stats *st;
    TGS_TRY(s->ops->state_get(s->b, &g, &st));
    return tgs_run_state_save(path, settings, &s->L, s->scene.n_train, g, st);
}

static tgs_status load_checkpoint(train_run *s, const char *path) {
    char settings[TGS_SETTINGS_MAX];
    tgs_train_settings_text(s->cfg, s->ops->name, tgs_get_threads(), settings, sizeof settings);
    tgs_gaussians *g;
    tgs_densify_stats st;
    TGS_TRY(tgs_run_state_load(path, settings, s->scene.n_train, s->scene.n_cameras, s->cfg->sh_degree, &s->L, &g,
                               &st));
    tgs_status e = s->ops->state_set(s->b, g, &st);
    tgs_gaussians_destroy(g);
    tgs_densify_stats_free(&st);
    TGS_TRY(e);
    if (!s->cfg->quiet)
        printf("tgs: resumed from %s at iteration %d (%zu Gaussians)\n", path, s->L.it, s->ops->count(s->b));
    return TGS_OK;
}

/* Writes input.ply, cameras.json and cfg_args into the model folder. */
static tgs_status write_model_files(train_run *s) {
    const tgs_train_config *cfg = s->cfg;
    char path[TGS_PATH_MAX + 32];
    TGS_TRY(tgs_mkdir_p(cfg->model_path));
    snprintf(path, sizeof path, "%s/input.ply", cfg->model_path);
    TGS_TRY(tgs_ply_write_points(path, s->scene.points_xyz, s->scene.points_rgb, s->scene.n_points));
    snprintf(path, sizeof path, "%s/cameras.json", cfg->model_path);
    TGS_TRY(tgs_scene_write_cameras(path, &s->scene));
    tgs_cfg_args a;
    tgs_cfg_args_defaults(&a);
    tgs_train_cfg_args(cfg, &a);
    char abs_source[PATH_MAX];
    if (realpath(cfg->source_path, abs_source))
        snprintf(a.source_path, sizeof a.source_path, "%s", abs_source);
    snprintf(path, sizeof path, "%s/cfg_args", cfg->model_path);
    return tgs_model_write_cfg_args(path, &a);
}

/* Learning rates and densification settings, the opening lines, a checkpoint
 * to resume from, and the clock. */
static tgs_status start(train_run *s) {
    const tgs_train_config *cfg = s->cfg;
    const tgs_scene *sc = &s->scene;
    double lr[TGS_G_COUNT];
    tgs_schedule_initial_lr(cfg, sc->extent, lr);
    tgs_adam_init(&s->L.adam, lr);
    s->dp = (tgs_densify_params){cfg->densify_grad_threshold, cfg->percent_dense, sc->extent, 0.005, 0, 0,
                                 TGS_OPACITY_SIGMOID, cfg->cap_candidates};
    if (!cfg->quiet)
        printf("tgs: %s: %d train / %d test views, %zu initial Gaussians%s, extent %.3f\n", cfg->source_path,
               sc->n_train, sc->n_test, s->ops->count(s->b), sc->random_init ? " (random)" : "", sc->extent);
    if (!cfg->quiet && cfg->densify_mode == TGS_DENSIFY_TAMING) {
        printf("tgs: Taming budget %zu Gaussians over %d densification steps\n", s->schedule.budget,
               s->schedule.steps);
        if (s->schedule.budget < s->schedule.n0)
            printf("tgs: the budget %zu is below the initial %zu Gaussians: densification only prunes, down to "
                   "the schedule\n", s->schedule.budget, s->schedule.n0);
    }
    if (cfg->start_checkpoint)
        TGS_TRY(load_checkpoint(s, cfg->start_checkpoint));
    tgs_progress_start(&s->prog, cfg->iterations, cfg->quiet);
    s->t0 = tgs_now() - s->L.elapsed;
    return TGS_OK;
}

/* --profile: adds the time since the last lap to phase k, after waiting for
 * the backend when sync is set. */
static void lap(train_run *s, int k, int sync) {
    if (!s->cfg->profile || (sync && s->ops->sync(s->b) != TGS_OK))
        return;
    double now = tgs_now();
    s->prof[k] += now - s->tp;
    s->tp = now;
}

/* The next training view: drawn without replacement from the stack, which
 * refills with every training camera when empty. */
static int draw_camera(train_run *s) {
    tgs_run_state *L = &s->L;
    if (L->stack_n == 0)
        for (L->stack_n = 0; L->stack_n < s->scene.n_train; L->stack_n++)
            L->stack[L->stack_n] = s->scene.train_idx[L->stack_n];
    int pick = (int)tgs_rng_below(&L->rng, (uint32_t)L->stack_n);
    int ci = L->stack[pick];
    memmove(L->stack + pick, L->stack + pick + 1, (size_t)(L->stack_n - pick - 1) * sizeof(int));
    L->stack_n--;
    return ci;
}

/* Test views at --test_iterations, a PLY at --save_iterations. */
static tgs_status evaluate_and_save(train_run *s, int it, tgs_train_result *res) {
    const tgs_scene *sc = &s->scene;
    if (tgs_schedule_evaluates(s->cfg, it) && sc->n_test > 0) {
        double psnr, ssim;
        TGS_TRY(s->ops->evaluate(s->b, sc->test_idx, sc->n_test, s->L.sh_active, &psnr, &ssim));
        tgs_progress_note(&s->prog, "[ITER %d] test: PSNR %.2f SSIM %.4f (%zu Gaussians)", it, psnr, ssim,
                          s->ops->count(s->b));
        res->test_psnr = psnr;
        res->test_ssim = ssim;
        s->last_psnr = psnr;
    }
    lap(s, 3, 0);
    if (tgs_schedule_saves(s->cfg, it))
        TGS_TRY(save_ply(s, it));
    return TGS_OK;
}

/* One densification: classic, or Taming towards this step's target. */
static tgs_status densify(train_run *s, int it) {
    const tgs_train_config *cfg = s->cfg;
    tgs_run_state *L = &s->L;
    /* the size rule (DESIGN §6) after the first opacity reset: max scale over
     * 0.1 * extent; the screen-size half never fires in the reference (it
     * resets the radii before it prunes): only with --prune_screen_size */
    s->dp.size_rule = tgs_schedule_size_rule(cfg, it);
    s->dp.max_screen_size = cfg->prune_screen_size && s->dp.size_rule ? 20 : 0;
    tgs_densify_report rep = {0};
    int taming = cfg->densify_mode == TGS_DENSIFY_TAMING;
    size_t target = taming ? tgs_taming_target(&s->schedule, L->densify_step) : 0;
    TGS_TRY(s->ops->densify(s->b, &s->dp, target, L->densify_step, L->sh_active, L->bg, &L->rng, &rep));
    size_t count = s->ops->count(s->b);
    if (!cfg->quiet && taming && (count != target || rep.trimmed || cfg->densify_log))
        tgs_progress_note(&s->prog, "[ITER %d] densify: %zu Gaussians, target %zu (%zu cloned, %zu split, "
                          "%zu pruned, %zu pruned down to the target)", it, count, target, rep.cloned, rep.split,
                          rep.pruned, rep.trimmed);
    if (!cfg->quiet && !taming && cfg->densify_log)
        tgs_progress_note(&s->prog, "[ITER %d] densify: %zu Gaussians (%zu cloned, %zu split, %zu pruned)", it,
                          count, rep.cloned, rep.split, rep.pruned);
    L->densify_step++;
    return TGS_OK;
}

/* Densification, opacity reset and freeze at `it`, each clearing the
 * gradients that Adam must not apply (tgs_schedule_adam_mask leaves them out). */
static tgs_status densify_and_reset(train_run *s, int it) {
    const tgs_train_config *cfg = s->cfg;
    if (tgs_schedule_densifies(cfg, it)) {
        TGS_TRY(densify(s, it));
        lap(s, 2, 1);
        TGS_TRY(s->ops->zero_grad(s->b, TGS_ADAM_ALL));
    }
    if (tgs_schedule_resets_opacity(cfg, it)) {
        TGS_TRY(s->ops->reset_opacity(s->b));
        TGS_TRY(s->ops->zero_grad(s->b, 1u << TGS_G_OPACITY));
    }
    if (tgs_schedule_opacity_frozen(cfg, it))
        TGS_TRY(s->ops->zero_grad(s->b, 1u << TGS_G_OPACITY));
    return TGS_OK;
}

/* Saves a checkpoint and the PLY at `it`, the last finished iteration, and
 * returns `why` (TGS_ERR_INTERRUPTED, or the out-of-memory error that stopped
 * the run) with the command to resume. */
static tgs_status stop_and_save(train_run *s, int it, tgs_status why) {
    tgs_progress_finish(&s->prog);
    char ck[TGS_PATH_MAX + 64], msg[512];
    snprintf(msg, sizeof msg, "%s", why == TGS_ERR_INTERRUPTED ? "interrupted" : tgs_error_message());
    checkpoint_path(s, it, ck, sizeof ck);
    if (save_checkpoint(s, it) == TGS_OK && save_ply(s, it) == TGS_OK)
        return TGS_FAIL(why, "%s at iteration %d: saved %s and %s/point_cloud/iteration_%d; "
                        "resume with the same command and --start_checkpoint %s", msg, it + (why != TGS_ERR_INTERRUPTED),
                        ck, s->cfg->model_path, it, ck);
    return tgs_error_prefix(why, "%s at iteration %d, and saving failed", msg, it);
}

/* --viewer: the server, bound now so that a port in use fails before training. */
static tgs_status start_viewer(train_run *s) {
    const tgs_train_config *cfg = s->cfg;
    s->last_psnr = NAN;
    if (!cfg->viewer)
        return TGS_OK;
    tgs_viewer_options o = {cfg->host, cfg->port, 0, 0, cfg->sh_degree, {0, 0, 0}, 0.05, 1};
    tgs_plan_max_size(&s->scene, &o.max_width, &o.max_height);
    memcpy(o.bg, s->scene.background, sizeof o.bg);
    TGS_TRY(tgs_viewer_create(&o, &s->scene, &s->viewer));
    /* the run's size from the first /status on, while the model files are written and a checkpoint read */
    const tgs_viewer_stats st0 = {0, cfg->iterations, NAN, NAN, NAN, NAN, s->ops->count(s->b), s->L.sh_active, 0};
    tgs_viewer_publish(s->viewer, &st0);
    tgs_viewer_warn_if_exposed(s->viewer);
    char url[320];
    tgs_viewer_url(s->viewer, url, sizeof url);
    if (!cfg->quiet)
        printf("tgs: viewer at %s\n", url);
    fflush(stdout);
    return TGS_OK;
}

static tgs_status render_for_viewer(void *ctx, const tgs_view *v, float *img /*[H,W,3]*/) {
    train_run *s = ctx;
    return s->ops->render(s->b, v, img);
}

/* --viewer: publishes the run's figures and renders a waiting frame (between iterations). */
static tgs_status serve_viewer(train_run *s, int it) {
    if (!s->viewer)
        return TGS_OK;
    double el = tgs_now() - s->t0;
    tgs_viewer_stats st = {it, s->cfg->iterations, it ? s->L.ema : NAN, s->last_psnr, el,
                           it ? el / it * (s->cfg->iterations - it) : NAN, s->ops->count(s->b), s->L.sh_active, 0};
    tgs_viewer_publish(s->viewer, &st);
    return tgs_viewer_poll(s->viewer, render_for_viewer, s);
}

/* The optimiser when iteration `it`'s SH rest step is taken in its backward
 * (DESIGN §5), else NULL: Adam steps the group at `it` (a densifying
 * iteration steps no group), and none of its gradient is pending (--sh_lower
 * sums 16 views' before a step). Nothing between the backward and Adam reads
 * the model: evaluation and saving come before the step. */
static const tgs_adam *rest_step_in_backward(const train_run *s, int it) {
    const tgs_train_config *cfg = s->cfg;
    if (tgs_schedule_sums_rest_grads(cfg) || !tgs_schedule_optimizes(cfg, it) ||
        !(tgs_schedule_adam_mask(cfg, it) & (1u << TGS_G_REST)))
        return NULL;
    return &s->L.adam;
}

/* Iteration `it`: evaluation and saving on schedule (the model of the
 * reference's, which does both between its backward and Adam step), a view,
 * its loss and gradients, densification, Adam, then the progress line and
 * checkpoints. */
static tgs_status iterate(train_run *s, int it, tgs_train_result *res) {
    const tgs_train_config *cfg = s->cfg;
    tgs_run_state *L = &s->L;
    L->adam.lr[TGS_G_MEANS] = tgs_schedule_position_lr(cfg, s->scene.extent, it);
    L->sh_active = tgs_schedule_sh_degree(cfg, it, L->sh_active);
    if (cfg->profile)
        s->tp = tgs_now();
    TGS_TRY(evaluate_and_save(s, it, res));
    int ci = draw_camera(s);
    tgs_view v = tgs_view_from_camera(&s->scene.cameras[ci], L->bg, L->sh_active);
    double loss;
    TGS_TRY(s->ops->step(s->b, ci, &v, cfg->lambda_dssim, tgs_schedule_gathers_stats(cfg, it),
                         rest_step_in_backward(s, it), &loss));
    lap(s, 0, 1);
    if (!isfinite(loss))
        return TGS_FAIL(TGS_ERR_ARG, "loss is %g at iteration %d (diverged)", loss, it);
    L->ema = it == 1 ? loss : 0.4 * loss + 0.6 * L->ema;
    TGS_TRY(densify_and_reset(s, it));
    if (tgs_schedule_optimizes(cfg, it))
        TGS_TRY(s->ops->adam(s->b, &L->adam, tgs_schedule_adam_mask(cfg, it)));
    lap(s, 1, 1);
    L->it = it;
    tgs_progress_update(&s->prog, it, L->ema, s->ops->count(s->b));
    L->elapsed = tgs_now() - s->t0;
    if (tgs_schedule_checkpoints(cfg, it))
        TGS_TRY(save_checkpoint(s, it));
    TGS_TRY(serve_viewer(s, it));
    if (cfg->stop && *cfg->stop && it < cfg->iterations)
        return stop_and_save(s, it, TGS_ERR_INTERRUPTED);
    return TGS_OK;
}

/* The end of the run: the profile, the final PLY and evaluation, the result. */
static tgs_status finish(train_run *s, tgs_status st, tgs_train_result *res) {
    const tgs_train_config *cfg = s->cfg;
    const tgs_scene *sc = &s->scene;
    res->seconds = tgs_now() - s->t0;
    if (cfg->profile)
        printf("tgs: profile: render+loss+backward %.2f s, Adam %.2f s, densification %.2f s, evaluation and "
               "saving %.2f s, of %.2f s\n", s->prof[0], s->prof[1], s->prof[2], s->prof[3], res->seconds);
    if (st == TGS_OK)
        st = save_ply(s, cfg->iterations);
    if (st == TGS_OK && sc->n_test > 0 && !tgs_schedule_evaluates(cfg, cfg->iterations))
        st = s->ops->evaluate(s->b, sc->test_idx, sc->n_test, s->L.sh_active, &res->test_psnr, &res->test_ssim);
    res->final_count = s->ops->count(s->b);
    res->iterations = cfg->iterations;
    res->planned_bytes = s->planned_bytes;
    res->pair_peak = res->pair_capacity = 0;
    s->ops->pairs(s->b, &res->pair_peak, &res->pair_capacity);
    res->backend = s->ops->name;
    res->device_bytes = s->ops->device_bytes(s->b);
    tgs_progress_finish(&s->prog);
    return st;
}

tgs_status tgs_train_run(const tgs_train_config *cfg, tgs_train_result *res) {
    train_run s;
    memset(&s, 0, sizeof s);
    memset(res, 0, sizeof *res);
    res->test_psnr = res->test_ssim = NAN;
    tgs_status st = plan_run(&s, cfg);
    if (st == TGS_OK && !cfg->dry_run)
        st = setup(&s);
    if (st == TGS_OK && !cfg->dry_run)
        st = start_viewer(&s);
    if (st == TGS_OK && !cfg->dry_run)
        st = write_model_files(&s);
    if (st == TGS_OK && !cfg->dry_run)
        st = start(&s);
    if (st != TGS_OK || cfg->dry_run) {
        run_free(&s);
        return st;
    }
    st = serve_viewer(&s, s.L.it); /* the figures at the start (a resumed run's too) */
    for (int it = s.L.it + 1; it <= cfg->iterations && st == TGS_OK; it++)
        st = iterate(&s, it, res);
    /* a buffer that could not grow (the GPU's memory taken by others, or pairs
     * past the plan): the run so far is kept (the step that failed changed no
     * parameter) */
    if (st == TGS_ERR_NOMEM && s.L.it > 0)
        st = stop_and_save(&s, s.L.it, st);
    st = finish(&s, st, res);
    if (s.viewer && !cfg->quiet) {
        long frames;
        double sec;
        tgs_viewer_frames(s.viewer, &frames, &sec);
        printf("tgs: viewer: %ld frames, rendered and encoded in %.2f s of the run's %.1f s (%.1f%%)\n", frames, sec,
               res->seconds, 100.0 * sec / (res->seconds > 0 ? res->seconds : 1));
    }
    run_free(&s);
    return st;
}
