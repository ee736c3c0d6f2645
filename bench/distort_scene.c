/* distort_scene.c - makes a distorted copy of a pinhole COLMAP scene: each
 * photograph warped (bilinear) as a camera of another model would have taken
 * it, the model declared in sparse/0/cameras.txt (tests/distort_scene.h).
 *
 * usage: distort_scene SRC_SCENE IMAGES_DIR OUT_SCENE MODEL CX CY K1 [K2 ...]
 *   MODEL: a COLMAP model name (e.g. OPENCV, OPENCV_FISHEYE); the focal lengths
 *   are the scene's; CX, CY: principal point as fractions of width and height;
 *   K1...: the model's distortion coefficients (as many as it has).
 * usage: distort_scene --compare SRC_SCENE IMAGES_DIR OUT_SCENE
 *   prints the PSNR of OUT_SCENE's test views (--eval), undistorted by tgs,
 *   against SRC_SCENE's, over the pixels that have a source. */
#include "../tests/distort_scene.h"

static int compare(char **argv) {
    double psnr, kept;
    int n;
    if (ds_compare(argv[2], argv[3], argv[4], &psnr, &kept, &n) != 0)
        return 1;
    printf("%s: %d test views, PSNR %.2f dB against %s/%s over the valid pixels (at least %.1f%% of each frame)\n",
           argv[4], n, psnr, argv[2], argv[3], 100 * kept);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 5 && strcmp(argv[1], "--compare") == 0)
        return compare(argv);
    if (argc < 6) {
        fprintf(stderr, "usage: distort_scene SRC_SCENE IMAGES_DIR OUT_SCENE MODEL CX CY K1 [K2 ...]\n");
        return 2;
    }
    const tgs_camera_model_info *info = tgs_camera_model_by_name(argv[4], strlen(argv[4]));
    if (!info || !info->supported || info->id <= TGS_CAM_PINHOLE) {
        fprintf(stderr, "distort_scene: %s: expected a distorted model tgs reads (e.g. OPENCV)\n", argv[4]);
        return 2;
    }
    const int n_k = info->n_params - (info->single_focal ? 3 : 4);
    if (argc != 7 + n_k) {
        fprintf(stderr, "distort_scene: %s takes CX CY and %d coefficients (%s)\n", info->name, n_k,
                info->param_names);
        return 2;
    }
    double v[2 + TGS_CAM_MAX_COEFFS];
    for (int k = 0; k < 2 + n_k; k++) {
        char *end;
        v[k] = strtod(argv[5 + k], &end);
        if (*end || end == argv[5 + k] || !isfinite(v[k])) {
            fprintf(stderr, "distort_scene: '%s' is not a number\n", argv[5 + k]);
            return 2;
        }
    }
    return ds_make_scene(argv[1], argv[2], argv[3], info->id, v);
}
