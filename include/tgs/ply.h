/* ply.h - the standard 3DGS PLY layout (binary little endian, one vertex element:
 * x y z nx ny nz f_dc_0..2 f_rest_0.. opacity scale_0..2 rot_0..3, f_rest
 * channel-major) and the plain point PLY of input.ply. */
#ifndef TGS_PLY_H
#define TGS_PLY_H

#include "tgs/common.h"
#include "tgs/params.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { TGS_OPACITY_LOGIT = 0, TGS_OPACITY_LINEAR = 1 } tgs_opacity_storage;

/* Writes g's first n Gaussians (raw values, normals 0) to path via path.tmp,
 * fsync and rename; on failure the .tmp is removed and a previous file kept. */
tgs_status tgs_ply_write(const char *path, const tgs_gaussians *g);
/* Reads a 3DGS PLY (SH degree 0..3 inferred from the f_rest count; properties
 * may come in any order, float or double). With TGS_OPACITY_LINEAR the opacity
 * field holds sigma(o) values (0..1] and is converted to logits (clamped to
 * [1e-6, 1-1e-6]). Allocates *out with capacity = count, no optimiser state
 * (a host model as tgs/params.h describes it: tgs_gaussians_destroy frees it).
 * Format binary_little_endian or ascii; extra properties and other elements
 * with fixed-size properties are skipped; list properties, NaN/inf values and
 * a vertex count that does not match the data size are refused. */
tgs_status tgs_ply_read(const char *path, tgs_opacity_storage opacity, tgs_gaussians **out);
/* input.ply: x y z nx ny nz red green blue (uchar), as the reference writes. */
tgs_status tgs_ply_write_points(const char *path, const float *xyz /*[n,3]*/, const float *rgb /*[n,3] 0..1*/, size_t n);

#ifdef __cplusplus
}
#endif

#endif
