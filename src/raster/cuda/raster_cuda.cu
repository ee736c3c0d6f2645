/* raster_cuda.cu - the CUDA rasteriser object: scratch allocated once (grown
 * only when a call needs more), and the forward/backward pipelines:
 *
 *   forward:  preprocess -> stable radix sort of the Gaussians by depth (CUB)
 *             -> inclusive scan of their pair counts in that order -> read
 *             back the pair count (the one host synchronisation) -> emit pairs
 *             keyed by tile in depth order -> stable radix sort of the tile
 *             bits in use -> tile ranges -> chunks per tile and their sum ->
 *             blend in chunks. Sorting N depths
 *             and then pairs by ~12 tile bits instead of pairs by 32 + 12
 *             bits: 2 passes over the pairs instead of 6, with 4-byte keys.
 *   score:    the forward's chunks walked again with the Taming sums.
 *   backward: zero the screen-space accumulators -> chunk backward -> chain to
 *             the raw parameters.
 *
 * Everything runs on the default stream. */
#include "raster/cuda/raster_cuda.h"
#include "raster/cuda/raster_cuda_internal.h"

#include "cuda/cuda_alloc.h"
#include "cuda/cuda_check.h"

#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_scan.cuh>

#include <string.h>

struct tgs_cuda_raster {
    size_t capacity;      /* Gaussians of the per-Gaussian scratch */
    size_t max_pixels;    /* of final and n_contrib */
    size_t max_tiles;     /* of ranges and chunks */
    size_t pair_capacity; /* of keys/vals */
    size_t pair_peak;     /* the most pairs one forward needed */
    size_t temp_bytes;    /* CUB temporary storage */
    size_t bytes;         /* device bytes allocated */
    int exact;            /* tgs_cuda_raster_set_exact */
    void *gauss_block;    /* the per-Gaussian arrays below (g, acc, depth sort, counts) */
    size_t gauss_bytes;
    rc_gauss g;
    float *acc;          /* [N,9] backward screen-space gradients */
    size_t item_capacity; /* of st.ckpt, st.part_last and st.item_tile */
    rc_state st; /* per pixel [H*W]: final, n_contrib, stop_item; per item [items, RC_TILE^2]: ckpt, part_last;
                  * per item: item_tile */
    uint2 *ranges;       /* [tiles] */
    uint32_t *chunks;    /* [tiles] chunks of each tile's list, then their inclusive sum (the work items) */
    uint32_t *keys[2];   /* [pairs] sort double buffer: tile ids */
    uint32_t *vals[2];   /* [pairs] Gaussian indices */
    uint32_t *depth_key2, *order2; /* [N] second buffers of the depth sort */
    unsigned long long *counts;    /* [N] pair counts in depth order, then their inclusive sum */
    void *temp;
    /* the last forward, for backward */
    int have_forward, width, height, fwd_exact;
    size_t n_tiles;
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
    cudaError_t e = tgs_cuda_malloc(p, bytes);
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
        tgs_cuda_free(*p);
        r->bytes -= bytes;
    }
    *p = NULL;
}

static void free_gauss(tgs_cuda_raster *r) {
    dev_free(r, &r->gauss_block, r->gauss_bytes);
    memset(&r->g, 0, sizeof r->g);
    r->acc = NULL;
    r->depth_key2 = r->order2 = NULL;
    r->counts = NULL;
    r->capacity = r->gauss_bytes = 0;
}

/* The next `count` x `elem` bytes (256-aligned) at *off of base (NULL: only counts). */
static void *carve(char *base, size_t *off, size_t count, size_t elem) {
    void *p = base ? base + *off : NULL;
    *off += (count * elem + 255) / 256 * 256;
    return p;
}

/* Points the per-Gaussian arrays of r, 15 of them, into the block at `at`
 * for c Gaussians (NULL: only measures); returns the block's bytes. */
static size_t carve_gauss(tgs_cuda_raster *r, char *at, size_t c) {
    size_t off = 0;
    r->g.radius = (int *)carve(at, &off, c, sizeof(int));
    r->g.depth = (float *)carve(at, &off, c, sizeof(float));
    r->g.mean2d = (float2 *)carve(at, &off, c, sizeof(float2));
    r->g.con_op = (float4 *)carve(at, &off, c, sizeof(float4));
    r->g.pmin = (float *)carve(at, &off, c, sizeof(float));
    r->g.rgb = (float *)carve(at, &off, 3 * c, sizeof(float));
    r->g.clamped = (uint8_t *)carve(at, &off, 3 * c, 1);
    r->g.rect = (int4 *)carve(at, &off, c, sizeof(int4));
    r->g.tiles = (unsigned long long *)carve(at, &off, c, sizeof(unsigned long long));
    r->g.depth_key = (uint32_t *)carve(at, &off, c, sizeof(uint32_t));
    r->g.order = (uint32_t *)carve(at, &off, c, sizeof(uint32_t));
    r->depth_key2 = (uint32_t *)carve(at, &off, c, sizeof(uint32_t));
    r->order2 = (uint32_t *)carve(at, &off, c, sizeof(uint32_t));
    r->counts = (unsigned long long *)carve(at, &off, c, sizeof(unsigned long long));
    r->acc = (float *)carve(at, &off, c * RC_ACC_N, sizeof(float));
    return off;
}

/* The per-Gaussian arrays in one allocation (the driver rounds each
 * allocation up to its granularity). */
static tgs_status alloc_gauss(tgs_cuda_raster *r, size_t capacity) {
    free_gauss(r);
    r->have_forward = 0;
    if (capacity == 0)
        capacity = 1;
    const size_t bytes = carve_gauss(r, NULL, capacity);
    TGS_TRY(dev_alloc(r, &r->gauss_block, bytes, 1, "per-Gaussian buffers"));
    r->gauss_bytes = bytes;
    carve_gauss(r, (char *)r->gauss_block, capacity);
    r->capacity = capacity;
    return TGS_OK;
}

static tgs_status alloc_pixels(tgs_cuda_raster *r, size_t pixels, size_t tiles) {
    r->have_forward = 0;
    if (pixels > r->max_pixels) {
        dev_free(r, (void **)&r->st.final, r->max_pixels * sizeof(float4));
        dev_free(r, (void **)&r->st.n_contrib, r->max_pixels * sizeof(uint32_t));
        dev_free(r, (void **)&r->st.stop_item, r->max_pixels * sizeof(uint32_t));
        r->max_pixels = 0;
        tgs_status st = dev_alloc(r, (void **)&r->st.final, pixels, sizeof(float4), "final colour and transmittance");
        if (st == TGS_OK)
            st = dev_alloc(r, (void **)&r->st.n_contrib, pixels, sizeof(uint32_t), "contributor counts");
        if (st == TGS_OK)
            st = dev_alloc(r, (void **)&r->st.stop_item, pixels, sizeof(uint32_t), "stop chunks");
        if (st != TGS_OK) {
            dev_free(r, (void **)&r->st.final, pixels * sizeof(float4));
            dev_free(r, (void **)&r->st.n_contrib, pixels * sizeof(uint32_t));
            return st;
        }
        r->max_pixels = pixels;
    }
    if (tiles > r->max_tiles) {
        dev_free(r, (void **)&r->ranges, r->max_tiles * sizeof(uint2));
        dev_free(r, (void **)&r->chunks, r->max_tiles * sizeof(uint32_t));
        r->max_tiles = 0;
        TGS_TRY(dev_alloc(r, (void **)&r->ranges, tiles, sizeof(uint2), "tile ranges"));
        if (dev_alloc(r, (void **)&r->chunks, tiles, sizeof(uint32_t), "tile chunks") != TGS_OK) {
            dev_free(r, (void **)&r->ranges, tiles * sizeof(uint2));
            return TGS_ERR_NOMEM;
        }
        r->max_tiles = tiles;
    }
    return TGS_OK;
}

/* Work items (chunks) of `pairs` pairs over `tiles` tiles, at most: the sum of
 * ceil(len / RC_CHUNK) over the tiles' lists. Sizes the chunk slots and the
 * chunked kernels' grids. */
static size_t max_items(size_t pairs, size_t tiles) { return pairs / RC_CHUNK + tiles; }

static void free_items(tgs_cuda_raster *r) {
    const size_t slots = r->item_capacity * (size_t)(RC_TILE * RC_TILE);
    dev_free(r, (void **)&r->st.ckpt, slots * sizeof(float4));
    dev_free(r, (void **)&r->st.part_last, slots * sizeof(uint32_t));
    dev_free(r, (void **)&r->st.item_tile, r->item_capacity * sizeof(uint32_t));
    r->item_capacity = 0;
}

/* Chunk slots (rc_state) for at least `items` work items (+25% when `spare`). */
static tgs_status grow_items(tgs_cuda_raster *r, size_t items, int spare) {
    if (items <= r->item_capacity)
        return TGS_OK;
    free_items(r);
    const size_t cap = spare ? items + items / 4 + 16 : items, slots = cap * (size_t)(RC_TILE * RC_TILE);
    tgs_status st = dev_alloc(r, (void **)&r->st.ckpt, slots, sizeof(float4), "chunk states");
    if (st == TGS_OK)
        st = dev_alloc(r, (void **)&r->st.part_last, slots, sizeof(uint32_t), "chunk contributions");
    if (st == TGS_OK)
        st = dev_alloc(r, (void **)&r->st.item_tile, cap, sizeof(uint32_t), "chunk tiles");
    if (st != TGS_OK) {
        dev_free(r, (void **)&r->st.ckpt, slots * sizeof(float4));
        dev_free(r, (void **)&r->st.part_last, slots * sizeof(uint32_t));
        return st;
    }
    r->item_capacity = cap;
    return TGS_OK;
}

static void free_pairs(tgs_cuda_raster *r) {
    for (int k = 0; k < 2; k++) {
        dev_free(r, (void **)&r->keys[k], r->pair_capacity * sizeof(uint32_t));
        dev_free(r, (void **)&r->vals[k], r->pair_capacity * sizeof(uint32_t));
    }
    r->pair_capacity = 0;
}

/* Pair buffers for at least `pairs` (+25% when `spare`: grown past a reservation). */
static tgs_status grow_pairs(tgs_cuda_raster *r, size_t pairs, int spare) {
    if (pairs <= r->pair_capacity)
        return TGS_OK;
    r->have_forward = 0;
    size_t cap = spare ? pairs + pairs / 4 + 256 : pairs;
    free_pairs(r);
    tgs_status st = TGS_OK;
    for (int k = 0; k < 2 && st == TGS_OK; k++) {
        st = dev_alloc(r, (void **)&r->keys[k], cap, sizeof(uint32_t), "sort keys");
        if (st == TGS_OK)
            st = dev_alloc(r, (void **)&r->vals[k], cap, sizeof(uint32_t), "sort values");
    }
    if (st != TGS_OK) { /* free what was made with the sizes it was made with */
        for (int k = 0; k < 2; k++) {
            dev_free(r, (void **)&r->keys[k], cap * sizeof(uint32_t));
            dev_free(r, (void **)&r->vals[k], cap * sizeof(uint32_t));
        }
        return st;
    }
    r->pair_capacity = cap;
    return TGS_OK;
}

/* What grow_temp allocates for `bytes` (a quarter more: a later call may need a little more). */
static size_t temp_capacity(size_t bytes) { return bytes + bytes / 4 + 256; }

static tgs_status grow_temp(tgs_cuda_raster *r, size_t bytes) {
    if (bytes <= r->temp_bytes)
        return TGS_OK;
    dev_free(r, &r->temp, r->temp_bytes);
    r->temp_bytes = 0;
    size_t cap = temp_capacity(bytes);
    TGS_TRY(dev_alloc(r, &r->temp, cap, 1, "sort/scan temporary storage"));
    r->temp_bytes = cap;
    return TGS_OK;
}

/* CUB temporary storage for sorting n depths, scanning n counts and the
 * chunks of `tiles` tiles, and sorting `pairs` tile keys (a device query). */
static tgs_status temp_needed(size_t n, size_t pairs, size_t tiles, size_t *bytes) {
    size_t scan_bytes = 0, sort_bytes = 0, depth_bytes = 0, chunk_bytes = 0;
    TGS_CUDA_TRY(cub::DeviceScan::InclusiveSum(NULL, scan_bytes, (const unsigned long long *)NULL,
                                               (unsigned long long *)NULL, (int)n));
    TGS_CUDA_TRY(cub::DeviceScan::InclusiveSum(NULL, chunk_bytes, (const uint32_t *)NULL, (uint32_t *)NULL,
                                               (int)tiles));
    scan_bytes = TGS_MAX(scan_bytes, chunk_bytes);
    cub::DoubleBuffer<uint32_t> kb(NULL, NULL), vb(NULL, NULL);
    TGS_CUDA_TRY(cub::DeviceRadixSort::SortPairs(NULL, sort_bytes, kb, vb, (int)pairs, 0, 32));
    TGS_CUDA_TRY(cub::DeviceRadixSort::SortPairs(NULL, depth_bytes, kb, vb, (int)n, 0, 32));
    *bytes = TGS_MAX(scan_bytes, TGS_MAX(sort_bytes, depth_bytes));
    return TGS_OK;
}

static tgs_status reserve_temp(tgs_cuda_raster *r, size_t n, size_t pairs) {
    size_t bytes = 0;
    TGS_TRY(temp_needed(n, pairs, r->max_tiles, &bytes));
    return grow_temp(r, bytes);
}

/* The 8x8 tiles of a width x height image. */
static size_t tiles_of(int width, int height) {
    return (size_t)((width + RC_TILE - 1) / RC_TILE) * (size_t)((height + RC_TILE - 1) / RC_TILE);
}

extern "C" size_t tgs_cuda_raster_gaussian_bytes(size_t capacity) {
    tgs_cuda_raster r;
    memset(&r, 0, sizeof r);
    return carve_gauss(&r, NULL, capacity ? capacity : 1);
}

extern "C" size_t tgs_cuda_raster_pixel_bytes(int max_width, int max_height) {
    const size_t pixels = (size_t)max_width * (size_t)max_height; /* as alloc_pixels */
    return pixels * (sizeof(float4) + 2 * sizeof(uint32_t)) +
           tiles_of(max_width, max_height) * (sizeof(uint2) + sizeof(uint32_t));
}

extern "C" size_t tgs_cuda_raster_pair_bytes(size_t pairs, int max_width, int max_height) {
    const size_t items = max_items(pairs, tiles_of(max_width, max_height)), slots = items * (size_t)(RC_TILE * RC_TILE);
    return pairs * 2 * (sizeof(uint32_t) + sizeof(uint32_t)) + slots * (sizeof(float4) + sizeof(uint32_t)) +
           items * sizeof(uint32_t);
}

extern "C" size_t tgs_cuda_raster_temp_bytes(size_t capacity, size_t pairs, int max_width, int max_height) {
    size_t bytes = 0;
    if (temp_needed(capacity, pairs, tiles_of(max_width, max_height), &bytes) != TGS_OK)
        return 0;
    return temp_capacity(bytes);
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
    const size_t pixels = (size_t)max_width * (size_t)max_height, tiles = tiles_of(max_width, max_height);
    tgs_status st = alloc_gauss(r, capacity);
    if (st == TGS_OK)
        st = alloc_pixels(r, pixels, tiles);
    /* a first guess of pairs: a few tiles per Gaussian */
    if (st == TGS_OK)
        st = grow_pairs(r, TGS_MAX((size_t)1024, 4 * r->capacity), 1);
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
    dev_free(r, (void **)&r->st.final, r->max_pixels * sizeof(float4));
    dev_free(r, (void **)&r->st.n_contrib, r->max_pixels * sizeof(uint32_t));
    dev_free(r, (void **)&r->st.stop_item, r->max_pixels * sizeof(uint32_t));
    dev_free(r, (void **)&r->ranges, r->max_tiles * sizeof(uint2));
    dev_free(r, (void **)&r->chunks, r->max_tiles * sizeof(uint32_t));
    free_items(r);
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

extern "C" tgs_status tgs_cuda_raster_reserve_pairs(tgs_cuda_raster *r, size_t pairs) {
    TGS_TRY(grow_pairs(r, pairs, 0));
    TGS_TRY(grow_items(r, max_items(pairs, r->max_tiles), 0));
    return reserve_temp(r, r->capacity, r->pair_capacity);
}

/* The view's constants and render settings. */
static rc_view view_of(const tgs_view *v, int exact) {
    rc_view w;
    w.vp = tgs_view_params_f32(v, RC_TILE);
    for (int i = 0; i < 3; i++)
        w.bg[i] = v->bg[i];
    w.sh_degree = v->sh_degree;
    w.opacity_abs = v->opacity_act == TGS_OPACITY_ABS;
    w.exact = exact;
    w.clamp_exact = v->alpha_clamp_exact;
    return w;
}

/* Pointers to the groups of g->params (device memory). */
static rc_params params_of(const tgs_gaussians *g) {
    const tgs_param_view pv = tgs_gaussians_view(g, g->params);
    rc_params p;
    p.means = pv.means;
    p.dc = pv.sh_dc;
    p.rest = pv.sh_rest;
    p.opacity = pv.opacity_raw;
    p.scale = pv.scale_raw;
    p.rot = pv.rot_raw;
    p.k_rest = tgs_sh_rest_count(g->sh_degree);
    return p;
}

/* Pointers to the groups of g->grads (device memory). */
static rc_grads grads_of(const tgs_gaussians *g) {
    const tgs_param_view gv = tgs_gaussians_view(g, g->grads);
    rc_grads d;
    d.means = gv.means;
    d.dc = gv.sh_dc;
    d.rest = gv.sh_rest;
    d.opacity = gv.opacity_raw;
    d.scale = gv.scale_raw;
    d.rot = gv.rot_raw;
    return d;
}

static tgs_status check_args(const tgs_gaussians *g, const tgs_view *v) {
    if (!g || !g->params || !v)
        return TGS_FAIL(TGS_ERR_ARG, "CUDA rasteriser: parameters or view missing");
    if (g->sh_degree < 0 || g->sh_degree > 3 || v->sh_degree < 0 || v->sh_degree > g->sh_degree)
        return TGS_FAIL(TGS_ERR_ARG,
                        "CUDA rasteriser: active SH degree %d with a model of degree %d "
                        "(expected 0 <= active <= model <= 3)",
                        v->sh_degree, g->sh_degree);
    if (g->n > g->capacity || g->n > (size_t)INT32_MAX)
        return TGS_FAIL(TGS_ERR_ARG,
                        "CUDA rasteriser: %zu Gaussians in a buffer of capacity %zu (expected n <= capacity < 2^31)",
                        g->n, g->capacity);
    if (v->width <= 0 || v->height <= 0 || v->width > (1 << 19) || v->height > (1 << 19))
        return TGS_FAIL(TGS_ERR_ARG, "CUDA rasteriser: render size %dx%d (expected 1..2^19 per side)", v->width,
                        v->height);
    return TGS_OK;
}

extern "C" tgs_status tgs_cuda_raster_forward(tgs_cuda_raster *r, const tgs_gaussians *g, const tgs_view *v,
                                              float *d_img) {
    TGS_TRY(check_args(g, v));
    const size_t n = g->n;
    r->have_forward = 0;
    const rc_view w = view_of(v, r->exact);
    const size_t n_tiles = (size_t)w.vp.tiles_x * (size_t)w.vp.tiles_y; /* tile ids are the 32-bit sort keys */
    if (n_tiles > (size_t)INT32_MAX)
        return TGS_FAIL(TGS_ERR_ARG, "CUDA rasteriser: %dx%d pixels make %zu tiles (expected < 2^31)", v->width,
                        v->height, n_tiles);
    if (n > r->capacity)
        TGS_TRY(tgs_cuda_raster_reserve(r, n));
    TGS_TRY(alloc_pixels(r, (size_t)w.vp.width * (size_t)w.vp.height, n_tiles));
    TGS_TRY(reserve_temp(r, n, r->pair_capacity));
    const rc_params p = params_of(g);

    /* preprocess, depth order and the pairs per Gaussian */
    size_t n_pairs = 0;
    const uint32_t *order = r->g.order;
    if (n > 0) {
        rc_launch_preprocess(n, p, w, r->g);
        TGS_CUDA_LAUNCHED("preprocess");
        cub::DoubleBuffer<uint32_t> db(r->g.depth_key, r->depth_key2), ob(r->g.order, r->order2);
        size_t tb = r->temp_bytes;
        TGS_CUDA_TRY(cub::DeviceRadixSort::SortPairs(r->temp, tb, db, ob, (int)n, 0, 32));
        order = ob.Current();
        rc_launch_gather_counts(n, order, r->g.tiles, r->counts);
        TGS_CUDA_LAUNCHED("gather counts");
        tb = r->temp_bytes;
        TGS_CUDA_TRY(cub::DeviceScan::InclusiveSum(r->temp, tb, r->counts, r->counts, (int)n));
        unsigned long long total = 0;
        TGS_CUDA_TRY(cudaMemcpy(&total, r->counts + (n - 1), sizeof total, cudaMemcpyDeviceToHost));
        if (total > (unsigned long long)INT32_MAX)
            return TGS_FAIL(TGS_ERR_NOMEM, "CUDA rasteriser: %llu tile/Gaussian pairs exceed the 2^31 - 1 limit",
                            total);
        n_pairs = (size_t)total;
    }
    TGS_CUDA_TRY(cudaMemsetAsync(r->ranges, 0, n_tiles * sizeof(uint2), 0));
    const uint32_t *sorted_vals = r->vals[0];
    if (n_pairs > 0) {
        TGS_TRY(grow_pairs(r, n_pairs, 1));
        /* keys[1], the sort's second buffer, holds the duplicate kernel's block starts until the sort */
        rc_launch_duplicate(n, n_pairs, r->g, w.vp.tiles_x, order, r->counts, r->keys[1], r->keys[0], r->vals[0]);
        TGS_CUDA_LAUNCHED("duplicate");
        int tile_bits = 0;
        while (tile_bits < 32 && ((uint64_t)1 << tile_bits) < n_tiles)
            tile_bits++;
        TGS_TRY(reserve_temp(r, n, n_pairs));
        cub::DoubleBuffer<uint32_t> kb(r->keys[0], r->keys[1]), vb(r->vals[0], r->vals[1]);
        size_t tb = r->temp_bytes;
        TGS_CUDA_TRY(cub::DeviceRadixSort::SortPairs(r->temp, tb, kb, vb, (int)n_pairs, 0, TGS_MAX(tile_bits, 1)));
        rc_launch_ranges(n_pairs, kb.Current(), r->ranges);
        TGS_CUDA_LAUNCHED("tile ranges");
        sorted_vals = vb.Current();
    }
    /* the chunked kernels' work list: chunks per tile, their inclusive sum and the tile of each item */
    const size_t items = max_items(n_pairs, n_tiles);
    TGS_TRY(grow_items(r, items, 1));
    rc_launch_chunk_counts(n_tiles, r->ranges, r->chunks);
    TGS_CUDA_LAUNCHED("chunk counts");
    size_t tb = r->temp_bytes;
    TGS_CUDA_TRY(cub::DeviceScan::InclusiveSum(r->temp, tb, r->chunks, r->chunks, (int)n_tiles));
    rc_launch_item_tiles(n_tiles, r->chunks, r->st.item_tile);
    TGS_CUDA_LAUNCHED("item tiles");
    rc_launch_render(w, r->ranges, r->chunks, items, sorted_vals, r->g, d_img, r->st);
    TGS_CUDA_LAUNCHED("render");
    r->have_forward = 1;
    r->fwd_exact = w.exact;
    r->width = v->width;
    r->height = v->height;
    r->n = n;
    r->n_pairs = n_pairs;
    r->pair_peak = n_pairs > r->pair_peak ? n_pairs : r->pair_peak;
    r->n_tiles = n_tiles;
    r->sorted_vals = sorted_vals;
    return TGS_OK;
}

/* Whether the last forward was of this view and count (backward and score sums need it). */
static tgs_status check_forward(const tgs_cuda_raster *r, const tgs_view *v, size_t n, const char *what) {
    if (!r->have_forward || v->width != r->width || v->height != r->height || n != r->n)
        return TGS_FAIL(TGS_ERR_ARG, "CUDA rasteriser: %s called without a matching forward (%dx%d, %zu Gaussians)",
                        what, v->width, v->height, n);
    return TGS_OK;
}

extern "C" tgs_status tgs_cuda_raster_score(tgs_cuda_raster *r, const tgs_gaussians *g, const tgs_view *v,
                                            const float *d_pixel_weight, float *d_score) {
    TGS_TRY(check_args(g, v));
    if (!d_pixel_weight || !d_score)
        return TGS_FAIL(TGS_ERR_ARG, "CUDA rasteriser: score sums need a pixel weight map and a sum buffer");
    TGS_TRY(check_forward(r, v, g->n, "score"));
    if (g->n == 0)
        return TGS_OK;
    rc_launch_score(view_of(v, r->fwd_exact), r->ranges, r->chunks, max_items(r->n_pairs, r->n_tiles),
                    r->sorted_vals, r->g, r->st, d_pixel_weight, d_score);
    TGS_CUDA_LAUNCHED("score sums");
    return TGS_OK;
}

extern "C" tgs_status tgs_cuda_raster_backward(tgs_cuda_raster *r, tgs_gaussians *g, const tgs_view *v,
                                               const float *d_v_img, float *d_v_mean2d,
                                               const tgs_adam_consts *rest_step, int rest_sparse) {
    TGS_TRY(check_args(g, v));
    const size_t n = g->n;
    if (!d_v_img || !g->grads)
        return TGS_FAIL(TGS_ERR_ARG, "CUDA rasteriser: backward needs dL/dimage and a gradient buffer");
    if (rest_step && (!g->adam_m || !g->adam_v))
        return TGS_FAIL(TGS_ERR_ARG, "CUDA rasteriser: the SH rest step in the backward needs the Adam moments");
    TGS_TRY(check_forward(r, v, n, "backward"));
    const rc_view w = view_of(v, r->fwd_exact); /* the alphas of the forward */
    if (n == 0)
        return TGS_OK;
    TGS_CUDA_TRY(cudaMemsetAsync(r->acc, 0, n * RC_ACC_N * sizeof(float), 0));
    rc_launch_render_backward(w, r->ranges, r->chunks, max_items(r->n_pairs, r->n_tiles), r->sorted_vals, r->g,
                              r->st, d_v_img, r->acc);
    TGS_CUDA_LAUNCHED("render backward");
    rc_rest_step rs;
    if (rest_step) {
        rs.params = tgs_gaussians_view(g, g->params).sh_rest;
        rs.m = tgs_gaussians_view(g, g->adam_m).sh_rest;
        rs.v = tgs_gaussians_view(g, g->adam_v).sh_rest;
        rs.c = *rest_step;
        rs.sparse = rest_sparse != 0;
    }
    rc_launch_preprocess_backward(n, params_of(g), w, r->g, r->acc, grads_of(g), rest_step ? &rs : NULL,
                                  d_v_mean2d);
    TGS_CUDA_LAUNCHED("preprocess backward");
    return TGS_OK;
}

extern "C" void tgs_cuda_raster_set_exact(tgs_cuda_raster *r, int exact) { r->exact = exact != 0; }
extern "C" const int *tgs_cuda_raster_radii(const tgs_cuda_raster *r) { return r->g.radius; }
extern "C" const float *tgs_cuda_raster_depths(const tgs_cuda_raster *r) { return r->g.depth; }
extern "C" size_t tgs_cuda_raster_pair_capacity(const tgs_cuda_raster *r) { return r->pair_capacity; }
extern "C" size_t tgs_cuda_raster_pair_count(const tgs_cuda_raster *r) { return r->n_pairs; }
extern "C" size_t tgs_cuda_raster_pair_peak(const tgs_cuda_raster *r) { return r->pair_peak; }
extern "C" const void *tgs_cuda_raster_tile_ranges(const tgs_cuda_raster *r, size_t *n_tiles) {
    *n_tiles = r->have_forward ? r->n_tiles : 0;
    return r->ranges;
}
extern "C" size_t tgs_cuda_raster_bytes(const tgs_cuda_raster *r) { return r->bytes; }
