/* config.c - every option of `tgs train` in one table: its name (the
 * published trainer's), default, check, help text, and whether it decides a
 * result (the checkpoint's settings) or goes into cfg_args. Adding an option
 * is a field in tgs_train_config and a row here. */
#include "train/config.h"

#include <stdio.h>
#include <string.h>

_Static_assert(sizeof(tgs_densify_mode) == sizeof(int) && sizeof(tgs_budget_mode) == sizeof(int) &&
                   sizeof(tgs_device_kind) == sizeof(int) && sizeof(tgs_optimizer_type) == sizeof(int),
               "choice options are stored as int indices");

/* ---- rules ---- */

static int is_set(const void *v) { return *(const char *const *)v != NULL; }
static int at_least_1(const void *v) { return *(const int *)v >= 1; }
static int sh_range(const void *v) { return *(const int *)v >= 0 && *(const int *)v <= 3; }
static int positive(const void *v) { return *(const double *)v > 0; }
static int all_or_count(const void *v) { return *(const int *)v == -1 || *(const int *)v >= 1; }
static int unit_range(const void *v) { return *(const double *)v >= 0 && *(const double *)v <= 1; }
static int non_negative(const void *v) { return *(const int *)v >= 0; }
static int port_range(const void *v) { return *(const int *)v >= 0 && *(const int *)v <= 65535; }
static int cuda_or_cpu(const void *v) {
    const char *s = *(const char *const *)v;
    return s && (strcmp(s, "cuda") == 0 || strcmp(s, "cpu") == 0);
}

static const tgs_opt_rule required = {is_set, "is required"};
static const tgs_opt_rule at_least_one = {at_least_1, "must be at least 1"};
static const tgs_opt_rule sh_degrees = {sh_range, "must be 0..3"};
static const tgs_opt_rule above_zero = {positive, "must be positive"};
static const tgs_opt_rule cams_rule = {all_or_count, "must be -1 (all) or at least 1"};
static const tgs_opt_rule weight = {unit_range, "must be within 0..1"};
static const tgs_opt_rule threads_rule = {non_negative, "must be 0 (all cores) or more"};
static const tgs_opt_rule limit_rule = {non_negative, "must be 0 (no limit) or more"};
static const tgs_opt_rule data_devices = {cuda_or_cpu, "must be cuda or cpu"};
static const tgs_opt_rule ports = {port_range, "must be 0..65535 (0: any free port)"};

/* ---- the table ---- */

static const char *const densify_modes[] = {"taming", "classic", NULL};   /* tgs_densify_mode */
static const char *const budget_modes[] = {"multiplier", "final_count", NULL}; /* tgs_budget_mode */
static const char *const devices[] = {"auto", "cpu", "cuda", NULL};           /* tgs_device_kind */
static const char *const optimizer_types[] = {"default", "sparse_adam", NULL}; /* tgs_optimizer_type */
static const int eval_and_save_at[] = {7000, 30000, -1};

#define F(field) offsetof(tgs_train_config, field)
#define LIST(field) F(field), F(n_##field)
#define CFG(field) \
    .cfg_args_offset = offsetof(tgs_cfg_args, field), .cfg_args_size = sizeof(((tgs_cfg_args *)0)->field)
#define SAVED .use = TGS_OPT_SETTING
#define IGNORED(name_, takes, help_) {.name = name_, .type = OPT_IGNORED, .takes_value = takes, .help = help_}

static const tgs_opt k_options[] = {
    /* model / scene */
    {"source_path", 's', OPT_STRING, F(source_path), .rule = &required, SAVED, CFG(source_path),
     .help = "scene folder (COLMAP sparse/0: pinhole, radial, OPENCV or fisheye cameras, undistorted at load; "
             "or Blender transforms)"},
    {"model_path", 'm', OPT_STRING, F(model_path), CFG(model_path),
     .help = "output model folder (default output/<random>)"},
    {"images", 'i', OPT_STRING, F(images), .def_str = "images", SAVED, CFG(images),
     .help = "image folder inside the scene (COLMAP)"},
    {"resolution", 'r', OPT_INT, F(resolution), .def = -1, SAVED, CFG(resolution),
     .help = "-1 auto (max 1600 px wide), 1/2/4/8 divide, else width"},
    {"white_background", 'w', OPT_FLAG, F(white_background), SAVED, CFG(white_background),
     .help = "white background (Blender scenes)"},
    {"eval", 0, OPT_FLAG, F(eval), SAVED, CFG(eval), .help = "hold out every 8th view for testing"},
    {"masks", 0, OPT_STRING, F(masks), SAVED,
     .help = "folder of masks, one per photograph with its stem (PNG/JPEG, nonzero = keep): the other pixels are "
             "left out of the loss and the Taming scores"},
    {"alpha_mask", 0, OPT_FLAG, F(alpha_mask), SAVED,
     .help = "an RGBA photograph's alpha is its mask (alpha 0: left out) instead of compositing it over the "
             "background"},
    {"sh_degree", 0, OPT_INT, F(sh_degree), .def = 3, .rule = &sh_degrees, SAVED, CFG(sh_degree),
     .help = "maximum spherical-harmonics degree (0..3)"},
    {"data_device", 0, OPT_STRING, F(data_device), .def_str = "cuda", .rule = &data_devices, CFG(data_device),
     .help = "where training images live (cuda|cpu)"},
    {"device", 0, OPT_CHOICE, F(device), .choices = devices,
     .help = "compute backend (auto: cuda when a GPU is present)"},
    /* optimisation */
    {"iterations", 0, OPT_INT, F(iterations), .def = 30000, .rule = &at_least_one, .help = "training iterations"},
    {"position_lr_init", 0, OPT_DOUBLE, F(position_lr_init), .def = 0.00016, SAVED,
     .help = "position learning rate at start (x extent)"},
    {"position_lr_final", 0, OPT_DOUBLE, F(position_lr_final), .def = 0.0000016, SAVED,
     .help = "position learning rate at the end (x extent)"},
    {"position_lr_delay_mult", 0, OPT_DOUBLE, F(position_lr_delay_mult), .def = 0.01, SAVED,
     .help = "position lr delay multiplier"},
    {"position_lr_max_steps", 0, OPT_INT, F(position_lr_max_steps), .def = 30000, .rule = &at_least_one, SAVED,
     .help = "iterations of the position lr decay"},
    {"feature_lr", 0, OPT_DOUBLE, F(feature_lr), .def = 0.0025, SAVED, .help = "SH DC learning rate"},
    {"shfeature_lr", 0, OPT_DOUBLE, F(shfeature_lr), .def = 0.005, SAVED,
     .help = "SH rest learning rate, divided by 20"},
    {"opacity_lr", 0, OPT_DOUBLE, F(opacity_lr), .def = 0.025, SAVED, .help = "opacity learning rate"},
    {"scaling_lr", 0, OPT_DOUBLE, F(scaling_lr), .def = 0.005, SAVED, .help = "scale learning rate"},
    {"rotation_lr", 0, OPT_DOUBLE, F(rotation_lr), .def = 0.001, SAVED, .help = "rotation learning rate"},
    {"percent_dense", 0, OPT_DOUBLE, F(percent_dense), .def = 0.01, SAVED,
     .help = "clone/split scale threshold (x extent)"},
    {"lambda_dssim", 0, OPT_DOUBLE, F(lambda_dssim), .def = 0.2, .rule = &weight, SAVED,
     .help = "weight of 1-SSIM in the loss"},
    {"densification_interval", 0, OPT_INT, F(densification_interval), .def = 100, .rule = &at_least_one, SAVED,
     .help = "iterations between densifications"},
    {"opacity_reset_interval", 0, OPT_INT, F(opacity_reset_interval), .def = 3000, .rule = &at_least_one, SAVED,
     .help = "iterations between opacity resets"},
    {"densify_from_iter", 0, OPT_INT, F(densify_from_iter), .def = 500, SAVED,
     .help = "first densification after this iteration"},
    {"densify_until_iter", 0, OPT_INT, F(densify_until_iter), .def = 15000, SAVED,
     .help = "no densification from this iteration on"},
    {"densify_grad_threshold", 0, OPT_DOUBLE, F(densify_grad_threshold), .def = 0.0002, SAVED,
     .help = "screen-space gradient threshold"},
    {"random_background", 0, OPT_FLAG, F(random_background), SAVED, .help = "random background colour"},
    {"optimizer_type", 0, OPT_CHOICE, F(optimizer_type), .choices = optimizer_types, SAVED,
     .help = "default: Adam steps every Gaussian; sparse_adam: only those the view saw (less memory traffic)"},
    /* Taming */
    {"densify_mode", 0, OPT_CHOICE, F(densify_mode), .choices = densify_modes, .def = TGS_DENSIFY_TAMING, SAVED,
     .help = "taming (budget) or classic 3DGS densification"},
    {"budget", 0, OPT_DOUBLE, F(budget), .def = 20, .rule = &above_zero, SAVED,
     .help = "final Gaussian count (final_count) or multiple of the initial count"},
    {"mode", 0, OPT_CHOICE, F(mode), .choices = budget_modes, .def = TGS_BUDGET_MULTIPLIER, SAVED,
     .help = "how --budget is read"},
    {"cams", 0, OPT_INT, F(cams), .def = 10, .rule = &cams_rule, SAVED,
     .help = "views scored per densification (-1: all)"},
    {"ho_iteration", 0, OPT_INT, F(ho_iteration), .def = 15000, SAVED, .help = "opacities freeze from this iteration"},
    {"sh_lower", 0, OPT_FLAG, F(sh_lower), SAVED, .help = "step the SH rest coefficients every 16th iteration"},
    {"cap_candidates", 0, OPT_FLAG, F(cap_candidates), SAVED,
     .help = "Taming: add only Gaussians over the gradient threshold, as the published trainer (the count can "
             "fall short of the budget)"},
    {"prune_screen_size", 0, OPT_FLAG, F(prune_screen_size), SAVED,
     .help = "also prune Gaussians over 20 px on screen after the first opacity reset (docs/DESIGN.md §6; "
             "never fires in the reference)"},
    /* run */
    {"test_iterations", 0, OPT_INT_LIST, LIST(test_iterations), .def_list = eval_and_save_at,
     .help = "evaluate test views at"},
    {"save_iterations", 0, OPT_INT_LIST, LIST(save_iterations), .def_list = eval_and_save_at,
     .help = "save PLY at (and at the end)"},
    {"checkpoint_iterations", 0, OPT_INT_LIST, LIST(checkpoint_iterations), .help = "write MODEL/chkpnt<N>.tgs at"},
    {"start_checkpoint", 0, OPT_STRING, F(start_checkpoint), .help = "resume from this checkpoint"},
    {"quiet", 'q', OPT_FLAG, F(quiet), .help = "print only errors and the summary"},
    {"seed", 0, OPT_U64, F(seed), SAVED, .help = "random seed (same seed and threads: identical result)"},
    {"threads", 0, OPT_INT, F(threads), .rule = &threads_rule, .help = "CPU threads (0: all cores)"},
    {"dry-run", 0, OPT_FLAG, F(dry_run), .help = "print the memory plan and stop"},
    {"gpu_memory_limit", 0, OPT_INT, F(gpu_memory_limit), .rule = &limit_rule,
     .help = "MiB of GPU memory tgs may allocate, as on a smaller card (0: no limit; the CUDA context comes on "
             "top): a plan over it is refused, a buffer that must grow past it stops the run with a checkpoint"},
    {"densify_log", 0, OPT_FLAG, F(densify_log), .help = "print the count after every densification"},
    {"overwrite", 0, OPT_FLAG, F(overwrite), .help = "replace the run already in -m"},
    {"profile", 0, OPT_FLAG, F(profile), .help = "time the phases of the loop (waits for the GPU after each)"},
    {"viewer", 0, OPT_FLAG, F(viewer), .help = "serve the live viewer (http://HOST:PORT/) while training"},
    {"port", 0, OPT_INT, F(port), .def = 7007, .rule = &ports, .help = "--viewer: port (0: any free port)"},
    {"host", 0, OPT_STRING, F(host), .def_str = "127.0.0.1",
     .help = "--viewer: address to bind (another than loopback exposes the viewer to the network)"},
    /* the reference's options that have no meaning here */
    IGNORED("ip", 1, "viewer address of the reference (tgs: --viewer --host)"),
    IGNORED("debug_from", 1, "reference debugging"),
    IGNORED("detect_anomaly", 0, "reference debugging"),
    IGNORED("disable_viewer", 0, "reference viewer"),
    IGNORED("websockets", 0, "reference viewer"),
    IGNORED("benchmark_dir", 1, "reference timing dumps"),
    IGNORED("convert_SHs_python", 0, "reference pipeline switch"),
    IGNORED("compute_cov3D_python", 0, "reference pipeline switch"),
    IGNORED("debug", 0, "reference pipeline switch"),
};

#define N_OPTIONS ((int)(sizeof k_options / sizeof k_options[0]))

const tgs_opt *tgs_train_options(int *n) {
    *n = N_OPTIONS;
    return k_options;
}

void tgs_train_config_defaults(tgs_train_config *c) {
    memset(c, 0, sizeof *c);
    tgs_opts_defaults(k_options, N_OPTIONS, c);
}

tgs_status tgs_train_config_check(const tgs_train_config *c) { return tgs_opts_check(k_options, N_OPTIONS, c); }

void tgs_train_settings_text(const tgs_train_config *c, const char *backend, int threads, char *buf /*[size]*/,
                             size_t size) {
    snprintf(buf, size, "backend=%s threads=%d", backend, threads);
    tgs_opts_settings(k_options, N_OPTIONS, c, buf, size);
}

void tgs_train_cfg_args(const tgs_train_config *c, tgs_cfg_args *out) {
    tgs_opts_cfg_args(k_options, N_OPTIONS, c, out);
}
