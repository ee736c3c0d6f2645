/* model_internal.h - helpers shared by the model-folder writers (src/io/model_files.c,
 * src/train/metrics.c). Not part of the public API. */
#ifndef TGS_MODEL_INTERNAL_H
#define TGS_MODEL_INTERNAL_H

#include <jansson.h>

#include "tgs/common.h"

/* Dumps root to path.tmp with jansson flags, then renames it over path; the
 * .tmp file is removed on failure. */
tgs_status tgs_model_json_write_atomic(const char *path, const json_t *root, size_t flags);

#endif
