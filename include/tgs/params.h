/* params.h - the model contract: the parameter groups of a Gaussian, their
 * layout in one buffer, and the struct that describes a model whether its
 * buffers are host or device memory (DESIGN §2). Plain C, allocates nothing:
 * io reads and writes it, the scene module allocates host models, the device
 * model (src/scene/cuda) device ones; CUDA code includes it too.
 *
 * Layout (group-major, capacity C): group g occupies floats
 * [C*offset[g], C*offset[g] + C*width[g]); Gaussian i of group g starts at
 * C*offset[g] + i*width[g]. Gradients and Adam moments use the same layout.
 * sh_rest is coefficient-major [N,K,3] (the PLY stores it channel-major). It
 * is the last group, so that a gradient buffer without it (a device model
 * whose SH rest step is taken in the backward, DESIGN §5) is the same layout
 * cut short: [C*offset[REST]].
 *
 * Host models: the struct and each buffer come from malloc, so whoever reads
 * one (the PLY reader) hands it over and tgs_gaussians_destroy frees it. */
#ifndef TGS_PARAMS_H
#define TGS_PARAMS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __CUDACC__
#define TGS_HOST_DEVICE __host__ __device__
#else
#define TGS_HOST_DEVICE
#endif

/* The groups, in buffer order: X(enum suffix, view field, floats per Gaussian
 * with K = SH rest coefficients, activation of the raw value). */
#define TGS_PARAM_GROUPS(X)                                                    \
    X(MEANS, means, 3, "none: world position")                                 \
    X(DC, sh_dc, 3, "none: SH degree-0 colour coefficients")                   \
    X(OPACITY, opacity_raw, 1, "sigmoid(o), |o| after --ho_iteration")         \
    X(SCALE, scale_raw, 3, "exp(s)")                                           \
    X(ROT, rot_raw, 4, "quaternion w,x,y,z, normalised when used")             \
    X(REST, sh_rest, 3 * K, "none: SH coefficients 1..K, [K,3]")

#define TGS_PARAM_ENUM_(G, field, width, act) TGS_G_##G,
enum { TGS_PARAM_GROUPS(TGS_PARAM_ENUM_) TGS_G_COUNT };
#undef TGS_PARAM_ENUM_

/* Pointers to each group inside one buffer (params, grads, adam_m or adam_v). */
#define TGS_PARAM_FIELD_(G, field, width, act) float *field;
typedef struct {
    TGS_PARAM_GROUPS(TGS_PARAM_FIELD_)
} tgs_param_view;
#undef TGS_PARAM_FIELD_

/* A model: host pointers for the CPU code, device pointers in the device
 * model; the layout fields are set by tgs_gaussians_set_layout. */
typedef struct {
    size_t n, capacity;
    int sh_degree;                  /* max degree stored (0..3) */
    int width[TGS_G_COUNT];         /* floats per Gaussian in each group */
    size_t offset[TGS_G_COUNT];     /* in units of capacity floats */
    int floats_per_gaussian;        /* sum of widths */
    int grad_floats;                /* floats per Gaussian of grads: floats_per_gaussian, or offset[REST]
                                       when the buffer holds no SH rest gradients */
    float *params, *grads, *adam_m, *adam_v; /* each [capacity*floats_per_gaussian] (grads
                                                [capacity*grad_floats]); grads/m/v may be NULL */
} tgs_gaussians;

/* SH rest coefficients per colour channel, K = (d+1)^2 - 1. */
static inline TGS_HOST_DEVICE int tgs_sh_rest_count(int sh_degree) { return (sh_degree + 1) * (sh_degree + 1) - 1; }

/* The group widths and offsets for an SH degree; returns floats per Gaussian. */
static inline TGS_HOST_DEVICE int tgs_param_layout(int sh_degree, int width[TGS_G_COUNT],
                                                   size_t offset[TGS_G_COUNT]) {
    const int K = tgs_sh_rest_count(sh_degree);
    size_t off = 0;
#define TGS_PARAM_PLACE_(G, field, w, act)                                                                             \
    width[TGS_G_##G] = (w);                                                                                            \
    offset[TGS_G_##G] = off;                                                                                           \
    off += (size_t)(w);
    TGS_PARAM_GROUPS(TGS_PARAM_PLACE_)
#undef TGS_PARAM_PLACE_
    return (int)off;
}

/* The name of group g (its tgs_param_view field), "?" when out of range. */
static inline const char *tgs_param_group_name(int g) {
#define TGS_PARAM_NAME_(G, field, width, act)                                                                          \
    if (g == TGS_G_##G)                                                                                                \
        return #field;
    TGS_PARAM_GROUPS(TGS_PARAM_NAME_)
#undef TGS_PARAM_NAME_
    return "?";
}

/* Sets g's degree, widths, offsets and floats per Gaussian (grads: all groups). */
static inline void tgs_gaussians_set_layout(tgs_gaussians *g, int sh_degree) {
    g->sh_degree = sh_degree;
    g->floats_per_gaussian = tgs_param_layout(sh_degree, g->width, g->offset);
    g->grad_floats = g->floats_per_gaussian;
}

/* Whether g's gradient buffer holds group k. */
static inline TGS_HOST_DEVICE int tgs_gaussians_has_grad(const tgs_gaussians *g, int k) {
    return g->offset[k] + (size_t)g->width[k] <= (size_t)g->grad_floats;
}

/* Pointers to each group inside base (one of g's buffers; NULL gives NULLs;
 * for g->grads, groups it does not hold are NULL too). */
static inline tgs_param_view tgs_gaussians_view(const tgs_gaussians *g, float *base) {
    tgs_param_view v;
    const int cut = base && base == g->grads;
#define TGS_PARAM_POINT_(G, field, width, act)                                                                         \
    v.field = base && !(cut && !tgs_gaussians_has_grad(g, TGS_G_##G)) ? base + g->capacity * g->offset[TGS_G_##G] : NULL;
    TGS_PARAM_GROUPS(TGS_PARAM_POINT_)
#undef TGS_PARAM_POINT_
    return v;
}

#ifdef __cplusplus
}
#endif

#endif
