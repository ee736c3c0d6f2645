/* raster_cuda_fwd.cu - forward stages of the CUDA rasteriser: per-Gaussian
 * preprocess (the CPU's preprocess: culling, EWA, radius, tight tile rect,
 * SH colour), emission of (tile, Gaussian) pairs with their sort keys, tile
 * ranges of the sorted pairs, and the tile blending kernel (one 16x16 block per
 * tile, Gaussians staged in shared memory 256 at a time) with the Taming
 * score sums reduced per warp before the atomics. */
#include "raster/cuda/raster_cuda_math.cuh"

/* One thread per Gaussian. Writes radius 0 and no pairs for a culled one. */
__global__ void rc_preprocess_kernel(size_t n, rc_params p, rc_view w, rc_gauss out) {
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n)
        return;
    out.radius[i] = 0;
    out.depth[i] = 0.0f;
    out.tiles[i] = 0;
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
    const float px = RC_ADD(RC_DIV(RC_MUL(w.fx, g.pv[0]), g.pv[2]), w.cx);
    const float py = RC_ADD(RC_DIV(RC_MUL(w.fy, g.pv[1]), g.pv[2]), w.cy);
    const float rf = (float)radius, tile = (float)TGS_TILE, tile1 = (float)(TGS_TILE - 1);
    int4 rc;
    rc.x = min(w.tiles_x, max(0, rc_f2i(RC_DIV(RC_SUB(px, rf), tile))));
    rc.y = min(w.tiles_y, max(0, rc_f2i(RC_DIV(RC_SUB(py, rf), tile))));
    rc.z = min(w.tiles_x, max(0, rc_f2i(RC_DIV(RC_ADD(RC_ADD(px, rf), tile1), tile))));
    rc.w = min(w.tiles_y, max(0, rc_f2i(RC_DIV(RC_ADD(RC_ADD(py, rf), tile1), tile))));
    if ((rc.z - rc.x) * (rc.w - rc.y) == 0)
        return;
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

/* One thread per Gaussian: its pairs, row by row of its tile rect, at its
 * offset of the inclusive sum (Gaussian index order, like the CPU). Key bits
 * 63..32 tile id, 31..0 the float bits of the depth (> 0.2: they order like
 * the values). */
__global__ void rc_duplicate_kernel(size_t n, rc_gauss g, int tiles_x, const unsigned long long *offsets,
                                    uint64_t *keys, uint32_t *vals) {
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n || g.radius[i] <= 0)
        return;
    const int4 rc = g.rect[i];
    const uint64_t dbits = (uint64_t)__float_as_uint(g.depth[i]);
    size_t o = i > 0 ? (size_t)offsets[i - 1] : 0;
    for (int ty = rc.y; ty < rc.w; ty++)
        for (int tx = rc.x; tx < rc.z; tx++) {
            const uint64_t tile = (uint64_t)ty * (uint64_t)tiles_x + (uint64_t)tx;
            keys[o] = (tile << 32) | dbits;
            vals[o] = (uint32_t)i;
            o++;
        }
}

void rc_launch_duplicate(size_t n, rc_gauss g, int tiles_x, const unsigned long long *offsets, uint64_t *keys,
                         uint32_t *vals) {
    if (n == 0)
        return;
    const unsigned threads = 256;
    rc_duplicate_kernel<<<(unsigned)((n + threads - 1) / threads), threads>>>(n, g, tiles_x, offsets, keys, vals);
}

/* One thread per sorted pair: the first and last pair of each tile mark its
 * [begin, end) (ranges are zeroed beforehand: empty tiles stay [0, 0)). */
__global__ void rc_ranges_kernel(size_t n_pairs, const uint64_t *keys, uint2 *ranges) {
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n_pairs)
        return;
    const uint32_t tile = (uint32_t)(keys[i] >> 32);
    if (i == 0 || (uint32_t)(keys[i - 1] >> 32) != tile)
        ranges[tile].x = (uint32_t)i;
    if (i == n_pairs - 1 || (uint32_t)(keys[i + 1] >> 32) != tile)
        ranges[tile].y = (uint32_t)(i + 1);
}

void rc_launch_ranges(size_t n_pairs, const uint64_t *keys, uint2 *ranges) {
    if (n_pairs == 0)
        return;
    const unsigned threads = 256;
    rc_ranges_kernel<<<(unsigned)((n_pairs + threads - 1) / threads), threads>>>(n_pairs, keys, ranges);
}

/* One block per 16x2 strip of a tile (RC_SPLIT), one thread per pixel. The
 * block walks its tile's depth-sorted list in batches of RC_BLOCK Gaussians
 * staged in shared memory; each pixel blends front to back as the CPU does and
 * stops before T would fall below 1e-4. n_contrib is the pixel's position in
 * the tile list after its last contribution (the backward starts there). All
 * threads, done or outside the image, run every batch so that the warp
 * reductions of the score sums see full warps. */
__global__ void __launch_bounds__(RC_BLOCK)
    rc_render_kernel(rc_view w, const uint2 *ranges, const uint32_t *vals, rc_gauss g, float *img, float *final_T,
                     uint32_t *n_contrib, const float *pixel_weight, float *score) {
    __shared__ uint32_t s_id[RC_BLOCK];
    __shared__ float2 s_xy[RC_BLOCK];
    __shared__ float4 s_co[RC_BLOCK];
    __shared__ float4 s_cp[RC_BLOCK]; /* rgb, pmin */
    const int tid = threadIdx.y * TGS_TILE + threadIdx.x, lane = tid & 31;
    const int tile_y = blockIdx.y / RC_SPLIT; /* blockIdx.y: tile row and sub-block */
    const int x = blockIdx.x * TGS_TILE + threadIdx.x,
              y = tile_y * TGS_TILE + (blockIdx.y % RC_SPLIT) * (TGS_TILE / RC_SPLIT) + threadIdx.y;
    const int inside = x < w.width && y < w.height;
    const size_t pix = (size_t)y * (size_t)w.width + (size_t)x;
    const uint2 range = ranges[tile_y * w.tiles_x + blockIdx.x];
    const int count = (int)(range.y - range.x);
    const float fx = (float)x, fy = (float)y;
    const float pw = (score && inside) ? pixel_weight[pix] : 0.0f;
    float T = 1.0f, C0 = 0.0f, C1 = 0.0f, C2 = 0.0f;
    uint32_t last = 0;
    int done = !inside;
    for (int base = 0; base < count; base += RC_BLOCK) {
        if (__syncthreads_count(done) == RC_BLOCK)
            break;
        if (base + tid < count) {
            const uint32_t gi = vals[range.x + base + tid];
            s_id[tid] = gi;
            s_xy[tid] = g.mean2d[gi];
            s_co[tid] = g.con_op[gi];
            s_cp[tid] = make_float4(g.rgb[3 * gi], g.rgb[3 * gi + 1], g.rgb[3 * gi + 2], g.pmin[gi]);
        }
        __syncthreads();
        const int batch = min(RC_BLOCK, count - base);
        for (int j = 0; j < batch; j++) {
            int hit = 0;
            float at = 0.0f, dist = 0.0f;
            if (!done) {
                const float2 xy = s_xy[j];
                const float4 co = s_co[j], cp = s_cp[j];
                const float dx = RC_SUB(xy.x, fx), dy = RC_SUB(xy.y, fy);
                float G, raw, alpha;
                if (rc_alpha(co, cp.w, dx, dy, w.exact, &G, &raw, &alpha)) {
                    float test_T = RC_MUL(T, RC_SUB(1.0f, alpha));
                    if (!w.exact && fabsf(test_T - RC_T_MIN) <= RC_NEAR_T * RC_T_MIN &&
                        rc_alpha(co, cp.w, dx, dy, 1, &G, &raw, &alpha))
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
                        last = (uint32_t)(base + j + 1);
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
    if (inside) {
        final_T[pix] = T;
        n_contrib[pix] = last;
        img[3 * pix] = RC_ADD(C0, RC_MUL(T, w.bg[0]));
        img[3 * pix + 1] = RC_ADD(C1, RC_MUL(T, w.bg[1]));
        img[3 * pix + 2] = RC_ADD(C2, RC_MUL(T, w.bg[2]));
    }
}

void rc_launch_render(rc_view w, const uint2 *ranges, const uint32_t *vals, rc_gauss g, float *img, float *final_T,
                      uint32_t *n_contrib, const float *pixel_weight, float *score) {
    const dim3 grid((unsigned)w.tiles_x, (unsigned)w.tiles_y * RC_SPLIT), block(TGS_TILE, TGS_TILE / RC_SPLIT);
    rc_render_kernel<<<grid, block>>>(w, ranges, vals, g, img, final_T, n_contrib, pixel_weight, score);
}
