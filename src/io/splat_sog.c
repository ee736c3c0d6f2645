/* splat_sog.c - PlayCanvas's SOG (version 2): meta.json and lossless WebP
 * images of width x height texels, texel i holding Gaussian i (row-major):
 *   means_l.webp, means_u.webp  low and high bytes of 16-bit positions: each axis
 *                               of sign(x)*log(|x|+1) between meta's mins and maxs
 *   quats.webp                  three components of the normalised quaternion
 *                               (the largest dropped, made positive) as
 *                               round(255*(c*sqrt2*0.5+0.5)); alpha 252 + the
 *                               dropped one's index (w,x,y,z)
 *   scales.webp                 indices into meta's 256-entry log-scale codebook
 *   sh0.webp                    indices into the 256-entry SH DC codebook;
 *                               alpha round(255*sigmoid(opacity))
 *   shN_labels.webp             16-bit palette index (low byte R, high byte G)
 *   shN_centroids.webp          the palette, 64 entries a row, each K texels
 *                               (coefficient j: R, G, B indices into meta's
 *                               256-entry SH rest codebook)
 * A .sog file is a zip of those files; a folder form keeps them beside its
 * meta.json. See tgs/splat_formats.h for what a round trip keeps. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <webp/decode.h>
#include <webp/encode.h>

#include "io/splat_internal.h"

enum { SOG_FILES = 7, SOG_MAX_SIDE = 16383, SOG_PALETTE_MAX = 65536, SOG_PER_BYTE = 16384 };
static const char *const sog_files[SOG_FILES] = {"means_l.webp", "means_u.webp", "quats.webp", "scales.webp",
                                                  "sh0.webp",     "shN_centroids.webp", "shN_labels.webp"};
enum { F_MEANS_L, F_MEANS_U, F_QUATS, F_SCALES, F_SH0, F_CENTROIDS, F_LABELS };

/* The folder form's meta.json: a name ending in ".json". */
static int sog_is_folder_form(const char *path) {
    size_t n = strlen(path);
    return n >= 5 && strcmp(path + n - 5, ".json") == 0;
}

/* ------------------------------------------------------------------------ */
/* Writing                                                                   */

typedef struct {
    size_t n, w, h;       /* Gaussians, texture size */
    uint8_t *img[SOG_FILES]; /* RGBA [h,w,4] each; centroids [ch,cw,4] */
    size_t cw, ch;        /* centroid texture size */
    float mins[3], maxs[3], scale_book[256], dc_book[256], rest_book[256];
    size_t palette;       /* SH palette entries; 0 without SH rest */
} sog_images;

static void sog_images_free(sog_images *m) {
    for (int f = 0; f < SOG_FILES; f++)
        free(m->img[f]);
}

static double log_transform(double x) { return x < 0.0 ? -log(1.0 - x) : log(1.0 + x); }

static void encode_means(const tgs_splats *s, const uint32_t *order, sog_images *m) {
    for (int a = 0; a < 3; a++) {
        double lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < s->n; i++) {
            double v = log_transform(s->means[i * 3 + (size_t)a]);
            lo = TGS_MIN(lo, v), hi = TGS_MAX(hi, v);
        }
        m->mins[a] = (float)lo, m->maxs[a] = (float)hi;
    }
    for (size_t j = 0; j < s->n; j++)
        for (int a = 0; a < 3; a++) {
            const double lo = m->mins[a], ext = (double)m->maxs[a] - lo;
            double t = ext > 0.0 ? (log_transform(s->means[order[j] * 3 + (size_t)a]) - lo) / ext : 0.0;
            uint32_t q = splat_quant(t * 65535.0, 65535);
            m->img[F_MEANS_L][j * 4 + (size_t)a] = (uint8_t)(q & 255u);
            m->img[F_MEANS_U][j * 4 + (size_t)a] = (uint8_t)(q >> 8);
        }
    for (size_t j = 0; j < s->n; j++)
        m->img[F_MEANS_L][j * 4 + 3] = m->img[F_MEANS_U][j * 4 + 3] = 255;
}

static void encode_quat(const float *rot, uint8_t *px) {
    double q[4];
    splat_quat_normalise(rot, q);
    int big = 0;
    for (int i = 1; i < 4; i++)
        if (fabs(q[i]) > fabs(q[big]))
            big = i;
    const double sign = q[big] < 0.0 ? -1.0 : 1.0;
    for (int i = 0, j = 0; i < 4; i++)
        if (i != big)
            px[j++] = (uint8_t)splat_quant(255.0 * (sign * q[i] * sqrt(2.0) * 0.5 + 0.5), 255);
    px[3] = (uint8_t)(252 + big);
}

/* scales, quats and sh0 (with opacity) of each Gaussian. */
static tgs_status encode_geometry(const tgs_splats *s, const uint32_t *order, sog_images *m) {
    TGS_TRY(splat_codebook(s->scales_raw, s->n * 3, m->scale_book));
    TGS_TRY(splat_codebook(s->sh_dc, s->n * 3, m->dc_book));
    for (size_t j = 0; j < s->n; j++) {
        const size_t i = order[j];
        encode_quat(s->rots + i * 4, m->img[F_QUATS] + j * 4);
        for (int a = 0; a < 3; a++) {
            m->img[F_SCALES][j * 4 + (size_t)a] = splat_codebook_index(m->scale_book, s->scales_raw[i * 3 + (size_t)a]);
            m->img[F_SH0][j * 4 + (size_t)a] = splat_codebook_index(m->dc_book, s->sh_dc[i * 3 + (size_t)a]);
        }
        m->img[F_SCALES][j * 4 + 3] = 255;
        m->img[F_SH0][j * 4 + 3] = (uint8_t)splat_quant(255.0 * splat_sigmoid(s->opacity_raw[i]), 255);
    }
    return TGS_OK;
}

/* The SH rest palette: k-means of the 3K coefficients of each Gaussian into
 * min(65536, the largest power of two <= n) entries, and a codebook of the
 * entries' values. */
static tgs_status encode_sh_rest(const tgs_splats *s, const uint32_t *order, int iterations, sog_images *m) {
    const size_t K = (size_t)tgs_splats_rest_count(s->sh_degree), d = 3 * K;
    size_t k = 1;
    while (k * 2 <= s->n && k * 2 <= SOG_PALETTE_MAX)
        k *= 2;
    m->palette = k;
    m->cw = 64 * K, m->ch = (k + 63) / 64;
    float *c = tgs_calloc(k * d, sizeof *c, "SH palette");
    uint32_t *labels = tgs_calloc(s->n, sizeof *labels, "SH palette labels");
    m->img[F_CENTROIDS] = tgs_calloc(m->cw * m->ch * 4, 1, "SH palette image");
    tgs_status st = c && labels && m->img[F_CENTROIDS] ? TGS_OK : TGS_ERR_NOMEM;
    if (st == TGS_OK)
        st = splat_kmeans(s->sh_rest, s->n, (int)d, k, iterations, 0x50c5eedULL, c, labels);
    if (st == TGS_OK)
        st = splat_codebook(c, k * d, m->rest_book);
    for (size_t e = 0; st == TGS_OK && e < k; e++)
        for (size_t j = 0; j < K; j++) {
            uint8_t *px = m->img[F_CENTROIDS] + ((e / 64) * m->cw + (e % 64) * K + j) * 4;
            for (size_t ch = 0; ch < 3; ch++)
                px[ch] = splat_codebook_index(m->rest_book, c[e * d + j * 3 + ch]);
            px[3] = 255;
        }
    for (size_t j = 0; st == TGS_OK && j < s->n; j++) {
        uint8_t *px = m->img[F_LABELS] + j * 4;
        px[0] = (uint8_t)(labels[order[j]] & 255u), px[1] = (uint8_t)(labels[order[j]] >> 8), px[3] = 255;
    }
    free(c);
    free(labels);
    return st;
}

static tgs_status sog_webp(const char *path, const char *name, const uint8_t *rgba, size_t w, size_t h,
                           uint8_t **out, size_t *n) {
    WebPConfig config;
    WebPPicture pic;
    WebPMemoryWriter wr;
    if (!WebPConfigInit(&config) || !WebPConfigLosslessPreset(&config, 4) || !WebPPictureInit(&pic))
        return TGS_FAIL(TGS_ERR_UNSUPPORTED, "%s: libwebp version mismatch", path);
    config.exact = 1; /* keep the colour of transparent texels: they are data */
    pic.use_argb = 1;
    pic.width = (int)w, pic.height = (int)h;
    WebPMemoryWriterInit(&wr);
    pic.writer = WebPMemoryWrite;
    pic.custom_ptr = &wr;
    tgs_status st = TGS_OK;
    if (!WebPPictureImportRGBA(&pic, rgba, (int)(w * 4)) || !WebPEncode(&config, &pic))
        st = TGS_FAIL(TGS_ERR_NOMEM, "%s: WebP encoding of %s (%zux%zu) failed (error %d)", path, name, w, h,
                      (int)pic.error_code);
    WebPPictureFree(&pic);
    if (st != TGS_OK) {
        WebPMemoryWriterClear(&wr);
        return st;
    }
    *out = wr.mem, *n = wr.size;
    return TGS_OK;
}

static json_t *json_floats(const float *v, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_real(v[i]));
    return a;
}

static json_t *json_files(int first, int count) {
    json_t *a = json_array();
    for (int f = first; f < first + count; f++)
        json_array_append_new(a, json_string(sog_files[f]));
    return a;
}

/* meta.json of the images (a NUL-terminated string, freed by the caller). */
static char *sog_meta(const sog_images *m, int sh_degree) {
    json_t *o = json_object();
    json_object_set_new(o, "version", json_integer(2));
    json_object_set_new(o, "asset", json_pack("{s:s}", "generator", "tgs"));
    json_object_set_new(o, "count", json_integer((json_int_t)m->n));
    json_object_set_new(o, "means", json_pack("{s:o,s:o,s:o}", "mins", json_floats(m->mins, 3), "maxs",
                                              json_floats(m->maxs, 3), "files", json_files(F_MEANS_L, 2)));
    json_object_set_new(o, "scales", json_pack("{s:o,s:o}", "codebook", json_floats(m->scale_book, 256), "files",
                                               json_files(F_SCALES, 1)));
    json_object_set_new(o, "quats", json_pack("{s:o}", "files", json_files(F_QUATS, 1)));
    json_object_set_new(o, "sh0", json_pack("{s:o,s:o}", "codebook", json_floats(m->dc_book, 256), "files",
                                            json_files(F_SH0, 1)));
    if (m->palette)
        json_object_set_new(o, "shN", json_pack("{s:I,s:i,s:o,s:o}", "count", (json_int_t)m->palette, "bands",
                                                sh_degree, "codebook", json_floats(m->rest_book, 256), "files",
                                                json_files(F_CENTROIDS, 2)));
    char *text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9));
    json_decref(o);
    return text;
}

/* The folder form: each image beside meta.json, then meta.json; on failure
 * the images written are removed. */
static tgs_status sog_write_folder(const char *path, const splat_zip_entry *e, int m) {
    const char *slash = strrchr(path, '/');
    const int dir_len = slash ? (int)(slash - path + 1) : 0;
    char file[4096];
    tgs_status st = TGS_OK;
    int done = 0;
    for (; st == TGS_OK && done < m; done++) {
        if (done == m - 1)
            snprintf(file, sizeof file, "%s", path);
        else
            snprintf(file, sizeof file, "%.*s%s", dir_len, path, e[done].name);
        st = splat_write_atomic(file, e[done].data, e[done].n);
    }
    for (int i = 0; st != TGS_OK && i < done - 1; i++) {
        snprintf(file, sizeof file, "%.*s%s", dir_len, path, e[i].name);
        remove(file);
    }
    return st;
}

static tgs_status sog_images_make(const tgs_splats *s, const tgs_sog_options *opt, sog_images *m) {
    m->n = s->n;
    m->w = (size_t)ceil(sqrt((double)s->n) / 4.0) * 4;
    m->h = (s->n + m->w * 4 - 1) / (m->w * 4) * 4;
    const int nimg = s->sh_degree > 0 ? SOG_FILES : F_SH0 + 1;
    for (int f = 0; f < nimg; f++)
        if (f != F_CENTROIDS && !(m->img[f] = tgs_calloc(m->w * m->h, 4, "SOG image")))
            return TGS_ERR_NOMEM;
    uint32_t *order = tgs_calloc(s->n, sizeof *order, "SOG order");
    if (!order)
        return TGS_ERR_NOMEM;
    tgs_status st = tgs_splats_morton_order(s, order);
    if (st == TGS_OK) {
        encode_means(s, order, m);
        st = encode_geometry(s, order, m);
    }
    if (st == TGS_OK && s->sh_degree > 0)
        st = encode_sh_rest(s, order, opt && opt->iterations > 0 ? opt->iterations : 10, m);
    free(order);
    return st;
}

tgs_status tgs_splats_write_sog(const char *path, const tgs_splats *s, const tgs_sog_options *opt) {
    TGS_TRY(splat_check_table(path, s));
    if (s->n > (size_t)SOG_MAX_SIDE * SOG_MAX_SIDE / 2)
        return TGS_FAIL(TGS_ERR_ARG, "%s: %zu Gaussians is too many for one SOG (WebP sides end at %d)", path, s->n,
                        SOG_MAX_SIDE);
    sog_images m = {0};
    splat_zip_entry e[SOG_FILES + 1] = {{0}};
    int ne = 0;
    tgs_status st = sog_images_make(s, opt, &m);
    for (int f = 0; st == TGS_OK && f < SOG_FILES; f++) {
        if (!m.img[f])
            continue;
        const size_t w = f == F_CENTROIDS ? m.cw : m.w, h = f == F_CENTROIDS ? m.ch : m.h;
        uint8_t *data = NULL;
        st = sog_webp(path, sog_files[f], m.img[f], w, h, &data, &e[ne].n);
        e[ne].data = data;
        e[ne++].name = sog_files[f];
    }
    char *meta = st == TGS_OK ? sog_meta(&m, s->sh_degree) : NULL;
    if (st == TGS_OK && !meta)
        st = TGS_FAIL(TGS_ERR_NOMEM, "%s: cannot write meta.json", path);
    if (st == TGS_OK) {
        e[ne].name = "meta.json", e[ne].data = (const uint8_t *)meta, e[ne++].n = strlen(meta);
        splat_buf zip = {0};
        if (sog_is_folder_form(path))
            st = sog_write_folder(path, e, ne);
        else if ((st = splat_zip_write(e, ne, &zip)) == TGS_OK)
            st = splat_write_atomic(path, zip.p, zip.n);
        splat_buf_free(&zip);
    }
    for (int i = 0; i < ne; i++)
        if (e[i].data != (const uint8_t *)meta)
            WebPFree((void *)(uintptr_t)e[i].data);
    free(meta);
    sog_images_free(&m);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Reading                                                                   */

typedef struct {
    const char *path;  /* as given */
    char dir[4096];    /* the folder form's folder ("" for a zip) */
    uint8_t *zip;      /* the whole .sog (NULL for the folder form) */
    size_t zip_n;
} sog_source;

/* One file of the SOG (freed by the caller). Names are plain file names. */
static tgs_status sog_load(const sog_source *src, const char *name, uint8_t **data, size_t *n) {
    if (!*name || strchr(name, '/') || strchr(name, '\\') || name[0] == '.')
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: file name '%.60s' in meta.json (expected a plain name)", src->path,
                        name);
    if (src->zip)
        return splat_zip_extract(src->path, src->zip, src->zip_n, name, data, n);
    char file[4200];
    snprintf(file, sizeof file, "%s%s", src->dir, name);
    return splat_read_file(file, data, n);
}

typedef struct {
    size_t n;
    float mins[3], maxs[3], scale_book[256], dc_book[256], rest_book[256];
    int bands;
    size_t palette;
    const char *files[SOG_FILES]; /* into the json */
} sog_meta_v2;

static tgs_status meta_floats(const char *path, const json_t *o, const char *key, float *out, size_t want) {
    const json_t *a = json_object_get(o, key);
    if (!json_is_array(a) || json_array_size(a) != want)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: meta.json: %s is not an array of %zu numbers", path, key, want);
    for (size_t i = 0; i < want; i++) {
        const json_t *v = json_array_get(a, i);
        double x = json_number_value(v);
        if (!json_is_number(v) || !isfinite(x) || fabs(x) > 3.0e38)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: meta.json: %s[%zu] is not a finite number", path, key, i);
        out[i] = (float)x;
    }
    return TGS_OK;
}

static tgs_status meta_files(const char *path, const json_t *o, const char *key, const char **out, size_t want) {
    const json_t *a = json_object_get(o, "files");
    if (!json_is_array(a) || json_array_size(a) != want)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: meta.json: %s.files is not an array of %zu names", path, key, want);
    for (size_t i = 0; i < want; i++) {
        out[i] = json_string_value(json_array_get(a, i));
        if (!out[i])
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: meta.json: %s.files[%zu] is not a string", path, key, i);
    }
    return TGS_OK;
}

static const json_t *meta_object(const json_t *root, const char *key) {
    const json_t *o = json_object_get(root, key);
    return json_is_object(o) ? o : NULL;
}

static tgs_status sog_parse_sh(const char *path, const json_t *sh, sog_meta_v2 *m) {
    const json_t *count = json_object_get(sh, "count"), *bands = json_object_get(sh, "bands");
    if (!json_is_integer(bands) || json_integer_value(bands) < 0 || json_integer_value(bands) > 3)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: meta.json: shN.bands is not 0..3", path);
    m->bands = (int)json_integer_value(bands);
    if (m->bands == 0)
        return TGS_OK;
    if (!json_is_integer(count) || json_integer_value(count) < 1 || json_integer_value(count) > SOG_PALETTE_MAX)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: meta.json: shN.count is not 1..%d", path, SOG_PALETTE_MAX);
    m->palette = (size_t)json_integer_value(count);
    TGS_TRY(meta_floats(path, sh, "codebook", m->rest_book, 256));
    return meta_files(path, sh, "shN", m->files + F_CENTROIDS, 2);
}

static tgs_status sog_parse(const char *path, const json_t *root, sog_meta_v2 *m) {
    memset(m, 0, sizeof *m);
    const json_t *version = json_object_get(root, "version"), *count = json_object_get(root, "count");
    if (!json_is_object(root))
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: meta.json is not a JSON object", path);
    if (!json_is_integer(version))
        return TGS_FAIL(TGS_ERR_UNSUPPORTED, "%s: meta.json without a version (SOG version 1: re-export it with a "
                                             "current tool)", path);
    if (json_integer_value(version) != 2)
        return TGS_FAIL(TGS_ERR_UNSUPPORTED, "%s: SOG version %lld (tgs reads version 2)", path,
                        (long long)json_integer_value(version));
    if (!json_is_integer(count) || json_integer_value(count) < 1 ||
        json_integer_value(count) > (json_int_t)SOG_MAX_SIDE * SOG_MAX_SIDE)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: meta.json: count is not 1..%d^2", path, SOG_MAX_SIDE);
    m->n = (size_t)json_integer_value(count);
    const json_t *means = meta_object(root, "means"), *scales = meta_object(root, "scales"),
                 *quats = meta_object(root, "quats"), *sh0 = meta_object(root, "sh0"), *sh = meta_object(root, "shN");
    if (!means || !scales || !quats || !sh0)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: meta.json lacks means, scales, quats or sh0", path);
    TGS_TRY(meta_floats(path, means, "mins", m->mins, 3));
    TGS_TRY(meta_floats(path, means, "maxs", m->maxs, 3));
    for (int a = 0; a < 3; a++) /* log(|x|+1) <= 80: positions stay finite floats */
        if (fabs(m->mins[a]) > 80.0 || fabs(m->maxs[a]) > 80.0)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: meta.json: means bounds [%g, %g] beyond [-80, 80]", path,
                            m->mins[a], m->maxs[a]);
    TGS_TRY(meta_files(path, means, "means", m->files + F_MEANS_L, 2));
    TGS_TRY(meta_floats(path, scales, "codebook", m->scale_book, 256));
    TGS_TRY(meta_files(path, scales, "scales", m->files + F_SCALES, 1));
    TGS_TRY(meta_files(path, quats, "quats", m->files + F_QUATS, 1));
    TGS_TRY(meta_floats(path, sh0, "codebook", m->dc_book, 256));
    TGS_TRY(meta_files(path, sh0, "sh0", m->files + F_SH0, 1));
    return sh ? sog_parse_sh(path, sh, m) : TGS_OK;
}

/* Decodes one image, checking its size: at least min_texels and, for a
 * per-Gaussian image, no more than twice what the count needs. */
static tgs_status sog_image(const sog_source *src, const char *name, size_t min_texels, size_t max_texels,
                            uint8_t **rgba, size_t *w) {
    uint8_t *data = NULL;
    size_t n = 0;
    TGS_TRY(sog_load(src, name, &data, &n));
    int iw = 0, ih = 0;
    tgs_status st = TGS_OK;
    if (!WebPGetInfo(data, n, &iw, &ih))
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: %s is not a WebP image", src->path, name);
    else if ((size_t)iw * (size_t)ih < min_texels || (size_t)iw * (size_t)ih > max_texels)
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: %s is %dx%d (expected %zu..%zu texels)", src->path, name, iw, ih,
                      min_texels, max_texels);
    else if (!(*rgba = WebPDecodeRGBA(data, n, &iw, &ih)))
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: %s does not decode as WebP", src->path, name);
    *w = (size_t)iw;
    free(data);
    return st;
}

static void unpack_quat(const uint8_t *px, float *q /* w,x,y,z */) {
    if (px[3] < 252) {
        q[0] = 1.0f, q[1] = q[2] = q[3] = 0.0f;
        return;
    }
    const int big = px[3] - 252;
    double sum = 0.0;
    for (int i = 0, j = 0; i < 4; i++)
        if (i != big) {
            double c = (px[j++] / 255.0 * 2.0 - 1.0) / sqrt(2.0);
            q[i] = (float)c;
            sum += c * c;
        }
    q[big] = (float)sqrt(TGS_MAX(0.0, 1.0 - sum));
}

static double inv_log_transform(double v) { return v < 0.0 ? 1.0 - exp(-v) : exp(v) - 1.0; }

static void sog_decode(const sog_meta_v2 *m, uint8_t *const img[SOG_FILES], size_t cw, size_t i, tgs_splats *s) {
    const uint8_t *lo = img[F_MEANS_L] + i * 4, *hi = img[F_MEANS_U] + i * 4, *sc = img[F_SCALES] + i * 4,
                  *c0 = img[F_SH0] + i * 4;
    for (int a = 0; a < 3; a++) {
        const double t = (lo[a] | hi[a] << 8) / 65535.0;
        s->means[i * 3 + (size_t)a] = (float)inv_log_transform(m->mins[a] + ((double)m->maxs[a] - m->mins[a]) * t);
        s->scales_raw[i * 3 + (size_t)a] = m->scale_book[sc[a]];
        s->sh_dc[i * 3 + (size_t)a] = m->dc_book[c0[a]];
    }
    s->opacity_raw[i] = splat_alpha_logit(c0[3]);
    unpack_quat(img[F_QUATS] + i * 4, s->rots + i * 4);
    const size_t K = (size_t)tgs_splats_rest_count(s->sh_degree);
    if (!K)
        return;
    const uint8_t *lab = img[F_LABELS] + i * 4;
    const size_t e = (size_t)lab[0] | (size_t)lab[1] << 8;
    for (size_t j = 0; j < K; j++) {
        const uint8_t *px = img[F_CENTROIDS] + ((e / 64) * cw + (e % 64) * K + j) * 4;
        for (size_t ch = 0; ch < 3; ch++)
            s->sh_rest[(i * K + j) * 3 + ch] = m->rest_book[px[ch]];
    }
}

/* The images of m decoded and checked, then the table. */
static tgs_status sog_read_images(const sog_source *src, const sog_meta_v2 *m, size_t src_bytes, tgs_splats **out) {
    if (m->n / SOG_PER_BYTE > src_bytes)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: %zu Gaussians in %zu bytes of images", src->path, m->n, src_bytes);
    uint8_t *img[SOG_FILES] = {0};
    size_t w = 0, cw = 0;
    const size_t K = (size_t)tgs_splats_rest_count(m->bands), most = 2 * m->n + 65536;
    tgs_status st = TGS_OK;
    for (int f = 0; st == TGS_OK && f < SOG_FILES; f++) {
        if (f == F_CENTROIDS && K)
            st = sog_image(src, m->files[f], 64 * K * ((m->palette + 63) / 64), 64 * K * (SOG_PALETTE_MAX / 64),
                           &img[f], &cw);
        else if (f != F_CENTROIDS && (f != F_LABELS || K))
            st = sog_image(src, m->files[f], m->n, most, &img[f], &w);
    }
    if (st == TGS_OK && K && cw != 64 * K)
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: %s is %zu texels wide (expected %zu for SH degree %d)", src->path,
                      m->files[F_CENTROIDS], cw, 64 * K, m->bands);
    for (size_t i = 0; st == TGS_OK && K && i < m->n; i++)
        if (((size_t)img[F_LABELS][i * 4] | (size_t)img[F_LABELS][i * 4 + 1] << 8) >= m->palette)
            st = TGS_FAIL(TGS_ERR_FORMAT, "%s: Gaussian %zu's palette entry is beyond the %zu entries", src->path, i,
                          m->palette);
    tgs_splats *s = NULL;
    if (st == TGS_OK)
        st = tgs_splats_create(m->n, m->bands, &s);
    for (size_t i = 0; st == TGS_OK && i < m->n; i++)
        sog_decode(m, img, cw, i, s);
    for (int f = 0; f < SOG_FILES; f++)
        WebPFree(img[f]);
    if (st != TGS_OK) {
        tgs_splats_free(s);
        return st;
    }
    *out = s;
    return TGS_OK;
}

/* The meta.json text and where the images come from: a zip, a folder's
 * meta.json or a folder holding one. */
static tgs_status sog_open(const char *path, sog_source *src, uint8_t **meta, size_t *meta_n, size_t *bytes) {
    struct stat sb;
    char file[4200];
    src->path = path;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        snprintf(src->dir, sizeof src->dir, "%s/", path);
        snprintf(file, sizeof file, "%smeta.json", src->dir);
        TGS_TRY(splat_read_file(file, meta, meta_n));
        *bytes = *meta_n;
        return TGS_OK;
    }
    uint8_t *data = NULL;
    size_t n = 0;
    TGS_TRY(splat_read_file(path, &data, &n));
    *bytes = n;
    if (n >= 4 && splat_get_u32(data) == 0x04034b50) {
        src->zip = data, src->zip_n = n;
        return splat_zip_extract(path, data, n, "meta.json", meta, meta_n);
    }
    const char *slash = strrchr(path, '/');
    snprintf(src->dir, sizeof src->dir, "%.*s", slash ? (int)(slash - path + 1) : 0, path);
    *meta = data, *meta_n = n;
    return TGS_OK;
}

tgs_status tgs_splats_read_sog(const char *path, tgs_splats **out) {
    *out = NULL;
    sog_source src = {0};
    uint8_t *meta = NULL;
    size_t meta_n = 0, bytes = 0;
    tgs_status st = sog_open(path, &src, &meta, &meta_n, &bytes);
    json_t *root = NULL;
    sog_meta_v2 m;
    if (st == TGS_OK) {
        json_error_t err;
        root = json_loadb((const char *)meta, meta_n, JSON_REJECT_DUPLICATES, &err);
        if (!root)
            st = TGS_FAIL(TGS_ERR_FORMAT, "%s: meta.json, line %d: %s", path, err.line, err.text);
    }
    if (st == TGS_OK)
        st = sog_parse(path, root, &m);
    if (st == TGS_OK && !src.zip) /* the folder form: the images' bytes count */
        for (int f = 0; f < SOG_FILES; f++) {
            char file[4200];
            struct stat sb;
            snprintf(file, sizeof file, "%s%s", src.dir, m.files[f] ? m.files[f] : "");
            bytes += m.files[f] && stat(file, &sb) == 0 ? (size_t)sb.st_size : 0;
        }
    if (st == TGS_OK)
        st = sog_read_images(&src, &m, bytes, out);
    json_decref(root);
    free(meta);
    free(src.zip);
    return st;
}

uint64_t tgs_splats_written_bytes(const char *path) {
    struct stat sb;
    uint64_t total = stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
    if (!sog_is_folder_form(path))
        return total;
    const char *slash = strrchr(path, '/');
    for (int f = 0; f < SOG_FILES; f++) {
        char file[4200];
        snprintf(file, sizeof file, "%.*s%s", slash ? (int)(slash - path + 1) : 0, path, sog_files[f]);
        total += stat(file, &sb) == 0 ? (uint64_t)sb.st_size : 0;
    }
    return total;
}
