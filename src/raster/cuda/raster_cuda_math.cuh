/* raster_cuda_math.cuh - device math of the CUDA rasteriser, mirroring
 * src/raster/cpu/raster_impl.h operation for operation.
 *
 * The CPU float code runs in strict IEEE single precision (no fused
 * multiply-add on baseline x86-64, C evaluation order) with correctly rounded
 * glibc expf/logf. Where a result feeds a discrete decision (culling, radius,
 * tile rect, depth order, alpha >= 1/255, alpha clamp at 0.99, T >= 1e-4) the
 * device code below reproduces that arithmetic exactly: RC_MUL/RC_ADD/RC_SUB
 * are never contracted into FMA, exp/log of the preprocess go through double
 * and round once, and the per-pixel exp (__expf, < 1e-6 relative error over
 * the range that passes the alpha test) is recomputed through double
 * whenever the value lies within that error of a threshold.
 * Gradient arithmetic is not decision-making and uses ordinary expressions. */
#ifndef TGS_RASTER_CUDA_MATH_CUH
#define TGS_RASTER_CUDA_MATH_CUH

#include "raster/cuda/raster_cuda_internal.h"

#include <limits.h>

#define RC_MUL(a, b) __fmul_rn((a), (b))
#define RC_ADD(a, b) __fadd_rn((a), (b))
#define RC_SUB(a, b) __fsub_rn((a), (b))
#define RC_DIV(a, b) __fdiv_rn((a), (b))

#define RC_ALPHA_MIN ((float)(1.0 / 255.0))
#define RC_ALPHA_MAX 0.99f
#define RC_T_MIN 0.0001f
#define RC_NEAR 4e-6f /* relative window around an alpha threshold where exp is recomputed exactly */
/* relative window around T = 1e-4: 1 - alpha carries the exp error times
 * alpha / (1 - alpha), up to 99 times it at the clamp */
#define RC_NEAR_T 1e-4f

/* Single-precision exp and log rounded once from double: equal to the
 * correctly rounded values glibc's expf/logf return. */
static __device__ __forceinline__ float rc_exp(float x) { return (float)exp((double)x); }
static __device__ __forceinline__ float rc_log(float x) { return (float)log((double)x); }

/* float -> int truncation as x86 cvttss2si does it (out of range or NaN -> INT_MIN). */
static __device__ __forceinline__ int rc_f2i(float x) {
    return (x > -2147483648.0f && x < 2147483648.0f) ? (int)x : INT_MIN;
}

/* SH basis b[16] in direction (x,y,z) for degree deg (values in CPU order of
 * operations) and, if db != NULL, its gradients db[16][3] w.r.t. the direction. */
static __device__ __forceinline__ void rc_sh_basis(int deg, float x, float y, float z, float *b, float (*db)[3]) {
    const float C1 = (float)0.4886025119029199;
    const float C20 = (float)1.0925484305920792, C21 = (float)-1.0925484305920792,
                C22 = (float)0.31539156525252005, C23 = (float)-1.0925484305920792,
                C24 = (float)0.5462742152960396;
    const float C30 = (float)-0.5900435899266435, C31 = (float)2.890611442640554,
                C32 = (float)-0.4570457994644658, C33 = (float)0.3731763325901154,
                C34 = (float)-0.4570457994644658, C35 = (float)1.445305721320277,
                C36 = (float)-0.5900435899266435;
    b[0] = (float)TGS_SH_C0;
    if (db)
        db[0][0] = db[0][1] = db[0][2] = 0.0f;
    if (deg < 1)
        return;
    b[1] = RC_MUL(-C1, y);
    b[2] = RC_MUL(C1, z);
    b[3] = RC_MUL(-C1, x);
    if (db) {
        db[1][0] = 0.0f, db[1][1] = -C1, db[1][2] = 0.0f;
        db[2][0] = 0.0f, db[2][1] = 0.0f, db[2][2] = C1;
        db[3][0] = -C1, db[3][1] = 0.0f, db[3][2] = 0.0f;
    }
    if (deg < 2)
        return;
    const float xx = RC_MUL(x, x), yy = RC_MUL(y, y), zz = RC_MUL(z, z);
    const float xy = RC_MUL(x, y), yz = RC_MUL(y, z), xz = RC_MUL(x, z);
    b[4] = RC_MUL(C20, xy);
    b[5] = RC_MUL(C21, yz);
    b[6] = RC_MUL(C22, RC_SUB(RC_SUB(RC_MUL(2.0f, zz), xx), yy));
    b[7] = RC_MUL(C23, xz);
    b[8] = RC_MUL(C24, RC_SUB(xx, yy));
    if (db) {
        db[4][0] = C20 * y, db[4][1] = C20 * x, db[4][2] = 0.0f;
        db[5][0] = 0.0f, db[5][1] = C21 * z, db[5][2] = C21 * y;
        db[6][0] = C22 * -2.0f * x, db[6][1] = C22 * -2.0f * y, db[6][2] = C22 * 4.0f * z;
        db[7][0] = C23 * z, db[7][1] = 0.0f, db[7][2] = C23 * x;
        db[8][0] = C24 * 2.0f * x, db[8][1] = C24 * -2.0f * y, db[8][2] = 0.0f;
    }
    if (deg < 3)
        return;
    b[9] = RC_MUL(RC_MUL(C30, y), RC_SUB(RC_MUL(3.0f, xx), yy));
    b[10] = RC_MUL(RC_MUL(C31, xy), z);
    b[11] = RC_MUL(RC_MUL(C32, y), RC_SUB(RC_SUB(RC_MUL(4.0f, zz), xx), yy));
    b[12] = RC_MUL(RC_MUL(C33, z), RC_SUB(RC_SUB(RC_MUL(2.0f, zz), RC_MUL(3.0f, xx)), RC_MUL(3.0f, yy)));
    b[13] = RC_MUL(RC_MUL(C34, x), RC_SUB(RC_SUB(RC_MUL(4.0f, zz), xx), yy));
    b[14] = RC_MUL(RC_MUL(C35, z), RC_SUB(xx, yy));
    b[15] = RC_MUL(RC_MUL(C36, x), RC_SUB(xx, RC_MUL(3.0f, yy)));
    if (db) {
        db[9][0] = C30 * 6.0f * xy, db[9][1] = C30 * 3.0f * (xx - yy), db[9][2] = 0.0f;
        db[10][0] = C31 * yz, db[10][1] = C31 * xz, db[10][2] = C31 * xy;
        db[11][0] = C32 * -2.0f * xy, db[11][1] = C32 * (4.0f * zz - xx - 3.0f * yy), db[11][2] = C32 * 8.0f * yz;
        db[12][0] = C33 * -6.0f * xz, db[12][1] = C33 * -6.0f * yz,
        db[12][2] = C33 * (6.0f * zz - 3.0f * xx - 3.0f * yy);
        db[13][0] = C34 * (4.0f * zz - 3.0f * xx - yy), db[13][1] = C34 * -2.0f * xy, db[13][2] = C34 * 8.0f * xz;
        db[14][0] = C35 * 2.0f * xz, db[14][1] = C35 * -2.0f * yz, db[14][2] = C35 * (xx - yy);
        db[15][0] = C36 * 3.0f * (xx - yy), db[15][1] = C36 * -6.0f * xy, db[15][2] = 0.0f;
    }
}

/* Unit viewing direction from the camera centre to mean m; len its length. */
static __device__ __forceinline__ void rc_view_dir(const float *m, const rc_view *w, float *dir, float *len) {
    dir[0] = RC_SUB(m[0], w->vp.campos[0]);
    dir[1] = RC_SUB(m[1], w->vp.campos[1]);
    dir[2] = RC_SUB(m[2], w->vp.campos[2]);
    *len = __fsqrt_rn(RC_ADD(RC_ADD(RC_MUL(dir[0], dir[0]), RC_MUL(dir[1], dir[1])), RC_MUL(dir[2], dir[2])));
    if (*len > 0.0f)
        for (int k = 0; k < 3; k++)
            dir[k] = RC_DIV(dir[k], *len);
}

/* Quantities of one Gaussian in one view shared by forward and backward. */
typedef struct {
    float qn[4], qlen; /* normalised quaternion and the raw length */
    float s[3];        /* exp(scale_raw) */
    float Rq[9];       /* rotation of qn */
    float M[9];        /* Rq * diag(s) */
    float Sig[6];      /* 3D covariance xx xy xz yy yz zz */
    float pv[3];       /* view-space mean */
    float T[6];        /* J * Rview, 2x3 */
    int clamp_x, clamp_y;
    float tx, ty;      /* clamped view x, y used in J */
    float cov[3];      /* a b c of the 2D covariance (with the 0.3 low-pass) */
} rc_geom;

/* Dot product of 3 terms, left to right, not contracted. */
static __device__ __forceinline__ float rc_dot3(float a0, float b0, float a1, float b1, float a2, float b2) {
    return RC_ADD(RC_ADD(RC_MUL(a0, b0), RC_MUL(a1, b1)), RC_MUL(a2, b2));
}

/* Geometry of Gaussian i; returns 0 if culled by depth or a degenerate quaternion. */
static __device__ __forceinline__ int rc_geometry(const rc_params *p, const rc_view *w, size_t i, rc_geom *g) {
    const float m0 = p->means[3 * i], m1 = p->means[3 * i + 1], m2 = p->means[3 * i + 2];
    for (int r = 0; r < 3; r++)
        g->pv[r] = RC_ADD(rc_dot3(w->vp.Rv[3 * r], m0, w->vp.Rv[3 * r + 1], m1, w->vp.Rv[3 * r + 2], m2), w->vp.tv[r]);
    if (g->pv[2] <= 0.2f)
        return 0;
    const float *q = p->rot + 4 * i;
    const float q0 = q[0], q1 = q[1], q2 = q[2], q3 = q[3];
    g->qlen = __fsqrt_rn(RC_ADD(rc_dot3(q0, q0, q1, q1, q2, q2), RC_MUL(q3, q3)));
    if (!(g->qlen > 0.0f))
        return 0;
    g->qn[0] = RC_DIV(q0, g->qlen);
    g->qn[1] = RC_DIV(q1, g->qlen);
    g->qn[2] = RC_DIV(q2, g->qlen);
    g->qn[3] = RC_DIV(q3, g->qlen);
    {
        const float qw = g->qn[0], x = g->qn[1], y = g->qn[2], z = g->qn[3];
        float *Rm = g->Rq;
        Rm[0] = RC_SUB(1.0f, RC_MUL(2.0f, RC_ADD(RC_MUL(y, y), RC_MUL(z, z))));
        Rm[1] = RC_MUL(2.0f, RC_SUB(RC_MUL(x, y), RC_MUL(qw, z)));
        Rm[2] = RC_MUL(2.0f, RC_ADD(RC_MUL(x, z), RC_MUL(qw, y)));
        Rm[3] = RC_MUL(2.0f, RC_ADD(RC_MUL(x, y), RC_MUL(qw, z)));
        Rm[4] = RC_SUB(1.0f, RC_MUL(2.0f, RC_ADD(RC_MUL(x, x), RC_MUL(z, z))));
        Rm[5] = RC_MUL(2.0f, RC_SUB(RC_MUL(y, z), RC_MUL(qw, x)));
        Rm[6] = RC_MUL(2.0f, RC_SUB(RC_MUL(x, z), RC_MUL(qw, y)));
        Rm[7] = RC_MUL(2.0f, RC_ADD(RC_MUL(y, z), RC_MUL(qw, x)));
        Rm[8] = RC_SUB(1.0f, RC_MUL(2.0f, RC_ADD(RC_MUL(x, x), RC_MUL(y, y))));
    }
    for (int k = 0; k < 3; k++)
        g->s[k] = rc_exp(p->scale[3 * i + k]);
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++)
            g->M[3 * r + c] = RC_MUL(g->Rq[3 * r + c], g->s[c]);
    const float *M = g->M;
    g->Sig[0] = rc_dot3(M[0], M[0], M[1], M[1], M[2], M[2]);
    g->Sig[1] = rc_dot3(M[0], M[3], M[1], M[4], M[2], M[5]);
    g->Sig[2] = rc_dot3(M[0], M[6], M[1], M[7], M[2], M[8]);
    g->Sig[3] = rc_dot3(M[3], M[3], M[4], M[4], M[5], M[5]);
    g->Sig[4] = rc_dot3(M[3], M[6], M[4], M[7], M[5], M[8]);
    g->Sig[5] = rc_dot3(M[6], M[6], M[7], M[7], M[8], M[8]);

    const float tz = g->pv[2];
    const float txtz = RC_DIV(g->pv[0], tz), tytz = RC_DIV(g->pv[1], tz);
    g->clamp_x = txtz < -w->vp.limx || txtz > w->vp.limx;
    g->clamp_y = tytz < -w->vp.limy || tytz > w->vp.limy;
    g->tx = RC_MUL(fminf(w->vp.limx, fmaxf(-w->vp.limx, txtz)), tz);
    g->ty = RC_MUL(fminf(w->vp.limy, fmaxf(-w->vp.limy, tytz)), tz);
    const float tz2 = RC_MUL(tz, tz);
    const float J00 = RC_DIV(w->vp.fx, tz), J02 = RC_DIV(RC_MUL(-w->vp.fx, g->tx), tz2);
    const float J11 = RC_DIV(w->vp.fy, tz), J12 = RC_DIV(RC_MUL(-w->vp.fy, g->ty), tz2);
    for (int k = 0; k < 3; k++) {
        g->T[k] = RC_ADD(RC_MUL(J00, w->vp.Rv[k]), RC_MUL(J02, w->vp.Rv[6 + k]));
        g->T[3 + k] = RC_ADD(RC_MUL(J11, w->vp.Rv[3 + k]), RC_MUL(J12, w->vp.Rv[6 + k]));
    }
    /* cov2D = T Sig T^T */
    const float *S = g->Sig, *T0 = g->T, *T1 = g->T + 3;
    const float ST00 = rc_dot3(S[0], T0[0], S[1], T0[1], S[2], T0[2]);
    const float ST01 = rc_dot3(S[1], T0[0], S[3], T0[1], S[4], T0[2]);
    const float ST02 = rc_dot3(S[2], T0[0], S[4], T0[1], S[5], T0[2]);
    const float ST10 = rc_dot3(S[0], T1[0], S[1], T1[1], S[2], T1[2]);
    const float ST11 = rc_dot3(S[1], T1[0], S[3], T1[1], S[4], T1[2]);
    const float ST12 = rc_dot3(S[2], T1[0], S[4], T1[1], S[5], T1[2]);
    g->cov[0] = RC_ADD(rc_dot3(T0[0], ST00, T0[1], ST01, T0[2], ST02), 0.3f);
    g->cov[1] = rc_dot3(T0[0], ST10, T0[1], ST11, T0[2], ST12);
    g->cov[2] = RC_ADD(rc_dot3(T1[0], ST10, T1[1], ST11, T1[2], ST12), 0.3f);
    return 1;
}

/* The terms of a Gaussian's power that depend only on dx = mean.x - pixel.x:
 * the pixels of a thread share their column, so they are computed once per
 * Gaussian for all of them (the same products, in the CPU's order). */
typedef struct {
    float dx, cxx, cyx; /* dx, co.x dx dx, co.y dx */
} rc_col;

static __device__ __forceinline__ rc_col rc_col_of(float4 co, float dx) {
    rc_col k;
    k.dx = dx;
    k.cxx = RC_MUL(RC_MUL(co.x, dx), dx);
    k.cyx = RC_MUL(co.y, dx);
    return k;
}

/* Alpha of a Gaussian (conic and opacity co, threshold pmin) at a pixel with
 * d = mean - pixel (its column terms in k), exactly as the CPU blends. Returns
 * 0 when the pair is skipped (power > 0, power < pmin or alpha < 1/255); else
 * G = exp(power), raw = opacity * G and alpha = min(raw, 0.99). With exact !=
 * 0, exp is always the correctly rounded one. */
static __device__ __forceinline__ int rc_alpha(float4 co, float pmin, const rc_col &k, float dy, int exact, float *G,
                                               float *raw, float *alpha) {
    const float power = RC_SUB(RC_MUL(-0.5f, RC_ADD(k.cxx, RC_MUL(RC_MUL(co.z, dy), dy))), RC_MUL(k.cyx, dy));
    if (power > 0.0f || power < pmin)
        return 0;
    float e = exact ? rc_exp(power) : __expf(power); /* < 1e-6 relative error for power in [-6, 0] */
    float r = RC_MUL(co.w, e);
    if (!exact && (fabsf(r - RC_ALPHA_MIN) <= RC_NEAR * RC_ALPHA_MIN || fabsf(r - RC_ALPHA_MAX) <= RC_NEAR)) {
        e = rc_exp(power);
        r = RC_MUL(co.w, e);
    }
    const float a = r < RC_ALPHA_MAX ? r : RC_ALPHA_MAX;
    if (a < RC_ALPHA_MIN)
        return 0;
    *G = e;
    *raw = r;
    *alpha = a;
    return 1;
}

/* The blending data of Gaussian gi: screen mean, conic and opacity, rgb and
 * power threshold. */
static __device__ __forceinline__ void rc_fetch_splat(const rc_gauss &g, uint32_t gi, float2 *xy, float4 *co,
                                                      float4 *cp) {
    *xy = g.mean2d[gi];
    *co = g.con_op[gi];
    *cp = make_float4(g.rgb[3 * gi], g.rgb[3 * gi + 1], g.rgb[3 * gi + 2], g.pmin[gi]);
}

/* The first k in [0, n) with a[k] > v, for a non-decreasing a whose last
 * element is > v (binary search). */
template <typename T> static __device__ __forceinline__ size_t rc_first_above(const T *a, size_t n, T v) {
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        const size_t mid = (lo + hi) >> 1;
        if (a[mid] > v)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Work item `item` of the chunked kernels: chunk *c of tile *t, where
 * chunk_end (the inclusive sum of the tiles' chunk counts) has chunk_end[t-1]
 * <= item < chunk_end[t], and item_tile (rc_launch_item_tiles) holds t. 0
 * for the items past the last (the grids are sized by a bound). A binary search
 * of chunk_end instead was ~13 dependent loads at the start of every block:
 * most blocks of the re-walk have no pixel to walk and only wait on it. */
static __device__ __forceinline__ int rc_item_of(const uint32_t *chunk_end, const uint32_t *item_tile, int n_tiles,
                                                 uint32_t item, int *t, int *c) {
    if (item >= chunk_end[n_tiles - 1])
        return 0;
    *t = (int)item_tile[item];
    *c = (int)(item - (*t > 0 ? chunk_end[*t - 1] : 0u));
    return 1;
}

/* The pixel of this thread in tile t: block row `sub` of the tile's RC_SPLIT,
 * lp its index in the tile's RC_TILE x RC_TILE pixels. */
typedef struct {
    int x, y, lp, inside;
    size_t pix;
} rc_pixel;

static __device__ __forceinline__ rc_pixel rc_pixel_of(const rc_view &w, int t, int sub) {
    rc_pixel p;
    const int ly = sub * (RC_TILE / RC_SPLIT) + (int)threadIdx.y;
    p.x = (t % w.vp.tiles_x) * RC_TILE + (int)threadIdx.x;
    p.y = (t / w.vp.tiles_x) * RC_TILE + ly;
    p.lp = ly * RC_TILE + (int)threadIdx.x;
    p.inside = p.x < w.vp.width && p.y < w.vp.height;
    p.pix = (size_t)p.y * (size_t)w.vp.width + (size_t)p.x;
    return p;
}

/* Sum over the 32 lanes of a warp, in every lane (butterfly; all lanes must call). */
static __device__ __forceinline__ float rc_warp_sum(float v) {
    for (int off = 16; off > 0; off >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, off);
    return v;
}

#endif
