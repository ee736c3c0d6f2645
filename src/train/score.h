/* score.h - pieces of the Taming score used by the training loop. */
#ifndef TGS_TRAIN_SCORE_H
#define TGS_TRAIN_SCORE_H

#include "tgs/rng.h"
#include "tgs/scene.h"

#include <stddef.h>

/* Normalised edge map of an 8-bit RGB image; out must hold [2,H,W] floats
 * (the second half is scratch); the result is out[0..H*W). */
void tgs_score_edges(const unsigned char *rgb /*[H,W,3]*/, int w, int h, float *out /*[2,H,W]*/);
/* The edge maps of every training camera (8-bit images [n_cameras]):
 * camera train_idx[k] at (*edges)[(*edge_off)[k] ..], *edge_off [n_train + 1].
 * Both arrays are malloc'd for the caller. */
tgs_status tgs_score_edge_maps(const tgs_scene *sc, const tgs_image *images, float **edges, size_t **edge_off);
/* w = 50 * norm(L1 map) + 50 * edges. */
void tgs_score_pixel_weights(const float *img /*[H,W,3]*/, const float *gt /*[H,W,3]*/, const float *edges /*[H,W]*/,
                             int w, int h, float *out /*[H,W]*/);

/* The views scored in one Taming step: --cams distinct training views (all when
 * cams is -1 or more than there are), drawn with rng. Returns a malloc'd
 * permutation of [0, n_train) whose first *ncams entries are the views, or
 * NULL (message recorded) when out of memory. */
int *tgs_score_pick_views(int n_train, int cams, tgs_rng *rng, int *ncams);

#endif
