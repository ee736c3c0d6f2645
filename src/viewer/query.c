/* query.c - routes and query strings of the viewer's requests (viewer.h):
 * pure functions, no allocation, every value bounded before it is used. */
#include "tgs/viewer.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

tgs_viewer_route tgs_viewer_route_of(const char *method, const char *path) {
    if (!method || strcmp(method, "GET") != 0)
        return TGS_ROUTE_BAD_METHOD;
    if (!path)
        return TGS_ROUTE_NOT_FOUND;
    if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0)
        return TGS_ROUTE_PAGE;
    if (strcmp(path, "/status") == 0)
        return TGS_ROUTE_STATUS;
    if (strcmp(path, "/render") == 0)
        return TGS_ROUTE_RENDER;
    return TGS_ROUTE_NOT_FOUND;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..n) ('+' is a space) into out[size]; -1 when it does
 * not fit, holds a bad escape or a NUL. */
static int decode(const char *s, size_t n, char *out /*[size]*/, size_t size) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (c == '\0' || k + 1 >= size)
            return -1;
        out[k++] = c;
    }
    out[k] = '\0';
    return 0;
}

/* Does s hold only characters of `set` (no spaces, no nan/inf words, no hex)? */
static int only(const char *s, const char *set) { return strspn(s, set) == strlen(s); }

/* The whole of s as an integer in lo..hi. */
static tgs_status parse_int(const char *name, const char *s, long lo, long hi, int *out) {
    if (!only(s, "-0123456789"))
        return TGS_FAIL(TGS_ERR_ARG, "%s: expected an integer, got '%.40s'", name, s);
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE)
        return TGS_FAIL(TGS_ERR_ARG, "%s: expected an integer, got '%.40s'", name, s);
    if (v < lo || v > hi)
        return TGS_FAIL(TGS_ERR_ARG, "%s: %ld is out of range (expected %ld..%ld)", name, v, lo, hi);
    *out = (int)v;
    return TGS_OK;
}

/* Exactly n comma-separated finite numbers of magnitude at most 1e9. */
static tgs_status parse_numbers(const char *name, const char *s, int n, double *out /*[n]*/) {
    if (!only(s, "+-.,0123456789eE"))
        return TGS_FAIL(TGS_ERR_ARG, "%s: expected %d finite numbers separated by commas, got '%.60s'", name, n, s);
    const char *p = s;
    for (int i = 0; i < n; i++) {
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno == ERANGE || !isfinite(v) || fabs(v) > 1e9)
            return TGS_FAIL(TGS_ERR_ARG, "%s: expected %d finite numbers separated by commas, got '%.60s'", name,
                            n, s);
        out[i] = v;
        p = end;
        if (i + 1 < n) {
            if (*p != ',')
                return TGS_FAIL(TGS_ERR_ARG, "%s: expected %d numbers separated by commas, got '%.60s'", name, n, s);
            p++;
        }
    }
    if (*p != '\0')
        return TGS_FAIL(TGS_ERR_ARG, "%s: expected %d numbers, got more: '%.60s'", name, n, s);
    return TGS_OK;
}

static tgs_status parse_bg(const char *s, float bg[3]) {
    if (strcmp(s, "black") == 0) {
        bg[0] = bg[1] = bg[2] = 0.0f;
        return TGS_OK;
    }
    if (strcmp(s, "white") == 0) {
        bg[0] = bg[1] = bg[2] = 1.0f;
        return TGS_OK;
    }
    if (strlen(s) != 6)
        return TGS_FAIL(TGS_ERR_ARG, "bg: expected black, white or RRGGBB, got '%.40s'", s);
    for (int i = 0; i < 3; i++) {
        int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return TGS_FAIL(TGS_ERR_ARG, "bg: expected black, white or RRGGBB, got '%.40s'", s);
        bg[i] = (float)(hi * 16 + lo) / 255.0f;
    }
    return TGS_OK;
}

/* rot: rows of a rotation (orthonormal, determinant +1, within 1e-3). */
static tgs_status check_rotation(const double m[9]) {
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double d = 0;
            for (int k = 0; k < 3; k++)
                d += m[i * 3 + k] * m[j * 3 + k];
            if (fabs(d - (i == j)) > 1e-3)
                return TGS_FAIL(TGS_ERR_ARG, "rot: not a rotation (rows %d and %d: dot product %.4g)", i, j, d);
        }
    double det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
                 m[2] * (m[3] * m[7] - m[4] * m[6]);
    if (det < 0)
        return TGS_FAIL(TGS_ERR_ARG, "rot: a reflection (determinant %.3f), expected a rotation", det);
    return TGS_OK;
}

/* Calls one(key, value, ctx) for each key=value of the query, decoded; stops
 * at the first failure. An empty query has no parameters. */
typedef tgs_status (*param_fn)(const char *key, const char *value, void *ctx);

static tgs_status each_param(const char *query, size_t len, param_fn one, void *ctx) {
    if (query && len > 0 && query[len - 1] == '&')
        return TGS_FAIL(TGS_ERR_ARG, "empty parameter at the end of the query");
    size_t i = 0;
    while (query && i < len) {
        size_t j = i;
        while (j < len && query[j] != '&')
            j++;
        size_t eq = i;
        while (eq < j && query[eq] != '=')
            eq++;
        char key[32], value[TGS_VIEWER_VALUE_MAX + 1];
        if (j == i)
            return TGS_FAIL(TGS_ERR_ARG, "empty parameter in the query");
        if (decode(query + i, eq - i, key, sizeof key) != 0)
            return TGS_FAIL(TGS_ERR_ARG, "a parameter name is malformed or longer than %zu characters",
                            sizeof key - 1);
        if (eq == j || decode(query + eq + 1, j - eq - 1, value, sizeof value) != 0 || value[0] == '\0')
            return TGS_FAIL(TGS_ERR_ARG, "%s: missing, malformed or longer than %d characters", key,
                            TGS_VIEWER_VALUE_MAX);
        TGS_TRY(one(key, value, ctx));
        i = j + 1;
    }
    return TGS_OK;
}

enum { P_CAM, P_POS, P_ROT, P_FOV, P_W, P_H, P_SH, P_BG, P_Q, P_COUNT };
static const char *const k_render_params[P_COUNT] = {"cam", "pos", "rot", "fov", "w", "h", "sh", "bg", "q"};

typedef struct {
    const tgs_viewer_limits *lim;
    tgs_viewer_request *q;
    unsigned seen;
} render_ctx;

static tgs_status render_param(const char *key, const char *value, void *vctx) {
    render_ctx *c = vctx;
    tgs_viewer_request *q = c->q;
    const tgs_viewer_limits *lim = c->lim;
    int k = 0;
    while (k < P_COUNT && strcmp(key, k_render_params[k]) != 0)
        k++;
    if (k == P_COUNT)
        return TGS_FAIL(TGS_ERR_ARG, "unknown parameter '%.32s' (expected cam, pos, rot, fov, w, h, sh, bg, q)", key);
    if (c->seen & (1u << k))
        return TGS_FAIL(TGS_ERR_ARG, "%s: given twice", key);
    c->seen |= 1u << k;
    switch (k) {
    case P_CAM:
        if (lim->n_cameras < 1)
            return TGS_FAIL(TGS_ERR_ARG, "cam: the scene has no cameras");
        return parse_int(key, value, 0, lim->n_cameras - 1, &q->cam);
    case P_POS:
        return parse_numbers(key, value, 3, q->pos);
    case P_ROT:
        TGS_TRY(parse_numbers(key, value, 9, q->rot));
        return check_rotation(q->rot);
    case P_FOV: {
        double f = 0;
        TGS_TRY(parse_numbers(key, value, 1, &f));
        if (!(f >= 1 && f <= 170))
            return TGS_FAIL(TGS_ERR_ARG, "fov: %g degrees is out of range (expected 1..170)", f);
        q->fovy_deg = f;
        return TGS_OK;
    }
    case P_W:
        return parse_int(key, value, TGS_VIEWER_MIN_SIZE, lim->max_width, &q->width);
    case P_H:
        return parse_int(key, value, TGS_VIEWER_MIN_SIZE, lim->max_height, &q->height);
    case P_SH:
        return parse_int(key, value, 0, lim->sh_degree, &q->sh_degree);
    case P_BG:
        q->has_bg = 1;
        return parse_bg(value, q->bg);
    default:
        return parse_int(key, value, 1, 100, &q->quality);
    }
}

tgs_status tgs_viewer_parse_render(const char *query, size_t len, const tgs_viewer_limits *lim,
                                   tgs_viewer_request *out) {
    memset(out, 0, sizeof *out);
    out->cam = -1;
    out->sh_degree = -1;
    out->quality = 85;
    out->fovy_deg = 50;
    render_ctx c = {lim, out, 0};
    TGS_TRY(each_param(query, len, render_param, &c));
    const unsigned pose = (1u << P_POS) | (1u << P_ROT);
    if (c.seen & (1u << P_CAM)) {
        if (c.seen & (pose | (1u << P_FOV) | (1u << P_H)))
            return TGS_FAIL(TGS_ERR_ARG, "cam: give either cam (with w) or pos, rot, fov, w, h");
    } else if ((c.seen & pose) != pose) {
        return TGS_FAIL(TGS_ERR_ARG, "expected cam=K, or pos=X,Y,Z and rot=9 numbers");
    }
    return TGS_OK;
}

static tgs_status status_param(const char *key, const char *value, void *ctx) {
    if (strcmp(key, "cameras") != 0)
        return TGS_FAIL(TGS_ERR_ARG, "unknown parameter '%.32s' (expected cameras)", key);
    return parse_int(key, value, 0, 1, ctx);
}

tgs_status tgs_viewer_parse_status(const char *query, size_t len, int *with_cameras) {
    *with_cameras = 1;
    return each_param(query, len, status_param, with_cameras);
}

/* Scales (w, h) down to fit within the limits, keeping the aspect. */
static void fit(int *w, int *h, const tgs_viewer_limits *lim) {
    double s = TGS_MIN((double)lim->max_width / *w, (double)lim->max_height / *h);
    if (s < 1) {
        *w = TGS_MAX(TGS_VIEWER_MIN_SIZE, (int)floor(*w * s));
        *h = TGS_MAX(TGS_VIEWER_MIN_SIZE, (int)floor(*h * s));
    }
    *w = TGS_MIN(*w, lim->max_width);
    *h = TGS_MIN(*h, lim->max_height);
}

static tgs_view pose_view(const tgs_viewer_request *q, const tgs_viewer_limits *lim) {
    tgs_view v = {0};
    int w = q->width ? q->width : 800;
    int h = q->height ? q->height : TGS_MAX((w * 3 + 2) / 4, TGS_VIEWER_MIN_SIZE);
    fit(&w, &h, lim);
    v.width = w;
    v.height = h;
    v.tan_fovy = tan(0.5 * q->fovy_deg * M_PI / 180.0);
    v.fy = h / (2.0 * v.tan_fovy);
    v.fx = v.fy;
    v.tan_fovx = w / (2.0 * v.fx);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            v.R[i * 3 + j] = q->rot[j * 3 + i]; /* world->camera = transpose */
    for (int i = 0; i < 3; i++) {
        v.campos[i] = q->pos[i];
        v.t[i] = -(v.R[i * 3] * q->pos[0] + v.R[i * 3 + 1] * q->pos[1] + v.R[i * 3 + 2] * q->pos[2]);
    }
    v.opacity_act = TGS_OPACITY_SIGMOID;
    return v;
}

tgs_view tgs_viewer_request_view(const tgs_viewer_request *q, const tgs_viewer_limits *lim,
                                 const tgs_view *cams /*[n_cameras]*/, const float bg[3], int sh_degree) {
    tgs_view v;
    if (q->cam >= 0 && q->cam < lim->n_cameras) {
        v = cams[q->cam];
        int w = q->width ? q->width : v.width;
        int h = q->width ? (int)lround((double)v.height * w / v.width) : v.height;
        h = TGS_MAX(h, TGS_VIEWER_MIN_SIZE);
        fit(&w, &h, lim);
        v.fx *= (double)w / v.width;
        v.fy *= (double)h / v.height;
        v.width = w;
        v.height = h;
    } else {
        v = pose_view(q, lim);
    }
    for (int i = 0; i < 3; i++)
        v.bg[i] = q->has_bg ? q->bg[i] : bg[i];
    v.sh_degree = q->sh_degree >= 0 ? q->sh_degree : sh_degree;
    return v;
}
