/* colmap.c - reader of COLMAP sparse models (cameras, images, points3D) in the
 * binary (.bin, little endian) or text (.txt) formats.
 *
 * Each file is read whole into memory and walked with a bounds-checked cursor
 * (binary) or line by line (text). Every count is checked against the bytes
 * left before anything is allocated; non-finite values, unknown camera models,
 * impossible sizes and dangling camera references are refused with a message
 * naming the file and the offset or line. Every COLMAP model is known by its
 * parameter count (tgs/camera_model.h) so that the file can be walked; the
 * models tgs undistorts are checked there (coefficients, convergence of the
 * undistortion over the frame), the others refused with TGS_ERR_UNSUPPORTED.
 * No scene logic here (FoV, sorting...).
 */
#include "tgs/io.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_IMAGE_SIDE ((uint64_t)1 << 20)

#define MIN_MODEL_PARAMS 2

/* Smallest possible record of each kind in the binary files (bytes). */
#define CAMERA_MIN_BYTES (4 + 4 + 8 + 8 + 8 * MIN_MODEL_PARAMS)
#define IMAGE_MIN_BYTES (4 + 8 * 4 + 8 * 3 + 4 + 1 + 8) /* empty name: its NUL only */
#define POINT2D_BYTES (8 + 8 + 8)
#define POINT3D_MIN_BYTES (8 + 8 * 3 + 3 + 8 + 8)
#define TRACK_ELEM_BYTES (4 + 4)

static int model_supported(int model) {
    const tgs_camera_model_info *m = tgs_camera_model_by_id(model);
    return m && m->supported;
}

/* ---- whole-file reading ----------------------------------------------------- */

/* Reads path into a new buffer with one extra NUL byte after the data. */
static tgs_status read_whole_file(const char *path, unsigned char **out, size_t *size) {
    *out = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return TGS_FAIL(TGS_ERR_IO, "%s: cannot open (%s)", path, strerror(errno));
    tgs_status st = TGS_OK;
    unsigned char *buf = NULL;
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        st = TGS_FAIL(TGS_ERR_IO, "%s: not a regular file", path);
        goto cleanup;
    }
    if ((uint64_t)sb.st_size >= SIZE_MAX) {
        st = TGS_FAIL(TGS_ERR_IO, "%s: file too large (%lld bytes)", path, (long long)sb.st_size);
        goto cleanup;
    }
    size_t n = (size_t)sb.st_size;
    buf = tgs_calloc(n + 1, 1, path);
    if (!buf) {
        st = TGS_ERR_NOMEM;
        goto cleanup;
    }
    if (n > 0 && fread(buf, 1, n, f) != n) {
        st = TGS_FAIL(TGS_ERR_IO, "%s: read error after %zu bytes (%s)", path, n,
                      ferror(f) ? strerror(errno) : "file shrank while reading");
        goto cleanup;
    }
    *out = buf;
    *size = n;
    buf = NULL;
cleanup:
    free(buf);
    fclose(f);
    return st;
}

/* ---- binary cursor ------------------------------------------------------------ */

typedef struct {
    const unsigned char *data;
    size_t size, pos;
    const char *path;
    const char *rec_kind; /* "camera", "image", "point" or NULL for the header */
    size_t rec_index;     /* 1-based record number */
} cursor;

static tgs_status truncated(const cursor *c, const char *what, size_t n) {
    if (c->rec_kind)
        return TGS_FAIL(TGS_ERR_FORMAT,
                        "%s: truncated at offset %zu in %s %zu: expected %s (%zu bytes), only %zu left",
                        c->path, c->pos, c->rec_kind, c->rec_index, what, n, c->size - c->pos);
    return TGS_FAIL(TGS_ERR_FORMAT, "%s: truncated at offset %zu: expected %s (%zu bytes), only %zu left",
                    c->path, c->pos, what, n, c->size - c->pos);
}

static tgs_status need(const cursor *c, size_t n, const char *what) {
    return c->size - c->pos < n ? truncated(c, what, n) : TGS_OK;
}

static uint64_t load_le64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static tgs_status get_u64(cursor *c, const char *what, uint64_t *v) {
    TGS_TRY(need(c, 8, what));
    *v = load_le64(c->data + c->pos);
    c->pos += 8;
    return TGS_OK;
}

static tgs_status get_i32(cursor *c, const char *what, int32_t *v) {
    TGS_TRY(need(c, 4, what));
    const unsigned char *p = c->data + c->pos;
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    memcpy(v, &u, sizeof *v);
    c->pos += 4;
    return TGS_OK;
}

/* Reads n little-endian f64 into out, refusing NaN and infinities. */
static tgs_status get_f64s(cursor *c, const char *what, size_t n, double *out /*[n]*/) {
    TGS_TRY(need(c, 8 * n, what));
    for (size_t i = 0; i < n; i++) {
        uint64_t u = load_le64(c->data + c->pos + 8 * i);
        memcpy(&out[i], &u, sizeof u);
        if (!isfinite(out[i]))
            return TGS_FAIL(TGS_ERR_FORMAT,
                            "%s: non-finite value %g in the %s of %s %zu at offset %zu (expected finite numbers)",
                            c->path, out[i], what, c->rec_kind ? c->rec_kind : "header", c->rec_index,
                            c->pos + 8 * i);
    }
    c->pos += 8 * n;
    return TGS_OK;
}

/* Checks that count entries of at least min_bytes each fit in the bytes left;
 * the count itself was the 8 bytes just read. */
static tgs_status check_count(const cursor *c, uint64_t count, size_t min_bytes, const char *what) {
    size_t left = c->size - c->pos;
    if (count > (uint64_t)(left / min_bytes)) {
        char rec[64] = "";
        if (c->rec_kind)
            snprintf(rec, sizeof rec, "%s %zu: ", c->rec_kind, c->rec_index);
        return TGS_FAIL(TGS_ERR_FORMAT,
                        "%s: %s%s %" PRIu64 " at offset %zu does not fit in the %zu bytes left "
                        "(expected at most %zu entries of %s%zu bytes)",
                        c->path, rec, what, count, c->pos - 8, left, left / min_bytes,
                        c->rec_kind ? "" : "at least ", min_bytes);
    }
    return TGS_OK;
}

static tgs_status skip(cursor *c, size_t n, const char *what) {
    TGS_TRY(need(c, n, what));
    c->pos += n;
    return TGS_OK;
}

static tgs_status expect_end(const cursor *c) {
    if (c->pos != c->size)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: %zu unexpected bytes after the last record at offset %zu "
                        "(expected the end of the file)", c->path, c->size - c->pos, c->pos);
    return TGS_OK;
}

/* ---- value checks shared by both formats --------------------------------------- */

/* where: "path at offset N" or "path:LINE", for messages. */
static tgs_status check_camera(const char *where, const tgs_colmap_camera *cam) {
    if (cam->width == 0 || cam->width >= MAX_IMAGE_SIDE || cam->height == 0 || cam->height >= MAX_IMAGE_SIDE)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: camera %d has size %" PRIu64 "x%" PRIu64
                        " (expected width and height in 1..%" PRIu64 ")",
                        where, cam->id, cam->width, cam->height, MAX_IMAGE_SIDE - 1);
    if (!model_supported(cam->model))
        return TGS_OK;
    tgs_intrinsics in;
    tgs_status st = tgs_intrinsics_from_colmap(cam->model, cam->params, cam->n_params, &in);
    if (st == TGS_OK && !tgs_intrinsics_is_pinhole(&in))
        st = tgs_camera_model_check(&in, (int)cam->width, (int)cam->height);
    if (st != TGS_OK) {
        char why[1024];
        snprintf(why, sizeof why, "%s", tgs_error_message());
        return TGS_FAIL(st, "%s: camera %d: %s", where, cam->id, why);
    }
    return TGS_OK;
}

static tgs_status check_image(const char *where, const tgs_colmap_image *im) {
    double n2 = 0;
    for (int k = 0; k < 4; k++)
        n2 += im->qvec[k] * im->qvec[k];
    if (!(n2 > 1e-20) || !isfinite(n2))
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: image %d (%s) has the quaternion (%g, %g, %g, %g) "
                        "(expected a non-zero rotation)", where, im->id, im->name,
                        im->qvec[0], im->qvec[1], im->qvec[2], im->qvec[3]);
    return TGS_OK;
}

static void set_model(tgs_colmap_camera *cam, int model) {
    const tgs_camera_model_info *m = tgs_camera_model_by_id(model);
    cam->model = model;
    cam->n_params = m->n_params;
    snprintf(cam->model_name, sizeof cam->model_name, "%s", m->name);
}

static tgs_status refuse_model(const char *path, const tgs_colmap_camera *cam) {
    return TGS_FAIL(TGS_ERR_UNSUPPORTED, "%s: camera %d uses the %s model, which tgs does not undistort "
                    "(it reads SIMPLE_PINHOLE, PINHOLE, SIMPLE_RADIAL, RADIAL, OPENCV, OPENCV_FISHEYE, FULL_OPENCV, "
                    "SIMPLE_RADIAL_FISHEYE, RADIAL_FISHEYE): run 'colmap image_undistorter' first", path, cam->id,
                    cam->model_name);
}

/* ---- binary files ------------------------------------------------------------ */

static tgs_status read_cameras_bin(cursor *c, tgs_colmap_model *m) {
    uint64_t count;
    TGS_TRY(get_u64(c, "the camera count", &count));
    TGS_TRY(check_count(c, count, CAMERA_MIN_BYTES, "camera count"));
    m->cameras = tgs_calloc((size_t)count, sizeof *m->cameras, "COLMAP cameras");
    if (!m->cameras)
        return TGS_ERR_NOMEM;
    const tgs_colmap_camera *first_unsupported = NULL;
    c->rec_kind = "camera";
    for (size_t i = 0; i < count; i++) {
        tgs_colmap_camera *cam = &m->cameras[i];
        c->rec_index = i + 1;
        size_t start = c->pos;
        int32_t id, model;
        uint64_t w, h;
        TGS_TRY(get_i32(c, "camera_id", &id));
        TGS_TRY(get_i32(c, "model_id", &model));
        cam->id = id;
        if (!tgs_camera_model_by_id(model))
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: camera %d at offset %zu has unknown model id %d "
                            "(expected a COLMAP camera model id 0..%d)", c->path, id, start + 4, model,
                            TGS_CAM_N_MODELS - 1);
        set_model(cam, model);
        TGS_TRY(get_u64(c, "width", &w));
        TGS_TRY(get_u64(c, "height", &h));
        cam->width = w;
        cam->height = h;
        TGS_TRY(get_f64s(c, "params", (size_t)cam->n_params, cam->params));
        m->n_cameras = i + 1;
        char where[4200];
        snprintf(where, sizeof where, "%s at offset %zu", c->path, start);
        TGS_TRY(check_camera(where, cam));
        if (!model_supported(model) && !first_unsupported)
            first_unsupported = cam;
    }
    c->rec_kind = NULL;
    TGS_TRY(expect_end(c));
    if (first_unsupported)
        return refuse_model(c->path, first_unsupported);
    return TGS_OK;
}

static tgs_status read_images_bin(cursor *c, tgs_colmap_model *m) {
    uint64_t count;
    TGS_TRY(get_u64(c, "the image count", &count));
    TGS_TRY(check_count(c, count, IMAGE_MIN_BYTES, "image count"));
    m->images = tgs_calloc((size_t)count, sizeof *m->images, "COLMAP images");
    if (!m->images)
        return TGS_ERR_NOMEM;
    c->rec_kind = "image";
    for (size_t i = 0; i < count; i++) {
        tgs_colmap_image *im = &m->images[i];
        c->rec_index = i + 1;
        size_t start = c->pos;
        int32_t id, cam_id;
        TGS_TRY(get_i32(c, "image_id", &id));
        im->id = id;
        TGS_TRY(get_f64s(c, "qvec", 4, im->qvec));
        TGS_TRY(get_f64s(c, "tvec", 3, im->tvec));
        TGS_TRY(get_i32(c, "camera_id", &cam_id));
        im->camera_id = cam_id;
        const unsigned char *name = c->data + c->pos;
        const unsigned char *nul = memchr(name, 0, c->size - c->pos);
        if (!nul)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: image %zu (id %d): the name at offset %zu is not "
                            "NUL-terminated before the end of the file (expected name bytes then a NUL)",
                            c->path, i + 1, id, c->pos);
        size_t len = (size_t)(nul - name);
        if (len == 0 || len >= sizeof im->name)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: image %zu (id %d): name at offset %zu has %zu bytes "
                            "(expected 1..%zu)", c->path, i + 1, id, c->pos, len, sizeof im->name - 1);
        memcpy(im->name, name, len);
        im->name[len] = '\0';
        c->pos += len + 1;
        uint64_t n2d;
        TGS_TRY(get_u64(c, "the number of 2D points", &n2d));
        TGS_TRY(check_count(c, n2d, POINT2D_BYTES, "2D point count"));
        TGS_TRY(skip(c, (size_t)n2d * POINT2D_BYTES, "2D points"));
        m->n_images = i + 1;
        char where[4200];
        snprintf(where, sizeof where, "%s at offset %zu", c->path, start);
        TGS_TRY(check_image(where, im));
    }
    c->rec_kind = NULL;
    return expect_end(c);
}

static tgs_status read_points_bin(cursor *c, tgs_colmap_model *m) {
    uint64_t count;
    TGS_TRY(get_u64(c, "the point count", &count));
    TGS_TRY(check_count(c, count, POINT3D_MIN_BYTES, "point count"));
    m->xyz = tgs_calloc((size_t)count, 3 * sizeof(double), "COLMAP point positions");
    m->rgb = m->xyz ? tgs_calloc((size_t)count, 3, "COLMAP point colours") : NULL;
    if (!m->rgb)
        return TGS_ERR_NOMEM;
    c->rec_kind = "point";
    for (size_t i = 0; i < count; i++) {
        c->rec_index = i + 1;
        double err;
        uint64_t track_len;
        TGS_TRY(skip(c, 8, "point3D_id"));
        TGS_TRY(get_f64s(c, "xyz", 3, m->xyz + 3 * i));
        TGS_TRY(need(c, 3, "rgb"));
        memcpy(m->rgb + 3 * i, c->data + c->pos, 3);
        c->pos += 3;
        TGS_TRY(get_f64s(c, "error", 1, &err));
        TGS_TRY(get_u64(c, "the track length", &track_len));
        TGS_TRY(check_count(c, track_len, TRACK_ELEM_BYTES, "track length"));
        TGS_TRY(skip(c, (size_t)track_len * TRACK_ELEM_BYTES, "track"));
        m->n_points = i + 1;
    }
    c->rec_kind = NULL;
    return expect_end(c);
}

/* ---- text files ---------------------------------------------------------------- */

typedef struct {
    char *text; /* whole file, NUL-terminated; lines are cut in place */
    size_t size, next;
    const char *path;
    int line_no;
} line_reader;

static tgs_status open_text(const char *path, line_reader *r) {
    memset(r, 0, sizeof *r);
    unsigned char *buf;
    size_t n;
    TGS_TRY(read_whole_file(path, &buf, &n));
    const unsigned char *nul = memchr(buf, 0, n);
    if (nul) {
        size_t off = (size_t)(nul - buf);
        free(buf);
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: NUL byte at offset %zu (expected a COLMAP text file)", path, off);
    }
    r->text = (char *)buf;
    r->size = n;
    r->path = path;
    return TGS_OK;
}

/* The next raw line (without its end-of-line characters), or NULL at the end. */
static char *next_line(line_reader *r) {
    if (r->next >= r->size)
        return NULL;
    char *s = r->text + r->next;
    char *e = memchr(s, '\n', r->size - r->next);
    size_t len = e ? (size_t)(e - s) : r->size - r->next;
    r->next += len + (e ? 1 : 0);
    s[len] = '\0';
    if (len > 0 && s[len - 1] == '\r')
        s[len - 1] = '\0';
    r->line_no++;
    return s;
}

static int is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f'; }

static char *skip_space(char *s) {
    while (is_space(*s))
        s++;
    return s;
}

/* The next line that holds data (not empty, not a '#' comment), or NULL. */
static char *next_data_line(line_reader *r) {
    char *s;
    while ((s = next_line(r)) != NULL) {
        s = skip_space(s);
        if (*s != '\0' && *s != '#')
            return s;
    }
    return NULL;
}

/* Length of the token at s (up to whitespace). */
static size_t token_len(const char *s) {
    size_t n = 0;
    while (s[n] && !is_space(s[n]))
        n++;
    return n;
}

/* Number of whitespace-separated tokens from s to the end of the line. */
static int count_tokens(const char *s) {
    int n = 0;
    for (;;) {
        s = skip_space((char *)s);
        if (*s == '\0')
            return n;
        s += token_len(s);
        n++;
    }
}

static tgs_status bad_token(const line_reader *r, const char *s, const char *expected) {
    s = skip_space((char *)s);
    if (*s == '\0')
        return TGS_FAIL(TGS_ERR_FORMAT, "%s:%d: line ends early: expected %s", r->path, r->line_no, expected);
    return TGS_FAIL(TGS_ERR_FORMAT, "%s:%d: expected %s, found '%.*s'", r->path, r->line_no, expected,
                    (int)TGS_MIN(token_len(s), (size_t)64), s);
}

/* Parses one finite number at *s and advances past it. */
static tgs_status parse_f64(const line_reader *r, char **s, const char *expected, double *out) {
    char *p = skip_space(*s), *e;
    if (*p == '\0')
        return bad_token(r, p, expected);
    errno = 0;
    double v = strtod(p, &e);
    if (e == p || (*e && !is_space(*e)))
        return bad_token(r, p, expected);
    if (!isfinite(v))
        return TGS_FAIL(TGS_ERR_FORMAT, "%s:%d: non-finite value '%.*s' for %s (expected finite numbers)",
                        r->path, r->line_no, (int)TGS_MIN(token_len(p), (size_t)64), p, expected);
    *out = v;
    *s = e;
    return TGS_OK;
}

/* Parses one decimal integer in [lo, hi] at *s and advances past it. */
static tgs_status parse_int(const line_reader *r, char **s, long long lo, long long hi, const char *expected,
                            long long *out) {
    char *p = skip_space(*s), *e;
    if (*p == '\0')
        return bad_token(r, p, expected);
    errno = 0;
    long long v = strtoll(p, &e, 10);
    if (e == p || (*e && !is_space(*e)))
        return bad_token(r, p, expected);
    if (errno == ERANGE || v < lo || v > hi)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s:%d: %.*s is out of range for %s (expected %lld..%lld)", r->path,
                        r->line_no, (int)TGS_MIN(token_len(p), (size_t)64), p, expected, lo, hi);
    *out = v;
    *s = e;
    return TGS_OK;
}

static tgs_status expect_line_end(const line_reader *r, const char *s, const char *after) {
    s = skip_space((char *)s);
    if (*s != '\0')
        return TGS_FAIL(TGS_ERR_FORMAT, "%s:%d: unexpected '%.*s' after %s (expected the end of the line)",
                        r->path, r->line_no, (int)TGS_MIN(token_len(s), (size_t)64), s, after);
    return TGS_OK;
}

/* Grows *arr (of elem-sized items) so that it holds at least n items. */
static tgs_status grow(void **arr, size_t *cap, size_t n, size_t elem, const char *what) {
    if (n <= *cap)
        return TGS_OK;
    size_t new_cap = *cap ? *cap : 16;
    while (new_cap < n) {
        if (new_cap > SIZE_MAX / 2)
            return TGS_FAIL(TGS_ERR_NOMEM, "too many %s", what);
        new_cap *= 2;
    }
    int ok = 1;
    size_t bytes = tgs_mul_size(new_cap, elem, &ok);
    void *p = ok ? realloc(*arr, bytes) : NULL;
    if (!p)
        return TGS_FAIL(TGS_ERR_NOMEM, "out of memory growing %s to %zu items", what, new_cap);
    memset((char *)p + *cap * elem, 0, (new_cap - *cap) * elem);
    *arr = p;
    *cap = new_cap;
    return TGS_OK;
}

#define INT_ID_MAX 2147483647LL
#define INT_ID_MIN (-2147483647LL - 1)

static tgs_status parse_cameras_txt(line_reader *r, tgs_colmap_model *m) {
    size_t cap = 0;
    int have_unsupported = 0, first_unsupported_line = 0;
    size_t first_unsupported_idx = 0;
    char *s;
    while ((s = next_data_line(r)) != NULL) {
        TGS_TRY(grow((void **)&m->cameras, &cap, m->n_cameras + 1, sizeof *m->cameras, "COLMAP cameras"));
        tgs_colmap_camera *cam = &m->cameras[m->n_cameras];
        long long v;
        TGS_TRY(parse_int(r, &s, INT_ID_MIN, INT_ID_MAX, "CAMERA_ID (an integer)", &v));
        cam->id = (int)v;
        s = skip_space(s);
        size_t len = token_len(s);
        const tgs_camera_model_info *info = tgs_camera_model_by_name(s, len);
        if (!info) {
            if (len == 0)
                return bad_token(r, s, "MODEL (a COLMAP camera model name)");
            return TGS_FAIL(TGS_ERR_FORMAT, "%s:%d: camera %d has unknown model '%.*s' (expected a COLMAP "
                            "camera model name such as PINHOLE)", r->path, r->line_no, cam->id,
                            (int)TGS_MIN(len, (size_t)64), s);
        }
        s += len;
        const int model = info->id;
        set_model(cam, model);
        TGS_TRY(parse_int(r, &s, 1, (long long)MAX_IMAGE_SIDE - 1, "WIDTH (a positive integer)", &v));
        cam->width = (uint64_t)v;
        TGS_TRY(parse_int(r, &s, 1, (long long)MAX_IMAGE_SIDE - 1, "HEIGHT (a positive integer)", &v));
        cam->height = (uint64_t)v;
        int n_found = count_tokens(s);
        if (n_found != cam->n_params)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s:%d: camera %d: the %s model has %d parameters (%s), found %d",
                            r->path, r->line_no, cam->id, cam->model_name, cam->n_params,
                            info->supported ? info->param_names : "see COLMAP's documentation", n_found);
        for (int k = 0; k < cam->n_params; k++) {
            char what[96];
            snprintf(what, sizeof what, "parameter %d of %d of the %s model", k + 1, cam->n_params,
                     cam->model_name);
            TGS_TRY(parse_f64(r, &s, what, &cam->params[k]));
        }
        TGS_TRY(expect_line_end(r, s, "the camera parameters"));
        m->n_cameras++;
        char where[4200];
        snprintf(where, sizeof where, "%s:%d", r->path, r->line_no);
        TGS_TRY(check_camera(where, cam));
        if (!model_supported(model) && !have_unsupported) {
            have_unsupported = 1;
            first_unsupported_idx = m->n_cameras - 1;
            first_unsupported_line = r->line_no;
        }
    }
    if (have_unsupported) {
        char where[4200];
        snprintf(where, sizeof where, "%s:%d", r->path, first_unsupported_line);
        return refuse_model(where, &m->cameras[first_unsupported_idx]);
    }
    return TGS_OK;
}

static tgs_status parse_images_txt(line_reader *r, tgs_colmap_model *m) {
    size_t cap = 0;
    char *s;
    while ((s = next_data_line(r)) != NULL) {
        TGS_TRY(grow((void **)&m->images, &cap, m->n_images + 1, sizeof *m->images, "COLMAP images"));
        tgs_colmap_image *im = &m->images[m->n_images];
        int line = r->line_no;
        long long v;
        TGS_TRY(parse_int(r, &s, INT_ID_MIN, INT_ID_MAX, "IMAGE_ID (an integer)", &v));
        im->id = (int)v;
        static const char *const qnames[4] = {"QW", "QX", "QY", "QZ"};
        static const char *const tnames[3] = {"TX", "TY", "TZ"};
        for (int k = 0; k < 4; k++)
            TGS_TRY(parse_f64(r, &s, qnames[k], &im->qvec[k]));
        for (int k = 0; k < 3; k++)
            TGS_TRY(parse_f64(r, &s, tnames[k], &im->tvec[k]));
        TGS_TRY(parse_int(r, &s, INT_ID_MIN, INT_ID_MAX, "CAMERA_ID (an integer)", &v));
        im->camera_id = (int)v;
        /* NAME: the rest of the line (COLMAP writes names as they are, spaces included). */
        s = skip_space(s);
        size_t len = strlen(s);
        while (len > 0 && is_space(s[len - 1]))
            len--;
        if (len == 0 || len >= sizeof im->name)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s:%d: image %d has a name of %zu bytes (expected NAME, 1..%zu bytes)",
                            r->path, line, im->id, len, sizeof im->name - 1);
        memcpy(im->name, s, len);
        im->name[len] = '\0';
        m->n_images++;
        char where[4200];
        snprintf(where, sizeof where, "%s:%d", r->path, line);
        TGS_TRY(check_image(where, im));
        /* POINTS2D: the very next line, possibly empty: triples X Y POINT3D_ID. */
        char *p = next_line(r);
        if (!p)
            break;
        for (;;) {
            p = skip_space(p);
            if (*p == '\0')
                break;
            double x, y;
            TGS_TRY(parse_f64(r, &p, "X of a 2D point (POINTS2D line: X Y POINT3D_ID ...)", &x));
            TGS_TRY(parse_f64(r, &p, "Y of a 2D point (POINTS2D line: X Y POINT3D_ID ...)", &y));
            TGS_TRY(parse_int(r, &p, -1, INT64_MAX, "POINT3D_ID of a 2D point (an integer, -1 for none)", &v));
        }
    }
    return TGS_OK;
}

static tgs_status parse_points_txt(line_reader *r, tgs_colmap_model *m) {
    size_t cap_xyz = 0, cap_rgb = 0;
    char *s;
    while ((s = next_data_line(r)) != NULL) {
        size_t i = m->n_points;
        TGS_TRY(grow((void **)&m->xyz, &cap_xyz, i + 1, 3 * sizeof(double), "COLMAP point positions"));
        TGS_TRY(grow((void **)&m->rgb, &cap_rgb, i + 1, 3, "COLMAP point colours"));
        long long v;
        double err;
        TGS_TRY(parse_int(r, &s, 0, INT64_MAX, "POINT3D_ID (a non-negative integer)", &v));
        static const char *const xnames[3] = {"X", "Y", "Z"};
        static const char *const cnames[3] = {"R (0..255)", "G (0..255)", "B (0..255)"};
        for (int k = 0; k < 3; k++)
            TGS_TRY(parse_f64(r, &s, xnames[k], &m->xyz[3 * i + k]));
        for (int k = 0; k < 3; k++) {
            TGS_TRY(parse_int(r, &s, 0, 255, cnames[k], &v));
            m->rgb[3 * i + k] = (unsigned char)v;
        }
        TGS_TRY(parse_f64(r, &s, "ERROR", &err));
        for (;;) {
            s = skip_space(s);
            if (*s == '\0')
                break;
            TGS_TRY(parse_int(r, &s, INT_ID_MIN, INT_ID_MAX, "IMAGE_ID of a track element (TRACK: IMAGE_ID POINT2D_IDX ...)", &v));
            TGS_TRY(parse_int(r, &s, 0, INT_ID_MAX, "POINT2D_IDX of a track element (TRACK: IMAGE_ID POINT2D_IDX ...)", &v));
        }
        m->n_points++;
    }
    return TGS_OK;
}

typedef tgs_status (*text_parser)(line_reader *, tgs_colmap_model *);

static tgs_status read_text(const char *path, text_parser parse, tgs_colmap_model *m) {
    line_reader r;
    TGS_TRY(open_text(path, &r));
    tgs_status st = parse(&r, m);
    free(r.text);
    return st;
}

typedef tgs_status (*bin_parser)(cursor *, tgs_colmap_model *);

static tgs_status read_bin(const char *path, bin_parser parse, tgs_colmap_model *m) {
    unsigned char *buf;
    size_t n;
    TGS_TRY(read_whole_file(path, &buf, &n));
    cursor c = {.data = buf, .size = n, .pos = 0, .path = path};
    tgs_status st = parse(&c, m);
    free(buf);
    return st;
}

/* ---- model-level checks --------------------------------------------------------- */

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Duplicate ids and dangling camera references; at least one image. */
static tgs_status check_model(const tgs_colmap_model *m, const char *cameras_path, const char *images_path) {
    if (m->n_images == 0)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: no images (expected at least one registered image)", images_path);
    tgs_status st = TGS_OK;
    int *cam_ids = tgs_calloc(m->n_cameras, sizeof(int), "camera ids");
    int *img_ids = tgs_calloc(m->n_images, sizeof(int), "image ids");
    if (!cam_ids || !img_ids) {
        st = TGS_ERR_NOMEM;
        goto cleanup;
    }
    for (size_t i = 0; i < m->n_cameras; i++)
        cam_ids[i] = m->cameras[i].id;
    for (size_t i = 0; i < m->n_images; i++)
        img_ids[i] = m->images[i].id;
    qsort(cam_ids, m->n_cameras, sizeof(int), cmp_int);
    qsort(img_ids, m->n_images, sizeof(int), cmp_int);
    for (size_t i = 1; i < m->n_cameras; i++)
        if (cam_ids[i] == cam_ids[i - 1]) {
            st = TGS_FAIL(TGS_ERR_FORMAT, "%s: camera id %d appears more than once (expected unique ids)",
                          cameras_path, cam_ids[i]);
            goto cleanup;
        }
    for (size_t i = 1; i < m->n_images; i++)
        if (img_ids[i] == img_ids[i - 1]) {
            st = TGS_FAIL(TGS_ERR_FORMAT, "%s: image id %d appears more than once (expected unique ids)",
                          images_path, img_ids[i]);
            goto cleanup;
        }
    for (size_t i = 0; i < m->n_images; i++) {
        const tgs_colmap_image *im = &m->images[i];
        if (!bsearch(&im->camera_id, cam_ids, m->n_cameras, sizeof(int), cmp_int)) {
            st = TGS_FAIL(TGS_ERR_FORMAT, "%s: image %d (%s) refers to camera %d, which %s does not define "
                          "(expected an existing camera id)", images_path, im->id, im->name, im->camera_id,
                          cameras_path);
            goto cleanup;
        }
    }
cleanup:
    free(cam_ids);
    free(img_ids);
    return st;
}

/* ---- entry points ------------------------------------------------------------------- */

static int is_file(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static const char *const k_stems[3] = {"cameras", "images", "points3D"};

tgs_status tgs_colmap_read(const char *sparse_dir, tgs_colmap_model *out) {
    memset(out, 0, sizeof *out);
    struct stat sb;
    if (stat(sparse_dir, &sb) != 0)
        return TGS_FAIL(TGS_ERR_IO, "%s: no COLMAP model (expected cameras.bin/images.bin/points3D.bin or the "
                        ".txt versions): %s", sparse_dir, strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return TGS_FAIL(TGS_ERR_IO, "%s: no COLMAP model (expected cameras.bin/images.bin/points3D.bin or the "
                        ".txt versions): not a directory", sparse_dir);
    char paths[3][4200];
    int have_bin = 0, have_txt = 0;
    for (int k = 0; k < 3; k++) {
        snprintf(paths[k], sizeof paths[k], "%s/%s.bin", sparse_dir, k_stems[k]);
        have_bin += is_file(paths[k]);
        snprintf(paths[k], sizeof paths[k], "%s/%s.txt", sparse_dir, k_stems[k]);
        have_txt += is_file(paths[k]);
    }
    if (!have_bin && !have_txt)
        return TGS_FAIL(TGS_ERR_IO, "%s: no COLMAP model (expected cameras.bin/images.bin/points3D.bin or the "
                        ".txt versions)", sparse_dir);
    const char *ext = have_bin ? "bin" : "txt";
    for (int k = 0; k < 3; k++) {
        snprintf(paths[k], sizeof paths[k], "%s/%s.%s", sparse_dir, k_stems[k], ext);
        if (!is_file(paths[k]))
            return TGS_FAIL(TGS_ERR_IO, "%s: missing (expected cameras.%s, images.%s and points3D.%s together "
                            "in %s)", paths[k], ext, ext, ext, sparse_dir);
    }
    tgs_status st;
    if (have_bin) {
        st = read_bin(paths[0], read_cameras_bin, out);
        if (st == TGS_OK)
            st = read_bin(paths[1], read_images_bin, out);
        if (st == TGS_OK)
            st = read_bin(paths[2], read_points_bin, out);
    } else {
        st = read_text(paths[0], parse_cameras_txt, out);
        if (st == TGS_OK)
            st = read_text(paths[1], parse_images_txt, out);
        if (st == TGS_OK)
            st = read_text(paths[2], parse_points_txt, out);
    }
    if (st == TGS_OK)
        st = check_model(out, paths[0], paths[1]);
    if (st != TGS_OK)
        tgs_colmap_free(out);
    return st;
}

void tgs_colmap_free(tgs_colmap_model *m) {
    if (!m)
        return;
    free(m->cameras);
    free(m->images);
    free(m->xyz);
    free(m->rgb);
    memset(m, 0, sizeof *m);
}
