/* scene.c - builds the training dataset from a parsed scene (DESIGN §1): cameras
 * with their FoV and resolution, the train/test split, the scene extent and the
 * initial points. Pixels are decoded only on demand (tgs_scene_load_image). */
#include "tgs/gaussians.h"
#include "tgs/io.h"
#include "tgs/rng.h"
#include "tgs/scene.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The last undistortion map made by tgs_scene_load_image (DESIGN §12). */
struct tgs_undistort_cache {
    tgs_intrinsics intrinsics;
    int width, height;
    size_t n_valid;
    float *map; /* [height,width,2] */
};

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int dir_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Name without folders and without everything from the first '.' (as the reference). */
static void stem_of(const char *path, char *out, size_t size) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(out, size, "%s", base);
    char *dot = strchr(out, '.');
    if (dot)
        *dot = '\0';
}

static void qvec_to_rot(const double *q, double *R) {
    double w = q[0], x = q[1], y = q[2], z = q[3];
    double n = sqrt(w * w + x * x + y * y + z * z);
    w /= n, x /= n, y /= n, z /= n;
    R[0] = 1 - 2 * (y * y + z * z), R[1] = 2 * (x * y - w * z), R[2] = 2 * (x * z + w * y);
    R[3] = 2 * (x * y + w * z), R[4] = 1 - 2 * (x * x + z * z), R[5] = 2 * (y * z - w * x);
    R[6] = 2 * (x * z - w * y), R[7] = 2 * (y * z + w * x), R[8] = 1 - 2 * (x * x + y * y);
}

static void camera_center(tgs_camera *c) {
    for (int i = 0; i < 3; i++)
        c->center[i] = -(c->R[i] * c->t[0] + c->R[3 + i] * c->t[1] + c->R[6 + i] * c->t[2]);
}

/* Python's round(): half to even. */
static int round_half_even(double x) { return (int)nearbyint(x); }

/* Training resolution from the size of the image file (reference loadCam). */
static tgs_status choose_resolution(const tgs_scene_options *opt, tgs_camera *c, int *warned) {
    int w = c->image_width, h = c->image_height, r = opt->resolution;
    if (r == 1 || r == 2 || r == 4 || r == 8) {
        c->width = round_half_even((double)w / r);
        c->height = round_half_even((double)h / r);
    } else if (r == -1) {
        if (w > 1600) {
            double scale = w / 1600.0;
            if (!*warned && !opt->quiet)
                fprintf(stderr, "tgs: images are over 1600 px wide: rescaling to 1600 px (use -r 1 to keep "
                                "the full size)\n");
            *warned = 1;
            c->width = (int)(w / scale);
            c->height = (int)(h / scale);
        } else {
            c->width = w;
            c->height = h;
        }
    } else if (r > 0) {
        double scale = (double)w / r;
        c->width = (int)(w / scale);
        c->height = (int)(h / scale);
    } else {
        return TGS_FAIL(TGS_ERR_ARG, "-r %d: expected -1, 1, 2, 4, 8 or a target width in pixels", r);
    }
    if (c->width < 1 || c->height < 1)
        return TGS_FAIL(TGS_ERR_ARG, "-r %d makes %s %dx%d pixels", r, c->image_path, c->width, c->height);
    c->fx = c->width / (2.0 * tan(0.5 * c->fovx));
    c->fy = c->height / (2.0 * tan(0.5 * c->fovy));
    c->intrinsics = tgs_intrinsics_scaled(&c->intrinsics, (double)c->width / c->full_width,
                                          (double)c->height / c->full_height);
    return TGS_OK;
}

static tgs_status probe_image(tgs_camera *c, int *channels) {
    int w, h;
    if (!file_exists(c->image_path))
        return TGS_FAIL(TGS_ERR_IO, "%s: image missing (camera '%s')", c->image_path, c->image_name);
    TGS_TRY(tgs_image_probe(c->image_path, &w, &h, channels));
    c->image_width = w;
    c->image_height = h;
    return TGS_OK;
}

/* Two sizes with one aspect ratio, within the rounding of the smaller one. */
static int same_aspect(int w1, int h1, int w2, int h2) {
    double sx = (double)w1 / w2, sy = (double)h1 / h2;
    double tol = 1.0 / TGS_MIN(w1, w2) + 1.0 / TGS_MIN(h1, h2) + 1e-3;
    return fabs(sx - sy) <= tol * TGS_MAX(sx, sy);
}

/* The camera's mask in --masks DIR: <stem>.png, .jpg, .jpeg (either case), or
 * <image file name>.png (COLMAP's own convention); its size is checked against
 * the photograph's aspect ratio. */
static tgs_status find_mask(const char *dir, tgs_camera *c) {
    static const char *const ext[] = {".png", ".jpg", ".jpeg", ".PNG", ".JPG", ".JPEG"};
    const char *base = strrchr(c->image_path, '/');
    base = base ? base + 1 : c->image_path;
    c->mask_path[0] = '\0';
    for (size_t k = 0; k <= sizeof ext / sizeof ext[0] && !c->mask_path[0]; k++) {
        char p[TGS_PATH_MAX];
        int n = k < sizeof ext / sizeof ext[0] ? snprintf(p, sizeof p, "%s/%s%s", dir, c->image_name, ext[k])
                                               : snprintf(p, sizeof p, "%s/%s.png", dir, base);
        if (n < (int)sizeof p && file_exists(p))
            memcpy(c->mask_path, p, (size_t)n + 1);
    }
    if (!c->mask_path[0])
        return TGS_FAIL(TGS_ERR_IO, "%s/%s.png: mask missing for camera '%s' (expected %s/%s.png or .jpg)", dir,
                        c->image_name, c->image_name, dir, c->image_name);
    int w, h, ch;
    TGS_TRY(tgs_image_probe(c->mask_path, &w, &h, &ch));
    if (!same_aspect(w, h, c->image_width, c->image_height))
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: mask is %dx%d but the photograph of camera '%s' is %dx%d (expected the "
                        "same aspect ratio)", c->mask_path, w, h, c->image_name, c->image_width, c->image_height);
    return TGS_OK;
}

/* The image may be a shrunk copy (images_2, images_4...) of what the camera
 * describes, but its aspect ratio must agree (within rounding of the size). */
static tgs_status check_image_size(const tgs_camera *c) {
    double sx = (double)c->image_width / c->full_width, sy = (double)c->image_height / c->full_height;
    double tol = 1.0 / c->image_width + 1.0 / c->image_height + 1e-3;
    if (fabs(sx - sy) > tol * TGS_MAX(sx, sy))
        return TGS_FAIL(TGS_ERR_FORMAT,
                        "%s: image is %dx%d but its camera is %dx%d (aspect ratios differ: a crop or a "
                        "different image?)",
                        c->image_path, c->image_width, c->image_height, c->full_width, c->full_height);
    return TGS_OK;
}

static int cmp_camera_name(const void *a, const void *b) {
    return strcmp(((const tgs_camera *)a)->image_name, ((const tgs_camera *)b)->image_name);
}

static tgs_status load_colmap(const tgs_scene_options *opt, tgs_scene *s) {
    char sparse[TGS_PATH_MAX], images[TGS_PATH_MAX];
    snprintf(sparse, sizeof sparse, "%s/sparse/0", opt->source_path);
    snprintf(images, sizeof images, "%s/%s", opt->source_path, opt->images ? opt->images : "images");
    if (!dir_exists(images))
        return TGS_FAIL(TGS_ERR_IO, "%s: image folder missing (choose it with -i)", images);
    tgs_colmap_model m = {0};
    TGS_TRY(tgs_colmap_read(sparse, &m));
    tgs_status st = TGS_OK;
    s->n_colmap_cameras = (int)m.n_cameras;
    s->n_cameras = (int)m.n_images;
    s->cameras = tgs_calloc(m.n_images, sizeof(tgs_camera), "cameras");
    if (!s->cameras) {
        st = TGS_ERR_NOMEM;
        goto cleanup;
    }
    for (size_t i = 0; i < m.n_images; i++) {
        const tgs_colmap_image *im = &m.images[i];
        const tgs_colmap_camera *cm = NULL;
        for (size_t k = 0; k < m.n_cameras; k++)
            if (m.cameras[k].id == im->camera_id)
                cm = &m.cameras[k];
        tgs_camera *c = &s->cameras[i];
        snprintf(c->model, sizeof c->model, "%s", cm->model_name);
        c->full_width = (int)cm->width;
        c->full_height = (int)cm->height;
        if ((st = tgs_intrinsics_from_colmap(cm->model, cm->params, cm->n_params, &c->intrinsics)) != TGS_OK)
            goto cleanup; /* tgs_colmap_read checked it */
        c->fovx = 2.0 * atan(cm->width / (2.0 * c->intrinsics.fx));
        c->fovy = 2.0 * atan(cm->height / (2.0 * c->intrinsics.fy));
        qvec_to_rot(im->qvec, c->R);
        memcpy(c->t, im->tvec, sizeof c->t);
        camera_center(c);
        stem_of(im->name, c->image_name, sizeof c->image_name);
        if (snprintf(c->image_path, sizeof c->image_path, "%s/%s", images, im->name) >= (int)sizeof c->image_path) {
            st = TGS_FAIL(TGS_ERR_ARG, "%s/%s: path too long", images, im->name);
            goto cleanup;
        }
    }
    qsort(s->cameras, (size_t)s->n_cameras, sizeof(tgs_camera), cmp_camera_name);
    s->n_points = m.n_points;
    s->points_xyz = tgs_calloc(m.n_points * 3, sizeof(float), "SfM points");
    s->points_rgb = s->points_xyz ? tgs_calloc(m.n_points * 3, sizeof(float), "SfM colours") : NULL;
    if (!s->points_rgb) {
        st = TGS_ERR_NOMEM;
        goto cleanup;
    }
    for (size_t i = 0; i < 3 * m.n_points; i++) {
        s->points_xyz[i] = (float)m.xyz[i];
        s->points_rgb[i] = m.rgb[i] / 255.0f;
    }
cleanup:
    tgs_colmap_free(&m);
    return st;
}

static tgs_status load_blender_file(const tgs_scene_options *opt, const char *file, int is_test, tgs_scene *s) {
    char path[TGS_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", opt->source_path, file);
    tgs_blender_transforms t = {0};
    TGS_TRY(tgs_blender_read(path, &t));
    tgs_camera *nc = realloc(s->cameras, (size_t)(s->n_cameras + (int)t.n_frames + 1) * sizeof(tgs_camera));
    if (!nc) {
        tgs_blender_free(&t);
        return TGS_FAIL(TGS_ERR_NOMEM, "out of memory for %zu cameras", t.n_frames);
    }
    s->cameras = nc;
    for (size_t i = 0; i < t.n_frames; i++) {
        tgs_camera *c = &s->cameras[s->n_cameras++];
        memset(c, 0, sizeof *c);
        const double *M = t.frames[i].transform; /* camera-to-world, OpenGL axes */
        double Rc[9], pos[3];
        for (int r = 0; r < 3; r++) {
            Rc[3 * r] = M[4 * r];
            Rc[3 * r + 1] = -M[4 * r + 1]; /* flip y and z: OpenGL -> COLMAP axes */
            Rc[3 * r + 2] = -M[4 * r + 2];
            pos[r] = M[4 * r + 3];
        }
        for (int r = 0; r < 3; r++)
            for (int k = 0; k < 3; k++)
                c->R[3 * r + k] = Rc[3 * k + r];
        for (int r = 0; r < 3; r++)
            c->t[r] = -(c->R[3 * r] * pos[0] + c->R[3 * r + 1] * pos[1] + c->R[3 * r + 2] * pos[2]);
        camera_center(c);
        snprintf(c->image_path, sizeof c->image_path, "%s/%s.png", opt->source_path, t.frames[i].file_path);
        stem_of(c->image_path, c->image_name, sizeof c->image_name);
        c->fovx = t.camera_angle_x;
        snprintf(c->model, sizeof c->model, "blender");
        c->is_test = is_test;
    }
    tgs_blender_free(&t);
    return TGS_OK;
}

static tgs_status load_blender(const tgs_scene_options *opt, tgs_scene *s) {
    s->is_blender = 1;
    TGS_TRY(load_blender_file(opt, "transforms_train.json", 0, s));
    TGS_TRY(load_blender_file(opt, "transforms_test.json", opt->eval, s));
    /* No SfM points: 100 000 random points in [-1.3, 1.3]^3 with colours
     * SH2RGB(U(0,1)/255), as the reference does. */
    size_t n = 100000;
    s->random_init = 1;
    s->n_points = n;
    s->points_xyz = tgs_calloc(n * 3, sizeof(float), "random points");
    s->points_rgb = s->points_xyz ? tgs_calloc(n * 3, sizeof(float), "random colours") : NULL;
    if (!s->points_rgb)
        return TGS_ERR_NOMEM;
    tgs_rng rng;
    tgs_rng_seed(&rng, opt->seed, 0x5eed);
    for (size_t i = 0; i < 3 * n; i++)
        s->points_xyz[i] = (float)(tgs_rng_uniform(&rng) * 2.6 - 1.3);
    for (size_t i = 0; i < 3 * n; i++)
        s->points_rgb[i] = (float)(tgs_rng_uniform(&rng) / 255.0 * TGS_SH_C0 + 0.5);
    return TGS_OK;
}

tgs_status tgs_scene_load(const tgs_scene_options *opt, tgs_scene *out) {
    memset(out, 0, sizeof *out);
    if (!opt->source_path || !*opt->source_path)
        return TGS_FAIL(TGS_ERR_ARG, "no scene given (-s/--source_path)");
    if (!dir_exists(opt->source_path))
        return TGS_FAIL(TGS_ERR_IO, "%s: scene folder missing", opt->source_path);
    if (opt->masks && !dir_exists(opt->masks))
        return TGS_FAIL(TGS_ERR_IO, "%s: mask folder missing (--masks)", opt->masks);
    for (int i = 0; i < 3; i++)
        out->background[i] = opt->white_background ? 1.0f : 0.0f;
    char probe[TGS_PATH_MAX];
    snprintf(probe, sizeof probe, "%s/transforms_train.json", opt->source_path);
    tgs_status st;
    if (file_exists(probe))
        st = load_blender(opt, out);
    else {
        char sparse[TGS_PATH_MAX];
        snprintf(sparse, sizeof sparse, "%s/sparse", opt->source_path);
        if (!dir_exists(sparse)) {
            tgs_scene_free(out);
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: not a scene (expected sparse/0 of COLMAP or transforms_train.json "
                                            "of a Blender scene)", opt->source_path);
        }
        st = load_colmap(opt, out);
    }
    if (st != TGS_OK)
        goto fail;
    if (out->n_cameras == 0) {
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: the scene has no cameras", opt->source_path);
        goto fail;
    }
    int warned = 0;
    for (int i = 0; i < out->n_cameras; i++) {
        tgs_camera *c = &out->cameras[i];
        c->uid = i;
        int channels = 0;
        if ((st = probe_image(c, &channels)) != TGS_OK)
            goto fail;
        if (opt->masks && (st = find_mask(opt->masks, c)) != TGS_OK)
            goto fail;
        c->alpha_mask = opt->alpha_mask && channels == 4;
        c->has_mask = c->mask_path[0] || c->alpha_mask;
        if (out->is_blender) {
            c->full_width = c->image_width;
            c->full_height = c->image_height;
            double focal = c->image_width / (2.0 * tan(0.5 * c->fovx));
            c->fovy = 2.0 * atan(c->image_height / (2.0 * focal));
            const double pinhole[4] = {focal, focal, 0.5 * c->image_width, 0.5 * c->image_height};
            if ((st = tgs_intrinsics_from_colmap(TGS_CAM_PINHOLE, pinhole, 4, &c->intrinsics)) != TGS_OK)
                goto fail;
        } else {
            c->is_test = opt->eval && i % 8 == 0;
            if ((st = check_image_size(c)) != TGS_OK)
                goto fail;
        }
        if ((st = choose_resolution(opt, c, &warned)) != TGS_OK)
            goto fail;
        /* a distorted camera's undistorted image may have pixels with no source: they get a mask (planned) */
        c->has_mask |= !tgs_intrinsics_is_pinhole(&c->intrinsics);
        out->n_masked += c->has_mask;
    }
    out->undistort = tgs_calloc(1, sizeof *out->undistort, "undistortion cache");
    out->train_idx = out->undistort ? tgs_calloc((size_t)out->n_cameras, sizeof(int), "camera indices") : NULL;
    out->test_idx = out->train_idx ? tgs_calloc((size_t)out->n_cameras, sizeof(int), "camera indices") : NULL;
    if (!out->test_idx) {
        st = TGS_ERR_NOMEM;
        goto fail;
    }
    for (int i = 0; i < out->n_cameras; i++) {
        if (out->cameras[i].is_test)
            out->test_idx[out->n_test++] = i;
        else
            out->train_idx[out->n_train++] = i;
    }
    if (out->n_train == 0) {
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: no training cameras", opt->source_path);
        goto fail;
    }
    /* extent from the training cameras (reference getNerfppNorm) */
    double mean[3] = {0, 0, 0}, maxd = 0;
    for (int k = 0; k < out->n_train; k++)
        for (int d = 0; d < 3; d++)
            mean[d] += out->cameras[out->train_idx[k]].center[d] / out->n_train;
    for (int k = 0; k < out->n_train; k++) {
        const double *c = out->cameras[out->train_idx[k]].center;
        double dd = sqrt((c[0] - mean[0]) * (c[0] - mean[0]) + (c[1] - mean[1]) * (c[1] - mean[1]) +
                         (c[2] - mean[2]) * (c[2] - mean[2]));
        maxd = fmax(maxd, dd);
    }
    memcpy(out->center, mean, sizeof mean);
    out->extent = 1.1 * maxd;
    if (!(out->extent > 0))
        out->extent = 1.1; /* one camera: keep learning rates finite */
    return TGS_OK;
fail:
    tgs_scene_free(out);
    return st;
}

/* Replaces the mask *dst (empty: every pixel counts) by the pixels where the
 * resampled mask `sized` (same size, taken over) is at least 128 and *dst
 * keeps them. */
static void narrow_mask(tgs_image *dst, tgs_image *sized) {
    for (size_t p = 0; p < (size_t)sized->width * sized->height; p++)
        sized->data[p] = sized->data[p] >= 128 && (!dst->data || dst->data[p]) ? 255 : 0;
    tgs_image_free(dst);
    *dst = *sized;
    sized->data = NULL;
}

/* src's 8-bit channel ch made binary (nonzero: 255) into a 1-channel image,
 * resampled to w x h and thresholded at 128; dst may hold a mask already, which
 * the result then narrows (both must keep a pixel). */
static tgs_status mask_from_channel(const tgs_image *src, int ch, int w, int h, tgs_image *dst) {
    const size_t n = (size_t)src->width * src->height;
    tgs_image bin = {src->width, src->height, 1, tgs_calloc(n ? n : 1, 1, "mask")}, sized = {0};
    if (!bin.data)
        return TGS_ERR_NOMEM;
    for (size_t p = 0; p < n; p++) {
        const unsigned char *px = src->data + p * (size_t)src->channels;
        int on = ch >= 0 ? px[ch] != 0 : (px[0] | px[src->channels > 1 ? 1 : 0] | px[src->channels > 2 ? 2 : 0]) != 0;
        bin.data[p] = on ? 255 : 0;
    }
    tgs_status st = TGS_OK;
    if (bin.width == w && bin.height == h) {
        sized = bin;
        bin.data = NULL;
    } else if ((st = tgs_image_resize(&bin, w, h, &sized)) != TGS_OK) {
        tgs_image_free(&bin);
        return st;
    }
    tgs_image_free(&bin);
    narrow_mask(dst, &sized);
    return TGS_OK;
}

/* The RGB channels of an RGBA image, not composited. */
static tgs_status rgb_of_rgba(const tgs_image *src, tgs_image *dst) {
    const size_t n = (size_t)src->width * src->height;
    *dst = (tgs_image){src->width, src->height, 3, tgs_calloc(n ? n * 3 : 1, 1, "image")};
    if (!dst->data)
        return TGS_ERR_NOMEM;
    for (size_t p = 0; p < n; p++)
        memcpy(dst->data + 3 * p, src->data + 4 * p, 3);
    return TGS_OK;
}

/* A mask that keeps no pixel of camera c is an error naming its file. */
static tgs_status check_kept(const tgs_camera *c, const tgs_image *mask) {
    if (!mask->data)
        return TGS_OK;
    size_t kept = 0;
    for (size_t p = 0; p < (size_t)mask->width * mask->height; p++)
        kept += mask->data[p] != 0;
    if (kept == 0)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: the mask keeps no pixel of camera '%s' at %dx%d (expected some "
                        "nonzero pixels)", c->mask_path[0] ? c->mask_path : c->image_path, c->image_name, c->width,
                        c->height);
    return TGS_OK;
}

/* Camera c's mask at its training size into *mask (empty: every pixel counts). */
static tgs_status load_mask(const tgs_camera *c, const tgs_image *raw, tgs_image *mask) {
    if (c->alpha_mask)
        TGS_TRY(mask_from_channel(raw, 3, c->width, c->height, mask));
    if (c->mask_path[0]) {
        tgs_image file = {0};
        TGS_TRY(tgs_image_load(c->mask_path, &file));
        tgs_status st = mask_from_channel(&file, file.channels == 1 ? 0 : -1, c->width, c->height, mask);
        tgs_image_free(&file);
        TGS_TRY(st);
    }
    return check_kept(c, mask);
}

/* The undistortion map of camera c at width x height: the cached one when it
 * is for the same camera, else made (and cached). */
static tgs_status undistort_map(const tgs_scene *s, const tgs_camera *c, int width, int height,
                                struct tgs_undistort_cache **out) {
    struct tgs_undistort_cache *u = s->undistort;
    if (u && u->map && u->width == width && u->height == height &&
        tgs_intrinsics_equal(&u->intrinsics, &c->intrinsics)) {
        *out = u;
        return TGS_OK;
    }
    if (!u)
        return TGS_FAIL(TGS_ERR_ARG, "scene without an undistortion cache (expected tgs_scene_load)");
    free(u->map);
    memset(u, 0, sizeof *u);
    if (!(u->map = tgs_calloc(2 * (size_t)width * (size_t)height, sizeof(float), "undistortion map")))
        return TGS_ERR_NOMEM;
    tgs_camera_model_undistort_map(&c->intrinsics, width, height, u->map, &u->n_valid);
    u->intrinsics = c->intrinsics;
    u->width = width, u->height = height;
    *out = u;
    return TGS_OK;
}

/* Undistorts img (the photograph at the camera's width x height) in place to
 * the centred PINHOLE camera. *mask (may be NULL; empty: every pixel counts),
 * in the photograph's geometry, is undistorted the same way and kept where it
 * is at least 128; with no mask, the pixels that have a source in the
 * photograph become one (the remap leaves the others 0 in both cases). */
static tgs_status undistort_image(const tgs_scene *s, const tgs_camera *c, tgs_image *img, tgs_image *mask) {
    if (tgs_intrinsics_is_pinhole(&c->intrinsics))
        return TGS_OK;
    const size_t n = (size_t)img->width * (size_t)img->height;
    struct tgs_undistort_cache *u = NULL;
    TGS_TRY(undistort_map(s, c, img->width, img->height, &u));
    tgs_image out = {0}, valid = {0};
    const int want_valid = mask && !mask->data && u->n_valid < n;
    TGS_TRY(tgs_camera_model_remap(img, u->map, &out, want_valid ? &valid : NULL));
    tgs_image_free(img);
    *img = out;
    if (want_valid) {
        *mask = valid;
    } else if (mask && mask->data) {
        tgs_image photo_mask = *mask, sized = {0};
        *mask = (tgs_image){0};
        tgs_status st = tgs_camera_model_remap(&photo_mask, u->map, &sized, NULL);
        tgs_image_free(&photo_mask);
        TGS_TRY(st);
        narrow_mask(mask, &sized);
        return check_kept(c, mask);
    }
    return TGS_OK;
}

tgs_status tgs_scene_load_image(const tgs_scene *s, int i, tgs_image *out, tgs_image *mask) {
    const tgs_camera *c = &s->cameras[i];
    tgs_image raw = {0}, rgb = {0}, m = {0};
    memset(out, 0, sizeof *out);
    if (mask)
        memset(mask, 0, sizeof *mask);
    TGS_TRY(tgs_image_load(c->image_path, &raw));
    tgs_status st = TGS_OK;
    if (raw.width != c->image_width || raw.height != c->image_height) {
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: image changed size since the scene was read", c->image_path);
        goto done;
    }
    if (c->alpha_mask && raw.channels != 4) {
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: image lost its alpha channel since the scene was read", c->image_path);
        goto done;
    }
    if (c->has_mask && (st = load_mask(c, &raw, &m)) != TGS_OK)
        goto done;
    if ((st = c->alpha_mask ? rgb_of_rgba(&raw, &rgb) : tgs_image_to_rgb(&raw, s->background, &rgb)) != TGS_OK)
        goto done;
    if (rgb.width == c->width && rgb.height == c->height) {
        *out = rgb;
        rgb.data = NULL;
    } else if ((st = tgs_image_resize(&rgb, c->width, c->height, out)) != TGS_OK) {
        goto done;
    }
    if ((st = undistort_image(s, c, out, mask ? &m : NULL)) != TGS_OK)
        goto done;
    if (mask) {
        *mask = m;
        m.data = NULL;
    }
done:
    tgs_image_free(&raw);
    tgs_image_free(&rgb);
    tgs_image_free(&m);
    if (st != TGS_OK)
        tgs_image_free(out);
    return st;
}

void tgs_scene_free(tgs_scene *s) {
    if (!s)
        return;
    free(s->cameras);
    free(s->train_idx);
    free(s->test_idx);
    free(s->points_xyz);
    free(s->points_rgb);
    if (s->undistort)
        free(s->undistort->map);
    free(s->undistort);
    memset(s, 0, sizeof *s);
}

tgs_camera_record tgs_camera_record_of(const tgs_camera *c) {
    tgs_camera_record r;
    memcpy(r.image_name, c->image_name, sizeof r.image_name);
    r.width = c->width;
    r.height = c->height;
    r.fx = c->fx;
    r.fy = c->fy;
    memcpy(r.R, c->R, sizeof r.R);
    memcpy(r.center, c->center, sizeof r.center);
    return r;
}

tgs_status tgs_scene_write_cameras(const char *path, const tgs_scene *scene) {
    if (!scene || scene->n_test < 0 || scene->n_train < 0 || scene->n_test > INT_MAX - scene->n_train)
        return TGS_FAIL(TGS_ERR_ARG, "%s: no scene or bad train/test counts (expected a loaded scene)",
                        path ? path : "cameras.json");
    const int n = scene->n_test + scene->n_train;
    tgs_camera_record *recs = tgs_calloc(n > 0 ? (size_t)n : 1, sizeof *recs, "camera records");
    if (!recs)
        return TGS_ERR_NOMEM;
    tgs_status st = TGS_OK;
    for (int i = 0; i < n && st == TGS_OK; i++) {
        const int k = i < scene->n_test ? scene->test_idx[i] : scene->train_idx[i - scene->n_test];
        if (k < 0 || k >= scene->n_cameras)
            st = TGS_FAIL(TGS_ERR_ARG, "%s: camera index %d out of range (expected 0..%d)", path, k,
                          scene->n_cameras - 1);
        else
            recs[i] = tgs_camera_record_of(&scene->cameras[k]);
    }
    if (st == TGS_OK)
        st = tgs_model_write_cameras_json(path, recs, n);
    free(recs);
    return st;
}
