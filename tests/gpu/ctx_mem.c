/* ctx_mem.c - the CUDA context's own device memory, step by step: the context
 * as the driver makes it (default 1 KiB stack per thread: every CUDA process
 * passes through this for a moment), with the stack lowered to tgs's
 * TGS_CUDA_STACK_BYTES, and after a first allocation and memset. Each step is
 * held for 1.5 s so that nvidia-smi --query-compute-apps sees it
 * (tests/gpu/run.sh, bench "context").
 * Usage: ctx_mem [tgs]  - "tgs": the stack limit is the call that makes the
 * context, as in tgs (the default-stack step is then too short to print).
 * Exit 0, 1 on a CUDA error, 77 without a GPU. */
#include "tgs/device.h"

#include <cuda_runtime.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int step(const char *what, cudaError_t e) {
    size_t free_b = 0, total_b = 0;
    if (e == cudaSuccess)
        e = cudaMemGetInfo(&free_b, &total_b);
    if (e != cudaSuccess) {
        fprintf(stderr, "ctx_mem: %s: %s\n", what, cudaGetErrorString(e));
        return 1;
    }
    printf("%-34s device memory in use %.1f MiB\n", what, (double)(total_b - free_b) / 1048576.0);
    fflush(stdout);
    const struct timespec hold = {1, 500000000};
    nanosleep(&hold, NULL);
    return 0;
}

int main(int argc, char **argv) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
        printf("skipped: no CUDA device\n");
        return 77;
    }
    const int tgs_order = argc > 1 && strcmp(argv[1], "tgs") == 0;
    if (!tgs_order && step("context (driver defaults)", cudaFree(0)))
        return 1;
    char what[64];
    snprintf(what, sizeof what, "stack limit %d bytes", TGS_CUDA_STACK_BYTES);
    if (step(what, cudaDeviceSetLimit(cudaLimitStackSize, TGS_CUDA_STACK_BYTES)))
        return 1;
    void *p = NULL;
    cudaError_t e = cudaMalloc(&p, 1 << 20);
    if (e == cudaSuccess)
        e = cudaMemset(p, 0, 1 << 20);
    if (e == cudaSuccess)
        e = cudaDeviceSynchronize();
    if (step("after 1 MiB allocated and set", e))
        return 1;
    cudaFree(p);
    return 0;
}
