/* camera_model_impl.h - the distortion of the accepted COLMAP models and its
 * inverse, written once for a floating-point type. camera_model.c includes it
 * twice (after <tgmath.h>, so that sqrt, atan... follow REAL): with REAL =
 * double, CM(x) = x##_d, and with REAL = float, CM(x) = x##_f.
 * Needs REAL, CM, REAL_EPS (the type's epsilon), STEP_TOL (squared Newton step
 * counted as converged) and RES_TOL (residual, relative to 1 + |target|). */

/* A model's distortion in one form: R(s) = (1 + a1 s + a2 s^2 + a3 s^3 + a4 s^4)
 * / (1 + b1 s + b2 s^2 + b3 s^3) with s = r^2 (perspective) or theta^2 (fisheye),
 * plus the tangential terms p1, p2 (OPENCV, FULL_OPENCV). */
typedef struct {
    REAL a[4], b[3], p1, p2;
    REAL fx, fy, cx, cy;
    int fisheye;
} CM(lens);

static CM(lens) CM(lens_of)(const tgs_intrinsics *in) {
    CM(lens) L;
    memset(&L, 0, sizeof L);
    L.fx = (REAL)in->fx, L.fy = (REAL)in->fy, L.cx = (REAL)in->cx, L.cy = (REAL)in->cy;
    const double *k = in->k;
    switch (in->model) {
    case TGS_CAM_SIMPLE_RADIAL:
    case TGS_CAM_SIMPLE_RADIAL_FISHEYE:
        L.a[0] = (REAL)k[0];
        break;
    case TGS_CAM_RADIAL:
    case TGS_CAM_RADIAL_FISHEYE:
        L.a[0] = (REAL)k[0], L.a[1] = (REAL)k[1];
        break;
    case TGS_CAM_OPENCV:
        L.a[0] = (REAL)k[0], L.a[1] = (REAL)k[1], L.p1 = (REAL)k[2], L.p2 = (REAL)k[3];
        break;
    case TGS_CAM_FULL_OPENCV:
        L.a[0] = (REAL)k[0], L.a[1] = (REAL)k[1], L.p1 = (REAL)k[2], L.p2 = (REAL)k[3];
        L.a[2] = (REAL)k[4], L.b[0] = (REAL)k[5], L.b[1] = (REAL)k[6], L.b[2] = (REAL)k[7];
        break;
    case TGS_CAM_OPENCV_FISHEYE:
        for (int i = 0; i < 4; i++)
            L.a[i] = (REAL)k[i];
        break;
    default: /* pinhole: no distortion */
        break;
    }
    L.fisheye = in->model == TGS_CAM_OPENCV_FISHEYE || in->model == TGS_CAM_SIMPLE_RADIAL_FISHEYE ||
                in->model == TGS_CAM_RADIAL_FISHEYE;
    return L;
}

/* D(x, y) = (x, y) R(s) + tangential, and its Jacobian J (row-major 2x2, may be NULL). */
static void CM(distortion)(const CM(lens) *L, REAL x, REAL y, REAL *dx, REAL *dy, REAL *J /*[4]*/) {
    const REAL s = x * x + y * y;
    const REAL num = 1 + s * (L->a[0] + s * (L->a[1] + s * (L->a[2] + s * L->a[3])));
    const REAL den = 1 + s * (L->b[0] + s * (L->b[1] + s * L->b[2]));
    const REAL R = num / den;
    *dx = x * R + 2 * L->p1 * x * y + L->p2 * (s + 2 * x * x);
    *dy = y * R + 2 * L->p2 * x * y + L->p1 * (s + 2 * y * y);
    if (!J)
        return;
    const REAL dnum = L->a[0] + s * (2 * L->a[1] + s * (3 * L->a[2] + s * 4 * L->a[3]));
    const REAL dden = L->b[0] + s * (2 * L->b[1] + s * 3 * L->b[2]);
    const REAL dR = (dnum * den - num * dden) / (den * den); /* dR/ds; ds/dx = 2x */
    J[0] = R + 2 * x * x * dR + 2 * L->p1 * y + 6 * L->p2 * x;
    J[1] = 2 * x * y * dR + 2 * L->p1 * x + 2 * L->p2 * y;
    J[2] = 2 * x * y * dR + 2 * L->p2 * y + 2 * L->p1 * x;
    J[3] = R + 2 * y * y * dR + 2 * L->p2 * x + 6 * L->p1 * y;
}

static int CM(distort)(const CM(lens) *L, REAL u, REAL v, REAL *px, REAL *py) {
    if (L->fisheye) {
        const REAL r = sqrt(u * u + v * v);
        if (r > REAL_EPS) {
            const REAL t = atan(r) / r;
            u *= t, v *= t;
        }
    }
    REAL x, y;
    CM(distortion)(L, u, v, &x, &y, NULL);
    *px = L->fx * x + L->cx;
    *py = L->fy * y + L->cy;
    return isfinite(*px) && isfinite(*py);
}

/* Solves D(x, y) = (x0, y0) by Newton's method from (x0, y0), each step kept
 * within max(0.1 |x|, 0.1) as COLMAP does. 1: converged with a residual below
 * RES_TOL and a positive Jacobian determinant (not past a fold); 0: not. */
static int CM(invert)(const CM(lens) *L, REAL x0, REAL y0, REAL *xo, REAL *yo) {
    REAL x = x0, y = y0, J[4], dx, dy;
    int converged = 0;
    for (int it = 0; it < 100 && !converged; it++) {
        CM(distortion)(L, x, y, &dx, &dy, J);
        const REAL ex = dx - x0, ey = dy - y0;
        const REAL det = J[0] * J[3] - J[1] * J[2];
        if (!(det != 0) || !isfinite(det))
            return 0;
        REAL sx = (J[3] * ex - J[1] * ey) / det, sy = (J[0] * ey - J[2] * ex) / det;
        const REAL n2 = sx * sx + sy * sy, rad2 = fmax((REAL)0.01 * (x * x + y * y), (REAL)0.01);
        if (n2 > rad2) {
            const REAL f = sqrt(rad2 / n2);
            sx *= f, sy *= f;
        }
        x -= sx, y -= sy;
        converged = sx * sx + sy * sy < STEP_TOL;
    }
    if (!converged || !isfinite(x) || !isfinite(y))
        return 0;
    CM(distortion)(L, x, y, &dx, &dy, J);
    const REAL tol = RES_TOL * (1 + fabs(x0) + fabs(y0));
    if (!(fabs(dx - x0) <= tol && fabs(dy - y0) <= tol) || !(J[0] * J[3] - J[1] * J[2] > 0))
        return 0;
    *xo = x, *yo = y;
    return 1;
}

/* 1: (u, v) found; 0: Newton failed; -1: a fisheye angle of 90 degrees or more. */
static int CM(undistort)(const CM(lens) *L, REAL px, REAL py, REAL *u, REAL *v) {
    REAL x, y;
    if (!CM(invert)(L, (px - L->cx) / L->fx, (py - L->cy) / L->fy, &x, &y))
        return 0;
    if (L->fisheye) {
        const REAL theta = sqrt(x * x + y * y);
        if (theta >= (REAL)(0.5 * M_PI))
            return -1;
        if (theta > REAL_EPS) {
            const REAL t = tan(theta) / theta;
            x *= t, y *= t;
        }
    }
    *u = x, *v = y;
    return 1;
}
