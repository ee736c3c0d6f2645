/* score.h - the Taming score of one densification step (DESIGN §6), the CPU
 * oracle: the edge maps of the training images, the per-pixel weights of a
 * view, the views scored, and the per-Gaussian score summed over those views
 * (the terms of taming_terms.h). The training backends render the views; the
 * CUDA twins of the weights and the score are in cuda/densify_cuda.h. */
#ifndef TGS_DENSIFY_SCORE_H
#define TGS_DENSIFY_SCORE_H

#include "densify/taming_terms.h"
#include "tgs/densify.h"
#include "tgs/gaussians.h"
#include "tgs/rng.h"
#include "tgs/scene.h"

#include <stddef.h>

/* The Taming edge maps of the training cameras, kept as the 8-bit response v
 * of the FIND_EDGES filter (1 byte a pixel) with the per-view range: the
 * normalised edge value of a pixel is tgs_taming_edge_value(v, lo[k], range[k]),
 * the reference's (v/255 - min) / (max - min) with the same float operations. */
typedef struct {
    int n;               /* training cameras */
    unsigned char *v;    /* train camera k (camera train_idx[k]) at v + off[k], [H,W] each; the CUDA
                          * backend frees it (NULL) once the maps are on the device */
    size_t *off;         /* [n + 1] */
    float *lo, *range;   /* [n]: vmin/255 and vmax/255 - lo of each view */
} tgs_edge_maps;

/* Edge map of an 8-bit RGB image: grey as PIL's convert('L'), then FIND_EDGES
 * clamped to 0..255 (the one-pixel border keeps the grey value) into out, and
 * the view's lo = min/255, range = max/255 - lo over the pixels the mask keeps
 * (mask NULL: all; none kept: 0, 0). grey is scratch. */
void tgs_score_edges(const unsigned char *rgb /*[H,W,3]*/, const unsigned char *mask /*[H,W] or NULL*/, int w, int h,
                     unsigned char *grey /*[H,W]*/, unsigned char *out /*[H,W]*/, float *lo, float *range);
/* The edge maps of every training camera (images: 8-bit [n_cameras]; masks:
 * NULL, or [n_cameras] whose data is NULL for a camera without one), in *out
 * for the caller to free with tgs_score_edge_maps_destroy. */
tgs_status tgs_score_edge_maps_create(const tgs_scene *sc, const tgs_image *images, const tgs_image *masks,
                                      tgs_edge_maps **out);
void tgs_score_edge_maps_destroy(tgs_edge_maps *m); /* NULL-safe */
/* The most tgs_score_edge_maps_create allocates for the scene's training views
 * at their training size (with the grey scratch image it frees before it
 * returns), and of that the 8-bit responses alone (the maps' v). */
size_t tgs_score_edge_maps_bytes(const tgs_scene *sc);
size_t tgs_score_edge_responses_bytes(const tgs_scene *sc);
/* w = 50 * norm(L1 map) + 50 * edge value (tgs_taming_pixel_weight); edges is
 * one view's map of a tgs_edge_maps with that view's edge_lo, edge_range. With
 * a mask (NULL: every pixel) the L1 map's range is taken over the kept pixels
 * and a left-out pixel weighs 0 (DESIGN §4). */
void tgs_score_pixel_weights(const float *img /*[H,W,3]*/, const float *gt /*[H,W,3]*/,
                             const unsigned char *mask /*[H,W] or NULL*/, const unsigned char *edges /*[H,W]*/,
                             float edge_lo, float edge_range, int w, int h, float *out /*[H,W]*/);

/* The views scored in one Taming step: --cams distinct training views (all when
 * cams is -1 or more than there are), drawn with rng. Returns a malloc'd
 * permutation of [0, n_train) whose first *ncams entries are the views, or
 * NULL (message recorded) when out of memory. */
int *tgs_score_pick_views(int n_train, int cams, tgs_rng *rng, int *ncams);

/* Floats per Gaussian of the score's scratch. */
#define TGS_TAMING_SCORE_SCRATCH 8

/* Starts the score of one step over g's n Gaussians: scores = 0, and the terms
 * that do not depend on the view (g = accum/denom, opacity, product of the
 * scales) into scratch, which every view of the step reads: keep scratch, the
 * model and the statistics unchanged until the last view. */
void tgs_taming_score_begin(const tgs_gaussians *g, const tgs_densify_stats *s, float *scores /*[N]*/,
                            float *scratch /*[TGS_TAMING_SCORE_SCRATCH,N]*/);
/* Adds one view to the n Gaussians of the begin call: the raster's radii and
 * depths of the view, its score sums (the forward pass with the view's pixel
 * weights) and its loss ell; scores += (float)(50 ell) * (the nine normalised
 * terms of taming_terms.h) where radii > 0. */
void tgs_taming_score_view(size_t n, const int *radii /*[N]*/, const float *depths /*[N]*/,
                           const float *score_acc /*[N,4]*/, double ell, float *scores /*[N]*/,
                           float *scratch /*[TGS_TAMING_SCORE_SCRATCH,N]*/);

#endif
