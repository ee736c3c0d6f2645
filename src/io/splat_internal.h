/* splat_internal.h - helpers shared by the web-format readers and writers
 * (splat_*.c): little-endian bytes, a growing output buffer, whole-file
 * input, the atomic output file and the quantisation steps the formats share. */
#ifndef TGS_SPLAT_INTERNAL_H
#define TGS_SPLAT_INTERNAL_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "tgs/splat_formats.h"

#define SPLAT_SH_C0 0.28209479177387814 /* Y_00: colour = 0.5 + SH_C0 * sh_dc */

/* ------------------------------------------------------------------------ */
/* Little-endian values, assembled from bytes (no host byte order).          */

static inline void splat_put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void splat_put_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void splat_put_f32(uint8_t *p, float v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    splat_put_u32(p, u);
}
static inline uint32_t splat_get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t splat_get_u64(const uint8_t *p) {
    return (uint64_t)splat_get_u32(p) | (uint64_t)splat_get_u32(p + 4) << 32;
}
static inline float splat_get_f32(const uint8_t *p) {
    uint32_t u = splat_get_u32(p);
    float v;
    memcpy(&v, &u, 4);
    return v;
}

/* ------------------------------------------------------------------------ */
/* Quantisation shared by the formats.                                       */

static inline double splat_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

/* round(v) clamped to [0, hi] (NaN gives 0). */
static inline uint32_t splat_quant(double v, uint32_t hi) {
    if (!(v > 0.0))
        return 0;
    double r = floor(v + 0.5);
    return r >= (double)hi ? hi : (uint32_t)r;
}

/* The logit of an 8-bit alpha, the byte clamped to [0.5, 254.5] so that 0 and
 * 255 stay finite (within half a step of what they stand for). */
static inline float splat_alpha_logit(uint32_t byte) {
    double p = TGS_MIN(TGS_MAX((double)byte, 0.5), 254.5) / 255.0;
    return (float)log(p / (1.0 - p));
}

/* q (w,x,y,z) normalised in double into out; a zero or non-finite q is the
 * identity. */
static inline void splat_quat_normalise(const float q[4], double out[4]) {
    double n2 = 0.0;
    for (int i = 0; i < 4; i++)
        n2 += (double)q[i] * q[i];
    if (!(n2 > 0.0) || !isfinite(n2)) {
        out[0] = 1.0, out[1] = out[2] = out[3] = 0.0;
        return;
    }
    double inv = 1.0 / sqrt(n2);
    for (int i = 0; i < 4; i++)
        out[i] = q[i] * inv;
}

/* ------------------------------------------------------------------------ */
/* Output buffer and files.                                                  */

typedef struct {
    uint8_t *p;
    size_t n, cap;
} splat_buf;

/* Appends n bytes (data may be NULL: zeroes); returns a pointer to them or NULL
 * (message recorded) when memory runs out. */
uint8_t *splat_buf_append(splat_buf *b, const void *data, size_t n);
void splat_buf_free(splat_buf *b);

/* Writes data through tgs_atomic_open/commit: on failure nothing is left. */
tgs_status splat_write_atomic(const char *path, const void *data /*[n]*/, size_t n);
/* Reads the whole file (*data freed by the caller). */
tgs_status splat_read_file(const char *path, uint8_t **data, size_t *n);
/* A table fit to write: n >= 1, SH degree 0..3, its arrays present, all values
 * finite. Messages name path. */
tgs_status splat_check_table(const char *path, const tgs_splats *s);

/* ------------------------------------------------------------------------ */
/* Clustering (splat_cluster.c) and the zip container (splat_zip.c), for SOG. */

#define SPLAT_CODEBOOK 256            /* entries of a 1-D codebook */
#define SPLAT_CODEBOOK_ITERATIONS 100 /* Lloyd iterations of a codebook (at most) */
#define SPLAT_KMEANS_MAX_DIM 45       /* 15 coefficients x 3 channels */

/* A 256-entry codebook of the m values, ascending: Lloyd's algorithm from the
 * quantiles of the distinct values, each value weighted by 1/sqrt(the values
 * in its bin of 1024 over the range), so the sparse tails get entries too. At
 * most 256 distinct values come back exactly. All zero when m = 0. */
tgs_status splat_codebook(const float *values /*[m]*/, size_t m, float *book /*[256]*/);
/* The entry nearest to x (ties to the higher). */
uint8_t splat_codebook_index(const float *book /*[256]*/, float x);
/* k-means of n points of d <= 45 dimensions into k <= n clusters (Lloyd's
 * algorithm from k distinct points drawn with the seed, up to `iterations`
 * steps, stopping when no label changes). Up to 256 clusters: labels are each
 * point's nearest centroid; more: two levels (splat_cluster.c), a point's label
 * the nearest centroid of its coarse cell. Deterministic for a seed. */
tgs_status splat_kmeans(const float *x /*[n,d]*/, size_t n, int d, size_t k, int iterations, uint64_t seed,
                        float *centroids /*[k,d]*/, uint32_t *labels /*[n]*/);

typedef struct {
    const char *name;
    const uint8_t *data; /* [n] */
    size_t n;
} splat_zip_entry;

/* Appends a zip archive of the m entries, stored (no compression), to out. */
tgs_status splat_zip_write(const splat_zip_entry *e /*[m]*/, int m, splat_buf *out);
/* Extracts the entry `name` (stored or deflated) of the archive zip into
 * *data (freed by the caller). TGS_ERR_FORMAT naming path when the archive is
 * malformed or the entry missing. */
tgs_status splat_zip_extract(const char *path, const uint8_t *zip /*[size]*/, size_t size, const char *name,
                             uint8_t **data, size_t *n);

#endif
