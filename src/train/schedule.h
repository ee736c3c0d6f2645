/* schedule.h - what happens at iteration `it` of a run, as pure functions of
 * the iteration and the settings (DESIGN §5, §6): the position learning rate,
 * the SH degree, when to densify and reset opacities, and which Adam groups
 * step. The loop (train.c) asks these and keeps no rule of its own. */
#ifndef TGS_TRAIN_SCHEDULE_H
#define TGS_TRAIN_SCHEDULE_H

#include "tgs/optim.h"
#include "tgs/train.h"

/* The learning rates of iteration 0, per group: position x extent, the SH
 * rest rate / 20, the others as given. */
void tgs_schedule_initial_lr(const tgs_train_config *c, double extent, double lr[TGS_G_COUNT]);
/* Position learning rate at `it`: log-linear from init to final (x extent)
 * over position_lr_max_steps. */
double tgs_schedule_position_lr(const tgs_train_config *c, double extent, int it);
/* SH degree at `it` given the degree before it: one more every 1000th
 * iteration, up to sh_degree. */
int tgs_schedule_sh_degree(const tgs_train_config *c, int it, int previous);
/* Whether iteration `it` gathers densification statistics (before densify_until_iter). */
int tgs_schedule_gathers_stats(const tgs_train_config *c, int it);
/* Whether `it` densifies: after densify_from_iter, before densify_until_iter
 * and the last iteration, every densification_interval. */
int tgs_schedule_densifies(const tgs_train_config *c, int it);
/* Whether a densification at `it` applies the size rule (after the first opacity reset). */
int tgs_schedule_size_rule(const tgs_train_config *c, int it);
/* Whether `it` resets opacities: before densify_until_iter and the last
 * iteration, every opacity_reset_interval, and with a white background once at
 * densify_from_iter. */
int tgs_schedule_resets_opacity(const tgs_train_config *c, int it);
/* Whether opacities are frozen at `it` (from ho_iteration on, when that is >= 1). */
int tgs_schedule_opacity_frozen(const tgs_train_config *c, int it);
/* Whether Adam runs at `it`: not at the last iteration (nothing trains after it). */
int tgs_schedule_optimizes(const tgs_train_config *c, int it);
/* The Adam groups that step at `it` (bits 1u << group): none when it
 * densifies (the reference replaces every tensor there), no opacity when it
 * resets them or once they are frozen, with --sh_lower the SH rest only every
 * 16th iteration (its gradient accumulates until then). */
unsigned tgs_schedule_adam_mask(const tgs_train_config *c, int it);
/* Whether the SH rest gradient is summed over several views before a step
 * (--sh_lower). Otherwise each rest step can be taken in the backward of its
 * view, and a device model keeps no SH rest gradient (DESIGN §5). */
int tgs_schedule_sums_rest_grads(const tgs_train_config *c);

/* Whether `it` evaluates the test views (--test_iterations). */
int tgs_schedule_evaluates(const tgs_train_config *c, int it);
/* Whether `it` saves a PLY on the way (--save_iterations; the last one is saved at the end). */
int tgs_schedule_saves(const tgs_train_config *c, int it);
/* Whether `it` writes a checkpoint (--checkpoint_iterations). */
int tgs_schedule_checkpoints(const tgs_train_config *c, int it);

#endif
