/* commands.c - option tables and drivers of the tgs subcommands. */
#include "cli/commands.h"

#include "cli/args.h"
#include "train/config.h"
#include "train/state.h"
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

/* Parses argv into base (which holds the defaults) with opts; prints help (0)
 * or the error (2); -1 means go on. */
static int parse_or_help(const char *cmd, const char *synopsis, const tgs_opt *opts /*[n]*/, int n, void *base,
                         int argc, char **argv) {
    char err[512];
    FILE *f = stdout;
    /* help shows the defaults, so print it before parsing changes them */
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fprintf(f, "usage: tgs %s %s\n\noptions [default]:\n", cmd, synopsis);
            tgs_args_help(opts, n, base, f);
            return 0;
        }
    int r = tgs_args_parse(opts, n, base, argc, argv, err, sizeof err);
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

void tgs_cli_on_stop_signals(void (*handler)(int)) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
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

/* Runs the training and prints its summary; returns the exit code. */
static int run_training(tgs_train_config *c) {
    tgs_train_result res;
    tgs_cli_on_stop_signals(on_stop_signal);
    c->stop = &stop_requested;
    tgs_status st = tgs_train_run(c, &res);
    if (st == TGS_ERR_INTERRUPTED) {
        fprintf(stderr, "tgs: %s\n", tgs_error_message());
        return 130;
    }
    if (st != TGS_OK)
        return tgs_cli_fail();
    if (c->dry_run)
        return 0;
    printf("tgs: done (%s): %d iterations in %.1f s (%.1f it/s), %zu Gaussians", res.backend, res.iterations,
           res.seconds, res.iterations / (res.seconds > 0 ? res.seconds : 1e-9), res.final_count);
    if (!isnan(res.test_psnr))
        printf(", test PSNR %.2f SSIM %.4f", res.test_psnr, res.test_ssim);
    printf("; model in %s\n", c->model_path);
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

int tgs_cmd_train(int argc, char **argv) {
    tgs_train_config c;
    tgs_train_config_defaults(&c);
    int n;
    const tgs_opt *opts = tgs_train_options(&n);
    int r = parse_or_help("train", "-s SCENE [-m MODEL] [options]", opts, n, &c, argc, argv);
    if (r >= 0)
        return r;
    if (tgs_train_config_check(&c) != TGS_OK)
        return usage_error("train", tgs_error_message());
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
    return run_training(&c);
}

/* ------------------------------------------------------------------ info */

/* One line per camera model of the scene: its images and, for a distorted
 * model, the share of the undistorted frame that has a source in the
 * photographs (estimated on a 128 x 128 grid per distinct camera). */
static void print_camera_models(const tgs_scene *sc) {
    for (int model = 0; model < TGS_CAM_N_MODELS; model++) {
        int n = 0;
        double sum = 0, lo = 1;
        const tgs_intrinsics *last = NULL;
        double frac = 1;
        for (int i = 0; i < sc->n_cameras; i++) {
            const tgs_camera *c = &sc->cameras[i];
            if (c->intrinsics.model != model)
                continue;
            n++;
            if (tgs_intrinsics_is_pinhole(&c->intrinsics))
                continue;
            if (!last || !tgs_intrinsics_equal(last, &c->intrinsics))
                frac = tgs_camera_model_valid_fraction(&c->intrinsics, c->width, c->height, 128);
            last = &c->intrinsics;
            sum += frac;
            lo = fmin(lo, frac);
        }
        if (n == 0)
            continue;
        const char *name = tgs_camera_model_by_id(model)->name;
        if (model == TGS_CAM_PINHOLE || model == TGS_CAM_SIMPLE_PINHOLE)
            printf("model      %s: %d image(s), no distortion\n", name, n);
        else
            printf("model      %s: %d image(s), undistorted at load to a centred PINHOLE camera: %.1f%% of the "
                   "frame valid (least %.1f%%)\n", name, n, 100 * sum / n, 100 * lo);
    }
}

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
    tgs_splat_format f;
    if (tgs_gaussians_read_file(path, linear ? TGS_OPACITY_LINEAR : TGS_OPACITY_LOGIT, &g, &f) != TGS_OK)
        return tgs_cli_fail();
    printf("model      %s (%s): %zu Gaussians, SH degree %d\n", path, tgs_splat_format_name(f), g->n, g->sh_degree);
    tgs_gaussians_destroy(g);
    return 0;
}

static int print_checkpoint(const char *path) {
    tgs_run_summary sum;
    if (tgs_run_state_summary(path, &sum) != TGS_OK)
        return tgs_cli_fail();
    printf("checkpoint %s: iteration %d, %llu Gaussians, %zu chunks, checksum ok\n", path, sum.iteration,
           (unsigned long long)sum.count, sum.chunks);
    printf("settings   %s\n", sum.settings);
    return 0;
}

/* What `tgs info` is asked. */
typedef struct {
    tgs_scene_options so;
    int gpu, linear;
    const char *ply, *ckpt;
} info_args;

#define IA(field) offsetof(info_args, field)
static const tgs_opt info_opts[] = {
    {"source_path", 's', OPT_STRING, IA(so.source_path),
     .help = "scene folder: describe it (camera models and the share of each undistorted frame kept, sizes, split)"},
    {"images", 'i', OPT_STRING, IA(so.images), .def_str = "images", .help = "image folder inside the scene (COLMAP)"},
    {"resolution", 'r', OPT_INT, IA(so.resolution), .def = -1, .help = "resolution rule, as for train"},
    {"eval", 0, OPT_FLAG, IA(so.eval), .help = "show the train/test split of --eval"},
    {"white_background", 'w', OPT_FLAG, IA(so.white_background), .help = "white background"},
    {"gpu", 0, OPT_FLAG, IA(gpu), .help = "describe the GPU and the code this binary runs on it"},
    {"ply", 0, OPT_STRING, IA(ply), .help = "check and describe a 3DGS PLY file"},
    {"opacity", 0, OPT_CHOICE, IA(linear), .choices = opacity_kinds, .help = "how that PLY stores opacity"},
    {"checkpoint", 0, OPT_STRING, IA(ckpt), .help = "check and describe a checkpoint"},
};

int tgs_cmd_info(int argc, char **argv) {
    info_args a;
    memset(&a, 0, sizeof a);
    tgs_opts_defaults(info_opts, NOPTS(info_opts), &a);
    a.so.quiet = 1;
    int r = parse_or_help("info", "-s SCENE [options] | --gpu", info_opts, NOPTS(info_opts), &a, argc, argv);
    if (r >= 0)
        return r;
    const tgs_scene_options so = a.so;
    if (a.ply)
        return print_ply(a.ply, a.linear);
    if (a.ckpt)
        return print_checkpoint(a.ckpt);
    if (a.gpu && !so.source_path)
        return print_gpu();
    if (!so.source_path)
        return usage_error("info", "-s/--source_path is required (or --gpu)");
    if (a.gpu)
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
    if (!sc.is_blender)
        print_camera_models(&sc);
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

int tgs_cli_open_model(const char *cmd, tgs_cli_model *a, tgs_scene *sc, char *ply_path /*[n]*/, size_t n) {
    tgs_cfg_args cfg;
    tgs_cfg_args_defaults(&cfg);
    char cfg_path[TGS_PATH_MAX + 16];
    snprintf(cfg_path, sizeof cfg_path, "%s/cfg_args", a->model);
    int have_cfg = file_exists(cfg_path);
    if (have_cfg && tgs_model_read_cfg_args(cfg_path, &cfg) != TGS_OK)
        return tgs_cli_fail();
    if (!a->source && !have_cfg)
        return usage_error(cmd, "no scene: give -s, or a -m folder holding cfg_args");
    tgs_scene_options so = {0};
    so.source_path = a->source ? a->source : cfg.source_path;
    so.images = a->images ? a->images : (have_cfg ? cfg.images : "images");
    so.resolution = a->resolution != -2 ? a->resolution : (have_cfg ? cfg.resolution : -1);
    so.eval = a->eval || (have_cfg && cfg.eval);
    so.white_background = a->white || (have_cfg && cfg.white_background);
    so.quiet = a->quiet;
    so.masks = a->masks;
    so.alpha_mask = a->alpha_mask;
    if (a->ply) {
        snprintf(ply_path, n, "%s", a->ply);
        if (a->iteration < 0)
            a->iteration = 0;
    } else {
        if (a->iteration < 0)
            a->iteration = latest_iteration(a->model);
        if (a->iteration < 0) {
            fprintf(stderr, "tgs %s: error: %s/point_cloud holds no iteration_N folder (train first, or --ply)\n",
                    cmd, a->model);
            return 1;
        }
        snprintf(ply_path, n, "%s/point_cloud/iteration_%d/point_cloud.ply", a->model, a->iteration);
    }
    if (tgs_scene_load(&so, sc) != TGS_OK)
        return tgs_cli_fail();
    return -1;
}

/* Renders one set of cameras into MODEL/<set>/ours_<N>/{renders,gt}. */
static tgs_status render_set(const char *model, const char *set, int iteration, const tgs_scene *sc,
                             const int *idx, int n, const tgs_gaussians *g, tgs_raster *r, float *img, int quiet) {
    char rdir[TGS_PATH_MAX], gdir[TGS_PATH_MAX], mdir[TGS_PATH_MAX], path[TGS_PATH_MAX + 32];
    snprintf(rdir, sizeof rdir, "%s/%s/ours_%d/renders", model, set, iteration);
    snprintf(gdir, sizeof gdir, "%s/%s/ours_%d/gt", model, set, iteration);
    snprintf(mdir, sizeof mdir, "%s/%s/ours_%d/masks", model, set, iteration);
    TGS_TRY(tgs_mkdir_p(rdir));
    TGS_TRY(tgs_mkdir_p(gdir));
    if (sc->n_masked > 0)
        TGS_TRY(tgs_mkdir_p(mdir));
    double t0 = tgs_now();
    for (int k = 0; k < n; k++) {
        const tgs_camera *c = &sc->cameras[idx[k]];
        tgs_view v = tgs_view_from_camera(c, sc->background, g->sh_degree);
        TGS_TRY(tgs_raster_forward(r, g, &v, img, NULL, NULL));
        snprintf(path, sizeof path, "%s/%05d.png", rdir, k);
        TGS_TRY(tgs_image_save_png_f32(path, img, c->width, c->height));
        tgs_image gt, mask;
        TGS_TRY(tgs_scene_load_image(sc, idx[k], &gt, &mask));
        snprintf(path, sizeof path, "%s/%05d.png", gdir, k);
        tgs_status st = tgs_image_save_png(path, &gt);
        snprintf(path, sizeof path, "%s/%05d.png", mdir, k);
        if (st == TGS_OK && mask.data)
            st = tgs_image_save_png(path, &mask);
        tgs_image_free(&gt);
        tgs_image_free(&mask);
        TGS_TRY(st);
    }
    if (!quiet)
        printf("tgs: rendered %d %s views to %s/%s/ours_%d (%.2f s)\n", n, set, model, set, iteration,
               tgs_now() - t0);
    return TGS_OK;
}

/* What `tgs render` is asked. */
typedef struct {
    const char *model, *source, *images, *ply, *masks;
    int resolution, eval, white, iteration, skip_train, skip_test, quiet, threads, opacity, alpha_mask;
} render_args;

#define RA(field) offsetof(render_args, field)
static const tgs_opt render_opts[] = {
    {"model_path", 'm', OPT_STRING, RA(model),
     .help = "model folder (its cfg_args names the scene); outputs go here"},
    {"source_path", 's', OPT_STRING, RA(source), .help = "scene folder (default: from the model's cfg_args)"},
    {"images", 'i', OPT_STRING, RA(images), .help = "image folder (default: from cfg_args, else images)"},
    {"resolution", 'r', OPT_INT, RA(resolution), .def = -2, .help = "resolution rule (-2: from cfg_args, else -1)"},
    {"eval", 0, OPT_FLAG, RA(eval), .help = "use the --eval split (default: from cfg_args)"},
    {"white_background", 'w', OPT_FLAG, RA(white), .help = "white background (default: from cfg_args)"},
    {"masks", 0, OPT_STRING, RA(masks), .help = "mask folder, as for train: masks/ beside gt/ (for metrics --masked)"},
    {"alpha_mask", 0, OPT_FLAG, RA(alpha_mask),
     .help = "an RGBA photograph's alpha is its mask, as for train (gt/ then keeps the colours uncomposited)"},
    {"iteration", 0, OPT_INT, RA(iteration), .def = -1, .help = "which saved iteration (-1: the latest)"},
    {"ply", 0, OPT_STRING, RA(ply), .help = "render this 3DGS PLY instead of the model's"},
    {"opacity", 0, OPT_CHOICE, RA(opacity), .choices = opacity_kinds, .help = "how the PLY's opacity field is stored"},
    {"skip_train", 0, OPT_FLAG, RA(skip_train), .help = "do not render the training views"},
    {"skip_test", 0, OPT_FLAG, RA(skip_test), .help = "do not render the test views"},
    {"quiet", 'q', OPT_FLAG, RA(quiet), .help = "print only errors"},
    {"threads", 0, OPT_INT, RA(threads), .help = "CPU threads (0: all cores)"},
};

int tgs_cmd_render(int argc, char **argv) {
    render_args a;
    memset(&a, 0, sizeof a);
    tgs_opts_defaults(render_opts, NOPTS(render_opts), &a);
    int r = parse_or_help("render", "-m MODEL [--ply FILE] [options]", render_opts, NOPTS(render_opts), &a, argc,
                          argv);
    if (r >= 0)
        return r;
    if (!a.model)
        return usage_error("render", "-m/--model_path is required (renders are written there)");
    tgs_set_threads(a.threads);
    tgs_cli_model m = {a.model, a.source, a.images, a.ply, a.masks, a.resolution, a.eval, a.white, a.alpha_mask,
                       a.iteration, a.quiet};
    tgs_scene sc;
    char ply_path[TGS_PATH_MAX + 64];
    if ((r = tgs_cli_open_model("render", &m, &sc, ply_path, sizeof ply_path)) >= 0)
        return r;
    a.iteration = m.iteration;
    tgs_gaussians *g = NULL;
    tgs_raster *ras = NULL;
    float *img = NULL;
    int rc = 0;
    if (tgs_gaussians_read_file(ply_path, a.opacity ? TGS_OPACITY_LINEAR : TGS_OPACITY_LOGIT, &g, NULL) != TGS_OK) {
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
    if (!a.quiet)
        printf("tgs: %s: %zu Gaussians, SH degree %d\n", ply_path, g->n, g->sh_degree);
    if ((!a.skip_test && sc.n_test > 0 &&
         render_set(a.model, "test", a.iteration, &sc, sc.test_idx, sc.n_test, g, ras, img, a.quiet) != TGS_OK) ||
        (!a.skip_train &&
         render_set(a.model, "train", a.iteration, &sc, sc.train_idx, sc.n_train, g, ras, img, a.quiet) != TGS_OK))
        rc = tgs_cli_fail();
done:
    free(img);
    tgs_raster_destroy(ras);
    tgs_gaussians_destroy(g);
    tgs_scene_free(&sc);
    return rc;
}

/* ------------------------------------------------------------------ metrics */

/* What `tgs metrics` is asked. */
typedef struct {
    const char *model, *method;
    int split, threads, masked;
} metrics_args;

static const char *const splits[] = {"test", "train", NULL};

#define MA(field) offsetof(metrics_args, field)
static const tgs_opt metrics_opts[] = {
    {"model_path", 'm', OPT_STRING, MA(model),
     .help = "model folder holding test/ (or train/) <method>/{renders,gt}"},
    {"method", 0, OPT_STRING, MA(method), .help = "only this method folder (e.g. ours_30000)"},
    {"split", 0, OPT_CHOICE, MA(split), .choices = splits,
     .help = "views to score: test (results.json) or train (results_train.json, renders from tgs render)"},
    {"threads", 0, OPT_INT, MA(threads), .help = "CPU threads (0: all cores)"},
    {"masked", 0, OPT_FLAG, MA(masked),
     .help = "score only the pixels each view's masks/ image keeps (tgs render --masks/--alpha_mask); writes "
             "results_masked.json and per_view_masked.json"},
};

int tgs_cmd_metrics(int argc, char **argv) {
    metrics_args a;
    memset(&a, 0, sizeof a);
    tgs_opts_defaults(metrics_opts, NOPTS(metrics_opts), &a);
    int r = parse_or_help("metrics", "-m MODEL [options]", metrics_opts, NOPTS(metrics_opts), &a, argc, argv);
    if (r >= 0)
        return r;
    if (!a.model)
        return usage_error("metrics", "-m/--model_path is required");
    tgs_set_threads(a.threads);
    tgs_metrics_table t;
    if (tgs_metrics_compute(a.model, splits[a.split], a.method, a.masked, &t) != TGS_OK)
        return tgs_cli_fail();
    printf("%-16s %6s %9s %8s %12s\n", "method", "views", "PSNR", "SSIM", "PSNR ch-mean");
    for (int i = 0; i < t.n_rows; i++)
        printf("%-16s %6d %9.4f %8.5f %12.4f\n", t.rows[i].method, t.rows[i].n_views, t.rows[i].psnr, t.rows[i].ssim,
               t.rows[i].psnr_channel_mean);
    printf("(PSNR over all channels, as the published metrics.py; ch-mean: the mean of the channel PSNRs, as its "
           "training log)\n");
    if (a.masked)
        printf("(masked: only the pixels each view's masks/ image keeps are scored; views without one count every "
               "pixel)\n");
    char sfx[32];
    snprintf(sfx, sizeof sfx, "%s%s", a.masked ? "_masked" : "", a.split ? "_train" : "");
    printf("tgs: wrote %s/results%s.json and %s/per_view%s.json\n", a.model, sfx, a.model, sfx);
    tgs_metrics_table_free(&t);
    return 0;
}

/* ------------------------------------------------------------------ export */

/* What `tgs export` is asked. */
typedef struct {
    const char *model, *ply, *output;
    int iteration, opacity, format, spz_version, sog_iterations;
} export_args;

static const char *const export_formats[] = {"spz", "splat", "compressed-ply", "sog", NULL};

#define EA(field) offsetof(export_args, field)
static const tgs_opt export_opts[] = {
    {"model_path", 'm', OPT_STRING, EA(model), .help = "model folder (its point_cloud/iteration_N/point_cloud.ply)"},
    {"iteration", 0, OPT_INT, EA(iteration), .def = -1, .help = "which saved iteration (-1: the latest)"},
    {"ply", 0, OPT_STRING, EA(ply), .help = "export this 3DGS PLY (any trainer's) instead of a model's"},
    {"opacity", 0, OPT_CHOICE, EA(opacity), .choices = opacity_kinds, .help = "how that PLY stores opacity"},
    {"format", 'f', OPT_CHOICE, EA(format), .choices = export_formats,
     .help = "spz (Niantic), splat (antimatter15, no SH rest), compressed-ply (PlayCanvas/SuperSplat) or sog "
             "(PlayCanvas)"},
    {"spz_version", 0, OPT_INT, EA(spz_version), .def = 3, .help = "SPZ version: 3 (gzip) or 4 (zstd)"},
    {"sog_iterations", 0, OPT_INT, EA(sog_iterations), .def = 10,
     .help = "k-means iterations of SOG's SH palette (1..1000)"},
    {"output", 'o', OPT_STRING, EA(output),
     .help = "output file (default: beside the input, named by the format: .spz, .splat, .compressed.ply, .sog; "
             "a SOG ending in .json is the folder form's meta.json)"},
};

static const char *const export_suffix[] = {".spz", ".splat", ".compressed.ply", ".sog"};

/* The input PLY of `tgs export` and the default output beside it. */
static int export_paths(export_args *a, char *in, size_t in_n, char *out, size_t out_n) {
    if (a->ply)
        snprintf(in, in_n, "%s", a->ply);
    else {
        if (a->iteration < 0)
            a->iteration = latest_iteration(a->model);
        if (a->iteration < 0) {
            fprintf(stderr, "tgs export: error: %s/point_cloud holds no iteration_N folder (train first, or --ply)\n",
                    a->model);
            return 1;
        }
        snprintf(in, in_n, "%s/point_cloud/iteration_%d/point_cloud.ply", a->model, a->iteration);
    }
    if (a->output) {
        snprintf(out, out_n, "%s", a->output);
        return 0;
    }
    size_t len = strlen(in);
    if (len > 4 && strcmp(in + len - 4, ".ply") == 0)
        len -= 4;
    snprintf(out, out_n, "%.*s%s", (int)len, in, export_suffix[a->format]);
    return 0;
}

static tgs_status export_write(const export_args *a, const char *path, const tgs_splats *s) {
    switch (a->format) {
    case 0: {
        tgs_spz_options o = {0};
        o.version = a->spz_version;
        return tgs_splats_write_spz(path, s, &o);
    }
    case 1: return tgs_splats_write_splat(path, s, NULL);
    case 2: return tgs_splats_write_compressed_ply(path, s, NULL);
    default: {
        tgs_sog_options o = {0};
        o.iterations = a->sog_iterations;
        return tgs_splats_write_sog(path, s, &o);
    }
    }
}

int tgs_cmd_export(int argc, char **argv) {
    export_args a;
    memset(&a, 0, sizeof a);
    tgs_opts_defaults(export_opts, NOPTS(export_opts), &a);
    int r = parse_or_help("export", "-m MODEL | --ply FILE [--format spz|splat|compressed-ply|sog] [-o FILE]",
                          export_opts, NOPTS(export_opts), &a, argc, argv);
    if (r >= 0)
        return r;
    if (!a.model == !a.ply)
        return usage_error("export", "give one of -m/--model_path and --ply");
    if (a.spz_version != 3 && a.spz_version != 4)
        return usage_error("export", "--spz_version must be 3 or 4");
    if (a.sog_iterations < 1 || a.sog_iterations > 1000)
        return usage_error("export", "--sog_iterations must be 1..1000");
    char in[TGS_PATH_MAX + 64], out[TGS_PATH_MAX + 96];
    if (export_paths(&a, in, sizeof in, out, sizeof out) != 0)
        return 1;
    tgs_gaussians *g = NULL;
    tgs_splats *s = NULL;
    double t0 = tgs_now();
    if (tgs_ply_read(in, a.opacity ? TGS_OPACITY_LINEAR : TGS_OPACITY_LOGIT, &g) != TGS_OK ||
        tgs_gaussians_to_splats(g, &s) != TGS_OK || export_write(&a, out, s) != TGS_OK) {
        tgs_gaussians_destroy(g);
        tgs_splats_free(s);
        return tgs_cli_fail();
    }
    tgs_splat_format f;
    tgs_splat_format_parse(export_formats[a.format], &f);
    int kept = TGS_MIN(g->sh_degree, tgs_splat_format_max_sh_degree(f));
    double bytes = (double)tgs_splats_written_bytes(out);
    printf("tgs: %s -> %s (%s): %zu Gaussians, SH degree %d%s, %.2f MiB in %.2f s\n", in, out,
           export_formats[a.format], g->n, kept, kept < g->sh_degree ? " (the format holds no higher SH: dropped)" : "",
           bytes / 1048576.0, tgs_now() - t0);
    tgs_gaussians_destroy(g);
    tgs_splats_free(s);
    return 0;
}
