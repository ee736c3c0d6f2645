/* knn.h - nearest neighbours of a point cloud (kd-tree, O(n log n) time, O(n) memory). */
#ifndef TGS_KNN_H
#define TGS_KNN_H

#include "tgs/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* For every point, the mean squared distance to its k nearest other points
 * (k <= 16; fewer if the cloud has fewer points; 0 if alone). Multi-threaded,
 * deterministic. */
tgs_status tgs_knn_mean_dist2(const float *xyz /*[n,3]*/, size_t n, int k, float *out /*[n]*/);

#ifdef __cplusplus
}
#endif

#endif
