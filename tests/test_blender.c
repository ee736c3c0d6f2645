/* test_blender.c - transforms_*.json reader: the lego scene, and malformed files
 * (bad JSON, missing keys, wrong types and sizes, out-of-range and non-finite values). */
#include "check.h"
#include "tgs/io.h"

#include <math.h>
#include <string.h>

static char g_dir[256];

static void write_json(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static const char *k_frame =
    "{\"file_path\": \"./train/r_0\", \"rotation\": 0.1, \"transform_matrix\": "
    "[[1, 0, 0, 0.5], [0, 1, 0, -2], [0, 0, 1, 4.25], [0, 0, 0, 1]]}";

static void test_small(void) {
    char path[400], text[2048];
    snprintf(path, sizeof path, "%s/ok.json", g_dir);
    snprintf(text, sizeof text, "{\"camera_angle_x\": 0.5, \"frames\": [%s, %s]}", k_frame, k_frame);
    write_json(path, text);
    tgs_blender_transforms t;
    CHECK_OK(tgs_blender_read(path, &t));
    CHECK(t.n_frames == 2 && t.camera_angle_x == 0.5, "small: %zu frames, angle %g", t.n_frames, t.camera_angle_x);
    if (t.n_frames == 2) {
        CHECK(strcmp(t.frames[1].file_path, "./train/r_0") == 0, "small: file_path '%s'", t.frames[1].file_path);
        const double want[16] = {1, 0, 0, 0.5, 0, 1, 0, -2, 0, 0, 1, 4.25, 0, 0, 0, 1};
        CHECK(memcmp(t.frames[1].transform, want, sizeof want) == 0, "small: matrix not row-major as written");
    }
    tgs_blender_free(&t);
    tgs_blender_free(&t);
    tgs_blender_free(NULL);
    /* Integer angle and empty frame list are accepted (the scene loader decides what to do). */
    write_json(path, "{\"camera_angle_x\": 1, \"frames\": []}");
    CHECK_OK(tgs_blender_read(path, &t));
    CHECK(t.n_frames == 0 && t.camera_angle_x == 1.0, "empty frames: %zu", t.n_frames);
    tgs_blender_free(&t);
    remove(path);
}

static void test_bad(void) {
    char path[400], text[4096];
    snprintf(path, sizeof path, "%s/bad.json", g_dir);
    struct { const char *angle, *frames, *sub; } cases[] = {
        /* syntax errors: jansson's line and column in the message */
        {"0.5", "[{\"file_path\": \"a\", }]", "invalid JSON"},
        {"0.5", "[", ":1:"},
        {"NaN", "[]", "invalid JSON"},
        {"0.5", "[{\"file_path\": \"a\", \"transform_matrix\": [[NaN,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]}]",
         "invalid JSON"},
        {"0.5", "[{\"file_path\": \"a\", \"transform_matrix\": [[Infinity,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]}]",
         "invalid JSON"},
        {"0.5", "[{\"file_path\": \"a\", \"transform_matrix\": [[1e999,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]}]",
         "invalid JSON"},
        {"-1e400", "[]", "invalid JSON"},
        /* camera_angle_x */
        {NULL, "[]", "\"camera_angle_x\" is missing"},
        {"\"0.5\"", "[]", "\"camera_angle_x\" is a string"},
        {"null", "[]", "\"camera_angle_x\" is null"},
        {"0", "[]", "camera_angle_x is 0"},
        {"-0.5", "[]", "camera_angle_x is -0.5"},
        {"3.2", "[]", "< pi"},
        {"1e300", "[]", "< pi"},
        /* frames */
        {"0.5", NULL, "\"frames\" is missing"},
        {"0.5", "{}", "\"frames\" is an object"},
        {"0.5", "[3]", "frames[0] is an integer"},
        {"0.5", "[{\"transform_matrix\": []}]", "frames[0] has no \"file_path\""},
        {"0.5", "[{\"file_path\": 3}]", "frames[0].file_path is an integer"},
        {"0.5", "[{\"file_path\": \"\"}]", "frames[0].file_path has 0 bytes"},
        {"0.5", "[{\"file_path\": \"a\"}]", "frames[0] (a) has no \"transform_matrix\""},
        {"0.5", "[{\"file_path\": \"a\", \"transform_matrix\": 1}]", "transform_matrix is an integer"},
        {"0.5", "[{\"file_path\": \"a\", \"transform_matrix\": [[1,0,0,0],[0,1,0,0],[0,0,1,0]]}]",
         "transform_matrix is an array of 3 rows"},
        {"0.5", "[{\"file_path\": \"a\", \"transform_matrix\": [[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1],[0,0,0,1]]}]",
         "transform_matrix is an array of 5 rows"},
        {"0.5", "[{\"file_path\": \"a\", \"transform_matrix\": [[1,0,0,0],[0,1,0],[0,0,1,0],[0,0,0,1]]}]",
         "transform_matrix row 1 is an array of 3 entries"},
        {"0.5", "[{\"file_path\": \"a\", \"transform_matrix\": [[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1,2]]}]",
         "transform_matrix row 3 is an array of 5 entries"},
        {"0.5", "[{\"file_path\": \"a\", \"transform_matrix\": [[1,0,0,0],[0,1,0,0],[0,0,1,0],\"row\"]}]",
         "transform_matrix row 3 is a string"},
        {"0.5", "[{\"file_path\": \"a\", \"transform_matrix\": [[1,0,0,0],[0,1,\"0\",0],[0,0,1,0],[0,0,0,1]]}]",
         "transform_matrix[1][2] is a string"},
        {"0.5", "[{\"file_path\": \"a\", \"transform_matrix\": [[1,0,0,0],[0,1,0,0],[0,0,1,null],[0,0,0,1]]}]",
         "transform_matrix[2][3] is null"},
        {"0.5", "[{\"file_path\": \"a\", \"transform_matrix\": [[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,\"nan\"]]}]",
         "transform_matrix[3][3] is a string"},
        {"0.5", "[{\"file_path\": \"a\", \"transform_matrix\": [[true,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]}]",
         "transform_matrix[0][0] is a boolean"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char a[256] = "", f[2048] = "";
        if (cases[i].angle)
            snprintf(a, sizeof a, "\"camera_angle_x\": %s%s", cases[i].angle, cases[i].frames ? ", " : "");
        if (cases[i].frames)
            snprintf(f, sizeof f, "\"frames\": %s", cases[i].frames);
        snprintf(text, sizeof text, "{%s%s}\n", a, f);
        write_json(path, text);
        tgs_blender_transforms t;
        tgs_status st = tgs_blender_read(path, &t);
        const char *msg = tgs_error_message();
        CHECK(st == TGS_ERR_FORMAT, "case %zu (%s): status %d: %s", i, text, (int)st, msg);
        CHECK(strstr(msg, cases[i].sub) && strstr(msg, "bad.json"), "case %zu (%s): message lacks '%s': %s", i, text,
              cases[i].sub, msg);
        CHECK(t.frames == NULL && t.n_frames == 0, "case %zu: output not cleared", i);
        tgs_blender_free(&t);
        if (i == 0 || i == 29)
            printf("e.g. %s\n", msg);
    }
    /* Error in a later frame names its index. */
    snprintf(text, sizeof text, "{\"camera_angle_x\": 0.5, \"frames\": [%s, %s, {\"file_path\": \"x\", "
             "\"transform_matrix\": [[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0]]}]}", k_frame, k_frame);
    write_json(path, text);
    tgs_blender_transforms t;
    CHECK(tgs_blender_read(path, &t) == TGS_ERR_FORMAT && strstr(tgs_error_message(), "frames[2] (x)"),
          "later frame: %s", tgs_error_message());
    /* Syntax error position. */
    write_json(path, "{\n  \"camera_angle_x\": 0.5,\n  \"frames\": [,]\n}\n");
    CHECK(tgs_blender_read(path, &t) == TGS_ERR_FORMAT && strstr(tgs_error_message(), "bad.json:3:"),
          "syntax error line: %s", tgs_error_message());
    /* Duplicate keys, top level not an object, empty file, missing file. */
    write_json(path, "{\"camera_angle_x\": 0.5, \"camera_angle_x\": 0.6, \"frames\": []}");
    CHECK(tgs_blender_read(path, &t) == TGS_ERR_FORMAT, "duplicate key accepted");
    write_json(path, "[1, 2]");
    CHECK(tgs_blender_read(path, &t) == TGS_ERR_FORMAT && strstr(tgs_error_message(), "top level is an array"),
          "array root: %s", tgs_error_message());
    write_json(path, "");
    CHECK(tgs_blender_read(path, &t) == TGS_ERR_FORMAT && strstr(tgs_error_message(), "bad.json"), "empty: %s",
          tgs_error_message());
    remove(path);
    CHECK(tgs_blender_read(path, &t) == TGS_ERR_IO && strstr(tgs_error_message(), "bad.json: cannot open"),
          "missing: %s", tgs_error_message());
    CHECK(tgs_blender_read(g_dir, &t) != TGS_OK, "a directory was read as JSON");
}

static void test_lego(void) {
    tgs_blender_transforms t;
    double t0 = tgs_now();
    CHECK_OK(tgs_blender_read(TGS_DATA_DIR "/lego/transforms_train.json", &t));
    printf("lego train: %zu frames read in %.1f ms\n", t.n_frames, 1e3 * (tgs_now() - t0));
    CHECK(t.n_frames == 100, "lego train frames %zu", t.n_frames);
    CHECK(t.camera_angle_x == 0.6911112070083618, "lego angle %.17g", t.camera_angle_x);
    if (t.n_frames) {
        CHECK(strcmp(t.frames[0].file_path, "./train/r_0") == 0, "lego file_path '%s'", t.frames[0].file_path);
        CHECK(t.frames[0].transform[0] == -0.9999021887779236 && t.frames[0].transform[7] == 3.845470428466797 &&
                  t.frames[0].transform[15] == 1.0,
              "lego matrix %.17g %.17g %.17g", t.frames[0].transform[0], t.frames[0].transform[7],
              t.frames[0].transform[15]);
    }
    tgs_blender_free(&t);
    CHECK_OK(tgs_blender_read(TGS_DATA_DIR "/lego/transforms_test.json", &t));
    CHECK(t.n_frames == 25, "lego test frames %zu", t.n_frames);
    tgs_blender_free(&t);
}

int main(void) {
    check_tmpdir(g_dir, sizeof g_dir, "blender");
    test_small();
    test_bad();
    rmdir(g_dir);
    if (check_failures == 0)
        check_require_path(TGS_DATA_DIR "/lego/transforms_train.json");
    if (access(TGS_DATA_DIR "/lego/transforms_train.json", F_OK) == 0)
        test_lego();
    return check_report("test_blender");
}
