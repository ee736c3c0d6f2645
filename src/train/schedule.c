/* schedule.c - see schedule.h. */
#include "train/schedule.h"

void tgs_schedule_initial_lr(const tgs_train_config *c, double extent, double lr[TGS_G_COUNT]) {
    lr[TGS_G_MEANS] = c->position_lr_init * extent;
    lr[TGS_G_DC] = c->feature_lr;
    lr[TGS_G_REST] = c->shfeature_lr / 20.0;
    lr[TGS_G_OPACITY] = c->opacity_lr;
    lr[TGS_G_SCALE] = c->scaling_lr;
    lr[TGS_G_ROT] = c->rotation_lr;
}

double tgs_schedule_position_lr(const tgs_train_config *c, double extent, int it) {
    return tgs_lr_expon(c->position_lr_init * extent, c->position_lr_final * extent, it, c->position_lr_max_steps);
}

int tgs_schedule_sh_degree(const tgs_train_config *c, int it, int previous) {
    return it % 1000 == 0 && previous < c->sh_degree ? previous + 1 : previous;
}

int tgs_schedule_gathers_stats(const tgs_train_config *c, int it) { return it < c->densify_until_iter; }

/* Densification and opacity resets stop before densify_until_iter and at the
 * last iteration: densifying there would save untrained clones and splits
 * beside the model just tested (the reference saves before it densifies). */
static int in_densify_range(const tgs_train_config *c, int it) {
    return it < c->densify_until_iter && it < c->iterations;
}

int tgs_schedule_densifies(const tgs_train_config *c, int it) {
    return in_densify_range(c, it) && it > c->densify_from_iter && it % c->densification_interval == 0;
}

int tgs_schedule_size_rule(const tgs_train_config *c, int it) { return it > c->opacity_reset_interval; }

int tgs_schedule_resets_opacity(const tgs_train_config *c, int it) {
    return in_densify_range(c, it) &&
           (it % c->opacity_reset_interval == 0 || (c->white_background && it == c->densify_from_iter));
}

int tgs_schedule_opacity_frozen(const tgs_train_config *c, int it) {
    return c->ho_iteration >= 1 && it >= c->ho_iteration;
}

int tgs_schedule_optimizes(const tgs_train_config *c, int it) { return it < c->iterations; }

unsigned tgs_schedule_adam_mask(const tgs_train_config *c, int it) {
    unsigned mask = tgs_schedule_densifies(c, it) ? 0 : TGS_ADAM_ALL;
    if (tgs_schedule_resets_opacity(c, it) || tgs_schedule_opacity_frozen(c, it))
        mask &= ~(1u << TGS_G_OPACITY);
    if (c->sh_lower && it % 16 != 0)
        mask &= ~(1u << TGS_G_REST);
    return mask;
}

int tgs_schedule_sums_rest_grads(const tgs_train_config *c) { return c->sh_lower; }

static int in_list(const int *list /*[n]*/, int n, int it) {
    for (int i = 0; i < n; i++)
        if (list[i] == it)
            return 1;
    return 0;
}

int tgs_schedule_evaluates(const tgs_train_config *c, int it) {
    return in_list(c->test_iterations, c->n_test_iterations, it);
}

int tgs_schedule_saves(const tgs_train_config *c, int it) {
    return in_list(c->save_iterations, c->n_save_iterations, it) && it != c->iterations;
}

int tgs_schedule_checkpoints(const tgs_train_config *c, int it) {
    return in_list(c->checkpoint_iterations, c->n_checkpoint_iterations, it);
}
