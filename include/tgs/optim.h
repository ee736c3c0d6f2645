/* optim.h - Adam over the one parameter buffer (DESIGN §5), as torch.optim.Adam
 * computes it, with a step count per parameter group. */
#ifndef TGS_OPTIM_H
#define TGS_OPTIM_H

#include "tgs/gaussians.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    double lr[TGS_G_COUNT];
    double beta1, beta2, eps;
    long step[TGS_G_COUNT]; /* steps taken by each group (bias correction) */
} tgs_adam;

/* beta1 0.9, beta2 0.999, eps 1e-15, steps 0. */
void tgs_adam_init(tgs_adam *a, const double lr[TGS_G_COUNT]);
/* One Adam step of the groups whose bit (1u << group) is set in mask, over the
 * first g->n rows; their gradients are zeroed afterwards. Groups outside the mask
 * keep their gradients (they accumulate, as --sh_lower needs). With radii
 * (sparse Adam, --optimizer_type sparse_adam) only the rows whose radius is
 * above 0 step: the others keep their parameters, moments and gradients, and
 * the bias correction still counts every step, as the dense step does. */
void tgs_adam_step(tgs_adam *a, tgs_gaussians *g, unsigned mask, const int *radii /*[N] or NULL: every row*/);
/* Zeroes the gradients of the groups in mask. */
void tgs_adam_zero_grad(tgs_gaussians *g, unsigned mask);
/* Log-linear decay from init to final over max_steps (the position schedule). */
double tgs_lr_expon(double init, double final, long step, long max_steps);

#define TGS_ADAM_ALL ((1u << TGS_G_COUNT) - 1u)

#ifdef __cplusplus
}
#endif

#endif
