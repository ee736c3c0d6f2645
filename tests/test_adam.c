/* test_adam.c - Adam against hand-computed steps, group masks, the lr schedule. */
#include "check.h"
#include "tgs/optim.h"

#include <math.h>

int main(void) {
    tgs_gaussians *g = NULL;
    CHECK_OK(tgs_gaussians_create(4, 1, 1, &g));
    if (!g)
        return check_report("test_adam");
    g->n = 2;
    double lr[TGS_G_COUNT] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6};
    tgs_adam a;
    tgs_adam_init(&a, lr);
    tgs_param_view p = tgs_gaussians_view(g, g->params), gr = tgs_gaussians_view(g, g->grads);
    p.means[0] = 1.0f;
    p.opacity_raw[1] = -2.0f;
    p.sh_rest[0] = 0.5f;
    /* step 1: m = 0.1 g, v = 0.001 g^2, m_hat = g, v_hat = g^2 -> p -= lr * sign(g) */
    gr.means[0] = 0.5f;
    gr.opacity_raw[1] = -3.0f;
    gr.sh_rest[0] = 1.0f;
    tgs_adam_step(&a, g, TGS_ADAM_ALL & ~(1u << TGS_G_REST));
    CHECK(fabs(p.means[0] - 0.9) < 1e-5, "means after step 1: %f", p.means[0]);
    CHECK(fabs(p.opacity_raw[1] - (-2.0 + 0.4)) < 1e-5, "opacity after step 1: %f", p.opacity_raw[1]);
    CHECK(gr.means[0] == 0.0f, "gradient not zeroed");
    CHECK(gr.sh_rest[0] == 1.0f && p.sh_rest[0] == 0.5f, "masked group touched");
    /* step 2 with g = 0.25: by hand */
    gr.means[0] = 0.25f;
    tgs_adam_step(&a, g, 1u << TGS_G_MEANS);
    double m = 0.9 * 0.05 + 0.1 * 0.25, v = 0.999 * 0.00025 + 0.001 * 0.0625;
    double mh = m / (1 - 0.81), vh = v / (1 - 0.999 * 0.999);
    double expect = 0.9 - 0.1 * mh / (sqrt(vh) + 1e-15);
    CHECK(fabs(p.means[0] - expect) < 1e-5, "means after step 2: %f, expected %f", p.means[0], expect);
    CHECK(a.step[TGS_G_MEANS] == 2 && a.step[TGS_G_REST] == 0, "step counts %ld %ld", a.step[TGS_G_MEANS],
          a.step[TGS_G_REST]);
    /* accumulated gradient of the masked group is used when it finally steps */
    gr.sh_rest[0] += 1.0f;
    tgs_adam_step(&a, g, 1u << TGS_G_REST);
    CHECK(fabs(p.sh_rest[0] - (0.5 - 0.3)) < 1e-5, "sh_rest after its first step: %f", p.sh_rest[0]);
    /* zero gradient still moves by momentum */
    float before = p.means[0];
    tgs_adam_step(&a, g, 1u << TGS_G_MEANS);
    CHECK(p.means[0] < before, "momentum step did not move");
    /* schedule */
    CHECK(fabs(tgs_lr_expon(1.6e-4, 1.6e-6, 0, 30000) - 1.6e-4) < 1e-12, "lr at 0");
    CHECK(fabs(tgs_lr_expon(1.6e-4, 1.6e-6, 30000, 30000) - 1.6e-6) < 1e-12, "lr at end");
    CHECK(fabs(tgs_lr_expon(1.6e-4, 1.6e-6, 15000, 30000) - 1.6e-5) < 1e-11, "lr halfway");
    CHECK(fabs(tgs_lr_expon(1.6e-4, 1.6e-6, 90000, 30000) - 1.6e-6) < 1e-12, "lr after end");
    tgs_gaussians_destroy(g);
    tgs_gaussians_destroy(NULL);
    return check_report("test_adam");
}
