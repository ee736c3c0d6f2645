/* fuzz_colmap_txt.c - libFuzzer harness of the text COLMAP reader (input layout in fuzz_targets.h).
 * The body is fuzz_colmap_txt_one in fuzz_targets.h, shared with the CTest replay of
 * tests/fuzz/regressions/fuzz_colmap_txt/. */
#include "fuzz_targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    (void)fuzz_colmap_txt_one(data, size);
    return 0;
}
