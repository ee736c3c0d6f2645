/* candidates.h - the kinds of densification candidate (one byte a Gaussian),
 * shared by the CPU densification and its CUDA twin (densify_cuda.cuh). */
#ifndef TGS_DENSIFY_CANDIDATES_H
#define TGS_DENSIFY_CANDIDATES_H

/* Written by the clone/split candidate rule; Taming marks the split parents. */
enum {
    TGS_CAND_NONE = 0,
    TGS_CAND_CLONE = 1,
    TGS_CAND_SPLIT = 2,
    TGS_CAND_REPLACED = 3 /* a split parent whose row now holds a child */
};

#endif
