/* cuda_runtime.h (emulator) - just enough of the CUDA execution model to run
 * the rasteriser's kernel sources on the host, for checking them on a machine
 * without a GPU: every thread of a block is a cooperative fiber (ucontext), so
 * __syncthreads, __syncthreads_count and the warp votes and shuffles are real
 * barriers, deterministic, and a divergent barrier deadlocks (reported) instead
 * of passing silently. __shared__ becomes static (blocks run one at a time).
 * Float intrinsics map to plain IEEE single operations (build with
 * -ffp-contract=off). Not part of the library build: see run_emu.sh. */
#ifndef TGS_EMU_CUDA_RUNTIME_H
#define TGS_EMU_CUDA_RUNTIME_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the runtime API the library and the test use (C and C++) ---- */
#ifdef __cplusplus
extern "C" {
#endif
typedef int cudaError_t;
enum { cudaSuccess = 0, cudaErrorMemoryAllocation = 2 };
enum cudaMemcpyKind { cudaMemcpyHostToHost, cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice };
typedef void *cudaStream_t;
typedef struct emu_event *cudaEvent_t;
struct cudaDeviceProp { char name[256]; int major, minor; };
cudaError_t cudaMalloc(void **p, size_t bytes);
cudaError_t cudaFree(void *p);
cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, enum cudaMemcpyKind kind);
cudaError_t cudaMemset(void *p, int v, size_t bytes);
cudaError_t cudaMemsetAsync(void *p, int v, size_t bytes, cudaStream_t s);
cudaError_t cudaGetLastError(void);
const char *cudaGetErrorString(cudaError_t e);
cudaError_t cudaDeviceSynchronize(void);
cudaError_t cudaGetDeviceCount(int *n);
cudaError_t cudaGetDeviceProperties(struct cudaDeviceProp *p, int dev);
cudaError_t cudaEventCreate(cudaEvent_t *e);
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s);
cudaError_t cudaEventSynchronize(cudaEvent_t e);
cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t a, cudaEvent_t b);
cudaError_t cudaEventDestroy(cudaEvent_t e);
#ifdef __cplusplus
}
#endif

#ifdef __cplusplus
#include <functional>
#include <ucontext.h>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(x)
#define __shared__ static

struct float2 { float x, y; };
struct float4 { float x, y, z, w; };
struct int4 { int x, y, z, w; };
struct uint2 { unsigned x, y; };
struct dim3 {
    unsigned x, y, z;
    dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};
static inline float2 make_float2(float a, float b) { return float2{a, b}; }
static inline float4 make_float4(float a, float b, float c, float d) { return float4{a, b, c, d}; }
static inline int4 make_int4(int a, int b, int c, int d) { return int4{a, b, c, d}; }
static inline int min(int a, int b) { return a < b ? a : b; }
static inline int max(int a, int b) { return a > b ? a : b; }
static inline float __fmul_rn(float a, float b) { return a * b; }
static inline float __fadd_rn(float a, float b) { return a + b; }
static inline float __fsub_rn(float a, float b) { return a - b; }
static inline float __fdiv_rn(float a, float b) { return a / b; }
static inline float __fdividef(float a, float b) { return a / b; }
static inline float __fsqrt_rn(float a) { return sqrtf(a); }
/* glibc declares its own __expf: the device intrinsic is renamed here */
static inline float emu_expf(float a) { return expf(a); }
#define __expf emu_expf
static inline unsigned __float_as_uint(float f) { unsigned u; memcpy(&u, &f, 4); return u; }

/* ---- the fiber scheduler of one block ---- */
struct emu_fiber { ucontext_t ctx; std::vector<char> stack; int done; dim3 tid; };
struct emu_state {
    ucontext_t main_ctx;
    std::vector<emu_fiber> f;
    int cur, nthreads;
    long blk_gen, blk_arrived, blk_count, blk_result, progress;
    long warp_gen[32], warp_arrived[32];
    float shfl[32][32];
    int vote[32][32];
    std::function<void()> body;
};
extern emu_state emu;
extern dim3 threadIdx, blockIdx, blockDim, gridDim;

static inline void emu_yield() { swapcontext(&emu.f[emu.cur].ctx, &emu.main_ctx); }
static inline int emu_tid() { return (int)(threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z)); }

static inline int __syncthreads_count(int p) {
    long gen = emu.blk_gen;
    emu.blk_count += p != 0;
    emu.progress++;
    if (++emu.blk_arrived == emu.nthreads) {
        emu.blk_result = emu.blk_count;
        emu.blk_count = 0;
        emu.blk_arrived = 0;
        emu.blk_gen++;
    } else {
        while (emu.blk_gen == gen)
            emu_yield();
    }
    return (int)emu.blk_result; /* stable until the next barrier completes, which needs this thread */
}
static inline void __syncthreads() { (void)__syncthreads_count(0); }
static inline int __syncthreads_or(int p) { return __syncthreads_count(p != 0) != 0; }

static inline void emu_warp_barrier() {
    int w = emu_tid() / 32;
    int size = emu.nthreads - 32 * w < 32 ? emu.nthreads - 32 * w : 32;
    long gen = emu.warp_gen[w];
    emu.progress++;
    if (++emu.warp_arrived[w] == size) {
        emu.warp_arrived[w] = 0;
        emu.warp_gen[w]++;
    } else {
        while (emu.warp_gen[w] == gen)
            emu_yield();
    }
}
static inline void __syncwarp(unsigned mask = 0xffffffffu) {
    (void)mask;
    emu_warp_barrier();
}
static inline float __shfl_down_sync(unsigned mask, float v, int off) {
    (void)mask;
    int t = emu_tid(), w = t / 32, l = t % 32;
    emu.shfl[w][l] = v;
    emu_warp_barrier();
    float r = l + off < 32 ? emu.shfl[w][l + off] : v;
    emu_warp_barrier();
    return r;
}
static inline float __shfl_xor_sync(unsigned mask, float v, int m) {
    (void)mask;
    int t = emu_tid(), w = t / 32, l = t % 32;
    emu.shfl[w][l] = v;
    emu_warp_barrier();
    float r = emu.shfl[w][l ^ m];
    emu_warp_barrier();
    return r;
}
static inline int __any_sync(unsigned mask, int p) {
    (void)mask;
    int t = emu_tid(), w = t / 32, l = t % 32;
    emu.vote[w][l] = p != 0;
    emu_warp_barrier();
    int any = 0;
    for (int k = 0; k < 32; k++)
        any |= emu.vote[w][k];
    emu_warp_barrier();
    return any;
}
static inline int __all_sync(unsigned mask, int p) {
    (void)mask;
    int t = emu_tid(), w = t / 32, l = t % 32;
    int size = emu.nthreads - 32 * w < 32 ? emu.nthreads - 32 * w : 32;
    emu.vote[w][l] = p != 0;
    emu_warp_barrier();
    int all = 1;
    for (int k = 0; k < size; k++)
        all &= emu.vote[w][k];
    emu_warp_barrier();
    return all;
}
/* single OS thread: atomics are plain read-modify-write */
static inline float atomicAdd(float *a, float v) { float o = *a; *a = o + v; return o; }
static inline unsigned atomicMax(unsigned *a, unsigned v) { unsigned o = *a; if (v > o) *a = v; return o; }

void emu_launch(dim3 grid, dim3 block, std::function<void()> body);

#endif /* __cplusplus */
#endif
