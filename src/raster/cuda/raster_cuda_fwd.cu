/* raster_cuda_fwd.cu - forward stages of the CUDA rasteriser: per-Gaussian
 * preprocess (the CPU's preprocess: culling, EWA, radius, tight tile rect,
 * SH colour, depth sort keys), emission of (tile, Gaussian) pairs in depth
 * order, tile ranges of the sorted pairs, the chunked blending of each tile's
 * list (Gaussians staged in shared memory 32 at a time), and the Taming score
 * sums of a finished forward (its chunks walked again from their states,
 * reduced per warp before the atomics). */
#include "raster/cuda/raster_cuda_math.cuh"

/* Tiles [x, z) x [y, w) of a grid of `tile`-pixel tiles (tx x ty) that the
 * square of half side rf around (px, py) touches (the CPU's rect). */
static __device__ __forceinline__ int4 rc_tile_rect(float px, float py, float rf, int tile, int tx, int ty) {
    const float t = (float)tile, t1 = (float)(tile - 1);
    int4 rc;
    rc.x = min(tx, max(0, rc_f2i(RC_DIV(RC_SUB(px, rf), t))));
    rc.y = min(ty, max(0, rc_f2i(RC_DIV(RC_SUB(py, rf), t))));
    rc.z = min(tx, max(0, rc_f2i(RC_DIV(RC_ADD(RC_ADD(px, rf), t1), t))));
    rc.w = min(ty, max(0, rc_f2i(RC_DIV(RC_ADD(RC_ADD(py, rf), t1), t))));
    return rc;
}

/* One thread per Gaussian. Writes radius 0 and no pairs for a culled one. */
__global__ void rc_preprocess_kernel(size_t n, rc_params p, rc_view w, rc_gauss out) {
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n)
        return;
    out.radius[i] = 0;
    out.depth[i] = 0.0f;
    out.tiles[i] = 0;
    out.depth_key[i] = 0u;
    out.order[i] = (uint32_t)i;
    rc_geom g;
    if (!rc_geometry(&p, &w, i, &g))
        return;
    const float a = g.cov[0], b = g.cov[1], cc = g.cov[2];
    const float det = RC_SUB(RC_MUL(a, cc), RC_MUL(b, b));
    if (det == 0.0f)
        return;
    const float mid = RC_MUL(0.5f, RC_ADD(a, cc));
    const float disc = __fsqrt_rn(fmaxf(0.1f, RC_SUB(RC_MUL(mid, mid), det)));
    const float lam = fmaxf(RC_ADD(mid, disc), RC_SUB(mid, disc));
    const int radius = rc_f2i(ceilf(RC_MUL(3.0f, __fsqrt_rn(lam))));
    const float px = RC_ADD(RC_DIV(RC_MUL(w.vp.fx, g.pv[0]), g.pv[2]), w.vp.cx);
    const float py = RC_ADD(RC_DIV(RC_MUL(w.vp.fy, g.pv[1]), g.pv[2]), w.vp.cy);
    /* The radius rect on the CPU's (and the published rasteriser's) 16-pixel
     * tile grid decides visibility, and which pixels may see the Gaussian: it
     * cuts the alpha >= 1/255 footprint of an opaque one (3 sigma < 3.33
     * sigma) at 16-pixel tile edges. The pairs come from that rect in RC_TILE
     * tiles (empty for a visible Gaussian in the padding beyond the last pixel
     * row or column), narrowed by the ellipse below: every pixel sees the
     * Gaussians it sees on the CPU. */
    const int4 vis = rc_tile_rect(px, py, (float)radius, TGS_TILE, (w.vp.width + TGS_TILE - 1) / TGS_TILE,
                                  (w.vp.height + TGS_TILE - 1) / TGS_TILE);
    if ((vis.z - vis.x) * (vis.w - vis.y) == 0)
        return;
    const int f = TGS_TILE / RC_TILE;
    int4 rc = make_int4(f * vis.x, f * vis.y, min(w.vp.tiles_x, f * vis.z), min(w.vp.tiles_y, f * vis.w));
    const float tile = (float)RC_TILE;
    const float c0 = RC_DIV(cc, det), c1 = RC_DIV(-b, det), c2 = RC_DIV(a, det);
    const float o = p.opacity[i];
    const float op = w.opacity_abs ? fabsf(o) : RC_DIV(1.0f, RC_ADD(1.0f, rc_exp(-o)));
    /* alpha >= 1/255 needs power >= log(1/(255 o)); 0.01 of margin (see the CPU
     * preprocess): the tiles outside that ellipse are not binned. */
    const float pmin = op > 0.0f ? RC_SUB(rc_log(RC_DIV(1.0f, RC_MUL(255.0f, op))), 0.01f) : INFINITY;
    const float detc = RC_SUB(RC_MUL(c0, c2), RC_MUL(c1, c1));
    if (!(pmin < 0.0f)) {
        rc.z = rc.x, rc.w = rc.y; /* contributes to no pixel */
    } else if (detc > 0.0f) {
        const float ex = RC_ADD(__fsqrt_rn(RC_DIV(RC_MUL(RC_MUL(-2.0f, pmin), c2), detc)), 1.0f);
        const float ey = RC_ADD(__fsqrt_rn(RC_DIV(RC_MUL(RC_MUL(-2.0f, pmin), c0), detc)), 1.0f);
        const float lim = (float)(1 << 20);
        rc.x = max(rc.x, rc_f2i(floorf(RC_DIV(fmaxf(-lim, RC_SUB(px, ex)), tile))));
        rc.y = max(rc.y, rc_f2i(floorf(RC_DIV(fmaxf(-lim, RC_SUB(py, ey)), tile))));
        rc.z = min(rc.z, rc_f2i(floorf(RC_DIV(fminf(lim, RC_ADD(px, ex)), tile))) + 1);
        rc.w = min(rc.w, rc_f2i(floorf(RC_DIV(fminf(lim, RC_ADD(py, ey)), tile))) + 1);
        if (rc.z < rc.x)
            rc.z = rc.x;
        if (rc.w < rc.y)
            rc.w = rc.y;
    }
    out.radius[i] = radius;
    out.depth[i] = g.pv[2];
    out.mean2d[i] = make_float2(px, py);
    out.con_op[i] = make_float4(c0, c1, c2, op);
    out.pmin[i] = pmin;
    out.rect[i] = rc;
    out.tiles[i] = (unsigned long long)(rc.z - rc.x) * (unsigned long long)(rc.w - rc.y);
    out.depth_key[i] = __float_as_uint(g.pv[2]); /* > 0.2: the bits order like the values */

    /* colour from SH in the viewing direction */
    const int deg = w.sh_degree, nb = (deg + 1) * (deg + 1);
    float dir[3], len, basis[16];
    rc_view_dir(p.means + 3 * i, &w, dir, &len);
    rc_sh_basis(deg, dir[0], dir[1], dir[2], basis, NULL);
    const float *dc = p.dc + 3 * i, *rest = p.rest + (size_t)3 * p.k_rest * i;
    for (int ch = 0; ch < 3; ch++) {
        float col = RC_MUL(basis[0], dc[ch]);
#pragma unroll
        for (int k = 1; k < 16; k++) { /* constant trip count: basis stays in registers */
            if (k >= nb)
                break;
            col = RC_ADD(col, RC_MUL(basis[k], rest[3 * (k - 1) + ch]));
        }
        col = RC_ADD(col, 0.5f);
        out.clamped[3 * i + ch] = col < 0.0f;
        out.rgb[3 * i + ch] = col < 0.0f ? 0.0f : col;
    }
}

void rc_launch_preprocess(size_t n, rc_params p, rc_view w, rc_gauss g) {
    if (n == 0)
        return;
    const unsigned threads = 256;
    rc_preprocess_kernel<<<(unsigned)((n + threads - 1) / threads), threads>>>(n, p, w, g);
}

/* One thread per Gaussian in depth order (order: stable sort of the depth
 * keys, ties by index): the Gaussian's pair count. */
__global__ void rc_gather_counts_kernel(size_t n, const uint32_t *order, const unsigned long long *tiles,
                                        unsigned long long *counts) {
    const size_t k = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (k < n)
        counts[k] = tiles[order[k]];
}

void rc_launch_gather_counts(size_t n, const uint32_t *order, const unsigned long long *tiles,
                             unsigned long long *counts) {
    if (n == 0)
        return;
    const unsigned threads = 256;
    rc_gather_counts_kernel<<<(unsigned)((n + threads - 1) / threads), threads>>>(n, order, tiles, counts);
}

#define RC_DUP_THREADS 256 /* pairs a block of the duplicate kernel */
#define RC_DUP_WINDOW 1024 /* sums it stages; a longer run is searched in global memory */

/* One thread per Gaussian k in depth order: k holds the first pair of the
 * duplicate kernel's blocks that start in its range of the inclusive sum. */
__global__ void rc_block_starts_kernel(size_t n, const unsigned long long *offsets, uint32_t *block_lo) {
    const size_t k = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (k >= n)
        return;
    const unsigned long long s = k > 0 ? offsets[k - 1] : 0ull, e = offsets[k];
    for (unsigned long long b = (s + RC_DUP_THREADS - 1) / RC_DUP_THREADS; b * RC_DUP_THREADS < e; b++)
        block_lo[b] = (uint32_t)k;
}

/* One thread per pair: the Gaussian k (in depth order) whose range of the
 * inclusive sum holds the pair, then its tile, row by row of the Gaussian's
 * tile rect; the key is the tile id. A stable sort by tile then leaves each
 * tile's Gaussians by depth, ties by index: the CPU's (tile, depth) order,
 * with a radix sort of the tile bits only. One thread per pair rather than per
 * Gaussian: in depth order the large near Gaussians, with hundreds of tiles
 * each, sit together in a few warps (fox: 4x slower). The Gaussians of a
 * block's pairs are the run from its first pair's (block_lo) to the next
 * block's: that run (at most one Gaussian a pair, but for those with no tile)
 * is staged in shared memory and each thread searches it there. A binary
 * search over all Gaussians is ~20 dependent global loads at 1M: one per pair
 * was the kernel's time, and two per block (the run's ends) kept each block
 * waiting as long (lego at 1M, H200: 102 us a view); the block starts cost one
 * pass over the sums. */
__global__ void __launch_bounds__(RC_DUP_THREADS)
    rc_duplicate_kernel(size_t n, size_t n_pairs, rc_gauss g, int tiles_x, const uint32_t *order,
                        const unsigned long long *offsets, const uint32_t *block_lo, uint32_t *keys,
                        uint32_t *vals) {
    __shared__ unsigned long long s_off[RC_DUP_WINDOW];
    const size_t p = (size_t)blockIdx.x * RC_DUP_THREADS + threadIdx.x;
    const size_t lo = block_lo[blockIdx.x];
    const size_t hi = blockIdx.x + 1 < gridDim.x ? block_lo[blockIdx.x + 1] : n - 1;
    const size_t span = hi - lo + 1; /* the answer of every pair here is in [lo, hi] */
    size_t k;
    if (span <= RC_DUP_WINDOW) { /* block-uniform */
        for (size_t j = threadIdx.x; j < span; j += RC_DUP_THREADS)
            s_off[j] = offsets[lo + j];
        __syncthreads();
        if (p >= n_pairs)
            return;
        k = lo + rc_first_above(s_off, span, (unsigned long long)p);
    } else {
        if (p >= n_pairs)
            return;
        k = lo + rc_first_above(offsets + lo, span, (unsigned long long)p);
    }
    const uint32_t i = order[k];
    const int4 rc = g.rect[i];
    /* < 2^32 (a Gaussian's tiles): 32-bit division, where a 64-bit one is ~70 instructions */
    const uint32_t local = (uint32_t)(p - (k > 0 ? offsets[k - 1] : 0ull));
    const uint32_t wdt = (uint32_t)(rc.z - rc.x);
    const uint32_t tx = (uint32_t)rc.x + local % wdt, ty = (uint32_t)rc.y + local / wdt;
    keys[p] = ty * (uint32_t)tiles_x + tx;
    vals[p] = i;
}

void rc_launch_duplicate(size_t n, size_t n_pairs, rc_gauss g, int tiles_x, const uint32_t *order,
                         const unsigned long long *offsets, uint32_t *block_lo, uint32_t *keys, uint32_t *vals) {
    if (n == 0 || n_pairs == 0)
        return;
    const unsigned threads = 256;
    rc_block_starts_kernel<<<(unsigned)((n + threads - 1) / threads), threads>>>(n, offsets, block_lo);
    rc_duplicate_kernel<<<(unsigned)((n_pairs + RC_DUP_THREADS - 1) / RC_DUP_THREADS), RC_DUP_THREADS>>>(
        n, n_pairs, g, tiles_x, order, offsets, block_lo, keys, vals);
}

/* One thread per sorted pair: the first and last pair of each tile mark its
 * [begin, end) (ranges are zeroed beforehand: empty tiles stay [0, 0)). */
__global__ void rc_ranges_kernel(size_t n_pairs, const uint32_t *keys, uint2 *ranges) {
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n_pairs)
        return;
    const uint32_t tile = keys[i];
    if (i == 0 || keys[i - 1] != tile)
        ranges[tile].x = (uint32_t)i;
    if (i == n_pairs - 1 || keys[i + 1] != tile)
        ranges[tile].y = (uint32_t)(i + 1);
}

void rc_launch_ranges(size_t n_pairs, const uint32_t *keys, uint2 *ranges) {
    if (n_pairs == 0)
        return;
    const unsigned threads = 256;
    rc_ranges_kernel<<<(unsigned)((n_pairs + threads - 1) / threads), threads>>>(n_pairs, keys, ranges);
}

/* A pixel's blending state. */
typedef struct {
    float T, C0, C1, C2;
    uint32_t last; /* list position after the last contribution */
    int done;      /* stopped (or not walking) */
} rc_px;

/* The warp walks positions [start, stop) of its tile's depth-sorted list in
 * batches of RC_BLOCK Gaussians staged in shared memory; each pixel not done
 * blends front to back as the CPU does and stops before T would fall below
 * 1e-4. With score, the Taming sums of the Gaussians it takes (warp sums, then
 * one atomic per sum). Every thread runs every batch (warp reductions see
 * full warps). */
static __device__ __forceinline__ void rc_walk(const rc_view &w, uint2 range, int start, int stop,
                                               const uint32_t *vals, const rc_gauss &g, float fx, float fy,
                                               float pw, float *score, rc_px *px) {
    __shared__ uint32_t s_id[RC_BLOCK];
    __shared__ float2 s_xy[RC_BLOCK];
    __shared__ float4 s_co[RC_BLOCK];
    __shared__ float4 s_cp[RC_BLOCK]; /* rgb, pmin */
    const int tid = threadIdx.y * RC_TILE + threadIdx.x, lane = tid & 31;
    const int count = stop - start;
    float T = px->T, C0 = px->C0, C1 = px->C1, C2 = px->C2;
    uint32_t last = px->last;
    int done = px->done;
    /* software pipeline: while a batch is blended, the registers fetch the
     * next batch's Gaussians and the ids of the one after (the id -> data
     * loads depend on each other; fetched one batch apart, neither waits) */
    uint32_t gi = tid < count ? vals[range.x + start + tid] : 0u;
    uint32_t gi_next = RC_BLOCK + tid < count ? vals[range.x + start + RC_BLOCK + tid] : 0u;
    float2 f_xy = make_float2(0.0f, 0.0f);
    float4 f_co = make_float4(0.0f, 0.0f, 0.0f, 0.0f), f_cp = f_co;
    if (tid < count)
        rc_fetch_splat(g, gi, &f_xy, &f_co, &f_cp);
    for (int base = 0; base < count; base += RC_BLOCK) {
        if (__syncthreads_count(done) == RC_BLOCK)
            break;
        if (base + tid < count) {
            s_id[tid] = gi;
            s_xy[tid] = f_xy;
            s_co[tid] = f_co;
            s_cp[tid] = f_cp;
        }
        __syncthreads();
        const int nb = base + RC_BLOCK + tid;
        gi = gi_next;
        if (nb < count)
            rc_fetch_splat(g, gi, &f_xy, &f_co, &f_cp);
        gi_next = nb + RC_BLOCK < count ? vals[range.x + start + nb + RC_BLOCK] : 0u;
        const int batch = min(RC_BLOCK, count - base);
        for (int j = 0; j < batch; j++) {
            int hit = 0;
            float at = 0.0f, dist = 0.0f;
            if (!done) {
                const float2 xy = s_xy[j];
                const float4 co = s_co[j], cp = s_cp[j];
                const rc_col kc = rc_col_of(co, RC_SUB(xy.x, fx));
                const float dx = kc.dx, dy = RC_SUB(xy.y, fy);
                float G, raw, alpha;
                if (rc_alpha(co, cp.w, kc, dy, w.exact, &G, &raw, &alpha)) {
                    float test_T = RC_MUL(T, RC_SUB(1.0f, alpha));
                    if (!w.exact && fabsf(test_T - RC_T_MIN) <= RC_NEAR_T * RC_T_MIN &&
                        rc_alpha(co, cp.w, kc, dy, 1, &G, &raw, &alpha))
                        test_T = RC_MUL(T, RC_SUB(1.0f, alpha)); /* decide with the exact exp */
                    if (test_T < RC_T_MIN) {
                        done = 1;
                    } else {
                        const float aT = alpha * T; /* colours: no decision, FMA is fine */
                        C0 = fmaf(cp.x, aT, C0);
                        C1 = fmaf(cp.y, aT, C1);
                        C2 = fmaf(cp.z, aT, C2);
                        hit = 1;
                        if (score) {
                            at = aT;
                            dist = sqrtf(dx * dx + dy * dy);
                        }
                        T = test_T;
                        last = (uint32_t)(start + base + j + 1);
                    }
                }
            }
            if (score && __any_sync(0xffffffffu, hit)) { /* lane k adds the warp's sum of score k */
                const float sw = rc_warp_sum(hit ? pw : 0.0f), s1 = rc_warp_sum((float)hit);
                const float sat = rc_warp_sum(at), sd = rc_warp_sum(dist);
                const float mine = lane == TGS_SCORE_W ? sw
                                   : lane == TGS_SCORE_ONE ? s1
                                   : lane == TGS_SCORE_AT  ? sat
                                                           : sd;
                if (lane < TGS_SCORE_COUNT)
                    atomicAdd(score + 4 * (size_t)s_id[j] + lane, mine);
            }
        }
    }
    px->T = T, px->C0 = C0, px->C1 = C1, px->C2 = C2, px->last = last, px->done = done;
}

static __device__ __forceinline__ void rc_write_pixel(const rc_view &w, rc_state st, float *img, size_t pix,
                                                      const rc_px &px) {
    st.final[pix] = make_float4(px.C0, px.C1, px.C2, px.T);
    st.n_contrib[pix] = px.last;
    img[3 * pix] = RC_ADD(px.C0, RC_MUL(px.T, w.bg[0]));
    img[3 * pix + 1] = RC_ADD(px.C1, RC_MUL(px.T, w.bg[1]));
    img[3 * pix + 2] = RC_ADD(px.C2, RC_MUL(px.T, w.bg[2]));
}

/* Chunked blending, for lists too long for one warp's walk (the kernel time
 * follows the longest list). (1) Each chunk alone: a block per chunk blends
 * its Gaussians from T = 1 and keeps the colour sum, the product of (1 -
 * alpha) and its last contribution; a pixel whose own T falls below 1e-4
 * would stop in this chunk or earlier, so it stops. (2) Per pixel, the chunks
 * in order: the state before each (the backward's checkpoints), until T times
 * a chunk's product would fall below 1e-4: that chunk holds the stop. (3) A
 * block per chunk walks it again, sequentially from the state before it, for
 * the pixels that stop in it. Images agree with the sequential walk to float
 * rounding (T is a product of chunk products); the stop rule is the same. */
__global__ void __launch_bounds__(RC_BLOCK)
    rc_render_chunks_kernel(rc_view w, const uint2 *ranges, const uint32_t *chunk_end, const uint32_t *vals,
                            rc_gauss g, rc_state st) {
    __shared__ float2 s_xy[RC_BLOCK];
    __shared__ float4 s_co[RC_BLOCK];
    __shared__ float4 s_cp[RC_BLOCK];
    int t, c;
    if (!rc_item_of(chunk_end, st.item_tile, w.vp.tiles_x * w.vp.tiles_y, blockIdx.x, &t, &c))
        return;
    const int tid = threadIdx.y * RC_TILE + threadIdx.x;
    const uint2 range = ranges[t];
    const int start = c * RC_CHUNK, count = min(RC_CHUNK, (int)(range.y - range.x) - start);
    /* one warp for the tile: this thread's pixel in each of its RC_SPLIT strips
     * (a warp per strip fetched and staged every Gaussian twice) */
    rc_pixel p[RC_SPLIT];
    rc_px q[RC_SPLIT];
    int done = 1; /* every pixel of this thread */
#pragma unroll
    for (int k = 0; k < RC_SPLIT; k++) {
        p[k] = rc_pixel_of(w, t, k);
        q[k].T = 1.0f, q[k].C0 = q[k].C1 = q[k].C2 = 0.0f, q[k].last = 0u, q[k].done = !p[k].inside;
        done &= q[k].done;
    }
    /* the software pipeline of rc_walk: the next batch's Gaussians and the ids
     * of the one after are in flight while a batch is blended (the registers
     * fit under the occupancy the block limit allows: 32 one-warp blocks) */
    const uint32_t *ids = vals + range.x + start;
    uint32_t gi_next = RC_BLOCK + tid < count ? ids[RC_BLOCK + tid] : 0u;
    float2 f_xy = make_float2(0.0f, 0.0f);
    float4 f_co = make_float4(0.0f, 0.0f, 0.0f, 0.0f), f_cp = f_co;
    if (tid < count)
        rc_fetch_splat(g, ids[tid], &f_xy, &f_co, &f_cp);
    for (int base = 0; base < count; base += RC_BLOCK) {
        if (__all_sync(0xffffffffu, done))
            break;
        __syncwarp(); /* the previous batch is no longer read */
        if (base + tid < count)
            s_xy[tid] = f_xy, s_co[tid] = f_co, s_cp[tid] = f_cp;
        __syncwarp();
        const int nb = base + RC_BLOCK + tid;
        if (nb < count)
            rc_fetch_splat(g, gi_next, &f_xy, &f_co, &f_cp);
        gi_next = nb + RC_BLOCK < count ? ids[nb + RC_BLOCK] : 0u;
        const int batch = min(RC_BLOCK, count - base);
        for (int j = 0; j < batch && !done; j++) {
            const float2 xy = s_xy[j];
            const float4 co = s_co[j], cp = s_cp[j];
            const rc_col kc = rc_col_of(co, RC_SUB(xy.x, (float)p[0].x)); /* the pixels share their column */
            done = 1;
#pragma unroll
            for (int k = 0; k < RC_SPLIT; k++) {
                rc_px *P = &q[k];
                if (P->done)
                    continue;
                const float dy = RC_SUB(xy.y, (float)p[k].y);
                float G, raw, alpha;
                if (rc_alpha(co, cp.w, kc, dy, w.exact, &G, &raw, &alpha)) {
                    const float aT = alpha * P->T;
                    P->C0 = fmaf(cp.x, aT, P->C0);
                    P->C1 = fmaf(cp.y, aT, P->C1);
                    P->C2 = fmaf(cp.z, aT, P->C2);
                    P->T = RC_MUL(P->T, RC_SUB(1.0f, alpha));
                    P->last = (uint32_t)(start + base + j + 1);
                    P->done = P->T < RC_T_MIN;
                }
                done &= P->done;
            }
        }
    }
#pragma unroll
    for (int k = 0; k < RC_SPLIT; k++)
        if (p[k].inside) {
            const size_t slot = (size_t)blockIdx.x * (RC_TILE * RC_TILE) + p[k].lp;
            st.ckpt[slot] = make_float4(q[k].C0, q[k].C1, q[k].C2, q[k].T);
            st.part_last[slot] = q[k].last;
        }
}

/* (2): one thread per pixel; the tile's chunks are items chunk_end[t-1] ..
 * chunk_end[t] - 1. Replaces each chunk's result by the state before it. */
__global__ void __launch_bounds__(RC_BLOCK)
    rc_render_resolve_kernel(rc_view w, const uint32_t *chunk_end, rc_state st, float *img) {
    const int t = (blockIdx.y / RC_SPLIT) * w.vp.tiles_x + blockIdx.x;
    const rc_pixel p = rc_pixel_of(w, t, blockIdx.y % RC_SPLIT);
    if (!p.inside)
        return;
    const uint32_t q0 = t > 0 ? chunk_end[t - 1] : 0u, q1 = chunk_end[t];
    rc_px px = {1.0f, 0.0f, 0.0f, 0.0f, 0u, 0};
    uint32_t stop_item = UINT32_MAX;
    const size_t slot = RC_TILE * RC_TILE;
    float4 r_next = q0 < q1 ? st.ckpt[(size_t)q0 * slot + p.lp] : make_float4(0.0f, 0.0f, 0.0f, 1.0f);
    uint32_t l_next = q0 < q1 ? st.part_last[(size_t)q0 * slot + p.lp] : 0u;
    for (uint32_t q = q0; q < q1; q++) {
        const size_t k = (size_t)q * slot + p.lp;
        const float4 r = r_next; /* loads one chunk ahead: the loop waits on memory otherwise */
        const uint32_t l = l_next;
        if (q + 1 < q1) {
            r_next = st.ckpt[k + slot];
            l_next = st.part_last[k + slot];
        }
        st.ckpt[k] = make_float4(px.C0, px.C1, px.C2, px.T);
        if (RC_MUL(px.T, r.w) < RC_T_MIN) {
            stop_item = q;
            break;
        }
        px.C0 = fmaf(px.T, r.x, px.C0);
        px.C1 = fmaf(px.T, r.y, px.C1);
        px.C2 = fmaf(px.T, r.z, px.C2);
        px.T = RC_MUL(px.T, r.w);
        if (l)
            px.last = l;
    }
    st.stop_item[p.pix] = stop_item;
    if (stop_item == UINT32_MAX)
        rc_write_pixel(w, st, img, p.pix, px);
    else
        st.n_contrib[p.pix] = px.last; /* the contributions before the chunk, for (3) */
}

/* A block per chunk and strip walks the chunk again, sequentially from the
 * state before it (rc_state.ckpt after the resolve) with the forward's stop
 * rule, for the pixels that: without SCORE, stop in it ((3): their final
 * pixel); with SCORE, take anything from it (the chunk is not after their
 * stop chunk and starts before their last contribution), adding the Taming
 * score sums of a finished forward: the chunks of a long list in parallel
 * where a sequential walk of the tile waited on its longest list. */
template <bool SCORE>
__global__ void __launch_bounds__(RC_BLOCK)
    rc_rewalk_kernel(rc_view w, const uint2 *ranges, const uint32_t *chunk_end, const uint32_t *vals, rc_gauss g,
                     rc_state st, float *img, const float *pixel_weight, float *score) {
    int t, c;
    if (!rc_item_of(chunk_end, st.item_tile, w.vp.tiles_x * w.vp.tiles_y, blockIdx.x, &t, &c))
        return;
    const rc_pixel p = rc_pixel_of(w, t, blockIdx.y);
    const uint2 range = ranges[t];
    const int start = c * RC_CHUNK, stop = min(start + RC_CHUNK, (int)(range.y - range.x));
    const int mine = p.inside && (SCORE ? blockIdx.x <= st.stop_item[p.pix] && (uint32_t)start < st.n_contrib[p.pix]
                                        : st.stop_item[p.pix] == blockIdx.x);
    if (!__syncthreads_or(mine))
        return;
    rc_px px = {1.0f, 0.0f, 0.0f, 0.0f, 0u, !mine};
    if (mine) {
        const float4 s = st.ckpt[(size_t)blockIdx.x * (RC_TILE * RC_TILE) + p.lp];
        px.C0 = s.x, px.C1 = s.y, px.C2 = s.z, px.T = s.w;
        px.last = st.n_contrib[p.pix]; /* (3): the contributions before the chunk */
    }
    rc_walk(w, range, start, stop, vals, g, (float)p.x, (float)p.y, SCORE && mine ? pixel_weight[p.pix] : 0.0f,
            SCORE ? score : NULL, &px);
    if (!SCORE && mine)
        rc_write_pixel(w, st, img, p.pix, px);
}

void rc_launch_render(rc_view w, const uint2 *ranges, const uint32_t *chunk_end, size_t max_items,
                      const uint32_t *vals, rc_gauss g, float *img, rc_state st) {
    const dim3 grid((unsigned)w.vp.tiles_x, (unsigned)w.vp.tiles_y * RC_SPLIT), block(RC_TILE, RC_TILE / RC_SPLIT);
    const dim3 items((unsigned)max_items, RC_SPLIT);
    rc_render_chunks_kernel<<<(unsigned)max_items, block>>>(w, ranges, chunk_end, vals, g, st);
    rc_render_resolve_kernel<<<grid, block>>>(w, chunk_end, st, img);
    rc_rewalk_kernel<false><<<items, block>>>(w, ranges, chunk_end, vals, g, st, img, NULL, NULL);
}

void rc_launch_score(rc_view w, const uint2 *ranges, const uint32_t *chunk_end, size_t max_items,
                     const uint32_t *vals, rc_gauss g, rc_state st, const float *pixel_weight, float *score) {
    const dim3 items((unsigned)max_items, RC_SPLIT), block(RC_TILE, RC_TILE / RC_SPLIT);
    rc_rewalk_kernel<true><<<items, block>>>(w, ranges, chunk_end, vals, g, st, NULL, pixel_weight, score);
}

__global__ void rc_chunk_counts_kernel(size_t n_tiles, const uint2 *ranges, uint32_t *chunks) {
    const size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t < n_tiles)
        chunks[t] = (ranges[t].y - ranges[t].x + RC_CHUNK - 1) / RC_CHUNK;
}

void rc_launch_chunk_counts(size_t n_tiles, const uint2 *ranges, uint32_t *chunks) {
    const unsigned threads = 256;
    rc_chunk_counts_kernel<<<(unsigned)((n_tiles + threads - 1) / threads), threads>>>(n_tiles, ranges, chunks);
}

/* One thread per tile: the tile of each of its items. */
__global__ void rc_item_tiles_kernel(size_t n_tiles, const uint32_t *chunk_end, uint32_t *item_tile) {
    const size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= n_tiles)
        return;
    for (uint32_t q = t > 0 ? chunk_end[t - 1] : 0u; q < chunk_end[t]; q++)
        item_tile[q] = (uint32_t)t;
}

void rc_launch_item_tiles(size_t n_tiles, const uint32_t *chunk_end, uint32_t *item_tile) {
    const unsigned threads = 256;
    rc_item_tiles_kernel<<<(unsigned)((n_tiles + threads - 1) / threads), threads>>>(n_tiles, chunk_end, item_tile);
}
