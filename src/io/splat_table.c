/* splat_table.c - the in-memory splat table, the format names and guess, and
 * the file helpers the web-format readers and writers share. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/splat_internal.h"

/* ------------------------------------------------------------------------ */
/* The table                                                                 */

int tgs_splats_rest_count(int sh_degree) {
    return sh_degree >= 0 && sh_degree <= TGS_SPLATS_MAX_SH_DEGREE ? (sh_degree + 1) * (sh_degree + 1) - 1 : 0;
}

tgs_status tgs_splats_create(size_t n, int sh_degree, tgs_splats **out) {
    *out = NULL;
    if (sh_degree < 0 || sh_degree > TGS_SPLATS_MAX_SH_DEGREE)
        return TGS_FAIL(TGS_ERR_ARG, "SH degree %d (expected 0..%d)", sh_degree, TGS_SPLATS_MAX_SH_DEGREE);
    const size_t K = (size_t)tgs_splats_rest_count(sh_degree);
    const size_t per = 3 + 3 + 4 + 1 + 3 + 3 * K; /* floats a Gaussian */
    int ok = 1;
    size_t floats = tgs_mul_size(n, per, &ok);
    size_t bytes = tgs_mul_size(floats, sizeof(float), &ok);
    if (!ok || bytes > SIZE_MAX - sizeof(tgs_splats))
        return TGS_FAIL(TGS_ERR_NOMEM, "a table of %zu Gaussians is too large", n);
    tgs_splats *s = tgs_calloc(1, sizeof(tgs_splats) + bytes, "splat table");
    if (!s)
        return TGS_ERR_NOMEM;
    float *f = (float *)(s + 1);
    s->n = n;
    s->sh_degree = sh_degree;
    s->means = f, f += n * 3;
    s->scales_raw = f, f += n * 3;
    s->rots = f, f += n * 4;
    s->opacity_raw = f, f += n;
    s->sh_dc = f, f += n * 3;
    s->sh_rest = K ? f : NULL;
    *out = s;
    return TGS_OK;
}

void tgs_splats_free(tgs_splats *s) { free(s); }

/* Sign of each rest coefficient (gsplat/3DGS order, 15 of degree 3) under the
 * half turn about x, (x, y, z) -> (x, -y, -z): the basis functions' parity in
 * y and z. Degree 1: y, z, x; degree 2: xy, yz, 3z^2-1, xz, x^2-y^2; degree 3:
 * y(3x^2-y^2), xyz, y(4z^2-x^2-y^2), z(2z^2-3x^2-3y^2), x(4z^2-x^2-y^2),
 * z(x^2-y^2), x(x^2-3y^2). */
static const float flip_yz_sh_sign[15] = {-1, -1, 1, -1, 1, 1, -1, 1, -1, 1, -1, -1, 1, -1, 1};

void tgs_splats_flip_yz(tgs_splats *s) {
    const size_t K = (size_t)tgs_splats_rest_count(s->sh_degree);
    for (size_t i = 0; i < s->n; i++) {
        s->means[i * 3 + 1] = -s->means[i * 3 + 1];
        s->means[i * 3 + 2] = -s->means[i * 3 + 2];
        /* R' = F R F with F = diag(1,-1,-1): the quaternion's y and z change sign */
        s->rots[i * 4 + 2] = -s->rots[i * 4 + 2];
        s->rots[i * 4 + 3] = -s->rots[i * 4 + 3];
        for (size_t k = 0; k < K; k++)
            for (int c = 0; c < 3; c++)
                s->sh_rest[(i * K + k) * 3 + (size_t)c] *= flip_yz_sh_sign[k];
    }
}

/* ------------------------------------------------------------------------ */
/* Morton order                                                              */

typedef struct {
    uint64_t key;
    uint32_t idx;
} morton_entry;

static int morton_cmp(const void *a, const void *b) {
    const morton_entry *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The 21 bits of v spread to every third bit of a 63-bit word. */
static uint64_t spread3(uint64_t v) {
    v &= 0x1fffff;
    v = (v | v << 32) & 0x1f00000000ffffULL;
    v = (v | v << 16) & 0x1f0000ff0000ffULL;
    v = (v | v << 8) & 0x100f00f00f00f00fULL;
    v = (v | v << 4) & 0x10c30c30c30c30c3ULL;
    v = (v | v << 2) & 0x1249249249249249ULL;
    return v;
}

tgs_status tgs_splats_morton_order(const tgs_splats *s, uint32_t *order /*[n]*/) {
    if (s->n > UINT32_MAX)
        return TGS_FAIL(TGS_ERR_ARG, "%zu Gaussians: Morton order holds at most 2^32-1", s->n);
    double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (size_t i = 0; i < s->n; i++)
        for (int a = 0; a < 3; a++) {
            double v = s->means[i * 3 + (size_t)a];
            if (isfinite(v))
                lo[a] = TGS_MIN(lo[a], v), hi[a] = TGS_MAX(hi[a], v);
        }
    morton_entry *e = tgs_calloc(s->n, sizeof *e, "Morton order");
    if (!e)
        return TGS_ERR_NOMEM;
    for (size_t i = 0; i < s->n; i++) {
        uint64_t key = 0;
        for (int a = 0; a < 3; a++) {
            double ext = hi[a] - lo[a];
            double t = ext > 0.0 ? (s->means[i * 3 + (size_t)a] - lo[a]) / ext : 0.0;
            key |= spread3(splat_quant(t * 2097151.0, 2097151)) << a;
        }
        e[i].key = key;
        e[i].idx = (uint32_t)i;
    }
    qsort(e, s->n, sizeof *e, morton_cmp);
    for (size_t i = 0; i < s->n; i++)
        order[i] = e[i].idx;
    free(e);
    return TGS_OK;
}

/* ------------------------------------------------------------------------ */
/* Format names and guess                                                    */

static const char *const format_names[] = {NULL, "ply", "spz", "splat", "compressed-ply", "sog"};

const char *tgs_splat_format_name(tgs_splat_format f) {
    return (unsigned)f < sizeof format_names / sizeof *format_names ? format_names[f] : NULL;
}

tgs_status tgs_splat_format_parse(const char *name, tgs_splat_format *out) {
    for (int f = TGS_SPLAT_FORMAT_PLY; f <= TGS_SPLAT_FORMAT_SOG; f++)
        if (name && strcmp(name, format_names[f]) == 0) {
            *out = (tgs_splat_format)f;
            return TGS_OK;
        }
    *out = TGS_SPLAT_FORMAT_UNKNOWN;
    return TGS_FAIL(TGS_ERR_ARG, "unknown format '%s' (expected ply, spz, splat, compressed-ply or sog)",
                    name ? name : "");
}

int tgs_splat_format_max_sh_degree(tgs_splat_format f) {
    return f == TGS_SPLAT_FORMAT_SPLAT || f == TGS_SPLAT_FORMAT_UNKNOWN ? 0 : TGS_SPLATS_MAX_SH_DEGREE;
}

static int ends_with(const char *s, const char *tail) {
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcasecmp(s + n - m, tail) == 0;
}

tgs_splat_format tgs_splat_format_from_name(const char *path) {
    if (ends_with(path, ".spz"))
        return TGS_SPLAT_FORMAT_SPZ;
    if (ends_with(path, ".splat"))
        return TGS_SPLAT_FORMAT_SPLAT;
    if (ends_with(path, ".compressed.ply"))
        return TGS_SPLAT_FORMAT_COMPRESSED_PLY;
    if (ends_with(path, ".ply"))
        return TGS_SPLAT_FORMAT_PLY;
    if (ends_with(path, ".sog") || ends_with(path, "meta.json"))
        return TGS_SPLAT_FORMAT_SOG;
    return TGS_SPLAT_FORMAT_UNKNOWN;
}

/* A PLY header (up to its first 64 KiB) that declares a chunk element. */
static int ply_has_chunk_element(const char *head) {
    const char *end = strstr(head, "end_header");
    const char *chunk = strstr(head, "\nelement chunk ");
    return chunk && (!end || chunk < end);
}

/* A JSON object: the first byte that is not white space is '{'. */
static int json_object_start(const char *head, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!strchr(" \t\r\n", head[i]))
            return head[i] == '{';
    return 0;
}

tgs_status tgs_splat_format_guess(const char *path, tgs_splat_format *out) {
    *out = TGS_SPLAT_FORMAT_UNKNOWN;
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        char meta[4200];
        snprintf(meta, sizeof meta, "%s/meta.json", path);
        if (stat(meta, &sb) == 0)
            *out = TGS_SPLAT_FORMAT_SOG;
        return TGS_OK;
    }
    FILE *f = fopen(path, "rb");
    if (!f)
        return TGS_FAIL(TGS_ERR_IO, "%s: cannot open (%s)", path, strerror(errno));
    enum { HEAD = 65536 };
    char *head = tgs_calloc(HEAD + 1, 1, "file head");
    if (!head) {
        fclose(f);
        return TGS_ERR_NOMEM;
    }
    size_t got = fread(head, 1, HEAD, f);
    int err = ferror(f);
    fclose(f);
    tgs_status st = TGS_OK;
    const uint8_t *u = (const uint8_t *)head;
    if (err)
        st = TGS_FAIL(TGS_ERR_IO, "%s: cannot read (%s)", path, strerror(errno));
    else if ((got >= 2 && u[0] == 0x1f && u[1] == 0x8b) || (got >= 4 && memcmp(head, "NGSP", 4) == 0))
        *out = TGS_SPLAT_FORMAT_SPZ;
    else if (got >= 4 && (memcmp(head, "ply\n", 4) == 0 || memcmp(head, "ply\r", 4) == 0))
        *out = ply_has_chunk_element(head) ? TGS_SPLAT_FORMAT_COMPRESSED_PLY : TGS_SPLAT_FORMAT_PLY;
    else if (got >= 4 && memcmp(head, "PK\3\4", 4) == 0)
        *out = TGS_SPLAT_FORMAT_SOG;
    else if (ends_with(path, ".splat")) /* before JSON: a .splat may start with '{' */
        *out = TGS_SPLAT_FORMAT_SPLAT;
    else if (json_object_start(head, got))
        *out = TGS_SPLAT_FORMAT_SOG;
    free(head);
    return st;
}

tgs_status tgs_splats_read(const char *path, tgs_splats **out) {
    *out = NULL;
    tgs_splat_format f;
    TGS_TRY(tgs_splat_format_guess(path, &f));
    switch (f) {
    case TGS_SPLAT_FORMAT_SPZ:
        return tgs_splats_read_spz(path, out);
    case TGS_SPLAT_FORMAT_SPLAT:
        return tgs_splats_read_splat(path, out);
    case TGS_SPLAT_FORMAT_COMPRESSED_PLY:
        return tgs_splats_read_compressed_ply(path, out);
    case TGS_SPLAT_FORMAT_SOG:
        return tgs_splats_read_sog(path, out);
    case TGS_SPLAT_FORMAT_PLY:
        return TGS_FAIL(TGS_ERR_UNSUPPORTED, "%s: a standard 3DGS PLY (read it with the PLY reader)", path);
    default:
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: not an SPZ, .splat, compressed PLY or SOG file", path);
    }
}

/* ------------------------------------------------------------------------ */
/* Buffers and files                                                         */

uint8_t *splat_buf_append(splat_buf *b, const void *data, size_t n) {
    if (n > SIZE_MAX / 2 - b->n) {
        TGS_FAIL(TGS_ERR_NOMEM, "output of more than %zu bytes", SIZE_MAX / 2);
        return NULL;
    }
    if (b->n + n > b->cap) {
        size_t cap = TGS_MAX(b->cap * 2, TGS_MAX(b->n + n, (size_t)4096));
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            TGS_FAIL(TGS_ERR_NOMEM, "out of memory growing an output buffer to %zu bytes", cap);
            return NULL;
        }
        b->p = p;
        b->cap = cap;
    }
    uint8_t *dst = b->p + b->n;
    if (data)
        memcpy(dst, data, n);
    else
        memset(dst, 0, n);
    b->n += n;
    return dst;
}

void splat_buf_free(splat_buf *b) {
    free(b->p);
    memset(b, 0, sizeof *b);
}

tgs_status splat_write_atomic(const char *path, const void *data /*[n]*/, size_t n) {
    tgs_atomic_file af;
    TGS_TRY(tgs_atomic_open(path, &af));
    if (n > 0 && fwrite(data, 1, n, af.f) != n) {
        tgs_status st = TGS_FAIL(TGS_ERR_IO, "%s: write failed (%s)", af.tmp, strerror(errno));
        tgs_atomic_abort(&af);
        return st;
    }
    return tgs_atomic_commit(&af);
}

tgs_status splat_read_file(const char *path, uint8_t **data, size_t *n) {
    *data = NULL;
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return TGS_FAIL(TGS_ERR_IO, "%s: cannot open (%s)", path, strerror(errno));
    struct stat sb;
    tgs_status st = TGS_OK;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode))
        st = TGS_FAIL(TGS_ERR_IO, "%s: not a regular file", path);
    else if ((uint64_t)sb.st_size >= SIZE_MAX / 2)
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: %lld bytes is too large", path, (long long)sb.st_size);
    uint8_t *buf = NULL;
    size_t size = st == TGS_OK ? (size_t)sb.st_size : 0;
    if (st == TGS_OK && !(buf = tgs_calloc(size + 1, 1, "file contents")))
        st = TGS_ERR_NOMEM;
    if (st == TGS_OK && fread(buf, 1, size, f) != size)
        st = TGS_FAIL(TGS_ERR_IO, "%s: cannot read %zu bytes (%s)", path, size,
                      ferror(f) ? strerror(errno) : "file shrank");
    fclose(f);
    if (st != TGS_OK) {
        free(buf);
        return st;
    }
    *data = buf;
    *n = size;
    return TGS_OK;
}

static int all_finite(const float *v /*[m]*/, size_t m, size_t *bad) {
    for (size_t i = 0; i < m; i++)
        if (!isfinite(v[i])) {
            *bad = i;
            return 0;
        }
    return 1;
}

tgs_status splat_check_table(const char *path, const tgs_splats *s) {
    if (!s || !s->means || !s->scales_raw || !s->rots || !s->opacity_raw || !s->sh_dc)
        return TGS_FAIL(TGS_ERR_ARG, "%s: no table to write", path);
    if (s->n == 0)
        return TGS_FAIL(TGS_ERR_ARG, "%s: no Gaussians to write", path);
    if (s->sh_degree < 0 || s->sh_degree > TGS_SPLATS_MAX_SH_DEGREE)
        return TGS_FAIL(TGS_ERR_ARG, "%s: SH degree %d (expected 0..3)", path, s->sh_degree);
    const size_t K = (size_t)tgs_splats_rest_count(s->sh_degree);
    if (K && !s->sh_rest)
        return TGS_FAIL(TGS_ERR_ARG, "%s: SH degree %d without SH rest coefficients", path, s->sh_degree);
    struct {
        const float *v;
        size_t per;
        const char *what;
    } f[] = {{s->means, 3, "mean"},     {s->scales_raw, 3, "scale"}, {s->rots, 4, "rotation"},
             {s->opacity_raw, 1, "opacity"}, {s->sh_dc, 3, "SH DC"}, {s->sh_rest, 3 * K, "SH rest"}};
    for (size_t a = 0; a < sizeof f / sizeof *f; a++) {
        size_t bad;
        if (f[a].per && !all_finite(f[a].v, s->n * f[a].per, &bad))
            return TGS_FAIL(TGS_ERR_ARG, "%s: Gaussian %zu has a non-finite %s", path, bad / f[a].per, f[a].what);
    }
    return TGS_OK;
}
