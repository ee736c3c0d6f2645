/* splat_cply.c - PlayCanvas/SuperSplat's compressed PLY, from the format as
 * PlayCanvas's splat-transform writes and reads it (its compressed-chunk and
 * decompress-ply sources, read for the layout).
 *
 * A binary little-endian PLY with these elements, in this order:
 *   chunk   ceil(n/256) x 18 float: min_x min_y min_z max_x max_y max_z,
 *           min_scale_x.. max_scale_z (log scales, clamped to [-20, 20]),
 *           min_r min_g min_b max_r max_g max_b (colour 0.5 + SH_C0 * sh_dc);
 *           older files have the first 12 only (colours then plain 0..1)
 *   vertex  n x 4 uint: packed_position, packed_rotation, packed_scale, packed_color
 *   sh      n x 3K uchar f_rest_0.. (optional; channel-major as in a 3DGS PLY)
 * Each value is t = (v - min) / (max - min) within its chunk (0 when the range
 * is under 1e-5), stored as round(t * (2^bits - 1)):
 *   position, scale  x 11 bits << 21 | y 10 bits << 11 | z 11 bits
 *   colour           r << 24 | g << 16 | b << 8 | alpha, 8 bits each, alpha = sigmoid(opacity)
 *   rotation         the quaternion (rot_0..3 order: w, x, y, z) normalised and
 *                    negated if its largest component is negative; bits 30-31 the
 *                    index of that component, then the other three in index
 *                    order from the high bits down, each round((c/sqrt2 + 0.5) * 1023)
 *   sh               floor((c/8 + 0.5) * 256) clamped to 0..255; read back as
 *                    (b + 0.5)/256 (0 and 255: the ends), times 8 minus 4
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/splat_internal.h"

#define CPLY_CHUNK 256
#define CPLY_SQRT2 1.41421356237309504880

static const char *const chunk_props[18] = {
    "min_x",       "min_y",       "min_z",       "max_x", "max_y", "max_z", "min_scale_x", "min_scale_y", "min_scale_z",
    "max_scale_x", "max_scale_y", "max_scale_z", "min_r", "min_g", "min_b", "max_r",       "max_g",       "max_b"};
static const char *const vertex_props[4] = {"packed_position", "packed_rotation", "packed_scale", "packed_color"};

/* ------------------------------------------------------------------------ */
/* Writing                                                                   */

static uint32_t unorm(double t, int bits) {
    const uint32_t top = (1u << bits) - 1;
    return splat_quant(t * top, top);
}

static double normalise(double x, double lo, double hi) {
    if (x <= lo)
        return 0.0;
    if (x >= hi)
        return 1.0;
    return hi - lo < 1e-5 ? 0.0 : (x - lo) / (hi - lo);
}

static uint32_t pack_111011(const double v[3], const float *lo, const float *hi) {
    return unorm(normalise(v[0], lo[0], hi[0]), 11) << 21 | unorm(normalise(v[1], lo[1], hi[1]), 10) << 11 |
           unorm(normalise(v[2], lo[2], hi[2]), 11);
}

static uint32_t pack_rotation(const float q[4]) {
    double a[4];
    splat_quat_normalise(q, a);
    int largest = 0;
    for (int i = 1; i < 4; i++)
        if (fabs(a[i]) > fabs(a[largest]))
            largest = i;
    const double sign = a[largest] < 0 ? -1.0 : 1.0;
    uint32_t r = (uint32_t)largest;
    for (int i = 0; i < 4; i++)
        if (i != largest)
            r = r << 10 | unorm(sign * a[i] / CPLY_SQRT2 + 0.5, 10);
    return r;
}

/* Bounds of chunk members idx[0..m) into b[18] (chunk_props order). */
static void chunk_bounds(const tgs_splats *s, const uint32_t *idx, size_t m, float *b /*[18]*/) {
    for (int a = 0; a < 3; a++) {
        b[a] = b[6 + a] = b[12 + a] = INFINITY;
        b[3 + a] = b[9 + a] = b[15 + a] = -INFINITY;
    }
    for (size_t j = 0; j < m; j++)
        for (size_t a = 0; a < 3; a++) {
            const size_t k = (size_t)idx[j] * 3 + a;
            const float c = (float)(0.5 + SPLAT_SH_C0 * s->sh_dc[k]);
            b[a] = TGS_MIN(b[a], s->means[k]), b[3 + a] = TGS_MAX(b[3 + a], s->means[k]);
            b[6 + a] = TGS_MIN(b[6 + a], s->scales_raw[k]), b[9 + a] = TGS_MAX(b[9 + a], s->scales_raw[k]);
            b[12 + a] = TGS_MIN(b[12 + a], c), b[15 + a] = TGS_MAX(b[15 + a], c);
        }
    for (int a = 6; a < 12; a++)
        b[a] = TGS_MIN(TGS_MAX(b[a], -20.0f), 20.0f);
}

/* Packs Gaussian i with its chunk's bounds b into v[4] and, K > 0, sh[3K]. */
static void pack_gaussian(const tgs_splats *s, size_t i, const float *b, uint32_t *v /*[4]*/, uint8_t *sh) {
    double pos[3], scale[3], col[3];
    for (size_t a = 0; a < 3; a++) {
        pos[a] = s->means[i * 3 + a];
        scale[a] = s->scales_raw[i * 3 + a];
        col[a] = (float)(0.5 + SPLAT_SH_C0 * s->sh_dc[i * 3 + a]); /* as the bounds saw it */
    }
    v[0] = pack_111011(pos, b, b + 3);
    v[1] = pack_rotation(s->rots + i * 4);
    v[2] = pack_111011(scale, b + 6, b + 9);
    v[3] = unorm(normalise(col[0], b[12], b[15]), 8) << 24 | unorm(normalise(col[1], b[13], b[16]), 8) << 16 |
           unorm(normalise(col[2], b[14], b[17]), 8) << 8 | unorm(splat_sigmoid(s->opacity_raw[i]), 8);
    const size_t K = (size_t)tgs_splats_rest_count(s->sh_degree);
    for (size_t c = 0; c < 3; c++)
        for (size_t k = 0; k < K; k++) {
            double t = s->sh_rest[(i * K + k) * 3 + c] / 8.0 + 0.5;
            sh[c * K + k] = (uint8_t)TGS_MIN(TGS_MAX(floor(t * 256.0), 0.0), 255.0);
        }
}

static tgs_status cply_header(const tgs_splats *s, size_t chunks, splat_buf *out) {
    char line[96];
    const size_t K = (size_t)tgs_splats_rest_count(s->sh_degree);
    int len = snprintf(line, sizeof line, "ply\nformat binary_little_endian 1.0\ncomment Generated by tgs\n"
                                          "element chunk %zu\n", chunks);
    if (!splat_buf_append(out, line, (size_t)len))
        return TGS_ERR_NOMEM;
    for (int p = 0; p < 18 + 5 + (int)(K ? 1 + 3 * K : 0); p++) {
        if (p < 18)
            len = snprintf(line, sizeof line, "property float %s\n", chunk_props[p]);
        else if (p == 18)
            len = snprintf(line, sizeof line, "element vertex %zu\n", s->n);
        else if (p < 23)
            len = snprintf(line, sizeof line, "property uint %s\n", vertex_props[p - 19]);
        else if (p == 23)
            len = snprintf(line, sizeof line, "element sh %zu\n", s->n);
        else
            len = snprintf(line, sizeof line, "property uchar f_rest_%d\n", p - 24);
        if (!splat_buf_append(out, line, (size_t)len))
            return TGS_ERR_NOMEM;
    }
    return splat_buf_append(out, "end_header\n", 11) ? TGS_OK : TGS_ERR_NOMEM;
}

static tgs_status cply_encode(const tgs_splats *s, const uint32_t *order, splat_buf *out) {
    const size_t K = (size_t)tgs_splats_rest_count(s->sh_degree), chunks = (s->n + CPLY_CHUNK - 1) / CPLY_CHUNK;
    TGS_TRY(cply_header(s, chunks, out));
    const size_t chunk_at = out->n, vertex_at = chunk_at + chunks * 18 * 4, sh_at = vertex_at + s->n * 16;
    if (!splat_buf_append(out, NULL, chunks * 18 * 4 + s->n * (16 + 3 * K)))
        return TGS_ERR_NOMEM;
    for (size_t c = 0; c < chunks; c++) {
        const size_t first = c * CPLY_CHUNK, m = TGS_MIN((size_t)CPLY_CHUNK, s->n - first);
        float b[18];
        chunk_bounds(s, order + first, m, b);
        for (int a = 0; a < 18; a++)
            splat_put_f32(out->p + chunk_at + (c * 18 + (size_t)a) * 4, b[a]);
        for (size_t j = first; j < first + m; j++) {
            uint32_t v[4];
            pack_gaussian(s, order[j], b, v, out->p + sh_at + j * 3 * K);
            for (int a = 0; a < 4; a++)
                splat_put_u32(out->p + vertex_at + j * 16 + (size_t)a * 4, v[a]);
        }
    }
    return TGS_OK;
}

tgs_status tgs_splats_write_compressed_ply(const char *path, const tgs_splats *s,
                                           const tgs_compressed_ply_options *opt) {
    TGS_TRY(splat_check_table(path, s));
    if (s->n > UINT32_MAX)
        return TGS_FAIL(TGS_ERR_ARG, "%s: %zu Gaussians is too many for one compressed PLY", path, s->n);
    uint32_t *order = tgs_calloc(s->n, sizeof *order, "compressed PLY order");
    if (!order)
        return TGS_ERR_NOMEM;
    tgs_status st = TGS_OK;
    if (opt && opt->keep_order)
        for (size_t i = 0; i < s->n; i++)
            order[i] = (uint32_t)i;
    else
        st = tgs_splats_morton_order(s, order);
    splat_buf out = {0};
    if (st == TGS_OK)
        st = cply_encode(s, order, &out);
    if (st == TGS_OK)
        st = splat_write_atomic(path, out.p, out.n);
    splat_buf_free(&out);
    free(order);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Reading                                                                   */

typedef struct {
    char name[16];
    size_t count;
    int nprops;
    int prop[45]; /* index into the element's expected names, in file order */
} cply_element;

typedef struct {
    size_t header_len;
    cply_element el[3]; /* chunk, vertex, sh in file order */
    int nel;
} cply_file;

/* Index of name among the element's expected property names, -1 if none. */
static int expected_prop(const char *element, const char *type, const char *name) {
    if (strcmp(element, "chunk") == 0 && (!strcmp(type, "float") || !strcmp(type, "float32"))) {
        for (int i = 0; i < 18; i++)
            if (strcmp(name, chunk_props[i]) == 0)
                return i;
    } else if (strcmp(element, "vertex") == 0 && (!strcmp(type, "uint") || !strcmp(type, "uint32"))) {
        for (int i = 0; i < 4; i++)
            if (strcmp(name, vertex_props[i]) == 0)
                return i;
    } else if (strcmp(element, "sh") == 0 && (!strcmp(type, "uchar") || !strcmp(type, "uint8"))) {
        int k;
        char tail;
        if (sscanf(name, "f_rest_%d%c", &k, &tail) == 1 && k >= 0 && k < 45)
            return k;
    }
    return -1;
}

/* One header line (NUL-terminated, no newline) into f. */
static tgs_status cply_header_line(const char *path, char *line, cply_file *f) {
    char a[32], b[32], c[64], extra[2];
    int n = sscanf(line, "%31s %31s %63s %1s", a, b, c, extra);
    if (n >= 1 && (strcmp(a, "comment") == 0 || strcmp(a, "obj_info") == 0))
        return TGS_OK;
    if (n == 3 && strcmp(a, "format") == 0 && strcmp(b, "binary_little_endian") == 0)
        return TGS_OK;
    if (n == 3 && strcmp(a, "element") == 0 && f->nel < 3 && strlen(b) < 16) {
        cply_element *e = &f->el[f->nel++];
        char *end;
        errno = 0;
        unsigned long long cnt = strtoull(c, &end, 10);
        if (*end || errno || c[0] == '-' || cnt > UINT32_MAX)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: element %s count '%s' (expected 0..2^32-1)", path, b, c);
        strcpy(e->name, b);
        e->count = (size_t)cnt;
        return TGS_OK;
    }
    if (n == 3 && strcmp(a, "property") == 0 && f->nel > 0) {
        cply_element *e = &f->el[f->nel - 1];
        int idx = expected_prop(e->name, b, c);
        if (idx < 0 || e->nprops >= 45)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: unexpected property '%s %s' in element %s of a compressed PLY", path,
                            b, c, e->name);
        e->prop[e->nprops++] = idx;
        return TGS_OK;
    }
    return TGS_FAIL(TGS_ERR_FORMAT, "%s: unexpected compressed PLY header line '%.60s'", path, line);
}

static tgs_status cply_parse_header(const char *path, const uint8_t *data, size_t size, cply_file *f) {
    memset(f, 0, sizeof *f);
    const char *d = (const char *)data;
    if (size < 4 || memcmp(d, "ply\n", 4) != 0)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: not a PLY file (no 'ply' line)", path);
    const size_t limit = TGS_MIN(size, (size_t)65536);
    size_t at = 4;
    int format_seen = 0;
    while (at < limit) {
        const char *nl = memchr(d + at, '\n', limit - at);
        if (!nl || nl - (d + at) >= 200)
            break;
        char line[200];
        size_t len = (size_t)(nl - (d + at));
        memcpy(line, d + at, len);
        line[len] = 0;
        if (len && line[len - 1] == '\r')
            line[len - 1] = 0;
        at += len + 1;
        if (strcmp(line, "end_header") == 0) {
            f->header_len = at;
            return format_seen ? TGS_OK : TGS_FAIL(TGS_ERR_FORMAT, "%s: PLY header without a binary little-endian "
                                                                   "format line", path);
        }
        format_seen |= strncmp(line, "format ", 7) == 0;
        TGS_TRY(cply_header_line(path, line, f));
    }
    return TGS_FAIL(TGS_ERR_FORMAT, "%s: PLY header without end_header in its first %zu bytes", path, limit);
}

/* Where each element's data starts and which column holds each expected
 * property. */
typedef struct {
    size_t n, chunks, chunk_at, vertex_at, sh_at;
    int chunk_props, sh_props;
    int chunk_col[18], vertex_col[4], sh_col[45];
} cply_layout;

/* Fills col[expected index] = column, checking every expected name of the
 * first `want` appears once. */
static tgs_status cply_columns(const char *path, const cply_element *e, int want, int *col) {
    for (int i = 0; i < want; i++)
        col[i] = -1;
    for (int c = 0; c < e->nprops; c++) {
        int idx = e->prop[c];
        if (idx >= want || col[idx] >= 0)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: element %s has a repeated or unexpected property", path, e->name);
        col[idx] = c;
    }
    for (int i = 0; i < want; i++)
        if (col[i] < 0)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: element %s lacks a property (%d of %d)", path, e->name, e->nprops,
                            want);
    return TGS_OK;
}

/* Checks the elements against each other and the file size; allocates nothing. */
static tgs_status cply_layout_make(const char *path, const cply_file *f, size_t size, cply_layout *l) {
    memset(l, 0, sizeof *l);
    const cply_element *chunk = NULL, *vertex = NULL, *sh = NULL;
    size_t at = f->header_len;
    size_t starts[3];
    for (int i = 0; i < f->nel; i++) {
        const cply_element *e = &f->el[i];
        const cply_element **slot = !strcmp(e->name, "chunk") ? &chunk : !strcmp(e->name, "vertex") ? &vertex
                                    : !strcmp(e->name, "sh")  ? &sh : NULL;
        if (!slot || *slot)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: unexpected or repeated element '%s' in a compressed PLY", path,
                            e->name);
        *slot = e;
        starts[i] = at;
        size_t per = (size_t)e->nprops * (slot == &chunk ? 4 : slot == &vertex ? 4 : 1);
        if (at > size || size - at < e->count * per)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: truncated: element %s needs %zu bytes, %zu left", path, e->name,
                            e->count * per, at > size ? 0 : size - at);
        at += e->count * per;
    }
    if (!chunk || !vertex)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: a compressed PLY needs a chunk and a vertex element", path);
    if (at != size)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: %zu bytes after the compressed PLY's data", path, size - at);
    l->n = vertex->count;
    l->chunks = chunk->count;
    if (l->n == 0 || l->chunks != (l->n + CPLY_CHUNK - 1) / CPLY_CHUNK)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: %zu chunks for %zu Gaussians (expected %zu, 256 a chunk)", path,
                        l->chunks, l->n, (l->n + CPLY_CHUNK - 1) / CPLY_CHUNK);
    l->chunk_props = chunk->nprops;
    if (l->chunk_props != 12 && l->chunk_props != 18)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: chunk element with %d properties (expected 12 or 18)", path,
                        l->chunk_props);
    TGS_TRY(cply_columns(path, chunk, l->chunk_props, l->chunk_col));
    TGS_TRY(cply_columns(path, vertex, 4, l->vertex_col));
    if (vertex->nprops != 4)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: vertex element with %d properties (expected 4)", path, vertex->nprops);
    l->sh_props = sh ? sh->nprops : 0;
    if (sh && ((l->sh_props != 9 && l->sh_props != 24 && l->sh_props != 45) || sh->count != l->n))
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: sh element of %zu x %d (expected %zu x 9, 24 or 45)", path, sh->count,
                        l->sh_props, l->n);
    if (sh)
        TGS_TRY(cply_columns(path, sh, l->sh_props, l->sh_col));
    for (int i = 0; i < f->nel; i++) {
        const cply_element *e = &f->el[i];
        *(e == chunk ? &l->chunk_at : e == vertex ? &l->vertex_at : &l->sh_at) = starts[i];
    }
    return TGS_OK;
}

static double lerp(double lo, double hi, double t) { return lo * (1.0 - t) + hi * t; }

static void unpack_rotation(uint32_t v, float q[4] /* w,x,y,z */) {
    double c[3], sum = 0.0;
    for (int i = 0; i < 3; i++) {
        c[i] = ((v >> (20 - 10 * i) & 1023u) / 1023.0 - 0.5) * CPLY_SQRT2;
        sum += c[i] * c[i];
    }
    const int largest = (int)(v >> 30);
    for (int i = 0, j = 0; i < 4; i++)
        q[i] = (float)(i == largest ? sqrt(TGS_MAX(0.0, 1.0 - sum)) : c[j++]);
}

/* Decodes Gaussian i (chunk floats b in chunk_props order). */
static void cply_decode(const uint8_t *data, const cply_layout *l, const float *b, size_t i, tgs_splats *s) {
    uint32_t v[4];
    for (int a = 0; a < 4; a++)
        v[a] = splat_get_u32(data + l->vertex_at + i * 16 + (size_t)l->vertex_col[a] * 4);
    for (size_t a = 0; a < 3; a++) {
        const int shift = a == 0 ? 21 : a == 1 ? 11 : 0, bits = a == 1 ? 10 : 11;
        const double top = (double)((1u << bits) - 1);
        s->means[i * 3 + a] = (float)lerp(b[a], b[3 + a], (v[0] >> shift & ((1u << bits) - 1)) / top);
        s->scales_raw[i * 3 + a] = (float)lerp(b[6 + a], b[9 + a], (v[2] >> shift & ((1u << bits) - 1)) / top);
        const double t = (v[3] >> (24 - 8 * a) & 255u) / 255.0;
        const double col = l->chunk_props == 18 ? lerp(b[12 + a], b[15 + a], t) : t;
        s->sh_dc[i * 3 + a] = (float)((col - 0.5) / SPLAT_SH_C0);
    }
    s->opacity_raw[i] = splat_alpha_logit(v[3] & 255u);
    unpack_rotation(v[1], s->rots + i * 4);
    const size_t K = (size_t)l->sh_props / 3;
    for (size_t c = 0; c < 3; c++)
        for (size_t k = 0; k < K; k++) {
            const uint8_t q = data[l->sh_at + i * (size_t)l->sh_props + (size_t)l->sh_col[c * K + k]];
            const double t = q == 0 ? 0.0 : q == 255 ? 1.0 : (q + 0.5) / 256.0;
            s->sh_rest[(i * K + k) * 3 + c] = (float)((t - 0.5) * 8.0);
        }
}

tgs_status tgs_splats_read_compressed_ply(const char *path, tgs_splats **out) {
    *out = NULL;
    uint8_t *data = NULL;
    size_t size = 0;
    TGS_TRY(splat_read_file(path, &data, &size));
    cply_file f;
    cply_layout l;
    tgs_splats *s = NULL;
    tgs_status st = cply_parse_header(path, data, size, &f);
    if (st == TGS_OK)
        st = cply_layout_make(path, &f, size, &l);
    if (st == TGS_OK)
        st = tgs_splats_create(l.n, l.sh_props == 45 ? 3 : l.sh_props == 24 ? 2 : l.sh_props == 9 ? 1 : 0, &s);
    for (size_t c = 0; st == TGS_OK && c < l.chunks; c++) {
        float b[18];
        for (int a = 0; a < l.chunk_props; a++) {
            b[a] = splat_get_f32(data + l.chunk_at + (c * (size_t)l.chunk_props + (size_t)l.chunk_col[a]) * 4);
            if (!isfinite(b[a]))
                st = TGS_FAIL(TGS_ERR_FORMAT, "%s: chunk %zu has a non-finite %s", path, c, chunk_props[a]);
        }
        for (size_t i = c * CPLY_CHUNK; st == TGS_OK && i < TGS_MIN(l.n, (c + 1) * CPLY_CHUNK); i++)
            cply_decode(data, &l, b, i, s);
    }
    free(data);
    if (st != TGS_OK) {
        tgs_splats_free(s);
        return st;
    }
    *out = s;
    return TGS_OK;
}
