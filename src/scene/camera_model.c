/* camera_model.c - COLMAP camera models: the table of models, the distortion of
 * the accepted ones and its inverse (camera_model_impl.h, in double and float),
 * and the undistortion of photographs to a centred PINHOLE camera (DESIGN §12). */
#include "tgs/camera_model.h"

#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tgmath.h>

/* Every COLMAP model by id (src/colmap/sensor/models.h), so that files with any
 * of them can be walked and the unsupported ones refused by name. */
static const tgs_camera_model_info k_models[TGS_CAM_N_MODELS] = {
    {0, "SIMPLE_PINHOLE", 3, 1, 1, 0, "f, cx, cy"},
    {1, "PINHOLE", 4, 1, 0, 0, "fx, fy, cx, cy"},
    {2, "SIMPLE_RADIAL", 4, 1, 1, 0, "f, cx, cy, k"},
    {3, "RADIAL", 5, 1, 1, 0, "f, cx, cy, k1, k2"},
    {4, "OPENCV", 8, 1, 0, 0, "fx, fy, cx, cy, k1, k2, p1, p2"},
    {5, "OPENCV_FISHEYE", 8, 1, 0, 1, "fx, fy, cx, cy, k1, k2, k3, k4"},
    {6, "FULL_OPENCV", 12, 1, 0, 0, "fx, fy, cx, cy, k1, k2, p1, p2, k3, k4, k5, k6"},
    {7, "FOV", 5, 0, 0, 0, ""},
    {8, "SIMPLE_RADIAL_FISHEYE", 4, 1, 1, 1, "f, cx, cy, k"},
    {9, "RADIAL_FISHEYE", 5, 1, 1, 1, "f, cx, cy, k1, k2"},
    {10, "THIN_PRISM_FISHEYE", 12, 0, 0, 1, ""},
    {11, "RAD_TAN_THIN_PRISM_FISHEYE", 16, 0, 0, 1, ""},
    {12, "SIMPLE_DIVISION", 4, 0, 1, 0, ""},
    {13, "DIVISION", 5, 0, 0, 0, ""},
    {14, "SIMPLE_FISHEYE", 3, 0, 1, 1, ""},
    {15, "FISHEYE", 4, 0, 0, 1, ""},
    {16, "EUCM", 6, 0, 0, 0, ""},
    {17, "EQUIRECTANGULAR", 2, 0, 0, 0, ""},
};

const tgs_camera_model_info *tgs_camera_model_by_id(int id) {
    return id >= 0 && id < TGS_CAM_N_MODELS ? &k_models[id] : NULL;
}

const tgs_camera_model_info *tgs_camera_model_by_name(const char *name, size_t len) {
    for (int i = 0; i < TGS_CAM_N_MODELS; i++)
        if (strlen(k_models[i].name) == len && strncmp(name, k_models[i].name, len) == 0)
            return &k_models[i];
    return NULL;
}

tgs_status tgs_intrinsics_from_colmap(int model, const double *params /*[n_params]*/, int n_params,
                                      tgs_intrinsics *out) {
    memset(out, 0, sizeof *out);
    const tgs_camera_model_info *m = tgs_camera_model_by_id(model);
    if (!m)
        return TGS_FAIL(TGS_ERR_FORMAT, "unknown camera model id %d (expected a COLMAP model id 0..%d)", model,
                        TGS_CAM_N_MODELS - 1);
    if (!m->supported)
        return TGS_FAIL(TGS_ERR_UNSUPPORTED, "the %s model is not supported (tgs reads SIMPLE_PINHOLE, PINHOLE, "
                        "SIMPLE_RADIAL, RADIAL, OPENCV, OPENCV_FISHEYE, FULL_OPENCV, SIMPLE_RADIAL_FISHEYE and "
                        "RADIAL_FISHEYE: undistort with 'colmap image_undistorter' first)", m->name);
    if (n_params != m->n_params)
        return TGS_FAIL(TGS_ERR_FORMAT, "the %s model has %d parameters, found %d (expected %s)", m->name,
                        m->n_params, n_params, m->param_names);
    for (int i = 0; i < n_params; i++)
        if (!isfinite(params[i]))
            return TGS_FAIL(TGS_ERR_FORMAT, "the %s model has the non-finite parameter %d = %g (expected %s)",
                            m->name, i + 1, params[i], m->param_names);
    int p = 0;
    out->model = model;
    out->fx = params[p++];
    out->fy = m->single_focal ? out->fx : params[p++];
    out->cx = params[p++];
    out->cy = params[p++];
    out->n_k = n_params - p;
    memcpy(out->k, params + p, (size_t)out->n_k * sizeof(double));
    if (!(out->fx > 0) || !(out->fy > 0))
        return TGS_FAIL(TGS_ERR_FORMAT, "the %s model has focal length %g x %g (expected > 0)", m->name,
                        out->fx, out->fy);
    return TGS_OK;
}

tgs_intrinsics tgs_intrinsics_scaled(const tgs_intrinsics *in, double sx, double sy) {
    tgs_intrinsics r = *in;
    r.fx *= sx, r.cx *= sx;
    r.fy *= sy, r.cy *= sy;
    return r;
}

int tgs_intrinsics_equal(const tgs_intrinsics *a, const tgs_intrinsics *b) {
    if (a->model != b->model || a->n_k != b->n_k || a->fx != b->fx || a->fy != b->fy || a->cx != b->cx ||
        a->cy != b->cy)
        return 0;
    for (int i = 0; i < a->n_k; i++)
        if (a->k[i] != b->k[i])
            return 0;
    return 1;
}

int tgs_intrinsics_is_pinhole(const tgs_intrinsics *in) {
    return in->model == TGS_CAM_SIMPLE_PINHOLE || in->model == TGS_CAM_PINHOLE;
}

/* ---- the distortion in double and in float ----------------------------------- */

#define REAL double
#define CM(x) x##_d
#define REAL_EPS DBL_EPSILON
#define STEP_TOL 1e-20
#define RES_TOL 1e-10
#include "camera_model_impl.h"
#undef REAL
#undef CM
#undef REAL_EPS
#undef STEP_TOL
#undef RES_TOL

#define REAL float
#define CM(x) x##_f
#define REAL_EPS FLT_EPSILON
#define STEP_TOL 1e-12f
#define RES_TOL 2e-6f
#include "camera_model_impl.h"
#undef REAL
#undef CM
#undef REAL_EPS
#undef STEP_TOL
#undef RES_TOL

int tgs_camera_model_distort(const tgs_intrinsics *in, double u, double v, double *x, double *y) {
    lens_d L = lens_of_d(in);
    if (distort_d(&L, u, v, x, y))
        return 1;
    *x = *y = NAN;
    return 0;
}

int tgs_camera_model_distortf(const tgs_intrinsics *in, float u, float v, float *x, float *y) {
    lens_f L = lens_of_f(in);
    if (distort_f(&L, u, v, x, y))
        return 1;
    *x = *y = NAN;
    return 0;
}

int tgs_camera_model_undistort(const tgs_intrinsics *in, double x, double y, double *u, double *v) {
    lens_d L = lens_of_d(in);
    return undistort_d(&L, x, y, u, v) == 1;
}

int tgs_camera_model_undistortf(const tgs_intrinsics *in, float x, float y, float *u, float *v) {
    lens_f L = lens_of_f(in);
    return undistort_f(&L, x, y, u, v) == 1;
}

/* ---- undistortion map ------------------------------------------------------------ */

/* The source in the photograph (COLMAP pixel coordinates) of the centred
 * pinhole camera's point (ox, oy); 0 when it has none. */
static int map_point(const lens_d *L, int width, int height, double ox, double oy, double *sx, double *sy) {
    const double u = (ox - 0.5 * width) / L->fx, v = (oy - 0.5 * height) / L->fy;
    double x, y, bu, bv;
    if (!distort_d(L, u, v, &x, &y) || x < 0 || x > width || y < 0 || y > height)
        return 0;
    /* past a fold of the distortion the source belongs to another ray */
    if (undistort_d(L, x, y, &bu, &bv) != 1 || fabs(bu - u) > 1e-6 * (1 + fabs(u)) ||
        fabs(bv - v) > 1e-6 * (1 + fabs(v)))
        return 0;
    *sx = x, *sy = y;
    return 1;
}

void tgs_camera_model_undistort_map(const tgs_intrinsics *in, int width, int height,
                                    float *map /*[H,W,2]*/, size_t *n_valid) {
    const lens_d L = lens_of_d(in);
    size_t n = 0;
#pragma omp parallel for schedule(static) reduction(+ : n)
    for (int j = 0; j < height; j++)
        for (int i = 0; i < width; i++) {
            float *m = map + 2 * ((size_t)j * width + i);
            double sx, sy;
            if (map_point(&L, width, height, i + 0.5, j + 0.5, &sx, &sy)) {
                m[0] = (float)(sx - 0.5), m[1] = (float)(sy - 0.5);
                n++;
            } else {
                m[0] = m[1] = NAN;
            }
        }
    if (n_valid)
        *n_valid = n;
}

double tgs_camera_model_valid_fraction(const tgs_intrinsics *in, int width, int height, int grid) {
    const lens_d L = lens_of_d(in);
    const int gw = grid > 0 && grid < width ? grid : width, gh = grid > 0 && grid < height ? grid : height;
    size_t n = 0;
    for (int j = 0; j < gh; j++)
        for (int i = 0; i < gw; i++) {
            double sx, sy;
            n += (size_t)map_point(&L, width, height, (i + 0.5) * width / gw, (j + 0.5) * height / gh, &sx, &sy);
        }
    return (double)n / ((double)gw * gh);
}

tgs_status tgs_camera_model_check(const tgs_intrinsics *in, int width, int height) {
    const tgs_camera_model_info *m = tgs_camera_model_by_id(in->model);
    const char *name = m ? m->name : "unknown";
    for (int i = 0; i < in->n_k; i++)
        if (!(fabs(in->k[i]) <= 1000))
            return TGS_FAIL(TGS_ERR_FORMAT, "the %s model has distortion coefficient %d = %g (expected "
                            "magnitudes up to 1000)", name, i + 1, in->k[i]);
    if (!(in->cx >= -width && in->cx <= 2.0 * width && in->cy >= -height && in->cy <= 2.0 * height))
        return TGS_FAIL(TGS_ERR_FORMAT, "the %s model has principal point (%g, %g) far outside its %dx%d frame",
                        name, in->cx, in->cy, width, height);
    const lens_d L = lens_of_d(in);
    const int g = 32;
    for (int j = 0; j <= g; j++)
        for (int i = 0; i <= g; i++) {
            const double x = 0.5 + (width - 1.0) * i / g, y = 0.5 + (height - 1.0) * j / g;
            double u, v;
            if (undistort_d(&L, x, y, &u, &v) == 0)
                return TGS_FAIL(TGS_ERR_FORMAT, "the undistortion of the %s model does not converge at pixel "
                                "(%.1f, %.1f) of its %dx%d frame (absurd distortion coefficients?)", name, x, y,
                                width, height);
        }
    return TGS_OK;
}

/* ---- resampling ------------------------------------------------------------------ */

tgs_status tgs_camera_model_remap(const tgs_image *src, const float *map /*[H,W,2]*/, tgs_image *dst,
                                  tgs_image *valid) {
    const int W = src->width, H = src->height, C = src->channels;
    memset(dst, 0, sizeof *dst);
    if (valid)
        memset(valid, 0, sizeof *valid);
    dst->data = tgs_calloc(tgs_image_bytes(W, H, C), 1, "undistorted image");
    if (!dst->data)
        return TGS_ERR_NOMEM;
    if (valid && !(valid->data = tgs_calloc(tgs_image_bytes(W, H, 1), 1, "undistortion mask"))) {
        tgs_image_free(dst);
        return TGS_ERR_NOMEM;
    }
    dst->width = W, dst->height = H, dst->channels = C;
    if (valid)
        valid->width = W, valid->height = H, valid->channels = 1;
#pragma omp parallel for schedule(static)
    for (int j = 0; j < H; j++)
        for (int i = 0; i < W; i++) {
            const float *m = map + 2 * ((size_t)j * W + i);
            if (isnan(m[0]))
                continue;
            const float sx = fmin(fmax(m[0], 0.0f), (float)(W - 1)), sy = fmin(fmax(m[1], 0.0f), (float)(H - 1));
            const int x0 = (int)sx, y0 = (int)sy, x1 = x0 + 1 < W ? x0 + 1 : x0, y1 = y0 + 1 < H ? y0 + 1 : y0;
            const float ax = sx - x0, ay = sy - y0;
            const unsigned char *r0 = src->data + (size_t)y0 * W * C, *r1 = src->data + (size_t)y1 * W * C;
            const unsigned char *p00 = r0 + x0 * C, *p01 = r0 + x1 * C, *p10 = r1 + x0 * C, *p11 = r1 + x1 * C;
            unsigned char *o = dst->data + ((size_t)j * W + i) * C;
            for (int c = 0; c < C; c++) {
                const float top = p00[c] + ax * (p01[c] - p00[c]), bot = p10[c] + ax * (p11[c] - p10[c]);
                o[c] = (unsigned char)(top + ay * (bot - top) + 0.5f);
            }
            if (valid)
                valid->data[(size_t)j * W + i] = 255;
        }
    return TGS_OK;
}
