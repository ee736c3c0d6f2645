/* model_cuda.h - the model on the device: a tgs_gaussians (tgs/params.h) whose
 * buffers are device memory, the densification statistics, and the scratch of
 * the densification operations, allocated once for the capacity. Internal,
 * C-callable; implementation in model_cuda.cu.
 *
 * Conventions of the CUDA entry points of every module (here, src/loss/cuda,
 * src/optim/cuda, src/densify/cuda):
 * - Pointers named d_* are device memory; h_* host memory. Images are [H,W,3]
 *   interleaved float (rendered) or 8-bit (ground truth, divided by 255 on the fly).
 * - Every call is queued on `stream` (0 = the default stream) and returns
 *   without waiting, except where a host value is returned (h_* outputs, counts
 *   that decide the next launches, the densification steps): those synchronise
 *   the stream. Errors (launch, allocation, argument) come back as a tgs_status
 *   with the message recorded; errors of kernels still in flight surface at the
 *   next synchronising call.
 * - No call allocates device memory except the create/reserve functions and
 *   classic densification when it outgrows the capacity (doubling).
 * - Results do not change from run to run: sums are per-block partials in a
 *   fixed tree order, then one final sum over the partials in block order
 *   (double); counts are integer atomics; sorts are stable radix sorts.
 * - A model and its scratch belong to one stream at a time.
 * - Randomness (split children, weighted sampling) comes from a counter-based
 *   hash of (seed, call counter, index): a GPU run is reproducible for a seed,
 *   whatever the launch configuration, but it does not draw the same numbers as
 *   the CPU's PCG stream, so GPU and CPU runs are not bit-identical.
 */
#ifndef TGS_MODEL_CUDA_H
#define TGS_MODEL_CUDA_H

#include "tgs/common.h"
#include "tgs/densify.h"
#include "tgs/gaussians.h"

#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tgs_cuda_scratch tgs_cuda_scratch; /* densification scratch, sized for capacity */

/* The model (device pointers in g: params, grads, adam_m, adam_v, each
 * [C * floats_per_gaussian], grads [C * grad_floats], none NULL) and the
 * densification statistics. The
 * device pointers change only in tgs_cuda_model_reserve (and classic
 * densification when it must grow); every other operation keeps them. */
typedef struct {
    tgs_gaussians g;
    float *d_grad_accum, *d_denom, *d_max_radii; /* each [C] */
    tgs_cuda_scratch *scratch;
} tgs_cuda_model;

/* Everything zeroed, n = 0. All scratch of the densification operations is
 * allocated here, for `capacity` Gaussians (plan the Taming budget up front).
 * rest_grads 0: the gradient buffer holds no SH rest group (g.grad_floats =
 * offset[REST]), for a run that takes every rest step in the backward
 * (DESIGN §5): the backward then writes no rest gradient, Adam refuses the
 * group, and upload/download skip it (download writes zeros). */
tgs_status tgs_cuda_model_create(size_t capacity, int sh_degree, int rest_grads, tgs_cuda_model **out);
/* Device bytes of the four model buffers create allocates. */
size_t tgs_cuda_model_bytes(size_t capacity, int sh_degree, int rest_grads);
void tgs_cuda_model_destroy(tgs_cuda_model *m); /* NULL-safe */
/* Device bytes of the densification scratch create allocates for capacity. */
size_t tgs_cuda_model_scratch_bytes(size_t capacity, int sh_degree);
/* Grows the capacity (contents kept; the device pointers change). Synchronises. */
tgs_status tgs_cuda_model_reserve(tgs_cuda_model *m, size_t capacity, cudaStream_t stream);
/* Host model (and statistics, may be NULL = zero) to the device; the host's
 * NULL grads/moments upload as zeros. Synchronises. */
tgs_status tgs_cuda_model_upload(tgs_cuda_model *m, const tgs_gaussians *g, const tgs_densify_stats *s,
                                 cudaStream_t stream);
/* Device model to the host (for saving PLYs): params always, grads/moments
 * where the host has them, statistics when s is not NULL. The host model and
 * statistics grow when needed. Synchronises. */
tgs_status tgs_cuda_model_download(const tgs_cuda_model *m, tgs_gaussians *g, tgs_densify_stats *s,
                                   cudaStream_t stream);

#ifdef __cplusplus
}
#endif

#endif
