/* adam_cuda.h - the CUDA twin of tgs_adam_step (src/optim/adam.c) over the
 * device model. Internal, C-callable; implementation in adam_cuda.cu. Device
 * pointers, streams and determinism as described in src/scene/cuda/model_cuda.h. */
#ifndef TGS_ADAM_CUDA_H
#define TGS_ADAM_CUDA_H

#include "tgs/common.h"
#include "tgs/optim.h"
#include "scene/cuda/model_cuda.h"

#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The constants of one group's Adam step: what a kernel needs to apply the
 * step where it computes the gradient (tgs_adam_update in adam_update.cuh). */
typedef struct {
    float b1, b2, one_b1, one_b2, eps;
    float step_size;    /* lr / (1 - beta1^t) */
    float inv_bc2_sqrt; /* 1 / sqrt(1 - beta2^t) */
} tgs_adam_consts;

/* The constants of group's next step (step count a->step[group] + 1). */
tgs_adam_consts tgs_cuda_adam_consts(const tgs_adam *a, int group);

/* One Adam step over the first n rows of the groups in group_mask, with the
 * math of tgs_adam_step (torch Adam, beta1 0.9, beta2 0.999, eps 1e-15, bias
 * correction with step[g] = the 1-based step count of group g for this step),
 * bit for bit. Gradients of the stepped groups are zeroed afterwards. With
 * d_radii, the sparse step: rows of radius 0 are left as they are. */
tgs_status tgs_cuda_adam_step(float *d_params, float *d_grads, float *d_m, float *d_v,
                              const int *d_radii /*[N] or NULL*/, size_t n, size_t capacity, int sh_degree,
                              const double lr[TGS_G_COUNT], unsigned group_mask, const long step[TGS_G_COUNT],
                              cudaStream_t stream);
/* The same over a device model with a host tgs_adam (its lr, betas, eps; its
 * step counts are incremented for the groups in mask, as tgs_adam_step does).
 * The groups in `applied` (a subset of mask) had this step applied by another
 * kernel with tgs_cuda_adam_consts: they are counted, not stepped again.
 * A group to step that the model keeps no gradient of is refused. */
tgs_status tgs_cuda_adam_step_model(tgs_adam *a, tgs_cuda_model *m, unsigned mask, unsigned applied,
                                    const int *d_radii /*[N] or NULL*/, cudaStream_t stream);
/* Zeroes the gradients of the groups in mask (first n rows) that the model keeps. */
tgs_status tgs_cuda_adam_zero_grad(tgs_cuda_model *m, unsigned mask, cudaStream_t stream);

#ifdef __cplusplus
}
#endif

#endif
