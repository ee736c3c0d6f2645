/* test_ply.c - 3DGS PLY round trips, the reference's file, the header variants
 * the reader accepts, and the malformed files it must refuse. */
#include "tgs/gaussians.h"
#include "tgs/ply.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "check.h"

static uint32_t rng_state = 987654321u;
static uint32_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}
static float rndf(void) { return ((float)(rnd() & 0xffffff) / 16777216.0f - 0.5f) * 8.0f; }

static tgs_gaussians *random_model(size_t n, int degree) {
    tgs_gaussians *g = NULL;
    CHECK_OK(tgs_gaussians_create(n, degree, 0, &g));
    if (!g)
        exit(1);
    g->n = n;
    for (size_t i = 0; i < n * (size_t)g->floats_per_gaussian; i++)
        g->params[i] = rndf();
    return g;
}

static int same_model(const tgs_gaussians *a, const tgs_gaussians *b) {
    if (a->n != b->n || a->sh_degree != b->sh_degree)
        return 0;
    for (int k = 0; k < TGS_G_COUNT; k++)
        if (memcmp(a->params + a->capacity * a->offset[k], b->params + b->capacity * b->offset[k],
                   a->n * (size_t)a->width[k] * sizeof(float)) != 0)
            return 0;
    return 1;
}

static void expect_error(const char *path, tgs_status want, const char *needle, const char *what) {
    tgs_gaussians *g = (tgs_gaussians *)1;
    tgs_status st = tgs_ply_read(path, TGS_OPACITY_LOGIT, &g);
    CHECK(st != TGS_OK && g == NULL, "%s: accepted", what);
    CHECK(want == TGS_OK || st == want, "%s: status %d (expected %d): %s", what, (int)st, (int)want,
          tgs_error_message());
    CHECK(st == TGS_OK || strstr(tgs_error_message(), path), "%s: message lacks the path: %s", what,
          tgs_error_message());
    CHECK(!needle || strstr(tgs_error_message(), needle), "%s: message lacks '%s': %s", what, needle,
          tgs_error_message());
    if (st == TGS_OK)
        tgs_gaussians_destroy(g);
}

static void test_roundtrip(const char *dir) {
    char path[512], tmp[600];
    for (int degree = 0; degree <= 3; degree++) {
        tgs_gaussians *g = random_model(1000 + (size_t)degree, degree), *h = NULL;
        snprintf(path, sizeof path, "%s/rt%d.ply", dir, degree);
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        CHECK_OK(tgs_ply_write(path, g));
        CHECK(!check_file_exists(tmp), "%s left behind", tmp);
        CHECK_OK(tgs_ply_read(path, TGS_OPACITY_LOGIT, &h));
        CHECK(h && same_model(g, h), "degree %d round trip is not bit-exact", degree);
        CHECK(h == NULL || h->capacity >= h->n, "capacity");
        tgs_gaussians_destroy(h);

        /* The header is byte for byte the reference's, and f_rest is channel-major. */
        unsigned char *b = NULL;
        long n = check_read_all(path, &b);
        int K = tgs_sh_rest_count(degree);
        char want[4096];
        int w = snprintf(want, sizeof want,
                         "ply\nformat binary_little_endian 1.0\nelement vertex %zu\nproperty float x\n"
                         "property float y\nproperty float z\nproperty float nx\nproperty float ny\n"
                         "property float nz\nproperty float f_dc_0\nproperty float f_dc_1\nproperty float f_dc_2\n",
                         g->n);
        for (int i = 0; i < 3 * K; i++)
            w += snprintf(want + w, sizeof want - (size_t)w, "property float f_rest_%d\n", i);
        w += snprintf(want + w, sizeof want - (size_t)w,
                      "property float opacity\nproperty float scale_0\nproperty float scale_1\n"
                      "property float scale_2\nproperty float rot_0\nproperty float rot_1\nproperty float rot_2\n"
                      "property float rot_3\nend_header\n");
        size_t rec = (size_t)(17 + 3 * K) * 4;
        CHECK(n == (long)(w + g->n * rec), "file size %ld", n);
        CHECK(n > w && memcmp(b, want, (size_t)w) == 0, "degree %d header differs", degree);
        if (degree == 3 && n > w) {
            tgs_param_view v = tgs_gaussians_view(g, g->params);
            const unsigned char *r = b + w + 5 * rec; /* Gaussian 5 */
            float f;
            memcpy(&f, r + 4 * (9 + 1 * K + 2), 4); /* f_rest of green (channel 1), coefficient 2 */
            CHECK(f == v.sh_rest[(5 * (size_t)K + 2) * 3 + 1], "f_rest is not channel-major");
            memcpy(&f, r + 4 * 3, 4);
            CHECK(f == 0.0f, "normals are not 0");
            memcpy(&f, r + 4 * (9 + 3 * K), 4);
            CHECK(f == v.opacity_raw[5], "opacity position");
        }
        free(b);
        tgs_gaussians_destroy(g);
    }
    /* Zero Gaussians. */
    tgs_gaussians *g = random_model(1, 3), *h = NULL;
    g->n = 0;
    snprintf(path, sizeof path, "%s/empty.ply", dir);
    CHECK_OK(tgs_ply_write(path, g));
    CHECK_OK(tgs_ply_read(path, TGS_OPACITY_LOGIT, &h));
    CHECK(h && h->n == 0 && h->sh_degree == 3, "empty model");
    tgs_gaussians_destroy(h);
    tgs_gaussians_destroy(g);
}

static void test_reference(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/ref/fox4/point_cloud_30000.ply", TGS_DATA_DIR);
    tgs_gaussians *g = NULL, *gl = NULL, *h = NULL;
    double t0 = tgs_now();
    CHECK_OK(tgs_ply_read(path, TGS_OPACITY_LINEAR, &gl));
    double t1 = tgs_now();
    CHECK_OK(tgs_ply_read(path, TGS_OPACITY_LOGIT, &g));
    if (!g || !gl)
        return;
    CHECK(g->n == 30147 && g->sh_degree == 3, "fox: %zu Gaussians, degree %d", g->n, g->sh_degree);
    tgs_param_view v = tgs_gaussians_view(g, g->params), vl = tgs_gaussians_view(gl, gl->params);
    int bad = 0, in_range = 0;
    for (size_t i = 0; i < g->n; i++) {
        float p = v.opacity_raw[i], o = vl.opacity_raw[i];
        in_range += p >= 0.0f && p <= 1.0f;
        double pc = fmin(fmax(p, 1e-6), 1 - 1e-6);
        bad += !isfinite(o) || fabs(1.0 / (1.0 + exp(-(double)o)) - pc) > 1e-6;
    }
    CHECK(bad == 0, "%d linear opacities not converted to finite logits", bad);
    CHECK(in_range == (int)g->n, "reference opacities are linear: %d of %zu in [0,1]", in_range, g->n);
    int qbad = 0;
    for (size_t i = 0; i < g->n; i++) {
        double q = 0;
        for (int k = 0; k < 4; k++)
            q += (double)v.rot_raw[i * 4 + k] * v.rot_raw[i * 4 + k];
        qbad += !(q > 1e-12);
    }
    CHECK(qbad == 0, "%d zero quaternions", qbad);
    /* Rewriting it reproduces the file byte for byte. */
    snprintf(path, sizeof path, "%s/fox_again.ply", dir);
    double t2 = tgs_now();
    CHECK_OK(tgs_ply_write(path, g));
    double t3 = tgs_now();
    CHECK_OK(tgs_ply_read(path, TGS_OPACITY_LOGIT, &h));
    CHECK(h && same_model(g, h), "fox round trip");
    unsigned char *a = NULL, *b = NULL;
    char ref[512];
    snprintf(ref, sizeof ref, "%s/ref/fox4/point_cloud_30000.ply", TGS_DATA_DIR);
    long na = check_read_all(ref, &a), nb = check_read_all(path, &b);
    CHECK(na == nb && na > 0 && memcmp(a, b, (size_t)na) == 0, "rewritten reference differs (%ld vs %ld bytes)", na,
          nb);
    printf("fox reference PLY: read %.1f ms, write %.1f ms (30147 Gaussians, %ld bytes)\n", 1e3 * (t1 - t0),
           1e3 * (t3 - t2), na);
    free(a);
    free(b);
    tgs_gaussians_destroy(h);
    tgs_gaussians_destroy(g);
    tgs_gaussians_destroy(gl);
}

/* A PLY assembled by hand: header text + binary body. */
static void write_ply(const char *path, const char *header, const void *body, size_t nbody) {
    FILE *f = fopen(path, "wb");
    fputs(header, f);
    if (nbody)
        fwrite(body, 1, nbody, f);
    fclose(f);
}

static const char *const base_props[] = {"x",       "y",       "z",       "f_dc_0", "f_dc_1", "f_dc_2",
                                         "opacity", "scale_0", "scale_1", "scale_2", "rot_0",  "rot_1",
                                         "rot_2",   "rot_3"};
enum { NBASE = 14 };

/* Header of a degree-0 vertex element of n vertices, leaving out property `skip`. */
static void degree0_header(char *buf, size_t cap, size_t n, const char *skip) {
    int w = snprintf(buf, cap, "ply\nformat binary_little_endian 1.0\nelement vertex %zu\n", n);
    for (int i = 0; i < NBASE; i++)
        if (!skip || strcmp(skip, base_props[i]))
            w += snprintf(buf + w, cap - (size_t)w, "property float %s\n", base_props[i]);
    snprintf(buf + w, cap - (size_t)w, "end_header\n");
}

static void test_malformed(const char *dir) {
    char path[512], hdr[4096];
    float body[NBASE * 4];
    for (int i = 0; i < NBASE * 4; i++)
        body[i] = 0.25f * (float)i;
    snprintf(path, sizeof path, "%s/bad.ply", dir);

    /* Baseline: the hand-made file is accepted. */
    degree0_header(hdr, sizeof hdr, 4, NULL);
    write_ply(path, hdr, body, sizeof body);
    tgs_gaussians *g = NULL;
    CHECK_OK(tgs_ply_read(path, TGS_OPACITY_LOGIT, &g));
    CHECK(g && g->n == 4 && g->sh_degree == 0, "hand-made degree 0");
    tgs_gaussians_destroy(g);

    /* Missing properties are named. */
    degree0_header(hdr, sizeof hdr, 4, "opacity");
    write_ply(path, hdr, body, 4 * (NBASE - 1) * 4);
    expect_error(path, TGS_ERR_FORMAT, "opacity", "missing opacity");
    degree0_header(hdr, sizeof hdr, 4, "rot_2");
    write_ply(path, hdr, body, 4 * (NBASE - 1) * 4);
    expect_error(path, TGS_ERR_FORMAT, "rot_2", "missing rot_2");

    /* Wrong vertex counts, larger and smaller than the data. */
    degree0_header(hdr, sizeof hdr, 5, NULL);
    write_ply(path, hdr, body, sizeof body);
    expect_error(path, TGS_ERR_FORMAT, "vertex count", "count too large");
    degree0_header(hdr, sizeof hdr, 3, NULL);
    write_ply(path, hdr, body, sizeof body);
    expect_error(path, TGS_ERR_FORMAT, "vertex count", "count too small");
    degree0_header(hdr, sizeof hdr, (size_t)1 << 62, NULL);
    write_ply(path, hdr, body, sizeof body);
    expect_error(path, TGS_ERR_FORMAT, NULL, "huge count");
    write_ply(path,
              "ply\nformat binary_little_endian 1.0\nelement vertex 99999999999999999999999\nproperty float x\n"
              "end_header\n",
              NULL, 0);
    expect_error(path, TGS_ERR_FORMAT, NULL, "count overflowing u64");

    /* NaN and inf values. */
    degree0_header(hdr, sizeof hdr, 4, NULL);
    float nb[NBASE * 4];
    memcpy(nb, body, sizeof nb);
    nb[NBASE * 2 + 8] = NAN; /* vertex 2, scale_1 */
    write_ply(path, hdr, nb, sizeof nb);
    expect_error(path, TGS_ERR_FORMAT, "scale_1 is NaN", "NaN");
    nb[NBASE * 2 + 8] = 1.0f;
    nb[NBASE * 3] = INFINITY;
    write_ply(path, hdr, nb, sizeof nb);
    expect_error(path, TGS_ERR_FORMAT, "infinite", "inf");

    /* List properties, before or after the vertex element. */
    char lh[4096];
    snprintf(lh, sizeof lh, "%s", hdr);
    char *eh = strstr(lh, "end_header");
    snprintf(eh, sizeof lh - (size_t)(eh - lh), "element face 0\nproperty list uchar int vertex_indices\nend_header\n");
    write_ply(path, lh, body, sizeof body);
    expect_error(path, TGS_ERR_UNSUPPORTED, "list", "list property");

    /* Garbage headers. */
    write_ply(path, "hello world\nthis is not a ply\n", NULL, 0);
    expect_error(path, TGS_ERR_FORMAT, "not a PLY", "ascii garbage");
    write_ply(path, "ply\nformat binary_little_endian 1.0\nelement vertex 1\nproperty float x\nwhat is this\n", NULL,
              0);
    expect_error(path, TGS_ERR_FORMAT, "unexpected keyword", "bad keyword");
    write_ply(path, "ply\nformat binary_little_endian 1.0\nelement vertex 1\nproperty float x\n", NULL, 0);
    expect_error(path, TGS_ERR_FORMAT, "end_header", "no end_header");
    write_ply(path, "ply\nformat binary_big_endian 1.0\nelement vertex 0\nend_header\n", NULL, 0);
    expect_error(path, TGS_ERR_UNSUPPORTED, "binary_big_endian", "big endian");
    write_ply(path, "ply\nformat binary_little_endian 1.0\nelement vertex 1\nproperty float128 x\nend_header\n", NULL,
              0);
    expect_error(path, TGS_ERR_FORMAT, "float128", "bad type");
    write_ply(path, "ply\nformat binary_little_endian 1.0\nelement vertex 1\nproperty uchar x\nend_header\n", NULL, 0);
    expect_error(path, TGS_ERR_FORMAT, NULL, "uchar position");
    write_ply(path, "ply\nformat binary_little_endian 1.0\nelement face 3\nproperty float x\nend_header\n", NULL, 0);
    expect_error(path, TGS_ERR_FORMAT, "no vertex element", "no vertex");
    write_ply(path, "", NULL, 0);
    expect_error(path, TGS_ERR_FORMAT, "not a PLY", "empty file");
    unsigned char junk[2048];
    for (int t = 0; t < 20; t++) {
        for (size_t i = 0; i < sizeof junk; i++)
            junk[i] = (unsigned char)rnd();
        if (t % 2)
            memcpy(junk, "ply\n", 4);
        check_write_bytes(path, junk, 1 + rnd() % sizeof junk);
        expect_error(path, TGS_OK, NULL, "random bytes");
    }
    snprintf(path, sizeof path, "%s/missing.ply", dir);
    expect_error(path, TGS_ERR_IO, "missing.ply", "missing file");

    /* An f_rest count that is no SH degree, and a gap in f_rest. */
    snprintf(path, sizeof path, "%s/rest.ply", dir);
    degree0_header(hdr, sizeof hdr, 0, NULL);
    eh = strstr(hdr, "end_header");
    snprintf(eh, sizeof hdr - (size_t)(eh - hdr), "property float f_rest_0\nproperty float f_rest_1\nend_header\n");
    write_ply(path, hdr, NULL, 0);
    expect_error(path, TGS_ERR_FORMAT, "f_rest", "2 f_rest");
    degree0_header(hdr, sizeof hdr, 0, NULL);
    eh = strstr(hdr, "end_header");
    int w = (int)(eh - hdr);
    for (int i = 0; i < 10; i++)
        if (i != 4)
            w += snprintf(hdr + w, sizeof hdr - (size_t)w, "property float f_rest_%d\n", i);
    snprintf(hdr + w, sizeof hdr - (size_t)w, "end_header\n");
    write_ply(path, hdr, NULL, 0);
    expect_error(path, TGS_ERR_FORMAT, "f_rest_4", "f_rest gap");
}

static void test_truncated(const char *dir) {
    char src[512], path[512];
    tgs_gaussians *g = random_model(3, 1);
    snprintf(src, sizeof src, "%s/small.ply", dir);
    CHECK_OK(tgs_ply_write(src, g));
    tgs_gaussians_destroy(g);
    unsigned char *b = NULL;
    long n = check_read_all(src, &b);
    snprintf(path, sizeof path, "%s/trunc.ply", dir);
    int accepted = 0, no_path = 0;
    for (long k = 0; k < n; k++) {
        check_write_bytes(path, b, (size_t)k);
        tgs_gaussians *h = NULL;
        if (tgs_ply_read(path, TGS_OPACITY_LOGIT, &h) == TGS_OK) {
            accepted++;
            tgs_gaussians_destroy(h);
        } else {
            no_path += strstr(tgs_error_message(), path) == NULL;
        }
    }
    CHECK(accepted == 0, "%d of %ld truncations accepted", accepted, n);
    CHECK(no_path == 0, "%d messages lack the path", no_path);
    /* Trailing bytes after the declared data. */
    FILE *f = fopen(path, "wb");
    fwrite(b, 1, (size_t)n, f);
    fputs("xyz", f);
    fclose(f);
    expect_error(path, TGS_ERR_FORMAT, "wrong vertex count", "trailing bytes");
    free(b);
}

static void put_d(unsigned char *p, double v) { memcpy(p, &v, 8); }

static void test_variants(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/variant.ply", dir);
    /* Doubles, shuffled order, extra properties of several types, and other
     * elements before and after the vertex element. */
    const char *hdr = "ply\r\nformat binary_little_endian 1.0\r\ncomment made by hand\r\n"
                      "element camera 2\r\nproperty uchar a\r\nproperty int b\r\n"
                      "element vertex 2\r\n"
                      "property double rot_3\r\nproperty float extra\r\nproperty double rot_2\r\n"
                      "property double rot_1\r\nproperty double rot_0\r\nproperty double scale_2\r\n"
                      "property double scale_1\r\nproperty double scale_0\r\nproperty ushort tag\r\n"
                      "property double opacity\r\nproperty double f_dc_2\r\nproperty double f_dc_1\r\n"
                      "property double f_dc_0\r\nproperty double z\r\nproperty double y\r\nproperty double x\r\n"
                      "element trailer 1\r\nproperty short s\r\n"
                      "end_header\r\n";
    size_t rec = 14 * 8 + 4 + 2;
    unsigned char body[2 * 5 + 2 * (14 * 8 + 6) + 2];
    memset(body, 0xAB, sizeof body);
    unsigned char *p = body + 10;
    for (int i = 0; i < 2; i++, p += rec) {
        /* rot_3 .. rot_0 */
        size_t o = 0;
        put_d(p + o, 4 + 10 * i), o += 8;
        float extra = NAN; /* ignored properties are not checked */
        memcpy(p + o, &extra, 4), o += 4;
        put_d(p + o, 3 + 10 * i), o += 8;
        put_d(p + o, 2 + 10 * i), o += 8;
        put_d(p + o, 1 + 10 * i), o += 8;
        for (int k = 2; k >= 0; k--)
            put_d(p + o, -1.5 - k - 10 * i), o += 8;
        o += 2; /* tag */
        put_d(p + o, i ? 0.999999999 : 0.25), o += 8;
        for (int k = 2; k >= 0; k--)
            put_d(p + o, 0.125 * k + i), o += 8;
        for (int k = 2; k >= 0; k--)
            put_d(p + o, 100.0 * k + i), o += 8;
    }
    write_ply(path, hdr, body, sizeof body);
    tgs_gaussians *g = NULL;
    CHECK_OK(tgs_ply_read(path, TGS_OPACITY_LINEAR, &g));
    if (g) {
        tgs_param_view v = tgs_gaussians_view(g, g->params);
        CHECK(g->n == 2 && g->sh_degree == 0, "variant: %zu, degree %d", g->n, g->sh_degree);
        CHECK(v.means[3] == 1 && v.means[4] == 101 && v.means[5] == 201, "variant means");
        CHECK(v.sh_dc[4] == 1.125f && v.rot_raw[4] == 11 && v.rot_raw[7] == 14, "variant dc/rot");
        CHECK(v.scale_raw[0] == -1.5f && v.scale_raw[5] == -13.5f, "variant scale");
        CHECK(fabsf(v.opacity_raw[0] - logf(0.25f / 0.75f)) < 1e-6f, "linear opacity 0.25 -> %g", v.opacity_raw[0]);
        CHECK(fabs(v.opacity_raw[1] - log((1 - 1e-6) / 1e-6)) < 1e-4, "linear opacity clamped -> %g",
              v.opacity_raw[1]);
    }
    tgs_gaussians_destroy(g);
    /* Trailer element too short. */
    write_ply(path, hdr, body, sizeof body - 1);
    expect_error(path, TGS_ERR_FORMAT, NULL, "short trailer");

    /* ascii, with an element before the vertex element. */
    const char *ascii = "ply\nformat ascii 1.0\nelement junk 2\nproperty uchar q\n"
                        "element vertex 2\nproperty float x\nproperty float y\nproperty float z\n"
                        "property float nx\nproperty float f_dc_0\nproperty float f_dc_1\nproperty float f_dc_2\n"
                        "property float opacity\nproperty float scale_0\nproperty float scale_1\n"
                        "property float scale_2\nproperty float rot_0\nproperty float rot_1\nproperty float rot_2\n"
                        "property float rot_3\nend_header\n7\n8\n"
                        "1 2 3 0 0.5 0.25 0.125 -2 -3 -4 -5 1 0 0 0\n"
                        "-1e3 2.5e-2 3 0 0 0 0 0 0 0 0 1 0 0 0\n";
    write_ply(path, ascii, NULL, 0);
    g = NULL;
    CHECK_OK(tgs_ply_read(path, TGS_OPACITY_LOGIT, &g));
    if (g) {
        tgs_param_view v = tgs_gaussians_view(g, g->params);
        CHECK(g->n == 2 && v.means[2] == 3 && v.sh_dc[1] == 0.25f && v.opacity_raw[0] == -2 &&
                  v.scale_raw[2] == -5 && v.rot_raw[0] == 1 && v.means[3] == -1000 && v.means[4] == 0.025f,
              "ascii values");
    }
    tgs_gaussians_destroy(g);
    char bad[2048];
    snprintf(bad, sizeof bad, "%s", ascii);
    bad[strlen(bad) - 4] = 'z'; /* "0 z 0\n" */
    write_ply(path, bad, NULL, 0);
    expect_error(path, TGS_ERR_FORMAT, "not a number", "ascii bad value");
    snprintf(bad, sizeof bad, "%s", ascii);
    bad[strlen(bad) - 10] = 0; /* truncated */
    write_ply(path, bad, NULL, 0);
    expect_error(path, TGS_ERR_FORMAT, NULL, "ascii truncated");
    snprintf(bad, sizeof bad, "%s5\n", ascii);
    write_ply(path, bad, NULL, 0);
    expect_error(path, TGS_ERR_FORMAT, "wrong vertex count", "ascii extra values");
    snprintf(bad, sizeof bad, "%s", ascii);
    char *nan = strstr(bad, "-1e3");
    memcpy(nan, "nan ", 4);
    write_ply(path, bad, NULL, 0);
    expect_error(path, TGS_ERR_FORMAT, "NaN", "ascii NaN");
}

static void test_write_failures(const char *dir) {
    char path[512], tmp[600];
    tgs_gaussians *g = random_model(20000, 3);
    snprintf(path, sizeof path, "%s/no/such/dir/p.ply", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    tgs_status st = tgs_ply_write(path, g);
    CHECK(st == TGS_ERR_IO && strstr(tgs_error_message(), "p.ply.tmp"), "missing dir: %d %s", (int)st,
          tgs_error_message());
    CHECK(!check_file_exists(tmp), "tmp left in a missing dir?");
    float xyz[3] = {0}, rgb[3] = {0};
    CHECK(tgs_ply_write_points(path, xyz, rgb, 1) == TGS_ERR_IO, "points to missing dir");

    /* Disk full (RLIMIT_FSIZE): error with the path, no .tmp, previous file intact. */
    snprintf(path, sizeof path, "%s/full.ply", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    check_write_bytes(path, "previous", 8);
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 1 << 20; /* the model needs ~5 MB */
    signal(SIGXFSZ, SIG_IGN);
    if (setrlimit(RLIMIT_FSIZE, &lim) == 0) {
        st = tgs_ply_write(path, g);
        setrlimit(RLIMIT_FSIZE, &old);
        CHECK(st == TGS_ERR_IO && strstr(tgs_error_message(), tmp), "disk full: %d %s", (int)st, tgs_error_message());
        printf("disk full (RLIMIT_FSIZE) reported as: %s\n", tgs_error_message());
        CHECK(!check_file_exists(tmp), "disk full left %s", tmp);
        unsigned char *b = NULL;
        long n = check_read_all(path, &b);
        CHECK(n == 8 && memcmp(b, "previous", 8) == 0, "previous file damaged");
        free(b);
    }
    tgs_gaussians_destroy(g);
}

static void test_points(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/input.ply", dir);
    float xyz[2 * 3] = {1, 2, 3, -4.5f, 5.25f, 1e6f};
    float rgb[2 * 3] = {0, 1, 128.0f / 255.0f, 17.0f / 255.0f, -0.5f, 2.0f};
    CHECK_OK(tgs_ply_write_points(path, xyz, rgb, 2));
    unsigned char *b = NULL;
    long n = check_read_all(path, &b);
    const char *want = "ply\nformat binary_little_endian 1.0\nelement vertex 2\nproperty float x\nproperty float y\n"
                       "property float z\nproperty float nx\nproperty float ny\nproperty float nz\n"
                       "property uchar red\nproperty uchar green\nproperty uchar blue\nend_header\n";
    size_t hl = strlen(want);
    CHECK(n == (long)(hl + 2 * 27), "input.ply size %ld", n);
    if (n == (long)(hl + 2 * 27)) {
        CHECK(memcmp(b, want, hl) == 0, "input.ply header");
        const unsigned char *r = b + hl;
        float f;
        memcpy(&f, r + 27 + 4, 4);
        CHECK(f == 5.25f, "input.ply y");
        memcpy(&f, r + 12, 4);
        CHECK(f == 0.0f, "input.ply normal");
        CHECK(r[24] == 0 && r[25] == 255 && r[26] == 128 && r[27 + 24] == 17 && r[27 + 25] == 0 && r[27 + 26] == 255,
              "input.ply colours %d %d %d %d %d %d", r[24], r[25], r[26], r[27 + 24], r[27 + 25], r[27 + 26]);
    }
    free(b);
    /* It is not a 3DGS PLY: the reader names what is missing. */
    expect_error(path, TGS_ERR_FORMAT, "f_dc_0", "input.ply as a model");
}

int main(void) {
    char dir[256];
    check_tmpdir(dir, sizeof dir, "ply");
    test_roundtrip(dir);
    test_malformed(dir);
    test_truncated(dir);
    test_variants(dir);
    test_write_failures(dir);
    test_points(dir);
    check_require_path(TGS_DATA_DIR "/ref/fox4/point_cloud_30000.ply");
    test_reference(dir);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_report("test_ply");
}
