/* fuzz_targets.h - the body of each libFuzzer harness, shared with
 * tests/test_fuzz_regressions.c so that a saved input is replayed exactly as
 * the fuzzer ran it. Each function writes the input into the process's
 * temporary folder, runs the reader(s) and returns how many reads succeeded. */
#ifndef TGS_FUZZ_TARGETS_H
#define TGS_FUZZ_TARGETS_H

#include "fuzz_util.h"
#include "tgs/checkpoint.h"
#include "tgs/gaussians.h"
#include "tgs/io.h"
#include "tgs/ply.h"
#include "tgs/viewer.h"

#include <math.h>

#include <zlib.h>

/* COLMAP binary. Input: u32 LE size of cameras.bin, u32 LE size of images.bin,
 * cameras.bin, images.bin, and the rest is points3D.bin (sizes clamped to the
 * bytes present; an input under 8 bytes is all points3D.bin). */
static inline int fuzz_colmap_bin_one(const uint8_t *data, size_t size) {
    static const char *const files[] = {"cameras.bin", "images.bin", "points3D.bin", NULL};
    const char *dir = fuzz_dir(files);
    size_t len[2] = {0, 0};
    if (size >= 8) {
        len[0] = fuzz_le32(data);
        len[1] = fuzz_le32(data + 4);
        data += 8;
        size -= 8;
    }
    for (int k = 0; k < 2; k++) {
        if (len[k] > size)
            len[k] = size;
        fuzz_write(dir, files[k], data, len[k]);
        data += len[k];
        size -= len[k];
    }
    fuzz_write(dir, files[2], data, size);
    tgs_colmap_model m;
    if (tgs_colmap_read(dir, &m) != TGS_OK)
        return 0;
    tgs_colmap_free(&m);
    return 1;
}

/* COLMAP text. Input: cameras.txt, the separator "@@@\n", images.txt, the
 * separator, points3D.txt (a missing separator leaves later files empty). */
static inline int fuzz_colmap_txt_one(const uint8_t *data, size_t size) {
    static const char *const files[] = {"cameras.txt", "images.txt", "points3D.txt", NULL};
    static const uint8_t sep[4] = {'@', '@', '@', '\n'};
    const char *dir = fuzz_dir(files);
    for (int k = 0; k < 3; k++) {
        size_t n = size, skip = size;
        if (k < 2)
            for (size_t i = 0; i + sizeof sep <= size; i++)
                if (memcmp(data + i, sep, sizeof sep) == 0) {
                    n = i;
                    skip = i + sizeof sep;
                    break;
                }
        fuzz_write(dir, files[k], data, n);
        data += skip;
        size -= skip;
    }
    tgs_colmap_model m;
    if (tgs_colmap_read(dir, &m) != TGS_OK)
        return 0;
    tgs_colmap_free(&m);
    return 1;
}

/* Blender transforms JSON: the input is the file. */
static inline int fuzz_blender_one(const uint8_t *data, size_t size) {
    static const char *const files[] = {"transforms.json", NULL};
    const char *dir = fuzz_dir(files);
    fuzz_write(dir, files[0], data, size);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, files[0]);
    tgs_blender_transforms t;
    if (tgs_blender_read(path, &t) != TGS_OK)
        return 0;
    tgs_blender_free(&t);
    return 1;
}

/* 3DGS PLY: the input is the file, read with both opacity storages. */
static inline int fuzz_ply_one(const uint8_t *data, size_t size) {
    static const char *const files[] = {"model.ply", NULL};
    const char *dir = fuzz_dir(files);
    fuzz_write(dir, files[0], data, size);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, files[0]);
    int ok = 0;
    for (int mode = 0; mode < 2; mode++) {
        tgs_gaussians *g = NULL;
        if (tgs_ply_read(path, mode ? TGS_OPACITY_LINEAR : TGS_OPACITY_LOGIT, &g) == TGS_OK)
            ok++;
        tgs_gaussians_destroy(g);
    }
    return ok;
}

/* Every getter on every chunk of an open checkpoint (and on a missing one). */
static inline void fuzz_ckpt_read_everything(const tgs_ckpt_reader *r) {
    size_t n = tgs_ckpt_count(r);
    unsigned char sink[64];
    for (size_t i = 0; i <= n; i++) {
        size_t bytes = 0;
        const char *name = tgs_ckpt_name(r, i, &bytes);
        if (!name)
            name = "not_there";
        const void *p;
        size_t got;
        if (tgs_ckpt_get(r, name, &p, &got) == TGS_OK) {
            bytes = got; /* the file may hold a chunk named "not_there" */
            if (got > 0) {
                volatile unsigned char x = ((const unsigned char *)p)[0] ^ ((const unsigned char *)p)[got - 1];
                (void)x;
            }
        }
        if (bytes <= sizeof sink)
            (void)tgs_ckpt_get_exact(r, name, sink, bytes);
        uint64_t u;
        double d;
        const char *s;
        (void)tgs_ckpt_get_u64(r, name, &u);
        (void)tgs_ckpt_get_f64(r, name, &d);
        if (tgs_ckpt_get_str(r, name, &s) == TGS_OK && strlen(s) + 1 != bytes)
            abort(); /* a string chunk is exactly one NUL-terminated string */
        (void)tgs_ckpt_has(r, name);
    }
}

/* Checkpoint: the input is opened as it is (header, size and checksum checks)
 * and again with its trailing CRC-32 recomputed, so that mutations reach the
 * table checks and the getters behind the checksum. */
static inline int fuzz_checkpoint_one(const uint8_t *data, size_t size) {
    static const char *const files[] = {"fuzz.ckpt", NULL};
    const char *dir = fuzz_dir(files);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, files[0]);
    int ok = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            if (size < 4)
                break;
            uint8_t *fixed = malloc(size);
            if (!fixed)
                abort();
            memcpy(fixed, data, size);
            uint32_t crc = (uint32_t)crc32(0L, fixed, (uInt)(size - 4));
            for (int i = 0; i < 4; i++)
                fixed[size - 4 + i] = (uint8_t)(crc >> (8 * i));
            fuzz_write(dir, files[0], fixed, size);
            free(fixed);
        } else {
            fuzz_write(dir, files[0], data, size);
        }
        tgs_ckpt_reader *r = NULL;
        if (tgs_ckpt_open(path, &r) == TGS_OK) {
            ok++;
            fuzz_ckpt_read_everything(r);
        }
        tgs_ckpt_close(r);
    }
    return ok;
}

/* Viewer requests: the input is a query string (not NUL-terminated), parsed
 * as /render's and /status's, and (NUL-terminated) as a path for the routes.
 * An accepted /render query must give a view within the limits, with finite
 * numbers: anything else aborts. */
static inline int fuzz_viewer_query_one(const uint8_t *data, size_t size) {
    static const tgs_viewer_limits lim = {4, 1920, 1080, 3};
    const char *q = (const char *)data;
    int ok = 0, cams;
    tgs_viewer_request r;
    if (tgs_viewer_parse_render(q, size, &lim, &r) == TGS_OK) {
        ok++;
        tgs_view views[4];
        memset(views, 0, sizeof views);
        for (int i = 0; i < 4; i++) {
            views[i].width = 100 + 700 * i; /* the last is over the limits: it shrinks */
            views[i].height = 3000 - 500 * i;
            views[i].fx = views[i].fy = 1000;
            views[i].tan_fovx = views[i].width / 2000.0;
            views[i].tan_fovy = views[i].height / 2000.0;
        }
        const float bg[3] = {0, 0, 0};
        tgs_view v = tgs_viewer_request_view(&r, &lim, views, bg, 1);
        if (v.width < TGS_VIEWER_MIN_SIZE || v.height < TGS_VIEWER_MIN_SIZE || v.width > lim.max_width ||
            v.height > lim.max_height || !isfinite(v.fx) || !isfinite(v.fy) || !(v.fx > 0) || !(v.fy > 0) ||
            !isfinite(v.t[0] + v.t[1] + v.t[2]) || v.sh_degree < 0 || v.sh_degree > lim.sh_degree)
            abort();
    }
    if (tgs_viewer_parse_status(q, size, &cams) == TGS_OK) {
        ok++;
        if (cams != 0 && cams != 1)
            abort();
    }
    char *path = malloc(size + 1);
    if (!path)
        abort();
    memcpy(path, data, size);
    path[size] = 0;
    (void)tgs_viewer_route_of("GET", path);
    free(path);
    return ok;
}

#endif
