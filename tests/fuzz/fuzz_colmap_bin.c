/* fuzz_colmap_bin.c - libFuzzer harness of the binary COLMAP reader (input layout in fuzz_targets.h).
 * The body is fuzz_colmap_bin_one in fuzz_targets.h, shared with the CTest replay of
 * tests/fuzz/regressions/fuzz_colmap_bin/. */
#include "fuzz_targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    (void)fuzz_colmap_bin_one(data, size);
    return 0;
}
