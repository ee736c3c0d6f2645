/* emu.cpp - the emulator's block scheduler (cooperative fibers, one block at a
 * time, deadlock detection) and its host-memory runtime API. */
#include <cuda_runtime.h>

#include <chrono>

emu_state emu;
dim3 threadIdx, blockIdx, blockDim, gridDim;

static void emu_trampoline(void) {
    emu.body();
    emu.f[emu.cur].done = 1;
}

void emu_launch(dim3 grid, dim3 block, std::function<void()> body) {
    const int nt = (int)(block.x * block.y * block.z);
    if (nt <= 0 || nt > 1024 || grid.x == 0 || grid.y == 0 || grid.z == 0) {
        fprintf(stderr, "emulator: bad launch configuration\n");
        abort();
    }
    emu.body = body;
    emu.nthreads = nt;
    emu.f.resize((size_t)nt);
    for (auto &f : emu.f)
        if (f.stack.empty())
            f.stack.resize(256 * 1024);
    gridDim = grid;
    blockDim = block;
    for (unsigned bz = 0; bz < grid.z; bz++)
        for (unsigned by = 0; by < grid.y; by++)
            for (unsigned bx = 0; bx < grid.x; bx++) {
                blockIdx = dim3(bx, by, bz);
                emu.blk_gen = emu.blk_arrived = emu.blk_count = emu.blk_result = 0;
                for (int w = 0; w < 32; w++)
                    emu.warp_gen[w] = emu.warp_arrived[w] = 0;
                for (int t = 0; t < nt; t++) {
                    emu_fiber &f = emu.f[(size_t)t];
                    f.done = 0;
                    f.tid = dim3((unsigned)t % block.x, ((unsigned)t / block.x) % block.y,
                                 (unsigned)t / (block.x * block.y));
                    getcontext(&f.ctx);
                    f.ctx.uc_stack.ss_sp = f.stack.data();
                    f.ctx.uc_stack.ss_size = f.stack.size();
                    f.ctx.uc_link = &emu.main_ctx;
                    makecontext(&f.ctx, emu_trampoline, 0);
                }
                int alive = nt;
                while (alive > 0) {
                    long before = emu.progress;
                    alive = 0;
                    for (int t = 0; t < nt; t++) {
                        if (emu.f[(size_t)t].done)
                            continue;
                        emu.cur = t;
                        threadIdx = emu.f[(size_t)t].tid;
                        swapcontext(&emu.main_ctx, &emu.f[(size_t)t].ctx);
                        if (!emu.f[(size_t)t].done)
                            alive++;
                        else
                            emu.progress++;
                    }
                    if (alive > 0 && emu.progress == before) {
                        fprintf(stderr, "emulator: deadlock in block (%u,%u,%u): %d threads wait at a barrier the "
                                        "others never reach (divergent __syncthreads or warp op)\n",
                                bx, by, bz, alive);
                        abort();
                    }
                }
            }
}

struct emu_event {
    double t;
};

static double now_ms(void) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

extern "C" {
cudaError_t cudaMalloc(void **p, size_t bytes) {
    *p = malloc(bytes ? bytes : 1);
    if (*p) /* garbage, as device memory is: code must not rely on zeros */
        memset(*p, 0xA5, bytes);
    return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}
cudaError_t cudaFree(void *p) {
    free(p);
    return cudaSuccess;
}
cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, enum cudaMemcpyKind kind) {
    (void)kind;
    memmove(dst, src, bytes);
    return cudaSuccess;
}
cudaError_t cudaMemset(void *p, int v, size_t bytes) {
    memset(p, v, bytes);
    return cudaSuccess;
}
cudaError_t cudaMemsetAsync(void *p, int v, size_t bytes, cudaStream_t s) {
    (void)s;
    memset(p, v, bytes);
    return cudaSuccess;
}
cudaError_t cudaGetLastError(void) { return cudaSuccess; }
const char *cudaGetErrorString(cudaError_t e) { return e ? "emulated error" : "no error"; }
cudaError_t cudaDeviceSynchronize(void) { return cudaSuccess; }
cudaError_t cudaGetDeviceCount(int *n) {
    *n = 1;
    return cudaSuccess;
}
cudaError_t cudaGetDeviceProperties(struct cudaDeviceProp *p, int dev) {
    (void)dev;
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "host emulator");
    return cudaSuccess;
}
cudaError_t cudaEventCreate(cudaEvent_t *e) {
    *e = new emu_event{0};
    return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s) {
    (void)s;
    e->t = now_ms();
    return cudaSuccess;
}
cudaError_t cudaEventSynchronize(cudaEvent_t e) {
    (void)e;
    return cudaSuccess;
}
cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t a, cudaEvent_t b) {
    *ms = (float)(b->t - a->t);
    return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t e) {
    delete e;
    return cudaSuccess;
}
}
