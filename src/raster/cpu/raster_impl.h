/* raster_impl.h - the CPU rasteriser, written once for REAL = float (training)
 * and REAL = double (the oracle of the gradient tests). Included by
 * raster_f32.c and raster_f64.c after raster_cpu.h; <tgmath.h> makes exp, sqrt...
 * resolve to the float or double functions.
 *
 * Forward (DESIGN §3): preprocess each Gaussian (view transform, 3D covariance,
 * EWA 2D covariance and conic, radius, tile rect, SH colour), bin into tiles,
 * blend front to back per pixel. Backward walks each pixel's list back to front
 * (transmittance recovered by division), accumulates per-Gaussian screen-space
 * gradients in per-thread buffers (fixed tile->thread assignment, summed in
 * thread order: deterministic for a given thread count), then chains them back
 * to the raw parameters per Gaussian. Gradients are exact, including the
 * clamps: alpha clamped at 0.99 and the EWA x/z, y/z clamp pass no gradient. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <tgmath.h>

#define K(x) ((REAL)(x))

static const double RN(SH_C1) = 0.4886025119029199;
static const double RN(SH_C2)[5] = {1.0925484305920792, -1.0925484305920792, 0.31539156525252005,
                                    -1.0925484305920792, 0.5462742152960396};
static const double RN(SH_C3)[7] = {-0.5900435899266435, 2.890611442640554, -0.4570457994644658,
                                    0.3731763325901154, -0.4570457994644658, 1.445305721320277,
                                    -0.5900435899266435};

/* SH basis values b[16] and, if db != NULL, their gradients db[16][3] w.r.t. dir. */
static void RN(sh_basis)(int deg, REAL x, REAL y, REAL z, REAL *b, REAL (*db)[3]) {
    const REAL C1 = K(RN(SH_C1));
    const double *C2 = RN(SH_C2), *C3 = RN(SH_C3);
    b[0] = K(TGS_SH_C0);
    if (db)
        db[0][0] = db[0][1] = db[0][2] = 0;
    if (deg < 1)
        return;
    b[1] = -C1 * y;
    b[2] = C1 * z;
    b[3] = -C1 * x;
    if (db) {
        db[1][0] = 0, db[1][1] = -C1, db[1][2] = 0;
        db[2][0] = 0, db[2][1] = 0, db[2][2] = C1;
        db[3][0] = -C1, db[3][1] = 0, db[3][2] = 0;
    }
    if (deg < 2)
        return;
    REAL xx = x * x, yy = y * y, zz = z * z, xy = x * y, yz = y * z, xz = x * z;
    b[4] = K(C2[0]) * xy;
    b[5] = K(C2[1]) * yz;
    b[6] = K(C2[2]) * (K(2) * zz - xx - yy);
    b[7] = K(C2[3]) * xz;
    b[8] = K(C2[4]) * (xx - yy);
    if (db) {
        db[4][0] = K(C2[0]) * y, db[4][1] = K(C2[0]) * x, db[4][2] = 0;
        db[5][0] = 0, db[5][1] = K(C2[1]) * z, db[5][2] = K(C2[1]) * y;
        db[6][0] = K(C2[2]) * K(-2) * x, db[6][1] = K(C2[2]) * K(-2) * y, db[6][2] = K(C2[2]) * K(4) * z;
        db[7][0] = K(C2[3]) * z, db[7][1] = 0, db[7][2] = K(C2[3]) * x;
        db[8][0] = K(C2[4]) * K(2) * x, db[8][1] = K(C2[4]) * K(-2) * y, db[8][2] = 0;
    }
    if (deg < 3)
        return;
    b[9] = K(C3[0]) * y * (K(3) * xx - yy);
    b[10] = K(C3[1]) * xy * z;
    b[11] = K(C3[2]) * y * (K(4) * zz - xx - yy);
    b[12] = K(C3[3]) * z * (K(2) * zz - K(3) * xx - K(3) * yy);
    b[13] = K(C3[4]) * x * (K(4) * zz - xx - yy);
    b[14] = K(C3[5]) * z * (xx - yy);
    b[15] = K(C3[6]) * x * (xx - K(3) * yy);
    if (db) {
        db[9][0] = K(C3[0]) * K(6) * xy, db[9][1] = K(C3[0]) * K(3) * (xx - yy), db[9][2] = 0;
        db[10][0] = K(C3[1]) * yz, db[10][1] = K(C3[1]) * xz, db[10][2] = K(C3[1]) * xy;
        db[11][0] = K(C3[2]) * K(-2) * xy, db[11][1] = K(C3[2]) * (K(4) * zz - xx - K(3) * yy),
        db[11][2] = K(C3[2]) * K(8) * yz;
        db[12][0] = K(C3[3]) * K(-6) * xz, db[12][1] = K(C3[3]) * K(-6) * yz,
        db[12][2] = K(C3[3]) * (K(6) * zz - K(3) * xx - K(3) * yy);
        db[13][0] = K(C3[4]) * (K(4) * zz - K(3) * xx - yy), db[13][1] = K(C3[4]) * K(-2) * xy,
        db[13][2] = K(C3[4]) * K(8) * xz;
        db[14][0] = K(C3[5]) * K(2) * xz, db[14][1] = K(C3[5]) * K(-2) * yz, db[14][2] = K(C3[5]) * (xx - yy);
        db[15][0] = K(C3[6]) * K(3) * (xx - yy), db[15][1] = K(C3[6]) * K(-6) * xy, db[15][2] = 0;
    }
}

/* Rotation matrix (row-major) of the normalised quaternion q = (w,x,y,z). */
static void RN(quat_to_rot)(const REAL *q, REAL *Rm) {
    REAL w = q[0], x = q[1], y = q[2], z = q[3];
    Rm[0] = K(1) - K(2) * (y * y + z * z), Rm[1] = K(2) * (x * y - w * z), Rm[2] = K(2) * (x * z + w * y);
    Rm[3] = K(2) * (x * y + w * z), Rm[4] = K(1) - K(2) * (x * x + z * z), Rm[5] = K(2) * (y * z - w * x);
    Rm[6] = K(2) * (x * z - w * y), Rm[7] = K(2) * (y * z + w * x), Rm[8] = K(1) - K(2) * (x * x + y * y);
}

/* Quantities of one Gaussian in one view shared by forward and backward. */
typedef struct {
    REAL qn[4], qlen;   /* normalised quaternion and the raw length */
    REAL s[3];          /* exp(scale_raw) */
    REAL Rq[9];         /* rotation of qn */
    REAL M[9];          /* Rq * diag(s) */
    REAL Sig[6];        /* 3D covariance xx xy xz yy yz zz */
    REAL pv[3];         /* view-space mean */
    REAL T[6];          /* J * Rview, 2x3 */
    int clamp_x, clamp_y;
    REAL tx, ty;        /* clamped view x, y used in J */
    REAL cov[3];        /* a b c of the 2D covariance (with the 0.3 low-pass) */
} RN(tgs_geom);

#include "raster/view_params.h"

/* Geometry of Gaussian i; returns 0 if culled by depth or a degenerate quaternion. */
static int RN(geom)(const RN(tgs_rparams) *p, const RN(tgs_vparams) *w, size_t i, RN(tgs_geom) *g) {
    const REAL *m = p->means + 3 * i;
    for (int r = 0; r < 3; r++)
        g->pv[r] = w->Rv[3 * r] * m[0] + w->Rv[3 * r + 1] * m[1] + w->Rv[3 * r + 2] * m[2] + w->tv[r];
    if (g->pv[2] <= K(0.2))
        return 0;
    const REAL *q = p->rot_raw + 4 * i;
    g->qlen = sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    if (!(g->qlen > 0))
        return 0;
    for (int k = 0; k < 4; k++)
        g->qn[k] = q[k] / g->qlen;
    RN(quat_to_rot)(g->qn, g->Rq);
    for (int k = 0; k < 3; k++)
        g->s[k] = exp(p->scale_raw[3 * i + k]);
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++)
            g->M[3 * r + c] = g->Rq[3 * r + c] * g->s[c];
    const REAL *M = g->M;
    g->Sig[0] = M[0] * M[0] + M[1] * M[1] + M[2] * M[2];
    g->Sig[1] = M[0] * M[3] + M[1] * M[4] + M[2] * M[5];
    g->Sig[2] = M[0] * M[6] + M[1] * M[7] + M[2] * M[8];
    g->Sig[3] = M[3] * M[3] + M[4] * M[4] + M[5] * M[5];
    g->Sig[4] = M[3] * M[6] + M[4] * M[7] + M[5] * M[8];
    g->Sig[5] = M[6] * M[6] + M[7] * M[7] + M[8] * M[8];

    REAL tz = g->pv[2];
    REAL txtz = g->pv[0] / tz, tytz = g->pv[1] / tz;
    g->clamp_x = txtz < -w->limx || txtz > w->limx;
    g->clamp_y = tytz < -w->limy || tytz > w->limy;
    g->tx = fmin(w->limx, fmax(-w->limx, txtz)) * tz;
    g->ty = fmin(w->limy, fmax(-w->limy, tytz)) * tz;
    REAL J00 = w->fx / tz, J02 = -w->fx * g->tx / (tz * tz);
    REAL J11 = w->fy / tz, J12 = -w->fy * g->ty / (tz * tz);
    for (int k = 0; k < 3; k++) {
        g->T[k] = J00 * w->Rv[k] + J02 * w->Rv[6 + k];
        g->T[3 + k] = J11 * w->Rv[3 + k] + J12 * w->Rv[6 + k];
    }
    /* cov2D = T Sig T^T */
    const REAL *S = g->Sig;
    REAL ST0[3], ST1[3]; /* Sig * T0^T, Sig * T1^T */
    const REAL *T0 = g->T, *T1 = g->T + 3;
    ST0[0] = S[0] * T0[0] + S[1] * T0[1] + S[2] * T0[2];
    ST0[1] = S[1] * T0[0] + S[3] * T0[1] + S[4] * T0[2];
    ST0[2] = S[2] * T0[0] + S[4] * T0[1] + S[5] * T0[2];
    ST1[0] = S[0] * T1[0] + S[1] * T1[1] + S[2] * T1[2];
    ST1[1] = S[1] * T1[0] + S[3] * T1[1] + S[4] * T1[2];
    ST1[2] = S[2] * T1[0] + S[4] * T1[1] + S[5] * T1[2];
    g->cov[0] = T0[0] * ST0[0] + T0[1] * ST0[1] + T0[2] * ST0[2] + K(0.3);
    g->cov[1] = T0[0] * ST1[0] + T0[1] * ST1[1] + T0[2] * ST1[2];
    g->cov[2] = T1[0] * ST1[0] + T1[1] * ST1[1] + T1[2] * ST1[2] + K(0.3);
    return 1;
}

/* The pixels [x0, x1) of a tile row (tile-local x; mxl = mean x minus the tile's
 * x origin; dy = mean y minus the row's y) where power >= pmin: power is
 * quadratic in dx, so they form one interval. One pixel of slack on each side
 * absorbs rounding; the exact per-pixel tests still run. Returns 0 if none. */
static int RN(row_span)(const REAL *con, REAL pmin, REAL mxl, REAL dy, int tw, int *x0, int *x1) {
    const REAL A = con[0], B = con[1], C = con[2];
    if (!(pmin < 0))
        return 0; /* opacity below 1/255: nothing passes */
    if (!(A > 0)) {
        *x0 = 0, *x1 = tw; /* degenerate conic: test every pixel */
        return 1;
    }
    const REAL disc = dy * dy * (B * B - A * C) - K(2) * A * pmin;
    if (!(disc >= 0))
        return 0;
    const REAL sq = sqrt(disc);
    /* roots in dx = mean - pixel: (-B dy -+ sq) / A */
    REAL lo = mxl - (-B * dy + sq) / A, hi = mxl - (-B * dy - sq) / A;
    lo = fmax(lo, K(-2));
    hi = fmin(hi, (REAL)(tw + 2));
    int a = (int)floor(lo) - 1, b = (int)ceil(hi) + 2;
    *x0 = a < 0 ? 0 : a;
    *x1 = b > tw ? tw : b;
    return *x0 < *x1;
}

static REAL RN(act_opacity)(REAL o, tgs_opacity_act act) {
    return act == TGS_OPACITY_ABS ? fabs(o) : K(1) / (K(1) + exp(-o));
}

static void RN(preprocess)(RN(tgs_rctx) *c, const RN(tgs_rparams) *p, const RN(tgs_vparams) *w,
                           const tgs_view *v) {
    const int deg = v->sh_degree;
    const int stride = 3 * p->k_rest;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < p->n; i++) {
        RN(tgs_geom) g;
        c->radius[i] = 0;
        if (!RN(geom)(p, w, i, &g))
            continue;
        REAL a = g.cov[0], b = g.cov[1], cc = g.cov[2];
        REAL det = a * cc - b * b;
        if (det == 0)
            continue;
        REAL mid = K(0.5) * (a + cc);
        REAL disc = sqrt(fmax(K(0.1), mid * mid - det));
        REAL lam = fmax(mid + disc, mid - disc);
        int radius = (int)ceil(K(3) * sqrt(lam));
        REAL px = w->fx * g.pv[0] / g.pv[2] + w->cx;
        REAL py = w->fy * g.pv[1] / g.pv[2] + w->cy;
        int *rc = c->rect + 4 * i;
        rc[0] = TGS_MIN(w->tiles_x, TGS_MAX(0, (int)((px - (REAL)radius) / K(TGS_TILE))));
        rc[1] = TGS_MIN(w->tiles_y, TGS_MAX(0, (int)((py - (REAL)radius) / K(TGS_TILE))));
        rc[2] = TGS_MIN(w->tiles_x, TGS_MAX(0, (int)((px + (REAL)radius + K(TGS_TILE - 1)) / K(TGS_TILE))));
        rc[3] = TGS_MIN(w->tiles_y, TGS_MAX(0, (int)((py + (REAL)radius + K(TGS_TILE - 1)) / K(TGS_TILE))));
        if ((rc[2] - rc[0]) * (rc[3] - rc[1]) == 0)
            continue;
        c->radius[i] = radius;
        c->depth[i] = g.pv[2];
        c->depth_key[i] = (float)g.pv[2];
        c->mean2d[2 * i] = px;
        c->mean2d[2 * i + 1] = py;
        c->conic[3 * i] = cc / det;
        c->conic[3 * i + 1] = -b / det;
        c->conic[3 * i + 2] = a / det;
        c->opac[i] = RN(act_opacity)(p->opacity_raw[i], v->opacity_act);
        /* alpha >= 1/255 needs power >= log(1/(255 o)); the 0.01 margin keeps
         * every pixel that the exact test accepts (see row_span). That region is
         * an ellipse with half extents sqrt(-2 pmin C / det) in x and
         * sqrt(-2 pmin A / det) in y; tiles outside it are not binned, which
         * leaves the image unchanged (radius and visibility still follow the
         * 3-sigma rule above). */
        const REAL pmin = c->opac[i] > 0 ? log(K(1) / (K(255) * c->opac[i])) - K(0.01) : K(INFINITY);
        c->pmin[i] = pmin;
        const REAL *cn = c->conic + 3 * i;
        const REAL detc = cn[0] * cn[2] - cn[1] * cn[1];
        if (!(pmin < 0)) {
            rc[2] = rc[0], rc[3] = rc[1]; /* contributes to no pixel */
        } else if (detc > 0) {
            const REAL ex = sqrt(K(-2) * pmin * cn[2] / detc) + K(1);
            const REAL ey = sqrt(K(-2) * pmin * cn[0] / detc) + K(1);
            const REAL lim = K(1 << 20);
            rc[0] = TGS_MAX(rc[0], (int)floor(fmax(-lim, px - ex) / K(TGS_TILE)));
            rc[1] = TGS_MAX(rc[1], (int)floor(fmax(-lim, py - ey) / K(TGS_TILE)));
            rc[2] = TGS_MIN(rc[2], (int)floor(fmin(lim, px + ex) / K(TGS_TILE)) + 1);
            rc[3] = TGS_MIN(rc[3], (int)floor(fmin(lim, py + ey) / K(TGS_TILE)) + 1);
            if (rc[2] < rc[0])
                rc[2] = rc[0];
            if (rc[3] < rc[1])
                rc[3] = rc[1];
        }
        /* colour from SH in the viewing direction */
        const REAL *m = p->means + 3 * i;
        REAL dir[3] = {m[0] - w->campos[0], m[1] - w->campos[1], m[2] - w->campos[2]};
        REAL len = sqrt(dir[0] * dir[0] + dir[1] * dir[1] + dir[2] * dir[2]);
        if (len > 0)
            for (int k = 0; k < 3; k++)
                dir[k] /= len;
        REAL basis[16];
        RN(sh_basis)(deg, dir[0], dir[1], dir[2], basis, NULL);
        int nb = (deg + 1) * (deg + 1);
        for (int ch = 0; ch < 3; ch++) {
            REAL col = basis[0] * p->sh_dc[3 * i + ch];
            for (int k = 1; k < nb; k++)
                col += basis[k] * p->sh_rest[(size_t)stride * i + 3 * (k - 1) + ch];
            col += K(0.5);
            c->clamped[3 * i + ch] = col < 0;
            c->rgb[3 * i + ch] = col < 0 ? 0 : col;
        }
    }
}

size_t RN(tgs_rctx_gaussian_bytes)(int threads, int score) {
    /* depth, mean2d 2, conic 3, opac, pmin, rgb 3; depth key, radius, clamp flags 3, rect 4 */
    size_t own = 11 * sizeof(REAL) + sizeof(float) + sizeof(int) + 3 + 4 * sizeof(int);
    return own + (size_t)threads * (9 * sizeof(REAL) + (score ? 4 * sizeof(float) : 0));
}

size_t RN(tgs_rctx_pixel_bytes)(void) { return sizeof(REAL) + sizeof(uint32_t); /* final T, contributor count */ }

tgs_status RN(tgs_rctx_reserve)(RN(tgs_rctx) *c, size_t capacity, int max_pixels) {
    int threads = omp_get_max_threads();
    if (capacity <= c->capacity && max_pixels <= c->max_pixels && threads <= c->nthreads)
        return TGS_OK;
    capacity = TGS_MAX(capacity, c->capacity);
    max_pixels = TGS_MAX(max_pixels, c->max_pixels);
    threads = TGS_MAX(threads, c->nthreads);
    RN(tgs_rctx) n = {0};
    n.bins = c->bins;
    n.capacity = capacity;
    n.max_pixels = max_pixels;
    n.nthreads = threads;
    n.depth = tgs_calloc(capacity, sizeof(REAL), "depths");
    n.depth_key = tgs_calloc(capacity, sizeof(float), "depth keys");
    n.radius = tgs_calloc(capacity, sizeof(int), "radii");
    n.mean2d = tgs_calloc(capacity * 2, sizeof(REAL), "screen means");
    n.conic = tgs_calloc(capacity * 3, sizeof(REAL), "conics");
    n.opac = tgs_calloc(capacity, sizeof(REAL), "opacities");
    n.pmin = tgs_calloc(capacity, sizeof(REAL), "power thresholds");
    n.rgb = tgs_calloc(capacity * 3, sizeof(REAL), "colours");
    n.clamped = tgs_calloc(capacity * 3, 1, "clamp flags");
    n.rect = tgs_calloc(capacity * 4, sizeof(int), "tile rects");
    n.final_T = tgs_calloc((size_t)max_pixels, sizeof(REAL), "transmittance");
    n.n_contrib = tgs_calloc((size_t)max_pixels, sizeof(uint32_t), "contributor counts");
    n.thread_acc = tgs_calloc(capacity * 9 * (size_t)threads, sizeof(REAL), "backward accumulators");
    int ok = n.depth && n.depth_key && n.radius && n.mean2d && n.conic && n.opac && n.pmin && n.rgb &&
             n.clamped &&
             n.rect && n.final_T && n.n_contrib && n.thread_acc;
    if (!ok) {
        n.bins = (tgs_bins){0};
        RN(tgs_rctx_free)(&n);
        return TGS_ERR_NOMEM;
    }
    c->bins = (tgs_bins){0};
    RN(tgs_rctx_free)(c);
    *c = n;
    return TGS_OK;
}

void RN(tgs_rctx_free)(RN(tgs_rctx) *c) {
    if (!c)
        return;
    free(c->depth);
    free(c->depth_key);
    free(c->radius);
    free(c->mean2d);
    free(c->conic);
    free(c->opac);
    free(c->pmin);
    free(c->rgb);
    free(c->clamped);
    free(c->rect);
    free(c->final_T);
    free(c->n_contrib);
    free(c->thread_acc);
    free(c->thread_score);
    tgs_bins_free(&c->bins);
    memset(c, 0, sizeof *c);
}

tgs_status RN(tgs_raster_cpu_forward)(RN(tgs_rctx) *c, const RN(tgs_rparams) *p, const tgs_view *v,
                                      REAL *img /*[H,W,3]*/, const float *pixel_weight /*[H,W]*/,
                                      float *score /*[N,4]*/) {
    if (v->width <= 0 || v->height <= 0)
        return TGS_FAIL(TGS_ERR_ARG, "render size %dx%d is empty", v->width, v->height);
    TGS_TRY(RN(tgs_rctx_reserve)(c, p->n, v->width * v->height));
    RN(tgs_vparams) w = RN(tgs_view_params)(v, TGS_TILE);
    c->width = v->width;
    c->height = v->height;
    RN(preprocess)(c, p, &w, v);
    TGS_TRY(tgs_bins_build(&c->bins, p->n, c->radius, c->rect, c->depth_key, w.tiles_x, w.tiles_y));

    const int nthreads = c->nthreads;
    if (score) {
        if (c->score_capacity < p->n) {
            free(c->thread_score);
            c->thread_score = tgs_calloc(c->capacity * 4 * (size_t)nthreads, sizeof(float), "score accumulators");
            if (!c->thread_score) {
                c->score_capacity = 0;
                return TGS_ERR_NOMEM;
            }
            c->score_capacity = c->capacity;
        }
#pragma omp parallel for schedule(static)
        for (int t = 0; t < nthreads; t++)
            memset(c->thread_score + (size_t)t * c->score_capacity * 4, 0, p->n * 4 * sizeof(float));
    }
    const int n_tiles = w.tiles_x * w.tiles_y;
    const REAL bg[3] = {(REAL)v->bg[0], (REAL)v->bg[1], (REAL)v->bg[2]};
    const uint32_t *vals = c->bins.vals;
#pragma omp parallel num_threads(nthreads)
    {
        float *acc = score ? c->thread_score + (size_t)omp_get_thread_num() * c->score_capacity * 4 : NULL;
#pragma omp for schedule(static, 1)
        for (int tile = 0; tile < n_tiles; tile++) {
            /* all pixels of the tile advance together through its depth-sorted list */
            const int tx0 = (tile % w.tiles_x) * TGS_TILE, ty0 = (tile / w.tiles_x) * TGS_TILE;
            const int tw = TGS_MIN(TGS_TILE, w.width - tx0), th = TGS_MIN(TGS_TILE, w.height - ty0);
            const uint32_t b = c->bins.tile_range[2 * tile], e = c->bins.tile_range[2 * tile + 1];
            REAL T[TGS_TILE * TGS_TILE], C[TGS_TILE * TGS_TILE * 3];
            uint32_t last[TGS_TILE * TGS_TILE];
            unsigned char done[TGS_TILE * TGS_TILE];
            for (int k = 0; k < TGS_TILE * TGS_TILE; k++) {
                T[k] = 1;
                C[3 * k] = C[3 * k + 1] = C[3 * k + 2] = 0;
                last[k] = 0;
                done[k] = 0;
            }
            int live = tw * th;
            for (uint32_t j = b; j < e && live > 0; j++) {
                const uint32_t gi = vals[j];
                const REAL *con = c->conic + 3 * gi, *col = c->rgb + 3 * gi;
                const REAL mx = c->mean2d[2 * gi], my = c->mean2d[2 * gi + 1], op = c->opac[gi];
                const REAL pmin = c->pmin[gi];
                for (int ly = 0; ly < th; ly++) {
                    const REAL dy = my - (REAL)(ty0 + ly);
                    int x0, x1;
                    if (!RN(row_span)(con, pmin, mx - (REAL)tx0, dy, tw, &x0, &x1))
                        continue;
                    for (int lx = x0; lx < x1; lx++) {
                        const int k = ly * TGS_TILE + lx;
                        if (done[k])
                            continue;
                        const REAL dx = mx - (REAL)(tx0 + lx);
                        const REAL power = K(-0.5) * (con[0] * dx * dx + con[2] * dy * dy) - con[1] * dx * dy;
                        if (power > 0 || power < pmin)
                            continue;
                        const REAL raw = op * exp(power), alpha = raw < K(0.99) ? raw : K(0.99);
                        if (alpha < K(1.0 / 255.0))
                            continue;
                        const REAL test_T = T[k] * (K(1) - alpha);
                        if (test_T < K(0.0001)) {
                            done[k] = 1;
                            live--;
                            continue;
                        }
                        for (int ch = 0; ch < 3; ch++)
                            C[3 * k + ch] += col[ch] * alpha * T[k];
                        if (acc) {
                            float *a = acc + 4 * (size_t)gi;
                            a[TGS_SCORE_W] += pixel_weight[(size_t)(ty0 + ly) * (size_t)w.width + (size_t)(tx0 + lx)];
                            a[TGS_SCORE_ONE] += 1.0f;
                            a[TGS_SCORE_AT] += (float)(alpha * T[k]);
                            a[TGS_SCORE_DIST] += (float)sqrt(dx * dx + dy * dy);
                        }
                        T[k] = test_T;
                        last[k] = j - b + 1;
                    }
                }
            }
            for (int ly = 0; ly < th; ly++)
                for (int lx = 0; lx < tw; lx++) {
                    const int k = ly * TGS_TILE + lx;
                    const size_t pix = (size_t)(ty0 + ly) * (size_t)w.width + (size_t)(tx0 + lx);
                    c->final_T[pix] = T[k];
                    c->n_contrib[pix] = last[k];
                    for (int ch = 0; ch < 3; ch++)
                        img[3 * pix + ch] = C[3 * k + ch] + T[k] * bg[ch];
                }
        }
    }
    if (score) {
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < p->n; i++)
            for (int t = 0; t < nthreads; t++)
                for (int k = 0; k < 4; k++)
                    score[4 * i + k] += c->thread_score[((size_t)t * c->score_capacity + i) * 4 + k];
    }
    return TGS_OK;
}

/* Per-thread accumulator slots: rgb 0..2, mean2d 3..4, conic 5..7, opacity 8. */
enum { ACC_RGB = 0, ACC_M2 = 3, ACC_CON = 5, ACC_OP = 8, ACC_N = 9 };

static void RN(raster_backward)(RN(tgs_rctx) *c, const RN(tgs_vparams) *w, const tgs_view *v, size_t n,
                                const REAL *v_img) {
    const int nthreads = c->nthreads;
    const int n_tiles = w->tiles_x * w->tiles_y;
    const REAL bg[3] = {(REAL)v->bg[0], (REAL)v->bg[1], (REAL)v->bg[2]};
    const uint32_t *vals = c->bins.vals;
#pragma omp parallel for schedule(static)
    for (int t = 0; t < nthreads; t++)
        memset(c->thread_acc + (size_t)t * c->capacity * ACC_N, 0, n * ACC_N * sizeof(REAL));
#pragma omp parallel num_threads(nthreads)
    {
        REAL *acc = c->thread_acc + (size_t)omp_get_thread_num() * c->capacity * ACC_N;
#pragma omp for schedule(static, 1)
        for (int tile = 0; tile < n_tiles; tile++) {
            /* back to front, all pixels of the tile together (mirrors the forward) */
            const int tx0 = (tile % w->tiles_x) * TGS_TILE, ty0 = (tile / w->tiles_x) * TGS_TILE;
            const int tw = TGS_MIN(TGS_TILE, w->width - tx0), th = TGS_MIN(TGS_TILE, w->height - ty0);
            const uint32_t b = c->bins.tile_range[2 * tile];
            REAL T[TGS_TILE * TGS_TILE], S[TGS_TILE * TGS_TILE * 3], dC[TGS_TILE * TGS_TILE * 3];
            uint32_t last[TGS_TILE * TGS_TILE], max_last = 0;
            for (int ly = 0; ly < th; ly++)
                for (int lx = 0; lx < tw; lx++) {
                    const int k = ly * TGS_TILE + lx;
                    const size_t pix = (size_t)(ty0 + ly) * (size_t)w->width + (size_t)(tx0 + lx);
                    T[k] = c->final_T[pix];
                    last[k] = c->n_contrib[pix];
                    max_last = last[k] > max_last ? last[k] : max_last;
                    for (int ch = 0; ch < 3; ch++) {
                        S[3 * k + ch] = T[k] * bg[ch]; /* colour behind, background included */
                        dC[3 * k + ch] = v_img[3 * pix + ch];
                    }
                }
            for (uint32_t jj = max_last; jj-- > 0;) {
                const uint32_t gi = vals[b + jj];
                const REAL *con = c->conic + 3 * gi, *col = c->rgb + 3 * gi;
                const REAL mx = c->mean2d[2 * gi], my = c->mean2d[2 * gi + 1], op = c->opac[gi];
                const REAL pmin = c->pmin[gi];
                REAL g_rgb[3] = {0, 0, 0}, g_m2[2] = {0, 0}, g_con[3] = {0, 0, 0}, g_op = 0;
                int touched = 0;
                for (int ly = 0; ly < th; ly++) {
                    const REAL dy = my - (REAL)(ty0 + ly);
                    int x0, x1;
                    if (!RN(row_span)(con, pmin, mx - (REAL)tx0, dy, tw, &x0, &x1))
                        continue;
                    for (int lx = x0; lx < x1; lx++) {
                        const int k = ly * TGS_TILE + lx;
                        if (jj >= last[k])
                            continue;
                        const REAL dx = mx - (REAL)(tx0 + lx);
                        const REAL power = K(-0.5) * (con[0] * dx * dx + con[2] * dy * dy) - con[1] * dx * dy;
                        if (power > 0 || power < pmin)
                            continue;
                        const REAL G = exp(power);
                        const REAL raw_alpha = op * G;
                        const REAL alpha = raw_alpha < K(0.99) ? raw_alpha : K(0.99);
                        if (alpha < K(1.0 / 255.0))
                            continue;
                        touched = 1;
                        const REAL inv = K(1) / (K(1) - alpha);
                        T[k] = T[k] * inv;
                        const REAL wgt = alpha * T[k];
                        REAL dL_dalpha = 0;
                        for (int ch = 0; ch < 3; ch++) {
                            g_rgb[ch] += wgt * dC[3 * k + ch];
                            dL_dalpha += dC[3 * k + ch] * (col[ch] * T[k] - S[3 * k + ch] * inv);
                            S[3 * k + ch] += col[ch] * wgt;
                        }
                        if (v->alpha_clamp_exact && raw_alpha >= K(0.99))
                            continue; /* clamped: alpha does not depend on the parameters */
                        g_op += G * dL_dalpha;
                        const REAL dL_dpower = op * dL_dalpha * G;
                        g_con[0] += dL_dpower * K(-0.5) * dx * dx;
                        g_con[1] += dL_dpower * -dx * dy;
                        g_con[2] += dL_dpower * K(-0.5) * dy * dy;
                        g_m2[0] += dL_dpower * (-con[0] * dx - con[1] * dy);
                        g_m2[1] += dL_dpower * (-con[2] * dy - con[1] * dx);
                    }
                }
                if (touched) {
                    REAL *a = acc + (size_t)gi * ACC_N;
                    for (int ch = 0; ch < 3; ch++)
                        a[ACC_RGB + ch] += g_rgb[ch], a[ACC_CON + ch] += g_con[ch];
                    a[ACC_M2] += g_m2[0], a[ACC_M2 + 1] += g_m2[1];
                    a[ACC_OP] += g_op;
                }
            }
        }
    }
}

/* Colour of Gaussian i -> its SH coefficients and view direction: adds to the
 * SH gradients and to v_mean (the direction's share of the mean's gradient). */
static void RN(sh_backward)(const RN(tgs_rctx) *c, const RN(tgs_rparams) *p, const RN(tgs_vparams) *w,
                            const tgs_view *v, size_t i, const REAL *acc, const RN(tgs_rgrads) *gr,
                            REAL v_mean[3]) {
    const REAL *m = p->means + 3 * i;
    const int deg = v->sh_degree, stride = 3 * p->k_rest;
    REAL dir[3] = {m[0] - w->campos[0], m[1] - w->campos[1], m[2] - w->campos[2]};
    REAL len = sqrt(dir[0] * dir[0] + dir[1] * dir[1] + dir[2] * dir[2]);
    if (len > 0)
        for (int k = 0; k < 3; k++)
            dir[k] /= len;
    REAL basis[16], dbasis[16][3];
    RN(sh_basis)(deg, dir[0], dir[1], dir[2], basis, dbasis);
    int nb = (deg + 1) * (deg + 1);
    REAL v_res[3];
    for (int ch = 0; ch < 3; ch++)
        v_res[ch] = c->clamped[3 * i + ch] ? 0 : acc[ACC_RGB + ch];
    REAL v_dir[3] = {0, 0, 0};
    for (int ch = 0; ch < 3; ch++)
        gr->sh_dc[3 * i + ch] += basis[0] * v_res[ch];
    REAL *vr = gr->sh_rest + (size_t)stride * i;
    for (int k = 1; k < p->k_rest + 1; k++)
        for (int ch = 0; ch < 3; ch++) {
            if (k >= nb)
                continue;
            vr[3 * (k - 1) + ch] += basis[k] * v_res[ch];
            REAL coef = p->sh_rest[(size_t)stride * i + 3 * (k - 1) + ch] * v_res[ch];
            for (int d = 0; d < 3; d++)
                v_dir[d] += coef * dbasis[k][d];
        }
    if (len > 0) {
        REAL dd = dir[0] * v_dir[0] + dir[1] * v_dir[1] + dir[2] * v_dir[2];
        for (int d = 0; d < 3; d++)
            v_mean[d] += (v_dir[d] - dir[d] * dd) / len;
    }

}

/* 3D covariance Sig = M M^T of Gaussian i (its geometry g) -> scale and
 * rotation gradients, given dL/dSig. */
static void RN(cov3d_backward)(const RN(tgs_geom) *gp, const REAL dSig[9], size_t i, const RN(tgs_rgrads) *gr) {
    const RN(tgs_geom) g = *gp;
    /* Sig = M M^T, M = Rq diag(s): dM = 2 dSig M (dSig symmetric) */
    REAL dM[9];
    for (int r = 0; r < 3; r++)
        for (int k = 0; k < 3; k++)
            dM[3 * r + k] = K(2) * (dSig[3 * r] * g.M[k] + dSig[3 * r + 1] * g.M[3 + k] + dSig[3 * r + 2] * g.M[6 + k]);
    REAL dR[9];
    for (int k = 0; k < 3; k++) {
        REAL vs = dM[k] * g.Rq[k] + dM[3 + k] * g.Rq[3 + k] + dM[6 + k] * g.Rq[6 + k];
        gr->scale_raw[3 * i + k] += vs * g.s[k];
        for (int r = 0; r < 3; r++)
            dR[3 * r + k] = dM[3 * r + k] * g.s[k];
    }
    /* rotation matrix -> normalised quaternion -> raw quaternion */
    REAL qw = g.qn[0], qx = g.qn[1], qy = g.qn[2], qz = g.qn[3];
    REAL vq[4];
    vq[0] = K(2) * (-qz * dR[1] + qy * dR[2] + qz * dR[3] - qx * dR[5] - qy * dR[6] + qx * dR[7]);
    vq[1] = K(2) * (qy * dR[1] + qz * dR[2] + qy * dR[3] - K(2) * qx * dR[4] - qw * dR[5] + qz * dR[6] +
                    qw * dR[7] - K(2) * qx * dR[8]);
    vq[2] = K(2) * (-K(2) * qy * dR[0] + qx * dR[1] + qw * dR[2] + qx * dR[3] + qz * dR[5] - qw * dR[6] +
                    qz * dR[7] - K(2) * qy * dR[8]);
    vq[3] = K(2) * (-K(2) * qz * dR[0] - qw * dR[1] + qx * dR[2] + qw * dR[3] - K(2) * qz * dR[4] + qy * dR[5] +
                    qx * dR[6] + qy * dR[7]);
    REAL qd = qw * vq[0] + qx * vq[1] + qy * vq[2] + qz * vq[3];
    for (int k = 0; k < 4; k++)
        gr->rot_raw[4 * i + k] += (vq[k] - g.qn[k] * qd) / g.qlen;
}

/* Chains the screen-space gradients of Gaussian i (acc) to its raw parameters. */
static void RN(preprocess_backward)(const RN(tgs_rctx) *c, const RN(tgs_rparams) *p, const RN(tgs_vparams) *w,
                                    const tgs_view *v, size_t i, const REAL *acc, const RN(tgs_rgrads) *gr) {
    RN(tgs_geom) g;
    RN(geom)(p, w, i, &g);
    REAL v_mean[3] = {0, 0, 0};

    /* opacity */
    REAL o = p->opacity_raw[i];
    if (v->opacity_act == TGS_OPACITY_ABS)
        gr->opacity_raw[i] += acc[ACC_OP] * (o > 0 ? K(1) : (o < 0 ? K(-1) : K(0)));
    else {
        REAL sg = K(1) / (K(1) + exp(-o));
        gr->opacity_raw[i] += acc[ACC_OP] * sg * (K(1) - sg);
    }

    /* colour -> SH and view direction */
    RN(sh_backward)(c, p, w, v, i, acc, gr, v_mean);

    /* screen mean -> view-space mean */
    REAL tz = g.pv[2];
    REAL v_pv[3];
    v_pv[0] = acc[ACC_M2] * w->fx / tz;
    v_pv[1] = acc[ACC_M2 + 1] * w->fy / tz;
    v_pv[2] = -acc[ACC_M2] * w->fx * g.pv[0] / (tz * tz) - acc[ACC_M2 + 1] * w->fy * g.pv[1] / (tz * tz);

    /* conic -> 2D covariance a b c, in double: for long thin splats the terms
     * cancel and float would amplify the rounding of the summed conic
     * gradients (fox reference scene: scale gradients off by up to 14% of the
     * largest, and dependent on the summation order) */
    const double a = g.cov[0], b = g.cov[1], cc = g.cov[2];
    const double det = a * cc - b * b, det2 = det * det;
    const double vA = acc[ACC_CON], vB = acc[ACC_CON + 1], vC = acc[ACC_CON + 2];
    const REAL v_a = (REAL)((-cc * cc * vA + b * cc * vB - b * b * vC) / det2);
    const REAL v_b = (REAL)((2.0 * b * cc * vA - (a * cc + b * b) * vB + 2.0 * a * b * vC) / det2);
    const REAL v_c = (REAL)((-b * b * vA + a * b * vB - a * a * vC) / det2);

    /* 2D covariance = T Sig T^T: dT = 2 G T Sig, dSig = T^T G T with G = [[v_a, v_b/2],[v_b/2, v_c]] */
    const REAL *T0 = g.T, *T1 = g.T + 3, *S = g.Sig;
    REAL Gm[4] = {v_a, K(0.5) * v_b, K(0.5) * v_b, v_c};
    REAL GT[6]; /* G * T, 2x3 */
    for (int k = 0; k < 3; k++) {
        GT[k] = Gm[0] * T0[k] + Gm[1] * T1[k];
        GT[3 + k] = Gm[2] * T0[k] + Gm[3] * T1[k];
    }
    REAL Sf[9] = {S[0], S[1], S[2], S[1], S[3], S[4], S[2], S[4], S[5]};
    REAL dT[6];
    for (int r = 0; r < 2; r++)
        for (int k = 0; k < 3; k++)
            dT[3 * r + k] = K(2) * (GT[3 * r] * Sf[k] + GT[3 * r + 1] * Sf[3 + k] + GT[3 * r + 2] * Sf[6 + k]);
    REAL dSig[9];
    for (int r = 0; r < 3; r++)
        for (int k = 0; k < 3; k++)
            dSig[3 * r + k] = T0[r] * GT[k] + T1[r] * GT[3 + k];

    /* T = J Rview -> dJ (J00, J02, J11, J12) -> view-space mean */
    const REAL *Rv = w->Rv;
    REAL vJ00 = dT[0] * Rv[0] + dT[1] * Rv[1] + dT[2] * Rv[2];
    REAL vJ02 = dT[0] * Rv[6] + dT[1] * Rv[7] + dT[2] * Rv[8];
    REAL vJ11 = dT[3] * Rv[3] + dT[4] * Rv[4] + dT[5] * Rv[5];
    REAL vJ12 = dT[3] * Rv[6] + dT[4] * Rv[7] + dT[5] * Rv[8];
    REAL tz2 = tz * tz, tz3 = tz2 * tz;
    v_pv[2] += -w->fx / tz2 * vJ00 - w->fy / tz2 * vJ11;
    if (g.clamp_x)
        v_pv[2] += w->fx * g.tx / tz3 * vJ02;
    else {
        v_pv[0] += -w->fx / tz2 * vJ02;
        v_pv[2] += K(2) * w->fx * g.tx / tz3 * vJ02;
    }
    if (g.clamp_y)
        v_pv[2] += w->fy * g.ty / tz3 * vJ12;
    else {
        v_pv[1] += -w->fy / tz2 * vJ12;
        v_pv[2] += K(2) * w->fy * g.ty / tz3 * vJ12;
    }
    for (int d = 0; d < 3; d++)
        v_mean[d] += Rv[d] * v_pv[0] + Rv[3 + d] * v_pv[1] + Rv[6 + d] * v_pv[2];
    for (int d = 0; d < 3; d++)
        gr->means[3 * i + d] += v_mean[d];

    RN(cov3d_backward)(&g, dSig, i, gr);
}

tgs_status RN(tgs_raster_cpu_backward)(RN(tgs_rctx) *c, const RN(tgs_rparams) *p, const tgs_view *v,
                                       const REAL *v_img /*[H,W,3]*/, const RN(tgs_rgrads) *gr,
                                       REAL *v_mean2d /*[N,2]*/) {
    if (v->width != c->width || v->height != c->height || p->n > c->capacity)
        return TGS_FAIL(TGS_ERR_ARG, "backward called without a matching forward (%dx%d, %zu Gaussians)",
                        v->width, v->height, p->n);
    RN(tgs_vparams) w = RN(tgs_view_params)(v, TGS_TILE);
    RN(raster_backward)(c, &w, v, p->n, v_img);
    const int nthreads = c->nthreads;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < p->n; i++) {
        if (c->radius[i] == 0) {
            if (v_mean2d)
                v_mean2d[2 * i] = v_mean2d[2 * i + 1] = 0;
            continue;
        }
        REAL acc[ACC_N] = {0};
        for (int t = 0; t < nthreads; t++) {
            const REAL *a = c->thread_acc + ((size_t)t * c->capacity + i) * ACC_N;
            for (int k = 0; k < ACC_N; k++)
                acc[k] += a[k];
        }
        RN(preprocess_backward)(c, p, &w, v, i, acc, gr);
        if (v_mean2d) {
            v_mean2d[2 * i] = acc[ACC_M2] * K(0.5) * (REAL)v->width;
            v_mean2d[2 * i + 1] = acc[ACC_M2 + 1] * K(0.5) * (REAL)v->height;
        }
    }
    return TGS_OK;
}

#undef K
