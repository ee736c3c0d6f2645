/* commands.c - option tables and drivers of the tgs subcommands. */
#include "cli/commands.h"

#include "cli/args.h"
#include "tgs/checkpoint.h"
#include "tgs/device.h"
#include "tgs/model.h"
#include "tgs/ply.h"
#include "tgs/raster.h"
#include "tgs/scene.h"
#include "tgs/train.h"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#define NOPTS(a) ((int)(sizeof(a) / sizeof((a)[0])))

int tgs_cli_fail(void) {
    fprintf(stderr, "tgs: error: %s\n", tgs_error_message());
    if (getenv("TGS_DEBUG"))
        fprintf(stderr, "tgs: (raised at %s)\n", tgs_error_where());
    return 1;
}

/* Parses argv with opts; prints help (0) or the error (2); -1 means go on. */
static int parse_or_help(const char *cmd, const char *synopsis, const tgs_opt *opts, int n, int argc, char **argv) {
    char err[512];
    FILE *f = stdout;
    /* help shows the defaults, so print it before parsing changes them */
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fprintf(f, "usage: tgs %s %s\n\noptions [default]:\n", cmd, synopsis);
            tgs_args_help(opts, n, f);
            return 0;
        }
    int r = tgs_args_parse(opts, n, argc, argv, err, sizeof err);
    if (r < 0) {
        fprintf(stderr, "tgs %s: error: %s\n", cmd, err);
        return 2;
    }
    return -1;
}

static int usage_error(const char *cmd, const char *msg) {
    fprintf(stderr, "tgs %s: error: %s\n", cmd, msg);
    return 2;
}

/* ------------------------------------------------------------------ train */

/* First SIGINT/SIGTERM: finish the iteration, save, exit nonzero. Second: exit at once. */
static volatile int stop_requested = 0;

static void on_stop_signal(int sig) {
    if (stop_requested) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    stop_requested = 1;
    static const char msg[] = "\ntgs: stopping after this iteration (saving); press Ctrl-C again to quit at once\n";
    ssize_t ignored = write(2, msg, sizeof msg - 1);
    (void)ignored;
}

static void install_stop_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Does path already hold a training run? */
static int holds_run(const char *path) {
    char p[TGS_PATH_MAX + 32];
    struct stat st;
    snprintf(p, sizeof p, "%s/cfg_args", path);
    if (stat(p, &st) == 0)
        return 1;
    snprintf(p, sizeof p, "%s/point_cloud", path);
    return stat(p, &st) == 0;
}

static const char *const densify_modes[] = {"taming", "classic", NULL};
static const char *const budget_modes[] = {"multiplier", "final_count", NULL};
static const char *const devices[] = {"auto", "cpu", "cuda", NULL};
static const char *const optimizer_types[] = {"default", NULL};

int tgs_cmd_train(int argc, char **argv) {
    tgs_train_config c;
    tgs_train_config_defaults(&c);
    int dmode = c.densify_mode, bmode = c.mode, device = 0, optimizer = 0;
    const char *ignored = NULL;
    tgs_opt opts[] = {
        {"source_path", 's', OPT_STRING, &c.source_path, 0, 0, 0, "scene folder (COLMAP sparse/0 or Blender transforms)"},
        {"model_path", 'm', OPT_STRING, &c.model_path, 0, 0, 0, "output model folder (default output/<random>)"},
        {"images", 'i', OPT_STRING, &c.images, 0, 0, 0, "image folder inside the scene (COLMAP)"},
        {"resolution", 'r', OPT_INT, &c.resolution, 0, 0, 0, "-1 auto (max 1600 px wide), 1/2/4/8 divide, else width"},
        {"white_background", 'w', OPT_FLAG, &c.white_background, 0, 0, 0, "white background (Blender scenes)"},
        {"eval", 0, OPT_FLAG, &c.eval, 0, 0, 0, "hold out every 8th view for testing"},
        {"sh_degree", 0, OPT_INT, &c.sh_degree, 0, 0, 0, "maximum spherical-harmonics degree (0..3)"},
        {"data_device", 0, OPT_STRING, &c.data_device, 0, 0, 0, "where training images live (cuda|cpu)"},
        {"device", 0, OPT_CHOICE, &device, 0, devices, 0, "compute backend (auto: cuda when a GPU is present)"},
        {"iterations", 0, OPT_INT, &c.iterations, 0, 0, 0, "training iterations"},
        {"position_lr_init", 0, OPT_DOUBLE, &c.position_lr_init, 0, 0, 0, "position learning rate at start (x extent)"},
        {"position_lr_final", 0, OPT_DOUBLE, &c.position_lr_final, 0, 0, 0, "position learning rate at the end (x extent)"},
        {"position_lr_delay_mult", 0, OPT_DOUBLE, &c.position_lr_delay_mult, 0, 0, 0, "position lr delay multiplier"},
        {"position_lr_max_steps", 0, OPT_INT, &c.position_lr_max_steps, 0, 0, 0, "iterations of the position lr decay"},
        {"feature_lr", 0, OPT_DOUBLE, &c.feature_lr, 0, 0, 0, "SH DC learning rate"},
        {"shfeature_lr", 0, OPT_DOUBLE, &c.shfeature_lr, 0, 0, 0, "SH rest learning rate, divided by 20"},
        {"opacity_lr", 0, OPT_DOUBLE, &c.opacity_lr, 0, 0, 0, "opacity learning rate"},
        {"scaling_lr", 0, OPT_DOUBLE, &c.scaling_lr, 0, 0, 0, "scale learning rate"},
        {"rotation_lr", 0, OPT_DOUBLE, &c.rotation_lr, 0, 0, 0, "rotation learning rate"},
        {"percent_dense", 0, OPT_DOUBLE, &c.percent_dense, 0, 0, 0, "clone/split scale threshold (x extent)"},
        {"lambda_dssim", 0, OPT_DOUBLE, &c.lambda_dssim, 0, 0, 0, "weight of 1-SSIM in the loss"},
        {"densification_interval", 0, OPT_INT, &c.densification_interval, 0, 0, 0, "iterations between densifications"},
        {"opacity_reset_interval", 0, OPT_INT, &c.opacity_reset_interval, 0, 0, 0, "iterations between opacity resets"},
        {"densify_from_iter", 0, OPT_INT, &c.densify_from_iter, 0, 0, 0, "first densification after this iteration"},
        {"densify_until_iter", 0, OPT_INT, &c.densify_until_iter, 0, 0, 0, "no densification from this iteration on"},
        {"densify_grad_threshold", 0, OPT_DOUBLE, &c.densify_grad_threshold, 0, 0, 0, "screen-space gradient threshold"},
        {"random_background", 0, OPT_FLAG, &c.random_background, 0, 0, 0, "random background colour"},
        {"optimizer_type", 0, OPT_CHOICE, &optimizer, 0, optimizer_types, 0, "optimiser"},
        {"densify_mode", 0, OPT_CHOICE, &dmode, 0, densify_modes, 0, "taming (budget) or classic 3DGS densification"},
        {"budget", 0, OPT_DOUBLE, &c.budget, 0, 0, 0, "final Gaussian count (final_count) or multiple of the initial count"},
        {"mode", 0, OPT_CHOICE, &bmode, 0, budget_modes, 0, "how --budget is read"},
        {"cams", 0, OPT_INT, &c.cams, 0, 0, 0, "views scored per densification (-1: all)"},
        {"ho_iteration", 0, OPT_INT, &c.ho_iteration, 0, 0, 0, "opacities freeze from this iteration"},
        {"sh_lower", 0, OPT_FLAG, &c.sh_lower, 0, 0, 0, "step the SH rest coefficients every 16th iteration"},
        {"cap_candidates", 0, OPT_FLAG, &c.cap_candidates, 0, 0, 0,
         "Taming: add only Gaussians over the gradient threshold, as the published trainer (the count can "
         "fall short of the budget)"},
        {"prune_screen_size", 0, OPT_FLAG, &c.prune_screen_size, 0, 0, 0,
         "also prune Gaussians over 20 px on screen after the first opacity reset (SPEC 6; never fires in "
         "the reference)"},
        {"test_iterations", 0, OPT_INT_LIST, c.test_iterations, &c.n_test_iterations, 0, 0, "evaluate test views at"},
        {"save_iterations", 0, OPT_INT_LIST, c.save_iterations, &c.n_save_iterations, 0, 0, "save PLY at (and at the end)"},
        {"checkpoint_iterations", 0, OPT_INT_LIST, c.checkpoint_iterations, &c.n_checkpoint_iterations, 0, 0,
         "write MODEL/chkpnt<N>.tgs at"},
        {"start_checkpoint", 0, OPT_STRING, &c.start_checkpoint, 0, 0, 0, "resume from this checkpoint"},
        {"quiet", 'q', OPT_FLAG, &c.quiet, 0, 0, 0, "print only errors and the summary"},
        {"seed", 0, OPT_U64, &c.seed, 0, 0, 0, "random seed (same seed and threads: identical result)"},
        {"threads", 0, OPT_INT, &c.threads, 0, 0, 0, "CPU threads (0: all cores)"},
        {"dry-run", 0, OPT_FLAG, &c.dry_run, 0, 0, 0, "print the memory plan and stop"},
        {"densify_log", 0, OPT_FLAG, &c.densify_log, 0, 0, 0, "print the count after every densification"},
        {"overwrite", 0, OPT_FLAG, &c.overwrite, 0, 0, 0, "replace the run already in -m"},
        {"profile", 0, OPT_FLAG, &c.profile, 0, 0, 0, "time the phases of the loop (waits for the GPU after each)"},
        {"ip", 0, OPT_IGNORED, &ignored, 0, 0, 1, "viewer address of the reference"},
        {"port", 0, OPT_IGNORED, &ignored, 0, 0, 1, "viewer port of the reference"},
        {"debug_from", 0, OPT_IGNORED, &ignored, 0, 0, 1, "reference debugging"},
        {"detect_anomaly", 0, OPT_IGNORED, &ignored, 0, 0, 0, "reference debugging"},
        {"disable_viewer", 0, OPT_IGNORED, &ignored, 0, 0, 0, "reference viewer"},
        {"websockets", 0, OPT_IGNORED, &ignored, 0, 0, 0, "reference viewer"},
        {"benchmark_dir", 0, OPT_IGNORED, &ignored, 0, 0, 1, "reference timing dumps"},
        {"convert_SHs_python", 0, OPT_IGNORED, &ignored, 0, 0, 0, "reference pipeline switch"},
        {"compute_cov3D_python", 0, OPT_IGNORED, &ignored, 0, 0, 0, "reference pipeline switch"},
        {"debug", 0, OPT_IGNORED, &ignored, 0, 0, 0, "reference pipeline switch"},
    };
    int r = parse_or_help("train", "-s SCENE [-m MODEL] [options]", opts, NOPTS(opts), argc, argv);
    if (r >= 0)
        return r;
    c.densify_mode = (tgs_densify_mode)dmode;
    c.device = (tgs_device_kind)device;
    c.mode = (tgs_budget_mode)bmode;
    if (!c.source_path)
        return usage_error("train", "-s/--source_path is required");
    if (c.iterations < 1)
        return usage_error("train", "--iterations must be at least 1");
    if (c.sh_degree < 0 || c.sh_degree > 3)
        return usage_error("train", "--sh_degree must be 0..3");
    if (c.densification_interval < 1 || c.opacity_reset_interval < 1)
        return usage_error("train", "--densification_interval and --opacity_reset_interval must be at least 1");
    if (!(c.budget > 0))
        return usage_error("train", "--budget must be positive");
    if (c.cams == 0 || c.cams < -1)
        return usage_error("train", "--cams must be -1 (all) or at least 1");
    if (c.lambda_dssim < 0 || c.lambda_dssim > 1)
        return usage_error("train", "--lambda_dssim must be within 0..1");
    if (c.threads < 0)
        return usage_error("train", "--threads must be 0 (all cores) or more");
    if (c.position_lr_max_steps < 1)
        return usage_error("train", "--position_lr_max_steps must be at least 1");
    if (strcmp(c.data_device, "cuda") != 0 && strcmp(c.data_device, "cpu") != 0)
        return usage_error("train", "--data_device must be cuda or cpu");
    tgs_set_threads(c.threads);
    char auto_path[64];
    if (!c.model_path) {
        srand((unsigned)time(NULL) ^ (unsigned)clock());
        snprintf(auto_path, sizeof auto_path, "output/%08x-%04x", (unsigned)rand(), (unsigned)rand() & 0xffff);
        c.model_path = auto_path;
    }
    if (!c.dry_run && !c.overwrite && !c.start_checkpoint && holds_run(c.model_path)) {
        fprintf(stderr, "tgs train: error: %s holds a previous run (cfg_args or point_cloud/): pass --overwrite to "
                        "replace it, --start_checkpoint to continue it, or choose another -m\n", c.model_path);
        return 1;
    }
    if (!c.quiet && !c.dry_run)
        printf("tgs: output folder %s\n", c.model_path);
    tgs_train_result res;
    install_stop_handlers();
    c.stop = &stop_requested;
    tgs_status st = tgs_train_run(&c, &res);
    if (st == TGS_ERR_INTERRUPTED) {
        fprintf(stderr, "tgs: %s\n", tgs_error_message());
        return 130;
    }
    if (st != TGS_OK)
        return tgs_cli_fail();
    if (c.dry_run)
        return 0;
    printf("tgs: done (%s): %d iterations in %.1f s (%.1f it/s), %zu Gaussians", res.backend, res.iterations,
           res.seconds,
           res.iterations / (res.seconds > 0 ? res.seconds : 1e-9), res.final_count);
    if (!isnan(res.test_psnr))
        printf(", test PSNR %.2f SSIM %.4f", res.test_psnr, res.test_ssim);
    printf("; model in %s\n", c.model_path);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    if (res.device_bytes)
        printf("tgs: memory: planned %.1f MiB of GPU memory, allocated %.1f MiB (tile/Gaussian pairs: %zu at the "
               "peak, buffers for %zu); host peak RSS %.1f MiB\n", res.planned_bytes / 1048576.0,
               res.device_bytes / 1048576.0, res.pair_peak, res.pair_capacity, ru.ru_maxrss / 1024.0);
    else
        printf("tgs: memory: planned %.1f MiB, peak RSS %.1f MiB (%zu tile/Gaussian pairs at the peak)\n",
               res.planned_bytes / 1048576.0, ru.ru_maxrss / 1024.0, res.pair_capacity);
    return 0;
}

/* ------------------------------------------------------------------ info */

static int print_gpu(void) {
    tgs_device_info d;
    tgs_device_query(&d);
    const char *archs = tgs_device_built_archs();
    printf("built for  %s\n", *archs ? archs : "CPU only (no CUDA in this build)");
    if (!d.present) {
        printf("gpu        none: %s\n", d.why);
        return 0;
    }
    printf("gpu        %s, compute capability %d.%d, %.0f MiB (%.0f MiB free)\n", d.name, d.major, d.minor,
           d.total_bytes / 1048576.0, d.free_bytes / 1048576.0);
    printf("driver     CUDA %d.%d, runtime %d.%d (static)\n", d.driver_version / 1000, d.driver_version % 1000 / 10,
           d.runtime_version / 1000, d.runtime_version % 1000 / 10);
    printf("runs       %s\n", d.code);
    return 0;
}

static const char *const opacity_kinds[] = {"logit", "linear", NULL};

/* tgs info --ply FILE / --checkpoint FILE: check a file and describe it. */
static int print_ply(const char *path, int linear) {
    tgs_gaussians *g;
    if (tgs_ply_read(path, linear ? TGS_OPACITY_LINEAR : TGS_OPACITY_LOGIT, &g) != TGS_OK)
        return tgs_cli_fail();
    printf("ply        %s: %zu Gaussians, SH degree %d\n", path, g->n, g->sh_degree);
    tgs_gaussians_destroy(g);
    return 0;
}

static int print_checkpoint(const char *path) {
    tgs_ckpt_reader *r;
    if (tgs_ckpt_open(path, &r) != TGS_OK)
        return tgs_cli_fail();
    uint64_t count = 0;
    int32_t loop[5] = {0};
    const char *settings = "";
    int ok = tgs_ckpt_get_u64(r, "count", &count) == TGS_OK &&
             tgs_ckpt_get_exact(r, "loop", loop, sizeof loop) == TGS_OK &&
             tgs_ckpt_get_str(r, "settings", &settings) == TGS_OK;
    if (!ok) {
        tgs_ckpt_close(r);
        return tgs_cli_fail();
    }
    printf("checkpoint %s: iteration %d, %llu Gaussians, %zu chunks, checksum ok\n", path, loop[0],
           (unsigned long long)count, tgs_ckpt_count(r));
    printf("settings   %s\n", settings);
    tgs_ckpt_close(r);
    return 0;
}

int tgs_cmd_info(int argc, char **argv) {
    tgs_scene_options so = {0};
    int gpu = 0, linear = 0;
    const char *ply = NULL, *ckpt = NULL;
    so.images = "images";
    so.resolution = -1;
    so.quiet = 1;
    tgs_opt opts[] = {
        {"source_path", 's', OPT_STRING, &so.source_path, 0, 0, 0, "scene folder"},
        {"images", 'i', OPT_STRING, &so.images, 0, 0, 0, "image folder inside the scene (COLMAP)"},
        {"resolution", 'r', OPT_INT, &so.resolution, 0, 0, 0, "resolution rule, as for train"},
        {"eval", 0, OPT_FLAG, &so.eval, 0, 0, 0, "show the train/test split of --eval"},
        {"white_background", 'w', OPT_FLAG, &so.white_background, 0, 0, 0, "white background"},
        {"gpu", 0, OPT_FLAG, &gpu, 0, 0, 0, "describe the GPU and the code this binary runs on it"},
        {"ply", 0, OPT_STRING, &ply, 0, 0, 0, "check and describe a 3DGS PLY file"},
        {"opacity", 0, OPT_CHOICE, &linear, 0, opacity_kinds, 0, "how that PLY stores opacity"},
        {"checkpoint", 0, OPT_STRING, &ckpt, 0, 0, 0, "check and describe a checkpoint"},
    };
    int r = parse_or_help("info", "-s SCENE [options] | --gpu", opts, NOPTS(opts), argc, argv);
    if (r >= 0)
        return r;
    if (ply)
        return print_ply(ply, linear);
    if (ckpt)
        return print_checkpoint(ckpt);
    if (gpu && !so.source_path)
        return print_gpu();
    if (!so.source_path)
        return usage_error("info", "-s/--source_path is required (or --gpu)");
    if (gpu)
        print_gpu();
    tgs_scene sc;
    if (tgs_scene_load(&so, &sc) != TGS_OK)
        return tgs_cli_fail();
    printf("scene      %s (%s)\n", so.source_path, sc.is_blender ? "Blender / NeRF-synthetic" : "COLMAP");
    /* distinct camera descriptions */
    int shown = 0;
    for (int i = 0; i < sc.n_cameras; i++) {
        const tgs_camera *c = &sc.cameras[i];
        int seen = 0;
        for (int j = 0; j < i && !seen; j++) {
            const tgs_camera *d = &sc.cameras[j];
            seen = d->full_width == c->full_width && d->full_height == c->full_height &&
                   fabs(d->fovx - c->fovx) < 1e-9 && fabs(d->fovy - c->fovy) < 1e-9 && !strcmp(d->model, c->model);
        }
        if (seen)
            continue;
        if (shown < 3)
            printf("camera     %s %dx%d, FoV %.2f x %.2f deg\n", c->model, c->full_width, c->full_height,
                   c->fovx * 57.29577951308232, c->fovy * 57.29577951308232);
        shown++;
    }
    if (sc.is_blender)
        printf("cameras    %d\n", sc.n_cameras);
    else
        printf("cameras    %d COLMAP camera(s), %d distinct%s\n", sc.n_colmap_cameras, shown,
               shown > 3 ? " (first 3 shown)" : "");
    int minw = 1 << 30, maxw = 0, minh = 1 << 30, maxh = 0, tminw = 1 << 30, tmaxw = 0, tminh = 1 << 30, tmaxh = 0;
    for (int i = 0; i < sc.n_cameras; i++) {
        const tgs_camera *c = &sc.cameras[i];
        minw = TGS_MIN(minw, c->image_width), maxw = TGS_MAX(maxw, c->image_width);
        minh = TGS_MIN(minh, c->image_height), maxh = TGS_MAX(maxh, c->image_height);
        tminw = TGS_MIN(tminw, c->width), tmaxw = TGS_MAX(tmaxw, c->width);
        tminh = TGS_MIN(tminh, c->height), tmaxh = TGS_MAX(tmaxh, c->height);
    }
    if (minw == maxw && minh == maxh)
        printf("images     %d, %dx%d on disk", sc.n_cameras, minw, minh);
    else
        printf("images     %d, sizes differ: %d..%d x %d..%d on disk", sc.n_cameras, minw, maxw, minh, maxh);
    if (tminw == tmaxw && tminh == tmaxh)
        printf(", trained at %dx%d\n", tminw, tminh);
    else
        printf(", trained at %d..%d x %d..%d\n", tminw, tmaxw, tminh, tmaxh);
    if (sc.random_init)
        printf("points     none in the scene: %zu random points (random init)\n", sc.n_points);
    else
        printf("points     %zu SfM points\n", sc.n_points);
    printf("split      %d train + %d test%s\n", sc.n_train, sc.n_test,
           sc.is_blender ? (so.eval ? " (transforms_test.json held out)" : " (test views train too without --eval)")
                         : (so.eval ? " (--eval: every 8th view)" : " (no --eval: all views train)"));
    printf("extent     %.4f (centre %.4f %.4f %.4f)\n", sc.extent, sc.center[0], sc.center[1], sc.center[2]);
    tgs_scene_free(&sc);
    return 0;
}

/* ------------------------------------------------------------------ render */

/* Highest N of MODEL/point_cloud/iteration_N, or -1. */
static int latest_iteration(const char *model) {
    char dir[TGS_PATH_MAX];
    snprintf(dir, sizeof dir, "%s/point_cloud", model);
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int best = -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int n;
        char tail;
        if (sscanf(e->d_name, "iteration_%d%c", &n, &tail) == 1 && n > best)
            best = n;
    }
    closedir(d);
    return best;
}

static int file_exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Renders one set of cameras into MODEL/<set>/ours_<N>/{renders,gt}. */
static tgs_status render_set(const char *model, const char *set, int iteration, const tgs_scene *sc,
                             const int *idx, int n, const tgs_gaussians *g, tgs_raster *r, float *img, int quiet) {
    char rdir[TGS_PATH_MAX], gdir[TGS_PATH_MAX], path[TGS_PATH_MAX + 32];
    snprintf(rdir, sizeof rdir, "%s/%s/ours_%d/renders", model, set, iteration);
    snprintf(gdir, sizeof gdir, "%s/%s/ours_%d/gt", model, set, iteration);
    TGS_TRY(tgs_mkdir_p(rdir));
    TGS_TRY(tgs_mkdir_p(gdir));
    double t0 = tgs_now();
    for (int k = 0; k < n; k++) {
        const tgs_camera *c = &sc->cameras[idx[k]];
        tgs_view v = tgs_view_from_camera(c, sc->background, g->sh_degree);
        TGS_TRY(tgs_raster_forward(r, g, &v, img, NULL, NULL));
        snprintf(path, sizeof path, "%s/%05d.png", rdir, k);
        TGS_TRY(tgs_image_save_png_f32(path, img, c->width, c->height));
        tgs_image gt;
        TGS_TRY(tgs_scene_load_image(sc, idx[k], &gt));
        snprintf(path, sizeof path, "%s/%05d.png", gdir, k);
        tgs_status st = tgs_image_save_png(path, &gt);
        tgs_image_free(&gt);
        TGS_TRY(st);
    }
    if (!quiet)
        printf("tgs: rendered %d %s views to %s/%s/ours_%d (%.2f s)\n", n, set, model, set, iteration,
               tgs_now() - t0);
    return TGS_OK;
}

int tgs_cmd_render(int argc, char **argv) {
    const char *model = NULL, *source = NULL, *images = NULL, *ply = NULL;
    int resolution = -2, eval = 0, white = 0, iteration = -1, skip_train = 0, skip_test = 0, quiet = 0, threads = 0;
    int opacity = 0;
    tgs_opt opts[] = {
        {"model_path", 'm', OPT_STRING, &model, 0, 0, 0, "model folder (its cfg_args names the scene); outputs go here"},
        {"source_path", 's', OPT_STRING, &source, 0, 0, 0, "scene folder (default: from the model's cfg_args)"},
        {"images", 'i', OPT_STRING, &images, 0, 0, 0, "image folder (default: from cfg_args, else images)"},
        {"resolution", 'r', OPT_INT, &resolution, 0, 0, 0, "resolution rule (-2: from cfg_args, else -1)"},
        {"eval", 0, OPT_FLAG, &eval, 0, 0, 0, "use the --eval split (default: from cfg_args)"},
        {"white_background", 'w', OPT_FLAG, &white, 0, 0, 0, "white background (default: from cfg_args)"},
        {"iteration", 0, OPT_INT, &iteration, 0, 0, 0, "which saved iteration (-1: the latest)"},
        {"ply", 0, OPT_STRING, &ply, 0, 0, 0, "render this 3DGS PLY instead of the model's"},
        {"opacity", 0, OPT_CHOICE, &opacity, 0, opacity_kinds, 0, "how the PLY's opacity field is stored"},
        {"skip_train", 0, OPT_FLAG, &skip_train, 0, 0, 0, "do not render the training views"},
        {"skip_test", 0, OPT_FLAG, &skip_test, 0, 0, 0, "do not render the test views"},
        {"quiet", 'q', OPT_FLAG, &quiet, 0, 0, 0, "print only errors"},
        {"threads", 0, OPT_INT, &threads, 0, 0, 0, "CPU threads (0: all cores)"},
    };
    int r = parse_or_help("render", "-m MODEL [--ply FILE] [options]", opts, NOPTS(opts), argc, argv);
    if (r >= 0)
        return r;
    if (!model)
        return usage_error("render", "-m/--model_path is required (renders are written there)");
    tgs_set_threads(threads);
    tgs_cfg_args cfg;
    tgs_cfg_args_defaults(&cfg);
    char cfg_path[TGS_PATH_MAX + 16];
    snprintf(cfg_path, sizeof cfg_path, "%s/cfg_args", model);
    int have_cfg = file_exists(cfg_path);
    if (have_cfg && tgs_model_read_cfg_args(cfg_path, &cfg) != TGS_OK)
        return tgs_cli_fail();
    if (!source && !have_cfg)
        return usage_error("render", "no scene: give -s, or a -m folder holding cfg_args");
    tgs_scene_options so = {0};
    so.source_path = source ? source : cfg.source_path;
    so.images = images ? images : (have_cfg ? cfg.images : "images");
    so.resolution = resolution != -2 ? resolution : (have_cfg ? cfg.resolution : -1);
    so.eval = eval || (have_cfg && cfg.eval);
    so.white_background = white || (have_cfg && cfg.white_background);
    so.quiet = quiet;
    char ply_path[TGS_PATH_MAX + 64];
    if (ply) {
        snprintf(ply_path, sizeof ply_path, "%s", ply);
        if (iteration < 0)
            iteration = 0;
    } else {
        if (iteration < 0)
            iteration = latest_iteration(model);
        if (iteration < 0) {
            fprintf(stderr, "tgs render: error: %s/point_cloud holds no iteration_N folder (train first, or --ply)\n",
                    model);
            return 1;
        }
        snprintf(ply_path, sizeof ply_path, "%s/point_cloud/iteration_%d/point_cloud.ply", model, iteration);
    }
    tgs_scene sc;
    if (tgs_scene_load(&so, &sc) != TGS_OK)
        return tgs_cli_fail();
    tgs_gaussians *g = NULL;
    tgs_raster *ras = NULL;
    float *img = NULL;
    int rc = 0;
    if (tgs_ply_read(ply_path, opacity ? TGS_OPACITY_LINEAR : TGS_OPACITY_LOGIT, &g) != TGS_OK) {
        rc = tgs_cli_fail();
        goto done;
    }
    int mw = 0, mh = 0;
    for (int i = 0; i < sc.n_cameras; i++)
        mw = TGS_MAX(mw, sc.cameras[i].width), mh = TGS_MAX(mh, sc.cameras[i].height);
    img = tgs_calloc((size_t)mw * mh * 3, sizeof(float), "render");
    if (!img || tgs_raster_create(g->n, mw, mh, &ras) != TGS_OK) {
        rc = tgs_cli_fail();
        goto done;
    }
    if (!quiet)
        printf("tgs: %s: %zu Gaussians, SH degree %d\n", ply_path, g->n, g->sh_degree);
    if ((!skip_test && sc.n_test > 0 &&
         render_set(model, "test", iteration, &sc, sc.test_idx, sc.n_test, g, ras, img, quiet) != TGS_OK) ||
        (!skip_train &&
         render_set(model, "train", iteration, &sc, sc.train_idx, sc.n_train, g, ras, img, quiet) != TGS_OK))
        rc = tgs_cli_fail();
done:
    free(img);
    tgs_raster_destroy(ras);
    tgs_gaussians_destroy(g);
    tgs_scene_free(&sc);
    return rc;
}

/* ------------------------------------------------------------------ metrics */

int tgs_cmd_metrics(int argc, char **argv) {
    const char *model = NULL, *method = NULL;
    static const char *const splits[] = {"test", "train", NULL};
    int threads = 0, split = 0;
    tgs_opt opts[] = {
        {"model_path", 'm', OPT_STRING, &model, 0, 0, 0, "model folder holding test/ (or train/) <method>/{renders,gt}"},
        {"method", 0, OPT_STRING, &method, 0, 0, 0, "only this method folder (e.g. ours_30000)"},
        {"split", 0, OPT_CHOICE, &split, 0, splits, 0,
         "views to score: test (results.json) or train (results_train.json, renders from tgs render)"},
        {"threads", 0, OPT_INT, &threads, 0, 0, 0, "CPU threads (0: all cores)"},
    };
    int r = parse_or_help("metrics", "-m MODEL [options]", opts, NOPTS(opts), argc, argv);
    if (r >= 0)
        return r;
    if (!model)
        return usage_error("metrics", "-m/--model_path is required");
    tgs_set_threads(threads);
    tgs_metrics_table t;
    if (tgs_metrics_compute(model, splits[split], method, &t) != TGS_OK)
        return tgs_cli_fail();
    printf("%-16s %6s %9s %8s %12s\n", "method", "views", "PSNR", "SSIM", "PSNR ch-mean");
    for (int i = 0; i < t.n_rows; i++)
        printf("%-16s %6d %9.4f %8.5f %12.4f\n", t.rows[i].method, t.rows[i].n_views, t.rows[i].psnr, t.rows[i].ssim,
               t.rows[i].psnr_channel_mean);
    printf("(PSNR over all channels, as the published metrics.py; ch-mean: the mean of the channel PSNRs, as its "
           "training log)\n");
    const char *sfx = split ? "_train" : "";
    printf("tgs: wrote %s/results%s.json and %s/per_view%s.json\n", model, sfx, model, sfx);
    tgs_metrics_table_free(&t);
    return 0;
}
