/* fuzz_blender.c - libFuzzer harness of the Blender transforms_*.json reader.
 * The body is fuzz_blender_one in fuzz_targets.h, shared with the CTest replay of
 * tests/fuzz/regressions/fuzz_blender/. */
#include "fuzz_targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    (void)fuzz_blender_one(data, size);
    return 0;
}
