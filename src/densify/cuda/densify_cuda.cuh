/* densify_cuda.cuh - internals shared by the CUDA densification files: the
 * scratch carved once for the model's capacity, the counter-based random
 * numbers, and the helpers the Taming and classic steps share. CUDA C++ only. */
#ifndef TGS_DENSIFY_CUDA_CUH
#define TGS_DENSIFY_CUDA_CUH

#include "cuda/cuda_check.h"
#include "densify/candidates.h"
#include "densify/cuda/densify_cuda.h"

#include <cub/block/block_reduce.cuh>

#define DC_THREADS 256
#define DC_COUNTERS 24 /* device counter slots */

/* Counter slots (unsigned long long) used by the operations. */
enum {
    DC_N_CLONE = 0,  /* clone candidates */
    DC_N_SPLIT = 1,  /* split candidates */
    DC_N_PRUNE = 2,  /* prune candidates (all rows) */
    DC_N_CAND = 3,   /* prune candidates among the pre-step rows (Taming) */
    DC_N_POS = 4,    /* positive sampling weights */
    DC_N_SEL = 5,    /* selected by cub::DeviceSelect */
    DC_N_PRUNED = 6, /* removed by the Taming prune */
    DC_N_MED = 7     /* 10 slots from here: positive counts of the 9 score terms, then of
                      * tgs_cuda_taming_add_normalized */
};

/* Rows a removal moves at a time (its scratch: 31 MB at SH degree 3, not one
 * group of the whole capacity). */
#define DC_ROW_CHUNK ((size_t)1 << 17)

struct tgs_cuda_scratch {
    size_t capacity;
    unsigned char *d_kind, *d_mask, *d_rm, *d_flags; /* each [C] */
    float *d_w;                                      /* [C] sampling weights */
    float *d_keys, *d_keys_alt;                      /* [C] sort keys */
    uint32_t *d_iota, *d_idx_alt, *d_pick;           /* [C] indices */
    float *d_rows; /* [min(C, DC_ROW_CHUNK), floats per Gaussian]: removal moves kept rows through it */
    float *d_stats_tmp;                              /* [3, C] */
    float *d_terms;                                  /* [3, C] view-independent score terms */
    float *d_med;                                    /* [16] medians of the 9 score terms; [15]:
                                                      * tgs_cuda_taming_add_normalized */
    unsigned long long *d_count;                     /* [DC_COUNTERS] */
    unsigned long long *h_count;                     /* [DC_COUNTERS] pinned */
    void *d_cub;                                     /* cub temporary storage */
    size_t cub_bytes;
};

/* ---- counter-based random numbers ---- */

#define DC_GOLDEN 0x9E3779B97F4A7C15ull

/* The SplitMix64 finaliser: a bijection of 64-bit words with full avalanche. */
__host__ __device__ static inline uint64_t dc_fmix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* The key of one drawing call (seed, counter). */
static inline uint64_t dc_call_key(const tgs_cuda_rng *r) {
    return dc_fmix(r->seed ^ dc_fmix((r->counter + 1) * DC_GOLDEN));
}

/* Uniform in (0,1) (53 bits, never 0 or 1), draw j of item i of a call. */
__device__ static inline double dc_uniform(uint64_t call, uint64_t i, unsigned j) {
    const uint64_t x = dc_fmix(call + (i * 16u + j + 1u) * DC_GOLDEN);
    return ((double)(x >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* ---- helpers shared by the files ---- */

/* Adds the block's count to *counter (one atomic per block: exact). */
__device__ static inline void dc_block_count(int v, unsigned long long *counter) {
    typedef cub::BlockReduce<int, DC_THREADS> reduce_t;
    __shared__ typename reduce_t::TempStorage red;
    int total = reduce_t(red).Sum(v);
    if (threadIdx.x == 0 && total)
        atomicAdd(counter, (unsigned long long)total);
}

/* Blocks of DC_THREADS covering n items (n < 2^32: at most 2^24 blocks). */
static inline unsigned dc_grid(size_t n) {
    size_t b = (n + DC_THREADS - 1) / DC_THREADS;
    return (unsigned)(b == 0 ? 1 : b);
}

/* Copies the counters [0, DC_COUNTERS) to the host and waits. */
tgs_status dc_read_counts(tgs_cuda_model *m, cudaStream_t stream);
/* Zeroes the device counters. */
tgs_status dc_zero_counts(tgs_cuda_model *m, cudaStream_t stream);
/* Indices i in [0,n) with d_flags[i] != 0, ascending, into d_out; the count
 * lands in counter slot DC_N_SEL (device). */
tgs_status dc_select_flagged(tgs_cuda_model *m, const unsigned char *d_flags /*[n]*/, size_t n, uint32_t *d_out /*[n]*/,
                             cudaStream_t stream);
/* Clone/split candidates into s->d_kind (TGS_CAND_* of candidates.h) and
 * their counts into slots DC_N_CLONE, DC_N_SPLIT (counters not zeroed here). */
tgs_status dc_grad_candidates(tgs_cuda_model *m, const tgs_densify_params *p, cudaStream_t stream);
/* Refuses a missing model or settings and counts beyond 32-bit indices. */
tgs_status dc_check_model(const tgs_cuda_model *m, const tgs_densify_params *p, const char *what);
/* Ascending indices of the rows [0,n) of kind `value` into scratch d_pick (count in DC_N_SEL). */
tgs_status dc_pick_kind(tgs_cuda_model *m, size_t n, unsigned char value, cudaStream_t stream);
/* The prune rule into d_mask (counters DC_N_PRUNE, DC_N_CAND; see densify_cuda.cu). */
tgs_status dc_prune_launch(tgs_cuda_model *m, const tgs_densify_params *p, unsigned char *d_mask,
                           const unsigned char *d_kind, size_t n_pre, cudaStream_t stream);
/* Clone / split without the index check (indices built on the device). */
tgs_status dc_clone_rows(tgs_cuda_model *m, const uint32_t *d_idx, size_t count, cudaStream_t stream);
tgs_status dc_split_rows(tgs_cuda_model *m, const uint32_t *d_idx, size_t count, tgs_cuda_rng *rng,
                         cudaStream_t stream);
/* The values whose median dc_median takes. */
enum {
    DC_MED_VALUES = 0, /* x[i*stride] */
    DC_MED_DEPTH = 1,  /* radii[i] > 0 ? x[i] : 0 */
    DC_MED_RADIUS = 2  /* (float)radii[i] */
};
/* Median of the positive values (mode DC_MED_*) into *d_med (NaN when none),
 * counter slot `slot` holding their count. */
tgs_status dc_median(tgs_cuda_model *m, const float *d_x, const int *d_radii, size_t stride, int mode, size_t n,
                     int slot, float *d_med, cudaStream_t stream);
/* The cub temporary storage the operations need for n items. */
tgs_status dc_cub_bytes(size_t n, size_t *bytes);
/* Stable radix sort of the first n entries of the scratch: (d_keys, d_iota)
 * into (d_keys_alt, d_idx_alt); sort_keys is the same call. */
tgs_status dc_sort_pairs(tgs_cuda_model *m, size_t n, cudaStream_t stream);
tgs_status dc_sort_keys(tgs_cuda_model *m, size_t n, cudaStream_t stream);

#endif
