/* train.h - the training run (DESIGN §5, §6): settings with the published
 * trainer's names and defaults, and the loop itself. */
#ifndef TGS_TRAIN_H
#define TGS_TRAIN_H

#include "tgs/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TGS_MAX_ITER_LIST 64

typedef enum { TGS_DENSIFY_TAMING = 0, TGS_DENSIFY_CLASSIC = 1 } tgs_densify_mode;
typedef enum { TGS_BUDGET_MULTIPLIER = 0, TGS_BUDGET_FINAL_COUNT = 1 } tgs_budget_mode;
typedef enum { TGS_DEVICE_AUTO = 0, TGS_DEVICE_CPU = 1, TGS_DEVICE_CUDA = 2 } tgs_device_kind;
typedef enum { TGS_OPTIMIZER_DEFAULT = 0, TGS_OPTIMIZER_SPARSE_ADAM = 1 } tgs_optimizer_type;

typedef struct {
    /* model / scene */
    const char *source_path, *model_path, *images;
    int resolution, white_background, eval, sh_degree;
    const char *data_device;
    int gpu_memory_limit;     /* MiB tgs may allocate on the GPU (0: no limit) */
    const char *masks;        /* --masks DIR (NULL: none) */
    int alpha_mask;           /* --alpha_mask */
    tgs_device_kind device;   /* auto: CUDA when a GPU is present, else CPU */
    /* optimisation */
    int iterations;
    double position_lr_init, position_lr_final, position_lr_delay_mult;
    int position_lr_max_steps;
    double feature_lr, shfeature_lr, opacity_lr, scaling_lr, rotation_lr, percent_dense, lambda_dssim;
    int densification_interval, opacity_reset_interval, densify_from_iter, densify_until_iter;
    double densify_grad_threshold;
    int random_background;
    tgs_optimizer_type optimizer_type;
    /* Taming */
    tgs_densify_mode densify_mode;
    double budget;
    tgs_budget_mode mode;
    int cams, ho_iteration, sh_lower;
    int prune_screen_size; /* apply DESIGN §6's 20 px screen-size prune (the reference never does) */
    int cap_candidates;    /* Taming: only Gaussians over the gradient threshold, as the reference */
    /* run */
    int test_iterations[TGS_MAX_ITER_LIST], n_test_iterations;
    int save_iterations[TGS_MAX_ITER_LIST], n_save_iterations;
    int checkpoint_iterations[TGS_MAX_ITER_LIST], n_checkpoint_iterations;
    const char *start_checkpoint; /* resume from this checkpoint (same settings) */
    int quiet, threads, dry_run, overwrite, densify_log, profile;
    uint64_t seed;
    /* live viewer (tgs/viewer.h): served while training when viewer is set */
    int viewer, port;
    const char *host;
    /* Set to nonzero (e.g. by a signal handler) to stop after the current
     * iteration: the run saves its state and returns TGS_ERR_INTERRUPTED. */
    volatile int *stop;
} tgs_train_config;

typedef struct {
    size_t final_count;
    double seconds;          /* training loop wall time */
    double test_psnr, test_ssim; /* at the end, NAN without test views */
    int iterations;
    double planned_bytes;    /* the memory plan's total */
    size_t pair_peak;        /* the most tile/Gaussian pairs one view needed */
    size_t pair_capacity;    /* what the rasteriser's pair buffers hold at the end */
    const char *backend;     /* "cpu" or "cuda" */
    size_t device_bytes;     /* GPU memory tgs allocated at the peak (CUDA backend) */
} tgs_train_result;

/* Every option's default (src/train/config.c holds them, with the command
 * line's names); the pointers stay NULL. */
void tgs_train_config_defaults(tgs_train_config *c);
/* The options' rules (ranges, required); TGS_ERR_ARG naming the first option
 * that breaks one, e.g. "--sh_degree must be 0..3". */
tgs_status tgs_train_config_check(const tgs_train_config *c);
tgs_status tgs_train_run(const tgs_train_config *c, tgs_train_result *res);

#ifdef __cplusplus
}
#endif

#endif
