/* test_scenes.c - the shared scenes read as the data README describes them:
 * camera counts, image sizes, SfM points, the --eval split, random init. */
#include "check.h"
#include "tgs/scene.h"

#include <math.h>
#include <string.h>

static void check_scene(const char *name, const char *images, int eval, int n_cams, size_t n_points, int n_train,
                        int n_test, int random_init) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", TGS_DATA_DIR, name);
    check_require_path(path);
    tgs_scene_options o = {path, images, -1, eval, 0, 0, 1, NULL, 0};
    tgs_scene s;
    CHECK_OK(tgs_scene_load(&o, &s));
    CHECK(s.n_cameras == n_cams, "%s: %d cameras, expected %d", name, s.n_cameras, n_cams);
    CHECK(s.n_points == n_points, "%s: %zu points, expected %zu", name, s.n_points, n_points);
    CHECK(s.n_train == n_train && s.n_test == n_test, "%s: split %d+%d, expected %d+%d", name, s.n_train, s.n_test,
          n_train, n_test);
    CHECK(s.random_init == random_init, "%s: random_init %d", name, s.random_init);
    CHECK(s.extent > 0, "%s: extent %f", name, s.extent);
    for (int i = 1; i < s.n_cameras && !s.is_blender; i++)
        CHECK(strcmp(s.cameras[i - 1].image_name, s.cameras[i].image_name) < 0, "%s: cameras not sorted", name);
    if (!strcmp(name, "beer")) {
        int differ = 0;
        for (int i = 1; i < s.n_cameras; i++)
            differ |= s.cameras[i].width != s.cameras[0].width || s.cameras[i].height != s.cameras[0].height;
        CHECK(differ, "beer: image sizes should differ");
        CHECK(s.n_colmap_cameras == 71, "beer: %d COLMAP cameras", s.n_colmap_cameras);
    }
    if (!strcmp(name, "fox") && eval) {
        const tgs_camera *c = &s.cameras[s.test_idx[0]];
        CHECK(!strcmp(c->image_name, "0001") && c->width == 266 && c->height == 474, "fox: first test view %s %dx%d",
              c->image_name, c->width, c->height);
        CHECK(fabs(c->fx - 266 / (2 * tan(0.5 * c->fovx))) < 1e-9, "fox: focal at training size");
        /* the FoV is that of the full 1061x1893 frame */
        CHECK(fabs(c->fovx - 2 * atan(1061 / (2 * 1375.531061741691))) < 1e-12, "fox: fovx %f", c->fovx);
        tgs_image im;
        CHECK_OK(tgs_scene_load_image(&s, s.test_idx[0], &im, NULL));
        CHECK(im.width == 266 && im.height == 474 && im.channels == 3, "fox image %dx%dx%d", im.width, im.height,
              im.channels);
        tgs_image_free(&im);
    }
    if (!strcmp(name, "lego")) {
        tgs_image im;
        CHECK_OK(tgs_scene_load_image(&s, 0, &im, NULL));
        CHECK(im.channels == 3 && im.width == 400, "lego composited to RGB");
        tgs_image_free(&im);
    }
    tgs_scene_free(&s);
}

int main(void) {
    check_scene("fox", "images_4", 1, 50, 15083, 43, 7, 0);
    check_scene("fox", "images_2", 0, 50, 15083, 50, 0, 0);
    check_scene("beer", "images_2", 1, 71, 4414, 62, 9, 0);
    check_scene("lego", NULL, 1, 125, 100000, 100, 25, 1);
    check_scene("lego", NULL, 0, 125, 100000, 125, 0, 1);
    /* -r rules on fox images_2 (531x947) */
    char path[512];
    snprintf(path, sizeof path, "%s/fox", TGS_DATA_DIR);
    int rules[][3] = {{2, 266, 474}, {4, 133, 237}, {200, 200, 356}, {-1, 531, 947}};
    for (int k = 0; k < 4; k++) {
        tgs_scene_options o = {path, "images_2", rules[k][0], 0, 0, 0, 1, NULL, 0};
        tgs_scene s;
        CHECK_OK(tgs_scene_load(&o, &s));
        CHECK(s.cameras[0].width == rules[k][1] && s.cameras[0].height == rules[k][2], "-r %d: %dx%d, expected %dx%d",
              rules[k][0], s.cameras[0].width, s.cameras[0].height, rules[k][1], rules[k][2]);
        if (rules[k][0] == 4) {
            tgs_image im;
            CHECK_OK(tgs_scene_load_image(&s, 0, &im, NULL));
            CHECK(im.width == 133 && im.height == 237, "resampled image %dx%d", im.width, im.height);
            tgs_image_free(&im);
        }
        tgs_scene_free(&s);
    }
    return check_report("test_scenes");
}
