/* loss_impl.h - the DESIGN §4 loss (L1 + D-SSIM) and its gradient, written once
 * for a scalar type. loss.c includes this file twice: REAL = float with
 * SFX = f32, and REAL = double with SFX = f64, so both versions are the same code.
 *
 * SSIM blurs five maps (x, y, x^2, y^2, xy) with the 11x11 Gaussian window,
 * separably: a horizontal 11-tap pass per image row, then a vertical 11-tap pass.
 * Zero padding is implicit: taps that fall outside the image are skipped.
 * Each thread owns one band of output rows and keeps the horizontally filtered
 * rows it needs in a ring of 11 rows (row r lives in slot r % 11), so the
 * scratch per thread is a few image rows. Every output value is computed by the
 * same sequence of operations whatever the band split, and sums over the image
 * go through per-row partial sums added in row order: the results do not depend
 * on the thread count.
 *
 * Backward: with S(mu1, mu2, m11, m22, m12) the SSIM map and s = dL/dS,
 *   dL/dx = G*(s dS/dmu1) + 2x G*(s dS/dm11) + y G*(s dS/dm12)
 * (the window is symmetric, so the adjoint of the zero-padded "same"
 * correlation is the same correlation). The three coefficient maps are
 * stored for the whole image [H,3,W*3] and blurred by the same band machinery.
 */
#ifndef REAL
#error "define REAL and SFX before including loss_impl.h"
#endif

#define LOSS_CAT_(a, b) a##_##b
#define LOSS_CAT(a, b) LOSS_CAT_(a, b)
#define FN(name) LOSS_CAT(name, SFX)

/* Buffers of one precision, carved from one allocation. */
typedef struct {
    REAL *coef; /* [max_h, 3, max_w*3] backward coefficient maps */
    REAL *work; /* [nthreads, LOSS_WORK_ROWS, max_w*3] per-thread ring, accumulator, products */
} FN(loss_buffers);

typedef struct {
    const REAL *x, *y; /* [H,W,3] */
    const unsigned char *mask; /* [H,W]: 0 = pixel left out; NULL = every pixel counts */
    int w, h, clamp;
    REAL g[LOSS_TAPS];
    REAL s_ssim; /* dL/dS at every SSIM map entry */
    REAL s_l1;   /* dL/d|x-y| at every entry */
    REAL *coef;  /* [H,3,W*3] */
    REAL *dx;    /* [H,W,3] */
    int backward;
    double *row_l1, *row_ssim; /* [H] */
} FN(loss_ctx);

static inline REAL FN(clamp01)(REAL v) { return v < 0 ? (REAL)0 : (v > 1 ? (REAL)1 : v); }

/* Values [e0, e1) of one horizontally filtered row, skipping taps outside the image. */
static void FN(hpass_edge)(const REAL *g /*[11]*/, const REAL *a /*[W*3]*/, int w, int e0, int e1, REAL *o /*[W*3]*/) {
    for (int e = e0; e < e1; e++) {
        const int j = e / 3;
        const int klo = TGS_MAX(0, LOSS_R - j), khi = TGS_MIN(LOSS_TAPS - 1, w - 1 - j + LOSS_R);
        REAL s = 0;
        for (int k = klo; k <= khi; k++)
            s += g[k] * a[e + 3 * (k - LOSS_R)];
        o[e] = s;
    }
}

/* Horizontal 11-tap correlation of nq rows of W*3 interleaved values. */
static void FN(hpass)(const REAL *g /*[11]*/, const REAL *in /*[nq,W*3]*/, int nq, int w, REAL *out /*[nq,W*3]*/) {
    const int w3 = 3 * w;
    const int jlo = TGS_MIN(LOSS_R, w); /* pixels [jlo, jhi) see all 11 taps */
    const int jhi = TGS_MAX(jlo, w - LOSS_R);
    for (int q = 0; q < nq; q++) {
        const REAL *a = in + (size_t)q * w3;
        REAL *o = out + (size_t)q * w3;
        FN(hpass_edge)(g, a, w, 0, 3 * jlo, o);
        for (int e = 3 * jlo; e < 3 * jhi; e++) {
            REAL s = 0;
            for (int k = 0; k < LOSS_TAPS; k++)
                s += g[k] * a[e + 3 * (k - LOSS_R)];
            o[e] = s;
        }
        FN(hpass_edge)(g, a, w, 3 * jhi, w3, o);
    }
}

/* Horizontally filtered row r of the forward (x, y, xx, yy, xy) or backward
 * (three coefficient maps) quantities, into dst [nq, W*3]. */
static void FN(hrow)(const FN(loss_ctx) *c, int backward, int r, REAL *prod /*[5,W*3]*/, REAL *dst) {
    const int w3 = 3 * c->w;
    if (backward) {
        FN(hpass)(c->g, c->coef + (size_t)r * 3 * w3, 3, c->w, dst);
        return;
    }
    const REAL *x = c->x + (size_t)r * w3, *y = c->y + (size_t)r * w3;
    const unsigned char *keep = c->mask ? c->mask + (size_t)r * c->w : NULL;
    for (int e = 0; e < w3; e++) {
        REAL xv = x[e], yv = y[e];
        if (c->clamp) {
            xv = FN(clamp01)(xv);
            yv = FN(clamp01)(yv);
        }
        if (keep && !keep[e / 3])
            xv = yv = 0; /* a left-out pixel is zero in both images */
        prod[e] = xv;
        prod[w3 + e] = yv;
        prod[2 * w3 + e] = xv * xv;
        prod[3 * w3 + e] = yv * yv;
        prod[4 * w3 + e] = xv * yv;
    }
    FN(hpass)(c->g, prod, 5, c->w, dst);
}

/* Forward, output row i from the five blurred maps: SSIM and L1 row sums, and
 * (backward) the coefficient maps s*dS/dmu1, s*dS/dm11, s*dS/dm12. */
static void FN(fwd_row)(const FN(loss_ctx) *c, int i, const REAL *m /*[5,W*3]*/) {
    const int w3 = 3 * c->w;
    const REAL C1 = (REAL)LOSS_C1, C2 = (REAL)LOSS_C2;
    const REAL *x = c->x + (size_t)i * w3, *y = c->y + (size_t)i * w3;
    REAL *k0 = c->coef ? c->coef + (size_t)i * 3 * w3 : NULL;
    const unsigned char *keep = c->mask ? c->mask + (size_t)i * c->w : NULL;
    double ssim = 0, l1 = 0;
    for (int e = 0; e < w3; e++) {
        if (keep && !keep[e / 3]) { /* no SSIM or L1 term here */
            if (c->backward)
                k0[e] = k0[w3 + e] = k0[2 * w3 + e] = 0;
            continue;
        }
        const REAL mu1 = m[e], mu2 = m[w3 + e];
        const REAL s11 = m[2 * w3 + e] - mu1 * mu1, s22 = m[3 * w3 + e] - mu2 * mu2;
        const REAL s12 = m[4 * w3 + e] - mu1 * mu2;
        const REAL A = 2 * mu1 * mu2 + C1, B = 2 * s12 + C2;
        const REAL C = mu1 * mu1 + mu2 * mu2 + C1, D = s11 + s22 + C2;
        const REAL CD = C * D;
        const REAL S = A * B / CD;
        ssim += (double)S;
        REAL xv = x[e], yv = y[e];
        if (c->clamp) {
            xv = FN(clamp01)(xv);
            yv = FN(clamp01)(yv);
        }
        l1 += (double)(xv > yv ? xv - yv : yv - xv);
        if (c->backward) {
            const REAL dmu1 = 2 * mu2 * (B - A) / CD - 2 * mu1 * S * (1 / C - 1 / D);
            const REAL dm11 = -S / D;
            const REAL dm12 = 2 * A / CD;
            k0[e] = c->s_ssim * dmu1;
            k0[w3 + e] = c->s_ssim * dm11;
            k0[2 * w3 + e] = c->s_ssim * dm12;
        }
    }
    c->row_ssim[i] = ssim;
    c->row_l1[i] = l1;
}

/* Backward, output row i from the three blurred coefficient maps. */
static void FN(bwd_row)(const FN(loss_ctx) *c, int i, const REAL *m /*[3,W*3]*/) {
    const int w3 = 3 * c->w;
    const REAL *x = c->x + (size_t)i * w3, *y = c->y + (size_t)i * w3;
    REAL *dx = c->dx + (size_t)i * w3;
    const unsigned char *keep = c->mask ? c->mask + (size_t)i * c->w : NULL;
    for (int e = 0; e < w3; e++) {
        if (keep && !keep[e / 3]) { /* the loss sees this pixel as a constant zero */
            dx[e] = 0;
            continue;
        }
        const REAL d = x[e] - y[e];
        const REAL sgn = d > 0 ? (REAL)1 : (d < 0 ? (REAL)-1 : (REAL)0);
        dx[e] = m[e] + 2 * x[e] * m[w3 + e] + y[e] * m[2 * w3 + e] + c->s_l1 * sgn;
    }
}

/* Output rows [r0, r1): horizontal passes into the ring, vertical pass, row op.
 * work is this thread's [LOSS_WORK_ROWS, W*3]: ring [11,nq,W*3], acc [5,W*3], products [5,W*3]. */
static void FN(band)(const FN(loss_ctx) *c, int backward, int r0, int r1, REAL *work) {
    const int nq = backward ? 3 : 5;
    const size_t w3 = (size_t)3 * c->w;
    REAL *ring = work;
    REAL *acc = work + (size_t)LOSS_TAPS * 5 * w3;
    REAL *prod = acc + 5 * w3;
    int next = TGS_MAX(0, r0 - LOSS_R); /* next row to filter horizontally */
    for (int i = r0; i < r1; i++) {
        const int last = TGS_MIN(c->h - 1, i + LOSS_R);
        for (; next <= last; next++)
            FN(hrow)(c, backward, next, prod, ring + (size_t)(next % LOSS_TAPS) * nq * w3);
        const int klo = TGS_MAX(0, LOSS_R - i), khi = TGS_MIN(LOSS_TAPS - 1, c->h - 1 - i + LOSS_R);
        for (int q = 0; q < nq; q++) {
            REAL *a = acc + (size_t)q * w3;
            memset(a, 0, w3 * sizeof(REAL));
            for (int k = klo; k <= khi; k++) {
                const REAL gk = c->g[k];
                const REAL *src = ring + ((size_t)((i + k - LOSS_R) % LOSS_TAPS) * nq + q) * w3;
                for (size_t e = 0; e < w3; e++)
                    a[e] += gk * src[e];
            }
        }
        if (backward)
            FN(bwd_row)(c, i, acc);
        else
            FN(fwd_row)(c, i, acc);
    }
}

/* Splits the rows into one band per thread; work holds nthreads blocks of thread_stride. */
static void FN(run_bands)(const FN(loss_ctx) *c, int backward, REAL *work, size_t thread_stride, int nthreads) {
#pragma omp parallel num_threads(nthreads)
    {
        const int t = omp_get_thread_num(), n = omp_get_num_threads();
        const int r0 = (int)((long long)c->h * t / n), r1 = (int)((long long)c->h * (t + 1) / n);
        FN(band)(c, backward, r0, r1, work + (size_t)t * thread_stride);
    }
}

/* The whole loss. buf holds scratch for max_w x max_h and nthreads threads
 * (thread_stride REALs each). row_sums is [2,H] scratch. v_img NULL = forward only.
 * mask NULL: every pixel; else the `kept` pixels with a nonzero mask (DESIGN §4). */
static double FN(loss_eval)(const FN(loss_buffers) *buf, size_t thread_stride, int nthreads, double *row_sums /*[2,H]*/,
                            const REAL *img, const REAL *gt, const unsigned char *mask /*[H,W]*/, size_t kept, int w,
                            int h, double lambda, int clamp, REAL *v_img, double *l1_out, double *ssim_out) {
    FN(loss_ctx) c;
    memset(&c, 0, sizeof c);
    c.x = img;
    c.y = gt;
    c.mask = mask;
    c.w = w;
    c.h = h;
    c.clamp = clamp;
    double g[LOSS_TAPS];
    loss_gauss(g);
    for (int k = 0; k < LOSS_TAPS; k++)
        c.g[k] = (REAL)g[k];
    const double n = 3.0 * (mask ? (double)kept : (double)w * (double)h);
    c.s_ssim = (REAL)(-lambda / n);
    c.s_l1 = (REAL)((1.0 - lambda) / n);
    c.backward = v_img != NULL;
    c.coef = v_img ? buf->coef : NULL;
    c.dx = v_img;
    c.row_l1 = row_sums;
    c.row_ssim = row_sums + h;

    FN(run_bands)(&c, 0, buf->work, thread_stride, nthreads);
    double l1 = 0, ssim = 0;
    for (int i = 0; i < h; i++) {
        l1 += c.row_l1[i];
        ssim += c.row_ssim[i];
    }
    l1 /= n;
    ssim /= n;
    if (v_img)
        FN(run_bands)(&c, 1, buf->work, thread_stride, nthreads);
    if (l1_out)
        *l1_out = l1;
    if (ssim_out)
        *ssim_out = ssim;
    return (1.0 - lambda) * l1 + lambda * (1.0 - ssim);
}

#undef FN
#undef LOSS_CAT
#undef LOSS_CAT_
