/* gaussians.h - the model: one parameter buffer, with gradients and Adam
 * moments in the same layout.
 *
 * Layout (group-major, capacity C): group g occupies floats
 * [C*offset[g], C*offset[g] + C*width[g]); Gaussian i of group g starts at
 * C*offset[g] + i*width[g]. Groups, all raw (pre-activation):
 *   means      [N,3]
 *   sh_dc      [N,3]
 *   sh_rest    [N,K,3]  K = (deg+1)^2 - 1, coefficient-major (PLY stores channel-major)
 *   opacity_raw[N]      sigma(o) (|o| after --ho_iteration)
 *   scale_raw  [N,3]    exp(s)
 *   rot_raw    [N,4]    quaternion w,x,y,z, normalised when used
 */
#ifndef TGS_GAUSSIANS_H
#define TGS_GAUSSIANS_H

#include "tgs/common.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { TGS_G_MEANS, TGS_G_DC, TGS_G_REST, TGS_G_OPACITY, TGS_G_SCALE, TGS_G_ROT, TGS_G_COUNT };

typedef struct {
    float *means, *sh_dc, *sh_rest, *opacity_raw, *scale_raw, *rot_raw;
} tgs_param_view;

typedef struct {
    size_t n, capacity;
    int sh_degree;                  /* max degree stored (0..3) */
    int width[TGS_G_COUNT];         /* floats per Gaussian in each group */
    size_t offset[TGS_G_COUNT];     /* in units of capacity floats */
    int floats_per_gaussian;        /* sum of widths */
    float *params, *grads, *adam_m, *adam_v; /* each [capacity*floats_per_gaussian]; grads/m/v may be NULL */
} tgs_gaussians;

/* Allocates for `capacity` Gaussians of SH degree sh_degree; with_optim adds
 * gradients and Adam moments. n starts at 0; everything is zeroed. */
tgs_status tgs_gaussians_create(size_t capacity, int sh_degree, int with_optim, tgs_gaussians **out);
void tgs_gaussians_destroy(tgs_gaussians *g); /* NULL-safe */
/* Grows capacity (keeps contents); used where the final count is not planned. */
tgs_status tgs_gaussians_reserve(tgs_gaussians *g, size_t capacity);
/* Pointers to each group inside base (one of params, grads, adam_m, adam_v). */
tgs_param_view tgs_gaussians_view(const tgs_gaussians *g, float *base);
int tgs_sh_rest_count(int sh_degree); /* K = (d+1)^2 - 1 */
/* Bytes of one buffer (params or grads or m or v) for capacity C. */
size_t tgs_gaussians_buffer_bytes(size_t capacity, int sh_degree);

/* Initialise n Gaussians from points (SPEC 2): DC from colour, rest 0,
 * opacity logit(0.1), log-scale from the mean squared distance to the 3 nearest
 * neighbours, identity rotation. g->n becomes n. */
tgs_status tgs_gaussians_init_from_points(tgs_gaussians *g, const float *xyz /*[n,3]*/,
                                          const float *rgb /*[n,3] 0..1*/, size_t n);

#define TGS_SH_C0 0.28209479177387814

#ifdef __cplusplus
}
#endif

#endif
