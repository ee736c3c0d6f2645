/* raster_cuda.cu - the CUDA rasteriser object: scratch allocated once (grown
 * only when a call needs more), and the forward/backward pipelines:
 *
 *   forward:  preprocess -> inclusive scan of pairs per Gaussian (CUB) -> read
 *             back the pair count (the one host synchronisation) -> emit keyed
 *             pairs -> stable radix sort of the 32 + tile bits in use (CUB) ->
 *             tile ranges -> blend.
 *   backward: zero the screen-space accumulators -> tile backward -> chain to
 *             the raw parameters.
 *
 * Everything runs on the default stream. */
#include "raster/cuda/raster_cuda.h"
#include "raster/cuda/raster_cuda_internal.h"

#include "cuda/cuda_check.h"

#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_scan.cuh>

struct tgs_cuda_raster {
    size_t capacity;      /* Gaussians of the per-Gaussian scratch */
    size_t max_pixels;    /* of final_T and n_contrib */
    size_t max_tiles;     /* of ranges */
    size_t pair_capacity; /* of keys/vals */
    size_t temp_bytes;    /* CUB temporary storage */
    size_t bytes;         /* device bytes allocated */
    int exact;            /* tgs_cuda_raster_set_exact */
    rc_gauss g;
    float *acc;          /* [N,9] backward screen-space gradients */
    float *final_T;      /* [H*W] */
    uint32_t *n_contrib; /* [H*W] */
    uint2 *ranges;       /* [tiles] */
    uint64_t *keys[2];   /* [pairs] sort double buffer */
    uint32_t *vals[2];   /* [pairs] */
    void *temp;
    /* the last forward, for backward */
    int have_forward, width, height, fwd_exact;
    size_t n, n_pairs;
    const uint32_t *sorted_vals;
};

/* cudaMalloc with the byte count recorded; a failure names what and how much. */
static tgs_status dev_alloc(tgs_cuda_raster *r, void **p, size_t count, size_t elem, const char *what) {
    *p = NULL;
    int ok = 1;
    size_t bytes = tgs_mul_size(count ? count : 1, elem, &ok);
    if (!ok)
        return TGS_FAIL(TGS_ERR_NOMEM, "CUDA rasteriser: %zu x %zu bytes for %s overflow", count, elem, what);
    cudaError_t e = cudaMalloc(p, bytes);
    if (e != cudaSuccess) {
        *p = NULL;
        (void)cudaGetLastError(); /* clear the sticky-free allocation error */
        return TGS_FAIL(TGS_ERR_NOMEM, "CUDA rasteriser: cudaMalloc of %zu bytes for %s failed: %s", bytes, what,
                        cudaGetErrorString(e));
    }
    r->bytes += bytes;
    return TGS_OK;
}

static void dev_free(tgs_cuda_raster *r, void **p, size_t bytes) {
    if (*p) {
        cudaFree(*p);
        r->bytes -= bytes;
    }
    *p = NULL;
}

static void free_gauss(tgs_cuda_raster *r) {
    const size_t c = r->capacity;
    dev_free(r, (void **)&r->g.radius, c * sizeof(int));
    dev_free(r, (void **)&r->g.depth, c * sizeof(float));
    dev_free(r, (void **)&r->g.mean2d, c * sizeof(float2));
    dev_free(r, (void **)&r->g.con_op, c * sizeof(float4));
    dev_free(r, (void **)&r->g.pmin, c * sizeof(float));
    dev_free(r, (void **)&r->g.rgb, c * 3 * sizeof(float));
    dev_free(r, (void **)&r->g.clamped, c * 3);
    dev_free(r, (void **)&r->g.rect, c * sizeof(int4));
    dev_free(r, (void **)&r->g.tiles, c * sizeof(unsigned long long));
    dev_free(r, (void **)&r->acc, c * RC_ACC_N * sizeof(float));
    r->capacity = 0;
}

static tgs_status alloc_gauss(tgs_cuda_raster *r, size_t capacity) {
    free_gauss(r);
    r->have_forward = 0;
    if (capacity == 0)
        capacity = 1;
    TGS_TRY(dev_alloc(r, (void **)&r->g.radius, capacity, sizeof(int), "radii"));
    r->capacity = capacity; /* from here free_gauss frees what exists */
    TGS_TRY(dev_alloc(r, (void **)&r->g.depth, capacity, sizeof(float), "depths"));
    TGS_TRY(dev_alloc(r, (void **)&r->g.mean2d, capacity, sizeof(float2), "screen means"));
    TGS_TRY(dev_alloc(r, (void **)&r->g.con_op, capacity, sizeof(float4), "conics"));
    TGS_TRY(dev_alloc(r, (void **)&r->g.pmin, capacity, sizeof(float), "power thresholds"));
    TGS_TRY(dev_alloc(r, (void **)&r->g.rgb, capacity * 3, sizeof(float), "colours"));
    TGS_TRY(dev_alloc(r, (void **)&r->g.clamped, capacity * 3, 1, "clamp flags"));
    TGS_TRY(dev_alloc(r, (void **)&r->g.rect, capacity, sizeof(int4), "tile rects"));
    TGS_TRY(dev_alloc(r, (void **)&r->g.tiles, capacity, sizeof(unsigned long long), "pair counts"));
    TGS_TRY(dev_alloc(r, (void **)&r->acc, capacity * RC_ACC_N, sizeof(float), "backward accumulators"));
    return TGS_OK;
}

static tgs_status alloc_pixels(tgs_cuda_raster *r, size_t pixels, size_t tiles) {
    r->have_forward = 0;
    if (pixels > r->max_pixels) {
        dev_free(r, (void **)&r->final_T, r->max_pixels * sizeof(float));
        dev_free(r, (void **)&r->n_contrib, r->max_pixels * sizeof(uint32_t));
        r->max_pixels = 0;
        TGS_TRY(dev_alloc(r, (void **)&r->final_T, pixels, sizeof(float), "transmittance"));
        if (dev_alloc(r, (void **)&r->n_contrib, pixels, sizeof(uint32_t), "contributor counts") != TGS_OK) {
            dev_free(r, (void **)&r->final_T, pixels * sizeof(float));
            return TGS_ERR_NOMEM;
        }
        r->max_pixels = pixels;
    }
    if (tiles > r->max_tiles) {
        dev_free(r, (void **)&r->ranges, r->max_tiles * sizeof(uint2));
        r->max_tiles = 0;
        TGS_TRY(dev_alloc(r, (void **)&r->ranges, tiles, sizeof(uint2), "tile ranges"));
        r->max_tiles = tiles;
    }
    return TGS_OK;
}

static void free_pairs(tgs_cuda_raster *r) {
    for (int k = 0; k < 2; k++) {
        dev_free(r, (void **)&r->keys[k], r->pair_capacity * sizeof(uint64_t));
        dev_free(r, (void **)&r->vals[k], r->pair_capacity * sizeof(uint32_t));
    }
    r->pair_capacity = 0;
}

/* Pair buffers for at least `pairs` (with room to spare: they grow to the peak). */
static tgs_status grow_pairs(tgs_cuda_raster *r, size_t pairs) {
    if (pairs <= r->pair_capacity)
        return TGS_OK;
    r->have_forward = 0;
    size_t cap = pairs + pairs / 4 + 256;
    free_pairs(r);
    tgs_status st = TGS_OK;
    for (int k = 0; k < 2 && st == TGS_OK; k++) {
        st = dev_alloc(r, (void **)&r->keys[k], cap, sizeof(uint64_t), "sort keys");
        if (st == TGS_OK)
            st = dev_alloc(r, (void **)&r->vals[k], cap, sizeof(uint32_t), "sort values");
    }
    if (st != TGS_OK) { /* free what was made with the sizes it was made with */
        for (int k = 0; k < 2; k++) {
            dev_free(r, (void **)&r->keys[k], cap * sizeof(uint64_t));
            dev_free(r, (void **)&r->vals[k], cap * sizeof(uint32_t));
        }
        return st;
    }
    r->pair_capacity = cap;
    return TGS_OK;
}

static tgs_status grow_temp(tgs_cuda_raster *r, size_t bytes) {
    if (bytes <= r->temp_bytes)
        return TGS_OK;
    dev_free(r, &r->temp, r->temp_bytes);
    r->temp_bytes = 0;
    size_t cap = bytes + bytes / 4 + 256;
    TGS_TRY(dev_alloc(r, &r->temp, cap, 1, "sort/scan temporary storage"));
    r->temp_bytes = cap;
    return TGS_OK;
}

/* CUB temporary storage for scanning n counts and sorting `pairs` keys. */
static tgs_status reserve_temp(tgs_cuda_raster *r, size_t n, size_t pairs) {
    size_t scan_bytes = 0, sort_bytes = 0;
    TGS_CUDA_TRY(cub::DeviceScan::InclusiveSum(NULL, scan_bytes, (const unsigned long long *)NULL,
                                               (unsigned long long *)NULL, (int)n));
    cub::DoubleBuffer<uint64_t> kb(NULL, NULL);
    cub::DoubleBuffer<uint32_t> vb(NULL, NULL);
    TGS_CUDA_TRY(cub::DeviceRadixSort::SortPairs(NULL, sort_bytes, kb, vb, (int)pairs, 0, 64));
    return grow_temp(r, scan_bytes > sort_bytes ? scan_bytes : sort_bytes);
}

extern "C" tgs_status tgs_cuda_raster_create(size_t capacity, int max_width, int max_height,
                                             tgs_cuda_raster **out) {
    *out = NULL;
    if (max_width <= 0 || max_height <= 0)
        return TGS_FAIL(TGS_ERR_ARG, "CUDA rasteriser: image size %dx%d is empty (expected positive sizes)",
                        max_width, max_height);
    tgs_cuda_raster *r = (tgs_cuda_raster *)tgs_calloc(1, sizeof *r, "CUDA rasteriser");
    if (!r)
        return TGS_ERR_NOMEM;
    const size_t pixels = (size_t)max_width * (size_t)max_height;
    const size_t tiles =
        (size_t)((max_width + TGS_TILE - 1) / TGS_TILE) * (size_t)((max_height + TGS_TILE - 1) / TGS_TILE);
    tgs_status st = alloc_gauss(r, capacity);
    if (st == TGS_OK)
        st = alloc_pixels(r, pixels, tiles);
    /* a first guess of pairs: a few tiles per Gaussian */
    if (st == TGS_OK)
        st = grow_pairs(r, TGS_MAX((size_t)1024, 4 * r->capacity));
    if (st == TGS_OK)
        st = reserve_temp(r, r->capacity, r->pair_capacity);
    if (st != TGS_OK) {
        tgs_cuda_raster_destroy(r);
        return st;
    }
    *out = r;
    return TGS_OK;
}

extern "C" void tgs_cuda_raster_destroy(tgs_cuda_raster *r) {
    if (!r)
        return;
    free_gauss(r);
    dev_free(r, (void **)&r->final_T, r->max_pixels * sizeof(float));
    dev_free(r, (void **)&r->n_contrib, r->max_pixels * sizeof(uint32_t));
    dev_free(r, (void **)&r->ranges, r->max_tiles * sizeof(uint2));
    free_pairs(r);
    dev_free(r, &r->temp, r->temp_bytes);
    free(r);
}

extern "C" tgs_status tgs_cuda_raster_reserve(tgs_cuda_raster *r, size_t capacity) {
    if (capacity <= r->capacity)
        return TGS_OK;
    TGS_TRY(alloc_gauss(r, capacity));
    return reserve_temp(r, r->capacity, r->pair_capacity);
}

/* View constants in float, computed like the CPU's view_params. */
static rc_view view_of(const tgs_view *v, int exact) {
    rc_view w;
    for (int i = 0; i < 9; i++)
        w.Rv[i] = (float)v->R[i];
    for (int i = 0; i < 3; i++) {
        w.tv[i] = (float)v->t[i];
        w.campos[i] = (float)v->campos[i];
        w.bg[i] = v->bg[i];
    }
    w.fx = (float)v->fx;
    w.fy = (float)v->fy;
    w.cx = 0.5f * (float)(v->width - 1);
    w.cy = 0.5f * (float)(v->height - 1);
    w.limx = 1.3f * (float)v->tan_fovx;
    w.limy = 1.3f * (float)v->tan_fovy;
    w.width = v->width;
    w.height = v->height;
    w.tiles_x = (v->width + TGS_TILE - 1) / TGS_TILE;
    w.tiles_y = (v->height + TGS_TILE - 1) / TGS_TILE;
    w.sh_degree = v->sh_degree;
    w.opacity_abs = v->opacity_act == TGS_OPACITY_ABS;
    w.exact = exact;
    w.clamp_exact = v->alpha_clamp_exact;
    return w;
}

/* Group pointers of the tgs_gaussians layout (include/tgs/gaussians.h): widths
 * means 3, dc 3, rest 3K, opacity 1, scale 3, rot 4; group g starts at
 * capacity * (sum of the widths before it). */
static void layout(size_t capacity, int deg, size_t off[TGS_G_COUNT], int *k_rest) {
    const int K = (deg + 1) * (deg + 1) - 1;
    const int width[TGS_G_COUNT] = {3, 3, 3 * K, 1, 3, 4};
    size_t o = 0;
    for (int g = 0; g < TGS_G_COUNT; g++) {
        off[g] = capacity * o;
        o += (size_t)width[g];
    }
    *k_rest = K;
}

static rc_params params_of(const float *d, size_t capacity, int deg) {
    size_t off[TGS_G_COUNT];
    rc_params p;
    layout(capacity, deg, off, &p.k_rest);
    p.means = d + off[TGS_G_MEANS];
    p.dc = d + off[TGS_G_DC];
    p.rest = d + off[TGS_G_REST];
    p.opacity = d + off[TGS_G_OPACITY];
    p.scale = d + off[TGS_G_SCALE];
    p.rot = d + off[TGS_G_ROT];
    return p;
}

static rc_grads grads_of(float *d, size_t capacity, int deg) {
    size_t off[TGS_G_COUNT];
    int k;
    rc_grads g;
    layout(capacity, deg, off, &k);
    g.means = d + off[TGS_G_MEANS];
    g.dc = d + off[TGS_G_DC];
    g.rest = d + off[TGS_G_REST];
    g.opacity = d + off[TGS_G_OPACITY];
    g.scale = d + off[TGS_G_SCALE];
    g.rot = d + off[TGS_G_ROT];
    return g;
}

static tgs_status check_args(const float *d_params, size_t n, size_t capacity, int model_sh_degree,
                             const tgs_view *v) {
    if (!d_params || !v)
        return TGS_FAIL(TGS_ERR_ARG, "CUDA rasteriser: parameters or view missing");
    if (model_sh_degree < 0 || model_sh_degree > 3 || v->sh_degree < 0 || v->sh_degree > model_sh_degree)
        return TGS_FAIL(TGS_ERR_ARG,
                        "CUDA rasteriser: active SH degree %d with a model of degree %d "
                        "(expected 0 <= active <= model <= 3)",
                        v->sh_degree, model_sh_degree);
    if (n > capacity || n > (size_t)INT32_MAX)
        return TGS_FAIL(TGS_ERR_ARG,
                        "CUDA rasteriser: %zu Gaussians in a buffer of capacity %zu (expected n <= capacity < 2^31)",
                        n, capacity);
    if (v->width <= 0 || v->height <= 0 || v->width > (1 << 19) || v->height > (1 << 19))
        return TGS_FAIL(TGS_ERR_ARG, "CUDA rasteriser: render size %dx%d (expected 1..2^19 per side)", v->width,
                        v->height);
    return TGS_OK;
}

extern "C" tgs_status tgs_cuda_raster_forward(tgs_cuda_raster *r, const float *d_params, size_t n, size_t capacity,
                                              int model_sh_degree, const tgs_view *v, float *d_img,
                                              const float *d_pixel_weight, float *d_score) {
    TGS_TRY(check_args(d_params, n, capacity, model_sh_degree, v));
    if (d_score && !d_pixel_weight)
        return TGS_FAIL(TGS_ERR_ARG, "CUDA rasteriser: score sums need a pixel weight map");
    r->have_forward = 0;
    const rc_view w = view_of(v, r->exact);
    const size_t n_tiles = (size_t)w.tiles_x * (size_t)w.tiles_y; /* < 2^30: fits the key's 32 tile bits */
    if (n > r->capacity)
        TGS_TRY(tgs_cuda_raster_reserve(r, n));
    TGS_TRY(alloc_pixels(r, (size_t)w.width * (size_t)w.height, n_tiles));
    const rc_params p = params_of(d_params, capacity, model_sh_degree);

    /* preprocess and the pairs per Gaussian */
    size_t n_pairs = 0;
    if (n > 0) {
        rc_launch_preprocess(n, p, w, r->g);
        TGS_CUDA_LAUNCHED("preprocess");
        TGS_TRY(reserve_temp(r, n, r->pair_capacity));
        size_t tb = r->temp_bytes;
        TGS_CUDA_TRY(cub::DeviceScan::InclusiveSum(r->temp, tb, r->g.tiles, r->g.tiles, (int)n));
        unsigned long long total = 0;
        TGS_CUDA_TRY(cudaMemcpy(&total, r->g.tiles + (n - 1), sizeof total, cudaMemcpyDeviceToHost));
        if (total > (unsigned long long)INT32_MAX)
            return TGS_FAIL(TGS_ERR_NOMEM, "CUDA rasteriser: %llu tile/Gaussian pairs exceed the 2^31 - 1 limit",
                            total);
        n_pairs = (size_t)total;
    }
    TGS_CUDA_TRY(cudaMemsetAsync(r->ranges, 0, n_tiles * sizeof(uint2), 0));
    const uint32_t *sorted_vals = r->vals[0];
    if (n_pairs > 0) {
        TGS_TRY(grow_pairs(r, n_pairs));
        rc_launch_duplicate(n, r->g, w.tiles_x, r->g.tiles, r->keys[0], r->vals[0]);
        TGS_CUDA_LAUNCHED("duplicate");
        int tile_bits = 0;
        while (tile_bits < 32 && ((uint64_t)1 << tile_bits) < n_tiles)
            tile_bits++;
        TGS_TRY(reserve_temp(r, n, n_pairs));
        cub::DoubleBuffer<uint64_t> kb(r->keys[0], r->keys[1]);
        cub::DoubleBuffer<uint32_t> vb(r->vals[0], r->vals[1]);
        size_t tb = r->temp_bytes;
        TGS_CUDA_TRY(cub::DeviceRadixSort::SortPairs(r->temp, tb, kb, vb, (int)n_pairs, 0, 32 + tile_bits));
        rc_launch_ranges(n_pairs, kb.Current(), r->ranges);
        TGS_CUDA_LAUNCHED("tile ranges");
        sorted_vals = vb.Current();
    }
    rc_launch_render(w, r->ranges, sorted_vals, r->g, d_img, r->final_T, r->n_contrib,
                     d_score ? d_pixel_weight : NULL, d_score);
    TGS_CUDA_LAUNCHED("render");
    r->have_forward = 1;
    r->fwd_exact = w.exact;
    r->width = v->width;
    r->height = v->height;
    r->n = n;
    r->n_pairs = n_pairs;
    r->sorted_vals = sorted_vals;
    return TGS_OK;
}

extern "C" tgs_status tgs_cuda_raster_backward(tgs_cuda_raster *r, const float *d_params, size_t n,
                                               size_t capacity, int model_sh_degree, const tgs_view *v,
                                               const float *d_v_img, float *d_grads, float *d_v_mean2d) {
    TGS_TRY(check_args(d_params, n, capacity, model_sh_degree, v));
    if (!d_v_img || !d_grads)
        return TGS_FAIL(TGS_ERR_ARG, "CUDA rasteriser: backward needs dL/dimage and a gradient buffer");
    if (!r->have_forward || v->width != r->width || v->height != r->height || n != r->n)
        return TGS_FAIL(TGS_ERR_ARG,
                        "CUDA rasteriser: backward called without a matching forward (%dx%d, %zu Gaussians)",
                        v->width, v->height, n);
    const rc_view w = view_of(v, r->fwd_exact); /* the alphas of the forward */
    if (n == 0)
        return TGS_OK;
    TGS_CUDA_TRY(cudaMemsetAsync(r->acc, 0, n * RC_ACC_N * sizeof(float), 0));
    rc_launch_render_backward(w, r->ranges, r->sorted_vals, r->g, r->final_T, r->n_contrib, d_v_img, r->acc);
    TGS_CUDA_LAUNCHED("render backward");
    rc_launch_preprocess_backward(n, params_of(d_params, capacity, model_sh_degree), w, r->g, r->acc,
                                  grads_of(d_grads, capacity, model_sh_degree), d_v_mean2d);
    TGS_CUDA_LAUNCHED("preprocess backward");
    return TGS_OK;
}

extern "C" void tgs_cuda_raster_set_exact(tgs_cuda_raster *r, int exact) { r->exact = exact != 0; }
extern "C" const int *tgs_cuda_raster_radii(const tgs_cuda_raster *r) { return r->g.radius; }
extern "C" const float *tgs_cuda_raster_depths(const tgs_cuda_raster *r) { return r->g.depth; }
extern "C" size_t tgs_cuda_raster_pair_capacity(const tgs_cuda_raster *r) { return r->pair_capacity; }
extern "C" size_t tgs_cuda_raster_pair_count(const tgs_cuda_raster *r) { return r->n_pairs; }
extern "C" size_t tgs_cuda_raster_bytes(const tgs_cuda_raster *r) { return r->bytes; }
