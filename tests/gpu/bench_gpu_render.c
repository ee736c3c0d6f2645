/* bench_gpu_render.c - times the CUDA rasteriser's forward, backward and
 * Taming score sums on every training view of a scene with a trained PLY
 * (the sums with uniform pixel weights), and prints how the
 * tile/Gaussian pairs spread over the tiles (the blending kernels' time goes
 * with the longest tile lists). Run it under ncu for the split by kernel.
 *   usage: bench_gpu_render SCENE IMAGES|- PLY [white] [reps] */
#include "raster/cuda/raster_cuda.h"
#include "tgs/gaussians.h"
#include "tgs/ply.h"
#include "tgs/raster.h"
#include "tgs/scene.h"

#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CU(x)                                                                                                    \
    do {                                                                                                         \
        cudaError_t e_ = (x);                                                                                    \
        if (e_ != cudaSuccess) {                                                                                 \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, cudaGetErrorString(e_));                          \
            exit(1);                                                                                             \
        }                                                                                                        \
    } while (0)
#define OK(x)                                                                                                    \
    do {                                                                                                         \
        if ((x) != TGS_OK) {                                                                                     \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, tgs_error_message());                             \
            exit(1);                                                                                             \
        }                                                                                                        \
    } while (0)

static int cmp_u32(const void *a, const void *b) {
    const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: bench_gpu_render SCENE IMAGES|- PLY [white] [reps]\n");
        return 2;
    }
    const int white = argc > 4 && !strcmp(argv[4], "white");
    const int reps = argc > 5 ? atoi(argv[5]) : 3;
    tgs_scene_options o = {argv[1], strcmp(argv[2], "-") ? argv[2] : NULL, -1, 1, white, 1, 1, NULL, 0};
    tgs_scene s;
    tgs_gaussians *g = NULL;
    OK(tgs_scene_load(&o, &s));
    OK(tgs_ply_read(argv[3], TGS_OPACITY_LOGIT, &g));
    int maxw = 1, maxh = 1;
    for (int k = 0; k < s.n_cameras; k++)
        maxw = TGS_MAX(maxw, s.cameras[k].width), maxh = TGS_MAX(maxh, s.cameras[k].height);
    tgs_cuda_raster *r = NULL;
    OK(tgs_cuda_raster_create(g->capacity, maxw, maxh, &r));
    const size_t floats = g->capacity * (size_t)g->floats_per_gaussian, pixels = (size_t)maxw * maxh;
    float *d_params, *d_grads, *d_img, *d_vimg, *d_vm, *d_pw, *d_score;
    CU(cudaMalloc((void **)&d_params, floats * sizeof(float)));
    CU(cudaMalloc((void **)&d_grads, floats * sizeof(float)));
    CU(cudaMalloc((void **)&d_img, pixels * 3 * sizeof(float)));
    CU(cudaMalloc((void **)&d_vimg, pixels * 3 * sizeof(float)));
    CU(cudaMalloc((void **)&d_vm, g->n * 2 * sizeof(float)));
    CU(cudaMalloc((void **)&d_score, g->n * 4 * sizeof(float)));
    CU(cudaMalloc((void **)&d_pw, pixels * sizeof(float)));
    CU(cudaMemset(d_score, 0, g->n * 4 * sizeof(float)));
    float *ones = malloc(pixels * sizeof(float));
    for (size_t i = 0; i < pixels; i++)
        ones[i] = 1.0f;
    CU(cudaMemcpy(d_pw, ones, pixels * sizeof(float), cudaMemcpyHostToDevice));
    free(ones);
    CU(cudaMemcpy(d_params, g->params, floats * sizeof(float), cudaMemcpyHostToDevice));
    tgs_gaussians dg = *g; /* the same model in device memory */
    dg.params = d_params, dg.grads = d_grads, dg.adam_m = dg.adam_v = NULL;
    float *v_img = malloc(pixels * 3 * sizeof(float));
    for (size_t i = 0; i < pixels * 3; i++)
        v_img[i] = 1e-3f * (float)((i * 2654435761u) % 2001) / 1000.0f - 1e-3f;
    CU(cudaMemcpy(d_vimg, v_img, pixels * 3 * sizeof(float), cudaMemcpyHostToDevice));
    const size_t max_tiles = pixels; /* at least the tiles of any tile size */
    uint32_t *uranges = malloc(max_tiles * 2 * sizeof(uint32_t)), *len = malloc(max_tiles * sizeof(uint32_t));
    cudaEvent_t e0, e1, e2, e3;
    CU(cudaEventCreate(&e0));
    CU(cudaEventCreate(&e1));
    CU(cudaEventCreate(&e2));
    CU(cudaEventCreate(&e3));
    const float bg[3] = {white ? 1.0f : 0.0f, white ? 1.0f : 0.0f, white ? 1.0f : 0.0f};
    double tf = 0, tb = 0, ts = 0, pairs = 0, mean_len = 0, p50 = 0, p90 = 0, p99 = 0, lmax = 0;
    int runs = 0;
    for (int rep = -1; rep < reps; rep++)
        for (int k = 0; k < s.n_train; k++) {
            const tgs_camera *c = &s.cameras[s.train_idx[k]];
            tgs_view v = tgs_view_from_camera(c, bg, g->sh_degree);
            CU(cudaEventRecord(e0, 0));
            OK(tgs_cuda_raster_forward(r, &dg, &v, d_img));
            CU(cudaEventRecord(e1, 0));
            OK(tgs_cuda_raster_backward(r, &dg, &v, d_vimg, d_vm, NULL, 0));
            CU(cudaEventRecord(e2, 0));
            OK(tgs_cuda_raster_score(r, &dg, &v, d_pw, d_score));
            CU(cudaEventRecord(e3, 0));
            CU(cudaEventSynchronize(e3));
            if (rep < 0)
                continue; /* warm-up */
            float a, b, c3;
            CU(cudaEventElapsedTime(&a, e0, e1));
            CU(cudaEventElapsedTime(&b, e1, e2));
            CU(cudaEventElapsedTime(&c3, e2, e3));
            tf += a, tb += b, ts += c3, runs++;
            if (rep > 0)
                continue;
            size_t nt = 0;
            const void *d_ranges = tgs_cuda_raster_tile_ranges(r, &nt);
            CU(cudaMemcpy(uranges, d_ranges, nt * 2 * sizeof(uint32_t), cudaMemcpyDeviceToHost));
            double sum = 0;
            for (size_t t = 0; t < nt; t++)
                len[t] = uranges[2 * t + 1] - uranges[2 * t], sum += len[t];
            qsort(len, nt, sizeof *len, cmp_u32);
            pairs += (double)tgs_cuda_raster_pair_count(r);
            mean_len += sum / (double)nt;
            p50 += len[nt / 2], p90 += len[nt * 9 / 10], p99 += len[nt * 99 / 100], lmax += len[nt - 1];
        }
    const double nv = s.n_train;
    printf("%zu Gaussians, %d views, %dx%d max, %d reps\n", g->n, s.n_train, maxw, maxh, reps);
    printf("per view: forward %.3f ms, backward %.3f ms, score sums %.3f ms, pairs %.0f\n", tf / runs, tb / runs,
           ts / runs, pairs / nv);
    printf("tile list length: mean %.0f, p50 %.0f, p90 %.0f, p99 %.0f, max %.0f\n", mean_len / nv, p50 / nv,
           p90 / nv, p99 / nv, lmax / nv);
    tgs_cuda_raster_destroy(r);
    cudaFree(d_params), cudaFree(d_grads), cudaFree(d_img), cudaFree(d_vimg), cudaFree(d_vm), cudaFree(d_pw);
    cudaFree(d_score);
    free(v_img), free(uranges), free(len);
    tgs_gaussians_destroy(g);
    tgs_scene_free(&s);
    return 0;
}
