/* fuzz_viewer_query.c - libFuzzer harness of the live viewer's request parsing
 * (routes, /render and /status queries). The body is fuzz_viewer_query_one in
 * fuzz_targets.h, shared with the CTest replay of tests/fuzz/corpus/. */
#include "fuzz_targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    (void)fuzz_viewer_query_one(data, size);
    return 0;
}
