/* test_render_parity.c - rendering the published trainer's fox scene with the
 * fox test cameras reproduces its own renders (PSNR >= 45 dB on every view). */
#include "check.h"
#include "tgs/loss.h"
#include "tgs/ply.h"
#include "tgs/raster.h"
#include "tgs/scene.h"

#include <stdlib.h>

int main(void) {
    char scene_path[512], ply[512], ref[600];
    snprintf(scene_path, sizeof scene_path, "%s/fox", TGS_DATA_DIR);
    snprintf(ply, sizeof ply, "%s/ref/fox4/point_cloud_30000.ply", TGS_DATA_DIR);
    check_require_path(scene_path);
    check_require_path(ply);
    tgs_scene_options o = {scene_path, "images_4", -1, 1, 0, 0, 1, NULL, 0};
    tgs_scene s;
    tgs_gaussians *g = NULL;
    tgs_raster *r = NULL;
    CHECK_OK(tgs_scene_load(&o, &s));
    CHECK_OK(tgs_ply_read(ply, TGS_OPACITY_LINEAR, &g));
    if (check_failures)
        return check_report("test_render_parity");
    CHECK(s.n_test == 7, "fox has %d test views", s.n_test);
    CHECK_OK(tgs_raster_create(g->n, 266, 474, &r));
    float *img = malloc(266 * 474 * 3 * sizeof(float)), *refimg = malloc(266 * 474 * 3 * sizeof(float));
    float bg[3] = {0, 0, 0};
    for (int k = 0; k < s.n_test; k++) {
        const tgs_camera *c = &s.cameras[s.test_idx[k]];
        tgs_view v = tgs_view_from_camera(c, bg, 3);
        CHECK_OK(tgs_raster_forward(r, g, &v, img, NULL, NULL));
        snprintf(ref, sizeof ref, "%s/ref/fox4/test_renders_30000/%05d.png", TGS_DATA_DIR, k);
        tgs_image im;
        CHECK_OK(tgs_image_load(ref, &im));
        CHECK(im.width == c->width && im.height == c->height && im.channels == 3, "%s size", ref);
        if (check_failures)
            break;
        tgs_image_to_float(im.data, (size_t)im.width * im.height, refimg);
        double psnr = tgs_psnr(img, refimg, NULL, c->width, c->height);
        printf("view %s: PSNR vs the reference render %.2f dB\n", c->image_name, psnr);
        CHECK(psnr >= 45.0, "view %s: PSNR %.2f < 45", c->image_name, psnr);
        tgs_image_free(&im);
    }
    free(img);
    free(refimg);
    tgs_raster_destroy(r);
    tgs_gaussians_destroy(g);
    tgs_scene_free(&s);
    return check_report("test_render_parity");
}
