/* test_model_files.c - cameras.json, cfg_args (write, read, reference-style
 * input, malformed input) and `tgs metrics` on a small synthetic model folder. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tgs/image.h"
#include "tgs/model.h"
#include "tgs/scene.h"

static char tmpdir[256];

static int file_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

static char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
}

static double jnum(const json_t *o, const char *key) {
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A camera looking along a rotated axis: R = Rz(a) * Rx(b), centre c, t = -R c. */
static void make_camera(tgs_camera *c, const char *name, double a, double b, const double ctr[3], int w, int h) {
    memset(c, 0, sizeof *c);
    snprintf(c->image_name, sizeof c->image_name, "%s", name);
    c->width = w;
    c->height = h;
    c->fx = 1375.531061741691 * w / 1061.0;
    c->fy = 1374.774214630182 * h / 1893.0;
    double rz[9] = {cos(a), -sin(a), 0, sin(a), cos(a), 0, 0, 0, 1};
    double rx[9] = {1, 0, 0, 0, cos(b), -sin(b), 0, sin(b), cos(b)};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int k = 0; k < 3; k++)
                s += rz[3 * i + k] * rx[3 * k + j];
            c->R[3 * i + j] = s;
        }
    for (int i = 0; i < 3; i++) {
        c->center[i] = ctr[i];
        c->t[i] = -(c->R[3 * i] * ctr[0] + c->R[3 * i + 1] * ctr[1] + c->R[3 * i + 2] * ctr[2]);
    }
}

static void check_camera_json(const json_t *o, int id, const tgs_camera *c) {
    static const char *const keys[] = {"id", "img_name", "width", "height", "position", "rotation", "fy", "fx"};
    CHECK(json_is_object(o) && json_object_size(o) == 8, "camera %d: expected an object of 8 keys", id);
    /* key order as the reference writes it */
    int k = 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)o, key, v) {
        CHECK(k < 8 && strcmp(key, keys[k]) == 0, "camera %d: key %d is %s (expected %s)", id, k, key,
              k < 8 ? keys[k] : "none");
        k++;
    }
    CHECK(json_integer_value(json_object_get(o, "id")) == id, "id");
    CHECK(strcmp(json_string_value(json_object_get(o, "img_name")), c->image_name) == 0, "img_name");
    CHECK(json_is_integer(json_object_get(o, "width")) && jnum(o, "width") == c->width, "width");
    CHECK(json_is_integer(json_object_get(o, "height")) && jnum(o, "height") == c->height, "height");
    CHECK(jnum(o, "fx") == c->fx && jnum(o, "fy") == c->fy, "fx %.17g fy %.17g", jnum(o, "fx"), jnum(o, "fy"));
    const json_t *pos = json_object_get(o, "position");
    CHECK(json_array_size(pos) == 3, "position size");
    for (int i = 0; i < 3; i++)
        CHECK(json_number_value(json_array_get(pos, (size_t)i)) == c->center[i], "position[%d]", i);
    /* rotation is camera-to-world: rotation * (R x + t) + position == x for a world point x */
    const json_t *rot = json_object_get(o, "rotation");
    CHECK(json_array_size(rot) == 3, "rotation rows");
    double m[9];
    for (int r = 0; r < 3; r++) {
        const json_t *row = json_array_get(rot, (size_t)r);
        CHECK(json_array_size(row) == 3, "rotation row %d", r);
        for (int j = 0; j < 3; j++)
            m[3 * r + j] = json_number_value(json_array_get(row, (size_t)j));
    }
    const double x[3] = {0.3, -1.2, 2.5};
    double xc[3], back[3];
    for (int i = 0; i < 3; i++)
        xc[i] = c->R[3 * i] * x[0] + c->R[3 * i + 1] * x[1] + c->R[3 * i + 2] * x[2] + c->t[i];
    for (int i = 0; i < 3; i++) {
        back[i] = m[3 * i] * xc[0] + m[3 * i + 1] * xc[1] + m[3 * i + 2] * xc[2] +
                  json_number_value(json_array_get(pos, (size_t)i));
        CHECK(fabs(back[i] - x[i]) < 1e-12, "camera %d: camera-to-world maps back to %g (expected %g)", id, back[i],
              x[i]);
    }
}

static void test_cameras_json(void) {
    tgs_camera cams[2];
    const double c0[3] = {-2.541112088047387, 0.8611359039543292, -3.344331416078011};
    const double c1[3] = {0.19943865327071245, 0.4176597465941882, -2.3816616867532967};
    make_camera(&cams[0], "0001", 0.3, -0.2, c0, 266, 474);
    make_camera(&cams[1], "caf\xc3\xa9", -1.1, 0.7, c1, 200, 100);
    tgs_camera_record recs[2] = {tgs_camera_record_of(&cams[0]), tgs_camera_record_of(&cams[1])};
    char path[512];
    snprintf(path, sizeof path, "%s/cameras.json", tmpdir);
    CHECK_OK(tgs_model_write_cameras_json(path, recs, 2));
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CHECK(!file_exists(tmp), "%s left behind", tmp);

    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    CHECK(root != NULL, "%s: %s", path, jerr.text);
    CHECK(json_is_array(root) && json_array_size(root) == 2, "expected an array of 2 cameras");
    for (int i = 0; root && i < 2; i++)
        check_camera_json(json_array_get(root, (size_t)i), i, &cams[i]);
    json_decref(root);
    /* Python json.dump layout: one line, ", " / ": " separators, ASCII with \u escapes */
    const char *text = read_text(path);
    const char *head = "[{\"id\": 0, \"img_name\": \"0001\", \"width\": 266, \"height\": 474, \"position\": [";
    CHECK(text && strncmp(text, head, strlen(head)) == 0, "layout: %.120s", text ? text : "(none)");
    CHECK(text && (strstr(text, "\"caf\\u00e9\"") || strstr(text, "\"caf\\u00E9\"")),
          "non-ASCII name escaped as \\u00e9");
    CHECK(text && !strchr(text, '\n'), "one line");

    /* same keys in the same order as the reference's file */
    const char *ref = TGS_DATA_DIR "/ref/fox4/cameras.json";
    if (file_exists(ref)) {
        json_t *r = json_load_file(ref, 0, &jerr);
        CHECK(r && json_is_array(r) && json_array_size(r) > 0, "%s unreadable", ref);
        json_t *ours = json_load_file(path, 0, &jerr);
        if (r && ours) {
            const char *k1, *k2;
            json_t *v1, *v2;
            void *it2 = json_object_iter(json_array_get(ours, 0));
            json_object_foreach(json_array_get(r, 0), k1, v1) {
                CHECK(it2 != NULL, "ours has fewer keys than the reference");
                if (!it2)
                    break;
                k2 = json_object_iter_key(it2);
                v2 = json_object_iter_value(it2);
                CHECK(strcmp(k1, k2) == 0 && json_typeof(v1) == json_typeof(v2), "key %s vs reference %s", k2, k1);
                it2 = json_object_iter_next(json_array_get(ours, 0), it2);
            }
        }
        json_decref(r);
        json_decref(ours);
    }

    /* scene order: test cameras first */
    tgs_scene scene;
    memset(&scene, 0, sizeof scene);
    int train_idx[1] = {0}, test_idx[1] = {1};
    scene.cameras = cams;
    scene.n_cameras = 2;
    scene.n_train = 1;
    scene.n_test = 1;
    scene.train_idx = train_idx;
    scene.test_idx = test_idx;
    CHECK_OK(tgs_scene_write_cameras(path, &scene));
    root = json_load_file(path, 0, &jerr);
    CHECK(root && json_array_size(root) == 2, "scene cameras");
    if (root && json_array_size(root) == 2) {
        check_camera_json(json_array_get(root, 0), 0, &cams[1]);
        check_camera_json(json_array_get(root, 1), 1, &cams[0]);
    }
    json_decref(root);

    /* empty list; NaN refused */
    CHECK_OK(tgs_model_write_cameras_json(path, recs, 0));
    text = read_text(path);
    CHECK(text && strcmp(text, "[]") == 0, "empty list: %s", text ? text : "(none)");
    recs[1].fx = NAN;
    tgs_status st = tgs_model_write_cameras_json(path, recs, 2);
    CHECK(st == TGS_ERR_ARG && strstr(tgs_error_message(), "camera 1"), "NaN: %s", tgs_error_message());
    text = read_text(path);
    CHECK(text && strcmp(text, "[]") == 0, "failed write left the old file: %s", text ? text : "(none)");
}

static void test_cfg_args_write_read(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/cfg_args", tmpdir);
    tgs_cfg_args a, b;
    tgs_cfg_args_defaults(&a);
    CHECK_OK(tgs_model_write_cfg_args(path, &a));
    const char *text = read_text(path);
    CHECK(text && strcmp(text, "Namespace(sh_degree=3, source_path='', model_path='', images='images', depths='', "
                               "resolution=-1, white_background=False, train_test_exp=False, "
                               "data_device='cuda', eval=False)") == 0,
          "defaults: %s", text ? text : "(none)");

    /* a path with a quote and a backslash: Python's repr picks double quotes */
    snprintf(a.source_path, sizeof a.source_path, "/data/it's a \\dir");
    snprintf(a.model_path, sizeof a.model_path, "out/x");
    snprintf(a.images, sizeof a.images, "images_4");
    snprintf(a.depths, sizeof a.depths, "both ' and \" q\tt\x01");
    a.sh_degree = 2;
    a.resolution = 4;
    a.white_background = 1;
    a.eval = 1;
    CHECK_OK(tgs_model_write_cfg_args(path, &a));
    text = read_text(path);
    CHECK(text && strcmp(text, "Namespace(sh_degree=2, source_path=\"/data/it's a \\\\dir\", model_path='out/x', "
                               "images='images_4', depths='both \\' and \" q\\tt\\x01', resolution=4, "
                               "white_background=True, train_test_exp=False, data_device='cuda', eval=True)") == 0,
          "escapes: %s", text ? text : "(none)");
    memset(&b, 0x55, sizeof b);
    CHECK_OK(tgs_model_read_cfg_args(path, &b));
    CHECK(b.sh_degree == 2 && b.resolution == 4 && b.white_background == 1 && b.eval == 1 && b.train_test_exp == 0,
          "round trip numbers");
    CHECK(strcmp(b.source_path, a.source_path) == 0, "source_path: %s", b.source_path);
    CHECK(strcmp(b.model_path, "out/x") == 0 && strcmp(b.images, "images_4") == 0, "paths");
    CHECK(strcmp(b.depths, a.depths) == 0, "depths: %s", b.depths);
    CHECK(strcmp(b.data_device, "cuda") == 0, "data_device");
}

static void test_cfg_args_reference(void) {
    tgs_cfg_args a;
    /* exactly the shape of the published trainer's file */
    const char *ref = "Namespace(sh_degree=3, source_path='/abs/path', model_path='out/x', images='images_4', "
                      "resolution=-1, white_background=False, data_device='cuda', eval=True)";
    CHECK_OK(tgs_model_parse_cfg_args(ref, strlen(ref), "ref", &a));
    CHECK(a.sh_degree == 3 && a.resolution == -1 && !a.white_background && a.eval && !a.train_test_exp,
          "reference values");
    CHECK(strcmp(a.source_path, "/abs/path") == 0 && strcmp(a.model_path, "out/x") == 0 &&
          strcmp(a.images, "images_4") == 0 && strcmp(a.depths, "") == 0 && strcmp(a.data_device, "cuda") == 0,
          "reference strings");

    /* more keys of every kind, a double-quoted string, Unicode escapes */
    const char *big =
        "Namespace(sh_degree=1, source_path=\"/d/it's\", model_path='m\\xe9\\u20ac\\U0001F600', images='images', "
        "depths='', resolution=2, white_background=True, train_test_exp=True, data_device='cpu', eval=False, "
        "iterations=30000, position_lr_init=0.00016, lambda_dssim=0.2, neg=-1e-05, big=inf, "
        "test_iterations=[7000, 30000], checkpoint_iterations=[], start_checkpoint=None, mode='multiplier', "
        "weird=\"a)b,c\", nested={'a': [1, (2, 3)], 'b': {'c': 'd]'}}, tup=(1,), raw=b'\\x00', dev=device(type='cuda'), "
        "**{'a-b': 1})\n";
    CHECK_OK(tgs_model_parse_cfg_args(big, strlen(big), "big", &a));
    CHECK(a.sh_degree == 1 && a.resolution == 2 && a.white_background && a.train_test_exp && !a.eval, "big values");
    CHECK(strcmp(a.source_path, "/d/it's") == 0, "double-quoted: %s", a.source_path);
    CHECK(strcmp(a.model_path, "m\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80") == 0, "unicode escapes: %s", a.model_path);
    CHECK(strcmp(a.data_device, "cpu") == 0, "data_device");

    /* an old file without depths/train_test_exp keeps their defaults; keys in any order */
    const char *old = "Namespace(data_device='cuda', eval=True, images='images', model_path='./output/x', "
                      "resolution=-1, sh_degree=3, source_path='/s', white_background=False)";
    CHECK_OK(tgs_model_parse_cfg_args(old, strlen(old), "old", &a));
    CHECK(a.eval && strcmp(a.source_path, "/s") == 0 && strcmp(a.depths, "") == 0 && !a.train_test_exp, "old");
}

static void expect_bad(const char *text, const char *needle) {
    char path[512];
    snprintf(path, sizeof path, "%s/cfg_bad", tmpdir);
    write_text(path, text);
    tgs_cfg_args a;
    tgs_status st = tgs_model_read_cfg_args(path, &a);
    CHECK(st == TGS_ERR_FORMAT, "accepted: %s", text);
    CHECK(strstr(tgs_error_message(), path) && strstr(tgs_error_message(), needle),
          "for %s: message \"%s\" lacks \"%s\"", text, tgs_error_message(), needle);
}

static void test_cfg_args_malformed(void) {
    expect_bad("", "does not start with 'Namespace('");
    expect_bad("{'sh_degree': 3}", "does not start with 'Namespace('");
    expect_bad("Namespace(sh_degree=3, source_path='/abc)", "unterminated string");
    expect_bad("Namespace(sh_degree=3, source_path='/abc", "unterminated string");
    expect_bad("Namespace(sh_degree=3", "expected ',' or ')'");
    expect_bad("Namespace(sh_degree=3) x", "nothing after the closing");
    expect_bad("Namespace(sh_degree='3')", "expected an integer");
    expect_bad("Namespace(sh_degree=3.5)", "expected an integer");
    expect_bad("Namespace(sh_degree=7)", "expected 0..3");
    expect_bad("Namespace(sh_degree=99999999999)", "out of range");
    expect_bad("Namespace(eval=1)", "True or False");
    expect_bad("Namespace(eval=Truth)", "True or False");
    expect_bad("Namespace(images=images_4)", "a quoted string");
    expect_bad("Namespace(eval=True, eval=False)", "given twice");
    expect_bad("Namespace(sh_degree 3)", "'=' after sh_degree");
    expect_bad("Namespace(x=[1, 2)", "expected ']'");
    expect_bad("Namespace(x=[1, 2", "never closed");
    expect_bad("Namespace(images='a\\x4')", "hex digits");
    expect_bad("Namespace(images='a\\x00')", "non-NUL");
    expect_bad("Namespace(images='a\\ud800')", "Unicode scalar");
    expect_bad("Namespace(3=4)", "a key name");
    char deep[400] = "Namespace(x=";
    for (int i = 0; i < 100; i++)
        strcat(deep, "[");
    expect_bad(deep, "nested deeper");
    char path[512];
    snprintf(path, sizeof path, "%s/no_such_cfg", tmpdir);
    tgs_cfg_args a;
    CHECK(tgs_model_read_cfg_args(path, &a) == TGS_ERR_IO && strstr(tgs_error_message(), path), "missing file: %s",
          tgs_error_message());
}

/* ---- metrics ---------------------------------------------------------------- */

static void mkdirs(const char *root, const char *sub) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, sub);
    if (mkdir(path, 0755) != 0 && !file_exists(path)) {
        perror(path);
        exit(1);
    }
}

static void save_png(const char *model, const char *rel, int w, int h, int ch, const unsigned char *data) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", model, rel);
    tgs_image img = {w, h, ch, (unsigned char *)data};
    CHECK_OK(tgs_image_save_png(path, &img));
}

static json_t *load_json(const char *model, const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", model, name);
    json_error_t jerr;
    json_t *r = json_load_file(path, 0, &jerr);
    CHECK(r != NULL, "%s: %s", path, jerr.text);
    return r;
}

/* The images of the metrics tests: W x H noise, a flat grey ground truth and
 * an RGBA render 10 levels brighter (PSNR against it: PSNR_FLAT). */
enum { W = 37, H = 29 };
static unsigned char noise[W * H * 3], flat_gt[W * H * 3], flat_r[W * H * 4];
#define PSNR_FLAT (20.0 * log10(255.0 / 10.0)) /* MSE = (10/255)^2 */

/* Two views (identical; flat with an offset): the mean row, results.json, per_view.json. */
static void metrics_two_views(const char *model) {
    tgs_metrics_table t = {0};
    CHECK_OK(tgs_metrics_compute(model, NULL, NULL, 0, &t));
    const double psnr0 = 100.0; /* identical: capped at MSE 1e-10 */
    CHECK(t.n_rows == 1, "rows %d", t.n_rows);
    if (t.n_rows == 1) {
        CHECK(strcmp(t.rows[0].method, "ours_30000") == 0 && t.rows[0].n_views == 2, "row 0");
        CHECK(fabs(t.rows[0].psnr - 0.5 * (psnr0 + PSNR_FLAT)) < 1e-4, "mean PSNR %.6f (expected %.6f)", t.rows[0].psnr,
              0.5 * (psnr0 + PSNR_FLAT));
    }
    tgs_metrics_table_free(&t);

    json_t *res = load_json(model, "results.json"), *pv = load_json(model, "per_view.json");
    const json_t *m = json_object_get(res, "ours_30000");
    CHECK(json_is_object(m) && json_object_size(m) == 2, "results.json: ours_30000 {SSIM, PSNR}");
    const json_t *pvm = json_object_get(pv, "ours_30000");
    const json_t *ps = json_object_get(pvm, "PSNR"), *ss = json_object_get(pvm, "SSIM");
    CHECK(json_object_size(ps) == 2 && json_object_size(ss) == 2, "per_view.json: two views each");
    double p0 = jnum(ps, "00000.png"), p1 = jnum(ps, "00001.png");
    double s0 = jnum(ss, "00000.png"), s1 = jnum(ss, "00001.png");
    CHECK(fabs(p0 - psnr0) < 1e-9, "PSNR identical %.9f", p0);
    CHECK(fabs(p1 - PSNR_FLAT) < 1e-4, "PSNR flat %.9f (expected %.9f)", p1, PSNR_FLAT);
    CHECK(fabs(s0 - 1.0) < 1e-5, "SSIM identical %.9f", s0);
    CHECK(s1 > 0.9 && s1 < 1.0, "SSIM flat offset %.9f", s1);
    CHECK(fabs(jnum(m, "PSNR") - 0.5 * (p0 + p1)) < 1e-9 && fabs(jnum(m, "SSIM") - 0.5 * (s0 + s1)) < 1e-9,
          "means in results.json");
    json_decref(res);
    json_decref(pv);
}

/* One method only: merged into the existing files; all methods: rows in name order. */
static void metrics_merge(const char *model) {
    tgs_metrics_table t = {0};
    json_t *res;
    mkdirs(model, "test/ours_7000");
    mkdirs(model, "test/ours_7000/renders");
    mkdirs(model, "test/ours_7000/gt");
    save_png(model, "test/ours_7000/renders/00000.png", W, H, 3, flat_gt);
    save_png(model, "test/ours_7000/gt/00000.png", W, H, 3, flat_gt);
    CHECK_OK(tgs_metrics_compute(model, NULL, "ours_7000", 0, &t));
    CHECK(t.n_rows == 1 && strcmp(t.rows[0].method, "ours_7000") == 0 && t.rows[0].n_views == 1, "one method");
    tgs_metrics_table_free(&t);
    res = load_json(model, "results.json");
    CHECK(json_object_size(res) == 2 && json_object_get(res, "ours_30000") && json_object_get(res, "ours_7000"),
          "merged results.json");
    json_decref(res);
    /* all methods: rows in name order */
    CHECK_OK(tgs_metrics_compute(model, NULL, NULL, 0, &t));
    CHECK(t.n_rows == 2 && strcmp(t.rows[0].method, "ours_30000") == 0 && strcmp(t.rows[1].method, "ours_7000") == 0,
          "two rows");
    tgs_metrics_table_free(&t);
}

/* Missing, extra and mismatched images, missing folders: each fails naming the file. */
static void metrics_errors(const char *model) {
    tgs_metrics_table t = {0};
    char p[512];
    tgs_status st = tgs_metrics_compute(model, NULL, "ours_1", 0, &t);
    CHECK(st == TGS_ERR_IO && strstr(tgs_error_message(), "ours_1"), "unknown method: %s", tgs_error_message());
    CHECK(t.rows == NULL && t.n_rows == 0, "table empty after failure");
    snprintf(p, sizeof p, "%s/test/ours_7000/gt/00000.png", model);
    remove(p);
    st = tgs_metrics_compute(model, NULL, NULL, 0, &t);
    CHECK(st == TGS_ERR_FORMAT && strstr(tgs_error_message(), "gt/00000.png") &&
          strstr(tgs_error_message(), "missing"), "missing gt: %s", tgs_error_message());
    save_png(model, "test/ours_7000/gt/00000.png", W, H, 3, flat_gt);
    save_png(model, "test/ours_7000/gt/00009.png", W, H, 3, flat_gt);
    st = tgs_metrics_compute(model, NULL, "ours_7000", 0, &t);
    CHECK(st == TGS_ERR_FORMAT && strstr(tgs_error_message(), "renders/00009.png"), "extra gt: %s",
          tgs_error_message());
    snprintf(p, sizeof p, "%s/test/ours_7000/gt/00009.png", model);
    remove(p);
    save_png(model, "test/ours_7000/gt/00000.png", W - 1, H, 3, flat_gt);
    st = tgs_metrics_compute(model, NULL, "ours_7000", 0, &t);
    CHECK(st == TGS_ERR_FORMAT && strstr(tgs_error_message(), "renders/00000.png: 37x29") &&
          strstr(tgs_error_message(), "36x29"), "size mismatch: %s", tgs_error_message());
    snprintf(p, sizeof p, "%s/test/ours_7000/renders", model);
    snprintf(p + 256, 256, "%s/test/ours_7000/renders_x", model);
    rename(p, p + 256);
    st = tgs_metrics_compute(model, NULL, "ours_7000", 0, &t);
    CHECK(st == TGS_ERR_IO && strstr(tgs_error_message(), "no renders/"), "no renders: %s", tgs_error_message());
    st = tgs_metrics_compute(tmpdir, NULL, NULL, 0, &t);
    CHECK(st == TGS_ERR_IO && strstr(tgs_error_message(), "/test: not found"), "no test folder: %s",
          tgs_error_message());
    snprintf(p, sizeof p, "%s/results.json.tmp", model);
    CHECK(!file_exists(p), "results.json.tmp left behind");
}

/* The training views: MODEL/train/, results_train.json, test files untouched. */
static void metrics_train_split(const char *model) {
    tgs_metrics_table t = {0};
    json_t *res, *pv;
    tgs_status st;
    mkdirs(model, "train");
    mkdirs(model, "train/ours_30000");
    mkdirs(model, "train/ours_30000/renders");
    mkdirs(model, "train/ours_30000/gt");
    save_png(model, "train/ours_30000/renders/00000.png", W, H, 4, flat_r);
    save_png(model, "train/ours_30000/gt/00000.png", W, H, 3, flat_gt);
    res = load_json(model, "results.json");
    char *before = json_dumps(res, JSON_SORT_KEYS);
    json_decref(res);
    CHECK_OK(tgs_metrics_compute(model, "train", NULL, 0, &t));
    CHECK(t.n_rows == 1 && t.rows[0].n_views == 1 && fabs(t.rows[0].psnr - PSNR_FLAT) < 1e-4, "train split: PSNR %.6f",
          t.n_rows == 1 ? t.rows[0].psnr : 0.0);
    tgs_metrics_table_free(&t);
    res = load_json(model, "results_train.json");
    CHECK(json_object_size(res) == 1 && fabs(jnum(json_object_get(res, "ours_30000"), "PSNR") - PSNR_FLAT) < 1e-4,
          "results_train.json");
    json_decref(res);
    CHECK(json_object_size(pv = load_json(model, "per_view_train.json")) == 1, "per_view_train.json");
    json_decref(pv);
    res = load_json(model, "results.json");
    char *after = json_dumps(res, JSON_SORT_KEYS);
    json_decref(res);
    CHECK(before && after && strcmp(before, after) == 0, "results.json changed by the train split");
    free(before);
    free(after);
    st = tgs_metrics_compute(model, "val", NULL, 0, &t);
    CHECK(st == TGS_ERR_ARG && strstr(tgs_error_message(), "val"), "unknown split: %s", tgs_error_message());
    st = tgs_metrics_compute(tmpdir, "train", NULL, 0, &t);
    CHECK(st == TGS_ERR_IO && strstr(tgs_error_message(), "/train: not found"), "no train folder: %s",
          tgs_error_message());
}

static void test_metrics(void) {
    char model[320];
    snprintf(model, sizeof model, "%s/model", tmpdir);
    mkdirs(tmpdir, "model");
    mkdirs(model, "test");
    mkdirs(model, "test/ours_30000");
    mkdirs(model, "test/ours_30000/renders");
    mkdirs(model, "test/ours_30000/gt");
    unsigned s = 12345;
    for (int i = 0; i < W * H * 3; i++) {
        s = s * 1103515245u + 12345u;
        noise[i] = (unsigned char)(s >> 16);
        flat_gt[i] = 100;
    }
    for (int i = 0; i < W * H; i++) { /* RGBA render: alpha is dropped, not composited */
        flat_r[4 * i] = flat_r[4 * i + 1] = flat_r[4 * i + 2] = 110;
        flat_r[4 * i + 3] = 17;
    }
    save_png(model, "test/ours_30000/renders/00000.png", W, H, 3, noise);
    save_png(model, "test/ours_30000/gt/00000.png", W, H, 3, noise);
    save_png(model, "test/ours_30000/renders/00001.png", W, H, 4, flat_r);
    save_png(model, "test/ours_30000/gt/00001.png", W, H, 3, flat_gt);

    metrics_two_views(model);
    metrics_merge(model);
    metrics_errors(model);
    metrics_train_split(model);
}

/* The reference's test renders of fox (images_4) against the photos: close to
 * the reference's own test figures (PSNR 32.53, SSIM 0.9108, computed there on
 * float renders before 8-bit rounding). */
static void test_metrics_reference(void) {
    const char *ref = TGS_DATA_DIR "/ref/fox4/test_renders_30000";
    if (!file_exists(ref) || !file_exists(TGS_DATA_DIR "/fox/images_4")) {
        printf("reference metrics skipped: %s not found\n", ref);
        return;
    }
    static const char *const names[7] = {"0001", "0012", "0027", "0042", "0073", "0089", "0110"};
    char model[320], p[512];
    snprintf(model, sizeof model, "%s/fox4", tmpdir);
    mkdirs(tmpdir, "fox4");
    mkdirs(model, "test");
    mkdirs(model, "test/ours_30000");
    mkdirs(model, "test/ours_30000/renders");
    mkdirs(model, "test/ours_30000/gt");
    for (int i = 0; i < 7; i++) {
        tgs_image img = {0};
        char rel[64];
        snprintf(p, sizeof p, "%s/%05d.png", ref, i);
        CHECK_OK(tgs_image_load(p, &img));
        snprintf(rel, sizeof rel, "test/ours_30000/renders/%05d.png", i);
        save_png(model, rel, img.width, img.height, img.channels, img.data);
        tgs_image_free(&img);
        snprintf(p, sizeof p, "%s/fox/images_4/%s.jpg", TGS_DATA_DIR, names[i]);
        CHECK_OK(tgs_image_load(p, &img));
        snprintf(rel, sizeof rel, "test/ours_30000/gt/%05d.png", i);
        save_png(model, rel, img.width, img.height, img.channels, img.data);
        tgs_image_free(&img);
    }
    tgs_metrics_table t = {0};
    double t0 = tgs_now();
    CHECK_OK(tgs_metrics_compute(model, NULL, NULL, 0, &t));
    double dt = tgs_now() - t0;
    if (t.n_rows == 1) {
        printf("fox4 reference renders: %d views, PSNR %.4f, SSIM %.4f (%.3f s)\n", t.rows[0].n_views, t.rows[0].psnr,
               t.rows[0].ssim, dt);
        CHECK(t.rows[0].n_views == 7, "views");
        CHECK(fabs(t.rows[0].psnr - 32.53) < 0.1, "PSNR %.4f (expected about 32.53)", t.rows[0].psnr);
        CHECK(fabs(t.rows[0].ssim - 0.9108) < 0.003, "SSIM %.4f (expected about 0.9108)", t.rows[0].ssim);
    }
    tgs_metrics_table_free(&t);
}

int main(void) {
    check_tmpdir(tmpdir, sizeof tmpdir, "model_files");
    test_cameras_json();
    test_cfg_args_write_read();
    test_cfg_args_reference();
    test_cfg_args_malformed();
    test_metrics();
    test_metrics_reference();
    int rc = check_report("test_model_files");
    if (rc == 0) {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmpdir);
    }
    return rc;
}
