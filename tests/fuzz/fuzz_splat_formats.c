/* fuzz_splat_formats.c - libFuzzer harness of the web-format readers: the
 * input is read as SPZ, .splat, compressed PLY and SOG (a zip, or a meta.json
 * whose images are absent), and through the format
 * guess. Each reader must refuse or return a table; a table that comes back
 * must be whole (its last values readable). */
#include "tgs/splat_formats.h"

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static float touch(const tgs_splats *s) {
    if (!s || s->n == 0)
        return 0.0f;
    const size_t K = (size_t)tgs_splats_rest_count(s->sh_degree), i = s->n - 1;
    float v = s->means[i * 3 + 2] + s->scales_raw[i * 3 + 2] + s->rots[i * 4 + 3] + s->opacity_raw[i] +
              s->sh_dc[i * 3 + 2];
    return K ? v + s->sh_rest[(i * K + K - 1) * 3 + 2] : v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const files[] = {"in.splat", NULL};
    const char *dir = fuzz_dir(files);
    fuzz_write(dir, files[0], data, size);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, files[0]);
    tgs_status (*const readers[5])(const char *, tgs_splats **) = {
        tgs_splats_read_spz, tgs_splats_read_splat, tgs_splats_read_compressed_ply, tgs_splats_read_sog,
        tgs_splats_read};
    volatile float sink = 0.0f;
    for (int r = 0; r < 5; r++) {
        tgs_splats *s = NULL;
        if (readers[r](path, &s) == TGS_OK)
            sink += touch(s);
        tgs_splats_free(s);
    }
    (void)sink;
    return 0;
}
