/* cuda_alloc.h - every device buffer of tgs goes through this ledger, so the
 * process knows the bytes it holds itself (cudaMemGetInfo counts every process
 * on the GPU, and the allocator's page rounding). One host thread drives CUDA
 * in tgs; the ledger is not locked. Usable from C and CUDA files. */
#ifndef TGS_CUDA_ALLOC_H
#define TGS_CUDA_ALLOC_H

#include <stddef.h>

#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

/* cudaMalloc, recorded in the ledger (a failure records nothing). */
cudaError_t tgs_cuda_malloc(void **p, size_t bytes);
/* cudaFree of a pointer from tgs_cuda_malloc; NULL is a no-op. */
cudaError_t tgs_cuda_free(void *p);
/* Refuse (cudaErrorMemoryAllocation) an allocation that would take the bytes
 * held past `bytes`, as a card of that size would (0: no limit). */
void tgs_cuda_set_limit(size_t bytes);
/* Bytes held now, and the most held since the last tgs_cuda_peak_reset. */
size_t tgs_cuda_bytes_live(void);
size_t tgs_cuda_bytes_peak(void);
void tgs_cuda_peak_reset(void);

#ifdef __cplusplus
}
#endif

#endif
