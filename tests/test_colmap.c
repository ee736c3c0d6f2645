/* test_colmap.c - COLMAP reader: the real scenes, a synthetic model written as .bin
 * and as .txt (both must parse to the same values), and malformed files (every
 * truncation, huge counts, NaN/inf, unsupported and unknown models, dangling
 * references, missing files, garbage text lines). */
#include "check.h"
#include "tgs/io.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* ---- a synthetic model and its writers ---------------------------------------------- */

typedef struct {
    tgs_colmap_model m;
    const int *n2d;   /* [n_images] 2D points per image, or NULL for none */
    const int *track; /* [n_points] track length per point, or NULL for none */
} synth;

typedef struct {
    unsigned char *d;
    size_t n, cap;
} buf;

static void put(buf *b, const void *p, size_t n) {
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->d = realloc(b->d, b->cap);
        if (!b->d) {
            perror("realloc");
            exit(1);
        }
    }
    memcpy(b->d + b->n, p, n);
    b->n += n;
}
static void put_le(buf *b, uint64_t v, int bytes) {
    unsigned char t[8];
    for (int i = 0; i < bytes; i++)
        t[i] = (unsigned char)(v >> (8 * i));
    put(b, t, (size_t)bytes);
}
static void put_u64(buf *b, uint64_t v) { put_le(b, v, 8); }
static void put_i32(buf *b, int32_t v) { put_le(b, (uint32_t)v, 4); }
static void put_f64(buf *b, double v) {
    uint64_t u;
    memcpy(&u, &v, 8);
    put_le(b, u, 8);
}
static void set_u64(buf *b, size_t off, uint64_t v) {
    for (int i = 0; i < 8; i++)
        b->d[off + i] = (unsigned char)(v >> (8 * i));
}
static void set_i32(buf *b, size_t off, int32_t v) {
    for (int i = 0; i < 4; i++)
        b->d[off + i] = (unsigned char)((uint32_t)v >> (8 * i));
}
static void set_f64(buf *b, size_t off, double v) {
    uint64_t u;
    memcpy(&u, &v, 8);
    set_u64(b, off, u);
}
static uint64_t get_u64(const buf *b, size_t off) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | b->d[off + i];
    return v;
}

/* Byte offsets of interesting fields in the binary files. */
typedef struct {
    size_t cam_model[8], cam_width[8], cam_height[8], cam_params[8];
    size_t img_qvec[8], img_tvec[8], img_camid[8], img_name[8], img_n2d[8];
    size_t pt_xyz[8], pt_error[8], pt_track[8];
} offsets;

static void build_bin(const synth *s, buf out[3], offsets *o) {
    const tgs_colmap_model *m = &s->m;
    memset(out, 0, 3 * sizeof(buf));
    put_u64(&out[0], m->n_cameras);
    for (size_t i = 0; i < m->n_cameras; i++) {
        const tgs_colmap_camera *c = &m->cameras[i];
        put_i32(&out[0], c->id);
        if (o && i < 8) o->cam_model[i] = out[0].n;
        put_i32(&out[0], c->model);
        if (o && i < 8) o->cam_width[i] = out[0].n;
        put_u64(&out[0], c->width);
        if (o && i < 8) o->cam_height[i] = out[0].n;
        put_u64(&out[0], c->height);
        if (o && i < 8) o->cam_params[i] = out[0].n;
        for (int k = 0; k < c->n_params; k++)
            put_f64(&out[0], c->params[k]);
    }
    put_u64(&out[1], m->n_images);
    for (size_t i = 0; i < m->n_images; i++) {
        const tgs_colmap_image *im = &m->images[i];
        put_i32(&out[1], im->id);
        if (o && i < 8) o->img_qvec[i] = out[1].n;
        for (int k = 0; k < 4; k++)
            put_f64(&out[1], im->qvec[k]);
        if (o && i < 8) o->img_tvec[i] = out[1].n;
        for (int k = 0; k < 3; k++)
            put_f64(&out[1], im->tvec[k]);
        if (o && i < 8) o->img_camid[i] = out[1].n;
        put_i32(&out[1], im->camera_id);
        if (o && i < 8) o->img_name[i] = out[1].n;
        put(&out[1], im->name, strlen(im->name) + 1);
        if (o && i < 8) o->img_n2d[i] = out[1].n;
        int n2d = s->n2d ? s->n2d[i] : 0;
        put_u64(&out[1], (uint64_t)n2d);
        for (int k = 0; k < n2d; k++) {
            put_f64(&out[1], 10.5 * k + 0.25);
            put_f64(&out[1], 20.125 * k);
            put_u64(&out[1], k % 2 ? (uint64_t)-1 : (uint64_t)k);
        }
    }
    put_u64(&out[2], m->n_points);
    for (size_t i = 0; i < m->n_points; i++) {
        put_u64(&out[2], 1000 + i);
        if (o && i < 8) o->pt_xyz[i] = out[2].n;
        for (int k = 0; k < 3; k++)
            put_f64(&out[2], m->xyz[3 * i + k]);
        put(&out[2], m->rgb + 3 * i, 3);
        if (o && i < 8) o->pt_error[i] = out[2].n;
        put_f64(&out[2], 0.5 + (double)i);
        if (o && i < 8) o->pt_track[i] = out[2].n;
        int tl = s->track ? s->track[i] : 0;
        put_u64(&out[2], (uint64_t)tl);
        for (int k = 0; k < tl; k++) {
            put_i32(&out[2], m->images[k % m->n_images].id);
            put_i32(&out[2], k);
        }
    }
}

static const char *k_bin_names[3] = {"cameras.bin", "images.bin", "points3D.bin"};
static const char *k_txt_names[3] = {"cameras.txt", "images.txt", "points3D.txt"};

static void write_file(const char *dir, const char *name, const void *data, size_t n) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(data, 1, n, f) != n) || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static void remove_file(const char *dir, const char *name) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    remove(path);
}

static void write_txt(const synth *s, const char *dir) {
    const tgs_colmap_model *m = &s->m;
    char path[4200];
    snprintf(path, sizeof path, "%s/cameras.txt", dir);
    FILE *f = fopen(path, "w");
    if (!f) { perror(path); exit(1); }
    fprintf(f, "# Camera list with one line of data per camera:\n#   CAMERA_ID, MODEL, WIDTH, HEIGHT, PARAMS[]\n"
               "# Number of cameras: %zu\n", m->n_cameras);
    for (size_t i = 0; i < m->n_cameras; i++) {
        const tgs_colmap_camera *c = &m->cameras[i];
        fprintf(f, "%d %s %llu %llu", c->id, c->model_name, (unsigned long long)c->width,
                (unsigned long long)c->height);
        for (int k = 0; k < c->n_params; k++)
            fprintf(f, " %.17g", c->params[k]);
        fputc('\n', f);
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/images.txt", dir);
    f = fopen(path, "w");
    if (!f) { perror(path); exit(1); }
    fprintf(f, "# Image list with two lines of data per image:\n"
               "#   IMAGE_ID, QW, QX, QY, QZ, TX, TY, TZ, CAMERA_ID, NAME\n#   POINTS2D[] as (X, Y, POINT3D_ID)\n");
    for (size_t i = 0; i < m->n_images; i++) {
        const tgs_colmap_image *im = &m->images[i];
        fprintf(f, "%d", im->id);
        for (int k = 0; k < 4; k++)
            fprintf(f, " %.17g", im->qvec[k]);
        for (int k = 0; k < 3; k++)
            fprintf(f, " %.17g", im->tvec[k]);
        fprintf(f, " %d %s\n", im->camera_id, im->name);
        int n2d = s->n2d ? s->n2d[i] : 0;
        for (int k = 0; k < n2d; k++)
            fprintf(f, "%s%.17g %.17g %lld", k ? " " : "", 10.5 * k + 0.25, 20.125 * k, k % 2 ? -1LL : (long long)k);
        fputc('\n', f);
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/points3D.txt", dir);
    f = fopen(path, "w");
    if (!f) { perror(path); exit(1); }
    fprintf(f, "# 3D point list with one line of data per point:\n"
               "#   POINT3D_ID, X, Y, Z, R, G, B, ERROR, TRACK[] as (IMAGE_ID, POINT2D_IDX)\n");
    for (size_t i = 0; i < m->n_points; i++) {
        fprintf(f, "%zu %.17g %.17g %.17g %d %d %d %.17g", 1000 + i, m->xyz[3 * i], m->xyz[3 * i + 1],
                m->xyz[3 * i + 2], m->rgb[3 * i], m->rgb[3 * i + 1], m->rgb[3 * i + 2], 0.5 + (double)i);
        int tl = s->track ? s->track[i] : 0;
        for (int k = 0; k < tl; k++)
            fprintf(f, " %d %d", m->images[k % m->n_images].id, k);
        fputc('\n', f);
    }
    fclose(f);
}

/* The small model: 2 cameras, 3 images, 5 points, values that need all 17 digits. */
static tgs_colmap_camera g_cams[2];
static tgs_colmap_image g_imgs[3];
static double g_xyz[15];
static unsigned char g_rgb[15];
static const int g_n2d[3] = {0, 2, 3};
static const int g_track[5] = {1, 0, 3, 2, 4};

static synth make_small(void) {
    memset(g_cams, 0, sizeof g_cams);
    memset(g_imgs, 0, sizeof g_imgs);
    g_cams[0] = (tgs_colmap_camera){.id = 1, .model = 0, .model_name = "SIMPLE_PINHOLE", .width = 640,
                                    .height = 480, .n_params = 3, .params = {500.25, 320.0, 240.0}};
    g_cams[1] = (tgs_colmap_camera){.id = 7, .model = 1, .model_name = "PINHOLE", .width = 1061, .height = 1893,
                                    .n_params = 4, .params = {1375.5318, 1374.7711, 530.5, 946.5}};
    const char *names[3] = {"a.png", "sub dir/b 2.jpg", "c.JPG"};
    for (int i = 0; i < 3; i++) {
        tgs_colmap_image *im = &g_imgs[i];
        im->id = 10 + 3 * i;
        im->camera_id = i == 0 ? 1 : 7;
        double q[4] = {0.9 - 0.1 * i, 0.1 / 3.0, -0.2 * i, 1e-9 * (i + 1)};
        memcpy(im->qvec, q, sizeof q);
        im->tvec[0] = -1.0 / 7.0 * (i + 1);
        im->tvec[1] = 2.5e-7;
        im->tvec[2] = 3.0 + i;
        snprintf(im->name, sizeof im->name, "%s", names[i]);
    }
    for (int i = 0; i < 15; i++) {
        g_xyz[i] = (i - 7) / 3.0 + 1e-12 * i;
        g_rgb[i] = (unsigned char)(i * 17);
    }
    synth s = {.m = {.n_cameras = 2, .n_images = 3, .n_points = 5, .cameras = g_cams, .images = g_imgs,
                     .xyz = g_xyz, .rgb = g_rgb},
               .n2d = g_n2d, .track = g_track};
    return s;
}

static void check_same(const tgs_colmap_model *a, const tgs_colmap_model *b, const char *what) {
    CHECK(a->n_cameras == b->n_cameras && a->n_images == b->n_images && a->n_points == b->n_points,
          "%s: counts %zu/%zu/%zu vs %zu/%zu/%zu", what, a->n_cameras, a->n_images, a->n_points, b->n_cameras,
          b->n_images, b->n_points);
    if (a->n_cameras != b->n_cameras || a->n_images != b->n_images || a->n_points != b->n_points)
        return;
    for (size_t i = 0; i < a->n_cameras; i++) {
        const tgs_colmap_camera *x = &a->cameras[i], *y = &b->cameras[i];
        CHECK(x->id == y->id && x->model == y->model && strcmp(x->model_name, y->model_name) == 0 &&
                  x->width == y->width && x->height == y->height && x->n_params == y->n_params,
              "%s: camera %zu differs", what, i);
        for (int k = 0; k < x->n_params && k < 16; k++)
            CHECK(x->params[k] == y->params[k], "%s: camera %zu param %d: %.17g vs %.17g", what, i, k,
                  x->params[k], y->params[k]);
    }
    for (size_t i = 0; i < a->n_images; i++) {
        const tgs_colmap_image *x = &a->images[i], *y = &b->images[i];
        CHECK(x->id == y->id && x->camera_id == y->camera_id && strcmp(x->name, y->name) == 0,
              "%s: image %zu differs (%d %d '%s' vs %d %d '%s')", what, i, x->id, x->camera_id, x->name, y->id,
              y->camera_id, y->name);
        CHECK(memcmp(x->qvec, y->qvec, sizeof x->qvec) == 0 && memcmp(x->tvec, y->tvec, sizeof x->tvec) == 0,
              "%s: image %zu pose differs", what, i);
    }
    CHECK(memcmp(a->xyz, b->xyz, a->n_points * 3 * sizeof(double)) == 0, "%s: xyz differ", what);
    CHECK(memcmp(a->rgb, b->rgb, a->n_points * 3) == 0, "%s: rgb differ", what);
}

/* Reads dir, expecting failure with status st and a message containing each of
 * the (up to two) substrings. */
static void expect_fail_at(const char *dir, tgs_status st, const char *sub1, const char *sub2, int line) {
    tgs_colmap_model m;
    tgs_status got = tgs_colmap_read(dir, &m);
    const char *msg = tgs_error_message();
    CHECK(got == st, "line %d: status %d (expected %d): %s", line, (int)got, (int)st, msg);
    CHECK(!sub1 || strstr(msg, sub1), "line %d: message lacks '%s': %s", line, sub1, msg);
    CHECK(!sub2 || strstr(msg, sub2), "line %d: message lacks '%s': %s", line, sub2, msg);
    CHECK(m.cameras == NULL && m.images == NULL && m.xyz == NULL && m.n_images == 0,
          "line %d: model not cleared after failure", line);
    tgs_colmap_free(&m);
}
#define EXPECT_FAIL(dir, st, s1, s2) expect_fail_at((dir), (st), (s1), (s2), __LINE__)

/* Writes a modified copy of file k, expects failure, restores the original. */
static void patched_fail_at(const char *dir, const buf orig[3], int k, const buf *patched, tgs_status st,
                            const char *sub, int line) {
    write_file(dir, k_bin_names[k], patched->d, patched->n);
    expect_fail_at(dir, st, k_bin_names[k], sub, line);
    write_file(dir, k_bin_names[k], orig[k].d, orig[k].n);
}
#define PATCHED_FAIL(dir, orig, k, patched, st, sub) patched_fail_at((dir), (orig), (k), (patched), (st), (sub), __LINE__)

static buf copy_buf(const buf *b) {
    buf c = {malloc(b->n + 64), b->n, b->n + 64};
    if (!c.d) exit(1);
    memcpy(c.d, b->d, b->n);
    return c;
}

static void write_bin_dir(const char *dir, const buf b[3]) {
    for (int k = 0; k < 3; k++)
        write_file(dir, k_bin_names[k], b[k].d, b[k].n);
}

/* ---- tests --------------------------------------------------------------------------- */

static void test_small_bin_txt(void) {
    synth s = make_small();
    char dbin[256], dtxt[256];
    check_tmpdir(dbin, sizeof dbin, "colmap_bin");
    check_tmpdir(dtxt, sizeof dtxt, "colmap_txt");
    buf b[3];
    build_bin(&s, b, NULL);
    write_bin_dir(dbin, b);
    write_txt(&s, dtxt);
    tgs_colmap_model mb, mt;
    CHECK_OK(tgs_colmap_read(dbin, &mb));
    CHECK_OK(tgs_colmap_read(dtxt, &mt));
    check_same(&s.m, &mb, "bin vs source");
    check_same(&mb, &mt, "bin vs txt");
    /* With both present, the .bin win: break the .txt and read again. */
    write_file(dbin, "cameras.txt", "garbage\n", 8);
    tgs_colmap_model m2;
    CHECK_OK(tgs_colmap_read(dbin, &m2));
    tgs_colmap_free(&m2);
    remove_file(dbin, "cameras.txt");
    tgs_colmap_free(&mb);
    tgs_colmap_free(&mt);
    tgs_colmap_free(&mt); /* double free of a cleared model is harmless */
    tgs_colmap_free(NULL);
    for (int k = 0; k < 3; k++) {
        remove_file(dbin, k_bin_names[k]);
        remove_file(dtxt, k_txt_names[k]);
        free(b[k].d);
    }
    rmdir(dbin);
    rmdir(dtxt);
}

static void test_truncation_every_byte(void) {
    synth s = make_small();
    char dir[256];
    check_tmpdir(dir, sizeof dir, "colmap_trunc");
    buf b[3];
    build_bin(&s, b, NULL);
    write_bin_dir(dir, b);
    int tried = 0;
    for (int k = 0; k < 3; k++) {
        for (size_t cut = 0; cut < b[k].n; cut++) {
            write_file(dir, k_bin_names[k], b[k].d, cut);
            tgs_colmap_model m;
            tgs_status st = tgs_colmap_read(dir, &m);
            const char *msg = tgs_error_message();
            CHECK(st == TGS_ERR_FORMAT, "%s cut at %zu: status %d: %s", k_bin_names[k], cut, (int)st, msg);
            CHECK(strstr(msg, k_bin_names[k]), "%s cut at %zu: message lacks the file: %s", k_bin_names[k], cut, msg);
            tgs_colmap_free(&m);
            tried++;
        }
        write_file(dir, k_bin_names[k], b[k].d, b[k].n);
    }
    printf("truncation: %d cuts of the small model refused\n", tried);
    /* One sample message, to read. */
    write_file(dir, "images.bin", b[1].d, b[1].n - 5);
    EXPECT_FAIL(dir, TGS_ERR_FORMAT, "images.bin: ", "offset");
    printf("e.g. %s\n", tgs_error_message());
    for (int k = 0; k < 3; k++) {
        remove_file(dir, k_bin_names[k]);
        free(b[k].d);
    }
    rmdir(dir);
}

/* Counts larger than the file, n2d and track lengths. */
static void bad_counts(const char *dir, const buf b[3], const offsets *o) {
    const uint64_t huge[] = {(uint64_t)1 << 60, UINT64_MAX, (uint64_t)1 << 63, 0x0AAAAAAAAAAAAAABull};
    /* Counts larger than the file, for each file. */
    for (int k = 0; k < 3; k++) {
        for (size_t h = 0; h < sizeof huge / sizeof huge[0]; h++) {
            buf p = copy_buf(&b[k]);
            set_u64(&p, 0, huge[h]);
            PATCHED_FAIL(dir, b, k, &p, TGS_ERR_FORMAT, "count");
            free(p.d);
        }
        buf p = copy_buf(&b[k]);
        set_u64(&p, 0, get_u64(&b[k], 0) + 1);
        PATCHED_FAIL(dir, b, k, &p, TGS_ERR_FORMAT, NULL);
        free(p.d);
    }
    /* n2d and track lengths. */
    for (size_t h = 0; h < sizeof huge / sizeof huge[0]; h++) {
        buf p = copy_buf(&b[1]);
        set_u64(&p, o->img_n2d[1], huge[h]);
        PATCHED_FAIL(dir, b, 1, &p, TGS_ERR_FORMAT, "2D point count");
        free(p.d);
        p = copy_buf(&b[2]);
        set_u64(&p, o->pt_track[2], huge[h]);
        PATCHED_FAIL(dir, b, 2, &p, TGS_ERR_FORMAT, "track length");
        free(p.d);
    }
    {
        buf p = copy_buf(&b[1]);
        set_u64(&p, o->img_n2d[2], (uint64_t)g_n2d[2] + 1);
        PATCHED_FAIL(dir, b, 1, &p, TGS_ERR_FORMAT, NULL);
        free(p.d);
        p = copy_buf(&b[2]);
        set_u64(&p, o->pt_track[4], (uint64_t)g_track[4] + 1);
        PATCHED_FAIL(dir, b, 2, &p, TGS_ERR_FORMAT, NULL);
        free(p.d);
    }
}

/* NaN and infinities in the cameras, images and points. */
static void bad_floats(const char *dir, const buf b[3], const offsets *o) {
    /* NaN and infinities. */
    const double bad[] = {NAN, INFINITY, -INFINITY};
    for (int v = 0; v < 3; v++) {
        struct { int k; size_t off; } where[] = {
            {0, o->cam_params[0]}, {0, o->cam_params[1] + 24}, {1, o->img_qvec[0]}, {1, o->img_qvec[2] + 16},
            {1, o->img_tvec[1] + 16}, {2, o->pt_xyz[0]}, {2, o->pt_xyz[4] + 8}, {2, o->pt_error[3]},
        };
        for (size_t w = 0; w < sizeof where / sizeof where[0]; w++) {
            buf p = copy_buf(&b[where[w].k]);
            set_f64(&p, where[w].off, bad[v]);
            PATCHED_FAIL(dir, b, where[w].k, &p, TGS_ERR_FORMAT, "non-finite");
            free(p.d);
        }
    }
}

/* Unknown models, impossible sizes, zero focal length or quaternion, dangling and duplicate camera ids. */
static void bad_cameras(const char *dir, const buf b[3], const offsets *o) {
    /* Unknown model ids. */
    const int32_t bad_models[] = {-1, 18, 99, INT32_MIN};
    for (size_t i = 0; i < sizeof bad_models / sizeof bad_models[0]; i++) {
        buf p = copy_buf(&b[0]);
        set_i32(&p, o->cam_model[1], bad_models[i]);
        PATCHED_FAIL(dir, b, 0, &p, TGS_ERR_FORMAT, "unknown model");
        free(p.d);
    }
    /* Impossible sizes, zero focal length. */
    {
        struct { size_t off; uint64_t v; } sizes[] = {
            {o->cam_width[0], 0}, {o->cam_height[1], 0}, {o->cam_width[1], 1u << 20},
            {o->cam_height[0], (uint64_t)1 << 40},
            {o->cam_width[0], UINT64_MAX},
        };
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            buf p = copy_buf(&b[0]);
            set_u64(&p, sizes[i].off, sizes[i].v);
            PATCHED_FAIL(dir, b, 0, &p, TGS_ERR_FORMAT, "size");
            free(p.d);
        }
        buf p = copy_buf(&b[0]);
        set_f64(&p, o->cam_params[1] + 8, 0.0);
        PATCHED_FAIL(dir, b, 0, &p, TGS_ERR_FORMAT, "focal");
        free(p.d);
        p = copy_buf(&b[1]);
        for (int k = 0; k < 4; k++)
            set_f64(&p, o->img_qvec[1] + 8 * k, 0.0);
        PATCHED_FAIL(dir, b, 1, &p, TGS_ERR_FORMAT, "quaternion");
        free(p.d);
    }
    /* A camera reference to nowhere; a duplicate camera id. */
    {
        buf p = copy_buf(&b[1]);
        set_i32(&p, o->img_camid[2], 99);
        PATCHED_FAIL(dir, b, 1, &p, TGS_ERR_FORMAT, "camera 99");
        free(p.d);
        p = copy_buf(&b[0]);
        set_i32(&p, o->cam_model[1] - 4, g_cams[0].id);
        PATCHED_FAIL(dir, b, 0, &p, TGS_ERR_FORMAT, "more than once");
        free(p.d);
    }
}

/* Names without NUL or empty, trailing bytes, zero images (zero points is fine). */
static void bad_names_and_tail(const char *dir, const buf b[3], const offsets *o) {
    /* A name without NUL: the last image ends in the middle of its name. */
    {
        buf p = copy_buf(&b[1]);
        p.n = o->img_name[2] + 3;
        PATCHED_FAIL(dir, b, 1, &p, TGS_ERR_FORMAT, "NUL");
        /* An empty name. */
        free(p.d);
        buf q = {0};
        put(&q, b[1].d, o->img_name[2]);
        put(&q, "", 1);
        put_u64(&q, 0);
        PATCHED_FAIL(dir, b, 1, &q, TGS_ERR_FORMAT, "name");
        free(q.d);
    }
    /* Trailing bytes. */
    for (int k = 0; k < 3; k++) {
        buf p = copy_buf(&b[k]);
        put(&p, "x", 1);
        PATCHED_FAIL(dir, b, k, &p, TGS_ERR_FORMAT, "unexpected bytes");
        free(p.d);
    }
    /* Zero images is an error; zero points is fine. */
    {
        buf p = {0};
        put_u64(&p, 0);
        PATCHED_FAIL(dir, b, 1, &p, TGS_ERR_FORMAT, "no images");
        write_file(dir, "points3D.bin", p.d, p.n);
        tgs_colmap_model m;
        CHECK_OK(tgs_colmap_read(dir, &m));
        CHECK(m.n_points == 0 && m.n_images == 3, "zero points: %zu points %zu images", m.n_points, m.n_images);
        tgs_colmap_free(&m);
        write_file(dir, "points3D.bin", b[2].d, b[2].n);
        free(p.d);
    }
}

/* Missing files, missing, non-directory and empty folders. */
static void missing_files(const char *dir, const buf b[3]) {
    /* Missing files and directories. */
    for (int k = 0; k < 3; k++) {
        remove_file(dir, k_bin_names[k]);
        EXPECT_FAIL(dir, TGS_ERR_IO, k_bin_names[k], "missing");
        write_file(dir, k_bin_names[k], b[k].d, b[k].n);
    }
    char missing[300];
    snprintf(missing, sizeof missing, "%s/no_such_dir", dir);
    EXPECT_FAIL(missing, TGS_ERR_IO, missing, "no COLMAP model");
    char path[300];
    snprintf(path, sizeof path, "%s/cameras.bin", dir);
    EXPECT_FAIL(path, TGS_ERR_IO, "not a directory", NULL);
    char empty[256];
    check_tmpdir(empty, sizeof empty, "colmap_empty");
    EXPECT_FAIL(empty, TGS_ERR_IO, "no COLMAP model (expected cameras.bin/images.bin/points3D.bin or the .txt versions)",
                empty);
    rmdir(empty);
}

/* Each bad value in a valid binary model, one at a time: each read fails
 * with a message naming the file and the fault. */
static void test_bad_values(void) {
    synth s = make_small();
    char dir[256];
    check_tmpdir(dir, sizeof dir, "colmap_bad");
    buf b[3];
    offsets o;
    build_bin(&s, b, &o);
    write_bin_dir(dir, b);
    tgs_colmap_model ok;
    CHECK_OK(tgs_colmap_read(dir, &ok));
    tgs_colmap_free(&ok);
    bad_counts(dir, b, &o);
    bad_floats(dir, b, &o);
    bad_cameras(dir, b, &o);
    bad_names_and_tail(dir, b, &o);
    missing_files(dir, b);
    for (int k = 0; k < 3; k++) {
        remove_file(dir, k_bin_names[k]);
        free(b[k].d);
    }
    rmdir(dir);
}

/* Writes the small model with camera 7 set to model id/params in .bin and .txt
 * folders (dbin, dtxt: new temporary folders). */
static void write_with_camera7(const synth *s, int model, const double *params, char *dbin, char *dtxt) {
    const tgs_camera_model_info *info = tgs_camera_model_by_id(model);
    g_cams[1].model = model;
    g_cams[1].n_params = info->n_params;
    snprintf(g_cams[1].model_name, sizeof g_cams[1].model_name, "%s", info->name);
    memcpy(g_cams[1].params, params, (size_t)info->n_params * sizeof(double));
    check_tmpdir(dbin, 256, "colmap_cam");
    check_tmpdir(dtxt, 256, "colmap_camt");
    buf b[3];
    build_bin(s, b, NULL);
    write_bin_dir(dbin, b);
    write_txt(s, dtxt);
    for (int k = 0; k < 3; k++)
        free(b[k].d);
}

static void remove_both(const char *dbin, const char *dtxt) {
    for (int k = 0; k < 3; k++) {
        remove_file(dbin, k_bin_names[k]);
        remove_file(dtxt, k_txt_names[k]);
    }
    rmdir(dbin);
    rmdir(dtxt);
}

/* Models tgs does not undistort: refused by name with advice, in .bin and .txt. */
static void test_unsupported_model(void) {
    synth s = make_small();
    const int models[] = {7, 10, 11, 12, 17};
    for (int t = 0; t < 5; t++) {
        tgs_colmap_camera c = g_cams[1];
        double params[16];
        for (int k = 0; k < 16; k++)
            params[k] = k < 2 ? 1000 : k < 4 ? 500 : 0.01 * k;
        char dbin[256], dtxt[256];
        write_with_camera7(&s, models[t], params, dbin, dtxt);
        const char *name = tgs_camera_model_by_id(models[t])->name;
        EXPECT_FAIL(dbin, TGS_ERR_UNSUPPORTED, "undistort", name);
        if (t == 0)
            printf("e.g. %s\n", tgs_error_message());
        EXPECT_FAIL(dbin, TGS_ERR_UNSUPPORTED, "cameras.bin: camera 7 uses the", NULL);
        EXPECT_FAIL(dtxt, TGS_ERR_UNSUPPORTED, "undistort", name);
        EXPECT_FAIL(dtxt, TGS_ERR_UNSUPPORTED, "cameras.txt", NULL);
        remove_both(dbin, dtxt);
        g_cams[1] = c;
    }
}

/* Every accepted model reads back (bin and txt) with its id and parameters;
 * absurd coefficients, a focal <= 0 and a distortion that cannot be undone
 * over the frame are refused naming the file and the camera. */
static void test_distorted_models(void) {
    synth s = make_small();
    const tgs_colmap_camera c = g_cams[1];
    static const struct { int model; double p[12]; } ok[] = {
        {2, {1300, 530, 946, -0.05}},
        {3, {1300, 530, 946, -0.05, 0.01}},
        {4, {1300, 1310, 530, 946, -0.05, 0.01, 0.001, -0.002}},
        {5, {1300, 1310, 530, 946, 0.02, -0.01, 0.003, -0.001}},
        {6, {1300, 1310, 530, 946, -0.05, 0.01, 0.001, -0.002, 0.001, 0.01, 0.002, 0.0005}},
        {8, {1300, 530, 946, 0.03}},
        {9, {1300, 530, 946, 0.03, -0.01}},
    };
    for (size_t t = 0; t < sizeof ok / sizeof ok[0]; t++) {
        char dbin[256], dtxt[256];
        write_with_camera7(&s, ok[t].model, ok[t].p, dbin, dtxt);
        for (int f = 0; f < 2; f++) {
            tgs_colmap_model m;
            CHECK_OK(tgs_colmap_read(f ? dtxt : dbin, &m));
            const tgs_colmap_camera *r = m.n_cameras == 2 ? &m.cameras[1] : NULL;
            int same = r && r->model == ok[t].model && r->n_params == g_cams[1].n_params;
            for (int k = 0; same && k < r->n_params; k++)
                same = fabs(r->params[k] - ok[t].p[k]) <= 1e-12 * (1 + fabs(ok[t].p[k]));
            CHECK(same, "model %d (%s) read back wrong", ok[t].model, f ? "txt" : "bin");
            tgs_colmap_free(&m);
        }
        remove_both(dbin, dtxt);
    }
    static const struct { int model; double p[8]; const char *sub; } bad[] = {
        {4, {1300, 1310, 530, 946, 1e6, 0, 0, 0}, "coefficient 1 = 1e+06"},
        {4, {1300, 1310, 530, 946, -50, 0, 0, 0}, "does not converge"},
        {2, {1300, 530, 946, -3}, "does not converge"},
        {5, {1300, 1310, 530, 946, -2, 0, 0, 0}, "does not converge"},
        {4, {1300, -1310, 530, 946, 0, 0, 0, 0}, "focal length"},
        {3, {1300, 530e3, 946, 0, 0}, "principal point"},
    };
    for (size_t t = 0; t < sizeof bad / sizeof bad[0]; t++) {
        char dbin[256], dtxt[256];
        write_with_camera7(&s, bad[t].model, bad[t].p, dbin, dtxt);
        EXPECT_FAIL(dbin, TGS_ERR_FORMAT, "cameras.bin at offset 56: camera 7: ", bad[t].sub);
        if (t == 1)
            printf("e.g. %s\n", tgs_error_message());
        EXPECT_FAIL(dtxt, TGS_ERR_FORMAT, "cameras.txt:", bad[t].sub);
        remove_both(dbin, dtxt);
    }
    g_cams[1] = c;
}

/* Garbage in the text files: refused with the file and line number. */
static void test_txt_garbage(void) {
    synth s = make_small();
    char dir[256];
    check_tmpdir(dir, sizeof dir, "colmap_txtbad");
    write_txt(&s, dir);
    tgs_colmap_model m;
    CHECK_OK(tgs_colmap_read(dir, &m));
    tgs_colmap_free(&m);
    const char *cam_ok = "# c\n1 SIMPLE_PINHOLE 640 480 500 320 240\n7 PINHOLE 100 200 1 2 3 4\n";
    struct { int file; const char *text; tgs_status st; const char *sub; } cases[] = {
        {0, "# c\n\n1 PINHOLE 640 abc 1 2 3 4\n", TGS_ERR_FORMAT, "cameras.txt:3:"},
        {0, "# c\n1 PINHOLE 640 480 1 2 3\n", TGS_ERR_FORMAT, "cameras.txt:2: camera 1: the PINHOLE model has 4"},
        {0, "# c\n1 PINHOLE 640 480 1 2 3 4 5\n", TGS_ERR_FORMAT, "has 4 parameters (fx, fy, cx, cy), found 5"},
        {0, "1 PINHOLE 640 480 1 2 3 4\n7 NOT_A_MODEL 1 1 1 1 1\n", TGS_ERR_FORMAT, "cameras.txt:2: camera 7 has unknown model"},
        {0, "1 PINHOLE 640 480 nan 2 3 4\n", TGS_ERR_FORMAT, "cameras.txt:1: non-finite"},
        {0, "1 PINHOLE 640 480 inf 2 3 4\n", TGS_ERR_FORMAT, "cameras.txt:1: non-finite"},
        {0, "1 PINHOLE -640 480 1 2 3 4\n", TGS_ERR_FORMAT, "cameras.txt:1:"},
        {0, "1 PINHOLE 0 480 1 2 3 4\n", TGS_ERR_FORMAT, "cameras.txt:1:"},
        {0, "1 PINHOLE 640 4800000 1 2 3 4\n", TGS_ERR_FORMAT, "cameras.txt:1:"},
        {0, "1 PINHOLE 640.5 480 1 2 3 4\n", TGS_ERR_FORMAT, "cameras.txt:1: expected WIDTH"},
        {0, "1x PINHOLE 640 480 1 2 3 4\n", TGS_ERR_FORMAT, "cameras.txt:1: expected CAMERA_ID"},
        {0, "99999999999 PINHOLE 640 480 1 2 3 4\n", TGS_ERR_FORMAT, "cameras.txt:1:"},
        {0, "1 FOV 640 480 500 500 320 240 0.1\n", TGS_ERR_UNSUPPORTED, "cameras.txt:1: camera 1 uses the FOV model"},
        {0, "1 OPENCV 640 480 500 500 320 240 0 0 0\n", TGS_ERR_FORMAT,
         "cameras.txt:1: camera 1: the OPENCV model has 8 parameters (fx, fy, cx, cy, k1, k2, p1, p2), found 7"},
        {0, "1 SIMPLE_RADIAL 640 480 500 320 240 0.1 0.2\n", TGS_ERR_FORMAT,
         "cameras.txt:1: camera 1: the SIMPLE_RADIAL model has 4 parameters (f, cx, cy, k), found 5"},
        {0, "1 RADIAL_FISHEYE 640 480 500 320 240 0.1 nan\n", TGS_ERR_FORMAT, "cameras.txt:1: non-finite"},
        {1, "# i\n10 1 0 0 0 0 0 0 1 a.png\n\n13 1 0 0 0 0 0 zero 7 b.png\n\n", TGS_ERR_FORMAT, "images.txt:4:"},
        {1, "10 1 0 0 0 0 0 0 1 a.png\n1.5 2.5\n", TGS_ERR_FORMAT, "images.txt:2: line ends early"},
        {1, "10 1 0 0 0 0 0 0 1 a.png\n1.5 2.5 x\n", TGS_ERR_FORMAT, "images.txt:2: expected POINT3D_ID"},
        {1, "10 1 0 0 0 0 0 0 1 a.png\n1.5 2.5 -2\n", TGS_ERR_FORMAT, "images.txt:2:"},
        {1, "10 1 0 0 0 0 0 0 1\n\n", TGS_ERR_FORMAT, "images.txt:1: image 10 has a name of 0 bytes"},
        {1, "10 1 0 0 0 NaN 0 0 1 a.png\n\n", TGS_ERR_FORMAT, "images.txt:1: non-finite"},
        {1, "10 0 0 0 0 0 0 0 1 a.png\n\n", TGS_ERR_FORMAT, "quaternion"},
        {1, "10 1 0 0 0 0 0 0 5 a.png\n\n", TGS_ERR_FORMAT, "refers to camera 5"},
        {1, "10 1 0 0 0 0 0 0 1 a.png\n\n10 1 0 0 0 0 0 0 1 b.png\n\n", TGS_ERR_FORMAT, "image id 10 appears"},
        {1, "# only comments\n", TGS_ERR_FORMAT, "no images"},
        {2, "# p\n1 0 0 0 1 2 3 0.5\n2 0 0 0 300 2 3 0.5\n", TGS_ERR_FORMAT, "points3D.txt:3:"},
        {2, "1 0 0 0 1 2 3 0.5 10 0 13\n", TGS_ERR_FORMAT, "points3D.txt:1: line ends early"},
        {2, "1 0 0 0 1 2 3\n", TGS_ERR_FORMAT, "points3D.txt:1: line ends early: expected ERROR"},
        {2, "1 0 -inf 0 1 2 3 0.5\n", TGS_ERR_FORMAT, "points3D.txt:1: non-finite"},
        {2, "1 0 0 0 1 2 3 0.5 garbage\n", TGS_ERR_FORMAT, "points3D.txt:1: expected IMAGE_ID"},
        {2, "hello world\n", TGS_ERR_FORMAT, "points3D.txt:1: expected POINT3D_ID"},
    };
    const char *img_ok = "10 1 0 0 0 0 0 0 1 a.png\n\n";
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_file(dir, "cameras.txt", cases[i].file == 0 ? cases[i].text : cam_ok,
                   strlen(cases[i].file == 0 ? cases[i].text : cam_ok));
        write_file(dir, "images.txt", cases[i].file == 1 ? cases[i].text : img_ok,
                   strlen(cases[i].file == 1 ? cases[i].text : img_ok));
        write_file(dir, "points3D.txt", cases[i].file == 2 ? cases[i].text : "", strlen(cases[i].file == 2 ? cases[i].text : ""));
        tgs_status st = tgs_colmap_read(dir, &m);
        const char *msg = tgs_error_message();
        CHECK(st == cases[i].st, "case %zu: status %d (expected %d): %s", i, (int)st, (int)cases[i].st, msg);
        CHECK(strstr(msg, cases[i].sub), "case %zu: message lacks '%s': %s", i, cases[i].sub, msg);
        tgs_colmap_free(&m);
    }
    /* Windows line ends, tabs, a last line without newline, no POINTS2D line at the end: fine. */
    const char *cam_crlf = "# c\r\n1\tSIMPLE_PINHOLE 640 480 500 320 240\r\n7 PINHOLE 100 200 1 2 3 4";
    const char *img_crlf = "10 1 0 0 0 0 0 0 1 a.png\r\n\r\n11 1 0 0 0 0 0 0 7 b.png";
    write_file(dir, "cameras.txt", cam_crlf, strlen(cam_crlf));
    write_file(dir, "images.txt", img_crlf, strlen(img_crlf));
    write_file(dir, "points3D.txt", "1 0 0 0 1 2 3 0.5\r\n", 19);
    CHECK_OK(tgs_colmap_read(dir, &m));
    CHECK(m.n_cameras == 2 && m.n_images == 2 && m.n_points == 1 && strcmp(m.images[0].name, "a.png") == 0 &&
              strcmp(m.images[1].name, "b.png") == 0 && m.cameras[1].params[3] == 4.0,
          "CRLF model read wrong: %zu %zu %zu '%s'", m.n_cameras, m.n_images, m.n_points,
          m.n_images ? m.images[0].name : "");
    tgs_colmap_free(&m);
    /* A NUL byte in a text file. */
    write_file(dir, "points3D.txt", "1 0 0\0 0 1 2 3 0.5\n", 19);
    EXPECT_FAIL(dir, TGS_ERR_FORMAT, "points3D.txt: NUL byte at offset 5", NULL);
    /* A missing text file. */
    remove_file(dir, "images.txt");
    EXPECT_FAIL(dir, TGS_ERR_IO, "images.txt: missing", NULL);
    for (int k = 0; k < 3; k++)
        remove_file(dir, k_txt_names[k]);
    rmdir(dir);
}

static unsigned char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(1); }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *d = malloc((size_t)len + 1);
    if (!d || fread(d, 1, (size_t)len, f) != (size_t)len) { perror(path); exit(1); }
    fclose(f);
    *n = (size_t)len;
    return d;
}

static void test_fox(void) {
    const char *dir = TGS_DATA_DIR "/fox/sparse/0";
    tgs_colmap_model m;
    double t0 = tgs_now();
    CHECK_OK(tgs_colmap_read(dir, &m));
    double t1 = tgs_now();
    printf("fox: %zu cameras, %zu images, %zu points read in %.1f ms\n", m.n_cameras, m.n_images, m.n_points,
           1e3 * (t1 - t0));
    CHECK(m.n_cameras == 1 && m.n_images == 50 && m.n_points == 15083, "fox counts %zu %zu %zu", m.n_cameras,
          m.n_images, m.n_points);
    if (m.n_cameras == 1) {
        const tgs_colmap_camera *c = &m.cameras[0];
        CHECK(c->model == TGS_CAM_PINHOLE && strcmp(c->model_name, "PINHOLE") == 0 && c->n_params == 4,
              "fox model %d %s", c->model, c->model_name);
        CHECK(c->width == 1061 && c->height == 1893, "fox size %llux%llu", (unsigned long long)c->width,
              (unsigned long long)c->height);
        CHECK(fabs(c->params[0] - 1375.53) < 0.01 && fabs(c->params[1] - 1374.77) < 0.01, "fox focal %g %g",
              c->params[0], c->params[1]);
    }
    for (size_t i = 0; i < m.n_images; i++) {
        double n = 0;
        for (int k = 0; k < 4; k++)
            n += m.images[i].qvec[k] * m.images[i].qvec[k];
        CHECK(fabs(n - 1) < 1e-6 && m.images[i].camera_id == m.cameras[0].id && strlen(m.images[i].name) > 0,
              "fox image %zu: |q|^2 %g camera %d name '%s'", i, n, m.images[i].camera_id, m.images[i].name);
    }
    CHECK(m.n_points && isfinite(m.xyz[0]), "fox xyz");

    /* The same model through the text reader. */
    char dtxt[256];
    check_tmpdir(dtxt, sizeof dtxt, "colmap_foxtxt");
    synth s = {.m = m};
    write_txt(&s, dtxt);
    tgs_colmap_model mt;
    t0 = tgs_now();
    CHECK_OK(tgs_colmap_read(dtxt, &mt));
    t1 = tgs_now();
    printf("fox as text read in %.1f ms\n", 1e3 * (t1 - t0));
    check_same(&m, &mt, "fox bin vs txt");
    tgs_colmap_free(&mt);
    for (int k = 0; k < 3; k++)
        remove_file(dtxt, k_txt_names[k]);
    rmdir(dtxt);

    /* fox images.bin truncated at a sample of offsets (every 7th byte and the last 40). */
    char dir2[256];
    check_tmpdir(dir2, sizeof dir2, "colmap_foxcut");
    size_t ncam, nimg, npt;
    unsigned char *cam = slurp(TGS_DATA_DIR "/fox/sparse/0/cameras.bin", &ncam);
    unsigned char *img = slurp(TGS_DATA_DIR "/fox/sparse/0/images.bin", &nimg);
    unsigned char *pt = slurp(TGS_DATA_DIR "/fox/sparse/0/points3D.bin", &npt);
    write_file(dir2, "cameras.bin", cam, ncam);
    write_file(dir2, "points3D.bin", pt, npt);
    int tried = 0;
    for (size_t cut = 0; cut < nimg; cut += (cut + 40 >= nimg ? 1 : 7)) {
        write_file(dir2, "images.bin", img, cut);
        tgs_colmap_model mc;
        tgs_status st = tgs_colmap_read(dir2, &mc);
        CHECK(st == TGS_ERR_FORMAT && strstr(tgs_error_message(), "images.bin"), "fox images.bin cut at %zu: %d %s",
              cut, (int)st, tgs_error_message());
        tgs_colmap_free(&mc);
        tried++;
    }
    /* Point count set to 2^60 and to count + 1. */
    write_file(dir2, "images.bin", img, nimg);
    buf p = {pt, npt, npt};
    uint64_t count = get_u64(&p, 0);
    CHECK(count == 15083, "fox point count %llu", (unsigned long long)count);
    set_u64(&p, 0, (uint64_t)1 << 60);
    write_file(dir2, "points3D.bin", pt, npt);
    EXPECT_FAIL(dir2, TGS_ERR_FORMAT, "points3D.bin", "point count");
    set_u64(&p, 0, count + 1);
    write_file(dir2, "points3D.bin", pt, npt);
    EXPECT_FAIL(dir2, TGS_ERR_FORMAT, "points3D.bin", NULL);
    printf("fox: %d truncations of images.bin refused\n", tried);
    for (int k = 0; k < 3; k++)
        remove_file(dir2, k_bin_names[k]);
    rmdir(dir2);
    free(cam);
    free(img);
    free(pt);
    tgs_colmap_free(&m);
}

static void test_beer(void) {
    tgs_colmap_model m;
    CHECK_OK(tgs_colmap_read(TGS_DATA_DIR "/beer/sparse/0", &m));
    CHECK(m.n_cameras == 71 && m.n_images == 71 && m.n_points == 4414, "beer counts %zu %zu %zu", m.n_cameras,
          m.n_images, m.n_points);
    for (size_t i = 0; i < m.n_cameras; i++)
        CHECK(m.cameras[i].model == TGS_CAM_PINHOLE && m.cameras[i].width > 0, "beer camera %zu", i);
    tgs_colmap_free(&m);
}

int main(void) {
    test_small_bin_txt();
    test_truncation_every_byte();
    test_bad_values();
    test_unsupported_model();
    test_distorted_models();
    test_txt_garbage();
    /* The real scenes: skip (77) when the shared data is absent, unless something failed already. */
    if (check_failures == 0)
        check_require_path(TGS_DATA_DIR "/fox/sparse/0");
    if (access(TGS_DATA_DIR "/fox/sparse/0", F_OK) == 0)
        test_fox();
    if (access(TGS_DATA_DIR "/beer/sparse/0", F_OK) == 0)
        test_beer();
    return check_report("test_colmap");
}
