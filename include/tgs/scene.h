/* scene.h - cameras, the train/test split and the SfM points of a scene
 * (COLMAP or Blender/NeRF-synthetic). Parsing of the formats lives in src/io;
 * this module builds the training dataset from it. */
#ifndef TGS_SCENE_H
#define TGS_SCENE_H

#include "tgs/camera_model.h"
#include "tgs/common.h"
#include "tgs/image.h"
#include "tgs/model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int uid;                          /* index in scene order */
    char image_name[TGS_NAME_MAX];    /* file name without extension, e.g. "0001" */
    char image_path[TGS_PATH_MAX];    /* full path of the image file */
    char model[24];                   /* COLMAP model name (e.g. "OPENCV") or "blender" */
    int width, height;                /* resolution used for training and rendering */
    int image_width, image_height;    /* size of the image file on disk */
    int full_width, full_height;      /* size the camera model describes (COLMAP) */
    double fovx, fovy;                /* radians */
    double fx, fy;                    /* focal in pixels at width x height */
    tgs_intrinsics intrinsics;        /* the photograph's camera scaled to width x height; when it has
                                         distortion, the images are undistorted to a PINHOLE camera with
                                         fx, fy and the principal point at the centre (DESIGN §12) */
    double R[9];                      /* world->camera rotation, row-major */
    double t[3];                      /* world->camera translation */
    double center[3];                 /* camera centre in world coordinates */
    int is_test;
    char mask_path[TGS_PATH_MAX];     /* --masks: the camera's mask file ("" without) */
    int alpha_mask;                   /* --alpha_mask and an RGBA photograph: its alpha is a mask */
    int has_mask;                     /* either of the two: tgs_scene_load_image returns a mask */
} tgs_camera;

typedef struct {
    const char *source_path;   /* -s */
    const char *images;        /* -i (COLMAP), default "images" */
    int resolution;            /* -r: -1 auto, 1/2/4/8 divisors, other = target width */
    int eval;                  /* --eval: hold out every 8th camera */
    int white_background;      /* Blender compositing background */
    uint64_t seed;             /* random init of Blender scenes */
    int quiet;                 /* suppress the one-time resize notice */
    const char *masks;         /* --masks DIR: one mask per photograph, same stem (NULL: none) */
    int alpha_mask;            /* --alpha_mask: an RGBA photograph's alpha is its mask (no compositing) */
} tgs_scene_options;

typedef struct {
    int is_blender;
    int n_cameras;
    tgs_camera *cameras;       /* [n_cameras]: COLMAP sorted by image name; Blender train then test */
    int n_train, n_test;
    int *train_idx, *test_idx; /* indices into cameras */
    size_t n_points;
    float *points_xyz;         /* [n_points,3] */
    float *points_rgb;         /* [n_points,3] in [0,1] */
    int random_init;           /* points are the 100k random ones (no SfM) */
    int n_colmap_cameras;      /* distinct camera models (COLMAP) */
    int n_masked;              /* cameras with a mask (has_mask) */
    double center[3];
    double extent;             /* 1.1 * max distance of a camera centre to their mean */
    float background[3];
    struct tgs_undistort_cache *undistort; /* the last undistortion map made (NULL: none) */
} tgs_scene;

/* Reads cameras and points and probes every image header (no pixel decode).
 * Checks every image exists and that its size agrees with its camera; with
 * --masks, that every camera's mask exists and has its photograph's aspect ratio. */
tgs_status tgs_scene_load(const tgs_scene_options *opt, tgs_scene *out);
/* Decodes camera i's image, composites alpha over the background, resamples
 * to the camera's width x height and, for a distorted camera, undistorts it
 * (bilinear) to the centred PINHOLE camera: 8-bit RGB [H,W,3]. mask (may be
 * NULL: not asked for) receives the pixels that count, 1 channel [H,W], 0 =
 * left out of the loss and the scores, 255 = kept; it stays empty (data NULL)
 * when every pixel counts. A mask (the --masks file, or with alpha_mask the
 * RGBA photograph's alpha, which is then not composited) is made binary
 * (nonzero: kept), resampled as the photograph is, and kept where the result
 * is at least 128; with both, a pixel counts when both keep it; a distorted
 * camera's pixels with no source in the photograph are left out too. A mask
 * that keeps no pixel is an error naming the file and the camera. The scene
 * keeps the last undistortion map for the next image of the same camera: not
 * to be called from several threads at once on one scene. */
tgs_status tgs_scene_load_image(const tgs_scene *scene, int i, tgs_image *out, tgs_image *mask);
void tgs_scene_free(tgs_scene *scene); /* NULL-safe */

/* The cameras.json record of a camera (its name, training size, focal, pose). */
tgs_camera_record tgs_camera_record_of(const tgs_camera *c);
/* Writes cameras.json with the scene's cameras in the reference order: the
 * test cameras, then the training ones (tgs_model_write_cameras_json). */
tgs_status tgs_scene_write_cameras(const char *path, const tgs_scene *scene);

#ifdef __cplusplus
}
#endif

#endif
