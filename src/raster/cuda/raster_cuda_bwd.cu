/* raster_cuda_bwd.cu - backward stages of the CUDA rasteriser.
 *
 * Tile kernel: one warp per chunk of a tile's list (RC_CHUNK Gaussians; the
 * chunks of a long list run in parallel), each thread a pixel of each of the
 * tile's RC_SPLIT strips, walks the chunk back to front from the largest
 * n_contrib of the tile's pixels, starting from the state the forward kept
 * before the next chunk (one warp for the 8x8 tile sums each Gaussian's
 * gradients once, where a warp per 8x4 strip summed them twice and repeated
 * the shared reads); each pixel recovers T by division and
 * computes its gradients w.r.t. the Gaussian's colour and alpha as the CPU
 * does (at alpha clamped to 0.99: the gradient of opacity * G, or none with
 * tgs_view.alpha_clamp_exact), and from the alpha gradient the moments that
 * the opacity, conic and screen mean gradients are linear in (RC_ACC_*; the
 * per-Gaussian factors are applied once, in the preprocess backward: 11
 * instructions fewer a pixel and Gaussian). The 32 pixels of a
 * warp are summed with 12 shuffles (rc_warp_sum9) and nine lanes add the 9
 * sums to the Gaussian's accumulator with atomics: 32 times fewer atomics
 * than per pixel, and none for a warp whose pixels all skip the Gaussian (the
 * 12-shuffle sum measured 6% faster than nine butterflies on fox, 3% on lego,
 * H100). Then one thread per Gaussian chains the accumulated screen-space
 * gradients to its raw parameters (the CPU's preprocess_backward), and a
 * block per 128 Gaussians adds their SH rest coefficients' gradients. */
#include "optim/cuda/adam_update.cuh"
#include "raster/cuda/raster_cuda_math.cuh"

#if RC_BLOCK != 32
#error "the tile kernels are one warp a block (warp sums, __syncwarp)"
#endif

/* Sums the 9 gradient slots over the 32 lanes of a warp by halving: at each
 * xor step a lane keeps one half of its slots (the upper one when its lane
 * bit is set) and adds its partner's values of those slots: 5+3+2+1+1
 * shuffles instead of 9*5 for nine butterflies. Returns the total of slot
 * rc_sum9_slot(lane) in this lane. */
static __device__ __forceinline__ float rc_warp_sum9(const float *v /*[9]*/, int lane) {
    const unsigned full = 0xffffffffu;
    float a[5], b[3], c[2];
    const int b4 = (lane >> 4) & 1, b3 = (lane >> 3) & 1, b2 = (lane >> 2) & 1, b1 = (lane >> 1) & 1;
#pragma unroll
    for (int i = 0; i < 5; i++) { /* 9 slots -> 5: 0..4 | 5..8 */
        const float lo = v[i], hi = i + 5 < RC_ACC_N ? v[i + 5] : 0.0f;
        a[i] = (b4 ? hi : lo) + __shfl_xor_sync(full, b4 ? lo : hi, 16);
    }
#pragma unroll
    for (int i = 0; i < 3; i++) { /* 5 -> 3 */
        const float lo = a[i], hi = i + 3 < 5 ? a[i + 3] : 0.0f;
        b[i] = (b3 ? hi : lo) + __shfl_xor_sync(full, b3 ? lo : hi, 8);
    }
#pragma unroll
    for (int i = 0; i < 2; i++) { /* 3 -> 2 */
        const float lo = b[i], hi = i + 2 < 3 ? b[i + 2] : 0.0f;
        c[i] = (b2 ? hi : lo) + __shfl_xor_sync(full, b2 ? lo : hi, 4);
    }
    float d = (b1 ? c[1] : c[0]) + __shfl_xor_sync(full, b1 ? c[0] : c[1], 2); /* 2 -> 1 */
    return d + __shfl_xor_sync(full, d, 1);
}

/* The slot whose total rc_warp_sum9 leaves in `lane`, or -1 for the lanes that
 * hold padding or the second copy (bit 0 set): each slot has one lane. */
static __device__ __forceinline__ int rc_sum9_slot(int lane) {
    const int b4 = (lane >> 4) & 1, b3 = (lane >> 3) & 1, b2 = (lane >> 2) & 1, b1 = (lane >> 1) & 1;
    int m = RC_ACC_N; /* real slots in the kept part */
    m = b4 ? m - 5 : min(m, 5);
    m = b3 ? max(m - 3, 0) : min(m, 3);
    m = b2 ? max(m - 2, 0) : min(m, 2);
    m = b1 ? max(m - 1, 0) : min(m, 1);
    return m == 1 && !(lane & 1) ? 5 * b4 + 3 * b3 + 2 * b2 + b1 : -1;
}

/* The backward state of one pixel: T after the Gaussian being walked, the
 * loss gradient dC and D = dC . S, S the colour behind that Gaussian
 * (background included). The gradient of alpha needs S only through that dot
 * product, sum_ch dC_ch (c_ch T - S_ch / (1 - alpha)) = T (dC . c) - D / (1 -
 * alpha), and D steps with S: D += wgt (dC . c). One scalar instead of three
 * colour sums: nine instructions fewer a pixel and Gaussian, four registers
 * fewer a thread. */
typedef struct {
    float fy, T, D, dC[3];
    uint32_t last; /* list position after its last contribution (0: outside the image) */
} rc_bwd_pixel;

__global__ void __launch_bounds__(RC_BLOCK)
    rc_render_backward_kernel(rc_view w, const uint2 *ranges, const uint32_t *chunk_end, const uint32_t *vals,
                              rc_gauss g, rc_state st, const float *v_img, float *acc) {
    __shared__ uint32_t s_id[RC_BLOCK];
    __shared__ float2 s_xy[RC_BLOCK];
    __shared__ float4 s_co[RC_BLOCK];
    __shared__ float4 s_cp[RC_BLOCK]; /* rgb, pmin */
    int t, c;
    if (!rc_item_of(chunk_end, st.item_tile, w.vp.tiles_x * w.vp.tiles_y, blockIdx.x, &t, &c))
        return;
    const int tid = threadIdx.y * RC_TILE + threadIdx.x, lane = tid & 31;
    const uint2 range = ranges[t];
    const int start = c * RC_CHUNK, stop = min(start + RC_CHUNK, (int)(range.y - range.x));
    /* this thread's pixel in each strip of the tile; T after the chunk and the
     * colour behind it: the pixel's final ones if it took nothing from later
     * chunks, else the state before the next chunk (rc_state.ckpt) */
    rc_bwd_pixel q[RC_SPLIT];
    const float fx = (float)rc_pixel_of(w, t, 0).x; /* a thread's pixels share their column */
    uint32_t max_last = 0;
#pragma unroll
    for (int k = 0; k < RC_SPLIT; k++) {
        const rc_pixel p = rc_pixel_of(w, t, k);
        q[k].fy = (float)p.y;
        q[k].last = p.inside ? st.n_contrib[p.pix] : 0;
        const float4 fin = p.inside ? st.final[p.pix] : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        q[k].T = fin.w;
        float S[3];
        for (int ch = 0; ch < 3; ch++) {
            S[ch] = fin.w * w.bg[ch];
            q[k].dC[ch] = p.inside ? v_img[3 * p.pix + ch] : 0.0f;
        }
        if ((uint32_t)stop < q[k].last) {
            const float4 ck = st.ckpt[(size_t)(blockIdx.x + 1) * (RC_TILE * RC_TILE) + p.lp]; /* before chunk c + 1 */
            S[0] += fin.x - ck.x;
            S[1] += fin.y - ck.y;
            S[2] += fin.z - ck.z;
            q[k].T = ck.w;
        }
        q[k].D = q[k].dC[0] * S[0] + q[k].dC[1] * S[1] + q[k].dC[2] * S[2];
        max_last = max(max_last, q[k].last);
    }
    for (int off = 16; off > 0; off >>= 1)
        max_last = max(max_last, __shfl_xor_sync(0xffffffffu, max_last, off));
    const int end = min(stop, (int)max_last), m = end - start; /* the tile's Gaussians, back to front */
    const int slot = rc_sum9_slot(lane);

    /* the forward's software pipeline, back to front: item k is list position end - 1 - k */
    uint32_t gi = tid < m ? vals[range.x + (uint32_t)(end - 1 - tid)] : 0u;
    uint32_t gi_next = RC_BLOCK + tid < m ? vals[range.x + (uint32_t)(end - 1 - RC_BLOCK - tid)] : 0u;
    float2 f_xy = make_float2(0.0f, 0.0f);
    float4 f_co = make_float4(0.0f, 0.0f, 0.0f, 0.0f), f_cp = f_co;
    if (tid < m)
        rc_fetch_splat(g, gi, &f_xy, &f_co, &f_cp);
    for (int off = 0; off < m; off += RC_BLOCK) {
        const int batch = min(RC_BLOCK, m - off);
        __syncwarp(); /* the previous batch is no longer read */
        if (tid < batch) {
            s_id[tid] = gi;
            s_xy[tid] = f_xy;
            s_co[tid] = f_co;
            s_cp[tid] = f_cp;
        }
        __syncwarp();
        const int nk = off + RC_BLOCK + tid; /* this thread's item of the next batch */
        gi = gi_next;
        if (nk < m)
            rc_fetch_splat(g, gi, &f_xy, &f_co, &f_cp);
        gi_next = nk + RC_BLOCK < m ? vals[range.x + (uint32_t)(end - 1 - nk - RC_BLOCK)] : 0u;
        for (int j = 0; j < batch; j++) {
            const uint32_t jj = (uint32_t)(end - 1 - off - j);
            const float4 co = s_co[j], cp = s_cp[j];
            const float2 xy = s_xy[j];
            const rc_col kc = rc_col_of(co, RC_SUB(xy.x, fx));
            const float dx = kc.dx;
            float gr[RC_ACC_N];
            for (int k = 0; k < RC_ACC_N; k++)
                gr[k] = 0.0f;
            int hit = 0;
#pragma unroll
            for (int k = 0; k < RC_SPLIT; k++) {
                rc_bwd_pixel *P = &q[k];
                const float dy = RC_SUB(xy.y, P->fy);
                float G, raw, alpha;
                if (jj >= P->last || !rc_alpha(co, cp.w, kc, dy, w.exact, &G, &raw, &alpha))
                    continue;
                hit = 1;
                /* training: the fast reciprocal (2 ulp; ~6 instructions fewer a pixel and Gaussian than the
                 * correctly rounded division, and T is recovered from the chunk's state, <= RC_CHUNK steps) */
                const float inv = w.exact ? 1.0f / (1.0f - alpha) : __fdividef(1.0f, 1.0f - alpha);
                P->T = P->T * inv;
                const float wgt = alpha * P->T;
                const float K = P->dC[0] * cp.x + P->dC[1] * cp.y + P->dC[2] * cp.z; /* dC . colour */
                const float dL_dalpha = K * P->T - P->D * inv;
                P->D += K * wgt;
                for (int ch = 0; ch < 3; ch++)
                    gr[RC_ACC_RGB + ch] += wgt * P->dC[ch];
                if (!w.clamp_exact || raw < RC_ALPHA_MAX) { /* exactly, clamped alpha has no gradient */
                    const float o = G * dL_dalpha, odx = o * dx, ody = o * dy; /* the moments of RC_ACC_D1, D2 */
                    gr[RC_ACC_OP] += o;
                    gr[RC_ACC_D1] += odx;
                    gr[RC_ACC_D1 + 1] += ody;
                    gr[RC_ACC_D2] += odx * dx;
                    gr[RC_ACC_D2 + 1] += odx * dy;
                    gr[RC_ACC_D2 + 2] += ody * dy;
                }
            }
            if (__any_sync(0xffffffffu, hit)) { /* nine lanes add the warp's sums of the nine slots */
                const float sum = rc_warp_sum9(gr, lane);
                if (slot >= 0)
                    atomicAdd(acc + (size_t)RC_ACC_N * s_id[j] + slot, sum);
            }
        }
    }
}

void rc_launch_render_backward(rc_view w, const uint2 *ranges, const uint32_t *chunk_end, size_t max_chunks,
                               const uint32_t *vals, rc_gauss g, rc_state st, const float *v_img, float *acc) {
    if (max_chunks == 0)
        return;
    const dim3 block(RC_TILE, RC_TILE / RC_SPLIT); /* one warp, RC_SPLIT pixels a thread */
    rc_render_backward_kernel<<<(unsigned)max_chunks, block>>>(w, ranges, chunk_end, vals, g, st, v_img, acc);
}

/* The screen mean and conic gradients from a Gaussian's summed moments (acc,
 * RC_ACC_*) and its conic and opacity co: with dL/dpower = op o at each pixel,
 * power = -(c0 dx^2 + c2 dy^2) / 2 - c1 dx dy and d = mean2d - pixel. */
static __device__ __forceinline__ void rc_screen_grads(const float *acc /*[9]*/, float4 co, float *v_m2 /*[2]*/,
                                                       float *v_con /*[3]*/) {
    const float sx = acc[RC_ACC_D1], sy = acc[RC_ACC_D1 + 1];
    v_m2[0] = co.w * (-co.x * sx - co.y * sy);
    v_m2[1] = co.w * (-co.z * sy - co.y * sx);
    v_con[0] = co.w * -0.5f * acc[RC_ACC_D2];
    v_con[1] = co.w * -acc[RC_ACC_D2 + 1];
    v_con[2] = co.w * -0.5f * acc[RC_ACC_D2 + 2];
}

/* One thread per Gaussian: screen-space gradients (acc) -> raw parameters,
 * the CPU's preprocess_backward step for step. Adds to the gradients. Longer
 * than a helper should be: the whole chain stays in one body so that its
 * intermediates (SH basis, covariances, Jacobian) live in registers; split into
 * __device__ functions the compiler spilled them to local memory. */
__global__ void rc_preprocess_backward_kernel(size_t n, rc_params p, rc_view w, rc_gauss gs, const float *accs,
                                              rc_grads gr, float *v_mean2d) {
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n)
        return;
    if (gs.radius[i] == 0) {
        if (v_mean2d)
            v_mean2d[2 * i] = v_mean2d[2 * i + 1] = 0.0f;
        return;
    }
    float acc[RC_ACC_N];
    for (int k = 0; k < RC_ACC_N; k++)
        acc[k] = accs[(size_t)RC_ACC_N * i + k];
    float v_m2[2], v_con[3];
    rc_screen_grads(acc, gs.con_op[i], v_m2, v_con);
    if (v_mean2d) {
        v_mean2d[2 * i] = v_m2[0] * 0.5f * (float)w.vp.width;
        v_mean2d[2 * i + 1] = v_m2[1] * 0.5f * (float)w.vp.height;
    }
    rc_geom g;
    rc_geometry(&p, &w, i, &g);
    const float *m = p.means + 3 * i;
    const int deg = w.sh_degree, k_rest = p.k_rest;
    float v_mean[3] = {0.0f, 0.0f, 0.0f};

    /* opacity */
    const float o = p.opacity[i];
    if (w.opacity_abs) {
        gr.opacity[i] += acc[RC_ACC_OP] * (o > 0.0f ? 1.0f : (o < 0.0f ? -1.0f : 0.0f));
    } else {
        const float sg = 1.0f / (1.0f + expf(-o));
        gr.opacity[i] += acc[RC_ACC_OP] * sg * (1.0f - sg);
    }

    /* colour -> SH and view direction */
    float dir[3], len, basis[16], dbasis[16][3];
    rc_view_dir(m, &w, dir, &len);
    rc_sh_basis(deg, dir[0], dir[1], dir[2], basis, dbasis);
    const int nb = (deg + 1) * (deg + 1);
    float v_res[3];
    for (int ch = 0; ch < 3; ch++)
        v_res[ch] = gs.clamped[3 * i + ch] ? 0.0f : acc[RC_ACC_RGB + ch];
    for (int ch = 0; ch < 3; ch++)
        gr.dc[3 * i + ch] += basis[0] * v_res[ch];
    float v_dir[3] = {0.0f, 0.0f, 0.0f};
    const float *rest = p.rest + (size_t)3 * k_rest * i; /* dL/drest: rc_sh_rest_backward_kernel */
    /* constant trip count (unrolled): basis and dbasis stay in registers */
#pragma unroll
    for (int k = 1; k < 16; k++) {
        if (k >= nb || k > k_rest)
            break;
#pragma unroll
        for (int ch = 0; ch < 3; ch++) {
            const float coef = rest[3 * (k - 1) + ch] * v_res[ch];
            for (int d = 0; d < 3; d++)
                v_dir[d] += coef * dbasis[k][d];
        }
    }
    if (len > 0.0f) {
        const float dd = dir[0] * v_dir[0] + dir[1] * v_dir[1] + dir[2] * v_dir[2], ilen = 1.0f / len;
        for (int d = 0; d < 3; d++)
            v_mean[d] += (v_dir[d] - dir[d] * dd) * ilen;
    }

    /* screen mean -> view-space mean */
    /* reciprocals once: a correctly rounded division is ~10 instructions, and
     * this chain had twenty (the gradients agree with the CPU to 1e-3, not
     * bit for bit) */
    const float itz = 1.0f / g.pv[2], itz2 = itz * itz, itz3 = itz2 * itz;
    float v_pv[3];
    v_pv[0] = v_m2[0] * w.vp.fx * itz;
    v_pv[1] = v_m2[1] * w.vp.fy * itz;
    v_pv[2] = -v_m2[0] * w.vp.fx * g.pv[0] * itz2 - v_m2[1] * w.vp.fy * g.pv[1] * itz2;

    /* conic -> 2D covariance a b c, in double as on the CPU (raster_impl.h):
     * for long thin splats float would amplify the summation-order rounding
     * of the conic gradients */
    const double a = g.cov[0], b = g.cov[1], cc = g.cov[2];
    const double det = a * cc - b * b, idet2 = 1.0 / (det * det);
    const double vA = v_con[0], vB = v_con[1], vC = v_con[2];
    const float v_a = (float)((-cc * cc * vA + b * cc * vB - b * b * vC) * idet2);
    const float v_b = (float)((2.0 * b * cc * vA - (a * cc + b * b) * vB + 2.0 * a * b * vC) * idet2);
    const float v_c = (float)((-b * b * vA + a * b * vB - a * a * vC) * idet2);

    /* 2D covariance = T Sig T^T: dT = 2 G T Sig, dSig = T^T G T, G = [[v_a, v_b/2], [v_b/2, v_c]] */
    const float *T0 = g.T, *T1 = g.T + 3, *S = g.Sig;
    const float Gm[4] = {v_a, 0.5f * v_b, 0.5f * v_b, v_c};
    float GT[6];
    for (int k = 0; k < 3; k++) {
        GT[k] = Gm[0] * T0[k] + Gm[1] * T1[k];
        GT[3 + k] = Gm[2] * T0[k] + Gm[3] * T1[k];
    }
    const float Sf[9] = {S[0], S[1], S[2], S[1], S[3], S[4], S[2], S[4], S[5]};
    float dT[6];
    for (int r = 0; r < 2; r++)
        for (int k = 0; k < 3; k++)
            dT[3 * r + k] = 2.0f * (GT[3 * r] * Sf[k] + GT[3 * r + 1] * Sf[3 + k] + GT[3 * r + 2] * Sf[6 + k]);
    float dSig[9];
    for (int r = 0; r < 3; r++)
        for (int k = 0; k < 3; k++)
            dSig[3 * r + k] = T0[r] * GT[k] + T1[r] * GT[3 + k];

    /* T = J Rview -> dJ (J00, J02, J11, J12) -> view-space mean */
    const float *Rv = w.vp.Rv;
    const float vJ00 = dT[0] * Rv[0] + dT[1] * Rv[1] + dT[2] * Rv[2];
    const float vJ02 = dT[0] * Rv[6] + dT[1] * Rv[7] + dT[2] * Rv[8];
    const float vJ11 = dT[3] * Rv[3] + dT[4] * Rv[4] + dT[5] * Rv[5];
    const float vJ12 = dT[3] * Rv[6] + dT[4] * Rv[7] + dT[5] * Rv[8];
    v_pv[2] += -w.vp.fx * itz2 * vJ00 - w.vp.fy * itz2 * vJ11;
    if (g.clamp_x) {
        v_pv[2] += w.vp.fx * g.tx * itz3 * vJ02;
    } else {
        v_pv[0] += -w.vp.fx * itz2 * vJ02;
        v_pv[2] += 2.0f * w.vp.fx * g.tx * itz3 * vJ02;
    }
    if (g.clamp_y) {
        v_pv[2] += w.vp.fy * g.ty * itz3 * vJ12;
    } else {
        v_pv[1] += -w.vp.fy * itz2 * vJ12;
        v_pv[2] += 2.0f * w.vp.fy * g.ty * itz3 * vJ12;
    }
    for (int d = 0; d < 3; d++)
        v_mean[d] += Rv[d] * v_pv[0] + Rv[3 + d] * v_pv[1] + Rv[6 + d] * v_pv[2];
    for (int d = 0; d < 3; d++)
        gr.means[3 * i + d] += v_mean[d];

    /* Sig = M M^T, M = Rq diag(s): dM = 2 dSig M (dSig symmetric) */
    float dM[9];
    for (int r = 0; r < 3; r++)
        for (int k = 0; k < 3; k++)
            dM[3 * r + k] = 2.0f * (dSig[3 * r] * g.M[k] + dSig[3 * r + 1] * g.M[3 + k] + dSig[3 * r + 2] * g.M[6 + k]);
    float dR[9];
    for (int k = 0; k < 3; k++) {
        const float vs = dM[k] * g.Rq[k] + dM[3 + k] * g.Rq[3 + k] + dM[6 + k] * g.Rq[6 + k];
        gr.scale[3 * i + k] += vs * g.s[k];
        for (int r = 0; r < 3; r++)
            dR[3 * r + k] = dM[3 * r + k] * g.s[k];
    }
    /* rotation matrix -> normalised quaternion -> raw quaternion */
    const float qw = g.qn[0], qx = g.qn[1], qy = g.qn[2], qz = g.qn[3];
    float vq[4];
    vq[0] = 2.0f * (-qz * dR[1] + qy * dR[2] + qz * dR[3] - qx * dR[5] - qy * dR[6] + qx * dR[7]);
    vq[1] = 2.0f * (qy * dR[1] + qz * dR[2] + qy * dR[3] - 2.0f * qx * dR[4] - qw * dR[5] + qz * dR[6] +
                    qw * dR[7] - 2.0f * qx * dR[8]);
    vq[2] = 2.0f * (-2.0f * qy * dR[0] + qx * dR[1] + qw * dR[2] + qx * dR[3] + qz * dR[5] - qw * dR[6] +
                    qz * dR[7] - 2.0f * qy * dR[8]);
    vq[3] = 2.0f * (-2.0f * qz * dR[0] - qw * dR[1] + qx * dR[2] + qw * dR[3] - 2.0f * qz * dR[4] + qy * dR[5] +
                    qx * dR[6] + qy * dR[7]);
    const float qd = qw * vq[0] + qx * vq[1] + qy * vq[2] + qz * vq[3], iq = 1.0f / g.qlen;
    for (int k = 0; k < 4; k++)
        gr.rot[4 * i + k] += (vq[k] - g.qn[k] * qd) * iq;
}

/* SH rest gradients: dL/drest += basis_k(dir_i) * dL/dcolour_ch, as the CPU,
 * for the RC_REST_G Gaussians of a block. First one thread per Gaussian puts
 * its basis and colour gradient in shared memory (its direction and basis
 * computed once, not once per coefficient: a thread per coefficient that
 * recomputed them took 3.7x longer at 1M Gaussians, 6.8x the time its bytes
 * need), then the block walks the Gaussians' coefficients in memory order, so
 * that the gradient's read-modify-write is coalesced. Invisible Gaussians,
 * clamped channels and coefficients above the active degree are not touched.
 * STEP: instead of adding the gradient, the coefficients take the Adam step
 * with it (0 where untouched above), all rows or (sparse) the visible ones:
 * the parameters and moments move once, the gradient not at all (DESIGN §5). */
#define RC_REST_G 128
#define RC_REST_UNROLL 4 /* coefficients a thread loads before it steps them */
template <bool STEP>
__global__ void __launch_bounds__(RC_REST_G)
    rc_sh_rest_backward_kernel(size_t n, rc_params p, rc_view w, rc_gauss gs, const float *accs, float *v_rest,
                               rc_rest_step rs) {
    __shared__ float s_b[RC_REST_G][16];     /* basis of each Gaussian (entry 0 unused) */
    __shared__ float s_v[RC_REST_G][3];      /* dL/dcolour */
    __shared__ uint8_t s_skip[RC_REST_G][3]; /* not visible, or the channel clamped */
    __shared__ uint8_t s_vis[RC_REST_G];
    const size_t first = (size_t)blockIdx.x * RC_REST_G;
    const int t = threadIdx.x, deg = w.sh_degree, nb = (deg + 1) * (deg + 1);
    const size_t i = first + (size_t)t;
    if (i < n) {
        const int vis = gs.radius[i] != 0;
        s_vis[t] = (uint8_t)vis;
        for (int ch = 0; ch < 3; ch++) {
            s_skip[t][ch] = !vis || gs.clamped[3 * i + ch];
            s_v[t][ch] = vis ? accs[(size_t)RC_ACC_N * i + RC_ACC_RGB + ch] : 0.0f;
        }
        if (vis) {
            float dir[3], len, basis[16];
            rc_view_dir(p.means + 3 * i, &w, dir, &len);
            rc_sh_basis(deg, dir[0], dir[1], dir[2], basis, NULL);
#pragma unroll
            for (int q = 0; q < 16; q++) /* constant indices: basis stays in registers */
                s_b[t][q] = basis[q];
        }
    }
    __syncthreads();
    const unsigned width = 3u * (unsigned)p.k_rest;
    const unsigned count = (unsigned)(n - first < RC_REST_G ? n - first : RC_REST_G) * width;
    const size_t base = first * width;
    if (!STEP) {
        float *out = v_rest + base;
        for (unsigned e = (unsigned)t; e < count; e += RC_REST_G) {
            const unsigned g = e / width, r = e - g * width, k = r / 3 + 1, ch = r - (k - 1) * 3;
            if ((int)k >= nb || s_skip[g][ch])
                continue;
            out[e] += s_b[g][k] * s_v[g][ch];
        }
    } else {
        /* each thread loads RC_REST_UNROLL coefficients' parameter and moments before stepping any, as the Adam
         * kernel does */
        for (unsigned e0 = (unsigned)t; e0 < count; e0 += RC_REST_UNROLL * RC_REST_G) {
            float gv[RC_REST_UNROLL], mv[RC_REST_UNROLL], vv[RC_REST_UNROLL], pv[RC_REST_UNROLL];
            bool live[RC_REST_UNROLL];
#pragma unroll
            for (int u = 0; u < RC_REST_UNROLL; u++) {
                const unsigned e = e0 + u * RC_REST_G;
                const unsigned g = e / width, r = e - g * width, k = r / 3 + 1, ch = r - (k - 1) * 3;
                live[u] = e < count && (!rs.sparse || s_vis[g]);
                gv[u] = live[u] && (int)k < nb && !s_skip[g][ch] ? s_b[g][k] * s_v[g][ch] : 0.0f;
                mv[u] = live[u] ? rs.m[base + e] : 0.0f;
                vv[u] = live[u] ? rs.v[base + e] : 0.0f;
                pv[u] = live[u] ? rs.params[base + e] : 0.0f;
            }
#pragma unroll
            for (int u = 0; u < RC_REST_UNROLL; u++) {
                if (!live[u])
                    continue;
                const size_t e = base + e0 + u * RC_REST_G;
                tgs_adam_update(rs.c, gv[u], mv[u], vv[u], pv[u]);
                rs.m[e] = mv[u];
                rs.v[e] = vv[u];
                rs.params[e] = pv[u];
            }
        }
    }
}

void rc_launch_preprocess_backward(size_t n, rc_params p, rc_view w, rc_gauss g, const float *acc, rc_grads gr,
                                   const rc_rest_step *rest, float *v_mean2d) {
    if (n == 0)
        return;
    const unsigned threads = 128;
    rc_preprocess_backward_kernel<<<(unsigned)((n + threads - 1) / threads), threads>>>(n, p, w, g, acc, gr,
                                                                                        v_mean2d);
    const unsigned blocks = (unsigned)((n + RC_REST_G - 1) / RC_REST_G);
    if (p.k_rest > 0 && rest) /* at active degree 0 too: every coefficient steps with gradient 0 */
        rc_sh_rest_backward_kernel<true><<<blocks, RC_REST_G>>>(n, p, w, g, acc, NULL, *rest);
    else if (p.k_rest > 0 && w.sh_degree > 0 && gr.rest) /* no buffer: the gradient is not kept */
        rc_sh_rest_backward_kernel<false><<<blocks, RC_REST_G>>>(n, p, w, g, acc, gr.rest, rc_rest_step());
}
