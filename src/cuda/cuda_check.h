/* cuda_check.h - CUDA error checks that turn a failure into a tgs_status with
 * the call, the file and the line (library code never aborts). For .cu files. */
#ifndef TGS_CUDA_CHECK_H
#define TGS_CUDA_CHECK_H

#include "tgs/common.h"

#include <cuda_runtime.h>

/* Returns from the calling function with TGS_ERR_DEVICE when the call fails. */
#define TGS_CUDA_TRY(call)                                                                          \
    do {                                                                                            \
        cudaError_t tgs_e_ = (call);                                                                \
        if (tgs_e_ != cudaSuccess)                                                                  \
            return tgs_error_set(TGS_ERR_DEVICE, __FILE__, __LINE__, "CUDA: %s failed: %s", #call, \
                                 cudaGetErrorString(tgs_e_));                                       \
    } while (0)

/* After a kernel launch: launch errors (bad configuration...) are reported
 * here, with the kernel's name (a string) in the message. */
#define TGS_CUDA_LAUNCHED(name)                                                                         \
    do {                                                                                                \
        cudaError_t tgs_e_ = cudaGetLastError();                                                        \
        if (tgs_e_ != cudaSuccess)                                                                      \
            return tgs_error_set(TGS_ERR_DEVICE, __FILE__, __LINE__, "CUDA: launch of %s failed: %s", (name), \
                                 cudaGetErrorString(tgs_e_));                                           \
    } while (0)

#endif
