/* adam_update.cuh - one element's Adam update (torch's Adam, the formula of
 * src/optim/adam.c), for the Adam kernel and for kernels that apply a group's
 * step where they compute its gradient (the SH rest backward, DESIGN §5).
 * Round-to-nearest intrinsics, no fused multiply-add: the CPU's float results
 * bit for bit. */
#ifndef TGS_ADAM_UPDATE_CUH
#define TGS_ADAM_UPDATE_CUH

#include "optim/cuda/adam_cuda.h"

/* m = b1 m + (1-b1) g; v = b2 v + (1-b2) g g; p -= step m / (sqrt(v) inv + eps) */
static __device__ __forceinline__ void tgs_adam_update(const tgs_adam_consts &c, float g, float &m, float &v,
                                                       float &p) {
    m = __fadd_rn(__fmul_rn(c.b1, m), __fmul_rn(c.one_b1, g));
    v = __fadd_rn(__fmul_rn(c.b2, v), __fmul_rn(__fmul_rn(c.one_b2, g), g));
    const float den = __fadd_rn(__fmul_rn(__fsqrt_rn(v), c.inv_bc2_sqrt), c.eps);
    p = __fsub_rn(p, __fdiv_rn(__fmul_rn(c.step_size, m), den));
}

#endif
