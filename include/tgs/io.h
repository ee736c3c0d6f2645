/* io.h - parsers of the scene formats (src/io). They only read files and check
 * them; tgs_scene_load turns their output into cameras. */
#ifndef TGS_IO_H
#define TGS_IO_H

#include "tgs/camera_model.h"
#include "tgs/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int id, model;              /* model: COLMAP model id (tgs/camera_model.h) */
    char model_name[32];
    uint64_t width, height;
    int n_params;
    double params[TGS_CAM_MAX_PARAMS]; /* [n_params] in COLMAP's order */
} tgs_colmap_camera;

typedef struct {
    int id, camera_id;
    double qvec[4]; /* w,x,y,z world->camera */
    double tvec[3];
    char name[4096];
} tgs_colmap_image;

typedef struct {
    size_t n_cameras, n_images, n_points;
    tgs_colmap_camera *cameras; /* [n_cameras] */
    tgs_colmap_image *images;   /* [n_images] */
    double *xyz;                /* [n_points,3] */
    unsigned char *rgb;         /* [n_points,3] */
} tgs_colmap_model;

/* Reads dir/{cameras,images,points3D}.bin, or the .txt versions when the .bin are
 * absent. Every count is checked against the bytes left before allocating, every
 * value for NaN/inf. Cameras of the models tgs accepts are checked (parameter
 * count, focal length, coefficients, undistortion converging over the frame:
 * tgs_camera_model_check); the others are refused by name (advice: undistort). */
tgs_status tgs_colmap_read(const char *sparse_dir, tgs_colmap_model *out);
void tgs_colmap_free(tgs_colmap_model *m); /* NULL-safe */

typedef struct {
    char file_path[4096];   /* as in the JSON, ".png" not yet appended */
    double transform[16];   /* camera-to-world, row-major, OpenGL axes */
} tgs_blender_frame;

typedef struct {
    double camera_angle_x;
    size_t n_frames;
    tgs_blender_frame *frames;
} tgs_blender_transforms;

tgs_status tgs_blender_read(const char *json_path, tgs_blender_transforms *out);
void tgs_blender_free(tgs_blender_transforms *t); /* NULL-safe */

#ifdef __cplusplus
}
#endif

#endif
