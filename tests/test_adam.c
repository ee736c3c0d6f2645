/* test_adam.c - Adam against hand-computed steps, group masks, the lr schedule. */
#include "check.h"
#include "tgs/optim.h"

#include <math.h>
#include <string.h>

int main(void) {
    tgs_gaussians *g = NULL;
    CHECK_OK(tgs_gaussians_create(4, 1, 1, &g));
    if (!g)
        return check_report("test_adam");
    g->n = 2;
    double lr[TGS_G_COUNT];
    lr[TGS_G_MEANS] = 0.1, lr[TGS_G_DC] = 0.2, lr[TGS_G_REST] = 0.3, lr[TGS_G_OPACITY] = 0.4;
    lr[TGS_G_SCALE] = 0.5, lr[TGS_G_ROT] = 0.6;
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
    tgs_adam_step(&a, g, TGS_ADAM_ALL & ~(1u << TGS_G_REST), NULL);
    CHECK(fabs(p.means[0] - 0.9) < 1e-5, "means after step 1: %f", p.means[0]);
    CHECK(fabs(p.opacity_raw[1] - (-2.0 + 0.4)) < 1e-5, "opacity after step 1: %f", p.opacity_raw[1]);
    CHECK(gr.means[0] == 0.0f, "gradient not zeroed");
    CHECK(gr.sh_rest[0] == 1.0f && p.sh_rest[0] == 0.5f, "masked group touched");
    /* step 2 with g = 0.25: by hand */
    gr.means[0] = 0.25f;
    tgs_adam_step(&a, g, 1u << TGS_G_MEANS, NULL);
    double m = 0.9 * 0.05 + 0.1 * 0.25, v = 0.999 * 0.00025 + 0.001 * 0.0625;
    double mh = m / (1 - 0.81), vh = v / (1 - 0.999 * 0.999);
    double expect = 0.9 - 0.1 * mh / (sqrt(vh) + 1e-15);
    CHECK(fabs(p.means[0] - expect) < 1e-5, "means after step 2: %f, expected %f", p.means[0], expect);
    CHECK(a.step[TGS_G_MEANS] == 2 && a.step[TGS_G_REST] == 0, "step counts %ld %ld", a.step[TGS_G_MEANS],
          a.step[TGS_G_REST]);
    /* accumulated gradient of the masked group is used when it finally steps */
    gr.sh_rest[0] += 1.0f;
    tgs_adam_step(&a, g, 1u << TGS_G_REST, NULL);
    CHECK(fabs(p.sh_rest[0] - (0.5 - 0.3)) < 1e-5, "sh_rest after its first step: %f", p.sh_rest[0]);
    /* zero gradient still moves by momentum */
    float before = p.means[0];
    tgs_adam_step(&a, g, 1u << TGS_G_MEANS, NULL);
    CHECK(p.means[0] < before, "momentum step did not move");
    /* sparse: row 0 (radius 3) steps as the dense step does; row 1 (radius 0)
     * keeps its parameters, moments and gradient */
    {
        tgs_gaussians *d = NULL, *e = NULL; /* d: stepped densely; e: as before the step */
        CHECK_OK(tgs_gaussians_create(4, 1, 1, &d));
        CHECK_OK(tgs_gaussians_create(4, 1, 1, &e));
        if (!d || !e)
            return check_report("test_adam");
        for (int k = 0; k < TGS_G_COUNT; k++)
            for (int c = 0; c < g->width[k] * 2; c++)
                g->grads[g->capacity * g->offset[k] + c] = 0.01f * (float)(1 + c);
        const size_t floats = g->capacity * g->floats_per_gaussian;
        float *gb[4] = {g->params, g->grads, g->adam_m, g->adam_v};
        float *db[4] = {d->params, d->grads, d->adam_m, d->adam_v}, *eb[4] = {e->params, e->grads, e->adam_m, e->adam_v};
        for (int k = 0; k < 4; k++) {
            memcpy(db[k], gb[k], floats * sizeof(float));
            memcpy(eb[k], gb[k], floats * sizeof(float));
        }
        d->n = e->n = 2;
        tgs_adam as = a, ad = a;
        const int radii[2] = {3, 0};
        tgs_adam_step(&as, g, TGS_ADAM_ALL, radii);
        tgs_adam_step(&ad, d, TGS_ADAM_ALL, NULL);
        int row0 = 1, row1 = 1;
        for (int k = 0; k < 4; k++)
            for (int grp = 0; grp < TGS_G_COUNT; grp++) {
                const size_t o = g->capacity * g->offset[grp], w = (size_t)g->width[grp];
                row0 &= memcmp(gb[k] + o, db[k] + o, w * sizeof(float)) == 0;
                row1 &= memcmp(gb[k] + o + w, eb[k] + o + w, w * sizeof(float)) == 0;
            }
        CHECK(row0, "sparse Adam: the row in view differs from the dense step");
        CHECK(row1, "sparse Adam: the row out of view changed");
        CHECK(memcmp(as.step, ad.step, sizeof as.step) == 0, "sparse Adam: step counts differ from the dense step's");
        tgs_gaussians_destroy(d);
        tgs_gaussians_destroy(e);
    }
    /* schedule */
    CHECK(fabs(tgs_lr_expon(1.6e-4, 1.6e-6, 0, 30000) - 1.6e-4) < 1e-12, "lr at 0");
    CHECK(fabs(tgs_lr_expon(1.6e-4, 1.6e-6, 30000, 30000) - 1.6e-6) < 1e-12, "lr at end");
    CHECK(fabs(tgs_lr_expon(1.6e-4, 1.6e-6, 15000, 30000) - 1.6e-5) < 1e-11, "lr halfway");
    CHECK(fabs(tgs_lr_expon(1.6e-4, 1.6e-6, 90000, 30000) - 1.6e-6) < 1e-12, "lr after end");
    tgs_gaussians_destroy(g);
    tgs_gaussians_destroy(NULL);
    return check_report("test_adam");
}
