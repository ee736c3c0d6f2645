/* train.c - the training loop (SPEC 5): one view per iteration, loss, backward,
 * densification (classic or Taming), Adam; evaluation and saving on schedule.
 * The arithmetic runs in a backend (train/backend.h); this file is the same for all. */
#include "tgs/train.h"

#include "tgs/checkpoint.h"
#include "tgs/device.h"
#include "tgs/model.h"
#include "tgs/ply.h"
#include "train/backend.h"
#include "train/plan.h"
#include "train/progress.h"

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
    c->shfeature_lr = 0.005;
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
    tgs_taming_schedule schedule;
    size_t capacity;
    double planned_bytes;
    tgs_rng rng;
    float bg[3];
} run_state;

static void run_free(run_state *s) {
    if (s->b)
        s->ops->destroy(s->b);
    if (s->images)
        for (int i = 0; i < s->scene.n_cameras; i++)
            tgs_image_free(&s->images[i]);
    free(s->images);
    tgs_scene_free(&s->scene);
    tgs_taming_schedule_free(&s->schedule);
}

static tgs_status save_ply(run_state *s, int it) {
    char dir[TGS_PATH_MAX], path[TGS_PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/point_cloud/iteration_%d", s->cfg->model_path, it);
    TGS_TRY(tgs_mkdir_p(dir));
    snprintf(path, sizeof path, "%s/point_cloud.ply", dir);
    const tgs_gaussians *g;
    TGS_TRY(s->ops->model(s->b, &g));
    return tgs_ply_write(path, g);
}

/* Scene, budget, memory plan; with --dry-run nothing more (no pixel is read). */
static tgs_status plan_run(run_state *s, const tgs_train_config *cfg) {
    s->cfg = cfg;
    TGS_TRY(tgs_backend_choose(cfg, &s->ops));
    tgs_scene_options so = {cfg->source_path, cfg->images, cfg->resolution, cfg->eval, cfg->white_background,
                            cfg->seed, cfg->quiet};
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

/* Decodes every image once and starts the backend. */
static tgs_status setup(run_state *s) {
    const tgs_scene *sc = &s->scene;
    s->images = tgs_calloc((size_t)sc->n_cameras, sizeof(tgs_image), "images");
    if (!s->images)
        return TGS_ERR_NOMEM;
    for (int i = 0; i < sc->n_cameras; i++)
        TGS_TRY(tgs_scene_load_image(sc, i, &s->images[i]));
    TGS_TRY(s->ops->create(s->cfg, sc, s->images, s->capacity, &s->b));
    tgs_rng_seed(&s->rng, s->cfg->seed, 1);
    for (int i = 0; i < 3; i++)
        s->bg[i] = s->cfg->random_background ? (float)tgs_rng_uniform(&s->rng) : sc->background[i];
    return TGS_OK;
}

/* What the loop carries from one iteration to the next (all of it goes into
 * a checkpoint, with the backend's model and the run's RNG). */
typedef struct {
    int it;                 /* last completed iteration */
    int sh_active, densify_step, opacity_frozen, stack_n;
    int *stack;             /* [n_train] cameras not yet drawn in this round */
    double ema, elapsed;
    tgs_adam adam;
} loop_state;

/* The settings that decide a run's result, as text: a checkpoint is resumed
 * only under the same ones (--iterations, outputs and logging may differ). */
static void settings_text(const tgs_train_config *c, const char *backend, char *buf, size_t n) {
    snprintf(buf, n,
             "backend=%s threads=%d source=%s images=%s r=%d white=%d eval=%d sh=%d lr=%.17g,%.17g,%.17g,%d,"
             "%.17g,%.17g,%.17g,%.17g,%.17g dense=%.17g lambda=%.17g interval=%d reset=%d from=%d until=%d grad=%.17g "
             "randbg=%d mode=%d budget=%.17g bmode=%d cams=%d ho=%d shlower=%d screen=%d cap=%d seed=%llu",
             backend, tgs_get_threads(), c->source_path, c->images, c->resolution, c->white_background, c->eval,
             c->sh_degree, c->position_lr_init, c->position_lr_final, c->position_lr_delay_mult,
             c->position_lr_max_steps, c->feature_lr, c->shfeature_lr, c->opacity_lr, c->scaling_lr,
             c->rotation_lr,
             c->percent_dense, c->lambda_dssim, c->densification_interval, c->opacity_reset_interval,
             c->densify_from_iter, c->densify_until_iter, c->densify_grad_threshold, c->random_background,
             (int)c->densify_mode, c->budget, (int)c->mode, c->cams, c->ho_iteration, c->sh_lower,
             c->prune_screen_size, c->cap_candidates, (unsigned long long)c->seed);
}

static void checkpoint_path(const run_state *s, int it, char *buf, size_t n) {
    snprintf(buf, n, "%s/chkpnt%d.tgs", s->cfg->model_path, it);
}

/* Loop state, RNG, model with gradients and moments, statistics. */
static tgs_status save_checkpoint(run_state *s, const loop_state *L, int it) {
    char path[TGS_PATH_MAX + 64], settings[4096];
    checkpoint_path(s, it, path, sizeof path);
    settings_text(s->cfg, s->ops->name, settings, sizeof settings);
    const tgs_gaussians *g;
    const tgs_densify_stats *st;
    TGS_TRY(s->ops->state_get(s->b, &g, &st));
    int32_t ints[5] = {L->it, L->sh_active, L->densify_step, L->opacity_frozen, L->stack_n};
    int64_t steps[TGS_G_COUNT];
    for (int k = 0; k < TGS_G_COUNT; k++)
        steps[k] = L->adam.step[k];
    double dbl[5] = {L->ema, L->elapsed, s->bg[0], s->bg[1], s->bg[2]};
    uint64_t rng[2] = {s->rng.state, s->rng.inc};
    size_t bytes = g->capacity * (size_t)g->floats_per_gaussian * sizeof(float);
    tgs_ckpt_writer *w;
    TGS_TRY(tgs_ckpt_begin(path, &w));
    tgs_ckpt_put_str(w, "settings", settings);
    tgs_ckpt_put(w, "loop", ints, sizeof ints);
    tgs_ckpt_put(w, "adam_steps", steps, sizeof steps);
    tgs_ckpt_put(w, "loop_f64", dbl, sizeof dbl);
    tgs_ckpt_put(w, "rng", rng, sizeof rng);
    tgs_ckpt_put(w, "stack", L->stack, (size_t)s->scene.n_train * sizeof(int));
    tgs_ckpt_put_u64(w, "count", g->n);
    tgs_ckpt_put_u64(w, "capacity", g->capacity);
    tgs_ckpt_put(w, "params", g->params, bytes);
    tgs_ckpt_put(w, "grads", g->grads, bytes);
    tgs_ckpt_put(w, "adam_m", g->adam_m, bytes);
    tgs_ckpt_put(w, "adam_v", g->adam_v, bytes);
    tgs_ckpt_put(w, "grad_accum", st->grad_accum, g->n * sizeof(float));
    tgs_ckpt_put(w, "denom", st->denom, g->n * sizeof(float));
    tgs_ckpt_put(w, "max_radii", st->max_radii, g->n * sizeof(float));
    return tgs_ckpt_commit(w);
}

static tgs_status load_checkpoint_from(run_state *s, loop_state *L, const char *path, tgs_ckpt_reader *r) {
    char settings[4096];
    settings_text(s->cfg, s->ops->name, settings, sizeof settings);
    const char *saved;
    TGS_TRY(tgs_ckpt_get_str(r, "settings", &saved));
    if (strcmp(saved, settings) != 0) {
        /* name the first setting that differs */
        const char *a = saved, *b = settings;
        while (*a && *a == *b)
            a++, b++;
        while (a > saved && a[-1] != ' ')
            a--, b--;
        return TGS_FAIL(TGS_ERR_ARG, "%s: written under other settings: '%.*s' there, '%.*s' now (resume with the "
                        "command, backend and --threads of the run)", path, (int)strcspn(a, " "), a,
                        (int)strcspn(b, " "), b);
    }
    int32_t ints[5];
    int64_t steps[TGS_G_COUNT];
    double dbl[5];
    uint64_t rng[2], count, capacity;
    TGS_TRY(tgs_ckpt_get_exact(r, "loop", ints, sizeof ints));
    TGS_TRY(tgs_ckpt_get_exact(r, "adam_steps", steps, sizeof steps));
    TGS_TRY(tgs_ckpt_get_exact(r, "loop_f64", dbl, sizeof dbl));
    TGS_TRY(tgs_ckpt_get_exact(r, "rng", rng, sizeof rng));
    TGS_TRY(tgs_ckpt_get_exact(r, "stack", L->stack, (size_t)s->scene.n_train * sizeof(int)));
    TGS_TRY(tgs_ckpt_get_u64(r, "count", &count));
    TGS_TRY(tgs_ckpt_get_u64(r, "capacity", &capacity));
    if (count > capacity || capacity > ((uint64_t)1 << 31) || ints[0] < 0 || ints[4] < 0 ||
        ints[4] > s->scene.n_train || ints[1] < 0 || ints[1] > 3)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: inconsistent loop state (iteration %d, %llu of %llu Gaussians)", path,
                        ints[0], (unsigned long long)count, (unsigned long long)capacity);
    for (int k = 0; k < ints[4]; k++)
        if (L->stack[k] < 0 || L->stack[k] >= s->scene.n_cameras)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: camera stack holds camera %d of %d", path, L->stack[k],
                            s->scene.n_cameras);
    tgs_gaussians *g = NULL;
    tgs_densify_stats st = {0};
    tgs_status e = tgs_gaussians_create((size_t)capacity, s->cfg->sh_degree, 1, &g);
    if (e == TGS_OK)
        e = tgs_densify_stats_reserve(&st, (size_t)capacity);
    size_t bytes = (size_t)capacity * (g ? (size_t)g->floats_per_gaussian : 0) * sizeof(float);
    if (e == TGS_OK) {
        g->n = (size_t)count;
        if ((e = tgs_ckpt_get_exact(r, "params", g->params, bytes)) == TGS_OK &&
            (e = tgs_ckpt_get_exact(r, "grads", g->grads, bytes)) == TGS_OK &&
            (e = tgs_ckpt_get_exact(r, "adam_m", g->adam_m, bytes)) == TGS_OK &&
            (e = tgs_ckpt_get_exact(r, "adam_v", g->adam_v, bytes)) == TGS_OK &&
            (e = tgs_ckpt_get_exact(r, "grad_accum", st.grad_accum, g->n * sizeof(float))) == TGS_OK &&
            (e = tgs_ckpt_get_exact(r, "denom", st.denom, g->n * sizeof(float))) == TGS_OK &&
            (e = tgs_ckpt_get_exact(r, "max_radii", st.max_radii, g->n * sizeof(float))) == TGS_OK)
            e = s->ops->state_set(s->b, g, &st);
    }
    tgs_gaussians_destroy(g);
    tgs_densify_stats_free(&st);
    TGS_TRY(e);
    L->it = ints[0], L->sh_active = ints[1], L->densify_step = ints[2], L->opacity_frozen = ints[3];
    L->stack_n = ints[4];
    for (int k = 0; k < TGS_G_COUNT; k++)
        L->adam.step[k] = (long)steps[k];
    L->ema = dbl[0], L->elapsed = dbl[1];
    s->bg[0] = (float)dbl[2], s->bg[1] = (float)dbl[3], s->bg[2] = (float)dbl[4];
    s->rng.state = rng[0], s->rng.inc = rng[1];
    return TGS_OK;
}

static tgs_status load_checkpoint(run_state *s, loop_state *L, const char *path) {
    tgs_ckpt_reader *r;
    TGS_TRY(tgs_ckpt_open(path, &r));
    tgs_status st = load_checkpoint_from(s, L, path, r);
    tgs_ckpt_close(r);
    if (st == TGS_OK && !s->cfg->quiet)
        printf("tgs: resumed from %s at iteration %d (%zu Gaussians)\n", path, L->it, s->ops->count(s->b));
    return st;
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
    tgs_status st = plan_run(&s, cfg);
    if (st == TGS_OK && cfg->dry_run) {
        run_free(&s);
        return TGS_OK;
    }
    if (st == TGS_OK)
        st = setup(&s);
    if (st == TGS_OK)
        st = write_model_files(&s);
    if (st != TGS_OK) {
        run_free(&s);
        return st;
    }
    const tgs_scene *sc = &s.scene;
    const double extent = sc->extent;
    double lr[TGS_G_COUNT] = {cfg->position_lr_init * extent, cfg->feature_lr, cfg->shfeature_lr / 20.0,
                              cfg->opacity_lr, cfg->scaling_lr, cfg->rotation_lr};
    loop_state L = {0};
    tgs_adam_init(&L.adam, lr);
    tgs_densify_params dp = {cfg->densify_grad_threshold, cfg->percent_dense, extent, 0.005, 0, 0,
                             TGS_OPACITY_SIGMOID, cfg->cap_candidates};
    if (!cfg->quiet)
        printf("tgs: %s: %d train / %d test views, %zu initial Gaussians%s, extent %.3f\n", cfg->source_path,
               sc->n_train, sc->n_test, s.ops->count(s.b), sc->random_init ? " (random)" : "", extent);
    if (!cfg->quiet && cfg->densify_mode == TGS_DENSIFY_TAMING) {
        printf("tgs: Taming budget %zu Gaussians over %d densification steps\n", s.schedule.budget,
               s.schedule.steps);
        if (s.schedule.budget < s.schedule.n0)
            printf("tgs: the budget %zu is below the initial %zu Gaussians: densification only prunes, down to "
                   "the schedule\n", s.schedule.budget, s.schedule.n0);
    }
    L.stack = tgs_calloc((size_t)sc->n_train, sizeof(int), "camera stack");
    if (!L.stack) {
        run_free(&s);
        return TGS_ERR_NOMEM;
    }
    if (cfg->start_checkpoint && (st = load_checkpoint(&s, &L, cfg->start_checkpoint)) != TGS_OK) {
        free(L.stack);
        run_free(&s);
        return st;
    }
    int n_densify = 0;
    /* steps of the whole densification range: a run that stops before its end
     * (fewer --iterations) stops part-way along the schedule, as the reference */
    for (int it = cfg->densify_from_iter + 1; it < cfg->densify_until_iter; it++)
        n_densify += it % cfg->densification_interval == 0;
    tgs_progress prog;
    tgs_progress_start(&prog, cfg->iterations, cfg->quiet);
    double prof[4] = {0, 0, 0, 0}; /* render+loss+backward, Adam, densification, evaluation and saving */
    double t0 = tgs_now() - L.elapsed;
    for (int it = L.it + 1; it <= cfg->iterations && st == TGS_OK; it++) {
        L.adam.lr[TGS_G_MEANS] = tgs_lr_expon(cfg->position_lr_init * extent, cfg->position_lr_final * extent, it,
                                            cfg->position_lr_max_steps);
        if (it % 1000 == 0 && L.sh_active < cfg->sh_degree)
            L.sh_active++;
        if (L.stack_n == 0)
            for (L.stack_n = 0; L.stack_n < sc->n_train; L.stack_n++)
                L.stack[L.stack_n] = sc->train_idx[L.stack_n];
        int pick = (int)tgs_rng_below(&s.rng, (uint32_t)L.stack_n);
        int ci = L.stack[pick];
        memmove(L.stack + pick, L.stack + pick + 1, (size_t)(L.stack_n - pick - 1) * sizeof(int));
        L.stack_n--;
        const tgs_camera *cam = &sc->cameras[ci];
        tgs_view v = tgs_view_from_camera(cam, s.bg, L.sh_active);

        double loss, tp = cfg->profile ? tgs_now() : 0;
        if ((st = s.ops->step(s.b, ci, &v, cfg->lambda_dssim, it < cfg->densify_until_iter, &loss)) != TGS_OK)
            break;
        if (cfg->profile && s.ops->sync(s.b) == TGS_OK)
            prof[0] += tgs_now() - tp, tp = tgs_now();
        if (!isfinite(loss)) {
            st = TGS_FAIL(TGS_ERR_ARG, "loss is %g at iteration %d (diverged)", loss, it);
            break;
        }
        L.ema = it == 1 ? loss : 0.4 * loss + 0.6 * L.ema;

        if (in_list(cfg->test_iterations, cfg->n_test_iterations, it) && sc->n_test > 0) {
            double psnr, ssim;
            if ((st = s.ops->evaluate(s.b, sc->test_idx, sc->n_test, L.sh_active, &psnr, &ssim)) != TGS_OK)
                break;
            tgs_progress_note(&prog, "[ITER %d] test: PSNR %.2f SSIM %.4f (%zu Gaussians)", it, psnr, ssim,
                              s.ops->count(s.b));
            res->test_psnr = psnr;
            res->test_ssim = ssim;
        }
        if (cfg->profile)
            prof[3] += tgs_now() - tp, tp = tgs_now();
        if (in_list(cfg->save_iterations, cfg->n_save_iterations, it) && it != cfg->iterations)
            if ((st = save_ply(&s, it)) != TGS_OK)
                break;

        unsigned step_mask = TGS_ADAM_ALL;
        /* nothing trains after the last iteration: densifying there would save
         * untrained clones and splits beside the model just tested (the reference
         * saves before it densifies) */
        if (it < cfg->densify_until_iter && it < cfg->iterations) {
            if (it > cfg->densify_from_iter && it % cfg->densification_interval == 0) {
                /* SPEC 6's size rule after the first opacity reset: max scale over
                 * 0.1 * extent; the screen-size half never fires in the reference (it
                 * resets the radii before it prunes): only with --prune_screen_size */
                dp.size_rule = it > cfg->opacity_reset_interval;
                dp.max_screen_size = cfg->prune_screen_size && dp.size_rule ? 20 : 0;
                tgs_densify_report rep = {0};
                int taming = cfg->densify_mode == TGS_DENSIFY_TAMING;
                /* the last densification of a Taming run lands on the budget itself */
                size_t target = !taming ? 0
                              : L.densify_step == n_densify - 1 ? s.schedule.budget
                                                                : tgs_taming_target(&s.schedule, L.densify_step);
                if ((st = s.ops->densify(s.b, &dp, target, L.densify_step, L.sh_active, s.bg, &s.rng, &rep)) !=
                    TGS_OK)
                    break;
                size_t count = s.ops->count(s.b);
                if (!cfg->quiet && taming && (count != target || rep.trimmed || cfg->densify_log))
                    tgs_progress_note(&prog, "[ITER %d] densify: %zu Gaussians, target %zu (%zu cloned, %zu split, "
                                      "%zu pruned, %zu pruned down to the target)", it, count, target, rep.cloned,
                                      rep.split, rep.pruned, rep.trimmed);
                if (!cfg->quiet && !taming && cfg->densify_log)
                    tgs_progress_note(&prog, "[ITER %d] densify: %zu Gaussians (%zu cloned, %zu split, %zu pruned)",
                                      it, count, rep.cloned, rep.split, rep.pruned);
                L.densify_step++;
                if (cfg->profile && s.ops->sync(s.b) == TGS_OK)
                    prof[2] += tgs_now() - tp, tp = tgs_now();
                /* the reference replaces every parameter tensor here: no Adam step this iteration */
                if ((st = s.ops->zero_grad(s.b, TGS_ADAM_ALL)) != TGS_OK)
                    break;
                step_mask = 0;
            }
            if (it % cfg->opacity_reset_interval == 0 || (cfg->white_background && it == cfg->densify_from_iter)) {
                if ((st = s.ops->reset_opacity(s.b)) != TGS_OK ||
                    (st = s.ops->zero_grad(s.b, 1u << TGS_G_OPACITY)) != TGS_OK)
                    break;
                step_mask &= ~(1u << TGS_G_OPACITY);
            }
        }
        if (it == cfg->ho_iteration)
            L.opacity_frozen = 1;
        if (L.opacity_frozen) {
            if ((st = s.ops->zero_grad(s.b, 1u << TGS_G_OPACITY)) != TGS_OK)
                break;
            step_mask &= ~(1u << TGS_G_OPACITY);
        }
        if (cfg->sh_lower && it % 16 != 0)
            step_mask &= ~(1u << TGS_G_REST); /* its gradient accumulates until the 16th */
        if (it < cfg->iterations && (st = s.ops->adam(s.b, &L.adam, step_mask)) != TGS_OK)
            break;
        if (cfg->profile && s.ops->sync(s.b) == TGS_OK)
            prof[1] += tgs_now() - tp;
        L.it = it;
        tgs_progress_update(&prog, it, L.ema, s.ops->count(s.b));
        L.elapsed = tgs_now() - t0;
        if (in_list(cfg->checkpoint_iterations, cfg->n_checkpoint_iterations, it) &&
            (st = save_checkpoint(&s, &L, it)) != TGS_OK)
            break;
        if (cfg->stop && *cfg->stop && it < cfg->iterations) {
            tgs_progress_finish(&prog);
            char ck[TGS_PATH_MAX + 64];
            checkpoint_path(&s, it, ck, sizeof ck);
            if ((st = save_checkpoint(&s, &L, it)) == TGS_OK && (st = save_ply(&s, it)) == TGS_OK)
                st = TGS_FAIL(TGS_ERR_INTERRUPTED, "interrupted at iteration %d: saved %s and "
                              "%s/point_cloud/iteration_%d; resume with the same command and --start_checkpoint %s",
                              it, ck, cfg->model_path, it, ck);
            else
                st = tgs_error_prefix(TGS_ERR_INTERRUPTED, "interrupted at iteration %d, and saving failed", it);
            break;
        }
    }
    res->seconds = tgs_now() - t0;
    free(L.stack);
    if (cfg->profile)
        printf("tgs: profile: render+loss+backward %.2f s, Adam %.2f s, densification %.2f s, evaluation and "
               "saving %.2f s, of %.2f s\n", prof[0], prof[1], prof[2], prof[3], res->seconds);
    if (st == TGS_OK)
        st = save_ply(&s, cfg->iterations);
    if (st == TGS_OK && sc->n_test > 0 && !in_list(cfg->test_iterations, cfg->n_test_iterations, cfg->iterations))
        st = s.ops->evaluate(s.b, sc->test_idx, sc->n_test, L.sh_active, &res->test_psnr, &res->test_ssim);
    res->final_count = s.b ? s.ops->count(s.b) : 0;
    res->iterations = cfg->iterations;
    res->planned_bytes = s.planned_bytes;
    res->pair_peak = res->pair_capacity = 0;
    if (s.b)
        s.ops->pairs(s.b, &res->pair_peak, &res->pair_capacity);
    res->backend = s.ops ? s.ops->name : "none";
    res->device_bytes = s.b ? s.ops->device_bytes(s.b) : 0;
    tgs_progress_finish(&prog);
    run_free(&s);
    return st;
}
