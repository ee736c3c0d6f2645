/* test_knn.c - k-nearest-neighbour mean squared distances against brute force,
 * edge cases and errors, and the point initialisation of the Gaussians that
 * uses them (DESIGN §2). */
#include "check.h"
#include "tgs/gaussians.h"
#include "tgs/knn.h"
#include "tgs/rng.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { CLOUD_UNIFORM, CLOUD_CLUSTERED, CLOUD_DUPLICATES, CLOUD_GRID, CLOUD_LINE, CLOUD_SAME };
static const char *cloud_names[] = {"uniform", "clustered", "duplicates", "grid", "sorted line", "identical"};

/* Fills xyz [n,3] with one kind of cloud. */
static void make_cloud(float *xyz /*[n,3]*/, size_t n, int kind, uint64_t seed) {
    tgs_rng r;
    tgs_rng_seed(&r, seed, 7);
    float centre[3] = {0, 0, 0}, sigma = 1.0f;
    for (size_t i = 0; i < n; i++) {
        float *p = xyz + 3 * i;
        switch (kind) {
        case CLOUD_UNIFORM:
            for (int c = 0; c < 3; c++)
                p[c] = (float)(20.0 * tgs_rng_uniform(&r) - 10.0);
            break;
        case CLOUD_CLUSTERED: /* clusters of very different sizes and spreads */
            if (i == 0 || tgs_rng_below(&r, 50) == 0) {
                for (int c = 0; c < 3; c++)
                    centre[c] = (float)(100.0 * tgs_rng_uniform(&r));
                sigma = (float)pow(10.0, -3.0 + 3.0 * tgs_rng_uniform(&r));
            }
            for (int c = 0; c < 3; c++)
                p[c] = centre[c] + sigma * (float)tgs_rng_normal(&r);
            break;
        case CLOUD_DUPLICATES: /* half the points repeat an earlier one */
            if (i > 0 && tgs_rng_below(&r, 2) == 0) {
                memcpy(p, xyz + 3 * (size_t)tgs_rng_below(&r, (uint32_t)i), 3 * sizeof(float));
            } else {
                for (int c = 0; c < 3; c++)
                    p[c] = (float)tgs_rng_uniform(&r);
            }
            break;
        case CLOUD_GRID: /* small integers: many exact ties */
            for (int c = 0; c < 3; c++)
                p[c] = (float)tgs_rng_below(&r, 4);
            break;
        case CLOUD_LINE: /* sorted along x */
            p[0] = (float)i * 0.5f;
            p[1] = 1.0f;
            p[2] = -2.0f;
            break;
        default: /* all identical */
            p[0] = 3.0f;
            p[1] = -1.0f;
            p[2] = 0.25f;
            break;
        }
    }
}

/* Brute force: the k smallest squared distances to other points, summed in
 * ascending order (the same arithmetic as the library). */
static void brute_force(const float *xyz /*[n,3]*/, size_t n, int k, float *out /*[n]*/) {
    double best[16];
    for (size_t i = 0; i < n; i++) {
        int m = 0;
        for (size_t j = 0; j < n; j++) {
            if (j == i)
                continue;
            double dx = (double)xyz[3 * i] - (double)xyz[3 * j];
            double dy = (double)xyz[3 * i + 1] - (double)xyz[3 * j + 1];
            double dz = (double)xyz[3 * i + 2] - (double)xyz[3 * j + 2];
            double d = dx * dx + dy * dy + dz * dz;
            if (m == k && d >= best[k - 1])
                continue;
            int p = m < k ? m++ : k - 1;
            while (p > 0 && best[p - 1] > d) {
                best[p] = best[p - 1];
                p--;
            }
            best[p] = d;
        }
        double sum = 0.0;
        for (int t = 0; t < m; t++)
            sum += best[t];
        out[i] = m ? (float)(sum / m) : 0.0f;
    }
}

/* Compares the kd-tree result with brute force; returns the number of mismatches. */
static int compare_cloud(size_t n, int kind, int k, uint64_t seed, int *exact_mismatch) {
    float *xyz = malloc(3 * n * sizeof(float) + 1), *got = malloc(n * sizeof(float) + 1),
          *want = malloc(n * sizeof(float) + 1);
    CHECK(xyz && got && want, "allocation");
    if (!xyz || !got || !want) {
        free(xyz), free(got), free(want);
        return 1;
    }
    make_cloud(xyz, n, kind, seed);
    for (size_t i = 0; i < n; i++)
        got[i] = -1.0f;
    brute_force(xyz, n, k, want);
    int bad = 0;
    tgs_status st = tgs_knn_mean_dist2(xyz, n, k, got);
    CHECK(st == TGS_OK, "n=%zu k=%d %s: %s", n, k, cloud_names[kind], tgs_error_message());
    for (size_t i = 0; i < n && st == TGS_OK; i++) {
        if (got[i] != want[i])
            (*exact_mismatch)++;
        if (!(fabsf(got[i] - want[i]) <= 1e-6f * fabsf(want[i]))) {
            if (bad < 5)
                CHECK(0, "n=%zu k=%d %s seed %llu point %zu: %.9g (brute force %.9g)", n, k, cloud_names[kind],
                      (unsigned long long)seed, i, (double)got[i], (double)want[i]);
            bad++;
        }
    }
    free(xyz), free(got), free(want);
    return bad;
}

static void test_small_exhaustive(void) {
    static const int ks[] = {1, 3, 5, 16};
    int exact = 0;
    for (size_t n = 1; n <= 50; n++)
        for (int kind = 0; kind <= CLOUD_SAME; kind++)
            for (int ki = 0; ki < 4; ki++)
                for (uint64_t seed = 1; seed <= 3; seed++)
                    compare_cloud(n, kind, ks[ki], seed * 1000 + n, &exact);
    CHECK(exact == 0, "%d small-cloud results differ in the last bits from brute force", exact);
}

static void test_large(void) {
    int exact = 0;
    for (int kind = 0; kind <= CLOUD_SAME; kind++)
        for (uint64_t seed = 1; seed <= (kind <= CLOUD_DUPLICATES ? 3u : 1u); seed++)
            compare_cloud(2000, kind, 3, seed, &exact);
    compare_cloud(2000, CLOUD_CLUSTERED, 16, 9, &exact);
    compare_cloud(2000, CLOUD_DUPLICATES, 1, 9, &exact);
    CHECK(exact == 0, "%d large-cloud results differ in the last bits from brute force", exact);
}

/* n = 1, 2, 3: fewer neighbours than k. */
static void test_tiny(void) {
    float one[3] = {1, 2, 3}, out[3] = {-1, -1, -1};
    CHECK_OK(tgs_knn_mean_dist2(one, 1, 3, out));
    CHECK(out[0] == 0.0f, "single point: %g (expected 0)", (double)out[0]);
    float two[6] = {0, 0, 0, 3, 4, 0};
    CHECK_OK(tgs_knn_mean_dist2(two, 2, 3, out));
    CHECK(out[0] == 25.0f && out[1] == 25.0f, "two points: %g %g (expected 25)", (double)out[0], (double)out[1]);
    float three[9] = {0, 0, 0, 1, 0, 0, 0, 2, 0};
    CHECK_OK(tgs_knn_mean_dist2(three, 3, 3, out));
    CHECK(out[0] == 2.5f && out[1] == 3.0f && out[2] == 4.5f, "three points: %g %g %g (expected 2.5 3 4.5)",
          (double)out[0], (double)out[1], (double)out[2]);
    CHECK_OK(tgs_knn_mean_dist2(three, 3, 1, out));
    CHECK(out[0] == 1.0f && out[1] == 1.0f && out[2] == 4.0f, "three points k=1: %g %g %g", (double)out[0],
          (double)out[1], (double)out[2]);
    float dup[9] = {1, 1, 1, 1, 1, 1, 1, 1, 4};
    CHECK_OK(tgs_knn_mean_dist2(dup, 3, 1, out));
    CHECK(out[0] == 0.0f && out[1] == 0.0f && out[2] == 9.0f, "duplicates k=1: %g %g %g", (double)out[0],
          (double)out[1], (double)out[2]);
    CHECK_OK(tgs_knn_mean_dist2(NULL, 0, 3, NULL));
}

static void test_errors(void) {
    float xyz[30] = {0}, out[10];
    for (int i = 0; i < 30; i++)
        xyz[i] = (float)i;
    CHECK(tgs_knn_mean_dist2(xyz, 10, 0, out) == TGS_ERR_ARG, "k = 0 accepted");
    CHECK(tgs_knn_mean_dist2(xyz, 10, 17, out) == TGS_ERR_ARG, "k = 17 accepted");
    CHECK(strstr(tgs_error_message(), "k = 17") != NULL, "message: %s", tgs_error_message());
    xyz[3 * 7 + 1] = NAN;
    CHECK(tgs_knn_mean_dist2(xyz, 10, 3, out) == TGS_ERR_ARG, "NaN accepted");
    CHECK(strstr(tgs_error_message(), "point 7 ") != NULL, "message: %s", tgs_error_message());
    xyz[3 * 7 + 1] = 0.0f;
    xyz[3 * 4 + 2] = -INFINITY;
    CHECK(tgs_knn_mean_dist2(xyz, 10, 3, out) == TGS_ERR_ARG, "-inf accepted");
    CHECK(strstr(tgs_error_message(), "point 4 ") != NULL, "message: %s", tgs_error_message());
}

/* Same bits with 1 and several threads. */
static void test_threads(void) {
    size_t n = 30000;
    float *xyz = malloc(3 * n * sizeof(float)), *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float));
    CHECK(xyz && a && b, "allocation");
    if (xyz && a && b) {
        int saved = tgs_get_threads();
        for (int kind = CLOUD_UNIFORM; kind <= CLOUD_DUPLICATES; kind++) {
            make_cloud(xyz, n, kind, 42);
            tgs_set_threads(1);
            CHECK_OK(tgs_knn_mean_dist2(xyz, n, 3, a));
            tgs_set_threads(3);
            CHECK_OK(tgs_knn_mean_dist2(xyz, n, 3, b));
            CHECK(memcmp(a, b, n * sizeof(float)) == 0, "%s: results depend on the thread count", cloud_names[kind]);
            CHECK_OK(tgs_knn_mean_dist2(xyz, n, 3, a));
            CHECK(memcmp(a, b, n * sizeof(float)) == 0, "%s: results differ between runs", cloud_names[kind]);
        }
        tgs_set_threads(saved);
    }
    free(xyz), free(a), free(b);
}

static void test_init_from_points(void) {
    enum { N = 7 };
    float xyz[3 * N] = {0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 5, 5, 5, 5, 5, 5, 5, 5, 5};
    float rgb[3 * N];
    for (int i = 0; i < 3 * N; i++)
        rgb[i] = (float)i / (3 * N);
    float d2[N];
    brute_force(xyz, N, 3, d2);
    tgs_gaussians *g = NULL;
    CHECK_OK(tgs_gaussians_create(N, 3, 0, &g));
    if (!g)
        return;
    CHECK(tgs_gaussians_init_from_points(g, xyz, rgb, N + 1) == TGS_ERR_ARG, "more points than capacity accepted");
    CHECK_OK(tgs_gaussians_init_from_points(g, xyz, rgb, N));
    CHECK(g->n == N, "n = %zu (expected %d)", g->n, N);
    tgs_param_view p = tgs_gaussians_view(g, g->params);
    int k = tgs_sh_rest_count(3);
    float logit01 = logf(0.1f / 0.9f);
    for (int i = 0; i < N; i++) {
        float s = logf(sqrtf(fmaxf(d2[i], 1e-7f)));
        for (int c = 0; c < 3; c++) {
            CHECK(p.means[3 * i + c] == xyz[3 * i + c], "mean %d.%d", i, c);
            float dc = (float)((rgb[3 * i + c] - 0.5) / TGS_SH_C0);
            CHECK(fabsf(p.sh_dc[3 * i + c] - dc) <= 1e-6f, "DC %d.%d: %g (expected %g)", i, c,
                  (double)p.sh_dc[3 * i + c], (double)dc);
            CHECK(fabsf(p.scale_raw[3 * i + c] - s) <= 1e-6f, "scale %d.%d: %g (expected %g)", i, c,
                  (double)p.scale_raw[3 * i + c], (double)s);
        }
        for (int j = 0; j < 3 * k; j++)
            CHECK(p.sh_rest[(size_t)3 * k * i + j] == 0.0f, "SH rest %d.%d", i, j);
        CHECK(fabsf(p.opacity_raw[i] - logit01) <= 1e-6f, "opacity %d: %g", i, (double)p.opacity_raw[i]);
        CHECK(p.rot_raw[4 * i] == 1.0f && p.rot_raw[4 * i + 1] == 0.0f && p.rot_raw[4 * i + 2] == 0.0f &&
                  p.rot_raw[4 * i + 3] == 0.0f,
              "rotation %d", i);
    }
    /* hand-checked values: point 0 has neighbours at 1, 4, 9; the three copies
     * of (5,5,5) see each other (0, 0) and then point 3 at 25+25+4 = 54 */
    CHECK(fabsf(p.scale_raw[0] - logf(sqrtf(14.0f / 3.0f))) <= 1e-6f, "scale 0: %g", (double)p.scale_raw[0]);
    CHECK(fabsf(p.scale_raw[3 * 4] - logf(sqrtf(18.0f))) <= 1e-6f, "scale 4: %g", (double)p.scale_raw[3 * 4]);
    /* all points identical: distance 0 floored at 1e-7 */
    float same[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    CHECK_OK(tgs_gaussians_init_from_points(g, same, rgb, 3));
    CHECK(g->n == 3, "n = %zu (expected 3)", g->n);
    CHECK(fabsf(p.scale_raw[0] - logf(sqrtf(1e-7f))) <= 1e-6f, "floored scale: %g", (double)p.scale_raw[0]);
    tgs_gaussians_destroy(g);
}

int main(void) {
    test_tiny();
    test_errors();
    test_small_exhaustive();
    test_large();
    test_threads();
    test_init_from_points();
    return check_report("test_knn");
}
