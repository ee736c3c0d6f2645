/* distort_scene.h - the COLMAP distortion models written again, directly from
 * COLMAP's formulas and independently of src/scene/camera_model.c, and a maker
 * of distorted scenes: it warps the photographs of a pinhole scene as a camera
 * of another model would have taken them. Used by tests/test_camera_model.c and
 * bench/distort_scene.c (header-only: static functions). */
#ifndef TGS_TEST_DISTORT_SCENE_H
#define TGS_TEST_DISTORT_SCENE_H

#include "tgs/camera_model.h"
#include "tgs/image.h"
#include "tgs/io.h"
#include "tgs/scene.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Normalised (u, v) -> pixel (x, y) of a camera of COLMAP model `model` with
 * parameters p in COLMAP's order. */
static void ds_project(int model, const double *p, double u, double v, double *x, double *y) {
    double fx, fy, cx, cy;
    const double *k;
    if (model == 0 || model == 2 || model == 3 || model == 8 || model == 9)
        fx = fy = p[0], cx = p[1], cy = p[2], k = p + 3;
    else
        fx = p[0], fy = p[1], cx = p[2], cy = p[3], k = p + 4;
    if (model == 5 || model == 8 || model == 9) { /* fisheye: the angle theta from the axis */
        double r = sqrt(u * u + v * v);
        if (r > 1e-300) {
            u = u * atan(r) / r;
            v = v * atan(r) / r;
        }
    }
    double r2 = u * u + v * v, dx = 0, dy = 0;
    switch (model) {
    case 2: case 8: /* SIMPLE_RADIAL, SIMPLE_RADIAL_FISHEYE */
        dx = u * k[0] * r2, dy = v * k[0] * r2;
        break;
    case 3: case 9: /* RADIAL, RADIAL_FISHEYE */
        dx = u * (k[0] * r2 + k[1] * r2 * r2), dy = v * (k[0] * r2 + k[1] * r2 * r2);
        break;
    case 4: { /* OPENCV: k1, k2, p1, p2 */
        double radial = k[0] * r2 + k[1] * r2 * r2;
        dx = u * radial + 2 * k[2] * u * v + k[3] * (r2 + 2 * u * u);
        dy = v * radial + 2 * k[3] * u * v + k[2] * (r2 + 2 * v * v);
        break;
    }
    case 5: { /* OPENCV_FISHEYE: k1..k4 in theta^2 */
        double radial = k[0] * r2 + k[1] * r2 * r2 + k[2] * r2 * r2 * r2 + k[3] * r2 * r2 * r2 * r2;
        dx = u * radial, dy = v * radial;
        break;
    }
    case 6: { /* FULL_OPENCV: k1, k2, p1, p2, k3, k4, k5, k6 */
        double r4 = r2 * r2, r6 = r4 * r2;
        double radial = (1 + k[0] * r2 + k[1] * r4 + k[4] * r6) / (1 + k[5] * r2 + k[6] * r4 + k[7] * r6);
        dx = u * radial + 2 * k[2] * u * v + k[3] * (r2 + 2 * u * u) - u;
        dy = v * radial + 2 * k[3] * u * v + k[2] * (r2 + 2 * v * v) - v;
        break;
    }
    default: /* pinhole */
        break;
    }
    *x = fx * (u + dx) + cx;
    *y = fy * (v + dy) + cy;
}

/* Pixel (x, y) -> normalised (u, v): a damped fixed-point iteration that moves
 * the undistorted point against the error of its projection, scaled by the
 * ratio of undistorted to distorted radius, until it projects to (x, y) within
 * 1e-13 (normalised). 1 on success. */
static int ds_unproject(int model, const double *p, double x, double y, double *u, double *v) {
    double fx, fy, cx, cy;
    if (model == 0 || model == 2 || model == 3 || model == 8 || model == 9)
        fx = fy = p[0], cx = p[1], cy = p[2];
    else
        fx = p[0], fy = p[1], cx = p[2], cy = p[3];
    const double xd = (x - cx) / fx, yd = (y - cy) / fy;
    double a = xd, b = yd; /* the undistorted point, refined until it projects to (x, y) */
    for (int it = 0; it < 500; it++) {
        double px, py;
        ds_project(model, p, a, b, &px, &py);
        const double ex = (px - x) / fx, ey = (py - y) / fy;
        if (fabs(ex) < 1e-13 && fabs(ey) < 1e-13) {
            *u = a, *v = b;
            return 1;
        }
        /* damped correction scaled by the current local magnification */
        double r_u = sqrt(a * a + b * b) + 1e-12, r_d = sqrt((px - cx) * (px - cx) / (fx * fx) +
                                                              (py - cy) * (py - cy) / (fy * fy)) + 1e-12;
        double g = r_u / r_d;
        a -= g * ex;
        b -= g * ey;
        if (!isfinite(a) || !isfinite(b) || a * a + b * b > 1e6)
            return 0;
    }
    return 0;
}

/* Bilinear sample of an 8-bit RGB image at index coordinates (sx, sy) (pixel
 * (i, j)'s centre at (i, j)), edge pixels extended; 0 outside [-0.5, W-0.5]. */
static int ds_sample(const tgs_image *im, double sx, double sy, double rgb[3]) {
    const int W = im->width, H = im->height;
    if (!(sx >= -0.5 && sx <= W - 0.5 && sy >= -0.5 && sy <= H - 0.5))
        return 0;
    sx = sx < 0 ? 0 : sx > W - 1 ? W - 1 : sx;
    sy = sy < 0 ? 0 : sy > H - 1 ? H - 1 : sy;
    int x0 = (int)sx, y0 = (int)sy, x1 = x0 + 1 < W ? x0 + 1 : x0, y1 = y0 + 1 < H ? y0 + 1 : y0;
    double ax = sx - x0, ay = sy - y0;
    for (int c = 0; c < 3; c++) {
        double p00 = im->data[((size_t)y0 * W + x0) * 3 + c], p01 = im->data[((size_t)y0 * W + x1) * 3 + c];
        double p10 = im->data[((size_t)y1 * W + x0) * 3 + c], p11 = im->data[((size_t)y1 * W + x1) * 3 + c];
        double top = p00 + ax * (p01 - p00), bot = p10 + ax * (p11 - p10);
        rgb[c] = top + ay * (bot - top);
    }
    return 1;
}

/* The photograph that a camera of `model` (params p, for an image of pin's
 * size) takes of what the centred pinhole camera (fx, fy) saw in pin:
 * bilinear, black where the ray leaves pin. */
static int ds_warp(const tgs_image *pin, double fx, double fy, int model, const double *p, tgs_image *out) {
    const int W = pin->width, H = pin->height;
    out->width = W, out->height = H, out->channels = 3;
    out->data = calloc((size_t)W * H * 3, 1);
    if (!out->data)
        return 0;
    for (int j = 0; j < H; j++)
        for (int i = 0; i < W; i++) {
            double u, v, rgb[3];
            if (!ds_unproject(model, p, i + 0.5, j + 0.5, &u, &v))
                continue;
            if (!ds_sample(pin, fx * u + 0.5 * W - 0.5, fy * v + 0.5 * H - 0.5, rgb))
                continue;
            for (int c = 0; c < 3; c++)
                out->data[((size_t)j * W + i) * 3 + c] = (unsigned char)(rgb[c] + 0.5);
        }
    return 1;
}

/* Makes out_dir/sparse/0 (text files) and out_dir/images (PNG) from the COLMAP scene src_dir
 * (one pinhole camera) with its photographs in src_dir/images_dir, as taken
 * by a camera of `model` whose focal lengths are the scene's and whose
 * principal point and coefficients are pp_and_k (cx, cy as fractions of the
 * width and height, then the model's coefficients). Returns 0 on success,
 * prints the reason and returns 1 otherwise. */
static int ds_make_scene(const char *src_dir, const char *images_dir, const char *out_dir, int model,
                         const double *pp_and_k) {
    char path[8192];
    snprintf(path, sizeof path, "%s/sparse/0", src_dir);
    tgs_colmap_model m;
    if (tgs_colmap_read(path, &m) != TGS_OK) {
        fprintf(stderr, "%s\n", tgs_error_message());
        return 1;
    }
    const tgs_camera_model_info *info = tgs_camera_model_by_id(model);
    const tgs_colmap_camera *c0 = &m.cameras[0];
    const double fx0 = c0->params[0], fy0 = c0->model == 0 ? c0->params[0] : c0->params[1];
    const double W0 = (double)c0->width, H0 = (double)c0->height;
    int rc = 1;
    FILE *f = NULL;
    snprintf(path, sizeof path, "%s/sparse", out_dir);
    mkdir(out_dir, 0755), mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/sparse/0", out_dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/images", out_dir);
    mkdir(path, 0755);
    /* the camera at the full frame the COLMAP model describes */
    double p[16];
    int n = 0, n_k = info->n_params - (info->single_focal ? 3 : 4);
    p[n++] = fx0;
    if (!info->single_focal)
        p[n++] = fy0;
    p[n++] = pp_and_k[0] * W0, p[n++] = pp_and_k[1] * H0;
    for (int k = 0; k < n_k; k++)
        p[n++] = pp_and_k[2 + k];
    snprintf(path, sizeof path, "%s/sparse/0/cameras.txt", out_dir);
    if (!(f = fopen(path, "w")))
        goto done;
    fprintf(f, "1 %s %.0f %.0f", info->name, W0, H0);
    for (int k = 0; k < n; k++)
        fprintf(f, " %.17g", p[k]);
    fprintf(f, "\n");
    fclose(f);
    snprintf(path, sizeof path, "%s/sparse/0/points3D.txt", out_dir);
    if (!(f = fopen(path, "w")))
        goto done;
    for (size_t i = 0; i < m.n_points; i++)
        fprintf(f, "%zu %.17g %.17g %.17g %d %d %d 0\n", i + 1, m.xyz[3 * i], m.xyz[3 * i + 1], m.xyz[3 * i + 2],
                m.rgb[3 * i], m.rgb[3 * i + 1], m.rgb[3 * i + 2]);
    fclose(f);
    snprintf(path, sizeof path, "%s/sparse/0/images.txt", out_dir);
    if (!(f = fopen(path, "w")))
        goto done;
    for (size_t i = 0; i < m.n_images; i++) {
        const tgs_colmap_image *im = &m.images[i];
        char stem[4096];
        snprintf(stem, sizeof stem, "%s", im->name);
        char *dot = strrchr(stem, '.');
        if (dot)
            *dot = '\0';
        fprintf(f, "%d %.17g %.17g %.17g %.17g %.17g %.17g %.17g 1 %s.png\n\n", im->id, im->qvec[0], im->qvec[1],
                im->qvec[2], im->qvec[3], im->tvec[0], im->tvec[1], im->tvec[2], stem);
        /* the photograph at its own size: the camera scaled to it */
        tgs_image raw = {0}, rgb = {0}, warped = {0};
        snprintf(path, sizeof path, "%s/%s/%s", src_dir, images_dir, im->name);
        if (tgs_image_load(path, &raw) != TGS_OK || tgs_image_to_rgb(&raw, NULL, &rgb) != TGS_OK) {
            fprintf(stderr, "%s\n", tgs_error_message());
            fclose(f);
            goto done;
        }
        const double sx = rgb.width / W0, sy = rgb.height / H0;
        double ps[16];
        memcpy(ps, p, sizeof ps);
        ps[0] *= sx;
        if (!info->single_focal)
            ps[1] *= sy;
        int ic = info->single_focal ? 1 : 2;
        ps[ic] *= sx, ps[ic + 1] *= sy;
        const double fxs = fx0 * sx, fys = fy0 * sy;
        int ok = ds_warp(&rgb, fxs, fys, model, ps, &warped);
        snprintf(path, sizeof path, "%s/images/%s.png", out_dir, stem);
        ok = ok && tgs_image_save_png(path, &warped) == TGS_OK;
        tgs_image_free(&raw), tgs_image_free(&rgb), tgs_image_free(&warped);
        if (!ok) {
            fprintf(stderr, "%s: cannot write\n", path);
            fclose(f);
            goto done;
        }
    }
    fclose(f);
    rc = 0;
done:
    tgs_colmap_free(&m);
    return rc;
}

/* PSNR of b against a over the pixels that mask keeps (all when empty); *kept:
 * the share of the frame kept. */
static double ds_masked_psnr(const tgs_image *a, const tgs_image *b, const tgs_image *mask, double *kept) {
    double se = 0;
    size_t n = 0, np = (size_t)a->width * a->height;
    for (size_t k = 0; k < np; k++) {
        if (mask->data && !mask->data[k])
            continue;
        for (int c = 0; c < 3; c++) {
            double d = (double)a->data[3 * k + c] - b->data[3 * k + c];
            se += d * d;
        }
        n++;
    }
    *kept = (double)n / np;
    return 10 * log10(255.0 * 255.0 / (se / (3.0 * n)));
}

/* Loads both scenes with --eval and compares the test views of dist (as tgs
 * undistorts them) with those of orig: mean PSNR over the valid pixels, the
 * least share of valid pixels, the number of views. 0 on success. */
static int ds_compare(const char *orig, const char *orig_images, const char *dist, double *psnr, double *kept_min,
                      int *n_views) {
    tgs_scene_options o = {.source_path = orig, .images = orig_images, .resolution = -1, .eval = 1, .quiet = 1};
    tgs_scene so, sd;
    if (tgs_scene_load(&o, &so) != TGS_OK) {
        fprintf(stderr, "%s\n", tgs_error_message());
        return 1;
    }
    o.source_path = dist, o.images = "images";
    if (tgs_scene_load(&o, &sd) != TGS_OK) {
        fprintf(stderr, "%s\n", tgs_error_message());
        tgs_scene_free(&so);
        return 1;
    }
    int rc = so.n_test == sd.n_test ? 0 : 1;
    double sum = 0;
    *kept_min = 1;
    for (int t = 0; t < sd.n_test && rc == 0; t++) {
        const int i = sd.test_idx[t];
        tgs_image a = {0}, b = {0}, mask = {0};
        if (tgs_scene_load_image(&so, so.test_idx[t], &a, NULL) != TGS_OK ||
            tgs_scene_load_image(&sd, i, &b, &mask) != TGS_OK) {
            fprintf(stderr, "%s\n", tgs_error_message());
            rc = 1;
        } else if (a.width != b.width || a.height != b.height ||
                   strcmp(so.cameras[so.test_idx[t]].image_name, sd.cameras[i].image_name) != 0) {
            fprintf(stderr, "view %s: sizes or names differ\n", sd.cameras[i].image_name);
            rc = 1;
        } else {
            double kept;
            sum += ds_masked_psnr(&a, &b, &mask, &kept);
            *kept_min = fmin(*kept_min, kept);
        }
        tgs_image_free(&a), tgs_image_free(&b), tgs_image_free(&mask);
    }
    *n_views = sd.n_test;
    *psnr = sd.n_test ? sum / sd.n_test : 0;
    tgs_scene_free(&so);
    tgs_scene_free(&sd);
    return rc;
}

#endif
