/* fuzz_ply.c - libFuzzer harness of the 3DGS PLY reader, both opacity storages.
 * The body is fuzz_ply_one in fuzz_targets.h, shared with the CTest replay of
 * tests/fuzz/regressions/fuzz_ply/. */
#include "fuzz_targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    (void)fuzz_ply_one(data, size);
    return 0;
}
