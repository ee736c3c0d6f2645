/* rng.h - small seeded random numbers (PCG32), reproducible across platforms. */
#ifndef TGS_RNG_H
#define TGS_RNG_H

#include <math.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint64_t state, inc;
} tgs_rng;

static inline uint32_t tgs_rng_u32(tgs_rng *r) {
    uint64_t old = r->state;
    r->state = old * 6364136223846793005ULL + r->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

static inline void tgs_rng_seed(tgs_rng *r, uint64_t seed, uint64_t stream) {
    r->state = 0u;
    r->inc = (stream << 1u) | 1u;
    tgs_rng_u32(r);
    r->state += seed;
    tgs_rng_u32(r);
}

/* Uniform in [0,1) with 53 random bits. */
static inline double tgs_rng_uniform(tgs_rng *r) {
    uint64_t a = tgs_rng_u32(r) >> 5, b = tgs_rng_u32(r) >> 6;
    return ((double)a * 67108864.0 + (double)b) * (1.0 / 9007199254740992.0);
}

/* Uniform integer in [0, n). */
static inline uint32_t tgs_rng_below(tgs_rng *r, uint32_t n) {
    uint32_t threshold = (uint32_t)(-n) % n, x;
    do {
        x = tgs_rng_u32(r);
    } while (x < threshold);
    return x % n;
}

/* Standard normal (Box-Muller, one value per call). */
static inline double tgs_rng_normal(tgs_rng *r) {
    double u1 = tgs_rng_uniform(r), u2 = tgs_rng_uniform(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

#ifdef __cplusplus
}
#endif

#endif
