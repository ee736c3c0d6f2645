/* device.cu - GPU discovery for --device and `tgs info --gpu`. */
#include "tgs/device.h"

#include <cuda_runtime.h>
#include <stdio.h>
#include <string.h>

/* The architectures CMake compiled (kept in sync by CMakeLists.txt via TGS_CUDA_ARCHS). */
#ifndef TGS_CUDA_ARCHS
#define TGS_CUDA_ARCHS ""
#endif

extern "C" const char *tgs_device_built_archs(void) { return TGS_CUDA_ARCHS; }

extern "C" void tgs_device_query(tgs_device_info *info) {
    memset(info, 0, sizeof *info);
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    cudaDriverGetVersion(&info->driver_version);
    cudaRuntimeGetVersion(&info->runtime_version);
    if (e != cudaSuccess || n == 0) {
        snprintf(info->why, sizeof info->why, "no CUDA device: %s",
                 e != cudaSuccess ? cudaGetErrorString(e) : "none found");
        cudaGetLastError();
        return;
    }
    cudaDeviceProp p;
    if ((e = cudaGetDeviceProperties(&p, 0)) != cudaSuccess) {
        snprintf(info->why, sizeof info->why, "CUDA device 0: %s", cudaGetErrorString(e));
        return;
    }
    snprintf(info->name, sizeof info->name, "%s", p.name);
    info->major = p.major;
    info->minor = p.minor;
    /* the context starts here, and the stack limit is its first setting: the
     * driver still makes it with the default stack (518 MiB on an H100 for a
     * few ms, tests/gpu/ctx_mem), but for no longer than it must */
    cudaDeviceSetLimit(cudaLimitStackSize, TGS_CUDA_STACK_BYTES);
    cudaGetLastError();
    cudaMemGetInfo(&info->free_bytes, &info->total_bytes);
    /* which code runs: exact SASS for this capability if built, else the PTX of the newest arch */
    char want[32];
    snprintf(want, sizeof want, "sm_%d%d", p.major, p.minor);
    const char *archs = TGS_CUDA_ARCHS;
    const char *hit = strstr(archs, want);
    if (hit && (hit[strlen(want)] == ' ' || hit[strlen(want)] == '\0'))
        snprintf(info->code, sizeof info->code, "SASS %s", want);
    else {
        /* sm_86 SASS also runs on 8.7/8.9 etc. of the same major; else PTX JIT */
        snprintf(info->code, sizeof info->code, "PTX JIT (no SASS for %s in this build)", want);
    }
    info->present = 1;
}
