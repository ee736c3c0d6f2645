/* backend.h - what the training loop asks of a compute backend. One table of
 * functions per backend (CPU: backend_cpu.c, CUDA: backend_cuda.c), chosen
 * once; the loop itself (train.c) is the same for all. */
#ifndef TGS_TRAIN_BACKEND_H
#define TGS_TRAIN_BACKEND_H

#include "tgs/densify.h"
#include "tgs/gaussians.h"
#include "tgs/image.h"
#include "tgs/optim.h"
#include "tgs/raster.h"
#include "tgs/rng.h"
#include "tgs/scene.h"
#include "tgs/train.h"
#include "train/plan.h"

typedef struct tgs_backend tgs_backend;

typedef struct {
    const char *name;
    /* The memory create() and the run will take for `capacity` Gaussians,
     * known before any pixel is read (plan.h). */
    void (*plan)(const tgs_train_config *cfg, const tgs_scene *sc, size_t capacity, tgs_memory_plan *out);
    /* The model initialised from the scene's points, room for `capacity`
     * Gaussians, and the decoded images [n_cameras] (8-bit RGB at training size)
     * with their masks (NULL, or [n_cameras] of [H,W] with data NULL where every
     * pixel counts); the caller keeps both alive. Taming runs also get the edge
     * maps. */
    tgs_status (*create)(const tgs_train_config *cfg, const tgs_scene *sc, const tgs_image *images,
                         const tgs_image *masks, size_t capacity, tgs_backend **out);
    void (*destroy)(tgs_backend *b);
    /* Renders camera ci, computes the loss against its image, adds the
     * gradients; with stats, adds the view to the densification statistics.
     * rest_adam: the caller's next adam() steps the SH rest group, with no
     * gradient of it pending and nothing reading the model in between: the
     * backend may take that group's step here, from a (the CUDA backend does;
     * adam() then counts it without repeating it). *loss: this step's loss, or
     * on the GPU the previous step's (the first step's own), so that the host
     * never waits for the step to finish. */
    tgs_status (*step)(tgs_backend *b, int ci, const tgs_view *v, double lambda, int stats,
                       const tgs_adam *rest_adam /*or NULL*/, double *loss);
    /* Adam over the groups in mask (their gradients are zeroed after). */
    tgs_status (*adam)(tgs_backend *b, tgs_adam *a, unsigned mask);
    tgs_status (*zero_grad)(tgs_backend *b, unsigned mask);
    tgs_status (*reset_opacity)(tgs_backend *b);
    /* One densification (classic, or Taming toward target with the score of
     * cfg->cams random training views); resets the statistics. */
    tgs_status (*densify)(tgs_backend *b, const tgs_densify_params *p, size_t target, int step_j, int sh_active,
                          const float bg[3], tgs_rng *rng, tgs_densify_report *rep);
    /* Mean PSNR and SSIM over cameras idx[0..n) (black/white background of the scene). */
    tgs_status (*evaluate)(tgs_backend *b, const int *idx, int n, int sh_active, double *psnr, double *ssim);
    /* The current model on the host (the CUDA backend downloads it). */
    tgs_status (*model)(tgs_backend *b, const tgs_gaussians **out);
    /* The whole training state for checkpoints: the model with gradients and
     * Adam moments, and the densification statistics (get: valid until the
     * next call; set: copies in, growing the capacity if needed). */
    tgs_status (*state_get)(tgs_backend *b, const tgs_gaussians **g, const tgs_densify_stats **s);
    tgs_status (*state_set)(tgs_backend *b, const tgs_gaussians *g, const tgs_densify_stats *s);
    size_t (*count)(const tgs_backend *b);
    /* Tile/Gaussian pairs: the most one view needed, and what the buffers hold. */
    void (*pairs)(const tgs_backend *b, size_t *peak, size_t *capacity);
    /* Device memory allocated by this backend at its peak (0 on the CPU). */
    size_t (*device_bytes)(const tgs_backend *b);
    /* Waits for queued work (for --profile timings; a no-op on the CPU). */
    tgs_status (*sync)(tgs_backend *b);
    /* Renders view v of the model as it is now into img on the host (the live
     * viewer's frames, between iterations; v no larger than the largest
     * training image). */
    tgs_status (*render)(tgs_backend *b, const tgs_view *v, float *img /*[H,W,3]*/);
} tgs_backend_ops;

extern const tgs_backend_ops tgs_backend_cpu;
#ifdef TGS_HAVE_CUDA
extern const tgs_backend_ops tgs_backend_cuda;
#endif

/* The backend for cfg->device (auto: CUDA when a GPU is usable). */
tgs_status tgs_backend_choose(const tgs_train_config *cfg, const tgs_backend_ops **out);

#endif
