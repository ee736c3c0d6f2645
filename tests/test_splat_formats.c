/* test_splat_formats.c - SPZ (v3, v4), .splat, compressed PLY and SOG: round trips of
 * random tables within each format's quantisation bounds, SH degrees, one
 * Gaussian's bytes worked out by hand from each layout, and the bad inputs the
 * readers and writers must refuse (leaving no file behind). */
#include "tgs/splat_formats.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <jansson.h>
#include <webp/decode.h>
#include <zlib.h>
#include <zstd.h>

#include "check.h"
#include "io/splat_internal.h"

static const double SH_C0 = 0.28209479177387814;

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */

static uint32_t rng_state = 20261213u;
static uint32_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}
static float uni(float lo, float hi) { return lo + (hi - lo) * (float)(rnd() & 0xffffff) / 16777216.0f; }

/* gzip (as SPZ v2/v3 wraps its stream) of data into out[cap]; returns the size. */
static size_t gzip_bytes(const void *data, size_t n, unsigned char *out, size_t cap) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY);
    zs.next_in = (Bytef *)(uintptr_t)data;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    int ret = deflate(&zs, Z_FINISH);
    size_t got = zs.total_out;
    deflateEnd(&zs);
    return ret == Z_STREAM_END ? got : 0;
}

static size_t gunzip_bytes(const void *data, size_t n, unsigned char *out, size_t cap) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    inflateInit2(&zs, 16 + MAX_WBITS);
    zs.next_in = (Bytef *)(uintptr_t)data;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    int ret = inflate(&zs, Z_FINISH);
    size_t got = zs.total_out;
    inflateEnd(&zs);
    return ret == Z_STREAM_END ? got : 0;
}

/* Values inside every format's exact range: SPZ scales [-10, 5.94], SPZ SH
 * rest [-1, 0.99], .splat colours [-1.77, 1.77]. */
static tgs_splats *random_table(size_t n, int degree) {
    tgs_splats *s = NULL;
    CHECK_OK(tgs_splats_create(n, degree, &s));
    if (!s)
        exit(1);
    const size_t K = (size_t)tgs_splats_rest_count(degree);
    for (size_t i = 0; i < n; i++) {
        for (size_t a = 0; a < 3; a++) {
            s->means[i * 3 + a] = uni(-5.0f, 5.0f);
            s->scales_raw[i * 3 + a] = uni(-9.0f, 5.0f);
            s->sh_dc[i * 3 + a] = uni(-1.7f, 1.7f);
        }
        for (size_t a = 0; a < 4; a++)
            s->rots[i * 4 + a] = uni(-1.0f, 1.0f);
        s->rots[i * 4] += 0.01f; /* never all zero */
        s->opacity_raw[i] = uni(-6.0f, 6.0f);
        for (size_t j = 0; j < K * 3; j++)
            s->sh_rest[i * K * 3 + j] = uni(-0.99f, 0.99f);
    }
    return s;
}

static double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

/* Largest component difference of the normalised quaternions, sign aligned. */
static double rot_error(const float *a, const float *b) {
    double na = 0, nb = 0, dot = 0;
    for (int i = 0; i < 4; i++)
        na += (double)a[i] * a[i], nb += (double)b[i] * b[i], dot += (double)a[i] * b[i];
    const double sign = dot < 0 ? -1.0 : 1.0, ia = 1.0 / sqrt(na), ib = 1.0 / sqrt(nb);
    double e = 0;
    for (int i = 0; i < 4; i++)
        e = fmax(e, fabs(a[i] * ia - sign * b[i] * ib));
    return e;
}

/* Per-field bounds of a round trip (absolute; opacity in sigmoid space). */
typedef struct {
    double mean, scale, rot, opacity, dc, sh1, sh_rest;
} bounds;

/* Compares b (read back) with a (written), b's Gaussian j being a's order[j]
 * (order NULL: the same index); bounds_of, when set, gives per-Gaussian bounds. */
static void compare(const char *what, const tgs_splats *a, const tgs_splats *b, const uint32_t *order,
                    const bounds *bd, const bounds *per /*[n] or NULL*/) {
    CHECK(b->n == a->n, "%s: %zu Gaussians read, %zu written", what, b->n, a->n);
    if (b->n != a->n)
        return;
    const size_t K = (size_t)tgs_splats_rest_count(b->sh_degree);
    bounds worst = {0};
    int fails = 0;
    for (size_t j = 0; j < b->n && fails < 5; j++) {
        const size_t i = order ? order[j] : j;
        const bounds *B = per ? &per[j] : bd;
        double e[7] = {0};
        for (size_t c = 0; c < 3; c++) {
            e[0] = fmax(e[0], fabs(b->means[j * 3 + c] - a->means[i * 3 + c]));
            e[1] = fmax(e[1], fabs(b->scales_raw[j * 3 + c] - a->scales_raw[i * 3 + c]));
            e[4] = fmax(e[4], fabs(b->sh_dc[j * 3 + c] - a->sh_dc[i * 3 + c]));
        }
        e[2] = rot_error(b->rots + j * 4, a->rots + i * 4);
        e[3] = fabs(sigmoid(b->opacity_raw[j]) - sigmoid(a->opacity_raw[i]));
        for (size_t k = 0; k < K; k++)
            for (size_t c = 0; c < 3; c++)
                e[k < 3 ? 5 : 6] = fmax(e[k < 3 ? 5 : 6], fabs(b->sh_rest[(j * K + k) * 3 + c] -
                                                                a->sh_rest[(i * K + k) * 3 + c]));
        const double lim[7] = {B->mean, B->scale, B->rot, B->opacity, B->dc, B->sh1, B->sh_rest};
        static const char *const names[7] = {"mean", "scale", "rotation", "opacity", "SH DC", "SH 1", "SH 2-3"};
        double *w = &worst.mean;
        for (int f = 0; f < 7; f++) {
            w[f] = fmax(w[f], e[f]);
            if (e[f] > lim[f]) {
                CHECK(e[f] <= lim[f], "%s: Gaussian %zu %s error %.3g over its bound %.3g", what, j, names[f], e[f],
                      lim[f]);
                fails++;
            }
        }
    }
    printf("%-28s worst errors: mean %.2e scale %.2e rot %.2e opacity %.2e dc %.2e sh1 %.2e sh2+ %.2e\n", what,
           worst.mean, worst.scale, worst.rot, worst.opacity, worst.dc, worst.sh1, worst.sh_rest);
}

static const double EPS = 2e-6; /* float rounding on top of each stated bound */

/* ------------------------------------------------------------------------ */
/* Round trips                                                               */

/* SPZ: positions 24-bit with 12 fractional bits (|x| <= 5): 2^-13; scales
 * step 1/16: 1/32; three stored rotation components within half of
 * (1/sqrt2)/511, the fourth rebuilt from them: 3x that; alpha step 1/255:
 * 1/510; colour step 1/(0.15*255): half of it; SH 8 bits of 1/128 then
 * buckets of 8 (degree 1, 5 bits) and 16 (4 bits): 4.5/128 and 8.5/128. */
static const bounds spz_bounds = {0x1p-13 + EPS, 1.0 / 32 + EPS, 3 * 0.5 / 511 * 0.70710678 + EPS,
                                  1.0 / 510 + EPS, 0.5 / (0.15 * 255) + EPS, 4.5 / 128 + EPS, 8.5 / 128 + EPS};

static void test_spz_round_trip(const char *dir) {
    char path[512];
    for (int version = 3; version <= 4; version++)
        for (int degree = 0; degree <= 3; degree++) {
            tgs_splats *a = random_table(1000, degree), *b = NULL;
            snprintf(path, sizeof path, "%s/rt_v%d_d%d.spz", dir, version, degree);
            tgs_spz_options o = {.version = version};
            CHECK_OK(tgs_splats_write_spz(path, a, &o));
            CHECK_OK(tgs_splats_read_spz(path, &b));
            CHECK(b && b->sh_degree == degree, "SPZ v%d: SH degree %d read back as %d", version, degree,
                  b ? b->sh_degree : -1);
            char what[64];
            snprintf(what, sizeof what, "SPZ v%d degree %d", version, degree);
            if (b)
                compare(what, a, b, NULL, &spz_bounds, NULL);
            tgs_splats_free(b);
            b = NULL;
            /* all 8 SH bits kept: only the 8-bit step, 0.5/128 */
            tgs_spz_options full = {.version = version, .sh1_bits = 8, .sh_rest_bits = 8};
            bounds fb = spz_bounds;
            fb.sh1 = fb.sh_rest = 0.5 / 128 + EPS;
            CHECK_OK(tgs_splats_write_spz(path, a, &full));
            CHECK_OK(tgs_splats_read_spz(path, &b));
            snprintf(what, sizeof what, "SPZ v%d degree %d 8-bit SH", version, degree);
            if (b)
                compare(what, a, b, NULL, &fb, NULL);
            tgs_splats_free(b);
            tgs_splats_free(a);
        }
}

/* Positions beyond 2^23/2^12 = 2048: automatic fractional bits drop to fit
 * (3000 needs 11: bound 2^-12); asking for 12 is refused without a file. */
static void test_spz_fractional_bits(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/far.spz", dir);
    tgs_splats *a = random_table(50, 0), *b = NULL;
    a->means[7] = 3000.0f;
    CHECK_OK(tgs_splats_write_spz(path, a, NULL));
    CHECK_OK(tgs_splats_read_spz(path, &b));
    bounds bd = spz_bounds;
    bd.mean = 0x1p-12 + EPS;
    if (b)
        compare("SPZ, fractional bits 11", a, b, NULL, &bd, NULL);
    tgs_splats_free(b);
    remove(path);
    tgs_spz_options o = {.fractional_bits = 12};
    CHECK(tgs_splats_write_spz(path, a, &o) == TGS_ERR_ARG, "a mean of 3000 with 12 fractional bits: %s",
          tgs_error_message());
    CHECK(!check_file_exists(path), "a refused SPZ write left %s", path);
    tgs_splats_free(a);
}

/* .splat: positions float32 (exact); scales exp/log in float: 1e-6; the
 * quaternion's components 8 bits of step 1/128 (half a step each, one step
 * where 1.0 clamps to 255/128), renormalised: 1/64; alpha as SPZ; colour
 * step 1/(255*SH_C0): half of it; no SH rest. */
static const bounds splat_bounds = {0.0, 1e-6, 1.0 / 64, 1.0 / 510 + EPS, 0.5 / (255 * 0.28209479) + EPS, 0, 0};

static void test_splat_round_trip(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/rt.splat", dir);
    for (int degree = 0; degree <= 3; degree += 3) {
        tgs_splats *a = random_table(1000, degree), *b = NULL;
        CHECK_OK(tgs_splats_write_splat(path, a, NULL));
        CHECK_OK(tgs_splats_read_splat(path, &b));
        CHECK(b && b->sh_degree == 0, ".splat holds SH degree 0 (wrote %d, read %d)", degree, b ? b->sh_degree : -1);
        if (b)
            compare(degree ? ".splat (degree 3 dropped)" : ".splat", a, b, NULL, &splat_bounds, NULL);
        tgs_splats_free(b);
        b = NULL;
        /* importance order: largest volume x opacity first */
        tgs_splat_options o = {.importance_order = 1};
        CHECK_OK(tgs_splats_write_splat(path, a, &o));
        CHECK_OK(tgs_splats_read_splat(path, &b));
        /* means are exact: each read Gaussian is found in a, whose keys must not grow */
        double prev = INFINITY;
        for (size_t j = 0; b && j < b->n; j++) {
            size_t i = 0;
            while (i < a->n && memcmp(a->means + i * 3, b->means + j * 3, 3 * sizeof(float)) != 0)
                i++;
            CHECK(i < a->n, ".splat Gaussian %zu not found in the table written", j);
            if (i == a->n)
                break;
            const float *l = a->scales_raw + i * 3;
            double key = exp((double)l[0] + l[1] + l[2]) * sigmoid(a->opacity_raw[i]);
            CHECK(key <= prev, ".splat importance order broken at %zu", j);
            prev = key;
        }
        tgs_splats_free(b);
        tgs_splats_free(a);
    }
}

/* Compressed PLY: per chunk of 256 (in Morton order), with extents E of the
 * chunk's values: positions and scales 11/10/11 bits: E/4094 (x, z), E/2046
 * (y), taken as E/2046 for all; colour 8 bits: E/510 in colour, /SH_C0 in
 * SH DC; rotation 10 bits of step sqrt2/1023 for three components, the
 * fourth rebuilt: 3 x sqrt2/2046; alpha as SPZ; SH rest 8 bits over [-4, 4]:
 * 1/32 (1/64 inside, ends decode to +-4). */
static bounds *cply_bounds(const tgs_splats *a, const uint32_t *order) {
    bounds *per = calloc(a->n, sizeof *per);
    for (size_t c0 = 0; c0 < a->n; c0 += 256) {
        const size_t m = a->n - c0 < 256 ? a->n - c0 : 256;
        double ext[3] = {0}; /* mean, scale, colour: widest axis */
        for (int f = 0; f < 3; f++)
            for (size_t ax = 0; ax < 3; ax++) {
                double lo = INFINITY, hi = -INFINITY;
                for (size_t j = c0; j < c0 + m; j++) {
                    const size_t i = order[j] * 3 + ax;
                    double v = f == 0 ? a->means[i] : f == 1 ? a->scales_raw[i] : 0.5 + SH_C0 * a->sh_dc[i];
                    lo = fmin(lo, v), hi = fmax(hi, v);
                }
                ext[f] = fmax(ext[f], hi - lo);
            }
        for (size_t j = c0; j < c0 + m; j++)
            per[j] = (bounds){ext[0] / 2046 + EPS * (1 + ext[0]), ext[1] / 2046 + EPS * (1 + ext[1]),
                              3 * 1.41421356 / 2046 + EPS, 1.0 / 510 + EPS, ext[2] / 510 / SH_C0 + EPS,
                              1.0 / 32 + EPS, 1.0 / 32 + EPS};
    }
    return per;
}

static void test_cply_round_trip(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/rt.compressed.ply", dir);
    for (int degree = 0; degree <= 3; degree++) {
        tgs_splats *a = random_table(1000, degree), *b = NULL; /* 3 full chunks and one of 232 */
        uint32_t *order = calloc(a->n, sizeof *order);
        CHECK_OK(tgs_splats_morton_order(a, order));
        CHECK_OK(tgs_splats_write_compressed_ply(path, a, NULL));
        CHECK_OK(tgs_splats_read_compressed_ply(path, &b));
        CHECK(b && b->sh_degree == degree, "compressed PLY: SH degree %d read back as %d", degree,
              b ? b->sh_degree : -1);
        bounds *per = cply_bounds(a, order);
        char what[64];
        snprintf(what, sizeof what, "compressed PLY degree %d", degree);
        if (b)
            compare(what, a, b, order, NULL, per);
        tgs_splats_free(b);
        b = NULL;
        free(per);
        /* table order kept on request */
        for (size_t i = 0; i < a->n; i++)
            order[i] = (uint32_t)i;
        tgs_compressed_ply_options o = {.keep_order = 1};
        CHECK_OK(tgs_splats_write_compressed_ply(path, a, &o));
        CHECK_OK(tgs_splats_read_compressed_ply(path, &b));
        per = cply_bounds(a, order);
        snprintf(what, sizeof what, "compressed PLY d%d keep order", degree);
        if (b)
            compare(what, a, b, NULL, NULL, per);
        tgs_splats_free(b);
        free(per);
        free(order);
        tgs_splats_free(a);
    }
}

/* Morton order: a permutation; Gaussians of one chunk span less than the scene. */
static void test_morton(void) {
    tgs_splats *a = random_table(4096, 0);
    uint32_t *order = calloc(a->n, sizeof *order);
    unsigned char *seen = calloc(a->n, 1);
    CHECK_OK(tgs_splats_morton_order(a, order));
    int perm = 1;
    for (size_t j = 0; j < a->n; j++) {
        perm &= order[j] < a->n && !seen[order[j]];
        if (order[j] < a->n)
            seen[order[j]] = 1;
    }
    CHECK(perm, "Morton order is not a permutation");
    /* 16 chunks: each about one octree cell of 1/16 of the volume (two when it
     * straddles a cell boundary); in table order each spans the whole scene. */
    double mean_volume = 0;
    for (size_t c0 = 0; c0 < a->n; c0 += 256) {
        double v = 1;
        for (size_t ax = 0; ax < 3; ax++) {
            double lo = INFINITY, hi = -INFINITY;
            for (size_t j = c0; j < c0 + 256; j++)
                lo = fmin(lo, a->means[order[j] * 3 + ax]), hi = fmax(hi, a->means[order[j] * 3 + ax]);
            v *= hi - lo;
        }
        mean_volume += v / 16;
    }
    CHECK(mean_volume < 0.25 * 1000, "Morton chunks of 256 of 4096 span %.0f of the scene's 1000 on average",
          mean_volume);
    free(seen);
    free(order);
    tgs_splats_free(a);
}

/* flip_yz twice is the identity; once negates y, z, the quaternion's y, z and
 * the SH coefficients odd in y*z (degree 1: the y and z ones). */
static void test_flip(void) {
    tgs_splats *a = random_table(10, 3), *b = random_table(10, 3);
    memcpy(b->means, a->means, 10 * (3 + 3 + 4 + 1 + 3 + 45) * sizeof(float));
    tgs_splats_flip_yz(b);
    CHECK(b->means[0] == a->means[0] && b->means[1] == -a->means[1] && b->means[2] == -a->means[2], "flip: mean");
    CHECK(b->rots[0] == a->rots[0] && b->rots[1] == a->rots[1] && b->rots[2] == -a->rots[2] &&
              b->rots[3] == -a->rots[3], "flip: rotation");
    CHECK(b->sh_rest[0] == -a->sh_rest[0] && b->sh_rest[3] == -a->sh_rest[3] && b->sh_rest[6] == a->sh_rest[6],
          "flip: degree-1 SH (y, z negated, x kept)");
    tgs_splats_flip_yz(b);
    CHECK(memcmp(a->means, b->means, 10 * (3 + 3 + 4 + 1 + 3 + 45) * sizeof(float)) == 0, "flip twice changed the table");
    tgs_splats_free(a);
    tgs_splats_free(b);
}

/* ------------------------------------------------------------------------ */
/* One Gaussian's bytes, worked out by hand from each layout                 */

/* G: mean (1, -2, 0.5), log scales (-1, 0, -4.5), opacity logit 2, SH DC
 * (0.1, 1, -1), rotation w,x,y,z (0.8, 0.6, 0, 0), degree-1 SH rest
 * [k][c] = (0.5, -0.25, 0), (0.1, 0, 0), (0, 0, 0.99). */
static tgs_splats *known_gaussian(void) {
    tgs_splats *s = NULL;
    CHECK_OK(tgs_splats_create(1, 1, &s));
    if (!s)
        exit(1);
    const float mean[3] = {1.0f, -2.0f, 0.5f}, scale[3] = {-1.0f, 0.0f, -4.5f}, dc[3] = {0.1f, 1.0f, -1.0f};
    const float rot[4] = {0.8f, 0.6f, 0.0f, 0.0f}, rest[9] = {0.5f, -0.25f, 0, 0.1f, 0, 0, 0, 0, 0.99f};
    memcpy(s->means, mean, sizeof mean);
    memcpy(s->scales_raw, scale, sizeof scale);
    memcpy(s->sh_dc, dc, sizeof dc);
    memcpy(s->rots, rot, sizeof rot);
    memcpy(s->sh_rest, rest, sizeof rest);
    s->opacity_raw[0] = 2.0f;
    return s;
}

/* SPZ attributes of G (12 fractional bits):
 *   positions  1*4096 = 0x001000, -2*4096 = -8192 = 0xffe000, 0.5*4096 = 0x000800,
 *              24-bit little endian
 *   alpha      sigmoid(2)*255 = 224.60 -> 225 = 0xe1
 *   colours    0.1*0.15*255+127.5 = 131.33 -> 0x83; 1: 165.75 -> 166 = 0xa6; -1: 89.25 -> 0x59
 *   scales     (-1+10)*16 = 144 = 0x90; 160 = 0xa0; (-4.5+10)*16 = 88 = 0x58
 *   rotation   (x,y,z,w) = (0.6, 0, 0, 0.8): largest w (index 3); x: 0.6/sqrt(1/2)*511
 *              = 433.6 -> 434; y, z: 0; (3 << 30) | (434 << 20) = 0xdb200000, LE
 *   SH         round(128c)+128 in buckets of 8 (5 bits): 0.5 -> 192 = 0xc0; -0.25 -> 96 = 0x60;
 *              0 -> 128 = 0x80; 0.1 -> 141 -> 144 = 0x90; 0.99 -> 255 -> 256 -> 255 */
static const unsigned char spz_known_attrs[29] = {
    0x00, 0x10, 0x00, 0x00, 0xe0, 0xff, 0x00, 0x08, 0x00, /* positions */
    0xe1,                                                 /* alpha */
    0x83, 0xa6, 0x59,                                     /* colours */
    0x90, 0xa0, 0x58,                                     /* scales */
    0x00, 0x00, 0x20, 0xdb,                               /* rotation */
    0xc0, 0x60, 0x80, 0x90, 0x80, 0x80, 0x80, 0x80, 0xff  /* SH degree 1 */
};

static void test_spz_known_bytes(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/known.spz", dir);
    tgs_splats *g = known_gaussian();
    unsigned char *file = NULL, plain[256];
    /* version 3: gzip of the 16-byte header "NGSP", 3, 1 Gaussian, degree 1, 12 bits, flags 0 */
    CHECK_OK(tgs_splats_write_spz(path, g, NULL));
    long size = check_read_all(path, &file);
    size_t n = size > 0 ? gunzip_bytes(file, (size_t)size, plain, sizeof plain) : 0;
    static const unsigned char v3_header[16] = {'N', 'G', 'S', 'P', 3, 0, 0, 0, 1, 0, 0, 0, 1, 12, 0, 0};
    CHECK(n == 16 + sizeof spz_known_attrs, "SPZ v3: %zu bytes inside the gzip stream (expected 45)", n);
    CHECK(n >= 16 && memcmp(plain, v3_header, 16) == 0, "SPZ v3 header bytes differ");
    CHECK(n == 45 && memcmp(plain + 16, spz_known_attrs, 29) == 0, "SPZ v3 attribute bytes differ");
    free(file);
    /* version 4: 32-byte header with 6 streams, TOC at 32; each stream one zstd frame */
    tgs_spz_options o = {.version = 4};
    CHECK_OK(tgs_splats_write_spz(path, g, &o));
    size = check_read_all(path, &file);
    static const unsigned char v4_header[32] = {'N', 'G', 'S', 'P', 4, 0, 0, 0, 1, 0, 0, 0, 1, 12, 0, 6, 32, 0, 0, 0};
    CHECK(size >= 128 && memcmp(file, v4_header, 32) == 0, "SPZ v4 header bytes differ");
    static const size_t lens[6] = {9, 1, 3, 3, 4, 9};
    size_t at = 128, attr = 0;
    for (int t = 0; t < 6 && size >= 128; t++) {
        const unsigned char *e = file + 32 + 16 * t;
        uint64_t csize = 0, usize = 0;
        for (int b = 7; b >= 0; b--)
            csize = csize << 8 | e[b], usize = usize << 8 | e[8 + b];
        CHECK(usize == lens[t], "SPZ v4 stream %d: %llu bytes (expected %zu)", t, (unsigned long long)usize, lens[t]);
        if (at + csize > (size_t)size || usize != lens[t])
            break;
        size_t got = ZSTD_decompress(plain + attr, sizeof plain - attr, file + at, (size_t)csize);
        CHECK(!ZSTD_isError(got) && got == lens[t], "SPZ v4 stream %d does not decompress", t);
        at += (size_t)csize;
        attr += lens[t];
    }
    CHECK(at == (size_t)size, "SPZ v4: %zu bytes of streams in a %ld-byte file", at, size);
    CHECK(attr == 29 && memcmp(plain, spz_known_attrs, 29) == 0, "SPZ v4 attribute bytes differ");
    free(file);
    tgs_splats_free(g);
}

/* .splat record of G with log scales (0, ln 2, -ln 2):
 *   position  f32 1 = 0x3f800000, -2 = 0xc0000000, 0.5 = 0x3f000000
 *   scale     f32 exp: 1, 2 = 0x40000000, 0.5
 *   colour    (0.5 + 0.28209*0.1)*255 = 134.69 -> 0x87; (0.5+0.28209)*255 = 199.43 -> 0xc7;
 *             (0.5-0.28209)*255 = 55.57 -> 0x38; alpha 225 = 0xe1
 *   rotation  w 0.8*128+128 = 230.4 -> 0xe6; x 0.6: 204.8 -> 0xcd; y, z: 0x80 */
static void test_splat_known_bytes(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/known.splat", dir);
    tgs_splats *g = known_gaussian();
    g->scales_raw[0] = 0.0f, g->scales_raw[1] = logf(2.0f), g->scales_raw[2] = -logf(2.0f);
    static const unsigned char want[32] = {0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00,
                                           0x3f, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00,
                                           0x00, 0x3f, 0x87, 0xc7, 0x38, 0xe1, 0xe6, 0xcd, 0x80, 0x80};
    CHECK_OK(tgs_splats_write_splat(path, g, NULL));
    unsigned char *file = NULL;
    long size = check_read_all(path, &file);
    CHECK(size == 32 && memcmp(file, want, 32) == 0, ".splat record bytes differ (%ld bytes)", size);
    free(file);
    tgs_splats_free(g);
}

static void put_le32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Compressed PLY of three Gaussians in one chunk, table order, SH degree 1:
 *   G0 mean (1,-2,0.5)   log scale (-1,0,-4.5) DC (0.1,1,-1)   opacity 2   rot (0.7,0.5,-0.1,0.5)
 *   G1 mean (3,2,1.5)    log scale (1,2,-2)    DC (0.5,-1,1)   opacity -1  rot (1,0,0,0)
 *   G2 mean (1.5,1,0.75) log scale (0.5,1.5,-3) DC (0.2,0.5,-0.5) opacity 0.5 rot (-0.6,0,0.8,0)
 * Chunk bounds: positions (1,-2,0.5)..(3,2,1.5), scales (-1,0,-4.5)..(1,2,-2),
 * colours 0.5+SH_C0*DC: r G0..G1, g G1..G0, b G0..G1.
 *   G0 at every minimum: position 0, scale 0; colour r 0, g 255, b 0, alpha
 *      sigmoid(2)*255 = 224.6 -> 225: 0x00ff00e1; rotation: largest w (0), x
 *      (0.5/sqrt2+0.5)*1023 = 873.19 -> 873, y (-0.1/sqrt2+0.5)*1023 = 439.16 -> 439,
 *      z 873: 873<<20 | 439<<10 | 873 = 0x3696df69
 *   G1 at every maximum: 0xffffffff, 0xffffffff; colour 255, 0, 255, alpha
 *      sigmoid(-1)*255 = 68.58 -> 69: 0xff00ff45; rotation w largest, three zeros
 *      at 0.5*1023 = 511.5 -> 512: 0x20080200
 *   G2 position t = (0.25, 0.75, 0.25): 511.75 -> 512, 767.25 -> 767, 512:
 *      512<<21 | 767<<11 | 512 = 0x4017fa00; scale t = (0.75, 0.75, 0.6): 1535, 767,
 *      1228.2 -> 1228: 0xbff7fccc; colour t = (0.25, 0.75, 0.25): 64, 191, 64,
 *      alpha sigmoid(0.5)*255 = 158.73 -> 159: 0x40bf409f; rotation largest y
 *      (index 2), w (-0.6/sqrt2+0.5)*1023 = 77.48 -> 77, x, z 512:
 *      2<<30 | 77<<20 | 512<<10 | 512 = 0x84d80200
 *   SH floor((c/8+0.5)*256), channel-major: G0 r (0.5, 0.1, 0) -> 144, 131, 128;
 *      g (-0.25, 0, 0) -> 120, 128, 128; b (0, 0, 0.99) -> 128, 128, 159; G1, G2 128 */
static void test_cply_known_bytes(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/known.compressed.ply", dir);
    tgs_splats *s = NULL;
    CHECK_OK(tgs_splats_create(3, 1, &s));
    const float mean[9] = {1, -2, 0.5f, 3, 2, 1.5f, 1.5f, 1, 0.75f}, scale[9] = {-1, 0, -4.5f, 1, 2, -2, 0.5f, 1.5f, -3};
    const float dc[9] = {0.1f, 1, -1, 0.5f, -1, 1, 0.2f, 0.5f, -0.5f}, op[3] = {2, -1, 0.5f};
    const float rot[12] = {0.7f, 0.5f, -0.1f, 0.5f, 1, 0, 0, 0, -0.6f, 0, 0.8f, 0};
    const float rest[9] = {0.5f, -0.25f, 0, 0.1f, 0, 0, 0, 0, 0.99f};
    memcpy(s->means, mean, sizeof mean), memcpy(s->scales_raw, scale, sizeof scale), memcpy(s->sh_dc, dc, sizeof dc);
    memcpy(s->opacity_raw, op, sizeof op), memcpy(s->rots, rot, sizeof rot), memcpy(s->sh_rest, rest, sizeof rest);
    tgs_compressed_ply_options o = {.keep_order = 1};
    CHECK_OK(tgs_splats_write_compressed_ply(path, s, &o));

    char header[2048];
    int h = snprintf(header, sizeof header, "ply\nformat binary_little_endian 1.0\ncomment Generated by tgs\n"
                                            "element chunk 1\n");
    const char *cp[18] = {"min_x", "min_y", "min_z", "max_x", "max_y", "max_z", "min_scale_x", "min_scale_y",
                          "min_scale_z", "max_scale_x", "max_scale_y", "max_scale_z", "min_r", "min_g", "min_b",
                          "max_r", "max_g", "max_b"};
    for (int i = 0; i < 18; i++)
        h += snprintf(header + h, sizeof header - (size_t)h, "property float %s\n", cp[i]);
    h += snprintf(header + h, sizeof header - (size_t)h,
                  "element vertex 3\nproperty uint packed_position\nproperty uint packed_rotation\n"
                  "property uint packed_scale\nproperty uint packed_color\nelement sh 3\n");
    for (int i = 0; i < 9; i++)
        h += snprintf(header + h, sizeof header - (size_t)h, "property uchar f_rest_%d\n", i);
    h += snprintf(header + h, sizeof header - (size_t)h, "end_header\n");
    unsigned char want[4096];
    memcpy(want, header, (size_t)h);
    size_t n = (size_t)h;
    const float colour_lo[3] = {(float)(0.5 + SH_C0 * 0.1f), (float)(0.5 - SH_C0), (float)(0.5 - SH_C0)};
    const float colour_hi[3] = {(float)(0.5 + SH_C0 * 0.5f), (float)(0.5 + SH_C0), (float)(0.5 + SH_C0)};
    const float bounds[18] = {1, -2, 0.5f, 3, 2, 1.5f, -1, 0, -4.5f, 1, 2, -2, colour_lo[0], colour_lo[1],
                              colour_lo[2], colour_hi[0], colour_hi[1], colour_hi[2]};
    for (int i = 0; i < 18; i++, n += 4) {
        uint32_t u;
        memcpy(&u, &bounds[i], 4);
        put_le32(want + n, u);
    }
    const uint32_t packed[12] = {0x00000000, 0x3696df69, 0x00000000, 0x00ff00e1, 0xffffffff, 0x20080200,
                                 0xffffffff, 0xff00ff45, 0x4017fa00, 0x84d80200, 0xbff7fccc, 0x40bf409f};
    for (int i = 0; i < 12; i++, n += 4)
        put_le32(want + n, packed[i]);
    const unsigned char sh[27] = {144, 131, 128, 120, 128, 128, 128, 128, 159, 128, 128, 128, 128, 128,
                                  128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128};
    memcpy(want + n, sh, sizeof sh);
    n += sizeof sh;
    unsigned char *file = NULL;
    long size = check_read_all(path, &file);
    CHECK(size == (long)n, "compressed PLY: %ld bytes (expected %zu)", size, n);
    if (size == (long)n)
        for (size_t i = 0; i < n; i++)
            if (file[i] != want[i]) {
                CHECK(file[i] == want[i], "compressed PLY byte %zu is 0x%02x (expected 0x%02x)", i, file[i], want[i]);
                break;
            }
    free(file);
    tgs_splats_free(s);
}

/* ------------------------------------------------------------------------ */
/* Bad inputs                                                                */

typedef tgs_status (*reader_fn)(const char *, tgs_splats **);

/* The reader refuses path with status want, returns no table and names the file. */
static void expect_refused(reader_fn read, const char *path, tgs_status want, const char *what) {
    tgs_splats *s = (tgs_splats *)&rng_state; /* must be reset to NULL */
    tgs_status st = read(path, &s);
    CHECK(st == want, "%s: status %d (expected %d): %s", what, (int)st, (int)want, tgs_error_message());
    CHECK(s == NULL, "%s: a table came back with the error", what);
    CHECK(strstr(tgs_error_message(), path) != NULL && !strchr(tgs_error_message(), '\n'),
          "%s: the message does not name the file in one line: %s", what, tgs_error_message());
    printf("refused %-36s %s\n", what, tgs_error_message());
}

/* Writes the first n bytes of src (with optional patch at offset) to path. */
static void write_variant(const char *path, const unsigned char *src, size_t n, size_t at, const void *patch,
                          size_t plen) {
    unsigned char *b = malloc(n + 1);
    memcpy(b, src, n);
    if (patch)
        memcpy(b + at, patch, plen);
    check_write_bytes(path, b, n);
    free(b);
}

static void test_bad_spz(const char *dir) {
    char good[512], bad[512];
    snprintf(good, sizeof good, "%s/good.spz", dir);
    snprintf(bad, sizeof bad, "%s/bad.spz", dir);
    tgs_splats *a = random_table(300, 2);
    unsigned char *file = NULL, plain[16], gz[256];
    /* version 3: the gzip stream cut short anywhere */
    CHECK_OK(tgs_splats_write_spz(good, a, NULL));
    long size = check_read_all(good, &file);
    const long cuts3[] = {size - 1, size - 8, size / 2, 12, 1};
    for (int c = 0; c < 5; c++) {
        write_variant(bad, file, (size_t)cuts3[c], 0, NULL, 0);
        expect_refused(tgs_splats_read_spz, bad, TGS_ERR_FORMAT, "SPZ v3 truncated");
    }
    free(file);
    /* version 4: cut, magic, version, count */
    tgs_spz_options o4 = {.version = 4};
    CHECK_OK(tgs_splats_write_spz(good, a, &o4));
    size = check_read_all(good, &file);
    const long cuts4[] = {size - 1, size / 2, 100, 31, 3};
    for (int c = 0; c < 5; c++) {
        write_variant(bad, file, (size_t)cuts4[c], 0, NULL, 0);
        expect_refused(tgs_splats_read_spz, bad, TGS_ERR_FORMAT, "SPZ v4 truncated");
    }
    write_variant(bad, file, (size_t)size, 0, "NGSQ", 4);
    expect_refused(tgs_splats_read_spz, bad, TGS_ERR_FORMAT, "SPZ bad magic");
    write_variant(bad, file, (size_t)size, 4, "\x05\0\0\0", 4);
    expect_refused(tgs_splats_read_spz, bad, TGS_ERR_UNSUPPORTED, "SPZ version 5");
    write_variant(bad, file, (size_t)size, 4, "\x03\0\0\0", 4);
    expect_refused(tgs_splats_read_spz, bad, TGS_ERR_FORMAT, "SPZ version 3 with a plain header");
    write_variant(bad, file, (size_t)size, 8, "\xff\xff\xff\x7f", 4);
    expect_refused(tgs_splats_read_spz, bad, TGS_ERR_FORMAT, "SPZ v4 count 2^31-1");
    write_variant(bad, file, (size_t)size, 8, "\x2d\x01\0\0", 4); /* 301 against streams for 300 */
    expect_refused(tgs_splats_read_spz, bad, TGS_ERR_FORMAT, "SPZ v4 count off by one");
    write_variant(bad, file, (size_t)size, 12, "\x04", 1);
    expect_refused(tgs_splats_read_spz, bad, TGS_ERR_UNSUPPORTED, "SPZ SH degree 4");
    write_variant(bad, file, (size_t)size, 15, "\x07", 1);
    expect_refused(tgs_splats_read_spz, bad, TGS_ERR_FORMAT, "SPZ v4 with 7 streams");
    free(file);
    /* gzip streams with bad headers: magic, version 1 and 4, absurd and zero counts */
    const struct {
        unsigned char h[16];
        tgs_status want;
        const char *what;
    } heads[] = {
        {{'N', 'G', 'S', 'X', 3, 0, 0, 0, 1, 0, 0, 0, 0, 12, 0, 0}, TGS_ERR_FORMAT, "gzip without NGSP"},
        {{'N', 'G', 'S', 'P', 1, 0, 0, 0, 1, 0, 0, 0, 0, 12, 0, 0}, TGS_ERR_UNSUPPORTED, "SPZ version 1"},
        {{'N', 'G', 'S', 'P', 4, 0, 0, 0, 1, 0, 0, 0, 0, 12, 0, 0}, TGS_ERR_FORMAT, "SPZ version 4 in gzip"},
        {{'N', 'G', 'S', 'P', 3, 0, 0, 0, 0, 0x94, 0x35, 0x77, 0, 12, 0, 0}, TGS_ERR_FORMAT, "SPZ count 2e9"},
        {{'N', 'G', 'S', 'P', 3, 0, 0, 0, 0, 0, 0, 0, 0, 12, 0, 0}, TGS_ERR_FORMAT, "SPZ count 0"},
        {{'N', 'G', 'S', 'P', 3, 0, 0, 0, 2, 0, 0, 0, 0, 12, 0, 0}, TGS_ERR_FORMAT, "SPZ count 2, data for 0"},
    };
    for (size_t i = 0; i < sizeof heads / sizeof *heads; i++) {
        size_t n = gzip_bytes(heads[i].h, 16, gz, sizeof gz);
        check_write_bytes(bad, gz, n);
        expect_refused(tgs_splats_read_spz, bad, heads[i].want, heads[i].what);
    }
    memset(plain, 0, sizeof plain);
    check_write_bytes(bad, plain, sizeof plain);
    expect_refused(tgs_splats_read_spz, bad, TGS_ERR_FORMAT, "SPZ of zeros");
    tgs_splats_free(a);
}

/* Version 2 (read only): 3-byte rotations (x, y, z) with w rebuilt. Bytes of
 * one Gaussian at the origin with rotation (w,x,y,z) = (0.8, 0.6, 0, 0):
 * x 0.6*127.5+127.5 = 204, y and z 127.5 (written 128: 0.004). */
static void test_spz_v2(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/v2.spz", dir);
    const unsigned char raw[16 + 9 + 1 + 3 + 3 + 3] = {'N', 'G', 'S', 'P', 2, 0, 0, 0, 1, 0, 0, 0, 0, 12, 0, 0,
                                                       0,   0,   0,   0,   0, 0, 0, 0, 0, /* position */
                                                       128, 128, 128, 128, 160, 160, 160, /* alpha, colour, scale */
                                                       204, 128, 128};
    unsigned char gz[256];
    check_write_bytes(path, gz, gzip_bytes(raw, sizeof raw, gz, sizeof gz));
    tgs_splats *s = NULL;
    CHECK_OK(tgs_splats_read_spz(path, &s));
    const float want[4] = {0.8f, 0.6f, 0.0f, 0.0f};
    CHECK(s && s->n == 1 && rot_error(s->rots, want) < 0.01, "SPZ v2 rotation read back %g %g %g %g",
          s ? s->rots[0] : 0, s ? s->rots[1] : 0, s ? s->rots[2] : 0, s ? s->rots[3] : 0);
    CHECK(s && s->scales_raw[0] == 0.0f && s->means[0] == 0.0f, "SPZ v2 scale/position");
    tgs_splats_free(s);
}

static void test_bad_splat_and_cply(const char *dir) {
    char path[512], good[512];
    snprintf(path, sizeof path, "%s/bad.splat", dir);
    unsigned char rec[33] = {0};
    check_write_bytes(path, rec, 33);
    expect_refused(tgs_splats_read_splat, path, TGS_ERR_FORMAT, ".splat of 33 bytes");
    check_write_bytes(path, rec, 0);
    expect_refused(tgs_splats_read_splat, path, TGS_ERR_FORMAT, "empty .splat");
    const float nan = NAN;
    memcpy(rec, &nan, 4);
    check_write_bytes(path, rec, 32);
    expect_refused(tgs_splats_read_splat, path, TGS_ERR_FORMAT, ".splat with a NaN position");

    snprintf(good, sizeof good, "%s/good.compressed.ply", dir);
    snprintf(path, sizeof path, "%s/bad.compressed.ply", dir);
    tgs_splats *a = random_table(300, 1);
    CHECK_OK(tgs_splats_write_compressed_ply(good, a, NULL));
    unsigned char *file = NULL;
    long size = check_read_all(good, &file);
    const long cuts[] = {size - 1, size - 300 * 9, 600, 40, 2};
    for (int c = 0; c < 5; c++) {
        write_variant(path, file, (size_t)cuts[c], 0, NULL, 0);
        expect_refused(tgs_splats_read_compressed_ply, path, TGS_ERR_FORMAT, "compressed PLY truncated");
    }
    write_variant(path, file, (size_t)size, 0, "plx", 3);
    expect_refused(tgs_splats_read_compressed_ply, path, TGS_ERR_FORMAT, "compressed PLY bad magic");
    /* counts: absurd, more than the data, chunks that do not match */
    const char *counts[][2] = {{"element vertex 300\n", "element vertex 99999999999\n"},
                               {"element vertex 300\n", "element vertex 3000000\n"},
                               {"element chunk 2\n", "element chunk 9\n"},
                               {"element sh 300\n", "element sh 299\n"},
                               {"format binary_little_endian 1.0\n", "format ascii 1.0\n"},
                               {"property uint packed_scale\n", "property float packed_scale\n"}};
    for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) {
        const char *at = strstr((const char *)file, counts[i][0]);
        CHECK(at != NULL, "header line %s not found", counts[i][0]);
        if (!at)
            continue;
        const size_t off = (size_t)(at - (const char *)file), ol = strlen(counts[i][0]), nl = strlen(counts[i][1]);
        unsigned char *b = malloc((size_t)size + nl);
        memcpy(b, file, off);
        memcpy(b + off, counts[i][1], nl);
        memcpy(b + off + nl, file + off + ol, (size_t)size - off - ol);
        check_write_bytes(path, b, (size_t)size - ol + nl);
        free(b);
        char what[64];
        snprintf(what, sizeof what, "%.*s", (int)nl - 1, counts[i][1]);
        expect_refused(tgs_splats_read_compressed_ply, path, TGS_ERR_FORMAT, what);
    }
    free(file);
    tgs_splats_free(a);
}

/* Writers: an unwritable path, a table with NaN, no Gaussians, bad options:
 * an error, no file and no .tmp; an earlier file at the path is kept. */
static void test_bad_writes(const char *dir) {
    tgs_splats *a = random_table(20, 1), *empty = NULL;
    CHECK_OK(tgs_splats_create(0, 0, &empty));
    const char *exts[3] = {"spz", "splat", "compressed.ply"};
    for (int f = 0; f < 3; f++) {
        char path[512], tmp[520];
        snprintf(path, sizeof path, "/nonexistent_tgs_dir/out.%s", exts[f]);
        tgs_status st = f == 0 ? tgs_splats_write_spz(path, a, NULL)
                        : f == 1 ? tgs_splats_write_splat(path, a, NULL)
                                 : tgs_splats_write_compressed_ply(path, a, NULL);
        CHECK(st == TGS_ERR_IO && strstr(tgs_error_message(), path), "unwritable %s: %d %s", exts[f], (int)st,
              tgs_error_message());
        snprintf(path, sizeof path, "%s/keep.%s", dir, exts[f]);
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        check_write_bytes(path, "previous", 8);
        a->scales_raw[31] = NAN;
        st = f == 0 ? tgs_splats_write_spz(path, a, NULL)
             : f == 1 ? tgs_splats_write_splat(path, a, NULL)
                      : tgs_splats_write_compressed_ply(path, a, NULL);
        CHECK(st == TGS_ERR_ARG, "%s with a NaN scale: %d %s", exts[f], (int)st, tgs_error_message());
        a->scales_raw[31] = 0.5f;
        st = f == 0 ? tgs_splats_write_spz(path, empty, NULL)
             : f == 1 ? tgs_splats_write_splat(path, empty, NULL)
                      : tgs_splats_write_compressed_ply(path, empty, NULL);
        CHECK(st == TGS_ERR_ARG, "%s with no Gaussians: %d %s", exts[f], (int)st, tgs_error_message());
        unsigned char *file = NULL;
        long size = check_read_all(path, &file);
        CHECK(size == 8 && memcmp(file, "previous", 8) == 0, "a refused %s write changed the earlier file", exts[f]);
        CHECK(!check_file_exists(tmp), "a refused %s write left %s", exts[f], tmp);
        free(file);
    }
    char path[512];
    snprintf(path, sizeof path, "%s/opts.spz", dir);
    const tgs_spz_options bad[] = {{.version = 2}, {.version = 5}, {.sh1_bits = 9}, {.sh_rest_bits = -1},
                                   {.fractional_bits = 24}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK(tgs_splats_write_spz(path, a, &bad[i]) == TGS_ERR_ARG, "SPZ option set %zu accepted", i);
        CHECK(!check_file_exists(path), "a refused SPZ write left %s", path);
    }
    tgs_splats_free(empty);
    CHECK(tgs_splats_create(1, 4, &empty) == TGS_ERR_ARG && empty == NULL, "a table of SH degree 4 was created");
    tgs_splats_free(a);
}

/* Names, guesses and the reader that dispatches on them. */
static void test_formats(const char *dir) {
    tgs_splat_format f;
    const char *names[] = {"ply", "spz", "splat", "compressed-ply", "sog"};
    for (int i = 0; i < 5; i++) {
        CHECK_OK(tgs_splat_format_parse(names[i], &f));
        CHECK(f == (tgs_splat_format)(i + 1) && strcmp(tgs_splat_format_name(f), names[i]) == 0, "format %s",
              names[i]);
    }
    CHECK(tgs_splat_format_parse("sogs", &f) == TGS_ERR_ARG && f == TGS_SPLAT_FORMAT_UNKNOWN, "format sogs accepted");
    CHECK(tgs_splat_format_max_sh_degree(TGS_SPLAT_FORMAT_SPLAT) == 0 &&
              tgs_splat_format_max_sh_degree(TGS_SPLAT_FORMAT_SPZ) == 3 &&
              tgs_splat_format_max_sh_degree(TGS_SPLAT_FORMAT_COMPRESSED_PLY) == 3 &&
              tgs_splat_format_max_sh_degree(TGS_SPLAT_FORMAT_SOG) == 3,
          "max SH degrees");
    CHECK(tgs_splat_format_from_name("a/b.SPZ") == TGS_SPLAT_FORMAT_SPZ &&
              tgs_splat_format_from_name("x.splat") == TGS_SPLAT_FORMAT_SPLAT &&
              tgs_splat_format_from_name("x.compressed.ply") == TGS_SPLAT_FORMAT_COMPRESSED_PLY &&
              tgs_splat_format_from_name("x.ply") == TGS_SPLAT_FORMAT_PLY &&
              tgs_splat_format_from_name("x.sog") == TGS_SPLAT_FORMAT_SOG &&
              tgs_splat_format_from_name("d/meta.json") == TGS_SPLAT_FORMAT_SOG &&
              tgs_splat_format_from_name("x.bin") == TGS_SPLAT_FORMAT_UNKNOWN,
          "formats from names");
    /* guesses by content: an SPZ named .ply, a compressed PLY named .bin */
    tgs_splats *a = random_table(30, 1), *b = NULL;
    char path[512];
    const struct {
        const char *name;
        tgs_splat_format want;
        int version;
    } files[] = {{"g3.ply", TGS_SPLAT_FORMAT_SPZ, 3},
                 {"g4.spz", TGS_SPLAT_FORMAT_SPZ, 4},
                 {"g.bin", TGS_SPLAT_FORMAT_COMPRESSED_PLY, 0},
                 {"g.splat", TGS_SPLAT_FORMAT_SPLAT, 0},
                 {"g.bin2", TGS_SPLAT_FORMAT_SOG, 0}};
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i].name);
        tgs_spz_options o = {.version = files[i].version};
        CHECK_OK(files[i].want == TGS_SPLAT_FORMAT_SPZ     ? tgs_splats_write_spz(path, a, &o)
                 : files[i].want == TGS_SPLAT_FORMAT_SPLAT ? tgs_splats_write_splat(path, a, NULL)
                 : files[i].want == TGS_SPLAT_FORMAT_SOG   ? tgs_splats_write_sog(path, a, NULL)
                                                           : tgs_splats_write_compressed_ply(path, a, NULL));
        CHECK_OK(tgs_splat_format_guess(path, &f));
        CHECK(f == files[i].want, "%s guessed as %s", files[i].name, tgs_splat_format_name(f));
        CHECK_OK(tgs_splats_read(path, &b));
        CHECK(b && b->n == 30, "%s read through the guess", files[i].name);
        tgs_splats_free(b);
        b = NULL;
    }
    snprintf(path, sizeof path, "%s/plain.ply", dir);
    check_write_bytes(path, "ply\nformat binary_little_endian 1.0\nelement vertex 0\nend_header\n", 64);
    CHECK_OK(tgs_splat_format_guess(path, &f));
    CHECK(f == TGS_SPLAT_FORMAT_PLY, "a standard PLY guessed as %s", tgs_splat_format_name(f));
    CHECK(tgs_splats_read(path, &b) == TGS_ERR_UNSUPPORTED && !b, "a standard PLY through tgs_splats_read");
    snprintf(path, sizeof path, "%s/noise.bin", dir);
    check_write_bytes(path, "noise", 5);
    CHECK_OK(tgs_splat_format_guess(path, &f));
    CHECK(f == TGS_SPLAT_FORMAT_UNKNOWN, "noise guessed as %s", tgs_splat_format_name(f));
    CHECK(tgs_splats_read(path, &b) == TGS_ERR_FORMAT && !b, "noise read");
    CHECK(tgs_splat_format_guess("/nonexistent_tgs_dir/x.spz", &f) == TGS_ERR_IO, "guess of a missing file");
    tgs_splats_free(a);
}

/* ------------------------------------------------------------------------ */
/* SOG                                                                       */

/* Codebook: at most 256 distinct values come back exactly; k-means: four
 * separated clusters are found, and the result does not change between runs. */
static void test_codebook_and_kmeans(void) {
    float v[600], book[256];
    for (int i = 0; i < 600; i++)
        v[i] = (float)(i % 3) - 0.5f; /* -0.5, 0.5, 1.5 */
    CHECK_OK(splat_codebook(v, 600, book));
    for (int i = 0; i < 3; i++)
        CHECK(book[splat_codebook_index(book, v[i])] == v[i], "codebook: %g comes back as %g", v[i],
              book[splat_codebook_index(book, v[i])]);
    for (int j = 1; j < 256; j++)
        CHECK(book[j - 1] <= book[j], "codebook not ascending at %d", j);
    for (int i = 0; i < 600; i++)
        v[i] = uni(-4.0f, 4.0f);
    CHECK_OK(splat_codebook(v, 600, book));
    double worst = 0;
    for (int i = 0; i < 600; i++)
        worst = fmax(worst, fabs(book[splat_codebook_index(book, v[i])] - v[i]));
    CHECK(worst <= 8.0 / 256, "codebook of 600 uniform values: worst error %g > 8/256", worst);
    /* 400 points of 3 dimensions around (+-10, +-10, 0), 0.1 apart at most:
     * the same result twice, each label the nearest centroid (2 cells, all
     * probed: exact), and a smaller error than the seeds' */
    enum { N = 400, D = 3 };
    static float x[N * D], c1[4 * D], c2[4 * D];
    static uint32_t l1[N], l2[N];
    for (int i = 0; i < N; i++) {
        x[i * D] = (i & 1 ? 10.0f : -10.0f) + uni(-0.05f, 0.05f);
        x[i * D + 1] = (i & 2 ? 10.0f : -10.0f) + uni(-0.05f, 0.05f);
        x[i * D + 2] = uni(-0.05f, 0.05f);
    }
    double sse[2] = {0, 0};
    for (int run = 0; run < 2; run++) {
        CHECK_OK(splat_kmeans(x, N, D, 4, run ? 10 : 0, 42, c1, l1));
        for (int i = 0; i < N; i++)
            for (int a = 0; a < D; a++)
                sse[run] += pow(x[i * D + a] - c1[l1[i] * D + a], 2);
    }
    CHECK(sse[1] <= sse[0], "k-means: error %g after 10 iterations, %g from the seeds", sse[1], sse[0]);
    CHECK_OK(splat_kmeans(x, N, D, 4, 10, 42, c2, l2));
    CHECK(memcmp(c1, c2, sizeof c1) == 0 && memcmp(l1, l2, sizeof l1) == 0, "k-means differs between runs");
    for (int i = 0; i < N; i++)
        for (uint32_t j = 0; j < 4; j++) {
            double dj = 0, dl = 0;
            for (int a = 0; a < D; a++)
                dj += pow(x[i * D + a] - c1[j * D + a], 2), dl += pow(x[i * D + a] - c1[l1[i] * D + a], 2);
            CHECK(dl <= dj * (1 + 1e-6), "k-means: point %d labelled %u, nearer to %u", i, l1[i], j);
        }
    CHECK(splat_kmeans(x, 3, D, 4, 10, 42, c1, l1) == TGS_ERR_ARG, "k-means of 3 points into 4 clusters");
}

/* SH rest made of 64 distinct vectors of the values {-0.5, 0, 0.25, 0.5}: the
 * palette (512 entries for 1000 Gaussians) and its codebook hold them exactly. */
static void sog_palette_rest(tgs_splats *s) {
    static const float vals[4] = {-0.5f, 0.0f, 0.25f, 0.5f};
    const size_t d = 3 * (size_t)tgs_splats_rest_count(s->sh_degree);
    for (size_t i = 0; i < s->n; i++)
        for (size_t j = 0; j < d; j++)
            s->sh_rest[i * d + j] = vals[((i % 64) * 7 + j * 13 + (i % 64) * j) % 4];
}

/* SOG bounds: means 16 bits of log(|x|+1) over the axis's log-extent L (<= 2
 * log 6 here): (|x|+1)*L/131070, at most 6*3.59/131070; scales and DC: half
 * the widest gap of a 256-entry codebook of uniform values (ranges 14 and 3.4;
 * Lloyd's gaps vary: stated as 1.3x the whole mean gap); rotations as
 * compressed PLY's at 8 bits:
 * 3*sqrt2/510; opacity 1/510; SH rest exact (see sog_palette_rest). */
static const bounds sog_bounds = {6 * 3.59 / 131070 + EPS, 18.0 / 256, 3 * 1.41421356 / 510 + EPS, 1.0 / 510 + EPS,
                                  4.5 / 256, EPS, EPS};

static void test_sog_round_trip(const char *dir) {
    char path[512];
    for (int degree = 0; degree <= 3; degree++)
        for (int folder = 0; folder <= 1; folder++) {
            tgs_splats *a = random_table(1000, degree), *b = NULL;
            sog_palette_rest(a);
            if (folder)
                snprintf(path, sizeof path, "%s/sog_d%d", dir, degree), mkdir(path, 0755),
                    snprintf(path, sizeof path, "%s/sog_d%d/meta.json", dir, degree);
            else
                snprintf(path, sizeof path, "%s/rt_d%d.sog", dir, degree);
            uint32_t *order = calloc(a->n, sizeof *order);
            CHECK_OK(tgs_splats_morton_order(a, order));
            CHECK_OK(tgs_splats_write_sog(path, a, NULL));
            CHECK_OK(tgs_splats_read(path, &b));
            CHECK(b && b->sh_degree == degree, "SOG: SH degree %d read back as %d", degree, b ? b->sh_degree : -1);
            char what[64];
            snprintf(what, sizeof what, "SOG degree %d%s", degree, folder ? " (folder)" : "");
            if (b)
                compare(what, a, b, order, &sog_bounds, NULL);
            tgs_splats_free(b);
            if (folder) { /* the folder itself reads too; its bytes count the images */
                unsigned char *meta = NULL;
                long mn = check_read_all(path, &meta);
                CHECK(tgs_splats_written_bytes(path) > (uint64_t)mn + 5 * 44, "SOG folder bytes %llu",
                      (unsigned long long)tgs_splats_written_bytes(path));
                free(meta);
                path[strlen(path) - 10] = 0;
                b = NULL;
                CHECK_OK(tgs_splats_read(path, &b));
                CHECK(b && b->n == a->n, "SOG folder %s read", path);
                tgs_splats_free(b);
            }
            free(order);
            tgs_splats_free(a);
        }
}

/* RGBA of one image of a folder-form SOG (freed with WebPFree). */
static uint8_t *sog_image_of(const char *dir, const char *name, int *w, int *h) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unsigned char *data = NULL;
    long n = check_read_all(path, &data);
    uint8_t *rgba = n > 0 ? WebPDecodeRGBA(data, (size_t)n, w, h) : NULL;
    CHECK(rgba != NULL, "%s does not decode", path);
    free(data);
    return rgba;
}

/* Two Gaussians, worked out by hand from the layout:
 *   A at (0, 0, 0), B at (e-1, 1-e, 3): log transforms (0,0,0) and (1,-1,ln 4);
 *   mins (0,-1,0), maxs (1,0,ln 4); Morton order A, B (B's z sets the top bit).
 *   means (16 bits, low | high): A (0, 65535, 0), B (65535, 0, 65535)
 *   A's rotation (0.2,-0.8,0.4,0.4): largest x (index 1), negative: -(w,y,z)
 *   = (-0.2,-0.4,-0.4) -> 255*(c*sqrt2/2+0.5) = 91.44, 55.38, 55.38 -> (91, 55, 55,
 *   253); B's (1,0,0,0): (128, 128, 128, 252)
 *   opacity: A logit(0.2) -> 51; B logit 0 -> 127.5 -> 128
 *   scales and DC: six values each, fewer than 256: exact */
static void test_sog_known_values(const char *dir) {
    tgs_splats *s = NULL;
    CHECK_OK(tgs_splats_create(2, 0, &s));
    if (!s)
        return;
    const float e1 = (float)(exp(1.0) - 1.0);
    const float means[6] = {0, 0, 0, e1, -e1, 3}, rots[8] = {0.2f, -0.8f, 0.4f, 0.4f, 1, 0, 0, 0};
    const float scales[6] = {-1, -2, -3, -4.5f, 0.25f, 1}, dc[6] = {0.1f, 1, -1, 0.3f, 0.4f, -0.6f};
    memcpy(s->means, means, sizeof means), memcpy(s->rots, rots, sizeof rots);
    memcpy(s->scales_raw, scales, sizeof scales), memcpy(s->sh_dc, dc, sizeof dc);
    s->opacity_raw[0] = (float)log(0.25), s->opacity_raw[1] = 0.0f;
    char sub[400], path[512];
    snprintf(sub, sizeof sub, "%s/known_sog", dir);
    mkdir(sub, 0755);
    snprintf(path, sizeof path, "%s/meta.json", sub);
    CHECK_OK(tgs_splats_write_sog(path, s, NULL));
    json_error_t err;
    json_t *meta = json_load_file(path, 0, &err);
    CHECK(meta && json_integer_value(json_object_get(meta, "version")) == 2 &&
              json_integer_value(json_object_get(meta, "count")) == 2 && !json_object_get(meta, "shN"),
          "meta.json: version 2, count 2, no shN");
    const json_t *mins = json_object_get(json_object_get(meta, "means"), "mins"),
                 *maxs = json_object_get(json_object_get(meta, "means"), "maxs");
    const double want_min[3] = {0, -1, 0}, want_max[3] = {1, 0, log(4.0)};
    for (size_t a = 0; a < 3; a++)
        CHECK(fabs(json_number_value(json_array_get(mins, a)) - want_min[a]) < 1e-6 &&
                  fabs(json_number_value(json_array_get(maxs, a)) - want_max[a]) < 1e-6,
              "means axis %zu: [%g, %g]", a, json_number_value(json_array_get(mins, a)),
              json_number_value(json_array_get(maxs, a)));
    json_decref(meta);
    int w = 0, h = 0;
    uint8_t *lo = sog_image_of(sub, "means_l.webp", &w, &h), *hi = sog_image_of(sub, "means_u.webp", &w, &h);
    uint8_t *q = sog_image_of(sub, "quats.webp", &w, &h), *c0 = sog_image_of(sub, "sh0.webp", &w, &h);
    CHECK(w == 4 && h == 4, "images of 2 Gaussians: %dx%d (expected 4x4)", w, h);
    const unsigned want_means[6] = {0, 65535, 0, 65535, 0, 65535};
    const uint8_t want_q[8] = {91, 55, 55, 253, 128, 128, 128, 252};
    for (int i = 0; lo && hi && i < 6; i++) {
        unsigned m = lo[(i / 3) * 4 + i % 3] | (unsigned)hi[(i / 3) * 4 + i % 3] << 8;
        CHECK(m == want_means[i], "Gaussian %d axis %d: mean %u (expected %u)", i / 3, i % 3, m, want_means[i]);
    }
    for (int i = 0; q && i < 8; i++)
        CHECK(q[i] == want_q[i], "quats byte %d: %u (expected %u)", i, q[i], want_q[i]);
    CHECK(c0 && c0[3] == 51 && c0[7] == 128, "opacity bytes %u %u (expected 51 128)", c0 ? c0[3] : 0,
          c0 ? c0[7] : 0);
    WebPFree(lo), WebPFree(hi), WebPFree(q), WebPFree(c0);
    tgs_splats *b = NULL;
    CHECK_OK(tgs_splats_read(path, &b));
    for (int i = 0; b && i < 6; i++)
        CHECK(b->scales_raw[i] == scales[i] && b->sh_dc[i] == dc[i], "scale/DC %d: %g %g (expected %g %g)", i,
              b->scales_raw[i], b->sh_dc[i], scales[i], dc[i]);
    CHECK(b && fabs(b->means[3] - e1) < 1e-5 && fabs(b->means[4] + e1) < 1e-5 && fabs(b->means[5] - 3) < 1e-5,
          "B's mean read back");
    tgs_splats_free(b);
    tgs_splats_free(s);
}

/* The .sog of a written table with every entry deflated (as zip tools write
 * it) reads back the same. */
static void test_sog_deflated(const char *dir) {
    char path[512], path2[520];
    snprintf(path, sizeof path, "%s/plain.sog", dir);
    snprintf(path2, sizeof path2, "%s/deflated.sog", dir);
    tgs_splats *a = random_table(300, 2), *b = NULL, *c = NULL;
    CHECK_OK(tgs_splats_write_sog(path, a, NULL));
    unsigned char *z = NULL;
    long n = check_read_all(path, &z);
    const char *names[8] = {"means_l.webp", "means_u.webp", "quats.webp", "scales.webp", "sh0.webp",
                            "shN_centroids.webp", "shN_labels.webp", "meta.json"};
    /* stored zip of deflated payloads: rewrite each local header and central record by hand */
    unsigned char *out = calloc((size_t)n * 2 + 4096, 1), *cd = calloc(4096, 1);
    size_t at = 0, cd_n = 0;
    for (int e = 0; e < 8; e++) {
        uint8_t *data = NULL;
        size_t dn = 0;
        CHECK_OK(splat_zip_extract(path, z, (size_t)n, names[e], &data, &dn));
        uLongf cn = compressBound(dn) + 64;
        unsigned char *comp = malloc(cn);
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        deflateInit2(&zs, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY);
        zs.next_in = data, zs.avail_in = (uInt)dn, zs.next_out = comp, zs.avail_out = (uInt)cn;
        deflate(&zs, Z_FINISH);
        cn = zs.total_out;
        deflateEnd(&zs);
        const uint32_t crc = (uint32_t)crc32(0, data, (uInt)dn), len = (uint32_t)strlen(names[e]);
        unsigned char h[46] = {0};
        put_le32(h, 0x04034b50), h[4] = 20, h[8] = 8;
        put_le32(h + 14, crc), put_le32(h + 18, (uint32_t)cn), put_le32(h + 22, (uint32_t)dn), h[26] = (uint8_t)len;
        unsigned char *c_ = cd + cd_n;
        put_le32(c_, 0x02014b50), c_[4] = c_[6] = 20, c_[10] = 8;
        memcpy(c_ + 16, h + 14, 12), c_[28] = (uint8_t)len, put_le32(c_ + 42, (uint32_t)at);
        memcpy(c_ + 46, names[e], len);
        cd_n += 46 + len;
        memcpy(out + at, h, 30), memcpy(out + at + 30, names[e], len), memcpy(out + at + 30 + len, comp, cn);
        at += 30 + len + cn;
        free(comp);
        free(data);
    }
    unsigned char end[22] = {0};
    put_le32(end, 0x06054b50), end[8] = end[10] = 8;
    put_le32(end + 12, (uint32_t)cd_n), put_le32(end + 16, (uint32_t)at);
    memcpy(out + at, cd, cd_n), memcpy(out + at + cd_n, end, 22);
    check_write_bytes(path2, out, at + cd_n + 22);
    CHECK_OK(tgs_splats_read_sog(path, &b));
    CHECK_OK(tgs_splats_read_sog(path2, &c));
    CHECK(b && c && b->n == c->n && memcmp(b->means, c->means, b->n * sizeof(float) * 3) == 0 &&
              memcmp(b->sh_rest, c->sh_rest, b->n * sizeof(float) * 24) == 0,
          "a deflated .sog reads as the stored one");
    tgs_splats_free(b), tgs_splats_free(c), tgs_splats_free(a);
    free(out), free(cd), free(z);
}

/* A folder-form SOG whose meta.json is replaced by text. */
static void sog_meta_variant(const char *sub, const char *text) {
    char path[600];
    snprintf(path, sizeof path, "%s/meta.json", sub);
    check_write_bytes(path, text, strlen(text));
}

static void test_bad_sog(const char *dir) {
    char sub[400], path[512];
    tgs_splats *a = random_table(100, 1);
    snprintf(sub, sizeof sub, "%s/bad_sog", dir);
    mkdir(sub, 0755);
    snprintf(path, sizeof path, "%s/meta.json", sub);
    CHECK_OK(tgs_splats_write_sog(path, a, NULL));
    unsigned char *meta = NULL;
    long mn = check_read_all(path, &meta);
    char *text = calloc((size_t)mn + 64, 1);
    memcpy(text, meta, (size_t)mn);
    /* version, count, names */
    char *v = strstr(text, "\"version\":2");
    CHECK(v != NULL, "meta.json holds \"version\":2");
    if (!v)
        return;
    v[10] = '3';
    sog_meta_variant(sub, text);
    expect_refused(tgs_splats_read_sog, path, TGS_ERR_UNSUPPORTED, "SOG version 3");
    v[10] = '2';
    char *cnt = strstr(text, "\"count\":100");
    memcpy(cnt, "\"count\":900", 11);
    sog_meta_variant(sub, text);
    expect_refused(tgs_splats_read_sog, path, TGS_ERR_FORMAT, "SOG count beyond its images");
    memcpy(cnt, "\"count\":100", 11);
    char *mins = strstr(text, "\"mins\":["), *close = mins ? strchr(mins, ']') : NULL;
    if (mins && close) { /* the means' bounds replaced by [-90, 0, 0] */
        char *far = calloc(strlen(text) + 64, 1);
        snprintf(far, strlen(text) + 64, "%.*s\"mins\":[-90,0,0%s", (int)(mins - text), text, close);
        sog_meta_variant(sub, far);
        expect_refused(tgs_splats_read_sog, path, TGS_ERR_FORMAT, "SOG means bounds beyond 80");
        free(far);
    }
    char *name = strstr(text, "quats.webp");
    memcpy(name, "../ts.webp", 10);
    sog_meta_variant(sub, text);
    expect_refused(tgs_splats_read_sog, path, TGS_ERR_FORMAT, "SOG image outside its folder");
    memcpy(name, "means_l.we", 10); /* "means_l.webp" as quats: tags < 252 read as identity, not refused */
    sog_meta_variant(sub, "{\"version\":2,\"count\":1}");
    expect_refused(tgs_splats_read_sog, path, TGS_ERR_FORMAT, "SOG meta.json without means");
    sog_meta_variant(sub, "{\"count\":1,\"means\":{}}");
    expect_refused(tgs_splats_read_sog, path, TGS_ERR_UNSUPPORTED, "SOG version 1 meta.json");
    sog_meta_variant(sub, "{\"version\":2,");
    expect_refused(tgs_splats_read_sog, path, TGS_ERR_FORMAT, "SOG meta.json cut short");
    free(text), free(meta);
    /* a zip: cut, damaged, without meta.json */
    snprintf(path, sizeof path, "%s/bad.sog", dir);
    CHECK_OK(tgs_splats_write_sog(path, a, NULL));
    unsigned char *z = NULL;
    long n = check_read_all(path, &z);
    write_variant(path, z, (size_t)n - 30, 0, NULL, 0);
    expect_refused(tgs_splats_read_sog, path, TGS_ERR_FORMAT, "SOG zip cut short");
    write_variant(path, z, (size_t)n, 100, "\xff\xff", 2);
    expect_refused(tgs_splats_read_sog, path, TGS_ERR_FORMAT, "SOG zip with a damaged entry");
    long m = n - 9; /* the central directory's name of meta.json: its last occurrence */
    while (m > 0 && memcmp(z + m, "meta.json", 9) != 0)
        m--;
    write_variant(path, z, (size_t)n, (size_t)m, "mexa.json", 9);
    expect_refused(tgs_splats_read_sog, path, TGS_ERR_FORMAT, "SOG zip without meta.json");
    expect_refused(tgs_splats_read_sog, "/nonexistent_tgs_dir/x.sog", TGS_ERR_IO, "missing .sog");
    free(z);
    tgs_splats_free(a);
}

/* Unwritable paths and bad tables leave nothing (and an earlier file intact). */
static void test_bad_sog_writes(const char *dir) {
    tgs_splats *a = random_table(20, 2);
    const char *bad[2] = {"/nonexistent_tgs_dir/out.sog", "/nonexistent_tgs_dir/meta.json"};
    for (int i = 0; i < 2; i++) {
        tgs_status st = tgs_splats_write_sog(bad[i], a, NULL);
        CHECK(st == TGS_ERR_IO && strstr(tgs_error_message(), "/nonexistent_tgs_dir/"), "unwritable %s: %d %s",
              bad[i], (int)st, tgs_error_message());
    }
    char sub[400], path[512], img[520];
    snprintf(sub, sizeof sub, "%s/ro_sog", dir);
    mkdir(sub, 0755);
    snprintf(path, sizeof path, "%s/meta.json", sub);
    snprintf(img, sizeof img, "%s/means_l.webp", sub);
    mkdir(path, 0755); /* meta.json cannot be written: a folder is in its place */
    CHECK(tgs_splats_write_sog(path, a, NULL) == TGS_ERR_IO, "SOG over a folder named meta.json");
    CHECK(!check_file_exists(img), "a failed folder-form SOG left %s", img);
    snprintf(path, sizeof path, "%s/keep.sog", dir);
    check_write_bytes(path, "previous", 8);
    a->rots[5] = INFINITY;
    CHECK(tgs_splats_write_sog(path, a, NULL) == TGS_ERR_ARG, "SOG with an infinite rotation");
    unsigned char *file = NULL;
    CHECK(check_read_all(path, &file) == 8 && memcmp(file, "previous", 8) == 0, "a refused SOG changed the file");
    free(file);
    tgs_splats_free(a);
}

int main(void) {
    char dir[256];
    check_tmpdir(dir, sizeof dir, "splat_formats");
    test_spz_round_trip(dir);
    test_spz_fractional_bits(dir);
    test_splat_round_trip(dir);
    test_cply_round_trip(dir);
    test_morton();
    test_flip();
    test_spz_known_bytes(dir);
    test_splat_known_bytes(dir);
    test_cply_known_bytes(dir);
    test_bad_spz(dir);
    test_spz_v2(dir);
    test_bad_splat_and_cply(dir);
    test_bad_writes(dir);
    test_formats(dir);
    test_codebook_and_kmeans();
    test_sog_round_trip(dir);
    test_sog_known_values(dir);
    test_sog_deflated(dir);
    test_bad_sog(dir);
    test_bad_sog_writes(dir);
    if (!check_failures) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", dir);
    }
    return check_report("test_splat_formats");
}
