/* gaussians.h - the host model: allocation of the buffers described by the
 * model contract (tgs/params.h: groups, layout, tgs_gaussians) and the
 * initialisation from points. */
#ifndef TGS_GAUSSIANS_H
#define TGS_GAUSSIANS_H

#include "tgs/common.h"
#include "tgs/params.h"
#include "tgs/ply.h"
#include "tgs/splat_formats.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Allocates for `capacity` Gaussians of SH degree sh_degree; with_optim adds
 * gradients and Adam moments. n starts at 0; everything is zeroed. */
tgs_status tgs_gaussians_create(size_t capacity, int sh_degree, int with_optim, tgs_gaussians **out);
void tgs_gaussians_destroy(tgs_gaussians *g); /* NULL-safe */
/* Grows capacity (keeps contents); used where the final count is not planned. */
tgs_status tgs_gaussians_reserve(tgs_gaussians *g, size_t capacity);
/* Bytes of one buffer (params or grads or m or v) for capacity C. */
size_t tgs_gaussians_buffer_bytes(size_t capacity, int sh_degree);

/* Initialise n Gaussians from points (DESIGN §2): DC from colour, rest 0,
 * opacity logit(0.1), log-scale from the mean squared distance to the 3 nearest
 * neighbours, identity rotation. g->n becomes n. */
tgs_status tgs_gaussians_init_from_points(tgs_gaussians *g, const float *xyz /*[n,3]*/,
                                          const float *rgb /*[n,3] 0..1*/, size_t n);

/* The first n Gaussians of a host model as a splat table (copies), and back:
 * the groups map one to one (raw values; SH rest coefficient-major in both). */
tgs_status tgs_gaussians_to_splats(const tgs_gaussians *g, tgs_splats **out);
tgs_status tgs_gaussians_from_splats(const tgs_splats *s, tgs_gaussians **out);
/* Reads a model file of any format tgs knows (3DGS PLY, SPZ, .splat,
 * compressed PLY; by content, then by name). opacity applies to a standard PLY
 * only (the published trainer's linear opacities); *format may be NULL. */
tgs_status tgs_gaussians_read_file(const char *path, tgs_opacity_storage opacity, tgs_gaussians **out,
                                   tgs_splat_format *format);

#define TGS_SH_C0 0.28209479177387814

#ifdef __cplusplus
}
#endif

#endif
