/* test_plan.c - the CPU memory plan against what the CPU backend really holds:
 * for a scene, the planned bytes of the lines the backend allocates equal the
 * heap it holds after its creation, a scored step and a Taming densification
 * (measured with glibc's mallinfo2), and the planned images and keep masks
 * (--masks, here at half the photographs' size) the decoded ones. */
#include "tgs/train.h"
#include "train/backend.h"

#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

#define SCENE TGS_REPO_DIR "/data/tiny_fox"

/* Heap bytes in use: small blocks from the arena and mmapped large ones. */
static double heap_in_use(void) {
    struct mallinfo2 mi = mallinfo2();
    return (double)mi.uordblks + (double)mi.hblkhd;
}

static void check_close(const char *what, double planned, double held) {
    double rel = fabs(held - planned) / planned;
    printf("%-28s planned %10.0f held %10.0f bytes (%+.2f%%)\n", what, planned, held,
           100.0 * (held - planned) / planned);
    CHECK(rel < 0.03, "%s: planned %.0f, held %.0f bytes (expected within 3%%)", what, planned, held);
}

/* One step with statistics and one Taming densification, so that the buffers
 * the first scored render allocates are held too. */
static void run_a_step(const tgs_backend_ops *ops, tgs_backend *b, const tgs_scene *sc, size_t capacity) {
    const tgs_camera *c = &sc->cameras[sc->train_idx[0]];
    tgs_view v = tgs_view_from_camera(c, sc->background, 0);
    double loss;
    CHECK_OK(ops->step(b, sc->train_idx[0], &v, 0.2, 1, NULL, &loss));
    tgs_densify_params dp = {2e-4, 0.01, sc->extent, 0.005, 0, 0, TGS_OPACITY_SIGMOID, 0};
    tgs_rng rng;
    tgs_rng_seed(&rng, 1, 1);
    tgs_densify_report rep;
    CHECK_OK(ops->densify(b, &dp, capacity / 2, 0, 0, sc->background, &rng, &rep));
}

/* Half-size masks (a left-out block) for every camera of sc in dir. */
static void write_masks(const tgs_scene *sc, const char *dir) {
    for (int i = 0; i < sc->n_cameras; i++) {
        const tgs_camera *c = &sc->cameras[i];
        tgs_image m = {c->image_width / 2, c->image_height / 2, 1, NULL};
        m.data = malloc((size_t)m.width * m.height);
        for (int p = 0; p < m.width * m.height; p++)
            m.data[p] = p % m.width < m.width / 2 && p / m.width < m.height / 3 ? 0 : 255;
        char path[TGS_PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/%s.png", dir, c->image_name);
        CHECK_OK(tgs_image_save_png(path, &m));
        tgs_image_free(&m);
    }
}

int main(void) {
#if defined(__SANITIZE_ADDRESS__)
    printf("skipped: AddressSanitizer keeps its own heap (mallinfo2 does not see it)\n");
    return 77;
#endif
    check_require_path(SCENE);
    tgs_set_threads(2);
    tgs_train_config cfg;
    tgs_train_config_defaults(&cfg);
    cfg.source_path = SCENE;
    cfg.images = "images";
    cfg.eval = 1;
    cfg.quiet = 1;
    tgs_scene_options so = {cfg.source_path, cfg.images, cfg.resolution, cfg.eval, cfg.white_background, cfg.seed,
                            cfg.quiet, cfg.masks, cfg.alpha_mask};
    tgs_scene sc;
    CHECK_OK(tgs_scene_load(&so, &sc));
    char dir[64];
    write_masks(&sc, check_tmpdir(dir, sizeof dir, "plan_masks"));
    tgs_scene_free(&sc);
    cfg.masks = so.masks = dir;
    CHECK_OK(tgs_scene_load(&so, &sc));
    CHECK(sc.n_masked == sc.n_cameras, "%d of %d cameras have a mask", sc.n_masked, sc.n_cameras);
    const size_t capacity = 4 * sc.n_points;
    const tgs_backend_ops *ops = &tgs_backend_cpu;
    tgs_memory_plan plan;
    ops->plan(&cfg, &sc, capacity, &plan);
    double planned_held = 0, planned_images = 0;
    for (int i = 0; i < plan.n; i++) {
        if (plan.held[i])
            planned_held += plan.bytes[i];
        else if (strstr(plan.what[i], "images") || strstr(plan.what[i], "masks"))
            planned_images += plan.bytes[i];
    }

    double m0 = heap_in_use();
    tgs_image *images = calloc((size_t)sc.n_cameras, sizeof *images);
    tgs_image *masks = calloc((size_t)sc.n_cameras, sizeof *masks);
    for (int i = 0; i < sc.n_cameras; i++)
        CHECK_OK(tgs_scene_load_image(&sc, i, &images[i], &masks[i]));
    double m1 = heap_in_use();
    tgs_backend *b = NULL;
    CHECK_OK(ops->create(&cfg, &sc, images, masks, capacity, &b));
    if (b)
        run_a_step(ops, b, &sc, capacity);
    double m2 = heap_in_use();
    printf("tiny_fox, %zu Gaussians, 2 threads:\n", capacity);
    check_close("training images and masks", planned_images, m1 - m0 - 2.0 * sc.n_cameras * sizeof *images);
    check_close("held by the backend", planned_held, m2 - m1);

    ops->destroy(b);
    for (int i = 0; i < sc.n_cameras; i++) {
        tgs_image_free(&images[i]);
        tgs_image_free(&masks[i]);
        char path[TGS_PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/%s.png", dir, sc.cameras[i].image_name);
        remove(path);
    }
    free(images);
    free(masks);
    rmdir(dir);
    tgs_scene_free(&sc);
    return check_report("test_plan");
}
