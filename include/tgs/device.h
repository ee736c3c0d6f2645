/* device.h - which GPU this process would use (CUDA builds), for --device and
 * `tgs info --gpu`. In a build without CUDA every query reports no device. */
#ifndef TGS_DEVICE_H
#define TGS_DEVICE_H

#include "tgs/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int present;               /* a usable CUDA device */
    char name[256];
    int major, minor;          /* compute capability */
    size_t free_bytes, total_bytes;
    int driver_version, runtime_version;
    char code[128];            /* what this binary runs there: "SASS sm_90", "PTX compute_120 (JIT)" */
    char why[256];             /* when not present: why (no driver, no device, built without CUDA) */
} tgs_device_info;

/* Per-thread stack the CUDA context reserves for every thread the GPU can
 * hold (1 KiB by default: 2048 threads an SM x 132 SMs on an H100/H200 make
 * that 264 MiB). Our kernels need at most 8 bytes (CUB's scan; ptxas -v: the
 * others index no local array), and the driver raises the limit itself for a
 * kernel that needs more. Measured on an H100 (nvidia-smi): the context takes
 * 518 MiB with 1 KiB, 320 with 256 (tests/gpu/ctx_mem). */
#define TGS_CUDA_STACK_BYTES 16

/* Queries device 0. Never fails: problems are reported in info->why. The
 * first call makes the CUDA context, with the stack limit set to
 * TGS_CUDA_STACK_BYTES first. */
void tgs_device_query(tgs_device_info *info);
/* The architectures compiled into this binary, e.g. "sm_75 sm_80 ... sm_120 + PTX compute_120" ("" without CUDA). */
const char *tgs_device_built_archs(void);

#ifdef __cplusplus
}
#endif

#endif
