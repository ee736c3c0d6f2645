/* loss_cuda.cu - the DESIGN §4 loss ((1-l)*L1 + l*(1-SSIM)) with its gradient on
 * the GPU, the evaluation metrics (PSNR, SSIM) and the per-pixel L1 map with
 * its range (for the Taming pixel weights of src/densify/cuda/score_cuda.cu).
 * The GPU twin of src/loss/loss.c + loss_impl.h (same window, zero padding and
 * per-element formulas; float maps, double sums).
 *
 * Tiling: a block owns a LT_X x LT_Y tile of output pixels. Forward: it loads
 * the tile's input with a 5-pixel halo (all three channels, interleaved rows
 * read contiguously, zero outside the image = zero padding), then per channel
 * runs the 11-tap horizontal pass of the five maps (x, y, x^2, y^2, xy) into
 * shared memory, the vertical pass per pixel, the SSIM and L1 terms, and (when
 * a gradient is wanted) the three coefficient maps s*dS/dmu1, s*dS/dm11,
 * s*dS/dm12 stored planar [3 maps][3 channels][H*W]. Backward: the same tiling
 * blurs the three coefficient maps and adds the L1 term. Sums: each block
 * reduces its pixels in double (cub::BlockReduce, fixed order) into one partial
 * per block; one block then sums the partials in block order: deterministic.
 * A mask (DESIGN §4) zeroes its left-out pixels in both images as the tile is
 * loaded; their SSIM and L1 terms and their coefficients are 0, and so is their
 * gradient; the means divide by the kept pixels.
 */
#include "cuda/cuda_check.h"
#include "cuda/cuda_alloc.h"
#include "loss/cuda/loss_cuda.h"

#include <cub/block/block_reduce.cuh>

#include <math.h>

#define LT_R 5                   /* window radius */
#define LT_TAPS (2 * LT_R + 1)   /* 11 */
#define LT_X 32                  /* tile width (output pixels) */
#define LT_Y 16                  /* tile height */
#define LT_HX (LT_X + 2 * LT_R)  /* tile width with halo */
#define LT_HY (LT_Y + 2 * LT_R)  /* tile height with halo */
#define LT_THREADS (LT_X * LT_Y) /* one thread per output pixel */
#define LOSS_C1 (0.01 * 0.01)
#define LOSS_C2 (0.03 * 0.03)
#define LOSS_PSNR_MIN_MSE 1e-10
#define RED_THREADS 256 /* final reductions: one block */
#define MM_BLOCKS 1024  /* min/max partials of the L1 map */

struct tgs_cuda_loss {
    int max_w, max_h;
    float *d_coef;     /* [9, max_h*max_w] coefficient maps, planar */
    double *d_part;    /* [2, max_blocks] per-block sums */
    double *d_values;  /* [3] loss, l1, ssim (or [3] psnr-mse, ssim in metric mode) */
    float *d_mm;       /* [2, MM_BLOCKS] per-block min, max; then [2] lo, hi at d_mm_final */
    float *d_mm_final; /* [2] */
    double *h_values;  /* [3] pinned */
    int max_blocks;
};

/* The 11 taps of the normalised Gaussian (sigma 1.5), as loss.c computes them. */
struct loss_taps {
    float g[LT_TAPS];
};

static loss_taps loss_make_taps(void) {
    double g[LT_TAPS], sum = 0;
    for (int i = 0; i < LT_TAPS; i++) {
        double d = (double)(i - LT_R);
        g[i] = exp(-d * d / (2.0 * 1.5 * 1.5));
        sum += g[i];
    }
    loss_taps t;
    for (int i = 0; i < LT_TAPS; i++)
        t.g[i] = (float)(g[i] / sum);
    return t;
}

struct min_op {
    __device__ float operator()(float a, float b) const { return fminf(a, b); }
};
struct max_op {
    __device__ float operator()(float a, float b) const { return fmaxf(a, b); }
};

__device__ static inline float clamp01f(float v) { return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v); }

/* Forward over one tile. mode 0: training (L1 sum into part[1]); mode 1:
 * metrics (inputs clamped to [0,1], squared error sum into part[1]).
 * coef NULL = no gradient. mask NULL = every pixel counts.
 * part: [2, gridDim.x*gridDim.y] (ssim sums, then l1/se sums). */
__global__ void __launch_bounds__(LT_THREADS)
    loss_fwd_kernel(const float *__restrict__ img /*[H,W,3]*/, const unsigned char *__restrict__ gt /*[H,W,3]*/,
                    const unsigned char *__restrict__ mask /*[H,W] or NULL*/, int w, int h, loss_taps taps,
                    int metric, float s_ssim, float *__restrict__ coef /*[9,H*W]*/,
                    double *__restrict__ part /*[2,nblocks]*/) {
    __shared__ float sx[3][LT_HY][LT_HX], sy[3][LT_HY][LT_HX];
    __shared__ float hs[5][LT_HY][LT_X];
    typedef cub::BlockReduce<double, LT_X, cub::BLOCK_REDUCE_WARP_REDUCTIONS, LT_Y> reduce_t;
    __shared__ typename reduce_t::TempStorage red;

    const int tx = threadIdx.x, ty = threadIdx.y, tid = ty * LT_X + tx;
    const int x0 = blockIdx.x * LT_X, y0 = blockIdx.y * LT_Y;
    /* input tile with halo, all channels; each halo row is 3*LT_HX contiguous floats */
    for (int i = tid; i < LT_HY * LT_HX * 3; i += LT_THREADS) {
        const int r = i / (3 * LT_HX), rem = i - r * 3 * LT_HX, col = rem / 3, c = rem - col * 3;
        const int gy = y0 + r - LT_R, gx = x0 + col - LT_R;
        float xv = 0.0f, yv = 0.0f;
        if (gx >= 0 && gx < w && gy >= 0 && gy < h) {
            const size_t e = ((size_t)gy * w + gx) * 3 + c;
            xv = img[e];
            yv = (float)gt[e] / 255.0f;
            if (metric) {
                xv = clamp01f(xv);
                yv = clamp01f(yv);
            }
            if (mask && !mask[(size_t)gy * w + gx])
                xv = yv = 0.0f; /* a left-out pixel is zero in both images */
        }
        sx[c][r][col] = xv;
        sy[c][r][col] = yv;
    }
    __syncthreads();

    const int gx = x0 + tx, gy = y0 + ty;
    const bool inside = gx < w && gy < h;
    const float C1 = (float)LOSS_C1, C2 = (float)LOSS_C2;
    const size_t plane = (size_t)w * h, pix = (size_t)gy * w + gx;
    const bool kept = inside && (!mask || mask[pix]);
    double ssim_sum = 0.0, err_sum = 0.0;
    for (int c = 0; c < 3; c++) {
        for (int i = tid; i < LT_HY * LT_X; i += LT_THREADS) {
            const int r = i / LT_X, col = i - r * LT_X;
            float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f, s4 = 0.0f;
#pragma unroll
            for (int k = 0; k < LT_TAPS; k++) {
                const float a = sx[c][r][col + k], b = sy[c][r][col + k], gk = taps.g[k];
                s0 += gk * a;
                s1 += gk * b;
                s2 += gk * (a * a);
                s3 += gk * (b * b);
                s4 += gk * (a * b);
            }
            hs[0][r][col] = s0;
            hs[1][r][col] = s1;
            hs[2][r][col] = s2;
            hs[3][r][col] = s3;
            hs[4][r][col] = s4;
        }
        __syncthreads();
        if (inside && !kept && coef) {
            coef[(size_t)(0 * 3 + c) * plane + pix] = 0.0f;
            coef[(size_t)(1 * 3 + c) * plane + pix] = 0.0f;
            coef[(size_t)(2 * 3 + c) * plane + pix] = 0.0f;
        }
        if (kept) {
            float m[5] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
#pragma unroll
            for (int k = 0; k < LT_TAPS; k++) {
                const float gk = taps.g[k];
#pragma unroll
                for (int q = 0; q < 5; q++)
                    m[q] += gk * hs[q][ty + k][tx];
            }
            const float mu1 = m[0], mu2 = m[1];
            const float s11 = m[2] - mu1 * mu1, s22 = m[3] - mu2 * mu2, s12 = m[4] - mu1 * mu2;
            const float A = 2 * mu1 * mu2 + C1, B = 2 * s12 + C2;
            const float C = mu1 * mu1 + mu2 * mu2 + C1, D = s11 + s22 + C2;
            const float CD = C * D;
            const float S = A * B / CD;
            ssim_sum += (double)S;
            const float xv = sx[c][ty + LT_R][tx + LT_R], yv = sy[c][ty + LT_R][tx + LT_R];
            if (metric) {
                const double d = (double)xv - (double)yv;
                err_sum += d * d;
            } else {
                err_sum += (double)fabsf(xv - yv);
            }
            if (coef) {
                const float dmu1 = 2 * mu2 * (B - A) / CD - 2 * mu1 * S * (1 / C - 1 / D);
                const float dm11 = -S / D;
                const float dm12 = 2 * A / CD;
                coef[(size_t)(0 * 3 + c) * plane + pix] = s_ssim * dmu1;
                coef[(size_t)(1 * 3 + c) * plane + pix] = s_ssim * dm11;
                coef[(size_t)(2 * 3 + c) * plane + pix] = s_ssim * dm12;
            }
        }
        __syncthreads(); /* hs is rewritten by the next channel */
    }
    const size_t nb = (size_t)gridDim.x * gridDim.y, b = (size_t)blockIdx.y * gridDim.x + blockIdx.x;
    double t = reduce_t(red).Sum(ssim_sum);
    __syncthreads();
    double e = reduce_t(red).Sum(err_sum);
    if (tid == 0) {
        part[b] = t;
        part[nb + b] = e;
    }
}

/* Backward: dL/dx = G*k0 + 2x G*k1 + y G*k2 + s_l1 sgn(x - y), per channel;
 * 0 at a pixel the mask leaves out. */
__global__ void __launch_bounds__(LT_THREADS)
    loss_bwd_kernel(const float *__restrict__ img /*[H,W,3]*/, const unsigned char *__restrict__ gt /*[H,W,3]*/,
                    const unsigned char *__restrict__ mask /*[H,W] or NULL*/, int w, int h, loss_taps taps,
                    float s_l1, const float *__restrict__ coef /*[9,H*W]*/, float *__restrict__ v_img /*[H,W,3]*/) {
    __shared__ float sk[3][LT_HY][LT_HX];
    __shared__ float hs[3][LT_HY][LT_X];
    const int tx = threadIdx.x, ty = threadIdx.y, tid = ty * LT_X + tx;
    const int x0 = blockIdx.x * LT_X, y0 = blockIdx.y * LT_Y;
    const int gx = x0 + tx, gy = y0 + ty;
    const bool inside = gx < w && gy < h;
    const size_t plane = (size_t)w * h;
    float dx[3] = {0.0f, 0.0f, 0.0f};
#pragma unroll
    for (int c = 0; c < 3; c++) {
        for (int i = tid; i < 3 * LT_HY * LT_HX; i += LT_THREADS) {
            const int q = i / (LT_HY * LT_HX), rem = i - q * LT_HY * LT_HX;
            const int r = rem / LT_HX, col = rem - r * LT_HX;
            const int yy = y0 + r - LT_R, xx = x0 + col - LT_R;
            float v = 0.0f;
            if (xx >= 0 && xx < w && yy >= 0 && yy < h)
                v = coef[(size_t)(q * 3 + c) * plane + (size_t)yy * w + xx];
            sk[q][r][col] = v;
        }
        __syncthreads();
        for (int i = tid; i < LT_HY * LT_X; i += LT_THREADS) {
            const int r = i / LT_X, col = i - r * LT_X;
            float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f;
#pragma unroll
            for (int k = 0; k < LT_TAPS; k++) {
                const float gk = taps.g[k];
                s0 += gk * sk[0][r][col + k];
                s1 += gk * sk[1][r][col + k];
                s2 += gk * sk[2][r][col + k];
            }
            hs[0][r][col] = s0;
            hs[1][r][col] = s1;
            hs[2][r][col] = s2;
        }
        __syncthreads();
        if (inside) {
            float m0 = 0.0f, m1 = 0.0f, m2 = 0.0f;
#pragma unroll
            for (int k = 0; k < LT_TAPS; k++) {
                const float gk = taps.g[k];
                m0 += gk * hs[0][ty + k][tx];
                m1 += gk * hs[1][ty + k][tx];
                m2 += gk * hs[2][ty + k][tx];
            }
            const size_t e = ((size_t)gy * w + gx) * 3 + c;
            const float xv = img[e], yv = (float)gt[e] / 255.0f;
            const float d = xv - yv;
            const float sgn = d > 0 ? 1.0f : (d < 0 ? -1.0f : 0.0f);
            dx[c] = m0 + 2 * xv * m1 + yv * m2 + s_l1 * sgn;
        }
        __syncthreads();
    }
    if (inside) {
        float *o = v_img + ((size_t)gy * w + gx) * 3;
        if (mask && !mask[(size_t)gy * w + gx])
            dx[0] = dx[1] = dx[2] = 0.0f;
        o[0] = dx[0];
        o[1] = dx[1];
        o[2] = dx[2];
    }
}

/* Sums the per-block partials in block order (one block). mode 0: loss values
 * {loss, l1, ssim}; mode 1: metric values {mse, -, ssim}. */
__global__ void __launch_bounds__(RED_THREADS)
    loss_final_kernel(const double *__restrict__ part /*[2,nb]*/, int nb, double n, double lambda, int metric,
                      double *__restrict__ values /*[3]*/) {
    typedef cub::BlockReduce<double, RED_THREADS> reduce_t;
    __shared__ typename reduce_t::TempStorage red;
    double a = 0.0, b = 0.0;
    for (int i = threadIdx.x; i < nb; i += RED_THREADS) {
        a += part[i];
        b += part[nb + i];
    }
    double ssim = reduce_t(red).Sum(a);
    __syncthreads();
    double err = reduce_t(red).Sum(b);
    if (threadIdx.x == 0) {
        ssim /= n;
        err /= n;
        values[0] = metric ? err : (1.0 - lambda) * err + lambda * (1.0 - ssim);
        values[1] = err;
        values[2] = ssim;
    }
}

/* Blocks of the loss reduction for a max_w x max_h image. */
static int loss_blocks(int max_w, int max_h) { return ((max_w + LT_X - 1) / LT_X) * ((max_h + LT_Y - 1) / LT_Y); }

size_t tgs_cuda_loss_bytes(int max_w, int max_h) {
    const size_t plane = (size_t)max_w * (size_t)max_h;
    return 9 * plane * sizeof(float) + 2 * (size_t)loss_blocks(max_w, max_h) * sizeof(double) + 3 * sizeof(double) +
           (2 * MM_BLOCKS + 2) * sizeof(float);
}

tgs_status tgs_cuda_loss_create(int max_w, int max_h, tgs_cuda_loss **out) {
    *out = NULL;
    if (max_w < 1 || max_h < 1 || max_w > (1 << 16) || max_h > (1 << 16))
        return TGS_FAIL(TGS_ERR_ARG, "CUDA loss: image size %dx%d is out of range (expected 1..%d on each side)", max_w,
                        max_h, 1 << 16);
    tgs_cuda_loss *l = (tgs_cuda_loss *)tgs_calloc(1, sizeof *l, "CUDA loss");
    if (!l)
        return TGS_ERR_NOMEM;
    tgs_status st = TGS_OK;
    const size_t plane = (size_t)max_w * (size_t)max_h;
    l->max_w = max_w;
    l->max_h = max_h;
    l->max_blocks = loss_blocks(max_w, max_h);
    cudaError_t e = tgs_cuda_malloc((void **)&l->d_coef, 9 * plane * sizeof(float));
    if (e == cudaSuccess)
        e = tgs_cuda_malloc((void **)&l->d_part, 2 * (size_t)l->max_blocks * sizeof(double));
    if (e == cudaSuccess)
        e = tgs_cuda_malloc((void **)&l->d_values, 3 * sizeof(double));
    if (e == cudaSuccess)
        e = tgs_cuda_malloc((void **)&l->d_mm, (2 * MM_BLOCKS + 2) * sizeof(float));
    if (e == cudaSuccess)
        e = cudaMallocHost((void **)&l->h_values, 3 * sizeof(double));
    if (e != cudaSuccess) {
        st = TGS_FAIL(TGS_ERR_DEVICE, "CUDA loss: allocating scratch for %dx%d images failed: %s", max_w, max_h,
                      cudaGetErrorString(e));
        goto cleanup;
    }
    l->d_mm_final = l->d_mm + 2 * MM_BLOCKS;
    *out = l;
    return TGS_OK;
cleanup:
    tgs_cuda_loss_destroy(l);
    return st;
}

void tgs_cuda_loss_destroy(tgs_cuda_loss *l) {
    if (!l)
        return;
    tgs_cuda_free(l->d_coef);
    tgs_cuda_free(l->d_part);
    tgs_cuda_free(l->d_values);
    tgs_cuda_free(l->d_mm);
    cudaFreeHost(l->h_values);
    free(l);
}

static tgs_status loss_check(const tgs_cuda_loss *l, const void *img, const void *gt, int w, int h, const char *fn) {
    if (!l || !img || !gt)
        return TGS_FAIL(TGS_ERR_ARG, "%s: missing loss state or image (expected non-NULL pointers)", fn);
    if (w < 1 || h < 1 || w > l->max_w || h > l->max_h)
        return TGS_FAIL(TGS_ERR_ARG, "%s: image size %dx%d does not fit the loss scratch (expected 1..%d x 1..%d)", fn,
                        w, h, l->max_w, l->max_h);
    return TGS_OK;
}

static tgs_status mask_check(const unsigned char *d_mask, size_t kept, int w, int h, const char *fn) {
    if (d_mask && (kept == 0 || kept > (size_t)w * (size_t)h))
        return TGS_FAIL(TGS_ERR_ARG, "%s: the mask keeps %zu of %dx%d pixels (expected 1 to all)", fn, kept, w, h);
    return TGS_OK;
}

/* The number of terms the means divide by: 3 per counted pixel. */
static double loss_terms(const unsigned char *d_mask, size_t kept, int w, int h) {
    return 3.0 * (d_mask ? (double)kept : (double)w * (double)h);
}

/* Forward (+ coefficient maps) and the final sum into l->d_values. */
static tgs_status loss_forward(tgs_cuda_loss *l, const float *d_img, const unsigned char *d_gt,
                               const unsigned char *d_mask, size_t kept, int w, int h, double lambda, int metric,
                               int with_coef, cudaStream_t stream) {
    const loss_taps taps = loss_make_taps();
    const double n = loss_terms(d_mask, kept, w, h);
    const dim3 grid((unsigned)((w + LT_X - 1) / LT_X), (unsigned)((h + LT_Y - 1) / LT_Y));
    const dim3 block(LT_X, LT_Y);
    const int nb = (int)(grid.x * grid.y);
    loss_fwd_kernel<<<grid, block, 0, stream>>>(d_img, d_gt, d_mask, w, h, taps, metric, (float)(-lambda / n),
                                                with_coef ? l->d_coef : NULL, l->d_part);
    TGS_CUDA_LAUNCHED("loss_fwd_kernel");
    loss_final_kernel<<<1, RED_THREADS, 0, stream>>>(l->d_part, nb, n, lambda, metric, l->d_values);
    TGS_CUDA_LAUNCHED("loss_final_kernel");
    return TGS_OK;
}

tgs_status tgs_cuda_loss_forward_backward(tgs_cuda_loss *l, const float *d_img /*[H,W,3]*/,
                                          const unsigned char *d_gt /*[H,W,3]*/,
                                          const unsigned char *d_mask /*[H,W] or NULL*/, size_t kept, int w, int h,
                                          float lambda, float *d_v_img /*[H,W,3] or NULL*/, float *h_loss_out,
                                          cudaStream_t stream) {
    TGS_TRY(loss_check(l, d_img, d_gt, w, h, "tgs_cuda_loss_forward_backward"));
    TGS_TRY(mask_check(d_mask, kept, w, h, "tgs_cuda_loss_forward_backward"));
    const double lam = (double)lambda, n = loss_terms(d_mask, kept, w, h);
    TGS_TRY(loss_forward(l, d_img, d_gt, d_mask, kept, w, h, lam, 0, d_v_img != NULL, stream));
    if (d_v_img) {
        const dim3 grid((unsigned)((w + LT_X - 1) / LT_X), (unsigned)((h + LT_Y - 1) / LT_Y));
        loss_bwd_kernel<<<grid, dim3(LT_X, LT_Y), 0, stream>>>(d_img, d_gt, d_mask, w, h, loss_make_taps(),
                                                               (float)((1.0 - lam) / n), l->d_coef, d_v_img);
        TGS_CUDA_LAUNCHED("loss_bwd_kernel");
    }
    if (h_loss_out) {
        double v;
        TGS_TRY(tgs_cuda_loss_read(l, &v, NULL, NULL, stream));
        *h_loss_out = (float)v;
    }
    return TGS_OK;
}

const double *tgs_cuda_loss_values(const tgs_cuda_loss *l) { return l ? l->d_values : NULL; }

tgs_status tgs_cuda_loss_read(tgs_cuda_loss *l, double *loss, double *l1, double *ssim, cudaStream_t stream) {
    TGS_CUDA_TRY(cudaMemcpyAsync(l->h_values, l->d_values, 3 * sizeof(double), cudaMemcpyDeviceToHost, stream));
    TGS_CUDA_TRY(cudaStreamSynchronize(stream));
    if (loss)
        *loss = l->h_values[0];
    if (l1)
        *l1 = l->h_values[1];
    if (ssim)
        *ssim = l->h_values[2];
    return TGS_OK;
}

tgs_status tgs_cuda_psnr_ssim(tgs_cuda_loss *l, const float *d_img /*[H,W,3]*/, const unsigned char *d_gt /*[H,W,3]*/,
                              const unsigned char *d_mask /*[H,W] or NULL*/, size_t kept, int w, int h, double *psnr,
                              double *ssim, cudaStream_t stream) {
    TGS_TRY(loss_check(l, d_img, d_gt, w, h, "tgs_cuda_psnr_ssim"));
    TGS_TRY(mask_check(d_mask, kept, w, h, "tgs_cuda_psnr_ssim"));
    TGS_TRY(loss_forward(l, d_img, d_gt, d_mask, kept, w, h, 1.0, 1, 0, stream));
    double mse, s;
    TGS_TRY(tgs_cuda_loss_read(l, &mse, NULL, &s, stream));
    if (psnr)
        *psnr = 10.0 * log10(1.0 / (mse > LOSS_PSNR_MIN_MSE ? mse : LOSS_PSNR_MIN_MSE));
    if (ssim)
        *ssim = s;
    return TGS_OK;
}

/* ---- per-pixel L1 map and its range ---- */

/* out[p] = mean over channels of |img - gt|; with mm != NULL also the block's
 * min and max (over the pixels the mask keeps) into mm[blockIdx.x],
 * mm[gridDim.x + blockIdx.x]. Grid-stride. */
__global__ void __launch_bounds__(256)
    l1_map_kernel(const float *__restrict__ img /*[H,W,3]*/, const unsigned char *__restrict__ gt /*[H,W,3]*/,
                  const unsigned char *__restrict__ mask /*[H,W] or NULL*/, size_t npix,
                  float *__restrict__ out /*[H,W]*/, float *__restrict__ mm /*[2,grid] or NULL*/) {
    typedef cub::BlockReduce<float, 256> reduce_t;
    __shared__ typename reduce_t::TempStorage red;
    float lo = INFINITY, hi = -INFINITY;
    for (size_t p = (size_t)blockIdx.x * blockDim.x + threadIdx.x; p < npix; p += (size_t)gridDim.x * blockDim.x) {
        const float *a = img + 3 * p;
        const unsigned char *b = gt + 3 * p;
        const float v = (fabsf(a[0] - (float)b[0] / 255.0f) + fabsf(a[1] - (float)b[1] / 255.0f) +
                         fabsf(a[2] - (float)b[2] / 255.0f)) *
                        (1.0f / 3.0f);
        out[p] = v;
        if (mask && !mask[p])
            continue;
        lo = fminf(lo, v);
        hi = fmaxf(hi, v);
    }
    if (!mm)
        return;
    float blo = reduce_t(red).Reduce(lo, min_op());
    __syncthreads();
    float bhi = reduce_t(red).Reduce(hi, max_op());
    if (threadIdx.x == 0) {
        mm[blockIdx.x] = blo;
        mm[gridDim.x + blockIdx.x] = bhi;
    }
}

__global__ void __launch_bounds__(RED_THREADS)
    minmax_final_kernel(const float *__restrict__ mm /*[2,nb]*/, int nb, float *__restrict__ out /*[2]*/) {
    typedef cub::BlockReduce<float, RED_THREADS> reduce_t;
    __shared__ typename reduce_t::TempStorage red;
    float lo = INFINITY, hi = -INFINITY;
    for (int i = threadIdx.x; i < nb; i += RED_THREADS) {
        lo = fminf(lo, mm[i]);
        hi = fmaxf(hi, mm[nb + i]);
    }
    float blo = reduce_t(red).Reduce(lo, min_op());
    __syncthreads();
    float bhi = reduce_t(red).Reduce(hi, max_op());
    if (threadIdx.x == 0) {
        out[0] = blo;
        out[1] = bhi;
    }
}

static unsigned grid_for(size_t n, unsigned threads, unsigned cap) {
    size_t b = (n + threads - 1) / threads;
    return (unsigned)(b < cap ? (b > 0 ? b : 1) : cap);
}

tgs_status tgs_cuda_l1_map(const float *d_img /*[H,W,3]*/, const unsigned char *d_gt /*[H,W,3]*/, int w, int h,
                           float *d_out /*[H,W]*/, cudaStream_t stream) {
    if (!d_img || !d_gt || !d_out || w < 1 || h < 1)
        return TGS_FAIL(TGS_ERR_ARG, "tgs_cuda_l1_map: image %dx%d is empty or missing (expected device images)", w, h);
    const size_t npix = (size_t)w * h;
    l1_map_kernel<<<grid_for(npix, 256, 65535), 256, 0, stream>>>(d_img, d_gt, NULL, npix, d_out, NULL);
    TGS_CUDA_LAUNCHED("l1_map_kernel");
    return TGS_OK;
}

tgs_status tgs_cuda_l1_map_range(tgs_cuda_loss *l, const float *d_img /*[H,W,3]*/,
                                 const unsigned char *d_gt /*[H,W,3]*/, const unsigned char *d_mask /*[H,W] or NULL*/,
                                 int w, int h, float *d_out /*[H,W]*/, cudaStream_t stream) {
    TGS_TRY(loss_check(l, d_img, d_gt, w, h, "tgs_cuda_l1_map_range"));
    if (!d_out)
        return TGS_FAIL(TGS_ERR_ARG, "tgs_cuda_l1_map_range: missing output (expected a device array)");
    const size_t npix = (size_t)w * h;
    const unsigned nb = grid_for(npix, 256, MM_BLOCKS);
    l1_map_kernel<<<nb, 256, 0, stream>>>(d_img, d_gt, d_mask, npix, d_out, l->d_mm);
    TGS_CUDA_LAUNCHED("l1_map_kernel");
    minmax_final_kernel<<<1, RED_THREADS, 0, stream>>>(l->d_mm, (int)nb, l->d_mm_final);
    TGS_CUDA_LAUNCHED("minmax_final_kernel");
    return TGS_OK;
}

const float *tgs_cuda_loss_l1_range(const tgs_cuda_loss *l) { return l->d_mm_final; }
