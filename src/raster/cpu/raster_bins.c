/* raster_bins.c - tile binning: (tile, Gaussian) pairs sorted by tile then depth.
 *
 * Key layout (as the CUDA backend will use): bits 63..32 tile id, bits 31..0 the
 * IEEE bits of the view-space depth as a float. Depths are > 0.2 (culled
 * otherwise), so their bit patterns order like their values. The LSD radix sort
 * is stable, and pairs are emitted in Gaussian index order, so equal depths keep
 * index order: the result depends only on the input, not on threads. */
#include "raster_cpu.h"

#include <stdlib.h>
#include <string.h>

/* Reallocates *p to exactly ncap entries if it holds fewer. */
static tgs_status resize(void **p, size_t *cap, size_t ncap, size_t elem, const char *what) {
    if (ncap <= *cap)
        return TGS_OK;
    void *np = realloc(*p, ncap * elem);
    if (!np)
        return TGS_FAIL(TGS_ERR_NOMEM, "out of memory growing %s to %zu entries", what, ncap);
    tgs_mem_commit((char *)np + *cap * elem, (ncap - *cap) * elem);
    *p = np;
    *cap = ncap;
    return TGS_OK;
}

/* Room for `need` entries, with half again to spare when it grows. */
static tgs_status grow(void **p, size_t *cap, size_t need, size_t elem, const char *what) {
    return need <= *cap ? TGS_OK : resize(p, cap, need + need / 2 + 1024, elem, what);
}

size_t tgs_bins_bytes(size_t pairs, size_t gaussians, size_t tiles) {
    return pairs * (2 * sizeof(uint64_t) + 2 * sizeof(uint32_t)) + gaussians * sizeof(size_t) +
           tiles * 2 * sizeof(uint32_t);
}

tgs_status tgs_bins_reserve(tgs_bins *b, size_t pairs) {
    size_t c1 = b->pair_capacity, c2 = c1, c3 = c1, c4 = c1;
    TGS_TRY(resize((void **)&b->keys, &c1, pairs, sizeof(uint64_t), "sort keys"));
    TGS_TRY(resize((void **)&b->keys_tmp, &c2, pairs, sizeof(uint64_t), "sort keys"));
    TGS_TRY(resize((void **)&b->vals, &c3, pairs, sizeof(uint32_t), "sort values"));
    TGS_TRY(resize((void **)&b->vals_tmp, &c4, pairs, sizeof(uint32_t), "sort values"));
    b->pair_capacity = c1;
    return TGS_OK;
}

tgs_status tgs_bins_build(tgs_bins *b, size_t n, const int *radius /*[N]*/, const int *rect /*[N,4]*/,
                          const float *depth_key /*[N]*/, int tiles_x, int tiles_y) {
    size_t cap = b->offset_capacity;
    TGS_TRY(grow((void **)&b->offset, &cap, n + 1, sizeof(size_t), "tile offsets"));
    b->offset_capacity = cap;
    size_t n_tiles = (size_t)tiles_x * (size_t)tiles_y;
    cap = b->tile_capacity;
    TGS_TRY(grow((void **)&b->tile_range, &cap, n_tiles * 2, sizeof(uint32_t), "tile ranges"));
    b->tile_capacity = cap;

    /* pairs per Gaussian, then exclusive prefix sum */
    b->offset[0] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t cnt = 0;
        if (radius[i] > 0) {
            const int *rc = rect + 4 * i;
            cnt = (size_t)(rc[2] - rc[0]) * (size_t)(rc[3] - rc[1]);
        }
        b->offset[i + 1] = b->offset[i] + cnt;
    }
    size_t np = b->offset[n];
    if (np > UINT32_MAX)
        return TGS_FAIL(TGS_ERR_NOMEM, "%zu tile/Gaussian pairs exceed the 2^32 limit", np);
    size_t pcap = b->pair_capacity, c2 = b->pair_capacity, c3 = b->pair_capacity, c4 = b->pair_capacity;
    TGS_TRY(grow((void **)&b->keys, &pcap, np, sizeof(uint64_t), "sort keys"));
    TGS_TRY(grow((void **)&b->keys_tmp, &c2, np, sizeof(uint64_t), "sort keys"));
    TGS_TRY(grow((void **)&b->vals, &c3, np, sizeof(uint32_t), "sort values"));
    TGS_TRY(grow((void **)&b->vals_tmp, &c4, np, sizeof(uint32_t), "sort values"));
    b->pair_capacity = pcap;
    b->n_pairs = np;

#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        if (radius[i] <= 0)
            continue;
        const int *rc = rect + 4 * i;
        uint32_t dbits;
        memcpy(&dbits, &depth_key[i], sizeof dbits);
        size_t o = b->offset[i];
        for (int ty = rc[1]; ty < rc[3]; ty++)
            for (int tx = rc[0]; tx < rc[2]; tx++) {
                uint64_t tile = (uint64_t)ty * (uint64_t)tiles_x + (uint64_t)tx;
                b->keys[o] = (tile << 32) | dbits;
                b->vals[o] = (uint32_t)i;
                o++;
            }
    }

    /* LSD radix sort, 8 bits per pass, over the 32 depth bits and the tile bits in use. */
    int tile_bits = 0;
    while (tile_bits < 32 && ((uint64_t)1 << tile_bits) < n_tiles)
        tile_bits++;
    int total_bits = 32 + tile_bits;
    uint64_t *k = b->keys, *kt = b->keys_tmp;
    uint32_t *v = b->vals, *vt = b->vals_tmp;
    for (int shift = 0; shift < total_bits; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < np; i++)
            count[((k[i] >> shift) & 255u) + 1]++;
        for (int d = 0; d < 256; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < np; i++) {
            size_t dst = count[(k[i] >> shift) & 255u]++;
            kt[dst] = k[i];
            vt[dst] = v[i];
        }
        uint64_t *tk = k; k = kt; kt = tk;
        uint32_t *tv = v; v = vt; vt = tv;
    }
    b->keys = k;
    b->keys_tmp = kt;
    b->vals = v;
    b->vals_tmp = vt;

    /* per tile [begin, end) */
    memset(b->tile_range, 0, n_tiles * 2 * sizeof(uint32_t));
    for (size_t i = 0; i < np; i++) {
        size_t tile = (size_t)(k[i] >> 32);
        if (i == 0 || (size_t)(k[i - 1] >> 32) != tile)
            b->tile_range[2 * tile] = (uint32_t)i;
        if (i == np - 1 || (size_t)(k[i + 1] >> 32) != tile)
            b->tile_range[2 * tile + 1] = (uint32_t)(i + 1);
    }
    return TGS_OK;
}

void tgs_bins_free(tgs_bins *b) {
    if (!b)
        return;
    free(b->keys);
    free(b->keys_tmp);
    free(b->vals);
    free(b->vals_tmp);
    free(b->offset);
    free(b->tile_range);
    memset(b, 0, sizeof *b);
}
