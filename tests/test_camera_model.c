/* test_camera_model.c - COLMAP camera models: distortion and undistortion of
 * each accepted model are inverse to 1e-4 px over the frame, in double and
 * float, against the formulas written again in tests/distort_scene.h; the
 * undistortion map; scenes made from data/tiny_fox by warping its photographs
 * through an OPENCV and an OPENCV_FISHEYE camera load back (undistorted) close
 * to the originals. */
#include "check.h"
#include "distort_scene.h"
#include "tgs/camera_model.h"

#include <math.h>
#include <string.h>

#define W 640
#define H 480

static const struct {
    int model;
    double p[12];
} k_cams[] = {
    {0, {500, 330, 235}},
    {1, {500, 510, 330, 235}},
    {2, {500, 330, 235, -0.1}},
    {3, {500, 330, 235, -0.12, 0.03}},
    {4, {500, 510, 330, 235, -0.1, 0.02, 0.001, -0.0015}},
    {5, {300, 305, 330, 235, 0.05, -0.02, 0.01, -0.002}},
    {6, {500, 510, 330, 235, 0.1, -0.05, 0.001, -0.001, 0.01, 0.2, -0.03, 0.01}},
    {8, {300, 330, 235, 0.03}},
    {9, {300, 330, 235, 0.03, -0.005}},
};
#define N_CAMS ((int)(sizeof k_cams / sizeof k_cams[0]))

/* Undistorts every 4th pixel of a width x height frame with the code under
 * test, projects back with the test's formulas; distorts the result and
 * compares again. Max errors in px: err[0] undistort (double), err[1] distort
 * (double), err[2], err[3] the same in float; fails: pixels that did not undistort. */
static void inverse_errors(int model, const double *p, int width, int height, double err[4], int *fails) {
    const tgs_camera_model_info *info = tgs_camera_model_by_id(model);
    tgs_intrinsics in;
    CHECK_OK(tgs_intrinsics_from_colmap(model, p, info->n_params, &in));
    memset(err, 0, 4 * sizeof(double));
    *fails = 0;
    for (int j = 0; j < height; j += 4)
        for (int i = 0; i < width; i += 4) {
            const double x = i + 0.5, y = j + 0.5;
            double u, v, px, py, qx, qy;
            float uf, vf, qxf, qyf;
            if (!tgs_camera_model_undistort(&in, x, y, &u, &v) ||
                !tgs_camera_model_undistortf(&in, (float)x, (float)y, &uf, &vf)) {
                (*fails)++;
                continue;
            }
            ds_project(model, p, u, v, &px, &py);
            tgs_camera_model_distort(&in, u, v, &qx, &qy);
            err[0] = fmax(err[0], fmax(fabs(px - x), fabs(py - y)));
            err[1] = fmax(err[1], fmax(fabs(qx - px), fabs(qy - py)));
            ds_project(model, p, uf, vf, &px, &py);
            tgs_camera_model_distortf(&in, uf, vf, &qxf, &qyf);
            err[2] = fmax(err[2], fmax(fabs(px - x), fabs(py - y)));
            err[3] = fmax(err[3], fmax(fabs(qxf - px), fabs(qyf - py)));
        }
}

/* Each model at 640x480 and, scaled by 1/2, at 320x240: float's 24 bits hold
 * pixel coordinates to 3e-5 px at 320 but only 6e-5 px at 640, so the float
 * variant is held to 1e-4 px on the smaller frame. */
static void test_inverse(void) {
    for (int t = 0; t < N_CAMS; t++) {
        const tgs_camera_model_info *info = tgs_camera_model_by_id(k_cams[t].model);
        double half[12], e[4], eh[4];
        memcpy(half, k_cams[t].p, sizeof half);
        for (int k = 0; k < (info->single_focal ? 3 : 4); k++)
            half[k] *= 0.5;
        int fails, fails_h;
        inverse_errors(k_cams[t].model, k_cams[t].p, W, H, e, &fails);
        inverse_errors(k_cams[t].model, half, W / 2, H / 2, eh, &fails_h);
        printf("%-22s undistort->project / distort vs test formulas, max error in px: double %.1e / %.1e at "
               "%dx%d; float %.1e / %.1e at %dx%d (%.1e / %.1e at %dx%d)\n", info->name, e[0], e[1], W, H, eh[2],
               eh[3], W / 2, H / 2, e[2], e[3], W, H);
        CHECK(fails == 0 && fails_h == 0, "%s: undistortion failed at %d + %d pixels", info->name, fails, fails_h);
        CHECK(e[0] < 1e-4 && e[1] < 1e-4 && eh[0] < 1e-4 && eh[1] < 1e-4, "%s: double errors %g %g px", info->name,
              e[0], e[1]);
        CHECK(eh[2] < 1e-4 && eh[3] < 1e-4 && e[2] < 2e-4 && e[3] < 2e-4, "%s: float errors %g %g (%g %g) px",
              info->name, eh[2], eh[3], e[2], e[3]);
    }
}

/* Undistortion reports failure: past the fold of a strong barrel, and fisheye
 * rays at 90 degrees or more from the axis. */
static void test_failures(void) {
    const double strong[4] = {500, 320, 240, -1.0}; /* r(1 - r^2) peaks at r = 0.577, 0.385 */
    tgs_intrinsics in;
    CHECK_OK(tgs_intrinsics_from_colmap(TGS_CAM_SIMPLE_RADIAL, strong, 4, &in));
    double u, v;
    float uf, vf;
    CHECK(tgs_camera_model_undistort(&in, 320 + 0.3 * 500, 240, &u, &v), "inside the fold: converges");
    CHECK(!tgs_camera_model_undistort(&in, 320 + 0.5 * 500, 240, &u, &v), "past the fold: no solution");
    CHECK(!tgs_camera_model_undistortf(&in, 320 + 0.5f * 500, 240, &uf, &vf), "past the fold (float)");
    CHECK(tgs_camera_model_check(&in, 640, 480) == TGS_ERR_FORMAT, "check refuses it");
    printf("e.g. %s\n", tgs_error_message());
    const double fish[8] = {100, 100, 320, 240, 0, 0, 0, 0}; /* theta = r/f: 90 degrees at 157 px */
    CHECK_OK(tgs_intrinsics_from_colmap(TGS_CAM_OPENCV_FISHEYE, fish, 8, &in));
    CHECK(tgs_camera_model_undistort(&in, 320 + 150, 240, &u, &v) && fabs(u - tan(1.5)) < 1e-9, "fisheye 86 deg");
    CHECK(!tgs_camera_model_undistort(&in, 320 + 160, 240, &u, &v), "fisheye 91.7 deg: no pinhole ray");
    CHECK_OK(tgs_camera_model_check(&in, 640, 480)); /* a wide fisheye is fine: its corners stay unused */
    CHECK(fabs(tgs_camera_model_valid_fraction(&in, 640, 480, 0) - 1.0) < 1e-12, "pinhole of a fisheye: all valid");
    const double bad_count[3] = {500, 320, 240};
    CHECK(tgs_intrinsics_from_colmap(TGS_CAM_OPENCV, bad_count, 3, &in) == TGS_ERR_FORMAT, "count");
    CHECK(tgs_intrinsics_from_colmap(TGS_CAM_FOV, bad_count, 3, &in) == TGS_ERR_UNSUPPORTED, "FOV");
}

/* The undistortion map against the test's projection of each output pixel's ray. */
static void test_map(void) {
    const int w = 96, h = 64;
    const double p[8] = {80, 82, 50, 30, 0.15, 0.05, 0.002, -0.003}; /* pincushion: the corners leave the frame */
    tgs_intrinsics in;
    CHECK_OK(tgs_intrinsics_from_colmap(TGS_CAM_OPENCV, p, 8, &in));
    float *map = malloc(sizeof(float) * 2 * w * h);
    size_t n_valid = 0;
    tgs_camera_model_undistort_map(&in, w, h, map, &n_valid);
    size_t n_expect = 0;
    double err = 0;
    int wrong = 0;
    for (int j = 0; j < h; j++)
        for (int i = 0; i < w; i++) {
            double x, y;
            ds_project(TGS_CAM_OPENCV, p, (i + 0.5 - 0.5 * w) / p[0], (j + 0.5 - 0.5 * h) / p[1], &x, &y);
            const int inside = x >= 0 && x <= w && y >= 0 && y <= h;
            const float *m = map + 2 * (j * w + i);
            n_expect += inside;
            if (inside != !isnan(m[0]))
                wrong++;
            else if (inside)
                err = fmax(err, fmax(fabs(m[0] - (x - 0.5)), fabs(m[1] - (y - 0.5))));
        }
    printf("map %dx%d: %zu of %d pixels valid, max error %.1e px\n", w, h, n_valid, w * h, err);
    CHECK(wrong == 0 && n_valid == n_expect && n_valid < (size_t)(w * h) && n_valid > (size_t)(w * h) / 2,
          "map validity: %d wrong, %zu valid, %zu expected", wrong, n_valid, n_expect);
    CHECK(err < 1e-3, "map error %g px", err);
    CHECK(fabs(tgs_camera_model_valid_fraction(&in, w, h, 0) - (double)n_valid / (w * h)) < 1e-12, "fraction");
    /* remap of a constant image: the constant where valid, 0 and a 0 mask elsewhere */
    tgs_image src = {w, h, 3, malloc((size_t)w * h * 3)}, dst, valid;
    memset(src.data, 200, (size_t)w * h * 3);
    CHECK_OK(tgs_camera_model_remap(&src, map, &dst, &valid));
    int bad = 0;
    for (int k = 0; k < w * h; k++)
        bad += isnan(map[2 * k]) ? (valid.data[k] != 0 || dst.data[3 * k] != 0) :
                                   (valid.data[k] != 255 || dst.data[3 * k] != 200);
    CHECK(bad == 0, "remap: %d pixels wrong", bad);
    tgs_image_free(&src), tgs_image_free(&dst), tgs_image_free(&valid);
    free(map);
}

/* tiny_fox warped through a camera of `model`, loaded by tgs: its test views
 * against the original photographs. */
static void test_scene(int model, const double *pp_and_k, double min_psnr) {
    const char *src = TGS_REPO_DIR "/data/tiny_fox";
    char dir[256];
    check_tmpdir(dir, sizeof dir, "distorted_fox");
    CHECK(ds_make_scene(src, "images", dir, model, pp_and_k) == 0, "making the scene");
    double psnr = 0, kept_min = 0;
    int n = 0;
    CHECK(ds_compare(src, "images", dir, &psnr, &kept_min, &n) == 0, "comparing");
    const char *name = tgs_camera_model_by_id(model)->name;
    printf("tiny_fox through %s, warped then undistorted (both bilinear): %d test views, PSNR %.2f dB over the "
           "valid pixels (at least %.1f%% of each frame)\n", name, n, psnr, 100 * kept_min);
    CHECK(psnr > min_psnr && n == 7, "%s: PSNR %.2f dB over %d views (expected > %.1f)", name, psnr, n, min_psnr);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0, "rm %s", dir);
}

/* Per-image cameras of different models: tiny_fox through OPENCV with every
 * other image declared PINHOLE (camera 2): those load as their files are, the
 * others undistorted. */
static void test_mixed_models(void) {
    const char *src = TGS_REPO_DIR "/data/tiny_fox";
    char dir[256], cmd[1024];
    check_tmpdir(dir, sizeof dir, "mixed_fox");
    const double opencv[6] = {0.5, 0.5, -0.05, 0, 0, 0};
    CHECK(ds_make_scene(src, "images", dir, TGS_CAM_OPENCV, opencv) == 0, "making the scene");
    snprintf(cmd, sizeof cmd, "echo '2 PINHOLE 1061 1893 1375 1375 530.5 946.5' >> '%s/sparse/0/cameras.txt' && "
             "sed -i '1~4s/ 1 \\([0-9]*\\.png\\)$/ 2 \\1/' '%s/sparse/0/images.txt'", dir, dir);
    CHECK(system(cmd) == 0, "%s", cmd);
    tgs_scene_options o = {.source_path = dir, .images = "images", .resolution = -1, .quiet = 1};
    tgs_scene sc;
    CHECK_OK(tgs_scene_load(&o, &sc));
    int n_pin = 0, n_ocv = 0, n_same = 0;
    for (int i = 0; i < sc.n_cameras && check_failures == 0; i++) {
        tgs_image a = {0}, file = {0}, mask = {0};
        CHECK_OK(tgs_scene_load_image(&sc, i, &a, &mask));
        CHECK_OK(tgs_image_load(sc.cameras[i].image_path, &file));
        const int pin = sc.cameras[i].intrinsics.model == TGS_CAM_PINHOLE;
        n_pin += pin, n_ocv += sc.cameras[i].intrinsics.model == TGS_CAM_OPENCV;
        const int same = a.width == file.width && a.height == file.height && file.channels == 3 &&
                         !memcmp(a.data, file.data, tgs_image_bytes(a.width, a.height, 3));
        n_same += same;
        CHECK(same == pin && (!pin || !mask.data), "image %d (%s): %s", i, sc.cameras[i].model,
              same ? "unchanged" : "resampled");
        tgs_image_free(&a), tgs_image_free(&file), tgs_image_free(&mask);
    }
    printf("mixed models: %d PINHOLE images loaded as they are, %d OPENCV images undistorted\n", n_pin, n_ocv);
    CHECK(n_pin == 25 && n_ocv == 25 && n_same == 25, "PINHOLE %d OPENCV %d unchanged %d", n_pin, n_ocv, n_same);
    tgs_scene_free(&sc);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0, "rm %s", dir);
}

/* A --masks file is drawn in the distorted photograph's geometry: it is
 * undistorted with the photograph. Each mask keeps the left half of its
 * photograph; a loaded pixel must be kept exactly when its source in the
 * photograph lies in that half (pixels within 1.5 of the edge not judged) and
 * never when it has no source. */
static void test_masks_undistorted(void) {
    const char *src = TGS_REPO_DIR "/data/tiny_fox";
    char dir[256], masks[300], path[600], cmd[600];
    check_tmpdir(dir, sizeof dir, "masked_fox");
    const double opencv[6] = {0.56, 0.49, 0.08, 0.02, 0.002, -0.001}; /* principal point 6% right of centre */
    CHECK(ds_make_scene(src, "images", dir, TGS_CAM_OPENCV, opencv) == 0, "making the scene");
    snprintf(masks, sizeof masks, "%s/masks", dir);
    mkdir(masks, 0755);
    tgs_scene_options o = {.source_path = dir, .images = "images", .resolution = -1, .quiet = 1};
    tgs_scene sc;
    CHECK_OK(tgs_scene_load(&o, &sc));
    for (int i = 0; i < sc.n_cameras && check_failures == 0; i++) {
        const tgs_camera *c = &sc.cameras[i];
        tgs_image m = {c->image_width, c->image_height, 1, calloc((size_t)c->image_width * c->image_height, 1)};
        for (int y = 0; y < m.height; y++)
            memset(m.data + (size_t)y * m.width, 255, (size_t)m.width / 2);
        snprintf(path, sizeof path, "%s/%s.png", masks, c->image_name);
        CHECK_OK(tgs_image_save_png(path, &m));
        tgs_image_free(&m);
    }
    tgs_scene_free(&sc);
    o.masks = masks;
    CHECK_OK(tgs_scene_load(&o, &sc));
    size_t wrong = 0, kept = 0, judged = 0;
    for (int i = 0; i < sc.n_cameras && check_failures == 0; i++) {
        const tgs_camera *c = &sc.cameras[i];
        tgs_image a = {0}, mask = {0};
        CHECK_OK(tgs_scene_load_image(&sc, i, &a, &mask));
        float *map = calloc(2 * (size_t)c->width * c->height, sizeof(float));
        CHECK(map && mask.data, "camera %d: no map or no mask", i);
        if (!map || !mask.data) {
            free(map), tgs_image_free(&a), tgs_image_free(&mask);
            break;
        }
        tgs_camera_model_undistort_map(&c->intrinsics, c->width, c->height, map, NULL);
        const double half = (double)(c->image_width / 2) * c->width / c->image_width; /* the kept half */
        for (size_t p = 0; p < (size_t)c->width * c->height; p++) {
            const double sx = map[2 * p] + 0.5; /* COLMAP coordinates */
            const int on = mask.data[p] != 0;
            kept += on;
            if (isnan(map[2 * p])) {
                wrong += on;
            } else if (fabs(sx - half) > 1.5) {
                judged++;
                wrong += on != (sx < half);
            }
        }
        free(map), tgs_image_free(&a), tgs_image_free(&mask);
    }
    printf("masks through OPENCV: %zu pixels judged, %zu kept, %zu wrong\n", judged, kept, wrong);
    CHECK(wrong == 0 && kept > 0 && judged > 0, "%zu of %zu mask pixels disagree with their source", wrong, judged);
    /* a mask that keeps only the photograph's first two columns, which no undistorted pixel samples here
     * (the map reaches x >= 4): empty once undistorted, an error naming the file */
    const tgs_camera *c0 = &sc.cameras[0];
    tgs_image m = {c0->image_width, c0->image_height, 1, calloc((size_t)c0->image_width * c0->image_height, 1)};
    for (int y = 0; y < m.height; y++)
        m.data[(size_t)y * m.width] = m.data[(size_t)y * m.width + 1] = 255;
    CHECK_OK(tgs_image_save_png(c0->mask_path, &m));
    tgs_image_free(&m);
    tgs_image a = {0}, mask = {0};
    const tgs_status st = tgs_scene_load_image(&sc, 0, &a, &mask);
    CHECK(st == TGS_ERR_FORMAT && strstr(tgs_error_message(), "keeps no pixel") && !a.data && !mask.data,
          "a mask left empty by the undistortion: status %d, '%s'", (int)st, tgs_error_message());
    tgs_scene_free(&sc);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0, "rm %s", dir);
}

int main(void) {
    test_inverse();
    test_failures();
    test_map();
    test_mixed_models();
    test_masks_undistorted();
    const double opencv[6] = {0.52, 0.49, 0.08, 0.02, 0.002, -0.001};
    test_scene(TGS_CAM_OPENCV, opencv, 31);
    const double fisheye[6] = {0.5, 0.5, 0.04, -0.01, 0.002, 0};
    test_scene(TGS_CAM_OPENCV_FISHEYE, fisheye, 28);
    return check_report("test_camera_model");
}
