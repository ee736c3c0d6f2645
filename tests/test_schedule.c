/* test_schedule.c - the rules of each iteration (train/schedule.h) against the
 * published trainer's loop written out step by step, and the count of
 * densifications against the Taming schedule's. */
#include "check.h"
#include "tgs/densify.h"
#include "train/schedule.h"

#include <math.h>

/* The Adam mask and the opacity-freeze flag as the loop computes them, one
 * iteration after another from `it` = 1 (the freeze is a state there). */
static unsigned loop_mask(const tgs_train_config *c, int it, int *frozen) {
    unsigned mask = TGS_ADAM_ALL;
    if (it < c->densify_until_iter && it < c->iterations) {
        if (it > c->densify_from_iter && it % c->densification_interval == 0)
            mask = 0;
        if (it % c->opacity_reset_interval == 0 || (c->white_background && it == c->densify_from_iter))
            mask &= ~(1u << TGS_G_OPACITY);
    }
    if (it == c->ho_iteration)
        *frozen = 1;
    if (*frozen)
        mask &= ~(1u << TGS_G_OPACITY);
    if (c->sh_lower && it % 16 != 0)
        mask &= ~(1u << TGS_G_REST);
    return mask;
}

static void check_against_loop(const tgs_train_config *c, const char *what) {
    int frozen = 0, bad = 0;
    for (int it = 1; it <= c->iterations && bad < 5; it++) {
        unsigned want = loop_mask(c, it, &frozen);
        if (tgs_schedule_adam_mask(c, it) != want || tgs_schedule_opacity_frozen(c, it) != frozen) {
            CHECK(0, "%s: iteration %d: mask %x (expected %x), frozen %d (expected %d)", what, it,
                  tgs_schedule_adam_mask(c, it), want, tgs_schedule_opacity_frozen(c, it), frozen);
            bad++;
        }
    }
}

static void test_masks(void) {
    tgs_train_config c;
    tgs_train_config_defaults(&c);
    check_against_loop(&c, "defaults");
    c.sh_lower = 1, c.white_background = 1, c.densification_interval = 70, c.opacity_reset_interval = 900;
    check_against_loop(&c, "sh_lower, white, odd intervals");
    c.ho_iteration = 0, c.iterations = 5000, c.densify_until_iter = 6000;
    check_against_loop(&c, "no freeze, short run");
    c.ho_iteration = 1, c.densify_from_iter = -50;
    check_against_loop(&c, "frozen from the start");
    tgs_train_config_defaults(&c);
    CHECK(tgs_schedule_adam_mask(&c, 600) == 0, "a densification takes no step");
    CHECK(tgs_schedule_adam_mask(&c, 601) == TGS_ADAM_ALL, "the next iteration steps every group");
    CHECK(tgs_schedule_adam_mask(&c, 15001) == (TGS_ADAM_ALL & ~(1u << TGS_G_OPACITY)), "frozen opacity");
    CHECK(tgs_schedule_optimizes(&c, 29999) && !tgs_schedule_optimizes(&c, 30000), "no step at the end");
}

static void test_densify_and_reset(void) {
    tgs_train_config c;
    tgs_train_config_defaults(&c);
    CHECK(!tgs_schedule_densifies(&c, 500) && tgs_schedule_densifies(&c, 600) && !tgs_schedule_densifies(&c, 650) &&
              tgs_schedule_densifies(&c, 14900) && !tgs_schedule_densifies(&c, 15000),
          "densification range");
    CHECK(tgs_schedule_resets_opacity(&c, 3000) && tgs_schedule_resets_opacity(&c, 12000) &&
              !tgs_schedule_resets_opacity(&c, 15000) && !tgs_schedule_resets_opacity(&c, 500),
          "opacity resets");
    c.white_background = 1;
    CHECK(tgs_schedule_resets_opacity(&c, 500), "white background: reset at densify_from_iter");
    c.iterations = 3000;
    CHECK(!tgs_schedule_resets_opacity(&c, 3000) && !tgs_schedule_densifies(&c, 3000), "nothing at the last");
    CHECK(!tgs_schedule_size_rule(&c, 3000) && tgs_schedule_size_rule(&c, 3001), "size rule after the first reset");
    CHECK(tgs_schedule_gathers_stats(&c, 14999) && !tgs_schedule_gathers_stats(&c, 15000), "statistics");
    /* the densifications of the range are those the Taming schedule counts */
    const int from[] = {500, 100, 0, 500, 15000}, until[] = {15000, 650, 1000, 15000, 500};
    const int interval[] = {100, 50, 300, 700, 100};
    for (int k = 0; k < 5; k++) {
        c.densify_from_iter = from[k], c.densify_until_iter = until[k], c.densification_interval = interval[k];
        c.iterations = 1 << 20;
        int n = 0;
        for (int it = 1; it <= 20000; it++)
            n += tgs_schedule_densifies(&c, it);
        tgs_taming_schedule s;
        CHECK_OK(tgs_taming_schedule_make(1000, 3000, from[k], until[k], interval[k], &s));
        CHECK(s.densifications == n, "range %d..%d every %d: %d densifications, schedule counts %d", from[k],
              until[k], interval[k], n, s.densifications);
        tgs_taming_schedule_free(&s);
    }
}

static void test_rates_and_degree(void) {
    tgs_train_config c;
    tgs_train_config_defaults(&c);
    double lr[TGS_G_COUNT];
    tgs_schedule_initial_lr(&c, 2.0, lr);
    CHECK(lr[TGS_G_MEANS] == 0.00032 && lr[TGS_G_DC] == 0.0025 && lr[TGS_G_REST] == 0.005 / 20.0 &&
              lr[TGS_G_OPACITY] == 0.025 && lr[TGS_G_SCALE] == 0.005 && lr[TGS_G_ROT] == 0.001,
          "initial rates");
    CHECK(fabs(tgs_schedule_position_lr(&c, 2.0, 0) - 0.00032) < 1e-12, "position lr at 0");
    CHECK(fabs(tgs_schedule_position_lr(&c, 2.0, 30000) - 0.0000032) < 1e-12, "position lr at the end");
    CHECK(tgs_schedule_position_lr(&c, 2.0, 7000) == tgs_lr_expon(0.00032, 0.0000032, 7000, 30000), "decay");
    int d = 0, at[4] = {0, 0, 0, 0};
    for (int it = 1; it <= 5000; it++) {
        d = tgs_schedule_sh_degree(&c, it, d);
        if (it == 999 || it == 1000 || it == 2500 || it == 5000)
            at[it == 999 ? 0 : it == 1000 ? 1 : it == 2500 ? 2 : 3] = d;
    }
    CHECK(at[0] == 0 && at[1] == 1 && at[2] == 2 && at[3] == 3, "SH degree %d %d %d %d", at[0], at[1], at[2], at[3]);
    c.sh_degree = 1;
    CHECK(tgs_schedule_sh_degree(&c, 2000, 1) == 1 && tgs_schedule_sh_degree(&c, 1999, 0) == 0, "SH degree cap");
}

static void test_outputs(void) {
    tgs_train_config c;
    tgs_train_config_defaults(&c);
    c.iterations = 30000;
    CHECK(tgs_schedule_evaluates(&c, 7000) && tgs_schedule_evaluates(&c, 30000) && !tgs_schedule_evaluates(&c, 7001),
          "test iterations");
    CHECK(tgs_schedule_saves(&c, 7000) && !tgs_schedule_saves(&c, 30000), "the last PLY is saved at the end");
    CHECK(!tgs_schedule_checkpoints(&c, 7000), "no checkpoints by default");
    c.checkpoint_iterations[0] = 400, c.n_checkpoint_iterations = 1;
    CHECK(tgs_schedule_checkpoints(&c, 400) && !tgs_schedule_checkpoints(&c, 401), "checkpoint iterations");
}

int main(void) {
    test_masks();
    test_densify_and_reset();
    test_rates_and_degree();
    test_outputs();
    return check_report("test_schedule");
}
