/* raster_cpu.h - the CPU rasteriser in float (training) and double (test oracle). */
#ifndef TGS_RASTER_CPU_H
#define TGS_RASTER_CPU_H

#include "tgs/raster.h"

/* Tile binning shared by both precisions: pairs (tile, Gaussian) sorted by
 * the 64-bit key tile_id << 32 | float bits of depth (depth > 0.2 so its bits
 * order like the values); ties keep Gaussian index order (stable radix sort). */
typedef struct {
    size_t n_pairs, pair_capacity;
    uint64_t *keys, *keys_tmp; /* [pairs] */
    uint32_t *vals, *vals_tmp; /* [pairs] Gaussian index */
    size_t *offset;            /* [N+1] first pair of each Gaussian (emit order) */
    size_t offset_capacity;
    uint32_t *tile_range;      /* [tiles,2] begin/end in the sorted pairs */
    size_t tile_capacity;
} tgs_bins;

/* Builds sorted pairs from per-Gaussian tile rects [N,4] and depths [N]
 * (radius[i] == 0 means culled). */
tgs_status tgs_bins_build(tgs_bins *b, size_t n, const int *radius /*[N]*/, const int *rect /*[N,4]*/,
                          const float *depth_key /*[N]*/, int tiles_x, int tiles_y);
/* Room for exactly `pairs` pairs, if it holds fewer. */
tgs_status tgs_bins_reserve(tgs_bins *b, size_t pairs);
/* Bytes the bins hold for `pairs` pairs (tgs_bins_reserve), the offsets of
 * `gaussians` Gaussians and the ranges of `tiles` tiles (tgs_bins_build). */
size_t tgs_bins_bytes(size_t pairs, size_t gaussians, size_t tiles);
void tgs_bins_free(tgs_bins *b);

#define REAL float
#define SFX f32
#include "raster_decl.h"
#undef REAL
#undef SFX
#define REAL double
#define SFX f64
#include "raster_decl.h"
#undef REAL
#undef SFX

#endif
