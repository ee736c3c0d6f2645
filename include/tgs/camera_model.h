/* camera_model.h - COLMAP camera models: their ids and parameter counts, the
 * distortion of each model that tgs accepts, its inverse, and the map that
 * undistorts a photograph to a PINHOLE camera (DESIGN §12).
 *
 * Pixel convention (COLMAP's): the upper-left corner of the image is (0, 0), the
 * lower-right corner (width, height), so pixel (i, j) has its centre at
 * (i + 0.5, j + 0.5). "Normalised" points are (X/Z, Y/Z) of a camera-space point.
 *
 * Accepted models and their parameters (COLMAP order):
 *   SIMPLE_PINHOLE        f, cx, cy
 *   PINHOLE               fx, fy, cx, cy
 *   SIMPLE_RADIAL         f, cx, cy, k
 *   RADIAL                f, cx, cy, k1, k2
 *   OPENCV                fx, fy, cx, cy, k1, k2, p1, p2
 *   OPENCV_FISHEYE        fx, fy, cx, cy, k1, k2, k3, k4
 *   FULL_OPENCV           fx, fy, cx, cy, k1, k2, p1, p2, k3, k4, k5, k6
 *   SIMPLE_RADIAL_FISHEYE f, cx, cy, k
 *   RADIAL_FISHEYE        f, cx, cy, k1, k2
 * Perspective models distort (u, v) to (u, v) * R(r^2) + tangential(u, v) with
 * r^2 = u^2 + v^2; the fisheye models first map (u, v) to (u, v) * atan(r) / r
 * (the angle theta from the axis) and distort that with a polynomial in theta^2.
 * The pixel is then (fx * x + cx, fy * y + cy). */
#ifndef TGS_CAMERA_MODEL_H
#define TGS_CAMERA_MODEL_H

#include "tgs/common.h"
#include "tgs/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* COLMAP's model ids (src/colmap/sensor/models.h). */
enum {
    TGS_CAM_SIMPLE_PINHOLE = 0,
    TGS_CAM_PINHOLE = 1,
    TGS_CAM_SIMPLE_RADIAL = 2,
    TGS_CAM_RADIAL = 3,
    TGS_CAM_OPENCV = 4,
    TGS_CAM_OPENCV_FISHEYE = 5,
    TGS_CAM_FULL_OPENCV = 6,
    TGS_CAM_FOV = 7,
    TGS_CAM_SIMPLE_RADIAL_FISHEYE = 8,
    TGS_CAM_RADIAL_FISHEYE = 9,
    TGS_CAM_THIN_PRISM_FISHEYE = 10,
    TGS_CAM_RAD_TAN_THIN_PRISM_FISHEYE = 11,
    TGS_CAM_SIMPLE_DIVISION = 12,
    TGS_CAM_DIVISION = 13,
    TGS_CAM_SIMPLE_FISHEYE = 14,
    TGS_CAM_FISHEYE = 15,
    TGS_CAM_EUCM = 16,
    TGS_CAM_EQUIRECTANGULAR = 17,
    TGS_CAM_N_MODELS = 18
};

#define TGS_CAM_MAX_PARAMS 16 /* the most parameters of any COLMAP model */
#define TGS_CAM_MAX_COEFFS 8  /* the most distortion coefficients of an accepted model */

typedef struct {
    int id;            /* COLMAP model id */
    const char *name;  /* COLMAP name, e.g. "OPENCV" */
    int n_params;      /* parameters in cameras.txt/.bin */
    int supported;     /* tgs accepts it */
    int single_focal;  /* one focal length f (fx = fy = f) */
    int fisheye;       /* distorts the angle from the axis, not the tangent */
    const char *param_names; /* e.g. "fx, fy, cx, cy, k1, k2, p1, p2" (supported models) */
} tgs_camera_model_info;

/* The model with this id, NULL when COLMAP has none. */
const tgs_camera_model_info *tgs_camera_model_by_id(int id);
/* The model named name[0..len) exactly, NULL when COLMAP has none. */
const tgs_camera_model_info *tgs_camera_model_by_name(const char *name, size_t len);

/* A camera's intrinsics in one layout for every model: focal lengths and
 * principal point in pixels, the distortion coefficients as COLMAP orders them
 * after cx, cy (k[0..n_k)). */
typedef struct {
    int model;                   /* COLMAP model id (a supported one) */
    double fx, fy, cx, cy;       /* pixels */
    double k[TGS_CAM_MAX_COEFFS];
    int n_k;
} tgs_intrinsics;

/* From COLMAP parameters. TGS_ERR_UNSUPPORTED for models tgs does not accept,
 * TGS_ERR_FORMAT for a wrong parameter count or a focal length <= 0. The
 * message names the model and what was expected (the caller adds the file). */
tgs_status tgs_intrinsics_from_colmap(int model, const double *params /*[n_params]*/, int n_params,
                                      tgs_intrinsics *out);
/* The intrinsics of the same camera for an image scaled by sx, sy (new width =
 * sx * width): focal lengths and principal point scale, coefficients do not. */
tgs_intrinsics tgs_intrinsics_scaled(const tgs_intrinsics *in, double sx, double sy);
/* 1 when a and b describe the same camera (model, every value). */
int tgs_intrinsics_equal(const tgs_intrinsics *a, const tgs_intrinsics *b);
/* 1 when the model has no distortion (SIMPLE_PINHOLE, PINHOLE). */
int tgs_intrinsics_is_pinhole(const tgs_intrinsics *in);

/* Normalised point (u, v) -> pixel (x, y) in the photograph. Returns 0 (and
 * NaN) only when the result is not finite. */
int tgs_camera_model_distort(const tgs_intrinsics *in, double u, double v, double *x, double *y);
int tgs_camera_model_distortf(const tgs_intrinsics *in, float u, float v, float *x, float *y);
/* Pixel (x, y) -> normalised point (u, v), by Newton's method on the
 * distortion (trust region as COLMAP). Returns 1 when it converged (step and
 * residual below the precision of the type); 0 when it did not, or the point
 * has no normalised image (a fisheye ray at 90 degrees or more from the axis). */
int tgs_camera_model_undistort(const tgs_intrinsics *in, double x, double y, double *u, double *v);
int tgs_camera_model_undistortf(const tgs_intrinsics *in, float x, float y, float *u, float *v);

/* The undistortion map of a photograph of width x height described by in, to a
 * PINHOLE camera of the same size and focal lengths with its principal point at
 * the frame centre (width/2, height/2): for each output pixel, the position in
 * the photograph to sample, in pixel-index units (pixel (i, j)'s centre is
 * (i, j)), or NaN when the output pixel has no source: its ray falls outside
 * the photograph (beyond its border, or past the fold of the distortion, where
 * undistorting the source does not give the ray back). *n_valid (may be NULL)
 * counts the pixels with a source. */
void tgs_camera_model_undistort_map(const tgs_intrinsics *in, int width, int height,
                                    float *map /*[H,W,2]*/, size_t *n_valid);
/* Fraction of the output pixels of the map above that have a source, estimated
 * on a grid of at most grid x grid pixels (grid <= 0: every pixel). */
double tgs_camera_model_valid_fraction(const tgs_intrinsics *in, int width, int height, int grid);
/* Checks that the distortion is usable over a photograph of width x height:
 * finite coefficients of magnitude <= 1000, principal point inside the frame
 * widened by a frame on each side, and undistortion converging at a grid of
 * points covering the frame (corners included). The message names the model
 * and the first pixel where it fails (the caller adds the file and camera). */
tgs_status tgs_camera_model_check(const tgs_intrinsics *in, int width, int height);

/* Resamples src (any channel count) through map (of src's width and height)
 * bilinearly (edge pixels extended by half a pixel) into a new dst of the same
 * size; pixels with no source become 0. valid (may be NULL) receives a new
 * 1-channel [H,W] image: 255 = has a source, 0 = none. */
tgs_status tgs_camera_model_remap(const tgs_image *src, const float *map /*[H,W,2]*/, tgs_image *dst,
                                  tgs_image *valid);

#ifdef __cplusplus
}
#endif

#endif
