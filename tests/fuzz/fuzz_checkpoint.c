/* fuzz_checkpoint.c - libFuzzer harness of the checkpoint reader: as given and with the CRC fixed up, then every getter.
 * The body is fuzz_checkpoint_one in fuzz_targets.h, shared with the CTest replay of
 * tests/fuzz/regressions/fuzz_checkpoint/. */
#include "fuzz_targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    (void)fuzz_checkpoint_one(data, size);
    return 0;
}
